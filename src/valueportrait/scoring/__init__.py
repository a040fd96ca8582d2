"""Scoring: one design, one weighted scorer, one definition of each resampling unit.

* :mod:`.design` — :class:`Design`, items x dimensions of a selection;
* :mod:`.engine` — :func:`score_matrix`, the one scorer (point estimates and every replicate);
* :mod:`.resample` — item and rater bootstrap weights, the rater matrix, percentile intervals;
* :mod:`.portrait` — :func:`score_portrait`, :func:`bootstrap_portrait`, :func:`compare_portraits`;
* :mod:`.humans` — the human raters' row and group portraits.
"""

from .design import FAMILY_INDEX, SELECTION_COLUMNS, Design
from .engine import Scores, score_matrix
from .humans import HUMAN_MODEL, group_portrait_replicates, human_item_ratings, score_humans
from .portrait import (SCORE_COLUMNS, bootstrap_portrait, bootstrap_portraits, compare_portraits, item_ratings,
                       score_models, score_portrait, with_intervals)
from .resample import (RaterMatrix, check_settings, item_means, item_weights, percentile_ci, rater_matrix,
                       rater_weights, replicate_se)

__all__ = ["FAMILY_INDEX", "HUMAN_MODEL", "SCORE_COLUMNS", "SELECTION_COLUMNS", "Design", "RaterMatrix", "Scores",
           "bootstrap_portrait", "bootstrap_portraits", "check_settings", "compare_portraits",
           "group_portrait_replicates", "human_item_ratings", "item_means", "item_ratings", "item_weights",
           "percentile_ci", "rater_matrix", "rater_weights", "replicate_se", "score_humans", "score_matrix",
           "score_models", "score_portrait", "with_intervals"]
