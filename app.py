"""The reviewer web app (Gradio): Library, Ask, Review, Cohort and Evals pages.

    python app.py [--host 127.0.0.1] [--port 7860]

It listens on 127.0.0.1 by default. Binding anywhere else (or a share link) needs reviewer
logins (see assistant/ui/auth.py); on localhost without logins the reviewer name comes from
the Reviewer box. Gradio is imported only here and in assistant/ui/*, which only this file
imports, so the CLI and the tests of the other stages start fast.
"""

# No `from __future__ import annotations` here: Gradio finds gr.Request / gr.SelectData
# parameters by resolving annotations, and `gr` is imported inside build_app.
import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

# Before Gradio is imported anywhere: no usage analytics, no Hub calls.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import load_settings
from assistant.errors import ReviewAssistantError  # noqa: E402
from assistant.service import Assistant
from assistant.ui.ask import ask_page
from assistant.ui.auth import check_exposure, load_reviewers, make_auth  # noqa: E402
from assistant.ui.cohort import cohort_tab
from assistant.ui.common import AppContext
from assistant.ui.evals import evals_tab
from assistant.ui.hosts import AllowedHosts, HostCheckMiddleware
from assistant.ui.library import library_page
from assistant.ui.pages import pages_page, served_pdf_dir
from assistant.ui.render import report_choices
from assistant.ui.review_tab import review_page
from assistant.ui.second_marking import second_marking_page

if TYPE_CHECKING:
    import gradio as gr

CSS = """
.page-text { white-space: pre-wrap; font-family: var(--font-mono); font-size: 13px;
  line-height: 1.45; max-height: 720px; overflow: auto; padding: 10px 12px;
  border: 1px solid var(--border-color-primary); border-radius: 8px;
  background: var(--background-fill-secondary); }
.page-text mark { background: #ffe066; color: #000; padding: 1px 0; border-radius: 2px;
  outline: 2px solid #f0a500; }
.msg { padding: 8px 12px; border-radius: 8px; margin: 4px 0; font-size: 14px; }
.msg-ok { background: #e7f6ea; color: #14532d; border: 1px solid #86c79a; }
.msg-warn, .msg-info { background: #fff7e0; color: #6b4e00; border: 1px solid #f0c85a; }
.msg-error { background: #fdecec; color: #7f1d1d; border: 1px solid #ef9a9a; font-weight: 600; }
.marker { display: inline-block; margin-top: 6px; padding: 2px 8px; border-radius: 999px;
  background: #eef2ff; color: #3730a3; font-size: 13px; border: 1px solid #c7d2fe; }
.state { padding: 8px 12px; border-radius: 8px; font-size: 14px; }
.state-undecided { background: var(--background-fill-secondary); }
.state-accepted { background: #e7f6ea; } .state-edited, .state-entered { background: #e8f1fd; }
.state-rejected { background: #fdecec; }
.state .note { margin-top: 4px; font-style: italic; }
.theme { color: var(--body-text-color-subdued); font-size: 13px; }
.hint { color: var(--body-text-color-subdued); font-size: 13px; }
#rv-draft-summary { font-size: 14px; padding: 4px 2px; }
#app-header { align-items: center; }
#rv-queue .rv-current [role=gridcell] { background: #fff3c4; font-weight: 600; }
/* no sort or filter menu on the queue's column headers: Gradio sorts and filters those rows in
   the browser only, so J/K and "next after saving" would walk the server's order through a
   table shown in another; the Order chooser above the queue sorts it instead */
#rv-queue .cell-menu-button { display: none; }
#rv-queue-ids { display: none; }
#rv-queue [role=gridcell]:first-child .cell-wrap > span { white-space: nowrap; }
/* words whole in the queue and the evidence table ("Trust", "medium", "Relevant?"): they
   wrap at spaces only; question ids (A1n, C2m) do not wrap at all */
#rv-queue .cell-wrap span, #rv-cites .cell-wrap span { word-break: normal;
  overflow-wrap: normal; hyphens: none; }
#rv-queue .rv-current [role=gridcell]:first-child { box-shadow: inset 4px 0 0 #f0a500; }
#rv-queue .cell-wrap, #rv-cites .cell-wrap, #ask-citations .cell-wrap, #lib-table .cell-wrap,
#rv-history .cell-wrap, #co-table .cell-wrap, #ev-table .cell-wrap, #pg-list .cell-wrap,
#ev-reading .cell-wrap {
  font-family: var(--font); font-size: 13px;
}
.page-text mark.hit { background: #a5f3fc; outline: 2px solid #0891b2; }
.trust { margin-top: 4px; font-size: 13px; padding: 3px 8px; border-radius: 6px; }
.trust-high { background: #e7f6ea; color: #14532d; }
.trust-medium { background: #fff7e0; color: #6b4e00; }
.trust-low, .trust-unknown { background: #fdecec; color: #7f1d1d; font-weight: 600; }
#rv-keyhint { position: fixed; left: 50%; bottom: 76px; transform: translateX(-50%);
  z-index: 1000; max-width: 640px; padding: 8px 14px; border-radius: 8px; display: none;
  background: #1f2937; color: #fff; font-size: 14px; box-shadow: 0 4px 14px rgba(0,0,0,.3); }
#rv-keyhint.on { display: block; }
#rv-title:focus { outline: 2px solid #f0a500; outline-offset: 2px; border-radius: 4px; }
/* number keys pick the n-th choice: show the numbers */
#rv-choice .wrap, #rv-multi .wrap { counter-reset: opt; }
#rv-choice .wrap > label, #rv-multi .wrap > label { counter-increment: opt; }
#rv-choice .wrap > label::before, #rv-multi .wrap > label::before { content: counter(opt);
  font-weight: 700; font-size: 12px; margin-right: 6px; color: var(--body-text-color-subdued); }
/* the decision stays on screen at any width: its buttons are pinned to the window's bottom */
#rv-buttons { position: fixed; left: 0; right: 0; bottom: 0; z-index: 50; margin: 0;
  padding: 8px max(16px, calc(50vw - 360px)); background: var(--background-fill-primary);
  border-top: 1px solid var(--border-color-primary); box-shadow: 0 -3px 10px rgba(0,0,0,.08); }
#tab-review { padding-bottom: 72px; }
"""

# Keyboard flow of the Review page (conventions of Label Studio / Argilla): number keys pick a
# choice, letters act on the item (A accept, E save, R reject, J/K next/previous, N next to
# review, P page browser, X use as example, O take over an older version's answer),
# Ctrl+Enter saves and Esc leaves a field from anywhere. Letter and number keys do nothing
# while focus is in a text field (Alt+letter still works there), focus returns to the item
# after every action, and a key that cannot apply says why.
JS = """
() => {
  const keys = {KeyA: 'rv-accept', KeyE: 'rv-save', KeyR: 'rv-reject', KeyJ: 'rv-next',
                KeyK: 'rv-prev', KeyN: 'rv-todo', KeyP: 'rv-pages', KeyX: 'rv-example',
                KeyO: 'rv-take-older'};
  const names = {KeyA: 'accept', KeyE: 'save', KeyR: 'reject', KeyJ: 'next question',
                 KeyK: 'previous question', KeyN: 'next to review', KeyP: 'page browser',
                 KeyX: 'use as example', KeyO: "take over the older version's answer"};
  const reasonOf = {KeyA: 'accept', KeyE: 'save', KeyR: 'reject', KeyX: 'example',
                    KeyO: 'older'};
  const visible = (el) => !!el && el.offsetParent !== null;
  const onReview = () => visible(document.getElementById('rv-accept'));
  const hint = (text) => {
    let box = document.getElementById('rv-keyhint');
    if (!box) {
      box = document.createElement('div');
      box.id = 'rv-keyhint';
      box.setAttribute('role', 'status');
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.classList.toggle('on', !!text);
    clearTimeout(box._timer);
    const clear = () => { box.textContent = ''; box.classList.remove('on'); };
    if (text) box._timer = setTimeout(clear, 7000);
  };
  const typingIn = (t) => !!t && ((t.tagName === 'INPUT' &&
      !['radio', 'checkbox', 'button', 'submit'].includes(t.type)) ||
      t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  const home = () => {  // out of any field, back on the item
    const active = document.activeElement;
    if (active && active !== document.body && active.blur) active.blur();
    const item = document.getElementById('rv-title');
    if (item) { item.setAttribute('tabindex', '-1'); item.focus({preventScroll: true}); }
  };
  const why = (name) => {
    const el = document.querySelector('#rv-draft-summary .rv-why');
    return el ? (el.dataset[name] || '') : null;
  };
  const press = (code, label) => {
    const btn = document.getElementById(keys[code]);
    const reasons = why(reasonOf[code] || 'reject');
    if (reasons === null && ['KeyA', 'KeyE', 'KeyR', 'KeyX', 'KeyO'].includes(code)) {
      hint(`${label}: nothing to ${names[code]} — pick a report and a question first`);
      return;
    }
    if (!visible(btn) || btn.disabled) {
      const reason = reasonOf[code] ? reasons : '';
      hint(reason || `${label}: ${names[code]} does not apply here`);
      return;
    }
    hint('');
    home();
    btn.click();
  };
  const pick = (n) => {
    const group = ['rv-choice', 'rv-multi'].map((id) => document.getElementById(id)).find(visible);
    const inputs = group ? group.querySelectorAll('input[type=radio], input[type=checkbox]') : [];
    const opts = [...inputs];
    if (!opts.length) {
      hint(`${n}: this question has no choices to pick — type the answer`);
      return;
    }
    if (n > opts.length) { hint(`${n}: there are only ${opts.length} choices`); return; }
    hint('');
    opts[n - 1].click();
    home();
  };
  document.addEventListener('keydown', (e) => {
    if (!onReview()) return;
    const t = e.target;
    const typing = typingIn(t);
    if (e.key === 'Escape') {
      if (typing) { home(); hint('Esc: left the field — keys act on the item again'); }
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      press('KeyE', 'Ctrl+Enter');
      return;
    }
    if (e.ctrlKey || e.metaKey || e.repeat) return;
    if (t && t.closest && t.closest('#rv-count') && t.tagName === 'INPUT' &&
        ['e', 'E', '+', '-', '.', ','].includes(e.key)) {
      e.preventDefault();  // a number field takes "e" as an exponent and empties itself
      hint(`${e.key}: a count is a whole number — type digits (Esc leaves the field)`);
      return;
    }
    if (e.key === 'Enter' && t && t.closest && t.closest('#rv-find')) {
      setTimeout(home, 0);  // after Gradio took the Enter (its submit): keys act on the item
      return;
    }
    if (typing && !e.altKey) return;
    if (e.key === '/' && !e.altKey) {
      const find = document.querySelector('#rv-find input, #rv-find textarea');
      if (find) { e.preventDefault(); hint(''); find.focus(); find.select(); }
      return;
    }
    if (!e.altKey && /^Digit[1-9]$/.test(e.code)) {
      e.preventDefault();
      pick(Number(e.code.slice(5)));
      return;
    }
    if (!keys[e.code]) return;
    e.preventDefault();
    press(e.code, (e.altKey ? 'Alt+' : '') + e.code.slice(3));
  });
  // A mouse click on an action button also hands focus back to the item.
  document.addEventListener('click', (e) => {
    const t = e.target;
    const buttons = '#rv-accept, #rv-save, #rv-reject, #rv-next, #rv-prev, #rv-todo, ' +
      '#rv-add, #rv-relevant, #rv-not-relevant, #rv-example, #rv-take-older';
    if (t && t.closest && t.closest(buttons)) {
      setTimeout(home, 0);
    }
  });
  // Scroll the page text so the highlighted passage is in view whenever it changes.
  new MutationObserver(() => {
    document.querySelectorAll('.page-text').forEach((box) => {
      const mark = box.querySelector('mark');
      if (mark && box.dataset.scrolled !== mark.textContent) {
        box.dataset.scrolled = mark.textContent;
        box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - 80);
      }
    });
    // Mark the queue row of the question on screen, and keep it in view of the queue's box.
    const title = document.querySelector('#rv-title h3');
    const qid = title ? title.textContent.split(' · ')[0].trim() : '';
    // a report just picked: focus leaves the picker for the item, so A does not type "a"
    const active = document.activeElement;
    if (qid && qid !== window.__rvShown) {
      window.__rvShown = qid;
      if (active && active.closest && active.closest('#rv-report, #rv-next-report')) home();
    }
    markCurrent(qid);
  }).observe(document.body, {childList: true, subtree: true});
  // The queue draws only the rows near its view: the open question's row may not be drawn (J
  // from the last row to the first, N far down). Scroll the queue's box towards its place (the
  // shown rows' ids come with the queue) until it is drawn and in view; once per question and
  // queue, so the reviewer's own scrolling stays.
  let tries = 0;
  let again = null;
  const markCurrent = (qid) => {
    const rows = [...document.querySelectorAll('#rv-queue [role=row][data-index]')];
    let current = null;
    rows.forEach((row) => {
      const cell = row.querySelector('[role=gridcell]');
      const on = !!qid && !!cell && cell.textContent.trim() === qid;
      if (on !== row.classList.contains('rv-current')) row.classList.toggle('rv-current', on);
      if (on) current = row;
    });
    const holder = document.querySelector('#rv-queue-ids [data-ids]');
    const ids = holder ? holder.dataset.ids.split(' ').filter(Boolean) : [];
    const want = ids.indexOf(qid);
    const key = `${qid}|${ids.join(' ')}`;
    if (want < 0 || !rows.length || window.__rvInView === key) return;
    if (window.__rvTrying !== key) { window.__rvTrying = key; tries = 0; }
    if (++tries > 40) return;  // never drawn: give up rather than scroll forever
    let box = rows[0].parentElement;
    while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
    if (!box || box === document.body || box === document.documentElement) return;
    if (current && Number(current.dataset.index) === want) {
      const boxTop = box.getBoundingClientRect().top;
      const top = current.getBoundingClientRect().top - boxTop;
      const head = box.querySelector('thead');  // sticky, over the rows' top
      const under = head ? head.getBoundingClientRect().bottom - boxTop : 0;
      if (top >= under - 1 && top + current.offsetHeight <= box.clientHeight + 1) {
        window.__rvInView = key;
        return;
      }
      box.scrollTop += top - box.clientHeight / 3;
    } else {
      const drawn = rows.map((row) => Number(row.dataset.index));
      const first = Math.min(...drawn), last = Math.max(...drawn);
      const height = rows.reduce((sum, row) => sum + row.offsetHeight, 0) / rows.length;
      if (want < first || want > last) {
        box.scrollTop += (want < first ? want - first : want - last) * height;
      }  // else drawn, its cells not yet filled in
    }
    // look again once the rows for the new place are drawn and measured
    clearTimeout(again);
    again = setTimeout(() => markCurrent(qid), 120);
  };
}
"""


def default_reviewer() -> str:
    """Reviewer name offered on localhost without login: $USER, else 'reviewer'."""
    try:
        return os.environ.get("USER") or getpass.getuser() or "reviewer"
    except Exception:  # getuser() raises when no name can be found
        return "reviewer"


def build_app(assistant=None, *, login_required: bool | None = None) -> "gr.Blocks":
    """The whole app over one Assistant (default: settings from the environment).

    `login_required` (default: whether reviewers are configured) makes every decision take
    the reviewer from the login instead of the Reviewer box.
    """
    # Gradio loads here, not at import: `python app.py --host 0.0.0.0` without logins is
    # refused at once, and importing this module stays cheap.
    import gradio as gr

    a = assistant or Assistant()
    if login_required is None:
        login_required = bool(load_reviewers(a.settings.home))
    ctx = AppContext(a, login_required)
    with gr.Blocks(
        title="Review assistant",
        fill_width=True,
        analytics_enabled=False,
        delete_cache=(3600, 86400),  # Gradio's copies of served files: hourly sweep, kept a day
    ) as demo:
        remembered = gr.BrowserState({}, storage_key="review-assistant")
        with gr.Row(elem_id="app-header", equal_height=True):
            with gr.Column(scale=5):
                gr.Markdown(
                    "## Review assistant\nDraft, cite and count: yearly reports of "
                    "safeguarding children partnerships"
                )
            with gr.Column(scale=1, min_width=220):
                ctx.reviewer_box = gr.Textbox(
                    "" if login_required else default_reviewer(),
                    label="Reviewer",
                    interactive=not login_required,
                    elem_id="reviewer-name",
                    max_length=64,
                    info="signed in" if login_required else "recorded on every decision",
                )
                if login_required:
                    gr.Button("Sign out", link="/logout", size="sm")
        with gr.Tabs(elem_id="pages") as tabs:
            with gr.Tab("Library", id="library", elem_id="tab-library") as library_tab:
                lib = library_page(ctx)
            with gr.Tab("Ask", id="ask", elem_id="tab-ask", render_children=True) as ask_tab:
                ask_report, ask_pages_btn, ask_state = ask_page(ctx)
            with gr.Tab(
                "Review", id="review", elem_id="tab-review", render_children=True
            ) as review_tab:
                review = review_page(ctx)
            with gr.Tab(
                "Pages", id="browse", elem_id="tab-browse", render_children=True
            ) as browse_tab:
                browser = pages_page(ctx)
            with gr.Tab("Cohort", id="cohort", elem_id="tab-cohort"):
                cohort_tab(a)
            with gr.Tab("Evals", id="evals", elem_id="tab-evals"):
                evals_tab(a)
            with gr.Tab("Second marking", id="second-marking", elem_id="tab-second-marking"):
                second_marking_page(ctx)  # blind second marking (branch analysis)

        review_report = review.report
        pickers = [ask_report, review_report, lib.selected, browser.report]

        def after_ingest(last_id):
            choices = report_choices(a)
            # one update object per output: Gradio consumes an update while applying it
            if last_id:
                return [gr.update(choices=choices, value=last_id) for _ in pickers]
            return [gr.update(choices=choices) for _ in pickers]

        lib.ingest_event.then(after_ingest, [lib.last], pickers)
        lib.draft_event.then(review.refresh, review.refresh_inputs, review.refresh_outputs)

        def pick_report(evt: gr.SelectData):
            # a Library row opens its report in Review (and picks it in Ask and Pages)
            row = evt.row_value or []
            try:
                report_id = a.resolve_report(str(row[-1])).report_id
            except (ReviewAssistantError, IndexError):
                return [gr.update() for _ in pickers] + [gr.update()]
            return [gr.update(value=report_id) for _ in pickers] + [gr.Tabs(selected="review")]

        def refresh_pickers():
            # reports ingested since the page loaded, also by the CLI in another process; the
            # values stay: a pick made while this runs must not be undone
            choices = report_choices(a)
            return [gr.update(choices=choices) for _ in pickers]

        lib.table.select(pick_report, None, [*pickers, tabs])
        library_tab.select(lib.reload, [lib.search], lib.table)
        ask_tab.select(refresh_pickers, None, pickers, api_name="refresh_reports")
        review_tab.select(review.refresh, review.refresh_inputs, review.refresh_outputs)
        review_tab.select(refresh_pickers, None, pickers)
        browse_tab.select(refresh_pickers, None, pickers)

        # --- the page browser, from Library, Ask and Review (report + page, then the tab)
        def to_browser(report_id, page=1):
            if not report_id:
                gr.Warning("Pick a report first.")
                return gr.update(), gr.update(), gr.update()
            return gr.update(value=report_id), int(page or 1), gr.Tabs(selected="browse")

        def review_to_browser(item: dict, report_id):
            page = 1
            if item and item.get("draft_id"):
                try:
                    cites = a.drafts.get(item["draft_id"]).citations
                    index = item.get("cite") or 0
                    page = (cites[index].page if index < len(cites) else None) or 1
                except ReviewAssistantError:
                    page = 1
            return to_browser(report_id, page)

        def ask_to_browser(report_id, state: dict):
            cites = (state or {}).get("citations") or []
            return to_browser(report_id, (cites[0].get("page") if cites else None) or 1)

        browse_out = [browser.report, browser.page, tabs]
        for event in (
            lib.pages_btn.click(lambda r: to_browser(r), [lib.selected], browse_out),
            ask_pages_btn.click(ask_to_browser, [ask_report, ask_state], browse_out),
            review.pages_btn.click(review_to_browser, [review.item, review_report], browse_out),
        ):
            event.then(browser.show, browser.inputs, browser.outputs)

        def on_load(saved: dict, request: gr.Request):
            saved = saved or {}
            choices = report_choices(a)
            known = {value for _, value in choices}
            report_id = saved.get("report") if saved.get("report") in known else None
            name = getattr(request, "username", None)
            if name:
                box = gr.update(value=name, interactive=False)
            elif saved.get("reviewer"):
                box = gr.update(value=saved["reviewer"])
            else:
                box = gr.update()
            picks = [
                gr.update(choices=choices, value=report_id)
                if report_id
                else gr.update(choices=choices)
                for _ in pickers
            ]
            return [box, *picks]

        demo.load(on_load, [remembered], [ctx.reviewer_box, *pickers])

        def remember(saved: dict, report_id, name):
            saved = dict(saved or {})
            saved.update(report=report_id, reviewer=name)
            return saved

        review_report.change(remember, [remembered, review_report, ctx.reviewer_box], remembered)
        ctx.reviewer_box.blur(remember, [remembered, review_report, ctx.reviewer_box], remembered)
    return demo


def launch_app(host: str = "127.0.0.1", port: int = 7860, share: bool = False, **kwargs):
    """Serve the app; refuses a non-loopback host or a share link without reviewer logins."""
    settings = load_settings()
    reviewers = load_reviewers(settings.home)
    check_exposure(host, share, reviewers)
    assistant = Assistant(settings)
    demo = build_app(assistant, login_required=bool(reviewers))
    demo.queue(default_concurrency_limit=4)
    from starlette.middleware import Middleware

    # DNS rebinding: refuse foreign Host headers before any Gradio route runs
    allowed = AllowedHosts(host, settings.ui.allowed_hosts)
    return demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=make_auth(reviewers) if reviewers else None,
        auth_message="Sign in with your reviewer name and password." if reviewers else None,
        css=CSS,
        js=JS,
        footer_links=["api", "settings"],
        enable_monitoring=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        show_error=True,
        max_file_size=f"{assistant.settings.ingest.max_file_mb}mb",
        allowed_paths=[str(served_pdf_dir())],  # copies of stored PDFs (the page browser)
        app_kwargs={"middleware": [Middleware(HostCheckMiddleware, allowed=allowed)]},
        num_workers=0,  # no static-file worker processes: they would bypass the host check
        **kwargs,
    )


def main(argv: list[str] | None = None) -> int:
    """`python app.py --host 127.0.0.1 --port 7860`."""
    parser = argparse.ArgumentParser(description="Serve the reviewer web app.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="public link (needs logins)")
    args = parser.parse_args(argv)
    try:
        launch_app(args.host, args.port, args.share)
    except ReviewAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
