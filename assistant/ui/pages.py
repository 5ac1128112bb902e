"""Pages: the whole report at hand — page list, jump to a page, search within the report with
the hits highlighted, the rendered page, and the stored PDF opened at that page.

Reached from Library, Ask and Review ("Browse all pages"), which set the report and the page.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import html
import os
import shutil
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import ReviewAssistantError
from assistant.ui.common import AppContext, frame
from assistant.ui.render import (
    PAGE_HEADERS,
    find_hits,
    mark_hits,
    page_rows,
    render_page,
    report_choices,
)


@dataclass
class PageBrowser:
    """What other pages set to open the browser: the report picker and the page number."""

    report: Any
    page: Any
    query: Any
    show: Any  # (report_id, page, query) -> the views; chained after another page set them
    inputs: list
    outputs: list


# The stored PDFs live in the data directory, which Gradio does not serve. A copy of each
# opened PDF goes into one temp folder (by content hash), which app.py lets Gradio serve.
_PDF_LOCK = threading.Lock()
_pdf_dir: Path | None = None


def served_pdf_dir() -> Path:
    """The folder of servable PDF copies (created once, removed when the app exits)."""
    global _pdf_dir
    with _PDF_LOCK:
        if _pdf_dir is None or not _pdf_dir.is_dir():
            _pdf_dir = Path(tempfile.mkdtemp(prefix="review-assistant-pdfs-"))
            atexit.register(shutil.rmtree, _pdf_dir, ignore_errors=True)
        return _pdf_dir


def served_pdf(path: Path) -> Path:
    """A servable copy of a stored PDF (same bytes; copied once per content)."""
    stat = path.stat()
    served = _served_copy(str(path), stat.st_mtime_ns, stat.st_size)
    if not served.exists():  # the temp folder was swept: copy again
        _served_copy.cache_clear()
        served = _served_copy(str(path), stat.st_mtime_ns, stat.st_size)
    return served


@functools.lru_cache(maxsize=64)
def _served_copy(name: str, mtime_ns: int, size: int) -> Path:
    path = Path(name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    target = served_pdf_dir() / digest / path.name
    if not target.exists() or target.stat().st_size != size:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.part")
        shutil.copyfile(path, partial)
        os.replace(partial, target)
    return target


def pdf_link(path: Path, page: int) -> str:
    """An escaped link to a servable copy of the stored PDF, opened at `page` (#page=N)."""
    if not path.is_file():
        return f'<div class="msg msg-warn">PDF not found at {html.escape(str(path))}</div>'
    served = served_pdf(path)
    url = "/gradio_api/file=" + urllib.parse.quote(str(served)) + f"#page={page}"
    return (
        f'<a id="pg-pdf-link" href="{html.escape(url)}" target="_blank" rel="noopener">'
        f"Open the PDF at page {page} ↗</a>"
    )


def pages_page(ctx: AppContext) -> PageBrowser:
    """Build the Pages tab."""
    a = ctx.assistant
    with gr.Row(equal_height=True):
        report = gr.Dropdown(
            report_choices(a), value=None, label="Report", scale=4, elem_id="pg-report"
        )
        page_no = gr.Number(
            label="Page", precision=0, minimum=1, value=1, scale=1, elem_id="pg-page"
        )
        prev_btn = gr.Button("◀ Page", size="sm", scale=0, elem_id="pg-prev")
        next_btn = gr.Button("Page ▶", size="sm", scale=0, elem_id="pg-next")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=280):
            with gr.Row(equal_height=True):
                query = gr.Textbox(
                    label="Search within the report",
                    placeholder="e.g. budget, rapid review",
                    scale=4,
                    elem_id="pg-search",
                )
                find_btn = gr.Button("Find", size="sm", scale=1, elem_id="pg-find")
            summary = gr.Markdown("", elem_id="pg-summary")
            table = gr.Dataframe(
                frame([], PAGE_HEADERS),
                headers=PAGE_HEADERS,
                interactive=False,
                wrap=True,
                label="Pages (select one to see it)",
                elem_id="pg-list",
                max_height=600,
                column_widths=["12%", "14%", "12%", "62%"],
            )
        with gr.Column(scale=5, min_width=420):
            heading = gr.Markdown("_Pick a report._", elem_id="pg-head")
            link = gr.HTML("", elem_id="pg-pdf")
            with gr.Tabs():
                with gr.Tab("Page text"):
                    text = gr.HTML("", elem_id="pg-text")
                with gr.Tab("Page image"):
                    image = gr.Image(
                        None,
                        type="pil",
                        format="png",
                        interactive=False,
                        show_label=False,
                        elem_id="pg-image",
                        height=760,
                    )
    def listing(report_id, q) -> dict:
        if not report_id:
            return {table: frame([], PAGE_HEADERS), summary: ""}
        rec = a.reports.get(report_id)
        texts = a.page_texts(report_id)
        rows = page_rows(texts, rec.n_pages, q or "")
        if (q or "").strip():
            n_hits = sum(int(r[2]) for r in rows)
            line = f"**{n_hits} hit(s) of “{html.escape(q.strip())}” on {len(rows)} page(s)**"
        else:
            blank = [r[0] for r in rows if not r[1]]
            line = f"**{rec.n_pages} pages**" + (
                f" · no text on page(s) {a.describe_pages(blank)}" if blank else ""
            )
        return {table: frame(rows, PAGE_HEADERS), summary: line}

    def show(report_id, page, q) -> dict:
        if not report_id:
            return {heading: "_Pick a report._", link: "", text: "", image: None}
        try:
            rec = a.reports.get(report_id)
        except ReviewAssistantError as exc:
            return {heading: html.escape(str(exc)), link: "", text: "", image: None}
        page = min(max(int(page or 1), 1), max(rec.n_pages, 1))
        body = a.page_texts(report_id).get(page, "")
        hits = len(find_hits(body, q or ""))
        head = f"**Page {page} of {rec.n_pages}** · {html.escape(rec.display_name)}"
        if (q or "").strip():
            head += f" · {hits} hit(s) on this page"
        if not body.strip():
            head += " · no text on this page (image-only or scanned): see the page image"
        img, note = render_page(rec.path, page)
        if note:
            head += f" · {html.escape(note)}"
        return {
            heading: head,
            link: pdf_link(rec.path, page),
            text: mark_hits(body, q or ""),
            image: img,
            page_no: page,
        }

    def open_report(report_id, q):
        return {**listing(report_id, q), **show(report_id, 1, q)}

    def search(report_id, page, q):
        out = listing(report_id, q)
        rows = out[table].values.tolist() if report_id else []
        first = int(rows[0][0]) if rows and (q or "").strip() else page
        return {**out, **show(report_id, first, q)}

    def pick(report_id, q, evt: gr.SelectData):
        row = evt.row_value or []
        try:
            page = int(row[0])
        except (IndexError, TypeError, ValueError):
            return {}
        return show(report_id, page, q)

    def both(report_id, page, q):
        return {**listing(report_id, q), **show(report_id, page, q)}

    views = [table, summary, heading, link, text, image, page_no]
    report.input(open_report, [report, query], views)
    page_no.submit(show, [report, page_no, query], views)
    prev_btn.click(lambda r, p, q: show(r, (p or 1) - 1, q), [report, page_no, query], views)
    next_btn.click(lambda r, p, q: show(r, (p or 1) + 1, q), [report, page_no, query], views)
    find_btn.click(search, [report, page_no, query], views, api_name="search_pages")
    query.submit(search, [report, page_no, query], views)
    table.select(pick, [report, query], views)
    return PageBrowser(
        report=report,
        page=page_no,
        query=query,
        show=both,
        inputs=[report, page_no, query],
        outputs=views,
    )
