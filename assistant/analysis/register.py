"""The register of every partnership of a period, its compliance figures, and the sample.

A register is a CSV a reviewer keeps: one row per partnership, whether and where its report was
published and when it was sent to the Panel and to What Works (a fact about the report, not
stated inside it: the tool never guesses it). Import replaces the period's register. A sample
for deep dives is drawn from it reproducibly (seeded, optionally stratified) and recorded.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from assistant.db import Database
from assistant.errors import InputFileError, NotFoundError, ReviewAssistantError
from assistant.library import now_iso
from assistant.unicode import printable_name

# CSV header (normalised: lower case, spaces and dashes to "_") -> column
HEADERS = {
    "partnership": "partnership",
    "region": "region",
    "published": "published",
    "report_published": "published",
    "url": "url",
    "report_url": "url",
    "date_published": "date_published",
    "published_on": "date_published",
    "date_sent_to_panel": "date_sent_panel",
    "date_sent_panel": "date_sent_panel",
    "sent_to_panel": "date_sent_panel",
    "date_sent_to_what_works": "date_sent_what_works",
    "date_sent_what_works": "date_sent_what_works",
    "sent_to_what_works": "date_sent_what_works",
}
COLUMNS = (
    "partnership",
    "region",
    "published",
    "url",
    "date_published",
    "date_sent_panel",
    "date_sent_what_works",
)
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y")
WITHIN_DAYS = 7


@dataclass
class RegisterRow:
    period: str
    partnership: str
    region: str = ""
    published: bool | None = None
    url: str = ""
    date_published: str | None = None
    date_sent_panel: str | None = None
    date_sent_what_works: str | None = None
    source_row: int = 0

    def _gap(self, which: str) -> int | None:
        """Days from publication to sending to `which`, when the register has both dates."""
        sent = self.date_sent_panel if which == "panel" else self.date_sent_what_works
        if not (self.published and self.date_published and sent):
            return None
        return (date.fromisoformat(sent) - date.fromisoformat(self.date_published)).days

    def sent_within(self, which: str, days: int = WITHIN_DAYS) -> bool:
        """Sent to `which` ("panel" | "what_works") on the day of publication or up to `days`
        after it. A date before publication is not counted: the register contradicts itself
        (dates swapped or mistyped, or a draft sent ahead), and it is a figure of its own."""
        gap = self._gap(which)
        return gap is not None and 0 <= gap <= days

    def sent_before_publication(self, which: str) -> bool:
        """The register dates the sending to `which` before the report's publication."""
        gap = self._gap(which)
        return gap is not None and gap < 0


@dataclass
class Sample:
    sample_id: str
    period: str
    n: int
    seed: int
    stratify_by: str | None
    population: int
    partnerships: list[str]
    strata: dict[str, list[int]] = field(default_factory=dict)  # stratum -> [population, drawn]
    created_at: str = ""

    def describe(self) -> str:
        how = (
            f"stratified by {self.stratify_by} ("
            + ", ".join(
                f"{s or 'no ' + self.stratify_by}: {d} of {p}" for s, (p, d) in self.strata.items()
            )
            + ")"
            if self.stratify_by
            else "simple random sample"
        )
        return (
            f"{len(self.partnerships)} of {self.population} partnerships drawn at random, "
            f"{how}, seed {self.seed} (sample {self.sample_id})"
        )

    def to_json(self) -> dict:
        return {
            "sample_id": self.sample_id,
            "period": self.period,
            "n": self.n,
            "seed": self.seed,
            "stratify_by": self.stratify_by,
            "population": self.population,
            "partnerships": self.partnerships,
            "strata": self.strata,
            "created_at": self.created_at,
            "description": self.describe(),
        }


def _norm_header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split()).lstrip("\ufeff")


def _date(path: Path, row: int, column: str, value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise InputFileError(
        path,
        f"row {row}: {column} {value!r} is not a date",
        "write dates as YYYY-MM-DD (or DD/MM/YYYY), or leave the cell empty",
    )


def parse_register(path: Path, period: str) -> list[RegisterRow]:
    """Read a register CSV; a bad file or row raises InputFileError naming the file and row."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "no such file", "give the path of the register CSV")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(path, "not UTF-8 text", "save the register as CSV (UTF-8)") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise InputFileError(
            path, "the file is empty", f"the first row names the columns: {', '.join(COLUMNS)}"
        )
    columns = []
    for name in header:
        key = _norm_header(name)
        if key and key not in HEADERS:
            raise InputFileError(
                path,
                f"row 1: unknown column {name.strip()!r}",
                f"use the columns {', '.join(COLUMNS)}",
            )
        columns.append(HEADERS.get(key))
    if "partnership" not in columns:
        raise InputFileError(
            path, "row 1: no 'partnership' column", f"columns: {', '.join(COLUMNS)}"
        )
    rows: list[RegisterRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            raise InputFileError(
                path,
                f"row {number}: {len(cells)} cells but {len(columns)} columns",
                "quote cells that contain commas",
            )
        values = {
            c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(columns) if c
        }
        name = values.get("partnership", "")
        if not name:
            raise InputFileError(path, f"row {number}: no partnership name", "fill it in")
        if name.lower() in seen:
            raise InputFileError(
                path,
                f"row {number}: {name!r} is already on row {seen[name.lower()]}",
                "keep one row per partnership",
            )
        seen[name.lower()] = number
        flag = values.get("published", "").lower()
        if flag and flag not in YES | NO:
            raise InputFileError(
                path,
                f"row {number}: published {values['published']!r} is not yes or no",
                "write yes or no (or leave it empty)",
            )
        row = RegisterRow(
            period=period,
            partnership=name,
            region=values.get("region", ""),
            published=(flag in YES) if flag else None,
            url=values.get("url", ""),
            date_published=_date(path, number, "date_published", values.get("date_published", "")),
            date_sent_panel=_date(
                path, number, "date_sent_panel", values.get("date_sent_panel", "")
            ),
            date_sent_what_works=_date(
                path, number, "date_sent_what_works", values.get("date_sent_what_works", "")
            ),
            source_row=number,
        )
        if row.published is None and (row.date_published or row.url):
            row.published = True
        rows.append(row)
    if not rows:
        raise InputFileError(path, "no partnership rows below the header", "add one per row")
    return rows


SENT_TO = {"panel": "the Panel", "what_works": "What Works"}


def register_warnings(path: Path, rows: list[RegisterRow]) -> list[str]:
    """One line per row whose sending date comes before its publication date, naming the
    file and row: imported as written, not counted as sent within 7 days."""
    out = []
    for row in rows:
        for which, to in SENT_TO.items():
            if row.sent_before_publication(which):
                sent = row.date_sent_panel if which == "panel" else row.date_sent_what_works
                out.append(
                    f"{Path(path).name}: row {row.source_row}: {row.partnership!r} sent to {to} "
                    f"on {sent}, before its publication date {row.date_published}: not counted "
                    "as sent within 7 days; check the dates"
                )
    return out


def no_register(period: str) -> NotFoundError:
    """The error of a period without a register (for `sample` and `register show`)."""
    return NotFoundError(
        f"no register for {period}",
        f"import one first: review-assistant register import FILE.csv --period {period}",
    )


class RegisterStore:
    """The register and the drawn samples (owns their SQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def replace(self, period: str, rows: list[RegisterRow], source_file: str) -> int:
        source_file = printable_name(source_file)  # "\\xff" for a byte that is not UTF-8
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM register WHERE period=?", (period,))
            for r in rows:
                conn.execute(
                    "INSERT INTO register (period, partnership, region, published, url, "
                    "date_published, date_sent_panel, date_sent_what_works, source_file, "
                    "source_row, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        period,
                        r.partnership,
                        r.region,
                        None if r.published is None else int(r.published),
                        r.url,
                        r.date_published,
                        r.date_sent_panel,
                        r.date_sent_what_works,
                        source_file,
                        r.source_row,
                        now_iso(),
                    ),
                )
        return len(rows)

    def rows(self, period: str) -> list[RegisterRow]:
        with self.db.connect() as conn:
            found = conn.execute(
                "SELECT * FROM register WHERE period=? ORDER BY partnership", (period,)
            ).fetchall()
        return [
            RegisterRow(
                period=r["period"],
                partnership=r["partnership"],
                region=r["region"],
                published=None if r["published"] is None else bool(r["published"]),
                url=r["url"],
                date_published=r["date_published"],
                date_sent_panel=r["date_sent_panel"],
                date_sent_what_works=r["date_sent_what_works"],
                source_row=r["source_row"],
            )
            for r in found
        ]

    def save_sample(self, sample: Sample) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM samples WHERE sample_id=?", (sample.sample_id,))
            conn.execute(
                "INSERT INTO samples (sample_id, period, n, seed, stratify_by, population, "
                "partnerships, strata, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    sample.sample_id,
                    sample.period,
                    sample.n,
                    sample.seed,
                    sample.stratify_by,
                    sample.population,
                    json.dumps(sample.partnerships),
                    json.dumps(sample.strata),
                    sample.created_at,
                ),
            )

    def latest_sample(self, period: str) -> Sample | None:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT * FROM samples WHERE period=? ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (period,),
            ).fetchone()
        if row is None:
            return None
        return Sample(
            sample_id=row["sample_id"],
            period=row["period"],
            n=row["n"],
            seed=row["seed"],
            stratify_by=row["stratify_by"],
            population=row["population"],
            partnerships=json.loads(row["partnerships"]),
            strata={k: list(v) for k, v in json.loads(row["strata"]).items()},
            created_at=row["created_at"],
        )


STRATA = ("region",)


def draw_sample(
    rows: list[RegisterRow], period: str, n: int, seed: int, by: str | None = None
) -> Sample:
    """A reproducible sample of `n` partnerships (the published ones when the register says
    which): the same register, n, seed and stratum give the same partnerships.

    Stratified: each stratum gets its proportional share (largest remainder; ties by name), at
    least one where n allows; within it, a seeded draw over the names in sorted order.
    """
    if by is not None and by not in STRATA:
        raise ReviewAssistantError(f"cannot stratify by {by!r}", f"use one of {STRATA}")
    if not rows:
        raise no_register(period)
    population = [r for r in rows if r.published] or rows
    if n < 1 or n > len(population):
        raise ReviewAssistantError(
            f"cannot draw {n} of {len(population)} partnerships",
            f"choose --n between 1 and {len(population)}",
        )
    rng = random.Random(f"{period}:{seed}:{by or ''}")
    names = sorted(r.partnership for r in population)
    if not by:
        drawn = rng.sample(names, n)
        strata: dict[str, list[int]] = {}
    else:
        groups: dict[str, list[str]] = {}
        for r in sorted(population, key=lambda r: r.partnership):
            groups.setdefault(getattr(r, by) or "", []).append(r.partnership)
        total = len(population)
        shares = {g: n * len(m) / total for g, m in groups.items()}
        alloc = {g: int(s) for g, s in shares.items()}
        left = n - sum(alloc.values())
        for g in sorted(groups, key=lambda g: (-(shares[g] - alloc[g]), g))[:left]:
            alloc[g] += 1
        if n >= len(groups):  # every stratum drawn from: one from the most over-allocated
            for g in sorted(groups):
                if alloc[g] == 0:
                    donor = min(
                        (h for h in groups if alloc[h] > 1), key=lambda h: (shares[h] - alloc[h], h)
                    )
                    alloc[donor] -= 1
                    alloc[g] = 1
        drawn = []
        strata = {}
        for g in sorted(groups):
            drawn += rng.sample(groups[g], alloc[g])
            strata[g] = [len(groups[g]), alloc[g]]
    sample_id = f"{period}-n{n}-seed{seed}" + (f"-by-{by}" if by else "")
    return Sample(sample_id, period, n, seed, by, len(population), drawn, strata, now_iso())
