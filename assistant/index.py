"""Index and retrieval: dense vectors in Chroma, BM25 in SQLite FTS5, fused by RRF.

Chroma's local build has no sparse/BM25 index, so the lexical side lives in the app's SQLite
database next to the chunk records. Chroma runs embedded (PersistentClient) or as a shared
server (`chroma run`) through the same code.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections import OrderedDict
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


_FTS_CACHE_SIZE = 64  # reports whose in-memory BM25 table is kept


class _ReportFts:
    """One report's chunks in an in-memory FTS5 table (BM25 with that report's statistics)
    and its vectors (exact cosine), so its rankings depend on that report alone.

    The same tokenizer as the library table (porter unicode61), so a query matches the same
    words; only the statistics differ (stack-notes §8: FTS5 bm25() is table-wide).
    """

    def __init__(self, report_id: str, stamp, rows: list[tuple[str, int, str]]) -> None:
        self.report_id = report_id
        self.stamp = stamp
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute("CREATE VIRTUAL TABLE f USING fts5(text, tokenize='porter unicode61')")
        self._ids = {seq: chunk_id for chunk_id, seq, _ in rows}
        self._chunk_ids = [chunk_id for chunk_id, _, _ in rows]  # reading order
        self._vectors = None  # read from Chroma on the first dense query
        self._order: list[str] = []
        self._structure = None  # built on first use from the pages table
        self._sections = None
        self._conn.executemany(
            "INSERT INTO f(rowid, text) VALUES (?, ?)", [(seq, text) for _, seq, text in rows]
        )

    def search(self, match: str, n: int) -> list[tuple[float, str, int, str]]:
        """(bm25, report id, seq, chunk id), best first; ties in reading order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT rowid, bm25(f) AS score FROM f WHERE f MATCH ? "
                "ORDER BY score, rowid LIMIT ?",
                (match, n),
            ).fetchall()
        return [(score, self.report_id, seq, self._ids[seq]) for seq, score in rows]

    def nearest(self, index: ChunkIndex, vector, n: int) -> list[tuple[float, str]]:
        """(cosine distance, chunk id) of the n nearest chunks, exact; ties in reading order."""
        import numpy as np

        with self._lock:
            if self._vectors is None:
                got = index.collection.get(
                    where={"report_id": self.report_id}, include=["embeddings"]
                )
                by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
                self._order = [i for i in self._chunk_ids if i in by_id]
                self._vectors = (
                    np.asarray([by_id[i] for i in self._order], dtype=np.float32)
                    if self._order
                    else np.zeros((0, len(vector)), dtype=np.float32)
                )
            vectors, order = self._vectors, self._order
        if not order:
            return []
        # rounded, so that float noise between equal passages cannot reorder them
        distances = np.round(1.0 - vectors @ np.asarray(vector, dtype=np.float32), 6)
        best = np.lexsort((np.arange(len(order)), distances))[:n]  # distance, then reading order
        return [(float(distances[i]), order[i]) for i in best]

    def structure(self, index: ChunkIndex):
        """The report's contents-page structure (assistant/structure.py), built once."""
        from assistant.structure import build_structure

        with self._lock:
            if self._structure is None:
                with index.db.connect() as conn:
                    rows = conn.execute(
                        "SELECT page, text FROM pages WHERE report_id=?", (self.report_id,)
                    ).fetchall()
                self._structure = build_structure({r[0]: r[1] for r in rows})
            return self._structure

    def sections(self, index: ChunkIndex) -> tuple[list[str], dict[str, int], dict[str, int]]:
        """Section labels and, per chunk id, its section number and page."""
        structure = self.structure(index)
        with self._lock:
            if self._sections is None:
                with index.db.connect() as conn:
                    rows = conn.execute(
                        "SELECT chunk_id, page, section FROM chunks WHERE report_id=? AND "
                        "index_key=? ORDER BY seq",
                        (self.report_id, index.index_key),
                    ).fetchall()
                labels: dict[str, int] = {}
                of_chunk: dict[str, int] = {}
                pages: dict[str, int] = {}
                for chunk_id, page, heading in rows:
                    chapter = structure.section_of(page)
                    label = " / ".join(dict.fromkeys(x for x in (chapter, heading) if x))
                    of_chunk[chunk_id] = labels.setdefault(label, len(labels))
                    pages[chunk_id] = page
                self._sections = (list(labels), of_chunk, pages)
                names = list(labels)
                self._conn.execute(
                    "CREATE VIRTUAL TABLE s USING fts5(text, tokenize='porter unicode61')"
                )
                self._conn.executemany(
                    "INSERT INTO s(rowid, text) VALUES (?, ?)",
                    [(number, name) for number, name in enumerate(names)],
                )
            return self._sections

    def search_sections(self, index: ChunkIndex, match: str, n: int) -> list[int]:
        """Section numbers whose label matches the query best (BM25 over labels)."""
        self.sections(index)
        with self._lock:
            rows = self._conn.execute(
                "SELECT rowid FROM s WHERE s MATCH ? ORDER BY bm25(s), rowid LIMIT ?", (match, n)
            ).fetchall()
        return [r[0] for r in rows]


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
        self._fts_cache: OrderedDict[str, _ReportFts] = OrderedDict()
        self._fts_lock = threading.Lock()

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
        with self._fts_lock:
            self._fts_cache.pop(report_id, None)
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
        """Chunk ids ranked by BM25 (SQLite FTS5), ties broken by reading order.

        For named reports the BM25 statistics (document frequencies, average length) are each
        report's own, so ingesting other reports never re-ranks a report's evidence; several
        reports are merged by score. Without `report_ids` (a library-wide search) the
        statistics are the library's.
        """
        match = fts_query(query)
        if match is None:
            return []
        if report_ids:
            scored: list[tuple[float, str, int, str]] = []
            for report_id in dict.fromkeys(report_ids):
                scored.extend(self._report_fts(report_id).search(match, n))
            scored.sort()
            return [chunk_id for _, _, _, chunk_id in scored[:n]]
        sql = (
            "SELECT c.chunk_id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? AND c.index_key = ? "
            "ORDER BY bm25(chunks_fts), c.report_id, c.seq LIMIT ?"
        )
        with self.db.connect() as conn:
            return [r[0] for r in conn.execute(sql, [match, self.index_key, n])]

    def report_view(self, report_id: str) -> _ReportFts:
        """One report's cached retrieval view: its BM25 table, vectors and structure."""
        return self._report_fts(report_id)

    def _report_fts(self, report_id: str) -> _ReportFts:
        """The report's own FTS5 table (in memory), rebuilt when the report is re-indexed."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT indexed_at, n_chunks FROM report_index WHERE report_id=? AND index_key=?",
                (report_id, self.index_key),
            ).fetchone()
            stamp = (row[0], row[1]) if row else None
            with self._fts_lock:
                cached = self._fts_cache.get(report_id)
                if cached is not None and cached.stamp == stamp and stamp is not None:
                    self._fts_cache.move_to_end(report_id)
                    return cached
            rows = conn.execute(
                "SELECT chunk_id, seq, text FROM chunks WHERE report_id=? AND index_key=? "
                "ORDER BY seq",
                (report_id, self.index_key),
            ).fetchall()
        fts = _ReportFts(report_id, stamp, [(r[0], r[1], r[2]) for r in rows])
        with self._fts_lock:
            self._fts_cache[report_id] = fts
            while len(self._fts_cache) > _FTS_CACHE_SIZE:
                self._fts_cache.popitem(last=False)
        return fts

    def dense(self, query: str, report_ids: Sequence[str] | None, n: int) -> list[str]:
        """Chunk ids ranked by cosine similarity of embeddings, ties in reading order.

        For named reports the similarity is exact, over each report's own vectors (read once
        from Chroma), so a report's ranking never depends on what else the store holds (an
        approximate HNSW search with a filter can change as the store grows). Without
        `report_ids` it is Chroma's nearest-neighbour search over the library.
        """
        vector = self.embedder.embed_query(query)
        if report_ids:
            scored: list[tuple[float, str]] = []
            for report_id in dict.fromkeys(report_ids):
                scored.extend(self._report_fts(report_id).nearest(self, vector, n))
            scored.sort()
            return [chunk_id for _, chunk_id in scored[:n]]
        result = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=n, include=["distances"]
        )
        if not result["ids"] or not result["ids"][0]:
            return []
        pairs = zip(result["distances"][0], result["ids"][0], strict=True)
        return [chunk_id for _, chunk_id in sorted(pairs, key=lambda p: (round(p[0], 9), p[1]))]

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
