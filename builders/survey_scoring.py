"""Questionnaire scores from item-level answers and a scoring key (a survey folder's ``answers.csv`` + ``key.csv``,
instead of ``scores.csv``).

``key.csv``: one row per (question, dimension) the question scores: ``question``, ``dimension`` (an id of the
instrument; ``family`` too when two families share it), optional ``reverse`` (``yes``/``no``, ``1``/``0``) and,
for a reverse-keyed question, ``min`` and ``max`` of its answer scale (a reversed answer is ``min + max - answer``).
``answers.csv``: long, one row per answer: ``participant``, ``question``, ``answer`` (a number; empty when not
answered). A participant's score on a dimension is the mean of their (reversed) answers to its questions, over
the questions they answered: the usual scoring of a Likert questionnaire (PVQ, BFI). Pure functions on the text
cells of :func:`valueportrait.table_files.read_table`; every error names the file, the row, the column and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from valueportrait.errors import InputError

from .survey_checks import require_columns, scores_columns, shown_list

KEY_COLUMNS, KEY_OPTIONAL = ("question", "dimension"), ("family", "reverse", "min", "max")
ANSWER_COLUMNS = ("participant", "question", "answer")
_YES, _NO = {"yes", "y", "true", "1", "ja"}, {"no", "n", "false", "0", "nein", ""}


def check_key(frame: pd.DataFrame, rows: Sequence[str], where: str, dimensions: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """The scoring key: question, column (``<family>_<dimension>``), sign (+1 / -1), lo, hi (NaN unless reversed)."""
    require_columns(frame, where, KEY_COLUMNS, KEY_OPTIONAL)
    by_id: dict[str, list[tuple[str, str]]] = {}
    for f, d in dimensions:
        by_id.setdefault(d, []).append((f, d))
    out = []
    for k, r in enumerate(frame.to_dict("records")):
        q, d, f = r["question"].strip(), r["dimension"].strip(), r.get("family", "").strip()
        if not q:
            raise InputError(f"{where}, {rows[k]}, column 'question': empty; expected the question's id as in the "
                             "answers file")
        match = [fd for fd in by_id.get(d, []) if not f or fd[0] == f]
        if len(match) != 1:
            known = ", ".join(sorted(by_id))
            why = "is in more than one family: add a family column" if len(match) > 1 else "is no dimension of the instrument"
            raise InputError(f"{where}, {rows[k]}, column 'dimension': {d!r}{' (family ' + repr(f) + ')' if f else ''} {why}; "
                             f"expected one of {known}. Correct it, or add the dimension to instrument.yaml")
        flag = r.get("reverse", "").strip().lower()
        if flag not in _YES | _NO:
            raise InputError(f"{where}, {rows[k]}, column 'reverse': {r['reverse']!r}; expected yes or no (1 or 0)")
        lo = hi = np.nan
        if flag in _YES:
            try:
                lo, hi = float(r.get("min", "")), float(r.get("max", ""))
            except ValueError:
                raise InputError(f"{where}, {rows[k]}: question {q!r} is reverse-keyed but its min / max "
                                 f"({r.get('min', '')!r}, {r.get('max', '')!r}) are not numbers; give the lowest and "
                                 "highest answer of its scale (a reversed answer is min + max - answer)") from None
        out.append({"question": q, "column": f"{match[0][0]}_{match[0][1]}", "sign": -1 if flag in _YES else 1,
                    "lo": lo, "hi": hi, "row": rows[k]})
    key = pd.DataFrame(out, columns=["question", "column", "sign", "lo", "hi", "row"])
    dup = key.duplicated(["question", "column"], keep=False)
    if dup.any():
        r = key[dup].iloc[0]
        raise InputError(f"{where}, {r['row']}: question {r['question']!r} is keyed to {r['column']} more than once; "
                         "keep one row per question and dimension")
    return key


def score_answers(frame: pd.DataFrame, rows: Sequence[str], where: str, key: pd.DataFrame, key_where: str,
                  dimensions: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """participant + one column per dimension (named ``<family>_<dimension>``, as ``scores.csv`` may name them):
    each participant's mean (reversed) answer over the dimension's questions they answered; empty where none."""
    require_columns(frame, where, ANSWER_COLUMNS, ())
    missing = [f"{f}_{d}" for f, d in dimensions if f"{f}_{d}" not in set(key["column"])]
    if missing:
        raise InputError(f"{key_where}: no question scores {shown_list(missing)}; expected at least one question per "
                         "dimension of instrument.yaml. Add their questions to the key")
    pid, q = frame["participant"].str.strip(), frame["question"].str.strip()
    text = frame["answer"].str.strip()
    answer = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = (text != "").to_numpy() & ~np.isfinite(answer)
    unknown = ~q.isin(set(key["question"])).to_numpy()
    dup = pd.DataFrame({"p": pid, "q": q}).duplicated(keep=False).to_numpy()
    for mask, column, what in ((pid == "").to_numpy(), "participant", "empty; expected the participant's id"),\
            (unknown, "question", f"is not a question of {key_where}; add it to the key or correct the id"),\
            (bad, "answer", "is not a number; expected the answer's value (empty when not answered)"),\
            (dup, "question", "is answered twice by this participant; keep one answer"):
        if mask.any():
            k = int(np.flatnonzero(mask)[0])
            value = {"participant": pid, "question": q, "answer": text}[column].iloc[k]
            raise InputError(f"{where}, {rows[k]}, column {column!r}: {value!r} {what}")
    bounds = key.dropna(subset=["lo"]).drop_duplicates("question").set_index("question")
    lo, hi = bounds["lo"].reindex(q).to_numpy(), bounds["hi"].reindex(q).to_numpy()
    off = (answer < lo) | (answer > hi)
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(f"{where}, {rows[k]}, column 'answer': {text.iloc[k]!r} is outside the scale of question "
                         f"{q.iloc[k]!r} ({lo[k]:g} to {hi[k]:g} in {key_where}); correct the answer or the key's min/max")
    p_codes, participants = pd.factorize(pid)
    q_codes, questions = pd.factorize(q)
    x = np.full((len(participants), len(questions)), np.nan)
    x[p_codes, q_codes] = answer
    qi = pd.Index(questions).get_indexer(key["question"])
    key = key[qi >= 0]
    qi = qi[qi >= 0]
    cols = [f"{f}_{d}" for f, d in dimensions]
    ci = pd.Index(cols).get_indexer(key["column"])
    # reversed answers per key row, then the mean over answered questions of each dimension (vectorised)
    vals = np.where(key["sign"].to_numpy() < 0, key["lo"].to_numpy() + key["hi"].to_numpy() - x[:, qi], x[:, qi])
    member = np.zeros((len(qi), len(cols)))
    member[np.arange(len(qi)), ci] = 1.0
    answered = ~np.isnan(vals)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(answered, vals, 0.0) @ member / (answered @ member)
    out = pd.DataFrame(scores, columns=cols)
    out.insert(0, "participant", np.asarray(participants, dtype=object))
    return out


__all__ = ["ANSWER_COLUMNS", "KEY_COLUMNS", "KEY_OPTIONAL", "check_key", "score_answers", "scores_columns"]
