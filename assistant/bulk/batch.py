"""OpenAI Batch API mode for bulk runs: write the requests file, submit, poll, collect.

Each pending (report, question) is prepared on the one drafting path (assistant/drafting/
drafter.py) and becomes one JSONL line whose body is exactly the request the live engine would
send (the engine's `batch` capability). The batch id is stored with the run, so a re-run after
an interruption polls the same batch instead of paying twice; a batch the endpoint no longer
knows (404) is dropped from the run, and the next run submits a new one. Results go through the same
parsing, quote verification and draft storage as live drafting; a batch reply that fails
validation is re-asked once, live, with the validation error, as a live draft would be.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from assistant.drafting.drafter import Drafter, DraftOutcome, drafting_phases
from assistant.errors import EngineError
from assistant.library import ReportRecord
from assistant.questions import Question

TERMINAL = {"completed", "failed", "expired", "cancelled"}


def _custom_id(report_id: str, question_id: str) -> str:
    return f"{report_id}|{question_id}"


def build_requests(
    drafter: Drafter, reports: list[ReportRecord], questions: list[Question], run_id: str
) -> tuple[list[dict], dict[str, tuple]]:
    """JSONL lines for every pending pair, plus what is needed to finish each draft.

    Only the first drafting phase goes in a batch: free-text syntheses need the other answers
    first, so they are drafted live afterwards."""
    engine = drafter.engine
    first, _ = drafting_phases(questions)
    lines, pending = [], {}
    for report in reports:
        for question in first:
            if drafter.reusable(drafter.key_for(report.report_id, question)) is not None:
                continue
            prepared = drafter.prepare(report, question, run_id=run_id)
            request = engine.batch_request(question, prepared.blocks, prepared.context)
            custom_id = _custom_id(report.report_id, question.id)
            lines.append(
                {
                    "custom_id": custom_id,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": request.body,
                }
            )
            pending[custom_id] = (prepared, request)
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
    lines, pending = build_requests(drafter, reports, questions, run_id)
    if not pending:
        return []
    batch_id = state.get("batch_id")
    if batch_id is None:
        work_dir.mkdir(parents=True, exist_ok=True)
        requests_path = work_dir / "batch-requests.jsonl"
        requests_path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        batch_id, input_file_id = engine.submit_batch(requests_path)
        save_state(
            {
                "batch_id": batch_id,
                "requests_file": str(requests_path),
                "input_file_id": input_file_id,
                "lines": len(lines),
            }
        )
    deadline = time.monotonic() + timeout_seconds
    while True:
        batch = engine.batch_status(batch_id)
        if batch is None:
            # polling it again would 404 again on every re-run: forget it (kept for the record
            # as last_batch_id) so the next run submits the pending requests anew
            save_state({"batch_id": None, "last_batch_id": batch_id, "last_status": "not found"})
            raise EngineError(
                f"the endpoint does not know batch {batch_id} (404: expired, deleted, or "
                "submitted to another llm.base_url); it is dropped from the run",
                f"re-run the same command to submit a new batch for the {len(pending)} "
                f"pending draft{'s' if len(pending) != 1 else ''}",
                retryable=True,
            )
        if batch.status in TERMINAL:
            break
        if time.monotonic() > deadline:
            raise EngineError(
                f"batch {batch_id} still {batch.status} after {timeout_seconds:g} s",
                "re-run the same command to keep polling it",
                retryable=True,
            )
        time.sleep(poll_seconds)
    results = engine.batch_lines(batch)  # a failed download keeps the id: a re-run fetches it
    save_state({"batch_id": None, "last_batch_id": batch_id, "last_status": batch.status})
    outcomes = []
    pages: dict[str, dict[int, str]] = {}
    for custom_id, (prepared, request) in pending.items():
        result = engine.batch_result(
            prepared.question,
            request,
            results.get(custom_id),
            batch.status,
            prepared.context,
            drafter.settings_hash,
        )
        report_id = prepared.report.report_id
        if report_id not in pages:
            pages[report_id] = drafter.reports.pages(report_id)
        draft = drafter.finish(prepared, result, pages[report_id])
        outcome = drafter.store(draft, prepared, replace=drafter.redraft_stale)
        outcomes.append(outcome)
        if on_item:
            on_item(outcome)
    return outcomes
