"""Optional narrative: one paragraph per theme drafted by the LLM from the figures only.

The prompt holds the template sentences (figures, denominators, bank labels), never report
text, so nothing from a report can steer it. Each paragraph is marked as drafted, with the
model; a number in it that is not among the figures is flagged for the reviewer to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.analysis.figures import Analysis

TEMPLATE = ("analysis-narrative", 1)
SYSTEM = (
    "You draft one short paragraph (3 to 5 sentences) for a published analysis of the yearly "
    "reports of local safeguarding children partnerships in England. Use only the figures "
    "given; never add numbers, names or claims that are not in them. Keep 'activity "
    "described' apart from 'impact evidenced'. Say when a figure rests on undecided drafts. "
    "Plain British English; no headings, no lists, no markdown."
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class Narrative:
    theme_id: str
    text: str
    model: str
    unknown_numbers: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        check = (
            f"; check: numbers not in the figures: {', '.join(self.unknown_numbers)}"
            if self.unknown_numbers
            else ""
        )
        return f"Drafted by {self.model} from the figures only; edit before publishing{check}"


def theme_prompt(analysis: Analysis, theme_id: str) -> str:
    lines = [
        f.sentence
        + (f" ({f.caveat})" if f.caveat else "")
        + (f" ({f.older_caveat})" if f.older_caveat else "")
        for f in analysis.findings
        if f.question.theme == theme_id and f.question.answer_type.value != "free_text"
    ]
    title = analysis.bank.theme_title(theme_id)
    return (
        f"Theme {theme_id}: {title}. {len(analysis.reports)} reports, {analysis.period or ''}.\n"
        "Figures:\n- " + "\n- ".join(lines)
    )


def draft_narratives(analysis: Analysis, provider, model: str) -> list[Narrative]:
    out = []
    for theme in analysis.bank.themes:
        prompt = theme_prompt(analysis, theme.id)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        content, *_ = provider.complete(messages, None, "narrative", template=TEMPLATE)
        text = " ".join(str(content or "").split())
        known = set(NUMBER.findall(prompt))
        unknown = sorted(set(NUMBER.findall(text)) - known, key=lambda n: float(n))
        out.append(Narrative(theme.id, text, model, unknown))
    return out
