"""Blind second marking of a report that has a corrected copy: an item a first reviewer decided
on the older version is answered there (as the cohort and second marking count it), so it is
offered to a blind marker on the current version when both versions have the same text, and
its first answer is hidden from them; the first reviewer is never offered it; with other text
it is not offered (such a pair is kept out of the agreement figures). The Second marking page
names the older version a first answer was given on.

Real PDFs (reportlab), a real SQLite data home and the offline engine.
"""

from __future__ import annotations

from pathlib import Path

from tests.make_pdf import text_pdf
from tests.test_report_versions import _eastmoor

QUESTIONS = ["A6", "C8"]


def _versions(
    assistant,
    tmp_path: Path,
    corrected: str,
    first_name: str = "a-eastmoor.pdf",
    decided: tuple[str, ...] = ("A6", "C8"),
):
    """Eastmoor's first copy (file `first_name`), drafted on A6 and C8, alice deciding those
    `decided`; then a copy with `corrected` in its text (none: the same text in another file,
    as a copy saved again is) ingested as its new version and drafted. Returns (older,
    current)."""
    [older] = [r.report for r in assistant.ingest([text_pdf(tmp_path / first_name, _eastmoor())])]
    assistant.draft_report(older.report_id, question_ids=QUESTIONS, engine="offline")
    for qid in decided:
        assistant.record_decision(
            older.report_id, qid, "alice", "edit", after="partly", base_event_id=None
        )
    copy = text_pdf(tmp_path / "b-eastmoor-corrected.pdf", _eastmoor(corrected))
    if not corrected:  # other bytes after the end of the file: a new file, the same text
        copy.write_bytes(copy.read_bytes() + b"% saved again\n")
    [current] = [r.report for r in assistant.ingest([copy])]
    assert current.previous_version == older.report_id
    assert [r.report_id for r in assistant.list_reports()] == [current.report_id]
    assistant.draft_report(current.report_id, question_ids=QUESTIONS, engine="offline")
    return older, current


def _queue(assistant, reviewer: str) -> list[tuple[str, str]]:
    return [(it.report_id, it.question.id) for it in assistant.blind_queue(reviewer)]


def _page_handlers(assistant) -> dict:
    """The Second marking page's handlers by name, as Gradio runs them."""
    import gradio as gr

    from assistant.ui.common import AppContext
    from assistant.ui.second_marking import second_marking_page

    ctx = AppContext(assistant, login_required=False)
    with gr.Blocks() as demo:
        ctx.reviewer_box = gr.Textbox()
        second_marking_page(ctx)
    return {fn.name: fn.fn for fn in demo.fns.values()}


def test_an_item_decided_on_an_older_version_with_the_same_text_is_second_marked_on_the_current(
    assistant, tmp_path
):
    older, current = _versions(assistant, tmp_path, corrected="")
    new_id = current.report_id
    # alice's answers on the older copy wait for a blind mark on the current copy
    assert _queue(assistant, "bob") == [(new_id, "A6"), (new_id, "C8")]
    assert _queue(assistant, "alice") == []  # she decided them: she is not blind
    assert assistant.hidden_for("bob", new_id) == set()  # no blind item taken yet

    item, waiting = assistant.take_blind_item("bob")
    assert (item.report_id, item.question.id, waiting) == (new_id, "A6", 2)
    # bob is the current copy's blind marker: its answers, decided on the older copy, hidden
    assert assistant.hidden_for("bob", new_id) == {"A6", "C8"}
    assert assistant.hidden_for("alice", new_id) == set()

    assistant.record_blind_mark(new_id, "A6", "bob", "partly")
    assert assistant.hidden_for("bob", new_id) == {"C8"}
    assert _queue(assistant, "carol") == [(new_id, "C8")]  # A6 has its blind mark

    # the mark pairs with alice's first answer, compared: both copies have the same text
    [pair] = assistant.second_marking_pairs()
    assert (pair.report_id, pair.question.id, pair.first, pair.first_reviewer) == (
        new_id,
        "A6",
        "partly",
        "alice",
    )
    assert pair.first_on_older == older.report_id and pair.comparable and pair.agree
    report = assistant.second_marking(n_boot=50)
    assert report["items"] == report["compared"] == 1
    assert report["older_versions"]["first_on_older_same_text"] == 1
    assert report["older_versions"]["text_differs"] == 0
    assert report["human_human"]["n"] == 1


def test_the_first_reviewer_on_the_older_version_is_not_offered_it_on_the_current(
    assistant, tmp_path
):
    """Alice first-answered A6 on the older copy and frank read its C8 there (a note); dana
    decided C8 on the current copy: each may second-mark what they never saw, on any version."""
    older, current = _versions(assistant, tmp_path, corrected="", decided=("A6",))
    new_id = current.report_id
    assistant.record_decision(
        older.report_id, "C8", "frank", "note", note="read sighted", base_event_id=None
    )
    assistant.record_decision(new_id, "C8", "dana", "enter", after="evidenced", base_event_id=None)
    assert _queue(assistant, "alice") == [(new_id, "C8")]
    assert _queue(assistant, "frank") == [(new_id, "A6")]
    assert _queue(assistant, "dana") == [(new_id, "A6")]
    assert _queue(assistant, "bob") == [(new_id, "A6"), (new_id, "C8")]

    item, waiting = assistant.take_blind_item("alice")
    assert (item.report_id, item.question.id, waiting) == (new_id, "C8", 1)
    assert assistant.hidden_for("alice", new_id) == {"C8"}  # her own A6 stays in view
    # a blind mark given on the older copy pairs with the same first answer: A6 is not
    # offered again on the current copy
    assistant.record_blind_mark(older.report_id, "A6", "bob", "partly")
    assert _queue(assistant, "carol") == [(new_id, "C8")]


def test_an_item_decided_on_an_older_version_with_other_text_is_not_offered(assistant, tmp_path):
    """The blind marker would read the corrected text, the first reviewer read the older one:
    the pair would be kept out of the agreement figures, so it waits for a first answer on the
    current copy."""
    _, current = _versions(assistant, tmp_path, corrected="Corrected figures.")
    new_id = current.report_id
    assert _queue(assistant, "bob") == []
    assert assistant.take_blind_item("bob") == (None, 0)
    assert assistant.hidden_for("bob", new_id) == set()
    # decided again on the current copy by someone else: offered, as any item
    assistant.record_decision(new_id, "A6", "dana", "enter", after="partly", base_event_id=None)
    assert _queue(assistant, "bob") == [(new_id, "A6")]
    assert _queue(assistant, "alice") == []  # she read A6 on the older copy


def test_the_second_marking_page_names_the_older_version_of_the_first_answer(assistant, tmp_path):
    """The adjudicator is told the first answer's version, its file name escaped as HTML."""
    name = "a-<b>eastmoor<b>&co.pdf"  # untrusted text in a file name
    older, current = _versions(assistant, tmp_path, corrected="", first_name=name)
    assert older.file_name == name
    item, _ = assistant.take_blind_item("bob")
    assistant.record_blind_mark(item.report_id, item.question.id, "bob", "evidenced")
    handlers = _page_handlers(assistant)

    _, _, answers, older_first, _ = handlers["load_figures"]()  # the first disagreement
    assert "First (alice): Partly evidenced\nBlind (bob): Evidenced" in answers
    said = "First answer given on the older version a-&lt;b&gt;eastmoor&lt;b&gt;&amp;co.pdf"
    assert older_first == (
        f'<div class="msg msg-info">{said} ({older.short_id}), with the same text.</div>'
    )

    # a copy with other text, marked without the queue (as a script may): said so, as a warning
    again = text_pdf(tmp_path / "c-eastmoor-corrected-again.pdf", _eastmoor("Corrected again."))
    [changed] = [r.report for r in assistant.ingest([again])]
    assert changed.previous_version == current.report_id
    assistant.record_blind_mark(changed.report_id, "C8", "carol", "evidenced")
    _, shown, _ = handlers["pick"](f"{changed.report_id}:C8")
    assert shown == (
        f'<div class="msg msg-warn">{said} ({older.short_id}), whose text differs: the two '
        "reviewers read different text, so this pair is not in the agreement figures.</div>"
    )

    # a first answer given on the marked version names no version (the pair shown is this
    # version's, not bob's A6 on the copy it replaced)
    assistant.record_decision(
        changed.report_id, "A6", "dana", "enter", after="partly", base_event_id=None
    )
    assistant.record_blind_mark(changed.report_id, "A6", "erin", "evidenced")
    text, shown, _ = handlers["pick"](f"{changed.report_id}:A6")
    assert text.startswith("Draft: ") and shown == ""
