"""Bulk draft-scoring of a year's reports: resumable, idempotent, concurrent.

A run is identified by what it asks (folder, period, engine, model, bank and template
versions), so re-running the same command continues the same run. Drafts are stored one at a
time as they finish, keyed so that no (report version, question, bank version, template
version, engine, model) is ever drafted twice; a SIGKILL loses at most the drafts in flight.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from assistant.drafting.drafter import Drafter, DraftOutcome, drafting_phases
from assistant.library import ReportRecord, newest_version, now_iso
from assistant.questions import Question
from assistant.unicode import escape_surrogates, printable_name

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """What a bulk run (this invocation) did."""

    run_id: str
    period: str | None
    engine: str
    model: str | None
    reports: list[ReportRecord] = field(default_factory=list)
    drafted: int = 0
    reused: int = 0
    stale: int = 0  # of the reused: made with other settings (see Drafter.redraft_stale)
    failed: int = 0
    ingest_failures: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # report, question, why
    tokens: dict = field(default_factory=dict)  # this invocation's calls and tokens
    tokens_cumulative: dict = field(default_factory=dict)  # every invocation of the run
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "period": self.period,
            "engine": self.engine,
            "model": self.model,
            "reports": len(self.reports),
            "drafted": self.drafted,
            "reused": self.reused,
            "stale": self.stale,
            "failed": self.failed,
            "ingest_failures": [{"path": p, "error": e} for p, e in self.ingest_failures],
            "failures": [
                {"report_id": r, "question_id": q, "error": e} for r, q, e in self.failures
            ],
            "tokens": self.tokens,
            "tokens_cumulative": self.tokens_cumulative,
            "seconds": round(self.seconds, 1),
        }


def run_id_for(source: str, period: str | None, drafter: Drafter) -> str:
    """Same command, same run: the id is a hash of what the run asks for."""
    template, version = drafter.template
    parts = [
        source,
        period,
        drafter.engine.name,
        drafter.engine.model,
        drafter.bank.name,
        drafter.bank.version,
        template,
        version,
    ]
    return "run-" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:10]


class RunStore:
    """Runs and their per-item progress in SQLite."""

    def __init__(self, db) -> None:
        self.db = db

    def list(self, kind: str = "score", *, with_reports: bool = False) -> list[dict]:
        """Runs of one kind, newest first (run_id, label, engine, status, updated_at); with
        `with_reports`, only runs that hold at least one report (not a folder without PDFs)."""
        having = (
            " AND EXISTS (SELECT 1 FROM run_files f WHERE f.run_id=runs.run_id "
            "AND f.report_id IS NOT NULL)"
            if with_reports
            else ""
        )
        with self.db.connect() as conn:
            # updated_at has whole seconds: on a tie, the run created last comes first
            rows = conn.execute(
                "SELECT run_id, label, engine, status, updated_at FROM runs "
                f"WHERE kind=?{having} ORDER BY updated_at DESC, rowid DESC",
                (kind,),
            ).fetchall()
        return [dict(r) for r in rows]

    def overview(self, kind: str = "score") -> list[dict]:
        """Runs newest first with what they hold: reports, and items drafted, reused, failed
        (over every invocation of the run)."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT r.run_id, r.label AS period, r.engine, r.model, r.status, r.source, "
                "r.created_at AS started, r.updated_at AS updated, NULL AS reports, "
                "(SELECT COUNT(*) FROM run_items i WHERE i.run_id=r.run_id "
                " AND i.status='drafted') AS drafted, "
                "(SELECT COUNT(*) FROM run_items i WHERE i.run_id=r.run_id "
                " AND i.status='reused') AS reused, "
                "(SELECT COUNT(*) FROM run_items i WHERE i.run_id=r.run_id "
                " AND i.status='failed') AS failed "
                "FROM runs r WHERE r.kind=? ORDER BY r.updated_at DESC, r.rowid DESC",
                (kind,),
            ).fetchall()
        runs = [dict(r) for r in rows]
        for run in runs:
            run["reports"] = len(self.report_ids(run["run_id"]))
        return runs

    def find(self, ref: str, kind: str = "score") -> list[dict]:
        """Runs whose id is `ref` or starts with it (with or without the `run-` prefix)."""
        ref = ref.strip()
        if ref and not ref.startswith("run-"):
            ref = "run-" + ref
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE kind=? AND run_id LIKE ? ORDER BY updated_at DESC",
                (kind, ref + "%"),
            ).fetchall()
        return [dict(r) for r in rows]

    def labelled(self, source: str, label: str, kind: str = "score") -> bool:
        """Whether a stored run of `source` carries `label`."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM runs WHERE kind=? AND source=? AND label=? LIMIT 1",
                (kind, source, label),
            ).fetchone()
        return row is not None

    def start(
        self,
        run_id: str,
        *,
        kind: str,
        label: str | None,
        source: str,
        drafter: Drafter,
        params: dict,
    ) -> None:
        template, version = drafter.template
        with self.db.transaction() as conn:
            row = conn.execute("SELECT run_id FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row:
                conn.execute(
                    "UPDATE runs SET status='running', updated_at=? WHERE run_id=?",
                    (now_iso(), run_id),
                )
                return
            conn.execute(
                "INSERT INTO runs (run_id, kind, label, source, engine, model, bank_name, "
                "bank_version, template, template_version, settings_hash, status, params, "
                "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    kind,
                    label,
                    source,
                    drafter.engine.name,
                    drafter.engine.model,
                    drafter.bank.name,
                    drafter.bank.version,
                    template,
                    version,
                    drafter.settings_hash,
                    "running",
                    json.dumps(params),
                    now_iso(),
                    now_iso(),
                ),
            )

    def params(self, run_id: str) -> dict:
        run = self.get(run_id)
        return json.loads(run["params"]) if run else {}

    def update_params(self, run_id: str, changes: dict) -> None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT params FROM runs WHERE run_id=?", (run_id,)).fetchone()
            params = json.loads(row[0]) if row else {}
            params.update(changes)
            conn.execute(
                "UPDATE runs SET params=?, updated_at=? WHERE run_id=?",
                (json.dumps(params), now_iso(), run_id),
            )

    def finish(self, run_id: str, status: str, summary: dict) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE runs SET status=?, summary=?, updated_at=? WHERE run_id=?",
                (status, json.dumps(summary), now_iso(), run_id),
            )

    def record_file(
        self, run_id: str, path: str, report_id: str | None, status: str, error: str | None
    ) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_files VALUES (?,?,?,?,?)",
                # a file name's bytes that are not UTF-8 are written out: SQLite refused them
                (
                    run_id,
                    printable_name(path),
                    report_id,
                    status,
                    error and escape_surrogates(error),
                ),
            )

    def record_item(self, run_id: str, outcome: DraftOutcome) -> None:
        d = outcome.draft
        status = "failed" if d.status == "failed" else ("drafted" if outcome.created else "reused")
        with self.db.transaction() as conn:
            # a draft this run made stays "drafted" when a later invocation of the run reuses
            # it, so `runs` counts what the run did over all its invocations, not the last one
            conn.execute(
                "INSERT INTO run_items VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT (run_id, report_id, question_id) DO UPDATE SET "
                "status = CASE WHEN excluded.status = 'reused' AND run_items.status = 'drafted' "
                "AND run_items.draft_id IS excluded.draft_id THEN 'drafted' "
                "ELSE excluded.status END, "
                "draft_id = excluded.draft_id, error = excluded.error, "
                "updated_at = excluded.updated_at",
                (run_id, d.report_id, d.question_id, status, d.draft_id, d.error, now_iso()),
            )

    def get(self, run_id: str) -> dict | None:
        with self.db.connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return dict(row) if row else None

    def latest(self, kind: str = "score") -> dict | None:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT * FROM runs WHERE kind=? ORDER BY updated_at DESC, rowid DESC LIMIT 1",
                (kind,),
            ).fetchone()
        return dict(row) if row else None

    def report_ids(self, run_id: str) -> list[str]:
        """The run's reports as `score` counts them: the current version of each report its
        files hold, once (a corrected copy beside the original, or a newer version ingested
        from elsewhere, stands for the older file); `score`, `runs` and `cohort --run` agree."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT f.report_id FROM run_files f WHERE f.run_id=? AND f.report_id IS NOT NULL "
                "ORDER BY f.rowid",
                (run_id,),
            ).fetchall()
            return list(dict.fromkeys(newest_version(conn, r[0]) for r in rows))


def draft_items(
    drafter: Drafter,
    reports: list[ReportRecord],
    questions: list[Question],
    *,
    run_id: str,
    concurrency: int = 1,
    on_item: Callable[[DraftOutcome], None] | None = None,
) -> list[DraftOutcome]:
    """Draft every (report, question) pair, stored one by one as they finish.

    Questions that synthesise other answers (free text) go after the rest of their report.
    """
    first, last = drafting_phases(questions)
    pages_cache: dict[str, dict[int, str]] = {}
    lock = threading.Lock()
    outcomes: list[DraftOutcome] = []

    def pages(report: ReportRecord) -> dict[int, str]:
        with lock:
            if report.report_id not in pages_cache:
                pages_cache[report.report_id] = drafter.reports.pages(report.report_id)
            return pages_cache[report.report_id]

    def one(report: ReportRecord, unit: list[Question], earlier: dict | None):
        """A unit's drafts: one question, or a theme's questions in one call (theme context);
        the syntheses of the last phase always one by one."""
        if earlier is None:
            return drafter.draft_unit(report, unit, run_id=run_id, page_text=pages(report))
        return [
            drafter.draft_question(
                report, q, run_id=run_id, earlier=earlier, page_text=pages(report)
            )
            for q in unit
        ]

    def run_phase(pairs, earlier_for) -> None:
        if concurrency <= 1:
            results = (one(r, u, earlier_for(r)) for r, u in pairs)
            for drafted in results:
                for outcome in drafted:
                    outcomes.append(outcome)
                    if on_item:
                        on_item(outcome)
            return
        pool = ThreadPoolExecutor(max_workers=concurrency)
        futures: list = []
        taken: dict = {}  # future -> how many of its outcomes reached on_item

        def take(future) -> None:
            for outcome in future.result()[taken.get(future, 0) :]:
                outcomes.append(outcome)
                taken[future] = taken.get(future, 0) + 1
                if on_item:
                    on_item(outcome)

        try:
            futures = [pool.submit(one, r, u, earlier_for(r)) for r, u in pairs]
            for future in as_completed(futures):
                take(future)
        except BaseException:
            # Ctrl-C (or a failure): queued pairs are never sent to the model; the calls in
            # flight finish and are stored, and go to on_item too, so the run records them as
            # its own (a re-run counted them reused). A re-run drafts what is left.
            pool.shutdown(wait=False, cancel_futures=True)
            _take_in_flight(futures, take)
            raise
        pool.shutdown()

    run_phase([(r, u) for r in reports for u in drafter.units(first)], lambda r: None)
    if last:

        def earlier_for(report: ReportRecord) -> dict:
            return {
                d.question_id: d.answer
                for d in drafter.drafts.for_report(report.report_id)
                if d.engine == drafter.engine.name
            }

        run_phase([(r, [q]) for r in reports for q in last], earlier_for)
    return outcomes


def _take_in_flight(futures: list, take: Callable) -> None:
    """After an interruption: wait for the futures that were running (not the cancelled
    ones) and hand their outcomes to `take`. A unit that failed is left to the re-run; a
    second Ctrl-C stops the wait."""
    for future in futures:
        if future.cancelled():
            continue
        try:
            take(future)
        except Exception:  # noqa: BLE001 — the first error is the one being raised
            log.debug("an in-flight unit failed after the interruption", exc_info=True)


def source_label(folder: Path) -> str:
    """The folder a run scores, as stored (a byte that is not UTF-8 written out, "\\xff")."""
    return printable_name(str(Path(folder).resolve()))
