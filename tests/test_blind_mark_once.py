"""A first answer is blind-marked once, on whichever version of the report: an item alice
answered on the older copy, blind-marked there by bob, is refused a second blind mark on the
corrected copy (the queue never offers it, but a script may call record_blind_mark), with
nothing saved, since both marks would pair with alice's one answer and the agreement figures
would count it twice. A second mark stored before that rule (as the store's old SQL wrote it)
is still listed, and waits for adjudication, but is counted apart: the figures count the first
answer once, by its earliest mark.

Real PDFs (reportlab), a real SQLite data home and the offline engine.
"""

from __future__ import annotations

import json

import pytest

from assistant.errors import ConflictError
from assistant.library import now_iso
from tests.test_blind_mark_versions import _saved
from tests.test_blind_queue_versions import _versions


def _stored_as_before(assistant, report_id: str, qid: str, reviewer: str, answer: str) -> None:
    """A blind mark saved as BlindStore.add saved it before it refused a second mark of the
    same first answer: the same INSERT, checked against the marked version alone."""
    with assistant.db.transaction() as conn:
        assert not conn.execute(
            "SELECT 1 FROM blind_marks WHERE report_id=? AND question_id=?", (report_id, qid)
        ).fetchone()
        conn.execute(
            "INSERT INTO blind_marks (report_id, question_id, reviewer, answer, note, "
            "created_at) VALUES (?,?,?,?,?,?)",
            (report_id, qid, reviewer, json.dumps(answer), None, now_iso()),
        )


def test_a_first_answer_marked_on_the_older_copy_is_refused_a_mark_on_the_current(
    assistant, tmp_path
):
    older, current = _versions(assistant, tmp_path, corrected="")
    assistant.record_blind_mark(older.report_id, "A6", "bob", "partly")
    assert [it.question.id for it in assistant.blind_queue("carol")] == ["C8"]  # A6 is marked
    with pytest.raises(ConflictError) as refused:
        assistant.record_blind_mark(current.report_id, "A6", "carol", "evidenced")
    assert refused.value.message == (
        f"A6 of this report already has a blind second mark, on its older version {older.short_id}"
    )
    assert refused.value.hint == (
        f"that mark pairs with the same first answer (given on version {older.short_id}), and a "
        "first answer is blind-marked once: take another item from the blind queue; nothing was "
        "saved"
    )
    assert _saved(assistant) == 1
    [pair] = assistant.second_marking_pairs()
    assert (pair.report_id, pair.blind.reviewer) == (older.report_id, "bob")


def test_a_first_answer_marked_on_the_current_copy_is_refused_a_mark_on_the_older(
    assistant, tmp_path
):
    older, current = _versions(assistant, tmp_path, corrected="")
    assistant.record_blind_mark(current.report_id, "C8", "bob", "partly")
    with pytest.raises(ConflictError) as refused:
        assistant.record_blind_mark(older.report_id, "C8", "carol", "evidenced")
    assert refused.value.message == (
        f"C8 of this report already has a blind second mark, on its newer version "
        f"{current.short_id}"
    )
    assert refused.value.hint.endswith("nothing was saved")
    assert _saved(assistant) == 1

    # once bob's disagreement is adjudicated on the current copy, his mark still pairs with
    # alice's answer on the older copy: a mark there is still refused
    assistant.record_blind_mark(current.report_id, "A6", "bob", "evidenced")
    assistant.adjudicate(current.report_id, "A6", "erin", "evidenced")
    with pytest.raises(ConflictError, match=f"on its newer version {current.short_id}"):
        assistant.record_blind_mark(older.report_id, "A6", "carol", "partly")
    assert _saved(assistant) == 2


def test_another_first_answer_on_the_current_copy_takes_its_own_mark(assistant, tmp_path):
    """Dana answered A6 on the current copy too: a mark there pairs with her answer, not with
    alice's on the older copy, so it is a mark of another first answer and is taken."""
    older, current = _versions(assistant, tmp_path, corrected="")
    assistant.record_blind_mark(older.report_id, "A6", "bob", "partly")
    assistant.record_decision(
        current.report_id, "A6", "dana", "enter", after="evidenced", base_event_id=None
    )
    assistant.record_blind_mark(current.report_id, "A6", "carol", "evidenced")
    assert _saved(assistant) == 2
    pairs = {p.report_id: p for p in assistant.second_marking_pairs()}
    assert (pairs[older.report_id].first_reviewer, pairs[current.report_id].first_reviewer) == (
        "alice",
        "dana",
    )
    assert all(p.duplicate_of is None for p in pairs.values())
    assert assistant.second_marking(n_boot=50)["human_human"]["n"] == 2


def test_a_second_mark_stored_before_the_rule_is_listed_but_counted_once(assistant, tmp_path):
    """Bob agreed with alice on the older copy; carol's mark of the same answer on the current
    copy, stored by the old store, disagrees. The figures count alice's answer once (bob's
    pair); carol's is listed, named a second mark of it, and waits for adjudication."""
    older, current = _versions(assistant, tmp_path, corrected="")
    bob = assistant.record_blind_mark(older.report_id, "A6", "bob", "partly")
    _stored_as_before(assistant, current.report_id, "A6", "carol", "evidenced")
    assert _saved(assistant) == 2

    report = assistant.second_marking(n_boot=50)
    assert (report["items"], report["compared"], report["disagreements"]) == (1, 1, 0)
    assert report["to_adjudicate"] == 0
    assert report["human_human"]["n"] == 1 and report["human_human"]["accuracy"] == 1.0
    assert report["draft_vs_first"]["n"] == report["anchoring"]["n"] == 1
    listed = assistant.second_marking_pairs()
    assert [(p.report_id, p.blind.reviewer, p.first_reviewer, p.duplicate_of) for p in listed] == [
        (older.report_id, "bob", "alice", None),
        (current.report_id, "carol", "alice", bob.mark_id),
    ]
    older_counts = report["older_versions"]
    assert (older_counts["second_marks"], older_counts["second_marks_to_adjudicate"]) == (1, 1)
    assert (
        "1 blind mark not in the figures: a second blind mark of a first answer another "
        "version's blind mark already pairs with (stored before that was refused; the item is "
        "counted once, by its earliest mark); 1 of 1 waits for adjudication."
    ) in report["lines"]

    # nothing a reviewer did disappears: carol's disagreement waits for adjudication, and the
    # adjudicator's page says it is a second mark, outside the figures
    from assistant.ui.second_marking import older_first_html

    [waiting] = assistant.adjudication_queue()
    assert (waiting.report_id, waiting.blind.reviewer) == (current.report_id, "carol")
    shown = older_first_html(assistant, waiting)
    assert f"the first is mark {bob.mark_id}" in shown and "listed, not counted" in shown
    assistant.adjudicate(current.report_id, "A6", "erin", "partly")
    assert assistant.adjudication_queue() == []
    report = assistant.second_marking(n_boot=50)
    assert (report["items"], report["human_human"]["n"]) == (1, 1)
    assert report["older_versions"]["second_marks"] == 1
    assert len(assistant.second_marking_pairs()) == 2


def test_an_item_with_no_first_answer_is_refused_a_mark_and_one_on_an_older_copy_is_taken(
    assistant, tmp_path
):
    # alice answered A6 on the older copy only; nobody answered C8 on either copy
    older, current = _versions(assistant, tmp_path, corrected="", decided=("A6",))
    with pytest.raises(ConflictError) as refused:
        assistant.record_blind_mark(current.report_id, "C8", "bob", "partly")
    assert refused.value.message == "C8 of this report has no first answer yet"
    assert "nothing was saved" in refused.value.hint
    assert _saved(assistant) == 0  # a mark with no first answer would be in no pair, no figure
    # A6's first answer is the older copy's (the same text): the mark pairs with it
    assistant.record_blind_mark(current.report_id, "A6", "bob", "evidenced")
    [pair] = assistant.second_marking_pairs()
    assert (pair.question.id, pair.first, pair.blind.answer) == ("A6", "partly", "evidenced")
    assert pair.first_on_older == older.report_id
