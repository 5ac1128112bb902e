"""What the reviewer app shows, as plain data: tables, labels and cited pages.

No Gradio here, so this can be tested and reused without the UI. Report text is data: it goes
into table cells and text boxes as text, and anything that becomes HTML is escaped first.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.service import Assistant

if TYPE_CHECKING:
    from PIL import Image

    from assistant.drafting.store import Citation, Draft
    from assistant.library import ReportRecord
    from assistant.questions import Question

# PDFium is not thread-safe and Gradio runs handlers in a thread pool.
_PDFIUM_LOCK = threading.Lock()
STATUS_LABEL = {
    "undecided": "• to review",
    "accepted": "✓ accepted",
    "edited": "✎ edited",
    "rejected": "✗ rejected",
    "entered": "✎ entered",
}
VERIFICATION_LABEL = {
    "exact": "✓ exact",
    "normalised": "✓ normalised",
    "fuzzy": "≈ fuzzy",
    "not_found": "✗ not found",
    "invalid_block": "✗ invalid block",
}


def report_label(report: ReportRecord) -> str:
    """'Oxleigh CSP · 2020-21 · oxleigh.pdf' for pickers (the file name once if no partnership)."""
    parts = [report.partnership] if report.partnership else []
    parts += [report.period or "period ?", report.file_name]
    return " · ".join(parts)


def report_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """(label, report_id) pairs for report pickers."""
    return [(report_label(r), r.report_id) for r in assistant.list_reports()]


LIBRARY_HEADERS = [
    "Partnership",
    "Period",
    "File",
    "Pages",
    "Flagged pages",
    "Drafts",
    "Reviewed",
    "Id",
]


def library_rows(assistant: Assistant, search: str = "") -> list[list[Any]]:
    """One row per report for the Library table; `search` keeps the rows containing it
    (case-insensitive, any column)."""
    ids = assistant.bank.ids
    describe_pages = assistant.describe_pages
    needle = " ".join((search or "").lower().split())
    rows = []
    for r in assistant.list_reports():
        flags = []
        if r.no_text_pages:
            flags.append(f"no text: {describe_pages(r.no_text_pages)}")
        if r.ocr_pages:
            flags.append(f"OCR: {describe_pages(r.ocr_pages)}")
        drafts = assistant.drafts.for_report(r.report_id)
        if drafts:
            engines = ", ".join(sorted({d.engine for d in drafts}))
            words = {"abstained": "not found", "flagged": "flagged", "failed": "failed"}
            counts = [
                f"{n} {words[status]}"
                for status in words
                if (n := sum(d.status == status for d in drafts))
            ]
            draft_text = f"{len(drafts)} ({engines})" + "".join(f", {c}" for c in counts)
        else:
            draft_text = "not drafted"
        reviewed, total = assistant.review_progress(r.report_id, ids)
        row = [
            r.partnership or "(not detected)",
            r.period or "(not detected)",
            r.file_name,
            r.n_pages,
            "; ".join(flags) or "none",
            draft_text,
            f"{reviewed}/{total}",
            r.short_id,
        ]
        if needle and needle not in " ".join(str(v) for v in row).lower():
            continue
        rows.append(row)
    return rows


def fmt_answer(question: Question | None, value: Any) -> str:
    text = Assistant.answer_text(question, value)
    return text if text else "(no answer)"


def short(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- trust ---------------------------------------------------------------------------------
def trust_level(draft: Draft | None) -> tuple[str, str]:
    """('high', 'usually right on reports like this') for a draft; ('', '') for none (the
    service's levels, which its queue orders also sort by)."""
    return Assistant.trust_level(draft)


# --- evidence ------------------------------------------------------------------------------
CITATION_HEADERS = ["#", "Page", "Quote found?", "Relevant?", "Quote"]


def citation_rows(
    citations: list[Citation], relevance: dict[int, bool], added: list[dict]
) -> list[list[Any]]:
    """Drafted citations (numbered from 1) then reviewer-added passages (+1, +2...)."""
    rows = []
    for index, c in enumerate(citations, start=1):
        flag = relevance.get(index, c.relevant)
        rel = "" if flag is None else ("yes" if flag else "NOT relevant")
        rows.append(
            [
                str(index),
                c.page or "",
                VERIFICATION_LABEL.get(c.verification, c.verification),
                rel,
                c.quote,
            ]
        )
    for n, p in enumerate(added, start=1):
        found = VERIFICATION_LABEL.get(p.get("verification", ""), "no quote")
        rows.append([f"+{n}", p["page"], found, f"added by {p['reviewer']}", p.get("quote", "")])
    return rows


def mark_span(text: str, start: int | None, end: int | None) -> str:
    """Page text as escaped HTML, the cited span wrapped in <mark> (the only markup)."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return f'<div class="page-text">{html.escape(text)}</div>'
    return (
        f'<div class="page-text">{html.escape(text[:start])}'
        f'<mark id="cited-span">{html.escape(text[start:end])}</mark>'
        f"{html.escape(text[end:])}</div>"
    )


@dataclass
class PageView:
    """A cited page ready to show: heading, image (None if the PDF is gone) and text HTML."""

    heading: str
    image: Image.Image | None
    text_html: str


def page_view(
    assistant: Assistant,
    report: ReportRecord,
    page: int,
    quote: str = "",
    *,
    span: tuple[int | None, int | None] | None = None,
    verification: str | None = None,
    label: str = "",
) -> PageView:
    """The page with the quoted passage highlighted in its text and on its rendered image."""
    text = assistant.page_texts(report.report_id).get(page, "")
    start, end = span or (None, None)
    if quote and (start is None or end is None):
        start, end, status = assistant.locate_quote(quote, text)
        verification = verification or status
    status = VERIFICATION_LABEL.get(verification or "", verification or "no quote")
    heading = f"**{html.escape(label)} Page {page} of {report.n_pages}** · quote on page: {status}"
    image, note = render_page(report.path, page, quote)
    if note:
        heading += f" · {html.escape(note)}"
    return PageView(heading, image, mark_span(text, start, end))


def render_page(path: Path, page: int, quote: str = "", scale: float = 1.4):
    """(PIL image of the page with the quote's lines highlighted, note); (None, why) if not."""
    if not path.exists():
        return None, f"PDF not found at {path}: showing the text only"
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if not 1 <= page <= len(pdf):
                return None, f"the PDF has no page {page}"
            pdf_page = pdf[page - 1]
            # a huge page gets a lower scale
            image, scale = Assistant.render_pdf_page(pdf_page, scale)
            image = image.convert("RGB")
            rects = _quote_rects(pdf_page, quote) if quote else []
            height = pdf_page.get_height()
        finally:
            pdf.close()
    if rects:
        overlay = ImageDraw.Draw(image, "RGBA")
        for left, bottom, right, top in rects:
            box = (
                left * scale - 2,
                (height - top) * scale - 2,
                right * scale + 2,
                (height - bottom) * scale + 2,
            )
            overlay.rectangle(box, fill=(255, 212, 0, 90), outline=(220, 120, 0, 255), width=2)
    return image, ("" if rects or not quote else "quote not located on the image")


def _quote_rects(pdf_page, quote: str) -> list[tuple[float, float, float, float]]:
    # PDFium's own text differs from the stored text in line breaks; verify_quote's
    # normalised matching finds the span in PDFium's characters, which map to boxes.
    textpage = pdf_page.get_textpage()
    try:
        raw = textpage.get_text_range()
        start, end, _ = Assistant.locate_quote(quote, raw)
        if start is None or end is None:
            return []
        n = textpage.count_rects(start, end - start)
        return [textpage.get_rect(i) for i in range(n)]
    finally:
        textpage.close()


# --- the page browser ----------------------------------------------------------------------
PAGE_HEADERS = ["Page", "Words", "Hits", "Starts with"]


def find_hits(text: str, query: str) -> list[tuple[int, int]]:
    """(start, end) of every case-insensitive occurrence of `query` in `text`."""
    needle = query.strip().lower()
    if not needle:
        return []
    hay = text.lower()
    hits, at = [], hay.find(needle)
    while at >= 0:
        hits.append((at, at + len(needle)))
        at = hay.find(needle, at + len(needle))
    return hits


def mark_hits(text: str, query: str) -> str:
    """Page text as escaped HTML with every hit of `query` in <mark class="hit">."""
    parts, last = [], 0
    for n, (start, end) in enumerate(find_hits(text, query)):
        parts.append(html.escape(text[last:start]))
        parts.append(f'<mark class="hit" data-hit="{n}">{html.escape(text[start:end])}</mark>')
        last = end
    parts.append(html.escape(text[last:]))
    return f'<div class="page-text">{"".join(parts)}</div>'


def page_rows(texts: dict[int, str], n_pages: int, query: str = "") -> list[list[Any]]:
    """One row per page: number, words, hits of `query`, its first words (or why none)."""
    rows = []
    for page in range(1, n_pages + 1):
        text = texts.get(page, "")
        words = len(text.split())
        start = short(text, 70) if words else "(no text: image-only or scanned page)"
        hits = len(find_hits(text, query)) if query.strip() else ""
        if query.strip() and not hits:
            continue
        rows.append([page, words, hits, start])
    return rows
