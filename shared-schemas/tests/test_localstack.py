"""The local stack the whole suite runs on: PostgreSQL (with pgvector) and Kafka, real ones."""
import asyncio
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from talent_dev.testing import free_port


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
