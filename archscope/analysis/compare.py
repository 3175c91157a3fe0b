"""Side-by-side totals of several networks, each as a ratio to a baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

from archscope.analysis.engine import analyze
from archscope.analysis.receptive import GLOBAL, RF, GlobalRF, merge, rf_to_dict
from archscope.analysis.result import Analysis
from archscope.analysis.stages import Stage, stages

METRICS = ("params", "macs", "flops", "train_memory_bytes", "depth", "receptive_field")


def feature_rf(a: Analysis) -> RF | GlobalRF | None:
    """The receptive field of the final features: the union (largest size and
    jump per axis) of the layers at the last spatial resolution before global
    pooling (Inception's branches merge there; the largest branch is the
    module's field). That resolution may be 1x1 (ResNet-18 on 32x32): only the
    pooling layer that ends on 1x1, the global pool, is left out.

    The rule for a global field: once a layer mixes all positions while its output still holds more than
    one (attention's Q.K^T over every token, a fully connected layer whose output is reshaped into a map),
    every feature after it sees the whole input, so the features' field is ``GLOBAL``; global pooling and
    the classifier after the features do not count (they come after them)."""
    called = [l for l in a.layers if l.calls and l.output_shape]
    if any(l.receptive_field is GLOBAL and _positions(l.output_shape) > 1 for l in called):
        return GLOBAL
    spatial = [l for l in called if len(l.output_shape) == 4
               and isinstance(l.receptive_field, RF)
               and not (l.category == "pooling" and l.output_shape[2] * l.output_shape[3] == 1)]  # the global pool
    if not spatial:
        return None
    final = max(spatial, key=lambda l: l.order).output_shape[2:]
    return merge([l.receptive_field for l in spatial if l.output_shape[2:] == final])


def _positions(shape) -> int:
    """How many positions an output holds: H x W of an (N, C, H, W) map, L of (N, L, E) tokens, 1 otherwise."""
    if len(shape) == 4:
        return shape[2] * shape[3]
    if len(shape) == 3:
        return shape[1]
    return 1


def _scalar(row: ModelRow, metric: str):
    """The number a ratio is taken of: the field's larger side for the receptive field."""
    v = getattr(row, metric)
    return max(v.size) if isinstance(v, RF) else v


@dataclass
class ModelRow:
    model: str
    input_shape: list  # [N, C, H, W]
    params: int
    macs: int
    flops: int
    train_memory_bytes: int | None
    depth: int | None  # weight layers on the longest path
    receptive_field: RF | GlobalRF | None  # of the final features (feature_rf)
    stages: list[Stage]
    ratios: dict = field(default_factory=dict)  # metric -> this model's value / the baseline's (None: n/a)

    def to_dict(self) -> dict:
        return {"model": self.model, "input_shape": self.input_shape, "params": self.params, "macs": self.macs,
                "flops": self.flops, "train_memory_bytes": self.train_memory_bytes, "depth": self.depth,
                "receptive_field": rf_to_dict(self.receptive_field), "stages": [s.to_dict() for s in self.stages],
                "ratios": self.ratios}


@dataclass
class Comparison:
    baseline: str  # the model the ratios are taken against
    models: list[ModelRow]

    def to_dict(self) -> dict:
        """The JSON of ``archscope compare --format json`` (the CLI adds ``claims``)."""
        return {"baseline": self.baseline, "models": [m.to_dict() for m in self.models]}


def compare(names, input_shape=None, baseline: str | None = None, batch: int = 1) -> Comparison:
    analyses = [analyze(n, input_shape, batch=batch) for n in names]
    base_name = baseline or analyses[0].model
    from archscope.zoo import resolve

    base_key = resolve(base_name) if ":" not in base_name else base_name
    index = next((i for i, a in enumerate(analyses) if a.model == base_key), None)
    if index is None:
        from archscope.errors import ArchscopeError

        raise ArchscopeError(f"`baseline` {base_name!r} is not one of the compared models")
    return compare_analyses(analyses, index)


def compare_analyses(analyses: list[Analysis], baseline: int = 0) -> Comparison:
    """The comparison of analyses already made, ratios against ``analyses[baseline]``."""
    rows = [ModelRow(a.model, a.input_shape, a.totals.params, a.totals.macs, a.totals.flops,
                     a.totals.train_memory_bytes, a.totals.depth, feature_rf(a), stages(a)) for a in analyses]
    base = rows[baseline]
    for r in rows:
        for m in METRICS:
            v, b = _scalar(r, m), _scalar(base, m)
            r.ratios[m] = v / b if isinstance(v, (int, float)) and isinstance(b, (int, float)) and b else None
    return Comparison(base.model, rows)
