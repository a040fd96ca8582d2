"""The model table of the released models: who made each model of upstream's outputs, and whether its weights
are open.

Shipped as package data (``valueportrait/data/released_models.csv``), one row per model id exactly as upstream's
output files spell it (``lm_evaluation/average_outputs/<model>_averaged_results.json`` of the pinned release):

- ``provider``: the company that made the model;
- ``open_weights``: ``yes`` (weights published, whatever the licence), ``no`` (API only), or ``ambiguous``;
- ``parameters_billion``: the total parameter count where the maker (or the serving page) published it;
- ``release_date``: the maker's public release date (ISO), where published;
- ``source_url``: the page the row's facts come from; ``note``: aliases and caveats;
- ``checked``: ``yes`` where a spot-check (2026-12-07, on stored copies of public pages) confirmed the row's
  parameter count, release date and weights, ``partly`` where it confirmed some of them, ``no`` where the row is
  unchecked (its source URL not opened); ``check_note``: what was confirmed, against which page.

Unknowns are left empty, never guessed. Parameter counts are published for 11 of the 34 models (none of the closed
OpenAI, Anthropic or Qwen API models), so a size contrast (``cohort --by parameters_billion --split 50``) covers
only those and counts the others left out. The table is what ``valueportrait cohort --groups FILE --by
open_weights`` reads (its ``model`` column names the models).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from .errors import InputError

__all__ = ["CHECKED", "COLUMNS", "OPEN_WEIGHTS", "released_models", "released_models_path"]

COLUMNS = ("model", "provider", "open_weights", "parameters_billion", "release_date", "source_url", "note", "checked",
           "check_note")
OPEN_WEIGHTS = ("yes", "no", "ambiguous")
CHECKED = ("yes", "partly", "no")


def released_models_path() -> str:
    """The path of the shipped CSV (for ``--groups FILE``)."""
    return str(resources.files("valueportrait").joinpath("data/released_models.csv"))


def released_models() -> pd.DataFrame:
    """The model table, one row per released model id; empty cells are missing values (NaN/NaT), never guesses.

    >>> table = released_models()
    >>> table.loc[table.model == "llama-3.1-8b-instruct", ["open_weights", "parameters_billion"]].values.tolist()
    [['yes', 8.0]]
    """
    path = released_models_path()
    table = pd.read_csv(path, dtype={"model": str, "provider": str, "open_weights": str, "source_url": str,
                                     "note": str, "checked": str, "check_note": str}, keep_default_na=False, na_values={"parameters_billion": [""],
                                                                                   "release_date": [""]})
    if tuple(table.columns) != COLUMNS:
        raise InputError(f"{path}: columns {list(table.columns)}; expected {list(COLUMNS)}. Fix: restore the "
                         "shipped file (reinstall valueportrait).")
    bad = table.loc[~table.open_weights.isin(OPEN_WEIGHTS) | ~table.checked.isin(CHECKED), "model"].tolist()
    if bad or table.model.duplicated().any():
        raise InputError(f"{path}: open_weights must be one of {OPEN_WEIGHTS}, checked one of {CHECKED}, and each "
                         "model listed once "
                         f"(rows {bad or table.model[table.model.duplicated()].tolist()}). Fix: correct those rows.")
    table["release_date"] = pd.to_datetime(table.release_date, format="%Y-%m-%d")
    table["note"] = table.note.replace("", None)
    table["check_note"] = table.check_note.replace("", None)
    return table
