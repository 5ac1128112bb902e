"""The analysis as one self-contained HTML file: no external JS, CSS or images.

Each number is a <details> element: a click opens the list of reports behind it, and each report
its cited passages and pages. All report text (names, answers, quotes) is escaped: it is
untrusted data.
"""

from __future__ import annotations

import base64
from html import escape

from assistant.analysis.figures import (
    OLDER_FOOTNOTE,
    OLDER_MARK,
    Analysis,
    Count,
    Finding,
    _short,
    field_agreement_note,
)
from assistant.review.decisions import answer_text

CSS = """
body{font-family:Georgia,serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #bbb;margin-top:1.8em}
.draft{background:#fff4d6;border:1px solid #e0c068;padding:.4em .7em;font-family:sans-serif;
font-size:.9em}
details.num{display:inline}details.num>summary{display:inline;cursor:pointer;color:#1a4f8b;
font-weight:bold;text-decoration:underline dotted;list-style:none}
details.num>summary::-webkit-details-marker{display:none}
details.num[open]>.who{display:block}
details.num:not([open])::details-content{display:none}
details.num[open]::details-content{display:block}
.who{border-left:3px solid #1a4f8b;background:#f3f7fc;margin:.3em 0 .6em;padding:.3em .8em;
font-size:.92em;font-family:sans-serif}
.who ul{margin:.2em 0;padding-left:1.2em}.who summary{cursor:pointer}
.passages{margin:.2em 0 .4em;padding-left:1.2em;color:#333}
.undecided{color:#9a5b00;font-family:sans-serif;font-size:.85em}
.older{color:#5b3a8a;font-family:sans-serif;font-size:.85em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em;font-family:sans-serif}
td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eef2f6}figure{margin:1em 0}figure img{max-width:100%}
.quote{font-style:italic}.muted{color:#666}
"""


def _esc(value: object) -> str:
    return escape(str(value), quote=True)


class _Html:
    def __init__(self, analysis: Analysis) -> None:
        self.a = analysis

    def report_name(self, rid: str) -> str:
        r = self.a.reports.get(rid)
        return r.display_name if r else rid[:12]

    def passages(self, rid: str, qid: str | None) -> str:
        if qid is None or rid not in self.a.answers:
            return ""
        answer = self.a.answers[rid][qid]
        changed = answer.source == "reviewer" and answer.value != answer.draft_value
        drafted = (answer_text(answer.question, answer.draft_value) or "none") if changed else ""
        items = []
        for p in answer.passages:
            page = f"page {p.page}" if p.page else "page ?"
            check = "" if p.verified else " <span class='muted'>(quote not found on page)</span>"
            by = " <span class='muted'>(added by reviewer)</span>" if p.by == "reviewer" else ""
            if p.by == "draft" and changed:
                by = f" <span class='muted'>(cited for the draft's answer: {_esc(drafted)})</span>"
            items.append(
                f"<li>{page}: <span class='quote'>“{_esc(_short(p.quote))}”</span>{check}{by}</li>"
            )
        if not items:
            items.append("<li class='muted'>no cited passage</li>")
        source = {
            "reviewer": f"decided by {_esc(answer.reviewer or 'a reviewer')}",
            "draft": "undecided draft",
        }.get(answer.source, "no answer")
        if answer.older_version:  # its pages are the older version's
            source += f" {OLDER_MARK} on an older version of the report, whose pages these are"
        return (
            f"<div class='muted'>answer: {_esc(answer.text)} ({source})</div>"
            f"<ul class='passages'>{''.join(items)}</ul>"
        )

    def number(self, count: Count, style: str, key: str) -> str:
        members = []
        for m in count.members:
            if count.kind == "reports":
                members.append(
                    f"<li><details class='report' data-report='{_esc(m[:12])}'><summary>"
                    f"{_esc(self.report_name(m))}</summary>{self.passages(m, count.question_id)}"
                    "</details></li>"
                )
            else:
                members.append(f"<li>{_esc(m)}</li>")
        body = "".join(members) or "<li class='muted'>none</li>"
        what = "reports" if count.kind == "reports" else "partnerships"
        note = (
            f" <span class='undecided'>({count.undecided} of them undecided drafts)</span>"
            if count.undecided
            else ""
        )
        if count.older:
            note += (
                f" <span class='older'>({count.older} of them {OLDER_MARK} decided on an "
                "older version)</span>"
            )
        return (
            f"<details class='num' data-figure='{_esc(key)}'><summary>{_esc(count.text(style))}"
            f"</summary><div class='who'>{count.count} {what}{note}:<ul>{body}</ul></div>"
            "</details>"
        )

    def sentence(self, finding: Finding) -> str:
        parts = []
        keys = {id(c): k for k, (_, c) in finding.figures.items()}
        if finding.missing is not None:
            keys[id(finding.missing)] = "none"
        for i, seg in enumerate(finding.segments):
            if isinstance(seg, str):
                parts.append(_esc(seg))
            else:
                count, style = seg
                key = f"{finding.question.id}:{keys.get(id(count), f'n{i}')}"
                parts.append(self.number(count, style, key))
        caveat = (
            f" <span class='undecided'>† {_esc(finding.caveat)}</span>" if finding.caveat else ""
        ) + _older(finding)
        return f"<li data-question='{_esc(finding.question.id)}'>{''.join(parts)}{caveat}</li>"


def render_html(analysis: Analysis, charts: dict[str, bytes]) -> str:
    a, h = analysis, _Html(analysis)
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_esc(a.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(a.title)}</h1>",
        "<p class='draft'>Draft analysis generated by the review assistant: sentences are "
        "built from the figures by templates. Click a number to see the reports behind it, "
        "and a report to see its cited passages. † marks a figure that still rests on drafts "
        "no reviewer has decided."
        + (f" {OLDER_MARK} marks an answer {_esc(OLDER_FOOTNOTE)}." if a.n_older else "")
        + "</p>",
        "<h2 id='method'>Method</h2><ul>",
        *[f"<li>{_esc(line)}</li>" for line in a.method_lines()],
        *[f"<li class='older note'>Note: {_esc(note)}</li>" for note in a.notes()],
        "</ul>",
        "<h2 id='findings'>Key findings</h2>",
    ]
    for theme in a.bank.themes:
        findings = [
            f
            for f in a.findings
            if f.question.theme == theme.id and f.question.answer_type.value != "free_text"
        ]
        out.append(f"<h3>Theme {_esc(theme.id)}: {_esc(theme.title)}</h3>")
        story = a.narratives.get(theme.id)
        if story is not None:
            out.append(
                f"<p class='narrative' data-theme='{_esc(theme.id)}'>{_esc(story.text)} "
                f"<span class='undecided'>[{_esc(story.label)}]</span></p>"
            )
        out.append("<ul>")
        out += [h.sentence(f) for f in findings]
        out.append("</ul>")
    c8 = a.finding("C8")
    if c8 and c8.figures:
        out.append("<h2 id='wt'>Working Together requirements: evidence rating</h2>")
        out.append(
            f"<p>{_esc(c8.question.text)}</p><table><tr><th>Rating</th><th>Reports</th></tr>"
        )
        for key, (_label, count) in c8.figures.items():
            rating = c8.question.options().get(key, key)
            out.append(
                f"<tr><td>{_esc(rating)}</td><td>{h.number(count, 'slash', 'C8:' + key)}</td></tr>"
            )
        if c8.missing is not None:
            out.append(
                f"<tr><td>No answer ({_esc(c8.missing_why)})</td>"
                f"<td>{h.number(c8.missing, 'of', 'C8:none')}</td></tr>"
            )
        out.append("</table>")
        if c8.caveat:
            out.append(f"<p class='undecided'>† {_esc(c8.caveat)}</p>")
        if c8.older_caveat:
            out.append(f"<p>{_older(c8)}</p>")
    if a.compliance:
        out.append("<h2 id='register'>Publication and sending (register)</h2><ul>")
        for i, (label, count) in enumerate(a.compliance):
            out.append(f"<li>{_esc(_cap(label))}: {h.number(count, 'slash', f'register:{i}')}</li>")
        out.append("</ul>")
    if a.examples:
        out.append("<h2 id='examples'>Examples of practice</h2><ul>")
        for e in a.examples:
            who = f"chosen by {e.chosen_by}" if e.chosen_by else "proposed from the ratings"
            quote = (
                f": <span class='quote'>“{_esc(e.passage.quote)}”</span> (page "
                f"{_esc(e.passage.page)})"
                if e.passage
                else " (no cited passage)"
            )
            draft = " <span class='undecided'>† undecided draft</span>" if e.undecided else ""
            if e.older:
                draft += f" <span class='older'>{OLDER_MARK} {_esc(OLDER_FOOTNOTE)}</span>"
            out.append(
                f"<li data-example='{_esc(e.question.id)}'><b>{_esc(e.question.id)}</b> "
                f"{_esc(h.report_name(e.report_id))} — {_esc(e.answer)}{quote} "
                f"<span class='muted'>({_esc(who)})</span>{draft}</li>"
            )
        out.append("</ul>")
    if a.comparison is not None:
        out += _comparison_html(a, h)
    decided = [r for r in a.agreement if r["decided"]]
    if decided:
        # the column only when some question's figures rest on an older copy's decisions
        older = any(r.get("from_older_versions") for r in decided)
        out.append(
            "<h2 id='agreement'>Agreement from the field</h2><p>How often reviewers "
            "accepted a draft unchanged, edited it or rejected it.</p><table><tr>"
            "<th>Question</th><th>Decided</th><th>Accepted</th><th>Edited</th>"
            "<th>Rejected</th>" + ("<th>Decided on older version</th>" if older else "") + "</tr>"
        )
        for r in decided:
            out.append(
                f"<tr><td>{_esc(r['question_id'])}</td><td>{r['decided']}</td>"
                f"<td>{r['accepted']}</td><td>{r['edited']}</td><td>{r['rejected']}</td>"
                + (f"<td>{_esc(r.get('from_older_versions', 0))}</td>" if older else "")
                + "</tr>"
            )
        out.append("</table>")
        if note := field_agreement_note(decided):  # as the CLI and the Evals tab say it
            out.append(f"<p class='older note'>{OLDER_MARK} {_esc(note)}.</p>")
    if a.second_marking:
        out.append("<h2 id='second-marking'>Blind second marking</h2><ul>")
        out += [f"<li>{_esc(line)}</li>" for line in a.second_marking]
        out.append("</ul>")
    if charts:
        out.append("<h2 id='charts'>Charts</h2>")
        for name, data in charts.items():
            out.append(
                f"<figure><img alt='{_esc(name)}' src='data:image/png;base64,"
                f"{base64.b64encode(data).decode()}'></figure>"
            )
    out.append("<h2 id='appendix'>Appendix: each report's answers</h2>")
    for rid, by_q in a.answers.items():
        r = a.reports[rid]
        out.append(
            f"<h3>{_esc(r.display_name)} <span class='muted'>({_esc(r.file_name)}, "
            f"{_esc(r.period or 'period ?')})</span></h3>"
        )
        out.append("<table><tr><th>Question</th><th>Answer</th><th>Source</th><th>Pages</th></tr>")
        for qid, ans in by_q.items():
            pages = sorted({p.page for p in ans.passages if p.page})
            src = {"reviewer": f"reviewer ({ans.reviewer})", "draft": "undecided draft †"}.get(
                ans.source, ans.status if ans.status == "rejected" else "—"
            )
            if ans.older_version:
                src += f" {OLDER_MARK} older version"
            out.append(
                f"<tr><td>{_esc(qid)}</td><td>{_esc(ans.text)}</td><td>{_esc(src)}</td>"
                f"<td>{_esc(', '.join(map(str, pages)))}</td></tr>"
            )
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def _older(finding: Finding) -> str:
    """' ‡ 1 answer decided on an older version of the report: decide again …' (or '')."""
    if not finding.older_caveat:
        return ""
    return f" <span class='older'>{OLDER_MARK} {_esc(finding.older_caveat)}</span>"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _comparison_html(a: Analysis, h: _Html) -> list[str]:
    c = a.comparison
    out = [
        f"<h2 id='year-on-year'>Year on year: {_esc(c.then_title)} → {_esc(c.now_title)}</h2>",
        "<table><tr><th>Figure</th><th>Then</th><th>Now</th><th>Change</th></tr>",
    ]
    for f in c.figures:
        then = _esc(f.then.text("slash")) if f.then else "–"
        now = h.number(f.now, "slash", f"now:{f.question_id}:{f.label}") if f.now else "–"
        out.append(
            f"<tr data-change='{_esc(f.question_id)}'><td>{_esc(f.label)}</td>"
            f"<td>{then}</td><td>{now}</td><td>{_esc(f.direction.strip(' ()'))}</td></tr>"
        )
    out.append("</table><h3>Per partnership</h3>")
    for p in c.partnerships:
        out.append(f"<h4>{_esc(p.partnership)}</h4>")
        if not p.changes:
            out.append("<p class='muted'>no change in the graded answers</p>")
            continue
        out.append("<ul>")
        for qid, label, old, new in p.changes:
            arrow = f"“{_esc(old)}” → “{_esc(new)}”" if new else _esc(old)
            out.append(f"<li>{_esc(qid)} {_esc(label)}: {arrow}</li>")
        out.append("</ul>")
    if c.only_then or c.only_now:
        out.append(
            "<p class='muted'>Only in the earlier period: "
            f"{_esc(', '.join(c.only_then) or 'none')}. Only in this period: "
            f"{_esc(', '.join(c.only_now) or 'none')}.</p>"
        )
    return out
