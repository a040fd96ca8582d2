"""Progress of a build: build_dataset reports (message, done, total) and the CLI's bar ends exactly at its total.

The expected stages are counted by hand from what a build does: read the raw release, [join the demographics],
write each config (6, or 7 with human_group_norms), render the card.
"""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli


class RecordingBar:
    """Stands in for tqdm: records the total and the steps."""

    bars: list["RecordingBar"] = []

    def __init__(self, *args, total=None, **kwargs):
        self.total, self.n, self.messages = total, 0, []
        RecordingBar.bars.append(self)

    def set_postfix_str(self, msg):
        self.messages.append(msg)

    def update(self, n=1):
        self.n += n

    def close(self):
        pass


def test_build_dataset_reports_each_stage(raw_dir, tmp_path):
    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build

    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = build_dataset(tmp_path / "out", Build(raw=raw_dir), progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == ["reading the raw release and computing correlations",
                                     *(f"writing config {c}" for c in data.configs), "rendering the dataset card",
                                     "done"]
    assert [c[1] for c in calls] == list(range(9)) and {c[2] for c in calls} == {8}


@pytest.mark.parametrize("with_demographics", [False, True])
def test_cli_bar_ends_at_its_total(raw_dir, demo_build, tmp_path, monkeypatch, with_demographics):
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    RecordingBar.bars = []
    args = ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "out")]
    if with_demographics:
        args += ["--demographics", str(demo_build["csv"]), "--attribute", "sex=Sex", "--n-boot", "10"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    (bar,) = RecordingBar.bars
    # read + 6 configs + the card; with demographics also the demographics step and human_group_norms
    assert (bar.total, bar.n) == ((10, 10) if with_demographics else (8, 8))
    assert bar.messages[-2:] == ["rendering the dataset card", "done"]
