"""The layout rules of docs/ARCHITECTURE.md, checked on the source: imports run one way (raw -> tables ->
dataset -> ratings -> scoring -> statistics -> report, with the shells on top), no module imports another
module's private name, and no module is over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"src/valueportrait": "valueportrait", "builders": "valueportrait.builders",
           "dataset_script": "valueportrait.dataset_script", "metric": "valueportrait.metric"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for folder, pkg in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([pkg, *parts])] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, imported names) of every import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append((mod, [a.name for a in node.names]))
    return found


#: (importing module prefix, forbidden imported prefix, why)
RULES = [
    ("valueportrait.", "valueportrait.cli", "only the shells' entry point imports the CLI"),
    ("valueportrait.ratings", "valueportrait.runner", "ratings never import the runner"),
    ("valueportrait.scoring", "valueportrait.deviation", "scoring comes before the statistics on top of it"),
    ("valueportrait.scale", "valueportrait.", "the scale is the bottom layer"),
    ("valueportrait.io", "valueportrait.", "io is the bottom layer (errors aside)"),
]
CORE_NOT_BUILDERS = "the core never imports builders"


def _is_core(mod: str) -> bool:
    return mod.startswith("valueportrait") and not mod.startswith(
        ("valueportrait.builders", "valueportrait.cli", "valueportrait.metric", "valueportrait.dataset_script"))


def test_imports_run_one_way():
    problems = []
    for name, path in MODULES.items():
        for mod, _ in _imports(name, path):
            if _is_core(name) and mod.startswith("valueportrait.builders"):
                problems.append(f"{name} imports {mod}: {CORE_NOT_BUILDERS}")
            for src, dst, why in RULES:
                if name.startswith(src) and mod.startswith(dst) and not name.startswith(dst) \
                        and not (dst == "valueportrait." and mod in ("valueportrait.errors",)) \
                        and not name.startswith("valueportrait.cli"):
                    problems.append(f"{name} imports {mod}: {why}")
    assert problems == []


def test_no_private_names_across_modules():
    problems = []
    for name, path in MODULES.items():
        for mod, names in _imports(name, path):
            if mod != name and mod.startswith("valueportrait"):
                problems += [f"{name} imports {mod}.{n}" for n in names if n.startswith("_") and n != "__version__"]
    assert problems == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines; split it by concept"
