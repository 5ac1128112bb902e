"""Calibrated confidence: the estimated probability that a careful auditor gives the same answer.

An engine's raw confidence is not a probability. A calibration maps what the engine knows about
a draft — the question, the rule that decided it (offline engine) or the self-reported
confidence (LLM engine) — to the share of auditor agreement seen on labelled reports for drafts
like it. The estimate is hierarchical, so sparse cells borrow from their parents:

    rule cell (question, rule, answer)  ←  question  ←  answer type  ←  all drafts

each level a Beta-smoothed rate shrunk towards the level above (`PRIOR` pseudo-counts).

A calibration belongs to one engine and model, carries a version, and is fitted by
`assistant/evaluation/calibration_fit.py`
on labelled data (generated year and dev set). An engine and model
without a fitted calibration keeps its own confidence and its drafts say "uncalibrated".
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNCALIBRATED = "uncalibrated"
PRIOR = 4.0  # pseudo-counts a cell borrows from its parent
DATA_DIR = Path(__file__).with_name("calibrations")


def answer_key(answer: Any) -> str:
    """The answer part of a rule cell: the value for single choices, a size for the rest."""
    if isinstance(answer, list):
        return f"{min(len(answer), 4)} option(s)"
    if isinstance(answer, bool) or answer is None:
        return str(answer)
    if isinstance(answer, int | float):
        return "number"
    return str(answer)


def cell_keys(question_id: str, answer_type: str, rule: str, answer: Any) -> list[str]:
    """From the most general level to the most specific."""
    return [
        "*",
        f"type={answer_type}",
        f"q={question_id}",
        f"q={question_id}|rule={rule}|answer={answer_key(answer)}",
    ]


@dataclass
class Calibration:
    """Agreement counts per cell for one engine and model."""

    engine: str
    model: str
    version: str
    counts: dict[str, list[float]] = field(default_factory=dict)  # cell → [agreed, n]
    fitted_on: list[str] = field(default_factory=list)

    def probability(self, question_id: str, answer_type: str, rule: str, answer: Any) -> float:
        p = 0.5
        for key in cell_keys(question_id, answer_type, rule, answer):
            agreed, n = self.counts.get(key, (0.0, 0.0))
            p = (agreed + PRIOR * p) / (n + PRIOR)
        return round(p, 3)

    @classmethod
    def fit(cls, engine: str, model: str, version: str, rows, fitted_on=()) -> Calibration:
        """rows: (question_id, answer_type, rule, answer, agreed) for labelled drafts."""
        counts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for qid, answer_type, rule, answer, agreed in rows:
            for key in cell_keys(qid, answer_type, rule, answer):
                counts[key][0] += float(bool(agreed))
                counts[key][1] += 1.0
        return cls(engine, model, version, dict(sorted(counts.items())), list(fitted_on))

    def to_json(self) -> dict:
        return {
            "engine": self.engine,
            "model": self.model,
            "version": self.version,
            "prior": PRIOR,
            "fitted_on": self.fitted_on,
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        return cls(
            data["engine"], data["model"], data["version"], data["counts"], data["fitted_on"]
        )


def path_for(engine: str, model: str | None, data_dir: Path | None = None) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{engine}__{model}")
    return (data_dir or DATA_DIR) / f"{safe}.json"


def load_calibration(engine: str, model: str | None, data_dir: Path | None = None):
    """The fitted calibration of an engine and model, or None."""
    path = path_for(engine, model, data_dir)
    if not path.is_file():
        return None
    cal = _read(path, path.stat().st_mtime_ns)
    return cal if (cal.engine, cal.model) == (engine, model) else None


@functools.lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int) -> Calibration:
    return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))


def calibrate(engine: str, model: str | None, question, result) -> tuple[float, str]:
    """(confidence, calibration version) for an answered draft; the raw confidence and
    'uncalibrated' when no calibration exists for this engine and model."""
    cal = load_calibration(engine, model)
    if cal is None:
        return float(result.confidence or 0.0), UNCALIBRATED
    rule = str(result.features.get("rule", "")) or _llm_rule(result.confidence)
    p = cal.probability(question.id, question.answer_type.value, rule, result.answer)
    return p, cal.version


def _llm_rule(confidence: float | None) -> str:
    """An LLM's self-reported confidence, in fifths, as its rule cell."""
    value = float(confidence or 0.0)
    return f"self-reported {min(int(value * 5), 4) / 5:.1f}"
