"""The reviewer UI and the CLI on one data home: what the CLI writes, the running UI sees.

The UI is a real subprocess (tests/ui_server.py) with the embedded Chroma store open; the CLI
then ingests and scores a new report into the same home in other processes. The UI must answer
Ask on that report (an embedded Chroma client caches its vector index, so without re-opening
it fails with "Error finding id") and list the new run in Cohort.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.make_pdf import text_pdf
from tests.ui_server import REPO, app_env, running_app

gradio_client = pytest.importorskip("gradio_client")


def _report(partnership: str) -> list[list[str]]:
    return [
        [f"{partnership} Safeguarding Children Partnership", "Annual Report 2020-21"],
        ["Our priorities", f"Neglect was a priority for {partnership} this year."],
        ["Budget", f"Police contributed 40,000 pounds to the {partnership} budget."],
    ]


def _cli(home: Path, *args: str) -> str:
    """Run `review-assistant ARGS` in its own process over `home` (as a user would)."""
    env = app_env(home)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_ui_answers_on_a_report_the_cli_ingested_and_scored_while_it_ran(tmp_path):
    home = tmp_path / "home"
    first = tmp_path / "first"
    first.mkdir()
    text_pdf(first / "halden.pdf", _report("Halden Vale"))
    assert [r.status for r in _service(home).ingest([first])] == ["indexed"]
    with running_app(home) as url:
        client = gradio_client.Client(url, verbose=False)
        halden = _report_id(home, "halden")
        # the UI opens its vector store by answering on the report it already has
        before = client.predict(halden, "What was a priority?", api_name="/ask")
        assert "Halden Vale" in str(before), before

        year = tmp_path / "year"
        year.mkdir()
        text_pdf(year / "marsh.pdf", _report("Marsh Fen"))
        _cli(home, "ingest", str(year))
        marsh = _report_id(home, "marsh")
        _cli(home, "score", str(year), "--period", "2020-21", "--questions", "A1,B7")

        client = gradio_client.Client(url, verbose=False)  # a page opened after the CLI ran
        client.predict(api_name="/refresh_reports")  # opening the Ask tab
        answer = client.predict(marsh, "What was a priority?", api_name="/ask")
        text = str(answer)
        assert "Error finding id" not in text and "unexpected error" not in text, text
        assert "Marsh Fen" in text, text
        # opening Cohort offers the run the CLI scored, and shows its report
        [run_id] = _score_runs(home)
        offered = client.predict(None, api_name="/reload_choices")
        assert f"run:{run_id}" in str(offered), offered
        shown = client.predict(f"run:{run_id}", "drafts", api_name="/cohort")
        assert "1 reports" in str(shown[0]) and run_id in str(shown[0]), shown


def _score_runs(home: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(home / "review.sqlite3") as conn:
        return [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE kind='score'")]


def _report_id(home: Path, name: str) -> str:
    import sqlite3

    with sqlite3.connect(home / "review.sqlite3") as conn:
        [found] = conn.execute(
            "SELECT report_id FROM reports WHERE file_name=?", (f"{name}.pdf",)
        ).fetchall()
    return found[0]


def _service(home: Path):
    from assistant.config import load_settings
    from assistant.service import Assistant

    return Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))


def test_a_service_sees_what_another_process_indexed_and_keeps_it(assistant, tmp_path):
    first = text_pdf(tmp_path / "halden.pdf", _report("Halden Vale"))
    [halden] = [r.report for r in assistant.ingest([first])]
    assert assistant.search(halden.report_id, "priority", mode="dense")  # the store is open

    year = tmp_path / "year"
    year.mkdir()
    text_pdf(year / "marsh.pdf", _report("Marsh Fen"))
    _cli(assistant.settings.home, "ingest", str(year))
    marsh = _report_id(assistant.settings.home, "marsh")
    found = assistant.search(marsh, "Marsh Fen priority", mode="dense")
    assert found and {p.report_id for p in found} == {marsh}
    # this process writes next: the other process's vectors stay findable, by a new process too
    third = text_pdf(tmp_path / "tarn.pdf", _report("Tarn Moor"))
    [tarn] = [r.report for r in assistant.ingest([third])]
    for report_id in (halden.report_id, marsh, tarn.report_id):
        assert {p.report_id for p in assistant.search(report_id, "priority", mode="dense")} == {
            report_id
        }
    out = _cli(assistant.settings.home, "search", marsh, "priority", "--mode", "dense", "--json")
    assert marsh in out


def test_reopening_waits_for_calls_in_flight(assistant, tmp_path):
    """Threads keep querying while the store is re-opened under them (as another process's
    writes make it happen in the UI): no call fails, and the client was re-opened."""
    from concurrent.futures import ThreadPoolExecutor

    [report] = [r.report for r in assistant.ingest([text_pdf(tmp_path / "h.pdf", _report("H"))])]
    store = assistant.index._store
    opened = store.client

    def query(_n: int) -> int:
        # library-wide: a report-filtered query reads the report's vectors once and then
        # ranks them in memory, so only an unfiltered query reaches Chroma every time
        return len(assistant.index.dense("priority", None, 5))

    def bump() -> None:  # what another process's write leaves in the database
        with assistant.db.transaction() as conn:
            conn.execute("UPDATE vector_store_writes SET generation = generation + 1")

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(query, n) for n in range(120)]
        for n in range(10):
            bump()
            futures[n * 10].result()
        counts = [f.result() for f in futures]
    assert set(counts) == {min(5, len(assistant.index.report_chunks(report.report_id)))}
    assert store.client is not opened and store.in_use == 0
