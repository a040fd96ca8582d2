"""`valueportrait cohort` on a build of another instrument (issue 25: everything downstream reads the dataset's
instrument): the SYNTHETIC German survey of examples/survey_de (5-point scale, families werte and big5), three
scripted models, the cohort means against the paper's formula recomputed by hand in pandas, the human row from
the survey's raters, the diversity table per family of that instrument."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from survey_example import build_example
from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    work = tmp_path_factory.mktemp("cohort_survey")
    ds = build_example(work / "survey_de")
    data = open_dataset(ds)
    items = data.items["item_id"].tolist()
    rng = np.random.default_rng(7)
    # three models rating every item on the 5-point scale (1..5), each with its own leaning
    ratings = pd.concat([pd.DataFrame({"model": f"m{k}", "item_id": items,
                                       "rating": rng.integers(1, 6, len(items)).astype(float)})
                         for k in range(3)], ignore_index=True)
    ratings.to_csv(work / "ratings.csv", index=False)
    out = work / "cohort"
    res = CliRunner().invoke(cli, ["cohort", str(work / "ratings.csv"), "--dataset", str(ds), "--n-boot", "200",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    return data, ratings, json.loads((out / "cohort.json").read_text()), pd.read_csv(out / "cohort.csv"), res.output


def _by_hand(data, means: pd.Series) -> dict[tuple[str, str], float]:
    """The paper's formula: mean over a dimension's selected items minus the mean over all items selected for
    any dimension of its family (every key +1 under the default mode pos)."""
    sel = data.correlations.query("selected")
    out = {}
    for f, d in data.instrument.dimensions:
        fam = means.reindex(sel.loc[sel.family == f, "item_id"].unique()).dropna()
        dim = means.reindex(sel.loc[(sel.family == f) & (sel.dimension == d), "item_id"]).dropna()
        out[f, d] = dim.mean() - fam.mean() if len(dim) else np.nan
    return out


def test_cohort_of_a_survey_build_has_its_instruments_dimensions(cohort):
    data, ratings, record, table, printed = cohort
    assert list(zip(table["family"], table["dimension"])) == list(data.instrument.dimensions)
    assert set(table["family"]) == {"werte", "big5"} and len(table) == 7
    per_model = {m: _by_hand(data, g.groupby("item_id")["rating"].mean()) for m, g in ratings.groupby("model")}
    expected = [np.mean([per_model[m][fd] for m in per_model]) for fd in data.instrument.dimensions]
    np.testing.assert_allclose(table["cohort_mean"], expected, atol=1e-12)
    human = _by_hand(data, data.human_ratings.groupby("item_id")["rating"].mean())
    np.testing.assert_allclose(table["human"], [human[fd] for fd in data.instrument.dimensions], atol=1e-12)
    assert "Gewissenhaftigkeit" in printed


def test_diversity_is_per_family_of_the_survey_instrument(cohort):
    _, _, record, _, _ = cohort
    diversity = record["diversity"]
    rows = diversity if isinstance(diversity, list) else diversity.get("rows", diversity)
    assert [r["family"] for r in rows] == ["werte", "big5"]
