"""Hybrid retrieval with the real packaged MiniLM model, end to end through ingest and Chroma:
fusion keeps passages that one side alone misses."""

from __future__ import annotations

import pytest

from assistant.index import rrf_fuse
from tests.make_pdf import text_pdf

PAGES = [
    ["Brackenfield Safeguarding Children Partnership", "Annual Report 2020-21"],
    [
        "Running costs",
        "The police paid 40,000 pounds, the NHS 95,000 pounds and the council",
        "120,000 pounds towards the partnership's costs this year.",
    ],
    ["Newsletter", "Each agency received a copy of the newsletter in the spring and shared it."],
    ["Youth clubs", "Each agency received updates about youth club opening hours."],
    ["Neglect", "Practitioners now use the GCP2 tool when they are worried about neglect."],
    ["Meetings", "The executive met monthly and each agency reported on its actions."],
    ["Early help", "Families received early help from a single agency in most cases."],
]


@pytest.fixture
def assistant_minilm(monkeypatch, tmp_path, data_home):
    monkeypatch.setenv("REVIEW_ASSISTANT_EMBEDDING__NAME", "minilm")
    from assistant.service import Assistant

    assistant = Assistant()
    [result] = list(assistant.ingest([text_pdf(tmp_path / "brackenfield.pdf", PAGES)]))
    assert result.status == "indexed"
    return assistant


def pages(assistant, query, mode, k=3):
    return [p.page for p in assistant.search("brackenfield", query, k=k, mode=mode)]


@pytest.mark.slow
def test_hybrid_finds_a_passage_lexical_search_misses(assistant_minilm):
    # the page names the tool only by its code "GCP2": no query word is on it
    query = "graded care profile"
    assert 5 not in pages(assistant_minilm, query, "lexical")
    assert pages(assistant_minilm, query, "dense")[0] == 5
    assert pages(assistant_minilm, query, "hybrid")[0] == 5


@pytest.mark.slow
def test_exact_code_is_ranked_first_by_hybrid(assistant_minilm):
    assert pages(assistant_minilm, "GCP2", "lexical", k=1) == [5]
    assert pages(assistant_minilm, "GCP2", "hybrid", k=1) == [5]


def test_rrf_keeps_the_top_of_each_list():
    dense = ["d1", "shared", "d3", "d4"]
    lexical = ["l1", "shared", "l3", "l4"]
    fused = [item for item, _ in rrf_fuse({"dense": dense, "lexical": lexical}, k=60)]
    assert fused[0] == "shared"  # ranked well by both
    assert set(fused[1:3]) == {"d1", "l1"}  # each side's best survives fusion
    assert fused.index("d1") < fused.index("d3") and fused.index("l1") < fused.index("l3")
