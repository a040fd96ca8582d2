"""The `publish` and `publish-metric` commands' help (what the commands do is tested through the CLI in
tests/test_hub_*.py)."""

from __future__ import annotations

from hub_helpers import invoke


def test_publish_help_has_an_example():
    res = invoke("publish", "--help")
    assert "Example:" in res.output
    assert "valueportrait publish --dataset ./valueportrait --repo-id my-org/valueportrait --version 1.0.0 --dry-run" in res.output


def test_publish_metric_help_has_an_example():
    assert "valueportrait publish-metric --repo-id my-org/valueportrait --dry-run" in invoke("publish-metric", "--help").output
