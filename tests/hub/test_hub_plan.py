"""Planning a publish (valueportrait.hub.plan): every file with size and sha256, the dry run, the metric Space's
file names, and the default metric folder found through the installed package (also under a strict editable
install, the README's own)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hub_helpers import V, hub_fingerprints, invoke, make_metric_dir, published_card

from valueportrait import hub as core
from valueportrait.errors import PublishError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def metric_dir(tmp_path) -> Path:
    return make_metric_dir(tmp_path)


def test_dry_run_prints_every_file_with_size_and_sha256(built_dataset):
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/valueportrait", "--version",
                 V, "--dry-run")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "Dry run: nothing is sent. Plan:"
    assert lines[1] == "Target:  Hub dataset repo my-org/valueportrait at https://huggingface.co, branch main"
    assert lines[2] == f"Version: {V}"
    assert lines[3] == f"Tag:     v{V} (refused if it exists at other content)"
    assert f"Commit:  Value Portrait dataset v{V} (upstream 08e1fb7)" in lines
    assert "         Selection: alpha=0.05, correction=none, correlations=published, mode=pos, scoring=threshold, threshold=0.3" in lines
    files = hub_fingerprints(built_dataset, "my-org/valueportrait", f"v{V}")  # the card rendered for the repo
    assert len(files) == 10  # README.md, build_info.json, instrument.yaml, one parquet per config (6 + reference_portraits)
    assert f"Files:   10, {sum(s for s, _ in files.values()):,} bytes" in lines
    for path, (size, sha) in files.items():  # sha256 computed here independently with hashlib
        assert any(line.split() == [f"{size:,}", sha, path] for line in lines), path


def test_dry_run_json_is_the_plan(built_dataset):
    res = invoke("publish", "--dataset", str(built_dataset), "--repo-id", "my-org/valueportrait", "--version",
                 V, "--dry-run", "--json")
    plan = core.plan_dataset(built_dataset, "my-org/valueportrait", V)
    assert json.loads(res.output) == plan.to_dict()
    assert {f["path"]: (f["size"], f["sha256"]) for f in plan.to_dict()["files"]} == hub_fingerprints(
        built_dataset, "my-org/valueportrait", f"v{V}")


def test_the_published_card_loads_the_repo_at_its_tag(built_dataset):
    """The built card's usage snippet loads the local folder; the plan for a Hub repo renders it with the repo id
    and the tag (a git target gets the card as built)."""
    built = (built_dataset / "README.md").read_text(encoding="utf-8")
    assert 'items = load_dataset("valueportrait", "items", split="test")' in built
    plan = core.plan_dataset(built_dataset, "my-org/valueportrait", V)
    card = next(f for f in plan.files if f.path == "README.md")
    text = card.data().decode("utf-8")
    assert f'items = load_dataset("my-org/valueportrait", "items", split="test", revision="v{V}")' in text
    assert 'load_dataset("valueportrait"' not in text and "was published under" not in text
    assert card.data() == published_card(built_dataset, "my-org/valueportrait", f"v{V}")
    git_plan = core.plan_dataset(built_dataset, (built_dataset.parent / "r.git").as_uri(), V)
    assert next(f for f in git_plan.files if f.path == "README.md").data() == built.encode("utf-8")


def test_plan_names_the_script_after_the_space(metric_dir):
    plan = core.plan_metric(metric_dir, "my-org/valueportrait")
    assert [f.path for f in plan.files] == [
        "Dockerfile", "README.md", "app.py", "helpers.py", "requirements.txt", "valueportrait.py"]
    assert (plan.repo_type, plan.space_sdk, plan.tag) == ("space", "docker", None)
    # evaluate.load("ORG/NAME") fetches NAME.py from the Space, so the script takes the Space's name.
    plan = core.plan_metric(metric_dir, "my-org/vp-metric")
    assert [f.path for f in plan.files] == ["Dockerfile", "README.md", "app.py", "helpers.py", "requirements.txt", "vp-metric.py"]
    assert next(f for f in plan.files if f.path == "vp-metric.py").source == (metric_dir / "metric.py").resolve()


def _metric_files() -> dict[str, str]:
    """sha256 of the repo's metric folder files as a publish uploads them, computed here with hashlib: the files
    as they are, but requirements.txt, whose `valueportrait` line pins this version."""
    from valueportrait import __version__

    out = {n: hashlib.sha256((REPO / "metric" / n).read_bytes()).hexdigest()
           for n in ("Dockerfile", "README.md", "app.py", "metric.py")}
    reqs = (REPO / "metric" / "requirements.txt").read_text().replace("valueportrait\n", f"valueportrait=={__version__}\n")
    assert f"valueportrait=={__version__}\n" in reqs
    return {**out, "requirements.txt": hashlib.sha256(reqs.encode()).hexdigest()}


def test_the_space_installs_the_wheel_it_was_given(metric_dir, tmp_path):
    from valueportrait import __version__

    wheel = tmp_path / f"valueportrait-{__version__}-py3-none-any.whl"
    wheel.write_bytes(b"PK not really a wheel")
    plan = core.plan_metric(metric_dir, "my-org/valueportrait", wheel=wheel)
    files = {f.path: f for f in plan.files}
    assert files[wheel.name].source == wheel.resolve()  # uploaded beside the Dockerfile, which COPYs the folder
    assert files["requirements.txt"].data() == f"evaluate>=0.4.3\n./{wheel.name}\n".encode()
    assert f"The Space installs ./{wheel.name}." in plan.commit_description
    without = {f.path: f for f in core.plan_metric(metric_dir, "my-org/valueportrait").files}
    assert without["requirements.txt"].data() == f"evaluate>=0.4.3\nvalueportrait=={__version__}\n".encode()
    other = tmp_path / "valueportrait-0.0.1-py3-none-any.whl"
    other.write_bytes(b"PK")
    with pytest.raises(PublishError, match=rf"'valueportrait-0\.0\.1-py3-none-any\.whl' is not a wheel of "
                                           rf"valueportrait {re.escape(__version__)}"):
        core.plan_metric(metric_dir, "my-org/valueportrait", wheel=other)
    with pytest.raises(PublishError, match="no wheel at"):
        core.plan_metric(metric_dir, "my-org/valueportrait", wheel=tmp_path / "missing.whl")


def test_default_metric_folder_is_the_installed_packages():
    import valueportrait.metric

    folder = core.default_metric_dir()
    assert folder == Path(valueportrait.metric.__file__).parent
    plan = core.plan_metric(None, "my-org/vp")
    assert {f.path: f.sha256 for f in plan.files} == {
        ("vp.py" if n == "metric.py" else n): sha for n, sha in _metric_files().items()}


@pytest.mark.slow
def test_publish_metric_without_metric_dir_under_a_strict_editable_install(tmp_path):
    """The README installs with `pip install -e . --config-settings editable_mode=strict`: the package is then
    setuptools' link tree under build/. A copy of the repo is installed that way (offline: --no-index, no build
    isolation, no dependencies; they come from this environment) into a fresh venv, run from another folder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", "src", "builders", "dataset_script", "metric", "cards"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, repo / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "zz_deps.pth").write_text("\n".join(deps) + "\n")  # read after the editable install's own .pth
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", "--no-build-isolation", "-e", str(repo), "--config-settings", "editable_mode=strict"],
                   check=True, capture_output=True, text=True)
    where = subprocess.run([str(python), "-c", "import valueportrait; print(valueportrait.__file__)"], cwd=tmp_path,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(repo / "build")  # the strict link tree, not this checkout
    res = subprocess.run([str(python), "-m", "valueportrait.cli.main", "publish-metric", "--repo-id", "my-org/vp",
                          "--dry-run", "--json"], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    planned = {f["path"]: f["sha256"] for f in json.loads(res.stdout)["files"]}
    expected = {("vp.py" if n == "metric.py" else n): sha for n, sha in _metric_files().items()}
    assert planned == expected
