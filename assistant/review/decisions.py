"""The review store: every reviewer decision as an append-only event.

Nothing is overwritten. An item's current answer (accepted draft, edited value, rejection,
reviewer-entered fact) is derived by replaying its events in order. A save carries the id of
the newest event the reviewer saw for that item (`base_event_id`); if someone else saved in
between, the save is refused with a ConflictError that shows their change, so no update is
ever lost. The check and the insert share one IMMEDIATE transaction, so two processes (two
browser sessions, the CLI and the UI) cannot race past it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.db import Database
from assistant.drafting.verify import verify_quote
from assistant.errors import ConflictError, NotFoundError, ReviewAssistantError
from assistant.library import now_iso
from assistant.questions import BankError
from assistant.unicode import replace_surrogates_in

if TYPE_CHECKING:
    from assistant.questions import Question, QuestionBank

ACTIONS = ("accept", "edit", "reject", "enter", "citation", "passage", "note", "example")
# Actions that decide the item's answer, and the status each leaves it in.
DECISION_STATUS = {"accept": "accepted", "edit": "edited", "reject": "rejected", "enter": "entered"}
STATUSES = ("undecided", "accepted", "edited", "rejected", "entered")
MAX_NOTE_CHARS = 4000


@dataclass(frozen=True)
class Event:
    """One stored decision event."""

    event_id: int
    report_id: str
    question_id: str
    draft_id: str | None
    reviewer: str
    action: str
    before: Any
    after: Any
    note: str | None
    payload: dict
    base_event_id: int | None
    seconds_on_task: float | None
    created_at: str

    def describe(self, show: Callable[[Any], str] | None = None) -> str:
        """One line for people: 'alice edited the answer to "partly" (A6, 2026-...): note'.

        `show` formats answer values (default: JSON, e.g. "partly").
        """
        line = f"{self.reviewer} {self.what(show)} ({self.question_id}, {self.created_at})"
        return f"{line}: {self.note}" if self.note else line

    @property
    def decides(self) -> bool:
        """A decision on the answer (accept, edit, reject, enter), not an annotation."""
        return self.action in DECISION_STATUS

    def what(self, show: Callable[[Any], str] | None = None) -> str:
        """What the event did, in words: 'marked citation 2 as not relevant'."""
        show = show or _show
        return {
            "accept": f"accepted the draft answer {show(self.after)}",
            "edit": f"edited the answer to {show(self.after)}",
            "reject": "rejected the draft",
            "enter": f"entered {show(self.after)}",
            "citation": (
                f"marked citation {self.payload.get('index', '?')} as "
                f"{'relevant' if self.payload.get('relevant') else 'not relevant'}"
            ),
            "passage": f"added a missed passage on page {self.payload.get('page', '?')}",
            "note": "added a note",
            "example": (
                "marked the answer as an example of practice"
                + (f" (page {self.payload['page']})" if self.payload.get("page") else "")
                if self.payload.get("on", True)
                else "removed the example-of-practice mark"
            ),
        }.get(self.action, self.action)


@dataclass
class ItemState:
    """The current state of one (report, question), derived from its events."""

    question_id: str
    answer: Any = None
    status: str = "undecided"
    reviewer: str | None = None
    decided_at: str | None = None
    last_event_id: int | None = None
    draft_id: str | None = None
    note: str | None = None
    citation_relevance: dict[int, bool] = field(default_factory=dict)
    added_passages: list[dict] = field(default_factory=list)
    n_events: int = 0
    example: dict | None = None  # "use as example" mark: {on, page?, quote?, reviewer}

    @property
    def reviewed(self) -> bool:
        return self.status != "undecided"

    def apply(self, event: Event) -> None:
        """Fold one event into the state (events must come in event_id order)."""
        self.last_event_id = event.event_id
        self.n_events += 1
        if event.note:
            self.note = event.note
        if event.action in DECISION_STATUS:
            self.status = DECISION_STATUS[event.action]
            self.answer = None if event.action == "reject" else event.after
            self.reviewer = event.reviewer
            self.decided_at = event.created_at
            self.draft_id = event.draft_id
        elif event.action == "citation":
            self.citation_relevance[int(event.payload["index"])] = bool(event.payload["relevant"])
        elif event.action == "passage":
            self.added_passages.append(
                {**event.payload, "reviewer": event.reviewer, "event_id": event.event_id}
            )
        elif event.action == "example":
            on = bool(event.payload.get("on", True))
            self.example = {**event.payload, "reviewer": event.reviewer} if on else None


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _event(row) -> Event:
    return Event(
        event_id=row["event_id"],
        report_id=row["report_id"],
        question_id=row["question_id"],
        draft_id=row["draft_id"],
        reviewer=row["reviewer"],
        action=row["action"],
        before=json.loads(row["before"]) if row["before"] is not None else None,
        after=json.loads(row["after"]) if row["after"] is not None else None,
        note=row["note"],
        payload=json.loads(row["payload"] or "{}"),
        base_event_id=row["base_event_id"],
        seconds_on_task=row["seconds_on_task"],
        created_at=row["created_at"],
    )


class DecisionStore:
    """Append-only reviewer decisions, with a lost-update check on every save."""

    def __init__(self, db: Database, bank: QuestionBank | None = None) -> None:
        self.db = db
        self.bank = bank

    # --- writing ------------------------------------------------------------------------
    def record(
        self,
        report_id: str,
        question_id: str,
        reviewer: str,
        action: str,
        *,
        after: Any = None,
        note: str | None = None,
        payload: dict | None = None,
        base_event_id: int | None,
        draft_id: str | None = None,
        seconds_on_task: float | None = None,
    ) -> Event:
        """Append one decision event and return it.

        `base_event_id` is the newest event id the reviewer saw for this item (None if it had
        none). If a newer event exists, nothing is written and ConflictError says who changed
        what. `accept` takes the answer from the draft; `edit`/`enter` validate `after` against
        the question's answer type; `citation` needs payload {index, relevant}; `passage`
        needs payload {page, quote?}; `note` needs a note; `example` marks the item as an
        example of practice: payload {on (default true), page?, quote?}.
        """
        # what the browser sends may hold a lone surrogate (a pasted half emoji): SQLite refused
        # a note holding one, and an answer holding one stopped the export; U+FFFD stands in
        reviewer, note = replace_surrogates_in(reviewer), replace_surrogates_in(note)
        after, payload = replace_surrogates_in(after), replace_surrogates_in(payload)
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise ReviewAssistantError("no reviewer name", "sign in or type your name first")
        if action not in ACTIONS:
            raise ReviewAssistantError(f"unknown action {action!r}", f"use one of {ACTIONS}")
        note = (note or "").strip() or None
        if note and len(note) > MAX_NOTE_CHARS:
            raise ReviewAssistantError(f"note is longer than {MAX_NOTE_CHARS} characters")
        question = self._question(question_id)
        qid = question.id if question else question_id
        payload = dict(payload or {})
        with self.db.transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM reports WHERE report_id=?", (report_id,)).fetchone()
                is None
            ):
                raise NotFoundError(f"no report with id {report_id}", "list them with `reports`")
            self._check_base(conn, report_id, qid, base_event_id, question)
            draft_answer = self._draft_answer(conn, report_id, qid, draft_id)
            state = self._state(conn, report_id, qid)
            before = state.answer if state.reviewed else draft_answer
            after = self._after(action, question, qid, after, draft_id, draft_answer, note)
            if action == "citation":
                payload = _citation_payload(payload)
            elif action == "passage":
                payload = self._passage_payload(conn, report_id, payload)
            elif action == "example":  # "use as example" (analysis: examples of practice)
                on = bool(payload.get("on", True))
                payload = (
                    self._passage_payload(conn, report_id, payload)
                    if (on and payload.get("page") is not None)
                    else {}
                )
                payload["on"] = on
            if action not in DECISION_STATUS:
                before = after = None
            cursor = conn.execute(
                "INSERT INTO decisions (report_id, question_id, draft_id, reviewer, action, "
                "before, after, note, payload, base_event_id, seconds_on_task, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    report_id,
                    qid,
                    draft_id,
                    reviewer,
                    action,
                    json.dumps(before) if before is not None else None,
                    json.dumps(after) if after is not None else None,
                    note,
                    json.dumps(payload),
                    base_event_id,
                    round(seconds_on_task, 1) if seconds_on_task is not None else None,
                    now_iso(),
                ),
            )
            row = conn.execute(
                "SELECT * FROM decisions WHERE event_id=?", (cursor.lastrowid,)
            ).fetchone()
        return _event(row)

    def _question(self, question_id: str) -> Question | None:
        if self.bank is None:
            return None

        try:
            return self.bank.get(question_id)
        except BankError as exc:
            raise NotFoundError(str(exc)) from exc

    def _check_base(
        self, conn, report_id: str, qid: str, base_event_id: int | None, question
    ) -> None:
        newer = conn.execute(
            "SELECT * FROM decisions WHERE report_id=? AND question_id=? AND event_id>? "
            "ORDER BY event_id",
            (report_id, qid, base_event_id or 0),
        ).fetchall()
        if newer:
            events = [_event(r) for r in newer]
            last = events[-1]
            label = (lambda v: _show(answer_text(question, v))) if question else None
            others = "; ".join(e.describe(label) for e in events[-3:])
            exc = ConflictError(
                f"{qid} changed after you opened it: {others}",
                "your change was NOT saved; look at their decision and save again "
                "if you still disagree",
            )
            exc.events = events  # type: ignore[attr-defined]
            exc.latest_event_id = last.event_id  # type: ignore[attr-defined]
            raise exc
        if base_event_id is not None:
            own = conn.execute(
                "SELECT 1 FROM decisions WHERE event_id=? AND report_id=? AND question_id=?",
                (base_event_id, report_id, qid),
            ).fetchone()
            if own is None:
                raise ReviewAssistantError(
                    f"event {base_event_id} is not a decision on {qid} of this report",
                    "reload the item and try again",
                )

    @staticmethod
    def _draft_answer(conn, report_id: str, qid: str, draft_id: str | None) -> Any:
        if draft_id is None:
            return None
        row = conn.execute("SELECT * FROM drafts WHERE draft_id=?", (draft_id,)).fetchone()
        if row is None or row["report_id"] != report_id or row["question_id"] != qid:
            raise NotFoundError(f"no draft {draft_id} for {qid} of this report")
        return json.loads(row["answer"]) if row["answer"] is not None else None

    @staticmethod
    def _after(action, question, qid, after, draft_id, draft_answer, note) -> Any:
        if action == "accept":
            if draft_id is None:
                raise ReviewAssistantError(f"{qid}: there is no draft to accept", "enter an answer")
            if draft_answer is None:
                raise ReviewAssistantError(
                    f"{qid}: the draft has no answer to accept", "edit the answer or reject it"
                )
            return draft_answer
        if action in ("edit", "enter"):
            if after is None or (isinstance(after, str) and not after.strip()):
                raise ReviewAssistantError(f"{qid}: no answer given", "fill in the answer first")
            if question is None:
                return after
            try:
                return question.validate_answer(after)
            except ValueError as exc:
                raise ReviewAssistantError(str(exc), "change the answer and save again") from exc
        if action == "note" and not note:
            raise ReviewAssistantError(f"{qid}: the note is empty", "type a note first")
        return None

    @staticmethod
    def _passage_payload(conn, report_id: str, payload: dict) -> dict:
        try:
            page = int(payload.get("page"))
        except (TypeError, ValueError):
            raise ReviewAssistantError("a missed passage needs a page number") from None
        row = conn.execute(
            "SELECT text FROM pages WHERE report_id=? AND page=?", (report_id, page)
        ).fetchone()
        if row is None:
            n = conn.execute(
                "SELECT n_pages FROM reports WHERE report_id=?", (report_id,)
            ).fetchone()[0]
            raise ReviewAssistantError(f"page {page} is not in this report", f"pages are 1-{n}")
        quote = str(payload.get("quote") or "").strip()
        out = {"page": page, "quote": quote}
        if quote:
            check = verify_quote(quote, row["text"])
            out.update(verification=check.status, span_start=check.start, span_end=check.end)
        return out

    # --- reading ------------------------------------------------------------------------
    def decided_report_ids(self) -> set[str]:
        """Every report version with at least one decision event."""
        with self.db.connect() as conn:
            return {r[0] for r in conn.execute("SELECT DISTINCT report_id FROM decisions")}

    def history(self, report_id: str, question_id: str | None = None) -> list[Event]:
        """Events of a report (optionally one question), oldest first."""
        sql = "SELECT * FROM decisions WHERE report_id=?"
        params: list = [report_id]
        if question_id is not None:
            question = self._question(question_id)
            sql += " AND question_id=?"
            params.append(question.id if question else question_id)
        with self.db.connect() as conn:
            rows = conn.execute(sql + " ORDER BY event_id", params).fetchall()
        return [_event(r) for r in rows]

    def _state(self, conn, report_id: str, qid: str) -> ItemState:
        state = ItemState(qid)
        rows = conn.execute(
            "SELECT * FROM decisions WHERE report_id=? AND question_id=? ORDER BY event_id",
            (report_id, qid),
        ).fetchall()
        for row in rows:
            state.apply(_event(row))
        return state

    def item(self, report_id: str, question_id: str) -> ItemState:
        """The current state of one item."""
        question = self._question(question_id)
        with self.db.connect() as conn:
            return self._state(conn, report_id, question.id if question else question_id)

    def current(self, report_id: str) -> dict[str, ItemState]:
        """Question id -> current state, for every bank question (undecided when no events)."""
        states = {q.id: ItemState(q.id) for q in self.bank.questions} if self.bank else {}
        for event in self.history(report_id):
            states.setdefault(event.question_id, ItemState(event.question_id)).apply(event)
        return states

    def progress(self, report_id: str, question_ids: Iterable[str]) -> tuple[int, int]:
        """(reviewed, total) over the given questions."""
        ids = list(question_ids)
        states = self.current(report_id)
        return sum(1 for q in ids if q in states and states[q].reviewed), len(ids)


def answer_text(question: Question | None, value: Any) -> str:
    """An answer as people read it ('Partly evidenced'); '' for no answer."""
    if value is None:
        return ""
    if question is not None:
        try:
            return question.answer_label(value)
        except ValueError:
            pass
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


def _citation_payload(payload: dict) -> dict:
    if "index" not in payload or "relevant" not in payload:
        raise ReviewAssistantError("a citation decision needs the citation index and relevance")
    try:
        index = int(payload["index"])
    except (TypeError, ValueError):
        raise ReviewAssistantError("citation index must be a number") from None
    out = dict(payload)
    out.update(index=index, relevant=bool(payload["relevant"]))
    return out
