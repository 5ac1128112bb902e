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
the generated year: the generated year sets the order, those reports the level. A format-2
level may also move some answer kinds apart (`level_offsets`: a multi-select's exact set, a
'partly'), when reports nobody tuned on say those kinds' agreement differs from the fitting
sets' more than the model's features carry.

Format 2 (`LogisticCalibration`) replaces the cells by a small L2-regularised logistic model
over a few features of a draft that hold across reports (`FEATURES`): agreement rates of
similar drafts on the other labelled reports (its theme and answer type; its question, shrunk
to that; its rule cell, shrunk to the answer type), whether the rule fell back to a default
because no cue was found, whether the answer is the middle value ('partly'), the supporting
sentences and pages, and whether the report was written independently of the generator (every
real report is: in deployment the feature is 1). Rates seen by the fit are leave-own-report-out,
so the model learns how far a rate carries to a report it has not seen.

Since rules-v9 the reports written by others are six: the dev set's four and the blind set's
two (evals/blindset, written blind to the engine; one rule, rules-v10's B6, was narrowed
after one of its drafts, the only time it changed a rule). The blind set
is harder (LORO accuracy 62% against the dev set's 95%), and nothing in a draft tells the two
apart, so one level serves both: LORO (rules-v10) the dev set is under-confident (mean 0.81,
ECE 0.14) and the blind set over-confident (0.85 for 62%, ECE 0.24; 0.32 when it was left
out of the fit); pooled over the six reports ECE 0.10, AUROC 0.49 (no ranking). Real reports
are more likely to be like the blind set, whose drafts nobody tuned, than like the dev set.

A calibration belongs to one engine and model, carries a version, and is fitted by
`assistant/evaluation/calibration_fit.py` (`make calibrate`)
on labelled data (generated years and dev set). Both formats load through `load_calibration`;
an LLM's self-reported confidence takes the same path (its `raw` feature, or its fifths as
the rule cell). An engine and model without a fitted calibration keeps its own confidence and
its drafts say "uncalibrated".
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


# answer kinds whose level on new reports may differ from the fitting sets' (`level_offsets`):
# the fitting sets' rules were tuned until their drafts agreed, and not as far for every kind
LEVEL_FEATURES = ("middle", "multi")


def level_values(row: dict) -> dict[str, float]:
    """The `LEVEL_FEATURES` of one draft (`draft_facts`), as `feature_values` gives them."""
    return {
        "middle": float(row.get("answer") == "partly"),
        "multi": float(row.get("type") == "multi_select"),
    }


def relevel(
    p: float, intercept_slope: tuple[float, float], offsets: dict | None = None,
    values: dict | None = None,
) -> float:
    """`recalibrated`, moved on the logit scale by `offsets` (per `LEVEL_FEATURES` name) times
    the draft's `values` of those features."""
    shift = sum(w * float((values or {}).get(n, 0.0)) for n, w in (offsets or {}).items())
    if not shift:
        return recalibrated(p, intercept_slope)
    a, b = intercept_slope
    return 1 / (1 + math.exp(-(a + shift + b * _logit(p))))


def fit_level_offsets(
    probs: list[float], values: list[dict], agreed: list[bool], l2: float = 1.0
) -> tuple[float, dict[str, float]]:
    """A logit intercept and one offset per `LEVEL_FEATURES` name (slope 1; the offsets
    L2-penalised by `l2`, the intercept not) with the best log-loss: Newton's method."""
    import numpy as np

    z = np.array([_logit(min(max(p, 1e-3), 1 - 1e-3)) for p in probs])
    x = np.array([[1.0] + [float(v.get(n, 0.0)) for n in LEVEL_FEATURES] for v in values])
    y = np.array([float(bool(a)) for a in agreed])
    penalty = np.diag([0.0] + [l2] * len(LEVEL_FEATURES))
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        q = 1 / (1 + np.exp(-(z + x @ beta)))
        step = np.linalg.solve((x.T * (q * (1 - q))) @ x + penalty, x.T @ (q - y) + penalty @ beta)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(beta[0]), {n: float(b) for n, b in zip(LEVEL_FEATURES, beta[1:], strict=True)}


def fit_recalibration(
    probs: list[float], agreed: list[bool], slopes: tuple[float, ...] | None = None
) -> tuple[float, float]:
    """Intercept and slope (logit scale) with the best log-loss over a coarse grid (`slopes`:
    the slopes tried, (1.0,) for the intercept alone)."""
    best = (math.inf, 0.0, 1.0)
    for a in [x / 10 for x in range(-30, 31)]:
        for b in slopes or [x / 10 for x in range(5, 26)]:
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
    format = 1

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

    def confidence(self, question, result) -> float:
        """The calibrated confidence of an engine result for `question`."""
        rule = str(result.features.get("rule", "")) or _llm_rule(result.confidence)
        evidence = evidence_key(result.features) if self.evidence_level else None
        return self.probability(
            question.id, question.answer_type.value, rule, result.answer, evidence
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


# --- format 2: a logistic model over features of a draft -------------------------------------

# rules that answer by default because no cue for any other answer was found (the offline
# engine's 'absent', 'passing', 'no option cues', 'no level cues'); an engine may say so itself
# with a `fallback` feature
FALLBACK_RULES = frozenset({"absent", "passing", "no option cues", "no level cues"})

FEATURES: dict[str, str] = {
    "independent": "the report was written independently of the generator (deployment: 1)",
    "theme_same": "logit agreement of drafts of the same theme and answer type, other reports",
    "question_same": "logit agreement on the same question, other reports, shrunk to theme_same",
    "cell_same": "logit agreement of the rule cell (type x rule family x answer), other reports",
    "theme_kind": "theme_same shrunk further to reports of the draft's kind (written "
    "independently of the generator, or generated)",
    "question_kind": "per question on reports of the same kind, shrunk to theme_kind",
    "cell_kind": "per rule cell on reports of the same kind, shrunk to the kind's answer type",
    "fallback": "the rule fell back to a default answer: no cue found",
    "middle": "the answer is the middle value ('partly')",
    "multi": "the answer is a set of options (multi-select)",
    "support": "log(1 + supporting sentences)",
    "pages": "log(1 + pages of the supporting sentences)",
    "signals": "log(1 + cues counted by the rule)",
    "flips": "answers that changed when the rules read less of the same evidence (0-2: the "
    "offline engine's stability check, `n_flips`)",
    "raw": "logit of the engine's own confidence (an LLM's self-reported confidence)",
}


def draft_facts(
    question_id: str,
    theme: str,
    answer_type: str,
    rule: str,
    answer: Any,
    features: dict | None = None,
    raw: float | None = None,
    independent: bool = True,
) -> dict:
    """What the logistic model knows of one draft; a labelled row carries the same keys."""
    f = features or {}
    return {
        "question": question_id,
        "theme": theme,
        "type": answer_type,
        "rule": rule,
        "answer": answer,
        "support": int(f.get("n_support") or 0),
        "pages": int(f.get("n_pages") or 0),
        "signals": int(f.get("n_signals") or 0),
        "flips": int(f.get("n_flips") or 0),
        "fallback": bool(f.get("fallback", strength(rule) in FALLBACK_RULES)),
        "raw": raw,
        "independent": bool(independent),
    }


def rate_levels(row: dict) -> dict[str, list[str]]:
    """For each rate feature, its levels from the most general (each shrunk to the one above)."""
    theme = f"theme={row['theme']}|type={row['type']}"
    cell = f"type={row['type']}|rule={strength(row['rule'])}"
    levels = {
        "theme_same": ["*", theme],
        "question_same": ["*", theme, question_key(row["question"])],
        "cell_same": [
            "*", f"type={row['type']}", cell, f"{cell}|answer={answer_key(row['answer'])}"
        ],
    }
    kind = "independent" if row.get("independent", True) else "generated"
    for name in list(levels):
        # the same chain below its first level on reports of the draft's kind only: the
        # generator's hard questions need not be the hard ones in reports written by others
        keys = levels[name]
        levels[name.replace("_same", "_kind")] = keys[:2] + [f"{kind}:{k}" for k in keys[1:]]
    return levels


def _smoothed(counts: dict, keys: list[str], minus: dict | None = None) -> float:
    p = 0.5
    for key in keys:
        agreed, n = counts.get(key, (0.0, 0.0))
        if minus and key in minus:
            agreed, n = agreed - minus[key][0], n - minus[key][1]
        p = (max(agreed, 0.0) + PRIOR * p) / (max(n, 0.0) + PRIOR)
    return p


def feature_values(row: dict, counts: dict, minus: dict | None = None) -> dict[str, float]:
    """Every feature of `FEATURES` for one draft; `minus` (counts of the draft's own report)
    is taken out of the rates, so a labelled draft sees only the other reports."""
    values = {
        name: _logit(_smoothed(counts, keys, minus)) for name, keys in rate_levels(row).items()
    }
    raw = row.get("raw")
    values.update(
        independent=float(bool(row.get("independent", True))),
        fallback=float(bool(row.get("fallback"))),
        **level_values(row),
        support=math.log1p(row.get("support") or 0),
        pages=math.log1p(row.get("pages") or 0),
        signals=math.log1p(row.get("signals") or 0),
        flips=float(row.get("flips") or 0),
        raw=_logit(float(raw)) if raw is not None else 0.0,
    )
    return values


def rate_counts(rows) -> dict[str, list[float]]:
    """Weighted [agreed, n] for every rate level of the rows."""
    counts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        w = float(row.get("weight", 1.0))
        keys = {k for ks in rate_levels(row).values() for k in ks}
        for key in keys:
            counts[key][0] += w * float(bool(row["agreed"]))
            counts[key][1] += w
    return dict(counts)


def fit_logistic(x, y, w, l2: float, iterations: int = 50):
    """(intercept, weights) of a logistic regression with an L2 penalty `l2` on the weights
    (not the intercept), per unit of sample weight: Newton steps on standardised columns."""
    import numpy as np

    x, y, w = np.asarray(x, float), np.asarray(y, float), np.asarray(w, float)
    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(k + 1)
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    total = w.sum()
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
        grad = design.T @ (w * (y - p)) / total - penalty * beta
        hess = (design.T * (w * p * (1 - p))) @ design / total + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return float(beta[0]), [float(b) for b in beta[1:]]


@dataclass
class LogisticCalibration:
    """Format 2: an L2-regularised logistic model over `features` (names in `FEATURES`),
    standardised with `scale` ([mean, sd] per feature), and the rate counts its rate features
    read (the same `q=<id>` counts as format 1, for the reviewer's 'agreed n of m')."""

    engine: str
    model: str
    version: str
    features: list[str]
    intercept: float
    coefficients: dict[str, float]
    scale: dict[str, list[float]]
    counts: dict[str, list[float]] = field(default_factory=dict)
    fitted_on: list[str] = field(default_factory=list)
    l2: float = 0.0
    # the level on reports nobody tuned the rules on: the logit intercept and slope that map
    # the model's probability to the agreement seen on a set written blind and never read for
    # rules (`recalibrated_on`); the fitting sets' rules were tuned until their drafts were
    # right, so their level overstates a new report's. (0, 1) = none
    recalibration: tuple[float, float] = (0.0, 1.0)
    recalibrated_on: list[str] = field(default_factory=list)
    # the level's offsets per answer kind (`LEVEL_FEATURES`), set with it on the same reports
    level_offsets: dict[str, float] = field(default_factory=dict)
    format = 2

    def probability_of(self, row: dict) -> float:
        return self.predict(feature_values(row, self.counts))

    def predict(self, values: dict[str, float], level: bool = True) -> float:
        """The probability for a draft's `feature_values` (`level=False`: the model's own,
        before the level on new reports)."""
        z = self.intercept
        for name in self.features:
            mean, sd = self.scale[name]
            z += self.coefficients[name] * (values[name] - mean) / sd
        p = 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))
        if not level:
            return round(p, 3)
        return round(relevel(p, self.recalibration, self.level_offsets, values), 3)

    def confidence(self, question, result) -> float:
        raw = None if result.features.get("rule") else float(result.confidence or 0.0)
        rule = str(result.features.get("rule", "")) or _llm_rule(result.confidence)
        row = draft_facts(
            question.id, question.theme, question.answer_type.value, rule, result.answer,
            result.features, raw,
        )
        return self.probability_of(row)

    @staticmethod
    def training_table(rows) -> tuple[dict, list[dict[str, float]]]:
        """(rate counts of `rows`, each row's `feature_values` without its own report)."""
        counts = rate_counts(rows)
        by_report: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_report[row["report"]].append(row)
        own = {report: rate_counts(rs) for report, rs in by_report.items()}
        return counts, [feature_values(r, counts, own[r["report"]]) for r in rows]

    @classmethod
    def fit(
        cls, engine: str, model: str, version: str, rows, features, l2=0.1, fitted_on=(),
        table=None,
    ) -> LogisticCalibration:
        """rows: `draft_facts` dicts with `report`, `agreed` and optionally `weight`; each
        draft's rate features are computed without its own report (`table`: the
        `training_table` of these rows, when already computed)."""
        rows = list(rows)
        counts, table = table or cls.training_table(rows)
        scale = {}
        for name in features:
            col = [t[name] for t in table]
            mean = sum(col) / len(col)
            sd = math.sqrt(sum((v - mean) ** 2 for v in col) / len(col))
            scale[name] = [round(mean, 6), round(sd, 6) if sd > 1e-6 else 1.0]  # constant: 1
        x = [[(t[n] - scale[n][0]) / scale[n][1] for n in features] for t in table]
        intercept, weights = fit_logistic(
            x, [bool(r["agreed"]) for r in rows], [r.get("weight", 1.0) for r in rows], l2
        )
        return cls(
            engine, model, version, list(features), round(intercept, 6),
            {n: round(b, 6) for n, b in zip(features, weights, strict=True)}, scale,
            {k: [round(a, 4), round(n, 4)] for k, (a, n) in sorted(counts.items())},
            list(fitted_on), l2,
        )

    def to_json(self) -> dict:
        return {
            "format": 2,
            "kind": "logistic",
            "engine": self.engine,
            "model": self.model,
            "version": self.version,
            "prior": PRIOR,
            "l2": self.l2,
            "features": self.features,
            "intercept": self.intercept,
            "coefficients": self.coefficients,
            "scale": self.scale,
            "fitted_on": self.fitted_on,
            "recalibration": list(self.recalibration),
            "recalibrated_on": self.recalibrated_on,
            "level_offsets": self.level_offsets,
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, data: dict) -> LogisticCalibration:
        unknown = [n for n in data["features"] if n not in FEATURES] + [
            n for n in data.get("level_offsets", {}) if n not in LEVEL_FEATURES
        ]
        if unknown:
            raise ValueError(f"calibration {data.get('version')} uses unknown features {unknown}")
        return cls(
            data["engine"], data["model"], data["version"], list(data["features"]),
            float(data["intercept"]), dict(data["coefficients"]), dict(data["scale"]),
            data.get("counts", {}), data.get("fitted_on", []), float(data.get("l2", 0.0)),
            tuple(float(v) for v in data.get("recalibration", (0.0, 1.0))),
            list(data.get("recalibrated_on", [])),
            {n: float(w) for n, w in data.get("level_offsets", {}).items()},
        )


def calibration_from_json(data: dict):
    """A stored calibration of either format (format 1, the cells, has no `format` field)."""
    if int(data.get("format", 1)) == 2:
        return LogisticCalibration.from_json(data)
    return Calibration.from_json(data)


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
def _read(path: Path, mtime_ns: int) -> Calibration | LogisticCalibration:
    return calibration_from_json(json.loads(path.read_text(encoding="utf-8")))


def calibrate(engine: str, model: str | None, question, result) -> tuple[float, str]:
    """(confidence, calibration version) for an answered draft; the raw confidence and
    'uncalibrated' when no calibration exists for this engine and model."""
    cal = load_calibration(engine, model)
    if cal is None:
        return float(result.confidence or 0.0), UNCALIBRATED
    return cal.confidence(question, result), cal.version


def _llm_rule(confidence: float | None) -> str:
    """An LLM's self-reported confidence, in fifths, as its rule cell."""
    value = float(confidence or 0.0)
    return f"self-reported {min(int(value * 5), 4) / 5:.1f}"
