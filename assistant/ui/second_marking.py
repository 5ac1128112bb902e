"""Second marking page: a second reviewer answers items blind (no draft, no first answer shown),
then the agreement figures and the adjudication queue, whose outcome is the final answer.

Built on `Assistant.blind_queue / record_blind_mark / second_marking / adjudication_queue /
adjudicate` (branch analysis). Report text is only ever put in text boxes, never in HTML; a
file name shown in HTML is escaped.
"""

# No `from __future__ import annotations`: Gradio resolves the gr.Request annotation below.
from typing import TYPE_CHECKING

import gradio as gr

from assistant.ui.common import AppContext, error_text, message, reviewer_name

if TYPE_CHECKING:
    from assistant.analysis.second_marking import Pair
    from assistant.service import Assistant


def _item_key(report_id: str, qid: str) -> str:
    return f"{report_id}:{qid}"


def _label(a: "Assistant", report_id: str) -> str:
    try:
        report = a.resolve_report(report_id)
    except Exception:
        return report_id[:12]
    return f"{report.display_name} ({report.file_name})"


def older_first_html(a: "Assistant", pair: "Pair") -> str:
    """What the adjudicator must know of a first answer decided on an older version of the
    report: which version (its file and short id), and whether the blind marker read the same
    text (else the pair is kept out of the agreement figures); '' for a first answer given on
    the marked version. A second blind mark of one first answer (stored before such marks were
    refused) is said to be outside the figures. Escaped HTML: file names are untrusted."""
    if pair.duplicate_of is not None:
        return message(
            "warn",
            "A second blind mark of the same first answer (the first is mark "
            f"{pair.duplicate_of}): the agreement figures count that first answer once, with "
            "the earlier mark; this one is listed, not counted.",
        )
    if not pair.first_on_older:
        return ""
    try:
        older = a.resolve_report(pair.first_on_older)
        name = f"{older.file_name} ({older.short_id})"
    except Exception:
        name = pair.first_on_older[:12]
    if pair.comparable:
        return message(
            "info", f"First answer given on the older version {name}, with the same text."
        )
    return message(
        "warn",
        f"First answer given on the older version {name}, whose text differs: the two "
        "reviewers read different text, so this pair is not in the agreement figures.",
    )


def second_marking_page(ctx: AppContext) -> None:
    """Build the page inside the current gr.Tab."""
    a = ctx.assistant
    gr.Markdown(
        "Blind second marking: answer items another reviewer already decided, **without** "
        "seeing the draft or their answer. Read the report's pages here. Disagreements go to "
        "the adjudication queue below; the adjudicated answer becomes the final answer (the "
        "draft, the first and the blind answer all stay stored)."
    )
    current = gr.State("")
    with gr.Row(equal_height=True):
        next_btn = gr.Button("Next blind item", variant="primary", elem_id="sm-next", scale=0)
        status = gr.HTML("", elem_id="sm-msg")
    report_box = gr.Textbox(label="Report", interactive=False, elem_id="sm-report")
    question_box = gr.Textbox(label="Question", interactive=False, lines=2, elem_id="sm-question")
    answer = gr.Radio([], label="Your answer", elem_id="sm-answer")
    note = gr.Textbox(label="Note (optional)", elem_id="sm-note", max_length=4000)
    save = gr.Button("Save blind answer", elem_id="sm-save")
    with gr.Row(equal_height=True):
        page_no = gr.Number(1, label="Page", precision=0, minimum=1, elem_id="sm-page", scale=0)
        show_page = gr.Button("Show page", elem_id="sm-show-page", scale=0)
    page_text = gr.Textbox(
        label="Page text", lines=12, max_lines=24, interactive=False, elem_id="sm-page-text"
    )

    with gr.Accordion("Agreement and adjudication", open=True):
        figures = gr.Textbox(label="Agreement", lines=5, interactive=False, elem_id="sm-figures")
        queue = gr.Dropdown([], label="Disagreements to adjudicate", elem_id="sm-adj-item")
        answers = gr.Textbox(
            label="Draft, first and blind answers", lines=3, interactive=False, elem_id="sm-adj"
        )
        older_first = gr.HTML("", elem_id="sm-adj-older")  # which version the first answer is on
        adj_answer = gr.Radio([], label="Adjudicated answer", elem_id="sm-adj-answer")
        adj_save = gr.Button("Save adjudicated answer", elem_id="sm-adj-save")
        refresh = gr.Button("↻ Refresh", size="sm", elem_id="sm-refresh")

    def next_item(typed, request: gr.Request):
        try:
            who = reviewer_name(ctx, request, typed)
            item, waiting = a.take_blind_item(who)
        except Exception as exc:
            return "", message("error", error_text(exc)), "", "", gr.update(choices=[]), ""
        if item is None:
            note_ = message("info", "Nothing to second-mark: no item decided by someone else.")
            return "", note_, "", "", gr.update(choices=[], value=None), ""
        q = item.question
        choices = [(label, value) for value, label in item.options.items()]
        text = f"{q.id}: {q.text}"
        if q.guidance:
            text += f"\n\nGuidance: {q.guidance}"
        left = message("ok", f"{waiting} item(s) waiting for your blind answer.")
        return (
            _item_key(item.report_id, q.id),
            left,
            _label(a, item.report_id),
            text,
            gr.update(choices=choices, value=None),
            "",
        )

    def save_mark(key, value, note_text, typed, request: gr.Request):
        if not key:
            return message("warn", "Take the next blind item first.")
        if value is None:
            return message("warn", "Choose an answer first.")
        report_id, _, qid = key.partition(":")
        try:
            who = reviewer_name(ctx, request, typed)
            a.record_blind_mark(report_id, qid, who, value, note_text)
        except Exception as exc:
            return message("error", error_text(exc))
        return message("ok", f"Blind answer to {qid} saved. Take the next item.")

    def page(key, number):
        if not key:
            return "Take the next blind item first."
        report_id = key.partition(":")[0]
        try:
            text, _ = a.blind_page(report_id, int(number or 1))
        except Exception as exc:
            return error_text(exc)
        return text

    def pick(key):
        if not key:
            return "", "", gr.update(choices=[], value=None)
        report_id, _, qid = key.partition(":")
        pair = next(
            (
                p
                for p in a.adjudication_queue([report_id])
                if (p.report_id, p.question.id) == (report_id, qid)
            ),
            None,
        )
        if pair is None:
            return "already adjudicated", "", gr.update(choices=[], value=None)
        q = pair.question
        options = q.options()

        def show(v):
            return options.get(str(v), "—") if v is not None else "—"

        text = (
            f"Draft: {show(pair.draft)}\nFirst ({pair.first_reviewer}): {show(pair.first)}\n"
            f"Blind ({pair.blind.reviewer}): {show(pair.blind.answer)}"
        )
        choices = [(label, value) for value, label in options.items()]
        return text, older_first_html(a, pair), gr.update(choices=choices, value=None)

    def load_figures():
        try:
            report = a.second_marking(n_boot=300)
            waiting = a.adjudication_queue()
        except Exception as exc:
            none = gr.update(choices=[], value=None)
            return error_text(exc), none, "", "", gr.update(choices=[])
        choices = [
            (
                f"{p.question.id} · {_label(a, p.report_id)}"
                + (" · second mark, not counted" if p.duplicate_of is not None else ""),
                _item_key(p.report_id, p.question.id),
            )
            for p in waiting
        ]
        first = choices[0][1] if choices else None
        shown, older, options = pick(first)  # the first disagreement, opened
        lines = "\n".join(report["lines"])
        return lines, gr.update(choices=choices, value=first), shown, older, options

    def save_adjudication(key, value, typed, request: gr.Request):
        if not key or value is None:
            return message("warn", "Pick a disagreement and an answer first.")
        report_id, _, qid = key.partition(":")
        try:
            who = reviewer_name(ctx, request, typed)
            a.adjudicate(report_id, qid, who, value)
        except Exception as exc:
            return message("error", error_text(exc))
        return message("ok", f"{qid}: adjudicated answer saved as the final answer.")

    box = ctx.reviewer_box
    adjudication = [figures, queue, answers, older_first, adj_answer]
    next_btn.click(next_item, [box], [current, status, report_box, question_box, answer, page_text])
    save.click(save_mark, [current, answer, note, box], [status]).then(
        load_figures, None, adjudication
    )
    show_page.click(page, [current, page_no], [page_text])
    refresh.click(load_figures, None, adjudication)
    queue.input(pick, [queue], [answers, older_first, adj_answer])
    adj_save.click(save_adjudication, [queue, adj_answer, box], [status]).then(
        load_figures, None, adjudication
    )
