"""The README's Python example runs, and prints what the README says it prints."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_worked_example_runs_and_matches_its_comments(built_dataset, raw_dir, tmp_path, monkeypatch):
    (block,) = _python_blocks(README.read_text(encoding="utf-8"))
    # The README runs next to ./valueportrait (the built folder) with the release at ../shared/upstream.
    (tmp_path / "valueportrait").symlink_to(built_dataset, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    code = block.replace("../shared/upstream", str(raw_dir))
    lines = code.splitlines()
    namespace: dict = {}
    checks = []
    statements = []
    for k, line in enumerate(lines):
        if line.startswith("# ") and k > 0 and lines[k - 1].startswith("result["):
            checks.append((lines[k - 1], line[2:]))
        elif not line.startswith("result["):
            statements.append(line)
    exec(compile("\n".join(statements), "README.md", "exec"), namespace)
    assert namespace["items"].num_rows == 520
    assert checks, "the README example shows no output to check"
    for expr, shown in checks:
        got = eval(expr, namespace)
        # The README abridges floats with "...": compare each shown value with the computed one to its shown digits.
        expected = ast.literal_eval(shown.replace("...", ""))
        assert set(got) == set(expected), expr
        for key, value in expected.items():
            if isinstance(value, float):
                digits = len(repr(value).split(".")[1])
                assert got[key] == pytest.approx(value, abs=10 ** -digits), (expr, key)
            else:
                assert got[key] == value, (expr, key)
    assert os.getcwd() == str(tmp_path)
