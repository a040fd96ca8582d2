"""Which dimensions select no more items than chance: the build's per-dimension permutation test, as every
portrait carries it.

A build records, per dimension, whether its item selection is above chance (``build_info.json``
``validity.dimensions.<family>.<dimension>.above_chance``, :mod:`valueportrait.builders.permutation`).
:func:`chance_flags` reads them; leaderboards copy them into ``meta.above_chance``; tables mark a chance-level
dimension with :data:`CHANCE_MARK` and :data:`CHANCE_FOOTNOTE`, the metric's score cells with
:data:`CHANCE_NOTE`.
"""

from __future__ import annotations

#: The mark of a dimension whose selection is not above chance, in every table, and its footnote.
CHANCE_MARK = "†"
CHANCE_FOOTNOTE = ("† not above chance: the dimension selects no more items than questionnaire scores shuffled among "
                   "the raters do (the build's permutation p >= 0.05; build_info.json validity, docs/validity.md): "
                   "read its scores as noise")
#: The same, as the note of a score (the metric's result).
CHANCE_NOTE = "† not above chance: selects no more items than shuffled questionnaires do (docs/validity.md)"


def chance_flags(build_info: dict) -> dict[str, dict[str, bool]] | None:
    """{family: {dimension: bool}}: whether each dimension's selection is above chance, from a build's
    ``validity.dimensions.<family>.<dimension>.above_chance``; None for builds without the permutation test.
    What leaderboards copy into ``meta.above_chance`` and tables mark with :data:`CHANCE_MARK`.

    >>> chance_flags({"validity": {"dimensions": {"bfi": {"Neuroticism": {"above_chance": False}}}}})
    {'bfi': {'Neuroticism': False}}
    >>> chance_flags({}) is None
    True
    """
    dims = (build_info.get("validity") or {}).get("dimensions")
    if not isinstance(dims, dict):
        return None
    flags = {f: {d: c.get("above_chance") for d, c in cells.items()} for f, cells in dims.items()}
    if any(v is None for cells in flags.values() for v in cells.values()):
        return None
    return {f: {d: bool(v) for d, v in cells.items()} for f, cells in flags.items()}


def chance_level(flags: dict[str, dict[str, bool]] | None, family: str, dimension: str) -> bool:
    """True when ``flags`` (:func:`chance_flags`) says the dimension is not above chance."""
    return bool(flags) and (flags.get(family) or {}).get(dimension) is False
