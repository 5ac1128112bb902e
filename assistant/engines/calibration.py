"""Calibrated confidence: the estimated probability that a careful auditor gives the same answer.

An engine's raw confidence is not a probability. A calibration maps what the engine knows about
a draft to the share of auditor agreement seen on labelled reports for drafts like it. The cells
are coarse, so they hold across reports written by others: the answer type, the strength of the
rule that decided it (offline engine: the rule's family without its cue counts, "scoped options
x3" → "scoped options"; LLM engine: the self-reported confidence in fifths) and the answer:

    answer type × rule strength × answer  ←  answer type × rule strength  ←  answer type  ←  all

each level a Beta-smoothed rate shrunk towards the level above (`PRIOR` pseudo-counts). A second,
optional branch, answer type ← question, moves the estimate on the logit scale by
`question_weight` times the question's own departure from its answer type (0: questions are not
told apart; the fit chooses the weight by cross-validation across reports).

The level can then be refitted (`recalibration`: an intercept and slope on the logit scale) on
reports written independently of the generator, which the engine gets right more often than
the generated year: the generated year sets the order, those reports the level.

A calibration belongs to one engine and model, carries a version, and is fitted by
`assistant/evaluation/calibration_fit.py`
on labelled data (generated year and dev set). An engine and model
without a fitted calibration keeps its own confidence and its drafts say "uncalibrated".
"""

from __future__ import annotations

import functools
import json
import math
import re
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


def strength(rule: str) -> str:
    """A rule's family without its counts: 'scoped options x3' → 'scoped options',
    'level 2' → 'level'; no rule → 'none'."""
    return re.sub(r"\s*(?:x\d+|\d+)$", "", str(rule or "")).strip() or "none"


def evidence_key(features: dict | None) -> str | None:
    """The strength of a draft's evidence, coarse enough to hold across reports: how many
    distinct sentences support the answer (none, one, two or three, four and more) and
    whether they sit on one page or several. None when the engine reports no such count."""
    if not features or "n_support" not in features:
        return None
    n = int(features.get("n_support") or 0)
    size = "0" if n == 0 else "1" if n == 1 else "2-3" if n <= 3 else "4+"
    pages = int(features.get("n_pages") or 0)
    return f"{size}/{'1p' if pages <= 1 else 'np'}"


def cell_keys(
    question_id: str, answer_type: str, rule: str, answer: Any, evidence: str | None = None
) -> list[str]:
    """The rule branch, from the most general level to the most specific (the evidence
    strength, when known, the last level)."""
    family = strength(rule)
    keys = [
        "*",
        f"type={answer_type}",
        f"type={answer_type}|rule={family}",
        f"type={answer_type}|rule={family}|answer={answer_key(answer)}",
    ]
    if evidence:
        keys.append(f"{keys[-1]}|evidence={evidence}")
    return keys


def question_key(question_id: str) -> str:
    return f"q={question_id}"


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def recalibrated(p: float, intercept_slope: tuple[float, float]) -> float:
    a, b = intercept_slope
    if (a, b) == (0.0, 1.0):
        return p
    return 1 / (1 + math.exp(-(a + b * _logit(p))))


def fit_recalibration(probs: list[float], agreed: list[bool]) -> tuple[float, float]:
    """Intercept and slope (logit scale) with the best log-loss over a coarse grid."""
    best = (math.inf, 0.0, 1.0)
    for a in [x / 10 for x in range(-20, 31)]:
        for b in [x / 10 for x in range(5, 26)]:
            loss = 0.0
            for p, y in zip(probs, agreed, strict=True):
                q = min(max(recalibrated(p, (a, b)), 1e-3), 1 - 1e-3)
                loss -= math.log(q if y else 1 - q)
            if loss < best[0]:
                best = (loss, a, b)
    return best[1], best[2]


@dataclass
class Calibration:
    """Agreement counts per cell for one engine and model."""

    engine: str
    model: str
    version: str
    counts: dict[str, list[float]] = field(default_factory=dict)  # cell → [agreed, n]
    fitted_on: list[str] = field(default_factory=list)
    question_weight: float = 0.0
    # intercept and slope on the logit scale, fitted on reports written independently of the
    # generator (the generated year sets the ranking, those reports the level): (0, 1) = none
    recalibration: tuple[float, float] = (0.0, 1.0)
    # whether the cells go down to the evidence strength (`evidence_key`): calibrations
    # fitted before it existed stop at the answer
    evidence_level: bool = False

    def _rate(self, key: str, parent: float) -> float:
        agreed, n = self.counts.get(key, (0.0, 0.0))
        return (agreed + PRIOR * parent) / (n + PRIOR)

    def probability(
        self, question_id: str, answer_type: str, rule: str, answer: Any, evidence=None
    ) -> float:
        keys = cell_keys(question_id, answer_type, rule, answer, evidence)
        p, type_rate = 0.5, 0.5
        for key in keys:
            p = self._rate(key, p)
            if key == keys[1]:
                type_rate = p
        if self.question_weight:
            shift = _logit(self._rate(question_key(question_id), type_rate)) - _logit(type_rate)
            p = 1 / (1 + math.exp(-(_logit(p) + self.question_weight * shift)))
        return round(recalibrated(p, self.recalibration), 3)

    @classmethod
    def fit(
        cls, engine: str, model: str, version: str, rows, fitted_on=(), question_weight=0.0
    ) -> Calibration:
        """rows: (question_id, answer_type, rule, answer, agreed[, weight[, evidence]]) for
        labelled drafts; a weight (default 1) counts a draft more than once; evidence is
        `evidence_key` of the draft's features (None: not known)."""
        counts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for row in rows:
            qid, answer_type, rule, answer, agreed = row[:5]
            weight = float(row[5]) if len(row) > 5 else 1.0
            evidence = row[6] if len(row) > 6 else None
            for key in [*cell_keys(qid, answer_type, rule, answer, evidence), question_key(qid)]:
                counts[key][0] += weight * float(bool(agreed))
                counts[key][1] += weight
        return cls(
            engine, model, version, dict(sorted(counts.items())), list(fitted_on),
            question_weight,
        )

    def to_json(self) -> dict:
        return {
            "engine": self.engine,
            "model": self.model,
            "version": self.version,
            "prior": PRIOR,
            "question_weight": self.question_weight,
            "recalibration": list(self.recalibration),
            "evidence_level": self.evidence_level,
            "fitted_on": self.fitted_on,
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        return cls(
            data["engine"],
            data["model"],
            data["version"],
            data["counts"],
            data["fitted_on"],
            float(data.get("question_weight", 0.0)),
            tuple(data.get("recalibration", (0.0, 1.0))),
            bool(data.get("evidence_level", False)),
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
    evidence = evidence_key(result.features) if cal.evidence_level else None
    p = cal.probability(question.id, question.answer_type.value, rule, result.answer, evidence)
    return p, cal.version


def _llm_rule(confidence: float | None) -> str:
    """An LLM's self-reported confidence, in fifths, as its rule cell."""
    value = float(confidence or 0.0)
    return f"self-reported {min(int(value * 5), 4) / 5:.1f}"
