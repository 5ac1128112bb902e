"""The main job on bundled sample reports, offline: generate, ingest, search, draft.

`review-assistant demo` is what the README's first command runs.
"""

from __future__ import annotations

import sys
import time

from assistant.service import Assistant

SAMPLE_SEED = 2021
SAMPLE_QUERY = "evidence that neglect work improved outcomes for children"


def run_demo(*, serve: bool = True, n_reports: int = 18, json_output: bool = False) -> int:
    """Generate the sample year (if missing), ingest it, show a search; return an exit code."""
    from evals.sample_reports import generate_sample_set

    assistant = Assistant()
    samples = assistant.settings.home / "samples" / f"seed{SAMPLE_SEED}-n{n_reports}"
    if not (samples / "manifest.json").exists():
        print(f"generating {n_reports} synthetic sample reports in {samples} ...", file=sys.stderr)
        generate_sample_set(samples, n=n_reports, seed=SAMPLE_SEED)
    from assistant.cli import main as cli_main

    started = time.perf_counter()
    code = cli_main(["ingest", str(samples)])
    print(f"(ingest took {time.perf_counter() - started:.1f} s)\n")
    first = assistant.list_reports()[0]
    print(f'sample search in {first.display_name} ({first.short_id}): "{SAMPLE_QUERY}"')
    cli_main(["search", first.report_id, SAMPLE_QUERY, "-k", "3"])
    return code
