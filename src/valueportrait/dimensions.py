"""The measured dimensions, with upstream's keys and spellings, and the 6-point Likert scale.

Families keep the keys of the upstream release (``pvq``, ``higher_pvq``, ``bfi``) and its dimension
spellings (``Self_Direction``, ``Openness_to_Change``, ...), so files written here line up with
upstream's ``correlation_results`` and ``score_results``.
"""

from __future__ import annotations

#: Schwartz's 10 basic values in circumplex order (Schwartz 1992, Fig. 1: going round the circle),
#: the order the paper's radar charts use.
PVQ: tuple[str, ...] = (
    "Self_Direction",
    "Stimulation",
    "Hedonism",
    "Achievement",
    "Power",
    "Security",
    "Conformity",
    "Tradition",
    "Benevolence",
    "Universalism",
)

#: The 4 higher-order values.
HIGHER_PVQ: tuple[str, ...] = (
    "Openness_to_Change",
    "Self_Enhancement",
    "Conservation",
    "Self_Transcendence",
)

#: The Big Five (BFI-10).
BFI: tuple[str, ...] = (
    "Openness",
    "Conscientiousness",
    "Extraversion",
    "Agreeableness",
    "Neuroticism",
)

#: family key -> its dimensions, in display order.
FAMILIES: dict[str, tuple[str, ...]] = {"pvq": PVQ, "higher_pvq": HIGHER_PVQ, "bfi": BFI}

#: Human-readable family names.
FAMILY_TITLES: dict[str, str] = {
    "pvq": "Schwartz basic values (PVQ-21)",
    "higher_pvq": "Higher-order values",
    "bfi": "Big Five (BFI-10)",
}

#: The answer options of the prompts, rating 6 down to 1 (upstream's prompts list exactly these).
LIKERT: dict[str, int] = {
    "very much like me": 6,
    "like me": 5,
    "somewhat like me": 4,
    "a little like me": 3,
    "not like me": 2,
    "not like me at all": 1,
}

#: The 6 prompt variants of the paper: 3 templates x 2 option orders.
VARIANTS: tuple[str, ...] = ("v1", "v1_reversed", "v2", "v2_reversed", "v3", "v3_reversed")

#: Prompt templates: ``reddit`` (title + scenario) for Reddit and Dear Abby, ``sharegpt`` for ShareGPT and LMSYS.
TEMPLATES: tuple[str, ...] = ("reddit", "sharegpt")

#: Query source -> the prompt template its items use.
SOURCE_TEMPLATE: dict[str, str] = {
    "Reddit": "reddit",
    "DearAbby": "reddit",
    "ShareGPT": "sharegpt",
    "LMSYS": "sharegpt",
}


def family_of(dimension: str) -> str:
    """Return the family key of a dimension name (``"Power"`` -> ``"pvq"``)."""
    for family, dims in FAMILIES.items():
        if dimension in dims:
            return family
    known = ", ".join(d for dims in FAMILIES.values() for d in dims)
    raise KeyError(f"unknown dimension {dimension!r}; known: {known}")
