"""Statistics over many portraits: the cohort of models (:mod:`.cohort`), and how spread out models are against
people once measurement noise is taken out (:mod:`.diversity`)."""

from .cohort import Cohort, cohort_of_models, group_contrasts, focus_table
from .diversity import diversity_table, true_variance

__all__ = ["Cohort", "cohort_of_models", "diversity_table", "focus_table", "group_contrasts", "true_variance"]
