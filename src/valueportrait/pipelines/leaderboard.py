"""``valueportrait score`` as a library call: :func:`score_leaderboard` reads ratings, checks their item ids, scores
every model (and the human raters) with one selection and one set of intervals, measures prompt sensitivity and
coverage, and writes the files; :class:`Leaderboard` is what it made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..dataset import ValuePortraitData, dataset_name, dataset_of
from ..chance import chance_flags, chance_rule
from ..errors import InputError
from ..outputs import check_output
from ..settings import DatasetRef, Intervals, Selection, UpstreamOutputs, built_selection, revision_of
from ..staging import output_folder
from ..style import instrument_meta

#: The files :func:`score_leaderboard` writes besides one ``<model>_scores.json`` per model.
LEADERBOARD_FILES = ("leaderboard.csv", "leaderboard.json", "leaderboard.md")


def check_item_ids(item_ids: Sequence[str], data: ValuePortraitData, *, what: str = "item id(s)",
                   hint: str = "Is the dataset the right build?") -> None:
    """Raise :class:`InputError` naming the ids (first ten) that are not items of ``data``."""
    unknown = sorted(set(map(str, item_ids)) - set(data.item_ids))
    if unknown:
        shown = ", ".join(repr(v) for v in unknown[:10]) + (f" ... ({len(unknown)} in all)" if len(unknown) > 10 else "")
        raise InputError(f"{len(unknown)} {what} are not item ids of this dataset: {shown}. {hint}")


@dataclass
class Leaderboard:
    """What :func:`score_leaderboard` made: one portrait per model (the human raters last), and what it wrote.

    ``ci_over``: the unit of the models' intervals (the human row's is ``HUMAN_CI_UNITS[ci_over]``);
    ``reliability``: {model: :func:`~valueportrait.scoring.portrait_reliability` record}; ``coverage``:
    {model: :func:`~valueportrait.coverage.coverage_record`}; ``duplicates_removed``: ratings of a request
    already rated that the ``selection.duplicates`` policy dropped or averaged in. A model's ratings under a
    persona are the portrait ``"{model} [{persona}]"``. ``reference``: the dataset's ``reference_portraits``
    (the released models) when it has them and the scores use the build's selection and centring, else None.
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
    above_chance: dict[str, dict[str, bool]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: {model: how its ratings were produced} (run directories only: :func:`~valueportrait.ratings.runs.run_settings`)
    runs: dict[str, dict] = field(default_factory=dict)
    duplicates_removed: int = 0
    reference: pd.DataFrame | None = None

    @property
    def models(self) -> list[str]:
        from ..scoring import HUMAN_MODEL

        return [m for m in self.portraits if m != HUMAN_MODEL]

    def text(self, width: int = 120) -> str:
        """The leaderboard as printed: per family, scores with their intervals and unit, unreliable ones marked."""
        from ..report import leaderboard_text

        return leaderboard_text(self.portraits, confidence=self.confidence,
                                reliability=self.reliability, width=width, above_chance=self.above_chance,
                                meta=self.meta)

    def board(self) -> dict[str, Any]:
        """The leaderboard as :func:`valueportrait.report.leaderboard_json` writes it (what the HTML page reads)."""
        from ..report import leaderboard_json

        meta = self.meta or {"dataset": self.dataset, "ci_over": self.ci_over, "confidence": self.confidence}
        if self.above_chance is not None:
            meta = {**meta, "above_chance": self.above_chance}
        return leaderboard_json(self.portraits, reliability=self.reliability, coverage=self.coverage,
                                sensitivity=self.sensitivity, **meta)


def check_leaderboard_folder(out_dir: str | Path | None, overwrite: bool, inputs: Sequence[Any] = ()) -> None:
    """The output rule (:func:`valueportrait.outputs.check_output`) for ``score``'s ``out_dir``: refused unless
    absent, empty, or (with ``overwrite``) a folder an earlier ``score`` wrote holding nothing else; never an
    input (``inputs``: the ratings sources, the upstream outputs, the dataset folder) or around one."""
    if out_dir is not None:
        check_output(out_dir, overwrite=overwrite, command="score", inputs=inputs)


def _requests(ratings: pd.DataFrame, sources: Sequence[str | Path], n_items: int) -> dict[str, int]:
    """Expected requests per model: from the run manifests, else from the variants and personas rated."""
    from ..coverage import expected_requests, requests_of_manifest
    from ..ratings.runs import read_manifest, run_dirs

    from ..ratings.sources import portrait_name

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
    from ..coverage import no_rating_message
    from ..ratings.runs import read_manifest, run_dirs, run_without_ratings

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
    from ..coverage import coverage_record
    from ..ratings.runs import runs_of
    from ..ratings.sources import read_sources
    from ..report import write_leaderboard, write_upstream_scores
    from ..scoring import HUMAN_CI_UNITS, HUMAN_MODEL, check_ci_over, interval_portrait, reliability_table, score_humans
    from ..sensitivity import sensitivity_table

    upstream = [s for s in ratings_sources if isinstance(s, UpstreamOutputs)]
    ratings_sources = [s for s in ratings_sources if not isinstance(s, UpstreamOutputs)]
    if not ratings_sources and not upstream:
        raise InputError("give run directories or ratings files and/or an upstream outputs folder to score")
    ci_over = check_ci_over(intervals.over)
    inputs = (*ratings_sources, *(u.folder for u in upstream),
              dataset.name if isinstance(dataset, DatasetRef) else dataset)
    check_leaderboard_folder(out_dir, overwrite, inputs)
    if dataset is None:
        from ..ratings.runs import run_dataset

        dataset = DatasetRef(*run_dataset(ratings_sources))
    data = dataset_of(dataset)
    instrument = data.instrument
    ratings, summary, removed = read_sources([*upstream, *ratings_sources], progress=progress,
                                             duplicates=selection.duplicates, instrument=instrument)
    parse = upstream[0].parse if upstream else "valueportrait"
    check_item_ids(ratings["item_id"], data, hint="Is --dataset the right build?")
    requests = _requests(ratings, ratings_sources, len(data.item_ids))
    _check_rated(ratings, ratings_sources)
    sel = data.selection(selection)
    center = selection.center
    kw = dict(confidence=intervals.level, center=center, min_items=selection.min_items, instrument=instrument)
    groups = dict(tuple(ratings.groupby("model", sort=True)))
    portraits = {str(m): interval_portrait(g, sel, ci_over=ci_over, **kw) for m, g in groups.items()}
    coverage = {str(m): coverage_record(g, portraits[str(m)], sel, requests=requests[str(m)])
                for m, g in groups.items()}
    reliability = reliability_table(ratings, sel, instrument=instrument) if "variant" in ratings else {}
    if humans:
        portraits[HUMAN_MODEL] = score_humans(data.human_ratings, sel,
                                              intervals=replace(intervals, over=HUMAN_CI_UNITS[ci_over]),
                                              center=center, min_items=selection.min_items, instrument=instrument)
    sens = None
    if "variant" in ratings and ratings["variant"].notna().any():
        sens = sensitivity_table(ratings)
    name = dataset_name(dataset)
    meta = dict(dataset=name, revision=revision_of(dataset), dataset_version=data.build_info.get("dataset_version"),
                selection=selection.resolved(data.build_info.get("selection")), center=center, ci_over=ci_over,
                human_ci_over=HUMAN_CI_UNITS[ci_over] if humans else None, n_boot=intervals.n_boot,
                confidence=intervals.level, seed=intervals.seed, parse=parse, duplicates=selection.duplicates,
                duplicates_removed=removed, instrument=instrument_meta(instrument))
    flags = chance_flags(data.build_info)
    if flags is not None:  # the build's per-dimension chance test (absent for datasets built before it)
        meta["above_chance"] = flags
        # the rule the flags refer to (the build's), and whether the scores use it: copied, not recomputed
        meta["above_chance_rule"] = chance_rule(data.build_info, meta["selection"])
    # the released models, comparable only when scored with the build's own selection and centring
    same = (meta["selection"] == built_selection(data.build_info.get("selection")).rule()
            and (center, selection.min_items) == (Selection().center, Selection().min_items))
    board = Leaderboard(portraits=portraits, ratings=ratings, parse_summary=summary, sensitivity=sens,
                        ci_over=ci_over, confidence=intervals.level, reliability=reliability,
                        coverage=coverage, dataset=name, meta=meta, above_chance=flags, duplicates_removed=removed,
                        runs=runs_of(ratings_sources), reference=data.reference_portraits if same else None)
    if out_dir is not None:
        out = Path(out_dir)
        with output_folder(out, overwrite=overwrite, command="score", inputs=inputs) as tmp:  # whole or nothing
            paths = write_leaderboard(tmp, portraits, sensitivity=sens, reliability=reliability, coverage=coverage,
                                      runs=board.runs, **meta)
            written = [write_upstream_scores(tmp, m, portraits[m]) for m in board.models] + list(paths.values())
        board.written = [out / p.name for p in written]
    return board


__all__ = ["LEADERBOARD_FILES", "Leaderboard", "check_item_ids", "check_leaderboard_folder", "score_leaderboard"]
