"""Blindness holds on the Review page, and "use as example" by keyboard reaches the analysis,
in a real browser (Debian's Chromium via Playwright) against the real app.

One generated report scored by the offline engine; alice decides A6 and C8 sighted (service).
bob takes a blind item in the Second marking tab, then opens Review: A6 and C8 show neither
draft nor alice's answer until his blind mark is in. alice then marks A6 "use as example" with
X on a selected citation; the analysis HTML and DOCX list it as chosen by her.
"""

from __future__ import annotations

import re
import shutil

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from evals.synthetic.sample_reports import generate_sample_set  # noqa: E402
from tests.test_ui_browser import choose_report, chromium_browser, goto_tab  # noqa: E402
from tests.ui_server import running_app  # noqa: E402

PERIOD = "2020-21"
BLIND = "You are second-marking this item blind"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(base URL, report record, assistant, tmp dir) of a running app."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from assistant.config import load_settings
    from assistant.service import Assistant

    root = tmp_path_factory.mktemp("blind")
    home = root / "home"
    a = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    generate_sample_set(root / "pdfs", n=1, seed=5, period=PERIOD, length="short")
    a.score(root / "pdfs", period=PERIOD, engine="offline")
    report = a.list_reports(period=PERIOD)[0]
    for qid in ("A6", "C8"):
        draft = next(d for d in a.drafts.for_report(report.report_id) if d.question_id == qid)
        a.record_decision(
            report.report_id,
            qid,
            "alice",
            "edit",
            after="partly",
            note="alice's reading",
            draft_id=draft.draft_id,
            base_event_id=None,
        )
    with running_app(home, extra_env={"TMPDIR": str(root)}) as url:
        yield url, report, a, root
    log = (home / "app.log").read_text()
    for bad in ("Traceback", "OUTBOUND BLOCKED"):
        assert bad not in log, log[-3000:]


@pytest.fixture(scope="module")
def browser(app):
    with chromium_browser() as chromium:
        yield chromium


def signed_page(browser, url: str, name: str):
    page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    box = page.locator("#reviewer-name").get_by_role("textbox")
    expect(box).to_be_editable()
    box.fill(name)
    box.blur()
    return page


def open_item(page, qid: str) -> None:
    find = page.locator("#rv-find input")
    find.fill(qid)
    find.press("Enter")  # a question id: opens it, and keys act on the item
    expect(page.locator("#rv-title")).to_contain_text(f"{qid} ·")
    expect(find).to_have_value("")


def test_blind_marker_sees_no_draft_nor_first_answer_in_review(app, browser):
    url, report, a, _ = app
    page = signed_page(browser, url, "bob")
    goto_tab(page, "Second marking")
    page.locator("#sm-next").click()
    expect(page.locator("#sm-question textarea")).to_have_value(re.compile("^A6: "))

    goto_tab(page, "Review")
    choose_report(page, "rv-report", report.file_name)
    open_item(page, "A6")
    summary = page.locator("#rv-draft-summary")
    expect(summary).to_contain_text(BLIND)
    expect(summary).to_contain_text("until you submit your blind mark (Second marking tab)")
    tab = page.locator("#tab-review")
    text = tab.inner_text()
    assert "Draft answer" not in summary.inner_text()
    at = text.find("alice")
    assert at < 0, text[max(0, at - 300) : at + 100]  # the first reviewer nowhere on the page
    expect(page.locator("#rv-rationale textarea")).to_have_value("")
    row = page.locator("#rv-queue [role=row]", has_text="A6").first
    expect(row).to_contain_text("hidden")
    expect(page.locator("#rv-accept")).to_be_disabled()
    page.keyboard.press("a")  # a key that cannot apply says why
    expect(page.locator("#rv-keyhint")).to_contain_text(BLIND)
    open_item(page, "C8")  # the report's other open blind item too
    expect(summary).to_contain_text(BLIND)
    assert a.review_item(report.report_id, "A6").reviewer == "alice"  # nothing recorded by bob

    # the blind mark submitted: A6 may be seen, C8 stays hidden
    goto_tab(page, "Second marking")
    page.locator("#sm-answer").get_by_label("Evidenced", exact=True).check()
    page.locator("#sm-save").click()
    expect(page.locator("#sm-msg")).to_contain_text("Blind answer to A6 saved")
    goto_tab(page, "Review")
    expect(summary).to_contain_text(BLIND)  # C8 still on screen, still blind
    open_item(page, "A6")
    expect(summary).to_contain_text("Draft answer")
    expect(page.locator("#rv-state")).to_contain_text("alice")
    page.context.close()


def test_x_marks_the_example_and_it_reaches_the_analysis(app, browser):
    url, report, a, root = app
    rid = report.report_id
    page = signed_page(browser, url, "alice")
    goto_tab(page, "Review")
    choose_report(page, "rv-report", report.file_name)

    # X on an undecided item says why it cannot apply
    undecided = next(
        q.id for q in a.bank.questions if not a.review_item(rid, q.id).reviewed
    )
    open_item(page, undecided)
    page.keyboard.press("x")
    expect(page.locator("#rv-keyhint")).to_contain_text(
        "X: nothing to mark as an example yet — accept, edit or enter an answer first"
    )
    assert a.review_item(rid, undecided).example is None

    # X on a decided item with a citation selected: marked with that citation's page
    open_item(page, "A6")
    draft = next(d for d in a.drafts.for_report(rid) if d.question_id == "A6")
    paged = [i for i, c in enumerate(draft.citations) if c.page]
    cited = paged[-1] if paged else None  # the last: not the page shown on opening
    if cited is not None:
        rows = page.locator("#rv-cites [role=row]")
        rows.nth(cited + 1).locator("[role=gridcell]").first.click()
        page_no = draft.citations[cited].page
        expect(page.locator("#rv-page-head")).to_contain_text(f"[{cited + 1}] Page {page_no} ")
        page.locator("#rv-title").click()
    page.keyboard.press("x")
    state_box = page.locator("#rv-example-state")
    expect(state_box).to_contain_text("Marked as an example of practice by alice")
    expect(page.locator("#rv-example")).to_have_text("Unmark example (X)")
    example = a.review_item(rid, "A6").example
    assert example is not None and example["reviewer"] == "alice"
    if cited is not None:
        assert example["page"] == draft.citations[cited].page
        expect(state_box).to_contain_text(f"page {example['page']}")
    # X again unmarks, and once more marks (the analysis below reads the last mark)
    page.keyboard.press("x")
    expect(page.locator("#rv-example")).to_have_text("Use as example (X)")
    expect(state_box).not_to_contain_text("Marked as an example")
    assert a.review_item(rid, "A6").example is None
    page.keyboard.press("x")
    expect(state_box).to_contain_text("Marked as an example of practice by alice")
    # typing an x in the note does nothing to the mark
    note = page.locator("#rv-note textarea")
    note.click()
    note.type("x")
    expect(note).to_have_value("x")
    assert a.review_item(rid, "A6").example is not None
    page.context.close()

    analysis = a.analysis(PERIOD)
    paths = a.write_analysis(analysis, root / "analysis")
    html_text = paths["html"].read_text(encoding="utf-8")
    items = re.findall(r"<li data-example='A6'>.*?</li>", html_text, flags=re.S)
    assert any("chosen by alice" in li for li in items), items
    import docx

    doc = docx.Document(str(paths["docx"]))
    paragraphs = [p.text for p in doc.paragraphs]
    assert any(p.startswith("A6 ") and "chosen by alice" in p for p in paragraphs), paragraphs
