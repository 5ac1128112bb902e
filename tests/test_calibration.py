"""Calibrated confidence: fitted agreement rates per rule cell, stored with a version on drafts."""

from __future__ import annotations

import math

from assistant.engines.base import EngineResult
from assistant.engines.calibration import (
    UNCALIBRATED,
    Calibration,
    calibrate,
    load_calibration,
    strength,
)
from assistant.engines.offline import OfflineEngine
from assistant.evaluation.metrics import auroc, confidence_summary, expected_calibration_error
from assistant.questions import load_bank


def test_a_rule_cell_estimates_agreement_and_sparse_cells_borrow_from_the_answer_type():
    rows = [("A4", "yes_partly_no", "strong", "yes", i < 9) for i in range(10)]
    rows += [("A4", "yes_partly_no", "passing", "no", i < 2) for i in range(10)]
    cal = Calibration.fit("offline", "m", "v1", rows)
    good = cal.probability("A4", "yes_partly_no", "strong", "yes")
    bad = cal.probability("A4", "yes_partly_no", "passing", "no")
    unseen = cal.probability("A4", "yes_partly_no", "dedicated", "partly")
    assert 0.7 < good < 0.9 and 0.15 < bad < 0.35
    assert math.isclose(unseen, 0.55, abs_tol=0.03)  # the answer type's rate, 11/20 smoothed


def test_cells_are_answer_type_by_rule_strength_not_per_question():
    # the same rule family on two questions pools; its cue count is not part of the cell
    rows = [("A2", "multi_select", "scoped options x2", ["a", "b"], i < 8) for i in range(10)]
    rows += [("B5", "multi_select", "scoped options x3", ["a", "b"], i < 8) for i in range(10)]
    rows += [("A3", "multi_select", "options x1", ["a", "b"], i < 1) for i in range(10)]
    cal = Calibration.fit("offline", "m", "v1", rows)
    assert strength("scoped options x3") == "scoped options" and strength("level 2") == "level"
    unseen_question = cal.probability("A7", "multi_select", "scoped options x1", ["a", "b"])
    assert unseen_question > 0.7  # the family's rate, though A7 was never fitted
    assert cal.probability("B5", "multi_select", "options x4", ["x", "y"]) < 0.3
    # the question branch, when weighted, moves a draft towards its question's own rate
    tilted = Calibration.fit("offline", "m", "v1", rows, question_weight=1.0)
    plain = cal.probability("A3", "multi_select", "scoped options x2", ["a", "b"])
    assert tilted.probability("A3", "multi_select", "scoped options x2", ["a", "b"]) < plain
    assert Calibration.from_json(tilted.to_json()).question_weight == 1.0


def test_cross_validation_leaves_each_report_out_of_its_own_calibration():
    from assistant.evaluation.calibration_fit import cross_validated, log_loss

    def rows_for(report, agreed):
        return [
            {"report": report, "question": "A4", "type": "yes_partly_no", "rule": "strong",
             "answer": "yes", "agreed": agreed}
            for _ in range(10)
        ]

    rows = rows_for("r1", True) + rows_for("r2", True) + rows_for("r3", False)
    conf = cross_validated(rows, "offline", "m")
    # r3 disagrees everywhere, but its confidence comes from r1 and r2 only: high, and wrong
    assert min(conf[20:]) > 0.8 and max(conf[:20]) < 0.85
    assert log_loss(rows, conf) > log_loss(rows, [0.67] * 30)


def test_drafts_carry_the_calibration_version_and_engines_without_one_are_uncalibrated():
    question = load_bank().get("A4")
    # a raw value no fitted cell lands on (the offline calibration reads the rule, not the raw
    # number: a rounder raw value such as 0.9 can coincide with a refit's probability)
    raw = 0.123
    result = EngineResult("answered", "yes", confidence=raw, features={"rule": "strong+data"})
    cal = load_calibration("offline", OfflineEngine.model)
    assert cal is not None and cal.version.startswith(f"offline-{OfflineEngine.model}-cal-")
    p, version = calibrate("offline", OfflineEngine.model, question, result)
    assert version == cal.version and 0 < p < 1 and p != raw
    p, version = calibrate("llm", "some-model", question, result)
    assert (p, version) == (raw, UNCALIBRATED)


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


def test_the_level_is_refitted_on_independent_reports_keeping_the_order():
    from assistant.engines.calibration import fit_recalibration, recalibrated

    # a calibration that says 0.6 where independent reports agree 9 times in 10
    probs = [0.6] * 20 + [0.3] * 20
    agreed = [i % 10 != 0 for i in range(20)] + [i % 2 == 0 for i in range(20)]
    a, b = fit_recalibration(probs, agreed)
    assert abs(recalibrated(0.6, (a, b)) - 0.9) < 0.05
    assert abs(recalibrated(0.3, (a, b)) - 0.5) < 0.05
    assert recalibrated(0.2, (a, b)) < recalibrated(0.3, (a, b)) < recalibrated(0.6, (a, b))
    cal = Calibration.fit("offline", "m", "v1", [("A4", "yes_partly_no", "strong", "yes", True)])
    cal.recalibration = (a, b)
    assert Calibration.from_json(cal.to_json()).recalibration == (a, b)


def test_the_evidence_strength_level_splits_a_rule_cell_by_its_supporting_sentences():
    from assistant.engines.calibration import evidence_key

    assert evidence_key({"n_support": 1, "n_pages": 1}) == "1/1p"
    assert evidence_key({"n_support": 5, "n_pages": 3}) == "4+/np"
    assert evidence_key({"rule": "strong"}) is None  # an engine that does not count support
    rows = [("A6", "rating", "partly", "partly", i < 9, 1.0, "1/1p") for i in range(10)]
    rows += [("A6", "rating", "partly", "partly", i < 3, 1.0, "4+/np") for i in range(10)]
    cal = Calibration.fit("offline", "m", "v1", rows)
    one = cal.probability("A6", "rating", "partly", "partly", "1/1p")
    many = cal.probability("A6", "rating", "partly", "partly", "4+/np")
    pooled = cal.probability("A6", "rating", "partly", "partly")
    assert one > pooled > many
    # stored and read back with the flag that says drafts are looked up at that level
    cal.evidence_level = True
    again = Calibration.from_json(cal.to_json())
    assert again.evidence_level and again.probability(
        "A6", "rating", "partly", "partly", "4+/np"
    ) == many
    assert Calibration.from_json({**cal.to_json(), "evidence_level": False}).evidence_level is False


# --- format 2: the logistic model -------------------------------------------------------------


def _facts(report, question="A4", support=1, agreed=True, independent=False, **extra):
    from assistant.engines.calibration import draft_facts

    rule = extra.pop("rule", "strong")
    row = draft_facts(
        question, question[0], extra.pop("type", "yes_partly_no"), rule,
        extra.pop("answer", "yes"), {"n_support": support, "n_pages": 1, "n_signals": 1},
        extra.pop("raw", None), independent,
    )
    return {**row, "report": report, "agreed": agreed, **extra}


def _supported_rows():
    # agreement rises with the supporting sentences: 1 of 4 with one, 3 of 4 with eight
    rows = []
    for r in range(6):
        for i in range(4):
            rows.append(_facts(f"r{r}", support=1, agreed=i == 0))
            rows.append(_facts(f"r{r}", support=8, agreed=i != 0))
    return rows


def test_the_logistic_model_rises_with_a_feature_that_predicts_agreement():
    from assistant.engines.calibration import LogisticCalibration

    cal = LogisticCalibration.fit("offline", "m", "v2", _supported_rows(), ["support"], l2=0.01)
    probs = [cal.probability_of(_facts("new", support=n)) for n in (0, 1, 2, 4, 8, 16, 1000)]
    assert probs == sorted(probs) and probs[0] < probs[-1]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert cal.coefficients["support"] > 0
    assert abs(cal.probability_of(_facts("new", support=1)) - 0.25) < 0.08
    assert abs(cal.probability_of(_facts("new", support=8)) - 0.75) < 0.08
    # a strong penalty pulls every draft towards the overall rate (0.5)
    flat = LogisticCalibration.fit("offline", "m", "v2", _supported_rows(), ["support"], l2=100)
    assert abs(flat.probability_of(_facts("new", support=8)) - 0.5) < 0.05


def test_rate_features_of_labelled_drafts_leave_their_own_report_out():
    from assistant.engines.calibration import feature_values, rate_counts

    rows = [_facts("r1", "A4", agreed=True) for _ in range(8)]
    rows += [_facts("r2", "A4", agreed=False) for _ in range(8)]
    counts = rate_counts(rows)
    own = rate_counts([r for r in rows if r["report"] == "r1"])
    # r1's drafts see only r2 (all disagreeing) on their question; a new report sees both
    assert feature_values(rows[0], counts, own)["question_same"] < -0.5
    assert abs(feature_values(rows[0], counts)["question_same"]) < 0.1


def test_logistic_cross_validation_is_leave_one_report_out():
    from assistant.engines.calibration import LogisticCalibration
    from assistant.evaluation.calibration_fit import cross_validated_logistic

    rows = [_facts(f"r{r}", "A4", agreed=True) for r in (1, 2) for _ in range(10)]
    rows += [_facts("r3", "A4", agreed=False) for _ in range(10)]
    rows += [_facts(f"r{r}", "B1", agreed=r != 2) for r in (1, 2, 3) for _ in range(10)]
    features = ["question_same", "support"]
    conf = cross_validated_logistic(rows, "offline", "m", features, 0.01)
    # r3 disagrees on A4 every time, but its confidence there comes from r1 and r2 only
    assert min(conf[20:30]) > 0.6
    train = [r for r in rows if r["report"] != "r3"]
    alone = LogisticCalibration.fit("offline", "m", "x", train, features, 0.01)
    assert conf[20] == alone.probability_of(rows[20])
    # r3's own labels never reach its confidences; they do reach the other reports'
    flipped = [{**r, "agreed": not r["agreed"]} if r["report"] == "r3" else r for r in rows]
    again = cross_validated_logistic(flipped, "offline", "m", features, 0.01)
    r3 = [i for i, r in enumerate(rows) if r["report"] == "r3"]
    assert [again[i] for i in r3] == [conf[i] for i in r3]
    assert again[0] != conf[0]


def test_a_logistic_calibration_round_trips_through_its_file_and_drafts_use_it(
    tmp_path, monkeypatch
):
    import json

    from assistant.engines import calibration as module

    cal = module.LogisticCalibration.fit(
        "offline", "m", "offline-m-cal-test", _supported_rows(), ["support", "theme_same"], 0.03
    )
    path = module.path_for("offline", "m", tmp_path)
    path.write_text(json.dumps(cal.to_json()))
    again = module.load_calibration("offline", "m", tmp_path)
    assert isinstance(again, module.LogisticCalibration) and again.to_json() == cal.to_json()
    row = _facts("new", support=8)
    assert again.probability_of(row) == cal.probability_of(row)
    monkeypatch.setattr(module, "DATA_DIR", tmp_path)
    question = load_bank().get("A4")
    result = EngineResult(
        "answered", "yes", confidence=0.9, features={"rule": "strong", "n_support": 8}
    )
    p, version = calibrate("offline", "m", question, result)
    facts = module.draft_facts(
        "A4", question.theme, question.answer_type.value, "strong", "yes", result.features
    )
    assert version == "offline-m-cal-test" and p == again.probability_of(facts)
    bad = {**cal.to_json(), "features": ["support", "no such feature"]}
    try:
        module.calibration_from_json(bad)
    except ValueError as exc:
        assert "no such feature" in str(exc)
    else:
        raise AssertionError("an unknown feature must not load")


def test_format_1_files_still_load_beside_format_2(tmp_path):
    import json

    from assistant.engines import calibration as module

    old = json.loads((module.DATA_DIR / "offline__rules-v5.json").read_text())
    assert "format" not in old
    cal = module.calibration_from_json(old)
    assert isinstance(cal, Calibration) and cal.format == 1
    path = module.path_for("offline", "rules-v5", tmp_path)
    path.write_text(json.dumps(old))
    loaded = module.load_calibration("offline", "rules-v5", tmp_path)
    result = EngineResult("answered", "yes", confidence=0.9, features={"rule": "strong"})
    question = load_bank().get("A4")
    assert loaded.confidence(question, result) == cal.probability(
        "A4", question.answer_type.value, "strong", "yes"
    )
    current = load_calibration("offline", OfflineEngine.model)
    assert current.format == 2 and isinstance(current, module.LogisticCalibration)


def test_an_llm_self_reported_confidence_goes_through_the_same_calibration(tmp_path, monkeypatch):
    import json

    from assistant.engines import calibration as module

    # an LLM that is right 4 times in 5 when it says 0.9 and 1 in 5 when it says 0.6
    rows = []
    for r in range(5):
        for i in range(5):
            rows.append(_facts(f"r{r}", rule="", raw=0.9, agreed=i != 0, independent=True))
            rows.append(_facts(f"r{r}", rule="", raw=0.6, agreed=i == 0, independent=True))
    cal = module.LogisticCalibration.fit("llm", "gpt-x", "llm-gpt-x-cal-1", rows, ["raw"], 0.01)
    module.path_for("llm", "gpt-x", tmp_path).write_text(json.dumps(cal.to_json()))
    monkeypatch.setattr(module, "DATA_DIR", tmp_path)
    question = load_bank().get("A4")
    said = {c: EngineResult("answered", "yes", confidence=c) for c in (0.9, 0.6)}
    high, version = calibrate("llm", "gpt-x", question, said[0.9])
    low, _ = calibrate("llm", "gpt-x", question, said[0.6])
    assert version == "llm-gpt-x-cal-1" and high > 0.7 and low < 0.3
    assert calibrate("llm", "other", question, EngineResult("answered", "yes", confidence=0.6)) == (
        0.6, UNCALIBRATED,
    )


def test_the_rows_cache_drafts_once_and_again_when_the_drafting_code_changes(
    tmp_path, monkeypatch
):
    from assistant.evaluation import calibration_fit as fit

    calls = []

    def drafted(home, gold, engine):
        calls.append((home, gold, engine))
        return [_facts(f"{home}:r1", agreed=True)]

    monkeypatch.setattr(fit, "labelled_rows", drafted)
    cache = tmp_path / "rows.json"
    sources = [f"{tmp_path}/a={tmp_path}/gold.csv*2"]
    first = fit.gather(sources, cache)
    again = fit.gather(sources, cache)
    assert len(calls) == 1 and again == first and cache.is_file()
    monkeypatch.setattr(fit, "_engine_digest", lambda: "changed")
    fit.gather(sources, cache)
    assert len(calls) == 2


def test_independent_and_generated_sets_weigh_half_each_when_choosing():
    from assistant.evaluation.calibration_fit import _balanced

    # one independent set against two generated ones: the generated pair counts once
    assert _balanced([0.2, 0.4, 0.6], [True, False, False]) == (0.2 + 0.5) / 2
    assert _balanced([0.4, 0.6], [False, False]) == 0.5


def test_an_eval_on_a_set_the_calibration_was_fitted_on_says_in_sample():
    from assistant.engines.calibration import load_calibration
    from assistant.evaluation.harness import _fitted_on, _gold_set_name
    from assistant.evaluation.summary import IN_SAMPLE, headline

    cal = load_calibration("offline", OfflineEngine.model)
    fitted = str(cal.fitted_on[0]).split(":", 1)[0]  # e.g. "devset/gold.csv"
    folder = fitted.split("/", 1)[0]
    assert _gold_set_name({"gold_csv": f"/somewhere/{folder}/gold.csv"}) == fitted
    assert _fitted_on("offline", OfflineEngine.model, cal.version, fitted)
    assert not _fitted_on("offline", OfflineEngine.model, cal.version, "elsewhere/gold.csv")
    assert not _fitted_on("offline", OfflineEngine.model, "an-older-version", fitted)
    assert not _fitted_on("offline", OfflineEngine.model, cal.version, None)
    group = {"ece": 0.05, "auroc": 0.9, "n": 10, "calibrations": {cal.version: 10}}
    mx = {
        "eval_id": "ev-1",
        "engine": "offline",
        "model": OfflineEngine.model,
        "labelled_set": {"describe": "a set"},
        "themes": {},
        "overall": {"single_choice_accuracy": 0.9, "mean_primary_kappa": 0.8},
        "confidence": {"offline": group},
    }
    assert IN_SAMPLE not in headline(mx)
    group["in_sample"] = True
    assert IN_SAMPLE in headline(mx)


def test_an_eval_says_where_the_confidence_level_was_set(tmp_path, monkeypatch):
    import json

    from assistant.engines import calibration as module
    from assistant.evaluation.harness import _level_set_on
    from assistant.evaluation.summary import _confidence

    cal = module.LogisticCalibration.fit("offline", "m", "v-level", _supported_rows(), ["support"])
    cal.recalibration, cal.recalibrated_on = (-0.3, 0.6), ["blindset5/gold.csv: 78 drafts"]
    module.path_for("offline", "m", tmp_path).write_text(json.dumps(cal.to_json()))
    monkeypatch.setattr(module, "DATA_DIR", tmp_path)
    assert _level_set_on("offline", "m", {"v-level": 3}) == ["blindset5/gold.csv: 78 drafts"]
    assert _level_set_on("offline", "m", {"an-older-version": 3}) == []
    group = {
        "n": 3, "accuracy": 1.0, "mean_confidence": 0.7, "ece": 0.3, "auroc": None,
        "distinct_values": 1, "calibrations": {"v-level": 3}, "bins": [],
        "level_set_on": ["blindset5/gold.csv: 78 drafts"],
    }
    text = " ".join(_confidence({"confidence": {"offline (m)": group}}).text)
    assert "set on reports the rules were never tuned on (blindset5/gold.csv: 78 drafts)" in text


def test_the_blind_set_is_built_for_the_calibration_and_rebuilt_when_its_key_changes(tmp_path):
    """`make calibrate` fits on the blind set too (evals/blindset, written blind to the
    engine): built below CAL_HOME with its gold.csv, again when its key is newer."""
    import os
    import time

    from assistant.config import REPO_ROOT
    from assistant.evaluation.calibration_fit import blind_set

    folder = blind_set(tmp_path / "blind")
    pdfs = sorted(p.name for p in (folder / "reports").glob("*.pdf"))
    gold = (REPO_ROOT / "evals" / "blindset" / "gold.csv").read_text(encoding="utf-8")
    assert len(pdfs) == 2 and (folder / "gold.csv").read_text(encoding="utf-8") == gold
    assert all(name.split(",")[0] in pdfs for name in gold.splitlines()[1:])
    first = (folder / "reports" / pdfs[0]).stat().st_mtime
    assert blind_set(folder) == folder  # up to date: not rebuilt
    assert (folder / "reports" / pdfs[0]).stat().st_mtime == first
    (folder / "gold.csv").unlink()
    old = time.time() - 3600
    for pdf in (folder / "reports").glob("*.pdf"):
        os.utime(pdf, (old, old))  # older than the key: rebuilt
    blind_set(folder)
    assert (folder / "gold.csv").is_file()
    assert (folder / "reports" / pdfs[0]).stat().st_mtime > old


def test_a_set_never_tuned_on_sets_the_level_for_new_reports_keeping_the_order(capsys):
    """Drafts of reports the rules were tuned on agree more often than a new report's: the
    fresh set (written blind, never fitted, never read for rules) lowers the level, the order
    of drafts stays the model's, and the file keeps the level."""
    from assistant.engines.calibration import LogisticCalibration
    from assistant.evaluation.calibration_fit import _fresh_level

    cal = LogisticCalibration.fit("offline", "m", "v2", _supported_rows(), ["support"], l2=0.01)
    # the fresh reports agree half as often as the fitting ones at each support level
    fresh_rows = []
    for r in range(4):
        for i in range(8):
            fresh_rows.append(_facts(f"f{r}", support=1, agreed=i == 0))
            fresh_rows.append(_facts(f"f{r}", support=8, agreed=i < 3))
    before = [cal.probability_of(_facts("new", support=n)) for n in (1, 8)]
    level, offsets, conf = _fresh_level(cal, {"home=fresh/gold.csv": fresh_rows})
    assert level[0] < 0 and "chosen level" in capsys.readouterr().out
    assert offsets == {}  # no answer kind in these rows tells the level apart
    cal.recalibration = level
    after = [cal.probability_of(_facts("new", support=n)) for n in (1, 8)]
    assert after[0] < before[0] and after[1] < before[1] and after[0] < after[1]
    # near the fresh set's own rates (1 of 8, 3 of 8), each report predicted without itself
    assert abs(after[1] - 0.375) < 0.1 and abs(after[0] - 0.125) < 0.1
    assert len(conf) == len(fresh_rows) and all(0 < c < 1 for c in conf)
    again = LogisticCalibration.from_json(cal.to_json())
    assert again.recalibration == level and again.probability_of(_facts("x", support=8)) == after[1]
    # a fresh set that agrees as the fitting sets do keeps the model's level
    same = [{**r, "report": f"g{k}"} for k, r in enumerate(_supported_rows())]
    assert _fresh_level(cal.__class__.from_json({**cal.to_json(), "recalibration": [0, 1]}),
                        {"home=same/gold.csv": same})[0] == (0.0, 1.0)


def test_the_level_on_new_reports_may_differ_by_answer_kind(capsys):
    """On new reports a multi-select's exact set is right less often than the fitting sets
    taught the model, and a 'partly' more often: asked to (`--level-kinds`), the fresh sets
    move those kinds' level apart when that predicts them better report by report, the file
    keeps the offsets, a draft gets them, and a file naming an offset this code does not know
    is refused."""
    import pytest

    from assistant.engines.calibration import LogisticCalibration
    from assistant.evaluation.calibration_fit import _fresh_level

    cal = LogisticCalibration.fit("offline", "m", "v2", _supported_rows(), ["support"], l2=0.01)
    fresh_rows = []
    for r in range(5):  # at each support level: multi-selects 1 of 8, 'partly' 7 of 8
        for n in (1, 8):
            for i in range(8):
                fresh_rows.append(_facts(f"f{r}", support=n, type="multi_select",
                                         answer=["neglect"], agreed=i == 0))
                fresh_rows.append(_facts(f"f{r}", support=n, answer="partly", agreed=i != 0))
                fresh_rows.append(_facts(f"f{r}", support=n, agreed=i < 4))
    _, offsets, _ = _fresh_level(cal, {"home=fresh/gold.csv": fresh_rows})
    assert offsets == {} and "answer kinds" not in capsys.readouterr().out  # off by default
    level, offsets, conf = _fresh_level(cal, {"home=fresh/gold.csv": fresh_rows}, kinds=True)
    assert "intercept and answer kinds" in capsys.readouterr().out.split("chosen level:")[1]
    assert offsets["multi"] < -1 and offsets["middle"] > 1
    cal.recalibration, cal.level_offsets = level, offsets
    again = LogisticCalibration.from_json(cal.to_json())
    kinds = {
        "multi": _facts("new", support=8, type="multi_select", answer=["neglect"]),
        "partly": _facts("new", support=8, answer="partly"),
        "yes": _facts("new", support=8),
    }
    got = {k: again.probability_of(row) for k, row in kinds.items()}
    assert got["multi"] < 0.3 < got["yes"] < got["partly"] and got["partly"] > 0.7
    assert got == {k: cal.probability_of(row) for k, row in kinds.items()}
    with pytest.raises(ValueError, match="unknown features"):
        LogisticCalibration.from_json({**cal.to_json(), "level_offsets": {"colour": 1.0}})


def test_the_sets_never_tuned_on_choose_the_features_when_given(capsys):
    """A feature that predicts agreement on the fitting sets but not on new reports loses to
    one that does not pretend to: with fresh sets, they choose the candidate."""
    from assistant.evaluation.calibration_fit import choose_for_new_reports, choose_logistic

    fitting = _supported_rows()  # support predicts agreement: 1 of 4 with one, 3 of 4 with eight
    fresh_rows = []
    for r in range(4):  # on new reports, support says nothing: 1 of 2 either way
        for i in range(6):
            fresh_rows.append(_facts(f"f{r}", support=1, agreed=i % 2 == 0))
            fresh_rows.append(_facts(f"f{r}", support=8, agreed=i % 2 == 1))
    candidates = {"support": ("support",), "flat": ("independent",)}
    sets = {"home=fit/gold.csv": fitting}
    assert choose_logistic(sets, "offline", "m", candidates)[0] == "support"
    name, features, _ = choose_for_new_reports(
        fitting, {"home=fresh/gold.csv": fresh_rows}, "offline", "m", candidates
    )
    assert (name, features) == ("flat", ("independent",))
    assert "on new reports: log-loss" in capsys.readouterr().out


def test_the_drafts_cache_goes_stale_with_the_page_order_not_the_calibration(tmp_path):
    """The labelled drafts `make calibrate` caches follow the evidence, so a new learned page
    order (`make rerank`) must re-draft them; a new calibration file must not."""
    from assistant.evaluation.calibration_fit import _engine_digest

    (tmp_path / "assistant" / "retrieval_weights").mkdir(parents=True)
    (tmp_path / "assistant" / "engines" / "calibrations").mkdir(parents=True)
    (tmp_path / "prompts").mkdir()
    (tmp_path / "assistant" / "engine.py").write_text("RULES = 1\n")
    weights = tmp_path / "assistant" / "retrieval_weights" / "page-rerank__static.json"
    weights.write_text('{"w": [1.0]}')
    calibration = tmp_path / "assistant" / "engines" / "calibrations" / "offline__rules-v1.json"
    calibration.write_text('{"version": "a"}')
    (tmp_path / "prompts" / "audit_tool.yaml").write_text("questions: []\n")
    before = _engine_digest(tmp_path)
    calibration.write_text('{"version": "b"}')
    assert _engine_digest(tmp_path) == before
    weights.write_text('{"w": [2.0]}')
    assert _engine_digest(tmp_path) != before
