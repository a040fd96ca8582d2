"""The options of the commands mapped onto the settings objects (:mod:`valueportrait.settings`), in one place.

Each decorator adds its options and hands the command one settings object instead of loose values:
:func:`dataset_options` gives ``dataset=`` (a :class:`~valueportrait.settings.DatasetRef`, with ``ref=True``),
:func:`selection_options` gives ``selection=`` (:class:`~valueportrait.settings.Selection`),
:func:`intervals_options` gives ``intervals=`` (:class:`~valueportrait.settings.Intervals`),
:func:`deviation_options` gives ``deviation=`` (:class:`~valueportrait.settings.Deviation`), and
:func:`demographics_options` with :func:`demographics_file` a :class:`~valueportrait.settings.DemographicsFile`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from valueportrait.selection import (CORRECTIONS, DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_SCORING, DEFAULT_THRESHOLD, MODES,
                                     SCORINGS)
from valueportrait.ratings.duplicates import DUPLICATE_POLICIES
from valueportrait.settings import (CORRELATION_SOURCES, DEFAULT_LEVEL, DEFAULT_N_BOOT, DEFAULT_N_PERM, DatasetRef,
                                    DemographicsFile, Deviation, Intervals, Publish, Selection)

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
                    required: bool = True, ref: bool = False) -> Decorator:
    """``--dataset`` (``required``, or None when not given) and ``--revision``; with ``ref`` they come as one
    ``dataset=`` :class:`~valueportrait.settings.DatasetRef` (None without ``--dataset``)."""
    extra = {"envvar": "VALUEPORTRAIT_DATASET", "show_envvar": True} if envvar else {}
    options = [
        click.option("--dataset", "dataset", required=required, default=None, help=help, **extra),
        click.option("--revision", default=None, help="Hub revision (tag, branch, commit) when --dataset is a repo id."),
    ]
    if not ref:
        return lambda f: _apply(f, options)

    def make(dataset, revision):
        if dataset is None and revision is not None:
            raise click.UsageError("--revision needs --dataset (the Hub repo id it is a revision of)")
        return "dataset", None if dataset is None else DatasetRef(dataset, revision)

    return lambda f: _apply(_wrap(f, ("dataset", "revision"), make), options)


def selection_options(*, build: bool = False, scoring: bool = False) -> Decorator:
    """``--threshold --alpha --mode --correlations --correction --scoring`` (and with ``scoring``,
    ``--center/--no-center --min-items --duplicates``) -> ``selection=Selection(...)``.

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
        click.option("--scoring", type=click.Choice(SCORINGS), default=None,
                     help="threshold: each selected item scores its dimensions with weight 1 (the paper's rule); "
                          "weighted: every item scores every dimension with weight equal to its correlation (holds "
                          "up about twice as well on held-out raters; docs/validity.md) "
                          f"({of.format(DEFAULT_SCORING)})."),
    ]
    names = ("threshold", "alpha", "mode", "correlations", "correction", "scoring")
    if scoring:
        options += [
            click.option("--center/--no-center", default=True, show_default=True,
                         help="Subtract the family mean (scale-use correction)."),
            click.option("--min-items", type=click.IntRange(1), default=1, show_default=True,
                         help="Null score for dimensions with fewer rated items."),
            click.option("--duplicates", type=click.Choice(list(DUPLICATE_POLICIES)), default="error",
                         show_default=True,
                         help="A request (model, persona, item, variant) rated more than once (a file or run given "
                              "twice): error, keep the first rating, or average them (counted in the output)."),
        ]
        names += ("center", "min_items", "duplicates")

    def make(**given):
        return "selection", Selection(**given)

    return lambda f: _apply(_wrap(f, names, make), options)


def intervals_options(*, over: str | None = None, prefix: str = "", what: str = "") -> Decorator:
    """``[--ci-over] --n-boot --confidence --seed`` -> ``intervals=Intervals(...)`` (``--ci``: a hidden old name
    of ``--confidence``). ``over``: the fixed unit of the command's intervals; None adds ``--ci-over``."""
    from valueportrait.scoring.intervals import CI_UNITS, DEFAULT_CI_OVER

    options = []
    if over is None:
        options.append(click.option(
            "--ci-over", "ci_over", type=click.Choice(list(CI_UNITS)), default=DEFAULT_CI_OVER, show_default=True,
            help="What the intervals are over: prompt variants (these items fixed; the human row: raters), items "
                 "(new items of the same kinds), or both."))
    options += [
        click.option("--n-boot", type=click.IntRange(0), default=DEFAULT_N_BOOT, show_default=True,
                     help=f"{prefix}Bootstrap replicates{what} (0: no intervals)."),
        click.option("--confidence", type=LEVEL, default=DEFAULT_LEVEL, show_default=True,
                     help=f"{prefix}Level of the confidence intervals."),
        click.option("--ci", "ci_alias", type=LEVEL, default=None, hidden=True, help="Old name of --confidence."),
        click.option("--seed", type=int, default=0, show_default=True, help=f"{prefix}Bootstrap seed."),
    ]

    def make(n_boot, confidence, ci_alias, seed, ci_over=over):
        level = confidence if ci_alias is None else ci_alias
        return "intervals", Intervals(over=ci_over, level=level, n_boot=n_boot, seed=seed)

    names = ("n_boot", "confidence", "ci_alias", "seed") + (("ci_over",) if over is None else ())
    return lambda f: _apply(_wrap(f, names, make), options)


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


def publish_options(*, what: str = "repo", force: bool = False) -> Decorator:
    """``--endpoint --private [--force]`` -> ``publish=Publish(...)``."""
    options = [
        click.option("--endpoint", envvar="HF_ENDPOINT", default=None,
                     help="Hub endpoint for a private hub (default: $HF_ENDPOINT, else https://huggingface.co)."),
        click.option("--private", is_flag=True, help=f"Create the {what} private (only when it is created)."),
    ]
    if force:
        options.insert(0, click.option("--force", is_flag=True, help="Move the tag vX.Y.Z if it exists at other "
                                                                     "content."))

    def make(endpoint, private, force=False):
        return "publish", Publish(endpoint=endpoint, private=private or None, force=force)

    names = ("endpoint", "private") + (("force",) if force else ())
    return lambda f: _apply(_wrap(f, names, make), options)


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


def demographics_options(*, prefix: str = "", why: str = "",
                         help: str = "The raters' demographics (CSV/TSV/JSON/JSONL, one row per participant).",
                         path_type: type | None = None) -> Decorator:
    """``--demographics FILE --id-column --attribute --bins`` -> ``demographics=`` a
    :class:`~valueportrait.settings.DemographicsFile` (None without ``--demographics``; the reading options
    without it are a usage error, ``why`` says what to do instead)."""
    options = [
        click.option("--demographics", "demographics", default=None,
                     type=click.Path(dir_okay=False, path_type=path_type), help=help),
        click.option("--id-column", default=None,
                     help=f"{prefix}The participant id column (default: 'participant_id', 'Participant id', "
                          "'PROLIFIC_PID' or 'pid')."),
        click.option("--attribute", "attributes", multiple=True, metavar="NAME[=COLUMN]",
                     help=f"{prefix}An attribute to keep (repeatable); NAME=COLUMN renames a column. Default: "
                          "every column but the id and Prolific's bookkeeping."),
        click.option("--bins", "bins", multiple=True, metavar="NAME=E1,E2,...",
                     help=f"{prefix}Bin a numeric attribute at these edges, e.g. age=18,30,45,60 (repeatable)."),
    ]

    def make(demographics, id_column, attributes, bins):
        given = [n for n, v in (("--id-column", id_column), ("--attribute", attributes), ("--bins", bins)) if v]
        if given and demographics is None:
            raise click.UsageError(f"{', '.join(given)} only apply with --demographics FILE{why}")
        if demographics is None:
            return "demographics", None
        return "demographics", DemographicsFile(demographics, id_column=id_column,
                                                attributes=pairs_mapping(attributes, "--attribute"),
                                                bins=bin_edges(bins))

    return lambda f: _apply(_wrap(f, ("demographics", "id_column", "attributes", "bins"), make), options)


def deviation_options() -> Decorator:
    """The human side and the deviation statistics' settings -> ``deviation=Deviation(...)``: ``--demographics``
    (with its reading options), ``--norms``, ``--stored-norms``, ``--persona-map``, ``--n-perm``,
    ``--norms-confidence``, ``--min-raters``, ``--no-plot``."""
    options = [
        click.option("--norms", "norms_path", default=None, type=click.Path(dir_okay=False),
                     help="Instead of --demographics: group norms as a table (CSV, TSV, parquet, JSON or JSONL; columns "
                          "attribute, group, family, dimension, score[, score_ci_low, score_ci_high, n_raters]), "
                          "e.g. published norms. With neither, the dataset's own demographics (a build with "
                          "--demographics)."),
        click.option("--stored-norms", is_flag=True,
                     help="With neither --demographics nor --norms: compare with the dataset's stored "
                          "human_group_norms config instead of its raters (faster; no permutation p-values, no "
                          "distribution alignment)."),
        click.option("--persona-map", default=None, type=click.Path(dir_okay=False),
                     help="JSON {persona: 'attribute=group'} or a CSV / TSV / JSONL table persona,attribute,group; "
                          "not needed when personas are labelled 'attribute=group'."),
        click.option("--n-perm", default=DEFAULT_N_PERM, show_default=True, type=click.IntRange(0),
                     help="Permutations for p-values."),
        click.option("--norms-confidence", default=DEFAULT_LEVEL, show_default=True, type=LEVEL,
                     help="Level of the CI columns of a --norms table."),
        click.option("--min-raters", default=None, type=click.IntRange(1),
                     help="Groups with fewer raters get no statistics (a note says why). Default: the build's, 5."),
        click.option("--no-plot", is_flag=True, help="Do not draw the radar charts (no matplotlib needed)."),
    ]

    def make(demographics, norms_path, stored_norms, persona_map, n_perm, norms_confidence, min_raters, no_plot):
        return "deviation", Deviation(human="norms" if stored_norms else None, demographics=demographics,
                                      norms=norms_path, norms_confidence=norms_confidence, persona_groups=persona_map,
                                      n_perm=n_perm, min_raters=min_raters, plot=not no_plot)

    names = ("demographics", "norms_path", "stored_norms", "persona_map", "n_perm", "norms_confidence", "min_raters",
             "no_plot")
    return lambda f: _apply(
        demographics_options(prefix="With --demographics: ",
                             why=" (a dataset built with demographics carries its attributes, already binned)",
                             help="Demographics table (CSV/TSV/JSON/JSONL), one row per participant.")(
            _wrap(f, names, make)), options)
