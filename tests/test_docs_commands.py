"""Every shell command in docs/*.md is checked against the real tools, so the docs cannot drift from them.

* ``valueportrait ...``: the subcommand exists and the real CLI's option parser takes every option and argument
  (click's own parser, no callbacks: the files a command names may be made by an earlier command of its page).
* ``inspect eval valueportrait/value_portrait ...``: the task is registered through Inspect's entry point and
  every ``-T name=value`` is a parameter of the task function.
* ``lm_eval ... --tasks valueportrait ...``: the named task is one of the shipped task files.
* Everything else must match a line of :data:`NOT_CHECKED`, which says why it is left to the reader (shell
  utilities over files shown on the page, installs that need the network). A new kind of command fails the test
  until it is checked here or listed with its reason.

The README's and examples/README.md's commands are run for real by tests/test_readme.py, and the docs' commands
(these included) by tests/test_docs_run.py, which also compares their console transcripts with what they print.
"""

from __future__ import annotations

import inspect as pyinspect
from pathlib import Path

import click
import pytest

from test_readme import shell_commands

DOCS = sorted((Path(__file__).resolve().parents[1] / "docs").glob("*.md"))
#: First words of commands that are not checked here, and why.
NOT_CHECKED = {
    "export": "sets an environment variable",
    "head": "shows the first line of a file the page's previous command wrote",
    "wc": "counts the lines of a file the page's previous command wrote",
    "cat": "shows a file whose content the page prints",
    "cmp": "compares two files the page's previous commands wrote",
    "source": "activates the virtual environment the page's previous command made",
    "python3.11": "makes a virtual environment (the minimum-versions and lm-eval recipes)",
    "python": "pip installs (need the package registry) and the page's own helper script",
    "vp-min/bin/python": "the minimum-versions recipe: installs pinned versions from the registry, then the suite",
    "VALUEPORTRAIT_RAW=/path/to/upstream": "the test suite itself, in the minimum-versions environment",
    "cp": "copies the page's example folder to break it (docs/your-survey.md, bad input)",
    "sed": "breaks one rating of that copy (docs/your-survey.md, bad input)",
    "printf": "writes the changelog file the page's publish command names (docs/your-survey.md)",
}


def all_commands() -> list[tuple[str, list[str]]]:
    return [(doc.name, words) for doc in DOCS for words in shell_commands(doc.read_text(encoding="utf-8"))]


def parse_valueportrait(words: list[str]) -> dict:
    """The options and arguments the real CLI's parser makes of ``valueportrait WORDS...`` (UsageError if not)."""
    from valueportrait.cli.main import cli

    root = click.Context(cli, info_name="valueportrait")
    cmd = cli.get_command(root, words[1])
    if cmd is None:
        raise click.UsageError(f"no such command {words[1]!r}")
    ctx = click.Context(cmd, info_name=words[1], parent=root)
    args = words[2:-1] if words[-1] == "&" else words[2:]  # a command sent to the background by the shell
    opts, rest, _ = cmd.make_parser(ctx).parse_args(list(args))
    if rest:
        raise click.UsageError(f"extra arguments {rest}")
    return opts


def test_the_docs_have_commands_and_every_one_is_checked_or_listed():
    commands = all_commands()
    assert len(commands) > 40  # 49 on 2026-12-02
    unknown = [(doc, " ".join(w)) for doc, w in commands
               if w[0] not in ("valueportrait", "inspect", "lm_eval") and w[0] not in NOT_CHECKED]
    assert not unknown, f"commands neither checked nor listed in NOT_CHECKED: {unknown}"


@pytest.mark.parametrize("doc,words", [c for c in all_commands() if c[1][0] == "valueportrait"],
                         ids=lambda v: v if isinstance(v, str) else " ".join(v)[:60])
def test_valueportrait_commands_parse(doc, words):
    assert "..." not in words, f"{doc}: a command with '...' cannot be run as written: {' '.join(words)}"
    parse_valueportrait(words)


def test_the_parser_check_catches_a_wrong_option():
    with pytest.raises(click.UsageError, match="No such option '--bogus'"):
        parse_valueportrait(["valueportrait", "score", "runs/x", "--bogus"])
    with pytest.raises(click.UsageError, match="no such command 'scores'"):
        parse_valueportrait(["valueportrait", "scores", "runs/x"])
    assert parse_valueportrait(["valueportrait", "score", "r.csv", "--n-boot", "0"])["n_boot"] == "0"


def test_inspect_commands_name_the_registered_task_and_its_parameters():
    from valueportrait.inspect_task.task import value_portrait

    params = set(pyinspect.signature(value_portrait).parameters)
    found = [w for _, w in all_commands() if w[0] == "inspect"]
    assert found
    for words in found:
        assert words[1:3] == ["eval", "valueportrait/value_portrait"], words
        names = [words[k + 1].split("=", 1)[0] for k, w in enumerate(words) if w == "-T"]
        assert set(names) <= params, (words, params)
    # the entry point Inspect reads: pyproject's [project.entry-points.inspect_ai]
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="inspect_ai") if e.name == "valueportrait"] == [
        "valueportrait.inspect_task.task"]


def test_lm_eval_commands_name_a_shipped_task():
    from valueportrait.lm_eval import task_dir

    shipped = {p.stem for p in Path(task_dir()).glob("*.yaml")}
    found = [w for _, w in all_commands() if w[0] == "lm_eval"]
    assert found
    for words in found:
        task = words[words.index("--tasks") + 1]
        assert task in shipped or any(f"group: {task}" in p.read_text() for p in Path(task_dir()).glob("*.yaml")), \
            (task, sorted(shipped))
