"""Cohort summary: for each audit question, how the year's reports were answered.

The figures take the shape the reference analysis publishes ("neglect a priority: 11/18";
evidence ratings not/partly/evidenced 5/11/2). Sources: machine drafts, reviewer-accepted
answers, or both side by side. Abstentions and failures are counted, never dropped.

A report counts once, as its current version. What reviewers decided on an older version of it
is never dropped: a question the current version has no decision on counts the newest older
version's answer (and says so), and the decisions no figure uses are counted in a note that
points to the final-answer export, where every decision is.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.bulk.export import write_csv, write_xlsx
from assistant.questions import AnswerType, Question, QuestionBank
from assistant.review.decisions import DecisionStore, ItemState

if TYPE_CHECKING:
    from assistant.drafting.store import DraftStore

GRADED = (AnswerType.YES_NO, AnswerType.YES_PARTLY_NO, AnswerType.RATING, AnswerType.LADDER)

# What each source means, as shown to people: "accepted" counts every answer a reviewer
# decided (accepted as drafted, edited, or entered), not only accepted drafts.
SOURCE_LABELS = {
    "drafts": "drafts",
    "accepted": "reviewer-decided (accepted, edited or entered)",
}
SOURCE_SHORT = {"drafts": "drafts", "accepted": "reviewer-decided"}
ANSWERING = ("accepted", "edited", "entered")  # decisions that give the item an answer
FINAL_EXPORT = "review-export --out FILE, or Export final answers on the Review page"


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
    from_older: int = 0  # of the answers: decided on an older version of the report

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
            "from_older_versions": self.from_older,
            "counts": dict(self.counts()),
            "phrases": self.phrases(),
        }


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class OlderVersionDecisions:
    """Reviewer decisions on older versions of the counted reports: which the figures count
    (the current version has none on that question) and which they leave out (a later decision
    replaces it, or it rejected the draft), each with the counted reports they belong to."""

    counted: int = 0
    counted_reports: set[str] = field(default_factory=set)
    not_counted: int = 0
    not_counted_reports: set[str] = field(default_factory=set)
    examples_not_shown: int = 0  # "use as example" marks on answers no figure uses
    examples_not_shown_reports: set[str] = field(default_factory=set)

    def to_json(self) -> dict:
        return {
            "counted": self.counted,
            "counted_reports": len(self.counted_reports),
            "not_counted": self.not_counted,
            "not_counted_reports": len(self.not_counted_reports),
        }

    def notes(self) -> list[str]:
        """What people must be told: nothing a reviewer decided leaves the figures unsaid."""
        notes = []
        if self.counted:
            n, k = self.counted, len(self.counted_reports)
            one = n == 1
            notes.append(
                f"{_n(n, 'reviewer-decided answer', 'reviewer-decided answers')} in these "
                f"figures {'was' if one else 'were'} decided on "
                f"{'an older version' if k == 1 else 'older versions'} of "
                f"{_n(k, 'report', 'reports')} ("
                + ("its current version has" if k == 1 else "their current versions have")
                + f" no decision on {'that question' if one else 'those questions'} yet): "
                f"decide {'it' if one else 'them'} again on the current version in Review if the "
                "correction changed the answer"
            )
        if self.not_counted:
            n, k = self.not_counted, len(self.not_counted_reports)
            one = n == 1
            notes.append(
                f"{_n(n, 'reviewer decision', 'reviewer decisions')} on "
                f"{'an older version' if k == 1 else 'older versions'} of "
                f"{_n(k, 'report', 'reports')} {'is' if one else 'are'} not in these figures "
                f"(a later decision on the same question replaces {'it' if one else 'them'}, or "
                f"{'it' if one else 'they'} rejected the draft without an answer); every "
                f"decision is in the final-answer export: {FINAL_EXPORT}"
            )
        return notes


@dataclass
class CohortSummary:
    """Per-question tallies for one or two sources."""

    label: str
    report_ids: list[str]
    tallies: dict[str, list[QuestionTally]]  # source → tallies in bank order
    older: OlderVersionDecisions | None = None  # with reviewer-decided answers

    def notes(self) -> list[str]:
        """Sentences every view of the figures shows with them (CLI, files, the Cohort page)."""
        return self.older.notes() if self.older else []

    def to_json(self) -> dict:
        data = {
            "label": self.label,
            "reports": len(self.report_ids),
            "sources": {s: [t.to_json() for t in ts] for s, ts in self.tallies.items()},
        }
        if self.older is not None:
            data["older_versions"] = self.older.to_json()
            data["notes"] = self.notes()
        return data

    def text(self) -> str:
        """Plain-text summary grouped by theme."""
        sources = list(self.tallies)
        lines = [
            f"Cohort summary — {self.label}: {len(self.report_ids)} reports "
            f"({' vs '.join(SOURCE_LABELS.get(s, s) for s in sources)})"
        ]
        lines += [f"note: {note}" for note in self.notes()]
        current_theme = None
        by_source = {s: {t.question.id: t for t in ts} for s, ts in self.tallies.items()}
        for tally in self.tallies[sources[0]]:
            q = tally.question
            if q.theme != current_theme:
                current_theme = q.theme
                lines.append(f"\nTheme {q.theme}")
            for source in sources:
                t = by_source[source][q.id]
                tag = f"[{SOURCE_SHORT.get(source, source)}] " if len(sources) > 1 else ""
                extra = []
                if t.abstained:
                    extra.append(f"{t.abstained} not found")
                if t.failed:
                    extra.append(f"{t.failed} failed")
                if t.undecided:  # no draft (e.g. not in the run's questions) / no decision
                    pending = "not drafted" if source == "drafts" else "not yet reviewed"
                    extra.append(f"{t.undecided} {pending}")
                if t.from_older:
                    extra.append(f"{t.from_older} decided on an older version")
                suffix = f"  ({', '.join(extra)})" if extra else ""
                for i, phrase in enumerate(t.phrases()[:6]):
                    lines.append(f"  {q.id:<4} {tag}{phrase}{suffix if i == 0 else ''}")
        return "\n".join(lines)

    def markdown(self) -> str:
        sources = list(self.tallies)
        by_source = {s: {t.question.id: t for t in ts} for s, ts in self.tallies.items()}
        head = "| question | " + " | ".join(SOURCE_LABELS.get(s, s) for s in sources) + " |"
        rows = [
            f"# Cohort summary: {self.label} ({len(self.report_ids)} reports)",
            "",
            head,
            "|" + "---|" * (len(sources) + 1),
        ]
        if self.notes():
            rows[1:1] = ["", *(f"> {note}" for note in self.notes())]
        for tally in self.tallies[sources[0]]:
            cells = ["<br>".join(by_source[s][tally.question.id].phrases()) for s in sources]
            rows.append(
                f"| {tally.question.id} | " + " | ".join(c.replace("|", "/") for c in cells) + " |"
            )
        return "\n".join(rows) + "\n"


def tally(
    bank: QuestionBank, report_ids: list[str], source: str, answers_for
) -> list[QuestionTally]:
    """Tally every question; `answers_for(report_id)` → {qid: (status, answer)}, or
    (status, answer, older version id) for an answer decided on an older version."""
    per_report = {rid: answers_for(rid) for rid in report_ids}
    tallies = []
    for q in bank.questions:
        t = QuestionTally(q, source, len(report_ids))
        for rid in report_ids:
            status, answer, *older = per_report[rid].get(q.id, ("undecided", None))
            if status == "answered":
                t.answers[rid] = answer
                t.from_older += bool(older and older[0])
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


def _over_versions(
    store: DecisionStore,
    report_id: str,
    older_versions: Callable[[str], list[str]] | None,
):
    """(older version id or None for the report's own, question id, state, latest) for every
    item of the report's versions, newest version first. `latest` marks the question's latest
    decision over the versions: the current version's, else the newest older version's (a
    rejection too). Every reader of decisions over versions goes through this one rule."""
    settled: set[str] = set()  # questions whose latest decision was met
    older = older_versions(report_id) if older_versions else []
    for version in [report_id, *older]:
        on_older = version if version != report_id else None
        for qid, state in store.current(version).items():
            yield on_older, qid, state, state.reviewed and qid not in settled
            if state.reviewed:
                settled.add(qid)


def latest_over_versions(
    store: DecisionStore,
    report_id: str,
    older_versions: Callable[[str], list[str]] | None = None,
) -> dict[str, tuple[ItemState, str | None]]:
    """Question id → (its latest decision over the report's versions, accepted, edited, entered
    or rejected; the older version it was made on, or None for the report's own), by the rule
    `decided_over_versions` counts answers with. Agreement from the field reads it (a rejection
    is a verdict on a draft there) and so does blind second marking (which version holds the
    first answer)."""
    return {
        qid: (state, older)
        for older, qid, state, latest in _over_versions(store, report_id, older_versions)
        if latest
    }


def decided_over_versions(
    store: DecisionStore,
    report_id: str,
    older_versions: Callable[[str], list[str]] | None = None,
    seen: OlderVersionDecisions | None = None,
) -> dict[str, tuple[ItemState, str | None]]:
    """Question id → (the decision that gives it its answer, the older version it was made on,
    or None for the report's own), over accepted, edited or entered answers.

    With `older_versions` (report id → the ids it replaced, newest first), each question takes
    the latest decision over the report's versions: the current version's, else the newest
    older version's; a rejection settles the question without an answer. `seen` counts the
    older versions' decisions, used or not, and their example marks no answer carries. The
    cohort and the yearly analysis both read decisions through here, so they count alike."""
    out: dict[str, tuple[ItemState, str | None]] = {}
    for older, qid, state, latest in _over_versions(store, report_id, older_versions):
        counts = latest and state.status in ANSWERING and state.answer is not None
        if counts:
            out[qid] = (state, older)
        if older and seen is not None:
            if counts:
                seen.counted += 1
                seen.counted_reports.add(report_id)
            elif state.reviewed:  # replaced by a later decision, or a rejection: said
                seen.not_counted += 1
                seen.not_counted_reports.add(report_id)
            if state.example and not counts:  # marked on an answer no figure uses
                seen.examples_not_shown += 1
                seen.examples_not_shown_reports.add(report_id)
    return out


def accepted_answers(
    store: DecisionStore,
    older_versions: Callable[[str], list[str]] | None = None,
    seen: OlderVersionDecisions | None = None,
):
    """answers_for() over reviewer decisions (accepted, edited or entered answers), older
    versions' kept as `decided_over_versions` keeps them."""

    def answers_for(report_id: str) -> dict:
        decided = decided_over_versions(store, report_id, older_versions, seen)
        return {
            qid: ("answered", state.answer, version) for qid, (state, version) in decided.items()
        }

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
    older_versions: Callable[[str], list[str]] | None = None,
) -> CohortSummary:
    """Summary from `drafts`, `accepted` (reviewer decisions) or `both`; `older_versions`
    (report id → the ids it replaced, newest first) keeps what reviewers decided on those."""
    sources = ["drafts", "accepted"] if source == "both" else [source]
    tallies = {}
    older = OlderVersionDecisions() if "accepted" in sources else None
    for s in sources:
        answers_for = (
            draft_answers(drafts, engine)
            if s == "drafts"
            else accepted_answers(decisions, older_versions, older)
        )
        tallies[s] = tally(bank, report_ids, s, answers_for)
    return CohortSummary(label, report_ids, tallies, older)


# --- charts and files -------------------------------------------------------------------


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _wrap(text: str, width: int = 48) -> str:
    """A chart label on as many lines as it needs: never cut."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def charts(summary: CohortSummary) -> dict[str, bytes]:
    """PNG charts: graded answers as stacked bars, pick-list prevalence as bars; with two
    sources ("both"), each question's bars for drafts and reviewer-decided answers together."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # "$" in a run label is not a formula
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    sources = list(summary.tallies)
    by_source = {s: {t.question.id: t for t in ts} for s, ts in summary.tallies.items()}
    first = summary.tallies[sources[0]]
    both = len(sources) > 1
    title_sources = " vs ".join(SOURCE_SHORT.get(s, s) for s in sources)
    out: dict[str, bytes] = {}
    graded_ids = [
        t.question.id
        for t in first
        if t.question.answer_type in GRADED[:3]
        and any(by_source[s][t.question.id].n_answered for s in sources)
    ]
    rows = [(by_source[s][qid], s) for qid in graded_ids for s in sources]
    if rows:
        labels = []
        for t, s in rows:
            label = f"{t.question.id} {t.question.cohort_label}"
            labels.append(_wrap(f"{label} [{SOURCE_SHORT.get(s, s)}]" if both else label))
        lines = sum(label.count("\n") + 1 for label in labels)
        fig, ax = plt.subplots(figsize=(9, 0.22 * lines + 0.18 * len(rows) + 1.4))
        palette = {
            "no": "#c0504d",
            "not": "#c0504d",
            "partly": "#f2c14e",
            "yes": "#4f9d69",
            "evidenced": "#4f9d69",
        }
        for row, (t, s) in enumerate(reversed(rows)):
            left = 0
            counts = t.counts()
            hatch = "//" if both and s != sources[0] else None
            for value in t.question.options():
                width = counts.get(value, 0)
                ax.barh(
                    row,
                    width,
                    left=left,
                    color=palette.get(value, "#888"),
                    edgecolor="white",
                    hatch=hatch,
                )
                if width:
                    ax.text(left + width / 2, row, str(width), ha="center", va="center", fontsize=7)
                left += width
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(list(reversed(labels)), fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("reports (red: no / not evidenced, amber: partly, green: yes / evidenced)")
        ax.set_title(f"{summary.label}: graded questions ({title_sources})")
        out["graded.png"] = _png(fig)
        plt.close(fig)
    for t0 in first:
        q = t0.question
        if q.answer_type is not AnswerType.MULTI_SELECT:
            continue
        tallies = [by_source[s][q.id] for s in sources]
        counts = [t.counts() for t in tallies]
        options = [o for o in q.options() if any(c.get(o) for c in counts)]
        if not options:
            continue
        options.sort(key=lambda o: counts[0].get(o, 0))
        lines = sum(_wrap(q.options()[o], 45).count("\n") + 1 for o in options)
        fig, ax = plt.subplots(figsize=(8, 0.28 * lines * len(sources) + 1.2))
        height = 0.8 / len(sources)
        colours = ["#4a7ebb", "#e08a3c"]
        for i, (s, t, c) in enumerate(zip(sources, tallies, counts, strict=True)):
            offsets = [row + (len(sources) - 1 - 2 * i) * height / 2 for row in range(len(options))]
            label = f"{SOURCE_SHORT.get(s, s)} (of {t.n_answered})"
            ax.barh(offsets, [c.get(o, 0) for o in options], height, color=colours[i], label=label)
        ax.set_yticks(range(len(options)))
        ax.set_yticklabels([_wrap(q.options()[o], 45) for o in options], fontsize=7)
        ax.set_xlim(0, max(1, max(t.n_answered for t in tallies)))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(
            "reports (" + ", ".join(f"{SOURCE_SHORT.get(s, s)} of {t.n_answered}"
                                    for s, t in zip(sources, tallies, strict=True)) + ")"
        )
        if both:
            ax.legend(fontsize=7, loc="lower right")
        ax.set_title(_wrap(f"{q.id}: {q.text}", 80), fontsize=9)
        out[f"{q.id}.png"] = _png(fig)
        plt.close(fig)
    return out


# --- the figures as a table -------------------------------------------------------------

TABLE_COLUMNS = ["question_id", "theme", "question", "answer"]


def _answer_rows(t: QuestionTally) -> dict[str, int | float]:
    """Answer label → number of reports (counts: median, min, max, total of the values)."""
    q, counts = t.question, t.counts()
    if q.answer_type is AnswerType.COUNT:
        values = [int(v) for v in t.answers.values()]
        if not values:
            return {}
        return {
            "median": statistics.median(values),
            "minimum": min(values),
            "maximum": max(values),
            "total": sum(values),
        }
    if q.answer_type in GRADED or q.answer_type is AnswerType.MULTI_SELECT:
        options = q.options()
        if q.answer_type is AnswerType.LADDER:
            return {f"{v} - {label}": counts.get(v, 0) for v, label in options.items()}
        return {label: counts.get(v, 0) for v, label in options.items()}
    return {"answered": t.n_answered}


def table_rows(summary: CohortSummary) -> tuple[list[str], list[dict]]:
    """(columns, rows): one row per question × answer, with each source's number of reports
    side by side, then the not found / failed / not yet reviewed rows of that question."""
    sources = list(summary.tallies)
    by_source = {s: {t.question.id: t for t in ts} for s, ts in summary.tallies.items()}
    columns = list(TABLE_COLUMNS)
    for s in sources:
        columns += [SOURCE_SHORT.get(s, s), f"{SOURCE_SHORT.get(s, s)}: of answered"]
    columns.append("reports")
    rows = []
    for first in summary.tallies[sources[0]]:
        q = first.question
        per_source = {s: by_source[s][q.id] for s in sources}
        answers: dict[str, dict[str, object]] = {}
        for s, t in per_source.items():
            for label, value in _answer_rows(t).items():
                answers.setdefault(label, {})[s] = value
        # no answer yet: for drafts, not drafted; for reviewers' answers, not yet decided
        pending = {"drafts": "not drafted", "accepted": "not yet reviewed"}
        pending_label = " / ".join(pending.get(s, "no answer") for s in sources)
        for s, t in per_source.items():
            for label, n in (
                ("not found", t.abstained),
                ("failed", t.failed),
                (pending_label, t.undecided),
            ):
                if n or label in answers:
                    answers.setdefault(label, {})[s] = n
        if any(t.from_older for t in per_source.values()):
            for s, t in per_source.items():
                answers.setdefault("of the answers: decided on an older version", {})[s] = (
                    t.from_older
                )
        for label, values in answers.items():
            row = {"question_id": q.id, "theme": q.theme, "question": q.text, "answer": label}
            for s, t in per_source.items():
                name = SOURCE_SHORT.get(s, s)
                row[name] = values.get(s, 0)
                row[f"{name}: of answered"] = t.n_answered
            row["reports"] = first.n_reports
            rows.append(row)
    return columns, rows


def write_tables(summary: CohortSummary, out_dir: Path, stem: str = "cohort-figures") -> dict:
    """The figures as CSV (UTF-8 with a BOM, for Excel) and XLSX; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    columns, rows = table_rows(summary)
    csv_path = write_csv(out_dir / f"{stem}.csv", columns, rows)
    xlsx_path = out_dir / f"{stem}.xlsx"
    widths = {"question": 60, "answer": 40, "question_id": 10, "theme": 8}
    write_xlsx(xlsx_path, [("cohort figures", columns, rows, widths)], title=summary.label)
    return {"figures_csv": csv_path, "figures_xlsx": xlsx_path}


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
