"""Publishing the evaluate metric as a gradio Space: the card check, the plan, a git round trip, the Hub calls."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import SpaceCard

from valueportrait import publish as core
from valueportrait.cli.main import cli
from valueportrait.errors import PublishError

from test_publish_hub import FAKE_TOKEN, FakeHub  # noqa: E402  (pytest puts tests/ on sys.path)

REPO = Path(__file__).resolve().parents[1]

CARD = """---
title: Value Portrait
emoji: 🧭
colorFrom: blue
colorTo: green
sdk: gradio
sdk_version: 4.44.1
app_file: app.py
pinned: false
tags:
- evaluate
- metric
description: >-
  Value portraits of language models (Han et al., ACL 2025).
---

# Metric Card for Value Portrait
"""


pytestmark = pytest.mark.usefixtures("isolated_git")  # tests/conftest.py


@pytest.fixture
def metric_dir(tmp_path) -> Path:
    """A small folder shaped like metric/: card, app, requirements, the script, a helper module, __init__.py."""
    d = tmp_path / "metric"
    d.mkdir()
    (d / "README.md").write_text(CARD, encoding="utf-8")
    (d / "app.py").write_text("import evaluate\nfrom evaluate.utils import launch_gradio_widget\n"
                              "launch_gradio_widget(evaluate.load('my-org/valueportrait'))\n")
    (d / "requirements.txt").write_text("evaluate>=0.4.3\nvalueportrait\n")
    (d / "valueportrait.py").write_text("import evaluate\nfrom .helpers import f\n")
    (d / "helpers.py").write_text("def f():\n    return 1\n")
    (d / "__init__.py").write_text("")
    return d


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_plan_names_the_script_after_the_space(metric_dir):
    plan = core.plan_metric(metric_dir, "my-org/valueportrait")
    assert [f.path for f in plan.files] == ["README.md", "app.py", "helpers.py", "requirements.txt", "valueportrait.py"]
    assert (plan.repo_type, plan.space_sdk, plan.tag) == ("space", "gradio", None)
    # evaluate.load("ORG/NAME") fetches NAME.py from the Space, so the script takes the Space's name.
    plan = core.plan_metric(metric_dir, "my-org/vp-metric")
    assert [f.path for f in plan.files] == ["README.md", "app.py", "helpers.py", "requirements.txt", "vp-metric.py"]
    assert next(f for f in plan.files if f.path == "vp-metric.py").source == (metric_dir / "valueportrait.py").resolve()


@pytest.mark.parametrize("edit, message", [
    (lambda d: (d / "README.md").write_text(CARD.replace("sdk: gradio", "sdk: streamlit")), "sdk is 'streamlit'"),
    (lambda d: (d / "README.md").write_text(CARD.replace("- metric\n", "")), r"lack metric"),
    (lambda d: (d / "README.md").write_text(CARD.replace("app_file: app.py", "app_file: main.py")),
     r"app_file 'main\.py' is not in the metric folder"),
    (lambda d: (d / "README.md").write_text(CARD.replace("sdk_version: 4.44.1\n", "")), "lacks sdk_version"),
    (lambda d: (d / "README.md").write_text("# no front matter\n"), "lacks title, sdk, sdk_version, app_file, tags"),
    (lambda d: (d / "requirements.txt").write_text("numpy\n"), "does not list evaluate"),
    (lambda d: (d / "app.py").unlink(), "lacks app.py"),
])
def test_bad_metric_folder_is_refused(metric_dir, edit, message):
    edit(metric_dir)
    with pytest.raises(PublishError, match=message):
        core.plan_metric(metric_dir, "my-org/valueportrait")


def test_publish_metric_to_git_target(metric_dir, tmp_path):
    path = tmp_path / "spaces" / "valueportrait.git"
    url = path.as_uri()
    dry = invoke("publish-metric", "--repo-id", url, "--metric-dir", str(metric_dir), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[1] == f"Target:  git repository {url}, branch main"
    assert not path.exists()  # a dry run writes nothing
    res = invoke("publish-metric", "--repo-id", url, "--metric-dir", str(metric_dir))
    assert res.exit_code == 0, res.output
    commit = git("rev-parse", "main", cwd=path).strip()
    assert res.output.splitlines()[1:] == [
        f"Created the space repo {url}.",
        f"Committed {commit[:12]} to main: 'Value Portrait metric (valueportrait {_pkg_version()})' "
        "(5 file(s) uploaded, 0 removed).",
    ]
    clone = tmp_path / "c"
    git("clone", "--quiet", url, str(clone))
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == [
        "README.md", "app.py", "helpers.py", "requirements.txt", "valueportrait.py"]
    assert SpaceCard.load(clone / "README.md").data.sdk == "gradio"
    again = invoke("publish-metric", "--repo-id", url, "--metric-dir", str(metric_dir))
    assert again.output.splitlines()[1] == f"No changes: main already holds these 5 files at {commit[:12]}; no commit made."


def test_publish_metric_hub_calls(metric_dir, monkeypatch):
    hub = FakeHub()
    made = []
    monkeypatch.setattr(core, "hf_api", lambda endpoint, token: made.append((endpoint, token)) or hub)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    res = invoke("publish-metric", "--repo-id", "my-org/valueportrait", "--metric-dir", str(metric_dir))
    assert res.exit_code == 0, res.output
    assert FAKE_TOKEN not in res.output and made == [(None, FAKE_TOKEN)]
    assert hub.calls_named("create_repo") == [(("my-org/valueportrait",), {
        "private": None, "repo_type": "space", "exist_ok": True, "space_sdk": "gradio"})]
    (args, kwargs), = hub.calls_named("create_commit")
    assert kwargs["repo_type"] == "space" and kwargs["revision"] == "main"
    assert kwargs["commit_message"] == f"Value Portrait metric (valueportrait {_pkg_version()})"
    assert sorted(op.path_in_repo for op in args[1]) == ["README.md", "app.py", "helpers.py", "requirements.txt",
                                                         "valueportrait.py"]
    assert not hub.calls_named("create_tag")


def test_publish_metric_help_has_an_example():
    assert "valueportrait publish-metric --repo-id my-org/valueportrait --dry-run" in invoke("publish-metric", "--help").output


@pytest.mark.skipif(not (REPO / "metric" / "README.md").exists(), reason="metric card not merged yet")
def test_real_metric_card_is_a_valid_space_card():
    folder = REPO / "metric"
    card = core.check_metric_card(folder / "README.md", {p.name for p in folder.iterdir()})
    assert card.data.sdk == "gradio"
    plan = core.plan_metric(folder, "my-org/valueportrait")  # every file a Space needs is there
    assert {"README.md", "app.py", "requirements.txt", "valueportrait.py"} <= {f.path for f in plan.files}


def _pkg_version() -> str:
    from valueportrait import __version__

    return __version__
