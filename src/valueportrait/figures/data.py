"""What a figure shows, read once from a leaderboard: scores, intervals and their unit, caveats, chance-level
dimensions and colours (:class:`FigureData`).

Every surface draws from it (the matplotlib charts of :mod:`valueportrait.figures.mpl` and
:mod:`~valueportrait.figures.heatmap`, the SVG of the HTML report), so a caveat computed here shows on all of them:

* *unreliable*: ``reliability[model].reliable`` is False (profile shape not reproducible across prompt variants);
* *partial*: ``coverage[model].partial`` (or, for older leaderboards, fewer requests ``rated`` than expected);
* *chance-level dimensions*: ``meta.above_chance[family][dimension]`` is False (the item selection of that
  dimension is no better than chance; docs/validity.md); absent in older leaderboards, then nothing is marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import InputError
from ..report import UNIT_WORDS
from ..scale import FAMILIES
from ..chance import CHANCE_MARK  # the one mark of a chance-level dimension, as the tables print it
from ..style import dimension_label, display_name, family_title, model_colors, radial_scale

__all__ = ["CHANCE_MARK", "HUMAN", "FigureData", "caveats", "figure_data", "share_text"]

HUMAN = "human raters"


def share_text(share: float) -> str:
    """A coverage share as a reader sees it: never rounded up to 100% (``0.9929`` -> ``'99.2%'``).

    >>> share_text(962 / 3120), share_text(3098 / 3120), share_text(1.0)
    ('30.8%', '99.2%', '100%')
    """
    if share >= 1.0:
        return "100%"
    return f"{math.floor(1000 * share) / 10:.1f}%"


def caveats(board: Mapping[str, Any], model: str) -> tuple[str, ...]:
    """The caveats of one portrait, in words a title can carry: ``('unreliable', 'partial: 30.8% rated')``."""
    out = []
    rel = (board.get("reliability") or {}).get(model)
    if isinstance(rel, Mapping) and rel.get("reliable") is False:
        out.append("unreliable")
    elif isinstance(rel, Mapping) and rel.get("assessable") is False:
        out.append("reliability not assessable")
    cov = (board.get("coverage") or {}).get(model)
    if isinstance(cov, Mapping):
        rated, requests = cov.get("rated"), cov.get("requests")
        partial = cov.get("partial")
        if partial is None and rated is not None and requests:
            partial = rated < requests
        if partial:
            share = cov.get("share")
            share = share if share is not None else (rated / requests if requests else 0.0)
            out.append(f"partial: {share_text(share)} rated")
    return tuple(out)


@dataclass(frozen=True)
class FigureData:
    """One family's portraits as every figure draws them.

    ``score``, ``low``, ``high``: arrays (model x dimension), NaN where null (``low``/``high`` NaN: no interval);
    ``units``: each row's interval unit (``ci_over``: variants, raters, ...); ``caveats``: each row's caveats
    (:func:`caveats`); ``chance``: the dimensions whose selection is not above chance; ``colors``: one per row
    (:func:`~valueportrait.style.model_colors` of the whole leaderboard, so a model keeps its colour);
    ``title``: the family's heading and ``labels``: {dimension: display name}, from the leaderboard's
    ``meta.instrument`` (absent: Value Portrait's titles, :func:`~valueportrait.style.display_name`).
    """

    family: str
    dims: tuple[str, ...]
    names: tuple[str, ...]
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray
    units: Mapping[str, str | None]
    caveats: Mapping[str, tuple[str, ...]]
    chance: frozenset[str]
    colors: Mapping[str, str]
    confidence: float = 0.95
    #: ``meta.above_chance_rule`` (:func:`valueportrait.chance.chance_rule`): the build's rule the marks refer to.
    chance_rule: Mapping[str, Any] | None = None
    title: str = ""
    labels: Mapping[str, str] | None = None

    def row(self, name: str) -> int:
        return self.names.index(name)

    def flagged(self, name: str) -> bool:
        """Drawn dashed and faded: an unreliable or partial portrait."""
        return bool(self.caveats.get(name))

    def label(self, name: str) -> str:
        """The name with its caveats: ``'llama (unreliable; partial: 30.8% rated)'``."""
        cav = self.caveats.get(name) or ()
        return f"{name} ({'; '.join(cav)})" if cav else name

    def heading(self) -> str:
        """The family's title (the instrument's; ``pvq`` -> 'Schwartz basic values (PVQ-21)')."""
        return self.title or family_title(self.family)

    def dim_label(self, dim: str) -> str:
        """The dimension's display name (the instrument's label, else :func:`~valueportrait.style.display_name`)."""
        return (self.labels or {}).get(dim) or display_name(dim)

    def axis_label(self, dim: str) -> str:
        """The dimension's display name, marked :data:`CHANCE_MARK` when its selection is not above chance."""
        return self.dim_label(dim) + (f" {CHANCE_MARK}" if dim in self.chance else "")

    def scale(self, limit: float | None = None) -> tuple[float, np.ndarray]:
        """(limit, ticks) of the one radial scale: every score and interval end shown fits."""
        return radial_scale(np.concatenate([self.score.ravel(), self.low.ravel(), self.high.ravel()]), limit)

    def has_interval(self, name: str) -> bool:
        k = self.row(name)
        return bool(np.isfinite(self.low[k]).any() and np.isfinite(self.high[k]).any())

    def includes_zero(self) -> np.ndarray:
        """Cells (model x dimension) whose interval includes 0 (False where there is no interval)."""
        with np.errstate(invalid="ignore"):
            return (self.low <= 0) & (self.high >= 0)

    def subset(self, names: Sequence[str]) -> FigureData:
        """The same figure with only ``names`` (in that order); colours unchanged."""
        rows = [self.row(n) for n in names]
        return replace(self, names=tuple(names), score=self.score[rows], low=self.low[rows], high=self.high[rows])

    def interval_caption(self) -> str:
        """What the whiskers are, naming each row's unit (the human raters' intervals are over raters) and the
        rows without one: ``'Intervals: 95% intervals over prompt variants (models); over raters (human
        raters).'``"""
        groups: dict[str, list[str]] = {}
        for n in self.names:
            if self.has_interval(n):
                unit = self.units.get(n)
                groups.setdefault(UNIT_WORDS.get(unit or "", unit or "an unrecorded unit"), []).append(n)
        bare = [n for n in self.names if not self.has_interval(n)]
        if not groups:
            return "No intervals (the portraits have none)."
        models = [n for n in self.names if n != HUMAN]
        parts = []
        for unit, names in groups.items():
            if len(groups) == 1 and not bare:
                parts.append(f"over {unit}")
                continue
            who = ("human raters" if names == [HUMAN] else "models" if names == models
                   else ", ".join(names))
            parts.append(f"over {unit} ({who})")
        if bare:
            parts.append("none for " + ", ".join(bare))
        return f"Intervals: {100 * self.confidence:g}% intervals " + "; ".join(parts) + "."

    def notes(self, drawn: str = "Dashed and faded") -> list[str]:
        """The legend lines a figure's caption carries: the chance-level mark and the faded portraits."""
        out = []
        if self.chance:
            shown = ", ".join(self.dim_label(d) for d in self.dims if d in self.chance)
            out.append(f"{CHANCE_MARK} item selection not above chance ({shown}; docs/validity.md)"
                       + (" under the build's selection rule, not this one's (copied, not recomputed)."
                          if (self.chance_rule or {}).get("same_as_scores") is False else "."))
        flagged = [n for n in self.names if self.flagged(n)]
        if flagged:
            out.append(f"{drawn}: " + "; ".join(self.label(n) for n in flagged) + ".")
        return out

    def order(self, by: str | None = None) -> list[str]:
        """Row order for a heatmap: by the dimension ``by`` (highest first), else by clustering (average linkage
        on the scores, leaves in optimal order); the human raters last, set apart."""
        models = [n for n in self.names if n != HUMAN]
        rows = self.subset(models).score
        if by is not None:
            if by not in self.dims:
                raise InputError(f"order by {by!r}: not a dimension of {self.family}; choose one of {list(self.dims)}")
            col = np.nan_to_num(rows[:, self.dims.index(by)], nan=-np.inf)
            ordered = [models[k] for k in np.argsort(-col, kind="stable")]
        elif len(models) > 2:
            from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering

            x = np.nan_to_num(rows, nan=0.0)
            z = optimal_leaf_ordering(linkage(x, "average"), x)
            ordered = [models[k] for k in leaves_list(z)]
        else:
            ordered = models
        return ordered + [n for n in self.names if n == HUMAN]


def _cells(fams: Mapping[str, Any], family: str, dims: Sequence[str], key: str) -> list[float]:
    out = []
    for d in dims:
        v = ((fams.get(family) or {}).get(d) or {}).get(key)
        out.append(np.nan if v is None else float(v))
    return out


def board_families(board: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """family -> its dimensions, as the leaderboard's portraits have them (their instrument's order: a survey
    build's own families); Value Portrait's when the leaderboard has no portrait."""
    first = next((p for p in (board.get("models") or {}).values() if isinstance(p, Mapping) and p), None)
    if first is None:
        return dict(FAMILIES)
    return {str(f): tuple(map(str, dims)) for f, dims in first.items() if isinstance(dims, Mapping)}


def figure_data(board: Mapping[str, Any], family: str | None = None,
                models: Sequence[str] | None = None) -> FigureData:
    """The :class:`FigureData` of one family of a leaderboard (the content of ``leaderboard.json``); ``family``
    default: its first (Value Portrait: ``pvq``).

    ``models``: the rows to show, in that order (default: all); colours are those of the whole leaderboard.
    """
    families = board_families(board)
    family = next(iter(families)) if family is None else family
    if family not in families:
        raise InputError(f"family must be one of {list(families)}, got {family!r}")
    every = list(board.get("models") or {})
    names = list(models) if models is not None else every
    unknown = [m for m in names if m not in every]
    if unknown:
        raise InputError(f"model(s) {unknown} are not in the scores; found {every}")
    if not names:
        raise InputError("no portraits to draw; score some ratings first (`valueportrait score`)")
    dims = families[family]
    meta = board.get("meta") or {}
    arr = {k: np.array([_cells(board["models"][m], family, dims, k) for m in names], dtype=float)
           for k in ("score", "ci_low", "ci_high")}
    units = {}
    for m in names:
        cells = (board["models"][m].get(family) or {}).values()
        unit = next((c.get("ci_over") for c in cells if isinstance(c, Mapping) and c.get("ci_over")), None)
        units[m] = unit or (meta.get("human_ci_over") if m == HUMAN else meta.get("ci_over"))
    above = ((meta.get("above_chance") or {}).get(family) or {})
    instrument = meta.get("instrument") if isinstance(meta.get("instrument"), Mapping) else None
    return FigureData(family=family, dims=dims, names=tuple(names), score=arr["score"], low=arr["ci_low"],
                      high=arr["ci_high"], units=units, caveats={m: caveats(board, m) for m in names},
                      chance=frozenset(d for d in dims if above.get(d) is False), colors=model_colors(every),
                      confidence=float(meta.get("confidence") or 0.95), chance_rule=meta.get("above_chance_rule"),
                      title=family_title(family, instrument),
                      labels={d: dimension_label(family, d, instrument) for d in dims})
