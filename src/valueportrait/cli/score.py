"""``valueportrait score`` and ``valueportrait plot``: thin shells over scoring, report and plot."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from valueportrait.errors import InputError, OutputExistsError
from valueportrait.ratings import read_ratings


@click.command(context_settings={"max_content_width": 100})
@click.argument("ratings_paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option("--upstream-outputs", type=click.Path(exists=True, file_okay=False),
              help="Folder in upstream's layout: <provider>/<model>_<variant>_results.json.")
@click.option("--dataset", "dataset", required=True, envvar="VALUEPORTRAIT_DATASET", show_envvar=True,
              help="Built dataset folder or Hub dataset repo id (its selection of items is used).")
@click.option("--revision", help="Hub revision (tag, branch, commit) when --dataset is a repo id.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write <model>_scores.json (upstream's schema) and leaderboard.csv/.json/.md here.")
@click.option("--threshold", type=float, help="Re-select items: |rho| must exceed this (default: the build's, 0.3).")
@click.option("--alpha", type=float, help="Re-select items: p must be below this (default: the build's, 0.05).")
@click.option("--mode", type=click.Choice(["pos", "abs"]), help="pos: positive keys only (paper); abs: also reverse-scored.")
@click.option("--correlations", type=click.Choice(["published", "computed"]), help="Which correlations drive re-selection.")
@click.option("--center/--no-center", default=True, show_default=True, help="Subtract the family mean (scale-use correction).")
@click.option("--min-items", type=int, default=1, show_default=True, help="Null score for dimensions with fewer rated items.")
@click.option("--parse", "parse", type=click.Choice(["valueportrait", "upstream"]), default="valueportrait", show_default=True,
              help="Re-parse raw answers with parse_likert, or keep upstream's numeric_response.")
@click.option("--n-boot", type=int, default=1000, show_default=True, help="Bootstrap replicates for CIs (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--humans/--no-humans", default=True, show_default=True, help="Add the 'human raters' row.")
@click.option("--overwrite", is_flag=True, help="Replace existing files in --out.")
def score(ratings_paths, upstream_outputs, dataset, revision, out_dir, threshold, alpha, mode, correlations, center,
          min_items, parse, n_boot, seed, humans, overwrite):
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
    from valueportrait.dataset import open_dataset
    from valueportrait.scoring import HUMAN_MODEL, score_humans
    from valueportrait.report import leaderboard_text, sensitivity_text, write_leaderboard, write_upstream_scores
    from valueportrait.scoring import bootstrap_portrait
    from valueportrait.sensitivity import sensitivity_table

    if not ratings_paths and not upstream_outputs:
        raise click.UsageError("give run directories or ratings files (PATH ...) and/or --upstream-outputs DIR")
    data = open_dataset(dataset, revision=revision)
    selection = data.selection(threshold=threshold, alpha=alpha, mode=mode, correlations=correlations)
    frames = []
    if upstream_outputs:
        from valueportrait.upstream_outputs import parse_summary, read_upstream_outputs

        up = read_upstream_outputs(upstream_outputs, parse=parse, progress=True)
        frames.append(up)
        summary = parse_summary(up)
        click.echo("Parsed answers (unparseable ones are left out of the averages):")
        click.echo(summary.to_string() + "\n")
    frames += [read_ratings(p) for p in ratings_paths]
    ratings = pd.concat(frames, ignore_index=True)
    unknown = sorted(set(ratings["item_id"].astype(str)) - set(data.item_ids))
    if unknown:
        raise InputError(f"{len(unknown)} item id(s) are not in the dataset: {unknown[:10]}"
                         f"{' ...' if len(unknown) > 10 else ''}; is --dataset the right build?")
    portraits = {}
    for model, g in ratings.groupby("model", sort=True):
        portraits[str(model)] = bootstrap_portrait(g, selection, n_boot=max(n_boot, 0), seed=seed, center=center,
                                                   min_items=min_items)
    if humans:
        portraits[HUMAN_MODEL] = score_humans(data.human_ratings, selection, n_boot=n_boot, seed=seed, center=center,
                                              min_items=min_items)
    click.echo(leaderboard_text(portraits))
    sens = None
    if "variant" in ratings and ratings["variant"].notna().any():
        sens = sensitivity_table(ratings)
        click.echo("Prompt sensitivity (share of items whose rating changes):")
        click.echo(sensitivity_text(sens))
    if out_dir:
        out = Path(out_dir)
        models = [m for m in portraits if m != HUMAN_MODEL]
        existing = [str(out / f"{m}_scores.json") for m in models if (out / f"{m}_scores.json").exists()]
        if existing and not overwrite:
            raise OutputExistsError(f"{', '.join(existing)} exist(s); pass --overwrite or choose another --out")
        sel_info = {"threshold": threshold, "alpha": alpha, "mode": mode, "correlations": correlations}
        paths = write_leaderboard(out, portraits, overwrite=overwrite, sensitivity=sens, dataset=str(dataset),
                                  revision=revision, dataset_version=data.build_info.get("dataset_version"),
                                  selection={**data.build_info.get("selection", {}),
                                             **{k: v for k, v in sel_info.items() if v is not None}},
                                  center=center, n_boot=n_boot, seed=seed, parse=parse)
        for m in models:
            write_upstream_scores(out, m, portraits[m], overwrite=overwrite)
        click.echo(f"Wrote {len(models)} score file(s) and {', '.join(p.name for p in paths.values())} to {out}")


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
