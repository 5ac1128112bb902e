"""Themes B and C of the sample reports: reviews and training (B1-B8); scrutiny and
effectiveness (C2, A9), voice (C6), relevant agencies and schools (C3, C4), custody (C7) and
budget (C5)."""

from __future__ import annotations

import random

from evals.synthetic.sections import Grid, Para, Section
from evals.synthetic.text import BANKS, Wording, cap, low


def learning(spec, w: Wording) -> Section:
    """Review counts (B1a, B1b), actions on local (B2) and national (B3, B3n) reviews,
    improvements (B4), dissemination (B5) and checks that learning was embedded (B6)."""
    lcspr, rapid = spec.n_lcspr, spec.n_rapid
    notif = rapid + w.rng.randint(0, 2)
    counts = ("B1a", "B1b")
    blocks: list[Para | Grid]
    if w.rng.random() < 0.4:  # counts in a table
        table = [
            ["Type of review", "Number"],
            ["Serious incident notifications", str(notif)],
            ["Rapid reviews", str(rapid)],
            ["Local child safeguarding practice reviews commissioned", str(lcspr)],
        ]
        blocks = [Para(w.say("reviews.table_intro"), counts), Grid(table, (0.75, 0.25), counts)]
    else:
        lc_long = w.plural(
            lcspr,
            "local child safeguarding practice review (LCSPR) was",
            "local child safeguarding practice reviews (LCSPRs) were",
        )
        lc_short = w.plural(lcspr, "LCSPR", "LCSPRs")
        lc = w.pick((f"{lc_long} commissioned", f"the partners commissioned {lc_short}"))
        notif_text = w.plural(
            notif, "serious incident notification", "serious incident notifications"
        )
        rr = w.plural(rapid, "rapid review", "rapid reviews")
        text = w.say("reviews.counts", notif=notif_text, rr=rr, lc=cap(lc))
        if spec.prior_year_reviews_mentioned:  # a second, wrong pair of numbers nearby
            prior = w.say("reviews.prior", r=rapid + w.rng.randint(1, 3), l=lcspr + 1)
            text = f"{text} {prior}"
        blocks = [Para(text, counts)]
    case = w.pick(w.bank("pseudonyms"))
    origin = "" if lcspr + rapid else ", which was published the year before,"
    if spec.local_review_actions == "evidenced":
        done = w.rng.randint(8, 14)
        m = done + w.rng.randint(0, 2)
        text = w.say("reviews.local_evidenced", case=case, origin=origin, m=m, d=done)
        blocks.append(Para(text, ("B2",)))
    elif spec.local_review_actions == "partly":  # "will do" or "done" without detail
        key = "reviews.local_planned" if spec.actions_phrased_as_planned else "reviews.local_done"
        blocks.append(Para(w.say(key, case=case, origin=origin), ("B2",)))
    for slug in spec.national_reviews:
        title = BANKS["national_reviews"][slug]
        if spec.national_review_actions == "evidenced":
            act = w.pick(BANKS["templates"]["reviews.national_act"])
            text = w.say("reviews.national_evidenced", t=title, act=act)
        else:
            text = w.say("reviews.national_noted", t=title)
        blocks.append(Para(text, ("B3", "B3n")))
    if spec.review_improvements == "evidenced":
        a, b = w.metric_change(True)
        blocks.append(Para(w.say("reviews.improved", a=a, b=b), ("B4",)))
    elif spec.review_improvements == "partly":
        blocks.append(Para(w.say("reviews.improved_claim"), ("B4",)))
    if spec.dissemination:
        names = [w.pick(BANKS["dissemination"][d]) for d in w.shuffled(list(spec.dissemination))]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        blocks.append(Para(w.say("reviews.dissemination", x=listed), ("B5",)))
    if spec.embedding_checked == "yes":
        a = w.rng.randint(35, 60)
        blocks.append(Para(w.say("reviews.embedded", a=a, b=a + w.rng.randint(10, 30)), ("B6",)))
    else:
        # drawn from a copy of the RNG, so the rest of the report reads as it did before
        side = Wording(random.Random(), w.context)
        side.rng.setstate(w.rng.getstate())
        side.rng.random()  # not the next draw of the report's own RNG
        if spec.embedding_checked == "partly":  # some of the learning tested only
            blocks.append(Para(side.say("reviews.embedded_partly", case=case), ("B6",)))
            if w.pick((0, 1)):  # the draws the earlier wording made here (it named {next})
                w.pick(w.context["next"])
        elif side.rng.random() < 0.5:  # a near miss: sharing confirmed, or a check only planned
            blocks.append(Para(side.say("reviews.embedded_planned")))
    return Section("learning", w.say("title.learning"), blocks)


def training(spec, w: Wording) -> Section:
    """Training section (B7) with volumes (B7n) and evaluation up to the ladder level (B8)."""
    level, total = spec.training_eval_level, spec.training_attendances
    courses = w.rng.sample(BANKS["courses"], w.rng.randint(5, 8))
    weights = [w.rng.randint(2, 10) for _ in courses]
    counts = [total * x // sum(weights) for x in weights]
    counts[0] += total - sum(counts)
    rows = [["Course", "Sessions", "Attendees"]]
    for course, n in zip(courses, counts, strict=True):
        rows.append([course, str(max(1, n // w.rng.randint(12, 25))), f"{n:,}"])
    rows.append(["Total", str(sum(int(r[1]) for r in rows[1:])), f"{total:,}"])
    table_q = ("B7", "B7n") + (("B8",) if level == 1 else ())
    blocks: list[Para | Grid] = [
        Para(w.say("training.intro"), ("B7",)),
        Grid(rows, (0.52, 0.22, 0.26), table_q, total_row=True),
    ]
    if w.rng.random() < 0.5:
        text = w.say("training.total", t=f"{total:,}", c=len(courses))
        blocks.append(Para(text, ("B7", "B7n")))
    for step in range(2, level + 1):
        values = {"b": w.rng.randint(78, 97), "a": w.rng.randint(40, 70)}
        values |= {"x": w.rng.randint(4, 6), "y": w.rng.randint(7, 9)}
        qids = ("B8",) if step == level else ()
        blocks.append(Para(w.say(f"training.level{step}", **values), qids))
    if level <= 3 and w.rng.random() < 0.6:  # practice change only as a plan
        blocks.append(Para(w.say("training.later")))
    return Section("training", w.say("title.training"), blocks)


def scrutiny(spec, w: Wording) -> Section | None:
    """Independent scrutiny (C2) and the judgement of effectiveness (A9)."""
    blocks: list[Para | Grid] = []
    who = {
        "independent_chair": "the independent chair",
        "independent_scrutineer": "the independent scrutineer",
        "scrutiny_panel_peer_review": "the scrutiny panel",
        "reciprocal_scrutiny": "the neighbouring partnership",
    }
    if spec.scrutiny != "not":
        lead = who.get(spec.scrutiny_model[0], "the scrutineer")
        blocks.append(Para(w.say("scrutiny.activity", who=lead), ("C2",)))
        if spec.scrutiny == "evidenced":
            a, b = w.metric_change(True)
            blocks.append(Para(w.say("scrutiny.findings", a=a, b=b, who=lead), ("C2",)))
    if spec.effectiveness == "evidenced":
        text = w.say("effectiveness.evidenced", a=w.rng.randint(60, 80), b=w.rng.randint(80, 95))
        blocks += [Para(w.say("title.effectiveness"), ("A9",), "h2"), Para(text, ("A9",))]
    elif spec.effectiveness == "partly":
        blocks.append(Para(w.say("effectiveness.claim"), ("A9",)))
    if not blocks:
        return None
    return Section("scrutiny", w.say("title.scrutiny"), blocks)


def voice(spec, w: Wording) -> Section | None:
    """C6: feedback from children and families sought, and what changed."""
    if spec.feedback == "not":
        return None
    blocks: list[Para | Grid] = [Para(w.say("voice.channels"), ("C6",))]
    if spec.feedback == "evidenced":
        table = [
            ["You said", "We did"],
            ["Meetings use words we do not understand",
             "Plans are now written in plain language and shared before the meeting"],
            ["We do not know who to talk to",
             "Every school now displays the names of its safeguarding staff"],
        ]  # fmt: skip
        blocks += [Para(w.say("voice.survey"), ("C6",)), Grid(table, (0.45, 0.55), ("C6",))]
    else:
        blocks.append(Para(w.say("voice.partly"), ("C6",)))
    return Section("voice", w.say("title.voice"), blocks)


def agencies(spec, w: Wording) -> Section | None:
    """C3 relevant agencies with their contribution; C4 schools, colleges and early years."""
    blocks: list[Para | Grid] = []
    named = w.rng.sample(BANKS["relevant_agencies"], w.rng.randint(4, 7))
    if spec.schools != "not":
        named = list(BANKS["education_agencies"]) + named
    if spec.relevant_agencies == "yes":
        table = [["Relevant agency", "Contribution"]] + [[a, cap(c)] for a, c in named]
        blocks += [Para(w.say("agencies.intro"), ("C3",)), Grid(table, (0.4, 0.6), ("C3",))]
    elif spec.relevant_agencies == "partly":  # names only
        listed = ", ".join(low(a) for a, _ in named[:-1]) + " and " + low(named[-1][0])
        blocks.append(Para(w.say("agencies.list", x=listed), ("C3",)))
    if spec.schools == "evidenced":
        m = w.rng.randint(60, 180)
        k = m - w.rng.randint(1, 8)
        p = 100 * k // m
        text = w.say("agencies.schools_evidenced", k=k, m=m, p=p, q=p - w.rng.randint(4, 15))
        blocks.append(Para(text, ("C4",)))
    elif spec.schools == "partly":
        blocks.append(Para(w.say("agencies.schools_partly"), ("C4",)))
    if not blocks:
        return None
    return Section("agencies", w.say("title.agencies"), blocks)


def custody(spec, w: Wording) -> Section | None:
    """C7: youth custody and children's homes."""
    if not spec.youth_custody:
        return None
    blocks = [
        Para(w.say("custody.homes", h=w.rng.randint(6, 30)), ("C7",)),
        Para(w.say("custody.custody", c=w.rng.randint(1, 9)), ("C7",)),
    ]
    return Section("custody", w.say("title.custody"), blocks, new_page=w.rng.random() < 0.7)


def budget(spec, w: Wording) -> Section | None:
    """C5: the budget (partly) and each partner's contribution (yes)."""
    if spec.budget == "no":
        return None
    total = w.rng.randint(180, 460) * 1000
    blocks: list[Para | Grid] = [Para(w.say("budget.total", t=f"{total:,}"), ("C5",))]
    if spec.budget == "yes":
        shares = {f"{spec.place} Council": 0.48, f"NHS {spec.place}": 0.27,
                  spec.police_force: 0.2}  # fmt: skip
        rows = [["Partner", "Contribution (£)"]]
        rows += [[partner, f"{round(total * share):,}"] for partner, share in shares.items()]
        rest = total - sum(round(total * x) for x in shares.values())
        rows += [["Probation and other income", f"{rest:,}"], ["Total", f"{total:,}"]]
        blocks.append(Grid(rows, (0.6, 0.4), ("C5",), total_row=True))
    return Section("budget", w.say("title.budget"), blocks, new_page=w.rng.random() < 0.7)
