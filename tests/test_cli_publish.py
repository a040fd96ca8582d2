"""The `publish` and `publish-metric` commands' help (what the commands do is tested through the CLI in
tests/hub/)."""

from __future__ import annotations

from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.dataset import DATASET_VERSION


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_publish_help_has_an_example():
    res = invoke("publish", "--help")
    assert "Example:" in res.output
    assert f"valueportrait publish --dataset ./valueportrait --repo-id my-org/valueportrait --version {DATASET_VERSION} --dry-run" in res.output


def test_publish_metric_help_has_an_example():
    assert "valueportrait publish-metric --repo-id my-org/valueportrait --dry-run" in invoke("publish-metric", "--help").output
