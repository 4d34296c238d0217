"""The numpy forward pass of all-MiniLM-L6-v2 gives what sentence-transformers gives (reference vectors computed
once with sentence-transformers 5 on PyTorch, from the same packaged weights, kept in data/)."""
import json
from pathlib import Path

import numpy as np
from talentkit.embeddings import DIMENSIONS, embedder

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


def test_vectors_match_the_sentence_transformers_reference():
    vectors = embedder().embed(REFERENCE["texts"])
    reference = np.array(REFERENCE["vectors"], dtype=np.float32)
    assert vectors.shape == (len(REFERENCE["texts"]), DIMENSIONS)
    assert np.abs(vectors - reference).max() < 1e-4
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_and_order_do_not_change_a_vector():
    texts = ["python developer", "a much longer text about registered nurses in intensive care", "x"]
    alone = np.vstack([embedder().embed([t]) for t in texts])
    together = embedder().embed(list(reversed(texts)))[::-1]
    assert np.abs(alone - together).max() < 1e-5


def test_related_jobs_are_closer_than_unrelated_ones():
    python, django, nurse = embedder().embed(["Senior Python backend engineer", "Experienced Django developer",
                                              "Registered nurse in a hospital ward"])
    assert python @ django > python @ nurse + 0.2
