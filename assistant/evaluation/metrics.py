"""Agreement statistics for evals: pure functions over answer lists (numpy only).

Conventions: a contingency table has the reference rater (the human auditor) in rows and the
other rater (a draft, or a second auditor) in columns, over the full list of categories of the
question's answer type, so that categories nobody used still count (they matter for AC1 and
PABAK). A statistic that is undefined for the data (e.g. kappa when both raters used one single
category) is NaN, never a made-up 0 or 1; callers turn NaN into "undefined" or JSON null.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np

NAN = float("nan")
DEFAULT_BOOT = 1000
CI_LEVEL = 0.95


# --- two raters, one table ------------------------------------------------------------------


def confusion_matrix(
    reference: Sequence[Hashable], predicted: Sequence[Hashable], categories: Sequence[Hashable]
) -> np.ndarray:
    """Counts table: rows are the reference's categories, columns the predicted ones."""
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)), dtype=int)
    for ref, pred in zip(reference, predicted, strict=True):
        if ref not in index or pred not in index:
            bad = ref if ref not in index else pred
            raise ValueError(f"value {bad!r} is not one of the categories {list(categories)}")
        table[index[ref], index[pred]] += 1
    return table


def _proportions(table: Any) -> np.ndarray | None:
    t = np.asarray(table, dtype=float)
    total = t.sum()
    return None if total <= 0 else t / total


def observed_agreement(table: Any) -> float:
    """Share of items on the diagonal (percent agreement / accuracy)."""
    p = _proportions(table)
    return NAN if p is None else float(np.trace(p))


def cohen_kappa(table: Any) -> float:
    """Cohen's (1960) kappa: (po - pe) / (1 - pe), pe from the product of the two marginals."""
    p = _proportions(table)
    if p is None:
        return NAN
    po = float(np.trace(p))
    pe = float(p.sum(axis=1) @ p.sum(axis=0))
    if math.isclose(pe, 1.0):
        return NAN  # both raters used one and the same category: chance agreement is total
    return (po - pe) / (1 - pe)


def disagreement_weights(n_categories: int, scheme: str = "quadratic") -> np.ndarray:
    """Cohen's (1968) disagreement weights v_ij: (i-j)^2 (quadratic) or |i-j| (linear)."""
    i, j = np.indices((n_categories, n_categories))
    if scheme == "quadratic":
        return ((i - j) ** 2).astype(float)
    if scheme == "linear":
        return np.abs(i - j).astype(float)
    raise ValueError(f"unknown weighting {scheme!r} (use 'quadratic' or 'linear')")


def weighted_kappa(table: Any, weights: str | np.ndarray = "quadratic") -> float:
    """Weighted kappa, 1 - sum(v * p_observed) / sum(v * p_expected) (Cohen 1968).

    `weights` is "quadratic", "linear" or a square matrix of disagreement weights (0 on the
    diagonal). With two categories quadratic weighting equals the nominal kappa.
    """
    p = _proportions(table)
    if p is None:
        return NAN
    v = disagreement_weights(len(p), weights) if isinstance(weights, str) else np.asarray(weights)
    if v.shape != p.shape:
        raise ValueError(f"weights are {v.shape}, the table is {p.shape}")
    expected = np.outer(p.sum(axis=1), p.sum(axis=0))
    denominator = float((v * expected).sum())
    if math.isclose(denominator, 0.0):
        return NAN
    return 1 - float((v * p).sum()) / denominator


def gwet_ac1(table: Any) -> float:
    """Gwet's (2008) AC1 for two raters: chance agreement from the mean marginals.

    pe = sum_k pi_k (1 - pi_k) / (q - 1), pi_k = (row_k + col_k) / 2, q = all categories of the
    scale. Unlike kappa it stays high when raters agree on a rare-or-common category.
    """
    p = _proportions(table)
    if p is None or len(p) < 2:
        return NAN
    pa = float(np.trace(p))
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    pe = float((pi * (1 - pi)).sum()) / (len(p) - 1)
    return (pa - pe) / (1 - pe)


def pabak(table: Any) -> float:
    """Prevalence- and bias-adjusted kappa (Byrt, Bishop & Carlin 1993): (q po - 1) / (q - 1).

    With q = 2 this is 2 po - 1; for q > 2 it is the Brennan-Prediger coefficient.
    """
    p = _proportions(table)
    if p is None or len(p) < 2:
        return NAN
    q = len(p)
    return (q * float(np.trace(p)) - 1) / (q - 1)


# --- several raters per item ------------------------------------------------------------------


def rating_counts(
    ratings: Sequence[Sequence[Hashable | None]], categories: Sequence[Hashable]
) -> np.ndarray:
    """Items x categories matrix of how many raters chose each category (None = not rated)."""
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((len(ratings), len(categories)), dtype=float)
    for row, item in enumerate(ratings):
        for value in item:
            if value is not None:
                counts[row, index[value]] += 1
    return counts


def _multi_rater_parts(counts: Any) -> tuple[float, np.ndarray] | None:
    """(pa, pi) for the Fleiss/Gwet multi-rater coefficients, allowing missing ratings.

    Following Gwet (Handbook of Inter-Rater Reliability, 4th ed., ch. 2 and 4): pa averages the
    pairwise agreement over items rated at least twice; pi_k averages r_ik / r_i over every item
    rated at least once.
    """
    r_ik = np.asarray(counts, dtype=float)
    r_i = r_ik.sum(axis=1)
    rated, paired = r_i >= 1, r_i >= 2
    if not paired.any():
        return None
    pa = float(
        np.mean((r_ik[paired] * (r_ik[paired] - 1)).sum(axis=1) / (r_i[paired] * (r_i[paired] - 1)))
    )
    pi = (r_ik[rated] / r_i[rated][:, None]).mean(axis=0)
    return pa, pi


def fleiss_kappa(counts: Any) -> float:
    """Fleiss' (1971) kappa for many raters: pe = sum_k pi_k^2 (missing ratings allowed)."""
    parts = _multi_rater_parts(counts)
    if parts is None:
        return NAN
    pa, pi = parts
    pe = float((pi**2).sum())
    return NAN if math.isclose(pe, 1.0) else (pa - pe) / (1 - pe)


def gwet_ac1_multi(counts: Any) -> float:
    """Gwet's AC1 for many raters: pe = sum_k pi_k (1 - pi_k) / (q - 1)."""
    parts = _multi_rater_parts(counts)
    r_ik = np.asarray(counts)
    if parts is None or r_ik.shape[1] < 2:
        return NAN
    pa, pi = parts
    pe = float((pi * (1 - pi)).sum()) / (r_ik.shape[1] - 1)
    return (pa - pe) / (1 - pe)


# --- bootstrap ------------------------------------------------------------------------------


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    n_items: int,
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    level: float = CI_LEVEL,
) -> tuple[float, float] | None:
    """Percentile bootstrap CI: `statistic(indices)` on items resampled with replacement.

    Resamples where the statistic is undefined (NaN) are left out; if more than half are, or
    there are fewer than 2 items, there is no interval (None).
    """
    if n_items < 2 or n_boot < 1:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        value = statistic(rng.integers(0, n_items, n_items))
        if math.isfinite(value):
            values.append(value)
    if len(values) < n_boot / 2:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


# --- per answer type --------------------------------------------------------------------------


def _codes(values: Sequence[Hashable], categories: Sequence[Hashable]) -> np.ndarray:
    index = {c: i for i, c in enumerate(categories)}
    return np.array([index[v] for v in values], dtype=int)


def agreement_summary(
    reference: Sequence[Hashable],
    predicted: Sequence[Hashable],
    categories: Sequence[Hashable],
    *,
    ordinal: bool = False,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
) -> dict[str, Any]:
    """Single-choice agreement: accuracy, kappa, AC1, PABAK (+ quadratic kappa if ordinal).

    `categories` must be in scale order for ordinal answers. CIs are seeded percentile bootstraps
    over items.
    """
    table = confusion_matrix(reference, predicted, categories)
    q = len(categories)
    ref, pred = _codes(reference, categories), _codes(predicted, categories)

    def table_of(idx: np.ndarray) -> np.ndarray:
        return np.bincount(ref[idx] * q + pred[idx], minlength=q * q).reshape(q, q)

    def ci(stat: Callable[[np.ndarray], float]) -> tuple[float, float] | None:
        return bootstrap_ci(lambda idx: stat(table_of(idx)), len(ref), n_boot=n_boot, seed=seed)

    out: dict[str, Any] = {
        "n": int(table.sum()),
        "accuracy": observed_agreement(table),
        "accuracy_ci": ci(observed_agreement),
        "kappa": cohen_kappa(table),
        "kappa_ci": ci(cohen_kappa),
        "ac1": gwet_ac1(table),
        "ac1_ci": ci(gwet_ac1),
        "pabak": pabak(table),
        "confusion": {"labels": [str(c) for c in categories], "matrix": table.tolist()},
    }
    if ordinal and q > 2:
        out["weighted_kappa"] = weighted_kappa(table)
        out["weighted_kappa_ci"] = ci(weighted_kappa)
    return out


def jaccard(a: set, b: set) -> float:
    """|a & b| / |a | b|; two empty selections agree fully (1.0)."""
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else NAN
    recall = tp / (tp + fn) if tp + fn else NAN
    if tp == 0:
        f1 = 0.0 if fp + fn else NAN
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def multi_select_summary(
    reference: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    options: Sequence[str],
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
) -> dict[str, Any]:
    """Multi-select agreement: per-option P/R/F1 (+ kappa, AC1), micro/macro F1, Jaccard.

    The pooled kappa treats every (item, option) cell as a yes/no decision; its CI resamples
    items (reports), keeping each report's options together.
    """
    refs = [set(r) for r in reference]
    preds = [set(p) for p in predicted]
    n = len(refs)
    ref_m = np.array([[o in r for o in options] for r in refs], dtype=int).reshape(n, len(options))
    pred_m = np.array([[o in p for o in options] for p in preds], dtype=int).reshape(
        n, len(options)
    )
    per_option = {}
    for j, option in enumerate(options):
        tp = int((ref_m[:, j] & pred_m[:, j]).sum())
        fp = int(((1 - ref_m[:, j]) & pred_m[:, j]).sum())
        fn = int((ref_m[:, j] & (1 - pred_m[:, j])).sum())
        precision, recall, f1 = _prf(tp, fp, fn)
        table = confusion_matrix(ref_m[:, j].tolist(), pred_m[:, j].tolist(), [0, 1])
        per_option[option] = {
            "support": int(ref_m[:, j].sum()),
            "predicted": int(pred_m[:, j].sum()),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "kappa": cohen_kappa(table),
            "ac1": gwet_ac1(table),
        }
    tp = sum(v["tp"] for v in per_option.values())
    fp = sum(v["fp"] for v in per_option.values())
    fn = sum(v["fn"] for v in per_option.values())
    micro_p, micro_r, micro_f1 = _prf(tp, fp, fn)
    used = [v["f1"] for v in per_option.values() if v["support"] or v["predicted"]]
    jaccards = np.array([jaccard(r, p) for r, p in zip(refs, preds, strict=True)])

    def pooled(idx: np.ndarray, stat: Callable[[Any], float]) -> float:
        cells = ref_m[idx].ravel() * 2 + pred_m[idx].ravel()
        return stat(np.bincount(cells, minlength=4).reshape(2, 2))

    return {
        "n": n,
        "micro_precision": micro_p,
        "micro_recall": micro_r,
        "micro_f1": micro_f1,
        "macro_f1": float(np.mean(used)) if used else NAN,
        "jaccard": float(jaccards.mean()) if n else NAN,
        "jaccard_ci": bootstrap_ci(
            lambda i: float(jaccards[i].mean()), n, n_boot=n_boot, seed=seed
        ),
        "exact_match": float(np.mean([r == p for r, p in zip(refs, preds, strict=True)]))
        if n
        else NAN,
        "pooled_kappa": pooled(np.arange(n), cohen_kappa),
        "pooled_kappa_ci": bootstrap_ci(
            lambda i: pooled(i, cohen_kappa), n, n_boot=n_boot, seed=seed
        ),
        "pooled_ac1": pooled(np.arange(n), gwet_ac1),
        "per_option": per_option,
    }


def count_summary(
    reference: Sequence[int], predicted: Sequence[int], *, n_boot: int = DEFAULT_BOOT, seed: int = 0
) -> dict[str, Any]:
    """Counts: exact-match rate and mean absolute error (with bootstrap CIs)."""
    ref = np.asarray(reference, dtype=float)
    pred = np.asarray(predicted, dtype=float)
    exact = (ref == pred).astype(float)
    errors = np.abs(ref - pred)
    n = len(ref)
    return {
        "n": n,
        "exact_match": float(exact.mean()) if n else NAN,
        "exact_match_ci": bootstrap_ci(
            lambda i: float(exact[i].mean()), n, n_boot=n_boot, seed=seed
        ),
        "mae": float(errors.mean()) if n else NAN,
        "mae_ci": bootstrap_ci(lambda i: float(errors[i].mean()), n, n_boot=n_boot, seed=seed),
        "median_abs_error": float(np.median(errors)) if n else NAN,
    }


# --- cohort figures ---------------------------------------------------------------------------


def prevalence(
    reference: Sequence[Any], predicted: Sequence[Any], categories: Sequence[Hashable]
) -> list[dict[str, Any]]:
    """For each category (or multi-select option): how many items humans vs drafts gave it.

    The two lists may differ in length (drafts that abstained are not in `predicted`); each
    share uses its own denominator, and `diff_points` is draft share minus human share x 100.
    """

    def has(value: Any, category: Hashable) -> bool:
        return category in value if isinstance(value, list | tuple | set) else value == category

    rows = []
    for category in categories:
        h = sum(has(v, category) for v in reference)
        d = sum(has(v, category) for v in predicted)
        h_share = h / len(reference) if reference else NAN
        d_share = d / len(predicted) if predicted else NAN
        rows.append(
            {
                "value": category,
                "human": h,
                "human_n": len(reference),
                "draft": d,
                "draft_n": len(predicted),
                "diff_points": (d_share - h_share) * 100,
            }
        )
    return rows


# --- evidence ---------------------------------------------------------------------------------


def recall_at_k(ranked_pages: Sequence[int], gold: set[int], k: int) -> float:
    """Share of the gold pages found among the pages of the top-k retrieved passages."""
    if not gold:
        return NAN
    return len(set(ranked_pages[:k]) & gold) / len(gold)


def capped_recall_at_k(ranked_pages: Sequence[int], gold: set[int], k: int) -> float:
    """Recall@k out of what k pages can hold: gold pages found in the top k over min(k, gold).

    BEIR's R_cap@k. An item with five gold pages has a recall@3 of at most 0.6; its capped
    recall@3 is 1.0 when the top three are all gold pages.
    """
    if not gold:
        return NAN
    return len(set(ranked_pages[:k]) & gold) / min(k, len(gold))


def retrieval_summary(
    items: Sequence[tuple[Sequence[int], set[int]]], ks: Sequence[int] = (1, 3, 5, 8)
) -> dict[str, Any]:
    """Mean recall@k, capped recall@k (`capped_recall_at_k`) and hit@k (any gold page in the
    top k) over items with gold pages."""
    scored = [(pages, gold) for pages, gold in items if gold]
    out: dict[str, Any] = {"n": len(scored), "n_without_gold": len(items) - len(scored)}
    for k in ks:
        out[f"recall@{k}"] = (
            float(np.mean([recall_at_k(p, g, k) for p, g in scored])) if scored else NAN
        )
        out[f"capped_recall@{k}"] = (
            float(np.mean([capped_recall_at_k(p, g, k) for p, g in scored])) if scored else NAN
        )
        out[f"hit@{k}"] = (
            float(np.mean([bool(set(p[:k]) & g) for p, g in scored])) if scored else NAN
        )
    return out


def citation_precision(cited: Sequence[set[int]], gold: Sequence[set[int]]) -> dict[str, Any]:
    """Share of cited pages that are gold pages, over items that have gold pages.

    Items without gold pages are counted apart (`cited_without_gold`), not silently dropped.
    """
    on_gold = total = elsewhere = 0
    for pages, g in zip(cited, gold, strict=True):
        if g:
            total += len(pages)
            on_gold += len(pages & g)
        else:
            elsewhere += len(pages)
    return {
        "cited_pages": total,
        "on_gold_pages": on_gold,
        "precision": on_gold / total if total else NAN,
        "cited_without_gold": elsewhere,
    }


# --- baselines and reliability -------------------------------------------------------------


def majority_baseline_loo(
    values: Sequence[Any], kind: str, categories: Sequence[Hashable] = ()
) -> list[Any]:
    """Leave-one-out majority answer for each item, from the other items' reference answers.

    kind "single": the most common other answer (ties go to the earlier category);
    "multi": every option chosen for more than half of the other items;
    "count": the (lower) median of the other items. Honest: an item never sees its own answer.
    """
    order = {c: i for i, c in enumerate(categories)}
    predictions: list[Any] = []
    for i in range(len(values)):
        others = list(values[:i]) + list(values[i + 1 :])
        if not others:
            predictions.append(None)
        elif kind == "single":
            counts = Counter(others)
            predictions.append(min(counts, key=lambda v: (-counts[v], order.get(v, len(order)))))
        elif kind == "multi":
            counts = Counter(o for v in others for o in set(v))
            chosen = {o for o, c in counts.items() if c > len(others) / 2}
            predictions.append(sorted(chosen, key=lambda o: order.get(o, len(order))))
        elif kind == "count":
            predictions.append(int(sorted(others)[(len(others) - 1) // 2]))
        else:
            raise ValueError(f"unknown kind {kind!r}")
    return predictions


def comparable(answer: Any) -> Any:
    """An answer as a hashable value that compares as auditors compare it: a multi-select's
    options as a set, whatever their order."""
    return frozenset(answer) if isinstance(answer, list | tuple | set) else answer


def self_agreement(runs: Sequence[Mapping[Hashable, Any]]) -> dict[str, Any]:
    """Run-to-run reliability: share of items given the identical answer in every run.

    `runs` maps item keys to answers (lists compared as sets); only keys present in all runs
    count. Returns n, the share and up to 20 items that differed.
    """
    if len(runs) < 2:
        raise ValueError("self-agreement needs at least two runs")

    keys = [k for k in runs[0] if all(k in run for run in runs[1:])]
    differing = [k for k in keys if len({comparable(run[k]) for run in runs}) > 1]
    return {
        "n": len(keys),
        "runs": len(runs),
        "agreement": 1 - len(differing) / len(keys) if keys else NAN,
        "differing": [str(k) for k in differing[:20]],
    }


def finite_mean(values: Sequence[float | None]) -> float:
    """Mean of the finite values (NaN/None left out); NaN when there are none."""
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(kept)) if kept else NAN


# --- confidence: calibration and discrimination ------------------------------------------------
def reliability_bins(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[dict[str, Any]]:
    """Equal-width confidence bins: each with its count, mean confidence and accuracy."""
    bins = []
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    for i in range(n_bins):
        lo, hi = i / n_bins, (i + 1) / n_bins
        mask = (conf >= lo) & ((conf < hi) if i < n_bins - 1 else (conf <= hi))
        if mask.any():
            bins.append(
                {
                    "lo": lo,
                    "hi": hi,
                    "n": int(mask.sum()),
                    "confidence": float(conf[mask].mean()),
                    "accuracy": float(ok[mask].mean()),
                }
            )
    return bins


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> float:
    """ECE: the count-weighted mean gap between confidence and accuracy over the bins."""
    n = len(confidence)
    if not n:
        return float("nan")
    bins = reliability_bins(confidence, correct, n_bins)
    return float(sum(b["n"] * abs(b["confidence"] - b["accuracy"]) for b in bins) / n)


def auroc(score: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve of `score` for `positive` (ties count half); nan when only
    one class is present."""
    s = np.asarray(score, dtype=float)
    y = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def confidence_summary(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> dict[str, Any]:
    """Reliability diagram data, ECE and AUROC of confidence for correctness."""
    return {
        "n": len(confidence),
        "accuracy": float(np.mean(correct)) if len(correct) else float("nan"),
        "mean_confidence": float(np.mean(confidence)) if len(confidence) else float("nan"),
        "ece": expected_calibration_error(confidence, correct, n_bins),
        "auroc": auroc(confidence, correct),
        "distinct_values": len(set(round(float(c), 3) for c in confidence)),
        "bins": reliability_bins(confidence, correct, n_bins),
    }


def pct(value: Any) -> str:
    """A rate as a whole percentage ("83%"); "–" for none."""
    return "–" if value is None else f"{100 * value:.0f}%"
