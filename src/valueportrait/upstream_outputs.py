"""Upstream's model-output layout -> a ratings table.

Upstream (holi-lab/ValuePortrait, ``lm_evaluation/outputs/final``) writes one JSON list per model and prompt
variant: ``<provider>/<model>_<variant>_results.json`` with entries ``{portrait_id, option_id, raw_response,
parsed_response, numeric_response, ...}`` or ``{portrait_id, option_id, error, ...}`` when its parser failed.
The model name is the file name before ``_v1`` / ``_v2`` / ``_v3``.

:func:`read_upstream_outputs` re-parses every ``raw_response`` with :func:`~valueportrait.likert.parse_likert`
(``parse="valueportrait"``, default) or keeps upstream's ``numeric_response`` (``parse="upstream"``).
Entries with an ``error`` keep their text (after upstream's "Could not parse ..." prefix) as the response.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .errors import InputError, RawDataNotFoundError
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


def _read_entries(path: Path) -> list[dict]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc}); expected a list of output entries") from None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected a JSON list of entries, got {type(entries).__name__}")
    return entries


def read_output_file(f: OutputFile, *, parse: Literal["valueportrait", "upstream"] = "valueportrait"
                     ) -> pd.DataFrame:
    """One output file -> rows ``model, item_id, variant, persona, rating, response, upstream_rating``."""
    entries = _read_entries(f.path)
    ids, texts, up = [], [], []
    for k, e in enumerate(entries):
        try:
            ids.append(f"{int(e['portrait_id'])}-{int(e['option_id'])}")
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{f.path}: entry {k} lacks an integer portrait_id / option_id "
                             f"(keys: {sorted(e)[:8] if isinstance(e, dict) else type(e).__name__})") from None
        text = e.get("raw_response")
        if text is None and isinstance(e.get("error"), str):
            text = e["error"].removeprefix(_ERROR_PREFIX)
        texts.append(text)
        num = e.get("numeric_response")
        up.append(float(num) if isinstance(num, (int, float)) else np.nan)
    upstream = np.asarray(up, dtype=float)
    rating = parse_likert_many(texts) if parse == "valueportrait" else upstream
    if parse not in ("valueportrait", "upstream"):
        raise InputError(f"parse must be 'valueportrait' or 'upstream', got {parse!r}")
    n = len(ids)
    return pd.DataFrame({
        "model": [f.model] * n, "item_id": ids, "variant": [f.variant] * n,
        "persona": pd.Series([None] * n, dtype=object), "rating": rating,
        "response": pd.Series(texts, dtype=object), "upstream_rating": upstream,
    })


def read_upstream_outputs(folder: str | Path, *, parse: Literal["valueportrait", "upstream"] = "valueportrait",
                          models: list[str] | None = None, progress: bool = False) -> pd.DataFrame:
    """All output files under ``folder`` -> one ratings table (plus ``response`` and ``upstream_rating``).

    ``models`` restricts to those model names. ``rating`` is NaN where the answer gives no rating.
    """
    files = find_output_files(folder)
    if models:
        unknown = sorted(set(models) - {f.model for f in files})
        if unknown:
            raise InputError(f"model(s) {unknown} not in {folder}; found {sorted({f.model for f in files})}")
        files = [f for f in files if f.model in models]
    it = files
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(files, desc="reading outputs", unit="file")
    return pd.concat([read_output_file(f, parse=parse) for f in it], ignore_index=True)


def parse_summary(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per model: answers, unparseable answers (ours), and disagreements with upstream's numeric_response."""
    r = ratings
    ours, up = r["rating"].to_numpy(dtype=float), r["upstream_rating"].to_numpy(dtype=float)
    same = (ours == up) | (np.isnan(ours) & np.isnan(up))
    df = pd.DataFrame({"model": r["model"], "answers": 1, "unparseable": np.isnan(ours),
                       "upstream_unparseable": np.isnan(up), "differ_from_upstream": ~same})
    return df.groupby("model", sort=False).sum().astype(int)
