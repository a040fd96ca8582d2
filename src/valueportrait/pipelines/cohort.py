"""``valueportrait cohort`` as a library call: score a set of models as :func:`score_leaderboard` does, then the
cohort statistics of :mod:`valueportrait.analysis` (cohort means against the human raters, the diversity of
true portraits, group contrasts, one model's standing), written as JSON / CSV / Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis import Cohort, cohort_of_models, diversity_table, focus_table, group_contrasts
from ..dataset import ValuePortraitData, dataset_name, dataset_of
from ..errors import InputError
from ..ratings import item_ratings
from ..scoring import HUMAN_MODEL
from ..scoring.design import Design
from ..scoring.resample import rater_matrix
from ..settings import DatasetRef, Intervals, Selection, UpstreamOutputs
from .leaderboard import score_leaderboard

__all__ = ["COHORT_FILES", "Contrast", "run_cohort", "write_cohort"]

#: The files :func:`run_cohort` writes.
COHORT_FILES = ("cohort.json", "cohort.csv", "cohort.md")


@dataclass(frozen=True)
class Contrast:
    """A group contrast: the table ``path`` (CSV/TSV/JSON/JSONL; a ``model`` column and attribute columns), the
    attribute ``by`` to split on (two values, or the two ``values`` named), and optionally a ``cluster`` column to
    resample (e.g. provider)."""

    path: str | Path
    by: str
    cluster: str | None = None
    values: tuple[str, str] | None = None


def _groups_table(contrast: Contrast) -> pd.DataFrame:
    from ..table_files import read_table

    table, _ = read_table(contrast.path, what="groups table")
    for col in ("model", contrast.by, *([contrast.cluster] if contrast.cluster else [])):
        if col not in table.columns:
            raise InputError(f"{contrast.path}: no column {col!r}; it has {', '.join(map(str, table.columns))} "
                             "(a `model` column and the attribute columns --by / --cluster name)")
    return table.set_index(table["model"].astype(str))


def run_cohort(ratings_sources: Sequence[str | Path | UpstreamOutputs], *,
               dataset: str | Path | DatasetRef | ValuePortraitData | None = None,
               selection: Selection = Selection(), intervals: Intervals = Intervals(),
               contrast: Contrast | None = None, focus: str | None = None, diversity: bool = True,
               progress: bool = False) -> Cohort:
    """Score every model of ``ratings_sources`` (as ``valueportrait score``) and compute the cohort statistics.

    ``intervals``: level, replicates and seed of every interval (their units are fixed by the statistic and
    named in the result); ``contrast``: group contrasts; ``focus``: one model's standing among the others.
    """
    if dataset is None:  # as `score` does: the dataset the run directories were run on
        from ..ratings.runs import run_dataset

        dataset = DatasetRef(*run_dataset([s for s in ratings_sources if not isinstance(s, UpstreamOutputs)]))
    data = dataset_of(dataset)  # loaded once, scored with below
    board = score_leaderboard(ratings_sources, dataset=data, selection=selection,
                              intervals=intervals, humans=True, progress=progress)
    sel = data.selection(selection)
    design = Design.from_selection(sel, sorted(set(sel["item_id"])))
    ids = list(design.item_ids)
    ratings = board.ratings
    label = ratings["model"].astype(str)
    if "persona" in ratings and ratings["persona"].notna().any():
        raise InputError("the cohort is of models, but these ratings have personas; score the personas with "
                         "`valueportrait score` or give runs without personas")
    models = pd.DataFrame({m: item_ratings(g) for m, g in ratings.groupby(label, sort=True)}).T.reindex(columns=ids)
    humans = item_ratings(data.human_ratings[["item_id", "rating"]])
    cohort = cohort_of_models(models, humans, design, intervals=intervals, center=selection.center)
    if diversity:
        raters = rater_matrix(data.human_ratings, ids)
        cohort.diversity = diversity_table(models.to_numpy(dtype=float), raters.ratings, raters.strata, design,
                                           n_boot=intervals.n_boot, level=intervals.level, seed=intervals.seed)
    if contrast is not None:
        table = _groups_table(contrast)
        cohort.contrasts = group_contrasts(cohort.scores, table[contrast.by], level=intervals.level,
                                           clusters=table[contrast.cluster] if contrast.cluster else None,
                                           n_boot=intervals.n_boot, seed=intervals.seed, values=contrast.values)
        cohort.meta["contrast"] = dict(by=contrast.by, cluster=contrast.cluster, values=contrast.values)
    if focus is not None:
        cohort.focus = focus_table(cohort.scores, focus, board.portraits.get(focus))
        cohort.meta["focus"] = focus
    cohort.meta.update(dataset=dataset_name(dataset), models=list(models.index), human=HUMAN_MODEL,
                       selection=board.meta.get("selection"), above_chance=board.meta.get("above_chance"),
                       above_chance_rule=board.meta.get("above_chance_rule"))
    return cohort


def write_cohort(cohort: Cohort, out_dir: str | Path, *, overwrite: bool = False,
                 inputs: Sequence[str | Path] = ()) -> list[Path]:
    """Write cohort.json (everything), cohort.csv (the per-dimension table) and cohort.md into ``out_dir``, under
    the one output rule (:func:`valueportrait.outputs.output_folder`): whole or not at all."""
    import json

    from ..analysis.tables import cohort_json, cohort_text
    from ..staging import output_folder

    with output_folder(out_dir, overwrite=overwrite, command="cohort", inputs=list(inputs)) as tmp:
        (tmp / "cohort.json").write_text(json.dumps(cohort_json(cohort), indent=2) + "\n", encoding="utf-8")
        cohort.table.to_csv(tmp / "cohort.csv", index=False)
        (tmp / "cohort.md").write_text("# Cohort\n\n" + cohort_text(cohort, markdown=True), encoding="utf-8")
    return [Path(out_dir) / f for f in COHORT_FILES]
