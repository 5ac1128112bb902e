"""Drafting: retrieve evidence for a question, run an engine, verify every quote, store.

The same path serves the one-report job, bulk runs and evals, so every engine's output is
checked the same way: a citation to a block that was not given is rejected, every quote is
located on its cited page, and a draft whose citations all fail is flagged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from assistant.drafting.context import fallback_note, page_blocks, strategy_of
from assistant.drafting.store import Citation, Draft, DraftStore, draft_key
from assistant.drafting.verify import verify_quote
from assistant.engines.base import DraftContext, Engine, EngineResult, EvidenceBlock
from assistant.engines.calibration import calibrate
from assistant.errors import ReviewAssistantError
from assistant.index import ChunkIndex
from assistant.library import ReportRecord, ReportStore
from assistant.page_rerank import rerank
from assistant.questions import TOPIC_KEY, AnswerType, Question, QuestionBank
from assistant.retrieval_strategies import select_pages, synthesis_order

log = logging.getLogger(__name__)

EVIDENCE_TOKEN_BUDGET = 1800  # per question: ~8 passages of ~1,000 characters
# (the most blocks per question is the `retrieval.top_k` setting)


_DOT_LEADER = re.compile(r"(?:\. ?){6,}")


def looks_like_contents(text: str) -> bool:
    """A contents-page passage (dot leaders): it matches every query and answers none."""
    return len(_DOT_LEADER.findall(text)) >= 3


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters per token), enough for budgets."""
    return max(1, len(text) // 4)


def retrieve_evidence(
    index: ChunkIndex,
    queries: list[str],
    report_id: str,
    *,
    budget_tokens: int = EVIDENCE_TOKEN_BUDGET,
    max_blocks: int | None = None,
    mode: str | None = None,
    parts: list[list[str]] | None = None,
    question: Question | None = None,
) -> list[EvidenceBlock]:
    """One retrieval per question, using the report's structure, cut to a token budget and to
    `max_blocks` blocks (default: the `retrieval.top_k` setting).

    Pages are ranked, not passages (assistant/retrieval_strategies.py): every phrasing of the
    question ranks the report's pages by its hybrid search and by the section labels it
    matches (contents-page chapter and nearest heading), the rankings are fused (RRF) and a
    page lends part of its score to its neighbours in the same chapter. Contents pages are
    left out, and each page gives one block before any page gives a second, so the budget
    covers more of the report. `parts` (the phrasings of the questions a synthesis question
    reads, `question_parts`) give the best pages of each part a place after the question's
    own first page (assistant/retrieval_strategies.py, `synthesis_order`). Given the
    `question` (and no parts), the first pages then get the learned order of
    assistant/page_rerank.py (when the `retrieval.rerank` setting is on and the embedder has
    fitted weights).
    """
    max_blocks = max_blocks or index.settings.retrieval.top_k
    phrasings = list(dict.fromkeys(q for q in queries if q.strip()))
    view = index.report_view(report_id)
    contents = view.structure(index).contents_pages
    fused = select_pages(index, view, phrasings, mode, contents)
    if question is not None and not parts and index.settings.retrieval.rerank:
        fused = rerank(index, view, question, phrasings, fused, contents)
    if parts:
        _labels, _sections, page_of = view.sections(index)
        part_questions = (
            question.evidence_questions if question is not None else []
        ) or [None] * len(parts)
        by_part = []
        for part, part_question in zip(parts, part_questions, strict=False):
            part_phrasings = list(dict.fromkeys(q for q in part if q.strip()))
            ranked = select_pages(index, view, part_phrasings, mode, contents)
            if part_question is not None and index.settings.retrieval.rerank:
                ranked = rerank(index, view, part_question, part_phrasings, ranked, contents)
            by_part.append(ranked)
        fused = synthesis_order(fused, by_part, page_of)
    passages = index.chunks_by_id([c for c, _ in fused[: max_blocks * 4]])
    return _blocks(fused, passages, contents, budget_tokens, max_blocks)


def _blocks(fused, passages, contents, budget_tokens, max_blocks) -> list[EvidenceBlock]:
    first, repeats, pages = [], [], set()
    for chunk_id, score in fused:
        passage = passages.get(chunk_id)
        if passage is None or passage.page in contents or looks_like_contents(passage.text):
            continue
        (repeats if passage.page in pages else first).append((passage, score))
        pages.add(passage.page)
    blocks: list[EvidenceBlock] = []
    used = 0
    for passage, score in first + repeats:
        cost = estimate_tokens(passage.text)
        if blocks and used + cost > budget_tokens:
            continue
        passage.score = round(score, 6)
        blocks.append(EvidenceBlock(f"E{len(blocks) + 1}", passage))
        used += cost
        if len(blocks) >= max_blocks:
            break
    return blocks


def question_queries(question: Question) -> list[str]:
    """The phrasings one question retrieves with: its text, its query set, and its topic
    keywords as one more phrasing (the audit tool's own names for the topic, "dashboard",
    "LCSPR", which the reports' headings and tables use more than the question's words)."""
    topic = " ".join(question.keywords.get(TOPIC_KEY) or [])
    return [question.text, *question.retrieval_queries, *([topic] if topic.strip() else [])]


def question_parts(question: Question) -> list[list[str]] | None:
    """The phrasings of each question a synthesis question reads (`evidence_from`), or None."""
    return [question_queries(q) for q in question.evidence_questions] or None


def question_evidence(
    index: ChunkIndex, question: Question, report_id: str, mode: str | None = None
) -> list[EvidenceBlock]:
    """The evidence an engine is shown for a question: its phrasings and, for a synthesis
    question, the parts it reads. Drafts, evals and benchmarks all retrieve through here, so
    they measure the same evidence."""
    return retrieve_evidence(
        index,
        question_queries(question),
        report_id,
        mode=mode,
        parts=question_parts(question),
        question=question,
    )


def verify_citations(
    result: EngineResult, blocks: list[EvidenceBlock], page_text: dict[int, str]
) -> list[Citation]:
    """Check each proposed citation: the block must have been given, the quote on its page."""
    by_id = {b.block_id: b for b in blocks}
    citations: list[Citation] = []
    for raw in result.citations:
        block = by_id.get(str(raw.block_id).strip())
        quote = (raw.quote or "").replace("&lt;", "<")
        if block is None:
            citations.append(
                Citation(block_id=str(raw.block_id), quote=quote, verification="invalid_block")
            )
            continue
        check = verify_quote(quote, page_text.get(block.page, ""))
        citations.append(
            Citation(
                block_id=block.block_id,
                chunk_id=block.passage.chunk_id,
                page=block.page,
                quote=quote,
                verification=check.status,
                span_start=check.start,
                span_end=check.end,
                score=check.score,
            )
        )
    return citations


def drafting_phases(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """The answerable questions in two phases: those drafted from the evidence alone, then the
    syntheses (free text) that read the other answers of their report, so go last."""
    answerable = [q for q in questions if q.answerable_from_text]
    last = [q for q in answerable if q.answer_type is AnswerType.FREE_TEXT]
    return [q for q in answerable if q.answer_type is not AnswerType.FREE_TEXT], last


@dataclass
class DraftOutcome:
    """A stored draft and whether this call created it (False: an existing one was reused)."""

    draft: Draft
    created: bool
    evidence: list[EvidenceBlock] = field(default_factory=list)


@dataclass
class Prepared:
    """One (report, question) ready for an engine: its draft key, evidence and context."""

    report: ReportRecord
    question: Question
    key: str
    blocks: list[EvidenceBlock]
    context: DraftContext
    note: str | None = None  # e.g. the whole report did not fit: shown on the draft


@dataclass
class AskOutcome:
    """A reviewer's free question answered: the engine's result, its verified citations and the
    evidence the engine was shown."""

    result: EngineResult
    citations: list[Citation]
    evidence: list[EvidenceBlock]


def failed_result(exc: Exception) -> EngineResult:
    """The result of an engine call that raised: one failed draft, never a failed run."""
    error = str(exc) if isinstance(exc, ReviewAssistantError) else None
    return EngineResult(status="failed", error=error or f"{type(exc).__name__}: {exc}")


class Drafter:
    """Drafts audit questions for reports with one engine, storing drafts idempotently.

    The one drafting path, used by live drafting, `ask`, bulk runs (live and Batch API) and
    evals: `prepare` (draft key, evidence, context) -> the engine -> `finish` (validate the
    answer, verify every quote on its cited page, decide the status) -> `store`.
    """

    def __init__(
        self,
        index: ChunkIndex,
        reports: ReportStore,
        drafts: DraftStore,
        engine: Engine,
        bank: QuestionBank,
        settings_hash: str,
        *,
        retrieval_mode: str | None = None,
    ) -> None:
        self.index = index
        self.reports = reports
        self.drafts = drafts
        self.engine = engine
        self.bank = bank
        self.settings_hash = settings_hash
        self.retrieval_mode = retrieval_mode
        # The draft key is (report version, question, bank, template, engine, model): settings
        # that only change the evidence do not make a new key, so reviewed drafts stay put.
        # Set this to re-draft drafts made with other settings.
        self.redraft_stale = False
        self._report_pages: dict[str, tuple[list[EvidenceBlock] | None, str | None]] = {}

    @property
    def strategy(self) -> str:
        """The context strategy: retrieved | whole-report | theme (drafting/context.py)."""
        return strategy_of(self.engine)

    @property
    def template(self) -> tuple[str | None, int | None]:
        return getattr(self.engine, "template", None), getattr(
            self.engine, "template_version", None
        )

    def reusable(self, key: str) -> Draft | None:
        """The stored draft to reuse for `key`: not failed, and (when redrafting stale
        drafts) made with the current settings."""
        existing = self.drafts.current(key)
        if existing is None or existing.status == "failed":
            return None
        if self.redraft_stale and self.is_stale(existing):
            return None
        return existing

    def is_stale(self, draft: Draft) -> bool:
        """Made with other settings (embedder, chunking, retrieval, model parameters)."""
        return draft.settings_hash != self.settings_hash

    def key_for(self, report_id: str, question: Question) -> str:
        """The draft's identity, naming the template its prompt is actually rendered with
        (a synthesis under `theme`, or a report too long for the whole-report prompt, uses
        another template than the engine's), so a re-run finds the draft it stored."""
        template, version = self.template_for(report_id, question)
        return draft_key(
            report_id,
            question.id,
            self.bank.name,
            self.bank.version,
            template,
            version,
            self.engine.name,
            self.engine.model,
        )

    def template_for(self, report_id: str, question: Question) -> tuple[str | None, int | None]:
        """(name, version) of the template the engine renders this question with."""
        strategy = self.strategy
        if strategy == "retrieved":
            return self.template
        report = self.reports.get(report_id)
        context = DraftContext(report.display_name, report.period or "not stated", report_id)
        if self.report_pages(report, context)[0] is None:  # does not fit: retrieved evidence
            chosen = self.engine.draft_template
        elif strategy == "theme" and question.answer_type is not AnswerType.FREE_TEXT:
            chosen = self.engine.theme_template
        else:
            chosen = self.engine.report_template
        return chosen.name, chosen.version

    # --- the path: prepare -> engine -> finish -> store ---------------------------------
    def evidence(self, report_id: str, queries: list[str]) -> list[EvidenceBlock]:
        """The evidence blocks an engine is shown for these phrasings of a free question."""
        return retrieve_evidence(self.index, queries, report_id, mode=self.retrieval_mode)

    def prepare(
        self,
        report: ReportRecord,
        question: Question,
        *,
        run_id: str | None = None,
        earlier: dict | None = None,
        fresh: bool = False,
    ) -> Prepared:
        """Everything the engine is given for one (report, question)."""
        key = self.key_for(report.report_id, question)
        context = DraftContext(
            report_name=report.display_name,
            period=report.period or "not stated",
            report_id=report.report_id,
            run_id=run_id,
            draft_key=key,
            earlier=earlier or {},
            fresh=fresh,
        )
        blocks, note = None, None
        if self.strategy != "retrieved":
            blocks, note = self.report_pages(report, context)
            context.context = "whole-report" if blocks is not None else "retrieved"
        if blocks is None:
            blocks = question_evidence(
                self.index, question, report.report_id, mode=self.retrieval_mode
            )
        return Prepared(report, question, key, blocks, context, note)

    def report_pages(
        self, report: ReportRecord, context: DraftContext
    ) -> tuple[list[EvidenceBlock] | None, str | None]:
        """Every page of the report as a block, if the whole-report prompt fits the model's
        context; else (None, the note the draft shows)."""
        if report.report_id not in self._report_pages:
            pages = page_blocks(report.report_id, self.reports.pages(report.report_id))
            fits, tokens = self.engine.report_fits(pages, context)
            if fits:
                self._report_pages[report.report_id] = (pages, None)
            else:
                note = fallback_note(tokens, self.engine.context_tokens)
                self._report_pages[report.report_id] = (None, note)
        return self._report_pages[report.report_id]

    def run_engine(self, prepared: Prepared) -> EngineResult:
        """The engine's draft of a prepared item (an engine error fails this draft only)."""
        try:
            return self.engine.draft(prepared.question, prepared.blocks, prepared.context)
        except Exception as exc:  # one failed question degrades one draft, never the run
            log.debug("engine failed on %s", prepared.question.id, exc_info=True)
            return failed_result(exc)

    def store(self, draft: Draft, prepared: Prepared, *, replace: bool) -> DraftOutcome:
        stored, created = self.drafts.save(draft, replace=replace)
        return DraftOutcome(stored, created, prepared.blocks)

    def draft_question(
        self,
        report: ReportRecord,
        question: Question,
        *,
        run_id: str | None = None,
        earlier: dict | None = None,
        replace: bool = False,
        page_text: dict[int, str] | None = None,
        fresh: bool = False,
        store: bool = True,
    ) -> DraftOutcome:
        """Draft one question of one report (reusing a stored draft unless `replace`; with
        `fresh`, the engine asks its model again instead of serving a cached reply; without
        `store`, the draft is made fresh and returned unsaved, e.g. to measure reliability)."""
        key = self.key_for(report.report_id, question)
        if store and not replace:
            existing = self.reusable(key)
            if existing is not None:
                return DraftOutcome(existing, False)
            replace = self.redraft_stale  # a stale draft, if any, gives way to the new one
        prepared = self.prepare(report, question, run_id=run_id, earlier=earlier, fresh=fresh)
        result = self.run_engine(prepared)
        page_text = page_text if page_text is not None else self.reports.pages(report.report_id)
        draft = self.finish(prepared, result, page_text)
        if not store:
            return DraftOutcome(draft, True, prepared.blocks)
        return self.store(draft, prepared, replace=replace)

    def finish(self, prepared: Prepared, result: EngineResult, page_text: dict[int, str]) -> Draft:
        """Validate the answer, verify citations and decide the draft's status."""
        report, question, blocks = prepared.report, prepared.question, prepared.blocks
        template, version = self.template_for(report.report_id, question)
        citations = verify_citations(result, blocks, page_text)
        status, answer, error = result.status, None, result.error
        if status == "answered":
            try:
                answer = question.validate_answer(result.answer)
                status = "ok"
            except ValueError as exc:
                status, error = "failed", f"invalid answer {result.answer!r}: {exc}"
        elif status == "not_found":
            status = "abstained"
        else:
            status = "failed"
        if status == "ok" and result.needs_citations:
            if not citations:
                status, error = "flagged", "no citations given"
            elif not any(c.verified for c in citations):
                status, error = "flagged", "no cited quote was found on its cited page"
        confidence, calibration = float(result.confidence or 0.0), None
        if status in ("ok", "flagged"):
            confidence, calibration = calibrate(
                self.engine.name, result.model or self.engine.model, question, result
            )
        return Draft(
            report_id=report.report_id,
            question_id=question.id,
            bank_name=self.bank.name,
            bank_version=self.bank.version,
            engine=self.engine.name,
            model=result.model or self.engine.model,
            template=result.template or template,
            template_version=result.template_version or version,
            settings_hash=self.settings_hash,
            status=status,
            answer=answer,
            rationale=result.rationale,
            confidence=round(confidence, 3),
            calibration=calibration,
            raw_confidence=round(float(result.confidence or 0.0), 3),
            confidence_basis=str(result.features.get("rule") or "") or None,
            stability=result.features.get("n_flips"),
            citations=citations,
            marker="; ".join(m for m in (result.marker, prepared.note) if m) or None,
            error=error,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            cost=result.cost,
            run_id=prepared.context.run_id,
        )

    def units(self, questions: list[Question]) -> list[list[Question]]:
        """How first-phase questions are asked: one a call, or with the `theme` strategy the
        questions of one theme together (in bank order)."""
        if self.strategy != "theme":
            return [[q] for q in questions]
        groups: dict[str, list[Question]] = {}
        for q in questions:
            groups.setdefault(q.theme, []).append(q)
        return list(groups.values())

    def draft_unit(
        self,
        report: ReportRecord,
        questions: list[Question],
        *,
        run_id: str | None = None,
        earlier: dict | None = None,
        replace: bool = False,
        page_text: dict[int, str] | None = None,
        fresh: bool = False,
    ) -> list[DraftOutcome]:
        """Draft one unit (see `units`): a question alone, or a theme's questions in one call
        over the whole report (stored drafts are reused; the others are asked together)."""
        options = dict(run_id=run_id, earlier=earlier, fresh=fresh)
        if self.strategy != "theme":
            return [
                self.draft_question(report, q, replace=replace, page_text=page_text, **options)
                for q in questions
            ]
        done: dict[str, DraftOutcome] = {}
        pending = []
        for q in questions:
            existing = None if replace else self.reusable(self.key_for(report.report_id, q))
            if existing is not None:
                done[q.id] = DraftOutcome(existing, False)
            else:
                pending.append(q)
        if pending:
            prepared = [self.prepare(report, q, **options) for q in pending]
            if prepared[0].context.context != "whole-report":  # did not fit: one by one
                results = [self.run_engine(p) for p in prepared]
            else:
                results = self._draft_theme(prepared)
            page_text = page_text if page_text is not None else self.reports.pages(report.report_id)
            for p, result in zip(prepared, results, strict=True):
                draft = self.finish(p, result, page_text)
                done[p.question.id] = self.store(draft, p, replace=replace or self.redraft_stale)
        return [done[q.id] for q in questions]

    def _draft_theme(self, prepared: list[Prepared]) -> list[EngineResult]:
        first = prepared[0]
        titles = {t.id: t.title for t in self.bank.themes}
        questions = [p.question for p in prepared]
        try:
            by_id = self.engine.draft_theme(
                titles.get(first.question.theme, first.question.theme),
                questions,
                first.blocks,
                first.context,  # the call is logged against the theme's first draft
            )
        except Exception as exc:  # one failed call fails the theme's drafts, never the run
            log.debug("engine failed on theme %s", first.question.theme, exc_info=True)
            return [failed_result(exc) for _ in prepared]
        return [by_id[q.id] for q in questions]

    def draft_report(
        self,
        report: ReportRecord,
        questions: list[Question],
        *,
        run_id: str | None = None,
        replace: bool = False,
        on_item=None,
        fresh: bool = False,
    ) -> list[DraftOutcome]:
        """Draft every answerable question of a report; free-text synthesis goes last."""
        first, last = drafting_phases(questions)
        page_text = self.reports.pages(report.report_id)
        earlier: dict = {}
        outcomes = []
        options = dict(run_id=run_id, earlier=earlier, replace=replace, fresh=fresh)
        units = [("unit", u) for u in self.units(first)] + [("one", [q]) for q in last]
        for kind, unit in units:
            if kind == "one":  # a synthesis: alone, after the rest of its report
                drafted = [self.draft_question(report, unit[0], page_text=page_text, **options)]
            else:
                drafted = self.draft_unit(report, unit, page_text=page_text, **options)
            for outcome in drafted:
                earlier[outcome.draft.question_id] = outcome.draft.answer
                outcomes.append(outcome)
                if on_item:
                    on_item(outcome)
        return outcomes

    # --- a reviewer's free question: the same evidence, engine and quote checks ----------
    def ask(self, report: ReportRecord, question: str) -> AskOutcome:
        """Answer a free question to one report; nothing is stored."""
        blocks = self.evidence(report.report_id, [question])
        context = DraftContext(report.display_name, report.period or "not stated", report.report_id)
        try:
            result = self.engine.ask(question, blocks, context)
        except ReviewAssistantError as exc:  # a failed answer, said as such
            result = failed_result(exc)
        citations = verify_citations(result, blocks, self.reports.pages(report.report_id))
        return AskOutcome(result, citations, blocks)
