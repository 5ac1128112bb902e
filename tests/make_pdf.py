"""Tiny reportlab PDFs with exactly the text a test wants on each page."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def text_pdf(
    path: Path,
    pages: list[list[str]],
    *,
    header: str | None = None,
    footer: str | None = "Page {n} of {total}",
) -> Path:
    """Write one page per list of lines, with an optional running header and footer."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    width, height = A4
    for number, lines in enumerate(pages, start=1):
        if header:
            pdf.setFont("Helvetica", 8)
            pdf.drawString(50, height - 30, header.format(n=number, total=len(pages)))
        pdf.setFont("Helvetica", 11)
        y = height - 70
        for line in lines:
            pdf.drawString(50, y, line)
            y -= 15
        if footer:
            pdf.setFont("Helvetica", 8)
            pdf.drawString(width / 2 - 20, 25, footer.format(n=number, total=len(pages)))
        pdf.showPage()
    pdf.save()
    return path
