"""Theme A of the sample reports: priorities (A1-A4), progress and impact (A5-A8)."""

from __future__ import annotations

from evals.synthetic.sections import Break, Grid, Para, Section
from evals.synthetic.text import Theme, Wording, low, num_words, theme_of

Priority = tuple[str, str, str]  # (slug, question id A2 or A3, display name)


def priorities(spec, w: Wording, items: list[Priority]) -> Section:
    """The priorities list (A1, A1n, A2, A3) and why they were chosen (A4)."""
    if not items:  # no clear priorities: generic activity only
        blocks = [Para(w.say("work.meetings")), Para(w.say("work.range"))]
        return Section("work", w.say("title.work"), blocks)
    head = ("A1", "A1n")
    k = num_words(len(items), w.rng)
    blocks: list[Para | Grid] = [Para(w.say("priorities.intro", k=k), head)]
    whys = {slug: w.say("priorities.why", why=theme_of(slug).why) for slug, _, _ in items}
    if w.rng.random() < 0.4:  # the list is a table
        with_why = spec.priority_rationale == "yes"
        rows = [["No.", "Priority", "Why we chose it" if with_why else "Lead partner"]]
        leads = (f"{spec.place} Council", spec.police_force, f"NHS {spec.place}")
        for i, (slug, _q, name) in enumerate(items, 1):
            rows.append([str(i), name, whys[slug] if with_why else w.pick(leads)])
        qids = head + tuple(sorted({q for _, q, _ in items})) + (("A4",) if with_why else ())
        blocks.append(Grid(rows, (0.08, 0.37, 0.55), qids))
    else:
        for i, (_slug, q, name) in enumerate(items, 1):
            blocks.append(Para(f"Priority {i}: {name}", head + (q,), "bullet"))
        if spec.priority_rationale == "yes":
            blocks += [Para(f"{name}. {whys[slug]}", ("A4",)) for slug, _q, name in items]
    if spec.priority_rationale == "partly":  # a generic line plus one priority's reason
        slug, _q, name = items[0]
        text = f"{w.say('priorities.why_generic')} For {low(name)}, {low(whys[slug])}"
        blocks.append(Para(text, ("A4",)))
    elif spec.priority_rationale == "no":  # sounds like a reason, is not one
        blocks.append(Para(w.say("priorities.agreed", m=w.pick(w.bank("months")))))
    return Section("priorities", w.say("title.priorities"), blocks)


def evidence_passage(kind: str, name: str, theme: Theme, w: Wording, qids) -> Para:
    """One passage of an impact-evidence type (an A7 slug) about one priority."""
    a, b = w.metric_change(theme.up)
    values = {
        "topic": low(name),
        "metric": theme.metric,
        "moved": "rose" if b > a else "fell",
        "a": a,
        "b": b,
        "t": b + (2 if b > a else -2),
        "m": w.pick(w.bank("months")),
        "kid": w.pick(w.bank("case_names")),
        "age": w.rng.randint(3, 16),
    }
    if kind in ("multiagency_audit", "child_family_feedback", "practitioner_survey"):
        values["a"], values["b"] = min(a, b), max(a, b)
    style = "quote" if kind == "case_studies" else "body"
    return Para(w.say(f"evidence.{kind}", **values), qids, style)


def progress(spec, w: Wording, items: list[Priority]) -> Section | None:
    """Per-priority actions (A5), impact (A6, A7) and slow progress (A8)."""
    if not items:
        return None
    blocks: list[Para | Grid | Break] = []
    k = len(items)
    leads = (f"{spec.place} Council", spec.police_force, f"NHS {spec.place}")
    with_actions = {"yes": k, "partly": (k + 1) // 2, "no": 0}[spec.partner_actions]
    extra = [e for e in spec.impact_evidence if e != "outcome_data_trend"]
    impact_q = ("A6",) if spec.impact != "not" else ()
    for i, (slug, q, name) in enumerate(items):
        theme = theme_of(slug)
        if spec.priority_per_page and i:  # evidence for A5-A7 spread over pages
            blocks.append(Break())
        blocks.append(Para(f"Priority {i + 1}: {name}", (q,), "h2"))
        blocks.append(Para(w.say("progress.lead", lead=w.pick(leads))))
        if i < with_actions:
            a, b = w.rng.sample(theme.acts, 2)
            blocks.append(Para(w.say("progress.actions", a=a, b=b), ("A5",)))
        else:
            blocks.append(Para(w.say("progress.carried")))
        if spec.impact == "partly":  # impact claimed in words, no data
            blocks.append(Para(w.say("progress.claim", topic=low(name)), ("A6",)))
        kinds = ["outcome_data_trend"] * ("outcome_data_trend" in spec.impact_evidence)
        for kind in kinds + extra[i::k]:  # other evidence types spread over the priorities
            blocks.append(evidence_passage(kind, name, theme, w, impact_q + ("A7",)))
    if spec.impact == "not" and w.rng.random() < 0.6:  # talks about impact, shows none
        blocks.append(Para(w.say("progress.measure_later")))
    blocks += slow_progress(spec, w, items)
    return Section("progress", w.say("title.progress"), blocks)


def slow_progress(spec, w: Wording, items: list[Priority]) -> list[Para]:
    """A8: analysis of little or no progress, with reasons."""
    if spec.progress_analysis == "evidenced":
        name = items[-1][2]
        planned = w.rng.randint(5, 9)
        text = w.say(
            "slow.evidenced",
            topic=low(name),
            topic_cap=name,
            done=w.rng.randint(1, planned - 3),
            planned=planned,
            reason=w.say("slow.reason"),
            fix=w.say("slow.fix"),
        )
        return [Para(w.say("title.slow"), ("A8",), "h2"), Para(text, ("A8",))]
    if spec.progress_analysis == "partly":
        return [Para(w.say("title.slow"), ("A8",), "h2"), Para(w.say("slow.partly"), ("A8",))]
    if w.rng.random() < 0.3:  # a claim, not an analysis
        return [Para(w.say("slow.claim"))]
    return []
