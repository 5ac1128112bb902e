"""Context strategies: what an engine that can read a whole report (`whole_report`) is shown.

- `retrieved`: the evidence blocks retrieval selects for each question (every engine);
- `whole-report`: every page of the report as one evidence block, id "P" + page number;
- `theme`: the questions of one theme answered in one call over the whole report.

Whole-report prompts put the report first and the question last, so every call on one report
shares its prefix (the system message and the report) and providers' prompt caching applies.
A report whose prompt does not fit the model's context (`llm.context_tokens`) is drafted from
retrieved evidence instead, and the draft says so (`fallback_note`). Quotes are verified
against the cited page as for retrieved blocks (drafter.verify_citations).
"""

from __future__ import annotations

from assistant.engines.base import EvidenceBlock, can
from assistant.index import Passage

STRATEGIES = ("retrieved", "whole-report", "theme")


def strategy_of(engine) -> str:
    """The context strategy `engine` drafts with (`retrieved` unless it can read a report)."""
    if not can(engine, "whole_report"):
        return "retrieved"
    return getattr(engine, "context_strategy", "retrieved")


def page_blocks(report_id: str, page_text: dict[int, str]) -> list[EvidenceBlock]:
    """Every page with text as one evidence block, id "P<page>", in page order."""
    blocks = []
    for page in sorted(page_text):
        text = page_text[page] or ""
        if not text.strip():
            continue
        passage = Passage(
            chunk_id=f"{report_id}:page-{page}",
            report_id=report_id,
            page=page,
            text=text,
            score=0.0,
            char_start=0,
            char_end=len(text),
        )
        blocks.append(EvidenceBlock(f"P{page}", passage))
    return blocks


def fallback_note(tokens: int, limit: int) -> str:
    """What a draft says when its report did not fit the model's context."""
    return (
        f"whole report (~{tokens:,} tokens) does not fit llm.context_tokens ({limit:,}): "
        "drafted from retrieved evidence"
    )
