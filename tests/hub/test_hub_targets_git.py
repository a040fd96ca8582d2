"""Executing a publish on a real git repository (valueportrait.hub.targets.GitTarget): versions, tags,
idempotency, refusals, the metric Space, and the token never reaching any output.

The Hub is out of reach in tests; a Hub repo is a git repository, so `--repo-id file:///.../repo.git` runs the
same plan -> commit -> tag logic against a bare repository made with `git init --bare`.
"""

from __future__ import annotations

import collections
import json
import warnings
from pathlib import Path

import datasets
import pytest
from huggingface_hub import SpaceCard
from hub_helpers import (
    FAKE_TOKEN,
    bare_repo,
    clone_at,
    copy_folder,
    git,
    invoke,
    NEXT,
    PATCHED,
    V,
    make_metric_dir,
    pkg_version,
    tree_fingerprints,
)

# Items measuring each dimension, counted directly from upstream's data/correlation_results/*.json (published
# Spearman rho and p): rho > 0.30 and p < 0.05 gives 625 item-dimension pairs, rho > 0.35 and p < 0.05 gives 305.
PAIRS_V1_0 = 625
PAIRS_V1_1 = 305
SOME_DIMS_V1_0 = {"Achievement": 56, "Power": 64, "Neuroticism": 5, "Agreeableness": 92}
SOME_DIMS_V1_1 = {"Achievement": 35, "Power": 30, "Neuroticism": 3, "Agreeableness": 51}

CHANGELOG_1_1 = f"""# Changelog

## {NEXT} (2026-11-23)

- Stricter selection: rho > 0.35 (was 0.3); 305 item-dimension pairs.

## {V} (2026-11-22)

- First release, built from upstream 08e1fb7.
"""


pytestmark = pytest.mark.usefixtures("isolated_git")  # tests/conftest.py


@pytest.fixture
def metric_dir(tmp_path) -> Path:
    return make_metric_dir(tmp_path)


@pytest.fixture(scope="module")
def built_v1_1(raw_dir, tmp_path_factory) -> Path:
    """A changed build: dataset version 1.1.0 with the stricter threshold 0.35.

    Its card shows a changelog with a 1.1.0 entry (a build refuses a version its changelog lacks), the same
    file the round trip passes to publish with --changelog.
    """
    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build, Selection

    root = tmp_path_factory.mktemp("built-1.1")
    changelog = root / "CHANGELOG.md"
    changelog.write_text(CHANGELOG_1_1, encoding="utf-8")
    out = root / "valueportrait"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr("valueportrait.builders.release.DATASET_VERSION", NEXT)
        build_dataset(out, Build(raw=raw_dir, selection=Selection(threshold=0.35), changelog=changelog))
    return out


@pytest.fixture
def changelog_1_1(tmp_path) -> Path:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(CHANGELOG_1_1, encoding="utf-8")
    return path


def dims_per_item_count(folder: Path) -> collections.Counter:
    """Items measuring each dimension, from the `items` config loaded with datasets."""
    items = datasets.load_dataset(str(folder), "items", split="test")
    counts: collections.Counter = collections.Counter()
    for family in ("pvq", "higher_pvq", "bfi"):
        for dims in items[family]:
            counts.update(dims)
    return counts


def test_git_round_trip_versions_tags_and_idempotency(built_dataset, built_v1_1, changelog_1_1, tmp_path):
    path, url = bare_repo(tmp_path)

    # Today's version: the dry run's plan is what gets published.
    plan_json = json.loads(invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version",
                                  V, "--dry-run", "--json").output)
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    assert res.exit_code == 0, res.output
    commit1 = git("rev-parse", "refs/heads/main", cwd=path).strip()
    assert res.output.splitlines() == [
        f"Publishing 10 files ({plan_json['total_size']:,} bytes) to {url} ...",
        f"Committed {commit1[:12]} to main: 'Value Portrait dataset v{V} (upstream 08e1fb7)' "
        "(10 file(s) uploaded, 0 removed).",
        f"Tagged {commit1[:12]} as v{V}.",
    ]
    assert git("rev-list", "--count", "main", cwd=path).strip() == "1"
    assert git("rev-parse", f"v{V}^{{commit}}", cwd=path).strip() == commit1
    assert git("symbolic-ref", "HEAD", cwd=path).strip() == "refs/heads/main"
    c1 = clone_at(url, f"v{V}", tmp_path / "c1")
    assert tree_fingerprints(c1) == {f["path"]: (f["size"], f["sha256"]) for f in plan_json["files"]}
    assert git("log", "-1", "--format=%B", cwd=c1).strip() == (
        plan_json["commit_title"] + "\n\n" + plan_json["commit_description"]).strip()
    assert git("log", "-1", "--format=%an <%ae>", cwd=c1).strip() == "valueportrait publish <valueportrait-publish@localhost>"
    assert git("tag", "-l", "--format=%(contents)", f"v{V}", cwd=c1).strip() == plan_json["tag_message"]

    # Publishing the same folder again: nothing to do.
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[1:] == [
        f"Already published: tag v{V} names exactly these 10 files (commit {commit1[:12]}); nothing to do."]
    assert git("rev-list", "--count", "main", cwd=path).strip() == "1"

    # The next version: a changed build (threshold 0.35), its own commit and tag.
    res = invoke("publish", "--dataset", str(built_v1_1), "--repo-id", url, "--version", NEXT, "--changelog",
                 str(changelog_1_1), "--json")
    assert res.exit_code == 0, res.output
    result = json.loads(res.output)["result"]
    commit2 = git("rev-parse", "refs/heads/main", cwd=path).strip()
    assert result["commit"] == commit2 and result["committed"] and result["tag_action"] == "created"
    assert git("rev-list", "--count", "main", cwd=path).strip() == "2"
    assert git("rev-parse", f"v{NEXT}^{{commit}}", cwd=path).strip() == commit2
    assert git("rev-parse", f"v{V}^{{commit}}", cwd=path).strip() == commit1
    # Only what changed was uploaded: the selection lives in items and correlations (and build_info); prompts,
    # queries, human ratings and participants are byte-identical. (The card may change with the version; the
    # released models' reference_portraits are scored with the selection, so they change with it.)
    assert {"build_info.json", "items/test-00000-of-00001.parquet",
            "correlations/test-00000-of-00001.parquet"} <= set(result["added"]) <= {
        "build_info.json", "items/test-00000-of-00001.parquet", "correlations/test-00000-of-00001.parquet", "README.md",
        "reference_portraits/test-00000-of-00001.parquet"}
    assert result["deleted"] == []
    assert "Stricter selection: rho > 0.35" in git("log", "-1", "--format=%B", f"v{NEXT}", cwd=path)
    # the published card shows its version and the same changelog entry (one source for both)
    card_v11 = git("show", f"v{NEXT}:README.md", cwd=path)
    assert f"version **{NEXT} (custom selection: threshold 0.35; not the paper's)**" in card_v11  # labelled
    assert card_v11.split("\n## Changelog\n", 1)[1] == (
        f"\n### {NEXT} (2026-11-23)\n\n- Stricter selection: rho > 0.35 (was 0.3); 305 item-dimension pairs.\n"
        f"\n### {V} (2026-11-22)\n\n- First release, built from upstream 08e1fb7.\n")

    # Cloning at each tag and loading with datasets gives that version's data.
    v10 = dims_per_item_count(c1)
    v11 = dims_per_item_count(clone_at(url, f"v{NEXT}", tmp_path / "c2"))
    assert sum(v10.values()) == PAIRS_V1_0 and sum(v11.values()) == PAIRS_V1_1
    assert {d: v10[d] for d in SOME_DIMS_V1_0} == SOME_DIMS_V1_0
    assert {d: v11[d] for d in SOME_DIMS_V1_1} == SOME_DIMS_V1_1
    assert all(v11[d] <= v10[d] for d in v10)  # a stricter threshold only drops items

    # Re-running today's version's publish now does nothing: main keeps serving the newer one.
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    assert res.output.splitlines()[1] == (
        f"Already published: tag v{V} names exactly these 10 files (commit {commit1[:12]}); nothing to do.")
    assert git("rev-parse", "refs/heads/main", cwd=path).strip() == commit2


def test_existing_tag_is_moved_only_with_force(built_dataset, tmp_path):
    path, url = bare_repo(tmp_path)
    assert invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V).exit_code == 0
    commit1 = git("rev-parse", f"v{V}^{{commit}}", cwd=path).strip()

    changed = copy_folder(built_dataset, tmp_path / "changed")
    with (changed / "README.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA fixed typo.\n")
    res = invoke("publish", "--dataset", str(changed), "--repo-id", url, "--version", V)
    assert res.exit_code == 1
    assert res.output.splitlines()[1].startswith(
        f"Error: tag v{V} already exists in {url} at commit {commit1[:12]}, with other content (1 file(s) differ, "
        "0 extra).")
    assert "--force" in res.output
    assert git("rev-list", "--count", "main", cwd=path).strip() == "1"  # refused before any write

    res = invoke("publish", "--dataset", str(changed), "--repo-id", url, "--version", V, "--force")
    assert res.exit_code == 0, res.output
    commit2 = git("rev-parse", "refs/heads/main", cwd=path).strip()
    assert commit2 != commit1
    assert res.output.splitlines()[-1] == f"Moved tag v{V} to {commit2[:12]} (--force)."
    assert git("rev-parse", f"v{V}^{{commit}}", cwd=path).strip() == commit2
    assert (clone_at(url, f"v{V}", tmp_path / "c") / "README.md").read_text(encoding="utf-8").endswith("A fixed typo.\n")


def test_missing_tag_is_created_on_unchanged_content(built_dataset, tmp_path):
    path, url = bare_repo(tmp_path)
    invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    git("tag", "-d", f"v{V}", cwd=path)
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    commit = git("rev-parse", "main", cwd=path).strip()
    assert res.output.splitlines()[1:] == [
        f"No changes: main already holds these 10 files at {commit[:12]}; no commit made.",
        f"Tagged {commit[:12]} as v{V}.",
    ]
    assert git("rev-parse", f"v{V}^{{commit}}", cwd=path).strip() == commit


def test_repo_is_created_when_missing(built_dataset, tmp_path):
    path = tmp_path / "new" / "vp.git"
    url = path.as_uri()
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[1] == f"Created the dataset repo {url}."
    assert git("rev-parse", f"v{V}^{{commit}}", cwd=path).strip() == git("rev-parse", "main", cwd=path).strip()


def test_stale_files_are_removed_and_gitattributes_kept(built_dataset, tmp_path):
    path, url = bare_repo(tmp_path)
    # The repo already holds a stray file and the Hub's .gitattributes on main.
    work = tmp_path / "w"
    git("init", "-q", "--initial-branch", "main", str(work))
    (work / "stray.txt").write_text("x\n")
    (work / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    git("add", ".", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "initial", cwd=work)
    git("push", "-q", url, "main", cwd=work)
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", url, "--version", V)
    commit = git("rev-parse", "main", cwd=path).strip()
    assert res.output.splitlines()[1] == (f"Committed {commit[:12]} to main: 'Value Portrait dataset v{V} (upstream "
                                          "08e1fb7)' (10 file(s) uploaded, 1 removed).")
    names = git("ls-tree", "-r", "--name-only", "main", cwd=path).split()
    assert sorted(names) == sorted([".gitattributes", *tree_fingerprints(built_dataset)])


def test_publishing_below_a_newer_version_needs_force(built_dataset, built_v1_1, tmp_path):
    path, url = bare_repo(tmp_path)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG_1_1.replace(f"## {V}", f"## {PATCHED} (2026-11-24)\n\n- Card fix.\n\n## {V}"))
    assert invoke("publish", "--dataset", str(built_v1_1), "--repo-id", url, "--version", NEXT, "--changelog",
                  str(changelog)).exit_code == 0
    head = git("rev-parse", "main", cwd=path).strip()
    old = copy_folder(built_dataset, tmp_path / f"ds-{PATCHED}")
    info = json.loads((old / "build_info.json").read_text())
    (old / "build_info.json").write_text(json.dumps({**info, "dataset_version": PATCHED}))
    res = invoke("publish", "--dataset", str(old), "--repo-id", url, "--version", PATCHED, "--changelog", str(changelog))
    assert res.exit_code == 1
    assert res.output.splitlines()[1] == (
        f"Error: {url} already has a newer version (v{NEXT}); publishing v{PATCHED} would make main (what users get "
        f"without revision=) serve older data. Publish a version above v{NEXT}, or pass --force to publish v{PATCHED} anyway.")
    assert git("rev-parse", "main", cwd=path).strip() == head and f"v{PATCHED}" not in git("tag", cwd=path)
    res = invoke("publish", "--dataset", str(old), "--repo-id", url, "--version", PATCHED, "--changelog", str(changelog),
                 "--force")
    assert res.exit_code == 0, res.output
    assert git("rev-parse", f"v{PATCHED}^{{commit}}", cwd=path).strip() == git("rev-parse", "main", cwd=path).strip() != head


def test_not_a_git_repository(built_dataset, tmp_path):
    (tmp_path / "plain").mkdir()
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", (tmp_path / "plain").as_uri(), "--version",
                 V)
    assert res.exit_code == 1
    assert "exists but is not a git repository" in res.output


def test_token_never_reaches_output_logs_or_files(built_dataset, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    path, url = bare_repo(tmp_path)
    outputs = []
    for args in (["--repo-id", "my-org/vp", "--dry-run"], ["--repo-id", "my-org/vp", "--dry-run", "--json"],
                 ["--repo-id", url, "--dry-run"], ["--repo-id", url], ["--repo-id", url, "--json"]):
        res = invoke("publish", "--dataset", str(built_dataset), "--version", V, *args)
        assert res.exit_code == 0, res.output
        outputs.append(res.output)
    assert "Token:   from HF_TOKEN (never shown)" in outputs[0]
    assert "Token:   not used (git target)" in outputs[2]
    clone = clone_at(url, f"v{V}", tmp_path / "c")
    history = git("log", "--all", "-p", "--format=%H %an %ae %B", cwd=clone)
    tags = git("for-each-ref", "--format=%(contents)", "refs/tags", cwd=clone)
    texts = outputs + [history, tags, caplog.text]
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert all(FAKE_TOKEN not in t for t in texts)


def test_publish_metric_to_git_target(metric_dir, tmp_path):
    path = tmp_path / "spaces" / "valueportrait.git"
    url = path.as_uri()
    dry = invoke("publish-metric", "--repo-id", url, "--metric-dir", str(metric_dir), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[1] == f"Target:  git repository {url}, branch main"
    assert not path.exists()  # a dry run writes nothing
    res = invoke("publish-metric", "--repo-id", url, "--metric-dir", str(metric_dir))
    assert res.exit_code == 0, res.output
    commit = git("rev-parse", "main", cwd=path).strip()
    assert res.output.splitlines()[1:] == [
        f"Created the space repo {url}.",
        f"Committed {commit[:12]} to main: 'Value Portrait metric (valueportrait {pkg_version()})' "
        "(6 file(s) uploaded, 0 removed).",
    ]
    clone = tmp_path / "c"
    git("clone", "--quiet", url, str(clone))
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == [
        "Dockerfile", "README.md", "app.py", "helpers.py", "requirements.txt", "valueportrait.py"]
    assert SpaceCard.load(clone / "README.md").data.sdk == "docker"
    again = invoke("publish-metric", "--repo-id", url, "--metric-dir", str(metric_dir))
    assert again.output.splitlines()[1] == f"No changes: main already holds these 6 files at {commit[:12]}; no commit made."
