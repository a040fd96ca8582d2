"""What pins the upstream release: its repository, the commit every build is made from, the environment
variable naming a local copy, and the one file hash (:func:`sha256_of`) the release checks and the fetch share."""

from __future__ import annotations

import hashlib
from pathlib import Path

UPSTREAM_REPO = "https://github.com/holi-lab/ValuePortrait"
UPSTREAM_COMMIT = "08e1fb7903c619592bd8b3267f00191e36957f9e"
ENV_VAR = "VALUEPORTRAIT_RAW"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


__all__ = ["ENV_VAR", "UPSTREAM_COMMIT", "UPSTREAM_REPO", "sha256_of"]
