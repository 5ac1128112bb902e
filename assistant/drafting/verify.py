"""Quote verification: is a cited quote really on the page it cites?

Status ladder: exact → normalised (case, whitespace, hyphenation, quote/dash styles) → fuzzy
(rapidfuzz alignment above a threshold) → not_found. The matched character span in the
normalised page text is returned so the UI can highlight it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

FUZZY_THRESHOLD = 90.0
_TRANSLATE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


@dataclass(frozen=True)
class QuoteCheck:
    """Outcome of locating one quote in one page."""

    status: str  # exact | normalised | fuzzy | not_found
    start: int | None = None
    end: int | None = None
    score: float = 0.0

    @property
    def verified(self) -> bool:
        return self.status != "not_found"


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Lower-cased, whitespace-collapsed text plus, per output char, its index in `text`."""
    out: list[str] = []
    positions: list[int] = []
    index = 0
    text = text.translate(_TRANSLATE)
    while index < len(text):
        ch = text[index]
        # a hyphen at a line end joins the word ("manage-\nment")
        if ch == "-" and text[index + 1 : index + 2] == "\n" and out and out[-1].isalnum():
            index += 2
            continue
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                positions.append(index)
            index += 1
            continue
        for piece in unicodedata.normalize("NFKC", ch).lower():
            out.append(piece)
            positions.append(index)
        index += 1
    while out and out[-1] == " ":
        out.pop()
        positions.pop()
    return "".join(out), positions


def verify_quote(quote: str, page_text: str, threshold: float = FUZZY_THRESHOLD) -> QuoteCheck:
    """Locate `quote` in `page_text`; spans index into `page_text`."""
    quote = quote.strip().strip('"').strip()
    if not quote or not page_text:
        return QuoteCheck("not_found")
    start = page_text.find(quote)
    if start >= 0:
        return QuoteCheck("exact", start, start + len(quote), 100.0)
    norm_page, positions = _normalise_with_map(page_text)
    norm_quote, _ = _normalise_with_map(quote)
    norm_quote = norm_quote.strip(" .")
    if not norm_quote:
        return QuoteCheck("not_found")
    found = norm_page.find(norm_quote)
    if found >= 0:
        end = positions[found + len(norm_quote) - 1] + 1
        return QuoteCheck("normalised", positions[found], end, 100.0)
    if len(norm_quote) < 12:  # too short for a fuzzy match to mean anything
        return QuoteCheck("not_found")
    alignment = fuzz.partial_ratio_alignment(norm_quote, norm_page, score_cutoff=threshold)
    if alignment is None:
        best = fuzz.partial_ratio(norm_quote, norm_page)
        return QuoteCheck("not_found", score=round(best, 1))
    start_n, end_n = alignment.dest_start, alignment.dest_end
    # partial_ratio aligns quote-length windows; reject when the quote is much longer
    if (end_n - start_n) < 0.8 * len(norm_quote):
        return QuoteCheck("not_found", score=round(alignment.score, 1))
    return QuoteCheck(
        "fuzzy",
        positions[start_n],
        positions[max(end_n - 1, start_n)] + 1,
        round(alignment.score, 1),
    )


def words(text: str) -> list[str]:
    """Word tokens (for quote length limits)."""
    return re.findall(r"\S+", text)
