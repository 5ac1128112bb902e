"""What the Review and Pages views render, as plain data and escaped HTML (no browser)."""

from __future__ import annotations

from types import SimpleNamespace

from assistant.drafting.store import Draft
from assistant.review.decisions import ItemState
from assistant.ui.render import find_hits, mark_hits, page_rows, trust_level
from assistant.ui.review_queue import (
    QueueItem,
    blind_rows,
    matching_rows,
    question_id_named,
    queue_ids_html,
    queue_rows,
)
from assistant.ui.review_views import draft_summary, no_text_warning

HOSTILE = '<img src=x onerror="alert(1)"> budget'


def _draft(**kw) -> Draft:
    base = dict(
        report_id="r1", question_id="A1", bank_name="b", bank_version="1", engine="offline"
    )
    return Draft(**{**base, **kw})


def test_search_hits_are_marked_and_the_page_text_stays_text():
    text = f"Budget lines. {HOSTILE}. The BUDGET table."
    assert len(find_hits(text, "budget")) == 3
    out = mark_hits(text, "budget")
    assert out.count('<mark class="hit"') == 3
    assert "<img" not in out and "&lt;img" in out
    assert "<mark" not in mark_hits(text, "  ")  # an empty search marks nothing


def test_page_list_flags_pages_without_text_and_filters_by_search():
    texts = {1: "Annual report budget", 2: "", 3: "Training figures"}
    rows = page_rows(texts, 3)
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[1][3].startswith("(no text")
    assert [r[0] for r in page_rows(texts, 3, "budget")] == [1]


def test_trust_level_words_and_the_reasons_keys_cannot_apply():
    assert trust_level(_draft(answer="yes", confidence=0.93, calibration="v4"))[1] == (
        "usually right on reports like this"
    )
    assert trust_level(_draft(answer="yes", confidence=0.4, calibration="v4"))[1] == (
        "check carefully"
    )
    assert "not calibrated" in trust_level(_draft(answer="yes", confidence=0.9))[1]
    question = SimpleNamespace(answerable_from_text=True, answer_label=lambda v: str(v))
    html_out = draft_summary(question, None)
    assert 'data-accept="A: nothing to accept — this item has no draft"' in html_out
    abstained = draft_summary(question, _draft(answer=None, calibration="v4"), (30, 40))
    assert "the draft found no answer" in abstained
    sure = _draft(answer="yes", confidence=0.9, calibration="v4")
    agreed = draft_summary(question, sure, (36, 40))
    assert "36 of 40 labelled reports" in agreed and 'data-accept=""' in agreed


def test_no_text_warning_names_the_pages_next_to_the_citations():
    from assistant.drafting.store import Citation

    report = SimpleNamespace(no_text_pages=[9, 14])
    draft = _draft(answer="no", citations=[Citation(block_id="E1", quote="q", page=13)])
    text = no_text_warning(report, draft)
    assert "2 page(s) without text (9, 14)" in text and "Page(s) 14 sit next to" in text
    assert no_text_warning(SimpleNamespace(no_text_pages=[]), draft) == ""


def test_the_queue_filter_matches_cells_as_shown_and_question_words():
    rows = [
        ["A1", "high 0.99", "• to review", "Yes"],
        ["A6", "low 0.40", "✓ accepted", "Partly   evidenced"],
        ["C8", "medium 0.70", "• to review", "Neglect named"],
    ]
    texts = ["Priorities stated?", "Impact on children and families?", "Overall, Working Together?"]
    assert matching_rows(rows, texts, "") == [0, 1, 2]
    assert matching_rows(rows, texts, "  TO  review ") == [0, 2]  # case and spaces ignored
    assert matching_rows(rows, texts, "partly evidenced") == [1]
    assert matching_rows(rows, texts, "families") == [1]  # the question's words, not shown
    # a blind item's answer is hidden from the filter as from the table
    assert matching_rows(blind_rows(rows, {"C8"}), texts, "neglect") == []
    assert question_id_named(" c8 ", ["A1", "C8"]) == "C8"
    assert question_id_named("C", ["A1", "C8"]) is None
    assert queue_ids_html(["A1", '"x']) == '<div class="rv-ids" data-ids="A1 &quot;x"></div>'


def test_a_queue_row_says_an_older_version_has_a_decision_until_this_one_has():
    question = SimpleNamespace(id="A4", answerable_from_text=True)
    decided = ItemState("A4", status="rejected")
    items = [
        QueueItem(question, None, ItemState("A4"), decided_on_older=True),
        QueueItem(question, None, ItemState("A4")),
        QueueItem(question, None, decided, decided_on_older=True),
    ]
    rows = queue_rows(items)
    assert [r[2] for r in rows] == [
        "• to review · decided on older version",
        "• to review",
        "✗ rejected",
    ]
    texts = ["Impact?"] * 3
    assert matching_rows(rows, texts, "older version") == [0]
    assert blind_rows(rows, {"A4"})[0][2] == "blind"  # a blind marker sees none of it
