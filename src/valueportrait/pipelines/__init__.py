"""The orchestrations the CLI and the metric share, one module each: the leaderboard and the deviation pipeline.

:func:`score_leaderboard` is ``valueportrait score``: read ratings, check their item ids, score every model
(and the human raters) with one selection and one bootstrap, measure prompt sensitivity, write the files.
:func:`run_deviation` is ``valueportrait deviation``: a model's personas against the real groups, with the
human side decided by :func:`human_source` (the one place that decides it, for the CLI and the metric alike)
and computed by :func:`deviation_report`. Both check the output folder before doing any work, and both are
plain functions a Python user can call; the CLI only parses options and prints.
"""

from __future__ import annotations

from .deviation import (DEVIATION_TABLES, DeviationRun, HumanSource, deviation_report, file_of, human_source,
                        one_model, run_deviation)
from .leaderboard import LEADERBOARD_FILES, Leaderboard, check_item_ids, check_leaderboard_folder, score_leaderboard

__all__ = ["DEVIATION_TABLES", "LEADERBOARD_FILES", "DeviationRun", "HumanSource", "Leaderboard", "check_item_ids",
           "check_leaderboard_folder", "deviation_report", "file_of", "human_source", "one_model", "run_deviation",
           "score_leaderboard"]
