"""Ask page: a free question to one report, answered with numbered, verified citations."""

from __future__ import annotations

import html

import gradio as gr

from assistant.ui.common import AppContext, error_text, frame, message, page_viewer
from assistant.ui.render import VERIFICATION_LABEL, page_view, report_choices

ASK_HEADERS = ["#", "Block", "Page", "Quote found?", "Quote"]


def ask_page(ctx: AppContext):
    """Build the Ask tab; returns (report picker, page-browser button, answer state)."""
    a = ctx.assistant
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=420):
            report = gr.Dropdown(
                report_choices(a),
                value=None,
                label="Report",
                elem_id="ask-report",
                info="Pick a report from the Library",
            )
            question = gr.Textbox(
                label="Question",
                lines=2,
                elem_id="ask-question",
                placeholder="e.g. How did partners check that learning from reviews was embedded?",
            )
            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-go")
            meta = gr.HTML("", elem_id="ask-meta")
            answer = gr.Textbox(
                label="Answer",
                lines=6,
                max_lines=20,
                interactive=False,
                elem_id="ask-answer",
                buttons=["copy"],
            )
            citations = gr.Dataframe(
                frame([], ASK_HEADERS),
                headers=ASK_HEADERS,
                interactive=False,
                wrap=True,
                label="Citations (select one to see the page)",
                elem_id="ask-citations",
                column_widths=["6%", "9%", "9%", "16%", "60%"],
                max_height=420,
            )
        with gr.Column(scale=5, min_width=420):
            viewer = page_viewer("ask")
            pages_btn = gr.Button("Browse all pages of this report", size="sm", elem_id="ask-pages")
    state = gr.State({})

    def ask(report_id, text):
        if not report_id:
            return {meta: message("warn", "Pick a report first."), state: {}}
        if not (text or "").strip():
            return {meta: message("warn", "Type a question first."), state: {}}
        try:
            result = a.ask(report_id, text.strip())
        except Exception as exc:
            return {meta: message("error", error_text(exc)), state: {}}
        offline = result.engine == "offline"
        status = result.status
        if offline and status == "answered":
            status = "no LLM: here are the passages (an LLM engine writes an answer)"
        model = f" ({result.model})" if result.model else ""
        parts = [f"{status} · engine {result.engine}{model}"]
        kind = "ok" if result.status == "answered" and not offline else "warn"
        if result.error:
            parts.append(result.error)
            kind = "error"
        head = message(kind, " · ".join(parts))
        if result.marker:
            head += f'<div class="marker">{html.escape(result.marker)}</div>'
        rows = [
            [
                i,
                c.block_id or "",
                c.page or "",
                VERIFICATION_LABEL.get(c.verification, c.verification),
                c.quote,
            ]
            for i, c in enumerate(result.citations, start=1)
        ]
        cites = [c.model_dump() for c in result.citations]
        return {
            meta: head,
            answer: result.answer or "(no answer)",
            citations: frame(rows, ASK_HEADERS),
            state: {"report_id": result.report.report_id, "citations": cites},
            **viewer.show(None),
        }

    outputs = [meta, answer, citations, state, *viewer.outputs]
    ask_btn.click(ask, [report, question], outputs, api_name="ask")
    question.submit(ask, [report, question], outputs)

    def show_citation(current: dict, evt: gr.SelectData):
        cites = (current or {}).get("citations") or []
        try:
            index = int((evt.row_value or [None])[0]) - 1
            cite = cites[index]
        except (TypeError, ValueError, IndexError):
            return viewer.show(None)
        if not cite.get("page"):
            return {viewer.heading: "_This citation names no page (its block was not given)._"}
        rec = a.reports.get(current["report_id"])
        span = (cite.get("span_start"), cite.get("span_end"))
        return viewer.show(
            page_view(
                a,
                rec,
                cite["page"],
                cite.get("quote", ""),
                span=span,
                verification=cite.get("verification"),
                label=f"[{index + 1}]",
            )
        )

    citations.select(show_citation, [state], viewer.outputs)
    return report, pages_btn, state
