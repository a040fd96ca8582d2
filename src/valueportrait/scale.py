"""The Value Portrait instrument's defaults as constants: the dimensions (upstream's keys and spellings), the
6-point Likert scale, the prompt variants; and item ids.

Every constant here is derived from :data:`valueportrait.instrument.VALUE_PORTRAIT` (the packaged
``value_portrait.yaml``), so the values are the instrument's: :data:`LIKERT_MIN` .. :data:`LIKERT_MAX`, the
answer phrases (:data:`LIKERT`, :data:`PHRASES`), reverse scoring (:func:`reverse`). Code that can be given
another instrument reads it (``data.instrument``) instead; these names stay for what has no dataset at hand.

Families keep the keys of the upstream release (``pvq``, ``higher_pvq``, ``bfi``) and its dimension
spellings (``Self_Direction``, ``Openness_to_Change``, ...), so files written here line up with
upstream's ``correlation_results`` and ``score_results``.
"""

from __future__ import annotations

from .instrument import VALUE_PORTRAIT

#: Schwartz's 10 basic values in circumplex order (Schwartz 1992, Fig. 1: going round the circle),
#: the order the paper's radar charts use.
PVQ: tuple[str, ...] = VALUE_PORTRAIT.family_dims["pvq"]

#: The 4 higher-order values.
HIGHER_PVQ: tuple[str, ...] = VALUE_PORTRAIT.family_dims["higher_pvq"]

#: The Big Five (BFI-10).
BFI: tuple[str, ...] = VALUE_PORTRAIT.family_dims["bfi"]

#: family key -> its dimensions, in display order.
FAMILIES: dict[str, tuple[str, ...]] = VALUE_PORTRAIT.family_dims

#: The 19 scored dimensions as (family, dimension), in FAMILIES order: the rows of every portrait.
DIMENSIONS: tuple[tuple[str, str], ...] = VALUE_PORTRAIT.dimensions

#: Human-readable family names.
FAMILY_TITLES: dict[str, str] = VALUE_PORTRAIT.family_titles

_SCALE = VALUE_PORTRAIT.scale
#: The answer options of the prompts, rating 6 down to 1 (upstream's prompts list exactly these).
LIKERT: dict[str, int] = {_SCALE.phrase_of(r): r for r in reversed(_SCALE.ratings)}

#: The lowest and highest rating of the scale.
LIKERT_MIN: int = _SCALE.min
LIKERT_MAX: int = _SCALE.max
#: A reverse-keyed item is scored as ``REVERSE_SUM - rating`` (7 on the 1-6 scale).
REVERSE_SUM: float = float(LIKERT_MIN + LIKERT_MAX)
#: Number of answer options.
N_OPTIONS: int = _SCALE.n_options
#: rating -> answer phrase (1 -> "not like me at all", ..., 6 -> "very much like me").
PHRASE_OF: dict[int, str] = {v: k for k, v in LIKERT.items()}
#: The answer phrases in rating order, lowest first: ``PHRASES[r - 1]`` is the phrase of rating r.
PHRASES: tuple[str, ...] = _SCALE.phrases


def reverse(rating):
    """The reverse-scored rating: ``7 - rating`` on the 1-6 scale (works on numbers and numpy arrays).

    >>> reverse(6), reverse(2.5)
    (1.0, 4.5)
    """
    return REVERSE_SUM - rating


#: The 6 prompt variants of the paper: 3 templates x 2 option orders.
VARIANTS: tuple[str, ...] = VALUE_PORTRAIT.variant_names

#: Prompt templates: ``reddit`` (title + scenario) for Reddit and Dear Abby, ``sharegpt`` for ShareGPT and LMSYS.
TEMPLATES: tuple[str, ...] = tuple(dict.fromkeys(kind for _, kind in VALUE_PORTRAIT.source_kind))

#: Query source -> the prompt template its items use.
SOURCE_TEMPLATE: dict[str, str] = dict(VALUE_PORTRAIT.source_kind)


def family_of(dimension: str) -> str:
    """Return the family key of a dimension name (``"Power"`` -> ``"pvq"``)."""
    for family, dims in FAMILIES.items():
        if dimension in dims:
            return family
    known = ", ".join(d for dims in FAMILIES.values() for d in dims)
    raise KeyError(f"unknown dimension {dimension!r}; known: {known}")


def item_id(query_id: object, option_id: object) -> str:
    """The id of an item (a query's response option), the key every table shares: ``"{query}-{option}"``.

    >>> item_id(1008, 1)
    '1008-1'
    """
    return f"{query_id}-{option_id}"


def parse_item_id(text: str) -> tuple[int, int]:
    """``"1008-1"`` -> ``(1008, 1)``; ``ValueError`` naming the text when it is not ``"<int>-<int>"``.

    >>> parse_item_id("1008-1")
    (1008, 1)
    """
    query, sep, option = str(text).partition("-")
    if not (sep and query.isdigit() and option.isdigit()):
        raise ValueError(f"{text!r} is not an item id; expected '<query id>-<option id>', e.g. '1008-1'")
    return int(query), int(option)


def item_sort_key(text: str) -> tuple:
    """Sort key putting item ids in numeric order (``1021-2`` before ``1021-10``); other text sorts after.

    >>> sorted(["1021-10", "x", "1021-2", "999-1"], key=item_sort_key)
    ['999-1', '1021-2', '1021-10', 'x']
    """
    try:
        return (0, *parse_item_id(text), "")
    except ValueError:
        return (1, 0, 0, str(text))
