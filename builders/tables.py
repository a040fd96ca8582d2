"""Raw release -> tidy pandas tables (queries, items, human ratings, participants, prompts, published correlations).

Every function takes the release root (see :func:`valueportrait.builders.raw_release.resolve_raw_dir`) and
returns a DataFrame sorted by its key, so builds are deterministic. Bad records raise
:class:`~valueportrait.errors.RawDataError` naming the file, the record and the field.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from valueportrait.scale import FAMILIES, SOURCE_TEMPLATE, TEMPLATES, VARIANTS, item_id, item_sort_key
from valueportrait.errors import RawDataError

from . import raw_release as rr

#: Items per query in the benchmark design.
RESPONSES_PER_QUERY = 5
#: The queries whose texts ship only in the tagged file; their source follows from the first digit of the id.
ID_PREFIX_SOURCE = {"1": "Reddit", "2": "DearAbby", "3": "ShareGPT", "4": "LMSYS"}


def _expect(cond: bool, rel: str, where: str, msg: str) -> None:
    if not cond:
        raise RawDataError(f"{rel}: {where}: {msg}")


def _content_key(content: dict) -> tuple[str, str]:
    return (content.get("title") or "", content.get("text") or "")


def read_queries(root: Path) -> pd.DataFrame:
    """The 104 queries: query_id, source, template, title, text, categories, source_metadata, statistics.

    96 queries come from ``data/query-response/<Source>.json``; the 8 ``x9xx`` queries used in the survey
    appear only in the tagged file, with their source given by the id's first digit (1 Reddit, 2 Dear Abby,
    3 ShareGPT, 4 LMSYS). Topic categories come from ``query_categorized.json``, matched on (title, text).
    """
    rows: list[dict] = []
    for src, rel in rr.QUERY_RESPONSE_FILES.items():
        records = rr.read_json(root, rel)
        _expect(isinstance(records, list), rel, "top level", f"expected a list of queries, got {type(records).__name__}")
        for i, rec in enumerate(records):
            extra = dict(rec.get("extra") or {})
            _expect("portrait_id" in extra, rel, f"record {i}", "field extra.portrait_id is missing")
            qid = str(extra.pop("portrait_id"))
            content = rec.get("content") or {}
            _expect("text" in content, rel, f"record {i} (query {qid})", "field content.text is missing")
            rows.append(
                {
                    "query_id": qid,
                    "source": rec.get("data_source", src),
                    "title": content.get("title"),
                    "text": content.get("text"),
                    "source_metadata": json.dumps(extra, sort_keys=True, ensure_ascii=False),
                    "statistics": json.dumps(rec.get("statistics") or {}, sort_keys=True, ensure_ascii=False),
                    "_file": rel,
                    "_record": i,
                }
            )
    known = {r["query_id"] for r in rows}
    for i, rec in enumerate(_tagged(root)):
        qid = str(rec["portrait_id"])
        if qid in known:
            continue
        _expect(qid[:1] in ID_PREFIX_SOURCE, rr.TAGGED_FILE, f"record {i}", f"query id {qid!r} does not start with 1-4")
        content = rec.get("content") or {}
        rows.append(
            {
                "query_id": qid,
                "source": ID_PREFIX_SOURCE[qid[:1]],
                "title": content.get("title"),
                "text": content.get("text"),
                "source_metadata": "{}",
                "statistics": "{}",
                "_file": rr.TAGGED_FILE,
                "_record": i,
            }
        )
    df = pd.DataFrame(rows)
    dup = df[df.duplicated("query_id", keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise RawDataError(
            f"{first['_file']}: query id {first['query_id']!r} appears more than once "
            f"(records {', '.join(f'{f}#{r}' for f, r in zip(dup['_file'], dup['_record']))}). "
            "Each extra.portrait_id must be unique across the four source files; remove or renumber one of these records."
        )
    bad = df[~df["source"].isin(SOURCE_TEMPLATE)]
    if len(bad):
        r = bad.iloc[0]
        raise RawDataError(
            f"{r['_file']}: record {r['_record']} (query {r['query_id']}): data_source {r['source']!r} is not one of "
            f"{', '.join(SOURCE_TEMPLATE)}."
        )
    df["template"] = df["source"].map(SOURCE_TEMPLATE)

    cats = rr.read_json(root, rr.CATEGORIES_FILE)
    by_content = {_content_key(c.get("content") or {}): list(c.get("categories") or []) for c in cats}
    df["categories"] = [by_content.get((t if isinstance(t, str) else "", x if isinstance(x, str) else ""))
                        for t, x in zip(df["title"], df["text"])]
    missing = df[df["categories"].isna()]
    if len(missing):
        warnings.warn(
            f"{rr.CATEGORIES_FILE}: no topic categories match the content of queries "
            f"{', '.join(missing['query_id'])}; their categories are left empty.",
            stacklevel=2,
        )
        df["categories"] = [c if c is not None else [] for c in df["categories"]]
    df = df.drop(columns=["_file", "_record"])
    cols = ["query_id", "source", "template", "title", "text", "categories", "source_metadata", "statistics"]
    return df[cols].sort_values("query_id", key=lambda s: s.astype(int)).reset_index(drop=True)


def _tagged(root: Path) -> list[dict]:
    recs = rr.read_json(root, rr.TAGGED_FILE)
    _expect(isinstance(recs, list), rr.TAGGED_FILE, "top level", "expected a list of queries")
    return recs


def read_items(root: Path, queries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 520 items: item_id, query_id, response_id, source, template, title, text, response.

    Responses come from ``data/query-response/<Source>.json`` and, for the 8 queries only found there, from
    the tagged file. Each query must have exactly 5 responses with ids 1-5.
    """
    if queries is None:
        queries = read_queries(root)
    responses: dict[str, tuple[str, list]] = {}
    for rel in rr.QUERY_RESPONSE_FILES.values():
        for i, rec in enumerate(rr.read_json(root, rel)):
            responses[str(rec["extra"]["portrait_id"])] = (f"{rel} record {i}", rec.get("outputs"))
    for i, rec in enumerate(_tagged(root)):
        qid = str(rec["portrait_id"])
        responses.setdefault(qid, (f"{rr.TAGGED_FILE} record {i}", rec.get("outputs")))

    rows = []
    for q in queries.itertuples(index=False):
        where, outputs = responses.get(q.query_id, ("(no file)", None))
        _expect(isinstance(outputs, list), where.split(" record")[0], f"{where} (query {q.query_id})", "field outputs is missing")
        ids = [o.get("id") for o in outputs]
        if len(outputs) != RESPONSES_PER_QUERY or sorted(ids) != list(range(1, RESPONSES_PER_QUERY + 1)):
            raise RawDataError(
                f"{where} (query {q.query_id}): expected exactly {RESPONSES_PER_QUERY} responses with ids 1-5, "
                f"found {len(outputs)} with ids {ids}. Every query in the benchmark has 5 candidate responses; "
                "restore the record from the upstream release."
            )
        for o in outputs:
            _expect(isinstance(o.get("content"), str) and o["content"].strip() != "", where.split(" record")[0],
                    f"{where} (query {q.query_id}, response {o.get('id')})", "field content must be a non-empty string")
            rows.append(
                {
                    "item_id": item_id(q.query_id, o["id"]),
                    "query_id": q.query_id,
                    "response_id": int(o["id"]),
                    "source": q.source,
                    "template": q.template,
                    "title": q.title,
                    "text": q.text,
                    "response": o["content"],
                }
            )
    df = pd.DataFrame(rows)
    dup = df[df.duplicated("item_id", keep=False)]
    if len(dup):
        raise RawDataError(
            f"duplicate item ids {sorted(set(dup['item_id']))} in data/query-response/*.json and {rr.TAGGED_FILE}; "
            "item ids (portrait_id-option_id) must be unique. Remove the duplicate query or response record."
        )
    # query ids are digit strings: sort them as numbers (response_id is already an int)
    return df.sort_values(["query_id", "response_id"], key=lambda s: s.astype(int)).reset_index(drop=True)


def read_human_ratings(root: Path) -> pd.DataFrame:
    """Long table of the main survey: participant_id, survey_group (1-12, file order), item_id, rating (1-6)."""
    rel = rr.SURVEY_FILE
    groups = rr.read_json(root, rel)
    _expect(isinstance(groups, list), rel, "top level", "expected a list of 12 survey groups")
    pids, grp, items, ratings = [], [], [], []
    for g, group in enumerate(groups, start=1):
        _expect(isinstance(group, dict), rel, f"survey group {g}", "expected {portrait_id: [options]}")
        for portrait_id, options in group.items():
            for o in options:
                iid = item_id(portrait_id, o.get("option_id"))
                data = o.get("data") or []
                for k, entry in enumerate(data):
                    if not (isinstance(entry, list) and len(entry) == 2):
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
    values = rr.read_json(root, rel)
    _expect(isinstance(values, dict), rel, "top level", "expected {participant_id: {family: {dimension: score}}}")
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
        rec = values[pid]
        row: dict = {"participant_id": pid, "survey_groups": groups[pid]}
        for family, dims in FAMILIES.items():
            scores = rec.get(family)
            _expect(isinstance(scores, dict), rel, f"participant {pid}", f"field {family!r} is missing")
            for dim in dims:
                v = scores.get(dim)
                _expect(isinstance(v, (int, float)) and not isinstance(v, bool), rel, f"participant {pid}",
                        f"field {family}.{dim} must be a number, got {v!r}")
                row[f"{family}_{dim}"] = float(v)
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
            text = rr.raw_path(root, rel).read_text(encoding="utf-8")
            needed = ["{text}", "{content}"] + (["{title}"] if template == "reddit" else [])
            lacking = [n for n in needed if n not in text]
            _expect(not lacking, rel, "template", f"placeholder(s) {lacking} are missing")
            rows.append({"variant": variant, "template": template, "text": text})
    return pd.DataFrame(rows)


def read_published_correlations(root: Path) -> pd.DataFrame | None:
    """Upstream's published Spearman tables, long: item_id, family, dimension, rho, p_value.

    Returns None when the release has none of the three tables.
    """
    frames = []
    for family, rel in rr.CORRELATION_FILES.items():
        if not (root / rel).is_file():
            continue
        recs = rr.read_json(root, rel)
        key = f"{family}_dimension"
        try:
            frames.append(
                pd.DataFrame(
                    {
                        "item_id": [item_id(r["portrait_id"], r["option_id"]) for r in recs],
                        "family": family,
                        "dimension": [r[key] for r in recs],
                        "rho": np.array([r["spearman_corr"] for r in recs], dtype=float),
                        "p_value": np.array([r["spearman_p_value"] for r in recs], dtype=float),
                    }
                )
            )
        except (KeyError, TypeError) as exc:
            raise RawDataError(
                f"{rel}: a record lacks field {exc}; expected portrait_id, option_id, {key}, spearman_corr, "
                "spearman_p_value."
            ) from None
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


def read_release(root: Path) -> Release:
    """Read every table of the release at ``root`` (already resolved)."""
    queries = read_queries(root)
    items = read_items(root, queries)
    ratings = read_human_ratings(root)
    unknown = sorted(set(ratings["item_id"]) - set(items["item_id"]), key=item_sort_key)
    if unknown:
        raise RawDataError(
            f"{rr.SURVEY_FILE}: rated item(s) {unknown[:10]} are not among the items of the query files; "
            "every rated item needs its query and response text."
        )
    participants = read_participants(root, ratings)
    prompts = read_prompts(root)
    published = read_published_correlations(root)
    return Release(root, queries, items, ratings, participants, prompts, published,
                   [p for p in rr.INPUT_FILES if (root / p).is_file()])
