"""Figures of value portraits in one visual grammar: what a figure shows (:mod:`.data`), radar charts and small
multiples (:mod:`.mpl`), heatmaps (:mod:`.heatmap`) as PNG/SVG/PDF, and the SVG/HTML pieces of the report
(:mod:`.svg`). Colours, names and scales come from :mod:`valueportrait.style`."""

from .data import FigureData, caveats, figure_data

__all__ = ["FigureData", "caveats", "figure_data"]
