"""``valueportrait cohort``: a thin shell over :func:`valueportrait.pipelines.cohort.run_cohort`."""

from __future__ import annotations

import click

from valueportrait.cli.options import dataset_options, intervals_options, out_options, selection_options


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@dataset_options(envvar=True, required=False, ref=True,
                 help="Built dataset folder or Hub dataset repo id. Default: the dataset the run directories were "
                      "run on.")
@selection_options(scoring=True)
@intervals_options(what=" of every interval")
@click.option("--groups", "groups", type=click.Path(exists=True, dir_okay=False),
              help="Table model -> attributes (CSV/TSV/JSON/JSONL with a `model` column) for a group contrast.")
@click.option("--by", "by", help="The --groups column to contrast (two values, e.g. open_weights).")
@click.option("--values", "values", metavar="A,B", help="The two values of --by to contrast (A minus B); models with "
                                                          "other values are left out.")
@click.option("--split", "split", type=float, metavar="X",
              help="--by is numeric (e.g. parameters_billion): models above X minus those at or below it; models "
                   "with no value are left out and counted.")
@click.option("--cluster", "cluster", help="A --groups column whose clusters are resampled (e.g. provider).")
@click.option("--focus", "focus", metavar="MODEL", help="Show where this model stands among the others.")
@click.option("--diversity/--no-diversity", default=True, show_default=True,
              help="The models' spread of true portraits against the human raters'.")
@out_options(required=False, help="Write cohort.json, cohort.csv and cohort.md here.",
             overwrite_help="Replace a previous cohort output in --out.")
def cohort(ratings_paths, upstream_outputs, dataset, selection, intervals, groups, by, values, split, cluster, focus,
           diversity, out, overwrite):
    """The paper's cohort findings for a set of models: what they favour as a group, against the human raters.

    Scores every model (as `valueportrait score`), then per dimension the cohort mean (each model weight 1) with
    an interval over models and one over items and models, the human raters' score on the same items, the cohort
    minus the humans (Holm over the 19 dimensions), and the diversity of the models' true portraits against the
    humans' on the same items (noise removed). --groups/--by adds a contrast between two groups of models (--split
    for a numeric column); --focus one model's standing. Needs at least 3 models. A leaderboard.json of `valueportrait
    score --out` (alone) gives what its scores support: means, humans, contrasts, focus.

    \b
    Example:
      valueportrait cohort --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final --dataset ./valueportrait
      valueportrait cohort runs/* --groups models.csv --by open_weights --values yes,no --cluster provider \\
          --out cohort/
      valueportrait cohort runs/* --focus my-model
      valueportrait cohort scores/leaderboard.json --groups models.csv --by parameters_billion --split 50
    """
    from valueportrait.analysis.tables import cohort_text
    from valueportrait.pipelines.cohort import COHORT_FILES, Contrast, run_cohort, write_cohort
    from valueportrait.settings import UpstreamOutputs

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (PATH ...) and/or --upstream-outputs DIR")
    if (groups is None) != (by is None) or ((cluster or values or split is not None) and not groups):
        raise click.UsageError("--groups FILE and --by COLUMN go together (--values, --split and --cluster need them "
                               "too)")
    if values and split is not None:
        raise click.UsageError("--values names two values of a column, --split cuts a numeric one: give one of them")
    pair = tuple(v.strip() for v in values.split(",")) if values else None
    if pair is not None and len(pair) != 2:
        raise click.UsageError(f"--values takes two values, A,B; got {values!r}")
    if out:
        from valueportrait.outputs import check_output

        check_output(out, overwrite=overwrite, command="cohort", inputs=[*ratings_paths, upstream_outputs, groups])
    sources = [UpstreamOutputs(upstream_outputs)] if upstream_outputs else []
    result = run_cohort([*sources, *ratings_paths], dataset=dataset, selection=selection, intervals=intervals,
                        contrast=Contrast(groups, by, cluster, pair, split) if groups else None, focus=focus, diversity=diversity,
                        progress=True)
    click.echo(cohort_text(result))
    if out:
        write_cohort(result, out, overwrite=overwrite, inputs=[*ratings_paths, upstream_outputs, groups])
        click.echo(f"Wrote {', '.join(COHORT_FILES)} to {out}")
