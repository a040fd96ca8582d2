"""``valueportrait deviation`` as a library call: :func:`run_deviation` compares a model's personas with the real
groups and writes the tables; :func:`human_source` is the one place that decides where the human side comes from
(for the CLI and the metric alike) and :func:`deviation_report` computes the comparison."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..dataset import ValuePortraitData, dataset_name, dataset_of
from ..errors import InputError
from ..io import atomic_write_json
from ..outputs import check_output
from ..staging import output_folder
from ..settings import DatasetRef, DemographicsFile, Deviation, Intervals, Selection

#: The tables :func:`run_deviation` writes as ``<name>.csv`` (plus ``settings.json`` and the charts).
DEVIATION_TABLES = ("dimensions", "agreement", "gaps", "bias", "distributions")
#: What :func:`human_source` can decide.
HumanSource = Literal["demographics file", "norms table", "dataset norms", "dataset raters"]


def human_source(data: ValuePortraitData, deviation: Deviation = Deviation(), *,
                 reselected: bool = False) -> HumanSource:
    """Where the human side of the deviation statistics comes from (the one place that decides it).

    ``deviation.demographics`` / ``deviation.norms``: the caller gives the raters' demographics / a norms
    table (at most one; :class:`~valueportrait.settings.Deviation` checks). Otherwise the dataset's own: its
    raters grouped by the demographics it was built with (``human="raters"``, the default), or its stored
    ``human_group_norms`` (``human="norms"``; refused when the selection was ``reselected``, since the norms
    were scored with the build's).
    """
    human = deviation.human
    if deviation.demographics is not None:
        return "demographics file"
    if deviation.norms is not None:
        return "norms table"
    if not data.demographic_attributes or (human == "norms" and data.human_group_norms is None):
        raise InputError("this dataset has no demographics (it was built without --demographics; the public "
                         "release has none), so it has no human groups to compare the personas with: pass "
                         "norms=<a table with columns attribute, group, family, dimension, score> (a "
                         "DataFrame, a list of dicts or a CSV / parquet / JSON path; --norms FILE on the "
                         "command line) or the raters' demographics (--demographics FILE), or rebuild the "
                         "dataset with `valueportrait build --demographics FILE`")
    if human == "norms":
        if reselected:
            raise InputError("the dataset's human_group_norms were scored with the build's item selection; "
                             "with threshold / alpha / mode / correlations use human='raters' (the default)")
        return "dataset norms"
    return "dataset raters"


def deviation_report(ratings: pd.DataFrame, data: ValuePortraitData, *, selection: Selection = Selection(),
                     intervals: Intervals = Intervals(over="items"),
                     deviation: Deviation = Deviation()) -> tuple[HumanSource, Any]:
    """``(source, report)``: the personas in ``ratings`` (``item_id, rating, persona``) against the human side.

    ``deviation.demographics``: the raters' demographics (a :class:`~valueportrait.settings.DemographicsFile`
    or a read :class:`~valueportrait.demographics.Demographics`); ``deviation.norms``: a norms table (anything
    :func:`~valueportrait.deviation.read_norms` reads); neither: the dataset's own, as :func:`human_source`
    decides. ``deviation.persona_groups``: a mapping or a persona map file. The report is a
    :class:`~valueportrait.deviation.DeviationReport`.
    """
    from ..demographics import MIN_RATERS, demographics_from_dataset, demographics_of
    from ..deviation import compare_personas, compare_with_norms, read_norms, read_persona_map

    source = human_source(data, deviation, reselected=selection.reselects)
    build_norms = (data.build_info.get("demographics") or {}).get("norms") or {}
    min_raters = deviation.min_raters or int(build_norms.get("min_raters", MIN_RATERS))
    groups = deviation.persona_groups
    groups = read_persona_map(groups) if isinstance(groups, (str, Path)) else groups
    sel = data.selection(selection)
    if source in ("norms table", "dataset norms"):
        table, level = ((read_norms(deviation.norms), deviation.norms_confidence) if source == "norms table"
                        else (data.human_group_norms, float(build_norms.get("ci", deviation.norms_confidence))))
        dev = replace(deviation, norms=None, norms_confidence=level, min_raters=min_raters, persona_groups=groups)
        report = compare_with_norms(ratings, table, sel, items=data.item_ids, intervals=intervals, deviation=dev)
    else:
        demo = (demographics_of(deviation.demographics) if source == "demographics file"
                else demographics_from_dataset(data))
        dev = replace(deviation, demographics=None, min_raters=min_raters, persona_groups=groups)
        report = compare_personas(data, demo, ratings, selection=sel, intervals=intervals, deviation=dev)
    return source, report


@dataclass
class DeviationRun:
    """What :func:`run_deviation` made: the report, the model it is of, the settings written, the files."""

    report: Any
    model: str
    source: HumanSource
    settings: dict[str, Any]
    out_dir: Path
    written: list[str] = field(default_factory=list)


def one_model(ratings: pd.DataFrame, model: str | None, where: str) -> tuple[pd.DataFrame, str]:
    """The ratings of one model (``model``, or the only one) and its name."""
    if "model" in ratings.columns and ratings["model"].nunique() > 1:
        all_models = list(ratings["model"].dropna().unique())
        if model is None:
            raise InputError(f"{where} holds several models ({', '.join(map(str, all_models))}); "
                             "choose one with --model")
        ratings = ratings[ratings["model"] == model]
        if ratings.empty:
            raise InputError(f"no ratings of model {model!r} in {where}; it holds {', '.join(map(str, all_models))}:"
                             " choose one of those with --model")
    name = model or (str(ratings["model"].iloc[0]) if "model" in ratings.columns and len(ratings)
                     else Path(where).stem)
    return ratings, name


def file_of(demographics: Any) -> Any:
    """The file of a demographics setting (:class:`~valueportrait.settings.DemographicsFile` or a path), else as is."""
    return demographics.path if isinstance(demographics, DemographicsFile) else demographics


def run_deviation(ratings_source: str | Path, *, dataset: str | Path | DatasetRef | ValuePortraitData,
                  out_dir: str | Path, model: str | None = None, intervals: Intervals = Intervals(over="items"),
                  deviation: Deviation = Deviation(), overwrite: bool = False) -> DeviationRun:
    """Compare a model's personas with the real groups and write the tables (``valueportrait deviation``).

    The human side: the raters' demographics file (``deviation.demographics``, a
    :class:`~valueportrait.settings.DemographicsFile`), a norms table (``deviation.norms``), or the dataset's own
    (``deviation.human``), as :func:`human_source` decides; ``deviation.persona_groups`` maps personas to groups
    (a persona map file or a mapping). ``model``: which model of the ratings (needed when they hold several).
    Writes ``out_dir/{dimensions,agreement,gaps,bias,distributions}.csv``, ``settings.json`` and, with
    ``deviation.plot``, one radar chart per attribute, into a temporary sibling renamed into place when complete.
    An existing ``out_dir`` is refused before any work unless ``overwrite``.
    """
    from ..demographics import demographics_of
    from ..deviation import read_persona_map
    from ..ratings import read_ratings

    out = Path(out_dir)
    inputs = tuple(v if isinstance(v, (str, Path)) else None for v in (
        ratings_source, deviation.persona_groups, file_of(deviation.demographics), deviation.norms,
        dataset.name if isinstance(dataset, DatasetRef) else dataset))
    check_output(out, overwrite=overwrite, command="deviation", inputs=inputs)  # before any work
    if deviation.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError("drawing the radar charts needs matplotlib: pip install 'valueportrait[plot]', "
                             "or pass --no-plot (Deviation(plot=False))") from None
    demographics = deviation.demographics
    if demographics is not None:  # read first: a bad file fails before the work
        deviation = replace(deviation, demographics=demographics_of(demographics))
    if isinstance(deviation.persona_groups, (str, Path)):
        deviation = replace(deviation, persona_groups=read_persona_map(deviation.persona_groups))
    ratings, model_name = one_model(read_ratings(ratings_source), model, str(ratings_source))
    data = dataset_of(dataset)
    source, report = deviation_report(ratings, data, intervals=intervals, deviation=deviation)
    name = dataset_name(dataset)
    file = file_of(demographics)
    settings = {**report.settings, "model": model_name, "dataset": name,
                "demographics": {"demographics file": str(file),
                                 "dataset raters": f"{name} (participants config)"}.get(source),
                "norms": {"norms table": str(deviation.norms),
                          "dataset norms": f"{name} (human_group_norms config)"}.get(source),
                "ratings": str(ratings_source), "attributes": list(dict.fromkeys(report.dimensions["attribute"]))}
    from ..deviation.plot import SYNTHETIC_NOTE, synthetic_source

    if synthetic_source(source, demographics, data.build_info):
        settings = {"synthetic_demographics": SYNTHETIC_NOTE, **settings}
    with output_folder(out, overwrite=overwrite, command="deviation", inputs=inputs) as tmp:
        written = _write_deviation(report, settings, tmp, model_name, deviation.plot)
    return DeviationRun(report=report, model=model_name, source=source, settings=settings, out_dir=out,
                        written=written)


def _write_deviation(report, settings: dict, tmp: Path, model_name: str, plot: bool) -> list[str]:
    """Write the tables, settings.json and the charts into the staging folder ``tmp``; the names written."""
    for name, table in report.tables().items():
        table.to_csv(tmp / f"{name}.csv", index=False)
    atomic_write_json(tmp / "settings.json", settings)
    written = [f"{n}.csv" for n in DEVIATION_TABLES] + ["settings.json"]
    if plot:
        from ..deviation.plot import save_radars

        written += [p.name for p in save_radars(report.dimensions, tmp, model_name=model_name,
                                                synthetic="synthetic_demographics" in settings,
                                                confidence=float(settings.get("ci") or 0.95))]
    return written


__all__ = ["DEVIATION_TABLES", "DeviationRun", "HumanSource", "deviation_report", "file_of", "human_source",
           "one_model", "run_deviation"]
