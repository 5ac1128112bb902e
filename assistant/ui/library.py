"""Library page: upload PDFs, ingest them with progress, and list the reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr

from assistant.errors import hide_paths
from assistant.ui.common import AppContext, error_text, frame
from assistant.ui.render import LIBRARY_HEADERS, library_rows


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
    ("run again with --ocr", "tick OCR and ingest again"),
)


def _ui_words(text: str) -> str:
    for cli, ui in _CLI_TO_UI:
        text = text.replace(cli, ui)
    return text


def library_page(ctx: AppContext):
    """Build the Library tab; returns (table, last_ingested_state, ingest_event, tab_refresh)."""
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
    with gr.Row():
        gr.Markdown("### Reports")
        refresh = gr.Button("↻ Refresh", size="sm", scale=0, elem_id="lib-refresh")
    table = gr.Dataframe(
        frame(library_rows(a), LIBRARY_HEADERS),
        headers=LIBRARY_HEADERS,
        interactive=False,
        wrap=True,
        elem_id="lib-table",
        max_height=520,
    )
    gr.Markdown("_Select a report to open it in Ask and Review._", elem_classes=["hint"])
    last = gr.State(None)

    def ingest(paths, partnership_value, period_value, use_ocr, progress=gr.Progress()):  # noqa: B008
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
            except Exception as exc:  # one bad file never stops the rest
                text = hide_paths(error_text(exc), stored or Path(upload), a.settings.home)
                lines.append(_failed_line(name, hide_paths(text, Path(upload))))
            finally:
                _discard_upload(ctx, stored)
        progress(1.0, desc="done")
        return "\n".join(lines), frame(library_rows(a), LIBRARY_HEADERS), last_id

    event = ingest_btn.click(
        ingest,
        [files, partnership, period, ocr],
        [log, table, last],
        api_name="ingest",
        concurrency_limit=1,
    )

    def reload_table():
        return frame(library_rows(a), LIBRARY_HEADERS)

    refresh.click(reload_table, None, table, api_name="list_reports")
    return table, last, event, reload_table
