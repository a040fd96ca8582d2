"""The checks a publish makes before sending anything (valueportrait.hub.checks): repo ids, versions, the
changelog entry, the dataset and metric cards, the metric folder, sources unchanged since planning, tags."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hub_helpers import CARD, NEXT, V, copy_folder, invoke, make_metric_dir, tree_fingerprints

from valueportrait import hub as core
from valueportrait.errors import PublishError
from valueportrait.hub import checks, guards

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("isolated_git")  # tests/conftest.py


@pytest.fixture
def metric_dir(tmp_path) -> Path:
    return make_metric_dir(tmp_path)


def test_version_must_match_the_build(built_dataset):
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/vp", "--version", NEXT,
                 "--dry-run")
    assert res.exit_code == 1
    assert res.output.startswith(
        f"Error: --version {NEXT} does not match the folder: '{built_dataset / 'build_info.json'}' says "
        f"dataset_version '{V}'.")
    assert f"pass --version {V}" in res.output and "DATASET_VERSION" in res.output


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0-rc1", ""])
def test_version_must_be_x_y_z(built_dataset, version):
    with pytest.raises(PublishError, match=r"is not a version: expected X\.Y\.Z"):
        core.plan_dataset(built_dataset, "my-org/vp", version)


def test_version_without_changelog_entry_is_refused(built_dataset, tmp_path):
    folder = copy_folder(built_dataset, tmp_path / f"ds-{NEXT}")  # a build stamped NEXT, as DATASET_VERSION would
    info = json.loads((folder / "build_info.json").read_text())
    (folder / "build_info.json").write_text(json.dumps({**info, "dataset_version": NEXT}))
    with pytest.raises(PublishError, match=rf"version {re.escape(NEXT)} has no entry in the changelog .*it has {re.escape(V)}"):
        core.plan_dataset(folder, "my-org/vp", NEXT)


def test_build_of_a_modified_release_is_refused(built_dataset, tmp_path):
    # builders/pinned.py records every file whose sha256 differs from the pinned manifest; such a build is not the
    # paper's benchmark, so publishing it as version V is refused, naming the file and the fix.
    folder = copy_folder(built_dataset, tmp_path / "ds-modified")
    info = json.loads((folder / "build_info.json").read_text())
    edited = {"file": "data/survey_1.json", "sha256": "0" * 64, "expected": "1" * 64}
    (folder / "build_info.json").write_text(json.dumps({**info, "modified_release": [edited]}))
    with pytest.raises(PublishError, match=r"differs from the pinned one \(1 file\(s\): data/survey_1\.json; "
                       rf".*not version {re.escape(V)}.*valueportrait build --strict"):
        core.plan_dataset(folder, "my-org/vp", V)
    core.plan_dataset(built_dataset, "my-org/vp", V)  # the unmodified build still plans


@pytest.mark.parametrize("repo_id", ["valueportrait", "my-org/vp/extra", "https://huggingface.co/x/y", "file://rel"])
def test_bad_repo_id(built_dataset, repo_id):
    with pytest.raises(PublishError, match="--repo-id"):
        core.plan_dataset(built_dataset, repo_id, V)


def test_folder_without_build_info_or_card_configs_is_refused(built_dataset, tmp_path):
    folder = copy_folder(built_dataset, tmp_path / "ds")
    card = (folder / "README.md").read_text(encoding="utf-8")
    (folder / "README.md").write_text(card.replace("- config_name: queries", "- config_name: queries_renamed"),
                                      encoding="utf-8")
    with pytest.raises(PublishError, match=r"README\.md: the card's `configs` lacks queries"):
        core.plan_dataset(folder, "my-org/vp", V)
    (folder / "build_info.json").unlink()
    with pytest.raises(PublishError, match=r"build_info\.json' is missing"):
        core.plan_dataset(folder, "my-org/vp", V)
    with pytest.raises(PublishError, match="no dataset folder"):
        core.plan_dataset(tmp_path / "nope", "my-org/vp", V)


def test_built_dataset_card_parses_as_a_dataset_card(built_dataset):
    from huggingface_hub import DatasetCard

    from valueportrait.dataset import CONFIGS

    card = DatasetCard.load(built_dataset / "README.md")
    meta = card.data.to_dict()
    assert meta["license"] == "mit"
    assert meta["pretty_name"]
    # the six configs, and reference_portraits (the test release holds model outputs)
    assert [c["config_name"] for c in meta["configs"]] == [*CONFIGS, "reference_portraits"]
    present = {p for p in tree_fingerprints(built_dataset)}
    core.check_dataset_card(built_dataset / "README.md", present)  # raises if anything is missing


def test_execute_refuses_a_file_changed_after_planning(built_dataset, tmp_path):
    folder = copy_folder(built_dataset, tmp_path / "ds")
    plan = core.plan_dataset(folder, (tmp_path / "r.git").as_uri(), V)
    (folder / "README.md").write_text("changed\n", encoding="utf-8")
    with pytest.raises(PublishError, match=r"README\.md' changed since the publish plan was made"):
        core.publish(plan)
    assert not (tmp_path / "r.git").exists()  # refused before anything was created


@pytest.mark.parametrize("edit, message", [
    (lambda d: (d / "README.md").write_text(CARD.replace("sdk: docker", "sdk: gradio")),
     "sdk is 'gradio'; the metric Space is a Docker Space"),
    (lambda d: (d / "README.md").write_text(CARD.replace("- metric\n", "")), r"lack metric"),
    (lambda d: (d / "README.md").write_text(CARD.replace("app_port: 7860", "app_port: web")), "app_port is 'web'"),
    (lambda d: (d / "README.md").write_text(CARD.replace("app_port: 7860\n", "")), "lacks app_port"),
    (lambda d: (d / "README.md").write_text("# no front matter\n"), "lacks title, sdk, app_port, tags"),
    (lambda d: (d / "requirements.txt").write_text("numpy\n"), "does not list evaluate"),
    (lambda d: (d / "app.py").unlink(), "lacks app.py"),
    (lambda d: (d / "Dockerfile").unlink(), "lacks Dockerfile"),
])
def test_bad_metric_folder_is_refused(metric_dir, edit, message):
    edit(metric_dir)
    with pytest.raises(PublishError, match=message):
        core.plan_metric(metric_dir, "my-org/valueportrait")


def test_real_metric_card_is_a_valid_space_card():
    folder = REPO / "metric"
    card = core.check_metric_card(folder / "README.md", {p.name for p in folder.iterdir()})
    assert card.data.sdk == "docker" and card.data.app_port == 7860
    plan = core.plan_metric(folder, "my-org/valueportrait")  # every file a Space needs is there
    assert {"Dockerfile", "README.md", "app.py", "requirements.txt", "valueportrait.py"} <= {f.path for f in plan.files}


def test_version_order_and_the_newer_version_check():
    assert checks.version_key("v1.10.0") == (1, 10, 0) and checks.version_key("latest") is None
    plan = core.PublishPlan(repo_id="my-org/vp", repo_type="dataset", files=(), commit_title="t",
                            commit_description="", tag="v1.2.0")
    guards.check_no_newer_version(plan, {"v1.1.9": "a", "v1.2.0": "b", "latest": "c"})  # nothing newer: passes
    with pytest.raises(PublishError, match=r"already has a newer version \(v1\.9\.0, v1\.10\.0\).*above v1\.10\.0"):
        guards.check_no_newer_version(plan, {"v1.10.0": "a", "v1.9.0": "b"})  # 10 > 9: numeric, not text order
