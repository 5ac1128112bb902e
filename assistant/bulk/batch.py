"""OpenAI Batch API mode for bulk runs: write the requests file, submit, poll, collect.

Each pending (report, question) becomes one JSONL line whose body is exactly the request the
live LLM engine would send. The batch id is stored with the run, so a re-run after an
interruption polls the same batch instead of paying twice. Results go through the same
parsing, quote verification and draft storage as live drafting; a batch reply that fails
validation is re-asked once, live, with the validation error, as a live draft would be.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from assistant.drafting.drafter import Drafter, DraftOutcome, question_queries, retrieve_evidence
from assistant.engines.base import DraftContext
from assistant.engines.llm import draft_schema, short_error
from assistant.library import ReportRecord
from assistant.providers.calllog import CallRecord, prompt_key
from assistant.questions import AnswerType, Question

TERMINAL = {"completed", "failed", "expired", "cancelled"}


def _custom_id(report_id: str, question_id: str) -> str:
    return f"{report_id}|{question_id}"


def build_requests(
    drafter: Drafter, reports: list[ReportRecord], questions: list[Question], run_id: str
) -> tuple[list[dict], dict[str, tuple]]:
    """JSONL lines for every pending pair, plus what is needed to finish each draft."""
    engine = drafter.engine
    lines, pending = [], {}
    for report in reports:
        for question in questions:
            if not question.answerable_from_text or question.answer_type is AnswerType.FREE_TEXT:
                continue  # free-text syntheses need the other answers first: drafted live later
            if drafter.reusable(drafter.key_for(report.report_id, question)) is not None:
                continue
            blocks = retrieve_evidence(
                drafter.index,
                question_queries(question),
                report.report_id,
                mode=drafter.retrieval_mode,
            )
            context = DraftContext(
                report.display_name,
                report.period or "not stated",
                report.report_id,
                run_id=run_id,
                draft_key=drafter.key_for(report.report_id, question),
            )
            rendered = engine.render_draft(question, blocks, context)
            body = engine.provider.build_body(
                rendered.messages(), draft_schema(question), f"draft_{question.id}"
            )
            custom_id = _custom_id(report.report_id, question.id)
            lines.append(
                {
                    "custom_id": custom_id,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": body,
                }
            )
            pending[custom_id] = (report, question, blocks, rendered, body, context)
    return lines, pending


def run_batch(
    drafter: Drafter,
    reports: list[ReportRecord],
    questions: list[Question],
    *,
    run_id: str,
    work_dir: Path,
    state: dict,
    save_state: Callable[[dict], None],
    poll_seconds: float = 30.0,
    timeout_seconds: float = 26 * 3600,
    on_item: Callable[[DraftOutcome], None] | None = None,
) -> list[DraftOutcome]:
    """Submit (or resume) a batch for the pending pairs and store its results as drafts."""
    engine = drafter.engine
    client = engine.provider.client
    lines, pending = build_requests(drafter, reports, questions, run_id)
    if not pending:
        return []
    batch_id = state.get("batch_id")
    if batch_id is None:
        work_dir.mkdir(parents=True, exist_ok=True)
        requests_path = work_dir / "batch-requests.jsonl"
        requests_path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        with requests_path.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        batch_id = batch.id
        save_state(
            {
                "batch_id": batch_id,
                "requests_file": str(requests_path),
                "input_file_id": uploaded.id,
                "lines": len(lines),
            }
        )
    deadline = time.monotonic() + timeout_seconds
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status in TERMINAL:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"batch {batch_id} still {batch.status}; re-run to keep polling")
        time.sleep(poll_seconds)
    save_state({"batch_id": None, "last_batch_id": batch_id, "last_status": batch.status})
    results: dict[str, dict] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            for raw in client.files.content(file_id).text.splitlines():
                if raw.strip():
                    item = json.loads(raw)
                    results[item["custom_id"]] = item
    outcomes = []
    log = engine.provider.log
    for custom_id, (report, question, blocks, rendered, body, context) in pending.items():
        content, usage, error = _reply_from_line(results.get(custom_id), batch.status)
        if content is not None:
            try:
                engine.parse_draft(question, content)
            except (ValueError, ValidationError) as exc:
                error = f"invalid output: {short_error(exc)}"
        log.record(
            CallRecord(
                provider=f"{engine.provider.name} (batch)",
                base_url=engine.provider.base_url,
                model=engine.model,
                template=rendered.template_name,
                template_version=rendered.template_version,
                settings_hash=drafter.settings_hash,
                prompt_key=prompt_key(body),
                request=body,
                response=json.dumps(results[custom_id]) if custom_id in results else None,
                status="error" if error else "ok",
                error=error,
                prompt_tokens=usage["prompt_tokens"],
                completion_tokens=usage["completion_tokens"],
                run_id=run_id,
                draft_key=context.draft_key,
            )
        )
        if content is None:
            result = engine.result_from(None, usage, error, rendered)
        else:  # parsed as a live reply would be: invalid output is re-asked once, live
            result = engine.draft_from_reply(question, rendered, content, usage, context)
        page_text = drafter.reports.pages(report.report_id)
        draft = drafter.finish(report, question, result, blocks, page_text, run_id)
        stored, created = drafter.drafts.save(draft, replace=drafter.redraft_stale)
        outcome = DraftOutcome(stored, created, blocks)
        outcomes.append(outcome)
        if on_item:
            on_item(outcome)
    return outcomes


def _reply_from_line(item: dict | None, batch_status: str) -> tuple[str | None, dict, str | None]:
    """(reply content, usage, error) of one batch output line."""
    usage = {"prompt_tokens": 0, "completion_tokens": 0}
    if item is None:
        return None, usage, f"no result in batch (batch {batch_status})"
    response = item.get("response") or {}
    body = response.get("body") or {}
    usage.update({k: (body.get("usage") or {}).get(k, 0) for k in usage})
    if item.get("error") or response.get("status_code", 0) != 200:
        detail = item.get("error") or body.get("error") or response.get("status_code")
        return None, usage, f"batch line failed: {detail}"
    try:
        return body["choices"][0]["message"]["content"] or "", usage, None
    except (KeyError, IndexError, TypeError) as exc:
        return None, usage, f"malformed batch line: {exc}"
