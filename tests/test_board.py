"""The one leaderboard reader (valueportrait.board): leaderboard.json, its folder, upstream's <model>_scores.json."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from valueportrait.board import merge_boards, read_leaderboard
from valueportrait.cli.main import cli
from valueportrait.errors import InputError

SCORES = "lm_evaluation/score_results/final_results_0.3_pos_centered/{}_averaged_results_0.3_pos_centered_scores.json"


def test_upstream_scores_file_reads_as_a_one_model_board(raw_dir):
    path = raw_dir / SCORES.format("gpt-4o-2024-11-20")
    published = json.loads(path.read_text())["scores"]
    board = read_leaderboard(path, upstream_scores=True)
    (name,) = board["models"]
    assert name == "gpt-4o-2024-11-20"  # the file's meta.model_name
    # the numbers are the file's own centred means and item counts (upstream's published score_results)
    assert board["models"][name]["bfi"]["Agreeableness"] == {"score": published["bfi"]["Agreeableness"]["centered_mean"],
                                                             "n": 92}
    assert {f: set(d) for f, d in board["models"][name].items()} == {f: set(d) for f, d in published.items()}
    with pytest.raises(InputError, match="expected a leaderboard.json with a non-empty 'models' object"):
        read_leaderboard(path)  # report reads leaderboards only


def test_a_folder_reads_its_leaderboard_and_bad_files_name_themselves(tmp_path):
    board = {"meta": {"above_chance": {"bfi": {"Neuroticism": False}}}, "models": {"m": {"bfi": {}}}}
    (tmp_path / "leaderboard.json").write_text(json.dumps(board))
    assert read_leaderboard(tmp_path) == board
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(InputError, match=r"bad\.json: expected a leaderboard.json .* or a 'scores' object"):
        read_leaderboard(tmp_path / "bad.json", upstream_scores=True)
    with pytest.raises(InputError, match=r"missing\.json"):
        read_leaderboard(tmp_path / "missing.json")


def test_merge_keeps_every_model_and_the_first_chance_marks():
    a = {"meta": {"dataset": "a"}, "models": {"x": {}}, "coverage": {"x": {"share": 1.0}}}
    b = {"meta": {"above_chance": {"bfi": {"Neuroticism": False}}}, "models": {"y": {}}, "runs": {"y": {"backend": "t"}}}
    merged = merge_boards([a, b])
    assert list(merged["models"]) == ["x", "y"] and merged["runs"] == {"y": {"backend": "t"}}
    assert merged["meta"] == {"dataset": "a", "above_chance": {"bfi": {"Neuroticism": False}}}


def test_plot_draws_an_upstream_scores_file(raw_dir, tmp_path):
    out = tmp_path / "gpt4o.svg"
    res = CliRunner().invoke(cli, ["plot", str(raw_dir / SCORES.format("gpt-4o-2024-11-20")), "--family", "bfi",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().lstrip().startswith(("<?xml", "<svg")) and "Agreeableness" in out.read_text()
