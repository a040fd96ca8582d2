"""The report's tables and notes in words: what the page is of (dataset, selection, scoring rule, intervals),
each model's run settings and coverage, the reliability table with a legend per column, the validity summary,
the sensitivity table, the caveat banners. Every value a person reads goes through :func:`html.escape`; run
settings also through :func:`valueportrait.secrets.scrub` (no secret reaches a page)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from ..report import UNIT_WORDS
from ..secrets import scrub
from ..style import dimension_label, family_title
from ..chance import CHANCE_MARK
from .data import HUMAN, board_families, caveats, share_text

__all__ = ["RUN_FIELDS", "about_html", "run_settings", "banners_html", "reliability_html", "runs_html", "sensitivity_html", "validity_html"]

VALIDITY_DOC = "docs/validity.md"


#: The answer-moving settings of a run manifest shown in the report, in this order.
RUN_FIELDS = ("backend", "model_name", "endpoint", "temperature", "max_tokens", "seed", "variants", "scoring",
              "dataset_revision", "dataset_version", "package_version")


def run_settings(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """What a report shows of a run directory's ``manifest.json``: :data:`RUN_FIELDS`, the endpoint as its host
    only (no path, query or credentials), the variants joined.

    >>> run_settings({"backend": "openai", "base_url": "https://user:pw@api.example.com/v1?key=x",
    ...               "variants": ["v1", "v2"], "temperature": 0.0})
    {'backend': 'openai', 'endpoint': 'api.example.com', 'temperature': 0.0, 'variants': 'v1, v2'}
    """
    from urllib.parse import urlsplit

    out = dict(manifest)
    if manifest.get("base_url"):
        out["endpoint"] = urlsplit(str(manifest["base_url"])).hostname
    if isinstance(manifest.get("variants"), list):
        out["variants"] = ", ".join(map(str, manifest["variants"]))
    return {k: out[k] for k in RUN_FIELDS if out.get(k) is not None}


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def dataset_words(meta: Mapping[str, Any]) -> str:
    """The dataset as a reader can cite it: a Hub id as given, a local folder by its name only (no local path)."""
    name = meta.get("dataset")
    if name is None:
        return "not recorded"
    text = str(name)
    p = PurePath(text)
    if p.is_absolute() or text.startswith(".") or len(p.parts) > 2:
        text = f"local folder \u2018{p.name}\u2019"
    return text


def selection_words(sel: Mapping[str, Any] | None) -> str:
    """``{'threshold': 0.3, 'alpha': 0.05, 'mode': 'pos', ...}`` -> the rule in words."""
    if not sel:
        return "the dataset's own (not recorded in these scores)"
    rho = "|rho|" if sel.get("mode") == "abs" else "rho"
    text = (f"items whose Spearman {rho} with the raters' questionnaire score is above {sel.get('threshold', '?')} "
            f"with p below {sel.get('alpha', '?')}")
    extra = [f"{sel['correlations']} correlations" if sel.get("correlations") else "",
             f"correction: {sel['correction']}" if sel.get("correction") else "",
             "scoring: weighted (every item weighted by its correlation with the dimension; not the paper's rule)"
             if sel.get("scoring") == "weighted" else ""]
    return text + "".join(f"; {x}" for x in extra if x)


def about_html(board: Mapping[str, Any], *, generated: str, version: str) -> str:
    """The definition list at the top of the page: enough to cite the results and redo them."""
    meta = board.get("meta") or {}
    runs = board.get("runs") or {}
    revision = meta.get("revision") or next((r.get("dataset_revision") for r in runs.values()
                                             if isinstance(r, Mapping) and r.get("dataset_revision")), None)
    version_ds = meta.get("dataset_version") or next((r.get("dataset_version") for r in runs.values()
                                                      if isinstance(r, Mapping) and r.get("dataset_version")), None)
    center = meta.get("center")
    scoring = ("centred scores: a dimension's mean rating minus the mean over its family (Han et al. 2025)"
               if center in (True, None) else "raw mean ratings (not centred)")
    unit = meta.get("ci_over")
    hunit = meta.get("human_ci_over")
    conf = f"{100 * float(meta.get('confidence') or 0.95):g}%"
    intervals = (f"{conf} intervals; models over {UNIT_WORDS.get(unit, unit)}" if unit else
                 f"{conf} intervals; unit per row in the tables")
    if hunit:
        intervals += f"; human raters over {UNIT_WORDS.get(hunit, hunit)}"
        if meta.get("n_boot"):
            intervals += f" ({meta['n_boot']} bootstrap resamples, seed {meta.get('seed', '?')})"
    rows = [("Generated", f"{generated} by valueportrait {version}"),
            ("Dataset", f"{dataset_words(meta)}, version {version_ds or 'not recorded'}, revision "
                        f"{revision or 'none given (a local build or the default branch)'}"),
            ("Item selection", selection_words(meta.get("selection"))),
            ("Scoring", scoring + (f"; answers parsed by {meta['parse']}" if meta.get("parse") else "")),
            ("Intervals", intervals)]
    return '<dl class="about">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows) + "</dl>"


def banners_html(board: Mapping[str, Any], models: Sequence[str]) -> str:
    """One banner per caveat of each portrait (``partial``, ``unreliable``, ``reliability not assessable``),
    with the figures behind it."""
    out = []
    for m in models:
        for cav in caveats(board, m):
            kind = cav.split(":")[0]
            if kind == "partial":
                cov = board["coverage"][m]
                why = (f"rated {cov.get('rated', 0):,} of {cov.get('requests', 0):,} requests "
                       f"({share_text(cov.get('share', 0.0) or 0.0)}): its dimensions rest on fewer items than "
                       "the benchmark's")
            elif kind == "reliability not assessable":
                rel = board["reliability"][m]
                why = str(rel.get("verdict") or "the ratings cannot support a reliability figure (a prompt variant "
                          "is missing)")
            else:
                rel = board["reliability"][m]
                if isinstance(rel.get("profile_reliability"), (int, float)):  # the rule of issue 21
                    pr, p = rel["profile_reliability"], rel.get("profile_p")
                    n = len(rel.get("profile_splits") or []) or 10
                    why = (f"profile reliability {pr:.2f} over the {n} split{'s' if n != 1 else ''} of the prompt "
                           "variants"
                           + (f", permutation p {p:.2g}" if isinstance(p, (int, float)) else "")
                           + ": the profile's shape is not reproducible across prompt variants")
                else:  # a leaderboard.json from before it
                    psh, thr = rel.get("profile_split_half"), rel.get("threshold")
                    why = ("profile split-half " + (f"{psh:.2f}" if isinstance(psh, (int, float)) else "?")
                           + (f" below the threshold {thr:g}" if isinstance(thr, (int, float)) else "")
                           + ": the portrait's shape does not replicate between two halves of the prompt variants")
            slug = {"reliability not assessable": "unassessable"}.get(kind, kind)
            out.append(f'<div class="banner {slug}" data-model="{_e(m)}"><strong>{_e(m)}: {kind}</strong> '
                       f"\u2014 {_e(why)}.</div>")
    return "".join(out)


def runs_html(board: Mapping[str, Any], models: Sequence[str]) -> str:
    """Each model's run settings (``runs[model]`` of the leaderboard, when recorded) and coverage."""
    runs = board.get("runs") or {}
    cov = board.get("coverage") or {}
    keys: list[str] = []
    for m in models:
        for k, v in (runs.get(m) or {}).items():
            if k not in keys and not isinstance(v, (dict, list)) and k != "model":
                keys.append(k)
    head = "".join(f"<th>{_e(k.replace('_', ' '))}</th>" for k in keys)
    rows = []
    for m in models:
        if m == HUMAN:
            continue
        r, c = runs.get(m) or {}, cov.get(m) or {}
        covered = (f"{c.get('rated', 0):,} of {c.get('requests', 0):,} ({share_text(c.get('share') or 0.0)})"
                   if c.get("requests") else "not recorded")
        cells = "".join(f"<td>{_e(scrub(str(r[k])) if k in r and r[k] is not None else chr(0x2014))}</td>"
                        for k in keys)
        rows.append(f"<tr><td>{_e(m)}</td><td>{_e(covered)}</td>{cells}</tr>")
    note = ("" if keys else '<p class="note">No run settings recorded: these scores come from ratings files or '
            "upstream's outputs, not from run directories of <code>valueportrait run</code>.</p>")
    return (f'<div class="wide"><table class="runs"><thead><tr><th>model</th><th>requests rated</th>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>{note}')


#: The reliability columns: (key, heading, one-line legend, format).
RELIABILITY_COLUMNS = (
    ("profile_reliability", "profile reliability", "mean over the 10 ways of splitting the 6 prompt variants into "
     "two halves of the Spearman-Brown corrected correlation of the halves' 10-value portraits; reliable when >= 0.7 "
     "and no permutation of the items reaches it (p <= 0.001)", "r"),
    ("profile_p", "its p", "permutation p of the profile reliability (the items permuted within each variant)",
     "p"),
    ("profile_sd", "profile SD", "SD of the 10 centred values (scale points): below 0.1 the profile is flat", "r"),
    ("profile_split_half", "portrait split-half", "correlation of the 10-value portraits scored from two halves of "
     "the prompt variants ({v1, v2_reversed, v3} and {v1_reversed, v2, v3_reversed}), Spearman-Brown corrected",
     "r"),
    ("icc_a1", "agreement, one variant", "ICC(A,1), absolute agreement of the item ratings between prompt "
     "variants (McGraw & Wong 1996): the reliability of a single variant", "r"),
    ("icc_ak", "agreement, all variants", "ICC(A,k): the reliability of the mean over the 6 variants", "r"),
    ("split_half_r", "half-portrait r", "the same correlation before the Spearman-Brown correction", "r"),
    ("order_bias", "order bias", "mean rating with the options in forward order minus in reversed order "
     "(scale points; 0 = no bias)", "signed"),
    ("order_bias_p", "order bias p", "two-sided Wilcoxon signed-rank p of the items' order differences", "p"),
    ("n_items_complete", "items rated in every variant", "items with a rating in each of the prompt variants", "n"),
)


def _value(v: Any, fmt: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "\u2014"
    if fmt == "p":
        return "< 0.001" if v < 0.001 else f"{v:.3f}"
    if fmt == "n":
        return f"{int(v):,}"
    return f"{v:+.2f}".replace("-", "\u2212") if fmt == "signed" else f"{v:.2f}"


def reliability_html(reliability: Mapping[str, Mapping[str, Any]]) -> str:
    """The reliability of each portrait in words: a verdict, the figures, one line of legend per column."""
    head = "".join(f"<th>{_e(h)}</th>" for _, h, _, _ in RELIABILITY_COLUMNS)
    rows = []
    for m, r in reliability.items():
        r = r or {}
        if r.get("assessable") is False:
            verdict = "not assessable"
        elif r.get("reliable") is False:
            verdict = "unreliable"
        elif r.get("reliable") is True:
            verdict = "reliable"
        else:
            verdict = "\u2014"
        if r.get("flat"):
            verdict += " (flat profile)"
        if r.get("order_bias_flag"):
            verdict += " (option order moves the answers)"
        cells = "".join(f"<td>{_e(_value(r.get(k), f))}</td>" for k, _, _, f in RELIABILITY_COLUMNS)
        cls = ' class="bad"' if verdict.startswith(("unreliable", "not")) else ""
        rows.append(f"<tr><td>{_e(m)}</td><td{cls}>{_e(verdict)}</td>{cells}</tr>")
    first = next((r for r in reliability.values() if r and r.get("threshold") is not None), {})
    thr, alpha = first.get("threshold"), first.get("alpha")
    legend = "".join(f"<li><b>{_e(h)}</b>: {_e(t)}.</li>" for _, h, t, _ in RELIABILITY_COLUMNS)
    rule = (f"the profile reliability reaches {thr:g} and its permutation p is at most {alpha:g}"
            if "profile_reliability" in first and thr is not None and alpha is not None
            else f"the portrait split-half reaches {thr:g}" if thr is not None else "its threshold is reached")
    verdict = (f"<li><b>verdict</b>: reliable (the profile's shape is reproducible across prompt variants) when "
               f"{_e(rule)}; a flat profile's values barely differ (SD below 0.1 points); option order moves the "
               "answers when the order bias exceeds the items' own spread (p &lt; 0.01).</li>")
    return (f'<div class="wide"><table class="sortable"><thead><tr><th>model</th><th>verdict</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div><ul class="legend">{verdict}{legend}</ul>')


#: The sensitivity columns in words.
SENSITIVITY_WORDS = {
    "prompt_sensitivity": ("rating changes between templates", "share of items whose ratings under the "
                           "templates v1, v2, v3 do not all agree"),
    "order_sensitivity": ("rating changes with option order", "share of items rated differently with the options "
                          "forward and reversed, averaged over the templates"),
    "order_mean_abs_diff": ("|forward \u2212 reversed|", "mean absolute difference between the forward and "
                            "reversed ratings of an item (scale points)"),
    "mean_pairwise_difference": ("|variant \u2212 variant|", "mean absolute difference between an item's ratings "
                                 "in two prompt variants, over all pairs of variants (scale points)"),
}


def sensitivity_html(records: Sequence[Mapping[str, Any]]) -> str:
    """Prompt and option-order sensitivity with each column named in words and a legend."""
    cols = [c for c in records[0] if c != "model"]

    def words(c: str) -> tuple[str, str]:
        if c in SENSITIVITY_WORDS:
            return SENSITIVITY_WORDS[c]
        if c.startswith("order_v"):
            return (f"order changes, {c[6:]}", f"share of items rated differently under {c[6:]} and "
                                               f"{c[6:]}_reversed")
        return (c.replace("_", " "), c.replace("_", " "))

    head = "".join(f"<th>{_e(words(c)[0])}</th>" for c in cols)
    body = "".join("<tr><td>" + _e(r.get("model")) + "</td>" + "".join(
        f"<td>{_e(_value(r.get(c), 'r'))}</td>" for c in cols) + "</tr>" for r in records)
    legend = "".join(f"<li><b>{_e(words(c)[0])}</b>: {_e(words(c)[1])}.</li>" for c in cols)
    return (f'<div class="wide"><table class="sortable"><thead><tr><th>model</th>{head}</tr></thead><tbody>{body}'
            f'</tbody></table></div><ul class="legend">{legend}</ul>')


def validity_html(board: Mapping[str, Any]) -> str:
    """How far the benchmark's item selection can be trusted, per family, from ``meta.above_chance``."""
    above = (board.get("meta") or {}).get("above_chance")
    link = f'<a href="{VALIDITY_DOC}">{VALIDITY_DOC}</a>'
    if not above:
        return (f"<p>These scores do not record which dimensions' item selection is above chance (the dataset was "
                f"built before that check, or the scores were written before it). How far to trust the "
                f"benchmark: {link} in the valueportrait source.</p>")
    items, instrument = [], (board.get("meta") or {}).get("instrument")
    for family, dims in board_families(board).items():
        got = above.get(family) or {}
        bad = [dimension_label(family, d, instrument) for d in dims if got.get(d) is False]
        known = sum(d in got for d in dims)
        if not known:
            items.append(f"<li><b>{_e(family_title(family, instrument))}</b>: not recorded.</li>")
            continue
        text = (f"{known - len(bad)} of {known} dimensions' item selection above chance"
                + (f"; not above chance ({CHANCE_MARK} in every chart): {', '.join(bad)}" if bad else ""))
        items.append(f"<li><b>{_e(family_title(family, instrument))}</b>: {_e(text)}.</li>")
    return (f'<ul>{"".join(items)}</ul><p class="note">A dimension is above chance when it selects more items '
            "than questionnaire scores shuffled among the raters do (the build's permutation test, p &lt; 0.05); "
            f"read the scores of the others as noise.{_other_rule(board)} More: {link} in the valueportrait "
            "source.</p>")


def _other_rule(board: Mapping[str, Any]) -> str:
    """A sentence when the chance flags come from the build's selection rule and the scores use another."""
    rule = (board.get("meta") or {}).get("above_chance_rule") or {}
    if rule.get("same_as_scores") is not False:
        return ""
    return (" These flags are the build's, for its selection rule (threshold "
            f"{_e(str(rule.get('threshold')))}, threshold scoring); these scores use another rule, and the flags "
            "were copied, not recomputed.")
