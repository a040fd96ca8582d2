"""The Inspect task ``valueportrait/value_portrait``: every item x prompt variant (x persona) as one chat sample.

Task arguments (``-T name=value``): ``variants`` (``all`` or a comma-separated list such as ``v1,v2_reversed``),
``persona`` (a persona's text, sent as the system message of :data:`~valueportrait.runner.prompts.PERSONA_TEMPLATE`)
or ``personas`` (a .jsonl / .json / .csv file with label and text), ``dataset`` (a built dataset folder or Hub
repo id; default ``$VALUEPORTRAIT_DATASET``) and ``revision``. A sample's input is exactly the runner's request
(:func:`~valueportrait.runner.prompts.build_requests`), its metadata ``item_id``, ``variant`` and ``persona``.
Samples are ordered item by item, each item under every requested variant in turn (then the next persona), so
that Inspect's ``--limit N`` covers the first items under all the variants asked for. The dataset used (its
absolute path for a folder, whether given with ``-T dataset`` or ``$VALUEPORTRAIT_DATASET``) and its revision are
recorded in the log's metadata (``valueportrait_dataset``, ``valueportrait_revision``), where ``valueportrait
score LOG`` finds them.

The scorer :func:`likert_rating` reads the answer with :func:`~valueportrait.ratings.likert.parse_likert`: a rating 1-6,
or NaN (Inspect's "unscored", left out of the metrics) when the answer holds no Likert phrase. The metric
:func:`portrait` is the model's value portrait computed by our core
(:func:`valueportrait.scoring.score_portrait` with the dataset's item selection; ratings averaged over variants):
each of the 10 values, 4 higher-order values and 5 traits is a named metric (``persona:dimension`` when several
personas are run), listed first; the mean rating comes last. Generation defaults: temperature 0, at most 64 tokens (as ``valueportrait run``).
"""

from __future__ import annotations

import functools
import math
import os

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig
from inspect_ai.scorer import Metric, SampleScore, Score, Target, mean, metric, scorer
from inspect_ai.solver import TaskState, generate

from valueportrait.errors import DatasetError, InputError
from valueportrait.ratings.likert import parse_likert
from valueportrait.runner.prompts import Persona, build_requests, load_personas, parse_variants

#: Version of the task's samples and scoring (Inspect records it in the log).
TASK_VERSION = 1


@functools.lru_cache(maxsize=4)
def _open(source: str, revision: str | None):
    from valueportrait.dataset import open_dataset

    return open_dataset(source, revision=revision)


def dataset_source(dataset: str | None) -> str:
    """``dataset``, else ``$VALUEPORTRAIT_DATASET``; a :class:`DatasetError` when neither is set."""
    source = dataset or os.environ.get("VALUEPORTRAIT_DATASET")
    if not source:
        raise DatasetError("the value_portrait task needs the built dataset: pass -T dataset=PATH_OR_HUB_REPO "
                           "or set VALUEPORTRAIT_DATASET")
    return source


def task_personas(persona: str | None, personas: str | None) -> list[Persona | None]:
    """The personas of the task arguments (``[None]``: no persona)."""
    if persona and personas:
        raise InputError("give either -T persona=TEXT or -T personas=FILE, not both")
    if personas:
        return list(load_personas(personas))
    if persona and persona.strip():
        return [Persona(persona.strip(), persona.strip())]
    return [None]


def samples(source: str, *, revision: str | None = None, variants: str = "all",
            personas: list[Persona | None] = (None,)) -> list[Sample]:
    """The task's samples, in the runner's request order (persona, variant, item)."""
    data = _open(source, revision)
    out = []
    inst = data.instrument  # its variants, and its answer phrases for {options}
    reqs = build_requests(data.items, data.prompts, variants=parse_variants(variants, inst.variant_names),
                          personas=personas, instrument=inst)
    for r in item_major(reqs):
        messages = [ChatMessageSystem(content=m["content"]) if m["role"] == "system" else
                    ChatMessageUser(content=m["content"]) for m in r.messages]
        sample_id = f"{r.item_id}:{r.variant}" + (f":{r.persona}" if r.persona is not None else "")
        out.append(Sample(input=messages, id=sample_id,
                          metadata={"item_id": r.item_id, "variant": r.variant, "persona": r.persona}))
    return out


def item_major(reqs: list) -> list:
    """The requests item by item (each under every variant in turn), persona by persona: what ``--limit`` cuts."""
    item_rank = {}
    for r in reqs:
        item_rank.setdefault(r.item_id, len(item_rank))
    persona_rank, variant_rank = {}, {}
    for r in reqs:
        persona_rank.setdefault(r.persona, len(persona_rank))
        variant_rank.setdefault(r.variant, len(variant_rank))
    return sorted(reqs, key=lambda r: (persona_rank[r.persona], item_rank[r.item_id], variant_rank[r.variant]))


def recorded_source(source: str) -> str:
    """The dataset as the log records it: a local folder's absolute path (the log may be read from elsewhere)."""
    return str(os.path.abspath(source)) if os.path.isdir(source) else source


@metric
def portrait(dataset: str, revision: str | None = None, center: bool = True) -> Metric:
    """The value portrait of the rated samples: one named value per dimension (``persona:dimension`` when the
    samples carry several personas); a dimension none of whose selected items was rated is left out."""

    def compute(scores: list[SampleScore]) -> dict[str, float | None]:
        import pandas as pd

        from valueportrait.scoring import score_portrait

        rows = [((s.sample_metadata or {}).get("persona"), (s.sample_metadata or {}).get("item_id"),
                 s.score.as_float()) for s in scores]
        frame = pd.DataFrame(rows, columns=["persona", "item_id", "rating"])
        data = _open(dataset, revision)
        selection, inst = data.selection(), data.instrument
        groups = list(frame.groupby(frame["persona"].fillna("\0"), sort=False))
        out: dict[str, float | None] = {}
        for label, group in groups:
            table = score_portrait(group[["item_id", "rating"]], selection, center=center, instrument=inst)
            prefix = f"{label}:" if len(groups) > 1 else ""
            for dim, value in zip(table["dimension"], table["score"]):
                out[prefix + dim] = None if value is None or math.isnan(value) else float(value)
        return out

    return compute


@scorer(metrics=[mean()])
def likert_rating(dataset: str | None = None, revision: str | None = None):
    """The answer's rating by :func:`~valueportrait.ratings.likert.parse_likert` (NaN, unscored, without a phrase),
    with the answer phrases of ``dataset``'s instrument (default: Value Portrait's)."""
    instrument = _open(dataset, revision).instrument if dataset else None

    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion
        rating = parse_likert(answer, instrument=instrument)
        if rating is None:
            return Score(value=float("nan"), answer=answer, explanation="no Likert phrase in the answer")
        return Score(value=float(rating), answer=answer)

    return score


@task
def value_portrait(variants: str = "all", persona: str | None = None, personas: str | None = None,
                   dataset: str | None = None, revision: str | None = None) -> Task:
    """Value Portrait (Han et al., ACL 2025): the model rates how much each item is "like me" (6-point scale);
    the metrics are its value portrait (see the module doc)."""
    source = dataset_source(dataset)
    return Task(dataset=MemoryDataset(samples(source, revision=revision, variants=variants,
                                              personas=task_personas(persona, personas)), name="valueportrait"),
                solver=generate(), scorer=likert_rating(dataset=source, revision=revision),
                metrics=[portrait(dataset=source, revision=revision), mean()],
                config=GenerateConfig(temperature=0.0, max_tokens=64), version=TASK_VERSION,
                metadata={"valueportrait_dataset": recorded_source(source), "valueportrait_revision": revision})
