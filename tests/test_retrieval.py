"""Retrieval that depends on one report alone, with deterministic tie-breaks."""

from __future__ import annotations

from assistant.drafting.drafter import question_queries, retrieve_evidence
from tests.make_pdf import text_pdf


def _rankings(assistant, report_ids, questions) -> dict:
    out = {}
    for rid in report_ids:
        for q in questions:
            query = q.text
            out[(rid, q.id, "lexical")] = assistant.index.lexical(query, [rid], 40)
            out[(rid, q.id, "dense")] = assistant.index.dense(query, [rid], 40)
            blocks = retrieve_evidence(assistant.index, question_queries(q), rid)
            out[(rid, q.id, "evidence")] = [b.passage.chunk_id for b in blocks]
    return out


def test_a_reports_rankings_and_drafts_do_not_change_when_other_reports_are_ingested(
    assistant, tmp_path
):
    """Issue 11 item 6: BM25 statistics (and dense similarity) are each report's own."""
    from evals.synthetic.sample_reports import generate_sample_set

    files = [r.path for r in generate_sample_set(tmp_path / "year", n=10, seed=77)]
    first = [r.report.report_id for r in assistant.ingest(files[:6])]
    questions = [q for q in assistant.bank.questions if q.answerable_from_text]
    before = _rankings(assistant, first, questions)
    drafter = assistant.drafter("offline")
    drafts_before = {
        (rid, o.draft.question_id): (o.draft.answer, o.draft.pages)
        for rid in first
        for o in drafter.draft_report(assistant.reports.get(rid), questions)
    }
    assert all(before[(first[0], q.id, "lexical")] for q in questions[:3])

    list(assistant.ingest(files[6:]))
    assert len(assistant.list_reports()) == 10
    after = _rankings(assistant, first, questions)
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"{len(changed)} of {len(before)} rankings changed, e.g. {changed[:3]}"
    drafts_after = {
        (rid, o.draft.question_id): (o.draft.answer, o.draft.pages)
        for rid in first
        for o in drafter.draft_report(assistant.reports.get(rid), questions, replace=True)
    }
    assert drafts_after == drafts_before


def test_equal_passages_rank_in_reading_order_every_time(assistant, tmp_path):
    """Issue 9 item 16: ties (the same passage on several pages) break by reading order, and
    every search returns the same ranking."""
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    same = "The neglect audit found that plans improved for most children."
    pages = [["Ashcombe Safeguarding Children Partnership", "Annual Report 2020-21"]]
    for name in names:  # distinct edge lines of equal length: not running headers
        pages.append([f"Part {name}", f"Note {name}", f"Item {name}", same] + [f"End {name}"] * 3)
    pages += [["Budget", "The partners paid for the business unit."]] * 3
    path = text_pdf(tmp_path / "ties.pdf", pages)
    [result] = list(assistant.ingest([path]))
    rid = result.report.report_id
    page_of = {c.chunk_id: c.page for c in assistant.index.report_chunks(rid)}
    query = "neglect audit plans improved"
    lexical = [assistant.index.lexical(query, [rid], 10) for _ in range(3)]
    assert lexical[0] == lexical[1] == lexical[2]
    assert [page_of[c] for c in lexical[0]] == [2, 3, 4, 5, 6]
    dense = [assistant.index.dense(query, [rid], 10) for _ in range(3)]
    assert dense[0] == dense[1] == dense[2]
    hybrid = [[p.page for p in assistant.search(rid, query, k=5)] for _ in range(3)]
    assert hybrid[0] == hybrid[1] == hybrid[2]
    assert sorted(hybrid[0]) == [2, 3, 4, 5, 6]


def test_tied_passages_of_several_reports_rank_the_same_whatever_the_ingest_order(tmp_path):
    """Issue 9 item 16: a library-wide or multi-report search breaks ties by report and reading
    order, not by the order the reports happened to be ingested in."""
    from assistant.config import load_settings
    from assistant.service import Assistant

    same = ["Neglect audit", "The neglect audit found that plans improved for most children."]
    files = []
    for name in ("Ashcombe", "Belmarsh"):
        cover = [f"{name} Safeguarding Children Partnership", "Annual Report 2020-21"]
        files.append(text_pdf(tmp_path / f"{name}.pdf", [cover, same, ["Budget", "Paid."]]))
    orders = []
    for number, order in enumerate((files, files[::-1])):
        lib = Assistant(load_settings(home=tmp_path / f"home{number}"))
        ids = {r.report.partnership: r.report.report_id for r in lib.ingest(order)}
        both = sorted(ids.values())
        orders.append(
            (
                lib.index.lexical("neglect audit", None, 10),
                lib.index.lexical("neglect audit", both, 10),
                lib.index.dense("neglect audit", both, 10),
                [p.chunk_id for p in lib.search(None, "neglect audit", k=4)],
            )
        )
    assert orders[0] == orders[1]
    assert len(orders[0][0]) == 2


def test_a_question_about_data_reaches_the_pages_where_the_figures_are(
    assistant, tmp_path, monkeypatch
):
    """Issue 11 item 3: a scorecard of figures over time ranks low on the question's words."""
    from assistant import retrieval_strategies

    prose = [
        "The partnership works with police, health and children's social care on data.",
        "Partners share multi-agency data and discuss performance trends at every meeting.",
        "A data dashboard is being developed so that figures can be compared with the "
        "previous year.",
    ]
    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    names = "Ash Birch Cedar Damson Elder Fir Gorse Hazel Ivy".split()
    pages += [[f"{name} locality", *(f"In {name}, {line}" for line in prose)] for name in names]
    rows = [f"R{n}  2018-19 {10 + n}%  2019-20 {12 + n}%  2020-21 {15 + n}%" for n in range(8)]
    pages.append(["Appendix: scorecard", *rows])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    a10 = assistant.bank.get("A10")
    with_data = [b.page for b in retrieve_evidence(assistant.index, question_queries(a10), rid)]
    assert 11 in with_data
    page_of = {c.chunk_id: c.page for c in assistant.index.report_chunks(rid)}
    assert retrieval_strategies.data_pages(assistant.index.report_view(rid), page_of) == [11]
    monkeypatch.setattr(retrieval_strategies, "DATA_WEIGHT", 0.0)
    without = [b.page for b in retrieve_evidence(assistant.index, question_queries(a10), rid)]
    assert 11 not in without[: with_data.index(11) + 1]


def test_a_question_on_each_priority_reaches_the_priority_chapters(assistant, tmp_path):
    """Issue 11 item 3: the priorities list points to a chapter per priority."""
    from assistant import retrieval_strategies

    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    pages.append(["Our priorities", "We agreed three priorities: neglect, exploitation and "
                  "early help. What partners did on each priority is set out below."])
    for n, theme in enumerate(["Neglect", "Exploitation", "Early help"], start=1):
        pages.append([f"Priority {n}: {theme}", f"The {theme.lower()} group met six times.",
                      "Leads from health, police and the council took part."])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    view = assistant.index.report_view(result.report.report_id)
    labels, section_of, page_of = view.sections(assistant.index)
    assert retrieval_strategies.priority_pages(labels, section_of, page_of) == [3, 4, 5]


def test_a_question_on_the_period_covered_reaches_the_pages_that_state_the_dates(
    assistant, tmp_path, monkeypatch
):
    """Issue 11 item 3: the cover and the foreword state the span of dates; a search on the
    question's words finds every page about "the year" instead."""
    from assistant import retrieval_strategies

    pages = [["Hartwell Safeguarding Children Partnership", "Yearly Report",
              "Covering 1 April 2020 to 31 March 2021"]]
    pages.append(["Foreword", "Welcome to our report. It has been a hard time for families.",
                  "Thank you to all staff for their work."])
    names = "Ash Birch Cedar Damson Elder Fir Gorse Hazel Ivy Juniper".split()
    pages += [
        [f"{name} team", f"During the year the {name} team covered the period of lockdown "
         "and reported on its work each period of the year.",
         f"The {name} report for the year covers what the team did over the period."]
        for name in names
    ]
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    c1 = assistant.bank.get("C1")
    page_of = {c.chunk_id: c.page for c in assistant.index.report_chunks(rid)}
    view = assistant.index.report_view(rid)
    assert retrieval_strategies.period_pages(view, page_of) == [1]
    with_period = [b.page for b in retrieve_evidence(assistant.index, question_queries(c1), rid)]
    assert 1 in with_period[:3]
    monkeypatch.setattr(retrieval_strategies, "PERIOD_WEIGHT", 0.0)
    without = [b.page for b in retrieve_evidence(assistant.index, question_queries(c1), rid)]
    assert 1 not in without[:3]


def test_a_questions_topic_keywords_are_one_more_phrasing(assistant):
    """Issue 11 item 3: the audit tool's own names for the topic ("dashboard", "LCSPR") are
    what reports' headings and tables use; they are searched as one phrasing."""
    a10 = assistant.bank.get("A10")
    queries = question_queries(a10)
    assert queries[: 1 + len(a10.retrieval_queries)] == [a10.text, *a10.retrieval_queries]
    assert queries[-1] == " ".join(a10.keywords["topic"])
    bare = a10.model_copy(update={"keywords": {}})
    assert question_queries(bare) == [a10.text, *a10.retrieval_queries]


def test_a_table_of_figures_at_one_point_in_time_is_a_data_page_after_the_trends(
    assistant, tmp_path, monkeypatch
):
    """Issue 11 item 3: a table of counts at one date answers a data question ("partly");
    it is ranked after the pages of figures over time."""
    from assistant import retrieval_strategies

    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    pages += [[f"{name} locality", f"In {name}, partners met to talk about data and figures."]
              for name in "Ash Birch Cedar Damson".split()]
    pages.append(["Our area", "Children's social care figures at the end of March:",
                  "Measure", "Number", "Children in need", "2,400",
                  "Child protection plans", "240", "Looked-after children", "632",
                  "Early help assessments", "1,200"])
    rows = [f"R{n}  2018-19 {10 + n}%  2019-20 {12 + n}%  2020-21 {15 + n}%" for n in range(8)]
    pages.append(["Appendix: scorecard", *rows])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    page_of = {c.chunk_id: c.page for c in assistant.index.report_chunks(rid)}
    view = assistant.index.report_view(rid)
    assert retrieval_strategies.data_pages(view, page_of) == [7, 6]
    monkeypatch.setattr(retrieval_strategies, "TABLE_PAGES", 0)
    assert retrieval_strategies.data_pages(view, page_of) == [7]


def test_a_question_on_each_priority_gives_every_priority_chapter_a_leading_place(
    assistant, tmp_path, monkeypatch
):
    """Issue 11 item 3: the priorities list names each priority ("Priority 2: Safer outside
    the home") and the chapters about them carry only the name; every priority's chapter gets
    a leading place, not only the first ones of one ranking."""
    from assistant import retrieval_strategies

    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    pages.append(["Our priorities for 2020-21", "We kept three priorities this year.",
                  "Priority 1: Children living with domestic abuse",
                  "Priority 2: Safer outside the home", "Priority 3: Hearing children"])
    names = "Ash Birch Cedar Damson Elder Fir Gorse Hazel Ivy Juniper".split()
    pages += [
        [f"{name} subgroup", f"Progress on our priorities: the {name} subgroup took actions "
         "during the year and reported progress to partners.",
         f"Work undertaken by the {name} subgroup on each priority is ongoing."]
        for name in names
    ]
    chapters = ["Children living with domestic abuse", "Safer outside the home",
                "Hearing children: what they told us"]
    for title in chapters:
        pages.append([title, "We set up a new team in June 2020 and trained 64 champions.",
                      "Schools are told before the next school day."])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    view = assistant.index.report_view(rid)
    labels, section_of, page_of = view.sections(assistant.index)
    assert retrieval_strategies.stated_priorities(view, page_of, labels) == {
        1: "Children living with domestic abuse", 2: "Safer outside the home",
        3: "Hearing children",
    }
    assert retrieval_strategies.priority_chapters(view, labels, section_of, page_of) == [
        [13], [14], [15]
    ]
    a5 = assistant.bank.get("A5")
    with_chapters = [b.page for b in retrieve_evidence(assistant.index, question_queries(a5), rid)]
    assert {13, 14, 15} <= set(with_chapters[:5])
    monkeypatch.setattr(retrieval_strategies, "CHAPTER_WEIGHT", 0.0)
    without = [b.page for b in retrieve_evidence(assistant.index, question_queries(a5), rid)]
    assert not {13, 14, 15} <= set(without[:5])


def test_a_synthesis_question_gives_the_best_page_of_each_requirement_a_place():
    """Issue 11 item 3: an overall judgement (C8) is evidenced where each requirement is
    answered; its own first page leads, then each part's best page in turn, then its own rest."""
    from assistant import retrieval_strategies

    page_of = {f"p{n}": n for n in range(1, 21)} | {"p4b": 4}
    own = [("p20", 0.9), ("p19", 0.8), ("p18", 0.7), ("p4b", 0.6)]
    parts = [[("p4", 0.5), ("p5", 0.4)], [("p20", 0.5), ("p4b", 0.45), ("p7", 0.3)]]
    order = retrieval_strategies.synthesis_order(own, parts, page_of)
    assert [c for c, _ in order] == ["p20", "p4", "p5", "p7", "p19", "p18", "p4b"]


def test_the_overall_question_reads_the_evidence_of_each_requirement(assistant, tmp_path):
    """Issue 11 item 3: C8 names the questions on each requirement (`evidence_from`); their
    pages reach C8's evidence, which its own words rank below pages that restate the aim."""
    from assistant.drafting.drafter import question_parts

    c8 = assistant.bank.get("C8")
    assert [q.id for q in c8.evidence_questions] == ["A9", "A10", "A6", "A8", "B2", "B3", "C6"]
    assert question_parts(c8)[0] == question_queries(assistant.bank.get("A9"))
    assert question_parts(assistant.bank.get("A9")) is None
    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    names = "Ash Birch Cedar Damson Elder Fir Gorse Hazel Ivy Juniper".split()
    pages += [
        [f"{name} board", f"The {name} board checks that the arrangements are effective and that "
         "the partners have done what the arrangements require, with evidence and data.",
         f"The {name} board says the safeguarding partners met the requirements."]
        for name in names
    ]
    pages.append(["Actions on review recommendations", "The Child P review made four "
                  "recommendations; the action plan is complete and a re-audit found "
                  "safety plans in 9 of 10 cases."])
    pages.append(["What children and families told us", "Young people told us conferences "
                  "were scary, so chairs now meet every child before the conference."])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    own = [b.page for b in retrieve_evidence(assistant.index, question_queries(c8), rid)]
    assert not {12, 13} <= set(own[:8])
    both = [
        b.page
        for b in retrieve_evidence(
            assistant.index, question_queries(c8), rid, parts=question_parts(c8)
        )
    ]
    assert {12, 13} <= set(both[:8])


def test_a_page_that_restates_the_requirements_moves_back_as_a_whole(
    assistant, tmp_path, monkeypatch
):
    """Issue 11 item 3: "About this report" restates the guidance and then says where the
    report covers each topic; the restating passage moves back, and so does its page, whose
    roadmap passage matches every question and evidences none."""
    from assistant import retrieval_strategies

    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    pages.append([
        "About this report",
        *["Working Together 2018 requires the partners to publish a report. It must set out "
          "how effective the arrangements have been and should include evidence of the impact "
          "of the partners' work, including training, on outcomes for children and families."]
        * 5,
        *["How the report is organised: the report sets out the impact on outcomes for "
          "children and families, what difference our work has made, what changed for "
          "children and families as a result, and the audit findings that showed improvement "
          "in practice."] * 5,
    ])
    for name in ("Neglect", "Exploitation", "Early help"):
        pages.append([f"{name} subgroup", f"Repeat {name.lower()} plans fell from 24% to 16% "
                      "over two years, and the re-audit found better plans in 14 of 24 cases.",
                      "Families told us they now know who to call."])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    a6 = assistant.bank.get("A6")
    demoted = [b.page for b in retrieve_evidence(assistant.index, question_queries(a6), rid)]
    assert demoted.index(2) >= 3
    monkeypatch.setattr(retrieval_strategies, "RESTATED_PAGE", 1.0)
    kept = [b.page for b in retrieve_evidence(assistant.index, question_queries(a6), rid)]
    assert kept.index(2) < demoted.index(2)


def test_data_pages_leave_out_the_contents_and_keep_a_short_table(assistant, tmp_path):
    """Issue 11 item 3: a contents page's page numbers are lines that are a figure alone, and
    took the slots of real tables; "key figures at the year end" is often a three-row table."""
    from assistant import retrieval_strategies

    contents = ["Contents"]
    for number, title in enumerate(["Foreword", "Our area", "Ash", "Birch", "Cedar"], start=3):
        contents += [title, str(number)]
    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"], contents]
    pages.append(["Foreword", "Welcome to our report on the year."])
    pages.append(["Our area", "Key figures from children's services at the year end:",
                  "Children in need", "2,175", "Child protection plans", "248",
                  "Early help assessments", "1,087"])
    for name, size in (("Ash", 9), ("Birch", 7), ("Cedar", 5)):
        pages.append([name, *(f"{name} item {n}\n{10 * n + 1}" for n in range(size))])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    view = assistant.index.report_view(rid)
    page_of = {c.chunk_id: c.page for c in assistant.index.report_chunks(rid)}
    assert 2 in retrieval_strategies.data_pages(view, page_of)
    tables = retrieval_strategies.data_pages(view, page_of, {2})
    assert 2 not in tables and 4 in tables


def test_a_question_on_the_difference_made_reaches_the_case_studies(
    assistant, tmp_path, monkeypatch
):
    """Issue 11 item 3: a case study tells one child's story in words that share little with
    the question's; a question on the difference made also ranks the case-study pages."""
    from assistant import retrieval_strategies

    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    names = "Ash Birch Cedar Damson Elder Fir Gorse Hazel Ivy Juniper".split()
    pages += [
        [f"{name} subgroup", f"The {name} subgroup looked at the impact on outcomes for "
         "children and families and at what difference the work has made.",
         f"The {name} subgroup will show the difference made for children next year."]
        for name in names
    ]
    pages.append(["Case study: Kyle", "Kyle was referred to the youth justice team in June.",
                  "Kyle was moved to a new provision with a mentor. After six months he went "
                  "missing once and attended four days a week."])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    view = assistant.index.report_view(rid)
    labels, section_of, page_of = view.sections(assistant.index)
    assert retrieval_strategies.case_pages(labels, section_of, page_of) == [12]
    a7 = assistant.bank.get("A7")
    with_cases = [b.page for b in retrieve_evidence(assistant.index, question_queries(a7), rid)]
    monkeypatch.setattr(retrieval_strategies, "CASE_WEIGHT", 0.0)
    without = [b.page for b in retrieve_evidence(assistant.index, question_queries(a7), rid)]
    assert with_cases.index(12) < (without.index(12) if 12 in without else len(without))


def test_the_impact_and_review_questions_ask_what_changed(assistant, tmp_path):
    """Issue 11 item 3: reports head the evidence of change "What changed for children" and
    "What changed in practice after the review"; A6 and B2 ask it in those words."""
    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    names = "Ash Birch Cedar Damson Elder Fir Gorse Hazel Ivy Juniper".split()
    pages += [
        [f"{name} group", f"The {name} group reviewed its impact and its outcomes, discussed the "
         "recommendations of reviews and agreed a review action plan with partners.",
         f"The {name} group will report on audit findings and on the difference it made."]
        for name in names
    ]
    pages.append(["What changed for children and families as a result",
                  "Fewer young people went missing after the new team started."])
    pages.append(["What changed in practice",
                  "After the Child P review health visitors see mothers alone at every visit."])
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    for qid, page, phrasing in (
        ("A6", 12, "what changed for children and families as a result"),
        ("B2", 13, "what changed in practice after the review"),
    ):
        question = assistant.bank.get(qid)
        assert phrasing in question.retrieval_queries
        got = [b.page for b in retrieve_evidence(assistant.index, question_queries(question), rid)]
        bare = question.model_copy(
            update={"retrieval_queries": [q for q in question.retrieval_queries if q != phrasing]}
        )
        before = [b.page for b in retrieve_evidence(assistant.index, question_queries(bare), rid)]
        assert got.index(page) < (before.index(page) if page in before else len(before)), qid


def test_a_question_on_relevant_agencies_reaches_the_agencies_own_pages(assistant, tmp_path):
    """The partner agencies' pages ("In their own words") are rarely headed "relevant
    agencies": a page naming three kinds of agency or more is an agency page for C3."""
    from assistant import retrieval_strategies

    filler = "The partnership met four times and agreed its business plan for the year."
    pages = [["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"]]
    pages += [[f"Chapter {n}", filler] for n in range(2, 8)]
    pages.append(["In their own words",
                  "Probation completed 210 address checks for the front door.",
                  "The fire and rescue service made 19 home safety referrals.",
                  "Harbour Housing Association notified us of 31 families at risk of eviction.",
                  "The Youth Justice Service screened every child for exploitation."])
    pages += [[f"Chapter {n}", filler] for n in range(9, 13)]
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    rid = result.report.report_id
    view = assistant.index.report_view(rid)
    page_of = {c.chunk_id: c.page for c in assistant.index.report_chunks(rid)}
    assert retrieval_strategies.agency_pages(view, page_of) == [8]
    assert retrieval_strategies.agency_pages(view, page_of, {8}) == []
    c3 = assistant.bank.get("C3")
    phrasings = question_queries(c3)
    fused = retrieval_strategies.select_pages(assistant.index, view, phrasings, None, set())
    first = list(dict.fromkeys(page_of[c] for c, _ in fused))
    assert first.index(8) < 3, first


def test_a_childs_named_story_is_a_case_study_section():
    """ "Ellie's story" heads a case study as "Case study: Ellie" does; "Our story so far" does
    not."""
    from assistant.retrieval_strategies import case_pages

    labels = ["Foreword", "Ellie\u2019s story", "Our story so far", "Sam's story", "Data"]
    section_of = {f"c{n}": n for n in range(len(labels))}
    page_of = {f"c{n}": 10 + n for n in range(len(labels))}
    assert case_pages(labels, section_of, page_of) == [11, 13]
