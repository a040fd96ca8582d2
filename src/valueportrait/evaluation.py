"""The metric's work, without ``evaluate``: parallel lists of ratings and item ids -> a JSON-serialisable portrait.

``metric/metric.py`` (the evaluate module) is a shell over :func:`evaluate_ratings`; this function is
also the plain-Python entry point for other pipelines.
"""

from __future__ import annotations

from dataclasses import replace
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .dataset import ValuePortraitData, dataset_name, dataset_of, dataset_revision, open_dataset
from .errors import DatasetError, InputError
from .pipelines import check_item_ids, deviation_report, human_source
from .ratings.likert import to_ratings
from .io import json_safe
from .scale import VARIANTS
from .coverage import coverage_record, expected_requests
from .ratings.duplicates import resolve_duplicates
from .scoring import check_ci_over, interval_portrait, portrait_reliability
from .settings import HUMAN_SOURCES, DatasetRef, Deviation, Intervals, Selection
from .sensitivity import prompt_sensitivity

#: Keys of every result, in order (stable: the metric card documents them).
RESULT_KEYS = ("scores", "family_means", "counts", "coverage", "settings", "prompt_sensitivity", "reliability",
               "personas", "deviation")


def load_data(dataset: str | ValuePortraitData | None, revision: str | None = None) -> ValuePortraitData:
    """The dataset object from a built folder / Hub repo id, or as given; a clear error when none is given."""
    if isinstance(dataset, ValuePortraitData):
        return dataset
    if not dataset:
        raise DatasetError(
            "the Value Portrait metric needs the dataset's item selection: pass dataset=<built folder or Hub repo "
            "id> (and revision=...) to evaluate.load(...) or to compute(...), e.g. evaluate.load(valueportrait."
            "metric_path(), dataset='./valueportrait'). Build a folder with `valueportrait build`."
        )
    return open_dataset(dataset, revision=revision)


#: The metric's keyword arguments that are not a field of the same name: keyword -> (object, field).
_RENAMED = {"ci_over": ("intervals", "over"), "confidence": ("intervals", "level")}


def metric_settings(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The metric's flat keyword arguments as the settings objects (the one place they map):
    ``{"selection": Selection, "intervals": Intervals, "deviation": Deviation | None}``.

    Each keyword is the field of that name (``ci_over`` is ``Intervals.over``, ``confidence`` is
    ``Intervals.level``); ``deviation=True``, ``persona_groups`` or ``norms`` ask for the deviation statistics.
    An unknown keyword is an :class:`InputError` listing the known ones.

    >>> metric_settings({"threshold": 0.35, "ci_over": "items"})["intervals"].over
    'items'
    """
    from dataclasses import fields

    kinds = {"selection": Selection, "intervals": Intervals, "deviation": Deviation}
    names = {f.name: (k, f.name) for k, cls in kinds.items() for f in fields(cls)
             if (k, f.name) not in _RENAMED.values()}
    names.update(_RENAMED)
    given: dict[str, dict[str, Any]] = {k: {} for k in kinds}
    want_deviation = False
    for key, value in kwargs.items():
        if key == "deviation":
            want_deviation = bool(value)
            continue
        if key not in names or key == "plot":
            known = sorted({*names, "deviation"} - {"plot", "demographics"})
            raise InputError(f"unknown setting {key!r}; the metric takes {', '.join(known)}")
        kind, field = names[key]
        if value is not None or kind == "deviation":
            given[kind][field] = value
    want_deviation = want_deviation or any(given["deviation"].get(k) is not None for k in ("persona_groups", "norms"))
    return {"selection": Selection(**given["selection"]), "intervals": Intervals(**given["intervals"]),
            "deviation": Deviation(**{k: v for k, v in given["deviation"].items() if v is not None})
            if want_deviation else None}


def metric_predictions(predictions: Sequence | None, *, what: str = "predictions") -> list | None:
    """Predictions as the ``evaluate`` metric takes them: text, before its features cast them.

    ``evaluate`` would pick an input type from the *first* prediction (a float feature turns ``True`` into 1.0
    and fails on ``["5", "like me"]``), so the metric declares one text feature and every prediction is
    written as text here: numbers exactly (``repr``), answers as given, ``None`` as ``""`` (a missing answer;
    evaluate's text feature refuses None).
    :func:`evaluate_ratings` reads numbers and phrases alike. Booleans are refused (not a rating); so is an
    empty list.

    >>> metric_predictions([5, "like me", None, 4.25])
    ['5', 'like me', '', '4.25']
    """
    if predictions is None:
        return None
    preds = list(predictions)
    if not preds:
        raise InputError(f"{what} is empty; give one rating (1-6, or a free-text answer) per item id in references")
    flags = [i for i, v in enumerate(preds) if isinstance(v, (bool, np.bool_))]
    if flags:
        shown = _summarise([f"[{i}] {preds[i]!r}" for i in flags])
        raise InputError(f"{len(flags)} of the {len(preds)} {what} are booleans ({shown}), not ratings: expected "
                         "numbers 1-6 or Likert answers such as 'somewhat like me'")
    return ["" if v is None else v if isinstance(v, str) else repr(float(v)) if isinstance(v, (float, np.floating))
            else str(v) for v in preds]


def _summarise(values: Sequence, limit: int = 10) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return shown + (f" ... ({len(values)} in all)" if len(values) > limit else "")


def _portrait_dict(portrait: pd.DataFrame) -> tuple[dict, dict]:
    scores: dict = {}
    fmeans: dict = {}
    for r in portrait.to_dict("records"):
        cell = {k: (None if r.get(k) is None or (isinstance(r[k], float) and np.isnan(r[k])) else float(r[k]))
                for k in ("score", "raw_mean", "std", "ci_low", "ci_high")}
        cell["n"] = int(r["n"])
        for k in ("ci_over", "ci_method"):
            cell[k] = r.get(k) if isinstance(r.get(k), str) else None
        cell["note"] = r["note"] if isinstance(r["note"], str) else None
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


def _results(groups: dict[str, pd.DataFrame], selection: pd.DataFrame, sel_items: set, n_items: int, **kw) -> dict:
    """Each persona's portrait with the same interval as ``scores`` (one ``ci_over``, one estimator), its counts
    and its coverage."""
    out = {}
    for k, g in groups.items():
        portrait = interval_portrait(g[["item_id", "rating"]], selection, **kw)
        scores, fmeans = _portrait_dict(portrait)
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
        ci_over, ci_method, note}}}, ``family_means`` {family: mean}, ``counts`` {ratings, ratings_used,
        ratings_ignored, missing_or_unparseable, not_measuring, items_rated, items_used, duplicates (ratings
        repeating an (item, variant[, persona]) already rated, removed by the ``duplicates`` policy)},
        ``coverage`` (:func:`~valueportrait.coverage.coverage_record`: rated, requests, share, partial,
        short_dimensions; requests = items x the variants x the personas given), ``settings``,
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
    ratings = to_ratings(preds, what="predictions", unparseable="missing")
    ids = [str(r) for r in refs]
    check_item_ids(ids, data, what="reference(s)", hint="References are item ids like '1008-1' "
                   "(portrait_id-option_id), see the 'items' config.")
    if want_deviation:  # fail before the scoring
        _persona_map(list(dict.fromkeys(str(p) for p in personas)), deviation.persona_groups)
        human_source(data, deviation, reselected=selection.reselects)
    sel = data.selection(selection)
    sel_items = set(sel["item_id"])
    table = pd.DataFrame({"item_id": ids, "rating": ratings})
    if variants is not None:
        table["variant"] = _variant_labels(variants)
    if personas is not None:
        table["persona"] = _persona_labels(personas)
    table, removed = resolve_duplicates(table.assign(source="predictions"), selection.duplicates)
    table = table.drop(columns="source").reset_index(drop=True)
    center, min_items = selection.center, selection.min_items
    kw = dict(ci_over=intervals.over, confidence=intervals.level, center=center, min_items=min_items)
    portrait = interval_portrait(table, sel, **kw)
    scores, fmeans = _portrait_dict(portrait)
    out = {"scores": scores, "family_means": fmeans, "counts": _counts(table, sel_items, removed),
           "coverage": json_safe(coverage_record(table, portrait, sel,
                                                 requests=expected_requests(table, len(data.item_ids))))}
    out["settings"] = {
        "dataset": dataset_name(dataset), "revision": dataset_revision(dataset),
        "dataset_version": data.build_info.get("dataset_version"),
        **selection.resolved(data.build_info.get("selection")),
        "center": center, "min_items": min_items, "n_boot": intervals.n_boot, "confidence": intervals.level,
        "seed": intervals.seed, "ci_over": intervals.over, "duplicates": selection.duplicates,
    }
    out["prompt_sensitivity"] = out["reliability"] = None
    if variants is not None:
        with_variants = table[["item_id", "rating", "variant"]]
        out["prompt_sensitivity"] = prompt_sensitivity(with_variants)
        out["reliability"] = json_safe(portrait_reliability(with_variants, sel))
    out["personas"] = None
    if personas is not None:
        out["personas"] = _results(dict(tuple(table.groupby("persona", sort=True))), sel, sel_items,
                                   len(data.item_ids), **kw)
    out["deviation"] = None
    if want_deviation:
        out["deviation"] = deviation_for_ratings(table, data, selection=selection, intervals=intervals,
                                                 deviation=deviation)
    return {k: out[k] for k in RESULT_KEYS}


def _persona_labels(personas: Sequence) -> list[str]:
    """The persona labels as text; an empty or blank label is an InputError (name every persona)."""
    labels = ["" if p is None else str(p) for p in personas]
    blank = [i for i, p in enumerate(labels) if not p.strip()]
    if blank:
        raise InputError(f"{len(blank)} persona label(s) are empty (at {_summarise(blank)}); give every rating its "
                         "persona's name (e.g. 'a woman'), or leave personas out for ratings without one")
    return labels


def _variant_labels(variants: Sequence) -> list[str]:
    """The variant labels as text, each one of :data:`~valueportrait.scale.VARIANTS`."""
    labels = [str(v) for v in variants]
    unknown = sorted(set(labels) - set(VARIANTS))
    if unknown:
        raise InputError(f"variants holds label(s) that are not prompt variants: {_summarise(unknown)}; the known "
                         f"variants are {', '.join(VARIANTS)}")
    return labels


def _persona_map(personas: Sequence[str], persona_groups: Mapping[str, str] | None) -> dict[str, str]:
    """persona -> "attribute=group"; personas labelled ``attribute=group`` map to themselves."""
    if not isinstance(persona_groups, (Mapping, type(None))):
        raise InputError("persona_groups must be a dict {persona label: 'attribute=group'}, got "
                         f"{type(persona_groups).__name__}")
    groups = {str(k): v for k, v in (persona_groups or {}).items()}
    unknown = sorted(set(groups) - set(personas))
    if unknown:
        raise InputError(f"persona_groups names persona(s) with no rating: {_summarise(unknown)}; the personas "
                         f"rated are {_summarise(sorted(personas))}")
    unmapped = [p for p in personas if p not in groups and "=" not in p]
    if unmapped:
        raise InputError(f"persona(s) {_summarise(unmapped)} have no human group: map each persona to a group with "
                         "persona_groups={'<persona>': 'attribute=group'} (e.g. {'a woman': 'sex=Female'}), or "
                         "label the personas 'attribute=group'")
    out = {p: groups.get(p, p) for p in personas}
    seen: dict[str, str] = {}
    for p, label in out.items():
        key = "=".join(s.strip() for s in str(label).split("=", 1))
        if key in seen:
            raise InputError(f"personas {seen[key]!r} and {p!r} both map to the group {key!r}; the deviation "
                             "compares one persona per group")
        seen[key] = p
    return out


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
    pmap = _persona_map(personas, deviation.persona_groups)
    source, report = deviation_report(table[["item_id", "rating", "persona"]], data,
                                      selection=selection, intervals=intervals,
                                      deviation=replace(deviation, persona_groups=pmap))
    return {"source": source, **report_to_dict(report)}


__all__ = ["HUMAN_SOURCES", "RESULT_KEYS", "deviation_for_ratings", "evaluate_ratings", "load_data",
           "metric_predictions", "metric_settings"]
