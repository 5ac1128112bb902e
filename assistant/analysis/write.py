"""Write an analysis: analysis.docx, one self-contained analysis.html, analysis.json, PNGs."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.analysis.docx_doc import write_docx
from assistant.analysis.figures import Analysis
from assistant.analysis.html_doc import render_html
from assistant.bulk.cohort import charts as cohort_charts


def analysis_json(a: Analysis) -> dict:
    return {
        "title": a.title,
        "period": a.period,
        "run_id": a.run_id,
        "source": a.source,
        "method": a.method_lines(),
        "notes": a.notes(),
        "older_versions": a.older.to_json() if a.older is not None else None,
        "reports": [
            {"report_id": r.report_id, "partnership": r.partnership, "file": r.file_name}
            for r in a.reports.values()
        ],
        "findings": [
            {
                "question_id": f.question.id,
                "sentence": f.sentence,
                "undecided": f.undecided,
                "older_versions": f.older,
                "figures": {k: {"label": lb, **c.to_json()} for k, (lb, c) in f.figures.items()},
                "missing": (
                    {"why": f.missing_why, **f.missing.to_json()} if f.missing is not None else None
                ),
            }
            for f in a.findings
        ],
        "compliance": [{"label": lb, **c.to_json()} for lb, c in a.compliance],
        "sample": a.sample.to_json() if a.sample else None,
        "examples": [
            {
                "question_id": e.question.id,
                "report_id": e.report_id,
                "answer": e.answer,
                "page": e.passage.page if e.passage else None,
                "quote": e.passage.quote if e.passage else None,
                "chosen_by": e.chosen_by,
                "undecided": e.undecided,
                "older_version": e.older,
            }
            for e in a.examples
        ],
        "agreement": a.agreement,
        "comparison": (
            {
                "then": a.comparison.then_title,
                "now": a.comparison.now_title,
                "figures": [f.text for f in a.comparison.figures],
                "partnerships": {
                    p.partnership: [list(c) for c in p.changes] for p in a.comparison.partnerships
                },
            }
            if a.comparison
            else None
        ),
    }


def write_analysis(a: Analysis, out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = cohort_charts(a.summary)
    for name, data in images.items():
        (out_dir / name).write_bytes(data)
    paths = {
        "docx": write_docx(a, images, out_dir / "analysis.docx"),
        "html": out_dir / "analysis.html",
        "json": out_dir / "analysis.json",
    }
    paths["html"].write_text(render_html(a, images), encoding="utf-8")
    paths["json"].write_text(json.dumps(analysis_json(a), indent=2, default=str), "utf-8")
    return paths
