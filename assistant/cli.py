"""`review-assistant` command line: a thin shell over assistant.service.

Errors become one clear line on stderr here, at the edge; exit codes: 0 ok, 1 some items
failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import time
from pathlib import Path

from assistant.config import REPO_ROOT, default_home, load_settings
from assistant.errors import ReviewAssistantError, path_problem, storage_problem
from assistant.service import Assistant, checked_period, find_pdfs
from assistant.ui.auth import main as auth_main

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=False))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _assistant(args):
    return Assistant()


def _question_ids(text: str | None) -> list[str] | None:
    """`--questions A1, B2,` → ["A1", "B2"] (None: all questions)."""
    if text is None:
        return None
    return [q.strip() for q in text.split(",") if q.strip()]


def _local_time(stamp: str | None) -> str:
    """A stored UTC timestamp in this machine's local time zone, to the minute."""
    from datetime import datetime

    if not stamp:
        return "-"
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    except ValueError:
        return stamp


def _report_json(report) -> dict:
    """A report as every command shows it in JSON: `pages`, like `ingest --json`."""
    data = report.to_json()
    data["pages"] = data.pop("n_pages")
    return data


# --- commands ---------------------------------------------------------------------------


def cmd_ingest(args) -> int:
    from tqdm import tqdm

    assistant = _assistant(args)
    files = find_pdfs([Path(p) for p in args.paths])
    if not files:
        print(f"no PDF files found in {', '.join(args.paths)}", file=sys.stderr)
        return 1
    results = []
    chunk_bar: list = []

    def on_chunks(done: int, total: int) -> None:
        if not chunk_bar:
            chunk_bar.append(
                tqdm(total=total, unit="chunk", desc="  embed", leave=False, file=sys.stderr)
            )
        chunk_bar[0].n = done
        chunk_bar[0].refresh()

    ingested = assistant.ingest(  # a bad --period or --replaces fails here, before the bar
        files,
        ocr=args.ocr,
        partnership=args.partnership,
        period=args.period,
        replaces=args.replaces,
        on_chunks=on_chunks,
    )
    with tqdm(total=len(files), unit="file", desc="ingest", file=sys.stderr) as bar:
        for result in ingested:
            if chunk_bar:
                chunk_bar.pop().close()
            results.append(result)
            bar.update(1)
            if result.status == "failed":
                tqdm.write(f"FAILED {result.error}", file=sys.stderr)
            for warning in result.warnings:
                tqdm.write(f"warning: {Path(result.path).name}: {warning}", file=sys.stderr)
    failed = [r for r in results if r.status == "failed"]
    if args.json:
        _print_json([r.to_json() for r in results])
    else:
        rows = [
            [
                Path(r.path).name[:44],
                r.status,
                r.report.short_id if r.report else "-",
                (r.report.partnership or "?")[:40] if r.report else "-",
                (r.report.period or "?") if r.report else "-",
                r.report.n_pages if r.report else "-",
                r.n_chunks,
                ",".join(map(str, r.report.no_text_pages)) if r.report else "-",
            ]
            for r in results
        ]
        print(
            _table(
                rows,
                [
                    "file",
                    "status",
                    "id",
                    "partnership",
                    "period",
                    "pages",
                    "chunks",
                    "no-text pages",
                ],
            )
        )
        ok = [r for r in results if r.report]
        print(
            f"\n{len(results)} file(s): {sum(r.status == 'indexed' for r in results)} indexed, "
            f"{sum(r.status == 'unchanged' for r in results)} unchanged, {len(failed)} failed; "
            f"{sum(r.report.n_pages for r in ok)} pages, {sum(r.n_chunks for r in ok)} chunks, "
            f"{sum(len(r.report.no_text_pages) for r in ok)} page(s) flagged without text"
        )
        for r in failed:
            print(f"  FAILED {r.error}")
    return 1 if failed else 0


def cmd_reports(args) -> int:
    assistant = _assistant(args)
    reports = assistant.list_reports(period=args.period)
    indexed = assistant.index.indexed_reports() if reports else {}
    if args.json:
        _print_json([dict(_report_json(r), chunks=indexed.get(r.report_id)) for r in reports])
        return 0
    if not reports:
        print(_no_reports_note(assistant, args.period))
        return 0
    rows = [
        [
            r.short_id,
            (r.partnership or "?")[:44],
            r.period or "?",
            r.n_pages,
            indexed.get(r.report_id, "not indexed"),
            ",".join(map(str, r.no_text_pages)) or "-",
            r.file_name[:40],
        ]
        for r in reports
    ]
    print(_table(rows, ["id", "partnership", "period", "pages", "chunks", "no-text", "file"]))
    return 0


def _no_reports_note(assistant, period: str | None) -> str:
    """Why `reports` lists nothing: an empty library, or reports only in other periods."""
    from collections import Counter

    everything = assistant.list_reports() if period else []
    if not everything:
        return "no reports yet: ingest some with `review-assistant ingest FOLDER`"
    periods = Counter(r.period or "no period" for r in everything)
    others = ", ".join(f"{p}: {n}" for p, n in sorted(periods.items()))
    return f"no reports for {period} ({len(everything)} reports in other periods: {others})"


def cmd_search(args) -> int:
    assistant = _assistant(args)
    passages = assistant.search(args.report, args.query, k=args.k, mode=args.mode)
    if args.json:
        _print_json([p.to_json() for p in passages])
        return 0
    if not passages:
        print("no matching passages")
        return 0
    # over every report (REPORT ""), each passage says which report it is from
    names = {} if args.report else {r.report_id: r.file_name for r in assistant.reports.list()}
    for rank, p in enumerate(passages, 1):
        ranks = ", ".join(f"{k} #{v}" for k, v in p.ranks.items())
        section = f" · {p.section}" if p.section else ""
        where = f"{names.get(p.report_id, p.report_id)} " if names else ""
        print(f"[{rank}] {where}page {p.page}{section}  (score {p.score:.4f}; {ranks})")
        print("    " + " ".join(p.text.split())[:400])
    return 0


def cmd_ask(args) -> int:
    assistant = _assistant(args)
    result = assistant.ask(args.report, args.question, engine=args.engine)
    if args.json:
        _print_json(result.to_json())
        return 0 if result.status != "failed" else 1
    if result.marker:
        print(f"[{result.marker}]")
    if result.status == "failed":
        print(f"FAILED: {result.error}")
        return 1
    print(result.answer)
    if result.citations:
        print("\ncitations:")
        for n, c in enumerate(result.citations, 1):
            print(f'  [{n}] {c.block_id} page {c.page} ({c.verification}): "{c.quote[:160]}"')
    return 0


def cmd_draft(args) -> int:
    from tqdm import tqdm

    assistant = _assistant(args)
    ids = _question_ids(args.questions)
    report = assistant.resolve_report(args.report)
    questions = assistant.select_questions(ids)  # an unknown id, before any progress bar
    assistant.engine(args.engine)  # a missing endpoint is reported before any progress bar
    n = len([q for q in questions if q.answerable_from_text])
    with tqdm(total=n, unit="question", desc="draft", file=sys.stderr) as bar:
        report, outcomes = assistant.draft_report(
            args.report,
            question_ids=ids,
            engine=args.engine,
            replace=args.force,
            on_item=lambda _o: bar.update(1),
            context=args.context,
        )
    drafts = [o.draft for o in outcomes]
    failed = [d for d in drafts if d.status == "failed"]
    if args.json:
        _print_json([d.to_json() for d in drafts])
        return 1 if failed else 0
    bank = assistant.bank
    markers = {d.marker for d in drafts if d.marker}
    for marker in markers:
        print(f"[{marker}]")
    rows = []
    for d in drafts:
        q = bank.get(d.question_id)
        answer = q.answer_label(d.answer) if d.answer is not None else f"({d.status})"
        rows.append(
            [
                d.question_id,
                answer[:48],
                f"{d.confidence:.2f}",
                ",".join(map(str, d.pages)) or "-",
                d.status,
                d.verification_summary(),
            ]
        )
    print(f"{report.display_name} ({report.period or 'period?'}) · {report.short_id}")
    print(_table(rows, ["question", "answer", "conf", "pages", "status", "citations"]))
    reused = sum(not o.created for o in outcomes)
    print(
        f"\n{len(drafts)} drafts ({len(drafts) - reused} new, {reused} reused; "
        f"{len(failed)} failed, "
        f"{sum(d.status == 'flagged' for d in drafts)} flagged)"
    )
    for error, count in _causes(d.error for d in failed):
        print(f"  FAILED {count} draft{'s' if count > 1 else ''}: {error}")
    if failed:
        print("  re-run the same command to retry the failed drafts")
    return 1 if failed else 0


def _causes(errors) -> list[tuple[str, int]]:
    """Distinct error messages with how many items each hit, most frequent first."""
    from collections import Counter

    counts = Counter(" ".join((e or "unknown error").split()) for e in errors)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def cmd_score(args) -> int:
    from tqdm import tqdm

    assistant = _assistant(args)
    ids = _question_ids(args.questions)
    if args.plan:
        return _print_score_plan(assistant, args, ids)
    bars: dict = {}
    failures = {"n": 0}

    def on_file(result) -> None:
        if "files" not in bars:
            bars["files"] = tqdm(desc="ingest", unit="file", file=sys.stderr)
        bars["files"].update(1)
        _say_ingested(result, tqdm.write)

    def on_start(total: int) -> None:
        if "files" in bars:
            bars["files"].close()
        bars["items"] = tqdm(
            total=total, desc="draft", unit="draft", file=sys.stderr, dynamic_ncols=True
        )

    def on_item(outcome) -> None:
        if outcome.draft.status == "failed":
            failures["n"] += 1
        bar = bars["items"]
        bar.set_postfix(failed=failures["n"], refresh=False)
        bar.update(1)

    try:
        summary = assistant.score(
            Path(args.folder),
            period=args.period,
            engine=args.engine,
            concurrency=args.concurrency,
            question_ids=ids,
            batch=args.batch,
            poll_seconds=args.poll_seconds,
            redraft_stale=args.redraft_stale,
            context=args.context,
            on_file=on_file,
            on_start=on_start,
            on_item=on_item,
            workers=args.workers,
        )
    finally:
        for bar in bars.values():
            bar.close()
    if not summary.reports:  # every file failed to ingest: nothing to count
        return _score_without_reports(args, summary)
    cohort = assistant.cohort(summary.run_id, source="drafts")

    out_dir = assistant.settings.outputs_dir / summary.run_id
    outputs = assistant.write_cohort_outputs(cohort, out_dir)
    both = assistant.cohort(summary.run_id, source="both")  # drafts beside reviewers' answers
    outputs.update(assistant.write_cohort_tables(both, out_dir))
    if args.json:
        data = summary.to_json()
        data["cohort"] = cohort.to_json()
        data["outputs"] = {k: str(v) for k, v in outputs.items()}
        _print_json(data)
    else:
        print(cohort.text())
        print(
            f"\nrun {summary.run_id}: {len(summary.reports)} reports · {summary.drafted} drafted, "
            f"{summary.reused} reused, {summary.failed} failed · {summary.seconds:.1f} s · "
            f"engine {summary.engine} ({summary.model})"
        )
        if summary.stale:
            print(
                f"note: {summary.stale} reused drafts were made with other settings (embedder, "
                "chunking, retrieval or model parameters); add --redraft-stale to re-draft them"
            )
        total = summary.tokens_cumulative
        if total.get("calls") or total.get("cached"):
            for label, tokens in (("this invocation", summary.tokens), ("cumulative", total)):
                cost = f", cost ${tokens['cost']:.4f}" if tokens.get("cost") else ""
                print(
                    f"model calls ({label}) {tokens['calls']} (+{tokens['cached']} from cache), "
                    f"tokens {tokens['prompt_tokens']} in / {tokens['completion_tokens']} out"
                    f"{cost}"
                )
        for _path, error in summary.ingest_failures:
            print(f"  FAILED ingest {error}")
        for rid, qid, error in summary.failures[:20]:
            print(f"  FAILED draft {rid[:12]} {qid}: {error}")
        if summary.failures or summary.ingest_failures:
            print("  re-run the same command to retry failed items")
        print(f"charts and tables: {outputs['html']}")
    if args.strict and (summary.failed or summary.ingest_failures):
        return 1
    return 0


def _say_ingested(result, write=print) -> None:
    """What `score` (and `score --plan`) says on stderr of one file it ingested: a failure, or
    its warnings as `ingest` prints them (a new version, an older version whose current version
    is scored in its place, scanned pages)."""
    if result.status == "failed":
        write(f"FAILED {result.error}", file=sys.stderr)
    for warning in result.warnings:
        write(f"warning: {Path(result.path).name}: {warning}", file=sys.stderr)


def _score_without_reports(args, summary) -> int:
    error = "no report in the folder could be read"
    causes = [e for e, _n in _causes(e for _p, e in summary.ingest_failures)]
    hint = "fix or replace the files named above, then re-run the same command"
    if args.json:
        _print_json(dict(summary.to_json(), error=error, hint=hint))
    else:
        for cause in causes:
            print(f"  FAILED ingest {cause}")
        print(f"error: {error}: {hint}", file=sys.stderr)
    return 1


def cmd_cohort(args) -> int:
    assistant = _assistant(args)
    cohort = assistant.cohort(args.run, source=args.source, period=args.period)
    paths = {}
    if args.out:
        out = Path(args.out)
        paths = assistant.write_cohort_outputs(cohort, out)
        # the figures table always sets drafts and reviewer-decided answers side by side
        both = cohort if len(cohort.tallies) > 1 else None
        both = both or assistant.cohort(args.run, source="both", period=args.period)
        paths.update(assistant.write_cohort_tables(both, out))
    if args.json:
        _print_json(dict(cohort.to_json(), outputs={k: str(v) for k, v in paths.items()}))
        return 0
    print(cohort.text())
    if paths:
        print(f"\nwritten: {', '.join(str(p) for p in paths.values())}")
    return 0


def cmd_runs(args) -> int:
    assistant = _assistant(args)
    runs = assistant.run_overview()
    if args.json:
        _print_json(runs)
        return 0
    if not runs:
        print("no scoring runs yet: score a year with `review-assistant score FOLDER --period P`")
        return 0
    rows = [
        [
            r["run_id"],
            r["period"] or "-",
            r["engine"] + (f" ({r['model']})" if r["model"] else ""),
            _local_time(r["started"]),
            r["reports"],
            f"{r['drafted']}/{r['failed']}",
            r["reused"],
            r["status"],
        ]
        for r in runs
    ]
    headers = ["run", "period", "engine", "started", "reports", "drafted/failed", "reused"]
    print(_table(rows, [*headers, "status"]))
    print(
        "\n`review-assistant cohort --run RUN` and `export --run RUN` take a run id from the "
        "first column (or a unique prefix, e.g. "
        f"{runs[0]['run_id'][:8]}); without --run they use the newest"
    )
    return 0


def cmd_export(args) -> int:
    assistant = _assistant(args)
    paths = assistant.export_run(args.run, Path(args.out) if args.out else None)
    if args.json:
        _print_json({k: str(v) for k, v in paths.items()})
    else:
        for kind, path in paths.items():
            print(f"{kind:9} {path}")
    return 0


def cmd_eval(args) -> int:
    assistant = _assistant(args)
    if args.action == "list":
        runs = assistant.eval_runs()
        if args.json:
            _print_json(runs)
            return 0
        pct = lambda v: "-" if v is None else f"{100 * v:.0f}%"  # noqa: E731
        rows = [
            [
                r["eval_id"],
                r["created_at"][:16],
                r["engine"],
                r["model"] or "-",
                r["labelled_set"][:40],
                pct(r["accuracy"]),
                "-" if r["mean_kappa"] is None else f"{r['mean_kappa']:.2f}",
                pct(r["recall@8_hybrid"]),
            ]
            for r in runs
        ]
        print(
            _table(
                rows,
                ["eval", "created", "engine", "model", "labelled set", "accuracy", "kappa", "R@8"],
            )
            if rows
            else "no eval runs yet"
        )
        return 0
    if args.action == "compare":
        if len(args.targets) != 2:
            hint = "see `review-assistant eval list`"
            return _fail(args, "eval compare needs two eval ids", hint, 2)

        table, warnings = assistant.compare_evals(*args.targets)
        for warning in warnings:  # loud on stderr too, not only in the table
            print(warning, file=sys.stderr)
        print(table)
        return 0
    csv_path = None
    if args.action == "score":
        if len(args.targets) != 1:
            return _fail(args, "eval score needs one CSV of human audit scores", "", 2)
        csv_path = Path(args.targets[0])
    ids = _question_ids(args.questions)
    if ids is not None:
        assistant.select_questions(ids)  # an unknown id is named before any work starts
    run = assistant.run_eval(
        human_csv=csv_path,
        labelled_dir=args.labelled,
        n=args.reports,
        seed=args.seed,
        length=args.length,
        engine=args.engine or ("offline" if csv_path is None else None),
        question_ids=ids,
        drafts=args.drafts,
        retrieval=not args.no_retrieval,
        n_boot=args.bootstrap,
        on_progress=None if args.json else (lambda msg: print(msg, file=sys.stderr)),
    )
    if args.json:
        _print_json(
            {
                "eval_id": run.eval_id,
                "outputs": run.outputs,
                "overall": run.metrics["overall"],
                "themes": run.metrics["themes"],
            }
        )
    else:
        print(run.headline())
        for name in ("summary", "html", "json"):
            print(f"  {name}: {run.outputs[name]}")
    return 0


def cmd_review_export(args) -> int:
    assistant = _assistant(args)
    report_ids = [assistant.resolve_report(r).report_id for r in args.report] or None
    path = assistant.export_final_answers(Path(args.out), args.format, report_ids=report_ids)
    if args.json:
        _print_json({"path": str(path)})
    else:
        print(f"final answers (with who decided and when): {path}")
    return 0


# --- the yearly analysis, register and sample (issue 14, branch analysis) ---------------


def cmd_analysis(args) -> int:
    assistant = _assistant(args)
    analysis = assistant.analysis(
        args.period,
        run_id=args.run,
        compare=args.compare,
        source=args.source,
        narrative=args.narrative,
    )
    paths = assistant.write_analysis(analysis, Path(args.out) if args.out else None)
    if args.json:
        _print_json({k: str(v) for k, v in paths.items()})
        return 0
    print(f"{analysis.title}: {len(analysis.reports)} reports")
    for line in analysis.method_lines():
        print(f"  {line}")
    for note in analysis.notes():  # decisions on older versions: as cohort says them
        print(f"  note: {note}")
    if analysis.comparison is not None:
        print(f"\nyear on year: {len(analysis.comparison.figures)} figures compared")
    for kind, path in paths.items():
        print(f"{kind:5} {path}")
    return 0


def cmd_register(args) -> int:
    assistant = _assistant(args)
    if args.action == "import":
        if not args.file:
            print("error: register import needs the CSV file", file=sys.stderr)
            return 2
        n, warnings = assistant.import_register(Path(args.file), args.period)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(
            f"register {args.period}: {n} partnership{'' if n == 1 else 's'} imported from "
            f"{Path(args.file).name}"
        )
        return 0
    rows = assistant.register_rows(args.period, required=True)
    if args.json:
        _print_json([r.__dict__ for r in rows])
        return 0
    table = [
        [
            r.partnership[:40],
            r.region,
            {True: "yes", False: "no", None: "?"}[r.published],
            r.date_published or "",
            r.date_sent_panel or "",
            r.date_sent_what_works or "",
        ]
        for r in rows
    ]
    print(_table(table, ["partnership", "region", "published", "on", "to Panel", "to What Works"]))
    return 0


def cmd_sample(args) -> int:
    sample = _assistant(args).draw_sample(args.period, args.n, args.seed, args.by)
    if args.json:
        _print_json(sample.to_json())
        return 0
    print(sample.describe())
    for name in sample.partnerships:
        print(f"  {name}")
    return 0


def cmd_example(args) -> int:
    assistant = _assistant(args)
    report = assistant.resolve_report(args.report)
    event = assistant.mark_example(
        report.report_id,
        args.question,
        args.reviewer,
        on=not args.off,
        page=args.page,
        quote=args.quote,
        note=args.note,
    )
    if args.json:
        _print_json({"event_id": event.event_id, "payload": event.payload})
    else:
        print(event.describe())
    return 0


def cmd_agreement(args) -> int:
    assistant = _assistant(args)
    rows = assistant.field_agreement()
    if args.json:
        _print_json(rows)
        return 0
    shown = [
        [
            r["question_id"],
            r["decided"],
            r["accepted"],
            r["edited"],
            r["rejected"],
            f"{r['accepted_rate']:.0%}" if r["accepted_rate"] is not None else "-",
            r["from_older_versions"],
        ]
        for r in rows
        if r["decided"]
    ]
    if not shown:
        print("no reviewer decisions on drafts yet")
        return 0
    headers = ["question", "decided", "accepted", "edited", "rejected", "accepted %"]
    if any(r["from_older_versions"] for r in rows):  # as the other views: only when any was
        headers.append("decided on older version")
    else:
        shown = [row[:-1] for row in shown]
    print(_table(shown, headers))
    note = assistant.field_agreement_note(rows)
    if note:
        print(f"note: {note}")
    return 0


def cmd_hash_password(args) -> int:
    return auth_main([args.name])


def cmd_settings(args) -> int:
    data = load_settings().masked()
    if args.json:
        _print_json(data)
    else:

        def walk(prefix: str, value) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    walk(f"{prefix}.{key}" if prefix else key, inner)
            else:
                print(f"{prefix} = {value}")

        walk("", data)
    return 0


def cmd_bench(args) -> int:
    # bench and demo pull in the synthetic generator (reportlab, YAML banks): only here
    from assistant.bench import run_benchmark, run_drafting_benchmark

    if args.year:  # issue 15: a realistic-density year, every figure with its comparison
        from assistant.bench_year import run_year_benchmark

        report = run_year_benchmark(
            n_reports=args.reports or 24, latency=args.latency or 1.0, copies=args.copies
        )
    elif args.drafting:
        report = run_drafting_benchmark(latency=args.latency or 0.5)
    else:
        report = run_benchmark(n_reports=args.reports or 8, embedders=args.embedders.split(","))
    _print_json(report) if args.json else print(report["text"])
    return 0


def cmd_demo(args) -> int:
    """Generate the sample year (once), score it offline, summarise, then serve the UI."""
    from assistant.demo import SAMPLE_PERIOD, sample_year  # the generator: see cmd_bench

    samples = sample_year(_assistant(args).settings.home, args.reports)
    started = time.perf_counter()
    score = ["score", str(samples), "--period", SAMPLE_PERIOD, "--engine", "offline"]
    code = main(score + (["--json"] if args.json else []))
    print(
        f"\n(scoring took {time.perf_counter() - started:.1f} s; drafts are offline: no LLM "
        "is configured, and every draft says so)",
        file=sys.stderr,
    )
    if code != 0 or args.no_ui:
        return code
    return serve_ui("127.0.0.1", args.port)  # prints the URL once the UI answers


def load_app():
    """`launch_app` from the top-level app.py (Gradio is imported only there)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from app import launch_app  # app.py imports Gradio: only when the UI starts

    return launch_app


def cmd_serve(args) -> int:
    return serve_ui(args.host, args.port)


def serve_ui(host: str, port: int, *, ready_timeout: float = 60.0) -> int:
    """Start the reviewer UI, print its URL once it answers HTTP, serve until Ctrl-C."""

    launch_app = load_app()
    url = f"http://{_url_host(host)}:{port}/"
    try:
        launch_app(host=host, port=port, prevent_thread_lock=True)  # returns once started
    except OSError as exc:  # the port is taken, or the address cannot be bound
        print(f"error: cannot serve the reviewer UI on {url} ({exc})", file=sys.stderr)
        return 2
    if not _answers_http(url, ready_timeout):
        print(f"error: the reviewer UI did not answer on {url}", file=sys.stderr)
        return 2
    print(f"reviewer UI: {url}  (Ctrl-C to stop)", file=sys.stderr)
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        print("reviewer UI stopped", file=sys.stderr)
    return 0


def _url_host(host: str) -> str:
    """The host to put in a URL for a bind address (a wildcard address → loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _answers_http(url: str, timeout: float) -> bool:
    """True once `url` answers any HTTP response (a login page or a 4xx counts)."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    end = time.monotonic() + timeout
    while True:
        try:
            with opener.open(url, timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            if time.monotonic() > end:
                return False
            time.sleep(0.2)


# --- parser -----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors are JSON on stdout when the command line asks for --json."""

    json_errors = False

    def error(self, message: str):
        message = _with_suggestion(message)
        if self.json_errors:
            _print_json({"error": message, "hint": f"see `{self.prog} --help`"})
            sys.exit(2)
        super().error(message)


_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>.*)\)$")


def _with_suggestion(message: str) -> str:
    """argparse's "invalid choice" error, with the nearest valid choice named first:
    `scroe` → "did you mean 'score'?" (the full list of choices is kept)."""
    found = _INVALID_CHOICE.search(message)
    if not found:
        return message
    choices = re.findall(r"'([^']*)'", found["choices"])
    given = found["given"]
    nearest = [c for c in choices if given and c.startswith(given)][:1]
    nearest = nearest or difflib.get_close_matches(given, choices, n=1, cutoff=0.6)
    if not nearest:
        return message
    return f"{message}; did you mean '{nearest[0]}'?"


def _period(text: str) -> str:
    """--period as the library stores it: 2020/21 and 2020-2021 mean 2020-21."""
    return Assistant.normalise_period(text) or text


def _stored_period(text: str) -> str:
    """--period for what labels a register or a sample: refused unless it is a period."""
    try:
        return checked_period(text)
    except ReviewAssistantError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc.hint}") from None


REPORT_HELP = "the report: id, id prefix, file name, or partnership name (any case; a unique part)"


def _at_least(minimum: int):
    """An argparse type: a whole number of `minimum` or more (argparse names the option)."""

    def whole(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"{n}: give {minimum} or more")
        return n

    return whole


_positive = _at_least(1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="review-assistant",
        description="Draft, cite and count answers to an audit tool for safeguarding "
        "partnership yearly reports. The machine drafts; the human decides.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
        return p

    p = add("ingest", cmd_ingest, "ingest and index report PDFs (files or folders)")
    p.add_argument("paths", nargs="+", help="report PDF files, or folders to search for PDFs")
    p.add_argument(
        "--ocr",
        action="store_true",
        default=None,
        help="read pages without a text layer with Tesseract",
    )
    p.add_argument("--partnership", help="override the detected partnership name")
    p.add_argument("--period", type=_period, help="override the detected period, e.g. 2020-21")
    p.add_argument(
        "--replaces",
        metavar="REPORT",
        help="the file is a new version of this report (id, id prefix or file name); without "
        "it a file is a new version only of a report with the same partnership and period",
    )

    p = add("reports", cmd_reports, "list ingested reports")
    p.add_argument("--period", type=_period, help="only this period, e.g. 2020-21 (or 2020/21)")

    p = add("search", cmd_search, "search one report's passages")
    p.add_argument("report", help=REPORT_HELP)
    p.add_argument("query", help="words or a phrase to look for")
    p.add_argument("-k", type=_positive, default=None, help="passages (default: retrieval.top_k)")
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default=None)

    p = add("ask", cmd_ask, "ask one report a free question (answer with cited pages)")
    p.add_argument("report", help=REPORT_HELP)
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("--engine", help="offline or llm (default: llm when configured)")

    p = add("draft", cmd_draft, "draft the audit tool's answers for one report")
    p.add_argument("report", help=REPORT_HELP)
    p.add_argument("--questions", help="comma-separated ids, e.g. A1,B2 (default: all)")
    p.add_argument("--engine", help="offline or llm (default: llm when configured)")
    p.add_argument(
        "--force",
        action="store_true",
        help="re-draft even if drafts exist, asking the model again (no cached replies)",
    )
    p.add_argument("--context", choices=CONTEXT_CHOICES, help=CONTEXT_HELP)

    p = add("score", cmd_score, "bulk: ingest a folder of reports and draft every question")
    p.add_argument("folder", help="the folder of the year's report PDFs (searched below too)")
    p.add_argument(
        "--period",
        type=_period,
        help="the year, e.g. 2020-21 (labels the run; fills undetected periods)",
    )
    p.add_argument("--engine", help="offline or llm (default: llm when configured)")
    p.add_argument("--concurrency", type=_positive, help="parallel model calls (LLM engine)")
    p.add_argument(
        "--workers", type=_positive, help="report processes for the offline engine (default 1)"
    )
    p.add_argument("--questions", help="comma-separated question ids (default: all)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any report or draft failed")
    p.add_argument("--batch", action="store_true", help="use the OpenAI Batch API (LLM engine)")
    p.add_argument("--poll-seconds", type=float, default=30.0, help="batch polling interval")
    p.add_argument(
        "--redraft-stale",
        action="store_true",
        help="re-draft stored drafts made with other settings (embedder, chunking, retrieval)",
    )
    p.add_argument("--context", choices=CONTEXT_CHOICES, help=CONTEXT_HELP)
    p.add_argument(
        "--plan",
        action="store_true",
        help="print calls, tokens and estimated cost per context strategy; send nothing",
    )

    p = add("cohort", cmd_cohort, "cohort summary of a scoring run (default: the latest)")
    p.add_argument("--run", help="run id or unique prefix, from `runs` (default: latest)")
    p.add_argument(
        "--source",
        choices=["drafts", "accepted", "both"],
        default="drafts",
        help="drafts, accepted (reviewer-decided: accepted, edited or entered) or both",
    )
    p.add_argument(
        "--period", type=_period, help="summarise all reports of a period instead of a run"
    )
    p.add_argument(
        "--out", help="folder for Markdown, JSON, HTML, PNG charts and the figures as CSV/XLSX"
    )

    add("runs", cmd_runs, "list scoring runs (the ids `cohort --run` and `export --run` take)")

    p = add("export", cmd_export, "export a run's drafts as CSV, XLSX and JSON")
    p.add_argument("--run", help="run id or unique prefix, from `runs` (default: latest)")
    p.add_argument("--out", help="output folder (default: <data dir>/outputs/<run id>)")

    p = add("eval", cmd_eval, "evals: agreement of drafts with human audit scores")
    p.add_argument(
        "action",
        choices=["run", "score", "compare", "list"],
        help="run: a generated labelled year; score CSV: the library's drafts "
        "against human scores; compare A B; list",
    )
    p.add_argument("targets", nargs="*", help="score: the CSV; compare: two eval ids")
    p.add_argument("--engine", help="offline (default for run) or llm")
    p.add_argument("--reports", type=_positive, default=40, help="run: reports to generate")
    p.add_argument("--seed", type=int, default=2021, help="run: generator seed")
    p.add_argument(
        "--length",
        choices=["long", "short"],
        default="long",
        help="run: long (40-100 page reports, default) or short (12-30 pages, same gold)",
    )
    p.add_argument(
        "--labelled",
        type=Path,
        default=None,
        help="run: a folder of PDFs with gold.csv or manifest.json instead",
    )
    p.add_argument("--questions", help="comma-separated ids (default: all)")
    p.add_argument(
        "--drafts",
        choices=["fresh", "reuse", "stored"],
        default=None,
        help="fresh: re-draft (default for run); stored: score existing drafts "
        "(default for score); reuse: draft only what is missing",
    )
    p.add_argument("--no-retrieval", action="store_true", help="skip recall@k")
    p.add_argument("--bootstrap", type=_at_least(0), default=1000, help="bootstrap resamples")

    p = add(
        "review-export",
        cmd_review_export,
        "export reviewers' final answers (CSV or XLSX) with who decided and when",
    )
    p.add_argument("--out", required=True, help="file to write, .csv or .xlsx")
    p.add_argument("--format", choices=["csv", "xlsx"], help="default: from --out's suffix")
    p.add_argument("--report", action="append", default=[], help="only this report (repeatable)")

    p = add("analysis", cmd_analysis, "write the draft yearly analysis (DOCX and HTML)")
    p.add_argument("--period", type=_period, help="the year, e.g. 2020-21")
    p.add_argument(
        "--run",
        help="a scoring run's reports instead of all of the period: run id or unique prefix, "
        "from `runs`; the run sets the period",
    )
    p.add_argument(
        "--compare", help="an earlier period (or run id or prefix) for year-on-year figures"
    )
    p.add_argument(
        "--source",
        choices=["decided", "drafts"],
        default="decided",
        help="decided: reviewers' answers, undecided drafts marked (default); drafts: drafts only",
    )
    p.add_argument("--out", help="output folder (default: <data dir>/outputs/analysis-<period>)")
    p.add_argument(
        "--narrative",
        action="store_true",
        help="also a paragraph per theme drafted by the LLM from the figures only (marked)",
    )

    p = add("register", cmd_register, "the register of every partnership of a period")
    p.add_argument(
        "action", choices=["import", "show"], help="import a register CSV, or show a period's"
    )
    p.add_argument("file", nargs="?", help="import: the register CSV")
    p.add_argument("--period", type=_stored_period, required=True, help="the year, e.g. 2020-21")

    p = add("sample", cmd_sample, "draw a reproducible sample of partnerships from the register")
    p.add_argument("--period", type=_stored_period, required=True, help="the year, e.g. 2020-21")
    p.add_argument("--n", type=_positive, required=True, help="how many partnerships")
    p.add_argument("--seed", type=int, required=True, help="random seed (recorded)")
    p.add_argument("--by", choices=["region"], help="stratify by this register column")

    p = add("agreement", cmd_agreement, "per question: drafts accepted / edited / rejected")

    p = add("example", cmd_example, "mark a decided answer 'use as example' of practice")
    p.add_argument("report", help="id, id prefix or file name")
    p.add_argument("question", help="question id, e.g. A6")
    p.add_argument("--reviewer", required=True)
    p.add_argument("--page", type=int, help="page of the passage to quote")
    p.add_argument("--quote", help="the short passage to quote (checked against the page)")
    p.add_argument("--note")
    p.add_argument("--off", action="store_true", help="remove the mark")

    p = add(
        "hash-password",
        cmd_hash_password,
        "print NAME:HASH for REVIEW_ASSISTANT_REVIEWERS (prompts for the password)",
    )
    p.add_argument("name", help="the reviewer's login name")

    p = add("settings", cmd_settings, "show the resolved settings (secrets masked)")
    p.add_argument("action", nargs="?", choices=["show"], default="show", help="show (default)")

    p = add("bench", cmd_bench, "benchmark extraction, embedding and indexing speed")
    p.add_argument(
        "--reports", type=_positive, default=None, help="generated reports (default 8; --year: 24)"
    )
    p.add_argument("--embedders", default="static,minilm")
    p.add_argument(
        "--year",
        action="store_true",
        help="a realistic-density year (40-100 page reports): every issue-15 figure with its "
        "comparison, projected to 130 reports",
    )
    p.add_argument(
        "--copies",
        type=int,
        default=None,
        help="--year: copies of the year in the many-years home (default: ~100k chunks)",
    )
    p.add_argument(
        "--drafting",
        action="store_true",
        help="LLM drafting throughput (concurrency 1 vs 8) and token economy instead",
    )
    p.add_argument(
        "--latency", type=float, default=None, help="simulated model latency (s; 0.5, --year 1.0)"
    )

    p = add("demo", cmd_demo, "the main job on bundled sample reports (offline)")
    p.add_argument("--reports", type=_positive, default=18, help="sample reports to generate")
    p.add_argument("--no-ui", action="store_true", help="do not start the web UI")
    p.add_argument("--port", type=int, default=7860)

    p = add("serve", cmd_serve, "start the reviewer UI (Gradio)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="bind address; anything but loopback requires reviewer logins",
    )
    p.add_argument("--port", type=int, default=7860)
    return parser


# --- context strategies and the run plan (branch draft) ---------------------------------
CONTEXT_CHOICES = ["retrieved", "whole-report", "theme"]
CONTEXT_HELP = (
    "what the LLM engine is shown: retrieved evidence, the whole report, or a theme's "
    "questions in one call over the whole report (default: llm.context)"
)


def _print_score_plan(assistant, args, ids) -> int:
    """`score --plan`: per context strategy, what the run would send; nothing is sent. With
    --batch, the strategies a batch run can use (a --context it cannot is refused as score
    refuses it) and the calls that go in the batch."""
    plans = assistant.plan_score(
        Path(args.folder),
        engine=args.engine or "llm",
        question_ids=ids,
        strategies=[args.context] if args.context else None,  # None: each the run can use
        period=args.period,  # as score fills undetected periods: they link a file's versions
        redraft_stale=args.redraft_stale,
        batch=args.batch,
        on_file=_say_ingested,  # as score says it: an older version's file names the current one
    )
    if args.json:
        _print_json([p.to_json() for p in plans])
        return 0

    def usd(value) -> str:
        return f"${value:,.4f}" if value is not None else "no price"

    rows = [
        [
            p.strategy,
            f"{p.calls:,}",
            f"{p.input_tokens:,}",
            f"{p.cached_tokens:,}",
            f"{p.output_tokens:,}",
            usd(p.cost),
            usd(p.cost_uncached),
            str(p.fallbacks),
        ]
        + ([f"{p.batch_calls:,}"] if args.batch else [])
        for p in plans
    ]
    heads = ["context", "calls", "input tok", "cached tok", "output tok", "cost", "uncached"]
    heads += ["fallbacks"] + (["in batch"] if args.batch else [])
    print(f"plan for {args.folder} with {plans[0].model if plans else '?'}: nothing was sent")
    print(_table(rows, heads))
    if plans and plans[0].cost is None:
        print(f"no price for {plans[0].model}: set llm.prices (USD per million tokens)")
    if args.batch:
        print(
            "--batch: the calls in batch go to the Batch API, the syntheses are sent live after "
            "it; cost is at the standard llm.prices: a batch discount, if the provider gives "
            "one, is not modelled"
        )
    print(
        "tokens are estimated (4 characters a token, 200 a reply); cached: the prefix a call "
        "shares with an earlier call on the same report; fallbacks: reports too long for "
        "llm.context_tokens, drafted from retrieved evidence"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    _printable_streams()
    _Parser.json_errors = "--json" in (sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe (`| head`) shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except ReviewAssistantError as exc:
        return _fail(args, exc.message, exc.hint, 2)
    except KeyboardInterrupt:
        print("interrupted: re-run the same command to continue where it stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # unexpected: one line, the traceback only on request
        if os.environ.get("REVIEW_ASSISTANT_DEBUG"):
            raise
        known = storage_problem(exc, default_home()) or path_problem(exc)
        if known:
            return _fail(args, *known, 2)
        return _fail(
            args,
            f"unexpected {type(exc).__name__}: {exc}",
            "set REVIEW_ASSISTANT_DEBUG=1 for the traceback, and please report it",
            2,
        )


def _printable_streams() -> None:
    """A lone surrogate in what is printed (a file name's byte that is not UTF-8, kept as
    "\\udcff") is printed escaped: a strict UTF-8 terminal stopped the command at printing."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _fail(args, message: str, hint: str, code: int) -> int:
    """An error at the edge: `{"error", "hint"}` on stdout under --json, else one stderr line."""
    try:
        if getattr(args, "json", False):
            _print_json({"error": message, "hint": hint or None})
        else:
            print(f"error: {message}: {hint}" if hint else f"error: {message}", file=sys.stderr)
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()
    return code


def _reader_went_away() -> int:
    """The reader of stdout closed it (`| head`): stop quietly, like other Unix tools."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush must not fail again
    os.close(devnull)
    return 141  # 128 + SIGPIPE, as a shell reports a command killed by a closed pipe


if __name__ == "__main__":
    sys.exit(main())
