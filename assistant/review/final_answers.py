"""Final answers: one row per (report, question) with the draft, the reviewer's answer and who
decided, written as CSV or XLSX (XLSX adds the full decision log). Derived from the events of
assistant/review/decisions.py. Takes the stores it reads (the service passes them in).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.bulk.export import safe_cell
from assistant.errors import ReviewAssistantError
from assistant.review.decisions import DecisionStore, ItemState, _show, answer_text

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
    "decided_at": "Decided at",
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
                writer.writerow([safe_cell(row[k]) if row[k] is not None else "" for k in keys])
        return path
    _write_xlsx(decisions, path, rows, report_ids)
    return path


def _write_xlsx(decisions: DecisionStore, path: Path, rows: list[dict], report_ids) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Final answers"
    keys = list(EXPORT_COLUMNS)
    sheet.append(list(EXPORT_COLUMNS.values()))
    for row in rows:
        sheet.append([safe_cell(row[k]) for k in keys])
    widths = {"question": 60, "draft_answer": 28, "final_answer": 28, "note": 40}
    for index, key in enumerate(keys, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(key, 16)
    log = book.create_sheet("Decision log")
    log.append(
        [
            "Event",
            "Report id",
            "Question id",
            "Reviewer",
            "Action",
            "Before",
            "After",
            "Note",
            "Seconds on task",
            "Draft id",
            "Based on event",
            "At",
        ]
    )
    ids = report_ids if report_ids is not None else sorted({r["report_id"] for r in rows})
    for report_id in ids:
        for e in decisions.history(report_id):
            log.append(
                [
                    safe_cell(v)
                    for v in (
                        e.event_id,
                        e.report_id,
                        e.question_id,
                        e.reviewer,
                        e.action,
                        _show(e.before) if e.before is not None else "",
                        _show(e.after) if e.after is not None else "",
                        e.note or "",
                        e.seconds_on_task,
                        e.draft_id or "",
                        e.base_event_id,
                        e.created_at,
                    )
                ]
            )
    for ws in (sheet, log):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    book.save(path)
