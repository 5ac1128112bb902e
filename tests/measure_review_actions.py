"""Count the actions (clicks + key presses) to review one whole generated report in the audit
tool's order (A1 → C10, as auditors fill the tool), against the app of a given checkout.

    python -m tests.measure_review_actions --repo /work/main --style before
    python -m tests.measure_review_actions --repo . --style after

`before`: the queue is sorted by confidence, so each question is opened from the queue
(1 click); a draft is accepted (1), a choice is clicked and saved with Alt+E (2), a count is
clicked, typed and saved (3). `after`: the queue is in the audit tool's order and each save
moves on, so nothing is opened; a draft is accepted with A (1), a choice is 1 + Ctrl+Enter (2),
a count is click + type + Ctrl+Enter (3). Scrolling and typing the queue filter are not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--style", choices=("before", "after"), required=True)
    args = parser.parse_args()
    repo = args.repo.resolve()
    here = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(here))
    from playwright.sync_api import expect, sync_playwright

    from assistant.config import load_settings
    from assistant.service import Assistant
    from evals.synthetic.sample_reports import generate_sample_set
    from tests.ui_server import app_env, free_port, wait_until_ready

    root = Path(tempfile.mkdtemp(prefix="measure-"))
    [built] = generate_sample_set(root / "pdfs", 1, 11, length="short")
    home = root / "home"
    a = Assistant(load_settings(home=home, embedding={"name": "hash"}, engine="offline"))
    [result] = list(a.ingest([built.path]))
    a.draft_report(result.report.report_id, engine="offline")
    port = free_port()
    env = app_env(home, {"PYTHONPATH": str(repo)})
    log = (root / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ui_server", "--port", str(port)],
        cwd=repo,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    actions = 0
    try:
        wait_until_ready(url, proc, 90, root / "app.log")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox", "--headless"]
            )
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(url)
            page.locator("#reviewer-name").get_by_role("textbox").fill("kim")
            page.get_by_role("tab", name="Review", exact=True).click()
            field = page.locator("#rv-report input")
            field.click()
            page.get_by_role("option", name=re.compile(re.escape(built.path.name))).first.click()
            actions += 2  # pick the report
            progress = page.locator("#rv-progress")
            expect(progress).to_contain_text("0/33 reviewed")
            title = page.locator("#rv-title h3")
            done = 0
            for question in a.bank.questions:
                qid = question.id
                if args.style == "before":
                    # the queue's filter stands in for scrolling the queue: not counted
                    page.locator("#rv-find input").fill(qid)
                    cell = page.locator("#rv-queue [role=gridcell]").get_by_text(qid, exact=True)
                    cell.first.click()
                    actions += 1
                    page.locator("#rv-find input").fill("")
                expect(title).to_contain_text(f"{qid} ·")
                kind = question.answer_type.value
                if page.locator("#rv-accept").is_enabled():
                    if args.style == "before":
                        page.click("#rv-accept")
                    else:
                        page.keyboard.press("a")
                    actions += 1
                elif kind in ("count", "free_text"):
                    where = "#rv-count input" if kind == "count" else "#rv-free textarea"
                    box = page.locator(where)
                    box.click()
                    page.keyboard.type("0" if kind == "count" else "n/a")
                    page.keyboard.press("Alt+e" if args.style == "before" else "Control+Enter")
                    actions += 3
                else:
                    if args.style == "before":
                        group = page.locator("#rv-choice, #rv-multi").locator("visible=true")
                        group.locator("input").first.click()
                        page.keyboard.press("Alt+e")
                    else:
                        page.keyboard.press("1")
                        page.keyboard.press("Control+Enter")
                    actions += 2
                done += 1
                expect(progress).to_contain_text(f"{done}/33 reviewed")
                if args.style == "after" and done < 33:
                    expect(title).not_to_contain_text(f"{qid} ·")  # moved on by itself
                time.sleep(0.3)  # let every output of the save land before reading it
            expect(progress).to_contain_text("33/33 reviewed")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    print(f"{args.style}: {actions} actions to review one whole report (33 questions)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("REVIEW_ASSISTANT_EMBEDDING__NAME", "hash")
    raise SystemExit(main())
