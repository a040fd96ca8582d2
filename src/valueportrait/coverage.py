"""How much of the benchmark a model's ratings cover: rated requests, and the dimensions left short.

A portrait scored from part of the benchmark (an interrupted run, a ``--limit`` smoke test, answers that could
not be parsed) is a *partial* portrait: its dimensions rest on fewer items than the full benchmark's, and
dimensions with no rated item have no score at all. :func:`coverage_record` says so for one model;
:func:`coverage_lines` turns the records into the lines ``valueportrait score`` prints.

Pure functions on the ratings table and the portrait (:mod:`valueportrait.scoring`); the expected number of
requests of a run directory comes from its manifest (:func:`requests_of_manifest`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .scale import VARIANTS

__all__ = ["coverage_lines", "coverage_record", "expected_requests", "no_rating_message", "requests_of_manifest",
           "unrated_examples"]


def requests_of_manifest(manifest: Mapping[str, Any], n_items: int) -> int:
    """The requests of the full benchmark for a run: items x the run's variants x its personas (at least one)."""
    variants = manifest.get("variants") or list(VARIANTS)
    return n_items * len(variants) * max(1, len(manifest.get("personas") or []))


def expected_requests(ratings: pd.DataFrame, n_items: int) -> int:
    """The requests of the full benchmark for one model's ratings table, from the variants and personas it has.

    >>> r = pd.DataFrame({"item_id": ["1-1", "1-1"], "variant": ["v1", "v2"], "persona": [None, None]})
    >>> expected_requests(r, 520)
    1040
    """
    def distinct(column: str) -> int:
        return max(1, int(ratings[column].dropna().nunique())) if column in ratings else 1

    return n_items * distinct("variant") * distinct("persona")


def coverage_record(ratings: pd.DataFrame, portrait: pd.DataFrame, selection: pd.DataFrame, *,
                    requests: int) -> dict[str, Any]:
    """Coverage of one model: ``rated`` of ``requests``, ``share``, ``partial`` and ``short_dimensions``.

    ``ratings``: the model's ratings table (a NaN rating is an unparseable answer or a failed request);
    ``portrait``: its scored portrait (column ``n``: rated items of each dimension); ``selection``: the items
    of each dimension in the full benchmark. ``short_dimensions`` lists ``{family, dimension, items, full}``
    for each dimension scored from fewer items than the benchmark has.

    >>> sel = pd.DataFrame({"item_id": ["a", "b"], "family": "pvq", "dimension": "Power", "key": 1})
    >>> p = pd.DataFrame({"family": ["pvq"], "dimension": ["Power"], "n": [1]})
    >>> rec = coverage_record(pd.DataFrame({"rating": [5.0, None]}), p, sel, requests=4)
    >>> rec["rated"], rec["requests"], rec["partial"], rec["short_dimensions"]
    (1, 4, True, [{'family': 'pvq', 'dimension': 'Power', 'items': 1, 'full': 2}])
    """
    rated = int(ratings["rating"].notna().sum())
    full = selection.groupby(["family", "dimension"], sort=False)["item_id"].nunique()
    short = []
    for r in portrait.itertuples(index=False):
        want = int(full.get((r.family, r.dimension), 0))
        if int(r.n) < want:
            short.append({"family": r.family, "dimension": r.dimension, "items": int(r.n), "full": want})
    return {"rated": rated, "requests": int(requests), "share": rated / requests if requests else 0.0,
            "partial": rated < requests, "short_dimensions": short}


def coverage_lines(coverage: Mapping[str, Mapping[str, Any]], *, shown: int = 6) -> tuple[list[str], list[str]]:
    """``(lines, warnings)``: one "rated N of M requests" line per model, and a warning per partial portrait.

    A warning names the dimensions with fewer items than the full benchmark (the first ``shown``).
    """
    lines, warnings = [], []
    for model, c in coverage.items():
        lines.append(f"{model}: rated {c['rated']:,} of {c['requests']:,} requests ({100 * c['share']:.1f}%)")
        if not c["partial"]:
            continue
        short = c["short_dimensions"]
        listed = ", ".join(f"{d['family']}/{d['dimension']} {d['items']} of {d['full']}" for d in short[:shown])
        more = f" and {len(short) - shown} more" if len(short) > shown else ""
        what = (f"{len(short)} dimension(s) have fewer items than the full benchmark: {listed}{more}" if short
                else "every dimension still has all its items")
        warnings.append(f"{model}: the portrait is partial (rated {c['rated']:,} of {c['requests']:,} requests); "
                        f"{what}.")
    return lines, warnings


def unrated_examples(records: Iterable[Mapping[str, Any]], *, limit: int = 3) -> list[str]:
    """Up to ``limit`` distinct answers (or errors) of requests that gave no rating, each cut to 120 characters."""
    out: list[str] = []
    for rec in records:
        if rec.get("rating") is not None:
            continue
        text = rec.get("raw") if rec.get("status") == "unparseable" else f"failed: {rec.get('error')}"
        text = " ".join(str(text).split())[:120]
        if text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out


def no_rating_message(model: str, answers: int, examples: list[str]) -> str:
    """The error text of a model none of whose ``answers`` gave a rating (``examples``: some of them)."""
    shown = "; ".join(repr(e) for e in examples) if examples else "none recorded"
    return (f"{model}: none of its {answers:,} answers gave a rating, so there is no portrait to score. Examples "
            f"of its answers: {shown}. An answer must contain one of the Likert phrases (e.g. 'like me', 'not like "
            "me at all'); check the model, its --max-tokens and its prompt, or re-run the failed requests.")
