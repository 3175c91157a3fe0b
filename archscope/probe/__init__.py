"""Whether the networks train: a run with checks and measurements.

``TrainConfig`` is light; the run itself (``probe``, ``run``, ``ProbeResult``,
``Check``: ``archscope.probe.train``, which imports torch) is imported on first
use (PEP 562), so that ``archscope.options``, which re-exports this package's
Enums, and with it every command's start, do not import torch."""

from typing import TYPE_CHECKING, Any

from archscope.probe.config import TrainConfig

if TYPE_CHECKING:
    from archscope.probe.train import Check, ProbeResult, probe, run

__all__ = ["probe", "run", "TrainConfig", "ProbeResult", "Check"]


def __getattr__(name: str) -> Any:
    if name in ("probe", "run", "ProbeResult", "Check"):
        from archscope.probe import train

        return getattr(train, name)
    raise AttributeError(f"module 'archscope.probe' has no attribute {name!r}")
