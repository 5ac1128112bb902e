"""Review page: one report's audit questions, lowest confidence first, decided one by one.

Each item shows the draft answer, confidence, rationale and evidence; the reviewer accepts,
edits, rejects or (for reviewer-entered facts) enters the answer, and can mark citations not
relevant or add a missed passage. Every action becomes a decision event; the page keeps the id
of the newest event it showed, so a save over someone else's newer change is refused.
"""

from __future__ import annotations

import html
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import ConflictError, ReviewAssistantError
from assistant.questions import AnswerType
from assistant.review import DecisionStore, export_final_answers
from assistant.ui.common import AppContext, error_text, frame, message, page_viewer, reviewer_name
from assistant.ui.render import (
    CITATION_HEADERS,
    QUEUE_HEADERS,
    STATUS_LABEL,
    fmt_answer,
    page_view,
    progress_text,
    queue_rows,
    report_choices,
    review_queue,
)

HISTORY_HEADERS = ["Event", "When", "Reviewer", "Action", "Answer", "Note", "Seconds"]
CHOICE_TYPES = (AnswerType.YES_NO, AnswerType.YES_PARTLY_NO, AnswerType.RATING, AnswerType.LADDER)
KEYS_HELP = (
    "Keys (outside text boxes, or with Alt anywhere): **A** accept · **E** save edit/answer · "
    "**R** reject · **J** next · **K** previous · **N** next to review"
)


def _labeller(question):
    """Formats answer values in messages as people read them ('"Partly evidenced"')."""
    return lambda value: f'"{fmt_answer(question, value)}"'


def review_page(ctx: AppContext):
    """Build the Review tab; returns (report picker, refresh function, its outputs)."""
    a = ctx.assistant
    store = DecisionStore(a.db, a.bank)

    with gr.Row(equal_height=True):
        report = gr.Dropdown(
            report_choices(a), value=None, label="Report", scale=4, elem_id="rv-report"
        )
        progress_md = gr.Markdown("", elem_id="rv-progress")
        draft_btn = gr.Button(
            "Draft this report", variant="primary", visible=False, scale=1, elem_id="rv-draft"
        )
    gr.Markdown(KEYS_HELP, elem_classes=["hint"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            queue = gr.Dataframe(
                frame([], QUEUE_HEADERS),
                headers=QUEUE_HEADERS,
                interactive=False,
                wrap=True,
                label="Queue (lowest confidence first)",
                elem_id="rv-queue",
                max_height=700,
                show_search="search",
                column_widths=["13%", "16%", "27%", "44%"],
            )
            with gr.Row():
                prev_btn = gr.Button("◀ Prev (K)", size="sm", elem_id="rv-prev")
                next_btn = gr.Button("Next ▶ (J)", size="sm", elem_id="rv-next")
                todo_btn = gr.Button("Next to review (N)", size="sm", elem_id="rv-todo")
        with gr.Column(scale=5, min_width=440):
            title = gr.Markdown(
                "_Pick a report, then a question from the queue._", elem_id="rv-title"
            )
            with gr.Accordion("Guidance", open=False):
                guidance = gr.Markdown("", elem_id="rv-guidance")
            draft_md = gr.HTML("", elem_id="rv-draft-summary")
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
                column_widths=["7%", "11%", "17%", "17%", "48%"],
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
            with gr.Group(elem_id="rv-decision"):
                state_md = gr.HTML("", elem_id="rv-state")
                choice = gr.Radio([], label="Answer", visible=False, elem_id="rv-choice")
                multi = gr.CheckboxGroup([], label="Answer", visible=False, elem_id="rv-multi")
                count = gr.Number(
                    label="Answer", precision=0, minimum=0, visible=False, elem_id="rv-count"
                )
                free = gr.Textbox(label="Answer", lines=3, visible=False, elem_id="rv-free")
                note = gr.Textbox(
                    label="Note (optional; why you changed or rejected it)",
                    lines=2,
                    elem_id="rv-note",
                )
                with gr.Row():
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
            msg = gr.HTML("", elem_id="rv-msg")
            with gr.Accordion("Decision history of this item", open=False):
                history = gr.Dataframe(
                    frame([], HISTORY_HEADERS),
                    headers=HISTORY_HEADERS,
                    interactive=False,
                    wrap=True,
                    elem_id="rv-history",
                )
        with gr.Column(scale=5, min_width=420):
            viewer = page_viewer("rv")
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
    order = gr.State([])
    editors = [choice, multi, count, free]
    item_outputs = [
        title,
        guidance,
        draft_md,
        rationale,
        cites,
        state_md,
        *editors,
        note,
        accept_btn,
        save_btn,
        reject_btn,
        history,
        item,
        msg,
        *viewer.outputs,
    ]
    queue_outputs = [queue, progress_md, order, draft_btn]

    # --- building the views -------------------------------------------------------------
    def queue_view(report_id: str | None) -> dict:
        if not report_id:
            return {
                queue: frame([], QUEUE_HEADERS),
                progress_md: "",
                order: [],
                draft_btn: gr.update(visible=False),
            }
        items = review_queue(a, report_id)
        drafted = any(it.draft is not None for it in items)
        return {
            queue: frame(queue_rows(items), QUEUE_HEADERS),
            progress_md: progress_text(items),
            order: [it.question.id for it in items],
            draft_btn: gr.update(visible=not drafted),
        }

    def editor_updates(question, value) -> dict:
        t = question.answer_type
        shown = {
            choice: t in CHOICE_TYPES,
            multi: t is AnswerType.MULTI_SELECT,
            count: t is AnswerType.COUNT,
            free: t is AnswerType.FREE_TEXT,
        }
        updates = {
            c: gr.update(visible=v, label=f"Answer ({t.value.replace('_', ' ')})")
            for c, v in shown.items()
        }
        if t in CHOICE_TYPES:
            opts = [(label, slug) for slug, label in question.options().items()]
            if t is AnswerType.LADDER:
                opts = [(f"{slug} - {label}", slug) for slug, label in question.options().items()]
            updates[choice] = gr.update(
                visible=True,
                choices=opts,
                value=None if value is None else str(value),
                label=updates[choice]["label"],
            )
        elif t is AnswerType.MULTI_SELECT:
            opts = [(label, slug) for slug, label in question.options().items()]
            updates[multi] = gr.update(
                visible=True, choices=opts, value=list(value or []), label=updates[multi]["label"]
            )
        elif t is AnswerType.COUNT:
            updates[count] = gr.update(visible=True, value=value, label=updates[count]["label"])
        else:
            updates[free] = gr.update(visible=True, value=value or "", label=updates[free]["label"])
        return updates

    def item_view(
        report_id: str, qid: str, *, keep_inputs: bool = False, cite_index: int | None = None
    ) -> dict:
        question = a.bank.get(qid)
        drafts = {d.question_id: d for d in a.drafts.for_report(report_id)}
        draft = drafts.get(question.id)
        state = store.item(report_id, question.id)
        events = store.history(report_id, question.id)
        theme = a.bank.theme_title(question.theme)
        out: dict[Any, Any] = {
            title: f"### {html.escape(question.id)} · {html.escape(question.text)}\n"
            f"<span class='theme'>{html.escape(theme)}</span>",
            guidance: html.escape(question.guidance),
        }
        if draft is not None:
            bits = [
                f"<b>Draft answer:</b> {html.escape(fmt_answer(question, draft.answer))}",
                f"confidence {draft.confidence:.2f}",
                f"status {html.escape(draft.status)}",
                f"citations {html.escape(draft.verification_summary())}",
                f"{html.escape(draft.engine)}"
                + (f" / {html.escape(draft.model)}" if draft.model else ""),
            ]
            summary = " · ".join(bits)
            if draft.marker:
                summary += f'<div class="marker">{html.escape(draft.marker)}</div>'
            if draft.error:
                summary += message("warn", f"draft problem: {draft.error}")
            out[rationale] = draft.rationale or "(none)"
            citations = draft.citations
        else:
            why = (
                "Reviewer-entered fact: the report text cannot answer this, so nothing is "
                "drafted. Enter the answer from your own records."
                if not question.answerable_from_text
                else "Not drafted yet: use “Draft this report”, or enter the answer."
            )
            summary = message("info", why)
            out[rationale] = ""
            citations = []
        out[draft_md] = summary
        from assistant.ui.render import citation_rows  # local: keeps the import list short

        out[cites] = frame(
            citation_rows(citations, state.citation_relevance, state.added_passages),
            CITATION_HEADERS,
        )
        if state.reviewed:
            when = html.escape(f"{state.decided_at}")
            text = (
                f"<b>{STATUS_LABEL[state.status]}</b> by {html.escape(state.reviewer or '?')}"
                f" at {when}"
            )
            if state.answer is not None:
                text += f" → <b>{html.escape(fmt_answer(question, state.answer))}</b>"
            if draft is not None and state.draft_id and state.draft_id != draft.draft_id:
                text += " <i>(decided on an earlier draft)</i>"
            if state.note:
                text += f"<div class='note'>Note: {html.escape(state.note)}</div>"
            out[state_md] = f'<div class="state state-{state.status}">{text}</div>'
        else:
            out[state_md] = '<div class="state state-undecided">Not reviewed yet</div>'
        if not keep_inputs:
            current = (
                state.answer
                if state.status in ("accepted", "edited", "entered")
                else (draft.answer if draft is not None else None)
            )
            out.update(editor_updates(question, current))
            out[note] = ""
        has_draft_answer = draft is not None and draft.answer is not None
        out[accept_btn] = gr.update(interactive=has_draft_answer)
        out[save_btn] = gr.update(value="Save edit (E)" if draft is not None else "Save answer (E)")
        out[reject_btn] = gr.update(interactive=draft is not None)
        out[history] = frame(
            [
                [
                    e.event_id,
                    e.created_at,
                    e.reviewer,
                    e.action,
                    fmt_answer(question, e.after) if e.after is not None else "",
                    e.note or "",
                    e.seconds_on_task if e.seconds_on_task is not None else "",
                ]
                for e in reversed(events)
            ],
            HISTORY_HEADERS,
        )
        out[item] = {
            "report_id": report_id,
            "qid": question.id,
            "draft_id": draft.draft_id if draft else None,
            "base": state.last_event_id,
            "opened": time.time(),
            "type": question.answer_type.value,
            "cite": cite_index,
        }
        # show the first (or the selected) cited page straight away
        show = None
        if citations:
            index = cite_index if cite_index is not None and cite_index < len(citations) else 0
            c = citations[index]
            if c.page:
                show = page_view(
                    a,
                    a.reports.get(report_id),
                    c.page,
                    c.quote,
                    span=(c.span_start, c.span_end),
                    verification=c.verification,
                    label=f"[{index + 1}]",
                )
        out.update(viewer.show(show))
        out.setdefault(msg, "")
        return out

    def blank_item() -> dict:
        out = {
            title: "_Pick a report, then a question from the queue._",
            guidance: "",
            draft_md: "",
            rationale: "",
            cites: frame([], CITATION_HEADERS),
            state_md: "",
            note: "",
            history: frame([], HISTORY_HEADERS),
            item: {},
            msg: "",
            accept_btn: gr.update(interactive=False),
            save_btn: gr.update(),
            reject_btn: gr.update(interactive=False),
        }
        out.update({c: gr.update(visible=False) for c in editors})
        out.update(viewer.show(None))
        return out

    def next_todo(report_id: str, ids: list[str], after: str | None) -> str | None:
        states = store.current(report_id)
        start = ids.index(after) + 1 if after in ids else 0
        for qid in ids[start:] + ids[:start]:
            if not states[qid].reviewed:
                return qid
        return None

    # --- handlers -----------------------------------------------------------------------
    def open_report(report_id):
        out = queue_view(report_id)
        if not report_id:
            out.update(blank_item())
            return out
        ids = out[order]
        first = next_todo(report_id, ids, None) or (ids[0] if ids else None)
        out.update(item_view(report_id, first) if first else blank_item())
        return out

    def select_item(current: dict, report_id, evt: gr.SelectData):
        qid = (evt.row_value or [None])[0]
        if not report_id or not qid:
            return {}
        return item_view(report_id, str(qid))

    def step(current: dict, ids: list[str], delta: int):
        if not current or not ids:
            return {}
        position = ids.index(current["qid"]) if current["qid"] in ids else 0
        return item_view(current["report_id"], ids[(position + delta) % len(ids)])

    def goto_todo(current: dict, ids: list[str]):
        if not current or not ids:
            return {}
        qid = next_todo(current["report_id"], ids, current["qid"])
        if qid is None:
            return {msg: message("ok", "Every question of this report has been reviewed.")}
        return item_view(current["report_id"], qid)

    def decide(
        action: str,
        current: dict,
        ids: list[str],
        typed: str,
        choice_v,
        multi_v,
        count_v,
        free_v,
        note_v,
        advance_v,
        request: gr.Request,
    ):
        if not current:
            return {msg: message("warn", "Pick a question from the queue first.")}
        report_id, qid = current["report_id"], current["qid"]
        value = {"multi_select": multi_v, "count": count_v, "free_text": free_v}.get(
            current["type"], choice_v
        )
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if action == "save":
            action = "edit" if current.get("draft_id") else "enter"
            if action == "edit":
                question = a.bank.get(qid)
                draft = a.drafts.get(current["draft_id"])
                try:
                    same = question.validate_answer(value) == draft.answer
                except ValueError:
                    same = False
                if same:
                    action = "accept"  # an unchanged answer is an acceptance, recorded as such
        try:
            who = reviewer_name(ctx, request, typed)
            event = store.record(
                report_id,
                qid,
                who,
                action,
                after=value if action in ("edit", "enter") else None,
                note=note_v,
                base_event_id=current.get("base"),
                draft_id=current.get("draft_id"),
                seconds_on_task=time.time() - current.get("opened", time.time()),
            )
        except ConflictError as exc:
            out = item_view(report_id, qid, keep_inputs=True)
            out[msg] = message("error", f"Not saved — {exc}")
            gr.Warning(f"Not saved: someone else changed {qid}. See their decision below.")
            return {**out, **queue_view(report_id)}
        except ReviewAssistantError as exc:
            return {msg: message("error", f"Not saved — {exc}")}
        done = message("ok", f"Saved: {event.describe(_labeller(a.bank.get(qid)))}")
        nxt = next_todo(report_id, ids, qid) if advance_v else qid
        out = item_view(report_id, nxt or qid)
        out[msg] = done
        return {**out, **queue_view(report_id)}

    def annotate(
        action: str,
        current: dict,
        typed: str,
        relevant: bool | None,
        page_v,
        quote_v,
        request: gr.Request,
    ):
        if not current:
            return {msg: message("warn", "Pick a question from the queue first.")}
        payload: dict = {}
        if action == "citation":
            if current.get("cite") is None:
                return {msg: message("warn", "Select a citation in the evidence table first.")}
            payload = {"index": current["cite"] + 1, "relevant": relevant}
        else:
            payload = {"page": page_v, "quote": quote_v or ""}
        try:
            who = reviewer_name(ctx, request, typed)
            event = store.record(
                current["report_id"],
                current["qid"],
                who,
                action,
                payload=payload,
                base_event_id=current.get("base"),
                draft_id=current.get("draft_id"),
            )
        except ConflictError as exc:
            out = item_view(current["report_id"], current["qid"], keep_inputs=True)
            out[msg] = message("error", f"Not saved — {exc}")
            return out
        except ReviewAssistantError as exc:
            return {msg: message("error", f"Not saved — {exc}")}
        out = item_view(
            current["report_id"], current["qid"], keep_inputs=True, cite_index=current.get("cite")
        )
        out[item] = {**out[item], "opened": current.get("opened", time.time())}
        out[msg] = message("ok", f"Saved: {event.describe()}")  # no answer value to show
        return out

    def select_cite(current: dict, evt: gr.SelectData):
        if not current:
            return {}
        label = str((evt.row_value or [""])[0])
        report = a.reports.get(current["report_id"])
        if label.startswith("+"):  # a reviewer-added passage
            state = store.item(current["report_id"], current["qid"])
            try:
                p = state.added_passages[int(label[1:]) - 1]
            except (ValueError, IndexError):
                return {}
            view = page_view(
                a,
                report,
                p["page"],
                p.get("quote", ""),
                span=(p.get("span_start"), p.get("span_end")),
                verification=p.get("verification"),
                label=f"[{label}]",
            )
            return {**viewer.show(view), item: {**current, "cite": None}}
        try:
            index = int(label) - 1
            c = a.drafts.get(current["draft_id"]).citations[index]
        except (TypeError, ValueError, IndexError, ReviewAssistantError):
            return {}
        if not c.page:
            return {
                viewer.heading: "_This citation names no page._",
                item: {**current, "cite": index},
            }
        view = page_view(
            a,
            report,
            c.page,
            c.quote,
            span=(c.span_start, c.span_end),
            verification=c.verification,
            label=f"[{index + 1}]",
        )
        return {**viewer.show(view), item: {**current, "cite": index}}

    def draft_this(report_id, progress=gr.Progress()):  # noqa: B008
        if not report_id:
            return {msg: message("warn", "Pick a report first.")}
        total = sum(q.answerable_from_text for q in a.bank.questions)
        done = [0]

        def on_item(outcome) -> None:
            done[0] += 1
            progress(done[0] / max(total, 1), desc=f"drafted {outcome.draft.question_id}")

        try:
            progress(0, desc="retrieving evidence")
            _, outcomes = a.draft_report(report_id, on_item=on_item)
        except Exception as exc:
            return {msg: message("error", f"Drafting failed — {error_text(exc)}")}
        out = open_report(report_id)
        out[msg] = message("ok", f"Drafted {len(outcomes)} questions.")
        return out

    def export(fmt: str, which: str, report_id):
        if which == "report" and not report_id:
            return gr.update(), message("warn", "Pick a report first (or export all reports).")
        ids = [report_id] if which == "report" else None
        name = a.reports.get(report_id).file_name.rsplit(".", 1)[0] if ids else "all-reports"
        out_dir = Path(tempfile.mkdtemp(prefix="review-export-"))
        try:
            path = export_final_answers(
                a, out_dir / f"final-answers-{name}.{fmt}", fmt, report_ids=ids
            )
        except Exception as exc:
            return gr.update(), message("error", f"Export failed — {error_text(exc)}")
        return str(path), message("ok", f"Exported {path.name}")

    # --- wiring -------------------------------------------------------------------------
    all_out = [*queue_outputs, *item_outputs]
    report.change(open_report, [report], all_out, api_name="open_report")
    queue.select(select_item, [item, report], item_outputs)
    prev_btn.click(lambda c, o: step(c, o, -1), [item, order], item_outputs)
    next_btn.click(lambda c, o: step(c, o, 1), [item, order], item_outputs)
    todo_btn.click(goto_todo, [item, order], item_outputs)
    decision_inputs = [item, order, ctx.reviewer_box, choice, multi, count, free, note, advance]

    def on_accept(c, o, t, v1, v2, v3, v4, n, adv, request: gr.Request):
        return decide("accept", c, o, t, v1, v2, v3, v4, n, adv, request)

    def on_save(c, o, t, v1, v2, v3, v4, n, adv, request: gr.Request):
        return decide("save", c, o, t, v1, v2, v3, v4, n, adv, request)

    def on_reject(c, o, t, v1, v2, v3, v4, n, adv, request: gr.Request):
        return decide("reject", c, o, t, v1, v2, v3, v4, n, adv, request)

    accept_btn.click(on_accept, decision_inputs, all_out, api_name="decide_accept")
    save_btn.click(on_save, decision_inputs, all_out, api_name="decide_save")
    reject_btn.click(on_reject, decision_inputs, all_out, api_name="decide_reject")

    annotate_inputs = [item, ctx.reviewer_box, add_page, add_quote]

    def on_not_relevant(c, t, p, q, request: gr.Request):
        return annotate("citation", c, t, False, p, q, request)

    def on_relevant(c, t, p, q, request: gr.Request):
        return annotate("citation", c, t, True, p, q, request)

    def on_add(c, t, p, q, request: gr.Request):
        return annotate("passage", c, t, None, p, q, request)

    not_rel_btn.click(on_not_relevant, annotate_inputs, item_outputs, api_name="cite_not_relevant")
    rel_btn.click(on_relevant, annotate_inputs, item_outputs, api_name="cite_relevant")
    add_btn.click(on_add, annotate_inputs, item_outputs, api_name="add_passage")
    cites.select(select_cite, [item], [*viewer.outputs, item])
    draft_btn.click(draft_this, [report], all_out, api_name="draft_report", concurrency_limit=1)
    csv_btn.click(
        lambda w, r: export("csv", w, r), [scope, report], [export_file, msg], api_name="export_csv"
    )
    xlsx_btn.click(
        lambda w, r: export("xlsx", w, r),
        [scope, report],
        [export_file, msg],
        api_name="export_xlsx",
    )

    def refresh_queue(report_id):
        return queue_view(report_id)

    return report, refresh_queue, queue_outputs
