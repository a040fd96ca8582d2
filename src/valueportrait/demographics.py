"""Demographics of the human raters: read, validate and join to participants (group norms: :mod:`.norms`).

The public Value Portrait release has no demographics. A user who holds them (e.g. the Prolific export of
the study: ``Participant id``, ``Sex``, ``Age``, education, political orientation) passes them as a CSV or
JSON table; :func:`read_demographics` reads it with a configurable column mapping, :func:`check_participants`
matches it to the dataset's participants, :func:`join_demographics` adds the attribute columns to the
``participants`` table; :func:`valueportrait.norms.human_group_norms` then gives each group's norms.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .io import TABLE_SUFFIXES, read_table
from .settings import DEFAULT_MIN_RATERS, DemographicsFile

#: Column names tried, in order and ignoring case / spaces / underscores, for the participant id.
ID_COLUMNS: tuple[str, ...] = ("participant_id", "Participant id", "PROLIFIC_PID", "pid")
#: Cell values read as missing (Prolific writes DATA_EXPIRED / CONSENT_REVOKED for withdrawn answers).
MISSING_VALUES: tuple[str, ...] = ("", "NA", "N/A", "nan", "NaN", "None", "null", "DATA_EXPIRED", "CONSENT_REVOKED")
#: Prolific export columns that are study bookkeeping, not attributes; left out when no attributes are named.
PROLIFIC_BOOKKEEPING: tuple[str, ...] = (
    "Submission id", "Status", "Custom study tncs accepted at", "Started at", "Completed at", "Reviewed at",
    "Archived at", "Time taken", "Completion code", "Total approvals",
)
#: Groups with fewer raters than this get no norms (a null row with a note).
MIN_RATERS = DEFAULT_MIN_RATERS


class DemographicsWarning(UserWarning):
    """Demographics rows that were dropped or participants left without demographics."""


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


@dataclass(frozen=True)
class Demographics:
    """A demographics table: ``participant_id`` plus one string column per attribute (NaN = missing).

    Attributes
    ----------
    table : DataFrame
        ``participant_id`` (str) then the attribute columns (str).
    attributes : tuple of str
        The attribute column names, in table order.
    source : str
        Where it came from (a file path), for messages.
    rows : tuple of str
        Where each row of ``table`` came from (``"line 4"`` of a CSV, ``"record 3"`` of JSON), for messages.
    """

    table: pd.DataFrame
    attributes: tuple[str, ...]
    source: str = "<table>"
    rows: tuple[str, ...] = ()

    def groups(self, attribute: str) -> dict[str, list[str]]:
        """group label -> participant ids (sorted), for one attribute; missing values are in no group."""
        if attribute not in self.attributes:
            raise InputError(f"no attribute {attribute!r} in the demographics ({self.source}); "
                             f"available: {', '.join(self.attributes)}")
        col = self.table[["participant_id", attribute]].dropna()
        return {str(g): sorted(ids) for g, ids in col.groupby(attribute)["participant_id"]}


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


def demographics_from_dataset(data) -> Demographics | None:
    """The demographics a dataset was built with, rebuilt from its ``participants`` attribute columns.

    A build with ``--demographics`` joins one string column per attribute into ``participants`` (and lists
    them in ``build_info["demographics"]["attributes"]``); this reads them back as :class:`Demographics`, so
    the full rater-level comparison (:func:`valueportrait.deviation.compare_personas`: bootstrap over raters,
    permutation p-values, distribution alignment) runs from the dataset alone. Participants with a missing
    value are in no group of that attribute, as at build time.

    Returns
    -------
    Demographics or None
        None when the dataset was built without demographics.

    Raises
    ------
    DatasetError
        When ``build_info`` names an attribute that ``participants`` lacks (an inconsistent folder).
    """
    from .errors import DatasetError

    attrs = tuple(data.demographic_attributes)
    if not attrs:
        return None
    missing = [a for a in attrs if a not in data.participants.columns]
    if missing:
        raise DatasetError(f"the dataset's build_info lists the demographic attribute(s) {missing}, but its "
                           f"participants config has no such column(s) ({list(data.participants.columns)}); "
                           "rebuild it with `valueportrait build --demographics FILE`.")
    table = data.participants[["participant_id", *attrs]].copy()
    table["participant_id"] = table["participant_id"].astype("str")
    for a in attrs:
        table[a] = table[a].astype("str")
    return Demographics(table.reset_index(drop=True), attrs, "the dataset's participants config")


def check_participants(demo: Demographics, participant_ids: Sequence[str]) -> Demographics:
    """Match the demographics to the dataset's participants; drop unknown ids (warning naming the rows).

    Raises
    ------
    InputError
        When no id matches (a wrong file or id column).

    Warns
    -----
    DemographicsWarning
        Rows whose id is not a participant (dropped), and participants with no demographics row.
    """
    known = set(participant_ids)
    ids = demo.table["participant_id"]
    unknown = ~ids.isin(known).to_numpy()
    if unknown.all():
        raise InputError(f"{demo.source}: none of its {len(ids)} participant ids is a participant of the dataset "
                         f"(e.g. {ids.iloc[0]!r}; the dataset's look like {sorted(known)[0]!r}). Check the file "
                         "and the id column (--id-column).")
    if unknown.any():
        where = [f"{demo.rows[k] if demo.rows else k + 1} ({ids.iloc[k]!r})" for k in np.flatnonzero(unknown)[:10]]
        warnings.warn(f"{demo.source}: {int(unknown.sum())} row(s) name no participant of the dataset and are "
                      f"dropped: {', '.join(where)}{' ...' if unknown.sum() > 10 else ''}",
                      DemographicsWarning, stacklevel=2)
    absent = sorted(known - set(ids))
    if absent:
        warnings.warn(f"{demo.source}: {len(absent)} of {len(known)} participants have no demographics row "
                      f"(e.g. {', '.join(absent[:5])}); they are in no group", DemographicsWarning, stacklevel=2)
    keep = ~unknown
    return Demographics(demo.table[keep].reset_index(drop=True), demo.attributes, demo.source,
                        tuple(r for r, k in zip(demo.rows, keep) if k) if demo.rows else ())


def join_demographics(participants: pd.DataFrame, demo: Demographics) -> pd.DataFrame:
    """The ``participants`` table with one string column per attribute added (NaN where unknown).

    Unknown ids are dropped and absent participants warned about (:func:`check_participants`).
    """
    clash = [a for a in demo.attributes if a in participants.columns]
    if clash:
        raise InputError(f"attribute name(s) {clash} clash with participants columns; rename them "
                         "(attributes={'new_name': 'Column'} / --attribute NEW=Column)")
    demo = check_participants(demo, participants["participant_id"].tolist())
    out = participants.merge(demo.table, on="participant_id", how="left", validate="one_to_one")
    for a in demo.attributes:
        out[a] = out[a].astype("str")
    return out
