"""Index and retrieval: dense vectors in Chroma, BM25 in SQLite FTS5, fused by RRF.

Chroma's local build has no sparse/BM25 index, so the lexical side lives in the app's SQLite
database next to the chunk records. Chroma runs embedded (PersistentClient) or as a shared
server (`chroma run`) through the same code; an embedded client re-opens when another process
has written to the store (see `_EmbeddedStore`).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assistant.chunking import Chunk
from assistant.config import Settings
from assistant.db import Database
from assistant.errors import ConfigError
from assistant.library import now_iso
from assistant.structure import build_structure

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


class _EmbeddedStore:
    """This process's client of one embedded Chroma directory, shared by its ChunkIndexes.

    An embedded client keeps the vector index in memory and does not see what another process
    wrote after it opened (the UI beside a CLI `ingest`): a filtered query then fails with
    "Error finding id". So every write bumps a generation counter in the app's SQLite database
    (under the data directory's writer lock), and a client whose generation is behind is
    closed and re-opened before its next use, once the calls in flight in this process end.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.client = None
        self.generation = -1  # of the database counter when the client was opened
        self.collections: dict[str, object] = {}
        self.changed = threading.Condition()
        self.in_use = 0
        self.reopening = False

    def reopen(self) -> None:
        """Close the client (callers hold `changed` and no call is in flight)."""
        if self.client is not None:
            self.client.close()
        self.client = None
        self.collections = {}


_STORES: dict[str, _EmbeddedStore] = {}
_STORES_LOCK = threading.Lock()


def _embedded_store(path) -> _EmbeddedStore:
    key = str(Path(path).resolve())
    with _STORES_LOCK:
        return _STORES.setdefault(key, _EmbeddedStore(key))


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
        self._texts = {chunk_id: text for chunk_id, _, text in rows}
        self.restated: set[str] | None = None  # set by assistant/retrieval_strategies.py
        self.search_memo: dict | None = None  # each phrasing's ranking (retrieval_strategies)
        self.label_vectors: dict | None = None  # section labels' vectors (page_rerank.py)
        self._vectors = None  # read from Chroma on the first dense query
        self._order: list[str] = []
        self._structure = None  # built on first use from the pages table
        self._sections = None
        self._conn.executemany(
            "INSERT INTO f(rowid, text) VALUES (?, ?)", [(seq, text) for _, seq, text in rows]
        )

    def text_of(self, chunk_id: str) -> str:
        """A chunk's text ("" for a chunk not in this report)."""
        return self._texts.get(chunk_id, "")

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
                # by id (known from SQLite), not by a metadata filter: the lookup costs what
                # the report costs, however many reports the store holds
                with index._chroma() as collection:
                    got = collection.get(ids=self._chunk_ids, include=["embeddings"])
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
        self._collection = None  # with a Chroma server: the HTTP client's collection
        self._lock = threading.Lock()  # Chroma clients must not be created by two threads at once
        self._store = None if settings.chroma.host else _embedded_store(settings.chroma_path)
        self._fts_cache: OrderedDict[str, _ReportFts] = OrderedDict()
        self._fts_lock = threading.Lock()
        self._fts_building: dict[str, threading.Lock] = {}  # one view build at a time a report

    @property
    def collection(self):
        """The Chroma collection, current with what every process has written."""
        with self._chroma() as collection:
            return collection

    def _get_or_create(self, client):
        from assistant.embeddings import chroma_embedding_function

        return client.get_or_create_collection(
            self.collection_name,
            embedding_function=chroma_embedding_function(self.embedder),
            metadata={"hnsw:space": "cosine", "index_key": self.index_key},
        )

    def _generation(self) -> int:
        with self.db.connect() as conn:
            return conn.execute("SELECT generation FROM vector_store_writes").fetchone()[0]

    @contextmanager
    def _chroma(self) -> Iterator:
        """The collection for one or more calls; re-opened first if another process wrote."""
        store = self._store
        if store is None:  # a Chroma server sees every client's writes
            with self._lock:
                if self._collection is None:
                    self._collection = self._get_or_create(chroma_client(self.settings))
            yield self._collection
            return
        generation = self._generation()
        with store.changed:
            while store.reopening:
                store.changed.wait()
            if generation > store.generation and store.client is not None:
                log.debug("the vector store changed on disk: re-opening %s", store.path)
                store.reopening = True
                try:
                    while store.in_use:
                        store.changed.wait()
                    store.reopen()
                finally:
                    store.reopening = False
                    store.changed.notify_all()
            if store.client is None:
                store.client = chroma_client(self.settings)
            store.generation = max(store.generation, generation)
            collection = store.collections.get(self.collection_name)
            if collection is None:
                collection = store.collections[self.collection_name] = self._get_or_create(
                    store.client
                )
            store.in_use += 1
        try:
            yield collection
        finally:
            with store.changed:
                store.in_use -= 1
                store.changed.notify_all()

    @contextmanager
    def _writing(self) -> Iterator:
        """The collection for writes: the generation moves before (so a writer killed half-way
        still makes the others re-open) and after them."""
        with self._chroma() as collection:
            self._bump()
            try:
                yield collection
            finally:
                self._bump()

    def _bump(self) -> None:
        store = self._store
        if store is None:
            return
        with self.db.transaction() as conn:
            generation = conn.execute(
                "UPDATE vector_store_writes SET generation = generation + 1 RETURNING generation"
            ).fetchone()[0]
        with store.changed:  # this client made the change itself: it stays current
            if store.generation == generation - 1:
                store.generation = generation

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
        with self._writing() as collection:
            for start in range(0, len(chunks), batch):
                self._upsert(collection, chunks[start : start + batch], vectors[start:])
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO report_index (report_id, index_key, collection, n_chunks,"
                " indexed_at) VALUES (?,?,?,?,?)",
                (report_id, self.index_key, self.collection_name, len(chunks), now_iso()),
            )
        return len(chunks)

    @staticmethod
    def _upsert(collection, part: list[Chunk], vectors) -> None:
        """Vectors, ids and the report id only: the chunk text and its provenance live once,
        in SQLite (`chunks`), where every search result reads them from. Storing the text in
        Chroma as well cost 3x the upsert time and 4x the disk (issue 15)."""
        collection.upsert(
            ids=[c.chunk_id for c in part],
            embeddings=[v.tolist() for v in vectors[: len(part)]],
            metadatas=[{"report_id": c.report_id} for c in part],
        )

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
        with self._writing() as collection:
            collection.delete(where={"report_id": report_id})

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
        """The report's own FTS5 table (in memory), rebuilt when the report is re-indexed.

        One thread builds a report's view while the others drafting that report wait for it
        (16 drafting threads used to build the same view 16 times over at once)."""
        with self._fts_lock:
            building = self._fts_building.setdefault(report_id, threading.Lock())
        with building:
            return self._report_fts_built(report_id)

    def _report_fts_built(self, report_id: str) -> _ReportFts:
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
        with self._chroma() as collection:
            result = collection.query(
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
