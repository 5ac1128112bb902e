"""Ingest via the service and CLI: idempotency, versions, bad input, resumability, server mode."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.cli import main
from tests.bad_pdfs import (
    write_corrupt_pdf,
    write_empty_file,
    write_encrypted_pdf,
    write_image_only_pdf,
    write_mixed_pdf,
    write_not_a_pdf,
)
from tests.make_pdf import text_pdf

PAGES = [
    ["Halden Vale Safeguarding Children Partnership", "Annual Report 2021-22"],
    ["Our priorities", "Neglect and domestic abuse were the priorities this year."],
    ["Budget", "Police contributed 40,000 pounds and health 95,000 pounds to the budget."],
]


def _chunk_count(assistant) -> int:
    with assistant.db.connect() as conn:
        return conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


def test_reingest_is_a_noop_and_changed_file_is_new_version(assistant, tmp_path):
    pdf = text_pdf(tmp_path / "halden.pdf", PAGES)
    [first] = list(assistant.ingest([pdf]))
    assert first.status == "indexed" and first.report.period == "2021-22"
    chunks = _chunk_count(assistant)
    vectors = assistant.index.collection.count()
    [again] = list(assistant.ingest([pdf]))
    assert again.status == "unchanged" and again.report.report_id == first.report.report_id
    assert _chunk_count(assistant) == chunks and assistant.index.collection.count() == vectors

    changed = [list(p) for p in PAGES]
    changed[2].append("A late correction to the budget table.")
    text_pdf(pdf, changed)
    [second] = list(assistant.ingest([pdf]))
    assert second.status == "indexed"
    assert second.report.report_id != first.report.report_id
    assert second.report.previous_version == first.report.report_id
    assert [r.report_id for r in assistant.list_reports()] == [second.report.report_id]
    # the file name now resolves to the newest version; the old one is still there by id
    assert assistant.resolve_report("halden").report_id == second.report.report_id
    assert assistant.resolve_report(first.report.report_id[:10]).report_id == first.report.report_id


def test_report_refs_id_prefix_and_file_name(assistant, tmp_path):
    [result] = list(assistant.ingest([text_pdf(tmp_path / "halden.pdf", PAGES)]))
    rid = result.report.report_id
    for ref in (rid, rid[:8], "halden", "halden.pdf"):
        assert assistant.resolve_report(ref).report_id == rid
    from assistant.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no report matches"):
        assistant.resolve_report("nowhere")


def test_bad_inputs_each_get_one_clear_line_and_the_batch_carries_on(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_corrupt_pdf(folder / "corrupt.pdf")
    write_encrypted_pdf(folder / "locked.pdf")
    write_image_only_pdf(folder / "scanned.pdf", ["Scanned Safeguarding Partnership report"])
    write_not_a_pdf(folder / "webpage.pdf")
    write_empty_file(folder / "empty.pdf")
    write_mixed_pdf(folder / "mixed.pdf")
    text_pdf(folder / "good.pdf", PAGES)
    code = main(["ingest", str(folder), "--json"])
    assert code == 1  # some failed
    results = {Path(r["path"]).name: r for r in json.loads(capsys.readouterr().out)}
    assert results["good.pdf"]["status"] == "indexed"
    assert results["mixed.pdf"]["status"] == "indexed"
    assert results["mixed.pdf"]["no_text_pages"] == [2]
    assert "--ocr" in results["mixed.pdf"]["warnings"][0]
    expected = {
        "corrupt.pdf": "corrupt",
        "locked.pdf": "encrypted",
        "scanned.pdf": "--ocr",
        "webpage.pdf": "not a PDF",
        "empty.pdf": "empty",
    }
    for name, phrase in expected.items():
        assert results[name]["status"] == "failed", name
        assert name in results[name]["error"] and phrase in results[name]["error"], results[name]


def test_ingest_cli_text_summary_and_exit_code(tmp_path, capsys):
    text_pdf(tmp_path / "good.pdf", PAGES)
    assert main(["ingest", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 indexed" in out and "3 pages" in out
    assert main(["search", "good", "who paid into the budget", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and {"chunk_id", "page", "text", "score"} <= hits[0].keys()
    assert hits[0]["page"] == 3


def test_interrupted_indexing_is_completed_on_rerun_without_duplicates(
    assistant, tmp_path, monkeypatch
):
    pdf = text_pdf(tmp_path / "halden.pdf", PAGES)
    real = assistant.index.collection.upsert
    calls = {"n": 0}

    def crash(*args, **kwargs):
        calls["n"] += 1
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-embedding

    monkeypatch.setattr(assistant.index.collection, "upsert", crash)
    with pytest.raises(KeyboardInterrupt):
        list(assistant.ingest([pdf]))
    assert calls["n"] == 1
    monkeypatch.setattr(assistant.index.collection, "upsert", real)
    # pages were kept; the report is not marked indexed
    [rec] = assistant.list_reports()
    assert not assistant.index.is_indexed(rec.report_id)
    [result] = list(assistant.ingest([pdf]))
    assert result.status == "indexed"
    n = result.n_chunks
    assert _chunk_count(assistant) == n == assistant.index.collection.count()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_ocr_recovers_a_scanned_page(assistant, tmp_path):
    pdf = write_image_only_pdf(
        tmp_path / "scan.pdf", ["Safeguarding partners agreed neglect as a priority."]
    )
    [result] = list(assistant.ingest([pdf], ocr=True))
    assert result.status == "indexed", result.error
    assert result.report.ocr_pages == [1]
    text = assistant.reports.page_text(result.report.report_id, 1).lower()
    assert "neglect" in text and "priority" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    exe = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--path",
            str(tmp_path / "server-store"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_chroma_server_mode(chroma_server, tmp_path, monkeypatch, data_home):
    monkeypatch.setenv("REVIEW_ASSISTANT_CHROMA__HOST", "127.0.0.1")
    monkeypatch.setenv("REVIEW_ASSISTANT_CHROMA__PORT", str(chroma_server))
    from assistant.service import Assistant

    assistant = Assistant()
    [result] = list(assistant.ingest([text_pdf(tmp_path / "halden.pdf", PAGES)]))
    assert result.status == "indexed"
    hits = assistant.search("halden", "budget contributions from police and health", k=2)
    assert hits[0].page == 3
    assert not (data_home / "chroma").exists()  # vectors went to the server, not local disk
    import chromadb
    from chromadb.config import Settings

    client = chromadb.HttpClient(
        host="127.0.0.1", port=chroma_server, settings=Settings(anonymized_telemetry=False)
    )
    collection = client.get_collection(assistant.index.collection_name)
    assert collection.count() == result.n_chunks


def test_unreachable_chroma_server_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("REVIEW_ASSISTANT_CHROMA__HOST", "127.0.0.1")
    monkeypatch.setenv("REVIEW_ASSISTANT_CHROMA__PORT", str(_free_port()))
    text_pdf(tmp_path / "good.pdf", PAGES)
    assert main(["ingest", str(tmp_path)]) == 2
    assert "chroma run" in capsys.readouterr().err
