"""The service layer: the use cases. The CLI and the Gradio app are thin shells over this.

Heavy parts (embedding model, Chroma client) are created on first use, so commands that
do not need them start fast.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.bulk.batch import run_batch
from assistant.bulk.cohort import charts as cohort_charts
from assistant.bulk.cohort import cohort_summary
from assistant.bulk.cohort import write_outputs as write_cohort_outputs
from assistant.bulk.cohort import write_tables as write_cohort_tables
from assistant.bulk.export import export_drafts
from assistant.bulk.runs import RunStore, RunSummary, draft_items, run_id_for, source_label
from assistant.chunking import chunk_pages
from assistant.config import Settings, load_settings
from assistant.db import Database
from assistant.drafting.context import STRATEGIES as CONTEXT_STRATEGIES
from assistant.drafting.drafter import Drafter, drafting_phases
from assistant.drafting.plan import StrategyPlan, plan_strategy
from assistant.drafting.store import DraftStore
from assistant.embeddings import get_embedder
from assistant.engines import get_engine
from assistant.engines.base import can
from assistant.errors import (
    OCR_HINT,
    ConfigError,
    InputFileError,
    NotFoundError,
    ReviewAssistantError,
    hide_paths,
    storage_problem,
)
from assistant.evaluation.harness import MODES as EVAL_MODES
from assistant.evaluation.harness import EvalRun, compare_runs, list_runs, load_run, run_eval
from assistant.evaluation.summary import comparison_warnings, headline
from assistant.evaluation.workspace import EvalLibrary
from assistant.index import ChunkIndex, Passage
from assistant.ingest.identity import PERIOD_FORMS, normalise_period, parse_period
from assistant.ingest.pdf import Page, describe_pages, file_sha256, parse_pdf
from assistant.library import ReportRecord, ReportStore, latest_versions
from assistant.locks import writer_lock
from assistant.providers.calllog import CallLog
from assistant.questions import BankError, load_bank
from assistant.review.decisions import DecisionStore, Event, ItemState
from assistant.review.final_answers import export_final_answers, final_answer_rows
from assistant.unicode import (
    escape_surrogates,
    has_surrogates,
    printable_name,
    replace_surrogates_in,
)
from assistant.usecases.reviewer_views import ReviewerViews
from assistant.usecases.yearly_analysis import YearlyAnalysis

if TYPE_CHECKING:
    from assistant.drafting.drafter import DraftOutcome
    from assistant.drafting.store import Citation
    from assistant.engines.base import EvidenceBlock
    from assistant.questions import QuestionBank

log = logging.getLogger(__name__)


NO_PERIOD_WARNING = "reporting period not detected; set it with --period 2020-21"


def checked_period(period: str | None) -> str | None:
    """A period to store (`ingest`/`score --period`) in its stored form; anything that is not
    a period is refused before it labels a report or a run."""
    if period is None:
        return None
    checked = parse_period(period)
    if checked is None:
        raise ReviewAssistantError(
            f"period {period.strip()!r} is not a reporting period", PERIOD_FORMS
        )
    return checked


def _unchecked_run_label(runs: RunStore, source: str, period: str | None) -> str | None:
    """`period` as the label of a stored run of `source` when it is not a period (such runs
    were stored before `score --period` was checked, under the label as given); else None."""
    if period is None or parse_period(period) is not None:
        return None
    label = normalise_period(period)  # how the label was stored then
    return label if label and runs.labelled(source, label) else None


@dataclass(frozen=True)
class _ScorePeriod:
    """What `score --period` makes of its value (and `score --plan` with it): the run's label,
    and the period it fills in files whose period is not detected."""

    label: str | None
    fill: str | None

    @classmethod
    def of(cls, runs: RunStore, source: str, period: str | None) -> _ScorePeriod:
        """A period is both; the label of a run of `source` stored before periods were checked
        labels the run and fills no report's period; anything else is refused."""
        old_label = _unchecked_run_label(runs, source, period)
        if old_label:
            return cls(old_label, None)
        period = checked_period(period)
        return cls(period, period)

    def refuse_new_run(self, runs: RunStore, run_id: str) -> None:
        """A label that is not a period resumes the run stored under it, never starts one."""
        if self.label and self.fill is None and runs.get(run_id) is None:
            raise ReviewAssistantError(
                f"period {self.label!r} is not a reporting period",
                f"{PERIOD_FORMS}; a run stored under that label before periods were checked "
                "resumes only with the engine and model it ran with",
            )


@dataclass(frozen=True)
class _Identity:
    """What an ingest command says of its files' identity (see Assistant.ingest)."""

    partnership: str | None
    period: str | None
    fill_period: str | None
    replaces: str | None


@dataclass
class IngestResult:
    """Outcome for one file: `status` is indexed | unchanged | failed."""

    path: str
    status: str
    report: ReportRecord | None = None
    n_chunks: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "status": self.status,
            "report_id": self.report.report_id if self.report else None,
            "partnership": self.report.partnership if self.report else None,
            "period": self.report.period if self.report else None,
            "pages": self.report.n_pages if self.report else 0,
            "chunks": self.n_chunks,
            "no_text_pages": self.report.no_text_pages if self.report else [],
            "ocr_pages": self.report.ocr_pages if self.report else [],
            "error": self.error,
            "previous_version": self.report.previous_version if self.report else None,
            "warnings": self.warnings,
        }


@dataclass
class AskAnswer:
    """Answer to a reviewer's free question, with verified citations and the evidence shown."""

    report: ReportRecord
    question: str
    status: str
    answer: str
    citations: list[Citation]
    evidence: list[EvidenceBlock]
    engine: str
    model: str | None
    marker: str | None = None
    error: str | None = None

    def to_json(self) -> dict:
        return {
            "report_id": self.report.report_id,
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "engine": self.engine,
            "model": self.model,
            "marker": self.marker,
            "error": self.error,
            "citations": [c.model_dump() for c in self.citations],
            "evidence": [
                {
                    "block_id": b.block_id,
                    "chunk_id": b.passage.chunk_id,
                    "page": b.page,
                    "section": b.section,
                    "text": b.text,
                    "score": b.passage.score,
                }
                for b in self.evidence
            ],
        }


def find_pdfs(paths: Sequence[Path]) -> list[Path]:
    """Files named directly, plus every *.pdf below named folders (sorted, deduplicated)."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf"))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


# --batch sends one question a line: the theme strategy asks a theme's questions in one call
BATCH_STRATEGIES = tuple(s for s in CONTEXT_STRATEGIES if s != "theme")


def _refuse_batch(drafter: Drafter) -> None:
    """Refuse a `score --batch` run this drafter cannot make, before any ingest (score and
    score --plan --batch alike): the Batch API needs the LLM engine and one question a line."""
    if not can(drafter.engine, "batch"):
        raise ConfigError("--batch needs the LLM engine", "configure an endpoint or drop --batch")
    if drafter.strategy not in BATCH_STRATEGIES:
        raise ConfigError(
            f"--batch sends one question a line: it cannot use the {drafter.strategy} context",
            "use --context whole-report or retrieved with --batch, or drop --batch",
        )


def _files_in(folder: Path) -> set[str]:
    """The stored paths of the PDFs in `folder`, as the library records a report's file."""
    return {printable_name(str(p.resolve())) for p in find_pdfs([Path(folder)])}


def _writer_locked(method):
    """Run a use case under the data directory's writer lock (see Assistant.writer_lock)."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self.writer_lock():
            return method(self, *args, **kwargs)

    return locked


class Assistant(YearlyAnalysis, ReviewerViews):
    """Entry point to every use case, sharing one settings object and its stores."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.settings.db_path)
        self.reports = ReportStore(self.db)

    @cached_property
    def embedder(self):
        emb = self.settings.embedding
        return get_embedder(emb.name, **emb.options(self.settings.cache_dir))

    @cached_property
    def index(self) -> ChunkIndex:
        return ChunkIndex(self.settings, self.db, self.embedder)

    # --- use case: ingest ---------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        ocr: bool | None = None,
        partnership: str | None = None,
        period: str | None = None,
        replaces: str | None = None,
        on_chunks: Callable[[int, int], None] | None = None,
        fill_period: str | None = None,
    ) -> Iterator[IngestResult]:
        """Ingest and index files/folders, one result per file; a bad file never stops the rest.

        A file becomes a new version of a stored report only when `replaces` names that report
        (one file only) or the two share partnership and period; otherwise it is a new report.
        `period` sets every file's period; `fill_period` (score --period) only that of files
        where none was detected or stored, before versions are linked, so that copies
        without a period link as with a detected one. `on_chunks(done, total)` reports
        embedding progress within the current file. A bad `period`, `fill_period` or
        `replaces`, or a `partnership` that is not valid Unicode, is refused here, before any
        file is read.
        """
        if partnership and has_surrogates(partnership):
            # typed in a terminal that is not UTF-8 ("\\udce9" for a Latin-1 é): storing it
            # failed every file; a name that links versions and heads documents is not guessed
            bad = escape_surrogates("".join(c for c in partnership if has_surrogates(c)))
            raise ReviewAssistantError(
                f"the partnership name '{escape_surrogates(partnership)}' holds text that is not "
                f"valid Unicode ({bad}: a byte that is not UTF-8, or half an emoji)",
                "type the name again in UTF-8 (check the terminal's encoding); nothing was read",
            )
        period = checked_period(period)
        fill_period = checked_period(fill_period)
        replaced = None
        if replaces:
            files = find_pdfs(paths)
            if len(files) != 1:
                raise ReviewAssistantError(
                    f"--replaces names the one report a new version replaces, but {len(files)} "
                    "PDF files were given",
                    "ingest the new version on its own",
                )
            replaced = self.resolve_report(replaces).report_id
            self.reports.check_replaceable(replaced)
        identity = _Identity(partnership, period, fill_period, replaced)
        return self._ingest_locked(paths, ocr, identity, on_chunks)

    def _ingest_locked(self, paths, ocr, identity, on_chunks) -> Iterator[IngestResult]:
        with self.writer_lock():
            self.index.collection  # noqa: B018 — a broken embedder/store fails once, not per file
            yield from self._ingest_all(paths, ocr, identity, on_chunks)

    def writer_lock(self):
        """Serialise writers of the embedded Chroma store across processes (not needed, and not
        taken, with a Chroma server)."""

        def on_wait() -> None:
            log.warning(
                "another process is writing to %s; waiting for it to finish (a Chroma server, "
                "`chroma.host`, lets several processes work at once)",
                self.settings.home,
            )

        return writer_lock(
            self.settings.home, enabled=not self.settings.chroma.host, on_wait=on_wait
        )

    def _ingest_all(self, paths, ocr, identity, on_chunks) -> Iterator[IngestResult]:
        for path in find_pdfs(paths):
            try:
                yield self._ingest_one(path, ocr, identity, on_chunks)
            except ReviewAssistantError as exc:
                error = hide_paths(str(exc), path, self.settings.home)
                yield IngestResult(path=str(path), status="failed", error=error)
            except Exception as exc:  # unexpected: report it against the file, keep going
                if storage_problem(exc, self.settings.home):
                    raise  # a full disk fails every file after this one: stop, say so once
                log.debug("ingest of %s failed", path, exc_info=True)
                detail = hide_paths(f"{type(exc).__name__}: {exc}", path, self.settings.home)
                yield IngestResult(
                    path=str(path),
                    status="failed",
                    error=f"{path.name}: unexpected error {detail} "
                    "(please report this with the file if you can share it)",
                )

    def _ingest_one(self, path, ocr, identity: _Identity, on_chunks) -> IngestResult:
        partnership, period, replaces = identity.partnership, identity.period, identity.replaces
        if path.suffix.lower() != ".pdf":
            if not path.exists():  # a folder or file that is not there, named without .pdf
                raise InputFileError(
                    path, "not found", "check the path (a PDF, or a folder of PDFs)"
                )
            raise InputFileError(path, "not a .pdf file", "only PDF reports can be ingested")
        if path.exists() and path.stat().st_size > 0:
            report_id = file_sha256(path)
            if self.reports.exists(report_id) and self.index.is_indexed(report_id):
                return self._ingest_unchanged(path, report_id, identity)
        parsed = parse_pdf(path, self.settings.ingest, ocr=ocr)
        report = self.reports.add(
            parsed,
            partnership=partnership,
            period=period or (None if parsed.period else identity.fill_period),
            replaces=replaces,
        )
        linked = []
        if not report.period and identity.fill_period:  # stored before, not indexed here yet
            period = period or identity.fill_period
        if partnership or period:
            self.reports.update_identity(report.report_id, partnership=partnership, period=period)
            if period and not report.previous_version and not replaces:
                linked = self._link_by_identity(report.report_id)
            report = self.reports.get(report.report_id)
        chunks = chunk_pages(
            report.report_id, parsed.pages, self.settings.chunking, self.index.index_key
        )
        total = len(chunks)
        progress = (lambda done: on_chunks(done, total)) if on_chunks else None
        n = self.index.add_report(report.report_id, chunks, progress=progress)
        warnings = linked or self._version_note(report, replaces)
        if report.no_text_pages:
            warnings.append(
                f"no text layer on page(s) {describe_pages(report.no_text_pages)}: "
                f"they look scanned; {OCR_HINT} to read them"
            )
        if report.ocr_pages:
            warnings.append(f"page(s) {describe_pages(report.ocr_pages)} read by OCR")
        warnings += parsed.warnings
        if not report.period:
            warnings.append(NO_PERIOD_WARNING)
        if not report.partnership:
            warnings.append("partnership name not detected; set it with --partnership NAME")
        warnings += self._unlinked_copies(report)
        return IngestResult(str(path), "indexed", report, n, warnings=warnings)

    def _ingest_unchanged(self, path: Path, report_id: str, identity: _Identity) -> IngestResult:
        """A file already stored and indexed: apply what the command says about it."""
        partnership, period, replaces = identity.partnership, identity.period, identity.replaces
        if identity.fill_period and not period and not self.reports.get(report_id).period:
            period = identity.fill_period
        if partnership or period:
            self.reports.update_identity(report_id, partnership=partnership, period=period)
        warnings = []
        if replaces:
            self.reports.mark_replaces(report_id, replaces)
            warnings = self._version_note(self.reports.get(report_id), replaces)
        elif period:  # a period given now links copies as one given at first ingest would
            warnings = self._link_by_identity(report_id)
        report = self.reports.get(report_id)
        warnings += self._unlinked_copies(report)
        count = self.index.indexed_reports()[report_id]
        return IngestResult(str(path), "unchanged", report, count, warnings=warnings)

    def _link_by_identity(self, report_id: str) -> list[str]:
        """Link a stored report whose period was just set to its one other copy (same
        partnership and period), the later ingested as the new version; say which way."""
        linked = self.reports.link_by_identity(report_id)
        if not linked:
            return []
        newer, _older = linked
        if newer.report_id == report_id:
            return self._version_note(newer, None)
        return [
            f"an older version now: {newer.file_name} ({newer.short_id}), ingested later, is "
            "its new version (same partnership and period); this one stays reachable by its id"
        ]

    def _unlinked_copies(self, report: ReportRecord) -> list[str]:
        """Name the copies of this report that no period links as versions (both count)."""
        return [
            f"{twin.file_name} ({twin.short_id}) has the same partnership and no period either, "
            "so both count as separate reports: if one is a corrected copy of the other, give "
            "the period (score or ingest --period 2020-21) and the later file becomes its new "
            "version; if they cover different years, ingest each file with its own --period"
            for twin in self.reports.same_partnership_without_period(report)
        ]

    def _version_note(self, report: ReportRecord, replaces: str | None) -> list[str]:
        """Say so when a file became a new version: the older one leaves the listings."""
        if not report.previous_version:
            return []
        older = self.reports.get(report.previous_version)
        why = "as --replaces asked" if replaces else "same partnership and period"
        return [
            f"a new version of {older.short_id} ({older.file_name}, {older.display_name}, "
            f"{older.period or 'period ?'}): {why}; the older version stays reachable by its id"
        ]

    # --- use case: find reports ---------------------------------------------------------
    def upload_dir(self, source: Path) -> Path:
        """Where the UI keeps an uploaded file's copy: one folder per content hash."""
        return self.settings.home / "uploads" / file_sha256(source)[:16]

    def list_reports(self, period: str | None = None) -> list[ReportRecord]:
        return self.reports.list(period=normalise_period(period))

    def resolve_report(self, ref: str) -> ReportRecord:
        return self.reports.resolve(ref)

    # --- use case: review --------------------------------------------------------------
    @cached_property
    def decisions(self) -> DecisionStore:
        """The reviewers' decisions (append-only events) on this library's drafts."""
        return DecisionStore(self.db, self.bank)

    def record_decision(
        self, report_id: str, question_id: str, reviewer: str, action: str, **details
    ) -> Event:
        """Save one reviewer decision (accept, edit, reject, enter, citation, passage, note) as
        an append-only event; refused with a ConflictError when someone else saved the item
        after `base_event_id` (see assistant.review.decisions.DecisionStore.record)."""
        reviewer = replace_surrogates_in(reviewer)  # as the browser sent it: see record()
        if question_id in self.hidden_for(reviewer, report_id):
            raise ReviewAssistantError(
                f"{reviewer} is second-marking {question_id} of this report blind: a sighted "
                "decision now would anchor on the draft",
                "submit the blind mark first (Second marking tab); nothing was saved",
            )
        return self.decisions.record(report_id, question_id, reviewer, action, **details)

    def review_item(self, report_id: str, question_id: str) -> ItemState:
        """An item's current state, derived from its events."""
        return self.decisions.item(report_id, question_id)

    def review_states(self, report_id: str) -> dict[str, ItemState]:
        """Question id -> current state, for every question of the bank."""
        return self.decisions.current(report_id)

    def review_history(self, report_id: str, question_id: str | None = None) -> list[Event]:
        """A report's (or one item's) decision events, oldest first."""
        return self.decisions.history(report_id, question_id)

    def review_progress(self, report_id: str, question_ids) -> tuple[int, int]:
        """(reviewed, total) over the given questions."""
        return self.decisions.progress(report_id, question_ids)

    def _reports_or_all(self, report_ids: list[str] | None) -> list[ReportRecord]:
        """The named reports; by default the current versions plus every older version a
        reviewer decided something on (a decision never drops out of an export)."""
        if report_ids is not None:
            return [self.reports.get(r) for r in report_ids]
        current = self.list_reports()
        shown = {r.report_id for r in current}
        decided = self.decisions.decided_report_ids() - shown
        older = [r for r in self.reports.list(latest_only=False) if r.report_id in decided]
        return current + older

    def final_answer_rows(self, report_ids: list[str] | None = None) -> list[dict]:
        """One row per (report, question): the draft, the final answer and who decided."""
        return final_answer_rows(self.decisions, self.drafts, self._reports_or_all(report_ids))

    def export_final_answers(
        self, path: Path | str, fmt: str | None = None, *, report_ids: list[str] | None = None
    ) -> Path:
        """Write the reviewers' final answers (XLSX adds the decision log); returns the path."""
        reports = self._reports_or_all(report_ids)
        return export_final_answers(
            self.decisions, self.drafts, reports, path, fmt, report_ids=report_ids
        )

    # --- use case: evals ---------------------------------------------------------------
    def eval_runs(self) -> list[dict]:
        """The stored eval runs, newest first, with their headline figures and outputs."""
        return list_runs(self.db)

    def eval_run(self, ref: str) -> dict:
        """One stored eval run's metrics (id or unique prefix)."""
        return load_run(self.db, ref)

    @staticmethod
    def eval_headline(metrics: dict) -> str:
        return headline(metrics)

    def compare_evals(self, a: str, b: str) -> tuple[str, list[str]]:
        """Markdown table of per-question deltas between two runs, and what makes them not
        comparable (different question sets, labelled sets, engines)."""
        first, second = self.eval_run(a), self.eval_run(b)
        return compare_runs(first, second), comparison_warnings(first, second)

    def run_eval(self, *, retrieval: bool = True, **options) -> EvalRun:
        """Run one eval and store it (see assistant.evaluation.harness.run_eval); without
        `retrieval`, retrieval recall is not measured."""
        return run_eval(self.eval_library(), modes=EVAL_MODES if retrieval else (), **options)

    def eval_library(self) -> EvalLibrary:
        """This library as the eval harness sees it: stores and drafting, never the service."""
        return EvalLibrary(
            settings=self.settings,
            bank=self.bank,
            db=self.db,
            reports=self.reports,
            drafts=self.drafts,
            index=lambda: self.index,
            drafter=self.drafter,
            engine=self.engine,
            ingest=self.ingest,
            ensure_indexed=self.ensure_indexed,
            open_workspace=lambda settings: Assistant(settings).eval_library(),
        )

    # --- use case: search ---------------------------------------------------------------
    def search(
        self, report_ref: str | None, query: str, *, k: int | None = None, mode: str | None = None
    ) -> list[Passage]:
        """Ranked passages of one report (or all reports when `report_ref` is None)."""
        report_ids = None
        if report_ref:
            report = self.resolve_report(report_ref)
            self.ensure_indexed(report)
            report_ids = [report.report_id]
        return self.index.search(query, report_ids, k=k, mode=mode)

    def ensure_indexed(self, report: ReportRecord) -> None:
        """Index a stored report under the current settings if it is not yet (e.g. new model)."""
        if self.index.is_indexed(report.report_id):
            return

        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT page, text, raw_chars, ocr FROM pages WHERE report_id=? ORDER BY page",
                (report.report_id,),
            ).fetchall()
        pages = [Page(r["page"], r["text"], r["raw_chars"], bool(r["ocr"])) for r in rows]
        chunks = chunk_pages(report.report_id, pages, self.settings.chunking, self.index.index_key)
        with self.writer_lock():
            if not self.index.is_indexed(report.report_id):  # another process may have, meanwhile
                self.index.add_report(report.report_id, chunks)

    # --- use case: the audit tool ------------------------------------------------------
    @cached_property
    def bank(self) -> QuestionBank:
        try:
            return load_bank(self.settings.bank)
        except BankError as exc:
            raise ConfigError(str(exc), "fix the question bank file") from exc

    @cached_property
    def drafts(self) -> DraftStore:
        return DraftStore(self.db)

    def engine(self, name: str | None = None, *, context: str | None = None, send: bool = True):
        """The drafting engine by name (default: settings, `auto` → llm if configured); with
        `context`, the LLM engine's context strategy for this run instead of `llm.context`;
        `send=False`, one that only renders prompts (a plan: no endpoint needed)."""
        return get_engine(
            name or self.settings.resolved_engine(),
            settings=self._settings_with_context(context),
            db=self.db,
            send=send,
        )

    def drafter(
        self,
        engine_name: str | None = None,
        *,
        retrieval_mode: str | None = None,
        context: str | None = None,
        send: bool = True,
        redraft_stale: bool = False,
    ) -> Drafter:
        """A drafter over the library (`redraft_stale`: drafts made with other settings are
        drafted again, not reused; score --redraft-stale)."""
        engine = self.engine(engine_name, context=context, send=send)
        drafter = Drafter(
            self.index,
            self.reports,
            self.drafts,
            engine,
            self.bank,
            self.settings.settings_hash(engine.name),
            retrieval_mode=retrieval_mode,
        )
        drafter.redraft_stale = redraft_stale
        return drafter

    def draft_report(
        self,
        report_ref: str,
        *,
        question_ids: list[str] | None = None,
        engine: str | None = None,
        replace: bool = False,
        on_item=None,
        context: str | None = None,
    ) -> tuple[ReportRecord, list[DraftOutcome]]:
        """Draft the audit tool (or some questions) for one report (`context`: the LLM
        engine's context strategy for this run, see assistant/drafting/context.py)."""
        report = self.resolve_report(report_ref)
        self.ensure_indexed(report)
        questions = self.select_questions(question_ids)
        drafter = self.drafter(engine, context=context)
        # Re-drafting on request (draft --force) asks the model again: no cached reply.
        outcomes = drafter.draft_report(
            report, questions, replace=replace, on_item=on_item, fresh=replace
        )
        return report, outcomes

    def ask(self, report_ref: str, question: str, *, engine: str | None = None) -> AskAnswer:
        """A reviewer's free question to one report."""
        report = self.resolve_report(report_ref)
        self.ensure_indexed(report)
        drafter = self.drafter(engine)
        asked = drafter.ask(report, question)
        chosen, result = drafter.engine, asked.result
        return AskAnswer(
            report=report,
            question=question,
            status=result.status,
            answer=str(result.answer or ""),
            citations=asked.citations,
            evidence=asked.evidence,
            engine=chosen.name,
            model=result.model or chosen.model,
            marker=result.marker,
            error=result.error,
        )

    # --- use case: score a year ---------------------------------------------------------
    @_writer_locked
    def score(
        self,
        folder: Path,
        *,
        period: str | None = None,
        engine: str | None = None,
        concurrency: int | None = None,
        question_ids: list[str] | None = None,
        batch: bool = False,
        poll_seconds: float = 30.0,
        redraft_stale: bool = False,
        on_file=None,
        on_start=None,
        on_item=None,
        context: str | None = None,
        workers: int | None = None,
    ):
        """Ingest what is new in `folder`, then draft every (report, question); resumable.

        With `workers` > 1, an engine that drafts in this process (offline) drafts whole
        reports in that many processes; drafts are the same. Off by default: on 24 long
        reports two workers ran at 0.75x of one process (`bench --year`), start-up costs more
        than it saves at that size.

        With `batch`, drafts go through the OpenAI Batch API (LLM engine only). Stored drafts
        are reused; with `redraft_stale`, those made with other settings are re-drafted.

        A `period` that is not one is refused, unless it is the label of a run of `folder`
        stored before periods were checked: that run is resumed (its label fills no report's
        period)."""
        import time

        started = time.perf_counter()
        source = source_label(folder)
        runs = RunStore(self.db)
        # a run stored before --period was checked keeps its label: that label resumes it
        score_period = _ScorePeriod.of(runs, source, period)
        period = score_period.label
        drafter = self.drafter(engine, context=context, redraft_stale=redraft_stale)
        run_id = run_id_for(source, period, drafter)
        score_period.refuse_new_run(runs, run_id)
        if concurrency is None:
            concurrency = self.settings.llm.concurrency if can(drafter.engine, "concurrent") else 1
        if batch:
            _refuse_batch(drafter)
        self.check_score_folder(folder)  # no PDFs: no run left behind in the Cohort picker
        questions = self.select_questions(question_ids)
        runs.start(
            run_id,
            kind="score",
            label=period,
            source=source,
            drafter=drafter,
            params={"concurrency": concurrency, "questions": question_ids},
        )
        summary = RunSummary(run_id, period, drafter.engine.name, drafter.engine.model)
        first_call = CallLog(self.db).last_call_id()  # this invocation's calls come after it
        try:
            in_folder = _files_in(folder)
            for result in self.ingest([Path(folder)], fill_period=score_period.fill):
                runs.record_file(
                    run_id,
                    result.path,
                    result.report.report_id if result.report else None,
                    result.status,
                    result.error,
                )
                report = result.report
                if report and result.status != "failed":
                    report = self._current_for_score(result, in_folder)
                if on_file:
                    on_file(result)
                if result.status == "failed":
                    summary.ingest_failures.append((result.path, result.error or ""))
                    continue
                summary.reports.append(report)
            summary.reports = latest_versions(summary.reports)
            total = len(summary.reports) * sum(q.answerable_from_text for q in questions)
            if on_start:
                on_start(total)

            def record(outcome) -> None:
                runs.record_item(run_id, outcome)
                d = outcome.draft
                if d.status == "failed":
                    summary.failed += 1
                    summary.failures.append((d.report_id, d.question_id, d.error or ""))
                elif outcome.created:
                    summary.drafted += 1
                else:
                    summary.reused += 1
                    summary.stale += drafter.is_stale(d)
                if on_item:
                    on_item(outcome)

            if batch:
                run_batch(
                    drafter,
                    summary.reports,
                    questions,
                    run_id=run_id,
                    work_dir=self.settings.outputs_dir / run_id,
                    state=runs.params(run_id),
                    save_state=lambda changes: runs.update_params(run_id, changes),
                    poll_seconds=poll_seconds,
                    on_item=record,
                )
                questions = drafting_phases(questions)[1]  # the syntheses: live, last
            workers = report_workers(drafter, summary.reports, workers)
            if workers > 1:
                draft_in_report_workers(
                    self.settings, drafter, summary.reports, questions, run_id, workers, record
                )
            else:
                draft_items(
                    drafter,
                    summary.reports,
                    questions,
                    run_id=run_id,
                    concurrency=concurrency,
                    on_item=record,
                )
        except BaseException:
            summary.seconds = time.perf_counter() - started
            runs.finish(run_id, "interrupted", summary.to_json())
            raise

        summary.tokens = CallLog(self.db).totals(run_id, after=first_call)
        summary.tokens_cumulative = CallLog(self.db).totals(run_id)
        summary.seconds = time.perf_counter() - started
        runs.finish(run_id, "done", summary.to_json())
        return summary

    def _current_for_score(self, result: IngestResult, in_folder: set[str]) -> ReportRecord:
        """The version `score` drafts for a file: the report's current version, as the library
        and the cohort count it. A newer version whose file is not in the folder (ingested from
        elsewhere) is scored in the file's place, and the file's result says so."""
        report = result.report
        current = self.reports.current_version(report.report_id)
        if current.report_id == report.report_id:
            return report
        if current.file_path not in in_folder:  # beside the older file: ingest said so before
            result.warnings.append(
                f"an older version of {current.display_name} {current.period or 'period ?'} "
                f"({report.short_id}): scoring its current version {current.file_name} "
                f"({current.short_id}) instead, as the library counts it; put that file in this "
                "folder in place of this one so that the folder holds what is scored"
            )
        self.ensure_indexed(current)
        return current

    def cohort(
        self, run_id: str | None = None, *, source: str = "drafts", period: str | None = None
    ):
        """Cohort summary of a scoring run (default: the latest), or of all reports of a period.
        Reviewer-decided answers keep what was decided on older versions of the reports (see
        assistant.bulk.cohort): counted where the current version has no decision, else said."""
        runs = RunStore(self.db)
        period = normalise_period(period)
        run = self.resolve_run(run_id) if run_id else (None if period else self._latest_run())
        if run:
            report_ids = runs.report_ids(run["run_id"])
            label = f"{run['label'] or 'run'} · {run['engine']} · {run['run_id']}"
            engine = run["engine"]
        else:
            report_ids = [r.report_id for r in self.list_reports(period=period)]
            label, engine = period or "all reports", None
        if not report_ids:
            raise self._nothing_to_summarise(run, period)
        return cohort_summary(
            self.bank,
            self.drafts,
            self.decisions,
            report_ids,
            source=source,
            engine=engine,
            label=label,
            older_versions=self.reports.older_versions,
        )

    def library_cohort(self, *, source: str = "drafts"):
        """Cohort summary of every report in the library."""
        report_ids = [r.report_id for r in self.list_reports()]
        if not report_ids:
            raise NotFoundError("no reports in the library", "ingest or score some reports first")
        return cohort_summary(
            self.bank,
            self.drafts,
            self.decisions,
            report_ids,
            source=source,
            label="all reports",
            older_versions=self.reports.older_versions,
        )

    def score_runs(self) -> list[dict]:
        """Scoring runs, newest first."""
        return RunStore(self.db).list("score", with_reports=True)

    @staticmethod
    def cohort_charts(summary) -> dict[str, bytes]:
        """The cohort summary's charts as PNGs, by name."""
        return cohort_charts(summary)

    @staticmethod
    def write_cohort_outputs(summary, out_dir: Path) -> dict[str, Path]:
        """The cohort summary as text, CSV and charts (cohort.html) in `out_dir`."""
        return write_cohort_outputs(summary, out_dir)

    def export_run(self, run_id: str | None, out_dir: Path | None = None) -> dict[str, Path]:
        """CSV/XLSX/JSON exports of a run's drafts (default: the latest run)."""
        runs = RunStore(self.db)
        run = self.resolve_run(run_id) if run_id else self._latest_run()
        if run is None:
            raise NotFoundError("no scoring run yet", "run `review-assistant score FOLDER` first")
        reports = [self.reports.get(rid) for rid in runs.report_ids(run["run_id"])]
        drafts = {
            r.report_id: self.drafts.for_report(r.report_id, engine=run["engine"]) for r in reports
        }
        out_dir = out_dir or self.settings.outputs_dir / run["run_id"]
        return export_drafts(self.bank, reports, drafts, out_dir)

    # --- CLI/UI helpers (issue 13, branch cli): names, periods, runs, cohort tables --------
    @staticmethod
    def normalise_period(text: str | None) -> str | None:
        """'2020/21', '2020-2021' → '2020-21' (the form reports are stored under)."""
        return normalise_period(text)

    def select_questions(self, question_ids: list[str] | None):
        """The bank's questions with these ids (all for None); an unknown id is a NotFoundError
        that names it and lists the valid ids."""
        if question_ids is None:
            return self.bank.select(None)
        known = {q.lower() for q in self.bank.ids}
        unknown = [q for q in question_ids if q.strip().lower() not in known]
        if unknown or not question_ids:
            what = ", ".join(unknown) if unknown else "(none given)"
            raise NotFoundError(
                f"unknown question id{'s' if len(unknown) > 1 else ''} {what} in bank "
                f"{self.bank.name} {self.bank.version}",
                f"valid ids: {', '.join(self.bank.ids)}",
            )
        return self.bank.select(question_ids)

    def check_score_folder(self, folder: Path) -> None:
        """Refuse a folder that does not exist or holds no PDF, before anything is recorded."""
        folder = Path(folder)
        if not folder.exists():
            raise InputFileError(folder, "no such file or folder", "name the folder of reports")
        if not find_pdfs([folder]):
            raise InputFileError(
                folder,
                "no PDF files in this folder (or below it)",
                "put the year's report PDFs in it, or name the folder that holds them",
            )

    def run_overview(self) -> list[dict]:
        """Scoring runs newest first: id, period, engine, model, status, started, updated,
        reports, and items drafted / reused / failed."""
        return RunStore(self.db).overview("score")

    def resolve_run(self, ref: str) -> dict:
        """A scoring run by id or unique id prefix (`run-` optional)."""
        found = RunStore(self.db).find(ref)
        exact = [r for r in found if r["run_id"] in (ref, "run-" + ref)]
        if exact or len(found) == 1:
            return (exact or found)[0]
        if found:
            options = ", ".join(r["run_id"] for r in found[:5])
            raise NotFoundError(
                f"'{ref}' matches {len(found)} runs: {options}", "give more of the id"
            )
        raise NotFoundError(
            f"no scoring run {ref}",
            "list them with `review-assistant runs`; --run takes a run id from there "
            "(or a unique prefix)",
        )

    def _latest_run(self) -> dict | None:
        """The newest scoring run that holds reports (a folder that failed whole is skipped)."""
        runs = self.score_runs()
        return RunStore(self.db).get(runs[0]["run_id"]) if runs else None

    def _nothing_to_summarise(self, run: dict | None, period: str | None) -> NotFoundError:
        if run:
            return NotFoundError(
                f"run {run['run_id']} holds no reports (its folder had none that could be read)",
                "score a folder of report PDFs, or pick another run from `review-assistant runs`",
            )
        if period:
            others = sorted({r.period or "no period" for r in self.list_reports()})
            return NotFoundError(
                f"no reports for {period}",
                f"periods in the library: {', '.join(others)}"
                if others
                else "ingest or score some reports first",
            )
        return NotFoundError("no reports to summarise", "run `review-assistant score FOLDER` first")

    @staticmethod
    def write_cohort_tables(
        summary, out_dir: Path, stem: str = "cohort-figures"
    ) -> dict[str, Path]:
        """The cohort figures as CSV (UTF-8 with BOM) and XLSX: one row per question × answer,
        drafts and reviewer-decided answers side by side."""
        return write_cohort_tables(summary, out_dir, stem)

    # --- use case: context strategies and the run plan (branch draft) -------------------
    def _settings_with_context(self, context: str | None) -> Settings:
        """The settings with `llm.context` set for one run (the settings object is frozen)."""
        if context is None or context == self.settings.llm.context:
            return self.settings
        if context not in CONTEXT_STRATEGIES:
            raise ConfigError(
                f"unknown context strategy {context!r}",
                f"choose one of: {', '.join(CONTEXT_STRATEGIES)}",
            )
        llm = self.settings.llm.model_copy(update={"context": context})
        return self.settings.model_copy(update={"llm": llm})

    @_writer_locked
    def plan_score(
        self,
        folder: Path,
        *,
        engine: str | None = None,
        question_ids: list[str] | None = None,
        strategies: Sequence[str] | None = None,
        period: str | None = None,
        redraft_stale: bool = False,
        batch: bool = False,
        on_file=None,
    ) -> list[StrategyPlan]:
        """What `score FOLDER` would send, per context strategy (default: each one the run can
        use): calls, estimated input (cached) and output tokens and cost. Ingests what is new
        (local work), sends nothing.

        It plans the reports `score` drafts: the current version of each report the folder's
        files hold, once (see `_current_for_score`); `on_file` gets each file's ingest result,
        with the warning that names both files when a file is an older version. `period`,
        `redraft_stale` and `batch` are score's: the period fills undetected periods (so links
        a file to its older copy) and is refused as score refuses it; stale drafts count as
        calls; a batch run is refused as score refuses it (the theme strategy, another engine)
        and its plan counts the calls that go in the batch."""
        questions = self.select_questions(question_ids)
        if strategies is None:
            strategies = BATCH_STRATEGIES if batch else CONTEXT_STRATEGIES
        runs, source = RunStore(self.db), source_label(folder)
        score_period = _ScorePeriod.of(runs, source, period)
        drafters = [
            self.drafter(engine, context=s, send=False, redraft_stale=redraft_stale)
            for s in strategies
        ]
        for drafter in drafters:  # refused before any ingest, in score's order
            # an engine that can batch makes calls; --batch has score's own refusal below
            if not batch and not can(drafter.engine, "whole_report"):
                raise ConfigError(
                    f"score --plan estimates model calls; the {drafter.engine.name} engine "
                    "makes none",
                    "use --engine llm",
                )
            # a label that is not a period plans only the strategy whose run it resumes
            score_period.refuse_new_run(runs, run_id_for(source, score_period.label, drafter))
            if batch:
                _refuse_batch(drafter)
        self.check_score_folder(folder)
        in_folder = _files_in(folder)
        reports = []
        for result in self.ingest([Path(folder)], fill_period=score_period.fill):
            if result.status != "failed":
                reports.append(self._current_for_score(result, in_folder))
            if on_file:
                on_file(result)
        reports = latest_versions(reports)  # a corrected copy beside its older file: once
        return [
            plan_strategy(drafter, reports, questions, self.settings.llm.prices, batch=batch)
            for drafter in drafters
        ]


# --- parallel report workers for in-process engines (issue 15 item 4, branch perf) --------------
def report_workers(drafter: Drafter, reports: list, asked: int | None) -> int:
    """How many report processes an in-process engine (offline) drafts with; LLM engines
    wait on their endpoint, not the CPU, and use threads (`llm.concurrency`) instead."""
    import os

    if can(drafter.engine, "concurrent") or len(reports) < 2:
        return 1
    return max(1, min(asked or 1, len(reports), os.cpu_count() or 1))


_WORKER_ASSISTANTS: dict[str, Assistant] = {}  # in a worker process: one per settings


def _draft_reports_worker(
    settings: Settings,
    engine: str,
    report_ids: list[str],
    question_ids: list[str],
    run_id: str,
    redraft_stale: bool,
) -> list:
    """In a worker process: draft whole reports with its own Assistant (same data home),
    made once per process and settings."""
    key = settings.model_dump_json() if hasattr(settings, "model_dump_json") else repr(settings)
    assistant = _WORKER_ASSISTANTS.get(key)
    if assistant is None:
        assistant = _WORKER_ASSISTANTS[key] = Assistant(settings)
    drafter = assistant.drafter(engine)
    drafter.redraft_stale = redraft_stale
    reports = [assistant.reports.get(rid) for rid in report_ids]
    return draft_items(drafter, reports, assistant.bank.select(question_ids), run_id=run_id)


def draft_in_report_workers(
    settings: Settings,
    drafter: Drafter,
    reports: list,
    questions: list,
    run_id: str,
    workers: int,
    on_item,
) -> None:
    """Each report drafted in one of `workers` processes; outcomes reach `on_item` here, a
    report at a time, in the order the reports finish."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    question_ids = [q.id for q in questions]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(
                _draft_reports_worker,
                settings,
                drafter.engine.name,
                [report.report_id],
                question_ids,
                run_id,
                drafter.redraft_stale,
            )
            for report in reports
        ]
        for future in as_completed(futures):
            for outcome in future.result():
                on_item(outcome)
