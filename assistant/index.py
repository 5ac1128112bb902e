"""Index and retrieval: dense vectors in Chroma, BM25 in SQLite FTS5, fused by RRF.

Chroma's local build has no sparse/BM25 index, so the lexical side lives in the app's SQLite
database next to the chunk records. Chroma runs embedded (PersistentClient) or as a shared
server (`chroma run`) through the same code.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.chunking import Chunk
from assistant.config import Settings
from assistant.db import Database
from assistant.errors import ConfigError
from assistant.reports import now_iso

log = logging.getLogger(__name__)

_STOPWORDS = frozenset(
    "a an and are as at be by did do does for from has have how in is it its of on or that the "
    "their there these this to was were what when where which who why with any all".split()
)


@dataclass
class Passage:
    """A retrieved chunk with its provenance and scores."""

    chunk_id: str
    report_id: str
    page: int
    text: str
    score: float
    char_start: int
    char_end: int
    section: str | None = None
    ocr: bool = False
    ranks: dict[str, int] = field(default_factory=dict)  # {"dense": 3, "lexical": 1}

    def to_json(self) -> dict:
        return dict(self.__dict__)


def rrf_fuse(rankings: dict[str, Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: sum of 1/(k + rank) over the rankings an id appears in."""
    scores: dict[str, float] = {}
    for ranking in rankings.values():
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def fts_query(text: str) -> str | None:
    """A safe FTS5 OR-query of the text's words (user text never reaches FTS syntax)."""
    words = [w for w in re.findall(r"[\w']+", text.lower()) if w not in _STOPWORDS and len(w) > 1]
    words = list(dict.fromkeys(w.replace("'", "") for w in words))
    return " OR ".join(f'"{w}"' for w in words if w) or None


def chroma_client(settings: Settings):
    """Embedded persistent client, or an HTTP client for a shared `chroma run` server."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma.host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma.host, port=settings.chroma.port, settings=client_settings
            )
        except Exception as exc:
            raise ConfigError(
                f"cannot reach the Chroma server at {settings.chroma.host}:{settings.chroma.port}"
                f" ({exc})",
                "start it with `chroma run --path DIR --host 127.0.0.1 --port PORT`, or unset "
                "REVIEW_ASSISTANT_CHROMA__HOST to use the local store",
                retryable=True,
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=client_settings)


class ChunkIndex:
    """Chunk records + FTS5 (SQLite) and vectors (Chroma) for one index key."""

    def __init__(self, settings: Settings, db: Database, embedder) -> None:
        self.settings = settings
        self.db = db
        self.embedder = embedder
        self.index_key = settings.index_key(embedder.fingerprint())
        self.collection_name = f"chunks-{self.index_key}"
        self._collection = None
        self._lock = threading.Lock()  # Chroma clients must not be created by two threads at once

    @property
    def collection(self):
        with self._lock:
            return self._open_collection()

    def _open_collection(self):
        if self._collection is None:
            from assistant.embeddings import chroma_embedding_function

            client = chroma_client(self.settings)
            self._collection = client.get_or_create_collection(
                self.collection_name,
                embedding_function=chroma_embedding_function(self.embedder),
                metadata={"hnsw:space": "cosine", "index_key": self.index_key},
            )
        return self._collection

    # --- writing ------------------------------------------------------------------------
    def is_indexed(self, report_id: str) -> bool:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT 1 FROM report_index WHERE report_id=? AND index_key=?",
                (report_id, self.index_key),
            ).fetchone()
        return row is not None

    def indexed_reports(self) -> dict[str, int]:
        """report_id → chunk count for reports fully indexed under this key."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT report_id, n_chunks FROM report_index WHERE index_key=?",
                (self.index_key,),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def add_report(
        self, report_id: str, chunks: list[Chunk], progress: Callable[[int], None] | None = None
    ) -> int:
        """Index one report's chunks; safe to re-run after an interruption at any point."""
        self.remove_report(report_id)  # clears a half-finished earlier attempt
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO chunks (chunk_id, index_key, report_id, seq, page, page_end, "
                "char_start, char_end, section, ocr, text) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.chunk_id,
                        self.index_key,
                        c.report_id,
                        c.seq,
                        c.page,
                        c.page_end,
                        c.char_start,
                        c.char_end,
                        c.section,
                        int(c.ocr),
                        c.text,
                    )
                    for c in chunks
                ],
            )
        vectors = self.embedder.embed_documents([c.text for c in chunks], progress=progress)
        batch = 1000
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=[v.tolist() for v in vectors[start : start + batch]],
                documents=[c.text for c in part],
                metadatas=[
                    {
                        "report_id": c.report_id,
                        "page": c.page,
                        "char_start": c.char_start,
                        "char_end": c.char_end,
                        "section": c.section or "",
                    }
                    for c in part
                ],
            )
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO report_index (report_id, index_key, collection, n_chunks,"
                " indexed_at) VALUES (?,?,?,?,?)",
                (report_id, self.index_key, self.collection_name, len(chunks), now_iso()),
            )
        return len(chunks)

    def remove_report(self, report_id: str) -> None:
        """Forget a report's chunks under this key (SQLite rows, FTS entries and vectors)."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM report_index WHERE report_id=? AND index_key=?",
                (report_id, self.index_key),
            )
            conn.execute(
                "DELETE FROM chunks WHERE report_id=? AND index_key=?",
                (report_id, self.index_key),
            )
        self.collection.delete(where={"report_id": report_id})

    # --- reading ------------------------------------------------------------------------
    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM chunks WHERE chunk_id IN ({marks})", list(chunk_ids)
            ).fetchall()
        return {
            r["chunk_id"]: Passage(
                chunk_id=r["chunk_id"],
                report_id=r["report_id"],
                page=r["page"],
                text=r["text"],
                score=0.0,
                char_start=r["char_start"],
                char_end=r["char_end"],
                section=r["section"],
                ocr=bool(r["ocr"]),
            )
            for r in rows
        }

    def report_chunks(self, report_id: str) -> list[Passage]:
        """Every chunk of a report in reading order."""
        with self.db.connect() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT chunk_id FROM chunks WHERE report_id=? AND index_key=? ORDER BY seq",
                    (report_id, self.index_key),
                )
            ]
        found = self.chunks_by_id(ids)
        return [found[i] for i in ids]

    def lexical(self, query: str, report_ids: Sequence[str] | None, n: int) -> list[str]:
        """Chunk ids ranked by BM25 (SQLite FTS5)."""
        match = fts_query(query)
        if match is None:
            return []
        sql = (
            "SELECT c.chunk_id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? AND c.index_key = ?"
        )
        params: list = [match, self.index_key]
        if report_ids:
            sql += f" AND c.report_id IN ({','.join('?' * len(report_ids))})"
            params.extend(report_ids)
        sql += " ORDER BY bm25(chunks_fts) LIMIT ?"
        params.append(n)
        with self.db.connect() as conn:
            return [r[0] for r in conn.execute(sql, params)]

    def dense(self, query: str, report_ids: Sequence[str] | None, n: int) -> list[str]:
        """Chunk ids ranked by cosine similarity of embeddings (Chroma)."""
        where = None
        if report_ids:
            where = (
                {"report_id": report_ids[0]}
                if len(report_ids) == 1
                else {"report_id": {"$in": list(report_ids)}}
            )
        result = self.collection.query(
            query_embeddings=[self.embedder.embed_query(query).tolist()],
            n_results=n,
            where=where,
            include=[],
        )
        return list(result["ids"][0]) if result["ids"] else []

    def search(
        self,
        query: str,
        report_ids: Sequence[str] | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
    ) -> list[Passage]:
        """Top-k passages for a query: hybrid (default), dense-only or lexical-only."""
        k = k or self.settings.retrieval.top_k
        mode = mode or self.settings.retrieval.mode
        n = max(self.settings.retrieval.candidates, k)
        rankings: dict[str, list[str]] = {}
        if mode in ("hybrid", "lexical"):
            rankings["lexical"] = self.lexical(query, report_ids, n)
        if mode in ("hybrid", "dense"):
            rankings["dense"] = self.dense(query, report_ids, n)
        fused = rrf_fuse(rankings, self.settings.retrieval.rrf_k)[:k]
        found = self.chunks_by_id([chunk_id for chunk_id, _ in fused])
        passages = []
        for chunk_id, score in fused:
            passage = found.get(chunk_id)
            if passage is None:  # vector without a chunk row: a stale store, skip it
                continue
            passage.score = round(score, 6)
            passage.ranks = {
                name: ranking.index(chunk_id) + 1
                for name, ranking in rankings.items()
                if chunk_id in ranking
            }
            passages.append(passage)
        return passages
