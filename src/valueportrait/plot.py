"""Paper-style figures of value portraits (matplotlib, optional extra ``plot``): radar charts, small multiples
and heatmaps, all in the one grammar of :mod:`valueportrait.figures` and :mod:`valueportrait.style`.

:func:`portrait_figure` draws a leaderboard (the content of ``leaderboard.json``) as ``radar`` (all portraits
overlaid), ``multiples`` (one panel per portrait, one shared scale) or ``heatmap`` (models x dimensions), the
heatmap by default above :data:`~valueportrait.figures.heatmap.RADAR_MAX` portraits. :func:`radar_chart` draws
score tables (``score_portrait`` frames) on a radar chart. The deviation charts
(:mod:`valueportrait.deviation.plot`) use :func:`draw_radar` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .errors import InputError
from .figures.data import figure_data
from .figures.heatmap import RADAR_MAX, heatmap_figure
from .figures.mpl import draw_radar, multiples_figure, pyplot, radar_figure, save_figure
from .report import leaderboard_json

__all__ = ["KINDS", "draw_radar", "portrait_figure", "pyplot", "radar_chart"]

#: The kinds of figure: ``auto`` is ``radar`` up to RADAR_MAX portraits, ``heatmap`` above.
KINDS = ("auto", "radar", "heatmap", "multiples")


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError(f"{path}: the chart is written as .png, .svg or .pdf; got suffix {path.suffix!r}")
    return path


def portrait_figure(board: Mapping[str, Any], path: str | Path, *, kind: Literal["auto", "radar", "heatmap",
                    "multiples"] = "auto", family: str | None = None, models: Sequence[str] | None = None,
                    title: str | None = None, limit: float | None = None, order_by: str | None = None) -> Path:
    """Draw the portraits of a leaderboard as one figure; save PNG/SVG/PDF (by the suffix); return the path.

    Parameters
    ----------
    board : the content of ``leaderboard.json`` (``valueportrait score --out``): scores, intervals, reliability,
        coverage and (when the dataset records it) ``meta.above_chance``.
    kind : ``radar``, ``multiples``, ``heatmap``, or ``auto`` (radar up to RADAR_MAX portraits, else heatmap).
    family : ``pvq`` (default: the first family of the portraits' instrument), ``higher_pvq`` or ``bfi``; a
        survey build's own family keys.
    models : the portraits to draw, in that order (default: all). Colours follow the model names, so a model
        has the same colour in every figure.
    limit : the radial half-range of radar panels, or the colour range of the heatmap (default: fitted).
    order_by : a dimension to order the heatmap's rows by (default: clustering).
    """
    path = _check_path(path)
    if kind not in KINDS:
        raise InputError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    fd = figure_data(board, family, models)
    if kind == "auto":
        kind = "radar" if len(fd.names) <= RADAR_MAX else "heatmap"
    if kind == "heatmap":
        fig = heatmap_figure(fd, title=title, limit=limit, order_by=order_by)
    elif kind == "multiples":
        fig = multiples_figure(fd, title=title, limit=limit)
    else:
        fig = radar_figure(fd, title=title, limit=limit)
    return save_figure(fig, path)


def radar_chart(portraits: dict[str, pd.DataFrame], path: str | Path, *, family: str | None = None,
                title: str | None = None, limit: float | None = None, reliability: Mapping[str, Any] | None = None,
                coverage: Mapping[str, Any] | None = None, unreliable: Sequence[str] = ()) -> Path:
    """Draw the centred scores of one family for several portraits on one radar chart; save PNG/SVG/PDF.

    Parameters
    ----------
    portraits : dict
        name -> portrait frame (``dimension``, ``score``, optionally ``ci_low``/``ci_high``/``ci_over``), as from
        :func:`~valueportrait.scoring.score_portrait`; intervals are drawn as whiskers.
    path : path
        Output file; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    family : str
        ``pvq`` (default, 10 values), ``higher_pvq`` or ``bfi``.
    title : str, optional
        Default: the family's name, e.g. "Schwartz basic values (PVQ-21): centred scores".
    limit : float, optional
        Radial half-range: the axis runs from ``-limit`` to ``+limit``. Default: every score and interval fits.
    reliability, coverage : {name: record}, optional
        As in ``leaderboard.json``: unreliable and partial portraits are dashed, faded and labelled.
    unreliable : names
        Portraits to treat as unreliable (without a reliability record).
    """
    path = _check_path(path)
    if not portraits:
        raise InputError("no portraits to plot; pass at least one {name: portrait} (a score_portrait() table)")
    frames = {n: p if "n" in p else p.assign(n=0) for n, p in portraits.items()}
    rel = {**{n: {"reliable": False} for n in unreliable}, **dict(reliability or {})}
    board = leaderboard_json(frames, reliability=rel, coverage=dict(coverage or {}))
    return save_figure(radar_figure(figure_data(board, family), title=title, limit=limit), path)
