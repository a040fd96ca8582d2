"""Read a ratings table from a run directory or a ratings file, with checks that name the file, row and column.

A *ratings table* (the shared contract; what runners and importers produce and scoring consumes) is a DataFrame
with the columns ``model`` (str), ``item_id`` (str, ``"{portrait_id}-{option_id}"``), ``variant`` (str or
missing), ``persona`` (str or missing) and ``rating`` (float 1-6, or NaN when an answer was unparseable or the
request failed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from valueportrait.errors import InputError

#: The columns of a ratings table, in order.
COLUMNS = ("model", "item_id", "variant", "persona", "rating")
#: Columns a ratings file must have; ``variant`` and ``persona`` may be left out (then all missing).
REQUIRED = ("model", "item_id", "rating")
#: File suffixes :func:`read_ratings` reads.
SUFFIXES = (".csv", ".jsonl", ".json")
_STR_COLUMNS = ("model", "item_id", "variant", "persona")


def read_ratings(path: str | Path) -> pd.DataFrame:
    """Read a ratings table from a run directory or a ``.csv`` / ``.jsonl`` / ``.json`` ratings file.

    A directory is read as a run directory written by ``valueportrait run``
    (:func:`valueportrait.runner.rundir.read_run_ratings`). A file holds one rating per row (CSV with a header,
    one JSON object per line, or a JSON list of objects) with the columns ``model``, ``item_id``, ``rating``
    and optionally ``variant`` and ``persona``; other columns are dropped. An empty ``rating`` (or JSON
    ``null``) means an unparseable answer or a failed request and is kept as NaN.

    Parameters
    ----------
    path : str or Path
        A run directory or a ratings file.

    Returns
    -------
    DataFrame
        Columns ``model, item_id, variant, persona, rating`` (:data:`COLUMNS`); ``rating`` is float64.

    Raises
    ------
    InputError
        The path does not exist or has another suffix; a file cannot be parsed, lacks a required column, holds
        no rows, a row lacks its ``model`` or ``item_id``, or a rating is not a number in 1-6. The message
        names the file, the row (line of a CSV / JSONL file, record of a JSON list) and the column.
    RunError
        A directory that is not a readable run directory.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "ratings.csv"
    >>> _ = path.write_text("model,item_id,variant,persona,rating\\n"
    ...                     "my-model,1008-1,v1,,5\\n"
    ...                     "my-model,1008-2,v1,,\\n")
    >>> read_ratings(path)
          model item_id variant persona  rating
    0  my-model  1008-1      v1     NaN     5.0
    1  my-model  1008-2      v1     NaN     NaN
    """
    path = Path(path)
    from valueportrait.inspect_task.logs import is_eval_log_source, read_eval_ratings

    if is_eval_log_source(path):  # an Inspect log of the value_portrait task, or a folder of them
        return read_eval_ratings(path)
    if path.is_dir():
        from valueportrait.runner.rundir import read_run_ratings

        return read_run_ratings(path)
    if not path.is_file():
        raise InputError(f"ratings {str(path)!r} not found; pass a ratings file ({', '.join(SUFFIXES)}) or a run "
                         "directory written by `valueportrait run`")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"ratings {str(path)!r}: expected a {', '.join(SUFFIXES)} file or a run directory; "
                         "rename the file if it is one of those formats")
    if suffix == ".csv":
        frame, rows = _read_csv(path)
    else:
        frame, rows = _read_json(path, lines=suffix == ".jsonl")
    return _validate(frame, rows, path)


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    try:
        frame = pd.read_csv(path, dtype=str, skip_blank_lines=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"ratings {str(path)!r} is not a readable CSV file ({exc}); expected a header line "
                         f"{','.join(COLUMNS)} and one rating per line") from None
    blank = frame.isna().all(axis=1)
    rows = [f"line {i + 2}" for i in range(len(frame))]  # line 1 is the header
    keep = ~blank.to_numpy()
    return frame[keep].reset_index(drop=True), [r for r, k in zip(rows, keep) if k]


def _read_json(path: Path, *, lines: bool) -> tuple[pd.DataFrame, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"ratings {str(path)!r} cannot be read as UTF-8 text ({exc})") from None
    records, rows = [], []
    if lines:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"ratings {str(path)!r}, line {n}: not valid JSON ({exc.msg}); expected one JSON "
                                 "object per line") from None
            rows.append(f"line {n}")
    else:
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"ratings {str(path)!r}: not valid JSON ({exc.msg} at line {exc.lineno}); expected a "
                             "list of objects, one per rating") from None
        if not isinstance(records, list):
            raise InputError(f"ratings {str(path)!r}: expected a JSON list of objects, one per rating, found a "
                             f"{type(records).__name__}; for one object per line use a .jsonl file")
        rows = [f"record {n}" for n in range(1, len(records) + 1)]
    for rec, row in zip(records, rows):
        if not isinstance(rec, dict):
            raise InputError(f"ratings {str(path)!r}, {row}: expected a JSON object with keys "
                             f"{', '.join(COLUMNS)}, found {json.dumps(rec)[:60]}")
    return pd.DataFrame.from_records(records), rows


def _validate(frame: pd.DataFrame, rows: list[str], path: Path) -> pd.DataFrame:
    where = f"ratings {str(path)!r}"
    if frame.empty:
        raise InputError(f"{where} holds no ratings; expected one row per rating with the columns "
                         f"{', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{where} lacks the column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
                         f". A ratings file has the columns {', '.join(COLUMNS)} (variant and persona optional)")
    out = {}
    for col in _STR_COLUMNS:
        values = frame[col] if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype=object)
        out[col] = values.map(lambda v: v if pd.isna(v) else str(v)).astype("str")
        if col in REQUIRED:
            _fail_at(out[col].isna(), rows, lambda row, _, col=col: f"{where}, {row}, column {col!r}: empty; "
                                                                    f"every rating needs its {col}")
    raw = frame["rating"]
    rating = pd.to_numeric(raw.map(lambda v: v if isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                   else "not a number"), errors="coerce")
    _fail_at(rating.isna() & raw.notna(), rows,
             lambda row, value: f"{where}, {row}, column 'rating': {_show(value)} is not a number; expected a rating "
                                "1-6, or an empty value for an unparseable answer", raw)
    _fail_at((rating < 1) | (rating > 6), rows,
             lambda row, value: f"{where}, {row}, column 'rating': {_show(value)} is outside 1-6; ratings are on the "
                                "6-point Likert scale (1 = not like me at all ... 6 = very much like me)", rating)
    out["rating"] = rating.astype("float64")
    return pd.DataFrame(out, columns=list(COLUMNS))


def _fail_at(bad: pd.Series, rows: list[str], message, values: pd.Series | None = None) -> None:
    """Raise :class:`InputError` with ``message(row, value)`` for the first row where ``bad`` holds."""
    idx = bad.to_numpy().nonzero()[0]
    if not len(idx):
        return
    i = int(idx[0])
    text = message(rows[i], values.iloc[i] if values is not None else None)
    if len(idx) > 1:
        text += f" ({len(idx) - 1} more row(s) like it)"
    raise InputError(text)


def _show(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, str):
        return repr(value)
    try:
        return format(float(value), "g")
    except (TypeError, ValueError):
        return repr(value)
