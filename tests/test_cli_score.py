"""`valueportrait score` and `valueportrait plot`, with click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli


@pytest.fixture(scope="module")
def scored(raw_dir, built_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("scores")
    res = CliRunner().invoke(cli, ["score", "--upstream-outputs", str(raw_dir / "lm_evaluation" / "outputs" / "final"),
                                   "--dataset", str(built_dataset), "--out", str(out), "--n-boot", "200"])
    return res, out


def test_score_upstream_outputs(scored, raw_dir):
    res, out = scored
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [".valueportrait-output.json",  # the output rule's marker
        "claude-3-5-sonnet-20241022_scores.json", "gemini-2.0-flash-001_scores.json", "gpt-4o-2024-11-20_scores.json",
        "leaderboard.csv", "leaderboard.json", "leaderboard.md", "llama-3.1-8b-instruct_scores.json"]
    # the printed leaderboard (fits 120 columns): one column per model, each score with its interval and the unit
    # named. Point scores: upstream's published score_results (tests/test_reproduction.py); gpt-4o's Benevolence
    # interval over prompt variants [0.32, 0.75]: docs/metric.md's worked example (the t formula there)
    out_lines = res.output.splitlines()
    assert max(len(line) for line in out_lines if "[" in line and "reading" not in line) <= 120
    assert ("Schwartz basic values (PVQ-21): centred score [95% CI over prompt variants; human raters: over raters]"
            in out_lines)
    assert "claude-3-5-sonnet-20241022  gemini-2.0-flash-001     gpt-4o-2024-11-20  llama-3.1-8b-instruct !" in res.output
    bene = next(line for line in out_lines if line.startswith("Benevolence"))
    # Benevolence is not above chance in the build (issue 22): marked with a dagger, footnoted
    assert "+0.53 [+0.32, +0.75]" in bene and bene.split()[1:3] == ["†", "+0.54"]  # claude first, gpt-4o third
    assert "human raters" in res.output and "Self-Direction †  +0.54 [" in res.output
    assert "† not above chance" in res.output
    # llama-3.1-8b-instruct's profile reliability is 0.46, p 0.129 (docs/metric.md; the definition checked in
    # tests/scoring/test_scoring_reliability.py); its profile is flat (SD 0.064)
    assert ("! profile not reproducible over prompt variants (reliability < 0.7 or p > 0.001): "
            "llama-3.1-8b-instruct (0.46, p 0.13)") in " ".join(res.output.split())
    assert ("flat profile (values differ by less than 0.1 points, SD over the 10 values): llama-3.1-8b-instruct"
            in res.output)
    assert "gemini-2.0-flash-001: rated 3,098 of 3,120 requests (99.3%)" in res.output  # 22 unparseable
    assert "claude-3-5-sonnet-20241022: rated 3,120 of 3,120 requests (100.0%)" in res.output
    assert "llama-3.1-8b-instruct          3120           56" in res.output  # 56 unparseable answers
    # upstream's schema, equal to the published file for bfi
    ours = json.loads((out / "gpt-4o-2024-11-20_scores.json").read_text())
    pub = json.loads((raw_dir / "lm_evaluation" / "score_results" / "final_results_0.3_pos_centered" /
                      "gpt-4o-2024-11-20_averaged_results_0.3_pos_centered_scores.json").read_text())
    assert ours["meta"]["model_name"] == "gpt-4o-2024-11-20"
    assert set(ours["scores"]) == {"pvq", "higher_pvq", "bfi"}
    for dim, cell in pub["scores"]["bfi"].items():
        assert ours["scores"]["bfi"][dim]["n"] == cell["n"]
        for k in ("centered_mean", "original_mean", "std_dev"):
            assert ours["scores"]["bfi"][dim][k] == pytest.approx(cell[k], abs=1e-9)
    board = pd.read_csv(out / "leaderboard.csv")
    assert len(board) == 5 * 19 and set(board["model"]) >= {"human raters"}
    assert {"ci_low", "ci_high"} <= set(board.columns)
    data = json.loads((out / "leaderboard.json").read_text())
    assert data["meta"]["dataset_version"] and len(data["prompt_sensitivity"]) == 4
    assert data["meta"]["ci_over"] == "variants" and data["meta"]["human_ci_over"] == "raters"
    assert data["reliability"]["llama-3.1-8b-instruct"]["reliable"] is False
    assert data["reliability"]["gpt-4o-2024-11-20"]["profile_split_half"] == pytest.approx(0.948, abs=5e-4)
    assert data["coverage"]["llama-3.1-8b-instruct"]["rated"] == 3120 - 56
    bene = data["models"]["gpt-4o-2024-11-20"]["pvq"]["Benevolence"]
    assert (round(bene["ci_low"], 2), round(bene["ci_high"], 2), bene["ci_over"]) == (0.32, 0.75, "variants")
    md = (out / "leaderboard.md").read_text()
    assert "| human raters |" in md and "95% CI over prompt variants" in md and "### Reliability" in md
    assert "| llama-3.1-8b-instruct ! |" in md


def test_score_refuses_to_overwrite(scored, raw_dir, built_dataset):
    _, out = scored
    res = CliRunner().invoke(cli, ["score", "--upstream-outputs", str(raw_dir / "lm_evaluation" / "outputs" / "final"),
                                   "--dataset", str(built_dataset), "--out", str(out), "--n-boot", "0"])
    assert res.exit_code == 1 and "exists; pass --overwrite" in res.output


def test_score_needs_input(built_dataset):
    res = CliRunner().invoke(cli, ["score", "--dataset", str(built_dataset)])
    assert res.exit_code == 2 and "give run directories or ratings files (PATH ...) and/or --upstream-outputs DIR" in res.output


def test_score_refuses_a_folder_that_is_not_a_run(built_dataset, tmp_path):
    # Scoring real run directories end to end is tested in tests/test_runner_openai.py.
    res = CliRunner().invoke(cli, ["score", str(tmp_path), "--dataset", str(built_dataset)])
    assert res.exit_code == 1
    assert f"Error: {str(tmp_path)!r} is not a run directory: manifest.json is missing." in res.output


def test_plot(scored, tmp_path):
    _, out = scored
    png = tmp_path / "radar.png"
    res = CliRunner().invoke(cli, ["plot", str(out / "leaderboard.json"), "--out", str(png),
                                   "--models", "gpt-4o-2024-11-20,human raters"])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    svg = tmp_path / "bfi.svg"
    res = CliRunner().invoke(cli, ["plot", str(out / "llama-3.1-8b-instruct_scores.json"), "--out", str(svg),
                                   "--family", "bfi"])
    assert res.exit_code == 0 and "Neuroticism" in svg.read_text()
    res = CliRunner().invoke(cli, ["plot", str(out / "leaderboard.json"), "--out", str(tmp_path / "x.png"),
                                   "--models", "nobody"])
    assert res.exit_code == 1 and "--models ['nobody'] not in the scores" in res.output
    res = CliRunner().invoke(cli, ["plot", str(out / "leaderboard.json"), "--out", str(tmp_path / "x.gif")])
    assert res.exit_code == 1 and "written as .png, .svg or .pdf" in res.output and not (tmp_path / "x.gif").exists()


def test_plot_kinds(scored, tmp_path):
    """radar (5 portraits: the default up to 8), heatmap and multiples; matplotlib's SVG keeps each text as a
    comment, so what the figure says can be read back."""
    import json

    _, out = scored
    board = json.loads((out / "leaderboard.json").read_text())
    for kind, says in [("auto", "Radial scale of every chart"), ("heatmap", "Value in parentheses: its interval"),
                       ("multiples", "Grey line in every panel: the human raters")]:
        svg = tmp_path / f"{kind}.svg"
        res = CliRunner().invoke(cli, ["plot", str(out), "--kind", kind, "--out", str(svg)])
        assert res.exit_code == 0, res.output
        text = svg.read_text()
        assert says in text, kind
        # llama's real reliability record says unreliable (profile reliability 0.46 < 0.7, p 0.13): labelled in every kind
        assert board["reliability"]["llama-3.1-8b-instruct"]["reliable"] is False
        assert "llama-3.1-8b-instruct (unreliable" in text
        assert "95% intervals over prompt variants (models); over raters (human raters)" in text
    cell = board["models"]["gpt-4o-2024-11-20"]["pvq"]["Benevolence"]  # its interval excludes 0: no parentheses
    assert cell["ci_low"] > 0 and f"{cell['score']:+.2f}" in (tmp_path / "heatmap.svg").read_text()
    res = CliRunner().invoke(cli, ["plot", str(out), "--kind", "heatmap", "--order-by", "Nope",
                                   "--out", str(tmp_path / "h.png")])
    assert res.exit_code == 1 and "order by 'Nope': not a dimension of pvq" in res.output


# Five items that each measure exactly one dimension, all in the Big Five, in the default selection of the
# built dataset (published correlations, rho > 0.3, p < 0.05, mode pos): 4050-5 Openness, 4044-2
# Conscientiousness, 3055-4 Extraversion, 2041-3 Agreeableness, 1029-3 Neuroticism.
#: The hand-made ratings of docs/metric.md's example (examples/hand.csv: 5 Big Five items, made by hand).
HAND_MADE_CSV = (Path(__file__).resolve().parents[1] / "examples" / "hand.csv").read_text(encoding="utf-8")


def test_score_a_ratings_csv(built_dataset, tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text(HAND_MADE_CSV)
    res = CliRunner().invoke(cli, ["score", str(path), "--dataset", str(built_dataset), "--n-boot", "0",
                                   "--no-humans", "--out", str(tmp_path / "scores")])
    assert res.exit_code == 0, res.output
    board = pd.read_csv(tmp_path / "scores" / "leaderboard.csv").set_index(["family", "dimension"])
    bfi = board.loc["bfi"]
    # Hand computation. Item means: 4050-5 = 6 (the empty v2 rating is an unparseable answer, ignored),
    # 4044-2 = 5, 3055-4 = 4, 2041-3 = (2 + 4) / 2 = 3, 1029-3 = 2. Family mean = (6 + 5 + 4 + 3 + 2) / 5 = 4.
    # Centred score = item mean - 4; one item per dimension, so n = 1 and std = 0.
    assert bfi["raw_mean"].to_dict() == {"Openness": 6.0, "Conscientiousness": 5.0, "Extraversion": 4.0,
                                         "Agreeableness": 3.0, "Neuroticism": 2.0}
    assert bfi["score"].to_dict() == {"Openness": 2.0, "Conscientiousness": 1.0, "Extraversion": 0.0,
                                      "Agreeableness": -1.0, "Neuroticism": -2.0}
    assert (bfi["family_mean"] == 4.0).all() and (bfi["n"] == 1).all() and (bfi["std"] == 0.0).all()
    # no rated item measures a Schwartz value: null scores with a note
    pvq = board.loc["pvq"]
    assert pvq["score"].isna().all() and (pvq["n"] == 0).all()
    assert pvq.loc["Benevolence", "note"] == "no rated item measures Benevolence"
    assert "Openness               +2.00" in res.output and "Neuroticism †          -2.00" in res.output
    assert "Big Five (BFI-10): centred score (no intervals: the portraits' notes say why)" in res.output
    # one rating per item: no interval over prompt variants (a note in the CSV), and the coverage says partial
    assert bfi["ci_low"].isna().all() and "needs >= 2 ratings per item" in bfi.loc["Openness", "note"]
    assert "hand-made: rated 6 of 1,040 requests (0.6%)" in res.output  # 520 items x 2 variants
    assert "hand-made: the portrait is partial" in res.output and "19 dimension(s) have fewer items than the full benchmark: pvq/Self_Direction 0 of 11" in res.output  # 11: docs/metric.md


def test_score_a_bad_ratings_file(built_dataset, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HAND_MADE_CSV.replace("hand-made,3055-4,v1,,4", "hand-made,3055-4,v1,,kinda like me"))
    res = CliRunner().invoke(cli, ["score", str(path), "--dataset", str(built_dataset)])
    assert res.exit_code == 1
    assert (f"Error: ratings {str(path)!r}, line 5, column 'rating': 'kinda like me' is not a rating; expected a "
            "number 1-6 or a Likert phrase ('very much like me', 'like me', 'somewhat like me', 'a little like me', "
            "'not like me', 'not like me at all'), or an empty value for an unparseable answer\n") in res.output


@pytest.fixture(scope="module")
def gpt4o_csv(raw_dir, tmp_path_factory):
    """gpt-4o's released ratings (all 6 variants) as a ratings file."""
    from valueportrait.ratings.upstream import read_upstream_outputs

    r = read_upstream_outputs(raw_dir / "lm_evaluation" / "outputs" / "final" / "openai")
    path = tmp_path_factory.mktemp("gpt4o") / "gpt4o.csv"
    r[["model", "item_id", "variant", "persona", "rating"]].to_csv(path, index=False)
    return path


def test_a_doubled_file_is_refused_or_gives_the_single_files_intervals(built_dataset, gpt4o_csv, tmp_path):
    """Issue 21: every row twice shrank Self-Direction's CI (df 42 -> 93) silently. Now an error naming the
    keys and the file; with --duplicates first (or mean: identical copies) exactly the single file's leaderboard;
    the same file given twice is refused."""
    doubled = tmp_path / "doubled.csv"
    doubled.write_text(gpt4o_csv.read_text() + "".join(gpt4o_csv.read_text().splitlines(keepends=True)[1:]))
    run = lambda *a: CliRunner().invoke(cli, ["score", *a, "--dataset", str(built_dataset), "--no-humans"])  # noqa: E731
    res = run(str(doubled))
    assert res.exit_code == 1
    assert "Error: 3,120 rating(s) repeat a request already rated (model, persona, item, variant)" in res.output
    assert "doubled.csv" in res.output and "--duplicates first" in res.output
    single = run(str(gpt4o_csv), "--out", str(tmp_path / "single"))
    assert single.exit_code == 0, single.output
    for policy in ("first", "mean"):
        res = run(str(doubled), "--duplicates", policy, "--out", str(tmp_path / policy))
        assert res.exit_code == 0, res.output
        assert res.output.startswith("Missing or failed ratings: 0 of 3120")
        assert "Duplicates: 3,120 rating(s) repeated a request already rated" in res.output
        got = json.loads((tmp_path / policy / "leaderboard.json").read_text())
        want = json.loads((tmp_path / "single" / "leaderboard.json").read_text())
        assert got["models"] == want["models"] and got["meta"]["duplicates_removed"] == 3120
        assert "rated 3,120 of 3,120 requests (100.0%)" in res.output
    twice = run(str(gpt4o_csv), str(gpt4o_csv.parent / ".." / gpt4o_csv.parent.name / gpt4o_csv.name))
    assert twice.exit_code == 1 and "given twice" in twice.output


def test_each_persona_is_its_own_portrait(built_dataset, gpt4o_csv, tmp_path):
    """A 2-persona run was pooled as one model ('6,240 of 6,240'); now one portrait per persona, named
    'model [persona]' in the printed tables and leaderboard.json, with coverage per persona. Both personas
    carry gpt-4o's ratings, so each portrait equals gpt-4o's own."""
    r = pd.read_csv(gpt4o_csv)
    two = pd.concat([r.assign(persona="a woman"), r.assign(persona="a man")])
    path = tmp_path / "personas.csv"
    two.to_csv(path, index=False)
    res = CliRunner().invoke(cli, ["score", str(path), "--dataset", str(built_dataset), "--no-humans",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "gpt-4o-2024-11-20 [a man]: rated 3,120 of 3,120 requests (100.0%)" in res.output
    assert "gpt-4o-2024-11-20 [a woman]: rated 3,120 of 3,120 requests (100.0%)" in res.output
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert list(board["models"]) == ["gpt-4o-2024-11-20 [a man]", "gpt-4o-2024-11-20 [a woman]"]
    assert board["coverage"]["gpt-4o-2024-11-20 [a man]"]["share"] == 1.0
    assert board["coverage"]["gpt-4o-2024-11-20 [a man]"]["partial"] is False
    assert set(board["reliability"]) == set(board["models"])
    bene = board["models"]["gpt-4o-2024-11-20 [a woman]"]["pvq"]["Benevolence"]
    # gpt-4o's Benevolence (docs/metric.md): +0.53 [0.32, 0.75] over prompt variants, t-analytic
    assert (round(bene["score"], 2), round(bene["ci_low"], 2), round(bene["ci_high"], 2)) == (0.53, 0.32, 0.75)
    assert (bene["ci_over"], bene["ci_method"]) == ("variants", "t-analytic")
