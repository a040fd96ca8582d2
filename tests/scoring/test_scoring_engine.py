"""The one design, the one weighted scorer and the resampling units, on hand-computed inputs and the release."""

from __future__ import annotations

import numpy as np
import pytest

from valueportrait.errors import InputError
from valueportrait.scoring import (Design, check_settings, item_means, item_weights, rater_matrix, rater_weights,
                                   score_matrix, score_portrait)
from tiny_selection import RATINGS, ROW, SEL



def test_design_keys_and_family_validity():
    d = Design.from_selection(SEL, ["i1", "i2", "i3", "i4", "zz"])
    assert d.key[2, ROW[("pvq", "Tradition")]] == -1 and d.key[2, ROW[("pvq", "Security")]] == 1
    # i4 measures only a bfi dimension: valid for bfi (family 2), not pvq (family 0); zz measures nothing
    np.testing.assert_array_equal(d.valid[:, 0], [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(d.valid[:, 2], [1, 0, 0, 1, 0])
    assert d.measured.tolist() == [True, True, True, True, False]
    assert d.n_items[ROW[("pvq", "Power")]] == 2
    with pytest.raises(InputError, match=r"unknown dimension\(s\) \['bfi/Powr', 'pvq/Powr'\]"):
        Design.from_selection(SEL.assign(dimension="Powr"))
    with pytest.raises(InputError, match="key must be"):
        Design.from_selection(SEL.assign(key=2))


def test_score_matrix_matches_score_and_weights_duplicate_items():
    design = Design.from_selection(SEL, ["i1", "i2", "i3", "i4"])
    M = np.array([5.0, 3.0, 2.0, 6.0])
    s = score_matrix(M, design)
    ref = score_portrait(RATINGS, SEL)
    for col, got in (("score", s.score), ("raw_mean", s.raw_mean), ("std", s.std), ("n", s.n)):
        np.testing.assert_allclose(got[0], ref[col].to_numpy(dtype=float), equal_nan=True)
    # i1 drawn twice: pvq family mean (2*5+3+2)/4 = 15/4; Power raw (2*5+3)/3 = 13/3; score 13/3 - 15/4 = 7/12;
    # Power std: population std of (5, 5, 3) = sqrt(8/9).
    sw = score_matrix(M, design, W=np.array([[2.0, 1.0, 1.0, 1.0]]))
    assert sw.score[0, ROW[("pvq", "Power")]] == pytest.approx(7 / 12)
    assert sw.std[0, ROW[("pvq", "Power")]] == pytest.approx(np.sqrt(8 / 9))
    # Tradition is i3 reverse keyed: x = 7 - 2 = 5, centred on 7 - 15/4 = 13/4 -> 7/4
    assert sw.score[0, ROW[("pvq", "Tradition")]] == pytest.approx(7 / 4)
    # a replicate that draws no Power item leaves Power NaN, the others defined
    sw = score_matrix(M, design, W=np.array([[0.0, 0.0, 1.0, 1.0]]))
    assert np.isnan(sw.score[0, ROW[("pvq", "Power")]]) and sw.score[0, ROW[("pvq", "Security")]] == pytest.approx(0)
    # center=False gives the raw mean
    np.testing.assert_allclose(score_matrix(M, design, center=False).score, s.raw_mean, equal_nan=True)


def test_score_matrix_in_blocks_equals_one_replicate_at_a_time():
    # more replicates than one block (1,024): each row must equal that replicate scored alone
    design = Design.from_selection(SEL, ["i1", "i2", "i3", "i4"])
    W = item_weights(4, 2500, np.random.default_rng(1))
    M = np.array([5.0, 3.0, 2.0, 6.0])
    many = score_matrix(M, design, W).score
    for k in (0, 1023, 1024, 2499):
        np.testing.assert_allclose(many[k], score_matrix(M, design, W[k:k + 1]).score[0], equal_nan=True)


def test_bootstrap_weights_keep_strata_sizes():
    rng = np.random.default_rng(0)
    W = rater_weights(np.array([0, 0, 0, 1, 1]), 200, rng)
    assert W.shape == (200, 5)
    np.testing.assert_array_equal(W[:, :3].sum(axis=1), 3)  # 3 draws from stratum 0 in every replicate
    np.testing.assert_array_equal(W[:, 3:].sum(axis=1), 2)
    Wi = item_weights(np.array([True, False, True, True]), 100, rng)
    np.testing.assert_array_equal(Wi[:, 1], 0)
    np.testing.assert_array_equal(Wi.sum(axis=1), 3)


def test_item_means_with_rater_weights():
    R = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_allclose(item_means(R)[0], [3.0, 5.0])
    # rater 0 twice, rater 2 once: item 0 (1+1+5)/3 = 7/3; item 1 only rater 2 rated it -> 6
    np.testing.assert_allclose(item_means(R, np.array([[2.0, 0.0, 1.0]]))[0], [7 / 3, 6.0])


def test_one_rater_definition_on_the_release(built_dataset):
    """A rater is (participant, survey group), stratified by survey group: 560 raters in 12 strata, and P186
    (who answered survey groups 1 and 6, per the release's human ratings) is two raters, each resampled."""
    from valueportrait.dataset import open_dataset

    data = open_dataset(built_dataset)
    hr = data.human_ratings
    raters = rater_matrix(hr, data.item_ids)
    assert len(raters.participant_ids) == hr.groupby(["participant_id", "survey_group"]).ngroups == 560
    assert len(np.unique(raters.strata)) == hr["survey_group"].nunique() == 12
    assert raters.n_participants == hr["participant_id"].nunique() == 559
    p186 = [k for k, p in enumerate(raters.participant_ids) if p == "P186"]
    assert len(p186) == 2 and len({int(raters.strata[k]) for k in p186}) == 2
    W = raters.bootstrap_weights(400, np.random.default_rng(0))
    for k in p186:  # resampled: drawn 0, 1, 2, ... times, not a constant 1
        assert W[:, k].min() == 0 and W[:, k].max() >= 2
    # every item keeps raters in every replicate
    assert not np.isnan(raters.item_means(W)).any()


def test_check_settings_errors():
    for kw, msg in (({"n_boot": -5}, "n_boot must be a whole number >= 0"), ({"n_boot": 2.5}, "n_boot"),
                    ({"n_boot": True}, "n_boot"), ({"confidence": 1.0}, "confidence must be"),
                    ({"confidence": "high"}, "confidence"), ({"min_items": 0}, "min_items")):
        with pytest.raises(InputError, match=msg):
            check_settings(**kw)


def test_center_others_excludes_the_dimensions_own_items():
    # hand computation on SEL with item means i1 5, i2 3, i3 2, i4 6:
    # pvq Power (i1, i2): raw 4; the pvq family's other items: i3 -> reference 2 -> score +2
    # pvq Tradition (i3 reverse keyed): x = 7 - 2 = 5; others i1, i2 -> mean 4 -> reference 7 - 4 = 3 -> +2
    # bfi Openness (i4, i1) is the whole bfi family: no other item -> NaN
    design = Design.from_selection(SEL, ["i1", "i2", "i3", "i4"])
    s = score_matrix(np.array([5.0, 3.0, 2.0, 6.0]), design, center="others")
    assert s.score[0, ROW[("pvq", "Power")]] == pytest.approx(2.0)
    assert s.reference[0, ROW[("pvq", "Power")]] == pytest.approx(2.0)
    assert s.score[0, ROW[("pvq", "Tradition")]] == pytest.approx(2.0)
    assert np.isnan(s.score[0, ROW[("bfi", "Openness")]])
    # the paper's rule on the same data: Power 4 - 10/3
    assert score_matrix(np.array([5.0, 3.0, 2.0, 6.0]), design).score[0, ROW[("pvq", "Power")]] == pytest.approx(2 / 3)
    with pytest.raises(InputError, match="center must be one of family, others, none"):
        score_matrix(np.zeros(4), design, center="mean")
