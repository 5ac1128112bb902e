"""ReportStore: ingested reports and their normalised page text, in SQLite."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import PARSER_VERSION
from assistant.db import Database
from assistant.errors import NotFoundError
from assistant.ingest import ParsedReport


def now_iso() -> str:
    """UTC timestamp for records."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ReportRecord:
    """One stored report version."""

    report_id: str
    file_name: str
    file_path: str
    size_bytes: int
    n_pages: int
    partnership: str | None
    period: str | None
    title: str | None
    previous_version: str | None
    no_text_pages: list[int]
    ocr_pages: list[int]
    ingested_at: str

    @property
    def short_id(self) -> str:
        return self.report_id[:12]

    @property
    def display_name(self) -> str:
        return self.partnership or Path(self.file_name).stem

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["short_id"] = self.short_id
        return data


def _record(row) -> ReportRecord:
    data = dict(row)
    data.pop("parser_version", None)
    data["no_text_pages"] = json.loads(data["no_text_pages"])
    data["ocr_pages"] = json.loads(data["ocr_pages"])
    return ReportRecord(**data)


class ReportStore:
    """Reads and writes reports and pages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def exists(self, report_id: str) -> bool:
        with self.db.connect() as conn:
            row = conn.execute("SELECT 1 FROM reports WHERE report_id=?", (report_id,)).fetchone()
        return row is not None

    def add(
        self, parsed: ParsedReport, *, partnership: str | None = None, period: str | None = None
    ) -> ReportRecord:
        """Store a parsed report and its pages (a no-op when this exact file is stored)."""
        file_name = parsed.path.name
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM reports WHERE report_id=?", (parsed.report_id,)
            ).fetchone()
            if row is not None:
                return _record(row)
            previous = conn.execute(
                "SELECT report_id FROM reports WHERE file_name=? ORDER BY ingested_at DESC, "
                "rowid DESC LIMIT 1",
                (file_name,),
            ).fetchone()
            conn.execute(
                "INSERT INTO reports (report_id, file_name, file_path, size_bytes, n_pages, "
                "partnership, period, title, previous_version, parser_version, no_text_pages, "
                "ocr_pages, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    parsed.report_id,
                    file_name,
                    str(parsed.path.resolve()),
                    parsed.size_bytes,
                    len(parsed.pages),
                    partnership or parsed.partnership,
                    period or parsed.period,
                    parsed.title,
                    previous[0] if previous else None,
                    PARSER_VERSION,
                    json.dumps(parsed.no_text_pages),
                    json.dumps(parsed.ocr_pages),
                    now_iso(),
                ),
            )
            conn.executemany(
                "INSERT INTO pages (report_id, page, text, raw_chars, ocr) VALUES (?,?,?,?,?)",
                [
                    (parsed.report_id, p.number, p.text, p.raw_chars, int(p.ocr))
                    for p in parsed.pages
                ],
            )
        return self.get(parsed.report_id)

    def update_identity(
        self, report_id: str, *, partnership: str | None, period: str | None
    ) -> None:
        """Apply CLI overrides of the detected partnership/period."""
        with self.db.transaction() as conn:
            if partnership:
                conn.execute(
                    "UPDATE reports SET partnership=? WHERE report_id=?", (partnership, report_id)
                )
            if period:
                conn.execute("UPDATE reports SET period=? WHERE report_id=?", (period, report_id))

    def get(self, report_id: str) -> ReportRecord:
        with self.db.connect() as conn:
            row = conn.execute("SELECT * FROM reports WHERE report_id=?", (report_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no report with id {report_id}", "list them with `reports`")
        return _record(row)

    def list(self, *, latest_only: bool = True, period: str | None = None) -> list[ReportRecord]:
        """Reports, newest version of each file only unless asked otherwise."""
        sql = "SELECT * FROM reports"
        params: list = []
        clauses = []
        if latest_only:
            clauses.append(
                "report_id NOT IN (SELECT previous_version FROM reports "
                "WHERE previous_version IS NOT NULL)"
            )
        if period:
            clauses.append("period=?")
            params.append(period)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY COALESCE(partnership, file_name), ingested_at"
        with self.db.connect() as conn:
            return [_record(r) for r in conn.execute(sql, params)]

    def resolve(self, ref: str) -> ReportRecord:
        """A report by id, unique id prefix, or original file name (with or without .pdf)."""
        ref = ref.strip()
        if not ref:
            raise NotFoundError("no report named", "give a report id, id prefix or file name")
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM reports WHERE report_id LIKE ? ORDER BY ingested_at",
                (ref.lower() + "%",),
            ).fetchall()
            if not rows:
                names = {ref, ref + ".pdf", Path(ref).name, Path(ref).name + ".pdf"}
                marks = ",".join("?" * len(names))
                rows = conn.execute(
                    f"SELECT * FROM reports WHERE file_name IN ({marks}) "
                    "ORDER BY ingested_at, rowid",
                    sorted(names),
                ).fetchall()
                if rows:  # the same file name ingested twice: newest version wins
                    return _record(rows[-1])
        if not rows:
            raise NotFoundError(
                f"no report matches '{ref}'",
                "use an id, an id prefix or a file name from `review-assistant reports`",
            )
        if len(rows) > 1:
            options = ", ".join(f"{r['report_id'][:12]} ({r['file_name']})" for r in rows[:5])
            raise NotFoundError(
                f"'{ref}' matches {len(rows)} reports: {options}", "give a longer id prefix"
            )
        return _record(rows[0])

    def pages(self, report_id: str) -> dict[int, str]:
        """Normalised page text by page number."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT page, text FROM pages WHERE report_id=? ORDER BY page", (report_id,)
            ).fetchall()
        return {r["page"]: r["text"] for r in rows}

    def page_text(self, report_id: str, page: int) -> str | None:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT text FROM pages WHERE report_id=? AND page=?", (report_id, page)
            ).fetchone()
        return row["text"] if row else None
