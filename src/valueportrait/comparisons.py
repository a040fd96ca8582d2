"""``valueportrait compare`` as one library call: every portrait against a baseline, through the same loader and
checks as ``valueportrait score``.

:func:`compare_leaderboard` reads the sources with :func:`~valueportrait.ratings.sources.read_sources` (a source
given twice, repeated requests, personas as their own portraits ``"{model} [{persona}]"``), takes the dataset
the runs were run on unless one is given, checks the item ids against it (ids written ``1003_1`` are an error,
as in ``score``), re-selects the items when asked, and compares every portrait with the baseline: another
model, or the human raters (:data:`~valueportrait.scoring.HUMAN_MODEL`) on the one unit both sides have,
``items``. :func:`comparison_text` is the printed form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .dataset import ValuePortraitData, dataset_of
from .errors import InputError
from .settings import DatasetRef, Intervals, Selection, UpstreamOutputs
from .texttable import MISSING, number

__all__ = ["Comparison", "compare_leaderboard", "comparison_text"]


@dataclass
class Comparison:
    """What :func:`compare_leaderboard` found: the comparison rows (:func:`~valueportrait.scoring.compare_models`)
    and the settings that say what they mean."""

    table: pd.DataFrame
    baseline: str
    ci_over: str
    confidence: float
    adjust: str
    duplicates_removed: int = 0
    selection: dict[str, Any] | None = None

    def text(self) -> str:
        return comparison_text(self.table, 1 - self.confidence, adjust=self.adjust)

    def record(self) -> dict[str, Any]:
        """The ``--json`` form: settings and one record per comparison row."""
        from .io import json_safe
        from .scoring import COMPARISON_COLUMNS

        return {"baseline": self.baseline, "ci_over": self.ci_over, "confidence": self.confidence,
                "adjustment": "holm", "adjust": self.adjust, "selection": self.selection,
                "comparisons": json_safe(self.table[COMPARISON_COLUMNS].to_dict(orient="records"))}


def comparison_text(table: pd.DataFrame, alpha: float, *, adjust: str = "comparison") -> str:
    """One block per compared portrait; ``*`` marks a difference whose Holm-adjusted p is below ``alpha``."""
    family = (f"Holm over all {int(table['p_value'].notna().sum())} tests of the leaderboard"
              if adjust == "leaderboard" else None)
    blocks = []
    for model, rows in table.groupby("model", sort=False):
        unit, method = rows["ci_over"].iloc[0], rows["ci_method"].iloc[0]
        held = family or f"Holm over {int(rows['p_value'].notna().sum())} dimensions"
        lines = [f"{model} - {rows['baseline'].iloc[0]} (CI over {unit}, {method}; * = p_adjusted < {alpha:g}, "
                 f"{held})",
                 f"  {'family':10s} {'dimension':20s} {'difference':>10s} {'CI':>17s} {'p':>8s} {'p_adj':>8s}"]
        for r in rows.itertuples():
            mark = "*" if r.p_adjusted < alpha else " "
            ci = f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]" if pd.notna(r.ci_low) else MISSING
            lines.append(f"{mark} {r.family:10s} {r.dimension:20s} {number(r.difference, '+.3f'):>10s} {ci:>17s} "
                         f"{number(r.p_value, '.4f'):>8s} {number(r.p_adjusted, '.4f'):>8s}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def compare_leaderboard(sources: Sequence[str | Path | UpstreamOutputs] = (), *, baseline: str,
                        dataset: str | Path | DatasetRef | ValuePortraitData | None = None,
                        selection: Selection = Selection(), intervals: Intervals = Intervals(),
                        adjust: str = "comparison") -> Comparison:
    """Compare every portrait of the sources with ``baseline`` (``valueportrait compare``).

    Parameters
    ----------
    sources : as :func:`~valueportrait.pipelines.score_leaderboard` (run directories, ratings files, Inspect logs,
        :class:`~valueportrait.settings.UpstreamOutputs`).
    baseline : a portrait's name (a model, or ``"model [persona]"``), or ``"human raters"``.
    dataset : a built folder or Hub repo id, a :class:`~valueportrait.settings.DatasetRef`, or a
        :class:`ValuePortraitData`; None: the dataset the run directories were run on.
    selection : the item selection (default: the build's), ``center``, and ``duplicates`` (a request rated twice).
    intervals : ``over``, the unit of the intervals and p (``items`` against the human raters); ``level``;
        differences are marked at ``1 - level``.
    adjust : Holm over each comparison's dimensions (``comparison``) or over every test of the call
        (``leaderboard``).

    Raises
    ------
    InputError
        As ``score`` (no sources, a source twice, repeated requests, item ids not in the dataset); a baseline
        that is neither a portrait nor the human raters (the message lists them); no item shared with the
        baseline; an unknown ``adjust``; the human raters with a unit other than ``items``.
    """
    from .pipelines import check_item_ids
    from .ratings.sources import read_sources
    from .scoring import HUMAN_MODEL, check_adjustment, check_ci_over, compare_models

    check_ci_over(intervals.over)
    check_adjustment(adjust)
    if dataset is None:
        from .ratings.runs import run_dataset

        dataset = DatasetRef(*run_dataset([s for s in sources if not isinstance(s, UpstreamOutputs)]))
    data = dataset_of(dataset)
    instrument = data.instrument
    ratings, _, removed = read_sources(sources, duplicates=selection.duplicates, instrument=instrument)
    check_item_ids(ratings["item_id"], data, hint="Is --dataset the right build?")
    sel = data.selection(selection)
    human = data.human_ratings if baseline == HUMAN_MODEL else None
    base_items = set(map(str, (human if human is not None else ratings[ratings["model"] == baseline])["item_id"]))
    shared = {str(m): len(set(map(str, g.loc[g["rating"].notna(), "item_id"])) & base_items & set(sel["item_id"]))
              for m, g in ratings.groupby("model", sort=False) if m != baseline}
    none = [m for m, n in shared.items() if n == 0]
    if none and (baseline == HUMAN_MODEL or baseline in set(ratings["model"])):
        raise InputError(f"{', '.join(none)} share(s) no rated selected item with the baseline {baseline!r}: "
                         "there is nothing to compare; check that both were run on the same items")
    table = compare_models(ratings, sel, baseline, intervals=intervals, center=selection.center, adjust=adjust,
                           human_ratings=data.human_ratings, instrument=instrument)
    return Comparison(table, baseline, intervals.over, intervals.level, adjust, removed,
                      selection.resolved(data.build_info.get("selection")))
