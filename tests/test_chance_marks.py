"""Issue 22: every portrait carries the build's per-dimension chance test: leaderboard.json ``meta.above_chance``,
the printed and Markdown tables (a ``†`` and a footnote) and the metric's result (``above_chance`` and the note).

The expected flags are the issue's audit (400 shuffles of the questionnaire scores within survey group): the 8
chance-level dimensions are flagged, the 8 strong ones (p < 0.003 in the audit) are not.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from valueportrait.dataset import open_dataset
from valueportrait.evaluation import evaluate_ratings
from valueportrait.pipelines import score_leaderboard
from valueportrait.report import leaderboard_text
from valueportrait.scoring import score_portrait
from valueportrait.settings import Intervals
from valueportrait.chance import CHANCE_FOOTNOTE, CHANCE_MARK, CHANCE_NOTE, chance_flags

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hand.csv"
CHANCE_LEVEL = {("bfi", "Neuroticism"), ("higher_pvq", "Openness_to_Change"), ("pvq", "Self_Direction"),
                ("pvq", "Tradition"), ("pvq", "Benevolence"), ("pvq", "Security"), ("pvq", "Universalism"),
                ("higher_pvq", "Self_Transcendence")}
STRONG = {("bfi", "Agreeableness"), ("bfi", "Conscientiousness"), ("higher_pvq", "Self_Enhancement"),
          ("pvq", "Power"), ("pvq", "Achievement"), ("pvq", "Stimulation"), ("bfi", "Extraversion"),
          ("pvq", "Hedonism")}


def test_the_build_flags_the_issues_dimensions(built_dataset):
    flags = chance_flags(open_dataset(built_dataset).build_info)
    assert all(flags[f][d] is False for f, d in CHANCE_LEVEL)
    assert all(flags[f][d] is True for f, d in STRONG)
    assert sum(len(v) for v in flags.values()) == 19


def test_tables_mark_chance_level_dimensions_with_a_footnote():
    portrait = score_portrait(pd.DataFrame({"item_id": ["a"], "rating": [3.0]}),
                              pd.DataFrame({"item_id": ["a"], "family": ["bfi"], "dimension": ["Openness"], "key": [1]}))
    flags = {"bfi": {"Neuroticism": False, "Openness": True}}
    for markdown in (False, True):
        text = leaderboard_text({"m": portrait}, markdown=markdown, above_chance=flags)
        assert f"Neuroticism {CHANCE_MARK}" in text and f"Openness {CHANCE_MARK}" not in text
        assert CHANCE_FOOTNOTE in text
    plain = leaderboard_text({"m": portrait})
    assert CHANCE_MARK not in plain and CHANCE_FOOTNOTE not in plain


def test_leaderboard_meta_and_tables_carry_the_flags(built_dataset, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        board = score_leaderboard([EXAMPLE], dataset=built_dataset, out_dir=tmp_path / "lb")
    flags = chance_flags(open_dataset(built_dataset).build_info)
    assert board.above_chance == flags
    meta = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())["meta"]
    assert meta["above_chance"] == flags == board.board()["meta"]["above_chance"]
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert f"Neuroticism {CHANCE_MARK}" in md and CHANCE_FOOTNOTE in md
    assert f"Self-Direction {CHANCE_MARK}" in board.text() and f"Power {CHANCE_MARK}" not in board.text()


def test_metric_result_marks_chance_level_dimensions(built_dataset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = evaluate_ratings([3, 5, 2], ["1008-1", "1008-2", "1008-3"], dataset=str(built_dataset),
                               intervals=Intervals(n_boot=0))
    neuro, agree = out["scores"]["bfi"]["Neuroticism"], out["scores"]["bfi"]["Agreeableness"]
    assert neuro["above_chance"] is False and CHANCE_NOTE in neuro["note"]
    assert agree["above_chance"] is True and CHANCE_NOTE not in (agree["note"] or "")
    assert out["settings"]["above_chance"]["bfi"]["Neuroticism"] is False


def test_builds_without_the_test_mark_nothing():
    assert chance_flags({"validity": {"dimensions": [{"family": "bfi", "dimension": "Openness"}]}}) is None
    assert chance_flags({"validity": {"dimensions": {"bfi": {"Openness": {"above_chance": None}}}}}) is None


def test_flags_under_another_rule_say_which_rule_they_refer_to(built_dataset, tmp_path):
    """Re-selecting or scoring with the weighted rule copies the build's flags unchanged (not recomputed): every
    surface names the build's rule then; with the build's own rule nothing is added."""
    from valueportrait.chance import chance_footnote, chance_rule
    from valueportrait.settings import Selection

    info = open_dataset(built_dataset).build_info
    built = info["validity"]["rule"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = score_leaderboard([EXAMPLE], dataset=built_dataset, intervals=Intervals(n_boot=0))
        other = score_leaderboard([EXAMPLE], dataset=built_dataset, selection=Selection(scoring="weighted"),
                                  intervals=Intervals(n_boot=0), out_dir=tmp_path / "lb")
        metric = evaluate_ratings([3, 5, 2], ["1008-1", "1008-2", "1008-3"], dataset=str(built_dataset),
                                  selection=Selection(threshold=0.2), intervals=Intervals(n_boot=0))
    rule = {k: built[k] for k in ("threshold", "alpha", "mode", "correction", "correlations")}
    assert same.meta["above_chance_rule"] == {**rule, "scoring": "threshold", "same_as_scores": True}
    assert other.meta["above_chance_rule"] == {**rule, "scoring": "threshold", "same_as_scores": False}
    meta = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())["meta"]
    assert meta["above_chance_rule"]["same_as_scores"] is False and meta["above_chance"] == same.above_chance
    words = f"for its selection (threshold {built['threshold']}, alpha {built['alpha']}, mode {built['mode']}"
    assert words in (tmp_path / "lb" / "leaderboard.md").read_text() and words in other.text()
    assert "copied, not recomputed" not in same.text() and CHANCE_FOOTNOTE in same.text()
    assert metric["settings"]["above_chance_rule"]["same_as_scores"] is False
    assert "flag from the build's selection" in metric["scores"]["bfi"]["Neuroticism"]["note"]
    assert chance_footnote(None) == CHANCE_FOOTNOTE and chance_rule({}) is None
    # the HTML report's validity section and the figures' caption say it too
    from valueportrait.figures.data import figure_data
    from valueportrait.figures.tables import validity_html

    for board, said in ((other.board(), True), (same.board(), False)):
        assert ("the flags were copied, not recomputed" in validity_html(board)) is said
        caption = " ".join(figure_data(board, "pvq").notes())
        assert (f"{CHANCE_MARK} item selection not above chance" in caption
                and ("under the build's selection rule, not this one's" in caption) is said)
