"""The plan of a run for each context strategy: calls, tokens and estimated cost, before any
request is sent.

Every prompt is rendered exactly as the run would send it (retrieval and whole-report pages
included) and its tokens estimated at 4 characters a token; replies are estimated at
`REPLY_TOKENS_PER_ANSWER` an answer. Prompt caching is estimated as providers apply it: the
longest prefix a call shares with an earlier call on the same report, counted from 1,024 tokens
in steps of 128 (OpenAI's rule). Stored drafts that the run would reuse are left out. Cost uses
the configured `llm.prices` ([input, output, cached input] USD per million tokens).

A batch run (`score --batch`) sends the first drafting phase as Batch API lines, one question a
line, and the syntheses live after it; its plan counts the lines (`batch_calls`). The prices
have no batch price: its cost is at the standard price, a provider's batch discount is not
modelled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from assistant.drafting.drafter import Drafter, drafting_phases
from assistant.library import ReportRecord
from assistant.providers.openai_compat import price_of
from assistant.questions import Question

REPLY_TOKENS_PER_ANSWER = 200  # a JSON draft: answer, one to three sentences, one or two quotes
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128


@dataclass
class StrategyPlan:
    """One strategy's run: calls, estimated tokens and cost (None: no price configured)."""

    strategy: str
    model: str | None
    calls: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0  # of input_tokens, expected from the provider's prompt cache
    output_tokens: int = 0
    fallbacks: int = 0  # reports whose whole report does not fit: drafted from retrieval
    batch: bool = False  # a score --batch run: costs at the standard price all the same
    batch_calls: int = 0  # of calls, the Batch API lines (the rest: syntheses, sent live)
    cost: float | None = None
    cost_uncached: float | None = None  # the same run if nothing were cached

    def to_json(self) -> dict:
        return asdict(self)


def cached_prefix_tokens(text: str, earlier: list[str]) -> int:
    """Prompt-cache tokens a call can expect: its longest prefix shared with an earlier call."""
    best = 0
    for other in earlier:
        low, high = 0, min(len(text), len(other))  # text[:low] == other[:low] always
        while low < high:
            mid = (low + high + 1) // 2
            if text[:mid] == other[:mid]:
                low = mid
            else:
                high = mid - 1
        best = max(best, low)
    tokens = best // 4
    if tokens < CACHE_MIN_TOKENS:
        return 0
    return tokens - tokens % CACHE_STEP_TOKENS


def _prompt_text(rendered) -> str:
    return rendered.system + "\n" + rendered.user


def plan_strategy(
    drafter: Drafter,
    reports: list[ReportRecord],
    questions: list[Question],
    prices: dict,
    *,
    batch: bool = False,
) -> StrategyPlan:
    """The plan of drafting `questions` for `reports` with this drafter's strategy (`batch`:
    as score --batch does, its first phase in a batch; score refuses the theme strategy)."""
    engine = drafter.engine
    plan = StrategyPlan(drafter.strategy, engine.model, batch=batch)
    titles = {t.id: t.title for t in drafter.bank.themes}
    first, last = drafting_phases(questions)

    for report in reports:
        plan.fallbacks += _plan_report(drafter, report, first, last, titles, plan)

    price = prices.get(engine.model)
    plan.cost = price_of(price, plan.input_tokens, plan.output_tokens, plan.cached_tokens)
    plan.cost_uncached = price_of(price, plan.input_tokens, plan.output_tokens)
    return plan


def _plan_report(drafter, report, first, last, titles, plan: StrategyPlan) -> bool:
    """Add one report's calls to `plan`; True if its whole report did not fit."""
    engine = drafter.engine
    sent: list[str] = []

    def call(rendered, answers: int, *, batched: bool = False) -> None:
        text = _prompt_text(rendered)
        plan.calls += 1
        plan.batch_calls += batched
        plan.input_tokens += max(1, len(text) // 4)
        plan.cached_tokens += cached_prefix_tokens(text, sent)
        plan.output_tokens += answers * REPLY_TOKENS_PER_ANSWER
        sent.append(text)

    def pending(qs: list[Question]) -> list[Question]:
        return [q for q in qs if drafter.reusable(drafter.key_for(report.report_id, q)) is None]

    fell_back = False
    for unit in drafter.units(pending(first)):
        prepared = [drafter.prepare(report, q) for q in unit]
        fell_back = fell_back or any(p.note for p in prepared)
        if drafter.strategy == "theme" and prepared[0].context.context == "whole-report":
            theme = unit[0].theme
            call(
                engine.render_theme(
                    titles.get(theme, theme), unit, prepared[0].blocks, prepared[0].context
                ),
                len(unit),
            )
            continue
        for p in prepared:  # with --batch, each one a line of the batch
            call(engine.render_draft(p.question, p.blocks, p.context), 1, batched=plan.batch)
    for q in pending(last):
        p = drafter.prepare(report, q)
        fell_back = fell_back or bool(p.note)
        call(engine.render_draft(p.question, p.blocks, p.context), 1)
    return fell_back
