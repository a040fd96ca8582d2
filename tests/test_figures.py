"""The one visual grammar (valueportrait.style, valueportrait.figures): colours stable per model name and never
shared in a figure, one radial scale that holds every score and interval, caveats (unreliable, partial,
chance-level) carried to every figure, heatmap rows and cells. Expected values are hand computations on small
hand-made leaderboards unless said otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from valueportrait.errors import InputError
from valueportrait.figures.data import figure_data, share_text
from valueportrait.figures.heatmap import cell_text
from valueportrait.scale import FAMILIES
from valueportrait.style import PALETTE, diverging_color, model_colors, radial_scale, scale_caption

DIMS = FAMILIES["pvq"]


def _board(scores: dict[str, list[float]], half_width: float = 0.1, **extra) -> dict:
    models = {m: {"pvq": {d: {"score": s, "ci_low": s - half_width, "ci_high": s + half_width, "n": 5,
                              "ci_over": "raters" if m == "human raters" else "variants"}
                          for d, s in zip(DIMS, v)}} for m, v in scores.items()}
    return {"meta": {"confidence": 0.95}, "models": models, **extra}


def test_colours_are_stable_per_name_and_never_shared():
    names = [f"model-{k:02d}" for k in range(40)]
    big = model_colors(["human raters", *names])
    assert len(set(big.values())) == 41 and big["human raters"] == "#000000"
    assert len(set(PALETTE)) == len(PALETTE) == 38  # beyond the palette: generated colours, still unique
    # a model's colour is its own (a hash of its name): among names whose own colours differ, every figure
    # gives each its own colour, whatever the others
    own = {n: model_colors([n])[n] for n in names}
    distinct = list({c: n for n, c in reversed(list(own.items()))}.values())
    assert len(distinct) > 15
    for figure in (distinct[:3], distinct[2:9], distinct[::-1]):
        assert model_colors(figure) == {n: own[n] for n in figure}
    # two names wanting one colour: the first in name order keeps it, the other takes the next free one
    a, b = next((x, y) for x in names for y in names if x < y and own[x] == own[y])
    both = model_colors([b, a])
    assert both[a] == own[a] and both[b] == PALETTE[(PALETTE.index(own[a]) + 1) % len(PALETTE)]
    # upstream's four released models: pinned, whatever else is in the figure
    released = ["claude-3-5-sonnet-20241022", "gemini-2.0-flash-001", "gpt-4o-2024-11-20", "llama-3.1-8b-instruct"]
    alone = model_colors(released)
    assert list(alone.values()) == list(PALETTE[:4])
    assert {m: big2 for m, big2 in model_colors([*names, *released]).items() if m in released} == alone


def test_one_radial_scale_holds_every_score_and_interval():
    # largest |value| among scores and interval ends is 0.9 + 0.2 = 1.1; with 15% room 1.265, up to a quarter: 1.5
    fd = figure_data(_board({"a": [0.9] + [0.0] * 9, "b": [-0.3] * 10}, half_width=0.2))
    limit, ticks = fd.scale()
    assert limit == 1.5 and ticks.tolist() == [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
    assert radial_scale([0.4, -0.9])[0] == 1.25  # the scores alone: 0.9 * 1.15 = 1.035 -> 1.25
    assert scale_caption(limit, ticks).startswith("Radial scale of every chart: centre \u22121.50, rings at \u22121.00")


def test_caveats_reach_every_label():
    board = _board({"a": [0.1] * 10, "b": [0.2] * 10, "human raters": [0.0] * 10},
                   reliability={"a": {"reliable": False, "profile_split_half": 0.5, "threshold": 0.7}},
                   # an older leaderboard: no 'partial' flag, derived from rated < requests (962 / 3,120 = 30.83%)
                   coverage={"b": {"rated": 962, "requests": 3120}})
    board["meta"]["above_chance"] = {"pvq": {d: d != "Tradition" for d in DIMS}}
    fd = figure_data(board)
    assert fd.label("a") == "a (unreliable)" and fd.label("b") == "b (partial: 30.8% rated)"
    assert fd.flagged("a") and fd.flagged("b") and not fd.flagged("human raters")
    assert fd.axis_label("Tradition") == "Tradition \u2020" and fd.axis_label("Power") == "Power"
    assert fd.interval_caption() == "Intervals: 95% intervals over prompt variants (models); over raters (human raters)."
    assert fd.notes()[0].startswith("\u2020 item selection not above chance (Tradition")
    # without meta.above_chance nothing is marked (older leaderboards)
    del board["meta"]["above_chance"]
    assert figure_data(board).chance == frozenset()
    assert share_text(3119 / 3120) == "99.9%" and share_text(1.0) == "100%"  # never rounded up to 100%


def test_heatmap_rows_and_cells():
    # a, b alike and c, d alike: clustering puts each pair together; the human row always last
    board = _board({"a": [1.0, 0.0] * 5, "c": [-1.0, 0.5] * 5, "human raters": [0.0] * 10, "b": [0.9, 0.1] * 5,
                    "d": [-0.9, 0.6] * 5})
    fd = figure_data(board)
    order = fd.order()
    assert order[-1] == "human raters" and abs(order.index("a") - order.index("b")) == 1
    assert abs(order.index("c") - order.index("d")) == 1
    assert fd.order("Self_Direction") == ["a", "b", "d", "c", "human raters"]  # highest first
    with pytest.raises(InputError, match="order by 'Openness': not a dimension of pvq"):
        fd.order("Openness")
    # the interval of a score 0.05 +/- 0.1 includes 0: parentheses; of 1.0 +/- 0.1 not
    zero = figure_data(_board({"x": [0.05, 1.0] * 5})).includes_zero()
    assert zero[0, :2].tolist() == [True, False]
    assert cell_text(0.05, True) == "(+0.05)" and cell_text(-1.0, False) == "\u22121.00"
    # the diverging scale: white at 0, the RdBu ends at +/- limit, half way between stops in between
    assert diverging_color(0.0, 1.0) == "#F7F7F7" and diverging_color(-0.125, 1.0) == "#E4EEF4"
    assert np.isclose(int("E4", 16), (0xF7 + 0xD1) / 2, atol=0.5)


def test_unknown_models_and_families_are_clear_errors():
    board = _board({"a": [0.1] * 10})
    with pytest.raises(InputError, match=r"model\(s\) \['zz'\] are not in the scores; found \['a'\]"):
        figure_data(board, models=["zz"])
    with pytest.raises(InputError, match="family must be one of"):
        figure_data(board, "mbti")


def test_interval_caption_names_who_has_which_unit_and_who_has_none():
    board = _board({"one-rating-each": [0.1] * 10, "human raters": [0.0] * 10})
    for cell in board["models"]["one-rating-each"]["pvq"].values():  # no interval: a single rating per item
        cell["ci_low"] = cell["ci_high"] = None
    fd = figure_data(board)
    assert fd.interval_caption() == "Intervals: 95% intervals over raters (human raters); none for one-rating-each."
    assert figure_data(_board({"a": [0.1] * 10})).interval_caption() == "Intervals: 95% intervals over prompt variants."


def test_auto_is_a_radar_up_to_8_portraits_and_a_heatmap_above(tmp_path):
    """matplotlib's SVG keeps each text as a comment: the caption says which figure was drawn."""
    from valueportrait.plot import portrait_figure

    for n, says in [(8, "Radial scale of every chart"), (9, "Value in parentheses: its interval includes 0")]:
        board = _board({f"m{k}": [0.1 * k - 0.4] * 10 for k in range(n)})
        path = portrait_figure(board, tmp_path / f"{n}.svg")
        assert says in path.read_text(), n
    with pytest.raises(InputError, match="kind must be one of"):
        portrait_figure(board, tmp_path / "x.svg", kind="pie")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["8.svg", "9.svg"]  # nothing half-written


def test_a_portrait_whose_reliability_cannot_be_assessed_says_so():
    from valueportrait.figures.tables import banners_html

    verdict = "not assessable: the ratings have no v2_reversed variant"
    board = _board({"one-variant": [0.1] * 10},
                   reliability={"one-variant": {"assessable": False, "reliable": None, "verdict": verdict}})
    assert figure_data(board).label("one-variant") == "one-variant (reliability not assessable)"
    html = banners_html(board, ["one-variant"])
    assert 'class="banner unassessable"' in html and verdict in html
