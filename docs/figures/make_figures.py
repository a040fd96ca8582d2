"""Draw docs/figures/released_heatmap.png, the README's heatmap of upstream's four released models and the human
raters, from the real released outputs:

    VALUEPORTRAIT_RAW=../shared/upstream python docs/figures/make_figures.py

It builds the dataset from the raw release into a temporary folder, scores upstream's outputs (as
`valueportrait score --upstream-outputs ...` does) and draws `valueportrait plot --kind heatmap`. Deterministic:
the same release gives the same picture.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

from valueportrait.builders.build import build_dataset
from valueportrait.settings import Build, UpstreamOutputs
from valueportrait.pipelines import score_leaderboard
from valueportrait.plot import portrait_figure

HERE = Path(__file__).resolve().parent


def main() -> int:
    raw = Path(os.environ.get("VALUEPORTRAIT_RAW") or HERE.parents[2] / "shared" / "upstream")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_dataset(Path(tmp) / "valueportrait", Build(raw=raw))
        board = score_leaderboard([UpstreamOutputs(raw / "lm_evaluation" / "outputs" / "final")],
                                  dataset=Path(tmp) / "valueportrait").board()
    path = portrait_figure(board, HERE / "released_heatmap.png", kind="heatmap",
                           title="Schwartz basic values (PVQ-21): the released models and the human raters")
    print(f"Wrote {path.relative_to(HERE.parents[1])} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
