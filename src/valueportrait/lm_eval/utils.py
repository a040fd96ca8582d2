"""Functions of the lm-evaluation-harness tasks ``valueportrait_<variant>`` (YAML files beside this module).

Each item is a multiple-choice log-likelihood question: the context is the item's prompt under the task's
variant followed by ``"\\n\\nAnswer:"``, the 6 choices are the Likert phrases (ratings 1..6, each scored as
``" " + phrase``). There is no gold answer: :func:`process_results` turns the 6 log-likelihoods into the
distribution over ratings and reports the expected rating (``rating``) and the most likely one
(``rating_argmax``), exactly as the runner's transformers backend does. With ``--log_samples``,
:func:`samples_to_ratings` reads lm-eval's output folder (or :func:`ratings_from_samples` one per-sample file)
back as a ratings table for our scoring.

The items and prompts come from a built Value Portrait dataset (a folder or a Hub repo id), given to lm-eval
as task metadata: ``--metadata '{"dataset": "./valueportrait"}'`` (optional ``"revision"``), or through the
environment variable ``VALUEPORTRAIT_DATASET``. Run and checked under lm-eval 0.4.13 (``custom_dataset`` hook).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from valueportrait.errors import DatasetError, InputError
from valueportrait.runner.prompts import build_requests, parse_variants
from valueportrait.runner.rundir import ratings_frame
from valueportrait.runner.transformers_backend import PHRASES, PLAIN_SUFFIX, distribution_from_loglik


def load_docs(**kwargs: Any):
    """``custom_dataset`` of the tasks: ``{"test": Dataset}`` of item_id, variant, template, prompt.

    lm-eval passes the task's ``dataset_kwargs`` (``variant``) merged with its ``metadata`` (``version``, and what
    the user gives with ``--metadata``: ``dataset``, optional ``revision``).
    """
    import datasets

    from valueportrait.dataset import open_dataset

    source = kwargs.get("dataset") or os.environ.get("VALUEPORTRAIT_DATASET")
    if not source:
        raise DatasetError("the valueportrait lm-eval tasks need the built dataset: pass "
                           "--metadata '{\"dataset\": \"PATH_OR_HUB_REPO\"}' to lm_eval, or set VALUEPORTRAIT_DATASET")
    variant = kwargs.get("variant")
    if variant is None:
        raise InputError("the task's dataset_kwargs lack 'variant' (one of v1 ... v3_reversed)")
    (variant,) = parse_variants([variant])
    data = open_dataset(source, revision=kwargs.get("revision"))
    templates = dict(zip(data.items["item_id"], data.items["template"]))
    docs = [{"item_id": r.item_id, "variant": r.variant, "template": templates[r.item_id], "prompt": r.prompt}
            for r in build_requests(data.items, data.prompts, variants=[variant])]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def doc_to_text(doc: dict) -> str:
    """The context: the item's prompt, then ``"\\n\\nAnswer:"`` (as the runner's plain, no-chat-template mode)."""
    return doc["prompt"] + PLAIN_SUFFIX


def doc_to_choice(doc: dict) -> list[str]:
    """The 6 answers, by rating 1..6 (lm-eval prefixes each with the target delimiter, a space)."""
    return list(PHRASES)


def doc_to_target(doc: dict) -> str:
    """No gold answer exists (the benchmark measures, it does not grade); lm-eval requires the field."""
    return ""


def process_results(doc: dict, results: list) -> dict[str, float]:
    """``results``: the 6 ``(loglikelihood, is_greedy)`` pairs -> expected rating and argmax rating.

    ``p_r = softmax(ll)_r``, ``rating = sum_r r p_r``, ``rating_argmax = argmax_r ll_r`` (r = 1..6).
    """
    lls = [float(r[0]) for r in results]
    if len(lls) != len(PHRASES):
        raise InputError(f"item {doc.get('item_id')}: expected {len(PHRASES)} log-likelihoods, got {len(lls)}")
    _, rating, argmax = distribution_from_loglik(lls)
    return {"rating": rating, "rating_argmax": float(argmax)}


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
                rating = process_results(doc, resps)["rating"]
            rows.append((doc["item_id"], doc["variant"], float(rating)))
        except (json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as exc:
            raise InputError(f"{path}, line {n}: not an lm-eval sample of a valueportrait task "
                             f"({type(exc).__name__}: {exc}); expected 'doc' with item_id and variant, and 'rating' "
                             "or 'resps'") from None
    return ratings_frame(model, [r[0] for r in rows], [r[1] for r in rows], [persona] * len(rows),
                         [r[2] for r in rows])


_SAMPLES_NAME = re.compile(r"^samples_(valueportrait_[a-z0-9_]+?)_(\d{4}-\d{2}-\d{2}T[\d.\-]+)\.jsonl$")


def samples_to_ratings(path: str | Path, model: str | None = None, *, persona: str | None = None):
    """Ratings table from an lm-eval output folder (``--output_path`` of a run with ``--log_samples``) or one file.

    A folder is searched recursively for ``samples_valueportrait_<variant>_<timestamp>.jsonl``; when lm-eval wrote
    a task several times (runs into the same ``--output_path``), the latest timestamp is read. All files must sit in
    one folder (lm-eval writes one folder per model). ``model`` defaults to ``model_name`` of the latest
    ``results_<timestamp>.json`` beside them (what lm-eval was given as ``pretrained=``). Rows are in paper
    variant order, then as lm-eval logged them.
    """
    import pandas as pd

    from valueportrait.scale import VARIANTS

    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        found = [(m.group(1), m.group(2), f) for f in path.rglob("samples_valueportrait_*.jsonl")
                 if (m := _SAMPLES_NAME.match(f.name))]
        if not found:
            raise InputError(f"{path}: no samples_valueportrait_<variant>_<time>.jsonl file in it; run lm_eval with "
                             "--log_samples --output_path and give that folder (or one samples file)")
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
    return pd.concat([ratings_from_samples(f, model, persona=persona) for f in files], ignore_index=True)
