"""The blind sets' keys must not drift from their PDFs: build them into a temp dir and check that
every key page carries its marker phrase and that gold.csv is exactly what key.yaml implies
(evals/blindset to blindset11, devset2 and devset3, built by the same build.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("reportlab")
pytest.importorskip("pypdf")

BUILD = Path(__file__).resolve().parents[1] / "evals" / "blindset" / "build.py"


def _build_module():
    spec = importlib.util.spec_from_file_location("blindset_build", BUILD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "folder",
    [
        "blindset", "blindset2", "devset2", "blindset3", "blindset4", "blindset5", "blindset6",
        "blindset7", "blindset8", "blindset9", "blindset10", "blindset11", "devset3",
    ],
)
def test_blindset_key_matches_built_pdfs(tmp_path, folder):
    build = _build_module()
    build.use_set(BUILD.parents[1] / folder)
    problems = build.check(tmp_path)
    assert problems == []
    pdfs = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert pdfs and all("_" in p for p in pdfs)
    for pdf in tmp_path.glob("*.pdf"):
        texts = build.page_texts(pdf)
        assert all(f"page {i} of {len(texts)}" in t for i, t in enumerate(texts, 1))
        assert "contents" in texts[1]
