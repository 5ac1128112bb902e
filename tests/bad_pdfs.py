"""Writers of bad inputs for ingest tests: corrupt, encrypted, scanned, fake and empty PDFs.

Each function writes one file at `path` (its folder must exist) and returns the path. All
output is deterministic. Text is invented for the tests.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

DEFAULT_PASSWORD = "open-sesame"
_LINES = (
    "Eastmoor Safeguarding Children Partnership",
    "Annual Report 2020-21",
    "The partners agreed three priorities for the year.",
)


def _text_pdf_bytes(pages: list[list[str]]) -> bytes:
    """A small PDF with a real text layer, one list of lines per page."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for lines in pages:
        c.setFont("Helvetica", 12)
        for i, line in enumerate(lines):
            c.drawString(72, 760 - 18 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def _text_image(lines: list[str], size: tuple[int, int] = (1240, 1754)):
    """A Pillow image of text lines, like a page scanned at 150 dpi."""
    from PIL import Image, ImageDraw, ImageFont  # Pillow arrives with gradio

    img = Image.new("L", size, 250)
    pen = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    for i, line in enumerate(lines):
        pen.text((120, 150 + 44 * i), line, fill=20, font=font)
    return img


def _draw_image_page(c: canvas.Canvas, lines: list[str]) -> None:
    width, height = A4
    c.drawImage(ImageReader(_text_image(lines)), 0, 0, width, height)
    c.showPage()


def write_corrupt_pdf(path: Path) -> Path:
    """A file with a %PDF header whose body is cut short and garbled (pypdf cannot read it)."""
    good = _text_pdf_bytes([list(_LINES)])
    noise = bytes(random.Random(7).randrange(256) for _ in range(512))
    Path(path).write_bytes(good[: len(good) // 3] + noise)
    return Path(path)


def write_encrypted_pdf(
    path: Path,
    password: str = DEFAULT_PASSWORD,
    algorithm: str = "RC4-128",
    pages: list[list[str]] | None = None,
) -> Path:
    """A readable text PDF encrypted with a user password. An empty `password` is the
    "permissions only" setting: anyone can open it. AES-128/AES-256 need `cryptography`."""
    from pypdf import PdfReader, PdfWriter

    body = _text_pdf_bytes(pages or [list(_LINES)])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(body)))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm=algorithm)
    with open(path, "wb") as fh:
        writer.write(fh)
    return Path(path)


def write_image_only_pdf(path: Path, text: str | list[str] = _LINES) -> Path:
    """One page that shows `text` (a string with newlines, or lines) as an image: no text layer."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    _draw_image_page(c, lines)
    c.save()
    return Path(path)


def write_not_a_pdf(path: Path, kind: str = "html") -> Path:
    """A file named .pdf that is really HTML (kind='html') or a PNG image (kind='png')."""
    if kind == "html":
        html = "<!doctype html><html><body><h1>Report not found</h1></body></html>\n"
        Path(path).write_text(html, encoding="utf-8")
    elif kind == "png":
        buf = io.BytesIO()
        _text_image(["Not a PDF"], size=(200, 60)).save(buf, format="PNG")
        Path(path).write_bytes(buf.getvalue())
    else:
        raise ValueError(f"kind must be 'html' or 'png', not {kind!r}")
    return Path(path)


def write_empty_file(path: Path) -> Path:
    """A zero-byte file."""
    Path(path).write_bytes(b"")
    return Path(path)


MIXED_PAGES = (
    ["Page one has a text layer.", "Neglect was the partnership's first priority."],
    ["Page two is a scanned image.", "Its words cannot be extracted without OCR."],
    ["Page three has a text layer again.", "Training reached 1,250 practitioners."],
)


def write_mixed_pdf(path: Path) -> Path:
    """Three pages: text, image-only (no text layer), text. Lines are in MIXED_PAGES."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for number, lines in enumerate(MIXED_PAGES, 1):
        if number == 2:
            _draw_image_page(c, lines)
            continue
        c.setFont("Helvetica", 12)
        for i, line in enumerate(lines):
            c.drawString(72, 760 - 18 * i, line)
        c.showPage()
    c.save()
    return Path(path)


def write_unreadable_page_pdf(path: Path, pages: list[list[str]], unreadable: set[int]) -> Path:
    """A text PDF whose pages in `unreadable` (1-based) cannot be read: their content stream
    claims a filter no reader knows, so text extraction raises instead of returning text."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_text_pdf_bytes(pages))))
    for number in unreadable:
        contents = writer.pages[number - 1]["/Contents"].get_object()
        contents[NameObject("/Filter")] = NameObject("/NoSuchDecode")
    with open(path, "wb") as fh:
        writer.write(fh)
    return Path(path)


def write_unicode_pdf(path: Path, pages: list[list[str]]) -> Path:
    """Pages drawn with DejaVu Sans (embedded), for text a core font cannot encode:
    Arabic, invisible and format characters."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(
            TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        )
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for lines in pages:
        c.setFont("DejaVuSans", 11)
        for i, line in enumerate(lines):
            c.drawString(72, 760 - 16 * i, line)
        c.showPage()
    c.save()
    return Path(path)


def write_huge_page_pdf(path: Path, side_pt: float = 14400, text: str = "Neglect") -> Path:
    """One square page of `side_pt` points (14,400 pt = 200 inches, PDF's largest page)."""
    c = canvas.Canvas(str(path), pagesize=(side_pt, side_pt), invariant=1)
    c.setFont("Helvetica", 400)
    c.drawString(side_pt * 0.1, side_pt * 0.5, text)
    c.showPage()
    c.save()
    return Path(path)


def write_half_emoji_pdf(path: Path, pages: list[list[str]], mark: str = "~") -> Path:
    """Pages drawn in Helvetica whose font carries a broken ToUnicode map: every character
    maps to itself except `mark`, which maps to <D83D>, half an emoji (a lone UTF-16
    surrogate). pypdf extracts each `mark` as the lone surrogate "\\ud83d"."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    code = ord(mark)
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
        f"2 beginbfrange\n<20> <{code - 1:02X}> <0020>\n<{code + 1:02X}> <7E> <{code + 1:04X}>\n"
        f"endbfrange\n1 beginbfchar\n<{code:02X}> <D83D>\nendbfchar\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    buf = io.BytesIO(_text_pdf_bytes(pages))
    writer = PdfWriter(clone_from=PdfReader(buf))
    stream = DecodedStreamObject()
    stream.set_data(cmap.encode("ascii"))
    ref = writer._add_object(stream)
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font.get_object()[NameObject("/ToUnicode")] = ref
    with open(path, "wb") as fh:
        writer.write(fh)
    return Path(path)
