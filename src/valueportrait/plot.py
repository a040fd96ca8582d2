"""Paper-style radar charts of value portraits (matplotlib, optional extra ``plot``).

The 10 Schwartz values go round the circle in circumplex order (``FAMILIES["pvq"]``), starting at the top and
running clockwise; the dotted circle is 0 (the model's own family mean). Several portraits are overlaid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .scale import FAMILIES
from .errors import InputError


def radar_chart(portraits: dict[str, pd.DataFrame], path: str | Path, *, family: str = "pvq",
                title: str | None = None, limit: float | None = None, dpi: int = 150) -> Path:
    """Draw the centred scores of one family for several portraits on one radar chart; save PNG/SVG/PDF.

    Parameters
    ----------
    portraits : dict
        name -> portrait frame (``dimension``, ``score``), as from :func:`~valueportrait.scoring.score_portrait`.
    path : path
        Output file; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    family : str
        ``pvq`` (default, 10 values), ``higher_pvq`` or ``bfi``.
    limit : float, optional
        Radial half-range: the axis runs from ``-limit`` to ``+limit``. Default: the largest |score|, rounded up.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - the plot extra is missing
        raise InputError("plotting needs matplotlib: pip install 'valueportrait[plot]'") from None
    if family not in FAMILIES:
        raise InputError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError(f"{path}: the chart is written as .png, .svg or .pdf; got suffix {path.suffix!r}")
    if not portraits:
        raise InputError("no portraits to plot; pass at least one {name: portrait} (a score_portrait() table)")
    dims = list(FAMILIES[family])
    values = {name: p.set_index("dimension")["score"].reindex(dims).to_numpy(dtype=float) for name, p in portraits.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in values.values()] or [np.zeros(1)])
    if limit is None:
        top = float(np.abs(finite).max()) if finite.size else 1.0
        limit = max(0.25, np.ceil(top * 1.15 * 4) / 4)
    angles = np.linspace(0, 2 * np.pi, len(dims), endpoint=False)
    fig, ax = plt.subplots(figsize=(7.5, 7.5), subplot_kw={"projection": "polar"})
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(-limit, limit)
    ring = np.linspace(0, 2 * np.pi, 200)
    ax.plot(ring, np.zeros_like(ring), linestyle=":", color="black", linewidth=1.4, label="_zero")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (name, v) in enumerate(values.items()):
        c = colors[k % len(colors)]
        closed_a = np.append(angles, angles[0])
        closed_v = np.append(v, v[0])
        ax.plot(closed_a, closed_v, color=c, linewidth=2, marker="o", markersize=4, label=name)
    ax.set_xticks(angles)
    ax.set_xticklabels([d.replace("_", " ") for d in dims], fontsize=11)
    ax.tick_params(axis="x", pad=14)
    step = next(st for st in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0) if limit / st <= 3 or st == 5.0)
    ticks = np.arange(-np.floor(limit / step) * step, limit + 1e-9, step)
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"{t:+.2f}" if abs(t) > 1e-9 else "0" for t in ticks], fontsize=8, color="dimgray")
    ax.set_rlabel_position(180 / len(dims))
    ax.grid(alpha=0.4)
    ax.set_title(title or "Value portrait (centred scores; dotted circle = 0)", pad=28, fontsize=13)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(3, len(values)), frameon=False, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path
