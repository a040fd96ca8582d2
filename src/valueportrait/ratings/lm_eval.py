"""lm-evaluation-harness samples (``--log_samples``) of the ``valueportrait_<variant>`` tasks -> a ratings table.

The tasks themselves (documents, choices, ``process_results``) are :mod:`valueportrait.lm_eval.utils`; this
module only reads what lm-eval logged, so the ratings contract does not depend on the tasks or the runner.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from valueportrait.errors import InputError
from valueportrait.scale import N_OPTIONS, VARIANTS

from .contract import ratings_frame, validate_ratings
from .likert import distribution_from_loglik

__all__ = ["is_lm_eval_source", "lm_eval_dataset", "loglik_rating", "ratings_from_samples", "samples_to_ratings"]


def loglik_rating(results: Sequence, *, item: object = None) -> tuple[float, int]:
    """lm-eval's 6 ``(loglikelihood, is_greedy)`` pairs of an item -> (expected rating, argmax rating).

    >>> loglik_rating([(0.0, False)] * 6)
    (3.5, 1)
    """
    lls = [float(r[0]) for r in results]
    if len(lls) != N_OPTIONS:
        raise InputError(f"item {item}: expected {N_OPTIONS} log-likelihoods, got {len(lls)}")
    _, rating, argmax = distribution_from_loglik(lls)
    return rating, argmax


def ratings_from_samples(path: str | Path, model: str, *, persona: str | None = None):
    """Ratings table (model, item_id, variant, persona, rating) from lm-eval's ``samples_valueportrait_*.jsonl``.

    Uses each sample's ``rating`` when logged, else recomputes it from ``filtered_resps`` / ``resps``.
    """
    rows = []
    path = Path(path)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            s = json.loads(line)
            doc = s["doc"]
            rating = s.get("rating")
            if rating is None:
                resps = s.get("filtered_resps") or [r[0] for r in s["resps"]]
                rating = loglik_rating(resps, item=doc.get("item_id"))[0]
            rows.append((doc["item_id"], doc["variant"], float(rating), f"line {n}"))
        except (json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as exc:
            raise InputError(f"{path}, line {n}: not an lm-eval sample of a valueportrait task "
                             f"({type(exc).__name__}: {exc}); expected 'doc' with item_id and variant, and 'rating' "
                             "or 'resps'") from None
    frame = ratings_frame(model, [r[0] for r in rows], [r[1] for r in rows], [persona] * len(rows),
                          [r[2] for r in rows])
    return validate_ratings(frame, source=f"lm-eval samples {str(path)!r}", rows=[r[3] for r in rows])


_ANY_SAMPLES = re.compile(r"^samples_(.+?)_(\d{4}-\d{2}-\d{2}T[\d.\-]+)\.jsonl$")
_SAMPLES_NAME = re.compile(r"^samples_(valueportrait_[a-z0-9_]+?)_(\d{4}-\d{2}-\d{2}T[\d.\-]+)\.jsonl$")


def samples_to_ratings(path: str | Path, model: str | None = None, *, persona: str | None = None,
                       duplicates: str | None = "error"):
    """Ratings table from an lm-eval output folder (``--output_path`` of a run with ``--log_samples``) or one file.

    A folder is searched recursively for ``samples_valueportrait_<variant>_<timestamp>.jsonl``; when lm-eval wrote
    a task several times (runs into the same ``--output_path``), the latest timestamp is read. All files must sit in
    one folder (lm-eval writes one folder per model). ``model`` defaults to ``model_name`` of the latest
    ``results_<timestamp>.json`` beside them (what lm-eval was given as ``pretrained=``). Rows are in paper
    variant order, then as lm-eval logged them. ``duplicates``: a request (item, variant) logged twice is an error
    naming the files (``"error"``), or kept once (``"first"``, ``"mean"``); ``None`` leaves them to the caller.
    """
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        found = [(m.group(1), m.group(2), f) for f in path.rglob("samples_valueportrait_*.jsonl")
                 if (m := _SAMPLES_NAME.match(f.name))]
        if not found:
            other = sorted({m.group(1) for f in path.rglob("samples_*.jsonl") if (m := _ANY_SAMPLES.match(f.name))})
            what = f"lm-eval samples of other task(s) ({', '.join(other[:5])}), none of a valueportrait task" \
                if other else "no samples_valueportrait_<variant>_<time>.jsonl file in it"
            raise InputError(f"{path}: {what}; run lm_eval with --tasks valueportrait (--include_path from "
                             "valueportrait.lm_eval.task_dir()) --log_samples --output_path and give that folder "
                             "(or one samples file)")
        folders = sorted({str(f.parent) for _, _, f in found})
        if len(folders) > 1:
            raise InputError(f"{path}: samples of several lm-eval runs/models ({', '.join(folders)}); "
                             "give one model's folder")
        latest: dict[str, tuple[str, Path]] = {}
        for task, stamp, f in found:
            if task not in latest or stamp > latest[task][0]:
                latest[task] = (stamp, f)
        order = {f"valueportrait_{v}": i for i, v in enumerate(VARIANTS)}
        files = [f for task, (_, f) in sorted(latest.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]
    else:
        raise InputError(f"{path}: no such file or folder (expected lm-eval's --output_path folder or a "
                         "samples_valueportrait_*.jsonl file)")
    if model is None:
        results = sorted(files[0].parent.glob("results_*.json"))
        try:
            model = json.loads(results[-1].read_text(encoding="utf-8"))["model_name"] if results else None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{results[-1]}: cannot read model_name ({type(exc).__name__}: {exc}); "
                             "pass model=...") from None
        if not model:
            raise InputError(f"{files[0].parent}: no lm-eval results_*.json with model_name beside the samples; "
                             "pass model=...")
    out = pd.concat([ratings_from_samples(f, model, persona=persona).assign(source=str(f)) for f in files],
                    ignore_index=True)
    if duplicates is not None:
        from .duplicates import resolve_duplicates

        out = resolve_duplicates(out, duplicates).ratings
    return out.drop(columns="source").reset_index(drop=True)


def is_lm_eval_source(path: str | Path) -> bool:
    """Whether ``path`` is lm-eval output: a ``samples_<task>_<time>.jsonl`` file, or a folder (not a run
    directory) holding samples or ``results_<time>.json`` files (``valueportrait score`` reads it directly)."""
    path = Path(path)
    if path.is_file():
        return bool(_ANY_SAMPLES.match(path.name))
    if not path.is_dir() or (path / "manifest.json").exists():
        return False
    return any(_ANY_SAMPLES.match(f.name) for f in path.rglob("samples_*.jsonl")) or any(path.rglob("results_*.json"))


def lm_eval_dataset(path: str | Path) -> tuple[str, str | None] | None:
    """``(dataset, revision)`` an lm-eval run of the valueportrait tasks used: from the docs it logged (the tasks
    record it in every doc), else from the task metadata in ``results_*.json``; None when neither says."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.rglob("samples_valueportrait_*.jsonl"))
    for f in files[:1]:
        try:
            with open(f, encoding="utf-8") as fh:
                doc = json.loads(fh.readline()).get("doc", {})
        except (OSError, ValueError, AttributeError):
            doc = {}
        if isinstance(doc, dict) and doc.get("dataset"):
            return str(doc["dataset"]), doc.get("revision")
    base = path.parent if path.is_file() else path
    for results in sorted(base.rglob("results_*.json"), reverse=True):
        try:
            configs = json.loads(results.read_text(encoding="utf-8")).get("configs", {})
        except (OSError, ValueError, AttributeError):
            continue
        for name, cfg in configs.items():
            meta = (cfg or {}).get("metadata") or {}
            if name.startswith("valueportrait") and meta.get("dataset"):
                return str(meta["dataset"]), meta.get("revision")
    return None
