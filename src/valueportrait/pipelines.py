"""The two orchestrations the CLI and the metric share: the leaderboard and the deviation pipeline.

:func:`score_leaderboard` is ``valueportrait score``: read ratings, check their item ids, score every model
(and the human raters) with one selection and one bootstrap, measure prompt sensitivity, write the files.
:func:`run_deviation` is ``valueportrait deviation``: a model's personas against the real groups, with the
human side decided by :func:`human_source` (the one place that decides it, for the CLI and the metric alike)
and computed by :func:`deviation_report`. Both check the output folder before doing any work, and both are
plain functions a Python user can call; the CLI only parses options and prints.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .config import BootstrapConfig, DeviationConfig, SelectionConfig
from .dataset import ValuePortraitData, open_dataset
from .errors import InputError, OutputExistsError
from .io import atomic_write_json, replace_folder

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
    {model: :func:`~valueportrait.coverage.coverage_record`}.
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
    runs: dict[str, dict] = field(default_factory=dict)

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

        return leaderboard_json(self.portraits, reliability=self.reliability, coverage=self.coverage,
                                sensitivity=self.sensitivity, dataset=self.dataset, ci_over=self.ci_over,
                                confidence=self.confidence)


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

    out = {str(m): expected_requests(g, n_items) for m, g in ratings.groupby("model", sort=True)}
    for run in run_dirs(sources):
        m = read_manifest(run)
        out[str(m["model"])] = requests_of_manifest(m, n_items)
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


def score_leaderboard(ratings_sources: Sequence[str | Path] = (), *, dataset: str | Path | ValuePortraitData | None = None,
                      revision: str | None = None, upstream_outputs: str | Path | None = None,
                      selection: SelectionConfig = SelectionConfig(), bootstrap: BootstrapConfig = BootstrapConfig(),
                      ci_over: str = "variants", center: bool = True, min_items: int = 1, humans: bool = True,
                      parse: Literal["valueportrait", "upstream"] = "valueportrait", out_dir: str | Path | None = None,
                      overwrite: bool = False, progress: bool = False) -> Leaderboard:
    """Score model ratings into a leaderboard of value portraits (``valueportrait score``).

    Parameters
    ----------
    ratings_sources : run directories or ratings files (:func:`valueportrait.ratings.read_ratings`).
    dataset, revision : a built folder or Hub repo id (+ revision), or a :class:`ValuePortraitData`; None: the
        dataset the run directories among ``ratings_sources`` were run on (:func:`~valueportrait.ratings.runs.run_dataset`).
    upstream_outputs : a folder in upstream's output layout (``<provider>/<model>_<variant>_results.json``).
    selection : the item selection of every portrait.
    bootstrap : ``confidence`` of every interval; ``n_boot`` and ``seed`` of the human row's rater bootstrap.
    ci_over : the unit of the models' intervals (:data:`~valueportrait.scoring.CI_UNITS`); the human row's is
        :data:`~valueportrait.scoring.HUMAN_CI_UNITS` of it.
    center, min_items : as :func:`~valueportrait.scoring.score_portrait`.
    humans : add the ``human raters`` row.
    parse : re-parse upstream's raw answers (``valueportrait``) or keep their ``numeric_response``.
    out_dir, overwrite : write ``<model>_scores.json`` (upstream's schema) and ``leaderboard.csv/.json/.md``
        there; a folder holding a previous leaderboard is refused before any work unless ``overwrite``.
    progress : show a progress bar while reading upstream's outputs.

    Raises
    ------
    InputError
        No ratings; item ids not in the dataset; a model none of whose answers gave a rating (with examples
        of its answers); no dataset given and no run directory recording one.
    """
    from .coverage import coverage_record
    from .ratings import read_ratings
    from .ratings.runs import runs_of
    from .report import write_leaderboard, write_upstream_scores
    from .scoring import HUMAN_CI_UNITS, HUMAN_MODEL, check_ci_over, interval_portrait, reliability_table, score_humans
    from .sensitivity import sensitivity_table

    if not ratings_sources and upstream_outputs is None:
        raise InputError("give run directories or ratings files and/or an upstream outputs folder to score")
    check_ci_over(ci_over)
    check_leaderboard_folder(out_dir, overwrite)
    if dataset is None:
        from .ratings.runs import run_dataset

        dataset, revision = run_dataset(ratings_sources)
    data = dataset if isinstance(dataset, ValuePortraitData) else open_dataset(dataset, revision=revision)
    frames, summary = [], None
    if upstream_outputs is not None:
        from .ratings.upstream import parse_summary, read_upstream_outputs

        up = read_upstream_outputs(upstream_outputs, parse=parse, progress=progress)
        frames.append(up)
        summary = parse_summary(up)
    frames += [read_ratings(p) for p in ratings_sources]
    ratings = pd.concat(frames, ignore_index=True)
    check_item_ids(ratings["item_id"], data, hint="Is --dataset the right build?")
    requests = _requests(ratings, ratings_sources, len(data.item_ids))
    _check_rated(ratings, ratings_sources)
    sel = data.selection(**selection.kwargs())
    kw = dict(confidence=bootstrap.confidence, center=center, min_items=min_items)
    groups = dict(tuple(ratings.groupby("model", sort=True)))
    portraits = {str(m): interval_portrait(g, sel, ci_over=ci_over, **kw) for m, g in groups.items()}
    coverage = {str(m): coverage_record(g, portraits[str(m)], sel, requests=requests[str(m)])
                for m, g in groups.items()}
    reliability = reliability_table(ratings, sel) if "variant" in ratings else {}
    if humans:
        portraits[HUMAN_MODEL] = score_humans(data.human_ratings, sel, ci_over=HUMAN_CI_UNITS[ci_over],
                                              n_boot=bootstrap.n_boot, seed=bootstrap.seed, **kw)
    sens = None
    if "variant" in ratings and ratings["variant"].notna().any():
        sens = sensitivity_table(ratings)
    name = None if isinstance(dataset, ValuePortraitData) else str(dataset)
    board = Leaderboard(portraits=portraits, ratings=ratings, parse_summary=summary, sensitivity=sens,
                        ci_over=ci_over, confidence=bootstrap.confidence, reliability=reliability,
                        coverage=coverage, dataset=name, runs=runs_of(ratings_sources))
    if out_dir is not None:
        out = Path(out_dir)
        paths = write_leaderboard(out, portraits, overwrite=overwrite, sensitivity=sens, reliability=reliability,
                                  coverage=coverage, runs=board.runs, dataset=name, revision=revision,
                                  dataset_version=data.build_info.get("dataset_version"),
                                  selection=selection.resolved(data.build_info.get("selection")), center=center,
                                  ci_over=ci_over, human_ci_over=HUMAN_CI_UNITS[ci_over] if humans else None,
                                  n_boot=bootstrap.n_boot, confidence=bootstrap.confidence, seed=bootstrap.seed,
                                  parse=parse)
        board.written = [write_upstream_scores(out, m, portraits[m], overwrite=overwrite) for m in board.models]
        board.written += list(paths.values())
    return board


# -- the deviation pipeline -------------------------------------------------------------------------------------
def check_human_inputs(*, demographics: bool = False, norms: bool = False, human: str | None = None) -> None:
    """Refuse a human side given twice (both a demographics file and a norms table, or either with ``human``)."""
    if demographics and norms:
        raise InputError("give at most one of --demographics FILE (the raters' demographics) and --norms FILE "
                         "(group norms as a table); with neither, the dataset's own demographics are used")
    if (demographics or norms) and human == "norms":
        raise InputError("--stored-norms uses the dataset's own human_group_norms config; leave out --demographics "
                         "and --norms with it (in Python: human='norms' takes no norms= or demographics)")
    if (demographics or norms) and human is not None:
        raise InputError(f"human={human!r} compares with the dataset's raters; leave it out when passing norms= "
                         "or demographics")


def human_source(data: ValuePortraitData, *, demographics: bool = False, norms: bool = False,
                 human: str | None = None, reselected: bool = False) -> HumanSource:
    """Where the human side of the deviation statistics comes from (the one place that decides it).

    ``demographics`` / ``norms``: the caller gives the raters' demographics / a norms table. Otherwise the
    dataset's own: its raters grouped by the demographics it was built with (``human="raters"``, the
    default), or its stored ``human_group_norms`` (``human="norms"``; refused when the selection was
    ``reselected``, since the norms were scored with the build's).
    """
    check_human_inputs(demographics=demographics, norms=norms, human=human)
    if demographics:
        return "demographics file"
    if norms:
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


def deviation_report(ratings: pd.DataFrame, data: ValuePortraitData, *, persona_map: Mapping[str, Any] | None = None,
                     demographics: Any = None, norms: Any = None, selection: SelectionConfig = SelectionConfig(),
                     bootstrap: BootstrapConfig = BootstrapConfig(),
                     deviation: DeviationConfig = DeviationConfig()) -> tuple[HumanSource, Any]:
    """``(source, report)``: the personas in ``ratings`` (``item_id, rating, persona``) against the human side.

    ``demographics``: a :class:`~valueportrait.demographics.Demographics` of the raters; ``norms``: a norms
    table (anything :func:`~valueportrait.deviation.read_norms` reads); neither: the dataset's own, as
    :func:`human_source` decides. The report is a :class:`~valueportrait.deviation.DeviationReport`.
    """
    from .demographics import MIN_RATERS, demographics_from_dataset
    from .deviation import compare_personas, compare_with_norms, read_norms

    source = human_source(data, demographics=demographics is not None, norms=norms is not None,
                          human=deviation.human, reselected=selection.reselects)
    build_norms = (data.build_info.get("demographics") or {}).get("norms") or {}
    min_raters = deviation.min_raters or int(build_norms.get("min_raters", MIN_RATERS))
    sel = data.selection(**selection.kwargs())
    boot = dict(n_boot=bootstrap.n_boot, confidence=bootstrap.confidence, seed=bootstrap.seed)
    if source in ("norms table", "dataset norms"):
        table, level = ((read_norms(norms), deviation.norms_confidence) if source == "norms table"
                        else (data.human_group_norms, float(build_norms.get("ci", deviation.norms_confidence))))
        report = compare_with_norms(ratings, table, sel, persona_map=persona_map, items=data.item_ids,
                                    norms_confidence=level, min_raters=min_raters, **boot)
    else:
        demo = demographics if source == "demographics file" else demographics_from_dataset(data)
        report = compare_personas(data, demo, ratings, persona_map=persona_map, selection=sel,
                                  n_perm=deviation.n_perm, min_raters=min_raters, **boot)
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


def run_deviation(ratings_source: str | Path, *, dataset: str | Path | ValuePortraitData, out_dir: str | Path,
                  revision: str | None = None, model: str | None = None, persona_map: str | Path | None = None,
                  demographics: str | Path | None = None, id_column: str | None = None,
                  attributes: Mapping[str, str] | None = None, bins: Mapping[str, Sequence[float]] | None = None,
                  norms: str | Path | None = None, bootstrap: BootstrapConfig = BootstrapConfig(),
                  deviation: DeviationConfig = DeviationConfig(), plot: bool = True,
                  overwrite: bool = False) -> DeviationRun:
    """Compare a model's personas with the real groups and write the tables (``valueportrait deviation``).

    The human side: the raters' ``demographics`` file (read with ``id_column``, ``attributes``, ``bins``), a
    ``norms`` table, or the dataset's own (``deviation.human``), as :func:`human_source` decides. Writes
    ``out_dir/{dimensions,agreement,gaps,bias,distributions}.csv``, ``settings.json`` and, with ``plot``, one
    radar chart per attribute, into a temporary sibling renamed into place when complete. An existing
    ``out_dir`` is refused before any work unless ``overwrite``.
    """
    from .demographics import read_demographics
    from .deviation import read_persona_map
    from .ratings import read_ratings

    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{str(out)!r} exists; pass --overwrite to replace it or choose another --out")
    if demographics is None and (id_column or attributes or bins):
        raise InputError("id_column / attributes / bins (--id-column, --attribute, --bins) only apply with "
                         "--demographics FILE (a dataset built with demographics carries its attributes, "
                         "already binned)")
    check_human_inputs(demographics=demographics is not None, norms=norms is not None, human=deviation.human)
    if plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError("drawing the radar charts needs matplotlib: pip install 'valueportrait[plot]', "
                             "or pass --no-plot (plot=False)") from None
    demo = (read_demographics(demographics, id_column=id_column, attributes=dict(attributes) if attributes else None,
                              bins=dict(bins) if bins else None) if demographics is not None else None)
    ratings, model_name = one_model(read_ratings(ratings_source), model, str(ratings_source))
    pmap = read_persona_map(persona_map) if persona_map else None
    data = dataset if isinstance(dataset, ValuePortraitData) else open_dataset(dataset, revision=revision)
    source, report = deviation_report(ratings, data, persona_map=pmap, demographics=demo,
                                      norms=norms, bootstrap=bootstrap, deviation=deviation)
    name = None if isinstance(dataset, ValuePortraitData) else str(dataset)
    settings = {**report.settings, "model": model_name, "dataset": name,
                "demographics": {"demographics file": str(demographics),
                                 "dataset raters": f"{name} (participants config)"}.get(source),
                "norms": {"norms table": str(norms), "dataset norms": f"{name} (human_group_norms config)"}.get(source),
                "ratings": str(ratings_source), "attributes": list(dict.fromkeys(report.dimensions["attribute"]))}
    written = _write_deviation(report, settings, out, model_name, plot)
    return DeviationRun(report=report, model=model_name, source=source, settings=settings, out_dir=out,
                        written=written)


def _write_deviation(report, settings: dict, out: Path, model_name: str, plot: bool) -> list[str]:
    """Write the tables, settings.json and the charts into a temporary sibling of ``out``, then swap it in."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, table in report.tables().items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        atomic_write_json(tmp / "settings.json", settings)
        written = [f"{n}.csv" for n in DEVIATION_TABLES] + ["settings.json"]
        if plot:
            from .deviation.plot import save_radars

            written += [p.name for p in save_radars(report.dimensions, tmp, model_name=model_name)]
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written


__all__ = ["DEVIATION_TABLES", "LEADERBOARD_FILES", "DeviationRun", "Leaderboard", "check_item_ids",
           "check_human_inputs", "check_leaderboard_folder", "deviation_report", "human_source", "one_model",
           "run_deviation", "score_leaderboard"]
