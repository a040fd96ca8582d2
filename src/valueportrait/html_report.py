"""One self-contained HTML page of a scored leaderboard: tables with intervals, radar charts, sensitivity, flags.

:func:`render_report` turns the content of a ``leaderboard.json`` (written by ``valueportrait score --out``) into
one page with inline SVG and CSS and a few lines of inline JavaScript (sorting, the overlay's model toggles);
nothing is loaded from the network. The page holds:

* the dataset version, the item selection and the citation;
* per family, the leaderboard: each score with its interval and the interval's unit, sortable by any column,
  unreliable portraits flagged;
* one radar chart per model and for the human raters, and an overlay of the models a reader ticks;
* prompt and option-order sensitivity (when the ratings had prompt variants) and the reliability figures.

Every model keeps one colour in every chart (:func:`valueportrait.style.model_colors`).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .citation import CITATION
from .errors import InputError
from .io import read_json
from .scale import FAMILIES
from .style import display_name, family_title, model_colors, radial_scale

__all__ = ["radar_svg", "read_leaderboard", "render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;
padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#555;font-size:.92rem}table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0;width:100%}
th,td{padding:.25rem .45rem;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{cursor:pointer;background:#f6f6f6;position:sticky;top:0}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
.ci{color:#777;font-size:.78rem}.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;
margin-right:.35em;vertical-align:-.05em}.flag{background:#fde2e1;color:#a61b1b;border-radius:3px;padding:0 .3em;
font-size:.75rem;margin-left:.4em}.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{flex:0 0 auto}
.toggles label{margin-right:1rem;font-size:.9rem;white-space:nowrap}pre{background:#f6f6f6;padding:.8rem;
overflow-x:auto;font-size:.8rem}.note{color:#555;font-size:.88rem}
"""

_JS = """
(function(){
  function val(td){var v=td.getAttribute('data-v');if(v===null||v==='')return null;var n=parseFloat(v);
    return isNaN(n)?v:n;}
  document.querySelectorAll('table.sortable').forEach(function(t){
    t.querySelectorAll('th').forEach(function(th,k){th.addEventListener('click',function(){
      var asc=!th.classList.contains('sorted-asc');t.querySelectorAll('th').forEach(function(h){
        h.classList.remove('sorted-asc','sorted-desc');});th.classList.add(asc?'sorted-asc':'sorted-desc');
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=val(a.cells[k]),y=val(b.cells[k]);if(x===null)return 1;if(y===null)return -1;
        return (x<y?-1:x>y?1:0)*(asc?1:-1);});rows.forEach(function(r){body.appendChild(r);});});});});
  document.querySelectorAll('input.toggle').forEach(function(box){box.addEventListener('change',function(){
    document.querySelectorAll('[data-model="'+box.value+'"]').forEach(function(el){
      if(el.closest('.overlay'))el.style.display=box.checked?'':'none';});});});
  document.body.setAttribute('data-ready','1');
})();
"""


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _fmt(x: float | None, digits: int = 2) -> str:
    return "\u2014" if x is None else f"{x:+.{digits}f}".replace("-", "\u2212")


def radar_svg(series: Mapping[str, Sequence[float | None]], dims: Sequence[str], colors: Mapping[str, str], *,
              title: str, limit: float | None = None, size: int = 440, css_class: str = "chart",
              ids: Mapping[str, str] | None = None) -> str:
    """An inline ``<svg>`` radar chart: one closed line per series, axis from -limit (centre) to +limit.

    The dotted ring is 0 (the model's own family mean). Tick labels are drawn last, on a white halo, between
    the first two axes, so no data line covers them. ``ids``: a short id per series (``data-model``), used by
    the report's toggles.
    """
    ids = ids or {name: f"m{k}" for k, name in enumerate(series)}
    values = [v for s in series.values() for v in s if v is not None]
    limit, ticks = radial_scale(values, limit)
    n = len(dims)
    width = size + 140  # room for the axis labels on both sides
    cx, cy = width / 2, size / 2
    R = size / 2 - 70

    def point(k: float, v: float) -> tuple[float, float]:
        ang = -math.pi / 2 + 2 * math.pi * k / n
        r = R * (max(-limit, min(limit, v)) + limit) / (2 * limit)
        return cx + r * math.cos(ang), cy + r * math.sin(ang)

    out = [f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size + 30}" '
           f'viewBox="0 0 {width} {size + 30}" role="img" aria-label="{html.escape(title)}">',
           f'<text x="{cx}" y="18" text-anchor="middle" font-size="14" font-weight="600">{html.escape(title)}</text>',
           '<g transform="translate(0,22)">']
    for t in ticks:  # rings
        rr = R * (t + limit) / (2 * limit)
        dash = ' stroke-dasharray="2,3" stroke="#000" stroke-width="1.3"' if abs(t) < 1e-9 else ' stroke="#ccc"'
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{rr:.1f}" fill="none"{dash}/>')
    for k, d in enumerate(dims):  # axes and their labels
        x, y = point(k, limit)
        out.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        lx, ly = point(k, limit + 0.12 * limit)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        out.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" font-size="12">'
                   f'{html.escape(display_name(d))}</text>')
    for name, vals in series.items():
        pts = [point(k, v) for k, v in enumerate(vals) if v is not None]
        if not pts:
            continue
        c = colors.get(name, "#444")
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        shown = ", ".join(f"{display_name(d)} {_fmt(v)}" for d, v in zip(dims, vals))
        out.append(f'<g data-model="{ids[name]}"><title>{html.escape(name)}: {html.escape(shown)}</title>'
                   f'<polygon points="{path}" fill="{c}" fill-opacity="0.07" stroke="{c}" stroke-width="2"/>'
                   + "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{c}"/>' for x, y in pts) + "</g>")
    for t in ticks:  # tick labels on top of everything, between axis 0 and axis 1
        ang = -math.pi / 2 + math.pi / n
        rr = R * (t + limit) / (2 * limit)
        x, y = cx + rr * math.cos(ang), cy + rr * math.sin(ang)
        label = "0" if abs(t) < 1e-9 else _fmt(t)
        out.append(f'<text x="{x + 3:.1f}" y="{y:.1f}" font-size="10" fill="#555" stroke="#fff" stroke-width="3" '
                   f'paint-order="stroke">{label}</text>')
    out.append("</g></svg>")
    return "".join(out)


def read_leaderboard(path: str | Path) -> dict[str, Any]:
    """The content of a ``leaderboard.json``, given the file or the ``--out`` folder of ``valueportrait score``."""
    p = Path(path)
    if p.is_dir():
        p = p / "leaderboard.json"
    board = read_json(p, what="the leaderboard.json of `valueportrait score --out DIR`",
                      fix="Give the --out folder of `valueportrait score` or its leaderboard.json.")
    if not isinstance(board, dict) or not isinstance(board.get("models"), dict) or not board["models"]:
        raise InputError(f"{p}: expected a leaderboard.json with a non-empty 'models' object (written by "
                         "`valueportrait score --out`)")
    return board


def _reliability(board: Mapping[str, Any], model: str) -> dict[str, Any] | None:
    rel = board.get("reliability")
    return rel.get(model) if isinstance(rel, dict) else None


def _unreliable(board: Mapping[str, Any], model: str) -> bool:
    r = _reliability(board, model)
    return bool(r) and r.get("reliable") is False


def _legend(name: str, colors: Mapping[str, str], board: Mapping[str, Any]) -> str:
    flag = '<span class="flag" title="profile split-half reliability below the threshold">unreliable</span>' \
        if _unreliable(board, name) else ""
    return f'<span class="swatch" style="background:{colors[name]}"></span>{html.escape(name)}{flag}'


def _family_table(board: Mapping[str, Any], family: str, colors: Mapping[str, str], unit: str) -> str:
    dims = list(FAMILIES[family])
    head = "".join(f"<th>{html.escape(display_name(d))}</th>" for d in dims)
    rows = []
    for name, fams in board["models"].items():
        cells = []
        for d in dims:
            c = (fams.get(family) or {}).get(d) or {}
            s, lo, hi = _num(c.get("score")), _num(c.get("ci_low")), _num(c.get("ci_high"))
            ci = f'<br><span class="ci">[{_fmt(lo)}, {_fmt(hi)}]</span>' if lo is not None and hi is not None else ""
            title = html.escape(c.get("note") or f"n = {c.get('n', '?')} items")
            cells.append(f'<td data-v="{"" if s is None else s}" title="{title}">{_fmt(s)}{ci}</td>')
        rows.append(f'<tr><td data-v="{html.escape(name)}">{_legend(name, colors, board)}</td>{"".join(cells)}</tr>')
    return (f"<h3>{html.escape(family_title(family))}</h3><p class=\"note\">Centred scores (dimension mean minus "
            f"family mean) with {html.escape(unit)}. Click a column to sort.</p>"
            f'<div style="overflow-x:auto"><table class="sortable"><thead><tr><th>model</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _series(board: Mapping[str, Any], family: str) -> dict[str, list[float | None]]:
    dims = FAMILIES[family]
    return {m: [_num(((f.get(family) or {}).get(d) or {}).get("score")) for d in dims]
            for m, f in board["models"].items()}


def _records_table(records: Sequence[Mapping[str, Any]]) -> str:
    if not records:
        return ""
    cols = list(records[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f'<td data-v="{v}">{v:.3f}</td>'
        return f'<td data-v="{html.escape(str(v))}">{html.escape("" if v is None else str(v))}</td>'

    body = "".join("<tr>" + "".join(cell(r.get(c)) for c in cols) + "</tr>" for r in records)
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_report(board: Mapping[str, Any], *, title: str = "Value Portrait report",
                  overlay: Sequence[str] | None = None) -> str:
    """The report page for a leaderboard (the content of ``leaderboard.json``) as one HTML string.

    ``overlay``: the models ticked in the overlay chart at first (default: all); the reader can toggle them.
    """
    models = list(board.get("models") or {})
    if not models:
        raise InputError("the leaderboard has no models; score some ratings first (`valueportrait score`)")
    unknown = [m for m in (overlay or []) if m not in models]
    if unknown:
        raise InputError(f"overlay names model(s) {unknown} that are not in the leaderboard; models: {models}")
    colors = model_colors(models)
    ids = {m: f"m{k}" for k, m in enumerate(models)}
    meta = board.get("meta") or {}
    unit = meta.get("ci_over")
    unit = f"95% intervals over {unit}" if unit else "intervals (unit not recorded: rescore to name it)"
    sel = meta.get("selection") or {}
    sel_text = ", ".join(f"{k}={v}" for k, v in sel.items()) or "the build's"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="meta">Dataset {html.escape(str(meta.get("dataset", "?")))}, version '
             f'{html.escape(str(meta.get("dataset_version", "?")))}; selection: {html.escape(sel_text)}; '
             f'{len(models)} portrait(s).</p>', "<h2>Leaderboard</h2>"]
    parts += [_family_table(board, f, colors, unit) for f in FAMILIES]
    ticked = set(overlay or models)
    toggles = "".join(f'<label><input type="checkbox" class="toggle" value="{ids[m]}"'
                      f'{" checked" if m in ticked else ""}> {_legend(m, colors, board)}</label>' for m in models)
    parts.append(f'<h2>Overlay</h2><div class="toggles">{toggles}</div><div class="charts overlay">')
    for f in FAMILIES:
        series = _series(board, f)
        svg = radar_svg(series, FAMILIES[f], colors, title=family_title(f), css_class="chart overlay-chart", ids=ids)
        parts.append(svg)
    parts.append("</div>")
    parts.append(f"<h2>Portraits: {html.escape(family_title('pvq'))}</h2><div class=\"charts\">")
    pvq = _series(board, "pvq")
    for m in models:
        parts.append(radar_svg({m: pvq[m]}, FAMILIES["pvq"], colors, ids=ids, size=330,
                               title=f"{m}{' (unreliable)' if _unreliable(board, m) else ''}"))
    parts.append("</div>")
    if board.get("reliability"):
        recs = [{"model": m, **{k: v for k, v in (r or {}).items() if not isinstance(v, (dict, list))}}
                for m, r in board["reliability"].items()]
        parts.append("<h2>Reliability of each portrait</h2>" + _records_table(recs))
    if board.get("prompt_sensitivity"):
        parts.append("<h2>Prompt and option-order sensitivity</h2><p class=\"note\">Share of items whose rating "
                     "changes between prompt variants.</p>" + _records_table(board["prompt_sensitivity"]))
    parts.append(f"<h2>Citation</h2><pre>{html.escape(CITATION)}</pre>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"generator\" "
            "content=\"valueportrait\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body>{''.join(parts)}<script>{_JS}</script>"
            f"{_initial_hide([ids[m] for m in models if m not in ticked])}</body></html>")


def _initial_hide(hidden_ids: Sequence[str]) -> str:
    if not hidden_ids:
        return ""
    return (f"<script>{json.dumps(list(hidden_ids))}.forEach(function(m){{document.querySelectorAll("
            "'.overlay [data-model=\"'+m+'\"]').forEach(function(el){el.style.display='none';});});</script>")
