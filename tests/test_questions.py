"""The audit question bank: the shipped file, answer validation and loud failures."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from assistant.questions import (
    DEFAULT_BANK_PATH,
    AnswerType,
    BankError,
    QuestionBank,
    UnknownQuestionError,
    load_bank,
)

EXPECTED_TYPES = {
    "A1": "yes_no", "A1n": "count", "A2": "multi_select", "A3": "multi_select",
    "A4": "yes_partly_no", "A5": "yes_partly_no", "A6": "rating", "A7": "multi_select",
    "A8": "rating", "A9": "rating", "A10": "yes_partly_no",
    "B1a": "count", "B1b": "count", "B2": "rating", "B3": "rating", "B3n": "multi_select",
    "B4": "rating", "B5": "multi_select", "B6": "yes_partly_no", "B7": "yes_no",
    "B7n": "count", "B8": "ladder",
    "C1": "yes_no", "C2": "rating", "C2m": "multi_select", "C3": "yes_partly_no",
    "C4": "rating", "C5": "yes_partly_no", "C6": "rating", "C7": "yes_no", "C8": "rating",
    "C9": "yes_no", "C10": "free_text",
}  # fmt: skip
EXPECTED_PICKLISTS = {
    "A2": "safeguarding_themes",
    "A3": "practice_themes",
    "A7": "impact_evidence",
    "B3n": "national_reviews",
    "B5": "dissemination",
    "C2m": "scrutiny_model",
}


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


# ----- the shipped bank ----------------------------------------------------------------------


def test_shipped_bank_has_exactly_the_contract_ids_and_types(bank: QuestionBank) -> None:
    assert (bank.name, bank.version, bank.guidance) == ("la-safeguarding-audit", "2018.1", "WT2018")
    assert [t.id for t in bank.themes] == ["A", "B", "C"]
    assert len(bank.questions) == 33
    assert bank.ids == list(EXPECTED_TYPES)
    assert {q.id: q.answer_type.value for q in bank.questions} == EXPECTED_TYPES
    for q in bank.questions:
        assert q.theme == q.id[0], q.id


def test_multi_selects_use_the_lead_picklists(bank: QuestionBank) -> None:
    file_lists = yaml.safe_load((DEFAULT_BANK_PATH.parent / "picklists.yaml").read_text())
    for q in bank.questions:
        if q.answer_type is AnswerType.MULTI_SELECT:
            assert q.picklist == EXPECTED_PICKLISTS[q.id]
            assert q.options() == file_lists["picklists"][q.picklist]
            assert q.allowed_values() == list(file_lists["picklists"][q.picklist])
        else:
            assert q.picklist is None
    assert set(EXPECTED_PICKLISTS) == {
        q.id for q in bank.questions if q.answer_type is AnswerType.MULTI_SELECT
    }


def test_shipped_questions_are_complete_for_engines_and_reviewers(bank: QuestionBank) -> None:
    for q in bank.questions:
        assert 2 <= len(q.retrieval_queries) <= 5, q.id
        assert len(set(q.retrieval_queries)) == len(q.retrieval_queries), q.id
        assert len(q.guidance) > 80, q.id
        assert q.cohort_label
        assert q.answerable_from_text is (q.id != "C9")
        assert set(q.guidance_versions) <= {"WT2018", "WT2023"} and q.guidance_versions
        if q.answer_type is AnswerType.RATING:
            # the offline engine needs cues that separate evidence from mere mentions
            assert q.keywords.get("evidenced") and q.keywords.get("partly"), q.id
        if q.answer_type is AnswerType.MULTI_SELECT:
            uncued = [s for s in q.options() if s not in ("other", "not_described")]
            assert all(q.keywords.get(s) for s in uncued), q.id
    assert bank.get("C9").keywords == {}
    b8 = bank.get("B8")
    assert len(b8.ladder or []) == 6 and set(b8.keywords) >= {"1", "2", "3", "4", "5"}


def test_lookup_select_and_themes(bank: QuestionBank) -> None:
    assert bank.get("a6").id == "A6"
    assert [q.id for q in bank.select(["C2", "a1", "A1"])] == ["A1", "C2"]  # bank order, deduped
    assert len(bank.select(None)) == 33
    with pytest.raises(UnknownQuestionError, match=r"\['A99', 'Z1'\]"):
        bank.select(["A1", "A99", "Z1"])
    with pytest.raises(KeyError):
        bank.get("nope")
    grouped = bank.themes_of()
    assert [len(v) for v in grouped.values()] == [11, 11, 11]
    assert {k: [q.id for q in v] for k, v in bank.themes_of(["B8", "A2"]).items()} == {
        "A": ["A2"],
        "B": ["B8"],
        "C": [],
    }
    assert bank.theme_title("B").startswith("Dissemination")


def test_cohort_phrases(bank: QuestionBank) -> None:
    assert bank.get("A2").cohort_phrase("neglect") == "Neglect a priority"
    assert bank.get("A6").cohort_phrase() == "impact on outcomes evidenced"
    with pytest.raises(ValueError):
        bank.get("A2").cohort_phrase()


# ----- answer values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "given", "expected"),
    [
        ("A1", "yes", "yes"),
        ("A1", "  YES ", "yes"),
        ("A1", True, "yes"),
        ("A1", "No", "no"),
        ("A4", "Partly", "partly"),
        ("A6", "Partly evidenced", "partly"),
        ("A6", "not_evidenced", "not"),
        ("A6", "EVIDENCED", "evidenced"),
        ("A6", "not", "not"),
        ("A1n", 4, 4),
        ("A1n", "0", 0),
        ("B7n", "1,234", 1234),
        ("B7n", 12.0, 12),
        ("B8", 0, 0),
        ("B8", "5", 5),
        ("B8", "attendee satisfaction", 2),
        ("A2", ["domestic abuse", "Neglect", "neglect"], ["neglect", "domestic_abuse"]),
        ("A2", "early_help; Online safety", ["online_safety", "early_help"]),
        ("A2", [], []),
        ("C2m", ["Independent scrutineer"], ["independent_scrutineer"]),
        ("C10", "  No feedback from families.  ", "No feedback from families."),
    ],
)
def test_validate_answer_accepts_and_normalises(
    bank: QuestionBank, qid: str, given: object, expected: object
) -> None:
    assert bank.get(qid).validate_answer(given) == expected


@pytest.mark.parametrize(
    ("qid", "given", "message"),
    [
        ("A1", "partly", "not allowed"),
        ("A1", "maybe", "not allowed"),
        ("A4", "evidenced", "not allowed"),
        ("A6", "yes", "not allowed"),
        ("A6", 2, "expected one of"),
        ("A1n", -1, "negative"),
        ("A1n", "three", "integer"),
        ("A1n", 2.5, "integer"),
        ("A1n", True, "integer"),
        ("B8", 6, "0-5"),
        ("B8", -1, "0-5"),
        ("B8", "excellent", "not allowed"),
        ("A2", ["neglect", "knitting"], "knitting"),
        ("A2", {"neglect": 1}, "list"),
        ("C2m", ["neglect"], "not allowed"),
        ("C10", 42, "string"),
        ("A1", None, "no answer"),
    ],
)
def test_validate_answer_rejects_with_clear_message(
    bank: QuestionBank, qid: str, given: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as err:
        bank.get(qid).validate_answer(given)
    assert qid in str(err.value)


def test_answer_labels(bank: QuestionBank) -> None:
    assert bank.get("A6").answer_label("partly") == "Partly evidenced"
    assert bank.get("A4").answer_label("YES") == "Yes"
    assert bank.get("B8").answer_label(3) == "3 - Change in knowledge or confidence"
    assert bank.get("A2").answer_label(["neglect", "early_help"]) == "Neglect; Early help"
    assert bank.get("A2").answer_label([]) == "(none)"
    assert bank.get("B1a").answer_label("2") == "2"


def test_json_schema_fragments(bank: QuestionBank) -> None:
    assert bank.get("A1").json_schema_for_answer() == {"type": "string", "enum": ["yes", "no"]}
    assert bank.get("A6").json_schema_for_answer()["enum"] == ["not", "partly", "evidenced"]
    assert bank.get("A4").json_schema_for_answer()["enum"] == ["yes", "partly", "no"]
    ms = bank.get("C2m").json_schema_for_answer()
    assert ms["type"] == "array" and "not_described" in ms["items"]["enum"]
    assert bank.get("B8").json_schema_for_answer() == {
        "type": "integer",
        "minimum": 0,
        "maximum": 5,
    }
    assert bank.get("B1b").json_schema_for_answer() == {"type": "integer", "minimum": 0}
    assert bank.get("C10").json_schema_for_answer() == {"type": "string"}
    assert '"partly": Partly evidenced' in bank.get("A6").answer_format()


# ----- files: fingerprint, custom banks, broken banks ----------------------------------------


def test_fingerprint_is_stable_and_tracks_file_bytes(bank: QuestionBank, tmp_path: Path) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", bank.fingerprint())
    assert load_bank().fingerprint() == bank.fingerprint()
    copy = tmp_path / "audit_tool.yaml"
    shutil.copy(DEFAULT_BANK_PATH, copy)
    shutil.copy(DEFAULT_BANK_PATH.parent / "picklists.yaml", tmp_path / "picklists.yaml")
    assert load_bank(copy).fingerprint() == bank.fingerprint()
    copy.write_text(copy.read_text().replace("How many rapid reviews", "How many rapid  reviews"))
    assert load_bank(copy).fingerprint() != bank.fingerprint()
    # a picklist label change changes what drafts mean, so it changes the fingerprint too
    pl = tmp_path / "picklists.yaml"
    pl.write_text(pl.read_text().replace("Neglect", "Neglect of children"))
    shutil.copy(DEFAULT_BANK_PATH, copy)
    assert load_bank(copy).fingerprint() != bank.fingerprint()


def _question(qid: str = "A1", **over: object) -> dict:
    q = {
        "id": qid, "theme": "A", "text": "Is it stated?", "guidance": "Yes if stated.",
        "answer_type": "yes_no", "retrieval_queries": ["a", "b"], "cohort_label": "stated",
    }  # fmt: skip
    q.update(over)
    return q


def _write_bank(tmp_path: Path, questions: list[dict], picklists: object = None) -> Path:
    doc = {
        "name": "custom",
        "version": "1",
        "guidance": "WT2023",
        "picklists": picklists if picklists is not None else {"colours": {"red": "Red"}},
        "themes": [{"id": "A", "title": "Theme A"}],
        "questions": questions,
    }
    path = tmp_path / "my_bank.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_custom_bank_resolves_picklists_relative_to_its_file(tmp_path: Path) -> None:
    sub = tmp_path / "lists"
    sub.mkdir()
    (sub / "pl.yaml").write_text(yaml.safe_dump({"picklists": {"colours": {"red": "Red"}}}))
    ms = _question("A2", answer_type="multi_select", picklist="colours", cohort_label="{option}")
    path = _write_bank(tmp_path, [_question(), ms], picklists="lists/pl.yaml")
    bank = load_bank(path)
    assert bank.source == path
    assert bank.get("A2").validate_answer(["RED"]) == ["red"]
    assert bank.picklists == {"colours": {"red": "Red"}}


@pytest.mark.parametrize(
    ("questions", "fragments"),
    [
        ([_question("A1"), _question("A1")], ["A1", "duplicate"]),
        ([_question("A1"), _question("a1")], ["a1", "duplicate"]),
        ([_question("A3", answer_type="yes_maybe")], ["A3", "unknown answer type 'yes_maybe'"]),
        (
            [
                _question(
                    "A2", answer_type="multi_select", picklist="shapes", cohort_label="{option}"
                )
            ],
            ["A2", "unknown picklist 'shapes'"],
        ),
        (
            [_question("A2", answer_type="multi_select", cohort_label="{option}")],
            ["A2", "picklist"],
        ),
        ([_question("B8", answer_type="ladder", ladder=["a", "b", "c"])], ["B8", "6 level labels"]),
        ([_question("A5", theme="Z")], ["A5", "unknown theme 'Z'"]),
        ([_question("A6", keywords={"maybe": ["x"]})], ["A6", "keywords", "maybe"]),
        ([_question("A7", answer_typ="yes_no")], ["A7", "answer_typ"]),
    ],
)
def test_broken_banks_fail_naming_file_and_problem(
    tmp_path: Path, questions: list[dict], fragments: list[str]
) -> None:
    path = _write_bank(tmp_path, questions)
    with pytest.raises(BankError) as err:
        load_bank(path)
    message = str(err.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_bad_yaml_and_missing_files_fail_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nquestions: [\n  - id: A1\n")
    with pytest.raises(BankError, match="not valid YAML") as err:
        load_bank(bad)
    assert str(bad) in str(err.value)
    with pytest.raises(BankError, match="not found"):
        load_bank(tmp_path / "absent.yaml")
    path = _write_bank(tmp_path, [_question()], picklists="missing_lists.yaml")
    with pytest.raises(BankError, match="picklists file not found") as err:
        load_bank(path)
    assert "missing_lists.yaml" in str(err.value)


def test_evidence_from_names_other_questions_without_their_own(tmp_path: Path) -> None:
    """A synthesis question reads other questions' evidence: an unknown id, itself, or a
    question that is a synthesis too fails loudly."""
    bank = load_bank()
    assert [q.id for q in bank.get("C8").evidence_questions] == [
        "A9", "A10", "A6", "A8", "B2", "B3", "C6"
    ]
    assert bank.get("A9").evidence_questions == []
    doc = yaml.safe_load(DEFAULT_BANK_PATH.read_text())
    doc["picklists"] = str(DEFAULT_BANK_PATH.parent / "picklists.yaml")
    c8 = next(q for q in doc["questions"] if q["id"] == "C8")
    for wrong in (["A99"], ["C8"]):
        c8["evidence_from"] = wrong
        path = tmp_path / "bank.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        with pytest.raises(BankError, match="evidence_from"):
            load_bank(path)
