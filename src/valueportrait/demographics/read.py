"""Reading a demographics table (CSV / TSV / JSON / JSON lines; e.g. a Prolific export) into
:class:`~valueportrait.demographics.groups.Demographics`: the participant id column found by name, attribute
columns kept and renamed, numeric attributes binned, missing values recognised."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..table_files import TABLE_SUFFIXES, read_table
from ..settings import DemographicsFile
from .groups import Demographics, DemographicsWarning

#: Column names tried, in order and ignoring case / spaces / underscores, for the participant id.
ID_COLUMNS: tuple[str, ...] = ("participant_id", "Participant id", "PROLIFIC_PID", "pid")
#: Cell values read as missing (Prolific writes DATA_EXPIRED / CONSENT_REVOKED for withdrawn answers).
MISSING_VALUES: tuple[str, ...] = ("", "NA", "N/A", "nan", "NaN", "None", "null", "DATA_EXPIRED", "CONSENT_REVOKED")
#: Prolific export columns that are study bookkeeping, not attributes; left out when no attributes are named.
PROLIFIC_BOOKKEEPING: tuple[str, ...] = (
    "Submission id", "Status", "Custom study tncs accepted at", "Started at", "Completed at", "Reviewed at",
    "Archived at", "Time taken", "Completion code", "Total approvals",
)

def attribute_name(column: str) -> str:
    """Normalised attribute name of a column: lower case, runs of other characters -> ``_``.

    >>> attribute_name("Political orientation")
    'political_orientation'
    """
    name = re.sub(r"[^0-9a-z]+", "_", str(column).strip().lower()).strip("_")
    if not name:
        raise InputError(f"column {column!r} gives an empty attribute name; name the attribute explicitly")
    return name


def _norm(s: str) -> str:
    return re.sub(r"[\s_]+", "", str(s).lower())


def _bin_labels(edges: Sequence[float]) -> list[str]:
    def fmt(x: float) -> str:
        return f"{x:g}"

    labels = [f"<{fmt(edges[0])}"]
    labels += [f"{fmt(a)}-{fmt(b - 1) if float(a).is_integer() and float(b).is_integer() else fmt(b)}"
               for a, b in zip(edges[:-1], edges[1:])]
    labels.append(f"{fmt(edges[-1])}+")
    return labels


def bin_numeric(values: pd.Series, edges: Sequence[float], *, name: str = "value",
                rows: Sequence[str] | None = None) -> pd.Series:
    """Put numbers into left-closed bins: ``[e0, e1) -> "e0-(e1-1)"`` for integer edges, plus ``<e0`` and ``eK+``.

    >>> bin_numeric(pd.Series(["17", "18", "29", "30", "64"]), [18, 30, 45]).tolist()
    ['<18', '18-29', '18-29', '30-44', '45+']
    """
    edges = [float(e) for e in edges]
    if len(edges) < 1 or any(b <= a for a, b in zip(edges[:-1], edges[1:])):
        raise InputError(f"bin edges for {name!r} must be increasing numbers, got {edges}")
    num = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & num.isna()
    if bad.any():
        where = [rows[k] if rows else f"row {k + 1}" for k in np.flatnonzero(bad.to_numpy())[:5]]
        raise InputError(f"attribute {name!r} is binned, so its values must be numbers; not numbers at "
                         f"{', '.join(where)} (e.g. {values[bad].iloc[0]!r}). Fix the values or drop the bins.")
    idx = np.searchsorted(np.asarray(edges), num.to_numpy(dtype=float), side="right")
    labels = np.asarray(_bin_labels(edges), dtype=object)[np.minimum(idx, len(edges))]
    return pd.Series(np.where(num.isna(), np.nan, labels), index=values.index, dtype="str")


def demographics_from_frame(frame: pd.DataFrame, *, id_column: str | None = None,
                            attributes: Mapping[str, str] | Sequence[str] | None = None,
                            bins: Mapping[str, Sequence[float]] | None = None,
                            missing_values: Sequence[str] = MISSING_VALUES, source: str = "<table>",
                            rows: Sequence[str] | None = None) -> Demographics:
    """Validate a raw demographics DataFrame (all cells as read) into :class:`Demographics`.

    Parameters
    ----------
    frame : DataFrame
        One row per participant.
    id_column : str, optional
        The participant id column; default: the first of :data:`ID_COLUMNS` present (ignoring case, spaces
        and underscores).
    attributes : mapping attribute -> column, or list of columns, optional
        Which columns are attributes and their names; a list names each by :func:`attribute_name`.
        Default: every other column except Prolific's bookkeeping columns.
    bins : mapping attribute -> edges, optional
        Numeric attributes to bin (e.g. ``{"age": [18, 30, 45, 60]}``), see :func:`bin_numeric`.
    missing_values : sequence of str
        Cell values read as missing.

    Raises
    ------
    InputError
        Missing id/attribute column, empty ids, or one participant listed twice with different values.
    """
    rows = list(rows) if rows is not None else [f"row {k + 1}" for k in range(len(frame))]
    frame = frame.reset_index(drop=True)
    cols = [str(c) for c in frame.columns]
    frame.columns = cols
    if id_column is None:
        by_norm = {_norm(c): c for c in cols}
        id_column = next((by_norm[_norm(c)] for c in ID_COLUMNS if _norm(c) in by_norm), None)
        if id_column is None:
            raise InputError(f"{source}: no participant id column; looked for {', '.join(map(repr, ID_COLUMNS))} "
                             f"among the columns {cols}. Name it with --id-column (id_column=...).")
    elif id_column not in cols:
        raise InputError(f"{source}: no column {id_column!r} (the participant id column); columns: {cols}")
    if attributes is None:
        skip = {_norm(c) for c in PROLIFIC_BOOKKEEPING} | {_norm(id_column)}
        mapping = {attribute_name(c): c for c in cols if _norm(c) not in skip}
    elif isinstance(attributes, Mapping):
        mapping = {str(k): str(v) for k, v in attributes.items()}
    else:
        mapping = {attribute_name(c): str(c) for c in attributes}
    absent = [c for c in mapping.values() if c not in cols]
    if absent:
        raise InputError(f"{source}: no column(s) {absent} for the attribute(s) "
                         f"{[a for a, c in mapping.items() if c in absent]}; columns: {cols}")
    if not mapping:
        raise InputError(f"{source}: no attribute columns besides the id column {id_column!r}; expected one column "
                         "per attribute (e.g. Sex, Age) next to the participant id")
    if "participant_id" in mapping:
        raise InputError(f"{source}: 'participant_id' cannot be an attribute name (it is the id column of the "
                         "participants config); rename the attribute (--attribute NEW=Column)")
    missing = set(missing_values)

    def clean(s: pd.Series) -> pd.Series:
        s = s.astype("str").str.strip()
        return s.where(~s.isin(missing) & s.notna())

    ids = clean(frame[id_column])
    empty = np.flatnonzero(ids.isna().to_numpy())
    if len(empty):
        raise InputError(f"{source}: empty participant id ({id_column!r}) at {', '.join(rows[k] for k in empty[:10])}"
                         f"{' ...' if len(empty) > 10 else ''}; every row needs an id (remove those rows).")
    table = pd.DataFrame({"participant_id": ids})
    for attr, col in mapping.items():
        table[attr] = clean(frame[col])
        if bins and attr in bins:
            table[attr] = bin_numeric(table[attr], bins[attr], name=attr, rows=rows)
    unknown_bins = set(bins or ()) - set(mapping)
    if unknown_bins:
        raise InputError(f"bins given for {sorted(unknown_bins)}, which are not attributes ({sorted(mapping)}); bin "
                         "only attributes of the demographics (--bins NAME=E1,E2 with NAME one of those)")
    dup = table["participant_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        keep = np.ones(len(table), dtype=bool)
        for pid, idx in table[dup].groupby("participant_id").groups.items():
            block = table.loc[idx, list(mapping)]
            if len(block.drop_duplicates()) > 1:
                raise InputError(f"{source}: participant {pid!r} is listed at {', '.join(rows[k] for k in idx)} with "
                                 "different values; keep one row per participant.")
            keep[list(idx)[1:]] = False
        warnings.warn(f"{source}: {int(dup.sum() - keep[dup].sum())} duplicate row(s) with identical values dropped",
                      DemographicsWarning, stacklevel=2)
        table, rows = table[keep].reset_index(drop=True), [r for r, k in zip(rows, keep) if k]
    return Demographics(table, tuple(mapping), source, tuple(rows))


def demographics_of(source: Demographics | DemographicsFile | str | Path) -> Demographics:
    """The :class:`Demographics` of a :class:`~valueportrait.settings.DemographicsFile` (or a bare path), read
    with its id column, attributes and bins; a :class:`Demographics` is returned as is."""
    if isinstance(source, Demographics):
        return source
    spec = source if isinstance(source, DemographicsFile) else DemographicsFile(source)
    return read_demographics(spec.path, id_column=spec.id_column,
                             attributes=dict(spec.attributes) if spec.attributes else None,
                             bins={k: list(v) for k, v in spec.bins.items()} if spec.bins else None)


def read_demographics(path: str | Path, *, id_column: str | None = None,
                      attributes: Mapping[str, str] | Sequence[str] | None = None,
                      bins: Mapping[str, Sequence[float]] | None = None,
                      missing_values: Sequence[str] = MISSING_VALUES) -> Demographics:
    """Read a demographics table from CSV / TSV, JSON (a list of records) or JSON lines.

    See :func:`demographics_from_frame` for the parameters. Every cell is read as text.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"demographics file {str(path)!r} not found; expected a .csv, .tsv, .json or .jsonl file "
                         "with one row per participant (a participant id column and attribute columns)")
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(f"demographics file {str(path)!r}: expected .csv, .tsv, .json or .jsonl")
    frame, rows = read_table(path, what="demographics file")
    return demographics_from_frame(frame, id_column=id_column, attributes=attributes, bins=bins,
                                   missing_values=missing_values, source=str(path), rows=rows)


__all__ = ["ID_COLUMNS", "MISSING_VALUES", "PROLIFIC_BOOKKEEPING", "attribute_name", "bin_numeric",
           "demographics_from_frame", "demographics_of", "read_demographics"]
