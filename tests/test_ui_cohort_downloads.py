"""The Cohort page's figures as spreadsheets, and its run times, in a real browser.

A scoring run is stored through the service API (three synthetic reports, offline engine, one
reviewer decision), the app is started on it, and Chromium (Playwright), set to New York time,
opens the Cohort page: run times are shown in the browser's time zone, "Both" draws drafts and
reviewer-decided answers, and the downloads (the figures side by side, the run's drafts) open
in openpyxl with labels and numbers as numbers. A folder without PDFs leaves no run behind.
"""

from __future__ import annotations

import re
import shutil

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_browser import chromium_browser, goto_tab, shot  # noqa: E402
from tests.ui_server import running_app  # noqa: E402

PERIOD = "2020-21"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from assistant.config import load_settings
    from assistant.errors import InputFileError
    from assistant.service import Assistant
    from evals.synthetic.sample_reports import generate_sample_set

    root = tmp_path_factory.mktemp("cohort-downloads")
    generate_sample_set(root / "pdfs", n=3, seed=5, length="short")
    a = Assistant(load_settings(home=root / "home", embedding={"name": "hash"}, engine="offline"))
    (root / "empty").mkdir()
    with pytest.raises(InputFileError, match="no PDF files"):
        a.score(root / "empty", period="2019-20", engine="offline")
    run = a.score(root / "pdfs", period=PERIOD, engine="offline", question_ids=["A1", "A6", "A2"])
    rid = run.reports[0].report_id
    a.record_decision(rid, "A6", "alice", "edit", after="partly", base_event_id=None)
    tmp = root / "app-tmp"  # the app's temp folder: the data home is not inside it
    tmp.mkdir()
    with running_app(root / "home", extra_env={"TMPDIR": str(tmp)}) as url:
        yield url, run.run_id


def test_cohort_downloads_open_as_spreadsheets_and_times_are_browser_local(served, tmp_path):
    from openpyxl import load_workbook

    url, run_id = served
    with chromium_browser() as browser:
        context = browser.new_context(
            viewport={"width": 1440, "height": 900},
            accept_downloads=True,
            timezone_id="America/New_York",
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url)
        goto_tab(page, "Cohort")
        picker = page.locator("#co-run input")
        # the run's time in the browser's zone (New York in December: EST), never UTC
        expect(picker).to_have_value(re.compile(rf"{PERIOD} · offline · {run_id} · .* EST$"))
        summary = page.locator("#co-summary textarea")
        expect(summary).to_have_value(re.compile(rf"Cohort summary — {PERIOD}"), timeout=20_000)
        picker.click()
        options = page.get_by_role("option").all_inner_texts()
        assert not any("2019-20" in o for o in options)  # the empty folder left no run
        page.keyboard.press("Escape")

        page.locator("#co-source").get_by_text("Both", exact=True).click()
        # the summary is recomputed on the server: as long as the first one may take on a busy
        # 2-core machine
        expect(summary).to_have_value(
            re.compile(r"\[reviewer-decided\] impact on outcomes"), timeout=20_000
        )
        expect(page.locator("#co-charts")).to_contain_text("drafts and reviewer-decided answers")
        files = page.locator("#co-files")
        link = files.locator(f'a[download="cohort-{run_id}-figures.xlsx"]')
        expect(link).to_have_count(1)
        expect(files.locator(f'a[download="cohort-{run_id}-figures.csv"]')).to_have_count(1)
        shot(page, "co-10-cohort-both-downloads")
        with page.expect_download() as info:
            link.click()
        figures = tmp_path / "figures.xlsx"
        info.value.save_as(figures)
        with page.expect_download() as info:
            files.locator(f'a[download="{run_id}-drafts.xlsx"]').click()
        drafts = tmp_path / "drafts.xlsx"
        info.value.save_as(drafts)
        context.close()

    sheet = load_workbook(figures).active
    head = [c.value for c in sheet[1]]
    assert head[4:8] == [
        "drafts",
        "drafts: of answered",
        "reviewer-decided",
        "reviewer-decided: of answered",
    ]
    assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
    rows = {(r[0].value, r[3].value): r for r in sheet.iter_rows(min_row=2)}
    partly = rows[("A6", "Partly evidenced")]  # a label, not the slug "partly"
    assert partly[head.index("reviewer-decided")].value == 1
    assert partly[head.index("reviewer-decided")].data_type == "n"

    book = load_workbook(drafts)
    wide = book["by report"]
    wh = [c.value for c in wide[1]]
    a6 = {r[wh.index("A6")].value for r in wide.iter_rows(min_row=2)}
    assert a6 <= {"Not evidenced", "Partly evidenced", "Evidenced", "not found"}
    long = book["drafts"]
    lh = [c.value for c in long[1]]
    assert all(r[lh.index("confidence")].data_type == "n" for r in long.iter_rows(min_row=2))
    assert wide.freeze_panes == "A2" and wide.auto_filter.ref == wide.dimensions
