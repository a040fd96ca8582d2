"""Paired radar charts: a human group's value portrait next to the model persona that plays it.

One figure per attribute, one polar panel per group, in the one grammar of every chart
(:func:`valueportrait.figures.mpl.draw_radar`): the 10 basic values in circumplex order, the human group in
black and the model persona in its model's colour, each with its interval as whiskers (the persona's over
items, the group's over raters, docs/deviation.md), a dotted ring at 0 (the family mean), one radial scale for
all panels of a figure, named once in the caption. When the demographics are synthetic (the shipped example
file), the title and the caption say so. Needs matplotlib (``pip install 'valueportrait[plot]'``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..figures.data import FigureData
from ..figures.mpl import caption, draw_radar, pyplot
from ..io import safe_name
from ..scale import FAMILIES
from ..style import HUMAN_COLOR, family_title, model_colors, radial_scale, scale_caption

__all__ = ["SYNTHETIC_NOTE", "radar_figure", "save_radars", "synthetic_source"]

#: What every chart and settings file of a comparison with synthetic demographics says.
SYNTHETIC_NOTE = ("SYNTHETIC demographics (made up, as examples/synthetic_demographics.csv): these groups are not "
                  "real people; read nothing here as a finding about them.")


def synthetic_source(source: str, demographics: str | Path | None, build_info: dict) -> bool:
    """Whether the human groups come from synthetic demographics: the file given (``source`` "demographics
    file"), or the one the dataset was built with (``build_info["demographics"]["source_file"]``), is named as
    synthetic, as the shipped example ``examples/synthetic_demographics.csv`` is.

    >>> synthetic_source("dataset raters", None, {"demographics": {"source_file": "synthetic_demographics.csv"}})
    True
    >>> synthetic_source("demographics file", "prolific_export.csv", {})
    False
    """
    if source == "demographics file":
        name = str(demographics)
    elif source in ("dataset raters", "dataset norms"):
        name = str((build_info.get("demographics") or {}).get("source_file") or "")
    else:
        return False
    return "synthetic" in Path(name).name.lower()


def _panel(rows: pd.DataFrame, dims: list[str], human: str, model: str, colors: dict, confidence: float,
           family: str) -> FigureData:
    h = [rows[c].to_numpy(dtype=float) for c in ("human_score", "human_ci_low", "human_ci_high")]
    m = [rows[c].to_numpy(dtype=float) for c in ("model_score", "model_ci_low", "model_ci_high")]
    has_h = bool(np.isfinite(h[0]).any())
    names = (human, model) if has_h else (model,)
    stack = (lambda k: np.vstack([h[k], m[k]])) if has_h else (lambda k: m[k][None, :])
    return FigureData(family=family, dims=tuple(dims), names=names, score=stack(0), low=stack(1), high=stack(2),
                      units={human: "raters", model: "items"}, caveats={}, chance=frozenset(), colors=colors,
                      confidence=confidence)


def radar_figure(dimensions: pd.DataFrame, attribute: str, *, family: str = "pvq", model_name: str = "model",
                 synthetic: bool = False, confidence: float = 0.95):
    """Figure of paired radars for one attribute from a :class:`DeviationReport` ``dimensions`` table.

    ``synthetic``: the groups come from synthetic demographics; the title and caption say so.
    """
    plt = pyplot()
    dims = list(FAMILIES[family])
    sub = dimensions[(dimensions["attribute"] == attribute) & (dimensions["family"] == family)]
    if sub.empty:
        raise InputError(f"no rows for attribute {attribute!r} and family {family!r} to plot; the table has "
                         f"attributes {sorted(set(dimensions['attribute']))} and families "
                         f"{sorted(set(dimensions['family']))}")
    panels = list(dict.fromkeys(zip(sub["group"], sub["persona"])))
    cols = ["model_score", "human_score", "model_ci_low", "model_ci_high", "human_ci_low", "human_ci_high"]
    limit, ticks = radial_scale(sub[[c for c in cols if c in sub]].to_numpy(dtype=float).ravel())
    fig, axes = plt.subplots(1, len(panels), subplot_kw={"projection": "polar"},
                             figsize=(4.6 * len(panels), 5.2), squeeze=False)
    model_color = model_colors([model_name])[model_name]
    for ax, (group, persona) in zip(axes[0], panels):
        rows = sub[(sub["group"] == group) & (sub["persona"] == persona)].set_index("dimension").reindex(dims)
        n = int(rows["n_raters"].iloc[0]) if rows["n_raters"].notna().any() else 0
        human, model = f"humans: {group} (n={n})", f"{model_name}: {persona}"
        fd = _panel(rows, dims, human, model, {human: HUMAN_COLOR, model: model_color}, confidence, family)
        if human not in fd.names:
            ax.text(0, -limit, f"no human portrait\n(n={n} raters)", ha="center", va="center", fontsize=8)
        draw_radar(ax, fd, limit=limit, label_size=8)
        ax.set_title(f"{attribute} = {group}", fontsize=10, pad=18)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8, frameon=False)
    tag = " (SYNTHETIC demographics)" if synthetic else ""
    fig.suptitle(f"{family_title(family)}: {model_name}'s personas vs the human groups{tag}", fontsize=11,
                 color="#A61B1B" if synthetic else "black")
    fig.tight_layout()
    lines = [scale_caption(limit, ticks), f"Intervals: {100 * confidence:g}% intervals over items (the persona) "
             "and over raters (the human group)."]
    caption(fig, lines + ([SYNTHETIC_NOTE] if synthetic else []))
    return fig


def save_radars(dimensions: pd.DataFrame, out_dir: str | Path, *, model_name: str = "model",
                synthetic: bool = False, confidence: float = 0.95) -> list[Path]:
    """Write ``radar_<attribute>.png`` (the attribute as a safe file name) for every attribute; returns the paths."""
    plt = pyplot()
    paths = []
    for attribute in dict.fromkeys(dimensions["attribute"]):
        fig = radar_figure(dimensions, attribute, model_name=model_name, synthetic=synthetic, confidence=confidence)
        path = Path(out_dir) / f"radar_{safe_name(str(attribute))}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths
