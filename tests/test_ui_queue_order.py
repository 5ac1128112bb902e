"""The Review queue's order in a real browser (Debian's Chromium via Playwright): the rows as
the reviewer sees them are the rows J/K and "next after saving" walk, in every order the
Order chooser offers, and an order by trust follows what the trust words mean.

One generated report, drafted by the offline engine; two drafts are rewritten so the bare
number and the trust word disagree (no answer found at 0.97, not calibrated at 0.96), and two
questions are decided before the app starts. The tests share the data and each saves one item.
"""

from __future__ import annotations

import time
import uuid

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_browser import (  # noqa: E402
    choose_order,
    choose_report,
    chromium_browser,
    goto_tab,
)
from tests.test_ui_review_flow import open_page  # noqa: E402
from tests.ui_server import app_assistant, running_app  # noqa: E402

# what each trust word of the queue means: check carefully < often right < usually right
RANK = {"–": 0, "low": 1, "?": 1, "medium": 2, "high": 3}
TO_REVIEW = "• to review"


@pytest.fixture(scope="module")
def queue_app(tmp_path_factory):
    """(base URL, report record, assistant) of a running app."""
    from evals.synthetic.sample_reports import generate_sample_set

    root = tmp_path_factory.mktemp("queue")
    home = root / "home"
    a = app_assistant(home)
    [built] = generate_sample_set(root / "pdfs", 1, 11, scanned=False, length="short")
    [result] = list(a.ingest([built.path]))
    rid = result.report.report_id
    a.draft_report(rid, engine="offline")
    drafts = {d.question_id: d for d in a.drafts.for_report(rid)}
    rewrites = {
        "A1": {"answer": None, "status": "abstained", "confidence": 0.97},
        "C1": {"calibration": "uncalibrated", "confidence": 0.96},
    }
    for qid, changes in rewrites.items():
        new = drafts[qid].model_copy(update={"draft_id": uuid.uuid4().hex[:16], **changes})
        a.drafts.save(new, replace=True)
    for qid in ("A1n", "B7"):
        a.record_decision(
            rid, qid, "lee", "accept", base_event_id=None, draft_id=drafts[qid].draft_id
        )
    with running_app(home) as url:
        yield url, result.report, a
    log = (home / "app.log").read_text()
    for bad in ("Traceback", "Warning", "OUTBOUND BLOCKED"):
        assert bad not in log, log[-3000:]


@pytest.fixture(scope="module")
def browser(queue_app):
    with chromium_browser() as chromium:
        yield chromium


def open_queue(browser, url: str, record, width: int = 1600):
    page = open_page(browser, url, width)
    goto_tab(page, "Review")
    choose_report(page, "rv-report", record.file_name)
    expect(page.locator("#rv-title h3")).to_be_visible()
    return page


# The queue draws only the rows in view (a virtual list): its rows are read by their place in
# the table as shown (data-index), scrolling the queue's box from top to bottom.
ROWS_IN_VIEW = """() => [...document.querySelectorAll('#rv-queue [role=row][data-index]')]
    .map((row) => [Number(row.dataset.index),
                   [...row.querySelectorAll('[role=gridcell]')].map((c) => c.innerText.trim())])"""
SCROLL_BOX = """(to) => {
    let box = document.querySelector('#rv-queue [role=row][data-index]').parentElement;
    while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
    const end = box.scrollTop + box.clientHeight >= box.scrollHeight - 1;
    box.scrollTop = {top: 0, bottom: box.scrollHeight}[to] ?? box.scrollTop + box.clientHeight / 2;
    return end;
}"""


def shown_rows(page) -> list[list[str]]:
    """Every row of the queue as the reviewer sees it, top to bottom: [Q, Trust, Status, Answer]."""
    expect(page.locator("#rv-queue [role=row][data-index]").first).to_be_visible()
    seen: dict[int, list[str]] = {}
    page.evaluate(SCROLL_BOX, "top")
    for _ in range(40):
        page.wait_for_timeout(80)
        seen.update(dict(page.evaluate(ROWS_IN_VIEW)))
        if page.evaluate(SCROLL_BOX, "down"):
            break
    page.wait_for_timeout(80)
    seen.update(dict(page.evaluate(ROWS_IN_VIEW)))
    page.evaluate(SCROLL_BOX, "top")
    assert sorted(seen) == list(range(len(seen))), sorted(seen)
    return [seen[i] for i in range(len(seen))]


def wait_for_top_rows(page, qids: list[str], timeout: float = 20.0) -> None:
    """Wait until the queue's top rows are `qids` (the redraw after choosing an order)."""
    deadline = time.monotonic() + timeout
    while True:
        page.evaluate(SCROLL_BOX, "top")  # the open question's row may have scrolled away
        page.wait_for_timeout(150)
        top = dict(page.evaluate(ROWS_IN_VIEW))
        shown = [top[i][0] for i in range(len(qids)) if i in top]
        if shown == qids:
            return
        assert time.monotonic() < deadline, (shown, qids)


def expect_open(page, rows: list[list[str]], index: int) -> None:
    """The question of row `index` of the table as shown is open, and its row is marked."""
    qid = rows[index][0]
    expect(page.locator("#rv-title h3")).to_contain_text(f"{qid} ·")
    current = page.locator("#rv-queue .rv-current")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-index", str(index))


def open_row(page, rows: list[list[str]], index: int) -> None:
    page.evaluate(SCROLL_BOX, "top")
    row = page.locator(f'#rv-queue [role=row][data-index="{index}"]')
    row.scroll_into_view_if_needed()
    row.locator("[role=gridcell]").first.click()
    expect_open(page, rows, index)
    page.locator("#rv-title").click()  # keys act on the item


def walk_with_j_and_k(page, rows: list[list[str]]) -> None:
    """From the top row, J opens the row below each time (wrapping), K the row above."""
    open_row(page, rows, 0)
    for index in range(1, len(rows)):
        page.keyboard.press("j")
        expect_open(page, rows, index)
    # round the end: the queue draws only the rows near those in view, so scroll to the row
    page.keyboard.press("j")
    page.evaluate(SCROLL_BOX, "top")
    expect_open(page, rows, 0)
    page.keyboard.press("k")
    page.evaluate(SCROLL_BOX, "bottom")
    expect_open(page, rows, len(rows) - 1)
    page.keyboard.press("k")
    expect_open(page, rows, len(rows) - 2)


def test_the_queue_has_no_sort_of_its_own_so_j_walks_the_rows_shown(queue_app, browser):
    """The table offers no column sort (Gradio's sorts the rows in the browser only, which J/K
    and saving never see): no header menu, and a header click leaves the rows as they are."""
    url, record, a = queue_app
    page = open_queue(browser, url, record)
    rows = shown_rows(page)
    assert [r[0] for r in rows] == a.bank.ids  # the audit tool's order by default
    headers = page.locator("#rv-queue [role=columnheader]")
    for i in range(headers.count()):
        headers.nth(i).hover()
        menu = headers.nth(i).locator("button[aria-haspopup=menu]")
        expect(menu).to_be_hidden()  # no ⋮ menu (sort ascending / descending, filter)
    headers.nth(1).click()  # Trust
    assert shown_rows(page) == rows
    walk_with_j_and_k(page, rows)
    page.context.close()


@pytest.mark.parametrize(
    "label,order",
    [
        ("Riskiest first", "riskiest"),
        ("Most trusted first", "trusted"),
        ("To review first", "todo"),
    ],
)
def test_each_order_of_the_chooser_is_the_one_j_and_saving_follow(queue_app, browser, label, order):
    url, record, a = queue_app
    rid = record.report_id
    page = open_queue(browser, url, record)
    choose_order(page, label)
    wait_for_top_rows(page, [it[0].id for it in a.review_queue_items(rid, order)[:3]])
    rows = shown_rows(page)
    assert sorted(r[0] for r in rows) == sorted(a.bank.ids)
    trust = [RANK[r[1].split()[0]] for r in rows]
    if order == "riskiest":  # what the trust words mean, not their letters or bare numbers
        assert trust == sorted(trust), [r[:2] for r in rows]
    elif order == "trusted":
        assert trust == sorted(trust, reverse=True), [r[:2] for r in rows]
    else:
        todo = [r[2] == TO_REVIEW for r in rows]
        assert todo == sorted(todo, reverse=True) and not all(todo), [r[::2] for r in rows]
    if order != "todo":  # neither 0.97 with no answer nor 0.96 uncalibrated is trusted
        ranks = {r[0]: r[1] for r in rows}
        assert ranks["A1"].startswith("low") and ranks["C1"].startswith("?"), ranks
    walk_with_j_and_k(page, rows)

    # saving moves on to the next row to review below the saved one, as the table showed it
    start = next(
        i
        for i, r in enumerate(rows)
        if r[2] == TO_REVIEW and r[1] != "–" and "(no answer)" not in r[3]  # A accepts it
    )
    after = next(i for i in range(start + 1, len(rows)) if rows[i][2] == TO_REVIEW)
    open_row(page, rows, start)
    page.keyboard.press("a")
    expect(page.locator("#rv-msg")).to_contain_text("kim accepted the draft answer")
    expect(page.locator("#rv-title h3")).to_contain_text(f"{rows[after][0]} ·")
    assert a.review_item(rid, rows[start][0]).status == "accepted"
    now = shown_rows(page)
    current = page.locator("#rv-queue .rv-current")
    expect(current).to_have_count(1)
    shown_at = int(current.get_attribute("data-index"))
    assert now[shown_at][0] == rows[after][0]
    if order == "todo":  # the saved row leaves the rows to review: the next one takes its place
        assert shown_at == start
    else:
        assert shown_at == after and [r[0] for r in now] == [r[0] for r in rows]
    page.context.close()
