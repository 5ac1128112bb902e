"""The opt-in pdfium extractor (`ingest.extractor = "pdfium"`, issue 15 item 7): the same pages
and identity as pypdf (the default) on a real generated PDF, the same clear errors for bad files,
and a wrong setting named."""

from __future__ import annotations

import pytest

from assistant.config import load_settings
from assistant.errors import ConfigError, InputFileError
from assistant.ingest.pdf import parse_pdf
from tests.make_pdf import text_pdf

PAGES = [
    ["Ashdown Safeguarding Children Partnership", "Annual Report 2020-21"],
    ["Priorities", "Our priorities for the year were neglect and exploitation."],
    ["Training", "The partnership ran 52 courses attended by 1,430 practitioners."],
    [],  # only the footer: "little text", said the same way by both
]


def _parse(path, tmp_path, extractor):
    settings = load_settings(home=tmp_path / f"home-{extractor}", ingest={"extractor": extractor})
    assert settings.ingest.extractor == extractor
    return parse_pdf(path, settings.ingest)


def test_pdfium_reads_the_same_pages_as_pypdf(tmp_path):
    pdf = text_pdf(tmp_path / "ashdown.pdf", PAGES)
    default = _parse(pdf, tmp_path, "pypdf")
    fast = _parse(pdf, tmp_path, "pdfium")
    assert [p.text for p in fast.pages] == [p.text for p in default.pages]
    assert "1,430 practitioners" in fast.pages[2].text
    assert fast.warnings == default.warnings and "little text on page(s) 4" in fast.warnings[0]
    assert (fast.period, fast.report_id) == (default.period, default.report_id)


def test_pdfium_keeps_the_clear_errors(tmp_path):
    bad = tmp_path / "notes.pdf"
    bad.write_text("<html>error page</html>")
    with pytest.raises(InputFileError, match="not a PDF"):
        _parse(bad, tmp_path, "pdfium")


def test_the_default_is_pypdf_and_a_wrong_extractor_is_named(tmp_path):
    assert load_settings(home=tmp_path / "h").ingest.extractor == "pypdf"
    with pytest.raises((ConfigError, ValueError), match="extractor"):
        load_settings(home=tmp_path / "h2", ingest={"extractor": "pdfminer"})
