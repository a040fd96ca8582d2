"""The rows of a comparison's tables: per persona (:func:`persona_rows`: dimensions, profile agreement,
distribution alignment), per pair of groups of an attribute (:func:`pair_rows`: gaps), per attribute
(:func:`bias_rows`: bias index). :mod:`valueportrait.deviation.compare` collects them into a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..norms import group_seed
from ..scale import DIMENSIONS
from ..scoring import Design, percentile_ci
from .calibration import calibrated_bias, null_bias_replicates
from .ceiling import MIN_HUMAN_RATINGS, alignment_with_ceilings
from .groups import GroupKey, HumanGroup
from .measures import (PROFILE_FAMILIES, bias_index, deviation_ci, gap_comparison, permutation_gap_pvalue,
                       profile_agreement)
from .model import ModelSide
from .report import COLUMNS, STATS4

_D = len(DIMENSIONS)
_FAMILY_OF_ROW = np.array([f for f, _ in DIMENSIONS])


#: The note of a dimension whose model interval is zero-width.
MODEL_NO_SPREAD = ("the model's item bootstrap has no spread here (every drawn item gives the same score): its "
                   "zero-width interval is not a measure of certainty")


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


@dataclass(frozen=True)
class Options:
    """The settings a comparison's rows need (from its Intervals and Deviation)."""

    n_boot: int
    n_perm: int
    ci: float
    seed: int
    min_raters: int
    min_model_samples: int
    min_human_ratings: int = MIN_HUMAN_RATINGS


def paired(h: HumanGroup) -> np.ndarray:
    """The human replicates to pair with the model's: sharing its item draws when the group has raters."""
    return h.shared if h.shared is not None else h.boot


def ci(boot: np.ndarray, opt: Options) -> tuple[np.ndarray, np.ndarray]:
    """Percentile CI over the replicates; NaN without replicates."""
    return percentile_ci(boot, opt.ci) if opt.n_boot > 0 else (np.full(_D, np.nan), np.full(_D, np.nan))


def ci_scalar(boot: np.ndarray, ci: float) -> tuple[float, float]:
    lo, hi = percentile_ci(np.asarray(boot, dtype=float)[:, None], ci)
    return float(lo[0]), float(hi[0])


def persona_rows(attr: str, group: str, persona: str, model: ModelSide, h: HumanGroup, opt: Options
                  ) -> dict[str, list[dict[str, Any]]]:
    """One persona's rows of the dimensions, agreement and distributions tables."""
    base = {"attribute": attr, "group": group, "persona": persona}
    nan = np.full(_D, np.nan)
    mp, mb = model.point[persona], model.boot[persona]
    mlo, mhi = ci(mb, opt)
    flat = np.isfinite(mlo) & (np.abs(mhi - mlo) <= 1e-12)
    if h.note is not None:
        hp = hlo = hhi = delta = dlo = dhi = nan
    else:
        hp = h.point
        hlo, hhi = ci(h.boot, opt)
        delta, dlo, dhi = deviation_ci(mp, mb, hp, paired(h), opt.ci) if opt.n_boot > 0 else (mp - hp, nan, nan)
    dims = [{**base, "family": f, "dimension": d, "n_raters": h.n, "model_score": mp[k], "model_ci_low": mlo[k],
             "model_ci_high": mhi[k], "human_score": hp[k], "human_ci_low": hlo[k], "human_ci_high": hhi[k],
             "deviation": delta[k], "deviation_ci_low": dlo[k], "deviation_ci_high": dhi[k],
             "note": h.note or (None if np.isfinite(mp[k]) else "the model rated no item of this dimension")
             or _join(h.caveat, MODEL_NO_SPREAD if flat[k] else None)}
            for k, (f, d) in enumerate(DIMENSIONS)]
    agreement = []
    for fam in PROFILE_FAMILIES:
        sel = _FAMILY_OF_ROW == fam
        row: dict[str, Any] = {**base, "family": fam}
        if h.note is not None:
            row.update(n_dims=0, note=h.note)
        else:
            a = profile_agreement(mp[sel], hp[sel])
            row.update({k: a[k] for k in STATS4}, n_dims=a["n"], note=None)
            if opt.n_boot > 0:
                ab = profile_agreement(mb[:, sel], paired(h)[:, sel])
                for k in STATS4:
                    row[f"{k}_ci_low"], row[f"{k}_ci_high"] = ci_scalar(ab[k], opt.ci)
        agreement.append(row)
    return {"dimensions": dims, "agreement": agreement,
            "distributions": [distribution_row(base, model.counts[persona], h, opt)]}


def distribution_row(base: dict[str, str], counts: np.ndarray, h: HumanGroup, opt: Options) -> dict[str, Any]:
    row = {**base, "n_items": 0, "wasserstein": np.nan, "js": np.nan}
    if h.note is not None:
        row["note"] = h.note
    elif h.counts is None or h.raters is None:
        row["note"] = "no item-level human ratings (group norms given as a table): no distribution alignment"
    else:
        rng = group_seed(opt.seed, base["attribute"], base["group"], base["persona"], "ceiling")
        da = alignment_with_ceilings(counts, h.counts, h.raters.ratings, h.raters.strata, rng,
                                     min_model_samples=opt.min_model_samples,
                                     min_human_ratings=opt.min_human_ratings)
        row.update({k: da[k] for k in COLUMNS["distributions"][3:-1]})
        row["note"] = None if da["n_items"] else (
            f"no item has {opt.min_model_samples}+ model ratings and {opt.min_human_ratings}+ ratings by the "
            "group's raters; sample several ratings per item (variants or repeated samples), or lower "
            "min_human_ratings knowing the score is then mostly noise")
    return row


@dataclass(frozen=True)
class PairGaps:
    """A pair of groups: its gaps-table rows and, when both groups have a portrait, the gaps (D,) and their
    replicates (B, D) the bias index needs: ``human_boot`` paired with the model's item draws (its interval),
    ``human_noise`` over the raters alone (its null, :mod:`~valueportrait.deviation.calibration`)."""

    rows: list[dict[str, Any]]
    model: np.ndarray
    model_boot: np.ndarray
    human: np.ndarray | None = None
    human_boot: np.ndarray | None = None
    human_noise: np.ndarray | None = None


def pair_rows(attr: str, a, b, model: ModelSide, human: dict[GroupKey, HumanGroup], design: Design,
               opt: Options) -> PairGaps:
    """The model's and the humans' gaps between the groups of personas ``a`` and ``b`` (rows of pmap)."""
    ha, hb = human[(attr, a.group)], human[(attr, b.group)]
    nan = np.full(_D, np.nan)
    gm = model.point[a.persona] - model.point[b.persona]
    gm_b = model.boot[a.persona] - model.boot[b.persona]
    gmlo, gmhi = ci(gm_b, opt)
    null = ha.note is not None or hb.note is not None
    note = ha.note or hb.note or _join(*dict.fromkeys(c for c in (ha.caveat, hb.caveat) if c))
    gh_b = None
    if null:
        gh = ghlo = ghhi = pv = nan
        cmp = gap_comparison(gm, nan)
    else:
        ghlo, ghhi = ci(ha.boot - hb.boot, opt)
        gh_b = paired(ha) - paired(hb)  # paired with the model's gap replicates over the item draws
        if ha.raters is not None and hb.raters is not None:
            pooled = np.concatenate([ha.raters.ratings, hb.raters.ratings])
            in_a = np.r_[np.ones(len(ha.raters.ratings), bool), np.zeros(len(hb.raters.ratings), bool)]
            strata = np.concatenate([ha.raters.strata, hb.raters.strata])
            gh, pv = permutation_gap_pvalue(pooled, in_a, strata, design, opt.n_perm,
                                            group_seed(opt.seed, attr, a.group, b.group, "perm"))
        else:  # norms table: no raters to permute
            gh, pv = ha.point - hb.point, nan
        cmp = gap_comparison(gm, gh)
    base = {"attribute": attr, "group_a": a.group, "group_b": b.group, "persona_a": a.persona, "persona_b": b.persona}
    rows = [{**base, "family": f, "dimension": d, "model_gap": gm[k], "model_gap_ci_low": gmlo[k],
             "model_gap_ci_high": gmhi[k], "human_gap": gh[k], "human_gap_ci_low": ghlo[k],
             "human_gap_ci_high": ghhi[k], "p_value": pv[k], "sign_agree": cmp["sign_agree"][k],
             "amplification": cmp["amplification"][k], "note": note}
            for k, (f, d) in enumerate(DIMENSIONS)]
    return PairGaps(rows, gm, gm_b, None if null else gh, gh_b, None if null else ha.boot - hb.boot)


def bias_rows(attr: str, pairs: list[PairGaps], opt: Options) -> list[dict[str, Any]]:
    """The bias index of one attribute per family, over its pairs of groups that both have a portrait."""
    rows = []
    for fam in PROFILE_FAMILIES:
        sel = _FAMILY_OF_ROW == fam
        row: dict[str, Any] = {"attribute": attr, "family": fam, "n_pairs": len(pairs)}
        if not pairs:
            row["note"] = ("needs personas of two or more groups of this attribute, each with "
                           + (f"{opt.min_raters}+ raters" if opt.min_raters else "a human group portrait"))
        else:
            bi = bias_index(np.array([p.model for p in pairs])[:, sel], np.array([p.human for p in pairs])[:, sel])
            row.update(bi, note=None)
            if opt.n_boot > 0:
                bb = bias_index(np.stack([p.model_boot for p in pairs], axis=1)[:, :, sel],
                                np.stack([p.human_boot for p in pairs], axis=1)[:, :, sel])
                row["bias_index_ci_low"], row["bias_index_ci_high"] = ci_scalar(bb["bias_index"], opt.ci)
                null = null_bias_replicates(np.stack([p.model_boot for p in pairs], axis=1)[:, :, sel],
                                            np.stack([p.human_noise for p in pairs], axis=1)[:, :, sel])
                row.update(calibrated_bias(bi["bias_index"], null, opt.ci))
        rows.append(row)
    return rows


__all__ = ["Options", "PairGaps", "bias_rows", "ci", "ci_scalar", "distribution_row", "pair_rows", "paired",
           "persona_rows"]
