"""The offline engine: drafts from retrieved evidence with rules, no LLM.

It is the default when no endpoint is configured and says so on every draft. It reads the
cue terms the question bank carries (`keywords`: `topic` plus one list per answer value) and a
few generic signals of evidence (figures with a trend, audit findings, feedback), then:
- multi-select: options whose cues appear in passages that also discuss the question's topic
  (so a theme mentioned only as local context is not taken for a priority);
- ratings / yes-partly-no: "evidenced"/"yes" needs strong cues or data in a topical passage,
  "partly" needs the topic, "not"/"no" when the evidence never discusses it;
- ladders: the highest level with cues; counts: a number next to the topic's cue words.
Every answer cites the sentences whose cues decided it, so the reviewer can check the rule.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from assistant.engines.base import (
    DraftContext,
    EngineResult,
    EvidenceBlock,
    RawCitation,
    register_engine,
)
from assistant.questions import AnswerType, Question

MARKER = "Drafted without an LLM: offline rules over retrieved evidence"
MAX_CONFIDENCE = 0.75
_NUMBER_WORDS = {
    "no": 0,
    "none": 0,
    "zero": 0,
    "one": 1,
    "a single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
}
_NUMBER = r"(\d[\d,]*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
# Figures that show change: "from 12% to 9%", "rose by 14%", "compared with last year"
_TREND = re.compile(
    r"\bfrom\s+\d[\d,.]*%?\s+(?:in\s+\S+\s+)?to\s+\d|\b(?:rose|fell|increased|decreased|reduced|"
    r"dropped|improved|declined)\s+(?:by|from|to)\s+\d|\bcompared (?:with|to) (?:last|the previous|"
    r"\d{4})|\b\d+(?:\.\d+)?\s*(?:%|per cent|percentage points)",
    re.IGNORECASE,
)
_PLANNED = re.compile(
    r"\b(?:will|plan(?:s|ned)? to|intend|next year|going forward|aims? to|ambition|seeks? to|"
    r"in order to|we want)\b",
    re.IGNORECASE,
)
_VOLUME = re.compile(
    r"\b\d[\d,]*\s+(?:[\w-]+\s+){0,3}(?:courses?|sessions?|practitioners|delegates|"
    r"attendees|places|staff|people|professionals)\b|\battended by\s+\d",
    re.IGNORECASE,
)
_VOLUME_TABLE = re.compile(r"\b(?:attendees|attendance|delegates|sessions|places)\b", re.I)
# Sentence ends, and line breaks that start a new line of text (headings, table cells, bullets);
# a line break before a lower-case word is a wrapped line and stays inside the sentence.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n(?=[^a-z\s])")


@dataclass
class Hit:
    """A cue found in a sentence of an evidence block."""

    block: EvidenceBlock
    sentence: str
    cue: str
    planned: bool


def _cue_pattern(cue: str) -> re.Pattern:
    escaped = re.escape(cue.lower()).replace(r"\ ", r"[\s-]+")
    return re.compile(rf"(?<![\w]){escaped}", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _sentences(text: str) -> list[str]:
    """Sentences and stand-alone lines, each an exact substring of `text`."""
    return [s.strip() for s in _BOUNDARY.split(text) if len(s.strip()) > 3]


def find_hits(cues: list[str], blocks: list[EvidenceBlock]) -> list[Hit]:
    """Every (block, sentence) where one of the cues occurs, in evidence order."""
    patterns = [(cue, _cue_pattern(cue)) for cue in cues]
    hits: list[Hit] = []
    for block in blocks:
        for sentence in _sentences(block.text):
            for cue, pattern in patterns:
                if pattern.search(sentence):
                    # a cue that is itself about plans ("will be audited") is not discounted
                    planned = bool(_PLANNED.search(sentence)) and not _PLANNED.search(cue)
                    hits.append(Hit(block, sentence, cue, planned))
                    break
    return hits


def _quote(hit: Hit) -> str:
    """An exact quote of at most 30 words from the hit's sentence, around the cue."""
    words = hit.sentence.split()
    if len(words) <= 30:
        return hit.sentence
    match = _cue_pattern(hit.cue).search(hit.sentence)
    position = len(hit.sentence[: match.start()].split()) if match else 0
    start = max(0, min(position - 10, len(words) - 30))
    pieces = words[start : start + 30]
    # rebuild from the original text so the quote stays verbatim
    first = hit.sentence.find(pieces[0])
    last = hit.sentence.find(pieces[-1], first + len(" ".join(pieces[:-1])) - 1)
    return hit.sentence[first : last + len(pieces[-1])] if last >= first else hit.sentence


def _citations(hits: list[Hit], limit: int = 3) -> list[RawCitation]:
    seen, out = set(), []
    for hit in hits:
        key = (hit.block.block_id, hit.sentence)
        if key in seen:
            continue
        seen.add(key)
        out.append(RawCitation(hit.block.block_id, _quote(hit)))
        if len(out) >= limit:
            break
    return out


def _confidence(n_signals: int, base: float = 0.35) -> float:
    return round(min(MAX_CONFIDENCE, base + 0.1 * n_signals), 2)


@register_engine("offline")
class OfflineEngine:
    """Rule-based drafting from retrieved evidence; no model, no network."""

    name = "offline"
    model = "rules-v1"
    template = "offline_rules"
    template_version = 1

    def __init__(self, settings=None, db=None) -> None:
        pass

    def _result(self, status, answer, rationale, hits, n_signals, **extra) -> EngineResult:
        return EngineResult(
            status=status,
            answer=answer,
            rationale=rationale,
            confidence=_confidence(n_signals) if status == "answered" else 0.0,
            citations=_citations(hits),
            model=self.model,
            marker=MARKER,
            template=self.template,
            template_version=self.template_version,
            **extra,
        )

    def _absent(self, answer) -> EngineResult:
        """A negative answer because nothing relevant was retrieved: there is nothing to quote."""
        result = self._result(
            "answered",
            answer,
            "Nothing on this in the retrieved evidence "
            "(an absence: check the report's contents page).",
            [],
            1,
        )
        result.needs_citations = False
        return result

    def draft(self, question: Question, evidence: list[EvidenceBlock], context: DraftContext):
        kinds = {
            AnswerType.MULTI_SELECT: self._multi_select,
            AnswerType.COUNT: self._count,
            AnswerType.LADDER: self._ladder,
            AnswerType.FREE_TEXT: self._free_text,
        }
        handler = kinds.get(question.answer_type, self._graded)
        return handler(question, evidence, context)

    # --- graded answers: yes/no, yes/partly/no, not/partly/evidenced ----------------------
    def _graded(self, question: Question, blocks: list[EvidenceBlock], context) -> EngineResult:
        """yes/no, yes/partly/no and not/partly/evidenced from three kinds of signal:
        the topic discussed (in a section of its own, or in passing), cues for the middle
        value, and specific evidence (cues for the top value, figures that show change)."""
        keywords = question.keywords
        top_value = {"yes_no": "yes", "yes_partly_no": "yes", "rating": "evidenced"}[
            question.answer_type.value
        ]
        topic = [h for h in find_hits(keywords.get("topic", []), blocks) if not h.planned]
        strong = [h for h in find_hits(keywords.get(top_value, []), blocks) if not h.planned]
        partly = [h for h in find_hits(keywords.get("partly", []), blocks) if not h.planned]
        cues = [c.lower() for c in keywords.get("topic", [])]
        dedicated = {
            h.block.block_id
            for h in topic + strong + partly
            if any(c in (h.block.section or "").lower() for c in cues)
        }
        topical_blocks = {h.block.block_id for h in strong + partly} | dedicated
        data = [
            Hit(b, s, "figures showing change", False)
            for b in blocks
            if b.block_id in topical_blocks
            for s in _sentences(b.text)
            if _TREND.search(s) and not _PLANNED.search(s)
        ]
        if question.answer_type is AnswerType.YES_NO:
            if strong or dedicated or len({h.sentence for h in topic}) >= 3:
                support = strong or [h for h in topic if h.block.block_id in dedicated] or topic
                return self._result(
                    "answered",
                    "yes",
                    f"Cues found: {_cues(support)}"
                    f"{' in a section of its own' if dedicated else ''}.",
                    support,
                    len(strong) + len(dedicated) + 1,
                )
            if topic:
                return self._result(
                    "answered",
                    "no",
                    f"Mentioned only in passing ({_cues(topic)}), with none of the cues for 'yes'.",
                    topic,
                    0,
                )
            return self._absent("no")
        low, mid = (
            ("no", "partly")
            if question.answer_type is AnswerType.YES_PARTLY_NO
            else ("not", "partly")
        )
        n_strong = len({h.sentence for h in strong})
        if strong and (data or n_strong >= 2):
            return self._result(
                "answered",
                top_value,
                f"Specific evidence ({_cues(strong)}) and {len(data)} "
                "figure(s) showing change in topical passages.",
                strong + data,
                n_strong + min(len(data), 2),
            )
        if strong or partly or (dedicated and topic):
            support = strong + partly + [h for h in topic if h.block.block_id in dedicated]
            return self._result(
                "answered",
                mid,
                "Described, but without the specific "
                f"evidence '{top_value}' needs (cues: {_cues(support)}).",
                support,
                1,
            )
        if topic:
            return self._result(
                "answered",
                low,
                f"Mentioned only in passing ({_cues(topic)}), not described.",
                topic,
                1,
            )
        return self._absent(low)

    # --- multi-select ---------------------------------------------------------------------
    def _multi_select(self, question: Question, blocks, context) -> EngineResult:
        topic_hits = find_hits(question.keywords.get("topic", []), blocks)
        topical = {h.block.block_id for h in topic_hits}
        chosen, support = [], []
        for slug, label in question.options().items():
            if slug in ("other", "not_described"):
                continue
            cues = question.keywords.get(slug) or [label]
            hits = [h for h in find_hits(cues, blocks) if h.block.block_id in topical]
            if hits:
                chosen.append(slug)
                support.append(hits[0])
        if not chosen and "not_described" in question.options():
            return self._absent(["not_described"])
        if not topic_hits:
            return self._result(
                "not_found",
                None,
                "The retrieved evidence never discusses the question's topic.",
                [],
                0,
            )
        if not chosen:
            return self._result(
                "answered",
                [],
                f"The topic is discussed but no option's cue words appear ({_cues(topic_hits)}).",
                topic_hits,
                0,
            )
        return self._result(
            "answered",
            chosen,
            f"Options whose cue words appear in passages about the topic: {', '.join(chosen)}.",
            support,
            len(chosen),
        )

    # --- counts and ladders ---------------------------------------------------------------
    def _count(self, question: Question, blocks, context) -> EngineResult:
        cues = question.keywords.get("topic", [])
        candidates: dict[int, list[Hit]] = {}
        for hit in find_hits(cues, blocks):
            if hit.planned:
                continue
            cue = re.escape(hit.cue.lower()).replace(r"\ ", r"[\s-]+")
            pattern = re.compile(
                rf"\b{_NUMBER}\s+(?:[\w()'-]+\s+){{0,5}}?{cue}|{cue}\w*\s*(?:\(\w+\))?\s*[:=]?\s*"
                rf"{_NUMBER}\b",
                re.IGNORECASE,
            )
            for match in pattern.finditer(hit.sentence):
                raw = (match.group(1) or match.group(2) or "").lower().replace(",", "")
                value = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)
                if value is not None and value < 100000:
                    candidates.setdefault(value, []).append(hit)
        if not candidates:
            return self._result(
                "not_found",
                None,
                "No number next to the topic's cue words in the retrieved evidence.",
                [],
                0,
            )
        # most often stated wins; ties go to the better-ranked evidence block
        value, hits = max(
            candidates.items(), key=lambda kv: (len(kv[1]), -int(kv[1][0].block.block_id[1:]))
        )
        return self._result(
            "answered", value, f"'{hits[0].sentence[:120]}' gives {value}.", hits, len(hits)
        )

    def _ladder(self, question: Question, blocks, context) -> EngineResult:
        topic = find_hits(question.keywords.get("topic", []), blocks)
        if not topic:
            return self._absent(0)
        for level in range(5, 0, -1):
            hits = [
                h for h in find_hits(question.keywords.get(str(level), []), blocks) if not h.planned
            ]
            if hits:
                return self._result(
                    "answered",
                    level,
                    f"Highest level with cues: {level} ({_cues(hits)}).",
                    hits,
                    len(hits),
                )
        return self._result(
            "answered",
            0,
            f"Discussed, but no cue for any evaluation level ({_cues(topic)}).",
            topic,
            1,
        )

    # --- free text ------------------------------------------------------------------------
    def _free_text(self, question: Question, blocks, context: DraftContext) -> EngineResult:
        # the bank's id order (A2 < A10 < B1a), never the order the drafts happened to finish in
        earlier = sorted(context.earlier.items(), key=lambda kv: question_order(kv[0]))
        weak = [qid for qid, answer in earlier if answer in ("not", "no")]
        partly = [qid for qid, answer in earlier if answer == "partly"]
        if not context.earlier:
            return self._result(
                "not_found",
                None,
                "Free-text judgement needs an LLM or a reviewer; no other drafts to summarise.",
                [],
                0,
            )
        text = (
            "; ".join(
                part
                for part in (
                    f"not evidenced / no: {', '.join(weak)}" if weak else "",
                    f"partly: {', '.join(partly)}" if partly else "",
                )
                if part
            )
            or "no gaps suggested by the other drafts"
        )
        result = self._result(
            "answered",
            f"Gaps suggested by the other drafts — {text}",
            "Summarised from this report's other drafts, not from the text.",
            [],
            0,
        )
        result.needs_citations = False
        return result

    def ask(self, question: str, evidence: list[EvidenceBlock], context: DraftContext):
        """Offline answer to a free question: the ranked evidence itself."""
        if not evidence:
            return EngineResult(
                status="not_found", answer="No matching passages.", marker=MARKER, model=self.model
            )
        lines = [
            f"[{b.block_id}] page {b.page}: {' '.join(b.text.split())[:300]}" for b in evidence[:5]
        ]
        words = set(re.findall(r"\w{4,}", question.lower()))

        def best_sentence(block: EvidenceBlock) -> str:
            sentences = _sentences(block.text) or [block.text[:200]]
            return max(sentences, key=lambda s: len(words & set(re.findall(r"\w{4,}", s.lower()))))

        citations = [
            RawCitation(b.block_id, _quote(Hit(b, best_sentence(b), "", False)))
            for b in evidence[:5]
        ]
        return EngineResult(
            status="answered",
            answer="No LLM is configured, so here are the most relevant passages:\n"
            + "\n".join(lines),
            citations=citations,
            marker=MARKER,
            model=self.model,
        )


def question_order(question_id: str) -> tuple:
    """Sort key for question ids in the audit tool's order: A2 < A10 < A10n < B1a < C2m."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)(.*)", question_id)
    if not match:
        return (question_id, 0, "")
    return (match.group(1).upper(), int(match.group(2)), match.group(3))


def _cues(hits: list[Hit]) -> str:
    return ", ".join(dict.fromkeys(f'"{h.cue}"' for h in hits)) or "none"
