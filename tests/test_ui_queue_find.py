"""The Review queue as a keyboard-driven reviewer meets it, in a real browser (Debian's Chromium
via Playwright): the open question's row is scrolled into view and marked after every move
(the table draws only the rows near its view), and the Order chooser takes one line at 1000 px
and works from the keyboard.

The data and app of test_ui_queue_order (one generated report, drafted offline, two questions
decided); this module's app is its own.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_queue_order import (  # noqa: E402
    browser,  # noqa: F401 — the module's fixtures
    expect_open,
    open_queue,
    open_row,
    queue_app,  # noqa: F401
    shown_rows,
)

# The open question's row is marked, drawn and wholly inside the queue's box, below its
# sticky header: what the reviewer sees without scrolling.
ROW_IN_VIEW = """(index) => {
    const row = document.querySelector('#rv-queue .rv-current');
    if (!row || row.dataset.index !== String(index)) return false;
    let box = row.parentElement;
    while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
    const b = box.getBoundingClientRect(), r = row.getBoundingClientRect();
    const head = box.querySelector('thead');
    const top = head ? head.getBoundingClientRect().bottom : b.top;
    return r.top >= top - 1 && r.bottom <= b.bottom + 1;
}"""


def expect_in_view(page, rows: list[list[str]], index: int) -> None:
    """Row `index` is open, marked, and in view of the queue, with no scrolling by the test."""
    expect_open(page, rows, index)
    page.wait_for_function(ROW_IN_VIEW, arg=index, timeout=10_000)


def test_the_open_row_comes_into_view_when_j_k_or_n_go_far(queue_app, browser):  # noqa: F811
    """The queue draws only the rows near its view: K from the top row opens the last, J and
    N from the last open the first; each row is drawn, marked and in view by itself."""
    url, record, a = queue_app
    rid = record.report_id
    page = open_queue(browser, url, record)
    every = shown_rows(page)
    open_row(page, every, 0)
    expect_in_view(page, every, 0)
    page.keyboard.press("k")  # round the top: the last row
    expect_in_view(page, every, len(every) - 1)
    page.keyboard.press("j")  # round the end: the first row
    expect_in_view(page, every, 0)
    page.keyboard.press("k")
    expect_in_view(page, every, len(every) - 1)
    states = a.review_states(rid)
    todo = next(i for i, r in enumerate(every) if not states[r[0]].reviewed)
    assert todo < len(every) // 3, todo  # far from the last row
    page.keyboard.press("n")  # the next to review, round the end
    expect_in_view(page, every, todo)
    page.context.close()


def test_the_order_chooser_takes_one_line_at_1000px_and_works_by_keyboard(queue_app, browser):  # noqa: F811
    url, record, a = queue_app
    rid = record.report_id
    page = open_queue(browser, url, record, width=1000)
    order = page.locator("#rv-order")
    box = order.bounding_box()
    assert box["height"] <= 48, box  # one line (the radio of four orders took three)
    # keyboard: focused, arrows and Enter pick an order
    order.locator("input").focus()
    expect(order.locator("input")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the list opens on the order chosen: the next one
    page.keyboard.press("Enter")
    expect(order.locator("input")).to_have_value("Riskiest first")
    risky = [it[0].id for it in a.review_queue_items(rid, "riskiest")]
    page.wait_for_function(
        "(qid) => document.querySelector('#rv-queue [role=row][data-index=\"0\"] [role=gridcell]')"
        "?.innerText.trim() === qid",
        arg=risky[0],
    )
    assert [r[0] for r in shown_rows(page)] == risky
    page.context.close()
