"""Whether the networks train: a run with checks and measurements."""

from archscope.probe.config import TrainConfig
from archscope.probe.train import Check, ProbeResult, probe, run

__all__ = ["probe", "run", "TrainConfig", "ProbeResult", "Check"]
