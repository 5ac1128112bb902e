"""Use cases of the reviewer app's views: the review queue in audit or riskiest order, trust
levels from the calibration data, page images and quote locations (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.drafting.verify import verify_quote
from assistant.engines.calibration import load_calibration
from assistant.errors import (
    ConfigError,
    ReviewAssistantError,
)
from assistant.ingest.pdf import describe_pages
from assistant.ingest.render import render_pdf_page
from assistant.library import ReportRecord
from assistant.review.decisions import Event, ItemState, answer_text

if TYPE_CHECKING:
    from assistant.drafting.store import Draft
    from assistant.questions import Question

# Calibrated confidence (estimated chance a careful auditor gives the same answer) in words.
TRUST_LEVELS = (
    (0.85, "high", "usually right on reports like this"),
    (0.65, "medium", "often right: check the evidence"),
    (0.0, "low", "check carefully"),
)
# What each trust word means, as a rank: "check carefully" (low, or not calibrated) below
# "often right" below "usually right". A sort on trust sorts by this, never by the words
# ("high" < "low" < "medium" as text) nor by the bare number (a draft with no answer, or an
# uncalibrated one, says "check carefully" whatever its confidence).
TRUST_RANK = {"low": 1, "?": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class OlderDecision:
    """What reviewers did on one question of an older version of a report: the version, its
    state (the answer decided there, by whom, when) and every event on it, oldest first."""

    report: ReportRecord
    state: ItemState
    events: list[Event] = field(default_factory=list)

    @property
    def decision(self) -> Event | None:
        """The event that decided the older version's answer (None: annotations only)."""
        return next((e for e in reversed(self.events) if e.decides), None)

    def origin(self) -> str:
        """'a-eastmoor.pdf (3f2a9c1d0e7b), 2026-12-01, alice' for lines and notes."""
        when = (self.state.decided_at or "?")[:10]
        return f"{self.report.file_name} ({self.report.short_id}), {when}, {self.state.reviewer}"


class ReviewerViews:
    """Part of `Assistant`: what the Review, Library and Pages views need from below."""

    # --- the reviewer app's views ------------------------------------------------------------
    # What the Review, Library and page-browser views need from below the service: queue
    # items with their states, trust levels from the calibration data, page images and quote
    # locations. The UI calls these instead of importing lower modules.
    REVIEW_ORDERS = ("audit", "riskiest", "trusted", "todo")

    def review_queue_items(
        self, report_id: str, order: str = "audit"
    ) -> list[tuple[Question, Draft | None, ItemState]]:
        """(question, draft, state) for every bank question of a report, in one of
        REVIEW_ORDERS. `audit` is the audit tool's order (A1 → C10, as auditors fill it in);
        `riskiest` puts the drafts least likely to match an auditor first: by trust level
        ("check carefully" first, "usually right" last; questions with no draft before all),
        then calibrated confidence, lowest first; `trusted` is the reverse (no draft last);
        `todo` puts the questions not reviewed yet first. Ties keep the audit tool's order."""
        if order not in self.REVIEW_ORDERS:
            raise ConfigError(
                f"unknown queue order {order!r}", f"use one of {', '.join(self.REVIEW_ORDERS)}"
            )
        drafts = {d.question_id: d for d in self.drafts.for_report(report_id)}
        states = self.review_states(report_id)
        items = [
            (q, drafts.get(q.id), states.get(q.id) or ItemState(q.id)) for q in self.bank.questions
        ]
        if order == "riskiest":
            items.sort(key=lambda it: self.trust_sort_key(it[1]))
        elif order == "trusted":
            items.sort(key=lambda it: self.trust_sort_key(it[1]), reverse=True)
            # reverse=True keeps ties in bank order (Python's sort is stable both ways)
        elif order == "todo":
            items.sort(key=lambda it: it[2].reviewed)
        return items

    @staticmethod
    def trust_level(draft: Draft | None) -> tuple[str, str]:
        """('high', 'usually right on reports like this') for a draft; ('', '') for none."""
        if draft is None:
            return "", ""
        if draft.answer is None:
            return "low", "no answer found: check the report"
        if not draft.calibration or draft.calibration == "uncalibrated":
            return "?", "confidence not calibrated: check carefully"
        for floor, word, sentence in TRUST_LEVELS:
            if draft.confidence >= floor:
                return word, sentence
        return "low", "check carefully"

    @classmethod
    def trust_sort_key(cls, draft: Draft | None) -> tuple[int, float]:
        """Sorts drafts by what their trust level means, least trusted first (no draft
        lowest), then by confidence within a level."""
        if draft is None:
            return (0, -1.0)
        return (TRUST_RANK[cls.trust_level(draft)[0]], draft.confidence)

    def next_unreviewed_report(self, after: str | None = None) -> ReportRecord | None:
        """The next report (library order, wrapping) with questions still to review."""
        reports = self.list_reports()
        ids = [r.report_id for r in reports]
        start = ids.index(after) + 1 if after in ids else 0
        for r in reports[start:] + reports[:start]:
            if r.report_id == after:
                continue
            done, total = self.review_progress(r.report_id, self.bank.ids)
            if done < total:
                return r
        return None

    def question_agreement(self, draft: Draft) -> tuple[int, int] | None:
        """(agreed, labelled drafts) behind a draft's calibrated confidence: how often a careful
        auditor gave the engine's answer to this question on labelled reports; None when the
        engine and model have no calibration."""
        if not draft.calibration or draft.calibration == "uncalibrated":
            return None
        cal = load_calibration(draft.engine, draft.model)
        if cal is None:
            return None
        agreed, n = cal.counts.get(f"q={draft.question_id}", (0.0, 0.0))
        return (round(agreed), round(n)) if n else None

    @staticmethod
    def answer_text(question: Question | None, value) -> str:
        """An answer as people read it ('Partly evidenced'); '' for no answer."""
        return answer_text(question, value)

    @staticmethod
    def locate_quote(quote: str, text: str) -> tuple[int | None, int | None, str]:
        """(start, end, verification status) of a quote in a page's text."""
        check = verify_quote(quote, text)
        return check.start, check.end, check.status

    @staticmethod
    def describe_pages(numbers: list[int]) -> str:
        """[3, 4, 5, 9] → '3-5, 9'."""
        return describe_pages(numbers)

    @staticmethod
    def render_pdf_page(pdf_page, scale: float):
        """(PIL image, scale used) of one pypdfium2 page; a huge page gets a lower scale."""
        return render_pdf_page(pdf_page, scale)

    def older_decisions(self, report_id: str, question_id: str) -> list[OlderDecision]:
        """What reviewers did on this question of the versions `report_id` replaced, newest
        version first; versions with no event on it are left out. The Review page lists
        current versions only: this keeps what was decided on a replaced copy in view."""
        out = []
        for older_id in self.reports.older_versions(report_id):
            events = self.review_history(older_id, question_id)
            if events:
                state = self.review_item(older_id, question_id)
                out.append(OlderDecision(self.reports.get(older_id), state, events))
        return out

    def older_decided_question_ids(self, report_id: str) -> set[str]:
        """Ids of the questions a reviewer decided (accepted, edited, entered or rejected) on
        a version `report_id` replaced, for the queue's rows: one read of the decisions per
        older version, not one per question (older_decisions reads one question)."""
        decided: set[str] = set()
        for older_id in self.reports.older_versions(report_id):
            decided.update(q for q, s in self.review_states(older_id).items() if s.reviewed)
        return decided

    def take_over_older_decision(
        self,
        report_id: str,
        question_id: str,
        reviewer: str,
        *,
        from_event_id: int,
        base_event_id: int | None,
        draft_id: str | None = None,
        note: str | None = None,
        seconds_on_task: float | None = None,
    ) -> Event:
        """Decide this version's question with the answer decided on an older version (the
        decision event `from_event_id`): an ordinary decision by `reviewer` (an accept when
        the current draft says the same, an edit of it, or an entry where nothing is
        drafted), its note saying where the answer came from. The lost-update check of
        record_decision applies against `base_event_id`."""
        older = next(
            (
                o
                for o in self.older_decisions(report_id, question_id)
                if o.decision is not None and o.decision.event_id == from_event_id
            ),
            None,
        )
        if older is None:
            raise ReviewAssistantError(
                f"event {from_event_id} is not the decision on {question_id} of an older "
                "version of this report (it may have been decided again there since)",
                "open the item again to see the older version's decision; nothing was saved",
            )
        if older.state.answer is None:
            raise ReviewAssistantError(
                f"{question_id} was rejected on the older version {older.report.file_name}: "
                "there is no answer to take over",
                "decide this version's draft: accept, edit or reject it",
            )
        question = self.bank.get(question_id)
        draft = self.drafts.get(draft_id) if draft_id else None
        if draft is None:
            action = "enter"
        else:
            try:
                same = question.validate_answer(older.state.answer) == draft.answer
            except ValueError:  # the question changed since: record() refuses it with why
                same = False
            action = "accept" if same else "edit"
        origin = f"Taken over from the older version ({older.origin()})"
        typed = (note or "").strip()
        return self.record_decision(
            report_id,
            question.id,
            reviewer,
            action,
            after=older.state.answer if action != "accept" else None,
            note=f"{origin}: {typed}" if typed else origin,
            payload={"from_event_id": from_event_id, "from_report_id": older.report.report_id},
            base_event_id=base_event_id,
            draft_id=draft_id,
            seconds_on_task=seconds_on_task,
        )

    def page_texts(self, report_id: str) -> dict[int, str]:
        """Page number → stored text of a report (pages without text give '')."""
        return self.reports.pages(report_id)
