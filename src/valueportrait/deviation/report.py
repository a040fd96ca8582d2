"""The result of a comparison of personas with human groups: :class:`DeviationReport`, five flat tables with fixed
columns (:data:`COLUMNS`), and :func:`report_table`, the one way its rows become a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: The four profile-agreement statistics (each with a CI in the ``agreement`` table).
STATS4 = ("pearson", "spearman", "rmse", "mad")

#: Columns of the report's tables, in order.
COLUMNS: dict[str, list[str]] = {
    "dimensions": ["attribute", "group", "persona", "family", "dimension", "n_raters", "model_score", "model_ci_low",
                   "model_ci_high", "human_score", "human_ci_low", "human_ci_high", "deviation", "deviation_ci_low",
                   "deviation_ci_high", "model_ci_over", "human_ci_over", "deviation_ci_over", "ci_method", "note"],
    "agreement": ["attribute", "group", "persona", "family", "n_dims", *STATS4,
                  *(f"{s}_ci_{e}" for s in STATS4 for e in ("low", "high")), "note"],
    "gaps": ["attribute", "group_a", "group_b", "persona_a", "persona_b", "family", "dimension", "model_gap",
             "model_gap_ci_low", "model_gap_ci_high", "human_gap", "human_gap_ci_low", "human_gap_ci_high", "p_value",
             "sign_agree", "amplification", "note"],
    "bias": ["attribute", "family", "n_pairs", "bias_index", "bias_index_ci_low", "bias_index_ci_high", "bias_null",
             "bias_excess", "bias_excess_ci_low", "bias_excess_ci_high", "bias_p", "gap_rmse", "sign_agreement",
             "exaggeration", "note"],
    "distributions": ["attribute", "group", "persona", "n_items", "wasserstein", "js", "wasserstein_replica",
                      "js_replica", "wasserstein_split_half", "js_split_half", "note"],
}
#: The text columns (strings in every table, even when all missing).
TEXT_COLUMNS = {"attribute", "group", "persona", "family", "dimension", "group_a", "group_b", "persona_a",
                "persona_b", "model_ci_over", "human_ci_over", "deviation_ci_over", "ci_method", "note"}


@dataclass
class DeviationReport:
    """Flat tables of one comparison (see :func:`~valueportrait.deviation.compare_personas` for their columns)."""

    dimensions: pd.DataFrame
    agreement: pd.DataFrame
    gaps: pd.DataFrame
    bias: pd.DataFrame
    distributions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"dimensions": self.dimensions, "agreement": self.agreement, "gaps": self.gaps, "bias": self.bias,
                "distributions": self.distributions}


def report_table(rows: list[dict[str, Any]], cols: list[str]) -> pd.DataFrame:
    """``rows`` as a table with exactly ``cols`` (missing values NaN), the text columns as strings."""
    df = pd.DataFrame(rows).reindex(columns=cols)
    for c in cols:
        if c in TEXT_COLUMNS:
            df[c] = df[c].astype("str")
    return df


__all__ = ["COLUMNS", "STATS4", "TEXT_COLUMNS", "DeviationReport", "report_table"]
