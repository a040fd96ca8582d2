"""The whole comparison of a model's personas with the human groups they play, as one pipeline.

:func:`compare_personas` (the human side is the group's raters) and :func:`compare_with_norms` (the human side
is a norms table) differ only in where the human side comes from (:mod:`valueportrait.deviation.groups`);
both then run the same steps:

1. check the persona ratings and parse Likert phrases (:func:`~valueportrait.deviation.model.persona_ratings`);
2. map each persona to its group (:func:`~valueportrait.deviation.personas.resolve_personas`);
3. the model side: each persona's portrait and item-bootstrap replicates
   (:func:`~valueportrait.deviation.model.model_side`);
4. the human side: one :class:`~valueportrait.deviation.groups.HumanGroup` per group named;
5. the statistics, as flat tables: per persona (:func:`_persona_rows`: dimensions, profile agreement,
   distribution alignment), per pair of groups of an attribute (:func:`_pair_rows`: gaps), per attribute
   (:func:`_bias_rows`: bias index), collected into a :class:`DeviationReport` by :func:`_compare`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..demographics import MIN_RATERS, Demographics, check_participants
from ..norms import group_seed
from ..errors import InputError
from ..scale import DIMENSIONS
from ..scoring import Design, percentile_ci
from ..settings import Deviation, Intervals
from .ceiling import MIN_HUMAN_RATINGS, alignment_with_ceilings
from .groups import GroupKey, HumanGroup, norm_groups, rater_groups
from .io import NORMS_REQUIRED
from .measures import (PROFILE_FAMILIES, bias_index, deviation_ci, gap_comparison, permutation_gap_pvalue,
                       profile_agreement)
from .model import ModelSide, model_side, persona_ratings
from .personas import resolve_personas

__all__ = ["DeviationReport", "compare_personas", "compare_with_norms"]

_D = len(DIMENSIONS)
_FAMILY_OF_ROW = np.array([f for f, _ in DIMENSIONS])
_STATS4 = ("pearson", "spearman", "rmse", "mad")
#: Columns of the report's tables, in order.
_COLUMNS: dict[str, list[str]] = {
    "dimensions": ["attribute", "group", "persona", "family", "dimension", "n_raters", "model_score", "model_ci_low",
                   "model_ci_high", "human_score", "human_ci_low", "human_ci_high", "deviation", "deviation_ci_low",
                   "deviation_ci_high", "note"],
    "agreement": ["attribute", "group", "persona", "family", "n_dims", *_STATS4,
                  *(f"{s}_ci_{e}" for s in _STATS4 for e in ("low", "high")), "note"],
    "gaps": ["attribute", "group_a", "group_b", "persona_a", "persona_b", "family", "dimension", "model_gap",
             "model_gap_ci_low", "model_gap_ci_high", "human_gap", "human_gap_ci_low", "human_gap_ci_high", "p_value",
             "sign_agree", "amplification", "note"],
    "bias": ["attribute", "family", "n_pairs", "bias_index", "bias_index_ci_low", "bias_index_ci_high", "gap_rmse",
             "sign_agreement", "exaggeration", "note"],
    "distributions": ["attribute", "group", "persona", "n_items", "wasserstein", "js", "wasserstein_replica",
                      "js_replica", "wasserstein_split_half", "js_split_half", "note"],
}
_TEXT_COLUMNS = {"attribute", "group", "persona", "family", "dimension", "group_a", "group_b", "persona_a",
                 "persona_b", "note"}


@dataclass
class DeviationReport:
    """Flat tables of one comparison (see :func:`compare_personas` for their columns)."""

    dimensions: pd.DataFrame
    agreement: pd.DataFrame
    gaps: pd.DataFrame
    bias: pd.DataFrame
    distributions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"dimensions": self.dimensions, "agreement": self.agreement, "gaps": self.gaps, "bias": self.bias,
                "distributions": self.distributions}


def compare_personas(data, demo: Demographics, model_ratings: pd.DataFrame, *, selection: pd.DataFrame | None = None,
                     intervals: Intervals = Intervals(over="items"), deviation: Deviation = Deviation()
                     ) -> DeviationReport:
    """Compare a model's persona portraits with the real groups' portraits.

    Parameters
    ----------
    data : ValuePortraitData
    demo : Demographics
    model_ratings : DataFrame
        A ratings table of one model (``item_id, persona, rating``; ``model``, ``variant`` optional). Ratings
        are numbers 1-6 or Likert phrases. Rows without a persona are ignored.
    selection : DataFrame, optional
        The item selection (``item_id, family, dimension, key``); default ``data.selection()``.
    intervals : :class:`~valueportrait.settings.Intervals`
        Bootstrap replicates ``n_boot``, interval ``level`` and ``seed``.
    deviation : :class:`~valueportrait.settings.Deviation`
        ``persona_groups`` (persona -> "attribute=group" or (attribute, group)): needed for personas not
        labelled ``attribute=group``. ``n_perm``: permutations. ``min_raters`` (None: 5): groups with fewer
        raters get NaN statistics and a ``note`` (a documented null). ``min_model_samples``,
        ``min_human_ratings``: items need this many model ratings and this many ratings by the group's raters
        to enter the distribution alignment (default :data:`~valueportrait.deviation.ceiling.MIN_HUMAN_RATINGS`:
        fewer make the score mostly noise, docs/deviation.md).

    Returns
    -------
    DeviationReport
        ``dimensions``: attribute, group, persona, family, dimension, n_raters, model_score, model_ci_low,
        model_ci_high, human_score, human_ci_low, human_ci_high, deviation, deviation_ci_low, deviation_ci_high,
        note. ``agreement``: attribute, group, persona, family, n_dims, pearson, spearman, rmse, mad (+ ``_ci_low``
        / ``_ci_high`` each), note. ``gaps``: attribute, group_a, group_b, family, dimension, model_gap (+CI),
        human_gap (+CI), p_value, sign_agree, amplification, note. ``bias``: attribute, family, n_pairs,
        bias_index (+CI), gap_rmse, sign_agreement, exaggeration, note. ``distributions``: attribute, group,
        persona, n_items, wasserstein, js, note.

    Notes
    -----
    One set of item-bootstrap weights is drawn per run and shared by all personas, so the model's gaps
    between personas are paired over the same item draws; each human group has its own rater bootstrap
    (seeded by attribute and group; single-rater strata merged, small-sample corrected), and its replicates
    for the deviation, agreement and bias-index intervals reuse the model's item draws (the human CIs
    resample raters only). The distribution table reports each score's ceilings
    (:mod:`~valueportrait.deviation.ceiling`). Formulas: :func:`~valueportrait.deviation.deviation_ci`,
    :func:`~valueportrait.deviation.profile_agreement`, :func:`~valueportrait.deviation.gap_comparison`,
    :func:`~valueportrait.deviation.permutation_gap_pvalue`, :func:`~valueportrait.deviation.bias_index`,
    :func:`~valueportrait.deviation.distribution_alignment`.
    """
    selection = data.selection() if selection is None else selection
    ratings = persona_ratings(model_ratings)
    demo = check_participants(demo, data.participants["participant_id"].tolist())
    pmap = resolve_personas(_personas(ratings), deviation.persona_groups,
                            {a: list(demo.groups(a)) for a in demo.attributes}, f"the demographics ({demo.source})")
    design = Design.from_selection(selection, data.items["item_id"].tolist())
    min_raters = MIN_RATERS if deviation.min_raters is None else deviation.min_raters
    min_human = MIN_HUMAN_RATINGS if deviation.min_human_ratings is None else deviation.min_human_ratings
    humans = partial(rater_groups, data.human_ratings, demo, design=design, n_boot=intervals.n_boot,
                     seed=intervals.seed, min_raters=min_raters)
    settings = {"n_boot": intervals.n_boot, "n_perm": deviation.n_perm, "ci": intervals.level, "seed": intervals.seed,
                "min_raters": min_raters, "min_model_samples": deviation.min_model_samples,
                "min_human_ratings": min_human, "human": "raters"}
    opt = _Options(intervals.n_boot, deviation.n_perm, intervals.level, intervals.seed, min_raters,
                   deviation.min_model_samples, min_human)
    return _compare(ratings, pmap, selection, design, humans, opt, settings)


def compare_with_norms(model_ratings: pd.DataFrame, norms: pd.DataFrame, selection: pd.DataFrame, *,
                       items: Sequence[str] | None = None, intervals: Intervals = Intervals(over="items"),
                       deviation: Deviation = Deviation()) -> DeviationReport:
    """Compare a model's personas with group norms given as a table (e.g. published norms, or the dataset's
    ``human_group_norms`` config) instead of the raters themselves.

    Parameters
    ----------
    model_ratings : DataFrame
        Ratings table of one model with a ``persona`` column.
    norms : DataFrame
        ``attribute, group, family, dimension, score`` and optionally ``score_ci_low, score_ci_high`` (at
        level ``deviation.norms_confidence``), ``n_raters``, ``note`` -- the schema of
        :func:`valueportrait.demographics.human_group_norms`.
    selection : DataFrame
        ``item_id, family, dimension, key``: the selection the norms were scored with.
    items : sequence of str, optional
        Item order (default: the selection's items).
    intervals : :class:`~valueportrait.settings.Intervals`
        The model's item bootstrap (``n_boot``, ``seed``) and the interval ``level``.
    deviation : :class:`~valueportrait.settings.Deviation`
        ``persona_groups`` as in :func:`compare_personas`; ``norms_confidence``: the level of the norms' CI
        columns; ``min_raters``: with an ``n_raters`` column, groups with fewer raters are a documented null (a
        ``note``), as in :func:`compare_personas` (None: no check).

    Returns
    -------
    DeviationReport
        As :func:`compare_personas`, except: no permutation p-values (``p_value`` NaN) and no distribution
        alignment (no item-level human ratings); notes say so.

    Notes
    -----
    The human replicates come from the normal approximation the norms' CIs imply
    (:func:`valueportrait.deviation.groups.norm_groups`).
    """
    missing = [c for c in NORMS_REQUIRED if c not in norms.columns]
    if missing:
        raise InputError(f"the norms table lacks column(s) {missing}; expected {', '.join(NORMS_REQUIRED)}"
                         "[, score_ci_low, score_ci_high] (the human_group_norms schema; read_norms() checks a file)")
    ratings = persona_ratings(model_ratings)
    available = {a: list(dict.fromkeys(g["group"].astype(str))) for a, g in norms.groupby("attribute", sort=False)}
    pmap = resolve_personas(_personas(ratings), deviation.persona_groups, available, "the norms table")
    design = Design.from_selection(selection, list(items) if items is not None else None)
    n_boot, seed, level, min_raters = intervals.n_boot, intervals.seed, intervals.level, deviation.min_raters
    humans = partial(norm_groups, norms, n_boot=n_boot, seed=seed, confidence=deviation.norms_confidence,
                     min_raters=min_raters)
    has_ci = {"score_ci_low", "score_ci_high"} <= set(norms.columns)
    settings = {"n_boot": n_boot, "n_perm": 0, "ci": level, "seed": seed, "min_raters": min_raters,
                "min_model_samples": None, "human": "norms table",
                "norms_ci": deviation.norms_confidence if has_ci else None}
    opt = _Options(n_boot, 0, level, seed, min_raters or 0, 2)
    return _compare(ratings, pmap, selection, design, humans, opt, settings)


# -- the shared path -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Options:
    n_boot: int
    n_perm: int
    ci: float
    seed: int
    min_raters: int
    min_model_samples: int
    min_human_ratings: int = MIN_HUMAN_RATINGS


def _personas(ratings: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(ratings["persona"].astype(str)))


def _compare(ratings: pd.DataFrame, pmap: pd.DataFrame, selection: pd.DataFrame, design: Design,
             humans: Callable[[list[GroupKey]], dict[GroupKey, HumanGroup]], opt: _Options,
             settings: dict[str, Any]) -> DeviationReport:
    """The one path both comparisons take once the personas are mapped and the design is set."""
    model = model_side(ratings, selection, design, opt.n_boot, opt.seed)
    human = humans(list(dict.fromkeys(zip(pmap["attribute"], pmap["group"]))), item_weights=model.weights,
                   item_mask=model.rated)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _COLUMNS}
    for persona, attr, group in pmap.itertuples(index=False):
        for name, new in _persona_rows(attr, group, persona, model, human[(attr, group)], opt).items():
            rows[name] += new
    for attr, sub in pmap.groupby("attribute", sort=False):
        pairs = [(a, b) for a, b in itertools.combinations(sub.itertuples(index=False), 2) if a.group != b.group]
        gaps = [_pair_rows(attr, a, b, model, human, design, opt) for a, b in pairs]
        rows["gaps"] += [row for g in gaps for row in g.rows]
        rows["bias"] += _bias_rows(attr, [g for g in gaps if g.human is not None], opt)
    settings = {**settings, "families": list(PROFILE_FAMILIES), "dimensions": [f"{f}/{d}" for f, d in DIMENSIONS],
                "n_items_model": model.n_items}
    return DeviationReport(**{name: _table(rows[name], cols) for name, cols in _COLUMNS.items()}, settings=settings)


def _table(rows: list[dict[str, Any]], cols: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows).reindex(columns=cols)
    for c in cols:
        if c in _TEXT_COLUMNS:
            df[c] = df[c].astype("str")
    return df


def _paired(h: HumanGroup) -> np.ndarray:
    """The human replicates to pair with the model's: sharing its item draws when the group has raters."""
    return h.shared if h.shared is not None else h.boot


def _ci(boot: np.ndarray, opt: _Options) -> tuple[np.ndarray, np.ndarray]:
    """Percentile CI over the replicates; NaN without replicates."""
    return percentile_ci(boot, opt.ci) if opt.n_boot > 0 else (np.full(_D, np.nan), np.full(_D, np.nan))


def _ci_scalar(boot: np.ndarray, ci: float) -> tuple[float, float]:
    lo, hi = percentile_ci(np.asarray(boot, dtype=float)[:, None], ci)
    return float(lo[0]), float(hi[0])


def _persona_rows(attr: str, group: str, persona: str, model: ModelSide, h: HumanGroup, opt: _Options
                  ) -> dict[str, list[dict[str, Any]]]:
    """One persona's rows of the dimensions, agreement and distributions tables."""
    base = {"attribute": attr, "group": group, "persona": persona}
    nan = np.full(_D, np.nan)
    mp, mb = model.point[persona], model.boot[persona]
    mlo, mhi = _ci(mb, opt)
    if h.note is not None:
        hp = hlo = hhi = delta = dlo = dhi = nan
    else:
        hp = h.point
        hlo, hhi = _ci(h.boot, opt)
        delta, dlo, dhi = deviation_ci(mp, mb, hp, _paired(h), opt.ci) if opt.n_boot > 0 else (mp - hp, nan, nan)
    dims = [{**base, "family": f, "dimension": d, "n_raters": h.n, "model_score": mp[k], "model_ci_low": mlo[k],
             "model_ci_high": mhi[k], "human_score": hp[k], "human_ci_low": hlo[k], "human_ci_high": hhi[k],
             "deviation": delta[k], "deviation_ci_low": dlo[k], "deviation_ci_high": dhi[k],
             "note": h.note or (None if np.isfinite(mp[k]) else "the model rated no item of this dimension")
             or h.caveat}
            for k, (f, d) in enumerate(DIMENSIONS)]
    agreement = []
    for fam in PROFILE_FAMILIES:
        sel = _FAMILY_OF_ROW == fam
        row: dict[str, Any] = {**base, "family": fam}
        if h.note is not None:
            row.update(n_dims=0, note=h.note)
        else:
            a = profile_agreement(mp[sel], hp[sel])
            row.update({k: a[k] for k in _STATS4}, n_dims=a["n"], note=None)
            if opt.n_boot > 0:
                ab = profile_agreement(mb[:, sel], _paired(h)[:, sel])
                for k in _STATS4:
                    row[f"{k}_ci_low"], row[f"{k}_ci_high"] = _ci_scalar(ab[k], opt.ci)
        agreement.append(row)
    return {"dimensions": dims, "agreement": agreement,
            "distributions": [_distribution_row(base, model.counts[persona], h, opt)]}


def _distribution_row(base: dict[str, str], counts: np.ndarray, h: HumanGroup, opt: _Options) -> dict[str, Any]:
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
        row.update({k: da[k] for k in _COLUMNS["distributions"][3:-1]})
        row["note"] = None if da["n_items"] else (
            f"no item has {opt.min_model_samples}+ model ratings and {opt.min_human_ratings}+ ratings by the "
            "group's raters; sample several ratings per item (variants or repeated samples), or lower "
            "min_human_ratings knowing the score is then mostly noise")
    return row


@dataclass(frozen=True)
class _PairGaps:
    """A pair of groups: its gaps-table rows and, when both groups have a portrait, the gaps (D,) and their
    replicates (B, D) the bias index needs."""

    rows: list[dict[str, Any]]
    model: np.ndarray
    model_boot: np.ndarray
    human: np.ndarray | None = None
    human_boot: np.ndarray | None = None


def _pair_rows(attr: str, a, b, model: ModelSide, human: dict[GroupKey, HumanGroup], design: Design,
               opt: _Options) -> _PairGaps:
    """The model's and the humans' gaps between the groups of personas ``a`` and ``b`` (rows of pmap)."""
    ha, hb = human[(attr, a.group)], human[(attr, b.group)]
    nan = np.full(_D, np.nan)
    gm = model.point[a.persona] - model.point[b.persona]
    gm_b = model.boot[a.persona] - model.boot[b.persona]
    gmlo, gmhi = _ci(gm_b, opt)
    null = ha.note is not None or hb.note is not None
    note = ha.note or hb.note
    gh_b = None
    if null:
        gh = ghlo = ghhi = pv = nan
        cmp = gap_comparison(gm, nan)
    else:
        ghlo, ghhi = _ci(ha.boot - hb.boot, opt)
        gh_b = _paired(ha) - _paired(hb)  # paired with the model's gap replicates over the item draws
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
    return _PairGaps(rows, gm, gm_b, None if null else gh, gh_b)


def _bias_rows(attr: str, pairs: list[_PairGaps], opt: _Options) -> list[dict[str, Any]]:
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
                row["bias_index_ci_low"], row["bias_index_ci_high"] = _ci_scalar(bb["bias_index"], opt.ci)
        rows.append(row)
    return rows
