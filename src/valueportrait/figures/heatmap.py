"""The heatmap of many portraits (models x dimensions) with matplotlib: the default figure above
:data:`RADAR_MAX` portraits.

Cells are coloured on one diverging scale centred at 0 (:func:`valueportrait.style.diverging_color`, the same
colours as the HTML report) and carry their value; a value in parentheses has an interval that includes 0. Rows
are ordered by clustering (or by one dimension), the human raters last and set apart; each row starts with its
model's colour; unreliable and partial rows are faded and say so in their label; chance-level dimensions carry a
dagger.
"""

from __future__ import annotations

import numpy as np

from ..style import color_limit, diverging_color, signed, text_color
from .data import HUMAN, FigureData
from .mpl import caption, pyplot

__all__ = ["RADAR_MAX", "cell_text", "heatmap_figure"]

#: Above this many portraits a radar overlay is unreadable: figures default to the heatmap.
RADAR_MAX = 8


def cell_text(score: float, includes_zero: bool) -> str:
    """A heatmap cell: the score, in parentheses when its interval includes 0; a dash when null.

    >>> cell_text(0.4, False), cell_text(-0.05, True), cell_text(float("nan"), False)
    ('+0.40', '(\\u22120.05)', '\\u2014')
    """
    if not np.isfinite(score):
        return "\u2014"
    return f"({signed(score)})" if includes_zero else signed(score)


def heatmap_figure(fd: FigureData, *, title: str | None = None, limit: float | None = None,
                   order_by: str | None = None):
    """The heatmap figure of ``fd``: rows in :meth:`FigureData.order`, one colour scale from -limit to +limit."""
    plt = pyplot()
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    from ..style import DIVERGING

    rows = fd.order(order_by)
    n, d = len(rows), len(fd.dims)
    limit = limit or color_limit(fd.score)
    zero = fd.includes_zero()
    label_w = max(len(fd.label(r)) for r in rows)
    fig, ax = plt.subplots(figsize=(1.0 + 0.95 * d + 0.075 * label_w, 1.9 + 0.36 * (n + 1)))
    y_of = {}
    y = 0.0
    for r in rows:
        if r == HUMAN and y > 0:
            y += 0.45  # the human row set apart
        y_of[r] = y
        y += 1.0
    for r in rows:
        k, y = fd.row(r), y_of[r]
        faded = fd.flagged(r)
        for j in range(d):
            s = fd.score[k, j]
            bg = diverging_color(s, limit)
            ax.add_patch(Rectangle((j, y), 1, 1, facecolor=bg, edgecolor="white", linewidth=1.2,
                                   alpha=0.45 if faded else 1.0))
            ax.text(j + 0.5, y + 0.5, cell_text(s, bool(zero[k, j])), ha="center", va="center", fontsize=8.5,
                    color=text_color(bg) if not faded else "#333333", style="italic" if faded else "normal")
        ax.add_patch(Rectangle((-0.2, y + 0.2), 0.14, 0.6, facecolor=fd.colors.get(r, "#000000"),
                               edgecolor="none", clip_on=False))
    ax.set_xlim(0, d)
    ax.set_ylim(max(y_of.values()) + 1, 0)
    ax.set_yticks([y_of[r] + 0.5 for r in rows])
    ax.set_yticklabels([fd.label(r) for r in rows], fontsize=9)
    for tick, r in zip(ax.get_yticklabels(), rows):
        if fd.flagged(r):
            tick.set_color("#A61B1B")
            tick.set_style("italic")
    ax.tick_params(axis="y", pad=20, length=0)
    ax.set_xticks(np.arange(d) + 0.5)
    ax.set_xticklabels([fd.axis_label(x) for x in fd.dims], rotation=35, ha="left", fontsize=9)
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    cmap = LinearSegmentedColormap.from_list("vp_diverging", list(DIVERGING))
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(-limit, limit))
    bar = fig.colorbar(sm, ax=ax, fraction=0.025, pad=0.02)
    bar.set_label("centred score", fontsize=9)
    order = f"by {order_by}, highest first" if order_by else "by clustering of the scores (average linkage)"
    for tick, dim in zip(ax.get_xticklabels(), fd.dims):
        if dim in fd.chance:
            tick.set_color("#A61B1B")
            tick.set_style("italic")
    longest = max(len(fd.axis_label(x)) for x in fd.dims)
    ax.set_title(title or f"{fd.heading()}: centred scores", fontsize=12, loc="left",
                 pad=10 + 9 * 0.6 * longest * 0.574)  # above the labels rotated by 35 degrees (sin 35 = 0.574)
    fig.tight_layout()
    caption(fig, [fd.interval_caption(), f"Value in parentheses: its interval includes 0. Rows ordered {order}"
                  + ("; the human raters last." if HUMAN in rows else "."), *fd.notes("Faded")])
    return fig
