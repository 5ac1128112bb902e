"""Fit the learned page order of retrieval (assistant/page_rerank.py) on labelled reports.

    make rerank        # = python -m assistant.evaluation.rerank_fit --standard DIR --write
    python -m assistant.evaluation.rerank_fit NAME:HOME=GOLD.csv [...] [--held-out NAME:HOME=GOLD]
        [--write]

Each HOME holds the labelled reports ingested (for a generated year, the eval workspace
`<home>/evals/work`), GOLD.csv their human scores with `evidence_pages`. `--standard DIR` uses
the sets `make calibrate` prepares below DIR (the dev set, devset2, devset3, the spent blind sets
1-5 and 8 and the generated short and long years for fitting; evals/blindset9 to 11, which no choice
may use, as the held-out sets; never blindset6 and 7, which set the confidence's
level).

For every (report, question) with gold pages (not the synthesis questions, whose order is
`synthesis_order`'s) the candidate pages and their features are computed exactly as drafting
computes them. The model is a pairwise logistic regression (a gold page should score above a
candidate that is not gold): each (report, question) weighs the same within its set and each set
weighs the same, so neither the generated years' many reports nor one small set decide alone.
The L2 penalty is chosen among `PENALTIES` by leave-one-set-out recall (mean of @3 and @8 over the
sets); the figures printed for every set are leave-one-set-out (its weights fitted without it).
The held-out set is scored once with the final weights and never used to choose anything.
`--write` stores the weights fitted on all fitting sets in assistant/retrieval_weights/.
`--extend` fits only the features the shipped weights lack (a feature added to page_features),
the others held at their shipped values: the new feature gets its weight without a refit moving
the order every draft rests on (a full refit changes many drafts for the same held-out recall).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

from assistant import page_rerank, rerank_weights
from assistant.config import load_settings

PENALTIES = (1.0, 10.0, 100.0)
KS = (1, 3, 8)


def _gold_pages(gold_csv: Path) -> dict[tuple[str, str], set[int]]:
    out: dict[tuple[str, str], set[int]] = {}
    with open(gold_csv, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            pages = {int(p) for p in re.findall(r"\d+", row.get("evidence_pages") or "")}
            if pages:
                name = row["report"] if row["report"].endswith(".pdf") else row["report"] + ".pdf"
                out.setdefault((name, row["question_id"]), set()).update(pages)
    return out


def set_items(home: str, gold_csv: str) -> list[dict]:
    """(report, question) items of one labelled set: the gold pages, select_pages' page order
    and the candidates' features, computed as drafting computes them."""
    from assistant.drafting.drafter import question_parts, question_queries
    from assistant.retrieval_strategies import select_pages
    from assistant.service import Assistant

    os.environ["REVIEW_ASSISTANT_HOME"] = home
    assistant = Assistant(load_settings())
    index = assistant.index
    reports = {r.file_name: r for r in assistant.reports.list()}
    known = set(assistant.bank.ids)
    items = []
    for (name, question_id), gold in sorted(_gold_pages(Path(gold_csv)).items()):
        report = reports.get(name)
        question = assistant.bank.get(question_id) if question_id in known else None
        if report is None or question is None or not question.answerable_from_text:
            continue
        if question_parts(question):
            continue
        phrasings = list(dict.fromkeys(q for q in question_queries(question) if q.strip()))
        view = index.report_view(report.report_id)
        contents = view.structure(index).contents_pages
        fused = select_pages(index, view, phrasings, None, contents)
        _labels, _sections, page_of = view.sections(index)
        order = list(
            dict.fromkeys(
                page_of[c] for c, _ in fused if c in page_of and page_of[c] not in contents
            )
        )
        rows = page_rerank.page_features(index, view, question, phrasings, fused, contents)
        items.append(
            {"report": name, "q": question_id, "gold": sorted(gold), "order": order, "cand": rows}
        )
    return items


def _names(items_by_set: dict[str, list[dict]]) -> tuple[list[str], list[str]]:
    first = next(it for items in items_by_set.values() for it in items if it["cand"])
    base = list(first["cand"][0][1])
    questions = sorted({it["q"] for items in items_by_set.values() for it in items})
    return base, questions


def _matrix(item: dict, base: list[str], questions: list[str]) -> np.ndarray:
    x = np.array([[f[k] for k in base] for _, f in item["cand"]], dtype=float)
    own = [base.index(k) for k in page_rerank.PER_QUESTION]
    blocks = [x[:, own] * (item["q"] == q) for q in questions]
    return np.hstack([x, *blocks])


def fit(items_by_set: dict[str, list[dict]], penalty: float, base, questions) -> np.ndarray:
    """Pairwise logistic weights (Newton's method), on raw features."""
    n = len(base) + len(questions) * len(page_rerank.PER_QUESTION)
    return fit_extension(items_by_set, penalty, base, questions, np.zeros(n), list(range(n)))


def shipped_beta(weights, base, questions) -> tuple[np.ndarray, list[int]]:
    """The shipped weights in `_matrix`'s layout, and the places of the features they lack."""
    own = list(page_rerank.PER_QUESTION)
    beta = np.zeros(len(base) + len(questions) * len(own))
    free = []
    for i, k in enumerate(base):
        if k in weights.base:
            beta[i] = weights.base[k]
        else:
            free.append(i)
    for qi, q in enumerate(questions):
        for j, k in enumerate(own):
            beta[len(base) + qi * len(own) + j] = weights.per_question.get(q, {}).get(k, 0.0)
    return beta, free


def fit_extension(items_by_set, penalty, base, questions, fixed: np.ndarray, free: list[int]):
    """`fixed` with only the weights at `free` fitted, the others held: a pairwise logistic
    regression (Newton's method, on standardised differences), each (report, question) weighing
    the same within its set and each set the same. With every place free it is `fit`; with the
    places of a new feature free, that feature joins the shipped order without moving what the
    drafts rest on."""
    diffs, offsets, weights = [], [], []
    for items in items_by_set.values():
        for item in items:
            x = _matrix(item, base, questions)
            gold = set(item["gold"])
            label = np.array([p in gold for p, _ in item["cand"]])
            pos, neg = np.where(label)[0], np.where(~label)[0]
            if not len(pos) or not len(neg):
                continue
            d = (x[pos][:, None, :] - x[neg][None, :, :]).reshape(-1, x.shape[1])
            diffs.append(d[:, free])
            offsets.append(d @ fixed)
            weights.append(np.full(len(d), 1.0 / (len(d) * len(items))))
    d, o, w = np.vstack(diffs), np.concatenate(offsets), np.concatenate(weights)
    w = w / w.sum()
    scale = d.std(0) + 1e-6
    z = d / scale
    b = np.zeros(z.shape[1])
    ridge = penalty * 1e-3
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ b + o)))
        grad = z.T @ (w * (p - 1.0)) + ridge * b
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + ridge * np.eye(len(b))
        step = np.linalg.solve(hess, grad)
        b -= step
        if np.abs(step).max() < 1e-9:
            break
    out = fixed.copy()
    out[free] = b / scale
    return out


def reranked(item: dict, beta: np.ndarray | None, base, questions) -> list[int]:
    if beta is None or not item["cand"]:
        return item["order"]
    score = _matrix(item, base, questions) @ beta
    pages = [item["cand"][i][0] for i in np.argsort(-score, kind="stable")]
    return pages + [p for p in item["order"] if p not in pages]


def recall(items: list[dict], beta, base, questions) -> dict[int, float]:
    out = {}
    for k in KS:
        values = [
            len(set(reranked(it, beta, base, questions)[:k]) & set(it["gold"])) / len(it["gold"])
            for it in items
        ]
        out[k] = float(np.mean(values)) if values else float("nan")
    return out


def leave_one_set_out(
    items_by_set, penalty, base, questions, fitter=None
) -> dict[str, dict[int, float]]:
    fitter = fitter or fit
    out = {}
    for name in items_by_set:
        rest = {n: v for n, v in items_by_set.items() if n != name}
        out[name] = recall(
            items_by_set[name], fitter(rest, penalty, base, questions), base, questions
        )
    return out


def to_weights(beta, base, questions, version: str) -> dict:
    n = len(base)
    own = list(page_rerank.PER_QUESTION)
    per_question = {
        q: {k: round(float(beta[n + i * len(own) + j]), 6) for j, k in enumerate(own)}
        for i, q in enumerate(questions)
    }
    weights = {k: round(float(b), 6) for k, b in zip(base, beta, strict=False)}
    return {"version": version, "base": weights, "per_question": per_question}


def _row(name, before, after) -> str:
    cells = " ".join(f"{before[k]:.3f}->{after[k]:.3f}" for k in KS)
    return f"  {name:10} {cells}"


def standard(folder: Path) -> tuple[list[str], list[str]]:
    from assistant.evaluation.calibration_fit import standard_sources
    from assistant.evaluation.sets import sets_in

    named = {}
    for source in standard_sources(folder, held_out=True):
        home = source.split("=", 1)[0]
        named[Path(home).parent.parent.name] = source
    # evals/sets.json's rerank_order: the pairs are summed in it, so the same data gives the
    # same weights whatever the list's order
    fitting = [
        f"{s.short}:{named[s.short]}"
        for s in sorted(sets_in("fitting"), key=lambda s: s.rerank_order)
        if s.short in named
    ]
    held = [f"{s.short}:{named[s.short]}" for s in sets_in("held-out") if s.short in named]
    return fitting, held


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rerank_fit", description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="*", help="NAME:HOME=GOLD.csv")
    ap.add_argument("--held-out", action="append", default=[], help="NAME:HOME=GOLD.csv")
    ap.add_argument("--standard", type=Path, help="the sets `make calibrate` prepares there")
    ap.add_argument("--write", action="store_true", help="store the weights")
    ap.add_argument(
        "--extend",
        action="store_true",
        help="fit only the features the shipped weights lack, the others held",
    )
    args = ap.parse_args(argv)
    sources, held = list(args.sources), list(args.held_out)
    if args.standard:
        fitting, held_std = standard(args.standard)
        sources += fitting
        held += held_std
    if len(sources) < 2:
        print(
            "rerank_fit: give two labelled sets or more (NAME:HOME=GOLD.csv, or --standard DIR)",
            file=sys.stderr,
        )
        return 2
    embedder = load_settings().embedding.name

    def load(specs):
        out = {}
        for spec in specs:
            name, _, rest = spec.partition(":")
            home, _, gold = rest.partition("=")
            print(f"features: {name} ({home})", flush=True)
            out[name] = set_items(home, gold)
        return out

    fitting_sets, held_sets = load(sources), load(held)
    base, questions = _names(fitting_sets)
    before = {n: recall(v, None, base, questions) for n, v in {**fitting_sets, **held_sets}.items()}
    fitter = fit
    shipped = rerank_weights.load_weights(embedder) if args.extend else None
    if shipped is not None:
        fixed, free = shipped_beta(shipped, base, questions)
        fitter = functools.partial(fit_extension, fixed=fixed, free=free)
        print(
            f"extending {shipped.version}: fitting {', '.join(base[i] for i in free) or 'nothing'}"
            " with the other weights held (their leave-one-set-out figures are not held out)"
        )
    best = None
    for penalty in PENALTIES:
        loso = leave_one_set_out(fitting_sets, penalty, base, questions, fitter)
        merit = float(np.mean([(r[3] + r[8]) / 2 for r in loso.values()]))
        print(f"L2 {penalty:g}: leave-one-set-out mean (@3+@8)/2 {merit:.4f}")
        if best is None or merit > best[0]:
            best = (merit, penalty, loso)
    _merit, penalty, loso = best
    print(
        f"chosen L2 {penalty:g}; recall@1/@3/@8, select_pages' order -> learned order "
        "(leave-one-set-out):"
    )
    for name, after in loso.items():
        print(_row(name, before[name], after))
    beta = fitter(fitting_sets, penalty, base, questions)
    held_figures = {}
    for name, items in held_sets.items():
        held_figures[name] = recall(items, beta, base, questions)
        print(_row(name + " (held)", before[name], held_figures[name]))
    if args.write:
        data = to_weights(beta, base, questions, "")
        # the weights' own digest in the version: two fits on one day differ in the settings
        # hash, so drafts made with the other order are counted stale
        digest = hashlib.sha256(
            json.dumps([data["base"], data["per_question"]], sort_keys=True).encode()
        ).hexdigest()[:8]
        version = f"page-rerank-{embedder}-{dt.date.today():%Y%m%d}-{digest}"
        data["version"] = version
        data["fitted_on"] = {n: len(v) for n, v in fitting_sets.items()}
        data["l2"] = penalty
        if shipped is not None:
            data["extends"] = {"version": shipped.version, "fitted": [base[i] for i in free]}
        data["leave_one_set_out"] = {
            n: {
                "before": {f"@{k}": round(before[n][k], 4) for k in KS},
                "after": {f"@{k}": round(r[k], 4) for k in KS},
            }
            for n, r in loso.items()
        }
        data["held_out"] = {
            n: {
                "before": {f"@{k}": round(before[n][k], 4) for k in KS},
                "after": {f"@{k}": round(r[k], 4) for k in KS},
            }
            for n, r in held_figures.items()
        }
        path = rerank_weights.weights_path(embedder)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        rerank_weights.load_weights.cache_clear()
        print(f"wrote {path} ({version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
