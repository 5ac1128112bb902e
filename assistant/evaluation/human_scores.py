"""Human audit scores: the CSV users bring, loaded and validated with errors naming line and column.

Format (UTF-8, comma-separated, one row per report x question x auditor; header names are not
case-sensitive and spaces may replace underscores):

    report,question_id,answer,evidence_pages,auditor,notes
    kingsbridge-annual-report-2020-21.pdf,A2,neglect;Domestic abuse,6;7,JS,
    kingsbridge-annual-report-2020-21.pdf,C8,Partly evidenced,,JS,data but no trend

- report: the file name (with or without .pdf) or the report id / id prefix.
- question_id: an id of the question bank (case-insensitive).
- answer: in the question's answer type, as `question.validate_answer` accepts it: a slug or
  label ("partly", "Partly evidenced"), a whole number for counts and ladder levels, for a
  multi-select the chosen slugs or labels separated by ";" (write "none" for no option).
- evidence_pages (optional): 1-based physical page numbers, "3;7", "3, 7" or a range "3-5".
- auditor (optional): who scored it; several auditors may score the same report and question.
- notes (optional): free text, kept but not scored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import ReviewAssistantError
from assistant.questions import AnswerType, Question, QuestionBank, UnknownQuestionError

COLUMNS = ("report", "question_id", "answer", "evidence_pages", "auditor", "notes")
REQUIRED = ("report", "question_id", "answer")
ALIASES = {
    "report_id": "report",
    "file": "report",
    "file_name": "report",
    "report_file": "report",
    "question": "question_id",
    "qid": "question_id",
    "id": "question_id",
    "pages": "evidence_pages",
    "evidence": "evidence_pages",
    "evidence_page": "evidence_pages",
    "reviewer": "auditor",
    "scorer": "auditor",
    "rater": "auditor",
    "note": "notes",
    "comment": "notes",
    "comments": "notes",
}
NONE_WORDS = {"none", "(none)", "-", "n/a none"}
MAX_ERRORS = 20
_PAGES = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


class HumanScoresError(ReviewAssistantError):
    """The human-scores CSV is invalid; `problems` lists every error found ("line 4, ...")."""

    def __init__(self, source: str, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS]
        more = (
            f"\n  ... and {len(problems) - MAX_ERRORS} more" if len(problems) > MAX_ERRORS else ""
        )
        super().__init__(
            f"{source}: {len(problems)} problem(s) in the human scores:\n  "
            + "\n  ".join(shown)
            + more,
            "fix the file and run again (the format is in the README, 'Human audit scores')",
        )
        self.problems = problems


@dataclass(frozen=True)
class HumanScore:
    """One auditor's answer to one question for one report, normalised."""

    report: str
    question_id: str
    answer: Any
    evidence_pages: tuple[int, ...] = ()
    auditor: str = ""
    notes: str = ""
    line: int = 0


@dataclass
class HumanScores:
    """All rows of a scores file plus where they came from."""

    source: str
    rows: list[HumanScore] = field(default_factory=list)

    @property
    def auditors(self) -> list[str]:
        return list(dict.fromkeys(r.auditor for r in self.rows))

    @property
    def reports(self) -> list[str]:
        return list(dict.fromkeys(r.report for r in self.rows))

    def by_item(self) -> dict[tuple[str, str], list[HumanScore]]:
        """(report, question id) -> its rows, in file order."""
        items: dict[tuple[str, str], list[HumanScore]] = {}
        for row in self.rows:
            items.setdefault((row.report, row.question_id), []).append(row)
        return items


def _column(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return ALIASES.get(key, key)


def parse_pages(text: str) -> tuple[int, ...]:
    """'3;7', '3, 7', '3-5' -> sorted unique pages; ValueError says what is wrong."""
    pages: set[int] = set()
    for part in re.split(r"[;,\s]+", re.sub(r"\s*-\s*", "-", text.strip())):
        if not part:
            continue
        match = _PAGES.match(part)
        if not match:
            raise ValueError(f"{part!r} is not a page number or range like 3-5")
        start, end = int(match.group(1)), int(match.group(2) or match.group(1))
        if start < 1 or end < start:
            raise ValueError(f"{part!r}: pages start at 1 and ranges go upwards")
        pages.update(range(start, end + 1))
    return tuple(sorted(pages))


def parse_answer(question: Question, raw: str) -> Any:
    """The CSV text of an answer, normalised by the bank (ValueError when not allowed)."""
    text = raw.strip()
    if not text:
        raise ValueError("the answer is empty: give the answer, or leave the row out")
    if question.answer_type is AnswerType.MULTI_SELECT and text.lower() in NONE_WORDS:
        return []
    return question.validate_answer(text)


def format_answer(question: Question, value: Any) -> str:
    """An answer value as the CSV writes it (slugs joined by ';', 'none' for no option)."""
    value = question.validate_answer(value)
    if question.answer_type is AnswerType.MULTI_SELECT:
        return ";".join(value) if value else "none"
    return str(value)


def parse_human_scores(text: str, bank: QuestionBank, source: str = "<scores>") -> HumanScores:
    """Parse and validate CSV text; raises HumanScoresError listing every problem found."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise HumanScoresError(source, ["the file is empty (expected a header row)"]) from None
    columns = [_column(h) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        found = ", ".join(repr(h) for h in header)
        raise HumanScoresError(
            source,
            [
                f"line 1: missing column(s) {', '.join(missing)} (found {found}; expected "
                f"{', '.join(COLUMNS)})"
            ],
        )
    problems: list[str] = []
    rows: list[HumanScore] = []
    seen: dict[tuple[str, str, str], int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(columns):
            problems.append(
                f"line {line}: {len(values)} fields but the header has "
                f"{len(columns)} (quote answers that contain commas)"
            )
            continue
        cell = dict(zip(columns, [v.strip() for v in values], strict=False))
        report = cell.get("report", "")
        if not report:
            problems.append(f"line {line}, column 'report': empty (give the file name or id)")
        try:
            question = bank.get(cell.get("question_id", ""))
        except UnknownQuestionError:
            problems.append(
                f"line {line}, column 'question_id': unknown question "
                f"{cell.get('question_id', '')!r} (known: {', '.join(bank.ids)})"
            )
            continue
        try:
            answer = parse_answer(question, cell.get("answer", ""))
        except ValueError as exc:
            problems.append(f"line {line}, column 'answer': {exc}")
            continue
        try:
            pages = parse_pages(cell.get("evidence_pages", ""))
        except ValueError as exc:
            problems.append(f"line {line}, column 'evidence_pages': {exc}")
            continue
        auditor = cell.get("auditor", "")
        key = (report.lower().removesuffix(".pdf"), question.id, auditor)
        if key in seen:
            problems.append(
                f"line {line}: duplicate of line {seen[key]} (same report, question"
                f" and auditor {auditor or '(none)'})"
            )
            continue
        seen[key] = line
        if report:
            rows.append(
                HumanScore(report, question.id, answer, pages, auditor, cell.get("notes", ""), line)
            )
    if problems:
        raise HumanScoresError(source, problems)
    if not rows:
        raise HumanScoresError(source, ["no score rows after the header"])
    return HumanScores(source, rows)


def load_human_scores(path: Path | str, bank: QuestionBank) -> HumanScores:
    """Load and validate a human-scores CSV file (see the module docstring for the format)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HumanScoresError(
            str(path), [f"cannot read the file: {exc.strerror or exc}"]
        ) from None
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        raise HumanScoresError(
            str(path), [f"not UTF-8 text (byte {exc.start}): save it as 'CSV UTF-8'"]
        ) from None
    return parse_human_scores(text, bank, str(path))


def resolve_reports(
    scores: HumanScores,
    resolve: Callable[[str], str],
    n_pages: Callable[[str], int] | None = None,
) -> dict[str, str]:
    """Map each report reference to a report id; one error lists every unresolved row.

    `resolve(ref)` returns a report id or raises; `n_pages(report_id)` (optional) lets evidence
    pages beyond the end of the report be reported with their line.
    """
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for ref in scores.reports:
        try:
            mapping[ref] = resolve(ref)
        except ReviewAssistantError as exc:
            lines = [str(r.line) for r in scores.rows if r.report == ref]
            problems.append(f"line(s) {', '.join(lines[:8])}, column 'report': {exc.message}")
    if n_pages is not None:
        for row in scores.rows:
            if row.report in mapping and row.evidence_pages:
                last = n_pages(mapping[row.report])
                beyond = [p for p in row.evidence_pages if p > last]
                if beyond:
                    problems.append(
                        f"line {row.line}, column 'evidence_pages': page(s) "
                        f"{beyond} beyond the report's {last} pages"
                    )
    if problems:
        raise HumanScoresError(scores.source, problems)
    return mapping


def write_human_scores(path: Path | str, rows: Iterable[dict], bank: QuestionBank) -> Path:
    """Write rows (dicts with the COLUMNS keys; answer as a value) in the CSV format above."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            question = bank.get(row["question_id"])
            pages: Sequence[int] = row.get("evidence_pages") or ()
            writer.writerow(
                [
                    row["report"],
                    question.id,
                    format_answer(question, row["answer"]),
                    ";".join(str(p) for p in pages),
                    row.get("auditor", ""),
                    row.get("notes", ""),
                ]
            )
    return path
