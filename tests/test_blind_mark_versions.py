"""A blind mark of a report that has a corrected copy is refused, as the blind queue never
offers the item, to a reviewer with an event on the question on any version of the report: the
first reviewer of the older copy saw its draft and gave the first answer, so their "blind" mark
on the new copy would be no second reading and would count in the human–human agreement.
Refused with nothing saved; another reviewer's mark is taken.

Real PDFs (reportlab), a real SQLite data home and the offline engine.
"""

from __future__ import annotations

import pytest

from assistant.errors import ReviewAssistantError
from tests.test_blind_queue_versions import _versions


def _saved(assistant) -> int:
    with assistant.db.connect() as conn:
        return conn.execute("SELECT COUNT(*) FROM blind_marks").fetchone()[0]


def test_the_first_reviewer_of_the_older_copy_cannot_mark_it_blind_on_the_current(
    assistant, tmp_path
):
    older, current = _versions(assistant, tmp_path, corrected="")
    new_id = current.report_id
    with pytest.raises(ReviewAssistantError) as refused:
        assistant.record_blind_mark(new_id, "A6", "alice", "evidenced")
    assert refused.value.message == (
        f"alice already reviewed A6 of this report sighted, on its older version {older.short_id}"
    )
    assert refused.value.hint == (
        "a blind second mark must come from another reviewer, one with no event on A6 on any "
        "version of the report; nothing was saved"
    )
    assert _saved(assistant) == 0 and assistant.second_marking_pairs() == []

    # another reviewer, who never saw A6 on either copy, marks it blind
    mark = assistant.record_blind_mark(new_id, "A6", "bob", "evidenced")
    assert (mark.report_id, mark.question_id, mark.reviewer) == (new_id, "A6", "bob")
    assert _saved(assistant) == 1
    [pair] = assistant.second_marking_pairs()
    assert (pair.first_reviewer, pair.first_on_older, pair.blind.reviewer) == (
        "alice",
        older.report_id,
        "bob",
    )


def test_any_event_on_the_older_copy_refuses_the_mark_not_only_an_answer(assistant, tmp_path):
    """Alice decided A6 of the older copy and frank only wrote a note on its C8, decided by dana
    on the current copy: frank read C8's draft, so he is not blind on it."""
    older, current = _versions(assistant, tmp_path, corrected="", decided=("A6",))
    assistant.record_decision(
        older.report_id, "C8", "frank", "note", note="read sighted", base_event_id=None
    )
    assistant.record_decision(
        current.report_id, "C8", "dana", "enter", after="evidenced", base_event_id=None
    )
    with pytest.raises(ReviewAssistantError, match="frank already reviewed C8 of this report"):
        assistant.record_blind_mark(current.report_id, "C8", "frank", "partly")
    assert _saved(assistant) == 0
    assistant.record_blind_mark(current.report_id, "A6", "frank", "partly")  # he never saw A6
    assert _saved(assistant) == 1


def test_the_first_reviewer_is_refused_on_a_corrected_copy_with_other_text(assistant, tmp_path):
    """The queue offers no item answered on an older copy with other text; a mark of one by
    another reviewer (as a script may) is taken and kept out of the agreement figures, but the
    first reviewer's is refused as on a copy with the same text."""
    older, current = _versions(assistant, tmp_path, corrected="Corrected figures.")
    new_id = current.report_id
    with pytest.raises(ReviewAssistantError, match=f"on its older version {older.short_id}"):
        assistant.record_blind_mark(new_id, "C8", "alice", "partly")
    assert _saved(assistant) == 0

    assistant.record_blind_mark(new_id, "C8", "bob", "partly")
    [pair] = assistant.second_marking_pairs()
    assert pair.first_reviewer == "alice" and not pair.comparable
    report = assistant.second_marking(n_boot=50)
    assert (report["items"], report["compared"], report["human_human"]) == (1, 0, None)


def test_a_reviewer_of_the_current_copy_cannot_mark_the_older_one_blind(assistant, tmp_path):
    """Dana decided C8 on the current copy: a mark of C8 on the copy it replaced is no more
    blind than one on the current copy."""
    older, current = _versions(assistant, tmp_path, corrected="")
    assistant.record_decision(
        current.report_id, "C8", "dana", "enter", after="evidenced", base_event_id=None
    )
    with pytest.raises(ReviewAssistantError) as refused:
        assistant.record_blind_mark(older.report_id, "C8", "dana", "partly")
    assert refused.value.message == (
        f"dana already reviewed C8 of this report sighted, on its newer version {current.short_id}"
    )
    assert _saved(assistant) == 0
    assistant.record_blind_mark(older.report_id, "C8", "bob", "partly")
    assert _saved(assistant) == 1
