"""Speed of the deviation statistics on the real release (SYNTHETIC demographics and model ratings).

    VALUEPORTRAIT_RAW=../shared/upstream python benchmarks/bench_deviation.py

Times: human_group_norms (2 attributes, 6 groups, 1000 rater-bootstrap replicates each); compare_personas
(4 personas x 3 samples per item, 1000 bootstrap replicates, 1000 permutations per group pair); and the
vectorised rater bootstrap of one group against a loop that scores each replicate with scoring.score_portrait.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _shared import best_of, release_quietly, synthetic_labels

from valueportrait.demographics import demographics_from_frame
from valueportrait.norms import human_group_norms
from valueportrait.deviation import compare_personas
from valueportrait.settings import Deviation, Intervals
from valueportrait.scoring import Design, group_portrait_replicates, rater_matrix, score_portrait


def main() -> None:
    data = release_quietly()
    rng = np.random.default_rng(0)
    demo = demographics_from_frame(synthetic_labels(data.participants["participant_id"], rng, age=True),
                                   bins={"age": [18, 30, 45, 60]})
    items = data.items["item_id"]
    ratings = pd.concat([pd.DataFrame({"model": "synthetic", "item_id": items, "variant": v, "persona": p,
                                       "rating": rng.integers(1, 7, len(items)).astype(float)})
                         for p in ("sex=Female", "sex=Male", "age=18-29", "age=60+") for v in ("v1", "v2", "v3")])
    sel = data.selection()
    t_norms = best_of(lambda: human_group_norms(data, demo, n_boot=1000))
    t_cmp = best_of(lambda: compare_personas(data, demo, ratings, intervals=Intervals(over="items", n_boot=1000), deviation=Deviation(n_perm=1000)))

    design = Design.from_selection(sel, items.tolist())
    raters = rater_matrix(data.human_ratings, design.item_ids).subset(demo.groups("sex")["Female"])
    t_vec = best_of(lambda: group_portrait_replicates(raters, design, 1000, np.random.default_rng(1)))
    W = raters.bootstrap_weights(50, np.random.default_rng(1))
    hr = data.human_ratings.set_index("participant_id")

    def loop():
        for w in W:  # the same replicates, each scored by building its ratings table and calling score_portrait
            draw = np.repeat(np.array(raters.participant_ids), w.astype(int))
            score_portrait(hr.loc[draw].reset_index(), sel)

    t_loop = best_of(loop, repeat=1) * (1000 / 50)
    print(f"human_group_norms, 6 groups x 1000 replicates:              {t_norms:6.2f} s")
    print(f"compare_personas, 4 personas, 1000 replicates + 1000 perms: {t_cmp:6.2f} s")
    print(f"one group, 1000 rater-bootstrap replicates, vectorised:     {t_vec:6.3f} s")
    print(f"  same with a loop over score_portrait (extrapolated from 50):      {t_loop:6.2f} s "
          f"({t_loop / t_vec:.0f}x slower)")


if __name__ == "__main__":
    main()
