"""DecisionStore, final-answer export and reviewer logins (no browser, no Gradio)."""

from __future__ import annotations

import csv
import multiprocessing
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.errors import ConfigError, ConflictError, NotFoundError, ReviewAssistantError
from assistant.review.decisions import DecisionStore
from assistant.service import Assistant
from assistant.ui import auth
from tests.make_pdf import text_pdf

REPO = Path(__file__).resolve().parent.parent
PAGES = [
    [
        "Northbrook Safeguarding Children Partnership",
        "Annual Report 2021-22",
        "This report covers the twelve months from 1 April 2021 to 31 March 2022.",
        "Our priorities this year were neglect, domestic abuse and child exploitation.",
        "We chose these priorities because our needs analysis showed rising referrals.",
    ],
    [
        "Learning from reviews",
        "The partnership held 3 rapid reviews and commissioned 2 local child safeguarding",
        "practice reviews. Learning was shared through 7-minute briefings and a newsletter.",
        '=HYPERLINK("http://example.invalid") appears in this report as plain text.',
    ],
]


@pytest.fixture(scope="module")
def drafted_db(tmp_path_factory) -> tuple[Path, str]:
    """A database holding one ingested, offline-drafted report (built once, copied per test)."""
    from assistant.config import load_settings

    home = tmp_path_factory.mktemp("review-template")
    pdf = text_pdf(home / "northbrook-2021-22.pdf", PAGES)
    a = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    [result] = list(a.ingest([pdf]))
    a.draft_report(result.report.report_id, engine="offline")
    return a.settings.db_path, result.report.report_id


@pytest.fixture
def a(drafted_db, data_home: Path) -> Assistant:
    """A fresh copy of the drafted database in this test's data directory."""
    source, _ = drafted_db
    data_home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(data_home / "review.sqlite3") as dst:
        src.backup(dst)
    return Assistant()


@pytest.fixture
def rid(drafted_db) -> str:
    return drafted_db[1]


def store(a: Assistant) -> DecisionStore:
    return DecisionStore(a.db, a.bank)


def draft_of(a: Assistant, rid: str, qid: str):
    return next(d for d in a.drafts.for_report(rid) if d.question_id == qid)


def test_accept_takes_the_draft_answer_and_derives_the_state(a, rid):
    s = store(a)
    draft = draft_of(a, rid, "A1")
    event = s.record(
        rid,
        "a1",
        "alice",
        "accept",
        base_event_id=None,
        draft_id=draft.draft_id,
        seconds_on_task=12.345,
    )
    assert event.question_id == "A1"  # ids are matched case-insensitively, stored canonically
    assert event.before == draft.answer and event.after == draft.answer
    assert event.seconds_on_task == 12.3 and event.reviewer == "alice"
    state = s.current(rid)["A1"]
    assert (state.status, state.answer, state.reviewer) == ("accepted", draft.answer, "alice")
    assert state.last_event_id == event.event_id and state.draft_id == draft.draft_id
    assert s.progress(rid, a.bank.ids) == (1, len(a.bank.ids))
    assert len(s.current(rid)) == len(a.bank.ids)


def test_edit_validates_and_normalises_within_the_answer_type(a, rid):
    s = store(a)
    draft = draft_of(a, rid, "A6")
    with pytest.raises(ReviewAssistantError, match="not allowed"):
        s.record(
            rid, "A6", "alice", "edit", after="maybe", base_event_id=None, draft_id=draft.draft_id
        )
    assert s.history(rid) == []  # a refused save writes nothing
    event = s.record(
        rid,
        "A6",
        "alice",
        "edit",
        after="Partly evidenced",
        note="data only",
        base_event_id=None,
        draft_id=draft.draft_id,
    )
    assert event.after == "partly" and event.note == "data only"
    count = draft_of(a, rid, "B1a")
    event = s.record(
        rid, "B1a", "alice", "edit", after="4", base_event_id=None, draft_id=count.draft_id
    )
    assert event.after == 4
    with pytest.raises(ReviewAssistantError, match="cannot be negative"):
        s.record(
            rid,
            "B1a",
            "alice",
            "edit",
            after=-1,
            base_event_id=event.event_id,
            draft_id=count.draft_id,
        )


def test_reject_then_edit_keeps_every_event_and_the_before_values(a, rid):
    s = store(a)
    draft = draft_of(a, rid, "A4")
    first = s.record(
        rid,
        "A4",
        "alice",
        "reject",
        note="the quote is from the foreword",
        base_event_id=None,
        draft_id=draft.draft_id,
    )
    assert s.item(rid, "A4").status == "rejected" and s.item(rid, "A4").answer is None
    assert first.before == draft.answer and first.after is None
    second = s.record(
        rid, "A4", "bob", "edit", after="no", base_event_id=first.event_id, draft_id=draft.draft_id
    )
    assert second.before is None  # the rejected item had no answer
    history = s.history(rid, "A4")
    assert [e.action for e in history] == ["reject", "edit"]
    assert history[0] == first  # earlier events are never rewritten
    state = s.item(rid, "A4")
    assert (state.status, state.answer, state.reviewer) == ("edited", "no", "bob")
    assert state.note == "the quote is from the foreword"  # newest note so far


def test_reviewer_entered_fact_needs_no_draft_and_cannot_be_accepted(a, rid):
    s = store(a)
    assert not a.bank.get("C9").answerable_from_text
    with pytest.raises(ReviewAssistantError, match="no draft to accept"):
        s.record(rid, "C9", "alice", "accept", base_event_id=None)
    event = s.record(rid, "C9", "alice", "enter", after="Yes", base_event_id=None)
    assert event.after == "yes" and event.draft_id is None
    assert s.item(rid, "C9").status == "entered"


def test_second_save_on_a_stale_base_is_refused_with_the_other_change(a, rid):
    s = store(a)
    draft = draft_of(a, rid, "A4")
    seen = s.item(rid, "A4").last_event_id  # both reviewers open the item: no events yet
    s.record(
        rid, "A4", "alice", "edit", after="partly", base_event_id=seen, draft_id=draft.draft_id
    )
    with pytest.raises(ConflictError) as refused:
        s.record(rid, "A4", "bob", "edit", after="yes", base_event_id=seen, draft_id=draft.draft_id)
    assert 'alice edited the answer to "Partly"' in str(refused.value)
    assert refused.value.events[0].reviewer == "alice"
    assert s.item(rid, "A4").answer == "partly"  # bob's save did not land
    assert len(s.history(rid, "A4")) == 1
    # having seen alice's change, bob saves on top of it
    latest = s.item(rid, "A4").last_event_id
    s.record(rid, "A4", "bob", "edit", after="yes", base_event_id=latest, draft_id=draft.draft_id)
    assert s.item(rid, "A4").answer == "yes"
    with pytest.raises(ReviewAssistantError, match="not a decision on A5"):
        s.record(rid, "A5", "bob", "note", note="x", base_event_id=latest)


def _race(db_path: str, rid: str, name: str, barrier, results) -> None:
    from assistant.db import Database

    s = DecisionStore(Database(Path(db_path)))
    barrier.wait()
    try:
        s.record(rid, "A2", name, "note", note=f"from {name}", base_event_id=None)
        results.put("saved")
    except ConflictError:
        results.put("conflict")


def test_racing_processes_cannot_both_save_on_the_same_base(a, rid):
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_race, args=(str(a.settings.db_path), rid, f"r{i}", barrier, results))
        for i in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes == ["conflict", "conflict", "conflict", "saved"]
    assert len(store(a).history(rid, "A2")) == 1


def test_racing_threads_cannot_both_save_on_the_same_base(a, rid):
    s, barrier, outcomes = store(a), threading.Barrier(6), []

    def save(i: int) -> None:
        barrier.wait()
        try:
            s.record(rid, "B2", f"t{i}", "edit", after="evidenced", base_event_id=None)
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]


def test_citation_relevance_and_missed_passages_are_events_too(a, rid):
    s = store(a)
    draft = draft_of(a, rid, "A1")
    e1 = s.record(
        rid,
        "A1",
        "alice",
        "citation",
        payload={"index": 1, "relevant": False},
        base_event_id=None,
        draft_id=draft.draft_id,
    )
    e2 = s.record(
        rid,
        "A1",
        "alice",
        "passage",
        payload={"page": 1, "quote": "we chose these priorities because our NEEDS"},
        base_event_id=e1.event_id,
        draft_id=draft.draft_id,
    )
    assert e2.payload["verification"] == "normalised"
    state = s.item(rid, "A1")
    assert state.status == "undecided"  # annotations are not decisions
    assert state.citation_relevance == {1: False}
    assert state.added_passages[0]["page"] == 1 and state.added_passages[0]["reviewer"] == "alice"
    with pytest.raises(ReviewAssistantError, match="page 9 is not in this report"):
        s.record(rid, "A1", "alice", "passage", payload={"page": 9}, base_event_id=e2.event_id)
    with pytest.raises(ReviewAssistantError, match="citation index"):
        s.record(
            rid, "A1", "alice", "citation", payload={"relevant": True}, base_event_id=e2.event_id
        )


def test_history_and_decision_log_say_what_each_annotation_did(a, rid, tmp_path):
    """Marking a citation not relevant or relevant, adding a passage, and setting or removing
    an example mark are told apart in the item's history (UI) and the XLSX decision log."""
    from openpyxl import load_workbook

    from assistant.ui.review_views import history_rows

    s = store(a)
    draft = draft_of(a, rid, "A1")
    last = None
    for action, payload in [
        ("citation", {"index": 1, "relevant": False}),
        ("citation", {"index": 1, "relevant": True}),
        ("passage", {"page": 1, "quote": "our needs analysis showed rising referrals"}),
    ]:
        last = s.record(
            rid,
            "A1",
            "alice",
            action,
            payload=payload,
            base_event_id=last and last.event_id,
            draft_id=draft.draft_id,
        )
    s.record(rid, "A1", "alice", "accept", base_event_id=last.event_id, draft_id=draft.draft_id)
    a.mark_example(rid, "A1", "alice", page=1, quote="our needs analysis showed rising referrals")
    a.mark_example(rid, "A1", "alice", on=False)
    rows = history_rows(a.bank.get("A1"), a.review_history(rid, "A1"))
    assert [r[3] for r in reversed(rows)] == [
        "marked citation 1 as not relevant",
        "marked citation 1 as relevant",
        "added a missed passage on page 1",
        "accept",
        "marked the answer as an example of practice (page 1)",
        "removed the example-of-practice mark",
    ]
    assert rows[-3][4] == '"our needs analysis showed rising referrals"'
    assert rows[1][4] == '"our needs analysis showed rising referrals"'  # the example's passage

    book = load_workbook(a.export_final_answers(tmp_path / "final.xlsx", report_ids=[rid]))
    log = book["Decision log"]
    header = [c.value for c in log[1]]
    got = [
        (
            r[header.index("Action")].value,
            r[header.index("Page")].value,
            r[header.index("Citation")].value,
        )
        for r in log.iter_rows(min_row=2)
    ]
    assert got[-2:] == [
        ("example", 1, 'marked as an example: "our needs analysis showed rising referrals"'),
        ("example", None, "example mark removed"),
    ]
    assert got[0][2].startswith("citation 1 (not relevant)")
    assert got[1][2].startswith("citation 1 (relevant)")


def test_bad_inputs_are_refused(a, rid):
    s = store(a)
    with pytest.raises(ReviewAssistantError, match="no reviewer"):
        s.record(rid, "A1", "  ", "note", note="x", base_event_id=None)
    with pytest.raises(ReviewAssistantError, match="unknown action"):
        s.record(rid, "A1", "alice", "delete", base_event_id=None)
    with pytest.raises(NotFoundError):
        s.record("0" * 64, "A1", "alice", "note", note="x", base_event_id=None)
    with pytest.raises(NotFoundError):
        s.record(rid, "Z99", "alice", "note", note="x", base_event_id=None)
    with pytest.raises(NotFoundError, match="no draft"):
        s.record(
            rid,
            "A1",
            "alice",
            "accept",
            base_event_id=None,
            draft_id=draft_of(a, rid, "A2").draft_id,
        )  # a draft of another question


def test_export_csv_and_xlsx_with_who_decided_and_no_formulas(a, rid, tmp_path):
    s = store(a)
    a1 = draft_of(a, rid, "A1")
    s.record(rid, "A1", "alice", "accept", base_event_id=None, draft_id=a1.draft_id)
    c10 = draft_of(a, rid, "C10")
    s.record(
        rid,
        "C10",
        "bob",
        "edit",
        after='=HYPERLINK("http://example.invalid")',
        note="+1 check",
        base_event_id=None,
        draft_id=c10.draft_id,
    )
    rows = a.final_answer_rows()
    assert len(rows) == len(a.bank.ids)
    path = a.export_final_answers(tmp_path / "final.csv")
    got = {r["Question id"]: r for r in csv.DictReader(path.open(encoding="utf-8-sig"))}
    assert got["A1"]["Status"] == "accepted" and got["A1"]["Reviewer"] == "alice"
    assert got["A1"]["Final answer"] == a.bank.get("A1").answer_label(a1.answer)
    assert got["A1"]["Partnership"] and got["A1"]["Period"] == "2021-22"
    assert got["A1"]["Decided at (UTC)"].startswith("20")
    assert got["C10"]["Final answer"].startswith("'=HYPERLINK")  # not a live formula
    assert got["C10"]["Note"] == "'+1 check"
    assert got["C9"]["Status"] == "undecided" and got["C9"]["Draft answer"] == ""

    from openpyxl import load_workbook

    xlsx = a.export_final_answers(tmp_path / "final.xlsx", report_ids=[rid])
    book = load_workbook(xlsx)
    sheet = book["Final answers"]
    header = [c.value for c in sheet[1]]
    row = next(
        r for r in sheet.iter_rows(min_row=2) if r[header.index("Question id")].value == "C10"
    )
    cell = row[header.index("Final answer")]
    assert cell.data_type == "s" and cell.value.startswith("'=")
    assert [c.value for c in book["Decision log"][1]][:5] == [
        "Event",
        "Report id",
        "Question id",
        "Reviewer",
        "Action",
    ]
    assert book["Decision log"].max_row == 3
    with pytest.raises(ReviewAssistantError, match="unknown export format"):
        a.export_final_answers(tmp_path / "final.pdf")


def test_review_queue_orders_audit_tool_then_riskiest(a, rid):
    from assistant.ui.render import mark_span
    from assistant.ui.review_queue import progress_text, review_queue

    items = review_queue(a, rid)  # default: the audit tool's order, A1 first
    assert [it.question.id for it in items] == a.bank.ids
    risky = review_queue(a, rid, "riskiest")
    confidences = [it.confidence for it in risky]
    assert confidences == sorted(confidences) and len(risky) == len(a.bank.ids)
    assert [it.question.id for it in risky] != a.bank.ids  # the order really changes
    with pytest.raises(ReviewAssistantError, match="unknown queue order"):
        review_queue(a, rid, "random")
    store(a).record(
        rid, "A1", "alice", "accept", base_event_id=None, draft_id=draft_of(a, rid, "A1").draft_id
    )
    assert progress_text(review_queue(a, rid)).startswith(f"**1/{len(items)} reviewed**")
    assert mark_span("<b>x</b> y", 0, 8) == (
        '<div class="page-text"><mark id="cited-span">&lt;b&gt;x&lt;/b&gt;</mark> y</div>'
    )


def rewrite_draft(a: Assistant, rid: str, qid: str, **changes) -> None:
    """Replace a question's current draft by a copy with `changes`."""
    import uuid

    draft = draft_of(a, rid, qid)
    a.drafts.save(
        draft.model_copy(update={"draft_id": uuid.uuid4().hex[:16], **changes}), replace=True
    )


def test_riskiest_first_sorts_by_what_the_trust_level_means(a, rid):
    """'check carefully' (low, no answer found, not calibrated) before 'often right' before
    'usually right', whatever the bare number: a draft that found no answer at 0.97, or an
    uncalibrated one at 0.96, is not among the trusted ones."""
    from assistant.ui.render import trust_level
    from assistant.ui.review_queue import review_queue

    rewrite_draft(a, rid, "A1", answer=None, status="abstained", confidence=0.97)
    rewrite_draft(a, rid, "C1", calibration="uncalibrated", confidence=0.96)
    risky = review_queue(a, rid, "riskiest")
    words = [trust_level(it.draft)[0] for it in risky]
    rank = {"": 0, "low": 1, "?": 1, "medium": 2, "high": 3}
    assert [rank[w] for w in words] == sorted(rank[w] for w in words), words
    assert words[-1] == "high" and {"low", "?", "medium"} <= set(words)
    cautious = [it.question.id for it in risky if rank[trust_level(it.draft)[0]] <= 1]
    assert "A1" in cautious and "C1" in cautious
    within = [it.confidence for it in risky if trust_level(it.draft)[0] == "medium"]
    assert within == sorted(within)  # by confidence inside a level


def test_most_trusted_first_and_to_review_first(a, rid):
    from assistant.ui.render import trust_level
    from assistant.ui.review_queue import review_queue

    rewrite_draft(a, rid, "A1", answer=None, status="abstained", confidence=0.97)
    rank = {"": 0, "low": 1, "?": 1, "medium": 2, "high": 3}
    trusted = review_queue(a, rid, "trusted")
    ranks = [rank[trust_level(it.draft)[0]] for it in trusted]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] == 3
    assert [it.question.id for it in trusted][-1] == "C9"  # no draft: last
    for qid in ("A2", "B1a"):
        store(a).record(
            rid, qid, "alice", "accept", base_event_id=None, draft_id=draft_of(a, rid, qid).draft_id
        )
    todo = [it.question.id for it in review_queue(a, rid, "todo")]
    assert todo[-2:] == ["A2", "B1a"]  # decided ones last, the audit tool's order otherwise
    assert todo[:-2] == [q for q in a.bank.ids if q not in ("A2", "B1a")]


# --- logins ------------------------------------------------------------------------------
def test_password_hashes_are_salted_and_checked(monkeypatch, tmp_path):
    one, two = auth.hash_password("s3cret"), auth.hash_password("s3cret")
    assert one != two and one.startswith("pbkdf2_sha256$")
    assert auth.verify_password("s3cret", one) and not auth.verify_password("S3cret", one)
    assert not auth.verify_password("s3cret", "plain-text")
    monkeypatch.setenv(auth.ENV_REVIEWERS, f"alice:{one}, bob:{two}")
    reviewers = auth.load_reviewers(tmp_path)
    assert sorted(reviewers) == ["alice", "bob"]
    check = auth.make_auth(reviewers)
    assert check("alice", "s3cret") and not check("alice", "nope") and not check("eve", "s3cret")
    monkeypatch.setenv(auth.ENV_REVIEWERS, "alice:s3cret")
    with pytest.raises(ConfigError, match="not a pbkdf2_sha256 hash"):
        auth.load_reviewers(tmp_path)
    monkeypatch.delenv(auth.ENV_REVIEWERS)
    (tmp_path / "reviewers.toml").write_text(f'[reviewers]\ncarol = "{one}"\n')
    assert list(auth.load_reviewers(tmp_path)) == ["carol"]


def test_only_loopback_is_served_without_logins():
    auth.check_exposure("127.0.0.1", False, {})
    auth.check_exposure("localhost", False, {})
    auth.check_exposure("::1", False, {})
    auth.check_exposure("0.0.0.0", False, {"alice": "hash"})
    for host, share in (("0.0.0.0", False), ("192.168.1.5", False), ("127.0.0.1", True)):
        with pytest.raises(ConfigError, match="refusing to serve"):
            auth.check_exposure(host, share, {})


def test_app_refuses_a_public_host_without_logins(data_home):
    env = {"PATH": "/usr/bin:/bin", "REVIEW_ASSISTANT_HOME": str(data_home)}
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "--host", "0.0.0.0", "--port", "7999"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to serve on host 0.0.0.0 without reviewer logins" in done.stderr


def test_cited_page_is_drawn_with_the_quote_highlighted(a, rid, tmp_path):
    from assistant.ui.render import page_view, render_page

    report = a.reports.get(rid)
    quote = "Learning was shared through 7-minute briefings"
    plain, note = render_page(Path(report.file_path), 2)
    marked, note = render_page(Path(report.file_path), 2, quote)
    assert note == "" and marked.size == plain.size
    from PIL import ImageChops

    diff = ImageChops.difference(plain, marked).convert("L").point(lambda v: 255 if v else 0)
    changed = diff.histogram()[255]
    assert changed > 500  # a highlight box was drawn over the quoted line
    _, note = render_page(Path(report.file_path), 2, "words that are not on this page at all")
    assert note == "quote not located on the image"

    view = page_view(a, report, 2, quote)
    assert "✓ exact" in view.heading
    assert '<mark id="cited-span">Learning was shared through 7-minute briefings</mark>' in (
        view.text_html
    )
    report.file_path = str(tmp_path / "moved.pdf")  # the PDF was moved: text only
    view = page_view(a, report, 2, quote)
    assert view.image is None and "PDF not found" in view.heading and "<mark" in view.text_html


def test_served_copies_are_removed_when_the_app_process_exits(tmp_path):
    """Figures and exports the UI serves live in one temp folder that goes with the process."""
    script = (
        "from assistant.ui.cohort import served_bytes, serve_dir\n"
        "a = served_bytes('chart.png', b'png bytes')\n"
        "b = served_bytes('chart.png', b'png bytes')\n"
        "assert a == b and a.read_bytes() == b'png bytes'\n"
        "d = serve_dir('review-export-')\n"
        "(d / 'final.csv').write_text('x')\n"
        "assert d.parent == a.parent.parent\n"
        "print(a.parent.parent)\n"
    )
    env = {"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    root = Path(out.stdout.strip())
    assert root.parent == tmp_path  # it was made under the temp folder given
    assert not root.exists()  # and removed at exit, with the export folder inside it
    assert list(tmp_path.iterdir()) == []
