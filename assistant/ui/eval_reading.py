"""The Evals page in words an auditor reads: kappa with its Landis–Koch band, abstentions next to
accuracy, and a warning where a figure cannot be judged (few items, a degenerate interval).

Plain data from a run's metrics; no Gradio here.
"""

from __future__ import annotations

import math
from typing import Any

# Landis & Koch (1977): the usual words for Cohen's kappa.
BANDS = (
    (0.81, "almost perfect agreement"),
    (0.61, "substantial agreement"),
    (0.41, "moderate agreement"),
    (0.21, "fair agreement"),
    (0.0, "slight agreement"),
)
TOO_FEW = 10  # fewer labelled items than this: no verdict
READING_HEADERS = [
    "Q",
    "Reports",
    "Not found (abstained)",
    "Accuracy where answered",
    "Accuracy over all",
    "Kappa",
    "In words",
    "Can it be judged?",
]


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def kappa_band(kappa: Any) -> str:
    """'moderate agreement' for 0.45; 'worse than chance' below 0; '–' when not defined."""
    k = _finite(kappa)
    if k is None:
        return "–"
    if k < 0:
        return "worse than chance"
    return next(word for floor, word in BANDS if k >= floor)


def judge_warnings(q: dict) -> list[str]:
    """Why a question's figures cannot be trusted as they stand."""
    n = int(q.get("n") or 0)
    answered = int(q.get("n_answered") or 0)
    abstained = int(q.get("n_abstained") or 0)
    out = []
    if n < TOO_FEW:
        out.append(f"n = {n}: too few to judge")
    ci = q.get("primary_kappa_ci")
    if isinstance(ci, list | tuple) and len(ci) == 2:
        lo, hi = _finite(ci[0]), _finite(ci[1])
        if lo is None or hi is None or hi - lo < 1e-9:
            out.append("interval degenerate (the answers hardly vary): kappa says little")
    elif q.get("primary_kappa") is not None and _finite(q.get("primary_kappa")) is None:
        out.append("kappa undefined (one answer only)")
    if n and abstained * 2 >= n:
        out.append(f"{abstained} of {n} abstained: the accuracy covers only {answered}")
    return out


def _pct(value: Any) -> str:
    v = _finite(value)
    return "–" if v is None else f"{v:.0%}"


def reading_rows(metrics: dict) -> list[list[Any]]:
    """One row per scored question of a run (text questions have no agreement figure)."""
    rows = []
    for qid, q in (metrics.get("questions") or {}).items():
        if q.get("kind") == "text":
            continue
        n = int(q.get("n") or 0)
        kappa = _finite(q.get("primary_kappa"))
        warnings = judge_warnings(q)
        rows.append(
            [
                qid,
                n,
                f"{int(q.get('n_abstained') or 0)} of {n}",
                _pct(q.get("accuracy")),
                _pct(q.get("accuracy_all")),
                "–" if kappa is None else f"{kappa:.2f}",
                kappa_band(kappa),
                "; ".join(warnings) or "yes",
            ]
        )
    return rows


def reading_summary(metrics: dict) -> str:
    """A few sentences over the whole run (escaped by the caller)."""
    rows = reading_rows(metrics)
    if not rows:
        return "This run has no scored questions."
    judged = [r for r in rows if r[-1] == "yes"]
    bands: dict[str, int] = {}
    for r in judged:
        bands[r[6]] = bands.get(r[6], 0) + 1
    parts = [f"{len(rows)} questions scored; {len(judged)} have enough data to judge."]
    if bands:
        parts.append(
            "Of those: " + ", ".join(f"{n} with {word}" for word, n in sorted(bands.items())) + "."
        )
    few = len(rows) - len(judged)
    if few:
        parts.append(f"{few} carry a warning: read their accuracy with care.")
    return " ".join(parts)
