"""``valueportrait score`` and ``valueportrait plot``: thin shells over scoring, report and plot."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from valueportrait.cli.options import bootstrap_options, dataset_options, out_options, selection_options
from valueportrait.errors import InputError


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@dataset_options(envvar=True, help="Built dataset folder or Hub dataset repo id (its selection of items is used).")
@out_options(required=False, help="Write <model>_scores.json (upstream's schema) and leaderboard.csv/.json/.md here.",
             overwrite_help="Replace a previous leaderboard and score files in --out.")
@selection_options()
@click.option("--center/--no-center", default=True, show_default=True, help="Subtract the family mean (scale-use correction).")
@click.option("--min-items", type=int, default=1, show_default=True, help="Null score for dimensions with fewer rated items.")
@click.option("--parse", "parse", type=click.Choice(["valueportrait", "upstream"]), default="valueportrait", show_default=True,
              help="Re-parse raw answers with parse_likert, or keep upstream's numeric_response.")
@bootstrap_options(what=" for the CIs (over items; over raters for the human row)")
@click.option("--humans/--no-humans", default=True, show_default=True, help="Add the 'human raters' row.")
def score(ratings_paths, upstream_outputs, dataset, revision, out, overwrite, selection, center, min_items, parse,
          bootstrap, humans):
    """Score model ratings into value portraits and print a leaderboard.

    Reads ratings (PATH ...: run directories written by `valueportrait run`, or ratings files .csv / .jsonl /
    .json with the columns model, item_id, variant, persona, rating) and/or upstream's output layout
    (--upstream-outputs), averages each item's ratings over prompt variants, scores every model with the
    dataset's item selection, adds the human raters, prints the leaderboard and prompt sensitivity.

    \b
    Example:
      valueportrait score --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --out ./scores
      valueportrait score runs/gpt-4o runs/llama --dataset ORG/valueportrait --revision v1.0.0
      valueportrait score my_ratings.csv --dataset ./valueportrait
    """
    from valueportrait.pipelines import LEADERBOARD_FILES, score_leaderboard
    from valueportrait.report import sensitivity_text

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (PATH ...) and/or --upstream-outputs DIR")
    board = score_leaderboard(ratings_paths, upstream_outputs=upstream_outputs, dataset=dataset, revision=revision,
                              selection=selection, bootstrap=bootstrap, center=center, min_items=min_items,
                              humans=humans, parse=parse, out_dir=out, overwrite=overwrite, progress=True)
    if board.parse_summary is not None:
        click.echo("Parsed answers (unparseable ones are left out of the averages):")
        click.echo(board.parse_summary.to_string() + "\n")
    click.echo(board.text())
    if board.sensitivity is not None:
        click.echo("Prompt sensitivity (share of items whose rating changes):")
        click.echo(sensitivity_text(board.sensitivity))
    if out:
        click.echo(f"Wrote {len(board.models)} score file(s) and {', '.join(LEADERBOARD_FILES)} to {out}")


def _read_portraits(path: Path) -> dict[str, pd.DataFrame]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc}); expected a leaderboard.json or a "
                         "<model>_scores.json written by `valueportrait score --out`") from None
    if isinstance(data, dict) and "models" in data:  # leaderboard.json
        return {m: pd.DataFrame([{"family": f, "dimension": d, "score": c["score"]} for f, dims in fams.items()
                                 for d, c in dims.items()]) for m, fams in data["models"].items()}
    if isinstance(data, dict) and "scores" in data:  # upstream's <model>_scores.json
        name = data.get("meta", {}).get("model_name", path.stem.removesuffix("_scores"))
        return {name: pd.DataFrame([{"family": f, "dimension": d, "score": c["centered_mean"]}
                                    for f, dims in data["scores"].items() for d, c in dims.items()])}
    raise InputError(f"{path}: expected a leaderboard.json (key 'models') or a <model>_scores.json (key 'scores')")


@click.command(context_settings={"max_content_width": 100})
@click.argument("scores", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Chart file: .png, .svg or .pdf.")
@click.option("--family", type=click.Choice(["pvq", "higher_pvq", "bfi"]), default="pvq", show_default=True)
@click.option("--models", help="Comma-separated names to draw (default: all).")
@click.option("--title", help="Chart title.")
@click.option("--limit", type=float, help="Radial half-range (default: fitted to the scores).")
def plot(scores, out_path, family, models, title, limit):
    """Draw a paper-style radar chart of value portraits.

    SCORES are leaderboard.json files or <model>_scores.json files written by `valueportrait score`
    (upstream's published score files work too).

    \b
    Example:
      valueportrait plot scores/leaderboard.json --out portrait.png
      valueportrait plot scores/leaderboard.json --models "gpt-4o-2024-11-20,human raters" --out gpt4o.svg
    """
    from valueportrait.plot import radar_chart

    portraits: dict[str, pd.DataFrame] = {}
    for s in scores:
        portraits.update(_read_portraits(Path(s)))
    if models:
        wanted = [m.strip() for m in models.split(",") if m.strip()]
        unknown = [m for m in wanted if m not in portraits]
        if unknown:
            raise InputError(f"--models {unknown} not in the scores; found {list(portraits)}")
        portraits = {m: portraits[m] for m in wanted}
    path = radar_chart(portraits, out_path, family=family, title=title, limit=limit)
    click.echo(f"Wrote {path}")
