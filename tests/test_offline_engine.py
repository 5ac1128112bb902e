"""The offline engine: rules over retrieved evidence, always marked, always citing real text."""

from __future__ import annotations

import re

import pytest

from assistant.engines.offline import MARKER, _sentences
from evals.synthetic.sample_reports import generate_sample_set
from tests.make_pdf import text_pdf

PAGES = [
    [
        "Ashcombe Safeguarding Children Partnership",
        "Annual Report 2020-21",
        "This report covers the period 1 April 2020 to 31 March 2021.",
    ],
    [
        "Local context",
        "Online safety is a growing concern for schools in the area, and county lines activity",
        "was reported by the police in two towns.",
    ],
    [
        "Our priorities",
        "Our priorities this year were neglect and domestic abuse.",
        "Priority 1: Neglect",
        "Priority 2: Domestic abuse",
    ],
    [
        "Impact on neglect",
        "Repeat child protection plans for neglect fell from 21% to 12% compared with last year.",
        "A multi-agency audit found that the neglect toolkit was used in 80% of cases.",
    ],
    [
        "Learning from reviews",
        "Two rapid reviews were held during the year and one local child safeguarding practice",
        "review was commissioned.",
    ],
    [
        "Multi-agency training",
        "We delivered 48 courses attended by 1,210 practitioners.",
        "Evaluation forms showed 92% of attendees rated the training good or excellent.",
    ],
]


@pytest.fixture
def report(assistant, tmp_path):
    [result] = list(assistant.ingest([text_pdf(tmp_path / "ashcombe.pdf", PAGES)]))
    assert result.status == "indexed"
    return result.report


def drafts_for(assistant, ids):
    _, outcomes = assistant.draft_report("ashcombe", question_ids=ids, engine="offline")
    return {o.draft.question_id: o.draft for o in outcomes}


def test_priorities_are_not_confused_with_context(assistant, report):
    d = drafts_for(assistant, ["A1", "A2"])
    assert d["A1"].answer == "yes"
    assert "neglect" in d["A2"].answer and "domestic_abuse" in d["A2"].answer
    # online safety and county lines appear only as local context
    assert "online_safety" not in d["A2"].answer
    assert "child_exploitation" not in d["A2"].answer


def test_impact_with_figures_for_one_priority_only_is_partly(assistant, report):
    """Figures of change for neglect only, of two priorities: impact shown for some of the work
    (rules-v19 "impact_breadth"; the tool's "for some priorities only"), cited on its page."""
    d = drafts_for(assistant, ["A6"])["A6"]
    assert d.answer == "partly", d.rationale
    assert "some of the work only" in d.rationale
    assert 4 in d.pages and all(c.verified for c in d.citations)


def test_counts_and_training_ladder(assistant, report):
    d = drafts_for(assistant, ["B1b", "B7", "B8"])
    assert d["B1b"].answer == 2
    assert d["B7"].answer == "yes"
    assert d["B8"].answer == 2  # satisfaction scores, no change in knowledge or practice


def test_every_question_of_a_sample_report_is_drafted_marked_and_cited(assistant, tmp_path):
    [built] = generate_sample_set(tmp_path / "one", n=1, seed=31)
    list(assistant.ingest([built.path]))
    _, outcomes = assistant.draft_report(built.path.name, engine="offline")
    drafts = [o.draft for o in outcomes]
    answerable = [q for q in assistant.bank.questions if q.answerable_from_text]
    assert len(drafts) == len(answerable) == 32
    assert all(d.marker == MARKER for d in drafts)
    assert not [d for d in drafts if d.status == "failed"]
    citations = [c for d in drafts for c in d.citations]
    assert citations and all(c.verification == "exact" for c in citations)


def test_offline_ask_shows_ranked_evidence_with_the_marker(assistant, report):
    answer = assistant.ask(
        "ashcombe", "How many practitioners attended training?", engine="offline"
    )
    assert answer.marker == MARKER and answer.status == "answered"
    assert answer.citations[0].page == 6 and answer.citations[0].verified


def test_sentences_are_exact_substrings_and_keep_wrapped_lines():
    text = (
        "Our budget\nPartners funded the partnership with\na total of £90,000. Police paid 20%."
        "\nTotal"
    )
    parts = _sentences(text)
    assert all(p in text for p in parts)
    assert "Our budget" in parts and "Total" in parts
    assert "Partners funded the partnership with\na total of £90,000." in parts


def test_free_text_summary_lists_gaps_in_the_audit_tools_order_whatever_the_draft_order():
    """Two clean runs finish drafts in different orders (threads, reused drafts): C10's
    answer must not depend on it."""
    from assistant.engines.base import DraftContext
    from assistant.engines.offline import OfflineEngine
    from assistant.questions import load_bank

    c10 = load_bank().get("C10")
    answers = {"B4": "partly", "A10": "no", "A2": ["neglect"], "C3": "partly", "A9": "partly"}
    answers |= {"A6": "not", "B1a": 2, "A4": "partly", "C2m": ["independent_chair"]}
    texts = set()
    for order in (list(answers), list(reversed(answers)), sorted(answers)):
        context = DraftContext("r", "2020-21", "r1", earlier={k: answers[k] for k in order})
        texts.add(OfflineEngine().draft(c10, [], context).answer)
    assert texts == {
        "Gaps suggested by the other drafts — not evidenced / no: A6, A10; partly: A4, A9, B4, C3"
    }


COUNT_PAGES = [
    [
        "Coldbrook Safeguarding Children Partnership",
        "Annual Report 2020-21",
        "This report covers the period 1 April 2020 to 31 March 2021.",
    ],
    [
        "Learning from reviews",
        "Working Together 2018 (chapter 4, paragraph 5.3) requires the partners to hold a rapid",
        "review within 15 working days of a serious incident notification.",
        "Since our arrangements began in 2019 we have held nine rapid reviews in total.",
        "In June 2020 we held a rapid review after a six-year-old girl, Child P, was hurt.",
        "In January 2021 a baby, Baby R, was taken to hospital with serious injuries.",
        "The rapid review found that information had not been shared between services.",
        "A rapid review led by Marshfield Safeguarding Partnership looked at Child F.",
        "The serious case review into Child H was commissioned by the old board in 2017.",
        "A local child safeguarding practice review for Baby R began in March 2021.",
        "For Child P the Panel agreed that a local review was not needed.",
    ],
]


def test_counts_are_never_years_paragraphs_or_other_areas_reviews(assistant, tmp_path):
    """No number stated for the year: the named reviews are counted (Child P, Baby R), not
    2019, 2020, 5.3, 15 working days, the cumulative nine, the other area's Child F or the
    old framework's Child H."""
    [result] = list(assistant.ingest([text_pdf(tmp_path / "coldbrook.pdf", COUNT_PAGES)]))
    assert result.status == "indexed"
    _, outcomes = assistant.draft_report("coldbrook", question_ids=["B1a", "B1b"], engine="offline")
    d = {o.draft.question_id: o.draft for o in outcomes}
    assert d["B1b"].answer == 2, d["B1b"].rationale
    assert "Baby R" in d["B1b"].rationale and "Child P" in d["B1b"].rationale
    assert d["B1a"].answer == 1, d["B1a"].rationale  # Baby R; Child P needed no local review


def test_a_report_that_states_no_count_is_not_given_one(assistant, tmp_path):
    pages = [
        ["Hollowmere Partnership Annual Report 2020-21"],
        [
            "Learning from reviews",
            "Rapid reviews are completed within 15 working days (paragraph 4.2 of our procedure).",
            "Our rapid review process was revised in October 2020.",
            "Rapid reviews: 2020-21 summary of the process.",
        ],
    ]
    [result] = list(assistant.ingest([text_pdf(tmp_path / "hollowmere.pdf", pages)]))
    _, outcomes = assistant.draft_report("hollowmere", question_ids=["B1b"], engine="offline")
    assert outcomes[0].draft.status == "abstained", outcomes[0].draft.answer


def test_a_two_year_report_adds_the_counts_of_both_years():
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.engines.offline import OfflineEngine
    from assistant.index import Passage
    from assistant.questions import load_bank

    text = (
        "During 2019-20 the partnership held two rapid reviews.\n"
        "In 2020-21 the partnership held three rapid reviews.\n"
        "In 2018-19 the board held four rapid reviews."
    )
    passage = Passage("c1", "r", 7, text, 1.0, 0, len(text), section="Reviews")
    blocks = [EvidenceBlock("E1", passage)]
    engine, b1b = OfflineEngine(), load_bank().get("B1b")
    two_years = engine.draft(b1b, blocks, DraftContext("r", "2019-21", "r"))
    assert two_years.answer == 5, two_years.rationale
    one_year = engine.draft(b1b, blocks, DraftContext("r", "2020-21", "r"))
    assert one_year.answer == 3, one_year.rationale


def _draft_blocks(qid, texts, period="2020-21"):
    """The offline engine's draft of one question from hand-written evidence blocks:
    each text is a passage, optionally ("Section title", "text")."""
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.engines.offline import OfflineEngine
    from assistant.index import Passage

    blocks = []
    for i, item in enumerate(texts, 1):
        section, text = item if isinstance(item, tuple) else (None, item)
        passage = Passage(f"c{i}", "r", i, text, 1.0, 0, len(text), section=section)
        blocks.append(EvidenceBlock(f"E{i}", passage))
    question = load_bank().get(qid)
    return OfflineEngine().draft(question, blocks, DraftContext("r.pdf", period, "r"))


def load_bank():
    from assistant.questions import load_bank as load

    return load()


def test_priorities_are_this_periods_own_not_next_years_context_or_another_boards():
    result = _draft_blocks(
        "A2",
        [
            (
                "Our priorities for 2020-21",
                "Our priorities for 2020-21\nThe partners agreed three priorities for the year:\n"
                " Neglect: acting earlier when children's needs are not met.\n"
                " Keeping children safe from exploitation and county lines.\n"
                "What is not a partnership priority\nDomestic abuse is led by the Community "
                "Safety Partnership and is core business but not one of our priorities.",
            ),
            (
                "Looking ahead to 2021-22",
                "Looking ahead to 2021-22\nThe partners chose these priorities for the coming "
                "year after a development day:\n Harmful sexual behaviour.\n Online safety.",
            ),
            (
                "Neglect",
                "Online safety is a concern raised by schools; radicalisation is "
                "monitored by the Prevent board.",
            ),
        ],
    )
    assert result.status == "answered"
    assert sorted(result.answer) == ["child_exploitation", "neglect"]


def test_dissemination_reads_cancelled_events_other_senses_and_training_updated_with_learning():
    result = _draft_blocks(
        "B5",
        [
            (
                "Sharing learning",
                "Learning from reviews is shared through a learning briefing and the newsletter.\n"
                "The annual learning conference, planned for May 2020, was cancelled.\n"
                "Attendance at child protection conferences rose.\n"
                "The partnership runs a training programme for all agencies.",
            )
        ],
    )
    assert sorted(result.answer) == ["learning_briefings", "newsletters"]
    result = _draft_blocks(
        "B5",
        [
            (
                "Sharing learning",
                "Learning from the reviews was shared through a learning briefing.\n"
                "The content of three courses was updated with learning from the reviews.\n"
                "The escalation protocol was revised and relaunched.\n"
                "The designated safeguarding lead network discussed the learning.",
            )
        ],
    )
    assert sorted(result.answer) == [
        "learning_briefings",
        "practitioner_forums",
        "training_updates",
        "updated_procedures",
    ]


def test_scrutiny_model_reads_denials_and_a_chair_who_is_also_the_scrutineer():
    result = _draft_blocks(
        "C2m",
        [
            "Independent scrutiny is provided by an independent scrutineer rather than an "
            "independent chair; the chair of the executive rotates among the partners."
        ],
    )
    assert result.answer == ["independent_scrutineer"]
    result = _draft_blocks(
        "C2m",
        [
            "The independent chair leads the board.\n"
            "Jo Bloggs, Independent Chair and Scrutineer, Anyshire Partnership"
        ],
    )
    assert result.answer == ["independent_chair"]


def test_top_ratings_need_the_figures_the_key_asks_for():
    # a cue word twice is not data: shortfalls with reasons but no figures are "partly"
    result = _draft_blocks(
        "A8",
        [
            (
                "What we did not achieve",
                "The audit programme slipped because of the pandemic. The dashboard was not "
                "achieved because the analyst post was vacant.",
            )
        ],
    )
    assert result.answer == "partly"
    # a budget is "yes" only with each partner's contribution (a table row per partner)
    total_only = _draft_blocks(
        "C5", [("Our budget", "The total budget was £250,000, and income covered expenditure.")]
    )
    assert total_only.answer == "partly"
    table = _draft_blocks(
        "C5",
        [
            (
                "Our budget",
                "Our budget\nIncome and contribution by partner\nPartner\nContribution (£)\n"
                "Anyshire Council\n120,000\nAnyshire Police\n60,000\nTotal income\n180,000",
            )
        ],
    )
    assert table.answer == "yes"
    # practice change shown against a before position is evidenced
    result = _draft_blocks(
        "B4",
        [
            (
                "Learning from reviews: what changed in practice",
                "After the review the bruising protocol was relaunched. A re-audit showed the "
                "protocol was followed in 40 of 45 cases, up from 20 of 40 the year before. "
                "Referrals from midwives rose from 9 to 23.",
            )
        ],
    )
    assert result.answer == "evidenced"


def test_scrutiny_is_evidenced_only_with_findings_and_what_changed():
    role_only = _draft_blocks(
        "C2",
        [
            (
                "Independent scrutiny",
                "Independent scrutiny\nThe independent scrutineer attends the executive, visits "
                "front-line teams and observed two rapid reviews this year.",
            )
        ],
    )
    assert role_only.answer == "partly", role_only.rationale
    with_change = _draft_blocks(
        "C2",
        [
            (
                "Independent scrutiny",
                "Independent scrutiny\nScrutiny activity\nWhen\nFindings\nWhat changed\n"
                "Review of missing episodes\nMay 2020\nReturn interviews were offered in 11 of "
                "30 sampled episodes\nA single provider for return interviews from July 2020",
            )
        ],
    )
    assert with_change.answer == "evidenced", with_change.rationale
    # a change only planned is not what changed
    planned = _draft_blocks(
        "C2",
        [
            (
                "Independent scrutiny",
                "Independent scrutiny\nThe scrutineer's findings will be used to change the "
                "threshold guidance next year.",
            )
        ],
    )
    assert planned.answer == "partly", planned.rationale


def test_relevant_agencies_with_their_contribution_are_yes_names_alone_partly():
    names_only = _draft_blocks(
        "C3",
        [
            (
                "Relevant agencies",
                "Relevant agencies\nThe arrangements name these relevant agencies:\nSector\n"
                "Relevant agencies\nHealth\nCommunity trust; hospice\nHousing\nTwo housing "
                "associations",
            )
        ],
    )
    assert names_only.answer == "partly", names_only.rationale
    column = _draft_blocks(
        "C3",
        [
            (
                "Relevant agencies",
                "Relevant agencies\nThe table shows each relevant agency with its contribution "
                "this year.\nAgency\nContribution this year\nFire service\nHome safety checks",
            )
        ],
    )
    assert column.answer == "yes", column.rationale
    role_rows = _draft_blocks(
        "C3",
        [
            (
                "Organisation",
                "Anyshire Ambulance Trust\nRelevant agency\nSafeguarding referrals from crews\n"
                "Anyshire Fire Service\nRelevant agency\nHome safety visits\n"
                "Anyshire Housing\nRelevant agency\nJoint visits to families in arrears",
            )
        ],
    )
    assert role_rows.answer == "yes", role_rows.rationale


def test_voice_of_children_is_evidenced_only_when_a_resulting_change_is_shown():
    sought = _draft_blocks(
        "C6",
        [
            (
                "Hearing from young people",
                "Hearing from young people\nYoung people told us that review meetings were "
                "hard to follow. A new leaflet will be written with them next year.",
            )
        ],
    )
    assert sought.answer == "partly", sought.rationale
    changed = _draft_blocks(
        "C6",
        [
            (
                "Hearing from young people",
                "Hearing from young people: what they said and what we changed\nYoung people "
                "told us that review meetings were hard to follow.\nWhat we changed: chairs "
                "now meet each young person before the meeting.",
            )
        ],
    )
    assert changed.answer == "evidenced", changed.rationale


def test_embedding_is_checked_by_a_reaudit_or_survey_in_the_year_not_by_a_planned_one():
    done = _draft_blocks(
        "B6",
        [
            (
                "Checking the learning",
                "In 2020-21 a re-audit of strategy meetings tested whether the learning had "
                "been taken up: police attended 30 of 34, against 18 of 35 before. The staff "
                "survey in March asked whether practitioners knew the new escalation route; "
                "68% did.",
            )
        ],
    )
    assert done.answer == "yes", done.rationale
    planned = _draft_blocks(
        "B6",
        [
            (
                "Checking the learning",
                "We plan to re-audit strategy meetings in 2021-22 to test whether the learning "
                "has been taken up.",
            )
        ],
    )
    assert planned.answer == "no", planned.rationale


def test_impact_explicitly_deferred_is_not_evidenced():
    deferred = _draft_blocks(
        "A6",
        [
            (
                "The impact of our work",
                "The impact of our work\n1,400 practitioners attended training and 9,000 "
                "leaflets were handed out. We have not yet been able to measure the difference "
                "this has made to children; an outcomes framework is planned.",
            )
        ],
    )
    assert deferred.answer == "not", deferred.rationale
    # practice improvement: not yet tested and nothing claimed is "not"
    untested = _draft_blocks(
        "B4",
        [
            (
                "Learning from reviews",
                "We have not yet tested whether the learning from the reviews has changed "
                "practice; an audit is planned for next year.",
            )
        ],
    )
    assert untested.answer == "not", untested.rationale


def test_a_single_total_from_the_partners_is_not_a_partner_split():
    result = _draft_blocks(
        "C5",
        [
            (
                "Budget",
                "Budget\nIncome\n2020-21\nContributions from the safeguarding partners\n"
                "£305,000\nTraining income\n£12,000\nTotal income\n£317,000",
            )
        ],
    )
    assert result.answer == "partly", result.rationale


def test_training_satisfaction_results_are_level_two():
    result = _draft_blocks(
        "B8",
        [
            (
                "Multi-agency training",
                "Multi-agency training\nEach course ends with an online evaluation; 88 per cent "
                "of returns rated the course good or better.",
            )
        ],
    )
    assert result.answer == 2, result.rationale


def test_overall_rating_reads_the_other_drafts():
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.engines.offline import OfflineEngine
    from assistant.index import Passage

    text = "How effective are we\nWe have made progress on each priority this year."
    blocks = [EvidenceBlock("E1", Passage("c1", "r", 3, text, 1.0, 0, len(text), section=None))]
    c8 = load_bank().get("C8")
    strong = {"A9": "evidenced", "A6": "evidenced", "A8": "evidenced", "B2": "partly"}
    strong |= {"B3": "partly", "C6": "evidenced"}
    raised = OfflineEngine().draft(c8, blocks, DraftContext("r", "2020-21", "r", earlier=strong))
    assert raised.answer == "evidenced", raised.rationale
    assert raised.citations  # the passage that was read is still cited
    weak = strong | {"B3": "not"}
    kept = OfflineEngine().draft(c8, blocks, DraftContext("r", "2020-21", "r", earlier=weak))
    assert kept.answer == "partly", kept.rationale


def test_plan_bullets_under_a_next_year_heading_are_not_impact_evidence():
    result = _draft_blocks(
        "A7",
        [
            (
                "Looking ahead to 2021-22",
                "Looking ahead to 2021-22\n Restart the multi-agency audit programme so that "
                "we can show the impact of our work.",
            ),
            (
                "Impact",
                "Impact\nFamilies told us that the new family support service helped them.",
            ),
        ],
    )
    assert result.answer == ["child_family_feedback"], result.rationale


def test_safeguarding_measures_at_one_point_in_time_are_partly_data():
    result = _draft_blocks(
        "A10",
        [
            (
                "The year in brief",
                "The year in brief\nReferrals to children's social care (2020-21)\n2,310\n"
                "Children subject to a child protection plan\n188",
            )
        ],
    )
    assert result.answer == "partly", result.rationale


def test_each_partners_share_of_the_budget_is_a_partner_split():
    result = _draft_blocks(
        "C5",
        [
            (
                "Partners and their contribution",
                "The table sets out each partner's contribution.\nAnyshire Council\nSafeguarding "
                "partner\nHosts the business unit; 55% of the pooled budget\nAnyshire Police\n"
                "Safeguarding partner\nChairs the exploitation group; 25% of the pooled budget",
            )
        ],
    )
    assert result.answer == "yes", result.rationale


def test_activity_is_partly_when_one_priority_did_not_get_going():
    result = _draft_blocks(
        "A5",
        [
            (
                "Progress on our priorities",
                "Priority 1: Neglect\nWhat we did: we launched the neglect toolkit and trained "
                "40 champions.\nPriority 2: Online safety\nWork on this priority was slower to "
                "start and has been carried into 2021-22.\nThe online safety subgroup was formed.",
            )
        ],
    )
    assert result.answer == "partly", result.rationale


def test_a_count_in_a_table_with_a_column_per_year_is_the_periods_column():
    table = (
        "Reviews over three years\n2018-19\n2019-20\n2020-21\n"
        "Serious incident notifications sent to the national\nPanel\n2\n3\n6\n"
        "Rapid reviews held by the partnership (chapter 4,\nparagraphs 19 to 22)\n2\n1\n3\n"
        "Rapid reviews led by another partnership about one of our children\n0\n2\n1\n"
        "Local child safeguarding practice reviews commissioned\n1\n0\n2\n"
        "Serious case reviews (2013 framework) published\n1\n1\n1\n"
    )
    one_year = _draft_blocks("B1b", [("Learning from reviews", table)])
    assert one_year.answer == 3, one_year.rationale  # not 6 notifications, 22 or 2020
    assert _draft_blocks("B1a", [("Learning from reviews", table)]).answer == 2
    two_years = _draft_blocks("B1b", [("Learning from reviews", table)], period="2019-21")
    assert two_years.answer == 4, two_years.rationale


def test_a_count_table_read_one_cell_a_line():
    table = (
        "Rapid reviews are completed within 15 working days.\nType of review\nNumber\n"
        "Serious incident notifications\n6\nRapid reviews\n4\n"
        "Local child safeguarding practice reviews commissioned\n1\n"
    )
    assert _draft_blocks("B1b", [("Reviews", table)]).answer == 4
    assert _draft_blocks("B1a", [("Reviews", table)]).answer == 1


def test_reviews_named_under_their_own_headings_are_counted_by_what_each_section_says():
    text = (
        "Learning from reviews\n"
        "Child J\nIn July 2020 we held a rapid review after a toddler was injured at home. "
        "The partners agreed that a local review would not add to its learning.\n"
        "Baby W\nIn February 2021 a rapid review was held for an infant with a fracture. "
        "A local child safeguarding practice review was commissioned in March 2021.\n"
        "Child N\nThe serious case review into Child N, commissioned in 2017 by the former "
        "board, was published in June 2020.\n"
        "Reviews led by other areas\nWe took part in a rapid review held by Southfold "
        "Partnership.\n"
    )
    rapid = _draft_blocks("B1b", [("Learning from reviews", text)])
    assert (rapid.answer, rapid.features["rule"]) == (2, "named"), rapid.rationale
    local = _draft_blocks("B1a", [("Learning from reviews", text)])
    assert local.answer == 1, local.rationale


def test_a_priority_count_is_the_stated_number_never_a_figure_about_something_else():
    text = (
        "Our priorities\nWe worked to three priorities during 2020-21:\n- Neglect\n"
        "- Exploitation\n- Early help\nExploitation. Why this is a priority: the police "
        "identified 64 children at risk."
    )
    assert _draft_blocks("A1n", [("Our priorities", text)]).answer == 3
    other = "Why this is a priority: the police identified 64 children at risk."
    assert _draft_blocks("A1n", [("Our priorities", other)]).status == "not_found"


def test_counts_read_the_whole_retrieved_page_not_only_the_passage(assistant, tmp_path):
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.index import Passage

    pages = [
        ["Hartwell Safeguarding Children Partnership", "Annual Report 2020-21"],
        [
            "Learning from reviews",
            "The case review group met monthly.",
            "The partnership held five rapid reviews in 2020-21.",
        ],
    ]
    [ingested] = list(assistant.ingest([text_pdf(tmp_path / "hartwell.pdf", pages)]))
    report_id = ingested.report.report_id
    # retrieval gave only the first lines of page 2: the count is in the rest of the page
    cut = "Learning from reviews\nThe case review group met monthly."
    block = EvidenceBlock("E1", Passage("c1", report_id, 2, cut, 1.0, 0, len(cut)))
    engine, b1b = assistant.engine("offline"), load_bank().get("B1b")
    result = engine.draft(b1b, [block], DraftContext("hartwell.pdf", "2020-21", report_id))
    assert result.answer == 5, result.rationale
    [citation] = result.citations
    assert citation.block_id == "E1"
    assert "five rapid reviews" in citation.quote
    # without the report's pages (a bare engine) the passage is all there is
    bare = type(engine)().draft(b1b, [block], DraftContext("hartwell.pdf", "2020-21", report_id))
    assert bare.status == "not_found"


def test_a_training_count_is_the_total_row_of_the_attendees_column():
    table = (
        "Most courses moved online this year.\nCourse\nSessions\nAttendees\n"
        "Neglect awareness\n4\n88\nSafer sleep\n3\n1,150\nTotal\n7\n1,238\n"
        "Feedback forms were positive: 91% of people said the course met their needs."
    )
    result = _draft_blocks("B7n", [("Multi-agency training", table)])
    assert result.answer == 1238, result.rationale
    no_total = table.replace("Total\n7\n1,238\n", "")
    assert _draft_blocks("B7n", [("Multi-agency training", no_total)]).answer == 1238


# --- rules-v6: what kind of statement a sentence is -----------------------------------------
def test_plan_bullets_and_list_items_under_a_plan_lead_in_are_planned_not_done():
    from assistant.engines.offline import statement_kind

    # a bare plan bullet, with no heading for next year: an action still to take
    assert statement_kind("\u2022 Restart the joint audit programme with the health trusts") == (
        "planned"
    )
    assert statement_kind("\u2022 Restarted the joint audit programme in January") == "done"
    # items of a list whose lead-in is a plan share its modality
    text = (
        "Over the coming months we will:\n\u2022 Survey practitioners on the new pathway\n"
        "\u2022 Ask young people what they think of the Hub\nThe Hub opened in May."
    )
    result = _draft_blocks("A7", [("Our work on exploitation", text)])
    assert "practitioner_survey" not in (result.answer or []), result.rationale


def test_requirement_and_about_the_report_sentences_are_not_evidence():
    from assistant.engines.offline import statement_kind

    assert statement_kind("Partners must seek the views of young carers on services.") == (
        "required"
    )
    assert statement_kind("This report sets out how the partners gathered feedback.") == "context"
    assert statement_kind("We asked 40 young carers what they thought of the service.") == "done"
    required = (
        "Partners must seek and use feedback from children and families to shape services, "
        "and show the difference it made."
    )
    result = _draft_blocks("A7", [("What the guidance asks of us", required)])
    assert "child_family_feedback" not in (result.answer or []), result.rationale


def test_a_passage_cut_inside_a_requirement_gets_its_sentence_back(assistant, tmp_path):
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.index import Passage

    pages = [
        ["Harrowby Safeguarding Children Partnership", "Annual Report 2020-21"],
        [
            "About this report",
            "The guidance says the report should describe what we did and the ways in which",
            "partners have sought and used feedback from children and families, and its impact.",
        ],
    ]
    [ingested] = list(assistant.ingest([text_pdf(tmp_path / "harrowby.pdf", pages)]))
    report_id = ingested.report.report_id
    cut = "partners have sought and used feedback from children and families, and its impact."
    block = EvidenceBlock("E1", Passage("c1", report_id, 2, cut, 1.0, 0, len(cut)))
    engine, a7 = assistant.engine("offline"), load_bank().get("A7")
    result = engine.draft(a7, [block], DraftContext("harrowby.pdf", "2020-21", report_id))
    assert result.status == "answered"
    assert "child_family_feedback" not in result.answer, result.rationale
    # a bare engine has no page to restore the sentence from: the fragment reads as practice
    bare = type(engine)().draft(a7, [block], DraftContext("harrowby.pdf", "2020-21", report_id))
    assert "child_family_feedback" in (bare.answer or []), bare.rationale


def test_a_theme_name_that_names_a_workforce_is_not_the_theme():
    text = (
        "Our priorities for 2020-21\nPriority 1: Neglect\nNeglect remains our first priority: "
        "social workers and early help practitioners were trained in the neglect toolkit."
    )
    result = _draft_blocks("A2", [("Our priorities for 2020-21", text)])
    assert "neglect" in result.answer, result.rationale
    assert "early_help" not in result.answer, result.rationale


def test_a_heading_is_not_an_assertion_for_yes_partly_no_questions():
    # "What we did on ..." names a section; without specific actions under it the activity
    # is only described (A5: partly), not shown for each priority
    text = (
        "Our priorities this year\nWhat we did on online safety\nWork is ongoing with schools "
        "on online safety.\nWhat we did on neglect\nWork is ongoing with health visitors."
    )
    result = _draft_blocks("A5", [("Our priorities this year", text)])
    assert result.answer == "partly", result.rationale


# --- rules-v7: what kind of evidence a sentence is (theme A) ---------------------------------
def _without(monkeypatch, family):
    """Switch one rule family off, to show what it changes."""
    from assistant.engines import offline

    monkeypatch.setattr(offline, "RULE_FAMILIES", offline.RULE_FAMILIES - {family})


def test_evidence_kind_tells_requirements_plans_shortfalls_impact_and_judgements_apart():
    from assistant.engines.offline import evidence_kind

    assert (
        evidence_kind(
            "Working Together 2018 asks partners to analyse areas where there has been little or "
            "no evidence of progress on agreed priorities."
        )
        == "requirement"
    )
    assert evidence_kind("We will restart the audit programme in 2021-22.") == "plan"
    assert (
        evidence_kind("Only 61 per cent of early help assessments were completed within six weeks.")
        == "shortfall"
    )
    assert evidence_kind("Repeat plans for neglect fell from 24% to 16%.") == "impact"
    assert evidence_kind("Across the framework, 10 of the 19 measures with a target were met.") == (
        "impact"
    )
    assert evidence_kind("We believe that our work is making a real difference.") == (
        "impact_claim"
    )
    assert (
        evidence_kind(
            "We cannot yet show whether our training has led to better outcomes for children."
        )
        == "deferred"
    )
    assert evidence_kind("Weakness: long plans for neglect.") == "judgement"
    assert evidence_kind("The neglect subgroup met six times.") == "activity"


_LESS_PROGRESS = (
    "Where we have made less progress",
    "Where we have made less progress\nWorking Together 2018 asks partners to analyse areas "
    "where there has been little or no evidence of progress.\nEarly help assessment timeliness\n"
    "Only 61 per cent of early help assessments were completed within six weeks, against 74 per "
    "cent the year before. The redeployment of family support workers left fewer staff.",
)


def test_a_shortfall_stated_with_its_figure_is_evidence_of_little_progress(monkeypatch):
    result = _draft_blocks("A8", [_LESS_PROGRESS])
    assert result.answer == "evidenced", result.rationale
    # the request to analyse is the requirement, never cited as the analysis
    assert all("asks partners" not in c.quote for c in result.citations), result.citations
    _without(monkeypatch, "asks")
    assert _draft_blocks("A8", [_LESS_PROGRESS]).answer != "evidenced"


def test_generic_reasons_for_priorities_are_partly(monkeypatch):
    generic = (
        "Our priorities",
        "Our priorities for 2020-21 were neglect and domestic abuse. These priorities were chosen "
        "because partners felt they were the issues that most affected children. Neglect was the "
        "main category for 45% of child protection plans.",
    )
    assert _draft_blocks("A4", [generic]).answer == "partly"
    _without(monkeypatch, "reasons")
    assert _draft_blocks("A4", [generic]).answer == "yes"


def test_why_this_is_a_priority_needs_reasons_grounded_for_two_priorities(monkeypatch):
    def why(second):
        return [
            (
                "Our priorities for 2020-21",
                "Our priorities for 2020-21\nPriority 1: Neglect\nWhy this is a priority: neglect "
                "was the main category for 47 per cent of child protection plans.\nPriority 2: "
                f"Hearing children\nWhy this is a priority: {second}",
            )
        ]

    grounded = why("the 2020 audit found the child's voice recorded in 54% of 48 cases.")
    result = _draft_blocks("A4", grounded)
    assert result.answer == "yes"
    # the rationale names the words found, never the engine's pattern
    assert "re:" not in result.rationale and "(?:" not in result.rationale
    assert "why this is a priority" in result.rationale.lower()
    generic = why("children deserve to be listened to, and we believe services are safer.")
    assert _draft_blocks("A4", generic).answer == "partly"
    _without(monkeypatch, "reasons")
    assert _draft_blocks("A4", grounded).answer == "no"


def test_impact_asserted_in_words_without_figures_is_partly(monkeypatch):
    claim = (
        "Children living with domestic abuse",
        "The team worked with 40 mothers during the second lockdown. We believe that our work is "
        "making a real difference to these families.",
    )
    assert _draft_blocks("A6", [claim]).answer == "partly"
    _without(monkeypatch, "impact_claim")
    assert _draft_blocks("A6", [claim]).answer == "not"


def test_a_judgement_naming_its_sources_and_weaknesses_with_targets_met_is_evidenced(
    monkeypatch,
):
    judged = (
        "How effective are our arrangements?",
        "The partners judge that the arrangements were effective in three of our four priority "
        "areas, using four sources of evidence: the outcomes framework, audits, scrutiny and the "
        "Ofsted visit.\nWeakness: long plans for neglect.\nAcross the framework, 10 of the 19 "
        "measures with a target were met.",
    )
    assert _draft_blocks("A9", [judged]).answer == "evidenced"
    _without(monkeypatch, "judgement")
    assert _draft_blocks("A9", [judged]).answer == "partly"


def test_an_agencys_contribution_to_the_priorities_is_not_a_statement_of_them(monkeypatch):
    blocks = [
        (
            "Our priorities for 2020-21",
            "Our priorities for 2020-21\nPriority 1: Neglect\nPriority 2: Child exploitation",
        ),
        (
            "Our contribution to the shared priorities",
            "Our contribution to the shared priorities\nThe council's early help offer reached "
            "340 families this year.",
        ),
    ]
    assert sorted(_draft_blocks("A2", blocks).answer) == ["child_exploitation", "neglect"]
    _without(monkeypatch, "priority_pages")
    assert "early_help" in _draft_blocks("A2", blocks).answer


def _cut_passage(assistant, pdf, pages, cut, section, period):
    """(engine, context, [block]) for one passage cut from page 2 of an ingested PDF."""
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.index import Passage

    [ingested] = list(assistant.ingest([text_pdf(pdf, pages)]))
    report_id = ingested.report.report_id
    passage = Passage("c1", report_id, 2, cut, 1.0, 0, len(cut), section=section)
    context = DraftContext(pdf.name, period, report_id)
    return assistant.engine("offline"), context, [EvidenceBlock("E1", passage)]


def test_priorities_are_read_over_the_whole_page_of_a_cut_passage(assistant, tmp_path):
    pages = [
        ["Harrowby Safeguarding Children Partnership", "Annual Report 2020-21"],
        [
            "Our priorities for 2020-21",
            "The Executive agreed three priorities for 2020-21.",
            "Priority 1: Emotional wellbeing and mental health",
            "Young people ranked mental health as their top concern.",
            "Priority 2: Early help",
            "Only 29 per cent of early help assessments were started by other agencies.",
        ],
    ]
    cut = "Priority 2: Early help\nOnly 29 per cent of early help assessments were started."
    engine, context, blocks = _cut_passage(
        assistant, tmp_path / "harrowby.pdf", pages, cut, "Priority 2: Early help", "2020-21"
    )
    a2 = load_bank().get("A2")
    result = engine.draft(a2, blocks, context)
    assert sorted(result.answer) == ["childrens_mental_health", "early_help"], result.rationale
    # a bare engine reads the passage only
    bare = type(engine)().draft(a2, blocks, context)
    assert bare.answer == ["early_help"], bare.rationale


def test_impact_cues_mark_a_passage_and_find_trends_and_what_families_said(monkeypatch):
    text = (
        "Children living with domestic abuse",
        "Jamie's mum told us that she felt listened to for the first time.\nThe proportion of "
        "plans reviewed on time rose from 62% to 81%.\nThe first rapid review to meet the "
        "timescale was held from 1 April 2020 to 31 March 2021.",
    )
    assert sorted(_draft_blocks("A7", [text]).answer) == [
        "child_family_feedback",
        "outcome_data_trend",
    ]
    # training participants are not children or families; a period is not a trend
    training = (
        "Training delivered",
        "Participants told us that they valued the sessions, which ran from 1 April 2020 to 31 "
        "March 2021 and helped them meet Ellie's needs.",
    )
    assert not (_draft_blocks("A7", [training]).answer or [])
    _without(monkeypatch, "impact_cues")
    assert _draft_blocks("A7", [text]).status == "not_found"


# --- rules-v8: activity on each priority (A5) -------------------------------------------------
def test_specific_actions_for_every_priority_is_yes():
    # past-tense actions with a concrete object, none of the bank's "yes" phrases
    result = _draft_blocks(
        "A5",
        [
            (
                "Priority 1: Neglect",
                "Actions\nPartners introduced a new neglect pathway in June "
                "2020.\nThe council trained 120 practitioners in the neglect assessment tool.",
            ),
            (
                "Priority 2: Exploitation",
                "Actions\nThe police set up a multi-agency exploitation "
                "panel.\nPartners published a protocol for missing children.",
            ),
            (
                "Priority 3: Early help",
                "Actions\nSchools ran 14 workshops for parents on early help.",
            ),
        ],
    )
    assert result.answer == "yes", result.rationale


def test_specific_actions_for_one_priority_of_three_is_partly():
    result = _draft_blocks(
        "A5",
        [
            (
                "Priority 1: Neglect",
                "What we did\nWe launched a new neglect strategy in June "
                "2020.\nWe trained 120 practitioners in the neglect assessment tool.",
            ),
            (
                "Priority 2: Exploitation",
                "What we did\nThe exploitation subgroup met regularly "
                "during the year.\nPartners continued to work together on exploitation.",
            ),
            (
                "Priority 3: Early help",
                "What we did\nA range of help continued to be offered to "
                "families. Work is ongoing on early help.",
            ),
        ],
    )
    assert result.answer == "partly", result.rationale


def test_what_we_did_not_get_done_is_not_activity():
    result = _draft_blocks(
        "A5",
        [
            (
                "Priority 1: Neglect",
                "What we did\nWe launched a new neglect strategy in June "
                "2020.\nWe trained 120 practitioners in the neglect assessment tool.",
            ),
            (
                "Priority 2: Exploitation",
                "What we did\nWe set up a multi-agency exploitation "
                "panel.\nPartners published a protocol for missing children.",
            ),
            (
                "Priority 3: Early help",
                "What we did\nThe early help subgroup met regularly.\n"
                "What we did not get done\nWe launched the early help strategy late; we did not "
                "train the 200 practitioners we planned to.",
            ),
        ],
    )
    assert result.answer == "partly", result.rationale


# --- rules-v9: the period covered (C1) --------------------------------------------------------
def test_period_is_a_stated_span_or_year_label_never_a_month_or_annual_report(monkeypatch):
    no_period = [
        "A new case management system went live in March after several months of testing.",
        ("Governance", "Information governance, Annual report sign-off, subgroup notes."),
        "The board agreed its budget in April.",
    ]
    result = _draft_blocks("C1", no_period, period=None)
    assert result.answer == "no", result.rationale
    assert result.citations == []
    _without(monkeypatch, "period_stated")  # the topic cues alone ("March", "annual report")
    assert _draft_blocks("C1", no_period, period=None).answer == "yes"


def test_period_prefers_the_reports_own_and_asks_a_reason_for_a_longer_one():
    stated = [
        "Our priorities for 2021-22 are set out at the end.",
        "This report covers the period from 1 April 2020 to\n31 March 2021.",
    ]
    result = _draft_blocks("C1", stated, period="2020-21")
    assert result.answer == "yes" and result.features["rule"] == "period own", result.rationale
    assert [c.block_id for c in result.citations] == ["E2"]
    assert "31 March 2021" in result.citations[0].quote
    named = _draft_blocks("C1", ["Annual Report 2020/21"], period=None)
    assert named.answer == "yes" and named.features["rule"] == "period named"
    two_years = ["This report covers 1 April 2019 to 31 March 2021."]
    assert _draft_blocks("C1", two_years, period="2019-21").answer == "no"
    reasoned = [
        "This report covers 1 April 2019 to 31 March 2021, because the pandemic delayed the "
        "report for 2019-20."
    ]
    assert _draft_blocks("C1", reasoned, period="2019-21").answer == "yes"


def test_training_ladder_reads_take_up_and_satisfaction_in_other_words():
    page = (
        "Multi-agency training",
        "Our training offer is open to staff from all agencies.\n"
        "Course\nSessions\nAttendees\nSafer sleep\n33\n398\nOnline safety\n62\n1,196",
    )
    assert _draft_blocks("B8", [page]).answer == 1  # the table's attendance column
    places = ("Multi-agency training", "In total 1,200 places were taken up on 7 courses.")
    assert _draft_blocks("B8", [places]).answer == 1
    liked = (
        "Multi-agency training",
        "In total 3,390 places were taken up on 5 courses. "
        "Feedback forms were positive: 87% of people said the course met their needs.",
    )
    result = _draft_blocks("B8", [liked])
    assert result.answer == 2, result.rationale
    planned = (
        "Multi-agency training",
        "In 2021-22 we plan to evaluate the impact of "
        "training on practice. Courses are delivered by a pool of trainers.",
    )
    assert _draft_blocks("B8", [planned]).answer == 0  # plans to evaluate do not count


def test_what_improved_needs_a_change_described_or_claimed_not_a_section_on_reviews(monkeypatch):
    section = (
        "Learning from reviews",
        "The learning and review subgroup meets every six weeks "
        "and oversees all review activity. Learning was shared through a podcast.",
    )
    assert _draft_blocks("B4", [section]).answer == "not"
    claimed = (
        "Learning from reviews",
        "Practitioners tell us they are more aware of the learning from reviews.",
    )
    result = _draft_blocks("B4", [claimed])
    assert result.answer == "partly", result.rationale
    unmeasured = (
        "Learning from reviews",
        "We think the learning has improved practice, although we have not yet measured this.",
    )
    assert _draft_blocks("B4", [unmeasured]).answer == "partly"
    asked = (
        "Learning from reviews",
        "We have not yet tested whether the learning from these reviews has changed practice.",
    )
    assert _draft_blocks("B4", [asked]).answer == "not"
    _without(monkeypatch, "described_change")  # the section alone then reads as 'partly'
    assert _draft_blocks("B4", [section]).answer == "partly"


def test_little_progress_needs_a_shortfall_and_because_counts_only_beside_one(monkeypatch):
    successes = (
        "Progress on our priorities",
        "All of our priorities made good progress during "
        "the year. The move to the new system needed careful planning because of the "
        "age of the old records.",
    )
    assert _draft_blocks("A8", [successes]).answer == "not"
    _without(monkeypatch, "reason_of_shortfall")  # any "because" then reads as a reason
    assert _draft_blocks("A8", [successes]).answer != "not"


def test_little_progress_with_its_reason_is_still_evidence():
    shortfall = (
        "Where we made less progress",
        "Less progress was made on assessing risk than "
        "we planned, because the audit team was redeployed during the pandemic. Only 3 "
        "of the 9 actions were completed by the year end.",
    )
    result = _draft_blocks("A8", [shortfall])
    # named with its reason and figure; 'evidenced' also needs figures that change (A8's rule)
    assert result.answer == "partly", result.rationale
    assert any("because the audit team" in c.quote for c in result.citations)


def test_scrutiny_findings_and_what_changed_are_evidence():
    found = (
        "Scrutiny and assurance",
        "The independent chair attended subgroups and spoke to "
        "frontline staff. The scrutiny found that health attendance at strategy discussions "
        "was inconsistent. As a result the partners changed the invitation process, and "
        "attendance rose from 56% to 66%.",
    )
    result = _draft_blocks("C2", [found])
    assert result.answer == "evidenced", result.rationale
    planned = (
        "Scrutiny and assurance",
        "The independent chair attended subgroups. Next year "
        "the scrutiny will test whether the independent chair found the data useful.",
    )
    assert _draft_blocks("C2", [planned]).answer == "partly"


def test_impact_section_with_only_activity_is_not_evidenced(monkeypatch):
    activity = (
        "What we did and the difference it made",
        "What we did and the difference it "
        "made\nWe held six multi-agency meetings and launched a neglect toolkit. "
        "Training was delivered to 300 staff.",
    )
    assert _draft_blocks("A6", [activity]).answer == "not"
    claimed = (
        "What we did and the difference it made",
        "Partners told us this has improved outcomes for children.",
    )
    assert _draft_blocks("A6", [claimed]).answer == "partly"
    monkeypatch.setattr(
        __import__("assistant.engines.offline", fromlist=["x"]), "_MID_NEEDS_CUES", {"B4", "A8"}
    )
    assert _draft_blocks("A6", [activity]).answer == "partly"  # the section heading alone


# --- rules-v10: a check of the learning (B6) as auditors rate it --------------------------------
_TESTED = (
    "A re-audit of the case group tested the learning from the review: 78% of cases now showed "
    "the expected practice, up from 52%."
)
_SOME_UNTESTED = _TESTED + " The learning from the year's other reviews has not yet been tested."


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        (_TESTED, "yes"),
        (_SOME_UNTESTED, "partly"),  # tested for some learning only
        (
            "A practitioner survey tested whether the learning from one review had been taken "
            "up; the learning from the other reviews is yet to be tested.",
            "partly",
        ),
        (
            "A dip-sample of cases checked whether the learning from the review about Child M "
            "had been taken up. The learning from the other reviews has not yet been tested.",
            "partly",
        ),
        (
            "A re-audit to test whether the learning is embedded is planned for 2021-22. "
            "The learning will be tested through the audit programme.",
            "no",  # a plan is not a check
        ),
        # an action's status in a tracker, not the learning
        (_TESTED + "\nAction 4: refresh the escalation policy\nNot yet evaluated", "yes"),
    ],
    ids=["tested", "some-only", "survey-some", "sample-some", "planned", "action-status"],
)
def test_checking_the_learning_counts_what_was_tested_not_what_is_planned(text, answer):
    result = _draft_blocks("B6", [("Learning from reviews", text)])
    assert result.answer == answer, result.rationale


def test_without_the_some_learning_rule_a_partial_check_reads_as_yes(monkeypatch):
    _without(monkeypatch, "some_learning_only")
    assert _draft_blocks("B6", [("Learning from reviews", _SOME_UNTESTED)]).answer == "yes"


def test_sample_reports_rate_b6_as_auditors_do():
    """The generator's B6 follows the key's scale: 'partly' is a check of some of the learning
    only, and a check only planned is a near miss of a 'no' report, never 'partly' evidence."""
    import dataclasses
    import random

    from evals.synthetic.sample_reports import report_context
    from evals.synthetic.spec import random_spec
    from evals.synthetic.text import Wording
    from evals.synthetic.theme_bc import learning

    def b6_text(answer, seed):
        spec = dataclasses.replace(random_spec(seed), embedding_checked=answer)
        section = learning(spec, Wording(random.Random(seed), report_context(spec)))
        tagged = [b.text for b in section.blocks if "B6" in getattr(b, "qids", ())]
        every = " ".join(getattr(b, "text", "") for b in section.blocks)
        return tagged, every

    for seed in range(8):
        tagged, _ = b6_text("partly", seed)
        assert len(tagged) == 1 and re.search(r"not yet been tested|yet to be tested", tagged[0])
        tagged, every = b6_text("no", seed)
        assert not tagged and "yet to be tested" not in every
    assert any("planned for" in b6_text("no", seed)[1] for seed in range(8))  # near misses


def test_practice_themes_are_read_from_this_periods_priorities_only(monkeypatch):
    """A3 as A2: a practice theme counts when the report names it as one of this period's
    priorities, not where an agency describes its practice (the MASH, supervision)."""
    blocks = [
        (
            "Our priorities",
            "Our priorities for 2020-21 were:\nPriority 1: Neglect\n"
            "Priority 2: Professional curiosity and respectful challenge",
        ),
        (
            "Children's social care",
            "Practice at the front door improved: the MASH handled 4,200 contacts. "
            "Supervision of practice was audited twice and caseloads fell.",
        ),
    ]
    result = _draft_blocks("A3", blocks)
    assert result.answer == ["professional_curiosity"], result.rationale
    _without(monkeypatch, "practice_scope")
    assert {"front_door", "workforce_supervision"} <= set(_draft_blocks("A3", blocks).answer)


def test_ways_of_sharing_learning_in_plain_words():
    """B5 (rules-v10): "updates to the training programme", "changes to the multi-agency
    procedures", "learning briefs" and "the designated safeguarding leads' forum" are the
    options' methods in other words."""
    shared = (
        "Sharing the learning",
        "Practitioners heard about the learning through updates to the training programme, "
        "changes to the multi-agency procedures, short learning briefs and the designated "
        "safeguarding leads' forum.",
    )
    result = _draft_blocks("B5", [shared])
    assert set(result.answer) == {
        "training_updates",
        "updated_procedures",
        "learning_briefings",
        "practitioner_forums",
    }, result.rationale


# --- rules-v11: what a deferral is about; work intended and not carried out ----------------------
@pytest.mark.parametrize(
    ("question_id", "sentence", "defers"),
    [
        (
            "A6",
            "We have not yet been able to gather the evidence that would show the difference "
            "our work has made to children.",
            True,
        ),
        (
            "A6",
            "We cannot yet say whether this change in practice has led to better outcomes "
            "for children.",
            False,
        ),  # one piece of work, not the report's impact
        (
            "B4",
            "We have not yet tested whether the learning from these reviews has changed practice.",
            True,
        ),
        (
            "B4",
            "We do not yet know whether the training has changed what practitioners do.",
            False,
        ),  # training, not the learning from reviews
        (
            "B4",
            "We cannot yet say whether the change in practice from the review learning has "
            "led to better outcomes.",
            False,
        ),  # the practice changed; outcomes are A6's
        ("B4", "The learning from the reviews has changed practice at the front door.", False),
    ],
    ids=["a6-overall", "a6-one-change", "b4-learning", "b4-training", "b4-outcomes", "b4-done"],
)
def test_a_deferral_defers_only_what_the_question_asks(question_id, sentence, defers):
    from assistant.engines.offline import _defers

    assert _defers(question_id, sentence) is defers


def test_without_the_deferral_scope_any_deferral_defers(monkeypatch):
    from assistant.engines.offline import _defers

    _without(monkeypatch, "deferral_scope")
    assert _defers(
        "B4", "We do not yet know whether the training has changed what practitioners do."
    )


@pytest.mark.parametrize(
    ("text", "shared"),
    [
        (
            "We had planned a learning conference for March 2022 but it was postponed to June "
            "2022, after the period. Learning briefings went to 400 practitioners.",
            False,
        ),
        (
            "We had also hoped to launch a partnership podcast this year. Learning briefings went "
            "to 400 practitioners.",
            False,
        ),
        (
            "A learning conference for 180 practitioners was held in March 2021, and it was "
            "recorded for the website. Learning briefings went to 400 practitioners.",
            True,
        ),
    ],
    ids=["postponed", "hoped-to", "held"],
)
def test_work_intended_this_year_and_not_carried_out_is_not_shared(text, shared):
    result = _draft_blocks("B5", [("Sharing the learning", text)])
    chosen = set(result.answer)
    assert "learning_briefings" in chosen, result.rationale
    assert bool(chosen & {"events_conferences", "webinars_podcasts"}) is shared, result.rationale


def test_without_the_unfulfilled_rule_a_postponed_conference_is_shared(monkeypatch):
    _without(monkeypatch, "unfulfilled")
    text = "We had planned a learning conference for March 2021 but it was postponed."
    assert "events_conferences" in _draft_blocks("B5", [("Sharing the learning", text)]).answer


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (
            "Rapid reviews in 2022-23\nRR-22-01\nChild E, 4 months\nLearning captured in the rapid "
            "review; no LCSPR\nRR-22-02\nSibling group L\nLCSPR commissioned January 2023\n"
            "Two local child safeguarding practice reviews were active during the year.",
            2,
        ),
        ("No local child safeguarding practice reviews\n(LCSPRs) were commissioned in 2022-23.", 0),
        ("The partners commissioned no LCSPRs in the year.", 0),
    ],
    ids=["decision-cell", "statement-over-a-line", "verb-first"],
)
def test_a_count_of_none_is_a_statement_about_the_period(text, count):
    result = _draft_blocks("B1a", [("Child safeguarding practice reviews", text)])
    assert result.answer == count, result.rationale


def test_every_question_reads_its_retrieved_pages_whole(assistant, tmp_path, monkeypatch):
    """rules-v11 "whole_pages": a passage about the learning finds the page; the re-audit
    against its before position further down the page decides B4 (practice change shown with
    data against a before position), which the passage alone does not show."""
    pages = [
        ["Farrowby Safeguarding Children Partnership", "Annual Report 2021-22"],
        [
            "Learning from the review of Child R",
            "The review's learning changed how practitioners respond to bruising in babies.",
            "A new bruising protocol was launched in July with a seven-minute briefing.",
            "The re-audit in January found the protocol followed in full in 19 of 22 cases,",
            "against 11 of 20 before the changes.",
            "Referrals of bruised babies to the hospital rose from 4 to 13 a quarter.",
        ],
    ]
    cut = "The review's learning changed how practitioners respond to bruising in babies."
    engine, context, blocks = _cut_passage(
        assistant, tmp_path / "farrowby.pdf", pages, cut, "Learning from reviews", "2021-22"
    )
    b4 = load_bank().get("B4")
    result = engine.draft(b4, blocks, context)
    assert result.answer == "evidenced", result.rationale
    _without(monkeypatch, "whole_pages")
    assert engine.draft(b4, blocks, context).answer != "evidenced"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (
            "Rapid reviews\nThe notification was withdrawn with the agreement of the Panel and no "
            "rapid review was held. We held three rapid reviews in 2020-21.",
            3,
        ),
        (
            "Rapid reviews\nFor Child E the Panel agreed that no LCSPR was needed. Two local child "
            "safeguarding practice reviews were commissioned in 2020-21.",
            2,
        ),
        (
            "Rapid reviews\nWe held three rapid reviews in 2020-21. The first two rapid reviews of "
            "the year took 24 and 21 working days.",
            3,
        ),
    ],
    ids=["withdrawn-notification", "panel-decision", "the-first-two"],
)
def test_one_cases_decision_and_some_of_the_reviews_are_not_the_count(text, count):
    qid = "B1a" if "LCSPR" in text else "B1b"
    result = _draft_blocks(qid, [("Reviews", text)])
    assert result.answer == count, result.rationale


@pytest.mark.parametrize(
    ("text", "option", "chosen"),
    [
        (
            "Five-minute briefings: a two-page summary of each review went to every agency.",
            "learning_briefings",
            True,
        ),
        (
            "Six Learning Notes were published in the year, one for each review.",
            "learning_briefings",
            True,
        ),
        (
            "Learning from Child R was added to the Level 3 multi-agency safeguarding course.",
            "training_updates",
            True,
        ),
        (
            "The learning was written into the multi-agency training courses.",
            "training_updates",
            True,
        ),
        (
            "We hope to hold a learning event for practitioners in 2021-22.",
            "events_conferences",
            False,
        ),  # an intention, not done
    ],
    ids=["n-minute", "learning-notes", "added-to-course", "written-into", "hope-to"],
)
def test_ways_of_sharing_learning_rules_v11(text, option, chosen):
    result = _draft_blocks("B5", [("Sharing the learning from reviews", text)])
    assert (option in (result.answer or [])) is chosen, result.rationale


def test_the_former_boards_arrangements_are_not_this_periods_model(monkeypatch):
    text = (
        "Under the LSCB, the Board had an independent chair, whose role ended when the new "
        "arrangements began. Our Independent Scrutineer was appointed in 2019 and reviews the "
        "arrangements each year."
    )
    result = _draft_blocks("C2m", [("Independent scrutiny", text)])
    assert result.answer == ["independent_scrutineer"], result.rationale
    _without(monkeypatch, "former_board")
    assert "independent_chair" in _draft_blocks("C2m", [("Independent scrutiny", text)]).answer


@pytest.mark.parametrize(
    ("sentence", "period", "after"),
    [
        ("A reciprocal peer review has been agreed in principle for autumn 2022.", "2021-22", True),
        ("The review is planned for June 2023.", "2021-22", True),
        ("The learning conference was held in June 2021.", "2021-22", False),
        ("The protocol was relaunched in March 2022.", "2021-22", False),
        ("A peer review took place in autumn 2020.", "2019-21", False),
        ("A peer review is set for autumn 2022.", "not stated", False),  # no period: no judgement
    ],
)
def test_work_set_for_after_the_period_is_not_this_periods(sentence, period, after):
    from assistant.engines.offline import _after_period

    assert _after_period(sentence, period) is after


def test_a_scrutiny_model_agreed_for_after_the_period_is_not_chosen(monkeypatch):
    text = (
        "Our Independent Scrutineer reviewed the front door in the year. A reciprocal peer "
        "review with a neighbouring partnership has been agreed in principle for autumn 2021."
    )
    assert _draft_blocks("C2m", [("Independent scrutiny", text)]).answer == [
        "independent_scrutineer"
    ]
    _without(monkeypatch, "after_period")
    assert "reciprocal_scrutiny" in _draft_blocks("C2m", [("Independent scrutiny", text)]).answer


def test_a_theme_the_report_says_is_not_a_priority_is_not_one(monkeypatch):
    texts = [
        (
            "Our priorities for 2020-21",
            "Priority 1: Neglect. The Neglect and Early Help Group "
            "leads priority 1, with early help practitioners in every locality.",
        ),
        (
            "Early help",
            "Early help is not one of our priorities in its own right but runs "
            "through all of them, particularly neglect.",
        ),
    ]
    result = _draft_blocks("A2", texts)
    assert "neglect" in result.answer and "early_help" not in result.answer, result.rationale
    _without(monkeypatch, "denied_priority")
    _without(monkeypatch, "priority_anaphora")  # which also reads "Early Help Group" as a group
    assert "early_help" in _draft_blocks("A2", texts).answer


def test_a_topic_word_in_another_sense_is_not_the_topic_rules_v12(monkeypatch):
    text = (
        "Staff were given new laptops and secure phones so that they can work away from the "
        "office. Secure email is used for every referral. The secure portal was upgraded."
    )
    assert _draft_blocks("C7", [("Our staff", text)]).answer == "no"
    _without(monkeypatch, "topic_other_sense")
    assert _draft_blocks("C7", [("Our staff", text)]).answer == "yes"


def test_a_new_procedure_is_a_change_from_learning_only_when_tied_to_it(monkeypatch):
    untied = [
        (
            "Our year",
            "A new case management system was introduced in June. The website "
            "was launched in March.",
        )
    ]
    tied = [
        (
            "Learning from reviews",
            "Following the rapid review, a new pathway for bruising "
            "in babies was introduced in June.",
        )
    ]
    assert _draft_blocks("B4", untied).answer == "not"
    assert _draft_blocks("B4", tied).answer == "partly"
    _without(monkeypatch, "learning_tied")
    assert _draft_blocks("B4", untied).answer == "partly"


def test_what_the_guidance_expects_is_a_requirement_not_a_judgement():
    from assistant.engines.offline import statement_kind

    sentence = (
        "The guidance expects the report to say how effective the arrangements have "
        "been, and to show the impact of the partners' work."
    )
    assert statement_kind(sentence) == "required"


# --- rules-v13 ---------------------------------------------------------------------------
def test_the_overall_rating_needs_effectiveness_and_impact_evidenced_rules_v13(monkeypatch):
    from assistant.engines.base import DraftContext, EvidenceBlock
    from assistant.engines.offline import OfflineEngine
    from assistant.index import Passage

    text = (
        "How effective are our arrangements\nThe evidence: our multi-agency audit found that "
        "plans improved: 31 of 40 were good compared with 18 of 40 last year; the data shows "
        "impact. Families told us and children told us they feel listened to."
    )
    blocks = [EvidenceBlock("E1", Passage("c1", "r", 3, text, 1.0, 0, len(text), section=None))]
    c8 = load_bank().get("C8")

    def draft(earlier):
        return OfflineEngine().draft(c8, blocks, DraftContext("r", "2020-21", "r", earlier=earlier))

    both = {"A9": "evidenced", "A6": "evidenced", "A8": "evidenced", "B2": "evidenced"}
    assert draft(both).answer == "evidenced"
    assert draft({}).answer == "evidenced"  # drafted alone: the passages decide
    asserted = both | {"A9": "partly"}  # effectiveness only asserted
    lowered = draft(asserted)
    assert lowered.answer == "partly" and "A9 partly" in lowered.rationale, lowered.rationale
    assert lowered.citations
    assert draft(both | {"B3": "not"}).answer == "partly"
    _without(monkeypatch, "overall_needs_both")
    assert draft(asserted).answer == "evidenced"


def test_a_training_follow_up_counts_only_where_its_results_are_reported_rules_v13(monkeypatch):
    before_after = (
        "Confidence was rated before and after each course: the average rose from 2.8 to 4.1. "
    )
    pending = before_after + (
        "In March we sent a follow-up survey to everyone who attended, asking whether they have "
        "used the learning. It closes in May, with results next year."
    )
    reported = before_after + (
        "Three months later a follow-up survey went to every attendee. 71% said they had used "
        "the learning in a case."
    )
    assert _draft_blocks("B8", [("Training", pending)]).answer == 3
    assert _draft_blocks("B8", [("Training", reported)]).answer == 4
    _without(monkeypatch, "ladder_result")
    assert _draft_blocks("B8", [("Training", pending)]).answer == 4


def test_relevant_agencies_named_with_what_they_did_rules_v13(monkeypatch):
    texts = [
        (
            "Partner voices",
            "The National Probation Service completed 288 address checks for "
            "the front door. The Youth Justice Service screened every child for exploitation. "
            "Harbour Housing Association notified us of 31 families at risk of eviction.",
        ),
    ]
    result = _draft_blocks("C3", texts)
    assert result.answer == "yes", result.rationale
    in_passing = [
        (
            "Our priorities",
            "Probation, youth justice and housing are members of the "
            "Exploitation Group. Schools are relevant agencies.",
        )
    ]
    assert _draft_blocks("C3", in_passing).answer != "yes"
    _without(monkeypatch, "agency_contributions")
    assert _draft_blocks("C3", texts).answer != "yes"


def test_work_that_did_not_happen_is_a_shortfall_and_its_reasons_follow_rules_v13(monkeypatch):
    text = (
        "What happened\nNeither was delivered in the year. None of the planned dashboard "
        "measures was published, and the audit did not take place.\nWhy\nThere were two "
        "reasons. First, the data-sharing agreement took eight months because each legal "
        "team had a different view. Second, ethnicity was recorded in 94% of social care "
        "referrals but in only 58% of health referrals."
    )
    assert _draft_blocks("A8", [("Seen and Understood", text)]).answer == "evidenced"
    _without(monkeypatch, "shortfall_wider")
    assert _draft_blocks("A8", [("Seen and Understood", text)]).answer != "evidenced"


def test_a_priority_kept_for_a_generic_reason_makes_the_reasons_partial_rules_v13(monkeypatch):
    text = (
        "Neglect was chosen because 44% of child protection plans were for neglect, against "
        "about 35% nationally, and the June 2019 audit found the tool used in 9 of 30 cases. "
        "Domestic abuse was carried forward from the LSCB's business plan because it remains a "
        "key issue."
    )
    lowered = _draft_blocks("A4", [("Why these priorities", text)])
    assert lowered.answer == "partly" and "generic reason" in lowered.rationale, lowered.rationale
    _without(monkeypatch, "generic_reason")
    assert _draft_blocks("A4", [("Why these priorities", text)]).answer == "yes"


def test_learning_said_to_be_untested_in_other_words_rules_v13(monkeypatch):
    text = _TESTED + (
        " The neglect toolkit and the chronology template were changed after the Baker family "
        "review. We have not yet tested whether these changes are being followed."
    )
    assert _draft_blocks("B6", [("Learning from reviews", text)]).answer == "partly"
    _without(monkeypatch, "untested_said")
    assert _draft_blocks("B6", [("Learning from reviews", text)]).answer == "yes"


def test_a_section_about_the_years_after_the_period_holds_plans_rules_v13(monkeypatch):
    from assistant.engines.offline import _future_section

    assert _future_section("Priority for 2023-24", "2022-23")
    assert _future_section("7. Looking ahead", "2022-23")
    assert not _future_section("Our data 2020-21 to 2022-23", "2022-23")
    assert not _future_section("Priorities for 2022-23", "2022-23")
    text = "Add trend data and comparisons with statistical neighbours to the dashboard."
    assert _draft_blocks("A10", [("Priority for 2021-22", text)]).answer == "no"
    _without(monkeypatch, "future_section")
    assert _draft_blocks("A10", [("Priority for 2021-22", text)]).answer == "partly"


def test_a_report_that_cannot_yet_compare_its_figures_has_trends_for_some_areas_rules_v13(
    monkeypatch,
):
    text = (
        "Our multi-agency dataset was agreed in September, so for most measures we can give "
        "this year's figure but not yet a comparison with previous years. Repeat child "
        "protection plans fell from 26% in 2019-20 to 19% in 2020-21, and the trend data for "
        "neglect plans shows a fall over three years."
    )
    lowered = _draft_blocks("A10", [("The year in numbers", text)])
    assert lowered.answer == "partly", lowered.rationale
    _without(monkeypatch, "no_trend_yet")
    assert _draft_blocks("A10", [("The year in numbers", text)]).answer == "yes"


# --- rules-v14 ---------------------------------------------------------------------------
_IMPACT_SHOWN = (
    "Neglect: the difference our work made\nThe re-audit found that 22 of 30 plans addressed "
    "the child's daily life, compared with last year's 11 of 30. The percentage of children on "
    "a second plan for neglect reduced from 27% to 18%, and families told us home life was "
    "better: the work made a difference and led to better outcomes for children."
)
# impact shown with figures across the work: three priorities' chapters, one page each (rules-v19
# "impact_breadth": on one or two pages it is shown for some of the work only)
_IMPACT_ACROSS = [
    ("Neglect", _IMPACT_SHOWN),
    (
        "Exploitation: the difference it made",
        "Exploitation: the difference it made\nThe impact of the new screening is clear: "
        "children screened within a day rose from 52% to 79%.",
    ),
    (
        "Safer babies: the difference it made",
        "Safer babies: the difference it made\nThe impact of the campaign shows: unsafe "
        "sleep found at visits fell from 30% to 12%.",
    ),
]


def test_impact_for_some_of_the_work_only_is_partly_rules_v14(monkeypatch):
    one_gap = (
        "Harm outside the home",
        "We cannot yet show with data that young people are safer because of the new panel.",
    )
    two_gaps = one_gap[1] + (
        " For the early help strategy, it is too early to say whether "
        "the changes have made a difference to families."
    )
    shown = _IMPACT_ACROSS
    assert _draft_blocks("A6", shown).answer == "evidenced"
    assert _draft_blocks("A6", [*shown, one_gap]).answer == "evidenced"  # one gap of several
    some = _draft_blocks("A6", [*shown, ("Other priorities", two_gaps)])
    assert some.answer == "partly", some.rationale
    assert "cannot show the difference" in some.rationale
    _without(monkeypatch, "impact_some_only")
    assert _draft_blocks("A6", [*shown, ("Other priorities", two_gaps)]).answer == "evidenced"


def test_effectiveness_needs_a_judgement_grounded_in_evidence_rules_v14(monkeypatch):
    findings = (
        "How effective are our arrangements\nThe multi-agency audit found that 14 of 20 "
        "strategy discussions included health, up from 8 of 20 last year. Attendance at the "
        "Executive rose from 81% to 93%."
    )
    grounded = findings + (
        " We judge the arrangements effective, based on the audit, the data and the "
        "scrutineer's review. Weaknesses: information sharing with schools in the holidays."
    )
    assert _draft_blocks("A9", [findings]).answer == "partly"
    judged = _draft_blocks("A9", [grounded])
    assert judged.answer == "evidenced", judged.rationale
    _without(monkeypatch, "judgement_needed")
    assert _draft_blocks("A9", [findings]).answer == "evidenced"


def test_a_case_study_counts_where_the_story_shows_a_change_rules_v14(monkeypatch):
    story = (
        "A family's story\nWhen Leo's school raised concerns about his attendance, the early "
        "help worker completed a neglect assessment with his father. A support worker helped "
        "with debts and a breakfast club place was arranged. Six months later Leo's attendance "
        "had risen from 68% to 94%, and the family's plan was closed."
    )
    process = (
        "A family's story\nWhen Leo's school raised concerns, the early help worker met his "
        "father and agreed a plan with the school. The family continue to be supported."
    )
    impact = (
        "What difference it made",
        "Repeat plans fell from 24% to 17% over three years, "
        "and the impact on outcomes for children is clear in the data.",
    )

    def chosen(texts):
        return _draft_blocks("A7", texts).answer or []

    assert "case_studies" in chosen([impact, ("Stories", story)])
    assert "case_studies" not in chosen([impact, ("Stories", process)])
    _without(monkeypatch, "case_shows_change")
    assert "case_studies" not in chosen([impact, ("Stories", story)])


def test_learning_built_into_a_partners_course_is_a_training_update_rules_v14():
    text = (
        "How we shared the learning\nWe shared the learning from reviews with practitioners. "
        "The learning from Child K was built into the partnership's core safeguarding course "
        "from January."
    )
    assert "training_updates" in (_draft_blocks("B5", [text]).answer or [])


def test_a_multi_agency_table_over_three_years_is_data_with_trends_rules_v14(monkeypatch):
    rows = [
        ("Referrals to children's social care", "2,310", "2,415", "2,502"),
        ("Repeat referrals (%)", "21%", "19%", "17%"),
        ("Police domestic abuse notifications", "1,204", "1,350", "1,377"),
        ("Health visitor new birth visits in 14 days", "88%", "91%", "94%"),
        ("Schools: persistent absence (%)", "11%", "12%", "10%"),
        ("Early help assessments", "910", "1,020", "1,187"),
        ("Youth justice first-time entrants", "61", "48", "37"),
    ]
    table = "Our scorecard\nMeasure 2019-20 2020-21 2021-22\n" + "\n".join(
        " ".join(r) for r in rows
    )
    result = _draft_blocks("A10", [("What the data tell us", table)])
    assert result.answer == "yes", result.rationale
    assert "2019-20 2020-21 2021-22" in result.citations[0].quote
    # the same figures by district for one year: a snapshot, not a trend
    districts = table.replace("2019-20 2020-21 2021-22", "Ashby Brook Carrow (2021-22)")
    assert _draft_blocks("A10", [("What the data tell us", districts)]).answer != "yes"
    _without(monkeypatch, "agency_table")
    assert _draft_blocks("A10", [("What the data tell us", table)]).answer != "yes"


def test_a_shortfall_named_in_general_terms_is_partly_rules_v14():
    text = (
        "What we found harder\nWe have not made as much progress as we hoped on everything we "
        "set out to do, and the audit programme was paused for part of the year."
    )
    success = "Our progress\nWe made good progress on every priority this year."
    assert _draft_blocks("A8", [("What we found harder", text)]).answer == "partly"
    assert _draft_blocks("A8", [("Our progress", success)]).answer == "not"


# --- rules-v15 ---------------------------------------------------------------------------
_FILLER = (
    "Membership\nThe partnership board met six times; the chair is independent of the three "
    "safeguarding partners and the minutes are published on the website."
)


def test_an_answer_resting_on_one_page_alone_is_marked_unstable_rules_v15(monkeypatch):
    """The stability check: the rules read less of the same evidence (the first half of its
    pages; all but its second page) and count the answers that change."""
    from assistant.engines.calibration import load_calibration
    from assistant.engines.offline import OfflineEngine

    _without(monkeypatch, "impact_breadth")  # one page of impact is "evidenced" here

    held = _draft_blocks("A6", [("Neglect", _IMPACT_SHOWN), _FILLER, _FILLER])
    assert held.answer == "evidenced" and held.features["n_flips"] == 0
    alone = _draft_blocks("A6", [_FILLER, ("Neglect", _IMPACT_SHOWN), _FILLER])
    assert alone.answer == "evidenced", alone.rationale
    assert alone.features["n_flips"] == 2  # without page 2 the impact is gone
    assert "without p. 2 it reads 'not'" in alone.rationale  # the reviewer is told which page
    assert "Held by few pages" not in held.rationale
    one_page = _draft_blocks("A6", [("Neglect", _IMPACT_SHOWN)])
    assert one_page.features["n_flips"] == 0  # nothing can be left out
    # the calibration reads it where `make calibrate` chose the feature (the sets that set the
    # level on new reports choose the features; rules-v18's calibration left it out): the same
    # answer, less firmly held, is then less likely right, and otherwise exactly as likely
    calibration = load_calibration("offline", OfflineEngine.model)
    question = load_bank().get("A6")
    if "flips" in calibration.features:
        assert calibration.confidence(question, alone) < calibration.confidence(question, held)
    else:
        assert calibration.confidence(question, alone) == calibration.confidence(question, held)
    alone.features["n_flips"] = 0
    assert calibration.confidence(question, alone) == calibration.confidence(question, held)


# --- rules-v16 ---------------------------------------------------------------------------
def test_a_tiles_figure_above_its_caption_is_the_count_not_the_next_tiles(monkeypatch):
    tiles = (
        "This year in numbers\n1,980\nreferrals to early help\n5\nrapid reviews held after\n"
        "notifications\n2\nlocal child safeguarding practice\nreviews published\n410\n"
        "practitioners at the annual conference"
    )
    assert _draft_blocks("B1b", [tiles]).answer == 5
    assert _draft_blocks("B1a", [tiles]).answer == 2
    _without(monkeypatch, "tile_count")
    assert _draft_blocks("B1b", [tiles]).answer != 5  # read as a row: the next tile's figure


def test_no_new_reviews_commissioned_is_not_a_count_of_none():
    text = (
        "Local child safeguarding practice reviews\nNo new local child safeguarding practice "
        "reviews were commissioned this year. The review for Child Q, commissioned in January "
        "2020 as a local child safeguarding practice review, remained in progress throughout "
        "the year and will be published once criminal proceedings end."
    )
    result = _draft_blocks("B1a", [text])
    assert result.answer != 0, result.rationale
    none = (
        "No local child safeguarding practice reviews were commissioned or in progress in 2020-21."
    )
    assert _draft_blocks("B1a", [none]).answer == 0


def test_training_ladder_reads_confidence_scores_and_a_timed_follow_up():
    base = (
        "Training\nWe delivered 42 courses and 900 practitioners attended. 91% rated the course "
        "good or excellent."
    )
    assert _draft_blocks("B8", [base]).answer == 2
    scores = base + " Average confidence rose from 4.9 to 7.6 out of 10 across the courses."
    assert _draft_blocks("B8", [scores]).answer == 3
    follow = base + "\nSix-month follow-up, exploitation course (80 replies)\nUsed the tool 61%"
    assert _draft_blocks("B8", [follow]).answer == 4
    planned = base + " From April we will send a six-month follow-up to every participant."
    assert _draft_blocks("B8", [planned]).answer == 2


def test_a_reports_own_word_for_its_priorities_opens_the_priority_passage(monkeypatch):
    text = (
        "Our three strategic aims\nThe partners confirmed that the three aims guide our work "
        "for 2020-21.\nAim 1: Tackling neglect together\nNeglect is recognised earlier.\n"
        "Aim 2 has two strands:\n 2a Exploitation - criminal and sexual exploitation;\n"
        " 2b Safer places - contextual safeguarding and serious youth violence.\n"
        "Aim sponsor: Head of Early Help"
    )
    result = _draft_blocks("A2", [("Our three strategic aims", text)])
    assert set(result.answer) == {"neglect", "child_exploitation", "extra_familial_harm"}, (
        result.rationale
    )
    planning = (
        "How we shared learning\nWe published six learning briefings. We are planning a "
        "partnership podcast on learning from reviews."
    )
    assert "webinars_podcasts" not in _draft_blocks("B5", [planning]).answer


def test_a_dashboard_with_its_years_one_a_line_is_a_table_over_time(monkeypatch):
    rows = "\n".join(
        f"{name}\n{a}\n{b}\n{c}"
        for name, a, b, c in [
            ("Referrals to children's social care", "3,100", "3,240", "3,390"),
            ("Police domestic abuse incidents", "2,010", "2,150", "2,300"),
            ("Health visitor contacts", "9,800", "9,950", "10,100"),
            ("School exclusions", "31", "27", "22"),
            ("Early help assessments", "1,200", "1,310", "1,450"),
            ("Children on a child protection plan", "240", "231", "219"),
            ("Children looked after", "300", "305", "298"),
            ("Youth justice first-time entrants", "61", "55", "48"),
            ("Missing episodes", "410", "436", "455"),
            ("Re-referrals", "21%", "20%", "19%"),
        ]
    )
    page = f"Our data\nMeasure\n2018-19\n2019-20\n2020-21\n{rows}"
    assert _draft_blocks("A10", [page]).answer == "yes"
    _without(monkeypatch, "job_title")
    assert _draft_blocks("A10", [page]).answer != "yes"


# --- rules-v17 ---------------------------------------------------------------------------
def test_a_cue_the_report_says_it_cannot_show_is_denied(monkeypatch):
    text = (
        "Hearing from children and families\nOur youth council met six times and 420 young people "
        "answered our survey of young people; those who felt listened to rose from 41% to 66%. We "
        "heard from more children than ever, but we cannot show any decision or service that "
        "changed because of what they told us."
    )
    result = _draft_blocks("C6", [text])
    assert result.answer == "partly", result.rationale
    shown = text.replace(
        "we cannot show any decision or service that changed", "the bus pass scheme changed"
    )
    assert _draft_blocks("C6", [shown]).answer == "evidenced"
    _without(monkeypatch, "cannot_show")
    assert _draft_blocks("C6", [text]).answer == "evidenced"


def test_a_follow_up_audit_of_review_actions_is_evidence_they_were_implemented():
    text = (
        "Learning from the Child R review\nThe review made five recommendations. The action plan "
        "is monitored by the Practice Review Group. A follow-up audit of 30 cases in March "
        "found the new pre-birth protocol used in 87% of cases, up from 30% the year before."
    )
    assert _draft_blocks("B2", [text]).answer == "evidenced"
    assert _draft_blocks("B2", [text.split(" A follow-up")[0]]).answer == "partly"


# --- rules-v18 ---------------------------------------------------------------------------
def test_a_training_follow_up_still_to_start_or_too_thin_to_report_is_no_rung(monkeypatch):
    satisfied = "91% of attendees rated the course good or excellent."
    thin = (
        f"Evaluating our training\n{satisfied} We sent a three-month follow-up survey to everyone "
        "on the neglect course, but only\n12 people replied, so we have not reported the results."
    )
    assert _draft_blocks("B8", [thin]).answer == 2
    later = (
        f"Evaluating our training\n{satisfied} A six-month follow-up survey of attendees and their "
        "managers, asking what they now do differently, starts in May 2021."
    )
    assert _draft_blocks("B8", [later]).answer == 2
    done = later.replace("starts in May 2021", "found that 64% had changed how they record")
    assert _draft_blocks("B8", [done]).answer == 4
    _without(monkeypatch, "pending_later")
    assert _draft_blocks("B8", [thin]).answer == 4
    assert _draft_blocks("B8", [later]).answer == 4


def test_impact_not_looked_at_yet_is_impact_unshown():
    from assistant.engines.offline import _IMPACT_UNSHOWN

    assert _IMPACT_UNSHOWN.search(
        "We have not yet looked at whether quicker decisions have led to better outcomes."
    )
    assert _IMPACT_UNSHOWN.search("We have not evaluated whether the offer made a difference.")
    assert not _IMPACT_UNSHOWN.search("We have looked at whether decisions led to better outcomes.")


def test_what_the_arrangements_had_until_a_change_is_not_this_periods_model(monkeypatch):
    text = (
        "Independent scrutiny\nUntil 2020 the partnership relied on an independent chair for "
        "challenge. The Executive is now chaired by each of the three partners in turn, and an "
        "independent scrutineer was appointed in June 2020 to report on how well the arrangements "
        "work."
    )
    assert _draft_blocks("C2m", [text]).answer == ["independent_scrutineer"]
    _without(monkeypatch, "until_then")
    _without(monkeypatch, "out_of_period")  # rules-v20 reads "Until 2020" too
    assert "independent_chair" in _draft_blocks("C2m", [text]).answer


def test_a_pointer_to_a_priority_chapter_opens_no_priority_passage(monkeypatch):
    priorities = (
        "Our priorities\nOur three priorities for 2020-21 were neglect, exploitation and "
        "children's emotional wellbeing."
    )
    learning = (
        "Checking learning has stuck\nThe neglect re-audit found better plans, though use of the "
        "assessment tool is still below target (see Priority\n1). We have not yet tested the "
        "learning from the reviews on safer sleep and bruising in babies."
    )
    assert "vulnerable_babies" not in _draft_blocks("A2", [priorities, learning]).answer
    _without(monkeypatch, "cross_reference")
    assert "vulnerable_babies" in _draft_blocks("A2", [priorities, learning]).answer


def test_a_recommendations_table_with_status_and_effect_records_implemented_actions(monkeypatch):
    table = (
        "What we did about the recommendations\nThe Child M review made four recommendations.\n"
        "Recommendation\nAction taken\nStatus (March 2021)\nEvidence of effect\n"
        "1. One screening tool for exploitation\nTool introduced in October 2020\nComplete\n"
        "Used in 88% of referrals in Q4 (none before October)\n"
        "2. Plans to address places and peers\nPanel redesigned\nComplete\n"
        "Places addressed in 14 of 20 audited cases (5 of 20 in 2019)\n"
        "3. Challenge blaming language\nGuide issued\nPartly complete\nStill found in 3 of 20\n"
        "4. Notify before exclusion\nProtocol agreed\nIn progress\nNot yet measured"
    )
    assert _draft_blocks("B2", [table]).answer == "evidenced"
    single_point = re.sub(r" \((?:none before October|5 of 20 in 2019)\)", "", table)
    assert _draft_blocks("B2", [single_point]).answer == "partly"
    _without(monkeypatch, "status_table")
    assert _draft_blocks("B2", [table]).answer == "partly"


# --- rules-v19 (read from blindset4, spent for it) -------------------------------------------
def test_a_sentence_referring_back_to_a_priority_opens_no_priority_passage(monkeypatch):
    priorities = (
        "Our priorities\nOur priorities for 2020-21 were neglect and child exploitation, with "
        "children's emotional health added in the autumn."
    )
    brief = (
        "Our year at a glance\nWhat worried us\n Emotional health. Waits for specialist help "
        "grew, and our work on this priority began late.\n Exclusions. Permanent exclusions rose "
        "for a third year.\n Fathers. Fathers are still too often missing from plans."
    )
    answer = _draft_blocks("A2", [priorities, brief]).answer
    assert {"neglect", "child_exploitation"} <= set(answer)
    assert not {"missing_education", "fathers_men"} & set(answer), answer
    _without(monkeypatch, "priority_anaphora")
    assert {"missing_education", "fathers_men"} <= set(
        _draft_blocks("A2", [priorities, brief]).answer
    )


def test_a_theme_in_a_groups_name_is_not_a_priority(monkeypatch):
    text = (
        "Our priorities\nOur priorities for 2020-21 were set as ambitions.\n"
        "Ambition 1 - Neglect and Early Help Group; sponsor: the Director of Children's Services.\n"
        "Ambition 2 - Exploitation Subgroup; sponsor: the Chief Superintendent."
    )
    answer = _draft_blocks("A2", [text]).answer
    assert "neglect" in answer and "early_help" not in answer, answer
    _without(monkeypatch, "priority_anaphora")
    assert "early_help" in _draft_blocks("A2", [text]).answer


def test_a_neighbouring_partnership_named_without_scrutiny_is_not_reciprocal_scrutiny(
    monkeypatch,
):
    named = (
        "How we are scrutinised\nOur arrangements are scrutinised by an independent scrutineer. "
        "We also work closely with:\n the Safeguarding Adults Board;\n the Northdale "
        "partnership, our neighbouring partnership in the county."
    )
    assert _draft_blocks("C2m", [named]).answer == ["independent_scrutineer"]
    reviewed = named + (
        "\nIn March 2021 the Northdale partnership, our neighbouring partnership, reviewed our "
        "arrangements and we reviewed theirs."
    )
    assert "reciprocal_scrutiny" in _draft_blocks("C2m", [reviewed]).answer
    _without(monkeypatch, "priority_anaphora")
    assert "reciprocal_scrutiny" in _draft_blocks("C2m", [named]).answer


def test_impact_is_evidenced_only_with_figures_of_change_across_the_work(monkeypatch):
    chapters = _IMPACT_ACROSS
    across = _draft_blocks("A6", chapters)
    assert across.answer == "evidenced", across.rationale
    some = _draft_blocks("A6", chapters[:2])
    assert some.answer == "partly", some.rationale
    assert "2 page(s)" in some.rationale
    _without(monkeypatch, "impact_breadth")
    assert _draft_blocks("A6", chapters[:2]).answer == "evidenced"


def test_learning_built_into_courses_is_read_over_a_line_break_and_in_a_tables_row(monkeypatch):
    def training(text):
        return "training_updates" in _draft_blocks("B5", [("Sharing the learning", text)]).answer

    broken = (
        "Sharing the learning\nWe shared the learning from reviews in several ways.\n"
        "\u2022 Training. The learning from Child M was built into the partnership's Working\n"
        "Together and Neglect courses from January 2021."
    )
    colon = (
        "Sharing the learning\nWe shared the learning from reviews in several ways. Learning "
        "from Child M was added to the Neglect: Seeing the Whole Picture course."
    )
    row = (
        "Sharing the learning\nHow we shared the learning from reviews\nMethod\n2020-21\n"
        "Training courses updated with review learning\nNeglect course (Child M)"
    )
    assert training(broken) and training(colon) and training(row)
    assert not training("Sharing the learning\nThe learning from Child M was shared widely.")
    _without(monkeypatch, "broken_lines")
    assert not training(broken)
