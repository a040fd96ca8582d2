"""``valueportrait score`` and ``valueportrait plot``: thin shells over scoring, report and plot."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from valueportrait.cli.options import dataset_options, intervals_options, out_options, selection_options
from valueportrait.errors import InputError


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@dataset_options(envvar=True, required=False, ref=True,
                 help="Built dataset folder or Hub dataset repo id (its selection of items is used). Default: the "
                      "dataset the run directories were run on (their manifest.json).")
@out_options(required=False, help="Write <model>_scores.json (upstream's schema) and leaderboard.csv/.json/.md here.",
             overwrite_help="Replace a previous leaderboard and score files in --out.")
@selection_options(scoring=True)
@click.option("--parse", "parse", type=click.Choice(["valueportrait", "upstream"]), default="valueportrait", show_default=True,
              help="Re-parse raw answers with parse_likert, or keep upstream's numeric_response.")
@intervals_options(what=" of the human row's interval over raters")
@click.option("--humans/--no-humans", default=True, show_default=True, help="Add the 'human raters' row.")
@click.option("--reference/--no-reference", default=True, show_default=True,
              help="Print each model's percentile among the released models (the dataset's reference_portraits "
                   "config, when it has one and the scores use the build's selection).")
def score(ratings_paths, upstream_outputs, dataset, out, overwrite, selection, parse, intervals, humans, reference):
    """Score model ratings into value portraits and print a leaderboard.

    Reads ratings (PATH ...: run directories written by `valueportrait run`, or ratings files .csv / .jsonl /
    .json with the columns model, item_id, variant, persona, rating) and/or upstream's output layout
    (--upstream-outputs), averages each item's ratings over prompt variants, scores every model with the
    dataset's item selection, adds the human raters, and prints how much of the benchmark each model's ratings
    cover, the leaderboard (each score with its interval; unreliable portraits marked), the reliability,
    the prompt sensitivity and, when the dataset holds the released models (reference_portraits), each model's
    percentile among them. Each persona of a model is its own portrait, "MODEL [PERSONA]". A model none of
    whose answers gave a rating is an error; so is a request rated twice (see --duplicates).

    \b
    Example:
      valueportrait score runs/gpt-4o-mini
      valueportrait score --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --out ./scores
      valueportrait score runs/gpt-4o runs/llama --dataset ORG/valueportrait --revision v1.1.0
      valueportrait score my_ratings.csv --dataset ./valueportrait --ci-over items
    """
    from valueportrait.pipelines import LEADERBOARD_FILES, score_leaderboard
    from valueportrait.report import reliability_text, sensitivity_text
    from valueportrait.settings import UpstreamOutputs

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (PATH ...) and/or --upstream-outputs DIR")
    sources = [UpstreamOutputs(upstream_outputs, parse)] if upstream_outputs else []
    board = score_leaderboard([*sources, *ratings_paths], dataset=dataset, selection=selection, intervals=intervals,
                              humans=humans, out_dir=out, overwrite=overwrite, progress=True)
    echo_board(board)
    if board.reliability:
        click.echo(reliability_text(board.reliability))
    if board.sensitivity is not None:
        click.echo("Prompt sensitivity (share of items whose rating changes):")
        click.echo(sensitivity_text(board.sensitivity))
    if reference:
        _echo_reference(board)
    if out:
        click.echo(f"Wrote {len(board.models)} score file(s) and {', '.join(LEADERBOARD_FILES)} to {out}")


def _echo_reference(board) -> None:
    """Each scored model's percentile among the dataset's released models (a line saying why not, else)."""
    from valueportrait.reference import reference_percentiles, reference_text

    if board.reference is None:
        click.echo("Reference: none (the dataset has no reference_portraits, or the scores use another selection "
                   "than the build's).")
        return
    click.echo("Percentile among the released models (the dataset's reference_portraits, same selection):")
    click.echo(reference_text(reference_percentiles({m: board.portraits[m] for m in board.models},
                                                    board.reference)) + "\n")


def echo_board(board, *, table: bool = True) -> None:
    """Print what was parsed, the missing ratings, the coverage (and a warning per partial portrait) and
    (``table``) the leaderboard."""
    from valueportrait.coverage import coverage_lines

    if board.parse_summary is not None:
        click.echo("Parsed answers (unparseable ones are left out of the averages):")
        click.echo(board.parse_summary.to_string() + "\n")
    _echo_missing(board.ratings)
    if board.duplicates_removed:
        policy = board.meta.get("duplicates")
        how = "kept the first rating of each" if policy == "first" else "averaged them"
        click.echo(f"Duplicates: {board.duplicates_removed:,} rating(s) repeated a request already rated; {how} "
                   f"(--duplicates {policy})\n")
    lines, warnings = coverage_lines(board.coverage)
    click.echo("Coverage:\n  " + "\n  ".join(lines) + "\n")
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    if table:
        click.echo(board.text())


def _echo_missing(ratings: pd.DataFrame) -> None:
    """Print how many ratings are missing (unparseable answers, failed requests) per model, if any."""
    from valueportrait.ratings.contract import missing_counts

    counts = missing_counts(ratings)
    total = int(ratings["rating"].isna().sum())
    click.echo(f"Missing or failed ratings: {total} of {len(ratings)} (left out of the averages)"
               + "".join(f"\n  {m}: {r.missing} of {r.ratings}" for m, r in counts.iterrows()) + "\n")


@click.command(context_settings={"max_content_width": 100})
@click.argument("scores", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Chart file: .png, .svg or .pdf.")
@click.option("--kind", type=click.Choice(["auto", "radar", "heatmap", "multiples"]), default="auto",
              show_default=True, help="radar: portraits overlaid; multiples: one panel each on one scale; heatmap: "
                                      "models x dimensions; auto: radar up to 8 portraits, heatmap above.")
@click.option("--family", default=None, metavar="FAMILY",
              help="The family to draw: pvq (default), higher_pvq or bfi; a survey build's own family keys.")
@click.option("--models", help="Comma-separated names to draw, in that order (default: all).")
@click.option("--title", help="Chart title.")
@click.option("--limit", type=float, help="Radial half-range, or the heatmap's colour range (default: fitted).")
@click.option("--order-by", help="Heatmap: order the rows by this dimension (default: clustering).")
@dataset_options(envvar=True, required=False, ref=True,
                 help="Dataset to score run directories with (default: the one each run was run on).")
@click.option("--overwrite", is_flag=True, help="Replace an --out chart an earlier plot wrote.")
def plot(scores, out_path, kind, family, models, title, limit, order_by, dataset, overwrite):
    """Draw value portraits as a paper-style figure: radar chart, small multiples or heatmap.

    SCORES are run directories written by `valueportrait run` (scored first, with the human raters beside
    them), the --out folder of `valueportrait score` or its leaderboard.json, or <model>_scores.json files
    (upstream's published score files work too). Every chart of a figure has one radial scale (named in the
    caption); intervals are drawn as whiskers; unreliable and partial portraits are dashed, faded and labelled;
    a model has the same colour in every figure.

    \b
    Example:
      valueportrait plot runs/gpt-4o-mini --out portrait.png
      valueportrait plot scores/leaderboard.json --out portrait.png
      valueportrait plot scores --kind heatmap --out heatmap.png
      valueportrait plot scores --models "gpt-4o-2024-11-20,human raters" --family bfi --out gpt4o.svg
    """
    from valueportrait.board import merge_boards, read_leaderboard
    from valueportrait.outputs import check_output
    from valueportrait.plot import portrait_figure
    from valueportrait.ratings.runs import run_dirs
    from valueportrait.staging import output_file

    rule = {"overwrite": overwrite, "command": "plot", "inputs": [*scores, getattr(dataset, "name", None)]}
    check_output(out_path, folder=False, **rule)  # before any work
    if Path(out_path).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError(f"--out {out_path}: the chart is written as .png, .svg or .pdf; got suffix "
                         f"{Path(out_path).suffix!r}")
    runs = run_dirs(scores)
    boards = []
    if runs:
        from valueportrait.pipelines import score_leaderboard

        scored = score_leaderboard(runs, dataset=dataset)
        echo_board(scored, table=False)
        boards.append(scored.board())
    boards += [read_leaderboard(s, upstream_scores=True) for s in scores if Path(s) not in runs]
    board = merge_boards(boards)
    wanted = [m.strip() for m in models.split(",") if m.strip()] if models else None
    if wanted:
        unknown = [m for m in wanted if m not in board["models"]]
        if unknown:
            raise InputError(f"--models {unknown} not in the scores; found {list(board['models'])}")
    with output_file(out_path, **rule) as tmp:
        portrait_figure(board, tmp, kind=kind, family=family, models=wanted, title=title, limit=limit,
                        order_by=order_by)
    click.echo(f"Wrote {Path(out_path)}")
