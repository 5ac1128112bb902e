"""The yearly analysis as data: the final answer of every (report, question), the figures with
their counts, denominators and the reports behind each number, and the sentences that state
them ("Neglect a priority in 11 of 18 reports").

Final answers are the reviewers' decisions (accepted, edited or entered); where a reviewer has
not decided yet, the draft stands in and every figure resting on one says so. A rejected draft
with no replacement answer counts as no answer. Sentences come from templates, not a model.

A report counts once, as its current version, and what reviewers decided on an older version is
never dropped, as in the cohort (assistant.bulk.cohort.decided_over_versions, shared): a
question the current version has no decision on takes the newest older version's decision,
marked ‡ wherever it shows; the decisions no figure uses are counted in a note naming the
final-answer export.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.bulk.cohort import (
    FINAL_EXPORT,
    GRADED,
    CohortSummary,
    OlderVersionDecisions,
    decided_over_versions,
    latest_over_versions,
    tally,
)
from assistant.questions import AnswerType, Question, QuestionBank
from assistant.review.decisions import DecisionStore, ItemState, answer_text

if TYPE_CHECKING:
    from assistant.analysis.register import RegisterRow, Sample
    from assistant.drafting.store import Draft, DraftStore
    from assistant.library import ReportRecord

# Questions where the analysis names good practice, and what counts as the best rating.
GOOD_PRACTICE = {
    "A6": "impact on outcomes evidenced",
    "B8": "training evaluated beyond attendee satisfaction",
    "B6": "embedding of learning checked",
}
MAX_EXAMPLES = 3
MAX_OPTIONS_IN_SENTENCE = 5
QUOTE_CHARS = 220
# † is taken by answers resting on undecided drafts; an older version's decision has its own mark
OLDER_MARK = "‡"
OLDER_FOOTNOTE = (
    "decided on an older version of the report: decide again on the current version if the "
    "correction changed the answer"
)


@dataclass
class Passage:
    page: int | None
    quote: str
    verified: bool = True
    by: str = "draft"  # draft | reviewer


@dataclass
class FinalAnswer:
    """One (report, question): the answer the figures use and where it comes from."""

    report_id: str
    question: Question
    value: Any = None
    source: str = "none"  # reviewer | draft | none
    status: str = "undecided"  # item state: undecided | accepted | edited | rejected | entered
    reviewer: str | None = None
    draft_status: str | None = None  # ok | flagged | abstained | failed | None (no draft)
    draft_value: Any = None
    passages: list[Passage] = field(default_factory=list)  # pages of the version decided on
    example: dict | None = None
    older_version: str | None = None  # report id of the older version the decision is from

    @property
    def answered(self) -> bool:
        return self.value is not None and self.source != "none"

    @property
    def text(self) -> str:
        if not self.answered:
            if self.status == "rejected":
                return "(draft rejected, no answer)"
            return {"abstained": "(not found in the report)", "failed": "(draft failed)"}.get(
                self.draft_status or "", "(no answer)"
            )
        return answer_text(self.question, self.value)


@dataclass
class Count:
    """One number of the analysis and who is behind it."""

    count: int
    of: int
    members: list[str]  # report ids (kind "reports") or partnership names ("partnerships")
    question_id: str | None = None
    kind: str = "reports"
    undecided: int = 0  # members whose answer is an undecided draft
    older: int = 0  # members whose answer was decided on an older version of the report

    def text(self, style: str = "of") -> str:
        return f"{self.count}/{self.of}" if style == "slash" else f"{self.count} of {self.of}"

    def to_json(self) -> dict:
        return {
            "count": self.count,
            "of": self.of,
            "members": self.members,
            "question_id": self.question_id,
            "kind": self.kind,
            "undecided": self.undecided,
            "older_versions": self.older,
        }


Segment = str | tuple[Count, str]  # plain text, or (count, style)


@dataclass
class Finding:
    """A sentence about one question (segments: text and numbers) and its figures by key."""

    question: Question
    segments: list[Segment]
    figures: dict[str, tuple[str, Count]]  # key -> (label, count) for year on year
    n: int
    undecided: int  # answers of the denominator resting on undecided drafts
    missing: Count | None = None  # reports without an answer (outside the denominator)
    missing_why: str = ""  # "1 not found in the report, 1 draft rejected"
    older: int = 0  # answers of the denominator decided on an older version of the report

    @property
    def sentence(self) -> str:
        return "".join(s if isinstance(s, str) else s[0].text(s[1]) for s in self.segments)

    @property
    def caveat(self) -> str:
        if not self.undecided:
            return ""
        return f"rests on {self.undecided} undecided draft{'s' * (self.undecided != 1)}"

    @property
    def older_caveat(self) -> str:
        """'1 answer decided on an older version of the report: decide again …' (or '')."""
        if not self.older:
            return ""
        answers = "1 answer" if self.older == 1 else f"{self.older} answers"
        return f"{answers} {OLDER_FOOTNOTE}"


@dataclass
class Example:
    question: Question
    report_id: str
    answer: str
    passage: Passage | None
    chosen_by: str | None  # reviewer who marked it; None: proposed from the ratings
    undecided: bool = False  # the answer is a draft no reviewer has decided
    older: bool = False  # the answer (and the mark) were decided on an older version


@dataclass
class Analysis:
    """Everything the documents show, built once from the stores."""

    title: str
    period: str | None
    bank: QuestionBank
    reports: dict[str, ReportRecord]  # report id -> record, in the document's order
    answers: dict[str, dict[str, FinalAnswer]]  # report id -> question id -> answer
    findings: list[Finding]
    summary: CohortSummary  # the tallies (for the charts)
    engines: list[str]
    source: str  # decided | drafts
    run_id: str | None = None
    sample: Sample | None = None
    register: list[RegisterRow] = field(default_factory=list)
    compliance: list[tuple[str, Count]] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    agreement: list[dict] = field(default_factory=list)
    comparison: Any = None  # assistant.analysis.compare.Comparison
    second_marking: list[str] = field(default_factory=list)  # sentences, when any blind marks
    narratives: dict[str, Any] = field(default_factory=dict)  # theme id -> narrative.Narrative
    older: OlderVersionDecisions | None = None  # reviewers' decisions on older versions

    def notes(self) -> list[str]:
        """What every view of the analysis says with it: older versions' decisions counted, and
        those no figure uses (and their example marks), as the cohort says them."""
        if self.older is None:
            return []
        notes = self.older.notes()
        n, k = self.older.examples_not_shown, len(self.older.examples_not_shown_reports)
        if n:
            one = n == 1
            notes.append(
                f"{n} example{'' if one else 's'} of practice marked on "
                f"{'an older version' if k == 1 else 'older versions'} of "
                f"{k} report{'' if k == 1 else 's'} {'is' if one else 'are'} not shown (the "
                f"answer {'it marks is' if one else 'they mark are'} not in these figures); "
                f"every mark is in the decision log of the final-answer export: {FINAL_EXPORT} "
                "(XLSX)"
            )
        return notes

    @property
    def n_older(self) -> int:
        """Answers decided on an older version of their report."""
        return sum(
            a.older_version is not None for by_q in self.answers.values() for a in by_q.values()
        )

    def finding(self, qid: str) -> Finding | None:
        return next((f for f in self.findings if f.question.id == qid), None)

    @property
    def n_items(self) -> int:
        return sum(len(a) for a in self.answers.values())

    @property
    def n_decided(self) -> int:
        if self.source == "drafts":
            return 0
        return sum(a.status != "undecided" for by_q in self.answers.values() for a in by_q.values())

    @property
    def reviewers(self) -> list[str]:
        return sorted(
            {a.reviewer for by_q in self.answers.values() for a in by_q.values() if a.reviewer}
        )

    def method_lines(self) -> list[str]:
        n = len(self.reports)
        lines = []
        period = self.period or "all periods"
        registered = {_norm(r.partnership) for r in self.register}
        outside = sorted(
            r.display_name for r in self.reports.values() if _norm(r.partnership) not in registered
        )
        if self.register and not outside and n <= len(self.register):
            lines.append(
                f"Reports analysed: {n} of {len(self.register)} partnerships in the register "
                f"({period})."
            )
        elif self.register:
            # "7 of 10 in the register" would claim reports the register does not list
            lines.append(
                f"Reports analysed: {n} ({period}); {n - len(outside)} of them of partnerships "
                f"in the register, which lists {len(self.register)}; not in the register: "
                f"{'; '.join(outside) or 'none'}."
            )
        else:
            lines.append(f"Reports analysed: {n} ({period}).")
        if self.sample:
            inside = sum(
                1
                for r in self.reports.values()
                if _norm(r.partnership) in {_norm(p) for p in self.sample.partnerships}
            )
            lines.append(
                f"Sampling: {self.sample.describe()}; {inside} of the {n} reports analysed "
                "are in the sample."
            )
        else:
            lines.append("Sampling: no sample drawn (all reports of the period were analysed).")
        lines.append(
            f"Audit tool: {self.bank.name} version {self.bank.version} "
            f"(guidance {getattr(self.bank, 'guidance', '') or 'not stated'}), "
            f"{len(self.bank.questions)} questions in {len(self.bank.themes)} themes."
        )
        engines = ", ".join(self.engines) or "none (no drafts)"
        lines.append(
            f"Drafting engines: {engines}{f'; scoring run {self.run_id}' if self.run_id else ''}."
        )
        who = f" by {len(self.reviewers)} reviewer(s)" if self.reviewers else ""
        if self.source == "drafts":
            lines.append("Figures are from the machine drafts only (reviewers' decisions ignored).")
        else:
            older = (
                f", {self.n_older} of them {OLDER_MARK} on an older version of the report (none "
                "yet on the current version)"
                if self.n_older
                else ""
            )
            lines.append(
                f"Answers decided by a reviewer: {self.n_decided} of {self.n_items}{who}{older}. "
                "Figures use the reviewers' answers; a figure that still rests on undecided "
                "drafts is marked as such."
            )
        return lines


def _norm(name: str | None) -> str:
    return " ".join((name or "").lower().split())


def _passages(draft: Draft | None, state: ItemState) -> list[Passage]:
    out = []
    if draft is not None:
        for i, c in enumerate(draft.citations):
            if state.citation_relevance.get(i) is False:
                continue  # the reviewer marked it not relevant
            out.append(Passage(c.page, c.quote, c.verified, "draft"))
    for p in state.added_passages:
        out.append(Passage(p.get("page"), p.get("quote") or "", True, "reviewer"))
    return out


def final_answers(
    bank: QuestionBank,
    drafts: DraftStore,
    decisions: DecisionStore,
    report_ids: list[str],
    *,
    engine: str | None = None,
    source: str = "decided",
    older_versions: Callable[[str], list[str]] | None = None,
    seen: OlderVersionDecisions | None = None,
) -> tuple[dict[str, dict[str, FinalAnswer]], list[str]]:
    """Every (report, question) answer, and the engines behind the drafts used. With
    `source="drafts"` no decision is read: no reviewer's answer, example mark, added passage
    or citation verdict (the method says reviewers' decisions are ignored).

    With `older_versions` (report id → the ids it replaced, newest first), a question the
    current version has no decision on takes the newest older version's, with that version's
    draft and passages, as the cohort counts it; `seen` counts those decisions, used or not."""
    out: dict[str, dict[str, FinalAnswer]] = {}
    engines: set[str] = set()
    for rid in report_ids:
        by_version = {rid: {d.question_id: d for d in drafts.for_report(rid, engine=engine)}}
        states = decisions.current(rid) if source == "decided" else {}
        decided = (
            decided_over_versions(decisions, rid, older_versions, seen)
            if source == "decided"
            else {}
        )
        out[rid] = {}
        for q in bank.questions:
            state = states.get(q.id, ItemState(q.id))
            version = rid
            if not state.reviewed and decided.get(q.id, (None, None))[1]:
                state, version = decided[q.id]  # decided on an older version only
            if version not in by_version:
                found = drafts.for_report(version, engine=engine)
                by_version[version] = {d.question_id: d for d in found}
            draft = by_version[version].get(q.id)
            a = FinalAnswer(rid, q, status=state.status, example=state.example)
            a.older_version = version if version != rid else None
            if draft is not None:
                engines.add(f"{draft.engine}" + (f" ({draft.model})" if draft.model else ""))
                a.draft_status, a.draft_value = draft.status, draft.answer
            a.passages = _passages(draft, state)
            if source == "decided" and state.reviewed:
                if state.status != "rejected":
                    a.value, a.source, a.reviewer = state.answer, "reviewer", state.reviewer
                else:
                    a.reviewer = state.reviewer
            elif draft is not None and draft.status in ("ok", "flagged"):
                a.value, a.source = draft.answer, "draft"
            out[rid][q.id] = a
    return out, sorted(engines)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(q: Question, members: list[str], n: int, answers: dict[str, FinalAnswer]) -> Count:
    undecided = sum(answers[m].source == "draft" for m in members)
    older = sum(answers[m].older_version is not None for m in members)
    return Count(len(members), n, members, q.id, undecided=undecided, older=older)


def _why_missing(q: Question, a: FinalAnswer) -> str:
    if a.status == "rejected":
        return "draft rejected"
    if a.draft_status == "abstained":
        return "not found in the report"
    if a.draft_status == "failed":
        return "draft failed"
    if a.draft_status is None and not q.answerable_from_text:
        return "not yet entered by a reviewer"
    return "no draft" if a.draft_status is None else "no answer"


def _missing(q: Question, answers: dict[str, FinalAnswer]) -> tuple[Count | None, str]:
    """The reports without an answer, and why ("2 not found in the report, 1 draft rejected"):
    a denominator smaller than the reports analysed says so."""
    members = [rid for rid, a in answers.items() if not a.answered]
    if not members:
        return None, ""
    reasons = Counter(_why_missing(q, answers[m]) for m in members)
    why = ", ".join(f"{k} {r}" for r, k in sorted(reasons.items(), key=lambda x: (-x[1], x[0])))
    return Count(len(members), len(answers), members, q.id), why


def _end_with_missing(segments: list[Segment], missing: Count | None, why: str) -> None:
    """Close the sentence with the reports left out of its denominator, when any."""
    if missing is None:
        return
    last = segments[-1]
    if isinstance(last, str) and last.endswith("."):
        segments[-1] = last[:-1]
    segments += ["; no answer for ", (missing, "of"), f" reports ({why})."]


def finding_for(q: Question, answers: dict[str, FinalAnswer]) -> Finding:
    """answers: report id -> this question's final answer (all reports of the analysis)."""
    given = {rid: a for rid, a in answers.items() if a.answered}
    n = len(given)
    undecided = sum(a.source == "draft" for a in given.values())
    older = sum(a.older_version is not None for a in given.values())
    label = q.cohort_label
    figures: dict[str, tuple[str, Count]] = {}
    everyone = Count(n, len(answers), list(given), q.id, undecided=undecided, older=older)
    missing, why = _missing(q, answers)
    if n == 0:
        text = q.text.rstrip("?") if q.answer_type is AnswerType.MULTI_SELECT else _cap(label)
        reason = f" ({why})" if why else ""
        return Finding(q, [f"{text}: no answers yet{reason}."], {}, 0, 0, missing, why)
    t = q.answer_type

    def with_value(test) -> list[str]:
        return [rid for rid, a in given.items() if test(a.value)]  # document order

    segments: list[Segment] = []
    if t is AnswerType.MULTI_SELECT:
        counts = {opt: with_value(lambda v, o=opt: o in (v or [])) for opt in q.options()}
        ranked = sorted((o for o in counts if counts[o]), key=lambda o: (-len(counts[o]), o))
        for opt in q.options():  # every option: year on year shows 0/18 too
            figures[opt] = (q.cohort_phrase(opt), _count(q, counts[opt], n, given))
        for i, opt in enumerate(ranked):
            c = figures[opt][1]
            if i >= MAX_OPTIONS_IN_SENTENCE:
                continue  # in the figures (charts, year on year), not in the sentence
            segments += [("; " if i else "") + _cap(q.cohort_phrase(opt)) + " in ", (c, "of")]
            segments.append(" reports")
        if len(ranked) > MAX_OPTIONS_IN_SENTENCE:
            rest = len(ranked) - MAX_OPTIONS_IN_SENTENCE
            segments.append(f"; {rest} other option{'s' * (rest > 1)} less often (see the charts)")
        if not ranked:
            segments.append(f"{q.text.rstrip('?')}: none named in ")
            segments += [(everyone, "of"), " reports"]
        segments.append(".")
    elif t is AnswerType.YES_NO:
        c = _count(q, with_value(lambda v: v == "yes"), n, given)
        figures["yes"] = (label, c)
        segments = [_cap(label) + " in ", (c, "of"), " reports."]
    elif t in (AnswerType.RATING, AnswerType.YES_PARTLY_NO):
        segments = [_cap(label) + ": "]
        for i, (value, value_label) in enumerate(q.options().items()):
            c = _count(q, with_value(lambda v, x=value: v == x), n, given)
            figures[value] = (f"{label}: {value_label.lower()}", c)
            segments += [("; " if i else "") + f"{value_label.lower()} ", (c, "slash")]
        segments.append(".")
    elif t is AnswerType.LADDER:
        segments = [_cap(label) + ": "]
        levels = q.options()
        first = True
        for level, level_label in levels.items():
            c = _count(q, with_value(lambda v, x=level: str(v) == x), n, given)
            figures[level] = (f"{label}: level {level}", c)
            if c.count:
                segments += [
                    ("; " if not first else "") + f"level {level} ({level_label}) ",
                    (c, "slash"),
                ]
                first = False
        high = _count(q, with_value(lambda v: int(v) >= 3), n, given)
        figures["3+"] = (f"{label}: level 3 or above", high)
        segments += ["; beyond satisfaction (level 3 or above) in ", (high, "of"), " reports."]
    elif t is AnswerType.COUNT:
        values = [int(a.value) for a in given.values()]
        segments = [
            f"{_cap(label)}: median {statistics.median(values):g}, range "
            f"{min(values)}-{max(values)}, total {sum(values)}, over ",
            (everyone, "of"),
            " reports.",
        ]
    else:
        segments = [f"{_cap(label)}: answered for ", (everyone, "of"), " reports (see appendix)."]
    _end_with_missing(segments, missing, why)
    return Finding(q, segments, figures, n, undecided, missing, why, older)


def compliance_figures(rows: list[RegisterRow]) -> list[tuple[str, Count]]:
    """Register figures over every partnership of the period ("sent to either within 7 days:
    65/132")."""
    total = len(rows)

    def count(test) -> Count:
        members = [r.partnership for r in rows if test(r)]
        return Count(len(members), total, members, None, kind="partnerships")

    unknown = count(lambda r: r.published is None)
    early = count(lambda r: any(r.sent_before_publication(w) for w in ("panel", "what_works")))
    return [
        ("report published", count(lambda r: r.published)),
        # "published 7/10" alone reads as 3 unpublished when the register left some blank
        *([("publication not recorded in the register", unknown)] if unknown.count else []),
        ("sent to the Panel within 7 days of publication", count(lambda r: r.sent_within("panel"))),
        (
            "sent to What Works within 7 days of publication",
            count(lambda r: r.sent_within("what_works")),
        ),
        (
            "sent to either within 7 days",
            count(lambda r: r.sent_within("panel") or r.sent_within("what_works")),
        ),
        (
            "sent to both within 7 days",
            count(lambda r: r.sent_within("panel") and r.sent_within("what_works")),
        ),
        # a sending dated before publication counts as none within 7 days: the register
        # contradicts itself (dates swapped or mistyped?), so a reader checks it
        *(
            [("sent before the publication date in the register (dates to check)", early)]
            if early.count
            else []
        ),
    ]


def _best(q: Question, value: Any) -> bool:
    if value is None:
        return False
    if q.answer_type is AnswerType.LADDER:
        return int(value) >= 3
    if q.answer_type is AnswerType.RATING:
        return value == "evidenced"
    if q.answer_type in (AnswerType.YES_PARTLY_NO, AnswerType.YES_NO):
        return value == "yes"
    return False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def examples_of_practice(bank: QuestionBank, answers: dict[str, dict[str, FinalAnswer]]):
    """Per good-practice question: the reports reviewers marked "use as example", then (up to
    MAX_EXAMPLES) those rated best, proposed; each with a short cited quote and its page."""
    out: list[Example] = []
    for qid in GOOD_PRACTICE:
        if qid not in bank.ids:
            continue
        q = bank.get(qid)
        chosen, proposed = [], []
        for rid, by_q in answers.items():
            a = by_q[qid]
            if a.example:
                page, quote = a.example.get("page"), a.example.get("quote") or ""
                passage = Passage(page, _short(quote), True, "reviewer") if quote else None
                passage = passage or _first_passage(a)
                who = a.example.get("reviewer")
                older = a.older_version is not None
                chosen.append(Example(q, rid, a.text, passage, who, a.source == "draft", older))
            elif a.answered and _best(q, a.value):
                passage = _first_passage(a)
                older = a.older_version is not None
                proposed.append(Example(q, rid, a.text, passage, None, a.source == "draft", older))
        proposed.sort(key=lambda e: (-(e.passage is not None), e.report_id))
        out += chosen + proposed[: max(0, MAX_EXAMPLES - len(chosen))]
    return out


def _first_passage(a: FinalAnswer) -> Passage | None:
    changed = a.source == "reviewer" and a.value != a.draft_value
    for p in a.passages:
        if changed and p.by == "draft":
            continue  # the draft's citations back the draft's answer, not the reviewer's
        if p.verified and p.quote:
            return Passage(p.page, _short(p.quote), True, p.by)
    return None


def field_agreement(
    bank: QuestionBank,
    drafts: DraftStore,
    decisions: DecisionStore,
    report_ids: list[str],
    older_versions: Callable[[str], list[str]] | None = None,
) -> list[dict]:
    """Per question, over items that had a draft and a reviewer's decision: how often the draft
    was accepted unchanged, edited (or replaced by an entered answer), or rejected.

    With `older_versions` (report id → the ids it replaced, newest first), a question the
    current version has no decision on counts the newest older version's decision on that
    version's draft, as the cohort counts answers (latest_over_versions); `from_older_versions`
    says how many of a question's decided items were decided on an older version."""
    rows = {
        q.id: {
            "question_id": q.id,
            "question": q.text,
            "decided": 0,
            "accepted": 0,
            "edited": 0,
            "rejected": 0,
            "from_older_versions": 0,
        }
        for q in bank.questions
    }
    for rid in report_ids:
        has_draft: dict[str, set[str]] = {}  # version → questions it has a draft of
        for qid, (state, older) in latest_over_versions(decisions, rid, older_versions).items():
            version = older or rid
            if version not in has_draft:
                has_draft[version] = {d.question_id for d in drafts.for_report(version)}
            if qid not in rows or qid not in has_draft[version]:
                continue
            row = rows[qid]
            row["decided"] += 1
            row["from_older_versions"] += older is not None
            key = {"accepted": "accepted", "rejected": "rejected"}.get(state.status, "edited")
            row[key] += 1
    out = []
    for row in rows.values():
        d = row["decided"]
        for key in ("accepted", "edited", "rejected"):
            row[f"{key}_rate"] = round(row[key] / d, 3) if d else None
        out.append(row)
    return out


def field_agreement_note(rows: list[dict]) -> str | None:
    """The sentence every view of agreement from the field shows when some of its decisions
    were made on an older version of a report (None when none were)."""
    n = sum(r.get("from_older_versions", 0) for r in rows)
    if not n:
        return None
    one = n == 1
    return (
        f"{n} of these decided drafts {'was' if one else 'were'} decided on an older version "
        f"of the report (the current version has no decision on "
        f"{'that question' if one else 'those questions'} yet): decide "
        f"{'it' if one else 'them'} again on the current version in Review if the correction "
        "changed the answer"
    )


def build_analysis(
    bank: QuestionBank,
    drafts: DraftStore,
    decisions: DecisionStore,
    reports: list[ReportRecord],
    *,
    title: str,
    period: str | None,
    engine: str | None = None,
    source: str = "decided",
    run_id: str | None = None,
    register: list[RegisterRow] | None = None,
    sample: Sample | None = None,
    older_versions: Callable[[str], list[str]] | None = None,
) -> Analysis:
    """The analysis of `reports` (current versions); `older_versions` (report id → the ids it
    replaced, newest first) keeps what reviewers decided on those (see final_answers)."""
    reports = sorted(reports, key=lambda r: (_norm(r.display_name), r.report_id))
    ids = [r.report_id for r in reports]
    older = OlderVersionDecisions() if source == "decided" else None
    answers, engines = final_answers(
        bank,
        drafts,
        decisions,
        ids,
        engine=engine,
        source=source,
        older_versions=older_versions,
        seen=older,
    )
    findings = [finding_for(q, {rid: answers[rid][q.id] for rid in ids}) for q in bank.questions]

    def answers_for(rid: str) -> dict:
        return {
            qid: ("answered", a.value, a.older_version)
            for qid, a in answers[rid].items()
            if a.answered
        }

    summary = CohortSummary(title, ids, {"final": tally(bank, ids, "final", answers_for)})
    return Analysis(
        title=title,
        period=period,
        bank=bank,
        reports={r.report_id: r for r in reports},
        answers=answers,
        findings=findings,
        summary=summary,
        engines=engines,
        source=source,
        run_id=run_id,
        sample=sample,
        register=register or [],
        compliance=compliance_figures(register) if register else [],
        examples=examples_of_practice(bank, answers),
        # how reviewers treated the drafts: not part of an analysis that ignores them
        agreement=(
            field_agreement(bank, drafts, decisions, ids, older_versions)
            if source == "decided"
            else []
        ),
        older=older,
    )


GRADED_TYPES = GRADED
