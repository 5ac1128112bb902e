"""PDF ingest: page-accurate, normalised text from a report file (pypdf; optional Tesseract OCR).

Stage 1 of the pipeline. Knows nothing about chunks, vectors or the database.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError

from assistant.config import IngestSettings
from assistant.errors import OCR_HINT, InputFileError
from assistant.ingest.identity import detect_identity
from assistant.ingest.render import render_pdf_page
from assistant.unicode import replace_surrogates

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly on harmless quirks
MIB = 1024 * 1024


@dataclass
class Page:
    """One physical page: number (1-based), normalised text, and how it was obtained."""

    number: int
    text: str
    raw_chars: int
    ocr: bool = False


@dataclass
class ParsedReport:
    """What ingest learns from one file."""

    report_id: str
    path: Path
    size_bytes: int
    pages: list[Page]
    partnership: str | None = None
    period: str | None = None
    title: str | None = None
    no_text_pages: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    # said at ingest, not stored: pages that could not be read, pages with little text
    warnings: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """The report's identity: SHA-256 of its bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_pages(numbers: list[int]) -> str:
    """[3, 4, 5, 9] → '3-5, 9' for messages."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _sniff(path: Path, head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "a PNG image"
    if head[:3] == b"\xff\xd8\xff":
        return "a JPEG image"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP/Office document"
    if b"<html" in head.lower() or b"<!doctype" in head.lower():
        return "an HTML page (often a download that returned an error page)"
    return "plain text or unknown data"


def open_pdf(path: Path, settings: IngestSettings) -> PdfReader:
    """Open a PDF or raise an InputFileError saying what is wrong and what to do."""
    if not path.exists():
        raise InputFileError(path, "file not found", "check the path")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(path, "the file is empty (0 bytes)", "download the report again")
    if size > settings.max_file_mb * MIB:
        # one unit for both numbers (MiB, as the limit is counted), rounded up: never "300 of 300"
        raise InputFileError(
            path,
            f"the file is {math.ceil(size * 10 / MIB) / 10:.1f} MiB, "
            f"over the {settings.max_file_mb} MiB limit",
            "split it, or raise REVIEW_ASSISTANT_INGEST__MAX_FILE_MB",
        )
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise InputFileError(
            path, f"this is not a PDF ({_sniff(path, head)})", "supply the report as a PDF file"
        )
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError as exc:  # AES without the `cryptography` package
                raise InputFileError(
                    path,
                    f"the PDF is encrypted and cannot be decrypted here ({exc})",
                    "install the tool's dependencies again (`pip install -e .`)",
                ) from exc
            except Exception:  # unsupported algorithm
                ok = 0
            if not ok:
                raise InputFileError(
                    path,
                    "the PDF is encrypted with a password",
                    "ask the publisher for an unprotected copy, or remove the password "
                    "(e.g. `qpdf --decrypt in.pdf out.pdf`) and ingest that file",
                )
        n_pages = len(reader.pages)
    except InputFileError:
        raise
    except (PdfReadError, PdfStreamError, FileNotDecryptedError, ValueError, KeyError) as exc:
        raise InputFileError(
            path,
            f"the PDF is corrupt or truncated and cannot be read ({type(exc).__name__}: {exc})",
            "download the report again, or re-save it from a PDF viewer",
        ) from exc
    if n_pages == 0:
        raise InputFileError(path, "the PDF has no pages", "download the report again")
    if n_pages > settings.max_pages:
        raise InputFileError(
            path,
            f"the PDF has {n_pages} pages, over the {settings.max_pages}-page limit",
            "check it is a single report, or raise REVIEW_ASSISTANT_INGEST__MAX_PAGES",
        )
    return reader


def parse_pdf(path: Path, settings: IngestSettings, *, ocr: bool | None = None) -> ParsedReport:
    """Extract, normalise and describe every page of a report PDF.

    Three kinds of page are told apart, each said as it is: a page that could not be read
    (an error while reading it: its text is unknown), a page with no text layer (nothing
    extracted: it looks scanned) and a page with little text (fewer than
    `min_chars_per_page` characters: what was found is quoted).
    """
    path = Path(path)
    reader = open_pdf(path, settings)
    raw_pages: list[str] = []
    unreadable: dict[int, str] = {}  # page -> why
    for index, page in enumerate(reader.pages, start=1):
        try:
            raw_pages.append(page.extract_text() or "")
        except Exception as exc:  # a single broken page must not sink the report
            unreadable[index] = _printable(f"{type(exc).__name__}: {exc}"[:200])
            log.info("%s: page %d could not be read (%s)", path, index, unreadable[index])
            raw_pages.append("")
    if len(unreadable) == len(raw_pages):
        raise InputFileError(
            path,
            f"none of its {len(raw_pages)} pages could be read ({_first_cause(unreadable)})",
            _read_failure_hint(unreadable),
        )
    use_ocr = settings.ocr if ocr is None else ocr
    ocr_pages: list[int] = []
    if use_ocr:
        candidates = [
            i
            for i, t in enumerate(raw_pages, 1)
            if i in unreadable or len(t.strip()) < settings.min_chars_per_page
        ]
        recovered = ocr_pages_text(path, candidates, settings.ocr_language) if candidates else {}
        for number, text in recovered.items():
            if len(text.strip()) >= settings.min_chars_per_page:
                raw_pages[number - 1] = text
                ocr_pages.append(number)
                unreadable.pop(number, None)
    raw_pages, not_unicode = _replace_surrogates(raw_pages)
    no_text = [
        i
        for i, t in enumerate(raw_pages, 1)
        if not t.strip() and i not in unreadable and i not in ocr_pages
    ]
    little = {
        i: _printable(" ".join(t.split()))
        for i, t in enumerate(raw_pages, 1)
        if 0 < len(t.strip()) < settings.min_chars_per_page and i not in ocr_pages
    }
    if len(no_text) + len(unreadable) == len(raw_pages):
        message = f"no text layer on any of its {len(raw_pages)} pages: the PDF looks scanned"
        if unreadable:
            message = (
                f"no text layer on page(s) {describe_pages(no_text)}, which look scanned, and "
                f"page(s) {describe_pages(list(unreadable))} could not be read "
                f"({_first_cause(unreadable)})"
            )
        raise InputFileError(path, message, f"{OCR_HINT} (needs Debian's tesseract-ocr package)")
    warnings = []
    if unreadable:
        warnings.append(_unreadable_warning(unreadable))
    if little:
        warnings.append(_little_text_warning(little))
    if not_unicode:
        warnings.append(_not_unicode_warning(not_unicode))
    texts = normalise_pages(raw_pages)
    pages = [
        Page(number=i, text=t, raw_chars=len(raw_pages[i - 1]), ocr=i in ocr_pages)
        for i, t in enumerate(texts, 1)
    ]
    report = ParsedReport(
        report_id=file_sha256(path),
        path=path,
        size_bytes=path.stat().st_size,
        pages=pages,
        no_text_pages=no_text,
        ocr_pages=ocr_pages,
        warnings=warnings,
    )
    # identity from text that still has running headers ("Annual Report 2020-21" on every page)
    report.partnership, report.period, report.title = detect_identity(
        [normalise_text(t) for t in raw_pages[:6]]
    )
    return report


def _printable(text: str) -> str:
    """Report text and error details go to terminals: no control characters."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def _replace_surrogates(raw_pages: list[str]) -> tuple[list[str], dict[int, int]]:
    """Pages with each lone surrogate (a broken ToUnicode map sends "\\ud83d", half an emoji)
    replaced by U+FFFD, and how many on which page. Replaced, not escaped: the page stays
    readable and quotable, one character for one, while SQLite and Chroma refused the page
    and the file failed."""
    fixed: list[str] = []
    counts: dict[int, int] = {}
    for number, text in enumerate(raw_pages, 1):
        text, n = replace_surrogates(text)
        fixed.append(text)
        if n:
            counts[number] = n
    return fixed, counts


def _not_unicode_warning(counts: dict[int, int]) -> str:
    total = sum(counts.values())
    chars = "character" if total == 1 else "characters"
    return (
        f"{total} {chars} not valid Unicode on page(s) {describe_pages(list(counts))} (half an "
        "emoji, or a broken font map in the PDF), shown as \ufffd; the rest of the text is "
        "kept. Check a quote from these pages against the PDF"
    )


def _first_cause(unreadable: dict[int, str]) -> str:
    return unreadable[min(unreadable)]


def _read_failure_hint(unreadable: dict[int, str]) -> str:
    if any(why.startswith("DependencyError") for why in unreadable.values()):
        return "install the tool's dependencies again (`pip install -e .`)"
    return "download the report again, or re-save it from a PDF viewer"


def _unreadable_warning(unreadable: dict[int, str]) -> str:
    pages = describe_pages(list(unreadable))
    label = "page" if len(unreadable) == 1 else "pages"
    return (
        f"{label} {pages} could not be read ({_first_cause(unreadable)}): their text is "
        f"missing from the index; {_read_failure_hint(unreadable)}"
    )


def _little_text_warning(little: dict[int, str]) -> str:
    """'little text on page(s) 1-3 (page 1: 4 characters, "Test"; ...)': what was found."""
    shown = "; ".join(
        f'page {n}: {len(text)} characters, "{text}"' for n, text in list(little.items())[:3]
    )
    more = f"; and {len(little) - 3} more" if len(little) > 3 else ""
    return (
        f"little text on page(s) {describe_pages(list(little))} ({shown}{more}); "
        f"kept as found. If these pages are scans, {OCR_HINT} to read them"
    )


# --- normalisation --------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$|^\s*[-–]\s*\d{1,4}\s*[-–]\s*$",
    re.IGNORECASE,
)
_EDGE_LINES = 3  # running headers/footers live in the first/last few lines of a page


def _line_key(line: str) -> str:
    """Lines equal up to digits and spacing count as the same running header/footer."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip().lower()))


def normalise_text(text: str) -> str:
    """NFKC, join hyphenated line-end words, tidy whitespace, keep paragraph breaks."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00ad", "")  # soft hyphens
    text = re.sub(r"(\w)-\n(?=[a-z])", r"\1", text)
    text = re.sub(r"[ \t\f\v\u00a0]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def normalise_pages(raw_pages: list[str]) -> list[str]:
    """Normalise every page and drop running headers/footers and page-number lines."""
    pages = [normalise_text(t) for t in raw_pages]
    lines_per_page = [p.split("\n") if p else [] for p in pages]
    edge_counts: Counter[str] = Counter()
    for lines in lines_per_page:
        edges = {_line_key(x) for x in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:] if x.strip()}
        edge_counts.update(edges)
    n_text_pages = sum(1 for lines in lines_per_page if lines)
    threshold = max(3, int(0.4 * n_text_pages + 0.5))
    repeated = {key for key, count in edge_counts.items() if count >= threshold}
    cleaned: list[str] = []
    for lines in lines_per_page:
        keep = []
        for index, line in enumerate(lines):
            at_edge = index < _EDGE_LINES or index >= len(lines) - _EDGE_LINES
            if at_edge and (_line_key(line) in repeated or _PAGE_NUMBER.match(line)):
                continue
            keep.append(line)
        cleaned.append(re.sub(r"\n{3,}", "\n\n", "\n".join(keep)).strip())
    return cleaned


# --- OCR ------------------------------------------------------------------------------------


def ocr_pages_text(path: Path, pages: list[int], language: str = "eng") -> dict[int, str]:
    """Recover text of image-only pages with Debian's Tesseract (rendered with pypdfium2)."""
    if shutil.which("tesseract") is None:
        raise InputFileError(
            path,
            "--ocr needs the tesseract program, which is not installed",
            "run `apt-get install -y tesseract-ocr tesseract-ocr-eng`",
        )
    import pypdfium2 as pdfium  # imported here: only OCR needs it

    results: dict[int, str] = {}
    document = pdfium.PdfDocument(str(path))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for number in pages:
                image, _ = render_pdf_page(document[number - 1], 200 / 72)  # capped size
                png = Path(tmp) / f"p{number}.png"
                image.save(png)
                done = subprocess.run(
                    ["tesseract", str(png), "stdout", "-l", language],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                if done.returncode != 0:
                    log.warning("%s: OCR failed on page %d: %s", path, number, done.stderr[-200:])
                    continue
                results[number] = done.stdout
    finally:
        document.close()
    return results
