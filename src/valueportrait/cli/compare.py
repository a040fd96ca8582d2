"""``valueportrait compare``: every portrait against a baseline (a model or the human raters), Holm-adjusted."""

from __future__ import annotations

import json

import click

from valueportrait.cli.options import LEVEL, dataset_options, selection_options
from valueportrait.scoring.intervals import CI_UNITS, DEFAULT_CI_OVER
from valueportrait.settings import DEFAULT_LEVEL


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[RATINGS]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@dataset_options(envvar=True, required=False, ref=True,
                 help="Built dataset folder or Hub dataset repo id (its selection of items is used). Default: the "
                      "dataset the run directories were run on (their manifest.json).")
@selection_options(scoring=True)
@click.option("--baseline", required=True,
              help="The portrait every other one is compared with: a model, 'MODEL [PERSONA]', or 'human raters' "
                   "(with --ci-over items).")
@click.option("--ci-over", "ci_over", type=click.Choice(list(CI_UNITS)), default=DEFAULT_CI_OVER,
              show_default=True,
              help="What the interval and p are over: prompt variants (these items fixed), items, or both. Against "
                   "the human raters: items.")
@click.option("--adjust", type=click.Choice(["comparison", "leaderboard"]), default="comparison", show_default=True,
              help="Holm's adjustment over each comparison's 19 dimensions, or over every model x dimension test "
                   "of the call (no false finding anywhere on the leaderboard, at level 1 - confidence).")
@click.option("--confidence", type=LEVEL, default=DEFAULT_LEVEL, show_default=True,
              help="Level of the intervals; a difference is marked when p_adjusted < 1 - confidence.")
@click.option("--parse", "parse", type=click.Choice(["valueportrait", "upstream"]), default="valueportrait",
              show_default=True, help="Re-parse raw answers with parse_likert, or keep upstream's numeric_response.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the comparisons to this JSON file.")
@click.option("--overwrite", is_flag=True, help="Replace a --json file an earlier compare wrote.")
def compare(ratings_paths, upstream_outputs, dataset, selection, baseline, ci_over, adjust, confidence, parse,
            json_path, overwrite):
    """Compare every portrait with a baseline's, per dimension.

    RATINGS as for `valueportrait score` (run directories, ratings files; read and checked the same way, each
    persona its own portrait) and/or --upstream-outputs. Each difference has its CI and two-sided p (Welch t
    over prompt variants, or a jackknife t over items); p_adjusted is Holm's over the 19 dimensions of each
    comparison, or over every test of the call with --adjust leaderboard.

    \b
    Example:
      valueportrait compare --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --baseline gpt-4o-2024-11-20 --json comparisons.json
      valueportrait compare --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --baseline "human raters" --ci-over items --adjust leaderboard
    """
    from valueportrait.comparisons import compare_leaderboard
    from valueportrait.io import json_safe
    from valueportrait.outputs import GENERATOR, check_output
    from valueportrait.settings import Intervals, UpstreamOutputs
    from valueportrait.staging import output_file

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (RATINGS ...) and/or --upstream-outputs DIR")
    rule = {"overwrite": overwrite, "command": "compare", "option": "--json",
            "inputs": [*ratings_paths, upstream_outputs, getattr(dataset, "name", None)]}
    if json_path:
        check_output(json_path, folder=False, **rule)  # before any work
    sources = [UpstreamOutputs(upstream_outputs, parse)] if upstream_outputs else []
    result = compare_leaderboard([*sources, *ratings_paths], baseline=baseline, dataset=dataset, selection=selection,
                                 intervals=Intervals(over=ci_over, level=confidence), adjust=adjust)
    if result.duplicates_removed:
        click.echo(f"Duplicates: {result.duplicates_removed:,} rating(s) repeated a request already rated "
                   f"(--duplicates {selection.duplicates})\n")
    click.echo(result.text())
    if json_path:
        with output_file(json_path, **rule) as tmp:  # the generator mark lets a later --overwrite replace it
            tmp.write_text(json.dumps(json_safe({"generator": GENERATOR, **result.record()}), indent=2,
                                      ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        click.echo(f"Wrote {json_path}")
