"""Review page: one report's audit questions, in the audit tool's order (or riskiest first,
most trusted first, to review first: the Order chooser), decided one by one.

Each item shows the draft answer, confidence, rationale and evidence; the reviewer accepts,
edits, rejects or (for reviewer-entered facts) enters the answer, and can mark citations not
relevant or add a missed passage. Every action becomes a decision event; the page keeps the id
of the newest event it showed, so a save over someone else's newer change is refused.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.errors import ConflictError, ReviewAssistantError
from assistant.ui import review_queue as rq
from assistant.ui import review_views as views
from assistant.ui.common import (
    AppContext,
    draft_with_progress,
    error_text,
    frame,
    message,
    reviewer_name,
)
from assistant.ui.render import CITATION_HEADERS, citation_rows, report_label
from assistant.ui.review_layout import review_layout

HISTORY_HEADERS = views.HISTORY_HEADERS


def review_page(ctx: AppContext):
    """Build the Review tab; returns (report picker, refresh function, its outputs)."""
    a = ctx.assistant

    w = review_layout(a)
    editors = [w.choice, w.multi, w.count, w.free]
    item_outputs = [
        w.title,
        w.guidance,
        w.draft_md,
        w.rationale,
        w.cites,
        w.state_md,
        w.older_md,
        w.take_older_btn,
        *editors,
        w.note,
        w.accept_btn,
        w.save_btn,
        w.reject_btn,
        w.example_btn,
        w.example_md,
        w.history,
        w.item,
        w.unsaved,
        w.msg,
        w.add_page,
        w.add_quote,
        *w.viewer.outputs,
    ]
    queue_outputs = [
        w.queue,
        w.queue_ids,
        w.progress_md,
        w.order,
        w.draft_btn,
        w.next_report_btn,
        w.next_report,
    ]

    # --- building the views -------------------------------------------------------------
    def hidden(report_id: str | None, typed: str | None, request: gr.Request | None) -> set:
        """Items of this report the reviewer marks blind (the service's rule)."""
        if not report_id:
            return set()
        try:
            who = reviewer_name(ctx, request, typed)
        except ReviewAssistantError:
            return set()
        return a.hidden_for(who, report_id)

    def queue_view(
        report_id: str | None,
        order: str | None = "audit",
        blind: set | None = None,
        find: str | None = "",
    ) -> dict:
        """The queue in `order`, the rows the filter `find` leaves: w.order holds their ids,
        the rows J/K and "next after saving" walk."""
        q = rq.build_queue(a, report_id, order, blind, find) if report_id else rq.NO_QUEUE
        nxt = q.next_report
        return {
            w.queue: gr.update(value=frame(q.rows, rq.QUEUE_HEADERS), label=q.label),
            w.queue_ids: rq.queue_ids_html(q.ids),
            w.progress_md: q.progress,
            w.order: q.ids,
            w.draft_btn: gr.update(visible=q.offer_draft),
            w.next_report_btn: gr.update(
                visible=nxt is not None,
                value=f"Next report to review: {report_label(nxt)}" if nxt else "",
            ),
            w.next_report: nxt.report_id if nxt else None,
        }

    def editor_updates(question, value) -> dict:
        t = question.answer_type.value
        label = f"Answer ({t.replace('_', ' ')})"
        updates = {c: gr.update(visible=False, label=label) for c in editors}
        options = question.options()
        if t in views.CHOICE_TYPES:
            opts = [
                (f"{slug} - {text}" if t == "ladder" else text, slug)
                for slug, text in options.items()
            ]
            value = None if value is None else str(value)
            updates[w.choice] = gr.update(visible=True, choices=opts, value=value, label=label)
        elif t == "multi_select":
            opts = [(text, slug) for slug, text in options.items()]
            updates[w.multi] = gr.update(
                visible=True, choices=opts, value=list(value or []), label=label
            )
        elif t == "count":
            updates[w.count] = gr.update(visible=True, value=value, label=label)
        else:
            updates[w.free] = gr.update(visible=True, value=value or "", label=label)
        return updates

    def keep_unsaved(current: dict, values: list, note_v, unsaved: dict | None) -> dict:
        """The session's unsaved edits with the item on screen's typed answer and note added
        (or dropped when they are what it started from): moving on never loses them."""
        stash = dict(unsaved or {})
        if not current or current.get("blind") or not current.get("qid"):
            return stash
        report_id, qid = current["report_id"], current["qid"]
        question = a.bank.get(qid)
        draft = a.drafts.get(current["draft_id"]) if current.get("draft_id") else None
        start = views.starting_value(a.review_item(report_id, qid), draft)
        value = views.editor_value(current["type"], *values)
        key = views.unsaved_key(report_id, qid)
        if views.same_answer(question, value, start) and not (note_v or "").strip():
            stash.pop(key, None)
        else:
            # the decision it was typed on: a save after someone else's decision is refused
            stash[key] = {"value": value, "note": note_v or "", "base": current.get("base")}
        return stash

    def moved_on(current: dict, stash: dict, out: dict) -> dict:
        """`out` (another item's view) with the stash, saying the left item's edit is kept."""
        out[w.unsaved] = stash
        left = current.get("qid") if current else None
        if left and views.unsaved_key(current["report_id"], left) in stash and not out.get(w.msg):
            out[w.msg] = message(
                "warn", f"{left} has an unsaved edit: it is kept; open {left} again to save it."
            )
        return out

    def item_view(
        report_id: str,
        qid: str,
        *,
        keep_inputs: bool = False,
        cite_index: int | None = None,
        blind: set | None = None,
        unsaved: dict | None = None,
    ) -> dict:
        question = a.bank.get(qid)
        if question.id in (blind or set()):
            return blind_item(report_id, question)
        draft = next(
            (d for d in a.drafts.for_report(report_id) if d.question_id == question.id), None
        )
        state = a.review_item(report_id, question.id)
        citations = draft.citations if draft is not None else []
        report = a.reports.get(report_id)
        agreement = a.question_agreement(draft) if draft is not None else None
        # decisions on the versions this one replaced: the queue lists current versions only
        olders = a.older_decisions(report_id, question.id)
        offer = views.older_offer(olders, state)
        summary = views.draft_summary(
            question,
            draft,
            agreement,
            views.no_text_warning(report, draft),
            example_why=views.example_why(state),
            older_why=views.older_why(olders, state),
        )
        out: dict[Any, Any] = {
            w.title: views.title_markdown(a.bank, question),
            w.guidance: html.escape(question.guidance),
            w.draft_md: summary,
            w.rationale: (draft.rationale or "(none)") if draft is not None else "",
            w.cites: frame(
                citation_rows(citations, state.citation_relevance, state.added_passages),
                CITATION_HEADERS,
            ),
            w.state_md: views.state_html(question, state, draft),
            w.older_md: views.older_html(question, olders, state),
            w.take_older_btn: gr.update(visible=offer is not None),
            w.accept_btn: gr.update(interactive=draft is not None and draft.answer is not None),
            w.save_btn: gr.update(
                value="Save edit (E)" if draft is not None else "Save answer (E)", interactive=True
            ),
            w.reject_btn: gr.update(interactive=draft is not None),
            w.example_btn: gr.update(
                interactive=state.status in views.DECIDED_WITH_ANSWER,
                value="Unmark example (X)" if state.example else "Use as example (X)",
            ),
            w.example_md: views.example_html(state.example),
            w.history: frame(
                views.item_history_rows(
                    question, a.review_history(report_id, question.id), olders
                ),
                HISTORY_HEADERS,
            ),
            w.item: {
                "report_id": report_id,
                "qid": question.id,
                "draft_id": draft.draft_id if draft else None,
                "base": state.last_event_id,  # the lost-update check compares against this
                "opened": time.time(),
                "type": question.answer_type.value,
                "cite": cite_index,
                # the older decision O takes over: the one on screen, nothing newer
                "older_event": offer.decision.event_id if offer else None,
            },
            w.msg: "",
        }
        if not keep_inputs:
            kept = (unsaved or {}).get(views.unsaved_key(report_id, question.id))
            value = kept["value"] if kept else views.starting_value(state, draft)
            out.update(editor_updates(question, value))
            out[w.note] = kept["note"] if kept else ""
            out[w.add_page] = None  # a passage typed for one question never lands on another
            out[w.add_quote] = ""
            if kept:
                out[w.item] = {**out[w.item], "base": kept["base"]}
                since = (
                    " Someone has decided it since you typed it: saving shows their decision first."
                    if kept["base"] != state.last_event_id
                    else ""
                )
                out[w.msg] = message(
                    "warn",
                    f"Your unsaved edit of {question.id} is back: save it (E), or set the answer "
                    f"back and move on to drop it.{since}",
                )
        out.update(w.viewer.show(views.cited_page(a, report_id, citations, cite_index)))
        return out

    def blind_item(report_id: str, question) -> dict:
        """A blind marker's view of an item: the question, never the draft or first answer."""
        out = blank_item()
        out.update(
            {
                w.title: views.title_markdown(a.bank, question),
                w.guidance: html.escape(question.guidance),
                w.draft_md: views.blind_html(),
                w.state_md: '<div class="state state-undecided">Hidden while you mark it blind'
                "</div>",
                w.save_btn: gr.update(interactive=False),
                w.item: {
                    "report_id": report_id,
                    "qid": question.id,
                    "draft_id": None,
                    "base": None,
                    "opened": time.time(),
                    "type": question.answer_type.value,
                    "cite": None,
                    "blind": True,
                },
            }
        )
        out.update(w.viewer.show(None))
        return out

    def blank_item() -> dict:
        out = {
            w.title: "_Pick a report, then a question from the queue._",
            w.guidance: "",
            w.draft_md: "",
            w.rationale: "",
            w.cites: frame([], CITATION_HEADERS),
            w.state_md: "",
            w.older_md: "",
            w.take_older_btn: gr.update(visible=False),
            w.note: "",
            w.history: frame([], HISTORY_HEADERS),
            w.item: {},
            w.msg: "",
            w.accept_btn: gr.update(interactive=False),
            w.save_btn: gr.update(),
            w.reject_btn: gr.update(interactive=False),
            w.example_btn: gr.update(interactive=False, value="Use as example (X)"),
            w.example_md: "",
            w.add_page: None,
            w.add_quote: "",
        }
        out.update({c: gr.update(visible=False) for c in editors})
        out.update(w.viewer.show(None))
        return out

    def next_todo(report_id: str, ids: list[str], after: str | None) -> str | None:
        return rq.next_todo(a.review_states(report_id), ids, after)

    # --- handlers -----------------------------------------------------------------------
    def open_report(
        report_id,
        order="audit",
        typed=None,
        request: gr.Request | None = None,
        unsaved=None,
        find: str | None = "",
    ):
        blind = hidden(report_id, typed, request)
        out = queue_view(report_id, order, blind, find)
        if not report_id:
            out.update(blank_item())
            return out
        ids = out[w.order]
        first = next_todo(report_id, ids, None) or (ids[0] if ids else None)
        view = item_view(report_id, first, blind=blind, unsaved=unsaved) if first else blank_item()
        out.update(view)
        return out

    def move_to(report_id, qid, current, typed, unsaved, values, note_v, request) -> dict:
        """Open `qid`, keeping what was typed on the item left (keep_unsaved)."""
        stash = keep_unsaved(current, values, note_v, unsaved)
        view = item_view(report_id, qid, blind=hidden(report_id, typed, request), unsaved=stash)
        return moved_on(current, stash, view)

    def select_item(report_id, typed, current, unsaved, values, note_v, evt, request):
        qid = (evt.row_value or [None])[0]
        if not report_id or not qid:
            return {}
        return move_to(report_id, str(qid), current, typed, unsaved, values, note_v, request)

    def step(current: dict, ids: list[str], delta: int, typed, unsaved, values, note_v, request):
        if not current or not ids:
            return {}
        if current["qid"] in ids:
            qid = ids[(ids.index(current["qid"]) + delta) % len(ids)]
        else:  # the open question is not among the rows shown: J opens the top one, K the last
            qid = ids[0] if delta > 0 else ids[-1]
        return move_to(current["report_id"], qid, current, typed, unsaved, values, note_v, request)

    def goto_todo(current: dict, ids: list[str], typed, unsaved, values, note_v, request):
        if not current or not ids:
            return {}
        qid = next_todo(current["report_id"], ids, current["qid"])
        if qid is None:
            return {w.msg: message("ok", rq.done_text(a, current["report_id"]))}
        return move_to(current["report_id"], qid, current, typed, unsaved, values, note_v, request)

    def reorder(report_id, order, find, typed, request: gr.Request):
        """Another order or filter: the queue again (the item on screen stays)."""
        if not report_id:
            return {}
        return queue_view(report_id, order, hidden(report_id, typed, request), find)

    def find_and_open(report_id, order, find, typed, current, unsaved, values, note_v, request):
        """Enter in the filter: a question id opens that question among every row (the filter
        is cleared: a jump); other words open the first row they leave."""
        if not report_id:
            return {}
        jump = rq.question_id_named(find, a.bank.ids)
        find = "" if jump else find
        out = queue_view(report_id, order, hidden(report_id, typed, request), find)
        out[w.find] = find
        target = jump or next(iter(out[w.order]), None)
        if target is None:
            out[w.msg] = message("warn", f"No question matches “{html.escape(find)}”.")
            return out
        out.update(move_to(report_id, target, current, typed, unsaved, values, note_v, request))
        return out

    def decide(
        action: str,
        current: dict,
        ids: list[str],
        typed: str,
        values: list,
        note_v,
        advance_v,
        order_v,
        request: gr.Request | None,
        unsaved: dict | None = None,
        find: str | None = "",
    ):
        if not current:
            return {w.msg: message("warn", "Pick a question from the queue first.")}
        if current.get("blind"):
            return {w.msg: views.blind_html()}
        report_id, qid = current["report_id"], current["qid"]
        question = a.bank.get(qid)
        value = views.editor_value(current["type"], *values)
        if action == "save":
            draft = a.drafts.get(current["draft_id"]) if current.get("draft_id") else None
            action = views.save_action(question, draft, value)
        if action == "take_over" and not current.get("older_event"):
            return {w.msg: message("warn", views.OLDER_NONE)}
        try:
            if action == "take_over":  # the older version's answer, as this reviewer's
                event = a.take_over_older_decision(
                    report_id,
                    qid,
                    reviewer_name(ctx, request, typed),
                    from_event_id=current["older_event"],
                    base_event_id=current.get("base"),
                    draft_id=current.get("draft_id"),
                    note=note_v,
                    seconds_on_task=time.time() - current.get("opened", time.time()),
                )
            else:
                event = a.record_decision(
                    report_id,
                    qid,
                    reviewer_name(ctx, request, typed),
                    action,
                    after=value if action in ("edit", "enter") else None,
                    note=note_v,
                    base_event_id=current.get("base"),
                    draft_id=current.get("draft_id"),
                    seconds_on_task=time.time() - current.get("opened", time.time()),
                )
        except ConflictError as exc:
            # show the other reviewer's decision, keep what this reviewer typed
            out = item_view(report_id, qid, keep_inputs=True)
            out[w.msg] = message("error", f"Not saved — {exc}")
            gr.Warning(f"Not saved: someone else changed {qid}. See their decision below.")
            blind = hidden(report_id, typed, request)
            return {**out, **queue_view(report_id, order_v, blind, find)}
        except ReviewAssistantError as exc:
            return {w.msg: message("error", f"Not saved — {exc}")}
        nxt = next_todo(report_id, ids, qid) if advance_v else qid
        blind = hidden(report_id, typed, request)
        stash = {k: v for k, v in (unsaved or {}).items() if k != views.unsaved_key(report_id, qid)}
        out = item_view(report_id, nxt or qid, blind=blind, unsaved=stash)
        out[w.unsaved] = stash
        saved = f"Saved: {event.describe(views.labeller(question))}"
        if nxt is None:
            saved += ". " + rq.done_text(a, report_id)
        restored = out.get(w.msg)
        out[w.msg] = message("ok", saved) + (restored or "")
        return {**out, **queue_view(report_id, order_v, blind, find)}

    def annotate(
        action: str,
        current: dict,
        typed: str,
        relevant: bool | None,
        page_v,
        quote_v,
        request: gr.Request | None,
    ):
        if not current:
            return {w.msg: message("warn", "Pick a question from the queue first.")}
        if current.get("blind"):
            return {w.msg: views.blind_html()}
        if action == "citation":
            if current.get("cite") is None:
                return {w.msg: message("warn", "Select a citation in the evidence table first.")}
            payload = {"index": current["cite"] + 1, "relevant": relevant}
        else:
            payload = {"page": page_v, "quote": quote_v or ""}
        report_id, qid = current["report_id"], current["qid"]
        try:
            event = a.record_decision(
                report_id,
                qid,
                reviewer_name(ctx, request, typed),
                action,
                payload=payload,
                base_event_id=current.get("base"),
                draft_id=current.get("draft_id"),
            )
        except ConflictError as exc:
            out = item_view(report_id, qid, keep_inputs=True)
            out[w.msg] = message("error", f"Not saved — {exc}")
            return out
        except ReviewAssistantError as exc:
            return {w.msg: message("error", f"Not saved — {exc}")}
        out = item_view(report_id, qid, keep_inputs=True, cite_index=current.get("cite"))
        out[w.item] = {**out[w.item], "opened": current.get("opened", time.time())}
        if action == "passage":  # added: the fields are free for the next one
            out[w.add_page], out[w.add_quote] = None, ""
        out[w.msg] = message("ok", f"Saved: {event.describe()}")
        return out

    def select_cite(current: dict, evt: gr.SelectData):
        if not current or current.get("blind"):
            return {}
        label = str((evt.row_value or [""])[0])
        if label.startswith("+"):  # a reviewer-added passage
            added = a.review_item(current["report_id"], current["qid"]).added_passages
            try:
                passage = added[int(label[1:]) - 1]
            except (ValueError, IndexError):
                return {}
            view = views.added_page(a, current["report_id"], passage, label)
            return {**w.viewer.show(view), w.item: {**current, "cite": None}}
        try:
            index = int(label) - 1
            citations = a.drafts.get(current["draft_id"]).citations
            citations[index]  # noqa: B018 — IndexError for a stale row
        except (TypeError, ValueError, IndexError, ReviewAssistantError):
            return {}
        view = views.cited_page(a, current["report_id"], citations, index)
        if view is None:
            return {
                w.viewer.heading: "_This citation names no page._",
                w.item: {**current, "cite": index},
            }
        return {**w.viewer.show(view), w.item: {**current, "cite": index}}

    def toggle_example(current: dict, typed: str, request: gr.Request):
        """Mark (or unmark) the decided answer "use as example", with the selected citation's
        page and quote when one is selected."""
        if not current:
            return {w.msg: message("warn", "Pick a question from the queue first.")}
        if current.get("blind"):
            return {w.msg: views.blind_html()}
        report_id, qid = current["report_id"], current["qid"]
        state = a.review_item(report_id, qid)
        if state.status not in views.DECIDED_WITH_ANSWER:
            return {w.msg: message("warn", views.EXAMPLE_NEEDS_DECISION)}
        page = quote = None
        index = current.get("cite")
        if index is not None and current.get("draft_id"):
            try:
                cite = a.drafts.get(current["draft_id"]).citations[index]
                page, quote = cite.page, cite.quote
            except (IndexError, ReviewAssistantError):
                page = quote = None
        try:
            event = a.mark_example(
                report_id,
                qid,
                reviewer_name(ctx, request, typed),
                on=not state.example,
                page=page,
                quote=quote,
            )
        except ReviewAssistantError as exc:
            return {w.msg: message("error", f"Not saved — {exc}")}
        out = item_view(report_id, qid, keep_inputs=True, cite_index=index)
        out[w.item] = {**out[w.item], "opened": current.get("opened", time.time())}
        where = f" (page {page})" if page and not state.example else ""
        out[w.msg] = message("ok", f"Saved: {event.describe()}{where}")
        return out

    def draft_this(report_id, order, find, progress=gr.Progress()):  # noqa: B008 — Gradio's hook
        if not report_id:
            return {w.msg: message("warn", "Pick a report first.")}
        try:
            _, outcomes = draft_with_progress(a, report_id, progress)
        except Exception as exc:
            return {w.msg: message("error", f"Drafting failed — {error_text(exc)}")}
        # drafting is sighted: no blind marker drafts
        out = open_report(report_id, order, find=find)
        out[w.msg] = message("ok", f"Drafted {len(outcomes)} questions.")
        return out

    def export(fmt: str, which: str, report_id):
        if which == "report" and not report_id:
            return gr.update(), message("warn", "Pick a report first (or export all reports).")
        try:
            path = views.export_to_temp(a, fmt, report_id if which == "report" else None)
        except Exception as exc:
            return gr.update(), message("error", f"Export failed — {error_text(exc)}")
        return str(path), message("ok", f"Exported {path.name}")

    # --- wiring -------------------------------------------------------------------------
    all_out = [*queue_outputs, *item_outputs]
    box = ctx.reviewer_box

    def on_open(report_id, order, find, typed, c, kept, v1, v2, v3, v4, n, request: gr.Request):
        """Another report: the item left keeps its unsaved edit, the one opened gets its own."""
        stash = keep_unsaved(c, [v1, v2, v3, v4], n, kept)
        return moved_on(c, stash, open_report(report_id, order, typed, request, stash, find))

    def on_find_enter(
        report_id, order, find, typed, c, kept, v1, v2, v3, v4, n, request: gr.Request
    ):
        return find_and_open(report_id, order, find, typed, c, kept, [v1, v2, v3, v4], n, request)

    def on_prev(c, o, typed, kept, v1, v2, v3, v4, n, request: gr.Request):
        return step(c, o, -1, typed, kept, [v1, v2, v3, v4], n, request)

    def on_next(c, o, typed, kept, v1, v2, v3, v4, n, request: gr.Request):
        return step(c, o, 1, typed, kept, [v1, v2, v3, v4], n, request)

    def on_todo(c, o, typed, kept, v1, v2, v3, v4, n, request: gr.Request):
        return goto_todo(c, o, typed, kept, [v1, v2, v3, v4], n, request)

    def on_select(
        report_id, typed, c, kept, v1, v2, v3, v4, n, evt: gr.SelectData, request: gr.Request
    ):
        return select_item(report_id, typed, c, kept, [v1, v2, v3, v4], n, evt, request)

    def on_reviewer(c, report_id, order, find, typed, request: gr.Request):
        """The queue and the item on screen again, as this reviewer may see them (another name
        typed in local mode; the tab opened after taking a blind item)."""
        if not report_id:
            return {w.msg: gr.update()}
        blind = hidden(report_id, typed, request)
        out = queue_view(report_id, order, blind, find)
        if c and c.get("qid") and c.get("report_id") == report_id:
            was_blind = bool(c.get("blind"))
            view = item_view(
                report_id,
                c["qid"],
                keep_inputs=not was_blind,
                cite_index=c.get("cite"),
                blind=blind,
            )
            if not view[w.item].get("blind") and not was_blind:
                view[w.item] = {**view[w.item], "opened": c.get("opened", time.time())}
            view.pop(w.msg, None)  # the last save's message stays
            out.update(view)
        return out

    typed_in = [w.unsaved, *editors, w.note]  # what moving on keeps (keep_unsaved)
    w.report.change(
        on_open,
        [w.report, w.order_pick, w.find, box, w.item, *typed_in],
        all_out,
        api_name="open_report",
    )
    queue_inputs = [w.report, w.order_pick, w.find, box]
    w.order_pick.change(reorder, queue_inputs, queue_outputs)
    # .change, not .input: Enter on a question id clears the box, and that change comes last,
    # so a keystroke's queue still on its way never stays filtered under an empty box
    w.find.change(
        reorder,
        queue_inputs,
        queue_outputs,
        trigger_mode="always_last",
        concurrency_id="rv-find",
        concurrency_limit=1,
    )
    w.find.submit(
        on_find_enter,
        [*queue_inputs, w.item, *typed_in],
        [w.find, *all_out],
        concurrency_id="rv-find",
        concurrency_limit=1,
    )
    w.next_report_btn.click(lambda nxt: gr.update(value=nxt), [w.next_report], [w.report])
    w.queue.select(on_select, [w.report, box, w.item, *typed_in], item_outputs)
    w.prev_btn.click(on_prev, [w.item, w.order, box, *typed_in], item_outputs)
    w.next_btn.click(on_next, [w.item, w.order, box, *typed_in], item_outputs)
    w.todo_btn.click(on_todo, [w.item, w.order, box, *typed_in], item_outputs)
    box.blur(on_reviewer, [w.item, w.report, w.order_pick, w.find, box], all_out)
    w.example_btn.click(toggle_example, [w.item, box], item_outputs, api_name="mark_example")
    decision_inputs = [
        w.item,
        w.order,
        ctx.reviewer_box,
        w.choice,
        w.multi,
        w.count,
        w.free,
        w.note,
        w.advance,
        w.order_pick,
        w.unsaved,
        w.find,
    ]

    def on_accept(c, o, t, v1, v2, v3, v4, n, adv, ordr, kept, find, request: gr.Request):
        return decide("accept", c, o, t, [v1, v2, v3, v4], n, adv, ordr, request, kept, find)

    def on_save(c, o, t, v1, v2, v3, v4, n, adv, ordr, kept, find, request: gr.Request):
        return decide("save", c, o, t, [v1, v2, v3, v4], n, adv, ordr, request, kept, find)

    def on_reject(c, o, t, v1, v2, v3, v4, n, adv, ordr, kept, find, request: gr.Request):
        return decide("reject", c, o, t, [v1, v2, v3, v4], n, adv, ordr, request, kept, find)

    def on_take_older(c, o, t, v1, v2, v3, v4, n, adv, ordr, kept, find, request: gr.Request):
        return decide("take_over", c, o, t, [v1, v2, v3, v4], n, adv, ordr, request, kept, find)

    w.accept_btn.click(on_accept, decision_inputs, all_out, api_name="decide_accept")
    w.take_older_btn.click(on_take_older, decision_inputs, all_out, api_name="take_over_older")
    w.save_btn.click(on_save, decision_inputs, all_out, api_name="decide_save")
    w.reject_btn.click(on_reject, decision_inputs, all_out, api_name="decide_reject")

    annotate_inputs = [w.item, ctx.reviewer_box, w.add_page, w.add_quote]

    def on_not_relevant(c, t, p, q, request: gr.Request):
        return annotate("citation", c, t, False, p, q, request)

    def on_relevant(c, t, p, q, request: gr.Request):
        return annotate("citation", c, t, True, p, q, request)

    def on_add(c, t, p, q, request: gr.Request):
        return annotate("passage", c, t, None, p, q, request)

    w.not_rel_btn.click(
        on_not_relevant, annotate_inputs, item_outputs, api_name="cite_not_relevant"
    )
    w.rel_btn.click(on_relevant, annotate_inputs, item_outputs, api_name="cite_relevant")
    w.add_btn.click(on_add, annotate_inputs, item_outputs, api_name="add_passage")
    w.cites.select(select_cite, [w.item], [*w.viewer.outputs, w.item])
    w.draft_btn.click(
        draft_this,
        [w.report, w.order_pick, w.find],
        all_out,
        api_name="draft_report",
        concurrency_limit=1,
    )
    w.csv_btn.click(
        lambda which, rid: export("csv", which, rid),
        [w.scope, w.report],
        [w.export_file, w.msg],
        api_name="export_csv",
    )
    w.xlsx_btn.click(
        lambda which, rid: export("xlsx", which, rid),
        [w.scope, w.report],
        [w.export_file, w.msg],
        api_name="export_xlsx",
    )

    return ReviewHandles(
        report=w.report,
        refresh=on_reviewer,
        refresh_inputs=[w.item, w.report, w.order_pick, w.find, box],
        refresh_outputs=all_out,
        pages_btn=w.pages_btn,
        item=w.item,
    )


@dataclass
class ReviewHandles:
    """What app.py wires across pages: the picker, the queue refresh, the page-browser door."""

    report: Any
    refresh: Any
    refresh_inputs: list
    refresh_outputs: list
    pages_btn: Any
    item: Any
