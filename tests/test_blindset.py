"""The blind sets' keys must not drift from their PDFs: build them into a temp dir and check that
every key page carries its marker phrase and that gold.csv is exactly what key.yaml implies
(evals/blindset to blindset11, devset2 and devset3, built by the same build.py)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from assistant.evaluation.sets import labelled_sets, read_sets, sets_in

pytest.importorskip("reportlab")
pytest.importorskip("pypdf")

BUILD = Path(__file__).resolve().parents[1] / "evals" / "blindset" / "build.py"


def _build_module():
    spec = importlib.util.spec_from_file_location("blindset_build", BUILD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


BUILT = [s.name for s in sets_in(source="built")]


def test_every_set_under_evals_is_registered_with_its_role_and_gate():
    """A new set cannot be left out of the calibration's held-out loop, make rerank, these key
    checks or the CI gates: they all read evals/sets.json."""
    evals = BUILD.parents[1]
    folders = sorted(p.parent.name for p in evals.glob("*/sources"))
    assert sorted(BUILT) == folders
    gates = json.loads((evals / "data" / "thresholds.json").read_text())
    assert [s.name for s in sets_in() if s.source != "generated" and s.name not in gates] == []
    for labelled in sets_in(source="built"):
        with open(evals / labelled.name / "gold.csv", newline="") as handle:
            reports = {row["report"] for row in csv.DictReader(handle)}
        assert len(reports) == labelled.reports, labelled
    assert {s.role for s in sets_in()} == {"fitting", "level", "held-out"}
    assert len({s.short for s in sets_in()}) == len(sets_in())


def test_rerank_sums_the_fitting_sets_in_their_fixed_order(tmp_path):
    """make rerank's weights depend on the order its sets' pairs are summed in: it is each
    fitting set's rerank_order, the order the shipped weights were fitted in, and a list that
    gives two sets one place (or none) is refused with the file named."""
    fitting = [s.short for s in sorted(sets_in("fitting"), key=lambda s: s.rerank_order)]
    assert fitting == "dev dev2 dev3 blind blind2 blind3 blind5 short long blind4 blind8".split()
    listed = json.loads((BUILD.parents[1] / "sets.json").read_text())
    assert read_sets(BUILD.parents[1] / "sets.json") == labelled_sets()
    for broken in ("same place", "missing"):
        entries = [dict(entry) for entry in listed["sets"]]
        first = next(e for e in entries if e["role"] == "fitting")
        if broken == "same place":
            first["rerank_order"] = 2
        else:
            del first["rerank_order"]
        path = tmp_path / f"{broken.replace(' ', '-')}.json"
        path.write_text(json.dumps({"sets": entries}))
        with pytest.raises(ValueError, match=f"{path}.*rerank_order"):
            read_sets(path)


@pytest.mark.parametrize("folder", BUILT)
def test_blindset_key_matches_built_pdfs(tmp_path, folder):
    build = _build_module()
    build.use_set(BUILD.parents[1] / folder)
    problems = build.check(tmp_path)
    assert problems == []
    pdfs = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert pdfs and all("_" in p for p in pdfs)
    for pdf in tmp_path.glob("*.pdf"):
        texts = build.page_texts(pdf)
        assert all(f"page {i} of {len(texts)}" in t for i, t in enumerate(texts, 1))
        assert "contents" in texts[1]
