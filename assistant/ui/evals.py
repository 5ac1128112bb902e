"""Evals page hook: drafting quality against labelled reports (filled in by the evals issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

if TYPE_CHECKING:
    from assistant.service import Assistant


def evals_tab(assistant: Assistant) -> None:
    """Build the Evals tab's contents inside the current gr.Tab (placeholder for now)."""
    gr.Markdown(
        "### Evals\n"
        "Agreement between drafts and human audit scores, and whether drafts cite the gold "
        "evidence pages, lands with the evals issue (`review-assistant eval` will feed it)."
    )
