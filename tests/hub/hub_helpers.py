"""Shared pieces of the hub tests: a recording fake of ``huggingface_hub.HfApi``, git helpers, the CLI runner.

The fake binds every recorded call against the real ``HfApi`` method signature, so a wrong argument name fails
as it would on the Hub. The git helpers drive a real bare repository made with ``git init --bare``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner
from huggingface_hub import CommitOperationAdd, HfApi, constants
from huggingface_hub.hf_api import CommitInfo, GitRefInfo, GitRefs, RepoFile

from valueportrait.cli.main import cli
from valueportrait.dataset import DATASET_VERSION

FAKE_TOKEN = "hf_" + "FAKEtokenNeverToBeSeen0123456789abcdef"  # built, so no token-shaped literal is committed
ENDPOINT = "https://hub.example.org"


CARD = """---
title: Value Portrait
emoji: 🧭
colorFrom: blue
colorTo: green
sdk: docker
app_port: 7860
pinned: false
tags:
- evaluate
- metric
description: >-
  Value portraits of language models (Han et al., ACL 2025).
---

# Metric Card for Value Portrait
"""


def make_metric_dir(tmp_path: Path) -> Path:
    """A small folder shaped like metric/: card, Dockerfile, app, requirements, the script, a helper module,
    __init__.py."""
    d = tmp_path / "metric"
    d.mkdir()
    (d / "README.md").write_text(CARD, encoding="utf-8")
    (d / "Dockerfile").write_text('FROM python:3.11-slim\nCOPY . .\nRUN pip install -r requirements.txt\n'
                                  'CMD ["python", "app.py"]\n')
    (d / "app.py").write_text("import evaluate\nprint(evaluate.load('my-org/valueportrait'))\n")
    (d / "requirements.txt").write_text("evaluate>=0.4.3\nvalueportrait\n")
    (d / "metric.py").write_text("import evaluate\nfrom .helpers import f\n")
    (d / "helpers.py").write_text("def f():\n    return 1\n")
    (d / "__init__.py").write_text("")
    return d


# The dataset version a build stamps today, and two others the version tests need: the next minor release (a
# newer build) and the next patch of today's version (older than NEXT). Read from the package, never pinned.
V = DATASET_VERSION
_MAJOR, _MINOR, _PATCH = map(int, V.split("."))
NEXT = f"{_MAJOR}.{_MINOR + 1}.0"
PATCHED = f"{_MAJOR}.{_MINOR}.{_PATCH + 1}"


def pkg_version() -> str:
    from valueportrait import __version__

    return __version__


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def bare_repo(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "remote" / "valueportrait.git"
    path.parent.mkdir(parents=True)
    git("init", "--bare", "--quiet", str(path))
    return path, path.as_uri()


def clone_at(url: str, ref: str, dest: Path) -> Path:
    git("clone", "--quiet", "--branch", ref, url, str(dest))
    return dest


def tree_fingerprints(folder: Path) -> dict[str, tuple[int, str]]:
    """(size, sha256) of every file under ``folder`` but .git, computed here independently with hashlib."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] != ".git":
            out[rel.as_posix()] = (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def published_card(folder: Path, repo_id: str, tag: str) -> bytes:
    """The folder's card as a Hub publish renders it, written out here by hand: each ``load_dataset`` of the
    built card's usage snippets names the repo and pins the tag; the note about the local folder says so."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    for config in ("items", "human_ratings", "human_group_norms"):
        text = text.replace(f'load_dataset("valueportrait", "{config}", split="test")',
                            f'load_dataset("{repo_id}", "{config}", split="test", revision="{tag}")')
    text = text.replace(
        '(`"valueportrait"` is the folder written by `valueportrait build --out ./valueportrait`, or the Hub repo id '
        'it\nwas published under.)',
        f"(Revision `{tag}` of `{repo_id}`: pinned, so the numbers never change under you; without `revision=` you "
        "get `main`, the newest version.)")
    return text.encode("utf-8")


def hub_fingerprints(folder: Path, repo_id: str, tag: str) -> dict[str, tuple[int, str]]:
    """:func:`tree_fingerprints` of the folder as published to a Hub repo (the card rendered for it)."""
    card = published_card(folder, repo_id, tag)
    return {**tree_fingerprints(folder), "README.md": (len(card), hashlib.sha256(card).hexdigest())}


def copy_folder(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def _commit_info(repo_id, oid, commit_message, commit_description):
    """The CommitInfo the Hub answers a commit with (publish reads only its ``oid``).

    huggingface_hub >= 1.3 parses ``repo_url`` against the ``_endpoint`` it is given; older releases have no
    such field and parse against the default endpoint, so there the URL is built on that one.
    """
    if "_endpoint" in {f.name for f in dataclasses.fields(CommitInfo)}:
        return CommitInfo(commit_url=f"{ENDPOINT}/datasets/{repo_id}/commit/{oid}", commit_message=commit_message,
                          commit_description=commit_description, oid=oid, _endpoint=ENDPOINT)
    return CommitInfo(commit_url=f"{constants.ENDPOINT}/datasets/{repo_id}/commit/{oid}",
                      commit_message=commit_message, commit_description=commit_description, oid=oid)


class FakeHub:
    """An in-memory Hub speaking HfApi's methods: repos, commits of files, branch main, tags.

    Like the Hub, a new repo starts with one commit holding ``.gitattributes``, and ``*.parquet`` files are
    stored in LFS (``list_repo_tree`` gives their sha256) while others report only their git blob id.
    """

    def __init__(self):
        self.calls: list[tuple[str, tuple, dict]] = []
        self.repos: dict[tuple[str, str], dict] = {}
        self.n = 0

    def _record(self, name, args, kwargs):
        inspect.signature(getattr(HfApi, name)).bind(None, *args, **kwargs)  # the real signature accepts it
        self.calls.append((name, args, kwargs))

    def _new_commit(self, repo, files, message):
        self.n += 1
        oid = hashlib.sha1(f"commit{self.n}".encode()).hexdigest()
        repo["commits"][oid] = dict(files)
        repo["branches"]["main"] = oid
        repo["messages"][oid] = message
        return oid

    def calls_named(self, name):
        return [(a, k) for n, a, k in self.calls if n == name]

    # -- HfApi methods (same signatures, keyword-only where HfApi has them) ---------------------------------
    def repo_exists(self, repo_id, *, repo_type=None, token=None):
        self._record("repo_exists", (repo_id,), {"repo_type": repo_type})
        return (repo_id, repo_type) in self.repos

    def create_repo(self, repo_id, *, token=None, private=None, repo_type=None, exist_ok=False, space_sdk=None, **kw):
        self._record("create_repo", (repo_id,), {"private": private, "repo_type": repo_type, "exist_ok": exist_ok,
                                                  "space_sdk": space_sdk, **kw})
        repo = {"commits": {}, "branches": {}, "tags": {}, "messages": {}}
        self.repos[(repo_id, repo_type)] = repo
        attrs = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
        self._new_commit(repo, {".gitattributes": attrs}, "initial commit")

    def list_repo_refs(self, repo_id, *, repo_type=None, include_pull_requests=False, token=None):
        self._record("list_repo_refs", (repo_id,), {"repo_type": repo_type})
        repo = self.repos[(repo_id, repo_type)]
        return GitRefs(branches=[GitRefInfo(name=b, ref=f"refs/heads/{b}", target_commit=c) for b, c in repo["branches"].items()],
                       converts=[], tags=[GitRefInfo(name=t, ref=f"refs/tags/{t}", target_commit=c) for t, c in repo["tags"].items()])

    def list_repo_tree(self, repo_id, path_in_repo=None, *, recursive=False, expand=False, revision=None,
                       repo_type=None, token=None):
        self._record("list_repo_tree", (repo_id,), {"recursive": recursive, "revision": revision, "repo_type": repo_type})
        repo = self.repos[(repo_id, repo_type)]
        commit = repo["branches"].get(revision) or repo["tags"].get(revision) or revision
        out = []
        for path, content in sorted(repo["commits"][commit].items()):
            blob = hashlib.sha1(f"blob {len(content)}\0".encode() + content).hexdigest()
            lfs = ({"size": len(content), "oid": hashlib.sha256(content).hexdigest(), "pointerSize": 134}
                   if path.endswith(".parquet") else None)
            out.append(RepoFile(path=path, size=len(content), oid="0" * 40 if lfs else blob, lfs=lfs))
        return out

    def create_commit(self, repo_id, operations, *, commit_message, commit_description=None, token=None,
                      repo_type=None, revision=None, create_pr=None, num_threads=5, parent_commit=None, **kw):
        operations = list(operations)
        self._record("create_commit", (repo_id, operations), {
            "commit_message": commit_message, "commit_description": commit_description, "repo_type": repo_type,
            "revision": revision, "parent_commit": parent_commit})
        repo = self.repos[(repo_id, repo_type)]
        assert parent_commit == repo["branches"][revision]  # what the Hub checks with parent_commit
        files = dict(repo["commits"][parent_commit])
        for op in operations:
            if isinstance(op, CommitOperationAdd):
                files[op.path_in_repo] = (op.path_or_fileobj if isinstance(op.path_or_fileobj, bytes)
                                          else Path(op.path_or_fileobj).read_bytes())
            else:
                files.pop(op.path_in_repo)
        oid = self._new_commit(repo, files, commit_message + "\n\n" + (commit_description or ""))
        return _commit_info(repo_id, oid, commit_message, commit_description or "")

    def create_tag(self, repo_id, *, tag, tag_message=None, revision=None, token=None, repo_type=None, exist_ok=False):
        self._record("create_tag", (repo_id,), {"tag": tag, "tag_message": tag_message, "revision": revision,
                                                 "repo_type": repo_type})
        repo = self.repos[(repo_id, repo_type)]
        assert tag not in repo["tags"]  # the Hub answers 409 Conflict
        repo["tags"][tag] = revision

    def delete_tag(self, repo_id, *, tag, token=None, repo_type=None):
        self._record("delete_tag", (repo_id,), {"tag": tag, "repo_type": repo_type})
        del self.repos[(repo_id, repo_type)]["tags"][tag]
