"""Agreement statistics against published and hand-computed values.

Sources of the textbook figures are named next to each example.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.evaluation import metrics as m

# Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
# Psychological Measurement 20, 37-46, Table 1: proportions for 200 subjects, 3 categories
# (reproduced in the R psych package's cohen.kappa example). Cohen reports kappa = .492.
COHEN_1960 = np.array([[0.44, 0.07, 0.09], [0.05, 0.20, 0.05], [0.01, 0.03, 0.06]]) * 200

# Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed.: 100 pregnant women
# classified by two abstractors (ectopic / abnormal intrauterine / normal intrauterine); the
# irrCAC package's `cont3x3abstractors` data. Published: kappa .796, quadratic kappa .892,
# AC1 .849.
GWET_ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters each, 5 categories;
# published P-bar = 0.378, Pe-bar = 0.213, kappa = 0.210.
FLEISS_WIKIPEDIA = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Gwet (2014), Handbook, 4th ed., p. 120: 4 raters, 12 subjects, categories 1-5, with missing
# ratings (irrCAC `raw_4raters`). Published: Fleiss kappa 0.761 (pa 0.818, pe 0.239),
# AC1 0.775 (pe 0.190).
GWET_4RATERS = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, None, 3, None],
]


def expand(table: np.ndarray) -> tuple[list[int], list[int]]:
    """Item-level ratings (row category, column category) from a counts table."""
    ref, pred = [], []
    for i, row in enumerate(np.asarray(table, dtype=int)):
        for j, count in enumerate(row):
            ref += [i] * count
            pred += [j] * count
    return ref, pred


def test_cohen_1960_kappa():
    # po = .70, pe = .60*.50 + .30*.30 + .10*.20 = .41, kappa = .29/.59
    assert m.observed_agreement(COHEN_1960) == pytest.approx(0.70)
    assert m.cohen_kappa(COHEN_1960) == pytest.approx(0.29 / 0.59)
    assert round(m.cohen_kappa(COHEN_1960), 3) == 0.492


def test_cohen_1968_weighted_kappa_with_custom_weights():
    # Cohen (1968), Weighted kappa, Psychological Bulletin 70, 213-220: the same table with
    # disagreement weights 1, 3, 6 (psych::cohen.kappa example: "cohen reports ... .348").
    # By hand: sum v*p_o = .12 + 3*.10 + 6*.08 = .90; sum v*p_e = .33 + 3*.17 + 6*.09 = 1.38.
    weights = np.array([[0, 1, 3], [1, 0, 6], [3, 6, 0]])
    assert m.weighted_kappa(COHEN_1960, weights) == pytest.approx(1 - 0.90 / 1.38)
    assert round(m.weighted_kappa(COHEN_1960, weights), 3) == 0.348


def test_quadratic_weighted_kappa_by_hand():
    # Agreement weights 1, .75, 0 on Cohen's table: po_w = .70 + .75*.20 = .85,
    # pe_w = .41 + .75*(.18 + .15 + .06 + .03) = .725, kappa_w = .125/.275.
    assert m.weighted_kappa(COHEN_1960) == pytest.approx(0.125 / 0.275)


def test_gwet_handbook_abstractors():
    assert round(m.cohen_kappa(GWET_ABSTRACTORS), 3) == 0.796
    assert round(m.weighted_kappa(GWET_ABSTRACTORS, "quadratic"), 3) == 0.892
    assert round(m.gwet_ac1(GWET_ABSTRACTORS), 3) == 0.849
    assert round(m.weighted_kappa(GWET_ABSTRACTORS, "linear"), 3) == 0.843  # irrCAC linear


def test_quadratic_kappa_matches_the_moment_formula():
    # Independent check: quadratic kappa = 2 cov(x, y) / (var x + var y + (mean x - mean y)^2)
    # with population moments (Schuster 2004), on random ordinal data.
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, 200)
    y = np.clip(x + rng.integers(-1, 2, 200), 0, 3)
    table = m.confusion_matrix(x.tolist(), y.tolist(), [0, 1, 2, 3])
    cov = np.mean((x - x.mean()) * (y - y.mean()))
    expected = 2 * cov / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)
    assert m.weighted_kappa(table) == pytest.approx(expected)


def test_two_categories_quadratic_equals_nominal():
    table = np.array([[20, 5], [10, 15]])
    assert m.weighted_kappa(table) == pytest.approx(m.cohen_kappa(table))


def test_kappa_paradox_ac1_and_pabak():
    # High agreement on a dominant category: 118 both yes, 5 + 2 disagreements, 0 both no.
    # By hand: po = .944; kappa pe = (123*120 + 2*5)/125^2 = .94528 -> kappa = -.0234;
    # AC1 pi_yes = (123 + 120)/250 = .972, pe = 2 * .972 * .028 = .054432 -> AC1 = .9408;
    # PABAK = 2 * .944 - 1 = .888.
    table = np.array([[118, 5], [2, 0]])
    assert m.cohen_kappa(table) == pytest.approx((0.944 - 0.94528) / (1 - 0.94528))
    assert m.gwet_ac1(table) == pytest.approx((0.944 - 0.054432) / (1 - 0.054432))
    assert m.pabak(table) == pytest.approx(0.888)


def test_pabak_three_categories_is_brennan_prediger():
    # q = 3, po = .89: (3 * .89 - 1) / 2 = .835
    assert m.pabak(GWET_ABSTRACTORS) == pytest.approx(0.835)


def test_undefined_kappa_is_nan_not_a_number_made_up():
    one_category = np.array([[10, 0], [0, 0]])
    assert math.isnan(m.cohen_kappa(one_category))
    assert m.gwet_ac1(one_category) == pytest.approx(1.0)  # AC1 stays defined
    assert math.isnan(m.cohen_kappa(np.zeros((2, 2))))


def test_fleiss_wikipedia_example():
    assert round(m.fleiss_kappa(FLEISS_WIKIPEDIA), 3) == 0.210


def test_multi_rater_with_missing_ratings_gwet_handbook():
    counts = m.rating_counts(GWET_4RATERS, [1, 2, 3, 4, 5])
    assert round(m.fleiss_kappa(counts), 3) == 0.761
    assert round(m.gwet_ac1_multi(counts), 3) == 0.775


def test_multi_rater_two_raters_equals_two_rater_ac1():
    ref, pred = expand(GWET_ABSTRACTORS)
    counts = m.rating_counts(list(zip(ref, pred, strict=True)), [0, 1, 2])
    assert m.gwet_ac1_multi(counts) == pytest.approx(m.gwet_ac1(GWET_ABSTRACTORS))


def test_confusion_matrix_rows_are_reference_and_rejects_unknown_values():
    table = m.confusion_matrix(["yes", "no", "no"], ["yes", "yes", "no"], ["yes", "no"])
    assert table.tolist() == [[1, 0], [1, 1]]
    with pytest.raises(ValueError, match="maybe"):
        m.confusion_matrix(["yes"], ["maybe"], ["yes", "no"])


def test_agreement_summary_and_seeded_bootstrap():
    ref, pred = expand(GWET_ABSTRACTORS)
    a = m.agreement_summary(ref, pred, [0, 1, 2], ordinal=True, n_boot=300, seed=3)
    b = m.agreement_summary(ref, pred, [0, 1, 2], ordinal=True, n_boot=300, seed=3)
    assert a["n"] == 100 and a["accuracy"] == pytest.approx(0.89)
    assert round(a["kappa"], 3) == 0.796 and round(a["weighted_kappa"], 3) == 0.892
    assert a["kappa_ci"] == b["kappa_ci"]  # same seed, same interval
    low, high = a["kappa_ci"]
    assert low < a["kappa"] < high and high - low < 0.3
    # irrCAC's analytic 95% CI for this kappa is (0.680, 0.913): the bootstrap is close
    assert abs(low - 0.680) < 0.06 and abs(high - 0.913) < 0.06
    assert a["confusion"]["matrix"] == GWET_ABSTRACTORS.tolist()


def test_bootstrap_needs_two_items():
    assert m.bootstrap_ci(lambda idx: 1.0, 1) is None


def test_multi_select_by_hand():
    ref = [["neglect", "da"], ["neglect"], [], ["cse"]]
    pred = [["neglect"], ["neglect", "da"], [], ["da"]]
    s = m.multi_select_summary(ref, pred, ["neglect", "da", "cse"], n_boot=50)
    # neglect: tp 2; da: tp 0, fp 2, fn 1; cse: fn 1 -> micro P = 2/(2+2), R = 2/(2+2)
    assert s["micro_precision"] == pytest.approx(0.5)
    assert s["micro_recall"] == pytest.approx(0.5)
    assert s["micro_f1"] == pytest.approx(0.5)
    assert s["per_option"]["neglect"]["f1"] == pytest.approx(1.0)
    assert s["per_option"]["da"]["f1"] == 0.0
    # Jaccard per item: 1/2, 1/2, 1 (both empty), 0 -> mean .5
    assert s["jaccard"] == pytest.approx(0.5)
    assert s["exact_match"] == pytest.approx(0.25)
    assert s["macro_f1"] == pytest.approx(1 / 3)


def test_count_summary():
    s = m.count_summary([3, 0, 10, 4], [3, 1, 8, 4], n_boot=50)
    assert s["exact_match"] == pytest.approx(0.5)
    assert s["mae"] == pytest.approx(0.75)


def test_prevalence_counts_each_side_on_its_own_denominator():
    rows = m.prevalence([["neglect"], ["neglect"], []], [["neglect"], []], ["neglect"])
    assert rows[0]["human"] == 2 and rows[0]["human_n"] == 3
    assert rows[0]["draft"] == 1 and rows[0]["draft_n"] == 2
    assert rows[0]["diff_points"] == pytest.approx((1 / 2 - 2 / 3) * 100)


def test_retrieval_recall_and_citation_precision():
    assert m.recall_at_k([4, 9, 3, 3, 7], {3, 7}, 3) == pytest.approx(0.5)
    assert m.recall_at_k([4, 9, 3, 3, 7], {3, 7}, 5) == pytest.approx(1.0)
    summary = m.retrieval_summary([([1, 2], {2}), ([5], {6}), ([1], set())], ks=(1, 2))
    assert summary["n"] == 2 and summary["n_without_gold"] == 1
    assert summary["recall@1"] == 0.0 and summary["recall@2"] == pytest.approx(0.5)
    assert summary["hit@2"] == pytest.approx(0.5)
    # five gold pages: three of them at the top is all k=3 can hold, though recall@3 is 0.6
    five = {2, 4, 6, 8, 10}
    assert m.recall_at_k([2, 4, 6, 1], five, 3) == pytest.approx(0.6)
    assert m.capped_recall_at_k([2, 4, 6, 1], five, 3) == pytest.approx(1.0)
    assert m.capped_recall_at_k([2, 1, 3, 4], five, 3) == pytest.approx(1 / 3)
    assert m.capped_recall_at_k([5, 7], {7}, 1) == 0.0  # one gold page: capped equals recall
    capped = m.retrieval_summary([([2, 4, 6], five), ([9], {9})], ks=(3,))
    assert capped["capped_recall@3"] == pytest.approx(1.0)
    assert capped["recall@3"] == pytest.approx((0.6 + 1.0) / 2)
    cp = m.citation_precision([{3, 4}, {8}, {2}], [{3}, {8}, set()])
    assert cp["precision"] == pytest.approx(2 / 3) and cp["cited_without_gold"] == 1


def test_majority_baseline_is_leave_one_out():
    values = ["no", "no", "yes"]
    # item 0 sees [no, yes] (tie -> first category "yes"), item 1 likewise, item 2 sees [no, no]
    assert m.majority_baseline_loo(values, "single", ["yes", "no"]) == ["yes", "yes", "no"]
    # item 0 sees [a, b], [b]: only b is in more than half; item 1 sees [a], [b]: neither
    multi = [["a"], ["a", "b"], ["b"]]
    assert m.majority_baseline_loo(multi, "multi", ["a", "b"]) == [["b"], [], ["a"]]
    # medians of the others: [5, 9, 2] -> 5, [1, 9, 2] -> 2, [1, 5, 2] -> 2, [1, 5, 9] -> 5
    assert m.majority_baseline_loo([1, 5, 9, 2], "count") == [5, 2, 2, 5]


def test_self_agreement():
    runs = [{"r1:A1": "yes", "r1:A2": ["a", "b"]}, {"r1:A1": "no", "r1:A2": ["b", "a"]}]
    result = m.self_agreement(runs)
    assert result["n"] == 2 and result["agreement"] == pytest.approx(0.5)
    assert result["differing"] == ["r1:A1"]
    with pytest.raises(ValueError):
        m.self_agreement(runs[:1])
