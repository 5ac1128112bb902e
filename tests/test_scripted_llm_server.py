"""Tests for the scripted OpenAI-compatible server, driven by the real openai client over HTTP."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from tests.doubles import scripted_llm_server
from tests.doubles.scripted_llm_server import (
    BLOCKED_CONNECTIONS,
    OutboundNetworkBlockedError,
    ScriptedLLMServer,
    block_outbound_network,
    delay,
    disconnect,
    malformed,
    raw,
    reply,
    status,
)

# The fixture under test (conftest.py may import it too; same object).
scripted_llm = scripted_llm_server.scripted_llm

USER = [{"role": "user", "content": "Summarise the findings of the yearly report."}]


def client_for(server: ScriptedLLMServer, **kwargs: object) -> openai.OpenAI:
    options: dict = {"max_retries": 0, "timeout": 2} | kwargs
    return openai.OpenAI(base_url=server.url, api_key="test", **options)


def chat(client: openai.OpenAI, messages: list | None = None, **kwargs: object):
    return client.chat.completions.create(model="m-echo", messages=messages or USER, **kwargs)


def test_reply_dict_is_json_content_with_usage_model_and_finish(scripted_llm):
    scripted_llm.enqueue(reply({"answer": "Three findings", "citations": ["E2"]}))
    messages = [{"role": "system", "content": "Answer from context."}] + USER
    result = chat(client_for(scripted_llm), messages)
    assert json.loads(result.choices[0].message.content) == {
        "answer": "Three findings",
        "citations": ["E2"],
    }
    assert result.model == "m-echo"
    assert result.id.startswith("chatcmpl-") and result.created > 0
    assert result.choices[0].finish_reason == "stop"
    prompt_len = len("Answer from context.") + len(USER[0]["content"])
    assert result.usage.prompt_tokens == prompt_len // 4
    assert result.usage.completion_tokens == len(result.choices[0].message.content) // 4
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


def test_requests_are_recorded_with_headers_and_body(scripted_llm):
    scripted_llm.enqueue("first", "second")
    client = client_for(scripted_llm)
    chat(client)
    chat(client, [{"role": "user", "content": "Second question"}], temperature=0)
    chats = scripted_llm.chat_requests()
    assert [r.method for r in chats] == ["POST", "POST"]
    assert chats[0].headers["authorization"] == "Bearer test"
    assert chats[1].json["temperature"] == 0
    assert scripted_llm.last_messages() == [{"role": "user", "content": "Second question"}]
    assert scripted_llm.pending_steps == 0


def test_rate_limit_raises_without_retries(scripted_llm):
    scripted_llm.enqueue(status(429, headers={"retry-after": "0"}))
    with pytest.raises(openai.RateLimitError):
        chat(client_for(scripted_llm))


def test_rate_limit_then_reply_succeeds_quickly_with_one_retry(scripted_llm):
    scripted_llm.enqueue(status(429), reply("after retry"))  # default retry-after-ms: 10
    started = time.monotonic()
    result = chat(client_for(scripted_llm, max_retries=1))
    assert result.choices[0].message.content == "after retry"
    assert time.monotonic() - started < 0.4  # without retry-after-ms the backoff is >= 0.375 s
    retries = [r.headers["x-stainless-retry-count"] for r in scripted_llm.chat_requests()]
    assert retries == ["0", "1"]


def test_server_errors_map_to_openai_exceptions(scripted_llm):
    scripted_llm.enqueue(status(500), status(503, {"error": {"message": "overloaded"}}))
    client = client_for(scripted_llm)
    with pytest.raises(openai.InternalServerError):
        chat(client)
    with pytest.raises(openai.InternalServerError, match="overloaded") as info:
        chat(client)
    assert info.value.status_code == 503


def test_delay_beyond_timeout_raises_timeout(scripted_llm):
    scripted_llm.enqueue(delay(1.5, then=reply("too late")), reply("on time"))
    client = client_for(scripted_llm, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(client)
    assert time.monotonic() - started < 1.0
    assert chat(client).choices[0].message.content == "on time"


def test_malformed_content_is_returned_verbatim(scripted_llm):
    scripted_llm.enqueue(malformed('{"answer": "cut off'))
    assert chat(client_for(scripted_llm)).choices[0].message.content == '{"answer": "cut off'


def test_raw_body_and_disconnect_break_the_client(scripted_llm):
    scripted_llm.enqueue(raw(b'{"id": "chatcmpl-1", "choi'), disconnect(), reply("still alive"))
    client = client_for(scripted_llm)
    with pytest.raises(json.JSONDecodeError):
        chat(client)
    with pytest.raises(openai.APIConnectionError):
        chat(client)
    assert chat(client).choices[0].message.content == "still alive"


def test_streaming_yields_content_and_usage(scripted_llm):
    text = '{"answer": "streamed in several pieces of eight characters"}'
    scripted_llm.enqueue(reply(text, finish_reason="length"))
    chunks = list(
        chat(client_for(scripted_llm), stream=True, stream_options={"include_usage": True})
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == text
    assert len(chunks) > 5
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage.completion_tokens == len(text) // 4


def test_default_handler_computes_reply_from_prompt(scripted_llm):
    def cite_first_evidence(request: dict) -> dict:
        ids = re.findall(r"\[(E\d+)\]", request["messages"][-1]["content"])
        return {"answer": "cited", "citations": ids[:1]}

    scripted_llm.handler = cite_first_evidence
    scripted_llm.enqueue(reply("scripted first"))
    client = client_for(scripted_llm)
    prompt = [{"role": "user", "content": "Evidence:\n[E7] audit\n[E9] budget\nQuestion?"}]
    assert chat(client, prompt).choices[0].message.content == "scripted first"
    assert json.loads(chat(client, prompt).choices[0].message.content)["citations"] == ["E7"]


def test_handler_can_delay_one_request_without_looping(scripted_llm):
    # A handler that returns delay() without `then` must not be asked again forever.
    scripted_llm.handler = lambda r: delay(0.05) if "slow" in r["messages"][0]["content"] else "x"
    client = client_for(scripted_llm)
    slow = chat(client, [{"role": "user", "content": "slow one"}])
    assert slow.choices[0].message.content == ""
    assert chat(client).choices[0].message.content == "x"


def test_chunked_request_body_is_read(scripted_llm):
    scripted_llm.enqueue(reply("chunked ok"))
    body = json.dumps({"model": "m", "messages": USER}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", scripted_llm.port, timeout=2)
    conn.request(
        "POST",
        "/v1/chat/completions",
        body=iter([body[:10], body[10:]]),
        headers={"content-type": "application/json", "transfer-encoding": "chunked"},
        encode_chunked=True,
    )
    answer = json.loads(conn.getresponse().read())
    conn.close()
    assert answer["choices"][0]["message"]["content"] == "chunked ok"
    assert scripted_llm.last_messages() == USER


def test_unscripted_request_and_handler_errors_are_loud(scripted_llm):
    client = client_for(scripted_llm, max_retries=2)
    with pytest.raises(openai.InternalServerError, match="no step scripted"):
        chat(client)
    assert scripted_llm.unscripted_count == 1
    assert len(scripted_llm.chat_requests()) == 1  # x-should-retry: false stops client retries
    scripted_llm.handler = lambda request: request["missing"]
    with pytest.raises(openai.InternalServerError, match="KeyError"):
        chat(client)
    assert "KeyError" in scripted_llm.handler_errors[0]


def test_embeddings_base64_default_and_float_agree(scripted_llm):
    client = client_for(scripted_llm)
    default = client.embeddings.create(model="emb", input=["alpha", "beta"])
    assert scripted_llm.requests[-1].json["encoding_format"] == "base64"
    assert [len(d.embedding) for d in default.data] == [16, 16]
    assert default.data[0].embedding == scripted_llm.embed("alpha")
    assert default.data[0].embedding != default.data[1].embedding
    floats = client.embeddings.create(model="emb", input="alpha", encoding_format="float")
    assert floats.data[0].embedding == default.data[0].embedding
    sized = client.embeddings.create(model="emb", input="alpha", dimensions=5)
    assert len(sized.data[0].embedding) == 5
    assert abs(sum(v * v for v in sized.data[0].embedding) - 1.0) < 1e-5


def test_models_list(scripted_llm):
    assert [m.id for m in client_for(scripted_llm).models.list()] == ["scripted-model"]


def _batch_line(custom_id: str, content: str) -> dict:
    body = {"model": "batch-model", "messages": [{"role": "user", "content": content}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def _upload(client: openai.OpenAI, lines: list) -> str:
    data = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()
    return client.files.create(file=("requests.jsonl", io.BytesIO(data)), purpose="batch").id


def test_batch_flow_end_to_end(scripted_llm):
    scripted_llm.batch_polls_before_complete = 1
    scripted_llm.handler = lambda request: {"echo": request["messages"][0]["content"]}
    scripted_llm.enqueue(reply("first"), status(500))
    client = client_for(scripted_llm)
    lines = [_batch_line(f"req-{i}", f"question {i}") for i in range(4)]
    file_id = _upload(client, lines)
    uploaded = client.files.retrieve(file_id)
    assert uploaded.purpose == "batch" and uploaded.filename == "requests.jsonl"
    assert client.files.content(file_id).content.decode().splitlines()[0] == json.dumps(lines[0])

    batch = client.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.status == "validating"
    assert client.batches.retrieve(batch.id).status == "in_progress"
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert (done.request_counts.total, done.request_counts.completed) == (4, 3)
    assert done.request_counts.failed == 1

    out = [json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()]
    assert [o["custom_id"] for o in out] == ["req-0", "req-2", "req-3"]
    assert all(o["response"]["status_code"] == 200 and o["error"] is None for o in out)
    bodies = [o["response"]["body"] for o in out]
    assert bodies[0]["choices"][0]["message"]["content"] == "first"
    assert json.loads(bodies[2]["choices"][0]["message"]["content"]) == {"echo": "question 3"}
    assert bodies[1]["model"] == "batch-model" and bodies[1]["object"] == "chat.completion"
    (failed,) = client.files.content(done.error_file_id).text.splitlines()
    assert json.loads(failed)["custom_id"] == "req-1"
    assert json.loads(failed)["response"]["status_code"] == 500

    batch_lines = [r for r in scripted_llm.chat_requests() if r.method == "BATCH"]
    assert [r.headers["x-custom-id"] for r in batch_lines] == ["req-0", "req-1", "req-2", "req-3"]
    paths = [(r.method, r.path) for r in scripted_llm.requests if r.method != "BATCH"]
    assert ("POST", "/v1/files") in paths and ("POST", "/v1/batches") in paths


def test_batch_raw_step_writes_broken_output_line(scripted_llm):
    scripted_llm.enqueue(raw('{"custom_id": "a", "resp'), reply("ok"))
    client = client_for(scripted_llm)
    file_id = _upload(client, [_batch_line("a", "x"), _batch_line("b", "y")])
    batch = client.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = client.batches.retrieve(batch.id)
    lines = client.files.content(done.output_file_id).text.splitlines()
    assert lines[0] == '{"custom_id": "a", "resp'
    assert json.loads(lines[1])["custom_id"] == "b"


def test_batch_with_invalid_lines_fails_validation(scripted_llm):
    client = client_for(scripted_llm)
    file_id = _upload(client, [_batch_line("a", "x"), "not json", _batch_line("a", "dup")])
    batch = client.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed" and failed.output_file_id is None
    assert [(e.code, e.line) for e in failed.errors.data] == [
        ("invalid_json_line", 2),
        ("duplicate_custom_id", 3),
    ]
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )


def test_batch_cancel(scripted_llm):
    client = client_for(scripted_llm)
    file_id = _upload(client, [_batch_line("a", "x")])
    batch = client.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert client.batches.cancel(batch.id).status == "cancelling"
    assert client.batches.retrieve(batch.id).status == "cancelled"
    assert scripted_llm.chat_requests() == []  # nothing was processed


def test_concurrency_counter_and_latency(scripted_llm):
    scripted_llm.latency = 0.3
    scripted_llm.handler = lambda request: "ok"
    client = client_for(scripted_llm)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: chat(client), range(8)))
    elapsed = time.monotonic() - started
    assert [r.choices[0].message.content for r in results] == ["ok"] * 8
    assert scripted_llm.max_concurrency == 4
    assert 0.6 <= elapsed < 8 * 0.3  # two waves of four, not eight in a row
    assert scripted_llm.in_flight == 0


def test_stop_closes_port_and_wakes_delayed_requests():
    server = ScriptedLLMServer().start()
    port = server.port
    server.enqueue(delay(30, then=reply("never")))
    client = openai.OpenAI(base_url=server.url, api_key="t", max_retries=0, timeout=10)
    errors: list[Exception] = []
    worker = threading.Thread(target=lambda: errors.extend(_call_expecting_error(client)))
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 2
    assert isinstance(errors[0], openai.APIConnectionError)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _call_expecting_error(client: openai.OpenAI) -> list[Exception]:
    try:
        chat(client)
    except Exception as exc:  # the assertion in the caller checks the type
        return [exc]
    return []


def test_context_manager_serves_and_stops():
    with ScriptedLLMServer(handler=lambda request: "from context") as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/v1")
        assert chat(client_for(server)).choices[0].message.content == "from context"
    with pytest.raises(RuntimeError):
        _ = server.url


def test_block_outbound_network_refuses_before_connecting(monkeypatch):
    # Fakes stand in for the real connect calls, so even a broken guard sends no packet.
    calls: list = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: calls.append(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: calls.append(address))
    restore = block_outbound_network()
    try:
        for address in [("192.0.2.10", 443), ("10.0.0.1", 80), ("example.com", 443)]:
            with pytest.raises(OutboundNetworkBlockedError):
                socket.create_connection(address)
            with socket.socket() as sock, pytest.raises(OutboundNetworkBlockedError):
                sock.connect(address)
        with socket.socket(socket.AF_INET6) as sock, pytest.raises(OutboundNetworkBlockedError):
            sock.connect(("2001:db8::1", 443, 0, 0))
        assert calls == []
        assert ("example.com", 443) in BLOCKED_CONNECTIONS
        socket.create_connection(("localhost", 1))
        with socket.socket() as sock:
            sock.connect(("127.0.0.5", 1))
        with socket.socket(socket.AF_INET6) as sock:
            sock.connect(("::1", 1, 0, 0))
            sock.connect(("::ffff:127.0.0.1", 1, 0, 0))
        assert calls == [("localhost", 1), ("127.0.0.5", 1), ("::1", 1, 0, 0)] + [
            ("::ffff:127.0.0.1", 1, 0, 0)
        ]
    finally:
        restore()
    socket.create_connection(("192.0.2.10", 443))  # the fake again: the guard is gone
    assert calls[-1] == ("192.0.2.10", 443)


def test_block_outbound_network_keeps_loopback_server_usable(scripted_llm):
    original_connect = socket.socket.connect
    own_attribute = socket.socket.__dict__.get("connect")  # set when conftest's guard is on
    restore = block_outbound_network()
    try:
        assert socket.socket.connect is not original_connect
        scripted_llm.enqueue(reply("through loopback"))
        assert chat(client_for(scripted_llm)).choices[0].message.content == "through loopback"
    finally:
        restore()
    assert socket.socket.connect is original_connect
    assert socket.socket.__dict__.get("connect") is own_attribute
