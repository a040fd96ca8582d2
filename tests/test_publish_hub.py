"""The huggingface_hub calls of a publish, without network: a recording fake with HfApi's real signatures.

Every recorded call is also bound against the real ``huggingface_hub.HfApi`` method signature, so a wrong
argument name fails here as it would on the Hub.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, constants
from huggingface_hub.hf_api import CommitInfo, GitRefInfo, GitRefs, RepoFile

from valueportrait import publish as core
from valueportrait.cli.main import cli
from valueportrait.errors import PublishError

FAKE_TOKEN = "hf_" + "FAKEtokenNeverToBeSeen0123456789abcdef"  # built, so no token-shaped literal is committed
ENDPOINT = "https://hub.example.org"


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
                files[op.path_in_repo] = Path(op.path_or_fileobj).read_bytes()
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


@pytest.fixture
def hub(monkeypatch):
    """A FakeHub that the CLI gets instead of HfApi; records the (endpoint, token) it was made with."""
    fake = FakeHub()
    fake.made_with = []

    def factory(endpoint, token):
        fake.made_with.append((endpoint, token))
        return fake

    monkeypatch.setattr(core, "hf_api", factory)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    return fake


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_first_publish_calls(hub, built_dataset):
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0",
                 "--endpoint", ENDPOINT)
    assert res.exit_code == 0, res.output
    assert hub.made_with == [(ENDPOINT, FAKE_TOKEN)]  # the token reaches HfApi ...
    assert FAKE_TOKEN not in res.output  # ... and nothing else
    plan = core.plan_dataset(built_dataset, "my-org/vp", "1.0.0", endpoint=ENDPOINT)
    repo = hub.repos[("my-org/vp", "dataset")]
    initial = next(iter(repo["commits"]))
    assert [n for n, _, _ in hub.calls] == ["repo_exists", "create_repo", "list_repo_refs", "list_repo_tree",
                                            "create_commit", "create_tag"]
    assert hub.calls_named("create_repo") == [(("my-org/vp",), {"private": None, "repo_type": "dataset",
                                                                "exist_ok": True, "space_sdk": None})]
    assert hub.calls_named("list_repo_tree") == [(("my-org/vp",), {"recursive": True, "revision": initial,
                                                                   "repo_type": "dataset"})]
    (args, kwargs), = hub.calls_named("create_commit")
    assert kwargs == {"commit_message": "Value Portrait dataset v1.0.0 (upstream 08e1fb7)",
                      "commit_description": plan.commit_description, "repo_type": "dataset", "revision": "main",
                      "parent_commit": initial}
    assert "Upstream: https://github.com/holi-lab/ValuePortrait@08e1fb7903c619592bd8b3267f00191e36957f9e" in kwargs["commit_description"]
    assert "Selection: alpha=0.05, correction=none, correlations=published, mode=pos, threshold=0.3" in kwargs["commit_description"]
    ops = args[1]
    assert all(isinstance(op, CommitOperationAdd) for op in ops)
    assert sorted(op.path_in_repo for op in ops) == sorted(f.path for f in plan.files)
    assert {op.path_in_repo: Path(op.path_or_fileobj) for op in ops} == {f.path: f.source for f in plan.files}
    new = repo["branches"]["main"]
    assert hub.calls_named("create_tag") == [(("my-org/vp",), {"tag": "v1.0.0", "tag_message": plan.tag_message,
                                                               "revision": new, "repo_type": "dataset"})]
    assert repo["tags"] == {"v1.0.0": new}
    assert res.output.splitlines()[1:] == [
        "Created the dataset repo my-org/vp.",
        f"Committed {new[:12]} to main: 'Value Portrait dataset v1.0.0 (upstream 08e1fb7)' (8 file(s) uploaded, 0 removed).",
        f"Tagged {new[:12]} as v1.0.0.",
    ]
    # The Hub now holds exactly the planned bytes, plus its .gitattributes.
    held = repo["commits"][new]
    assert {p: hashlib.sha256(c).hexdigest() for p, c in held.items() if p != ".gitattributes"} == {
        f.path: f.sha256 for f in plan.files}


def test_republish_is_idempotent_and_a_changed_build_needs_force(hub, built_dataset, tmp_path):
    args = ["publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0"]
    invoke(*args)
    repo = hub.repos[("my-org/vp", "dataset")]
    first = repo["branches"]["main"]
    hub.calls.clear()
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    assert hub.calls == [("repo_exists", ("my-org/vp",), {"repo_type": "dataset"}),
                         ("list_repo_refs", ("my-org/vp",), {"repo_type": "dataset"}),
                         ("list_repo_tree", ("my-org/vp",), {"recursive": True, "revision": first, "repo_type": "dataset"})]
    assert res.output.splitlines()[1:] == [
        f"Already published: tag v1.0.0 names exactly these 8 files (commit {first[:12]}); nothing to do."]

    changed = Path(shutil.copytree(built_dataset, tmp_path / "changed"))
    with (changed / "README.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA fixed typo.\n")
    (changed / "extra.txt").write_text("x\n")
    hub.calls.clear()
    res = invoke("publish", "--dataset", str(changed), "--repo-id", "my-org/vp", "--version", "1.0.0")
    assert res.exit_code == 1
    assert "Error: tag v1.0.0 already exists in my-org/vp" in res.output
    assert not hub.calls_named("create_commit") and not hub.calls_named("create_tag")

    hub.calls.clear()
    res = invoke("publish", "--dataset", str(changed), "--repo-id", "my-org/vp", "--version", "1.0.0", "--force")
    assert res.exit_code == 0, res.output
    (cargs, ckw), = hub.calls_named("create_commit")
    assert sorted(op.path_in_repo for op in cargs[1]) == ["README.md", "extra.txt"]  # only what changed is sent
    assert ckw["parent_commit"] == first
    new = repo["branches"]["main"]
    assert [n for n, _, _ in hub.calls][-2:] == ["delete_tag", "create_tag"]
    assert hub.calls_named("delete_tag") == [(("my-org/vp",), {"tag": "v1.0.0", "repo_type": "dataset"})]
    assert repo["tags"]["v1.0.0"] == new

    # Publishing the original folder again deletes the extra file (and keeps .gitattributes).
    hub.calls.clear()
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0", "--force")
    (cargs, _), = hub.calls_named("create_commit")
    assert [(type(op).__name__, op.path_in_repo) for op in cargs[1]] == [
        ("CommitOperationAdd", "README.md"), ("CommitOperationDelete", "extra.txt")]
    assert ".gitattributes" in repo["commits"][repo["branches"]["main"]]


def test_no_token_is_a_clear_error(built_dataset, monkeypatch):
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0")
    assert res.exit_code == 1
    assert res.output.splitlines()[-1] == (
        "Error: no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access to the repo's "
        "namespace). The token is never printed or written.")
    dry = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0", "--dry-run")
    assert dry.exit_code == 0
    assert dry.output.splitlines()[-1] == "Token:   none found; the real publish needs HF_TOKEN or `hf auth login`"


def test_endpoint_from_env_and_credentials_in_it_are_redacted(hub, built_dataset, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "https://user:s3cret@hub.example.org")
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0",
                 "--dry-run")
    assert res.output.splitlines()[1] == "Target:  Hub dataset repo my-org/vp at https://***@hub.example.org, branch main"
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0",
                 "--dry-run", "--json")
    assert json.loads(res.output)["endpoint"] == "https://***@hub.example.org"
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0")
    assert hub.made_with == [("https://user:s3cret@hub.example.org", FAKE_TOKEN)]


def test_private_flag_reaches_create_repo(hub, built_dataset):
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0", "--private")
    assert hub.calls_named("create_repo")[0][1]["private"] is True


def test_hf_api_is_built_with_endpoint_and_token():
    api = core.hf_api(ENDPOINT, FAKE_TOKEN)
    assert isinstance(api, HfApi)
    assert (api.endpoint, api.token, api.library_name) == (ENDPOINT, FAKE_TOKEN, "valueportrait")


def test_execute_with_injected_api_directly(built_dataset):
    hub = FakeHub()
    plan = core.plan_dataset(built_dataset, "my-org/vp", "1.0.0")
    result = core.publish(plan, api=hub)
    assert result.committed and result.tag_action == "created" and result.repo_created
    assert len(result.added) == 8 and result.deleted == []  # README.md, build_info.json, 6 config parquet files
    with pytest.raises(PublishError, match="already exists"):
        core.publish(core.plan_dataset(built_dataset, "my-org/vp", "1.0.0"), api=_with_other_tag(hub))


def _with_other_tag(hub: FakeHub) -> FakeHub:
    repo = hub.repos[("my-org/vp", "dataset")]
    repo["tags"]["v1.0.0"] = next(iter(repo["commits"]))  # point the tag at the initial commit
    return hub


def test_commit_operations_are_real_huggingface_hub_objects(hub, built_dataset):
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", "1.0.0")
    (args, _), = hub.calls_named("create_commit")
    assert all(type(op) in (CommitOperationAdd, CommitOperationDelete) for op in args[1])
