"""The declared schema of every config of the dataset, as Arrow schemas (the one declaration).

The datasets builder (:mod:`valueportrait.dataset_script.valueportrait`) turns these into ``datasets.Features``
(``Features.from_arrow_schema`` gives exactly the Features the dataset has always declared), the build casts each
table to them, and :func:`valueportrait.dataset.open_dataset` checks a built folder against them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

from .scale import FAMILIES

__all__ = ["NORMS_COLUMNS", "NORMS_TYPES", "REFERENCE_COLUMNS", "REFERENCE_TYPES", "SCHEMAS", "family_schemas",
           "schema_for", "survey_families"]

#: Columns of the ``human_group_norms`` table (the dataset config), in order, and their types.
NORMS_COLUMNS: tuple[str, ...] = (
    "attribute", "group", "family", "dimension", "n_raters", "score", "score_ci_low", "score_ci_high", "raw_mean",
    "n_items", "instrument_mean", "instrument_sd", "instrument_n", "note",
)


NORMS_TYPES: dict[str, str] = {
    "attribute": "string", "group": "string", "family": "string", "dimension": "string", "n_raters": "int64",
    "score": "float64", "score_ci_low": "float64", "score_ci_high": "float64", "raw_mean": "float64",
    "n_items": "int64", "instrument_mean": "float64", "instrument_sd": "float64", "instrument_n": "int64",
    "note": "string"}

#: Columns of the ``reference_portraits`` config (the released models and the human raters scored with the
#: build's selection), in order, and their types; ``reliable``/``profile_reliability``/``coverage_share``/
#: ``partial`` are null on the human raters' rows.
REFERENCE_TYPES: dict[str, str] = {
    "model": "string", "family": "string", "dimension": "string", "score": "float64", "ci_low": "float64",
    "ci_high": "float64", "ci_over": "string", "ci_method": "string", "n_items": "int64", "reliable": "bool",
    "profile_reliability": "float64", "coverage_share": "float64", "partial": "bool"}
REFERENCE_COLUMNS: tuple[str, ...] = tuple(REFERENCE_TYPES)


_STR, _I64, _F64 = pa.string(), pa.int64(), pa.float64()
_ARROW = {"string": _STR, "int64": _I64, "float64": _F64, "bool": pa.bool_()}


def _schema(fields: dict[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, t) for name, t in fields.items()])


def family_schemas(families: Mapping[str, Sequence[str]]) -> dict[str, pa.Schema]:
    """The schemas of the two configs whose columns follow the instrument's ``families`` (family -> dimension
    ids): ``items`` (a list column per family) and ``participants`` (a score column per dimension)."""
    return {
        "items": _schema({
            "item_id": _STR, "query_id": _STR, "response_id": _I64, "source": _STR, "template": _STR, "title": _STR,
            "text": _STR, "response": _STR, "categories": pa.list_(_STR),
            **{family: pa.list_(_STR) for family in families},
        }),
        "participants": _schema({
            "participant_id": _STR, "survey_groups": pa.list_(_I64),
            **{f"{family}_{dim}": _F64 for family, dims in families.items() for dim in dims},
        }),
    }


def schema_for(config: str, families: Mapping[str, Sequence[str]] | None = None) -> pa.Schema:
    """The Arrow schema of ``config`` for an instrument's ``families`` (None: Value Portrait's, :data:`SCHEMAS`)."""
    if families is None or config not in ("items", "participants"):
        return SCHEMAS[config]
    return family_schemas(families)[config]


def survey_families(build_info: Mapping) -> dict[str, list[str]] | None:
    """family -> dimensions of a survey build's instrument (``build_info["survey"]``); None for Value Portrait."""
    if "survey" not in build_info:
        return None
    return {f["key"]: list(f["dimensions"]) for f in build_info["instrument"]["families"]}


#: config -> its Arrow schema, columns in order (Value Portrait's families; a survey's: :func:`schema_for`).
SCHEMAS: dict[str, pa.Schema] = {
    "items": family_schemas(FAMILIES)["items"],
    "correlations": _schema({
        "item_id": _STR, "family": _STR, "dimension": _STR, "rho": _F64, "p_value": _F64, "n": _I64,
        "selected": pa.bool_(), "rho_published": _F64, "p_value_published": _F64,
    }),
    "human_ratings": _schema({"participant_id": _STR, "survey_group": _I64, "item_id": _STR, "rating": _I64}),
    "participants": family_schemas(FAMILIES)["participants"],
    "prompts": _schema({"variant": _STR, "template": _STR, "text": _STR}),
    "queries": _schema({
        "query_id": _STR, "source": _STR, "template": _STR, "title": _STR, "text": _STR,
        "categories": pa.list_(_STR), "source_metadata": _STR, "statistics": _STR,
    }),
    "human_group_norms": _schema({c: _ARROW[NORMS_TYPES[c]] for c in NORMS_COLUMNS}),
    "reference_portraits": _schema({c: _ARROW[t] for c, t in REFERENCE_TYPES.items()}),
}
