"""The two orchestrations the CLI and the metric share: the leaderboard and the deviation pipeline.

:func:`score_leaderboard` is ``valueportrait score``: read ratings, check their item ids, score every model
(and the human raters) with one selection and one bootstrap, measure prompt sensitivity, write the files.
:func:`run_deviation` is ``valueportrait deviation``: a model's personas against the real groups, with the
human side decided by :func:`human_source` (the one place that decides it, for the CLI and the metric alike)
and computed by :func:`deviation_report`. Both check the output folder before doing any work, and both are
plain functions a Python user can call; the CLI only parses options and prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .dataset import ValuePortraitData, dataset_name, dataset_of, dataset_revision
from .errors import InputError, OutputExistsError
from .io import atomic_write_json
from .outputs import check_output, output_folder
from .settings import DatasetRef, DemographicsFile, Deviation, Intervals, Selection, UpstreamOutputs

#: The files :func:`score_leaderboard` writes besides one ``<model>_scores.json`` per model.
LEADERBOARD_FILES = ("leaderboard.csv", "leaderboard.json", "leaderboard.md")
#: The tables :func:`run_deviation` writes as ``<name>.csv`` (plus ``settings.json`` and the charts).
DEVIATION_TABLES = ("dimensions", "agreement", "gaps", "bias", "distributions")
#: What :func:`human_source` can decide.
HumanSource = Literal["demographics file", "norms table", "dataset norms", "dataset raters"]


def check_item_ids(item_ids: Sequence[str], data: ValuePortraitData, *, what: str = "item id(s)",
                   hint: str = "Is the dataset the right build?") -> None:
    """Raise :class:`InputError` naming the ids (first ten) that are not items of ``data``."""
    unknown = sorted(set(map(str, item_ids)) - set(data.item_ids))
    if unknown:
        shown = ", ".join(repr(v) for v in unknown[:10]) + (f" ... ({len(unknown)} in all)" if len(unknown) > 10 else "")
        raise InputError(f"{len(unknown)} {what} are not item ids of this dataset: {shown}. {hint}")


# -- the leaderboard --------------------------------------------------------------------------------------------
@dataclass
class Leaderboard:
    """What :func:`score_leaderboard` made: one portrait per model (the human raters last), and what it wrote.

    ``ci_over``: the unit of the models' intervals (the human row's is ``HUMAN_CI_UNITS[ci_over]``);
    ``reliability``: {model: :func:`~valueportrait.scoring.portrait_reliability` record}; ``coverage``:
    {model: :func:`~valueportrait.coverage.coverage_record`}; ``duplicates_removed``: ratings of a request
    already rated that the ``duplicates`` policy dropped or averaged in. A model's ratings under a persona are
    the portrait ``"{model} [{persona}]"``.
    """

    portraits: dict[str, pd.DataFrame]
    ratings: pd.DataFrame
    parse_summary: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    written: list[Path] = field(default_factory=list)
    ci_over: str = "variants"
    confidence: float = 0.95
    reliability: dict[str, dict] = field(default_factory=dict)
    coverage: dict[str, dict] = field(default_factory=dict)
    dataset: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    duplicates_removed: int = 0

    @property
    def models(self) -> list[str]:
        from .scoring import HUMAN_MODEL

        return [m for m in self.portraits if m != HUMAN_MODEL]

    def text(self, width: int = 120) -> str:
        """The leaderboard as printed: per family, scores with their intervals and unit, unreliable ones marked."""
        from .report import leaderboard_text

        return leaderboard_text(self.portraits, ci_over=self.ci_over, confidence=self.confidence,
                                reliability=self.reliability, width=width)

    def board(self) -> dict[str, Any]:
        """The leaderboard as :func:`valueportrait.report.leaderboard_json` writes it (what the HTML page reads)."""
        from .report import leaderboard_json

        meta = self.meta or {"dataset": self.dataset, "ci_over": self.ci_over, "confidence": self.confidence}
        return leaderboard_json(self.portraits, reliability=self.reliability, coverage=self.coverage,
                                sensitivity=self.sensitivity, **meta)


def check_leaderboard_folder(out_dir: str | Path | None, overwrite: bool) -> None:
    """Refuse an ``out_dir`` that holds a previous leaderboard (or score files) unless ``overwrite``."""
    if out_dir is None or overwrite or not Path(out_dir).is_dir():
        return
    out = Path(out_dir)
    existing = sorted(str(p) for p in [*(out / f for f in LEADERBOARD_FILES), *out.glob("*_scores.json")]
                      if p.exists())
    if existing:
        raise OutputExistsError(f"{', '.join(existing)} exist(s); pass --overwrite or choose another --out")


def _requests(ratings: pd.DataFrame, sources: Sequence[str | Path], n_items: int) -> dict[str, int]:
    """Expected requests per model: from the run manifests, else from the variants and personas rated."""
    from .coverage import expected_requests, requests_of_manifest
    from .ratings.runs import read_manifest, run_dirs

    from .ratings.sources import portrait_name

    out = {str(m): expected_requests(g, n_items) for m, g in ratings.groupby("model", sort=True)}
    for run in run_dirs(sources):
        m = read_manifest(run)
        personas = [p["label"] if isinstance(p, dict) else str(p) for p in m.get("personas") or []]
        if not personas:
            out[str(m["model"])] = requests_of_manifest(m, n_items)
        for label in personas:  # each persona is a portrait of its own
            out[portrait_name(str(m["model"]), label)] = requests_of_manifest({**m, "personas": []}, n_items)
    return out


def _check_rated(ratings: pd.DataFrame, sources: Sequence[str | Path]) -> None:
    """:class:`InputError` for a model none of whose answers gave a rating, with examples of its answers."""
    from .coverage import no_rating_message
    from .ratings.runs import read_manifest, run_dirs, run_without_ratings

    rated = ratings["rating"].notna().groupby(ratings["model"]).sum()
    empty = [str(m) for m, n in rated.items() if n == 0]
    if not empty:
        return
    runs = {str(read_manifest(r)["model"]): r for r in run_dirs(sources)}
    answers = ratings["model"].astype(str).value_counts()
    raise InputError(" ".join((run_without_ratings(runs[m]) if m in runs else None)
                              or no_rating_message(m, int(answers[m]), []) for m in empty))


def score_leaderboard(ratings_sources: Sequence[str | Path | UpstreamOutputs] = (), *,
                      dataset: str | Path | DatasetRef | ValuePortraitData | None = None,
                      selection: Selection = Selection(), intervals: Intervals = Intervals(), humans: bool = True,
                      out_dir: str | Path | None = None, overwrite: bool = False, progress: bool = False) -> Leaderboard:
    """Score model ratings into a leaderboard of value portraits (``valueportrait score``).

    Parameters
    ----------
    ratings_sources : run directories or ratings files (:func:`valueportrait.ratings.read_ratings`), and folders
        in upstream's output layout (:class:`~valueportrait.settings.UpstreamOutputs`).
    dataset : a built folder or Hub repo id, a :class:`~valueportrait.settings.DatasetRef` (with a revision), or a
        :class:`ValuePortraitData`; None: the dataset the run directories among ``ratings_sources`` were run on
        (:func:`~valueportrait.ratings.runs.run_dataset`).
    selection : the item selection of every portrait, and how it scores (``center``, ``min_items``;
        ``duplicates``: a request (model, persona, item, variant) rated more than once across the sources is an
        ``error`` (default), or ``first`` / ``mean`` keeps one, :func:`~valueportrait.ratings.duplicates.
        resolve_duplicates`, the rows removed counted in ``Leaderboard.duplicates_removed``). Each (model,
        persona) is its own portrait, named ``"{model} [{persona}]"``.
    intervals : ``over``: the unit of the models' intervals (:data:`~valueportrait.scoring.CI_UNITS`; the human
        row's is :data:`~valueportrait.scoring.HUMAN_CI_UNITS` of it); ``level`` of every interval; ``n_boot``
        and ``seed`` of the human row's rater bootstrap.
    humans : add the ``human raters`` row.
    out_dir, overwrite : write ``<model>_scores.json`` (upstream's schema) and ``leaderboard.csv/.json/.md``
        there; a folder holding a previous leaderboard is refused before any work unless ``overwrite``.
    progress : show a progress bar while reading upstream's outputs.

    Raises
    ------
    InputError
        No ratings; a source given twice; a repeated request (unless ``selection.duplicates``); item ids not in
        the dataset; a model none of whose answers gave a rating (with examples of its answers); no dataset
        given and no run directory recording one.
    """
    from .coverage import coverage_record
    from .ratings.sources import read_sources
    from .report import write_leaderboard, write_upstream_scores
    from .scoring import HUMAN_CI_UNITS, HUMAN_MODEL, check_ci_over, interval_portrait, reliability_table, score_humans
    from .sensitivity import sensitivity_table

    upstream = [s for s in ratings_sources if isinstance(s, UpstreamOutputs)]
    ratings_sources = [s for s in ratings_sources if not isinstance(s, UpstreamOutputs)]
    if not ratings_sources and not upstream:
        raise InputError("give run directories or ratings files and/or an upstream outputs folder to score")
    ci_over = check_ci_over(intervals.over)
    check_leaderboard_folder(out_dir, overwrite)
    if dataset is None:
        from .ratings.runs import run_dataset

        dataset = DatasetRef(*run_dataset(ratings_sources))
    data = dataset_of(dataset)
    ratings, summary, removed = read_sources([*upstream, *ratings_sources], progress=progress,
                                             duplicates=selection.duplicates)
    parse = upstream[0].parse if upstream else "valueportrait"
    check_item_ids(ratings["item_id"], data, hint="Is --dataset the right build?")
    requests = _requests(ratings, ratings_sources, len(data.item_ids))
    _check_rated(ratings, ratings_sources)
    sel = data.selection(selection)
    center = selection.center
    kw = dict(confidence=intervals.level, center=center, min_items=selection.min_items)
    groups = dict(tuple(ratings.groupby("model", sort=True)))
    portraits = {str(m): interval_portrait(g, sel, ci_over=ci_over, **kw) for m, g in groups.items()}
    coverage = {str(m): coverage_record(g, portraits[str(m)], sel, requests=requests[str(m)])
                for m, g in groups.items()}
    reliability = reliability_table(ratings, sel) if "variant" in ratings else {}
    if humans:
        portraits[HUMAN_MODEL] = score_humans(data.human_ratings, sel,
                                              intervals=replace(intervals, over=HUMAN_CI_UNITS[ci_over]),
                                              center=center, min_items=selection.min_items)
    sens = None
    if "variant" in ratings and ratings["variant"].notna().any():
        sens = sensitivity_table(ratings)
    name = dataset_name(dataset)
    meta = dict(dataset=name, revision=dataset_revision(dataset), dataset_version=data.build_info.get("dataset_version"),
                selection=selection.resolved(data.build_info.get("selection")), center=center, ci_over=ci_over,
                human_ci_over=HUMAN_CI_UNITS[ci_over] if humans else None, n_boot=intervals.n_boot,
                confidence=intervals.level, seed=intervals.seed, parse=parse, duplicates=selection.duplicates,
                duplicates_removed=removed)
    board = Leaderboard(portraits=portraits, ratings=ratings, parse_summary=summary, sensitivity=sens,
                        ci_over=ci_over, confidence=intervals.level, reliability=reliability,
                        coverage=coverage, dataset=name, meta=meta, duplicates_removed=removed)
    if out_dir is not None:
        out = Path(out_dir)
        paths = write_leaderboard(out, portraits, overwrite=overwrite, sensitivity=sens, reliability=reliability,
                                  coverage=coverage, **meta)
        board.written = [write_upstream_scores(out, m, portraits[m], overwrite=overwrite) for m in board.models]
        board.written += list(paths.values())
    return board


# -- the deviation pipeline -------------------------------------------------------------------------------------
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
    from .demographics import MIN_RATERS, demographics_from_dataset, demographics_of
    from .deviation import compare_personas, compare_with_norms, read_norms, read_persona_map

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
    from .demographics import demographics_of
    from .deviation import read_persona_map
    from .ratings import read_ratings

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
    from .deviation.plot import SYNTHETIC_NOTE, synthetic_source

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
        from .deviation.plot import save_radars

        written += [p.name for p in save_radars(report.dimensions, tmp, model_name=model_name,
                                                synthetic="synthetic_demographics" in settings,
                                                confidence=float(settings.get("ci") or 0.95))]
    return written


__all__ = ["DEVIATION_TABLES", "LEADERBOARD_FILES", "DeviationRun", "Leaderboard", "check_item_ids",
           "check_leaderboard_folder", "deviation_report", "human_source", "one_model",
           "run_deviation", "score_leaderboard"]
