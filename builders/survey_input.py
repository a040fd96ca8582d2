"""A survey folder read and checked: ``instrument.yaml``, ``items.csv``, ``ratings.csv``, ``scores.csv``.

:func:`read_survey` is the first half of ``valueportrait build --survey DIR`` (the tables a build needs, in
memory); :mod:`valueportrait.builders.survey_checks` holds the per-table checks. Nothing is written here. Every
error is an :class:`~valueportrait.errors.InputError` naming the file, the row, the column and the fix; the
joins between the tables warn (:class:`~valueportrait.builders.survey_checks.SurveyWarning`) with a count where
going on is right, and stop where it is not (an item with fewer than
:data:`~valueportrait.builders.survey_checks.MIN_RATERS_PER_ITEM` raters).

The layout (docs/your-survey.md)::

    DIR/instrument.yaml   the instrument: families and dimensions, the scale and its phrases, variants, templates
    DIR/items.csv         item_id, kind, text, response, source [, title, categories (a;b), query_id]
    DIR/ratings.csv       participant, item_id, rating [, group]   (long: one row per rating)
    DIR/scores.csv        participant, one column per dimension (its id, or <family>_<dimension>)
                          or, instead: DIR/answers.csv (participant, question, answer) and DIR/key.csv
                          (question, dimension [, family, reverse, min, max]), scored here
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from valueportrait.errors import InputError
from valueportrait.table_files import read_table

from .pins import sha256_of
from .survey_checks import (MIN_RATERS_PER_ITEM, SurveyWarning, check_items, check_ratings, check_scores, shown_list)

#: The files of a survey folder.
INSTRUMENT_FILE, ITEMS_FILE, RATINGS_FILE, SCORES_FILE = "instrument.yaml", "items.csv", "ratings.csv", "scores.csv"
#: Instead of scores.csv: the questionnaire's item-level answers and its scoring key (:mod:`.survey_scoring`).
ANSWERS_FILE, KEY_FILE = "answers.csv", "key.csv"
SURVEY_FILES = (INSTRUMENT_FILE, ITEMS_FILE, RATINGS_FILE, SCORES_FILE)


@dataclass(frozen=True, eq=False)
class Survey:
    """A checked survey: its ``instrument``, the ``items`` / ``human_ratings`` / ``participants`` tables in the
    dataset's layout (participants: participant_id, survey_groups, one ``<family>_<dimension>`` float column per
    dimension), ``groups`` (the group labels as given -> survey group number) and the sha256 of each input file."""

    folder: Path
    instrument: object
    items: pd.DataFrame
    human_ratings: pd.DataFrame
    participants: pd.DataFrame
    groups: dict[str, int]
    inputs: dict[str, str]


def read_survey(folder: str | Path) -> Survey:
    """Read and check the survey folder ``folder`` (see the module's docstring for its files)."""
    from valueportrait.instrument import load_instrument

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"survey folder {str(folder)!r} not found; expected a folder holding "
                         f"{', '.join(SURVEY_FILES)} (docs/your-survey.md; an example: examples/survey_de/)")
    answers = (folder / ANSWERS_FILE).is_file() or (folder / KEY_FILE).is_file()
    if answers and (folder / SCORES_FILE).is_file():
        raise InputError(f"survey folder {str(folder)!r} has both {SCORES_FILE} and {ANSWERS_FILE} / {KEY_FILE}; "
                         f"expected one of them: the scored questionnaire, or its answers and scoring key. Remove one")
    missing = [f for f in (*SURVEY_FILES[:3], *((ANSWERS_FILE, KEY_FILE) if answers else (SCORES_FILE,)))
               if not (folder / f).is_file()]
    if missing:
        raise InputError(f"survey folder {str(folder)!r} lacks {', '.join(missing)}; expected {', '.join(SURVEY_FILES)} "
                         "side by side (docs/your-survey.md; an example: examples/survey_de/)")
    instrument = load_instrument(folder / INSTRUMENT_FILE)
    if not instrument.templates:
        raise InputError(f"{folder / INSTRUMENT_FILE}: templates: none; expected a prompt template per variant and "
                         "item kind (the prompts models are asked with). Add a templates list (docs/your-survey.md)")
    where = {f: str(folder / f) for f in SURVEY_FILES}
    if answers:  # the scores are the answers' (messages about them name answers.csv)
        where[SCORES_FILE] = str(folder / ANSWERS_FILE)
    items = check_items(*read_table(folder / ITEMS_FILE, what="items"), where[ITEMS_FILE], instrument)
    frame, rows = read_table(folder / RATINGS_FILE, what="ratings")
    ratings = check_ratings(frame, rows, where[RATINGS_FILE], instrument.scale, items["item_id"].tolist(),
                            where[ITEMS_FILE])
    labels = _group_labels(frame, ratings)
    scores = check_scores(*(_answer_scores(folder, instrument) if answers else
                            read_table(folder / SCORES_FILE, what="scores")), where[SCORES_FILE], instrument.dimensions)
    ratings, scores = join_raters(ratings, scores, where)
    check_raters_per_item(ratings, items["item_id"], where)
    groups = ratings.groupby("participant_id")["survey_group"].apply(lambda g: sorted(set(int(x) for x in g)))
    participants = scores.copy()
    participants.insert(1, "survey_groups", [groups[p] for p in scores["participant_id"]])
    inputs = {f: sha256_of(folder / f) for f in (*SURVEY_FILES[:3], *((ANSWERS_FILE, KEY_FILE) if answers
                                                                      else (SCORES_FILE,)))}
    return Survey(folder, instrument, items, ratings.reset_index(drop=True), participants, labels, inputs)


def _answer_scores(folder: Path, instrument) -> tuple[pd.DataFrame, list[str]]:
    """The questionnaire scores of ``answers.csv`` under ``key.csv`` as the text cells of a scores table
    (:mod:`~valueportrait.builders.survey_scoring`), each row located as its participant's."""
    from .survey_scoring import check_key, score_answers

    key = check_key(*read_table(folder / KEY_FILE, what="scoring key"), str(folder / KEY_FILE), instrument.dimensions)
    scores = score_answers(*read_table(folder / ANSWERS_FILE, what="answers"), str(folder / ANSWERS_FILE), key,
                           str(folder / KEY_FILE), instrument.dimensions)
    text = scores.astype(object).where(scores.notna(), "").map(lambda v: v if isinstance(v, str) else repr(float(v)))
    return text, [f"participant {p}" for p in scores["participant"]]


def _group_labels(frame: pd.DataFrame, ratings: pd.DataFrame) -> dict[str, int]:
    if "group" not in frame.columns:
        return {"": 1}
    labels = frame["group"].str.strip().where(frame["group"].str.strip() != "", "1")
    return {str(k): int(v) for k, v in sorted(set(zip(labels, ratings["survey_group"])), key=lambda kv: kv[1])}


def join_raters(ratings: pd.DataFrame, scores: pd.DataFrame, where: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ratings of participants with questionnaire scores, and the scores of participants who rated; each side's
    leftovers are counted in a :class:`SurveyWarning` (a rater without scores enters no correlation)."""
    rated, scored = set(ratings["participant_id"]), set(scores["participant_id"])
    no_scores = sorted(rated - scored)
    if no_scores:
        lost = int(ratings["participant_id"].isin(no_scores).sum())
        warnings.warn(f"{where[RATINGS_FILE]}: {len(no_scores)} participant(s) have ratings but no scores in "
                      f"{where[SCORES_FILE]}; their {lost} rating(s) are left out: {shown_list(no_scores)}",
                      SurveyWarning, stacklevel=3)
    no_ratings = sorted(scored - rated)
    if no_ratings:
        warnings.warn(f"{where[SCORES_FILE]}: {len(no_ratings)} participant(s) have scores but no ratings in "
                      f"{where[RATINGS_FILE]}; they are left out: {shown_list(no_ratings)}", SurveyWarning, stacklevel=3)
    if not rated & scored:
        raise InputError(f"{where[RATINGS_FILE]} and {where[SCORES_FILE]} share no participant id; expected the same "
                         "ids in the 'participant' column of both (e.g. the survey platform's participant id)")
    return (ratings[ratings["participant_id"].isin(scored)],
            scores[scores["participant_id"].isin(rated)].reset_index(drop=True))


def check_raters_per_item(ratings: pd.DataFrame, item_ids: pd.Series, where: dict[str, str]) -> None:
    """Every item has at least :data:`MIN_RATERS_PER_ITEM` raters with questionnaire scores, else an error
    listing the items short of raters."""
    counts = ratings["item_id"].value_counts().reindex(item_ids, fill_value=0)
    short = counts[counts.to_numpy() < MIN_RATERS_PER_ITEM]
    if len(short):
        shown = shown_list([f"{i} ({n})" for i, n in short.items()])
        raise InputError(f"{where[RATINGS_FILE]}: {len(short)} item(s) have fewer than {MIN_RATERS_PER_ITEM} raters with "
                         f"questionnaire scores (raters in brackets): {shown}; expected at least "
                         f"{MIN_RATERS_PER_ITEM} per item (a correlation over fewer is noise). Collect more ratings, or "
                         f"remove these items from {where[ITEMS_FILE]} and their ratings")


__all__ = ["ANSWERS_FILE", "INSTRUMENT_FILE", "KEY_FILE", "ITEMS_FILE", "RATINGS_FILE", "SCORES_FILE", "SURVEY_FILES", "Survey",
           "check_raters_per_item", "join_raters", "read_survey"]
