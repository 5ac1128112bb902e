"""Run an eval: draft a labelled set with an engine (or take stored drafts), score the drafts
against human audit scores, store the run in `eval_runs` and write the three outputs.

Two ways in, one scoring path:
- the labelled synthetic year (default): reports generated from a seed, ingested into a separate
  eval workspace (`<home>/evals/work`, so fictional reports never enter the user's library),
  drafted fresh, and scored against the generator's gold CSV;
- a user's own human-scores CSV: the reports already in the library, scored as drafted
  (`drafts="stored"`), or drafting what is missing (`drafts="reuse"`).
Scoring is in scoring.py (statistics in metrics.py); outputs in summary.py (all in
assistant/evaluation/).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.engines.base import can
from assistant.engines.calibration import UNCALIBRATED, load_calibration
from assistant.errors import ConfigError, NotFoundError
from assistant.evaluation import metrics as m
from assistant.evaluation.human_scores import load_human_scores, resolve_reports
from assistant.evaluation.labelled_year import (
    DEFAULT_LENGTH,
    DEFAULT_N,
    DEFAULT_SEED,
    generate_labelled_year,
    open_labelled_set,
)
from assistant.evaluation.metrics import confidence_summary
from assistant.evaluation.scoring import (
    Item,
    aggregate,
    human_agreement,
    jsonable,
    reliability,
    retrieval_scores,
    score_question,
)
from assistant.evaluation.summary import comparison_markdown, headline, write_outputs
from assistant.evaluation.workspace import EvalLibrary

MODES = ("hybrid", "dense", "lexical")
KS = (1, 3, 5, 8)
BASELINE_NOTE = (
    "Majority baseline, leave-one-out: each report gets the most common human "
    "answer of the other reports (multi-select: options chosen for more than half "
    "of them; counts: their median), so no report sees its own answer. Its kappa can fall "
    "below 0: leaving a report out tips a close majority against that report's answer."
)


@dataclass
class EvalRun:
    """A finished eval: its id, where the outputs are and the full metrics."""

    eval_id: str
    out_dir: Path
    outputs: dict[str, str]
    metrics: dict = field(repr=False)

    def headline(self) -> str:
        """A few lines for the console."""
        return headline(self.metrics)


# --- running -----------------------------------------------------------------------------------


def _say(on_progress, message: str) -> None:
    if on_progress:
        on_progress(message)


@dataclass
class _Source:
    """Where the reports and human scores of a run come from."""

    lib: EvalLibrary  # the library whose index and drafts are used
    scores: Any  # HumanScores
    mapping: dict[str, str | None]  # report reference in the scores -> report id
    describe: dict
    failed: list[dict] = field(default_factory=list)


def match_gold_reports(refs, files: list[Path]) -> dict[str, Path | None]:
    """Each gold.csv report reference -> the PDF it names (file name, with or without
    `.pdf`, case-insensitive; a relative path may be given), or None."""
    by_name: dict[str, Path] = {}
    for path in files:
        by_name.setdefault(path.name.lower(), path)
        by_name.setdefault(path.stem.lower(), path)
    found = {}
    for ref in refs:
        name = Path(ref.replace("\\", "/")).name.lower()
        found[ref] = by_name.get(name) or by_name.get(name.removesuffix(".pdf"))
    return found


def _labelled_source(
    main, labelled_dir, n: int, seed: int, on_progress, length: str = DEFAULT_LENGTH
) -> _Source:
    bank = main.bank
    if labelled_dir:
        folder = Path(labelled_dir)
        if not folder.is_dir():
            raise ConfigError(f"labelled folder {folder} not found", "give a folder with gold.csv")
        labelled = open_labelled_set(folder, bank)
        if not labelled.gold_csv.exists():
            raise ConfigError(
                f"no gold.csv (or manifest.json) in {folder}",
                "put the human scores in gold.csv beside the reports",
            )
        if not labelled.files:
            raise ConfigError(f"no PDF found below {folder}", "nothing to evaluate")
    else:
        folder = main.settings.home / "evals" / "labelled" / f"seed{seed}-n{n}-{length}"
        _say(on_progress, f"generating {n} {length} labelled reports (seed {seed}) in {folder}")
        labelled = generate_labelled_year(folder, n=n, seed=seed, bank=bank, length=length)
    scores = load_human_scores(labelled.gold_csv, bank)
    matched = match_gold_reports(scores.reports, labelled.files)
    unmatched = [ref for ref, path in matched.items() if path is None]
    if unmatched:
        raise ConfigError(
            f"{len(unmatched)} report(s) in {labelled.gold_csv.name} match no PDF below "
            f"{labelled.folder}: {', '.join(unmatched[:5])}" + (" …" if len(unmatched) > 5 else ""),
            "name each report by its file name",
        )
    files = list(dict.fromkeys(matched.values()))  # only the reports the gold rows score
    lib = main.workspace(main.settings.home / "evals" / "work")
    _say(on_progress, f"ingesting {len(files)} reports into {lib.settings.home}")
    results = list(lib.ingest(files))
    by_path = {str(Path(r.path)): r.report.report_id for r in results if r.report}
    mapping = {ref: by_path.get(str(path)) for ref, path in matched.items()}
    describe = {
        "kind": "generated" if labelled.seed is not None else "folder",
        "describe": labelled.describe(),
        "folder": str(labelled.folder),
        "seed": labelled.seed,
        "length": labelled.length,
        "n": labelled.n,
        "gold_csv": str(labelled.gold_csv),
    }
    failed = [r.to_json() for r in results if r.status == "failed"]
    return _Source(lib, scores, mapping, describe, failed)


def _csv_source(main, human_csv) -> _Source:
    scores = load_human_scores(human_csv, main.bank)
    mapping = resolve_reports(
        scores,
        lambda ref: main.resolve_report(ref).report_id,
        lambda rid: main.reports.get(rid).n_pages,
    )
    describe = {
        "kind": "csv",
        "describe": f"human scores {human_csv}",
        "csv": str(human_csv),
        "auditors": scores.auditors,
    }
    return _Source(main, scores, mapping, describe)


def _collect_drafts(lib, reports, questions, engine: str, drafts: str, on_progress) -> dict:
    """(report id, question id) -> draft: drafted now (fresh / reuse) or read from the store."""
    drafter = lib.drafter(engine) if drafts != "stored" else None
    found: dict[tuple[str, str], Any] = {}
    for number, report in enumerate(reports, 1):
        if drafter is None:
            for d in lib.drafts.for_report(report.report_id, engine=engine):
                found[(report.report_id, d.question_id)] = d
            continue
        _say(on_progress, f"drafting {number}/{len(reports)}: {report.file_name}")
        lib.ensure_indexed(report)
        outcomes = drafter.draft_report(report, questions, replace=drafts == "fresh")
        found.update({(report.report_id, o.draft.question_id): o.draft for o in outcomes})
    return found


def _reliability(lib, engine: str, sample, questions, stored, on_progress) -> dict:
    if not sample:
        return {"measured": False, "note": "not measured (no reports sampled)"}
    _say(on_progress, f"run-to-run reliability on {len(sample)} report(s)")
    # Re-drafts are `fresh`: a cached reply would agree trivially, so the model is asked again.
    drafter = lib.drafter(engine)
    out = {"measured": True, **reliability(drafter, sample, questions, stored)}
    if can(drafter.engine, "deterministic"):
        out["note"] = (
            f"The {drafter.engine.name} engine is deterministic (rules, no sampling): "
            "1.0 expected."
        )
    else:
        out["note"] = "Re-drafted with the response cache off: every prompt went to the model."
    return out


def _identity(lib, engine: str, stored: dict) -> tuple[Counter, tuple]:
    """Which engine, model and template made the drafts (the most common, when mixed)."""
    seen = Counter((d.engine, d.model, d.template, d.template_version) for d in stored.values())
    if seen:
        return seen, seen.most_common(1)[0][0]
    try:
        obj = lib.engine(engine)
    except Exception:  # e.g. an LLM engine without an endpoint while scoring stored drafts
        obj = None
    meta = (getattr(obj, k, None) for k in ("model", "template", "template_version"))
    return seen, (engine, *meta)


def run_eval(
    library: EvalLibrary | None = None,
    *,
    human_csv: Path | str | None = None,
    labelled_dir: Path | str | None = None,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    length: str = DEFAULT_LENGTH,
    engine: str | None = "offline",
    question_ids: list[str] | None = None,
    drafts: str | None = None,
    modes: Sequence[str] = MODES,
    ks: Sequence[int] = KS,
    reliability_reports: int = 3,
    n_boot: int = m.DEFAULT_BOOT,
    write: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> EvalRun:
    """Run one eval and store it; returns the run with its metrics and output paths.

    Without `human_csv`, a labelled year of `n` reports is generated from `seed` at `length`
    ("long": 40-100 pages; "short": 12-30) or read from `labelled_dir`, and drafted fresh in
    the eval workspace. With `human_csv`, the library's
    reports are scored against that file, using stored drafts (`drafts="stored"`, default) or
    drafting the missing ones (`"reuse"`) or all (`"fresh"`). `engine=None` means the
    configured engine; `modes=()` skips retrieval; `reliability_reports=0` skips re-drafting.
    """
    if drafts not in (None, "fresh", "reuse", "stored"):
        raise ValueError(f"drafts must be fresh, reuse or stored, not {drafts!r}")
    started = time.perf_counter()
    if library is None:
        raise TypeError("run_eval needs the EvalLibrary whose settings and stores it uses")
    main = library
    bank = main.bank
    if human_csv is None:
        src = _labelled_source(main, labelled_dir, n, seed, on_progress, length)
        drafts = drafts or "fresh"
    else:
        src = _csv_source(main, human_csv)
        drafts = drafts or "stored"
    lib = src.lib
    engine = engine or lib.settings.resolved_engine()
    wanted = {q.id for q in bank.select(question_ids)}
    scored_ids = {r.question_id for r in src.scores.rows}
    questions = [
        q
        for q in bank.questions
        if q.id in wanted and q.answerable_from_text and q.id in scored_ids
    ]
    ids = {q.id for q in questions}
    # a report that failed to ingest keeps its items: they count as "missing" drafts
    items = [
        Item(ref, src.mapping.get(ref) or "", qid, rows)
        for (ref, qid), rows in src.scores.by_item().items()
        if qid in ids
    ]
    report_ids = dict.fromkeys(it.report_id for it in items if it.report_id)
    reports = [lib.reports.get(rid) for rid in report_ids]
    stored = _collect_drafts(lib, reports, questions, engine, drafts, on_progress)
    for it in items:
        it.draft = stored.get((it.report_id, it.question_id))

    retrieval = None
    if modes:
        _say(on_progress, f"retrieval recall@k ({', '.join(modes)})")
        retrieval = retrieval_scores(lib.index(), questions, items, modes, ks)
    per_question = {}
    for q in questions:
        mine = [it for it in items if it.question_id == q.id]
        per_question[q.id] = score_question(q, mine, n_boot=n_boot, seed=seed)
        ceiling = human_agreement(q, mine, n_boot=n_boot, seed=seed)
        if ceiling:
            per_question[q.id]["human_human"] = ceiling
        if retrieval:
            per_question[q.id]["retrieval"] = retrieval["per_question"].get(q.id, {})
    qs = list(per_question.values())
    confidence = confidence_by_engine(items, _gold_set_name(src.describe))
    sample = reports[:reliability_reports]
    rel = _reliability(lib, engine, sample, questions, stored, on_progress)

    seen, (eng, model, template, template_version) = _identity(lib, engine, stored)
    created = datetime.now(UTC)
    eval_id = f"ev-{created:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    metrics = {
        "eval_id": eval_id,
        "created_at": created.isoformat(timespec="seconds"),
        "engine": eng,
        "model": model,
        "template": template,
        "template_version": template_version,
        "draft_sources": [[*k, v] for k, v in seen.items()],
        "bank": {"name": bank.name, "version": bank.version, "fingerprint": bank.fingerprint()},
        "settings_hash": lib.settings.settings_hash(engine),
        "embedding": lib.settings.embedding.name,
        "retrieval_mode": lib.settings.retrieval.mode,
        "labelled_set": src.describe,
        "params": {
            "drafts": drafts,
            "modes": list(modes),
            "ks": list(ks),
            "n_boot": n_boot,
            "seed": seed,
            "question_ids": question_ids,
            "reliability_reports": reliability_reports,
        },
        "n_reports": len(reports),
        "ingest_failures": src.failed,
        "unresolved_reports": sorted(r for r in src.scores.reports if not src.mapping.get(r)),
        "not_drafted_questions": sorted(scored_ids - ids),
        "auditors": src.scores.auditors,
        "baseline_method": BASELINE_NOTE,
        "questions": per_question,
        "confidence": confidence,
        "themes": {
            t.id: {"title": t.title, **aggregate([q for q in qs if q["theme"] == t.id], retrieval)}
            for t in bank.themes
        },
        "overall": aggregate(qs, retrieval),
        "retrieval": retrieval,
        "reliability": rel,
        "items": [_item_json(it) for it in items],
        "seconds": round(time.perf_counter() - started, 1),
    }
    metrics = jsonable(metrics)
    run = EvalRun(eval_id, main.settings.outputs_dir / "evals" / eval_id, {}, metrics)
    if write:
        _say(on_progress, f"writing outputs to {run.out_dir}")
        run.outputs = write_outputs(metrics, run.out_dir)
        store_run(main.db, metrics, run.outputs)
    return run


def _item_json(it: Item) -> dict:
    d = it.draft
    return {
        "report": it.report,
        "report_id": it.report_id,
        "question_id": it.question_id,
        "human": it.reference,
        "auditors": [r.auditor for r in it.rows],
        "gold_pages": sorted(it.gold_pages),
        "status": it.status,
        "draft": d.answer if d is not None else None,
        "cited_pages": d.pages if d is not None else [],
    }


# --- storage and comparison ------------------------------------------------------------------


def store_run(db, metrics: dict, outputs: dict[str, str]) -> None:
    """Insert the run into SQLite `eval_runs`."""
    light = {k: v for k, v in metrics.items() if k != "items"}  # items stay in the JSON file
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO eval_runs (eval_id, created_at, engine, model, bank_version, template, "
            "template_version, settings_hash, labelled_set, params, metrics, outputs) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                metrics["eval_id"],
                metrics["created_at"],
                metrics["engine"],
                metrics["model"],
                metrics["bank"]["version"],
                metrics["template"],
                metrics["template_version"],
                metrics["settings_hash"],
                metrics["labelled_set"]["describe"],
                json.dumps(metrics["params"]),
                json.dumps(light),
                json.dumps(outputs),
            ),
        )


def load_run(db, ref: str) -> dict:
    """A stored run's metrics by eval id or unique id prefix (NotFoundError otherwise)."""
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT eval_id, metrics FROM eval_runs WHERE eval_id LIKE ?", (ref.strip() + "%",)
        ).fetchall()
    exact = [r for r in rows if r["eval_id"] == ref.strip()]
    rows = exact or rows  # a full id is never ambiguous with a longer one it prefixes
    if len(rows) != 1:
        what = "no eval run" if not rows else f"{len(rows)} eval runs"
        raise NotFoundError(
            f"{what} matches '{ref}'", "list them with `review-assistant eval list`"
        )
    return json.loads(rows[0]["metrics"])


def list_runs(db) -> list[dict]:
    """Stored runs, newest first, with their headline figures."""
    with db.connect() as conn:
        rows = conn.execute("SELECT * FROM eval_runs ORDER BY created_at DESC").fetchall()
    out = []
    for r in rows:
        overall = json.loads(r["metrics"]).get("overall", {})
        out.append(
            {
                "eval_id": r["eval_id"],
                "created_at": r["created_at"],
                "engine": r["engine"],
                "model": r["model"],
                "labelled_set": r["labelled_set"],
                "accuracy": overall.get("single_choice_accuracy"),
                "mean_kappa": overall.get("mean_primary_kappa"),
                "recall@8_hybrid": overall.get("recall@8_hybrid"),
                "outputs": json.loads(r["outputs"]),
            }
        )
    return out


def compare_runs(a: str | dict, b: str | dict, db=None) -> str:
    """Markdown table of per-question deltas between two runs (ids, prefixes or metrics)."""
    if isinstance(a, str) or isinstance(b, str):
        if db is None:
            raise TypeError("comparing stored runs needs the database that has them")
        a = load_run(db, a) if isinstance(a, str) else a
        b = load_run(db, b) if isinstance(b, str) else b
    return comparison_markdown(a, b)


# --- CI gate -------------------------------------------------------------------------------


def _gold_set_name(describe: dict) -> str | None:
    """The labelled set as a calibration's `fitted_on` names it: "devset/gold.csv"."""
    gold = describe.get("gold_csv") or describe.get("csv")
    return f"{Path(gold).parent.name}/{Path(gold).name}" if gold else None


def _fitted_on(engine: str, model: str | None, version: str, set_name: str | None) -> bool:
    """Whether the calibration `version` of this engine and model was fitted on this set."""
    if not set_name or version == UNCALIBRATED:
        return False
    try:
        calibration = load_calibration(engine, model)
    except (OSError, ValueError, KeyError):  # an unreadable file says nothing of this set
        return False
    if calibration is None or calibration.version != version:
        return False
    # the set that set the level on new reports (`recalibrated_on`) is in sample too
    fitted = [*calibration.fitted_on, *getattr(calibration, "recalibrated_on", [])]
    return any(str(f).split(":", 1)[0] == set_name for f in fitted)


def _level_set_on(engine: str, model: str | None, versions) -> list[str]:
    """The sets that set the level of these calibration versions on new reports (their
    `recalibrated_on`: reports the rules were never tuned on), for the eval to say so."""
    try:
        calibration = load_calibration(engine, model)
    except (OSError, ValueError, KeyError):
        return []
    if calibration is None or calibration.version not in versions:
        return []
    return list(getattr(calibration, "recalibrated_on", []))


def confidence_by_engine(items, set_name: str | None = None) -> dict:
    """Per engine and model: reliability diagram data, ECE and AUROC of the drafts' confidence
    for agreeing with the auditors' answer (answered drafts; free text left out). `in_sample`
    says the calibration was fitted on this very set (`set_name`, as in its `fitted_on`), so
    its figures do not measure it; the cross-validated ones come from the calibration fit."""
    groups: dict[str, dict] = {}
    for it in items:
        d = it.draft
        if (
            d is None
            or d.status not in ("ok", "flagged")
            or isinstance(d.answer, str)
            and (d.question_id.startswith("C10"))
        ):
            continue
        label = f"{d.engine} ({d.model})"
        g = groups.setdefault(
            label,
            {
                "conf": [], "ok": [], "calibrations": Counter(), "of": (d.engine, d.model),
                "stability": {"moved": [0, 0], "held": [0, 0]},
            },
        )
        ref = it.reference
        ok = set(d.answer) == set(ref) if isinstance(ref, list) else d.answer == ref
        g["conf"].append(float(d.confidence))
        g["ok"].append(bool(ok))
        g["calibrations"][d.calibration or UNCALIBRATED] += 1
        if d.stability is not None:  # [drafts, agreed] moved by less evidence, or held
            cell = g["stability"]["moved" if d.stability else "held"]
            cell[0], cell[1] = cell[0] + 1, cell[1] + bool(ok)
    return {
        label: {
            **confidence_summary(g["conf"], g["ok"]),
            "calibrations": dict(g["calibrations"]),
            "in_sample": any(_fitted_on(*g["of"], v, set_name) for v in g["calibrations"]),
            "level_set_on": _level_set_on(*g["of"], g["calibrations"]),
            "stability": g["stability"] if any(n for n, _ in g["stability"].values()) else None,
        }
        for label, g in sorted(groups.items())
    }


def check_thresholds(metrics: dict, thresholds: dict) -> list[str]:
    """Failures of the CI gate: overall figures below their recorded minimum."""
    failures = []
    for name, minimum in thresholds.get("minimum", {}).items():
        value = metrics["overall"].get(name)
        if value is None or value < minimum:
            failures.append(f"{name} = {value} is below the threshold {minimum}")
    return failures


CI_GOLD = Path(__file__).resolve().parents[2] / "evals" / "data" / "ci_gold.csv"


def ci_gold_csv() -> Path:
    """evals/data/ci_gold.csv: the CI gate's gold answers and pages, frozen as data (the gate's
    generated subset is scored against this file, not against what the generator writes)."""
    return CI_GOLD


def load_thresholds(path: Path | None = None) -> dict:
    """evals/data/thresholds.json (frozen data, beside the CI gate's gold in evals/data/)."""
    path = path or Path(__file__).resolve().parents[2] / "evals" / "data" / "thresholds.json"
    return json.loads(path.read_text(encoding="utf-8"))
