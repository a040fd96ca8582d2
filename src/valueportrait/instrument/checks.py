"""Field-path checks of an instrument description (a dict read from YAML/JSON): every failure is an
:class:`~valueportrait.errors.InputError` naming the source, the field path (``families[1].dimensions[3]``),
what was expected, what was found and the fix. Pure: plain values in, plain values out."""

from __future__ import annotations

import re
from typing import Any

from valueportrait.errors import InputError

#: The placeholders a prompt template may hold; anything else in braces is an error.
PLACEHOLDERS: tuple[str, ...] = ("title", "text", "content", "options")
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
#: A family key or a dimension id: a letter, then letters, digits and "_" (they become column names).
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: A BCP-47 tag in its common form: "en", "de", "pt-BR", "zh-Hant".
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def fail(source: str, path: str, expected: str, found: Any, fix: str) -> InputError:
    """The error of one field: ``{source}: {path}: expected {expected}, found {found!r}. {fix}``."""
    shown = "nothing" if found is _MISSING else repr(found)
    return InputError(f"{source}: {path}: expected {expected}, found {shown}. {fix}")


_MISSING = object()


def mapping(value: Any, source: str, path: str, known: tuple[str, ...], required: tuple[str, ...]) -> dict:
    """``value`` as a dict whose keys are among ``known`` and that has every ``required`` key."""
    where = path or "the document"
    if not isinstance(value, dict):
        raise fail(source, where, "a mapping (key: value)", value, "Write this part as `key: value` lines.")
    unknown = [k for k in value if k not in known]
    if unknown:
        raise fail(source, _join(path, str(unknown[0])), f"one of the fields {', '.join(known)}", unknown[0],
                   "Remove the field or correct its spelling.")
    for key in required:
        if key not in value or value[key] is None:
            raise fail(source, _join(path, key), "a value", _MISSING, f"Add `{key}:` here.")
    return value


def text(value: Any, source: str, path: str, *, empty: bool = False) -> str:
    """A string (non-empty unless ``empty``), stripped of nothing: templates keep their exact bytes."""
    if value is None and empty:
        return ""
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise fail(source, path, "a non-empty text" if not empty else "a text", value, "Quote it as a string.")
    return value


def integer(value: Any, source: str, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(source, path, "a whole number", value, "Write a number without quotes or decimals, e.g. 1.")
    return value


def flag(value: Any, source: str, path: str) -> bool:
    if not isinstance(value, bool):
        raise fail(source, path, "true or false", value, "Write true or false without quotes.")
    return value


def sequence(value: Any, source: str, path: str, *, empty: bool = False) -> list:
    if not isinstance(value, (list, tuple)) or (not empty and not value):
        raise fail(source, path, "a non-empty list" if not empty else "a list", value,
                   "Write it as a YAML list (`- first` lines, or [a, b]).")
    return list(value)


def identifier(value: Any, source: str, path: str) -> str:
    value = text(value, source, path)
    if not _ID.match(value):
        raise fail(source, path, "an id of letters, digits and '_' starting with a letter", value,
                   "Use e.g. Self_Direction; put the display name in `labels`.")
    return value


def language(value: Any, source: str, path: str) -> str:
    value = text(value, source, path)
    if not _LANGUAGE.match(value):
        raise fail(source, path, "a BCP-47 language tag such as en, de or pt-BR", value, "Write the tag of the "
                   "language the items and answer phrases are in.")
    return value


def unique(values: list[str], source: str, path: str, what: str, *, fold: bool = False) -> None:
    """No value twice (case-insensitively with ``fold``); the error names the second one's index."""
    seen: set[str] = set()
    for k, v in enumerate(values):
        key = v.casefold().strip() if fold else v
        if key in seen:
            raise fail(source, f"{path}[{k}]", f"a {what} not given before", v, f"Each {what} must appear once.")
        seen.add(key)


def placeholders(template: str, source: str, path: str) -> None:
    """Every ``{name}`` of ``template`` is one of :data:`PLACEHOLDERS`."""
    for name in _PLACEHOLDER.findall(template):
        if name not in PLACEHOLDERS:
            raise fail(source, path, f"placeholders among {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                       "{" + name + "}", "Rename the placeholder, or remove the braces if they are literal text.")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TOP = ("name", "version", "language", "families", "scale", "variants", "templates", "source_kind", "licence",
        "citation", "url")
_REQUIRED = ("name", "version", "language", "families", "scale", "variants")


def check_description(d: Any, source: str) -> dict:
    """The instrument description ``d`` checked field by field and normalised (lists, ``source_kind`` as a
    mapping); the first problem is an :class:`InputError` naming ``source`` and its field path."""
    d = mapping(d, source, "", _TOP, _REQUIRED)
    out: dict[str, Any] = {"name": text(d["name"], source, "name"), "language": language(d["language"], source,
                                                                                          "language")}
    version = d["version"]
    out["version"] = text(str(version) if isinstance(version, (int, float)) and not isinstance(version, bool)
                          else version, source, "version")
    for key in ("licence", "citation", "url"):
        out[key] = text(d.get(key), source, key, empty=True)
    out["scale"] = _scale(d["scale"], source)
    out["families"] = _families(d["families"], source)
    out["variants"] = _variants(d["variants"], source)
    out["templates"] = _templates(d.get("templates") or [], source, [v["name"] for v in out["variants"]])
    out["source_kind"] = _source_kind(d.get("source_kind") or {}, source, out["templates"])
    return out


def _scale(s: Any, source: str) -> dict:
    s = mapping(s, source, "scale", ("min", "max", "phrases", "like_me"), ("min", "max", "phrases"))
    lo, hi = integer(s["min"], source, "scale.min"), integer(s["max"], source, "scale.max")
    if hi <= lo:
        raise fail(source, "scale.max", f"a number above scale.min ({lo})", hi, "A scale has at least two points.")
    phrases = sequence(s["phrases"], source, "scale.phrases")
    phrases = [text(p, source, f"scale.phrases[{k}]").strip() for k, p in enumerate(phrases)]
    if len(phrases) != hi - lo + 1:
        raise fail(source, "scale.phrases", f"{hi - lo + 1} answer phrases (one per point {lo}..{hi}, "
                   f"lowest rating first)", f"{len(phrases)} phrases", "Give exactly one phrase per scale point.")
    unique(phrases, source, "scale.phrases", "phrase (case-insensitively)", fold=True)
    like_me = s.get("like_me", "max")
    if like_me not in ("max", "min"):
        raise fail(source, "scale.like_me", "max or min (the end that means 'like me')", like_me,
                   "Write like_me: max when the highest rating is the most 'like me'.")
    return {"min": lo, "max": hi, "phrases": phrases, "like_me": like_me}


def _families(fs: Any, source: str) -> list[dict]:
    out = []
    for k, f in enumerate(sequence(fs, source, "families")):
        path = f"families[{k}]"
        f = mapping(f, source, path, ("key", "title", "dimensions", "labels"), ("key", "dimensions"))
        dims = [identifier(x, source, f"{path}.dimensions[{j}]")
                for j, x in enumerate(sequence(f["dimensions"], source, f"{path}.dimensions"))]
        labels = [text(x, source, f"{path}.labels[{j}]")
                  for j, x in enumerate(sequence(f.get("labels") or [], source, f"{path}.labels", empty=True))]
        if labels and len(labels) != len(dims):
            raise fail(source, f"{path}.labels", f"{len(dims)} labels (one per dimension, same order)",
                       f"{len(labels)} labels", "Give one label per dimension, or leave labels out.")
        key = identifier(f["key"], source, f"{path}.key")
        out.append({"key": key, "title": text(f.get("title"), source, f"{path}.title", empty=True) or key,
                    "dimensions": dims, "labels": labels})
    unique([f["key"] for f in out], source, "families", "family key")
    seen: dict[str, str] = {}
    for k, f in enumerate(out):
        for j, dim in enumerate(f["dimensions"]):
            if dim in seen:
                raise fail(source, f"families[{k}].dimensions[{j}]", "a dimension id used by no other family",
                           dim, f"It is already in family {seen[dim]}; rename one of them.")
            seen[dim] = f["key"]
    return out


def _variants(vs: Any, source: str) -> list[dict]:
    out = []
    for k, v in enumerate(sequence(vs, source, "variants")):
        path = f"variants[{k}]"
        v = {"name": v} if isinstance(v, str) else mapping(v, source, path, ("name", "reversed"), ("name",))
        out.append({"name": identifier(v["name"], source, f"{path}.name"),
                    "reversed": flag(v.get("reversed", False), source, f"{path}.reversed")})
    unique([v["name"] for v in out], source, "variants", "variant name")
    return out


def _templates(ts: Any, source: str, variants: list[str]) -> list[dict]:
    out = []
    for k, t in enumerate(sequence(ts, source, "templates", empty=True)):
        path = f"templates[{k}]"
        t = mapping(t, source, path, ("variant", "kind", "text"), ("variant", "kind", "text"))
        variant = text(t["variant"], source, f"{path}.variant")
        if variant not in variants:
            raise fail(source, f"{path}.variant", f"one of the variants {', '.join(variants)}", variant,
                       "Add the variant to `variants`, or correct the name.")
        body = text(t["text"], source, f"{path}.text")
        placeholders(body, source, f"{path}.text")
        out.append({"variant": variant, "kind": text(t["kind"], source, f"{path}.kind"), "text": body})
    unique([f"{t['variant']}/{t['kind']}" for t in out], source, "templates", "variant/kind pair")
    have = {(t["variant"], t["kind"]) for t in out}
    for kind in dict.fromkeys(t["kind"] for t in out):
        for variant in variants:
            if (variant, kind) not in have:
                raise fail(source, "templates", f"a template for variant {variant} and kind {kind}", _MISSING,
                           "Every variant needs a template for every item kind; add it or drop the variant.")
    return out


def _source_kind(sk: Any, source: str, templates: list[dict]) -> dict[str, str]:
    if isinstance(sk, (list, tuple)):  # the dataclass's pairs
        sk = {a: b for a, b in sk}
    sk = mapping(sk, source, "source_kind", tuple(str(k) for k in sk), ())
    kinds = {t["kind"] for t in templates}
    for src, kind in sk.items():
        kind = text(kind, source, f"source_kind.{src}")
        if kinds and kind not in kinds:
            raise fail(source, f"source_kind.{src}", f"a template kind ({', '.join(sorted(kinds))})", kind,
                       "Map each item source to the kind of a template.")
    return {str(k): v for k, v in sk.items()}
