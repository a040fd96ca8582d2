"""The settings, one frozen dataclass per concern, the same name and type everywhere; checked when made:
:class:`Selection` (which items, how they score), :class:`Intervals`, :class:`Deviation`, :class:`Build` (the
datasets ``BuilderConfig`` holds one), :class:`Publish`; and the inputs they name: :class:`DemographicsFile`,
:class:`DatasetRef` (a built folder or Hub repo id and its revision), :class:`UpstreamOutputs`.

``None`` in a field means "the build's setting" (selection) or "the documented default". :func:`over` is the
one merge of given settings over a base (the build's, or the defaults). The CLI options
(:mod:`valueportrait.cli.options`) and the metric's keyword arguments (``metric/metric.py``) map onto these
objects, each in one place.

>>> Selection(threshold=0.35).reselects
True
>>> over(BUILD_SELECTION, Selection(alpha=0.01)).threshold
0.3
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Literal, TypeVar

from .errors import InputError
from .selection import DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_THRESHOLD, MODES, SCORINGS, check_correction

#: Bootstrap replicates of every entry point (CLI score / build / deviation, the metric, the library).
DEFAULT_N_BOOT = 1000
#: Level of every confidence interval unless asked otherwise.
DEFAULT_LEVEL = 0.95
#: Permutations of the deviation statistics' p-values.
DEFAULT_N_PERM = 1000
#: Which correlations can drive the selection.
CORRELATION_SOURCES: tuple[str, ...] = ("published", "computed")
#: Where the human side of the deviation statistics can come from (``Deviation.human``).
HUMAN_SOURCES: tuple[str, ...] = ("raters", "norms")
#: What an interval can be over: the models' units, then the human raters' (``Intervals.over``).
INTERVAL_UNITS: tuple[str, ...] = ("variants", "items", "items+variants", "raters", "items+raters")
#: Groups with fewer raters get no statistics unless the build says otherwise (``Build.min_raters``).
DEFAULT_MIN_RATERS = 5

S = TypeVar("S")


def _level(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < 1:
        raise InputError(f"{name} must be a level strictly between 0 and 1 (e.g. 0.95), got {value!r}")


def _count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise InputError(f"{name} must be a whole number >= {minimum}, got {value!r}")


def _number(value: Any) -> bool:
    """A real number, not a boolean (``"high"`` or ``True`` is no cut-off)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def over(base: S, given: S) -> S:
    """``base`` with every field ``given`` sets (not None): the one "given over the build's" merge.

    >>> over(Selection(threshold=0.3, alpha=0.05), Selection(alpha=0.01))
    Selection(threshold=0.3, alpha=0.01, mode=None, correction=None, correlations=None, center=True, min_items=1, duplicates='error', scoring=None)
    """
    return replace(base, **{f.name: getattr(given, f.name) for f in fields(given)  # type: ignore[arg-type]
                            if getattr(given, f.name) is not None})


@dataclass(frozen=True)
class Selection:
    """Which items measure which dimension (``|rho| > threshold`` and ``p < alpha`` of the chosen
    ``correlations``, ``mode`` pos/abs, multiple-testing ``correction``) and how they score (``scoring``: the
    paper's ``threshold`` or ``weighted``; ``center``, ``min_items``; ``duplicates``: a request rated twice).

    A selection field None (the default) is the build's own; any given re-selects with the build's settings for
    the others (:meth:`resolved`).
    """

    threshold: float | None = None
    alpha: float | None = None
    mode: Literal["pos", "abs"] | None = None
    correction: Literal["none", "fdr_bh", "bonferroni"] | None = None
    correlations: Literal["published", "computed"] | None = None
    center: bool | str = True
    min_items: int = 1
    duplicates: Literal["error", "first", "mean"] = "error"
    scoring: Literal["threshold", "weighted"] | None = None

    #: The fields that say which items are selected and with which weights (the others say how they score).
    RULE = ("threshold", "alpha", "mode", "correction", "correlations", "scoring")

    def __post_init__(self) -> None:
        if self.threshold is not None and not (_number(self.threshold) and 0 <= self.threshold < 1):
            raise InputError(f"threshold must be in [0, 1) (an |rho| cut-off, e.g. {DEFAULT_THRESHOLD}), "
                             f"got {self.threshold!r}")
        if self.alpha is not None and not (_number(self.alpha) and 0 < self.alpha <= 1):
            raise InputError(f"alpha must be in (0, 1] (a p-value cut-off, e.g. {DEFAULT_ALPHA}), got {self.alpha!r}")
        if self.correction is not None:
            check_correction(self.correction)
        for name, choices in (("mode", MODES), ("correlations", CORRELATION_SOURCES), ("scoring", SCORINGS)):
            if getattr(self, name) is not None:
                _choice(name, getattr(self, name), choices)
        _count("min_items", self.min_items, 1)

    @property
    def reselects(self) -> bool:
        """True when any selection field is given (the selection is not the build's)."""
        return any(getattr(self, k) is not None for k in self.RULE)

    def rule(self) -> dict[str, Any]:
        """The selection fields (``threshold, alpha, mode, correction, correlations, scoring``) as a dict."""
        return {k: getattr(self, k) for k in self.RULE}

    def resolved(self, build_selection: Mapping[str, Any] | None) -> dict[str, Any]:
        """The selection in effect: the given fields over the build's (``build_info["selection"]``)."""
        return over(built_selection(build_selection), self).rule()


#: The selection rule of a build that is given nothing (the paper's; ``correlations`` None: published when the
#: release has the published tables, else computed).
BUILD_SELECTION = Selection(DEFAULT_THRESHOLD, DEFAULT_ALPHA, "pos", DEFAULT_CORRECTION, scoring="threshold")


def built_selection(build_selection: Mapping[str, Any] | None) -> Selection:
    """The selection a build made (``build_info["selection"]``) over :data:`BUILD_SELECTION` (builds from before
    corrections had none)."""
    known = {k: v for k, v in (build_selection or {}).items() if k in Selection.RULE}
    return over(BUILD_SELECTION, Selection(**known))


@dataclass(frozen=True)
class Intervals:
    """Intervals: ``over`` what is resampled (:data:`INTERVAL_UNITS`; the human row of a leaderboard uses the
    raters' counterpart), their ``level``, and the bootstraps' replicates ``n_boot`` (0: no bootstrap
    intervals) and ``seed``."""

    over: str = "variants"
    level: float = DEFAULT_LEVEL
    n_boot: int = DEFAULT_N_BOOT
    seed: int = 0

    def __post_init__(self) -> None:
        _choice("over", self.over, INTERVAL_UNITS)
        _level("level", self.level)
        _count("n_boot", self.n_boot, 0)
        if isinstance(self.seed, bool) or not isinstance(self.seed, Integral):
            raise InputError(f"seed must be a whole number, got {self.seed!r}")


@dataclass(frozen=True)
class DemographicsFile:
    """The raters' demographics: a CSV / TSV / JSON / JSON lines ``path``, its participant ``id_column`` (None:
    found by name), the ``attributes`` to keep (name -> column; None: every column) and numeric ``bins``
    (name -> edges), as :func:`valueportrait.demographics.read_demographics` reads them."""

    path: str | Path
    id_column: str | None = None
    attributes: Mapping[str, str] | None = None
    bins: Mapping[str, Sequence[float]] | None = None

    def __post_init__(self) -> None:
        for name in ("attributes", "bins"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), Mapping):
                raise InputError(f"{name} must be a mapping (name -> column / name -> bin edges), "
                                 f"got {type(getattr(self, name)).__name__}")


@dataclass(frozen=True)
class Deviation:
    """The deviation statistics: the human side and the comparison's own settings (the intervals are an
    :class:`Intervals`).

    The human side is at most one of: ``demographics`` (a :class:`DemographicsFile`, or a read
    :class:`~valueportrait.demographics.Demographics`), ``norms`` (a group-norms table: DataFrame, records or
    path, its CI columns at level ``norms_confidence``), or the dataset's own: ``human="raters"`` (its raters,
    the default) or ``human="norms"`` (its stored ``human_group_norms``). ``persona_groups``: persona ->
    ``"attribute=group"`` (or a file of them), needed for personas not labelled ``attribute=group``.
    ``n_perm``: permutations of the human gaps' p-values. ``min_raters``: groups with fewer raters get no
    statistics (None: the build's, 5). ``min_model_samples`` / ``min_human_ratings``: ratings an item needs to
    enter the distribution alignment (None: :data:`~valueportrait.deviation.ceiling.MIN_HUMAN_RATINGS`).
    ``plot``: draw the radar charts (``valueportrait deviation``).
    """

    human: Literal["raters", "norms"] | None = None
    demographics: Any = None
    norms: Any = None
    norms_confidence: float = DEFAULT_LEVEL
    persona_groups: Mapping[str, Any] | str | Path | None = None
    n_perm: int = DEFAULT_N_PERM
    min_raters: int | None = None
    min_model_samples: int = 2
    min_human_ratings: int | None = None
    plot: bool = True

    def __post_init__(self) -> None:
        if self.human is not None:
            _choice("human", self.human, HUMAN_SOURCES)
        if self.demographics is not None and self.norms is not None:
            raise InputError("give at most one of --demographics FILE (the raters' demographics) and --norms FILE "
                             "(group norms as a table); with neither, the dataset's own demographics are used")
        if (self.demographics is not None or self.norms is not None) and self.human == "norms":
            raise InputError("--stored-norms uses the dataset's own human_group_norms config; leave out "
                             "--demographics and --norms with it (in Python: human='norms' takes no norms= or "
                             "demographics)")
        if (self.demographics is not None or self.norms is not None) and self.human is not None:
            raise InputError(f"human={self.human!r} compares with the dataset's raters; leave it out when passing "
                             "norms= or demographics")
        if self.persona_groups is not None and not isinstance(self.persona_groups, (Mapping, str, Path)):
            raise InputError("persona_groups must be a dict {persona label: 'attribute=group'}, got "
                             f"{type(self.persona_groups).__name__} (or give the path of a persona map file)")
        _level("norms_confidence", self.norms_confidence)
        _count("n_perm", self.n_perm, 0)
        _count("min_model_samples", self.min_model_samples, 1)
        for name in ("min_raters", "min_human_ratings"):
            if getattr(self, name) is not None:
                _count(name, getattr(self, name), 1)


@dataclass(frozen=True)
class Build:
    """What a build takes: the raw release ``raw`` (None: ``$VALUEPORTRAIT_RAW``) or a ``survey`` folder (docs/your-survey.md),
    the ``selection`` (its None fields: :data:`BUILD_SELECTION`), the raters' ``demographics`` (a :class:`DemographicsFile`
    or a read :class:`~valueportrait.demographics.Demographics`; adds ``human_group_norms``), the group norms' ``norms``
    (a rater bootstrap) and ``min_raters``, the card's ``changelog`` (None: the package's), ``allow_partial`` (a release
    missing survey groups or published tables builds), ``strict`` (a release differing from the pinned sums is refused)."""

    raw: str | Path | None = None
    selection: Selection = Selection()
    demographics: Any = None
    norms: Intervals = Intervals(over="raters")
    min_raters: int = DEFAULT_MIN_RATERS
    changelog: str | Path | None = None
    allow_partial: bool = False
    strict: bool = False
    survey: str | Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.selection, Selection):
            raise InputError(f"selection must be a Selection, got {type(self.selection).__name__}")
        if not isinstance(self.norms, Intervals):
            raise InputError(f"norms must be an Intervals, got {type(self.norms).__name__}")
        _count("min_raters", self.min_raters, 1)

    @property
    def rule(self) -> Selection:
        """The selection this build makes: the given fields over :data:`BUILD_SELECTION`."""
        return over(BUILD_SELECTION, self.selection)


@dataclass(frozen=True)
class Publish:
    """Where and how a revision is published: the Hub ``endpoint`` (None: ``$HF_ENDPOINT`` or the public Hub),
    ``private`` (a repo created private; None: the Hub's default), ``force`` (move an existing tag, publish
    below a newer version)."""

    endpoint: str | None = None
    private: bool | None = None
    force: bool = False


@dataclass(frozen=True)
class DatasetRef:
    """A built dataset: a local folder or a Hub dataset repo id (``name``) at a ``revision`` (tag, branch or
    commit; None: the folder as it is / the repo's main)."""

    name: str | Path
    revision: str | None = None

    def __str__(self) -> str:
        return str(self.name)


@dataclass(frozen=True)
class UpstreamOutputs:
    """A ratings source in upstream's output layout (``<provider>/<model>_<variant>_results.json`` under
    ``folder``), its raw answers re-parsed (``parse="valueportrait"``) or read as upstream's
    ``numeric_response`` (``"upstream"``)."""

    folder: str | Path
    parse: Literal["valueportrait", "upstream"] = "valueportrait"

    def __post_init__(self) -> None:
        _choice("parse", self.parse, ("valueportrait", "upstream"))


def revision_of(dataset: Any) -> str | None:
    """The revision a result records for a ``dataset`` argument (None unless a :class:`DatasetRef` names one)."""
    return dataset.revision if isinstance(dataset, DatasetRef) else None


__all__ = ["BUILD_SELECTION", "CORRELATION_SOURCES", "DEFAULT_LEVEL", "DEFAULT_MIN_RATERS", "DEFAULT_N_BOOT",
           "DEFAULT_N_PERM", "HUMAN_SOURCES", "INTERVAL_UNITS", "Build", "DatasetRef", "DemographicsFile", "Deviation",
           "Intervals", "Publish", "Selection", "UpstreamOutputs", "built_selection", "over", "revision_of"]
