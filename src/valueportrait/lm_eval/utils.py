"""Functions of the lm-evaluation-harness tasks ``valueportrait_<variant>`` (YAML files beside this module).

Each item is a multiple-choice log-likelihood question: the context is the item's prompt under the task's
variant followed by ``"\\n\\nAnswer:"``, the 6 choices are the Likert phrases (ratings 1..6, each scored as
``" " + phrase``). There is no gold answer: :func:`process_results` turns the 6 log-likelihoods into the
distribution over ratings and reports the expected rating (``rating``) and the most likely one
(``rating_argmax``), exactly as the runner's transformers backend does. With ``--log_samples``,
:func:`ratings_from_samples` reads lm-eval's per-sample file back as a ratings table for our scoring.

The items and prompts come from a built Value Portrait dataset (a folder or a Hub repo id), given to lm-eval
as task metadata: ``--metadata '{"dataset": "./valueportrait"}'`` (optional ``"revision"``), or through the
environment variable ``VALUEPORTRAIT_DATASET``. Needs an lm-eval with ``custom_dataset`` support (0.4.8+).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from valueportrait.errors import DatasetError, InputError
from valueportrait.runner.prompts import build_requests, parse_variants
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
    import pandas as pd

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
    return pd.DataFrame({
        "model": pd.Series([model] * len(rows), dtype="str"),
        "item_id": pd.Series([r[0] for r in rows], dtype="str"),
        "variant": pd.Series([r[1] for r in rows], dtype="str"),
        "persona": pd.Series([persona] * len(rows), dtype="str"),
        "rating": pd.Series([r[2] if math.isfinite(r[2]) else math.nan for r in rows], dtype="float64"),
    })
