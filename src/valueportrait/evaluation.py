"""The metric's work, without ``evaluate``: parallel lists of ratings and item ids -> a JSON-serialisable portrait.

``metric/valueportrait.py`` (the evaluate module) is a shell over :func:`evaluate_ratings`; this function is
also the plain-Python entry point for other pipelines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .dataset import ValuePortraitData, open_dataset
from .errors import DatasetError, InputError
from .likert import to_ratings
from .scoring import bootstrap_portrait
from .sensitivity import prompt_sensitivity

#: Keys of every result, in order (stable: the metric card documents them).
RESULT_KEYS = ("scores", "family_means", "counts", "settings", "prompt_sensitivity", "personas")


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


def _summarise(values: Sequence, limit: int = 10) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return shown + (f" ... ({len(values)} in all)" if len(values) > limit else "")


def _portrait_dict(portrait: pd.DataFrame) -> tuple[dict, dict]:
    scores: dict = {}
    fmeans: dict = {}
    for r in portrait.to_dict("records"):
        cell = {k: (None if r[k] is None or (isinstance(r[k], float) and np.isnan(r[k])) else float(r[k]))
                for k in ("score", "raw_mean", "std", "ci_low", "ci_high")}
        cell["n"] = int(r["n"])
        cell["note"] = r["note"] if isinstance(r["note"], str) else None
        scores.setdefault(r["family"], {})[r["dimension"]] = cell
        fm = r["family_mean"]
        fmeans[r["family"]] = None if fm is None or np.isnan(fm) else float(fm)
    return scores, fmeans


def _score(table: pd.DataFrame, selection: pd.DataFrame, sel_items: set, **kw) -> dict:
    portrait = bootstrap_portrait(table[["item_id", "rating"]], selection, **kw)
    scores, fmeans = _portrait_dict(portrait)
    valid = table["rating"].notna()
    used = valid & table["item_id"].isin(sel_items)
    counts = {
        "ratings": int(len(table)), "ratings_used": int(used.sum()), "ratings_ignored": int((~used).sum()),
        "missing_or_unparseable": int((~valid).sum()), "not_measuring": int((valid & ~used).sum()),
        "items_rated": int(table.loc[valid, "item_id"].nunique()), "items_used": int(table.loc[used, "item_id"].nunique()),
    }
    return {"scores": scores, "family_means": fmeans, "counts": counts}


def evaluate_ratings(predictions: Sequence, references: Sequence, *, dataset: str | ValuePortraitData | None,
                     revision: str | None = None, variants: Sequence | None = None, personas: Sequence | None = None,
                     threshold: float | None = None, alpha: float | None = None, mode: str | None = None,
                     correlations: str | None = None, center: bool = True, min_items: int = 1, n_boot: int = 1000,
                     confidence: float = 0.95, seed: int = 0) -> dict:
    """Score ratings of Value Portrait items.

    Parameters
    ----------
    predictions : sequence
        Ratings: numbers 1-6 (floats allowed) or free-text answers read with
        :func:`~valueportrait.likert.parse_likert` (unparseable text counts as missing); None = missing.
    references : sequence of str
        Item ids (``"1008-1"``), one per prediction. Several ratings of one item are averaged.
    dataset, revision
        Built dataset folder or Hub repo id (+ revision), or a :class:`ValuePortraitData`.
    variants, personas : sequence, optional
        A prompt-variant label / persona label per prediction. Variants add ``prompt_sensitivity``; personas add
        one portrait per persona under ``personas`` (``scores`` pools all ratings).
    threshold, alpha, mode, correlations
        Re-select the items from the correlations (default: the build's selection).
    center, min_items, n_boot, confidence, seed
        As :func:`~valueportrait.scoring.bootstrap_portrait`; ``n_boot=0`` gives null CIs.

    Returns
    -------
    dict
        Keys :data:`RESULT_KEYS`: ``scores`` {family: {dimension: {score, raw_mean, std, n, ci_low, ci_high,
        note}}}, ``family_means`` {family: mean}, ``counts`` {ratings, ratings_used, ratings_ignored,
        missing_or_unparseable, not_measuring, items_rated, items_used}, ``settings``, ``prompt_sensitivity``
        (None without variants), ``personas`` (None without personas).
    """
    preds, refs = list(predictions), list(references)
    if len(preds) != len(refs):
        raise InputError(f"predictions ({len(preds)}) and references ({len(refs)}) differ in length; give one item "
                         "id per rating")
    for name, labels in (("variants", variants), ("personas", personas)):
        if labels is not None and len(labels) != len(preds):
            raise InputError(f"{name} ({len(labels)}) and predictions ({len(preds)}) differ in length; give one "
                             f"label per rating or leave {name} out")
    data = load_data(dataset, revision)
    ratings = to_ratings(preds, what="predictions", unparseable="missing")
    ids = [str(r) for r in refs]
    unknown = sorted(set(ids) - set(data.item_ids))
    if unknown:
        raise InputError(f"{len(unknown)} reference(s) are not item ids of this dataset: {_summarise(unknown)}. "
                         "References are item ids like '1008-1' (portrait_id-option_id), see the 'items' config.")
    if any(v is not None for v in (threshold, alpha, mode, correlations)):
        selection = data.selection(threshold=threshold, alpha=alpha, mode=mode, correlations=correlations)
    else:
        selection = data.selection()
    sel_items = set(selection["item_id"])
    table = pd.DataFrame({"item_id": ids, "rating": ratings})
    kw = dict(center=center, min_items=min_items, n_boot=max(n_boot, 1), confidence=confidence, seed=seed)
    out = _score(table, selection, sel_items, **kw)
    sel_info = data.build_info.get("selection", {})
    out["settings"] = {
        "dataset": dataset if isinstance(dataset, str) else None, "revision": revision,
        "dataset_version": data.build_info.get("dataset_version"),
        "threshold": sel_info.get("threshold") if threshold is None else threshold,
        "alpha": sel_info.get("alpha") if alpha is None else alpha,
        "mode": sel_info.get("mode") if mode is None else mode,
        "correlations": sel_info.get("correlations") if correlations is None else correlations,
        "center": center, "min_items": min_items, "n_boot": n_boot, "confidence": confidence, "seed": seed,
    }
    if n_boot <= 0:
        for dims in out["scores"].values():
            for cell in dims.values():
                cell["ci_low"] = cell["ci_high"] = None
    out["prompt_sensitivity"] = None
    if variants is not None:
        out["prompt_sensitivity"] = prompt_sensitivity(table.assign(variant=[str(v) for v in variants]))
    out["personas"] = None
    if personas is not None:
        table["persona"] = [str(p) for p in personas]
        out["personas"] = {}
        for persona, g in table.groupby("persona", sort=True):
            res = _score(g, selection, sel_items, **kw)
            out["personas"][persona] = res
    return {k: out[k] for k in RESULT_KEYS}
