"""A labelled synthetic year: generated reports plus gold scores in the users' CSV format.

The generator (evals/synthetic/sample_reports.py)
writes the PDFs and manifest.json (spec, gold answers,
gold evidence pages); this module turns the manifest into `gold.csv`, the same human-scores
format users bring (human_scores.py), so the eval harness scores generated and real
years through one path. PDFs are generated at eval time from a seed and never committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.human_scores import write_human_scores
from assistant.questions import QuestionBank, load_bank

GOLD_CSV = "gold.csv"
MANIFEST = "manifest.json"
GOLD_AUDITOR = "gold"
DEFAULT_N = 40
DEFAULT_SEED = 2021
DEFAULT_LENGTH = "long"  # 40-100 page reports, like a real year; "short": 12-30 pages


@dataclass
class LabelledSet:
    """A folder of report PDFs with gold scores (gold.csv) and the generator's manifest."""

    folder: Path
    files: list[Path]
    gold_csv: Path
    manifest: Path | None
    seed: int | None
    period: str | None
    length: str | None = None

    @property
    def n(self) -> int:
        return len(self.files)

    def describe(self) -> str:
        """One line naming the set, e.g. 'generated year: 40 long reports, seed 2021, 2020-21'."""
        if self.seed is None:
            return f"{self.folder} ({self.n} reports)"
        kind = f" {self.length}" if self.length else ""
        return f"generated year: {self.n}{kind} reports, seed {self.seed}, period {self.period}"


def gold_rows(manifest: dict, bank: QuestionBank) -> list[dict]:
    """Human-scores rows from a generator manifest: every gold answer with its gold pages.

    Free-text gold (C10's list of gap tags) is written as text; questions the bank does not
    hold, or that are not answerable from the text, are skipped (the generator has no gold
    for them).
    """
    known = {q.id for q in bank.questions if q.answerable_from_text}
    rows = []
    for report in manifest["reports"]:
        pages = report.get("gold_pages", {})
        for qid, answer in report["gold_answers"].items():
            if qid not in known:
                continue
            question = bank.get(qid)
            if question.answer_type.value == "free_text" and isinstance(answer, list):
                answer = "; ".join(answer) or "no gaps"
            rows.append(
                {
                    "report": report["file"],
                    "question_id": qid,
                    "answer": answer,
                    "evidence_pages": pages.get(qid, []),
                    "auditor": GOLD_AUDITOR,
                    "notes": "",
                }
            )
    return rows


def write_gold_csv(folder: Path, bank: QuestionBank | None = None) -> Path:
    """Write `<folder>/gold.csv` from `<folder>/manifest.json`; returns its path."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return write_human_scores(
        folder / GOLD_CSV, gold_rows(manifest, bank or load_bank()), bank or load_bank()
    )


def generate_labelled_year(
    out_dir: Path,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    period: str = "2020-21",
    bank: QuestionBank | None = None,
    length: str = DEFAULT_LENGTH,
) -> LabelledSet:
    """Generate n reports (same seed -> same PDFs) with manifest.json and gold.csv in out_dir.

    The generator cycles quality tiers so that every 18 consecutive reports reproduce the
    reference audit's 5/11/2 split on the overall rating. length "long" (default) writes
    40-100 page reports, "short" 12-30 pages with the same gold answers.
    """
    out_dir = Path(out_dir)
    for stale in out_dir.glob("*.pdf"):  # a smaller n must not leave extra reports behind
        stale.unlink()
    # the generator (reportlab, YAML banks) loads only when a labelled year is generated
    from evals.synthetic.sample_reports import generate_sample_set

    results = generate_sample_set(out_dir, n=n, seed=seed, period=period, length=length)
    gold = write_gold_csv(out_dir, bank)
    files = [r.path for r in results]
    return LabelledSet(out_dir, files, gold, out_dir / MANIFEST, seed, period, length)


def open_labelled_set(folder: Path, bank: QuestionBank | None = None) -> LabelledSet:
    """An existing labelled folder: the PDFs below it and its gold.csv (written from
    manifest.json if absent)."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    gold = folder / GOLD_CSV
    if not gold.exists() and manifest:
        gold = write_gold_csv(folder, bank)
    # PDFs anywhere below the folder (e.g. `reports/` beside gold.csv), in a stable order
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
    return LabelledSet(
        folder,
        files,
        gold,
        manifest_path if manifest else None,
        manifest.get("seed"),
        manifest.get("period"),
        manifest.get("length", "short" if manifest else None),  # before v2: short only
    )
