"""The ratings table: its columns, its constructor and its one validator.

A *ratings table* (what runners and importers produce and scoring consumes) is a DataFrame with the columns
``model`` (str), ``item_id`` (str, ``"{query_id}-{option_id}"``), ``variant`` (str or missing), ``persona``
(str or missing) and ``rating`` (float 1-6, or NaN when an answer was unparseable or the request failed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from valueportrait.errors import InputError
from valueportrait.instrument import VALUE_PORTRAIT, Instrument
from valueportrait.scale import LIKERT, LIKERT_MAX, LIKERT_MIN, VARIANTS

from .likert import rating_values, to_ratings

__all__ = ["COLUMNS", "REQUIRED", "check_text", "item_ratings", "missing_counts", "numeric_ratings", "ratings_frame",
           "validate_ratings"]

#: The columns of a ratings table, in order.
COLUMNS = ("model", "item_id", "variant", "persona", "rating")
#: Columns a ratings table must have; ``variant`` and ``persona`` may be left out (then all missing).
REQUIRED = ("model", "item_id", "rating")
_STR_COLUMNS = ("model", "item_id", "variant", "persona")


def ratings_frame(model: str, item_ids: Sequence[str], variants: Sequence[str | None],
                  personas: Sequence[str | None], ratings: Sequence[float | None]) -> pd.DataFrame:
    """A ratings table of one model (``model, item_id, variant, persona`` as ``str``, ``rating`` float64); a
    rating that is None or not finite becomes NaN.

    >>> ratings_frame("m", ["1008-1", "1008-2"], ["v1", "v1"], [None, None], [5, None])
      model item_id variant persona  rating
    0     m  1008-1      v1     NaN     5.0
    1     m  1008-2      v1     NaN     NaN
    """
    rating = pd.Series([math.nan if r is None else float(r) for r in ratings], dtype="float64")
    return pd.DataFrame({
        "model": pd.Series([model] * len(rating), dtype="str"),
        "item_id": pd.Series(list(item_ids), dtype="str"),
        "variant": pd.Series(list(variants), dtype="str"),
        "persona": pd.Series(list(personas), dtype="str"),
        "rating": rating.where(np.isfinite(rating)),
    })


def _text_column(values: pd.Series) -> pd.Series:
    """Cells as ``str``; missing (None, NaN, an empty text) -> NaN. Text such as ``"NA"`` stays text."""
    out = values.astype("str")
    return out.where(out.str.len() > 0)


def _show(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, str):
        return repr(value)
    try:
        return format(float(value), "g")
    except (TypeError, ValueError):
        return repr(value)


def _rating_problem(value, instrument: Instrument | None = None) -> str:
    """Why a rating cell is not a rating."""
    try:
        number = float(value) if not isinstance(value, (bool, np.bool_)) else None
    except (TypeError, ValueError):
        number = None
    if instrument is not None and instrument.scale != VALUE_PORTRAIT.scale:
        s = instrument.scale
        if number is not None:
            return (f"{format(number, 'g')} is outside {s.min}-{s.max}; ratings are on the {s.n_options}-point "
                    f"scale of {instrument.name} ({s.min} = {s.phrase_of(s.min)} ... {s.max} = {s.phrase_of(s.max)})")
        return (f"{_show(value)} is not a rating; expected a number {s.min}-{s.max} or an answer phrase of "
                f"{instrument.name} ({', '.join(map(repr, s.options()))}), or an empty value for an unparseable answer")
    if number is not None:
        return (f"{format(number, 'g')} is outside {LIKERT_MIN}-{LIKERT_MAX}; ratings are on the 6-point Likert scale "
                f"({LIKERT_MIN} = not like me at all ... {LIKERT_MAX} = very much like me)")
    return (f"{_show(value)} is not a rating; expected a number {LIKERT_MIN}-{LIKERT_MAX} or a Likert phrase "
            f"({', '.join(map(repr, LIKERT))}), or an empty value for an unparseable answer")


def _fail_at(bad: np.ndarray, rows: Sequence[str], message) -> None:
    """Raise :class:`InputError` with ``message(i)`` for the first row where ``bad`` holds."""
    idx = np.flatnonzero(bad)
    if not len(idx):
        return
    text = f"{rows[int(idx[0])]}, {message(int(idx[0]))}"
    if len(idx) > 1:
        text += f" ({len(idx) - 1} more row(s) like it)"
    raise InputError(text)


def validate_ratings(frame: pd.DataFrame, *, source: str = "<ratings>",
                     rows: Sequence[str] | None = None, instrument: Instrument | None = None) -> pd.DataFrame:
    """Check a table against the ratings contract and return it as one (:data:`COLUMNS`, ``rating`` float64).

    ``rating`` cells may be numbers 1-6 (floats allowed: expected ratings) or Likert phrases (read with the
    cached parser of :func:`~valueportrait.ratings.likert.parse_likert_many`); a missing cell (None, NaN, an
    empty text, ``NA``) is a missing rating (NaN). ``model`` and ``item_id`` must be present in every row:
    only a truly missing cell counts as missing (the text ``"NA"`` or ``"None"`` is a name). Other columns
    are dropped.

    Parameters
    ----------
    frame : DataFrame
    source : str
        What the table is, for messages (e.g. ``"ratings 'r.csv'"``).
    rows : list of str, optional
        Each row's location for messages (``"line 4"``); default ``"row <index>"``.
    instrument : Instrument, optional
        Whose scale, answer phrases and variants (the dataset's); default Value Portrait's.

    Raises
    ------
    InputError
        No rows, a required column missing, an empty ``model`` / ``item_id``, or a rating that is neither a
        number in 1-6 nor a Likert phrase; the message names the source, the row and the column.

    Examples
    --------
    >>> import pandas as pd
    >>> validate_ratings(pd.DataFrame({"model": ["NA"], "item_id": ["1008-1"], "rating": ["Like me."]}))
      model item_id variant persona  rating
    0    NA  1008-1     NaN     NaN     5.0
    """
    if frame.empty:
        raise InputError(f"{source} holds no ratings; expected one row per rating with the columns "
                         f"{', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{source} lacks the column(s) {', '.join(missing)}; found "
                         f"{', '.join(map(str, frame.columns))}. A ratings table has the columns "
                         f"{', '.join(COLUMNS)} (variant and persona optional)")
    where = [f"{source}, {r}" for r in rows] if rows is not None else [f"{source}, row {i}" for i in frame.index]
    out = {}
    for col in _STR_COLUMNS:
        values = frame[col] if col in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        raw = values.tolist()
        _fail_at(np.array([isinstance(v, str) and not _encodable(v) for v in raw], dtype=bool), where,
                 lambda i, col=col, raw=raw: f"column {col!r}: {raw[i]!a} holds a lone surrogate (half of a UTF-16 "
                 "pair, as a JSON escape such as \\ud800 gives), which is not text; fix the escape or the file's "
                 "encoding")
        out[col] = _text_column(values).reset_index(drop=True)
        if col in REQUIRED:
            _fail_at(out[col].isna().to_numpy(), where,
                     lambda i, col=col: f"column {col!r}: empty; every rating needs its {col}")
    _check_variants(out["variant"], where, VARIANTS if instrument is None else instrument.variant_names)
    raw = frame["rating"].reset_index(drop=True)
    lo, hi = _bounds(instrument)
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        rating = raw.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(rating) & ~((rating >= lo) & (rating <= hi))
    else:
        rating, bad = rating_values(raw.tolist(), instrument=instrument)
    _fail_at(bad, where, lambda i: f"column 'rating': {_rating_problem(raw.iloc[i], instrument)}")
    out["rating"] = pd.Series(rating, dtype="float64")
    return pd.DataFrame(out, columns=list(COLUMNS))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(values: Sequence, what: str) -> None:
    """:class:`InputError` naming the first of ``values`` (a list of inputs called ``what``) that is text with a
    lone surrogate (not valid Unicode: pyarrow, JSON writers and files refuse it).

    >>> check_text(["5", "like me" + chr(0xD800)], "predictions")
    Traceback (most recent call last):
    valueportrait.errors.InputError: predictions[1] 'like me\\ud800' holds a lone surrogate (half of a UTF-16 pair), which is not text; send valid Unicode
    """
    bad = [i for i, v in enumerate(values) if isinstance(v, str) and not _encodable(v)]
    if bad:
        more = f" ({len(bad) - 1} more like it)" if len(bad) > 1 else ""
        raise InputError(f"{what}[{bad[0]}] {values[bad[0]]!a} holds a lone surrogate (half of a UTF-16 pair), "
                         f"which is not text; send valid Unicode{more}")


def _check_variants(variant: pd.Series, where: Sequence[str], names: Sequence[str] = VARIANTS) -> None:
    """A variant label is one of ``names`` (the instrument's, :data:`~valueportrait.scale.VARIANTS` for Value
    Portrait), as in the metric (``v9``, ``V1`` or a blank ``" "`` are errors); an empty cell is no variant (a
    repeat of the item, averaged as documented)."""
    given = variant.notna().to_numpy()
    _fail_at(given & ~variant.isin(list(names)).to_numpy(), where, lambda i: (
        f"column 'variant': {variant.iloc[i]!r} is not a prompt variant; the known variants are "
        f"{', '.join(names)} (lower case, as upstream names them), or leave the cell empty"))


def _bounds(instrument: Instrument | None) -> tuple[float, float]:
    """The lowest and highest rating of ``instrument``'s scale (Value Portrait's 1-6 by default)."""
    s = (instrument or VALUE_PORTRAIT).scale
    return float(s.min), float(s.max)


def _other(instrument: Instrument | None) -> bool:
    return instrument is not None and instrument.scale != VALUE_PORTRAIT.scale


def missing_counts(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per model: ``ratings`` (rows), ``missing`` (NaN ratings: unparseable answers, failed requests, empty
    cells); the models with a missing rating only, for the ``score`` summary.

    >>> missing_counts(ratings_frame("m", ["1008-1", "1008-2"], ["v1", "v1"], [None, None], [5, None]))
           ratings  missing
    model                  
    m            2        1
    """
    missing = ratings.assign(missing=ratings["rating"].isna())
    counts = missing.groupby("model", sort=True)["missing"].agg(["size", "sum"])
    counts.columns = ["ratings", "missing"]
    return counts[counts["missing"] > 0].astype("int64")


def numeric_ratings(ratings: pd.DataFrame, instrument: Instrument | None = None) -> pd.Series:
    """The ``rating`` column as floats 1-6 (Likert phrases parsed; NaN = missing), checked as by item_ratings.

    ``ratings`` needs columns ``item_id`` and ``rating`` (numbers 1-6 or Likert phrases; NaN = missing);
    ``instrument``: whose scale and phrases instead (default Value Portrait's).
    """
    missing = [c for c in ("item_id", "rating") if c not in ratings.columns]
    if missing:
        raise InputError(f"the ratings table lacks column(s) {missing}; expected at least item_id and rating "
                         "(one row per rating, several per item allowed)")
    rating = ratings["rating"]
    if not pd.api.types.is_numeric_dtype(rating):
        rating = pd.Series(to_ratings(rating.tolist(), what="ratings", instrument=instrument), index=ratings.index)
    else:
        rating = rating.astype(float)
        bad = rating.notna() & ~rating.between(*_bounds(instrument))
        if bad.any() and _other(instrument):
            shown = ", ".join(f"{i}={v!r}" for i, v in rating[bad].head(10).items())
            s = instrument.scale
            raise InputError(f"{int(bad.sum())} rating(s) outside {s.min}-{s.max} (row=value): {shown}. Ratings are "
                             f"on the {s.n_options}-point scale of {instrument.name}; NaN marks a missing one.")
        if bad.any():
            shown = ", ".join(f"{i}={v!r}" for i, v in rating[bad].head(10).items())
            raise InputError(f"{int(bad.sum())} rating(s) outside 1-6 (row=value): {shown}. Ratings are on the "
                             "6-point scale (6 = very much like me ... 1 = not like me at all); NaN marks a missing one.")
    return rating


def item_ratings(ratings: pd.DataFrame, instrument: Instrument | None = None) -> pd.Series:
    """Mean valid rating per item (float Series indexed by item_id, sorted); items with no valid rating dropped.

    ``ratings`` needs columns ``item_id`` and ``rating`` (numbers 1-6 or Likert phrases; NaN = missing; another
    ``instrument``'s scale and phrases when given).
    """
    rating = numeric_ratings(ratings, instrument)
    ok = rating.notna().to_numpy()
    ids = np.asarray(ratings["item_id"].tolist(), dtype=object)[ok]
    vals = rating.to_numpy(dtype=float)[ok]
    if len(ids) == 0:
        return pd.Series([], dtype=float, name="rating", index=pd.Index([], name="item_id", dtype=object))
    codes, uniq = pd.factorize(ids, sort=True)
    means = np.bincount(codes, weights=vals) / np.bincount(codes)
    return pd.Series(means, index=pd.Index(uniq, name="item_id"), name="rating")
