"""What a synthetic report says, as explicit attributes, and the audit answers that follow.

`random_spec` draws a `ReportSpec` whose distributions follow the 2020-21 reference audit of
18 reports (a latent quality tier low/mid/high drawn 5:11:2 drives most attributes, giving
A6 not/partly/evidenced ~11/5/2 and C8 ~5/11/2); `gold_answers` maps a spec to the audit
tool's question ids and values.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from evals.synthetic.text import BANKS, PLACES, SAFEGUARDING

PICKLISTS_PATH = Path(__file__).resolve().parents[2] / "prompts" / "picklists.yaml"
QUESTION_IDS = tuple(
    "A1 A1n A2 A3 A4 A5 A6 A7 A8 A9 A10 B1a B1b B2 B3 B3n B4 B5 B6 B7 B7n B8 "
    "C1 C2 C2m C3 C4 C5 C6 C7 C8 C9 C10".split()
)
GOLD_IDS = tuple(q for q in QUESTION_IDS if q != "C9")  # C9 is entered by the reviewer
TIER_WEIGHTS = {"low": 5, "mid": 11, "high": 2}  # C8 not/partly/evidenced, 2020-21 audit
TIER_ODDS: dict[str, tuple[str, str, str]] = {  # attribute: odds for (low, mid, high)
    "priority_rationale": ("partly:3 no:7", "yes:3 partly:5 no:2", "yes:8 partly:2"),
    "partner_actions": ("partly:6 yes:4", "yes:7 partly:3", "yes:1"),
    "impact": ("not:1", "not:6 partly:5", "evidenced:1"),
    "progress_analysis": ("not:8 partly:2", "partly:9 not:9 evidenced:2", "evidenced:6 partly:4"),
    "effectiveness": ("not:1", "partly:7 evidenced:1 not:2", "evidenced:1"),
    "data_trend": ("partly:1 no:1", "yes:3 partly:5 no:2", "yes:1"),
    "local_review_actions": ("partly:4 not:1", "evidenced:4 partly:6", "evidenced:1"),
    "national_review_actions": ("not:1 partly:1", "partly:5 evidenced:2 not:3",
                                "evidenced:7 partly:3"),
    "review_improvements": ("not:7 partly:3", "partly:5 not:3 evidenced:2", "evidenced:1"),
    "embedding_checked": ("no:8 partly:2", "partly:5 no:4 yes:1", "yes:7 partly:3"),
    "training_eval_level": ("1:6 2:4", "1:6 2:11 3:3", "3:4 4:4 5:2"),
    "scrutiny": ("not:1 partly:1", "partly:12 evidenced:5 not:3", "evidenced:1"),
    "relevant_agencies": ("partly:1 no:1", "yes:4 partly:5 no:1", "yes:1"),
    "schools": ("not:6 partly:4", "partly:6 evidenced:2 not:2", "evidenced:1"),
    "budget": ("no:6 partly:4", "yes:4 partly:4 no:2", "yes:1"),
    "feedback": ("not:7 partly:3", "partly:6 evidenced:2 not:2", "evidenced:1"),
}  # fmt: skip
THEME_ODDS = (  # relative odds of a safeguarding priority other than neglect
    "child_exploitation:6 domestic_abuse:5 childrens_mental_health:4 early_help:4 "
    "extra_familial_harm:3 vulnerable_babies:3 parental_mh_substance:2 online_safety:2 "
    "missing_education:2 harmful_sexual_behaviour:1 csa_in_family:1 missing_children:1 "
    "disabled_children:1 race_ethnicity_culture:1 transition_adulthood:1 fathers_men:1 "
    "young_carers:1 radicalisation:1"
)
NATIONAL_REVIEW_YEARS = {"hard_to_escape": 2020, "out_of_routine": 2020, "invisible_men": 2021,
                         "arthur_star": 2022, "disabled_residential": 2022}  # fmt: skip
SCRUTINY_ODDS = "independent_chair:5 independent_scrutineer:5 scrutiny_panel_peer_review:2 " \
    "reciprocal_scrutiny:1"  # fmt: skip
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
    tier: str  # latent quality low / mid / high (C8 not / partly / evidenced)
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
    priority_per_page: bool  # each priority's progress on its own page (evidence split)
    n_lcspr: int  # B1a
    n_rapid: int  # B1b
    prior_year_reviews_mentioned: bool  # last year's counts next to this year's (trap)
    local_review_actions: str  # B2
    actions_phrased_as_planned: bool  # B2 "partly" worded as "partners will..." (trap)
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
    scanned_page: bool = False  # one section drawn as an image: no text layer

    @property
    def slug(self) -> str:
        """File-name stem of the place, e.g. 'kingsbridge-and-vale'."""
        return self.place.lower().replace(" ", "-")


@functools.cache
def load_picklists(path: Path = PICKLISTS_PATH) -> dict[str, tuple[str, ...]]:
    """Pick-list name -> allowed slugs, from prompts/picklists.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: tuple(items) for name, items in data["picklists"].items()}


def _draw(rng: random.Random, odds: str, exclude: tuple[str, ...] = ()) -> str:
    """One value from 'a:3 b:1' style odds."""
    pairs = [p.split(":") for p in odds.split() if p.split(":")[0] not in exclude]
    return rng.choices([k for k, _ in pairs], weights=[float(v) for _, v in pairs])[0]


def random_spec(
    seed: int, period: str = "2020-21", *, tier: str | None = None, place: str | None = None
) -> ReportSpec:
    """Draw one report's attributes (deterministic in seed, period, tier and place)."""
    rng = random.Random(seed)
    tier = tier or _draw(rng, " ".join(f"{k}:{v}" for k, v in TIER_WEIGHTS.items()))
    col = ("low", "mid", "high").index(tier)
    odds = {attr: _draw(rng, row[col]) for attr, row in TIER_ODDS.items()}
    place = place or rng.choice(PLACES)
    has_priorities = tier != "low" or rng.random() < 0.8
    sg = ["neglect"] if rng.random() < 0.65 else []
    for _ in range(rng.randint(1, 3) - len(sg) + (tier == "high")):
        sg.append(_draw(rng, THEME_ODDS, exclude=tuple(sg)))
    practice_slugs = [p for p in load_picklists()["practice_themes"] if p != "other"]
    practice = rng.sample(practice_slugs, rng.randint(0, 3))
    if len(sg) + len(practice) < 2:
        practice.append("information_sharing" if "child_voice" in practice else "child_voice")
    rest = [t for t in SAFEGUARDING if t not in sg]
    context_only = rng.sample(rest, rng.randint(1, 2))
    next_year = rng.sample(sg, 1) + rng.sample([t for t in rest if t not in context_only], 2)
    impact = odds["impact"] if has_priorities else "not"
    evidence: list[str] = []
    if impact == "partly" and rng.random() < 0.6:  # evidence about staff, not outcomes
        evidence = [rng.choice(("practitioner_survey", "inspection_findings"))]
    elif impact == "evidenced":
        others = ["multiagency_audit", "child_family_feedback", "case_studies",
                  "baseline_targets", "practitioner_survey", "inspection_findings"]  # fmt: skip
        evidence = ["outcome_data_trend"] + rng.sample(others, rng.randint(1, 3))
    if tier == "mid" and impact == "not" and odds["data_trend"] != "yes" \
            and odds["effectiveness"] == "not":  # fmt: skip
        odds["effectiveness"] = "partly"  # keeps C8 at "partly" for a mid report
    n_rapid = rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6, 7))
    available = sorted(s for s, y in NATIONAL_REVIEW_YEARS.items() if y <= int(period[:4]) + 1)
    national = rng.sample(available, rng.randint(1, min(3, len(available))))
    training = tier != "low" or rng.random() < 0.9
    models = ["not_described"]
    if odds["scrutiny"] != "not":
        models = [_draw(rng, SCRUTINY_ODDS)]
        if rng.random() < 0.3:
            models.append(_draw(rng, SCRUTINY_ODDS, exclude=tuple(models)))
    dissemination = rng.sample(load_picklists()["dissemination"], rng.randint(2 * (col > 0), 5))
    spec = ReportSpec(
        seed=seed,
        period=period,
        place=place,
        partnership_name=f"{place} {rng.choice(BANKS['partnership_suffixes'])}",
        police_force=rng.choice(BANKS["police_forces"]),
        tier=tier,
        period_stated=rng.random() < (0.75 if tier == "low" else 0.95),
        priorities_stated=has_priorities,
        safeguarding_priorities=tuple(sg) if has_priorities else (),
        practice_priorities=tuple(practice) if has_priorities else (),
        context_only_themes=tuple(context_only),
        next_year_themes=tuple(next_year),
        priority_rationale=odds["priority_rationale"] if has_priorities else "no",
        partner_actions=odds["partner_actions"] if has_priorities else "no",
        impact=impact,
        impact_evidence=tuple(sorted(evidence)),
        progress_analysis=odds["progress_analysis"] if has_priorities else "not",
        effectiveness=odds["effectiveness"],
        data_trend=odds["data_trend"],
        priority_per_page=rng.random() < 0.4,
        n_lcspr=rng.randint(0, min(3, n_rapid)),
        n_rapid=n_rapid,
        prior_year_reviews_mentioned=rng.random() < 0.3,
        local_review_actions=odds["local_review_actions"],
        actions_phrased_as_planned=rng.random() < 0.5,
        national_review_actions=odds["national_review_actions"],
        national_reviews=tuple(sorted(national))
        if odds["national_review_actions"] != "not"
        else (),
        review_improvements=odds["review_improvements"],
        dissemination=tuple(sorted(dissemination)),
        embedding_checked=odds["embedding_checked"],
        training_section=training,
        training_attendances=rng.randint(40, 450) * 10 if training else 0,
        training_eval_level=int(odds["training_eval_level"]) if training else 0,
        scrutiny=odds["scrutiny"],
        scrutiny_model=tuple(sorted(models)),
        relevant_agencies=odds["relevant_agencies"],
        schools=odds["schools"],
        budget=odds["budget"],
        feedback=odds["feedback"],
        youth_custody=rng.random() < (0.15, 0.4, 0.7)[col],
    )
    present = ["foreword", "learning", "plans"] + ["training"] * training
    present += ["voice"] * (spec.feedback != "not") + ["custody"] * spec.youth_custody
    if spec.scrutiny != "not" or spec.effectiveness != "not":
        present.append("scrutiny")
    return replace(spec, two_column_sections=tuple(sorted(rng.sample(present, rng.randint(1, 3)))))


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
    n_priorities = len(spec.safeguarding_priorities) + len(spec.practice_priorities)
    return {
        "A1": yes_no[spec.priorities_stated],
        "A1n": n_priorities if spec.priorities_stated else 0,
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
