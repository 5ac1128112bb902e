"""Who is a blind marker (service rule `hidden_for`): a reviewer who took a blind item of a
report must not see the drafts and first answers of that report's items still in their blind
queue; a sighted second reviewer, or the first reviewer, sees everything."""

from __future__ import annotations

from evals.synthetic.sample_reports import generate_sample_set

PERIOD = "2020-21"


def _decide(a, report_id: str, qid: str, who: str, value) -> None:
    draft = next(d for d in a.drafts.for_report(report_id) if d.question_id == qid)
    a.record_decision(
        report_id, qid, who, "edit", after=value, draft_id=draft.draft_id, base_event_id=None
    )


def test_hidden_for_holds_from_taking_a_blind_item_until_the_mark(assistant, tmp_path):
    a = assistant
    generate_sample_set(tmp_path / "pdfs", n=1, seed=5, period=PERIOD, length="short")
    a.score(tmp_path / "pdfs", period=PERIOD, engine="offline")
    rid = a.list_reports(period=PERIOD)[0].report_id
    _decide(a, rid, "A6", "alice", "partly")
    _decide(a, rid, "C8", "alice", "partly")

    # nobody took a blind item: nothing is hidden (a sighted second reviewer sees all)
    assert a.hidden_for("bob", rid) == set()
    assert a.hidden_for("alice", rid) == set()

    item, waiting = a.take_blind_item("bob")
    assert (item.report_id, item.question.id, waiting) == (rid, "A6", 2)
    assert a.hidden_for("bob", rid) == {"A6", "C8"}  # the whole report's open blind items
    assert a.hidden_for("alice", rid) == set()  # the first reviewer is not blind
    assert a.hidden_for("carol", rid) == set()
    assert a.hidden_for("", rid) == set() and a.hidden_for(None, rid) == set()

    a.record_blind_mark(rid, "A6", "bob", "evidenced")
    assert a.hidden_for("bob", rid) == {"C8"}  # marked: A6 may be seen now
    a.record_blind_mark(rid, "C8", "bob", "partly")
    assert a.hidden_for("bob", rid) == set()


def test_take_blind_item_with_nothing_to_mark(assistant):
    assert assistant.take_blind_item("bob") == (None, 0)


def test_a_blind_marker_cannot_save_a_sighted_decision_through_the_service(assistant, tmp_path):
    """The rule holds below the UI too (CLI, scripts): refused, nothing saved, until the mark."""
    import pytest

    from assistant.errors import ReviewAssistantError

    a = assistant
    generate_sample_set(tmp_path / "pdfs", n=1, seed=5, period=PERIOD, length="short")
    a.score(tmp_path / "pdfs", period=PERIOD, engine="offline")
    rid = a.list_reports(period=PERIOD)[0].report_id
    _decide(a, rid, "A6", "alice", "partly")
    item, _ = a.take_blind_item("bob")
    assert (item.report_id, item.question.id) == (rid, "A6")
    assert a.hidden_for("bob", rid) == {"A6"}
    before = len(a.review_history(rid, "A6"))
    with pytest.raises(ReviewAssistantError, match="second-marking A6 of this report blind"):
        a.record_decision(rid, "A6", "bob", "accept", base_event_id=None)
    assert len(a.review_history(rid, "A6")) == before
    a.record_blind_mark(rid, "A6", "bob", "evidenced")
    assert a.hidden_for("bob", rid) == set()
    base = a.review_item(rid, "A6").last_event_id
    a.record_decision(rid, "A6", "alice", "note", note="seen both", base_event_id=base)
