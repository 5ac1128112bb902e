"""Agreement from the field, in the Evals tab: per question, how often reviewers accepted a
draft unchanged, edited it or rejected it (the tool's live accuracy as its users judge it),
beside the labelled-set figures. Built from `Assistant.field_agreement` (branch analysis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from assistant.ui.cohort import on_tab_open
from assistant.ui.common import error_text, frame, message

if TYPE_CHECKING:
    from assistant.service import Assistant

FIELD_HEADERS = [
    "Question",
    "Decided",
    "Accepted unchanged",
    "Edited",
    "Rejected",
    "Accepted %",
    "Decided on older version",
]


def field_headers(rows: list[dict]) -> list[str]:
    """FIELD_HEADERS, without its last column when no decision was made on an older version
    (as the analysis's HTML and DOCX tables show it)."""
    older = any(r.get("from_older_versions") for r in rows if r["decided"])
    return FIELD_HEADERS if older else FIELD_HEADERS[:-1]


def field_rows(rows: list[dict]) -> list[list]:
    """The table's rows, one a decided question, with the columns of `field_headers(rows)`."""
    width = len(field_headers(rows))
    return [
        [
            r["question_id"],
            r["decided"],
            r["accepted"],
            r["edited"],
            r["rejected"],
            f"{r['accepted_rate']:.0%}",
            r["from_older_versions"],
        ][:width]
        for r in rows
        if r["decided"]
    ]


def field_agreement_block(assistant: Assistant) -> None:
    """An accordion with the table; refreshed when the tab opens or on its button."""
    with gr.Accordion("Agreement from the field (reviewers' decisions on drafts)", open=True):
        note = gr.HTML("", elem_id="ev-field-msg")
        table = gr.Dataframe(
            frame([], FIELD_HEADERS[:-1]),
            headers=FIELD_HEADERS[:-1],
            interactive=False,
            elem_id="ev-field",
            max_height=320,
        )
        refresh = gr.Button("↻ Refresh", size="sm", elem_id="ev-field-refresh")

    def load():
        try:
            found = assistant.field_agreement()
        except Exception as exc:
            return message("error", error_text(exc)), frame([], FIELD_HEADERS[:-1])
        rows = field_rows(found)
        if not rows:
            empty = frame([], FIELD_HEADERS[:-1])
            return message("info", "No reviewer decisions on drafts yet."), empty
        total = sum(r[1] for r in rows)
        accepted = sum(r[2] for r in rows)
        text = f"{accepted} of {total} decided drafts accepted unchanged ({accepted / total:.0%})."
        older = assistant.field_agreement_note(found)
        if older:
            text += f" {older}."
        return message("ok", text), frame(rows, field_headers(found))

    refresh.click(load, None, [note, table])
    on_tab_open(load, [], [note, table])
