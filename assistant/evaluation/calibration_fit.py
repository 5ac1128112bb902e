"""Fit the offline engine's confidence calibration on labelled reports, cross-validated by report.

    python -m assistant.evaluation.calibration_fit HOME=GOLD.csv[*W] [...] [--write]

Each HOME is a data directory where the labelled reports are ingested (for the generated year:
the eval workspace, `<home>/evals/work`); GOLD.csv the human scores for them; W (default 1) how
many times each of its drafts counts (reports written independently of the generator are
closer to the reports the product reads than the generated year is, so they may count more).
For every scored (report, question) the evidence is retrieved as drafting does and the offline
engine drafts it; a draft agrees when its answer equals the auditors' (multi-select: the same
set; counts: the same number). The figures printed are leave-one-report-out: each report's
confidences come from a calibration fitted without it. The weight of the question branch (see
assistant/engines/calibration.py) is the one with the best leave-one-report-out log-loss.
`--write` stores the calibration fitted on everything in assistant/engines/calibrations/, with
a version naming the data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
from collections import defaultdict
from pathlib import Path

from assistant.config import load_settings
from assistant.engines.calibration import (
    Calibration,
    evidence_key,
    fit_recalibration,
    path_for,
)
from assistant.engines.offline import OfflineEngine
from assistant.evaluation.human_scores import load_human_scores
from assistant.evaluation.metrics import confidence_summary
from assistant.evaluation.scoring import Item
from assistant.service import Assistant


def agrees(draft_answer, reference) -> bool:
    if isinstance(reference, list):
        return isinstance(draft_answer, list) and set(draft_answer) == set(reference)
    return draft_answer == reference


def labelled_rows(home: str, gold_csv: str) -> list[dict]:
    """(report, question, answer type, rule, answer, agreed) for every answered scored item."""
    os.environ["REVIEW_ASSISTANT_HOME"] = home

    lib = Assistant(load_settings())
    bank = lib.bank
    scores = load_human_scores(gold_csv, bank)
    by_name = {}
    for record in lib.list_reports():
        for ref in scores.reports:
            if Path(ref).stem == Path(record.file_name).stem:
                by_name[ref] = record
    drafter = lib.drafter(OfflineEngine.name)  # the drafting path, up to the raw engine result
    rows = []
    items = scores.by_item()
    for ref, record in sorted(by_name.items()):
        # every question in bank order, each seeing the report's earlier drafts, as drafting
        # does (the overall rating reads them)
        earlier: dict = {}
        for question in bank.questions:
            if not question.answerable_from_text or question.answer_type.value == "free_text":
                continue
            qid = question.id
            result = drafter.run_engine(drafter.prepare(record, question, earlier=earlier))
            answer = None
            if result.status == "answered":
                try:
                    answer = question.validate_answer(result.answer)
                except ValueError:  # an invalid answer is stored as failed: no earlier answer
                    answer = None
            earlier[qid] = answer
            human = items.get((ref, qid))
            if human is None or result.status != "answered":
                continue
            reference = Item(ref, record.report_id, qid, human).reference
            rows.append(
                {
                    "report": f"{home}:{ref}",
                    "question": qid,
                    "type": question.answer_type.value,
                    "rule": str(result.features.get("rule", "")),
                    "signals": int(result.features.get("n_signals", 0) or 0),
                    "evidence": evidence_key(result.features),
                    "answer": result.answer,
                    "agreed": agrees(answer, reference),
                }
            )
    return rows


QUESTION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


# cells down to the evidence strength (`evidence_key`: supporting sentences and pages), off by
# default: on rules-v6 (dev set + short year of 40 + long year of 20, leave-one-report-out) it
# raised the generated years' AUROC (short 0.841 -> 0.849, long 0.861 -> 0.864) but lowered the
# dev set's (0.610 -> 0.590, ECE 0.108 -> 0.124); `--evidence-level` turns it on
EVIDENCE_LEVEL = False


def _tuples(rows, evidence_level: bool | None = None):
    level = EVIDENCE_LEVEL if evidence_level is None else evidence_level
    return [
        (
            r["question"],
            r["type"],
            r["rule"],
            r["answer"],
            r["agreed"],
            r.get("weight", 1.0),
            r.get("evidence") if level else None,
        )
        for r in rows
    ]


def log_loss(rows: list[dict], conf: list[float]) -> float:
    total = weight = 0.0
    for r, p in zip(rows, conf, strict=True):
        p = min(max(p, 1e-3), 1 - 1e-3)
        w = r.get("weight", 1.0)
        total -= w * math.log(p if r["agreed"] else 1 - p)
        weight += w
    return total / max(weight, 1e-9)


def _predict(cal: Calibration, rows: list[dict]) -> list[float]:
    return [
        cal.probability(
            r["question"],
            r["type"],
            r["rule"],
            r["answer"],
            r.get("evidence") if EVIDENCE_LEVEL else None,
        )
        for r in rows
    ]


def recalibration_for(
    rows: list[dict], engine: str, model: str, question_weight: float, recal_reports
) -> tuple[float, float]:
    """Intercept and slope fitted on the recalibration reports, each predicted by a
    calibration fitted without it; (0, 1) when there are none."""
    probs: list[float] = []
    agreed: list[bool] = []
    for report in recal_reports:
        train = [r for r in rows if r["report"] != report]
        test = [r for r in rows if r["report"] == report]
        if not train or not test:
            continue
        cal = Calibration.fit(engine, model, "cv", _tuples(train), question_weight=question_weight)
        probs += _predict(cal, test)
        agreed += [r["agreed"] for r in test]
    return fit_recalibration(probs, agreed) if probs else (0.0, 1.0)


def cross_validated(
    rows: list[dict],
    engine: str,
    model: str,
    question_weight: float = 0.0,
    recalibrate=None,
) -> list[float]:
    """Leave-one-report-out confidences, in the order of `rows`. With `recalibrate` (a test on
    a row), the level is refitted on those rows' reports, the held-out report left out of
    that too."""
    by_report = defaultdict(list)
    for i, r in enumerate(rows):
        by_report[r["report"]].append(i)
    recal_reports = sorted({r["report"] for r in rows if recalibrate and recalibrate(r)})
    out = [0.0] * len(rows)
    for report, idx in by_report.items():
        train = [r for r in rows if r["report"] != report]
        cal = Calibration.fit(
            engine, model, "cv", _tuples(train), question_weight=question_weight
        )
        if recal_reports:
            others = [x for x in recal_reports if x != report]
            cal.recalibration = recalibration_for(train, engine, model, question_weight, others)
        for i, p in zip(idx, _predict(cal, [rows[i] for i in idx]), strict=True):
            out[i] = p
    return out


def summarise(name: str, rows: list[dict], conf: list[float]) -> dict:
    s = confidence_summary(conf, [r["agreed"] for r in rows])
    print(
        f"{name}: n={s['n']} accuracy={s['accuracy']:.3f} mean confidence="
        f"{s['mean_confidence']:.3f} ECE={s['ece']:.3f} AUROC={s['auroc']:.3f} "
        f"distinct={s['distinct_values']}"
    )
    for b in s["bins"]:
        print(
            f"   [{b['lo']:.1f}, {b['hi']:.1f}) n={b['n']:4d} confidence={b['confidence']:.2f} "
            f"agreed={b['accuracy']:.2f}"
        )
    return s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", help="HOME=GOLD.csv")
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--recalibrate-on",
        metavar="TEXT",
        help="refit the level (logit intercept and slope) on the sources whose GOLD path "
        "contains TEXT: reports written independently of the generator",
    )
    parser.add_argument(
        "--evidence-level",
        action="store_true",
        help="cells down to the evidence strength (supporting sentences, pages)",
    )
    args = parser.parse_args(argv)
    global EVIDENCE_LEVEL
    EVIDENCE_LEVEL = EVIDENCE_LEVEL or args.evidence_level

    engine, model = OfflineEngine.name, OfflineEngine.model
    sets = {}
    for source in args.sources:
        home, gold = source.split("=", 1)
        gold, _, weight = gold.partition("*")
        sets[source] = labelled_rows(home, gold)
        for r in sets[source]:
            r["weight"] = float(weight or 1.0)
            r["recal"] = bool(args.recalibrate_on and args.recalibrate_on in gold)
    rows = [r for rs in sets.values() for r in rs]
    losses = {
        w: log_loss(rows, cross_validated(rows, engine, model, w)) for w in QUESTION_WEIGHTS
    }
    for w, loss in losses.items():
        print(f"question weight {w:.2f}: leave-one-report-out log-loss {loss:.4f}")
    question_weight = min(losses, key=losses.get)
    recalibrate = (lambda r: r["recal"]) if args.recalibrate_on else None
    conf = cross_validated(rows, engine, model, question_weight, recalibrate)
    start = 0
    for source, rs in sets.items():
        summarise(f"{source} (leave-one-report-out)", rs, conf[start : start + len(rs)])
        start += len(rs)
    summarise("all (leave-one-report-out)", rows, conf)
    if args.write:
        digest = hashlib.sha256(
            json.dumps(
                [_tuples(rows), question_weight, args.recalibrate_on], default=str, sort_keys=True
            ).encode()
        ).hexdigest()[:8]
        version = f"{engine}-{model}-cal-{digest}"
        fitted_on = [
            # the labelled set's folder and file: "seed2021-n40/gold.csv: 1122 drafts"
            f"{Path(s.split('=', 1)[1]).parent.name}/{Path(s.split('=', 1)[1]).name}: "
            f"{len(rs)} drafts"
            for s, rs in sets.items()
        ]
        cal = Calibration.fit(
            engine, model, version, _tuples(rows), fitted_on, question_weight
        )
        cal.evidence_level = EVIDENCE_LEVEL
        if recalibrate:
            reports = sorted({r["report"] for r in rows if r["recal"]})
            cal.recalibration = recalibration_for(rows, engine, model, question_weight, reports)
            print(f"recalibration (logit intercept, slope): {cal.recalibration}")
        path = path_for(engine, model)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cal.to_json(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path} ({version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
