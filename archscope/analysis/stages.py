"""Where the parameters and the compute live: the layers grouped by the
spatial resolution they produce.

A CNN works stage by stage at one resolution each — ResNet's conv2_x..conv5_x
at 56/28/14/7, VGG's five blocks, GoogLeNet's 3x/4x/5x Inception groups — so
grouping by output resolution finds the stages of every family without
naming them. Everything after global pooling is the "head". A downsampling
layer belongs to the stage it produces (ResNet's stride-2 conv3_1 is in
conv3_x, as in Table 1 of the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

from archscope.analysis.result import Analysis

_COSTS = ("layers", "params", "macs", "flops")


@dataclass
class Stage:
    resolution: tuple[int, int] | None  # (H, W) of the maps it produces; None for the head
    layers: int = 0  # leaf modules
    params: int = 0  # each module's own, so nothing is counted twice
    macs: int = 0
    flops: int = 0

    @property
    def name(self) -> str:
        """'56x56' or 'head': the stage's key in JSON (``stage``)."""
        return "head" if self.resolution is None else f"{self.resolution[0]}x{self.resolution[1]}"

    def add(self, other: Stage) -> None:
        for f in _COSTS:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def to_dict(self) -> dict:
        return {"stage": self.name, "layers": self.layers, "params": self.params, "macs": self.macs,
                "flops": self.flops}


def stage_of(output_shape) -> tuple[int, int] | None:
    """The resolution a layer's (N, C, H, W) output belongs to; None (the head) once it is 1x1 or flat."""
    if output_shape and len(output_shape) == 4 and output_shape[2] * output_shape[3] > 1:
        return (output_shape[2], output_shape[3])
    return None


def stages(a: Analysis) -> list[Stage]:
    """The stages in execution order, the head last."""
    called = [l for l in a.layers if l.calls]
    first: dict = {}
    for layer in sorted((l for l in called if l.is_leaf), key=lambda l: l.order):
        first.setdefault(stage_of(layer.output_shape), layer.order)
    out = {k: Stage(k) for k in first}
    for layer in called:
        row = out.setdefault(stage_of(layer.output_shape), Stage(stage_of(layer.output_shape)))
        row.params += layer.own_params
        row.macs += layer.own_macs
        row.flops += layer.own_flops
        row.layers += layer.is_leaf
    rows = [out[k] for k in sorted(out, key=lambda k: (k is None, first.get(k, 1 << 30)))]
    # a resolution with no weights (e.g. VGG's pool5 output) is not a stage: fold it forward
    merged: list[Stage] = []
    carry = None
    for row in rows:
        if carry:
            row.add(carry)
            carry = None
        if not row.params and not row.macs and row.resolution is not None:
            carry = row
            continue
        merged.append(row)
    if carry and merged:
        merged[-1].add(carry)
    return merged
