"""A corrected copy of a report in the Review page, in a real browser (Debian's Chromium via
Playwright) against the real app: the queue lists current versions only, so what a reviewer
decided on the older copy is shown on the current copy's item (its queue row marked "decided
on older version" until this version is decided), and O takes that answer over as the
reviewer's own decision, its note saying where it came from.

Real PDFs (reportlab), ingested and drafted by the offline engine before the app starts.
"""

from __future__ import annotations

import re

import pytest

from tests.make_pdf import text_pdf
from tests.test_report_versions import _eastmoor

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_browser import choose_report, chromium_browser, goto_tab, open_item  # noqa: E402
from tests.test_ui_queue_order import shown_rows  # noqa: E402
from tests.test_ui_review_flow import open_page  # noqa: E402
from tests.ui_server import app_assistant, running_app  # noqa: E402

NOTE = "<b>checked</b> the budget table"  # reviewer text: shown as typed, never as markup
OLDER_ROW = "• to review · decided on older version"


@pytest.fixture(scope="module")
def versions_app(tmp_path_factory):
    """(base URL, older record, current record, assistant) of a running app."""
    root = tmp_path_factory.mktemp("versions")
    a = app_assistant(root / "home")
    first = text_pdf(root / "a-eastmoor.pdf", _eastmoor())
    [older] = [r.report for r in a.ingest([first])]
    a.draft_report(older.report_id, question_ids=["A4", "A6"], engine="offline")
    [draft] = [d for d in a.drafts.for_report(older.report_id) if d.question_id == "A4"]
    a.record_decision(
        older.report_id,
        "A4",
        "alice",
        "edit" if draft.answer != "partly" else "accept",
        after="partly",
        note=NOTE,
        base_event_id=None,
        draft_id=draft.draft_id,
    )
    corrected = text_pdf(root / "b-eastmoor-corrected.pdf", _eastmoor("Corrected figures."))
    [current] = [r.report for r in a.ingest([corrected])]
    assert current.previous_version == older.report_id
    a.draft_report(current.report_id, question_ids=["A4", "A6"], engine="offline")
    with running_app(root / "home") as url:
        yield url, older, current, a
    log = (root / "home" / "app.log").read_text()
    for bad in ("Traceback", "Warning", "OUTBOUND BLOCKED"):
        assert bad not in log, log[-3000:]


def test_the_older_versions_decision_is_shown_and_taken_over_with_o(versions_app, tmp_path):
    url, older, current, a = versions_app
    [decided] = a.review_history(older.report_id, "A4")
    when = decided.created_at[:10]
    with chromium_browser() as browser:
        page = open_page(browser, url)
        goto_tab(page, "Review")
        # the picker lists the current version only
        page.locator("#rv-report input").click()
        options = page.get_by_role("option")
        expect(options).to_have_count(1)
        expect(options.first).to_contain_text("b-eastmoor-corrected.pdf")
        page.keyboard.press("Escape")
        choose_report(page, "rv-report", "b-eastmoor-corrected.pdf")

        # the queue says which question has an older version's decision waiting, and the
        # filter finds the rows by it as shown
        rows = {r[0]: r for r in shown_rows(page)}
        assert rows["A4"][2] == OLDER_ROW, rows["A4"]
        assert [q for q, r in rows.items() if "older" in r[2]] == ["A4"]
        assert rows["A6"][2] == "• to review"
        find = page.locator("#rv-find input")
        find.fill("decided on OLDER")
        shown = page.locator("#rv-queue").get_by_text(f"Queue: 1 of {len(rows)} shown")
        expect(shown).to_be_visible()
        assert [r[0] for r in shown_rows(page)] == ["A4"]
        find.fill("")
        expect(page.locator("#rv-queue").get_by_text(re.compile(r"of \d+ shown"))).to_have_count(0)
        open_item(page, "A4")

        older_box = page.locator("#rv-older")
        expect(older_box).to_contain_text(
            f"Decided on the older version (a-eastmoor.pdf, {when}, alice): Partly — decide "
            "again here if the correction changed the answer"
        )
        expect(older_box).to_contain_text(f"Note: {NOTE}")  # escaped: the tags are text
        expect(older_box.locator("b")).to_have_count(0)
        expect(page.locator("#rv-state")).to_contain_text("Not reviewed yet")
        page.get_by_role("button", name="Decision history of this item").click()
        history = page.locator("#rv-history")
        expect(history).to_contain_text("older: a-eastmoor.pdf", use_inner_text=True)

        # a question nobody decided on the older copy shows nothing of it, and O says why
        open_item(page, "A6")
        expect(older_box).to_have_text("")
        expect(page.locator("#rv-take-older")).to_be_hidden()
        page.keyboard.press("o")
        expect(page.locator("#rv-keyhint")).to_contain_text(
            "O: no reviewer decided this question on an older version of this report"
        )
        assert a.review_history(current.report_id, "A6") == []

        open_item(page, "A4")
        expect(page.locator("#rv-take-older")).to_be_visible()
        page.keyboard.press("o")
        expect(page.locator("#rv-msg")).to_contain_text("Saved: kim")
        [taken] = a.review_history(current.report_id, "A4")
        assert (taken.reviewer, taken.after) == ("kim", "partly")
        assert taken.action in ("accept", "edit")
        assert taken.note == (
            f"Taken over from the older version (a-eastmoor.pdf ({older.short_id}), {when}, "
            "alice)"
        )
        assert taken.payload["from_event_id"] == decided.event_id
        state = a.review_item(current.report_id, "A4")
        assert (state.status in ("accepted", "edited"), state.answer) == (True, "partly")

        # back on A4: this version's decision, the older one still in view, nothing to take
        open_item(page, "A4")
        expect(page.locator("#rv-state")).to_contain_text("by kim")
        expect(page.locator("#rv-state")).to_contain_text("Partly")
        expect(older_box).to_contain_text(
            "this version's own decision (above) is the one that counts"
        )
        expect(page.locator("#rv-take-older")).to_be_hidden()
        # decided here: the row says so, with no older mark left
        a4_status = page.locator("#rv-queue .rv-current [role=gridcell]").nth(2)
        expect(a4_status).to_have_text(re.compile(r"^\s*(✓ accepted|✎ edited)\s*$"))
        expect(history).to_contain_text("Taken over from the older version", use_inner_text=True)
        expect(history).to_contain_text("older: a-eastmoor.pdf", use_inner_text=True)

    # the decision log of the export has both: alice's on the older copy, kim's on this one
    from openpyxl import load_workbook

    path = a.export_final_answers(tmp_path / "answers.xlsx", "xlsx")
    log = load_workbook(path)["Decision log"]
    header, *rows = [list(r) for r in log.iter_rows(values_only=True)]
    rows = [dict(zip(header, r, strict=True)) for r in rows if r[2] == "A4"]
    assert sorted((r["Reviewer"], r["Report id"], r["After"]) for r in rows) == [
        ("alice", older.report_id, "Partly"),
        ("kim", current.report_id, "Partly"),
    ]
    [kims] = [r for r in rows if r["Reviewer"] == "kim"]
    assert kims["Note"].startswith("Taken over from the older version (a-eastmoor.pdf")
