"""run -> score -> plot -> report with nothing typed twice, against a real chat server on 127.0.0.1.

The run's manifest records the dataset, so `score RUN_DIR`, `plot RUN_DIR` and `report RUN_DIR` need no
--dataset (from any folder); coverage is always printed and a partial portrait is warned about; a run whose
answers gave no rating is an error that shows them.
"""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

from chat_server import ChatServer
from valueportrait.cli.main import cli
from valueportrait.dataset import DATASET_VERSION as V


def invoke(args, **kw):
    return CliRunner().invoke(cli, args, env={"OPENAI_API_KEY": None}, **kw)


@pytest.fixture(scope="module")
def smoke_run(built_dataset, tmp_path_factory):
    """A `--limit 5` run (5 items x 6 variants = 30 requests) made from another folder with a relative path."""
    home = tmp_path_factory.mktemp("home")
    (home / "valueportrait").symlink_to(built_dataset, target_is_directory=True)
    with ChatServer() as server, pytest.MonkeyPatch.context() as mp:
        mp.chdir(home)
        res = invoke(["run", "--dataset", "./valueportrait", "--model", "scripted", "--base-url", server.base_url,
                      "--limit", "5", "--out", "runs/scripted", "--quiet"])
    return res, home / "runs" / "scripted"


def test_run_prints_a_next_command_that_works(smoke_run, tmp_path, monkeypatch):
    res, run_dir = smoke_run
    assert res.exit_code == 0, res.output
    (line,) = [ln for ln in res.output.splitlines() if ln.startswith("Next: ")]
    assert line.startswith("Next: valueportrait score runs/scripted   (then: valueportrait plot runs/scripted")
    monkeypatch.chdir(run_dir.parents[1])  # the folder the run was made in
    args = shlex.split(line.removeprefix("Next: valueportrait ").split("   (then:")[0])
    res = invoke([*args, "--n-boot", "50"])
    assert res.exit_code == 0, res.output
    assert "scripted: rated 30 of 3,120 requests (1.0%)" in res.output  # 5 of 520 items x 6 variants
    assert "Warning: scripted: the portrait is partial (rated 30 of 3,120 requests)" in res.output
    assert "have fewer items than the full benchmark" in res.output


def test_score_plot_report_a_run_from_anywhere(smoke_run, tmp_path, monkeypatch):
    _, run_dir = smoke_run
    monkeypatch.chdir(tmp_path)  # a folder with no ./valueportrait: the manifest's absolute path is used
    res = invoke(["score", str(run_dir), "--n-boot", "50", "--out", "scores"])
    assert res.exit_code == 0, res.output
    board = json.loads((tmp_path / "scores" / "leaderboard.json").read_text())
    assert board["meta"]["dataset"] == str(run_dir.parents[1] / "valueportrait")
    assert board["coverage"]["scripted"]["rated"] == 30 and board["coverage"]["scripted"]["partial"] is True
    res = invoke(["plot", str(run_dir), "--out", "portrait.png"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "portrait.png").read_bytes()[:4] == b"\x89PNG" and "partial" in res.output
    res = invoke(["report", str(run_dir), "--out", "report.html"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg") >= 2 and "scripted" in page and "human raters" in page
    # citable from a run directory too: dataset version and selection (scored now), the run's settings from its
    # manifest (endpoint host only), the partial portrait (30 of the requests) as a banner
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert f"version {manifest['dataset_version']}," in page and "is above 0.3 with p below 0.05" in page
    assert "<td>127.0.0.1</td>" in page and "<td>openai</td>" in page
    assert '<div class="banner partial" data-model="scripted">' in page and "rated 30 of" in page
    # --dataset overrides the manifest's (here: a folder that is no dataset, so it fails naming it)
    res = invoke(["score", str(run_dir), "--dataset", str(tmp_path / "scores")])
    assert res.exit_code == 1 and str(tmp_path / "scores") in res.output


def test_score_without_a_run_needs_a_dataset(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("model,item_id,rating\nm,1008-1,5\n")
    res = invoke(["score", str(path)])
    assert res.exit_code == 1
    assert "no dataset given: pass --dataset" in res.output


def test_a_run_with_no_rating_fails_and_shows_its_answers(built_dataset, tmp_path):
    out = tmp_path / "run"
    with ChatServer(answer=lambda messages: "As an AI, I have no personal values.") as server:
        res = invoke(["run", "--dataset", str(built_dataset), "--model", "shy", "--base-url", server.base_url,
                      "--limit", "2", "--variants", "v1", "--out", str(out), "--quiet"])
    assert res.exit_code == 1, res.output
    assert "Next:" not in res.output
    assert "Error: shy: none of its 2 answers gave a rating" in res.output
    assert "'As an AI, I have no personal values.'" in res.output
    res = invoke(["score", str(out)])
    assert res.exit_code == 1 and "none of its 2 answers gave a rating" in res.output
    assert "'As an AI, I have no personal values.'" in res.output


def test_score_ci_over_items(raw_dir, built_dataset, tmp_path):
    res = invoke(["score", "--upstream-outputs", str(raw_dir / "lm_evaluation" / "outputs" / "final"),
                  "--dataset", str(built_dataset), "--ci-over", "items", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert "Big Five (BFI-10): centred score [95% CI over items]\n" in res.output  # one unit for every row
    board = json.loads((tmp_path / "s" / "leaderboard.json").read_text())
    assert board["meta"]["ci_over"] == "items" and board["meta"]["human_ci_over"] == "items"
    # docs/metric.md: gpt-4o's Benevolence over items [0.16, 0.90]; the human raters' over items [-0.11, 0.50]
    bene = board["models"]["gpt-4o-2024-11-20"]["pvq"]["Benevolence"]
    assert (round(bene["ci_low"], 2), round(bene["ci_high"], 2)) == (0.16, 0.90)
    human = board["models"]["human raters"]["pvq"]["Benevolence"]
    assert (round(human["ci_low"], 2), round(human["ci_high"], 2)) == (-0.11, 0.50)
    res = invoke(["score", "--upstream-outputs", str(raw_dir / "lm_evaluation" / "outputs" / "final"),
                  "--dataset", str(built_dataset), "--ci-over", "prompts"])
    assert res.exit_code == 2 and "'prompts' is not one of 'variants', 'items', 'items+variants'" in res.output


def test_a_build_off_the_papers_selection_says_so_and_is_not_published(raw_dir, tmp_path):
    out = tmp_path / "vp04"
    res = invoke(["build", "--raw", str(raw_dir), "--out", str(out), "--threshold", "0.4"])
    assert res.exit_code == 0, res.output
    label = f"{V} (custom selection: threshold 0.4; not the paper's)"
    assert f"Built Value Portrait {label} into {out}" in res.output
    info = json.loads((out / "build_info.json").read_text())
    assert info["paper_selection"] is False and info["version_label"] == label
    card = (out / "README.md").read_text()
    assert "# Value Portrait (custom selection: threshold 0.4; not the paper's)" in card
    assert f"version **{label}**" in card
    res = invoke(["publish", "--dataset", str(out), "--repo-id", "ORG/vp", "--version", V, "--dry-run"])
    assert res.exit_code == 1
    assert "was built with a selection other than the paper's (threshold 0.4 (paper: 0.3))" in res.output
    assert f"it is not version {V}, the paper's benchmark" in res.output


def test_the_papers_build_is_labelled_plainly(built_dataset):
    info = json.loads((built_dataset / "build_info.json").read_text())
    assert info["paper_selection"] is True and info["version_label"] == V
    assert "\n# Value Portrait\n" in (built_dataset / "README.md").read_text()
