"""The Review page's keyboard flow, queue orders, the page browser and the Library's doors, in a
real browser (Debian's Chromium via Playwright) against the real app on generated reports.

Two generated reports (the second has a scanned page without text), ingested and drafted by the
offline engine before the app starts. The tests run in file order and share the data.
"""

from __future__ import annotations

import re
import shutil
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_browser import (  # noqa: E402
    choose_order,
    choose_report,
    chromium_browser,
    goto_tab,
    open_item,
)
from tests.ui_server import running_app  # noqa: E402

SHOTS = Path("/work/notes/shots")


@pytest.fixture(scope="module")
def flow_app(tmp_path_factory):
    """(base URL, {"first": record, "scanned": record}, assistant) of a running app."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from assistant.config import load_settings
    from assistant.service import Assistant
    from evals.synthetic.sample_reports import generate_sample_set

    root = tmp_path_factory.mktemp("flow")
    built = generate_sample_set(root / "pdfs", 2, 11, scanned=True, length="short")
    home = root / "home"
    a = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    records = [r.report for r in a.ingest([b.path for b in built])]
    for rec in records:
        a.draft_report(rec.report_id, engine="offline")
    assert not records[0].no_text_pages and records[1].no_text_pages
    with running_app(home) as url:
        yield url, {"first": records[0], "scanned": records[1]}, a
    log = (home / "app.log").read_text()
    for bad in ("Traceback", "Warning", "OUTBOUND BLOCKED"):
        assert bad not in log, log[-3000:]  # no handler failed, the app phoned nowhere


@pytest.fixture(scope="module")
def browser(flow_app):
    with chromium_browser() as chromium:
        yield chromium


def open_page(browser, url: str, width: int = 1600, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    box = page.locator("#reviewer-name").get_by_role("textbox")
    expect(box).to_be_editable()
    box.fill("kim")
    box.blur()
    return page


def open_review(browser, url: str, record, qid: str):
    """A new page on the Review tab with one report's question open."""
    page = open_page(browser, url)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", record.file_name)
    open_item(page, qid)
    return page


def title_qid(page) -> str:
    return page.locator("#rv-title h3").inner_text().split(" · ")[0].strip()


def queue_ids(page) -> list[str]:
    rows = page.locator("#rv-queue [role=row]")
    expect(rows.nth(1)).to_be_visible()
    ids = []
    for i in range(rows.count()):
        cell = rows.nth(i).locator("[role=gridcell]").first
        if cell.count():
            ids.append(cell.inner_text().strip())
    return ids


def test_queue_orders_audit_tool_then_riskiest(flow_app, browser):
    url, recs, a = flow_app
    page = open_page(browser, url)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", recs["first"].file_name)
    expect(page.locator("#rv-title")).to_contain_text("A1 ·")  # first to review, audit order
    assert queue_ids(page)[:3] == a.bank.ids[:3]
    choose_order(page, "Riskiest first")
    expect(page.locator("#rv-queue [role=row]").nth(1)).not_to_contain_text("A1")
    risky = queue_ids(page)
    drafts = {d.question_id: d for d in a.drafts.for_report(recs["first"].report_id)}
    conf = [drafts[q].confidence if q in drafts else -1.0 for q in risky]
    assert conf == sorted(conf) and risky != a.bank.ids
    choose_order(page, "Audit tool order (A1 → C10)")
    expect(page.locator("#rv-queue [role=row]").nth(1)).to_contain_text("A1")
    # each draft says how far to trust it, with the agreement behind it
    expect(page.locator("#rv-draft-summary .trust")).to_contain_text(
        re.compile(r"Trust: (usually right on reports like this|often right|check carefully)")
    )
    expect(page.locator("#rv-draft-summary .trust")).to_contain_text("labelled reports")
    # add-passage fields typed for one question are empty on the next
    page.get_by_text("Add a passage the draft missed").click()
    page.fill("#rv-add-page input", "5")
    page.fill("#rv-add-quote textarea, #rv-add-quote input", "typed for A1")
    page.click("#rv-next")
    expect(page.locator("#rv-title")).not_to_contain_text("A1 ·")
    expect(page.locator("#rv-add-page input")).to_have_value("")
    expect(page.locator("#rv-add-quote textarea, #rv-add-quote input").first).to_have_value("")
    page.context.close()


def test_keyboard_flow_note_save_then_a_accepts_the_next(flow_app, browser):
    url, recs, a = flow_app
    rid = recs["first"].report_id
    page = open_page(browser, url)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", recs["first"].file_name)
    expect(page.locator("#rv-title")).to_contain_text("A1 ·")
    note = page.locator("#rv-note textarea")
    note.click()
    note.type("checked against page 3")
    note.press("Control+Enter")  # submit from inside the note
    msg = page.locator("#rv-msg")
    expect(msg).to_contain_text("kim accepted the draft answer")
    expect(page.locator("#rv-title")).not_to_contain_text("A1 ·")
    second = title_qid(page)
    expect(note).to_have_value("")
    page.keyboard.press("a")  # focus is back on the item: A accepts, it types nothing
    expect(page.locator("#rv-progress")).to_contain_text("2/33 reviewed")
    expect(note).to_have_value("")
    state = a.review_item(rid, second)
    assert state.status == "accepted" and state.reviewer == "kim" and not state.note
    assert a.review_item(rid, "A1").note == "checked against page 3"

    # Esc leaves a field; then letters act on the item again
    third = title_qid(page)
    note.click()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("#rv-title h3")).not_to_contain_text(f"{third} ·")
    expect(note).to_have_value("")

    # number keys pick a choice: open a yes/partly/no question and press 3 ("No")
    open_item(page, "A4")
    page.keyboard.press("3")
    expect(page.locator("#rv-choice").get_by_label("No", exact=True)).to_be_checked()
    page.keyboard.press("9")
    expect(page.locator("#rv-keyhint")).to_contain_text("9: there are only 3 choices")

    # a count field ignores "e" (a number field would empty itself)
    qcount = next(q.id for q in a.bank.questions if q.answer_type.value == "count")
    open_item(page, qcount)
    count = page.locator("#rv-count input")
    count.fill("4")
    count.press("e")
    expect(count).to_have_value("4")

    # a key that cannot apply says why
    entered = next(q.id for q in a.bank.questions if not q.answerable_from_text)
    open_item(page, entered)
    page.keyboard.press("a")
    expect(page.locator("#rv-keyhint")).to_contain_text(
        "A: nothing to accept — this item has no draft"
    )
    assert a.review_item(rid, entered).status == "undecided"
    page.context.close()


def test_an_unsaved_edit_is_kept_when_the_reviewer_moves_on(flow_app, browser):
    """An answer picked and a note typed, then J, K, N or a queue row before saving: the edit
    waits for that question (and says so) instead of going; saved, it is gone from the wait."""
    url, recs, a = flow_app
    rid = recs["first"].report_id
    page = open_review(browser, url, recs["first"], "A4")
    choice = page.locator("#rv-choice")
    drafted = next(d for d in a.drafts.for_report(rid) if d.question_id == "A4").answer
    other = "No" if drafted != "no" else "Yes"
    choice.get_by_label(other, exact=True).check()
    note = page.locator("#rv-note textarea")
    note.fill("the plan is next year's, not this year's")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("#rv-title h3")).not_to_contain_text("A4 ·")
    expect(page.locator("#rv-msg")).to_contain_text("A4 has an unsaved edit: it is kept")
    expect(note).to_have_value("")  # the next question starts clean
    page.keyboard.press("k")
    expect(page.locator("#rv-title")).to_contain_text("A4 ·")
    expect(choice.get_by_label(other, exact=True)).to_be_checked()
    expect(note).to_have_value("the plan is next year's, not this year's")
    expect(page.locator("#rv-msg")).to_contain_text("Your unsaved edit of A4 is back")
    assert a.review_item(rid, "A4").status == "undecided"  # nothing saved behind their back
    page.click("#rv-save")
    expect(page.locator("#rv-msg")).to_contain_text("kim edited the answer")
    state = a.review_item(rid, "A4")
    assert state.status == "edited" and state.note == "the plan is next year's, not this year's"
    # saved: coming back shows the decision, and no edit waits any more
    page.keyboard.press("Escape")
    open_item(page, "A4")
    expect(page.locator("#rv-msg")).not_to_contain_text("unsaved")
    expect(note).to_have_value("")

    # a note on the question a report opens at, then another report and back: still there
    opened_at = next(q for q in a.bank.ids if not a.review_item(rid, q).reviewed)
    choose_report(page, "rv-report", recs["scanned"].file_name)
    choose_report(page, "rv-report", recs["first"].file_name)
    expect(page.locator("#rv-title")).to_contain_text(f"{opened_at} ·")  # the first to review
    note.fill("typed before switching report")
    page.keyboard.press("Escape")
    choose_report(page, "rv-report", recs["scanned"].file_name)
    expect(page.locator("#rv-msg")).to_contain_text(f"{opened_at} has an unsaved edit")
    choose_report(page, "rv-report", recs["first"].file_name)
    expect(page.locator("#rv-title")).to_contain_text(f"{opened_at} ·")
    expect(note).to_have_value("typed before switching report")
    page.context.close()


def test_an_unsaved_edit_back_after_someone_else_decided_is_not_saved_over_it(flow_app, browser):
    """The kept edit remembers the decision it was typed on: when another reviewer decides
    the question meanwhile, it says so, and saving shows their decision instead of replacing
    it."""
    url, recs, a = flow_app
    rid = recs["first"].report_id
    page = open_review(browser, url, recs["first"], "A5")
    note = page.locator("#rv-note textarea")
    note.fill("typed by kim, not saved")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("#rv-msg")).to_contain_text("A5 has an unsaved edit: it is kept")
    draft = next(d for d in a.drafts.for_report(rid) if d.question_id == "A5")
    a.record_decision(
        rid, "A5", "lee", "reject", note="lee's", draft_id=draft.draft_id, base_event_id=None
    )
    page.keyboard.press("k")
    expect(page.locator("#rv-title")).to_contain_text("A5 ·")
    expect(page.locator("#rv-msg")).to_contain_text("Someone has decided it since you typed it")
    page.click("#rv-save")
    expect(page.locator("#rv-msg")).to_contain_text("Not saved")
    state = a.review_item(rid, "A5")
    assert state.status == "rejected" and state.reviewer == "lee" and state.note == "lee's"
    page.context.close()


def test_page_browser_search_and_pdf_at_page(flow_app, browser):
    url, recs, a = flow_app
    scanned = recs["scanned"]
    page = open_page(browser, url)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", scanned.file_name)
    # the report has a page without text: the draft warns
    expect(page.locator("#rv-draft-summary .rv-no-text")).to_contain_text("without text")
    page.locator("#rv-title").click()
    page.keyboard.press("p")  # P: the page browser, at the cited page
    expect(page.locator("#pg-report input")).to_have_value(re.compile(re.escape(scanned.file_name)))
    expect(page.locator("#pg-head")).to_contain_text(f"of {scanned.n_pages}")
    # jump to a page
    page_box = page.locator("#pg-page input")
    page_box.fill("2")
    page_box.press("Enter")
    expect(page.locator("#pg-head")).to_contain_text(f"Page 2 of {scanned.n_pages}")
    link = page.locator("#pg-pdf-link")
    expect(link).to_have_attribute("href", re.compile(r"#page=2$"))
    # the PDF is served: the same bytes as the stored file
    href = link.get_attribute("href")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url.rstrip("/") + href.split("#")[0], timeout=10) as response:
        assert response.read() == Path(scanned.file_path).read_bytes()
    # search within the report: only pages with hits are listed, hits highlighted
    word = "safeguarding"
    texts = a.page_texts(scanned.report_id)
    with_hits = [p for p, t in texts.items() if word in t.lower()]
    page.fill("#pg-search textarea, #pg-search input", word)
    page.click("#pg-find")
    total = sum(t.lower().count(word) for t in texts.values())
    expect(page.locator("#pg-summary")).to_contain_text(f"{total} hit(s)")
    expect(page.locator("#pg-list [role=row]")).to_have_count(len(with_hits) + 1)
    first = min(with_hits)
    expect(page.locator("#pg-head")).to_contain_text(f"Page {first} of")
    marks = page.locator("#pg-text mark.hit")
    expect(marks).to_have_count(texts[first].lower().count(word))
    assert marks.first.inner_text().lower() == word
    # the page without text says so
    blank = scanned.no_text_pages[0]
    page.fill("#pg-search textarea, #pg-search input", "")
    page.click("#pg-find")
    # the cleared search has come back (all pages listed) before the next jump: no race
    expect(page.locator("#pg-summary")).to_contain_text(f"{scanned.n_pages} pages")
    page_box.fill(str(blank))
    page_box.press("Enter")
    expect(page.locator("#pg-head")).to_contain_text("no text on this page")
    page.context.close()


def test_library_search_draft_and_row_opens_review(flow_app, browser):
    url, recs, a = flow_app
    page = open_page(browser, url)
    table = page.locator("#lib-table")
    expect(table).to_contain_text(recs["first"].file_name)
    search = page.locator("#lib-search textarea, #lib-search input").first
    search.fill(recs["scanned"].file_name[:-4])
    expect(table).not_to_contain_text(recs["first"].file_name)
    expect(table).to_contain_text(recs["scanned"].file_name)
    # Browse its pages from the Library
    choose_report(page, "lib-report", recs["scanned"].file_name)
    page.click("#lib-pages")
    expect(page.locator("#pg-head")).to_contain_text(f"Page 1 of {recs['scanned'].n_pages}")
    goto_tab(page, "Library")
    # drafting from the Library
    page.click("#lib-draft")
    expect(page.locator("#lib-draft-msg")).to_contain_text("Drafted", timeout=90_000)
    # a row click opens the report in Review
    table.locator("[role=gridcell]").get_by_text(recs["scanned"].file_name).click()
    expect(page.locator("#rv-report input")).to_have_value(
        re.compile(re.escape(recs["scanned"].file_name))
    )
    expect(page.locator("#rv-title")).to_be_visible()
    page.context.close()


def review_whole_report(page, a, rid: str) -> int:
    """Review every question of a report with the keyboard, each where the page moved on to by
    itself; returns the actions used (key presses + clicks). A draft with an answer is accepted
    (A); otherwise an answer is given: 1 + Ctrl+Enter for a choice, click + type + Ctrl+Enter
    for a count or a text."""
    actions = 0
    progress = page.locator("#rv-progress")
    n = len(a.bank.ids)
    for done in range(1, n + 1):
        qid = title_qid(page)
        kind = a.bank.get(qid).answer_type.value
        if page.locator("#rv-accept").is_enabled():
            page.keyboard.press("a")
            actions += 1
        elif kind in ("count", "free_text"):
            page.locator("#rv-count input" if kind == "count" else "#rv-free textarea").click()
            page.keyboard.type("0" if kind == "count" else "n/a")
            page.keyboard.press("Control+Enter")
            actions += 3
        else:
            page.keyboard.press("1")
            page.keyboard.press("Control+Enter")
            actions += 2
        expect(progress).to_contain_text(f"{done}/{n} reviewed")
        assert a.review_item(rid, qid).status != "undecided"
        if done < n:
            expect(page.locator("#rv-title h3")).not_to_contain_text(f"{qid} ·")
        page.wait_for_timeout(300)  # let every output of the save land before reading it
    return actions


def test_whole_report_by_keyboard_then_next_report(flow_app, browser, capsys):
    url, recs, a = flow_app
    second = recs["scanned"]
    page = open_page(browser, url)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", second.file_name)
    expect(page.locator("#rv-title h3")).to_be_visible()
    # no click to leave the report picker: focus moves to the item by itself
    actions = review_whole_report(page, a, second.report_id)
    expect(page.locator("#rv-progress")).to_contain_text("33/33 reviewed")
    expect(page.locator("#rv-msg")).to_contain_text("Every question of this report")
    # the next unreviewed report is offered, and opens
    nxt = page.locator("#rv-next-report")
    expect(nxt).to_contain_text(recs["first"].file_name)
    nxt.click()
    expect(page.locator("#rv-report input")).to_have_value(
        re.compile(re.escape(recs["first"].file_name))
    )
    with capsys.disabled():
        print(f"\nACTIONS to review one whole report (33 questions): {actions}")
    # exactly the minimum: one key per draft to accept, 2 per choice to enter (number +
    # Ctrl+Enter), 3 per count or text (click, type, Ctrl+Enter); nothing to open or refocus
    drafts = {d.question_id: d for d in a.drafts.for_report(second.report_id)}
    cost = {"count": 3, "free_text": 3}
    expected = sum(
        1
        if q.id in drafts and drafts[q.id].answer is not None
        else cost.get(q.answer_type.value, 2)
        for q in a.bank.questions
    )
    assert actions == expected
    page.context.close()


@pytest.mark.parametrize("width,height", [(1024, 768), (1440, 900)])
def test_decision_buttons_in_view_at_1024_and_1440(flow_app, browser, width, height):
    url, recs, _ = flow_app
    page = open_page(browser, url, width, height)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", recs["first"].file_name)
    expect(page.locator("#rv-title h3")).to_be_visible()
    page.locator("#rv-queue [role=gridcell]").get_by_text("A2", exact=True).first.click()
    expect(page.locator("#rv-title")).to_contain_text("A2 ·")
    page.locator("#rv-title").scroll_into_view_if_needed()
    for button in ("#rv-accept", "#rv-save", "#rv-reject"):
        box = page.locator(button).bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, (
            button,
            box,
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"review-{width}.png"))
    page.context.close()


@pytest.mark.parametrize("width", [1000, 1280])
def test_queue_item_and_page_side_by_side_with_words_whole(flow_app, browser, width):
    """From 1000 px the queue, the item and the cited page stand side by side (the page does
    not drop below the item), and no header or cell of the queue or the evidence table is
    broken inside a word ("Tru st", "mediu m")."""
    url, recs, _ = flow_app
    page = open_page(browser, url, width, 900)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", recs["first"].file_name)
    expect(page.locator("#rv-title h3")).to_be_visible()
    tops = [page.locator(f"#rv-{c}-col").bounding_box()["y"] for c in ("queue", "item", "page")]
    assert max(tops) - min(tops) < 2, tops
    expect(page.locator("#rv-cites [role=gridcell]").first).to_be_visible()
    broken = page.evaluate(
        """() => [...document.querySelectorAll(
                '#rv-queue .cell-wrap span, #rv-cites .cell-wrap span')]
            .filter((span) => span.innerText.trim())
            .flatMap((span) => {
                // a word split over two lines: a line that starts inside a word
                const range = document.createRange();
                const text = span.firstChild;
                if (!text || text.nodeType !== Node.TEXT_NODE) return [];
                const lines = [];
                for (let i = 0; i < text.length; i++) {
                    range.setStart(text, i); range.setEnd(text, i + 1);
                    const top = Math.round(range.getBoundingClientRect().top);
                    if (lines.length && top > lines[lines.length - 1].top + 2) {
                        lines.push({top, at: i});
                    } else if (!lines.length) { lines.push({top, at: i}); }
                }
                return lines.slice(1)
                    .filter(({at}) => /\\w/.test(text.data[at]) && /\\w/.test(text.data[at - 1]))
                    .map(() => text.data);
            })"""
    )
    assert broken == [], broken
    page.context.close()
