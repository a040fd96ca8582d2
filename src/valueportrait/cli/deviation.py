"""``valueportrait deviation``: compare a model's personas with real demographic groups."""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

import click
import pandas as pd

from valueportrait.errors import InputError, OutputExistsError
from valueportrait.ratings import read_ratings

#: Files the command writes into --out.
TABLE_FILES = ("dimensions", "agreement", "gaps", "bias", "distributions")


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise InputError(f"{what} expects NAME=VALUE, got {v!r}")
        k, val = (s.strip() for s in v.split("=", 1))
        out[k] = val
    return out


def _fmt(x, spec: str = ".2f") -> str:
    return "—" if x is None or pd.isna(x) else format(float(x), spec)


def summary_text(report, model: str) -> str:
    """The table printed by the command (agreement per persona, then the bias index per attribute)."""
    agr = report.agreement
    lines = [f"Model {model}: {agr['persona'].nunique()} persona(s), {report.settings['n_items_model']} scored items; "
             f"bootstrap {report.settings['n_boot']}, {report.settings['ci']:.0%} CI, seed {report.settings['seed']}",
             "",
             f"{'attribute':<14}{'group':<14}{'persona':<22}{'raters':>7}  {'values r':>9}{'rho':>7}{'RMSE':>7}"
             f"  {'traits r':>9}{'rho':>7}{'RMSE':>7}"]
    for (attr, group, persona), g in agr.groupby(["attribute", "group", "persona"], sort=False):
        v, t = g[g["family"] == "pvq"].iloc[0], g[g["family"] == "bfi"].iloc[0]
        n = report.dimensions.loc[report.dimensions["persona"] == persona, "n_raters"].iloc[0]
        line = f"{attr:<14}{group:<14}{persona:<22}{int(n):>7}  "
        if pd.notna(v["note"]):
            line += "no statistics: " + v["note"].split(":")[0]
        else:
            line += f"{_fmt(v['pearson']):>9}{_fmt(v['spearman']):>7}{_fmt(v['rmse']):>7}  " \
                    f"{_fmt(t['pearson']):>9}{_fmt(t['spearman']):>7}{_fmt(t['rmse']):>7}"
        lines.append(line)
    lines += ["", "Bias index = mean |model gap - human gap| over group pairs x dimensions (0 = the model's persona "
              "differences match the real ones)",
              f"{'attribute':<14}{'family':<8}{'pairs':>6}{'bias index':>12}  {'CI':<17}{'sign agr.':>10}"
              f"{'exaggeration':>14}"]
    for row in report.bias.itertuples(index=False):
        if pd.notna(row.note):
            lines.append(f"{row.attribute:<14}{row.family:<8}{int(row.n_pairs):>6}  {row.note}")
        else:
            ci = f"[{_fmt(row.bias_index_ci_low, '.3f')}, {_fmt(row.bias_index_ci_high, '.3f')}]"
            lines.append(f"{row.attribute:<14}{row.family:<8}{int(row.n_pairs):>6}{_fmt(row.bias_index, '.3f'):>12}  "
                         f"{ci:<17}{_fmt(row.sign_agreement):>10}{_fmt(row.exaggeration):>14}")
    return "\n".join(lines)


@click.command("deviation")
@click.option("--dataset", "dataset", required=True, help="Built dataset folder or Hub dataset repo id.")
@click.option("--demographics", "demographics", default=None, type=click.Path(dir_okay=False),
              help="Demographics table (CSV/TSV/JSON/JSONL), one row per participant.")
@click.option("--norms", "norms_path", default=None, type=click.Path(dir_okay=False),
              help="Instead of --demographics: group norms as a table (CSV, parquet, JSON or JSONL; columns "
                   "attribute, group, family, dimension, score[, score_ci_low, score_ci_high, n_raters]), e.g. "
                   "published norms. With neither, the dataset's own demographics (a build with --demographics).")
@click.option("--stored-norms", is_flag=True,
              help="With neither --demographics nor --norms: compare with the dataset's stored human_group_norms "
                   "config instead of its raters (faster; no permutation p-values, no distribution alignment).")
@click.option("--id-column", default=None, help="Participant id column (default: 'participant_id', "
              "'Participant id', 'PROLIFIC_PID' or 'pid').")
@click.option("--attribute", "attributes", multiple=True, metavar="NAME[=COLUMN]",
              help="Attribute to use (repeatable); NAME=COLUMN renames a column. Default: every non-id column.")
@click.option("--bins", "bins", multiple=True, metavar="NAME=E1,E2,...",
              help="Bin a numeric attribute at these edges, e.g. age=18,30,45,60 (repeatable).")
@click.option("--ratings", "ratings_path", required=True, type=click.Path(),
              help="Model ratings with a persona column: a ratings CSV / JSONL file or a run directory.")
@click.option("--model", "model", default=None, help="Which model of the ratings file (if it holds several).")
@click.option("--persona-map", default=None, type=click.Path(dir_okay=False),
              help="JSON {persona: 'attribute=group'} or CSV persona,attribute,group; not needed when personas "
                   "are labelled 'attribute=group'.")
@click.option("--n-boot", default=1000, show_default=True, type=click.IntRange(0), help="Bootstrap replicates.")
@click.option("--n-perm", default=1000, show_default=True, type=click.IntRange(0), help="Permutations for p-values.")
@click.option("--ci", default=0.95, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--min-raters", default=5, show_default=True, type=click.IntRange(1),
              help="Groups with fewer raters get no statistics (a note says why).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--no-plot", is_flag=True, help="Do not draw the radar charts (no matplotlib needed).")
def deviation(dataset, demographics, norms_path, stored_norms, id_column, attributes, bins, ratings_path, model, persona_map, n_boot, n_perm,
              ci, seed, min_raters, out, force, no_plot):
    """Compare a model's personas with the real demographic groups of the raters.

    The human side is the raters' demographics: from a file (--demographics) or, with neither --demographics
    nor --norms, from a dataset built with `valueportrait build --demographics` (the attribute columns of its
    participants config); group portraits come from the raters themselves (bootstrap CIs over raters,
    permutation p-values of the human gaps, distribution alignment). Alternatively, group norms given as a
    table (--norms) or the dataset's stored human_group_norms config (--stored-norms).
    Writes DIR/{dimensions,agreement,gaps,bias,distributions}.csv, settings.json and, unless --no-plot,
    DIR/radar_<attribute>.png (human group vs model persona, 10 values), and prints the agreement and the
    bias index. Formulas: docs/deviation.md.

    \b
    Example:
      valueportrait deviation --dataset ./valueportrait --demographics prolific_export.csv \\
          --attribute sex=Sex --attribute age=Age --bins age=18,30,45,60 \\
          --ratings runs/gpt-4o-personas --out ./deviation
      valueportrait deviation --dataset ./valueportrait-demographics \\
          --ratings runs/gpt-4o-personas --out ./deviation
    """
    from valueportrait.dataset import open_dataset
    from valueportrait.demographics import demographics_from_dataset, read_demographics
    from valueportrait.deviation import compare_personas, compare_with_norms, read_norms, read_persona_map

    out = Path(out)
    if demographics is not None and norms_path is not None:
        raise InputError("give at most one of --demographics FILE (the raters' demographics) and --norms FILE "
                         "(group norms as a table); with neither, the dataset's human_group_norms config is used")
    if stored_norms and (demographics is not None or norms_path is not None):
        raise InputError("--stored-norms uses the dataset's own human_group_norms config; leave out --demographics "
                         "and --norms with it")
    given = [name for name, v in (("--id-column", id_column), ("--attribute", attributes), ("--bins", bins)) if v]
    if given and demographics is None:
        raise click.UsageError(f"{', '.join(given)} only apply with --demographics FILE (a dataset built with "
                               "demographics carries its attributes, already binned)")
    if out.exists() and not force:
        raise OutputExistsError(f"{str(out)!r} exists; pass --force to replace it or choose another --out")
    if not no_plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError("drawing the radar charts needs matplotlib: pip install 'valueportrait[plot]', "
                             "or pass --no-plot") from None
    attr_map = None
    if attributes:
        attr_map = {}
        for a in attributes:
            name, _, col = a.partition("=")
            attr_map[name.strip()] = (col or name).strip()
    bin_map = {}
    for name, edges in _pairs(bins, "--bins").items():
        try:
            bin_map[name] = [float(e) for e in edges.split(",") if e.strip()]
        except ValueError:
            raise InputError(f"--bins {name}={edges}: edges must be numbers separated by commas") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        demo = (read_demographics(demographics, id_column=id_column, attributes=attr_map, bins=bin_map or None)
                if demographics else None)
        ratings = read_ratings(ratings_path)
        if "model" in ratings.columns and ratings["model"].nunique() > 1:
            if model is None:
                raise InputError(f"{ratings_path} holds several models ({', '.join(ratings['model'].unique())}); "
                                 "choose one with --model")
            all_models = list(ratings["model"].dropna().unique())
            ratings = ratings[ratings["model"] == model]
            if ratings.empty:
                raise InputError(f"no ratings of model {model!r} in {ratings_path}; it holds "
                                 f"{', '.join(all_models)}: choose one of those with --model")
        model_name = model or (str(ratings["model"].iloc[0]) if "model" in ratings.columns and len(ratings)
                               else Path(ratings_path).stem)
        pmap = read_persona_map(persona_map) if persona_map else None
        data = open_dataset(dataset)
        norms_ci = 0.95
        demo_from_dataset = False
        if demo is None and norms_path is None:
            if data.human_group_norms is None or not data.demographic_attributes:
                raise InputError(f"the dataset {dataset!r} has no demographics and no human_group_norms config (it "
                                 "was built without demographics; the public release has none). Pass "
                                 "--demographics FILE or --norms FILE, or rebuild the dataset with `valueportrait "
                                 "build --demographics FILE`.")
            if stored_norms:
                norms_ci = float((data.build_info.get("demographics") or {}).get("norms", {}).get("ci", 0.95))
            else:
                demo, demo_from_dataset = demographics_from_dataset(data), True
        if demo is not None:
            report = compare_personas(data, demo, ratings, persona_map=pmap, n_boot=n_boot, n_perm=n_perm, ci=ci,
                                      seed=seed, min_raters=min_raters)
        else:
            norms = read_norms(norms_path) if norms_path is not None else data.human_group_norms
            report = compare_with_norms(ratings, norms, data.selection(), persona_map=pmap,
                                        items=data.items["item_id"].tolist(), n_boot=n_boot, ci=ci,
                                        norms_ci=norms_ci, seed=seed, min_raters=min_raters)
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, table in report.tables().items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        settings = {**report.settings, "model": model_name, "dataset": str(dataset),
                    "demographics": (f"{dataset} (participants config)" if demo_from_dataset
                                     else demographics and str(demographics)),
                    "norms": str(norms_path) if norms_path else (None if demo is not None
                                                                  else f"{dataset} (human_group_norms config)"),
                    "ratings": str(ratings_path),
                    "attributes": list(dict.fromkeys(report.dimensions["attribute"]))}
        (tmp / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        charts = []
        if not no_plot:
            from valueportrait.deviation.plot import save_radars

            charts = [p.name for p in save_radars(report.dimensions, tmp, model_name=model_name)]
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    click.echo(summary_text(report, model_name))
    click.echo("")
    click.echo(f"Wrote {out}/: {', '.join(f'{n}.csv' for n in TABLE_FILES)}, settings.json"
               + (f", {', '.join(charts)}" if charts else ""))
