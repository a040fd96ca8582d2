"""Speed of a survey build's tables (``builders.survey_build.from_survey``: read and check the folder, correlations,
selection, validity with its 400-shuffle permutation null and 20 split halves) on planted SYNTHETIC surveys of
growing size (examples/survey_de/make_survey.py's generator), best of 3, and the stages of the largest.

The largest row is about Value Portrait's survey size (12 groups; here 12 x 30 items, 50 raters per group, 7
dimensions: 18,000 ratings). Run: python benchmarks/bench_survey_build.py   (figures in docs/your-survey.md)
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

from _shared import best_of, survey_generator as generator

from valueportrait.builders.survey_build import from_survey
from valueportrait.builders.survey_input import read_survey



def main() -> None:
    gen = generator()
    print("| groups | raters per group | items | ratings | read + check (s) | whole build's tables (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for groups, raters in ((2, 100), (4, 100), (12, 50)):
            folder = Path(tmp) / f"s{groups}_{raters}"
            gen.write(folder, seed=0, raters=raters, groups=groups)
            read = best_of(lambda: read_survey(folder))
            whole = best_of(lambda: from_survey(folder))
            s = read_survey(folder)
            print(f"| {groups} | {raters} | {len(s.items)} | {len(s.human_ratings):,} | {read:.2f} | {whole:.2f} |")
    print(f"(Python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d')})")


if __name__ == "__main__":
    main()
