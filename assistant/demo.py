"""The main job on the bundled sample year, offline: generate the synthetic reports, score
them with the offline engine, print the cohort summary, then serve the reviewer UI.

`review-assistant demo` is what the README's first command runs.
"""

from __future__ import annotations

import sys
import time

SAMPLE_SEED = 2021
SAMPLE_PERIOD = "2020-21"


def run_demo(
    *, serve: bool = True, n_reports: int = 18, json_output: bool = False, port: int = 7860
) -> int:
    """Generate (once), score, summarise and serve; returns an exit code."""
    from assistant.cli import main as cli_main
    from assistant.service import Assistant
    from evals.synthetic.sample_reports import generate_sample_set

    assistant = Assistant()
    samples = assistant.settings.home / "samples" / f"seed{SAMPLE_SEED}-n{n_reports}-long"
    if not (samples / "manifest.json").exists():
        print(
            f"generating {n_reports} synthetic sample reports of 40-100 pages (fictional "
            f"partnerships) in {samples} ...",
            file=sys.stderr,
        )
        generate_sample_set(samples, n=n_reports, seed=SAMPLE_SEED, period=SAMPLE_PERIOD)
    started = time.perf_counter()
    args = ["score", str(samples), "--period", SAMPLE_PERIOD, "--engine", "offline"]
    code = cli_main(args + (["--json"] if json_output else []))
    print(
        f"\n(scoring took {time.perf_counter() - started:.1f} s; drafts are offline: no LLM "
        "is configured, and every draft says so)",
        file=sys.stderr,
    )
    if code != 0 or not serve:
        return code
    from assistant.cli import serve_ui

    return serve_ui("127.0.0.1", port)  # prints the URL once the UI answers
