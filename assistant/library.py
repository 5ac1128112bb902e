"""ReportStore: ingested reports and their normalised page text, in SQLite."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import PARSER_VERSION
from assistant.db import Database
from assistant.errors import NotFoundError, ReviewAssistantError
from assistant.ingest.pdf import ParsedReport
from assistant.unicode import path_from_printable, printable_name


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
    def path(self) -> Path:
        """The file to read pages from. A name holding bytes that are not UTF-8 is stored
        with them written out ("report-\\xff.pdf", as SQLite can hold it); this is the file
        of that name when there is one."""
        stored = Path(self.file_path)
        if "\\x" in self.file_path and not stored.exists():
            original = Path(path_from_printable(self.file_path))
            if original.exists():
                return original
        return stored

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


class VersionError(ReviewAssistantError):
    """A new version was asked for that would hide another report or close a loop."""


def identity_key(partnership: str | None, period: str | None) -> tuple[str, str] | None:
    """What makes two files the same partnership's report for the same year (None: unknown)."""
    if not partnership or not period:
        return None
    return " ".join(partnership.casefold().split()), period.strip()


def latest_versions(reports: list[ReportRecord]) -> list[ReportRecord]:
    """`reports` once each, without those another of them is a new version of (a corrected
    copy in the same folder): one report per partnership and period, as `reports` lists them."""
    replaced = {r.previous_version for r in reports}
    seen: set[str] = set()
    kept = []
    for report in reports:
        if report.report_id not in replaced and report.report_id not in seen:
            seen.add(report.report_id)
            kept.append(report)
    return kept


def _current_ids(conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT report_id FROM reports WHERE report_id NOT IN (SELECT previous_version "
            "FROM reports WHERE previous_version IS NOT NULL)"
        )
    ]


def _same_identity(conn, partnership: str | None, period: str | None):
    """The one current report with this partnership and period, or None (also if several)."""
    key = identity_key(partnership, period)
    if key is None:
        return None
    current = set(_current_ids(conn))
    rows = [
        r
        for r in conn.execute("SELECT * FROM reports WHERE period=?", (period,))
        if r["report_id"] in current and identity_key(r["partnership"], r["period"]) == key
    ]
    return rows[0] if len(rows) == 1 else None


def _replaceable(conn, report_id: str):
    """The report a new version may replace: stored, and not replaced already."""
    row = conn.execute("SELECT * FROM reports WHERE report_id=?", (report_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no report with id {report_id}", "list them with `reports`")
    later = conn.execute(
        "SELECT report_id FROM reports WHERE previous_version=?", (report_id,)
    ).fetchone()
    if later is not None:
        raise VersionError(
            f"{report_id[:12]} ({row['file_name']}) was already replaced by {later[0][:12]}",
            f"replace the newest version: --replaces {later[0][:12]}",
        )
    return row


def newest_version(conn, report_id: str) -> str:
    """The current report that a chain of new versions starting at `report_id` ends in."""
    seen = {report_id}
    while True:
        later = conn.execute(
            "SELECT report_id FROM reports WHERE previous_version=? ORDER BY ingested_at, rowid",
            (report_id,),
        ).fetchone()
        if later is None or later[0] in seen:
            return report_id
        report_id = later[0]
        seen.add(report_id)


def _describe(report: ReportRecord) -> str:
    """'Northshire Safeguarding Partnership 2020-21 (3f2a9c1b7d0e)' for hints."""
    return f"{report.display_name} {report.period or 'period ?'} ({report.short_id})"


def _nearest(ref: str, reports: list[ReportRecord], n: int = 3) -> list[ReportRecord]:
    """The reports whose partnership, file name or id looks most like `ref` (closest first)."""
    import difflib

    key = ref.casefold().strip()
    scored = []
    for r in reports:
        forms = [r.partnership or "", Path(r.file_name).stem, r.short_id]
        forms += (r.partnership or "").split()  # one mistyped word of the name
        best = max(
            difflib.SequenceMatcher(None, key, f.casefold()).ratio() for f in forms if f
        )
        scored.append((best, r.report_id, r))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [r for score, _, r in scored[:n] if score >= 0.5]


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
        self,
        parsed: ParsedReport,
        *,
        partnership: str | None = None,
        period: str | None = None,
        replaces: str | None = None,
    ) -> ReportRecord:
        """Store a parsed report and its pages (a no-op when this exact file is stored).

        A file is a new version of a stored report only by a deliberate act: `replaces` names
        that report, or exactly one current report has the same partnership and period (both
        known). A file name never decides: councils publish many `Annual-Report-2020-21.pdf`s.
        """
        # a name's bytes that are not UTF-8 ("\udcff" from the file system) are written out:
        # SQLite refused the name and the file failed
        file_name = printable_name(parsed.path.name)
        partnership = partnership or parsed.partnership
        period = period or parsed.period
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM reports WHERE report_id=?", (parsed.report_id,)
            ).fetchone()
            if row is not None:
                return _record(row)
            if replaces:
                previous = _replaceable(conn, replaces)
                partnership = partnership or previous["partnership"]
                period = period or previous["period"]
            else:
                previous = _same_identity(conn, partnership, period)
            conn.execute(
                "INSERT INTO reports (report_id, file_name, file_path, size_bytes, n_pages, "
                "partnership, period, title, previous_version, parser_version, no_text_pages, "
                "ocr_pages, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    parsed.report_id,
                    file_name,
                    printable_name(str(parsed.path.resolve())),
                    parsed.size_bytes,
                    len(parsed.pages),
                    partnership,
                    period,
                    parsed.title,
                    previous["report_id"] if previous else None,
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

    def mark_replaces(self, report_id: str, replaces: str) -> ReportRecord:
        """Record that a stored report is a new version of another (`ingest --replaces`)."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT previous_version FROM reports WHERE report_id=?", (report_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no report with id {report_id}", "list them with `reports`")
            if row["previous_version"] == replaces:
                return self.get(report_id)
            if report_id == replaces:
                raise VersionError(
                    f"{report_id[:12]} cannot replace itself", "name the report it replaces"
                )
            if row["previous_version"]:
                raise VersionError(
                    f"{report_id[:12]} is already the new version of "
                    f"{row['previous_version'][:12]}",
                    "a report replaces one other report",
                )
            _replaceable(conn, replaces)
            ancestor = replaces
            while ancestor:  # never close a loop: the replaced report may descend from this one
                if ancestor == report_id:
                    raise VersionError(
                        f"{replaces[:12]} is a later version of {report_id[:12]}",
                        "an older version cannot replace a newer one",
                    )
                found = conn.execute(
                    "SELECT previous_version FROM reports WHERE report_id=?", (ancestor,)
                ).fetchone()
                ancestor = found["previous_version"] if found else None
            conn.execute(
                "UPDATE reports SET previous_version=? WHERE report_id=?", (replaces, report_id)
            )
        return self.get(report_id)

    def link_by_identity(self, report_id: str) -> tuple[ReportRecord, ReportRecord] | None:
        """After a stored report's period is set (`--period` on a file already ingested): when
        it and exactly one other current report share partnership and period, the one ingested
        later becomes the new version of the other, as `add` links a new file. Returns (newer,
        older) when it linked them."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT rowid AS seq, * FROM reports WHERE report_id=?", (report_id,)
            ).fetchone()
            key = identity_key(row["partnership"], row["period"]) if row else None
            current = set(_current_ids(conn))
            if key is None or report_id not in current:
                return None
            others = [
                r
                for r in conn.execute(
                    "SELECT rowid AS seq, * FROM reports WHERE period=? AND report_id<>?",
                    (row["period"], report_id),
                )
                if r["report_id"] in current and identity_key(r["partnership"], r["period"]) == key
            ]
            if len(others) != 1:
                return None
            newer, older = (row, others[0]) if row["seq"] > others[0]["seq"] else (others[0], row)
            if newer["previous_version"]:  # already a new version of a third report
                return None
            conn.execute(
                "UPDATE reports SET previous_version=? WHERE report_id=?",
                (older["report_id"], newer["report_id"]),
            )
        return self.get(newer["report_id"]), self.get(older["report_id"])

    def same_partnership_without_period(self, report: ReportRecord) -> list[ReportRecord]:
        """Current reports ingested before `report` with its partnership and, like it, no
        period: two copies of one report that nothing links as versions (no identity)."""
        if report.period or not report.partnership:
            return []
        key = " ".join(report.partnership.casefold().split())
        with self.db.connect() as conn:
            current = set(_current_ids(conn))
            rows = conn.execute(
                "SELECT * FROM reports WHERE period IS NULL AND partnership IS NOT NULL AND "
                "rowid < (SELECT rowid FROM reports WHERE report_id=?) ORDER BY rowid",
                (report.report_id,),
            ).fetchall()
        return [
            _record(r)
            for r in rows
            if r["report_id"] in current and " ".join(r["partnership"].casefold().split()) == key
        ]

    def check_replaceable(self, report_id: str) -> None:
        """Refuse (VersionError) a new version of a report that was replaced already."""
        with self.db.connect() as conn:
            _replaceable(conn, report_id)

    def file_in_use(self, path: Path) -> bool:
        """Whether a stored report reads its pages from this file."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM reports WHERE file_path=?",
                (printable_name(str(Path(path).resolve())),),
            ).fetchone()
        return row is not None

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

    def current_version(self, report_id: str) -> ReportRecord:
        """The report's current version: itself, or the newest of the versions that replaced it."""
        with self.db.connect() as conn:
            report_id = newest_version(conn, report_id)
        return self.get(report_id)

    def older_versions(self, report_id: str) -> list[str]:
        """The ids of the versions `report_id` replaced, newest first (none for a first one)."""
        older: list[str] = []
        with self.db.connect() as conn:
            while True:
                row = conn.execute(
                    "SELECT previous_version FROM reports WHERE report_id=?", (report_id,)
                ).fetchone()
                report_id = row["previous_version"] if row else None
                if not report_id or report_id in older:  # never loop on a damaged chain
                    return older
                older.append(report_id)

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
        ref = printable_name(ref.strip())  # a name typed with a byte that is not UTF-8
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
                heads = {newest_version(conn, r["report_id"]) for r in rows}
                if len(heads) == 1:  # one report's versions under this name: the newest wins
                    return _record(rows[-1])
                if rows:  # different reports share the name: only an id tells them apart
                    options = ", ".join(
                        f"{r['report_id'][:12]} ({r['partnership'] or 'partnership ?'}, "
                        f"{r['period'] or 'period ?'})"
                        for r in rows[:5]
                    )
                    raise NotFoundError(
                        f"'{ref}' is the file name of {len(rows)} different reports: {options}",
                        "give the report id (or a prefix) instead",
                    )
        if not rows:
            return self._by_partnership(ref)
        if len(rows) > 1:
            options = ", ".join(f"{r['report_id'][:12]} ({r['file_name']})" for r in rows[:5])
            raise NotFoundError(
                f"'{ref}' matches {len(rows)} reports: {options}", "give a longer id prefix"
            )
        return _record(rows[0])

    def _by_partnership(self, ref: str) -> ReportRecord:
        """The one current report whose partnership name is `ref` or contains it (any case);
        a miss names the nearest reports ("did you mean ...")."""
        current = self.list()
        if not current:
            raise NotFoundError(
                f"no report matches '{ref}': nothing is ingested yet",
                "ingest first: `review-assistant ingest FOLDER` (or `score FOLDER`)",
            )
        key = " ".join(ref.casefold().split())
        names = {r.report_id: " ".join((r.partnership or "").casefold().split()) for r in current}
        hits = [r for r in current if names[r.report_id] == key] or [
            r for r in current if key and key in names[r.report_id]
        ]
        if len(hits) == 1:
            return hits[0]
        if hits:
            options = ", ".join(_describe(r) for r in hits[:6])
            raise NotFoundError(
                f"'{ref}' matches {len(hits)} reports: {options}",
                "give more of the partnership name, or an id prefix",
            )
        nearest = _nearest(ref, current)
        hint = "use an id, an id prefix, a file name or a partnership name from `reports`"
        if nearest:
            hint = "did you mean " + " or ".join(_describe(r) for r in nearest) + "?"
        raise NotFoundError(f"no report matches '{ref}'", hint)

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
