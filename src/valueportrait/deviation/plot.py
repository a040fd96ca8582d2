"""Paired radar charts: a human group's value portrait next to the model persona that plays it.

One figure per attribute, one polar panel per group: the 10 basic values in circumplex order
(:data:`valueportrait.scale.FAMILIES` ``["pvq"]``), the human group (solid) and the model persona
(dashed), with a dotted circle at score 0 (the family mean), like the paper's figures. Needs matplotlib
(``pip install 'valueportrait[plot]'``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import safe_name
from ..plot import draw_radar, pyplot
from ..scale import FAMILIES
from ..style import HUMAN_COLOR, PALETTE, family_title, radial_scale

__all__ = ["radar_figure", "save_radars"]


def radar_figure(dimensions: pd.DataFrame, attribute: str, *, family: str = "pvq", model_name: str = "model"):
    """Figure of paired radars for one attribute from a :class:`DeviationReport` ``dimensions`` table.

    Drawn with :func:`valueportrait.plot.draw_radar`, the style of every radar chart: the human group solid
    and filled, the model persona dashed; one radial scale for all panels.
    """
    plt = pyplot()
    dims = list(FAMILIES[family])
    sub = dimensions[(dimensions["attribute"] == attribute) & (dimensions["family"] == family)]
    if sub.empty:
        raise InputError(f"no rows for attribute {attribute!r} and family {family!r} to plot; the table has "
                         f"attributes {sorted(set(dimensions['attribute']))} and families "
                         f"{sorted(set(dimensions['family']))}")
    panels = list(dict.fromkeys(zip(sub["group"], sub["persona"])))
    limit, _ = radial_scale(sub[["model_score", "human_score"]].to_numpy(dtype=float).ravel())
    fig, axes = plt.subplots(1, len(panels), subplot_kw={"projection": "polar"},
                             figsize=(4.6 * len(panels), 5.0), squeeze=False)
    for ax, (group, persona) in zip(axes[0], panels):
        rows = sub[(sub["group"] == group) & (sub["persona"] == persona)].set_index("dimension").reindex(dims)
        n = int(rows["n_raters"].iloc[0]) if rows["n_raters"].notna().any() else 0
        human, model = f"humans: {group} (n={n})", f"{model_name}: {persona}"
        h = rows["human_score"].to_numpy(dtype=float)
        series = {model: rows["model_score"].to_numpy(dtype=float)}
        if np.isfinite(h).any():
            series = {human: h, **series}
        else:
            ax.text(0, -limit, f"no human portrait\n(n={n} raters)", ha="center", va="center", fontsize=8)
        colors = {human: HUMAN_COLOR, model: PALETTE[0]}
        draw_radar(ax, series, dims, colors, limit=limit, dashed=[model], fill=[human], label_size=8)
        ax.set_title(f"{attribute} = {group}", fontsize=10, pad=18)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8, frameon=False)
    fig.suptitle(f"{family_title(family)}: {model_name}'s personas vs the human groups (dotted circle = 0)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def save_radars(dimensions: pd.DataFrame, out_dir: str | Path, *, model_name: str = "model") -> list[Path]:
    """Write ``radar_<attribute>.png`` (the attribute as a safe file name) for every attribute; returns the paths."""
    plt = pyplot()
    paths = []
    for attribute in dict.fromkeys(dimensions["attribute"]):
        fig = radar_figure(dimensions, attribute, model_name=model_name)
        path = Path(out_dir) / f"radar_{safe_name(str(attribute))}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths
