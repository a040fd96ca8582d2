"""How portraits look to a person: one spelling of each dimension, one colour per model, one radial scale.

Data keys keep upstream's spellings (``Self_Direction``); everything a person reads (charts, the HTML report,
printed tables' titles) uses :func:`display_name`. Colours are assigned once per report from the list of models
(:func:`model_colors`), so a model has the same colour in every chart; the human raters are always black.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .scale import FAMILY_TITLES

__all__ = ["HUMAN_COLOR", "PALETTE", "display_name", "family_title", "model_colors", "radial_scale"]

#: Human-facing names where upstream's key is not simply its words (Schwartz 1992 / the paper's spellings).
_DISPLAY = {"Self_Direction": "Self-Direction", "Self_Enhancement": "Self-Enhancement",
            "Self_Transcendence": "Self-Transcendence"}
#: Colour-blind-safe categorical palette (Okabe & Ito 2008), then Tableau 10 for more models.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
                            "#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#B07AA1", "#9C755F", "#76B7B2", "#EDC948")
HUMAN_COLOR = "#000000"


def display_name(dimension: str) -> str:
    """The one human-facing spelling of a dimension key.

    >>> display_name("Self_Direction"), display_name("Openness_to_Change"), display_name("Power")
    ('Self-Direction', 'Openness to Change', 'Power')
    """
    return _DISPLAY.get(dimension, dimension.replace("_", " "))


def family_title(family: str) -> str:
    """``pvq`` -> 'Schwartz basic values (PVQ-21)'; unknown keys are returned as given."""
    return FAMILY_TITLES.get(family, family)


def model_colors(models: Iterable[str], human: str = "human raters") -> dict[str, str]:
    """One colour per model, in the order given (the human raters: black); stable for the same list.

    >>> model_colors(["b", "human raters", "a"])
    {'b': '#0072B2', 'human raters': '#000000', 'a': '#E69F00'}
    """
    out, k = {}, 0
    for m in dict.fromkeys(models):
        if m == human:
            out[m] = HUMAN_COLOR
        else:
            out[m] = PALETTE[k % len(PALETTE)]
            k += 1
    return out


def radial_scale(values: Sequence[float] | np.ndarray, limit: float | None = None) -> tuple[float, np.ndarray]:
    """(limit, ticks) of a radar chart whose axis runs from -limit to +limit: the largest |value| with 15% room,
    rounded up to a quarter; ticks at a round step, at most 3 per side.

    >>> lim, ticks = radial_scale([0.4, -0.9])
    >>> float(lim), ticks.tolist()
    (1.25, [-1.0, -0.5, 0.0, 0.5, 1.0])
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if limit is None:
        top = float(np.abs(v).max()) if v.size else 1.0
        limit = max(0.25, float(np.ceil(top * 1.15 * 4) / 4))
    step = next(st for st in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0) if limit / st <= 3 or st == 5.0)
    ticks = np.arange(-np.floor(limit / step) * step, limit + 1e-9, step)
    return float(limit), np.round(ticks, 10) + 0.0
