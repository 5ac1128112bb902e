"""`score --plan` plans the run the same `score` command makes, flags included: `--period`
fills undetected periods (and so links a corrected copy to its older file, which changes the
reports planned) and is refused as score refuses it; `--redraft-stale` counts the drafts made
with other settings as calls, as the run re-drafts them.

Real PDFs (reportlab), a real SQLite data home and the LLM engine against the scripted
OpenAI-compatible server on 127.0.0.1, through the CLI as a user types it.
"""

from __future__ import annotations

import json

from assistant.cli import main
from tests.doubles.scripted_llm_server import valid_draft_handler as answer_any
from tests.make_pdf import text_pdf
from tests.test_llm_hardening import use_scripted
from tests.test_report_identity import _without_period
from tests.test_report_versions import PERIOD, _eastmoor, _run

STRATEGIES = ["retrieved", "whole-report", "theme"]


def _plans(capsys, folder, *flags: str) -> dict[str, dict]:
    """`score FOLDER --plan` for A1 with `flags`: each strategy's plan, by strategy."""
    plans, _ = _run(
        capsys, "score", str(folder), "--plan", "--engine", "llm", "--questions", "A1", *flags
    )
    return {p["strategy"]: p for p in plans}


def _sent(scripted_llm) -> list[dict]:
    """The chat requests that reached the scripted server so far."""
    return [r.json for r in scripted_llm.chat_requests()]


def _estimated_tokens(body: dict) -> int:
    """A sent request's input tokens as the plan estimates them (drafting/plan.py)."""
    system, user = (m["content"] for m in body["messages"])
    return max(1, len(system + "\n" + user) // 4)


def test_plan_with_a_period_plans_the_versions_score_with_that_period_drafts(
    scripted_llm, monkeypatch, tmp_path, capsys
):
    """Two copies of a report without a detected period count as two reports; --period links
    them as one report's versions, so score drafts the corrected copy only, and so the plan."""
    use_scripted(monkeypatch, scripted_llm)
    scripted_llm.handler = answer_any
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor(period=None))
    text_pdf(folder / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures.", period=None))

    without = _plans(capsys, folder)
    assert [without[s]["calls"] for s in STRATEGIES] == [2, 2, 2]  # both copies count
    plans = _plans(capsys, folder, "--period", PERIOD)
    assert [plans[s]["calls"] for s in STRATEGIES] == [1, 1, 1]  # the corrected copy only
    assert _sent(scripted_llm) == []

    for strategy in STRATEGIES:  # each strategy's run sends what its plan counted
        before = len(_sent(scripted_llm))
        score = ["score", str(folder), "--period", PERIOD, "--engine", "llm"]
        summary, _ = _run(capsys, *score, "--questions", "A1", "--context", strategy)
        sent = _sent(scripted_llm)[before:]
        assert (summary["reports"], summary["drafted"]) == (1, 1)
        assert len(sent) == plans[strategy]["calls"]
        assert sum(map(_estimated_tokens, sent)) == plans[strategy]["input_tokens"]
    [current], _ = _run(capsys, "reports")
    assert (current["file_name"], current["period"]) == ("b-eastmoor-corrected.pdf", PERIOD)


def test_plan_with_redraft_stale_counts_the_stale_drafts_the_run_drafts_again(
    scripted_llm, monkeypatch, tmp_path, capsys
):
    """Drafts made before a setting changed are reused by score (the plan: no call) and drafted
    again by score --redraft-stale (the plan: their calls)."""
    use_scripted(monkeypatch, scripted_llm)
    scripted_llm.handler = answer_any
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "a-eastmoor.pdf", _eastmoor())
    score = ["score", str(folder), "--engine", "llm", "--questions", "A1,A6"]
    score += ["--context", "retrieved"]
    first, _ = _run(capsys, *score)
    assert first["drafted"] == 2 and len(_sent(scripted_llm)) == 2

    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__TEMPERATURE", "0.7")  # the drafts are stale now
    plan = ["score", str(folder), "--plan", "--engine", "llm", "--questions", "A1,A6"]
    plan += ["--context", "retrieved"]
    [reused], _ = _run(capsys, *plan)
    [redrafted], _ = _run(capsys, *plan, "--redraft-stale")
    assert (reused["calls"], redrafted["calls"]) == (0, 2)
    assert reused["input_tokens"] == 0 and redrafted["input_tokens"] > 0
    assert len(_sent(scripted_llm)) == 2  # planning sent nothing

    again, _ = _run(capsys, *score)
    assert (again["drafted"], again["reused"]) == (0, 2) and len(_sent(scripted_llm)) == 2
    stale, _ = _run(capsys, *score, "--redraft-stale")
    sent = _sent(scripted_llm)[2:]
    assert stale["drafted"] == len(sent) == redrafted["calls"]
    assert sum(map(_estimated_tokens, sent)) == redrafted["input_tokens"]


def test_plan_with_a_period_that_is_not_one_is_refused_as_score_refuses_it(tmp_path, capsys):
    folder = _without_period(tmp_path).parent
    refused = {}
    for command in (["--plan"], []):
        argv = ["score", str(folder), "--engine", "llm", "--period", "notaperiod", *command]
        assert main(argv) == 2
        refused[bool(command)] = capsys.readouterr().err
    assert refused[True] == refused[False]
    assert refused[True].startswith(
        "error: period 'notaperiod' is not a reporting period: use 2020-21, 2020/21"
    )
    for listing in ("reports", "runs"):  # refused before anything was ingested or recorded
        assert main([listing, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == []


def test_plan_under_a_label_stored_before_periods_were_checked_resumes_or_is_refused(
    assistant, tmp_path, capsys
):
    """A run stored under a label that is not a period (before --period was checked) is
    resumed by that label, which fills no report's period; a strategy whose run was not stored
    under it is refused, as `score --context` with it is."""
    from assistant.bulk.runs import RunStore, run_id_for, source_label

    folder = _without_period(tmp_path).parent
    drafter = assistant.drafter("llm", context="retrieved", send=False)
    run_id = run_id_for(source_label(folder), "pilot batch", drafter)
    RunStore(assistant.db).start(  # as the older version stored it
        run_id,
        kind="score",
        label="pilot batch",
        source=source_label(folder),
        drafter=drafter,
        params={"concurrency": 1, "questions": ["A1"]},
    )
    plan = ["score", str(folder), "--plan", "--engine", "llm", "--period", "pilot batch"]
    assert main([*plan, "--context", "whole-report"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: period 'pilot batch' is not a reporting period: use 2020-21"
    )
    assert main(["reports", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # refused before the ingest

    [resumed], _ = _run(capsys, *plan, "--context", "retrieved")
    assert resumed["calls"] > 0
    [report], _ = _run(capsys, "reports")
    assert report["period"] is None  # a label that is not a period labels no report
