"""Options shared by several commands, declared once: the dataset, the item selection, the bootstrap, --out.

Each decorator adds its options and hands the command one typed setting instead of loose values:
:func:`selection_options` gives ``selection=`` (:class:`~valueportrait.config.SelectionConfig`),
:func:`bootstrap_options` gives ``bootstrap=`` (:class:`~valueportrait.config.BootstrapConfig`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from valueportrait.config import (CORRELATION_SOURCES, DEFAULT_CONFIDENCE, DEFAULT_N_BOOT, BootstrapConfig,
                                  SelectionConfig)
from valueportrait.selection import CORRECTIONS, DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_THRESHOLD, MODES

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
LEVEL = click.FloatRange(0, 1, min_open=True, max_open=True)


def _apply(f: Callable[..., Any], options: list[Decorator]) -> Callable[..., Any]:
    for option in reversed(options):
        f = option(f)
    return f


def _wrap(f: Callable[..., Any], names: tuple[str, ...], make: Callable[..., tuple[str, Any]]) -> Callable[..., Any]:
    """``f`` called with the option values ``names`` replaced by ``make(**values) -> (name, setting)``."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name, value = make(**{n: kwargs.pop(n) for n in names})
        return f(*args, **{name: value}, **kwargs)

    return wrapper


def dataset_options(*, envvar: bool = False, help: str = "Built dataset folder or Hub dataset repo id.",
                    required: bool = True) -> Decorator:
    """``--dataset`` (``required``, or None when not given) and ``--revision``."""
    extra = {"envvar": "VALUEPORTRAIT_DATASET", "show_envvar": True} if envvar else {}
    return lambda f: _apply(f, [
        click.option("--dataset", "dataset", required=required, default=None, help=help, **extra),
        click.option("--revision", default=None, help="Hub revision (tag, branch, commit) when --dataset is a repo id."),
    ])


def selection_options(*, build: bool = False) -> Decorator:
    """``--threshold --alpha --mode --correlations`` -> ``selection=SelectionConfig(...)``.

    ``build``: the settings of a new build (defaults shown: 0.3, 0.05, pos); otherwise a re-selection of a
    built dataset's items (default: the build's own settings).
    """
    of = "default: {}" if build else "default: the build's, {}"
    options = [
        click.option("--threshold", type=click.FloatRange(0, 1, max_open=True), default=None,
                     help=f"An item measures a dimension when |rho| > THRESHOLD ({of.format(DEFAULT_THRESHOLD)}) ..."),
        click.option("--alpha", type=click.FloatRange(0, 1, min_open=True), default=None,
                     help=f"... and p < ALPHA ({of.format(DEFAULT_ALPHA)})."),
        click.option("--mode", type=click.Choice(MODES), default=None,
                     help=f"pos: positively keyed items only (the paper); abs: also rho < -THRESHOLD, reverse "
                          f"scored ({of.format('pos')})."),
        click.option("--correlations", type=click.Choice(CORRELATION_SOURCES), default=None,
                     help="Which correlations drive the selection (default: " + (
                         "published when the release has the published tables, as in the paper, else computed)."
                         if build else "the build's).")),
        click.option("--correction", type=click.Choice(CORRECTIONS), default=None,
                     help="Multiple-testing control of the selection within each family: none (the paper's rule), "
                          "fdr_bh (Benjamini-Hochberg adjusted p < ALPHA) or bonferroni; see docs/validity.md "
                          f"({of.format(DEFAULT_CORRECTION)})."),
    ]

    def make(threshold, alpha, mode, correlations, correction):
        return "selection", SelectionConfig(threshold=threshold, alpha=alpha, mode=mode, correlations=correlations,
                                            correction=correction)

    return lambda f: _apply(_wrap(f, ("threshold", "alpha", "mode", "correlations", "correction"), make), options)


def bootstrap_options(*, prefix: str = "", what: str = "") -> Decorator:
    """``--n-boot --confidence --seed`` -> ``bootstrap=BootstrapConfig(...)`` (``--ci``: a hidden old name)."""
    options = [
        click.option("--n-boot", type=click.IntRange(0), default=DEFAULT_N_BOOT, show_default=True,
                     help=f"{prefix}Bootstrap replicates{what} (0: no intervals)."),
        click.option("--confidence", type=LEVEL, default=DEFAULT_CONFIDENCE, show_default=True,
                     help=f"{prefix}Level of the confidence intervals."),
        click.option("--ci", "ci_alias", type=LEVEL, default=None, hidden=True, help="Old name of --confidence."),
        click.option("--seed", type=int, default=0, show_default=True, help=f"{prefix}Bootstrap seed."),
    ]

    def make(n_boot, confidence, ci_alias, seed):
        level = confidence if ci_alias is None else ci_alias
        return "bootstrap", BootstrapConfig(n_boot=n_boot, confidence=level, seed=seed)

    return lambda f: _apply(_wrap(f, ("n_boot", "confidence", "ci_alias", "seed"), make), options)


def ci_over_option(*, help: str = "What the intervals are over: prompt variants (these items fixed; the human "
                   "row: raters), items (new items of the same kinds), or both.") -> Decorator:
    """``--ci-over`` (:data:`~valueportrait.scoring.CI_UNITS`, default ``variants``)."""
    from valueportrait.scoring.intervals import CI_UNITS, DEFAULT_CI_OVER

    return click.option("--ci-over", "ci_over", type=click.Choice(list(CI_UNITS)), default=DEFAULT_CI_OVER,
                        show_default=True, help=help)


def duplicates_option() -> Decorator:
    """``--duplicates error|first|mean``: what a request (model, persona, item, variant) rated twice does."""
    from valueportrait.ratings.duplicates import DUPLICATE_POLICIES

    return click.option("--duplicates", type=click.Choice(list(DUPLICATE_POLICIES)), default="error",
                        show_default=True,
                        help="A request (model, persona, item, variant) rated more than once (a file or run given "
                             "twice): error, keep the first rating, or average them (counted in the output).")


def out_options(*, required: bool, help: str, overwrite_help: str = "Replace what --out holds.",
                force_alias: bool = False, path_type: type | None = None) -> Decorator:
    """``--out`` and ``--overwrite`` (``force_alias``: also a hidden ``--force``, the old name)."""
    options = [
        click.option("--out", "out", required=required, type=click.Path(file_okay=False, path_type=path_type),
                     help=help),
        click.option("--overwrite", is_flag=True, help=overwrite_help),
    ]
    if not force_alias:
        return lambda f: _apply(f, options)
    options.append(click.option("--force", "force_alias", is_flag=True, hidden=True, help="Old name of --overwrite."))

    def make(overwrite, force_alias):
        return "overwrite", overwrite or force_alias

    return lambda f: _apply(_wrap(f, ("overwrite", "force_alias"), make), options)


def pairs_mapping(values: tuple[str, ...], option: str) -> dict[str, str] | None:
    """``("sex=Sex", "age")`` -> ``{"sex": "Sex", "age": "age"}`` (None when empty: every column)."""
    if not values:
        return None
    out = {}
    for v in values:
        name, _, column = v.partition("=")
        if not name.strip():
            raise click.BadParameter(f"expected NAME or NAME=COLUMN, got {v!r}", param_hint=option)
        out[name.strip()] = (column or name).strip()
    return out


def bin_edges(values: tuple[str, ...]) -> dict[str, list[float]] | None:
    """``("age=18,30,45,60",)`` -> ``{"age": [18.0, 30.0, 45.0, 60.0]}`` (None when empty)."""
    out = {}
    for v in values:
        name, sep, edges = v.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = [float(e) for e in edges.split(",") if e.strip()]
        except ValueError:
            raise click.BadParameter(f"expected NAME=E1,E2,... with numbers, e.g. age=18,30,45,60; got {v!r}",
                                     param_hint="--bins") from None
    return out or None


def demographics_options(*, prefix: str = "") -> Decorator:
    """``--id-column --attribute --bins`` (they read a demographics file) -> ``id_column, attributes, bins``."""
    options = [
        click.option("--id-column", default=None,
                     help=f"{prefix}The participant id column (default: 'participant_id', 'Participant id', "
                          "'PROLIFIC_PID' or 'pid')."),
        click.option("--attribute", "attributes", multiple=True, metavar="NAME[=COLUMN]",
                     help=f"{prefix}An attribute to keep (repeatable); NAME=COLUMN renames a column. Default: "
                          "every column but the id and Prolific's bookkeeping."),
        click.option("--bins", "bins", multiple=True, metavar="NAME=E1,E2,...",
                     help=f"{prefix}Bin a numeric attribute at these edges, e.g. age=18,30,45,60 (repeatable)."),
    ]

    def make(id_column, attributes, bins):
        given = [n for n, v in (("--id-column", id_column), ("--attribute", attributes), ("--bins", bins)) if v]
        return "demographics_columns", {"id_column": id_column, "attributes": pairs_mapping(attributes, "--attribute"),
                                        "bins": bin_edges(bins), "given": given}

    return lambda f: _apply(_wrap(f, ("id_column", "attributes", "bins"), make), options)


def require_demographics(columns: dict[str, Any], demographics: Any, why: str = "") -> None:
    """A usage error when ``--id-column / --attribute / --bins`` are given without ``--demographics``."""
    if columns["given"] and demographics is None:
        raise click.UsageError(f"{', '.join(columns['given'])} only apply with --demographics FILE{why}")
