"""Every docstring example in the package runs and shows what it says: one configuration for all modules (the
core, the builders, the datasets builder, the metric), walked from the installed package."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import valueportrait

#: Modules whose import needs an optional extra that may be missing (their examples run where it is installed).
OPTIONAL = {"valueportrait.inspect_task": "inspect_ai"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    names = ["valueportrait"]
    names += [m.name for m in pkgutil.walk_packages(valueportrait.__path__, "valueportrait.")]
    return sorted(names)


#: Modules whose examples use a built dataset: they get its path as ``DATASET``.
NEEDS_DATASET = {"valueportrait.metric.metric"}


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, request):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        missing = next((dep for mod, dep in OPTIONAL.items() if name.startswith(mod)), None)
        if missing and missing in str(exc):
            pytest.skip(f"{name} needs {missing}")
        raise
    globs = {**vars(module)}
    if name in NEEDS_DATASET:
        globs["DATASET"] = str(request.getfixturevalue("built_dataset"))
    result = doctest.testmod(module, optionflags=FLAGS, extraglobs=globs)
    assert result.failed == 0


def test_examples_exist_where_promised():
    counted = {n: doctest.testmod(importlib.import_module(n), optionflags=FLAGS).attempted
               for n in ("valueportrait.scale", "valueportrait.scoring.design", "valueportrait.scoring.engine",
                         "valueportrait.io", "valueportrait.style", "valueportrait.secrets")}
    assert all(counted.values()), counted
