"""Draft answers and the DraftStore (SQLite).

A draft is the machine's proposed answer to one audit question for one report version, with
citations whose quotes were checked against the cited pages. Drafts are never edited: a
re-draft supersedes the old row, and reviewer decisions live in their own event table.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from pydantic import BaseModel, Field

from assistant.db import Database
from assistant.errors import NotFoundError
from assistant.library import now_iso


class Citation(BaseModel):
    """A cited passage and whether its quote was found on the cited page."""

    block_id: str | None = None
    chunk_id: str | None = None
    page: int | None = None
    quote: str = ""
    verification: str = "not_found"  # exact | normalised | fuzzy | not_found | invalid_block
    span_start: int | None = None
    span_end: int | None = None
    score: float = 0.0
    relevant: bool | None = None  # set by a reviewer

    @property
    def verified(self) -> bool:
        return self.verification in ("exact", "normalised", "fuzzy")


class Draft(BaseModel):
    """One draft answer for one (report version, question)."""

    draft_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:16])
    report_id: str
    question_id: str
    bank_name: str
    bank_version: str
    engine: str
    model: str | None = None
    template: str | None = None
    template_version: int | None = None
    settings_hash: str = ""
    status: str = "ok"
    answer: Any = None
    rationale: str = ""
    confidence: float = (
        0.0  # calibrated probability of auditor agreement, when `calibration` is set
    )
    calibration: str | None = None  # calibration version, or "uncalibrated"
    raw_confidence: float | None = None  # the engine's own value
    confidence_basis: str | None = None  # the rule cell (offline) the calibration looked up
    # readings of less evidence that gave another answer (offline rules-v15: 0-2); None: no check
    stability: int | None = None
    citations: list[Citation] = Field(default_factory=list)
    marker: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    run_id: str | None = None
    created_at: str = Field(default_factory=now_iso)

    @property
    def draft_key(self) -> str:
        return draft_key(
            self.report_id,
            self.question_id,
            self.bank_name,
            self.bank_version,
            self.template,
            self.template_version,
            self.engine,
            self.model,
        )

    @property
    def pages(self) -> list[int]:
        return sorted({c.page for c in self.citations if c.page is not None})

    def verification_summary(self) -> str:
        """'2/3 verified' style summary of the citations."""
        if not self.citations:
            return "no citations"
        ok = sum(c.verified for c in self.citations)
        return f"{ok}/{len(self.citations)} verified"

    def to_json(self) -> dict:
        data = self.model_dump()
        data["pages"] = self.pages
        return data


def draft_key(*parts: Any) -> str:
    """Identity of a draft for idempotent bulk runs."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


_COLUMNS = [
    "draft_id",
    "draft_key",
    "report_id",
    "question_id",
    "bank_name",
    "bank_version",
    "engine",
    "model",
    "template",
    "template_version",
    "settings_hash",
    "status",
    "answer",
    "rationale",
    "confidence",
    "calibration",
    "raw_confidence",
    "confidence_basis",
    "stability",
    "citations",
    "marker",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "run_id",
    "created_at",
]


def _row_to_draft(row) -> Draft:
    data = {k: row[k] for k in row.keys() if k in _COLUMNS and k != "draft_key"}
    data["answer"] = json.loads(row["answer"]) if row["answer"] is not None else None
    data["citations"] = [Citation(**c) for c in json.loads(row["citations"])]
    return Draft(**data)


class DraftStore:
    """Writes drafts (idempotently per draft key) and reads the current ones."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def current(self, key: str) -> Draft | None:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT * FROM drafts WHERE draft_key=? AND superseded=0", (key,)
            ).fetchone()
        return _row_to_draft(row) if row else None

    def save(self, draft: Draft, *, replace: bool = False) -> tuple[Draft, bool]:
        """Store a draft; returns (stored draft, created). An existing good draft wins unless
        `replace`; an existing failed draft is always superseded (retries heal failures)."""
        key = draft.draft_key
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM drafts WHERE draft_key=? AND superseded=0", (key,)
            ).fetchone()
            if row is not None:
                if row["status"] != "failed" and not replace:
                    return _row_to_draft(row), False
                conn.execute("UPDATE drafts SET superseded=1 WHERE draft_id=?", (row["draft_id"],))
            values = draft.model_dump()
            values["draft_key"] = key
            values["answer"] = json.dumps(draft.answer) if draft.answer is not None else None
            values["citations"] = json.dumps([c.model_dump() for c in draft.citations])
            conn.execute(
                f"INSERT INTO drafts ({','.join(_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(_COLUMNS))})",
                [values[c] for c in _COLUMNS],
            )
        return draft, True

    def get(self, draft_id: str) -> Draft:
        with self.db.connect() as conn:
            row = conn.execute("SELECT * FROM drafts WHERE draft_id=?", (draft_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no draft {draft_id}")
        return _row_to_draft(row)

    def for_report(self, report_id: str, *, engine: str | None = None) -> list[Draft]:
        """Current drafts of a report (newest per question when several engines drafted)."""
        sql = "SELECT * FROM drafts WHERE report_id=? AND superseded=0"
        params: list = [report_id]
        if engine:
            sql += " AND engine=?"
            params.append(engine)
        sql += " ORDER BY created_at"
        with self.db.connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        latest: dict[str, Draft] = {}
        for row in rows:
            latest[row["question_id"]] = _row_to_draft(row)
        return list(latest.values())

    def for_run(self, run_id: str) -> list[Draft]:
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM drafts WHERE run_id=? AND superseded=0", (run_id,)
            ).fetchall()
        return [_row_to_draft(r) for r in rows]
