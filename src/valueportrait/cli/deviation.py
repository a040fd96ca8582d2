"""``valueportrait deviation``: compare a model's personas with real demographic groups."""

from __future__ import annotations

import warnings

import click
import pandas as pd

from valueportrait.cli.options import dataset_options, deviation_options, intervals_options, out_options
from valueportrait.texttable import number


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
            line += f"{number(v['pearson']):>9}{number(v['spearman']):>7}{number(v['rmse']):>7}  " \
                    f"{number(t['pearson']):>9}{number(t['spearman']):>7}{number(t['rmse']):>7}"
        lines.append(line)
    lines += ["", "Bias index = mean |model gap - human gap| over group pairs x dimensions (0 = the model's persona "
              "differences match the real ones)",
              "null = its mean for an unbiased model (sampling noise alone); excess = index - null, with a CI that "
              "covers 0",
              "for about 95% of unbiased models; p = the index's p-value under that null",
              f"{'attribute':<14}{'family':<8}{'pairs':>6}{'bias index':>12}{'null':>7}{'excess':>8}  {'CI':<17}"
              f"{'p':>6}{'sign agr.':>11}{'exaggeration':>14}"]
    for row in report.bias.itertuples(index=False):
        if pd.notna(row.note):
            lines.append(f"{row.attribute:<14}{row.family:<8}{int(row.n_pairs):>6}  {row.note}")
        else:
            ci = f"[{number(row.bias_excess_ci_low, '.3f')}, {number(row.bias_excess_ci_high, '.3f')}]"
            lines.append(f"{row.attribute:<14}{row.family:<8}{int(row.n_pairs):>6}{number(row.bias_index, '.3f'):>12}"
                         f"{number(row.bias_null, '.3f'):>7}{number(row.bias_excess, '.3f'):>8}  {ci:<17}"
                         f"{number(row.bias_p, '.3f'):>6}{number(row.sign_agreement):>11}"
                         f"{number(row.exaggeration):>14}")
    flat = report.settings.get("zero_width") or {}
    if flat:
        counts = ", ".join(f"{c['zero_width']} of {c['of']} {name[:-3].replace('_', ' ')}" for name, c in flat.items()
                           if name != "notes")
        lines += ["", f"Note: zero-width intervals (a side without uncertainty): {counts}; the rows' note says why:"]
        lines += [f"  {note}" for note in flat.get("notes", [])]
    return "\n".join(lines)


@click.command("deviation")
@dataset_options(ref=True)
@deviation_options()
@click.option("--ratings", "ratings_path", required=True, type=click.Path(),
              help="Model ratings with a persona column: a ratings CSV / JSONL file or a run directory.")
@click.option("--model", "model", default=None, help="Which model of the ratings file (if it holds several).")
@intervals_options(over="items")
@out_options(required=True, help="Output folder.", overwrite_help="Replace --out if it exists.", force_alias=True)
def deviation(dataset, deviation, ratings_path, model, intervals, out, overwrite):
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

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = run_deviation(ratings_path, dataset=dataset, out_dir=out, model=model, intervals=intervals,
                             deviation=deviation, overwrite=overwrite)
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)
    click.echo(summary_text(done.report, done.model))
    click.echo("")
    click.echo(f"Wrote {done.out_dir}/: {', '.join(done.written)}")
