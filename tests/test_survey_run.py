"""A model run against a survey build (issue 25, "Done when"): the SYNTHETIC German example built, a scripted
model on a real local OpenAI-compatible server answering in the instrument's German phrases, scored, reported
and compared. Known truth: the scripted model says "sehr wie ich" (5) to every response written for
Gewissenhaftigkeit and "nicht wie ich" (2) to all others, so its portrait must put Gewissenhaftigkeit at the top
of its family, by the hand computation below."""

from __future__ import annotations

import shutil
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from chat_server import ChatServer
from survey_example import EXAMPLE, build_example, generator
from valueportrait.cli.main import cli
from valueportrait.dataset import open_dataset

CONSCIENTIOUS = next(lines for _, d, _, lines in generator().DIMENSIONS if d == "Gewissenhaftigkeit")


def conscientious(messages: list[dict]) -> str:
    text = messages[-1]["content"]
    return "sehr wie ich" if any(line in text for line in CONSCIENTIOUS) else "nicht wie ich"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("survey_run")
    ds = build_example(work / "survey_de")
    with ChatServer(answer=conscientious) as server:
        res = CliRunner().invoke(cli, ["run", "--dataset", str(ds), "--model", "gewissenhaft", "--base-url",
                                       server.base_url, "--out", str(work / "runs" / "gewissenhaft")],
                                 env={"OPENAI_API_KEY": "sk-test"})
    assert res.exit_code == 0, res.output
    return work, ds


def test_prompts_carry_the_instrument(run):
    work, ds = run
    records = [json.loads(x) for x in (work / "runs" / "gewissenhaft" / "records.jsonl").read_text().splitlines()]
    assert len(records) == 60 * 2  # 60 items x the instrument's 2 variants
    assert {r["variant"] for r in records} == {"v1", "v1_reversed"}
    assert all(r["status"] == "rated" for r in records)
    assert {r["raw"] for r in records} == {"sehr wie ich", "nicht wie ich"}
    assert {r["rating"] for r in records} == {5.0, 2.0}  # the German phrases parsed on the 1-5 scale


def test_scored_portrait_is_the_hand_computation(run):
    work, ds = run
    out = work / "board"
    res = CliRunner().invoke(cli, ["score", str(work / "runs" / "gewissenhaft"), "--dataset", str(ds),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    board = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    data = open_dataset(ds)
    sel = data.selection()
    items = data.items.set_index("item_id")
    rating = pd.Series([5.0 if r in CONSCIENTIOUS else 2.0 for r in items["response"]], index=items.index)
    # the paper's scoring by hand: a dimension's mean rating over its items minus the family's mean over the
    # items measuring any of its dimensions (every variant gives the same rating here)
    expected = {}
    for family, dims in data.instrument.family_dims.items():
        fam_items = sel.loc[sel["family"] == family, "item_id"].unique()
        centre = rating[fam_items].mean()
        for d in dims:
            expected[(family, d)] = rating[sel.loc[(sel["family"] == family) & (sel["dimension"] == d),
                                                   "item_id"]].mean() - centre
    scores = {(f, d): cell["score"] for f, dims in board["models"]["gewissenhaft"].items() for d, cell in dims.items()}
    assert scores.keys() == expected.keys()
    for k, v in expected.items():
        assert scores[k] == pytest.approx(v, abs=1e-9), k
    big5 = {d: s for (f, d), s in scores.items() if f == "big5"}
    assert max(big5, key=big5.get) == "Gewissenhaftigkeit"


def test_a_dimension_at_chance_is_marked_on_every_surface(tmp_path):
    # known truth: the Extraversion scores shuffled among the raters, so no item can measure it; the build's
    # permutation test must call it not above chance, and info, the card and the leaderboard must say so
    import numpy as np

    folder = tmp_path / "survey"
    shutil.copytree(EXAMPLE, folder)
    scores = pd.read_csv(folder / "scores.csv")
    scores["Extraversion"] = scores["Extraversion"].to_numpy()[np.random.default_rng(5).permutation(len(scores))]
    scores.to_csv(folder / "scores.csv", index=False)
    ds = tmp_path / "ds"
    res = CliRunner().invoke(cli, ["build", "--survey", str(folder), "--out", str(ds)])
    assert res.exit_code == 0, res.output
    info = json.loads((ds / "build_info.json").read_text(encoding="utf-8"))
    assert info["validity"]["dimensions"]["big5"]["Extraversion"]["above_chance"] is False
    assert info["validity"]["above_chance"]["not_above"] == ["big5/Extraversion"]
    assert "NOT above chance (1; selected vs shuffled mean): big5/Extraversion" in res.output
    assert "NOT above chance" in (ds / "README.md").read_text(encoding="utf-8")
    items = open_dataset(ds).items
    ratings = pd.DataFrame({"model": "m", "item_id": items["item_id"], "variant": "v1", "persona": "",
                            "rating": [5 if i % 3 else 2 for i in range(len(items))]})
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    res = CliRunner().invoke(cli, ["score", str(tmp_path / "ratings.csv"), "--dataset", str(ds), "--out",
                                   str(tmp_path / "board")])
    assert res.exit_code == 0, res.output
    assert any(line.startswith("Extraversion") and "†" in line for line in res.output.splitlines()), res.output
    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text(encoding="utf-8"))
    assert board["meta"]["above_chance"]["big5"]["Extraversion"] is False
