"""Issue 22: how far each dimension holds up (permutation null per dimension), null baselines beside every
validity figure, the correlation-weighted rule's held-out validity, alpha on the family-centred ratings.

Where each expected number comes from is said per test: the issue's audit (shuffling the questionnaire scores
among raters within survey group, 400 times; cross-validation within survey groups), ``scipy.stats``,
``pingouin.cronbach_alpha``, a simulation with a known truth, or a hand computation. Numbers only this code
produced are labelled "regression pin".
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy import stats
from valueportrait.builders.centred import (
    centred_alpha,
    centred_ratings,
    item_intercorrelations,
)
from valueportrait.builders.crossval import held_out_scores
from valueportrait.builders.halves import SurveyBlocks, survey_blocks
from valueportrait.builders.permutation import (
    dimension_null,
    needed_p_values,
    null_selection,
    permutations,
    shuffled_blocks,
)
from valueportrait.builders.validity import validity_report

from valueportrait.scale import DIMENSIONS
from valueportrait.selection import select
from valueportrait.spearman import p_value, spearman_matrix, spearman_permuted

RULE = {"threshold": 0.3, "alpha": 0.05, "mode": "pos", "correction": "none"}
#: The issue's audit: the 8 dimensions that select no more items than chance, and the 8 far above it (p < 0.003)
#: with their selected counts (the 9th strong one, Hedonism, had 33 at p < 0.003 too).
CHANCE_LEVEL = {("bfi", "Neuroticism"): 5, ("higher_pvq", "Openness_to_Change"): 10, ("pvq", "Self_Direction"): 11,
                ("pvq", "Tradition"): 12, ("pvq", "Benevolence"): 13, ("pvq", "Security"): 14,
                ("pvq", "Universalism"): 15, ("higher_pvq", "Self_Transcendence"): 16}
STRONG = {("bfi", "Agreeableness"): 92, ("bfi", "Conscientiousness"): 72, ("higher_pvq", "Self_Enhancement"): 66,
          ("pvq", "Power"): 64, ("pvq", "Achievement"): 56, ("pvq", "Stimulation"): 43, ("bfi", "Extraversion"): 36,
          ("pvq", "Hedonism"): 33}
BORDERLINE = {("higher_pvq", "Conservation"), ("bfi", "Openness"), ("pvq", "Conformity")}


@pytest.fixture(scope="module")
def report(release_data):
    d = release_data
    return validity_report(d.human_ratings, d.participants, d.correlations)


def _cells(report):
    return {(f, d): c for f, cells in report["dimensions"].items() for d, c in cells.items()}


# -- the permutation null ------------------------------------------------------------------------------------------
def test_spearman_permuted_is_spearman_of_the_shuffled_rows():
    """Against scipy.stats.spearmanr of explicitly permuted rows (ties included)."""
    rng = np.random.default_rng(3)
    x, y = rng.integers(1, 7, (30, 4)).astype(float), rng.normal(size=(30, 3))
    perms = np.stack([rng.permutation(30) for _ in range(5)])
    rho, p = spearman_permuted(x, y, perms)
    for s in range(5):
        for i in range(4):
            for j in range(3):
                ref = stats.spearmanr(x[:, i], y[perms[s], j])
                assert rho[s, i, j] == pytest.approx(ref.statistic, abs=1e-12)
                assert p[s, i, j] == pytest.approx(ref.pvalue, rel=1e-9)


def test_needed_p_values_select_as_all_p_values():
    rng = np.random.default_rng(5)
    rho = rng.uniform(-0.6, 0.6, (3, 400))
    for correction in ("none", "bonferroni", "fdr_bh"):
        rule = {**RULE, "correction": correction}
        np.testing.assert_array_equal(select(rho, needed_p_values(rho, 46, rule), **rule),
                                      select(rho, p_value(rho, 46), **rule))


def test_dimension_null_by_hand():
    # selected 3; shuffles select 1, 3, 5, 2: p = (1 + 2) / (1 + 4)
    out = dimension_null(np.array([3.0]), np.array([[1.0], [3.0], [5.0], [2.0]]))
    assert out["permutation_p"][0] == pytest.approx(0.6) and out["null_mean"][0] == pytest.approx(2.75)
    assert not out["above_chance"][0]


def _synthetic_blocks(rng, n_groups=3, n=45, items=30, planted=None):
    """SYNTHETIC survey with a known truth: ratings 1..6 and values independent, except that in ``planted``
    (dimension index) every item's rating follows the rater's value (a strong association)."""
    ratings = rng.integers(1, 7, (n * n_groups, items * n_groups)).astype(float)
    values = rng.normal(size=(n * n_groups, len(DIMENSIONS)))
    blocks = []
    for g in range(n_groups):
        rows, cols = np.arange(g * n, (g + 1) * n), np.arange(g * items, (g + 1) * items)
        if planted is not None:
            z = values[rows, planted][:, None] + rng.normal(size=(n, items)) * 1.5
            ratings[np.ix_(rows, cols[: items // 3])] = np.clip(np.round(3.5 + z[:, : items // 3]), 1, 6)
        blocks.append((rows, cols))
    ids = tuple(f"{k}" for k in range(ratings.shape[1]))
    return SurveyBlocks(tuple(str(r) for r in range(len(ratings))), np.zeros(len(ratings), int), ids, ratings,
                        values, np.repeat(np.arange(n_groups), n), tuple(blocks))


def test_permutation_test_false_positive_rate_and_power():
    """Simulation with a known truth: with no association, a dimension is called above chance in at most 5% of
    cases (the test's level): over 100 synthetic surveys x 19 dimensions = 1,900 null tests, the count of false
    "above chance" calls must stay within the binomial bound of a level-5% test (Binomial(1900, 0.05): at most
    126 = its 99.9% quantile, scipy.stats.binom); the permutation p counts ties, so the test is conservative
    (52 of 1,900 = 2.7% here). With one dimension planted in a third of the items it is called every time."""
    rng = np.random.default_rng(22)
    calls = []
    for rep in range(100):
        b = _synthetic_blocks(rng)
        perms = permutations(b, 200, rep)
        counts, _ = null_selection(b, perms, RULE)
        observed = np.zeros((len(b.item_ids), len(DIMENSIONS)))
        for rows, cols in b.blocks:
            observed[cols] = select(*spearman_matrix(b.ratings[np.ix_(rows, cols)], b.values[rows]), **RULE)
        calls.append(dimension_null((observed != 0).sum(axis=0), counts)["above_chance"])
    calls = np.array(calls)
    assert calls.size == 1900 and calls.sum() <= stats.binom.ppf(0.999, calls.size, 0.05) == 126
    b = _synthetic_blocks(rng, planted=4)
    counts, _ = null_selection(b, permutations(b, 200, 0), RULE)
    observed = np.zeros((len(b.item_ids), len(DIMENSIONS)))
    for rows, cols in b.blocks:
        observed[cols] = select(*spearman_matrix(b.ratings[np.ix_(rows, cols)], b.values[rows]), **RULE)
    assert dimension_null((observed != 0).sum(axis=0), counts)["above_chance"][4]


def test_shuffled_blocks_permute_values_within_each_block(release_data):
    d = release_data
    b = survey_blocks(d.human_ratings, d.participants, d.correlations["item_id"].unique())
    perms = permutations(b, 3, 0)
    s = shuffled_blocks(b, perms, 1)
    for rows, _ in b.blocks:
        assert sorted(map(tuple, s.values[rows])) == sorted(map(tuple, b.values[rows]))
    np.testing.assert_array_equal(s.ratings, b.ratings)


def test_per_dimension_chance_is_the_issues_audit(report):
    """The issue's audit (400 shuffles within survey group): the 8 chance-level dimensions are not above chance
    (Neuroticism p 0.90), the strong ones far above (p < 0.003 in the audit; at most 3/401 here), the
    borderline ones (Conservation, Openness, Conformity) either way; what chance selects is 10.5-11.0."""
    cells = _cells(report)
    for dim, n in CHANCE_LEVEL.items():
        assert cells[dim]["selected"] == n and cells[dim]["above_chance"] is False, dim
        assert cells[dim]["permutation_p"] > 0.1
    for dim, n in STRONG.items():
        assert cells[dim]["selected"] == n and cells[dim]["above_chance"] is True, dim
        assert cells[dim]["permutation_p"] <= 3 / 401
    assert cells[("bfi", "Neuroticism")]["permutation_p"] == pytest.approx(0.90, abs=0.05)
    for dim in BORDERLINE:
        assert 0.01 < cells[dim]["permutation_p"] < 0.1
    for c in cells.values():
        assert 9.5 < c["null_mean"] < 12.0 and c["null_p95"] >= c["null_mean"]
        # the analytic expectation (independent of the shuffles) agrees with the shuffles' mean
        assert c["expected_false_positives"] == pytest.approx(c["null_mean"], abs=1.2)
    chance = report["above_chance"]
    assert chance["count"] + len(chance["not_above"]) == 19
    assert set(CHANCE_LEVEL) <= {tuple(x.split("/")) for x in chance["not_above"]}


def test_null_baselines_are_the_issues_figures(report):
    """The issue: with the questionnaires shuffled, convergent validity is already 0.40 in sample and 0.30 on the
    full sample; replication 2.4% (against 9.0%); on held-out raters the null is about 0."""
    null = report["null"]
    assert null["convergent"]["in_sample"] == pytest.approx(0.40, abs=0.03)
    assert null["convergent"]["full_sample"] == pytest.approx(0.30, abs=0.03)
    assert null["convergent"]["out_of_sample"] == pytest.approx(0.0, abs=0.03)
    assert null["replication_rate"] == pytest.approx(0.024, abs=0.01)
    assert report["replication"]["rate"] == pytest.approx(0.090, abs=0.005)
    for rule in ("threshold", "weighted"):
        assert abs(null["held_out"][rule]) < 0.06
    # chance alone already gives a high raw alpha (the general tendency to agree): regression pin 0.74
    assert null["alpha_median"] == pytest.approx(0.738, abs=0.01)


# -- the weighted rule, cross-validated -------------------------------------------------------------------------
def test_held_out_validity_of_both_rules_is_the_issues(report):
    """The issue's audit (10-fold within survey groups): threshold 0.095 (scoring 65-72% of cells), weighted
    0.186 (pvq 0.207, bfi 0.092); the target is at least 0.17."""
    held = report["held_out"]
    assert held["weighted"]["mean"] >= 0.17
    assert held["weighted"]["mean"] == pytest.approx(0.186, abs=0.01)
    assert held["threshold"]["mean"] == pytest.approx(0.095, abs=0.01)
    assert 0.65 <= held["threshold"]["scored"] < 0.725 and held["weighted"]["scored"] == 1.0
    assert held["weighted"]["by_family"]["pvq"] == pytest.approx(0.207, abs=0.01)
    assert held["weighted"]["by_family"]["bfi"] == pytest.approx(0.092, abs=0.01)
    better = sum(c["convergent_held_out"]["weighted"] > c["convergent_held_out"]["threshold"]
                 for c in _cells(report).values())
    assert better >= 17  # the audit: wins on 18 of 19


def test_held_out_scores_by_hand(release_data):
    """One held-out rater's weighted score recomputed with scipy: sum_i rho_i (r_i - mean) / sum_i |rho_i| with
    rho from the other folds' raters of the group; the threshold score the mean of the selected items minus the
    family's valid items' mean."""
    d = release_data
    b = survey_blocks(d.human_ratings, d.participants, d.correlations["item_id"].unique())
    b1 = replace(b, blocks=b.blocks[:1])
    scores = held_out_scores(b1, RULE, folds=10, seed=4)
    rows, cols = b1.blocks[0]
    fold = np.random.default_rng(4).permutation(len(rows)) % 10
    test = np.flatnonzero(fold == 0)[0]
    train = fold != 0
    x = b.ratings[np.ix_(rows, cols)]
    j = DIMENSIONS.index(("pvq", "Power"))
    rho = np.array([stats.spearmanr(x[train, i], b.values[rows[train], j]).statistic for i in range(len(cols))])
    r = x[test]
    assert scores["weighted"][rows[test], j] == pytest.approx((rho * (r - r.mean())).sum() / np.abs(rho).sum())


# -- the family-centred ratings ----------------------------------------------------------------------------------
def test_centred_alpha_of_a_group_is_pingouins(release_data):
    d = release_data
    b = survey_blocks(d.human_ratings, d.participants, d.correlations["item_id"].unique())
    sel = d.selection()
    key = np.zeros((len(b.item_ids), 19))
    row = {i: k for k, i in enumerate(b.item_ids)}
    for i, f, dim, k in sel.itertuples(index=False):
        key[row[i], DIMENSIONS.index((f, dim))] = k
    b1 = replace(b, blocks=b.blocks[2:3])
    j = DIMENSIONS.index(("pvq", "Power"))
    rows, cols = b1.blocks[0]
    items = cols[key[cols, j] != 0]
    centred = centred_ratings(b1, key, 0)[np.ix_(rows, items)]
    assert centred_alpha(b1, key)[j] == pytest.approx(pingouin.cronbach_alpha(data=pd.DataFrame(centred))[0], abs=1e-9)
    inter = item_intercorrelations(b, key)
    # regression pins (centring on the family's own items makes pairs covary negatively on average)
    assert inter["pvq"]["raw_unrelated"] == pytest.approx(0.158, abs=0.005)  # the issue: 0.157
    assert inter["pvq"]["centred_same"] > inter["pvq"]["centred_different"]
