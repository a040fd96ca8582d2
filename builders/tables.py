"""Raw release -> tidy pandas tables (queries, items, human ratings, participants, prompts, published correlations).

The queries and items are read by :mod:`.queries` (re-exported here). Every function takes the release root (see :func:`valueportrait.builders.raw_release.resolve_raw_dir`) and
returns a DataFrame sorted by its key, so builds are deterministic. Bad records raise
:class:`~valueportrait.errors.RawDataError` naming the file, the record and the field.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from valueportrait.scale import FAMILIES, TEMPLATES, VARIANTS, item_id, item_sort_key
from valueportrait.errors import RawDataError

from . import raw_release as rr
from . import release_checks as checks
from .queries import read_items, read_queries


def read_human_ratings(root: Path, allow_partial: bool = False, notes: list[str] | None = None) -> pd.DataFrame:
    """Long table of the main survey: participant_id, survey_group (1-12, file order), item_id, rating (1-6).

    Fewer than the 12 survey groups is an error unless ``allow_partial`` (then a warning, noted in ``notes``).
    """
    rel = rr.SURVEY_FILE
    groups = rr.expect_type(rr.read_json(root, rel), list, rel, "top level", "the list of 12 survey groups")
    checks.check_survey_groups(len(groups), allow_partial, [] if notes is None else notes)
    pids, grp, items, ratings = [], [], [], []
    for g, group in enumerate(groups, start=1):
        rr.expect_type(group, dict, rel, f"survey group {g}", "the group ({portrait_id: [options]})")
        for portrait_id, options in group.items():
            rr.query_id(portrait_id, rel, f"survey group {g}", f"key {portrait_id!r}")
            rr.expect_type(options, list, rel, f"survey group {g}, query {portrait_id}", "the list of options")
            for o in options:
                where = f"survey group {g}, query {portrait_id}"
                rr.expect_type(o, dict, rel, where, "each option")
                oid = rr.expect_type(o.get("option_id"), int, rel, where, "field option_id")
                iid = item_id(portrait_id, oid)
                data = rr.expect_type(o.get("data"), list, rel, f"{where}, item {iid}", "field data (the ratings)")
                for k, entry in enumerate(data):
                    if (type(entry) is list and len(entry) == 2 and type(entry[0]) is int and 1 <= entry[0] <= 6
                            and type(entry[1]) is str and entry[1]):  # the common case, fast
                        continue
                    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str) and entry[1]):
                        raise RawDataError(f"{rel}: survey group {g}, item {iid}, rating #{k}: expected [rating, "
                                           f"participant_id], got {entry!r}. Fix or remove this entry.")
                    rating = entry[0]
                    if not _is_rating(rating):
                        raise RawDataError(
                            f"{rel}: survey group {g}, item {iid}, rating #{k} (participant {entry[1]}): rating "
                            f"{rating!r} is not an integer from 1 to 6. The survey used a 6-point scale "
                            "(1 = not like me at all ... 6 = very much like me); fix or remove this entry."
                        )
                ratings += [int(e[0]) for e in data]
                pids += [str(e[1]) for e in data]
                grp += [g] * len(data)
                items += [iid] * len(data)
    df = pd.DataFrame({"participant_id": pids, "survey_group": np.array(grp, dtype=np.int64),
                       "item_id": items, "rating": np.array(ratings, dtype=np.int64)})
    groups_of_item = df.drop_duplicates(["item_id", "survey_group"]).groupby("item_id")["survey_group"]
    shared = groups_of_item.nunique()
    if (shared > 1).any():
        iid = shared[shared > 1].index[0]
        raise RawDataError(
            f"{rel}: item {iid} appears in survey groups {sorted(int(g) for g in groups_of_item.get_group(iid).unique())}; "
            "each item belongs to exactly one survey group (its raters). Remove the duplicate entry."
        )
    dup = df[df.duplicated(["participant_id", "item_id"], keep=False)]
    if len(dup):
        r = dup.iloc[0]
        raise RawDataError(
            f"{rel}: participant {r['participant_id']} rated item {r['item_id']} more than once "
            f"(survey group {r['survey_group']}); each participant rates an item once."
        )
    # sort by survey group, item (numerically: 1021-2 before 1021-10), participant
    item_rank = {iid: r for r, iid in enumerate(sorted(set(items), key=item_sort_key))}
    order = np.lexsort((np.array(pids), np.array([item_rank[i] for i in items]), df["survey_group"].to_numpy()))
    return df.iloc[order].reset_index(drop=True)


def _is_rating(value: object) -> bool:
    """True for an integer 1-6, also written as a float (``4.0``); False for bools, strings, None, NaN, 2.5..."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
            and 1 <= value <= 6)


def read_participants(root: Path, ratings: pd.DataFrame) -> pd.DataFrame:
    """participant_id, survey_groups, and ``<family>_<dimension>`` value scores (PVQ ipsatized, higher-order, BFI).

    Every participant in ``ratings`` must have a value record. Value records of people who rated nothing in the
    main survey are dropped (with a warning naming how many).
    """
    rel = rr.VALUE_FILE
    values = rr.expect_type(rr.read_json(root, rel), dict, rel, "top level",
                            "the value records ({participant_id: {family: {dimension: score}}})")
    groups = ratings.groupby("participant_id")["survey_group"].agg(lambda s: sorted(set(int(x) for x in s)))
    missing = sorted(set(groups.index) - set(values))
    if missing:
        raise RawDataError(
            f"{rr.SURVEY_FILE}: participant(s) {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''} "
            f"rated items but have no value record in {rel}. Every rater needs PVQ-21 and BFI-10 scores to "
            "correlate; add their record or remove their ratings."
        )
    unused = set(values) - set(groups.index)
    if unused:
        warnings.warn(f"{rel}: {len(unused)} value records belong to nobody in the main survey; they are left out.",
                      stacklevel=2)
    rows = []
    for pid in sorted(groups.index):
        rec = rr.expect_type(values[pid], dict, rel, f"participant {pid}", "the value record")
        row: dict = {"participant_id": pid, "survey_groups": groups[pid]}
        for family, dims in FAMILIES.items():
            scores = rr.expect_type(rec.get(family), dict, rel, f"participant {pid}", f"field {family}")
            for dim in dims:
                row[f"{family}_{dim}"] = checks.value_score(scores.get(dim), family, dim, pid)
        rows.append(row)
    return pd.DataFrame(rows)


def read_prompts(root: Path) -> pd.DataFrame:
    """The 6 variants x 2 templates: variant, template, text (exactly as released)."""
    base = root / rr.PROMPTS_DIR
    if not base.is_dir():
        rr.raw_path(root, f"{rr.PROMPTS_DIR}/v1/reddit_prompt.txt")
    found = sorted(p.name for p in base.iterdir() if p.is_dir())
    unknown = [v for v in found if v not in VARIANTS]
    if unknown:
        raise RawDataError(
            f"{rr.PROMPTS_DIR}: unknown prompt variant folder(s) {unknown}; expected only {list(VARIANTS)} "
            "(3 templates x 2 option orders). Remove or rename the extra folder."
        )
    rows = []
    for variant in VARIANTS:
        for template in TEMPLATES:
            rel = f"{rr.PROMPTS_DIR}/{variant}/{template}_prompt.txt"
            path = rr.raw_path(root, rel)
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError) as exc:
                raise RawDataError(f"{rel}: cannot be read as UTF-8 text ({exc}). {rr.RESTORE_HINT}") from None
            checks.check_prompt(text, rel, template)
            rows.append({"variant": variant, "template": template, "text": text})
    return pd.DataFrame(rows)


def read_published_correlations(root: Path, allow_partial: bool = False,
                                notes: list[str] | None = None) -> pd.DataFrame | None:
    """Upstream's published Spearman tables, long: item_id, family, dimension, rho, p_value, record (the
    record's index in its file; :func:`read_release` drops it after its checks).

    Each of the three tables must be there unless ``allow_partial`` (then a warning, noted in ``notes``);
    None when none is.
    """
    frames = []
    for family, rel in rr.CORRELATION_FILES.items():
        if not (root / rel).is_file():
            checks.partial(f"{rel} is missing from the raw release at {str(root)!r}: without it no {family} item "
                           "can be selected with the published correlations.", rr.RESTORE_HINT, allow_partial,
                           [] if notes is None else notes)
            continue
        recs = rr.records(root, rel, "correlation record")
        key = f"{family}_dimension"
        rows = []
        for i, r in enumerate(recs):
            qid, oid, dim, rho, pv = (r.get(f) for f in ("portrait_id", "option_id", key, "spearman_corr",
                                                         "spearman_p_value"))
            if (type(qid) is str and qid.isdigit() and type(oid) is int and type(dim) is str and type(rho) is float
                    and type(pv) is float and -1 <= rho <= 1 and 0 <= pv <= 1):  # the common case, fast
                rows.append((f"{qid}-{oid}", family, dim, rho, pv, i))
                continue
            lacking = [f for f in ("portrait_id", "option_id", key, "spearman_corr", "spearman_p_value") if f not in r]
            if lacking:
                rr.expect(False, rel, f"record {i}", f"field(s) {', '.join(lacking)} missing; expected portrait_id, "
                          f"option_id, {key}, spearman_corr, spearman_p_value.")
            qid = rr.query_id(r["portrait_id"], rel, f"record {i}", "portrait_id")
            oid = rr.expect_type(r["option_id"], int, rel, f"record {i}", "field option_id")
            dim = rr.expect_type(r[key], str, rel, f"record {i}", f"field {key}")
            rho, pv = checks.published_numbers(r["spearman_corr"], r["spearman_p_value"], rel, f"record {i}")
            rows.append((item_id(qid, oid), family, dim, rho, pv, i))
        frames.append(pd.DataFrame(rows, columns=["item_id", "family", "dimension", "rho", "p_value", "record"]))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


@dataclass
class Release:
    """All tables read from one raw release."""

    root: Path
    queries: pd.DataFrame
    items: pd.DataFrame
    human_ratings: pd.DataFrame
    participants: pd.DataFrame
    prompts: pd.DataFrame
    published_correlations: pd.DataFrame | None
    input_files: list[str] = field(default_factory=list)
    #: What is missing from a partial release (``read_release(allow_partial=True)``); empty for a full one.
    partial: list[str] = field(default_factory=list)


def read_release(root: Path, *, allow_partial: bool = False) -> Release:
    """Read every table of the release at ``root`` (already resolved).

    A missing survey group, published table or published pair is an error unless ``allow_partial``; then
    each is a warning and a line of ``Release.partial``.
    """
    notes: list[str] = []
    queries = read_queries(root)
    items = read_items(root, queries)
    ratings = read_human_ratings(root, allow_partial, notes)
    checks.check_rated_items(items["item_id"], ratings, allow_partial, notes)
    participants = read_participants(root, ratings)
    prompts = read_prompts(root)
    published = read_published_correlations(root, allow_partial, notes)
    if published is not None:
        checks.check_published(published, items["item_id"], allow_partial, notes)
        published = published.drop(columns="record")
    return Release(root, queries, items, ratings, participants, prompts, published,
                   [p for p in rr.INPUT_FILES if (root / p).is_file()], notes)
