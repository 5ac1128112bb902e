"""Chunking: cut normalised page text into passages that slice back exactly to the page.

Chunks never cross a page boundary, so every passage has one page number and character
offsets into that page's normalised text (`page_text[char_start:char_end] == chunk.text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.config import ChunkSettings
from assistant.ingest.pdf import Page


@dataclass(frozen=True)
class Chunk:
    """One passage of one page."""

    chunk_id: str
    report_id: str
    seq: int
    page: int
    page_end: int
    char_start: int
    char_end: int
    section: str | None
    text: str
    ocr: bool = False


_NUMBERED = re.compile(r"^(\d+(\.\d+)*\.?|[A-Z]\.|Section \d+:?)\s+\S")


def is_heading(line: str, previous: str | None, following: str | None) -> bool:
    """A short stand-alone line that starts a block: a section heading."""
    text = line.strip()
    if not (3 <= len(text) <= 70) or len(text.split()) > 10:
        return False
    if not (text[0].isupper() or _NUMBERED.match(text)):
        return False
    if text[-1] in ".,;:!?" or text.endswith(("and", "or", "the", "of", "to")):
        return False
    if sum(ch.isdigit() for ch in text) > len(text) / 3:  # table rows of figures
        return False
    after_break = previous is None or not previous.strip() or previous.strip()[-1] in ".!?:"
    starts_block = following is None or not following.strip() or following.strip()[0].isupper()
    return after_break and starts_block


def headings_in(text: str) -> list[tuple[int, str]]:
    """(offset, heading) for every heading line of a page, in order."""
    found: list[tuple[int, str]] = []
    lines = text.split("\n")
    offset = 0
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index > 0 else None
        following = lines[index + 1] if index + 1 < len(lines) else None
        if is_heading(line, previous, following):
            found.append((offset, line.strip()))
        offset += len(line) + 1
    return found


def make_splitter(settings: ChunkSettings):
    """The langchain splitter (imported lazily: it costs ~1 s to import)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=settings.size,
        chunk_overlap=settings.overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_pages(
    report_id: str, pages: list[Page], settings: ChunkSettings, index_key: str
) -> list[Chunk]:
    """Split every page into chunks carrying page, offsets and the nearest section heading."""
    splitter = make_splitter(settings)
    chunks: list[Chunk] = []
    current_section: str | None = None
    for page in pages:
        if not page.text.strip():
            continue
        headings = headings_in(page.text)
        cursor = 0
        for piece in splitter.split_text(page.text):
            start = page.text.find(piece, cursor)
            if start < 0:  # never expected; fall back to a search from the page start
                start = page.text.find(piece)
            if start < 0:
                raise AssertionError(f"chunk text not found in page {page.number}")
            end = start + len(piece)
            cursor = start + 1
            section = current_section
            for offset, heading in headings:
                if offset <= start + min(len(piece), 80) // 2:
                    section = heading
            chunks.append(
                Chunk(
                    chunk_id=f"{report_id[:12]}-{index_key[:6]}-{len(chunks):05d}",
                    report_id=report_id,
                    seq=len(chunks),
                    page=page.number,
                    page_end=page.number,
                    char_start=start,
                    char_end=end,
                    section=section,
                    text=piece,
                    ocr=page.ocr,
                )
            )
        if headings:
            current_section = headings[-1][1]
    return chunks
