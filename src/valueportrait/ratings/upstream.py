"""Upstream's model-output layout -> a ratings table.

Upstream (holi-lab/ValuePortrait, ``lm_evaluation/outputs/final``) writes one JSON list per model and prompt
variant: ``<provider>/<model>_<variant>_results.json`` with entries ``{portrait_id, option_id, raw_response,
parsed_response, numeric_response, ...}`` or ``{portrait_id, option_id, error, ...}`` when its parser failed.
The model name is the file name before ``_v1`` / ``_v2`` / ``_v3``.

:func:`read_upstream_outputs` re-parses every ``raw_response`` with :func:`~valueportrait.ratings.likert.parse_likert`
(``parse="valueportrait"``, default) or keeps upstream's ``numeric_response`` (``parse="upstream"``).
Entries with an ``error`` keep their text (after upstream's "Could not parse ..." prefix) as the response.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import pandas as pd

from valueportrait.errors import InputError, RawDataNotFoundError
from valueportrait.scale import item_id

from .contract import validate_ratings
from .likert import parse_likert_many

_FILE = re.compile(r"^(?P<model>.+?)_(?P<variant>v\d+(?:_reversed)?)_results\.json$")
_ERROR_PREFIX = "Could not parse valid Likert response from: "


@dataclass(frozen=True)
class OutputFile:
    path: Path
    model: str
    variant: str


def find_output_files(folder: str | Path) -> list[OutputFile]:
    """Every ``<model>_<variant>_results.json`` under ``folder`` (any depth), sorted by model then variant."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise RawDataNotFoundError(f"no upstream outputs folder at {str(root)!r}; expected upstream's "
                                   "lm_evaluation/outputs/final (<provider>/<model>_<variant>_results.json)")
    files = []
    for p in sorted(root.rglob("*_results.json")):
        m = _FILE.match(p.name)
        if m:
            files.append(OutputFile(p, m["model"], m["variant"]))
    if not files:
        raise RawDataNotFoundError(f"no <model>_<variant>_results.json files under {str(root)!r} (e.g. "
                                   "openai/gpt-4o-2024-11-20_v1_results.json)")
    return sorted(files, key=lambda f: (f.model, f.variant))


class _Entry(msgspec.Struct):
    """The fields of an upstream output entry that scoring reads; any other field (the prompt, the scenario:
    ~2.4 KB an entry) is skipped by the decoder without being built into Python objects."""

    portrait_id: Any
    option_id: Any
    raw_response: Any = None
    error: Any = None
    numeric_response: Any = None


_DECODER = msgspec.json.Decoder(list[_Entry])


def _read_entries(path: Path) -> list[tuple[int, int, str | None, float | None]]:
    """(portrait_id, option_id, text, numeric_response) per entry of one upstream output file.

    Decoded with msgspec into only the fields above (1.4-2.2x faster than the regex scan it replaced, ~3x faster than
    orjson's full decode, on the 24 released files: docs/metric.md); a file msgspec cannot take is read again
    with :mod:`json` (which also takes NaN), or to say which entry and field is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc}); check that the file exists and is readable") from None
    try:
        entries: list[Any] = _DECODER.decode(raw)
    except msgspec.DecodeError:
        entries = _entries_by_json(path, raw)
    out = []
    for k, e in enumerate(entries):
        try:
            pid, oid = int(e.portrait_id), int(e.option_id)
        except (TypeError, ValueError):
            raise InputError(f"{path}: entry {k} has portrait_id {e.portrait_id!r} / option_id {e.option_id!r}; "
                             "expected integers: fix or remove the entry") from None
        text = e.raw_response
        if text is None and isinstance(e.error, str):
            text = e.error
        num = e.numeric_response
        out.append((pid, oid, text, float(num) if isinstance(num, (int, float)) else None))
    return out


def _entries_by_json(path: Path, raw: bytes) -> list[_Entry]:
    """A file the typed decoder refused, read with :mod:`json`: its entries, or the InputError naming the entry
    and field that is wrong."""
    try:
        entries = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc}); expected a list of output entries") from None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected a JSON list of entries, got {type(entries).__name__}")
    for k, e in enumerate(entries):
        if not isinstance(e, dict) or "portrait_id" not in e or "option_id" not in e:
            raise InputError(f"{path}: entry {k} lacks an integer portrait_id / option_id "
                             f"(keys: {sorted(e)[:8] if isinstance(e, dict) else type(e).__name__}); expected "
                             "upstream's output entries {portrait_id, option_id, raw_response, ...}: fix or remove "
                             "the entry")
    # JSON that msgspec refuses but the json module reads (NaN, Infinity): the same entries
    return [_Entry(e["portrait_id"], e["option_id"], e.get("raw_response"), e.get("error"), e.get("numeric_response"))
            for e in entries]


def read_output_files(files: list[OutputFile], *, parse: Literal["valueportrait", "upstream"] = "valueportrait",
                      progress: bool = False) -> pd.DataFrame:
    """Output files -> one table ``model, item_id, variant, persona, rating, response, upstream_rating``.

    ``rating`` is NaN where the answer gives no rating; ``response`` is the raw answer (for an upstream
    ``error`` entry, the text after "Could not parse valid Likert response from: ").
    """
    if parse not in ("valueportrait", "upstream"):
        raise InputError(f"parse must be 'valueportrait' or 'upstream', got {parse!r}")
    it = files
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(files, desc="reading outputs", unit="file")
    models, variants, ids, texts, nums, rows = [], [], [], [], [], []
    for f in it:
        entries = _read_entries(f.path)
        rows += [f"{f.path}, entry {k}" for k in range(len(entries))]
        models += [f.model] * len(entries)
        variants += [f.variant] * len(entries)
        ids += [item_id(p, o) for p, o, _, _ in entries]
        texts += [t.removeprefix(_ERROR_PREFIX) if isinstance(t, str) else None for _, _, t, _ in entries]
        nums += [np.nan if n is None else n for _, _, _, n in entries]
    upstream = np.asarray(nums, dtype=float)
    rating = parse_likert_many(texts) if parse == "valueportrait" else upstream
    table = validate_ratings(pd.DataFrame({"model": models, "item_id": ids, "variant": variants, "rating": rating}),
                             source="upstream outputs", rows=rows)
    return table.assign(response=pd.Series(texts, dtype=object), upstream_rating=upstream)


def read_output_file(f: OutputFile, *, parse: Literal["valueportrait", "upstream"] = "valueportrait"
                     ) -> pd.DataFrame:
    """One output file -> its rows (see :func:`read_output_files`)."""
    return read_output_files([f], parse=parse)


def read_upstream_outputs(folder: str | Path, *, parse: Literal["valueportrait", "upstream"] = "valueportrait",
                          models: list[str] | None = None, progress: bool = False) -> pd.DataFrame:
    """All output files under ``folder`` -> one ratings table (plus ``response`` and ``upstream_rating``).

    ``models`` restricts to those model names.
    """
    files = find_output_files(folder)
    if models:
        unknown = sorted(set(models) - {f.model for f in files})
        if unknown:
            raise InputError(f"model(s) {unknown} not in {folder}; found {sorted({f.model for f in files})}")
        files = [f for f in files if f.model in models]
    return read_output_files(files, parse=parse, progress=progress)


def parse_summary(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per model: answers, unparseable answers (ours), and disagreements with upstream's numeric_response."""
    r = ratings
    ours, up = r["rating"].to_numpy(dtype=float), r["upstream_rating"].to_numpy(dtype=float)
    same = (ours == up) | (np.isnan(ours) & np.isnan(up))
    df = pd.DataFrame({"model": r["model"], "answers": 1, "unparseable": np.isnan(ours),
                       "upstream_unparseable": np.isnan(up), "differ_from_upstream": ~same})
    return df.groupby("model", sort=False).sum().astype(int)
