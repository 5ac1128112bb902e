"""Library page: upload PDFs, ingest them with progress, list and search the reports, draft one,
open one in Review (row click) or in the page browser."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import OCR_HINT, hide_paths, storage_problem
from assistant.ui.common import AppContext, draft_with_progress, error_text, frame, message
from assistant.ui.render import LIBRARY_HEADERS, library_rows, report_choices


def _store_upload(ctx: AppContext, upload: str) -> Path:
    """Copy an upload out of Gradio's temp cache, so the PDF stays available for page images."""
    source = Path(upload)
    target_dir = ctx.assistant.upload_dir(source)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    if not target.exists():
        shutil.copyfile(source, target)
    return target


def _discard_upload(ctx: AppContext, stored: Path | None) -> None:
    """Remove an upload's copy unless a stored report reads its pages from it: refused files
    (and files the library already has elsewhere) must not pile up in the data directory."""
    if stored is None or ctx.assistant.reports.file_in_use(stored):
        return
    stored.unlink(missing_ok=True)
    try:
        stored.parent.rmdir()
    except OSError:  # not empty: another upload of the same bytes under another name
        pass


def _failed_line(name: str, error: str) -> str:
    return f"FAILED {error}" if error.startswith(f"{name}:") else f"FAILED {name}: {error}"


# The service words its hints for the CLI; here the same fixes are form fields.
_CLI_TO_UI = (
    ("set it with --partnership NAME", "type it in Partnership and ingest again"),
    ("set it with --period 2020-21", "type it in Period and ingest again"),
    (OCR_HINT, "tick OCR and ingest again"),
)


def _ui_words(text: str) -> str:
    for cli, ui in _CLI_TO_UI:
        text = text.replace(cli, ui)
    return text


@dataclass
class LibraryHandles:
    """What app.py wires across pages."""

    table: Any
    last: Any
    ingest_event: Any
    reload: Any  # () -> table update (uses the search box's value: pass it in)
    search: Any
    selected: Any  # the report picker of the Library's own actions
    draft_btn: Any
    draft_event: Any
    pages_btn: Any


def library_page(ctx: AppContext) -> LibraryHandles:
    """Build the Library tab."""
    a = ctx.assistant
    gr.Markdown(
        "Upload yearly reports (PDF). Each is read page by page, split into passages and "
        "indexed; scanned pages without a text layer are flagged."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            files = gr.File(
                label="PDF reports",
                file_count="multiple",
                file_types=[".pdf"],
                elem_id="lib-files",
                height=150,
            )
        with gr.Column(scale=2):
            with gr.Row():
                partnership = gr.Textbox(
                    label="Partnership (optional)",
                    elem_id="lib-partnership",
                    placeholder="detected from the report",
                )
                period = gr.Textbox(
                    label="Period (optional)", placeholder="e.g. 2020-21", elem_id="lib-period"
                )
            ocr = gr.Checkbox(label="Read scanned pages with OCR (slow)", value=False)
            ingest_btn = gr.Button("Ingest", variant="primary", elem_id="lib-ingest")
    log = gr.Textbox(
        label="Ingest log", lines=3, max_lines=12, interactive=False, elem_id="lib-log"
    )
    with gr.Row(equal_height=True):
        gr.Markdown("### Reports")
        search = gr.Textbox(
            label="Search the library",
            placeholder="partnership, period, file or id",
            scale=3,
            elem_id="lib-search",
        )
        refresh = gr.Button("↻ Refresh", size="sm", scale=0, elem_id="lib-refresh")
    table = gr.Dataframe(
        frame(library_rows(a), LIBRARY_HEADERS),
        headers=LIBRARY_HEADERS,
        interactive=False,
        wrap=True,
        elem_id="lib-table",
        max_height=520,
    )
    gr.Markdown("_Select a report to open it in Review (and Ask)._", elem_classes=["hint"])
    with gr.Row(equal_height=True):
        selected = gr.Dropdown(
            report_choices(a), value=None, label="Report", scale=4, elem_id="lib-report"
        )
        draft_btn = gr.Button("Draft this report", variant="primary", elem_id="lib-draft")
        pages_btn = gr.Button("Browse its pages", elem_id="lib-pages")
    draft_msg = gr.HTML("", elem_id="lib-draft-msg")
    last = gr.State(None)

    def ingest(
        paths,
        partnership_value,
        period_value,
        use_ocr,
        q="",
        progress=gr.Progress(),  # noqa: B008
    ):
        if not paths:
            return "Choose one or more PDF files first.", gr.update(), None
        lines: list[str] = []
        last_id = None
        paths = [paths] if isinstance(paths, str) else list(paths)
        for number, upload in enumerate(paths, start=1):
            name = Path(upload).name
            progress((number - 1) / len(paths), desc=f"reading {name}")
            stored = None
            try:
                stored = _store_upload(ctx, upload)

                def on_chunks(done: int, total: int, name=name, number=number) -> None:
                    frac = (number - 1 + done / max(total, 1)) / len(paths)
                    progress(frac, desc=f"indexing {name}: {done}/{total} passages")

                for result in a.ingest(
                    [stored],
                    ocr=use_ocr or None,
                    partnership=partnership_value.strip() or None,
                    period=period_value.strip() or None,
                    on_chunks=on_chunks,
                ):
                    if result.status == "failed":
                        lines.append(_failed_line(name, result.error or "failed"))
                        continue
                    r = result.report
                    lines.append(
                        f"{result.status} {name}: {r.n_pages} pages, {result.n_chunks} passages"
                        f" · {r.partnership or 'partnership ?'} · {r.period or 'period ?'}"
                    )
                    lines += [f"  warning: {_ui_words(w)}" for w in result.warnings]
                    last_id = r.report_id
            except Exception as exc:  # one bad file never stops the rest; a full disk does
                full = storage_problem(exc, a.settings.home)
                if full:
                    lines.append("stopped: {}: {}".format(*full))
                    break  # (the finally still discards this upload's copy)
                text = hide_paths(error_text(exc), stored or Path(upload), a.settings.home)
                lines.append(_failed_line(name, hide_paths(text, Path(upload))))
            finally:
                _discard_upload(ctx, stored)
        progress(1.0, desc="done")
        return "\n".join(lines), frame(library_rows(a, q), LIBRARY_HEADERS), last_id

    event = ingest_btn.click(
        ingest,
        [files, partnership, period, ocr, search],
        [log, table, last],
        api_name="ingest",
        concurrency_limit=1,
    )

    def reload_table(q: str = ""):
        return frame(library_rows(a, q or ""), LIBRARY_HEADERS)

    refresh.click(reload_table, [search], table, api_name="list_reports")
    search.change(reload_table, [search], table)

    def draft(report_id, q, progress=gr.Progress()):  # noqa: B008 — Gradio's progress hook
        if not report_id:
            return message("warn", "Pick a report first."), gr.update()
        try:
            report, outcomes = draft_with_progress(a, report_id, progress)
        except Exception as exc:
            return message("error", f"Drafting failed — {error_text(exc)}"), gr.update()
        text = f"Drafted {len(outcomes)} questions of {report.display_name}: open it in Review."
        return message("ok", text), reload_table(q)

    draft_event = draft_btn.click(
        draft,
        [selected, search],
        [draft_msg, table],
        api_name="library_draft",
        concurrency_limit=1,
    )
    return LibraryHandles(
        table=table,
        last=last,
        ingest_event=event,
        reload=reload_table,
        search=search,
        selected=selected,
        draft_btn=draft_btn,
        draft_event=draft_event,
        pages_btn=pages_btn,
    )
