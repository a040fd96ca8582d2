"""lm-evaluation-harness tasks for Value Portrait: ``valueportrait_<variant>`` and the group ``valueportrait``.

Point lm-eval at this folder with ``--include_path`` (:func:`task_dir` gives its path); see ``utils`` and
docs/runner.md.
"""

from __future__ import annotations

from pathlib import Path


def task_dir() -> Path:
    """The folder holding the task YAML files (for ``lm_eval --include_path``)."""
    return Path(__file__).resolve().parent
