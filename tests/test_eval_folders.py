"""Evals on any labelled folder (gold.csv beside a folder of reports), the refusals, evidence
availability and missed gold pages in the outputs, and loud warnings when comparing unlike runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation.harness import load_run, run_eval, store_run
from assistant.evaluation.human_scores import write_human_scores
from assistant.evaluation.labelled_year import gold_rows
from assistant.evaluation.summary import comparison_markdown, comparison_warnings
from assistant.questions import load_bank

BANK = load_bank()
QUESTIONS = ["A1", "A2", "A6", "B5"]


@pytest.fixture
def labelled_folder(tmp_path) -> Path:
    """gold.csv at the top, the PDFs in reports/ (the dev set's layout)."""
    from evals.synthetic.sample_reports import generate_sample_set

    folder = tmp_path / "mine"
    generate_sample_set(folder / "reports", n=2, seed=11)
    manifest = json.loads((folder / "reports" / "manifest.json").read_text())
    (folder / "reports" / "manifest.json").unlink()  # a user's folder has no manifest
    rows = [r for r in gold_rows(manifest, BANK) if r["question_id"] in QUESTIONS]
    write_human_scores(folder / "gold.csv", rows, BANK)
    return folder


def test_eval_run_finds_the_reports_below_a_labelled_folder(assistant, labelled_folder):
    run = run_eval(
        assistant.eval_library(),
        labelled_dir=labelled_folder,
        question_ids=QUESTIONS,
        n_boot=20,
        reliability_reports=0,
    )
    mx = run.metrics
    assert mx["n_reports"] == 2 and not mx["unresolved_reports"]
    assert mx["labelled_set"]["kind"] == "folder"
    assert mx["questions"]["A1"]["n_answered"] == 2
    summary = Path(run.outputs["summary"]).read_text()
    html = Path(run.outputs["html"]).read_text()
    for text in (summary, html):
        assert "Evidence availability by context strategy" in text
        assert "Gold pages retrieval missed" in text
    assert "| whole-report | every page | 100% | 100% | by construction |" in summary
    hybrid = mx["retrieval"]["overall"]["hybrid"]
    assert (
        f"| retrieved (hybrid) | top 8 blocks within the evidence budget | "
        f"{100 * hybrid['recall@8']:.0f}% |" in summary
    )
    missed = mx["retrieval"]["missed"]
    assert missed and all(set(m["missed_pages"]) <= set(m["gold_pages"]) for m in missed)
    assert all(
        set(m["missed_pages"]) == set(m["gold_pages"]) - set(m["retrieved_pages"]) for m in missed
    )
    assert Path(run.outputs["json"]).exists()


def _eval_cli(folder, capsys) -> tuple[int, str]:
    code = main(["eval", "run", "--labelled", str(folder), "--bootstrap", "10"])
    return code, capsys.readouterr().err


def test_eval_run_refuses_a_folder_without_reports(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "gold.csv").write_text(
        "report,question_id,answer,evidence_pages,auditor,notes\nx.pdf,A1,yes,,key,\n"
    )
    code, err = _eval_cli(folder, capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and "no PDF found below" in err


def test_eval_run_refuses_gold_rows_that_match_no_report(labelled_folder, capsys):
    gold = labelled_folder / "gold.csv"
    gold.write_text(gold.read_text() + "elsewhere_2020-21.pdf,A1,yes,3,key,\n")
    code, err = _eval_cli(labelled_folder, capsys)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "1 report(s) in gold.csv match no PDF" in err and "elsewhere_2020-21.pdf" in err


def test_compare_warns_loudly_on_different_sets_or_settings(assistant, labelled_folder, capsys):
    run = run_eval(
        assistant.eval_library(),
        labelled_dir=labelled_folder,
        question_ids=["A1"],
        n_boot=10,
        reliability_reports=0,
        modes=(),
    )
    a = load_run(assistant.db, run.eval_id)
    assert comparison_warnings(a, a) == []
    b = json.loads(json.dumps(a))
    b["eval_id"] = a["eval_id"] + "-b"
    b["labelled_set"]["describe"] = "generated year: 40 reports, seed 2021, period 2020-21"
    b["settings_hash"], b["embedding"] = "0123456789ab", "static"
    store_run(assistant.db, b, {})
    warnings = comparison_warnings(a, b)
    assert [w.split(":")[0] for w in warnings] == ["WARNING", "WARNING"]
    assert "different labelled sets" in warnings[0]
    assert "embedder hash → static" in warnings[1] and "settings hash" in warnings[1]
    assert comparison_markdown(a, b).startswith("**WARNING: different labelled sets")
    assert main(["eval", "compare", a["eval_id"], b["eval_id"]]) == 0
    captured = capsys.readouterr()
    assert "WARNING: different labelled sets" in captured.err
    assert "WARNING: different settings" in captured.err
    assert "| A1 |" in captured.out


def test_eval_workspace_survives_a_moved_data_home(assistant, tmp_path):
    """The eval workspace shares the embedding cache by a symlink; after the data home is moved
    (or renamed) the old link dangles, and the workspace points it at the current cache rather
    than failing on it."""
    from assistant.evaluation.workspace import workspace_settings

    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "cache").symlink_to(tmp_path / "old-home" / "cache", target_is_directory=True)
    settings = workspace_settings(assistant.settings, folder)
    assert settings.home == folder
    assert (folder / "cache").resolve() == assistant.settings.cache_dir.resolve()
