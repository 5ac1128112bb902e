"""Versions of a report in the year's figures: what reviewers decided on an older version stays
in view, a folder holding an older version scores the current one, and copies without a
period are named (or linked, once --period gives them one).

Real PDFs (reportlab), a real SQLite data home and the offline engine, through the CLI as a
user types it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import ConflictError
from tests.make_pdf import text_pdf

PERIOD = "2020-21"


def _eastmoor(extra: str = "", period: str | None = PERIOD) -> list[list[str]]:
    return [
        ["Eastmoor LSCP", f"Annual Report {period}" if period else "Annual Report"],
        ["Our priorities", f"Neglect was a priority for Eastmoor this year. {extra}"],
        ["Budget", "Police contributed 40,000 pounds to the budget."],
    ]


def _run(capsys, *argv: str) -> tuple[dict | list, str]:
    """(JSON output, stderr) of one CLI command that must succeed."""
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return json.loads(out), err


def _scored_year(tmp_path, capsys, questions: str):
    """A folder holding eastmoor's first copy, scored for `questions`: (folder, the score
    command to run again once a corrected copy is in it, the first copy's report id)."""
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    score = ["score", str(folder), "--period", PERIOD, "--questions", questions]
    _run(capsys, *score)
    [older], _ = _run(capsys, "reports")
    return folder, score, older["report_id"]


def _tally(cohort: dict, source: str, qid: str) -> dict:
    [tally] = [t for t in cohort["sources"][source] if t["question_id"] == qid]
    return tally


def _cohort_app(assistant):
    """The Cohort tab's figures handler, as Gradio runs it when a run is picked."""
    import gradio as gr

    from assistant.ui.cohort import cohort_tab

    with gr.Blocks() as demo:
        cohort_tab(assistant)
    [show, *_] = [fn for fn in demo.fns.values() if fn.name == "show"]
    return show.fn


def test_reviewer_decided_cohort_keeps_the_decisions_made_on_an_older_version(
    assistant, tmp_path, capsys
):
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    score = ["score", str(folder), "--period", PERIOD, "--questions", "A1,A6"]
    first, _ = _run(capsys, *score)
    [older], _ = _run(capsys, "reports")
    record = assistant.record_decision
    record(older["report_id"], "A1", "alice", "enter", after="yes", base_event_id=None)
    record(older["report_id"], "A6", "alice", "edit", after="partly", base_event_id=None)
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    again, _ = _run(capsys, *score)
    assert again["run_id"] == first["run_id"] and again["reports"] == 1
    [newer], _ = _run(capsys, "reports")
    assert newer["previous_version"] == older["report_id"]
    # on the corrected copy, bob decides A6 anew: his decision is the one counted
    record(newer["report_id"], "A6", "bob", "enter", after="evidenced", base_event_id=None)

    run = ["cohort", "--run", again["run_id"], "--source", "accepted"]
    cohort, _ = _run(capsys, *run)
    a1, a6 = _tally(cohort, "accepted", "A1"), _tally(cohort, "accepted", "A6")
    # A1: only the older version has a decision; it is counted, and said to be
    assert (a1["n_answered"], a1["counts"]) == (1, {"yes": 1})
    assert (a6["n_answered"], a6["counts"]) == (1, {"evidenced": 1})
    assert (a1["from_older_versions"], a6["from_older_versions"]) == (1, 0)
    assert cohort["older_versions"] == {
        "counted": 1,
        "counted_reports": 1,
        "not_counted": 1,
        "not_counted_reports": 1,
    }
    counted_note = (
        "1 reviewer-decided answer in these figures was decided on an older version of 1 "
        "report (its current version has no decision on that question yet)"
    )
    left_note = (
        "1 reviewer decision on an older version of 1 report is not in these figures (a later "
        "decision on the same question replaces it, or it rejected the draft without an "
        "answer); every decision is in the final-answer export: review-export --out FILE"
    )
    assert any(n.startswith(counted_note) for n in cohort["notes"])
    assert any(n.startswith(left_note) for n in cohort["notes"])

    assert main(run) == 0
    text = capsys.readouterr().out
    assert counted_note in text and left_note in text
    [a1_line] = [line for line in text.splitlines() if line.strip().startswith("A1 ")]
    assert a1_line.endswith("(1 decided on an older version)")

    # the period's cohort (not a run) counts the same
    by_period, _ = _run(capsys, "cohort", "--period", PERIOD, "--source", "both")
    assert _tally(by_period, "accepted", "A1")["counts"] == {"yes": 1}
    assert by_period["older_versions"] == cohort["older_versions"]

    # the Cohort tab says what the CLI says, in its message and its summary
    show = _cohort_app(assistant)
    note, summary_text, *_ = show(f"run:{again['run_id']}", "accepted")
    assert counted_note in note and left_note in note
    assert counted_note in summary_text and left_note in summary_text
    assert a1_line in summary_text


def test_score_of_a_folder_holding_an_older_version_scores_the_current_one(
    assistant, tmp_path, capsys
):
    folder, elsewhere = tmp_path / "year", tmp_path / "downloads"
    folder.mkdir()
    elsewhere.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    text_pdf(elsewhere / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    [older], _ = _run(capsys, "ingest", str(folder))
    [newer], _ = _run(capsys, "ingest", str(elsewhere))
    assert newer["previous_version"] == older["report_id"]

    summary, err = _run(capsys, "score", str(folder), "--period", PERIOD, "--questions", "A1")
    assert summary["reports"] == 1
    # the current version is the one drafted, counted and exported
    assert [d.question_id for d in assistant.drafts.for_report(newer["report_id"])] == ["A1"]
    assert assistant.drafts.for_report(older["report_id"]) == []
    assert assistant.cohort(summary["run_id"]).report_ids == [newer["report_id"]]
    # and the output says so, naming both files
    [warning] = [line for line in err.splitlines() if line.startswith("warning: a-eastmoor.pdf")]
    assert "an older version of Eastmoor LSCP 2020-21" in warning
    assert f"b-eastmoor-corrected.pdf ({newer['report_id'][:12]})" in warning
    assert "put that file in this folder in place of this one" in warning
    [listed], _ = _run(capsys, "runs")
    assert listed["reports"] == 1
    paths, _ = _run(capsys, "export", "--run", summary["run_id"])
    assert older["report_id"] not in Path(paths["wide_csv"]).read_text(encoding="utf-8-sig")
    assert newer["report_id"] in Path(paths["wide_csv"]).read_text(encoding="utf-8-sig")


def _plan(capsys, folder: Path) -> tuple[list, list[str]]:
    """`score FOLDER --plan` for A1: the plans, and the warning lines it printed."""
    plans, err = _run(
        capsys, "score", str(folder), "--plan", "--engine", "llm", "--questions", "A1"
    )
    return plans, [line for line in err.splitlines() if line.startswith("warning: ")]


def test_score_plan_plans_the_current_versions_score_drafts(
    assistant, tmp_path, capsys, monkeypatch
):
    """`score --plan` plans what `score` drafts: a folder holding an older version plans its
    current one, saying so in score's words, and a corrected copy beside its older file once."""
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "priced-model")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__PRICES", json.dumps({"priced-model": [1, 4, 0.25]}))
    folder, elsewhere, both = tmp_path / "year", tmp_path / "downloads", tmp_path / "both"
    for f in (folder, elsewhere, both):
        f.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    text_pdf(elsewhere / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures. " * 30))
    [older], _ = _run(capsys, "ingest", str(folder))
    [newer], _ = _run(capsys, "ingest", str(elsewhere))
    assert newer["previous_version"] == older["report_id"]

    current_plans, _ = _plan(capsys, elsewhere)
    plans, warnings = _plan(capsys, folder)
    assert plans == current_plans  # calls, tokens and cost of the corrected copy
    [warning] = warnings
    assert warning.startswith("warning: a-eastmoor.pdf: an older version of Eastmoor LSCP")
    assert f"b-eastmoor-corrected.pdf ({newer['report_id'][:12]})" in warning
    _, err = _run(capsys, "score", str(folder), "--period", PERIOD, "--questions", "A1")
    assert [line for line in err.splitlines() if line.startswith("warning: ")] == [warning]

    # a folder holding a report and its corrected copy plans the copy, as score drafts it
    text_pdf(both / "a-eastmoor.pdf", _eastmoor(period="2021-22"))
    text_pdf(both / "b-eastmoor-corrected.pdf", _eastmoor("Corrected.", period="2021-22"))
    plans, _ = _plan(capsys, both)
    assert [p["calls"] for p in plans] == [1, 1, 1]  # retrieved, whole-report, theme
    summary, _ = _run(capsys, "score", str(both), "--questions", "A1")
    assert summary["reports"] == 1


def test_two_copies_without_a_period_are_named_and_linked_once_given_one(
    assistant, tmp_path, capsys
):
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor(period=None))
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures.", period=None))

    rows, err = _run(capsys, "ingest", str(folder))
    assert [r["period"] for r in rows] == [None, None]
    first_id = rows[0]["report_id"][:12]
    twin = [line for line in err.splitlines() if "same partnership and no period" in line]
    assert twin == [
        f"warning: b-eastmoor-corrected.pdf: a-eastmoor.pdf ({first_id}) has the same "
        "partnership and no period either, so both count as separate reports: if one is a "
        "corrected copy of the other, give the period (score or ingest --period 2020-21) and "
        "the later file becomes its new version; if they cover different years, ingest each "
        "file with its own --period"
    ]
    # scored without a period, both count, and the output says why
    summary, err = _run(capsys, "score", str(folder), "--questions", "A1")
    assert summary["reports"] == 2
    assert [line for line in err.splitlines() if "same partnership and no period" in line] == twin

    # --period fills the missing period, and with it the copies are one report's versions
    summary, err = _run(capsys, "score", str(folder), "--period", PERIOD, "--questions", "A1")
    assert summary["reports"] == 1
    assert "same partnership and no period" not in err
    assert "warning: b-eastmoor-corrected.pdf: a new version of" in err
    [current], _ = _run(capsys, "reports")
    assert current["file_name"] == "b-eastmoor-corrected.pdf"
    assert current["previous_version"] == rows[0]["report_id"]
    assert current["period"] == PERIOD
    assert assistant.reports.get(rows[0]["report_id"]).period == PERIOD


def test_review_of_the_current_version_shows_and_takes_over_the_older_decision(assistant, tmp_path):
    """Review lists current versions only: the decision alice made on the older copy is on
    the corrected copy's item, and taking it over is an ordinary decision saying so."""
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    [older] = [r.report for r in assistant.ingest([folder / "a-eastmoor.pdf"])]
    assistant.record_decision(
        older.report_id,
        "A1",
        "alice",
        "enter",
        after="yes",
        note="<b>seen</b>",
        base_event_id=None,
    )
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    [newer] = [r.report for r in assistant.ingest([folder / "b-eastmoor-corrected.pdf"])]
    assert newer.previous_version == older.report_id
    assert [r.report_id for r in assistant.list_reports()] == [newer.report_id]
    assert not assistant.review_item(newer.report_id, "A1").reviewed

    [seen] = assistant.older_decisions(newer.report_id, "A1")
    assert seen.report.file_name == "a-eastmoor.pdf"
    assert (seen.state.reviewer, seen.state.answer, seen.state.status) == (
        "alice",
        "yes",
        "entered",
    )
    assert assistant.older_decisions(newer.report_id, "A6") == []
    # the queue's rows read them once per report: A1 is marked there
    assert assistant.older_decided_question_ids(newer.report_id) == {"A1"}
    assert assistant.older_decided_question_ids(older.report_id) == set()

    event = assistant.take_over_older_decision(
        newer.report_id,
        "A1",
        "bob",
        from_event_id=seen.decision.event_id,
        base_event_id=None,
        note="same wording in the corrected copy",
    )
    state = assistant.review_item(newer.report_id, "A1")
    assert (state.reviewer, state.answer, state.status) == ("bob", "yes", "entered")
    [logged] = assistant.review_history(newer.report_id, "A1")
    assert logged == event and logged.action == "enter" and logged.after == "yes"
    when = seen.state.decided_at[:10]
    assert logged.note == (
        f"Taken over from the older version (a-eastmoor.pdf ({older.short_id}), {when}, alice)"
        ": same wording in the corrected copy"
    )
    assert logged.payload == {
        "from_event_id": seen.decision.event_id,
        "from_report_id": older.report_id,
    }
    # the older version's decision stays as it was
    assert [e.reviewer for e in assistant.review_history(older.report_id, "A1")] == ["alice"]
    # taken over again with a stale base: refused as any save over a newer decision
    with pytest.raises(ConflictError):
        assistant.take_over_older_decision(
            newer.report_id,
            "A1",
            "carol",
            from_event_id=seen.decision.event_id,
            base_event_id=None,
        )


def test_the_yearly_analysis_keeps_the_decisions_made_on_an_older_version(
    assistant, tmp_path, capsys
):
    from docx import Document

    folder, score, rid = _scored_year(tmp_path, capsys, "A1,A6,B6")
    record = assistant.record_decision
    record(rid, "A1", "alice", "enter", after="yes", base_event_id=None)
    record(rid, "A6", "alice", "edit", after="partly", base_event_id=None)
    record(rid, "B6", "alice", "enter", after="yes", base_event_id=None)
    for qid in ("A6", "B6"):  # marked as examples of practice on the older version
        _run(capsys, "example", rid, qid, "--reviewer", "alice")
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    _run(capsys, *score)
    [newer], _ = _run(capsys, "reports")
    assert newer["previous_version"] == rid
    # on the corrected copy bob decides A6 anew: alice's A6 (and her mark on it) is replaced
    record(newer["report_id"], "A6", "bob", "enter", after="evidenced", base_event_id=None)

    out = tmp_path / "analysis"
    paths, _ = _run(capsys, "analysis", "--period", PERIOD, "--out", str(out))
    saved = json.loads(Path(paths["json"]).read_text("utf-8"))
    findings = {f["question_id"]: f for f in saved["findings"]}
    # A1 and B6 were decided only on the older version: counted, and said to be
    a1_yes = findings["A1"]["figures"]["yes"]
    assert (a1_yes["count"], a1_yes["of"], a1_yes["undecided"]) == (1, 1, 0)
    assert a1_yes["older_versions"] == findings["A1"]["older_versions"] == 1
    assert findings["B6"]["figures"]["yes"]["count"] == 1
    a6 = findings["A6"]["figures"]
    assert (a6["evidenced"]["count"], a6["partly"]["count"]) == (1, 0)
    assert findings["A6"]["older_versions"] == 0
    # the same decisions counted (and left out) as the reviewer-decided cohort counts them
    cohort, _ = _run(capsys, "cohort", "--period", PERIOD, "--source", "accepted")
    assert saved["older_versions"] == cohort["older_versions"]
    assert saved["older_versions"]["counted"] == 2
    assert saved["older_versions"]["not_counted"] == 1
    method = next(line for line in saved["method"] if line.startswith("Answers decided"))
    assert method.startswith(
        f"Answers decided by a reviewer: 3 of {len(assistant.bank.questions)} by 2 reviewer(s), "
        "2 of them ‡ on an older version of the report"
    )
    left_note = (
        "1 reviewer decision on an older version of 1 report is not in these figures (a later "
        "decision on the same question replaces it, or it rejected the draft without an answer)"
        "; every decision is in the final-answer export: review-export --out FILE"
    )
    mark_note = (
        "1 example of practice marked on an older version of 1 report is not shown (the answer "
        "it marks is not in these figures); every mark is in the decision log of the "
        "final-answer export: review-export --out FILE"
    )
    for note in (left_note, mark_note):
        assert any(n.startswith(note) for n in saved["notes"]), saved["notes"]
    # the example marked on the older version's answer that counts is shown, marked
    [b6] = [e for e in saved["examples"] if e["question_id"] == "B6"]
    assert (b6["chosen_by"], b6["older_version"], b6["undecided"]) == ("alice", True, False)
    assert not [e for e in saved["examples"] if e["question_id"] == "A6" and e["chosen_by"]]

    footnote = (
        "1 answer decided on an older version of the report: decide again on the current "
        "version if the correction changed the answer"
    )
    page = Path(paths["html"]).read_text("utf-8")
    assert f"‡ {footnote}" in page
    assert "(1 of them ‡ decided on an older version)" in page
    assert left_note in page and mark_note in page
    assert "reviewer (alice) ‡ older version" in page
    doc = "\n".join(p.text for p in Document(paths["docx"]).paragraphs)
    [a1_line] = [line for line in doc.splitlines() if line.startswith("A1 ")]
    assert a1_line.endswith(f"‡ ({footnote})")
    assert method in doc and f"Note: {left_note}" in doc and f"Note: {mark_note}" in doc
    [b6_line] = [line for line in doc.splitlines() if line.startswith("B6 Eastmoor")]
    assert "(chosen by alice) ‡ (decided on an older version of the report" in b6_line

    # the command's own output says it too
    assert main(["analysis", "--period", PERIOD, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"  {method}" in text and f"note: {left_note}" in text

    # and the Cohort tab's Write analysis button
    from assistant.ui.cohort import analysis_files

    files, status = analysis_files(assistant, f"period:{PERIOD}")
    assert len(files) == 2 and left_note in status and mark_note in status


def _draft_id(assistant, report_id: str, qid: str) -> str:
    return next(d for d in assistant.drafts.for_report(report_id) if d.question_id == qid).draft_id


def _field_agreement_app(assistant):
    """The Evals tab's agreement-from-the-field handler, as Gradio runs it on Refresh."""
    import gradio as gr

    from assistant.ui.field_agreement import field_agreement_block

    with gr.Blocks() as demo:
        field_agreement_block(assistant)
    [load] = [fn for fn in demo.fns.values() if fn.name == "load"]
    return load.fn


def test_agreement_from_the_field_keeps_the_decisions_made_on_an_older_version(
    assistant, tmp_path, capsys
):
    folder, score, rid = _scored_year(tmp_path, capsys, "A1,A6,B6")
    record = assistant.record_decision
    for qid, action, after in (
        ("A1", "accept", None),
        ("A6", "edit", "partly"),
        ("B6", "reject", None),
    ):
        draft_id = _draft_id(assistant, rid, qid)
        record(rid, qid, "alice", action, after=after, draft_id=draft_id, base_event_id=None)
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    _run(capsys, *score)
    [newer], _ = _run(capsys, "reports")
    assert newer["previous_version"] == rid
    # on the corrected copy bob accepts A6's draft: his decision replaces alice's edit
    new_id = newer["report_id"]
    draft_id = _draft_id(assistant, new_id, "A6")
    record(new_id, "A6", "bob", "accept", draft_id=draft_id, base_event_id=None)

    rows, _ = _run(capsys, "agreement")
    got = {
        r["question_id"]: (r["decided"], r["accepted"], r["edited"], r["rejected"])
        for r in rows
        if r["decided"]
    }
    # A1 and B6 were decided on the older version only: counted, and said to be
    assert got == {"A1": (1, 1, 0, 0), "A6": (1, 1, 0, 0), "B6": (1, 0, 0, 1)}
    older_counts = {r["question_id"]: r["from_older_versions"] for r in rows if r["decided"]}
    assert older_counts == {"A1": 1, "A6": 0, "B6": 1}
    note = (
        "2 of these decided drafts were decided on an older version of the report (the current "
        "version has no decision on those questions yet): decide them again on the current "
        "version in Review if the correction changed the answer"
    )
    assert assistant.field_agreement_note(rows) == note

    assert main(["agreement"]) == 0
    text = capsys.readouterr().out
    assert "decided on older version" in text.splitlines()[0]
    [b6_line] = [line for line in text.splitlines() if line.startswith("B6 ")]
    assert b6_line.split() == ["B6", "1", "0", "0", "1", "0%", "1"]
    assert f"note: {note}" in text

    # the Evals tab says it too, and the yearly analysis counts the same decisions
    message, table = _field_agreement_app(assistant)()
    assert "2 of 3 decided drafts accepted unchanged (67%). " + note in message
    assert list(table.columns)[-1] == "Decided on older version"
    assert list(table.set_index("Question")["Decided on older version"]) == ["1", "0", "1"]
    out = tmp_path / "analysis"
    paths, _ = _run(capsys, "analysis", "--period", PERIOD, "--out", str(out))
    saved = json.loads(Path(paths["json"]).read_text("utf-8"))
    assert [r for r in saved["agreement"] if r["decided"]] == [r for r in rows if r["decided"]]


def _blind_versions(assistant, tmp_path, capsys, corrected: str):
    """Eastmoor scored on A6 and C8; alice decides both on the first copy and bob second-marks
    C8 blind there; then a copy with `corrected` in its text (none: the same text in another
    file, as a copy saved again is) is ingested and scored. Returns (older id, newer id)."""
    folder, score, rid = _scored_year(tmp_path, capsys, "A6,C8")
    for qid in ("A6", "C8"):
        assistant.record_decision(rid, qid, "alice", "edit", after="partly", base_event_id=None)
    assistant.record_blind_mark(rid, "C8", "bob", "not")
    copy = text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor(corrected))
    if not corrected:  # other bytes after the end of the file: a new file, the same text
        copy.write_bytes(copy.read_bytes() + b"% saved again\n")
    _run(capsys, *score)
    [newer], _ = _run(capsys, "reports")
    assert newer["previous_version"] == rid
    return rid, newer["report_id"]


def test_blind_second_marking_keeps_the_items_marked_and_decided_on_an_older_version(
    assistant, tmp_path, capsys
):
    rid, new_id = _blind_versions(assistant, tmp_path, capsys, corrected="Corrected figures.")
    # bob's mark on the older copy, against alice's answer there, stays a double-marked item
    report = assistant.second_marking(n_boot=50)
    assert report["items"] == 1 and report["disagreements"] == 1
    assert report["compared"] == 1
    assert report["older_versions"]["marked_on_older"] == 1
    assert report["human_human"]["n"] == 1
    assert report["lines"][1] == (
        "1 item was blind-marked on an older version of the report, whose text the blind marker "
        "read."
    )
    [waiting] = assistant.adjudication_queue()
    assert (waiting.report_id, waiting.question.id, waiting.first) == (rid, "C8", "partly")

    # carol second-marks A6 on the corrected copy, whose text differs from the copy alice
    # decided: the pair is listed and waits for adjudication, but it is no agreement figure
    assistant.record_blind_mark(new_id, "A6", "carol", "evidenced")
    report = assistant.second_marking(n_boot=50)
    assert report["items"] == 2 and report["to_adjudicate"] == 2
    assert report["compared"] == 1
    assert report["older_versions"]["first_on_older"] == 1
    assert report["older_versions"]["text_differs"] == 1
    assert report["human_human"]["n"] == 1
    differs = (
        "1 blind mark not in the agreement figures: its first answer was decided on an older "
        "version of the report whose text differs (the two reviewers read different text); 1 "
        "of 1 waits for adjudication."
    )
    assert differs in report["lines"]
    [across] = [p for p in assistant.adjudication_queue() if p.report_id == new_id]
    assert (across.first, across.first_reviewer, across.first_on_older) == ("partly", "alice", rid)
    assert not across.comparable
    # adjudicated on the corrected copy, the pair still compares alice's first answer
    event = assistant.adjudicate(new_id, "A6", "dana", "evidenced")
    assert "(alice, on an older version)" in event.note
    [settled] = [p for p in assistant.second_marking_pairs() if p.report_id == new_id]
    assert (settled.first, settled.first_on_older) == ("partly", rid)

    # the yearly analysis says what the Second marking page says
    out = tmp_path / "analysis"
    paths, _ = _run(capsys, "analysis", "--period", PERIOD, "--out", str(out))
    page = html.unescape(Path(paths["html"]).read_text("utf-8"))
    assert "Blind second marking: 2 items double-marked" in page
    assert differs.replace("1 of 1 waits", "0 of 1 wait") in page


def test_a_blind_mark_on_a_corrected_copy_with_the_same_text_is_compared(
    assistant, tmp_path, capsys
):
    _, new_id = _blind_versions(assistant, tmp_path, capsys, corrected="")
    assert assistant.reports.pages(new_id)  # the same text in another file (a new id)
    assistant.record_blind_mark(new_id, "A6", "carol", "partly")
    report = assistant.second_marking(n_boot=50)
    assert report["items"] == 2 and report["disagreements"] == 1
    assert report["compared"] == 2
    assert report["older_versions"]["first_on_older_same_text"] == 1
    assert report["older_versions"]["text_differs"] == 0
    assert (
        "1 blind mark is compared with a first answer decided on an older version of the report "
        "with the same text."
    ) in report["lines"]
