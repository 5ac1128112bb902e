"""The LLM engine: drafts and answers with a model behind an OpenAI-compatible endpoint.

It renders the versioned prompt templates, asks the provider (assistant/providers/
openai_compat.py: HTTP, retries, deadline, cache and the call log) for structured output, and
parses the reply into a pydantic model; invalid output is re-asked once with the validation
error, then the draft fails with the attempts and token usage recorded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.config import Settings
from assistant.db import Database
from assistant.engines.base import (
    DraftContext,
    EngineResult,
    EvidenceBlock,
    RawCitation,
    register_engine,
)
from assistant.errors import EngineError
from assistant.prompts import format_evidence_blocks, load_template
from assistant.providers.calllog import CallLog
from assistant.providers.openai_compat import Completion, OpenAIProvider


class _CitationOut(BaseModel):
    block_id: str
    quote: str


class DraftOutput(BaseModel):
    """What the model must return for an audit question."""

    status: Literal["answered", "not_found"]
    answer: Any = None
    rationale: str = ""
    confidence: float = Field(0.5, ge=0.0, le=1.0)
    citations: list[_CitationOut] = Field(default_factory=list)

    @field_validator("confidence", mode="before")
    @classmethod
    def _clamp(cls, value: Any) -> Any:
        """Clamp into 0..1: grammar-constrained servers (llama.cpp) ignore the schema's bounds,
        and a confidence of 1.5 is no reason to throw away an otherwise valid draft."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return min(max(float(value), 0.0), 1.0)
        return value


class AskOutput(BaseModel):
    """What the model must return for a free question."""

    status: Literal["answered", "not_found"]
    answer: str = ""
    citations: list[_CitationOut] = Field(default_factory=list)


_CITATIONS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"block_id": {"type": "string"}, "quote": {"type": "string"}},
        "required": ["block_id", "quote"],
        "additionalProperties": False,
    },
}


def draft_schema(question) -> dict:
    """Strict JSON schema for one question's draft."""
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["answered", "not_found"]},
            "answer": {"anyOf": [question.json_schema_for_answer(), {"type": "null"}]},
            "rationale": {"type": "string"},
            "confidence": {"type": "number"},
            "citations": _CITATIONS_SCHEMA,
        },
        "required": ["status", "answer", "rationale", "confidence", "citations"],
        "additionalProperties": False,
    }


ASK_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["answered", "not_found"]},
        "answer": {"type": "string"},
        "citations": _CITATIONS_SCHEMA,
    },
    "required": ["status", "answer", "citations"],
    "additionalProperties": False,
}


def parse_json_object(content: str) -> dict:
    """The JSON object in a reply (tolerates ``` fences and text around the object); a
    ValueError when there is none, or when its text is not valid Unicode."""
    text = content.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise
        value = json.loads(text[start : end + 1])
    if not isinstance(value, dict):
        raise ValueError("the reply is JSON but not an object")
    try:
        # a lone surrogate ("\ud83d", half an emoji) parses, but no draft holding it can be
        # stored or printed: refused here, the reply is rejected and re-asked like any other
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end].encode("unicode_escape").decode()
        raise ValueError(
            f"the reply holds text that is not valid Unicode (a lone surrogate, {bad})"
        ) from None
    return value


@register_engine("llm")
class LLMEngine:
    """Drafts with a model behind an OpenAI-compatible endpoint."""

    name = "llm"
    concurrent = True  # calls to a server: drafts run in parallel (llm.concurrency)
    batch = True  # drafts can go through the OpenAI Batch API (assistant/bulk/batch.py)
    whole_report = True  # can be shown every page of a report (context strategies)

    def __init__(self, settings: Settings, db: Database, *, send: bool = True) -> None:
        # send=False: an engine that only renders prompts (score --plan): no provider, so it
        # needs no key or endpoint and cannot send anything
        self.provider = OpenAIProvider(settings, CallLog(db)) if send else None
        self.model = settings.llm.model
        self.draft_template = load_template("draft_answer")
        self.report_template = load_template("draft_from_report")
        self.theme_template = load_template("draft_theme")
        self.ask_template = load_template("ask_question")
        # what the engine is shown: retrieved | whole-report | theme (llm.context)
        self.context_strategy = settings.llm.context
        self.context_tokens = settings.llm.context_tokens
        self.reply_tokens = settings.llm.max_tokens or REPLY_TOKENS_UNCAPPED
        chosen = {
            "retrieved": self.draft_template,
            "whole-report": self.report_template,
            "theme": self.theme_template,
        }[self.context_strategy]
        self.template = chosen.name  # part of the draft key: strategies never share drafts
        self.template_version = chosen.version

    def _run(
        self, rendered, schema, schema_name, parse, context, first_reply=None
    ) -> tuple[Any, dict, str | None]:
        """Call and parse; on invalid output re-ask once with the error.

        `first_reply` (a Completion) stands in for the first call when the reply came another
        way (a Batch API output line). A reply that fails to parse is rejected in the call log,
        so the cache never serves it again. Returns (value, usage, error)."""
        messages = rendered.messages()
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0, "cached_tokens": 0}
        template = (rendered.template_name, rendered.template_version)
        error = None
        for attempt in (1, 2):
            if attempt == 1 and first_reply is not None:
                reply = first_reply
            else:
                try:
                    reply = self.provider.complete(
                        messages, schema, schema_name, template=template, context=context
                    )
                except EngineError as exc:
                    if attempt == 1:
                        raise
                    # the re-ask failed: the draft fails, but keeps the tokens already spent
                    return None, usage, f"re-ask failed after invalid output ({error}): {exc}"
            usage["prompt_tokens"] += reply.prompt_tokens
            usage["completion_tokens"] += reply.completion_tokens
            usage["cost"] += reply.cost or 0.0
            usage["cached_tokens"] += reply.cached_tokens
            try:
                return parse(reply.content), usage, None
            except (ValueError, ValidationError) as exc:
                error = short_error(exc)
                self.provider.reject(reply, error)
                if attempt == 1:
                    messages = messages + [
                        {"role": "assistant", "content": reply.content},
                        {
                            "role": "user",
                            "content": (
                                f"Your reply was not valid: {error}. Reply again with one JSON "
                                "object "
                                "that follows the rules and the allowed answer values."
                            ),
                        },
                    ]
        return None, usage, f"invalid output after 2 attempts: {error}"

    def render_draft(self, question, evidence: list[EvidenceBlock], context: DraftContext):
        """The rendered prompt for one audit question: from retrieved evidence, or from the
        whole report (report first, question last) when `context.context` says so."""
        template = self.draft_template
        if context.context == "whole-report":
            template = self.report_template
        return template.render(
            question_id=question.id,
            question_text=question.text,
            guidance=question.guidance,
            answer_type=question.answer_type.value,
            answer_format=question.answer_format(),
            evidence=format_evidence_blocks(evidence),
            report_name=context.report_name,
            period=context.period,
        )

    @staticmethod
    def parse_draft(question, content: str) -> DraftOutput:
        """Parse and validate a reply; raises ValueError/ValidationError when invalid."""
        out = DraftOutput.model_validate(parse_json_object(content))
        if out.status == "answered":
            out.answer = question.validate_answer(out.answer)
        return out

    def result_from(
        self, out: DraftOutput | AskOutput | None, usage: dict, error: str | None, rendered
    ) -> EngineResult:
        """An EngineResult from a parsed reply (or the error that prevented one)."""
        common = dict(
            model=self.model,
            template=rendered.template_name,
            template_version=rendered.template_version,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            cached_tokens=usage.get("cached_tokens", 0),
            cost=usage.get("cost") or None,
        )
        if out is None:
            return EngineResult(status="failed", error=error, **common)
        return EngineResult(
            status=out.status,
            answer=out.answer,
            rationale=getattr(out, "rationale", ""),
            confidence=getattr(out, "confidence", 0.0),
            citations=[RawCitation(c.block_id, c.quote) for c in out.citations],
            **common,
        )

    def draft(self, question, evidence: list[EvidenceBlock], context: DraftContext) -> EngineResult:
        rendered = self.render_draft(question, evidence, context)
        return self._draft(question, rendered, context)

    def _draft(self, question, rendered, context: DraftContext, first_reply=None) -> EngineResult:
        out, usage, error = self._run(
            rendered,
            draft_schema(question),
            f"draft_{question.id}",
            lambda content: self.parse_draft(question, content),
            context,
            first_reply=first_reply,
        )
        return self.result_from(out, usage, error, rendered)

    def ask(
        self, question: str, evidence: list[EvidenceBlock], context: DraftContext
    ) -> EngineResult:
        rendered = self.ask_template.render(
            question=question,
            evidence=format_evidence_blocks(evidence),
            report_name=context.report_name,
            period=context.period,
        )
        out, usage, error = self._run(
            rendered,
            ASK_SCHEMA,
            "ask",
            lambda c: AskOutput.model_validate(parse_json_object(c)),
            context,
        )
        return self.result_from(out, usage, error, rendered)

    # --- whole-report context: does a report fit, and a theme's questions in one call -------
    def report_fits(self, pages: list[EvidenceBlock], context: DraftContext) -> tuple[bool, int]:
        """(fits, estimated prompt tokens) of the whole-report prompt for this report: the
        prompt plus the reply cap must fit `llm.context_tokens`."""
        probe = self.report_template.render(
            question_id="X",
            question_text="",
            guidance="",
            answer_type="",
            answer_format="",
            evidence=format_evidence_blocks(pages),
            report_name=context.report_name,
            period=context.period,
        )
        tokens = prompt_tokens_estimate(probe) + QUESTION_TOKENS_ALLOWANCE
        return tokens + self.reply_tokens <= self.context_tokens, tokens

    def render_theme(self, theme_title: str, questions, pages, context: DraftContext):
        """One prompt for every question of a theme, over the whole report."""
        return self.theme_template.render(
            report_name=context.report_name,
            period=context.period,
            evidence=format_evidence_blocks(pages),
            theme_title=theme_title,
            questions=format_questions(questions),
        )

    def draft_theme(
        self, theme_title: str, questions, pages: list[EvidenceBlock], context: DraftContext
    ) -> dict[str, EngineResult]:
        """Draft a theme's questions in one call: question id -> result. The call's tokens and
        cost are shared out over the questions (so per-draft totals add up to the call's)."""
        rendered = self.render_theme(theme_title, questions, pages, context)
        by_id = {q.id: q for q in questions}

        def parse(content: str) -> dict[str, DraftOutput]:
            raw = parse_json_object(content).get("answers")
            if not isinstance(raw, dict):
                raise ValueError('the reply has no "answers" object keyed by question id')
            missing = [qid for qid in by_id if qid not in raw]
            if missing:
                raise ValueError(f"no answer for question(s) {', '.join(missing)}")
            return {qid: self.parse_draft(by_id[qid], json.dumps(raw[qid])) for qid in by_id}

        out, usage, error = self._run(
            rendered, theme_schema(questions), "draft_theme", parse, context
        )
        results = {}
        for i, qid in enumerate(by_id):
            share = split_usage(usage, len(by_id), first=i == 0)
            results[qid] = self.result_from(out[qid] if out else None, share, error, rendered)
        return results

    # --- the OpenAI Batch API (capability `batch`; assistant/bulk/batch.py drives it) --------
    def batch_request(
        self, question, evidence: list[EvidenceBlock], context: DraftContext
    ) -> BatchRequest:
        """The request one batch line carries: exactly what `draft` would send live."""
        rendered = self.render_draft(question, evidence, context)
        body = self.provider.build_body(
            rendered.messages(), draft_schema(question), f"draft_{question.id}"
        )
        return BatchRequest(body, rendered)

    def submit_batch(self, requests_path: Path) -> tuple[str, str]:
        """Upload a JSONL requests file and start its batch: (batch id, input file id)."""
        return self.provider.submit_batch(requests_path)

    def batch_status(self, batch_id: str):
        """The batch as the API reports it (`status`, output and error file ids); None when
        the endpoint does not know the id."""
        return self.provider.retrieve_batch(batch_id)

    def batch_lines(self, batch) -> dict[str, dict]:
        """The output (and error) lines of a finished batch, by custom id."""
        return self.provider.batch_lines(batch)

    def batch_result(
        self,
        question,
        request: BatchRequest,
        line: dict | None,
        batch_status: str,
        context: DraftContext,
        settings_hash: str,
    ) -> EngineResult:
        """The draft result of one batch line, logged by the provider. A reply that fails
        validation is re-asked once, live, with the validation error (as `draft` does)."""
        content, usage, error = reply_from_line(line, batch_status)
        if content is not None:
            try:
                self.parse_draft(question, content)
            except (ValueError, ValidationError) as exc:
                error = f"invalid output: {short_error(exc)}"
        self.provider.log_batch_line(
            request.body, line, error, usage, request.template, settings_hash, context
        )
        if content is None:
            return self.result_from(None, usage, error, request.rendered)
        first = Completion(content, usage["prompt_tokens"], usage["completion_tokens"], None)
        return self._draft(question, request.rendered, context, first_reply=first)


REPLY_TOKENS_UNCAPPED = 4096  # the reply room assumed when llm.max_tokens is 0 (no cap)
QUESTION_TOKENS_ALLOWANCE = 600  # a question's text, guidance and allowed values, at most


def prompt_tokens_estimate(rendered) -> int:
    """Rough prompt tokens of a rendered prompt (4 characters a token), enough for budgets."""
    return max(1, (len(rendered.system) + len(rendered.user)) // 4)


def format_questions(questions) -> str:
    """A theme's questions for the theme prompt, each with guidance and allowed values."""
    parts = []
    for q in questions:
        parts.append(
            f"Audit question {q.id}:\n{q.text}\n\nGuidance for this question:\n{q.guidance}\n\n"
            f"Answer type: {q.answer_type.value}\nAllowed answer values:\n{q.answer_format()}"
        )
    return "\n\n---\n\n".join(parts)


def theme_schema(questions) -> dict:
    """Strict JSON schema for a theme's answers: one draft per question id."""
    return {
        "type": "object",
        "properties": {
            "answers": {
                "type": "object",
                "properties": {q.id: draft_schema(q) for q in questions},
                "required": [q.id for q in questions],
                "additionalProperties": False,
            }
        },
        "required": ["answers"],
        "additionalProperties": False,
    }


def split_usage(usage: dict, n: int, *, first: bool) -> dict:
    """One question's share of a call's usage (integer remainders go to the first)."""
    share = {}
    for key in ("prompt_tokens", "completion_tokens", "cached_tokens"):
        total = usage.get(key, 0)
        share[key] = total // n + (total % n if first else 0)
    share["cost"] = (usage.get("cost") or 0.0) / n
    return share


@dataclass
class BatchRequest:
    """One batch line's request body and the rendered prompt it came from."""

    body: dict
    rendered: Any

    @property
    def template(self) -> tuple[str, int]:
        return self.rendered.template_name, self.rendered.template_version


def reply_from_line(item: dict | None, batch_status: str) -> tuple[str | None, dict, str | None]:
    """(reply content, usage, error) of one batch output line."""
    usage = {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0}
    if item is None:
        return None, usage, f"no result in batch (batch {batch_status})"
    response = item.get("response") or {}
    body = response.get("body") or {}
    reported = body.get("usage") or {}
    usage.update({k: reported.get(k, 0) for k in ("prompt_tokens", "completion_tokens")})
    usage["cached_tokens"] = (reported.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    if item.get("error") or response.get("status_code", 0) != 200:
        detail = item.get("error") or body.get("error") or response.get("status_code")
        return None, usage, f"batch line failed: {detail}"
    try:
        return body["choices"][0]["message"]["content"] or "", usage, None
    except (KeyError, IndexError, TypeError) as exc:
        return None, usage, f"malformed batch line: {exc}"


def short_error(exc: Exception) -> str:
    """A reply's validation error in one plain line (what the re-ask, the draft's error and
    the call log show): "the model's reply was not JSON", "the reply lacked field 'status'"."""
    if isinstance(exc, json.JSONDecodeError):
        return f"the model's reply was not JSON ({exc.msg} at character {exc.pos})"
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"])
            if e["type"] == "missing":
                parts.append(f"the reply lacked field {field!r}")
            else:
                parts.append(f"field {field!r}: {e['msg']}" if field else f"reply: {e['msg']}")
        return "; ".join(parts)[:500]
    return str(exc)[:500]
