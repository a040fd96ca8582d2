"""A survey folder's bad input (issue 25): each problem a clear InputError naming the file, the row, the column
and the fix; counted warnings where going on is right; nothing written on error. The folder is a copy of the
SYNTHETIC example examples/survey_de/ with one thing broken per test."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from valueportrait.builders.survey_checks import MIN_RATERS_PER_ITEM, SurveyWarning
from valueportrait.builders.survey_input import read_survey
from valueportrait.cli.main import cli
from valueportrait.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "survey_de"
FILES = ("instrument.yaml", "items.csv", "ratings.csv", "scores.csv")


@pytest.fixture
def survey(tmp_path) -> Path:
    folder = tmp_path / "survey"
    folder.mkdir()
    for f in FILES:
        shutil.copy(EXAMPLE / f, folder / f)
    return folder


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, start: str) -> int:
    """The 1-based line number of the first line starting with ``start``."""
    return next(k for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(start))


def test_example_reads_clean(survey):
    # the shipped example: 2 groups x 100 raters x 30 items (make_survey.py's defaults), no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = read_survey(survey)
    assert (len(s.items), len(s.participants), len(s.human_ratings)) == (60, 200, 6000)
    assert s.groups == {"A": 1, "B": 2}
    assert s.human_ratings["rating"].between(1, 5).all()
    assert [c for c in s.participants.columns if c.startswith("werte_")] == [
        "werte_Offenheit", "werte_Selbststaerkung", "werte_Bewahrung", "werte_Selbsttranszendenz"]


def test_rating_outside_scale(survey):
    path = survey / "ratings.csv"
    edit(path, "P1001,A01,", "P1001,A01,9\nXX,")  # a 9 on a 1-5 scale, first data line
    with pytest.raises(InputError) as e:
        read_survey(survey)
    msg = str(e.value)
    assert "ratings.csv" in msg and "line 2" in msg and "column 'rating'" in msg
    assert "whole number from 1 to 5" in msg and "überhaupt nicht wie ich" in msg


def test_scores_lack_a_dimension(survey):
    edit(survey / "scores.csv", "Gewissenhaftigkeit", "Fleiss")
    with pytest.raises(InputError, match=r"scores.csv, line 1: no column for dimension 'Gewissenhaftigkeit' of "
                                         r"family 'big5'.*big5_Gewissenhaftigkeit"):
        read_survey(survey)


def test_extra_scores_column_is_a_counted_warning(survey):
    path = survey / "scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",Alter"] + [x + ",33" for x in lines[1:]]) + "\n", encoding="utf-8")
    with pytest.warns(SurveyWarning, match=r"1 column\(s\) that are no dimension of the instrument are ignored: Alter"):
        read_survey(survey)


def test_item_without_template(survey):
    edit(survey / "items.csv", "A02,chat,", "A02,podcast,")
    n = line_of(survey / "items.csv", "A02,")
    with pytest.raises(InputError) as e:
        read_survey(survey)
    msg = str(e.value)
    assert f"items.csv, line {n}, column 'kind'" in msg and "'podcast'" in msg
    assert "kinds with templates: chat, forum" in msg and "add a template of kind 'podcast'" in msg


def test_duplicate_item_and_participant(survey):
    items = survey / "items.csv"
    edit(items, "A02,chat,", "A01,chat,")
    with pytest.raises(InputError, match=r"items.csv, line 2, column 'item_id': item 'A01' appears more than once "
                                         r"\(line 2, line 3\)"):
        read_survey(survey)
    edit(items, "A01,chat,", "A02,chat,")
    edit(survey / "scores.csv", "P1002,", "P1001,")
    with pytest.raises(InputError, match=r"scores.csv, line 2, column 'participant': participant 'P1001' appears "
                                         r"more than once"):
        read_survey(survey)


def test_duplicate_rating(survey):
    edit(survey / "ratings.csv", "P1002,A01,", "P1001,A01,")
    with pytest.raises(InputError, match=r"ratings.csv, line 2: participant 'P1001' rated item 'A01' more than once "
                                         r"\(line 2, line 3\)"):
        read_survey(survey)


def test_unknown_placeholder_in_template(survey):
    edit(survey / "instrument.yaml", "Antwort: {content}", "Antwort: {antwort}")
    with pytest.raises(InputError, match=r"instrument.yaml.*templates\[0\]\.text.*antwort"):
        read_survey(survey)


def test_too_few_raters(survey):
    # keep only 9 raters of item B30: under the minimum of 10
    path = survey / "ratings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    b30 = [x for x in lines if ",B30," in x]
    path.write_text("\n".join([x for x in lines if ",B30," not in x] + b30[:9]) + "\n", encoding="utf-8")
    assert MIN_RATERS_PER_ITEM == 10
    with pytest.raises(InputError, match=r"ratings.csv: 1 item\(s\) have fewer than 10 raters with questionnaire "
                                         r"scores \(raters in brackets\): B30 \(9\).*remove these items"):
        read_survey(survey)


def test_rater_without_scores_is_a_counted_warning(survey):
    path = survey / "scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(x for x in lines if not x.startswith(("P1001,", "P1002,"))) + "\n", encoding="utf-8")
    with pytest.warns(SurveyWarning, match=r"2 participant\(s\) have ratings but no scores .*their 60 rating\(s\) "
                                           r"are left out: P1001, P1002"):
        s = read_survey(survey)
    assert len(s.participants) == 198 and len(s.human_ratings) == 6000 - 60


def test_unknown_item_in_ratings(survey):
    edit(survey / "ratings.csv", "P1001,A01,", "P1001,Z99,")
    with pytest.raises(InputError, match=r"ratings.csv, line 2, column 'item_id': item 'Z99' is not in .*items.csv"):
        read_survey(survey)


def test_item_in_two_groups(survey):
    edit(survey / "ratings.csv", "P1001,A01,3,A", "P1001,A01,3,B")
    with pytest.raises(InputError, match=r"column 'group': item 'A01' is rated in more than one survey group"):
        read_survey(survey)


def test_missing_file_and_column(survey):
    (survey / "scores.csv").unlink()
    with pytest.raises(InputError, match=r"lacks scores.csv; expected instrument.yaml, items.csv, ratings.csv, "
                                         r"scores.csv"):
        read_survey(survey)
    shutil.copy(EXAMPLE / "scores.csv", survey / "scores.csv")
    edit(survey / "items.csv", "item_id,kind,", "id,kind,")
    with pytest.raises(InputError, match=r"items.csv, line 1: no column 'item_id'; expected the columns item_id, "
                                         r"kind, text, response, source"):
        read_survey(survey)


def test_cli_error_writes_nothing(survey, tmp_path):
    edit(survey / "ratings.csv", "P1001,A01,", "P1001,A01,7\nXX,")
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["build", "--survey", str(survey), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "column 'rating'" in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["survey"]


def test_cli_survey_refuses_release_options(survey, tmp_path):
    result = CliRunner().invoke(cli, ["build", "--survey", str(survey), "--out", str(tmp_path / "ds"), "--strict"])
    assert result.exit_code == 2 and "--strict" in result.output and "--survey" in result.output
