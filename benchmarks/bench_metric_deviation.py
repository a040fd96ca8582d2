"""Speed of the metric's deviation output on the real release (SYNTHETIC demographics and model ratings).

    VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_metric_deviation.py

A dataset is built in memory with synthetic sex labels (attach_demographics); the model rates every item 3
times as each of 2 personas (3,120 ratings). Times ``evaluate_ratings`` (the metric's work, without evaluate's
arrow cache) with 1000 bootstrap replicates: without deviation, with the rater-level deviation (1000
permutations), with the dataset's stored norms; and the demographics rebuilt from ``participants``.
"""

from __future__ import annotations

import warnings

import numpy as np
from _shared import best_of, release_quietly, synthetic_labels

from valueportrait.builders.assemble import attach_demographics
from valueportrait.demographics import demographics_from_dataset, demographics_from_frame
from valueportrait.settings import Deviation, Intervals
from valueportrait.evaluation import evaluate_ratings


def main() -> None:
    data = release_quietly()
    rng = np.random.default_rng(0)
    demo = demographics_from_frame(synthetic_labels(data.participants["participant_id"], rng))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = attach_demographics(data, demo, norms=Intervals(over="raters", n_boot=1000))
    ids = data.item_ids * 6
    preds = rng.integers(1, 7, len(ids)).astype(float).tolist()
    personas = ["a woman"] * (len(ids) // 2) + ["a man"] * (len(ids) // 2)
    groups = {"a woman": "sex=Female", "a man": "sex=Male"}

    def run(deviation=None):
        return evaluate_ratings(preds, ids, dataset=data, personas=personas, intervals=Intervals(n_boot=1000),
                                deviation=deviation)

    t_plain = best_of(lambda: run())
    t_raters = best_of(lambda: run(Deviation(persona_groups=groups, n_perm=1000)))
    t_norms = best_of(lambda: run(Deviation(persona_groups=groups, human="norms")))
    t_demo = best_of(lambda: demographics_from_dataset(data))
    print(f"evaluate_ratings, 2 personas, no deviation:               {t_plain:6.2f} s")
    print(f"  + deviation vs the dataset's raters (1000 perms):        {t_raters:6.2f} s")
    print(f"  + deviation vs the dataset's stored norms:               {t_norms:6.2f} s")
    print(f"demographics rebuilt from participants:                    {t_demo * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
