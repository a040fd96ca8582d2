"""Functions of the lm-evaluation-harness tasks ``valueportrait_<variant>`` (YAML files beside this module).

Each item is a multiple-choice log-likelihood question: the context is the item's prompt under the task's
variant followed by ``"\\n\\nAnswer:"``, the 6 choices are the Likert phrases (ratings 1..6, each scored as
``" " + phrase``). There is no gold answer: :func:`process_results` turns the 6 log-likelihoods into the
distribution over ratings and reports the expected rating (``rating``) and the most likely one
(``rating_argmax``), exactly as the runner's transformers backend does. With ``--log_samples``,
:func:`valueportrait.ratings.lm_eval.samples_to_ratings` reads lm-eval's output folder (or
:func:`~valueportrait.ratings.lm_eval.ratings_from_samples` one per-sample file) back as a ratings table.

The items and prompts come from a built Value Portrait dataset (a folder or a Hub repo id), given to lm-eval
as task metadata: ``--metadata '{"dataset": "./valueportrait"}'`` (optional ``"revision"``), or through the
environment variable ``VALUEPORTRAIT_DATASET``. Run and checked under lm-eval 0.4.13 (``custom_dataset`` hook).
"""

from __future__ import annotations

import functools
import math
import os
import re
from typing import Any

from valueportrait.errors import DatasetError, InputError
from valueportrait.runner.prompts import build_requests, parse_variants
from valueportrait.ratings.lm_eval import loglik_rating
from valueportrait.runner.loglik import PLAIN_SUFFIX
from valueportrait.instrument import VALUE_PORTRAIT
from valueportrait.scale import DIMENSIONS, PHRASES


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
    revision = kwargs.get("revision")
    data = open_dataset(source, revision=revision)
    if data.instrument.scale != VALUE_PORTRAIT.scale or data.instrument.family_dims != VALUE_PORTRAIT.family_dims:
        raise DatasetError(f"the valueportrait lm-eval tasks score Value Portrait's 19 dimensions from its six English "
                           f"answer phrases; {source!r} is built on the instrument {data.instrument.name!r}. Run it "
                           "with the Inspect task or `valueportrait run --backend openai`, which read its instrument.")
    templates = dict(zip(data.items["item_id"], data.items["template"]))
    # the dataset rides along in every doc (lm-eval logs docs with --log_samples): `valueportrait score` finds it
    where = os.path.abspath(source) if os.path.isdir(source) else source
    docs = [{"item_id": r.item_id, "variant": r.variant, "template": templates[r.item_id], "prompt": r.prompt,
             "dataset": where, "revision": revision}
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


def process_results(doc: dict, results: list) -> dict[str, Any]:
    """``results``: the 6 ``(loglikelihood, is_greedy)`` pairs -> expected rating and argmax rating, and for each
    of the 19 portrait dimensions the item's (item_id, rating, dataset, revision), which the dimension's
    aggregation (:func:`portrait_metric`) turns into the portrait's score.

    ``p_r = softmax(ll)_r``, ``rating = sum_r r p_r``, ``rating_argmax = argmax_r ll_r`` (r = 1..6).
    """
    rating, argmax = loglik_rating(results, item=doc.get("item_id"))
    cell = (doc.get("item_id"), rating, doc.get("dataset"), doc.get("revision"))
    return {"rating": rating, "rating_argmax": float(argmax), **{metric_name(d): cell for _, d in DIMENSIONS}}


def metric_name(dimension: str) -> str:
    """lm-eval's metric name of a portrait dimension: ``Self-Direction`` -> ``self_direction``."""
    return re.sub(r"[^a-z0-9]+", "_", dimension.lower()).strip("_")


@functools.lru_cache(maxsize=4)
def _selection(source: str, revision: str | None):
    from valueportrait.dataset import open_dataset

    return open_dataset(source, revision=revision).selection()


def portrait_metric(family: str, dimension: str):
    """The aggregation of one dimension: the portrait (:func:`valueportrait.scoring.score_portrait`, the dataset's
    item selection) of the (item_id, rating) pairs lm-eval collected, that dimension's centred score (NaN when no
    selected item of it was rated), as lm-eval's BBQ task aggregates per group."""

    def aggregate(cells: list) -> float:
        import pandas as pd

        from valueportrait.scoring import score_portrait

        frame = pd.DataFrame([c[:2] for c in cells], columns=["item_id", "rating"])
        source, revision = cells[0][2], cells[0][3]
        table = score_portrait(frame, _selection(source, revision))
        row = table[(table["family"] == family) & (table["dimension"] == dimension)]
        return float(row["score"].iloc[0]) if len(row) else math.nan

    aggregate.__name__ = f"portrait_{metric_name(dimension)}"
    return aggregate


for _family, _dimension in DIMENSIONS:  # portrait_self_direction, ... : what the task files name
    globals()[f"portrait_{metric_name(_dimension)}"] = portrait_metric(_family, _dimension)
