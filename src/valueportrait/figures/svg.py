"""The report's figures as inline SVG and HTML, in the grammar of :mod:`valueportrait.figures.mpl`: radar charts
on one radial scale for the whole page (drawn by :func:`radar_svg`, labelled once by :func:`scale_key_svg`),
intervals as whiskers, flagged portraits dashed and faded, and the heatmap as an HTML table
(:func:`heatmap_html`) with the colours of the PNG heatmap."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..style import color_limit, diverging_color, signed, text_color
from .data import HUMAN, FigureData
from .heatmap import cell_text

__all__ = ["Box", "heatmap_html", "radar_svg", "scale_key_svg", "side_room"]

_REF = "#9A9A9A"


def _geometry(n: int, size: int, pad: int, top: int, limit: float):
    R = size / 2 - 22
    cx, cy = size / 2 + pad, top + size / 2

    def point(k: float, v: float, extra: float = 0.0) -> tuple[float, float]:
        ang = -math.pi / 2 + 2 * math.pi * k / n
        r = R * (max(-limit, min(limit, v)) + limit) / (2 * limit) + extra
        return cx + r * math.cos(ang), cy + r * math.sin(ang)

    return R, cx, cy, point


def side_room(fd: FigureData, size: int, font: int | None = None) -> int:
    """Room each side of the circle for the axis labels (their width estimated at 0.56 em a character); charts
    shown side by side take the largest of theirs, so their circles come out the same size."""
    font = font or (12 if size >= 300 else 10)
    R, n = size / 2 - 22, len(fd.dims)
    need = 0.0
    for k, d in enumerate(fd.dims):
        s = abs(math.sin(2 * math.pi * k / n))
        width = 0.56 * font * len(fd.axis_label(d)) * (0.5 if s < 0.05 else 1.0)
        need = max(need, (R + 7) * s + width)
    return max(8, math.ceil(need - size / 2 + 6))


@dataclass(frozen=True)
class Box:
    """Where a radar chart sits: the circle's ``size`` in px (labels at 12 px from 300 up, else 10), the
    room each side for the axis labels (``pad``; None: :func:`side_room`), the ``<svg>``'s CSS class."""

    size: int = 330
    pad: int | None = None
    css_class: str = "chart"


def radar_svg(fd: FigureData, names: Sequence[str] | None = None, *, scale: tuple[float, Sequence[float]],
              title: str, box: Box = Box(), reference: str | None = None, ids: dict[str, str] | None = None) -> str:
    """An inline ``<svg>`` radar chart of the rows ``names`` of ``fd`` on the page's ``scale`` (limit, ticks).

    Rings unlabelled (the page's scale key names them once); each portrait a closed line with dots and a
    whisker per axis for its interval; flagged portraits dashed and faded; ``reference`` (the human raters)
    thin and grey behind. ``title``: the first line bold, a second line (after a newline) red, for caveats.
    ``data-limit`` on the ``<svg>`` records the scale; ``data-model`` (``ids``) on each portrait's group lets the
    page toggle it.
    """
    limit, ticks = scale
    size, css_class = box.size, box.css_class
    names = list(names or fd.names)
    ids = ids or {n: f"m{k}" for k, n in enumerate(fd.names)}
    n = len(fd.dims)
    font = 12 if size >= 300 else 10
    pad = box.pad or side_room(fd, size, font)
    lines = title.split("\n")
    top = 8 + 16 * len(lines)
    R, cx, cy, point = _geometry(n, size, pad, top, limit)
    width, height = size + 2 * pad, top + size + 4
    out = [f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(" ".join(lines))}" '
           f'data-limit="{limit:g}">']
    for k, line in enumerate(lines):
        style = 'font-weight="600"' if k == 0 else 'fill="#A61B1B"'
        out.append(f'<text x="{cx:.1f}" y="{16 + 16 * k}" text-anchor="middle" font-size="{font + 2 if k == 0 else font}" '
                   f'{style}>{html.escape(line)}</text>')
    for t in ticks:
        rr = R * (t + limit) / (2 * limit)
        style = ' stroke-dasharray="2,3" stroke="#000" stroke-width="1.3"' if abs(t) < 1e-9 else ' stroke="#ddd"'
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{rr:.1f}" fill="none"{style}/>')
    out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{R:.1f}" fill="none" stroke="#aaa"/>')
    for k, d in enumerate(fd.dims):
        x, y = point(k, limit)
        out.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        lx, ly = point(k, limit, 7)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        dy = font * 0.35 if abs(ly - cy) < R * 0.5 else (-2 if ly < cy else font * 0.9)
        mark = ' font-style="italic" fill="#A61B1B"' if d in fd.chance else ""
        out.append(f'<text x="{lx:.1f}" y="{ly + dy:.1f}" text-anchor="{anchor}" font-size="{font}"{mark}>'
                   f'{html.escape(fd.axis_label(d))}</text>')
    if reference is not None and reference in fd.names:
        v = fd.score[fd.row(reference)]
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(k, s) for k, s in enumerate(v) if np.isfinite(s)))
        out.append(f'<polygon class="reference" points="{pts}" fill="none" stroke="{_REF}" stroke-width="1.5"/>')
    for i, name in enumerate(names):
        out.append(_portrait(fd, name, point, limit, ids[name], (i - (len(names) - 1) / 2) * 0.022))
    out.append("</svg>")
    return "".join(out)


def _portrait(fd: FigureData, name: str, point, limit: float, ident: str, offset: float) -> str:
    k = fd.row(name)
    v, lo, hi = fd.score[k], fd.low[k], fd.high[k]
    c = fd.colors.get(name, "#000000")
    flagged = fd.flagged(name)
    n = len(fd.dims)
    pts = [point(j, s) for j, s in enumerate(v) if np.isfinite(s)]
    if not pts:
        return ""
    shown = ", ".join(f"{fd.axis_label(d)} {signed(s) if np.isfinite(s) else chr(0x2014)}"
                      + (f" [{signed(a)}, {signed(b)}]" if np.isfinite(a) and np.isfinite(b) else "")
                      for d, s, a, b in zip(fd.dims, v, lo, hi))
    dash = ' stroke-dasharray="6,4"' if flagged else ""
    fade = ' class="flagged" opacity="0.55"' if flagged else ""
    parts = [f'<g data-model="{ident}" data-name="{html.escape(name)}" data-color="{c}"{fade}>'
             f'<title>{html.escape(fd.label(name))}: {html.escape(shown)}</title>']
    for j, (a, b) in enumerate(zip(lo, hi)):
        if np.isfinite(a) and np.isfinite(b):
            (x1, y1), (x2, y2) = point(j + offset * n / (2 * math.pi), a), point(j + offset * n / (2 * math.pi), b)
            parts.append(f'<line class="whisker" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                         f'stroke="{c}" stroke-width="1.4" opacity="0.75"/>')
    parts.append(f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="none" stroke="{c}" '
                 f'stroke-width="{1.6 if flagged else 2.2}"{dash}/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{c}"/>' for x, y in pts]
    return "".join(parts) + "</g>"


def scale_key_svg(limit: float, ticks: Sequence[float], *, width: int = 460) -> str:
    """The page's one radial scale as a ruler from the centre (-limit) to the rim (+limit), rings marked."""
    x0, x1, y = 20, width - 20, 24

    def x(v: float) -> float:
        return x0 + (x1 - x0) * (v + limit) / (2 * limit)

    out = [f'<svg class="scale-key" xmlns="http://www.w3.org/2000/svg" width="{width}" height="44" '
           f'viewBox="0 0 {width} 44" role="img" aria-label="radial scale" data-limit="{limit:g}">',
           f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#888"/>']
    marks = [-limit, *[t for t in ticks if abs(abs(t) - limit) > 1e-9], limit]
    for t in marks:
        dotted = ' stroke-dasharray="2,2" stroke="#000"' if abs(t) < 1e-9 else ' stroke="#888"'
        out.append(f'<line x1="{x(t):.1f}" y1="{y - 5}" x2="{x(t):.1f}" y2="{y + 5}"{dotted}/>')
        out.append(f'<text x="{x(t):.1f}" y="{y - 9}" text-anchor="middle" font-size="11">{signed(t)}</text>')
    out.append(f'<text x="{x0}" y="{y + 17}" font-size="10" fill="#555">centre</text>'
               f'<text x="{x1}" y="{y + 17}" font-size="10" fill="#555" text-anchor="end">rim</text></svg>')
    return "".join(out)


def heatmap_html(fd: FigureData, *, order_by: str | None = None, limit: float | None = None) -> str:
    """The heatmap as an HTML table: rows in :meth:`FigureData.order` (the human raters last, set apart), cells
    coloured on one diverging scale centred at 0 (from -``limit`` to +``limit``; default :func:`color_limit`;
    a page gives all its heatmaps one) and holding their value (in parentheses when the interval includes 0), a
    swatch of each model's colour, flagged rows faded and labelled."""
    limit = limit or color_limit(fd.score)
    zero = fd.includes_zero()
    chance = ' class="chance"'
    head = "".join(f'<th{chance if d in fd.chance else ""}>{html.escape(fd.axis_label(d))}</th>' for d in fd.dims)
    rows = []
    for name in fd.order(order_by):
        k = fd.row(name)
        cells = []
        for j in range(len(fd.dims)):
            s = fd.score[k, j]
            bg = diverging_color(s, limit)
            cells.append(f'<td style="background:{bg};color:{text_color(bg)}">{cell_text(s, bool(zero[k, j]))}</td>')
        cls = " ".join(c for c in ("human" if name == HUMAN else "", "flagged" if fd.flagged(name) else "") if c)
        attr = f' class="{cls}"' if cls else ""
        flags = "".join(f'<span class="flag" title="{html.escape(c)}">{html.escape(c.split(":")[0])}</span>'
                        for c in fd.caveats.get(name) or ())
        rows.append(f'<tr{attr}><th class="rowname"><span class="swatch" style="background:{fd.colors[name]}">'
                    f'</span>{html.escape(name)}{flags}</th>{"".join(cells)}</tr>')
    stops = ", ".join(f"{diverging_color(v, limit)} {100 * (v + limit) / (2 * limit):.0f}%"
                      for v in np.linspace(-limit, limit, 9))
    legend = (f'<div class="colorbar"><span>{signed(-limit)}</span><span class="bar" style="background:'
              f'linear-gradient(90deg, {stops})"></span><span>{signed(limit)}</span> centred score</div>')
    order = f"by {html.escape(order_by)}, highest first" if order_by else "by clustering of the scores"
    return (f'<h3>{html.escape(fd.heading())}</h3><table class="heatmap"><thead><tr><th class="rowname"></th>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>{legend}<p class="note">Value in parentheses: its '
            f"interval includes 0. Rows ordered {order}; the human raters last.</p>")
