"""A deterministic stand-in embedder for tests: hashed words and character trigrams.

No model, no randomness that varies between processes (blake2b, not ``hash()``), and texts
that share words get similar vectors, so retrieval tests behave sensibly.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

from .base import Progress, l2_normalise, register_embedder

_WORD = re.compile(r"\w+", re.UNICODE)


def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """Hash a feature to a (bucket, ±1) pair; the sign halves collision bias."""
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


@register_embedder("hash")
class HashEmbedder:
    """Bag of lower-cased words plus character trigrams, hashed into ``dim`` buckets."""

    name = "hash"

    def __init__(self, dim: int = 384, trigram_weight: float = 0.5) -> None:
        if dim < 8:
            raise ValueError("hash embedder dim must be at least 8")
        self.dim = int(dim)
        self.trigram_weight = float(trigram_weight)

    def config(self) -> dict[str, Any]:
        """Options that rebuild this embedder (used by the Chroma adapter)."""
        return {"dim": self.dim, "trigram_weight": self.trigram_weight}

    def fingerprint(self) -> str:
        """Algorithm version and parameters."""
        return f"hash:v1:dim={self.dim}:tri={self.trigram_weight:g}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket, sign = _bucket("w:" + word, self.dim)
            vec[bucket] += sign
            padded = f"#{word}#"
            for i in range(len(padded) - 2):
                bucket, sign = _bucket("t:" + padded[i : i + 3], self.dim)
                vec[bucket] += sign * self.trigram_weight
        return vec

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Embed texts; returns float32 [n, dim] (zero rows for texts without words)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
            if progress is not None and ((i + 1) % 256 == 0 or i + 1 == len(texts)):
                progress(i + 1)
        return l2_normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns float32 [dim]."""
        return l2_normalise(self._vector(text))
