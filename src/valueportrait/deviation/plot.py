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
from ..scale import FAMILIES

__all__ = ["radar_figure", "save_radars"]


def radar_figure(dimensions: pd.DataFrame, attribute: str, *, family: str = "pvq", model_name: str = "model"):
    """Figure of paired radars for one attribute from a :class:`DeviationReport` ``dimensions`` table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    dims = list(FAMILIES[family])
    sub = dimensions[(dimensions["attribute"] == attribute) & (dimensions["family"] == family)]
    if sub.empty:
        raise InputError(f"no rows for attribute {attribute!r} and family {family!r} to plot; the table has "
                         f"attributes {sorted(set(dimensions['attribute']))} and families "
                         f"{sorted(set(dimensions['family']))}")
    panels = list(dict.fromkeys(zip(sub["group"], sub["persona"])))
    vals = sub[["model_score", "human_score"]].to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    top = max(0.5, float(np.abs(finite).max()) * 1.1) if finite.size else 1.0
    angles = np.linspace(0, 2 * np.pi, len(dims), endpoint=False)
    closed = np.r_[angles, angles[:1]]
    fig, axes = plt.subplots(1, len(panels), subplot_kw={"projection": "polar"},
                             figsize=(4.2 * len(panels), 4.6), squeeze=False)
    for ax, (group, persona) in zip(axes[0], panels):
        rows = sub[(sub["group"] == group) & (sub["persona"] == persona)].set_index("dimension").reindex(dims)
        ax.set_theta_offset(np.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_ylim(-top, top)
        ax.plot(np.linspace(0, 2 * np.pi, 200), np.zeros(200), linestyle=":", color="grey", linewidth=1)
        h = rows["human_score"].to_numpy(dtype=float)
        m = rows["model_score"].to_numpy(dtype=float)
        n = int(rows["n_raters"].iloc[0]) if rows["n_raters"].notna().any() else 0
        if np.isfinite(h).any():
            ax.plot(closed, np.r_[h, h[:1]], color="tab:blue", linewidth=2, label=f"humans: {group} (n={n})")
            ax.fill(closed, np.r_[h, h[:1]], color="tab:blue", alpha=0.12)
        else:
            ax.text(0, 0, f"no human portrait\n(n={n} raters)", ha="center", va="center", fontsize=8)
        ax.plot(closed, np.r_[m, m[:1]], color="tab:red", linewidth=2, linestyle="--",
                label=f"{model_name}: {persona}")
        ax.set_xticks(angles)
        ax.set_xticklabels([d.replace("_", "-") for d in dims], fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(4, symmetric=True))
        ax.set_rlabel_position(180 / len(dims))  # radial labels between the first two values
        ax.set_title(f"{attribute} = {group}", fontsize=10, pad=18)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def save_radars(dimensions: pd.DataFrame, out_dir: str | Path, *, model_name: str = "model") -> list[Path]:
    """Write ``radar_<attribute>.png`` for every attribute of ``dimensions``; returns the paths."""
    import matplotlib.pyplot as plt

    paths = []
    for attribute in dict.fromkeys(dimensions["attribute"]):
        fig = radar_figure(dimensions, attribute, model_name=model_name)
        path = Path(out_dir) / f"radar_{attribute}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths
