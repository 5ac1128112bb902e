"""The SQLite database: one file in the data directory, schema changed by numbered migrations.

Every store opens short-lived connections through `Database.connect()`; WAL mode and a busy
timeout let the CLI, a bulk run and the UI share the file safely.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Append only: never edit a migration that has shipped; add a new one.
MIGRATIONS: list[str] = [
    # 1: reports, pages, chunks (+ FTS5 for BM25), which reports are indexed under which key
    """
    CREATE TABLE reports (
        report_id TEXT PRIMARY KEY,          -- sha256 of the file bytes
        file_name TEXT NOT NULL,
        file_path TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        n_pages INTEGER NOT NULL,
        partnership TEXT,
        period TEXT,
        title TEXT,
        previous_version TEXT,               -- report_id of the file this one replaces
        parser_version TEXT NOT NULL,
        no_text_pages TEXT NOT NULL DEFAULT '[]',   -- JSON list of page numbers
        ocr_pages TEXT NOT NULL DEFAULT '[]',
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX reports_by_name ON reports(file_name);
    CREATE TABLE pages (
        report_id TEXT NOT NULL REFERENCES reports(report_id),
        page INTEGER NOT NULL,               -- 1-based physical page number
        text TEXT NOT NULL,                  -- normalised page text; chunk offsets index into it
        raw_chars INTEGER NOT NULL,
        ocr INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (report_id, page)
    );
    CREATE TABLE chunks (
        chunk_id TEXT PRIMARY KEY,
        index_key TEXT NOT NULL,
        report_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        page INTEGER NOT NULL,
        page_end INTEGER NOT NULL,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        section TEXT,
        ocr INTEGER NOT NULL DEFAULT 0,
        text TEXT NOT NULL
    );
    CREATE INDEX chunks_by_report ON chunks(index_key, report_id, seq);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        text, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
    );
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TABLE report_index (
        report_id TEXT NOT NULL,
        index_key TEXT NOT NULL,
        collection TEXT NOT NULL,
        n_chunks INTEGER NOT NULL,
        indexed_at TEXT NOT NULL,
        PRIMARY KEY (report_id, index_key)
    );
    """,
    # 2: drafts and the LLM call log
    """
    CREATE TABLE drafts (
        draft_id TEXT PRIMARY KEY,
        draft_key TEXT NOT NULL,             -- report, question, bank, template, engine, model
        report_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        bank_name TEXT NOT NULL,
        bank_version TEXT NOT NULL,
        engine TEXT NOT NULL,
        model TEXT,
        template TEXT,
        template_version INTEGER,
        settings_hash TEXT NOT NULL,
        status TEXT NOT NULL,                -- ok | abstained | flagged | failed
        answer TEXT,                         -- JSON value in the question's answer type
        rationale TEXT NOT NULL DEFAULT '',
        confidence REAL NOT NULL DEFAULT 0,
        citations TEXT NOT NULL DEFAULT '[]',
        marker TEXT,                         -- e.g. "drafted without an LLM"
        error TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost REAL,
        run_id TEXT,
        superseded INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX drafts_current ON drafts(draft_key) WHERE superseded = 0;
    CREATE INDEX drafts_by_report ON drafts(report_id, question_id);
    CREATE TABLE llm_calls (
        call_id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        provider TEXT NOT NULL,
        base_url TEXT,
        model TEXT NOT NULL,
        template TEXT,
        template_version INTEGER,
        settings_hash TEXT,
        prompt_key TEXT NOT NULL,            -- sha256 of the exact request: the response cache key
        request TEXT NOT NULL,
        response TEXT,
        status TEXT NOT NULL,                -- ok | error | cached
        error TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost REAL,
        latency_ms INTEGER,
        attempt INTEGER NOT NULL DEFAULT 1,
        draft_key TEXT,
        run_id TEXT
    );
    CREATE INDEX llm_calls_by_prompt ON llm_calls(prompt_key, status);
    """,
    # 3: bulk runs, reviewer decisions (append-only events), eval runs
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,                  -- score | eval
        label TEXT,                          -- e.g. the period "2020-21"
        source TEXT,                         -- folder or labelled-set path
        engine TEXT NOT NULL,
        model TEXT,
        bank_name TEXT NOT NULL,
        bank_version TEXT NOT NULL,
        template TEXT,
        template_version INTEGER,
        settings_hash TEXT NOT NULL,
        status TEXT NOT NULL,                -- running | done | interrupted | failed
        params TEXT NOT NULL DEFAULT '{}',
        summary TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE run_files (
        run_id TEXT NOT NULL,
        path TEXT NOT NULL,
        report_id TEXT,
        status TEXT NOT NULL,                -- indexed | unchanged | failed
        error TEXT,
        PRIMARY KEY (run_id, path)
    );
    CREATE TABLE run_items (
        run_id TEXT NOT NULL,
        report_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        status TEXT NOT NULL,                -- drafted | reused | failed
        draft_id TEXT,
        error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, report_id, question_id)
    );
    CREATE TABLE decisions (
        event_id INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        draft_id TEXT,                       -- null for reviewer-entered facts
        reviewer TEXT NOT NULL,
        action TEXT NOT NULL,                -- accept|edit|reject|enter|citation|passage|note
        before TEXT,                         -- JSON: the item's current answer before this event
        after TEXT,                          -- JSON: the answer after it
        note TEXT,
        payload TEXT NOT NULL DEFAULT '{}',  -- JSON: e.g. citation index + relevance, added page
        base_event_id INTEGER,               -- newest event the reviewer saw (lost updates)
        seconds_on_task REAL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX decisions_by_item ON decisions(report_id, question_id, event_id);
    CREATE TABLE eval_runs (
        eval_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        engine TEXT NOT NULL,
        model TEXT,
        bank_version TEXT NOT NULL,
        template TEXT,
        template_version INTEGER,
        settings_hash TEXT NOT NULL,
        labelled_set TEXT,
        params TEXT NOT NULL DEFAULT '{}',
        metrics TEXT NOT NULL DEFAULT '{}',
        outputs TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 4: a counter that every writer of the embedded Chroma store bumps, so that the other
    #    processes on this data directory (the UI beside a CLI ingest) re-open their client
    """
    CREATE TABLE vector_store_writes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    );
    INSERT INTO vector_store_writes (id, generation) VALUES (1, 0);
    """,
    # 5: calibrated confidence: which calibration made it, from what raw value and rule cell
    """
    ALTER TABLE drafts ADD COLUMN calibration TEXT;
    ALTER TABLE drafts ADD COLUMN raw_confidence REAL;
    ALTER TABLE drafts ADD COLUMN confidence_basis TEXT;
    """,
    # 6 (branch analysis): the register of every partnership of a period, and drawn samples
    """
    CREATE TABLE register (
        period TEXT NOT NULL,
        partnership TEXT NOT NULL,
        region TEXT NOT NULL DEFAULT '',
        published INTEGER,                   -- 1 yes, 0 no, NULL not stated
        url TEXT NOT NULL DEFAULT '',
        date_published TEXT,                 -- ISO dates (YYYY-MM-DD)
        date_sent_panel TEXT,
        date_sent_what_works TEXT,
        source_file TEXT NOT NULL,
        source_row INTEGER NOT NULL,
        imported_at TEXT NOT NULL,
        PRIMARY KEY (period, partnership)
    );
    CREATE TABLE samples (
        sample_id TEXT PRIMARY KEY,
        period TEXT NOT NULL,
        n INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        stratify_by TEXT,                    -- e.g. region; NULL: simple random sample
        population INTEGER NOT NULL,
        partnerships TEXT NOT NULL,          -- JSON list, in draw order
        strata TEXT NOT NULL DEFAULT '{}',   -- JSON: stratum -> [population, drawn]
        created_at TEXT NOT NULL
    );
    CREATE TABLE blind_marks (               -- blind second marking: never the final answer
        mark_id INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        answer TEXT NOT NULL,                -- JSON value in the question's answer type
        note TEXT,
        created_at TEXT NOT NULL,
        adjudicated_event_id INTEGER,        -- the decision event that settled a disagreement
        UNIQUE (report_id, question_id)
    );
    """,
    # 7 (branch draft): prompt-cached input tokens the API reported for a call
    #    (usage.prompt_tokens_details.cached_tokens; part of prompt_tokens, priced lower)
    """
    ALTER TABLE llm_calls ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;
    """,
    # 8 (branch review2): a reviewer who took a blind item of a report is its blind marker:
    #    the Review page hides that report's drafts and first answers from them until marked
    """
    CREATE TABLE blind_claims (
        report_id TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (report_id, reviewer)
    );
    """,
    # 9: the offline engine's stability check (rules-v15): how many smaller readings of the
    #    evidence gave another answer (NULL: an engine without the check)
    """
    ALTER TABLE drafts ADD COLUMN stability INTEGER;
    """,
]


class Database:
    """Opens connections to the tool's SQLite file and keeps its schema current."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per thread, reused: opening one costs ~2 ms, which adds up over the
        # thousands of small reads a bulk run makes.
        self._local = threading.local()
        # Writers of this process queue here, not in SQLite's busy handler, which sleeps up to
        # 100 ms between retries: with 16 drafting threads that sleep was 40-50 ms a write
        # (issue 15 item 3, branch perf). Other processes still meet the busy handler.
        self._write_lock = threading.Lock()
        self.migrate()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.row_factory = sqlite3.Row
        _use_wal(conn)
        # WAL + NORMAL: a commit survives the process being killed (what resumable runs need);
        # only an OS crash or power cut can lose the last commits. FULL fsynced every commit,
        # which serialised a bulk run's writes behind the disk (issue 15 item 3, branch perf).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, in autocommit mode; `transaction()` for multi-statement
        writes."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = self._local.conn = self._open()
            self._local.pid = os.getpid()
        yield conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: takes the write lock up front so writers never deadlock."""
        with self.connect() as conn:
            if conn.in_transaction:
                raise RuntimeError("nested transactions are not supported")
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    def migrate(self) -> int:
        """Apply pending migrations; returns the schema version."""
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    for statement in _split_sql(script):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version={number}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return conn.execute("PRAGMA user_version").fetchone()[0]


def _use_wal(conn: sqlite3.Connection, wait: float = 60.0) -> None:
    """Put the file in WAL mode, waiting for other processes as the busy timeout would.

    SQLite answers a journal-mode change with "database is locked" at once, without calling
    the busy handler, while another connection holds a lock. Two processes opening a new data
    directory together (a bulk run and the UI, or two runs) met it: measured 30-43 of 200
    trios of processes opening one fresh file, and one CI run's `score` exiting 2. Retries
    until `wait` seconds have passed; an attempt that does meet the busy handler (another
    connection in an exclusive transaction) may wait the connection's own timeout on top.
    """
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], []
    for line in script.splitlines():
        if not line.strip() or line.strip().startswith("--"):
            continue
        buffer.append(line)
        candidate = "\n".join(buffer)
        if sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buffer = []
    if buffer and "".join(buffer).strip():
        statements.append("\n".join(buffer))
    return statements
