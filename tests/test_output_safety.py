"""What a build may write and replace, partial releases, crafted dataset folders, and the CLI's error lines.

The raw-release copies are made at test time from ``$VALUEPORTRAIT_RAW`` (nothing of it is in the repo).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from valueportrait.builders import raw_release as rr
from valueportrait.builders.build import write_dataset
from valueportrait.builders.outfolder import check_output_folder, clean_stale_temp_folders
from valueportrait.cli.main import cli
from valueportrait.builders.release import from_release
from valueportrait.dataset import load_dataset, open_dataset
from valueportrait.errors import DatasetError, OutputExistsError, RawDataError

def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def earlier_build(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "build_info.json").write_text(json.dumps({"dataset_version": "0.9", "upstream": {}}), encoding="utf-8")
    (out / "README.md").write_text("old card\n", encoding="utf-8")


def build(*args: str):
    return CliRunner().invoke(cli, ["build", *args])


# -- --out and --overwrite ------------------------------------------------------------------------------------

@pytest.mark.parametrize("where, message", [
    ("raw", r"is the input .*; writing it would replace an input of `valueportrait build`"),
    ("raw/data", r"lies inside the input .*; `valueportrait build` never writes into its inputs"),
    ("parent", r"holds the input"),
])
def test_out_never_an_input_nor_around_one(release, where, message):
    out = {"raw": release, "raw/data": release / "data", "parent": release.parent}[where]
    before = snapshot(release)
    result = build("--raw", str(release), "--out", str(out), "--overwrite")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: --out ")
    import re
    assert re.search(message, result.stderr)
    assert snapshot(release) == before  # the raw release is untouched


def test_out_never_holds_the_demographics_file(release, tmp_path):
    demo = tmp_path / "private" / "demo.csv"
    demo.parent.mkdir()
    demo.write_text("participant_id,sex\nP001,f\n", encoding="utf-8")
    result = build("--raw", str(release), "--out", str(demo.parent), "--overwrite", "--demographics", str(demo))
    assert result.exit_code == 1 and "holds the input" in result.stderr and demo.read_text(encoding="utf-8")


def test_overwrite_refuses_a_folder_no_build_wrote(release, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = build("--raw", str(release), "--out", str(out), "--overwrite")
    assert result.exit_code == 1
    assert "--overwrite replaces only a folder that `valueportrait build` wrote" in result.stderr
    assert snapshot(out) == {"thesis.tex": b"years of work"}


def test_overwrite_refuses_a_build_with_foreign_files(tmp_path):
    out = tmp_path / "vp"
    earlier_build(out)
    (out / "scores.csv").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"also holds scores\.csv, which --overwrite would delete"):
        check_output_folder(out, True)


def test_out_dot_and_the_current_folder(release, tmp_path, monkeypatch):
    out = tmp_path / "vp"
    earlier_build(out)
    monkeypatch.chdir(out)
    result = build("--raw", str(release), "--out", ".", "--overwrite")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--out '.' does not name a folder of its own" in result.stderr
    with pytest.raises(OutputExistsError, match="is \\(or holds\\) the current folder"):
        check_output_folder(out, True)
    with pytest.raises(OutputExistsError, match="is \\(or holds\\) the current folder"):
        check_output_folder(tmp_path, True)
    assert snapshot(out)["README.md"] == b"old card\n"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temp_folders_are_removed_or_reported(tmp_path):
    out = tmp_path / "vp"
    dead = _dead_pid()
    stale = tmp_path / f".vp.tmp-{dead}-abc"          # a build killed mid-write: only what a build writes
    (stale / "items").mkdir(parents=True)
    (stale / "build_info.json").write_text("{}", encoding="utf-8")
    old_style = tmp_path / ".vp.tmp-x1y2"              # the name before pids were in it, older than this process
    old_style.mkdir()
    os.utime(old_style, (time.time() - 3600, time.time() - 3600))
    foreign = tmp_path / f".vp.tmp-{dead}-def"        # holds a file no build writes
    foreign.mkdir()
    (foreign / "notes.txt").write_text("?", encoding="utf-8")
    running = tmp_path / f".vp.tmp-{os.getppid()}-ghi"  # a live process's
    running.mkdir()
    swap = tmp_path / f".vp.old-{dead}"               # killed between the two renames: the only copy
    swap.mkdir()
    (tmp_path / ".vpx.tmp-1-a").mkdir()                # another output's: not ours to touch
    with pytest.warns(UserWarning) as caught:
        said = clean_stale_temp_folders(out)
    assert len(caught) == len(said) == 5
    assert not stale.exists() and not old_style.exists()
    assert foreign.exists() and running.exists() and swap.exists() and (tmp_path / ".vpx.tmp-1-a").exists()
    text = "\n".join(said)
    assert f"removed '{stale}', left by an interrupted build" in text
    assert f"'{running}' belongs to a build still running (pid {os.getppid()})" in text
    assert "holds files a build does not write; it is left alone" in text
    assert f"restore it with: mv '{swap}' '{out}'" in text


def test_stale_temp_folder_warning_on_the_cli(release, tmp_path):
    (tmp_path / "vp").mkdir()
    (tmp_path / "vp" / "mine.txt").write_text("mine")  # (an empty folder is written into: nothing to lose)
    (tmp_path / f".vp.tmp-{_dead_pid()}-abc").mkdir()
    result = build("--raw", str(release), "--out", str(tmp_path / "vp"))
    assert result.exit_code == 1 and "Error: the output folder" in result.stderr
    assert "Warning: removed '" in result.stderr and ".vp.tmp-" in result.stderr
    assert not any(p.name.startswith(".vp.tmp-") for p in tmp_path.iterdir())


def test_built_folder_follows_the_umask(release_data, tmp_path):
    old = os.umask(0o027)
    try:
        write_dataset(release_data, tmp_path / "vp")
    finally:
        os.umask(old)
    out = tmp_path / "vp"
    assert out.stat().st_mode & 0o777 == 0o750  # mkdtemp's 0700 widened to what the umask allows
    assert (out / "build_info.json").stat().st_mode & 0o777 == 0o640
    assert (out / "items").stat().st_mode & 0o777 == 0o750


# -- partial releases ---------------------------------------------------------------------------------------

def test_allow_partial_builds_and_records_what_is_missing(release):
    (release / rr.CORRELATION_FILES["bfi"]).unlink()
    groups = json.loads((release / rr.SURVEY_FILE).read_text(encoding="utf-8"))
    (release / rr.SURVEY_FILE).write_text(json.dumps(groups[:11]), encoding="utf-8")
    with pytest.raises(RawDataError, match="expected 12 survey groups, found 11"):
        from_release(release)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = from_release(release, allow_partial=True)
    partial = data.build_info["partial_release"]
    # group 12 of the release has 8 queries = 40 items (upstream survey.json); bfi: 5 dimensions
    assert len(partial) == 3
    assert "found 11 (1 missing" in partial[0] and "40 of 520 items have no ratings" in partial[1]
    assert "bfi_correlation_results.json is missing" in partial[2]
    assert sum("Building anyway (--allow-partial)" in str(w.message) for w in caught) == 3
    assert data.correlations.loc[data.correlations["family"] == "bfi", "rho_published"].isna().all()


# -- crafted dataset folders (the six tracebacks) -----------------------------------------------------

def _crafted(built: Path, tmp: Path, how: str) -> tuple[Path, str]:
    case = tmp / "ds"
    shutil.copytree(built, case)
    items = case / "items" / "test-00000-of-00001.parquet"
    if how == "empty config":
        items.unlink()
        return case, r"items' holds no parquet file\. Rebuild the dataset"
    if how == "not parquet":
        items.write_text("hello", encoding="utf-8")
        return case, r"test-00000-of-00001\.parquet' is not a readable parquet file \(ArrowInvalid.*Rebuild"
    if how == "broken json":
        (case / "build_info.json").write_text("{", encoding="utf-8")
        return case, r"build_info\.json' cannot be read as JSON \(JSONDecodeError"
    if how == "list":
        (case / "build_info.json").write_text("[]", encoding="utf-8")
        return case, r"build_info\.json' is not a JSON object"
    if how == "selection list":
        (case / "build_info.json").write_text('{"dataset_version": "1.0.0", "selection": []}', encoding="utf-8")
        return case, r"build_info\.json' has no selection object"
    import pyarrow.parquet as pq

    table = pq.read_table(items)
    pq.write_table(table.drop_columns(["item_id"]), items)
    return case, r"test-00000-of-00001\.parquet': column 'item_id' is missing; the items config declares string"


@pytest.mark.parametrize("how", ["empty config", "not parquet", "broken json", "list", "selection list", "column"])
def test_crafted_dataset_folder_is_a_dataset_error(built_dataset, tmp_path, how):
    case, message = _crafted(built_dataset, tmp_path, how)
    with pytest.raises(DatasetError, match=message):
        open_dataset(case)
    if how in ("empty config", "not parquet", "column"):
        with pytest.raises(DatasetError, match=message):
            load_dataset(case, "items")
    result = CliRunner().invoke(cli, ["info", "--dataset", str(case)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "Traceback" not in result.output


# -- the CLI never shows a traceback without --debug -----------------------------------------------------------

def test_unexpected_error_is_one_line_and_traceback_only_with_debug(monkeypatch, tmp_path):
    import valueportrait.dataset as dataset

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(dataset, "open_dataset", broken)
    result = CliRunner().invoke(cli, ["info", "--dataset", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        "Error: internal error (ZeroDivisionError: division by zero). This is a bug: please report it with the "
        "command you ran; `valueportrait --debug ...` shows the traceback."]
    result = CliRunner().invoke(cli, ["--debug", "info", "--dataset", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("and the traceback above.")


def test_error_lines_and_debug_tracebacks_are_scrubbed(monkeypatch, tmp_path):
    import valueportrait.dataset as dataset

    def leaky(*args, **kwargs):
        raise RuntimeError("GET https://user:pw@example.org/x failed, token hf_abcdefghijklmnop1234")

    monkeypatch.setattr(dataset, "open_dataset", leaky)
    for args in (["info"], ["--debug", "info"]):
        result = CliRunner().invoke(cli, [*args, "--dataset", str(tmp_path)])
        assert result.exit_code == 1 and "https://***@example.org" in result.stderr
        assert "pw@" not in result.output and "hf_abcdefghijklmnop1234" not in result.output
