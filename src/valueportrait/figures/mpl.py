"""Radar charts and small multiples with matplotlib (optional extra ``plot``), in the grammar of
:mod:`valueportrait.style`.

The dimensions go round the circle (the 10 Schwartz values in circumplex order, from the top, clockwise); the
radius runs from -limit (centre) to +limit (rim), the dotted ring is 0 (the model's own family mean). One radial
scale for every panel of a figure, labelled once in the caption, never on the data. Each portrait's interval is a
whisker along each axis; unreliable and partial portraits are dashed and faded and say so in their label; a
dimension whose item selection is not above chance carries a dagger on its axis label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..style import HUMAN_COLOR, scale_caption
from .data import HUMAN, FigureData

__all__ = ["caption", "draw_radar", "multiples_figure", "pyplot", "radar_figure", "save_figure"]


def pyplot():
    """matplotlib.pyplot on the Agg backend, or an InputError saying how to install the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - the plot extra is missing
        raise InputError("plotting needs matplotlib: pip install 'valueportrait[plot]'") from None
    return plt


def draw_radar(ax, fd: FigureData, names: Sequence[str] | None = None, *, limit: float, label_size: int = 11,
               reference: str | None = None) -> None:
    """Draw the rows ``names`` (default: all) of ``fd`` on the polar axes ``ax``, on the scale -limit..+limit.

    Each portrait: a closed line with dots, its interval as a whisker on each axis (offset a little per
    portrait so overlaid whiskers stay apart); flagged ones (:meth:`FigureData.flagged`) dashed and faded.
    ``reference``: a row drawn thin and grey behind the others (the human raters in small multiples).
    """
    names = list(names or fd.names)
    dims = fd.dims
    angles = np.linspace(0, 2 * np.pi, len(dims), endpoint=False)
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(-limit, limit)
    ring = np.linspace(0, 2 * np.pi, 200)
    ax.plot(ring, np.zeros_like(ring), linestyle=":", color="black", linewidth=1.3, zorder=2)
    if reference is not None:
        v = fd.score[fd.row(reference)]
        ax.plot(np.append(angles, angles[0]), np.append(v, v[0]), color="#9A9A9A", linewidth=1.3, zorder=2)
    step = 0.022 if len(names) > 1 else 0.0
    for i, name in enumerate(names):
        k = fd.row(name)
        v, lo, hi = fd.score[k], fd.low[k], fd.high[k]
        color = fd.colors.get(name, HUMAN_COLOR)
        faded = fd.flagged(name)
        alpha = 0.5 if faded else 1.0
        ok = np.isfinite(v)
        closed_a, closed_v = np.append(angles[ok], angles[ok][:1]), np.append(v[ok], v[ok][:1])
        ax.plot(closed_a, np.clip(closed_v, -limit, limit), color=color, linewidth=1.4 if faded else 2.0,
                linestyle=(0, (4, 2.5)) if faded else "-", alpha=alpha, zorder=4, label=fd.label(name))
        ax.plot(angles[ok], np.clip(v[ok], -limit, limit), "o", color=color, markersize=3.2, alpha=alpha, zorder=5)
        off = (i - (len(names) - 1) / 2) * step
        whiskers = [[(a + off, max(lo_, -limit)), (a + off, min(hi_, limit))]
                    for a, lo_, hi_ in zip(angles, lo, hi) if np.isfinite(lo_) and np.isfinite(hi_)]
        if whiskers:  # one collection per portrait: many panels stay fast
            from matplotlib.collections import LineCollection

            ax.add_collection(LineCollection(whiskers, colors=color, linewidths=1.1, alpha=0.75 * alpha,
                                             capstyle="butt", zorder=3))
    ax.set_xticks(angles)
    ax.set_xticklabels([fd.axis_label(d) for d in dims], fontsize=label_size)
    for tick, dim in zip(ax.get_xticklabels(), dims):
        if dim in fd.chance:  # as in the report: a chance-level dimension in red italics
            tick.set_color("#A61B1B")
            tick.set_style("italic")
    ax.tick_params(axis="x", pad=max(2, label_size - 3))
    _, ticks = fd.scale(limit)
    ax.set_yticks(ticks)
    ax.set_yticklabels([])  # labelled once, in the caption
    ax.set_rlabel_position(0)
    ax.grid(alpha=0.35)
    ax.spines["polar"].set_alpha(0.35)


def caption(fig, lines: Sequence[str]) -> None:
    """The figure's caption under everything (kept by ``bbox_inches='tight'``)."""
    fig.text(0.5, 0.0, "\n".join(_wrap(line, 130) for line in lines), ha="center", va="top", fontsize=8.5,
             color="#333333")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def radar_figure(fd: FigureData, *, title: str | None = None, limit: float | None = None):
    """One radar chart with every row of ``fd`` overlaid, a legend below, the caption under it."""
    plt = pyplot()
    limit, _ = fd.scale(limit)
    fig, ax = plt.subplots(figsize=(8, 8.6), subplot_kw={"projection": "polar"})
    draw_radar(ax, fd, limit=limit)
    ax.set_title(title or f"{fd.heading()}: centred scores", pad=26, fontsize=13)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=min(2, len(fd.names)), frameon=False,
              fontsize=9, handlelength=2.6)
    fig.tight_layout()
    _, ticks = fd.scale(limit)
    caption(fig, [scale_caption(limit, ticks), fd.interval_caption(), *fd.notes()])
    return fig


def multiples_figure(fd: FigureData, *, title: str | None = None, limit: float | None = None, ncols: int | None = None):
    """Small multiples: one panel per portrait on one shared scale, the human raters in grey in every panel."""
    plt = pyplot()
    limit, _ = fd.scale(limit)
    n = len(fd.names)
    ncols = ncols or min(n, 6 if n > 16 else 4)
    nrows = math.ceil(n / ncols)
    _, ticks = fd.scale(limit)
    lines = [scale_caption(limit, ticks), fd.interval_caption(), *fd.notes()]
    lines += ["Grey line in every panel: the human raters."] if HUMAN in fd.names else []
    wrapped = "\n".join(_wrap(line, 130) for line in lines)
    width, height = 3.3 * ncols, 3.6 * nrows + 0.8 + 0.16 * (wrapped.count("\n") + 1)
    fig, axes = plt.subplots(nrows, ncols, subplot_kw={"projection": "polar"}, figsize=(width, height),
                             squeeze=False)
    ref = HUMAN if HUMAN in fd.names else None
    for ax, name in zip(axes.ravel(), fd.names):
        draw_radar(ax, fd, [name], limit=limit, label_size=6, reference=ref if name != ref else None)
        ax.set_title(_wrap(fd.label(name), 34), fontsize=8, pad=14,
                     color="#A61B1B" if fd.flagged(name) else "black")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle(title or f"{fd.heading()}: centred scores, one panel per portrait", fontsize=12,
                 y=1 - 0.15 / height)
    # a fixed layout (tight_layout over dozens of polar axes is slow): room for titles, labels and the caption
    bottom = (0.3 + 0.16 * (wrapped.count("\n") + 1)) / height
    fig.subplots_adjust(left=0.06, right=0.94, top=1 - 0.75 / height, bottom=bottom, wspace=0.55, hspace=0.55)
    fig.text(0.5, 0.12 / height, wrapped, ha="center", va="bottom", fontsize=8.5, color="#333333")
    fig.vp_tight = False  # save_figure: the layout already holds everything
    return fig


def save_figure(fig, path: str | Path, *, dpi: int = 150) -> Path:
    """Save ``fig`` atomically (a temporary sibling, then a rename) as PNG/SVG/PDF by the suffix; close it."""
    plt = pyplot()
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        plt.close(fig)
        raise InputError(f"{path}: a chart is written as .png, .svg or .pdf; got suffix {path.suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight" if getattr(fig, "vp_tight", True) else None,
                    metadata={"Creator": "valueportrait"})  # the output rule's generator mark
        tmp.replace(path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path
