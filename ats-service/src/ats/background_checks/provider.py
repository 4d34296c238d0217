"""Background-check provider adapters, after the common invitation flow: create the candidate at the provider,
then an invitation for a package (the provider emails the candidate its own form); results arrive later as
signed webhooks (`webhooks.py`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from ats.tasks.worker import PermanentFailure


@dataclass(frozen=True)
class Invitation:
    candidate_id: str
    invitation_id: str
    url: str | None


class BackgroundCheckProvider(Protocol):
    async def invite(self, *, check_id: str, first_name: str, last_name: str, email: str, package: str) -> Invitation:
        """Create the candidate and the invitation (idempotent per check)."""


class HttpProvider:
    """`POST {url}/candidates` `{first_name, last_name, email, custom_id}` then `POST {url}/invitations`
    `{candidate_id, package}`, with `Authorization: Bearer <key>` and an `Idempotency-Key` per check and step.
    429/5xx are retried, another 4xx is a permanent refusal."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float = 15.0) -> None:
        self.base_url, self.api_key, self.timeout = base_url.rstrip("/"), api_key, timeout

    async def _post(self, client: httpx.AsyncClient, path: str, body: dict[str, str], key: str) -> dict[str, str]:
        headers = {"Idempotency-Key": key, **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})}
        r = await client.post(f"{self.base_url}{path}", json=body, headers=headers)
        if r.status_code == 429 or r.status_code >= 500:
            raise RuntimeError(f"provider answered {r.status_code} to {path}")
        if r.status_code >= 400:
            raise PermanentFailure(f"provider refused {path} ({r.status_code}): {r.text[:500]}")
        return r.json()  # type: ignore[no-any-return]

    async def invite(self, *, check_id: str, first_name: str, last_name: str, email: str, package: str) -> Invitation:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            candidate = await self._post(client, "/candidates", {"first_name": first_name, "last_name": last_name,
                                                                  "email": email, "custom_id": check_id},
                                         f"{check_id}:candidate")
            invitation = await self._post(client, "/invitations", {"candidate_id": candidate["id"], "package": package},
                                          f"{check_id}:invitation")
        return Invitation(candidate_id=str(candidate["id"]), invitation_id=str(invitation["id"]),
                          url=invitation.get("invitation_url"))
