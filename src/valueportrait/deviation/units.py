"""What every interval of a comparison is over (its unit, ``ci_over``) and how it is made (``ci_method``), and
which intervals are zero-width because a side has no uncertainty.

:func:`interval_units` names them per interval, as the leaderboard does per record; the report's
``dimensions`` table carries them as columns and ``settings.json`` under ``intervals``. :func:`zero_width`
counts the zero-width intervals of a report's tables, for ``settings.json`` and the printed footnote; each row
with one says why in its ``note``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NO_CI_NORMS", "interval_units", "zero_width"]

#: The note of a norms table without CI columns: its scores are taken as exact.
NO_CI_NORMS = ("the norms table has no CI columns: the group's scores are taken as exact, so the human interval "
               "is zero-width and the deviation's interval carries the model's uncertainty only")

#: The intervals of the tables, as (table, column prefix).
_INTERVALS = (("dimensions", "model"), ("dimensions", "human"), ("dimensions", "deviation"),
              ("gaps", "model_gap"), ("gaps", "human_gap"), ("bias", "bias_index"), ("bias", "bias_excess"))


def interval_units(human: str) -> dict[str, dict[str, str]]:
    """``{interval: {"ci_over": unit, "ci_method": method}}`` for a comparison whose human side is ``human``:
    ``"raters"``, ``"norms table"`` (with CI columns) or ``"norms table without CI"``.

    >>> interval_units("raters")["deviation_ci"]
    {'ci_over': 'items+raters', 'ci_method': 'bootstrap-percentile'}
    >>> interval_units("norms table without CI")["human_ci"]["ci_over"]
    'none (norms without CI: taken as exact)'
    """
    h = {"raters": "raters", "norms table": "norms (normal replicates from their CI)"}.get(
        human, "none (norms without CI: taken as exact)")
    paired = {"raters": "items+raters", "norms table": "items+norms"}.get(human, "items (the norms taken as exact)")
    pct = "bootstrap-percentile"
    return {"model_ci": {"ci_over": "items", "ci_method": pct},
            "human_ci": {"ci_over": h, "ci_method": pct},
            "deviation_ci": {"ci_over": paired, "ci_method": pct},
            "agreement_ci": {"ci_over": paired, "ci_method": pct},
            "model_gap_ci": {"ci_over": "items", "ci_method": pct},
            "human_gap_ci": {"ci_over": h, "ci_method": pct},
            "bias_index_ci": {"ci_over": paired, "ci_method": pct},
            "bias_excess_ci": {"ci_over": f"null: items (model) and {h} (humans), each side's own replicates",
                               "ci_method": "null-calibrated (index - null quantiles)"}}


def zero_width(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Per interval, how many finite intervals of the tables are zero-width (``lo == hi``), out of how many;
    only the intervals with one are listed, and ``notes`` gives the rows' reasons (each once).

    >>> t = pd.DataFrame({"human_ci_low": [0.1, 0.2], "human_ci_high": [0.1, 0.3], "note": ["exact", None]})
    >>> zero_width({"dimensions": t})
    {'human_ci': {'zero_width': 1, 'of': 2}, 'notes': ['exact']}
    """
    out: dict[str, Any] = {}
    notes: list[str] = []
    for table, prefix in _INTERVALS:
        df = tables.get(table)
        if df is None or f"{prefix}_ci_low" not in df:
            continue
        lo, hi = df[f"{prefix}_ci_low"].to_numpy(float), df[f"{prefix}_ci_high"].to_numpy(float)
        finite = np.isfinite(lo) & np.isfinite(hi)
        flat = finite & (np.abs(hi - lo) <= 1e-12)
        if flat.any():
            out[f"{prefix}_ci"] = {"zero_width": int(flat.sum()), "of": int(finite.sum())}
            if "note" in df:
                notes += [str(n) for n in df.loc[flat, "note"] if isinstance(n, str) and n not in ("nan", "None")]
    if out:
        out["notes"] = list(dict.fromkeys(notes))
    return out
