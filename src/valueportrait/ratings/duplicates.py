"""Ratings given more than once: an error by default, or one policy (keep the first, average them), counted.

A rating answers one request, ``(model, persona, item_id, variant)``. The same request rated twice (a ratings
file with every row twice, a run directory given twice, two files holding the same run) would count as two
independent answers: the intervals would shrink (twice the ratings, about twice the degrees of freedom) and
conflicting answers would be averaged without a word. So a repeated request is an
:class:`~valueportrait.errors.InputError` naming the first repeated keys and the sources they came from, unless
the caller picks a policy (:data:`DUPLICATE_POLICIES`): ``first`` keeps each request's first rating (in the
order the sources were given), ``mean`` averages its valid ratings. Ratings without a variant are not
requests of a prompt variant (several ratings of one item are then repeats, averaged as documented) and are
never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..errors import InputError

__all__ = ["DUPLICATE_KEY", "DUPLICATE_POLICIES", "Deduplicated", "check_policy", "check_sources",
           "resolve_duplicates"]

#: The choices of ``--duplicates`` / ``Selection.duplicates``.
DUPLICATE_POLICIES: tuple[str, ...] = ("error", "first", "mean")
#: The columns naming one request.
DUPLICATE_KEY: tuple[str, ...] = ("model", "persona", "item_id", "variant")


class Deduplicated(NamedTuple):
    """The ratings with one row per request, and how many rows the policy removed (0 under ``error``)."""

    ratings: pd.DataFrame
    removed: int


def check_policy(policy: str) -> str:
    """``policy`` if it is one of :data:`DUPLICATE_POLICIES`, else an InputError listing them.

    >>> check_policy("last")
    Traceback (most recent call last):
    valueportrait.errors.InputError: unknown duplicates policy 'last'; choose one of: error, first, mean (--duplicates)
    """
    if policy not in DUPLICATE_POLICIES:
        raise InputError(f"unknown duplicates policy {policy!r}; choose one of: {', '.join(DUPLICATE_POLICIES)} "
                         "(--duplicates)")
    return policy


def check_sources(sources: Sequence[str | Path]) -> None:
    """Refuse a run directory or ratings file given twice (the same path, however written)."""
    seen: dict[Path, str] = {}
    for s in sources:
        key = Path(s).resolve()
        if key in seen:
            raise InputError(f"{str(s)!r} is the same {'run directory' if key.is_dir() else 'file'} as "
                             f"{seen[key]!r}, given twice: its ratings would count twice and shrink every interval. "
                             "Give each run directory or ratings file once.")
        seen[key] = str(s)


def _keys(ratings: pd.DataFrame) -> pd.DataFrame:
    cols = {c: ratings[c].astype(object).where(ratings[c].notna(), "") if c in ratings else ""
            for c in DUPLICATE_KEY}
    return pd.DataFrame(cols, index=ratings.index).astype(str)


def resolve_duplicates(ratings: pd.DataFrame, policy: str = "error", *, shown: int = 3) -> Deduplicated:
    """Apply ``policy`` to the requests rated more than once (``variant`` set; ``source``: where each row came
    from, named in the error, optional).

    >>> r = pd.DataFrame({"model": "m", "item_id": ["1-1", "1-1", "1-2"], "variant": "v1", "persona": None,
    ...                   "rating": [5.0, 3.0, 2.0]})
    >>> out = resolve_duplicates(r, "mean")
    >>> out.ratings["rating"].tolist(), out.removed
    ([4.0, 2.0], 1)
    """
    check_policy(policy)
    if "variant" not in ratings or ratings.empty:
        return Deduplicated(ratings, 0)
    keyed = ratings["variant"].notna().to_numpy()
    keys = _keys(ratings)
    dup = keys.duplicated(keep=False).to_numpy() & keyed
    if not dup.any():
        return Deduplicated(ratings, 0)
    extra = int((keys.duplicated(keep="first").to_numpy() & keyed).sum())
    if policy == "error":
        repeated = keys[dup].drop_duplicates()
        first = repeated.head(shown)
        more = f"; and {len(repeated) - shown:,} more request(s)" if len(repeated) > shown else ""
        listed = []
        for _, k in first.iterrows():
            rows = ratings[dup & (keys == k).all(axis=1).to_numpy()]
            where = ""
            if "source" in rows:
                where = " in " + " and ".join(dict.fromkeys(map(str, rows["source"])))
            persona = f", persona {k['persona']!r}" if k["persona"] else ""
            listed.append(f"(model {k['model']!r}{persona}, item {k['item_id']}, variant {k['variant']}) "
                          f"{len(rows)} times{where}")
        raise InputError(f"{extra:,} rating(s) repeat a request already rated (model, persona, item, variant): "
                         f"{'; '.join(listed)}{more}. "
                         "Each would count as an independent answer and shrink the intervals. Give each run or "
                         "file once, or choose --duplicates first (keep each request's first rating) or "
                         "--duplicates mean (average them); in Python duplicates='first' or 'mean'.")
    if policy == "first":
        return Deduplicated(ratings[~(keys.duplicated(keep="first").to_numpy() & keyed)], extra)
    head = ~(keys.duplicated(keep="first").to_numpy() & keyed)
    mean = ratings.loc[keyed, "rating"].astype(float).groupby([keys.loc[keyed, c] for c in DUPLICATE_KEY],
                                                              sort=False).transform("mean")
    out = ratings.copy()
    out["rating"] = out["rating"].astype(float)
    out.loc[keyed, "rating"] = mean
    return Deduplicated(out[head], extra)
