"""The ratings contract: one table, one constructor, one validator, and the readers that produce it.

A *ratings table* has the columns :data:`COLUMNS` = ``model, item_id, variant, persona, rating`` (``rating``
float 1-6, NaN when an answer was unparseable or a request failed). Every source goes through
:func:`validate_ratings` (numbers 1-6 or Likert phrases through the cached parser; errors name the
source, the row and the column):

- :mod:`.likert`: free-text answers -> ratings (:func:`parse_likert`, :func:`parse_likert_many`,
  :func:`to_ratings`);
- :mod:`.files`: ratings files and run directories (:func:`read_ratings`);
- :mod:`.runs`: a run directory of ``valueportrait run`` (:func:`~.runs.read_run_ratings`);
- :mod:`.upstream`: upstream's released model outputs (:func:`~.upstream.read_upstream_outputs`);
- :mod:`.lm_eval`: lm-evaluation-harness samples (:func:`~.lm_eval.samples_to_ratings`).
"""

from __future__ import annotations

from .contract import COLUMNS, REQUIRED, item_ratings, numeric_ratings, ratings_frame, validate_ratings
from .files import read_ratings
from .likert import parse_likert, parse_likert_many, to_ratings

__all__ = ["COLUMNS", "REQUIRED", "item_ratings", "numeric_ratings", "parse_likert", "parse_likert_many", "ratings_frame",
           "read_ratings", "to_ratings", "validate_ratings"]
