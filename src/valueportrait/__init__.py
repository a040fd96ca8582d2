"""valueportrait: the Value Portrait benchmark (Han et al., ACL 2025) on the Hugging Face stack.

The curated public API (docs/API.md lists each name with where it lives). Names are imported on first use,
so ``import valueportrait`` (and the CLI's start) stays light::

    >>> import valueportrait
    >>> "score_portrait" in dir(valueportrait) and "annotations" not in dir(valueportrait)
    True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .errors import (DatasetError, InputError, OutputExistsError, PublishError, RawDataError, RawDataNotFoundError,
                     RunError, ValuePortraitError)
from .scale import DIMENSIONS, FAMILIES, LIKERT, VARIANTS

try:
    __version__ = _version("valueportrait")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

#: Public names imported on first use: name -> submodule.
_LAZY: dict[str, str] = {
    # the dataset
    "open_dataset": "dataset", "load_dataset": "dataset", "ValuePortraitData": "dataset",
    # ratings
    "parse_likert": "ratings", "read_ratings": "ratings", "validate_ratings": "ratings", "item_ratings": "ratings",
    # scores, intervals, reliability, comparisons
    "score_portrait": "scoring", "bootstrap_portrait": "scoring", "interval_portrait": "scoring",
    "compare_portraits": "scoring", "compare_models": "scoring", "score_humans": "scoring",
    "reliability_table": "scoring", "portrait_reliability": "scoring",
    # the metric and the pipelines the CLI runs
    "evaluate_ratings": "evaluation", "metric_settings": "metric_inputs", "score_leaderboard": "pipelines",
    "run_deviation": "pipelines",
    # deviation statistics
    "compare_personas": "deviation", "compare_with_norms": "deviation", "read_demographics": "demographics",
    # settings
    "Selection": "settings", "Intervals": "settings", "Deviation": "settings", "Build": "settings",
    "DemographicsFile": "settings", "DatasetRef": "settings", "UpstreamOutputs": "settings",
    "Publish": "settings",
    # reports
    "render_report": "html_report", "radar_chart": "plot", "portrait_figure": "plot",
}

__all__ = sorted(["DIMENSIONS", "FAMILIES", "LIKERT", "VARIANTS", "DatasetError", "InputError", "OutputExistsError",
                  "PublishError", "RawDataError", "RawDataNotFoundError", "RunError", "ValuePortraitError",
                  "__version__", "metric_path", *_LAZY])


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)


def metric_path() -> str:
    """Path of the evaluate module ``metric/metric.py``: ``evaluate.load(valueportrait.metric_path(), dataset=...)``.

    Its folder works too (``evaluate.load(str(Path(valueportrait.metric_path()).parent))``): the script is named
    after its folder, as evaluate expects.
    """
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("valueportrait.metric")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - broken install
        raise ValuePortraitError("the valueportrait.metric package is missing from this installation; reinstall valueportrait")
    return str(Path(next(iter(spec.submodule_search_locations))) / "metric.py")
