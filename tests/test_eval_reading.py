"""The Evals page's plain reading: Landis–Koch words, abstentions beside accuracy, warnings."""

from __future__ import annotations

from assistant.ui.eval_reading import judge_warnings, kappa_band, reading_rows, reading_summary


def test_kappa_bands_follow_landis_koch():
    assert kappa_band(0.45) == "moderate agreement"
    assert kappa_band(0.85) == "almost perfect agreement"
    assert kappa_band(0.61) == "substantial agreement"
    assert kappa_band(0.3) == "fair agreement"
    assert kappa_band(0.1) == "slight agreement"
    assert kappa_band(-0.2) == "worse than chance"
    assert kappa_band(float("nan")) == "–" and kappa_band(None) == "–"


def test_small_n_degenerate_interval_and_abstentions_are_called_out():
    q = {
        "n": 8,
        "n_answered": 2,
        "n_abstained": 6,
        "accuracy": 1.0,
        "accuracy_all": 0.25,
        "primary_kappa": 1.0,
        "primary_kappa_ci": [1.0, 1.0],
        "kind": "nominal",
    }
    warnings = judge_warnings(q)
    assert "n = 8: too few to judge" in warnings
    assert any("degenerate" in w for w in warnings)
    assert "6 of 8 abstained: the accuracy covers only 2" in warnings
    [row] = reading_rows({"questions": {"B1a": q}})
    assert row[:7] == ["B1a", 8, "6 of 8", "100%", "25%", "1.00", "almost perfect agreement"]
    fine = {**q, "n": 40, "n_answered": 38, "n_abstained": 2, "primary_kappa": 0.5}
    fine["primary_kappa_ci"] = [0.3, 0.7]
    assert judge_warnings(fine) == []
    text = reading_summary({"questions": {"B1a": q, "A1": fine, "C10": {"kind": "text"}}})
    assert text.startswith("2 questions scored; 1 have enough data to judge.")
    assert "1 with moderate agreement" in text
