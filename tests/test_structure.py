"""A report's own structure in retrieval: the contents page mapped to physical pages, and the
sections it names used to find evidence the passage search alone misses."""

from __future__ import annotations

from assistant.drafting.drafter import retrieve_evidence
from assistant.structure import build_structure, contents_entries
from tests.make_pdf import text_pdf

FILLER = [
    "Volunteers planted a meadow beside the river and counted butterflies each week.",
    "The choir rehearsed on Tuesdays and sang at the harvest fair in the market square.",
    "Cyclists mapped quiet lanes and painted new signs for the village trail.",
    "The library lent telescopes so families could watch the winter sky together.",
    "Bakers shared recipes for bread and the allotment group swapped seeds in spring.",
]


def _filler(number: int) -> list[str]:
    words = ["Notes from the week", FILLER[number % 5], FILLER[(number + 2) % 5]]
    return words + [f"Entry {chr(97 + number % 26)}{chr(97 + number // 26)} of the log."]


def test_contents_entries_read_both_layouts_and_refuse_other_pages():
    split = (
        "Contents\nForeword\n3\nOur priorities\n5\nLearning from reviews\n9\nBudget\n12\n"
        "Glossary\n14"
    )
    leaders = "\n".join(
        [
            "Contents",
            "Foreword . . . . . . 3",
            "Our priorities ........ 5",
            "Learning from reviews . . . 9",
            "Budget ...... 12",
            "Glossary 14",
        ]
    )
    expected = [
        ("Foreword", 3),
        ("Our priorities", 5),
        ("Learning from reviews", 9),
        ("Budget", 12),
        ("Glossary", 14),
    ]
    assert contents_entries(split) == expected
    assert contents_entries(leaders) == expected
    table = "Measure\n2019\n2020\nRepeat plans\n21\nReferrals\n412\nAudits\n14\nVisits\n9"
    assert contents_entries(table) == []  # page numbers that go backwards: a table
    assert contents_entries("Our priorities for the year were neglect and exploitation.") == []


def test_build_structure_maps_titles_to_physical_pages_with_an_offset():
    # printed page numbers are two behind the physical pages (unnumbered cover and inside cover)
    pages = {
        1: "Cover",
        2: "Inside cover",
        3: "Contents\nForeword\n2\nOur priorities\n3\n"
        "Neglect\n5\nLearning from reviews\n7\nBudget\n8",
    }
    titles = {
        4: "Foreword",
        5: "Our priorities",
        7: "Neglect",
        9: "Learning from reviews",
        10: "Budget",
    }
    for number in range(4, 12):
        pages[number] = f"{titles.get(number, 'More')}\nText of page {number}."
    structure = build_structure(pages)
    assert structure.contents_pages == {3}
    assert structure.section_of(6) == "Our priorities"
    assert structure.section_of(8) == "Neglect"  # a chapter runs until the next one starts
    assert structure.section_of(9) == "Learning from reviews"
    assert structure.section_of(11) == "Budget"
    assert structure.section_of(2) is None


def test_the_pages_of_a_matching_chapter_reach_the_evidence(assistant, tmp_path):
    """The chapter on reviews runs over pages 20-23; only its first page names it. Its later
    pages are found through the chapter's title on the contents page, and the contents page
    itself (which matches every query) is never given as evidence."""
    titles = {
        3: "Foreword",
        4: "About this report",
        9: "Our priorities",
        6: "Our area",
        12: "Training",
        20: "Learning from reviews",
        24: "Budget",
        30: "Glossary",
    }
    contents = ["Contents"]
    for page, title in sorted(titles.items()):
        contents += [title, str(page)]
    pages = [["Hollin Safeguarding Children Partnership", "Annual Report 2020-21"], contents]
    for number in range(3, 33):
        lines = _filler(number)
        if number in titles:
            lines = [titles[number], *lines]
        if number in (21, 22, 23):
            lines += ["The panel met the family and agreed the actions with the school."]
        pages.append(lines)
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hollin.pdf", pages)]))
    rid = result.report.report_id
    blocks = retrieve_evidence(assistant.index, ["learning from reviews"], rid)
    found = [b.page for b in blocks]
    assert 20 in found
    assert {21, 22} <= set(found), found
    assert 2 not in found
    # pages are ranked, not passages: a chapter page no phrasing's search found comes after
    # the searches' own best pages, within a wider budget
    wider = retrieve_evidence(
        assistant.index, ["learning from reviews"], rid, max_blocks=12, budget_tokens=9999
    )
    assert {20, 21, 22, 23} <= {b.page for b in wider}


def test_restated_requirements_and_generic_words_do_not_lead_the_evidence(assistant, tmp_path):
    """Issue 11 item 3: an "About this report" page restating what Working Together requires
    (every audit topic, no evidence) matched the question's generic words ("the report") and
    its topic words, and came first for almost every question. The page that reports what was
    done must lead; the restating page moves back (it is not dropped)."""
    pages = [
        ["Hollin Safeguarding Children Partnership", "Annual Report 2020-21"],
        [
            "About this report",
            "Working Together 2018 requires the partners to publish a report. The report must",
            "set out the impact of the work on outcomes for children and families, and should",
            "record the actions taken in response to local and national reviews. The report",
            "should also show how feedback from children and families was used.",
        ],
    ]
    for number in range(3, 12):
        pages.append(_filler(number))
    pages.append(
        [
            "What changed for families",
            "Re-referrals fell from 24% to 16% and 34 of 41 young people said they felt",
            "safer after the outreach work, so the impact on outcomes was clear.",
        ]
    )
    pages += [_filler(n) for n in range(13, 16)]
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hollin.pdf", pages)]))
    rid = result.report.report_id
    question = "Does the report evidence the impact on outcomes for children and families?"
    blocks = retrieve_evidence(assistant.index, [question, "impact on outcomes"], rid)
    found = [b.page for b in blocks]
    assert found[0] == 12, found
    more = retrieve_evidence(
        assistant.index, [question, "impact on outcomes"], rid, max_blocks=16, budget_tokens=9999
    )
    assert 2 in [b.page for b in more]  # moved back, not dropped


def test_restates_requirements_needs_the_guidance_and_two_requirement_verbs():
    from assistant.retrieval_strategies import restates_requirements

    assert restates_requirements(
        "Working Together requires the partners to report; the report should show impact."
    )
    assert not restates_requirements("Working Together asks partners to analyse progress.")
    assert not restates_requirements("Schools must and should attend the training.")


def test_a_page_lends_part_of_its_score_to_its_neighbours_in_its_chapter_only():
    from assistant.retrieval_strategies import lend_to_neighbours

    chapter = {4: "A", 5: "A", 6: "A", 7: "B"}.get
    lent = lend_to_neighbours({5: 1.0, 7: 0.5}, chapter, 0.3)
    assert lent == {5: 1.0, 4: 0.3, 6: 0.3, 7: 0.5}  # 6 is A's, 7 is B's: 6 gets 5's loan only
