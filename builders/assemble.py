"""Every table of a build in memory, as its :class:`~valueportrait.settings.Build` settings say.

:func:`build_tables` is what both ``valueportrait build`` (:func:`valueportrait.builders.build.build_dataset`)
and the ``datasets`` builder (:mod:`valueportrait.dataset_script.valueportrait`, whose config holds a ``Build``)
make: the release's tables (:func:`~valueportrait.builders.release.from_release`) with the build's selection,
and, with demographics, :func:`attach_demographics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from valueportrait.dataset import ValuePortraitData
from valueportrait.errors import InputError
from valueportrait.demographics import MIN_RATERS
from valueportrait.settings import Build, Intervals

from .raw_release import resolve_raw_dir
from .reference import attach_reference
from .release import from_release, with_scoring

if TYPE_CHECKING:
    from valueportrait.demographics import Demographics


def build_tables(build: Build = Build()) -> ValuePortraitData:
    """Every table of a build in memory, as ``build`` says: :func:`~valueportrait.builders.release.from_release`
    with its selection (or, for ``build.survey``, :func:`~valueportrait.builders.survey_build.from_survey`), then :func:`attach_demographics` when it has demographics (what the ``datasets``
    builder writes, :mod:`valueportrait.dataset_script.valueportrait`)."""
    if build.survey is not None:
        from .survey_build import from_survey

        given = [n for n in ("raw", "demographics", "strict", "allow_partial") if getattr(build, n)]
        if given:
            raise InputError(f"a build from a survey folder takes no {', '.join(given)} (the Value Portrait "
                             "release's settings); give either the survey or the raw release")

        return from_survey(build.survey, build.selection)
    rule = build.rule
    data = from_release(build.raw, correlations=rule.correlations, threshold=rule.threshold, alpha=rule.alpha,
                        mode=rule.mode, correction=rule.correction, allow_partial=build.allow_partial,
                        strict=build.strict)
    if rule.scoring not in (None, "threshold"):
        data = with_scoring(data, rule.scoring)
    data = attach_reference(data, resolve_raw_dir(build.raw))
    if build.demographics is not None:
        from valueportrait.demographics import demographics_of

        data = attach_demographics(data, demographics_of(build.demographics), norms=build.norms,
                                   min_raters=build.min_raters)
    return data


def attach_demographics(data: ValuePortraitData, demo: Demographics, *,
                        norms: Intervals = Intervals(over="raters"), min_raters: int = MIN_RATERS) -> ValuePortraitData:
    """``data`` with the demographics joined: attribute columns in ``participants``, the ``human_group_norms``
    config and ``build_info["demographics"]``.

    The norms are :func:`valueportrait.norms.human_group_norms` of the build's own selection
    (bootstrap over raters with ``norms``: ``n_boot`` replicates, ``level``, ``seed``; groups with fewer than
    ``min_raters`` raters get a null row with a note). Unknown ids are dropped and participants without a row
    counted, with a :class:`~valueportrait.demographics.DemographicsWarning` each. Pure: returns a new object.
    """
    import warnings
    from dataclasses import replace

    from valueportrait.demographics import DemographicsWarning, check_participants, join_demographics
    from valueportrait.norms import demographics_build_info, human_group_norms

    demo = check_participants(demo, data.participants["participant_id"].tolist())  # warns once, here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DemographicsWarning)  # the same warnings again from the checks below
        participants = join_demographics(data.participants, demo)
        table = human_group_norms(data, demo, n_boot=norms.n_boot, confidence=norms.level, seed=norms.seed,
                                  min_raters=min_raters)
    info = {**data.build_info, "demographics": demographics_build_info(demo, data.participants, table)}
    return replace(data, participants=participants, human_group_norms=table, build_info=info)




__all__ = ["attach_demographics", "build_tables"]
