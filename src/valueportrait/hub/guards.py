"""Before executing a publish plan: its sources unchanged since it was made, and the target's tags.

The checks of the inputs alone (repo ids, versions, cards, the metric folder) are in
:mod:`valueportrait.hub.checks`, which a plan runs when it is made; these take the plan.
"""

from __future__ import annotations

from ..errors import PublishError
from .checks import version_key
from .plan import PublishPlan

def verify_sources(plan: PublishPlan) -> None:
    """Refuse to publish if any planned file changed or vanished since the plan was made."""
    for f in plan.files:
        try:
            size, sha256, _ = f.current()
        except FileNotFoundError:
            raise PublishError(f"{str(f.source)!r} disappeared since the publish plan was made; plan again.") from None
        if (size, sha256) != (f.size, f.sha256):
            raise PublishError(f"{str(f.source)!r} changed since the publish plan was made (sha256 {sha256}, planned "
                               f"{f.sha256}); plan again (run the dry run again to see the new plan).")


def check_existing_tag(plan: PublishPlan, commit: str, differ: int, extra: int) -> None:
    """The plan's tag exists at ``commit`` with other content: refused unless ``plan.force``."""
    if not plan.force:
        raise PublishError(
            f"tag {plan.tag} already exists in {plan.repo_id} at commit {commit[:12]}, with other content ({differ} "
            f"file(s) differ, {extra} extra). Published revisions are pinned by users: bump the version "
            "(DATASET_VERSION, cards/CHANGELOG.md, rebuild), or pass --force to move the tag.")


def check_no_newer_version(plan: PublishPlan, tags: dict[str, str] | set[str]) -> None:
    """Refuse (unless ``plan.force``) to tag a version below one the target already has."""
    mine = version_key(plan.tag or "")
    if mine is None or plan.force:
        return
    newer = sorted((t for t in tags if (version_key(t) or (0, 0, 0)) > mine), key=version_key)
    if newer:
        raise PublishError(
            f"{plan.repo_id} already has a newer version ({', '.join(newer)}); publishing {plan.tag} would "
            f"make {plan.branch} (what users get without revision=) serve older data. Publish a version above "
            f"{newer[-1]}, or pass --force to publish {plan.tag} anyway.")


__all__ = ["check_existing_tag", "check_no_newer_version", "verify_sources"]
