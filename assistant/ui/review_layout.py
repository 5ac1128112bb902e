"""The Review page's components (layout only; review_tab.py wires the behaviour)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.ui.common import frame, page_viewer
from assistant.ui.render import CITATION_HEADERS, report_choices
from assistant.ui.review_queue import ORDER_CHOICES, QUEUE_HEADERS
from assistant.ui.review_views import HISTORY_HEADERS

KEYS_HELP = (
    "Keys: **1–9** pick a choice · **A** accept · **E** or **Ctrl+Enter** save · **R** reject · "
    "**J**/**K** next/previous · **N** next to review · **/** filter the queue (Enter opens "
    "the first row; a question id opens it) · **P** page browser · **X** use as example · "
    "**O** take over an older version's answer · "
    "**Esc** leave a field (letter keys do nothing while you type; Ctrl+Enter and Esc "
    "work everywhere)"
)
FIND_PLACEHOLDER = "Filter: id, words, status (/) · Enter opens"


@dataclass
class ReviewWidgets:
    """Every component of the Review page, by role."""

    report: Any
    progress_md: Any
    draft_btn: Any
    queue: Any
    prev_btn: Any
    next_btn: Any
    todo_btn: Any
    title: Any
    guidance: Any
    draft_md: Any
    rationale: Any
    cites: Any
    not_rel_btn: Any
    rel_btn: Any
    add_page: Any
    add_quote: Any
    add_btn: Any
    state_md: Any
    older_md: Any  # what reviewers decided on older versions of the report (Review lists current)
    take_older_btn: Any
    choice: Any
    multi: Any
    count: Any
    free: Any
    note: Any
    accept_btn: Any
    save_btn: Any
    reject_btn: Any
    example_btn: Any
    example_md: Any
    advance: Any
    msg: Any
    history: Any
    viewer: Any
    scope: Any
    csv_btn: Any
    xlsx_btn: Any
    export_file: Any
    item: Any
    unsaved: Any  # {"report_id/qid": {"value", "note"}}: edits left unsaved, kept per session
    order: Any
    order_pick: Any
    find: Any  # the queue's filter (id, words, status): the rows shown are the rows walked
    queue_ids: Any  # the shown rows' ids in order, for the JS that keeps the open row in view
    next_report_btn: Any
    next_report: Any
    pages_btn: Any


def review_layout(assistant) -> ReviewWidgets:
    """Lay out the Review page inside the current gr.Tab."""
    a = assistant
    with gr.Row(equal_height=True):
        report = gr.Dropdown(
            report_choices(a), value=None, label="Report", scale=4, elem_id="rv-report"
        )
        progress_md = gr.Markdown("", elem_id="rv-progress")
        draft_btn = gr.Button(
            "Draft this report", variant="primary", visible=False, scale=1, elem_id="rv-draft"
        )
    with gr.Row(equal_height=True):
        gr.Markdown(KEYS_HELP, elem_classes=["hint"])
        next_report_btn = gr.Button(
            "Open the next report to review", visible=False, size="sm", elem_id="rv-next-report"
        )
    with gr.Row(equal_height=False, elem_id="rv-main"):
        # min widths: the three columns stay side by side from 1000 px (290 + 320 + 280 + gaps)
        with gr.Column(scale=4, min_width=290, elem_id="rv-queue-col"):
            # one line each at any width (a radio of four orders took three lines at 1000 px)
            order_pick = gr.Dropdown(
                ORDER_CHOICES,
                value="audit",
                label="Order",
                show_label=False,
                filterable=False,
                container=False,
                elem_id="rv-order",
            )
            # the rows J/K and "next after saving" walk are the rows this filter leaves (the
            # server filters: Gradio's own search box hid rows in the browser only)
            find = gr.Textbox(
                placeholder=FIND_PLACEHOLDER,
                label="Filter the queue",
                show_label=False,
                container=False,
                max_lines=1,
                elem_id="rv-find",
            )
            queue_ids = gr.HTML("", elem_id="rv-queue-ids")  # the rows' ids, for the page's JS
            queue = gr.Dataframe(
                frame([], QUEUE_HEADERS),
                headers=QUEUE_HEADERS,
                interactive=False,
                wrap=True,
                label="Queue",
                elem_id="rv-queue",
                max_height=560,
                show_search="none",
                column_widths=["15%", "24%", "25%", "36%"],
            )
            with gr.Row():
                prev_btn = gr.Button("◀ Prev (K)", size="sm", elem_id="rv-prev")
                next_btn = gr.Button("Next ▶ (J)", size="sm", elem_id="rv-next")
                todo_btn = gr.Button("Next to review (N)", size="sm", elem_id="rv-todo")
        with gr.Column(scale=5, min_width=320, elem_id="rv-item-col"):
            title = gr.Markdown(
                "_Pick a report, then a question from the queue._", elem_id="rv-title"
            )
            with gr.Accordion("Guidance", open=False):
                guidance = gr.Markdown("", elem_id="rv-guidance")
            draft_md = gr.HTML("", elem_id="rv-draft-summary")
            with gr.Group(elem_id="rv-decision"):
                state_md = gr.HTML("", elem_id="rv-state")
                older_md = gr.HTML("", elem_id="rv-older")
                take_older_btn = gr.Button(
                    "Take over the older version's answer (O)",
                    size="sm",
                    visible=False,
                    elem_id="rv-take-older",
                )
                choice = gr.Radio([], label="Answer", visible=False, elem_id="rv-choice")
                multi = gr.CheckboxGroup([], label="Answer", visible=False, elem_id="rv-multi")
                count = gr.Number(  # no precision: 2.5 is refused, not rounded to 2
                    label="Answer", minimum=0, visible=False, elem_id="rv-count"
                )
                free = gr.Textbox(label="Answer", lines=3, visible=False, elem_id="rv-free")
                note = gr.Textbox(
                    label="Note (optional; why you changed or rejected it)",
                    lines=2,
                    elem_id="rv-note",
                )
                with gr.Row(elem_id="rv-buttons"):
                    accept_btn = gr.Button(
                        "Accept draft (A)", variant="primary", elem_id="rv-accept"
                    )
                    save_btn = gr.Button("Save edit (E)", elem_id="rv-save")
                    reject_btn = gr.Button("Reject (R)", variant="stop", elem_id="rv-reject")
                advance = gr.Checkbox(
                    value=True,
                    label="Go to the next item to review after saving",
                    elem_id="rv-advance",
                )
                with gr.Row(equal_height=True):
                    example_btn = gr.Button(
                        "Use as example (X)",
                        size="sm",
                        interactive=False,
                        scale=0,
                        min_width=170,
                        elem_id="rv-example",
                    )
                    example_md = gr.HTML("", elem_id="rv-example-state")
            msg = gr.HTML("", elem_id="rv-msg")
            rationale = gr.Textbox(
                label="Rationale (from the draft)",
                lines=2,
                max_lines=8,
                interactive=False,
                elem_id="rv-rationale",
            )
            cites = gr.Dataframe(
                frame([], CITATION_HEADERS),
                headers=CITATION_HEADERS,
                interactive=False,
                wrap=True,
                label="Evidence (select a row to see the page)",
                elem_id="rv-cites",
                column_widths=["8%", "12%", "18%", "19%", "43%"],
                max_height=330,
            )
            with gr.Row():
                not_rel_btn = gr.Button(
                    "Selected citation: not relevant", size="sm", elem_id="rv-not-relevant"
                )
                rel_btn = gr.Button("Selected citation: relevant", size="sm", elem_id="rv-relevant")
            with gr.Accordion("Add a passage the draft missed", open=False):
                with gr.Row():
                    add_page = gr.Number(
                        label="Page", precision=0, minimum=1, scale=1, elem_id="rv-add-page"
                    )
                    add_quote = gr.Textbox(
                        label="Passage (optional: paste the text)", scale=4, elem_id="rv-add-quote"
                    )
                add_btn = gr.Button("Add passage", size="sm", elem_id="rv-add")
            with gr.Accordion("Decision history of this item", open=False):
                history = gr.Dataframe(
                    frame([], HISTORY_HEADERS),
                    headers=HISTORY_HEADERS,
                    interactive=False,
                    wrap=True,
                    elem_id="rv-history",
                )
        with gr.Column(scale=5, min_width=280, elem_id="rv-page-col"):
            viewer = page_viewer("rv")
            pages_btn = gr.Button(
                "Browse all pages of this report (P)", size="sm", elem_id="rv-pages"
            )
    with gr.Accordion("Export final answers", open=False, elem_id="rv-export-box"):
        with gr.Row():
            scope = gr.Radio(
                [("This report", "report"), ("All reports", "all")],
                value="report",
                label="Which reports",
                elem_id="rv-export-scope",
            )
            csv_btn = gr.Button("Export CSV", elem_id="rv-export-csv")
            xlsx_btn = gr.Button("Export XLSX", elem_id="rv-export-xlsx")
        export_file = gr.File(label="Download", interactive=False, elem_id="rv-export-file")

    item = gr.State({})
    unsaved = gr.State({})
    order = gr.State([])
    next_report = gr.State(None)
    return ReviewWidgets(
        report=report,
        progress_md=progress_md,
        draft_btn=draft_btn,
        queue=queue,
        prev_btn=prev_btn,
        next_btn=next_btn,
        todo_btn=todo_btn,
        title=title,
        guidance=guidance,
        draft_md=draft_md,
        rationale=rationale,
        cites=cites,
        not_rel_btn=not_rel_btn,
        rel_btn=rel_btn,
        add_page=add_page,
        add_quote=add_quote,
        add_btn=add_btn,
        state_md=state_md,
        older_md=older_md,
        take_older_btn=take_older_btn,
        choice=choice,
        multi=multi,
        count=count,
        free=free,
        note=note,
        accept_btn=accept_btn,
        save_btn=save_btn,
        reject_btn=reject_btn,
        example_btn=example_btn,
        example_md=example_md,
        advance=advance,
        msg=msg,
        history=history,
        viewer=viewer,
        scope=scope,
        csv_btn=csv_btn,
        xlsx_btn=xlsx_btn,
        export_file=export_file,
        item=item,
        unsaved=unsaved,
        order=order,
        order_pick=order_pick,
        find=find,
        queue_ids=queue_ids,
        next_report_btn=next_report_btn,
        next_report=next_report,
        pages_btn=pages_btn,
    )
