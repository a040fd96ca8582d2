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
6. Strict rule (the default, ``rule="strict"``): a phrase inside quotes (``uses the phrase "like me" instead of
   ...``) or in a clause about phrases (``the phrase``, ``the option``, ``instead of``, ``rather than``, ``such
   as``, ...) is a mention, not an answer: it is skipped and the next phrase read. A real instruct model
   (SmolLM2-135M-Instruct) answering free text gave 13 such quotes among 20 "parsed" answers of 200. The
   lenient rule (``rule="lenient"``, the rule before) reads the leftmost phrase wherever it stands. An answer
   that is only a quoted phrase (``'"Somewhat like me"'``) is an answer under both.

Deliberate differences from upstream's ``numeric_response`` (``lm_evaluation`` of holi-lab/ValuePortrait):
upstream reads ``"some like me"`` as ``like me`` (5); it takes the longest option phrase found anywhere in the
text, so a long explanation that quotes another phrase later overrides the answer given first; and it ignores
negation (``"I don't think this response is very much like me"`` -> 6). ``tests/ratings/test_likert.py`` checks every
raw answer of the four released models against upstream and lists these cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from valueportrait.errors import InputError
from valueportrait.instrument import VALUE_PORTRAIT, Instrument
from valueportrait.scale import LIKERT, LIKERT_MAX, LIKERT_MIN, N_OPTIONS

from .phrases import phrase_parser

__all__ = ["MISSING_TEXT", "distribution_from_loglik", "parse_likert", "parse_likert_many", "rating_values", "to_ratings"]

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.S | re.I)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_MARKDOWN = re.compile(r"[*_`#>~|]+")
_LEADING = re.compile(r"^\s*(?:(?:final\s+)?answer\s*[:\-]\s*|rating\s*[:\-]\s*|\(?[0-9a-f]\s*[.):]\s+|[-\u2022]\s+)+")
_WS = re.compile(r"\s+")
_BY_LENGTH = sorted(LIKERT, key=len, reverse=True)
_EXTRA = {"very little like me": 3, "little like me": 3}
_FIND = re.compile(r"(?<![a-z])(" + "|".join(re.escape(p) for p in [*_EXTRA, *_BY_LENGTH]) + r")(?![a-z])")
_VALUES = {**LIKERT, **_EXTRA}
#: words that, right before a bare "like me", make it something other than an option
_MODIFIERS = {"some", "kinda", "kind", "sort", "sorta", "quite", "so", "more", "less", "bit", "much", "very",
              "really", "just", "most", "least", "rather", "fairly", "pretty", "slightly", "mostly", "partly"}
_NEGATION = re.compile(r"(?<![a-z])(not|never|no|hardly|n't|dont|doesnt|isnt)(?![a-z])")
_CLAUSE_END = re.compile(r"[.!?;:,\n]")
#: words that make a clause talk about phrases rather than give one (strict rule)
_META = re.compile(r"(?<![a-z])(phrases?|words?|terms?|expressions?|options?|choices?|labels?|instead of|rather than|"
                   r"such as|quotes?|quoting|between|either)(?![a-z])")
RULES = ("strict", "lenient")


def _normalise(text: str) -> str:
    text = _THINK.sub(" ", text).translate(_QUOTES).lower()
    text = _MARKDOWN.sub(" ", text)
    text = _LEADING.sub("", text)
    return _WS.sub(" ", text).strip(" \"'.,!")


def _mention(norm: str, start: int, end: int) -> bool:
    """Whether the phrase at ``norm[start:end]`` is quoted or stands in a clause about phrases (strict rule)."""
    before = norm[:start]
    if before.count('"') % 2 == 1 or before.rstrip().endswith("'") and norm[end:].lstrip().startswith("'"):
        return True
    return bool(_META.search(_CLAUSE_END.split(before)[-1]))


def _other(instrument: Instrument | None) -> bool:
    """True when ``instrument``'s answer phrases are not Value Portrait's (read by :mod:`.phrases`)."""
    return instrument is not None and instrument.scale != VALUE_PORTRAIT.scale


def parse_likert(text: object, rule: str = "strict", instrument: Instrument | None = None) -> int | None:
    """The rating (1-6) a free-text answer gives, or ``None`` when it gives none or an ambiguous one.

    With an ``instrument`` whose answer phrases are not Value Portrait's, the answer is read with its phrases
    (any language, :mod:`valueportrait.ratings.phrases`).

    Parameters
    ----------
    text : str
        The model's answer. Non-strings (``None``, NaN) give ``None``.
    rule : {"strict", "lenient"}
        ``strict`` skips quoted phrases and phrases in a clause about phrases (rule 6); ``lenient`` does not.

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
    >>> parse_likert('It uses the phrase "like me" instead of "not like me".') is None
    True
    >>> parse_likert('It uses the phrase "like me" instead of "not like me".', rule="lenient")
    5
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if _other(instrument):
        return phrase_parser(instrument.scale).parse(text, rule)
    if not isinstance(text, str):
        return None
    norm = _normalise(text)
    if not norm:
        return None
    if norm in _VALUES:
        return _VALUES[norm]
    m = next((m for m in _FIND.finditer(norm) if rule == "lenient" or not _mention(norm, m.start(), m.end())), None)
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


def parse_likert_many(texts: Iterable[object], instrument: Instrument | None = None) -> np.ndarray:
    """:func:`parse_likert` over many answers: a float array, NaN where unparseable.

    Repeated answers (the common case: most models answer with the bare phrase) are parsed once.
    """
    return _parse_cached(texts, {}, instrument)


def _parse_cached(texts: Iterable[object], cache: dict[object, float],
                  instrument: Instrument | None = None) -> np.ndarray:
    """The cached parse behind :func:`parse_likert_many` and :func:`rating_values`."""
    out = []
    for t in texts:
        key = t if isinstance(t, str) else None
        v = cache.get(key)
        if v is None:
            r = parse_likert(t, instrument=instrument)
            v = cache[key] = np.nan if r is None else float(r)
        out.append(v)
    return np.asarray(out, dtype=float)


#: Texts (compared stripped and lowercased) that stand for a missing rating, as in most CSV writers.
MISSING_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>"})


def _number_of_text(text: str) -> float:
    """A numeric string's value; NaN for the missing-value texts; None when it is no number."""
    t = text.strip()
    if t.lower() in MISSING_TEXT:
        return np.nan
    try:
        return float(t)
    except ValueError:
        return None


def rating_values(values: Iterable[object], *, unparseable: str = "error",
                  instrument: Instrument | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The one reading of rating cells: numbers (1-6, floats allowed) or Likert phrases -> float array.

    Returns ``(ratings, bad)``: ``ratings`` is NaN where a value is missing (None, NaN, an empty text or one of
    :data:`MISSING_TEXT`) or bad; ``bad`` marks values that are not ratings: numbers outside 1-6, booleans,
    other types, and texts that are neither a number nor a Likert phrase (with ``unparseable="missing"``
    those texts are missing instead: free-text model answers). Texts are read with the cached parser of
    :func:`parse_likert_many`, numbers first (``"5"``), then as phrases (``"Like me."``). ``instrument``: whose
    scale and phrases (default Value Portrait's 1-6).
    """
    if unparseable not in ("error", "missing"):
        raise ValueError(f"unparseable must be 'error' or 'missing', got {unparseable!r}")
    vals = values if isinstance(values, list) else list(values)
    out = np.full(len(vals), np.nan)
    bad = np.zeros(len(vals), dtype=bool)
    text_at, numbers = [], {}
    for i, v in enumerate(vals):
        if isinstance(v, str):
            if v not in numbers:
                numbers[v] = _number_of_text(v)
            num = numbers[v]
            if num is None:
                text_at.append(i)
            else:
                out[i] = num
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
        elif v is not None and v is not pd.NA:
            bad[i] = True
    if text_at:
        parsed = _parse_cached((vals[i] for i in text_at), {}, instrument)
        idx = np.asarray(text_at)
        out[idx] = parsed
        if unparseable == "error":
            bad[idx[np.isnan(parsed)]] = True
    lo, hi = (instrument.scale.min, instrument.scale.max) if instrument is not None else (LIKERT_MIN, LIKERT_MAX)
    with np.errstate(invalid="ignore"):
        bad |= ~np.isnan(out) & ~((out >= lo) & (out <= hi))
    out[bad] = np.nan
    return out, bad


def to_ratings(values: Iterable[object], *, what: str = "predictions", unparseable: str = "error",
               instrument: Instrument | None = None) -> np.ndarray:
    """Ratings given as numbers (1-6, floats allowed) or Likert phrases -> float array (NaN for missing).

    Read by :func:`rating_values` (the cached parser); a string that gives no rating is an error here (unlike
    in :func:`parse_likert_many`), since a caller who passes phrases as ratings expects each to be one;
    ``unparseable="missing"`` makes it NaN instead (free-text model answers). Numbers outside 1-6 are always
    an error.

    Raises
    ------
    InputError
        Listing (up to 10 of) the values outside 1-6 or not a Likert phrase, with their positions.

    Examples
    --------
    >>> to_ratings([1, 2.5, "Like me.", None, "4"]).tolist()
    [1.0, 2.5, 5.0, nan, 4.0]
    """
    vals = list(values)
    out, bad = rating_values(vals, unparseable=unparseable, instrument=instrument)
    if bad.any():
        where = np.flatnonzero(bad)
        shown = ", ".join(f"[{i}] {vals[i]!r}" for i in where[:10])
        more = f" (and {len(where) - 10} more)" if len(where) > 10 else ""
        scale = (instrument or VALUE_PORTRAIT).scale
        raise InputError(
            f"{len(where)} of the {len(vals)} {what} are not ratings: {shown}{more}. Expected a number from "
            f"{scale.min} to {scale.max} or one of the phrases {', '.join(repr(p) for p in scale.options())}; pass "
            "None for a missing rating."
        )
    return out


def distribution_from_loglik(loglik: Sequence[float]) -> tuple[np.ndarray, float, int]:
    """(p over ratings 1..6, expected rating, argmax rating) from the 6 answer phrases' log-likelihoods.

    ``p_r = softmax(ll)_r``, ``rating = sum_r r p_r``, ``argmax = argmax_r ll_r``: how the local backend and the
    lm-eval tasks turn likelihoods into a rating.

    >>> p, r, a = distribution_from_loglik([0, 0, 0, 0, 0, 0])
    >>> round(r, 6), a
    (3.5, 1)
    """
    ll = np.asarray(loglik, dtype=np.float64)
    if ll.shape != (N_OPTIONS,):
        raise InputError(f"expected {N_OPTIONS} log-likelihoods (one per answer phrase), got {ll.size}")
    p = np.exp(ll - ll.max())
    p /= p.sum()
    return p, float(p @ np.arange(LIKERT_MIN, LIKERT_MAX + 1)), int(np.argmax(ll)) + LIKERT_MIN
