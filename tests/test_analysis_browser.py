"""The analysis HTML in a real browser (Debian's Chromium via Playwright): a click on a number
lists the reports behind it, a click on a report its cited passages and pages; hostile report
text stays text. Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from evals.synthetic.sample_reports import generate_sample_set  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
HOSTILE = '<img src=x onerror="window.__pwned=1"> Testshire'
PERIOD = "2020-21"


@pytest.fixture
def written(assistant, tmp_path) -> tuple[Path, object]:
    """An analysis of 3 scored reports with reviewers' decisions, a register and a comparison."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    for period in (PERIOD, "2019-20"):
        folder = tmp_path / period
        generate_sample_set(folder, n=3, seed=5, period=period, length="short")
        assistant.score(folder, period=period, engine="offline")
    reports = sorted(assistant.list_reports(period=PERIOD), key=lambda r: r.display_name)
    first = reports[0]
    draft = next(d for d in assistant.drafts.for_report(first.report_id) if d.question_id == "A2")
    event = assistant.record_decision(
        first.report_id,
        "A2",
        "alice",
        "edit",
        after=["neglect"],
        draft_id=draft.draft_id,
        base_event_id=None,
    )
    page_no, text = next(
        (n, t) for n, t in assistant.reports.pages(first.report_id).items() if len(t) > 80
    )
    assistant.record_decision(
        first.report_id,
        "A2",
        "alice",
        "passage",
        payload={"page": page_no, "quote": " ".join(text.split()[:10])},
        base_event_id=event.event_id,
    )
    assistant.reports.update_identity(reports[1].report_id, partnership=HOSTILE, period=None)
    csv_path = tmp_path / "register.csv"
    csv_path.write_text(
        "partnership,region,published,date published,date sent to panel\n"
        f"{first.partnership},North,yes,2021-09-01,2021-09-02\n"
        "Elsewhere,South,yes,2021-09-01,2021-10-30\n",
        encoding="utf-8",
    )
    assistant.import_register(csv_path, PERIOD)
    analysis = assistant.analysis(PERIOD, compare="2019-20")
    paths = assistant.write_analysis(analysis, tmp_path / "out")
    return paths["html"], (first, page_no)


def test_click_on_a_number_lists_its_reports_and_their_passages(written):
    html_path, (first, page_no) = written
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        try:
            page = chromium.new_page(viewport={"width": 1100, "height": 1400})
            page.goto(html_path.as_uri())
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "analysis-html-first-page.png"))
            neglect = page.locator("details.num[data-figure='A2:neglect']").first
            who = neglect.locator(":scope > .who")
            expect(who).to_be_hidden()
            summary = neglect.locator(":scope > summary")
            count = int(summary.inner_text().split(" of ")[0])
            assert count >= 1
            summary.click()
            expect(who).to_be_visible()
            expect(who.locator(":scope > ul > li")).to_have_count(count)
            report = who.locator(f"details.report[data-report='{first.report_id[:12]}']")
            expect(report).to_contain_text(first.partnership)
            passages = report.locator(".passages")
            expect(passages).to_be_hidden()
            report.locator("summary").click()
            expect(passages).to_be_visible()
            expect(passages).to_contain_text(f"page {page_no}:")
            expect(passages).to_contain_text("(added by reviewer)")
            expect(report).to_contain_text("decided by alice")
            page.screenshot(path=str(ARTIFACTS / "analysis-html-opened.png"))
            # the register figure lists partnerships
            sent = page.locator("details.num[data-figure='register:3']")
            expect(sent.locator(":scope > summary")).to_have_text("1/2")
            sent.locator(":scope > summary").click()
            expect(sent.locator(".who")).to_contain_text(first.partnership)
            # year on year in the document; hostile report text is shown, never run
            expect(page.locator("#year-on-year")).to_contain_text("2019-20 → Yearly analysis")
            expect(page.get_by_text(HOSTILE).first).to_be_attached()
            assert page.evaluate("window.__pwned") is None
        finally:
            chromium.close()


def test_cohort_tab_button_writes_the_analysis(tmp_path):
    """The Cohort tab's "Write analysis" button, in the real app: the DOCX it offers carries a
    reviewer's decision recorded before."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from docx import Document

    from assistant.config import load_settings
    from assistant.service import Assistant
    from tests.test_ui_browser import chromium_browser, goto_tab
    from tests.ui_server import running_app

    home = tmp_path / "home"
    service = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    generate_sample_set(tmp_path / "pdfs", n=2, seed=5, length="short")
    generate_sample_set(tmp_path / "before", n=2, seed=5, period="2019-20", length="short")
    service.score(tmp_path / "before", period="2019-20", engine="offline")
    service.score(tmp_path / "pdfs", period=PERIOD, engine="offline")  # the latest run
    report = service.list_reports(period=PERIOD)[0]
    service.record_decision(
        report.report_id, "C8", "dana", "enter", after="evidenced", base_event_id=None
    )
    a1 = next(d for d in service.drafts.for_report(report.report_id) if d.question_id == "A1")
    service.record_decision(
        report.report_id, "A1", "dana", "accept", draft_id=a1.draft_id, base_event_id=None
    )
    app_tmp = tmp_path / "app-tmp"
    app_tmp.mkdir()
    with running_app(home, extra_env={"TMPDIR": str(app_tmp)}) as url, chromium_browser() as b:
        context = b.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url)
        goto_tab(page, "Cohort")
        page.locator("#co-analysis").click()
        expect(page.locator("#co-msg")).to_contain_text(
            "Analysis written: 2 reports, 2 of 66 answers decided by a reviewer, compared with "
            "2019-20.",
            timeout=90_000,
        )
        link = page.locator('#co-analysis-files a[download="analysis.docx"]')
        expect(link).to_be_visible()
        expect(page.locator('#co-analysis-files a[download="analysis.html"]')).to_be_visible()
        with page.expect_download() as info:
            link.click()
        target = tmp_path / "analysis.docx"
        info.value.save_as(target)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "analysis-cohort-button.png"))
        # agreement from the field, in the Evals tab
        goto_tab(page, "Evals")
        expect(page.locator("#ev-field-msg")).to_contain_text(
            "1 of 2 decided drafts accepted unchanged (50%)", timeout=60_000
        )
        expect(page.locator("#ev-field")).to_contain_text("A1")
        expect(page.locator("#ev-field")).to_contain_text("C8")
    doc = Document(str(target))
    assert any(t.rows[0].cells[0].text == "Question" for t in doc.tables)  # appendix
    rows = [
        (r.cells[0].text, r.cells[1].text, r.cells[2].text)
        for t in doc.tables
        for r in t.rows
        if r.cells[0].text == "C8"
    ]
    assert ("C8", "Evidenced", "reviewer (dana)") in rows
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Year on year: Yearly analysis 2019-20 → Yearly analysis 2020-21" in headings


def test_blind_second_marking_in_the_app_reaches_the_analysis(tmp_path):
    """alice decides two items sighted (service); bob second-marks them blind in the browser,
    disagreeing on one; carol adjudicates it in the browser; the analysis shows it all."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from assistant.config import load_settings
    from assistant.service import Assistant
    from tests.test_ui_browser import chromium_browser, goto_tab
    from tests.ui_server import running_app

    home = tmp_path / "home"
    service = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    generate_sample_set(tmp_path / "pdfs", n=1, seed=5, length="short")
    service.score(tmp_path / "pdfs", period=PERIOD, engine="offline")
    report = service.list_reports(period=PERIOD)[0]
    for qid, value in (("A6", "partly"), ("C8", "partly")):
        draft = next(d for d in service.drafts.for_report(report.report_id) if d.question_id == qid)
        service.record_decision(
            report.report_id,
            qid,
            "alice",
            "edit",
            after=value,
            draft_id=draft.draft_id,
            base_event_id=None,
        )
    app_tmp = tmp_path / "app-tmp"
    app_tmp.mkdir()
    with running_app(home, extra_env={"TMPDIR": str(app_tmp)}) as url, chromium_browser() as b:
        page = b.new_context(viewport={"width": 1600, "height": 1000}).new_page()
        page.set_default_timeout(30_000)
        page.goto(url)

        def sign(name: str) -> None:
            box = page.locator("#reviewer-name").get_by_role("textbox")
            box.fill(name)
            box.blur()

        sign("bob")
        goto_tab(page, "Second marking")
        for qid, value in (("A6", "Evidenced"), ("C8", "Partly evidenced")):
            page.locator("#sm-next").click()
            expect(page.locator("#sm-question textarea")).to_have_value(
                re.compile(f"^{qid}: "), timeout=30_000
            )
            expect(page.locator("#sm-report textarea, #sm-report input").first).to_have_value(
                re.compile(re.escape(report.file_name))
            )
            panel = page.locator("#tab-second-marking")
            assert "alice" not in panel.inner_text()  # the first reviewer's answer is not shown
            page.locator("#sm-show-page").click()
            expect(page.locator("#sm-page-text textarea")).not_to_have_value("")
            page.locator("#sm-answer").get_by_label(value, exact=True).check()
            page.locator("#sm-save").click()
            expect(page.locator("#sm-msg")).to_contain_text(f"Blind answer to {qid} saved")
        expect(page.locator("#sm-figures textarea")).to_have_value(
            re.compile("2 items double-marked; 1 disagreement, 1 waiting"), timeout=30_000
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "analysis-second-marking.png"), full_page=True)
        sign("carol")
        expect(page.locator("#sm-adj textarea")).to_have_value(
            re.compile("First \\(alice\\): Partly evidenced\nBlind \\(bob\\): Evidenced"),
        )
        page.locator("#sm-adj-answer").get_by_label("Evidenced", exact=True).check()
        page.locator("#sm-adj-save").click()
        expect(page.locator("#sm-msg")).to_contain_text("adjudicated answer saved")
        expect(page.locator("#sm-figures textarea")).to_have_value(
            re.compile("0 waiting for adjudication")
        )
    assert service.review_item(report.report_id, "A6").answer == "evidenced"
    assert [e.reviewer for e in service.review_history(report.report_id, "A6")] == [
        "alice",
        "carol",
    ]
    analysis = service.analysis(PERIOD)
    assert analysis.answers[report.report_id]["A6"].reviewer == "carol"
    assert analysis.second_marking[0].startswith("Blind second marking: 2 items double-marked")
