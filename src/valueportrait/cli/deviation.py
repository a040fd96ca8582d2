"""``valueportrait deviation``: compare a model's personas with real demographic groups."""

from __future__ import annotations

import warnings

import click
import pandas as pd

from valueportrait.cli.options import (LEVEL, bootstrap_options, dataset_options, demographics_options, out_options,
                                       require_demographics)
from valueportrait.config import DEFAULT_CONFIDENCE, DEFAULT_N_PERM, DeviationConfig


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
@dataset_options()
@click.option("--demographics", "demographics", default=None, type=click.Path(dir_okay=False),
              help="Demographics table (CSV/TSV/JSON/JSONL), one row per participant.")
@click.option("--norms", "norms_path", default=None, type=click.Path(dir_okay=False),
              help="Instead of --demographics: group norms as a table (CSV, parquet, JSON or JSONL; columns "
                   "attribute, group, family, dimension, score[, score_ci_low, score_ci_high, n_raters]), e.g. "
                   "published norms. With neither, the dataset's own demographics (a build with --demographics).")
@click.option("--stored-norms", is_flag=True,
              help="With neither --demographics nor --norms: compare with the dataset's stored human_group_norms "
                   "config instead of its raters (faster; no permutation p-values, no distribution alignment).")
@demographics_options(prefix="With --demographics: ")
@click.option("--ratings", "ratings_path", required=True, type=click.Path(),
              help="Model ratings with a persona column: a ratings CSV / JSONL file or a run directory.")
@click.option("--model", "model", default=None, help="Which model of the ratings file (if it holds several).")
@click.option("--persona-map", default=None, type=click.Path(dir_okay=False),
              help="JSON {persona: 'attribute=group'} or CSV persona,attribute,group; not needed when personas "
                   "are labelled 'attribute=group'.")
@bootstrap_options()
@click.option("--n-perm", default=DEFAULT_N_PERM, show_default=True, type=click.IntRange(0),
              help="Permutations for p-values.")
@click.option("--norms-confidence", default=DEFAULT_CONFIDENCE, show_default=True, type=LEVEL,
              help="Level of the CI columns of a --norms table.")
@click.option("--min-raters", default=None, type=click.IntRange(1),
              help="Groups with fewer raters get no statistics (a note says why). Default: the build's, 5.")
@out_options(required=True, help="Output folder.", overwrite_help="Replace --out if it exists.", force_alias=True)
@click.option("--no-plot", is_flag=True, help="Do not draw the radar charts (no matplotlib needed).")
def deviation(dataset, revision, demographics, norms_path, stored_norms, demographics_columns, ratings_path, model,
              persona_map, bootstrap, n_perm, norms_confidence, min_raters, out, overwrite, no_plot):
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
    from valueportrait.pipelines import run_deviation

    require_demographics(demographics_columns, demographics,
                         " (a dataset built with demographics carries its attributes, already binned)")
    settings = DeviationConfig(n_perm=n_perm, min_raters=min_raters, norms_confidence=norms_confidence,
                               human="norms" if stored_norms else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = run_deviation(ratings_path, dataset=dataset, revision=revision, out_dir=out, model=model,
                             persona_map=persona_map, demographics=demographics,
                             id_column=demographics_columns["id_column"],
                             attributes=demographics_columns["attributes"], bins=demographics_columns["bins"],
                             norms=norms_path, bootstrap=bootstrap, deviation=settings, plot=not no_plot,
                             overwrite=overwrite)
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)
    click.echo(summary_text(done.report, done.model))
    click.echo("")
    click.echo(f"Wrote {done.out_dir}/: {', '.join(done.written)}")
