"""What a remote revision holds (:class:`RemoteFile`) and what a plan must change there (:func:`diff`)."""

from __future__ import annotations

from dataclasses import dataclass

from .plan import PlannedFile, PublishPlan

#: Files of the remote repo that a publish never deletes (the Hub maintains the LFS rules in it).
KEPT_REMOTE_FILES = frozenset({".gitattributes"})


@dataclass(frozen=True)
class RemoteFile:
    """A file in a remote revision: its git blob id, and its sha256 when the remote stores it (LFS)."""

    path: str
    size: int
    git_blob: str | None = None
    sha256: str | None = None

    def same_as(self, f: PlannedFile) -> bool:
        if self.sha256 is not None:
            return self.sha256 == f.sha256
        return self.git_blob == f.git_blob


def diff(plan: PublishPlan, remote: dict[str, RemoteFile]) -> tuple[list[PlannedFile], list[str]]:
    """(files to upload, remote paths to delete) so that the remote holds exactly the plan's files."""
    adds = [f for f in plan.files if f.path not in remote or not remote[f.path].same_as(f)]
    wanted = {f.path for f in plan.files}
    deletes = sorted(p for p in remote if p not in wanted and p not in KEPT_REMOTE_FILES)
    return adds, deletes


__all__ = ["KEPT_REMOTE_FILES", "RemoteFile", "diff"]
