"""Shared fixtures: the real upstream release, and the dataset built from it once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _find_raw() -> Path:
    env = os.environ.get("VALUEPORTRAIT_RAW")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "upstream"]:
        if (cand / "data").is_dir():
            return cand.resolve()
    raise RuntimeError(
        "The tests need the upstream Value Portrait release: set VALUEPORTRAIT_RAW to its folder "
        "(in this workspace ../shared/upstream)."
    )


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """Root of the real upstream release (holi-lab/ValuePortrait @08e1fb7)."""
    return _find_raw()


@pytest.fixture(scope="session")
def release_data(raw_dir):
    """The Value Portrait tables built in memory from the real release (published correlations drive selection)."""
    from valueportrait.dataset import from_release

    with pytest.warns(UserWarning):
        return from_release(raw_dir)


@pytest.fixture(scope="session")
def built_dataset(raw_dir, tmp_path_factory) -> Path:
    """A dataset folder built once per session from the real release with the default settings."""
    import warnings

    from valueportrait.builders.build import build_dataset

    out = tmp_path_factory.mktemp("built") / "valueportrait"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_dataset(raw_dir, out)
    return out
