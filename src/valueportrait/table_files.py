"""Table files in: :func:`read_table` reads a CSV / TSV / JSON / JSON-lines table as text cells, with each row's
location ("line 4", "record 3") for error messages; a malformed file is an :class:`InputError` naming it."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError

__all__ = ["TABLE_SUFFIXES", "read_table"]

#: File suffixes :func:`read_table` reads.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _records_frame(records: list, rows: list[str], where: str) -> pd.DataFrame:
    for rec, row in zip(records, rows):
        if not isinstance(rec, dict):
            raise InputError(f"{where}, {row}: expected a JSON object (one per row), found "
                             f"{json.dumps(rec)[:60]}")
    columns: dict[str, None] = {}
    for rec in records:
        columns.update(dict.fromkeys(map(str, rec)))
    data = {c: [_cell(rec.get(c)) for rec in records] for c in columns}
    return pd.DataFrame(data, columns=list(columns), dtype=object)


def _read_csv(path: Path, where: str, delimiter: str) -> tuple[pd.DataFrame, list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{where} is empty; expected a header line naming the columns")
            header = [h.strip() for h in header]
            dup = sorted({h for h in header if header.count(h) > 1})
            if dup or "" in header:
                raise InputError(f"{where}, line 1: the header has {'duplicate' if dup else 'empty'} column names "
                                 f"({', '.join(map(repr, dup or ['']))}); give each column one distinct name")
            cells, rows, start = [], [], reader.line_num + 1
            for fields in reader:
                row = f"line {start}"
                start = reader.line_num + 1
                if not any(f.strip() for f in fields):
                    continue  # a blank line
                if len(fields) > len(header):
                    extra = ", ".join(repr(f) for f in fields[len(header):])
                    raise InputError(f"{where}, {row}: {len(fields)} fields but the header names {len(header)} "
                                     f"columns ({', '.join(header)}); the extra value(s) {extra} come after column "
                                     f"{header[-1]!r}. Remove them, or quote a value that contains "
                                     f"{'a tab' if delimiter == chr(9) else 'a comma'}")
                cells.append(fields + [""] * (len(header) - len(fields)))
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not UTF-8 text ({exc}); save it as UTF-8") from None
    except csv.Error as exc:
        raise InputError(f"{where}, line {reader.line_num}: not readable as CSV ({exc})") from None
    return pd.DataFrame(cells, columns=header, dtype=object), rows


def _json_problem(exc: ValueError, line: bool = True) -> str:
    """What is wrong with a JSON text: the parser's message (and ``line``), or an integer too long to read."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}" if line else exc.msg
    return f"a number of over {sys.get_int_max_str_digits():,} digits, which Python does not read as a number"


def _read_json(path: Path, where: str, lines: bool) -> tuple[pd.DataFrame, list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not UTF-8 text ({exc}); save it as UTF-8") from None
    if lines:
        records, rows = [], []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as exc:  # JSONDecodeError, or an integer of over 4,300 digits
                raise InputError(f"{where}, line {n}: not valid JSON ({_json_problem(exc, False)}); expected one JSON "
                                 "object per line") from None
            rows.append(f"line {n}")
        return _records_frame(records, rows, where), rows
    try:
        obj = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer of over 4,300 digits
        raise InputError(f"{where}: not valid JSON ({_json_problem(exc)}); expected a list of objects, one per "
                         "row") from None
    if isinstance(obj, dict) and isinstance(obj.get("records"), list):
        obj = obj["records"]
    elif isinstance(obj, dict) and obj and all(isinstance(v, list) for v in obj.values()) \
            and len({len(v) for v in obj.values()}) == 1:  # column-oriented: {column: [values]}
        n = len(next(iter(obj.values())))
        obj = [{k: v[i] for k, v in obj.items()} for i in range(n)]
    if not isinstance(obj, list):
        raise InputError(f"{where}: expected a JSON list of objects, one per row, found a {type(obj).__name__}; "
                         "for one object per line use a .jsonl file")
    rows = [f"record {n}" for n in range(1, len(obj) + 1)]
    return _records_frame(obj, rows, where), rows


def read_table(path: str | Path, *, what: str = "table") -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV / TSV (``.csv``, ``.txt``, ``.tsv``), JSON (a list of objects, ``{"records": [...]}`` or
    ``{column: [values]}``) or JSON-lines file as text.

    Every cell is a ``str``; an empty CSV cell, a JSON ``null`` and a key a record lacks are ``""``. Text
    such as ``NA`` or ``None`` stays text. Blank lines are skipped. A CSV row with more fields than the
    header is an error (it is not silently shifted into other columns); one with fewer is padded with ``""``.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages (``"ratings"``, ``"personas file"``).

    Returns
    -------
    (DataFrame, list of str)
        The cells (object columns of ``str``, in file order) and each row's location: ``"line N"`` (the
        file's line, for CSV / TSV / JSON lines) or ``"record N"`` (position in a JSON list, from 1).

    Raises
    ------
    InputError
        The file is missing, has another suffix, is not UTF-8, or cannot be parsed; the message names the
        file and the line or record.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("model,rating\\nNA,5\\n\\nm,\\n")
    >>> frame, rows = read_table(p)
    >>> frame.values.tolist(), rows
    ([['NA', '5'], ['m', '']], ['line 2', 'line 4'])
    """
    path = Path(path)
    where = f"{what} {str(path)!r}"
    if not path.is_file():
        raise InputError(f"{where} not found; expected a file ({', '.join(TABLE_SUFFIXES)})")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{where}: expected a {', '.join(TABLE_SUFFIXES)} file; rename the file if it is one of "
                         "those formats")
    try:
        if suffix in (".json", ".jsonl"):
            return _read_json(path, where, lines=suffix == ".jsonl")
        return _read_csv(path, where, "\t" if suffix == ".tsv" else ",")
    except OSError as exc:
        raise InputError(f"{where} cannot be read ({exc})") from None
