"""Fit the offline engine's confidence calibration on labelled reports, cross-validated by report.

    make calibrate      # = python -m assistant.evaluation.calibration_fit --standard DIR
                        #     --rows-cache DIR/rows.json --write
    python -m assistant.evaluation.calibration_fit HOME=GOLD.csv[*W] [...] [--model cells]
        [--engine llm] [--independent TEXT] [--rows-cache FILE] [--write]

Each HOME is a data directory where the labelled reports are ingested (for the generated year:
the eval workspace, `<home>/evals/work`); GOLD.csv the human scores for them; W (default 1) how
many times each of its drafts counts. `--standard DIR` names the usual three sets: the dev set
(`$REVIEW_ASSISTANT_DEVSET`, else ../shared/devset), a generated short year of 40 and a long
year of 20 (seed 2021), generated and ingested below DIR as `eval run` does, when not there
yet (`DIR/<dev|short|long>/evals/work`). `--engine llm` calibrates an LLM engine's drafts (the
endpoint and model configured in each HOME).
For every scored (report, question) the evidence is retrieved as drafting does and the offline
engine drafts it; a draft agrees when its answer equals the auditors' (multi-select: the same
set; counts: the same number). `--rows-cache FILE` keeps those labelled drafts, keyed by the
sources and the engine's source code and data (the learned page order too), so a refit after a
change to the calibration takes seconds (a change to the engine or the page order re-drafts).

`--model logistic` (default; calibration format 2): an L2-regularised logistic model over
features of a draft (assistant/engines/calibration.py, `FEATURES`); the feature set and the
penalty are chosen among `CANDIDATES` by leave-one-report-out log-loss per set, independent
and generated sets weighing half each (neither the dev set's four reports nor the two
generated years choose alone). A report is independent
(a feature) when its GOLD has no generator manifest.json beside it, or its GOLD path contains
`--independent TEXT`. `--model cells` is format 1 (Beta-smoothed cells, as before).
The figures printed are leave-one-report-out: each report's confidences come from a
calibration fitted without it. `--write` stores the calibration fitted on everything in
assistant/engines/calibrations/, with a version naming the data.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import shutil
from collections import defaultdict
from pathlib import Path

from assistant.config import load_settings
from assistant.engines.calibration import (
    Calibration,
    LogisticCalibration,
    draft_facts,
    evidence_key,
    feature_values,
    fit_level_offsets,
    fit_recalibration,
    level_values,
    path_for,
    relevel,
)
from assistant.engines.offline import OfflineEngine
from assistant.evaluation.human_scores import load_human_scores
from assistant.evaluation.metrics import confidence_summary
from assistant.evaluation.scoring import Item
from assistant.evaluation.sets import sets_in
from assistant.service import Assistant


def agrees(draft_answer, reference) -> bool:
    if isinstance(reference, list):
        return isinstance(draft_answer, list) and set(draft_answer) == set(reference)
    return draft_answer == reference


def labelled_rows(home: str, gold_csv: str, engine: str = OfflineEngine.name) -> list[dict]:
    """`draft_facts` with report, model and agreed for every answered scored item, drafted by
    `engine` (an LLM engine: the endpoint configured in HOME's settings)."""
    os.environ["REVIEW_ASSISTANT_HOME"] = home

    lib = Assistant(load_settings())
    bank = lib.bank
    scores = load_human_scores(gold_csv, bank)
    by_name = {}
    for record in lib.list_reports():
        for ref in scores.reports:
            if Path(ref).stem == Path(record.file_name).stem:
                by_name[ref] = record
    drafter = lib.drafter(engine)  # the drafting path, up to the raw engine result
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
            rule = str(result.features.get("rule", ""))
            rows.append(
                {
                    **draft_facts(
                        qid, question.theme, question.answer_type.value, rule, result.answer,
                        result.features, None if rule else result.confidence,
                    ),
                    "report": f"{home}:{ref}",
                    "model": result.model or drafter.engine.model,
                    "evidence": evidence_key(result.features),
                    "agreed": agrees(answer, reference),
                }
            )
    return rows


def is_generated(gold_csv: str) -> bool:
    """A labelled set written by the generator: its manifest.json sits beside gold.csv."""
    return (Path(gold_csv).parent / "manifest.json").is_file()


def _engine_digest(root: Path | None = None) -> str:
    """The drafting code (the package less the calibration and evals), its data files (the
    learned page order: the drafts follow the evidence), the prompts and question bank, and the
    engine's model name: a cache of drafts is stale when any of them changes."""
    from assistant.config import REPO_ROOT

    root = root or REPO_ROOT
    package = root / "assistant"
    code = sorted(package.rglob("*.py")) + sorted(package.rglob("*.json"))
    files = [
        p
        for p in code + sorted((root / "prompts").rglob("*"))
        if p.is_file()
        and "evaluation" not in p.parts
        and "calibrations" not in p.parts
        and not p.name.startswith("calibration")
    ]
    digest = hashlib.sha256(OfflineEngine.model.encode())
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def gather(
    sources: list[str], cache: Path | None = None, engine: str = OfflineEngine.name
) -> dict[str, list[dict]]:
    """The labelled drafts of each HOME=GOLD.csv source, from `cache` when it holds them for
    the same source and engine code."""
    key = _engine_digest()
    stored = {}
    if cache and cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("engine") == key:
            stored = data.get("sets", {})
    sets = {}
    for source in sources:
        home, gold = source.split("=", 1)
        gold = gold.partition("*")[0]
        key_of = f"{engine}:{home}={gold}"
        if key_of not in stored:
            stored[key_of] = labelled_rows(home, gold, engine)
            if cache:
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps({"engine": key, "sets": stored}, default=str))
        sets[source] = [dict(r) for r in stored[key_of]]
    return sets


QUESTION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


# cells down to the evidence strength (`evidence_key`: supporting sentences and pages), off by
# default: on rules-v6 (dev set + short year of 40 + long year of 20, leave-one-report-out) it
# raised the generated years' AUROC (short 0.841 -> 0.849, long 0.861 -> 0.864) but lowered the
# dev set's (0.610 -> 0.590, ECE 0.108 -> 0.124); `--evidence-level` turns it on
EVIDENCE_LEVEL = False

# the level on new reports with an offset per answer kind ('partly', a multi-select), off by
# default: on rules-v18 (2026-12-07) the level sets' leave-one-report-out log-loss fell (0.4989
# -> 0.4819: intercept -0.7, 'partly' +0.78, multi-select -0.61) but their ECE rose (0.018 ->
# 0.071; blindset6 0.085 -> 0.114, blindset7 0.062 -> 0.082), their AUROC stayed (0.735 ->
# 0.737), and the fitting sets' AUROC at that level fell (the 542 independent drafts 0.697 ->
# 0.658, the generated years 0.80 -> 0.73-0.75): no better order, a worse reliability diagram.
# `--level-kinds` turns it on
LEVEL_KINDS = False


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


def _summarise_sets(sets: dict, rows: list[dict], conf: list[float], label) -> None:
    """The leave-one-report-out summary of each labelled set (rows are in set order), then
    of all of them."""
    start, independent = 0, ([], [])
    for source, rs in sets.items():
        part = conf[start : start + len(rs)]
        summarise(f"{label(source)} (leave-one-report-out)", rs, part)
        if rs and rs[0]["independent"]:
            independent[0].extend(rs)
            independent[1].extend(part)
        start += len(rs)
    if len(independent[0]) < len(rows):  # the reports written by others, as deployed
        summarise("independent sets (leave-one-report-out)", *independent)
    summarise("all (leave-one-report-out)", rows, conf)


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


# --- format 2: the logistic model ------------------------------------------------------------

# feature sets tried, from the previous format-2 attempt's four to all; the fit keeps the one
# (with its penalty) of best leave-one-report-out log-loss, independent and generated sets
# weighing half each (`_balanced`)
CANDIDATES: dict[str, tuple[str, ...]] = {
    "base": ("independent", "theme_same", "support", "pages"),
    "+question": ("independent", "theme_same", "question_same", "support", "pages"),
    "+fallback": ("independent", "theme_same", "fallback", "middle", "support", "pages"),
    "+question+fallback": (
        "independent", "theme_same", "question_same", "fallback", "middle", "support", "pages",
    ),
    "+cell": ("independent", "theme_same", "question_same", "cell_same", "support", "pages"),
    "kind": ("independent", "theme_kind", "support", "pages"),
    "kind+fallback": ("independent", "theme_kind", "fallback", "middle", "support", "pages"),
    "kind+question+fallback": (
        "independent", "theme_kind", "question_kind", "fallback", "middle", "support", "pages",
    ),
    "kind+question+fallback+cell_same": (
        "independent", "theme_kind", "question_kind", "cell_same", "fallback", "middle",
        "support", "pages",
    ),
    "kind+cell": (
        "independent", "theme_kind", "question_kind", "cell_kind", "fallback", "middle",
        "support", "pages",
    ),
    "all": (
        "independent", "theme_same", "question_same", "cell_same", "fallback", "middle",
        "support", "pages", "signals",
    ),
    # rules-v15's stability check: on rules-v14's drafts, leave-one-report-out, it raised the
    # AUROC from 0.704 to 0.865 on the dev set and from 0.634 to 0.700 on the 14 independent
    # reports pooled (balanced log-loss 0.3985 -> 0.3797)
    "kind+question+fallback+cell_same+flips": (
        "independent", "theme_kind", "question_kind", "cell_same", "fallback", "middle",
        "support", "pages", "flips",
    ),
    "kind+cell+flips": (
        "independent", "theme_kind", "question_kind", "cell_kind", "fallback", "middle",
        "support", "pages", "flips",
    ),
}
L2_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)  # per unit weight, on standardised features


def _folds(rows: list[dict]):
    """Per held-out report: (its row indices, the other rows, their training table, the held-out
    rows' feature values from the other reports' rates)."""
    by_report = defaultdict(list)
    for i, r in enumerate(rows):
        by_report[r["report"]].append(i)
    for report, idx in by_report.items():
        train = [r for r in rows if r["report"] != report]
        counts, table = LogisticCalibration.training_table(train)
        yield idx, train, (counts, table), [feature_values(rows[i], counts) for i in idx]


def cross_validated_logistic(
    rows: list[dict], engine: str, model: str, features, l2: float, folds=None
) -> list[float]:
    """Leave-one-report-out confidences of the logistic model, in the order of `rows`: each
    report predicted by a model (and rates) fitted on the other reports only."""
    out = [0.0] * len(rows)
    for idx, train, table, held_out in folds or _folds(rows):
        cal = LogisticCalibration.fit(engine, model, "cv", train, features, l2, table=table)
        for i, values in zip(idx, held_out, strict=True):
            out[i] = cal.predict(values)
    return out


def _balanced(losses: list[float], kinds: list[bool]) -> float:
    """The mean of per-set losses where independent and generated sets weigh half each (each
    set the same within its kind): two generated years must not outvote the dev set."""
    groups = [[x for x, k in zip(losses, kinds, strict=True) if k == kind] for kind in (1, 0)]
    groups = [g for g in groups if g]
    return sum(sum(g) / len(g) for g in groups) / len(groups)


def choose_logistic(sets: dict[str, list[dict]], engine: str, model: str, candidates=None):
    """(name, features, l2) of the candidate with the best LORO log-loss, per set, balanced
    between independent and generated sets (`_balanced`)."""
    rows = [r for rs in sets.values() for r in rs]
    kinds = [bool(rs and rs[0]["independent"]) for rs in sets.values()]
    folds = list(_folds(rows))
    results = {}
    candidates = candidates or CANDIDATES
    for name, features in candidates.items():
        for l2 in L2_GRID:
            conf = cross_validated_logistic(rows, engine, model, features, l2, folds)
            start, losses, line = 0, [], []
            for source, rs in sets.items():
                part = conf[start : start + len(rs)]
                start += len(rs)
                losses.append(log_loss(rs, part))
                s = confidence_summary(part, [r["agreed"] for r in rs])
                line.append(f"{_label(source)} {losses[-1]:.3f} {s['ece']:.3f}/{s['auroc']:.3f}")
            results[(name, l2)] = _balanced(losses, kinds)
            print(
                f"{name:32s} l2={l2:<6} balanced log-loss {results[(name, l2)]:.4f}  "
                f"log-loss ECE/AUROC {'  '.join(line)}"
            )
    name, l2 = min(results, key=results.get)
    return name, candidates[name], l2


def _label(source: str) -> str:
    gold = Path(source.split("=", 1)[1].partition("*")[0])
    return gold.parent.name


def blind_set(folder: Path, name: str = "blindset") -> Path:
    """evals/<name> (a set built from sources: evals/blindset, blindset2, devset2) built into
    `folder` (its PDFs under reports/, its gold.csv beside them), rebuilt when its sources or
    key are newer than the built copy; returns `folder`."""
    import importlib.util

    from assistant.config import REPO_ROOT

    here = REPO_ROOT / "evals" / name
    script = REPO_ROOT / "evals" / "blindset" / "build.py"  # one builder for every blind set
    inputs = [here / "gold.csv", script, *sorted((here / "sources").glob("*"))]
    gold = folder / "gold.csv"
    built = sorted((folder / "reports").glob("*.pdf"))
    newest = max(p.stat().st_mtime for p in inputs)
    if not built or not gold.is_file() or min(p.stat().st_mtime for p in built) < newest:
        spec = importlib.util.spec_from_file_location("blindset_build", script)
        build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(build)
        build.use_set(here)
        build.build_all(folder / "reports")
        shutil.copyfile(here / "gold.csv", gold)
    return folder


def standard_sources(folder: Path, held_out: bool = False, fresh: bool = False) -> list[str]:
    """The dev sets (../shared/devset; evals/devset2, built here), the spent blind sets
    (evals/blindset, blindset2 and blindset3, built here), a short generated year of 40 and a
    long one of 20 (seed 2021), generated and ingested below `folder` as `eval run` does, when
    not there yet. `held_out` adds the held-out sets (evals/blindset9 to 11) last:
    `make rerank` scores them once, `make calibrate` never reads them. `fresh` adds the sets
    that set the confidence's level on new reports (evals/blindset6 and blindset7: written
    blind, never read for rules); evals/blindset5, which did until rules-v16 read it, is a
    fitting set. The sets, their roles and their order are evals/sets.json's."""
    from assistant.config import REPO_ROOT
    from assistant.evaluation.harness import _labelled_source

    devset = Path(
        os.environ.get("REVIEW_ASSISTANT_DEVSET") or REPO_ROOT / "../shared/devset"
    ).resolve()
    roles = ("fitting",) + (("level",) if fresh else ()) + (("held-out",) if held_out else ())
    sets = []
    for labelled in sets_in(*roles):
        if labelled.source == "shared":
            sets.append((labelled.short, devset / "gold.csv", {"labelled_dir": devset}))
        elif labelled.source == "generated":
            n, length = labelled.reports, labelled.length
            gold = folder / length / "evals" / "labelled" / f"seed2021-n{n}-{length}" / "gold.csv"
            sets.append((labelled.short, gold, {"n": n, "length": length}))
        elif (REPO_ROOT / "evals" / labelled.name).is_dir():
            built = blind_set(folder / labelled.built, labelled.name)
            sets.append((labelled.short, built / "gold.csv", {"labelled_dir": built}))
    sources = []
    for name, gold, options in sets:
        home = folder / name
        work = home / "evals" / "work"
        if not gold.is_file() or not (work / "review.sqlite3").is_file():
            print(f"preparing {name}: generated (if so) and ingested below {home}", flush=True)
            os.environ["REVIEW_ASSISTANT_HOME"] = str(home)
            # what `eval run` does before it drafts: the eval workspace <home>/evals/work
            _labelled_source(
                Assistant(load_settings()).eval_library(), options.get("labelled_dir"),
                options.get("n", 0), 2021, print, options.get("length", "long"),
            )
        sources.append(f"{work}={gold}")
    return sources


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="HOME=GOLD.csv[*W]")
    parser.add_argument(
        "--standard", type=Path, metavar="DIR",
        help="the dev set + generated short year of 40 + long year of 20, ingested below DIR",
    )
    parser.add_argument("--model", choices=["logistic", "cells"], default="logistic")
    parser.add_argument(
        "--engine", default=OfflineEngine.name,
        help="the engine whose drafts are calibrated (llm: the endpoint and model configured "
        "in each HOME; its self-reported confidence becomes the `raw` feature)",
    )
    parser.add_argument(
        "--independent", metavar="TEXT",
        help="also count as independent the sources whose GOLD path contains TEXT (default: "
        "those without a generator manifest.json beside GOLD)",
    )
    parser.add_argument("--rows-cache", type=Path, metavar="FILE", help="cache the drafts")
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--recalibrate-on",
        metavar="TEXT",
        help="cells: refit the level (logit intercept and slope) on the sources whose GOLD path "
        "contains TEXT: reports written independently of the generator",
    )
    parser.add_argument(
        "--fresh",
        metavar="TEXT",
        help="logistic: the sources whose GOLD path contains TEXT (or one of comma-separated "
        "TEXTs) are not fitted; they set the level on new reports (an intercept, and a slope "
        "when it helps, on the logit scale): reports written blind that no rule was ever tuned "
        "on (`level`: evals/sets.json's level sets, blindset6 and blindset7)",
    )
    parser.add_argument(
        "--evidence-level",
        action="store_true",
        help="cells: down to the evidence strength (supporting sentences, pages)",
    )
    parser.add_argument(
        "--level-kinds",
        action="store_true",
        help="logistic with --fresh: the level may also move 'partly' and multi-select drafts "
        "apart (an offset each), when that fits the fresh sets better (off: see LEVEL_KINDS)",
    )
    args = parser.parse_args(argv)
    global EVIDENCE_LEVEL, LEVEL_KINDS
    EVIDENCE_LEVEL = EVIDENCE_LEVEL or args.evidence_level
    LEVEL_KINDS = LEVEL_KINDS or args.level_kinds
    sources = list(args.sources)
    if args.standard:
        sources += standard_sources(args.standard.resolve(), fresh=bool(args.fresh))
    if not sources:
        parser.error("give HOME=GOLD.csv sources or --standard DIR")

    engine = args.engine
    sets = gather(sources, args.rows_cache, engine)
    models = {r["model"] for rs in sets.values() for r in rs}
    if len(models) != 1:
        parser.error(f"the drafts come from {len(models)} models ({sorted(models)}): one only")
    (model,) = models
    for source, rs in sets.items():
        gold, _, weight = source.split("=", 1)[1].partition("*")
        independent = not is_generated(gold) or bool(
            args.independent and args.independent in gold
        )
        for r in rs:
            r["weight"] = float(weight or 1.0)
            r["independent"] = independent
            r["recal"] = bool(args.recalibrate_on and args.recalibrate_on in gold)
    marks = [m for m in (args.fresh or "").split(",") if m]
    if marks == ["level"]:  # evals/sets.json's level sets, by the folders they are built into
        marks = [f"/{s.built}/" for s in sets_in("level", source="built")]
    fresh = {s: rs for s, rs in sets.items() if any(m in s.split("=", 1)[1] for m in marks)}
    if args.fresh and not fresh:
        parser.error(f"--fresh {args.fresh}: no source's GOLD path contains it")
    if fresh and args.model != "logistic":
        parser.error("--fresh is for the logistic model (cells: --recalibrate-on)")
    sets = {s: rs for s, rs in sets.items() if s not in fresh}
    rows = [r for rs in sets.values() for r in rs]
    if args.model == "logistic":
        return _main_logistic(args, sets, rows, engine, model, fresh)
    losses = {
        w: log_loss(rows, cross_validated(rows, engine, model, w)) for w in QUESTION_WEIGHTS
    }
    for w, loss in losses.items():
        print(f"question weight {w:.2f}: leave-one-report-out log-loss {loss:.4f}")
    question_weight = min(losses, key=losses.get)
    recalibrate = (lambda r: r["recal"]) if args.recalibrate_on else None
    conf = cross_validated(rows, engine, model, question_weight, recalibrate)
    _summarise_sets(sets, rows, conf, label=str)
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



def _summarise_stability(sets: dict[str, list[dict]]) -> None:
    """Per set, how often the drafts the stability check moved (`flips`) agree with the key,
    beside the drafts it held: the feature earns its place only while the first are worse."""
    for source, rs in sets.items():
        moved = [r for r in rs if r.get("flips")]
        if not moved:
            continue
        held = [r for r in rs if not r.get("flips")]

        def share(group):
            return f"{len(group)} drafts, {sum(r['agreed'] for r in group) / len(group):.0%} agreed"

        print(
            f"stability check, {_label(source)}: moved by less evidence {share(moved)}; "
            f"held {share(held) if held else '0 drafts'}"
        )


def _fitted_on(sets: dict[str, list[dict]]) -> list[str]:
    # the labelled set's folder and file: "seed2021-n40-short/gold.csv: 1219 drafts"
    out = []
    for source, rs in sets.items():
        gold = Path(source.split("=", 1)[1].partition("*")[0])
        out.append(f"{gold.parent.name}/{gold.name}: {len(rs)} drafts")
    return out


def _fresh_level(cal: LogisticCalibration, fresh: dict[str, list[dict]], kinds=None):
    """The level for new reports, fitted on `fresh` sets' drafts (never fitted, never read for
    rules): none, an intercept, an intercept and slope, or (`kinds`, default `LEVEL_KINDS`) an
    intercept and an offset per answer kind (`LEVEL_FEATURES`: 'partly', a multi-select),
    whichever gives the best leave-one-report-out log-loss over them; returns (the intercept and
    slope, the offsets, the leave-one-report-out confidences in row order)."""
    rows = [r for rs in fresh.values() for r in rs]
    values = [feature_values(r, cal.counts) for r in rows]
    raw = [cal.predict(v, level=False) for v in values]
    agreed = [bool(r["agreed"]) for r in rows]
    reports = sorted({r["report"] for r in rows})

    def fitted(grid, train):
        if grid == "kinds":
            a, offsets = fit_level_offsets(
                [raw[i] for i in train], [values[i] for i in train], [agreed[i] for i in train]
            )
            return (a, 1.0), offsets
        return fit_recalibration([raw[i] for i in train], [agreed[i] for i in train], grid), {}

    slopes = {"none": None, "intercept": (1.0,), "intercept and slope": tuple(
        x / 10 for x in range(2, 21)
    )}
    if LEVEL_KINDS if kinds is None else kinds:
        slopes["intercept and answer kinds"] = "kinds"
    best = None
    for name, grid in slopes.items():
        conf = list(raw)
        if grid is not None:
            for report in reports:
                train = [i for i, r in enumerate(rows) if r["report"] != report]
                level, offsets = fitted(grid, train)
                for i, r in enumerate(rows):
                    if r["report"] == report:
                        conf[i] = round(relevel(raw[i], level, offsets, values[i]), 3)
        loss = log_loss(rows, conf)
        print(f"level on new reports, {name}: leave-one-report-out log-loss {loss:.4f}")
        if best is None or loss < best[0] - 1e-4:
            best = (loss, name, grid, conf)
    _, name, grid, conf = best
    level, offsets = ((0.0, 1.0), {}) if grid is None else fitted(grid, range(len(rows)))
    offsets = {n: round(w, 3) for n, w in offsets.items()}
    print(
        f"chosen level: {name}, logit intercept {level[0]:+.1f}, slope {level[1]:.1f}"
        + "".join(f", {n} {w:+.2f}" for n, w in offsets.items())
    )
    return level, offsets, conf


def choose_for_new_reports(rows, fresh: dict[str, list[dict]], engine: str, model: str,
                           candidates):
    """(name, features, l2) of the candidate, fitted on `rows`, whose confidences on the
    `fresh` sets (never fitted, never read for rules) have the best log-loss once their level
    is set (`_fresh_level`, leave-one-report-out): the fitting sets' own leave-one-report-out
    choice favours what their tuned rules make predictable."""
    fresh_rows = [r for rs in fresh.values() for r in rs]
    results = {}
    for name, features in candidates.items():
        for l2 in L2_GRID:
            cal = LogisticCalibration.fit(engine, model, "", rows, features, l2)
            raw = [cal.predict(feature_values(r, cal.counts)) for r in fresh_rows]
            with contextlib.redirect_stdout(io.StringIO()):
                _, _, conf = _fresh_level(cal, fresh)
            results[(name, l2)] = log_loss(fresh_rows, conf)
            s = confidence_summary(conf, [r["agreed"] for r in fresh_rows])
            print(
                f"{name:32s} l2={l2:<6} on new reports: log-loss {results[(name, l2)]:.4f} "
                f"(before the level {log_loss(fresh_rows, raw):.4f}), ECE {s['ece']:.3f}, "
                f"AUROC {s['auroc']:.3f}"
            )
    name, l2 = min(results, key=results.get)
    return name, candidates[name], l2


def _main_logistic(args, sets, rows, engine: str, model: str, fresh=None) -> int:
    candidates = CANDIDATES
    if any(r.get("raw") is not None for r in rows):  # an LLM: its own confidence comes first
        candidates = {"raw": ("raw",)} | {f"raw+{k}": ("raw", *v) for k, v in CANDIDATES.items()}
    name, features, l2 = choose_logistic(sets, engine, model, candidates)
    if fresh:  # what is deployed meets new reports: the sets never tuned on choose
        name, features, l2 = choose_for_new_reports(rows, fresh, engine, model, candidates)
    print(f"chosen: {name} ({', '.join(features)}), l2={l2}")
    conf = cross_validated_logistic(rows, engine, model, features, l2)
    _summarise_sets(sets, rows, conf, label=_label)
    _summarise_stability(sets)
    digest = hashlib.sha256(
        json.dumps(
            # the report's name, not where it is ingested: the same data, the same version
            [[(r["report"].rsplit(":", 1)[-1], r["question"], r["agreed"], r["independent"])
              for r in rows],
             features, l2], default=str, sort_keys=True,
        ).encode()
    ).hexdigest()[:8]
    cal = LogisticCalibration.fit(engine, model, "", rows, features, l2, _fitted_on(sets))
    print(f"intercept {cal.intercept:+.3f} (features standardised: per sd)")
    for feature in features:
        mean, sd = cal.scale[feature]
        print(f"  {feature:14s} {cal.coefficients[feature]:+.3f}  (mean {mean:.3f}, sd {sd:.3f})")
    if fresh:
        cal.recalibration, cal.level_offsets, fresh_conf = _fresh_level(cal, fresh)
        cal.recalibrated_on = _fitted_on(fresh)
        _summarise_sets(fresh, [r for rs in fresh.values() for r in rs], fresh_conf, _label)
        print("the fitting sets at the level of new reports:")
        _summarise_sets(sets, rows, [
            round(relevel(p, cal.recalibration, cal.level_offsets, level_values(r)), 3)
            for p, r in zip(conf, rows, strict=True)
        ], _label)
        fresh_rows = [(r["report"].rsplit(":", 1)[-1], r["question"], r["agreed"])
                      for rs in fresh.values() for r in rs]
        digest = hashlib.sha256(
            json.dumps(
                [digest, fresh_rows, cal.recalibration]
                + ([cal.level_offsets] if cal.level_offsets else []), sort_keys=True
            ).encode()
        ).hexdigest()[:8]
    cal.version = version = f"{engine}-{model}-cal-{digest}"
    if args.write:
        path = path_for(engine, model)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cal.to_json(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path} ({version})")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
