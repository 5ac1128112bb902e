"""The yearly analysis (issue 14): figures from reviewers' decisions, the DOCX and HTML
documents, year on year, the register with its compliance figures, the sample, examples of
practice and agreement from the field. Real generated reports, scored offline; decisions go
through the service."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import ReviewAssistantError
from assistant.service import Assistant
from evals.synthetic.sample_reports import generate_sample_set

NOW, THEN = "2020-21", "2019-20"
N_REPORTS = 4


@pytest.fixture(scope="module")
def scored_home(tmp_path_factory) -> Path:
    """A data home with the same 4 partnerships scored offline for two periods (built once;
    each test works on its own copy)."""
    root = tmp_path_factory.mktemp("analysis")
    home = root / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("REVIEW_ASSISTANT_HOME", str(home))
    mp.setenv("REVIEW_ASSISTANT_EMBEDDING__NAME", "hash")
    try:
        service = Assistant()
        for period in (NOW, THEN):
            folder = root / period
            generate_sample_set(folder, n=N_REPORTS, seed=11, period=period, length="short")
            service.score(folder, period=period, engine="offline")
    finally:
        mp.undo()
    return home


@pytest.fixture
def service(scored_home: Path, data_home: Path, monkeypatch) -> Assistant:
    shutil.copytree(scored_home, data_home, dirs_exist_ok=True)
    return Assistant()


def _reports(service: Assistant, period: str = NOW):
    return sorted(service.list_reports(period=period), key=lambda r: r.display_name)


def _draft(service: Assistant, report_id: str, qid: str):
    return next(d for d in service.drafts.for_report(report_id) if d.question_id == qid)


def _accept(service, rid, qid, reviewer="alice"):
    state = service.review_item(rid, qid)
    return service.record_decision(
        rid,
        qid,
        reviewer,
        "accept",
        draft_id=_draft(service, rid, qid).draft_id,
        base_event_id=state.last_event_id,
    )


def _edit(service, rid, qid, value, reviewer="alice"):
    state = service.review_item(rid, qid)
    return service.record_decision(
        rid,
        qid,
        reviewer,
        "edit",
        after=value,
        draft_id=_draft(service, rid, qid).draft_id,
        base_event_id=state.last_event_id,
    )


def test_figures_come_from_decisions_and_mark_what_rests_on_drafts(service):
    reports = _reports(service)
    before = service.analysis(NOW).finding("A6")
    assert before.undecided == before.n == N_REPORTS
    assert "rests on 4 undecided drafts" in before.caveat
    # every report's A6 decided: two edited to "evidenced", the rest accepted as drafted
    for r in reports[:2]:
        _edit(service, r.report_id, "A6", "evidenced")
    for r in reports[2:]:
        _accept(service, r.report_id, "A6")
    drafted = [_draft(service, r.report_id, "A6").answer for r in reports[2:]]
    after = service.analysis(NOW).finding("A6")
    assert after.undecided == 0 and after.caveat == ""
    evidenced = after.figures["evidenced"][1]
    assert evidenced.count == 2 + drafted.count("evidenced")
    assert {reports[0].report_id, reports[1].report_id} <= set(evidenced.members)
    assert f"evidenced {evidenced.count}/{N_REPORTS}" in after.sentence
    # a rejected draft is no answer: the denominator shrinks
    state = service.review_item(reports[0].report_id, "A1")
    service.record_decision(
        reports[0].report_id,
        "A1",
        "bob",
        "reject",
        draft_id=_draft(service, reports[0].report_id, "A1").draft_id,
        base_event_id=state.last_event_id,
    )
    a1 = service.analysis(NOW).finding("A1")
    assert a1.n == N_REPORTS - 1 and f"of {N_REPORTS - 1} reports" in a1.sentence
    analysis = service.analysis(NOW)
    assert analysis.n_decided == N_REPORTS + 1  # 4 on A6, and the rejection (no answer)
    assert "Answers decided by a reviewer: 5 of 132 by 2 reviewer(s)" in analysis.method_lines()[4]
    drafts_only = service.analysis(NOW, source="drafts").finding("A6")
    assert drafts_only.undecided == N_REPORTS


def test_docx_has_headings_tables_and_charts(service, tmp_path):
    from docx import Document

    reports = _reports(service)
    _edit(service, reports[0].report_id, "C8", "evidenced")
    code = main(["analysis", "--period", NOW, "--out", str(tmp_path / "out")])
    assert code == 0
    doc = Document(str(tmp_path / "out" / "analysis.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    for expected in (
        "Yearly analysis 2020-21",
        "Method",
        "Key findings",
        "Theme A: Prioritisation, progress and impact",
        "Theme B: Dissemination and embedding of learning",
        "Theme C: Meeting Working Together requirements",
        "Working Together requirements: evidence rating",
        "Charts",
        "Appendix: each report's answers",
    ):
        assert expected in headings, (expected, headings)
    for r in reports:
        assert f"{r.display_name} ({r.file_name})" in headings
    charts = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert "graded.png" in charts and "A2.png" in charts
    assert len(doc.inline_shapes) == len(charts)  # every chart is a picture in the document
    # the C8 split table (rating, reports, which) then one appendix table per report
    c8 = doc.tables[0]
    assert [c.text for c in c8.rows[0].cells] == ["Rating", "Reports", "Which"]
    assert [row.cells[0].text for row in c8.rows[1:]] == [
        "Not evidenced",
        "Partly evidenced",
        "Evidenced",
    ]
    assert sum(int(row.cells[1].text.split("/")[0]) for row in c8.rows[1:]) == N_REPORTS
    appendix = doc.tables[-N_REPORTS:]
    first = appendix[0]  # the document's order: by partnership name, as _reports
    row = next(r for r in first.rows if r.cells[0].text == "C8")
    assert row.cells[1].text == "Evidenced" and row.cells[2].text == "reviewer (alice)"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Answers decided by a reviewer: 1 of 132" in text
    notice = next(p for p in doc.paragraphs if p.text.startswith("Draft analysis generated"))
    captions = [p for p in doc.paragraphs if p.text in {c.removesuffix(".png") for c in charts}]
    assert len(captions) == len(charts)
    assert all(r.italic for p in [notice, *captions] for r in p.runs)  # set on the runs
    assert "† (rests on" in text  # figures still on drafts are marked


def test_html_is_self_contained_and_escapes_report_text(service, tmp_path):
    reports = _reports(service)
    hostile = '<img src=x onerror="window.__pwned=1"> Testshire'
    service.reports.update_identity(reports[0].report_id, partnership=hostile, period=None)
    paths = service.write_analysis(service.analysis(NOW), tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; Testshire" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") == len(list(tmp_path.glob("*.png")))
    assert "data-figure='A2:" in page and "<details class='report'" in page


def test_year_on_year_figures_and_partnership_changes(service, tmp_path):
    assert service.earlier_period(NOW) == THEN
    assert service.earlier_period(THEN) is None  # no 2018-19 reports
    assert service.earlier_period("not a period") is None
    now_reports, then_reports = _reports(service, NOW), _reports(service, THEN)
    assert [r.partnership for r in now_reports] == [r.partnership for r in then_reports]
    target_now, target_then = now_reports[0], then_reports[0]
    _edit(service, target_then.report_id, "A6", "not")
    _edit(service, target_now.report_id, "A6", "evidenced")
    analysis = service.analysis(NOW, compare=THEN)
    c = analysis.comparison
    neglect = next(f for f in c.figures if f.question_id == "A2" and f.label.startswith("Neglect"))
    assert neglect.then.of == neglect.now.of == N_REPORTS
    assert neglect.text.startswith(
        f"Neglect a priority: {neglect.then.count}/{N_REPORTS} → {neglect.now.count}/{N_REPORTS}"
    )
    change = next(p for p in c.partnerships if p.partnership == target_now.partnership)
    a6 = next(x for x in change.changes if x[0] == "A6")
    assert a6[2:] == ("Not evidenced", "Evidenced")
    paths = service.write_analysis(analysis, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert "Year on year: Yearly analysis 2019-20 → Yearly analysis 2020-21" in page
    assert "“Not evidenced” → “Evidenced”" in page
    from docx import Document

    doc = Document(str(paths["docx"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Year on year: Yearly analysis 2019-20 → Yearly analysis 2020-21" in text
    assert "A6: Not evidenced → Evidenced" in text
    assert any(t.rows[0].cells[0].text == "Figure" and len(t.columns) == 4 for t in doc.tables)


def _register_csv(path: Path, names: list[str]) -> Path:
    rows = [
        "Partnership,Region,Published,URL,Date published,Date sent to Panel,Date sent to What Works"
    ]
    # 0: both within 7 days; 1: panel on day 7; 2: What Works on day 8 only (late);
    # 3: not published; 4..: published, never sent
    for i, name in enumerate(names):
        region = "North" if i % 2 else "South"
        if i == 0:
            rows.append(
                f"{name},{region},yes,https://example.org/{i},2021-09-01,2021-09-03,03/09/2021"
            )
        elif i == 1:
            rows.append(f"{name},{region},yes,,2021-09-01,2021-09-08,")
        elif i == 2:
            rows.append(f"{name},{region},yes,,2021-09-01,,2021-09-09")
        elif i == 3:
            rows.append(f"{name},{region},no,,,,")
        else:
            rows.append(f'"{name}, the partnership",{region},yes,,2021-10-01,,')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_register_import_gives_compliance_figures(service, tmp_path, capsys):
    names = [r.partnership for r in _reports(service)] + [f"Place {i}" for i in range(6)]
    csv_path = _register_csv(tmp_path / "register.csv", names)
    assert main(["register", "import", str(csv_path), "--period", NOW]) == 0
    assert "10 partnerships imported" in capsys.readouterr().out
    analysis = service.analysis(NOW)
    figures = dict(analysis.compliance)
    assert figures["sent to either within 7 days"].text("slash") == "2/10"
    assert figures["sent to both within 7 days"].text("slash") == "1/10"
    assert figures["report published"].text("slash") == "9/10"
    assert "publication not recorded in the register" not in figures  # none left blank
    assert sorted(figures["sent to either within 7 days"].members) == sorted(names[:2])
    assert analysis.method_lines()[0] == (
        f"Reports analysed: {N_REPORTS} of 10 partnerships in the register (2020-21)."
    )
    page = service.write_analysis(analysis, tmp_path / "out")["html"].read_text("utf-8")
    assert "Sent to either within 7 days: <details class='num' data-figure='register:3'>" in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Partnership,Published\nA,yes\nB,maybe\n", "register.csv: row 3: published 'maybe'"),
        ("Partnership,Date published\nA,31/02/2021\n", "row 2: date_published '31/02/2021'"),
        ("Partnership,Colour\nA,red\n", "row 1: unknown column 'Colour'"),
        ("Partnership\nA\nB\na\n", "row 4: 'a' is already on row 2"),
        ("Region\nNorth\n", "row 1: no 'partnership' column"),
    ],
)
def test_bad_register_csv_names_file_and_row(service, tmp_path, capsys, body, message):
    path = tmp_path / "register.csv"
    path.write_text(body, encoding="utf-8")
    assert main(["register", "import", str(path), "--period", NOW]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert service.register_rows(NOW) == []  # nothing half-imported


def test_sample_is_reproducible_stratified_and_in_the_method(service, tmp_path, capsys):
    names = [f"Area {i:02d}" for i in range(30)]
    _register_csv(tmp_path / "register.csv", names)
    service.import_register(tmp_path / "register.csv", NOW)
    first = service.draw_sample(NOW, 6, 7, by="region")
    again = service.draw_sample(NOW, 6, 7, by="region")
    other = service.draw_sample(NOW, 6, 8, by="region")
    assert first.partnerships == again.partnerships != other.partnerships
    assert len(set(first.partnerships)) == 6
    assert "Area 03" not in first.partnerships  # not published: outside the population
    # 29 published: 14 North (odd; Area 03 unpublished), 15 South → 3 + 3
    assert first.strata == {"North": [14, 3], "South": [15, 3]}
    simple = service.draw_sample(NOW, 5, 7)
    assert simple.stratify_by is None and len(simple.partnerships) == 5
    assert main(["sample", "--period", NOW, "--n", "6", "--seed", "7", "--by", "region"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1:] == [f"  {p}" for p in first.partnerships]
    method = service.analysis(NOW).method_lines()[1]
    assert "6 of 29 partnerships drawn at random, stratified by region" in method
    assert "seed 7" in method and "0 of the 4 reports analysed are in the sample" in method
    assert main(["sample", "--period", NOW, "--n", "40", "--seed", "1"]) == 2


def test_examples_of_practice_and_agreement_from_the_field(service):
    reports = _reports(service)
    rid = reports[1].report_id
    _edit(service, rid, "A6", "evidenced")
    page = service.reports.pages(rid)
    number, text = next((n, t) for n, t in page.items() if len(t) > 80)
    quote = " ".join(text.split()[:12])
    event = service.mark_example(rid, "A6", "carol", page=number, quote=quote)
    assert event.action == "example" and event.payload["verification"] != "not_found"
    analysis = service.analysis(NOW)
    chosen = [e for e in analysis.examples if e.question.id == "A6" and e.chosen_by]
    assert [(e.report_id, e.passage.page, e.chosen_by) for e in chosen] == [(rid, number, "carol")]
    assert chosen[0].passage.quote == quote
    assert service.review_item(rid, "A6").answer == "evidenced"  # the mark changes no answer
    service.mark_example(rid, "A6", "carol", on=False)
    assert not [e for e in service.analysis(NOW).examples if e.chosen_by]

    _accept(service, reports[0].report_id, "A1")
    _accept(service, reports[2].report_id, "A1")
    _edit(service, reports[3].report_id, "A1", "no")
    state = service.review_item(reports[1].report_id, "A1")
    service.record_decision(
        reports[1].report_id,
        "A1",
        "bob",
        "reject",
        draft_id=_draft(service, reports[1].report_id, "A1").draft_id,
        base_event_id=state.last_event_id,
    )
    rows = {r["question_id"]: r for r in service.field_agreement()}
    assert (
        rows["A1"]["decided"],
        rows["A1"]["accepted"],
        rows["A1"]["edited"],
        rows["A1"]["rejected"],
    ) == (4, 2, 1, 1)
    assert rows["A1"]["accepted_rate"] == 0.5
    assert rows["A6"]["decided"] == 1 and rows["A6"]["edited"] == 1
    assert rows["B1a"]["decided"] == 0 and rows["B1a"]["accepted_rate"] is None


def test_blind_second_marking_agreement_anchoring_and_adjudication(service):
    reports = _reports(service)
    items = [(r.report_id, qid) for r in reports for qid in ("A6", "C8", "B2")]
    for rid, qid in items:  # alice reviews sighted: keeps every draft
        _accept(service, rid, qid)
    queue = service.blind_queue("bob")
    assert {(i.report_id, i.question.id) for i in queue} == set(items)
    assert not service.blind_queue("alice")  # she saw them: she cannot mark them blind
    assert not hasattr(queue[0], "draft") and not hasattr(queue[0], "first")
    with pytest.raises(Exception, match="already reviewed"):
        service.record_blind_mark(items[0][0], "A6", "alice", "not")
    disagree = items[0]
    for rid, qid in items:
        drafted = _draft(service, rid, qid).answer
        other = next(v for v in ("not", "partly", "evidenced") if v != drafted)
        service.record_blind_mark(rid, qid, "bob", other if (rid, qid) == disagree else drafted)
    with pytest.raises(Exception, match="already has a blind second mark"):
        service.record_blind_mark(disagree[0], disagree[1], "carol", "not")
    assert service.blind_queue("bob") == []
    report = service.second_marking(n_boot=200)
    n = len(items)
    assert report["items"] == n and report["disagreements"] == 1 and report["to_adjudicate"] == 1
    assert report["human_human"]["accuracy"] == pytest.approx((n - 1) / n)
    assert report["draft_vs_first"]["accuracy"] == pytest.approx(
        1.0
    )  # sighted alice kept every draft
    anchoring = report["anchoring"]
    assert (anchoring["sighted_kept_draft"], anchoring["blind_matched_draft"]) == (n, n - 1)
    assert anchoring["gap_points"] == round(100 / n)
    assert "kappa" in report["lines"][1] and "Anchoring" in report["lines"][3]
    # the adjudication queue holds the disagreement; its outcome becomes the final answer
    (waiting,) = service.adjudication_queue()
    assert (waiting.report_id, waiting.question.id) == disagree
    blind_value = waiting.blind.answer
    event = service.adjudicate(disagree[0], disagree[1], "carol", blind_value)
    assert "adjudicated: first" in event.note and "(bob)" in event.note
    assert service.review_item(*disagree).answer == blind_value
    assert service.adjudication_queue() == []
    history = service.review_history(*disagree)
    assert [e.reviewer for e in history] == ["alice", "carol"]  # the first answer stays
    analysis = service.analysis(NOW)
    assert analysis.answers[disagree[0]][disagree[1]].value == blind_value
    assert any("Blind second marking: 12 items" in line for line in analysis.second_marking)


def test_narrative_is_drafted_from_the_figures_only_and_marked(
    service, monkeypatch, scripted_llm, tmp_path, capsys
):
    from tests.doubles.scripted_llm_server import reply

    assert main(["analysis", "--period", NOW, "--narrative", "--out", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err  # no LLM endpoint configured: said, not guessed
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", scripted_llm.url)
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "scripted-model")
    monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MAX_RETRIES", "1")
    scripted_llm.handler = lambda body: reply(
        "Most reports described activity; 4 of 4 stated priorities, and 99 did something."
    )
    analysis = Assistant().analysis(NOW, narrative=True)
    assert sorted(analysis.narratives) == ["A", "B", "C"]
    story = analysis.narratives["A"]
    assert story.text.startswith("Most reports described activity")
    assert story.unknown_numbers == ["99"]  # not among the figures: flagged for checking
    assert story.label.startswith("Drafted by scripted-model from the figures only")
    prompts = [r.json["messages"][-1]["content"] for r in scripted_llm.chat_requests()]
    assert len(prompts) == 3 and prompts[0].startswith("Theme A: Prioritisation")
    assert analysis.finding("A1").sentence in prompts[0]
    for r in _reports(service):  # figures only: no report text, names or quotes in the prompt
        assert r.partnership not in "".join(prompts)
    paths = Assistant().write_analysis(analysis, tmp_path / "out")
    page = paths["html"].read_text("utf-8")
    assert "<p class='narrative' data-theme='A'>Most reports described activity" in page
    assert "check: numbers not in the figures: 99" in page


def test_cli_example_mark_agreement_and_register_show(service, tmp_path, capsys):
    report = _reports(service)[0]
    _edit(service, report.report_id, "B8", 4)
    assert main(["example", report.file_name, "B8", "--reviewer", "erin", "--note", "good"]) == 0
    assert "erin marked the answer as an example of practice (B8" in capsys.readouterr().out
    chosen = [e for e in service.analysis(NOW).examples if e.chosen_by == "erin"]
    assert [(e.question.id, e.report_id) for e in chosen] == [("B8", report.report_id)]
    assert main(["agreement"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].split() == ["B8", "1", "0", "1", "0", "0%"]
    assert "older version" not in out  # no decision on an older version: no such column
    _register_csv(tmp_path / "r.csv", ["One", "Two"])
    assert main(["register", "import", str(tmp_path / "r.csv"), "--period", NOW]) == 0
    assert main(["register", "show", "--period", NOW]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[-2].split()[:3] == ["One", "South", "yes"]
    assert main(["example", report.file_name, "B8", "--reviewer", "erin", "--page", "999"]) == 2
    assert "page 999 is not in this report" in capsys.readouterr().err


def _reject(service, rid, qid, reviewer="bob"):
    state = service.review_item(rid, qid)
    return service.record_decision(
        rid,
        qid,
        reviewer,
        "reject",
        draft_id=_draft(service, rid, qid).draft_id,
        base_event_id=state.last_event_id,
    )


def test_a_figure_says_which_reports_are_outside_its_denominator_and_why(service, tmp_path):
    from docx import Document

    reports = _reports(service)
    _reject(service, reports[0].report_id, "C8")
    state = service.review_item(reports[1].report_id, "C9")
    service.record_decision(
        reports[1].report_id, "C9", "alice", "enter", after="yes",
        base_event_id=state.last_event_id,
    )  # fmt: skip
    analysis = service.analysis(NOW)
    c8 = analysis.finding("C8")
    assert c8.n == N_REPORTS - 1
    assert c8.missing.members == [reports[0].report_id] and c8.missing.of == N_REPORTS
    assert c8.sentence.endswith(f"; no answer for 1 of {N_REPORTS} reports (1 draft rejected).")
    c9 = analysis.finding("C9")  # a reviewer-entered fact: never drafted
    assert c9.sentence.endswith(
        f"in 1 of 1 reports; no answer for {N_REPORTS - 1} of {N_REPORTS} reports "
        f"({N_REPORTS - 1} not yet entered by a reviewer)."
    )
    paths = service.write_analysis(analysis, tmp_path)
    page = paths["html"].read_text("utf-8")
    assert "<tr><td>No answer (1 draft rejected)</td><td><details class='num' " in page
    assert "data-figure='C8:none'><summary>1 of 4</summary>" in page
    c8_table = Document(str(paths["docx"])).tables[0]
    assert [c.text for c in c8_table.rows[-1].cells] == [
        "No answer (1 draft rejected)",
        f"1 of {N_REPORTS}",
        reports[0].display_name,
    ]


def test_an_example_never_quotes_the_draft_a_reviewer_overruled_and_marks_undecided_drafts(
    service, tmp_path
):
    reports = _reports(service)
    cited = [
        r
        for r in reports
        if (d := _draft(service, r.report_id, "B8")).answer < 3
        and any(c.verified and c.quote for c in d.citations)
    ]
    assert cited, "the fixture needs a B8 draft below level 3 with a verified citation"
    rid = cited[0].report_id
    drafted = _draft(service, rid, "B8")
    _edit(service, rid, "B8", 4)  # the draft's passage backs its own (lower) level, not 4
    analysis = service.analysis(NOW)
    (example,) = [e for e in analysis.examples if e.question.id == "B8" and e.report_id == rid]
    assert example.answer == "4 - Change in practice" and example.passage is None
    assert not example.undecided
    page = service.write_analysis(analysis, tmp_path / "a")["html"].read_text("utf-8")
    level = service.bank.get("B8").answer_label(drafted.answer)
    assert f"(cited for the draft's answer: {level})" in page
    # a passage the reviewer adds is the one quoted
    number, text = next((n, t) for n, t in service.reports.pages(rid).items() if len(t) > 80)
    quote = " ".join(text.split()[:10])
    state = service.review_item(rid, "B8")
    service.record_decision(
        rid, "B8", "alice", "passage", payload={"page": number, "quote": quote},
        base_event_id=state.last_event_id,
    )  # fmt: skip
    (example,) = [
        e for e in service.analysis(NOW).examples if e.question.id == "B8" and e.report_id == rid
    ]
    assert (example.passage.page, example.passage.quote, example.passage.by) == (
        number,
        quote,
        "reviewer",
    )
    # an example resting on a draft nobody decided says so, in every document (`example`
    # refuses such a mark now; one stored before it did is still shown, marked)
    other = next(r for r in reports if r.report_id != rid)
    state = service.review_item(other.report_id, "B6")
    service.record_decision(
        other.report_id, "B6", "carol", "example", payload={"on": True},
        base_event_id=state.last_event_id,
    )  # fmt: skip
    analysis = service.analysis(NOW)
    (marked,) = [e for e in analysis.examples if e.chosen_by == "carol"]
    assert marked.undecided
    paths = service.write_analysis(analysis, tmp_path / "b")
    page = paths["html"].read_text("utf-8")
    assert "(chosen by carol)</span> <span class='undecided'>† undecided draft</span>" in page
    from docx import Document

    text = "\n".join(p.text for p in Document(str(paths["docx"])).paragraphs)
    assert "(chosen by carol) † (undecided draft)" in text
    saved = json.loads(paths["json"].read_text("utf-8"))
    assert [e["undecided"] for e in saved["examples"] if e["chosen_by"] == "carol"] == [True]


def test_the_method_names_the_reports_the_register_does_not_list(service, tmp_path):
    reports = _reports(service)
    names = [r.partnership for r in reports[:2]] + ["Place A", "Place B", "Place C"]
    service.import_register(_register_csv(tmp_path / "register.csv", names), NOW)
    line = service.analysis(NOW).method_lines()[0]
    outside = "; ".join(sorted(r.display_name for r in reports[2:]))
    assert line == (
        f"Reports analysed: {N_REPORTS} (2020-21); 2 of them of partnerships in the register, "
        f"which lists 5; not in the register: {outside}."
    )


def test_a_stratified_sample_draws_from_every_stratum_when_n_allows(service, tmp_path):
    rows = ["Partnership,Region,Published"]
    rows += [f"North {i:02d},North,yes" for i in range(10)] + ["South 00,South,yes"]
    path = tmp_path / "register.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    service.import_register(path, NOW)
    sample = service.draw_sample(NOW, 5, 1, by="region")
    assert sample.strata == {"North": [10, 4], "South": [1, 1]}
    assert "South 00" in sample.partnerships and len(sample.partnerships) == 5
    assert service.draw_sample(NOW, 5, 1, by="region").partnerships == sample.partnerships
    assert service.draw_sample(NOW, 1, 1, by="region").strata == {
        "North": [10, 1],
        "South": [1, 0],
    }  # n below the strata: the proportional share alone


def test_the_reports_behind_a_number_are_listed_by_name(service, tmp_path):
    analysis = service.analysis(NOW)
    names = [r.display_name for r in _reports(service)]
    key, count = max(
        ((f"{f.question.id}:{k}", c) for f in analysis.findings for k, (_, c) in f.figures.items()),
        key=lambda kc: kc[1].count,
    )
    assert count.count >= 3
    shown = [analysis.reports[m].display_name for m in count.members]
    assert shown == [n for n in names if n in shown]  # the document's order, not the ids'
    page = service.write_analysis(analysis, tmp_path)["html"].read_text("utf-8")
    figure = page.split(f"data-figure='{key}'>", 1)[1].split("</div></details>", 1)[0]
    listed = [chunk.split("</summary>", 1)[0] for chunk in figure.split("<summary>")[2:]]
    assert [html.unescape(x) for x in listed] == shown


def test_a_register_row_without_publication_is_counted_as_not_recorded(service, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("Partnership,Published\nOne,yes\nTwo,no\nThree,\nFour,\n", "utf-8")
    service.import_register(path, NOW)
    figures = dict(service.analysis(NOW).compliance)
    assert figures["report published"].text("slash") == "1/4"
    unknown = figures["publication not recorded in the register"]
    assert (unknown.text("slash"), sorted(unknown.members)) == ("2/4", ["Four", "Three"])


def _run_of(service: Assistant, period: str) -> str:
    return next(r["run_id"] for r in service.score_runs() if r["label"] == period)


def test_a_run_sets_the_analysis_period_and_one_of_another_period_is_refused(
    service, tmp_path, capsys
):
    then_run = _run_of(service, THEN)
    names = [r.partnership for r in _reports(service)]
    service.import_register(_register_csv(tmp_path / "register.csv", names), NOW)
    out = str(tmp_path / "out")
    assert main(["analysis", "--period", NOW, "--run", then_run, "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: run {then_run} is of {THEN}, not {NOW}: drop --period")
    assert len(err.strip().splitlines()) == 1
    analysis = service.analysis(run_id=then_run)  # the run names its period
    assert (analysis.title, analysis.period) == (f"Yearly analysis {THEN}", THEN)
    assert analysis.compliance == []  # 2020-21's register is not 2019-20's
    assert {r.period for r in analysis.reports.values()} == {THEN}
    assert service.analysis(THEN, run_id=then_run).period == THEN


def test_analysis_takes_a_unique_prefix_of_a_run_id_as_cohort_and_export_do(
    service, tmp_path, capsys
):
    then_run = _run_of(service, THEN)
    prefix = then_run.removeprefix("run-")[:5]
    assert main(["analysis", "--run", prefix, "--out", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().out.startswith(f"Yearly analysis {THEN}: {N_REPORTS} reports")
    assert service.analysis(run_id=then_run[:8]).run_id == then_run
    assert main(["cohort", "--run", prefix]) == 0  # the same resolver
    capsys.readouterr()
    assert main(["analysis", "--run", "run-zz", "--out", str(tmp_path / "b")]) == 2
    assert "error: no scoring run run-zz: list them with `review-assistant runs`" in (
        capsys.readouterr().err
    )


def test_analysis_refuses_a_period_that_is_not_one(service, tmp_path, capsys):
    assert main(["analysis", "--period", "2020", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: period '2020' is not a reporting period: use 2020-21")
    assert main(["analysis", "--period", "2020/21", "--out", str(tmp_path)]) == 0


def test_year_on_year_with_the_analysis_own_period_or_run_is_refused(service, tmp_path, capsys):
    out = str(tmp_path / "out")
    now_run, then_run = _run_of(service, NOW), _run_of(service, THEN)
    for args in (
        ["--period", NOW, "--compare", NOW],
        ["--period", NOW, "--compare", "2020/21"],
        ["--period", NOW, "--compare", now_run],
        ["--run", now_run, "--compare", now_run[:9]],
    ):
        assert main(["analysis", *args, "--out", out]) == 2, args
        err = capsys.readouterr().err
        assert "year on year compares another period" in err and "--compare 2019-20" in err
    assert main(["analysis", "--run", now_run, "--compare", then_run[:9], "--out", out]) == 0
    assert "year on year:" in capsys.readouterr().out
    assert main(["analysis", "--period", NOW, "--compare", "2020", "--out", out]) == 2
    assert "'2020' is neither a reporting period nor a scoring run" in capsys.readouterr().err
    # then → now reads from an earlier period: a later one is refused, saying what to run
    assert main(["analysis", "--period", THEN, "--compare", NOW, "--out", out]) == 2
    err = capsys.readouterr().err
    assert f"--compare {NOW} is of {NOW}, later than the analysis's {THEN}" in err
    assert f"analyse {NOW} with --compare {THEN}" in err


def test_register_show_without_a_register_says_how_to_import_one(service, capsys):
    assert main(["register", "show", "--period", NOW]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: no register for {NOW}: import one first: "
        f"review-assistant register import FILE.csv --period {NOW}\n"
    )
    assert main(["sample", "--period", NOW, "--n", "1", "--seed", "1"]) == 2
    assert capsys.readouterr().err == err  # as sample says it
    assert main(["register", "show", "--period", NOW, "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == f"no register for {NOW}"


def test_example_refuses_an_answer_no_reviewer_decided(service, capsys):
    report = _reports(service)[0]
    rid = report.report_id
    assert main(["example", report.file_name, "b6", "--reviewer", "erin"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: B6 of {report.display_name} has no decided answer to use as an example (no "
        "reviewer has decided it): decide the answer first (accept, edit or enter it in the "
        "review tab: review-assistant serve), then mark it\n"
    )
    assert service.review_item(rid, "B6").example is None  # nothing stored
    _reject(service, rid, "B6")
    with pytest.raises(ReviewAssistantError, match="its draft was rejected, so it has none"):
        service.mark_example(rid, "B6", "erin")
    _accept(service, rid, "B6")
    assert main(["example", report.file_name, "B6", "--reviewer", "erin"]) == 0
    assert [e.chosen_by for e in service.analysis(NOW).examples if e.report_id == rid] == ["erin"]
    assert not any(e.undecided for e in service.analysis(NOW).examples if e.chosen_by)
    _edit(service, rid, "B6", "no")  # a mark stays on a changed answer, and can be removed
    assert main(["example", report.file_name, "B6", "--reviewer", "erin", "--off"]) == 0


def test_exports_write_times_as_utc_date_times_excel_reads(service, tmp_path):
    import csv
    from datetime import datetime

    from openpyxl import load_workbook

    report = _reports(service)[0]
    event = _accept(service, report.report_id, "A1")
    decided = datetime.fromisoformat(event.created_at).replace(tzinfo=None)
    assert main(["review-export", "--out", str(tmp_path / "final.csv")]) == 0
    with (tmp_path / "final.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    (row,) = [r for r in rows if r["Report id"] == report.report_id and r["Question id"] == "A1"]
    assert row["Decided at (UTC)"] == decided.strftime("%Y-%m-%d %H:%M:%S")  # no T, no +00:00
    assert main(["review-export", "--out", str(tmp_path / "final.xlsx")]) == 0
    book = load_workbook(tmp_path / "final.xlsx")
    for sheet, column in (("Final answers", "Decided at (UTC)"), ("Decision log", "At (UTC)")):
        header = [c.value for c in book[sheet][1]]
        cells = [r[header.index(column)] for r in book[sheet].iter_rows(min_row=2)]
        stamped = [c for c in cells if c.value is not None]
        assert stamped and all(c.is_date for c in stamped), sheet
        assert all(c.number_format == "yyyy-mm-dd hh:mm:ss" for c in stamped), sheet
        assert decided in [c.value for c in stamped], sheet
    # the run export's draft times alike
    run = _run_of(service, NOW)
    assert main(["export", "--run", run, "--out", str(tmp_path / "run")]) == 0
    with (tmp_path / "run" / "drafts-long.csv").open(encoding="utf-8-sig") as handle:
        made = [r["created_at_utc"] for r in csv.DictReader(handle)]
    assert made and all(datetime.strptime(m, "%Y-%m-%d %H:%M:%S") for m in made)
    sheet = load_workbook(tmp_path / "run" / "drafts.xlsx")["drafts"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("created_at_utc") + 1)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm:ss"


def test_a_report_sent_before_its_publication_date_is_a_warning_not_sent_in_time(
    service, tmp_path, capsys
):
    path = tmp_path / "register.csv"
    path.write_text(
        "Partnership,Published,Date published,Date sent to Panel,Date sent to What Works\n"
        "On time,yes,2021-09-01,2021-09-01,2021-09-08\n"
        "Early,yes,2021-09-10,2021-09-03,\n"
        "Swapped,yes,2021-09-10,2021-09-12,2021-08-30\n",
        "utf-8",
    )
    assert main(["register", "import", str(path), "--period", NOW]) == 0
    captured = capsys.readouterr()
    assert "3 partnerships imported" in captured.out
    assert captured.err.splitlines() == [
        "warning: register.csv: row 3: 'Early' sent to the Panel on 2021-09-03, before its "
        "publication date 2021-09-10: not counted as sent within 7 days; check the dates",
        "warning: register.csv: row 4: 'Swapped' sent to What Works on 2021-08-30, before its "
        "publication date 2021-09-10: not counted as sent within 7 days; check the dates",
    ]
    figures = dict(service.analysis(NOW).compliance)
    panel = figures["sent to the Panel within 7 days of publication"]
    assert (panel.text("slash"), sorted(panel.members)) == ("2/3", ["On time", "Swapped"])
    assert figures["sent to What Works within 7 days of publication"].members == ["On time"]
    assert figures["sent to both within 7 days"].members == ["On time"]
    early = figures["sent before the publication date in the register (dates to check)"]
    assert (early.text("slash"), sorted(early.members)) == ("2/3", ["Early", "Swapped"])


def test_an_analysis_of_the_drafts_reads_no_reviewer_decision(service, tmp_path):
    from docx import Document

    reports = _reports(service)
    rid = reports[1].report_id
    _edit(service, rid, "A6", "evidenced")
    number, text = next((n, t) for n, t in service.reports.pages(rid).items() if len(t) > 80)
    quote = " ".join(text.split()[:10])
    state = service.review_item(rid, "A6")
    service.record_decision(
        rid, "A6", "carol", "passage", payload={"page": number, "quote": quote},
        base_event_id=state.last_event_id,
    )  # fmt: skip
    service.mark_example(rid, "A6", "carol", page=number, quote=quote)
    decided = service.analysis(NOW)
    assert [e.chosen_by for e in decided.examples if e.chosen_by] == ["carol"]
    assert any(r["decided"] for r in decided.agreement)

    drafts = service.analysis(NOW, source="drafts")
    assert "reviewers' decisions ignored" in drafts.method_lines()[-1]
    assert not [e for e in drafts.examples if e.chosen_by]  # carol's choice is a decision
    answers = [a for by_q in drafts.answers.values() for a in by_q.values()]
    assert {a.status for a in answers} == {"undecided"} and not any(a.example for a in answers)
    assert not [p for a in answers for p in a.passages if p.by == "reviewer"]
    assert drafts.agreement == []  # how reviewers treated the drafts: not this analysis
    paths = service.write_analysis(drafts, tmp_path)
    page = paths["html"].read_text("utf-8")
    assert "chosen by carol" not in page and "Agreement from the field" not in page
    assert html.escape(quote) not in page
    notice = Document(str(paths["docx"])).paragraphs[1].text
    assert notice.startswith("Draft analysis generated by the review assistant from the machine")
