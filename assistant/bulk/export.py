"""Exports of a run's drafts: wide (one row per report, one column per question), long (one row
per draft, with citations and their verification status), as CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.drafting.store import Draft
from assistant.library import ReportRecord
from assistant.questions import QuestionBank

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


# What makes a spreadsheet program read a cell as a formula (CSV/formula injection, as OWASP
# lists it): report text, file names and model answers can start with any of these.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell value no spreadsheet runs: text starting a formula gets a leading apostrophe.

    The one neutraliser for every CSV and XLSX cell the tool writes (export, review-export).
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def write_csv(path: Path, columns: list[str], rows: Iterable[dict], **open_kwargs) -> Path:
    """A CSV with a header row, every cell through `safe_cell` (UTF-8 unless told)."""
    open_kwargs.setdefault("encoding", "utf-8")
    with Path(path).open("w", newline="", **open_kwargs) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell("" if row.get(c) is None else row.get(c)) for c in columns])
    return Path(path)


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
    write_csv(paths["wide_csv"], wide_cols, wide)
    write_csv(paths["long_csv"], LONG_COLUMNS, long)
    book = Workbook()
    sheet = book.active
    sheet.title = "by report"
    sheet.append(wide_cols)
    for row in wide:
        sheet.append([safe_cell(row.get(c)) for c in wide_cols])
    detail = book.create_sheet("drafts")
    detail.append(LONG_COLUMNS)
    for row in long:
        detail.append([safe_cell(row.get(c)) for c in LONG_COLUMNS])
    book.save(paths["xlsx"])
    paths["json"].write_text(
        json.dumps([d.to_json() for ds in drafts.values() for d in ds], indent=1, default=str),
        encoding="utf-8",
    )
    return paths
