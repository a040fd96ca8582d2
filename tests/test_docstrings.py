"""The examples in the docstrings of the dataset-building modules and the ratings reader run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["valueportrait.config", "valueportrait.spearman", "valueportrait.selection",
           "valueportrait.builders.reliability", "valueportrait.builders.report", "valueportrait.io", "valueportrait.scale",
           "valueportrait.ratings.contract", "valueportrait.ratings.files", "valueportrait.ratings.likert",
           "valueportrait.ratings.lm_eval"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
