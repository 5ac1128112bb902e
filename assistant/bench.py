"""`review-assistant bench`: extraction, embedding and full-index speed, as ratios in one run.

Absolute times depend on the machine; the ratios (our ingest vs raw pypdf, static vs MiniLM,
projected year time vs the 10-minute target) are what to compare between runs.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

YEAR_PAGES = 9000  # ~130-150 reports of 40-100 pages
TARGET_YEAR_SECONDS = 600


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_benchmark(n_reports: int = 8, embedders: list[str] | None = None) -> dict:
    """Generate reports, then time each stage; returns numbers plus a printable summary."""
    from pypdf import PdfReader

    from assistant.chunking import chunk_pages
    from assistant.config import load_settings
    from assistant.ingest import parse_pdf
    from assistant.service import Assistant
    from evals.sample_reports import generate_sample_set

    embedders = embedders or ["static", "minilm"]
    out: dict = {"reports": n_reports, "embedders": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        built = generate_sample_set(tmp_path / "pdfs", n=n_reports, seed=777)
        out["generate_s"] = round(time.perf_counter() - t0, 2)
        files = [b.path for b in built]

        t0 = time.perf_counter()
        n_pages = 0
        for f in files:
            for page in PdfReader(f).pages:
                page.extract_text()
                n_pages += 1
        raw_s = time.perf_counter() - t0
        base = load_settings(home=tmp_path / "home")
        t0 = time.perf_counter()
        parsed = [parse_pdf(f, base.ingest) for f in files]
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        chunks = [
            c for p in parsed for c in chunk_pages(p.report_id, p.pages, base.chunking, "b" * 16)
        ]
        chunk_s = time.perf_counter() - t0
        out.update(
            pages=n_pages,
            chunks=len(chunks),
            raw_pypdf_pages_per_s=round(n_pages / raw_s, 1),
            ingest_pages_per_s=round(n_pages / ingest_s, 1),
            ingest_vs_raw_pypdf=round(raw_s / ingest_s, 3),
            chunking_chunks_per_s=round(len(chunks) / chunk_s, 1),
        )
        texts = [c.text for c in chunks]
        for name in embedders:
            home = tmp_path / f"home-{name}"
            assistant = Assistant(load_settings(home=home, embedding={"name": name}))
            t0 = time.perf_counter()
            assistant.embedder.embed_query("warm up")  # model load / distillation cache
            load_s = time.perf_counter() - t0
            sample = texts if name != "minilm" else texts[:160]
            t0 = time.perf_counter()
            assistant.embedder.embed_documents(sample)
            embed_rate = len(sample) / (time.perf_counter() - t0)
            row = {
                "load_s": round(load_s, 2),
                "embed_chunks_per_s": round(embed_rate, 1),
            }
            if name != "minilm" or n_reports <= 3:
                t0 = time.perf_counter()
                results = list(assistant.ingest(files))
                full_s = time.perf_counter() - t0
                assert all(r.status == "indexed" for r in results), results
                row["full_index_s"] = round(full_s, 2)
            else:  # full MiniLM indexing is projected from its measured rate, not run
                per_chunk = 1 / embed_rate
                row["full_index_s_projected"] = round(
                    ingest_s + chunk_s + per_chunk * len(chunks), 1
                )
            full = row.get("full_index_s") or row["full_index_s_projected"]
            row["year_projection_min"] = round(full / n_pages * YEAR_PAGES / 60, 1)
            row["year_vs_target"] = round(full / n_pages * YEAR_PAGES / TARGET_YEAR_SECONDS, 2)
            out["embedders"][name] = row
        out["peak_rss_mb"] = round(_peak_rss_mb(), 0)
    out["text"] = _summary(out)
    return out


def _summary(out: dict) -> str:
    lines = [
        f"benchmark: {out['reports']} generated reports, {out['pages']} pages, "
        f"{out['chunks']} chunks",
        f"  raw pypdf extraction     {out['raw_pypdf_pages_per_s']:>8} pages/s",
        f"  ingest (normalised)      {out['ingest_pages_per_s']:>8} pages/s   "
        f"ratio vs raw pypdf {out['ingest_vs_raw_pypdf']:.2f}",
        f"  chunking                 {out['chunking_chunks_per_s']:>8} chunks/s",
    ]
    for name, row in out["embedders"].items():
        full = row.get("full_index_s", row.get("full_index_s_projected"))
        how = "measured" if "full_index_s" in row else "projected"
        lines.append(
            f"  embed [{name:>7}]         {row['embed_chunks_per_s']:>8} chunks/s   "
            f"full index {full} s ({how}); a {YEAR_PAGES}-page year ≈ "
            f"{row['year_projection_min']} min = {row['year_vs_target']}× the 10-min target"
        )
    if {"static", "minilm"} <= out["embedders"].keys():
        ratio = (
            out["embedders"]["static"]["embed_chunks_per_s"]
            / out["embedders"]["minilm"]["embed_chunks_per_s"]
        )
        lines.append(f"  static vs MiniLM embedding speed: {ratio:.0f}×")
    lines.append(f"  peak RSS {out['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)
