"""Cohort page: a year's figures per audit question ("Neglect a priority: 11/18"), the charts,
and the downloads of a scoring run.

The figures come from `Assistant.cohort`, the charts from assistant.bulk.cohort.charts and the run's
files from `Assistant.export_run`. Report text is data here too: figures go into a text box
and table cells, picker labels are plain text, and only our own escaped messages are HTML.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from gradio.context import get_render_context

from assistant.ui.common import error_text, frame, message

if TYPE_CHECKING:
    from assistant.bulk.cohort import CohortSummary
    from assistant.service import Assistant

COHORT_HEADERS = [
    "Question",
    "Theme",
    "Source",
    "Figure",
    "Answered",
    "Not found",
    "Failed",
    "Not drafted / not reviewed",
]
# "accepted" counts every answer a reviewer decided: accepted as drafted, edited or entered
SOURCES = [
    ("Drafts", "drafts"),
    ("Reviewer-decided answers", "accepted"),
    ("Both", "both"),
]
SOURCE_NAMES = {"drafts": "drafts", "accepted": "reviewer-decided"}  # the table's Source column
# The browser's own time zone, read when the tab opens: run times are shown in it.
BROWSER_TZ_JS = "(choice, tz) => [choice, Intl.DateTimeFormat().resolvedOptions().timeZone]"
ALL_REPORTS = "all"
NO_RUNS = (
    "No scoring runs yet. Score a year's reports from the command line, with this page left "
    "open: review-assistant score FOLDER --period 2020-21 (or review-assistant demo --no-ui for "
    "the bundled sample year), then press Refresh. Uploads in the Library wait while a run "
    "is indexing or drafting."
)

# --- files Gradio may serve ------------------------------------------------------------------
# Gradio refuses to serve files outside the working directory and the system temp folder, and
# the data directory is usually elsewhere (~/.local/share/...). So every file shown or offered
# for download is copied into one temp folder, under its content hash: refreshing the same
# figures reuses the same files instead of piling up copies.
_SERVE_LOCK = threading.Lock()
_serve_root: Path | None = None


def _root() -> Path:
    global _serve_root
    with _SERVE_LOCK:
        if _serve_root is None or not _serve_root.is_dir():
            _serve_root = Path(tempfile.mkdtemp(prefix="review-assistant-ui-"))
            atexit.register(shutil.rmtree, _serve_root, ignore_errors=True)
        return _serve_root


def serve_dir(prefix: str) -> Path:
    """A fresh folder inside the served temp folder (removed with it when the app exits)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=_root()))


def served_bytes(name: str, data: bytes) -> Path:
    """A servable copy of `data` named `name` (same content, same path)."""
    target = _root() / hashlib.sha256(data).hexdigest()[:16] / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # write then rename: a concurrent reader never sees half a file
        partial = target.with_name(f"{name}.{os.getpid()}-{threading.get_ident()}.part")
        partial.write_bytes(data)
        os.replace(partial, target)
    return target


def served_file(path: Path, name: str | None = None) -> Path:
    """A servable copy of the file at `path` (optionally under another name)."""
    return served_bytes(name or Path(path).name, Path(path).read_bytes())


def safe_name(text: str) -> str:
    """A file-name fragment: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "cohort"


def on_tab_open(fn, inputs: list, outputs: list, js: str | None = None):
    """Run `fn` whenever the enclosing tab is opened (after `js` in the browser, which may
    replace the inputs); returns the event (None outside a tab)."""
    tab = get_render_context()
    return tab.select(fn, inputs, outputs, js=js) if isinstance(tab, gr.Tab) else None


# --- data -------------------------------------------------------------------------------------


def local_time(stamp: str | None, tz: str | None) -> str:
    """A stored UTC timestamp in the time zone `tz` (the browser's; UTC when unknown)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not stamp:
        return ""
    try:
        zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
    except (ValueError, KeyError):  # not a zone name (ZoneInfoNotFoundError is a KeyError)
        zone = ZoneInfo("UTC")
    try:
        return datetime.fromisoformat(stamp).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    except ValueError:
        return stamp


def cohort_choices(assistant: Assistant, tz: str | None = None) -> list[tuple[str, str]]:
    """Picker entries: each scoring run (its time in `tz`), then all reports of each period,
    then all reports. Runs that hold no report are left out."""
    choices = []
    for r in assistant.score_runs():
        when = local_time(r["updated_at"], tz)
        label = f"{r['label'] or 'no period'} · {r['engine']} · {r['run_id']} · {when}"
        if r["status"] != "done":
            label += f" ({r['status']})"
        choices.append((label, f"run:{r['run_id']}"))
    reports = assistant.list_reports()
    for period in sorted({r.period for r in reports if r.period}, reverse=True):
        choices.append((f"All reports of {period}", f"period:{period}"))
    if reports:
        choices.append((f"All {len(reports)} reports in the library", ALL_REPORTS))
    return choices


def summarise(assistant: Assistant, choice: str, source: str) -> CohortSummary:
    """The cohort summary of a picker entry ('run:ID', 'period:P' or 'all')."""
    kind, _, ref = choice.partition(":")
    if kind == "run":
        return assistant.cohort(ref, source=source)
    if kind == "period":
        return assistant.cohort(None, source=source, period=ref)
    return assistant.library_cohort(source=source)


def cohort_rows(summary: CohortSummary) -> list[list[Any]]:
    """One row per figure of each (question, source), in bank order, sources side by side."""
    sources = list(summary.tallies)
    by_source = {s: {t.question.id: t for t in ts} for s, ts in summary.tallies.items()}
    rows = []
    for first in summary.tallies[sources[0]]:
        for source in sources:
            t = by_source[source][first.question.id]
            for phrase in t.phrases():
                rows.append(
                    [
                        t.question.id,
                        t.question.theme,
                        SOURCE_NAMES.get(source, source),
                        phrase,
                        f"{t.n_answered}/{t.n_reports}",
                        t.abstained,
                        t.failed,
                        t.undecided,
                    ]
                )
    return rows


_EXPORT_LOCK = threading.Lock()
_CHARTS_LOCK = threading.Lock()  # pyplot is not thread-safe; Gradio runs handlers in threads
_CHART_CACHE: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()


def chart_gallery(assistant: Assistant, summary: CohortSummary) -> list[tuple[str, str]]:
    """(PNG path, caption) per chart; the same figures reuse the charts drawn before."""
    # the charts draw the label and every source's tallies ("both": drafts and decided)
    drawn = [summary.label, {s: [t.to_json() for t in ts] for s, ts in summary.tallies.items()}]
    key = hashlib.sha256(json.dumps(drawn, sort_keys=True, default=str).encode()).hexdigest()
    with _CHARTS_LOCK:
        if key in _CHART_CACHE and all(Path(p).exists() for p, _ in _CHART_CACHE[key]):
            _CHART_CACHE.move_to_end(key)
            return _CHART_CACHE[key]
        images = assistant.cohort_charts(summary)
        items = []
        for name, png in images.items():
            qid = name.removesuffix(".png")
            both = " — drafts and reviewer-decided answers" if len(summary.tallies) > 1 else ""
            if qid in assistant.bank.ids:
                caption = f"{qid} · {assistant.bank.get(qid).text}{both}"
            else:
                caption = (
                    "Graded questions: no / partly / yes (ratings: not / partly / evidenced)"
                    + both
                )
            items.append((str(served_bytes(name, png)), caption))
        _CHART_CACHE[key] = items
        while len(_CHART_CACHE) > 16:
            _CHART_CACHE.popitem(last=False)
        return items


def download_files(
    assistant: Assistant, choice: str, source: str, summary: CohortSummary
) -> list[str]:
    """The summary as text, Markdown and JSON; the figures as CSV and XLSX (drafts and
    reviewer-decided answers side by side); for a run also its drafts (CSV, XLSX, JSON)."""
    kind, _, ref = choice.partition(":")
    stem = f"cohort-{safe_name(ref or 'all')}-{source}"
    files = [
        served_bytes(f"{stem}.txt", summary.text().encode()),
        served_bytes(f"{stem}.md", summary.markdown().encode()),
        served_bytes(f"{stem}.json", json.dumps(summary.to_json(), indent=2).encode()),
    ]
    side_by_side = summary if len(summary.tallies) > 1 else summarise(assistant, choice, "both")
    tables = assistant.write_cohort_tables(
        side_by_side, serve_dir("figures-"), f"cohort-{safe_name(ref or 'all')}-figures"
    )
    files += [served_file(p) for p in tables.values()]
    if kind == "run":
        # written to <data dir>/outputs/<run id>/ like `review-assistant export` does; one
        # export at a time, so no copy is taken of a file another session is rewriting
        with _EXPORT_LOCK:
            exports = assistant.export_run(ref)
            files += [served_file(p, f"{safe_name(ref)}-{p.name}") for p in exports.values()]
    return [str(p) for p in files]


def analysis_files(assistant: Assistant, choice: str) -> tuple[list[str], str]:
    """Write the draft yearly analysis (DOCX + self-contained HTML) of a run or period from
    the reviewers' answers (branch analysis); (servable paths, status message)."""
    kind, _, ref = (choice or "").partition(":")
    if kind not in ("run", "period"):
        return [], message("warn", "Pick a scoring run or a period to write its analysis.")
    period = ref if kind == "period" else None
    run_id = ref if kind == "run" else None
    if run_id:
        period = next((r["label"] for r in assistant.score_runs() if r["run_id"] == run_id), None)
    earlier = assistant.earlier_period(period)  # year on year when the year before is there
    analysis = assistant.analysis(period if not run_id else None, run_id=run_id, compare=earlier)
    paths = assistant.write_analysis(analysis, serve_dir("analysis-"))
    files = [str(paths["docx"]), str(paths["html"])]
    decided = f"{analysis.n_decided} of {analysis.n_items} answers decided by a reviewer"
    versus = f", compared with {earlier}" if earlier else ""
    status = message("ok", f"Analysis written: {len(analysis.reports)} reports, {decided}{versus}.")
    for line in analysis.notes():  # decisions on older versions: as the documents say them
        status += message("warn", line)
    return files, status


# --- the tab ----------------------------------------------------------------------------------


def cohort_tab(assistant: Assistant) -> None:
    """Build the Cohort tab's contents inside the current gr.Tab."""
    a = assistant
    gr.Markdown(
        "How a year's reports answer each audit question, counted across the cohort: from "
        "the drafts of a scoring run, from the answers reviewers decided (*reviewer-decided*: "
        "accepted, edited or entered), or both side by side. Abstentions (*not found*) and "
        "failures are counted, never dropped."
    )
    choices = cohort_choices(a)
    with gr.Row(equal_height=True):
        picker = gr.Dropdown(
            choices,
            value=choices[0][1] if choices else None,
            label="Scoring run or period",
            elem_id="co-run",
            scale=5,
        )
        source = gr.Radio(
            SOURCES,
            value="drafts",
            label="Answers from",
            info="reviewer-decided: accepted, edited or entered by a reviewer",
            elem_id="co-source",
            scale=3,
        )
        refresh = gr.Button("↻ Refresh", scale=0, min_width=110, elem_id="co-refresh")
    status = gr.HTML(message("info", NO_RUNS) if not choices else "", elem_id="co-msg")
    # stacked, full width: the summary lines and the table's eight columns need the room
    text = gr.Textbox(
        label="Summary (grouped by theme)",
        lines=14,
        max_lines=30,
        interactive=False,
        elem_id="co-summary",
        buttons=["copy"],
    )
    table = gr.Dataframe(
        frame([], COHORT_HEADERS),
        headers=COHORT_HEADERS,
        interactive=False,
        wrap=True,
        label="Figures per question (one row per figure; search by question id or words)",
        elem_id="co-table",
        max_height=520,
        show_search="search",
        column_widths=["7%", "5%", "7%", "51%", "7%", "7%", "6%", "10%"],
    )
    gallery = gr.Gallery(
        label="Charts (select one to enlarge)",
        elem_id="co-charts",
        columns=4,
        height=760,  # "auto" would mean a fixed 550 px in Gradio 6: two rows of four fit here
        object_fit="contain",
        interactive=False,
        buttons=["download", "fullscreen"],
    )
    files = gr.File(
        label="Downloads: the summary; the figures (CSV, XLSX: drafts and reviewer-decided "
        "side by side); for a run also its drafts (CSV wide/long, XLSX, JSON)",
        file_count="multiple",
        interactive=False,
        elem_id="co-files",
    )

    with gr.Row(equal_height=True):  # the yearly analysis (branch analysis)
        write = gr.Button(
            "Write analysis (DOCX + HTML)", scale=0, min_width=240, elem_id="co-analysis"
        )
        analysis_out = gr.File(
            label="Draft yearly analysis from the reviewers' answers",
            file_count="multiple",
            interactive=False,
            elem_id="co-analysis-files",
            scale=5,
        )

    def write_analysis(choice):
        try:
            written, note = analysis_files(a, choice)
        except Exception as exc:
            return None, message("error", error_text(exc))
        return written or None, note

    write.click(write_analysis, [picker], [analysis_out, status])

    browser_tz = gr.Textbox(visible=False, elem_id="co-tz")
    outputs = [status, text, table, gallery, files]

    def empty(note: str) -> list:
        return [note, "", frame([], COHORT_HEADERS), [], None]

    def show(choice, which):
        if not choice:
            if not a.score_runs() and not a.list_reports():
                return empty(message("info", NO_RUNS))
            return empty(message("warn", "Pick a scoring run or a period."))
        which = which or "drafts"
        try:
            summary = summarise(a, choice, which)
            downloads = download_files(a, choice, which, summary)
        except Exception as exc:
            return empty(message("error", error_text(exc)))
        problems = ""
        try:  # the figures still count when a chart cannot be drawn
            gallery_items = chart_gallery(a, summary)
        except Exception as exc:
            gallery_items = []
            problems = message("warn", f"Charts could not be drawn — {error_text(exc)}")
        note = message(
            "ok",
            f"{len(summary.report_ids)} reports · {summary.label} · answers from "
            f"{' and '.join(SOURCE_NAMES.get(s, s) for s in summary.tallies)}",
        )
        for line in summary.notes():  # decisions on older versions: as the CLI says it
            note += message("warn", line)
        if not a.score_runs():
            note += message("info", NO_RUNS)
        if problems:
            note += problems
        elif not gallery_items:
            note += message("info", "No charts: no graded or pick-list question has answers.")
        return [note, summary.text(), frame(cohort_rows(summary), COHORT_HEADERS)] + [
            gallery_items,
            downloads,
        ]

    def reload_choices(current, tz=None):
        fresh = cohort_choices(a, tz or None)
        known = {value for _, value in fresh}
        value = current if current in known else (fresh[0][1] if fresh else None)
        return gr.update(choices=fresh, value=value)

    # `.input` (user changes only): programmatic updates are followed by an explicit `show`,
    # so nothing is summarised twice.
    picker.input(show, [picker, source], outputs, api_name="cohort")
    source.input(show, [picker, source], outputs)
    refresh.click(reload_choices, [picker, browser_tz], [picker], js=BROWSER_TZ_JS).then(
        show, [picker, source], outputs
    )
    # opening the tab: fresh choices (runs scored since, times in the browser's time zone),
    # then the figures of the chosen entry
    opened = on_tab_open(reload_choices, [picker, browser_tz], [picker], js=BROWSER_TZ_JS)
    if opened is not None:
        opened.then(show, [picker, source], outputs)
