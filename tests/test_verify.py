"""Quote verification (assistant/drafting/verify.py): each rung of the ladder, and the span."""

from __future__ import annotations

from assistant.drafting.verify import verify_quote, words

PAGE = (
    "The partnership’s priorities for 2020–21 were neglect, exploitation and early help.\n"
    "Multi-agency training reached 1,240 practitioners; the audit of strategy discus-\n"
    "sions found that 9 of 12 met the timescales set out in Working Together."
)


def test_an_exact_quote_gives_its_span():
    quote = "Multi-agency training reached 1,240 practitioners"
    check = verify_quote(quote, PAGE)
    assert check.status == "exact" and check.verified and check.score == 100.0
    assert PAGE[check.start : check.end] == quote


def test_case_spacing_quote_marks_dashes_and_hyphenation_are_normalised():
    check = verify_quote("the PARTNERSHIP'S priorities for 2020-21", PAGE)
    assert check.status == "normalised"
    assert PAGE[check.start : check.end] == "The partnership’s priorities for 2020–21"
    joined = verify_quote("the audit of strategy discussions found", PAGE)
    assert joined.status == "normalised"
    assert PAGE[joined.start : joined.end] == "the audit of strategy discus-\nsions found"


def test_a_slightly_misquoted_passage_is_fuzzy_and_a_made_up_one_is_not_found():
    fuzzy = verify_quote("Multi agency training reached 1240 practitioners", PAGE)
    assert fuzzy.status == "fuzzy" and fuzzy.verified and 90 <= fuzzy.score < 100
    assert "training reached" in PAGE[fuzzy.start : fuzzy.end]
    invented = verify_quote("the partnership commissioned three serious case reviews", PAGE)
    assert invented.status == "not_found" and not invented.verified and invented.start is None


def test_short_empty_and_quoted_quotes():
    assert verify_quote("neglekt", PAGE).status == "not_found"  # too short to match fuzzily
    assert verify_quote("", PAGE).status == "not_found"
    assert verify_quote("neglect", "").status == "not_found"
    wrapped = verify_quote('"early help"', PAGE)  # quote marks around the quote are dropped
    assert wrapped.status == "exact" and PAGE[wrapped.start : wrapped.end] == "early help"


def test_a_long_quote_is_not_matched_by_a_short_window():
    long_quote = "neglect, exploitation and early help " + "were all reviewed in depth " * 6
    assert verify_quote(long_quote, PAGE).status == "not_found"


def test_words_counts_whitespace_separated_tokens():
    assert words("  9 of 12\nmet ") == ["9", "of", "12", "met"]
