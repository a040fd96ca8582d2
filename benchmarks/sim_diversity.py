"""Simulation behind valueportrait.analysis.diversity (docs/findings.md, "Diversity"): a KNOWN ratio of the
models' to the humans' spread of true portraits, under the release's real design.

Design (from the release at ``$VALUEPORTRAIT_RAW``): the paper's item selection and keys (items that measure
several dimensions included), the 12 survey groups with their own items and their real raters (560), every
rater's real missing ratings; 33 models rating every item in 6 prompt variants.
Truth: each subject has a general level (acquiescence, sd 0.6) and latent dimension levels ``u`` (19 dimensions,
covariance ``Phi``); an item's rating is its item effect + the level + the mean of the ``u`` of the dimensions
it is keyed on (reverse keys negated) + a subject x item term (humans sd 1.0, models sd 0.3) + per-variant noise
(models, sd 0.4). Models have ``Phi_models = k^2 Phi_humans``, so every true portrait spread (any items, any
centring) is k times the humans': the true ratio is k, whatever the estimand's item set. ``Phi``: a fixed random
correlated matrix (average sd 0.5) or independent dimensions; k = 0.5 (compression) and k = 1 (none: how often
an interval wrongly lies below 1). Ratings are continuous (no 1-6 rounding).

Estimators compared: ``matched`` (the package's: models and humans both on each survey group's items with that
group's centring, pooled with the same weights) and ``full`` (the estimator shipped before: models on the full
benchmark with the full centring, humans within their groups). Reported per family: mean estimate, its sd over
simulations, the share of 95% intervals (matched only) that cover k, that lie below k, and their median width.

Run: VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/sim_diversity.py [n_sim]
The real figures docs/findings.md reconciles: python benchmarks/sim_diversity.py --real DATASET OUTPUTS_FOLDER
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from _shared import release_quietly
from valueportrait.analysis.diversity import centred_item_values, diversity_table, true_variance
from valueportrait.scale import DIMENSIONS, FAMILIES
from valueportrait.scoring.design import FAMILY_INDEX, Design
from valueportrait.scoring.resample import rater_matrix
from valueportrait.settings import Selection


def real_design():
    """The paper's design over the release's items, the raters' missingness mask and survey groups."""
    data = release_quietly()
    sel = data.selection(Selection())
    design = Design.from_selection(sel, sorted(set(sel["item_id"])))
    raters = rater_matrix(data.human_ratings, design.item_ids)
    return design, ~np.isnan(raters.ratings), raters.strata


def phi(kind: str, seed: int = 7) -> np.ndarray:
    """The humans' latent covariance over the 19 dimensions: correlated (a fixed random draw, mean variance
    0.25) or independent (0.25 I)."""
    D = len(DIMENSIONS)
    if kind == "independent":
        return 0.25 * np.eye(D)
    A = np.random.default_rng(seed).normal(size=(D, D // 2))
    P = A @ A.T + 0.5 * np.eye(D)
    return 0.25 * P / np.mean(np.diag(P))


def simulate(design, mask, strata, Phi, k, rng, *, n_models=33, variants=6):
    """One survey: (models, raters) item-mean matrices under the truth described in the module docstring."""
    key = design.key
    L = key / np.maximum(np.abs(key).sum(axis=1, keepdims=True), 1)  # items x dims: mean of the keyed dims
    n_items = len(design.item_ids)
    mu = 3.5 + rng.normal(0, 0.5, n_items)
    C = np.linalg.cholesky(Phi)

    def subjects(n, scale, sd_item):
        u = rng.normal(size=(n, len(Phi))) @ C.T * scale
        level = rng.normal(0, 0.6 * scale, (n, 1))
        return mu + level + u @ L.T + rng.normal(0, sd_item, (n, n_items))

    R = np.where(mask, subjects(len(mask), 1.0, 1.0), np.nan)
    M = subjects(n_models, k, 0.3) + rng.normal(0, 0.4, (n_models, n_items, variants)).mean(axis=2)
    return M, R


def full_estimator(M, R, strata, design):
    """The estimator shipped before (point estimate): models on the full benchmark, humans within groups."""
    out = {}
    for f_index, fam in enumerate(FAMILIES):
        num = den = 0.0
        for d in np.flatnonzero(FAMILY_INDEX == f_index):
            Zm, Nm = centred_item_values(M, design, d)
            tm = true_variance(Zm, Nm)[0]
            parts = []
            for g in np.unique(strata):
                Zh, Nh = centred_item_values(R[strata == g], design, d)
                Zh = Zh[:, ~np.isnan(Zh).all(axis=0)]
                t, _, n = true_variance(Zh, Nh)
                if np.isfinite(t):
                    parts.append((t, n - 1))
            if parts and np.isfinite(tm):
                th = sum(t * w for t, w in parts) / sum(w for _, w in parts)
                num, den = num + tm, den + th
        out[fam] = np.sqrt(max(num, 0) / den)
    return out


def real_figures(dataset: str, outputs: str) -> None:
    """On a built dataset and upstream's outputs folder: the three pvq/higher_pvq/bfi figures docs/findings.md
    reconciles (naive over all raters, the full-benchmark estimator, the matched one) and the models' true spread
    summed over a family's dimensions, centred on every item vs on the survey groups' items."""
    import pandas as pd

    from valueportrait.analysis.diversity import _group_parts
    from valueportrait.dataset import dataset_of
    from valueportrait.ratings import item_ratings
    from valueportrait.ratings.sources import read_sources
    from valueportrait.scoring.engine import score_matrix
    from valueportrait.settings import UpstreamOutputs

    data = dataset_of(dataset)
    sel = data.selection(Selection())
    design = Design.from_selection(sel, sorted(set(sel["item_id"])))
    ratings, _, _ = read_sources([UpstreamOutputs(outputs)])
    M = pd.DataFrame({m: item_ratings(g) for m, g in ratings.groupby("model")}).T.reindex(
        columns=list(design.item_ids)).to_numpy(dtype=float)
    raters = rater_matrix(data.human_ratings, design.item_ids)
    R, strata = raters.ratings, raters.strata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        matched = diversity_table(M, R, strata, design, n_boot=0).set_index("family")
        full = full_estimator(M, R, strata, design)
        Sm, Sh = score_matrix(M, design).score, score_matrix(R, design).score
        mod, hum, w = _group_parts(M, R, strata, design, np.ones((1, len(M))))
    print(f"{len(M)} models, {len(R)} raters")
    print("family      naive, all raters  full-benchmark  matched  naive, same items  "
          "models' true spread: all items  groups' items")
    for k, fam in enumerate(FAMILIES):
        c = FAMILY_INDEX == k
        vm, vh = np.nanvar(Sm[:, c], axis=0, ddof=1), np.nanvar(Sh[:, c], axis=0, ddof=1)
        everyone = np.sqrt(vm.sum() / vh.sum())
        all_items = sum(true_variance(*centred_item_values(M, design, j))[0] for j in np.flatnonzero(c))
        wf = w[:, c]
        groups = ((wf * np.nan_to_num(mod[0][:, c, 0])).sum(axis=0) / wf.sum(axis=0)).sum()
        print(f"{fam:<10}  {everyone:17.3f}  {full[fam]:14.3f}  {matched.loc[fam, 'ratio']:7.3f}  "
              f"{matched.loc[fam, 'naive_ratio']:17.3f}  {all_items:30.3f}  {groups:13.3f}")


def main(n_sim: int = 200) -> None:
    design, mask, strata = real_design()
    print(f"{mask.shape[0]} raters in {len(np.unique(strata))} survey groups, {mask.shape[1]} items; 33 models; "
          f"{n_sim} simulations per row")
    print("Phi          k    family      matched mean (sd)  coverage 95%  CI below k  median width  full mean (sd)")
    for kind, k in (("correlated", 0.5), ("independent", 0.5), ("correlated", 1.0), ("independent", 1.0)):
        Phi = phi(kind)
        rng = np.random.default_rng(0)
        est = {f: ([], [], [], [], []) for f in FAMILIES}
        for sim in range(n_sim):
            M, R = simulate(design, mask, strata, Phi, k, rng)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                tab = diversity_table(M, R, strata, design, n_boot=500, seed=sim).set_index("family")
                full = full_estimator(M, R, strata, design)
            for f in FAMILIES:
                lo, hi = tab.loc[f, "ci_low"], tab.loc[f, "ci_high"]
                for j, x in enumerate((tab.loc[f, "ratio"], lo <= k <= hi, hi < k, hi - lo, full[f])):
                    est[f][j].append(x)
        for f in FAMILIES:
            m, c, below, w, o = (np.array(x, dtype=float) for x in est[f])
            print(f"{kind:<12} {k:<4} {f:<10}  {np.nanmean(m):6.3f} ({np.nanstd(m):.3f})  {c.mean():12.3f}  "
                  f"{below.mean():10.3f}  {np.nanmedian(w):12.3f}  {np.nanmean(o):6.3f} ({np.nanstd(o):.3f})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--real":
        real_figures(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
