"""The bundled sample year for `review-assistant demo`: generated once into the data home.

The demo is the main job on this year, offline: the CLI (`cmd_demo`) takes the folder from
here, scores it through the service with the offline engine, prints the cohort summary, then
serves the reviewer UI. This module knows nothing of the CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path

from evals.synthetic.sample_reports import generate_sample_set

SAMPLE_SEED = 2021
SAMPLE_PERIOD = "2020-21"


def sample_year(home: Path, n_reports: int = 18) -> Path:
    """The folder of the sample year's PDFs under `home` (generated on first use)."""
    samples = Path(home) / "samples" / f"seed{SAMPLE_SEED}-n{n_reports}-long"
    if not (samples / "manifest.json").exists():
        print(
            f"generating {n_reports} synthetic sample reports of 40-100 pages (fictional "
            f"partnerships) in {samples} ...",
            file=sys.stderr,
        )
        generate_sample_set(samples, n=n_reports, seed=SAMPLE_SEED, period=SAMPLE_PERIOD)
    return samples
