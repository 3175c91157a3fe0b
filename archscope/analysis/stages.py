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

from archscope.analysis.result import Analysis


def stage_key(output_shape) -> str:
    if output_shape and len(output_shape) == 4 and output_shape[2] * output_shape[3] > 1:
        return f"{output_shape[2]}x{output_shape[3]}"
    return "head"


def stages(a: Analysis) -> list[dict]:
    """[{stage, layers, params, macs, flops}] in execution order; layers counts
    the leaf modules; costs are each module's own, so nothing is counted twice."""
    called = [l for l in a.layers if l.calls]
    first: dict[str, int] = {}
    for layer in sorted((l for l in called if l.is_leaf), key=lambda l: l.order):
        first.setdefault(stage_key(layer.output_shape), layer.order)
    out = {k: {"stage": k, "layers": 0, "params": 0, "macs": 0, "flops": 0} for k in first}
    for layer in called:
        key = stage_key(layer.output_shape)
        row = out.setdefault(key, {"stage": key, "layers": 0, "params": 0, "macs": 0, "flops": 0})
        row["params"] += layer.own_params
        row["macs"] += layer.own_macs
        row["flops"] += layer.own_flops
        row["layers"] += layer.is_leaf
    order = sorted(out, key=lambda k: (k == "head", first.get(k, 1 << 30)))
    rows = [out[k] for k in order]
    # a resolution with no weights (e.g. VGG's pool5 output) is not a stage: fold it forward
    merged: list[dict] = []
    carry = None
    for row in rows:
        if carry:
            for f in ("layers", "params", "macs", "flops"):
                row[f] += carry[f]
            carry = None
        if not row["params"] and not row["macs"] and row["stage"] != "head":
            carry = row
            continue
        merged.append(row)
    if carry and merged:
        for f in ("layers", "params", "macs", "flops"):
            merged[-1][f] += carry[f]
    return merged
