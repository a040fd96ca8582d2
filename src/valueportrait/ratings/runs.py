"""Reading a run directory (written by ``valueportrait run``) as a ratings table.

Layout::

    RUN_DIR/manifest.json    model, backend, parameters, dataset version + fingerprint, package version (no key)
    RUN_DIR/records.jsonl    one JSON record per finished request, appended, flushed and fsynced one at a time

A record: ``item_id, variant, persona, status, rating, raw, distribution, argmax, error, attempts, latency_s,
finished_at``. ``status`` is ``rated`` (a rating), ``unparseable`` (an answer with no Likert phrase; rating
null) or ``failed`` (no answer after the allowed attempts; ``error`` says why). Readers take the last record of
each key (item, variant, persona): a retried request supersedes its failed record. Writing (and resuming) is
:mod:`valueportrait.runner.rundir`'s; this module only reads, so the ratings contract needs no runner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from valueportrait.errors import InputError, RunError
from valueportrait.instrument import Instrument
from valueportrait.scale import VARIANTS, item_sort_key

from .contract import ratings_frame, validate_ratings

__all__ = ["DONE_STATUSES", "FORMAT", "FORMAT_VERSION", "MANIFEST", "RECORDS", "STATUSES", "latest_records",
           "load_records", "parse_records", "read_manifest", "read_run_ratings", "record_key", "run_dataset", "run_dirs",
           "run_settings", "runs_of",
           "run_without_ratings"]

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
FORMAT = "valueportrait-run"
FORMAT_VERSION = 1
#: Record statuses that mark a request as done (not retried on resume).
DONE_STATUSES = frozenset({"rated", "unparseable"})
STATUSES = frozenset({"rated", "unparseable", "failed"})


def record_key(record: dict[str, Any]) -> tuple[str, str, str | None]:
    """The request a record answers: (item_id, variant, persona)."""
    return (record["item_id"], record["variant"], record.get("persona"))


def parse_records(data: bytes, where: Path) -> tuple[list[dict[str, Any]], int]:
    """Records of a log, and the byte length of its torn tail (0 when it ends with a newline)."""
    end = data.rfind(b"\n") + 1
    torn = len(data) - end
    records = []
    for n, line in enumerate(data[:end].split(b"\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8
            raise RunError(f"{where}, line {n}: not a JSON record ({exc}). The log is damaged in the middle, "
                           "which the runner never does; restore it or start a new run directory.") from None
        if not isinstance(rec, dict) or rec.get("status") not in STATUSES or not isinstance(rec.get("item_id"), str) \
                or not isinstance(rec.get("variant"), str) or not isinstance(rec.get("persona"), (str, type(None))):
            raise RunError(f"{where}, line {n}: expected a record with item_id and variant (text), persona (text "
                           f"or null) and status ({', '.join(sorted(STATUSES))}), got {line[:120]!r}")
        records.append(rec)
    return records, torn


def load_records(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every complete record of a run directory's log, in order. A torn last line (a run killed while writing
    it, or one still running) is left out, not repaired, with a warning that says so."""
    path = Path(run_dir) / RECORDS
    if not path.is_file():
        return []
    records, torn = parse_records(path.read_bytes(), path)
    if torn:
        import warnings

        warnings.warn(f"{path}: the last line ({torn} bytes) is torn (the run was stopped while writing it, or is "
                      "still running); that request is left out here. Re-running the same `valueportrait run` "
                      "command repairs the log and sends it again.", stacklevel=2)
    return records


def latest_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last record of each key, in the order keys first appeared."""
    last: dict[tuple, dict[str, Any]] = {}
    for rec in records:
        last[record_key(rec)] = rec
    return list(last.values())


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The run's ``manifest.json``; :class:`RunError` when it is missing, not JSON or not a run manifest."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise RunError(f"{str(run_dir)!r} is not a run directory: {MANIFEST} is missing. Make one with "
                       "`valueportrait run --out RUN_DIR ...`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise RunError(f"{path}: invalid JSON ({exc}); the manifest is written atomically, so it was changed by "
                       "hand: restore it or start a new run directory") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "model" not in manifest:
        raise RunError(f"{path}: not a valueportrait run manifest (expected format {FORMAT!r} and a 'model')")
    return manifest


def request_order(record: dict[str, Any], persona_rank: dict[str, int]) -> tuple:
    """Sort key of a record: persona (the run's order), variant (paper order), item id (numerically)."""
    persona = record.get("persona")
    variant = record["variant"]
    return (persona is not None, persona_rank.get(persona, len(persona_rank)), persona or "",
            VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS), variant,
            item_sort_key(record["item_id"]))


def read_run_ratings(run_dir: str | Path, instrument: Instrument | None = None) -> pd.DataFrame:
    """The ratings table of a run: model, item_id, variant, persona, rating (NaN when unparseable or failed),
    checked against ``instrument`` (the dataset's; default Value Portrait's).

    One row per request (the last record of each key), sorted by persona (the run's order), variant (paper
    order) and item id (numerically), whatever order the requests finished in; checked by
    :func:`~valueportrait.ratings.validate_ratings`, so the result goes straight into ``score_portrait``.
    """
    manifest = read_manifest(run_dir)
    rank = {p["label"]: k for k, p in enumerate(manifest.get("personas") or [])}
    recs = sorted(latest_records(load_records(run_dir)), key=lambda r: request_order(r, rank))
    if not recs:  # a run that has not finished a request yet
        return ratings_frame(str(manifest["model"]), [], [], [], [])
    # the ratings as recorded (not cast here): validate_ratings refuses what is not a rating (true, "abc", [5])
    frame = pd.DataFrame({"model": [manifest["model"]] * len(recs), "item_id": [r["item_id"] for r in recs],
                          "variant": [r["variant"] for r in recs], "persona": [r.get("persona") for r in recs],
                          "rating": pd.Series([r.get("rating") for r in recs], dtype=object)})
    rows = [f"{RECORDS} record of item {r['item_id']} ({r['variant']})" for r in recs]
    return validate_ratings(frame, source=f"run directory {str(run_dir)!r}", rows=rows, instrument=instrument)


def run_dirs(sources: Sequence[str | Path]) -> list[Path]:
    """The run directories (folders holding a ``manifest.json``) among ``sources``."""
    return [Path(s) for s in sources if (Path(s) / MANIFEST).is_file()]


def run_dataset(sources: Sequence[str | Path]) -> tuple[str, str | None]:
    """``(dataset, revision)`` the run directories among ``sources`` were run on, from their manifests.

    A local dataset is found at the absolute path the run recorded (``dataset_path``), else as typed
    (``dataset_source``: a folder relative to here, or a Hub repo id). Inspect logs and lm-eval outputs among
    ``sources`` count with the dataset they recorded. Runs on different datasets, or no run
    directory at all, are an :class:`InputError` asking for ``--dataset``.
    """
    from .inspect_logs import eval_dataset, is_eval_log_source
    from .lm_eval import is_lm_eval_source, lm_eval_dataset

    found: dict[tuple[str, str | None], list[str]] = {}
    for run in run_dirs(sources):
        m = read_manifest(run)
        path = m.get("dataset_path")
        source = path if path and Path(path).is_dir() else m.get("dataset_source")
        if source:
            found.setdefault((str(source), m.get("dataset_revision")), []).append(str(run))
    for src in sources:  # harness outputs record it too: Inspect logs (metadata) and lm-eval samples (docs)
        recorded = eval_dataset(src) if is_eval_log_source(src) else \
            lm_eval_dataset(src) if is_lm_eval_source(src) else None
        if recorded:
            found.setdefault(recorded, []).append(str(src))
    if not found:
        raise InputError("no dataset given: pass --dataset (a built folder or Hub repo id); run directories of "
                         "`valueportrait run`, Inspect logs and lm-eval samples of this version record the dataset "
                         "they were run on, these do not")
    if len(found) > 1:
        shown = "; ".join(f"{', '.join(runs)}: {ds}" + (f"@{rev}" if rev else "") for (ds, rev), runs in found.items())
        raise InputError(f"the run directories were run on different datasets ({shown}); choose one with --dataset")
    return next(iter(found))


#: The answer-moving settings of a run, as leaderboard.json's ``runs[model]`` shows them (manifest field -> key).
RUN_SETTINGS = (("backend", "backend"), ("scoring", "scoring"), ("answer_format", "answer_format"),
                ("chat_template", "chat_template"), ("system_prompt", "system_prompt"), ("dtype", "dtype"),
                ("batch_size", "batch_size"), ("base_url", "endpoint"), ("temperature", "temperature"),
                ("max_tokens", "max_tokens"), ("variants", "variants"), ("dataset_source", "dataset"),
                ("dataset_revision", "dataset_revision"), ("dataset_version", "dataset_version"),
                ("package_version", "valueportrait_version"))


def run_settings(manifest: dict[str, Any]) -> dict[str, Any]:
    """How a run produced its ratings (leaderboard.json's ``runs[model]``): backend, scoring, answer format, chat
    template, system prompt, dtype, threads, batch size, endpoint (no credentials: the manifest keeps none),
    temperature, variants, dataset + revision, valueportrait version, and for constrained answers how the server
    was asked (``constrained_as``: ``json-schema-enum``, ``sequence-bias`` or ``free-text-fallback``; every
    session's, joined). A field a run predates is None."""
    out = {key: manifest.get(field) for field, key in RUN_SETTINGS}
    session = (manifest.get("sessions") or [{}])[-1]
    out["threads"] = session.get("threads")
    # --answer-format constrained: how the server was asked (json-schema-enum, sequence-bias) or the fallback
    asked = sorted({s["constrained_as"] for s in manifest.get("sessions") or [] if s.get("constrained_as")})
    out["constrained_as"] = ", ".join(asked) or None
    out["personas"] = [p.get("label") for p in manifest.get("personas") or []]
    return out


def runs_of(sources: Sequence[str | Path]) -> dict[str, dict[str, Any]]:
    """``{model: run_settings(manifest)}`` for the run directories among ``sources`` (ratings files have none)."""
    out = {}
    for run in run_dirs(sources):
        m = read_manifest(run)
        out[str(m["model"])] = run_settings(m)
    return out


def run_without_ratings(run_dir: str | Path) -> str | None:
    """The error text when the run has finished requests but none gave a rating (with examples of its
    answers); None otherwise."""
    from valueportrait.coverage import no_rating_message, unrated_examples

    recs = latest_records(load_records(run_dir))
    if not recs or any(r.get("rating") is not None for r in recs):
        return None
    return no_rating_message(str(read_manifest(run_dir)["model"]), len(recs), unrated_examples(recs))
