"""Executing a publish on the Hub (valueportrait.hub.targets.HubTarget), without network: the huggingface_hub
calls through a recording fake with HfApi's real signatures (tests/hub/hub_helpers.py), and a real HfApi against
HTTP servers on 127.0.0.1 that fail, echo the token back, or are not there: the error is a PublishError with
every secret scrubbed, never a traceback.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socket
import threading
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from hub_helpers import ENDPOINT, FAKE_TOKEN, V, FakeHub, invoke, make_metric_dir, pkg_version, published_card

from valueportrait import hub as core
from valueportrait.errors import PublishError
from valueportrait.hub import targets


@pytest.fixture
def hub(monkeypatch):
    """A FakeHub that the CLI gets instead of HfApi; records the (endpoint, token) it was made with."""
    fake = FakeHub()
    fake.made_with = []

    def factory(endpoint, token):
        fake.made_with.append((endpoint, token))
        return fake

    monkeypatch.setattr(targets, "hf_api", factory)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    return fake


def test_first_publish_calls(hub, built_dataset):
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V,
                 "--endpoint", ENDPOINT)
    assert res.exit_code == 0, res.output
    assert hub.made_with == [(ENDPOINT, FAKE_TOKEN)]  # the token reaches HfApi ...
    assert FAKE_TOKEN not in res.output  # ... and nothing else
    plan = core.plan_dataset(built_dataset, "my-org/vp", V, endpoint=ENDPOINT)
    repo = hub.repos[("my-org/vp", "dataset")]
    initial = next(iter(repo["commits"]))
    assert [n for n, _, _ in hub.calls] == ["repo_exists", "create_repo", "list_repo_refs", "list_repo_tree",
                                            "create_commit", "create_tag"]
    assert hub.calls_named("create_repo") == [(("my-org/vp",), {"private": None, "repo_type": "dataset",
                                                                "exist_ok": True, "space_sdk": None})]
    assert hub.calls_named("list_repo_tree") == [(("my-org/vp",), {"recursive": True, "revision": initial,
                                                                   "repo_type": "dataset"})]
    (args, kwargs), = hub.calls_named("create_commit")
    assert kwargs == {"commit_message": f"Value Portrait dataset v{V} (upstream 08e1fb7)",
                      "commit_description": plan.commit_description, "repo_type": "dataset", "revision": "main",
                      "parent_commit": initial}
    assert "Upstream: https://github.com/holi-lab/ValuePortrait@08e1fb7903c619592bd8b3267f00191e36957f9e" in kwargs["commit_description"]
    assert "Selection: alpha=0.05, correction=none, correlations=published, mode=pos, scoring=threshold, threshold=0.3" in kwargs["commit_description"]
    ops = args[1]
    assert all(isinstance(op, CommitOperationAdd) for op in ops)
    assert sorted(op.path_in_repo for op in ops) == sorted(f.path for f in plan.files)
    sent = {op.path_in_repo: op.path_or_fileobj for op in ops}
    assert sent.pop("README.md") == published_card(built_dataset, "my-org/vp", f"v{V}")  # rendered for the repo
    assert {k: Path(v) for k, v in sent.items()} == {f.path: f.source for f in plan.files if f.path != "README.md"}
    new = repo["branches"]["main"]
    assert hub.calls_named("create_tag") == [(("my-org/vp",), {"tag": f"v{V}", "tag_message": plan.tag_message,
                                                               "revision": new, "repo_type": "dataset"})]
    assert repo["tags"] == {f"v{V}": new}
    assert res.output.splitlines()[1:] == [
        "Created the dataset repo my-org/vp.",
        f"Committed {new[:12]} to main: 'Value Portrait dataset v{V} (upstream 08e1fb7)' (10 file(s) uploaded, 0 removed).",
        f"Tagged {new[:12]} as v{V}.",
    ]
    # The Hub now holds exactly the planned bytes, plus its .gitattributes.
    held = repo["commits"][new]
    assert {p: hashlib.sha256(c).hexdigest() for p, c in held.items() if p != ".gitattributes"} == {
        f.path: f.sha256 for f in plan.files}


def test_republish_is_idempotent_and_a_changed_build_needs_force(hub, built_dataset, tmp_path):
    args = ["publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V]
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
        f"Already published: tag v{V} names exactly these 10 files (commit {first[:12]}); nothing to do."]

    changed = Path(shutil.copytree(built_dataset, tmp_path / "changed"))
    with (changed / "README.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA fixed typo.\n")
    (changed / "extra.txt").write_text("x\n")
    hub.calls.clear()
    res = invoke("publish", "--dataset", str(changed), "--repo-id", "my-org/vp", "--version", V)
    assert res.exit_code == 1
    assert f"Error: tag v{V} already exists in my-org/vp" in res.output
    assert not hub.calls_named("create_commit") and not hub.calls_named("create_tag")

    hub.calls.clear()
    res = invoke("publish", "--dataset", str(changed), "--repo-id", "my-org/vp", "--version", V, "--force")
    assert res.exit_code == 0, res.output
    (cargs, ckw), = hub.calls_named("create_commit")
    assert sorted(op.path_in_repo for op in cargs[1]) == ["README.md", "extra.txt"]  # only what changed is sent
    assert ckw["parent_commit"] == first
    new = repo["branches"]["main"]
    assert [n for n, _, _ in hub.calls][-2:] == ["delete_tag", "create_tag"]
    assert hub.calls_named("delete_tag") == [(("my-org/vp",), {"tag": f"v{V}", "repo_type": "dataset"})]
    assert repo["tags"][f"v{V}"] == new

    # Publishing the original folder again deletes the extra file (and keeps .gitattributes).
    hub.calls.clear()
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V, "--force")
    (cargs, _), = hub.calls_named("create_commit")
    assert [(type(op).__name__, op.path_in_repo) for op in cargs[1]] == [
        ("CommitOperationAdd", "README.md"), ("CommitOperationDelete", "extra.txt")]
    assert ".gitattributes" in repo["commits"][repo["branches"]["main"]]


def test_no_token_is_a_clear_error(built_dataset, monkeypatch):
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V)
    assert res.exit_code == 1
    assert res.output.splitlines()[-1] == (
        "Error: no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access to the repo's "
        "namespace). The token is never printed or written.")
    dry = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V, "--dry-run")
    assert dry.exit_code == 0
    assert dry.output.splitlines()[-1] == "Token:   none found; the real publish needs HF_TOKEN or `hf auth login`"


def test_endpoint_from_env_and_credentials_in_it_are_redacted(hub, built_dataset, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "https://user:s3cret@hub.example.org")
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V,
                 "--dry-run")
    assert res.output.splitlines()[1] == "Target:  Hub dataset repo my-org/vp at https://***@hub.example.org, branch main"
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V,
                 "--dry-run", "--json")
    assert json.loads(res.output)["endpoint"] == "https://***@hub.example.org"
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V)
    assert hub.made_with == [("https://user:s3cret@hub.example.org", FAKE_TOKEN)]


def test_private_flag_reaches_create_repo(hub, built_dataset):
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V, "--private")
    assert hub.calls_named("create_repo")[0][1]["private"] is True


def test_hf_api_is_built_with_endpoint_and_token():
    api = targets.hf_api(ENDPOINT, FAKE_TOKEN)
    assert isinstance(api, HfApi)
    assert (api.endpoint, api.token, api.library_name) == (ENDPOINT, FAKE_TOKEN, "valueportrait")


def test_execute_with_injected_api_directly(built_dataset):
    hub = FakeHub()
    plan = core.plan_dataset(built_dataset, "my-org/vp", V)
    result = core.publish(plan, api=hub)
    assert result.committed and result.tag_action == "created" and result.repo_created
    assert len(result.added) == 10 and result.deleted == []  # README.md, build_info.json, instrument.yaml, 7 parquet files
    with pytest.raises(PublishError, match="already exists"):
        core.publish(core.plan_dataset(built_dataset, "my-org/vp", V), api=_with_other_tag(hub))


def _with_other_tag(hub: FakeHub) -> FakeHub:
    repo = hub.repos[("my-org/vp", "dataset")]
    repo["tags"][f"v{V}"] = next(iter(repo["commits"]))  # point the tag at the initial commit
    return hub


def test_commit_operations_are_real_huggingface_hub_objects(hub, built_dataset):
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", V)
    (args, _), = hub.calls_named("create_commit")
    assert all(type(op) in (CommitOperationAdd, CommitOperationDelete) for op in args[1])


def test_publish_metric_hub_calls(tmp_path, monkeypatch):
    metric_dir = make_metric_dir(tmp_path)
    hub = FakeHub()
    made = []
    monkeypatch.setattr(targets, "hf_api", lambda endpoint, token: made.append((endpoint, token)) or hub)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    res = invoke("publish-metric", "--repo-id", "my-org/valueportrait", "--metric-dir", str(metric_dir))
    assert res.exit_code == 0, res.output
    assert FAKE_TOKEN not in res.output and made == [(None, FAKE_TOKEN)]
    assert hub.calls_named("create_repo") == [(("my-org/valueportrait",), {
        "private": None, "repo_type": "space", "exist_ok": True, "space_sdk": "docker"})]
    (args, kwargs), = hub.calls_named("create_commit")
    assert kwargs["repo_type"] == "space" and kwargs["revision"] == "main"
    assert kwargs["commit_message"] == f"Value Portrait metric (valueportrait {pkg_version()})"
    assert sorted(op.path_in_repo for op in args[1]) == ["Dockerfile", "README.md", "app.py", "helpers.py", "requirements.txt",
                                                         "valueportrait.py"]
    assert not hub.calls_named("create_tag")


# --------------------------------------------------------------------------------------------------------
# A real HfApi against servers on 127.0.0.1: errors are PublishErrors with every secret scrubbed
# --------------------------------------------------------------------------------------------------------
@pytest.fixture
def hub_online(monkeypatch):
    """These tests drive the real HfApi against servers on 127.0.0.1; CI sets HF_HUB_OFFLINE=1 for everything
    else, so offline mode is lifted for them alone (nothing leaves the machine: every endpoint is local)."""
    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def echo_server(hub_online):
    """A Hub endpoint that answers every request 400 with an error page echoing the headers it was sent, and a
    bearer token bare as well (as a careless server might)."""
    class Echo(http.server.BaseHTTPRequestHandler):
        def answer(self):
            auth = self.headers.get("Authorization") or ""
            bare = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
            body = json.dumps({"error": f"bad request {self.path}; you sent {dict(self.headers)!r} (token {bare})"})
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _publish_to(endpoint: str, dataset: Path):
    """`publish` to my-org/vp at ``endpoint``, which fails: exit 1 and the error as the second line (after
    "Publishing ..."). invoke lets any unhandled exception through: none may reach here."""
    res = invoke("publish", "--dataset", str(dataset), "--repo-id", "my-org/vp", "--version", V,
                 "--endpoint", endpoint)
    assert res.exit_code == 1
    assert len(res.output.splitlines()) == 2, res.output  # "Publishing ..." and one error line
    assert "Traceback" not in res.output
    return res.output, res.output.splitlines()[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("token", [FAKE_TOKEN, "plain-secret-of-no-known-shape-42"])
def test_an_error_page_echoing_the_token_is_scrubbed(echo_server, built_dataset, monkeypatch, token):
    monkeypatch.setenv("HF_TOKEN", token)
    output, error = _publish_to(echo_server, built_dataset)
    assert error.startswith(f"Error: publishing to Hub dataset repo my-org/vp at {echo_server} failed: "
                            "BadRequestError: Bad request: bad request /api/datasets/my-org/vp; you sent {")
    assert "'authorization': '***'" in output.lower() and "(token ***)" in output  # it did echo; masked here
    assert token not in output


def test_credentials_in_the_endpoint_are_scrubbed_from_the_error(echo_server, built_dataset, monkeypatch):
    """httpx sends an endpoint's user:password as Basic auth, which the server echoes: masked, like the URL."""
    import base64

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    output, error = _publish_to(echo_server.replace("http://", "http://user:s3cret@"), built_dataset)
    assert error.startswith(f"Error: publishing to Hub dataset repo my-org/vp at {echo_server.replace('//', '//***@')} "
                            "failed: ")
    assert "'authorization': '***'" in output.lower()
    for secret in ("s3cret", base64.b64encode(b"user:s3cret").decode(), FAKE_TOKEN):
        assert secret not in output


def test_an_unreachable_endpoint_is_a_clear_error(built_dataset, monkeypatch, hub_online):
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    output, error = _publish_to(endpoint, built_dataset)
    assert error.startswith(f"Error: publishing to Hub dataset repo my-org/vp at {endpoint} failed: ConnectError: ")
    assert "check the endpoint, the network and the token's write access" in error.lower()
    assert FAKE_TOKEN not in output


def test_the_library_raises_a_publish_error_with_nothing_chained(echo_server, built_dataset):
    plan = core.plan_dataset(built_dataset, "my-org/vp", V, endpoint=echo_server)
    with pytest.raises(PublishError) as info:
        core.publish(plan, token=FAKE_TOKEN)
    assert FAKE_TOKEN not in str(info.value)
    # the original error (whose text holds the token) is neither the cause nor the context of the PublishError
    assert info.value.__cause__ is None and info.value.__context__ is None
