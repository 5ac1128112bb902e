"""Themes B and C of the sample reports: reviews and training (B1-B8), scrutiny,
effectiveness, voice, relevant agencies, custody and budget (A9, C2-C7)."""

from __future__ import annotations

from evals.report_sections import Grid, Para, Section, low, plural
from evals.report_text import (
    COURSES,
    DISSEMINATION,
    EDUCATION_AGENCIES,
    NATIONAL_REVIEWS,
    PSEUDONYMS,
    RELEVANT_AGENCIES,
    Wording,
    cap,
)


def learning(spec, w: Wording) -> Section:
    """Reviews (B1a, B1b), actions on local (B2) and national (B3) reviews, improvements (B4),
    dissemination (B5) and checks that learning was embedded (B6)."""
    lcspr, rapid = spec.n_lcspr, spec.n_rapid
    notif = rapid + w.rng.randint(0, 2)
    counts = ("B1a", "B1b")
    if w.rng.random() < 0.4:  # counts in a table
        blocks: list[Para | Grid] = [
            Para(
                w.say(("The table shows the reviews carried out in {year}.", "Reviews in {year}:")),
                counts,
            ),
            Grid(
                [
                    ["Type of review", "Number"],
                    ["Serious incident notifications", str(notif)],
                    ["Rapid reviews", str(rapid)],
                    ["Local child safeguarding practice reviews commissioned", str(lcspr)],
                ],
                (0.75, 0.25),
                counts,
            ),
        ]
    else:
        lc_long = plural(
            lcspr,
            "local child safeguarding practice review (LCSPR) was",
            "local child safeguarding practice reviews (LCSPRs) were",
            w,
        )
        lc = w.pick(
            (
                f"{lc_long} commissioned",
                f"the partners commissioned {plural(lcspr, 'LCSPR', 'LCSPRs', w)}",
            )
        )
        text = w.say(
            (
                "In {year} {short} received {notif} and held {rr}. {lc}.",
                "{short} held {rr} in {year}, after {notif}. {lc}.",
            ),
            notif=plural(
                notif, "serious incident notification", "serious incident notifications", w
            ),
            rr=plural(rapid, "rapid review", "rapid reviews", w),
            lc=cap(lc),
        )
        if spec.prior_year_reviews_mentioned:  # a second, wrong pair of numbers nearby
            text += w.fill(
                " In {prev} there had been {r} rapid reviews and {l} LCSPRs.",
                r=rapid + w.rng.randint(1, 3),
                l=lcspr + w.rng.randint(1, 2),
            )
        blocks = [Para(text, counts)]
    case = w.pick(PSEUDONYMS)
    origin = "" if lcspr + rapid else w.fill(", published in {prev},")
    if spec.local_review_actions == "evidenced":
        done = w.rng.randint(8, 14)
        blocks.append(
            Para(
                w.say(
                    (
                        "The review of {case}{origin} made {m} recommendations. Partners have completed {d} "
                        "of the {m} actions: the bruising protocol was rewritten, GP practices now flag "
                        "children on plans, and a follow-up audit of {n} cases found the new protocol used "
                        "in {pct}% of them.",
                        "Following the review of {case}{origin}, {d} of {m} agreed actions are complete. "
                        "Health and police now hold joint strategy discussions within one working day, and "
                        "the learning and review subgroup checked this in {n} cases.",
                    ),
                    case=case,
                    origin=origin,
                    m=done + w.rng.randint(0, 2),
                    d=done,
                ),
                ("B2",),
            )
        )
    elif spec.local_review_actions == "partly":
        blocks.append(
            Para(
                w.say(
                    (
                        "The action plan for {case}{origin} says that partners will update the bruising "
                        "protocol, will share learning with GP practices and will review the threshold "
                        "guidance.",
                        "Following the review of {case}{origin}, partners plan to update "
                        "procedures and to brief staff on the learning.",
                    )
                    if spec.actions_phrased_as_planned
                    else (
                        "Actions from the review of {case}{origin} were completed, including changes "
                        "to the bruising protocol.",
                        "Partners took action on the learning from "
                        "{case}{origin} and the action plan has been closed.",
                    ),
                    case=case,
                    origin=origin,
                ),
                ("B2",),
            )
        )
    blocks += national_reviews(spec, w)
    if spec.review_improvements == "evidenced":
        a, b = w.metric_change(True)
        blocks.append(
            Para(
                w.say(
                    (
                        "Learning from reviews has changed practice: the use of the safer sleep assessment "
                        "at health visitor contacts rose from {a}% to {b}%.",
                        "Since the learning was "
                        "shared, strategy discussions that included health rose from {a}% to {b}%.",
                    ),
                    a=a,
                    b=b,
                ),
                ("B4",),
            )
        )
    elif spec.review_improvements == "partly":
        blocks.append(
            Para(
                w.say(
                    (
                        "{practitioners} tell us they are more aware of the learning from reviews.",
                        "We think the learning has improved "
                        "practice, although we have not yet measured this.",
                    )
                ),
                ("B4",),
            )
        )
    if spec.dissemination:
        names = [w.pick(DISSEMINATION[d]) for d in w.shuffled(list(spec.dissemination))]
        listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        blocks.append(
            Para(
                w.say(
                    (
                        "Learning was shared through {x}.",
                        "We spread the learning using {x}.",
                        "{practitioners} heard about the learning through {x}.",
                    ),
                    x=listed,
                ),
                ("B5",),
            )
        )
    blocks += _embedding(spec, w)
    return Section(
        "learning",
        w.pick(
            (
                "Learning from reviews",
                "Learning from local and national reviews",
                "Child safeguarding practice reviews",
            )
        ),
        blocks,
    )


def national_reviews(spec, w: Wording) -> list[Para]:
    """B3 and B3n: national reviews named, with actions (evidenced) or without (partly)."""
    out = []
    for slug in spec.national_reviews:
        title = NATIONAL_REVIEWS[slug][0]
        if spec.national_review_actions == "evidenced":
            text = w.say(
                (
                    "Partners considered {t} and {act}; a dip-sample of {n} cases "
                    "showed the changes were in use.",
                    "In response to {t}, {partners} "
                    "{act} and then checked the change through a multi-agency audit.",
                ),
                t=title,
                act=w.pick(
                    (
                        "rewrote the local pathway",
                        "updated the multi-agency procedures",
                        "added the learning to every training course",
                    )
                ),
            )
        else:
            text = w.say(
                ("The executive group considered {t}.", "Partners read and discussed {t}."), t=title
            )
        out.append(Para(text, ("B3", "B3n")))
    return out


def _embedding(spec, w: Wording) -> list[Para]:
    """B6: was embedding checked (re-audit, survey, case sampling)?"""
    if spec.embedding_checked == "yes":
        a = w.rng.randint(35, 60)
        return [
            Para(
                w.say(
                    (
                        "To check the learning had taken hold, we re-audited {n} cases six "
                        "months later: {b}% now showed the expected practice, up from {a}%.",
                        "A repeat audit and a practitioner survey tested whether the "
                        "learning had been embedded; {b}% of respondents could describe it, "
                        "and the re-audit found the new approach in {a}% of cases.",
                    ),
                    a=a,
                    b=a + w.rng.randint(10, 30),
                ),
                ("B6",),
            )
        ]
    if spec.embedding_checked == "partly":
        return [
            Para(
                w.say(
                    (
                        "Partners confirmed in their single-agency reports that the "
                        "learning had been shared with staff.",
                        "A re-audit to test whether "
                        "the learning is embedded is planned for {next}.",
                    )
                ),
                ("B6",),
            )
        ]
    return []


def training(spec, w: Wording) -> Section:
    """B7 training section with volumes (B7n) and evaluation up to the ladder level (B8)."""
    level = spec.training_eval_level
    courses = w.rng.sample(COURSES, w.rng.randint(5, 8))
    weights = [w.rng.randint(2, 10) for _ in courses]
    counts = [spec.training_attendances * x // sum(weights) for x in weights]
    counts[0] += spec.training_attendances - sum(counts)
    rows = [["Course", "Sessions", "Attendees"]]
    rows += [
        [c, str(max(1, n // w.rng.randint(12, 25))), f"{n:,}"] for c, n in zip(courses, counts)
    ]
    rows.append(["Total", str(sum(int(r[1]) for r in rows[1:])), f"{spec.training_attendances:,}"])
    table_q = ("B7", "B7n") + (("B8",) if level == 1 else ())
    blocks: list[Para | Grid] = [
        Para(
            w.say(
                (
                    "{short} runs a multi-agency training programme for everyone who works with "
                    "{children}. Most courses moved online during {year}.",
                    "Our multi-agency "
                    "training offer is open to staff from all agencies, including the voluntary "
                    "sector.",
                )
            ),
            ("B7",),
        ),
        Grid(rows, (0.52, 0.22, 0.26), table_q, total_row=True),
    ]
    if w.rng.random() < 0.5:
        blocks.append(
            Para(
                w.fill(
                    "In total {t} places were taken up on {c} courses.",
                    t=f"{spec.training_attendances:,}",
                    c=len(courses),
                ),
                ("B7", "B7n"),
            )
        )
    ladder = {
        2: (
            "{b}% of attendees rated the training good or excellent.",
            "Feedback forms were positive: {b}% of people said the course met their needs.",
        ),
        3: (
            "Before-and-after questionnaires showed average confidence rising from {x} to {y} "
            "out of 10.",
            "Knowledge checks at the start and end of courses improved from {x} to "
            "{y} out of 10 on average.",
        ),
        4: (
            "A follow-up survey three months later found that {b}% of respondents had changed "
            "their practice, and a case audit confirmed the new approach in {a}% of files.",
            "Three months after training, managers reported changes in practice for {b}% of "
            "attendees, and supervision records showed the tools in use.",
        ),
        5: (
            "For children whose workers used the tools from the course, {b}% of plans ended with "
            "improved home conditions, compared with {a}% for other children.",
        ),
    }
    for step in range(2, level + 1):
        blocks.append(
            Para(
                w.say(
                    ladder[step],
                    b=w.rng.randint(78, 97),
                    a=w.rng.randint(40, 70),
                    x=w.rng.randint(4, 6),
                    y=w.rng.randint(7, 9),
                ),
                ("B8",) if step == level else (),
            )
        )
    if level <= 3 and w.rng.random() < 0.6:  # mentions practice change as a plan only
        blocks.append(
            Para(
                w.say(
                    (
                        "We want to understand better the difference training makes "
                        "to practice and to {children}.",
                        "In {next} we plan to evaluate the impact of training on practice.",
                    )
                )
            )
        )
    return Section(
        "training",
        w.pick(("Multi-agency training", "Learning and development", "Training for the workforce")),
        blocks,
    )


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
        blocks.append(
            Para(
                w.say(
                    (
                        "During {year} {who} observed executive and subgroup meetings, "
                        "read audit reports and met {practitioners}.",
                        "{who} attended "
                        "subgroups, spoke to frontline staff and reviewed the "
                        "partnership's data.",
                    ),
                    who=lead,
                ),
                ("C2",),
            )
        )
        if spec.scrutiny == "evidenced":
            a, b = w.metric_change(True)
            blocks.append(
                Para(
                    w.say(
                        (
                            "The scrutiny found that health attendance at strategy discussions was "
                            "inconsistent. As a result the partners changed the invitation process, and "
                            "attendance rose from {a}% to {b}%.",
                            "Findings: escalation was rarely used and "
                            "some staff did not know the policy. The policy was relaunched and {lead} will "
                            "re-test it; escalations that were resolved quickly rose from {a}% to {b}%.",
                        ),
                        a=a,
                        b=b,
                        lead=lead,
                    ),
                    ("C2",),
                )
            )
    if spec.effectiveness == "evidenced":
        blocks += [
            Para(
                w.pick(("How effective are our arrangements?", "Our judgement of effectiveness")),
                ("A9",),
                "h2",
            ),
            Para(
                w.say(
                    (
                        "Partners judge the arrangements to be effective in sharing "
                        "information and still developing in measuring impact. The "
                        "judgement rests on {n} audited cases, the performance dataset "
                        "and the scrutiny findings.",
                        "Our assessment is that the "
                        "arrangements work well at the front door: {b}% of contacts were "
                        "decided within 24 hours, multi-agency audits rated {a}% of cases "
                        "good, and inspectors agreed.",
                    ),
                    a=w.rng.randint(60, 80),
                    b=w.rng.randint(80, 95),
                ),
                ("A9",),
            ),
        ]
    elif spec.effectiveness == "partly":
        blocks.append(
            Para(
                w.say(
                    (
                        "The partners are confident that the arrangements are working well.",
                        "We believe our safeguarding arrangements are "
                        "effective and continue to get stronger.",
                    )
                ),
                ("A9",),
            )
        )
    if not blocks:
        return None
    return Section(
        "scrutiny",
        w.pick(("Independent scrutiny", "Scrutiny and assurance", "How well are we doing?")),
        blocks,
    )


def voice(spec, w: Wording) -> Section | None:
    """C6: feedback from children and families, and what changed."""
    if spec.feedback == "not":
        return None
    blocks: list[Para | Grid] = [
        Para(
            w.say(
                (
                    "Children's views are gathered through the youth council and the children in care "
                    "council.",
                    "We listen to {children} through school councils, the youth parliament and "
                    "direct work.",
                )
            ),
            ("C6",),
        )
    ]
    if spec.feedback == "evidenced":
        blocks.append(
            Para(
                w.say(
                    (
                        "{n} young people answered our survey on feeling safe; {pct}% "
                        "said they did not know who to tell about online worries.",
                        "{families} of {n} children gave feedback on child protection "
                        "conferences, and {pct}% found the paperwork hard to follow.",
                    )
                ),
                ("C6",),
            )
        )
        blocks.append(
            Grid(
                [
                    ["You said", "We did"],
                    [
                        "Meetings use words we do not understand",
                        "Plans are now written in plain language and shared before the meeting",
                    ],
                    [
                        "We do not know who to talk to",
                        "Every school now displays the names of its safeguarding staff",
                    ],
                ],
                (0.45, 0.55),
                ("C6",),
            )
        )
    else:
        blocks.append(
            Para(
                w.say(
                    (
                        "Young people took part in our annual conference.",
                        "We are committed to hearing the voice of {families}.",
                    )
                ),
                ("C6",),
            )
        )
    return Section(
        "voice",
        w.pick(
            (
                "The voice of children and families",
                "Listening to children and families",
                "What children and families told us",
            )
        ),
        blocks,
    )


def agencies(spec, w: Wording) -> Section | None:
    """C3 relevant agencies with their contribution, C4 schools, colleges and early years."""
    blocks: list[Para | Grid] = []
    named = w.rng.sample(RELEVANT_AGENCIES, w.rng.randint(4, 7))
    if spec.schools != "not":
        named = list(EDUCATION_AGENCIES) + named
    if spec.relevant_agencies == "yes":
        blocks.append(
            Para(
                w.say(
                    (
                        "The partners have named these relevant agencies, which must "
                        "take part in the arrangements:",
                        "Our relevant agencies and what they contribute:",
                    )
                ),
                ("C3",),
            )
        )
        blocks.append(
            Grid(
                [["Relevant agency", "Contribution"]] + [[a, cap(c)] for a, c in named],
                (0.4, 0.6),
                ("C3",),
            )
        )
    elif spec.relevant_agencies == "partly":
        listed = ", ".join(low(a) for a, _ in named[:-1]) + " and " + low(named[-1][0])
        blocks.append(
            Para(
                w.say(
                    (
                        "Relevant agencies include {x}.",
                        "The relevant agencies named in our arrangements are {x}.",
                    ),
                    x=listed,
                ),
                ("C3",),
            )
        )
    if spec.schools == "evidenced":
        m = w.rng.randint(60, 180)
        k = m - w.rng.randint(1, 8)
        blocks.append(
            Para(
                w.say(
                    (
                        "Education is represented on the executive by two headteachers and the principal of "
                        "the further education college. {k} of {m} schools ({p}%) returned the annual "
                        "safeguarding audit, up from {q}%, and early years settings completed a shorter "
                        "version for the first time.",
                        "Schools, colleges and early years settings shape our work: a headteacher chairs the "
                        "education subgroup, and {k} of {m} schools ({p}%) completed the safeguarding audit "
                        "against {q}% the year before.",
                    ),
                    k=k,
                    m=m,
                    p=100 * k // m,
                    q=100 * k // m - w.rng.randint(4, 15),
                ),
                ("C4",),
            )
        )
    elif spec.schools == "partly":
        blocks.append(
            Para(
                w.say(
                    (
                        "Schools, colleges and early years settings are valued "
                        "partners and receive our briefings.",
                        "Designated safeguarding leads from schools meet each term.",
                    )
                ),
                ("C4",),
            )
        )
    if not blocks:
        return None
    return Section(
        "agencies",
        w.pick(
            (
                "Relevant agencies and education",
                "Working with relevant agencies and schools",
                "Our wider partners",
            )
        ),
        blocks,
    )


def custody(spec, w: Wording) -> Section | None:
    """C7: youth custody and children's homes."""
    if not spec.youth_custody:
        return None
    text = w.say(
        (
            "There are {h} registered children's homes in {place}. Home managers attend a "
            "residential forum and receive the partnership's briefings.",
            "{place} has {h} "
            "children's homes, most run by private providers; the partnership invites "
            "them to training and to its residential forum.",
        ),
        h=w.rng.randint(6, 30),
    )
    text2 = w.say(
        (
            "There is no young offender institution in the area. The youth justice "
            "service followed up the {c} children remanded or sentenced to custody.",
            "Children from {place} held in custody are supported by the youth justice "
            "service; {c} children spent time in youth custody during {year}.",
        ),
        c=w.rng.randint(1, 9),
    )
    return Section(
        "custody",
        w.pick(
            ("Youth custody and children's homes", "Children in custody and in residential care")
        ),
        [Para(text, ("C7",)), Para(text2, ("C7",))],
        new_page=w.rng.random() < 0.6,
    )


def budget(spec, w: Wording) -> Section | None:
    """C5: budget and each partner's contribution."""
    if spec.budget == "no":
        return None
    total = w.rng.randint(180, 460) * 1000
    intro = Para(
        w.say(
            (
                "The partnership budget for {year} was £{t}.",
                "In {year} the partners funded the partnership with £{t} in total.",
            ),
            t=f"{total:,}",
        ),
        ("C5",),
    )
    blocks: list[Para | Grid] = [intro]
    if spec.budget == "yes":
        shares = {f"{spec.place} Council": 0.48, f"NHS {spec.place}": 0.27, spec.police_force: 0.2}
        rows = [["Partner", "Contribution (£)"]]
        for partner, share in shares.items():
            rows.append([partner, f"{round(total * share):,}"])
        rest = total - sum(round(total * x) for x in shares.values())
        rows.append(["Probation and other income", f"{rest:,}"])
        rows.append(["Total", f"{total:,}"])
        blocks.append(Grid(rows, (0.6, 0.4), ("C5",), total_row=True))
    return Section(
        "budget",
        w.pick(("Our budget", "Funding the partnership", "Partnership budget")),
        blocks,
        new_page=w.rng.random() < 0.6,
    )
