"""The embedder interface, the name registry and small numeric helpers.

Every embedder returns float32, L2-normalised vectors, so a dot product is a cosine.
Implementations register themselves by name with :func:`register_embedder`; callers resolve
them with :func:`get_embedder` (the fake ``hash`` embedder used by tests is registered the
same way as the real model).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

Progress = Callable[[int], None]


class EmbeddingModelError(RuntimeError):
    """An embedding model cannot be loaded or called; the message says what to do next."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32, L2-normalised vectors of a fixed dimension."""

    name: str
    dim: int

    def fingerprint(self) -> str:
        """Identify the vectors (model id, file hash, settings); equal ones, equal vectors."""
        ...

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Embed texts as a float32 array of shape [n, dim]; progress(k) gets texts done so far."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query as a float32 vector of shape [dim]."""
        ...


# Optional extra used by the Chroma adapter: ``config() -> dict`` returning JSON-safe options
# such that ``get_embedder(embedder.name, **embedder.config())`` rebuilds an equal embedder.
# Secrets (API keys) must never appear in it, because Chroma stores it in its database.

E = TypeVar("E")
_REGISTRY: dict[str, Callable[..., Embedder]] = {}


def register_embedder(name: str) -> Callable[[E], E]:
    """Class decorator: make ``get_embedder(name, **options)`` build ``cls(**options)``."""

    def decorate(factory: E) -> E:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"embedder name {name!r} is already registered")
        _REGISTRY[name] = factory  # type: ignore[assignment]
        return factory

    return decorate


def available_embedders() -> list[str]:
    """The registered embedder names, sorted."""
    return sorted(_REGISTRY)


def get_embedder(name: str, **options: Any) -> Embedder:
    """Build the embedder registered as ``name`` with ``options``.

    Raises ValueError naming the known embedders when ``name`` is unknown. Building is cheap:
    model files are loaded on first use.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(available_embedders()) or "(none)"
        raise ValueError(f"unknown embedder {name!r}; known embedders: {known}") from None
    return factory(**options)


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length as float32; all-zero rows (empty texts) stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    # Dividing by 1 keeps zero rows at zero instead of turning them into NaN.
    return matrix / np.where(norms == 0, 1.0, norms).astype(np.float32)


def batched(items: Sequence[Any], size: int) -> Iterator[tuple[int, Sequence[Any]]]:
    """Yield ``(start, items[start:start + size])`` over the sequence."""
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
