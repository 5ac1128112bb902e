"""Report identity: a file name never makes a new version; refused uploads leave nothing behind.

Councils publish generic names (`Annual-Report-2020-21.pdf`), so two partnerships' reports
often share one. A new version is a deliberate act: same partnership and period, or
`ingest --replaces REPORT`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import NotFoundError
from tests.bad_pdfs import write_corrupt_pdf, write_not_a_pdf
from tests.make_pdf import text_pdf


def _report(partnership: str, period: str = "2020-21", extra: str = "") -> list[list[str]]:
    return [
        [f"{partnership} Safeguarding Children Partnership", f"Annual Report {period}"],
        ["Our priorities", f"Neglect was a priority for {partnership} this year. {extra}"],
        ["Budget", "Police contributed 40,000 pounds to the budget."],
    ]


def _ingest_one(assistant, path: Path, **kwargs):
    [result] = list(assistant.ingest([path], **kwargs))
    assert result.status in ("indexed", "unchanged"), result.error
    return result.report


def test_same_file_name_of_another_partnership_is_a_new_report(assistant, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    x = _ingest_one(assistant, text_pdf(tmp_path / "a/annual-report.pdf", _report("Halden Vale")))
    _, outcomes = assistant.draft_report(x.report_id, question_ids=["A1"], engine="offline")
    assert outcomes and outcomes[0].draft.report_id == x.report_id
    y = _ingest_one(assistant, text_pdf(tmp_path / "b/annual-report.pdf", _report("Marsh Fen")))

    assert y.report_id != x.report_id and y.previous_version is None
    listed = {r.report_id for r in assistant.list_reports()}
    assert listed == {x.report_id, y.report_id}
    assert {r.report_id for r in assistant.list_reports(period="2020-21")} == listed
    cohort = assistant.cohort(period="2020-21")
    assert set(cohort.report_ids) == listed
    # the drafted report is still drafted
    assert assistant.drafts.for_report(x.report_id, engine="offline")
    # the shared file name no longer picks one of them silently
    with pytest.raises(NotFoundError, match="2 different reports"):
        assistant.resolve_report("annual-report")
    assert assistant.resolve_report(y.report_id[:10]).report_id == y.report_id


def test_same_partnership_and_period_is_a_new_version_whatever_the_name(assistant, tmp_path):
    first = _ingest_one(assistant, text_pdf(tmp_path / "halden.pdf", _report("Halden Vale")))
    fixed = text_pdf(
        tmp_path / "halden-corrected.pdf", _report("Halden Vale", extra="Corrected figures.")
    )
    [result] = list(assistant.ingest([fixed]))
    assert result.report.previous_version == first.report_id
    assert any(
        "new version of" in w and "same partnership and period" in w for w in result.warnings
    )
    assert [r.report_id for r in assistant.list_reports()] == [result.report.report_id]
    # another year of the same partnership is another report
    later = _ingest_one(
        assistant, text_pdf(tmp_path / "halden-2122.pdf", _report("Halden Vale", "2021-22"))
    )
    assert later.previous_version is None
    assert len(assistant.list_reports()) == 2


def test_replaces_makes_a_new_version_deliberately(assistant, tmp_path, capsys):
    x = _ingest_one(assistant, text_pdf(tmp_path / "x.pdf", _report("Halden Vale")))
    # a file whose partnership is not detected: a new report unless told otherwise
    untitled = [["Annual Report 2020-21"], ["Neglect was a priority."], ["Budget"]]
    renamed = text_pdf(tmp_path / "scan-final.pdf", untitled)
    code = main(["ingest", str(renamed), "--replaces", x.report_id[:10], "--json"])
    assert code == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["previous_version"] == x.report_id
    assert row["partnership"] == x.partnership  # filled from the version it replaces
    assert [r.report_id for r in assistant.list_reports()] == [row["report_id"]]
    # a replaced report cannot be replaced again (that would hide the newer version)
    other = text_pdf(tmp_path / "other.pdf", _report("Marsh Fen"))
    assert main(["ingest", str(other), "--replaces", x.report_id[:10]]) == 2
    assert "already replaced by" in capsys.readouterr().err
    # --replaces names the version of one file, never of a folder's worth
    assert main(["ingest", str(tmp_path), "--replaces", row["report_id"][:10]]) == 2
    assert "--replaces" in capsys.readouterr().err
    # an already stored file can be marked as the new version afterwards
    assert main(["ingest", str(other)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(other), "--replaces", row["report_id"][:10], "--json"]) == 0
    [again] = json.loads(capsys.readouterr().out)
    assert again["status"] == "unchanged" and again["previous_version"] == row["report_id"]


def test_ui_upload_of_another_report_under_an_existing_name_is_a_new_report(assistant, tmp_path):
    from assistant.ui.common import AppContext
    from assistant.ui.library import _store_upload

    ctx = AppContext(assistant, login_required=False)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    ids = []
    for folder, name in (("first", "Halden Vale"), ("second", "Marsh Fen")):
        upload = text_pdf(tmp_path / folder / "Annual-Report-2020-21.pdf", _report(name))
        ids.append(_ingest_one(assistant, _store_upload(ctx, str(upload))).report_id)
    assert {r.report_id for r in assistant.list_reports()} == set(ids)


def _upload_app(assistant):
    """The Library's ingest handler, as Gradio runs it for one click."""
    import gradio as gr

    from assistant.ui.common import AppContext
    from assistant.ui.library import library_page

    ctx = AppContext(assistant, login_required=False)
    with gr.Blocks() as demo:
        library_page(ctx)
    [handler] = [fn for fn in demo.fns.values() if fn.name == "ingest"]
    return lambda files: handler.fn(files, "", "", False, progress=lambda *a, **k: None)


def test_refused_uploads_are_removed_and_errors_name_the_file(assistant, tmp_path):
    ingest = _upload_app(assistant)
    bad = [
        write_corrupt_pdf(tmp_path / "broken report.pdf"),
        write_not_a_pdf(tmp_path / "webpage.pdf"),
    ]
    good = text_pdf(tmp_path / "halden.pdf", _report("Halden Vale"))
    log, _table, last_id = ingest([str(p) for p in [*bad, good]])
    uploads = assistant.settings.home / "uploads"
    kept = sorted(p.name for p in uploads.rglob("*") if p.is_file())
    assert kept == ["halden.pdf"]  # only the file a report reads its pages from
    assert last_id == assistant.resolve_report("halden").report_id
    assert str(uploads) not in log and str(tmp_path) not in log and "/uploads/" not in log
    assert "FAILED broken report.pdf: " in log and "FAILED webpage.pdf: " in log
    assert "broken report.pdf: broken report.pdf" not in log
    # the same bytes again: unchanged, and the library's copy stays
    ingest([str(good)])
    assert sorted(p.name for p in uploads.rglob("*") if p.is_file()) == ["halden.pdf"]


def test_cli_errors_name_the_file_not_its_absolute_path(tmp_path, capsys):
    folder = tmp_path / "year"
    folder.mkdir()
    write_not_a_pdf(folder / "webpage.pdf")
    assert main(["ingest", str(folder), "--json"]) == 1
    [row] = json.loads(capsys.readouterr().out)
    assert row["error"].startswith("webpage.pdf: ")
    assert str(tmp_path) not in row["error"]


def test_decisions_on_an_older_version_stay_in_the_default_final_answer_export(assistant, tmp_path):
    """A reviewer's decision on a report later replaced by a new version never drops out of
    view: the default export lists the current versions and every older version decided on."""
    first = _ingest_one(assistant, text_pdf(tmp_path / "halden.pdf", _report("Halden Vale")))
    assistant.record_decision(
        first.report_id, "A1", "alice", "enter", after="yes", base_event_id=None
    )
    fixed = text_pdf(
        tmp_path / "halden-corrected.pdf", _report("Halden Vale", extra="Corrected figures.")
    )
    [result] = list(assistant.ingest([fixed]))
    assert result.report.previous_version == first.report_id
    assert [r.report_id for r in assistant.list_reports()] == [result.report.report_id]
    rows = assistant.final_answer_rows()
    decided = [r for r in rows if r["report_id"] == first.report_id and r["question_id"] == "A1"]
    assert [(r["reviewer"], r["status"]) for r in decided] == [("alice", "entered")]
    assert {r["report_id"] for r in rows} == {first.report_id, result.report.report_id}
    out = assistant.export_final_answers(tmp_path / "final.csv")
    assert first.report_id in out.read_text(encoding="utf-8-sig")


def _eastmoor(extra: str = "") -> list[list[str]]:
    return [
        ["Eastmoor LSCP", "Annual Report 2020-21"],
        ["Our priorities", f"Neglect was a priority for Eastmoor this year. {extra}"],
        ["Budget", "Police contributed 40,000 pounds to the budget."],
    ]


def _json(capsys, *argv: str):
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_score_counts_a_corrected_copy_once_and_says_it_is_a_new_version(tmp_path, capsys):
    folder = tmp_path / "dup"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    score = ["score", str(folder), "--period", "2020-21", "--questions", "A1"]

    assert main(score) == 0
    out, err = capsys.readouterr()
    assert "b-eastmoor-corrected.pdf: a new version of" in err
    assert "same partnership and period" in err
    assert "1 reports" in out
    summary = _json(capsys, *score)
    [current] = _json(capsys, "reports")
    assert current["file_name"] == "b-eastmoor-corrected.pdf"
    assert summary["reports"] == 1
    assert _json(capsys, "cohort", "--period", "2020-21")["reports"] == 1
    assert _json(capsys, "cohort", "--run", summary["run_id"])["reports"] == 1
    [listed] = _json(capsys, "runs")
    assert listed["reports"] == 1  # `runs` counts as score does
    paths = _json(capsys, "export", "--run", summary["run_id"])
    with open(paths["wide_csv"], newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["report_id"] for row in rows] == [current["report_id"]]


def test_rescoring_with_a_corrected_copy_keeps_the_decisions_on_the_older_one(
    assistant, tmp_path, capsys
):
    folder = tmp_path / "dup"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    score = ["score", str(folder), "--period", "2020-21", "--questions", "A1"]
    first = _json(capsys, *score)
    [older] = _json(capsys, "reports")
    assistant.record_decision(
        older["report_id"], "A1", "alice", "enter", after="yes", base_event_id=None
    )
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))

    again = _json(capsys, *score)
    assert again["run_id"] == first["run_id"] and again["reports"] == 1
    [newer] = _json(capsys, "reports")
    assert newer["previous_version"] == older["report_id"]
    assert _json(capsys, "cohort", "--run", again["run_id"])["reports"] == 1
    # the reviewer's answer on the older version is kept and still exported
    decided = [r for r in assistant.final_answer_rows() if r["report_id"] == older["report_id"]]
    assert [(r["reviewer"], r["status"]) for r in decided if r["question_id"] == "A1"] == [
        ("alice", "entered")
    ]
    assert older["report_id"] in assistant.export_final_answers(tmp_path / "f.csv").read_text(
        encoding="utf-8-sig"
    )


def _without_period(tmp_path: Path) -> Path:
    """A report whose period is not detected: `--period` is what labels it."""
    (tmp_path / "year").mkdir()
    return text_pdf(tmp_path / "year/report.pdf", [["Annual Report"], ["Neglect was a priority."]])


@pytest.mark.parametrize("command", ["score", "ingest"])
@pytest.mark.parametrize("bad", ["banana", "2020-99", "2021-20", "2020"])
def test_a_period_that_is_not_one_is_refused_before_anything_is_stored(
    command, bad, tmp_path, capsys
):
    untitled = _without_period(tmp_path)
    target = untitled.parent if command == "score" else untitled
    assert main([command, str(target), "--period", bad]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: period {bad!r} is not a reporting period: use 2020-21, 2020/21")
    assert main(["reports", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_run_stored_under_a_label_that_is_not_a_period_is_resumed_by_that_label(tmp_path, capsys):
    """Before --period was checked, `score DIR --period "pilot batch"` stored a run under that
    label; the same command resumes it. The label stays the run's only (no report's period), and
    a new label that is not a period is still refused."""
    import sqlite3

    from assistant.bulk.runs import run_id_for, source_label
    from assistant.service import Assistant

    untitled = _without_period(tmp_path)
    folder = untitled.parent
    a = Assistant()
    drafter = a.drafter("offline")
    run_id = run_id_for(source_label(folder), "pilot batch", drafter)
    template, version = drafter.template
    with sqlite3.connect(a.settings.db_path) as conn:  # as the older version stored it
        conn.execute(
            "INSERT INTO runs (run_id, kind, label, source, engine, model, bank_name, "
            "bank_version, template, template_version, settings_hash, status, params, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                "score",
                "pilot batch",
                source_label(folder),
                drafter.engine.name,
                drafter.engine.model,
                drafter.bank.name,
                drafter.bank.version,
                template,
                version,
                drafter.settings_hash,
                "interrupted",
                json.dumps({"concurrency": 1, "questions": ["A1"]}),
                "2026-11-02T09:00:00+00:00",
                "2026-11-02T09:05:00+00:00",
            ),
        )

    score = ["score", str(folder), "--engine", "offline", "--questions", "A1"]
    assert main([*score, "--period", "pilot batch ", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["run_id"], result["period"], result["drafted"]) == (run_id, "pilot batch", 1)
    [run] = _json(capsys, "runs")
    assert (run["run_id"], run["period"], run["status"], run["drafted"]) == (
        run_id,
        "pilot batch",
        "done",
        1,
    )
    [report] = _json(capsys, "reports")
    assert report["period"] is None  # a label that is not a period labels no report

    assert main([*score, "--period", "pilot batch 2"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: period 'pilot batch 2' is not a reporting period: use 2020-21")
    assert [r["run_id"] for r in _json(capsys, "runs")] == [run_id]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2020-21", "2020-21"),
        ("2020/21", "2020-21"),
        ("2020-2021", "2020-21"),
        ("2019-21", "2019-21"),
        ("2019/2021", "2019-21"),
        ("2020 to 2021", "2020-21"),
    ],
)
def test_every_documented_period_form_is_accepted_and_stored_normalised(
    given, stored, tmp_path, capsys
):
    untitled = _without_period(tmp_path)
    assert main(["score", str(untitled.parent), "--period", given, "--questions", "A1"]) == 0
    capsys.readouterr()
    [row] = _json(capsys, "reports")
    assert row["period"] == stored
