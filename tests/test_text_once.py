"""Issue 15 item 2: chunk text lives once, in SQLite; Chroma holds vectors, ids and the report
id. Search results and drafts are the same as with the text stored in Chroma as well."""

from __future__ import annotations

import shutil

from assistant.config import load_settings
from assistant.drafting.drafter import question_queries, retrieve_evidence
from assistant.service import Assistant


def _results(assistant: Assistant, questions) -> dict:
    out = {}
    for report in assistant.list_reports():
        rid = report.report_id
        for q in questions:
            for mode in ("hybrid", "dense", "lexical"):
                out[(rid, q.id, mode)] = [
                    (p.chunk_id, p.page, p.text, p.score, p.section, p.char_start)
                    for p in assistant.index.search(q.text, [rid], k=8, mode=mode)
                ]
            blocks = retrieve_evidence(assistant.index, question_queries(q), rid)
            out[(rid, q.id, "evidence")] = [(b.block_id, b.passage.text) for b in blocks]
        out[(rid, "drafts")] = sorted(
            (o.draft.question_id, str(o.draft.answer), tuple(o.draft.pages))
            for o in assistant.drafter("offline").draft_report(report, questions, replace=True)
        )
    out["library"] = [p.chunk_id for p in assistant.index.search("neglect audit", None, k=8)]
    return out


def _store_text_in_chroma_too(assistant: Assistant) -> None:
    """Rewrite the collection the way it was before text-once: documents and provenance."""
    index = assistant.index
    for report in assistant.list_reports():
        chunks = index.report_chunks(report.report_id)
        ids = [c.chunk_id for c in chunks]
        with index._writing() as collection:
            got = collection.get(ids=ids, include=["embeddings"])
            vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
            collection.upsert(
                ids=ids,
                embeddings=[list(map(float, vectors[i])) for i in ids],
                documents=[c.text for c in chunks],
                metadatas=[
                    {
                        "report_id": c.report_id,
                        "page": c.page,
                        "char_start": c.char_start,
                        "char_end": c.char_end,
                        "section": c.section or "",
                    }
                    for c in chunks
                ],
            )


def test_chroma_holds_no_text_and_results_match_the_text_in_chroma_layout(tmp_path, data_home):
    from evals.synthetic.sample_reports import generate_sample_set

    files = [r.path for r in generate_sample_set(tmp_path / "year", n=2, seed=15, length="short")]
    once = Assistant(load_settings(home=tmp_path / "once"))
    assert [r.status for r in once.ingest(files)] == ["indexed", "indexed"]
    stored = once.index.collection.get(include=["documents", "metadatas"])
    assert stored["ids"] and all(d is None for d in stored["documents"])
    assert all(set(m) == {"report_id"} for m in stored["metadatas"])

    shutil.copytree(tmp_path / "once", tmp_path / "twice")
    twice = Assistant(load_settings(home=tmp_path / "twice"))
    _store_text_in_chroma_too(twice)
    assert any(twice.index.collection.get(include=["documents"])["documents"])

    questions = [q for q in once.bank.questions if q.answerable_from_text][:12]
    got, expected = _results(once, questions), _results(twice, questions)
    assert got == expected
    # the text every result carries is the chunk's, read from SQLite
    rid = once.list_reports()[0].report_id
    rows = {c.chunk_id: c.text for c in once.index.report_chunks(rid)}
    hits = got[(rid, questions[0].id, "hybrid")]
    assert hits and all(text and text == rows[chunk_id] for chunk_id, _, text, *_ in hits)
