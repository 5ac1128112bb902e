"""The sets built from sources by evals/blindset/build.py (evals/blindset to blindset4,
devset2), built into a test's temp folder: its PDFs under reports/, its gold.csv beside them."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from assistant.config import REPO_ROOT


def build_set(tmp_path: Path, name: str) -> Path:
    spec = importlib.util.spec_from_file_location(
        "blindset_build", REPO_ROOT / "evals" / "blindset" / "build.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.use_set(REPO_ROOT / "evals" / name)
    folder = tmp_path / name
    build.build_all(folder / "reports")
    shutil.copyfile(REPO_ROOT / "evals" / name / "gold.csv", folder / "gold.csv")
    return folder
