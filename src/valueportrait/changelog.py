"""The dataset changelog (``cards/CHANGELOG.md``): one file, one parsing rule, read by the build and by publish.

The build shows its entries in the dataset card (:mod:`valueportrait.builders.card`) and refuses a version
without an entry; ``valueportrait publish`` puts the version's entry in the commit message and refuses the same.
Entries are ``## X.Y.Z (YYYY-MM-DD)`` sections, newest first:

>>> changelog_entries("# Changelog\\n\\n## 1.1.0 (2026-11-23)\\n\\n- Stricter selection.\\n\\n## 1.0.0\\n- First.\\n")
{'1.1.0': ('2026-11-23', '- Stricter selection.'), '1.0.0': (None, '- First.')}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DatasetError

_HEADING_RE = re.compile(r"^##\s+v?(\d+\.\d+\.\d+)\s*(?:\((\d{4}-\d{2}-\d{2})\))?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ChangelogEntry:
    """One ``## X.Y.Z (YYYY-MM-DD)`` section of the changelog."""

    version: str
    date: str | None
    body: str


def default_changelog() -> Path:
    """The changelog that ships with the package (``cards/CHANGELOG.md``)."""
    from importlib.resources import files

    return Path(str(files("valueportrait.cards") / "CHANGELOG.md"))


def changelog_entries(text: str) -> dict[str, tuple[str | None, str]]:
    """Parse a changelog: ``{version: (date or None, entry text)}`` from ``## X.Y.Z (YYYY-MM-DD)`` headings.

    An entry ends at the next ``#`` or ``##`` heading (``###`` and deeper stay inside the entry).
    """
    heads = list(_HEADING_RE.finditer(text))
    out: dict[str, tuple[str | None, str]] = {}
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        body = text[m.end():end]
        body = re.split(r"^#{1,2}\s", body, maxsplit=1, flags=re.MULTILINE)[0]  # stop at the next section
        out[m.group(1)] = (m.group(2), body.strip())
    return out


def read_changelog(path: str | Path | None = None, version: str | None = None) -> list[ChangelogEntry]:
    """The entries of the changelog (default: the package's ``cards/CHANGELOG.md``), newest first.

    When ``version`` is given it must have an entry: a card never shows, and publish never tags, a version
    the changelog does not describe.

    Raises
    ------
    DatasetError
        The file does not exist, has no entry, or has none for ``version``.
    """
    path = Path(path) if path is not None else default_changelog()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"the changelog {str(path)!r} does not exist; restore cards/CHANGELOG.md (it ships with "
                           "the package) or name another changelog file (changelog=PATH, --changelog FILE).") from None
    entries = [ChangelogEntry(v, date, body) for v, (date, body) in changelog_entries(text).items()]
    if not entries:
        raise DatasetError(f"the changelog {str(path)!r} has no '## X.Y.Z (YYYY-MM-DD)' entry.")
    if version is not None and version not in {e.version for e in entries}:
        raise DatasetError(
            f"dataset version {version} has no entry in the changelog {str(path)!r} (it has "
            f"{', '.join(e.version for e in entries)}). Add a section '## {version} (YYYY-MM-DD)' saying what "
            "changed for users (items, selection, scores), newest first, then build again: the card shows this "
            "changelog.")
    return entries


__all__ = ["ChangelogEntry", "changelog_entries", "default_changelog", "read_changelog"]
