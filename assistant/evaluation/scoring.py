"""Scoring an eval: per-question agreement, human-human agreement, retrieval recall, themes.

Takes `Item`s (a report x question that humans scored, with the draft being judged) and turns
them into the JSON-ready figures that summary.py renders; the statistics themselves are in
metrics.py.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.drafting.drafter import question_evidence
from assistant.evaluation import metrics as m
from assistant.evaluation.human_scores import HumanScore

ANSWERED = ("ok", "flagged")
KINDS = {
    "yes_no": "nominal",
    "yes_partly_no": "ordinal",
    "rating": "ordinal",
    "ladder": "ordinal",
    "multi_select": "multi",
    "count": "count",
    "free_text": "text",
}


@dataclass
class Item:
    """One (report, question) that humans scored, with the draft being judged."""

    report: str  # the reference used in the scores file
    report_id: str
    question_id: str
    rows: list[HumanScore]
    draft: Any = None  # assistant.drafting.store.Draft | None

    @property
    def reference(self) -> Any:
        """Consensus of the auditors: the most common answer, ties to the first in the file."""
        keyed = [(json.dumps(r.answer, sort_keys=True), r.answer) for r in self.rows]
        counts = Counter(k for k, _ in keyed)
        best = max(counts.values())
        return next(v for k, v in keyed if counts[k] == best)

    @property
    def gold_pages(self) -> set[int]:
        return {p for r in self.rows for p in r.evidence_pages}

    @property
    def status(self) -> str:
        return self.draft.status if self.draft is not None else "missing"

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED and self.draft.answer is not None


def categories_of(question) -> list:
    """The scale of a choice question in display order (ints for a ladder)."""
    return list(question.allowed_values() or [])


def _single(question, ref: list, pred: list, n_boot: int, seed: int) -> dict:
    ordinal = KINDS[question.answer_type.value] == "ordinal"
    out = m.agreement_summary(
        ref, pred, categories_of(question), ordinal=ordinal, n_boot=n_boot, seed=seed
    )
    out["n_correct"] = sum(a == b for a, b in zip(ref, pred, strict=True))
    use_weighted = "weighted_kappa" in out
    out["primary"] = "quadratic kappa" if use_weighted else "kappa"
    out["primary_kappa"] = out["weighted_kappa"] if use_weighted else out["kappa"]
    out["primary_kappa_ci"] = out["weighted_kappa_ci"] if use_weighted else out["kappa_ci"]
    return out


def _multi(question, ref: list, pred: list, n_boot: int, seed: int) -> dict:
    out = m.multi_select_summary(ref, pred, categories_of(question), n_boot=n_boot, seed=seed)
    out["n_correct"] = sum(set(a) == set(b) for a, b in zip(ref, pred, strict=True))
    out.update(
        primary="pooled kappa",
        primary_kappa=out["pooled_kappa"],
        primary_kappa_ci=out["pooled_kappa_ci"],
        ac1=out["pooled_ac1"],
    )
    return out


def _count(question, ref: list, pred: list, n_boot: int, seed: int) -> dict:
    out = m.count_summary(ref, pred, n_boot=n_boot, seed=seed)
    out["n_correct"] = sum(a == b for a, b in zip(ref, pred, strict=True))
    return out


SCORERS = {"nominal": _single, "ordinal": _single, "multi": _multi, "count": _count}


def score_question(question, items: list[Item], *, n_boot: int, seed: int) -> dict:
    """Every per-question figure: coverage, agreement, prevalence, baseline, citations."""
    kind = KINDS[question.answer_type.value]
    statuses = Counter(it.status for it in items)
    answered = [it for it in items if it.answered]
    out: dict[str, Any] = {
        "id": question.id,
        "theme": question.theme,
        "text": question.text,
        "answer_type": question.answer_type.value,
        "kind": kind,
        "cohort_label": question.cohort_label,
        "n": len(items),
        "n_answered": len(answered),
        **{
            f"n_{s}": statuses.get(s, 0)
            for s in ("ok", "flagged", "abstained", "failed", "missing")
        },
    }
    out["coverage"] = len(answered) / len(items) if items else m.NAN
    out["labels"] = {str(k): v for k, v in question.options().items()}
    if kind == "text" or not items:
        return out
    scorer = SCORERS[kind]
    if answered:
        refs = [it.reference for it in answered]
        scored = scorer(question, refs, [it.draft.answer for it in answered], n_boot, seed)
        scored.pop("n")  # the statistics' n is n_answered; `n` stays the number of items
        out.update(scored)
        out["accuracy_all"] = out["n_correct"] / len(items)  # abstentions count as wrong
        out["constant_draft"] = _constant_while_key_varies(answered)
    refs = [it.reference for it in items]
    baseline_kind = {"nominal": "single", "ordinal": "single"}.get(kind, kind)
    predictions = m.majority_baseline_loo(refs, baseline_kind, categories_of(question))
    if len(refs) > 1:  # one report alone has no other report to take a majority from
        out["baseline"] = scorer(question, refs, predictions, n_boot, seed)
    if kind != "count":
        out["prevalence"] = m.prevalence(
            refs, [it.draft.answer for it in answered], categories_of(question)
        )
    else:
        out["totals"] = {
            "human": sum(refs),
            "human_n": len(refs),
            "draft": sum(it.draft.answer for it in answered),
            "draft_n": len(answered),
        }
    out["citations"] = m.citation_precision(
        [set(it.draft.pages) for it in answered], [it.gold_pages for it in answered]
    )
    return out


def _constant_while_key_varies(answered: list[Item]) -> bool:
    """Every draft gives one answer while the key's answers differ (three items or more): the
    question's accuracy is then the key's distribution, not discrimination (issue 12)."""
    if len(answered) < 3:
        return False
    drafts = {m.comparable(it.draft.answer) for it in answered}
    keys = {m.comparable(it.reference) for it in answered}
    return len(drafts) == 1 and len(keys) > 1


def human_agreement(question, items: list[Item], *, n_boot: int, seed: int) -> dict | None:
    """Auditor-auditor agreement on items two or more auditors scored: the ceiling for drafts."""
    kind = KINDS[question.answer_type.value]
    shared = [it for it in items if len({r.auditor for r in it.rows}) >= 2]
    if not shared or kind == "text":
        return None
    first, second = [], []
    for it in shared:
        by_auditor = list({r.auditor: r for r in it.rows}.values())
        first.append(by_auditor[0].answer)
        second.append(by_auditor[1].answer)
    out = {"n": len(shared), "auditors": max(len({r.auditor for r in it.rows}) for it in shared)}
    out.update(SCORERS[kind](question, first, second, n_boot, seed))
    if kind in ("nominal", "ordinal"):
        counts = m.rating_counts(
            [[r.answer for r in it.rows] for it in shared], categories_of(question)
        )
        out["fleiss_kappa"] = m.fleiss_kappa(counts)
        out["ac1_all_auditors"] = m.gwet_ac1_multi(counts)
    drafted = [it for it in shared if it.answered]
    if drafted:
        engine = SCORERS[kind](
            question, [it.reference for it in drafted], [it.draft.answer for it in drafted], 0, seed
        )
        out["engine_same_items"] = {
            "n": len(drafted),
            "n_correct": engine["n_correct"],
            "primary_kappa": engine.get("primary_kappa", m.NAN),
        }
    return out


def retrieval_scores(
    index, questions, items: list[Item], modes: Sequence[str], ks: Sequence[int]
) -> dict:
    """Recall@k of gold pages per question and retrieval mode (pages of blocks in rank order)."""
    by_q = {q.id: q for q in questions}
    ranked: dict[str, dict[str, list]] = {mode: {} for mode in modes}
    missed: list[dict] = []
    for it in items:
        if not it.gold_pages or not it.report_id or it.question_id not in by_q:
            continue
        for mode in modes:
            blocks = question_evidence(index, by_q[it.question_id], it.report_id, mode=mode)
            pages = [b.page for b in blocks]
            ranked[mode].setdefault(it.question_id, []).append((pages, it.gold_pages))
            if mode == modes[0]:  # which gold pages the evidence given to the engine lacks
                missed.append(
                    {
                        "question_id": it.question_id,
                        "report": it.report,
                        "gold_pages": sorted(it.gold_pages),
                        "retrieved_pages": pages,
                        "missed_pages": sorted(set(it.gold_pages) - set(pages)),
                    }
                )
    out: dict[str, Any] = {
        "modes": list(modes),
        "ks": list(ks),
        "overall": {},
        "per_question": {},
        "missed_mode": modes[0] if modes else None,
        "missed": missed,
    }
    for mode in modes:
        everything = [pair for pairs in ranked[mode].values() for pair in pairs]
        out["overall"][mode] = m.retrieval_summary(everything, ks)
        for qid, pairs in ranked[mode].items():
            out["per_question"].setdefault(qid, {})[mode] = m.retrieval_summary(pairs, ks)
    return out


def aggregate(questions: list[dict], retrieval: dict | None = None) -> dict:
    """Theme- or run-level figures from per-question ones (pooled counts, mean statistics)."""
    scored = [q for q in questions if q["kind"] != "text"]
    single = [q for q in scored if q["kind"] in ("nominal", "ordinal") and q["n_answered"]]
    n_items = sum(q["n"] for q in scored)

    def pooled(qs: list[dict], key: str = "n_correct", base: str = "n_answered") -> float:
        total = sum(q[base] for q in qs)
        return sum(q.get(key, 0) for q in qs) / total if total else m.NAN

    def base_pooled(qs: list[dict]) -> float:
        total = sum(q["n"] for q in qs)
        if not all("baseline" in q for q in qs):
            return m.NAN
        return sum(q["baseline"]["n_correct"] for q in qs) / total if total else m.NAN

    single_all = [q for q in scored if q["kind"] in ("nominal", "ordinal")]
    out = {
        "questions": len(scored),
        "items": n_items,
        "abstained_or_failed": sum(q["n"] - q["n_answered"] for q in scored),
        "constant_while_key_varies": [q["id"] for q in scored if q.get("constant_draft")],
        "single_choice_accuracy": pooled(single),
        "single_choice_accuracy_all": pooled(single_all, base="n"),
        "mean_primary_kappa": m.finite_mean([q.get("primary_kappa") for q in scored]),
        "mean_ac1": m.finite_mean([q.get("ac1") for q in scored]),
        "multi_select_micro_f1": m.finite_mean(
            [q.get("micro_f1") for q in scored if q["kind"] == "multi"]
        ),
        "count_exact_match": m.finite_mean(
            [q.get("exact_match") for q in scored if q["kind"] == "count"]
        ),
        "baseline_single_choice_accuracy": base_pooled(single_all),
        "baseline_mean_primary_kappa": m.finite_mean(
            [q.get("baseline", {}).get("primary_kappa") for q in scored]
        ),
        "baseline_mean_ac1": m.finite_mean([q.get("baseline", {}).get("ac1") for q in scored]),
    }
    if retrieval:  # pooled over items: questions weigh by how many items have gold pages
        ids = {q["id"] for q in scored}
        for mode in retrieval["modes"]:
            rows = [r[mode] for qid, r in retrieval["per_question"].items() if qid in ids]
            n = sum(r["n"] for r in rows)
            for k in retrieval["ks"]:
                for name in (f"recall@{k}", f"capped_recall@{k}"):
                    total = sum(r.get(name, m.NAN) * r["n"] for r in rows if r["n"])
                    out[f"{name}_{mode}"] = total / n if n else m.NAN
    return out


def reliability(drafter, reports: list, questions, stored: dict[tuple[str, str], Any]) -> dict:
    """Run-to-run self-agreement: re-draft a sample without storing and compare answers.

    Generic over engines; a deterministic engine should score 1.0. Answers are compared with
    their status, so an abstention that turns into an answer counts as a change.
    """

    def coded(draft) -> Any:
        return draft.answer if draft.status in ANSWERED else f"<{draft.status}>"

    first = {k: coded(d) for k, d in stored.items() if k[0] in {r.report_id for r in reports}}
    second: dict = {}
    for report in reports:
        pages = drafter.reports.pages(report.report_id)
        earlier = {
            q.id: stored[(report.report_id, q.id)].answer
            for q in questions
            if (report.report_id, q.id) in stored
        }
        for q in questions:
            if (report.report_id, q.id) not in stored:
                continue
            redraft = drafter.draft_question(
                report,
                q,
                earlier=earlier,
                page_text=pages,
                fresh=True,  # never a cached reply: that would agree trivially
                store=False,
            )
            second[(report.report_id, q.id)] = coded(redraft.draft)
    return m.self_agreement([first, second]) | {"reports": len(reports)}


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN/inf -> None, tuples -> lists, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return None
    return value
