"""Every subpackage of src/valueportrait is listed in pyproject.toml, so a wheel (not only an editable install)
carries it; and every module of the package imports on its own (no module needs another's private state)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_packaged():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"valueportrait" + "".join(f".{p}" for p in d.relative_to(ROOT / "src/valueportrait").parts)
             for d in (ROOT / "src/valueportrait").rglob("__init__.py") for d in [d.parent]}
    assert found - listed == set(), f"add these to [tool.setuptools] packages in pyproject.toml: {found - listed}"


def test_the_test_extra_pulls_no_torch_and_the_metadata_is_complete():
    """The README's first command (`pip install -e ".[test,plot]"`) must not pull torch, whose default wheel brings
    3 GB of nvidia-* CUDA libraries even without a GPU (measured in a fresh venv: 1.1 GB, no nvidia package)."""
    import re

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in extras["test"] + extras["plot"]}
    assert not names & {"torch", "lm-eval", "transformers", "vllm", "accelerate"}, names
    assert any(r.startswith("lm-eval[hf]") for r in extras["lm-eval"])  # lm-eval has its own extra
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"] and (ROOT / "LICENSE").is_file()
    assert project["readme"] == "README.md" and project["requires-python"] == ">=3.11"
    assert {"Paper", "arXiv", "Upstream"} <= set(project["urls"])
    assert "Programming Language :: Python :: 3.11" in project["classifiers"]
