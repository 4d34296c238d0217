"""HRIS adapters: what the hand-off calls. The HTTP adapter POSTs the documented payload; any other HRIS gets its
own class with the same `create_employee`."""
from __future__ import annotations

from typing import Protocol

import httpx

from ats.hris.payload import HrisEmployee
from ats.tasks.worker import PermanentFailure


class HrisAdapter(Protocol):
    async def create_employee(self, employee: HrisEmployee, *, idempotency_key: str) -> str:
        """Create the employee (or find the one this key created before); returns the HRIS's employee id."""


class HttpHrisAdapter:
    """`POST {base_url}/employees` with the JSON of `HrisEmployee`, `Idempotency-Key` (one per hire: a retry after
    a lost answer finds the first employee) and `Authorization: Bearer <ATS_HRIS_API_KEY>`. 2xx with `{"id": ...}`
    is success; 408, 429 and 5xx are retried; another 4xx is a permanent refusal."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float = 15.0) -> None:
        self.base_url, self.api_key, self.timeout = base_url.rstrip("/"), api_key, timeout

    async def create_employee(self, employee: HrisEmployee, *, idempotency_key: str) -> str:
        headers = {"Idempotency-Key": idempotency_key}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            r = await client.post(f"{self.base_url}/employees", json=employee.model_dump(mode="json"), headers=headers)
        if r.status_code in (408, 429) or r.status_code >= 500:
            raise RuntimeError(f"HRIS answered {r.status_code}")
        if r.status_code >= 400:
            raise PermanentFailure(f"HRIS refused the employee ({r.status_code}): {r.text[:500]}")
        employee_id = r.json().get("id") if r.headers.get("content-type", "").startswith("application/json") else None
        if not employee_id:
            raise RuntimeError("HRIS answered without an employee id")
        return str(employee_id)
