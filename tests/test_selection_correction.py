"""Selection with multiple-testing control (issue 11, part 1): correction none | fdr_bh | bonferroni.

Expected numbers: the issue's audit of the published correlations (fdr_bh within family keeps pvq 8, higher_pvq 5,
bfi 4 pairs), and Benjamini-Hochberg / Bonferroni computed by hand below (sorted p times m over rank, running
minimum from the largest; min(1, m p)) and by ``scipy.stats.false_discovery_control``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valueportrait.errors import InputError
from valueportrait.settings import Intervals, Selection
from valueportrait.selection import (CORRECTIONS, SelectionWarning, adjust_p, check_correction, select,
                                     selection_table)


def bh_by_hand(p: np.ndarray) -> np.ndarray:
    """Benjamini & Hochberg (1995) adjusted p-values, written out: p_(i) m / i, running minimum from the top."""
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        adj[i] = running
    return adj


def test_fdr_bh_matches_the_hand_computation_within_each_family():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(40) ** 3, rng.random(25)])
    fam = np.array(["a"] * 40 + ["b"] * 25)
    got = adjust_p(p, fam, "fdr_bh")
    np.testing.assert_allclose(got[:40], bh_by_hand(p[:40]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(got[40:], bh_by_hand(p[40:]), rtol=0, atol=1e-15)
    # one family over all 65 tests is a different (larger) correction
    assert not np.allclose(adjust_p(p, None, "fdr_bh"), got)


def test_bonferroni_and_nan_are_not_tests():
    p = np.array([0.001, 0.02, np.nan, 0.3])
    np.testing.assert_allclose(adjust_p(p, None, "bonferroni"), [0.003, 0.06, np.nan, 0.9])
    np.testing.assert_allclose(adjust_p(p, None, "fdr_bh"), [*bh_by_hand(p[[0, 1, 3]])[:2], np.nan,
                                                            bh_by_hand(p[[0, 1, 3]])[2]])


def test_leading_axes_are_independent_sets_of_tests():
    rng = np.random.default_rng(0)
    p = rng.random((3, 30))
    got = adjust_p(p, np.repeat(["x", "y"], 15), "fdr_bh")
    for r in range(3):
        np.testing.assert_allclose(got[r, :15], bh_by_hand(p[r, :15]), atol=1e-15)
        np.testing.assert_allclose(got[r, 15:], bh_by_hand(p[r, 15:]), atol=1e-15)


def test_none_is_the_papers_rule():
    rho = np.array([0.35, 0.31, -0.4, 0.5])
    p = np.array([0.01, 0.06, 0.001, 0.04])
    np.testing.assert_array_equal(select(rho, p), select(rho, p, correction="none"))


def test_unknown_correction_lists_the_choices():
    with pytest.raises(InputError, match="unknown correction 'holm'; choose one of none, fdr_bh, bonferroni"):
        check_correction("holm")
    with pytest.raises(InputError, match="none, fdr_bh, bonferroni"):
        select(np.array([0.5]), np.array([0.01]), correction="BH")
    assert CORRECTIONS == ("none", "fdr_bh", "bonferroni")


def test_a_family_left_empty_warns_by_name():
    # bfi: p 0.03 passes alone, but Bonferroni over its 2 tests makes it 0.06
    corr = pd.DataFrame({"item_id": ["1-1", "1-2", "1-1", "1-2"], "family": ["pvq", "pvq", "bfi", "bfi"],
                         "dimension": ["Power", "Power", "Openness", "Openness"],
                         "rho_published": [0.6, 0.2, 0.35, 0.1], "p_value_published": [1e-6, 0.2, 0.03, 0.5]})
    assert len(selection_table(corr)) == 2
    with pytest.warns(SelectionWarning, match="family 'bfi' with no selected item"):
        out = selection_table(corr, correction="bonferroni")
    assert out["item_id"].tolist() == ["1-1"]


@pytest.mark.parametrize("correction, expected", [("none", {"pvq": 284, "higher_pvq": 114, "bfi": 227}),
                                                  ("fdr_bh", {"pvq": 8, "higher_pvq": 5, "bfi": 4})])
def test_published_correlations_select_the_issues_counts(release_data, correction, expected):
    """none: the 625 pairs of the paper's rule; fdr_bh: the issue's 8 / 5 / 4 (17 pairs)."""
    sel = selection_table(release_data.correlations, correction=correction)
    assert sel.groupby("family").size().to_dict() == expected


def test_fdr_bh_on_the_release_agrees_with_scipy(release_data):
    from scipy.stats import false_discovery_control

    c = release_data.correlations
    for family in ("pvq", "higher_pvq", "bfi"):
        m = (c["family"] == family).to_numpy()
        p = c.loc[m, "p_value_published"].to_numpy()
        np.testing.assert_allclose(adjust_p(p, None, "fdr_bh"), false_discovery_control(p), atol=1e-15)
        np.testing.assert_allclose(adjust_p(p, None, "fdr_bh"), bh_by_hand(p), atol=1e-12)


# -- wired through the dataset, the CLI and the metric ---------------------------------------------------------------
def test_a_built_dataset_reselects_with_a_correction(built_dataset):
    from valueportrait.dataset import open_dataset

    data = open_dataset(built_dataset)
    assert data.build_info["selection"]["correction"] == "none"
    assert data.selection(Selection(correction="fdr_bh")).groupby("family").size().to_dict() == {"pvq": 8,
                          "higher_pvq": 5,
                                                                                      "bfi": 4}
    with pytest.raises(InputError, match="choose one of none, fdr_bh, bonferroni"):
        data.selection(Selection(correction="fdr"))


def test_a_family_emptied_by_the_correction_scores_null_with_the_reason(built_dataset):
    from valueportrait.dataset import open_dataset
    from valueportrait.scoring import score_portrait

    data = open_dataset(built_dataset)
    with pytest.warns(SelectionWarning) as caught:
        sel = data.selection(Selection(correction="bonferroni", alpha=1e-9))
    empty = sorted({"pvq", "higher_pvq", "bfi"} - set(sel["family"]))
    assert empty and sorted(str(w.message).split("'")[1] for w in caught) == empty
    h = data.human_ratings
    portrait = score_portrait(h[h["survey_group"] == h["survey_group"].iloc[0]][["item_id", "rating"]], sel)
    gone = portrait[portrait["family"].isin(empty)]
    assert gone["score"].isna().all() and gone["note"].str.startswith("no rated item measures").all()


def test_info_prints_false_positives_and_replication(built_dataset):
    from click.testing import CliRunner

    from valueportrait.cli.main import cli

    res = CliRunner().invoke(cli, ["info", "--dataset", str(built_dataset)])
    assert res.exit_code == 0, res.output
    assert "false positives" in res.output and "replication" in res.output
    assert "correction none" in res.output and "about 201.3 would pass" in res.output


def test_build_with_fdr_bh_records_it(raw_dir, tmp_path):
    import json

    from click.testing import CliRunner

    from valueportrait.cli.main import cli

    res = CliRunner().invoke(cli, ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "vp"), "--correction",
                                   "fdr_bh"])
    assert res.exit_code == 0, res.output
    info = json.loads((tmp_path / "vp" / "build_info.json").read_text())
    assert info["selection"]["correction"] == "fdr_bh"
    assert info["validity"]["selected"]["total"] == 17
    assert "How far to trust these scores" in (tmp_path / "vp" / "README.md").read_text()
    bad = CliRunner().invoke(cli,
                    ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "x"), "--correction", "holm"])
    assert bad.exit_code == 2 and "'none', 'fdr_bh', 'bonferroni'" in bad.output


def test_the_metric_reselects_with_a_correction(built_dataset):
    from valueportrait.evaluation import evaluate_ratings
    from valueportrait.dataset import open_dataset

    data = open_dataset(built_dataset)
    ids = data.item_ids
    out = evaluate_ratings([4.0] * len(ids), ids, dataset=data, selection=Selection(correction="fdr_bh"),
                           intervals=Intervals(n_boot=0))
    assert out["settings"]["correction"] == "fdr_bh"
    with pytest.raises(InputError, match="none, fdr_bh, bonferroni"):
        evaluate_ratings([4.0] * len(ids), ids, dataset=data, selection=Selection(correction="holm"),
                         intervals=Intervals(n_boot=0))
