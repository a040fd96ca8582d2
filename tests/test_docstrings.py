"""The examples in the docstrings of the dataset-building modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["valueportrait.spearman", "valueportrait.selection", "valueportrait.builders.reliability",
           "valueportrait.builders.report"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
