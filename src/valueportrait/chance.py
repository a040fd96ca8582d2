"""Which dimensions select no more items than chance: the build's per-dimension permutation test, as every
portrait carries it.

A build records, per dimension, whether its item selection is above chance (``build_info.json``
``validity.dimensions.<family>.<dimension>.above_chance``, :mod:`valueportrait.builders.permutation`).
:func:`chance_flags` reads them; leaderboards copy them into ``meta.above_chance``; tables mark a chance-level
dimension with :data:`CHANCE_MARK` and :data:`CHANCE_FOOTNOTE`, the metric's score cells with
:data:`CHANCE_NOTE`.

The flags are the build's: computed for the build's selection rule (``validity.rule``) with the paper's
threshold scoring. A leaderboard or metric result that re-selects (``--threshold`` ...) or scores with
``--scoring weighted`` copies them unchanged and says so: :func:`chance_rule` (``meta.above_chance_rule``)
names the rule they refer to and whether it is the one the scores use, and :func:`chance_footnote` /
:func:`chance_note` add that to the footnote and the notes. They are not recomputed: that is the build's
permutation test (400 shuffles of the questionnaire scores within survey groups, seconds), and the weighted rule
selects no items to count.
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


#: The fields of a selection rule the chance flags depend on (``build_info`` ``validity.rule`` + scoring).
RULE_FIELDS = ("threshold", "alpha", "mode", "correction", "correlations")


def chance_rule(build_info: dict, selection: dict | None = None) -> dict | None:
    """The selection rule the build's chance flags refer to, and whether ``selection`` (the rule in effect for the
    scores, :meth:`valueportrait.settings.Selection.resolved`) is that rule: ``{threshold, alpha, mode, correction,
    correlations, scoring: "threshold", same_as_scores}``; None without flags. What leaderboards record as
    ``meta.above_chance_rule``.

    >>> info = {"validity": {"rule": {"threshold": 0.095, "alpha": 0.05, "mode": "pos", "correction": "none",
    ...         "correlations": "published"}, "dimensions": {"bfi": {"Neuroticism": {"above_chance": False}}}}}
    >>> chance_rule(info, {"threshold": 0.095, "alpha": 0.05, "mode": "pos", "correction": "none",
    ...                    "correlations": "published", "scoring": "weighted"})["same_as_scores"]
    False
    """
    if chance_flags(build_info) is None:
        return None
    rule = {k: (build_info.get("validity") or {}).get("rule", {}).get(k) for k in RULE_FIELDS}
    rule["scoring"] = "threshold"
    same = None if selection is None else all(selection.get(k) in (None, v) for k, v in rule.items()
                                              if v is not None)
    return {**rule, "same_as_scores": same}


def _rule_words(rule: dict) -> str:
    shown = [f"{k} {rule[k]}" for k in ("threshold", "alpha", "mode", "correction") if rule.get(k) is not None]
    return ", ".join(shown) + ", threshold scoring"


def chance_footnote(rule: dict | None = None) -> str:
    """:data:`CHANCE_FOOTNOTE`, plus which rule the flags refer to when it is not the one the scores use
    (``rule``: :func:`chance_rule`).

    >>> chance_footnote({"threshold": 0.3, "alpha": 0.05, "mode": "pos", "correction": "none",
    ...                  "same_as_scores": False}).split(": read its scores as noise")[1]
    "; the flags are the build's, for its selection (threshold 0.3, alpha 0.05, mode pos, correction none, threshold scoring), not this table's: copied, not recomputed"
    """
    if not rule or rule.get("same_as_scores") is not False:
        return CHANCE_FOOTNOTE
    return (f"{CHANCE_FOOTNOTE}; the flags are the build's, for its selection ({_rule_words(rule)}), not this "
            "table's: copied, not recomputed")


def chance_note(rule: dict | None = None) -> str:
    """:data:`CHANCE_NOTE`, plus the rule the flag refers to when it is not the one the scores use."""
    if not rule or rule.get("same_as_scores") is not False:
        return CHANCE_NOTE
    return f"{CHANCE_NOTE}; flag from the build's selection ({_rule_words(rule)}), not recomputed for this one"


def chance_level(flags: dict[str, dict[str, bool]] | None, family: str, dimension: str) -> bool:
    """True when ``flags`` (:func:`chance_flags`) says the dimension is not above chance."""
    return bool(flags) and (flags.get(family) or {}).get(dimension) is False
