"""Synthetic yearly reports of fictional safeguarding children partnerships, with gold answers.

Every attribute that decides a report's content lives in `ReportSpec`; `random_spec` draws one
with distributions shaped like the 2020-21 reference audit, `gold_answers` turns it into the
audit tool's answers, and `build_report` lays it out with reportlab and records on which
physical pages (1-based) the evidence for each question landed. Same seed -> byte-identical PDF.

CLI: python -m evals.sample_reports OUT_DIR [--n N] [--seed S] [--period 2020-21] [--scanned]
"""

from __future__ import annotations

import argparse
import functools
import json
import random
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import yaml

from evals.report_layout import render_pdf
from evals.report_sections import (
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
from evals.report_text import PLACES, PRACTICE, SAFEGUARDING, Wording
from evals.report_theme_a import Priority, priorities, progress
from evals.report_theme_bc import agencies, budget, custody, learning, scrutiny, training, voice

PICKLISTS_PATH = Path(__file__).resolve().parent.parent / "prompts" / "picklists.yaml"
PAGE_RANGE = (12, 30)
SCAN_PREFERENCE = ("budget", "voice", "custody", "plans", "glossary")  # section drawn as an image
QUESTION_IDS = (
    "A1",
    "A1n",
    "A2",
    "A3",
    "A4",
    "A5",
    "A6",
    "A7",
    "A8",
    "A9",
    "A10",
    "B1a",
    "B1b",
    "B2",
    "B3",
    "B3n",
    "B4",
    "B5",
    "B6",
    "B7",
    "B7n",
    "B8",
    "C1",
    "C2",
    "C2m",
    "C3",
    "C4",
    "C5",
    "C6",
    "C7",
    "C8",
    "C9",
    "C10",
)
GOLD_IDS = tuple(q for q in QUESTION_IDS if q != "C9")  # C9 is entered by the reviewer
TIER_WEIGHTS = {"low": 5, "mid": 11, "high": 2}  # C8 not/partly/evidenced in the 2020-21 audit
# Tier order for sample sets: any 18 in a row reproduce 5/11/2; the first 6 hold all three.
SAMPLE_TIERS = (
    "mid",
    "low",
    "high",
    "mid",
    "low",
    "mid",
    "mid",
    "mid",
    "low",
    "mid",
    "mid",
    "high",
    "mid",
    "low",
    "mid",
    "mid",
    "low",
    "mid",
)
POLICE_FORCES = (
    "Northmoor Constabulary",
    "Vale and Downs Police",
    "Western Shires Police",
    "Fenmarch Police",
    "Eastwold Constabulary",
    "Riverlands Police",
)
NATIONAL_REVIEW_YEARS = {
    "hard_to_escape": 2020,
    "out_of_routine": 2020,
    "invisible_men": 2021,
    "arthur_star": 2022,
    "disabled_residential": 2022,
}
THEME_POPULARITY = {  # relative odds of a non-neglect safeguarding priority
    "child_exploitation": 6,
    "domestic_abuse": 5,
    "childrens_mental_health": 4,
    "early_help": 4,
    "extra_familial_harm": 3,
    "vulnerable_babies": 3,
    "parental_mh_substance": 2,
    "online_safety": 2,
    "missing_education": 2,
    "harmful_sexual_behaviour": 1,
    "csa_in_family": 1,
    "missing_children": 1,
    "disabled_children": 1,
    "race_ethnicity_culture": 1,
    "transition_adulthood": 1,
    "fathers_men": 1,
    "young_carers": 1,
    "radicalisation": 1,
}
GAP_RULES = {  # C10 gold: gap tag -> spec predicate
    "impact_not_evidenced": lambda s: s.impact == "not",
    "no_progress_analysis": lambda s: s.progress_analysis == "not",
    "no_effectiveness_judgement": lambda s: s.effectiveness == "not",
    "no_multiagency_data": lambda s: s.data_trend == "no",
    "training_impact_not_evaluated": lambda s: s.training_eval_level < 3,
    "no_local_review_actions": lambda s: s.local_review_actions == "not",
    "no_national_review_actions": lambda s: s.national_review_actions == "not",
    "embedding_not_checked": lambda s: s.embedding_checked == "no",
    "period_not_stated": lambda s: not s.period_stated,
    "no_independent_scrutiny": lambda s: s.scrutiny == "not",
    "relevant_agencies_not_named": lambda s: s.relevant_agencies == "no",
    "schools_not_covered": lambda s: s.schools == "not",
    "no_budget": lambda s: s.budget == "no",
    "no_child_family_feedback": lambda s: s.feedback == "not",
    "no_youth_custody": lambda s: not s.youth_custody,
}


@dataclass(frozen=True)
class ReportSpec:
    """Every attribute that decides a report's content (wording varies with `seed` only)."""

    seed: int
    period: str
    place: str
    partnership_name: str
    police_force: str
    tier: str  # latent quality: low / mid / high (C8 not / partly / evidenced)
    period_stated: bool  # C1
    priorities_stated: bool  # A1
    safeguarding_priorities: tuple[str, ...]  # A2
    practice_priorities: tuple[str, ...]  # A3
    context_only_themes: tuple[str, ...]  # named as local context, NOT priorities (trap)
    next_year_themes: tuple[str, ...]  # named as next year's plans, NOT priorities (trap)
    priority_rationale: str  # A4 yes/partly/no
    partner_actions: str  # A5 yes/partly/no
    impact: str  # A6 not/partly/evidenced
    impact_evidence: tuple[str, ...]  # A7
    progress_analysis: str  # A8
    effectiveness: str  # A9
    data_trend: str  # A10 yes/partly/no
    n_lcspr: int  # B1a
    n_rapid: int  # B1b
    prior_year_reviews_mentioned: bool  # last year's counts next to this year's (trap)
    local_review_actions: str  # B2
    actions_phrased_as_planned: bool  # B2 "partly": "partners will..." instead of "did"
    national_review_actions: str  # B3
    national_reviews: tuple[str, ...]  # B3n
    review_improvements: str  # B4
    dissemination: tuple[str, ...]  # B5
    embedding_checked: str  # B6
    training_section: bool  # B7
    training_attendances: int  # B7n
    training_eval_level: int  # B8 ladder 0-5
    scrutiny: str  # C2
    scrutiny_model: tuple[str, ...]  # C2m
    relevant_agencies: str  # C3
    schools: str  # C4
    budget: str  # C5
    feedback: str  # C6
    youth_custody: bool  # C7
    two_column_sections: tuple[str, ...] = ()
    scanned_page: bool = False  # one section rendered as an image: no text layer

    @property
    def slug(self) -> str:
        """File-name stem of the place, e.g. 'kingsbridge-and-vale'."""
        return self.place.lower().replace(" ", "-")


@dataclass
class BuildResult:
    """A built report: where it is, its page count and where each answer's evidence is."""

    path: Path
    n_pages: int
    gold_pages: dict[str, list[int]]
    spec: ReportSpec
    two_column_pages: list[int] = field(default_factory=list)
    scanned_pages: list[int] = field(default_factory=list)


@functools.cache
def load_picklists(path: Path = PICKLISTS_PATH) -> dict[str, tuple[str, ...]]:
    """Pick-list name -> allowed slugs, from prompts/picklists.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: tuple(items) for name, items in data["picklists"].items()}


def _choose(rng: random.Random, odds: dict[str, float]) -> str:
    return rng.choices(list(odds), weights=list(odds.values()))[0]


def _by_tier(rng: random.Random, tier: str, table: dict[str, dict[str, float]]) -> str:
    return _choose(rng, table[tier])


def random_spec(
    seed: int, period: str = "2020-21", *, tier: str | None = None, place: str | None = None
) -> ReportSpec:
    """Draw one report's attributes; distributions follow the 2020-21 reference audit."""
    rng = random.Random(seed)
    tier = tier or _choose(rng, TIER_WEIGHTS)
    place = place or rng.choice(PLACES)
    suffix = rng.choice(
        (
            "Safeguarding Children Partnership",
            "Safeguarding Children Partnership",
            "Children's Safeguarding Partnership",
        )
    )
    has_priorities = tier != "low" or rng.random() < 0.8
    sg: list[str] = []
    if rng.random() < 0.61:
        sg.append("neglect")
    others = dict(THEME_POPULARITY)
    for _ in range(rng.randint(1, 3) - len(sg) + (1 if tier == "high" else 0)):
        pick = _choose(rng, others)
        sg.append(pick)
        others.pop(pick)
    practice_slugs = [p for p in load_picklists()["practice_themes"] if p != "other"]
    practice = rng.sample(practice_slugs, rng.randint(0, 3))
    if len(sg) + len(practice) < 2:
        practice.append(
            next(p for p in ("information_sharing", "child_voice") if p not in practice)
        )
    rest = [t for t in SAFEGUARDING if t not in sg]
    context_only = rng.sample(rest, rng.randint(1, 2))
    next_year = rng.sample(sg, 1) + rng.sample([t for t in rest if t not in context_only], 2)
    pick = lambda table: _by_tier(rng, tier, table)  # noqa: E731
    impact = pick({"low": {"not": 1}, "mid": {"not": 6, "partly": 5}, "high": {"evidenced": 1}})
    if not has_priorities:
        impact = "not"
    evidence: list[str] = []
    if impact == "partly" and rng.random() < 0.6:
        evidence = [rng.choice(("practitioner_survey", "inspection_findings"))]
    elif impact == "evidenced":
        evidence = ["outcome_data_trend"] + rng.sample(
            [
                "multiagency_audit",
                "child_family_feedback",
                "case_studies",
                "baseline_targets",
                "practitioner_survey",
                "inspection_findings",
            ],
            rng.randint(1, 3),
        )
    data_trend = pick(
        {"low": {"partly": 1, "no": 1}, "mid": {"yes": 3, "partly": 5, "no": 2}, "high": {"yes": 1}}
    )
    effectiveness = pick(
        {
            "low": {"not": 1},
            "mid": {"partly": 7, "evidenced": 1, "not": 2},
            "high": {"evidenced": 1},
        }
    )
    if tier == "mid" and impact == "not" and effectiveness == "not" and data_trend != "yes":
        effectiveness = "partly"  # keeps C8 at "partly" for a mid report
    nat_actions = pick(
        {
            "low": {"not": 1, "partly": 1},
            "mid": {"partly": 5, "evidenced": 2, "not": 3},
            "high": {"evidenced": 7, "partly": 3},
        }
    )
    end_year = int(period[:4]) + 1
    available = sorted(s for s, y in NATIONAL_REVIEW_YEARS.items() if y <= end_year)
    n_rapid = rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6, 7))
    training = tier != "low" or rng.random() < 0.9
    scrutiny = pick(
        {
            "low": {"not": 1, "partly": 1},
            "mid": {"partly": 6, "evidenced": 2.5, "not": 1.5},
            "high": {"evidenced": 1},
        }
    )
    models = ["not_described"]
    if scrutiny != "not":
        odds = {
            "independent_chair": 5,
            "independent_scrutineer": 5,
            "scrutiny_panel_peer_review": 2,
            "reciprocal_scrutiny": 1,
        }
        models = [_choose(rng, odds)]
        if rng.random() < 0.3:
            models.append(_choose(rng, {k: v for k, v in odds.items() if k != models[0]}))
    spec = ReportSpec(
        seed=seed,
        period=period,
        place=place,
        partnership_name=f"{place} {suffix}",
        police_force=rng.choice(POLICE_FORCES),
        tier=tier,
        period_stated=rng.random() < (0.75 if tier == "low" else 0.95),
        priorities_stated=has_priorities,
        safeguarding_priorities=tuple(sg) if has_priorities else (),
        practice_priorities=tuple(practice) if has_priorities else (),
        context_only_themes=tuple(context_only),
        next_year_themes=tuple(next_year),
        priority_rationale=pick(
            {
                "low": {"partly": 3, "no": 7},
                "mid": {"yes": 3, "partly": 5, "no": 2},
                "high": {"yes": 8, "partly": 2},
            }
        )
        if has_priorities
        else "no",
        partner_actions=pick(
            {"low": {"partly": 6, "yes": 4}, "mid": {"yes": 7, "partly": 3}, "high": {"yes": 1}}
        )
        if has_priorities
        else "no",
        impact=impact,
        impact_evidence=tuple(evidence),
        progress_analysis=pick(
            {
                "low": {"not": 8, "partly": 2},
                "mid": {"partly": 4.5, "not": 4.5, "evidenced": 1},
                "high": {"evidenced": 6, "partly": 4},
            }
        )
        if has_priorities
        else "not",
        effectiveness=effectiveness,
        data_trend=data_trend,
        n_lcspr=rng.randint(0, min(3, n_rapid)),
        n_rapid=n_rapid,
        prior_year_reviews_mentioned=rng.random() < 0.3,
        local_review_actions=pick(
            {
                "low": {"partly": 4, "not": 1},
                "mid": {"evidenced": 4, "partly": 6},
                "high": {"evidenced": 1},
            }
        ),
        actions_phrased_as_planned=rng.random() < 0.5,
        national_review_actions=nat_actions,
        national_reviews=tuple(
            sorted(rng.sample(available, rng.randint(1, min(3, len(available)))))
        )
        if nat_actions != "not"
        else (),
        review_improvements=pick(
            {
                "low": {"not": 7, "partly": 3},
                "mid": {"partly": 5, "not": 3, "evidenced": 2},
                "high": {"evidenced": 1},
            }
        ),
        dissemination=tuple(
            sorted(
                rng.sample(
                    load_picklists()["dissemination"], rng.randint(0 if tier == "low" else 2, 5)
                )
            )
        ),
        embedding_checked=pick(
            {
                "low": {"no": 8, "partly": 2},
                "mid": {"partly": 5, "no": 4, "yes": 1},
                "high": {"yes": 7, "partly": 3},
            }
        ),
        training_section=training,
        training_attendances=rng.randint(40, 450) * 10 if training else 0,
        training_eval_level=int(
            pick(
                {
                    "low": {"1": 6, "2": 4},
                    "mid": {"1": 3, "2": 5.5, "3": 1.5},
                    "high": {"3": 4, "4": 4, "5": 2},
                }
            )
        )
        if training
        else 0,
        scrutiny=scrutiny,
        scrutiny_model=tuple(sorted(models)),
        relevant_agencies=pick(
            {
                "low": {"partly": 1, "no": 1},
                "mid": {"yes": 4, "partly": 5, "no": 1},
                "high": {"yes": 1},
            }
        ),
        schools=pick(
            {
                "low": {"not": 6, "partly": 4},
                "mid": {"partly": 6, "evidenced": 2, "not": 2},
                "high": {"evidenced": 1},
            }
        ),
        budget=pick(
            {
                "low": {"no": 6, "partly": 4},
                "mid": {"yes": 4, "partly": 4, "no": 2},
                "high": {"yes": 1},
            }
        ),
        feedback=pick(
            {
                "low": {"not": 7, "partly": 3},
                "mid": {"partly": 6, "evidenced": 2, "not": 2},
                "high": {"evidenced": 1},
            }
        ),
        youth_custody=rng.random() < {"low": 0.15, "mid": 0.4, "high": 0.7}[tier],
    )
    present = ["foreword", "learning", "plans"]
    present += ["training"] * spec.training_section + ["voice"] * (spec.feedback != "not")
    present += ["custody"] * spec.youth_custody
    if spec.scrutiny != "not" or spec.effectiveness != "not":
        present.append("scrutiny")
    two_col = tuple(sorted(rng.sample(present, rng.randint(1, 3))))
    return replace(spec, two_column_sections=two_col)


def build_sections(spec) -> list[Section]:
    """All sections of one report, in order, from the spec and its wording seed."""
    w = Wording(random.Random(f"wording:{spec.seed}"), report_context(spec))
    items: list[Priority] = []
    if spec.priorities_stated:
        items = [(s, "A2", w.pick(SAFEGUARDING[s].names)) for s in spec.safeguarding_priorities]
        items += [(s, "A3", w.pick(PRACTICE[s].names)) for s in spec.practice_priorities]
        items = w.shuffled(items)
    c1_in_foreword = spec.period_stated and w.rng.random() < 0.5
    c1_in_arrangements = spec.period_stated and not c1_in_foreword
    front = [
        cover(spec, w),
        Section("contents", "Contents", [], in_toc=False),
        foreword(spec, w, c1_in_foreword),
        arrangements(spec, w, c1_in_arrangements),
        local_context(spec, w),
    ]
    if spec.period.startswith("2020") and w.rng.random() < 0.7:
        front.append(pandemic(w))
    core = [priorities(spec, w, items), progress(spec, w, items), learning(spec, w)]
    if spec.training_section:
        core.append(training(spec, w))
    middle = [
        s
        for s in (
            scrutiny(spec, w),
            voice(spec, w),
            agencies(spec, w),
            custody(spec, w),
            budget(spec, w),
        )
        if s is not None
    ]
    if len(middle) > 2 and w.rng.random() < 0.5:  # real reports order these differently
        middle[0], middle[1] = middle[1], middle[0]
    middle += neutral_sections(spec, w, pad=len(front + core + middle) < 12)
    next_names = [w.pick(SAFEGUARDING[s].names) for s in spec.next_year_themes]
    sections = [s for s in front + core + middle if s is not None]
    sections += [plans(spec, w, next_names), glossary(w)]
    keys = {s.key for s in sections}
    for s in sections:
        add_filler(s, w)
        s.two_column = s.key in spec.two_column_sections
    if spec.scanned_page:
        two = set(spec.two_column_sections)  # keep at least one two-column section
        target = next(k for k in SCAN_PREFERENCE if k in keys and (k not in two or len(two) > 1))
        for s in sections:
            if s.key == target:
                s.scanned, s.two_column = True, False
    return sections


def overall_rating(spec: ReportSpec) -> str:
    """C8 from what the text shows: impact (A6), effectiveness (A9) and data with trends (A10)."""
    if (
        spec.impact == "evidenced"
        and spec.effectiveness == "evidenced"
        and spec.data_trend == "yes"
    ):
        return "evidenced"
    if spec.impact == "not" and spec.effectiveness == "not" and spec.data_trend != "yes":
        return "not"
    return "partly"


def gold_answers(spec: ReportSpec) -> dict[str, object]:
    """The correct audit answer for every question except C9 (reviewer-entered)."""
    yes_no = {True: "yes", False: "no"}
    has = spec.priorities_stated
    return {
        "A1": yes_no[has],
        "A1n": len(spec.safeguarding_priorities) + len(spec.practice_priorities) if has else 0,
        "A2": sorted(spec.safeguarding_priorities),
        "A3": sorted(spec.practice_priorities),
        "A4": spec.priority_rationale,
        "A5": spec.partner_actions,
        "A6": spec.impact,
        "A7": sorted(spec.impact_evidence),
        "A8": spec.progress_analysis,
        "A9": spec.effectiveness,
        "A10": spec.data_trend,
        "B1a": spec.n_lcspr,
        "B1b": spec.n_rapid,
        "B2": spec.local_review_actions,
        "B3": spec.national_review_actions,
        "B3n": sorted(spec.national_reviews),
        "B4": spec.review_improvements,
        "B5": sorted(spec.dissemination),
        "B6": spec.embedding_checked,
        "B7": yes_no[spec.training_section],
        "B7n": spec.training_attendances,
        "B8": spec.training_eval_level,
        "C1": yes_no[spec.period_stated],
        "C2": spec.scrutiny,
        "C2m": sorted(spec.scrutiny_model),
        "C3": spec.relevant_agencies,
        "C4": spec.schools,
        "C5": spec.budget,
        "C6": spec.feedback,
        "C7": yes_no[spec.youth_custody],
        "C8": overall_rating(spec),
        "C10": sorted(tag for tag, rule in GAP_RULES.items() if rule(spec)),
    }


def report_filename(spec: ReportSpec) -> str:
    """'<slug>-annual-report-<period>.pdf'."""
    return f"{spec.slug}-annual-report-{spec.period}.pdf"


def build_report(spec: ReportSpec, path: Path) -> BuildResult:
    """Write the PDF for `spec` to `path`; return page count and gold evidence pages.

    Raises RuntimeError if the layout breaks the 12-30 page range or loses a two-column or
    scanned page (reportlab paginates silently, so this is checked here).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header_right = f"Annual Report {spec.period}" if spec.period_stated else "Annual Report"
    layout = render_pdf(build_sections(spec), path, spec.partnership_name, header_right)
    pages = {q: sorted(layout.evidence.get(q, ())) for q in GOLD_IDS}
    pages["C8"] = sorted(set(pages["A6"]) | set(pages["A9"]) | set(pages["A10"]))
    pages["C10"] = []  # gaps are absences: no page holds them
    problems = []
    if not PAGE_RANGE[0] <= layout.n_pages <= PAGE_RANGE[1]:
        problems.append(f"{layout.n_pages} pages, outside {PAGE_RANGE}")
    if spec.two_column_sections and not layout.two_column_pages:
        problems.append("no two-column page")
    if spec.scanned_page and len(layout.scanned_pages) != 1:
        problems.append(f"scanned pages {layout.scanned_pages}, expected exactly one")
    if problems:
        raise RuntimeError(f"layout of {path.name} (seed {spec.seed}): " + "; ".join(problems))
    return BuildResult(
        path,
        layout.n_pages,
        pages,
        spec,
        sorted(layout.two_column_pages),
        sorted(layout.scanned_pages),
    )


def generate_sample_set(
    out_dir: Path, n: int = 6, seed: int = 2021, period: str = "2020-21", scanned: bool = False
) -> list[BuildResult]:
    """Write n reports plus manifest.json (spec, gold answers, gold pages) into out_dir.

    Quality tiers cycle so that any 18 consecutive reports match the reference audit's 5/11/2
    split on C8; places are distinct. With scanned=True every third report (the 2nd, 5th, ...)
    has one page without a text layer.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    places = random.Random(seed).sample(PLACES, min(n, len(PLACES)))
    results = []
    for i in range(n):
        spec = random_spec(
            seed + i,
            period,
            tier=SAMPLE_TIERS[i % len(SAMPLE_TIERS)],
            place=places[i % len(places)],
        )
        if i >= len(places):  # more reports than places: keep file names unique
            spec = replace(spec, place=f"{spec.place} {i // len(places) + 1}")
        if scanned and i % 3 == 1:
            spec = replace(spec, scanned_page=True)
        results.append(build_report(spec, out_dir / report_filename(spec)))
    manifest = {
        "generator": "evals.sample_reports",
        "version": 1,
        "seed": seed,
        "period": period,
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
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--period", default="2020-21")
    parser.add_argument(
        "--scanned", action="store_true", help="one image-only page in every third report"
    )
    args = parser.parse_args(argv)
    results = generate_sample_set(args.out_dir, args.n, args.seed, args.period, args.scanned)
    for r in results:
        print(f"{r.path}  {r.n_pages} pages  tier={r.spec.tier}")
    print(f"manifest: {args.out_dir / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
