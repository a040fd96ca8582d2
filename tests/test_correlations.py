"""Correlations vs scipy, and the cross-check against the published tables, on the real release."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from valueportrait.builders.correlations import compute_correlations, cross_check
from valueportrait.spearman import rank_columns, spearman_matrix


def _scipy_loop(ratings: pd.DataFrame, participants: pd.DataFrame, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Reference: scipy.stats.spearmanr for each (item, dimension) pair, one call per pair."""
    values = participants.set_index("participant_id")
    by_item = {iid: (g["rating"].to_numpy(float), values.loc[g["participant_id"]])
               for iid, g in ratings.groupby("item_id")}
    rho = np.empty(len(pairs))
    p = np.empty(len(pairs))
    for k, (iid, fam, dim) in enumerate(zip(pairs["item_id"], pairs["family"], pairs["dimension"])):
        x, v = by_item[iid]
        res = stats.spearmanr(x, v[f"{fam}_{dim}"].to_numpy())
        rho[k], p[k] = res.statistic, res.pvalue
    return rho, p


def test_all_pairs_equal_scipy_spearmanr(release_data):
    c = release_data.correlations
    assert len(c) == 9880  # 520 items x 19 dimensions
    rho, p = _scipy_loop(release_data.human_ratings, release_data.participants, c)
    # NaN-aware: a constant rating column gives NaN in both (none in this release, but compare NaN == NaN)
    np.testing.assert_allclose(c["rho"].to_numpy(), rho, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(c["p_value"].to_numpy(), p, rtol=0, atol=1e-12, equal_nan=True)
    # n = raters of the item's survey group (41-48 in the release)
    n = release_data.human_ratings.groupby("item_id").size()
    assert (c["n"].to_numpy() == n.loc[c["item_id"]].to_numpy()).all()
    assert (c["n"].min(), c["n"].max()) == (41, 48)


def test_spearman_matrix_ties_and_constant_columns():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 7, size=(30, 5)).astype(float)
    x[:, 4] = 3.0  # constant: NaN as scipy
    y = rng.normal(size=(30, 3))
    y[:5, 0] = y[0, 0]  # ties in y too
    rho, p = spearman_matrix(x, y)
    for i in range(5):
        for j in range(3):
            with np.errstate(invalid="ignore"), pytest.warns(stats.ConstantInputWarning) if i == 4 else contextlib.nullcontext():
                ref = stats.spearmanr(x[:, i], y[:, j])
            np.testing.assert_allclose([rho[i, j], p[i, j]], [ref.statistic, ref.pvalue], atol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(rank_columns(x), stats.rankdata(x, axis=0))


def test_cross_check_against_published(release_data):
    check = release_data.build_info["cross_check"]
    fams = {f["family"]: f for f in check["families"]}
    # Counted on upstream @08e1fb7: every pair outside survey group 1 equals the published value to 1e-12;
    # group 1 holds 40 items, of which these pairs differ.
    assert {f: (v["published_pairs"], v["equal_pairs"]) for f, v in fams.items()} == {
        "pvq": (5200, 4802), "higher_pvq": (2080, 1960), "bfi": (2600, 2520)}
    assert check["tolerance"] == 1e-12
    assert check["survey_groups"] == 12
    assert check["differing_survey_groups"] == [1]
    assert check["multi_group_participants"] == {"P186": [1, 6]}
    # computed on upstream @08e1fb7 (the build report's "max |d rho| 0.125", survey group 1)
    assert fams["pvq"]["max_abs_diff_rho"] == pytest.approx(0.12509403007539094, abs=1e-9)


def test_the_differing_group_is_the_one_holding_item_1021(release_data):
    c = release_data.correlations
    r = release_data.human_ratings
    group_of = r.drop_duplicates("item_id").set_index("item_id")["survey_group"]
    assert group_of["1021-1"] == 1
    equal = ((c["rho"] - c["rho_published"]).abs() <= 1e-12) & ((c["p_value"] - c["p_value_published"]).abs() <= 1e-12)
    groups = c["item_id"].map(group_of)
    assert equal[groups != 1].all()  # 11 groups reproduce exactly
    assert not equal[groups == 1].all()
    assert (~equal).sum() == (5200 - 4802) + (2080 - 1960) + (2600 - 2520)


def test_cross_check_without_published_values(release_data):
    c = release_data.correlations.copy()
    c["rho_published"] = np.nan
    c["p_value_published"] = np.nan
    check = cross_check(c, release_data.human_ratings)
    assert not check.available
    assert [f.published_pairs for f in check.families] == [0, 0, 0]
    assert check.to_dict()["families"][0]["max_abs_diff_rho"] is None  # NaN becomes JSON null


def test_compute_correlations_is_order_independent(release_data):
    r = release_data.human_ratings
    shuffled = r.sample(frac=1.0, random_state=1)
    a = compute_correlations(r, release_data.participants).sort_values(["item_id", "family", "dimension"])
    b = compute_correlations(shuffled, release_data.participants).sort_values(["item_id", "family", "dimension"])
    np.testing.assert_array_equal(a["rho"].to_numpy(), b["rho"].to_numpy())
