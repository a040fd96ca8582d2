"""A built dataset folder's files read back and checked: ``build_info.json`` (:func:`read_build_info`) and each
config's parquet files against its declared Features (:func:`read_config_table`). Every problem is a
:class:`~valueportrait.errors.DatasetError` naming the file and the fix (rebuild or fetch again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DatasetError

_REBUILD = "Rebuild the dataset with `valueportrait build --raw RAW --out DIR --overwrite` (or fetch it again)."


def read_build_info(path: Path) -> dict[str, Any]:
    """``path/build_info.json`` of a built folder, checked: a JSON object with ``dataset_version`` (a string)
    and ``selection`` (an object); anything else is a :class:`DatasetError` naming the file and the fix."""
    import json

    file = path / "build_info.json"
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DatasetError(f"{str(file)!r} cannot be read as JSON ({type(exc).__name__}: {exc}). {_REBUILD}") from None
    problem = ("is not a JSON object" if not isinstance(info, dict)
               else "has no dataset_version string" if not isinstance(info.get("dataset_version"), str)
               else "has no selection object" if not isinstance(info.get("selection"), dict)
               else None)
    if problem:
        raise DatasetError(f"{str(file)!r} {problem}, so it is not the build_info.json of a Value Portrait build. "
                           f"{_REBUILD}")
    return info


def read_config_table(path: Path, config: str):
    """One config of a built folder as a :class:`pyarrow.Table`, checked against its declared Features (every
    declared column there, with its type: a survey build's per its instrument); an unreadable or foreign file is a
    :class:`DatasetError`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .schema import schema_for, survey_families

    folder = path / config
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise DatasetError(f"{str(folder)!r} holds no parquet file. {_REBUILD}")
    tables = []
    for f in files:
        try:
            tables.append(pq.read_table(f))
        except (OSError, pa.ArrowException) as exc:
            raise DatasetError(f"{str(f)!r} is not a readable parquet file ({type(exc).__name__}: {exc}). "
                               f"{_REBUILD}") from None
    # a survey build's items / participants columns follow its instrument's families (build --survey)
    survey = config in ("items", "participants") and (path / "build_info.json").is_file()
    expected = schema_for(config, survey_families(read_build_info(path)) if survey else None)
    for f, table in zip(files, tables):
        for want in expected:
            have = table.schema.field(want.name).type if want.name in table.schema.names else None
            if have is None or not _same_type(have, want.type):
                raise DatasetError(
                    f"{str(f)!r}: column {want.name!r} " + ("is missing" if have is None else f"has type {have}")
                    + f"; the {config} config declares {want.type}. {_REBUILD}")
    try:
        return pa.concat_tables(tables, promote_options="default")
    except pa.ArrowException as exc:
        raise DatasetError(f"the parquet files of {str(folder)!r} do not fit together ({exc}). {_REBUILD}") from None


def _same_type(have, want) -> bool:
    """Equal Arrow types, taking string and large_string (and their lists) as the same."""
    import pyarrow as pa

    def norm(t):
        if pa.types.is_large_string(t):
            return pa.string()
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return pa.list_(norm(t.value_type))
        return t
    return norm(have) == norm(want)


__all__ = ["read_build_info", "read_config_table"]
