"""The field policy is cached per process: the hot path does not query it per event, a change made on this replica
applies at once, and a change made on another replica applies within `max_age` (a second by default)."""
from shared_schemas.policy import OwnershipMode
from sync_gateway.policy import service
from sync_gateway.policy.store import PolicyCache
from talent_dev.testing import statements_sent
from talentkit.auth import Principal, RequestContext


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_policy_is_read_at_most_once_per_max_age_and_a_change_applies_within_it(start_gateway):
    async with start_gateway("policy_cache", resync_runner_enabled=False, relay_enabled=False) as gw:
        def reads() -> list[str]:  # the reads of the whole policy, not the change's own
            return [s.sql for s in sent
                    if s.sql.startswith("SELECT") and "field_policy_overrides" in s.sql and "FOR UPDATE" not in s.sql]

        with statements_sent(gw.app.state.engine) as sent:
            clock = Clock()
            here, elsewhere = PolicyCache(max_age=1.0, clock=clock), PolicyCache(max_age=1.0, clock=clock)
            uows = gw.app.state.uow_factory
            async with uows() as uow:
                for _ in range(50):  # fifty events in the same second
                    assert (await here.current(uow.session)).mode("headline") is OwnershipMode.TWO_WAY
            assert len(reads()) == 1

            ctx = RequestContext(principal=Principal(id="admin", scopes=frozenset({"*"})))
            async with uows(ctx) as uow:  # a change made on another replica
                await service.change(uow=uow, cache=elsewhere, field="headline", mode=OwnershipMode.NONE, ctx=ctx)
                await uow.commit()
            clock.now += 0.5
            async with uows() as uow:
                assert (await here.current(uow.session)).mode("headline") is OwnershipMode.TWO_WAY  # not yet re-read
                assert len(reads()) == 1
                clock.now += 0.5
                assert (await here.current(uow.session)).mode("headline") is OwnershipMode.NONE  # a second after the read
                assert len(reads()) == 2


async def test_a_change_made_through_the_api_applies_at_once_on_the_replica_that_made_it(start_gateway):
    async with start_gateway("policy_cache_api", resync_runner_enabled=False) as gw:
        cache = gw.app.state.gateway.policy
        cache.max_age = 3600.0  # only the change's own invalidation can refresh it
        async with gw.app.state.uow_factory() as uow:
            assert (await cache.current(uow.session)).mode("location") is OwnershipMode.TWO_WAY
        assert (await gw.client.put("/v1/field-policy/location", json={"mode": "ats"})).status_code == 200
        async with gw.app.state.uow_factory() as uow:
            assert (await cache.current(uow.session)).mode("location") is OwnershipMode.ATS
        shown = {p["field"]: p["mode"] for p in (await gw.client.get("/v1/field-policy")).json()}
        assert shown["location"] == "ats"
