"""Eval outputs: a Markdown summary, an HTML report with charts, and the JSON for machines.

The same section list renders to both Markdown and HTML, so the two never disagree. Charts
(charts.py) are saved as PNGs next to the report and embedded in the HTML as base64, so
the file opens anywhere on its own.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.evaluation import charts
from assistant.evaluation.metrics import pct


def fmt(value: Any, digits: int = 2) -> str:
    """A number for a table; '–' when missing or undefined."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_ci(value: Any, ci: Any, digits: int = 2) -> str:
    """'0.62 [0.41, 0.80]'."""
    if value is None:
        return "–"
    if not ci:
        return fmt(value, digits)
    return f"{fmt(value, digits)} [{fmt(ci[0], digits)}, {fmt(ci[1], digits)}]"


def agreement_of(q: dict) -> tuple[Any, Any]:
    """A question's headline agreement and its CI: accuracy for single-choice answers, mean
    Jaccard overlap for multi-selects, exact-match rate for counts."""
    if q.get("kind") == "multi":
        return q.get("jaccard"), q.get("jaccard_ci")
    if q.get("kind") == "count":
        return q.get("exact_match"), q.get("exact_match_ci")
    return q.get("accuracy"), q.get("accuracy_ci")


@dataclass
class Section:
    """A heading with paragraphs, tables (headers, rows) and figure names, in that order."""

    title: str
    text: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


# --- sections ----------------------------------------------------------------------------------


def _meta(mx: dict) -> Section:
    src = mx["labelled_set"]
    rows = [
        [
            "engine",
            f"{mx['engine']} (model {mx['model']}, template {mx['template']} "
            f"v{mx['template_version']})",
        ],
        [
            "question bank",
            f"{mx['bank']['name']} {mx['bank']['version']} ({mx['bank']['fingerprint']})",
        ],
        ["labelled set", src["describe"]],
        ["reports / items", f"{mx['n_reports']} / {mx['overall']['items']}"],
        ["auditors", ", ".join(a or "(unnamed)" for a in mx["auditors"])],
        ["drafts", mx["params"]["drafts"]],
        ["embedding / retrieval", f"{mx['embedding']} / {mx['retrieval_mode']}"],
        ["settings hash", mx["settings_hash"]],
        ["created", f"{mx['created_at']} ({mx['seconds']} s)"],
    ]
    return Section(f"Eval {mx['eval_id']}", tables=[(["run", "value"], rows)])


def _themes(mx: dict) -> Section:
    modes = (mx.get("retrieval") or {}).get("modes", [])
    headers = [
        "theme",
        "questions",
        "items",
        "not answered",
        "accuracy (answered)",
        "accuracy (all)",
        "mean kappa",
        "mean AC1",
        "multi-select F1",
        "baseline accuracy",
        "baseline kappa",
    ] + [f"recall@8 {m}" for m in modes]
    rows = []
    for name, agg in [
        *((f"{k} {v['title']}", v) for k, v in mx["themes"].items()),
        ("**all**", mx["overall"]),
    ]:
        rows.append(
            [
                name,
                fmt(agg["questions"]),
                fmt(agg["items"]),
                fmt(agg["abstained_or_failed"]),
                pct(agg["single_choice_accuracy"]),
                pct(agg["single_choice_accuracy_all"]),
                fmt(agg["mean_primary_kappa"]),
                fmt(agg["mean_ac1"]),
                fmt(agg["multi_select_micro_f1"]),
                pct(agg["baseline_single_choice_accuracy"]),
                fmt(agg["baseline_mean_primary_kappa"]),
            ]
            + [pct(agg.get(f"recall@8_{m}")) for m in modes]
        )
    text = [
        "Accuracy is over single-choice questions (yes/no, yes/partly/no, ratings, ladders); "
        "'all' counts abstentions and failures as wrong. Kappa is Cohen's kappa for yes/no, "
        "quadratic-weighted kappa for ordered scales and the pooled option-level kappa for "
        "multi-selects; AC1 is Gwet's prevalence-robust coefficient.",
        mx["baseline_method"],
    ]
    return Section("Agreement by theme", text, [(headers, rows)], ["kappa"])


def _questions(mx: dict) -> Section:
    modes = (mx.get("retrieval") or {}).get("modes", [])
    headers = [
        "question",
        "type",
        "n",
        "answered / abstained / failed / missing",
        "accuracy [95% CI]",
        "kappa [95% CI]",
        "AC1",
        "PABAK",
        "baseline acc.",
        "baseline kappa",
        "citation precision",
    ] + [f"R@8 {m}" for m in modes]
    rows = []
    for q in mx["questions"].values():
        base = q.get("baseline", {})
        acc, acc_ci = agreement_of(q)
        base_acc, _ = agreement_of({"kind": q["kind"], **base})
        status = f"{q['n_answered']} / {q['n_abstained']} / {q['n_failed']} / {q['n_missing']}" + (
            f" ({q['n_flagged']} flagged)" if q["n_flagged"] else ""
        )
        retrieval = q.get("retrieval", {})
        rows.append(
            [
                q["id"],
                q["answer_type"],
                fmt(q["n"]),
                status,
                fmt_ci(acc, acc_ci),
                fmt_ci(q.get("primary_kappa"), q.get("primary_kappa_ci")),
                fmt(q.get("ac1")),
                fmt(q.get("pabak")),
                fmt(base_acc),
                fmt(base.get("primary_kappa")),
                fmt(q.get("citations", {}).get("precision")),
            ]
            + [pct(retrieval.get(m, {}).get("recall@8")) for m in modes]
        )
    constant = mx["overall"].get("constant_while_key_varies")
    text = [
        "For multi-selects the 'accuracy' column is the mean Jaccard overlap of the option "
        "sets; for counts it is the exact-match rate. Undefined statistics (e.g. kappa "
        "when every answer is the same) show as '–'. Confusion matrices: human answer in "
        "rows, draft in columns.",
    ]
    if constant is not None:  # runs scored before the flag existed have no such figure
        text.append(
            "Questions whose drafts all give one answer while the key's answers vary (three "
            "answered items or more; their accuracy is the key's distribution, not "
            f"discrimination): {', '.join(constant) if constant else 'none'}."
        )
    return Section("Per question", text, [(headers, rows)], ["confusions"])


def _cohort(mx: dict) -> Section:
    rows = []
    for q in mx["questions"].values():
        for p in q.get("prevalence", []):
            if q["kind"] == "multi" and not (p["human"] or p["draft"]):
                continue
            if q["answer_type"] == "yes_no" and p["value"] != "yes":
                continue
            value = q.get("labels", {}).get(str(p["value"]), str(p["value"]))
            label = (
                q["cohort_label"].replace("{option}", value)
                if q["kind"] == "multi"
                else f"{q['cohort_label']}: {value}"
            )
            rows.append(
                [
                    q["id"],
                    label,
                    f"{p['draft']}/{p['draft_n']}",
                    f"{p['human']}/{p['human_n']}",
                    fmt(p["diff_points"], 0),
                ]
            )
        if "totals" in q:
            rows.append(
                [
                    q["id"],
                    f"{q['cohort_label']} (sum over reports)",
                    f"{q['totals']['draft']} ({q['totals'].get('draft_n', '?')} reports)",
                    f"{q['totals']['human']} ({q['totals'].get('human_n', '?')} reports)",
                    "",
                ]
            )
    text = [
        "The figures a cohort analysis publishes, drafts against humans: how many reports "
        "get each answer. Drafts count only answered items (their denominator), so "
        "abstentions show as a smaller denominator, never as a 'no'. 'diff' is the draft "
        "share minus the human share, in percentage points."
    ]
    return Section(
        "Cohort figures: drafts vs humans",
        text,
        [(["question", "figure", "drafts", "humans", "diff (pts)"], rows)],
    )


def _multi(mx: dict) -> Section:
    rows = []
    for q in mx["questions"].values():
        for option, o in q.get("per_option", {}).items():
            if o["support"] or o["predicted"]:
                rows.append(
                    [
                        q["id"],
                        option,
                        fmt(o["support"]),
                        fmt(o["predicted"]),
                        fmt(o["precision"]),
                        fmt(o["recall"]),
                        fmt(o["f1"]),
                    ]
                )
    return Section(
        "Multi-select options",
        [
            "Per option over answered items: support is how "
            "many reports humans gave the option, predicted how many drafts did."
        ],
        [(["question", "option", "support", "predicted", "precision", "recall", "F1"], rows)],
    )


def _counts(mx: dict) -> Section:
    rows = [
        [
            q["id"],
            q["text"],
            fmt(q.get("n")),
            fmt_ci(q.get("exact_match"), q.get("exact_match_ci")),
            fmt_ci(q.get("mae"), q.get("mae_ci"), 1),
            fmt(q.get("baseline", {}).get("exact_match")),
            fmt(q.get("baseline", {}).get("mae"), 1),
        ]
        for q in mx["questions"].values()
        if q["kind"] == "count"
    ]
    return Section(
        "Counts",
        [],
        [
            (
                [
                    "question",
                    "text",
                    "n",
                    "exact match",
                    "mean abs. error",
                    "baseline exact",
                    "baseline MAE",
                ],
                rows,
            )
        ],
    )


def _retrieval(mx: dict) -> Section:
    r = mx.get("retrieval")
    if not r:
        return Section("Evidence retrieval", ["Not measured in this run."])
    ks = r["ks"]
    rows = [
        [mode, fmt(o["n"])]
        + [pct(o[f"recall@{k}"]) for k in ks]
        + [pct(o.get(f"capped_recall@{k}")) for k in ks]
        + [pct(o[f"hit@{k}"]) for k in ks]
        for mode, o in r["overall"].items()
    ]
    cited = sum(q.get("citations", {}).get("cited_pages", 0) for q in mx["questions"].values())
    on_gold = sum(q.get("citations", {}).get("on_gold_pages", 0) for q in mx["questions"].values())
    text = [
        "Recall@k: share of an item's gold evidence pages among the pages of the top k "
        "evidence blocks, as the drafting step retrieves them (all phrasings of the question, "
        "fused, cut to the token budget); capped@k: the same out of what k pages can hold "
        "(found over min(k, gold pages): an item with five gold pages can reach 1.0 at k=3, "
        "where its recall@3 is at most 0.6); hit@k: at least one gold page in the top k. Items "
        "without gold pages (e.g. 'not evidenced') are left out of retrieval figures.",
        f"Citation precision: {on_gold} of {cited} cited pages are gold pages "
        f"({pct(on_gold / cited if cited else None)}), over drafted items that have gold pages.",
    ]
    headers = (
        ["mode", "items"]
        + [f"recall@{k}" for k in ks]
        + [f"capped@{k}" for k in ks]
        + [f"hit@{k}" for k in ks]
    )
    return Section("Evidence retrieval", text, [(headers, rows)], ["recall"])


IN_SAMPLE = (
    " — in-sample: the calibration was fitted on this set, so these figures do not measure "
    "it; `make calibrate` prints the leave-one-report-out ones"
)


def _confidence(mx: dict) -> Section:
    groups = mx.get("confidence") or {}
    if not groups:
        return Section("Confidence", ["No answered drafts with a confidence in this run."])
    text = [
        "Confidence is the estimated probability that the auditor gives the same answer. "
        "ECE (expected calibration error) is the count-weighted gap between confidence and "
        "agreement over ten bins; AUROC is how well confidence ranks agreeing drafts above the "
        "others (0.5 = no better than chance). A calibration fitted on this labelled set "
        "flatters it: cross-validated figures come from "
        "assistant/evaluation/calibration_fit.py. Drafts "
        "marked 'uncalibrated' carry the engine's own confidence (no calibration for that "
        "engine and model yet)."
    ]
    for label, g in groups.items():
        if g.get("level_set_on"):
            text.append(
                f"{label}: the level of its confidence was set on reports the rules were never "
                f"tuned on ({'; '.join(g['level_set_on'])}), so on reports they were tuned on "
                "(the dev set, the spent blind sets, the generated years) it reads low."
            )
    summary = [
        [
            label,
            fmt(g["n"]),
            pct(g["accuracy"]),
            fmt(g["mean_confidence"]),
            fmt(g["ece"], 3),
            fmt(g["auroc"], 3) + (" (in-sample)" if g.get("in_sample") else ""),
            fmt(g["distinct_values"]),
            ", ".join(f"{k} ({v})" for k, v in g["calibrations"].items()),
        ]
        for label, g in groups.items()
    ]
    tables = [
        (
            [
                "engine",
                "drafts",
                "agreed",
                "mean confidence",
                "ECE",
                "AUROC",
                "distinct values",
                "calibration",
            ],
            summary,
        )
    ]
    for label, g in groups.items():
        rows = [
            [f"{b['lo']:.1f}-{b['hi']:.1f}", fmt(b["n"]), fmt(b["confidence"]), pct(b["accuracy"])]
            for b in g["bins"]
        ]
        tables.append(([f"reliability: {label}", "drafts", "mean confidence", "agreed"], rows))
    stable = {label: g["stability"] for label, g in groups.items() if g.get("stability")}
    if stable:
        text.append(
            "Stability check: the offline rules read less of the same evidence (the first half "
            "of its pages; all but its second page). A draft moved by it rests on one page's "
            "wording: its rationale names the pages. The calibration reads it."
        )
        rows = [
            [label, kind, fmt(n), pct(agreed / n) if n else "–"]
            for label, cells in stable.items()
            for kind, (n, agreed) in (
                ("moved by less evidence", cells["moved"]), ("held", cells["held"])
            )
        ]
        tables.append((["engine", "stability check", "drafts", "agreed"], rows))
    return Section("Confidence", text, tables)


def _availability(mx: dict) -> Section:
    """Issue 11 item 5: how much of the gold evidence each context strategy puts in front of
    the engine, so a user chooses a strategy with numbers."""
    r = mx.get("retrieval")
    if not r:
        return Section("Evidence availability by context strategy", ["Not measured in this run."])
    k = max(r["ks"])
    rows = [["whole-report", "every page", "100%", "100%", "by construction"]]
    for mode, o in r["overall"].items():
        rows.append(
            [
                f"retrieved ({mode})",
                f"top {k} blocks within the evidence budget",
                pct(o.get(f"recall@{k}")),
                pct(o.get(f"hit@{k}")),
                f"measured on {fmt(o['n'])} items",
            ]
        )
    text = [
        "Evidence availability: the share of gold evidence pages that reach the engine under "
        "each context strategy (all gold pages: mean recall; any gold page: hit rate). A gold "
        "page that is not given cannot be read by any engine, the LLM included."
    ]
    headers = ["strategy", "evidence given", "gold pages given", "any gold page given", "how"]
    return Section("Evidence availability by context strategy", text, [(headers, rows)])


def _missed(mx: dict) -> Section:
    """Per question, the gold pages the retrieved evidence lacked."""
    r = mx.get("retrieval") or {}
    missed = [m for m in r.get("missed", []) if m["missed_pages"]]
    title = "Gold pages retrieval missed"
    if not r.get("missed"):
        return Section(title, ["Not measured in this run."])
    total = sum(len(m["gold_pages"]) for m in r["missed"])
    lost = sum(len(m["missed_pages"]) for m in missed)
    text = [
        f"Per item, the gold evidence pages absent from the {r.get('missed_mode')} evidence "
        f"given to the engine: {lost} of {total} gold pages over {len(missed)} of "
        f"{len(r['missed'])} items. Retrieved pages are in rank order."
    ]
    order = {qid: number for number, qid in enumerate(mx.get("questions", {}))}
    rows = [
        [
            m["question_id"],
            m["report"],
            ", ".join(map(str, m["gold_pages"])),
            ", ".join(map(str, m["missed_pages"])),
            ", ".join(map(str, m["retrieved_pages"])),
        ]
        for m in sorted(missed, key=lambda m: (order.get(m["question_id"], 0), m["report"]))
    ]
    headers = ["question", "report", "gold pages", "missed", "retrieved"]
    return Section(title, text, [(headers, rows)])


def _human_human(mx: dict) -> Section:
    rows = []
    for q in mx["questions"].values():
        hh = q.get("human_human")
        if hh:
            same = hh.get("engine_same_items", {})
            engine_acc = same["n_correct"] / same["n"] if same.get("n") else None
            rows.append(
                [
                    q["id"],
                    fmt(hh["n"]),
                    fmt(hh["auditors"]),
                    pct(hh.get("accuracy", hh.get("exact_match", hh.get("jaccard")))),
                    fmt(hh.get("primary_kappa")),
                    fmt(hh.get("ac1")),
                    fmt(hh.get("fleiss_kappa")),
                    pct(engine_acc),
                    fmt(same.get("primary_kappa")),
                ]
            )
    if not rows:
        return Section(
            "Human–human agreement",
            [
                "No item was scored by two or more auditors, "
                "so there is no human ceiling in this run."
            ],
        )
    return Section(
        "Human–human agreement",
        [
            "On items two or more auditors scored: the first two auditors against each other "
            "(Fleiss' kappa over all of them), next to the drafts on the same items against the "
            "auditors' consensus — the ceiling a tool should be judged against."
        ],
        [
            (
                [
                    "question",
                    "items",
                    "auditors",
                    "agreement",
                    "kappa",
                    "AC1",
                    "Fleiss kappa",
                    "drafts: agreement",
                    "drafts: kappa",
                ],
                rows,
            )
        ],
    )


def _notes(mx: dict) -> Section:
    rel = mx["reliability"]
    text = []
    if rel.get("measured"):
        text.append(
            f"Run-to-run reliability: re-drafting {rel['n']} items of {rel['reports']} "
            f"report(s) gave the same answer for {pct(rel['agreement'])}. " + rel.get("note", "")
        )
    else:
        text.append("Run-to-run reliability: " + rel.get("note", "not measured."))
    if mx["not_drafted_questions"]:
        text.append(
            "Scored by humans but not drafted (reviewer-entered facts or outside the "
            f"selection): {', '.join(mx['not_drafted_questions'])}."
        )
    free = [q["id"] for q in mx["questions"].values() if q["kind"] == "text"]
    if free:
        text.append(f"Free-text questions are not scored automatically: {', '.join(free)}.")
    if mx["ingest_failures"] or mx["unresolved_reports"]:
        text.append(
            f"Reports that could not be used (their items count as missing drafts): "
            f"{len(mx['ingest_failures'])} failed to ingest, "
            f"{len(mx['unresolved_reports'])} unresolved."
        )
    return Section("Notes", text)


def build_sections(mx: dict) -> list[Section]:
    """The report's sections in order."""
    return [
        _meta(mx),
        _themes(mx),
        _questions(mx),
        _cohort(mx),
        _multi(mx),
        _counts(mx),
        _retrieval(mx),
        _confidence(mx),
        _availability(mx),
        _missed(mx),
        _human_human(mx),
        _notes(mx),
    ]


# --- rendering ---------------------------------------------------------------------------------


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    def cell(x: str) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(mx: dict, figures: dict[str, str] | None = None) -> str:
    """The Markdown summary (figures linked by file name when given)."""
    out = []
    for number, s in enumerate(build_sections(mx)):
        out.append(("# " if number == 0 else "## ") + s.title)
        out += s.text
        out += [_md_table(h, r) for h, r in s.tables if r]
        out += [f"![{f}]({figures[f]})" for f in s.figures if figures and f in figures]
    return "\n\n".join(out) + "\n"


def render_html(mx: dict, images: dict[str, bytes]) -> str:
    """A self-contained HTML report: tables plus charts embedded as base64 PNGs."""
    body = []
    for number, s in enumerate(build_sections(mx)):
        body.append(
            f"<h{1 if number == 0 else 2}>{html.escape(s.title)}</h{1 if number == 0 else 2}>"
        )
        body += [f"<p>{html.escape(t).replace('**', '')}</p>" for t in s.text]
        for headers, rows in s.tables:
            if not rows:
                continue
            head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
            trs = "".join(
                "<tr>"
                + "".join(f"<td>{html.escape(str(c)).replace('**', '')}</td>" for c in row)
                + "</tr>"
                for row in rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{trs}</tbody></table>")
        for name in s.figures:
            if name in images:
                data = base64.b64encode(images[name]).decode()
                body.append(
                    f'<figure><img alt="{name}" src="data:image/png;base64,{data}"></figure>'
                )
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}"
        "th{background:#f0f0f0}tr:nth-child(even){background:#fafafa}"
        "img{max-width:100%}h2{border-bottom:1px solid #ddd;margin-top:2em}"
    )
    title = html.escape(f"Eval {mx['eval_id']}")
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_outputs(mx: dict, out_dir: Path) -> dict[str, str]:
    """Write summary.md, report.html, metrics.json and the chart PNGs; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = {
        name: png
        for name, png in (
            ("kappa", charts.kappa_chart(mx)),
            ("confusions", charts.confusion_grid(mx)),
            ("recall", charts.recall_chart(mx)),
        )
        if png
    }
    paths = {}
    for name, png in images.items():
        (out_dir / f"{name}.png").write_bytes(png)
        paths[f"chart_{name}"] = str(out_dir / f"{name}.png")
    (out_dir / "summary.md").write_text(
        render_markdown(mx, {n: f"{n}.png" for n in images}), encoding="utf-8"
    )
    (out_dir / "report.html").write_text(render_html(mx, images), encoding="utf-8")
    (out_dir / "metrics.json").write_text(json.dumps(mx, indent=1) + "\n", encoding="utf-8")
    paths.update(
        summary=str(out_dir / "summary.md"),
        html=str(out_dir / "report.html"),
        json=str(out_dir / "metrics.json"),
    )
    return paths


# --- console and comparison --------------------------------------------------------------------


def headline(mx: dict) -> str:
    """A few lines for the console."""
    o = mx["overall"]
    lines = [
        f"eval {mx['eval_id']}: {mx['engine']} ({mx['model']}) on {mx['labelled_set']['describe']}"
    ]
    for tid, t in mx["themes"].items():
        lines.append(
            f"  theme {tid}: accuracy {pct(t['single_choice_accuracy'])} "
            f"(baseline {pct(t['baseline_single_choice_accuracy'])}), mean kappa "
            f"{fmt(t['mean_primary_kappa'])}, AC1 {fmt(t['mean_ac1'])}"
        )
    recall = ", ".join(
        f"{k.split('_', 1)[1]} {pct(v)}" for k, v in o.items() if k.startswith("recall@8_")
    )
    lines.append(
        f"  all: accuracy {pct(o['single_choice_accuracy'])}, mean kappa "
        f"{fmt(o['mean_primary_kappa'])}; recall@8 {recall or 'not measured'}"
    )
    if o.get("constant_while_key_varies"):
        lines.append(
            "  drafts all the same while the key varies: "
            + ", ".join(o["constant_while_key_varies"])
        )
    for label, g in (mx.get("confidence") or {}).items():
        lines.append(
            f"  confidence {label}: ECE {fmt(g['ece'], 3)}, AUROC {fmt(g['auroc'], 3)} over "
            f"{g['n']} drafts ({', '.join(g['calibrations'])})"
            + (IN_SAMPLE if g.get("in_sample") else "")
        )
    return "\n".join(lines)


_COMPARED_SETTINGS = (
    ("engine", "engine"),
    ("model", "model"),
    ("template_version", "template version"),
    ("embedding", "embedder"),
    ("retrieval_mode", "retrieval mode"),
    ("settings_hash", "settings hash"),
)


def comparison_warnings(a: dict, b: dict) -> list[str]:
    """What makes two runs not like for like: a different labelled set, bank or settings."""
    out = []
    set_a, set_b = a["labelled_set"], b["labelled_set"]
    if set_a.get("describe") != set_b.get("describe"):
        out.append(
            f"WARNING: different labelled sets: A is {set_a.get('describe')}, "
            f"B is {set_b.get('describe')} — the deltas mix set and engine differences"
        )
    if a.get("bank", {}).get("fingerprint") != b.get("bank", {}).get("fingerprint"):
        out.append(
            f"WARNING: different question banks: A {a['bank'].get('version')} "
            f"({a['bank'].get('fingerprint')}), B {b['bank'].get('version')} "
            f"({b['bank'].get('fingerprint')})"
        )
    changed = [
        f"{label} {a.get(key)} → {b.get(key)}"
        for key, label in _COMPARED_SETTINGS
        if a.get(key) != b.get(key)
    ]
    if changed:
        out.append(f"WARNING: different settings: {'; '.join(changed)}")
    return out


def comparison_markdown(a: dict, b: dict) -> str:
    """Per-question deltas (B minus A) of kappa, accuracy, AC1 and hybrid recall@8, after a
    loud warning when the runs are on different sets or settings."""

    def delta(x: Any, y: Any) -> str:
        return f"{y - x:+.2f}" if x is not None and y is not None else "–"

    def acc(q: dict) -> Any:
        return agreement_of(q)[0] if q else None

    def r8(q: dict) -> Any:
        return q.get("retrieval", {}).get("hybrid", {}).get("recall@8")

    warnings = comparison_warnings(a, b)
    lines = [*(f"**{w}**" for w in warnings), *([""] if warnings else [])] + [
        f"A: {a['eval_id']} — {a['engine']} ({a['model']}), {a['labelled_set']['describe']}",
        f"B: {b['eval_id']} — {b['engine']} ({b['model']}), {b['labelled_set']['describe']}",
        "Δ is B minus A. Accuracy: single-choice accuracy, mean Jaccard for multi-selects, "
        "exact match for counts; R@8: hybrid recall@8 of gold pages.",
        "",
    ]
    headers = [
        "question",
        "kappa A",
        "kappa B",
        "Δ",
        "accuracy A",
        "accuracy B",
        "Δ",
        "AC1 A",
        "AC1 B",
        "Δ",
        "R@8 A",
        "R@8 B",
        "Δ",
    ]
    rows = []
    for qid in dict.fromkeys([*a["questions"], *b["questions"]]):
        qa, qb = a["questions"].get(qid, {}), b["questions"].get(qid, {})
        row = [qid]
        for get in (lambda q: q.get("primary_kappa"), acc, lambda q: q.get("ac1"), r8):
            x, y = get(qa), get(qb)
            row += [fmt(x), fmt(y), delta(x, y)]
        rows.append(row)
    oa, ob = a["overall"], b["overall"]
    overall = ["**all**"]
    for key in ("mean_primary_kappa", "single_choice_accuracy", "mean_ac1", "recall@8_hybrid"):
        overall += [fmt(oa.get(key)), fmt(ob.get(key)), delta(oa.get(key), ob.get(key))]
    rows.append(overall)
    return "\n".join(lines) + _md_table(headers, rows) + "\n"
