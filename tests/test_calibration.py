"""Calibrated confidence: fitted agreement rates per rule cell, stored with a version on drafts."""

from __future__ import annotations

import math

from assistant.engines.base import EngineResult
from assistant.engines.calibration import UNCALIBRATED, Calibration, calibrate, load_calibration
from assistant.engines.offline import OfflineEngine
from assistant.evaluation.metrics import auroc, confidence_summary, expected_calibration_error
from assistant.questions import load_bank


def test_a_rule_cell_estimates_agreement_and_sparse_cells_borrow_from_the_question():
    rows = [("A4", "yes_partly_no", "strong", "yes", i < 9) for i in range(10)]
    rows += [("A4", "yes_partly_no", "passing", "no", i < 2) for i in range(10)]
    cal = Calibration.fit("offline", "m", "v1", rows)
    good = cal.probability("A4", "yes_partly_no", "strong", "yes")
    bad = cal.probability("A4", "yes_partly_no", "passing", "no")
    unseen = cal.probability("A4", "yes_partly_no", "dedicated", "partly")
    assert 0.7 < good < 0.9 and 0.15 < bad < 0.35
    assert math.isclose(unseen, 0.55, abs_tol=0.03)  # the question's rate, 11/20 smoothed


def test_drafts_carry_the_calibration_version_and_engines_without_one_are_uncalibrated():
    question = load_bank().get("A4")
    result = EngineResult("answered", "yes", confidence=0.9, features={"rule": "strong+data"})
    cal = load_calibration("offline", OfflineEngine.model)
    assert cal is not None and cal.version.startswith(f"offline-{OfflineEngine.model}-cal-")
    p, version = calibrate("offline", OfflineEngine.model, question, result)
    assert version == cal.version and 0 < p < 1 and p != 0.9
    p, version = calibrate("llm", "some-model", question, result)
    assert (p, version) == (0.9, UNCALIBRATED)


def test_stored_offline_drafts_have_calibrated_confidence(assistant, tmp_path):
    from tests.make_pdf import text_pdf
    from tests.test_offline_engine import PAGES

    list(assistant.ingest([text_pdf(tmp_path / "ashcombe.pdf", PAGES)]))
    _, outcomes = assistant.draft_report("ashcombe", question_ids=["A6", "B7"], engine="offline")
    stored = assistant.drafts.for_report(outcomes[0].draft.report_id)
    assert {d.calibration for d in stored} == {
        load_calibration("offline", OfflineEngine.model).version
    }
    assert all(d.confidence_basis and d.raw_confidence is not None for d in stored)


def test_ece_and_auroc():
    conf = [0.9, 0.9, 0.1, 0.1]
    assert math.isclose(expected_calibration_error(conf, [True, True, False, False]), 0.1)
    assert auroc(conf, [True, True, False, False]) == 1.0
    assert auroc([0.5] * 4, [True, False, True, False]) == 0.5
    assert math.isnan(auroc(conf, [True] * 4))
    s = confidence_summary(conf, [True, False, False, False])
    assert s["n"] == 4 and [b["n"] for b in s["bins"]] == [2, 2]
