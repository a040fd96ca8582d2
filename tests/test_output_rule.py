"""The one output rule (src/valueportrait/outputs.py), case by case as issue 19 reproduced them.

Each case is a reproduction from the issue: the command must refuse (``Error: ...``, exit 1) and leave every file
as it was, or replace only what it wrote. The ratings and demographics are SYNTHETIC (random integers over the
real item ids), made here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.errors import OutputExistsError
from valueportrait.outputs import MARKER, check_output, clean_stale, output_folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def inp(built_dataset, tmp_path_factory) -> dict[str, Path]:
    """Synthetic persona ratings (random 1..6) of every item, two personas, one variant; synthetic demographics
    (random sex over the real participant ids); the persona map; the built dataset."""
    root = tmp_path_factory.mktemp("outrule")
    rng = np.random.default_rng(5)
    items = pd.read_parquet(next((built_dataset / "items").glob("*.parquet")))["item_id"]
    pids = pd.read_parquet(next((built_dataset / "participants").glob("*.parquet")))["participant_id"]
    pd.DataFrame({"participant_id": pids, "sex": rng.choice(["f", "m"], len(pids))}).to_csv(root / "demo.csv",
                                                                                          index=False)
    (root / "personas.json").write_text(json.dumps({"a": "sex=f", "b": "sex=m"}))
    frame = pd.concat([pd.DataFrame({"model": "m", "item_id": items, "variant": "v1", "persona": p,
                                     "rating": rng.integers(1, 7, len(items))}) for p in ("a", "b")])
    frame.to_csv(root / "persona_ratings.csv", index=False)
    return {"root": root, "ratings": root / "persona_ratings.csv", "dataset": built_dataset}


def deviation(inp: dict[str, Path], out, *extra: str, ratings: Path | None = None):
    root = inp["root"]
    return CliRunner().invoke(cli, ["deviation", "--dataset", str(inp["dataset"]),
                                    "--ratings", str(ratings or inp["ratings"]), "--demographics",
                                    str(root / "demo.csv"), "--attribute", "sex=sex", "--persona-map",
                                    str(root / "personas.json"), "--out", str(out), "--no-plot", "--n-boot", "20",
                                    "--n-perm", "20", *extra])


def test_deviation_overwrite_never_deletes_its_input_or_foreign_files(inp, tmp_path):
    # the HIGH case: --out DIR --overwrite deleted DIR with the ratings, notes.txt and thesis/ in it
    home = tmp_path / "home"
    (home / "thesis").mkdir(parents=True)
    (home / "thesis" / "ch1.tex").write_text("years of work")
    (home / "notes.txt").write_text("notes")
    mine = home / "persona_ratings.csv"
    mine.write_bytes(inp["ratings"].read_bytes())
    before = snapshot(home)
    res = deviation(inp, home, "--overwrite", ratings=mine)
    assert res.exit_code == 1 and res.stderr.startswith("Error: --out ")
    assert "holds the input" in res.stderr and "internal error" not in res.output
    assert snapshot(home) == before
    # without the input inside: a folder no valueportrait command wrote is refused, and nothing is touched
    mine.unlink()
    before = snapshot(home)
    res = deviation(inp, home, "--overwrite")
    assert res.exit_code == 1
    assert "--overwrite replaces only a folder that `valueportrait deviation` wrote" in res.stderr
    assert snapshot(home) == before


def test_deviation_replaces_its_own_output_but_not_added_files(inp, tmp_path):
    out = tmp_path / "dev"
    assert deviation(inp, out).exit_code == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["command"] == "deviation" and "settings.json" in marker["files"]
    res = deviation(inp, out)
    assert res.exit_code == 1 and "exists; pass --overwrite" in res.stderr
    assert deviation(inp, out, "--overwrite").exit_code == 0
    (out / "my_analysis.ipynb").write_text("{}")
    before = snapshot(out)
    res = deviation(inp, out, "--overwrite")
    assert res.exit_code == 1 and "also holds my_analysis.ipynb, which --overwrite would delete" in res.stderr
    assert snapshot(out) == before


@pytest.mark.parametrize("name", [".", ".."])
def test_deviation_out_dot_and_dotdot(inp, tmp_path, monkeypatch, name):
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("k")
    monkeypatch.chdir(work)
    for extra in ((), ("--overwrite",)):
        res = deviation(inp, name, *extra)
        assert res.exit_code == 1 and "internal error" not in res.output
        assert f"--out {name!r} does not name a folder of its own" in res.stderr
    assert (work / "keep.txt").read_text() == "k"


def test_deviation_out_symlink(inp, tmp_path):
    target = tmp_path / "real"
    assert deviation(inp, target).exit_code == 0
    link = tmp_path / "dl"
    link.symlink_to(target, target_is_directory=True)
    before = snapshot(target)
    res = deviation(inp, link, "--overwrite")
    assert res.exit_code == 1 and "is a symbolic link" in res.stderr and "internal error" not in res.output
    assert link.is_symlink() and snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dl", "real"]  # no .dl.old-PID, no staging left


# -- the rule itself ---------------------------------------------------------------------------------------------

def test_rule_order_and_messages(tmp_path, monkeypatch):
    inp = tmp_path / "in.csv"
    inp.write_text("x")
    with pytest.raises(OutputExistsError, match="is the input"):
        check_output(inp, overwrite=True, command="compare", inputs=[inp], folder=False)
    with pytest.raises(OutputExistsError, match="holds the input"):
        check_output(tmp_path, overwrite=True, command="score", inputs=[inp])
    with pytest.raises(OutputExistsError, match="lies inside the input"):
        check_output(tmp_path / "in.csv" / "x", overwrite=True, command="score", inputs=[tmp_path])
    with pytest.raises(OutputExistsError, match="300 bytes long; file systems allow at most 255"):
        check_output(tmp_path / ("m" * 300), overwrite=False, command="score")
    check_output(tmp_path / "new", overwrite=False, command="score")  # absent: fine
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty", overwrite=False, command="score")  # empty: nothing to lose
    monkeypatch.chdir(tmp_path / "empty")
    with pytest.raises(OutputExistsError, match="is \\(or holds\\) the current folder"):
        check_output(tmp_path / "empty", overwrite=True, command="score")


def test_a_folder_of_another_command_is_not_replaced(tmp_path):
    out = tmp_path / "o"
    with output_folder(out, overwrite=False, command="score") as tmp:
        (tmp / "leaderboard.csv").write_text("x")
    with pytest.raises(OutputExistsError, match="`valueportrait deviation` wrote"):
        check_output(out, overwrite=True, command="deviation")
    check_output(out, overwrite=True, command="score")


def test_a_failed_write_leaves_the_previous_output(tmp_path):
    out = tmp_path / "o"
    with output_folder(out, overwrite=False, command="score") as tmp:
        (tmp / "a.csv").write_text("old")
    with pytest.raises(RuntimeError), output_folder(out, overwrite=True, command="score") as tmp:
        (tmp / "a.csv").write_text("new")
        raise RuntimeError("killed half way")
    assert (out / "a.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # staging and lock removed


def test_stale_staging_of_a_dead_writer_is_removed(tmp_path):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    out = tmp_path / "scores"
    stale = tmp_path / f".scores.tmp-{proc.pid}-abc"
    stale.mkdir()
    (stale / "leaderboard.csv").write_text("half")
    stale_file = tmp_path / f".report.html.tmp-{proc.pid}-x.tmp.html"
    stale_file.write_text("half")
    with pytest.warns(UserWarning, match="left by an interrupted score"):
        said = clean_stale(out, what="score")
    assert len(said) == 1 and not stale.exists()
    with pytest.warns(UserWarning, match="left by an interrupted report"):
        clean_stale(tmp_path / "report.html", what="report")
    assert not stale_file.exists()
    assert os.listdir(tmp_path) == []
