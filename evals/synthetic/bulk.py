"""The bulk of a long synthetic report: what real 40-100 page reports carry besides evidence.

Partner-agency chapters in several voices, subgroup reports, governance and membership,
"at a glance" numbers, practice examples, locality profiles and appendices (population,
attendance, abbreviations, meeting calendar). Bulk evidences no audit question: a long
report's gold pages hold exactly the evidence of the short one, moved by the pages around it.

Near misses are kept on purpose, because real reports have them and retrieval must tell them
apart: other boards' priorities, next year's plans, statutory requirements, reviews held
elsewhere. Under the audit rules (shared devset README, "How the key rates") none of them
counts. `guard_problems` checks every untagged bulk block against words that would create
evidence (BULK_GUARD, plus the names and keywords of the report's own priorities), and
`long_sections` only keeps sentences that pass it.

Wording comes from bulk_wording.yaml and its own seeded RNG ("bulk:<seed>"), so the
core sections of a long report read exactly as in the short one.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from evals.synthetic.sections import Break, Grid, Para, Section, period_years
from evals.synthetic.text import PLACES, SAFEGUARDING, Wording, cap, low, theme_of

BULK_PATH = Path(__file__).with_name("bulk_wording.yaml")
BULK = yaml.safe_load(BULK_PATH.read_text(encoding="utf-8"))
PAGE_TARGET = (44, 90)  # drawn per report; the generator asserts 40-100 after layout
# Words that would make an untagged bulk block evidence for some audit question.
BULK_GUARD = (
    "£ budget fund custody children's home residential national review national panel "
    "rapid review practice review serious case review lcspr briefing newsletter webinar "
    "podcast conference learning event website forum training course survey feedback "
    "told us voice impact improv outcome effective difference scrutin independent "
    "peer review audit embedded relevant agenc probation youth justice housing "
    "fire and rescue voluntary ambulance sports club faith hospital school college "
    "early years headteacher priorit 1 april 31 march child protection plan "
    "children in need looked-after children referral"
).split(" ")
_MULTI = ("national review", "national panel", "rapid review", "practice review",
          "serious case review", "learning event", "told us", "relevant agenc", "youth justice",
          "fire and rescue", "sports club", "early years", "1 april", "31 march",
          "child protection plan", "children in need", "looked-after children",
          "children's home", "peer review")  # fmt: skip
GUARD_WORDS = tuple(
    sorted(set(_MULTI) | {w for w in BULK_GUARD if not any(w in m for m in _MULTI)})
)
# Near misses may name themes, priorities, reviews, effectiveness and impact, never these.
NEAR_MISS_GUARD = ("£", "budget", "custody", "children's home", "training", "course",
                   "briefing", "newsletter", "webinar", "podcast", "website", "survey",
                   "1 april", "31 march")  # fmt: skip
THEME_KEYWORDS = {  # beyond a theme's display names: words that describe work on it
    "neglect": ("neglect",),
    "child_exploitation": ("exploitation", "county lines"),
    "extra_familial_harm": ("contextual", "youth violence", "outside the home", "violence"),
    "domestic_abuse": ("domestic",),
    "childrens_mental_health": ("mental health",),
    "parental_mh_substance": ("substance", "drug", "alcohol", "mental health"),
    "csa_in_family": ("sexual abuse", "sexual health"),
    "harmful_sexual_behaviour": ("sexual behaviour",),
    "online_safety": ("online safety", "online harm", "online invest"),
    "vulnerable_babies": ("bab", "safer sleep", "pre-birth", "midwi", "health visit"),
    "early_help": ("early help", "family hub", "family support", "parenting"),
    "missing_education": ("missing education", "home education", "not in school"),
    "missing_children": ("missing",),
    "disabled_children": ("disab", "short breaks"),
    "race_ethnicity_culture": ("ethnic", "cultur", "race", "racial"),
    "transition_adulthood": ("transition", "adulthood", "adult"),
    "fathers_men": ("father",),
    "young_carers": ("carer",),
    "radicalisation": ("prevent", "extrem", "radical"),
    "information_sharing": ("information", "sharing case", "share what", "data sharing"),
    "risk_assessment": ("risk assess",),
    "thresholds": ("threshold",),
    "professional_curiosity": ("curiosity", "challenge", "escalat"),
    "child_voice": ("lived experience", "daily lives", "day in the life", "wishes"),
    "disguised_compliance": ("compliance", "not brought", "engage"),
    "whole_family": ("think family", "whole family", "whole-family", "adult"),
    "front_door": ("front door", "duty", "multi-agency safeguarding hub", "mash"),
    "data_quality_assurance": ("quality assurance", "performance", "dashboard", "data"),
    "workforce_supervision": (
        "workforce",
        "recruit",
        "wellbeing",
        "supervision",
        "vacanc",
        "sickness",
        "staff support",
    ),
    "leadership_culture": ("leader", "culture", "leadership"),
    "equality": ("equality", "inclusion"),
}


def priority_words(spec) -> tuple[str, ...]:
    """Lower-case names and keywords of the report's own priorities (A2, A3)."""
    words: set[str] = set()
    for slug in (*spec.safeguarding_priorities, *spec.practice_priorities):
        words |= {n.lower() for n in theme_of(slug).names} | set(THEME_KEYWORDS.get(slug, ()))
    return tuple(sorted(words))


def _text_of(block) -> str:
    if isinstance(block, Grid):
        return " ".join(" ".join(row) for row in block.rows)
    return block.text if isinstance(block, Para) else ""


def _hits(text: str, words) -> list[str]:
    low_text = text.lower().replace("\u2019", "'")
    return [w for w in words if w in low_text]


def _ok(text: str, spec, near_miss: bool = False) -> bool:
    words = NEAR_MISS_GUARD if near_miss else GUARD_WORDS + priority_words(spec)
    return not _hits(text, words)


def guard_problems(spec, sections: list[Section]) -> list[str]:
    """Untagged bulk blocks holding words that would evidence an audit question.

    Bulk sections carry `bulk=True`; the indexes of their near-miss blocks are in
    `near_miss`, checked against the shorter NEAR_MISS_GUARD."""
    problems = []
    for s in sections:
        if not getattr(s, "bulk", False):
            continue
        for i, block in enumerate(s.blocks):
            if isinstance(block, Break) or block.qids:  # tagged blocks are evidence
                continue
            near = i in getattr(s, "near_miss", set())
            words = NEAR_MISS_GUARD if near else GUARD_WORDS + priority_words(spec)
            for hit in _hits(_text_of(block) + ("" if i else " " + s.title), words):
                problems.append(f"{s.key}: block {i} has {hit!r}: {_text_of(block)[:70]!r}")
    return problems


class _Bulk:
    """Builds bulk sections for one spec from its own RNG; filters sentences by the guard."""

    def __init__(self, spec, context: dict) -> None:
        self.spec = spec
        self.w = Wording(random.Random(f"bulk:{spec.seed}"), context)
        self.rng = self.w.rng
        others = [t for t in SAFEGUARDING if t not in spec.safeguarding_priorities]
        self.elsewhere = [t for t in others if t not in spec.context_only_themes] or others
        self.neighbour = self.w.pick([p for p in PLACES if p != spec.place])
        start, _ = period_years(spec.period)
        self.months = ["May", "July", "September", "November", "January", "March"]
        self.start = start
        self.used: set[tuple[str, str]] = set()  # (organisation, service) with a chapter
        self.uses: dict[str, int] = {}  # template -> times used in this report
        self.max_uses = 3

    # -- helpers
    def fill(self, template: str, **values) -> str:
        values.setdefault("month", self.w.pick(self.months))
        values.setdefault("neighbour", self.neighbour)
        values.setdefault("k", self.rng.randint(4, 11))
        values.setdefault("age", self.rng.randint(4, 15))
        return cap(self.w.fill(template, **values))

    def sentences(self, bank: list[str], n: int, **values) -> list[str]:
        """n sentences from a bank, none used max_uses times already in this report (real reports
        rarely repeat themselves word for word), each passing the guard."""
        fresh = [t for t in bank if self.uses.get(t, 0) < self.max_uses]
        chosen = self.rng.sample(fresh, min(n, len(fresh)))
        for t in chosen:
            self.uses[t] = self.uses.get(t, 0) + 1
        out = [self.fill(t, **values) for t in chosen]
        return [s for s in out if _ok(s, self.spec)]

    def theme_name(self, slugs=None) -> str:
        slug = self.w.pick(slugs or self.elsewhere)
        return low(self.w.pick(theme_of(slug).names))

    def section(self, key: str, title: str, blocks, near=(), **kw) -> Section:
        s = Section(key, title, blocks, **kw)
        s.bulk = True
        s.near_miss = set(near)
        return s

    # -- sections
    def agency_chapter(
        self, agency: dict, paragraphs: int, by_service: bool = False
    ) -> Section | None:
        voice = self.w.pick(BULK["voices"])
        values = {"org": self.w.fill(agency["org"]), "lead": agency["lead"]}
        values["work"] = self.w.pick(agency["work"])
        if (values["org"], values["work"]) in self.used:
            return None
        self.used.add((values["org"], values["work"]))
        if not _ok(values["org"] + " " + values["work"] + " " + values["lead"], self.spec):
            return None
        bank = BULK["agency_sentences"][voice]
        blocks: list = []
        near: list[int] = []
        if voice == "highlights":
            blocks.append(Para("Highlights of the year", style="h2"))
            blocks += [Para(t, style="bullet") for t in self.sentences(bank, 5, **values)]
            bank = BULK["agency_sentences"]["institution"]
        if voice == "questions":
            for text in self.sentences(bank, len(bank), **values):
                q, _, a = text.partition("? ")
                blocks += [Para(q + "?", style="h2"), Para(cap(a))]
            bank = BULK["agency_sentences"]["we"]
        opener = self.sentences(bank, self.rng.randint(4, 7), **values)
        half = (len(opener) + 1) // 2
        blocks += [Para(" ".join(part)) for part in (opener[:half], opener[half:]) if part]
        topics = BULK["agency_topics"]
        for topic in self.rng.sample(sorted(topics), min(len(topics), paragraphs)):
            said = self.sentences(topics[topic], self.rng.randint(4, 8), **values)
            if len(said) >= 2:
                cut = self.rng.randint(1, len(said) - 1)
                blocks += [Para(topic, style="h2"), Para(" ".join(said[:cut]))]
                blocks.append(Para(" ".join(said[cut:])))
        theme = self.theme_name()
        nxt = self.fill(self.w.pick(BULK["agency_next"]), theme=theme, **values)
        if _ok(nxt, self.spec, near_miss=True):
            near.append(len(blocks))
            blocks.append(Para(nxt))
        if len(blocks) < 2:
            return None
        title = self.fill(self.w.pick(BULK["chapter_titles"]), **values)
        if by_service:  # a second chapter from the same partner: one service of it
            title = f"{values['org']}: {values['work']}"
        s = self.section("agency", title, blocks, near)
        s.two_column = self.rng.random() < 0.25
        return s

    def subgroup_report(self, group: dict) -> Section | None:
        name = group["name"]
        if not _ok(name, self.spec):
            return None
        chair = self.w.fill(group["chair"])
        intro = f"The {low(name)} is chaired by a senior manager from {chair}."
        body = self.sentences(BULK["subgroup_sentences"], self.rng.randint(5, 8))
        blocks: list = [Para(intro)] if _ok(intro, self.spec) else []
        half = len(body) // 2
        blocks += [Para(" ".join(body[:half])), Para(" ".join(body[half:]))]
        near = []
        nxt = self.fill(self.w.pick(BULK["subgroup_next"]), theme=self.theme_name())
        if _ok(nxt, self.spec, near_miss=True):
            near.append(len(blocks))
            blocks.append(Para(nxt))
        return self.section("subgroup", name, [b for b in blocks if b.text], near)

    def practice_example(self, number: int) -> Section | None:
        steps = [s for s in (self.fill(t) for t in BULK["practice_steps"]) if _ok(s, self.spec)]
        if len(steps) < 4:
            return None
        first, rest = steps[0], self.rng.sample(steps[1:], min(len(steps) - 1, 6))
        close = [c for c in BULK["practice_close"] if _ok(c, self.spec)]
        text = " ".join([first, *rest, self.w.pick(close)])
        title = self.w.pick(BULK["practice_titles"])
        title = f"{title} {number}" if title == "Practice example" else title
        if not _ok(title, self.spec):
            title = f"Practice example {number}"
        return self.section("example", title, [Para(text)], new_page=self.rng.random() < 0.5)

    def governance(self) -> Section:
        s = self.spec
        text = " ".join(self.sentences(BULK["governance_sentences"], 6))
        rows = [["Group", "Chaired by", "Meets"]]
        chair = "Rotates between the three partners"
        if s.scrutiny != "not" and "independent_chair" in s.scrutiny_model:
            chair = "The partners' appointed chair"
        rows.append(["Executive group", chair, self.w.pick(("Every two months", "Quarterly"))])
        for g in BULK["subgroups"]:
            if _ok(g["name"], s):
                rows.append([g["name"], self.w.fill(g["chair"]), self.w.pick(("Quarterly",
                             "Every six weeks", "Every two months"))])  # fmt: skip
        rows = [r for r in rows if _ok(" ".join(r), s)]
        blocks = [Para(text), Grid(rows, (0.42, 0.34, 0.24))]
        title = self.w.pick(("Governance structure", "How we are organised", "Our structure"))
        return self.section("governance", title, blocks)

    def membership(self) -> Section:
        s, roles = self.spec, BULK["roles"]
        ctx = self.w.context
        rows = [["Member", "Organisation"]]  # the partners' members only: no scrutiny model
        model = s.scrutiny_model if s.scrutiny != "not" else ()
        for key, org in (("la", ctx["la"]), ("health", ctx["health"]), ("police", ctx["police"])):
            for role in self.rng.sample(roles[key], self.rng.randint(2, 3)):
                if _ok(role, s):
                    rows.append([role, org])
        rows.append(["Partnership Business Manager (adviser)", ctx["la"]])
        blocks: list = [Para(self.fill("The executive group had these members during {year}:")),
                        Grid(rows, (0.55, 0.45))]  # fmt: skip
        if not model:  # a chair rotating among the partners is not independent (near miss)
            blocks.append(Para("The chair of the executive rotates each year between the "
                               "three partners' lead representatives."))  # fmt: skip
        return self.section("membership", "Membership of the executive group", blocks)

    def at_a_glance(self) -> Section:
        s = self.spec
        facts = [
            ("Safeguarding partners", "3"),
            ("Executive meetings held", str(self.rng.randint(4, 8))),
            ("Subgroup meetings held", str(self.rng.randint(18, 40))),
            ("Average attendance at the executive", f"{self.rng.randint(78, 97)}%"),
            ("Localities", str(self.rng.randint(3, 6))),
            ("Electoral wards", str(self.rng.randint(18, 60))),
            ("Area (square kilometres)", f"{self.rng.randint(90, 1400):,}"),
            ("Decisions recorded in the decision log", str(self.rng.randint(20, 70))),
            ("Short-life task groups", str(self.rng.randint(1, 4))),
            ("Staff in the business unit", str(self.rng.randint(3, 9))),
        ]
        rows = [["", ""]] + [[a, b] for a, b in self.rng.sample(facts, self.rng.randint(6, 10))]
        rows[0] = ["The partnership at a glance", self.fill("{year}").capitalize()]
        title = self.w.pick(("At a glance", "The year at a glance", "Our partnership in numbers"))
        return self.section("glance", title, [Grid(rows, (0.7, 0.3))],
                            new_page=self.rng.random() < 0.7 or not s.period_stated)  # fmt: skip

    def about(self) -> Section:
        req = BULK["near_miss"]["requirements"]
        chosen = self.rng.sample(req, self.rng.randint(3, len(req)))
        intro = self.fill("This report describes the work of {name} over {year}.")
        blocks = [Para(intro), Para(" ".join(chosen))]
        return self.section("about", self.w.pick(("About this report", "What this report is "
                            "for", "Why we publish this report")), blocks, near=(1,))  # fmt: skip

    def other_boards(self) -> Section:
        nm = BULK["near_miss"]
        a, b = self.theme_name(), self.theme_name()
        texts = [self.fill(t, theme_a=a, theme_b=b) for t in nm["other_boards"]]
        texts = self.rng.sample(texts, self.rng.randint(2, len(texts)))
        reviews = self.rng.sample(nm["reviews_elsewhere"], self.rng.randint(1, 3))
        texts += [self.fill(t) for t in reviews]
        intro = "The partnership works alongside other boards, each with its own plans."
        blocks = [Para(intro)] + [Para(t) for t in texts]
        near = [i for i, t in enumerate(blocks) if i and _ok(t.text, self.spec, near_miss=True)]
        blocks = [blocks[0]] + [blocks[i] for i in near]
        title = self.w.pick(("Other boards and partnerships", "Working with other boards"))
        return self.section("boards", title, blocks, near=range(1, len(blocks)))

    def plans_near_miss(self) -> Para:
        return Para(self.fill(self.w.pick(BULK["near_miss"]["plans"]), theme_a=self.theme_name()))

    def locality(self, name: str) -> Section:
        pop = self.rng.randint(6, 40) * 1000
        rows = [
            ["Locality profile", name],
            ["Children and young people aged 0 to 17", f"{pop:,}"],
            ["Electoral wards", str(self.rng.randint(3, 14))],
            ["GP practices", str(self.rng.randint(3, 15))],
            ["Share of the area's population", f"{self.rng.randint(8, 30)}%"],
        ]
        text = self.fill(self.w.pick((
            "The {loc} locality is mostly rural, with two market towns and a large number of "
            "small villages.",
            "The {loc} locality includes the main town centre and the estates around it.",
            "The {loc} locality has grown quickly, with new housing estates on its edge.",
            "The {loc} locality covers the coast and the river valley.",
        )), loc=name)  # fmt: skip
        if not _ok(text, self.spec):
            text = f"The {name} locality is one of the partnership's geographic areas."
        return self.section("locality", f"{name} locality", [Para(text), Grid(rows, (0.7, 0.3))],
                            new_page=self.rng.random() < 0.6)  # fmt: skip

    def data_appendix(self) -> Section:
        blocks: list = [Para("Population of the area by age band:")]
        rows = [["Age band", "Children", "Share"]]
        bands = ["0 to 4", "5 to 10", "11 to 15", "16 to 17"]
        shares = [0.28, 0.34, 0.27, 0.11]
        pop = self.rng.randint(35, 140) * 1000
        for band, share in zip(bands, shares, strict=True):
            rows.append([band, f"{round(pop * share):,}", f"{round(share * 100)}%"])
        blocks.append(Grid(rows, (0.4, 0.3, 0.3)))
        return self.section("appendix_data", "Appendix: population and figures", blocks)

    def attendance(self, group: str, members: list[str]) -> Section | None:
        if not _ok(group, self.spec):
            return None
        months = self.rng.sample(self.months, self.rng.randint(4, 6))
        months = [m for m in self.months if m in months]
        rows = [["Member", *months]]
        for member in members:
            rows.append([member] + [self.w.pick("YYYYYYDN") for _ in months])
        width = 0.4 / 1
        cols = (width,) + ((1 - width) / len(months),) * len(months)
        note = "Y: attended; D: sent a deputy; N: did not attend."
        return self.section("attendance", f"Appendix: attendance at the {low(group)}",
                            [Grid(rows, cols), Para(note, style="small")],
                            new_page=self.rng.random() < 0.4)  # fmt: skip

    def abbreviations(self) -> Section:
        rows = [list(r) for r in BULK["glossary_extra"] if _ok(" ".join(r), self.spec)]
        rows = sorted(self.rng.sample(rows, self.rng.randint(len(rows) * 2 // 3, len(rows))))
        return self.section("abbreviations", "Appendix: abbreviations and terms",
                            [Grid([["Term", "Meaning"], *rows], (0.3, 0.7))])  # fmt: skip

    def calendar(self) -> Section:
        rows = [["Month", "Meeting", "Main business"]]
        business = ["Terms of reference", "Risk log", "Forward plan", "Decision log",
                    "Subgroup highlight notes", "Membership", "Annual report sign-off",
                    "Information governance", "Business unit staffing"]  # fmt: skip
        for month in self.months:
            for meeting in self.rng.sample(["Executive group", "Subgroup chairs",
                                            "Business meeting"], 2):  # fmt: skip
                items = ", ".join(self.rng.sample(business, 2))
                rows.append([month, meeting, items])
        rows = [r for r in rows if _ok(" ".join(r), self.spec)]
        return self.section(
            "calendar",
            "Appendix: meeting calendar",
            [Grid(rows, (0.18, 0.3, 0.52))],
            new_page=self.rng.random() < 0.5,
        )


def long_sections(
    spec, context: dict, sections: list[Section], estimate, correction: int = 0
) -> list[Section]:
    """Insert bulk into a short report's sections until `estimate(sections)` reaches a page
    target drawn from the spec's seed (44-90, most around 55-65, like a real year), moved by
    `correction` pages when a first layout fell outside 40-100."""
    b = _Bulk(spec, context)
    target = round(b.rng.triangular(PAGE_TARGET[0], PAGE_TARGET[1], 54)) + correction
    b.target = target
    b.max_uses = 3 + max(0, target - 62) // 8  # the longest reports repeat a little more
    keys = [s.key for s in sections]

    def after(key: str, fallback: str) -> int:
        return keys.index(key) + 1 if key in keys else keys.index(fallback) + 1

    front = {after("foreword", "contents"): [b.about()],
             after("arrangements", "foreword"): [b.governance(), b.membership()],
             after("context", "arrangements"): [b.at_a_glance()]}  # fmt: skip
    first_neutral = next(i for i, k in enumerate(keys) if k in ("cdop", "lado", "fostering",
                         "plans"))  # fmt: skip
    plans_at = keys.index("plans")
    nxt = b.plans_near_miss()
    if _ok(nxt.text, spec, near_miss=True):
        sections[plans_at].blocks.append(nxt)
    appendix = [b.data_appendix(), b.abbreviations(), b.calendar()]
    middle: list[Section] = [b.other_boards()]

    def assemble() -> list[Section]:
        out: list[Section] = []
        for i, s in enumerate(sections):
            if i == first_neutral:
                out += middle
            out.append(s)
            out += front.get(i + 1, [])
        return out + appendix

    agencies = b.rng.sample(BULK["agencies"], len(BULK["agencies"]))
    groups = b.rng.sample(BULK["subgroups"], len(BULK["subgroups"]))
    localities = b.rng.sample(BULK["localities"], b.rng.randint(3, 6))
    paragraphs = 2 + (target - 40) // 15  # topics per agency chapter
    members = [r for key in ("la", "health", "police") for r in BULK["roles"][key][:3]]
    members = [r for r in members if _ok(r, spec)]
    pool = []
    for i in range(max(len(agencies), len(groups), len(localities))):
        if i < len(agencies):
            pool.append(("middle", lambda a=agencies[i]: b.agency_chapter(a, paragraphs)))
        if i < len(groups):
            pool.append(("middle", lambda g=groups[i]: b.subgroup_report(g)))
        if i < 4:
            pool.append(("middle", lambda n=i + 1: b.practice_example(n)))
        if i < len(localities):
            pool.append(("front_ctx", lambda loc=localities[i]: b.locality(loc)))
        if i < len(groups):
            pool.append(("appendix", lambda g=groups[i]: b.attendance(g["name"], members)))
    ctx_at = after("context", "arrangements")
    for where, make in pool:
        if estimate(assemble()) >= target:
            break
        made = make()
        if made is None:
            continue
        if where == "middle":
            middle.insert(b.rng.randint(0, len(middle)), made)
        elif where == "front_ctx":
            front[ctx_at].append(made)
        else:
            appendix.insert(len(appendix) - 2, made)
    extra = 0
    while estimate(assemble()) < target and extra < 100:  # very long reports: more chapters
        extra += 1
        made = b.agency_chapter(b.w.pick(BULK["agencies"]), paragraphs + 1, by_service=True)
        if made is not None:
            middle.append(made)
    return assemble()
