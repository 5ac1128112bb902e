"""The OpenAI-compatible provider: chat completions through the `openai` package.

Structured output (JSON schema where the server supports it, JSON mode otherwise, stepping
down when a server refuses a level); 429/5xx/timeouts retried with bounded backoff.
`llm.timeout` is a total deadline per request (deadline.py). Every attempt (and every cache
hit) is written to the call log (calllog.py) here and only here, with any credentials in the
base URL stripped; the cache is keyed on endpoint, model and request body. The LLM engine
(assistant/engines/llm.py) renders prompts and parses replies on top of it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from assistant.config import Settings, redact_credentials, strip_credentials
from assistant.errors import ConfigError, EngineError
from assistant.providers import deadline
from assistant.providers.calllog import CallLog, CallRecord, prompt_key
from assistant.providers.ratelimit import RateGate
from assistant.unicode import escape_surrogates

if TYPE_CHECKING:
    from assistant.engines.base import DraftContext

MAX_BACKOFF_S = 30.0
RATE_LIMIT_PATIENCE_S = 300.0  # an item waits out 429s with Retry-After this long at most
# response_format levels, strongest first (see OpenAIProvider.format_level)
FORMATS = ("json_schema", "json_object_schema", "json_object")
logger = logging.getLogger(__name__)


def _format_of(body: dict) -> str:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_object" and "schema" in fmt:
        return "json_object_schema"
    return fmt.get("type", "json_object")


class Completion(NamedTuple):
    """One chat completion's content and usage (cached: prompt tokens from the prompt cache).

    `call_id` is the call-log row this call logged (for a cache hit, its `cached` row, never
    the row first answered, which may be another run's): `OpenAIProvider.reject` marks it
    when the caller cannot use the reply."""

    content: str
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    cached_tokens: int = 0
    call_id: int | None = None


def price_of(
    price: tuple[float, ...] | None, prompt_tokens: int, completion_tokens: int, cached: int = 0
) -> float | None:
    """USD for a call at `price` ([input, output] or [input, output, cached input] per million
    tokens; cached input tokens are part of `prompt_tokens`), or None without a price."""
    if not price:
        return None
    cached_price = price[2] if len(price) > 2 else price[0]
    uncached = max(prompt_tokens - cached, 0)
    total = uncached * price[0] + cached * cached_price + completion_tokens * price[1]
    return round(total / 1e6, 6)


class OpenAIProvider:
    """Chat completions against an OpenAI-compatible endpoint, with retries, log and cache."""

    name = "openai-compatible"

    def __init__(self, settings: Settings, log: CallLog) -> None:
        import openai

        self.settings = settings
        self.log = log
        key = settings.llm_api_key()
        base_url = settings.llm.base_url or None
        if not key and not base_url:
            raise ConfigError(
                "the LLM engine has no endpoint",
                "set OPENAI_API_KEY, or REVIEW_ASSISTANT_LLM__BASE_URL for a local server "
                "(vLLM, Ollama, llama.cpp), or use --engine offline",
            )
        if base_url:
            _check_base_url(base_url)
        self._secret_url = base_url  # may hold user:password@ (only the client sees it)
        self.model = settings.llm.model
        http_client = openai.DefaultHttpxClient()
        deadline.install(http_client)
        self.client = openai.OpenAI(
            api_key=key or "not-needed",  # local servers ignore the key but the client wants one
            base_url=base_url,
            timeout=settings.llm.timeout,
            max_retries=0,  # retries happen here, so each attempt is logged
            http_client=http_client,
        )
        # The endpoint as logged, shown and used in cache keys: credentials stripped. With no
        # llm.base_url it is the client's own (OPENAI_BASE_URL, else the provider's default).
        self.base_url = strip_credentials(str(self.client.base_url).rstrip("/"))
        # How replies are constrained, strongest first; a server that rejects one (OpenAI and
        # vLLM take json_schema; llama-cpp-python's server takes json_object with a schema)
        # moves this provider down a level for the rest of the process.
        self.format_level = 0 if settings.llm.json_schema else len(FORMATS) - 1
        # OpenAI's reasoning models refuse `max_tokens` and want `max_completion_tokens`;
        # most other servers know only `max_tokens`. Switched on the first refusal.
        self.cap_field = "max_tokens"
        self._lock = threading.Lock()
        self.gate = RateGate()  # one 429 pauses every thread of this provider

    @property
    def json_schema(self) -> bool:
        return FORMATS[self.format_level] == "json_schema"

    def _adapt(self, body: dict, exc: Exception) -> bool:
        """If the server rejected a request field we can do without or rename, adapt."""
        if "max_completion_tokens" in str(exc) and "max_tokens" in body:
            with self._lock:
                self.cap_field = "max_completion_tokens"
            return True
        return self._step_down_format(body, exc)

    def _step_down_format(self, body: dict, exc: Exception) -> bool:
        """If the server rejected the response_format of `body`, use the next weaker one."""
        if "response_format" not in str(exc):
            return False
        with self._lock:
            level = FORMATS.index(_format_of(body))
            if level >= len(FORMATS) - 1:
                return False
            self.format_level = max(self.format_level, level + 1)
        logger.warning(
            "%s rejected response_format %s; using %s from now on",
            self.base_url,
            FORMATS[level],
            FORMATS[self.format_level],
        )
        return True

    def _price(self, prompt_tokens: int, completion_tokens: int, cached: int = 0) -> float | None:
        price = self.settings.llm.prices.get(self.model)
        return price_of(price, prompt_tokens, completion_tokens, cached)

    def build_body(self, messages: list[dict], schema: dict | None, schema_name: str) -> dict:
        """The exact chat-completions request body (also the cache key and batch line body).

        A message holding a lone surrogate (a question typed with half an emoji, a re-ask
        quoting a reply that held one) is sent with it escaped ("\\ud83d"): the request must
        be UTF-8, and the request failed before it was sent."""
        messages = [
            {**m, "content": escape_surrogates(m["content"])}
            if isinstance(m.get("content"), str)
            else m
            for m in messages
        ]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.llm.temperature,
        }
        if self.settings.llm.max_tokens:
            body[self.cap_field] = self.settings.llm.max_tokens
        fmt = FORMATS[self.format_level] if schema is not None else "json_object"
        if fmt == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "strict": True, "schema": schema},
            }
        elif fmt == "json_object_schema":
            body["response_format"] = {"type": "json_object", "schema": schema}
        else:
            body["response_format"] = {"type": "json_object"}
        return body

    def complete(
        self,
        messages: list[dict],
        schema: dict | None,
        schema_name: str,
        *,
        template: tuple[str, int],
        context: DraftContext | None = None,
    ) -> Completion:
        """One chat completion's content and token usage (cached, retried, logged).

        The cache is skipped when `context.fresh` (draft --force); the answer is still logged,
        so it is the one served the next time."""
        import openai

        body = self.build_body(messages, schema, schema_name)
        key = prompt_key(body, endpoint=self.base_url)
        common = dict(
            provider=self.name,
            base_url=self.base_url,
            model=self.model,
            template=template[0],
            template_version=template[1],
            settings_hash=self.settings.settings_hash(),
            prompt_key=key,
            request=body,
            draft_key=context.draft_key if context else None,
            run_id=context.run_id if context else None,
        )
        use_cache = self.settings.llm.cache and not (context and context.fresh)
        cached = self.log.cached_response(key) if use_cache else None
        if cached is not None:
            call_id = self.log.record(
                CallRecord(**common, response=cached[0], status="cached", latency_ms=0)
            )
            return Completion(cached[0], 0, 0, 0.0, call_id=call_id)
        attempts = self.settings.llm.max_retries + 1
        last_exc: Exception | None = None
        # `attempt` numbers every request sent (the log's attempt column); `failed` counts the
        # failures that use up llm.max_retries. A 429 that says when to come back (Retry-After)
        # pauses every thread until then (ratelimit.py) and does not use up a retry: the
        # endpoint is busy, not broken. RATE_LIMIT_PATIENCE_S bounds those waits per item.
        attempt = failed = 0
        first_sent = time.monotonic()
        while failed < attempts:
            attempt += 1
            self.gate.wait()
            started = time.perf_counter()
            try:
                with deadline.deadline(self.settings.llm.timeout):
                    raw = self._send(body)
            except (
                openai.BadRequestError,
                openai.UnprocessableEntityError,
                openai.InternalServerError,
            ) as exc:
                # an unsupported field: 400 or 422 (llama.cpp: 500 for response_format)
                if not self._adapt(body, exc):
                    if isinstance(exc, openai.InternalServerError):
                        failed += 1
                        last_exc = self._retry_or_wait(
                            common, exc, attempt, failed, attempts, started
                        )
                        continue
                    self._log_error(common, exc, attempt, started)
                    raise EngineError(
                        f"the endpoint rejected the request ({self._describe(exc)})",
                        "check llm.model and the endpoint's limits",
                    ) from exc
                self._log_error(common, exc, attempt, started)
                return self.complete(
                    messages, schema, schema_name, template=template, context=context
                )
            except openai.RateLimitError as exc:
                last_exc = exc
                retry_after = _retry_after(exc)
                patient = time.monotonic() - first_sent < RATE_LIMIT_PATIENCE_S
                if retry_after is not None and patient:
                    self._log_error(common, exc, attempt, started)
                    self.gate.pause(retry_after)  # every thread waits, then goes again
                    continue
                failed += 1
                self._log_error(common, exc, attempt, started)
                if failed < attempts:
                    self.gate.pause(self._backoff(exc, failed))
                continue
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                failed += 1
                last_exc = self._retry_or_wait(common, exc, attempt, failed, attempts, started)
                continue
            except openai.AuthenticationError as exc:
                self._log_error(common, exc, attempt, started)
                raise EngineError(
                    "the endpoint refused the API key",
                    "check OPENAI_API_KEY / REVIEW_ASSISTANT_LLM__API_KEY",
                ) from exc
            except openai.APIStatusError as exc:
                self._log_error(common, exc, attempt, started)
                raise EngineError(
                    f"the endpoint answered {exc.status_code} ({self._describe(exc)})",
                    f"check llm.base_url ({self.base_url}) and llm.model",
                ) from exc
            except Exception as exc:  # anything else is still one logged, readable failure
                self._log_error(common, exc, attempt, started)
                raise EngineError(
                    f"the request to {self.base_url} failed ({self._describe(exc)})",
                    "check llm.base_url; set REVIEW_ASSISTANT_DEBUG=1 for details",
                ) from exc
            latency = int((time.perf_counter() - started) * 1000)
            try:
                content, p_tok, c_tok, cached_tok = self._read(raw)
            except EngineError as exc:
                self._log_error(common, exc, attempt, started, response=_first_text(raw))
                raise
            cost = self._price(p_tok, c_tok, cached_tok)
            call_id = self.log.record(
                CallRecord(
                    **common,
                    response=content,
                    status="ok",
                    prompt_tokens=p_tok,
                    completion_tokens=c_tok,
                    cached_tokens=cached_tok,
                    cost=cost,
                    latency_ms=latency,
                    attempt=attempt,
                )
            )
            return Completion(content, p_tok, c_tok, cost, cached_tok, call_id)
        raise self._gave_up(last_exc, attempts)

    def reject(self, completion: Completion, reason: str) -> None:
        """Record that `completion`'s reply could not be used (`reason`: not JSON, a field
        missing...): the row of this call says so (a cache hit's `cached` row; the row first
        answered is left as it was) and the cache never serves that reply again, so a re-run
        asks the endpoint anew."""
        if completion.call_id is not None:
            self.log.reject(completion.call_id, reason)

    def _send(self, body: dict):
        """POST `body` as it is. Passed as keyword arguments, the client walks the whole body
        (every message, the schema) through its TypedDict transform first: ~3 ms of CPU a
        call, 10% of a draft's CPU, under the one GIL the drafting threads share (issue 15
        item 3, branch perf2). The body is already in wire form, so it goes as `extra_body`,
        which the client merges over its own (empty) fields."""
        rest = {k: v for k, v in body.items() if k not in ("model", "messages")}
        return self.client.chat.completions.with_raw_response.create(
            model=body["model"], messages=[], extra_body={"messages": body["messages"], **rest}
        )

    # --- the OpenAI Batch API: files, batches, and the log of each line's reply --------------
    def submit_batch(self, requests_path: Path) -> tuple[str, str]:
        """Upload a JSONL requests file and create its batch: (batch id, input file id)."""
        submitting = self._batch_errors("submitting the batch", missing=True)
        with submitting, requests_path.open("rb") as handle:
            uploaded = self.client.files.create(file=handle, purpose="batch")
            batch = self.client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
            )
        return batch.id, uploaded.id

    def retrieve_batch(self, batch_id: str):
        """The batch as the API reports it now; None when the endpoint does not know
        `batch_id` (404: expired, deleted, or submitted to another endpoint)."""
        import openai

        with self._batch_errors(f"polling batch {batch_id}"):
            try:
                return self.client.batches.retrieve(batch_id)
            except openai.NotFoundError:
                return None

    def batch_lines(self, batch) -> dict[str, dict]:
        """Output and error lines of a finished batch, by custom id."""
        lines: dict[str, dict] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                with self._batch_errors(f"downloading batch {batch.id}'s results"):
                    text = self.client.files.content(file_id).text
                for raw in text.splitlines():
                    if raw.strip():
                        item = json.loads(raw)
                        lines[item["custom_id"]] = item
        return lines

    @contextmanager
    def _batch_errors(self, doing: str, *, missing: bool = False) -> Iterator[None]:
        """The Batch API's failures as EngineErrors naming the endpoint and what to do (the CLI
        prints one line, exit 2). A submitted batch's id is kept with the run, so a re-run
        polls it again. With `missing`, a 404/405/501 means the endpoint has no Batch API."""
        import openai

        url = self.base_url
        again = "re-run the same command" + ("" if missing else " (it picks up the same batch)")
        try:
            yield
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise EngineError(
                f"cannot reach {url} while {doing} ({self._describe(exc)})",
                f"check llm.base_url and that the server is running, then {again}; "
                "or run without --batch",
                retryable=True,
            ) from exc
        except openai.AuthenticationError as exc:
            raise EngineError(
                f"the endpoint at {url} refused the API key while {doing}",
                "check OPENAI_API_KEY / REVIEW_ASSISTANT_LLM__API_KEY",
            ) from exc
        except openai.APIStatusError as exc:
            if missing and exc.status_code in (404, 405, 501):
                raise EngineError(
                    f"the endpoint at {url} has no Batch API ({exc.status_code})",
                    "run without --batch",
                ) from exc
            raise EngineError(
                f"the endpoint at {url} answered {exc.status_code} while {doing} "
                f"({self._describe(exc)})",
                f"check llm.base_url, then {again}; or run without --batch",
                retryable=exc.status_code == 429 or exc.status_code >= 500,
            ) from exc

    def log_batch_line(
        self,
        body: dict,
        line: dict | None,
        error: str | None,
        usage: dict,
        template: tuple[str, int],
        settings_hash: str,
        context: DraftContext,
    ) -> None:
        """Write one batch line's request and reply to the call log."""
        self.log.record(
            CallRecord(
                provider=f"{self.name} (batch)",
                base_url=self.base_url,
                model=self.model,
                template=template[0],
                template_version=template[1],
                settings_hash=settings_hash,
                prompt_key=prompt_key(body),
                request=body,
                response=json.dumps(line) if line is not None else None,
                status="error" if error else "ok",
                error=error,
                prompt_tokens=usage["prompt_tokens"],
                completion_tokens=usage["completion_tokens"],
                cached_tokens=usage.get("cached_tokens", 0),
                run_id=context.run_id,
                draft_key=context.draft_key,
            )
        )

    def _read(self, raw) -> tuple[str, int, int, int]:
        """(content, prompt tokens, completion tokens, cached prompt tokens) of a 2xx reply; a
        body that is not a chat completion is an EngineError saying what came back."""
        data = raw.http_response.content
        hint = f"check llm.base_url ({self.base_url}) points at an OpenAI-compatible /v1"
        try:
            json.loads(data)
        except ValueError:
            raise EngineError(
                f"the endpoint returned a non-JSON body (first bytes: {_first_bytes(data)})", hint
            ) from None
        try:
            response = raw.parse()
            choices = response.choices
            if not isinstance(choices, list):
                raise TypeError("no choices")
            content = (choices[0].message.content or "") if choices else ""
            if not isinstance(content, str):
                raise TypeError("content is not text")
            usage = response.usage
            p_tok = (usage.prompt_tokens or 0) if usage else 0
            c_tok = (usage.completion_tokens or 0) if usage else 0
            details = getattr(usage, "prompt_tokens_details", None) if usage else None
            cached_tok = (getattr(details, "cached_tokens", 0) or 0) if details else 0
        except (AttributeError, TypeError, IndexError, ValueError):
            raise EngineError(
                "the endpoint returned JSON that is not a chat completion "
                f"(first bytes: {_first_bytes(data)})",
                hint,
            ) from None
        if not choices:
            raise EngineError(
                'the endpoint returned no choices (a chat completion with "choices": [])',
                "a re-run retries this item; if it keeps happening, check the server's log",
                retryable=True,
            )
        return content, int(p_tok), int(c_tok), int(cached_tok)

    def _gave_up(self, exc: Exception | None, attempts: int) -> EngineError:
        """The error after every attempt failed with a retryable error `exc`."""
        import openai

        described = self._describe(exc) if exc else "no attempt made"
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(exc, openai.APITimeoutError):
            message = (
                f"no complete reply within llm.timeout ({self.settings.llm.timeout:g} s) "
                f"after {tries} ({described})"
            )
            hint = "check the server, or raise llm.timeout; a later re-run retries this item"
        elif isinstance(exc, openai.APIConnectionError):
            message = f"cannot reach {self.base_url} after {tries} ({described})"
            hint = "check llm.base_url and that the server is running; a re-run retries this item"
        else:
            message = f"the endpoint kept failing after {tries} ({described})"
            hint = "a later re-run retries this item; lower --concurrency if these are 429s"
        return EngineError(message, hint, retryable=True, attempts=attempts)

    def _describe(self, exc: Exception) -> str:
        """`Type: message` of an error (with its cause for connection errors), no credentials."""
        import openai

        text = f"{type(exc).__name__}: {exc}"
        cause = exc.__cause__
        if isinstance(exc, openai.APIConnectionError) and cause is not None:
            text += f" ({type(cause).__name__}: {cause})"
        # an error body may hold a lone surrogate: it would stop the log and the terminal
        return escape_surrogates(redact_credentials(text, self._secret_url)[:1000])

    def _retry_or_wait(
        self, common: dict, exc: Exception, attempt: int, failed: int, attempts: int, started: float
    ) -> Exception:
        """Log a retryable failure and back off before the next attempt; returns the error."""
        self._log_error(common, exc, attempt, started)
        if failed < attempts:
            time.sleep(self._backoff(exc, failed))
        return exc

    def _log_error(
        self,
        common: dict,
        exc: Exception,
        attempt: int,
        started: float,
        response: str | None = None,
    ) -> None:
        error = str(exc) if isinstance(exc, EngineError) else self._describe(exc)
        self.log.record(
            CallRecord(
                **common,
                response=response,
                status="error",
                error=redact_credentials(error, self._secret_url),
                attempt=attempt,
                latency_ms=int((time.perf_counter() - started) * 1000),
            )
        )

    @staticmethod
    def _backoff(exc: Exception, attempt: int) -> float:
        """Honour Retry-After when the server sends one; else exponential with jitter."""
        retry_after = _retry_after(exc)
        if retry_after is not None:
            return retry_after
        return min(0.5 * 2 ** (attempt - 1), MAX_BACKOFF_S) * (0.75 + random.random() / 2)


def _retry_after(exc: Exception) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, else Retry-After), or None."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return min(max(float(value) * scale, 0.0), MAX_BACKOFF_S)
            except ValueError:
                pass
    return None


def _check_base_url(url: str) -> None:
    """A ConfigError unless `url` is an http(s) URL with a host."""
    import httpx2

    try:
        parsed = httpx2.URL(url)
        ok = parsed.scheme in ("http", "https") and bool(parsed.host)
    except (httpx2.InvalidURL, ValueError, TypeError):
        ok = False
    if not ok:
        raise ConfigError(
            f"llm.base_url {strip_credentials(url)!r} is not an http(s) URL",
            "set it to the server's OpenAI-compatible root, e.g. http://127.0.0.1:8080/v1",
        )


def _first_bytes(data: bytes, n: int = 80) -> str:
    """The start of a reply body, printable."""
    text = data[:n].decode("utf-8", "replace")
    return repr(text + ("..." if len(data) > n else "")) if data else "(empty body)"


def _first_text(raw, n: int = 2000) -> str | None:
    """The start of a reply body for the call log."""
    try:
        return raw.http_response.content[:n].decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 (a log detail must never raise)
        return None
