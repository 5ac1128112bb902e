"""Ask with the offline engine: whole sentences that answer, never headings, never a cut word."""

from __future__ import annotations

from assistant.engines.base import DraftContext, EvidenceBlock
from assistant.engines.offline import OfflineEngine
from assistant.index import Passage

HEADING = "Learning from reviews and training"
SENTENCE = (
    "Learning from the rapid reviews was shared with staff through seven practice learning "
    "briefings and a multi-agency training day attended by 140 practitioners."
)


def block(block_id: str, text: str, page: int) -> EvidenceBlock:
    return EvidenceBlock(block_id, Passage(f"c{page}", "r1", page, text, 1.0, 0, len(text)))


def test_offline_ask_quotes_whole_sentences_not_headings_and_cuts_no_word():
    long_tail = " ".join(f"word{i}" for i in range(90)) + "."
    blocks = [
        block("E1", f"{HEADING}\n{SENTENCE} Other news followed.", 4),
        block("E2", f"Training\n{long_tail}", 7),
    ]
    result = OfflineEngine().ask(
        "How was learning from reviews shared with staff in training?",
        blocks,
        DraftContext("Testshire", "2021-22", "r1"),
    )
    quotes = [c.quote for c in result.citations]
    assert quotes[0] == SENTENCE  # the sentence, in full; not the heading that shares words
    assert HEADING not in quotes and "Training" not in quotes
    for c, b in zip(result.citations, blocks, strict=True):
        assert c.quote in b.text  # verbatim
        start = b.text.index(c.quote)
        end = start + len(c.quote)
        assert start == 0 or not b.text[start - 1].isalnum()  # no word cut at either end
        assert end == len(b.text) or not b.text[end].isalnum()
    # the answer lists the same whole quotes, one line per passage
    assert SENTENCE in result.answer
    assert "page 4:" in result.answer and "page 7:" in result.answer
