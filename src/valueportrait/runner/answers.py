"""Turn a model's free-text answer into a Likert rating (1..6), through one call: :func:`parse_answer`.

The package's parser is :func:`valueportrait.likert.parse_likert`. Until that module is merged, a small
fallback is used: the answer is normalised (lower case, punctuation dropped, whitespace collapsed) and the
first Likert phrase found in it as whole words, trying the longest phrases first (so ``"not like me at all"``
wins over ``"like me"``), gives the rating.
"""

from __future__ import annotations

import re

from valueportrait.dimensions import LIKERT

try:  # the shared parser (owned by the scoring module)
    from valueportrait.likert import parse_likert as _parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - exercised until valueportrait.likert is merged
    _parse = None

#: Likert phrases, longest first, each as a whole-word pattern on normalised text.
_PHRASES = sorted(LIKERT, key=len, reverse=True)
_PATTERNS = [(re.compile(rf"(?:^| ){re.escape(p)}(?: |$)"), LIKERT[p]) for p in _PHRASES]


def _normalise(text: str) -> str:
    text = re.sub(r"[^a-z ]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def _fallback_parse(text: str | None) -> int | None:
    if not text:
        return None
    norm = _normalise(text)
    for pattern, rating in _PATTERNS:
        if pattern.search(norm):
            return rating
    return None


def parse_answer(text: str | None) -> int | None:
    """Rating 1..6 of a model's answer, or None when no Likert phrase can be read from it.

    >>> parse_answer("Somewhat like me.")
    4
    >>> parse_answer("NOT like me at all")
    1
    >>> parse_answer("I cannot answer that") is None
    True
    """
    if _parse is not None:
        return _parse(text) if text is not None else None
    return _fallback_parse(text)
