"""Cohort summary: for each audit question, how the year's reports were answered.

The figures take the shape the reference analysis publishes ("neglect a priority: 11/18";
evidence ratings not/partly/evidenced 5/11/2). Sources: machine drafts, reviewer-accepted
answers, or both side by side. Abstentions and failures are counted, never dropped.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.questions import AnswerType, Question, QuestionBank
from assistant.review.decisions import DecisionStore

if TYPE_CHECKING:
    from assistant.drafting.store import DraftStore

GRADED = (AnswerType.YES_NO, AnswerType.YES_PARTLY_NO, AnswerType.RATING, AnswerType.LADDER)


@dataclass
class QuestionTally:
    """Answers to one question across the cohort, from one source."""

    question: Question
    source: str
    n_reports: int
    answers: dict[str, object] = field(default_factory=dict)  # report_id → answer
    abstained: int = 0
    failed: int = 0
    undecided: int = 0

    @property
    def n_answered(self) -> int:
        return len(self.answers)

    def counts(self) -> Counter:
        """Value → number of reports (multi-select: option → reports selecting it)."""
        counter: Counter = Counter()
        for answer in self.answers.values():
            if self.question.answer_type is AnswerType.MULTI_SELECT:
                counter.update(answer or [])
            elif self.question.answer_type in GRADED:
                counter[str(answer)] += 1
        return counter

    def phrases(self) -> list[str]:
        """Human-readable cohort figures for this question."""
        q, n = self.question, self.n_answered
        counts = self.counts()
        if n == 0:
            if q.answer_type is AnswerType.MULTI_SELECT:  # its label is "{option} a priority"
                return [f"{q.text.rstrip('?')}: no answers"]
            return [f"{q.cohort_label}: no answers"]
        if q.answer_type is AnswerType.MULTI_SELECT:
            return [f"{q.cohort_phrase(opt)}: {c}/{n}" for opt, c in counts.most_common() if c]
        if q.answer_type in (AnswerType.RATING, AnswerType.YES_PARTLY_NO):
            order = list(q.options())
            labels = "/".join(order)
            figures = "/".join(str(counts.get(v, 0)) for v in order)
            return [f"{q.cohort_label}: {labels} {figures} (of {n})"]
        if q.answer_type is AnswerType.YES_NO:
            return [f"{q.cohort_label}: {counts.get('yes', 0)}/{n}"]
        if q.answer_type is AnswerType.LADDER:
            dist = ", ".join(f"level {lv}: {counts.get(str(lv), 0)}" for lv in range(6))
            return [f"{q.cohort_label}: {dist} (of {n})"]
        if q.answer_type is AnswerType.COUNT:
            values = [int(v) for v in self.answers.values()]
            return [
                f"{q.cohort_label}: median {statistics.median(values):g}, "
                f"range {min(values)}-{max(values)}, total {sum(values)} (of {n})"
            ]
        return [f"{q.cohort_label}: {n} answered"]

    def to_json(self) -> dict:
        return {
            "question_id": self.question.id,
            "source": self.source,
            "n_reports": self.n_reports,
            "n_answered": self.n_answered,
            "abstained": self.abstained,
            "failed": self.failed,
            "undecided": self.undecided,
            "counts": dict(self.counts()),
            "phrases": self.phrases(),
        }


@dataclass
class CohortSummary:
    """Per-question tallies for one or two sources."""

    label: str
    report_ids: list[str]
    tallies: dict[str, list[QuestionTally]]  # source → tallies in bank order

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "reports": len(self.report_ids),
            "sources": {s: [t.to_json() for t in ts] for s, ts in self.tallies.items()},
        }

    def text(self) -> str:
        """Plain-text summary grouped by theme."""
        sources = list(self.tallies)
        lines = [
            f"Cohort summary — {self.label}: {len(self.report_ids)} reports "
            f"({' vs '.join(sources)})"
        ]
        current_theme = None
        by_source = {s: {t.question.id: t for t in ts} for s, ts in self.tallies.items()}
        for tally in self.tallies[sources[0]]:
            q = tally.question
            if q.theme != current_theme:
                current_theme = q.theme
                lines.append(f"\nTheme {q.theme}")
            for source in sources:
                t = by_source[source][q.id]
                tag = f"[{source}] " if len(sources) > 1 else ""
                extra = []
                if t.abstained:
                    extra.append(f"{t.abstained} not found")
                if t.failed:
                    extra.append(f"{t.failed} failed")
                if t.undecided:
                    extra.append(f"{t.undecided} not yet reviewed")
                suffix = f"  ({', '.join(extra)})" if extra else ""
                for i, phrase in enumerate(t.phrases()[:6]):
                    lines.append(f"  {q.id:<4} {tag}{phrase}{suffix if i == 0 else ''}")
        return "\n".join(lines)

    def markdown(self) -> str:
        sources = list(self.tallies)
        by_source = {s: {t.question.id: t for t in ts} for s, ts in self.tallies.items()}
        head = "| question | " + " | ".join(sources) + " |"
        rows = [
            f"# Cohort summary: {self.label} ({len(self.report_ids)} reports)",
            "",
            head,
            "|" + "---|" * (len(sources) + 1),
        ]
        for tally in self.tallies[sources[0]]:
            cells = ["<br>".join(by_source[s][tally.question.id].phrases()) for s in sources]
            rows.append(
                f"| {tally.question.id} | " + " | ".join(c.replace("|", "/") for c in cells) + " |"
            )
        return "\n".join(rows) + "\n"


def tally(
    bank: QuestionBank, report_ids: list[str], source: str, answers_for
) -> list[QuestionTally]:
    """Tally every question; `answers_for(report_id)` → {qid: (status, answer)}."""
    per_report = {rid: answers_for(rid) for rid in report_ids}
    tallies = []
    for q in bank.questions:
        t = QuestionTally(q, source, len(report_ids))
        for rid in report_ids:
            status, answer = per_report[rid].get(q.id, ("undecided", None))
            if status == "answered":
                t.answers[rid] = answer
            elif status == "abstained":
                t.abstained += 1
            elif status == "failed":
                t.failed += 1
            else:
                t.undecided += 1
        tallies.append(t)
    return tallies


def draft_answers(drafts: DraftStore, engine: str | None = None):
    """answers_for() over current drafts."""

    def answers_for(report_id: str) -> dict:
        out = {}
        for d in drafts.for_report(report_id, engine=engine):
            if d.status in ("ok", "flagged"):
                out[d.question_id] = ("answered", d.answer)
            elif d.status == "abstained":
                out[d.question_id] = ("abstained", None)
            else:
                out[d.question_id] = ("failed", None)
        return out

    return answers_for


def accepted_answers(store: DecisionStore):
    """answers_for() over reviewer decisions (accepted, edited or entered answers)."""

    def answers_for(report_id: str) -> dict:
        out = {}
        for qid, state in store.current(report_id).items():
            if state.status in ("accepted", "edited", "entered") and state.answer is not None:
                out[qid] = ("answered", state.answer)
        return out

    return answers_for


def cohort_summary(
    bank: QuestionBank,
    drafts: DraftStore,
    decisions: DecisionStore,
    report_ids: list[str],
    *,
    source: str = "drafts",
    engine: str | None = None,
    label: str = "cohort",
) -> CohortSummary:
    """Summary from `drafts`, `accepted` (reviewer decisions) or `both`."""
    sources = ["drafts", "accepted"] if source == "both" else [source]
    tallies = {}
    for s in sources:
        answers_for = (
            draft_answers(drafts, engine) if s == "drafts" else accepted_answers(decisions)
        )
        tallies[s] = tally(bank, report_ids, s, answers_for)
    return CohortSummary(label, report_ids, tallies)


# --- charts and files -------------------------------------------------------------------


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def charts(summary: CohortSummary) -> dict[str, bytes]:
    """PNG charts: graded answers as stacked bars, pick-list prevalence as bars."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # "$" in a run label is not a formula
    import matplotlib.pyplot as plt

    source = list(summary.tallies)[0]
    tallies = summary.tallies[source]
    out: dict[str, bytes] = {}
    graded = [t for t in tallies if t.question.answer_type in GRADED[:3] and t.n_answered]
    if graded:
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(graded) + 1.2))
        palette = {
            "no": "#c0504d",
            "not": "#c0504d",
            "partly": "#f2c14e",
            "yes": "#4f9d69",
            "evidenced": "#4f9d69",
        }
        for row, t in enumerate(reversed(graded)):
            left = 0
            counts = t.counts()
            for value in t.question.options():
                width = counts.get(value, 0)
                ax.barh(row, width, left=left, color=palette.get(value, "#888"), edgecolor="white")
                if width:
                    ax.text(left + width / 2, row, str(width), ha="center", va="center", fontsize=7)
                left += width
        ax.set_yticks(range(len(graded)))
        ax.set_yticklabels(
            [f"{t.question.id} {t.question.cohort_label[:40]}" for t in reversed(graded)],
            fontsize=7,
        )
        ax.set_xlabel("reports (red: no / not evidenced, amber: partly, green: yes / evidenced)")
        ax.set_title(f"{summary.label}: graded questions ({source})")
        out["graded.png"] = _png(fig)
        plt.close(fig)
    for t in tallies:
        if t.question.answer_type is not AnswerType.MULTI_SELECT or not t.n_answered:
            continue
        counts = t.counts()
        options = [o for o in t.question.options() if counts.get(o)]
        if not options:
            continue
        options.sort(key=lambda o: counts[o])
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(options) + 1))
        ax.barh(range(len(options)), [counts[o] for o in options], color="#4a7ebb")
        ax.set_yticks(range(len(options)))
        ax.set_yticklabels([t.question.options()[o][:45] for o in options], fontsize=7)
        ax.set_xlim(0, t.n_answered)
        ax.set_xlabel(f"reports (of {t.n_answered})")
        ax.set_title(f"{t.question.id}: {t.question.text[:70]}", fontsize=9)
        out[f"{t.question.id}.png"] = _png(fig)
        plt.close(fig)
    return out


def write_outputs(summary: CohortSummary, out_dir: Path) -> dict[str, Path]:
    """Markdown, JSON, PNG charts and a self-contained HTML page."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "cohort.md",
        "json": out_dir / "cohort.json",
        "html": out_dir / "cohort.html",
    }
    paths["markdown"].write_text(summary.markdown(), encoding="utf-8")
    paths["json"].write_text(json.dumps(summary.to_json(), indent=2), encoding="utf-8")
    images = charts(summary)
    for name, data in images.items():
        (out_dir / name).write_bytes(data)
    body = [
        f"<h1>Cohort summary: {html.escape(summary.label)}</h1>",
        f"<p>{len(summary.report_ids)} reports</p><pre>{html.escape(summary.text())}</pre>",
    ]
    for name, data in images.items():
        body.append(
            f'<figure><img alt="{html.escape(name)}" '
            f'src="data:image/png;base64,{base64.b64encode(data).decode()}"></figure>'
        )
    paths["html"].write_text(
        "<!doctype html><meta charset='utf-8'><title>Cohort summary</title>"
        "<style>body{font-family:sans-serif;max-width:960px;margin:auto}pre{white-space:pre-wrap}"
        "</style>" + "\n".join(body),
        encoding="utf-8",
    )
    return paths
