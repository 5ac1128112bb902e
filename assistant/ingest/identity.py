"""Report identity from its first pages: partnership name, reporting period, title line.

Part of ingest (assistant/ingest/pdf.py calls `detect_identity` on the parsed pages).
"""

from __future__ import annotations

import logging
import re
from collections import Counter

log = logging.getLogger(__name__)


_NAME_WORD = r"(?:[A-Z][\w'’&.-]*|and|of|the|upon|on|in)"
_PARTNERSHIP = re.compile(
    # words of a place name, also a list of places: "Ormsgate, Brindlecross and Wetherfold"
    rf"\b({_NAME_WORD}(?:,?[ ]{_NAME_WORD}){{0,8}})"
    r"[ ]+(Safeguarding Children(?:'s)? Partnership|Safeguarding Partnership|"
    r"Safeguarding Children Board|Children'?s Safeguarding Partnership|LSCP)\b"
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# "1 April 2020 to 31 March 2021", "September 2020 - August 2021", "April 2019 until March 2021"
_SPAN = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?({_MONTHS})\s+(20\d\d)\s*(?:[-–—]|to|until)\s*"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?({_MONTHS})\s+(20\d\d)\b",
    re.I,
)
# "2020-21", "2020/21", "2020-2021", "2020 to 2021", and multi-year "2019-21", "2019-2021"
_PERIOD = re.compile(r"\b(20\d\d)\s*(?:[-/–—]|to)\s*(20)?(\d\d)\b(?![-/–]\d)")


def format_period(start: int, end: int) -> str:
    """'2020-21' for one year, '2019-21' for a report covering two (or more) years."""
    return f"{start}-{end % 100:02d}"


_PERIOD_ARG = re.compile(r"(20\d\d)\s*(?:[-/–—_]|to)\s*(20\d\d|\d\d)", re.I)


def normalise_period(text: str | None) -> str | None:
    """A period as the library stores it: '2020/21', '2020-2021', '2020 to 2021' → '2020-21'
    (multi-year '2019/2021' → '2019-21'); anything else is returned stripped, unchanged."""
    if text is None:
        return None
    match = _PERIOD_ARG.fullmatch(text.strip())
    if not match:
        return text.strip()
    start, end = int(match.group(1)), match.group(2)
    end_year = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
    return format_period(start, end_year) if end_year > start else text.strip()


PERIOD_FORMS = "use 2020-21, 2020/21 or 2020-2021 (a report of two or three years: 2019-21)"
_STORED_PERIOD = re.compile(r"(20\d\d)-(\d\d)")


def parse_period(text: str) -> str | None:
    """A period a user gave, as the library stores it, or None when it is not one: one to
    three years, as `detect_period` finds them ('2020/21' → '2020-21', '2019-2021' → '2019-21';
    'banana', '2020-99', '2021-20' → None)."""
    period = normalise_period(text) or ""
    match = _STORED_PERIOD.fullmatch(period)
    if not match:
        return None
    start = int(match.group(1))
    end = start // 100 * 100 + int(match.group(2))
    return period if 1 <= end - start <= 3 else None


def stated_periods(text: str) -> list[tuple[str, int, tuple[int, int]]]:
    """(period, months, where) for each reporting period the text states: a span of dates
    ("1 April 2019 to 31 March 2021": '2019-21', 24 months) or a year label ("2020-21",
    "2020/21", "2020 to 2021": 12 months a year). Never a month or a year alone."""
    found, spans = [], []
    for match in _SPAN.finditer(text):
        start, end = int(match.group(2)), int(match.group(4))
        months = (end - start) * 12 + _month(match.group(3)) - _month(match.group(1)) + 1
        if 1 <= end - start <= 3 and months >= 11:  # a year (or several) of reporting
            found.append((format_period(start, end), months, match.span()))
            spans.append(match.span())
    for match in _PERIOD.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        start, tail = int(match.group(1)), int(match.group(3))
        end = (start // 100) * 100 + tail
        if 1 <= end - start <= 3:
            found.append((format_period(start, end), 12 * (end - start), match.span()))
    return sorted(found, key=lambda f: f[2])


# the words a plan's or strategy's period follows ("Business Plan 2022-25", "our priorities
# 2021-24", "Strategy 2023-2026"): the plan's years, not the reporting period
_PLAN_BEFORE = re.compile(
    r"\b(?:plan|plans|strategy|strategic|priorities|framework|programme)\s*(?:for\s+)?[:(]?\s*$",
    re.I,
)


def period_candidates(page_texts: list[str]) -> Counter[str]:
    """Weighted period mentions of the first pages: the cover counts most, a stated span
    ("1 April 2019 to 31 March 2021") more than a bare year label. A year label a plan or
    strategy names ("Business Plan 2022-25") is the plan's, not the report's: left out."""
    found: Counter[str] = Counter()
    for number, text in enumerate(page_texts[:6]):
        weight = 3 if number == 0 else 1
        for period, _months, (a, b) in stated_periods(text):
            is_span = bool(_SPAN.fullmatch(text[a:b]))
            if not is_span and _PLAN_BEFORE.search(text[max(0, a - 40) : a]):
                continue
            found[period] += 3 * weight if is_span else weight
    return found


def _month(name: str) -> int:
    return _MONTHS.split("|").index(name.lower()) + 1


def detect_period(page_texts: list[str]) -> tuple[str | None, str | None]:
    """(period, why it is uncertain). A one-year ("2020-21"), multi-year ("2019-21") or
    academic-year period from the first pages; None with a reason when the mentions disagree
    and nothing (the cover, a stated span) settles it, rather than a guess."""
    found = period_candidates(page_texts)
    if not found:
        return None, "no reporting period found on the first pages"
    ranked = found.most_common()
    best, score = ranked[0]
    if len(ranked) > 1:
        runner, second = ranked[1]
        # a multi-year report mentions its single years too: the span that contains them wins
        if _contains(best, runner) or _contains(runner, best):
            wider = best if _contains(best, runner) else runner
            if found[wider] >= 3:  # stated on the cover or as a span, not merely mentioned
                return wider, None
        if score < 2 * second:
            return None, (
                f"reporting period unclear: {best} and {runner} are both given; "
                "set it with --period"
            )
    return best, None


def _contains(wide: str, narrow: str) -> bool:
    a, b = int(wide[:4]), int(wide[:2] + wide[5:])
    c, d = int(narrow[:4]), int(narrow[:2] + narrow[5:])
    return (a, b) != (c, d) and a <= c and d <= b


def _place_list(words: str) -> str:
    """The place name before "Safeguarding ...": a list of places ("Ormsgate, Brindlecross
    and Wetherfold") is kept whole, a signature before it ("Jo Bloggs, Independent Chair,
    Ravensholt") is not: earlier comma parts must be one or two capitalised words."""
    parts = [part.strip() for part in words.split(",")]
    kept = [parts[-1]]
    for part in reversed(parts[:-1]):
        tokens = part.split()
        if not (1 <= len(tokens) <= 2 and all(t[:1].isupper() for t in tokens)):
            break
        kept.insert(0, part)
    # and the document's own words before it: "Joint Annual Report of the Caddonshire ..."
    return _LEADING.sub("", ", ".join(kept)).strip(" ,")


_LEADING = re.compile(
    r"^(?:(?:The|the|and|of|on|in|for|from|Joint|Annual|Yearly|Report|Review|Summary|Statement"
    r"|Executive)\s+)+"
)


def detect_identity(page_texts: list[str]) -> tuple[str | None, str | None, str | None]:
    """Partnership name, period ("2020-21", "2019-21") and a title line, from the first
    pages' text. An unclear period is None (logged), never a guess."""
    head = "\n".join(page_texts[:3])
    # a name broken over lines: "Castlereach Children's Safeguarding\nPartnership",
    # "Ormsgate, Brindlecross and Wetherfold\nSafeguarding Children Partnership"
    joined = re.sub(r"\n(?=(?:Partnership|Safeguarding|Board|Children)\b)", " ", head)
    partnership = None
    names: Counter[str] = Counter()
    for match in _PARTNERSHIP.finditer(joined):
        lead = _place_list(match.group(1))
        names[f"{lead} {match.group(2)}".strip()] += 1
    if names:
        # the fullest form of the name: "Brindlecross and Wetherfold ..." is part of
        # "Ormsgate, Brindlecross and Wetherfold ..."
        top = names.most_common(1)[0][0]
        partnership = max((n for n in names if n.endswith(top)), key=len)
    period, doubt = detect_period(page_texts)
    if doubt:
        log.info("%s", doubt)
    title = next((line for line in head.split("\n") if len(line.strip()) > 8), None)
    return partnership, period, title
