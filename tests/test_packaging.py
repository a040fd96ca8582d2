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
