"""The Review page's queue, as plain data: its items in the chosen order, their rows, the rows
the Filter box leaves, the ids the page's scroll script reads and the walk to the next
question to review (no Gradio here).

Report text is data: rows are table cells (text), and the ids go into HTML escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.service import Assistant
from assistant.ui.render import STATUS_LABEL, fmt_answer, report_label, short, trust_level

if TYPE_CHECKING:
    from assistant.drafting.store import Draft
    from assistant.library import ReportRecord
    from assistant.questions import Question
    from assistant.review.decisions import ItemState

QUEUE_HEADERS = ["Q", "Trust", "Status", "Answer (final, else draft)"]
# The queue's orders (Assistant.REVIEW_ORDERS): the only way to sort it, so J/K and "next after
# saving" walk the rows as they stand (the table's own column sort is off: see app.py's CSS).
ORDER_CHOICES = [
    ("Audit tool order (A1 → C10)", "audit"),
    ("Riskiest first", "riskiest"),
    ("Most trusted first", "trusted"),
    ("To review first", "todo"),
]
# after "• to review" when an older version of the report has a decision on the question:
# the item shows it and O takes it over (the filter finds it as shown, e.g. "older")
OLDER_MARK = " · decided on older version"


@dataclass
class QueueItem:
    """One audit question of one report, as the review queue lists it."""

    question: Question
    draft: Draft | None
    state: ItemState
    # a reviewer decided it on a version this report replaced
    decided_on_older: bool = False

    @property
    def confidence(self) -> float:
        return self.draft.confidence if self.draft else 0.0


def review_queue(assistant: Assistant, report_id: str, order: str = "audit") -> list[QueueItem]:
    """Every bank question for the report in the chosen order (see
    Assistant.review_queue_items: the audit tool's order, or riskiest first), each saying
    whether a reviewer decided it on an older version of the report."""
    items = assistant.review_queue_items(report_id, order)
    older = assistant.older_decided_question_ids(report_id)
    return [QueueItem(q, d, s, decided_on_older=q.id in older) for q, d, s in items]


def queue_rows(items: list[QueueItem]) -> list[list[Any]]:
    """Rows of the queue: id, trust, status (marked when an older version of the report
    has a decision this one has not), and the final answer (else the draft's)."""
    rows = []
    for it in items:
        if it.state.reviewed:
            answer = Assistant.answer_text(it.question, it.state.answer) or "(no answer)"
        elif it.draft is None:
            answer = "reviewer enters" if not it.question.answerable_from_text else "not drafted"
        else:
            answer = fmt_answer(it.question, it.draft.answer)
            if it.draft.status != "ok":
                answer = f"[{it.draft.status}] {answer}"
        word, _ = trust_level(it.draft)
        trust = f"{word} {it.draft.confidence:.2f}" if it.draft is not None else "–"
        status = STATUS_LABEL[it.state.status]
        if it.decided_on_older and not it.state.reviewed:
            status += OLDER_MARK
        rows.append([it.question.id, trust, status, short(answer, 60)])
    return rows


def progress_text(items: list[QueueItem]) -> str:
    """'23/33 reviewed · 20 accepted · 2 edited · 1 rejected'."""
    counts: dict[str, int] = {}
    for it in items:
        counts[it.state.status] = counts.get(it.state.status, 0) + 1
    reviewed = len(items) - counts.get("undecided", 0)
    parts = [f"**{reviewed}/{len(items)} reviewed**"]
    parts += [
        f"{counts[s]} {s}" for s in ("accepted", "edited", "rejected", "entered") if counts.get(s)
    ]
    return " · ".join(parts)


def blind_rows(rows: list[list[Any]], blind: set) -> list[list[Any]]:
    """Queue rows with the trust, status and answer of blind items hidden."""
    return [[r[0], "–", "blind", "hidden: you mark it blind"] if r[0] in blind else r for r in rows]


def matching_rows(rows: list[list[Any]], texts: list[str], query: str | None) -> list[int]:
    """Places of the queue rows the Filter box keeps: those where the query (case ignored)
    is part of a cell as shown or of the question's text. The cells as shown, not the
    stored answers: a blind item's hidden answer is never matched."""
    needle = " ".join((query or "").split()).casefold()
    if not needle:
        return list(range(len(rows)))
    return [
        i
        for i, (row, text) in enumerate(zip(rows, texts, strict=True))
        if any(needle in " ".join(str(v).split()).casefold() for v in [*row, text])
    ]


def queue_ids_html(ids: list[str]) -> str:
    """The shown rows' ids in order, for the page's JS: it scrolls the open question's row
    into view, which the table (drawing only the rows near the view) may not have drawn."""
    return f'<div class="rv-ids" data-ids="{html.escape(" ".join(ids))}"></div>'


def question_id_named(query: str | None, ids: list[str]) -> str | None:
    """The question id the query is, whole (case ignored), else None: Enter jumps there."""
    wanted = (query or "").strip().casefold()
    return next((qid for qid in ids if qid.casefold() == wanted), None)


def next_todo(states: dict[str, ItemState], ids: list[str], after: str | None) -> str | None:
    """The next undecided question after `after` in queue order (wrapping), or None."""
    start = ids.index(after) + 1 if after in ids else 0
    for qid in ids[start:] + ids[:start]:
        if qid in states and not states[qid].reviewed:
            return qid
    return None


@dataclass
class QueueView:
    """The queue as the page shows it: the rows the filter leaves and their ids (the order
    J/K and "next after saving" walk), the table's label, the progress line, whether to
    offer drafting (a report with no draft yet), and the next report to review once this one
    is done."""

    rows: list[list[Any]]
    ids: list[str]
    label: str
    progress: str
    offer_draft: bool
    next_report: ReportRecord | None


# the queue while no report is picked
NO_QUEUE = QueueView(
    rows=[], ids=[], label="Queue", progress="", offer_draft=False, next_report=None
)


def build_queue(
    a: Assistant,
    report_id: str,
    order: str | None = "audit",
    blind: set | None = None,
    find: str | None = "",
) -> QueueView:
    """The queue of a report in `order`, blind items hidden, the rows the filter `find`
    leaves."""
    items = review_queue(a, report_id, order or "audit")
    drafted = any(it.draft is not None for it in items)
    done = bool(items) and all(it.state.reviewed for it in items)
    nxt = a.next_unreviewed_report(report_id) if done else None
    progress = progress_text(items) + (" · **report done**" if done else "")
    rows = blind_rows(queue_rows(items), blind or set())
    kept = matching_rows(rows, [it.question.text for it in items], find)
    label = "Queue" if len(kept) == len(items) else f"Queue: {len(kept)} of {len(items)} shown"
    return QueueView(
        rows=[rows[i] for i in kept],
        ids=[items[i].question.id for i in kept],
        label=label,
        progress=progress,
        offer_draft=not drafted,
        next_report=nxt,
    )


def done_text(a: Assistant, report_id: str) -> str:
    """What N (or a save) says when no row the filter shows is left to review: the rows the
    filter hides, else the next report to review."""
    states = a.review_states(report_id)
    left = [qid for qid in a.bank.ids if qid in states and not states[qid].reviewed]
    if left:  # the filter hides them
        return (
            f"No row the filter shows is left to review; {len(left)} other"
            f"{' is' if len(left) == 1 else 's are'} ({', '.join(left[:5])}"
            f"{', …' if len(left) > 5 else ''}): clear the filter to see them."
        )
    nxt = a.next_unreviewed_report(report_id)
    text = "Every question of this report has been reviewed."
    if nxt is None:
        return text + " No other report has questions left to review."
    return text + f" Next report to review: {report_label(nxt)} (button above)."
