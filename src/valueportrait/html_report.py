"""One self-contained HTML page of a scored leaderboard that can go into a paper's supplement.

:func:`render_report` turns the content of a ``leaderboard.json`` (written by ``valueportrait score --out``) into
one page with inline SVG and CSS and a few lines of inline JavaScript (sorting, the overlay's model toggles);
nothing is loaded from the network. The page holds:

* what it is of: date, valueportrait version, dataset (a local folder by its name only), version and revision,
  the item selection, the scoring rule, the intervals and their unit; each model's run settings and coverage;
* banners for partial and unreliable portraits, and the validity summary (dimensions whose item selection is not
  above chance are marked on every chart);
* per family, the leaderboard (each score with its interval, the interval's unit on every row) and a heatmap;
* radar charts on ONE radial scale for the whole page (named once, in a scale key): an overlay of the models a
  reader ticks (at most 8 at first) and one small chart per portrait with the human raters in grey;
* the reliability of each portrait and the prompt sensitivity, in words with a legend per column; the citation.

It fits a 1400 px window without sideways scrolling and prints on A4. Every model keeps the colour its name gives
it (:func:`valueportrait.style.model_colors`), in this page and in every other.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .board import read_leaderboard
from .citation import CITATION
from .errors import InputError
from .figures.data import HUMAN, board_families, figure_data
from .figures.heatmap import RADAR_MAX
from .figures.svg import Box, heatmap_html, radar_svg, scale_key_svg, side_room
from .figures.tables import (about_html, banners_html, reliability_html, runs_html, sensitivity_html,
                             validity_html)
from .report import UNIT_WORDS
from .style import color_limit, radial_scale, scale_caption, signed

__all__ = ["read_leaderboard", "render_report"]

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1360px;color:#222;
padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
dl.about{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .8rem;font-size:.9rem;margin:.6rem 0}
dl.about dt{color:#555}dl.about dd{margin:0}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}
th,td{padding:.2rem .35rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f6f6f6;vertical-align:bottom}
table.sortable thead th{cursor:pointer}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
table.scores{width:100%;table-layout:fixed}table.scores td{white-space:nowrap}
table.scores td:first-child,table.scores th:first-child{width:13rem;white-space:normal;overflow-wrap:anywhere}
table.scores th.unit,table.scores td.unit{width:6.5rem;white-space:normal;text-align:left;color:#555}
.ci{color:#777;font-size:.72rem}.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;
margin-right:.35em;vertical-align:-.05em}.flag{background:#fde2e1;color:#a61b1b;border-radius:3px;padding:0 .3em;
font-size:.72rem;margin-left:.3em;white-space:nowrap}
.chance{color:#a61b1b;font-style:italic}
.banner{border-left:4px solid #c0392b;background:#fdf0ef;padding:.35rem .6rem;margin:.3rem 0;font-size:.88rem}
.banner.partial{border-color:#b9770e;background:#fef5e7}
.charts{display:flex;flex-wrap:wrap;gap:.6rem}.charts svg{flex:0 0 auto;max-width:100%;height:auto}
.charts.portraits svg{width:calc(25% - .45rem)}.charts.overlay svg{width:calc(33.33% - .4rem)}
.toggles label{margin-right:1rem;font-size:.88rem;white-space:nowrap;display:inline-block}
pre{background:#f6f6f6;padding:.8rem;white-space:pre-wrap;font-size:.78rem}.note{color:#555;font-size:.86rem}
.wide{max-width:100%;overflow-x:auto}ul.legend{font-size:.8rem;color:#444;margin:.3rem 0 0 1rem;padding:0}
table.heatmap{table-layout:fixed;width:100%}table.heatmap td{text-align:center;border:1px solid #fff;
font-variant-numeric:tabular-nums}table.heatmap th.rowname{font-weight:normal;width:16rem;overflow-wrap:anywhere}
table.heatmap tr.human th,table.heatmap tr.human td{border-top:6px solid #fff}
table.heatmap tr.flagged td{opacity:.5;font-style:italic}table.heatmap tr.flagged th{color:#a61b1b;font-style:italic}
table.heatmap thead th{font-size:.75rem;font-weight:600;background:none}
.colorbar{font-size:.78rem;color:#444;display:flex;align-items:center;gap:.4rem}
.colorbar .bar{display:inline-block;width:220px;height:10px;border:1px solid #ccc}
.scalekey{display:flex;align-items:center;gap:1rem;font-size:.85rem;color:#444}
@media print{@page{size:A4;margin:12mm}body{max-width:none;margin:0;padding:0;font-size:10pt}
.toggles,.no-print{display:none}h2{break-after:avoid}svg,table,.banner,dl{break-inside:avoid}
table.scores{font-size:6.5pt}table.heatmap{font-size:6.5pt}.charts svg{width:31%}.overlay svg{width:48%}
table.scores td{white-space:normal}table.scores td:first-child,table.scores th:first-child{width:6.5rem}
table.scores th.unit,table.scores td.unit{width:3.6rem}table.heatmap th.rowname{width:7.5rem}
thead th{white-space:normal;overflow-wrap:anywhere}.wide{overflow:visible}}
"""

_JS = """
(function(){
  function val(td){var v=td.getAttribute('data-v');if(v===null){v=td.textContent;}if(v==='')return null;
    var n=parseFloat(v.replace('\\u2212','-'));return isNaN(n)?v:n;}
  document.querySelectorAll('table.sortable').forEach(function(t){
    t.querySelectorAll('thead th').forEach(function(th,k){th.addEventListener('click',function(){
      var asc=!th.classList.contains('sorted-asc');t.querySelectorAll('th').forEach(function(h){
        h.classList.remove('sorted-asc','sorted-desc');});th.classList.add(asc?'sorted-asc':'sorted-desc');
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=val(a.cells[k]),y=val(b.cells[k]);if(x===null)return 1;if(y===null)return -1;
        return (x<y?-1:x>y?1:0)*(asc?1:-1);});rows.forEach(function(r){body.appendChild(r);});});});});
  document.querySelectorAll('input.toggle').forEach(function(box){box.addEventListener('change',function(){
    document.querySelectorAll('.overlay [data-model="'+box.value+'"]').forEach(function(el){
      el.style.display=box.checked?'':'none';});});});
  document.body.setAttribute('data-ready','1');
})();
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _legend(fd, name: str) -> str:
    flags = "".join(f'<span class="flag">{_e(c.split(":")[0])}</span>' for c in fd.caveats.get(name) or ())
    return (f'<span class="swatch" style="background:{fd.colors[name]}" data-name="{_e(name)}" '
            f'data-color="{fd.colors[name]}"></span>{_e(name)}{flags}')


def _family_table(board: Mapping[str, Any], family: str) -> str:
    fd = figure_data(board, family)
    head = "".join(f'<th{" class=chance" if d in fd.chance else ""}>{_e(fd.axis_label(d))}</th>' for d in fd.dims)
    rows = []
    for name in fd.names:
        cells = []
        for d in fd.dims:
            c = (board["models"][name].get(family) or {}).get(d) or {}
            s, lo, hi = _num(c.get("score")), _num(c.get("ci_low")), _num(c.get("ci_high"))
            ci = (f'<br><span class="ci">[{signed(lo)}, {signed(hi)}]</span>'
                  if lo is not None and hi is not None else "")
            title = _e(c.get("note") or f"n = {c.get('n', '?')} items")
            shown = "\u2014" if s is None else signed(s)
            cells.append(f'<td data-v="{"" if s is None else s}" title="{title}">{shown}{ci}</td>')
        unit = fd.units.get(name)
        unit_text = UNIT_WORDS.get(unit, unit) if fd.has_interval(name) and unit else "no interval"
        rows.append(f'<tr><td data-v="{_e(name)}">{_legend(fd, name)}</td>{"".join(cells)}'
                    f'<td class="unit">{_e(unit_text)}</td></tr>')
    pct = f"{100 * fd.confidence:g}%"
    return (f"<h3>{_e(fd.heading())}</h3><p class=\"note\">Centred scores (dimension mean minus family "
            f"mean) with their {pct} interval; the last column says what each row's interval is over. Click a "
            f'column to sort.</p><table class="scores sortable"><thead><tr><th>model</th>{head}'
            f'<th class="unit">interval over</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _page_scale(board: Mapping[str, Any]) -> tuple[float, np.ndarray]:
    """The one radial scale of every chart on the page: all families' scores and interval ends fit."""
    values = []
    for f in board_families(board):
        fd = figure_data(board, f)
        values += [fd.score.ravel(), fd.low.ravel(), fd.high.ravel()]
    return radial_scale(np.concatenate(values))


def render_report(board: Mapping[str, Any], *, title: str | None = None,
                  overlay: Sequence[str] | None = None, generated: str | None = None) -> str:
    """The report page for a leaderboard (the content of ``leaderboard.json``) as one HTML string.

    ``overlay``: the models ticked in the overlay chart at first (default: all, or the first 8 and the human
    raters when there are more); the reader can toggle them. ``generated``: the date line (default: now, UTC).
    ``title`` default: "<the instrument's name> report" (``meta.instrument``; "Value Portrait report").
    """
    from . import __version__

    models = list(board.get("models") or {})
    if not models:
        raise InputError("the leaderboard has no models; score some ratings first (`valueportrait score`)")
    unknown = [m for m in (overlay or []) if m not in models]
    if unknown:
        raise InputError(f"overlay names model(s) {unknown} that are not in the leaderboard; models: {models}")
    title = title or f"{((board.get('meta') or {}).get('instrument') or {}).get('name') or 'Value Portrait'} report"
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ids = {m: f"m{k}" for k, m in enumerate(models)}
    limit, ticks = _page_scale(board)
    families = list(board_families(board))  # the instrument's, as the portraits have them
    pvq = figure_data(board, families[0])
    heat = color_limit(np.concatenate([figure_data(board, f).score.ravel() for f in families]))  # one for the page
    many = len(models) > RADAR_MAX
    parts = [f"<h1>{_e(title)}</h1>", about_html(board, generated=generated, version=__version__),
             banners_html(board, models), "<h2>Validity of the benchmark</h2>", validity_html(board),
             f"<h2>Heatmap</h2><p class=\"note\">{_e(pvq.interval_caption())}</p>",
             *(heatmap_html(figure_data(board, f), limit=heat) for f in families),
             "<h2>Runs</h2>", runs_html(board, models), "<h2>Leaderboard</h2>"]
    parts += [_family_table(board, f) for f in families]
    key = (f'<div class="scalekey">{scale_key_svg(limit, ticks)}<span>{_e(scale_caption(limit, ticks))}<br>'
           f"{_e(pvq.interval_caption())} Whiskers: the intervals. Dashed and faded: partial or unreliable "
           "portraits.</span></div>")
    ticked = list(overlay) if overlay else (models if not many else [*models[:RADAR_MAX], HUMAN])
    toggles = "".join(f'<label><input type="checkbox" class="toggle" value="{ids[m]}"'
                      f'{" checked" if m in ticked else ""}> {_legend(pvq, m)}</label>' for m in models)
    parts.append(f"<h2>Overlay</h2>{key}"
                 + (f'<p class="note">{len(models)} portraits: the first {RADAR_MAX} and the human raters are '
                    "ticked; the heatmap above shows them all.</p>" if many and not overlay else "")
                 + f'<div class="toggles">{toggles}</div><div class="charts overlay">')
    overlays = [figure_data(board, f) for f in families]
    pad = max(side_room(fd, 300) for fd in overlays)  # one pad: the three circles come out the same size
    for fd in overlays:
        parts.append(radar_svg(fd, scale=(limit, ticks), title=fd.heading(), ids=ids,
                               box=Box(size=300, pad=pad, css_class="chart overlay-chart")))
    parts.append(f"</div><h2>Portraits: {_e(pvq.heading())}</h2>"
                 "<p class=\"note\">One chart per portrait, on the scale above; grey: the human raters.</p>"
                 '<div class="charts portraits">')
    for m in models:
        cav = "; ".join(pvq.caveats.get(m) or ())
        parts.append(radar_svg(pvq, [m], scale=(limit, ticks), title=m + (f"\n{cav}" if cav else ""), ids=ids,
                               box=Box(size=216, css_class="chart portrait"),
                               reference=HUMAN if m != HUMAN else None))
    parts.append("</div>")
    if board.get("reliability"):
        parts.append("<h2>Reliability of each portrait</h2>" + reliability_html(board["reliability"]))
    if board.get("prompt_sensitivity"):
        parts.append("<h2>Prompt and option-order sensitivity</h2>" + sensitivity_html(board["prompt_sensitivity"]))
    parts.append(f"<h2>Citation</h2><pre>{_e(CITATION)}</pre>")
    hidden = [ids[m] for m in models if m not in ticked]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"generator\" "
            "content=\"valueportrait\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_e(title)}"
            f"</title><style>{_CSS}</style></head><body>{''.join(parts)}<script>{_JS}</script>"
            f"{_initial_hide(hidden)}</body></html>")


def _initial_hide(hidden_ids: Sequence[str]) -> str:
    if not hidden_ids:
        return ""
    return (f"<script>{json.dumps(list(hidden_ids))}.forEach(function(m){{document.querySelectorAll("
            "'.overlay [data-model=\"'+m+'\"]').forEach(function(el){el.style.display='none';});});</script>")
