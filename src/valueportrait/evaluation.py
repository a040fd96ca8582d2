"""The metric's work, without ``evaluate``: parallel lists of ratings and item ids -> a JSON-serialisable portrait.

``metric/metric.py`` (the evaluate module) is a shell over :func:`evaluate_ratings`; this function is
also the plain-Python entry point for other pipelines.
"""

from __future__ import annotations

from dataclasses import replace
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .dataset import ValuePortraitData, dataset_name, dataset_of
from .errors import InputError
from .metric_inputs import load_data, persona_labels, persona_map, variant_labels
from .pipelines import check_item_ids, deviation_report, human_source
from .ratings.likert import to_ratings
from .io import json_safe
from .coverage import coverage_record, expected_requests
from .ratings.duplicates import resolve_duplicates
from .chance import CHANCE_NOTE, chance_flags, chance_level, chance_note, chance_rule
from .scoring import check_ci_over, interval_portrait, portrait_reliability
from .settings import HUMAN_SOURCES, DatasetRef, Deviation, Intervals, Selection, revision_of
from .sensitivity import prompt_sensitivity

#: Keys of every result, in order (stable: the metric card documents them).
RESULT_KEYS = ("scores", "family_means", "counts", "coverage", "settings", "prompt_sensitivity", "reliability",
               "personas", "deviation")


def _portrait_dict(portrait: pd.DataFrame, above_chance: dict | None = None,
                   chance_text: str = CHANCE_NOTE) -> tuple[dict, dict]:
    scores: dict = {}
    fmeans: dict = {}
    for r in portrait.to_dict("records"):
        cell = {k: (None if r.get(k) is None or (isinstance(r[k], float) and np.isnan(r[k])) else float(r[k]))
                for k in ("score", "raw_mean", "std", "ci_low", "ci_high")}
        cell["n"] = int(r["n"])
        for k in ("ci_over", "ci_method"):
            cell[k] = r.get(k) if isinstance(r.get(k), str) else None
        cell["note"] = r["note"] if isinstance(r["note"], str) else None
        cell["above_chance"] = None if above_chance is None else not chance_level(above_chance, r["family"],
                                                                                  r["dimension"])
        if cell["above_chance"] is False:
            cell["note"] = "; ".join(filter(None, [cell["note"], chance_text]))
        scores.setdefault(r["family"], {})[r["dimension"]] = cell
        fm = r["family_mean"]
        fmeans[r["family"]] = None if fm is None or np.isnan(fm) else float(fm)
    return scores, fmeans


def _counts(table: pd.DataFrame, sel_items: set, duplicates: int = 0) -> dict:
    valid = table["rating"].notna()
    used = valid & table["item_id"].isin(sel_items)
    return {
        "ratings": int(len(table)), "ratings_used": int(used.sum()), "ratings_ignored": int((~used).sum()),
        "missing_or_unparseable": int((~valid).sum()), "not_measuring": int((valid & ~used).sum()),
        "items_rated": int(table.loc[valid, "item_id"].nunique()), "items_used": int(table.loc[used, "item_id"].nunique()),
        "duplicates": duplicates,
    }


def _results(groups: dict[str, pd.DataFrame], selection: pd.DataFrame, sel_items: set, above_chance: dict | None,
             n_items: int, chance_text: str = CHANCE_NOTE, **kw) -> dict:
    """Each persona's portrait with the same interval as ``scores`` (one ``ci_over``, one estimator), its counts
    and its coverage."""
    out = {}
    for k, g in groups.items():
        portrait = interval_portrait(g[["item_id", "rating"]], selection, **kw)
        scores, fmeans = _portrait_dict(portrait, above_chance, chance_text)
        out[k] = {"scores": scores, "family_means": fmeans, "counts": _counts(g, sel_items),
                  "coverage": json_safe(coverage_record(g, portrait, selection,
                                                        requests=expected_requests(g, n_items)))}
    return out


def evaluate_ratings(predictions: Sequence, references: Sequence, *,
                     dataset: str | DatasetRef | ValuePortraitData | None, variants: Sequence | None = None,
                     personas: Sequence | None = None, selection: Selection = Selection(),
                     intervals: Intervals = Intervals(), deviation: Deviation | None = None) -> dict:
    """Score ratings of Value Portrait items.

    Parameters
    ----------
    predictions : sequence
        Ratings: numbers 1-6 (floats allowed) or free-text answers read with
        :func:`~valueportrait.ratings.parse_likert` (unparseable text counts as missing); None = missing.
    references : sequence of str
        Item ids (``"1008-1"``), one per prediction. Several ratings of one item are averaged.
    dataset
        Built dataset folder or Hub repo id, a :class:`~valueportrait.settings.DatasetRef` (with a revision),
        or a :class:`ValuePortraitData`.
    variants, personas : sequence, optional
        A prompt-variant label / persona label per prediction. Variants add ``prompt_sensitivity``; personas add
        one portrait per persona under ``personas`` (``scores`` pools all ratings).
    selection : :class:`~valueportrait.settings.Selection`
        Re-select the items from the correlations (default: the build's selection; ``correction`` is the
        multiple-testing control, see :mod:`valueportrait.selection`); ``center``, ``min_items`` as
        :func:`~valueportrait.scoring.interval_portrait`; ``duplicates``: a rating of an (item, variant[,
        persona]) already rated is an error naming it (``"error"``, default), or ``"first"`` / ``"mean"`` keeps
        one (counted in ``counts["duplicates"]``); ratings without variants are never duplicates (several ratings
        of an item are then the documented average over prompts).
    intervals : :class:`~valueportrait.settings.Intervals`
        ``over``: the unit of the ``scores`` intervals (:data:`~valueportrait.scoring.CI_UNITS`): ``variants``
        (default; the spread of each item's several ratings: prompt variants or repeats; one rating per item
        gives null intervals with a note), ``items`` or ``items+variants``; ``level`` (the persona portraits have the
        same interval: one unit, one estimator); ``n_boot``, ``seed``: the deviation statistics' bootstrap.
    deviation : :class:`~valueportrait.settings.Deviation`, optional
        Ask for the deviation statistics (model persona vs real group), see :func:`deviation_for_ratings`; they
        need ``personas``.

    The metric's flat keyword arguments become these objects in :func:`metric_settings`; the human side is
    decided by :func:`valueportrait.pipelines.human_source`.

    Returns
    -------
    dict
        Keys :data:`RESULT_KEYS`: ``scores`` {family: {dimension: {score, raw_mean, std, n, ci_low, ci_high,
        ci_over, ci_method, note, above_chance}}} (``above_chance`` False, and the note says so, for a dimension
        whose selection is not above chance in the build's permutation test; None for builds without it;
        ``settings.above_chance_rule`` names the build's rule the flags refer to and whether the scores use it),
        ``family_means`` {family: mean}, ``counts`` {ratings, ratings_used, ratings_ignored,
        missing_or_unparseable, not_measuring, items_rated, items_used, duplicates (ratings repeating an (item,
        variant[, persona]) already rated, removed by the ``duplicates`` policy)}, ``coverage``
        (:func:`~valueportrait.coverage.coverage_record`: rated, requests, share, partial, short_dimensions;
        requests = items x the variants x the personas given), ``settings``,
        ``prompt_sensitivity`` (None without variants), ``reliability`` (None without variants; else
        :func:`~valueportrait.scoring.portrait_reliability`'s record: verdict, profile reliability and its
        permutation p, ``reliable``, profile SD / SE, ``flat``, order bias and ``order_bias_flag``, ICC, the fixed
        split-half; "not assessable" without all 6 variants), ``personas`` (None without personas; else
        {persona: {scores, family_means, counts, coverage}}), ``deviation`` (None unless asked for; else
        :func:`valueportrait.deviation.report_to_dict` of the comparison).
    """
    preds, refs = list(predictions), list(references)
    if not preds:
        raise InputError("predictions is empty; give one rating (1-6, or a free-text answer) per item id in "
                         "references")
    if len(preds) != len(refs):
        raise InputError(f"predictions ({len(preds)}) and references ({len(refs)}) differ in length; give one item "
                         "id per rating")
    for name, labels in (("variants", variants), ("personas", personas)):
        if labels is not None and len(labels) != len(preds):
            raise InputError(f"{name} ({len(labels)}) and predictions ({len(preds)}) differ in length; give one "
                             f"label per rating or leave {name} out")
    want_deviation = deviation is not None
    if want_deviation and personas is None:
        raise InputError("the deviation statistics compare each persona's portrait with a human group: pass "
                         "personas=[...] (one persona label per prediction) with persona_groups={persona: "
                         "'attribute=group'}")
    check_ci_over(intervals.over)
    data = load_data(dataset) if not isinstance(dataset, DatasetRef) else dataset_of(dataset)
    instrument = data.instrument  # its scale, answer phrases, variants and dimensions
    ratings = to_ratings(preds, what="predictions", unparseable="missing", instrument=instrument)
    ids = [str(r) for r in refs]
    check_item_ids(ids, data, what="reference(s)", hint="References are item ids like '1008-1' "
                   "(portrait_id-option_id), see the 'items' config.")
    if want_deviation:  # fail before the scoring
        persona_map(list(dict.fromkeys(str(p) for p in personas)), deviation.persona_groups)
        human_source(data, deviation, reselected=selection.reselects)
    sel = data.selection(selection)
    sel_items = set(sel["item_id"])
    table = pd.DataFrame({"item_id": ids, "rating": ratings})
    if variants is not None:
        table["variant"] = variant_labels(variants, instrument.variant_names)
    if personas is not None:
        table["persona"] = persona_labels(personas)
    table, removed = resolve_duplicates(table.assign(source="predictions"), selection.duplicates)
    table = table.drop(columns="source").reset_index(drop=True)
    center, min_items = selection.center, selection.min_items
    kw = dict(ci_over=intervals.over, confidence=intervals.level, center=center, min_items=min_items,
              instrument=instrument)
    portrait = interval_portrait(table, sel, **kw)
    flags = chance_flags(data.build_info)
    rule = chance_rule(data.build_info, selection.resolved(data.build_info.get("selection")))
    scores, fmeans = _portrait_dict(portrait, flags, chance_note(rule))
    out = {"scores": scores, "family_means": fmeans, "counts": _counts(table, sel_items, removed),
           "coverage": json_safe(coverage_record(table, portrait, sel,
                                                 requests=expected_requests(table, len(data.item_ids))))}
    out["settings"] = {
        "dataset": dataset_name(dataset), "revision": revision_of(dataset),
        "dataset_version": data.build_info.get("dataset_version"),
        **selection.resolved(data.build_info.get("selection")),
        "center": center, "min_items": min_items, "n_boot": intervals.n_boot, "confidence": intervals.level,
        "seed": intervals.seed, "ci_over": intervals.over, "duplicates": selection.duplicates, "above_chance": flags,
        "above_chance_rule": rule,
    }
    out["prompt_sensitivity"] = out["reliability"] = None
    if variants is not None:
        with_variants = table[["item_id", "rating", "variant"]]
        out["prompt_sensitivity"] = prompt_sensitivity(with_variants)
        out["reliability"] = json_safe(portrait_reliability(with_variants, sel, instrument=instrument))
    out["personas"] = None
    if personas is not None:
        out["personas"] = _results(dict(tuple(table.groupby("persona", sort=True))), sel, sel_items, flags,
                                   len(data.item_ids), chance_note(rule), **kw)
    out["deviation"] = None
    if want_deviation:
        out["deviation"] = deviation_for_ratings(table, data, selection=selection, intervals=intervals,
                                                 deviation=deviation)
    return {k: out[k] for k in RESULT_KEYS}


def deviation_for_ratings(table: pd.DataFrame, data: ValuePortraitData, *, selection: Selection = Selection(),
                          intervals: Intervals = Intervals(), deviation: Deviation = Deviation()) -> dict:
    """The metric's ``deviation`` output: each persona's portrait vs its human group's, as JSON-ready dicts.

    Parameters
    ----------
    table : DataFrame
        ``item_id, rating, persona`` of one model.
    data : ValuePortraitData
    selection, intervals, deviation
        The settings (:mod:`valueportrait.settings`). ``deviation.persona_groups`` (persona ->
        ``"attribute=group"``) is needed for every persona not labelled ``attribute=group``; one persona per
        group. ``deviation.norms``: group norms given by the user (the ``human_group_norms`` schema,
        :func:`valueportrait.deviation.read_norms`), compared with
        :func:`~valueportrait.deviation.compare_with_norms`. Without them, ``deviation.human`` says which human
        side of the dataset: ``"raters"`` (default when the dataset was built with demographics) rebuilds the
        groups from the ``participants`` attribute columns and compares with the raters themselves
        (:func:`~valueportrait.deviation.compare_personas`: rater bootstrap, permutation p-values of the human
        gaps, distribution alignment); ``"norms"`` uses the dataset's stored ``human_group_norms`` config
        (refused with a re-selection: they were scored with the build's). See
        :func:`valueportrait.pipelines.human_source`, the one place that decides.

    Returns
    -------
    dict
        :func:`valueportrait.deviation.report_to_dict` plus ``"source"``: ``"dataset raters"``,
        ``"dataset norms"`` or ``"norms table"``.

    Raises
    ------
    InputError
        A persona without a group, two personas for one group, a group absent from the human side, a dataset
        without demographics and no ``norms``.
    """
    from .deviation import report_to_dict

    personas = list(dict.fromkeys(table["persona"].astype(str)))
    pmap = persona_map(personas, deviation.persona_groups)
    source, report = deviation_report(table[["item_id", "rating", "persona"]], data,
                                      selection=selection, intervals=intervals,
                                      deviation=replace(deviation, persona_groups=pmap))
    return {"source": source, **report_to_dict(report)}


__all__ = ["HUMAN_SOURCES", "RESULT_KEYS", "deviation_for_ratings", "evaluate_ratings"]
