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
    assert {21, 22, 23} <= set(found), found
    assert 2 not in found
