"""Section builders for the synthetic sample reports: layout-neutral blocks tagged with the
audit question ids they evidence (see evals.sample_reports for the layout and the gold answers).
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.report_text import (
    FILLER,
    FIRST_NAMES,
    GLOSSARY,
    PRACTICE,
    SAFEGUARDING,
    SURNAMES,
    Theme,
    Wording,
    num_words,
)

# ---------------------------------------------------------------------------------------------
# Report content as layout-neutral blocks. qids name the audit questions a block evidences.


@dataclass
class Para:
    """A paragraph; style is one of title, subtitle, h1, h2, body, bullet, quote, small."""

    text: str
    qids: tuple[str, ...] = ()
    style: str = "body"


@dataclass
class Grid:
    """A table: first row is the header; widths are fractions of the frame width."""

    rows: list[list[str]]
    widths: tuple[float, ...]
    qids: tuple[str, ...] = ()
    total_row: bool = False


@dataclass
class Section:
    """One report section; the layout starts it on a new page unless new_page is False."""

    key: str
    title: str
    blocks: list[Para | Grid]
    new_page: bool = True
    in_toc: bool = True
    two_column: bool = False
    scanned: bool = False


def period_years(period: str) -> tuple[int, int]:
    """'2020-21' -> (2020, 2021)."""
    start = int(period[:4])
    return start, start + 1


def report_context(spec) -> dict[str, str | tuple[str, ...]]:
    """Names and period phrases that templates refer to."""
    start, end = period_years(spec.period)
    prev = f"{start - 1}-{str(start)[2:]}"
    nxt = f"{end}-{str(end + 1)[2:]}"
    words = spec.partnership_name.replace("'s", "").replace(" and ", " ").split()
    stated = spec.period_stated
    return {
        "place": spec.place,
        "name": spec.partnership_name,
        "short": ("the Partnership", "".join(w[0] for w in words).upper(), "the partnership"),
        "la": f"{spec.place} Council",
        "health": f"NHS {spec.place} {'CCG' if start < 2022 else 'ICB'}",
        "police": f"{spec.police_force}",
        "year": (spec.period, "this year", "the year") if stated else ("this year", "the year"),
        "prev": (prev, "the previous year") if stated else ("last year", "the previous year"),
        "next": (nxt, "the coming year") if stated else ("next year", "the coming year"),
        "start": str(start),
        "end": str(end),
    }


def theme_of(slug: str) -> Theme:
    """The wording bank entry for a safeguarding or practice theme slug."""
    return SAFEGUARDING.get(slug) or PRACTICE[slug]


def person(w: Wording) -> str:
    """An invented name."""
    return f"{w.pick(FIRST_NAMES)} {w.pick(SURNAMES)}"


def cover(spec, w: Wording) -> Section:
    """Cover page: name, title, period."""
    start, end = period_years(spec.period)
    c1 = ("C1",) if spec.period_stated else ()
    kind = w.pick(("Annual Report", "Annual Report", "Yearly Report", "Annual Safeguarding Report"))
    title = f"{kind} {spec.period}" if spec.period_stated else kind
    blocks = [Para(spec.partnership_name, style="title"), Para(title, c1, "subtitle")]
    if spec.period_stated:
        blocks.append(
            Para(
                w.say(
                    (
                        "Covering 1 April {start} to 31 March {end}",
                        "For the period 1 April {start} - 31 March {end}",
                    )
                ),
                c1,
                "subtitle",
            )
        )
        month = w.pick(("September", "October", "November", "December"))
        blocks.append(Para(f"Published {month} {end}", style="small"))
    return Section("cover", "Cover", blocks, new_page=False, in_toc=False)


def low(text: str) -> str:
    """Lower-case the first character, for a name used mid-sentence."""
    return text[:1].lower() + text[1:]


def plural(n: int, one: str, many: str, w: Wording) -> str:
    """'one rapid review' / '3 rapid reviews'."""
    return f"{num_words(n, w.rng)} {one if n == 1 else many}"


def foreword(spec, w: Wording, c1_here: bool) -> Section:
    """Foreword by the independent chair/scrutineer, or by the partners."""
    model = spec.scrutiny_model if spec.scrutiny != "not" else ()
    role = next(
        (
            r
            for s, r in (
                ("independent_chair", "Independent Chair"),
                ("independent_scrutineer", "Independent Scrutineer"),
            )
            if s in model
        ),
        None,
    )
    title = f"Foreword from the {role}" if role else w.pick(("Foreword", "Introduction"))
    body = [
        w.say(
            (
                "The partnership brings together {la}, {health} and {police}, with schools, "
                "health providers and the voluntary sector.",
                "Keeping {children} safe depends on "
                "agencies working closely together, and this report shows how {partners} did "
                "that.",
            )
        ),
        w.say(
            (
                "I would like to thank {practitioners} for their commitment in a difficult year.",
                "Our thanks go to everyone who works with {children} in {place}.",
                "None of this would be possible without the dedication of {practitioners}.",
            )
        ),
    ]
    if spec.period.startswith("2020"):
        body.append(
            w.say(
                (
                    "The pandemic changed how every agency worked. {practitioners} moved "
                    "meetings online and kept home visits for the children most at risk.",
                    "The year was shaped by COVID-19. Schools closed to most pupils and "
                    "agencies found new ways to stay in touch with {families}.",
                )
            )
        )
    blocks = [
        Para(
            w.say(
                (
                    "Welcome to the report of the {name} for {year}.",
                    "This report sets out what {partners} did over {year} to keep {children} safe.",
                )
            )
        )
    ]
    blocks += [Para(t) for t in w.shuffled(body)]
    if c1_here:
        blocks.append(Para(w.say(PERIOD_STATEMENTS), ("C1",)))
    if role:
        blocks.append(Para(f"{person(w)}, {role}", ("C2m",), "small"))
    else:
        blocks.append(
            Para(
                f"{person(w)}, {spec.place} Council; {person(w)}, NHS; {person(w)}, "
                f"{spec.police_force}",
                style="small",
            )
        )
    return Section("foreword", title, blocks)


PERIOD_STATEMENTS = (
    "This report covers the period from 1 April {start} to 31 March {end}.",
    "The report looks back over the twelve months from 1 April {start} to 31 March {end}.",
    "It describes the work of the partnership between April {start} and March {end}.",
)
MODEL_TEXT = {
    "independent_chair": "An independent chair, {who}, leads the executive group and holds "
    "the partners to account.",
    "independent_scrutineer": "{who} is our independent scrutineer and reports directly to the "
    "three partners.",
    "scrutiny_panel_peer_review": "A scrutiny panel with two lay members tests our work, and we "
    "took part in a peer review with another partnership.",
    "reciprocal_scrutiny": "Under a reciprocal arrangement, a neighbouring partnership scrutinises "
    "our arrangements and we scrutinise theirs.",
}


def arrangements(spec, w: Wording, c1_here: bool) -> Section:
    """Who the partners are, the structure, the scrutiny model."""
    blocks = [
        Para(
            w.say(
                (
                    "{name} was set up under the Children Act 2004, as amended in 2017, "
                    "and Working Together to Safeguard Children 2018.",
                    "The three "
                    "safeguarding partners set up {short} in 2019 under Working Together "
                    "2018.",
                )
            )
        )
    ]
    if c1_here:
        blocks.append(Para(w.say(PERIOD_STATEMENTS), ("C1",)))
    blocks.append(
        Para(
            w.say(
                (
                    "The safeguarding partners are {la}, {health} and {police}. They "
                    "meet as an executive group every {freq}.",
                    "{la}, {health} and "
                    "{police} share the duty to safeguard {children} and meet every "
                    "{freq} as the executive.",
                ),
                freq=w.pick(("month", "six weeks", "quarter")),
            )
        )
    )
    subgroups = [
        ["Subgroup", "Chaired by"],
        ["Learning and review", spec.police_force],
        ["Quality assurance and performance", f"NHS {spec.place}"],
        ["Training and workforce", f"{spec.place} Council"],
    ]
    if spec.schools != "not":
        subgroups.append(["Education safeguarding", "A secondary headteacher"])
    blocks.append(Grid(subgroups, (0.55, 0.45)))
    if spec.scrutiny != "not":
        for slug in w.shuffled(list(spec.scrutiny_model)):
            blocks.append(Para(w.fill(MODEL_TEXT[slug], who=person(w)), ("C2", "C2m")))
    return Section(
        "arrangements",
        w.pick(
            ("Our safeguarding arrangements", "About the partnership", "How the partnership works")
        ),
        blocks,
    )


def local_context(spec, w: Wording) -> Section:
    """Population, context-only themes (not priorities) and the data table (A10)."""
    pop = w.rng.randint(35, 140) * 1000
    blocks = [
        Para(
            w.say(
                (
                    "{place} is home to about {pop} children and young people aged 0 to "
                    "17, around {pct}% of the population.",
                    "Around {pop} children live in {place}.",
                ),
                pop=f"{pop:,}",
            )
        )
    ]
    notes = [
        w.say(
            (
                "Some neighbourhoods are among the most deprived tenth in England.",
                "Child poverty is above the national average in the towns and lower in "
                "rural areas.",
            )
        )
    ] + [w.fill(SAFEGUARDING[s].context) for s in spec.context_only_themes]
    blocks.append(Para(" ".join(w.shuffled(notes))))
    cp, lac = pop * w.rng.randint(30, 55) // 10000, pop * w.rng.randint(55, 90) // 10000
    cin = pop * w.rng.randint(280, 420) // 10000
    rows = [
        ("Children in need", cin),
        ("Children with a child protection plan", cp),
        ("Looked-after children", lac),
        ("Early help assessments", cin // 2),
    ]
    if spec.data_trend == "yes":
        rows += [
            ("Domestic abuse incidents with children present (police)", cin),
            ("Under-18 hospital attendances for self-harm (health)", pop // 400),
        ]
        ctx = report_context(spec)
        head = (
            [ctx["prev"][0], ctx["year"][0]] if spec.period_stated else ["Last year", "This year"]
        )
        table = [["Measure", *head, "Trend"]]
        for label, now in rows:
            before = round(now * w.rng.uniform(0.8, 1.2))
            trend = "Up" if now > before * 1.03 else "Down" if now < before * 0.97 else "Similar"
            table.append([label, f"{before:,}", f"{now:,}", trend])
        blocks.append(
            Para(
                w.say(
                    (
                        "The table brings together data from all three partners for "
                        "the last two years.",
                        "Our multi-agency dataset shows the "
                        "main trends across police, health and children's services.",
                    )
                ),
                ("A10",),
            )
        )
        blocks.append(Grid(table, (0.49, 0.17, 0.17, 0.17), ("A10",)))
        blocks.append(
            Para(
                w.say(
                    (
                        "Partners reviewed these trends together at each executive meeting.",
                        "The quality assurance subgroup looks at this data "
                        "every quarter and asks agencies to explain changes.",
                    )
                ),
                ("A10",),
            )
        )
    elif spec.data_trend == "partly":
        blocks.append(
            Para(
                w.say(
                    (
                        "Children's social care figures at the end of March:",
                        "Key figures from children's services at the year end:",
                    )
                ),
                ("A10",),
            )
        )
        blocks.append(
            Grid([["Measure", "Number"]] + [[k, f"{v:,}"] for k, v in rows], (0.7, 0.3), ("A10",))
        )
    else:
        blocks.append(
            Grid(
                [
                    ["About the area", ""],
                    ["Schools", str(w.rng.randint(40, 180))],
                    ["GP practices", str(w.rng.randint(15, 60))],
                    ["Children aged 0 to 17", f"{pop:,}"],
                ],
                (0.6, 0.4),
            )
        )
    return Section(
        "context", w.pick(("Our local area", "Local context", f"{spec.place} at a glance")), blocks
    )


def plans(spec, w: Wording, next_names: list[str]) -> Section:
    """Next year's plans; themes named here are not this year's priorities."""
    blocks: list[Para | Grid] = [
        Para(w.say(("In {next} we will focus on:", "Our priorities for {next} are:")))
    ]
    blocks += [Para(n, style="bullet") for n in next_names]
    blocks.append(
        Para(
            w.say(
                (
                    "We will also publish a shorter version of this report for {families}.",
                    "We will refresh our multi-agency dataset and "
                    "our learning and improvement framework.",
                )
            )
        )
    )
    title = w.pick(("Looking ahead", "Our plans for " + w.fill("{next}"), "Next steps"))
    return Section("plans", title, blocks)


def glossary(w: Wording) -> Section:
    """Terms used in the report (padding that real reports carry too)."""
    return Section(
        "glossary",
        w.pick(("Glossary", "Terms we use")),
        [Grid([["Term", "Meaning"]] + [list(g) for g in GLOSSARY], (0.3, 0.7))],
    )


def pandemic(w: Wording) -> Section:
    """The year in context (2020-21 reports all carry one); evidences no audit question."""
    return Section(
        "pandemic",
        w.pick(("Responding to COVID-19", "A year like no other")),
        [
            Para(
                w.say(
                    (
                        "When the first lockdown began, partners set up a weekly call to agree how to "
                        "keep in touch with the children they were most worried about.",
                        "From "
                        "the first lockdown agencies worked from home where they could, and risk-assessed "
                        "which visits had to take place in person.",
                    )
                )
            ),
            Para(
                w.say(
                    (
                        "Schools stayed open for vulnerable children, although attendance was low at "
                        "first.",
                        "Contacts to the front door fell sharply during lockdown and rose "
                        "again when schools reopened.",
                    )
                )
            ),
        ],
        new_page=w.rng.random() < 0.5,
    )


def neutral_sections(spec, w: Wording, pad: bool) -> list[Section]:
    """Child deaths, allegations against staff and private fostering: common in real reports,
    evidence for no audit question (the child-death numbers sit near review counts on purpose).
    With pad=True all three are included, so short reports still reach 12 pages."""
    out = []
    if pad or w.rng.random() < 0.7:
        out.append(
            Section(
                "cdop",
                w.pick(("Child death reviews", "Learning from child deaths")),
                [
                    Para(
                        w.say(
                            (
                                "The child death overview panel, shared with a neighbouring area, reviewed "
                                "{d} deaths of children from {place} during {year}.",
                                "{d} child deaths "
                                "were reviewed by the joint child death overview panel in {year}.",
                            ),
                            d=w.rng.randint(6, 24),
                        )
                    ),
                    Para(
                        w.say(
                            (
                                "Modifiable factors were found in {m} of these deaths, most often unsafe "
                                "sleeping arrangements or smoking in pregnancy.",
                                "In {m} cases the panel "
                                "found factors that might be changed to prevent future deaths.",
                            ),
                            m=w.rng.randint(1, 5),
                        )
                    ),
                ],
                new_page=w.rng.random() < 0.7,
            )
        )
    if pad or w.rng.random() < 0.6:
        out.append(
            Section(
                "lado",
                w.pick(
                    (
                        "Allegations against people who work with children",
                        "The designated officer (LADO)",
                    )
                ),
                [
                    Para(
                        w.say(
                            (
                                "The designated officer received {r} referrals about adults who work with "
                                "children, compared with {q} the year before.",
                                "There were {r} "
                                "referrals to the designated officer this year; {q} met the threshold "
                                "for a strategy meeting.",
                            ),
                            r=w.rng.randint(90, 260),
                            q=w.rng.randint(40, 85),
                        )
                    ),
                    Para(
                        w.say(
                            (
                                "Most referrals came from schools and early years settings, with fewer "
                                "during lockdown.",
                                "Referrals from sports clubs and faith groups remain low.",
                            )
                        )
                    ),
                ],
                new_page=w.rng.random() < 0.6,
            )
        )
    if pad or w.rng.random() < 0.5:
        out.append(
            Section(
                "fostering",
                w.pick(("Private fostering", "Children in private fostering arrangements")),
                [
                    Para(
                        w.say(
                            (
                                "{k} private fostering arrangements were notified to {la} during {year}.",
                                "At the year end {k} children were known to be privately fostered.",
                            ),
                            k=w.rng.randint(3, 19),
                        )
                    ),
                    Para(
                        w.say(
                            (
                                "Awareness campaigns targeted language schools and faith settings.",
                                "Numbers remain low, and partners think some arrangements go "
                                "unreported.",
                            )
                        )
                    ),
                ],
                new_page=w.rng.random() < 0.5,
            )
        )
    return out


def add_filler(section: Section, w: Wording) -> None:
    """Insert neutral paragraphs near the start or at the end of a section."""
    bank = FILLER.get(section.key, ())
    for text in w.rng.sample(bank, min(len(bank), w.rng.randint(1, 4))):
        at = w.pick((0, len(section.blocks))) if section.key != "plans" else len(section.blocks)
        section.blocks.insert(at, Para(w.say((text,))))
