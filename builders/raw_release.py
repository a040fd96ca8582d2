"""Locate the upstream release and read its JSON files with errors that say where and how to fix.

The release is github.com/holi-lab/ValuePortrait (MIT). It is read at run time from ``--raw DIR`` or
``$VALUEPORTRAIT_RAW``; nothing from it is copied into this package.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from valueportrait.errors import RawDataError, RawDataNotFoundError
from valueportrait.scale import TEMPLATES, VARIANTS

UPSTREAM_REPO = "https://github.com/holi-lab/ValuePortrait"
UPSTREAM_COMMIT = "08e1fb7903c619592bd8b3267f00191e36957f9e"
ENV_VAR = "VALUEPORTRAIT_RAW"

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

#: Every file the build reads, relative to the release root (the sha256 manifest covers exactly these).
INPUT_FILES: tuple[str, ...] = (
    *QUERY_RESPONSE_FILES.values(), CATEGORIES_FILE, TAGGED_FILE, SURVEY_FILE, VALUE_FILE,
    *CORRELATION_FILES.values(),
    *(f"{PROMPTS_DIR}/{v}/{t}_prompt.txt" for v in VARIANTS for t in TEMPLATES),
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


def raw_path(root: Path, rel: str) -> Path:
    """Return ``root/rel``; raise :class:`RawDataNotFoundError` naming the file if it is missing."""
    path = root / rel
    if not path.is_file():
        raise RawDataNotFoundError(
            f"{rel} is missing from the raw release at {str(root)!r}. Expected the layout of "
            f"{UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}; restore the file from there."
        )
    return path


def read_json(root: Path, rel: str) -> Any:
    """Parse ``root/rel`` as JSON; errors name the file, line and column."""
    path = raw_path(root, rel)
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise RawDataError(
            f"{rel}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            f"Restore the file from {UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}."
        ) from None
    except UnicodeDecodeError as exc:
        raise RawDataError(f"{rel}: not UTF-8 text ({exc}). Restore the file from {UPSTREAM_REPO}.") from None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_fingerprints(root: Path, rels: list[str]) -> dict[str, str]:
    """sha256 of each input file that exists, keyed by its path relative to the release root (sorted)."""
    return {rel: sha256_of(root / rel) for rel in sorted(rels) if (root / rel).is_file()}
