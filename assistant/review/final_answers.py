"""Final answers: one row per (report, question) with the draft, the reviewer's answer and who
decided, written as CSV or XLSX (XLSX adds the full decision log). Derived from the events of
assistant/review/decisions.py. Takes the stores it reads (the service passes them in).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.bulk.export import csv_value, utc_datetime, write_xlsx
from assistant.errors import ReviewAssistantError
from assistant.review.decisions import DecisionStore, ItemState, answer_text

if TYPE_CHECKING:
    from assistant.drafting.store import DraftStore
    from assistant.library import ReportRecord

EXPORT_COLUMNS = {
    "report": "Report",
    "partnership": "Partnership",
    "period": "Period",
    "question_id": "Question id",
    "question": "Question",
    "draft_answer": "Draft answer",
    "draft_confidence": "Draft confidence",
    "final_answer": "Final answer",
    "status": "Status",
    "reviewer": "Reviewer",
    "decided_at": "Decided at (UTC)",
    "note": "Note",
    "report_id": "Report id",
    "draft_id": "Draft id",
}


def final_answer_rows(
    decisions: DecisionStore, drafts: DraftStore, reports: list[ReportRecord]
) -> list[dict]:
    """One row per (report, question) with the draft, the final answer and who decided
    (`decisions` carries the question bank)."""
    rows = []
    for report in reports:
        by_question = {d.question_id: d for d in drafts.for_report(report.report_id)}
        states = decisions.current(report.report_id)
        for question in decisions.bank.questions:
            draft = by_question.get(question.id)
            state = states.get(question.id, ItemState(question.id))
            rows.append(
                {
                    "report": report.file_name,
                    "partnership": report.partnership or "",
                    "period": report.period or "",
                    "question_id": question.id,
                    "question": question.text,
                    "draft_answer": answer_text(question, draft.answer) if draft else "",
                    "draft_confidence": draft.confidence if draft else None,
                    "final_answer": answer_text(question, state.answer),
                    "status": state.status,
                    "reviewer": state.reviewer or "",
                    "decided_at": state.decided_at or "",
                    "note": state.note or "",
                    "report_id": report.report_id,
                    "draft_id": (state.draft_id or (draft.draft_id if draft else "")) or "",
                }
            )
    return rows


def export_final_answers(
    decisions: DecisionStore,
    drafts: DraftStore,
    reports: list[ReportRecord],
    path: Path | str,
    fmt: str | None = None,
    *,
    report_ids: list[str] | None = None,
) -> Path:
    """Write the final answers of `reports` (and, in XLSX, their full decision log) to `path`.

    `fmt` is "csv" or "xlsx" (default: from the file suffix); `report_ids`, the order of the
    XLSX decision log when the reports were named (else by id). Returns the path written.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise ReviewAssistantError(f"unknown export format {fmt!r}", "use csv or xlsx")
    rows = final_answer_rows(decisions, drafts, reports)
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(EXPORT_COLUMNS)
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads UTF-8
            writer = csv.writer(fh)
            writer.writerow(EXPORT_COLUMNS.values())
            for row in rows:
                cells = {**row, "decided_at": utc_datetime(row["decided_at"])}
                writer.writerow([csv_value(cells[k]) for k in keys])
        return path
    _write_xlsx(decisions, drafts, path, rows, report_ids)
    return path


LOG_COLUMNS = [
    "Event",
    "Report id",
    "Question id",
    "Reviewer",
    "Action",
    "Before",
    "After",
    "Page",
    "Citation",
    "Note",
    "Seconds on task",
    "Draft id",
    "Based on event",
    "At (UTC)",
    "Report",
]


def _cited(drafts: DraftStore, event, cache: dict) -> tuple[int | None, str]:
    """(page, what was cited or marked) of a citation, passage or example event, for the
    decision log (an example mark set or removed, and its passage)."""
    payload = event.payload or {}
    if event.action == "passage":
        page = payload.get("page")
        quote = str(payload.get("quote") or "").strip()
        shown = f'added: "{quote}"' if quote else "added"
        return (int(page) if page is not None else None), shown
    if event.action == "example":
        page = payload.get("page")
        quote = str(payload.get("quote") or "").strip()
        shown = "marked as an example" if payload.get("on", True) else "example mark removed"
        shown += f': "{quote}"' if quote else ""
        return (int(page) if page is not None else None), shown
    if event.action != "citation":
        return None, ""
    index = payload.get("index")
    verdict = "relevant" if payload.get("relevant") else "not relevant"
    citation = None
    if event.draft_id and index is not None:
        if event.draft_id not in cache:
            try:
                cache[event.draft_id] = drafts.get(event.draft_id)
            except ReviewAssistantError:
                cache[event.draft_id] = None
        draft = cache[event.draft_id]
        if draft is not None and 1 <= int(index) <= len(draft.citations):
            citation = draft.citations[int(index) - 1]
    if citation is None:
        return None, f"citation {index}: {verdict}"
    return citation.page, f'citation {index} ({verdict}): "{citation.quote}"'


def _write_xlsx(
    decisions: DecisionStore, drafts: DraftStore, path: Path, rows: list[dict], report_ids
) -> None:
    bank = decisions.bank
    names = {r["report_id"]: r["partnership"] or r["report"] for r in rows}
    ids = report_ids if report_ids is not None else sorted({r["report_id"] for r in rows})
    log_rows, cache = [], {}
    for report_id in ids:
        for e in decisions.history(report_id):
            question = bank.get(e.question_id) if e.question_id in bank.ids else None
            page, cited = _cited(drafts, e, cache)
            values = (
                e.event_id,
                e.report_id,
                e.question_id,
                e.reviewer,
                e.action,
                answer_text(question, e.before),
                answer_text(question, e.after),
                page,
                cited,
                e.note or "",
                e.seconds_on_task,
                e.draft_id or "",
                e.base_event_id,
                utc_datetime(e.created_at),
                names.get(report_id, ""),
            )
            log_rows.append(dict(zip(LOG_COLUMNS, values, strict=True)))
    labelled = [
        {EXPORT_COLUMNS[k]: utc_datetime(v) if k == "decided_at" else v for k, v in row.items()}
        for row in rows
    ]
    widths = {"Question": 60, "Draft answer": 28, "Final answer": 28, "Note": 40}
    log_widths = {"Before": 24, "After": 24, "Citation": 60, "Note": 40, "Report": 28}
    write_xlsx(
        path,
        [
            ("Final answers", list(EXPORT_COLUMNS.values()), labelled, widths),
            ("Decision log", LOG_COLUMNS, log_rows, log_widths),
        ],
    )
