"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, Ollama, ...).

The API key is read from the ``api_key`` option or from the environment variable named by
``api_key_env`` and is never part of :meth:`OpenAIEmbedder.config`, because Chroma stores that
config in its database.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .base import EmbeddingModelError, Progress, batched, l2_normalise, register_embedder


@register_embedder("openai")
class OpenAIEmbedder:
    """Calls ``embeddings.create`` in batches; vectors are L2-normalised locally."""

    name = "openai"

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        dim: int | None = None,
        send_dimensions: bool = False,
        batch_size: int = 64,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/") if base_url else None
        self.api_key_env = api_key_env
        self._api_key = api_key
        self._dim = dim
        # Only models such as text-embedding-3-* accept `dimensions`; most local servers
        # reject it, so it is sent only on request.
        self.send_dimensions = send_dimensions
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self._client: Any = None

    def config(self) -> dict[str, Any]:
        """Options that rebuild this embedder (used by the Chroma adapter); no secrets."""
        return {
            "model": self.model,
            "base_url": self.base_url,
            "api_key_env": self.api_key_env,
            "dim": self._dim,
            "send_dimensions": self.send_dimensions,
            "batch_size": self.batch_size,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    @property
    def dim(self) -> int:
        """The vector size: the ``dim`` option, else measured with one request on first use."""
        if self._dim is None:
            self._dim = int(self._request(["dimension probe"]).shape[1])
        return self._dim

    def fingerprint(self) -> str:
        """Endpoint + model (+ requested dimensions): what decides the vectors."""
        endpoint = self.base_url or "openai-package-default"  # the client's own base URL
        dims = f":dim={self._dim}" if self.send_dimensions and self._dim else ""
        return f"openai:{endpoint}:{self.model}{dims}"

    def _client_or_raise(self) -> Any:
        if self._client is None:
            import openai

            key = self._api_key or os.environ.get(self.api_key_env)
            if not key:
                if self.base_url is None:
                    raise EmbeddingModelError(
                        f"set {self.api_key_env} (or pass api_key) to use OpenAI embeddings, "
                        "or set base_url to a local OpenAI-compatible server"
                    )
                key = "not-needed"  # local servers (Ollama, llama.cpp) ignore the key
            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=key,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client

    def _request(self, texts: list[str]) -> np.ndarray:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.send_dimensions and self._dim:
            kwargs["dimensions"] = self._dim
        try:
            response = self._client_or_raise().embeddings.create(**kwargs)
        except openai.APIConnectionError as exc:
            raise EmbeddingModelError(
                f"cannot reach the embeddings endpoint {self.base_url or 'by default'}: "
                f"{exc}; check base_url and that the server is running (a retry may help)"
            ) from exc
        except openai.APIStatusError as exc:
            raise EmbeddingModelError(
                f"the embeddings endpoint refused model {self.model!r} with HTTP "
                f"{exc.status_code}: {exc.message}"
            ) from exc
        # Servers are not obliged to keep input order; `index` is authoritative.
        rows = sorted(response.data, key=lambda item: item.index)
        if len(rows) != len(texts):
            raise EmbeddingModelError(
                f"the embeddings endpoint returned {len(rows)} vectors for {len(texts)} texts"
            )
        return np.asarray([row.embedding for row in rows], dtype=np.float32)

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Embed texts in batches of ``batch_size``; returns float32 [n, dim].

        Blank texts get zero rows without a request (the OpenAI API rejects empty input).
        """
        wanted = [i for i, text in enumerate(texts) if text.strip()]
        parts = []
        for _, batch in batched(wanted, self.batch_size):
            vectors = self._request([texts[i] for i in batch])
            if self._dim is None:
                self._dim = vectors.shape[1]
            elif vectors.shape[1] != self._dim:
                raise EmbeddingModelError(
                    f"model {self.model!r} returned {vectors.shape[1]}-d vectors, expected "
                    f"{self._dim}; fix the dim option"
                )
            parts.append(vectors)
            # Blank texts before the batch's end count as done too.
            if progress is not None and batch[-1] + 1 < len(texts):
                progress(batch[-1] + 1)
        out = np.zeros((len(texts), self._dim or 0), dtype=np.float32)
        if parts:
            out[wanted] = np.concatenate(parts)
        if progress is not None and texts:
            progress(len(texts))
        return l2_normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns float32 [dim]."""
        return self.embed_documents([text])[0]
