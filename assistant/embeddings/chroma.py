"""Chroma adapter: wraps any registered embedder so Chroma can store and rebuild it.

Chroma persists ``name()`` and ``get_config()`` with each collection. Because the class is
registered with ``@register_embedding_function``, a later process that has imported this
module can call ``client.get_collection(name)`` without ``embedding_function=`` and still use
``query_texts``: Chroma calls :meth:`ChromaEmbeddingFunction.build_from_config`, which
rebuilds the embedder by name and refuses to run if its fingerprint no longer matches the one
stored (for example after a model package upgrade), so old and new vectors never mix.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from .base import Embedder, EmbeddingModelError, get_embedder


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """A Chroma embedding function backed by one of this project's embedders."""

    def __init__(
        self,
        embedder: str,
        options: dict[str, Any] | None = None,
        instance: Embedder | None = None,
    ) -> None:
        """Wrap ``instance``, or build ``get_embedder(embedder, **options)`` when it is None."""
        self._embedder_name = embedder
        self._options = dict(options or {})
        self._embedder = (
            instance if instance is not None else get_embedder(embedder, **options or {})
        )

    @property
    def embedder(self) -> Embedder:
        """The wrapped embedder."""
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents for ``add``/``upsert``."""
        return list(self._embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        """Embed ``query_texts`` (Chroma passes a list) with the embedder's query path."""
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        """The name Chroma stores with the collection."""
        return "review_assistant_embedder"

    def get_config(self) -> dict[str, Any]:
        """JSON-safe config stored by Chroma; the embedder's options never hold secrets."""
        return {
            "embedder": self._embedder_name,
            "options": self._options,
            "fingerprint": self._embedder.fingerprint(),
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        """Rebuild from a stored config; fail if the rebuilt embedder makes different vectors."""
        function = ChromaEmbeddingFunction(config["embedder"], config.get("options") or {})
        stored = config.get("fingerprint")
        current = function.embedder.fingerprint()
        if stored is not None and stored != current:
            raise EmbeddingModelError(
                f"this collection was embedded with {stored}, but the installed embedder is "
                f"{current}; re-index the reports (or reinstall the model the index was built with)"
            )
        return function

    def default_space(self) -> Space:
        """Vectors are L2-normalised, so cosine is the natural distance."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """On unit vectors all three rank alike; cosine is preferred."""
        return ["cosine", "ip", "l2"]

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        """Refuse to swap in an embedder that makes different vectors for an existing collection."""
        if old_config.get("fingerprint") != new_config.get("fingerprint"):
            raise ValueError(
                "cannot change the embedding model of an existing collection "
                f"({old_config.get('fingerprint')} -> {new_config.get('fingerprint')}); re-index"
            )


def chroma_embedding_function(embedder: Embedder) -> ChromaEmbeddingFunction:
    """Wrap an embedder whose ``config()`` rebuilds it, so Chroma can persist the function."""
    config = getattr(embedder, "config", None)
    if config is None:
        raise TypeError(
            f"embedder {embedder.name!r} has no config() method, so Chroma could not rebuild it "
            "in another process; add config() returning the options for get_embedder()"
        )
    return ChromaEmbeddingFunction(embedder.name, config(), instance=embedder)
