"""Pieces every page of the reviewer app shares: context, reviewer identity, messages, viewer."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from assistant.errors import ReviewAssistantError
from assistant.ui.render import PageView

if TYPE_CHECKING:
    from assistant.service import Assistant

MAX_NAME = 64


@dataclass
class AppContext:
    """What the page builders share: the service object and how reviewers are identified."""

    assistant: Assistant
    login_required: bool
    reviewer_box: Any = None  # gr.Textbox in the header
    report_pickers: list = field(default_factory=list)  # dropdowns refreshed after ingest


def reviewer_name(ctx: AppContext, request: gr.Request | None, typed: str | None) -> str:
    """The logged-in user; on localhost without login, the name typed in the Reviewer box."""
    username = getattr(request, "username", None) if request is not None else None
    if username:
        return str(username)
    if ctx.login_required:
        raise ReviewAssistantError("not signed in", "reload the page and sign in")
    name = " ".join((typed or "").split())
    if not name:
        raise ReviewAssistantError("no reviewer name", "type your name in the Reviewer box")
    return name[:MAX_NAME]


def message(kind: str, text: str) -> str:
    """A status line as escaped HTML (kind: ok | warn | error | info)."""
    return f'<div class="msg msg-{kind}">{html.escape(text)}</div>'


def error_text(exc: Exception) -> str:
    if isinstance(exc, ReviewAssistantError):
        return str(exc)
    return f"unexpected error {type(exc).__name__}: {exc}"


def draft_with_progress(a: Assistant, report_id: str, progress) -> tuple:
    """Draft every question of one report, advancing a Gradio progress bar per question;
    returns `Assistant.draft_report`'s (report, outcomes)."""
    total = sum(q.answerable_from_text for q in a.bank.questions)
    done = [0]

    def on_item(outcome) -> None:
        done[0] += 1
        progress(done[0] / max(total, 1), desc=f"drafted {outcome.draft.question_id}")

    progress(0, desc="retrieving evidence")
    return a.draft_report(report_id, on_item=on_item)


def frame(rows: list[list[Any]], headers: list[str]) -> pd.DataFrame:
    """A DataFrame that keeps its headers even when empty; every cell is plain text."""
    return pd.DataFrame(
        [["" if v is None else str(v) for v in row] for row in rows], columns=headers
    )


@dataclass
class Viewer:
    """The cited-page viewer: heading, page image, page text with the passage marked."""

    heading: Any
    image: Any
    text: Any

    @property
    def outputs(self) -> list:
        return [self.heading, self.image, self.text]

    def show(self, view: PageView | None) -> dict:
        if view is None:
            return {
                self.heading: "_Select a citation to see the cited page._",
                self.image: None,
                self.text: "",
            }
        return {self.heading: view.heading, self.image: view.image, self.text: view.text_html}


def page_viewer(prefix: str) -> Viewer:
    """Build the viewer inside the current layout block."""
    heading = gr.Markdown(
        "_Select a citation to see the cited page._", elem_id=f"{prefix}-page-head"
    )
    with gr.Tabs():
        with gr.Tab("Page text", id=f"{prefix}-tab-text"):
            text = gr.HTML("", elem_id=f"{prefix}-page-text", js_on_load=None)
        with gr.Tab("Page image", id=f"{prefix}-tab-image"):
            image = gr.Image(
                None,
                type="pil",
                format="png",
                interactive=False,
                show_label=False,
                elem_id=f"{prefix}-page-image",
                buttons=["fullscreen"],
                height=760,
            )
    return Viewer(heading, image, text)
