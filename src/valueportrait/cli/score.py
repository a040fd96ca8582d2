"""``valueportrait score`` and ``valueportrait plot``: thin shells over scoring, report and plot."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from valueportrait.cli.options import (bootstrap_options, ci_over_option, dataset_options, duplicates_option,
                                       out_options, selection_options)
from valueportrait.errors import InputError


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@dataset_options(envvar=True, required=False,
                 help="Built dataset folder or Hub dataset repo id (its selection of items is used). Default: the "
                      "dataset the run directories were run on (their manifest.json).")
@out_options(required=False, help="Write <model>_scores.json (upstream's schema) and leaderboard.csv/.json/.md here.",
             overwrite_help="Replace a previous leaderboard and score files in --out.")
@selection_options()
@click.option("--center/--no-center", default=True, show_default=True, help="Subtract the family mean (scale-use correction).")
@click.option("--min-items", type=int, default=1, show_default=True, help="Null score for dimensions with fewer rated items.")
@click.option("--parse", "parse", type=click.Choice(["valueportrait", "upstream"]), default="valueportrait", show_default=True,
              help="Re-parse raw answers with parse_likert, or keep upstream's numeric_response.")
@ci_over_option()
@bootstrap_options(what=" of the human row's interval over raters")
@click.option("--humans/--no-humans", default=True, show_default=True, help="Add the 'human raters' row.")
@duplicates_option()
def score(ratings_paths, upstream_outputs, dataset, revision, out, overwrite, selection, center, min_items, parse,
          ci_over, bootstrap, humans, duplicates):
    """Score model ratings into value portraits and print a leaderboard.

    Reads ratings (PATH ...: run directories written by `valueportrait run`, or ratings files .csv / .jsonl /
    .json with the columns model, item_id, variant, persona, rating) and/or upstream's output layout
    (--upstream-outputs), averages each item's ratings over prompt variants, scores every model with the
    dataset's item selection, adds the human raters, and prints how much of the benchmark each model's ratings
    cover, the leaderboard (each score with its interval; unreliable portraits marked), the reliability and
    the prompt sensitivity. Each persona of a model is its own portrait, "MODEL [PERSONA]". A model none of
    whose answers gave a rating is an error; so is a request rated twice (see --duplicates).

    \b
    Example:
      valueportrait score runs/gpt-4o-mini
      valueportrait score --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --out ./scores
      valueportrait score runs/gpt-4o runs/llama --dataset ORG/valueportrait --revision v1.0.0
      valueportrait score my_ratings.csv --dataset ./valueportrait --ci-over items
    """
    from valueportrait.pipelines import LEADERBOARD_FILES, score_leaderboard
    from valueportrait.report import reliability_text, sensitivity_text

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (PATH ...) and/or --upstream-outputs DIR")
    board = score_leaderboard(ratings_paths, upstream_outputs=upstream_outputs, dataset=dataset, revision=revision,
                              selection=selection, bootstrap=bootstrap, ci_over=ci_over, center=center,
                              min_items=min_items, humans=humans, parse=parse, out_dir=out, overwrite=overwrite,
                              progress=True, duplicates=duplicates)
    echo_board(board)
    if board.reliability:
        click.echo(reliability_text(board.reliability))
    if board.sensitivity is not None:
        click.echo("Prompt sensitivity (share of items whose rating changes):")
        click.echo(sensitivity_text(board.sensitivity))
    if out:
        click.echo(f"Wrote {len(board.models)} score file(s) and {', '.join(LEADERBOARD_FILES)} to {out}")


def echo_board(board, *, table: bool = True) -> None:
    """Print what was parsed, the missing ratings, the coverage (and a warning per partial portrait) and
    (``table``) the leaderboard."""
    from valueportrait.coverage import coverage_lines

    if board.parse_summary is not None:
        click.echo("Parsed answers (unparseable ones are left out of the averages):")
        click.echo(board.parse_summary.to_string() + "\n")
    _echo_missing(board.ratings)
    if board.duplicates_removed:
        how = "kept the first rating of each" if board.duplicates == "first" else "averaged them"
        click.echo(f"Duplicates: {board.duplicates_removed:,} rating(s) repeated a request already rated; {how} "
                   f"(--duplicates {board.duplicates})\n")
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


def _read_portraits(path: Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """(portraits, reliability) of a leaderboard.json (or a folder holding one) or a <model>_scores.json."""
    if path.is_dir():
        path = path / "leaderboard.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc}); expected a run directory, a leaderboard.json "
                         "(or the --out folder holding it) or a <model>_scores.json written by "
                         "`valueportrait score --out`") from None
    if isinstance(data, dict) and "models" in data:  # leaderboard.json
        return ({m: pd.DataFrame([{"family": f, "dimension": d, "score": c["score"]} for f, dims in fams.items()
                                  for d, c in dims.items()]) for m, fams in data["models"].items()},
                data.get("reliability") or {})
    if isinstance(data, dict) and "scores" in data:  # upstream's <model>_scores.json
        name = data.get("meta", {}).get("model_name", path.stem.removesuffix("_scores"))
        return {name: pd.DataFrame([{"family": f, "dimension": d, "score": c["centered_mean"]}
                                    for f, dims in data["scores"].items() for d, c in dims.items()])}, {}
    raise InputError(f"{path}: expected a leaderboard.json (key 'models') or a <model>_scores.json (key 'scores')")


@click.command(context_settings={"max_content_width": 100})
@click.argument("scores", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Chart file: .png, .svg or .pdf.")
@click.option("--family", type=click.Choice(["pvq", "higher_pvq", "bfi"]), default="pvq", show_default=True)
@click.option("--models", help="Comma-separated names to draw (default: all).")
@click.option("--title", help="Chart title.")
@click.option("--limit", type=float, help="Radial half-range (default: fitted to the scores).")
@dataset_options(envvar=True, required=False,
                 help="Dataset to score run directories with (default: the one each run was run on).")
def plot(scores, out_path, family, models, title, limit, dataset, revision):
    """Draw a paper-style radar chart of value portraits.

    SCORES are run directories written by `valueportrait run` (scored first, with the human raters beside
    them), the --out folder of `valueportrait score` or its leaderboard.json, or <model>_scores.json files
    (upstream's published score files work too). Unreliable portraits are marked in the legend.

    \b
    Example:
      valueportrait plot runs/gpt-4o-mini --out portrait.png
      valueportrait plot scores/leaderboard.json --out portrait.png
      valueportrait plot scores --models "gpt-4o-2024-11-20,human raters" --family bfi --out gpt4o.svg
    """
    from valueportrait.plot import radar_chart
    from valueportrait.ratings.runs import run_dirs
    from valueportrait.report import unreliable_models

    runs = run_dirs(scores)
    portraits: dict[str, pd.DataFrame] = {}
    reliability: dict = {}
    if runs:
        from valueportrait.pipelines import score_leaderboard

        board = score_leaderboard(runs, dataset=dataset, revision=revision)
        echo_board(board, table=False)
        portraits.update(board.portraits)
        reliability.update(board.reliability)
    for s in scores:
        if Path(s) not in runs:
            got, rel = _read_portraits(Path(s))
            portraits.update(got)
            reliability.update(rel)
    if models:
        wanted = [m.strip() for m in models.split(",") if m.strip()]
        unknown = [m for m in wanted if m not in portraits]
        if unknown:
            raise InputError(f"--models {unknown} not in the scores; found {list(portraits)}")
        portraits = {m: portraits[m] for m in wanted}
    path = radar_chart(portraits, out_path, family=family, title=title, limit=limit,
                       unreliable=list(unreliable_models(reliability)))
    click.echo(f"Wrote {path}")
