"""PDF pages as images (PDFium), never larger than a fixed pixel budget.

A PDF page can be 14,400 × 14,400 pt (200 inches square): at the UI's scale that is a
20,160² bitmap (1.6 GB), at OCR's 200 dpi 40,000² (6.4 GB). Every page render in the tool
goes through `render_pdf_page`, which lowers the scale so the bitmap stays within
MAX_RENDER_SIDE pixels a side and MAX_RENDER_PIXELS in all (12 MP: 48 MB as BGRA).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

MAX_RENDER_SIDE = 4096
MAX_RENDER_PIXELS = 12_000_000


def capped_scale(
    width_pt: float,
    height_pt: float,
    scale: float,
    *,
    max_side: int = MAX_RENDER_SIDE,
    max_pixels: int = MAX_RENDER_PIXELS,
) -> float:
    """`scale` (pixels per point), lowered as needed to fit the side and pixel budgets."""
    if width_pt <= 0 or height_pt <= 0:
        return scale
    # PDFium rounds sizes up: keep one pixel of room on each side
    fit_side = (max_side - 1) / max(width_pt, height_pt)
    fit_area = math.sqrt(max_pixels / ((width_pt + 1) * (height_pt + 1)))
    return min(scale, fit_side, fit_area)


def render_pdf_page(pdf_page: Any, scale: float) -> tuple[Image.Image, float]:
    """(PIL image of a pypdfium2 page, the scale used): `scale`, or less for huge pages."""
    width, height = pdf_page.get_size()
    used = capped_scale(width, height, scale)
    return pdf_page.render(scale=used).to_pil(), used
