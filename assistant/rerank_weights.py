"""The fitted weights of the learned page order (assistant/page_rerank.py), per embedder.

Stored as assistant/retrieval_weights/page-rerank__<embedder>.json by
`python -m assistant.evaluation.rerank_fit --write`; a module without project imports, so the
settings can name the weights' version in the settings hash (a refit changes the evidence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "retrieval_weights"


@dataclass(frozen=True)
class RerankWeights:
    """Fitted weights: one per feature, and per question for some features."""

    version: str
    base: dict[str, float]
    per_question: dict[str, dict[str, float]]

    def score(self, question_id: str, features: dict[str, float]) -> float:
        own = self.per_question.get(question_id, {})
        return sum(w * features.get(k, 0.0) for k, w in self.base.items()) + sum(
            w * features.get(k, 0.0) for k, w in own.items()
        )


def weights_path(embedder: str, folder: Path | None = None) -> Path:
    return (folder or WEIGHTS_DIR) / f"page-rerank__{embedder}.json"


@lru_cache(maxsize=8)
def load_weights(embedder: str, folder: Path | None = None) -> RerankWeights | None:
    """The fitted weights for an embedder, or None (then pages keep the fused order)."""
    path = weights_path(embedder, folder)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return RerankWeights(data["version"], data["base"], data.get("per_question", {}))
