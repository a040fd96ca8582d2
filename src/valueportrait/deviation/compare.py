"""The whole comparison of a model's personas with the human groups they play, as one pipeline.

:func:`compare_personas` (the human side is the group's raters) and :func:`compare_with_norms` (the human side
is a norms table) differ only in where the human side comes from (:mod:`valueportrait.deviation.groups`);
both then run the same steps:

1. check the persona ratings and parse Likert phrases (:func:`~valueportrait.deviation.model.persona_ratings`);
2. map each persona to its group (:func:`~valueportrait.deviation.personas.resolve_personas`);
3. the model side: each persona's portrait and item-bootstrap replicates
   (:func:`~valueportrait.deviation.model.model_side`);
4. the human side: one :class:`~valueportrait.deviation.groups.HumanGroup` per group named;
5. the statistics, as flat tables: per persona, per pair of groups of an attribute, per attribute
   (:mod:`~valueportrait.deviation.rows`), collected into a
   :class:`~valueportrait.deviation.report.DeviationReport` by :func:`_compare`.
"""

from __future__ import annotations

import itertools
from functools import partial
from typing import Any, Callable, Sequence

import pandas as pd

from ..demographics import MIN_RATERS, Demographics, check_participants
from ..errors import InputError
from ..scale import DIMENSIONS
from ..scoring import Design
from ..settings import Deviation, Intervals
from .ceiling import MIN_HUMAN_RATINGS
from .groups import GroupKey, HumanGroup, norm_groups, rater_groups
from .io import NORMS_REQUIRED
from .measures import PROFILE_FAMILIES
from .model import model_side, persona_ratings
from .personas import resolve_personas
from .report import COLUMNS, DeviationReport, report_table
from .rows import Options, bias_rows, pair_rows, persona_rows
from .units import interval_units, zero_width

__all__ = ["DeviationReport", "compare_personas", "compare_with_norms"]


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
    humans = partial(rater_groups, data.human_ratings, demo, design=design, intervals=intervals,
                     min_raters=min_raters)
    settings = {"n_boot": intervals.n_boot, "n_perm": deviation.n_perm, "ci": intervals.level, "seed": intervals.seed,
                "min_raters": min_raters, "min_model_samples": deviation.min_model_samples,
                "min_human_ratings": min_human, "human": "raters"}
    opt = Options(intervals.n_boot, deviation.n_perm, intervals.level, intervals.seed, min_raters,
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
    opt = Options(n_boot, 0, level, seed, min_raters or 0, 2)
    return _compare(ratings, pmap, selection, design, humans, opt, settings)


# -- the shared path -------------------------------------------------------------------------------------------

def _personas(ratings: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(ratings["persona"].astype(str)))


def _compare(ratings: pd.DataFrame, pmap: pd.DataFrame, selection: pd.DataFrame, design: Design,
             humans: Callable[[list[GroupKey]], dict[GroupKey, HumanGroup]], opt: Options,
             settings: dict[str, Any]) -> DeviationReport:
    """The one path both comparisons take once the personas are mapped and the design is set."""
    model = model_side(ratings, selection, design, opt.n_boot, opt.seed)
    human = humans(list(dict.fromkeys(zip(pmap["attribute"], pmap["group"]))), item_weights=model.weights,
                   item_mask=model.rated)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}
    for persona, attr, group in pmap.itertuples(index=False):
        for name, new in persona_rows(attr, group, persona, model, human[(attr, group)], opt).items():
            rows[name] += new
    for attr, sub in pmap.groupby("attribute", sort=False):
        pairs = [(a, b) for a, b in itertools.combinations(sub.itertuples(index=False), 2) if a.group != b.group]
        gaps = [pair_rows(attr, a, b, model, human, design, opt) for a, b in pairs]
        rows["gaps"] += [row for g in gaps for row in g.rows]
        rows["bias"] += bias_rows(attr, [g for g in gaps if g.human is not None], opt)
    units = interval_units("raters" if settings.get("human") == "raters"
                           else "norms table" if settings.get("norms_ci") else "norms table without CI")
    dims = {"model_ci_over": units["model_ci"]["ci_over"], "human_ci_over": units["human_ci"]["ci_over"],
            "deviation_ci_over": units["deviation_ci"]["ci_over"], "ci_method": units["deviation_ci"]["ci_method"]}
    rows["dimensions"] = [{**row, **dims} for row in rows["dimensions"]]
    tables = {name: report_table(rows[name], cols) for name, cols in COLUMNS.items()}
    settings = {**settings, "families": list(PROFILE_FAMILIES), "dimensions": [f"{f}/{d}" for f, d in DIMENSIONS],
                "n_items_model": model.n_items,
                # what every interval of the report is over, and how it is made (one unit, one estimator)
                "ci_over": {"model": "item draws, paired with the human side",
                            "human": "raters" if settings.get("human") == "raters"
                            else "norms (normal replicates from their intervals)"},
                "ci_method": "bootstrap-percentile",
                # per interval, as the leaderboard's records; and the ones a side without uncertainty made zero-width
                "intervals": units, "zero_width": zero_width(tables)}
    return DeviationReport(**tables, settings=settings)
