"""Locate the upstream release and read its JSON files with errors that say where and how to fix.

The release is github.com/holi-lab/ValuePortrait (MIT). It is read at run time from ``--raw DIR`` or
``$VALUEPORTRAIT_RAW``; nothing from it is copied into this package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from valueportrait.errors import RawDataError, RawDataNotFoundError
from valueportrait.scale import TEMPLATES, VARIANTS

from .pins import ENV_VAR, UPSTREAM_COMMIT, UPSTREAM_REPO, sha256_of


SOURCES: tuple[str, ...] = ("Reddit", "DearAbby", "ShareGPT", "LMSYS")

#: Paths (relative to the release root) of every file the builders read.
QUERY_FILES = {src: f"data/query/{src}.json" for src in SOURCES}
QUERY_RESPONSE_FILES = {src: f"data/query-response/{src}.json" for src in SOURCES}
CATEGORIES_FILE = "data/query/query_categorized.json"
TAGGED_FILE = "data/query-response-tagged/query-response-tagged.json"
SURVEY_FILE = "data/prolific/survey/main/survey.json"
VALUE_FILE = "data/prolific/value/main/value.json"
CORRELATION_FILES = {
    "pvq": "data/correlation_results/pvq_correlation_results.json",
    "higher_pvq": "data/correlation_results/higher_pvq_correlation_results.json",
    "bfi": "data/correlation_results/bfi_correlation_results.json",
}
PROMPTS_DIR = "lm_evaluation/prompts"
#: Every prompt file: one per variant and template.
PROMPT_FILES: tuple[str, ...] = tuple(f"{PROMPTS_DIR}/{v}/{t}_prompt.txt" for v in VARIANTS for t in TEMPLATES)
#: Every file the build reads, relative to the release root (the sha256 manifest covers exactly these).
INPUT_FILES: tuple[str, ...] = (
    *QUERY_RESPONSE_FILES.values(), CATEGORIES_FILE, TAGGED_FILE, SURVEY_FILE, VALUE_FILE,
    *CORRELATION_FILES.values(),
    *PROMPT_FILES,
)

REQUIRED_FILES: tuple[str, ...] = (
    *QUERY_RESPONSE_FILES.values(),
    CATEGORIES_FILE,
    TAGGED_FILE,
    SURVEY_FILE,
    VALUE_FILE,
)


def resolve_raw_dir(raw: str | os.PathLike[str] | None = None) -> Path:
    """Return the release root from ``raw`` or ``$VALUEPORTRAIT_RAW``: a folder, an archive file or a URL
    (:func:`valueportrait.builders.fetch.fetch_release`); with neither, GitHub's archive of the pinned commit.

    Raises :class:`RawDataNotFoundError` naming both ways to give it and the upstream repository.
    """
    from .fetch import fetch_release  # a folder as given; an archive or URL (or nothing: the pinned archive) unpacked

    value = fetch_release(raw)
    how = (
        f"Give the folder of the upstream release with --raw DIR or by setting {ENV_VAR}=DIR. "
        f"It is a checkout of {UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]} "
        f"(git clone {UPSTREAM_REPO} && git -C ValuePortrait checkout {UPSTREAM_COMMIT[:7]})."
    )
    if value is None or str(value) == "":
        raise RawDataNotFoundError(f"No raw Value Portrait release given. {how}")
    root = Path(value).expanduser()
    if not root.is_dir():
        raise RawDataNotFoundError(f"The raw release folder {str(root)!r} does not exist or is not a folder. {how}")
    if not (root / "data").is_dir():
        raise RawDataNotFoundError(
            f"{str(root)!r} has no data/ folder, so it is not the upstream release root "
            f"(expected data/ and lm_evaluation/ side by side). {how}"
        )
    return root


#: The fix for a damaged file: where the intact one comes from.
RESTORE_HINT = f"Restore the file from {UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}."


def expect(cond: object, rel: str, where: str, msg: str, fix: str = RESTORE_HINT) -> None:
    """Raise :class:`RawDataError` ``"{rel}: {where}: {msg} {fix}"`` unless ``cond``."""
    if not cond:
        raise RawDataError(f"{rel}: {where}: {msg} {fix}".rstrip())


def expect_type(value: Any, types: type | tuple[type, ...], rel: str, where: str, what: str) -> Any:
    """``value`` if it is an instance of ``types`` (a bool is never a number), else a :class:`RawDataError`."""
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join(t.__name__ for t in types)
        expect(False, rel, where, f"{what} must be {_NAMES.get(names, names)}, got {_show(value)}.")
    return value


_NAMES = {"list": "a list", "dict": "an object ({...})", "str": "a string", "int": "an integer",
          "int or float": "a number", "str or int": "an id (string or integer)"}


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def records(root: Path, rel: str, what: str) -> list[dict]:
    """The file's top-level list of objects (``what`` names one), checked: a non-empty list of objects."""
    records = read_json(root, rel)
    expect_type(records, list, rel, "top level", f"the top level (one {what} per record)")
    expect(records, rel, "top level", f"the list is empty; expected one {what} per record.")
    for i, rec in enumerate(records):
        expect_type(rec, dict, rel, f"record {i}", what)
    return records


def query_id(value: object, rel: str, where: str, field_name: str) -> str:
    """A query id: digits (a string or an integer), e.g. ``"1008"``."""
    expect_type(value, (str, int), rel, where, "field " + field_name)
    if not str(value).isdigit():
        expect(False, rel, where, f"field {field_name} = {value!r} is not a query id (digits).")
    return str(value)


def raw_path(root: Path, rel: str) -> Path:
    """Return ``root/rel``; raise :class:`RawDataNotFoundError` naming the file if it is missing."""
    path = root / rel
    if not path.is_file():
        raise RawDataNotFoundError(
            f"{rel} is missing from the raw release at {str(root)!r}. Expected the layout of "
            f"{UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}; restore the file from there."
        )
    return path


class _DuplicateKey(Exception):
    def __init__(self, key: str, keys: list[str]):
        super().__init__(key)
        self.key, self.keys = key, keys


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json``'s object hook: the object as a dict, or :class:`_DuplicateKey` (JSON readers keep the last value
    of a repeated key and drop the others silently)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(key, [k for k, _ in pairs])
    return obj


def read_json(root: Path, rel: str) -> Any:
    """Parse ``root/rel`` as JSON; errors name the file, line and column. A key repeated within one object is an
    error naming the key (a reader would keep the last value and drop the others silently)."""
    path = raw_path(root, rel)
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        shown = ", ".join(repr(k) for k in exc.keys[:6]) + (", ..." if len(exc.keys) > 6 else "")
        raise RawDataError(f"{rel}: duplicate key {exc.key!r} in one object (its keys: {shown}); a JSON reader keeps "
                           f"only the last value of a repeated key, so the others would be dropped silently. Remove "
                           f"or rename one of them; {RESTORE_HINT[0].lower()}{RESTORE_HINT[1:]}") from None
    except json.JSONDecodeError as exc:
        raise RawDataError(
            f"{rel}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. {RESTORE_HINT}"
        ) from None
    except UnicodeDecodeError as exc:
        raise RawDataError(f"{rel}: not UTF-8 text ({exc}). {RESTORE_HINT}") from None
    except OSError as exc:
        raise RawDataError(f"{rel}: cannot be read ({exc.strerror or exc}). Check its permissions, or "
                           f"{RESTORE_HINT[0].lower()}{RESTORE_HINT[1:]}") from None
    except RecursionError:
        raise RawDataError(f"{rel}: nested too deeply to be read as JSON. {RESTORE_HINT}") from None


def input_fingerprints(root: Path, rels: list[str]) -> dict[str, str]:
    """sha256 of each input file that exists, keyed by its path relative to the release root (sorted)."""
    return {rel: sha256_of(root / rel) for rel in sorted(rels) if (root / rel).is_file()}
