"""`score --plan --batch` plans the run `score --batch` makes: only the strategies a batch run
can use (one question a line: not theme), the same refusal for one it cannot (same exit code
and message, nothing ingested), and the calls the run sends: its batch lines, then the
syntheses live. The prices have no batch price, so the plan says its cost is the standard one.

Real PDFs (reportlab), a real SQLite data home and the LLM engine against the scripted
OpenAI-compatible server on 127.0.0.1 (Batch API included), through the CLI as a user types it.
"""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from tests.doubles.scripted_llm_server import valid_draft_handler as answer_any
from tests.make_pdf import text_pdf
from tests.test_llm_hardening import use_scripted
from tests.test_report_versions import _eastmoor, _run
from tests.test_score_plan_flags import _estimated_tokens

QUESTIONS = "A1,A6,C10"  # two drafted from the evidence (the batch), one synthesis (live)
STRATEGIES = ["retrieved", "whole-report", "theme"]


@pytest.fixture
def year(tmp_path):
    """A folder of two reports."""
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "eastmoor.pdf", _eastmoor())
    westmoor = [[c.replace("Eastmoor", "Westmoor") for c in page] for page in _eastmoor()]
    text_pdf(folder / "westmoor.pdf", westmoor)
    return folder


def _plan(capsys, folder, *flags: str) -> dict[str, dict]:
    """`score FOLDER --plan --batch` with `flags`: each strategy's plan, by strategy."""
    plans, _ = _run(
        capsys, "score", str(folder), "--plan", "--batch", "--engine", "llm",
        "--questions", QUESTIONS, *flags,
    )  # fmt: skip
    return {p["strategy"]: p for p in plans}


def _batch_score(folder, strategy: str, questions: str = QUESTIONS) -> list[str]:
    """The argv of `score FOLDER --batch --context strategy` with the LLM engine."""
    return [
        "score", str(folder), "--batch", "--engine", "llm", "--questions", questions,
        "--context", strategy, "--poll-seconds", "0.05",
    ]  # fmt: skip


def test_plan_with_batch_plans_what_each_batch_run_sends(scripted_llm, monkeypatch, year, capsys):
    """The plan has a row for each strategy `score --batch` accepts and none for the one it
    refuses; each accepted run sends the planned calls: the batch lines, then the syntheses."""
    use_scripted(monkeypatch, scripted_llm)
    scripted_llm.handler = answer_any
    scripted_llm.batch_polls_before_complete = 1
    plans = _plan(capsys, year)
    assert set(plans) == {"retrieved", "whole-report"}
    assert scripted_llm.chat_requests() == []  # planning sent nothing

    accepted = {}
    for strategy in STRATEGIES:
        before = len(scripted_llm.chat_requests())
        accepted[strategy] = main([*_batch_score(year, strategy), "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        sent = scripted_llm.chat_requests()[before:]
        if not accepted[strategy]:
            assert sent == [] and "cannot use the theme context" in out["error"]
            continue
        plan = plans[strategy]
        lines = [r for r in sent if r.method == "BATCH"]
        assert out["drafted"] == len(sent) == plan["calls"] == 2 * 3
        assert len(lines) == plan["batch_calls"] == 2 * 2  # each report's A1 and A6; C10 live
        assert plan["batch"] and all(r.method == "POST" for r in sent[len(lines) :])
    assert {s for s, ok in accepted.items() if ok} == set(plans)


def test_planned_batch_lines_are_the_prompts_the_batch_sends(
    scripted_llm, monkeypatch, year, capsys
):
    """The plan of the batch lines alone (no synthesis asked) estimates the tokens of the
    requests the batch carries."""
    use_scripted(monkeypatch, scripted_llm)
    scripted_llm.handler = answer_any
    scripted_llm.batch_polls_before_complete = 1
    for strategy in ("retrieved", "whole-report"):
        [plan], _ = _run(
            capsys, "score", str(year), "--plan", "--batch", "--engine", "llm",
            "--questions", "A1,A6", "--context", strategy,
        )  # fmt: skip
        before = len(scripted_llm.chat_requests())
        summary, _ = _run(capsys, *_batch_score(year, strategy, "A1,A6"))
        sent = scripted_llm.chat_requests()[before:]
        assert {r.method for r in sent} == {"BATCH"} and summary["drafted"] == 4
        assert plan["calls"] == plan["batch_calls"] == len(sent) == 4
        assert sum(_estimated_tokens(r.json) for r in sent) == plan["input_tokens"]


THEME_REFUSED = (
    "error: --batch sends one question a line: it cannot use the theme context: use --context "
    "whole-report or retrieved with --batch, or drop --batch"
)
OFFLINE_REFUSED = "error: --batch needs the LLM engine: configure an endpoint or drop --batch"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--engine", "llm", "--context", "theme"], THEME_REFUSED),
        (["--engine", "offline"], OFFLINE_REFUSED),
    ],
)
def test_plan_with_batch_is_refused_as_score_batch_refuses_it(
    scripted_llm, monkeypatch, year, capsys, flags, message
):
    """A combination `score --batch` refuses is refused by its plan the same way (exit 2, the
    same message), before anything is ingested or recorded."""
    use_scripted(monkeypatch, scripted_llm)  # score needs an endpoint to get to its refusal
    refused = {}
    for command in (["--plan"], []):
        assert main(["score", str(year), "--batch", *flags, *command]) == 2
        refused[bool(command)] = capsys.readouterr().err
    assert refused[True] == refused[False]
    assert refused[True].startswith(message), refused[True]
    assert scripted_llm.requests == []
    for listing in ("reports", "runs"):
        assert main([listing, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == []


def test_plan_table_with_batch_counts_the_batch_and_says_its_cost_is_the_standard_price(
    monkeypatch, year, capsys
):
    """The table form: an `in batch` column, no theme row, and the cost said to be at the
    standard prices (the prices have no batch price; no discount is made up)."""
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "priced-model")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__PRICES", json.dumps({"priced-model": [1, 4]}))
    argv = ["score", str(year), "--plan", "--batch", "--questions", QUESTIONS]
    assert main(argv) == 0
    table = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in table.splitlines()[3:5]}
    assert set(rows) == {"retrieved", "whole-report"} and "theme" not in table
    assert "in batch" in table.splitlines()[1]
    assert all(row[-1] == "4" and row[1] == "6" for row in rows.values())
    assert "cost is at the standard llm.prices" in table
    assert "batch discount, if the provider gives one, is not modelled" in table
    assert main(["score", str(year), "--plan", "--questions", QUESTIONS]) == 0
    live = capsys.readouterr().out  # a live run's plan says nothing of a batch
    assert "in batch" not in live and "--batch" not in live and "theme" in live
