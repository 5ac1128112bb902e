"""Text that is not valid Unicode (a lone UTF-16 surrogate, "\\ud83d": half an emoji) on the
paths where untrusted text is stored: the LLM's HTTP reply and request, a PDF's text and file
name, reviewer notes and the register CSV. UTF-8 cannot encode such text, so SQLite, Chroma and
the terminal refuse it (UnicodeEncodeError); each path stores it readably, or refuses it with a
plain reason, and none stops with "unexpected error".

Real PDFs, real SQLite and Chroma, the real scripted OpenAI-compatible server over HTTP.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.bad_pdfs import write_half_emoji_pdf
from tests.doubles.scripted_llm_server import raw, reply, status
from tests.doubles.scripted_llm_server import valid_draft_handler as answer_any
from tests.make_pdf import text_pdf
from tests.test_llm_engine import PAGES
from tests.test_llm_hardening import calls, ingest_westerleigh, run_cli, use_scripted

NOT_UNICODE = "the reply holds text that is not valid Unicode (a lone surrogate, \\ud83d)"


def raw_half_emoji(request_json):
    """A valid draft whose rationale starts with half an emoji sent as the HTTP body's own
    escape: the completion's text itself (not only the JSON object inside it) holds the lone
    surrogate, so neither the reply nor a re-ask quoting it could be logged or sent."""
    draft = json.loads(answer_any(request_json).content)
    draft["rationale"] = "\ud83d " + draft["rationale"]
    return reply(json.dumps(draft, ensure_ascii=False))


# --- the LLM's reply over HTTP ---------------------------------------------------------------


@pytest.fixture
def report(assistant, tmp_path):
    return ingest_westerleigh(assistant, tmp_path)


@pytest.fixture
def llm(monkeypatch, scripted_llm):
    return use_scripted(monkeypatch, scripted_llm)


def test_a_reply_whose_text_holds_a_lone_surrogate_is_logged_rejected_and_re_asked(
    report, llm, capsys
):
    """The call-log row could not be written (UnicodeEncodeError): the call went unlogged and
    the draft failed with the raw error. Both calls are logged now, the reply with its surrogate
    escaped, the re-ask is sent (quoting the reply escaped), and the draft fails saying why;
    once the model answers well, the re-run drafts."""
    llm.handler = raw_half_emoji
    args = ["draft", "westerleigh", "--engine", "llm", "--questions", "A1", "--json"]
    code, out, err = run_cli(capsys, *args)
    [draft] = json.loads(out)
    assert draft["error"] == f"invalid output after 2 attempts: {NOT_UNICODE}", draft["error"]
    rows = calls()
    assert [(r["status"], r["error"]) for r in rows] == [("rejected", NOT_UNICODE)] * 2
    assert all(r["response"].startswith('{"status"') for r in rows)
    assert '"rationale": "\\ud83d ' in rows[0]["response"]  # the record says what came
    first, second = llm.chat_requests()
    assert "\\ud83d" in second.json["messages"][-2]["content"]  # the re-ask quotes it, escaped

    llm.handler = answer_any
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and json.loads(out)[0]["status"] != "failed", out
    assert [r["status"] for r in calls()[2:]] == ["ok"]


def test_ask_given_a_lone_surrogate_says_why_and_logs_every_call(report, llm, capsys):
    """`ask` ended with "unexpected UnicodeEncodeError ... please report it", and logged nothing.
    Now it says the reply was invalid; a question typed with half an emoji (or a byte that is not
    UTF-8, from the shell) is sent with it escaped, and answered."""
    llm.handler = raw_half_emoji
    code, out, err = run_cli(capsys, "ask", "westerleigh", "Who chairs it?", "--engine", "llm")
    assert code == 1 and "unexpected" not in err + out, err
    assert f"FAILED: invalid output after 2 attempts: {NOT_UNICODE}" in out, out
    assert [r["status"] for r in calls()] == ["rejected", "rejected"]

    llm.handler = answer_any
    code, out, err = run_cli(
        capsys, "ask", "westerleigh", "Who chairs it \ud83d? caf\udce9", "--engine", "llm"
    )
    assert code == 0 and "unexpected" not in err, err
    assert "Who chairs it \\ud83d? caf\\udce9" in llm.last_messages()[-1]["content"]
    assert calls()[-1]["status"] == "ok"


def test_an_error_body_holding_a_lone_surrogate_is_logged_and_said(report, llm, capsys):
    """Outside the reply's content: a 400 whose error message holds half an emoji. The error
    row could not be written, and the draft failed with the raw UnicodeEncodeError."""
    llm.enqueue(status(400, {"error": {"message": "no \ud83d here", "type": "invalid"}}))
    code, out, err = run_cli(
        capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A1", "--json"
    )
    [draft] = json.loads(out)
    assert "the endpoint rejected the request" in draft["error"], draft["error"]
    assert "no \\ud83d here" in draft["error"] and "UnicodeEncodeError" not in draft["error"]
    [row] = calls()
    assert row["status"] == "error" and "no \\ud83d here" in row["error"]


def test_a_completion_holding_lone_surrogates_outside_its_content_drafts(report, llm, capsys):
    """Half emojis in the completion's id, model and refusal fields: nothing of them is stored,
    and the draft is made as from any completion."""

    def handler(request_json):
        body = llm.completion(request_json, answer_any(request_json).content)
        body["id"] = "chatcmpl-\ud83d"
        body["model"] = "scripted-\ud83d"
        body["choices"][0]["message"]["refusal"] = "\udc00"
        return raw(json.dumps(body))

    llm.handler = handler
    args = ["draft", "westerleigh", "--engine", "llm", "--questions", "A1", "--json"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and json.loads(out)[0]["status"] != "failed", out
    assert [r["status"] for r in calls()] == ["ok"]


# --- a PDF's text and file name --------------------------------------------------------------

HALF_EMOJI_PAGES = [
    [
        "Westerleigh Safeguarding Children Partnership",
        "Annual Report 2020-21",
        "Young people told us ~ that they felt listened to by the partnership.",
    ],
    ["Our priorities", "Neglect ~ child exploitation and domestic abuse were the priorities."],
]


def test_a_page_whose_font_map_gives_half_an_emoji_is_kept_readable(assistant, tmp_path):
    """A ToUnicode map that sends a glyph to <D83D> gave pypdf a lone surrogate: SQLite refused
    the page and the whole file failed ("unexpected error UnicodeEncodeError"). The character
    is U+FFFD now, one for one, the rest of the page is stored, searched and quoted, and
    ingest says which pages hold such characters."""
    pdf = write_half_emoji_pdf(tmp_path / "westerleigh.pdf", HALF_EMOJI_PAGES)
    [result] = list(assistant.ingest([pdf]))
    assert result.status == "indexed", result.error
    assert result.report.period == "2020-21"
    [warning] = [w for w in result.warnings if "not valid Unicode" in w]
    assert warning.startswith("2 characters not valid Unicode on page(s) 1-2 (half an emoji")
    pages = assistant.reports.pages(result.report.report_id)
    assert "told us \ufffd that they felt" in pages[1]
    hits = assistant.search(result.report.report_id, "neglect child exploitation priorities")
    assert any("Neglect \ufffd child exploitation" in hit.text for hit in hits)


def test_a_file_name_with_a_byte_that_is_not_utf8_is_ingested_scored_and_exported(
    assistant, tmp_path, capsys
):
    """A file named with the byte \\xff (os.fsdecode gives "\\udcff") failed ingest and
    stopped `score` ("unexpected UnicodeEncodeError"). Its name is stored written out,
    "westerleigh-\\xff.pdf", as `ls -b` shows it: reports, draft by that name (typed either
    way), score, its re-run, exports and the page view all work, reading the real file."""
    folder = tmp_path / "year"
    folder.mkdir()
    pdf = Path(os.fsdecode(bytes(folder) + b"/westerleigh-\xff.pdf"))
    text_pdf(pdf, PAGES)
    code, out, err = run_cli(capsys, "score", str(folder), "--period", "2020-21", "--json")
    assert code == 0 and "unexpected" not in err, err
    assert json.loads(out)["failed"] == 0, out
    code, out, err = run_cli(capsys, "score", str(folder), "--period", "2020-21", "--json")
    assert code == 0 and json.loads(out)["reused"] > 0, out
    code, out, _ = run_cli(capsys, "reports")
    assert "westerleigh-\\xff.pdf" in out
    for ref in ("westerleigh-\\xff", pdf.name):
        code, out, err = run_cli(capsys, "draft", ref, "--questions", "A1")
        assert code == 0, err
    code, out, err = run_cli(capsys, "review-export", "--out", str(tmp_path / "final.csv"))
    assert code == 0, err
    with open(tmp_path / "final.csv", encoding="utf-8-sig") as fh:
        assert {row["Report"] for row in csv.DictReader(fh)} == {"westerleigh-\\xff.pdf"}
    code, out, err = run_cli(capsys, "export", "--out", str(tmp_path / "out"))
    assert code == 0, err

    [record] = assistant.list_reports()
    assert record.file_name == "westerleigh-\\xff.pdf" and record.path == pdf
    from assistant.ui.render import render_page

    image, note = render_page(record.path, 1)
    assert image is not None, note


# --- what reviewers type, and the register CSV --------------------------------------------


def test_a_reviewer_note_and_answer_holding_half_an_emoji_are_saved_and_exported(
    assistant, report, tmp_path, capsys
):
    """The browser sends what a reviewer typed or pasted as JSON; a pasted half emoji arrives as
    a lone surrogate. The note made the save fail (UnicodeEncodeError: the Review page said
    "unexpected error"); a free-text answer was saved (as a JSON escape) and then stopped the
    final-answer export. Both are saved with U+FFFD in its place, and export."""
    first = assistant.record_decision(
        report.report_id, "A1", "Ann \ud83d", "note", note="check p2 \ud83d", base_event_id=None
    )
    assert first.note == "check p2 \ufffd" and first.reviewer == "Ann \ufffd"
    event = assistant.record_decision(
        report.report_id,
        "C10",
        "Ann",
        "enter",
        after="no \ud83d scrutiny",
        base_event_id=None,
    )
    assert assistant.review_item(report.report_id, "C10").answer == "no \ufffd scrutiny"
    assert event.after == "no \ufffd scrutiny"
    code, out, err = run_cli(capsys, "review-export", "--out", str(tmp_path / "final.csv"))
    assert code == 0, err
    text = (tmp_path / "final.csv").read_text(encoding="utf-8-sig")
    assert "no \ufffd scrutiny" in text and "check p2 \ufffd" in text


def test_a_register_csv_whose_name_holds_a_byte_that_is_not_utf8_is_imported(
    assistant, tmp_path, capsys
):
    """The register's rows keep the CSV's file name: a name with the byte \\xff stopped the
    import ("unexpected UnicodeEncodeError"). Its content is read as strict UTF-8, so it cannot
    carry a lone surrogate; a file that is not UTF-8 is refused by name, as before."""
    path = Path(os.fsdecode(bytes(tmp_path) + b"/register-\xff.csv"))
    path.write_text(
        "partnership,region,published\nWesterleigh Safeguarding Children Partnership,North,yes\n",
        encoding="utf-8",
    )
    code, out, err = run_cli(capsys, "register", "import", str(path), "--period", "2020-21")
    assert code == 0 and "unexpected" not in err, err
    with assistant.db.connect() as conn:
        [(source,)] = conn.execute("SELECT source_file FROM register").fetchall()
    assert source == "register-\\xff.csv"


def test_a_blind_second_mark_whose_note_holds_half_an_emoji_is_saved(assistant, report, capsys):
    """Second marking: the blind marker's name and note come from the browser too; a half
    emoji in either stopped the save and the queue."""
    code, _, err = run_cli(capsys, "draft", "westerleigh", "--questions", "A1")
    assert code == 0, err
    [draft] = [d for d in assistant.drafts.for_report(report.report_id) if d.question_id == "A1"]
    assistant.record_decision(
        report.report_id, "A1", "Ann", "accept", base_event_id=None, draft_id=draft.draft_id
    )
    item, waiting = assistant.take_blind_item("Bob \ud83d")
    assert item is not None and item.question.id == "A1"
    mark = assistant.record_blind_mark(
        report.report_id, "A1", "Bob \ud83d", "no", note="unsure \ud83d"
    )
    assert (mark.reviewer, mark.note) == ("Bob \ufffd", "unsure \ufffd")
    assert assistant.hidden_for("Bob \ud83d", report.report_id) == set()


def test_a_partnership_name_typed_in_a_terminal_that_is_not_utf8_is_refused_plainly(
    tmp_path, capsys
):
    """`ingest --partnership` typed in a Latin-1 terminal ("é" arrives as "\\udce9") failed
    every file ("unexpected error UnicodeEncodeError") after reading it. It is refused before
    any file is read, saying what to do."""
    pdf = text_pdf(tmp_path / "westerleigh.pdf", PAGES)
    code, out, err = run_cli(capsys, "ingest", str(pdf), "--partnership", "Caf\udce9 Vale")
    assert code == 2 and "unexpected" not in err + out, err
    assert "holds text that is not valid Unicode (\\udce9: a byte that is not UTF-8" in err
    assert "type the name again in UTF-8" in err
    code, out, err = run_cli(capsys, "ingest", str(pdf), "--partnership", "Café Vale")
    assert code == 0, err
