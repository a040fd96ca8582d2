"""``valueportrait publish`` and ``valueportrait publish-metric``: thin shells over :mod:`valueportrait.hub`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from valueportrait import hub
from valueportrait.cli.options import publish_options

_DRY_RUN_HELP = "Print the exact plan (files, sizes, sha256, commit{}); no network."
_JSON_HELP = "Print the plan (and the result) as JSON."


def _announce(plan: hub.PublishPlan) -> None:
    click.echo(f"Publishing {len(plan.files)} files ({plan.total_size:,} bytes) to {plan.repo_id} ...")


def _print(publication: hub.Publication, as_json: bool) -> None:
    click.echo(json.dumps(publication.to_dict(), indent=2) if as_json else publication.render())


@click.command("publish")
@click.option("--dataset", "dataset", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Built dataset folder (from `valueportrait build`).")
@click.option("--repo-id", required=True,
              help="Hub dataset repo ORG/NAME, or file:///path/to/repo.git for a plain git repository.")
@click.option("--version", "version", required=True, metavar="X.Y.Z",
              help="Dataset version being published; must equal the folder's build_info.json dataset_version. "
                   "The tag is vX.Y.Z.")
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP.format(", tag"))
@publish_options(force=True)
@click.option("--changelog", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Changelog with a '## X.Y.Z (date)' entry per version (default: the package's cards/CHANGELOG.md).")
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
def publish(dataset: Path, repo_id: str, version: str, dry_run: bool, publish, changelog: Path | None,
            as_json: bool) -> None:
    """Publish a built dataset folder as one commit on main, tagged vX.Y.Z.

    The commit message names the version and the build's provenance (upstream commit, selection settings).
    Publishing identical content again makes no commit. The token comes from HF_TOKEN or `hf auth login`
    and is never printed.

    \b
    Example:
      valueportrait publish --dataset ./valueportrait --repo-id my-org/valueportrait --version 1.1.0 --dry-run
      valueportrait publish --dataset ./valueportrait --repo-id my-org/valueportrait --version 1.1.0
    """
    publication = hub.publish_dataset(dataset, repo_id, version, publish=publish, changelog=changelog,
                                      dry_run=dry_run, on_plan=None if as_json else _announce)
    _print(publication, as_json)


@click.command("publish-metric")
@click.option("--repo-id", required=True,
              help="Space ORG/NAME (evaluate.load('ORG/NAME') will find it), or file:///path/to/repo.git.")
@click.option("--metric-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Metric folder to upload (default: the installed package's metric folder).")
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP.format(""))
@publish_options(what="Space")
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@click.option("--wheel", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A built wheel of this version (python -m build) for the Space to install; without it the "
                   "Space's requirements pin valueportrait==<this version> from the package index.")
def publish_metric(repo_id: str, metric_dir: Path | None, dry_run: bool, publish, as_json: bool,
                   wheel: Path | None) -> None:
    """Publish the evaluate metric as a Docker Space (card, Dockerfile, app.py, requirements.txt, the script).

    The Space card's YAML (sdk: docker, app_port, tags evaluate/metric) is checked first.

    \b
    Example:
      valueportrait publish-metric --repo-id my-org/valueportrait --dry-run
      python -m build && valueportrait publish-metric --repo-id my-org/valueportrait --wheel dist/*.whl
      python -c "import evaluate; evaluate.load('my-org/valueportrait')"
    """
    publication = hub.publish_metric(metric_dir, repo_id, publish=publish, wheel=wheel, dry_run=dry_run,
                                     on_plan=None if as_json else _announce)
    _print(publication, as_json)
