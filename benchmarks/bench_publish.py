"""Time the publish steps on the real build: planning (hashing every file), a first publish to a local git
repository, and an idempotent re-publish (no commit).

    VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_publish.py

The figures go in docs/publish.md. Publishing to the Hub adds the upload time of the changed files only.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from valueportrait import hub as core
from valueportrait.builders.build import build_dataset
from valueportrait.settings import Build


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    raw = os.environ.get("VALUEPORTRAIT_RAW", str(Path(__file__).resolve().parents[1].parent / "shared" / "upstream"))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp) / "valueportrait"
        build_dataset(folder, Build(raw=raw))
        url = (Path(tmp) / "repo.git").as_uri()
        subprocess.run(["git", "init", "--bare", "-q", str(Path(tmp) / "repo.git")], check=True)
        t_plan, plan = timed(lambda: core.plan_dataset(folder, url, "1.0.0"))
        t0 = time.perf_counter()
        first = core.publish(plan)
        t_first = time.perf_counter() - t0
        t_again, again = timed(lambda: core.publish(plan))
        assert first.committed and not again.committed
        print(f"files: {len(plan.files)}, {plan.total_size:,} bytes")
        print(f"plan (hash + card/version/changelog checks), best of 5: {t_plan * 1000:.1f} ms")
        print(f"first publish to a local git repo (clone, commit, tag, push): {t_first * 1000:.0f} ms")
        print(f"re-publish, identical content (no commit), best of 5: {t_again * 1000:.0f} ms")


if __name__ == "__main__":
    main()
