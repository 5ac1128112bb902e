"""The command line as people use it: reports found by name, hints that point somewhere real,
errors as JSON under --json, quiet pipes, and exports and cohort figures Excel users can open.

Every test goes through the real CLI (`main()` with capsys, or a subprocess) over real PDFs
generated at test time, scored with the offline engine.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.cli import build_parser, main
from evals.synthetic.sample_reports import generate_sample_set

QUESTIONS = "A1,A1n,A2,A6,B1a,C5,C10"


@pytest.fixture
def year(tmp_path) -> Path:
    folder = tmp_path / "year"
    generate_sample_set(folder, n=3, seed=11, length="short")
    return folder


@pytest.fixture
def scored(year, capsys) -> dict:
    """The sample year scored offline (a few questions); returns the score command's JSON."""
    args = ["score", str(year), "--period", "2020-21", "--questions", QUESTIONS]
    assert main([*args, "--engine", "offline", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def reports_json(capsys) -> list[dict]:
    code, out, _ = run(capsys, "reports", "--json")
    assert code == 0
    return json.loads(out)


# --- item 6: finding reports, hints, JSON errors, pipes -----------------------------------


def test_a_report_is_found_by_partnership_name_and_a_miss_suggests_the_nearest(scored, capsys):
    reports = reports_json(capsys)
    target = reports[0]
    name = target["partnership"]
    first_word = name.split()[0]
    # any case, whole name or a unique part of it
    for ref in (name.upper(), first_word.lower(), f"  {first_word}  "):
        code, out, err = run(capsys, "search", ref, "neglect", "--json")
        assert code == 0, err
        assert {p["report_id"] for p in json.loads(out)} == {target["report_id"]}

    typo = first_word[:2] + first_word[3:]  # one letter dropped
    code, _, err = run(capsys, "search", typo, "neglect")
    assert code == 2
    assert f"no report matches '{typo}'" in err and "did you mean" in err
    assert name in err and target["report_id"][:12] in err

    # a part shared by every name: the matches are named, none is picked
    code, _, err = run(capsys, "search", "safeguarding", "neglect")
    assert code == 2 and f"matches {len(reports)} reports" in err
    assert all(r["partnership"] in err for r in reports)


def test_runs_lists_scoring_runs_and_cohort_run_takes_their_ids(scored, capsys):
    code, out, _ = run(capsys, "runs", "--json")
    [listed] = json.loads(out)
    assert code == 0 and listed["run_id"] == scored["run_id"]
    assert listed["period"] == "2020-21" and listed["engine"] == "offline"
    assert listed["reports"] == 3
    assert listed["drafted"] == scored["drafted"] and listed["failed"] == scored["failed"]

    code, out, _ = run(capsys, "runs")
    assert code == 0
    assert out.splitlines()[0].split()[:5] == ["run", "period", "engine", "started", "reports"]
    assert scored["run_id"] in out and f"{scored['drafted']}/{scored['failed']}" in out
    assert "cohort --run" in out

    # what `runs` lists is what `cohort --run` takes: the id, or a unique prefix
    for ref in (scored["run_id"], scored["run_id"][:8], scored["run_id"][4:10]):
        code, out, err = run(capsys, "cohort", "--run", ref, "--json")
        assert code == 0, err
        assert json.loads(out)["reports"] == 3
    code, _, err = run(capsys, "cohort", "--run", "run-0000000000")
    assert code == 2 and "`review-assistant runs`" in err
    assert main(["runs"]) == 0  # the command the hint names exists
    capsys.readouterr()


def test_runs_counts_what_a_run_drafted_over_all_its_invocations(scored, year, capsys):
    """A re-run that reuses every draft leaves the run's counts as they were (it showed
    "0 drafted, N reused" after the re-run, as if the run had drafted nothing)."""
    args = ["score", str(year), "--period", "2020-21", "--questions", QUESTIONS]
    assert main([*args, "--engine", "offline", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["run_id"] == scored["run_id"] and again["drafted"] == 0
    code, out, _ = run(capsys, "runs", "--json")
    [listed] = json.loads(out)
    assert (listed["drafted"], listed["reused"]) == (scored["drafted"], 0)


def test_score_of_a_folder_without_pdfs_says_so_and_records_no_run(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a report")
    code, out, err = run(capsys, "score", str(empty), "--engine", "offline")
    assert code == 2 and out == ""
    assert "empty: no PDF files in this folder" in err
    assert "run `review-assistant score FOLDER` first" not in err
    code, out, _ = run(capsys, "runs", "--json")
    assert json.loads(out) == []  # nothing for the Cohort page's picker either
    from assistant.service import Assistant

    assert Assistant().score_runs() == []

    # a folder whose every PDF fails: the failures, no cohort, and no run in the picker
    (empty / "broken.pdf").write_bytes(b"not a pdf at all")
    code, out, err = run(capsys, "score", str(empty), "--engine", "offline")
    assert code == 1 and "FAILED ingest broken.pdf" in out
    assert "no report in the folder could be read" in err
    assert Assistant().score_runs() == []
    code, _, err = run(capsys, "cohort")
    assert code == 2 and "run `review-assistant score FOLDER` first" in err


def test_reports_period_with_no_match_counts_the_other_periods(scored, capsys):
    code, out, _ = run(capsys, "reports", "--period", "2021-22")
    assert code == 0
    assert out.strip() == "no reports for 2021-22 (3 reports in other periods: 2020-21: 3)"
    # 2020/21 and 2020-2021 are 2020-21
    ids = {r["report_id"] for r in reports_json(capsys)}
    for form in ("2020-21", "2020/21", "2020-2021", "2020/2021"):
        code, out, _ = run(capsys, "reports", "--period", form, "--json")
        assert code == 0 and {r["report_id"] for r in json.loads(out)} == ids, form
    code, out, _ = run(capsys, "cohort", "--period", "2020/21", "--json")
    assert code == 0 and json.loads(out)["reports"] == 3


def test_empty_library_reports_say_ingest_first(capsys):
    code, out, _ = run(capsys, "reports", "--period", "2020-21")
    assert code == 0 and out.startswith("no reports yet: ingest some")
    code, out, err = run(capsys, "ask", "Northshire", "who chairs the partnership?")
    assert code == 2 and out == ""
    assert "nothing is ingested yet" in err and "ingest first" in err


def test_unknown_question_ids_are_named_with_the_valid_ones(scored, capsys):
    report = reports_json(capsys)[0]["report_id"][:10]
    code, _, err = run(capsys, "draft", report, "--questions", "A1,Z9", "--engine", "offline")
    assert code == 2
    assert "unknown question id Z9" in err and "valid ids: A1, A1n" in err
    assert "unexpected" not in err and "UnknownQuestionError" not in err
    code, _, err = run(capsys, "score", "/nowhere", "--questions", "Q1")  # folder checked first
    assert code == 2 and "nowhere: no such file or folder" in err


def test_errors_under_json_are_json_on_stdout_with_the_exit_code_kept(scored, capsys):
    code, out, err = run(capsys, "ask", "no-such-partnership", "anything?", "--json")
    assert code == 2 and err == ""
    data = json.loads(out)
    assert data["error"] == "no report matches 'no-such-partnership'" and data["hint"]
    code, out, _ = run(capsys, "cohort", "--run", "nope", "--json")
    assert code == 2 and "runs" in json.loads(out)["hint"]
    code, out, _ = run(capsys, "eval", "compare", "only-one", "--json")
    assert code == 2 and json.loads(out)["error"] == "eval compare needs two eval ids"
    with pytest.raises(SystemExit) as usage:  # a usage error too
        main(["reports", "--no-such-option", "--json"])
    assert usage.value.code == 2
    assert "unrecognized arguments" in json.loads(capsys.readouterr().out)["error"]


def test_one_name_per_field_pages_everywhere(year, tmp_path, capsys):
    [pdf] = sorted(year.glob("*.pdf"))[:1]
    code, out, _ = run(capsys, "ingest", str(pdf), "--json")
    assert code == 0
    [ingested] = json.loads(out)
    [listed] = reports_json(capsys)
    assert ingested["pages"] == listed["pages"] > 0
    assert "n_pages" not in listed and "n_pages" not in ingested


def test_piping_into_head_prints_no_broken_pipe(scored, data_home):
    env = dict(os.environ, REVIEW_ASSISTANT_HOME=str(data_home))
    for argv in (["cohort", "--json"], ["runs"]):
        child = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        child.stdout.close()  # the reader went away before the first line (like `| head -0`)
        err = child.stderr.read().decode()
        code = child.wait(timeout=120)
        assert "BrokenPipeError" not in err and "please report it" not in err, err
        assert "Traceback" not in err and code == 141


def test_every_positional_argument_has_help_text():
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    missing = [
        f"{name} {action.dest}"
        for name, command in sub.choices.items()
        for action in command._actions
        if not action.option_strings and not action.help
    ]
    assert not missing
    assert "partnership name" in " ".join(sub.choices["draft"].format_help().split())


# --- item 7: draft exports for Excel ------------------------------------------------------


def test_draft_exports_open_in_excel_with_labels_numbers_and_a_frozen_filtered_header(
    scored, tmp_path, capsys
):
    code, out, _ = run(capsys, "export", "--out", str(tmp_path / "out"), "--json")
    assert code == 0
    paths = json.loads(out)
    for key in ("wide_csv", "long_csv"):
        assert Path(paths[key]).read_bytes().startswith(b"\xef\xbb\xbf"), key  # UTF-8 BOM
    with open(paths["wide_csv"], newline="", encoding="utf-8-sig") as handle:
        wide_csv = list(csv.DictReader(handle))
    assert list(wide_csv[0])[:3] == ["report_id", "report", "file_name"]

    from assistant.service import Assistant

    bank = Assistant().bank
    book = load_workbook(paths["xlsx"])
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["A"].width >= 10
    wide = book["by report"]
    header = [c.value for c in wide[1]]
    assert header[:2] == ["report_id", "report"]
    rows = [[c.value for c in r] for r in wide.iter_rows(min_row=2)]
    names = {r["partnership"] for r in reports_json(capsys)}
    assert {r[1] for r in rows} == names  # short names beside the ids
    labels = {bank.get("A6").options()[v] for v in bank.get("A6").options()}
    a6 = {r[header.index("A6")] for r in rows}
    assert a6 <= labels | {"not found"} and a6 - {"not found"}  # labels, not slugs
    every = {v for r in rows for v in r}
    assert "(abstained)" not in every
    drafts = book["drafts"]
    dh = [c.value for c in drafts[1]]
    by_q = {}
    for r in drafts.iter_rows(min_row=2):
        by_q.setdefault(r[dh.index("question_id")].value, []).append(r)
    assert all(r[dh.index("confidence")].data_type == "n" for rs in by_q.values() for r in rs)
    counts = [r[dh.index("answer")] for r in by_q["A1n"] + by_q["B1a"]]
    numbers = [c for c in counts if c.value not in (None, "")]
    assert numbers and all(c.data_type == "n" and isinstance(c.value, int) for c in numbers)
    abstained = [
        r for rs in by_q.values() for r in rs if r[dh.index("status")].value == "abstained"
    ]
    assert all(r[dh.index("answer_label")].value == "not found" for r in abstained)


def test_decision_log_keeps_passage_and_citation_events_with_page_citation_and_labels(
    scored, tmp_path, capsys
):
    from assistant.service import Assistant

    a = Assistant()
    rid = reports_json(capsys)[0]["report_id"]
    drafts = {d.question_id: d for d in a.drafts.for_report(rid)}
    cited = next(d for d in drafts.values() if d.citations and d.question_id != "C10")
    a6 = drafts["A6"]
    first = a.record_decision(
        rid, "A6", "alice", "edit", after="partly", base_event_id=None, draft_id=a6.draft_id
    )
    a.record_decision(
        rid,
        "A6",
        "bob",
        "edit",
        after="evidenced",
        base_event_id=first.event_id,
        draft_id=a6.draft_id,
    )
    quote = " ".join(a.reports.page_text(rid, 2).split()[:6])
    a.record_decision(
        rid,
        cited.question_id,
        "alice",
        "citation",
        base_event_id=None,
        draft_id=cited.draft_id,
        payload={"index": 1, "relevant": False},
    )
    last = a.review_history(rid, cited.question_id)[-1].event_id
    a.record_decision(
        rid,
        cited.question_id,
        "alice",
        "passage",
        base_event_id=last,
        draft_id=cited.draft_id,
        payload={"page": 2, "quote": quote},
    )

    out = tmp_path / "final.xlsx"
    assert main(["review-export", "--out", str(out), "--report", rid[:10]]) == 0
    log = load_workbook(out)["Decision log"]
    head = [c.value for c in log[1]]
    rows = [dict(zip(head, [c.value for c in r], strict=True)) for r in log.iter_rows(min_row=2)]
    assert [r["Action"] for r in rows] == ["edit", "edit", "citation", "passage"]
    assert rows[1]["Before"] == "Partly evidenced" and rows[1]["After"] == "Evidenced"
    citation = cited.citations[0]
    assert rows[2]["Page"] == citation.page
    assert rows[2]["Citation"] == f'citation 1 (not relevant): "{citation.quote}"'
    assert rows[3]["Page"] == 2 and rows[3]["Citation"] == f'added: "{quote}"'
    assert log.freeze_panes == "A2" and log.auto_filter.ref
    csv_out = tmp_path / "final.csv"
    assert main(["review-export", "--out", str(csv_out)]) == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")


# --- item 8: the cohort figures as CSV/XLSX, both sources in the charts --------------------


def test_cohort_out_writes_the_figures_side_by_side_as_csv_and_xlsx(scored, tmp_path, capsys):
    from assistant.service import Assistant

    a = Assistant()
    rid = reports_json(capsys)[0]["report_id"]
    a1 = next(d for d in a.drafts.for_report(rid) if d.question_id == "A1")
    a.record_decision(rid, "A1", "alice", "accept", base_event_id=None, draft_id=a1.draft_id)
    a.record_decision(rid, "A6", "alice", "edit", after="partly", base_event_id=None)

    out = tmp_path / "cohort"
    code, printed, _ = run(capsys, "cohort", "--out", str(out), "--json")
    assert code == 0
    outputs = json.loads(printed)["outputs"]
    csv_path, xlsx_path = Path(outputs["figures_csv"]), Path(outputs["figures_xlsx"])
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8-sig", newline="")))
    assert list(rows[0]) == [
        "question_id",
        "theme",
        "question",
        "answer",
        "drafts",
        "drafts: of answered",
        "reviewer-decided",
        "reviewer-decided: of answered",
        "reports",
    ]
    a6 = {r["answer"]: r for r in rows if r["question_id"] == "A6"}
    assert {"Not evidenced", "Partly evidenced", "Evidenced"} <= a6.keys()  # labels
    assert a6["Partly evidenced"]["reviewer-decided"] == "1"  # an edit counts as decided
    assert a6["Partly evidenced"]["reviewer-decided: of answered"] == "1"
    drafted = sum(int(a6[k]["drafts"]) for k in ("Not evidenced", "Partly evidenced", "Evidenced"))
    assert drafted == int(a6["Evidenced"]["drafts: of answered"])
    assert sum(int(r["reviewer-decided"]) for r in rows if r["question_id"] == "A1") == 3

    sheet = load_workbook(xlsx_path).active
    head = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    assert all(c.font.bold for c in sheet[1])
    numbers = [r[head.index("drafts")] for r in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "n" for c in numbers)
    assert (out / "cohort.html").exists()


def test_both_mode_charts_draw_drafts_and_reviewer_decided_answers(scored, capsys):
    import io

    from PIL import Image

    from assistant.service import Assistant

    a = Assistant()
    drafts_only = a.cohort_charts(a.cohort(source="drafts"))
    both = a.cohort_charts(a.cohort(source="both"))
    assert drafts_only.keys() == both.keys() and "graded.png" in both

    def height(png: bytes) -> int:
        return Image.open(io.BytesIO(png)).size[1]

    # one bar per source for every graded question: the chart grows with the second source
    assert height(both["graded.png"]) > height(drafts_only["graded.png"]) * 1.4
    code, out, _ = run(capsys, "cohort", "--source", "both")
    assert code == 0 and "[reviewer-decided]" in out
    assert "reviewer-decided (accepted, edited or entered)" in out.splitlines()[0]


@pytest.mark.parametrize(
    "argv, suggestion",
    [
        (["scroe"], "did you mean 'score'?"),
        (["eval", "rn"], "did you mean 'run'?"),
        (["score", "reports/", "--context", "whole"], "did you mean 'whole-report'?"),
        (["zzz"], None),
    ],
)
def test_a_mistyped_command_or_choice_names_the_nearest_valid_one(argv, suggestion, capsys):
    with pytest.raises(SystemExit) as usage:
        main(argv)
    err = capsys.readouterr().err
    assert usage.value.code == 2 and "invalid choice" in err
    if suggestion:
        assert err.rstrip().endswith(suggestion)
    else:
        assert "did you mean" not in err


def test_an_out_path_that_is_a_file_is_one_line_naming_it(scored, tmp_path, capsys):
    taken = tmp_path / "figures.pdf"
    taken.write_bytes(b"not a folder")
    for command in ("export", "cohort"):
        code, out, err = run(capsys, command, "--out", str(taken))
        assert code == 2 and out == ""
        assert err.strip().splitlines() == [
            f"error: {taken}: File exists: a file stands where a folder is needed (an --out "
            "names a folder); REVIEW_ASSISTANT_DEBUG=1 shows where it arose"
        ]
    assert taken.read_bytes() == b"not a folder"  # nothing written over it


def test_a_full_disk_and_a_read_only_data_directory_are_named_not_reported_as_bugs(tmp_path):
    """Real SQLite errors: a database at its page limit ("database or disk is full", as on a
    full disk) and a read-only one. Each names the data directory and what to do."""
    import sqlite3

    from assistant.errors import path_problem, storage_problem

    db = tmp_path / "review.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x BLOB)")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as full:
        for _ in range(10):
            conn.execute("INSERT INTO t VALUES (zeroblob(4000))")
    conn.close()
    message, hint = storage_problem(full.value, tmp_path)
    assert message == f"the disk holding {tmp_path} is full" and "re-run" in hint
    read_only = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        read_only.execute("INSERT INTO t VALUES (1)")
    read_only.close()
    message, hint = storage_problem(refused.value, tmp_path)
    assert message == f"cannot write to the data directory {tmp_path}"
    assert "REVIEW_ASSISTANT_HOME" in hint
    assert storage_problem(ValueError("a bug"), tmp_path) is None  # still reported as a bug
    assert path_problem(ValueError("a bug")) is None


def test_ingest_of_a_folder_that_does_not_exist_says_not_found(tmp_path, capsys):
    code, out, err = run(capsys, "ingest", str(tmp_path / "reports-2021"))
    assert code == 1
    assert "FAILED reports-2021: not found: check the path (a PDF, or a folder of PDFs)" in err


def test_search_over_every_report_names_the_report_of_each_passage(scored, capsys):
    names = {r["file_name"] for r in reports_json(capsys)}
    code, out, _ = run(capsys, "search", "", "neglect", "-k", "6")
    hits = [line for line in out.splitlines() if line.startswith("[")]
    assert code == 0 and len(hits) == 6
    assert all(line.split("] ", 1)[1].split(" page ")[0] in names for line in hits), hits


def test_hash_password_without_a_terminal_says_so(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "hash-password", "bob"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "REVIEW_ASSISTANT_HOME": str(tmp_path)},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no password typed: run it in a terminal" in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ("sample", "--period", "banana", "--n", "3", "--seed", "1"),
        ("register", "show", "--period", "2020-99"),
    ],
)
def test_register_and_sample_refuse_a_period_that_is_not_one(argv, capsys):
    with pytest.raises(SystemExit) as refused:
        main(list(argv))
    assert refused.value.code == 2
    assert "use 2020-21, 2020/21 or 2020-2021" in capsys.readouterr().err
