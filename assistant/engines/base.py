"""The drafting-engine interface and registry.

An engine turns (question, evidence) into a draft, and (free question, evidence) into an
answer. Retrieval, quote verification and storage happen around it (assistant/drafting/drafter.py),
so every engine — LLM, offline rules, test doubles — is judged by the same checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.index import Passage


@dataclass
class EvidenceBlock:
    """A retrieved passage as shown to an engine, with a prompt-local id like 'E3'."""

    block_id: str
    passage: Passage

    @property
    def page(self) -> int:
        return self.passage.page

    @property
    def section(self) -> str | None:
        return self.passage.section

    @property
    def text(self) -> str:
        return self.passage.text


@dataclass
class RawCitation:
    """A citation as an engine proposes it, before verification."""

    block_id: str
    quote: str


@dataclass
class EngineResult:
    """What an engine returns for one question; drafting.py verifies and stores it."""

    status: str  # answered | not_found | failed
    answer: Any = None
    rationale: str = ""
    confidence: float = 0.0
    citations: list[RawCitation] = field(default_factory=list)
    error: str | None = None
    model: str | None = None
    template: str | None = None
    template_version: int | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache
    cost: float | None = None
    marker: str | None = None  # shown on every draft, e.g. "drafted without an LLM"
    needs_citations: bool = True  # False for syntheses of other drafts (nothing to quote)
    # signals behind the answer (rule fired, counts of cues), read by calibration
    features: dict[str, Any] = field(default_factory=dict)


@dataclass
class DraftContext:
    """Everything an engine may know about the item it drafts."""

    report_name: str
    period: str
    report_id: str
    run_id: str | None = None
    draft_key: str | None = None
    earlier: dict[str, Any] = field(default_factory=dict)  # question id → answer, same report
    fresh: bool = False  # asked for a new draft (draft --force): no cached model reply
    # what the evidence is: "retrieved" blocks, or every page ("whole-report"); see
    # assistant/drafting/context.py
    context: str = "retrieved"


class Engine(Protocol):
    """A drafting engine, chosen by name.

    Capabilities are class attributes an engine declares (absent means no, see `can`):
    `concurrent` (drafts may run in parallel: calls to a server), `batch` (drafts can go
    through the OpenAI Batch API: `batch_request`, `submit_batch`, `batch_status`,
    `batch_lines` and `batch_result`, see assistant/bulk/batch.py), `deterministic` (no
    sampling: a re-draft of the same evidence gives the same draft), `whole_report` (can be
    shown every page of a report: `context_strategy`, `context_tokens`, `report_fits`,
    `draft_theme`, `render_theme` and the templates `draft_template`, `report_template`,
    `theme_template`; see assistant/drafting/context.py). Callers ask `can(engine,
    capability)`, never the engine's name.
    """

    name: str
    model: str | None

    def draft(self, question, evidence: list[EvidenceBlock], context: DraftContext) -> EngineResult:
        """Draft one audit question from the evidence blocks."""
        ...

    def ask(
        self, question: str, evidence: list[EvidenceBlock], context: DraftContext
    ) -> EngineResult:
        """Answer a reviewer's free question (answer is free text)."""
        ...


CAPABILITIES = ("concurrent", "batch", "deterministic", "whole_report")


def can(engine: Engine, capability: str) -> bool:
    """Whether `engine` declares `capability` (one of CAPABILITIES)."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown engine capability {capability!r}")
    return bool(getattr(engine, capability, False))


_ENGINES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str):
    """Class decorator: make an engine available by name."""

    def decorate(factory):
        _ENGINES[name] = factory
        return factory

    return decorate
