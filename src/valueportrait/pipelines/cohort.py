"""``valueportrait cohort`` as a library call: score a set of models as :func:`score_leaderboard` does, then the
cohort statistics of :mod:`valueportrait.analysis` (cohort means against the human raters, the diversity of
true portraits, group contrasts, one model's standing), written as JSON / CSV / Markdown. A leaderboard.json of
`valueportrait score --out` is a cohort of scores: what needs no item ratings (:func:`cohort_from_leaderboard`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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

__all__ = ["COHORT_FILES", "Contrast", "cohort_from_leaderboard", "is_leaderboard", "run_cohort", "write_cohort"]

#: The files :func:`run_cohort` writes.
COHORT_FILES = ("cohort.json", "cohort.csv", "cohort.md")


@dataclass(frozen=True)
class Contrast:
    """A group contrast: the table ``path`` (CSV/TSV/JSON/JSONL; a ``model`` column and attribute columns), the
    attribute ``by`` to split on (two values, or the two ``values`` named), and optionally a ``cluster`` column to
    resample (e.g. provider). ``split``: ``by`` is numeric (e.g. parameters_billion); the models above ``split``
    minus those at or below it, models with no value left out and counted."""

    path: str | Path
    by: str
    cluster: str | None = None
    values: tuple[str, str] | None = None
    split: float | None = None

    def groups(self, table: pd.DataFrame) -> tuple[pd.Series, tuple[str, str] | None]:
        """The group label of each model of ``table`` and the two labels to contrast."""
        column = table[self.by]
        if self.split is None:
            return column, self.values
        text = column.astype(str).str.strip()
        number = pd.to_numeric(text.where(text.ne("") & column.notna()), errors="coerce")
        bad = text[number.isna() & text.ne("") & column.notna() & text.ne("nan")]
        if len(bad):
            raise InputError(f"{self.path}: --split needs numbers in column {self.by!r}; model(s) "
                             f"{', '.join(map(str, bad.index[:5]))} have {', '.join(map(repr, bad.iloc[:5]))}. "
                             "Leave an unknown value empty")
        low, high = f"<= {self.split:g}", f"> {self.split:g}"
        labels = pd.Series(np.where(number > self.split, high, np.where(number <= self.split, low, "unknown")),
                           index=table.index)
        return labels, (high, low)


def _groups_table(contrast: Contrast) -> pd.DataFrame:
    from ..table_files import read_table

    table, _ = read_table(contrast.path, what="groups table")
    for col in ("model", contrast.by, *([contrast.cluster] if contrast.cluster else [])):
        if col not in table.columns:
            raise InputError(f"{contrast.path}: no column {col!r}; it has {', '.join(map(str, table.columns))} "
                             "(a `model` column and the attribute columns --by / --cluster name)")
    return table.set_index(table["model"].astype(str))


def is_leaderboard(source) -> bool:
    """Whether ``source`` is a leaderboard.json of `valueportrait score --out` (or the folder holding one, with no
    run manifest): a ``.json`` file whose top level is an object with a ``models`` object."""
    if isinstance(source, UpstreamOutputs):
        return False
    path = Path(source)
    if path.is_dir() and not (path / "manifest.json").exists():
        path = path / "leaderboard.json"
    if path.suffix != ".json" or not path.is_file():
        return False
    from ..io import read_json

    data = read_json(path, what="a leaderboard.json or a ratings file")
    return isinstance(data, dict) and isinstance(data.get("models"), dict)


def _add_contrast_and_focus(cohort: Cohort, contrast: Contrast | None, focus: str | None, intervals: Intervals,
                            portraits: dict) -> None:
    if contrast is not None:
        table = _groups_table(contrast)
        labels, values = contrast.groups(table)
        cohort.contrasts = group_contrasts(cohort.scores, labels, level=intervals.level,
                                           clusters=table[contrast.cluster] if contrast.cluster else None,
                                           n_boot=intervals.n_boot, seed=intervals.seed, values=values)
        cohort.meta["contrast"] = dict(by=contrast.by, cluster=contrast.cluster, values=values, split=contrast.split)
    if focus is not None:
        cohort.focus = focus_table(cohort.scores, focus, portraits.get(focus))
        cohort.meta["focus"] = focus


def cohort_from_leaderboard(path: str | Path, *, intervals: Intervals = Intervals(),
                            contrast: Contrast | None = None, focus: str | None = None) -> Cohort:
    """The cohort of the models of a leaderboard.json (file or ``--out`` folder of `valueportrait score`), from
    their portraits: cohort means with the t interval over models, the human raters' row (when the board has
    it), group contrasts and one model's standing. The intervals over items and models, the cohort - humans
    test and the diversity need item ratings (run directories, ratings files, upstream outputs): left out, and
    ``meta["item_level"]`` says so."""
    from ..analysis.cohort import cohort_of_scores
    from ..board import read_leaderboard

    board = read_leaderboard(path)
    names = [m for m in board["models"] if m != HUMAN_MODEL]
    personas = [m for m in names if m.endswith("]") and " [" in m]
    if personas:
        raise InputError(f"{path}: the cohort is of models, but the leaderboard has persona portraits "
                         f"({', '.join(personas[:3])}); score the models without personas")

    def portrait(name: str) -> pd.DataFrame:
        fams = board["models"][name]
        if not isinstance(fams, dict) or not all(isinstance(v, dict) for v in fams.values()):
            raise InputError(f"{path}: models[{name!r}] is not a portrait ({{family: {{dimension: {{score, ...}}}}}} as "
                             "`valueportrait score --out` writes it); score again")
        cells = [(fams.get(f) or {}).get(d) for f, d in dims]
        frame = pd.DataFrame({"family": [f for f, _ in dims], "dimension": [d for _, d in dims]})
        for col in ("score", "ci_low", "ci_high"):
            frame[col] = pd.to_numeric(pd.Series([c.get(col) if isinstance(c, dict) else None for c in cells],
                                                 dtype=object), errors="coerce")
        return frame

    # the dimensions in the board's own order (its first portrait's, the dataset instrument's order)
    first = board["models"][names[0]] if names else {}
    dims = [(f, d) for f, fd in first.items() if isinstance(fd, dict) for d in fd] if isinstance(first, dict) else []
    portraits = {m: portrait(m) for m in [*names, *([HUMAN_MODEL] if HUMAN_MODEL in board["models"] else [])]}
    scores = pd.DataFrame([portraits[m]["score"].to_numpy(dtype=float) for m in names], index=names,
                          columns=[f"{f}.{d}" for f, d in dims])
    human = portraits[HUMAN_MODEL]["score"].to_numpy(dtype=float) if HUMAN_MODEL in portraits \
        else np.full(len(dims), np.nan)
    cohort = cohort_of_scores(scores, human, level=intervals.level)
    _add_contrast_and_focus(cohort, contrast, focus, intervals, portraits)
    meta = board.get("meta") or {}
    cohort.meta.update(dataset=meta.get("dataset"), models=names, human=HUMAN_MODEL, leaderboard=str(path),
                       selection=meta.get("selection"), above_chance=meta.get("above_chance"))
    return cohort


def run_cohort(ratings_sources: Sequence[str | Path | UpstreamOutputs], *,
               dataset: str | Path | DatasetRef | ValuePortraitData | None = None,
               selection: Selection = Selection(), intervals: Intervals = Intervals(),
               contrast: Contrast | None = None, focus: str | None = None, diversity: bool = True,
               progress: bool = False) -> Cohort:
    """Score every model of ``ratings_sources`` (as ``valueportrait score``) and compute the cohort statistics.

    ``intervals``: level, replicates and seed of every interval (their units are fixed by the statistic and
    named in the result); ``contrast``: group contrasts; ``focus``: one model's standing among the others.
    A leaderboard.json as the one source: :func:`cohort_from_leaderboard` (``dataset`` and ``selection`` are
    the board's own).
    """
    boards = [s for s in ratings_sources if is_leaderboard(s)]
    if boards:
        if len(ratings_sources) > 1:
            raise InputError(f"a leaderboard.json ({boards[0]}) is a cohort on its own: give it alone, or give the "
                             "run directories / ratings files it was scored from")
        if selection != Selection():
            raise InputError(f"{boards[0]} holds scores made with its own selection; the selection options "
                             "(--threshold, --alpha, --mode, --scoring ...) apply to ratings: drop them, or give the "
                             "ratings")
        return cohort_from_leaderboard(boards[0], intervals=intervals, contrast=contrast, focus=focus)
    if dataset is None:  # as `score` does: the dataset the run directories were run on
        from ..ratings.runs import run_dataset

        dataset = DatasetRef(*run_dataset([s for s in ratings_sources if not isinstance(s, UpstreamOutputs)]))
    data = dataset_of(dataset)  # loaded once, scored with below
    board = score_leaderboard(ratings_sources, dataset=data, selection=selection,
                              intervals=intervals, humans=True, progress=progress)
    sel = data.selection(selection)
    design = Design.from_selection(sel, sorted(set(sel["item_id"])), data.instrument)
    ids = list(design.item_ids)
    ratings = board.ratings
    label = ratings["model"].astype(str)
    if "persona" in ratings and ratings["persona"].notna().any():
        raise InputError("the cohort is of models, but these ratings have personas; score the personas with "
                         "`valueportrait score` or give runs without personas")
    models = pd.DataFrame({m: item_ratings(g, data.instrument) for m, g in ratings.groupby(label, sort=True)}).T \
        .reindex(columns=ids)
    humans = item_ratings(data.human_ratings[["item_id", "rating"]], data.instrument)
    cohort = cohort_of_models(models, humans, design, intervals=intervals, center=selection.center)
    if diversity:
        raters = rater_matrix(data.human_ratings, ids)
        cohort.diversity = diversity_table(models.to_numpy(dtype=float), raters.ratings, raters.strata, design,
                                           n_boot=intervals.n_boot, level=intervals.level, seed=intervals.seed)
    _add_contrast_and_focus(cohort, contrast, focus, intervals, board.portraits)
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
