"""Whether the networks train: a short run with checks and measurements."""

from archscope.probe.train import RECIPES, Check, ProbeResult, probe, run_recipe

__all__ = ["probe", "run_recipe", "RECIPES", "ProbeResult", "Check"]
