"""Portraits -> leaderboards (text, CSV, JSON, Markdown) and upstream's ``score_results`` files.

A *portrait* is the frame :func:`~valueportrait.scoring.score_portrait` returns (optionally with ``ci_low``,
``ci_high``); a leaderboard is a dict ``{name: portrait}`` in display order. Full precision is kept in the CSV
and JSON files; only the text and Markdown tables round.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from .chance import CHANCE_MARK, chance_footnote, chance_level
from .scoring.portrait import portrait_families
from .style import dimension_label, family_title
from .errors import OutputExistsError
from .io import atomic_write_json, atomic_write_text, inside, json_safe, safe_name


# -- upstream's schema -------------------------------------------------------------------------------------------
def upstream_scores(model: str, portrait: pd.DataFrame, *, prompt: str = "averaged_0.3_pos_centered") -> dict:
    """The portrait in upstream's ``score_results`` schema.

    ``{"meta": {"model_name", "prompt"}, "scores": {family: {dim: {"centered_mean", "original_mean", "std_dev",
    "n"}}}}``, dimensions in the portrait's order; a null score stays ``null``.
    """
    scores: dict = {}
    for r in portrait.itertuples(index=False):
        scores.setdefault(r.family, {})[r.dimension] = {
            "centered_mean": r.score, "original_mean": r.raw_mean, "std_dev": r.std, "n": int(r.n),
        }
    return json_safe({"meta": {"model_name": model, "prompt": prompt}, "scores": scores})


def upstream_scores_path(out_dir: str | Path, model: str) -> Path:
    """``<out_dir>/<model>_scores.json``, the model name through :func:`~valueportrait.io.safe_name` (a name
    such as ``../../evil`` or ``a/b`` cannot leave ``out_dir``; ``meta.model_name`` keeps the name as given)."""
    return inside(out_dir, f"{safe_name(model)}_scores.json")


def write_upstream_scores(out_dir: str | Path, model: str, portrait: pd.DataFrame, *, overwrite: bool = False,
                          prompt: str = "averaged_0.3_pos_centered") -> Path:
    """Write :func:`upstream_scores_path` (upstream's schema). Refuses to overwrite unless asked."""
    path = upstream_scores_path(out_dir, model)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite (overwrite=True) or choose another --out")
    return atomic_write_json(path, upstream_scores(model, portrait, prompt=prompt))


# -- leaderboards ------------------------------------------------------------------------------------------------
def leaderboard_table(portraits: dict[str, pd.DataFrame], value: str = "score") -> pd.DataFrame:
    """Wide table: one row per model, one column per dimension (the instrument's order), cells = ``value``."""
    cols = [d for dims in portrait_families(portraits).values() for d in dims]
    rows = {name: p.set_index("dimension")[value].reindex(cols) for name, p in portraits.items()}
    out = pd.DataFrame(rows).T
    out.index.name = "model"
    return out[cols]


def leaderboard_long(portraits: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long table: model, family, dimension, score, raw_mean, std, n, family_mean, [ci_low, ci_high, se, df,
    ci_over, ci_method], note."""
    df = pd.concat([p.assign(model=name) for name, p in portraits.items()], ignore_index=True)
    first = ["model", "family", "dimension", "score", "raw_mean", "std", "n", "family_mean"]
    extra = [c for c in ("ci_low", "ci_high", "se", "df", "ci_over", "ci_method") if c in df]
    return df[first + extra + ["note"]]


def leaderboard_json(portraits: dict[str, pd.DataFrame], *, reliability: dict | None = None,
                     coverage: dict | None = None, sensitivity: pd.DataFrame | None = None, **meta) -> dict:
    """{"meta": ..., "models": {model: {family: {dim: {score, raw_mean, std, n, family_mean, ci_low, ci_high, se,
    ci_over, ci_method, note}}}}, "reliability": {...}, "coverage": {...}[, "prompt_sensitivity": [...]][, "runs": {...}]}."""
    models: dict = {}
    for name, p in portraits.items():
        fam: dict = {}
        for r in p.to_dict("records"):
            cell = {k: json_safe(r.get(k)) for k in ("score", "raw_mean", "std", "family_mean", "ci_low", "ci_high", "se")}
            cell["n"] = int(r["n"])
            for k in ("ci_over", "ci_method"):
                cell[k] = r.get(k) if isinstance(r.get(k), str) else None
            cell["note"] = r.get("note") if isinstance(r.get("note"), str) else None
            fam.setdefault(r["family"], {})[r["dimension"]] = cell
        models[name] = fam
    out = {"meta": meta, "models": models, "reliability": json_safe(reliability or {}),
           "coverage": json_safe(coverage or {})}
    if sensitivity is not None and len(sensitivity):
        out["prompt_sensitivity"] = json.loads(sensitivity.to_json(orient="records"))
    out |= {"runs": json_safe(runs)} if (runs := out["meta"].pop("runs", None)) else {}
    return out


#: How a unit of ``ci_over`` reads in a table's heading.
UNIT_WORDS = {"variants": "prompt variants", "items": "items", "items+variants": "items and prompt variants",
              "raters": "raters", "items+raters": "items and raters"}


def _fmt(x: float, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:+.{digits}f}"


def _cell(row: pd.Series | None, digits: int) -> str:
    """``+0.33 [+0.12, +0.54]``; the score alone when its interval is null; ``—`` for a null score."""
    if row is None:
        return "—"
    score = _fmt(row["score"], digits)
    lo, hi = row.get("ci_low"), row.get("ci_high")
    if score == "—" or lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return score
    return f"{score} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def unreliable_models(reliability: dict | None) -> dict[str, float | None]:
    """{model: profile reliability} of the portraits whose reliability record says ``reliable: False`` (profile
    shape not reproducible across prompt variants)."""
    return {m: r.get("profile_reliability") for m, r in (reliability or {}).items()
            if isinstance(r, dict) and r.get("reliable") is False}


def caveat_lines(reliability: dict | None) -> list[str]:
    """One line per caveat of the reliability records: shape not reproducible (``!``), flat, order of the options
    dominating, not assessable (each naming its models and figures)."""
    recs = {m: r for m, r in (reliability or {}).items() if isinstance(r, dict)}
    bad, lines = unreliable_models(recs), []
    if bad:
        thr = next(iter(recs[m].get("threshold", 0.7) for m in bad))
        shown = ", ".join(f"{m} ({_fmt(v, 2).lstrip('+')}, p {recs[m].get('profile_p'):.2g})" for m, v in bad.items())
        lines.append(f"! profile not reproducible over prompt variants (reliability < {thr:g} or p > "
                     f"{recs[next(iter(bad))].get('alpha', 0.001):g}): {shown}")
    flat = [f"{m} (SD {r['profile_sd']:.3f})" for m, r in recs.items() if r.get("flat")]
    if flat:
        lines.append(f"flat profile (values differ by less than {next(iter(recs.values())).get('flat_below', 0.1):g} "
                     f"points, SD over the 10 values): {', '.join(flat)}")
    order = [f"{m} ({r['order_bias']:+.2f} points, item SD {r['item_sd']:.2f}, p {r['order_bias_p']:.2g})"
             for m, r in recs.items() if r.get("order_bias_flag")]
    if order:
        lines.append("the order of the answer options dominates (reversing it moves the answers more than the items "
                     f"do): {', '.join(order)}")
    missing = [f"{m} ({r['verdict'].removeprefix('not assessable: ')})" for m, r in recs.items()
               if r.get("assessable") is False and r.get("verdict")]
    if missing:
        lines.append(f"reliability not assessable: {'; '.join(missing)}")
    return lines


def interval_heading(portraits: dict[str, pd.DataFrame], confidence: float = 0.95) -> str:
    """What the cells hold, naming each row's interval unit: 'centred score [95% CI over prompt variants; ...]'."""
    units: dict[str, list[str]] = {}
    for name, p in portraits.items():
        if "ci_low" in p and p["ci_low"].notna().any():
            unit = p["ci_over"].dropna().iloc[0] if "ci_over" in p and p["ci_over"].notna().any() else "items"
            units.setdefault(str(unit), []).append(name)
    if not units:
        return "centred score (no intervals: the portraits' notes say why)"
    parts = []
    for k, (unit, names) in enumerate(units.items()):
        # the first unit goes unnamed only when it is the models' (never the human raters' alone)
        who = "" if k == 0 and names != ["human raters"] else f"{', '.join(names)}: "
        parts.append(f"{who}over {UNIT_WORDS.get(unit, unit)}")
    bare = [n for n in portraits if not any(n in names for names in units.values())]
    if bare:
        parts.append(f"no interval: {', '.join(map(str, bare))}")
    return f"centred score [{100 * confidence:g}% CI {'; '.join(parts)}]"


def _text_block(title: str, header: list[str], body: list[list[str]]) -> str:
    width = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
    fmt = lambda row: "  ".join(c.ljust(width[0]) if k == 0 else c.rjust(width[k]) for k, c in enumerate(row))  # noqa: E731
    return "\n".join([title, fmt(header), fmt(["-" * w for w in width]), *map(fmt, body)])


def leaderboard_text(portraits: dict[str, pd.DataFrame], *, markdown: bool = False, digits: int = 2,
                     confidence: float = 0.95, reliability: dict | None = None, width: int = 120,
                     above_chance: dict | None = None, meta: dict | None = None) -> str:
    """One table per family: each score with its interval, the unit named in the heading, unreliable portraits
    marked ``!`` (with their profile reliability below the table, and the other caveats); null scores shown as
    ``—``; dimensions not above chance (``above_chance``) marked ``†``, footnoted. ``meta``: leaderboard.json's
    (``above_chance_rule``: footnoted if not the scores'; ``instrument``: family titles, dimension labels).

    Plain text: dimensions down, models across, as many models per table as fit in ``width`` columns.
    Markdown: models down, dimensions across. The intervals' unit is read from the portraits' ``ci_over`` column.
    """
    chance_rule, instrument = ((meta or {}).get(k) for k in ("above_chance_rule", "instrument"))
    bad = unreliable_models(reliability)
    names = [f"{m} !" if m in bad else str(m) for m in portraits]
    rows = {m: p.set_index(["family", "dimension"]) for m, p in portraits.items()}

    def cell(m: str, family: str, d: str) -> str:
        r = rows[m]
        return _cell(r.loc[(family, d)] if (family, d) in r.index else None, digits)

    what = interval_heading(portraits, confidence)
    blocks = []
    marked = any(chance_level(above_chance, f, d) for f, dims in portrait_families(portraits).items() for d in dims)
    for family, dims in portrait_families(portraits).items():
        title = f"{family_title(family, instrument)}: {what}"
        label = {d: dimension_label(family, d, instrument) + (f" {CHANCE_MARK}" if chance_level(above_chance, family, d)
                                                              else "") for d in dims}
        if markdown:
            lines = [f"### {title}", "", "| model | " + " | ".join(label[d] for d in dims) + " |",
                     "|" + "|".join(["---"] + ["---:"] * len(dims)) + "|"]
            lines += [f"| {n} | " + " | ".join(cell(m, family, d) for d in dims) + " |" for m, n in zip(portraits, names)]
            blocks.append("\n".join(lines))
            continue
        label_w = max(len("dimension"), *(len(label[d]) for d in dims))
        chunks: list[list[int]] = [[]]
        used = label_w
        for k, m in enumerate(portraits):
            w = 2 + max(len(names[k]), *(len(cell(m, family, d)) for d in dims))
            if chunks[-1] and used + w > width:
                chunks.append([])
                used = label_w
            chunks[-1].append(k)
            used += w
        models = list(portraits)
        for c in chunks:
            header = ["dimension", *(names[k] for k in c)]
            body = [[label[d], *(cell(models[k], family, d) for k in c)] for d in dims]
            blocks.append(_text_block(title, header, body))
    text = "\n\n".join(blocks) + "\n"
    if marked:
        text += f"\n{chance_footnote(chance_rule)}\n"
    caveats = [textwrap.fill(c, width, subsequent_indent="  ") for c in caveat_lines(reliability)]
    if caveats:
        text += "\n" + "\n".join(caveats) + "\n"
    return text


def reliability_text(reliability: dict, *, markdown: bool = False) -> str:
    """The reliability records as a table: profile reliability (mean over the 10 variant splits) and its
    permutation p, profile SD and SE (``sd``, ``se``; ``flat`` marked), order bias and its p (``!``: it
    dominates), ICC(A,1), ICC(A,k), the fixed split-half, reliable."""
    header = ["model", "profile_rel", "p", "sd", "se", "order_bias", "p", "ICC(A,1)", "ICC(A,k)", "split-half",
              "reliable"]

    def num(v, sign=False, digits=3):
        return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else (
            f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}")

    def pval(v):
        return "—" if v is None else f"{v:.2g}"

    body = [[m, num(r.get("profile_reliability")), pval(r.get("profile_p")),
             num(r.get("profile_sd")) + (" flat" if r.get("flat") else ""), num(r.get("profile_se")),
             num(r.get("order_bias"), True) + (" !" if r.get("order_bias_flag") else ""), pval(r.get("order_bias_p")),
             num(r.get("icc_a1")), num(r.get("icc_ak")), num(r.get("profile_split_half")),
             {True: "yes", False: "NO"}.get(r.get("reliable"), "not assessable")]
            for m, r in reliability.items()]
    if markdown:
        return "\n".join(["| " + " | ".join(header) + " |", "|---|" + "---:|" * 9 + "---|",
                          *("| " + " | ".join(r) + " |" for r in body)])
    return _text_block("Reliability (docs/metric.md; reliable = profile shape reproducible across prompt variants)",
                       header, body) + "\n"


def write_leaderboard(out_dir: str | Path, portraits: dict[str, pd.DataFrame], *, overwrite: bool = False,
                      sensitivity: pd.DataFrame | None = None, reliability: dict | None = None,
                      coverage: dict | None = None, **meta) -> dict[str, Path]:
    """Write ``leaderboard.csv`` (long, full precision), ``leaderboard.json`` and ``leaderboard.md``.

    ``sensitivity`` (from :func:`~valueportrait.sensitivity.sensitivity_table`), ``reliability``
    ({model: record}) and ``coverage`` ({model: record}) go into the JSON (and the first two into the
    Markdown). Returns the written paths by format.
    """
    out = Path(out_dir)
    paths = {"csv": out / "leaderboard.csv", "json": out / "leaderboard.json", "md": out / "leaderboard.md"}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{', '.join(existing)} exist(s); pass --overwrite or choose another --out")
    data = leaderboard_json(portraits, reliability=reliability, coverage=coverage, sensitivity=sensitivity, **meta)
    md = (f"# {(meta.get('instrument') or {}).get('name') or 'Value Portrait'} leaderboard\n\n"
          "Centred scores (dimension mean minus family mean; Han et al. 2025).\n\n")
    md += leaderboard_text(portraits, markdown=True, reliability=reliability, confidence=meta.get("confidence") or 0.95,
                           above_chance=meta.get("above_chance"), meta=meta)
    if reliability:
        md += "\n### Reliability\n\n" + reliability_text(reliability, markdown=True) + "\n"
    if sensitivity is not None and len(sensitivity):
        md += "\n### Prompt sensitivity\n\n" + _markdown_frame(sensitivity) + "\n"
    atomic_write_text(paths["csv"], leaderboard_long(portraits).to_csv(index=False))
    atomic_write_json(paths["json"], data)
    atomic_write_text(paths["md"], md)
    return paths


def _markdown_frame(df: pd.DataFrame, digits: int = 3) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def sensitivity_text(sensitivity: pd.DataFrame, digits: int = 3) -> str:
    """Plain-text table of :func:`~valueportrait.sensitivity.sensitivity_table`, wrapped at 120 columns."""
    return sensitivity.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}", line_width=120) + "\n"
