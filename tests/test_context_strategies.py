"""Context strategies of the LLM engine (retrieved, whole-report, theme) over real HTTP against
the scripted server: request shape, an identical prefix across the questions of one report,
citations verified on their pages, the fallback when a report does not fit, cached input
tokens in the call log and costs, and `score --plan` sending nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation.labelled_year import generate_labelled_year
from assistant.providers.calllog import CallLog
from assistant.providers.openai_compat import price_of
from assistant.providers.scripted import scripted_draft
from tests.doubles.scripted_llm_server import reply

QUESTIONS = ["A1", "A2", "A6", "B2", "B7", "C10"]  # two themes' first phase, and a synthesis
PRICE = [1.0, 4.0, 0.25]  # USD per million: input, output, cached input
PAGE_BLOCK = re.compile(r'<evidence id="(P\d+)" page="(\d+)"[^>]*>\n(.*?)\n</evidence>', re.DOTALL)


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> Path:
    """One generated short report (12-30 pages)."""
    folder = tmp_path_factory.mktemp("context-year")
    generate_labelled_year(folder, n=1, seed=77, length="short")
    (folder / "gold.csv").unlink()
    (folder / "manifest.json").unlink()
    return folder


@pytest.fixture
def llm(monkeypatch, scripted_llm, data_home):
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", scripted_llm.url)
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "scripted-model")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MAX_RETRIES", "0")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__PRICES", json.dumps({"scripted-model": PRICE}))
    scripted_llm.prompt_caching = True
    scripted_llm.handler = cite_a_page_sentence
    return scripted_llm


def user_message(request_json) -> str:
    return next(m["content"] for m in request_json["messages"] if m["role"] == "user")


def cite_a_page_sentence(request_json):
    """Answer every question asked (one, or a theme's) citing page blocks with exact quotes:
    a sentence of the third page, and one from a page that does not hold it (must fail)."""
    blocks = PAGE_BLOCK.findall(user_message(request_json))
    block_id, _, text = blocks[min(2, len(blocks) - 1)]
    quote = " ".join(text.split()[:8])
    wrong = blocks[0][0] if blocks[0][0] != block_id else blocks[-1][0]
    schema = request_json["response_format"]["json_schema"]["schema"]

    def one(sub):
        answer = sub["properties"]["answer"]["anyOf"][0]
        value = (
            answer["enum"][0]
            if "enum" in answer
            else answer["items"]["enum"][:1]
            if answer.get("type") == "array"
            else 3
            if answer.get("type") == "integer"
            else "text"
        )
        return {
            "status": "answered",
            "answer": value,
            "rationale": f"see {block_id}",
            "confidence": 0.6,
            "citations": [
                {"block_id": block_id, "quote": quote},
                {"block_id": wrong, "quote": quote + " not on this page at all"},
            ],
        }

    answers = schema["properties"].get("answers")
    if answers:
        return reply({"answers": {qid: one(sub) for qid, sub in answers["properties"].items()}})
    return reply(one(schema))


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def score(year: Path, context: str, capsys, *extra: str) -> str:
    code, out = run(
        ["score", str(year), "--engine", "llm", "--questions", ",".join(QUESTIONS)]
        + ["--context", context, "--concurrency", "1", *extra],
        capsys,
    )
    assert code == 0, out
    return out


def drafts_and_log():
    from assistant.service import Assistant

    a = Assistant()
    [report] = a.list_reports()
    drafts = {d.question_id: d for d in a.drafts.for_report(report.report_id, engine="llm")}
    with a.db.connect() as conn:
        log = [dict(r) for r in conn.execute("SELECT * FROM llm_calls ORDER BY call_id")]
    return a, report, drafts, log


def prefix_before(text: str, marker: str) -> str:
    assert marker in text, marker
    return text[: text.index(marker)]


def test_whole_report_every_page_first_question_last_identical_prefix(llm, year, capsys):
    score(year, "whole-report", capsys)
    a, report, drafts, log = drafts_and_log()
    chats = [r.json for r in llm.chat_requests()]
    assert len(chats) == len(QUESTIONS)  # one call a question
    pages = a.reports.pages(report.report_id)
    with_text = sorted(p for p, t in pages.items() if t.strip())
    prefixes = set()
    for body in chats:
        user = user_message(body)
        found = PAGE_BLOCK.findall(user)
        assert [int(page) for _, page, _ in found] == with_text  # every page, in order
        assert all(block == f"P{page}" for block, page, _ in found)
        assert "<evidence id=\"E" not in user
        # the report first, the question last: nothing about the question before the report ends
        head = prefix_before(user, "End of the report.")
        qid = re.search(r"Audit question (\w+):", user).group(1)
        assert f"Audit question {qid}" not in head
        prefixes.add(body["messages"][0]["content"] + head)
    assert len(prefixes) == 1  # a cache-friendly identical prefix across the report's questions
    # citations to pages, verified on the cited page as for retrieved blocks
    for qid in QUESTIONS[:-1]:
        d = drafts[qid]
        assert d.status == "ok", (qid, d.error)
        assert d.template == "draft_from_report"
        good, wrong = d.citations
        assert good.verified and good.page == int(good.block_id[1:])
        assert good.quote in " ".join(pages[good.page].split()) or good.span_start is not None
        assert not wrong.verified
    # cached input tokens: the API's usage, in the call log and in costs
    ok = [c for c in log if c["status"] == "ok"]
    assert ok[0]["cached_tokens"] == 0 and all(c["cached_tokens"] > 1000 for c in ok[1:])
    for c in ok:
        expected = price_of(PRICE, c["prompt_tokens"], c["completion_tokens"], c["cached_tokens"])
        assert c["cost"] == pytest.approx(expected)
    totals = CallLog(a.db).totals()
    assert totals["cached_prompt_tokens"] == sum(c["cached_tokens"] for c in ok)


def test_theme_asks_a_themes_questions_in_one_call(llm, year, capsys):
    score(year, "theme", capsys)
    a, report, drafts, log = drafts_and_log()
    chats = [r.json for r in llm.chat_requests()]
    schemas = [c["response_format"]["json_schema"]["schema"]["properties"] for c in chats]
    themes = [c for c, schema in zip(chats, schemas, strict=True) if "answers" in schema]
    asked = [sorted(schema["answers"]["required"]) for schema in schemas if "answers" in schema]
    assert sorted(asked) == [["A1", "A2", "A6"], ["B2", "B7"]]
    assert len(chats) == 3  # two theme calls, then the synthesis (C10) on its own, last
    assert "Audit question C10" in user_message(chats[-1])
    heads = {
        c["messages"][0]["content"] + prefix_before(user_message(c), "End of the report.")
        for c in themes
    }
    assert len(heads) == 1
    for qid in QUESTIONS[:-1]:
        d = drafts[qid]
        assert d.status == "ok", (qid, d.error)
        assert d.template == "draft_theme"
        assert d.citations[0].verified and not d.citations[1].verified
    # the call's tokens are shared out over its drafts
    theme_calls = [c for c in log if c["template"] == "draft_theme" and c["status"] == "ok"]
    a_call = next(c for c in theme_calls if '"A1"' in c["request"])
    assert sum(drafts[q].prompt_tokens for q in ("A1", "A2", "A6")) == a_call["prompt_tokens"]
    assert theme_calls[1]["cached_tokens"] > 1000
    # resumable: a re-run finds every draft it stored (the synthesis's too) and asks nothing
    llm.reset()
    again = json.loads(score(year, "theme", capsys, "--json"))
    assert again["reused"] == len(QUESTIONS) and llm.chat_requests() == []
    assert len(drafts_and_log()[3]) == len(log)  # not even a reply served from the call log


def test_a_report_too_long_for_the_model_falls_back_to_retrieved(
    llm, year, capsys, monkeypatch
):
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__CONTEXT_TOKENS", "3000")
    llm.handler = lambda body: reply(scripted_draft(body))  # any valid draft will do
    score(year, "whole-report", capsys)
    a, report, drafts, log = drafts_and_log()
    for body in (r.json for r in llm.chat_requests()):
        assert '<evidence id="E1"' in user_message(body) and "End of the report." not in str(body)
    for d in drafts.values():
        assert "does not fit llm.context_tokens (3,000)" in (d.marker or ""), d.marker
        assert "drafted from retrieved evidence" in d.marker
        assert d.template == "draft_answer"  # what was actually sent
    llm.reset()  # a re-run finds the fallback drafts under the template actually used
    assert json.loads(score(year, "whole-report", capsys, "--json"))["reused"] == len(QUESTIONS)
    assert llm.chat_requests() == [] and len(drafts_and_log()[3]) == len(log)
    # shown where drafts are shown
    code, shown = run(["draft", report.report_id, "--engine", "llm", "--context", "whole-report",
                       "--questions", "A1"], capsys)
    assert code == 0 and "does not fit llm.context_tokens" in shown, shown


def test_score_plan_prints_every_strategy_and_sends_nothing(llm, year, capsys):
    code, out = run(
        ["score", str(year), "--engine", "llm", "--plan", "--json", "--questions",
         ",".join(QUESTIONS)],
        capsys,
    )
    assert code == 0, out
    assert llm.requests == [] and llm.chat_requests() == []  # not one request reached the server
    plans = {p["strategy"]: p for p in json.loads(out)}
    assert set(plans) == {"retrieved", "whole-report", "theme"}
    retrieved, whole, theme = plans["retrieved"], plans["whole-report"], plans["theme"]
    assert retrieved["calls"] == whole["calls"] == len(QUESTIONS) and theme["calls"] == 3
    assert whole["input_tokens"] > retrieved["input_tokens"]  # every page, every call
    assert whole["cached_tokens"] > 0.5 * whole["input_tokens"]  # same report prefix
    assert retrieved["output_tokens"] == whole["output_tokens"] == theme["output_tokens"]
    for p in plans.values():
        assert p["cost"] == pytest.approx(
            price_of(PRICE, p["input_tokens"], p["output_tokens"], p["cached_tokens"])
        )
        assert p["fallbacks"] == 0
    # the table form, too
    code, table = run(["score", str(year), "--engine", "llm", "--plan"], capsys)
    assert code == 0 and "nothing was sent" in table
    assert all(s in table for s in ("retrieved", "whole-report", "theme"))
    assert llm.requests == []


def test_a_plan_needs_no_endpoint_and_an_offline_plan_is_refused_before_ingest(
    monkeypatch, data_home, year, capsys
):
    """Nothing is sent, so pricing a run needs no key or server; a plan for an engine that
    makes no calls is refused before anything is ingested."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "REVIEW_ASSISTANT_LLM__BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "priced-model")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__PRICES", json.dumps({"priced-model": PRICE}))
    code = main(["score", str(year), "--engine", "offline", "--plan"])
    assert code == 2 and "the offline engine makes none" in capsys.readouterr().err
    code, out = run(["reports", "--json"], capsys)
    assert json.loads(out) == []  # refused before the ingest
    code, out = run(["score", str(year), "--engine", "llm", "--plan", "--json"], capsys)
    assert code == 0, out
    plans = {p["strategy"]: p for p in json.loads(out)}
    assert set(plans) == {"retrieved", "whole-report", "theme"}
    assert all(p["model"] == "priced-model" and p["cost"] > 0 for p in plans.values())


def test_batch_lines_carry_the_whole_report_and_theme_is_refused(llm, year, capsys):
    llm.batch_polls_before_complete = 1
    out = score(year, "whole-report", capsys, "--batch", "--poll-seconds", "0.05")
    a, report, drafts, log = drafts_and_log()
    lines = [r.json for r in llm.chat_requests() if r.method == "BATCH"]
    assert len(lines) == len(QUESTIONS) - 1  # the synthesis is drafted live, last
    assert all("End of the report." in user_message(body) for body in lines)
    assert all(drafts[q].status == "ok" and drafts[q].citations[0].verified for q in QUESTIONS[:-1])
    batch_log = [c for c in log if c["provider"].endswith("(batch)")]
    assert len(batch_log) == len(lines) and sum(c["cached_tokens"] for c in batch_log) > 0
    assert "drafted" in out
    code = main(["score", str(year), "--engine", "llm", "--context", "theme", "--batch"])
    assert code == 2
    assert "cannot use the theme context" in capsys.readouterr().err
