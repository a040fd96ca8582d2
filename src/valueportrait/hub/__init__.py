"""Publish a built dataset folder as a tagged Hub dataset revision, and the evaluate metric as a Space.

Publishing is two steps with one object between them:

1. :func:`plan_dataset` / :func:`plan_metric` (:mod:`.plan`, with the checks of :mod:`.checks`) read the
   local folder, check it (version, changelog, card) and return a :class:`PublishPlan`: every file with its
   size and sha256, the commit message, the tag. Nothing is sent anywhere; ``--dry-run`` prints this object.
2. :func:`publish` / :func:`execute` (:mod:`.targets`) make a target's branch ``main`` hold exactly the plan's
   files (commit only if something differs; ``.gitattributes`` is kept), then tag the commit. A tag that
   already names exactly these files means there is nothing to do. It refuses to move an existing tag, or to
   publish below an existing newer version, unless the plan says ``force``; and it checks that no file changed
   since planning, so a dry run is exact by construction.

Targets: :class:`HubTarget` (``huggingface_hub.HfApi``) for ``ORG/NAME`` repo ids, :class:`GitTarget` (the
git CLI) for a ``file://`` URL of a git repository. The token is passed to ``HfApi`` and nowhere else, and a
remote's error text is scrubbed of secrets (:func:`valueportrait.secrets.scrub`) before it is shown.

:func:`publish_dataset` / :func:`publish_metric` (:mod:`.publication`) are the one call of the CLI commands:
plan, then execute unless it is a dry run.
"""

from __future__ import annotations

from .checks import check_dataset_card, check_metric_card, check_repo_id
from .guards import verify_sources
from .plan import PlannedFile, PublishPlan, default_metric_dir, fingerprint, plan_dataset, plan_metric
from .publication import Publication, publish_dataset, publish_metric
from .git_target import GitTarget
from .hub_target import HubTarget
from .remote import RemoteFile, diff
from .targets import PublishResult, execute, make_target, publish, resolve_token, token_source

__all__ = ["GitTarget", "HubTarget", "PlannedFile", "PublishPlan", "PublishResult", "Publication", "RemoteFile",
           "check_dataset_card", "check_metric_card", "check_repo_id", "default_metric_dir", "diff", "execute",
           "fingerprint", "make_target", "plan_dataset", "plan_metric", "publish", "publish_dataset",
           "publish_metric", "resolve_token", "token_source", "verify_sources"]
