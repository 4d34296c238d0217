"""Background embeddings run in another, lower-priority process: another pid, a higher niceness, BLAS limited to
one thread before numpy was imported there, the same vectors as the in-process model, and a killed child is
replaced by the next call."""
import asyncio
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from talentkit.embedding_process import THREAD_LIMITS, BackgroundEmbedder, _facts
from talentkit.embeddings import DIMENSIONS, embedder

TEXTS = ["Senior Python backend engineer", "Registered nurse in a hospital ward", "", "data scientist, NLP"]


@pytest.fixture
def background():
    background = BackgroundEmbedder(nice=5)
    yield background
    background.close()


async def facts(background: BackgroundEmbedder) -> dict:
    return await asyncio.get_running_loop().run_in_executor(background._executor(), _facts)


async def test_nothing_is_started_until_something_is_embedded(background):
    assert (await background.embed([])).shape == (0, DIMENSIONS)
    assert background._pool is None and background.pid() is None


async def test_the_child_is_another_lower_priority_process_giving_the_same_vectors(background):
    vectors = await background.embed(TEXTS)
    child = await facts(background)
    assert child["pid"] != os.getpid() and child["pid"] == background.pid()
    assert child["nice"] == os.nice(0) + 5
    if os.path.exists("/proc/self/autogroup"):  # the kernel shares CPU by session first: the child has its own
        ours = Path("/proc/self/autogroup").read_text().strip()
        assert child["autogroup"] != ours and child["autogroup"].endswith("nice 5"), (child["autogroup"], ours)
    assert child["env"] == {name: "1" for name in THREAD_LIMITS}
    assert child["numpy_before_start"] is False  # the limits were in place before its BLAS started
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), DIMENSIONS)
    assert np.allclose(vectors, embedder().embed(TEXTS), atol=1e-5)


async def test_a_killed_child_is_replaced_by_the_next_call(background):
    first = await background.embed(TEXTS[:1])
    pid = background.pid()
    os.kill(pid, signal.SIGKILL)
    again = await background.embed(TEXTS[:1])
    assert background.pid() not in (None, pid)
    assert np.allclose(again, first, atol=1e-5)


async def test_close_stops_the_child_and_a_later_call_starts_a_new_one(background):
    await background.embed(TEXTS[:1])
    pid = background.pid()
    await asyncio.to_thread(background.close)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert (await background.embed(TEXTS[:1])).shape == (1, DIMENSIONS)
    assert background.pid() != pid
