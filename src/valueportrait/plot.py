"""Paper-style radar charts of value portraits (matplotlib, optional extra ``plot``).

The 10 Schwartz values go round the circle in circumplex order (``FAMILIES["pvq"]``), starting at the top and
running clockwise; the dotted circle is 0 (the model's own family mean). Several portraits are overlaid, each
in its colour from :func:`valueportrait.style.model_colors`. :func:`draw_radar` draws one panel; the deviation
charts (:mod:`valueportrait.deviation.plot`) use it too, so every chart has one style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .scale import FAMILIES
from .style import display_name, family_title, model_colors, radial_scale

__all__ = ["draw_radar", "pyplot", "radar_chart"]


def pyplot():
    """matplotlib.pyplot on the Agg backend, or an InputError saying how to install the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - the plot extra is missing
        raise InputError("plotting needs matplotlib: pip install 'valueportrait[plot]'") from None
    return plt


def draw_radar(ax, series: Mapping[str, Sequence[float]], dims: Sequence[str], colors: Mapping[str, str], *,
               limit: float | None = None, dashed: Sequence[str] = (), fill: Sequence[str] = (),
               label_size: int = 11) -> float:
    """Draw ``series`` (name -> one value per dimension) on the polar axes ``ax``; returns the radial limit.

    Tick labels sit above the data lines on a white box, between the first two axes; the dotted ring is 0.
    """
    values = np.concatenate([np.asarray(v, dtype=float) for v in series.values()] or [np.zeros(1)])
    limit, ticks = radial_scale(values, limit)
    angles = np.linspace(0, 2 * np.pi, len(dims), endpoint=False)
    closed = np.append(angles, angles[0])
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(-limit, limit)
    ring = np.linspace(0, 2 * np.pi, 200)
    ax.plot(ring, np.zeros_like(ring), linestyle=":", color="black", linewidth=1.4, label="_zero", zorder=2)
    for name, v in series.items():
        v = np.asarray(v, dtype=float)
        c = colors[name]
        ax.plot(closed, np.append(v, v[0]), color=c, linewidth=2, marker="o", markersize=3.5, label=name,
                linestyle="--" if name in dashed else "-", zorder=3)
        if name in fill:
            ax.fill(closed, np.append(v, v[0]), color=c, alpha=0.12, zorder=2)
    ax.set_xticks(angles)
    ax.set_xticklabels([display_name(d) for d in dims], fontsize=label_size)
    ax.tick_params(axis="x", pad=10)
    ax.set_yticks(ticks)
    ax.set_yticklabels([])
    for t in ticks:  # tick labels on top of the data, between the first two axes
        ax.text(np.pi / len(dims), t, "0" if abs(t) < 1e-9 else f"{t:+.2f}", fontsize=8, color="dimgray",
                ha="center", va="center", zorder=10,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.grid(alpha=0.4)
    return limit


def radar_chart(portraits: dict[str, pd.DataFrame], path: str | Path, *, family: str = "pvq",
                title: str | None = None, limit: float | None = None, dpi: int = 150,
                colors: Mapping[str, str] | None = None, unreliable: Sequence[str] = ()) -> Path:
    """Draw the centred scores of one family for several portraits on one radar chart; save PNG/SVG/PDF.

    Parameters
    ----------
    portraits : dict
        name -> portrait frame (``dimension``, ``score``), as from :func:`~valueportrait.scoring.score_portrait`.
    path : path
        Output file; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    family : str
        ``pvq`` (default, 10 values), ``higher_pvq`` or ``bfi``.
    title : str, optional
        Default: the family's name, e.g. "Schwartz basic values (PVQ-21): centred scores".
    limit : float, optional
        Radial half-range: the axis runs from ``-limit`` to ``+limit``. Default: the largest |score|, rounded up.
    colors : mapping, optional
        name -> colour; default :func:`~valueportrait.style.model_colors` of the names (the same for the same list).
    unreliable : names
        Portraits flagged "(unreliable)" in the legend (a profile split-half reliability below its threshold).
    """
    if family not in FAMILIES:
        raise InputError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError(f"{path}: the chart is written as .png, .svg or .pdf; got suffix {path.suffix!r}")
    if not portraits:
        raise InputError("no portraits to plot; pass at least one {name: portrait} (a score_portrait() table)")
    plt = pyplot()
    dims = list(FAMILIES[family])
    label = {name: f"{name} (unreliable)" if name in unreliable else name for name in portraits}
    values = {label[name]: p.set_index("dimension")["score"].reindex(dims).to_numpy(dtype=float)
              for name, p in portraits.items()}
    colors = colors or model_colors(portraits)
    fig, ax = plt.subplots(figsize=(7.5, 7.5), subplot_kw={"projection": "polar"})
    draw_radar(ax, values, dims, {label[n]: colors[n] for n in portraits}, limit=limit)
    ax.set_title(title or f"{family_title(family)}: centred scores (dotted circle = 0)", pad=28, fontsize=13)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(3, len(values)), frameon=False, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=dpi, bbox_inches="tight", metadata={"Creator": "valueportrait"})  # the output rule's mark
    plt.close(fig)
    tmp.replace(path)
    return path
