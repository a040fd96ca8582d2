"""Run a model on the benchmark: build the requests, send them through a backend, keep a resumable run log.

- :mod:`.prompts`: requests (item x variant x persona) from the dataset's ``prompts`` config; the persona template.
- :mod:`.openai_backend`: any OpenAI-compatible chat-completions endpoint (async, retries, backoff).
- :mod:`.transformers_backend`: a local causal LM scored by the likelihood of each Likert phrase.
- :mod:`.rundir`: the run directory (append-only JSONL + manifest), upstream export (reading it: :mod:`valueportrait.ratings.runs`).
- :mod:`.execute`: the engine (bounded concurrency, progress, summary) and :func:`run_benchmark`.
"""

from __future__ import annotations

from valueportrait.ratings.runs import read_manifest, read_run_ratings

from .rundir import export_upstream

__all__ = ["export_upstream", "read_manifest", "read_run_ratings"]
