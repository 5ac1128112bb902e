"""Every page render is capped in pixels and memory, however large the PDF page is.

Each render runs in a child process so its peak memory can be measured (and, for OCR,
bounded with an address-space limit) without touching the test process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bad_pdfs import write_huge_page_pdf

REPO = Path(__file__).resolve().parent.parent
SIDE, PIXELS = 4096, 12_000_000  # assistant.ingest.render's budget
# The child's own peak: VmHWM belongs to the process image and starts afresh at exec, whereas
# ru_maxrss keeps the high-water mark of the forked pytest process (large after the slow tests).
PEAK_MB = (
    "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]) / 1024"
)


def _child(code: str, timeout: float = 240) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_cited_14400_pt_page_is_rendered_within_the_pixel_and_memory_cap(tmp_path):
    pdf = write_huge_page_pdf(tmp_path / "huge.pdf", 14400, "Neglect was a priority")
    out = _child(
        "import json, resource, time\n"
        "from pathlib import Path\n"
        "from assistant.ui.render import render_page\n"
        "start = time.monotonic()\n"
        f"image, note = render_page(Path({str(pdf)!r}), 1, 'Neglect was a priority')\n"
        "print(json.dumps({'size': image.size, 'note': note,\n"
        "  'seconds': time.monotonic() - start,\n"
        f"  'peak_mb': {PEAK_MB}}}))\n"
    )
    width, height = out["size"]
    assert max(width, height) <= SIDE and width * height <= PIXELS, out
    assert min(width, height) > 2000, out  # reduced, not thumbnailed
    assert out["note"] == "", out  # the quote is still highlighted where it is
    assert out["peak_mb"] < 700, out  # uncapped: a 20,160² bitmap, 1.6 GB and more


def test_an_ordinary_page_keeps_its_scale(tmp_path):
    from assistant.ingest.render import capped_scale

    assert capped_scale(595, 842, 1.4) == 1.4  # A4 in the UI
    assert capped_scale(595, 842, 200 / 72) == 200 / 72  # A4 for OCR
    assert capped_scale(14400, 14400, 1.4) * 14400 <= SIDE


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_ocr_of_a_huge_scanned_page_renders_within_the_cap(tmp_path):
    """OCR renders at 200 dpi: 40,000² pixels for this page uncapped. Under a 3 GB address
    space limit that render cannot even be allocated; capped, it is read."""
    pdf = write_huge_page_pdf(tmp_path / "huge.pdf", 14400, "NEGLECT")
    out = _child(
        "import json, resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from pathlib import Path\n"
        "from assistant.ingest.pdf import ocr_pages_text\n"
        f"text = ocr_pages_text(Path({str(pdf)!r}), [1])\n"
        "print(json.dumps({'text': text.get(1, ''),\n"
        f"  'peak_mb': {PEAK_MB}}}))\n"
    )
    assert "NEGLECT" in out["text"].upper(), out
    assert out["peak_mb"] < 700, out
