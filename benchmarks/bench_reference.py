"""What the ``reference_portraits`` config adds to ``valueportrait build`` (figures go in docs/dataset.md).

Times :func:`valueportrait.builders.reference.attach_reference` in process on the tables of the release (read
once, not timed): scoring every model of ``ROOT/lm_evaluation/outputs`` and the human raters with the build's
selection. ``--outputs-root`` scores another release's outputs with the same tables (e.g. a folder holding the
pinned GitHub archive's ``lm_evaluation/outputs`` with all 33 models).

Usage::

    VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_reference.py [--repeat 3] [--outputs-root DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--outputs-root", type=Path, default=None)
    args = parser.parse_args()
    from valueportrait.builders.reference import attach_reference
    from valueportrait.builders.release import from_release

    raw = Path(os.environ["VALUEPORTRAIT_RAW"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = from_release(raw)
    root = args.outputs_root or raw
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = attach_reference(data, root)
        times.append(time.perf_counter() - t0)
    n = len(out.build_info["reference_portraits"]["models"])
    print(f"attach_reference, {n} models + humans: min {min(times):.2f} s, median {statistics.median(times):.2f} s "
          f"over {len(times)} runs")


if __name__ == "__main__":
    main()
