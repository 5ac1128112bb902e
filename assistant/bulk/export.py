"""Exports of a run's drafts: wide (one row per report, one column per question), long (one row
per draft, with citations and their verification status), as CSV, XLSX and JSON.

Made to be opened in Excel: CSV with a UTF-8 byte-order mark (else Excel reads it as ANSI),
XLSX with a bold frozen header, filters and column widths, numbers as numbers, answers as
their labels ("Partly evidenced", not `partly`), and "not found" where the engine abstained.
Times are UTC, said in the column's name: a date-time cell in XLSX, `2026-12-07 15:32:58` in
CSV (Excel keeps the stored `2026-12-07T15:32:58+00:00` as text).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.drafting.store import Draft
from assistant.library import ReportRecord
from assistant.questions import QuestionBank

NOT_FOUND = "not found"  # an abstention, as auditors say it

LONG_COLUMNS = [
    "report_id",
    "report",
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
    "created_at_utc",
]


# What makes a spreadsheet program read a cell as a formula (CSV/formula injection, as OWASP
# lists it): report text, file names and model answers can start with any of these.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


CSV_DATETIME = "%Y-%m-%d %H:%M:%S"  # what Excel reads as a date-time
XLSX_DATETIME = "yyyy-mm-dd hh:mm:ss"


def utc_datetime(stamp: str | None) -> datetime | str | None:
    """A stored ISO timestamp (`2026-12-07T15:32:58+00:00`) as a naive UTC datetime to the
    second, which the writers turn into a date-time cell; None for none, a stamp that is not
    one as given."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def csv_value(value: Any) -> Any:
    """A CSV cell: a datetime as `CSV_DATETIME`, None as empty, text through `safe_cell`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME)
    return safe_cell(value)


def safe_cell(value: Any) -> Any:
    """A cell value no spreadsheet runs: text starting a formula gets a leading apostrophe.

    The one neutraliser for every CSV and XLSX cell the tool writes (export, review-export).
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def write_csv(path: Path, columns: list[str], rows: Iterable[dict], **open_kwargs) -> Path:
    """A CSV with a header row, every cell through `safe_cell` (UTF-8 with a byte-order mark,
    which Excel needs to read it as UTF-8, unless told)."""
    open_kwargs.setdefault("encoding", "utf-8-sig")
    with Path(path).open("w", newline="", **open_kwargs) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_value(row.get(c)) for c in columns])
    return Path(path)


def write_xlsx(
    path: Path,
    sheets: list[tuple[str, list[str], list[dict], dict[str, float]]],
    *,
    title: str | None = None,
) -> Path:
    """A workbook with one sheet per (name, columns, rows, widths): bold frozen header,
    filters on every column, column widths (`widths` by column, else from the content), and
    every cell through `safe_cell` (numbers stay numbers, datetimes date-time cells)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for name, columns, rows, widths in sheets:
        sheet = book.create_sheet(name[:31])
        sheet.append(columns)
        for row in rows:
            sheet.append([safe_cell(_xlsx_value(row.get(c))) for c in columns])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = XLSX_DATETIME
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, column in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            longest = max([len(str(column))] + [len(str(r.get(column) or "")) for r in rows[:200]])
            sheet.column_dimensions[letter].width = widths.get(column, min(max(longest, 6), 40) + 2)
    if title:
        book.properties.title = title[:200]
    book.save(path)
    return Path(path)


def _xlsx_value(value):
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def _answer_value(question, draft: Draft):
    """A draft's answer for a spreadsheet: a count as a number, a choice as its label,
    "not found" for an abstention, "(failed)" for a failure."""
    if draft.answer is None:
        return NOT_FOUND if draft.status == "abstained" else f"({draft.status})"
    if isinstance(draft.answer, bool) or not isinstance(draft.answer, int | float):
        try:
            return question.answer_label(draft.answer)
        except ValueError:  # an answer an older bank allowed: show it as stored
            return _cell(draft.answer)
    return draft.answer


def long_rows(bank: QuestionBank, reports: list[ReportRecord], drafts: dict[str, list[Draft]]):
    for report in reports:
        for d in sorted(
            drafts.get(report.report_id, []),
            key=lambda d: bank.ids.index(d.question_id) if d.question_id in bank.ids else 999,
        ):
            q = bank.get(d.question_id)
            yield {
                "report_id": report.report_id,
                "report": report.display_name,
                "file_name": report.file_name,
                "partnership": report.partnership,
                "period": report.period,
                "question_id": d.question_id,
                "question": q.text,
                "answer": d.answer if isinstance(d.answer, int | float) else _cell(d.answer),
                "answer_label": _answer_value(q, d),
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
                "created_at_utc": utc_datetime(d.created_at),
            }


def wide_rows(bank: QuestionBank, reports: list[ReportRecord], drafts: dict[str, list[Draft]]):
    for report in reports:
        by_q = {d.question_id: d for d in drafts.get(report.report_id, [])}
        row = {
            "report_id": report.report_id,
            "report": report.display_name,
            "file_name": report.file_name,
            "partnership": report.partnership,
            "period": report.period,
        }
        for q in bank.questions:
            d = by_q.get(q.id)
            if d is None:
                row[q.id] = "" if q.answerable_from_text else "(reviewer-entered)"
            else:
                row[q.id] = _answer_value(q, d)
        yield row


def export_drafts(
    bank: QuestionBank,
    reports: list[ReportRecord],
    drafts: dict[str, list[Draft]],
    out_dir: Path,
    stem: str = "drafts",
) -> dict[str, Path]:
    """Write wide + long CSV, a two-sheet XLSX and JSON; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    long = list(long_rows(bank, reports, drafts))
    wide = list(wide_rows(bank, reports, drafts))
    wide_cols = ["report_id", "report", "file_name", "partnership", "period", *bank.ids]
    paths = {
        "wide_csv": out_dir / f"{stem}-wide.csv",
        "long_csv": out_dir / f"{stem}-long.csv",
        "xlsx": out_dir / f"{stem}.xlsx",
        "json": out_dir / f"{stem}.json",
    }
    write_csv(paths["wide_csv"], wide_cols, wide)
    write_csv(paths["long_csv"], LONG_COLUMNS, long)
    ids = {"report_id": 14, "report": 30, "file_name": 24, "partnership": 30, "period": 9}
    long_widths = dict(ids, question=50, answer=14, answer_label=30, citations=60, error=30)
    write_xlsx(
        paths["xlsx"],
        [
            ("by report", wide_cols, wide, dict(ids, **{q: 16 for q in bank.ids})),
            ("drafts", LONG_COLUMNS, long, long_widths),
        ],
    )
    paths["json"].write_text(
        json.dumps([d.to_json() for ds in drafts.values() for d in ds], indent=1, default=str),
        encoding="utf-8",
    )
    return paths
