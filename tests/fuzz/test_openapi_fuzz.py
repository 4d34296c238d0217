"""A property-based fuzz of every operation of the three OpenAPI documents (schemathesis), against the real
services on the real PostgreSQL, with the admin key: no answer is ever a 5xx, every 4xx is a problem+json
document, and every answer keeps to the operation's documented status codes, content types and schema.

Bounded for `make test` (FUZZ_EXAMPLES per operation and generation mode, derandomized so a run is repeatable);
`FUZZ_EXAMPLES=200` for a deeper hunt."""
from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from talent_dev.testing import ServiceProcess

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5")), deadline=None, derandomize=True,
                database=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate])  # no shrinking: the first example found is reported


# Whether input the schema allows is accepted and input it forbids refused: the documents state types and bounds,
# not every rule (a phone number's characters, a stage of this job), so these would report the documents' brevity.
NOT_OURS = [checks.positive_data_acceptance, checks.negative_data_rejection]


@schemathesis.check
def client_errors_are_problem_documents(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is an RFC 9457 problem document naming its status (but the token endpoint's, which RFC 6749 shapes)."""
    if not 400 <= response.status_code < 500 or case.path == "/oauth/token":
        return None
    ctype = response.headers.get("content-type", [""])[0]
    assert ctype.startswith("application/problem+json"), f"{response.status_code} answered as {ctype!r}"
    body = response.json()
    assert isinstance(body, dict) and body.get("status") == response.status_code and body.get("title"), body
    return True


def fuzz(proc: ServiceProcess, admin: dict[str, str]) -> None:
    """Every operation of the service's document, with valid and with invalid input; all failures at once."""
    schema = schemathesis.openapi.from_url(f"{proc.url}/openapi.json")
    failures = []
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                case.call_and_validate(base_url=proc.url, headers={**(case.headers or {}), **admin}, timeout=30,
                                       excluded_checks=NOT_OURS)
            try:
                one()
            except Unsatisfiable:
                pass  # nothing to make invalid (an operation without parameters or body)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every finding, reported together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, f"{len(failures)} findings:\n\n" + "\n\n".join(failures)


def test_every_ats_operation_keeps_its_contract_whatever_it_is_sent(fuzz_stack: Any) -> None:
    fuzz(fuzz_stack.ats, fuzz_stack.admin)


def test_every_crm_operation_keeps_its_contract_whatever_it_is_sent(fuzz_stack: Any) -> None:
    fuzz(fuzz_stack.crm, fuzz_stack.admin)


def test_every_gateway_operation_keeps_its_contract_whatever_it_is_sent(fuzz_stack: Any) -> None:
    fuzz(fuzz_stack.gateway, fuzz_stack.admin)
