"""The bias index calibrated against its null: what an unbiased model would score, and the excess over it.

The bias index (:func:`~valueportrait.deviation.measures.bias_index`) averages absolute gap errors, so sampling
noise alone makes it positive: an unbiased model (its persona gaps equal to the groups' true gaps) scores well
above 0, and its percentile interval excludes 0 nearly always. :func:`calibrated_bias` puts the index against
the distribution it has when the model is unbiased, built from the two sides' own sampling noise:

* the model's gap replicates over the item draws, centred (``model_boot - mean``): its noise;
* the humans' gap replicates over the raters (each group's own rater bootstrap, *not* paired with the model's
  item draws, so no source of noise is counted twice), centred: their noise;

their difference is a draw of ``model gap - human gap`` under no bias, and its mean absolute value a draw of
the index under no bias. The report gives the null mean (``bias_null``), the excess over it
(``bias_excess``), an interval for the excess that covers 0 in about 95% of unbiased runs, and the p-value of
the observed index under the null (``docs/deviation.md``: the simulation with a known truth).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..scoring import percentile_ci

__all__ = ["calibrated_bias", "null_bias_replicates"]


def null_bias_replicates(model_boot: np.ndarray, human_boot: np.ndarray) -> np.ndarray:
    r"""Draws of the bias index under no bias: (B,) from gap replicates (B, P, D) of each side.

    Notes
    -----
    With :math:`g^{M(b)}` the model's gap replicates (item bootstrap) and :math:`g^{H(b)}` the humans' (rater
    bootstrap), each centred on its mean over the replicates,

    .. math::

        e^{0(b)}_{ab,d} = \bigl(g^{M(b)}_{ab,d} - \overline{g^{M}}_{ab,d}\bigr)
                        - \bigl(g^{H(b)}_{ab,d} - \overline{g^{H}}_{ab,d}\bigr),\qquad
        \mathrm{BI}^{0(b)} = \frac1N\sum_{(a,b),d}\bigl|e^{0(b)}_{ab,d}\bigr|

    (NaN terms dropped). The two bootstraps are independent, so the noise of the difference is the sum of both
    sides' noise, as it is for the observed gaps.

    >>> m = np.array([[[0.1]], [[-0.1]]]); h = np.array([[[0.0]], [[0.0]]])
    >>> null_bias_replicates(m, h).tolist()
    [0.1, 0.1]
    """
    m = np.asarray(model_boot, dtype=float)
    h = np.asarray(human_boot, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dimension no replicate scored: all-NaN
        e = (m - np.nanmean(m, axis=0)) - (h - np.nanmean(h, axis=0))
        return np.nanmean(np.abs(e).reshape(len(e), -1), axis=1)


def calibrated_bias(observed: float, null: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    r"""The bias index against its null draws ``null`` (:func:`null_bias_replicates`).

    Returns
    -------
    dict
        ``bias_null`` (mean of the null draws), ``bias_excess`` (observed - null mean), ``bias_excess_ci_low``,
        ``bias_excess_ci_high``, ``bias_p``.

    Notes
    -----
    With :math:`q_\alpha` the quantiles of the null draws :math:`\mathrm{BI}^{0(b)}` and
    :math:`\alpha = 1 - \text{confidence}`:

    .. math::

        \text{excess} = \mathrm{BI} - \overline{\mathrm{BI}^{0}},\qquad
        \text{CI} = \bigl[\mathrm{BI} - q_{1-\alpha/2},\ \mathrm{BI} - q_{\alpha/2}\bigr],\qquad
        p = \frac{1 + \#\{b: \mathrm{BI}^{0(b)} \ge \mathrm{BI}\}}{1 + B}.

    Under no bias BI is distributed like the null draws, so the interval covers 0 exactly when BI falls
    between the null's quantiles: with probability ``confidence``. The interval has the null's width; under a
    real bias it is an approximation (the index's spread changes little with the bias).

    >>> r = calibrated_bias(0.5, np.array([0.1, 0.2, 0.3]), confidence=0.5)
    >>> {k: round(v, 3) for k, v in r.items()}
    {'bias_null': 0.2, 'bias_excess': 0.3, 'bias_excess_ci_low': 0.25, 'bias_excess_ci_high': 0.35, 'bias_p': 0.25}
    """
    null = np.asarray(null, dtype=float)
    null = null[np.isfinite(null)]
    if not np.isfinite(observed) or null.size == 0:
        return dict.fromkeys(("bias_null", "bias_excess", "bias_excess_ci_low", "bias_excess_ci_high", "bias_p"),
                             np.nan)
    lo, hi = percentile_ci(null[:, None], confidence)
    mean = float(null.mean())
    return {"bias_null": mean, "bias_excess": float(observed - mean), "bias_excess_ci_low": float(observed - hi[0]),
            "bias_excess_ci_high": float(observed - lo[0]),
            "bias_p": float((1 + np.sum(null >= observed - 1e-12)) / (1 + null.size))}
