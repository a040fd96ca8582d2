"""Ratings files (CSV / TSV / JSON lines / JSON) and run directories -> a checked ratings table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from valueportrait.errors import InputError
from valueportrait.instrument import Instrument
from valueportrait.table_files import read_table

from .contract import validate_ratings

__all__ = ["SUFFIXES", "read_ratings"]

#: File suffixes :func:`read_ratings` reads.
SUFFIXES = (".csv", ".tsv", ".jsonl", ".json")


def read_ratings(path: str | Path, *, duplicates: str | None = "error",
                 instrument: Instrument | None = None) -> pd.DataFrame:
    """Read a ratings table from a run directory or a ``.csv`` / ``.tsv`` / ``.jsonl`` / ``.json`` ratings file.

    A directory is read as a run directory written by ``valueportrait run``
    (:func:`valueportrait.ratings.runs.read_run_ratings`). A file holds one rating per row (CSV / TSV with a
    header, one JSON object per line, or a JSON list of objects) with the columns ``model``, ``item_id``,
    ``rating`` and optionally ``variant`` and ``persona``; other columns are dropped. A rating is a number 1-6
    or a Likert phrase (``"somewhat like me"``); an empty ``rating`` (or JSON ``null``, or ``NA``) means an
    unparseable answer or a failed request and is kept as NaN. See
    :func:`~valueportrait.ratings.validate_ratings`.

    Parameters
    ----------
    path : str or Path
        A run directory or a ratings file.
    duplicates : {"error", "first", "mean"} or None
        A request (model, persona, item, variant) rated more than once: an error naming it (default), or kept
        once (:func:`~valueportrait.ratings.duplicates.resolve_duplicates`); ``None`` leaves the rows as read
        (the caller resolves them across several sources, as ``valueportrait score`` does).
    instrument : Instrument, optional
        Whose scale, answer phrases and variants the ratings are checked against (the dataset's); default
        Value Portrait's.

    Returns
    -------
    DataFrame
        Columns ``model, item_id, variant, persona, rating`` (:data:`~valueportrait.ratings.COLUMNS`); ``rating`` is float64.

    Raises
    ------
    InputError
        The path does not exist or has another suffix; a file cannot be parsed, lacks a required column, holds
        no rows, a row lacks its ``model`` or ``item_id``, a rating is neither a number in 1-6 nor a Likert
        phrase, or (``duplicates="error"``) a request is rated twice. The message names the file, the row (line of a CSV / JSONL file, record of a JSON list) and
        the column.
    RunError
        A directory that is not a readable run directory.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "ratings.csv"
    >>> _ = path.write_text("model,item_id,variant,persona,rating\\n"
    ...                     "my-model,1008-1,v1,,5\\n"
    ...                     "my-model,1008-2,v1,,\\n"
    ...                     "my-model,1008-3,v1,,Somewhat like me\\n")
    >>> read_ratings(path)
          model item_id variant persona  rating
    0  my-model  1008-1      v1     NaN     5.0
    1  my-model  1008-2      v1     NaN     NaN
    2  my-model  1008-3      v1     NaN     4.0
    """
    path = Path(path)
    from valueportrait.ratings.inspect_logs import is_eval_log_source, read_eval_ratings

    if is_eval_log_source(path):  # an Inspect log of the value_portrait task, or a folder of them
        return read_eval_ratings(path, duplicates=duplicates)
    from valueportrait.ratings.lm_eval import is_lm_eval_source, samples_to_ratings

    if is_lm_eval_source(path):  # lm-eval's --output_path folder or one samples file
        return samples_to_ratings(path, duplicates=duplicates)
    if path.is_dir():
        from .runs import read_run_ratings

        return read_run_ratings(path, instrument)  # one rating per request: the last record of each
    where = f"ratings {str(path)!r}"
    if not path.is_file():
        raise InputError(f"{where} not found; pass a ratings file ({', '.join(SUFFIXES)}) or a run "
                         "directory written by `valueportrait run`")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{where}: expected a {', '.join(SUFFIXES)} file or a run directory; "
                         "rename the file if it is one of those formats")
    frame, rows = read_table(path, what="ratings")
    out = validate_ratings(frame, source=where, rows=rows, instrument=instrument)
    if duplicates is not None:
        from .duplicates import resolve_duplicates

        out = resolve_duplicates(out.assign(source=str(path)), duplicates).ratings.drop(columns="source")
    return out.reset_index(drop=True)
