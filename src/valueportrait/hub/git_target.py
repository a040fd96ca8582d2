"""A publish target that is a git repository at a ``file://`` URL (:class:`GitTarget`), driven with the git CLI;
what a Hub repo is underneath, and what the tests publish to."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import PublishError
from ..secrets import scrub
from ..staging import scratch_folder
from .plan import BRANCH, PlannedFile, PublishPlan
from .remote import RemoteFile, diff

#: The system temp folder's ``<prefix><pid>-*`` scratch folders of a git target's clone.
SCRATCH_PREFIX = "valueportrait-publish-"

#: Author of git-target commits and tags when the user's git config names none (set in the temp clone only).
GIT_FALLBACK_IDENTITY = ("valueportrait publish", "valueportrait-publish@localhost")


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
        # the clone's scratch folder carries this pid: clones leaked by a killed publish are removed here
        self._tmp = str(scratch_folder(SCRATCH_PREFIX))
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


__all__ = ["GIT_FALLBACK_IDENTITY", "GitTarget"]
