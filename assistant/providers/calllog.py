"""The LLM call log (SQLite): every request, response, error, token count, cost and latency.

It doubles as the response cache: a request identical to one answered before by the same
endpoint (same base URL, model, messages, schema, temperature) is served from the log and
costs no model call. Only replies the engine could use are served: a reply it rejected
(not JSON, a field missing) is marked on the row of the call that got it, with the reason:
`rejected` for a reply the endpoint sent, `cached_rejected` for one the cache served (the row
first answered keeps its status: it may be another run's history). A rejected reply is never
served again, so a re-run asks anew.
Base URLs are logged without credentials. Text that is not valid Unicode (a lone surrogate,
"\ud83d", in a reply, a prompt or an error) is logged with the surrogate escaped, so the call
is always recorded and the record says what came.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from assistant.config import strip_credentials
from assistant.db import Database
from assistant.library import now_iso
from assistant.unicode import escape_surrogates


def prompt_key(body: dict, endpoint: str | None = None) -> str:
    """Cache key of an exact request body sent to `endpoint` (base URL, no credentials).

    One server's answer is never served for another: the endpoint and the model are part of
    the key. Without an endpoint the key is that of the body alone (batch log rows)."""
    shape: dict = body
    if endpoint is not None:
        shape = {"endpoint": endpoint.rstrip("/"), "model": body.get("model"), "body": body}
    return hashlib.sha256(
        # surrogatepass: a prompt holding a lone surrogate has a key too (others' are unchanged)
        json.dumps(shape, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    ).hexdigest()


@dataclass
class CallRecord:
    """One row of the log."""

    provider: str
    base_url: str | None
    model: str
    template: str | None
    template_version: int | None
    settings_hash: str | None
    prompt_key: str
    request: dict
    response: str | None
    # ok | error | cached | rejected (an ok reply the engine could not use) | cached_rejected
    # (a reply served from the cache that the engine could not use: no call, no cost)
    status: str
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    latency_ms: int | None = None
    attempt: int = 1
    draft_key: str | None = None
    run_id: str | None = None
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache


class CallLog:
    """Append-only log of model calls: rows are never deleted, and the one change a row sees
    is `reject()` of its own reply (ok -> rejected, cached -> cached_rejected, with the reason
    in `error`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, call: CallRecord) -> int:
        """Append `call`; returns its call id."""
        base_url = strip_credentials(call.base_url)
        values = (
            now_iso(),
            call.provider,
            base_url,
            call.model,
            call.template,
            call.template_version,
            call.settings_hash,
            call.prompt_key,
            json.dumps(call.request, ensure_ascii=False),
            call.response,
            call.status,
            call.error,
            call.prompt_tokens,
            call.completion_tokens,
            call.cost,
            call.latency_ms,
            call.attempt,
            call.draft_key,
            call.run_id,
            call.cached_tokens,
        )
        # a lone surrogate would make SQLite refuse the row, and the call would go unlogged
        values = tuple(escape_surrogates(v) if isinstance(v, str) else v for v in values)
        with self.db.transaction() as conn:  # queues behind this process's other writers
            cursor = conn.execute(
                "INSERT INTO llm_calls (created_at, provider, base_url, model, template, "
                "template_version, settings_hash, prompt_key, request, response, status, error, "
                "prompt_tokens, completion_tokens, cost, latency_ms, attempt, draft_key, run_id, "
                "cached_tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                values,
            )
        return cursor.lastrowid

    def reject(self, call_id: int, reason: str) -> None:
        """Mark call `call_id`'s reply as one the engine could not use (`reason` says why):
        the row stays, with its reply, tokens and cost, and that reply is never served from
        the cache again. `call_id` is the row this call logged: for a cache hit, its `cached`
        row, not the row that first answered (which may be another run's)."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE llm_calls SET error=?, status=CASE status WHEN 'ok' THEN 'rejected' "
                "ELSE 'cached_rejected' END WHERE call_id=? AND status IN ('ok', 'cached')",
                (escape_surrogates(reason), call_id),
            )

    def cached_response(self, key: str) -> tuple[str, int, int, int] | None:
        """(response, prompt_tokens, completion_tokens, call_id) of the latest identical call
        whose reply was accepted (status ok: answered, and no call rejected that reply since,
        whether the endpoint sent it or the cache served it)."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT response, prompt_tokens, completion_tokens, call_id FROM llm_calls c "
                "WHERE prompt_key=? AND status='ok' AND NOT EXISTS (SELECT 1 FROM llm_calls r "
                "WHERE r.prompt_key=c.prompt_key AND r.status IN ('rejected', 'cached_rejected') "
                "AND r.response=c.response) ORDER BY call_id DESC LIMIT 1",
                (key,),
            ).fetchone()
        return (row[0], row[1], row[2], row[3]) if row else None

    def last_call_id(self) -> int:
        """The newest call's id (0 for an empty log): `totals(after=...)` counts what follows."""
        with self.db.connect() as conn:
            return conn.execute("SELECT COALESCE(MAX(call_id), 0) FROM llm_calls").fetchone()[0]

    def totals(self, run_id: str | None = None, *, after: int | None = None) -> dict:
        """Calls, tokens and cost, overall or for one run; with `after` (a `last_call_id()`),
        only the calls logged since then (this invocation's)."""
        sql = (
            "SELECT status, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), "
            "SUM(cached_tokens) FROM llm_calls WHERE 1=1"
        )
        params: list = []
        if run_id:
            sql += " AND run_id=?"
            params.append(run_id)
        if after is not None:
            sql += " AND call_id > ?"
            params.append(after)
        sql += " GROUP BY status"
        out = {
            "calls": 0,
            "cached": 0,
            "errors": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cached_prompt_tokens": 0,  # of prompt_tokens: the provider's prompt cache
            "cost": 0.0,
        }
        with self.db.connect() as conn:
            for status, n, p, c, cost, cached in conn.execute(sql, params):
                if status in ("cached", "cached_rejected"):  # served from the log: no call
                    out["cached"] += n
                    continue
                out["calls"] += n
                out["errors"] += n if status == "error" else 0
                out["prompt_tokens"] += p or 0
                out["completion_tokens"] += c or 0
                out["cached_prompt_tokens"] += cached or 0
                out["cost"] += cost or 0.0
        return out
