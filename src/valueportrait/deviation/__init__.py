"""How a model prompted as a member of a group differs from the group's real members.

A *persona* run gives the model's ratings of the items while it plays a member of a group (``persona``
column of a ratings table, e.g. ``"sex=Female"``). The human side is the group's raters (from the
demographics, :mod:`valueportrait.demographics`) or a table of group norms. Everything is on the benchmark's
own scale: both sides' item ratings are averaged per item and scored with the same scoring contract.

The package, one concept per module:

* :mod:`~valueportrait.deviation.measures`: the statistics on portraits -- per-dimension deviation with a
  bootstrap CI (:func:`deviation_ci`), profile agreement (:func:`profile_agreement`), gaps between groups
  (:func:`gap_comparison`, :func:`permutation_gap_pvalue`), the bias index (:func:`bias_index`);
* :mod:`~valueportrait.deviation.distributions`: item-level distribution alignment, 1 - normalised
  Wasserstein (OpinionQA) and 1 - Jensen-Shannon distance (GlobalOpinionQA) -- :func:`wasserstein_alignment`,
  :func:`js_alignment`, :func:`distribution_alignment`;
* :mod:`~valueportrait.deviation.personas`: persona -> (attribute, group) (:func:`resolve_personas`);
* :mod:`~valueportrait.deviation.model` and :mod:`~valueportrait.deviation.groups`: the model side and the
  human side (raters or norms) of a comparison;
* :mod:`~valueportrait.deviation.compare`: :func:`compare_personas` (against the raters) and
  :func:`compare_with_norms` (against a norms table), one pipeline returning a :class:`DeviationReport` of
  flat tables;
* :mod:`~valueportrait.deviation.io`: :func:`read_norms` and the JSON form of a report
  (:func:`report_to_dict`);
* :mod:`~valueportrait.deviation.plot`: paired radar charts (needs matplotlib; not imported here).

All functions are pure; the CLI (``valueportrait deviation``) and the metric are shells over
:func:`compare_personas` / :func:`compare_with_norms`.

References
----------
Santurkar, S. et al. (2023). Whose Opinions Do Language Models Reflect? ICML (OpinionQA).
Durmus, E. et al. (2023). Towards Measuring the Representation of Subjective Global Opinions in Language
Models. arXiv:2306.16388 (GlobalOpinionQA).
"""

from __future__ import annotations

from .compare import DeviationReport, compare_personas, compare_with_norms
from .distributions import distribution_alignment, js_alignment, rating_distributions, wasserstein_alignment
from .io import NORMS_REQUIRED, read_norms, report_to_dict
from .measures import (GAP_EPS, PROFILE_FAMILIES, bias_index, deviation_ci, gap_comparison, permutation_gap_pvalue,
                       profile_agreement)
from .personas import parse_group_label, read_persona_map, resolve_personas

__all__ = [
    "GAP_EPS", "NORMS_REQUIRED", "PROFILE_FAMILIES", "DeviationReport", "bias_index", "compare_personas",
    "compare_with_norms", "deviation_ci", "distribution_alignment", "gap_comparison", "js_alignment",
    "parse_group_label", "permutation_gap_pvalue", "profile_agreement", "rating_distributions", "read_norms",
    "read_persona_map", "report_to_dict", "resolve_personas", "wasserstein_alignment",
]
