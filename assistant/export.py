"""Exports of a run's drafts: wide (one row per report, one column per question), long (one row
per draft, with citations and their verification status), as CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from assistant.drafts import Draft
from assistant.questions import QuestionBank
from assistant.reports import ReportRecord

LONG_COLUMNS = [
    "report_id",
    "file_name",
    "partnership",
    "period",
    "question_id",
    "question",
    "answer",
    "answer_label",
    "status",
    "confidence",
    "engine",
    "model",
    "template",
    "bank_version",
    "pages",
    "citations",
    "verification",
    "marker",
    "error",
    "created_at",
]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def long_rows(bank: QuestionBank, reports: list[ReportRecord], drafts: dict[str, list[Draft]]):
    for report in reports:
        for d in sorted(
            drafts.get(report.report_id, []),
            key=lambda d: bank.ids.index(d.question_id) if d.question_id in bank.ids else 999,
        ):
            q = bank.get(d.question_id)
            yield {
                "report_id": report.report_id,
                "file_name": report.file_name,
                "partnership": report.partnership,
                "period": report.period,
                "question_id": d.question_id,
                "question": q.text,
                "answer": _cell(d.answer),
                "answer_label": q.answer_label(d.answer) if d.answer is not None else "",
                "status": d.status,
                "confidence": d.confidence,
                "engine": d.engine,
                "model": d.model,
                "template": f"{d.template} v{d.template_version}",
                "bank_version": d.bank_version,
                "pages": _cell(d.pages),
                "citations": " | ".join(f"p{c.page}: {c.quote}" for c in d.citations),
                "verification": ";".join(c.verification for c in d.citations),
                "marker": d.marker or "",
                "error": d.error or "",
                "created_at": d.created_at,
            }


def wide_rows(bank: QuestionBank, reports: list[ReportRecord], drafts: dict[str, list[Draft]]):
    for report in reports:
        by_q = {d.question_id: d for d in drafts.get(report.report_id, [])}
        row = {
            "report_id": report.report_id,
            "file_name": report.file_name,
            "partnership": report.partnership,
            "period": report.period,
        }
        for q in bank.questions:
            d = by_q.get(q.id)
            if d is None:
                row[q.id] = "" if q.answerable_from_text else "(reviewer-entered)"
            elif d.answer is None:
                row[q.id] = f"({d.status})"
            else:
                row[q.id] = _cell(d.answer)
        yield row


def export_drafts(
    bank: QuestionBank,
    reports: list[ReportRecord],
    drafts: dict[str, list[Draft]],
    out_dir: Path,
    stem: str = "drafts",
) -> dict[str, Path]:
    """Write wide + long CSV, a two-sheet XLSX and JSON; returns the paths."""
    from openpyxl import Workbook

    out_dir.mkdir(parents=True, exist_ok=True)
    long = list(long_rows(bank, reports, drafts))
    wide = list(wide_rows(bank, reports, drafts))
    wide_cols = ["report_id", "file_name", "partnership", "period", *bank.ids]
    paths = {
        "wide_csv": out_dir / f"{stem}-wide.csv",
        "long_csv": out_dir / f"{stem}-long.csv",
        "xlsx": out_dir / f"{stem}.xlsx",
        "json": out_dir / f"{stem}.json",
    }
    for path, rows, cols in (
        (paths["wide_csv"], wide, wide_cols),
        (paths["long_csv"], long, LONG_COLUMNS),
    ):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=cols)
            writer.writeheader()
            writer.writerows(rows)
    book = Workbook()
    sheet = book.active
    sheet.title = "by report"
    sheet.append(wide_cols)
    for row in wide:
        sheet.append([_xlsx_safe(row.get(c)) for c in wide_cols])
    detail = book.create_sheet("drafts")
    detail.append(LONG_COLUMNS)
    for row in long:
        detail.append([_xlsx_safe(row.get(c)) for c in LONG_COLUMNS])
    book.save(paths["xlsx"])
    paths["json"].write_text(
        json.dumps([d.to_json() for ds in drafts.values() for d in ds], indent=1, default=str),
        encoding="utf-8",
    )
    return paths


def _xlsx_safe(value):
    """Report text must not become a spreadsheet formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
