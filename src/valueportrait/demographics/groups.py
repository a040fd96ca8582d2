"""The raters' demographics as one object (:class:`Demographics`), matched to the dataset's participants
(:func:`check_participants`), joined to them (:func:`join_demographics`) or read back from a build
(:func:`demographics_from_dataset`)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..settings import DEFAULT_MIN_RATERS

#: Groups with fewer raters than this get no norms (a null row with a note).
MIN_RATERS = DEFAULT_MIN_RATERS



class DemographicsWarning(UserWarning):
    """Demographics rows that were dropped or participants left without demographics."""


@dataclass(frozen=True)
class Demographics:
    """A demographics table: ``participant_id`` plus one string column per attribute (NaN = missing).

    Attributes
    ----------
    table : DataFrame
        ``participant_id`` (str) then the attribute columns (str).
    attributes : tuple of str
        The attribute column names, in table order.
    source : str
        Where it came from (a file path), for messages.
    rows : tuple of str
        Where each row of ``table`` came from (``"line 4"`` of a CSV, ``"record 3"`` of JSON), for messages.
    """

    table: pd.DataFrame
    attributes: tuple[str, ...]
    source: str = "<table>"
    rows: tuple[str, ...] = ()

    def groups(self, attribute: str) -> dict[str, list[str]]:
        """group label -> participant ids (sorted), for one attribute; missing values are in no group."""
        if attribute not in self.attributes:
            raise InputError(f"no attribute {attribute!r} in the demographics ({self.source}); "
                             f"available: {', '.join(self.attributes)}")
        col = self.table[["participant_id", attribute]].dropna()
        return {str(g): sorted(ids) for g, ids in col.groupby(attribute)["participant_id"]}


def demographics_from_dataset(data) -> Demographics | None:
    """The demographics a dataset was built with, rebuilt from its ``participants`` attribute columns.

    A build with ``--demographics`` joins one string column per attribute into ``participants`` (and lists
    them in ``build_info["demographics"]["attributes"]``); this reads them back as :class:`Demographics`, so
    the full rater-level comparison (:func:`valueportrait.deviation.compare_personas`: bootstrap over raters,
    permutation p-values, distribution alignment) runs from the dataset alone. Participants with a missing
    value are in no group of that attribute, as at build time.

    Returns
    -------
    Demographics or None
        None when the dataset was built without demographics.

    Raises
    ------
    DatasetError
        When ``build_info`` names an attribute that ``participants`` lacks (an inconsistent folder).
    """
    from ..errors import DatasetError

    attrs = tuple(data.demographic_attributes)
    if not attrs:
        return None
    missing = [a for a in attrs if a not in data.participants.columns]
    if missing:
        raise DatasetError(f"the dataset's build_info lists the demographic attribute(s) {missing}, but its "
                           f"participants config has no such column(s) ({list(data.participants.columns)}); "
                           "rebuild it with `valueportrait build --demographics FILE`.")
    table = data.participants[["participant_id", *attrs]].copy()
    table["participant_id"] = table["participant_id"].astype("str")
    for a in attrs:
        table[a] = table[a].astype("str")
    return Demographics(table.reset_index(drop=True), attrs, "the dataset's participants config")


def check_participants(demo: Demographics, participant_ids: Sequence[str]) -> Demographics:
    """Match the demographics to the dataset's participants; drop unknown ids (warning naming the rows).

    Raises
    ------
    InputError
        When no id matches (a wrong file or id column).

    Warns
    -----
    DemographicsWarning
        Rows whose id is not a participant (dropped), and participants with no demographics row.
    """
    known = set(participant_ids)
    ids = demo.table["participant_id"]
    unknown = ~ids.isin(known).to_numpy()
    if unknown.all():
        raise InputError(f"{demo.source}: none of its {len(ids)} participant ids is a participant of the dataset "
                         f"(e.g. {ids.iloc[0]!r}; the dataset's look like {sorted(known)[0]!r}). Check the file "
                         "and the id column (--id-column).")
    if unknown.any():
        where = [f"{demo.rows[k] if demo.rows else k + 1} ({ids.iloc[k]!r})" for k in np.flatnonzero(unknown)[:10]]
        warnings.warn(f"{demo.source}: {int(unknown.sum())} row(s) name no participant of the dataset and are "
                      f"dropped: {', '.join(where)}{' ...' if unknown.sum() > 10 else ''}",
                      DemographicsWarning, stacklevel=2)
    absent = sorted(known - set(ids))
    if absent:
        warnings.warn(f"{demo.source}: {len(absent)} of {len(known)} participants have no demographics row "
                      f"(e.g. {', '.join(absent[:5])}); they are in no group", DemographicsWarning, stacklevel=2)
    keep = ~unknown
    return Demographics(demo.table[keep].reset_index(drop=True), demo.attributes, demo.source,
                        tuple(r for r, k in zip(demo.rows, keep) if k) if demo.rows else ())


def join_demographics(participants: pd.DataFrame, demo: Demographics) -> pd.DataFrame:
    """The ``participants`` table with one string column per attribute added (NaN where unknown).

    Unknown ids are dropped and absent participants warned about (:func:`check_participants`).
    """
    clash = [a for a in demo.attributes if a in participants.columns]
    if clash:
        raise InputError(f"attribute name(s) {clash} clash with participants columns; rename them "
                         "(attributes={'new_name': 'Column'} / --attribute NEW=Column)")
    demo = check_participants(demo, participants["participant_id"].tolist())
    out = participants.merge(demo.table, on="participant_id", how="left", validate="one_to_one")
    for a in demo.attributes:
        out[a] = out[a].astype("str")
    return out


__all__ = ["MIN_RATERS", "Demographics", "DemographicsWarning", "check_participants", "demographics_from_dataset",
           "join_demographics"]
