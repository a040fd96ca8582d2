"""`valueportrait cohort` from the other kinds of input (issue 23): run directories of `valueportrait run` (the
dataset found from their manifests, from another folder: the path mended in commit 1fac002) and a leaderboard.json
of `valueportrait score --out` (a cohort of scores: what needs no item ratings)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.errors import InputError
from valueportrait.settings import Intervals, UpstreamOutputs

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

MODELS = ("claude-3-5-sonnet-20241022", "gemini-2.0-flash-001", "gpt-4o-2024-11-20", "llama-3.1-8b-instruct")


@pytest.fixture(scope="module")
def outputs(raw_dir):
    return raw_dir / "lm_evaluation/outputs/final"


@pytest.fixture(scope="module")
def reference_cohort(outputs, built_dataset):
    """The cohort of the 4 released models read from upstream's output files (tests/test_cohort.py checks it
    against an independent computation)."""
    from valueportrait.pipelines.cohort import run_cohort

    return run_cohort([UpstreamOutputs(outputs)], dataset=built_dataset, intervals=Intervals(n_boot=100))


def _run_dirs(outputs, built_dataset, folder):
    """One run directory per released model, written by the runner's own log writer (RunLog) from the model's
    upstream answers as parsed by valueportrait, its manifest naming the dataset by a relative name that does
    not resolve from the test's folder and by its absolute path (as `valueportrait run` records it)."""
    from valueportrait.ratings.sources import read_sources
    from valueportrait.runner.rundir import RunLog

    ratings, _, _ = read_sources([UpstreamOutputs(outputs)])
    runs = []
    for model, rows in ratings.groupby("model", sort=True):
        manifest = {"format": "valueportrait-run", "format_version": 1, "model": model, "backend": "openai",
                    "variants": sorted(rows["variant"].unique()), "personas": [], "sessions": [],
                    "dataset_source": "valueportrait", "dataset_revision": None,
                    "dataset_path": str(built_dataset.absolute())}
        run = folder / f"run-{model}"
        with RunLog.open(run, manifest) as log:
            for r in rows.itertuples():
                rated = r.rating == r.rating
                log.append({"item_id": r.item_id, "variant": r.variant, "persona": None,
                            "status": "rated" if rated else "unparseable",
                            "rating": float(r.rating) if rated else None, "raw": str(r.response), "error": None})
        runs.append(run)
    return runs


def test_cohort_from_run_directories_finds_the_dataset_from_another_folder(outputs, built_dataset, tmp_path,
                                                                           monkeypatch, reference_cohort):
    runs = _run_dirs(outputs, built_dataset, tmp_path / "runs")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # "valueportrait" (the manifest's dataset_source) does not exist here
    res = CliRunner().invoke(cli, ["cohort", *map(str, runs), "--n-boot", "100", "--out", "c"])
    assert res.exit_code == 0, res.output
    assert "Cohort of 4 models" in res.output and "Diversity" in res.output
    assert "coverage in simulation under the release's design" in res.output  # the interval's caveat, printed
    got = json.loads((elsewhere / "c" / "cohort.json").read_text())
    assert all("caveat" in row for row in got["diversity"])  # ... and in the JSON, per family
    assert "coverage in simulation" in (elsewhere / "c" / "cohort.md").read_text()
    assert got["meta"]["dataset"] == str(built_dataset.absolute())
    # the same answers as the upstream files: the same scores (to 1e-12), model by model and on average
    for model in MODELS:
        want = reference_cohort.scores.loc[model].to_numpy()
        have = np.array([got["scores"][model][c] for c in reference_cohort.scores.columns], dtype=float)
        assert np.allclose(have, want, atol=1e-12, equal_nan=True)
    means = [r["cohort_mean"] for r in got["dimensions"]]
    assert np.allclose(means, reference_cohort.table["cohort_mean"], atol=1e-12)


@pytest.fixture(scope="module")
def board(outputs, built_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("scored") / "scores"
    res = CliRunner().invoke(cli, ["score", "--upstream-outputs", str(outputs), "--dataset", str(built_dataset),
                                   "--n-boot", "50", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out / "leaderboard.json"


def test_cohort_from_a_leaderboard(board, reference_cohort, tmp_path):
    res = CliRunner().invoke(cli, ["cohort", str(board), "--focus", "gpt-4o-2024-11-20", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "their scores only" in res.output and "need item ratings" in res.output
    assert "Diversity" not in res.output and "3 of 4" in res.output  # gpt-4o's rank on Self-Direction
    got = json.loads((tmp_path / "c" / "cohort.json").read_text())
    assert got["meta"]["item_level"] is False and got["diversity"] is None
    rows = got["dimensions"]
    # the leaderboard's portraits are the scores the ratings give: the same cohort means and humans (1e-12);
    # the t interval over models is scipy's on them; what needs item ratings is absent, not made up
    assert np.allclose([r["cohort_mean"] for r in rows], reference_cohort.table["cohort_mean"], atol=1e-12)
    assert np.allclose([r["human"] for r in rows], reference_cohort.table["human"], atol=1e-12)
    assert np.allclose([r["ci_low"] for r in rows], reference_cohort.table["ci_low"], atol=1e-12)
    assert all(r["ci_low_im"] is None and r["p_holm"] is None for r in rows)


def test_a_leaderboard_is_a_cohort_on_its_own(board, outputs):
    res = CliRunner().invoke(cli, ["cohort", str(board), "--upstream-outputs", str(outputs)])
    assert res.exit_code == 1 and "give it alone" in res.output
    res = CliRunner().invoke(cli, ["cohort", str(board.parent), "--threshold", "0.2"])  # the --out folder
    assert res.exit_code == 1 and "its own selection" in res.output


def test_build_info_fingerprints_the_outputs_of_reference_portraits(raw_dir, built_dataset):
    """build_info lists every output file scored for reference_portraits with its size and sha256, and one sha256
    over them that coreutils' sha256sum reproduces (the listing `sha256sum` prints, sorted by path, hashed again);
    `valueportrait info` prints it."""
    import hashlib
    import shutil
    import subprocess

    from valueportrait.dataset import dataset_of

    fp = dataset_of(built_dataset).build_info["reference_portraits"]["outputs"]
    folder = raw_dir / "lm_evaluation/outputs"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*_results.json"))
    assert [f["path"] for f in fp["files"]] == files and fp["n_files"] == len(files) == 24
    assert fp["files"][0]["sha256"] == hashlib.sha256((folder / files[0]).read_bytes()).hexdigest()
    assert fp["bytes"] == sum((folder / f).stat().st_size for f in files)
    if shutil.which("sha256sum"):
        listing = subprocess.run(["sha256sum", *files], cwd=folder, capture_output=True, check=True).stdout
        assert fp["sha256"] == hashlib.sha256(listing).hexdigest()
    res = CliRunner().invoke(cli, ["info", "--dataset", str(built_dataset)])
    assert res.exit_code == 0, res.output
    assert f"Reference portraits: 4 released models and the human raters, scored from lm_evaluation/outputs: " \
           f"24 files, {fp['bytes'] / 1e6:.1f} MB, sha256 {fp['sha256']}" in res.output


def test_size_contrast_by_a_numeric_column(board, tmp_path):
    """--by COLUMN --split X: the models above X minus those at or below it, Welch's t as scipy computes it on the
    same scores; a model with no value is left out and counted; a non-number is an error naming the model."""
    from scipy import stats

    from valueportrait.analysis.cohort import group_contrasts
    from valueportrait.pipelines.cohort import Contrast

    groups = tmp_path / "sizes.csv"
    groups.write_text("model,params\nclaude-3-5-sonnet-20241022,100\ngemini-2.0-flash-001,\n"
                      "gpt-4o-2024-11-20,200\nllama-3.1-8b-instruct,8\n")
    res = CliRunner().invoke(cli, ["cohort", str(board), "--groups", str(groups), "--by", "params", "--split", "50",
                                   "--out", str(tmp_path / "c")])
    # one model at or below 50 (llama 8): the contrast needs two per group, and says so
    assert res.exit_code == 1 and "at least 2 models in each group" in res.output
    rng = np.random.default_rng(0)
    names = ["a", "b", "c", "d", "e"]
    scores = pd.DataFrame(rng.normal(size=(5, 19)), index=names)
    table = pd.DataFrame({"params": [7.0, 24.0, 70.0, 405.0, None]}, index=names)
    labels, values = Contrast("sizes.csv", "params", split=50).groups(table)
    assert values == ("> 50", "<= 50") and labels.tolist() == ["<= 50", "<= 50", "> 50", "> 50", "unknown"]
    out = group_contrasts(scores, labels, values=values)
    ref = stats.ttest_ind(scores.loc[["c", "d"], 0], scores.loc[["a", "b"], 0], equal_var=False)
    assert out.loc[0, "p"] == pytest.approx(ref.pvalue) and out.loc[0, "n_left_out"] == 1
    table = table.astype(object)
    table.loc["e", "params"] = "about 8"
    with pytest.raises(InputError, match="--split needs numbers in column 'params'; model.s. e have 'about 8'"):
        Contrast("sizes.csv", "params", split=50).groups(table)


def test_a_malformed_leaderboard_is_an_error_naming_the_model(tmp_path):
    bad = tmp_path / "leaderboard.json"
    bad.write_text(json.dumps({"meta": {}, "models": {"a": {"pvq": {}}, "b": {"pvq": {}}, "c": [1, 2]}}))
    res = CliRunner().invoke(cli, ["cohort", str(bad)])
    assert res.exit_code == 1 and "models['c'] is not a portrait" in res.output and "Traceback" not in res.output
