"""Theme A of the sample reports: priorities (A1-A4), progress and impact (A5-A8)."""

from __future__ import annotations

from evals.report_sections import Grid, Para, Section, low, theme_of
from evals.report_text import MONTHS, Theme, Wording, num_words

Priority = tuple[str, str, str]  # (slug, question id A2 or A3, display name)

RATIONALE_YES = (
    "Why this is a priority: {why}.",
    "We chose this priority because {why}.",
    "Our needs analysis showed that {why}.",
    "Data and learning from reviews pointed the same way: {why}.",
)
RATIONALE_GENERIC = (
    "The priorities were informed by our data and by learning from reviews.",
    "Partners drew on local intelligence when they set these priorities.",
)
ACTIONS = (
    "During {year} {partners} {a} and {b}.",
    "Partners {a}. They also {b}.",
    "What we did: we {a}, and {b}.",
    "Over {year} we {a}; in addition, {partners} {b}.",
)
IMPACT_CLAIMS = (
    "Partners report that this work has made a real difference for {children}.",
    "We believe that practice on {topic} is now stronger and that {families} get help sooner.",
    "This work has improved the way agencies respond to {topic}.",
    "The response to {topic} is better than it was a year ago.",
)
IMPACT_DATA = (
    "The proportion of {metric} {moved} from {a}% in {prev} to {b}% by the end of {year}.",
    "Over {year} the share of {metric} {moved} from {a}% to {b}%.",
    "Data show the change: {metric} {moved} from {a}% to {b}%, compared with the year before.",
)


def priorities(spec, w: Wording, items: list[Priority]) -> Section:
    """The priorities list (A1, A1n, A2, A3) and why they were chosen (A4)."""
    title = w.pick(("Our priorities", "Partnership priorities", "What we set out to do"))
    if not items:
        return Section(
            "priorities",
            w.pick(("Our work this year", "The year in review")),
            [
                Para(
                    w.say(
                        (
                            "{partners} continued to meet throughout {year}, with subgroups looking "
                            "at learning, quality assurance and training.",
                            "The partnership kept "
                            "its meetings going through {year} and moved them online.",
                        )
                    )
                ),
                Para(
                    w.say(
                        (
                            "A wide range of work took place across agencies, much of it shaped by "
                            "the pandemic.",
                            "Agencies shared information through weekly calls "
                            "about the children they were most worried about.",
                        )
                    )
                ),
            ],
        )
    head = ("A1", "A1n")
    blocks = [
        Para(
            w.say(
                (
                    "In {year} the partners {agreed} {k} priorities:",
                    "We worked to {k} priorities during {year}:",
                    "{partners} {agreed} the following {k} priorities for {year}.",
                ),
                k=num_words(len(items), w.rng),
            ),
            head,
        )
    ]
    as_table = w.rng.random() < 0.4
    whys = {slug: w.say(RATIONALE_YES, why=theme_of(slug).why) for slug, _, _ in items}
    if as_table:  # evidence in a table
        with_why = spec.priority_rationale == "yes"
        rows = [["No.", "Priority", "Why we chose it" if with_why else "Lead partner"]]
        for i, (slug, _q, name) in enumerate(items, 1):
            rows.append(
                [
                    str(i),
                    name,
                    whys[slug]
                    if with_why
                    else w.pick((f"{spec.place} Council", spec.police_force, f"NHS {spec.place}")),
                ]
            )
        qids = head + tuple(sorted({q for _, q, _ in items})) + (("A4",) if with_why else ())
        blocks.append(Grid(rows, (0.08, 0.37, 0.55), qids))
    else:
        for i, (_slug, q, name) in enumerate(items, 1):
            blocks.append(Para(f"Priority {i}: {name}", head + (q,), "bullet"))
        if spec.priority_rationale == "yes":
            for slug, _q, name in items:
                blocks.append(Para(f"{name}. {whys[slug]}", ("A4",)))
    if spec.priority_rationale == "partly":
        slug, _q, name = items[0]
        blocks.append(
            Para(w.say(RATIONALE_GENERIC) + f" For {low(name)}, " + low(whys[slug]), ("A4",))
        )
    elif spec.priority_rationale == "no":  # looks like a reason, is not one
        blocks.append(
            Para(
                w.say(
                    (
                        "The priorities were agreed by the executive group in {m} "
                        "and endorsed by the three partners.",
                        "The executive signed off these priorities at its {m} meeting.",
                    ),
                    m=w.pick(MONTHS),
                )
            )
        )
    return Section("priorities", title, blocks)


def _evidence_passage(kind: str, name: str, theme: Theme, w: Wording, qids) -> Para:
    """One passage of a given impact-evidence type (A7 slug)."""
    topic = low(name)
    a, b = w.metric_change(theme.up_is_good)
    texts = {
        "outcome_data_trend": (
            IMPACT_DATA,
            dict(metric=theme.metric, a=a, b=b, moved="rose" if b > a else "fell"),
        ),
        "baseline_targets": (
            (
                "Against a baseline of {a}% and a target of {t}%, {metric} "
                "reached {b}% by the end of {year}.",
            ),
            dict(a=a, b=b, t=b + (2 if b > a else -2), metric=theme.metric),
        ),
        "multiagency_audit": (
            (
                "A multi-agency audit of {n} cases on {topic} found that {b}% "
                "had a clear plan, up from {a}% at the previous audit.",
                "When auditors looked at {n} case files on {topic}, {b}% showed "
                "good joint working, against {a}% a year earlier.",
            ),
            dict(topic=topic, a=min(a, b), b=max(a, b)),
        ),
        "child_family_feedback": (
            (
                "Of {n} parents who answered our survey about {topic}, {b}% "
                "said the help they got made things better for their family.",
                "{families} told us the difference: {b}% of {n} who gave "
                "feedback on {topic} said things had improved at home.",
            ),
            dict(topic=topic, b=max(a, b)),
        ),
        "practitioner_survey": (
            (
                "In a survey of {n} practitioners, {b}% said they felt more "
                "confident about {topic}.",
                "{b}% of {n} staff who answered "
                "our practitioner survey felt better equipped on {topic}.",
            ),
            dict(topic=topic, b=max(a, b)),
        ),
        "inspection_findings": (
            (
                "The inspection of children's services in {m} found that "
                "partnership work on {topic} was a strength.",
                "Inspectors who visited in {m} noted good multi-agency work on {topic}.",
            ),
            dict(topic=topic, m=w.pick(MONTHS)),
        ),
        "case_studies": (
            (
                "Case study: {kid}, aged {age}, was referred because of concerns about "
                "{topic}. Agencies met together, agreed one plan with the family and "
                "reviewed it every month. Six months later {kid} was attending school "
                "every day and the case was stepped down.",
            ),
            dict(
                kid=w.pick(("Sam", "Leah", "Jordan", "Mia", "Kai")),
                age=w.rng.randint(3, 16),
                topic=topic,
            ),
        ),
    }
    templates, values = texts[kind]
    return Para(w.say(templates, **values), qids, "quote" if kind == "case_studies" else "body")


def progress(spec, w: Wording, items: list[Priority]) -> Section | None:
    """Per-priority actions (A5), impact (A6, A7) and slow progress (A8)."""
    if not items:
        return None
    blocks: list[Para | Grid] = []
    k = len(items)
    with_actions = k if spec.partner_actions == "yes" else (k + 1) // 2
    if spec.partner_actions == "no":
        with_actions = 0
    extra = [e for e in spec.impact_evidence if e != "outcome_data_trend"]
    impact_q = ("A6",) if spec.impact != "not" else ()
    for i, (slug, q, name) in enumerate(items):
        theme = theme_of(slug)
        blocks.append(Para(f"Priority {i + 1}: {name}", (q,), "h2"))
        if i < with_actions:
            a, b = w.rng.sample(theme.acts, 2)
            blocks.append(Para(w.say(ACTIONS, a=w.fill(a), b=w.fill(b)), ("A5",)))
        else:
            blocks.append(
                Para(
                    w.say(
                        (
                            "Work on this priority was slower to start and has been "
                            "carried into {next}.",
                            "This priority remains in place for {next}.",
                        )
                    )
                )
            )
        if spec.impact == "partly":
            blocks.append(Para(w.say(IMPACT_CLAIMS, topic=low(name)), ("A6",)))
        if "outcome_data_trend" in spec.impact_evidence:
            blocks.append(
                _evidence_passage("outcome_data_trend", name, theme, w, impact_q + ("A7",))
            )
        for kind in extra[i::k]:  # spread the other evidence types over the priorities
            blocks.append(_evidence_passage(kind, name, theme, w, impact_q + ("A7",)))
    if spec.impact == "not" and w.rng.random() < 0.6:  # talks about impact, shows none
        blocks.append(
            Para(
                w.say(
                    (
                        "Next year we will develop an outcomes framework so that we "
                        "can measure the impact of this work.",
                        "Measuring the difference our work makes is a focus for {next}.",
                    )
                )
            )
        )
    blocks += slow_progress(spec, w, items)
    return Section(
        "progress",
        w.pick(
            (
                "Progress on our priorities",
                "What we did and the difference it made",
                "Our priorities in action",
            )
        ),
        blocks,
    )


def slow_progress(spec, w: Wording, items: list[Priority]) -> list[Para]:
    """A8: analysis of little or no progress."""
    head = w.pick(
        ("Where we made less progress", "What did not go as planned", "Areas for further work")
    )
    if spec.progress_analysis == "evidenced":
        _slug, _q, name = items[-1]
        planned = w.rng.randint(5, 9)
        return [
            Para(head, ("A8",), "h2"),
            Para(
                w.say(
                    (
                        "Less progress was made on {topic} than we planned. {reason} Only {done} of the "
                        "{planned} actions were completed by the year end. {fix}",
                        "{topic_cap} is the priority where progress was slowest: {done} of {planned} planned "
                        "actions were finished. {reason} {fix}",
                    ),
                    topic=low(name),
                    topic_cap=name,
                    done=w.rng.randint(1, planned - 3),
                    planned=planned,
                    reason=w.pick(
                        (
                            "Health visitors were redeployed during the pandemic, so the new "
                            "assessment could not be introduced.",
                            "The post of project lead was vacant for five months.",
                            "The data-sharing agreement needed to "
                            "start the work was not signed until February.",
                        )
                    ),
                    fix=w.say(
                        (
                            "The executive has given this work a named lead and a new deadline.",
                            "It stays a priority for {next}, with a monthly progress check.",
                        )
                    ),
                ),
                ("A8",),
            ),
        ]
    if spec.progress_analysis == "partly":
        return [
            Para(head, ("A8",), "h2"),
            Para(
                w.say(
                    (
                        "Some planned work was delayed because of the pressures of the pandemic.",
                        "Not every action was completed in the year, and some work has been carried "
                        "forward.",
                    )
                ),
                ("A8",),
            ),
        ]
    if w.rng.random() < 0.3:  # a claim, not an analysis
        return [Para(w.say(("All of our priorities made good progress during {year}.",)))]
    return []
