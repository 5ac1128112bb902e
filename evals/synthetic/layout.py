"""reportlab layout of the synthetic reports, recording where tagged evidence lands.

Flowables carry `qids`; `afterFlowable` adds the physical page number (1-based) to each
question's evidence set. Paragraphs and tables that split across pages or columns pass their
qids on to every part, so evidence split over pages is recorded on all of them.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from evals.synthetic.sections import Break, Grid, Para, Section

PAGE_W, PAGE_H = A4
MARGIN = 56
GUTTER = 18
FULL_W = PAGE_W - 2 * MARGIN
COL_W = (FULL_W - GUTTER) / 2
# Core Helvetica uses WinAnsi: keep to ASCII plus these (no ligatures, no smart quotes).
ALLOWED_EXTRA = set("£")

_base = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=6)
STYLES = {
    "body": _base,
    "title": ParagraphStyle(
        "title", _base, fontName="Helvetica-Bold", fontSize=26, leading=32, spaceAfter=18
    ),
    "subtitle": ParagraphStyle("subtitle", _base, fontSize=16, leading=21, spaceAfter=10),
    "small": ParagraphStyle("small", _base, fontSize=9, textColor=colors.HexColor("#444444")),
    "h1": ParagraphStyle(
        "h1",
        _base,
        fontName="Helvetica-Bold",
        fontSize=17,
        leading=21,
        spaceAfter=10,
        keepWithNext=1,
        textColor=colors.HexColor("#1d3c6e"),
    ),
    "h2": ParagraphStyle(
        "h2",
        _base,
        fontName="Helvetica-Bold",
        fontSize=12,
        leading=15,
        spaceBefore=6,
        spaceAfter=4,
        keepWithNext=1,
    ),
    "bullet": ParagraphStyle("bullet", _base, leftIndent=14, bulletIndent=3, spaceAfter=3),
    "quote": ParagraphStyle(
        "quote",
        _base,
        leftIndent=8,
        rightIndent=8,
        borderPadding=6,
        backColor=colors.HexColor("#eef2f7"),
        spaceBefore=6,
        spaceAfter=10,
    ),
    "cell": ParagraphStyle("cell", _base, fontSize=8.5, leading=10.5, spaceAfter=0),
    "cellbold": ParagraphStyle(
        "cellbold", _base, fontName="Helvetica-Bold", fontSize=8.5, leading=10.5, spaceAfter=0
    ),
}


class _Tagged:
    """Mixin: evidence question ids that survive splitting."""

    qids: tuple[str, ...] = ()
    toc_title: str | None = None

    def split(self, avail_width, avail_height):  # reportlab hook
        parts = super().split(avail_width, avail_height)
        for part in parts:
            part.qids = self.qids
        return parts


class EvParagraph(_Tagged, Paragraph):
    """A Paragraph that records the pages it lands on."""


class EvTable(_Tagged, Table):
    """A Table that records the pages it lands on."""


@dataclass
class Layout:
    """What the layout produced: page count and where things landed."""

    n_pages: int
    evidence: dict[str, set[int]]
    two_column_pages: set[int] = field(default_factory=set)
    scanned_pages: set[int] = field(default_factory=set)


class ScannedPage(_Tagged, Flowable):
    """A whole page drawn as an image of text (no text layer), like a scanned insert."""

    def __init__(self, section: Section, header: str) -> None:
        super().__init__()
        self.section, self.header = section, header

    def wrap(self, avail_width, avail_height):  # reportlab hook
        self.width, self.height = avail_width, avail_height
        return avail_width, avail_height

    def draw(self) -> None:  # reportlab hook
        from PIL import Image, ImageDraw, ImageFont  # Pillow comes with gradio

        scale = 150 / 72  # 150 dpi
        img = Image.new("L", (round(self.width * scale), round(self.height * scale)), 246)
        pen = ImageDraw.Draw(img)
        font, big = ImageFont.load_default(size=21), ImageFont.load_default(size=34)
        x, y = int(MARGIN * scale), int(34 * scale)
        pen.text((x, y), self.header, fill=40, font=font)
        y += 110
        pen.text((x, y), self.section.title, fill=10, font=big)
        y += 70
        for block in self.section.blocks:
            if isinstance(block, Break):
                continue
            if isinstance(block, Grid):
                lines = [
                    "    ".join(f"{c:<34}" if i == 0 else c for i, c in enumerate(row))
                    for row in block.rows
                ]
            else:
                lines = textwrap.wrap(block.text, 88)
            for line in lines:
                pen.text((x, y), line, fill=15, font=font)
                y += 31
            y += 18
        page = self.canv.getPageNumber()
        pen.text(
            (img.width // 2 - 40, img.height - int(36 * scale)), f"Page {page}", fill=40, font=font
        )
        self.canv.drawImage(ImageReader(img), 0, 0, self.width, self.height)


class ReportDoc(BaseDocTemplate):
    """One-column, two-column and scanned page templates; header and footer on text pages."""

    def __init__(self, path: Path, name: str, header_right: str) -> None:
        super().__init__(
            str(path),
            pagesize=A4,
            invariant=1,
            title=f"{name} {header_right}",
            author=name,
            creator="evals.sample_reports",
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=72,
            bottomMargin=56,
        )
        self.name, self.header_right = name, header_right
        top, height = PAGE_H - 72, PAGE_H - 72 - 56
        one = Frame(MARGIN, 56, FULL_W, height, id="main")
        left = Frame(MARGIN, 56, COL_W, height, id="left")
        right = Frame(MARGIN + COL_W + GUTTER, 56, COL_W, height, id="right")
        scan = Frame(0, 0, PAGE_W, PAGE_H, 0, 0, 0, 0, id="scan")
        assert top - height == 56
        self.addPageTemplates(
            [
                PageTemplate("one", [one], onPage=self._decorate),
                PageTemplate("two", [left, right], onPage=self._decorate),
                PageTemplate("scan", [scan]),
            ]
        )
        self.evidence: dict[str, set[int]] = defaultdict(set)
        self.two_column_pages: set[int] = set()
        self.scanned_pages: set[int] = set()

    def _decorate(self, canv, doc) -> None:
        canv.saveState()
        canv.setFont("Helvetica", 8.5)
        canv.setFillColor(colors.HexColor("#333333"))
        canv.drawString(MARGIN, PAGE_H - 36, self.name)
        canv.drawRightString(PAGE_W - MARGIN, PAGE_H - 36, self.header_right)
        canv.setStrokeColor(colors.HexColor("#1d3c6e"))
        canv.line(MARGIN, PAGE_H - 42, PAGE_W - MARGIN, PAGE_H - 42)
        canv.drawCentredString(PAGE_W / 2, 30, f"Page {canv.getPageNumber()}")
        canv.restoreState()

    def beforeDocument(self) -> None:  # reportlab hook; multiBuild runs it per pass
        self.evidence.clear()
        self.two_column_pages.clear()
        self.scanned_pages.clear()

    def afterFlowable(self, flowable) -> None:  # reportlab hook
        page = self.canv.getPageNumber()
        for qid in getattr(flowable, "qids", ()):
            self.evidence[qid].add(page)
        if getattr(flowable, "toc_title", None):
            self.notify("TOCEntry", (0, flowable.toc_title, page))
        template = self.pageTemplate.id
        if template == "two":
            self.two_column_pages.add(page)
        elif template == "scan":
            self.scanned_pages.add(page)


def _check_text(text: str) -> str:
    bad = {c for c in text if not (" " <= c <= "~") and c not in ALLOWED_EXTRA}
    if bad:
        raise ValueError(f"characters Helvetica cannot show safely: {sorted(bad)} in {text!r}")
    return escape(text)


def _flowable(block: Para | Grid | Break, width: float):
    if isinstance(block, Break):
        return PageBreak()
    if isinstance(block, Para):
        p = EvParagraph(
            _check_text(block.text),
            STYLES[block.style],
            bulletText="-" if block.style == "bullet" else None,
        )
        p.qids = block.qids
        return p
    last = len(block.rows) - 1
    bold = {0, last} if block.total_row else {0}
    data = [
        [Paragraph(_check_text(c), STYLES["cellbold" if i in bold else "cell"]) for c in row]
        for i, row in enumerate(block.rows)
    ]
    table = EvTable(data, colWidths=[f * width for f in block.widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b4")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dbe3ee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    table.qids = block.qids
    return [table, Spacer(1, 8)]


def _story(sections: list[Section], name: str, header_right: str) -> list:
    story: list = []
    current = "one"
    for index, section in enumerate(sections):
        template = "scan" if section.scanned else "two" if section.two_column else "one"
        if index and (section.new_page or template != current or current == "scan"):
            story += [NextPageTemplate(template), PageBreak()]
        elif index:
            story.append(Spacer(1, 14))
        current = template
        if section.scanned:
            scan = ScannedPage(section, f"{name}    {header_right}")
            scan.qids = tuple(sorted({q for b in section.blocks for q in b.qids}))
            scan.toc_title = section.title if section.in_toc else None
            story.append(scan)
            continue
        if section.key == "cover":
            story.append(Spacer(1, 150))
        else:
            heading = EvParagraph(_check_text(section.title), STYLES["h1"])
            heading.toc_title = section.title if section.in_toc else None
            story.append(heading)
        if section.key == "contents":
            toc = TableOfContents(dotsMinLevel=0)
            toc.levelStyles = [ParagraphStyle("toc", STYLES["body"], fontSize=11, leading=17)]
            story.append(toc)
        width = COL_W if section.two_column else FULL_W
        for block in section.blocks:
            flow = _flowable(block, width)
            story += flow if isinstance(flow, list) else [flow]
    return story


def render_pdf(sections: list[Section], path: Path, name: str, header_right: str) -> Layout:
    """Lay out the sections into `path` (two passes, for the contents page numbers)."""
    doc = ReportDoc(path, name, header_right)
    doc.multiBuild(_story(sections, name, header_right))
    return Layout(
        doc.page,
        {k: set(v) for k, v in doc.evidence.items()},
        set(doc.two_column_pages),
        set(doc.scanned_pages),
    )


FRAME_H = PAGE_H - 72 - 56


def _section_height(section: Section) -> float:
    """Height in points of a section's content in its frame width (cached on the section)."""
    cached = getattr(section, "_height", None)
    if cached is not None:
        return cached
    width = COL_W if section.two_column else FULL_W
    total = 0.0 if section.key == "cover" else 40.0  # the h1 heading
    for block in section.blocks:
        flow = _flowable(block, width)
        for f in flow if isinstance(flow, list) else [flow]:
            if isinstance(f, PageBreak):
                total = FRAME_H * (total // FRAME_H + 1) if total % FRAME_H else total
                continue
            _, h = f.wrap(width, FRAME_H)
            total += h + getattr(getattr(f, "style", None), "spaceAfter", 0)
    section._height = total
    return total


def estimate_pages(sections: list[Section]) -> int:
    """Pages the layout would take, from each flowable's wrapped height (no rendering; a few
    pages off at most: page-breaking and keep-with-next are not modelled)."""
    pages, used = 0, 0.0  # used: fraction of the current page
    for index, section in enumerate(sections):
        if section.scanned:
            pages += math.ceil(used) if used else 0
            pages, used = pages + 1, 0.0
            continue
        if section.key == "contents":
            height = 40 + 17 * sum(s.in_toc for s in sections)
        else:
            height = _section_height(section)
        share = height / FRAME_H / (2 if section.two_column else 1)
        prev = sections[index - 1] if index else None
        if prev and (section.new_page or prev.scanned or prev.two_column != section.two_column):
            pages += math.ceil(used) if used else 0
            used = share
        else:
            used += share + 14 / FRAME_H
    return pages + math.ceil(used)
