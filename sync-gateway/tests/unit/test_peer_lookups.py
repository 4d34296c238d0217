"""Looking up many people by email: the addresses are split so that no request line grows past what servers take."""
from sync_gateway.clients.peer import _url_sized


def test_addresses_are_grouped_under_the_url_budget_and_the_api_limit_keeping_every_one():
    short = [f"p{i}@x.io" for i in range(450)]
    groups = _url_sized(short, limit=100_000)
    assert [len(g) for g in groups] == [200, 200, 50] and [a for g in groups for a in g] == short  # the API's 200 per request
    long = [f"{'x' * 200}{i}@example.com" for i in range(30)]
    groups = _url_sized(long, limit=6000)
    assert all(sum(len(a) * 3 + 7 for a in g) <= 6000 for g in groups) and [a for g in groups for a in g] == long
    assert _url_sized([]) == []
