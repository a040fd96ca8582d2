"""Step 2 of a publish: make a target's branch hold exactly a plan's files, then tag it.

Two targets share one interface (``ensure_repo``, ``refs``, ``files``, ``commit``, ``tag``) and one
:func:`execute`: :class:`HubTarget` (``huggingface_hub.HfApi``: ``create_repo``, ``create_commit``,
``create_tag``) for ``ORG/NAME`` repo ids, and :class:`GitTarget` (the git CLI) for a ``file://`` URL of a git
repository, which is what a Hub repo is underneath; the tests publish to it.

The token comes from ``HF_TOKEN`` or the huggingface_hub login (:func:`huggingface_hub.get_token`). It is
passed to ``HfApi`` and nowhere else: never printed, logged, put in a plan, a commit or a file. An error from
the Hub or a git remote (which may echo the token or a URL's credentials) becomes a :class:`PublishError`
whose text went through :func:`valueportrait.secrets.scrub`; no raw HTTP or connection traceback escapes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import PublishError
from ..secrets import scrub
from . import guards
from .git_target import GitTarget
from .hub_target import HubTarget
from .plan import PublishPlan
from .remote import diff



@dataclass
class PublishResult:
    """What :func:`execute` did."""

    repo_created: bool
    commit: str  #: the commit the branch (and the tag) point at
    committed: bool  #: False when the branch already held the plan's files
    added: list[str] = field(default_factory=list)  #: files uploaded (new or changed)
    deleted: list[str] = field(default_factory=list)  #: remote files removed
    tag_action: Literal["created", "moved", "unchanged"] | None = None  #: "unchanged": already published

    def to_dict(self) -> dict[str, Any]:
        return {"repo_created": self.repo_created, "commit": self.commit, "committed": self.committed,
                "added": self.added, "deleted": self.deleted, "tag_action": self.tag_action}

    def render(self, plan: PublishPlan) -> str:
        out = []
        if self.repo_created:
            out.append(f"Created the {plan.repo_type} repo {plan.repo_id}.")
        if self.tag_action == "unchanged":
            out.append(f"Already published: tag {plan.tag} names exactly these {len(plan.files)} files "
                       f"(commit {self.commit[:12]}); nothing to do.")
            return "\n".join(out)
        if self.committed:
            out.append(f"Committed {self.commit[:12]} to {plan.branch}: {plan.commit_title!r} "
                       f"({len(self.added)} file(s) uploaded, {len(self.deleted)} removed).")
        else:
            out.append(f"No changes: {plan.branch} already holds these {len(plan.files)} files at "
                       f"{self.commit[:12]}; no commit made.")
        if self.tag_action == "created":
            out.append(f"Tagged {self.commit[:12]} as {plan.tag}.")
        elif self.tag_action == "moved":
            out.append(f"Moved tag {plan.tag} to {self.commit[:12]} (--force).")
        return "\n".join(out)


def execute(plan: PublishPlan, target: Any) -> PublishResult:
    """Make ``target``'s branch hold exactly ``plan.files`` and tag it.

    A tag that already names exactly these files means the version is published: nothing is done (``main`` is
    not touched either, so re-running an old publish never rolls ``main`` back). Every refusal (a source file
    changed since planning; the tag exists at other content; a newer version is already tagged) happens before
    anything is written, and ``force`` overrides the last two.
    """
    guards.verify_sources(plan)
    with target:
        created = target.ensure_repo()
        branches, tags = target.refs()
        head = branches.get(plan.branch)
        tag_action = None
        if plan.tag:
            if plan.tag in tags:
                tag_adds, tag_deletes = diff(plan, target.files(tags[plan.tag]))
                if not tag_adds and not tag_deletes:
                    return PublishResult(repo_created=created, commit=tags[plan.tag], committed=False,
                                         tag_action="unchanged")
                guards.check_existing_tag(plan, tags[plan.tag], len(tag_adds), len(tag_deletes))
                tag_action = "moved"
            else:
                tag_action = "created"
            guards.check_no_newer_version(plan, tags)
        adds, deletes = diff(plan, target.files(head) if head else {})
        committed = bool(adds or deletes)
        commit = target.commit(plan, adds, deletes, parent=head) if committed else head
        if tag_action is not None:
            target.tag(plan.tag, plan.tag_message, commit, replace=tag_action == "moved")
    return PublishResult(repo_created=created, commit=commit, committed=committed, added=[f.path for f in adds],
                         deleted=deletes, tag_action=tag_action)


# --------------------------------------------------------------------------------------------------------
# Tokens and the Hub client
# --------------------------------------------------------------------------------------------------------
def token_source() -> str | None:
    """Where a Hub token would come from (``HF_TOKEN`` or ``huggingface_hub login``), or None. Never the token."""
    if os.environ.get("HF_TOKEN"):
        return "HF_TOKEN"
    from huggingface_hub import get_token

    return "huggingface_hub login" if get_token() else None


def resolve_token() -> str:
    """The Hub token from ``HF_TOKEN`` or the huggingface_hub login; :class:`PublishError` if there is none."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access "
                           "to the repo's namespace). The token is never printed or written.")
    return token


def hf_api(endpoint: str | None, token: str | None) -> Any:
    """An authenticated :class:`huggingface_hub.HfApi` (``token`` from :func:`resolve_token`)."""
    from huggingface_hub import HfApi

    from .. import __version__

    return HfApi(endpoint=endpoint, token=token, library_name="valueportrait", library_version=__version__)


def remote_errors() -> tuple[type[BaseException], ...]:
    """The exception types a remote call raises: huggingface_hub's HTTP errors, its transport's (httpx,
    httpx2 or requests: whichever is loaded, since only a loaded one can have raised) and OS errors
    (connections, git)."""
    from huggingface_hub.errors import HfHubHTTPError

    found: list[type[BaseException]] = [HfHubHTTPError, OSError]
    for module, name in (("httpx", "HTTPError"), ("httpx2", "HTTPError"), ("requests", "RequestException")):
        error = getattr(sys.modules.get(module), name, None)
        if isinstance(error, type) and issubclass(error, BaseException):
            found.append(error)
    return tuple(found)


def remote_failure(plan: PublishPlan, exc: BaseException, *secrets: str | None) -> PublishError:
    """The :class:`PublishError` for a remote's HTTP or connection error, with every secret scrubbed."""
    detail = " ".join(scrub(f"{type(exc).__name__}: {exc}", *secrets).split())  # one line
    return PublishError(f"publishing to {plan.where()} failed: {detail}. Check the endpoint, the network and the "
                        "token's write access, then run the same publish again (files already there are not sent "
                        "twice).")


# --------------------------------------------------------------------------------------------------------
# The targets
# --------------------------------------------------------------------------------------------------------
def make_target(plan: PublishPlan, *, token: str | None = None, api: Any = None) -> Any:
    """The target a plan publishes to: :class:`GitTarget` for ``file://`` ids, else :class:`HubTarget`."""
    if plan.target_kind == "git":
        return GitTarget(plan.repo_id)
    return HubTarget(plan, api=api if api is not None else hf_api(plan.endpoint, token))


def publish(plan: PublishPlan, *, token: str | None = None, api: Any = None) -> PublishResult:
    """Execute ``plan`` on its target (the Hub needs ``token`` or ``api``; the git target needs neither).

    Raises :class:`PublishError` for every refusal and every remote failure, with secrets scrubbed.
    """
    if plan.target_kind == "hub" and api is None and token is None:
        token = resolve_token()
    try:
        return execute(plan, make_target(plan, token=token, api=api))
    except PublishError:
        raise
    except remote_errors() as exc:
        error = remote_failure(plan, exc, token)
    raise error  # outside the handler: the original exception (whose text may hold the token) is not chained


__all__ = ["PublishResult", "execute", "hf_api", "make_target", "publish", "remote_errors", "remote_failure",
           "resolve_token", "token_source"]
