"""The SYNTHETIC German example survey (examples/survey_de), shared by the survey tests: its folder, its generator
module (the planted truth: make_survey.py's DIMENSIONS), and a build of it through the CLI."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from valueportrait.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "survey_de"


def generator() -> ModuleType:
    """examples/survey_de/make_survey.py as a module (what it plants, how it writes the folder)."""
    spec = importlib.util.spec_from_file_location("make_survey", EXAMPLE / "make_survey.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_survey"] = module
    spec.loader.exec_module(module)
    return module


def build_example(out: Path, survey: Path = EXAMPLE) -> Path:
    """`valueportrait build --survey SURVEY --out OUT`, asserted to succeed; returns OUT."""
    res = CliRunner().invoke(cli, ["build", "--survey", str(survey), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out
