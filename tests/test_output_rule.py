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
from valueportrait.outputs import MARKER, check_output
from valueportrait.staging import clean_stale, output_folder


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


# -- single files: compare --json, plot --out, report --out; run --export-upstream ------------------------------

@pytest.fixture(scope="module")
def two_models(inp) -> Path:
    """Synthetic ratings (random 1..6) of two models under three variants (no personas)."""
    rng = np.random.default_rng(8)
    items = pd.read_csv(inp["ratings"])["item_id"].unique()
    frame = pd.concat([pd.DataFrame({"model": m, "item_id": items, "variant": v,
                                     "rating": rng.integers(1, 7, len(items))})
                       for m in ("m1", "m2") for v in ("v1", "v2", "v3")])
    path = inp["root"] / "two.csv"
    frame.to_csv(path, index=False)
    return path


def compare(inp, ratings: Path, json_path: Path, *extra: str):
    return CliRunner().invoke(cli, ["compare", str(ratings), "--dataset", str(inp["dataset"]), "--baseline", "m1",
                                    "--json", str(json_path), *extra])


def test_compare_json_never_replaces_its_input_or_a_foreign_file(inp, two_models, tmp_path):
    mine = tmp_path / "two.csv"
    mine.write_bytes(two_models.read_bytes())
    for extra in ((), ("--overwrite",)):  # the issue: --json two.csv replaced the ratings with JSON
        res = compare(inp, mine, mine, *extra)
        assert res.exit_code == 1 and "--json " in res.stderr and "is the input" in res.stderr
    assert mine.read_bytes() == two_models.read_bytes()
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}')
    res = compare(inp, two_models, notes)
    assert res.exit_code == 1 and "exists; pass --overwrite" in res.stderr
    res = compare(inp, two_models, notes, "--overwrite")
    assert res.exit_code == 1 and "replaces only a file that valueportrait wrote" in res.stderr
    assert notes.read_text() == '{"mine": 1}'
    out = tmp_path / "cmp.json"
    assert compare(inp, two_models, out).exit_code == 0
    assert json.loads(out.read_text())["generator"] == "valueportrait"
    assert compare(inp, two_models, out).exit_code == 1
    assert compare(inp, two_models, out, "--overwrite").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.json", "notes.json", "two.csv"]  # no temp file left


def test_plot_out_refuses_silent_overwrites(inp, two_models, tmp_path, built_dataset):
    # the issue: plot --out overwrote silently while build/score/report refused
    scores = tmp_path / "scores"
    res = CliRunner().invoke(cli, ["score", str(two_models), "--dataset", str(built_dataset), "--out", str(scores),
                                   "--n-boot", "0", "--no-humans"])
    assert res.exit_code == 0, res.output
    photo = tmp_path / "holiday.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n my photo")
    for extra, said in (((), "exists; pass --overwrite"), (("--overwrite",), "replaces only a file that valueportrait")):
        res = CliRunner().invoke(cli, ["plot", str(scores), "--out", str(photo), *extra])
        assert res.exit_code == 1 and said in res.stderr
    assert photo.read_bytes() == b"\x89PNG\r\n\x1a\n my photo"
    for suffix in ("png", "svg", "pdf"):
        chart = tmp_path / f"chart.{suffix}"
        assert CliRunner().invoke(cli, ["plot", str(scores), "--out", str(chart)]).exit_code == 0
        assert CliRunner().invoke(cli, ["plot", str(scores), "--out", str(chart)]).exit_code == 1
        res = CliRunner().invoke(cli, ["plot", str(scores), "--out", str(chart), "--overwrite"])
        assert res.exit_code == 0, res.output  # the chart carries the generator mark
    res = CliRunner().invoke(cli, ["plot", str(scores), "--out", str(scores / "x.png")])
    assert res.exit_code == 1 and "lies inside the input" in res.stderr


def test_report_out_refuses_a_page_it_did_not_write(inp, two_models, tmp_path, built_dataset):
    scores = tmp_path / "scores"
    assert CliRunner().invoke(cli, ["score", str(two_models), "--dataset", str(built_dataset), "--out", str(scores),
                                    "--n-boot", "0", "--no-humans"]).exit_code == 0
    page = tmp_path / "index.html"
    page.write_text("<html>my site</html>")
    res = CliRunner().invoke(cli, ["report", str(scores), "--out", str(page), "--overwrite"])
    assert res.exit_code == 1 and "replaces only a file that valueportrait wrote" in res.stderr
    assert page.read_text() == "<html>my site</html>"
    page.unlink()
    assert CliRunner().invoke(cli, ["report", str(scores), "--out", str(page)]).exit_code == 0
    assert CliRunner().invoke(cli, ["report", str(scores), "--out", str(page), "--overwrite"]).exit_code == 0


def test_export_upstream_never_replaces_released_files(inp, raw_dir, tmp_path):
    # the issue: --export-upstream DIR replaced a released 520-record _v1_results.json with a 3-record file
    released = tmp_path / "final" / "openai"
    released.mkdir(parents=True)
    src = next((raw_dir / "lm_evaluation" / "outputs" / "final" / "openai").glob("*_v1_results.json"))
    (released / src.name).write_bytes(src.read_bytes())
    before = snapshot(tmp_path / "final")
    for extra in ((), ("--overwrite-export",)):
        res = CliRunner().invoke(cli, ["run", "--dataset", str(inp["dataset"]), "--model", "m",
                                       "--base-url", "http://127.0.0.1:9/v1", "--out", str(tmp_path / "run"),
                                       "--export-upstream", str(released), *extra])
        assert res.exit_code == 1 and res.stderr.startswith("Error: ")
        assert ("exists; pass --overwrite-export" if not extra else "`valueportrait run --export-upstream` wrote") \
            in res.stderr
    assert snapshot(tmp_path / "final") == before
    assert not (tmp_path / "run").exists()  # refused before the run started


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_publish_clones_leaked_by_kill_9_are_removed(tmp_path, monkeypatch):
    # the issue: kill -9 during publish leaked valueportrait-publish-* clones in the system temp folder (9 of 19)
    import tempfile

    from valueportrait.hub.git_target import SCRATCH_PREFIX, GitTarget

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    leaked = tmp_path / f"{SCRATCH_PREFIX}{_dead_pid()}-abc"
    (leaked / "clone").mkdir(parents=True)
    live = tmp_path / f"{SCRATCH_PREFIX}{os.getppid()}-def"  # a publish still running: kept
    live.mkdir()
    other = tmp_path / "valueportrait-publish-xyz"  # no pid in the name: not ours to judge
    other.mkdir()
    with GitTarget(f"file://{tmp_path / 'repo.git'}") as target:
        mine = Path(target._tmp)
        assert mine.name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-") and mine.is_dir()
        assert not leaked.exists() and live.exists() and other.exists()
    assert not mine.exists()


# -- a full disk, two writers, leftovers ------------------------------------------------------------------------

def _no_space(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def score(two_models: Path, dataset: Path, out: Path, *extra: str):
    return CliRunner().invoke(cli, ["score", str(two_models), "--dataset", str(dataset), "--out", str(out),
                                    "--n-boot", "0", "--no-humans", *extra])


def test_full_disk_says_so_and_keeps_the_previous_output(inp, two_models, tmp_path, monkeypatch):
    # the issue: on a 3 MB tmpfs `score` left leaderboard.csv alone, or a mix of new and old files, and said
    # "internal error". Here every fsync fails with ENOSPC, as a full disk fails a write.
    out = tmp_path / "scores"
    assert score(two_models, inp["dataset"], out).exit_code == 0
    before = snapshot(out)
    monkeypatch.setattr(os, "fsync", _no_space)
    res = score(two_models, inp["dataset"], out, "--overwrite")
    assert res.exit_code == 1 and "internal error" not in res.output
    assert res.stderr.startswith(f"Error: no space left on the device of '{out}'")
    assert "any previous output is unchanged" in res.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores"]  # no staging folder, no lock file left
    cmp = tmp_path / "cmp.json"
    res = compare(inp, two_models, cmp)
    assert res.exit_code == 1 and res.stderr.startswith(f"Error: no space left on the device of '{cmp}'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores"]


def test_full_disk_anywhere_is_not_called_a_bug(monkeypatch, tmp_path):
    # the CLI's last line of defence: an ENOSPC outside the staged writes is still a clear error
    import valueportrait.outputs as outputs

    monkeypatch.setattr(outputs, "check_output", _no_space)
    res = CliRunner().invoke(cli, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 1 and res.stderr.startswith("Error: no space left on the device")
    assert "internal error" not in res.output


def test_two_writers_of_one_folder(inp, two_models, tmp_path):
    # the issue: two concurrent scores on one folder had no lock (1 of 6 left a stale score file)
    out = tmp_path / "scores"
    with output_folder(out, overwrite=False, command="score") as staged:  # a first writer, still running
        (staged / "leaderboard.csv").write_text("first")
        res = score(two_models, inp["dataset"], out)
        assert res.exit_code == 1 and f"Error: '{out}' is being written by `valueportrait score` (pid " in res.stderr
    assert (out / "leaderboard.csv").read_text() == "first"
    assert not (tmp_path / ".scores.lock").exists()


def test_score_says_when_a_run_log_has_a_torn_last_line(tmp_path, built_dataset):
    from valueportrait.dataset import open_dataset
    from valueportrait.runner.prompts import fingerprint
    from valueportrait.runner.rundir import RunLog

    data = open_dataset(built_dataset)
    run = tmp_path / "run"
    manifest = {"format": "valueportrait-run", "format_version": 1, "model": "m", "backend": "openai",
                "temperature": 0.0, "max_tokens": 64, "seed": 42, "variants": ["v1"], "personas": [],
                "persona_template": None, "dataset_fingerprint": fingerprint(data.items, data.prompts),
                "scoring": "generation+parse", "sessions": []}
    with RunLog.open(run, manifest) as log:
        for iid in data.items["item_id"][:5]:
            log.append({"item_id": iid, "variant": "v1", "persona": None, "status": "rated", "rating": 4.0,
                        "raw": "Somewhat like me"})
    torn = b'{"item_id": "1003-2", "variant": "v1", "sta'  # kill -9 mid-line
    with open(run / "records.jsonl", "ab") as fh:
        fh.write(torn)
    res = CliRunner().invoke(cli, ["score", str(run), "--dataset", str(built_dataset), "--n-boot", "0",
                                   "--no-humans"])
    assert res.exit_code == 0, res.output
    assert "Warning: " in res.stderr and f"records.jsonl: the last line ({len(torn)} bytes) is torn" in res.stderr
