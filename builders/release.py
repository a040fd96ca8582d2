"""The dataset's tables made in memory from the raw release: read, correlate, cross-check, select, measure.

:func:`from_release` is the first half of a build (:func:`valueportrait.builders.build.build_dataset` writes
what it returns); it lives with the builders because it needs them, so the core (:mod:`valueportrait.dataset`)
never imports a builder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from valueportrait.dataset import DATASET_VERSION, ValuePortraitData, item_dimension_lists
from valueportrait.errors import DatasetError, InputError
from valueportrait.instrument import VALUE_PORTRAIT
from valueportrait.selection import (CORRELATION_COLUMNS, DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_SCORING,
                                     DEFAULT_THRESHOLD, Correction, Mode, check_correction, check_scoring, select,
                                     selection_departures,
                                     version_label, warn_empty_families)

from . import raw_release
from .correlations import compute_correlations, cross_check, merge_published
from .pinned import check_pinned
from .reliability import reliability_report
from .tables import read_release
from .validity import validity_report


def from_release(raw: str | Path | None = None, *, correlations: Literal["published", "computed"] | None = None,
                 threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA, mode: Mode = "pos",
                 correction: Correction = DEFAULT_CORRECTION, allow_partial: bool = False,
                 strict: bool = False) -> ValuePortraitData:
    """Build every table in memory from the raw release (``raw`` or ``$VALUEPORTRAIT_RAW``).

    ``correlations`` picks the values that drive the selection: ``published`` (default when the release has
    the published tables; paper-faithful) or ``computed``; ``correction`` the multiple-testing control
    (``none``, the paper's rule; ``fdr_bh``; ``bonferroni``); the scoring rule is the paper's ``threshold``
    (:func:`with_scoring` changes it). ``build_info["validity"]`` holds the validity
    report (:func:`valueportrait.builders.validity.validity_report`). A release missing a survey group or a
    published table is an error unless ``allow_partial`` (then ``build_info["partial_release"]`` says what is
    missing). A folder whose files differ from the pinned release (:mod:`.pinned`) is built with a warning and
    ``build_info["modified_release"]`` listing them, or refused with ``strict``.
    """
    check_correction(correction)
    if correlations is not None and correlations not in CORRELATION_COLUMNS:
        raise InputError(f"correlations must be 'published' or 'computed' (or None: published when the release has "
                         f"them), got {correlations!r}")
    root = raw_release.resolve_raw_dir(raw)
    sums = raw_release.input_fingerprints(root, list(raw_release.INPUT_FILES))
    modified = check_pinned(root, sums, strict=strict)
    rel = read_release(root, allow_partial=allow_partial)
    corr = merge_published(compute_correlations(rel.human_ratings, rel.participants), rel.published_correlations)
    has_published = corr["rho_published"].notna().any()
    if correlations is None:
        correlations = "published" if has_published else "computed"
    if correlations == "published" and not has_published:
        raise DatasetError(
            "--correlations published was asked for, but the raw release has no published correlation tables "
            "(data/correlation_results/*.json); use --correlations computed."
        )
    rho_col, p_col = CORRELATION_COLUMNS[correlations]
    key = select(corr[rho_col].to_numpy(), corr[p_col].to_numpy(), threshold=threshold, alpha=alpha, mode=mode,
                 correction=correction, families=corr["family"].to_numpy())
    warn_empty_families(corr["family"].to_numpy(), key, correction)
    corr["selected"] = key != 0
    corr = corr[["item_id", "family", "dimension", "rho", "p_value", "n", "selected", "rho_published",
                 "p_value_published"]]
    items = rel.items.merge(rel.queries[["query_id", "categories"]], on="query_id", how="left")
    sel = corr.loc[corr["selected"], ["item_id", "family", "dimension"]].copy()
    sel["key"] = key[key != 0]
    for family, lists in item_dimension_lists(items["item_id"], sel).items():
        items[family] = lists
    check = cross_check(corr, rel.human_ratings)
    selection = {"correlations": correlations, "threshold": threshold, "alpha": alpha, "mode": mode,
                 "correction": correction, "scoring": DEFAULT_SCORING}
    info = {
        "dataset_version": DATASET_VERSION,
        "selection": selection,
        # a selection other than the paper's is labelled wherever the version is shown, and is not published
        "paper_selection": not selection_departures(selection),
        "version_label": version_label(DATASET_VERSION, selection),
        "cross_check": check.to_dict() if check.available else None,
        "reliability": reliability_report(rel.human_ratings, sel),
        "validity": validity_report(rel.human_ratings, rel.participants, corr, use=correlations, threshold=threshold,
                                    alpha=alpha, mode=mode, correction=correction),
        "instrument": instrument_info(VALUE_PORTRAIT),
        "upstream": {"repository": raw_release.UPSTREAM_REPO, "commit": raw_release.UPSTREAM_COMMIT},
        "inputs": {f: sums[f] for f in sorted(rel.input_files)},
        **({"modified_release": modified} if modified else {}),
        **({"partial_release": rel.partial} if rel.partial else {}),
    }
    return ValuePortraitData(items=items, correlations=corr, human_ratings=rel.human_ratings,
                             participants=rel.participants, prompts=rel.prompts, queries=rel.queries,
                             build_info=info)


def instrument_info(instrument) -> dict:
    """What ``build_info["instrument"]`` holds: the instrument's dict without its templates (a build's templates
    are its ``prompts`` config)."""
    d = instrument.to_dict(templates=False)
    del d["templates"]
    return d


def with_scoring(data: ValuePortraitData, scoring: str) -> ValuePortraitData:
    """``data`` built for the scoring rule ``scoring`` (``threshold`` or ``weighted``): recorded in
    ``build_info["selection"]`` (and the version label: weighted is not the paper's); the dataset's default
    selection is then every item weighted by its correlation (:func:`valueportrait.selection.weighted_table`).
    The ``selected`` column and the items' dimension lists stay the threshold rule's. Pure: a new object."""
    from dataclasses import replace

    check_scoring(scoring)
    selection = {**data.build_info["selection"], "scoring": scoring}
    info = {**data.build_info, "selection": selection, "paper_selection": not selection_departures(selection),
            "version_label": version_label(DATASET_VERSION, selection)}
    return replace(data, build_info=info)


__all__ = ["from_release", "instrument_info", "with_scoring"]
