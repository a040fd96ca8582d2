"""Speed of the dataset build (figures go in docs/dataset.md).

1. Correlations of all 9,880 item x dimension pairs: the vectorised ``compute_correlations`` (rank once per
   survey group, one matrix product) against a per-pair ``scipy.stats.spearmanr`` loop, in the same run, with
   the same tables; checks they agree to 1e-12.
2. The whole build from raw: ``valueportrait build --raw RAW --out DIR`` as a fresh process (interpreter start,
   imports, reading, correlations, reliability, the datasets builder, parquet, card): wall time, and CPU time
   (user + sys; the build is single-threaded, so on a machine shared with other jobs the CPU time is what
   the wall time would be without them); and the in-process ``build_dataset`` call after imports.

Usage::

    VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_build.py [--repeat 5]
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


def _best(times: list[float]) -> str:
    return f"min {min(times):.3f} s, median {statistics.median(times):.3f} s over {len(times)} runs"


def bench_correlations(raw: Path, repeat: int) -> None:
    import numpy as np
    from scipy import stats

    from valueportrait.builders.correlations import compute_correlations
    from valueportrait.builders.tables import read_human_ratings, read_participants

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ratings = read_human_ratings(raw)
        participants = read_participants(raw, ratings)

    fast = []
    for _ in range(repeat):
        t = time.perf_counter()
        corr = compute_correlations(ratings, participants)
        fast.append(time.perf_counter() - t)

    values = participants.set_index("participant_id")
    by_item = {iid: (g["rating"].to_numpy(float), values.loc[g["participant_id"]]) for iid, g in ratings.groupby("item_id")}
    t = time.perf_counter()
    rho = np.empty(len(corr))
    p = np.empty(len(corr))
    for k, (iid, fam, dim) in enumerate(zip(corr["item_id"], corr["family"], corr["dimension"])):
        x, v = by_item[iid]
        res = stats.spearmanr(x, v[f"{fam}_{dim}"].to_numpy())
        rho[k], p[k] = res.statistic, res.pvalue
    loop = time.perf_counter() - t
    max_diff = max(np.nanmax(np.abs(rho - corr["rho"].to_numpy())), np.nanmax(np.abs(p - corr["p_value"].to_numpy())))
    print(f"correlations, {len(corr):,} pairs")
    print(f"  vectorised compute_correlations: {_best(fast)}")
    print(f"  per-pair scipy.stats.spearmanr loop: {loop:.3f} s (one run; data prepared outside the timer)")
    print(f"  speed-up: {loop / min(fast):.0f}x (min), {loop / statistics.median(fast):.0f}x (median); "
          f"max |difference| rho/p: {max_diff:.1e}")


def bench_build(raw: Path, repeat: int) -> None:
    exe = Path(sys.executable).with_name("valueportrait")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "valueportrait.cli.main"]
    with tempfile.TemporaryDirectory() as tmp:
        cli_times, cli_cpu = [], []
        for i in range(repeat):
            out = Path(tmp) / f"cli{i}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([*cmd, "build", "--raw", str(raw), "--out", str(out)], check=True, capture_output=True)
            cli_times.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        import datasets  # noqa: F401  (imports outside the timer for the in-process figure)

        from valueportrait.builders.build import build_dataset
        from valueportrait.settings import Build

        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_dataset(Path(tmp) / "warmup", Build(raw=raw))
        first = time.perf_counter() - t
        lib_times = []
        for i in range(repeat):
            out = Path(tmp) / f"lib{i}"
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build_dataset(out, Build(raw=raw))
            lib_times.append(time.perf_counter() - t)
        shutil.rmtree(Path(tmp) / "warmup")
    print("whole build from raw")
    print(f"  `valueportrait build` as a fresh process: wall {_best(cli_times)}")
    print(f"  `valueportrait build` as a fresh process: CPU time (user + sys) {_best(cli_cpu)}")
    print(f"  build_dataset() in process, first call (lazy imports of scipy.special, jinja2...): {first:.3f} s")
    print(f"  build_dataset() in process, after imports: {_best(lib_times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default=os.environ.get("VALUEPORTRAIT_RAW"), help="upstream release folder")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.raw:
        parser.error("give --raw DIR or set VALUEPORTRAIT_RAW")
    raw = Path(args.raw)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU cores, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bench_correlations(raw, args.repeat)
    bench_build(raw, args.repeat)


if __name__ == "__main__":
    main()
