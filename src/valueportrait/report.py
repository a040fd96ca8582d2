"""Portraits -> leaderboards (text, CSV, JSON, Markdown) and upstream's ``score_results`` files.

A *portrait* is the frame :func:`~valueportrait.scoring.score_portrait` returns (optionally with ``ci_low``,
``ci_high``); a leaderboard is a dict ``{name: portrait}`` in display order. Full precision is kept in the CSV
and JSON files; only the text and Markdown tables round.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .scale import FAMILIES, FAMILY_TITLES
from .errors import OutputExistsError
from .io import atomic_write_json, atomic_write_text, json_safe


# -- upstream's schema -------------------------------------------------------------------------------------------
def upstream_scores(model: str, portrait: pd.DataFrame, *, prompt: str = "averaged_0.3_pos_centered") -> dict:
    """The portrait in upstream's ``score_results`` schema.

    ``{"meta": {"model_name", "prompt"}, "scores": {family: {dim: {"centered_mean", "original_mean", "std_dev",
    "n"}}}}``, dimensions in FAMILIES order; a null score stays ``null``.
    """
    scores: dict = {}
    for r in portrait.itertuples(index=False):
        scores.setdefault(r.family, {})[r.dimension] = {
            "centered_mean": r.score, "original_mean": r.raw_mean, "std_dev": r.std, "n": int(r.n),
        }
    return json_safe({"meta": {"model_name": model, "prompt": prompt}, "scores": scores})


def write_upstream_scores(out_dir: str | Path, model: str, portrait: pd.DataFrame, *, overwrite: bool = False,
                          prompt: str = "averaged_0.3_pos_centered") -> Path:
    """Write ``<out_dir>/<model>_scores.json`` (upstream's schema). Refuses to overwrite unless asked."""
    path = Path(out_dir) / f"{model}_scores.json"
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite (overwrite=True) or choose another --out")
    return atomic_write_json(path, upstream_scores(model, portrait, prompt=prompt))


# -- leaderboards ------------------------------------------------------------------------------------------------
def leaderboard_table(portraits: dict[str, pd.DataFrame], value: str = "score") -> pd.DataFrame:
    """Wide table: one row per model, one column per dimension (FAMILIES order), cells = ``value``."""
    cols = [d for dims in FAMILIES.values() for d in dims]
    rows = {name: p.set_index("dimension")[value].reindex(cols) for name, p in portraits.items()}
    out = pd.DataFrame(rows).T
    out.index.name = "model"
    return out[cols]


def leaderboard_long(portraits: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long table: model, family, dimension, score, raw_mean, std, n, family_mean, [ci_low, ci_high, se], note."""
    frames = [p.assign(model=name) for name, p in portraits.items()]
    df = pd.concat(frames, ignore_index=True)
    first = ["model", "family", "dimension", "score", "raw_mean", "std", "n", "family_mean"]
    extra = [c for c in ("ci_low", "ci_high", "se") if c in df]
    return df[first + extra + ["note"]]


def leaderboard_json(portraits: dict[str, pd.DataFrame], **meta) -> dict:
    """{"meta": ..., "models": {model: {family: {dim: {score, raw_mean, std, n, family_mean, ci_low, ci_high, note}}}}}."""
    models: dict = {}
    for name, p in portraits.items():
        fam: dict = {}
        for r in p.to_dict("records"):
            cell = {k: json_safe(r.get(k)) for k in ("score", "raw_mean", "std", "family_mean", "ci_low", "ci_high")}
            cell["n"] = int(r["n"])
            cell["note"] = r.get("note") if isinstance(r.get("note"), str) else None
            fam.setdefault(r["family"], {})[r["dimension"]] = cell
        models[name] = fam
    return {"meta": meta, "models": models}


def _fmt(x: float, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:+.{digits}f}"


def leaderboard_text(portraits: dict[str, pd.DataFrame], *, markdown: bool = False, digits: int = 2) -> str:
    """One table per family, models x dimensions, centred scores rounded; null scores shown as ``—``."""
    table = leaderboard_table(portraits)
    blocks = []
    for family, dims in FAMILIES.items():
        header = ["model", *dims]
        body = [[str(m), *(_fmt(table.loc[m, d], digits) for d in dims)] for m in table.index]
        if markdown:
            lines = [f"### {FAMILY_TITLES[family]}", "", "| " + " | ".join(header) + " |",
                     "|" + "|".join(["---"] + ["---:"] * len(dims)) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in body]
        else:
            width = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
            fmt = lambda row: "  ".join(c.ljust(width[0]) if k == 0 else c.rjust(width[k]) for k, c in enumerate(row))  # noqa: E731
            lines = [FAMILY_TITLES[family], fmt(header), fmt(["-" * w for w in width]), *map(fmt, body)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def write_leaderboard(out_dir: str | Path, portraits: dict[str, pd.DataFrame], *, overwrite: bool = False,
                      sensitivity: pd.DataFrame | None = None, **meta) -> dict[str, Path]:
    """Write ``leaderboard.csv`` (long, full precision), ``leaderboard.json`` and ``leaderboard.md``.

    ``sensitivity`` (from :func:`~valueportrait.sensitivity.sensitivity_table`) is added to the JSON and
    Markdown. Returns the written paths by format.
    """
    out = Path(out_dir)
    paths = {"csv": out / "leaderboard.csv", "json": out / "leaderboard.json", "md": out / "leaderboard.md"}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{', '.join(existing)} exist(s); pass --overwrite or choose another --out")
    data = leaderboard_json(portraits, **meta)
    md = "# Value Portrait leaderboard\n\nCentred scores (dimension mean minus family mean; Han et al. 2025).\n\n"
    md += leaderboard_text(portraits, markdown=True)
    if sensitivity is not None and len(sensitivity):
        data["prompt_sensitivity"] = json.loads(sensitivity.to_json(orient="records"))
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
    """Plain-text table of :func:`~valueportrait.sensitivity.sensitivity_table`."""
    return sensitivity.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}") + "\n"
