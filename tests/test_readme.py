"""The README's Python example runs and prints what the README says it prints; its shell commands run as written."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow  # docs-as-tests: the README's commands and example run for real

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
            elif isinstance(value, list) and value and all(isinstance(v, float) for v in value):
                assert len(got[key]) == len(value), (expr, key)
                for g, v in zip(got[key], value):
                    assert g == pytest.approx(v, abs=10 ** -len(repr(v).split(".")[1])), (expr, key)
            else:
                assert got[key] == value, (expr, key)
    assert os.getcwd() == str(tmp_path)


# -- every shell command of the README (and examples/README.md) runs as written -----------------------------------
#: Files whose shell commands are run, in order, in one fresh folder laid out as the README says (the release at
#: ../shared/upstream, the repo's examples/ beside the outputs).
COMMAND_FILES = ("README.md", "examples/README.md")
#: Commands not run here, and why (each is run elsewhere in the suite, or is the environment itself).
NOT_RUN = {
    "pip": "installs the package: the test runs in the installed environment",
    "VALUEPORTRAIT_RAW=../shared/upstream": "the test suite itself",
    "--backend transformers": "downloads a model from the Hub; tests/test_runner_transformers.py runs a local one",
}


def shell_commands(text: str) -> list[list[str]]:
    """The commands of a Markdown text's ```bash and ```console blocks (console: the ``$ `` lines), split at
    ``&&``, continuation lines joined, comments dropped; a command repeated verbatim (a transcript of one shown
    before) is listed once."""
    out: list[list[str]] = []
    for lang, block in re.findall(r"```(bash|console)\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if lang == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words and words not in out:
                    out.append(words)
    return out


def _skip_reason(words: list[str]) -> str | None:
    line = " ".join(words)
    return next((why for key, why in NOT_RUN.items() if line.startswith(key) or f" {key}" in line), None)


def test_readme_commands_run_verbatim(raw_dir, tmp_path, monkeypatch, release_mirror):
    from click.testing import CliRunner

    from chat_server import ChatServer
    from valueportrait.cli.main import cli

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "upstream").symlink_to(raw_dir, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(root / "examples", target_is_directory=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("VALUEPORTRAIT_CACHE", str(tmp_path / "cache"))  # an empty cache: the build downloads
    mirror_url, asked = release_mirror
    commands: list[list[str]] = []
    for f in COMMAND_FILES:  # examples/README.md repeats the README's demo build: run once
        commands += [c for c in shell_commands((root / f).read_text(encoding="utf-8")) if c not in commands]
    ran, skipped = [], []
    with ChatServer() as server:  # `run` against a real OpenAI-compatible server on 127.0.0.1
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test", "HF_HUB_OFFLINE": "1"}
        for words in commands:
            if words[0] == "export":
                continue  # the key: set above
            if _skip_reason(words):
                skipped.append(words)
                continue
            assert words[0] == "valueportrait", f"a README command the test does not know: {' '.join(words)}"
            download = words[1] == "build" and "--raw" not in words
            # no --raw: the release comes from the mirror on 127.0.0.1, not from $VALUEPORTRAIT_RAW (unset here)
            extra = {"VALUEPORTRAIT_RAW": None, "VALUEPORTRAIT_RELEASE_URL": mirror_url} if download else {}
            res = CliRunner().invoke(cli, words[1:], env={**env, **extra})
            assert res.exit_code == 0, (" ".join(words), res.output)
            ran.append(words[1])
    # the commands named in the README's sections all ran (build, score, plot, report, run, deviation, publish)
    assert {"build", "score", "plot", "report", "run", "deviation", "publish"} <= set(ran), ran
    # the README's first command downloaded the archive once (then from the cache) and built what --raw builds
    assert ["build", "--out", "./valueportrait"] in [w[1:] for w in commands] and asked == [urlsplit(mirror_url).path]
    from valueportrait.builders.fetch import manifest

    info = json.loads((work / "valueportrait" / "build_info.json").read_text())
    assert info["inputs"] == manifest()  # the sha256 of every input: the pinned release's, as a --raw build records
    assert (work / "report.html").is_file() and (work / "report-mine.html").is_file()
    board = json.loads((work / "scores-mine" / "leaderboard.json").read_text())
    assert {"gpt-4o-mini", "gpt-4o-2024-11-20", "human raters"} <= set(board["models"])  # next to the others
    assert (work / "deviation" / "dimensions.csv").is_file() and (work / "gpt-4o-mini.png").is_file()
    assert all(w[0] == "pip" or "transformers" in w or w[0].startswith("VALUEPORTRAIT_RAW=") for w in skipped)
