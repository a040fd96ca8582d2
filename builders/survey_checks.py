"""The checks of a survey folder's tables (``valueportrait build --survey DIR``), pure functions on the text cells
:func:`valueportrait.table_files.read_table` reads: each returns the clean table or raises an
:class:`~valueportrait.errors.InputError` naming the file, the row, the column, what was expected and the fix.
Where going on is right (a column the build does not use, a rater without questionnaire scores) a
:class:`SurveyWarning` says how many rows it concerns.

The folder's layout is documented in docs/your-survey.md; :mod:`valueportrait.builders.survey_input` reads it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from valueportrait.errors import InputError

#: An item needs at least this many raters (with questionnaire scores) for its correlations.
MIN_RATERS_PER_ITEM = 10
#: The columns each table must have, and those it may have.
ITEM_COLUMNS = ("item_id", "kind", "text", "response", "source")
ITEM_OPTIONAL = ("title", "categories", "query_id")
RATING_COLUMNS = ("participant", "item_id", "rating")
RATING_OPTIONAL = ("group",)
#: Placeholders a template may use (the instrument's loader refuses any other).
PLACEHOLDER = re.compile(r"{(\w+)}")


class SurveyWarning(UserWarning):
    """Something in a survey folder the build went on past (counted; the message says what and how many)."""


def shown_list(values: Sequence[object], limit: int = 5) -> str:
    values = list(values)
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(map(str, values[:limit])) + more


def require_columns(frame: pd.DataFrame, where: str, required: Sequence[str], optional: Sequence[str]) -> None:
    """Every ``required`` column is there (else an error listing the header); unknown columns are a warning."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{where}, line 1: no column {missing[0]!r}; expected the columns {', '.join(required)}"
                         f"{' (optional: ' + ', '.join(optional) + ')' if optional else ''}, found "
                         f"{', '.join(frame.columns) or 'none'}. Add the column to the header (see docs/your-survey.md)")
    extra = [c for c in frame.columns if c not in (*required, *optional)]
    if extra:
        warnings.warn(f"{where}: {len(extra)} column(s) the build does not use are ignored: {shown_list(extra)}",
                      SurveyWarning, stacklevel=3)


def _first_bad(mask: np.ndarray, rows: Sequence[str]) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _unique(frame: pd.DataFrame, column: str, rows: Sequence[str], where: str, what: str, fix: str) -> None:
    """Every value of ``column`` is non-empty and appears once."""
    values = frame[column].str.strip()
    k = _first_bad((values == "").to_numpy(), rows)
    if k is not None:
        raise InputError(f"{where}, {rows[k]}, column {column!r}: empty; expected the {what}'s id. Fill it in or "
                         "remove the row")
    dup = values.duplicated(keep=False).to_numpy()
    k = _first_bad(dup, rows)
    if k is not None:
        same = [rows[i] for i in np.flatnonzero(dup & (values == values.iloc[k]).to_numpy())]
        raise InputError(f"{where}, {rows[k]}, column {column!r}: {what} {values.iloc[k]!r} appears more than once "
                         f"({', '.join(same)}); expected each {what} once. {fix}")


def template_kinds(templates: Sequence, variants: Sequence[str]) -> dict[str, set[str]]:
    """kind -> the placeholders its templates use, for the kinds every variant has a template of."""
    by_kind: dict[str, dict[str, str]] = {}
    for t in templates:
        by_kind.setdefault(t.kind, {})[t.variant] = t.text
    return {k: set().union(*(PLACEHOLDER.findall(x) for x in texts.values())) for k, texts in by_kind.items()
            if set(variants) <= set(texts)}


def check_items(frame: pd.DataFrame, rows: Sequence[str], where: str, instrument) -> pd.DataFrame:
    """The items table: item_id, query_id, source, template (the kind), title, text, response, categories (a list).

    Each item's ``kind`` must have a template in every variant of ``instrument``; a kind whose templates show
    ``{title}`` needs a title; text and response are non-empty."""
    require_columns(frame, where, ITEM_COLUMNS, ITEM_OPTIONAL)
    if not len(frame):
        raise InputError(f"{where}: no items; expected one row per item (see docs/your-survey.md)")
    _unique(frame, "item_id", rows, where, "item", "Give every item its own id, or remove the duplicate row")
    kinds = template_kinds(instrument.templates, [v.name for v in instrument.variants])
    out = pd.DataFrame({"item_id": frame["item_id"].str.strip()})
    for k, row in enumerate(frame.itertuples(index=False)):
        r = row._asdict()
        kind = r["kind"].strip()
        if kind not in kinds:
            have = ", ".join(sorted(kinds)) or "none"
            raise InputError(f"{where}, {rows[k]}, column 'kind': item {out['item_id'].iloc[k]!r} has kind {kind!r}, "
                             f"which has no prompt template in every variant of the instrument (kinds with templates: "
                             f"{have}). Use one of those kinds, or add a template of kind {kind!r} for each variant "
                             "to instrument.yaml")
        for column in ("text", "response", "source") + (("title",) if "title" in kinds[kind] else ()):
            if not r.get(column, "").strip():
                why = f" (the {kind!r} templates show {{title}})" if column == "title" else ""
                raise InputError(f"{where}, {rows[k]}, column {column!r}: empty for item {out['item_id'].iloc[k]!r}"
                                 f"{why}; expected text. Fill it in or remove the item")
    strip = {c: frame[c].str.strip() for c in frame.columns}
    out["query_id"] = strip["query_id"].where(strip["query_id"] != "", out["item_id"]) if "query_id" in strip \
        else out["item_id"]
    out["response_id"] = pd.array([None] * len(frame), dtype="Int64")
    out["source"] = strip["source"]
    out["template"] = strip["kind"]
    out["title"] = [t if t else None for t in strip.get("title", pd.Series([""] * len(frame)))]
    out["text"] = frame["text"].to_numpy()
    out["response"] = frame["response"].to_numpy()
    cats = strip.get("categories", pd.Series([""] * len(frame)))
    out["categories"] = [[c.strip() for c in x.split(";") if c.strip()] for x in cats]
    return out.reset_index(drop=True)


def _integers(values: pd.Series) -> np.ndarray:
    """The integer of each text cell, NaN where it is not one (``"4"``, ``"4.0"`` -> 4; ``"4.5"``, ``"x"`` -> NaN)."""
    num = pd.to_numeric(values.str.strip(), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(num) & (num == np.round(num)), num, np.nan)


def check_ratings(frame: pd.DataFrame, rows: Sequence[str], where: str, scale, item_ids: Sequence[str],
                  items_where: str) -> pd.DataFrame:
    """The ratings table: participant_id, survey_group (int), item_id, rating (int within the scale).

    Every rating a whole number in ``scale.min..scale.max``, every item one of ``item_ids``, a participant rates
    an item once, an item belongs to one survey group (``group``: integers as given, other labels numbered 1.. in
    sorted order; none: group 1)."""
    require_columns(frame, where, RATING_COLUMNS, RATING_OPTIONAL)
    if not len(frame):
        raise InputError(f"{where}: no ratings; expected one row per rating (participant, item_id, rating)")
    pid, iid = frame["participant"].str.strip(), frame["item_id"].str.strip()
    for column, values in (("participant", pid), ("item_id", iid)):
        k = _first_bad((values == "").to_numpy(), rows)
        if k is not None:
            raise InputError(f"{where}, {rows[k]}, column {column!r}: empty; expected the {column.replace('_', ' ')}. "
                             "Fill it in or remove the row")
    rating = _integers(frame["rating"])
    bad = np.isnan(rating) | (rating < scale.min) | (rating > scale.max)
    k = _first_bad(bad, rows)
    if k is not None:
        raise InputError(f"{where}, {rows[k]}, column 'rating': {frame['rating'].iloc[k]!r} is not a rating on the "
                         f"instrument's scale; expected a whole number from {scale.min} to {scale.max} "
                         f"({scale.min} = {scale.phrases[0]!r}, {scale.max} = {scale.phrases[-1]!r}). Correct it, or "
                         f"fix the scale in instrument.yaml ({int(bad.sum())} rating(s) off the scale in all)")
    known = set(item_ids)
    k = _first_bad(~iid.isin(known).to_numpy(), rows)
    if k is not None:
        raise InputError(f"{where}, {rows[k]}, column 'item_id': item {iid.iloc[k]!r} is not in {items_where}; "
                         "expected one of its item ids. Add the item there, or correct the id")
    dup = pd.DataFrame({"p": pid, "i": iid}).duplicated(keep=False).to_numpy()
    k = _first_bad(dup, rows)
    if k is not None:
        same = [rows[j] for j in np.flatnonzero(dup & (pid == pid.iloc[k]).to_numpy() & (iid == iid.iloc[k]).to_numpy())]
        raise InputError(f"{where}, {rows[k]}: participant {pid.iloc[k]!r} rated item {iid.iloc[k]!r} more than once "
                         f"({', '.join(same)}); expected one rating per participant and item. Keep one of them")
    group = survey_groups(frame["group"].str.strip() if "group" in frame.columns else None, len(frame))
    of_item = pd.DataFrame({"i": iid, "g": group}).groupby("i", sort=False)["g"].nunique()
    if (of_item > 1).any():
        item = of_item.index[of_item.to_numpy() > 1][0]
        at = [rows[j] for j in np.flatnonzero((iid == item).to_numpy())][:4]
        raise InputError(f"{where}, column 'group': item {item!r} is rated in more than one survey group ({', '.join(at)}"
                         ", ...); expected each item in one group (the raters who saw the same items). Correct the "
                         "group, or give the item a separate id per group")
    return pd.DataFrame({"participant_id": pid.to_numpy(), "survey_group": group, "item_id": iid.to_numpy(),
                         "rating": rating.astype(np.int64)})


def survey_groups(labels: pd.Series | None, n: int) -> np.ndarray:
    """The survey group of each rating: the integers given, or other labels numbered 1.. in sorted order; 1 when
    there is no ``group`` column or a cell is empty."""
    if labels is None:
        return np.ones(n, dtype=np.int64)
    labels = labels.where(labels != "", "1")
    ints = _integers(labels)
    if not np.isnan(ints).any():
        return ints.astype(np.int64)
    codes, _ = pd.factorize(labels, sort=True)
    return codes.astype(np.int64) + 1


def scores_columns(columns: Sequence[str], dimensions: Sequence[tuple[str, str]], where: str) -> dict[tuple[str, str], str]:
    """The column of each (family, dimension): named by the dimension or ``<family>_<dimension>``."""
    out = {}
    for f, d in dimensions:
        found = [c for c in (f"{f}_{d}", d) if c in columns]
        if not found:
            raise InputError(f"{where}, line 1: no column for dimension {d!r} of family {f!r} of instrument.yaml; "
                             f"expected a column named {d!r} (or {f + '_' + d!r}), found {', '.join(columns)}. Name "
                             "the questionnaire score columns as the instrument's dimensions (or change the "
                             "instrument's dimension ids)")
        out[(f, d)] = found[0]
    return out


def check_scores(frame: pd.DataFrame, rows: Sequence[str], where: str, dimensions: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """The questionnaire scores: participant_id and one float column ``<family>_<dimension>`` per dimension.

    A participant appears once; a score is a number. A participant with an empty score is left out (a warning
    counts them: their ratings then count for no correlation)."""
    if "participant" not in frame.columns:
        require_columns(frame, where, ("participant",), ())
    cols = scores_columns(list(frame.columns), dimensions, where)
    extra = [c for c in frame.columns if c != "participant" and c not in cols.values()]
    if extra:
        warnings.warn(f"{where}: {len(extra)} column(s) that are no dimension of the instrument are ignored: "
                      f"{shown_list(extra)}", SurveyWarning, stacklevel=2)
    _unique(frame, "participant", rows, where, "participant", "Keep one row of questionnaire scores per participant")
    out = pd.DataFrame({"participant_id": frame["participant"].str.strip().to_numpy()})
    blank = np.zeros(len(frame), dtype=bool)
    for (f, d), c in cols.items():
        text = frame[c].str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = (text != "").to_numpy() & ~np.isfinite(values)
        k = _first_bad(bad, rows)
        if k is not None:
            raise InputError(f"{where}, {rows[k]}, column {c!r}: {frame[c].iloc[k]!r} is not a number; expected the "
                             f"participant's questionnaire score on {d!r} (a number, or empty when missing)")
        blank |= (text == "").to_numpy()
        out[f"{f}_{d}"] = values
    if blank.any():
        warnings.warn(f"{where}: {int(blank.sum())} participant(s) with an empty score are left out (their ratings "
                      f"enter no correlation): {shown_list(out['participant_id'][blank].tolist())}", SurveyWarning,
                      stacklevel=2)
    return out[~blank].reset_index(drop=True)


__all__ = ["ITEM_COLUMNS", "ITEM_OPTIONAL", "MIN_RATERS_PER_ITEM", "RATING_COLUMNS", "RATING_OPTIONAL", "SurveyWarning", "shown_list",
           "check_items", "check_ratings", "check_scores", "require_columns", "scores_columns", "survey_groups",
           "template_kinds"]
