"""Agreement from the field, per question, says how many of its decided drafts were decided on an
older version of a report: a "Decided on older version" column in the yearly analysis's HTML and
DOCX tables and in the Evals tab's table, shown only when some question has one.

Real PDFs (reportlab), a real SQLite data home and the offline engine, through the CLI as a
user types it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from assistant.cli import main
from tests.make_pdf import text_pdf

PERIOD = "2020-21"
OLDER = "Decided on older version"
HEADERS = ["Question", "Decided", "Accepted unchanged", "Edited", "Rejected"]


def _report(name: str, extra: str = "") -> list[list[str]]:
    return [
        [f"{name} LSCP", f"Annual Report {PERIOD}"],
        ["Our priorities", f"Neglect was a priority for {name} this year. {extra}"],
        ["Budget", "Police contributed 40,000 pounds to the budget."],
    ]


def _run(capsys, *argv: str) -> dict | list:
    """The JSON output of one CLI command that must succeed."""
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return json.loads(out)


def _decide(assistant, rid: str, qid: str, reviewer: str, action: str, after=None) -> None:
    draft_id = next(d for d in assistant.drafts.for_report(rid) if d.question_id == qid).draft_id
    assistant.record_decision(
        rid, qid, reviewer, action, after=after, draft_id=draft_id, base_event_id=None
    )


def _analysis(capsys, out: Path) -> tuple[str, list[list[str]]]:
    """(the HTML page's agreement table, the DOCX agreement table's rows) of the year."""
    from docx import Document

    paths = _run(capsys, "analysis", "--period", PERIOD, "--out", str(out))
    page = Path(paths["html"]).read_text("utf-8")
    [table] = re.findall(r"<h2 id='agreement'>.*?</table>", page, flags=re.S)
    [docx_table] = [
        t
        for t in Document(paths["docx"]).tables
        if t.rows[0].cells[0].text == "Question" and t.rows[0].cells[2].text == "Accepted unchanged"
    ]
    return table, [[c.text for c in row.cells] for row in docx_table.rows]


def _agreement_notes(out: Path) -> tuple[str, list[str]]:
    """(the HTML page's agreement section after its table, the DOCX paragraphs after its
    agreement heading) of the analysis written to `out`."""
    from docx import Document

    page = next(out.rglob("*.html")).read_text("utf-8")
    [after] = re.findall(r"<h2 id='agreement'>.*?</table>(.*?)(?:<h2|$)", page, flags=re.S)
    paragraphs = [p.text for p in Document(next(out.rglob("*.docx"))).paragraphs]
    start = paragraphs.index("Agreement from the field")
    return html.unescape(after), paragraphs[start + 1 :]


def _html_rows(table: str) -> list[list[str]]:
    return [
        [html.unescape(c) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    ]


def _evals_table(assistant):
    """The Evals tab's agreement-from-the-field table, as Gradio shows it on Refresh."""
    import gradio as gr

    from assistant.ui.field_agreement import field_agreement_block

    with gr.Blocks() as demo:
        field_agreement_block(assistant)
    [load] = [fn for fn in demo.fns.values() if fn.name == "load"]
    _, table = load.fn()
    return table


def test_agreement_tables_count_per_question_the_decisions_made_on_an_older_version(
    assistant, tmp_path, capsys
):
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _report("Eastmoor"))
    text_pdf(folder / "c-westfield.pdf", _report("Westfield"))
    score = ["score", str(folder), "--period", PERIOD, "--questions", "A1,A6"]
    _run(capsys, *score)
    ids = {r["file_name"]: r["report_id"] for r in _run(capsys, "reports")}
    eastmoor, westfield = ids["a-eastmoor.pdf"], ids["c-westfield.pdf"]
    _decide(assistant, eastmoor, "A1", "alice", "accept")
    # westfield is decided on its own (current) version
    _decide(assistant, westfield, "A1", "bob", "edit", after="no")
    _decide(assistant, westfield, "A6", "bob", "accept")

    # no decision on an older version yet: the tables are as they were, without the column
    table, docx_rows = _analysis(capsys, tmp_path / "before")
    assert _html_rows(table)[0] == ["Question", "Decided", "Accepted", "Edited", "Rejected"]
    assert OLDER not in table
    assert docx_rows[0] == HEADERS
    html_after, docx_after = _agreement_notes(tmp_path / "before")
    assert "older version" not in html_after
    assert not any("decided on an older version" in p for p in docx_after)
    assert list(_evals_table(assistant).columns) == [*HEADERS, "Accepted %"]

    # eastmoor's corrected copy becomes current: alice's A1 was decided on the older version
    text_pdf(folder / "b-eastmoor-corrected.pdf", _report("Eastmoor", "Corrected figures."))
    _run(capsys, *score)
    [newer] = [r for r in _run(capsys, "reports") if r.get("previous_version") == eastmoor]
    assert newer["report_id"] != eastmoor

    table, docx_rows = _analysis(capsys, tmp_path / "after")
    # per question: decided, accepted, edited, rejected, of them decided on an older version
    assert _html_rows(table) == [
        ["Question", "Decided", "Accepted", "Edited", "Rejected", OLDER],
        ["A1", "2", "1", "1", "0", "1"],
        ["A6", "1", "1", "0", "0", "0"],
    ]
    assert docx_rows == [
        [*HEADERS, OLDER],
        ["A1", "2", "1", "1", "0", "1"],
        ["A6", "1", "1", "0", "0", "0"],
    ]
    # and, under both tables, the sentence the CLI and the Evals tab say with the column
    note = "1 of these decided drafts was decided on an older version of the report"
    html_after, docx_after = _agreement_notes(tmp_path / "after")
    assert note in html_after
    assert any(note in p for p in docx_after)
    shown = _evals_table(assistant)
    assert list(shown.columns) == [*HEADERS, "Accepted %", OLDER]
    assert shown.set_index("Question")[OLDER].to_dict() == {"A1": "1", "A6": "0"}
