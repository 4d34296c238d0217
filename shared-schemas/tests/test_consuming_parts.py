"""The parallel consumer's bookkeeping on its own: per-key queues, offsets at the lowest unfinished record, the
outage circuit. (The whole consumer runs against real Kafka and PostgreSQL in test_platform_parallel_consumer.)"""
from aiokafka import ConsumerRecord
from shared_schemas.envelope import EventEnvelope
from talentkit.consuming.circuit import Circuit
from talentkit.consuming.offsets import PartitionOffsets
from talentkit.consuming.queues import KeyedQueues, Work


def work(key: str, offset: int, partition: int = 0) -> Work:
    record = ConsumerRecord(topic="t", partition=partition, offset=offset, timestamp=0, timestamp_type=0,
                            key=key.encode(), value=b"{}", checksum=None, serialized_key_size=1,
                            serialized_value_size=2, headers=())
    return Work(record=record, key=key, event=EventEnvelope(source="/t", type="t.v1", subject=key, sequence=offset, data={}))


def test_the_committable_offset_is_the_lowest_unfinished_record():
    offsets = PartitionOffsets()
    assert offsets.committable() is None  # nothing taken: nothing to commit
    for offset in (10, 11, 12, 14):  # 13 is a gap (a transaction marker, a compacted record)
        assert offsets.take(offset)
    offsets.finish(11)
    offsets.finish(14)
    assert offsets.committable() == 10 and offsets.unfinished == 2
    offsets.finish(10)
    assert offsets.committable() == 12
    offsets.finish(12)
    assert offsets.committable() == 15 and offsets.unfinished == 0


def test_an_offset_taken_twice_is_refused():
    offsets = PartitionOffsets()
    assert offsets.take(5) and offsets.take(6)
    assert not offsets.take(6) and not offsets.take(3)
    assert offsets.unfinished == 2


def test_only_a_keys_head_is_handed_out_and_the_next_follows_when_it_is_done():
    queues = KeyedQueues()
    a1, a2, b1 = work("a", 1), work("a", 2), work("b", 3)
    for w in (a1, a2, b1):
        queues.push(w)
    first = queues.pop_ready()
    assert first is a1
    first.state = "running"
    assert queues.pop_ready() is b1
    b1.state = "running"
    assert queues.pop_ready() is None  # a2 waits behind a1
    queues.remove(a1)
    assert queues.pop_ready() is a2


def test_a_waiting_head_comes_back_when_requeued():
    queues = KeyedQueues()
    a1, a2 = work("a", 1), work("a", 2)
    queues.push(a1)
    queues.push(a2)
    assert queues.pop_ready() is a1
    a1.state = "waiting"  # backing off after a transient failure
    assert queues.pop_ready() is None
    queues.requeue(a1)
    assert queues.pop_ready() is a1


def test_dropping_a_partition_keeps_running_events_and_promotes_the_next_head():
    queues = KeyedQueues()
    running, doomed_head, kept = work("a", 1, partition=1), work("b", 2, partition=1), work("b", 3, partition=0)
    behind = work("a", 4, partition=1)
    for w in (running, doomed_head, kept, behind):
        queues.push(w)
    assert queues.pop_ready() is running
    running.state = "running"
    dropped = queues.drop(lambda w: w.record.partition == 1)
    assert set(dropped) == {doomed_head, behind}
    assert queues.pop_ready() is kept  # b's next event, from a partition still ours
    queues.remove(running)
    assert queues.queues == {"b": queues.queues["b"]} and list(queues.queues["b"]) == [kept]


def test_the_circuit_rotates_probes_and_returns_everything_held_when_it_closes():
    circuit = Circuit(base_delay=0.5, max_delay=4)
    a, b = work("a", 1), work("b", 2)
    assert circuit.hold(a) and circuit.open  # the first outage opens it
    assert not circuit.hold(b)
    probe = circuit.next_probe()
    assert probe is a and circuit.next_probe() is a  # one probe at a time
    circuit.probing = None
    circuit.hold(a)  # the probe failed: back of the line
    assert circuit.next_probe() is b
    epoch = circuit.epoch
    assert set(circuit.close()) == {a} and not circuit.open and circuit.epoch == epoch + 1


def test_probe_delays_grow_to_the_cap():
    circuit = Circuit(base_delay=0.5, max_delay=4)
    delays = []
    for failed in range(6):
        circuit.failed_probes = failed
        delays.append(circuit.probe_delay())
    assert 0.25 <= delays[0] <= 0.5
    assert all(2 <= d <= 4 for d in delays[3:])
