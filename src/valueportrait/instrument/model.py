"""The instrument as data: its families and dimensions, the rating scale with its answer phrases, the prompt
variants and templates (issue 25). Frozen dataclasses, checked when made (:mod:`.checks`), with the derived
views the rest of the package reads (:attr:`Instrument.dimensions`, :meth:`Instrument.pairs`, ...)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterable

from valueportrait.errors import InputError

from .checks import check_description


def _tuple(obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if isinstance(value, list):
        object.__setattr__(obj, name, tuple(value))


@dataclass(frozen=True)
class Scale:
    """The rating scale: ``phrases[r - min]`` is the answer phrase of rating ``r``, in the instrument's language;
    ``like_me`` says which end means "like me" (``"max"`` or ``"min"``)."""

    min: int
    max: int
    phrases: tuple[str, ...]
    like_me: str = "max"

    def __post_init__(self) -> None:
        _tuple(self, "phrases")

    @property
    def n_options(self) -> int:
        return self.max - self.min + 1

    @property
    def ratings(self) -> tuple[int, ...]:
        """The points of the scale, lowest first."""
        return tuple(range(self.min, self.max + 1))

    def phrase_of(self, rating: int) -> str:
        """The answer phrase of a rating; :class:`InputError` outside ``min..max``."""
        if rating != int(rating) or not self.min <= int(rating) <= self.max:
            raise InputError(f"rating {rating!r} is not a point of the {self.min}-{self.max} scale")
        return self.phrases[int(rating) - self.min]

    def rating_of(self, phrase: str) -> int | None:
        """The rating of an answer phrase, case-insensitively and ignoring surrounding space (None if none)."""
        want = str(phrase).strip().casefold()
        return next((r for r, p in zip(self.ratings, self.phrases) if p.casefold() == want), None)

    def reverse(self, rating):
        """The reverse-scored rating ``min + max - rating`` (numbers and numpy arrays)."""
        return float(self.min + self.max) - rating

    def options(self, reversed: bool = False) -> tuple[str, ...]:
        """The phrases as a prompt lists them: the most "like me" first, the other way round when ``reversed``."""
        order = self.phrases[::-1] if self.like_me == "max" else self.phrases
        return order[::-1] if reversed else order


@dataclass(frozen=True)
class Family:
    """A family of dimensions (``pvq``): its ids in display order and their display names (``labels``)."""

    key: str
    title: str
    dimensions: tuple[str, ...]
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _tuple(self, "dimensions")
        _tuple(self, "labels")

    def label_of(self, dimension: str) -> str:
        """The display name of a dimension (its id with "_" -> " " when the family has no labels)."""
        if self.labels:
            return self.labels[self.dimensions.index(dimension)]
        return dimension.replace("_", " ")


@dataclass(frozen=True)
class Variant:
    """A prompt variant; ``reversed``: its answer options are listed in reverse order."""

    name: str
    reversed: bool = False


@dataclass(frozen=True)
class Template:
    """The prompt of one variant for one item kind; placeholders ``{title} {text} {content} {options}``."""

    variant: str
    kind: str
    text: str


@dataclass(frozen=True)
class Instrument:
    """A survey instrument: what is measured (families of dimensions), how it is rated (the scale and its
    phrases) and how it is asked (variants, templates, which item source uses which template kind).

    >>> from valueportrait.instrument import VALUE_PORTRAIT
    >>> VALUE_PORTRAIT.scale.phrase_of(6), len(VALUE_PORTRAIT.dimensions), VALUE_PORTRAIT.pairs()[0]
    ('very much like me', 19, ('v1', 'v1_reversed'))
    """

    name: str
    version: str
    language: str
    families: tuple[Family, ...]
    scale: Scale
    variants: tuple[Variant, ...]
    templates: tuple[Template, ...] = ()
    source_kind: tuple[tuple[str, str], ...] = ()  # (item source, template kind), sorted by source
    licence: str = ""
    citation: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        for name in ("families", "variants", "templates"):
            _tuple(self, name)
        # sorted by source: the same instrument whatever order a file (or a JSON writer's sort_keys) gave
        pairs = self.source_kind.items() if isinstance(self.source_kind, dict) else self.source_kind
        object.__setattr__(self, "source_kind", tuple(sorted((str(a), str(b)) for a, b in pairs)))
        check_description(self.to_dict(), f"Instrument {self.name!r}")

    # -- derived views --------------------------------------------------------------------------------------
    @property
    def family_dims(self) -> dict[str, tuple[str, ...]]:
        """family key -> its dimension ids in display order (what ``scale.FAMILIES`` is for Value Portrait)."""
        return {f.key: f.dimensions for f in self.families}

    @property
    def dimensions(self) -> tuple[tuple[str, str], ...]:
        """Every (family, dimension), family by family: the rows of a portrait."""
        return tuple((f.key, d) for f in self.families for d in f.dimensions)

    @property
    def family_titles(self) -> dict[str, str]:
        return {f.key: f.title for f in self.families}

    def family(self, key: str) -> Family:
        for f in self.families:
            if f.key == key:
                return f
        raise KeyError(f"unknown family {key!r}; {self.name} has {', '.join(self.family_dims)}")

    def family_of(self, dimension: str) -> str:
        """The family key of a dimension id; KeyError naming the known ones."""
        for f in self.families:
            if dimension in f.dimensions:
                return f.key
        raise KeyError(f"unknown dimension {dimension!r}; known: {', '.join(d for _, d in self.dimensions)}")

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variants)

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"unknown variant {name!r}; {self.name} has {', '.join(self.variant_names)}")

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Each variant with its reversed twin, the reversed variant named ``{name}_reversed``:
        ``(("v1", "v1_reversed"), ...)``, the order-bias pairs of the split halves."""
        reversed_ = {v.name for v in self.variants if v.reversed}
        return tuple((v.name, f"{v.name}_reversed") for v in self.variants
                     if not v.reversed and f"{v.name}_reversed" in reversed_)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The item kinds the templates cover, in order of first appearance."""
        return tuple(dict.fromkeys(t.kind for t in self.templates))

    def template(self, variant: str, kind: str) -> str:
        """The template text of a variant for an item kind; KeyError naming what there is."""
        for t in self.templates:
            if t.variant == variant and t.kind == kind:
                return t.text
        raise KeyError(f"{self.name} has no template for variant {variant!r} and kind {kind!r}"
                       + ("" if self.templates else " (it carries no templates: see with_templates)"))

    def kind_of_source(self, source: str) -> str:
        """The template kind an item of this source uses (``Reddit`` -> ``reddit``); KeyError if unmapped."""
        return dict(self.source_kind)[source]

    def options_text(self, variant: str) -> str:
        """What ``{options}`` becomes in a variant's prompt: the phrases one per line, the most "like me"
        first, reversed for a reversed variant."""
        return "\n".join(self.scale.options(self.variant(variant).reversed))

    def with_templates(self, templates: Iterable[Any]) -> "Instrument":
        """A copy carrying ``templates``: :class:`Template` objects, dicts, or a prompts table (a DataFrame with
        columns variant, template, text, as the dataset's ``prompts`` config)."""
        from dataclasses import replace

        if hasattr(templates, "to_dict") and hasattr(templates, "columns"):
            rows = templates.to_dict("records")
            templates = [Template(r["variant"], r.get("kind", r.get("template")), r["text"]) for r in rows]
        made = tuple(t if isinstance(t, Template) else Template(**t) for t in templates)
        return replace(self, templates=made)

    # -- plain data ---------------------------------------------------------------------------------------
    def to_dict(self, templates: bool = True) -> dict[str, Any]:
        """A JSON-safe dict (:meth:`from_dict` reads it back); ``templates=False`` leaves the templates out."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["scale"] = {"min": self.scale.min, "max": self.scale.max, "phrases": list(self.scale.phrases),
                        "like_me": self.scale.like_me}
        out["families"] = [{"key": f.key, "title": f.title, "dimensions": list(f.dimensions),
                            **({"labels": list(f.labels)} if f.labels else {})} for f in self.families]
        out["variants"] = [{"name": v.name, "reversed": v.reversed} for v in self.variants]
        out["templates"] = ([{"variant": t.variant, "kind": t.kind, "text": t.text} for t in self.templates]
                            if templates else [])
        out["source_kind"] = dict(self.source_kind)
        return out

    @classmethod
    def from_dict(cls, d: Any, source: str = "instrument") -> "Instrument":
        """The instrument of a description dict; every problem an :class:`InputError` naming ``source`` and the
        field path (``families[1].dimensions[3]``), what was expected and the fix."""
        c = check_description(d, source)
        return cls(name=c["name"], version=c["version"], language=c["language"],
                   families=tuple(Family(f["key"], f["title"], tuple(f["dimensions"]), tuple(f["labels"]))
                                  for f in c["families"]),
                   scale=Scale(c["scale"]["min"], c["scale"]["max"], tuple(c["scale"]["phrases"]),
                               c["scale"]["like_me"]),
                   variants=tuple(Variant(v["name"], v["reversed"]) for v in c["variants"]),
                   templates=tuple(Template(**t) for t in c["templates"]),
                   source_kind=tuple(c["source_kind"].items()), licence=c["licence"], citation=c["citation"],
                   url=c["url"])

    def to_yaml(self, templates: bool = True) -> str:
        """The YAML description (``load_instrument`` reads it back)."""
        import yaml

        d = self.to_dict(templates)
        if not d["templates"]:
            del d["templates"]
        return yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100)
