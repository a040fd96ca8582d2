"""Demographics of the human raters: read, validate and join to participants (group norms: :mod:`.norms`).

The public Value Portrait release has no demographics. A user who holds them (e.g. the Prolific export of
the study: ``Participant id``, ``Sex``, ``Age``, education, political orientation) passes them as a CSV or
JSON table; :func:`read_demographics` reads it with a configurable column mapping, :func:`check_participants`
matches it to the dataset's participants, :func:`join_demographics` adds the attribute columns to the
``participants`` table; :func:`valueportrait.norms.human_group_norms` then gives each group's norms.
"""

from __future__ import annotations

from .groups import (MIN_RATERS, Demographics, DemographicsWarning, check_participants, demographics_from_dataset,
                     join_demographics)
from .read import (ID_COLUMNS, MISSING_VALUES, PROLIFIC_BOOKKEEPING, attribute_name, bin_numeric,
                   demographics_from_frame, demographics_of, read_demographics)

__all__ = ["ID_COLUMNS", "MIN_RATERS", "MISSING_VALUES", "PROLIFIC_BOOKKEEPING", "Demographics", "DemographicsWarning",
           "attribute_name", "bin_numeric", "check_participants", "demographics_from_dataset", "demographics_from_frame",
           "demographics_of", "join_demographics", "read_demographics"]
