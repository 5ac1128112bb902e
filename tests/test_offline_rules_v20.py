"""The offline engine's rules-v20 families, each on its own question's real draft: the new
answer with the family, and the answer it replaces without it (`_without`)."""

from __future__ import annotations

import pytest

from tests.test_offline_engine import _draft_blocks, _without


def _answer(qid: str, texts, period: str = "2020-21") -> list[str]:
    """The options the engine's draft of a multi-select question chooses."""
    result = _draft_blocks(qid, texts, period)
    assert result.status == "answered", result.rationale
    return result.answer


def _priorities(named: str) -> list[tuple[str, str]]:
    return [
        ("Our priorities", f"Our priorities\nOur priorities for 2020-21 were neglect and {named}.")
    ]


# --- theme_names (A2) --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("named", "theme"),
    [
        ("children who go missing", "missing_children"),
        ("missing children", "missing_children"),
        ("harm outside the home", "extra_familial_harm"),
        ("serious violence in the town centres", "extra_familial_harm"),
        ("the effect on children of their parents' mental health", "parental_mh_substance"),
        ("children whose parents misuse drugs or alcohol", "parental_mh_substance"),
        ("the men in a baby's life", "fathers_men"),
        ("safer care for the under-ones", "vulnerable_babies"),
    ],
)
def test_a_topic_by_its_plain_name_or_todays_term_is_that_topic(monkeypatch, named, theme):
    assert theme in _answer("A2", _priorities(named))
    _without(monkeypatch, "theme_names")
    assert theme not in _answer("A2", _priorities(named))


def test_children_who_go_missing_from_education_are_not_missing_children():
    answer = _answer("A2", _priorities("children who go missing from education"))
    assert "missing_children" not in answer, answer


def test_prevent_and_send_are_the_programme_and_the_acronym_never_the_verbs(monkeypatch):
    verbs = [
        (
            "Our priorities",
            "Our priorities\nOur priorities for 2020-21 were neglect and exploitation, and the "
            "work to prevent harm to children at home.\nPartners send the Board a quarterly "
            "report on each priority.",
        )
    ]
    assert _answer("A2", verbs) == ["neglect", "child_exploitation"]
    named = _priorities("Prevent, with more places for children with SEND")
    assert {"radicalisation", "disabled_children"} <= set(_answer("A2", named))
    _without(monkeypatch, "theme_names")  # the bank's cues read "prevent" and "send" in any case
    assert {"radicalisation", "disabled_children"} <= set(_answer("A2", verbs))


def test_a_groups_remit_names_no_priority(monkeypatch):
    text = [
        (
            "Our priorities",
            "Our priorities\nOur priorities for 2020-21 were neglect and exploitation.\nThe "
            "Exploitation Group leads this work. It oversees the MACE panel and the response to "
            "children missing from home.",
        )
    ]
    assert _answer("A2", text) == ["neglect", "child_exploitation"]
    _without(monkeypatch, "theme_names")
    assert "missing_children" in _answer("A2", text)


# --- priority_tables (A2, A3) ------------------------------------------------------------------
def _table(column: str) -> list[tuple[str, str]]:
    return [
        (
            "Our priorities",
            f"Our priorities\nOur priorities for 2020-21\nPriority\n{column}\nLead group\n"
            "Harm outside the home\nCounty lines and knife crime\nSafer Streets subgroup\n"
            "Domestic abuse\nChildren living with coercive control\nDomestic Abuse Board",
        )
    ]


def test_the_cells_of_a_table_of_the_priorities_stay_in_the_priority_passage(monkeypatch):
    themes = {"child_exploitation", "extra_familial_harm", "domestic_abuse"}
    assert set(_answer("A2", _table("What it covers"))) == themes
    # a table of the work on each priority, or of the reasons for it, names no priority
    assert _answer("A2", _table("Action")) == []
    assert _answer("A2", _table("Status at March 2021")) == []
    assert _answer("A2", _table("Why we chose it")) == []
    _without(monkeypatch, "priority_tables")  # "What it covers" then closes the passage
    assert _answer("A2", _table("What it covers")) == []


def test_a_plan_for_three_years_is_this_periods_in_its_first_year(monkeypatch):
    plan = [
        (
            "Our priorities",
            "Our priorities\nOur plan for 2021-24 sets our priorities: neglect, exploitation and "
            "information sharing between agencies.",
        )
    ]
    assert _answer("A2", plan, "2021-22") == ["neglect", "child_exploitation"]
    assert _answer("A3", plan, "2021-22") == ["information_sharing"]
    # a plan that ended before the period is still another period's
    ended = [(s, t.replace("plan for 2021-24 sets", "plan for 2018-21 set")) for s, t in plan]
    assert _answer("A2", ended, "2021-22") == []
    _without(monkeypatch, "priority_tables")
    assert _answer("A2", plan, "2021-22") == []
    assert _answer("A3", plan, "2021-22") == []


# --- denial_clause (A2) ------------------------------------------------------------------------
@pytest.mark.parametrize("between", ["; children", ", while children"])
def test_a_theme_named_before_another_clause_is_not_denied_by_it(monkeypatch, between):
    texts = [
        *_priorities("exploitation"),
        (
            "Local context",
            f"Schools told us of the risk of exploitation{between} who go missing are not a "
            "separate priority.",
        ),
    ]
    assert _answer("A2", texts) == ["neglect", "child_exploitation"]
    _without(monkeypatch, "denial_clause")
    assert _answer("A2", texts) == ["neglect"]


def test_a_theme_named_in_the_denials_own_clause_is_still_denied():
    texts = [
        *_priorities("exploitation"),
        ("Local context", "Exploitation and going missing are not a separate priority."),
    ]
    assert _answer("A2", texts) == ["neglect"]


# --- out_of_period (C2m) -----------------------------------------------------------------------
_SCRUTINEER = (
    "Since April 2023 an independent scrutineer has reviewed how well the arrangements work."
)


@pytest.mark.parametrize(
    "texts",
    [
        [
            (
                "Independent scrutiny",
                "From 2019 until 31 March 2023 the partnership was led by an independent chair. "
                + _SCRUTINEER,
            )
        ],
        [
            (
                "Independent scrutiny",
                "In 2022 the partners moved away from the independent chair arrangement. "
                + _SCRUTINEER,
            )
        ],
        [
            ("Independent scrutiny", _SCRUTINEER),
            ("Priority for 2024-27", "Set up a young people's scrutiny group."),
        ],
    ],
    ids=["until-before-the-period", "moved-away-from", "section-after-the-period"],
)
def test_what_the_arrangements_had_before_or_will_have_after_the_period_is_not_its_model(
    monkeypatch, texts
):
    assert _answer("C2m", texts, "2023-24") == ["independent_scrutineer"]
    _without(monkeypatch, "out_of_period")
    assert len(_answer("C2m", texts, "2023-24")) == 2


def test_an_arrangement_until_a_date_inside_the_period_is_this_periods():
    texts = [
        (
            "Independent scrutiny",
            "From 2019 until 31 March 2024 the partnership was led by an independent chair. "
            + _SCRUTINEER,
        )
    ]
    assert _answer("C2m", texts, "2023-24") == ["independent_chair", "independent_scrutineer"]


# --- repeated_survey (A7) ----------------------------------------------------------------------
_AUDIT = ("Neglect", "Our audit of neglect cases found plans improved: the impact was clear.")


@pytest.mark.parametrize(
    "survey",
    [
        "In February 2021 we repeated our Speak Up practitioner survey, first run in 2019.",
        "We re-ran the staff survey on escalation to compare answers with 2019.",
    ],
    ids=["repeated", "re-ran"],
)
def test_a_practitioner_survey_run_again_is_impact_evidence_under_any_heading(monkeypatch, survey):
    texts = [_AUDIT, ("Escalation", survey)]  # the survey's block names no impact or evidence
    assert _answer("A7", texts) == ["multiagency_audit", "practitioner_survey"]
    _without(monkeypatch, "repeated_survey")
    assert _answer("A7", texts) == ["multiagency_audit"]


def test_a_repeat_audit_beside_a_survey_is_no_repeated_survey():
    survey = ("Escalation", "A repeat audit and a practitioner survey were carried out in 2021.")
    assert _answer("A7", [_AUDIT, survey]) == ["multiagency_audit"]


# --- whole_words (B5, A7) ----------------------------------------------------------------------
_SHARED = "Learning from reviews was shared through a learning briefing."


def _b5(text: str) -> list[str]:
    return _answer("B5", [("Sharing the learning", f"{_SHARED} {text}")])


def test_a_plain_cue_is_whole_words_not_the_start_of_a_longer_word(monkeypatch):
    assert _b5("Eventually every school received a copy.") == ["learning_briefings"]
    # a plural or possessive ending is still the cue's word
    assert "newsletters" in _b5("It went out in three bulletins.")
    assert "practitioner_forums" in _b5("It was discussed at the DSL forum's spring meeting.")
    _without(monkeypatch, "whole_words")
    assert "events_conferences" in _b5("Eventually every school received a copy.")


def test_a_target_is_the_word_never_targeting(monkeypatch):
    def impact(text):
        return _answer("A7", [("Impact", f"Impact\nThe impact of our work was clear. {text}")])

    targeting = "The review looked at the adults targeting him."
    assert impact(targeting) == []
    assert impact("Two of our three targets were met.") == ["baseline_targets"]
    # either family alone keeps "targeting" out: theme_names' own "targets?" is whole words too
    _without(monkeypatch, "theme_names")
    assert impact(targeting) == []
    _without(monkeypatch, "whole_words")
    assert impact(targeting) == ["baseline_targets"]


# --- course_learning and video_calls (B5) ------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "The learning from Child T is now part of our core multi-agency courses.",
        "We updated our training courses with the learning from each review.",
    ],
    ids=["part-of-core-courses", "updated-courses-with-learning"],
)
def test_learning_in_the_courses_is_a_training_update(monkeypatch, text):
    assert _b5(text) == ["learning_briefings", "training_updates"]
    _without(monkeypatch, "course_learning")
    assert _b5(text) == ["learning_briefings"]


def test_a_meeting_joined_by_video_is_no_webinar(monkeypatch):
    joined = "The review was discussed with Tam's social worker joining by video."
    assert _b5(joined) == ["learning_briefings"]
    assert "webinars_podcasts" in _b5("We recorded a webinar on the learning and shared the video.")
    _without(monkeypatch, "video_calls")
    assert "webinars_podcasts" in _b5(joined)


# --- the model name ----------------------------------------------------------------------------
def test_the_rules_v20_calibration_still_ships_for_its_drafts():
    """The families above came with rules-v20; the engine is a later version now (its own test
    names it), and drafts stored as rules-v20 keep their calibration."""
    from assistant.engines.calibration import load_calibration
    from assistant.engines.offline import OfflineEngine

    assert OfflineEngine.model != "rules-v20"
    assert load_calibration("offline", "rules-v20") is not None


# --- limits found reviewing the families -------------------------------------------------------
def test_the_families_keep_what_they_were_not_meant_to_drop():
    """A remit is a group's ("It oversees ..."), not any sentence with "is responsible for"; the
    Prevent duty is the programme; a date before the period drops only its own clause's option."""
    remit = "Our priorities for 2020-21 were neglect and exploitation; a subgroup is responsible"
    page = [("Our priorities", f"Our priorities\n{remit} for each.")]
    assert _answer("A2", page) == ["neglect", "child_exploitation"]
    assert "radicalisation" in _answer("A2", _priorities("the Prevent duty in schools"))
    change = (
        "Independent scrutiny\nUntil 31 March 2023 the partnership had an independent chair, and "
        "since April 2023 an independent scrutineer has reviewed the arrangements."
    )
    assert _answer("C2m", [change], "2023-24") == ["independent_scrutineer"]


def test_of_counts_that_disagree_the_count_of_all_the_years_reviews_is_the_answer(monkeypatch):
    """rules-v20 "count_totals": an at-a-glance "2 new LCSPRs commissioned" beside "Three LCSPRs
    were under way or completed during the year" is the three, not the new ones alone."""
    texts = [
        ("At a glance", "2 new local child safeguarding practice reviews commissioned"),
        (
            "Local child safeguarding practice reviews",
            "Three LCSPRs were under way or completed during the year: Child A, Child B and "
            "Child C.",
        ),
    ]
    assert _draft_blocks("B1a", texts).answer == 3
    _without(monkeypatch, "count_totals")
    assert _draft_blocks("B1a", texts).answer == 2


def test_a_line_break_join_reads_the_sentence_at_its_own_place():
    """broken_lines (rules-v19) joins a sentence cut at a line break to its next line; a page
    that repeats the sentence (a summary box and the text below it) joins each at its own place,
    where it used to join the second from the first one's place (three lines as one)."""
    from assistant.engines.offline import _sentences, _with_next_line

    first = "Learning was built into the partnership's Working\nTogether course."
    second = "Learning was built into the partnership's Working\nTogether and Neglect courses."
    text = f"{first}\n{second}"
    sentences = tuple(_sentences(text))
    assert _with_next_line(text, sentences, 0) == first
    assert _with_next_line(text, sentences, 2) == second
