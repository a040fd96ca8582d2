"""The one loader of ``valueportrait score`` and ``compare``: every source read, checked, deduplicated, named.

:func:`read_sources` reads run directories, ratings files, Inspect logs and upstream's output layout into one
ratings table, refuses a source given twice (:func:`~valueportrait.ratings.duplicates.check_sources`), applies
the duplicates policy across all of them (:func:`~valueportrait.ratings.duplicates.resolve_duplicates`) and
names each portrait: a model's ratings under a persona are a portrait of their own, ``"{model} [{persona}]"``
(:func:`portrait_name`), never pooled with the model's other personas.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..errors import InputError
from ..instrument import Instrument
from ..settings import UpstreamOutputs
from .duplicates import check_policy, check_sources, resolve_duplicates
from .files import read_ratings

__all__ = ["RatingsSources", "persona_portraits", "portrait_name", "read_sources"]


class RatingsSources(NamedTuple):
    """What :func:`read_sources` read: the ratings (``model`` = the portrait's name), upstream's parse summary
    (None without upstream outputs) and the rows the duplicates policy removed."""

    ratings: pd.DataFrame
    parse_summary: pd.DataFrame | None
    duplicates_removed: int


def portrait_name(model: str, persona: str | None) -> str:
    """The name of a portrait: the model's, or ``"{model} [{persona}]"`` under a persona.

    >>> portrait_name("gpt-4o", "a woman"), portrait_name("gpt-4o", None)
    ('gpt-4o [a woman]', 'gpt-4o')
    """
    return str(model) if persona is None or pd.isna(persona) else f"{model} [{persona}]"


def persona_portraits(ratings: pd.DataFrame) -> pd.DataFrame:
    """``ratings`` with ``model`` renamed to :func:`portrait_name` of each row (a persona with an empty or blank
    name is an InputError naming the model)."""
    if "persona" not in ratings or ratings["persona"].isna().all():
        return ratings
    has = ratings["persona"].notna()
    blank = has & (ratings["persona"].astype(str).str.strip() == "")
    if blank.any():
        models = ", ".join(sorted(map(str, ratings.loc[blank, "model"].unique())))
        raise InputError(f"{int(blank.sum()):,} rating(s) of {models} have a persona with an empty name; name each "
                         "persona (e.g. 'a woman'), or leave the persona cell empty for ratings without one")
    out = ratings.copy()
    out.loc[has, "model"] = [portrait_name(m, p) for m, p in zip(out.loc[has, "model"], out.loc[has, "persona"])]
    return out


def read_sources(sources: Sequence[str | Path | UpstreamOutputs], *, progress: bool = False,
                 duplicates: str = "error", instrument: Instrument | None = None) -> RatingsSources:
    """Read every source into one ratings table (one portrait per model and persona).

    Parameters
    ----------
    sources : run directories, ratings files or Inspect logs (:func:`~valueportrait.ratings.read_ratings`), and
        folders in upstream's output layout (:class:`~valueportrait.settings.UpstreamOutputs`, with how to parse
        their answers).
    progress : a progress bar while reading upstream's outputs.
    duplicates : a request (model, persona, item, variant) rated more than once, across all sources:
        ``error`` (default), ``first`` or ``mean`` (:func:`~valueportrait.ratings.duplicates.resolve_duplicates`).
    instrument : the dataset's instrument: ratings files and run directories are checked against its scale,
        answer phrases and variants (default Value Portrait's).

    Raises
    ------
    InputError
        No source; a source given twice; a repeated request under ``duplicates="error"`` (naming the keys and
        the sources); an unknown policy; a persona with an empty name.
    """
    check_policy(duplicates)
    if not sources:
        raise InputError("give run directories or ratings files and/or an upstream outputs folder to score")
    check_sources([s.folder if isinstance(s, UpstreamOutputs) else s for s in sources])
    frames, summaries = [], []
    for s in sources:
        if isinstance(s, UpstreamOutputs):
            from .upstream import parse_summary, read_upstream_outputs

            up = read_upstream_outputs(s.folder, parse=s.parse, progress=progress)
            frames.append(up.assign(source=str(s.folder)))
            summaries.append(parse_summary(up))
        else:
            frames.append(read_ratings(s, duplicates=None, instrument=instrument).assign(source=str(s)))
    ratings, removed = resolve_duplicates(pd.concat(frames, ignore_index=True), duplicates)
    ratings = persona_portraits(ratings.drop(columns="source").reset_index(drop=True))
    return RatingsSources(ratings, pd.concat(summaries) if summaries else None, removed)
