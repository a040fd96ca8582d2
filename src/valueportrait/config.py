"""Typed settings shared by the CLI, the metric and the pipelines: item selection, bootstrap, deviation.

Each is a frozen dataclass that checks its values when made (an :class:`~valueportrait.errors.InputError`
naming the setting and the values it accepts), so a bad value fails before any work. ``None`` in a field
means "the build's setting" (selection) or "the documented default" (deviation).

>>> SelectionConfig(threshold=0.35).reselects
True
>>> BootstrapConfig().n_boot == DEFAULT_N_BOOT == 1000
True
>>> BootstrapConfig(confidence=95)
Traceback (most recent call last):
...
valueportrait.errors.InputError: confidence must be a level strictly between 0 and 1 (e.g. 0.95), got 95
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any, Literal

from .errors import InputError
from .selection import DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_THRESHOLD, MODES, check_correction

#: Bootstrap replicates of every entry point (CLI score / build / deviation, the metric, the library).
DEFAULT_N_BOOT = 1000
#: Level of every confidence interval unless asked otherwise.
DEFAULT_CONFIDENCE = 0.95
#: Permutations of the deviation statistics' p-values.
DEFAULT_N_PERM = 1000
#: Which correlations can drive the selection.
CORRELATION_SOURCES: tuple[str, ...] = ("published", "computed")
#: Where the human side of the deviation statistics can come from (``DeviationConfig.human``).
HUMAN_SOURCES: tuple[str, ...] = ("raters", "norms")


def _level(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < 1:
        raise InputError(f"{name} must be a level strictly between 0 and 1 (e.g. 0.95), got {value!r}")


def _count(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise InputError(f"{name} must be a whole number >= {minimum}, got {value!r}")


def _number(value: Any) -> bool:
    """A real number, not a boolean (``"high"`` or ``True`` is no cut-off)."""
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class SelectionConfig:
    """Which items measure which dimension: ``|rho| > threshold`` and ``p < alpha`` of the chosen correlations.

    Every field None (the default) is the build's own selection; any field given re-selects with the build's
    settings for the others.
    """

    threshold: float | None = None
    alpha: float | None = None
    mode: Literal["pos", "abs"] | None = None
    correlations: Literal["published", "computed"] | None = None
    correction: Literal["none", "fdr_bh", "bonferroni"] | None = None

    def __post_init__(self) -> None:
        if self.correction is not None:
            check_correction(self.correction)
        if self.threshold is not None and not (_number(self.threshold) and 0 <= self.threshold < 1):
            raise InputError(f"threshold must be in [0, 1) (an |rho| cut-off, e.g. {DEFAULT_THRESHOLD}), "
                             f"got {self.threshold!r}")
        if self.alpha is not None and not (_number(self.alpha) and 0 < self.alpha <= 1):
            raise InputError(f"alpha must be in (0, 1] (a p-value cut-off, e.g. {DEFAULT_ALPHA}), got {self.alpha!r}")
        if self.mode is not None and self.mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(map(repr, MODES))}, got {self.mode!r}")
        if self.correlations is not None and self.correlations not in CORRELATION_SOURCES:
            raise InputError(f"correlations must be one of {', '.join(map(repr, CORRELATION_SOURCES))}, "
                             f"got {self.correlations!r}")

    @property
    def reselects(self) -> bool:
        """True when any field is given (the selection is not the build's)."""
        return any(v is not None for v in asdict(self).values())

    def kwargs(self) -> dict[str, Any]:
        """The fields as keyword arguments of :meth:`ValuePortraitData.selection`."""
        return asdict(self)

    def resolved(self, build_selection: dict[str, Any] | None) -> dict[str, Any]:
        """The settings in effect: the given fields over the build's (``build_info["selection"]``)."""
        base = {"correction": DEFAULT_CORRECTION, **(build_selection or {})}  # builds before corrections: none
        return {k: base.get(k) if v is None else v for k, v in asdict(self).items()}

    def with_defaults(self) -> SelectionConfig:
        """The build's defaults filled in (a build has no selection to fall back on)."""
        return SelectionConfig(threshold=DEFAULT_THRESHOLD if self.threshold is None else self.threshold,
                               alpha=DEFAULT_ALPHA if self.alpha is None else self.alpha,
                               mode=self.mode or "pos", correlations=self.correlations,
                               correction=self.correction or DEFAULT_CORRECTION)


@dataclass(frozen=True)
class BootstrapConfig:
    """Percentile bootstrap: ``n_boot`` replicates (0: no intervals), interval level ``confidence``, ``seed``."""

    n_boot: int = DEFAULT_N_BOOT
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = 0

    def __post_init__(self) -> None:
        _count("n_boot", self.n_boot, 0)
        _level("confidence", self.confidence)
        if isinstance(self.seed, bool) or not isinstance(self.seed, Integral):
            raise InputError(f"seed must be a whole number, got {self.seed!r}")


@dataclass(frozen=True)
class DeviationConfig:
    """The deviation statistics' own settings (the bootstrap is a :class:`BootstrapConfig`).

    ``n_perm``: permutations for the p-values of the human gaps (raters only). ``min_raters``: groups with
    fewer raters get no statistics (None: the build's setting, 5). ``norms_confidence``: level of the CI
    columns of a norms table the user gives. ``human``: ``"raters"`` (the dataset's raters, the default when
    it has demographics) or ``"norms"`` (its stored ``human_group_norms``); None decides from what is given.
    """

    n_perm: int = DEFAULT_N_PERM
    min_raters: int | None = None
    norms_confidence: float = DEFAULT_CONFIDENCE
    human: Literal["raters", "norms"] | None = None

    def __post_init__(self) -> None:
        _count("n_perm", self.n_perm, 0)
        if self.min_raters is not None:
            _count("min_raters", self.min_raters, 1)
        _level("norms_confidence", self.norms_confidence)
        if self.human is not None and self.human not in HUMAN_SOURCES:
            raise InputError(f"human must be one of {', '.join(map(repr, HUMAN_SOURCES))}, got {self.human!r}")


__all__ = ["CORRELATION_SOURCES", "DEFAULT_CONFIDENCE", "DEFAULT_N_BOOT", "DEFAULT_N_PERM", "HUMAN_SOURCES",
           "BootstrapConfig", "DeviationConfig", "SelectionConfig"]
