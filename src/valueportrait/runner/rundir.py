"""Writing the run directory: an append-only log of requests and a manifest; and its export to upstream's layout.

Layout::

    RUN_DIR/manifest.json    model, backend, parameters, dataset version + fingerprint, package version (no key)
    RUN_DIR/records.jsonl    one JSON record per finished request, appended, flushed and fsynced one at a time

A record: ``item_id, variant, persona, status, rating, raw, distribution, argmax, error, attempts, latency_s,
finished_at``. ``status`` is ``rated`` (a rating), ``unparseable`` (an answer with no Likert phrase; rating
null) or ``failed`` (no answer after the allowed attempts; ``error`` says why). ``distribution`` (local
backend) is the probability of ratings 1..6.

Resume rules: a request is done once a ``rated`` or ``unparseable`` record exists for its key (item, variant,
persona); ``failed`` requests are tried again by the next run, whose record then supersedes the failed one (the
log keeps both; readers take the last record of a key). A process killed mid-write leaves at most a torn last
line (no newline): it is detected, reported and cut off before appending. A run directory only resumes with the
same model, backend, generation parameters, variants, personas and dataset content (:data:`IDENTITY_FIELDS`).
Reading a run directory (records, manifest, the ratings table) is :mod:`valueportrait.ratings.runs`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from valueportrait.errors import OutputExistsError, RunError
from valueportrait.io import atomic_write_json, fsync_dir, inside, safe_name
from valueportrait.staging import output_folder
from valueportrait.ratings.runs import (DONE_STATUSES, MANIFEST, RECORDS, STATUSES, latest_records, load_records,
                                        parse_records, read_manifest, record_key)
from valueportrait.scale import PHRASE_OF, item_sort_key, parse_item_id

from .lock import LOCK_FILE, RunLock, now

#: Manifest fields that must match to resume into a run directory.
IDENTITY_FIELDS = ("model", "backend", "temperature", "max_tokens", "seed", "variants", "personas",
                   "persona_template", "dataset_fingerprint", "scoring")
#: Fields added later (answer-moving settings): compared when the run directory records them (a run made before
#: they existed resumes as it was made).
SETTINGS_FIELDS = ("answer_format", "chat_template", "system_prompt", "dtype")
#: dtypes in which the batch size moves the numbers (bf16: expected ratings by up to 0.14 between batch sizes 1
#: and 8 on SmolLM2-135M; fp32: < 1e-5), so a resume must keep the batch size.
HALF_DTYPES = ("bfloat16", "float16")


def changed_settings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The manifest fields whose change refuses a resume (see :data:`IDENTITY_FIELDS`)."""
    diff = [f for f in IDENTITY_FIELDS if old.get(f) != new.get(f)]
    diff += [f for f in SETTINGS_FIELDS if f in old and old.get(f) != new.get(f)]
    if old.get("dtype") in HALF_DTYPES and "batch_size" in old and old.get("batch_size") != new.get("batch_size"):
        diff.append("batch_size")
    return diff


class RunLog:
    """An open run directory being appended to. Use :meth:`open`; close (or use as a context manager) after."""

    def __init__(self, path: Path, manifest: dict[str, Any], records: list[dict[str, Any]], repaired_bytes: int,
                 lock: RunLock | None = None):
        self.path = path
        self.lock = lock
        self.manifest = manifest
        self.repaired_bytes = repaired_bytes
        self.records_before = len(records)
        self.done: set[tuple] = {record_key(r) for r in records if r["status"] in DONE_STATUSES}
        self._fh = open(path / RECORDS, "ab")

    @classmethod
    def open(cls, path: str | Path, manifest: dict[str, Any]) -> "RunLog":
        """Create ``path`` as a new run directory, or resume it if it holds a run with the same identity.

        Raises :class:`RunError` when the directory holds a run with other parameters, and
        :class:`OutputExistsError` when it holds something that is not a run directory.
        """
        path = Path(path)
        mpath = path / MANIFEST
        if path.exists() and (not path.is_dir() or (not mpath.is_file()
                                                    and any(p.name != LOCK_FILE for p in path.iterdir()))):
            raise OutputExistsError(f"{path} exists and is not a run directory (no {MANIFEST}); choose another --out "
                                    "or remove it.")
        path.mkdir(parents=True, exist_ok=True)
        lock = RunLock.acquire(path)  # before reading anything: a second run on this folder stops here
        try:
            return cls._open_locked(path, manifest, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open_locked(cls, path: Path, manifest: dict[str, Any], lock: RunLock) -> "RunLog":
        mpath, rpath = path / MANIFEST, path / RECORDS
        if mpath.is_file():
            old = read_manifest(path)
            diff = changed_settings(old, manifest)
            if diff:
                shown = "; ".join(f"{f}: {_short(old.get(f))} in the run, {_short(manifest.get(f))} now" for f in diff)
                raise RunError(f"{path} holds a run made with other parameters ({shown}). Resume it with the same "
                               "command, or choose another --out for a new run.")
            data = rpath.read_bytes() if rpath.is_file() else b""
            records, torn = parse_records(data, rpath)
            if torn:
                with open(rpath, "r+b") as fh:
                    fh.truncate(len(data) - torn)
                    fh.flush()
                    os.fsync(fh.fileno())
            sessions = old.get("sessions", []) + manifest.get("sessions", [])
            merged = {**old, **{k: v for k, v in manifest.items() if k not in old}, "sessions": sessions}
            atomic_write_json(mpath, merged)
            return cls(path, merged, records, torn, lock)
        manifest = {**manifest, "created_at": manifest.get("created_at") or now()}
        atomic_write_json(mpath, manifest)
        rpath.touch()
        fsync_dir(path)
        return cls(path, manifest, [], 0, lock)

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as one line, then flush and fsync: once this returns, the record survives a crash."""
        if record.get("status") not in STATUSES:
            raise ValueError(f"record status must be one of {sorted(STATUSES)}, got {record.get('status')!r}")
        line = json.dumps(record, ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        if record["status"] in DONE_STATUSES:
            self.done.add(record_key(record))

    def note_session(self, **fields: Any) -> None:
        """Add ``fields`` to this invocation's entry of the manifest's ``sessions`` (the manifest is rewritten
        atomically): facts learnt while running, such as how a server was asked for constrained answers."""
        self.manifest["sessions"][-1].update(fields)
        atomic_write_json(self.path / MANIFEST, self.manifest)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


# -- export to upstream's outputs layout -----------------------------------------------------------------------

_CORR_FIELDS = {"pvq": "correlations", "higher_pvq": "higher_pvq_correlations", "bfi": "bfi_correlations"}


def _correlation_lists(correlations: pd.DataFrame, threshold: float = 0.3) -> dict[str, dict[str, list]]:
    """item_id -> {'correlations' | 'higher_pvq_correlations' | 'bfi_correlations': [[dimension, rho], ...]}.

    Upstream tags each item with the dimensions whose published |rho| exceeds 0.3 (p not considered), in the
    published tables' order; the computed rho stands in where no published value exists.
    """
    rho = correlations["rho_published"].where(correlations["rho_published"].notna(), correlations["rho"])
    keep = correlations.loc[rho.abs() > threshold, ["item_id", "family", "dimension"]].assign(rho=rho)
    out: dict[str, dict[str, list]] = {}
    for iid, fam, dim, r in keep.itertuples(index=False):
        out.setdefault(iid, {f: [] for f in _CORR_FIELDS.values()})[_CORR_FIELDS[fam]].append([dim, float(r)])
    return out


def export_upstream(run_dir: str | Path, out_dir: str | Path, data, *, overwrite: bool = False) -> list[Path]:
    """Write the run as upstream's ``<model>_<variant>_results.json`` files (one per variant and persona).

    Records follow upstream's ``processor.py``: ``portrait_id, option_id, raw_response, parsed_response,
    numeric_response, content {title, text, output_text}, prompt`` plus the correlation lists, or ``error``
    instead of the answer fields for a failed request. A persona's files are named
    ``<model>-<persona>_<variant>_results.json`` so upstream's ``response_average.py`` keeps them apart. The local
    backend's ``numeric_response`` is the expected rating (a float) and ``parsed_response`` the most likely phrase.
    ``data`` is the :class:`~valueportrait.dataset.ValuePortraitData` the run used (prompts are rebuilt from it).
    ``out_dir`` follows the output rule (:mod:`valueportrait.outputs`): new, empty, or (``overwrite``) an
    earlier export holding nothing else; it is written whole, and never over or around the run directory.
    """
    from .prompts import fingerprint

    items = data.items
    manifest = read_manifest(run_dir)
    if manifest.get("dataset_fingerprint") not in (None, fingerprint(items, data.prompts)):
        raise RunError(f"{run_dir} was run on another dataset content (fingerprint "
                       f"{str(manifest['dataset_fingerprint'])[:12]}...); export it with the dataset it was run on "
                       f"({manifest.get('dataset_source')}, version {manifest.get('dataset_version')})")
    with output_folder(out_dir, overwrite=overwrite, command=EXPORT_COMMAND, inputs=(run_dir,),
                       option="--export-upstream") as tmp:
        names = _export(run_dir, tmp, data, manifest)
    return [Path(out_dir) / n for n in names]


#: The command named in an export folder's marker and in the output rule's messages.
EXPORT_COMMAND = "run --export-upstream"


def _export(run_dir: str | Path, out_dir: Path, data, manifest: dict) -> list[str]:
    """Write the export's files into ``out_dir`` (a staging folder); their names."""
    from .prompts import render_prompt

    items = data.items
    by_id = items.set_index("item_id")
    corr = _correlation_lists(data.correlations)
    templates = {(v, t): x for v, t, x in zip(data.prompts["variant"], data.prompts["template"], data.prompts["text"])}
    groups: dict[tuple[str | None, str], list[dict]] = {}
    for rec in latest_records(load_records(run_dir)):
        groups.setdefault((rec.get("persona"), rec["variant"]), []).append(rec)
    written = []
    base = safe_name(manifest["model"])
    for (persona, variant), recs in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        rows = []
        for rec in sorted(recs, key=lambda r: item_sort_key(r["item_id"])):
            portrait, option = parse_item_id(rec["item_id"])
            item = by_id.loc[rec["item_id"]]
            title = item["title"] if isinstance(item["title"], str) else None
            row: dict[str, Any] = {"portrait_id": portrait, "option_id": option}
            if rec["status"] == "failed":
                row["error"] = rec.get("error")
            else:
                phrase = PHRASE_OF.get(rec["argmax"]) if rec.get("argmax") is not None else \
                    PHRASE_OF.get(int(rec["rating"])) if rec.get("rating") is not None else None
                row.update(raw_response=rec.get("raw") if rec.get("raw") is not None else phrase,
                           parsed_response=phrase, numeric_response=rec.get("rating"))
            row["content"] = {"title": title, "text": item["text"], "output_text": item["response"]}
            row["prompt"] = render_prompt(templates[variant, item["template"]], title=title, text=item["text"],
                                          content=item["response"])
            row.update(corr.get(rec["item_id"], {f: [] for f in _CORR_FIELDS.values()}))
            rows.append(row)
        name = base if persona is None else f"{base}-{safe_name(persona)}"
        path = inside(out_dir, f"{name}_{safe_name(variant)}_results.json")
        atomic_write_json(path, rows)
        written.append(path.name)
    return written
