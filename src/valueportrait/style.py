"""How portraits look to a person: one spelling of each dimension, one colour per model, one radial scale.

Data keys keep upstream's spellings (``Self_Direction``); everything a person reads (charts, the HTML report,
printed tables' titles) uses :func:`display_name`. A model's colour comes from its name (:func:`model_colors`), so it
is the same in every chart and report, and never shared within one; the human raters are always black. Every
chart of a figure or page shares one radial scale (:func:`radial_scale`, labelled once by :func:`scale_caption`),
and heatmap cells use one diverging scale centred at 0 (:func:`diverging_color`).
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .scale import FAMILY_TITLES

__all__ = ["DIVERGING", "HUMAN_COLOR", "PALETTE", "PINNED", "color_limit", "diverging_color", "dimension_label", "display_name",
           "family_title", "instrument_meta", "model_colors", "radial_scale", "scale_caption", "signed", "text_color"]

#: Human-facing names where upstream's key is not simply its words (Schwartz 1992 / the paper's spellings).
_DISPLAY = {"Self_Direction": "Self-Direction", "Self_Enhancement": "Self-Enhancement",
            "Self_Transcendence": "Self-Transcendence"}
#: Categorical colours, none repeated in a figure: first the 7 of Okabe & Ito (2008), safe for colour-blind
#: readers; then Paul Tol's, Tableau's and ColorBrewer's, kept only where at least 18 CIE76 Delta-E from every
#: colour before them and from black (the human raters), so neighbours stay apart (38 in all). Figures of more
#: than 7 models do not rely on colour alone: the heatmap and small multiples name every model.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#332288", "#44AA99", "#117733",
    "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499", "#EE3377", "#CC3311", "#222255", "#225555", "#225522",
    "#666633", "#663333", "#99DDFF", "#AAAA00", "#EE8866", "#FFAABB", "#F28E2B", "#E15759", "#9C755F", "#BAB0AC",
    "#7F7F7F", "#17BECF", "#9467BD", "#2CA02C", "#B15928", "#CAB2D6", "#FDBF6F", "#B2DF8A")
#: The released models' colours (upstream's four), so the paper's comparisons always look the same.
PINNED = {"claude-3-5-sonnet-20241022": 0, "gemini-2.0-flash-001": 1, "gpt-4o-2024-11-20": 2,
          "llama-3.1-8b-instruct": 3}
HUMAN_COLOR = "#000000"


def display_name(dimension: str) -> str:
    """The one human-facing spelling of a dimension key.

    >>> display_name("Self_Direction"), display_name("Openness_to_Change"), display_name("Power")
    ('Self-Direction', 'Openness to Change', 'Power')
    """
    return _DISPLAY.get(dimension, dimension.replace("_", " "))


def _family_meta(family: str, instrument: Mapping[str, Any] | None) -> Mapping[str, Any]:
    fam = ((instrument or {}).get("families") or {}).get(family)
    return fam if isinstance(fam, Mapping) else {}


def family_title(family: str, instrument: Mapping[str, Any] | None = None) -> str:
    """A family's heading: its title in ``instrument`` (a leaderboard's ``meta.instrument``, :func:`instrument_meta`)
    when recorded there, else Value Portrait's; unknown keys are returned as given.

    >>> family_title("pvq"), family_title("werte", {"families": {"werte": {"title": "Werte"}}}), family_title("x")
    ('Schwartz basic values (PVQ-21)', 'Werte', 'x')
    """
    return str(_family_meta(family, instrument).get("title") or FAMILY_TITLES.get(family, family))


def dimension_label(family: str, dimension: str, instrument: Mapping[str, Any] | None = None) -> str:
    """A dimension's display name: its label in ``instrument`` (a leaderboard's ``meta.instrument``) when recorded
    there, else :func:`display_name` of its id.

    >>> meta = {"families": {"werte": {"labels": {"Offenheit": "Offenheit für Wandel"}}}}
    >>> dimension_label("werte", "Offenheit", meta), dimension_label("pvq", "Self_Direction", meta)
    ('Offenheit für Wandel', 'Self-Direction')
    """
    return str((_family_meta(family, instrument).get("labels") or {}).get(dimension) or display_name(dimension))


def instrument_meta(instrument: Any) -> dict[str, Any]:
    """What a leaderboard records of its dataset's instrument (:class:`valueportrait.instrument.Instrument`), so
    every surface drawn from ``leaderboard.json`` heads a family with its title and names a dimension by its
    label: ``{name, version, language, families: {key: {title, labels: {dimension: label}}}}``. A family without
    labels gets :func:`display_name` of its ids (Value Portrait's: ``Self-Direction``)."""
    families = {}
    for f in instrument.families:
        labels = f.labels or tuple(display_name(d) for d in f.dimensions)
        families[f.key] = {"title": f.title, "labels": dict(zip(f.dimensions, labels))}
    return {"name": instrument.name, "version": instrument.version, "language": instrument.language,
            "families": families}


def _slot(name: str) -> int:
    """A model's preferred colour: pinned, else a hash of its name (the same on every machine and run)."""
    if name in PINNED:
        return PINNED[name]
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % len(PALETTE)


def _extra(k: int) -> str:
    """Colour number ``k`` beyond the palette (more than 38 models in one figure): hues a golden angle apart."""
    r, g, b = colorsys.hls_to_rgb((k * 0.381966) % 1.0, 0.45 + 0.1 * (k % 3), 0.65)
    return f"#{round(255 * r):02X}{round(255 * g):02X}{round(255 * b):02X}"


def model_colors(models: Iterable[str], human: str = "human raters") -> dict[str, str]:
    """One colour per model, never two alike in one call; the human raters black.

    A model keeps its colour from figure to figure and report to report: its colour is a hash of its name
    (upstream's four released models are pinned to the first four Okabe-Ito colours). Only when two names of
    one figure hash to the same colour does one of them (the later in name order, pinned ones first) take the
    next free colour. The result is in the order given.

    >>> c = model_colors(["gpt-4o-2024-11-20", "human raters", "llama-3.1-8b-instruct"])
    >>> c == {"gpt-4o-2024-11-20": "#009E73", "human raters": "#000000", "llama-3.1-8b-instruct": "#D55E00"}
    True
    >>> model_colors(["b", "a"]) == {k: v for k, v in reversed(model_colors(["a", "b"]).items())}
    True
    """
    names = [m for m in dict.fromkeys(models) if m != human]
    taken: dict[str, str] = {}
    used: set[int] = set()
    extra = 0
    for m in sorted(names, key=lambda n: (n not in PINNED, n)):
        slot = _slot(m)
        for step in range(len(PALETTE)):
            if (slot + step) % len(PALETTE) not in used:
                used.add((slot + step) % len(PALETTE))
                taken[m] = PALETTE[(slot + step) % len(PALETTE)]
                break
        else:
            taken[m] = _extra(extra)
            extra += 1
    return {m: HUMAN_COLOR if m == human else taken[m] for m in dict.fromkeys(models)}


#: Diverging colours of heatmap cells (ColorBrewer RdBu, 9 classes, readable by colour-blind readers): blue
#: below 0, white at 0, red above; the same stops in the PNG (matplotlib) and the HTML report.
DIVERGING: tuple[str, ...] = ("#2166AC", "#4393C3", "#92C5DE", "#D1E5F0", "#F7F7F7", "#FDDBC7", "#F4A582",
                              "#D6604D", "#B2182B")


def color_limit(scores: Sequence[float] | np.ndarray) -> float:
    """The colour range of a heatmap: the largest |score| rounded up to a tenth (0.1 at least).

    >>> color_limit([0.54, -0.53, float("nan")]), color_limit([])
    (0.6, 1.0)
    """
    v = np.abs(np.asarray(scores, dtype=float))
    v = v[np.isfinite(v)]
    return float(np.ceil((v.max() if v.size else 1.0) * 10 - 1e-9) / 10) or 0.1


def diverging_color(value: float | None, limit: float) -> str:
    """The heatmap colour of ``value`` on a scale from -limit (dark blue) through 0 (near white) to +limit (dark
    red), linear between the :data:`DIVERGING` stops; a null value is light grey.

    >>> diverging_color(0.0, 1.0), diverging_color(-1.0, 1.0), diverging_color(5.0, 1.0), diverging_color(None, 1)
    ('#F7F7F7', '#2166AC', '#B2182B', '#E0E0E0')
    """
    if value is None or not np.isfinite(value):
        return "#E0E0E0"
    x = (min(max(float(value) / limit, -1.0), 1.0) + 1.0) / 2.0 * (len(DIVERGING) - 1)
    k = min(int(x), len(DIVERGING) - 2)
    lo, hi = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) for c in DIVERGING[k:k + 2])
    r, g, b = np.round(lo + (hi - lo) * (x - k)).astype(int)
    return f"#{r:02X}{g:02X}{b:02X}"


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (relative luminance above 0.35: black)."""
    rgb = np.array([int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    return "#000000" if float(lin @ [0.2126, 0.7152, 0.0722]) > 0.35 else "#FFFFFF"


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


def signed(x: float, digits: int = 2) -> str:
    """``+0.50`` / ``\u22120.50`` (a true minus sign) / ``0`` for zero: how every figure prints a score.

    >>> signed(0.5), signed(-0.25), signed(0.0)
    ('+0.50', '\u22120.25', '0')
    """
    return "0" if abs(x) < 1e-12 else f"{x:+.{digits}f}".replace("-", "\u2212")


def scale_caption(limit: float, ticks: Sequence[float] | np.ndarray) -> str:
    """The one line that labels a figure's radial scale (labelled once, outside the data).

    >>> scale_caption(0.75, [-0.5, 0.0, 0.5])
    'Radial scale of every chart: centre \u22120.75, rings at \u22120.50, 0 (dotted), +0.50, rim +0.75 (centred score).'
    """
    rings = ", ".join(signed(t) + (" (dotted)" if abs(t) < 1e-12 else "") for t in ticks
                      if abs(abs(t) - limit) > 1e-9)
    return f"Radial scale of every chart: centre {signed(-limit)}, rings at {rings}, rim {signed(limit)} (centred score)."
