"""Evals page: stored eval runs (drafts against human audit scores), one run's summary, charts
and downloads, and an optional small eval run on a generated labelled year.

The runs come from the service (`eval_runs`, `eval_run`, `run_eval`); the
summary is the run's own summary.md, shown as Markdown only after escaping it (see
`safe_summary`).
"""

# No `from __future__ import annotations`: Gradio resolves the gr.SelectData annotation below.
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.ui.cohort import on_tab_open, served_file
from assistant.ui.common import error_text, frame, message
from assistant.ui.eval_reading import READING_HEADERS, reading_rows, reading_summary
from assistant.ui.field_agreement import field_agreement_block

if TYPE_CHECKING:
    from assistant.service import Assistant

EVAL_HEADERS = [
    "Eval",
    "Created",
    "Engine",
    "Model",
    "Labelled set",
    "Accuracy",
    "Mean kappa",
    "Recall@8 (hybrid)",
]
NO_EVALS = (
    "No eval runs yet. Run one from the command line: review-assistant eval run (drafts a "
    "generated labelled year with the offline engine and scores it against its gold answers), "
    "or use “Run an eval now” below, then press Refresh."
)
CHART_CAPTIONS = {
    "chart_kappa": "Kappa per question, 95% CI (open marker: majority baseline)",
    "chart_confusions": "Confusion matrices: human answer in rows, draft in columns",
    "chart_recall": "Retrieval recall@k of the gold evidence pages",
}
DOWNLOADS = ("html", "json", "summary")  # report.html, metrics.json, summary.md
_IMAGE_LINE = re.compile(r"\s*!\[[^\]]*\]\([^)]*\)\s*")
# "drafting 3/8: name.pdf" and the other stage messages of run_eval, as progress fractions
_STAGES = {"generating": 0.02, "ingesting": 0.06, "retrieval": 0.85, "run-to-run": 0.9}


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}"


def eval_rows(runs: list[dict]) -> list[list[Any]]:
    """One row per stored eval run (newest first) for the runs table."""
    return [
        [
            r["eval_id"],
            r["created_at"],
            r["engine"],
            r["model"] or "",
            r["labelled_set"],
            _pct(r["accuracy"]),
            _num(r["mean_kappa"]),
            _pct(r["recall@8_hybrid"]),
        ]
        for r in runs
    ]


def eval_choices(runs: list[dict]) -> list[tuple[str, str]]:
    """(label, eval id) pairs for the run picker."""
    return [
        (f"{r['eval_id']} · {r['engine']} ({r['model'] or '?'}) · {r['created_at']}", r["eval_id"])
        for r in runs
    ]


def safe_summary(text: str) -> str:
    """summary.md made safe to render as Markdown.

    Its tables are far easier to read rendered, but it can carry names from outside (report
    file names, a human-scores CSV path). So HTML special characters are escaped (no tag can
    form), square brackets are escaped (no link or image can form), and the chart image lines
    are dropped (the charts are shown below).
    """
    kept = [line for line in text.splitlines() if not _IMAGE_LINE.fullmatch(line)]
    escaped = html.escape("\n".join(kept), quote=False)
    return escaped.replace("[", "\\[").replace("]", "\\]")


def run_details(assistant: "Assistant", eval_id: str) -> dict:
    """Headline, escaped summary, (chart path, caption) pairs and download paths of one run."""
    metrics = assistant.eval_run(eval_id)  # the light metrics (items stay in metrics.json)
    outputs = next((r["outputs"] for r in assistant.eval_runs() if r["eval_id"] == eval_id), {})
    missing = [p for p in outputs.values() if not Path(p).exists()]
    summary_path = outputs.get("summary")
    summary = (
        safe_summary(Path(summary_path).read_text(encoding="utf-8"))
        if summary_path and Path(summary_path).exists()
        else "_summary.md is missing._"
    )
    charts = [
        (str(served_file(Path(p))), CHART_CAPTIONS.get(key, key))
        for key, p in outputs.items()
        if key.startswith("chart_") and Path(p).exists()
    ]
    files = [
        str(served_file(Path(outputs[k]), f"{eval_id}-{Path(outputs[k]).name}"))
        for k in DOWNLOADS
        if k in outputs and Path(outputs[k]).exists()
    ]
    return {
        "metrics": metrics,
        "headline": assistant.eval_headline(metrics),
        "summary": summary,
        "charts": charts,
        "files": files,
        "missing": missing,
        "folder": str(Path(summary_path).parent) if summary_path else "",
    }


def evals_tab(assistant: "Assistant") -> None:
    """Build the Evals tab's contents inside the current gr.Tab."""
    a = assistant
    gr.Markdown(
        "How well the drafts agree with human audit scores: accuracy and kappa per question "
        "and theme against a majority baseline, and whether drafts cite the gold evidence "
        "pages. Select a run to see its summary, charts and files."
    )
    runs = a.eval_runs()
    with gr.Row(equal_height=True):
        picker = gr.Dropdown(
            eval_choices(runs),
            value=runs[0]["eval_id"] if runs else None,
            label="Eval run",
            elem_id="ev-run",
            scale=5,
        )
        refresh = gr.Button("↻ Refresh", scale=0, min_width=110, elem_id="ev-refresh")
    status = gr.HTML(message("info", NO_EVALS) if not runs else "", elem_id="ev-msg")
    table = gr.Dataframe(
        frame(eval_rows(runs), EVAL_HEADERS),
        headers=EVAL_HEADERS,
        interactive=False,
        wrap=True,
        label="Eval runs, newest first (select one to open it)",
        elem_id="ev-table",
        max_height=260,
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=480):
            headline = gr.Textbox(
                label="Headline", lines=5, max_lines=8, interactive=False, elem_id="ev-headline"
            )
        with gr.Column(scale=2, min_width=360):
            files = gr.File(
                label="Downloads: report.html, metrics.json, summary.md",
                file_count="multiple",
                interactive=False,
                elem_id="ev-files",
            )
    reading_md = gr.Markdown("", elem_id="ev-reading-summary")
    reading = gr.Dataframe(
        frame([], READING_HEADERS),
        headers=READING_HEADERS,
        interactive=False,
        wrap=True,
        label=(
            "Per question, in words: kappa with its Landis–Koch band, abstentions beside "
            "accuracy, and whether there is enough data to judge"
        ),
        elem_id="ev-reading",
        max_height=520,
    )
    # one image per chart at its own size: a gallery tile crops a tall chart (its axis labels
    # went missing); the kappa chart, then the confusions, then recall when measured
    with gr.Column(elem_id="ev-charts"):
        charts = [
            gr.Image(
                None,
                label=caption,
                type="filepath",
                interactive=False,
                visible=False,
                buttons=["download", "fullscreen"],
                elem_id=f"ev-{key.replace('_', '-')}",
            )
            for key, caption in CHART_CAPTIONS.items()
        ]
    # full width: the summary's tables have up to twelve columns
    summary = gr.Markdown(
        "",
        elem_id="ev-summary",
        sanitize_html=True,
        latex_delimiters=[],
        max_height=900,
        container=True,
    )
    with gr.Accordion("Run an eval now (a generated labelled year)", open=False):
        gr.Markdown(
            "Generates a labelled year of fictional reports (in the eval workspace, never in "
            "your library), drafts every question and scores the drafts against the gold "
            "answers. A few reports take a minute or two; the full 40-report year is better "
            "run from the command line (`review-assistant eval run`).",
            elem_classes=["hint"],
        )
        with gr.Row(equal_height=True):
            n_reports = gr.Number(
                8, label="Reports", precision=0, minimum=2, maximum=40, elem_id="ev-n"
            )
            engines = ["offline"] + (["llm"] if a.settings.resolved_engine() == "llm" else [])
            engine = gr.Radio(engines, value="offline", label="Engine", elem_id="ev-engine")
            n_boot = gr.Number(
                1000,
                label="Bootstrap resamples (CIs)",
                precision=0,
                minimum=20,
                maximum=5000,
                elem_id="ev-boot",
            )
            with_recall = gr.Checkbox(
                True, label="Also measure retrieval recall@k (slower)", elem_id="ev-recall"
            )
            run_btn = gr.Button("Run eval", variant="primary", elem_id="ev-go")
    with gr.Accordion("Compare two eval runs (eval compare)", open=False):
        with gr.Row(equal_height=True):
            first = gr.Dropdown(eval_choices(runs), label="Before", elem_id="ev-cmp-a", scale=3)
            second = gr.Dropdown(eval_choices(runs), label="After", elem_id="ev-cmp-b", scale=3)
            cmp_btn = gr.Button("Compare", scale=0, min_width=110, elem_id="ev-cmp-go")
        cmp_msg = gr.HTML("", elem_id="ev-cmp-msg")
        cmp_md = gr.Markdown(
            "", elem_id="ev-cmp", sanitize_html=True, latex_delimiters=[], container=True
        )

    field_agreement_block(a)  # agreement from the field (branch analysis)

    def compare(one, two):
        if not one or not two:
            return message("warn", "Pick two eval runs."), ""
        try:
            table_md, warnings = a.compare_evals(one, two)
        except Exception as exc:
            return message("error", error_text(exc)), ""
        notes = "".join(message("warn", w) for w in warnings)
        return notes or message("ok", "Comparable runs."), safe_summary(table_md)

    cmp_btn.click(compare, [first, second], [cmp_msg, cmp_md], api_name="eval_compare")

    outputs = [status, headline, summary, *charts, files, reading_md, reading]

    def chart_updates(shown: list[tuple[str, str]]) -> list:
        by_caption = dict((caption, path) for path, caption in shown)
        return [
            gr.update(value=by_caption.get(caption), visible=caption in by_caption)
            for caption in CHART_CAPTIONS.values()
        ]

    def empty(note: str) -> list:
        return [note, "", "", *chart_updates([]), None, "", frame([], READING_HEADERS)]

    def show(eval_id):
        if not eval_id:
            has_runs = bool(a.eval_runs())
            return empty(
                message("warn", "Pick an eval run.") if has_runs else message("info", NO_EVALS)
            )
        try:
            d = run_details(a, eval_id)
        except Exception as exc:
            return empty(message("error", error_text(exc)))
        note = message("ok", f"Eval {eval_id} · outputs in {d['folder']}")
        if d["missing"]:
            note += message("warn", f"{len(d['missing'])} output file(s) missing from the folder")
        return [
            note,
            d["headline"],
            d["summary"],
            *chart_updates(d["charts"]),
            d["files"],
            html.escape(reading_summary(d["metrics"])),
            frame(reading_rows(d["metrics"]), READING_HEADERS),
        ]

    def reload(current, select_newest: bool = False):
        fresh = a.eval_runs()
        ids = [r["eval_id"] for r in fresh]
        value = current if current in ids and not select_newest else (ids[0] if ids else None)
        choices = eval_choices(fresh)
        return (
            gr.update(choices=choices, value=value),
            frame(eval_rows(fresh), EVAL_HEADERS),
            gr.update(choices=choices),
            gr.update(choices=choices),
        )

    def pick_row(evt: gr.SelectData):
        row = evt.row_value or []
        eval_id = str(row[0]) if row else None
        return [gr.update(value=eval_id), *show(eval_id)]

    def run_now(n, engine_name, boot, recall, progress=gr.Progress()):  # noqa: B008 — Gradio's progress hook

        done = [0.0]

        def on_progress(text: str) -> None:
            step = re.match(r"drafting (\d+)/(\d+)", text)
            if step:
                done[0] = 0.1 + 0.7 * (int(step[1]) - 1) / max(int(step[2]), 1)
            else:
                done[0] = next((v for k, v in _STAGES.items() if text.startswith(k)), done[0])
            progress(done[0], desc=text)

        n = max(2, min(40, int(n or 8)))
        try:
            progress(0.0, desc=f"starting an eval on {n} generated reports")
            run = a.run_eval(
                n=n,
                engine=engine_name or "offline",
                retrieval=bool(recall),
                n_boot=max(20, min(5000, int(boot or 1000))),
                on_progress=on_progress,
            )
        except Exception as exc:
            note = message("error", f"Eval failed — {error_text(exc)}")
            return [gr.update()] * 4 + [note, *[gr.update() for _ in outputs[1:]]]
        picked, rows, one, two = reload(None, select_newest=True)
        shown = show(run.eval_id)
        shown[0] = message("ok", f"Eval {run.eval_id} finished in {run.metrics['seconds']} s.")
        return [picked, rows, one, two, *shown]

    picker.input(show, [picker], outputs, api_name="eval_run")
    table.select(pick_row, None, [picker, *outputs])
    pickers = [picker, table, first, second]
    refresh.click(reload, [picker], pickers).then(show, [picker], outputs)
    run_btn.click(
        run_now,
        [n_reports, engine, n_boot, with_recall],
        [*pickers, *outputs],
        concurrency_limit=1,
    )
    opened = on_tab_open(reload, [picker], pickers)
    if opened is not None:
        opened.then(show, [picker], outputs)
