"""Deviation I/O: group norms given by the user (:func:`read_norms`), and the JSON form of a report
(:func:`report_to_dict`, what the metric returns and ``valueportrait deviation --json`` writes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..table_files import read_table

if TYPE_CHECKING:
    from .report import DeviationReport

__all__ = ["AGREEMENT_KEYS", "BIAS_KEYS", "DIMENSION_KEYS", "DISTRIBUTION_KEYS", "GAP_KEYS", "NORMS_REQUIRED",
           "read_norms", "report_to_dict"]


#: Columns a norms table must have (the first five of the ``human_group_norms`` schema).
NORMS_REQUIRED: tuple[str, ...] = ("attribute", "group", "family", "dimension", "score")


def read_norms(norms: str | Path | pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A group norms table (the ``human_group_norms`` schema) from a DataFrame, a list of records, or a file.

    Parameters
    ----------
    norms : DataFrame, list of dict, or path
        Records / rows with at least ``attribute, group, family, dimension, score`` (optionally
        ``score_ci_low, score_ci_high, n_raters, note``). Files: ``.parquet``, or any table
        :func:`valueportrait.io.read_table` reads (``.csv``, ``.tsv``, ``.json`` records, ``.jsonl``; numbers
        read exactly, errors naming the line or record).

    Returns
    -------
    DataFrame
        With ``attribute`` and ``group`` as strings (a group label ``"1"`` stays ``"1"``).

    Raises
    ------
    InputError
        A missing file, an unreadable or unknown format, or missing columns (naming them).

    Examples
    --------
    >>> read_norms([{"attribute": "sex", "group": "Female", "family": "pvq", "dimension": "Power",
    ...              "score": -0.2}]).loc[0, "group"]
    'Female'
    """
    where = "the norms table"
    if isinstance(norms, pd.DataFrame):
        frame = norms.copy()
    elif isinstance(norms, (str, Path)):
        path = Path(norms)
        where = f"norms table {str(path)!r}"
        if not path.is_file():
            raise InputError(f"{where} not found; pass a .csv, .tsv, .parquet, .json or .jsonl file with columns "
                             f"{', '.join(NORMS_REQUIRED)}")
        if path.suffix.lower() == ".parquet":
            try:
                frame = pd.read_parquet(path)
            except (ValueError, OSError) as exc:
                raise InputError(f"{where} could not be read: {exc}") from None
        else:
            frame = _typed(*read_table(path, what="norms table"), where)
    elif isinstance(norms, Sequence) and all(isinstance(r, Mapping) for r in norms):
        frame = pd.DataFrame(list(norms))
    else:
        raise InputError(f"norms must be a DataFrame, a list of dicts or a file path, got {type(norms).__name__}")
    missing = [c for c in NORMS_REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{where} lacks column(s) {missing}; expected {', '.join(NORMS_REQUIRED)}"
                         "[, score_ci_low, score_ci_high, n_raters, note] (the human_group_norms schema)")
    for c in ("attribute", "group", "family", "dimension"):
        frame[c] = frame[c].astype("str")
    return frame


def _typed(frame: pd.DataFrame, rows: list[str], where: str) -> pd.DataFrame:
    """A norms table read as text (:func:`valueportrait.io.read_table`) with the numeric columns of the
    ``human_group_norms`` schema as numbers: each cell parsed by ``float`` (exact: the floats ``to_csv`` wrote
    come back bit for bit), an empty cell missing, anything else an error naming the row; an empty note is none."""
    from ..schema import NORMS_TYPES

    out = frame.copy()
    for column in out.columns:
        kind = NORMS_TYPES.get(column)
        if kind in ("float64", "int64"):
            values = []
            for row, cell in zip(rows, out[column]):
                try:
                    values.append(float(cell) if cell.strip() else np.nan)
                except ValueError:
                    raise InputError(f"{where}, {row}: {column} must be a number, got {cell!r}") from None
            numbers = np.array(values, dtype=float)
            whole = kind == "int64" and not np.isnan(numbers).any() and bool((numbers == np.round(numbers)).all())
            out[column] = numbers.astype(np.int64) if whole else numbers
        elif column == "note":
            out[column] = [c if c.strip() else None for c in out[column]]
    return out


def _json_value(v: Any) -> Any:
    """A table cell as JSON: NaN / None -> None, numpy scalars -> Python numbers."""
    if v is None:
        return None
    if isinstance(v, (str, bool)):
        return v
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None if pd.isna(v) else v
    return None if np.isnan(f) else f


def _json_settings(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _json_settings(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_settings(v) for v in obj]
    return _json_value(obj)


#: Keys of each entry of :func:`report_to_dict`, in order (stable: the metric card documents them).
DIMENSION_KEYS: tuple[str, ...] = ("model_score", "model_ci_low", "model_ci_high", "human_score", "human_ci_low",
                                   "human_ci_high", "deviation", "deviation_ci_low", "deviation_ci_high", "note")
AGREEMENT_KEYS: tuple[str, ...] = ("n_dims", *(f"{s}{e}" for s in ("pearson", "spearman", "rmse", "mad")
                                               for e in ("", "_ci_low", "_ci_high")), "note")
GAP_KEYS: tuple[str, ...] = ("model_gap", "model_gap_ci_low", "model_gap_ci_high", "human_gap", "human_gap_ci_low",
                             "human_gap_ci_high", "p_value", "sign_agree", "amplification")
BIAS_KEYS: tuple[str, ...] = ("n_pairs", "bias_index", "bias_index_ci_low", "bias_index_ci_high", "bias_null",
                              "bias_excess", "bias_excess_ci_low", "bias_excess_ci_high", "bias_p", "gap_rmse",
                              "sign_agreement", "exaggeration", "note")
DISTRIBUTION_KEYS: tuple[str, ...] = ("n_items", "wasserstein", "js", "wasserstein_replica", "js_replica",
                                      "wasserstein_split_half", "js_split_half", "note")


def report_to_dict(report: DeviationReport) -> dict[str, Any]:
    """The report as nested, JSON-serialisable dicts keyed by attribute and group (NaN -> None).

    Returns
    -------
    dict
        ``{"human": "raters" | "norms table", "settings": {...}, "attributes": {attribute: {"groups": {group:
        {"persona", "n_raters", "note", "dimensions": {family: {dimension: {DIMENSION_KEYS}}}, "agreement":
        {family: {AGREEMENT_KEYS}}, "distribution": {DISTRIBUTION_KEYS}}}, "gaps": [{"group_a", "group_b",
        "persona_a", "persona_b", "note", "dimensions": {family: {dimension: {GAP_KEYS}}}}], "bias": {family:
        {BIAS_KEYS}}}}}``. A group's ``note`` is set when it has no human portrait (e.g. fewer than
        ``min_raters`` raters): its human values are then None.

    Raises
    ------
    InputError
        When two personas name the same group (the dict has one entry per group).
    """
    dup = report.agreement.drop_duplicates(["attribute", "group", "persona"])
    dup = dup[dup.duplicated(["attribute", "group"], keep=False)]
    if len(dup):
        a, g = dup.iloc[0][["attribute", "group"]]
        raise InputError(f"personas {sorted(dup.loc[(dup['attribute'] == a) & (dup['group'] == g), 'persona'])} all "
                         f"name the group {a}={g}; give one persona per group")

    def cells(row: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
        return {k: _json_value(row.get(k)) for k in keys}

    attributes: dict[str, Any] = {}
    for attr in dict.fromkeys(report.agreement["attribute"]):
        attributes[attr] = {"groups": {}, "gaps": [], "bias": {}}
    for r in report.agreement.to_dict("records"):
        g = attributes[r["attribute"]]["groups"].setdefault(r["group"], {
            "persona": r["persona"], "n_raters": None, "note": _json_value(r["note"]), "dimensions": {},
            "agreement": {}, "distribution": None})
        g["agreement"][r["family"]] = cells(r, AGREEMENT_KEYS)
    for r in report.dimensions.to_dict("records"):
        g = attributes[r["attribute"]]["groups"][r["group"]]
        g["n_raters"] = _json_value(r["n_raters"])
        g["dimensions"].setdefault(r["family"], {})[r["dimension"]] = cells(r, DIMENSION_KEYS)
    for r in report.distributions.to_dict("records"):
        attributes[r["attribute"]]["groups"][r["group"]]["distribution"] = cells(r, DISTRIBUTION_KEYS)
    pairs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in report.gaps.to_dict("records"):
        key = (r["attribute"], r["group_a"], r["group_b"])
        if key not in pairs:
            pairs[key] = {"group_a": r["group_a"], "group_b": r["group_b"], "persona_a": r["persona_a"],
                          "persona_b": r["persona_b"], "note": _json_value(r["note"]), "dimensions": {}}
            attributes[r["attribute"]]["gaps"].append(pairs[key])
        pairs[key]["dimensions"].setdefault(r["family"], {})[r["dimension"]] = cells(r, GAP_KEYS)
    for r in report.bias.to_dict("records"):
        attributes[r["attribute"]]["bias"][r["family"]] = cells(r, BIAS_KEYS)
    return {"human": report.settings.get("human"), "settings": _json_settings(report.settings),
            "attributes": attributes}
