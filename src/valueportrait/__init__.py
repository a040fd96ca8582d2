"""valueportrait: the Value Portrait benchmark (Han et al., ACL 2025) on the Hugging Face stack."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .dimensions import FAMILIES, LIKERT, VARIANTS
from .errors import ValuePortraitError
from .likert import parse_likert
from .scoring import score_portrait

try:
    __version__ = _version("valueportrait")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"



def metric_path() -> str:
    """Path of the evaluate module ``valueportrait.py``: ``evaluate.load(valueportrait.metric_path(), dataset=...)``."""
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("valueportrait.metric")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - broken install
        raise ValuePortraitError("the valueportrait.metric package is missing from this installation; reinstall valueportrait")
    return str(Path(next(iter(spec.submodule_search_locations))) / "valueportrait.py")


__all__ = ["FAMILIES", "LIKERT", "VARIANTS", "ValuePortraitError", "__version__", "metric_path", "parse_likert",
           "score_portrait"]
