"""The offline engine's rules-v21 families, each on its own question's real draft: the new
answer with the family, and the answer it replaces without it (`_without`)."""

from __future__ import annotations

import pytest

from tests.test_offline_engine import _draft_blocks, _without


def _rating(qid: str, texts, period: str = "2022-23") -> str:
    result = _draft_blocks(qid, texts, period)
    assert result.status == "answered", result.rationale
    return result.answer


# --- partner_split (C5) ------------------------------------------------------------------------
_COMBINED = (
    "Our budget",
    "Our budget\nThe three safeguarding partners fund the partnership in the shares set out in "
    "our arrangements.\nIncome\n2022-23\nContributions from the safeguarding partners (council, "
    "ICB and police)\n£300,000\nTraining income\n£5,000\nTotal income\n£305,000\nExpenditure\n"
    "Business unit staffing\n£210,000\nTotal spent\n£298,000",
)


def test_one_line_for_all_the_partners_is_their_total_not_each_partners_contribution(
    monkeypatch,
):
    assert _rating("C5", [_COMBINED]) == "partly"
    _without(monkeypatch, "partner_split")
    assert _rating("C5", [_COMBINED]) == "yes"  # "council, ICB and police) £300,000" read a split


def test_a_number_of_people_beside_a_partner_is_no_sum():
    people = (
        "Probation",
        "The Probation Service supervises around 1,300 adults in the county; its contribution "
        "to the partnership is described in the budget.",
    )
    assert _rating("C5", [_COMBINED, people]) == "partly"


def test_each_partners_share_in_a_table_of_shares_is_its_contribution(monkeypatch):
    shares = (
        "Our budget",
        "Our budget\nThe partnership's income was £280,000, funded by the partners as below.\n"
        "Contributor\nShare of the budget\nNorthfield Council\n50%\nNorthfield Integrated Care "
        "Board\n30%\nNorthfield Police\n20%\nExpenditure\nBusiness unit staffing\n£200,000",
    )
    assert _rating("C5", [shares]) == "yes"
    _without(monkeypatch, "partner_split")
    assert _rating("C5", [shares]) == "partly"  # a 2-character cell was no sentence


def test_a_split_without_pound_signs_is_each_partners_contribution():
    table = (
        "Funding",
        "Funding\nPartner\nContribution (£)\nNorthfield Council\n120,000\nNHS Northfield\n"
        "80,000\nNorthfield Constabulary\n50,000\nTotal\n250,000\nIncome and expenditure are "
        "reported to the Executive.",
    )
    assert _rating("C5", [table]) == "yes"


# --- scrutiny_change (C2) ----------------------------------------------------------------------
_FOUND = (
    "Independent scrutiny\nThe independent scrutineer observed the Executive and read every "
    "rapid review. The scrutineer found that health attendance at strategy discussions was low "
    "and that 14 of 20 contacts were handled on time.\nThe Executive accepted all four of her "
    "recommendations, which are built into next year's business plan."
)


def test_scrutiny_findings_without_what_changed_are_partly(monkeypatch):
    assert _rating("C2", [("Independent scrutiny", _FOUND)]) == "partly"
    _without(monkeypatch, "scrutiny_change")
    assert _rating("C2", [("Independent scrutiny", _FOUND)]) == "evidenced"


def test_scrutiny_findings_with_what_changed_are_evidenced():
    changed = _FOUND + " As a result, a health manager now attends every strategy discussion."
    assert _rating("C2", [("Independent scrutiny", changed)]) == "evidenced"


def test_a_change_still_planned_is_no_change_made():
    planned = _FOUND + " As a result, the partners will ask health to attend in 2023-24."
    assert _rating("C2", [("Independent scrutiny", planned)]) == "partly"


# --- feedback_cause (C6) -----------------------------------------------------------------------
_HEARD = (
    "Hearing from children and families",
    "Hearing from children and families\nYoung people told us that the bus station feels "
    "unsafe after dark, and 62% of parents said they felt listened to at conferences.",
)
_NEGLECT = (
    "Priority 1: Neglect",
    "Priority 1: Neglect\nThe neglect plan changed because of the multi-agency audit findings.",
)


def test_a_change_made_because_of_something_other_than_feedback_is_not_feedback_used(
    monkeypatch,
):
    assert _rating("C6", [_HEARD, _NEGLECT]) == "partly"
    _without(monkeypatch, "feedback_cause")
    assert _rating("C6", [_HEARD, _NEGLECT]) == "evidenced"


def test_a_change_made_because_of_what_young_people_said_is_feedback_used():
    used = (
        "Hearing from children and families",
        _HEARD[1] + "\nThe leaflet changed because of what young people said about it.",
    )
    assert _rating("C6", [used]) == "evidenced"


# --- the model name ----------------------------------------------------------------------------
def test_drafts_carry_the_rules_v21_model_and_its_calibration():
    """The families above are rules-v21: its drafts say so, and its calibration is shipped."""
    from assistant.engines.calibration import load_calibration
    from assistant.engines.offline import OfflineEngine

    assert OfflineEngine.model == "rules-v21"
    assert load_calibration("offline", OfflineEngine.model) is not None
    assert _draft_blocks("C5", [_COMBINED]).model == "rules-v21"


def _you_said(did: str) -> tuple[str, str]:
    return (
        "Hearing from children and families",
        "Hearing from children and families\nIn our survey of 120 young people, 40% said that "
        "meetings use words they do not understand, down from 55% the year before.\nYou said, "
        "we did\nYou said\nWe did\nMeetings use words we do not understand\n"
        f"{did}",
    )


def test_the_we_did_column_of_a_you_said_table_is_a_change_made_when_it_reports_one(
    monkeypatch,
):
    done = _you_said("Plans are now written in plain language and shared before the meeting")
    assert _rating("C6", [done]) == "evidenced"
    _without(monkeypatch, "feedback_cause")
    assert _rating("C6", [done]) == "partly"


@pytest.mark.parametrize(
    "did",
    [
        "We will rewrite the plans in plain language in 2023-24",
        "The conference service is reviewing how plans are written",
        "We shared this with the conference chairs",
    ],
)
def test_a_we_did_column_of_plans_or_referrals_is_no_change_made(did):
    assert _rating("C6", [_you_said(did)]) == "partly"


def test_privacy_history_and_questions_are_no_change_made_by_scrutiny():
    for other in (
        "Names and some details have been changed to protect the families' privacy.",
        "Safeguarding arrangements here have changed a great deal in the last decade.",
        "We have not yet looked at whether the scrutiny has led to better outcomes.",
    ):
        assert _rating("C2", [("Independent scrutiny", f"{_FOUND}\n{other}")]) == "partly", other
