"""Free-text model answers -> the 6-point Likert scale (``"very much like me"`` = 6 ... ``"not like me at all"`` = 1).

The prompts ask for exactly one of six phrases; models often add a preamble, markdown, a reasoning block or an
explanation. :func:`parse_likert` reads *the answer given first* and refuses to guess.

Rules, in order
---------------
1. A reasoning block ``<think>...</think>`` (or an unclosed one running to the end) is dropped.
2. The text is lowercased; curly quotes, markdown (``*``, ``_``, `````, ``#``, ``>``), list numbering
   (``1.``, ``(a)``, ``-``) and an ``Answer:`` label are removed; whitespace is collapsed.
3. The *leftmost* option phrase wins, the longest one at that position: ``not like me at all`` is never read as
   ``like me`` or ``not like me``, ``somewhat like me`` never as ``like me``.
4. ``very little like me`` / ``little like me`` read as ``a little like me`` (3), as upstream does.
5. No answer (``None``) when the first phrase is negated in its clause (``"I don't think this is very much like
   me"``), when a bare ``like me`` carries a modifier that is not an option (``"some like me"``, ``"kinda like
   me"``), or when no option phrase occurs (``"I am somewhat like you"``, ``"NTA"``, an empty string).

Deliberate differences from upstream's ``numeric_response`` (``lm_evaluation`` of holi-lab/ValuePortrait):
upstream reads ``"some like me"`` as ``like me`` (5); it takes the longest option phrase found anywhere in the
text, so a long explanation that quotes another phrase later overrides the answer given first; and it ignores
negation (``"I don't think this response is very much like me"`` -> 6). ``tests/test_likert.py`` checks every
raw answer of the four released models against upstream and lists these cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from .scale import LIKERT
from .errors import InputError

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.S | re.I)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_MARKDOWN = re.compile(r"[*_`#>~|]+")
_LEADING = re.compile(r"^\s*(?:(?:final\s+)?answer\s*[:\-]\s*|rating\s*[:\-]\s*|\(?[0-9a-f]\s*[.):]\s+|[-\u2022]\s+)+")
_WS = re.compile(r"\s+")
_PHRASES = sorted(LIKERT, key=len, reverse=True)
_EXTRA = {"very little like me": 3, "little like me": 3}
_FIND = re.compile(r"(?<![a-z])(" + "|".join(re.escape(p) for p in [*_EXTRA, *_PHRASES]) + r")(?![a-z])")
_VALUES = {**LIKERT, **_EXTRA}
#: words that, right before a bare "like me", make it something other than an option
_MODIFIERS = {"some", "kinda", "kind", "sort", "sorta", "quite", "so", "more", "less", "bit", "much", "very",
              "really", "just", "most", "least", "rather", "fairly", "pretty", "slightly", "mostly", "partly"}
_NEGATION = re.compile(r"(?<![a-z])(not|never|no|hardly|n't|dont|doesnt|isnt)(?![a-z])")
_CLAUSE_END = re.compile(r"[.!?;:,\n]")


def _normalise(text: str) -> str:
    text = _THINK.sub(" ", text).translate(_QUOTES).lower()
    text = _MARKDOWN.sub(" ", text)
    text = _LEADING.sub("", text)
    return _WS.sub(" ", text).strip(" \"'.,!")


def parse_likert(text: object) -> int | None:
    """The rating (1-6) a free-text answer gives, or ``None`` when it gives none or an ambiguous one.

    Parameters
    ----------
    text : str
        The model's answer. Non-strings (``None``, NaN) give ``None``.

    Returns
    -------
    int or None
        6 ``very much like me``, 5 ``like me``, 4 ``somewhat like me``, 3 ``a little like me``,
        2 ``not like me``, 1 ``not like me at all``; ``None`` if unparseable (see the module's rules).

    Examples
    --------
    >>> parse_likert("**Somewhat like me.**")
    4
    >>> parse_likert("<think>Maybe 'like me'...</think>\\n1. Not like me at all")
    1
    >>> parse_likert("somewhat like me\\n\\nThe response is not like me at all in tone.")
    4
    >>> parse_likert("I don't think this response is very much like me.") is None
    True
    >>> parse_likert("I am somewhat like you.") is None
    True
    """
    if not isinstance(text, str):
        return None
    norm = _normalise(text)
    if not norm:
        return None
    if norm in _VALUES:
        return _VALUES[norm]
    m = _FIND.search(norm)
    if m is None:
        return None
    phrase = m.group(1)
    before = norm[: m.start()]
    clause = _CLAUSE_END.split(before)[-1]
    if _NEGATION.search(clause.replace("n't", " n't")) and not phrase.startswith("not "):
        return None
    if phrase == "like me":
        words = re.findall(r"[a-z']+", clause)
        if words and words[-1] in _MODIFIERS:
            return None
    return _VALUES[phrase]


def parse_likert_many(texts: Iterable[object]) -> np.ndarray:
    """:func:`parse_likert` over many answers: a float array, NaN where unparseable.

    Repeated answers (the common case: most models answer with the bare phrase) are parsed once.
    """
    cache: dict[object, float] = {}
    out = []
    for t in texts:
        key = t if isinstance(t, str) else None
        v = cache.get(key)
        if v is None:
            r = parse_likert(t)
            v = cache[key] = np.nan if r is None else float(r)
        out.append(v)
    return np.asarray(out, dtype=float)


def to_ratings(values: Iterable[object], *, what: str = "predictions", unparseable: str = "error") -> np.ndarray:
    """Ratings given as numbers (1-6, floats allowed) or Likert phrases -> float array (NaN for missing).

    Phrases are read with :func:`parse_likert`; a string that gives no rating is an error here (unlike in
    :func:`parse_likert_many`), since a caller who passes phrases as ratings expects each to be one;
    ``unparseable="missing"`` makes it NaN instead (free-text model answers). Numbers outside 1-6 are always
    an error.

    Raises
    ------
    InputError
        Listing (up to 10 of) the values outside 1-6 or not a Likert phrase, with their positions.
    """
    vals = list(values)
    out = np.empty(len(vals), dtype=float)
    bad: list[tuple[int, object]] = []
    for i, v in enumerate(vals):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = np.nan
        elif isinstance(v, str):
            r = parse_likert(v)
            if r is None:
                try:
                    r = float(v)
                except ValueError:
                    if unparseable != "missing":
                        bad.append((i, v))
                    out[i] = np.nan
                    continue
            out[i] = r
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            out[i] = float(v)
        else:
            bad.append((i, v))
            out[i] = np.nan
        if not np.isnan(out[i]) and not (1.0 <= out[i] <= 6.0):
            bad.append((i, v))
    if bad:
        shown = ", ".join(f"[{i}] {v!r}" for i, v in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise InputError(
            f"{len(bad)} of the {len(vals)} {what} are not ratings: {shown}{more}. Expected a number from 1 to 6 "
            f"or one of the phrases {', '.join(repr(p) for p in LIKERT)}; pass None for a missing rating."
        )
    return out
