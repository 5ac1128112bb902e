"""A deterministic scripted OpenAI-compatible endpoint, for `review-assistant bench --drafting`.

A real HTTP server on 127.0.0.1 (so the benchmark measures the LLM engine's real path: the
`openai` client, retries, the call log, concurrency) that answers every chat completion with
a valid draft after a fixed latency: the first allowed answer value, quoting the first words
of the first evidence block. No model, no randomness. The tests' scripted server
(tests/doubles/scripted_llm_server.py) scripts failures too; this one only answers, or, with
`rate_limit=R`, answers at most R requests in any one second and a 429 with Retry-After (the
moment a slot frees) beyond that, like a hosted endpoint's rate limit.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_EVIDENCE = re.compile(r'<evidence id="([EP]\d+)"[^>]*>\n(.*?)\n</evidence>', re.DOTALL)


def scripted_draft(request_json: dict[str, Any]) -> dict[str, Any]:
    """A valid draft for whatever question arrives: first allowed value, first block quoted.
    A theme request (one call for several questions) gets one such draft per question."""
    fmt = request_json.get("response_format", {})
    schema = fmt.get("json_schema", {}).get("schema", {})
    user = request_json["messages"][1]["content"]
    answers = schema.get("properties", {}).get("answers", {}).get("properties")
    if answers:
        return {"answers": {qid: _draft_for(sub, user) for qid, sub in answers.items()}}
    return _draft_for(schema, user)


def _draft_for(schema: dict[str, Any], user: str) -> dict[str, Any]:
    answer_schema = schema.get("properties", {}).get("answer", {}).get("anyOf", [{}])[0]
    if "enum" in answer_schema:
        answer: Any = answer_schema["enum"][0]
    elif answer_schema.get("type") == "array":
        answer = answer_schema["items"]["enum"][:1]
    elif answer_schema.get("type") == "integer":
        answer = 2
    else:
        answer = "text"
    match = _EVIDENCE.search(user)
    citations = []
    if match:
        citations = [{"block_id": match.group(1), "quote": " ".join(match.group(2).split()[:6])}]
    return {
        "status": "answered",
        "answer": answer,
        "rationale": "scripted",
        "confidence": 0.7,
        "citations": citations,
    }


class ScriptedEndpoint:
    """`with ScriptedEndpoint(latency=0.05) as endpoint:` serves on `endpoint.url`."""

    def __init__(self, latency: float = 0.0, rate_limit: float | None = None) -> None:
        self.latency = latency
        self.rate_limit = rate_limit  # requests a second (sliding one-second window)
        self.rate_limited = 0  # 429s answered
        self._accepted: deque[float] = deque()  # when the last `rate_limit` requests came
        self.first_accepted: float | None = None
        self.last_accepted: float | None = None
        self.calls = 0
        self.max_concurrency = 0
        self._active = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the endpoint first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"  # the address it is bound to (loopback)

    def __enter__(self) -> ScriptedEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                wait = endpoint.admit()
                if wait is not None:
                    message = f"rate limit: {endpoint.rate_limit:g} requests a second"
                    self._send(
                        429,
                        {"error": {"message": message, "type": "rate_limit_exceeded"}},
                        {
                            "Retry-After": str(math.ceil(wait)),
                            "retry-after-ms": str(math.ceil(wait * 1000)),
                        },
                    )
                    return
                self._send(200, endpoint.complete(json.loads(body or b"{}")))

            def _send(self, code: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            # socketserver's listen backlog is 5: at concurrency 16 the kernel drops the
            # surplus connection attempts and the client retries them a second later, so
            # the benchmark measured the server's backlog, not the client (issue 15)
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def admit(self) -> float | None:
        """None if this request is within the rate limit (it is counted), else the seconds
        until a slot frees (the 429's Retry-After)."""
        if not self.rate_limit:
            return None
        now = time.monotonic()
        with self._lock:
            while self._accepted and now - self._accepted[0] >= 1.0:
                self._accepted.popleft()
            if len(self._accepted) >= self.rate_limit:
                self.rate_limited += 1
                return max(self._accepted[0] + 1.0 - now, 0.001)
            self._accepted.append(now)
            if self.first_accepted is None:
                self.first_accepted = now
            self.last_accepted = now
        return None

    def complete(self, request_json: dict[str, Any]) -> dict[str, Any]:
        """One chat completion (after the latency), counting concurrent calls."""
        with self._lock:
            self.calls += 1
            self._active += 1
            self.max_concurrency = max(self.max_concurrency, self._active)
        try:
            time.sleep(self.latency)
            content = json.dumps(scripted_draft(request_json))
            messages = request_json.get("messages") or []
            prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4
        finally:
            with self._lock:
                self._active -= 1
        return {
            "id": f"chatcmpl-scripted-{self.calls}",
            "object": "chat.completion",
            "created": 0,
            "model": request_json.get("model", "scripted-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": len(content) // 4,
                "total_tokens": prompt + len(content) // 4,
            },
        }
