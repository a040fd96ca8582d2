"""Scoring: one design, one weighted scorer, one definition of each resampling unit.

* :mod:`.design` — :class:`Design`, items x dimensions of a selection;
* :mod:`.engine` — :func:`score_matrix`, the one scorer (point estimates and every replicate);
* :mod:`.resample` — item and rater bootstrap weights, the rater matrix, percentile intervals;
* :mod:`.portrait` — :func:`score_portrait`, :func:`bootstrap_portrait`;
* :mod:`.intervals` — intervals with a named unit (``ci_over``: variants, items, items+variants);
* :mod:`.compare` — :func:`compare_portraits`, :func:`compare_models` (Holm-adjusted p over 19 dimensions);
* :mod:`.reliability` — order bias, ICC(A,1)/(A,k) over variants, profile reliability (:mod:`.profile`: over the
  10 variant splits, with a permutation null), flat and order-bias flags;
* :mod:`.humans` — the human raters' row and group portraits;
* :mod:`.adjust` — the human row's optional survey-group adjustment;
* :mod:`.strata` — single-rater strata merged, the small-sample correction of a rater bootstrap.
"""

from .adjust import (HUMAN_ADJUSTMENTS, adjusted_item_means, center_on_groups, check_adjust, item_survey_groups,
                     survey_group_effect, survey_group_levels)
from .design import FAMILY_INDEX, SELECTION_COLUMNS, Design
from .compare import ADJUSTMENTS, COMPARISON_COLUMNS, check_adjustment, compare_models, compare_portraits, holm
from .engine import CENTERS, Scores, center_rule, linear_coefficients, score_matrix
from .humans import HUMAN_MODEL, group_portrait_replicates, group_replicate_means, human_item_ratings, score_humans
from .intervals import (CI_METHODS, CI_UNITS, DEFAULT_CI_OVER, HUMAN_CI_UNITS, check_ci_over, interval_models, interval_portrait,
                        jackknife_se, variants_se)
from .portrait import (SCORE_COLUMNS, PortraitBootstrap, bootstrap_portrait, bootstrap_portraits, item_ratings,
                       score_models, score_portrait, with_intervals)
from .reliability import DEFAULT_RELIABLE, RELIABILITY_KEYS, icc_agreement, portrait_reliability, reliability_table
from .strata import item_strata_scale, merge_single_rater_strata, rescale_replicates
from .resample import (RaterMatrix, check_settings, item_means, item_weights, percentile_ci, rater_matrix,
                       rater_weights, replicate_se)

__all__ = ["ADJUSTMENTS", "check_adjustment", "HUMAN_ADJUSTMENTS", "adjusted_item_means", "center_on_groups", "check_adjust", "item_survey_groups",
           "survey_group_effect", "survey_group_levels", "group_replicate_means", "item_strata_scale",
           "merge_single_rater_strata", "rescale_replicates", "CENTERS", "CI_METHODS", "CI_UNITS", "COMPARISON_COLUMNS", "DEFAULT_CI_OVER", "DEFAULT_RELIABLE", "Design", "FAMILY_INDEX",
           "HUMAN_CI_UNITS", "HUMAN_MODEL", "PortraitBootstrap", "RELIABILITY_KEYS", "RaterMatrix", "SCORE_COLUMNS", "SELECTION_COLUMNS",
           "Scores", "bootstrap_portrait", "bootstrap_portraits", "center_rule", "check_ci_over", "check_settings",
           "compare_models", "compare_portraits", "group_portrait_replicates", "holm", "human_item_ratings",
           "icc_agreement", "interval_models", "interval_portrait", "item_means", "item_ratings", "item_weights",
           "jackknife_se", "linear_coefficients", "percentile_ci", "portrait_reliability", "rater_matrix",
           "rater_weights", "reliability_table", "replicate_se", "score_humans", "score_matrix", "score_models",
           "score_portrait", "variants_se", "with_intervals"]
