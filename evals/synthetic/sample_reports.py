"""Synthetic yearly reports of fictional safeguarding children partnerships, with gold answers.

Every attribute that decides a report's content lives in `ReportSpec` (evals.synthetic.spec);
`build_report` lays a spec out with reportlab and records on which physical pages (1-based)
the evidence for each audit question landed. Same seed -> byte-identical PDF.

CLI: python -m evals.synthetic.sample_reports OUT_DIR [--n N] [--seed S] [--period 2020-21]
     [--scanned] [--length long|short]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from pypdf import PdfReader

from evals.synthetic.bulk import guard_problems, long_sections
from evals.synthetic.layout import estimate_pages, render_pdf
from evals.synthetic.sections import (
    Grid,
    Section,
    add_filler,
    arrangements,
    cover,
    foreword,
    glossary,
    local_context,
    neutral_sections,
    pandemic,
    plans,
    report_context,
)
from evals.synthetic.spec import (
    GOLD_IDS,
    QUESTION_IDS,
    ReportSpec,
    gold_answers,
    load_picklists,
    random_spec,
)
from evals.synthetic.text import PLACES, PRACTICE, SAFEGUARDING, Wording
from evals.synthetic.theme_a import Priority, priorities, progress
from evals.synthetic.theme_bc import agencies, budget, custody, learning, scrutiny, training, voice

__all__ = [
    "QUESTION_IDS", "GOLD_IDS", "ReportSpec", "BuildResult", "random_spec", "gold_answers",
    "load_picklists", "build_sections", "build_report", "generate_sample_set", "main",
]  # fmt: skip
PAGE_RANGE = (12, 30)  # length="short"
LONG_PAGE_RANGE = (40, 100)  # length="long", the default
LENGTHS = ("long", "short")
SCAN_PREFERENCE = ("budget", "voice", "custody", "plans", "glossary")  # drawn as an image
# Tier order for sample sets: any 18 in a row give C8 5/11/2; the first 6 hold all three.
SAMPLE_TIERS = tuple(
    "mid low high mid low mid mid mid low mid mid high mid low mid mid low mid".split()
)


@dataclass
class BuildResult:
    """A built report: where it is, its page count and where each answer's evidence is."""

    path: Path
    n_pages: int
    gold_pages: dict[str, list[int]]
    spec: ReportSpec
    two_column_pages: list[int] = field(default_factory=list)
    scanned_pages: list[int] = field(default_factory=list)


def build_sections(spec: ReportSpec, length: str = "long", correction: int = 0) -> list[Section]:
    """All sections of one report, in order; wording comes from the spec's seed.

    length "short" gives the evidence-bearing core (12-30 pages); "long" (the default) adds
    the bulk of a real report (evals/synthetic/bulk.py) around the same core, to 40-100 pages."""
    if length not in LENGTHS:
        raise ValueError(f"length must be one of {LENGTHS}, not {length!r}")
    w = Wording(random.Random(f"wording:{spec.seed}"), report_context(spec))
    items: list[Priority] = []
    if spec.priorities_stated:
        items = [(s, "A2", w.pick(SAFEGUARDING[s].names)) for s in spec.safeguarding_priorities]
        items += [(s, "A3", w.pick(PRACTICE[s].names)) for s in spec.practice_priorities]
        items = w.shuffled(items)
    c1_in_foreword = w.rng.random() < 0.5
    front = [
        cover(spec, w),
        Section("contents", "Contents", [], in_toc=False),
        foreword(spec, w, spec.period_stated and c1_in_foreword),
        arrangements(spec, w, spec.period_stated and not c1_in_foreword),
        local_context(spec, w),
    ]
    if spec.period.startswith("2020") and w.rng.random() < 0.7:
        front.append(pandemic(w))
    core = [priorities(spec, w, items), progress(spec, w, items), learning(spec, w)]
    core.append(training(spec, w) if spec.training_section else None)
    middle = [scrutiny(spec, w), voice(spec, w), agencies(spec, w), custody(spec, w)]
    middle = [s for s in middle + [budget(spec, w)] if s is not None]
    if len(middle) > 2 and w.rng.random() < 0.5:  # real reports order these differently
        middle[0], middle[1] = middle[1], middle[0]
    sections = [s for s in front + core + middle if s is not None]
    sections += neutral_sections(w, pad=len(sections) < 13)
    next_names = [w.pick(SAFEGUARDING[s].names) for s in spec.next_year_themes]
    sections += [plans(w, next_names), glossary(w)]
    for s in sections:
        add_filler(s, w)
        s.two_column = s.key in spec.two_column_sections
    if spec.scanned_page:
        keys = {s.key for s in sections}
        two = set(spec.two_column_sections)  # keep at least one two-column section
        target = next(k for k in SCAN_PREFERENCE if k in keys and (k not in two or len(two) > 1))
        for s in sections:
            if s.key == target:
                s.scanned, s.two_column = True, False
    if length == "long":
        context = report_context(spec)
        sections = long_sections(spec, context, sections, estimate_pages, correction)
    return sections


def report_filename(spec: ReportSpec) -> str:
    """'<slug>-annual-report-<period>.pdf'."""
    return f"{spec.slug}-annual-report-{spec.period}.pdf"


def build_report(spec: ReportSpec, path: Path, length: str = "long") -> BuildResult:
    """Write the PDF for `spec` to `path`; return its page count and gold evidence pages.

    gold_pages holds every question id except C9; a question whose answer is an absence
    ("no", "not", empty) has no pages. Raises RuntimeError if the layout leaves the page range
    of its length (12-30 short, 40-100 long), loses the two-column or scanned page, puts
    evidence-like words in the bulk, or if a gold page does not hold its tagged text
    (reportlab paginates silently).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header_right = f"Annual Report {spec.period}" if spec.period_stated else "Annual Report"
    low_, high = PAGE_RANGE if length == "short" else LONG_PAGE_RANGE
    correction = 0
    for _attempt in range(3):  # the page estimate can be off on very long reports: re-aim
        sections = build_sections(spec, length, correction)
        layout = render_pdf(sections, path, spec.partnership_name, header_right)
        if length == "short" or low_ <= layout.n_pages <= high:
            break
        bound = high - 3 if layout.n_pages > high else low_ + 3
        correction += bound - layout.n_pages
    problems = guard_problems(spec, sections)
    pages = {q: sorted(layout.evidence.get(q, ())) for q in GOLD_IDS}
    if gold_answers(spec)["C8"] != "not":  # the overall judgement rests on A6, A9 and A10
        pages["C8"] = sorted(set(pages["A6"]) | set(pages["A9"]) | set(pages["A10"]))
    if not low_ <= layout.n_pages <= high:
        problems.append(f"{layout.n_pages} pages, outside {(low_, high)}")
    if spec.two_column_sections and not layout.two_column_pages:
        problems.append("no two-column page")
    if spec.scanned_page and len(layout.scanned_pages) != 1:
        problems.append(f"scanned pages {sorted(layout.scanned_pages)}, expected one")
    problems += gold_page_problems(sections, layout.evidence, path, layout.scanned_pages)
    if problems:
        raise RuntimeError(f"layout of {path.name} (seed {spec.seed}): " + "; ".join(problems))
    two, scanned = sorted(layout.two_column_pages), sorted(layout.scanned_pages)
    return BuildResult(path, layout.n_pages, pages, spec, two, scanned)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def gold_page_problems(
    sections: list[Section], evidence: dict[str, set[int]], path: Path, scanned: set[int]
) -> list[str]:
    """Check the recorded evidence pages against the PDF's text layer.

    Every tagged block's opening words must be on one of its questions' pages, and every
    evidence page must hold some words of a block tagged with that question (a paragraph
    continued from the page before counts). Scanned pages have no text and are skipped."""
    reader = PdfReader(path)
    wanted = sorted({p for ps in evidence.values() for p in ps} - set(scanned))
    text = {p: _words(reader.pages[p - 1].extract_text() or "") for p in wanted}
    blocks: dict[str, list[str]] = {}
    for section in sections:
        if section.scanned:
            continue
        for block in section.blocks:
            if not getattr(block, "qids", ()):
                continue
            if isinstance(block, Grid):
                words = _words(" ".join(c for row in block.rows[1:] for c in row)).split()
            else:
                words = _words(block.text).split()
            for q in block.qids:
                blocks.setdefault(q, []).append(" ".join(words))
    problems = []
    for q, texts in blocks.items():
        pages = [p for p in evidence.get(q, ()) if p in text]
        for t in texts:
            opening = " ".join(t.split()[:5])
            if pages and opening and not any(opening in text[p] for p in pages):
                problems.append(f"{q}: {opening!r} is on none of its pages {pages}")
        for p in pages:
            grams = {
                " ".join(t.split()[i : i + 4])
                for t in texts
                for i in range(0, max(1, len(t.split()) - 3), 3)
            }
            if not any(g and g in text[p] for g in grams):
                problems.append(f"{q}: page {p} holds none of its evidence")
    return problems


def _build_job(job: tuple[ReportSpec, Path, str]) -> BuildResult:
    return build_report(*job)


def generate_sample_set(
    out_dir: Path,
    n: int = 6,
    seed: int = 2021,
    period: str = "2020-21",
    scanned: bool = False,
    length: str = "long",
) -> list[BuildResult]:
    """Write n reports plus manifest.json (spec, gold answers, gold pages) into out_dir.

    Quality tiers follow SAMPLE_TIERS, so 18 reports match the reference audit's 5/11/2 split
    on C8; places are distinct. With scanned=True every third report (2nd, 5th, ...) has one
    page without a text layer.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    places = random.Random(seed).sample(PLACES, len(PLACES))
    specs = []
    for i in range(n):
        place = places[i % len(places)]
        if i >= len(places):  # more reports than places: keep file names unique
            place = f"{place} {i // len(places) + 1}"
        spec = random_spec(seed + i, period, tier=SAMPLE_TIERS[i % 18], place=place)
        specs.append(replace(spec, scanned_page=scanned and i % 3 == 1))
    jobs = [(spec, out_dir / report_filename(spec), length) for spec in specs]
    workers = min(2, os.cpu_count() or 1) if length == "long" and n >= 4 else 1
    if workers > 1:  # each report depends on its spec alone: same bytes in any process
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_build_job, jobs))
    else:
        results = [_build_job(job) for job in jobs]
    manifest = {
        "generator": "evals.sample_reports",
        "version": 2,
        "seed": seed,
        "period": period,
        "length": length,
        "note": "Synthetic reports of fictional partnerships; pages are 1-based physical pages.",
        "reports": [manifest_entry(r) for r in results],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return results


def manifest_entry(result: BuildResult) -> dict[str, object]:
    """One report's manifest record."""
    return {
        "file": result.path.name,
        "n_pages": result.n_pages,
        "spec": asdict(result.spec),
        "gold_answers": gold_answers(result.spec),
        "gold_pages": result.gold_pages,
        "two_column_pages": result.two_column_pages,
        "scanned_pages": result.scanned_pages,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: write a sample set and print one line per report."""
    parser = argparse.ArgumentParser(description="Write synthetic sample reports + manifest.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--period", default="2020-21")
    parser.add_argument("--scanned", action="store_true", help="image-only page in every third")
    parser.add_argument("--length", choices=LENGTHS, default="long", help="long: 40-100 pages")
    args = parser.parse_args(argv)
    results = generate_sample_set(
        args.out_dir, args.n, args.seed, args.period, args.scanned, args.length
    )
    for r in results:
        print(f"{r.path}  {r.n_pages} pages  tier={r.spec.tier}")
    print(f"manifest: {args.out_dir / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
