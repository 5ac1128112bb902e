"""Blind second marking: a second reviewer answers an item without seeing the draft or the first
reviewer's answer. The product then reports human–human agreement (kappa with intervals),
draft-vs-human agreement on the same items, and the anchoring gap: how much more often the
sighted reviewer kept the draft than the blind one agreed with it. Disagreements go to a short
adjudication queue; the adjudicated answer becomes the final answer as a normal decision event,
and the draft, the first answer and the blind answer all stay stored.

What reviewers decided on an older version of a report is never dropped: blind marks on an
older version count, and a question the marked version has no decision on takes its first answer
from the newest older version that has one, by the rule the cohort counts decisions with
(assistant.bulk.cohort.latest_over_versions). Such a pair compares two readings of the same
report only if both versions' text is the same: when it differs, the pair is listed and counted
apart, kept out of the agreement figures (the reviewers read different text), and a disagreement
still waits for adjudication. The blind queue reads first answers the same way, and offers an
item answered on an older version only when that version has the same text (see blind_queue).

A first answer is blind-marked once, on whichever version: the store refuses a mark of an item
with no first answer yet (it would pair with nothing) and a second mark that would pair with the
same first answer, and a second one stored before that rule is listed with
its pair but counted apart, kept out of every figure (the earliest mark is the one counted).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from assistant.bulk.cohort import latest_over_versions
from assistant.db import Database
from assistant.errors import ConflictError, NotFoundError, ReviewAssistantError
from assistant.evaluation.metrics import agreement_summary
from assistant.library import now_iso
from assistant.questions import AnswerType, Question, QuestionBank
from assistant.review.decisions import DECISION_STATUS, DecisionStore, answer_text
from assistant.unicode import replace_surrogates_in

if TYPE_CHECKING:
    from assistant.drafting.store import DraftStore

# single-choice answers: kappa is defined on them
BLIND_TYPES = (AnswerType.YES_NO, AnswerType.YES_PARTLY_NO, AnswerType.RATING, AnswerType.LADDER)
ORDINAL = (AnswerType.YES_PARTLY_NO, AnswerType.RATING, AnswerType.LADDER)
ANSWERING = ("accept", "edit", "enter")


@dataclass
class BlindMark:
    mark_id: int
    report_id: str
    question_id: str
    reviewer: str
    answer: Any
    note: str | None
    created_at: str
    adjudicated_event_id: int | None


@dataclass
class BlindItem:
    """What a blind marker sees: the question, never the draft or anyone's answer."""

    report_id: str
    question: Question
    options: dict[str, str]


@dataclass
class Pair:
    """One double-marked item: draft, first (sighted) answer, blind answer."""

    report_id: str
    question: Question
    draft: Any
    first: Any
    first_reviewer: str
    blind: BlindMark
    first_on_older: str | None = None  # the older version the first answer was decided on
    marked_on_older: bool = False  # the blind mark is on an older version of the report
    comparable: bool = True  # the first answer was given on the marked version's text
    duplicate_of: int | None = None  # the earlier blind mark of the same first answer (counted)

    @property
    def agree(self) -> bool:
        return _key(self.first) == _key(self.blind.answer)


def _key(value: Any) -> str:
    return "" if value is None else str(value)


class BlindStore:
    """Blind marks (owns their SQL); one blind mark per item's first answer."""

    def __init__(self, db: Database, bank: QuestionBank) -> None:
        self.db = db
        self.bank = bank

    def add(
        self,
        report_id: str,
        question_id: str,
        reviewer: str,
        answer: Any,
        note=None,
        versions: Sequence[str] = (),
    ):
        """Record `reviewer`'s blind mark of the item. `versions` are every version of the
        report, newest first (none: `report_id` alone). Refused when `reviewer` has an event on
        the question on any of them: they saw its draft or gave an answer, so they are not
        blind on this copy either (as blind_queue rules); when the item has no first answer yet, on
        it or an older version (the mark would pair with nothing: blind_queue offers answered
        items only); and when the item has a blind mark, on
        this version or on another one whose mark pairs with the same first answer (as pairs and
        blind_queue read it, first_answer): a first answer is blind-marked once."""
        # as the browser sent them: a pasted half emoji (a lone surrogate) is U+FFFD here, as
        # SQLite refused it
        reviewer, note = replace_surrogates_in(reviewer), replace_surrogates_in(note)
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise ReviewAssistantError("no reviewer name", "sign in or type your name first")
        q = self.bank.get(question_id)
        if q.answer_type not in BLIND_TYPES:
            raise ReviewAssistantError(f"{q.id} is not a single-choice question")
        try:
            value = q.validate_answer(answer)
        except ValueError as exc:
            raise ReviewAssistantError(str(exc), "choose one of the answers") from exc
        chain = list(versions) if report_id in versions else [report_id, *versions]
        with self.db.transaction() as conn:
            seen = {
                row["report_id"]
                for row in conn.execute(
                    "SELECT DISTINCT report_id FROM decisions WHERE question_id=? AND reviewer=? "
                    f"AND report_id IN ({','.join('?' * len(chain))})",
                    (q.id, reviewer, *chain),
                )
            }
            if report_id in seen:
                raise ReviewAssistantError(
                    f"{reviewer} already reviewed {q.id} of this report sighted",
                    "a blind second mark must come from another reviewer",
                )
            if seen:
                other = next(v for v in chain if v in seen)
                age = "older" if chain.index(other) > chain.index(report_id) else "newer"
                raise ReviewAssistantError(
                    f"{reviewer} already reviewed {q.id} of this report sighted, on its {age} "
                    f"version {other[:12]}",
                    "a blind second mark must come from another reviewer, one with no event on "
                    f"{q.id} on any version of the report; nothing was saved",
                )
            if conn.execute(
                "SELECT 1 FROM blind_marks WHERE report_id=? AND question_id=?", (report_id, q.id)
            ).fetchone():
                raise ConflictError(f"{q.id} of this report already has a blind second mark")
            decisions = DecisionStore(self.db, self.bank)
            if first_answer(decisions, report_id, q.id, lambda v: _older_in(chain, v)) is None:
                # a mark pairs with a first answer: one with none would be in no figure, no
                # pair and no adjudication (blind_queue offers answered items only)
                raise ConflictError(
                    f"{q.id} of this report has no first answer yet",
                    "a blind second mark pairs with a first reviewer's answer: take an item "
                    "from the blind queue, or mark this one once it is answered; nothing was "
                    "saved",
                )
            other = _marked_first_answer(conn, decisions, report_id, q.id, chain)
            if other is not None:
                age = "older" if chain.index(other[0]) > chain.index(report_id) else "newer"
                raise ConflictError(
                    f"{q.id} of this report already has a blind second mark, on its {age} "
                    f"version {other[0][:12]}",
                    f"that mark pairs with the same first answer (given on version "
                    f"{other[1][:12]}), and a first answer is blind-marked once: take another "
                    "item from the blind queue; nothing was saved",
                )
            cursor = conn.execute(
                "INSERT INTO blind_marks (report_id, question_id, reviewer, answer, note, "
                "created_at) VALUES (?,?,?,?,?,?)",
                (
                    report_id,
                    q.id,
                    reviewer,
                    json.dumps(value),
                    (note or "").strip() or None,
                    now_iso(),
                ),
            )
            row = conn.execute(
                "SELECT * FROM blind_marks WHERE mark_id=?", (cursor.lastrowid,)
            ).fetchone()
        return _mark(row)

    def marks(self, report_ids: list[str] | None = None) -> list[BlindMark]:
        with self.db.connect() as conn:
            rows = conn.execute("SELECT * FROM blind_marks ORDER BY mark_id").fetchall()
        marks = [_mark(r) for r in rows]
        if report_ids is not None:
            keep = set(report_ids)
            marks = [m for m in marks if m.report_id in keep]
        return marks

    def claim(self, report_id: str, reviewer: str) -> None:
        """Record that `reviewer` took a blind item of this report (they are its blind marker)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO blind_claims (report_id, reviewer, created_at) "
                "VALUES (?,?,?)",
                (report_id, replace_surrogates_in(reviewer).strip(), now_iso()),
            )

    def is_blind_marker(self, report_id: str, reviewer: str) -> bool:
        """Whether `reviewer` took a blind item of this report or blind-marked one of it."""
        reviewer = replace_surrogates_in(reviewer or "").strip()
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM blind_claims WHERE report_id=? AND reviewer=? UNION "
                "SELECT 1 FROM blind_marks WHERE report_id=? AND reviewer=?",
                (report_id, reviewer, report_id, reviewer),
            ).fetchone()
        return row is not None

    def settle(self, mark_id: int, event_id: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE blind_marks SET adjudicated_event_id=? WHERE mark_id=?",
                (event_id, mark_id),
            )


def _marked_first_answer(
    conn, decisions: DecisionStore, report_id: str, qid: str, chain: list[str]
) -> tuple[str, str] | None:
    """(the other version of `chain` (the report's versions, newest first) with a blind mark of
    `qid` that pairs with the first answer a mark on `report_id` would pair with, the version
    that answer was given on), or None. Each mark's first answer is read as `pairs` reads it
    (leaving out the event of its adjudication)."""

    def older(version: str) -> list[str]:
        return _older_in(chain, version)

    first = first_answer(decisions, report_id, qid, older)
    if first is None:
        return None  # nothing to pair with yet: no first answer to mark twice
    on = first[2] or report_id
    rows = conn.execute(
        "SELECT * FROM blind_marks WHERE question_id=? AND report_id<>? "
        f"AND report_id IN ({','.join('?' * len(chain))}) ORDER BY mark_id",
        (qid, report_id, *chain),
    ).fetchall()
    for m in map(_mark, rows):
        theirs = first_answer(decisions, m.report_id, qid, older, leave_out=m.adjudicated_event_id)
        if theirs is not None and (theirs[2] or m.report_id) == on:
            return m.report_id, on
    return None


def _older_in(chain: list[str], version: str) -> list[str]:
    """The versions `version` replaced, newest first, of `chain` (a report's, newest first)."""
    return chain[chain.index(version) + 1 :] if version in chain else []


def _mark(row) -> BlindMark:
    return BlindMark(
        row["mark_id"],
        row["report_id"],
        row["question_id"],
        row["reviewer"],
        json.loads(row["answer"]),
        row["note"],
        row["created_at"],
        row["adjudicated_event_id"],
    )


def first_answer(
    decisions: DecisionStore,
    report_id: str,
    qid: str,
    older_versions: Callable[[str], list[str]] | None = None,
    *,
    leave_out: int | None = None,
    latest: dict | None = None,
):
    """(answer, reviewer, older version id or None) of the item's first answering decision, or
    None.

    With `older_versions` (report id → the ids it replaced, newest first), the decisions read
    are those of the version holding the question's latest decision, as the cohort reads them
    (latest_over_versions): the report's own, else the newest older version's. `leave_out` (the
    event of the mark's adjudication) is no decision the item had when it was marked: a version
    decided by it only takes its first answer from the older versions still. `latest` is
    latest_over_versions of the report when the caller read it already (once per report)."""
    if latest is None:
        latest = latest_over_versions(decisions, report_id, older_versions)
    older = latest[qid][1] if qid in latest else None
    events = [e for e in decisions.history(older or report_id, qid) if e.event_id != leave_out]
    if older is None and older_versions and not any(e.action in DECISION_STATUS for e in events):
        previous = older_versions(report_id)  # decided here only by adjudicating the mark
        found = first_answer(decisions, previous[0], qid, older_versions) if previous else None
        return (found[0], found[1], found[2] or previous[0]) if found else None
    for e in events:
        if e.action in ANSWERING:
            return e.after, e.reviewer, older
    return None


def blind_queue(
    bank: QuestionBank,
    decisions: DecisionStore,
    store: BlindStore,
    report_ids: list[str],
    reviewer: str,
    older_versions: Callable[[str], list[str]] | None = None,
    same_text: Callable[[str, str], bool] | None = None,
) -> list[BlindItem]:
    """Items a first reviewer answered that `reviewer` never touched and nobody second-marked.

    With `older_versions` (report id → the ids it replaced, newest first), an item's first
    answer is read over the versions, as `pairs` reads it (first_answer): a question the report
    has no decision on, but an older version has, is answered there. It is offered only when
    `same_text(that version, the report)` says both have the same text, so the mark pairs as
    compared; an older version with other text (or no `same_text`) offers nothing: such a pair
    is kept out of the agreement figures (the two reviewers read different text), so the item
    waits for a first reviewer to decide it on the current version. A reviewer touched an item
    when they have an event on it on any version of the report: they saw its draft or gave an
    answer, so the first reviewer of the older version is not blind on the current one. An item
    whose first answer has a blind mark already (on the report's own version, or on an older one
    down to the version that answer was given on: those marks pair with the same answer) is not
    offered again."""
    reviewer = (reviewer or "").strip()
    chains = {rid: [rid, *(older_versions(rid) if older_versions else [])] for rid in report_ids}
    marks = store.marks([v for chain in chains.values() for v in chain])
    marked = {(m.report_id, m.question_id) for m in marks}
    alike = cache(same_text) if same_text else None  # one reading of two versions' text
    out = []
    for rid, chain in chains.items():
        touched = {
            e.question_id for v in chain for e in decisions.history(v) if e.reviewer == reviewer
        }
        latest = latest_over_versions(decisions, rid, older_versions)
        for q in bank.questions:
            if q.answer_type not in BLIND_TYPES or q.id not in latest or q.id in touched:
                continue
            first = first_answer(decisions, rid, q.id, older_versions, latest=latest)
            on = (first[2] or rid) if first else None
            if on is None or any((v, q.id) in marked for v in chain[: chain.index(on) + 1]):
                continue  # not answered, or its first answer has a blind mark already
            if on != rid and not (alike is not None and alike(on, rid)):
                continue  # the pair would not be compared: see above
            out.append(BlindItem(rid, q, q.options()))
    return out


def with_older_versions(
    report_ids: list[str] | None, older_versions: Callable[[str], list[str]] | None
) -> tuple[list[str] | None, set[str]]:
    """(`report_ids` and the versions they replaced, those older versions): the reports whose
    blind marks count (None: every report's)."""
    if report_ids is None or not older_versions:
        return report_ids, set()
    older = {o for rid in report_ids for o in older_versions(rid)} - set(report_ids)
    return [*report_ids, *sorted(older)], older


def pairs(
    bank: QuestionBank,
    drafts: DraftStore,
    decisions: DecisionStore,
    store: BlindStore,
    report_ids: list[str] | None = None,
    older_versions: Callable[[str], list[str]] | None = None,
    same_text: Callable[[str, str], bool] | None = None,
) -> list[Pair]:
    """Every blind mark on `report_ids` (all when None) with its first answer and draft.

    With `older_versions` (report id → the ids it replaced, newest first), marks on those
    versions count too, and a first answer may come from an older version than the marked one
    (see first_answer). The draft is the one the first reviewer saw, of the version they
    decided. A pair across versions is comparable when `same_text(first's version, marked
    version)` says both have the same text; without `same_text` it is not. A mark that pairs
    with the same first answer as an earlier mark (on another version, stored before the store
    refused it) is listed with `duplicate_of` that mark, to be counted apart."""
    ids, marked_older = with_older_versions(report_ids, older_versions)
    drafts_of: dict[str, dict[str, Any]] = {}  # version → question id → its draft
    counted: dict[tuple[str, str], int] = {}  # (question, first answer's version) → first mark
    out = []
    for m in store.marks(ids):
        first = first_answer(
            decisions, m.report_id, m.question_id, older_versions, leave_out=m.adjudicated_event_id
        )
        if first is None:
            continue
        answer, reviewer, first_on = first
        version = first_on or m.report_id
        if version not in drafts_of:
            drafts_of[version] = {}
            for d in drafts.for_report(version):
                drafts_of[version].setdefault(d.question_id, d)
        draft = drafts_of[version].get(m.question_id)
        value = draft.answer if draft is not None and draft.status in ("ok", "flagged") else None
        comparable = first_on is None or (
            same_text is not None and same_text(first_on, m.report_id)
        )
        earliest = counted.setdefault((m.question_id, version), m.mark_id)  # marks: by id
        out.append(
            Pair(
                m.report_id,
                bank.get(m.question_id),
                value,
                answer,
                reviewer,
                m,
                first_on_older=first_on,
                marked_on_older=m.report_id in marked_older,
                comparable=comparable,
                duplicate_of=None if earliest == m.mark_id else earliest,
            )
        )
    return out


def _summary(items: list[tuple[Question, Any, Any]], n_boot: int) -> dict | None:
    """Agreement of (question, a, b) items, pooled over questions with the same scale."""
    if not items:
        return None
    categories: list[str] = []
    for q, _, _ in items:
        for c in q.options():
            if c not in categories:
                categories.append(c)
    ordinal = (
        all(q.answer_type in ORDINAL for q, _, _ in items)
        and len({q.answer_type for q, _, _ in items}) == 1
    )
    s = agreement_summary(
        [_key(a) for _, a, _ in items],
        [_key(b) for _, _, b in items],
        categories,
        ordinal=ordinal,
        n_boot=n_boot,
    )
    return {k: s[k] for k in ("n", "accuracy", "accuracy_ci", "kappa", "kappa_ci")}


def second_marking_report(all_pairs: list[Pair], n_boot: int = 1000) -> dict:
    """Human–human and draft-vs-human agreement on the double-marked items, the anchoring gap,
    and how many disagreements wait for adjudication. The agreement figures leave out the pairs
    whose first answer was given on an older version with other text (counted apart); every
    disagreement waits for adjudication. A second blind mark of a first answer (`duplicate_of`)
    is in no figure, the item counted once by its earliest mark: counted apart, its disagreement
    waiting for adjudication too."""
    duplicates = [p for p in all_pairs if p.duplicate_of is not None]
    all_pairs = [p for p in all_pairs if p.duplicate_of is None]
    compared = [p for p in all_pairs if p.comparable]
    with_draft = [p for p in compared if p.draft is not None]
    sighted = sum(_key(p.first) == _key(p.draft) for p in with_draft)
    blind = sum(_key(p.blind.answer) == _key(p.draft) for p in with_draft)
    n = len(with_draft)
    return {
        "items": len(all_pairs),
        "disagreements": sum(not p.agree for p in all_pairs),
        "to_adjudicate": sum(
            not p.agree and p.blind.adjudicated_event_id is None for p in all_pairs
        ),
        "compared": len(compared),
        "older_versions": {
            "marked_on_older": sum(p.marked_on_older for p in all_pairs),
            "first_on_older": sum(p.first_on_older is not None for p in all_pairs),
            "first_on_older_same_text": sum(
                p.first_on_older is not None and p.comparable for p in all_pairs
            ),
            "text_differs": sum(not p.comparable for p in all_pairs),
            "text_differs_to_adjudicate": sum(
                not p.comparable and not p.agree and p.blind.adjudicated_event_id is None
                for p in all_pairs
            ),
            "second_marks": len(duplicates),
            "second_marks_to_adjudicate": len(adjudication_queue(duplicates)),
        },
        "human_human": _summary([(p.question, p.first, p.blind.answer) for p in compared], n_boot),
        "draft_vs_first": _summary([(p.question, p.draft, p.first) for p in with_draft], n_boot),
        "draft_vs_blind": _summary(
            [(p.question, p.draft, p.blind.answer) for p in with_draft], n_boot
        ),
        "anchoring": {
            "n": n,
            "sighted_kept_draft": sighted,
            "blind_matched_draft": blind,
            "gap_points": round(100 * (sighted - blind) / n) if n else None,
        },
    }


def describe_report(r: dict) -> list[str]:
    """Plain sentences for the documents and the UI."""
    if not r["items"]:
        return ["Blind second marking: no item double-marked yet."]

    def kappa(s: dict | None) -> str:
        if not s:
            return "n/a"
        ci = s["kappa_ci"]
        k = s["kappa"]
        text = "undefined" if k != k else f"{k:.2f}"  # NaN: one category only
        return text + (f" (95% CI {ci[0]:.2f} to {ci[1]:.2f})" if ci else "") + f", n={s['n']}"

    lines = [
        f"Blind second marking: {r['items']} items double-marked; {r['disagreements']} "
        f"disagreement{'s' * (r['disagreements'] != 1)}, {r['to_adjudicate']} waiting for "
        "adjudication.",
        *_older_lines(r.get("older_versions") or {}),
        f"Human–human agreement: kappa {kappa(r['human_human'])}.",
        f"Draft vs first (sighted) reviewer: kappa {kappa(r['draft_vs_first'])}; draft vs blind "
        f"reviewer: kappa {kappa(r['draft_vs_blind'])}.",
    ]
    a = r["anchoring"]
    if a["n"]:
        lines.append(
            f"Anchoring: the sighted reviewer kept the draft's answer in {a['sighted_kept_draft']}"
            f" of {a['n']} items, the blind reviewer gave it in {a['blind_matched_draft']} of "
            f"{a['n']} ({a['gap_points']:+d} points)."
        )
    return lines


def _older_lines(o: dict) -> list[str]:
    """What the figures must say of the pairs decided or marked on an older version."""

    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    lines = []
    if o.get("marked_on_older"):
        k = o["marked_on_older"]
        lines.append(
            f"{n(k, 'item was', 'items were')} blind-marked on an older version of the report, "
            "whose text the blind marker read."
        )
    if o.get("first_on_older_same_text"):
        k = o["first_on_older_same_text"]
        lines.append(
            f"{n(k, 'blind mark is', 'blind marks are')} compared with a first answer decided "
            "on an older version of the report with the same text."
        )
    if o.get("text_differs"):
        k, waiting = o["text_differs"], o.get("text_differs_to_adjudicate", 0)
        lines.append(
            f"{n(k, 'blind mark', 'blind marks')} not in the agreement figures: "
            f"{'its' if k == 1 else 'their'} first answer was decided on an older version of "
            "the report whose text differs (the two reviewers read different text); "
            f"{waiting} of {k} wait{'s' * (waiting == 1)} for adjudication."
        )
    if o.get("second_marks"):
        k, waiting = o["second_marks"], o.get("second_marks_to_adjudicate", 0)
        lines.append(
            f"{n(k, 'blind mark', 'blind marks')} not in the figures: a second blind mark of a "
            "first answer another version's blind mark already pairs with (stored before that "
            "was refused; the item is counted once, by its earliest mark); "
            f"{waiting} of {k} wait{'s' * (waiting == 1)} for adjudication."
        )
    return lines


def adjudication_queue(all_pairs: list[Pair]) -> list[Pair]:
    return [p for p in all_pairs if not p.agree and p.blind.adjudicated_event_id is None]


def adjudicate(
    decisions: DecisionStore,
    store: BlindStore,
    pair: Pair,
    reviewer: str,
    answer: Any,
    *,
    draft_id: str | None = None,
) -> Any:
    """Record the adjudicated answer as the item's decision (all three answers stay stored)."""
    q = pair.question
    state = decisions.item(pair.report_id, q.id)
    note = (
        f"adjudicated: first {answer_text(q, pair.first)!r} ({pair.first_reviewer}"
        f"{', on an older version' if pair.first_on_older else ''}), blind "
        f"{answer_text(q, pair.blind.answer)!r} ({pair.blind.reviewer})"
    )
    action = "edit" if draft_id else "enter"
    event = decisions.record(
        pair.report_id,
        q.id,
        reviewer,
        action,
        after=answer,
        note=note,
        base_event_id=state.last_event_id,
        draft_id=draft_id,
    )
    assert event.action in DECISION_STATUS
    store.settle(pair.blind.mark_id, event.event_id)
    return event


def find_pair(all_pairs: list[Pair], report_id: str, question_id: str) -> Pair:
    for p in all_pairs:
        if p.report_id == report_id and p.question.id == question_id:
            return p
    raise NotFoundError(f"no blind second mark on {question_id} of this report")
