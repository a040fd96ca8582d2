"""Speed of the figures and the HTML report for 4 and 33 portraits (docs/metric.md and the README quote them).

The 4 released models are scored from the raw release (``score_leaderboard``, as ``valueportrait score``); the
33-portrait leaderboard adds 29 SIMULATED portraits (the released ones plus noise; tests/test_report_browser.py
builds them the same way) since the release has only four models. Timed: ``render_report`` (the whole page:
scale, heatmaps, 3 overlays and one radar per portrait, tables), and ``portrait_figure`` for each kind, PNG
at 150 dpi. Times are the minimum of ``--repeat`` runs (the machine is shared).

Usage: VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_figures.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

from _shared import best_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from test_report_browser import simulated_board

    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build, UpstreamOutputs
    from valueportrait.html_report import render_report
    from valueportrait.pipelines import score_leaderboard
    from valueportrait.plot import portrait_figure

    raw = Path(os.environ.get("VALUEPORTRAIT_RAW", "../shared/upstream"))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_dataset(Path(tmp) / "ds", Build(raw=raw))
        real = score_leaderboard([UpstreamOutputs(raw / "lm_evaluation" / "outputs" / "final")],
                                 dataset=Path(tmp) / "ds").board()
        for n in (4, 33):
            board = simulated_board(real, n)
            page = render_report(board)
            t = best_of(lambda: render_report(board), args.repeat)
            print(f"{n:2d} portraits: render_report {t * 1000:6.0f} ms ({len(page) // 1024} kB page)")
            for kind in ("radar", "multiples", "heatmap"):
                out = Path(tmp) / f"{kind}{n}.png"
                t = best_of(lambda: portrait_figure(board, out, kind=kind), args.repeat)
                print(f"{n:2d} portraits: plot --kind {kind:9s} {t * 1000:6.0f} ms ({out.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
