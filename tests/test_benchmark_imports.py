"""The benchmark and simulation scripts in benchmarks/ are not run by the suite (they take minutes), so a rename in
the package can break them silently (sim_min_human_ratings.py imported a `from_release` that had moved). This
checks, without running them, that every `from valueportrait... import name` they make (at the top or inside a
function) names something that exists."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCH.glob("*.py"))


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("valueportrait"):
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("valueportrait"):
                    yield node.lineno, alias.name, None


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_valueportrait_import_of_a_benchmark_resolves(script):
    missing = []
    for line, module, name in _imports(script):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{script.name}:{line}: {module} ({exc})")
            continue
        if name is not None and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")  # a submodule
            except ImportError:
                missing.append(f"{script.name}:{line}: {module} has no {name}")
    assert missing == []


def test_the_scripts_are_found():
    assert len(SCRIPTS) >= 20 and BENCH.joinpath("sim_min_human_ratings.py") in SCRIPTS
