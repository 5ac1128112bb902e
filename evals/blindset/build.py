"""Build the blind-set report PDFs from their text sources, and check the key against them.

    python evals/blindset/build.py                 # build reports/<name>_<period>.pdf
    python evals/blindset/build.py --check         # build into a temp dir and check the key
    python evals/blindset/build.py --locate "text" # which built pages contain a phrase
    python evals/blindset/build.py --write-gold    # regenerate gold.csv from key.yaml
    python evals/blindset/build.py --set evals/blindset2 [...]   # the same for another set

Source format (``sources/<name>.md``), deliberately small:
  front matter between ``---`` lines: title, subtitle, header, period, cover_lines (``;``-separated)
  ``# H``   section heading: starts a new page, listed in the contents
  ``## H``  sub-heading, listed in the contents (indented)
  ``### H`` minor heading, not listed
  ``<<<page>>>``  page break          ``[[contents]]``  the contents page
  ``- item``  bullet                 ``> text``  boxed call-out
  ``| a | b |``  table row (first row of a block is the header; ``|---|`` rows ignored)
  ``!! figure | caption``  an infographic tile (consecutive tiles form a grid)
  ``**bold**`` and ``*italic*`` inline.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    ActionFlowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

HERE = Path(__file__).resolve().parent  # the set: sources/, key.yaml, gold.csv, reports/
SOURCES = HERE / "sources"
REPORTS = HERE / "reports"


def use_set(folder: Path) -> None:
    """Build and check another set laid out like this one (evals/blindset2: --set)."""
    global HERE, SOURCES, REPORTS
    HERE = Path(folder).resolve()
    SOURCES, REPORTS = HERE / "sources", HERE / "reports"

_SS = getSampleStyleSheet()
BODY = ParagraphStyle(
    "body", parent=_SS["BodyText"], fontName="Helvetica", fontSize=10, leading=14, spaceAfter=6
)
BULLET = ParagraphStyle("bullet", parent=BODY, leftIndent=14, bulletIndent=4, spaceAfter=3)
H1 = ParagraphStyle(
    "h1",
    parent=_SS["Heading1"],
    fontName="Helvetica-Bold",
    fontSize=17,
    leading=21,
    spaceAfter=10,
    textColor=colors.HexColor("#1f3b5a"),
)
H2 = ParagraphStyle(
    "h2",
    parent=_SS["Heading2"],
    fontName="Helvetica-Bold",
    fontSize=13,
    leading=16,
    spaceBefore=8,
    spaceAfter=6,
    textColor=colors.HexColor("#2d5f8a"),
)
H3 = ParagraphStyle(
    "h3",
    parent=_SS["Heading3"],
    fontName="Helvetica-Bold",
    fontSize=10.5,
    leading=14,
    spaceBefore=6,
    spaceAfter=3,
)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8.5, leading=11, spaceAfter=0)
CELLH = ParagraphStyle("cellh", parent=CELL, fontName="Helvetica-Bold", textColor=colors.white)
TILE_N = ParagraphStyle(
    "tilen",
    parent=BODY,
    fontName="Helvetica-Bold",
    fontSize=20,
    leading=24,
    alignment=TA_CENTER,
    textColor=colors.HexColor("#1f3b5a"),
)
TILE_T = ParagraphStyle("tilet", parent=BODY, fontSize=8.5, leading=11, alignment=TA_CENTER)
COVER_T = ParagraphStyle("covert", parent=H1, fontSize=26, leading=32, alignment=TA_CENTER)
COVER_S = ParagraphStyle("covers", parent=BODY, fontSize=14, leading=20, alignment=TA_CENTER)
BOX = ParagraphStyle("box", parent=BODY, fontName="Helvetica-Oblique")


def _inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", text)
    return text


def parse_source(path: Path) -> tuple[dict, list[tuple[str, object]]]:
    """Return (front matter, blocks); a block is (kind, payload)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    meta: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        for ln in lines[1:end]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                meta[k.strip()] = v.strip()
        lines = lines[end + 1 :]
    blocks: list[tuple[str, object]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("p", " ".join(s.strip() for s in para)))
            para.clear()

    for raw in lines:
        ln = raw.rstrip()
        s = ln.strip()
        if not s:
            flush()
            continue
        if s.startswith("<!--"):
            continue
        if s == "<<<page>>>":
            flush()
            blocks.append(("pagebreak", None))
            continue
        if s == "[[contents]]":
            flush()
            blocks.append(("contents", None))
            continue
        if s.startswith("### "):
            flush()
            blocks.append(("h3", s[4:]))
            continue
        if s.startswith("## "):
            flush()
            blocks.append(("h2", s[3:]))
            continue
        if s.startswith("# "):
            flush()
            blocks.append(("h1", s[2:]))
            continue
        if s.startswith("- "):
            flush()
            blocks.append(("li", s[2:]))
            continue
        if s.startswith("> "):
            flush()
            blocks.append(("box", s[2:]))
            continue
        if s.startswith("!! "):
            flush()
            num, _, cap = s[3:].partition("|")
            if blocks and blocks[-1][0] == "tiles":
                blocks[-1][1].append((num.strip(), cap.strip()))
            else:
                blocks.append(("tiles", [(num.strip(), cap.strip())]))
            continue
        if s.startswith("|"):
            flush()
            cells = [c.strip() for c in s.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(cells)
            else:
                blocks.append(("table", [cells]))
            continue
        para.append(s)
    flush()
    return meta, blocks


class _Mark(ActionFlowable):
    """Zero-size flowable recording the page a heading lands on."""

    def __init__(self, level: int, title: str, sink: list):
        super().__init__()
        self.level, self.title, self.sink = level, title, sink

    def apply(self, doc) -> None:  # noqa: D401 - reportlab hook
        self.sink.append((self.level, self.title, doc.page))


def _table(rows: list[list[str]]) -> Table:
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    data = [
        [Paragraph(_inline(c), CELLH if i == 0 else CELL) for c in r] for i, r in enumerate(rows)
    ]
    avail = A4[0] - 40 * mm
    first = avail * (0.34 if width > 2 else 0.5)
    col = [first] + [(avail - first) / (width - 1)] * (width - 1) if width > 1 else [avail]
    t = Table(data, colWidths=col, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#2d5f8a")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9fb3c8")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef3f8")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def _tiles(items: list[tuple[str, str]]) -> Table:
    per = 3
    cells = [[Paragraph(_inline(n), TILE_N), Paragraph(_inline(c), TILE_T)] for n, c in items]
    rows = []
    for i in range(0, len(cells), per):
        chunk = cells[i : i + per]
        chunk += [""] * (per - len(chunk))
        rows.append(chunk)
    w = (A4[0] - 40 * mm) / per
    t = Table(rows, colWidths=[w] * per)
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#2d5f8a")),
                ("INNERGRID", (0, 0), (-1, -1), 3, colors.white),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#e3edf6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return t


def _story(meta: dict, blocks, toc: list, sink: list) -> list:
    story: list = []
    story.append(Spacer(1, 60 * mm))
    story.append(Paragraph(_inline(meta.get("title", "")), COVER_T))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(_inline(meta.get("subtitle", "")), COVER_S))
    for ln in filter(None, (s.strip() for s in meta.get("cover_lines", "").split(";"))):
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(_inline(ln), COVER_S))
    first_h1 = True
    for kind, payload in blocks:
        if kind == "contents":
            story.append(PageBreak())
            story.append(Paragraph("Contents", H1))
            rows = []
            for level, title, page in toc:
                style = CELL if level == 1 else ParagraphStyle("ci", parent=CELL, leftIndent=12)
                rows.append([Paragraph(_inline(title), style), Paragraph(str(page), CELL)])
            t = Table(rows, colWidths=[A4[0] - 60 * mm, 20 * mm])
            t.setStyle(
                TableStyle(
                    [
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                    ]
                )
            )
            story.append(t)
        elif kind == "pagebreak":
            story.append(PageBreak())
        elif kind == "h1":
            story.append(PageBreak())
            first_h1 = False
            story.append(_Mark(1, payload, sink))
            story.append(Paragraph(_inline(payload), H1))
        elif kind == "h2":
            story.append(_Mark(2, payload, sink))
            story.append(Paragraph(_inline(payload), H2))
        elif kind == "h3":
            story.append(Paragraph(_inline(payload), H3))
        elif kind == "p":
            story.append(Paragraph(_inline(payload), BODY))
        elif kind == "li":
            story.append(Paragraph(_inline(payload), BULLET, bulletText="\u2022"))
        elif kind == "box":
            t = Table([[Paragraph(_inline(payload), BOX)]], colWidths=[A4[0] - 44 * mm])
            t.setStyle(
                TableStyle(
                    [
                        ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#2d5f8a")),
                        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f4f7fa")),
                        ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ]
                )
            )
            story.append(KeepTogether([Spacer(1, 3), t, Spacer(1, 6)]))
        elif kind == "table":
            story.append(_table(payload))
            story.append(Spacer(1, 8))
        elif kind == "tiles":
            story.append(_tiles(payload))
            story.append(Spacer(1, 8))
    del first_h1
    return story


def _numbered_canvas(header: str):
    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self._saved: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab API
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                n = self._pageNumber
                if n > 1:
                    self.setFont("Helvetica", 8)
                    self.setFillColor(colors.HexColor("#555555"))
                    self.drawString(20 * mm, A4[1] - 12 * mm, header)
                    self.line(20 * mm, A4[1] - 14 * mm, A4[0] - 20 * mm, A4[1] - 14 * mm)
                self.setFont("Helvetica", 8)
                self.drawCentredString(A4[0] / 2, 10 * mm, f"Page {n} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build_one(src: Path, out_dir: Path) -> tuple[Path, list]:
    meta, blocks = parse_source(src)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{src.stem}_{meta['period']}.pdf"
    toc: list = [
        (lvl, t, 0)
        for lvl, t in ((1 if k == "h1" else 2, p) for k, p in blocks if k in ("h1", "h2"))
    ]
    for _ in range(3):  # converge the contents page numbers
        sink: list = []
        doc = SimpleDocTemplate(
            str(out),
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=20 * mm,
            bottomMargin=18 * mm,
            title=meta.get("title", ""),
            author=meta.get("header", ""),
        )
        doc.build(_story(meta, blocks, toc, sink), canvasmaker=_numbered_canvas(meta["header"]))
        if sink == toc:
            break
        toc = sink
    return out, toc


def build_all(out_dir: Path | None = None, verbose: bool = False) -> list[Path]:
    out_dir = out_dir or REPORTS
    outs = []
    for src in sorted(SOURCES.glob("*.md")):
        out, toc = build_one(src, out_dir)
        outs.append(out)
        if verbose:
            from pypdf import PdfReader

            print(f"{out.name}: {len(PdfReader(str(out)).pages)} pages")
            for lvl, title, page in toc:
                print(f"  {'  ' * (lvl - 1)}{page:>3}  {title}")
    return outs


# ---------------------------------------------------------------- checking the key
def norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"-\s*\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [norm(p.extract_text() or "") for p in PdfReader(str(pdf)).pages]


GOLD_COLUMNS = ["report", "question_id", "answer", "evidence_pages", "auditor", "notes"]


def _load_key() -> list[dict]:
    import yaml

    return yaml.safe_load((HERE / "key.yaml").read_text(encoding="utf-8"))


def gold_rows(key: list[dict] | None = None) -> list[dict]:
    """The gold.csv rows that key.yaml implies (one per entry not marked gold: false)."""
    rows = []
    for e in key if key is not None else _load_key():
        if not e.get("gold", True):
            continue
        rows.append(
            {
                "report": f"{e['report']}.pdf",
                "question_id": e["question_id"],
                "answer": str(e["gold_answer"]),
                "evidence_pages": ";".join(str(p) for p in e.get("pages") or []),
                "auditor": "key",
                "notes": " ".join(str(e["note"]).split()),
            }
        )
    return rows


def write_gold() -> Path:
    out = HERE / "gold.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=GOLD_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(gold_rows())
    return out


def check(out_dir: Path) -> list[str]:
    """Build into out_dir and return a list of problems (empty = the key matches the PDFs)."""
    pdfs = {p.name: p for p in build_all(out_dir)}
    texts = {name: page_texts(p) for name, p in pdfs.items()}
    key = _load_key()
    problems: list[str] = []
    by_q: dict[tuple[str, str], dict] = {}
    for e in key:
        name = f"{e['report']}.pdf"
        if name not in texts:
            problems.append(f"key.yaml: no built PDF {name}")
            continue
        markers = {int(k): v for k, v in (e.get("markers") or {}).items()}
        for page in e.get("pages") or []:
            if page not in markers:
                problems.append(f"{name} {e['concept']}: page {page} has no marker")
        for page, phrases in markers.items():
            pages = texts[name]
            for phrase in [phrases] if isinstance(phrases, str) else phrases:
                if not 1 <= page <= len(pages):
                    problems.append(f"{name} {e['concept']}: page {page} out of range")
                elif norm(phrase) not in pages[page - 1]:
                    found = [i + 1 for i, t in enumerate(pages) if norm(phrase) in t]
                    problems.append(
                        f"{name} {e['concept']}: marker {phrase!r} not on page"
                        f" {page} (found on {found})"
                    )
        if e.get("gold", True):
            if (name, e["question_id"]) in by_q:
                problems.append(f"{name} {e['question_id']}: two gold entries")
            by_q[(name, e["question_id"])] = e
    with (HERE / "gold.csv").open(encoding="utf-8", newline="") as fh:
        have = list(csv.DictReader(fh))
    want = gold_rows(key)
    if have != want:
        problems.append("gold.csv differs from key.yaml: run build.py --write-gold")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=HERE, help="the set's folder (default: this)")
    ap.add_argument("--out", type=Path, help="where the PDFs go (default: the set's reports/)")
    ap.add_argument("--check", action="store_true", help="build into a temp dir, check the key")
    ap.add_argument("--write-gold", action="store_true", help="write gold.csv from key.yaml")
    ap.add_argument("--locate", action="append", default=[], help="print pages containing text")
    args = ap.parse_args(argv)
    use_set(args.set)
    if args.write_gold:
        print(f"wrote {write_gold()}")
        return 0
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            problems = check(Path(tmp))
        for p in problems:
            print(p)
        print("key OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    outs = build_all(args.out, verbose=True)
    for phrase in args.locate:
        for pdf in outs:
            hits = [i + 1 for i, t in enumerate(page_texts(pdf)) if norm(phrase) in t]
            if hits:
                print(f"{phrase!r}: {pdf.name} pages {hits}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
