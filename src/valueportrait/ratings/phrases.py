"""Free-text answers -> ratings for any instrument: a parser built from the scale's answer phrases.

Value Portrait's English phrases are read by :func:`valueportrait.ratings.likert.parse_likert`'s own rules
(negation, modifiers, "little like me"; checked against upstream). Another instrument's phrases, in its own
language, are read here by the rules that need no knowledge of the language:

1. A reasoning block ``<think>...</think>`` is dropped; the text is case-folded; curly quotes, markdown and list
   numbering are removed; whitespace is collapsed.
2. The *leftmost* answer phrase wins, the longest one at that position (``gar nicht wie ich`` is never read as
   ``nicht wie ich``), matched at word boundaries of any script.
3. Strict rule (default): a phrase inside double quotes, or between single quotes, is a mention, not an answer;
   it is skipped and the next phrase read. An answer that is only a quoted phrase is an answer.
4. Numeric fallback: an answer that is only a whole number within the scale (``"4"``, ``"4."``) is that rating;
   a number outside it, or any other text without a phrase, gives None.

Negation and hedges are words of a language, so they are not read here: ``"nicht sehr wie ich"`` gives the
rating of ``sehr wie ich`` when that is a phrase and ``nicht sehr wie ich`` is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from valueportrait.instrument import Scale

__all__ = ["PhraseParser", "phrase_parser"]

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.S | re.I)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u00a0": " "})
_MARKDOWN = re.compile(r"[*_`#>~|]+")
_LEADING = re.compile(r"^\s*(?:\(?[0-9a-z]\s*[.):]\s+(?=\D)|[-\u2022]\s+)+")
_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class PhraseParser:
    """The parser of one scale's phrases (make it with :func:`phrase_parser`, which caches it)."""

    scale: Scale

    @property
    def _pattern(self) -> re.Pattern:
        return _compiled(self.scale.phrases)

    def normalise(self, text: str) -> str:
        text = _THINK.sub(" ", text).translate(_QUOTES).casefold()
        text = _MARKDOWN.sub(" ", text)
        text = _LEADING.sub("", text)
        return _WS.sub(" ", text).strip(" .,!")

    def parse(self, text: object, rule: str = "strict") -> int | None:
        """The rating the answer gives, or None (the module's rules)."""
        if rule not in ("strict", "lenient"):
            raise ValueError(f"rule must be one of ('strict', 'lenient'), got {rule!r}")
        if not isinstance(text, str):
            return None
        norm = self.normalise(text)
        if not norm:
            return None
        exact = self.scale.rating_of(norm.strip(" \"'.,!"))  # the phrase alone, quoted or not
        if exact is not None:
            return exact
        for m in self._pattern.finditer(norm):
            if rule == "lenient" or not _quoted(norm, m.start(), m.end()):
                return self.scale.rating_of(m.group(1))
        number = norm.strip(" \"'.,!")
        if _NUMBER.match(number):
            value = int(number)
            return value if self.scale.min <= value <= self.scale.max else None
        return None


def _quoted(norm: str, start: int, end: int) -> bool:
    before = norm[:start]
    return before.count('"') % 2 == 1 or (before.rstrip().endswith("'") and norm[end:].lstrip().startswith("'"))


@lru_cache(maxsize=32)
def _compiled(phrases: tuple[str, ...]) -> re.Pattern:
    ordered = sorted((p.casefold() for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in ordered) + r")(?!\w)")


@lru_cache(maxsize=32)
def phrase_parser(scale: Scale) -> PhraseParser:
    """The parser of ``scale``'s answer phrases.

    >>> from valueportrait.instrument import Scale
    >>> p = phrase_parser(Scale(1, 3, ("gar nicht wie ich", "nicht wie ich", "wie ich")))
    >>> p.parse("**Gar nicht wie ich.**"), p.parse('Die Antwort "wie ich" passt nicht; nicht wie ich'), p.parse("3")
    (1, 2, 3)
    """
    return PhraseParser(scale)
