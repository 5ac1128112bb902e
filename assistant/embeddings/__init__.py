"""Text embedders, resolved by name: ``minilm``, ``static``, ``hash``, ``openai``.

Importing this package is cheap (numpy only); models load on first use. The Chroma adapter
lives in :mod:`assistant.embeddings.chroma` and is imported lazily because chromadb takes
about 2 s to import; import that module (or call :func:`chroma_embedding_function`) before
``get_collection`` so Chroma can rebuild the stored embedding function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import hashing, minilm, openai_compat, static  # noqa: F401  (registers the embedders)
from .base import (
    Embedder,
    EmbeddingModelError,
    available_embedders,
    get_embedder,
    l2_normalise,
    register_embedder,
)

if TYPE_CHECKING:
    from .chroma import ChromaEmbeddingFunction

__all__ = [
    "ChromaEmbeddingFunction",
    "Embedder",
    "EmbeddingModelError",
    "available_embedders",
    "chroma_embedding_function",
    "get_embedder",
    "l2_normalise",
    "register_embedder",
]


def chroma_embedding_function(embedder: Embedder) -> ChromaEmbeddingFunction:
    """Wrap an embedder as a Chroma embedding function that Chroma can persist and rebuild."""
    from .chroma import chroma_embedding_function as build

    return build(embedder)


def __getattr__(name: str) -> Any:
    # Lazy attribute so `from assistant.embeddings import ChromaEmbeddingFunction` works
    # without every importer paying for chromadb.
    if name == "ChromaEmbeddingFunction":
        from .chroma import ChromaEmbeddingFunction

        return ChromaEmbeddingFunction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
