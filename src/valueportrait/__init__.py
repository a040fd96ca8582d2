"""valueportrait: the Value Portrait benchmark (Han et al., ACL 2025) on the Hugging Face stack."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .dimensions import FAMILIES, LIKERT, VARIANTS
from .errors import ValuePortraitError

try:
    __version__ = _version("valueportrait")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["FAMILIES", "LIKERT", "VARIANTS", "ValuePortraitError", "__version__"]
