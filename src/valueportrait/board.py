"""A leaderboard read back: the one reader of ``leaderboard.json`` (and of upstream's ``<model>_scores.json``).

``valueportrait report``, ``plot`` and anything else that starts from a scored leaderboard read it here, with
the same checks and the same error wording, and join several with :func:`merge_boards`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError
from .io import read_json

__all__ = ["merge_boards", "read_leaderboard"]

_WHAT = ("a leaderboard.json (or the --out folder of `valueportrait score` holding it) or a <model>_scores.json "
         "of the upstream release")


def read_leaderboard(path: str | Path, *, upstream_scores: bool = False) -> dict[str, Any]:
    """The content of a ``leaderboard.json``, given the file or the ``--out`` folder of ``valueportrait score``.

    With ``upstream_scores``, an upstream ``<model>_scores.json`` (key ``scores``) is also read, as a leaderboard of
    that one model (its centred means and item counts; no intervals). Anything else is an
    :class:`~valueportrait.errors.InputError` naming the file and what was expected.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "leaderboard.json"
    what = _WHAT if upstream_scores else "the leaderboard.json of `valueportrait score --out DIR`"
    board = read_json(p, what=what, fix="Give the --out folder of `valueportrait score` or its leaderboard.json.")
    if isinstance(board, dict) and isinstance(board.get("models"), dict) and board["models"]:
        return board
    if upstream_scores and isinstance(board, dict) and isinstance(board.get("scores"), dict):
        name = (board.get("meta") or {}).get("model_name") or p.stem.removesuffix("_scores")
        return {"meta": {}, "models": {name: {f: {d: {"score": c.get("centered_mean"), "n": c.get("n")}
                                                  for d, c in dims.items()}
                                              for f, dims in board["scores"].items()}}}
    raise InputError(f"{p}: expected {what if upstream_scores else 'a leaderboard.json'} with a non-empty 'models' "
                     "object (written by `valueportrait score --out`)"
                     + (" or a 'scores' object" if upstream_scores else ""))


def merge_boards(boards: list[dict[str, Any]]) -> dict[str, Any]:
    """One leaderboard of several: models, reliability, coverage and runs joined (a later board's model replaces
    an earlier one of the same name); the first board's meta, with the first chance-level marks and the first
    instrument (family titles, dimension labels) found."""
    out: dict[str, Any] = {"meta": dict(boards[0].get("meta") or {}), "models": {}, "reliability": {},
                           "coverage": {}, "runs": {}}
    for b in boards:
        for key in ("models", "reliability", "coverage", "runs"):
            out[key].update(b.get(key) or {})
        above = (b.get("meta") or {}).get("above_chance")
        if above and "above_chance" not in out["meta"]:
            out["meta"]["above_chance"] = above
            if (b.get("meta") or {}).get("above_chance_rule") is not None:  # the rule the marks refer to
                out["meta"]["above_chance_rule"] = b["meta"]["above_chance_rule"]
        if (b.get("meta") or {}).get("instrument") and "instrument" not in out["meta"]:
            out["meta"]["instrument"] = b["meta"]["instrument"]
    return out
