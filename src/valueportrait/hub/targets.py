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
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from ..errors import PublishError
from ..secrets import scrub
from . import checks
from .plan import BRANCH, PlannedFile, PublishPlan

#: Files of the remote repo that a publish never deletes (the Hub maintains the LFS rules in it).
KEPT_REMOTE_FILES = frozenset({".gitattributes"})
#: Author of git-target commits and tags when the user's git config names none (set in the temp clone only).
GIT_FALLBACK_IDENTITY = ("valueportrait publish", "valueportrait-publish@localhost")


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


def execute(plan: PublishPlan, target: Any) -> PublishResult:
    """Make ``target``'s branch hold exactly ``plan.files`` and tag it.

    A tag that already names exactly these files means the version is published: nothing is done (``main`` is
    not touched either, so re-running an old publish never rolls ``main`` back). Every refusal (a source file
    changed since planning; the tag exists at other content; a newer version is already tagged) happens before
    anything is written, and ``force`` overrides the last two.
    """
    checks.verify_sources(plan)
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
                checks.check_existing_tag(plan, tags[plan.tag], len(tag_adds), len(tag_deletes))
                tag_action = "moved"
            else:
                tag_action = "created"
            checks.check_no_newer_version(plan, tags)
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


class HubTarget:
    """A repo on the Hugging Face Hub, through an ``HfApi``-like object (injectable for tests)."""

    def __init__(self, plan: PublishPlan, api: Any):
        self.plan = plan
        self.api = api
        self.repo_id = plan.repo_id
        self.repo_type = plan.repo_type

    def __enter__(self) -> HubTarget:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def ensure_repo(self) -> bool:
        if self.api.repo_exists(self.repo_id, repo_type=self.repo_type):
            return False
        kwargs: dict[str, Any] = {"repo_type": self.repo_type, "exist_ok": True, "private": self.plan.private}
        if self.plan.space_sdk:
            kwargs["space_sdk"] = self.plan.space_sdk
        self.api.create_repo(self.repo_id, **kwargs)
        return True

    def refs(self) -> tuple[dict[str, str], dict[str, str]]:
        refs = self.api.list_repo_refs(self.repo_id, repo_type=self.repo_type)
        return ({b.name: b.target_commit for b in refs.branches}, {t.name: t.target_commit for t in refs.tags})

    def files(self, revision: str) -> dict[str, RemoteFile]:
        out = {}
        for entry in self.api.list_repo_tree(self.repo_id, recursive=True, revision=revision, repo_type=self.repo_type):
            if hasattr(entry, "blob_id"):  # RepoFile; RepoFolder entries have no blob
                lfs = getattr(entry, "lfs", None)
                out[entry.path] = RemoteFile(path=entry.path, size=entry.size, git_blob=entry.blob_id,
                                             sha256=lfs.sha256 if lfs is not None else None)
        return out

    def commit(self, plan: PublishPlan, adds: list[PlannedFile], deletes: list[str], parent: str | None) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        ops: list[Any] = [CommitOperationAdd(path_in_repo=f.path,
                                                path_or_fileobj=str(f.source) if f.content is None else f.content) for f in adds]
        ops += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        info = self.api.create_commit(self.repo_id, ops, commit_message=plan.commit_title,
                                      commit_description=plan.commit_description, repo_type=self.repo_type,
                                      revision=plan.branch, parent_commit=parent)
        return info.oid

    def tag(self, tag: str, message: str | None, commit: str, *, replace: bool) -> None:
        if replace:
            self.api.delete_tag(self.repo_id, tag=tag, repo_type=self.repo_type)
        self.api.create_tag(self.repo_id, tag=tag, tag_message=message, revision=commit, repo_type=self.repo_type)


class GitTarget:
    """A git repository at a ``file://`` URL, driven with the git CLI through a temporary clone.

    Same semantics as the Hub: the repo is created (``git init --bare``) if missing; one commit on ``main``
    per publish, none when nothing differs; annotated tags, moved only on ``replace``.
    """

    def __init__(self, url: str):
        self.url = url
        self.path = Path(unquote(urlsplit(url).path))
        self.work: Path | None = None
        self._tmp: str | None = None

    # -- git plumbing ---------------------------------------------------------------------------------
    def _git(self, *args: str, cwd: Path | None = None, input: str | None = None, check: bool = True) -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        proc = subprocess.run(["git", *args], cwd=cwd or self.work, input=input, capture_output=True, text=True,
                              env=env)
        if check and proc.returncode != 0:
            said = scrub(proc.stderr.strip() or proc.stdout.strip())
            raise PublishError(f"git {' '.join(args[:2])} failed on {scrub(self.url)} (exit {proc.returncode}): {said}")
        return proc.stdout

    def __enter__(self) -> GitTarget:
        if shutil.which("git") is None:
            raise PublishError("the git target needs the git command line tool; install git.")
        self._tmp = tempfile.mkdtemp(prefix="valueportrait-publish-")
        return self

    def __exit__(self, *exc) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp, self.work = None, None

    # -- target interface ------------------------------------------------------------------------------
    def ensure_repo(self) -> bool:
        created = False
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet", "--initial-branch", BRANCH, str(self.path), cwd=self.path.parent)
            created = True
        elif not (self.path / "HEAD").is_file() and not (self.path / ".git").exists():
            raise PublishError(f"{str(self.path)!r} exists but is not a git repository; give the URL of a "
                               "repository (e.g. made with `git init --bare`) or of a path that does not exist yet.")
        self.work = Path(self._tmp) / "clone"
        self._git("clone", "--quiet", "--no-checkout", self.url, str(self.work), cwd=Path(self._tmp))
        name, email = GIT_FALLBACK_IDENTITY
        if not self._git("config", "--get", "user.name", check=False).strip():
            self._git("config", "user.name", name)
        if not self._git("config", "--get", "user.email", check=False).strip():
            self._git("config", "user.email", email)
        return created

    def refs(self) -> tuple[dict[str, str], dict[str, str]]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname) %(*objectname)",
                        "refs/remotes/origin", "refs/tags")
        branches, tags = {}, {}
        for line in out.splitlines():
            ref, obj, peeled = (line.split(" ") + [""])[:3]
            if ref.startswith("refs/remotes/origin/") and ref != "refs/remotes/origin/HEAD":
                branches[ref.removeprefix("refs/remotes/origin/")] = obj
            elif ref.startswith("refs/tags/"):
                tags[ref.removeprefix("refs/tags/")] = peeled or obj
        return branches, tags

    def files(self, revision: str) -> dict[str, RemoteFile]:
        out = {}
        for rec in self._git("ls-tree", "-r", "-l", "-z", "--full-tree", revision).split("\0"):
            if not rec:
                continue
            meta, path = rec.split("\t", 1)
            _mode, kind, blob, size = meta.split()
            if kind == "blob":
                out[path] = RemoteFile(path=path, size=int(size), git_blob=blob)
        return out

    def commit(self, plan: PublishPlan, adds: list[PlannedFile], deletes: list[str], parent: str | None) -> str:
        work = self.work
        if parent:
            self._git("checkout", "--quiet", "-B", plan.branch, parent)
        else:
            self._git("symbolic-ref", "HEAD", f"refs/heads/{plan.branch}")
        for p in deletes:
            self._git("rm", "--quiet", "--cached", "--ignore-unmatch", "--", p)
        for f in adds:
            dest = work / f.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            if f.content is None:
                shutil.copyfile(f.source, dest)
            else:
                dest.write_bytes(f.content)
            self._git("add", "--", f.path)
        self._git("commit", "--quiet", "--no-verify", "-F", "-", input=plan.commit_message)
        commit = self._git("rev-parse", "HEAD").strip()
        # What will be pushed must be exactly the plan (guards against a file changing during the copy).
        adds_now, deletes_now = diff(plan, self.files(commit))
        if adds_now or deletes_now:
            raise PublishError(f"the commit prepared for {self.url} differs from the plan "
                               f"({', '.join([f.path for f in adds_now] + deletes_now)}); nothing was pushed. "
                               "Plan again.")
        remote_was_empty = parent is None and not self.refs()[0]
        self._git("push", "--quiet", "origin", f"HEAD:refs/heads/{plan.branch}")
        if remote_was_empty and (self.path / "HEAD").is_file():
            # A fresh bare repo may default to another branch name; make main its default, as on the Hub.
            self._git("symbolic-ref", "HEAD", f"refs/heads/{plan.branch}", cwd=self.path)
        return commit

    def tag(self, tag: str, message: str | None, commit: str, *, replace: bool) -> None:
        self._git("tag", "--annotate", *(["--force"] if replace else []), "-m", message or tag, tag, commit)
        self._git("push", "--quiet", *(["--force"] if replace else []), "origin", f"refs/tags/{tag}")


__all__ = ["GIT_FALLBACK_IDENTITY", "KEPT_REMOTE_FILES", "GitTarget", "HubTarget", "PublishResult", "RemoteFile",
           "diff", "execute", "hf_api", "make_target", "publish", "remote_errors", "remote_failure", "resolve_token",
           "token_source"]
