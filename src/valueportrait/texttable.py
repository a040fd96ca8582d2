"""The one way a table is printed as text: one missing-value mark (:data:`MISSING`), one number format
(:func:`number`, :func:`fmt`), Markdown (:func:`markdown_table`) and terminal (:func:`text_table`) tables; used
by the build's summaries and card and by the CLI's tables."""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

import numpy as np

#: What a missing or undefined value prints as, everywhere.
MISSING = "—"


def number(value: object, spec: str = ".2f") -> str:
    """``value`` formatted with ``spec``; None / NaN as :data:`MISSING`.

    >>> number(0.125, "+.2f"), number(None), number(float("nan"), ".3f")
    ('+0.12', '—', '—')
    """
    if value is None or (isinstance(value, numbers.Real) and math.isnan(float(value))):
        return MISSING
    return format(float(value), spec)


def fmt(value: object, digits: int = 3) -> str:
    """A value for display: floats with ``digits`` decimals (tiny ones in e-notation), NaN/None as :data:`MISSING`.

    >>> [fmt(0.12345), fmt(3), fmt(float("nan")), fmt(2.5e-13), fmt(True)]
    ['0.123', '3', '—', '2.50e-13', 'yes']
    """
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return MISSING
        if v != 0 and abs(v) < 10 ** -digits:
            return f"{v:.2e}"
        return f"{v:.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A GitHub-flavoured Markdown table; ``align`` is one letter per column (``l`` or ``r``)."""
    rows = [[fmt(v) for v in r] for r in rows]
    align = align or "l" * len(headers)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A plain-text table with aligned columns for the terminal."""
    rows = [[fmt(v) for v in r] for r in rows]
    align = align or "l" * len(headers)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


__all__ = ["MISSING", "fmt", "markdown_table", "number", "text_table"]
