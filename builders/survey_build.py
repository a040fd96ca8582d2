"""A survey's tables as a dataset in memory: correlations, selection, prompts, validity (``build --survey DIR``).

:func:`from_survey` is the survey's counterpart of :func:`valueportrait.builders.release.from_release`: the same
configs (items, correlations, human_ratings, participants, prompts, queries), the same vectorised Spearman
(:func:`~valueportrait.builders.correlations.compute_correlations` over the instrument's dimensions), the same
selection rule (:func:`valueportrait.selection.select`: threshold / alpha / mode / correction, per family; or the
correlation-weighted scoring), and the validity report per dimension with its nulls
(:mod:`~valueportrait.builders.survey_validity`). :func:`valueportrait.builders.build.build_dataset` writes it
through the same path as a Value Portrait build.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from valueportrait.dataset import ValuePortraitData
from valueportrait.errors import InputError
from valueportrait.selection import PAPER_SELECTION, select, selection_departures, version_label, warn_empty_families
from valueportrait.settings import BUILD_SELECTION, Selection, over

from .correlations import compute_correlations
from .release import instrument_info
from .survey_input import Survey, read_survey
from .survey_validity import survey_validity


def from_survey(survey: Survey | str | Path, selection: Selection = Selection()) -> ValuePortraitData:
    """Every table of a survey build in memory, selected with ``selection`` (its None fields: the paper's rule,
    rho > 0.3 and p < 0.05, mode pos, no correction, on the computed correlations)."""
    if not isinstance(survey, Survey):
        survey = read_survey(survey)
    if selection.correlations == "published":
        raise InputError("--correlations published: a survey has no published correlation tables; its "
                         "correlations are computed from its ratings. Leave --correlations out (or say computed)")
    rule = over(replace(BUILD_SELECTION, correlations="computed"), selection)
    inst = survey.instrument
    corr = compute_correlations(survey.human_ratings, survey.participants, inst.dimensions)
    key = select(corr["rho"].to_numpy(), corr["p_value"].to_numpy(), threshold=rule.threshold, alpha=rule.alpha,
                 mode=rule.mode, correction=rule.correction, families=corr["family"].to_numpy())
    warn_empty_families(corr["family"].to_numpy(), key, rule.correction)
    corr["selected"] = key != 0
    corr["rho_published"] = np.nan
    corr["p_value_published"] = np.nan
    items = survey.items.copy()
    sel = corr.loc[corr["selected"], ["item_id", "family", "dimension"]]
    for family in inst.families:
        order = {d: k for k, d in enumerate(family.dimensions)}
        of = sel[sel["family"] == family.key].groupby("item_id")["dimension"].agg(list)
        items[family.key] = [sorted(of.get(i, []), key=order.__getitem__) for i in items["item_id"]]
    prompts = pd.DataFrame([{"variant": t.variant, "template": t.kind, "text": t.text} for t in inst.templates])
    queries = items.drop_duplicates("query_id")[["query_id", "source", "template", "title", "text", "categories"]]
    queries = queries.assign(source_metadata="{}", statistics="{}").reset_index(drop=True)
    chosen = rule.rule()
    info = {
        "dataset_version": inst.version,
        "selection": chosen,
        "paper_selection": False,  # a survey's own items: the paper's selection is of Value Portrait's
        # the label departs only where the rule departs from the paper's (a survey's correlations are computed)
        "version_label": version_label(inst.version, {**chosen, "correlations": PAPER_SELECTION["correlations"]}),
        "rule_departures": selection_departures({**chosen, "correlations": PAPER_SELECTION["correlations"]}),
        "cross_check": None,
        "reliability": None,
        "validity": survey_validity(survey.human_ratings, survey.participants, corr, inst, chosen),
        "instrument": instrument_info(inst),
        "survey": {"folder": survey.folder.name, "groups": survey.groups,
                   "raters": int(len(survey.participants)), "ratings": int(len(survey.human_ratings)),
                   "items": int(len(items))},
        "inputs": dict(sorted(survey.inputs.items())),
    }
    return ValuePortraitData(items=items, correlations=corr[["item_id", "family", "dimension", "rho", "p_value", "n",
                                                             "selected", "rho_published", "p_value_published"]],
                             human_ratings=survey.human_ratings, participants=survey.participants, prompts=prompts,
                             queries=queries, build_info=info)


__all__ = ["from_survey"]
