"""The released models as a reference: the ``reference_portraits`` config (issue 23, point 3).

When the raw release holds upstream's model outputs (``lm_evaluation/outputs/<provider>/<model>_<variant>_
results.json``), :func:`attach_reference` scores every model there, and the human raters, with the build's own
selection through the one scoring pipeline (:func:`valueportrait.pipelines.leaderboard.score_leaderboard` on
:class:`~valueportrait.settings.UpstreamOutputs`, upstream's answers re-parsed), and keeps per model x dimension
the centred score, its interval (with its unit and method), the number of items, the portrait's reliability and
the model's coverage. ``valueportrait score --reference`` places a new model among these rows.

``build_info["reference_portraits"]["outputs"]`` fingerprints the output files scored (:func:`outputs_fingerprint`:
each file's path, size and sha256, and one sha256 over them all), so that two builds' reference rows can be told
to come from the same answers; ``valueportrait info`` prints it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from valueportrait.dataset import ValuePortraitData
from valueportrait.schema import REFERENCE_COLUMNS, REFERENCE_TYPES

#: Where the raw release keeps upstream's model outputs.
OUTPUTS = "lm_evaluation/outputs"


def has_outputs(root: Path) -> bool:
    """Whether the raw release ``root`` holds upstream's model outputs (at least one results file)."""
    folder = Path(root) / OUTPUTS
    return folder.is_dir() and next(folder.rglob("*_results.json"), None) is not None


def outputs_fingerprint(folder: Path) -> dict:
    """The output files under ``folder`` that scoring reads (``<model>_<variant>_results.json``, any depth):
    ``{"files": [{"path", "bytes", "sha256"}...], "n_files", "bytes", "sha256"}``, paths relative to
    ``folder`` with ``/``, sorted; the overall ``sha256`` is that of the lines ``"<sha256>  <path>\\n"`` (the
    format of ``sha256sum``), so ``sha256sum`` over the same files, sorted by path, reproduces it."""
    from valueportrait.ratings.upstream import find_output_files

    files = []
    for f in sorted(find_output_files(folder), key=lambda f: f.path.relative_to(folder).as_posix()):
        digest = hashlib.sha256()
        with open(f.path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        files.append({"path": f.path.relative_to(folder).as_posix(), "bytes": f.path.stat().st_size,
                      "sha256": digest.hexdigest()})
    listing = "".join(f"{f['sha256']}  {f['path']}\n" for f in files).encode()
    return {"n_files": len(files), "bytes": sum(f["bytes"] for f in files),
            "sha256": hashlib.sha256(listing).hexdigest(), "files": files}


def reference_table(board) -> pd.DataFrame:
    """The ``reference_portraits`` rows of a :class:`~valueportrait.pipelines.leaderboard.Leaderboard`: one per
    portrait (models, then the human raters) x dimension, columns :data:`~valueportrait.schema.REFERENCE_COLUMNS`.
    A model's ``reliable``/``profile_reliability`` and ``coverage_share``/``partial`` are null for the humans."""
    frames = []
    for model, portrait in board.portraits.items():
        rel = board.reliability.get(model) or {}
        cov = board.coverage.get(model) or {}
        frame = pd.DataFrame({
            "model": model, "family": portrait["family"], "dimension": portrait["dimension"],
            "score": portrait["score"], "ci_low": portrait["ci_low"], "ci_high": portrait["ci_high"],
            "ci_over": portrait["ci_over"], "ci_method": portrait["ci_method"], "n_items": portrait["n"],
            "reliable": rel.get("reliable"), "profile_reliability": rel.get("profile_reliability"),
            "coverage_share": cov.get("share"), "partial": cov.get("partial")})
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)[list(REFERENCE_COLUMNS)]
    for column, kind in REFERENCE_TYPES.items():
        if kind == "bool":
            table[column] = table[column].astype("boolean")
        elif kind == "float64":
            table[column] = table[column].astype("float64")
        elif kind == "int64":
            table[column] = table[column].astype("int64")
    return table


def attach_reference(data: ValuePortraitData, root: Path) -> ValuePortraitData:
    """``data`` with the ``reference_portraits`` config and ``build_info["reference_portraits"]`` (the models
    it holds, the intervals' unit) when the raw release ``root`` holds model outputs; else ``data`` unchanged."""
    if not has_outputs(root):
        return data
    from valueportrait.pipelines.leaderboard import score_leaderboard
    from valueportrait.settings import UpstreamOutputs

    folder = Path(root) / OUTPUTS
    fingerprint = outputs_fingerprint(folder)
    board = score_leaderboard([UpstreamOutputs(folder)], dataset=data)
    table = reference_table(board)
    info = {**data.build_info, "reference_portraits": {
        "models": board.models, "source": OUTPUTS, "parse": "valueportrait", "ci_over": board.ci_over,
        "human_ci_over": board.meta.get("human_ci_over"), "confidence": board.confidence,
        "outputs": fingerprint}}
    return replace(data, reference_portraits=table, build_info=info)


__all__ = ["OUTPUTS", "attach_reference", "has_outputs", "outputs_fingerprint", "reference_table"]
