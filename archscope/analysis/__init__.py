"""Exact analysis on the meta device: shapes, parameters, MACs, FLOPs,
memory and receptive field per layer. See ``formulas`` for the counting
conventions."""

from archscope.analysis.engine import analyze, load_model, parse_input
from archscope.analysis.result import Analysis, LayerStats, Totals

__all__ = ["analyze", "parse_input", "load_model", "Analysis", "LayerStats", "Totals"]
