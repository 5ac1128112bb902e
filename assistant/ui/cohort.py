"""Cohort page hook: bulk scoring of a year's reports (filled in by the bulk-scoring issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

if TYPE_CHECKING:
    from assistant.service import Assistant


def cohort_tab(assistant: Assistant) -> None:
    """Build the Cohort tab's contents inside the current gr.Tab (placeholder for now)."""
    gr.Markdown(
        "### Cohort\n"
        "Bulk scoring of a whole year's reports, with counts such as “neglect was a priority "
        "in 11/18 reports”, lands with the bulk-scoring issue. Until then, draft and review "
        "reports one at a time in **Review**, and export the final answers there."
    )
