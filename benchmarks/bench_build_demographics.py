"""What ``valueportrait build --demographics`` costs over a plain build (figures go in docs/dataset.md).

Both builds run as fresh processes, alternating (so load on a shared machine hits both alike): the plain build,
and the build with SYNTHETIC demographics (random sex and age labels over the real participant ids, written to
a temporary file; not data of the benchmark): 2 attributes, 6 groups, 1000 rater-bootstrap replicates per
group. Also times the in-process part the demographics add (:func:`attach_demographics`).

Usage::

    VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_build_demographics.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _summary(times: list[float]) -> str:
    return f"min {min(times):.3f} s, median {statistics.median(times):.3f} s over {len(times)} runs"


def _run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one fresh-process command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    import numpy as np
    import pandas as pd

    from valueportrait.builders.assemble import attach_demographics
    from valueportrait.builders.raw_release import resolve_raw_dir
    from valueportrait.builders.release import from_release
    from valueportrait.demographics import read_demographics

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    raw = resolve_raw_dir(opts.raw)
    exe = str(Path(sys.executable).with_name("valueportrait"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU cores, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = from_release(raw)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(0)
        pids = data.participants["participant_id"]
        csv = tmp / "synthetic_demographics.csv"  # SYNTHETIC labels
        pd.DataFrame({"participant_id": pids, "sex": rng.choice(["Female", "Male"], len(pids)),
                      "age": rng.integers(18, 75, len(pids))}).to_csv(csv, index=False)
        demo_args = ["--demographics", str(csv), "--bins", "age=18,30,45,60"]
        plain, with_demo = [], []
        for _ in range(opts.repeat):
            for args, sink in (([], plain), (demo_args, with_demo)):
                out = tmp / "out"
                shutil.rmtree(out, ignore_errors=True)
                sink.append(_run([exe, "build", "--raw", str(raw), "--out", str(out), *args]))
        demo = read_demographics(csv, bins={"age": [18, 30, 45, 60]})
        inproc = []
        for _ in range(opts.repeat):
            t0 = time.perf_counter()
            attach_demographics(data, demo)
            inproc.append(time.perf_counter() - t0)
    print("`valueportrait build` as a fresh process")
    for name, runs in (("plain", plain), ("--demographics (2 attributes, 6 groups, 1000 replicates)", with_demo)):
        print(f"  {name}: wall {_summary([w for w, _ in runs])}; CPU {_summary([c for _, c in runs])}")
    print(f"attach_demographics() in process (join + norms): {_summary(inproc)}")


if __name__ == "__main__":
    main()
