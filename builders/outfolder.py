"""A build's output folder: the one output rule (:mod:`valueportrait.outputs`) with a build's own marker
(:func:`check_output_folder`: never its inputs, never a folder it did not write; ``build_info.json`` marks a
build), and the stale temporary siblings killed builds leave (:func:`clean_stale_temp_folders`). The build
writes through :func:`valueportrait.staging.output_folder` (staged, locked, swapped)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from valueportrait.outputs import check_output
from valueportrait.staging import clean_stale

#: Names of the files a build writes besides the parquet files.
CARD_FILE = "README.md"
BUILD_INFO_FILE = "build_info.json"
INSTRUMENT_FILE = "instrument.yaml"


def check_output_folder(out: Path, overwrite: bool, inputs: Sequence[str | os.PathLike[str] | None] = ()) -> None:
    """Refuse an output folder a build must not write, with :class:`OutputExistsError` saying why.

    The one output rule (:func:`valueportrait.outputs.check_output`), with a build's marker: ``out`` must be
    named as a folder (not ``.``/``..``), must neither lie inside nor contain any of ``inputs`` (the raw release,
    the demographics file; None entries are skipped) or the current folder, and, if it exists, ``overwrite``
    must be on and it must be a folder an earlier build wrote (its ``build_info.json``) holding nothing a build
    does not write. Stale temporary folders of ``out`` left by killed builds are removed or reported first
    (:func:`clean_stale_temp_folders`).
    """
    out = Path(out)
    if out.name not in ("", ".", "..") and out.resolve().parent.is_dir():
        clean_stale_temp_folders(out)
    check_output(out, overwrite=overwrite, command="build", inputs=inputs, names=names_if_built)


def names_if_built(path: Path) -> set[str] | None:
    """The names a build's folder may hold, or None when ``path`` is not one (no build_info.json marker)."""
    return _built_names(path) if is_built_folder(path) else None


def is_built_folder(path: Path) -> bool:
    """True when ``path`` holds the ``build_info.json`` a build writes (a JSON object with the dataset version
    and the upstream release, or the survey): the marker that lets ``--overwrite`` replace it."""
    try:
        info = json.loads((path / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and isinstance(info.get("dataset_version"), str) and (
        isinstance(info.get("upstream"), dict) or isinstance(info.get("survey"), dict))  # a survey build's


def _built_names(folder: Path) -> set[str]:
    """Names a build writes at the top of its folder (or of its temporary folder)."""
    from valueportrait.dataset import CONFIGS, OPTIONAL_CONFIGS

    return {CARD_FILE, BUILD_INFO_FILE, INSTRUMENT_FILE, ".work", *CONFIGS, *OPTIONAL_CONFIGS}


def clean_stale_temp_folders(out: Path) -> list[str]:
    """Remove the temporary folders an interrupted build of ``out`` left beside it; report those it keeps
    (:func:`valueportrait.staging.clean_stale` with a build's names: a leftover holding anything else is kept;
    a ``.old`` folder while ``out`` is missing is the only copy of the previous build and is kept, with the
    command that restores it)."""
    return clean_stale(out, names=_built_names, what="build")


__all__ = ["BUILD_INFO_FILE", "CARD_FILE", "INSTRUMENT_FILE", "check_output_folder", "clean_stale_temp_folders", "is_built_folder",
           "names_if_built"]
