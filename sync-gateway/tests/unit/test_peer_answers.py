"""How the gateway reads a peer's refusals: a write that lost a race there (409 `concurrent-change`, nothing stored)
is retried like an unavailable peer but is not an outage; any other 409 is a refusal for good."""
import httpx
import pytest
from sync_gateway.clients.peer import PeerClient, PeerRaced, PeerRejected, PeerUnavailable
from sync_gateway.container import is_outage, is_transient

RACED = {"type": "/problems/concurrent-change", "title": "Concurrent change", "status": 409}
MERGED = {"type": "/problems/conflict", "title": "Conflict", "status": 409}


def client(status: int, body: dict) -> PeerClient:
    peer = PeerClient(side="crm", base_url="http://crm.test", collection="/v1/prospects", api_key="k")
    peer.http = httpx.AsyncClient(base_url="http://crm.test", transport=httpx.MockTransport(
        lambda request: httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})))
    return peer


@pytest.mark.parametrize(("status", "body", "error"), [(409, RACED, PeerRaced), (409, MERGED, PeerRejected),
                                                       (503, {}, PeerUnavailable), (422, {}, PeerRejected)])
async def test_a_refusal_is_classified_by_its_status_and_problem_type(status, body, error):
    with pytest.raises(error) as raised:
        await client(status, body).post("/v1/prospects/1/status-events", {"stage": "applied"}, idempotency_key="k1", causation_id="e1")
    assert is_transient(raised.value) == (error in (PeerRaced, PeerUnavailable))
    assert is_outage(raised.value) == (error is PeerUnavailable)  # a lost race holds back no one else
