"""Bulk scoring: resumable after SIGKILL, safe when two runs share a database, batch mode,
cohort summary and exports."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.cli import main
from evals.synthetic.sample_reports import generate_sample_set
from tests.doubles.scripted_llm_server import ScriptedLLMServer, reply
from tests.doubles.scripted_llm_server import valid_draft_handler as answer_any
from tests.make_pdf import text_pdf
from tests.test_llm_engine import PAGES
from tests.test_llm_hardening import closed_port

QUESTIONS = "A1,A2,A6,B7,C5"


@pytest.fixture
def year(tmp_path) -> Path:
    folder = tmp_path / "year"
    generate_sample_set(folder, n=4, seed=11, length="short")  # bulk logic: length-blind
    return folder


def _env(data_home: Path, server_url: str | None = None) -> dict:
    env = dict(os.environ)
    env["REVIEW_ASSISTANT_HOME"] = str(data_home)
    env["REVIEW_ASSISTANT_EMBEDDING__NAME"] = "hash"
    if server_url:
        env["REVIEW_ASSISTANT_LLM__BASE_URL"] = server_url
        env["REVIEW_ASSISTANT_LLM__MODEL"] = "scripted-model"
        env["REVIEW_ASSISTANT_LLM__MAX_RETRIES"] = "2"
    return env


def _score_cmd(folder: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assistant.cli",
        "score",
        str(folder),
        "--period",
        "2020-21",
        "--questions",
        QUESTIONS,
        "--json",
        *extra,
    ]


def _llm_score(folder: Path, data_home: Path, server_url: str) -> subprocess.CompletedProcess:
    """`score` with the LLM engine against the scripted server, to the end."""
    return subprocess.run(
        _score_cmd(folder, "--engine", "llm"),
        env=_env(data_home, server_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _llm_score_started(folder, data_home, scripted_llm, *, calls: int, **popen) -> subprocess.Popen:
    """`score` with the LLM engine, two calls at a time, once `calls` requests have come."""
    proc = subprocess.Popen(
        _score_cmd(folder, "--engine", "llm", "--concurrency", "2"),
        env=_env(data_home, scripted_llm.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )
    deadline = time.time() + 60
    while len(scripted_llm.chat_requests()) < calls and time.time() < deadline:
        time.sleep(0.02)
    return proc


def _interrupted_llm_score(year, data_home, scripted_llm) -> tuple[subprocess.Popen, int]:
    """`score` with the LLM engine, each call taking 0.3 s, sent Ctrl-C once 4 requests have
    come (two answered, two in flight at concurrency 2); (the process, requests at the signal)."""
    scripted_llm.handler = answer_any
    scripted_llm.latency = 0.3
    proc = _llm_score_started(
        year,
        data_home,
        scripted_llm,
        calls=4,
        text=True,
        # Python installs its Ctrl-C handler only when SIGINT is not ignored at start
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.send_signal(signal.SIGINT)
    return proc, len(scripted_llm.chat_requests())


def _use_scripted_llm(monkeypatch, data_home: Path, scripted_llm) -> None:
    """This process's settings point at the data home and the scripted server (as `_env`)."""
    for key, value in _env(data_home, scripted_llm.url).items():
        if key.startswith("REVIEW_ASSISTANT_"):
            monkeypatch.setenv(key, value)


def _batch_score(year: Path, questions: str, capsys) -> dict:
    """`score --batch` of `year` with the LLM engine, in this process; its JSON result."""
    args = ["score", str(year), "--engine", "llm", "--questions", questions, "--batch"]
    assert main([*args, "--poll-seconds", "0.05", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _draft_rows(data_home: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(data_home / "review.sqlite3") as conn:
        return conn.execute(
            "SELECT draft_key, report_id, question_id, status, superseded FROM drafts"
        ).fetchall()


def test_sigkill_midway_then_rerun_drafts_every_pair_exactly_once(year, data_home, scripted_llm):
    scripted_llm.handler = answer_any
    scripted_llm.latency = 0.15
    pairs = 4 * len(QUESTIONS.split(","))
    proc = _llm_score_started(year, data_home, scripted_llm, calls=6)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _draft_rows(data_home)
    assert 0 < len(before) < pairs, "the kill should land midway"
    calls_first = len(scripted_llm.chat_requests())

    done = _llm_score(year, data_home, scripted_llm.url)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    rows = _draft_rows(data_home)
    assert len(rows) == pairs == len({r[0] for r in rows})  # one row per pair, none duplicated
    assert all(r[3] == "ok" and r[4] == 0 for r in rows)
    assert {r[0] for r in before} <= {r[0] for r in rows}  # nothing drafted before was lost
    assert result["drafted"] == pairs - len(before) and result["reused"] == len(before)
    # the re-run only asked the model for what was missing (in-flight calls at most repeated)
    assert len(scripted_llm.chat_requests()) - calls_first <= pairs - len(before) + 2

    again = _llm_score(year, data_home, scripted_llm.url)
    rerun = json.loads(again.stdout)
    assert rerun["drafted"] == 0
    assert len(_draft_rows(data_home)) == pairs
    # the summary reports this invocation's calls (none), and the run's totals labelled as such
    assert rerun["tokens"]["calls"] == 0 and rerun["tokens"]["prompt_tokens"] == 0
    assert rerun["tokens_cumulative"]["calls"] >= pairs
    assert rerun["tokens_cumulative"]["prompt_tokens"] > 0


def test_ctrl_c_stops_a_concurrent_llm_score_promptly_and_the_run_resumes(
    year, data_home, scripted_llm
):
    """SIGINT cancels the queued pairs: only the calls in flight finish (before the fix the
    pool sent every queued pair to the model before exiting)."""
    pairs = 4 * len(QUESTIONS.split(","))
    proc, at_signal = _interrupted_llm_score(year, data_home, scripted_llm)
    _out, err = proc.communicate(timeout=30)
    after = len(scripted_llm.chat_requests()) - at_signal
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted: re-run the same command" in err
    assert at_signal < pairs // 2
    assert after <= 2, f"{after} model calls after Ctrl-C ({pairs - at_signal} were queued)"

    scripted_llm.latency = 0.0
    done = _llm_score(year, data_home, scripted_llm.url)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["drafted"] + result["reused"] == pairs and result["reused"] > 0
    assert len(_draft_rows(data_home)) == pairs


def test_drafts_in_flight_at_ctrl_c_count_as_drafted_by_the_run(year, data_home, scripted_llm):
    """The calls in flight when Ctrl-C lands finish and are stored; they are the run's drafts
    (run_items says drafted), so the re-run reuses them and `runs` shows none reused (they
    were stored but not recorded, and the re-run counted them as reused)."""
    import sqlite3

    pairs = 4 * len(QUESTIONS.split(","))
    proc, _ = _interrupted_llm_score(year, data_home, scripted_llm)
    proc.communicate(timeout=30)
    assert proc.returncode == 130

    with sqlite3.connect(data_home / "review.sqlite3") as conn:
        [run_id] = [r[0] for r in conn.execute("SELECT run_id FROM runs")]
        stored = conn.execute(
            "SELECT report_id, question_id, draft_id FROM drafts WHERE run_id=?", (run_id,)
        ).fetchall()
        recorded = conn.execute(
            "SELECT report_id, question_id, draft_id FROM run_items "
            "WHERE run_id=? AND status='drafted'",
            (run_id,),
        ).fetchall()
    assert len(stored) >= 4 and sorted(recorded) == sorted(stored)

    scripted_llm.latency = 0.0
    done = _llm_score(year, data_home, scripted_llm.url)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert (result["drafted"], result["reused"]) == (pairs - len(stored), len(stored))
    runs = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "runs", "--json"],
        env=_env(data_home),
        capture_output=True,
        text=True,
        check=True,
    )
    [run] = json.loads(runs.stdout)
    assert (run["run_id"], run["drafted"], run["reused"]) == (run_id, pairs, 0)


def test_two_runs_at_once_do_not_corrupt_or_double_draft(year, data_home, scripted_llm):
    scripted_llm.handler = answer_any
    scripted_llm.latency = 0.05
    procs = [
        subprocess.Popen(
            _score_cmd(year, "--engine", "llm", "--concurrency", "3"),
            env=_env(data_home, scripted_llm.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    errors = [[x for x in o[1].replace("\r", "\n").splitlines() if "%|" not in x] for o in outs]
    # a run that exits 2 says why on stdout (one CI run on 2026-12-07 saw an exit 2 with no
    # message on stderr): show both, so a failure here names its cause
    said = [o[0].strip().splitlines()[-5:] for o in outs]
    assert [p.returncode for p in procs] == [0, 0], (errors, said)
    # the embedded Chroma store takes one writer at a time: one run drafts, the other waits
    # for it and then reuses every draft
    results = sorted((json.loads(o[0])["drafted"], json.loads(o[0])["reused"]) for o in outs)
    pairs = 4 * len(QUESTIONS.split(","))
    assert results == [(0, pairs), (pairs, 0)]
    rows = _draft_rows(data_home)
    current = [r for r in rows if r[4] == 0]
    assert len(current) == len({r[0] for r in current}) == 4 * len(QUESTIONS.split(","))
    import sqlite3

    with sqlite3.connect(data_home / "review.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_offline_score_prints_cohort_and_exports(year, data_home, capsys):
    assert main(["score", str(year), "--period", "2020-21", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    bank_questions = 33
    assert result["drafted"] == 4 * (bank_questions - 1) and result["failed"] == 0
    phrases = {t["question_id"]: t for t in result["cohort"]["sources"]["drafts"]}
    assert phrases["A6"]["n_reports"] == 4
    assert phrases["A6"]["n_answered"] + phrases["A6"]["abstained"] + phrases["A6"]["failed"] == 4
    assert phrases["C9"]["undecided"] == 4  # reviewer-entered: never drafted
    assert Path(result["outputs"]["html"]).read_text().count("data:image/png;base64") >= 2

    assert main(["export", "--json"]) == 0
    paths = json.loads(capsys.readouterr().out)
    with open(paths["wide_csv"], newline="") as handle:
        wide = list(csv.DictReader(handle))
    assert len(wide) == 4 and {"A1", "A2", "C9"} <= wide[0].keys()
    assert all(row["C9"] == "(reviewer-entered)" for row in wide)
    book = load_workbook(paths["xlsx"])
    assert book.sheetnames == ["by report", "drafts"]
    assert book["drafts"].max_row == 1 + 4 * (bank_questions - 1)

    assert main(["cohort", "--json"]) == 0
    cohort = json.loads(capsys.readouterr().out)
    assert cohort["reports"] == 4


def test_drafts_made_with_other_settings_are_reported_and_redrafted_on_request(
    year, data_home, capsys, monkeypatch
):
    def score(*extra: str) -> dict:
        assert main(["score", str(year), "--questions", "A1,A6", "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    first = score()
    assert (first["drafted"], first["reused"], first["stale"]) == (8, 0, 0)
    monkeypatch.setenv("REVIEW_ASSISTANT_RETRIEVAL__TOP_K", "5")  # changes the evidence given
    again = score()
    assert (again["drafted"], again["reused"], again["stale"]) == (0, 8, 8)
    assert main(["score", str(year), "--questions", "A1,A6"]) == 0
    assert "8 reused drafts were made with other settings" in capsys.readouterr().out
    redone = score("--redraft-stale")
    assert (redone["drafted"], redone["reused"], redone["stale"]) == (8, 0, 0)
    settled = score("--redraft-stale")
    assert (settled["drafted"], settled["reused"], settled["stale"]) == (0, 8, 0)
    rows = _draft_rows(data_home)
    assert len(rows) == 16 and sum(r[4] == 0 for r in rows) == 8  # old ones kept, superseded


def test_bad_report_in_folder_degrades_the_run_not_stops_it(year, data_home, capsys):
    (year / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    assert main(["score", str(year), "--questions", "A1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["drafted"] == 4 and len(result["ingest_failures"]) == 1
    assert "broken.pdf" in result["ingest_failures"][0]["error"]
    assert main(["score", str(year), "--questions", "A1", "--strict", "--json"]) == 1


def test_batch_mode_collects_results_into_drafts(
    year, data_home, scripted_llm, monkeypatch, capsys
):
    scripted_llm.handler = answer_any
    scripted_llm.batch_polls_before_complete = 1
    _use_scripted_llm(monkeypatch, data_home, scripted_llm)
    code = main(
        [
            "score",
            str(year),
            "--engine",
            "llm",
            "--questions",
            QUESTIONS,
            "--batch",
            "--poll-seconds",
            "0.05",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    pairs = 4 * len(QUESTIONS.split(","))
    assert result["drafted"] == pairs and result["failed"] == 0
    batch_lines = [r for r in scripted_llm.chat_requests() if r.method == "BATCH"]
    assert len(batch_lines) == pairs
    assert all(r.json["response_format"]["type"] == "json_schema" for r in batch_lines)
    rows = _draft_rows(data_home)
    assert len(rows) == pairs and all(r[3] == "ok" for r in rows)
    # the requests file is in the OpenAI batch format
    from assistant.service import Assistant

    run_dir = Assistant().settings.outputs_dir / result["run_id"]
    lines = [json.loads(x) for x in (run_dir / "batch-requests.jsonl").read_text().splitlines()]
    assert {x["method"] for x in lines} == {"POST"}
    assert {x["url"] for x in lines} == {"/v1/chat/completions"}
    assert len({x["custom_id"] for x in lines}) == pairs


def test_batch_reply_with_an_invalid_answer_is_re_asked_live_once(
    year, data_home, scripted_llm, monkeypatch, capsys
):
    """A batch line that fails validation gets the live engine's one re-ask with the error."""

    def handler(request_json: dict):
        messages = request_json["messages"]
        is_a2 = "draft_A2" in json.dumps(request_json.get("response_format", {}))
        if is_a2 and len(messages) == 2:  # the first ask (in the batch): an unknown option
            return reply(
                {
                    "status": "answered",
                    "answer": ["Bananas"],
                    "rationale": "x",
                    "confidence": 0.5,
                    "citations": [],
                }
            )
        return answer_any(request_json)

    scripted_llm.handler = handler
    _use_scripted_llm(monkeypatch, data_home, scripted_llm)
    result = _batch_score(year, "A1,A2", capsys)
    assert (result["drafted"], result["failed"]) == (8, 0)
    requests = scripted_llm.chat_requests()
    assert sum(r.method == "BATCH" for r in requests) == 8
    live = [r for r in requests if r.method != "BATCH"]
    assert len(live) == 4  # one re-ask per A2 line, none for A1
    for r in live:
        turns = r.json["messages"]
        assert len(turns) == 4 and "Bananas" in turns[2]["content"]
        assert "not valid" in turns[3]["content"] and "Bananas" in turns[3]["content"]
    import sqlite3

    with sqlite3.connect(data_home / "review.sqlite3") as conn:
        log = conn.execute("SELECT provider, status, draft_key FROM llm_calls").fetchall()
        drafts = conn.execute("SELECT question_id, status, answer FROM drafts").fetchall()
    errors = [p for p, s, _ in log if s == "error"]  # the four invalid batch lines, logged
    assert len(errors) == 4 and all(p.endswith("(batch)") for p in errors)
    assert all(k for _, _, k in log)  # every call, batch or live, is tied to its draft
    assert {q for q, st, _ in drafts if st == "ok"} == {"A1", "A2"} and len(drafts) == 8


def test_batch_reply_holding_a_lone_surrogate_is_re_asked_live_not_stopping_the_run(
    year, data_home, scripted_llm, monkeypatch, capsys
):
    """A batch line whose reply parses but holds half an emoji stopped the run at storing its
    draft, and a re-run's new batch stopped the same way. It is invalid output: the batch row
    logs it as an error, and the live re-ask drafts it."""
    from tests.test_llm_hardening import NOT_UNICODE, half_emoji

    def handler(request_json: dict):
        if len(request_json["messages"]) == 2 and "draft_A1" in json.dumps(request_json):
            return half_emoji(request_json)  # the first ask (in the batch)
        return answer_any(request_json)

    scripted_llm.handler = handler
    _use_scripted_llm(monkeypatch, data_home, scripted_llm)
    result = _batch_score(year, "A1", capsys)
    assert (result["drafted"], result["failed"]) == (4, 0)
    import sqlite3

    with sqlite3.connect(data_home / "review.sqlite3") as conn:
        log = conn.execute("SELECT provider, status, error FROM llm_calls").fetchall()
    batch = [(s, e) for p, s, e in log if p.endswith("(batch)")]
    assert batch == [("error", f"invalid output: {NOT_UNICODE}")] * 4
    assert [s for p, s, _ in log if not p.endswith("(batch)")] == ["ok"] * 4  # the re-asks


@pytest.mark.parametrize("endpoint", ["refused", "no-batch-api"])
def test_batch_endpoint_failure_is_one_line_naming_the_endpoint(
    endpoint, tmp_path, data_home, monkeypatch, capsys
):
    """An endpoint that cannot take a batch is an endpoint error (exit 2, one line saying what
    to do), not an internal bug; the run shows as interrupted and a re-run finishes it."""
    folder = tmp_path / "one"
    folder.mkdir()
    text_pdf(folder / "westerleigh.pdf", PAGES)
    server = ScriptedLLMServer(answer_any, batch_api=False).start()
    url = server.url if endpoint == "no-batch-api" else f"http://127.0.0.1:{closed_port()}/v1"
    expected = {
        "refused": f"error: cannot reach {url} while submitting the batch (APIConnectionError",
        "no-batch-api": f"error: the endpoint at {url} has no Batch API (404): run without --batch",
    }[endpoint]
    try:
        for key, value in _env(data_home, url).items():
            if key.startswith("REVIEW_ASSISTANT_"):
                monkeypatch.setenv(key, value)
        args = ["score", str(folder), "--period", "2020-21", "--engine", "llm", "--batch"]
        args += ["--questions", "A1", "--poll-seconds", "0.05"]
        assert main(args) == 2
        [line] = capsys.readouterr().err.strip().splitlines()[-1:]
        assert line.startswith(expected) and line.endswith("run without --batch"), line
        assert main(["runs", "--json"]) == 0
        [run] = json.loads(capsys.readouterr().out)
        assert run["status"] == "interrupted"

        server.batch_api = True  # the endpoint fixed: the same command finishes the run
        monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", server.url)
        assert main(args) == 0
        capsys.readouterr()
        assert main(["runs", "--json"]) == 0
        [again] = json.loads(capsys.readouterr().out)
        assert (again["run_id"], again["status"], again["drafted"]) == (run["run_id"], "done", 1)
    finally:
        server.stop()


def test_batch_still_running_at_the_deadline_is_an_engine_error_kept_for_the_re_run(
    tmp_path, data_home, scripted_llm, monkeypatch
):
    from assistant.bulk.batch import run_batch
    from assistant.errors import EngineError
    from assistant.service import Assistant

    scripted_llm.handler = answer_any
    scripted_llm.batch_polls_before_complete = 100
    _use_scripted_llm(monkeypatch, data_home, scripted_llm)
    a = Assistant()
    [ingested] = list(a.ingest([text_pdf(tmp_path / "westerleigh.pdf", PAGES)]))
    state: dict = {}
    with pytest.raises(EngineError, match="still in_progress") as caught:
        run_batch(
            a.drafter("llm"),
            [ingested.report],
            a.select_questions(["A1"]),
            run_id="r1",
            work_dir=tmp_path / "out",
            state=state,
            save_state=state.update,
            poll_seconds=0.01,
            timeout_seconds=0,
        )
    assert caught.value.hint == "re-run the same command to keep polling it"
    assert state["batch_id"] in scripted_llm.batches  # the re-run polls this batch


def test_a_stored_batch_the_endpoint_no_longer_knows_is_dropped_and_the_re_run_submits_anew(
    tmp_path, data_home, scripted_llm, monkeypatch, capsys
):
    """A 404 on polling the run's batch (expired, deleted, another endpoint's) drops its id,
    kept as last_batch_id, and says the next run submits a new batch; the re-run does so and
    finishes (it polled the unknown id again on every re-run, failing each time)."""
    import threading

    from assistant.bulk.runs import RunStore
    from assistant.service import Assistant

    folder = tmp_path / "one"
    folder.mkdir()
    text_pdf(folder / "westerleigh.pdf", PAGES)
    scripted_llm.handler = answer_any
    scripted_llm.batch_polls_before_complete = 10**6  # never done: the endpoint forgets it
    _use_scripted_llm(monkeypatch, data_home, scripted_llm)
    forgotten: list[str] = []

    def forget_the_batch() -> None:
        deadline = time.time() + 30
        while not scripted_llm.batches and time.time() < deadline:
            time.sleep(0.01)
        forgotten.extend(scripted_llm.batches)
        for batch_id in forgotten:
            scripted_llm.batches.pop(batch_id)

    watcher = threading.Thread(target=forget_the_batch)
    watcher.start()
    args = ["score", str(folder), "--period", "2020-21", "--engine", "llm", "--batch"]
    args += ["--questions", "A1", "--poll-seconds", "0.05"]
    assert main(args) == 2
    watcher.join()
    [batch_id] = forgotten
    [line] = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line == (
        f"error: the endpoint does not know batch {batch_id} (404: expired, deleted, or "
        "submitted to another llm.base_url); it is dropped from the run: re-run the same "
        "command to submit a new batch for the 1 pending draft"
    )
    [run] = RunStore(Assistant().db).overview()
    params = RunStore(Assistant().db).params(run["run_id"])
    assert run["status"] == "interrupted"
    assert (params["batch_id"], params["last_batch_id"], params["last_status"]) == (
        None,
        batch_id,
        "not found",
    )

    scripted_llm.batch_polls_before_complete = 0
    assert main(args) == 0
    capsys.readouterr()
    [again] = RunStore(Assistant().db).overview()
    assert (again["run_id"], again["status"], again["drafted"]) == (run["run_id"], "done", 1)
    [new_batch] = scripted_llm.batches
    assert new_batch != batch_id
