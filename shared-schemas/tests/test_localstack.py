"""The local stack the whole suite runs on: PostgreSQL (with pgvector) and Kafka, real ones."""
import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from alembic.script import ScriptDirectory
from talent_dev.testing import free_port
from talent_dev.testing.databases import MAX_NAME, database_name


async def test_fresh_database_is_usable_and_has_pgvector(talent_stack):
    url = talent_stack.fresh_database("localstack_probe")
    assert url.startswith("postgresql+asyncpg://postgres@127.0.0.1:") and url.endswith("/localstack_probe")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await conn.fetchval("SELECT 1") == 1
        await conn.execute("CREATE EXTENSION vector")
        await conn.execute("CREATE TABLE t (id int, v vector(3))")
        await conn.execute("INSERT INTO t VALUES (1, '[1,2,3]')")
    finally:
        await conn.close()
    # fresh means fresh: the table is gone after a second call
    talent_stack.fresh_database("localstack_probe")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await conn.fetchval("SELECT to_regclass('t')") is None
    finally:
        await conn.close()


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_databases_copied_from_the_template_are_migrated_apart_from_each_other_and_gone_after_their_block(
        talent_stack):
    heads = ScriptDirectory(str(talent_stack.repo_root / "ats-service" / "migrations")).get_heads()
    with (talent_stack.database("ats-service", "localstack", "copy_a") as a,
          talent_stack.database("ats-service", "localstack", "copy_b") as b):
        assert a.endswith("/localstack_copy_a") and b.endswith("/localstack_copy_b")
        first, second = await asyncpg.connect(plain(a)), await asyncpg.connect(plain(b))
        try:
            for conn in (first, second):
                assert [r["version_num"] for r in await conn.fetch("SELECT version_num FROM alembic_version")] == heads
            await first.execute("CREATE TABLE only_in_a (id int)")
            assert await second.fetchval("SELECT to_regclass('only_in_a')") is None
        finally:
            await first.close()
            await second.close()
        with pytest.raises(ValueError, match="in use"), talent_stack.database("ats-service", "localstack", "copy_a"):
            pass
    admin = await asyncpg.connect(talent_stack.admin_url)
    try:
        left = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'localstack_copy_%'")
        template = await admin.fetchrow("SELECT datistemplate, datallowconn FROM pg_database WHERE datname = 'tmpl_ats'")
    finally:
        await admin.close()
    assert left == []
    assert tuple(template) == (True, False)  # copied only while no one is connected: no one can connect


def test_database_names_are_valid_and_long_ones_stay_apart():
    assert database_name("ats", "test_candidates_api") == "ats_test_candidates_api"
    assert database_name("platform", "test_x", "test_y[ats-1]") == "platform_test_x_test_y_ats_1"
    long_a, long_b = database_name("x" * 80, "a"), database_name("x" * 80, "b")
    assert long_a != long_b and len(long_a) == len(long_b) == MAX_NAME


async def test_kafka_produce_consume_round_trip(talent_stack):
    topic = f"test.localstack.{uuid.uuid4().hex}"
    producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        for i in range(3):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=b"same-key")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=talent_stack.kafka_bootstrap,
                                group_id=f"g-{uuid.uuid4().hex}", auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        got = []
        while len(got) < 3:
            msg = await asyncio.wait_for(consumer.getone(), 30)
            got.append(msg.value)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert got == [b"m0", b"m1", b"m2"]  # one key, one partition: order kept


def test_free_port_avoids_the_dev_stack_ports():
    ports = {free_port() for _ in range(20)}
    assert not ports & {8001, 8002, 8003, 9092, 9093, 54320}
