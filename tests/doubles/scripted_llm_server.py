"""A scripted OpenAI-compatible HTTP server for tests (standard library only).

The server listens on 127.0.0.1 on an ephemeral port and speaks enough of the OpenAI REST API for
the real ``openai`` client to talk to it over real HTTP: chat completions (JSON and SSE), models,
embeddings (float or base64) and the Batch API subset (files + batches).

Each chat request takes the next *step* from a queue (``reply``, ``status``, ``delay``,
``malformed``, ``raw``, ``disconnect``, ``drip``); when the queue is empty a default handler
(``request_json -> step``) decides; it may also return a plain str/dict as a reply. Steps are
taken in *arrival* order, so with concurrent requests use the handler (which sees the prompt) to
target one request. Batch lines (``GET /v1/batches/{id}`` processes them) use the same queue and
handler. Every request is recorded (batch lines with method ``"BATCH"``).

Retryable error statuses get ``retry-after-ms: 10`` unless headers are given, so client retries
cost ~10 ms instead of the openai client's 0.5 s+ backoff. A request that finds no step and no
handler gets a 500 with ``x-should-retry: false`` (and ``unscripted_count`` goes up).

Usage in a test::

    def test_x(scripted_llm):
        scripted_llm.enqueue(reply({"answer": "yes"}), status(429))
        client = openai.OpenAI(base_url=scripted_llm.url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import socket
import struct
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from assistant.providers.scripted import scripted_draft

__all__ = [
    "Delay",
    "Disconnect",
    "Drip",
    "Malformed",
    "OutboundNetworkBlockedError",
    "Raw",
    "RecordedRequest",
    "Reply",
    "ScriptedLLMServer",
    "Status",
    "block_outbound_network",
    "delay",
    "disconnect",
    "drip",
    "malformed",
    "raw",
    "reply",
    "scripted_llm",
    "status",
    "valid_draft_handler",
]


# --------------------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class Reply:
    """Answer with a chat completion whose message content is ``content``."""

    content: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Status:
    """Answer with HTTP ``code``, a JSON (or text/bytes) ``body`` and extra ``headers``."""

    code: int
    body: Any = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Delay:
    """Sleep ``seconds`` before answering with ``then`` (None: the default handler's answer)."""

    seconds: float
    then: Step | None = None


@dataclass(frozen=True)
class Malformed:
    """A normal completion whose content is ``text`` verbatim (meant to be invalid JSON)."""

    text: str


@dataclass(frozen=True)
class Raw:
    """Send ``body`` as the HTTP body verbatim (e.g. truncated JSON)."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without sending any response."""


@dataclass(frozen=True)
class Drip:
    """Answer with ``then`` (None: the default handler's answer) one ``chunk`` of bytes every
    ``interval`` seconds: the body only, or the status line and headers too (``headers``).
    Each read then succeeds well inside a per-read timeout, however long the whole takes."""

    then: Step | None = None
    interval: float = 1.0
    chunk: int = 1
    headers: bool = False


Step = Reply | Status | Delay | Malformed | Raw | Disconnect | Drip
Handler = Callable[[dict[str, Any]], Any]


def reply(content: str | dict | list, finish_reason: str = "stop") -> Reply:
    """Step: a completion with ``content`` (dicts and lists are sent as ``json.dumps``)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Reply(text, finish_reason)


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Status:
    """Step: an HTTP error. Retryable codes get ``retry-after-ms: 10`` unless headers are given."""
    return Status(code, body, headers)


def delay(seconds: float, then: Step | None = None) -> Delay:
    """Step: sleep ``seconds`` (to trigger client timeouts), then answer with ``then``."""
    return Delay(seconds, then)


def malformed(text: str) -> Malformed:
    """Step: a well-formed completion whose message content is ``text`` (not valid JSON)."""
    return Malformed(text)


def raw(body: bytes | str, status: int = 200, content_type: str = "application/json") -> Raw:
    """Step: a broken HTTP body, sent verbatim (in a batch: written verbatim as the output line)."""
    return Raw(body.encode() if isinstance(body, str) else body, status, content_type)


def disconnect() -> Disconnect:
    """Step: drop the connection without answering (the client sees a connection error)."""
    return Disconnect()


def drip(
    then: Step | None = None, *, interval: float = 1.0, chunk: int = 1, headers: bool = False
) -> Drip:
    """Step: send ``then``'s answer ``chunk`` bytes every ``interval`` seconds (a slow-loris
    server); with ``headers`` the status line and headers drip too."""
    return Drip(then, interval, chunk, headers)


def _as_step(value: Any) -> Step:
    # Handlers may return a plain string or dict as a shorthand for reply(...).
    if isinstance(value, Reply | Status | Delay | Malformed | Raw | Disconnect | Drip):
        return value
    return reply(value)


# ------------------------------------------------------------------------------------ helpers
@dataclass
class RecordedRequest:
    """One request as the server saw it (batch lines are recorded with method ``"BATCH"``)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    body: bytes = b""
    received_at: float = field(default_factory=time.time)


def _message_text(messages: Any) -> str:
    """Concatenate the text of chat messages (string content or text parts)."""
    parts: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return "".join(parts)


def _cached_prefix_tokens(text: str, earlier: list[str]) -> int:
    """Tokens of the longest prefix `text` shares with an earlier prompt, as a prompt cache
    serves them (nothing under 1,024 tokens; multiples of 128)."""
    best = 0
    for other in earlier:
        n = min(len(text), len(other))
        i = next((k for k in range(n) if text[k] != other[k]), n)
        best = max(best, i)
    tokens = best // 4
    return 0 if tokens < 1024 else tokens - tokens % 128


def _error_body(code: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}
    kind = kinds.get(code, "rate_limit_error" if code == 429 else "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Split a multipart/form-data body into ``{name: (filename, data)}`` byte-exactly."""
    boundary = ""
    for item in content_type.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not boundary:
        return fields
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        name = filename = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                for param in line.split(";")[1:]:
                    key, _, value = param.strip().partition("=")
                    if key == "name":
                        name = value.strip('"')
                    elif key == "filename":
                        filename = value.strip('"')
        if name is not None:
            fields[name] = (filename, data)
    return fields


# ------------------------------------------------------------------------------------- server
class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler sleeping in delay() must not block stop()
    app: ScriptedLLMServer

    def process_request(self, request: Any, client_address: Any) -> None:
        # Remember open connections so stop() can close idle keep-alive sockets too.
        with self.app._lock:
            self.app._connections.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or hung up resets its keep-alive socket: not a server bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.app._lock:
            self.app._connections.discard(request)
        super().shutdown_request(request)


class ScriptedLLMServer:
    """A scripted OpenAI-compatible server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        latency: float = 0.0,
        models: list[str] | None = None,
        embedding_dim: int = 16,
        batch_polls_before_complete: int = 0,
        batch_api: bool = True,
    ) -> None:
        """Create a stopped server. ``handler`` answers when the script queue is empty; without
        ``batch_api`` the files and batches routes answer 404, as most local servers do."""
        self.handler = handler
        self.latency = latency  # seconds slept on every chat/embeddings request
        self.models = models or ["scripted-model"]
        self.embedding_dim = embedding_dim
        # Batch polls answered "in_progress" before the batch is processed on the next poll.
        self.batch_polls_before_complete = batch_polls_before_complete
        self.batch_api = batch_api
        # Prompt caching as OpenAI applies it: usage.prompt_tokens_details.cached_tokens is the
        # longest prefix (4 characters a token) shared with an earlier request, counted from
        # 1,024 tokens in steps of 128. Off by default (usage then has no details).
        self.prompt_caching = False
        self._prompts_seen: list[str] = []
        self.in_flight = 0
        self.max_concurrency = 0
        self.unscripted_count = 0
        self.handler_errors: list[str] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self._script: deque[Step] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._batch_lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[Any] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> ScriptedLLMServer:
        """Bind an ephemeral port on 127.0.0.1 and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed handlers and close every open connection."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL for ``openai.OpenAI(base_url=...)``: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script
    def enqueue(self, *steps: Step | str | dict) -> ScriptedLLMServer:
        """Append steps; each is used by the next chat request (or batch line) in order."""
        with self._lock:
            self._script.extend(_as_step(s) for s in steps)
        return self

    script = enqueue

    @property
    def pending_steps(self) -> int:
        """Steps not consumed yet."""
        with self._lock:
            return len(self._script)

    def reset(self) -> None:
        """Forget the script, recorded requests and counters (files and batches are kept)."""
        with self._lock:
            self._script.clear()
            self._requests.clear()
            self.max_concurrency = self.unscripted_count = 0
            self.handler_errors.clear()

    def _default_step(self, request_json: dict[str, Any]) -> Step:
        if self.handler is None:
            with self._lock:
                self.unscripted_count += 1
            return Status(
                500,
                _error_body(500, "scripted_llm: no step scripted and no default handler"),
                {"x-should-retry": "false"},
            )
        try:
            return _as_step(self.handler(request_json))
        except Exception as exc:  # surface handler bugs in the test, not a silent thread death
            message = f"scripted_llm handler raised {type(exc).__name__}: {exc}"
            with self._lock:
                self.handler_errors.append(message)
            return Status(500, _error_body(500, message), {"x-should-retry": "false"})

    def _resolve(self, request_json: dict[str, Any], sleep: bool) -> Step:
        """The next step (queue first, then the handler) with delays unwrapped.

        Delays are slept through when ``sleep``. A delay without ``then`` answers as the handler
        would; if the handler itself returned it, the answer is an empty reply (asking the
        handler again would only delay again).
        """
        with self._lock:
            step = self._script.popleft() if self._script else None
        from_handler = step is None
        if step is None:
            step = self._default_step(request_json)
        while isinstance(step, Delay):
            if sleep and self._stopping.wait(step.seconds):
                return Disconnect()
            if step.then is not None:
                step = step.then
            elif from_handler:
                step = Reply("")
            else:
                step, from_handler = self._default_step(request_json), True
        if isinstance(step, Drip):
            then = step.then
            if then is None:
                then = Reply("") if from_handler else self._default_step(request_json)
            if not sleep or isinstance(then, Delay | Drip | Disconnect):
                return then  # a batch line has no timing; nested timing steps are not dripped
            step = Drip(then, step.interval, step.chunk, step.headers)
        return step

    # -- records
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded chat completion requests, including batch lines (method ``"BATCH"``)."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def last_messages(self) -> list[dict[str, Any]]:
        """The ``messages`` of the most recent chat request."""
        chats = self.chat_requests()
        if not chats:
            raise LookupError("no chat request recorded")
        return chats[-1].json["messages"]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_concurrency = max(self.max_concurrency, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    # -- payloads
    def completion(self, request_json: dict[str, Any], content: str, finish: str = "stop") -> dict:
        """The ``chat.completion`` object answering ``request_json`` with ``content``."""
        text = _message_text(request_json.get("messages"))
        prompt = len(text) // 4
        completion = len(content) // 4
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if self.prompt_caching:
            with self._lock:
                cached = _cached_prefix_tokens(text, self._prompts_seen)
                self._prompts_seen.append(text)
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        return {
            "id": _new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request_json.get("model", self.models[0]),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": usage,
        }

    def embed(self, text: str, dim: int | None = None) -> list[float]:
        """The deterministic unit vector served for ``text`` (float32-exact values)."""
        dim = dim or self.embedding_dim
        ints = struct.unpack(f"<{dim}I", hashlib.shake_256(text.encode()).digest(4 * dim))
        vec = [i / 2**31 - 1.0 for i in ints]
        norm = sum(v * v for v in vec) ** 0.5 or 1.0
        # Round-trip through float32 so float and base64 answers are identical.
        return list(struct.unpack(f"<{dim}f", struct.pack(f"<{dim}f", *(v / norm for v in vec))))

    def embeddings(self, request_json: dict[str, Any]) -> dict[str, Any]:
        """The embeddings response for ``request_json`` (honours dimensions, encoding_format)."""
        raw_input = request_json.get("input", "")
        if isinstance(raw_input, str) or (raw_input and isinstance(raw_input[0], int)):
            raw_input = [raw_input]
        texts = [t if isinstance(t, str) else " ".join(map(str, t)) for t in raw_input]
        dim = request_json.get("dimensions") or self.embedding_dim
        data = []
        for index, text in enumerate(texts):
            vec: Any = self.embed(text, dim)
            if request_json.get("encoding_format") == "base64":
                vec = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vec})
        tokens = sum(len(t) for t in texts) // 4
        return {
            "object": "list",
            "data": data,
            "model": request_json.get("model", self.models[0]),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    def add_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        """Store a file as if uploaded; returns its FileObject dict."""
        obj = {
            "id": _new_id("file-"),
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self._lock:
            self.files[obj["id"]] = {"object": obj, "data": data}
        return obj

    # -- batches
    def create_batch(self, body: Any) -> tuple[int, dict[str, Any]]:
        """Handle ``POST /v1/batches``: returns (HTTP status, Batch dict or error body)."""
        body = body if isinstance(body, dict) else {}
        file_id, endpoint = body.get("input_file_id"), body.get("endpoint")
        with self._lock:
            known = file_id in self.files
        if not known:
            return 400, _error_body(400, f"No file with id {file_id!r}")
        if endpoint not in ("/v1/chat/completions", "/v1/embeddings"):
            return 400, _error_body(400, f"Unsupported batch endpoint {endpoint!r}")
        now = int(time.time())
        batch: dict[str, Any] = {
            "id": _new_id("batch_"),
            "object": "batch",
            "endpoint": endpoint,
            "errors": None,
            "input_file_id": file_id,
            "completion_window": body.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
            "usage": None,
        }
        with self._lock:
            self.batches[batch["id"]] = {"object": batch, "polls": 0}
        return 200, dict(batch)

    def poll_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """Handle ``GET /v1/batches/{id}``; the batch is processed on this poll when due."""
        with self._batch_lock:
            entry = self.batches.get(batch_id)
            if entry is None:
                return 404, _error_body(404, f"No batch with id {batch_id!r}")
            batch, now = entry["object"], int(time.time())
            if batch["status"] in ("validating", "in_progress"):
                entry["polls"] += 1
                batch["status"], batch["in_progress_at"] = "in_progress", now
                if entry["polls"] > self.batch_polls_before_complete:
                    self._run_batch(batch)
            elif batch["status"] == "cancelling":
                batch["status"], batch["cancelled_at"] = "cancelled", now
            return 200, dict(batch)

    def cancel_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """Handle ``POST /v1/batches/{id}/cancel`` (the next poll reports ``cancelled``)."""
        with self._batch_lock:
            entry = self.batches.get(batch_id)
            if entry is None:
                return 404, _error_body(404, f"No batch with id {batch_id!r}")
            batch = entry["object"]
            if batch["status"] in ("validating", "in_progress"):
                batch["status"], batch["cancelling_at"] = "cancelling", int(time.time())
            elif batch["status"] not in ("cancelling", "cancelled"):
                return 400, _error_body(400, f"Cannot cancel a batch that is {batch['status']}")
            return 200, dict(batch)

    def _run_batch(self, batch: dict[str, Any]) -> None:
        """Validate the input JSONL, answer every line and write output/error files."""
        now = int(time.time())
        with self._lock:
            data: bytes = self.files[batch["input_file_id"]]["data"]
        items, errors, seen = [], [], set()
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            problem = None
            if not isinstance(item, dict):
                problem = ("invalid_json_line", "This line is not parseable as valid JSON.")
            elif not isinstance(item.get("custom_id"), str) or item["custom_id"] in seen:
                problem = ("duplicate_custom_id", "custom_id must be a unique string.")
            elif item.get("method") != "POST" or item.get("url") != batch["endpoint"]:
                problem = ("invalid_url", f"Each line must POST to {batch['endpoint']}.")
            elif not isinstance(item.get("body"), dict):
                problem = ("missing_body", "Each line needs a JSON object body.")
            if problem:
                errors.append({"code": problem[0], "message": problem[1], "line": number})
            else:
                seen.add(item["custom_id"])
                items.append(item)
        if errors or not items:
            errors = errors or [{"code": "empty_file", "message": "The input file is empty."}]
            batch.update(status="failed", failed_at=now, errors={"object": "list", "data": errors})
            return
        out: list[bytes] = []
        err: list[bytes] = []
        tokens = [0, 0]
        for item in items:
            self._record(
                RecordedRequest(
                    "BATCH",
                    item["url"],
                    {"x-batch-id": batch["id"], "x-custom-id": item["custom_id"]},
                    item["body"],
                    json.dumps(item["body"]).encode(),
                )
            )
            line, ok, usage = self._batch_line(item)
            (out if ok else err).append(line)
            tokens[0] += usage.get("prompt_tokens", 0)
            tokens[1] += usage.get("completion_tokens", 0)
        for lines, key, suffix in (
            (out, "output_file_id", "output"),
            (err, "error_file_id", "error"),
        ):
            if lines:
                name = f"{batch['id']}_{suffix}.jsonl"
                batch[key] = self.add_file(b"\n".join(lines) + b"\n", name, "batch_output")["id"]
        batch.update(
            status="completed",
            finalizing_at=now,
            completed_at=int(time.time()),
            request_counts={"total": len(items), "completed": len(out), "failed": len(err)},
            usage={
                "input_tokens": tokens[0],
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": tokens[1],
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": sum(tokens),
            },
        )

    def _batch_line(self, item: dict[str, Any]) -> tuple[bytes, bool, dict[str, int]]:
        """One output line (bytes), whether it succeeded, and its usage."""
        body = item["body"]
        if item["url"] == "/v1/embeddings":
            code, payload = 200, self.embeddings(body)
        else:
            step = self._resolve(body, sleep=False)  # a batch has no client timeout to trigger
            if isinstance(step, Raw):
                return step.body, True, {}  # a broken output line, verbatim
            if isinstance(step, Disconnect):
                step = Status(500)
            if isinstance(step, Status):
                code, payload = step.code, _status_payload(step)
                if not isinstance(payload, dict):
                    payload = _error_body(code, payload.decode("utf-8", "replace"))
            else:
                content = step.text if isinstance(step, Malformed) else step.content
                finish = step.finish_reason if isinstance(step, Reply) else "stop"
                code, payload = 200, self.completion(body, content, finish)
        line = {
            "id": _new_id("batch_req_"),
            "custom_id": item["custom_id"],
            "response": {"status_code": code, "request_id": _new_id("req_"), "body": payload},
            "error": None,
        }
        ok = 200 <= code < 300
        return json.dumps(line).encode(), ok, payload.get("usage", {}) if ok else {}


def _status_payload(step: Status) -> dict | list | bytes:
    """The body a Status step sends: JSON-able dict/list, or bytes for text."""
    if step.body is None:
        return _error_body(step.code, f"scripted status {step.code}")
    if isinstance(step.body, dict | list):
        return step.body
    return step.body.encode() if isinstance(step.body, str) else bytes(step.body)


def _status_headers(step: Status) -> dict[str, str]:
    if step.headers is not None:
        return step.headers
    # Keep client retries fast: openai honours retry-after-ms before its 0.5 s backoff.
    retryable = step.code in (408, 409, 429) or step.code >= 500
    return {"retry-after-ms": "10"} if retryable else {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API server
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        """Dispatch every method through one router."""
        app = self.server.app
        body = self._read_body()
        path = urlsplit(self.path).path.rstrip("/")
        parsed = None
        if body and "json" in self.headers.get("content-type", ""):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        app._record(RecordedRequest(self.command, path, headers, parsed, body))
        app._enter()
        try:
            self._route(app, self.command, path.split("/")[1:], parsed, body)
        except OSError:  # the client gave up (timeout) while we slept or wrote
            self.close_connection = True
        finally:
            app._leave()

    do_POST = do_DELETE = do_GET  # noqa: N815

    def _read_body(self) -> bytes:
        """The request body, with or without chunked transfer encoding (streamed uploads)."""
        if "chunked" not in self.headers.get("transfer-encoding", "").lower():
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""
        parts = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    def _route(self, app: ScriptedLLMServer, m: str, parts: list[str], req: Any, body: bytes):
        if parts[:1] != ["v1"]:
            return self._json(404, _error_body(404, "unknown path"))
        r = parts[1:]
        if m == "POST" and r == ["chat", "completions"]:
            return self._chat(app, req)
        if m == "POST" and r == ["embeddings"]:
            if not isinstance(req, dict) or "input" not in req:
                return self._json(400, _error_body(400, "'input' is required"))
            if app.latency and app._stopping.wait(app.latency):
                return None
            return self._json(200, app.embeddings(req))
        if m == "GET" and r[:1] == ["models"] and len(r) <= 2:
            models = [
                {"id": name, "object": "model", "created": 0, "owned_by": "scripted"}
                for name in app.models
            ]
            if len(r) == 1:
                return self._json(200, {"object": "list", "data": models})
            found = [x for x in models if x["id"] == r[1]]
            return self._json(*((200, found[0]) if found else (404, _error_body(404, r[1]))))
        if not app.batch_api and r[:1] in (["files"], ["batches"]):
            return self._json(404, _error_body(404, f"unknown route {m} /{'/'.join(parts)}"))
        if m == "POST" and r == ["files"]:
            fields = _parse_multipart(self.headers.get("content-type", ""), body)
            purpose = fields.get("purpose", (None, b""))[1].decode()
            if "file" not in fields or not purpose:
                return self._json(400, _error_body(400, "'file' and 'purpose' are required"))
            filename, data = fields["file"]
            return self._json(200, app.add_file(data, filename or "upload", purpose))
        if r[:1] == ["files"] and len(r) in (2, 3):
            with app._lock:
                stored = app.files.get(r[1])
            if stored is None:
                return self._json(404, _error_body(404, f"No file with id {r[1]!r}"))
            if m == "GET" and len(r) == 3 and r[2] == "content":
                return self._send(200, stored["data"], "application/octet-stream")
            if m == "GET" and len(r) == 2:
                return self._json(200, stored["object"])
            if m == "DELETE" and len(r) == 2:
                with app._lock:
                    app.files.pop(r[1], None)
                return self._json(200, {"id": r[1], "object": "file", "deleted": True})
        if m == "POST" and r == ["batches"]:
            return self._json(*app.create_batch(req))
        if m == "GET" and r[:1] == ["batches"] and len(r) == 2:
            return self._json(*app.poll_batch(r[1]))
        if m == "POST" and r[:1] == ["batches"] and len(r) == 3 and r[2] == "cancel":
            return self._json(*app.cancel_batch(r[1]))
        return self._json(404, _error_body(404, f"unknown route {m} /{'/'.join(parts)}"))

    def _chat(self, app: ScriptedLLMServer, req: Any) -> None:
        if not isinstance(req, dict) or not isinstance(req.get("messages"), list):
            return self._json(400, _error_body(400, "'messages' must be a list"))
        if app.latency and app._stopping.wait(app.latency):
            return None
        step = app._resolve(req, sleep=True)
        if isinstance(step, Disconnect):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif isinstance(step, Drip):
            self._drip(app, req, step)
        elif isinstance(step, Raw):
            self._send(step.status, step.body, step.content_type)
        elif isinstance(step, Status):
            payload = _status_payload(step)
            if isinstance(payload, bytes):
                self._send(step.code, payload, "text/plain", _status_headers(step))
            else:
                self._json(step.code, payload, _status_headers(step))
        else:
            content = step.text if isinstance(step, Malformed) else step.content
            finish = step.finish_reason if isinstance(step, Reply) else "stop"
            completion = app.completion(req, content, finish)
            if req.get("stream"):
                self._stream(req, completion)
            else:
                self._json(200, completion)
        return None

    def _drip(self, app: ScriptedLLMServer, req: dict[str, Any], step: Drip) -> None:
        """Send the answer of ``step.then`` a few bytes at a time (see :class:`Drip`)."""
        inner = step.then
        code, ctype = 200, "application/json"
        if isinstance(inner, Raw):
            code, ctype, body = inner.status, inner.content_type, inner.body
        elif isinstance(inner, Status):
            payload = _status_payload(inner)
            code = inner.code
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        else:
            content = inner.text if isinstance(inner, Malformed) else inner.content
            finish = inner.finish_reason if isinstance(inner, Reply) else "stop"
            body = json.dumps(app.completion(req, content, finish)).encode()
        reason = self.responses.get(code, ("",))[0]
        head = (
            f"HTTP/1.1 {code} {reason}\r\ncontent-type: {ctype}\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        self.close_connection = True
        data = head + body
        if not step.headers:
            self.wfile.write(head)
            data = body
        for start in range(0, len(data), max(1, step.chunk)):
            if app._stopping.wait(step.interval):
                return
            self.wfile.write(data[start : start + max(1, step.chunk)])

    def _stream(self, req: dict[str, Any], completion: dict[str, Any]) -> None:
        """Send ``completion`` as SSE chunks over chunked transfer encoding."""
        base = {k: completion[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"
        content = completion["choices"][0]["message"]["content"]

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**base, "choices": [choice]}

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": content[i : i + 8]}) for i in range(0, len(content), 8)]
        events.append(chunk({}, completion["choices"][0]["finish_reason"]))
        if (req.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "choices": [], "usage": completion["usage"]})
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for data in [json.dumps(e) for e in events] + ["[DONE]"]:
            payload = f"data: {data}\n\n".encode()
            self.wfile.write(b"%X\r\n%s\r\n" % (len(payload), payload))
        self.wfile.write(b"0\r\n\r\n")

    def _json(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(code, json.dumps(obj).encode(), "application/json", headers)

    def _send(
        self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-request-id", _new_id("req_"))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


# ------------------------------------------------------------------- ready-made handlers
def valid_draft_handler(request_json: dict[str, Any]) -> Reply:
    """A valid draft for whatever question arrives: first allowed value, first block quoted
    (the package's deterministic scripted draft, assistant/providers/scripted.py)."""
    return reply(scripted_draft(request_json))


# ------------------------------------------------------------------------------ network guard
class OutboundNetworkBlockedError(RuntimeError):
    """Raised when code under test tries to connect to a non-loopback address."""


#: Every address a blocked connect attempt named (for assertions and debugging).
BLOCKED_CONNECTIONS: list[Any] = []
_MISSING = object()


def _is_loopback(address: Any) -> bool:
    """True for (host, port, ...) tuples whose host is a loopback literal or localhost."""
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0].lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # any other name would need DNS and a remote peer
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def block_outbound_network() -> Callable[[], None]:
    """Make ``socket.socket.connect``/``connect_ex`` and ``socket.create_connection`` raise
    :class:`OutboundNetworkBlockedError` for any non-loopback INET address, before any packet
    or DNS lookup. Unix sockets and loopback stay usable. Returns a function that undoes it.
    """
    sock_cls = socket.socket
    saved = {name: sock_cls.__dict__.get(name, _MISSING) for name in ("connect", "connect_ex")}
    orig_connect, orig_connect_ex = sock_cls.connect, sock_cls.connect_ex
    orig_create = socket.create_connection
    inet = (socket.AF_INET, socket.AF_INET6)

    def check(address: Any) -> None:
        if not _is_loopback(address):
            BLOCKED_CONNECTIONS.append(address)
            raise OutboundNetworkBlockedError(
                f"tests may only connect to loopback, not {address!r}"
            )

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in inet:
            check(address)
        return orig_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in inet:
            check(address)
        return orig_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        check(address)
        return orig_create(address, *args, **kwargs)

    sock_cls.connect = connect  # type: ignore[method-assign]
    sock_cls.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.create_connection = create_connection  # type: ignore[assignment]

    def restore() -> None:
        for name, value in saved.items():
            if value is _MISSING:
                if name in sock_cls.__dict__:
                    delattr(sock_cls, name)
            else:
                setattr(sock_cls, name, value)
        socket.create_connection = orig_create

    return restore


# ----------------------------------------------------------------------------- pytest fixture
@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLMServer]:
    """A started :class:`ScriptedLLMServer`, stopped after the test."""
    server = ScriptedLLMServer().start()
    try:
        yield server
    finally:
        server.stop()
