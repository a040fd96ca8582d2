"""Completeness and range checks of a read release: nothing missing or out of range is built silently.

The readers in :mod:`valueportrait.builders.tables` check each record's shape; these functions check what a
record-by-record reader cannot see: a survey group or a published table that is gone, items nobody rated,
published correlations for pairs the release does not have, numbers outside their scale. Each problem is a
:class:`~valueportrait.errors.RawDataError` naming the file, the record and the field, or, where a partial
release is allowed (``allow_partial``, ``valueportrait build --allow-partial``), a warning with a count that
is also kept in ``notes`` (the build stores them in ``build_info["partial_release"]``).
"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from valueportrait.errors import RawDataError
from valueportrait.scale import FAMILIES, item_sort_key

from . import raw_release as rr

#: Survey groups of the main survey (each with its own raters and items).
SURVEY_GROUPS = 12
#: The range of each family's value scores: PVQ-21 answers 1-6 ipsatized (minus the person's mean) lie in
#: [-5, 5], and so do their higher-order means; BFI-10 scores are means of two 1-5 answers.
VALUE_RANGES: dict[str, tuple[float, float]] = {"pvq": (-5.0, 5.0), "higher_pvq": (-5.0, 5.0), "bfi": (1.0, 5.0)}
#: How to go on when parts of the release are missing on purpose.
PARTIAL_FIX = "or pass --allow-partial to build from the partial release (the build then records what is missing)."


def partial(problem: str, fix: str, allow_partial: bool, notes: list[str]) -> None:
    """A part of the release is missing: :class:`RawDataError` (``problem``, ``fix``, how to allow it), or, with
    ``allow_partial``, a warning, and ``problem`` appended to ``notes``."""
    if not allow_partial:
        raise RawDataError(f"{problem} {fix.rstrip('.')}, {PARTIAL_FIX}")
    warnings.warn(f"{problem} Building anyway (--allow-partial).", stacklevel=3)
    notes.append(problem)


def check_survey_groups(n_groups: int, allow_partial: bool, notes: list[str]) -> None:
    """The main survey must have its :data:`SURVEY_GROUPS` groups (fewer only with ``allow_partial``)."""
    if n_groups > SURVEY_GROUPS:
        raise RawDataError(f"{rr.SURVEY_FILE}: top level: expected {SURVEY_GROUPS} survey groups, found {n_groups}. "
                           f"{rr.RESTORE_HINT}")
    if n_groups < SURVEY_GROUPS:
        partial(f"{rr.SURVEY_FILE}: top level: expected {SURVEY_GROUPS} survey groups, found {n_groups} "
                f"({SURVEY_GROUPS - n_groups} missing, with their items' ratings).", rr.RESTORE_HINT, allow_partial,
                notes)


def check_rated_items(items: pd.Series, ratings: pd.DataFrame, allow_partial: bool, notes: list[str]) -> None:
    """Every item must have ratings in the main survey, and every rated item must be an item."""
    rated = set(ratings["item_id"])
    unknown = sorted(rated - set(items), key=item_sort_key)
    if unknown:
        raise RawDataError(
            f"{rr.SURVEY_FILE}: rated item(s) {unknown[:10]} are not among the items of "
            f"data/query-response/*.json and {rr.TAGGED_FILE}; "
            f"every rated item needs its query and response text. {rr.RESTORE_HINT}"
        )
    unrated = [i for i in items if i not in rated]
    if unrated:
        partial(f"{rr.SURVEY_FILE}: {len(unrated)} of {len(items)} items have no ratings (first: "
                f"{', '.join(unrated[:5])}), so they have no correlations and measure nothing.", rr.RESTORE_HINT,
                allow_partial, notes)


def value_score(value: object, family: str, dim: str, pid: str) -> float:
    """One participant's score on one dimension, checked: a finite number within :data:`VALUE_RANGES`."""
    where = f"participant {pid}"
    rr.expect_type(value, (int, float), rr.VALUE_FILE, where, f"field {family}.{dim}")
    lo, hi = VALUE_RANGES[family]
    if not lo <= value <= hi:  # False for NaN as well
        rr.expect(False, rr.VALUE_FILE, where, f"field {family}.{dim} = {value!r} is not a finite number in "
                  f"[{lo:g}, {hi:g}] (the range of {family} scores).")
    return float(value)


def check_published(published: pd.DataFrame, items: pd.Series, allow_partial: bool, notes: list[str]) -> None:
    """The published tables (columns item_id, family, dimension, ``record``: the record's index in its file):
    known items and dimensions, one record per pair, and every (item, dimension) pair present (missing pairs
    only with ``allow_partial``). The numbers are checked record by record (:func:`published_numbers`)."""
    known = set(items)
    for family in published["family"].unique():
        rel = rr.CORRELATION_FILES[family]
        fam = published[published["family"] == family].reset_index(drop=True)
        _first_bad(~fam["item_id"].isin(known), fam, rel,
                   lambda r: "portrait_id/option_id name no item of the query files; correlations are published only "
                             "for the release's items.")
        _first_bad(~fam["dimension"].isin(FAMILIES[family]), fam, rel,
                   lambda r: f"{family}_dimension {r.dimension!r} is not one of {', '.join(FAMILIES[family])}.")
        _first_bad(fam.duplicated(["item_id", "dimension"], keep=False), fam, rel,
                   lambda r: f"the pair ({r.item_id}, {r.dimension}) has more than one record; one is expected.")
        expected = len(known) * len(FAMILIES[family])
        if len(fam) < expected:
            partial(f"{rel}: {expected - len(fam)} of the {expected} item x {family} dimension pairs have no record, "
                    "so they cannot be selected with the published correlations.", rr.RESTORE_HINT, allow_partial,
                    notes)


def _first_bad(mask: pd.Series, table: pd.DataFrame, rel: str, message) -> None:
    """Raise :class:`RawDataError` naming the first record where ``mask`` is true (``message(row)`` says what)."""
    bad = table[mask.to_numpy()]
    if len(bad):
        row = next(bad.itertuples(index=False))
        raise RawDataError(f"{rel}: record {row.record} (item {row.item_id}): {message(row)} "
                           f"({len(bad)} such record(s).) {rr.RESTORE_HINT}")


def published_numbers(rho: object, p: object, rel: str, where: str) -> tuple[float, float]:
    """One published record's rho and p, checked: rho a finite number in [-1, 1], p one in [0, 1]."""
    rr.expect_type(rho, (int, float), rel, where, "field spearman_corr")
    rr.expect_type(p, (int, float), rel, where, "field spearman_p_value")
    if not -1 <= rho <= 1:
        rr.expect(False, rel, where, f"spearman_corr = {rho!r} is not a finite number in [-1, 1].")
    if not 0 <= p <= 1:
        rr.expect(False, rel, where, f"spearman_p_value = {p!r} is not a finite number in [0, 1].")
    return float(rho), float(p)


#: The placeholders each prompt template fills (upstream's ``create_prompt``); any other ``{name}`` would be sent
#: to the model literally.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {"reddit": ("title", "text", "content"), "sharegpt": ("text", "content")}
_BRACE = re.compile(r"\{([^{}]*)\}|[{}]")


def check_prompt(text: str, rel: str, template: str) -> None:
    """A released prompt template, checked: no byte-order mark, no NUL, every ``{...}`` one of the template's
    :data:`PLACEHOLDERS` (each present), and no stray ``{`` or ``}``. Errors name the line and column."""
    rr.expect(not text.startswith("\ufeff"), rel, "line 1", "the file starts with a byte-order mark (U+FEFF), which "
              "would be sent to the model; save it as UTF-8 without BOM.")
    allowed = PLACEHOLDERS[template]
    for m in _BRACE.finditer(text):
        name = m.group(1)
        if name is not None and name in allowed:
            continue
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        what = (f"unknown placeholder {m.group(0)!r} (the {template} template fills only "
                f"{', '.join('{' + a + '}' for a in allowed)}; anything else is sent to the model literally)"
                if name is not None else f"unbalanced {m.group(0)!r} (no matching brace; it would be sent literally)")
        rr.expect(False, rel, f"line {line}, column {col}", f"{what}.")
    nul = text.find("\x00")
    if nul >= 0:
        rr.expect(False, rel, f"line {text.count(chr(10), 0, nul) + 1}", "a NUL character (U+0000) in the prompt.")
    lacking = [f"{{{a}}}" for a in allowed if f"{{{a}}}" not in text]
    rr.expect(not lacking, rel, "template", f"placeholder(s) {lacking} are missing.")
