"""Is a release folder the pinned release? Its files' sha256 against the manifest shipped with the package.

An archive or a download is verified when it is unpacked (:mod:`.fetch`: a differing file is an error). A folder
is the user's: it may hold the release edited on purpose, so a differing file is a warning that lists each file
(with both sums) and says the build is not of the pinned release; ``build_info.json`` then carries
``modified_release`` (one entry per file) and the card says so at the top. With ``strict``
(``valueportrait build --strict``) a differing file is an error and nothing is built. Edits that keep the JSON
valid and every value in range (a changed rating, a swapped response, a retitled query) pass every record check;
only the sums catch them.

>>> from pathlib import Path
>>> differing({"a.json": "11", "b.json": "22"}, {"a.json": "11", "b.json": "33", "c.json": "44"})
[{'file': 'b.json', 'sha256': '22', 'expected': '33'}, {'file': 'c.json', 'sha256': None, 'expected': '44'}]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

from valueportrait.errors import RawDataError

from .pins import UPSTREAM_COMMIT, UPSTREAM_REPO

__all__ = ["check_pinned", "differing", "modified_note"]


def differing(found: Mapping[str, str], expected: Mapping[str, str]) -> list[dict]:
    """Files whose sha256 in ``found`` (path -> sum; absent: missing) is not the ``expected`` one, in the
    manifest's order: ``{"file", "sha256" (None if missing), "expected"}``."""
    return [{"file": rel, "sha256": found.get(rel), "expected": want}
            for rel, want in expected.items() if found.get(rel) != want]


def _listing(files: list[dict], limit: int = 8) -> str:
    shown = "; ".join(f"{f['file']} ({'missing' if f['sha256'] is None else 'sha256 ' + f['sha256'][:12] + '...'}, "
                      f"expected {f['expected'][:12]}...)" for f in files[:limit])
    return shown + (f"; and {len(files) - limit} more" if len(files) > limit else "")


def modified_note(files: list[dict]) -> str:
    """One sentence for a build from a modified release (the card and ``valueportrait info`` show it)."""
    return (f"Not the pinned release: {len(files)} input file(s) differ from {UPSTREAM_REPO} at commit "
            f"{UPSTREAM_COMMIT[:7]} ({', '.join(f['file'] for f in files[:5])}{', ...' if len(files) > 5 else ''}).")


def check_pinned(root: Path, found: Mapping[str, str], *, strict: bool = False) -> list[dict]:
    """Compare a release folder's input sums (``found``, :func:`~.raw_release.input_fingerprints`) with the
    pinned manifest. Returns the differing files (empty for the pinned release) after a warning listing them;
    with ``strict`` raises :class:`RawDataError` instead. A missing file is listed as missing (the readers
    then refuse it unless ``--allow-partial`` allows it)."""
    from .fetch import manifest

    files = differing(found, manifest())
    if not files:
        return []
    where = (f"the raw release at {str(root)!r} differs from the pinned release ({UPSTREAM_REPO} at commit "
             f"{UPSTREAM_COMMIT[:7]}) in {len(files)} file(s): {_listing(files)}")
    if strict:
        raise RawDataError(f"{where}. Nothing was built (--strict). Restore the files from {UPSTREAM_REPO} at "
                           f"commit {UPSTREAM_COMMIT[:7]}, or build without --strict to build from modified data "
                           "on purpose.")
    warnings.warn(f"{where}. This build is not of the pinned release: build_info.json ('modified_release') and the "
                  "card say so. Pass --strict to refuse such a release.", stacklevel=3)
    return files
