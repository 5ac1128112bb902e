"""Issue 10, "settings that lie": every setting reaches its use, the settings object is frozen,
and `settings_hash` (what marks a stored draft stale) covers exactly the settings that shape a
draft.

Each field of the settings object has one case in CASES, which sets the field the way a user
does (an environment variable, or the config file) and checks its effect through the real code:
real PDFs, a real Chroma store, the scripted OpenAI-compatible server over real HTTP. A field
without a case fails `test_every_setting_has_a_case`, so a new setting must come with one.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from assistant.config import (
    EVIDENCE_SETTINGS,
    REPLY_SETTINGS,
    Settings,
    UISettings,
    load_settings,
)
from assistant.errors import ReviewAssistantError
from tests.bad_pdfs import write_image_only_pdf
from tests.doubles.scripted_llm_server import reply, status, valid_draft_handler
from tests.make_pdf import text_pdf

TOPICS = ["neglect", "exploitation", "training", "audit", "voice of the child", "funding"]
# Six pages of different subjects: enough passages that a search has more than a few results.
PAGES = [
    [
        f"Section {n}: {topic}",
        f"The partnership reviewed its work on {topic} during the year.",
        f"Practitioners said the {topic} guidance helped them act sooner.",
        f"The board will report on {topic} again next year.",
    ]
    for n, topic in enumerate(TOPICS, 1)
]
SCHEMA = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def leaf_fields(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Dotted names of every setting (`llm.model`, `home`, ...)."""
    names = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names += leaf_fields(kind, f"{prefix}{name}.")
        else:
            names.append(prefix + name)
    return names


def setenv(monkeypatch, **values) -> None:
    """`llm__model="x"` → REVIEW_ASSISTANT_LLM__MODEL=x."""
    for name, value in values.items():
        monkeypatch.setenv(f"REVIEW_ASSISTANT_{name.upper()}", str(value))


def fresh():
    from assistant.service import Assistant

    return Assistant()


def ingest(a, tmp_path: Path, pages=PAGES, name="report.pdf"):
    [result] = list(a.ingest([text_pdf(tmp_path / name, pages)]))
    return result


def indexed(a, tmp_path: Path):
    result = ingest(a, tmp_path)
    assert result.status == "indexed", result.error
    return result.report


def complete(a, text: str = "hello"):
    """One chat completion through the real provider (a Completion: content, tokens, cost)."""
    provider = a.engine("llm").provider
    return provider.complete(
        [{"role": "user", "content": text}], SCHEMA, "probe", template=("probe", 1)
    )


CASES: dict[str, Callable] = {}


def case(field: str):
    def register(check: Callable) -> Callable:
        assert field not in CASES, field
        CASES[field] = check
        return check

    return register


# --- top level ------------------------------------------------------------------------------
@case("home")
def _home(request, monkeypatch, tmp_path):
    home = tmp_path / "elsewhere"
    monkeypatch.setenv("REVIEW_ASSISTANT_HOME", str(home))
    indexed(fresh(), tmp_path)
    assert (home / "review.sqlite3").is_file() and (home / "chroma").is_dir()


@case("engine")
def _engine(request, monkeypatch, tmp_path):
    setenv(monkeypatch, llm__base_url="http://127.0.0.1:9/v1")  # auto would choose llm
    assert fresh().engine().name == "llm"
    setenv(monkeypatch, engine="offline")
    assert fresh().engine().name == "offline"


@case("bank")
def _bank(request, monkeypatch, tmp_path):
    prompts = Path(__file__).resolve().parent.parent / "prompts"
    shutil.copy(prompts / "picklists.yaml", tmp_path / "picklists.yaml")
    text = (prompts / "audit_tool.yaml").read_text(encoding="utf-8")
    assert 'version: "2018.1"' in text
    bank = tmp_path / "bank.yaml"
    bank.write_text(text.replace('version: "2018.1"', 'version: "2099.9"'), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f"bank = {json.dumps(str(bank))}\n", encoding="utf-8")
    monkeypatch.setenv("REVIEW_ASSISTANT_CONFIG", str(config))  # through the config file
    a = fresh()
    report = indexed(a, tmp_path)
    drafter = a.drafter("offline")
    outcome = drafter.draft_question(report, drafter.bank.questions[0])
    assert outcome.draft.bank_version == "2099.9"


# --- embedding ------------------------------------------------------------------------------
@case("embedding.name")
def _embedding_name(request, monkeypatch, tmp_path):
    setenv(monkeypatch, embedding__name="hash")
    a = fresh()
    assert a.embedder.name == "hash" and a.index.index_key == a.settings.index_key(
        a.embedder.fingerprint()
    )
    setenv(monkeypatch, embedding__name="hashh")
    with pytest.raises(ReviewAssistantError, match="unknown embedding.name 'hashh'"):
        fresh().embedder  # noqa: B018


def _openai_embedder(request, monkeypatch, tmp_path, **extra):
    server = request.getfixturevalue("scripted_llm")
    setenv(monkeypatch, embedding__name="openai", embedding__base_url=server.url)
    setenv(monkeypatch, embedding__api_key="emb-key", embedding__model="emb-model", **extra)
    indexed(fresh(), tmp_path)
    embeds = [r for r in server.requests if r.path.endswith("/embeddings")]
    assert embeds
    return embeds


@case("embedding.base_url")
def _embedding_base_url(request, monkeypatch, tmp_path):
    assert _openai_embedder(request, monkeypatch, tmp_path)  # the requests reached the server


@case("embedding.api_key")
def _embedding_api_key(request, monkeypatch, tmp_path):
    embeds = _openai_embedder(request, monkeypatch, tmp_path)
    assert {r.headers.get("authorization") for r in embeds} == {"Bearer emb-key"}


@case("embedding.model")
def _embedding_model(request, monkeypatch, tmp_path):
    embeds = _openai_embedder(request, monkeypatch, tmp_path)
    assert {r.json["model"] for r in embeds} == {"emb-model"}


@case("embedding.batch_size")
def _embedding_batch_size(request, monkeypatch, tmp_path):
    embeds = _openai_embedder(request, monkeypatch, tmp_path, embedding__batch_size=2)
    sizes = [len(r.json["input"]) for r in embeds if isinstance(r.json["input"], list)]
    assert max(sizes) == 2, sizes  # six passages, sent two at a time
    from assistant.config import EmbeddingSettings

    assert EmbeddingSettings(name="minilm", batch_size=5).options(tmp_path) == {"batch_size": 5}


# --- chunking -------------------------------------------------------------------------------
def _chunk_texts(a, report_id: str) -> list[str]:
    with a.db.connect() as conn:
        return [
            r[0] for r in conn.execute("SELECT text FROM chunks WHERE report_id=?", (report_id,))
        ]


LONG_PAGES = [  # about 500 characters a page, in lines of different words
    [
        f"Line {i}: the {topic} work of agency {chr(65 + i)} was reviewed in term {i}."
        for i in range(8)
    ]
    for topic in TOPICS[:3]
]


@case("chunking.size")
def _chunking_size(request, monkeypatch, tmp_path):
    setenv(monkeypatch, chunking__size=200, chunking__overlap=0)
    a = fresh()
    report = ingest(a, tmp_path, LONG_PAGES).report
    texts = _chunk_texts(a, report.report_id)
    assert len(texts) > 3 and max(len(t) for t in texts) <= 200


@case("chunking.overlap")
def _chunking_overlap(request, monkeypatch, tmp_path):
    setenv(monkeypatch, chunking__size=200, chunking__overlap=80)
    a = fresh()
    report = ingest(a, tmp_path, LONG_PAGES).report
    texts = _chunk_texts(a, report.report_id)
    # consecutive passages of a page share text: the end of one starts the next
    assert any(a_[-40:] in b for a_, b in zip(texts, texts[1:], strict=False)), texts[:3]


# --- chroma ---------------------------------------------------------------------------------
def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@case("chroma.host")
def _chroma_host(request, monkeypatch, tmp_path):
    setenv(monkeypatch, chroma__host="127.0.0.1", chroma__port=_closed_port())
    with pytest.raises(ReviewAssistantError, match="cannot reach the Chroma server at 127.0.0.1"):
        fresh().index.collection  # noqa: B018


@case("chroma.port")
def _chroma_port(request, monkeypatch, tmp_path):
    port = _closed_port()
    setenv(monkeypatch, chroma__host="127.0.0.1", chroma__port=port)
    with pytest.raises(ReviewAssistantError, match=f"127.0.0.1:{port}"):
        fresh().index.collection  # noqa: B018


@case("chroma.path")
def _chroma_path(request, monkeypatch, tmp_path):
    setenv(monkeypatch, chroma__path=tmp_path / "vectors")
    indexed(fresh(), tmp_path)
    assert (tmp_path / "vectors" / "chroma.sqlite3").is_file()


# --- retrieval ------------------------------------------------------------------------------
@case("retrieval.mode")
def _retrieval_mode(request, monkeypatch, tmp_path):
    report = indexed(fresh(), tmp_path)
    assert any("dense" in p.ranks for p in fresh().search(report.report_id, "neglect"))
    setenv(monkeypatch, retrieval__mode="lexical")
    found = fresh().search(report.report_id, "neglect")
    assert found and all(set(p.ranks) == {"lexical"} for p in found)


@case("retrieval.candidates")
def _retrieval_candidates(request, monkeypatch, tmp_path):
    setenv(monkeypatch, retrieval__candidates=50)
    a = fresh()
    report = indexed(a, tmp_path)
    asked = []
    lexical = a.index.lexical
    a.index.lexical = lambda query, ids, n: asked.append(n) or lexical(query, ids, n)
    a.search(report.report_id, "neglect", k=3)
    assert asked == [50]


@case("retrieval.rrf_k")
def _retrieval_rrf_k(request, monkeypatch, tmp_path):
    setenv(monkeypatch, retrieval__rrf_k=10, retrieval__mode="lexical")
    a = fresh()
    report = indexed(a, tmp_path)
    assert a.search(report.report_id, "neglect")[0].score == round(1 / 11, 6)


@case("retrieval.top_k")
def _retrieval_top_k(request, monkeypatch, tmp_path):
    report = indexed(fresh(), tmp_path)
    drafter = fresh().drafter("offline")
    question = drafter.bank.questions[0]
    assert len(drafter.draft_question(report, question).evidence) > 2  # the default, 8
    setenv(monkeypatch, retrieval__top_k=2)
    a = fresh()
    assert len(a.search(report.report_id, "neglect")) == 2
    outcome = a.drafter("offline").draft_question(report, question, replace=True)
    assert len(outcome.evidence) == 2  # the draft's evidence blocks


@case("retrieval.rerank")
def _retrieval_rerank(request, monkeypatch, tmp_path):
    # weights for the test's embedder that put the report's last candidate pages first
    from assistant import rerank_weights

    monkeypatch.setattr(rerank_weights, "WEIGHTS_DIR", tmp_path / "weights")
    rerank_weights.WEIGHTS_DIR.mkdir()
    rerank_weights.weights_path("hash").write_text(
        json.dumps({"version": "test-late-pages", "base": {"pos": 10.0}}), encoding="utf-8"
    )
    rerank_weights.load_weights.cache_clear()
    request.addfinalizer(rerank_weights.load_weights.cache_clear)
    report = indexed(fresh(), tmp_path)
    drafter = fresh().drafter("offline")
    question = drafter.bank.get("A2")
    learned = [b.page for b in drafter.draft_question(report, question).evidence]
    assert learned == sorted(learned, reverse=True)  # "pos" alone orders the pages
    setenv(monkeypatch, retrieval__rerank=False)
    fused = [
        b.page
        for b in fresh().drafter("offline").draft_question(report, question, replace=True).evidence
    ]
    assert fused != learned and sorted(fused) == sorted(learned)


# --- ingest ---------------------------------------------------------------------------------
@case("ingest.max_file_mb")
def _max_file_mb(request, monkeypatch, tmp_path):
    # (app.py passes it to Gradio's upload limit too)
    setenv(monkeypatch, ingest__max_file_mb=0)
    result = ingest(fresh(), tmp_path)
    assert result.status == "failed" and "over the 0 MiB limit" in result.error


@case("ingest.max_pages")
def _max_pages(request, monkeypatch, tmp_path):
    setenv(monkeypatch, ingest__max_pages=5)
    result = ingest(fresh(), tmp_path)
    assert result.status == "failed" and "6 pages, over the 5-page limit" in result.error


@case("ingest.min_chars_per_page")
def _min_chars(request, monkeypatch, tmp_path):
    assert not [w for w in ingest(fresh(), tmp_path).warnings if "little text" in w]
    setenv(monkeypatch, ingest__min_chars_per_page=2000)
    result = ingest(fresh(), tmp_path, name="again.pdf", pages=[*PAGES, ["Annex"]])
    assert any("little text on page(s) 1-7" in w for w in result.warnings), result.warnings


@case("ingest.ocr")
def _ocr(request, monkeypatch, tmp_path):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr not installed")
    pdf = write_image_only_pdf(tmp_path / "scan.pdf", ["Neglect was the first priority."])
    [failed] = list(fresh().ingest([pdf]))
    assert failed.status == "failed" and "looks scanned" in failed.error
    setenv(monkeypatch, ingest__ocr="true")
    [result] = list(fresh().ingest([pdf]))
    assert result.status == "indexed", result.error


@case("ingest.ocr_language")
def _ocr_language(request, monkeypatch, tmp_path, caplog):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr not installed")
    pdf = write_image_only_pdf(tmp_path / "scan.pdf", ["Neglect was the first priority."])
    setenv(monkeypatch, ingest__ocr="true", ingest__ocr_language="zzz")  # not installed
    [result] = list(fresh().ingest([pdf]))
    assert result.status == "failed"
    assert "zzz" in caplog.text  # tesseract was asked for that language and refused it


# --- llm ------------------------------------------------------------------------------------
def _llm(request, monkeypatch, **values):
    server = request.getfixturevalue("scripted_llm")
    setenv(monkeypatch, llm__base_url=server.url, llm__model="scripted-model", **values)
    return server


@case("llm.base_url")
def _llm_base_url(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch)
    server.enqueue(reply({"ok": 1}))
    assert json.loads(complete(fresh())[0]) == {"ok": 1}
    assert len(server.chat_requests()) == 1


@case("llm.api_key")
def _llm_api_key(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__api_key="sk-settings")
    server.enqueue(reply({}))
    complete(fresh())
    assert server.chat_requests()[0].headers.get("authorization") == "Bearer sk-settings"


@case("llm.model")
def _llm_model(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch)
    setenv(monkeypatch, llm__model="other-model")
    server.enqueue(reply({}))
    complete(fresh())
    assert server.chat_requests()[0].json["model"] == "other-model"


@case("llm.timeout")
def _llm_timeout(request, monkeypatch, tmp_path):
    from tests.doubles.scripted_llm_server import delay

    server = _llm(request, monkeypatch, llm__timeout=0.5, llm__max_retries=0)
    server.enqueue(delay(3, reply({})))
    started = time.monotonic()
    with pytest.raises(ReviewAssistantError, match=r"llm\.timeout \(0\.5 s\)"):
        complete(fresh())
    assert time.monotonic() - started < 2.5


@case("llm.max_retries")
def _llm_max_retries(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__max_retries=2)
    server.enqueue(status(503), status(503), reply({"ok": 1}))
    assert json.loads(complete(fresh())[0]) == {"ok": 1}
    assert len(server.chat_requests()) == 3
    server.reset()
    setenv(monkeypatch, llm__max_retries=0)
    server.enqueue(status(503), reply({}))
    with pytest.raises(ReviewAssistantError):
        complete(fresh(), "another prompt")
    assert len(server.chat_requests()) == 1


@case("llm.temperature")
def _llm_temperature(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__temperature=0.7)
    server.enqueue(reply({}))
    complete(fresh())
    assert server.chat_requests()[0].json["temperature"] == 0.7


@case("llm.json_schema")
def _llm_json_schema(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch)
    server.enqueue(reply({}), reply({}))
    complete(fresh())
    setenv(monkeypatch, llm__json_schema="false")
    complete(fresh(), "another prompt")
    formats = [r.json["response_format"]["type"] for r in server.chat_requests()]
    assert formats == ["json_schema", "json_object"]


@case("llm.max_tokens")
def _llm_max_tokens(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__max_tokens=77)
    server.enqueue(reply({}), reply({}))
    complete(fresh())
    setenv(monkeypatch, llm__max_tokens=0)
    complete(fresh(), "another prompt")
    assert server.chat_requests()[0].json["max_tokens"] == 77
    assert "max_tokens" not in server.chat_requests()[1].json


@case("llm.concurrency")
def _llm_concurrency(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__concurrency=2)
    server.handler = valid_draft_handler
    server.latency = 0.3
    folder = tmp_path / "year"
    folder.mkdir()
    text_pdf(folder / "report.pdf", PAGES)
    a = fresh()
    ids = [q.id for q in a.bank.questions if q.answer_type != "free_text"][:5]
    a.score(folder, engine="llm", question_ids=ids)
    assert len(server.chat_requests()) >= 5 and server.max_concurrency == 2


@case("llm.cache")
def _llm_cache(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch)
    server.enqueue(reply({"n": 1}), reply({"n": 2}), reply({"n": 3}))
    assert complete(fresh())[0] == complete(fresh())[0]  # the repeat came from the call log
    assert len(server.chat_requests()) == 1
    setenv(monkeypatch, llm__cache="false")
    assert json.loads(complete(fresh())[0]) == {"n": 2}
    assert len(server.chat_requests()) == 2


@case("llm.prices")
def _llm_prices(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__prices='{"scripted-model": [1.0, 2.0]}')
    server.enqueue(reply({}))
    call = complete(fresh())
    prompt, completion = call.prompt_tokens, call.completion_tokens
    assert prompt and call.cost == round((prompt * 1.0 + completion * 2.0) / 1e6, 6)


@case("llm.context")
def _llm_context(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__context="whole-report")
    server.handler = valid_draft_handler
    a = fresh()
    report = indexed(a, tmp_path)
    a.draft_report(report.report_id, question_ids=["A1"], engine="llm")
    user = server.chat_requests()[0].json["messages"][1]["content"]
    assert '<evidence id="P1" page="1"' in user and '<evidence id="E1"' not in user


@case("llm.context_tokens")
def _llm_context_tokens(request, monkeypatch, tmp_path):
    server = _llm(request, monkeypatch, llm__context="whole-report", llm__context_tokens=1000)
    server.handler = valid_draft_handler
    a = fresh()
    report = indexed(a, tmp_path)
    [outcome] = a.draft_report(report.report_id, question_ids=["A1"], engine="llm")[1]
    assert "does not fit llm.context_tokens (1,000)" in outcome.draft.marker
    assert '<evidence id="E1"' in server.chat_requests()[0].json["messages"][1]["content"]


# --- ui -------------------------------------------------------------------------------------
@case("ui.allowed_hosts")
def _ui_allowed_hosts(request, monkeypatch, tmp_path):
    # Through app.py's served app end to end: tests/test_ui_hosts.py (a subprocess, so not
    # repeated here); this checks the value reaches the host guard the app builds from it.
    from assistant.ui.hosts import AllowedHosts

    setenv(monkeypatch, ui__allowed_hosts='["review.example.org"]')
    settings = load_settings()
    assert AllowedHosts("127.0.0.1", settings.ui.allowed_hosts).permits("review.example.org")
    assert not AllowedHosts("127.0.0.1", UISettings().allowed_hosts).permits("review.example.org")


# --- the tests ------------------------------------------------------------------------------
def test_every_setting_has_a_case():
    assert sorted(CASES) == sorted(leaf_fields()), "give each new setting a case in CASES"


@pytest.mark.parametrize("field", sorted(CASES))
def test_setting_reaches_its_use(field, request, monkeypatch, tmp_path, caplog):
    caplog.set_level("WARNING")
    check = CASES[field]
    if field == "ingest.ocr_language":
        check(request, monkeypatch, tmp_path, caplog)
    else:
        check(request, monkeypatch, tmp_path)


def test_settings_are_frozen():
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.llm.cache = False
    with pytest.raises(ValidationError):
        settings.home = Path("/elsewhere")
    copy = settings.model_copy(update={"llm": settings.llm.model_copy(update={"cache": False})})
    assert copy.llm.cache is False and settings.llm.cache is True


# A different value for each setting; which ones mark stored drafts stale is stated below.
OTHER_VALUE = {
    "home": Path("/tmp/other-home"),
    "engine": "offline",
    "bank": Path("/tmp/bank.yaml"),
    "embedding.name": "minilm",
    "embedding.base_url": "http://127.0.0.1:1/v1",
    "embedding.api_key": SecretStr("secret"),
    "embedding.model": "other",
    "embedding.batch_size": 7,
    "chunking.size": 900,
    "chunking.overlap": 100,
    "chroma.host": "127.0.0.1",
    "chroma.port": 8001,
    "chroma.path": Path("/tmp/chroma"),
    "retrieval.mode": "dense",
    "retrieval.candidates": 30,
    "retrieval.rrf_k": 50,
    "retrieval.top_k": 5,
    "retrieval.rerank": False,
    "ingest.max_file_mb": 10,
    "ingest.max_pages": 10,
    "ingest.min_chars_per_page": 10,
    "ingest.ocr": True,
    "ingest.ocr_language": "fra",
    "llm.base_url": "http://127.0.0.1:1/v1",
    "llm.api_key": SecretStr("secret"),
    "llm.model": "other",
    "llm.timeout": 5.0,
    "llm.max_retries": 0,
    "llm.temperature": 0.5,
    "llm.json_schema": False,
    "llm.max_tokens": 10,
    "llm.concurrency": 1,
    "llm.cache": False,
    "llm.prices": {"other": (1.0, 2.0)},
    "llm.context": "theme",
    "llm.context_tokens": 4000,
    "ui.allowed_hosts": ["x.example"],
}
EVIDENCE = {  # change the evidence of every engine's drafts
    "embedding.name", "embedding.base_url", "embedding.model", "chunking.size",
    "chunking.overlap", "retrieval.mode", "retrieval.candidates", "retrieval.rrf_k",
    "retrieval.top_k", "retrieval.rerank",
}  # fmt: skip
REPLY = {  # change the LLM's reply
    "llm.base_url", "llm.model", "llm.temperature", "llm.json_schema", "llm.max_tokens",
}  # fmt: skip


def with_value(settings: Settings, field: str, value) -> Settings:
    if "." not in field:
        return settings.model_copy(update={field: value})
    section, name = field.split(".")
    part = getattr(settings, section).model_copy(update={name: value})
    return settings.model_copy(update={section: part})


@pytest.mark.parametrize("field", leaf_fields())
def test_settings_hash_covers_what_shapes_a_draft(field):
    base = load_settings(chunking={"size": 1000, "overlap": 150})
    changed = with_value(base, field, OTHER_VALUE[field])
    assert getattr(changed, field.split(".")[0]) != getattr(base, field.split(".")[0])
    llm_stale = base.settings_hash("llm") != changed.settings_hash("llm")
    offline_stale = base.settings_hash("offline") != changed.settings_hash("offline")
    assert llm_stale == (field in EVIDENCE | REPLY), field
    assert offline_stale == (field in EVIDENCE), field
    assert set(EVIDENCE_SETTINGS) == EVIDENCE and set(REPLY_SETTINGS) == REPLY


def test_settings_hash_ignores_credentials_in_urls():
    base = load_settings(llm={"base_url": "http://127.0.0.1:1/v1"})
    secret = load_settings(llm={"base_url": "http://user:pw@127.0.0.1:1/v1"})
    assert base.settings_hash() == secret.settings_hash()


def test_stored_drafts_go_stale_only_when_what_shapes_them_changes(monkeypatch, tmp_path):
    report = indexed(fresh(), tmp_path)
    drafter = fresh().drafter("offline")
    draft = drafter.draft_question(report, drafter.bank.questions[0]).draft
    setenv(monkeypatch, llm__concurrency=1, llm__temperature=0.9, llm__timeout=5)
    assert not fresh().drafter("offline").is_stale(draft)  # the offline engine has no model
    setenv(monkeypatch, retrieval__top_k=3)
    assert fresh().drafter("offline").is_stale(draft)
