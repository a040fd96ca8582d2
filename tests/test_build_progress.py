"""The progress bar of `valueportrait build` ends exactly at its total (it was one step too high)."""

from __future__ import annotations

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


@pytest.mark.parametrize("with_demographics", [False, True])
def test_progress_total_matches_the_steps(raw_dir, demo_build, tmp_path, monkeypatch, with_demographics):
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    RecordingBar.bars = []
    args = ["build", "--raw", str(raw_dir), "--out", str(tmp_path / "out")]
    if with_demographics:
        args += ["--demographics", str(demo_build["csv"]), "--attribute", "sex=Sex", "--n-boot", "10"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    (bar,) = RecordingBar.bars
    # 6 configs + the card; with demographics also the human_group_norms config and the demographics step
    assert (bar.total, bar.n) == ((9, 9) if with_demographics else (7, 7))
    assert bar.messages[-1] == "rendering the dataset card"
