"""The Review queue as a keyboard-driven reviewer meets it, in a real browser (Debian's Chromium
via Playwright): the Order chooser takes one line at 1000 px and works from the keyboard.

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
    open_queue,
    queue_app,  # noqa: F401
    shown_rows,
)


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
