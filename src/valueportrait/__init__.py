"""valueportrait: the Value Portrait benchmark (Han et al., ACL 2025) on the Hugging Face stack."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .dimensions import FAMILIES, LIKERT, VARIANTS
from .errors import ValuePortraitError

try:
    __version__ = _version("valueportrait")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["FAMILIES", "LIKERT", "VARIANTS", "ValuePortraitError", "__version__", "load_dataset", "open_dataset"]

#: Public names imported on first use, so that ``import valueportrait`` (and the CLI's start) stays light.
_LAZY = {"load_dataset": "dataset", "open_dataset": "dataset"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
