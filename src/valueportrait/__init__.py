"""valueportrait: the Value Portrait benchmark (Han et al., ACL 2025) on the Hugging Face stack."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .scale import FAMILIES, LIKERT, VARIANTS
from .errors import ValuePortraitError

try:
    __version__ = _version("valueportrait")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["FAMILIES", "LIKERT", "VARIANTS", "ValuePortraitError", "__version__", "load_dataset", "metric_path",
           "open_dataset", "parse_likert", "score_portrait"]

#: Public names imported on first use, so that ``import valueportrait`` (and the CLI's start) stays light.
_LAZY = {"load_dataset": "dataset", "open_dataset": "dataset", "parse_likert": "ratings", "score_portrait": "scoring"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
