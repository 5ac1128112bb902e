"""The Review queue as a keyboard-driven reviewer meets it, in a real browser (Debian's Chromium
via Playwright): the filter above the queue leaves rows the server walks (J/K, N and "next after
saving" never open a row it hides), a question id and Enter jump there, the open question's row
is scrolled into view and marked after every move (the table draws only the rows near its
view), and the Order chooser takes one line at 1000 px and works from the keyboard.

The data and app of test_ui_queue_order (one generated report, drafted offline, two questions
decided); this module's app is its own, and its tests save two items.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_queue_order import (  # noqa: E402
    TO_REVIEW,
    browser,  # noqa: F401 — the module's fixtures
    expect_open,
    open_queue,
    open_row,
    queue_app,  # noqa: F401
    shown_rows,
    walk_with_j_and_k,
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


def find_box(page):
    return page.locator("#rv-find input")


def expect_in_view(page, rows: list[list[str]], index: int) -> None:
    """Row `index` is open, marked, and in view of the queue, with no scrolling by the test."""
    expect_open(page, rows, index)
    page.wait_for_function(ROW_IN_VIEW, arg=index, timeout=10_000)


def filtered(a, rows: list[list[str]], words: str) -> list[list[str]]:
    """The rows the filter should leave: the words in a cell as shown or the question's text."""
    needle = words.casefold()
    texts = {q.id: q.text.casefold() for q in a.bank.questions}
    return [r for r in rows if needle in texts[r[0]] or any(needle in c.casefold() for c in r)]


def filter_queue(page, words: str, want: list[list[str]]) -> None:
    find_box(page).fill(words)
    label = page.locator("#rv-queue").get_by_text(f"Queue: {len(want)} of 33 shown")
    expect(label).to_be_visible()
    expect(page.locator("#rv-queue [role=row][data-index]")).to_have_count(len(want))
    assert shown_rows(page) == want


def test_j_k_and_saving_walk_only_the_rows_the_filter_leaves(queue_app, browser):  # noqa: F811
    url, record, a = queue_app
    rid = record.report_id
    page = open_queue(browser, url, record)
    every = shown_rows(page)
    want = filtered(a, every, "report name")  # A2, A3, C3: apart in the audit tool's order
    assert 2 < len(want) < 6, want
    filter_queue(page, "report name", want)
    walk_with_j_and_k(page, want)

    # saving moves on to the next row to review the filter leaves, over the hidden ones: a row
    # A accepts, the next row to review shown, and rows to review hidden between them
    at = {r[0]: i for i, r in enumerate(every)}

    def hidden_todo_after(i: int) -> int | None:
        j = next((j for j in range(i + 1, len(want)) if want[j][2] == TO_REVIEW), None)
        between = [] if j is None else every[at[want[i][0]] + 1 : at[want[j][0]]]
        return j if any(r[2] == TO_REVIEW for r in between) else None

    start, after = next(
        (i, hidden_todo_after(i))
        for i, r in enumerate(want)
        if r[2] == TO_REVIEW and r[1] != "–" and "(no answer)" not in r[3] and hidden_todo_after(i)
    )
    open_row(page, want, start)
    page.keyboard.press("a")
    expect(page.locator("#rv-msg")).to_contain_text("kim accepted the draft answer")
    expect(page.locator("#rv-title h3")).to_contain_text(f"{want[after][0]} ·")
    assert a.review_item(rid, want[start][0]).status == "accepted"
    now = shown_rows(page)
    assert [r[0] for r in now] == [r[0] for r in want]  # the filter stays
    expect_in_view(page, now, after)

    # N: the next row to review among those shown, never a hidden one
    last = max(i for i, r in enumerate(now) if r[2] == TO_REVIEW)
    open_row(page, now, last)
    page.keyboard.press("n")
    first = next(i for i, r in enumerate(now) if r[2] == TO_REVIEW)
    expect_open(page, now, first)

    # a filter leaving no row to review says so, and that the others are only hidden
    decided = filtered(a, shown_rows_unfiltered(page), "accepted")
    filter_queue(page, "accepted", decided)
    open_row(page, decided, 0)
    page.keyboard.press("n")
    expect(page.locator("#rv-msg")).to_contain_text(
        re.compile(r"No row the filter shows is left to review; \d+ others are .*clear the filter")
    )
    expect_open(page, decided, 0)
    page.context.close()


def shown_rows_unfiltered(page) -> list[list[str]]:
    """Every row of the queue, the filter emptied."""
    find_box(page).fill("")
    expect(page.locator("#rv-queue").get_by_text(re.compile(r"of \d+ shown"))).to_have_count(0)
    return shown_rows(page)


def test_a_question_id_and_enter_jump_to_it_and_its_row_is_in_view(queue_app, browser):  # noqa: F811
    url, record, a = queue_app
    page = open_queue(browser, url, record)
    every = shown_rows(page)
    at = {r[0]: i for i, r in enumerate(every)}
    expect_open(page, every, 0)  # the report opens at its first row to review
    page.locator("#rv-title").click()

    # "/" goes to the filter, typing nothing there
    page.keyboard.press("/")
    expect(find_box(page)).to_be_focused()
    expect(find_box(page)).to_have_value("")
    page.keyboard.type("c9")  # an id, any case: the filter shows it (and any it is part of)
    expect(page.locator("#rv-queue [role=row][data-index]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(find_box(page)).to_have_value("")  # a jump: every row is back
    expect(page.locator("#rv-queue").get_by_text(re.compile(r"of \d+ shown"))).to_have_count(0)
    expect_in_view(page, every, at["C9"])
    page.keyboard.press("j")  # keys act on the item again
    expect_in_view(page, every, at["C10"])

    # Enter on words opens the first row they leave, and the filter stays for J
    want = filtered(a, every, "report name")
    find_box(page).fill("report name")
    expect(page.locator("#rv-queue [role=row][data-index]")).to_have_count(len(want))
    find_box(page).press("Enter")
    expect_open(page, want, 0)
    page.keyboard.press("j")
    expect_open(page, want, 1)
    page.context.close()


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
    field = page.locator("#rv-find").bounding_box()
    assert field["height"] <= 48 and field["y"] >= box["y"] + box["height"], (box, field)
    # keyboard: from the filter, Shift+Tab to the chooser, arrows and Enter pick an order
    page.locator("#rv-title").click()
    page.keyboard.press("/")
    page.keyboard.press("Shift+Tab")
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
