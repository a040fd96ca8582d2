"""The queries and items of the release: query texts from the four source files and the tagged file, their topic
categories, and the 5 candidate responses of each query.

Besides each record's shape, a record must agree with its file: a query's declared ``data_source`` is the source
of the file it is in (the source picks the prompt template), a Reddit / Dear Abby query (``reddit`` template) has
a title, and every categorized query has its ``categories`` key. Errors name the file, the record and the field.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from valueportrait.errors import RawDataError
from valueportrait.scale import SOURCE_TEMPLATE, item_id

from . import raw_release as rr

#: Items per query in the benchmark design.
RESPONSES_PER_QUERY = 5
#: The queries whose texts ship only in the tagged file; their source follows from the first digit of the id.
ID_PREFIX_SOURCE = {"1": "Reddit", "2": "DearAbby", "3": "ShareGPT", "4": "LMSYS"}




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
        for i, rec in enumerate(rr.records(root, rel, "query")):
            extra = dict(rr.expect_type(rec.get("extra"), dict, rel, f"record {i}", "field extra"))
            rr.expect("portrait_id" in extra, rel, f"record {i}", "field extra.portrait_id is missing.")
            qid = rr.query_id(extra.pop("portrait_id"), rel, f"record {i}", "extra.portrait_id")
            where = f"record {i} (query {qid})"
            declared = rec.get("data_source", src)
            rr.expect(declared == src, rel, where, f"data_source {declared!r} does not match its file: every record "
                      f"of {rel} is a {src} query (the source picks the prompt template, here "
                      f"{SOURCE_TEMPLATE[src]!r}).", f"Set it to {src!r} or move the record to its source's file; "
                      f"{rr.RESTORE_HINT[0].lower()}{rr.RESTORE_HINT[1:]}")
            content = rr.expect_type(rec.get("content"), dict, rel, where, "field content")
            _check_content(content, rel, where, src)
            rows.append(
                {
                    "query_id": qid,
                    "source": src,
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
        qid = rr.query_id(rec.get("portrait_id"), rr.TAGGED_FILE, f"record {i}", "portrait_id")
        if qid in known:
            continue
        source = ID_PREFIX_SOURCE.get(qid[:1])
        rr.expect(qid[:1] in ID_PREFIX_SOURCE and qid[1:2] == "9", rr.TAGGED_FILE, f"record {i}",
                f"query {qid} is in no data/query-response/*.json file; only the survey's x9xx queries (e.g. 1901) "
                f"ship in the tagged file alone.",
                f"Restore the query in {rr.QUERY_RESPONSE_FILES.get(source, 'its source file')} from {rr.UPSTREAM_REPO}.")
        content = rr.expect_type(rec.get("content"), dict, rr.TAGGED_FILE, f"record {i} (query {qid})", "field content")
        _check_content(content, rr.TAGGED_FILE, f"record {i} (query {qid})", source)
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

    by_content = {}
    for i, c in enumerate(rr.records(root, rr.CATEGORIES_FILE, "categorized query")):
        content = rr.expect_type(c.get("content"), dict, rr.CATEGORIES_FILE, f"record {i}", "field content")
        rr.expect("categories" in c, rr.CATEGORIES_FILE, f"record {i}", "field categories is missing; expected the "
                  "query's list of topic categories (an empty list if it has none).")
        cats = rr.expect_type(c["categories"], list, rr.CATEGORIES_FILE, f"record {i}", "field categories")
        for cat in cats:
            rr.expect_type(cat, str, rr.CATEGORIES_FILE, f"record {i}", "each of field categories")
        by_content[_content_key(content)] = list(cats)
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
    return rr.records(root, rr.TAGGED_FILE, "query")


def _check_content(content: dict, rel: str, where: str, source: str) -> None:
    """A query's content: ``text`` a string; ``title`` a non-empty string for a query of the ``reddit`` template
    (Reddit, Dear Abby: the prompt shows it), else a string or null."""
    rr.expect("text" in content, rel, where, "field content.text is missing.")
    rr.expect_type(content["text"], str, rel, where, "field content.text")
    if SOURCE_TEMPLATE.get(source) == "reddit":
        rr.expect(content.get("title") is not None, rel, where, f"field content.title is missing; a {source} query "
                  "has a title (the reddit prompt template shows it as {title}).")
    if content.get("title") is not None:
        rr.expect_type(content["title"], str, rel, where, "field content.title")
        if SOURCE_TEMPLATE.get(source) == "reddit":
            rr.expect(content["title"].strip(), rel, where, f"field content.title is empty; a {source} query has "
                      "a title (the reddit prompt template shows it as {title}).")


def read_items(root: Path, queries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 520 items: item_id, query_id, response_id, source, template, title, text, response.

    Responses come from ``data/query-response/<Source>.json`` and, for the 8 queries only found there, from
    the tagged file. Each query must have exactly 5 responses with ids 1-5.
    """
    if queries is None:
        queries = read_queries(root)
    responses: dict[str, tuple[str, int, list]] = {}
    for rel in rr.QUERY_RESPONSE_FILES.values():
        for i, rec in enumerate(rr.read_json(root, rel)):
            responses[str(rec["extra"]["portrait_id"])] = (rel, i, rec.get("outputs"))
    for i, rec in enumerate(_tagged(root)):
        responses.setdefault(str(rec["portrait_id"]), (rr.TAGGED_FILE, i, rec.get("outputs")))

    rows = []
    for q in queries.itertuples(index=False):
        rel, i, outputs = responses[q.query_id]
        where = f"record {i} (query {q.query_id})"
        rr.expect_type(outputs, list, rel, where, "field outputs")
        for o in outputs:
            rr.expect_type(o, dict, rel, where, "each response in outputs")
        ids = [o.get("id") for o in outputs]
        if len(outputs) != RESPONSES_PER_QUERY or sorted(i for i in ids if type(i) is int) != [1, 2, 3, 4, 5]:
            raise RawDataError(
                f"{rel} {where}: expected exactly {RESPONSES_PER_QUERY} responses with ids 1-5, "
                f"found {len(outputs)} with ids {ids}. Every query in the benchmark has 5 candidate responses; "
                "restore the record from the upstream release."
            )
        for o in outputs:
            rr.expect(isinstance(o.get("content"), str) and o["content"].strip() != "", rel,
                      f"record {i} (query {q.query_id}, response {o['id']})", "field content must be a non-empty string.")
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


__all__ = ["ID_PREFIX_SOURCE", "RESPONSES_PER_QUERY", "read_items", "read_queries"]
