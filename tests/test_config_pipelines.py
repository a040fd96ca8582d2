"""Typed settings (valueportrait.config) and the shared pipeline decisions (valueportrait.pipelines).

The expected values are the documented rules: the ranges each setting accepts, the one n_boot default, the
human-source table of docs/deviation.md, and the leaderboard's output-folder rule.
"""

from __future__ import annotations

import inspect
import json

import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.config import DEFAULT_N_BOOT, BootstrapConfig, DeviationConfig, SelectionConfig
from valueportrait.errors import InputError, OutputExistsError
from valueportrait.pipelines import human_source, score_leaderboard


@pytest.mark.parametrize("make, match", [
    (lambda: SelectionConfig(threshold=1.0), r"threshold must be in \[0, 1\)"),
    (lambda: SelectionConfig(alpha=0), r"alpha must be in \(0, 1\]"),
    (lambda: SelectionConfig(mode="neg"), r"mode must be one of 'pos', 'abs', got 'neg'"),
    (lambda: SelectionConfig(correlations="pubished"), r"correlations must be one of 'published', 'computed'"),
    (lambda: BootstrapConfig(n_boot=-1), r"n_boot must be a whole number >= 0, got -1"),
    (lambda: BootstrapConfig(confidence=1.0), r"confidence must be a level strictly between 0 and 1"),
    (lambda: DeviationConfig(min_raters=0), r"min_raters must be a whole number >= 1"),
    (lambda: DeviationConfig(human="people"), r"human must be one of 'raters', 'norms', got 'people'"),
])
def test_settings_refuse_bad_values(make, match):
    with pytest.raises(InputError, match=match):
        make()


def test_one_n_boot_default_everywhere():
    from valueportrait.builders.build import build_dataset
    from valueportrait.evaluation import evaluate_ratings

    assert DEFAULT_N_BOOT == 1000 and BootstrapConfig().n_boot == 1000
    assert inspect.signature(evaluate_ratings).parameters["n_boot"].default == 1000
    assert inspect.signature(build_dataset).parameters["norms"].default.n_boot == 1000
    for command in ("score", "deviation", "build"):
        params = {p.name: p for p in cli.get_command(None, command).params}
        assert params["n_boot"].default == 1000 and params["confidence"].default == 0.95, command


def test_selection_resolves_over_the_build():
    build = {"threshold": 0.3, "alpha": 0.05, "mode": "pos", "correlations": "published", "correction": "none"}
    assert not SelectionConfig().reselects and SelectionConfig().resolved(build) == build
    assert SelectionConfig(mode="abs").resolved(build) == {**build, "mode": "abs"}
    # a build made before the correction option has none (the paper's rule)
    assert SelectionConfig().resolved({k: v for k, v in build.items() if k != "correction"}) == build
    assert SelectionConfig(correction="fdr_bh").resolved(build)["correction"] == "fdr_bh"
    assert SelectionConfig().with_defaults() == SelectionConfig(0.3, 0.05, "pos", None, "none")


def test_human_source_decisions(release_data):
    """No demographics in the public release: only a given table or demographics file can be the human side."""
    assert human_source(release_data, norms=True) == "norms table"
    assert human_source(release_data, demographics=True) == "demographics file"
    with pytest.raises(InputError, match="give at most one of --demographics FILE"):
        human_source(release_data, norms=True, demographics=True)
    with pytest.raises(InputError, match="--stored-norms uses the dataset's own human_group_norms"):
        human_source(release_data, norms=True, human="norms")
    with pytest.raises(InputError, match="human='raters' compares with the dataset's raters"):
        human_source(release_data, norms=True, human="raters")
    with pytest.raises(InputError, match="this dataset has no demographics"):
        human_source(release_data)


def test_human_source_with_demographics(demo_build):
    from valueportrait.dataset import open_dataset

    data = open_dataset(demo_build["out"])
    assert human_source(data) == "dataset raters" == human_source(data, human="raters")
    assert human_source(data, human="norms") == "dataset norms"
    with pytest.raises(InputError, match="with threshold / alpha / mode / correlations use human='raters'"):
        human_source(data, human="norms", reselected=True)


def test_leaderboard_refuses_a_used_folder_before_any_work(tmp_path):
    (tmp_path / "someone_scores.json").write_text("{}")
    # the dataset does not exist: the folder check comes first
    with pytest.raises(OutputExistsError, match="output folder .* exists; pass --overwrite"):
        score_leaderboard([tmp_path / "nothing.csv"], dataset=tmp_path / "no-dataset", out_dir=tmp_path)


def test_confidence_and_its_old_name(built_dataset, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("model,item_id,rating\nm,1008-1,5\nm,1008-2,2\n")
    for flag in ("--confidence", "--ci"):
        res = CliRunner().invoke(cli, ["score", str(path), "--dataset", str(built_dataset), "--n-boot", "20",
                                       flag, "0.5", "--out", str(tmp_path / flag.strip("-")), "--no-humans"])
        assert res.exit_code == 0, res.output
        meta = json.loads((tmp_path / flag.strip("-") / "leaderboard.json").read_text())["meta"]
        assert meta["confidence"] == 0.5 and meta["n_boot"] == 20
