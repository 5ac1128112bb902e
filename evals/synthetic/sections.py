"""Report content as layout-neutral blocks, and the sections that frame every report.

Blocks carry `qids`: the audit questions whose evidence they hold. Themes A, B and C live in
theme_a.py and theme_bc.py; evals.synthetic.sample_reports assembles the sections.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.synthetic.text import BANKS, FILLER, SAFEGUARDING, Wording


@dataclass
class Para:
    """A paragraph; style is one of title, subtitle, h2, body, bullet, quote, small."""

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
class Break:
    """Start a new page here (within a one-column section)."""


@dataclass
class Section:
    """One report section; the layout starts it on a new page unless new_page is False."""

    key: str
    title: str
    blocks: list[Para | Grid | Break]
    new_page: bool = True
    in_toc: bool = True
    two_column: bool = False
    scanned: bool = False


def period_years(period: str) -> tuple[int, int]:
    """'2020-21' -> (2020, 2021)."""
    start = int(period[:4])
    return start, start + 1


def report_context(spec) -> dict[str, str | tuple[str, ...]]:
    """Names and period phrases that templates refer to (no years if the period is unstated)."""
    start, end = period_years(spec.period)
    prev, nxt = f"{start - 1}-{str(start)[2:]}", f"{end}-{str(end + 1)[2:]}"
    words = spec.partnership_name.replace("'s", "").replace(" and ", " ").split()
    stated = spec.period_stated
    return {
        "place": spec.place,
        "name": spec.partnership_name,
        "short": ("the Partnership", "".join(w[0] for w in words).upper(), "the partnership"),
        "la": f"{spec.place} Council",
        "health": f"NHS {spec.place} {'CCG' if start < 2022 else 'ICB'}",
        "police": spec.police_force,
        "year": (spec.period, "the year") if stated else ("the year",),
        "prev": (prev, "the previous year") if stated else ("the previous year", "the year before"),
        "next": (nxt, "the coming year") if stated else ("the next year", "the coming year"),
        "start": str(start),
        "end": str(end),
    }


def cover(spec, w: Wording) -> Section:
    """Cover page: name, title and (if stated) the period (C1)."""
    c1 = ("C1",) if spec.period_stated else ()
    kind = w.say("cover.kind")
    blocks = [
        Para(spec.partnership_name, style="title"),
        Para(f"{kind} {spec.period}" if spec.period_stated else kind, c1, "subtitle"),
    ]
    if spec.period_stated:
        blocks.append(Para(w.say("cover.period"), c1, "subtitle"))
        month = w.pick(("September", "October", "November", "December"))
        blocks.append(Para(f"Published {month} {period_years(spec.period)[1]}", style="small"))
    return Section("cover", "Cover", blocks, new_page=False, in_toc=False)


def foreword(spec, w: Wording, c1_here: bool) -> Section:
    """Foreword by the independent chair or scrutineer (C2m), or by the partners."""
    model = spec.scrutiny_model if spec.scrutiny != "not" else ()
    roles = {"independent_chair": "Independent Chair", "independent_scrutineer": "Independent "
             "Scrutineer"}  # fmt: skip
    role = next((r for slug, r in roles.items() if slug in model), None)
    title = f"Foreword from the {role}" if role else w.say("title.foreword")
    body = [w.say("foreword.together"), w.say("foreword.thanks")]
    if spec.period.startswith("2020"):
        body.append(w.say("foreword.pandemic"))
    blocks = [Para(w.say("foreword.open"))] + [Para(t) for t in w.shuffled(body)]
    if c1_here:
        blocks.append(Para(w.say("period"), ("C1",)))
    if role:
        blocks.append(Para(f"{w.person()}, {role}", ("C2m",), "small"))
    else:
        signed = f"{w.person()}, {spec.place} Council; {w.person()}, NHS; {w.person()}, "
        blocks.append(Para(signed + spec.police_force, style="small"))
    return Section("foreword", title, blocks)


def arrangements(spec, w: Wording, c1_here: bool) -> Section:
    """Who the partners are, the structure and the scrutiny model (C2, C2m)."""
    blocks: list[Para | Grid] = [Para(w.say("arrangements.basis"))]
    if c1_here:
        blocks.append(Para(w.say("period"), ("C1",)))
    freq = w.pick(("month", "six weeks", "quarter"))
    blocks.append(Para(w.say("arrangements.partners", freq=freq)))
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
            blocks.append(Para(w.say(f"model.{slug}", who=w.person()), ("C2", "C2m")))
    return Section("arrangements", w.say("title.arrangements"), blocks)


def local_context(spec, w: Wording) -> Section:
    """Population, themes named only as context (not priorities) and the data table (A10)."""
    pop = w.rng.randint(35, 140) * 1000
    blocks: list[Para | Grid] = [Para(w.say("context.population", pop=f"{pop:,}"))]
    notes = [w.say("context.deprivation")]
    notes += [w.say_text(SAFEGUARDING[s].context) for s in spec.context_only_themes]
    blocks.append(Para(" ".join(w.shuffled(notes))))
    cin = pop * w.rng.randint(280, 420) // 10000
    rows = [
        ("Children in need", cin),
        ("Children with a child protection plan", pop * w.rng.randint(30, 55) // 10000),
        ("Looked-after children", pop * w.rng.randint(55, 90) // 10000),
        ("Early help assessments", cin // 2),
    ]
    if spec.data_trend == "yes":
        rows.insert(0, ("Children aged 0 to 17", pop))
        rows += [
            ("Domestic abuse incidents with children present (police)", cin),
            ("Under-18 hospital attendances for self-harm (health)", pop // 400),
        ]
        ctx = report_context(spec)
        years = [ctx["prev"][0], ctx["year"][0]]
        if not spec.period_stated:
            years = ["Last year", "This year"]
        table = [["Measure", *years, "Trend"]]
        for label, now in rows:
            before = round(now * w.rng.uniform(0.8, 1.2))
            trend = "Up" if now > before * 1.03 else "Down" if now < before * 0.97 else "Similar"
            table.append([label, f"{before:,}", f"{now:,}", trend])
        blocks += [
            Para(w.say("context.data_intro"), ("A10",)),
            Grid(table, (0.49, 0.17, 0.17, 0.17), ("A10",)),
            Para(w.say("context.data_review"), ("A10",)),
        ]
    elif spec.data_trend == "partly":  # one year, council data only: no trend, not multi-agency
        table = [["Measure", "Number"]] + [[k, f"{v:,}"] for k, v in rows]
        blocks += [Para(w.say("context.la_figures"), ("A10",)), Grid(table, (0.7, 0.3), ("A10",))]
    else:  # a table, but not safeguarding data
        table = [
            ["About the area", ""],
            ["Schools", str(w.rng.randint(40, 180))],
            ["GP practices", str(w.rng.randint(15, 60))],
            ["Children aged 0 to 17", f"{pop:,}"],
        ]
        blocks.append(Grid(table, (0.6, 0.4)))
    return Section("context", w.say("title.context"), blocks)


def pandemic(w: Wording) -> Section:
    """The year in context (2020-21 reports); evidences no audit question."""
    blocks = [Para(w.say("pandemic.lockdown")), Para(w.say("pandemic.schools"))]
    return Section("pandemic", w.say("title.pandemic"), blocks, new_page=w.rng.random() < 0.8)


def neutral_sections(w: Wording, pad: bool) -> list[Section]:
    """Child deaths, allegations against staff and private fostering: common in real reports,
    evidence for no audit question (child-death counts sit near review counts on purpose).
    With pad=True all three are included, so short reports still reach 12 pages."""
    out = []
    if pad or w.rng.random() < 0.7:
        blocks = [
            Para(w.say("cdop.count", d=w.rng.randint(6, 24))),
            Para(w.say("cdop.factors", m=w.rng.randint(1, 5))),
        ]
        out.append(Section("cdop", w.say("title.cdop"), blocks, new_page=w.rng.random() < 0.8))
    if pad or w.rng.random() < 0.6:
        blocks = [
            Para(w.say("lado.count", r=w.rng.randint(90, 260), q=w.rng.randint(40, 85))),
            Para(w.say("lado.source")),
        ]
        out.append(Section("lado", w.say("title.lado"), blocks, new_page=w.rng.random() < 0.8))
    if pad or w.rng.random() < 0.5:
        blocks = [
            Para(w.say("fostering.count", k=w.rng.randint(3, 19))),
            Para(w.say("fostering.note")),
        ]
        new_page = w.rng.random() < 0.8
        out.append(Section("fostering", w.say("title.fostering"), blocks, new_page=new_page))
    return out


def plans(w: Wording, next_names: list[str]) -> Section:
    """Next year's plans; the themes named here are NOT this year's priorities."""
    blocks: list[Para | Grid] = [Para(w.say("plans.intro"))]
    blocks += [Para(n, style="bullet") for n in next_names]
    blocks.append(Para(w.say("plans.more")))
    return Section("plans", w.say("title.plans"), blocks)


def glossary(w: Wording) -> Section:
    """Terms used in the report."""
    table = Grid([["Term", "Meaning"]] + [list(g) for g in BANKS["glossary"]], (0.3, 0.7))
    return Section("glossary", w.say("title.glossary"), [table])


def add_filler(section: Section, w: Wording) -> None:
    """Insert 1-4 neutral paragraphs at the start or the end of a section."""
    bank = FILLER.get(section.key, ())
    for text in w.rng.sample(bank, min(len(bank), w.rng.randint(1, 4))):
        at = len(section.blocks) if section.key == "plans" else w.pick((0, len(section.blocks)))
        section.blocks.insert(at, Para(w.say_text(text)))
