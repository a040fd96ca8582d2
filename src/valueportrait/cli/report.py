"""``valueportrait report``: a thin shell over :mod:`valueportrait.html_report`."""

from __future__ import annotations

from pathlib import Path

import click

from valueportrait.cli.options import dataset_options


@click.command(context_settings={"max_content_width": 100})
@click.argument("scores", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write (one self-contained page).")
@click.option("--overlay", help="Comma-separated models ticked in the overlay chart at first (default: all).")
@click.option("--title", help="Page title (default: '<the instrument's name> report', e.g. 'Value Portrait report').")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@dataset_options(envvar=True, required=False, ref=True,
                 help="Dataset to score a run directory with (default: the one the run was run on).")
def report(scores: Path, out_path: Path, overlay: str | None, title: str | None, overwrite: bool, dataset) -> None:
    """Write one self-contained HTML page of scored portraits.

    SCORES is the --out folder of `valueportrait score` (or its leaderboard.json), or a run directory of
    `valueportrait run` (scored first, with the human raters beside it). The page has the leaderboard
    with intervals (sortable), a radar chart per model and for the human raters, an overlay of chosen models,
    prompt sensitivity, reliability flags, the dataset version, selection and citation. Nothing is loaded from
    the network.

    \b
    Example:
      valueportrait report runs/my-model --out report.html
      valueportrait score runs/my-model runs/other --out scores
      valueportrait report scores --out scores.html
    """
    from valueportrait.html_report import read_leaderboard, render_report
    from valueportrait.outputs import check_output
    from valueportrait.staging import output_file

    rule = {"overwrite": overwrite, "command": "report", "inputs": [scores, getattr(dataset, "name", None)]}
    check_output(out_path, folder=False, **rule)  # before any work
    from valueportrait.ratings.runs import run_dirs

    if run_dirs([scores]):
        from valueportrait.cli.score import echo_board
        from valueportrait.figures.tables import run_settings
        from valueportrait.pipelines import score_leaderboard
        from valueportrait.ratings.runs import read_manifest

        scored = score_leaderboard([scores], dataset=dataset)
        echo_board(scored, table=False)
        board = scored.board()
        manifest = read_manifest(scores)
        runs = board.setdefault("runs", {})
        runs.setdefault(str(manifest["model"]), run_settings(manifest))
    else:
        board = read_leaderboard(scores)
    ticked = [m.strip() for m in overlay.split(",") if m.strip()] if overlay else None
    page = render_report(board, title=title, overlay=ticked)
    with output_file(out_path, **rule) as tmp:
        tmp.write_text(page, encoding="utf-8", newline="\n")
    click.echo(f"Wrote {out_path.resolve()} ({len(page) // 1024} kB, {len(board['models'])} portrait(s))")
