"""The Cohort and Evals pages in a real browser (Debian's Chromium driven by Playwright).

Before the app starts, the service API scores three synthetic reports with the offline engine
(twice: once under a hostile run label) and stores a tiny eval; the browser then reads the
figures, charts and downloads back. The app runs with its own TMPDIR, so the data directory is
outside every folder Gradio serves from: files shown must be copied out, as in real use.
A second, empty app shows the "nothing yet" messages and runs a small eval from its button.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests.test_ui_browser import chromium_browser, goto_tab, shot  # noqa: E402
from tests.ui_server import running_app  # noqa: E402

PERIOD = "2020-21"
HOSTILE = '<img src=x onerror="window.__pwned=1"> {{constructor}} 2020-21'
# lines an eval summary can come to hold (e.g. report names from a human-scores CSV)
HOSTILE_MD = (
    '| report | <img src=x onerror="window.__pwned=5"> [click](javascript:window.__pwned=6) |\n'
    "\n<script>window.__pwned=7</script>\n"
)
TIMINGS: dict[str, float] = {}


def _service(home: Path):
    from assistant.config import load_settings
    from assistant.service import Assistant

    return Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))


@dataclass
class Data:
    root: Path
    run_id: str  # the scoring run labelled 2020-21
    hostile_id: str  # the same reports scored under a run label full of markup
    eval_id: str
    empty_url: str  # a second app over an empty data home


def _serve(root: Path, name: str):
    tmp = root / f"{name}-tmp"  # the app's temp folder: the data home is not inside it
    tmp.mkdir()
    return running_app(root / name, extra_env={"TMPDIR": str(tmp)})


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Two scoring runs and an eval, stored through the service API; and the empty app."""
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from assistant.evaluation.harness import run_eval
    from evals.synthetic.sample_reports import generate_sample_set

    root = tmp_path_factory.mktemp("cohort-ui")
    # exits run in reverse: the pool waits for the empty app to be up, then the stack stops it
    with ExitStack() as stack, ThreadPoolExecutor(1) as pool:
        empty = pool.submit(stack.enter_context, _serve(root, "empty-home"))
        started = time.perf_counter()
        generate_sample_set(root / "pdfs", n=3, seed=5, length="short")
        a = _service(root / "home")
        run = a.score(root / "pdfs", period=PERIOD, engine="offline")
        assert len(run.reports) == 3 and run.failed == 0
        hostile = a.score(root / "pdfs", period="2019-21", engine="offline")  # drafts reused
        assert hostile.reused == run.drafted
        # --period is checked now, so markup reaches a run's label only from data stored
        # before the check; such a label is still shown as text
        with a.db.connect() as conn:
            conn.execute("UPDATE runs SET label=? WHERE run_id=?", (HOSTILE, hostile.run_id))
        evaluation = run_eval(
            a.eval_library(),
            n=3,
            seed=7,
            length="short",
            engine="offline",
            n_boot=20,
            modes=(),
            reliability_reports=0,
        )
        summary_md = Path(evaluation.outputs["summary"])
        summary_md.write_text(summary_md.read_text(encoding="utf-8") + HOSTILE_MD, "utf-8")
        TIMINGS["service setup"] = time.perf_counter() - started
        yield Data(root, run.run_id, hostile.run_id, evaluation.eval_id, empty.result())


@pytest.fixture(scope="module")
def app(data):
    started = time.perf_counter()
    with _serve(data.root, "home") as url:
        TIMINGS["app start"] = time.perf_counter() - started
        yield url


@pytest.fixture(scope="module")
def browser(app):
    with chromium_browser() as chromium:
        yield chromium


def new_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    expect(page.get_by_role("tab", name="Cohort", exact=True)).to_be_visible()
    return page


def images_loaded(page, selector: str) -> int:
    """How many images under `selector` have loaded real pixels."""
    return page.evaluate(
        "(sel) => [...document.querySelectorAll(sel + ' img')]"
        ".filter(i => i.complete && i.naturalWidth > 100).length",
        selector,
    )


def file_link(files, name: str):
    """The download link of the file `name` in a gr.File list."""
    return files.locator(f'a[download="{name}"]')


def download(page, link, target: Path) -> Path:
    with page.expect_download() as info:
        link.click()
    info.value.save_as(target)
    return target


def test_cohort_page_figures_charts_and_downloads(data, app, browser, tmp_path):
    run_id, hostile_id = data.run_id, data.hostile_id
    started = time.perf_counter()
    page = new_page(browser, app)
    goto_tab(page, "Cohort")
    picker = page.locator("#co-run input")
    # newest first: the run labelled with markup opens by default, its label shown as text
    expect(picker).to_have_value(re.compile(re.escape(f"{HOSTILE} · offline · {hostile_id}")))
    summary = page.locator("#co-summary textarea")
    # the first summary is built on opening the tab (figures for both sources): allow a busy CI
    expect(summary).to_have_value(re.compile(r"Neglect a priority: \d/3"), timeout=20_000)
    expect(page.locator("#co-msg")).to_contain_text(HOSTILE)
    assert page.locator("#co-msg img, #co-run img").count() == 0

    # pick the run labelled 2020-21
    picker.click()
    page.get_by_role("option", name=re.compile(re.escape(run_id))).click()
    expect(picker).to_have_value(re.compile(rf"^{PERIOD} · offline · {run_id} · "))
    expect(page.locator("#co-msg")).to_contain_text(f"3 reports · {PERIOD} · offline · {run_id}")
    expect(summary).to_have_value(re.compile(rf"Cohort summary — {PERIOD} · offline · {run_id}"))
    text = summary.input_value()
    neglect = re.search(r"Neglect a priority: (\d)/3", text)
    assert neglect, text[:800]

    # the table: one row per figure, with the counts beside it
    table = page.locator("#co-table")
    expect(table).to_contain_text(f"Neglect a priority: {neglect[1]}/3")
    search = table.locator("input[type=text]").first  # the table renders visible rows only
    search.fill("B1a")
    expect(table).to_contain_text("number of LCSPRs")
    search.fill("")
    expect(table).to_contain_text("drafts")

    # the charts: real PNGs, served although the data home is outside Gradio's folders
    expect(page.locator("#co-charts img").first).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#co-charts img')]"
        ".some(i => i.complete && i.naturalWidth > 100)"
    )
    assert images_loaded(page, "#co-charts") >= 2
    expect(page.locator("#co-charts")).to_contain_text("Graded questions")

    # the downloads: the run's drafts (CSV wide/long, XLSX, JSON) and the summary
    files = page.locator("#co-files")
    for name in ("drafts-wide.csv", "drafts-long.csv", "drafts.xlsx", "drafts.json"):
        expect(file_link(files, f"{run_id}-{name}")).to_have_count(1)
    expect(file_link(files, f"cohort-{run_id}-drafts.txt")).to_have_count(1)
    shot(page, "co-01-cohort-run")
    wide = download(page, file_link(files, f"{run_id}-drafts-wide.csv"), tmp_path / "wide.csv")
    rows = list(csv.DictReader(wide.open(encoding="utf-8")))
    assert len(rows) == 3 and {r["period"] for r in rows} == {PERIOD}
    assert all(r["A1"] for r in rows)
    link = file_link(files, f"cohort-{run_id}-drafts.txt")
    assert download(page, link, tmp_path / "c.txt").read_text(encoding="utf-8") == text

    # drafts and accepted answers side by side: nothing is accepted yet
    page.locator("#co-source").get_by_text("Both", exact=True).click()
    expect(summary).to_have_value(
        re.compile(
            r"A1 +\[reviewer-decided\] priorities clearly stated: no answers +"
            r"\(3 not yet reviewed\)"
        )
    )
    expect(summary).to_have_value(re.compile(r"\[drafts\] Neglect a priority: \d/3"))
    expect(table).to_contain_text("reviewer-decided")

    # all reports of the period: the same three reports, no run exports
    picker.click()
    page.get_by_role("option", name=f"All reports of {PERIOD}").click()
    expect(page.locator("#co-msg")).to_contain_text(f"3 reports · {PERIOD} · answers from")
    page.locator("#co-source").get_by_text("Drafts", exact=True).click()
    expect(summary).to_have_value(re.compile(r"Neglect a priority: \d/3"))
    expect(file_link(files, f"cohort-{PERIOD}-drafts.json")).to_have_count(1)
    expect(files.locator("a[download$='-drafts-wide.csv']")).to_have_count(0)
    shot(page, "co-02-cohort-period")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.context.close()
    TIMINGS["cohort in browser"] = time.perf_counter() - started


def test_evals_page_lists_a_run_with_summary_charts_and_files(data, app, browser, tmp_path):
    eval_id = data.eval_id
    started = time.perf_counter()
    page = new_page(browser, app)
    goto_tab(page, "Evals")
    expect(page.locator("#ev-table")).to_contain_text(eval_id)
    expect(page.locator("#ev-table")).to_contain_text("generated year: 3 short reports, seed 7")
    expect(page.locator("#ev-run input")).to_have_value(re.compile(re.escape(eval_id)))
    expect(page.locator("#ev-headline textarea")).to_have_value(re.compile(r"theme A: accuracy"))
    summary = page.locator("#ev-summary")
    expect(summary).to_contain_text("Agreement by theme")
    expect(summary.locator("table").first).to_be_visible()  # the Markdown tables render
    assert summary.locator("img").count() == 0  # chart lines are dropped; shown in the gallery
    # names in the summary stay text: no tag, link or script forms from them
    expect(summary).to_contain_text('<img src=x onerror="window.__pwned=5">')
    expect(summary).to_contain_text("[click](javascript:window.__pwned=6)")
    expect(summary).to_contain_text("<script>window.__pwned=7</script>")
    assert summary.locator("img, script, a").count() == 0
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ev-charts img')]"
        ".some(i => i.complete && i.naturalWidth > 100)"
    )
    assert images_loaded(page, "#ev-charts") == 2  # kappa and confusions (no retrieval run)
    expect(page.locator("#ev-charts")).to_contain_text("Kappa per question")
    # the plain reading (branch ui): band words, abstentions beside accuracy, "too few" warnings
    reading = page.locator("#ev-reading")
    expect(reading).to_contain_text("n = 3: too few to judge")
    expect(reading).to_contain_text(re.compile(r"agreement|worse than chance"))
    expect(reading).to_contain_text(re.compile(r"\d of 3"))
    # eval compare in the UI: a run against itself is comparable, every delta zero
    page.get_by_text("Compare two eval runs").click()
    for picker in ("#ev-cmp-a", "#ev-cmp-b"):
        page.locator(f"{picker} input").click()
        page.get_by_role("option", name=re.compile(re.escape(eval_id))).first.click()
    page.click("#ev-cmp-go")
    expect(page.locator("#ev-cmp")).to_contain_text("A1")
    files = page.locator("#ev-files")
    for name in ("report.html", "metrics.json", "summary.md"):
        expect(file_link(files, f"{eval_id}-{name}")).to_have_count(1)
    link = file_link(files, f"{eval_id}-metrics.json")
    metrics = download(page, link, tmp_path / "metrics.json").read_text(encoding="utf-8")
    assert f'"eval_id": "{eval_id}"' in metrics
    shot(page, "co-03-evals")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.context.close()
    TIMINGS["evals in browser"] = time.perf_counter() - started


def test_empty_data_home_says_what_to_run_and_runs_an_eval(data, browser):
    started = time.perf_counter()
    page = new_page(browser, data.empty_url)
    goto_tab(page, "Cohort")
    msg = page.locator("#co-msg")
    expect(msg).to_contain_text("No scoring runs yet")
    expect(msg).to_contain_text("review-assistant score FOLDER --period 2020-21")
    expect(msg).to_contain_text("review-assistant demo")
    expect(page.locator("#co-run input")).to_have_value("")
    shot(page, "co-04-cohort-empty")
    goto_tab(page, "Evals")
    expect(page.locator("#ev-msg")).to_contain_text("No eval runs yet")
    expect(page.locator("#ev-msg")).to_contain_text("review-assistant eval run")

    # the button runs a small eval and opens it
    page.get_by_role("button", name=re.compile(r"^Run an eval now")).click()
    # the accordion mounts its fields lazily: wait for the defaults before typing over them;
    # on a busy machine a late mount can still put the default back after the fill, so type
    # again until the value holds (what a user does when a field snaps back)
    for field, default, value in (("#ev-n", "8", "2"), ("#ev-boot", "1000", "50")):
        box = page.locator(f"{field} input")
        expect(box).to_have_value(default)
        for _attempt in range(3):
            box.fill(value)
            box.press("Tab")
            page.wait_for_timeout(300)
            if box.input_value() == value:
                break
        expect(box).to_have_value(value)
    page.locator("#ev-recall input").uncheck()  # recall@k is the slow part
    expect(page.locator("#ev-recall input")).not_to_be_checked()
    page.click("#ev-go")
    expect(page.locator("#ev-msg")).to_contain_text("finished in", timeout=60_000)
    expect(page.locator("#ev-table")).to_contain_text("generated year: 2 long reports")
    expect(page.locator("#ev-summary")).to_contain_text("Agreement by theme")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ev-charts img')]"
        ".some(i => i.complete && i.naturalWidth > 100)"
    )
    shot(page, "co-05-evals-after-run")
    page.context.close()
    TIMINGS["empty app + eval button in browser"] = time.perf_counter() - started


def test_apps_logged_no_errors(data):
    """No handler failed and Gradio complained about nothing, in either app."""
    for name in ("home", "empty-home"):
        log = (data.root / name / "app.log").read_text()
        assert "Running on local URL:  http://127.0.0.1:" in log
        for bad in ("Traceback", "Warning", "OUTBOUND BLOCKED", "InvalidPathError"):
            assert bad not in log, log[-3000:]
    print("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))
