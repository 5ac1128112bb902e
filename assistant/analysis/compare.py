"""Year on year: each figure then and now ("neglect a priority: 9/17 → 11/18"), and per
partnership what changed between its two reports (impact evidence "not" → "partly")."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.analysis.figures import Analysis, Count, _norm
from assistant.questions import AnswerType

CHANGE_TYPES = (
    AnswerType.YES_NO,
    AnswerType.YES_PARTLY_NO,
    AnswerType.RATING,
    AnswerType.LADDER,
    AnswerType.MULTI_SELECT,
)


@dataclass
class FigureChange:
    question_id: str
    label: str
    then: Count | None
    now: Count | None

    @property
    def text(self) -> str:
        def show(c: Count | None) -> str:
            return c.text("slash") if c else "–"

        return f"{self.label}: {show(self.then)} → {show(self.now)}{self.direction}"

    @property
    def direction(self) -> str:
        if not (self.then and self.now and self.then.of and self.now.of):
            return ""
        a, b = self.then.count / self.then.of, self.now.count / self.now.of
        points = round(100 * (b - a))
        return f" ({'+' if points > 0 else ''}{points} points)" if points else " (no change)"


@dataclass
class PartnershipChange:
    partnership: str
    then_report: str
    now_report: str
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)  # qid, label, a, b


@dataclass
class Comparison:
    then_title: str
    now_title: str
    figures: list[FigureChange]
    partnerships: list[PartnershipChange]
    only_then: list[str]
    only_now: list[str]


def compare(then: Analysis, now: Analysis) -> Comparison:
    figures = []
    for f_now in now.findings:
        f_then = then.finding(f_now.question.id)
        keys = list(f_now.figures)
        if f_then:
            keys += [k for k in f_then.figures if k not in f_now.figures]
        for key in keys:
            label, c_now = f_now.figures.get(key, (None, None))
            old = f_then.figures.get(key) if f_then else None
            c_then = old[1] if old else None
            if not (c_now and c_now.count) and not (c_then and c_then.count):
                continue  # nobody, then or now
            figures.append(FigureChange(f_now.question.id, label or old[0], c_then, c_now))
    by_then = {_norm(r.partnership): r for r in then.reports.values() if r.partnership}
    by_now = {_norm(r.partnership): r for r in now.reports.values() if r.partnership}
    partnerships = []
    for key in sorted(set(by_then) & set(by_now)):
        a, b = by_then[key], by_now[key]
        change = PartnershipChange(b.partnership or key, a.report_id, b.report_id)
        for q in now.bank.questions:
            if q.answer_type not in CHANGE_TYPES or q.id not in then.answers[a.report_id]:
                continue
            old, new = then.answers[a.report_id][q.id], now.answers[b.report_id][q.id]
            if not (old.answered and new.answered) or old.value == new.value:
                continue
            if q.answer_type is AnswerType.MULTI_SELECT:
                labels = q.options()
                added = [labels.get(o, o) for o in new.value if o not in old.value]
                gone = [labels.get(o, o) for o in old.value if o not in new.value]
                text = ", ".join([f"+ {x}" for x in added] + [f"− {x}" for x in gone])
                change.changes.append((q.id, q.text, text, ""))
            else:
                change.changes.append((q.id, q.cohort_label, old.text, new.text))
        partnerships.append(change)
    return Comparison(
        then.title,
        now.title,
        figures,
        partnerships,
        sorted(r.display_name for k, r in by_then.items() if k not in by_now),
        sorted(r.display_name for k, r in by_now.items() if k not in by_then),
    )
