"""What the Review page shows for one item, as plain data and escaped HTML (no Gradio here)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.ui.cohort import serve_dir
from assistant.ui.render import STATUS_LABEL, PageView, fmt_answer, page_view, trust_level

if TYPE_CHECKING:
    from assistant.drafting.store import Citation, Draft
    from assistant.library import ReportRecord
    from assistant.questions import Question, QuestionBank
    from assistant.review.decisions import Event, ItemState
    from assistant.service import Assistant
    from assistant.usecases.reviewer_views import OlderDecision

# "Version": this version, or the older version (its file) an event was on
HISTORY_HEADERS = ["Event", "When", "Reviewer", "Action", "Answer", "Note", "Seconds", "Version"]
THIS_VERSION = "this version"
# Answer types edited with one radio group; multi_select, count and free_text have their own.
CHOICE_TYPES = ("yes_no", "yes_partly_no", "rating", "ladder")
DECIDED_WITH_ANSWER = ("accepted", "edited", "entered")
BLIND_TEXT = (
    "You are second-marking this item blind: its draft and first answer are hidden until you"
    " submit your blind mark (Second marking tab)"
)
EXAMPLE_NEEDS_DECISION = (
    "X: nothing to mark as an example yet — accept, edit or enter an answer first"
)
OLDER_NONE = "O: no reviewer decided this question on an older version of this report"


def labeller(question: Question):
    """Formats answer values in messages as people read them ('"Partly evidenced"')."""
    return lambda value: f'"{fmt_answer(question, value)}"'


def title_markdown(bank: QuestionBank, question: Question) -> str:
    theme = bank.theme_title(question.theme)
    return (
        f"### {html.escape(question.id)} · {html.escape(question.text)}\n"
        f"<span class='theme'>{html.escape(theme)}</span>"
    )


def draft_summary(
    question: Question,
    draft: Draft | None,
    agreement: tuple[int, int] | None = None,
    no_text: str = "",
    *,
    example_why: str = "",
    older_why: str = OLDER_NONE,
) -> str:
    """One escaped HTML block: the draft's answer, trust level (with the per-question
    agreement behind it), status, citations, engine; a warning when pages have no text.
    Also carries, for the keyboard, why Accept, Reject, X and O cannot apply (data-accept...)."""
    why = _cannot_apply(question, draft)
    keys = (
        f'<span class="rv-why" hidden data-accept="{html.escape(why[0])}"'
        f' data-reject="{html.escape(why[1])}" data-example="{html.escape(example_why)}"'
        f' data-older="{html.escape(older_why)}"></span>'
    )
    warn = f'<div class="msg msg-warn rv-no-text">{html.escape(no_text)}</div>' if no_text else ""
    return keys + _draft_block(question, draft, agreement) + warn


def _cannot_apply(question: Question, draft: Draft | None) -> tuple[str, str]:
    """(why A cannot apply, why R cannot apply); '' when it can."""
    if draft is None:
        what = "this item has no draft"
        if not question.answerable_from_text:
            what += " (reviewer-entered fact: type the answer and press Ctrl+Enter)"
        return f"A: nothing to accept — {what}", f"R: nothing to reject — {what}"
    if draft.answer is None:
        return "A: nothing to accept — the draft found no answer; pick or type one", ""
    return "", ""


def older_offer(olders: list[OlderDecision], state: ItemState) -> OlderDecision | None:
    """The older version's decision O takes over: the newest older version's, when it has an
    answer this version does not hold already; None when there is nothing to take over."""
    decided = [o for o in olders if o.decision is not None]
    if not decided or decided[0].state.answer is None:
        return None
    newest = decided[0]
    if state.status in DECIDED_WITH_ANSWER and state.answer == newest.state.answer:
        return None
    return newest


def older_why(olders: list[OlderDecision], state: ItemState) -> str:
    """Why O (take over the older version's answer) cannot apply; '' when it can."""
    decided = [o for o in olders if o.decision is not None]
    if not decided:
        return OLDER_NONE
    if decided[0].state.answer is None:
        return "O: the older version's draft was rejected: there is no answer to take over"
    if older_offer(olders, state) is None:
        return "O: this version's decided answer is the older version's already"
    return ""


def older_html(question: Question, olders: list[OlderDecision], state: ItemState) -> str:
    """One line per older version a reviewer decided this question on: 'Decided on the older
    version (a.pdf, 2026-12-01, alice): Yes — decide again here if the correction changed the
    answer', with its note (escaped HTML; '' when there is none)."""
    lines = []
    for o in olders:
        if o.decision is None:
            continue
        s = o.state
        when = (s.decided_at or "?")[:10]
        what = fmt_answer(question, s.answer) if s.answer is not None else "rejected the draft"
        text = (
            f"Decided on the older version ({o.report.file_name}, {when}, {s.reviewer or '?'}):"
            f" {what}"
        )
        if state.reviewed:
            text += " — this version's own decision (above) is the one that counts"
        else:
            text += " — decide again here if the correction changed the answer"
        line = f"<div class='rv-older-line'>{html.escape(text)}</div>"
        if s.note:
            line += f"<div class='note'>Note: {html.escape(s.note)}</div>"
        lines.append(line)
    if not lines:
        return ""
    return f'<div class="msg msg-warn rv-older">{"".join(lines)}</div>'


def example_why(state: ItemState) -> str:
    """Why X (use as example) cannot apply to this item; '' when it can."""
    if state.status in DECIDED_WITH_ANSWER:
        return ""
    if state.status == "rejected":
        return "X: a rejected draft has no answer to use as an example — edit or enter one first"
    return EXAMPLE_NEEDS_DECISION


def example_html(example: dict | None) -> str:
    """'Marked as an example of practice by alice (page 4: "…")' (escaped HTML)."""
    if not example:
        return ""
    text = f"Marked as an example of practice by {example.get('reviewer') or '?'}"
    if example.get("page"):
        quote = " ".join(str(example.get("quote") or "").split())
        quote = quote if len(quote) <= 120 else quote[:120].rsplit(" ", 1)[0] + " …"
        text += f" (page {example['page']}" + (f': "{quote}")' if quote else ")")
    return f'<div class="msg msg-ok rv-example-on">{html.escape(text)}</div>'


def blind_html() -> str:
    """A blind marker's item: the notice, and the same reason for every key that would act."""
    reason = html.escape(BLIND_TEXT)
    return (
        f'<span class="rv-why" hidden data-accept="{reason}" data-reject="{reason}"'
        f' data-example="{reason}" data-save="{reason}"></span>'
        f'<div class="msg msg-info rv-blind">{reason}</div>'
    )


def trust_html(draft: Draft, agreement: tuple[int, int] | None) -> str:
    """'Trust: usually right on reports like this (A1: auditors agreed on 40 of 40 …)'."""
    word, sentence = trust_level(draft)
    text = f"Trust: {sentence}"
    if agreement is not None:
        agreed, n = agreement
        text += (
            f" ({draft.question_id}: a careful auditor gave the engine's answer on {agreed} of"
            f" {n} labelled reports; this draft {draft.confidence:.0%})"
        )
    elif draft.calibration and draft.calibration != "uncalibrated":
        text += f" (estimated agreement {draft.confidence:.0%})"
    css = "unknown" if word == "?" else word
    return f'<div class="trust trust-{html.escape(css)}">{html.escape(text)}</div>'


def no_text_warning(report: ReportRecord, draft: Draft | None) -> str:
    """A warning when the report has pages without text, naming those next to the cited pages
    (the answer may sit on an image-only page: a budget table, a scanned chart)."""
    missing = sorted(report.no_text_pages or [])
    if not missing:
        return ""
    cited = sorted({c.page for c in (draft.citations if draft else []) if c.page})
    near = [p for p in missing if any(abs(p - c) <= 2 for c in cited)]
    pages = ", ".join(map(str, missing[:12])) + (" …" if len(missing) > 12 else "")
    text = (
        f"This report has {len(missing)} page(s) without text ({pages}): the draft could not"
        " read them."
    )
    if near:
        text += (
            f" Page(s) {', '.join(map(str, near))} sit next to the cited pages: look at them in"
            " the page browser before you accept."
        )
    else:
        text += " Check them in the page browser if the answer could be there."
    return text


def _draft_block(question: Question, draft: Draft | None, agreement) -> str:
    if draft is None:
        why = (
            "Reviewer-entered fact: the report text cannot answer this, so nothing is drafted. "
            "Enter the answer from your own records."
            if not question.answerable_from_text
            else "Not drafted yet: use “Draft this report”, or enter the answer."
        )
        return f'<div class="msg msg-info">{html.escape(why)}</div>'
    engine = draft.engine + (f" / {draft.model}" if draft.model else "")
    bits = [
        f"<b>Draft answer:</b> {html.escape(fmt_answer(question, draft.answer))}",
        f"status {html.escape(draft.status)}",
        f"citations {html.escape(draft.verification_summary())}",
        html.escape(engine),
    ]
    summary = " · ".join(bits) + trust_html(draft, agreement)
    if draft.marker:
        summary += f'<div class="marker">{html.escape(draft.marker)}</div>'
    if draft.error:
        summary += f'<div class="msg msg-warn">draft problem: {html.escape(draft.error)}</div>'
    return summary


def state_html(question: Question, state: ItemState, draft: Draft | None) -> str:
    """Who decided what, when, with the note (escaped HTML)."""
    if not state.reviewed:
        return '<div class="state state-undecided">Not reviewed yet</div>'
    text = (
        f"<b>{STATUS_LABEL[state.status]}</b> by {html.escape(state.reviewer or '?')}"
        f" at {html.escape(state.decided_at or '?')}"
    )
    if state.answer is not None:
        text += f" → <b>{html.escape(fmt_answer(question, state.answer))}</b>"
    if draft is not None and state.draft_id and state.draft_id != draft.draft_id:
        text += " <i>(decided on an earlier draft)</i>"
    if state.note:
        text += f"<div class='note'>Note: {html.escape(state.note)}</div>"
    return f'<div class="state state-{state.status}">{text}</div>'


def history_rows(
    question: Question, events: list[Event], version: str = THIS_VERSION
) -> list[list[Any]]:
    """Newest first. A decision shows its action and answer; an annotation (a citation marked,
    a passage added, an example mark set or removed) says what it did, and its passage;
    `version` says which version of the report the events were on."""
    rows = []
    for e in reversed(events):
        quote = str((e.payload or {}).get("quote") or "").strip()
        if e.after is not None:
            answer = fmt_answer(question, e.after)
        else:
            answer = f'"{quote}"' if quote and e.action in ("passage", "example") else ""
        action = e.action if e.decides else e.what()
        seconds = e.seconds_on_task if e.seconds_on_task is not None else ""
        rows.append(
            [e.event_id, e.created_at, e.reviewer, action, answer, e.note or "", seconds, version]
        )
    return rows


def item_history_rows(
    question: Question, events: list[Event], olders: list[OlderDecision]
) -> list[list[Any]]:
    """The item's history: this version's events, then each older version's (newest first)."""
    rows = history_rows(question, events)
    for o in olders:
        rows += history_rows(question, o.events, f"older: {o.report.file_name}")
    return rows


def starting_value(state: ItemState, draft: Draft | None) -> Any:
    """What the answer editor starts from: the decided answer, else the draft's."""
    if state.status in DECIDED_WITH_ANSWER:
        return state.answer
    return draft.answer if draft is not None else None


def unsaved_key(report_id: str, question_id: str) -> str:
    """An item's key in the session's unsaved edits."""
    return f"{report_id}/{question_id}"


def same_answer(question: Question, value: Any, start: Any) -> bool:
    """Whether the editor still holds what the item started from (both read as answers, so
    a reordered multi-select or "3" for 3 is the same; an empty editor is no answer)."""

    def read(v: Any) -> Any:
        if v is None or v == "" or v == []:
            return None
        try:
            return question.validate_answer(v)
        except ValueError:
            return ("not an answer", repr(v))

    return read(value) == read(start)


def editor_value(answer_type: str, choice: Any, multi: Any, count: Any, free: Any) -> Any:
    """The value of the editor that is shown for this answer type."""
    value = {"multi_select": multi, "count": count, "free_text": free}.get(answer_type, choice)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def save_action(question: Question, draft: Draft | None, value: Any) -> str:
    """'Save' means edit (of a draft) or enter (no draft); an unchanged answer is an accept."""
    if draft is None:
        return "enter"
    try:
        unchanged = question.validate_answer(value) == draft.answer
    except ValueError:
        unchanged = False  # the store will refuse it with the reason
    return "accept" if unchanged else "edit"


def cited_page(
    a: Assistant, report_id: str, citations: list[Citation], index: int | None
) -> PageView | None:
    """The page of citation `index` (default the first), passage highlighted."""
    if not citations:
        return None
    index = index if index is not None and 0 <= index < len(citations) else 0
    c = citations[index]
    if not c.page:
        return None
    return page_view(
        a,
        a.reports.get(report_id),
        c.page,
        c.quote,
        span=(c.span_start, c.span_end),
        verification=c.verification,
        label=f"[{index + 1}]",
    )


def added_page(a: Assistant, report_id: str, passage: dict, label: str) -> PageView:
    """The page of a reviewer-added passage."""
    return page_view(
        a,
        a.reports.get(report_id),
        passage["page"],
        passage.get("quote", ""),
        span=(passage.get("span_start"), passage.get("span_end")),
        verification=passage.get("verification"),
        label=f"[{label}]",
    )


def export_to_temp(a: Assistant, fmt: str, report_id: str | None) -> Path:
    """Write the export into a fresh temp folder (Gradio serves files from there)."""
    name = a.reports.get(report_id).file_name.rsplit(".", 1)[0] if report_id else "all-reports"
    out_dir = serve_dir("review-export-")
    return a.export_final_answers(
        out_dir / f"final-answers-{name}.{fmt}",
        fmt,
        report_ids=[report_id] if report_id else None,
    )
