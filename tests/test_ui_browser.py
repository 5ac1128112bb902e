"""The reviewer app in a real browser: Debian's Chromium driven by Playwright, against the real
app started as a subprocess (python app.py) on 127.0.0.1 with a temp data directory.

One app process for the module; the tests run in file order and build on each other's data
(ingest → ask → review → conflict), as a reviewer's day would. Screenshots go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import csv
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.make_pdf import text_pdf  # noqa: E402
from tests.ui_server import running_app  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCRIPT_LINE = "<script>window.__pwned=1</script>"
IMG_LINE = '<img src=x onerror="window.__pwned=2">'
TEMPLATE_LINE = "Template probes: ${1+1} {{constructor}}"
PARTNERSHIP = '<img src=x onerror="window.__pwned=3"> Testshire'


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(base URL, data home, PDFs) of one running app for the whole module."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from evals.synthetic.sample_reports import generate_sample_set

    root = tmp_path_factory.mktemp("ui")
    sample = generate_sample_set(root / "pdfs", 1, 7, length="short")[0].path
    hostile = text_pdf(
        root / "pdfs" / "hostile-report-2021-22.pdf",
        [
            [
                "Testshire Safeguarding Children Partnership",
                "Annual Report 2021-22",
                "Our priorities this year were neglect and child exploitation.",
                SCRIPT_LINE,
                IMG_LINE,
                TEMPLATE_LINE,
                "The partners agreed the priorities after a needs analysis.",
            ]
        ],
    )
    with running_app(root / "home") as url:
        yield url, root / "home", {"sample": sample, "hostile": hostile}


@contextmanager
def chromium_browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser(app):
    with chromium_browser() as chromium:
        yield chromium


def new_page(browser, url: str, reviewer: str):
    """A fresh browser context (its own session and storage) with the reviewer name typed."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    box = page.locator("#reviewer-name").get_by_role("textbox")
    expect(box).to_be_editable()
    box.fill(reviewer)
    box.blur()
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def goto_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def choose_report(page, picker: str, text: str) -> None:
    """Pick the report whose label contains `text` in a dropdown (unless already picked)."""
    field = page.locator(f"#{picker} input")
    if text in field.input_value():
        return
    field.click()
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    expect(field).to_have_value(re.compile(re.escape(text)))


def ingest(page, pdf: Path, partnership: str = "") -> None:
    goto_tab(page, "Library")
    page.locator("#lib-files input[type=file]").set_input_files(str(pdf))
    page.locator("#lib-partnership").get_by_role("textbox").fill(partnership)
    expect(page.locator("#lib-files")).to_contain_text(pdf.stem)  # upload finished
    page.click("#lib-ingest")
    expect(page.locator("#lib-log textarea")).to_have_value(
        re.compile(rf"indexed {re.escape(pdf.name)}: \d+ pages"), timeout=60_000
    )


def open_item(page, qid: str) -> None:
    """Open one audit question by its id: typed in the queue's filter, then Enter (a jump: the
    filter empties, every row is back, and keys act on the item)."""
    find = page.locator("#rv-find input")
    find.fill(qid)
    find.press("Enter")
    expect(page.locator("#rv-title")).to_contain_text(f"{qid} ·")
    expect(find).to_have_value("")
    # every row is back: the queue's label says no "Queue: 2 of 33 shown"
    expect(page.locator("#rv-queue").get_by_text(re.compile(r"of \d+ shown"))).to_have_count(0)
    current = page.locator("#rv-queue .rv-current")  # the open question's row is marked
    expect(current).to_have_count(1)
    expect(current.locator("[role=gridcell]").first).to_have_text(qid)


def choose_order(page, label: str) -> None:
    """Pick one of the Order chooser's orders (a dropdown above the queue)."""
    page.locator("#rv-order input").click()
    page.get_by_role("option", name=label, exact=True).click()
    expect(page.locator("#rv-order input")).to_have_value(label)


def test_ingest_ask_and_open_citation(app, browser):
    url, _, pdfs = app
    page = new_page(browser, url, "alice")
    ingest(page, pdfs["sample"])
    table = page.locator("#lib-table")
    expect(table).to_contain_text(pdfs["sample"].name)
    expect(table).to_contain_text("2020-21")
    expect(table).to_contain_text("not drafted")
    shot(page, "01-library")

    goto_tab(page, "Ask")
    choose_report(page, "ask-report", pdfs["sample"].name)
    page.fill("#ask-question textarea", "How was learning from reviews shared with staff?")
    page.click("#ask-go")
    expect(page.locator("#ask-meta")).to_contain_text("Drafted without an LLM")
    expect(page.locator("#ask-answer textarea")).to_have_value(re.compile(r"\[E1\]"))
    first_quote = page.locator("#ask-citations [data-testid='cell-0-4']")
    quote = first_quote.inner_text().strip()
    assert quote
    first_quote.click()
    expect(page.locator("#ask-page-head")).to_contain_text("quote on page: ✓")
    mark = page.locator("#ask-page-text mark")
    expect(mark).to_have_count(1)
    assert " ".join(mark.inner_text().split()) == " ".join(quote.split())
    shot(page, "02-ask-citation-text")
    page.get_by_role("tab", name="Page image").first.click()
    expect(page.locator("#ask-page-image img")).to_be_visible()
    shot(page, "03-ask-citation-image")
    page.context.close()


def test_review_accept_edit_reload_export(app, browser, tmp_path):
    url, _, pdfs = app
    page = new_page(browser, url, "alice")
    goto_tab(page, "Review")
    choose_report(page, "rv-report", pdfs["sample"].name)
    page.click("#rv-draft")
    progress = page.locator("#rv-progress")
    expect(progress).to_contain_text("0/33 reviewed", timeout=90_000)
    expect(page.locator("#rv-draft")).to_be_hidden()

    # keyboard: J moves to the next question of the queue
    first = page.locator("#rv-title").inner_text()
    page.locator("body").press("j")
    expect(page.locator("#rv-title")).not_to_have_text(first)

    open_item(page, "A1")
    expect(page.locator("#rv-accept")).to_be_enabled()
    page.click("#rv-accept")
    expect(page.locator("#rv-msg")).to_contain_text("alice accepted the draft answer")
    expect(progress).to_contain_text("1/33 reviewed")

    open_item(page, "B1a")
    count = page.locator("#rv-count input")
    drafted = count.input_value()
    new_value = str(int(drafted) + 2) if drafted.strip() else "2"
    count.fill(new_value)
    page.fill("#rv-note textarea", "Two more rapid reviews are listed on page 8.")
    page.locator("body").press("Alt+e")  # save edit from the keyboard
    expect(page.locator("#rv-msg")).to_contain_text(f'alice edited the answer to "{new_value}"')
    expect(progress).to_contain_text("2/33 reviewed")
    expect(progress).to_contain_text("1 accepted")
    expect(progress).to_contain_text("1 edited")

    # the evidence of an item: select a citation, see its page, mark it not relevant
    open_item(page, "A1")
    page.locator("#rv-cites [data-testid='cell-0-4']").click()
    expect(page.locator("#rv-page-text mark")).to_have_count(1)
    page.click("#rv-not-relevant")
    expect(page.locator("#rv-cites")).to_contain_text("NOT relevant")
    shot(page, "04-review-item")

    # reload: both decisions come back from the database
    page.reload()
    goto_tab(page, "Review")
    choose_report(page, "rv-report", pdfs["sample"].name)
    expect(progress).to_contain_text("2/33 reviewed")
    open_item(page, "A1")
    expect(page.locator("#rv-state")).to_contain_text("accepted by alice")
    open_item(page, "B1a")
    expect(page.locator("#rv-state")).to_contain_text("edited by alice")
    expect(page.locator("#rv-state")).to_contain_text(new_value)
    expect(page.locator("#rv-state")).to_contain_text("Two more rapid reviews")
    shot(page, "05-review-after-reload")

    # J (Alt+J in a text box) opens the next question in the queue; the marked row follows
    page.locator("body").press("Alt+j")
    title = page.locator("#rv-title h3")
    expect(title).not_to_contain_text("B1a ·")
    qid = title.inner_text().split(" · ")[0].strip()
    current = page.locator("#rv-queue .rv-current")
    expect(current).to_have_count(1)
    expect(current.locator("[role=gridcell]").first).to_have_text(qid)

    # export: CSV and XLSX downloads hold the final answers with who decided
    page.get_by_text("Export final answers").click()
    page.click("#rv-export-csv")
    link = page.locator("#rv-export-file a").first
    expect(link).to_have_attribute("download", re.compile(r"\.csv$"))
    with page.expect_download() as download:
        link.click()
    csv_path = tmp_path / "final.csv"
    download.value.save_as(csv_path)
    rows = {r["Question id"]: r for r in csv.DictReader(csv_path.open(encoding="utf-8-sig"))}
    assert len(rows) == 33
    assert rows["A1"]["Status"] == "accepted" and rows["A1"]["Reviewer"] == "alice"
    assert rows["A1"]["Final answer"] == rows["A1"]["Draft answer"] != ""
    assert rows["B1a"]["Status"] == "edited" and rows["B1a"]["Final answer"] == new_value
    assert rows["B1a"]["Note"] == "Two more rapid reviews are listed on page 8."
    assert rows["A2"]["Status"] == "undecided" and rows["A2"]["Final answer"] == ""

    page.click("#rv-export-xlsx")
    link = page.locator("#rv-export-file a").first
    expect(link).to_have_attribute("download", re.compile(r"\.xlsx$"))
    with page.expect_download() as download:
        link.click()
    xlsx_path = tmp_path / "final.xlsx"
    download.value.save_as(xlsx_path)
    from openpyxl import load_workbook

    book = load_workbook(xlsx_path)
    sheet = book["Final answers"]
    header = [c.value for c in sheet[1]]
    by_q = {r[header.index("Question id")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_q["B1a"][header.index("Reviewer")] == "alice"
    assert str(by_q["B1a"][header.index("Final answer")]) == new_value
    assert book["Decision log"].max_row >= 4  # header + accept + edit + citation
    page.context.close()


def test_second_reviewer_gets_a_conflict_not_a_lost_update(app, browser):
    url, _, pdfs = app
    alice = new_page(browser, url, "alice")
    bob = new_page(browser, url, "bob")
    for page in (alice, bob):
        goto_tab(page, "Review")
        choose_report(page, "rv-report", pdfs["sample"].name)
        open_item(page, "A4")
    alice.click("#rv-accept")
    expect(alice.locator("#rv-msg")).to_contain_text("alice accepted")

    # an answer other than the draft's, so bob's save is an edit whatever the engine drafted
    choice = bob.locator("#rv-choice")
    options = ("Yes", "Partly", "No")
    drafted = [o for o in options if choice.get_by_label(o, exact=True).is_checked()]
    other = next(o for o in ("Partly", "No", "Yes") if o not in drafted)
    choice.get_by_text(other, exact=True).click()
    bob.fill("#rv-note textarea", "Only one priority has a stated reason.")
    bob.click("#rv-save")
    message = bob.locator("#rv-msg")
    expect(message).to_contain_text("Not saved")
    expect(message).to_contain_text("alice accepted the draft answer")
    expect(bob.locator("#rv-state")).to_contain_text("accepted by alice")
    expect(bob.locator("#rv-note textarea")).to_have_value("Only one priority has a stated reason.")
    shot(bob, "06-conflict")

    # having seen alice's decision, bob can still save his own on top of it
    bob.click("#rv-save")
    expect(message).to_contain_text(f'bob edited the answer to "{other}"')
    alice.context.close()
    bob.context.close()


def test_report_text_is_shown_as_text_never_run(app, browser):
    url, _, pdfs = app
    page = new_page(browser, url, "alice")
    ingest(page, pdfs["hostile"], partnership=PARTNERSHIP)
    # the partnership name typed at ingest is shown as text in the table and the pickers
    expect(page.locator("#lib-table")).to_contain_text(PARTNERSHIP)
    assert page.locator("#lib-table img").count() == 0
    goto_tab(page, "Ask")
    choose_report(page, "ask-report", pdfs["hostile"].name)
    page.fill("#ask-question textarea", "What were the priorities?")
    page.click("#ask-go")
    expect(page.locator("#ask-answer textarea")).to_have_value(re.compile(r"\[E1\]"))
    page.locator("#ask-citations [data-testid='cell-0-4']").click()
    text = page.locator("#ask-page-text")
    expect(text).to_contain_text(SCRIPT_LINE)
    expect(text).to_contain_text(IMG_LINE)
    expect(text).to_contain_text(TEMPLATE_LINE)
    assert text.locator("script, img").count() == 0
    # the offline answer quotes whole sentences (the markup lines are not sentences); the page
    # text above shows them, as text
    expect(page.locator("#ask-answer textarea")).to_have_value(
        re.compile(re.escape("Our priorities this year were neglect and child exploitation."))
    )
    expect(page.locator("#ask-meta")).to_contain_text("no LLM: here are the passages")
    expect(page.locator("#ask-report input")).to_have_value(re.compile(re.escape(PARTNERSHIP)))
    shot(page, "07-hostile-text")
    assert page.evaluate("typeof window.__pwned") == "undefined"

    # selecting a report in the Library opens it in Ask and Review
    goto_tab(page, "Library")
    page.locator("#lib-table [role=gridcell]").get_by_text(pdfs["sample"].name).click()
    goto_tab(page, "Ask")
    expect(page.locator("#ask-report input")).to_have_value(
        re.compile(re.escape(pdfs["sample"].name))
    )
    page.context.close()


@pytest.fixture(scope="module")
def login_app(app):
    """A second app with reviewer logins, over its own data (one drafted report)."""
    from assistant.config import load_settings
    from assistant.service import Assistant
    from assistant.ui.auth import hash_password

    _, first_home, pdfs = app
    home = first_home.parent / "login-home"
    a = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    [result] = list(a.ingest([pdfs["hostile"]]))
    a.draft_report(result.report.report_id, engine="offline")
    reviewers = f"carol:{hash_password('correct horse')},dave:{hash_password('battery')}"
    with running_app(home, extra_env={"REVIEW_ASSISTANT_REVIEWERS": reviewers}) as url:
        yield url, pdfs["hostile"]


def test_with_logins_the_reviewer_is_who_signed_in(login_app, browser):
    url, pdf = login_app
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.get_by_label("username").fill("carol")
    page.get_by_label("password").fill("wrong")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
    page.get_by_label("username").fill("carol")  # the form clears after a failed login
    page.get_by_label("password").fill("correct horse")
    page.get_by_role("button", name="Login").click()
    box = page.locator("#reviewer-name").get_by_role("textbox")
    expect(box).to_have_value("carol")
    expect(box).not_to_be_editable()
    goto_tab(page, "Review")
    choose_report(page, "rv-report", pdf.name)
    open_item(page, "A1")
    page.click("#rv-accept")
    expect(page.locator("#rv-msg")).to_contain_text("carol accepted the draft answer")
    shot(page, "08-signed-in")
    context.close()


def test_app_logged_no_errors(app, login_app):
    """No handler failed, Gradio had no complaint about a signature, and the app tried to
    connect nowhere but loopback (no analytics, no Hub, no CDN)."""
    _, home, _ = app
    for log in (home / "app.log", home.parent / "login-home" / "app.log"):
        text = log.read_text()
        assert "Running on local URL:  http://127.0.0.1:" in text
        for bad in ("Traceback", "Warning", "OUTBOUND BLOCKED"):
            assert bad not in text, text[-3000:]
