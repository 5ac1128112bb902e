"""A report's own structure for retrieval: its contents page mapped to pages, and sections.

Long reports are organised by chapters whose titles say what they hold ("Learning from
reviews", "Our budget"); a question is often best answered by finding its chapter first. The
contents page (title lines with page numbers, with or without dot leaders) maps titles to
physical pages; where a report has none, the headings carried by the chunks stand in.
Everything here is computed from one report's chunks, so it never depends on other reports.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_TRAILING_NUMBER = re.compile(r"^(?P<title>.*?\S)[\s.·…_-]*?\s(?P<page>\d{1,3})$")
_NUMBER_ONLY = re.compile(r"^\d{1,3}$")
_DOT_LEADER = re.compile(r"(?:\. ?){4,}|…{2,}")
_LETTERS = re.compile(r"[A-Za-z]")


@dataclass
class ReportStructure:
    """Sections of one report: contents-page titles with their page spans."""

    contents_pages: set[int] = field(default_factory=set)
    # (first page, last page, title) in page order; last page inclusive
    sections: list[tuple[int, int, str]] = field(default_factory=list)

    def section_of(self, page: int) -> str | None:
        """The contents-page chapter that covers a physical page."""
        for first, last, title in self.sections:
            if first <= page <= last:
                return title
        return None


def contents_entries(text: str) -> list[tuple[str, int]]:
    """(title, printed page) pairs of a contents page, in order; [] when it is not one.

    Two layouts are recognised: "Title ..... 12" on one line, and the title on one line with
    its page number alone on the next (how many PDF tools extract right-aligned numbers).
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    entries: list[tuple[str, int]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        match = _TRAILING_NUMBER.match(line)
        if (
            _LETTERS.search(line)
            and not _NUMBER_ONLY.match(line)
            and _NUMBER_ONLY.match(following)
            and len(line) <= 90
        ):
            entries.append((_DOT_LEADER.sub(" ", line).strip(" .·…"), int(following)))
            index += 2
            continue
        if match and _LETTERS.search(match["title"]) and len(line) <= 100:
            entries.append((_DOT_LEADER.sub(" ", match["title"]).strip(" .·…"), int(match["page"])))
        index += 1
    pages = [page for _, page in entries]
    # a contents page lists several entries whose page numbers never go backwards
    if len(entries) < 5 or any(b < a for a, b in zip(pages, pages[1:], strict=False)):
        return []
    # most of its lines are entries (a table of figures is not a contents page)
    if 2 * len(entries) * 2 < len(lines):
        return []
    return entries


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def build_structure(pages: dict[int, str], n_pages: int | None = None) -> ReportStructure:
    """The report's structure from its page texts ({physical page: text})."""
    structure = ReportStructure()
    if not pages:
        return structure
    last_page = n_pages or max(pages)
    entries: list[tuple[str, int]] = []
    for number in sorted(pages)[:8]:  # contents pages sit near the front
        found = contents_entries(pages[number])
        if found:
            structure.contents_pages.add(number)
            entries.extend(found)
    if not entries:
        return structure
    # printed page numbers may be offset from physical pages (unnumbered cover, roman front
    # matter): take the shift under which most titles open their page
    shifts: Counter[int] = Counter()
    for title, printed in entries:
        wanted = _words(title)
        for shift in range(-4, 5):
            text = pages.get(printed + shift, "")
            head = "\n".join(text.split("\n")[:6])
            if wanted and wanted <= _words(head):
                shifts[shift] += 1
    shift = shifts.most_common(1)[0][0] if shifts else 0
    starts = sorted(
        {
            (printed + shift, title)
            for title, printed in entries
            if 1 <= printed + shift <= last_page
        }
    )
    for number, (first, title) in enumerate(starts):
        following = starts[number + 1][0] if number + 1 < len(starts) else last_page + 1
        structure.sections.append((first, max(first, following - 1), title))
    return structure
