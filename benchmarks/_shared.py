"""Helpers shared by the benchmark scripts (imported as ``_shared``: a script's own folder is on ``sys.path``)."""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def best_of(fn, repeat: int = 3) -> float:
    """The shortest wall time of ``repeat`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def release_quietly():
    """The Value Portrait tables from the release at ``$VALUEPORTRAIT_RAW``, without the build's warnings."""
    from valueportrait.builders.release import from_release

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_release()


def synthetic_labels(participant_ids: pd.Series, rng: np.random.Generator, *, age: bool = False) -> pd.DataFrame:
    """SYNTHETIC demographics over the real participant ids: random sex (and age 18-79) labels, not benchmark data."""
    frame = pd.DataFrame({"participant_id": participant_ids,
                          "sex": rng.choice(["Female", "Male"], len(participant_ids))})
    if age:
        frame["age"] = rng.integers(18, 80, len(participant_ids)).astype(str)
    return frame


def survey_generator():
    """examples/survey_de/make_survey.py (the SYNTHETIC example's generator) as a module."""
    path = Path(__file__).resolve().parents[1] / "examples" / "survey_de" / "make_survey.py"
    spec = importlib.util.spec_from_file_location("make_survey", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_survey"] = module
    spec.loader.exec_module(module)
    return module
