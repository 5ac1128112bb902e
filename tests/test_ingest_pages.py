"""What ingest says about a report's pages: encrypted files that anyone may open, pages that
cannot be read, pages with little text, and files over the size limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import IngestSettings
from assistant.errors import InputFileError
from assistant.ingest.pdf import open_pdf
from tests.bad_pdfs import write_encrypted_pdf, write_unicode_pdf, write_unreadable_page_pdf

PAGES = [
    ["Kestrel Moor Safeguarding Children Partnership", "Annual Report 2021-22"],
    ["Our priorities", "Neglect and exploitation were the two priorities this year."],
    ["Budget", "Partners contributed 120,000 pounds to the shared budget."],
    ["Training", "The partnership ran 34 courses for 900 practitioners in the year."],
]


def _ingest_json(capsys, *paths: Path) -> dict[str, dict]:
    main(["ingest", *map(str, paths), "--json"])
    return {Path(r["path"]).name: r for r in json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_pdf_encrypted_with_an_empty_user_password_opens(assistant, tmp_path, algorithm):
    """The "permissions only" setting: no password to open, so the text is read as usual."""
    pdf = write_encrypted_pdf(tmp_path / f"{algorithm}.pdf", "", algorithm, pages=PAGES)
    [result] = list(assistant.ingest([pdf]))
    assert result.status == "indexed", result.error
    assert result.report.no_text_pages == []
    assert not any("scanned" in w or "--ocr" in w for w in result.warnings), result.warnings
    assert "120,000 pounds" in assistant.reports.page_text(result.report.report_id, 3)


def test_a_page_that_cannot_be_read_is_not_called_scanned(capsys, tmp_path):
    some = write_unreadable_page_pdf(tmp_path / "some.pdf", PAGES, unreadable={2})
    every = write_unreadable_page_pdf(tmp_path / "every.pdf", PAGES, unreadable={1, 2, 3, 4})
    results = _ingest_json(capsys, some, every)

    ok = results["some.pdf"]
    assert ok["status"] == "indexed"
    assert ok["no_text_pages"] == []  # it may well have text: it could not be read
    [warning] = [w for w in ok["warnings"] if "page" in w and "read" in w]
    assert "page 2 could not be read" in warning and "NoSuchDecode" in warning
    assert not any("scanned" in w or "--ocr" in w for w in ok["warnings"]), ok["warnings"]

    failed = results["every.pdf"]
    assert failed["status"] == "failed"
    assert "none of its 4 pages could be read" in failed["error"]
    assert "NoSuchDecode" in failed["error"]
    assert "scanned" not in failed["error"] and "--ocr" not in failed["error"]


def test_pages_with_a_little_real_text_are_not_called_scanned(capsys, tmp_path):
    """'Test', a page of form labels and a one-line Arabic page: real text, said as found."""
    arabic = "التقرير السنوي"
    pdf = write_unicode_pdf(
        tmp_path / "sparse.pdf", [["Test"], ["Name:", "Date:", "Signed:"], [arabic]]
    )
    result = _ingest_json(capsys, pdf)["sparse.pdf"]
    assert result["status"] == "indexed", result["error"]
    assert result["no_text_pages"] == []
    [warning] = [w for w in result["warnings"] if "little text" in w]
    assert "page(s) 1-3" in warning
    assert '"Test"' in warning and "Name: Date: Signed:" in warning  # what was found
    assert "scanned" not in warning.split(";")[0]
    # a report with real pages and one short page: only the short one is mentioned
    mixed = write_unicode_pdf(tmp_path / "mixed.pdf", [*PAGES, ["Test"]])
    result = _ingest_json(capsys, mixed)["mixed.pdf"]
    assert result["status"] == "indexed" and result["no_text_pages"] == []
    assert [w for w in result["warnings"] if "little text" in w][0].startswith(
        'little text on page(s) 5 (page 5: 4 characters, "Test")'
    )


def test_file_over_the_size_limit_is_reported_in_one_unit(tmp_path):
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:  # sparse: takes no disk space
        handle.write(b"%PDF-1.7\n")
        handle.truncate(301 * 1024 * 1024)
    with pytest.raises(InputFileError) as caught:
        open_pdf(big, IngestSettings(max_file_mb=300))
    message = str(caught.value)
    assert "the file is 301.0 MiB, over the 300 MiB limit" in message, message
    assert " MB" not in message
