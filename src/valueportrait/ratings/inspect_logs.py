"""Inspect logs of the ``value_portrait`` task read back as a ratings table (``valueportrait score LOG.eval``).

A log holds one sample per item x variant (x persona, x epoch) with ``item_id``, ``variant`` and ``persona`` in
its metadata. The rating is the sample's ``likert_rating`` score (NaN when the answer held no Likert phrase); a
sample without that score (scored otherwise, or not at all) is read by parsing its answer with
:func:`~valueportrait.ratings.parse_likert`; a sample that errored has no answer and gets NaN. The model is the
log's model name as Inspect writes it (e.g. ``openai/gpt-4o-mini``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from valueportrait.errors import InputError

#: The task's registered name and its scorer's (the key of a sample's scores).
TASK_NAME = "valueportrait/value_portrait"
SCORER = "likert_rating"


def _log_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(path.rglob("*.eval"))


def is_eval_log_source(path: str | Path) -> bool:
    """Whether ``path`` is an Inspect ``.eval`` log, or a folder holding some and no run manifest (so that
    ``valueportrait score`` reads it with :func:`read_eval_ratings`)."""
    path = Path(path)
    if path.is_file():
        return path.suffix.lower() == ".eval"
    return path.is_dir() and not (path / "manifest.json").exists() and any(path.rglob("*.eval"))


def eval_dataset(path: str | Path) -> tuple[str, str | None] | None:
    """``(dataset, revision)`` the value_portrait task recorded in the first log at ``path`` (its metadata, else
    ``-T dataset=``); None when the log records none (a log of an older task version)."""
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        return None
    files = _log_files(Path(path))
    if not files:
        return None
    try:
        spec = read_eval_log(str(files[0]), header_only=True).eval
    except Exception:  # unreadable: read_eval_ratings names the problem
        return None
    meta, args = spec.metadata or {}, spec.task_args or {}
    source = meta.get("valueportrait_dataset") or args.get("dataset")
    return (str(source), meta.get("valueportrait_revision") or args.get("revision")) if source else None


def read_eval_ratings(path: str | Path, *, duplicates: str | None = "error") -> pd.DataFrame:
    """Ratings table (model, item_id, variant, persona, rating) from an Inspect log of the value_portrait task,
    or from every ``.eval`` log under a folder (all of them must be logs of this task).

    ``duplicates``: a sample answering a request (model, persona, item, variant) another sample or log already
    answered is an error naming the logs (``"error"``), or kept once (``"first"``, ``"mean"``,
    :func:`~valueportrait.ratings.duplicates.resolve_duplicates`); ``None`` leaves them to the caller.

    Raises :class:`InputError` naming the file (and sample) when a log cannot be read, is another task's, or a
    sample lacks the task's metadata.
    """
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise InputError(f"{path}: reading Inspect logs needs inspect_ai: pip install 'valueportrait[inspect]'") \
            from None
    from .contract import ratings_frame
    from .likert import parse_likert

    path = Path(path)
    files = _log_files(path)
    if not files:
        raise InputError(f"{path}: no Inspect .eval log in it; give a log of `inspect eval "
                         f"{TASK_NAME}` or the --log-dir folder holding them")
    frames = []
    for file in files:
        try:
            log = read_eval_log(str(file))
        except Exception as exc:  # inspect raises various errors for a file that is not a log
            raise InputError(f"{file}: not a readable Inspect log ({type(exc).__name__}: {str(exc)[:200]})") from None
        if log.eval.task not in (TASK_NAME, TASK_NAME.split("/")[-1]):
            raise InputError(f"{file}: a log of the task {log.eval.task!r}, expected {TASK_NAME!r}")
        cols: dict[str, list] = {"item_id": [], "variant": [], "persona": [], "rating": []}
        for sample in log.samples or []:
            meta = sample.metadata or {}
            if not isinstance(meta.get("item_id"), str) or not isinstance(meta.get("variant"), str):
                raise InputError(f"{file}, sample {sample.id!r}: no item_id / variant in its metadata; expected "
                                 f"a sample of {TASK_NAME}")
            score = (sample.scores or {}).get(SCORER)
            if score is not None:
                value = score.value
                rating = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else math.nan
            else:
                parsed = parse_likert(sample.output.completion) if sample.output and not sample.error else None
                rating = math.nan if parsed is None else float(parsed)
            for key, value in (("item_id", meta["item_id"]), ("variant", meta["variant"]),
                               ("persona", meta.get("persona")), ("rating", rating)):
                cols[key].append(value)
        frames.append(ratings_frame(log.eval.model, cols["item_id"], cols["variant"], cols["persona"],
                                    cols["rating"]).assign(source=str(file)))
    out = pd.concat(frames, ignore_index=True)
    if duplicates is not None:
        from .duplicates import resolve_duplicates

        out = resolve_duplicates(out, duplicates).ratings
    return out.drop(columns="source").reset_index(drop=True)
