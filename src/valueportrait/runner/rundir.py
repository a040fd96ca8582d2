"""The run directory: an append-only log of requests and a manifest, readable as a ratings table.

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
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from valueportrait.scale import LIKERT, VARIANTS
from valueportrait.errors import OutputExistsError, RunError

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
FORMAT = "valueportrait-run"
FORMAT_VERSION = 1
#: Record statuses that mark a request as done (not retried on resume).
DONE_STATUSES = frozenset({"rated", "unparseable"})
STATUSES = frozenset({"rated", "unparseable", "failed"})
#: Manifest fields that must match to resume into a run directory.
IDENTITY_FIELDS = ("model", "backend", "temperature", "max_tokens", "seed", "variants", "personas",
                   "persona_template", "dataset_fingerprint", "scoring")
_RATING_OF = {v: k for k, v in LIKERT.items()}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def record_key(record: dict[str, Any]) -> tuple[str, str, str | None]:
    return (record["item_id"], record["variant"], record.get("persona"))


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to ``path`` through a temporary file in the same folder, fsync, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse_lines(data: bytes, where: Path) -> tuple[list[dict[str, Any]], int]:
    """Records of a log, and the byte length of its torn tail (0 when it ends with a newline)."""
    end = data.rfind(b"\n") + 1
    torn = len(data) - end
    records = []
    for n, line in enumerate(data[:end].split(b"\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RunError(f"{where}, line {n}: not a JSON record ({exc}). The log is damaged in the middle, "
                           "which the runner never does; restore it or start a new run directory.") from None
        if not isinstance(rec, dict) or rec.get("status") not in STATUSES or "item_id" not in rec \
                or "variant" not in rec:
            raise RunError(f"{where}, line {n}: expected a record with item_id, variant and status "
                           f"({', '.join(sorted(STATUSES))}), got {line[:120]!r}")
        records.append(rec)
    return records, torn


def load_records(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every complete record of a run directory's log, in order (a torn last line is ignored, not repaired)."""
    path = Path(run_dir) / RECORDS
    if not path.is_file():
        return []
    return _parse_lines(path.read_bytes(), path)[0]


def latest_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last record of each key, in the order keys first appeared."""
    last: dict[tuple, dict[str, Any]] = {}
    for rec in records:
        last[record_key(rec)] = rec
    return list(last.values())


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise RunError(f"{str(run_dir)!r} is not a run directory: {MANIFEST} is missing. Make one with "
                       "`valueportrait run --out RUN_DIR ...`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RunError(f"{path}: invalid JSON ({exc}); the manifest is written atomically, so it was changed by "
                       "hand: restore it or start a new run directory") from None
    if manifest.get("format") != FORMAT or "model" not in manifest:
        raise RunError(f"{path}: not a valueportrait run manifest (expected format {FORMAT!r} and a 'model')")
    return manifest


def read_run_ratings(run_dir: str | Path) -> pd.DataFrame:
    """The ratings table of a run: model, item_id, variant, persona, rating (NaN when unparseable or failed).

    One row per request (the last record of each key), sorted by persona (the run's order), variant (paper
    order) and item id (numerically), whatever order the requests finished in. Columns and meaning follow the
    shared ratings-table contract, so the result goes straight into ``score_portrait``.
    """
    manifest = read_manifest(run_dir)
    rank = {p["label"]: k for k, p in enumerate(manifest.get("personas") or [])}
    recs = sorted(latest_records(load_records(run_dir)), key=lambda r: _request_order(r, rank))
    return ratings_frame(manifest["model"], [r["item_id"] for r in recs], [r["variant"] for r in recs],
                         [r.get("persona") for r in recs], [r.get("rating") for r in recs])


def ratings_frame(model: str, item_ids: Sequence[str], variants: Sequence[str],
                  personas: Sequence[str | None], ratings: Sequence[float | None]) -> pd.DataFrame:
    """A ratings table (shared contract: ``model, item_id, variant, persona`` as ``str``, ``rating`` float64)
    of one model; a rating that is None or not finite becomes NaN."""
    rating = pd.Series([math.nan if r is None else float(r) for r in ratings], dtype="float64")
    return pd.DataFrame({
        "model": pd.Series([model] * len(rating), dtype="str"),
        "item_id": pd.Series(list(item_ids), dtype="str"),
        "variant": pd.Series(list(variants), dtype="str"),
        "persona": pd.Series(list(personas), dtype="str"),
        "rating": rating.where(np.isfinite(rating)),
    })


def _request_order(record: dict[str, Any], persona_rank: dict[str, int]) -> tuple:
    persona = record.get("persona")
    variant = record["variant"]
    item = tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in str(record["item_id"]).split("-"))
    return (persona is not None, persona_rank.get(persona, len(persona_rank)), persona or "",
            VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS), variant, item)


class RunLog:
    """An open run directory being appended to. Use :meth:`open`; close (or use as a context manager) after."""

    def __init__(self, path: Path, manifest: dict[str, Any], records: list[dict[str, Any]], repaired_bytes: int):
        self.path = path
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
        mpath, rpath = path / MANIFEST, path / RECORDS
        if mpath.is_file():
            old = read_manifest(path)
            diff = [f for f in IDENTITY_FIELDS if old.get(f) != manifest.get(f)]
            if diff:
                shown = "; ".join(f"{f}: {_short(old.get(f))} in the run, {_short(manifest.get(f))} now" for f in diff)
                raise RunError(f"{path} holds a run made with other parameters ({shown}). Resume it with the same "
                               "command, or choose another --out for a new run.")
            data = rpath.read_bytes() if rpath.is_file() else b""
            records, torn = _parse_lines(data, rpath)
            if torn:
                with open(rpath, "r+b") as fh:
                    fh.truncate(len(data) - torn)
                    fh.flush()
                    os.fsync(fh.fileno())
            sessions = old.get("sessions", []) + manifest.get("sessions", [])
            merged = {**old, "sessions": sessions}
            write_json_atomic(mpath, merged)
            return cls(path, merged, records, torn)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise OutputExistsError(f"{path} exists and is not a run directory (no {MANIFEST}); choose another --out "
                                    "or remove it.")
        path.mkdir(parents=True, exist_ok=True)
        manifest = {**manifest, "created_at": manifest.get("created_at") or now()}
        write_json_atomic(mpath, manifest)
        rpath.touch()
        _fsync_dir(path)
        return cls(path, manifest, [], 0)

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

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

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


def export_upstream(run_dir: str | Path, out_dir: str | Path, data) -> list[Path]:
    """Write the run as upstream's ``<model>_<variant>_results.json`` files (one per variant and persona).

    Records follow upstream's ``processor.py``: ``portrait_id, option_id, raw_response, parsed_response,
    numeric_response, content {title, text, output_text}, prompt`` plus the correlation lists, or ``error``
    instead of the answer fields for a failed request. A persona's files are named
    ``<model>-<persona>_<variant>_results.json`` so upstream's ``response_average.py`` keeps them apart. The local
    backend's ``numeric_response`` is the expected rating (a float) and ``parsed_response`` the most likely phrase.
    ``data`` is the :class:`~valueportrait.dataset.ValuePortraitData` the run used (prompts are rebuilt from it).
    """
    from .prompts import fingerprint, render_prompt

    items = data.items
    manifest = read_manifest(run_dir)
    if manifest.get("dataset_fingerprint") not in (None, fingerprint(items, data.prompts)):
        raise RunError(f"{run_dir} was run on another dataset content (fingerprint "
                       f"{str(manifest['dataset_fingerprint'])[:12]}...); export it with the dataset it was run on "
                       f"({manifest.get('dataset_source')}, version {manifest.get('dataset_version')})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_id = items.set_index("item_id")
    corr = _correlation_lists(data.correlations)
    templates = {(v, t): x for v, t, x in zip(data.prompts["variant"], data.prompts["template"], data.prompts["text"])}
    groups: dict[tuple[str | None, str], list[dict]] = {}
    for rec in latest_records(load_records(run_dir)):
        groups.setdefault((rec.get("persona"), rec["variant"]), []).append(rec)
    written = []
    base = _safe_name(manifest["model"])
    for (persona, variant), recs in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        rows = []
        for rec in sorted(recs, key=lambda r: tuple(int(x) for x in r["item_id"].split("-"))):
            portrait, option = (int(x) for x in rec["item_id"].split("-"))
            item = by_id.loc[rec["item_id"]]
            title = item["title"] if isinstance(item["title"], str) else None
            row: dict[str, Any] = {"portrait_id": portrait, "option_id": option}
            if rec["status"] == "failed":
                row["error"] = rec.get("error")
            else:
                phrase = _RATING_OF.get(rec["argmax"]) if rec.get("argmax") is not None else \
                    _RATING_OF.get(int(rec["rating"])) if rec.get("rating") is not None else None
                row.update(raw_response=rec.get("raw") if rec.get("raw") is not None else phrase,
                           parsed_response=phrase, numeric_response=rec.get("rating"))
            row["content"] = {"title": title, "text": item["text"], "output_text": item["response"]}
            row["prompt"] = render_prompt(templates[variant, item["template"]], title=title, text=item["text"],
                                          content=item["response"])
            row.update(corr.get(rec["item_id"], {f: [] for f in _CORR_FIELDS.values()}))
            rows.append(row)
        name = base if persona is None else f"{base}-{_safe_name(persona)}"
        path = out_dir / f"{name}_{variant}_results.json"
        write_json_atomic(path, rows)
        written.append(path)
    return written


def _safe_name(text: str) -> str:
    """A file-name-safe form of a model or persona label (no path separators, no '_v<digit>')."""
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-") or "model"
