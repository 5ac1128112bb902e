"""Issue 9 items 9–14: failures of the LLM path are counted, logged, bounded and never leak.

Everything runs against the real scripted OpenAI-compatible server over real HTTP (or a closed
port), through the real CLI entry point where the item is about the command line.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from assistant.cli import main as cli_main
from assistant.providers.calllog import CallLog
from tests.doubles.scripted_llm_server import ScriptedLLMServer, drip, malformed, raw, reply
from tests.doubles.scripted_llm_server import valid_draft_handler as answer_any
from tests.make_pdf import text_pdf
from tests.test_llm_engine import GOOD_QUOTE, PAGES, cite_block_with, fresh_assistant

REPO = Path(__file__).resolve().parent.parent
SECRET = "s3cretpw"


def ingest_westerleigh(assistant, tmp_path):
    """The scripted endpoint's test report, ingested (as this module's `report` fixture)."""
    [result] = list(assistant.ingest([text_pdf(tmp_path / "westerleigh.pdf", PAGES)]))
    assert result.status == "indexed", result.error
    return result.report


@pytest.fixture
def report(assistant, tmp_path):
    return ingest_westerleigh(assistant, tmp_path)


def use_scripted(monkeypatch, scripted_llm, **llm: str):
    """The LLM settings point at the scripted server, no retries (plus `llm`'s settings)."""
    settings = {"base_url": scripted_llm.url, "model": "scripted-model", "max_retries": "0", **llm}
    for key, value in settings.items():
        monkeypatch.setenv(f"REVIEW_ASSISTANT_LLM__{key.upper()}", value)
    return scripted_llm


@pytest.fixture
def llm(monkeypatch, scripted_llm):
    return use_scripted(monkeypatch, scripted_llm, timeout="1.5")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def calls(a=None) -> list[dict]:
    a = a or fresh_assistant()
    with a.db.connect() as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM llm_calls ORDER BY call_id")]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- item 9: draft's exit code and the causes of its failures ---------------------------


def test_draft_exits_1_and_prints_each_cause_once_with_its_count(report, monkeypatch, capsys):
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MAX_RETRIES", "0")
    code, out, _ = run_cli(
        capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A6,B7"
    )
    assert code == 1
    causes = [line for line in out.splitlines() if line.strip().startswith("FAILED")]
    assert len(causes) == 1, out
    assert "FAILED 2 drafts: cannot reach http://127.0.0.1:" in causes[0]
    assert "Connection refused" in causes[0]
    code, _, _ = run_cli(capsys, "draft", "westerleigh", "--engine", "llm", "--json")
    assert code == 1  # --json too: the exit code says that drafts failed


def test_draft_names_distinct_causes_and_exits_0_when_all_succeed(report, llm, capsys):
    good = cite_block_with(GOOD_QUOTE)

    def handler(request_json):
        user = request_json["messages"][1]["content"]
        if "Audit question A6:" in user:
            return raw(b"<html>gateway</html>", content_type="text/html")
        if "Audit question B7:" in user:
            return raw(b'{"not": "a completion"}')
        return good(request_json)

    llm.handler = handler
    code, out, _ = run_cli(
        capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A6,B7,A9"
    )
    assert code == 1
    causes = sorted(line.strip() for line in out.splitlines() if "FAILED" in line)
    assert len(causes) == 2, out
    assert causes[0].startswith("FAILED 1 draft: the endpoint returned JSON that is not a chat")
    assert causes[1].startswith("FAILED 1 draft: the endpoint returned a non-JSON body")
    llm.handler = good
    code, out, _ = run_cli(capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A9")
    assert code == 0 and "FAILED" not in out


def test_ask_failure_exits_1_and_bad_base_url_is_a_config_error(report, monkeypatch, capsys):
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MAX_RETRIES", "0")
    code, out, _ = run_cli(capsys, "ask", "westerleigh", "Who chairs it?", "--engine", "llm")
    assert code == 1 and "cannot reach" in out
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", "not a url")
    code, _, err = run_cli(capsys, "draft", "westerleigh", "--engine", "llm")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: llm.base_url 'not a url' is not an http(s) URL: set it to the server's "
        "OpenAI-compatible root, e.g. http://127.0.0.1:8080/v1"
    ]


# --- item 10: a 200 that is not a chat completion ---------------------------------------


@pytest.mark.parametrize(
    "step, expected",
    [
        (raw(b"<!DOCTYPE html><html>It works</html>", content_type="text/html"), "non-JSON"),
        (raw(b"<!DOCTYPE html><html>It works</html>"), "non-JSON"),  # says it is JSON
        (raw(b""), "non-JSON"),
        (raw(b'["a list"]'), "not a chat completion"),
        (raw(b'{"error": "quota"}'), "not a chat completion"),
    ],
)
def test_non_json_200_is_logged_with_a_readable_error(report, llm, step, expected):
    llm.enqueue(step)
    a = fresh_assistant()
    _, [outcome] = a.draft_report("westerleigh", question_ids=["A6"], engine="llm")
    error = outcome.draft.error
    assert outcome.draft.status == "failed"
    assert expected in error and "(first bytes: " in error, error
    assert "check llm.base_url" in error and "OpenAI-compatible /v1" in error
    assert "JSONDecodeError" not in error and "AttributeError" not in error
    [row] = calls(a)  # the attempt is in the call log, with the same readable error
    assert row["status"] == "error" and row["error"] == error
    assert row["response"] == step.body.decode()
    assert row["attempt"] == 1


# --- item 11: llm.timeout is a total deadline ----------------------------------------------


@pytest.mark.parametrize("headers", [False, True], ids=["body-drips", "headers-drip"])
def test_timeout_is_a_deadline_against_a_dripping_server(report, llm, headers):
    """16 bytes every 0.5 s: each read is well inside the 1.5 s timeout, the whole reply
    (about 700 bytes) would take ~20 s; the request must end at 1.5 s."""
    llm.handler = lambda request_json: drip(
        cite_block_with(GOOD_QUOTE)(request_json), interval=0.5, chunk=16, headers=headers
    )
    a = fresh_assistant()
    started = time.monotonic()
    _, [outcome] = a.draft_report("westerleigh", question_ids=["A6"], engine="llm")
    elapsed = time.monotonic() - started
    assert outcome.draft.status == "failed"
    assert "no complete reply within llm.timeout (1.5 s)" in outcome.draft.error
    assert elapsed < 8, elapsed  # retrieval and verification included
    [row] = calls(a)
    assert row["status"] == "error" and 1400 <= row["latency_ms"] < 3000, row["latency_ms"]


def test_deadline_holds_on_a_reused_keep_alive_connection(scripted_llm):
    from assistant.providers import deadline

    http_client = openai.DefaultHttpxClient()
    assert deadline.install(http_client)
    client = openai.OpenAI(
        base_url=scripted_llm.url, api_key="x", max_retries=0, timeout=1.0, http_client=http_client
    )
    scripted_llm.enqueue(reply("first"), drip(reply("x" * 400), interval=0.2, chunk=8))
    message = [{"role": "user", "content": "hi"}]
    with deadline.deadline(1.0):
        first = client.chat.completions.create(model="m", messages=message)
    assert first.choices[0].message.content == "first"
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError), deadline.deadline(1.0):
        client.chat.completions.create(model="m", messages=message)
    assert time.monotonic() - started < 1.8
    with deadline.deadline(None):  # no deadline set: unchanged behaviour
        scripted_llm.enqueue(reply("third"))
        assert client.chat.completions.create(model="m", messages=message).choices


# --- item 12: the response cache -------------------------------------------------------


def test_cache_never_serves_one_servers_answer_for_another(report, llm, monkeypatch):
    question = "How many practitioners were trained?"

    def answering(text):
        def handler(request_json):
            return reply({"status": "answered", "answer": text, "citations": []})

        return handler

    llm.handler = answering("from server A")
    assert fresh_assistant().ask("westerleigh", question, engine="llm").answer == "from server A"
    with ScriptedLLMServer(answering("from server B")) as other:
        monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", other.url)
        answer = fresh_assistant().ask("westerleigh", question, engine="llm")
        assert answer.answer == "from server B"
        assert len(other.chat_requests()) == 1
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", llm.url)
    again = fresh_assistant().ask("westerleigh", question, engine="llm")
    assert again.answer == "from server A" and len(llm.chat_requests()) == 1  # cached, per server
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "other-model")
    fresh_assistant().ask("westerleigh", question, engine="llm")
    assert len(llm.chat_requests()) == 2  # another model on the same server is not a repeat


def test_force_bypasses_the_cache_and_stores_the_fresh_answer(report, llm, capsys):
    llm.handler = cite_block_with(GOOD_QUOTE, answer="partly")
    code, _, _ = run_cli(capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A6")
    assert code == 0
    llm.handler = cite_block_with(GOOD_QUOTE, answer="evidenced")
    code, out, _ = run_cli(
        capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A6", "--force"
    )
    assert code == 0 and len(llm.chat_requests()) == 2  # the repeat went to the model
    assert "Evidenced" in out or "evidenced" in out
    a = fresh_assistant()
    rows = calls(a)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert rows[0]["prompt_key"] == rows[1]["prompt_key"]
    cached = CallLog(a.db).cached_response(rows[1]["prompt_key"])
    assert json.loads(cached[0])["answer"] == "evidenced"  # the fresh answer is the one kept


NO_CHOICES = {"id": "c1", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
NO_STATUS = {"answer": "yes", "rationale": "", "confidence": 0.5, "citations": []}


@pytest.mark.parametrize(
    "bad, cause",
    [
        (malformed("Sorry, I cannot help with that."), "the model's reply was not JSON"),
        (raw(json.dumps(NO_CHOICES)), "the endpoint returned no choices"),
        (reply(NO_STATUS), "the reply lacked field 'status'"),
    ],
    ids=["not-json", "no-choices", "no-status"],
)
def test_a_reply_the_engine_rejected_is_asked_again_on_the_re_run(
    tmp_path, llm, capsys, bad, cause
):
    """The auditor's repro: a bad endpoint fails the drafts; once it is fixed, re-running the
    same command sends the requests again (the rejected replies are not served from cache)."""
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "westerleigh.pdf", PAGES)
    args = ["score", str(folder), "--period", "2020-21", "--engine", "llm", "--questions", "A1,A4"]
    llm.handler = lambda request_json: bad
    _, out, _ = run_cli(capsys, *args)
    failures = [line for line in out.splitlines() if "FAILED draft" in line]
    assert len(failures) == 2 and all(cause in line for line in failures), out
    assert "re-run the same command to retry failed items" in out
    sent = len(llm.chat_requests())
    rows = calls()
    assert {r["status"] for r in rows} == {"error" if "choices" in cause else "rejected"}
    assert all(cause in r["error"] and r["response"] for r in rows)  # what came back, and why

    llm.handler = answer_any
    _, out, _ = run_cli(capsys, *args)
    assert "FAILED" not in out, out
    assert len(llm.chat_requests()) == sent + 2  # each item went to the endpoint again
    assert [r["status"] for r in calls()[len(rows) :]] == ["ok", "ok"]


def test_a_cached_reply_now_rejected_is_recorded_on_this_run_not_on_the_run_that_got_it(
    tmp_path, llm, capsys
):
    """An older version accepted a reply, now served from the cache, that today's parser
    rejects: the rejection goes on this run's `cached` row; the row that first answered (another
    run's history, with its tokens and cost) is left as it was, and the cache serves that
    reply no more. The draft is re-asked live once and stands."""
    from assistant.providers.calllog import CallRecord, prompt_key

    folder = tmp_path / "year"
    folder.mkdir()
    pdf = text_pdf(folder / "westerleigh.pdf", PAGES)
    a = fresh_assistant()
    [ingested] = list(a.ingest([pdf]))
    drafter = a.drafter("llm")
    [question] = a.select_questions(["A1"])
    prepared = drafter.prepare(ingested.report, question, run_id=None)
    # the request the run will send, and an older version's log row answering it
    request = drafter.engine.batch_request(question, prepared.blocks, prepared.context)
    body, provider = request.body, drafter.engine.provider
    key = prompt_key(body, endpoint=provider.base_url)
    older = CallLog(a.db).record(
        CallRecord(
            provider=provider.name,
            base_url=provider.base_url,
            model=provider.model,
            template=request.rendered.template_name,
            template_version=request.rendered.template_version,
            settings_hash=drafter.settings_hash,
            prompt_key=key,
            request=body,
            response=json.dumps(NO_STATUS),
            status="ok",
            prompt_tokens=900,
            completion_tokens=100,
            cost=0.02,
            latency_ms=800,
            run_id="run-older",
        )
    )
    llm.handler = answer_any
    args = ["score", str(folder), "--period", "2020-21", "--engine", "llm", "--questions", "A1"]
    code, out, _ = run_cli(capsys, *args, "--json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["drafted"], result["failed"]) == (1, 0)
    assert len(llm.chat_requests()) == 1  # the re-ask with the error; the first came cached

    rows = calls()
    first = next(r for r in rows if r["call_id"] == older)
    assert (first["status"], first["error"], first["run_id"]) == ("ok", None, "run-older")
    mine = [(r["status"], r["error"]) for r in rows if r["run_id"] == result["run_id"]]
    assert mine == [("cached_rejected", "the reply lacked field 'status'"), ("ok", None)]
    assert CallLog(a.db).cached_response(key) is None  # that reply is never served again
    # what each run cost: this one paid for the re-ask only; the older run's total stands
    assert (result["tokens"]["calls"], result["tokens"]["cached"]) == (1, 1)
    assert result["tokens"]["prompt_tokens"] == rows[-1]["prompt_tokens"] > 0
    older_run = CallLog(a.db).totals("run-older")
    assert (older_run["calls"], older_run["prompt_tokens"], older_run["cost"]) == (1, 900, 0.02)


def half_emoji(request_json):
    """A valid draft whose rationale starts with half an emoji: a lone surrogate, sent as the
    JSON escape \\ud83d. It parses, but no draft holding it can be stored."""
    draft = json.loads(answer_any(request_json).content)
    draft["rationale"] = "\ud83d " + draft["rationale"]
    return reply(json.dumps(draft))


NOT_UNICODE = "the reply holds text that is not valid Unicode (a lone surrogate, \\ud83d)"


def test_a_reply_whose_draft_could_not_be_stored_is_asked_again_on_the_re_run(
    tmp_path, llm, capsys
):
    """A reply that parsed but held a lone surrogate stopped the whole run at storing its draft
    ("unexpected UnicodeEncodeError"), its row stayed ok, and every re-run was served the same
    reply from the cache and stopped the same way, sending nothing. It is invalid output now:
    re-asked once, the draft fails saying why, both rows are rejected, and once the model
    answers well the re-run sends the request again and drafts it."""
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "westerleigh.pdf", PAGES)
    args = ["score", str(folder), "--period", "2020-21", "--engine", "llm", "--questions", "A1"]
    llm.handler = half_emoji
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and "unexpected" not in err, err
    [failure] = [line for line in out.splitlines() if "FAILED draft" in line]
    assert f"invalid output after 2 attempts: {NOT_UNICODE}" in failure, out
    assert "re-run the same command to retry failed items" in out
    assert [(r["status"], r["error"]) for r in calls()] == [("rejected", NOT_UNICODE)] * 2
    sent = len(llm.chat_requests())

    llm.handler = answer_any
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "FAILED" not in out, out
    assert len(llm.chat_requests()) == sent + 1  # asked again, not served from the cache
    assert [r["status"] for r in calls()[2:]] == ["ok"]


def test_a_reply_whose_draft_could_not_be_stored_is_re_asked_in_the_same_run(tmp_path, llm, capsys):
    """The re-ask: the first reply (a lone surrogate) is rejected with the reason the model is
    told; the second is used, and its row stays ok."""
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "westerleigh.pdf", PAGES)
    replies = iter([half_emoji])
    llm.handler = lambda request_json: next(replies, answer_any)(request_json)
    args = ["score", str(folder), "--period", "2020-21", "--engine", "llm", "--questions", "A1"]
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    assert (json.loads(out)["drafted"], json.loads(out)["failed"]) == (1, 0)
    first, second = llm.chat_requests()
    assert NOT_UNICODE in second.json["messages"][-1]["content"]
    assert [(r["status"], r["error"]) for r in calls()] == [("rejected", NOT_UNICODE), ("ok", None)]


# --- item 13: configuration mistakes are one clear line, exit 2 --------------------------


def test_unknown_config_key_is_refused_with_the_nearest_name(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[llm]\nmodle = "gpt-4o"\n', encoding="utf-8")
    monkeypatch.setenv("REVIEW_ASSISTANT_CONFIG", str(config))
    code, _, err = run_cli(capsys, "settings", "show")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "llm.modle is not a setting (did you mean llm.model?)" in err
    config.write_text('[retrieval]\ntopk = 3\n[lm]\nmodel = "x"\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "settings", "show")
    assert code == 2 and "retrieval.topk is not a setting (did you mean retrieval.top_k?)" in err
    assert "lm is not a setting (did you mean llm?)" in err
    monkeypatch.delenv("REVIEW_ASSISTANT_CONFIG")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__TIMEOTU", "5")  # a typo in an env name too
    code, _, err = run_cli(capsys, "settings", "show")
    assert code == 2 and "llm.timeotu is not a setting (did you mean llm.timeout?)" in err


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("[llm]\nmax_retries = -1", "llm.max_retries: Input should be greater than or equal to 0"),
        ("[llm]\ntimeout = 0", "llm.timeout: Input should be greater than 0"),
        ("[llm]\nconcurrency = -4", "llm.concurrency: Input should be greater than or equal to 1"),
        ("[retrieval]\ncandidates = 0", "retrieval.candidates: Input should be greater than or"),
    ],
)
def test_impossible_numbers_are_refused_naming_the_setting(
    line, says, tmp_path, monkeypatch, capsys
):
    """A retry count below 0 or a timeout of 0 once passed and failed every draft with a
    misleading endpoint message; they are configuration errors (exit 2, the setting named)."""
    config = tmp_path / "config.toml"
    config.write_text(line + "\n", encoding="utf-8")
    monkeypatch.setenv("REVIEW_ASSISTANT_CONFIG", str(config))
    code, _, err = run_cli(capsys, "reports")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert says in err and str(config) in err


@pytest.mark.parametrize(
    "args", [("search", "x", "neglect", "-k", "-5"), ("eval", "run", "--reports", "0")]
)
def test_counts_on_the_command_line_below_one_are_refused(args, capsys):
    with pytest.raises(SystemExit) as refused:  # argparse's usage error
        cli_main(list(args))
    assert refused.value.code == 2 and "give 1 or more" in capsys.readouterr().err


def test_config_path_that_is_a_directory_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REVIEW_ASSISTANT_CONFIG", str(tmp_path))
    code, out, err = run_cli(capsys, "reports")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"error: config file {tmp_path} is a directory: point REVIEW_ASSISTANT_CONFIG at a "
        "TOML file (e.g. <dir>/config.toml)"
    ]


def test_unknown_embedder_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    pdf = text_pdf(tmp_path / "westerleigh.pdf", PAGES)
    monkeypatch.setenv("REVIEW_ASSISTANT_EMBEDDING__NAME", "minlm")
    code, _, err = run_cli(capsys, "ingest", str(pdf))
    assert code == 2
    [line] = [x for x in err.splitlines() if "error" in x.lower()]
    assert line.startswith("error: unknown embedding.name 'minlm': did you mean 'minilm'?")
    assert "unexpected" not in line


def test_serve_prints_its_url_only_once_it_is_serving(tmp_path):
    home = tmp_path / "ui-home"
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEW_ASSISTANT_")}
    env.update(
        REVIEW_ASSISTANT_HOME=str(home),
        REVIEW_ASSISTANT_EMBEDDING__NAME="hash",
        REVIEW_ASSISTANT_ENGINE="offline",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "reviewer UI:" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "serve exited before printing its URL"
        assert f"reviewer UI: http://127.0.0.1:{port}/" in line
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass  # serving at the moment the URL is printed
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- item 14: credentials in llm.base_url ----------------------------------------------


def test_credentials_in_base_url_are_masked_and_never_logged(report, llm, monkeypatch, capsys):
    url_with_secret = llm.url.replace("http://", f"http://svcuser9:{SECRET}@")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", url_with_secret)
    code, out, _ = run_cli(capsys, "settings", "show")
    assert code == 0 and SECRET not in out
    assert f"llm.base_url = {llm.url.replace('http://', 'http://****@')}" in out
    llm.handler = cite_block_with(GOOD_QUOTE)
    code, out, err = run_cli(capsys, "draft", "westerleigh", "--engine", "llm", "--questions", "A6")
    assert code == 0 and SECRET not in out + err
    dead = f"http://svcuser9:{SECRET}@127.0.0.1:{closed_port()}/v1"
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", dead)
    code, out, err = run_cli(capsys, "draft", "westerleigh", "--engine", "llm", "--force")
    assert code == 1 and "cannot reach http://127.0.0.1:" in out
    assert SECRET not in out + err and "svcuser9" not in out + err
    a = fresh_assistant()
    rows = calls(a)
    assert {r["status"] for r in rows} == {"ok", "error"}
    with a.db.connect() as conn:
        dump = "\n".join(conn.iterdump())
    assert SECRET not in dump and "svcuser9" not in dump  # not in the log, drafts or errors
    assert {r["base_url"] for r in rows} == {llm.url, dead.replace(f"svcuser9:{SECRET}@", "")}
