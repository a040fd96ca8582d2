"""The metric's inputs, checked and mapped before any scoring: the dataset (:func:`load_data`), the predictions as
text (:func:`metric_predictions`), the flat keyword arguments as settings objects (:func:`metric_settings`, the one
place they map), the variant labels and the persona -> group map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .dataset import ValuePortraitData, open_dataset
from .errors import DatasetError, InputError
from .ratings.contract import check_text
from .scale import VARIANTS
from .settings import Deviation, Intervals, Selection


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
        shown = summarise([f"[{i}] {preds[i]!r}" for i in flags])
        raise InputError(f"{len(flags)} of the {len(preds)} {what} are booleans ({shown}), not ratings: expected "
                         "numbers 1-6 or Likert answers such as 'somewhat like me'")
    check_text(preds, what)
    try:
        return ["" if v is None else v if isinstance(v, str) else repr(float(v))
                if isinstance(v, (float, np.floating)) else str(v) for v in preds]
    except ValueError:  # str() of an integer of over 4,300 digits
        raise InputError(f"{what} holds an integer of over 4,300 digits, not a rating: expected numbers 1-6 or "
                         "Likert answers such as 'somewhat like me'") from None


def metric_references(references: Sequence | None) -> list | None:
    """The item ids as a list, checked for text pyarrow cannot hold (a lone surrogate) before evaluate casts them.

    >>> metric_references(("1008-1", "1008-2"))
    ['1008-1', '1008-2']
    """
    if references is None:
        return None
    references = list(references)
    check_text(references, "references")
    return references


def summarise(values: Sequence, limit: int = 10) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return shown + (f" ... ({len(values)} in all)" if len(values) > limit else "")


def persona_labels(personas: Sequence) -> list[str]:
    """The persona labels as text; an empty or blank label is an InputError (name every persona)."""
    labels = ["" if p is None else str(p) for p in personas]
    blank = [i for i, p in enumerate(labels) if not p.strip()]
    if blank:
        raise InputError(f"{len(blank)} persona label(s) are empty (at {summarise(blank)}); give every rating its "
                         "persona's name (e.g. 'a woman'), or leave personas out for ratings without one")
    return labels


def variant_labels(variants: Sequence, known: Sequence[str] = VARIANTS) -> list[str]:
    """The variant labels as text, each one of ``known`` (the dataset instrument's variants;
    :data:`~valueportrait.scale.VARIANTS` for Value Portrait)."""
    labels = [str(v) for v in variants]
    unknown = sorted(set(labels) - set(known))
    if unknown:
        raise InputError(f"variants holds label(s) that are not prompt variants: {summarise(unknown)}; the known "
                         f"variants are {', '.join(known)}")
    return labels


def persona_map(personas: Sequence[str], persona_groups: Mapping[str, str] | None) -> dict[str, str]:
    """persona -> "attribute=group"; personas labelled ``attribute=group`` map to themselves."""
    if not isinstance(persona_groups, (Mapping, type(None))):
        raise InputError("persona_groups must be a dict {persona label: 'attribute=group'}, got "
                         f"{type(persona_groups).__name__}")
    groups = {str(k): v for k, v in (persona_groups or {}).items()}
    unknown = sorted(set(groups) - set(personas))
    if unknown:
        raise InputError(f"persona_groups names persona(s) with no rating: {summarise(unknown)}; the personas "
                         f"rated are {summarise(sorted(personas))}")
    unmapped = [p for p in personas if p not in groups and "=" not in p]
    if unmapped:
        raise InputError(f"persona(s) {summarise(unmapped)} have no human group: map each persona to a group with "
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


__all__ = ["load_data", "metric_predictions", "metric_settings", "persona_labels", "persona_map", "summarise",
           "variant_labels"]
