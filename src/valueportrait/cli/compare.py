"""``valueportrait compare``: every model against a baseline, with Holm-adjusted p over the 19 dimensions."""

from __future__ import annotations

import click
import pandas as pd

from valueportrait.settings import DEFAULT_LEVEL
from valueportrait.scoring.intervals import CI_UNITS, DEFAULT_CI_OVER


def comparison_text(table: pd.DataFrame, alpha: float) -> str:
    """One block per compared model; ``*`` marks a difference whose Holm-adjusted p is below ``alpha``."""
    blocks = []
    for model, rows in table.groupby("model", sort=False):
        unit = rows["ci_over"].iloc[0]
        lines = [f"{model} - {rows['baseline'].iloc[0]} (CI over {unit}; * = p_adjusted < {alpha:g}, Holm over "
                 f"{int(rows['p_value'].notna().sum())} dimensions)",
                 f"  {'family':10s} {'dimension':20s} {'difference':>10s} {'CI':>17s} {'p':>8s} {'p_adj':>8s}"]
        for r in rows.itertuples():
            mark = "*" if r.p_adjusted < alpha else " "
            ci = f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]" if pd.notna(r.ci_low) else "n/a"
            lines.append(f"{mark} {r.family:10s} {r.dimension:20s} {r.difference:+10.3f} {ci:>17s} "
                         f"{r.p_value:8.4f} {r.p_adjusted:8.4f}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[RATINGS]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@click.option("--dataset", "dataset", required=True, envvar="VALUEPORTRAIT_DATASET", show_envvar=True,
              help="Built dataset folder or Hub dataset repo id (its selection of items is used).")
@click.option("--revision", help="Hub revision (tag, branch, commit) when --dataset is a repo id.")
@click.option("--baseline", required=True, help="The model every other model is compared with.")
@click.option("--ci-over", "ci_over", type=click.Choice(list(CI_UNITS)), default=DEFAULT_CI_OVER,
              show_default=True,
              help="What the interval and p are over: prompt variants (these items fixed), items, or both.")
@click.option("--confidence", type=float, default=DEFAULT_LEVEL, show_default=True,
              help="Level of the intervals; a difference is marked when p_adjusted < 1 - confidence.")
@click.option("--parse", "parse", type=click.Choice(["valueportrait", "upstream"]), default="valueportrait",
              show_default=True, help="Re-parse raw answers with parse_likert, or keep upstream's numeric_response.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the comparisons to this JSON file.")
def compare(ratings_paths, upstream_outputs, dataset, revision, baseline, ci_over, confidence, parse, json_path):
    """Compare every model's portrait with a baseline model's, per dimension.

    RATINGS as for `valueportrait score` (run directories, ratings files) and/or --upstream-outputs. Each
    difference has its CI and two-sided p (Welch t over prompt variants, or a jackknife t over items), and
    p_adjusted controls the family-wise error over the 19 dimensions of one comparison (Holm).

    \b
    Example:
      valueportrait compare --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --baseline gpt-4o-2024-11-20 --json comparisons.json
    """
    from valueportrait.dataset import open_dataset
    from valueportrait.errors import InputError
    from valueportrait.io import atomic_write_json
    from valueportrait.ratings import read_ratings
    from valueportrait.ratings.upstream import read_upstream_outputs
    from valueportrait.scoring import COMPARISON_COLUMNS, compare_models

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (RATINGS ...) and/or --upstream-outputs DIR")
    if not 0 < confidence < 1:
        raise InputError(f"--confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    data = open_dataset(dataset, revision=revision)
    frames = [read_upstream_outputs(upstream_outputs, parse=parse)] if upstream_outputs else []
    ratings = pd.concat(frames + [read_ratings(p) for p in ratings_paths], ignore_index=True)
    table = compare_models(ratings, data.selection(), baseline, ci_over=ci_over, confidence=confidence)
    click.echo(comparison_text(table, 1 - confidence))
    if json_path:
        atomic_write_json(json_path, {"ci_over": ci_over, "confidence": confidence, "adjustment": "holm",
                                      "comparisons": table[COMPARISON_COLUMNS].to_dict(orient="records")})
        click.echo(f"Wrote {json_path}")
