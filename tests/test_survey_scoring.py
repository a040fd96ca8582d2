"""A survey's questionnaire as item-level answers and a scoring key (answers.csv + key.csv instead of scores.csv):
scored by hand on a tiny table, equal to scores.csv on the SYNTHETIC example, and each bad input an error naming
file, row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueportrait.builders.survey_build import from_survey
from valueportrait.builders.survey_scoring import check_key, score_answers
from valueportrait.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "survey_de"
DIMS = [("werte", "Offenheit"), ("big5", "Extraversion")]


def cells(rows: list[dict]) -> tuple[pd.DataFrame, list[str]]:
    frame = pd.DataFrame(rows, dtype=object).fillna("").astype(str)
    return frame, [f"line {k + 2}" for k in range(len(frame))]


def test_scores_by_hand():
    key = check_key(*cells([
        {"question": "q1", "dimension": "Offenheit", "reverse": "no", "min": "", "max": ""},
        {"question": "q2", "dimension": "Offenheit", "reverse": "yes", "min": "1", "max": "6"},
        {"question": "q3", "dimension": "Extraversion", "reverse": "", "min": "", "max": ""},
        {"question": "q2", "dimension": "Extraversion", "reverse": "no", "min": "", "max": ""},
    ]), "key.csv", DIMS)
    scores = score_answers(*cells([
        {"participant": "P1", "question": "q1", "answer": "5"},
        {"participant": "P1", "question": "q2", "answer": "2"},
        {"participant": "P1", "question": "q3", "answer": "4"},
        {"participant": "P2", "question": "q1", "answer": "3"},
        {"participant": "P2", "question": "q2", "answer": ""},  # not answered: left out of P2's means
        {"participant": "P2", "question": "q3", "answer": "1"},
    ]), "answers.csv", key, "key.csv", DIMS).set_index("participant")
    # P1: Offenheit (5 + (1 + 6 - 2)) / 2 = 5; Extraversion (4 + 2) / 2 = 3 (q2 unreversed there)
    # P2: Offenheit 3 (q1 only); Extraversion 1 (q3 only)
    assert scores.loc["P1"].tolist() == [5.0, 3.0] and scores.loc["P2"].tolist() == [3.0, 1.0]
    assert list(scores.columns) == ["werte_Offenheit", "big5_Extraversion"]


@pytest.fixture
def answers_survey(tmp_path) -> Path:
    """The example with its scores.csv given as answers + key: two questions per dimension, the second reverse
    keyed on 0..6, answers = score + 0.5 and 6 - (score - 0.5), so each mean of (reversed) answers is the score."""
    folder = tmp_path / "survey"
    folder.mkdir()
    for f in ("instrument.yaml", "items.csv", "ratings.csv"):
        shutil.copy(EXAMPLE / f, folder / f)
    sc = pd.read_csv(EXAMPLE / "scores.csv")
    dims = [c for c in sc.columns if c != "participant"]
    pd.DataFrame([{"question": f"{d}_{s}", "dimension": d, "reverse": "yes" if s == "b" else "no",
                   "min": 0 if s == "b" else "", "max": 6 if s == "b" else ""} for d in dims for s in "ab"]
                 ).to_csv(folder / "key.csv", index=False)
    pd.DataFrame([{"participant": r["participant"], "question": f"{d}_{s}",
                   "answer": r[d] + 0.5 if s == "a" else 6 - (r[d] - 0.5)}
                  for r in sc.to_dict("records") for d in dims for s in "ab"]).to_csv(folder / "answers.csv", index=False)
    return folder


def test_answers_and_key_give_the_scores_build(answers_survey):
    a, b = from_survey(answers_survey), from_survey(EXAMPLE)
    cols = [c for c in b.participants.columns if c.startswith(("werte_", "big5_"))]
    assert np.abs(a.participants[cols].to_numpy() - b.participants[cols].to_numpy()).max() < 1e-12
    assert np.abs(a.correlations["rho"] - b.correlations["rho"]).max() < 1e-12
    assert (a.correlations["selected"] == b.correlations["selected"]).all()
    assert sorted(a.build_info["inputs"]) == ["answers.csv", "instrument.yaml", "items.csv", "key.csv", "ratings.csv"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bad_answers_and_keys(answers_survey):
    key, answers = answers_survey / "key.csv", answers_survey / "answers.csv"
    shutil.copy(EXAMPLE / "scores.csv", answers_survey / "scores.csv")
    with pytest.raises(InputError, match=r"has both scores.csv and answers.csv / key.csv"):
        from_survey(answers_survey)
    (answers_survey / "scores.csv").unlink()
    edit(key, "Offenheit_a,Offenheit,", "Offenheit_a,Offenhait,")
    with pytest.raises(InputError, match=r"key.csv, line 2, column 'dimension': 'Offenhait' is no dimension of the "
                                         r"instrument; expected one of .*Offenheit"):
        from_survey(answers_survey)
    edit(key, "Offenheit_a,Offenhait,", "Offenheit_a,Offenheit,")
    edit(key, "Offenheit_b,Offenheit,yes,0,6", "Offenheit_b,Offenheit,yes,,")
    with pytest.raises(InputError, match=r"key.csv, line 3: question 'Offenheit_b' is reverse-keyed but its min / max"):
        from_survey(answers_survey)
    edit(key, "Offenheit_b,Offenheit,yes,,", "Offenheit_b,Offenheit,yes,0,6")
    first = answers.read_text(encoding="utf-8").splitlines()[2]  # P1001's Offenheit_b answer, line 3
    edit(answers, first, first.rsplit(",", 1)[0] + ",9")
    with pytest.raises(InputError, match=r"answers.csv, line 3, column 'answer': '9' is outside the scale of question "
                                         r"'Offenheit_b' \(0 to 6"):
        from_survey(answers_survey)
    edit(answers, first.rsplit(",", 1)[0] + ",9", first.replace("Offenheit_b", "Offenheit_c"))
    with pytest.raises(InputError, match=r"answers.csv, line 3, column 'question': 'Offenheit_c' is not a question "
                                         r"of .*key.csv"):
        from_survey(answers_survey)


def test_a_dimension_without_questions(answers_survey):
    key = answers_survey / "key.csv"
    key.write_text("\n".join(x for x in key.read_text(encoding="utf-8").splitlines() if "Extraversion" not in x) + "\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"key.csv: no question scores big5_Extraversion; expected at least one "
                                         r"question per dimension"):
        from_survey(answers_survey)
