"""What a claim can be checked against: measurements of zoo models, each a
function ``(models, args) -> Measurement``. Analyses are cached per process
(a claims run asks for the same network many times)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn


@dataclass(frozen=True)
class Measurement:
    value: Any
    detail: str = ""


@functools.lru_cache(maxsize=None)
def analysis(name: str, input_shape: tuple | None = None):
    from archscope.analysis import analyze

    return analyze(name, input_shape, training_memory=False)


@functools.lru_cache(maxsize=None)
def meta_model(name: str):
    from archscope.zoo import get_model

    return get_model(name, device="meta")


def _input(args):
    return tuple(args["input"]) if args.get("input") else None


def _quantity(name: str, q: str, args) -> float:
    a = analysis(name, _input(args))
    if q == "params":
        if args.get("exclude_bn"):
            return a.totals.params - _bn_params(name)
        return a.totals.params
    if q == "trainable_params":
        return a.totals.trainable_params
    if q == "macs":
        return a.totals.macs
    if q == "gmacs":
        return a.totals.macs / 1e9
    if q == "depth":
        return a.totals.depth
    raise KeyError(q)


def _bn_params(name: str) -> int:
    return sum(p.numel() for m in meta_model(name).modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
               for p in m.parameters())


def single(q: str) -> Callable:
    def measure(models, args) -> Measurement:
        v = _quantity(models[0], q, args)
        return Measurement(v, f"{models[0]}: {_fmt(v)}")
    return measure


def ratio(models, args) -> Measurement:
    """quantity(models[0]) / quantity(models[1])"""
    q = args.get("of", "params")
    a, b = _quantity(models[0], q, args), _quantity(models[1], q, args)
    return Measurement(a / b, f"{models[0]} {_fmt(a)} / {models[1]} {_fmt(b)}")


def layer_params(models, args) -> Measurement:
    m = meta_model(models[0])
    values = [sum(p.numel() for p in m.get_submodule(l).parameters() if p.requires_grad) for l in args["layers"]]
    return Measurement(values, ", ".join(f"{l} {v:,}" for l, v in zip(args["layers"], values)))


def connections(models, args) -> Measurement:
    """LeCun et al.'s count: for every output unit, its inputs plus one for the
    bias (the RBF output has no bias)."""
    from archscope.zoo.lenet import EuclideanRBF, PartialConv2d
    from archscope.zoo.layers import Subsampling

    a = analysis(models[0], _input(args))
    m = meta_model(models[0])
    values = []
    for name in args["layers"]:
        mod = m.get_submodule(name)
        out = math.prod(a.layer(name).output_shape[1:])
        if isinstance(mod, PartialConv2d):
            spatial = math.prod(a.layer(name).output_shape[2:])
            values.append(sum(spatial * c.out_channels * (c.weight[0].numel() + 1) for c in mod.convs))
        elif isinstance(mod, (nn.Conv2d, nn.Linear)):
            values.append(out * (mod.weight[0].numel() + (1 if mod.bias is not None else 0)))
        elif isinstance(mod, Subsampling):
            values.append(out * (mod.size * mod.size + 1))
        elif isinstance(mod, EuclideanRBF):
            values.append(mod.weight.numel())
        else:
            raise TypeError(f"no connection count for {type(mod).__name__}")
    if args.get("total"):
        return Measurement(sum(values), " + ".join(f"{v:,}" for v in values))
    return Measurement(values, ", ".join(f"{l} {v:,}" for l, v in zip(args["layers"], values)))


def output_shapes(models, args) -> Measurement:
    a = analysis(models[0], _input(args))
    shapes = [a.layer(l).output_shape[1:] for l in args["layers"]]
    return Measurement(shapes, "; ".join(f"{l} {'x'.join(map(str, s))}" for l, s in zip(args["layers"], shapes)))


def neurons(models, args) -> Measurement:
    """Units of one image's forward pass: the outputs of every convolution and
    fully connected layer."""
    a = analysis(models[0], _input(args))
    m = meta_model(models[0])
    total = sum(math.prod(l.output_shape[1:]) for l in a.layers
                if l.calls and l.name and isinstance(m.get_submodule(l.name), (nn.Conv2d, nn.Linear)))
    return Measurement(total, f"{models[0]}: {total:,} conv/FC output units")


def conv_fc_counts(models, args) -> Measurement:
    m = meta_model(models[0])
    convs = sum(isinstance(x, nn.Conv2d) for x in m.modules())
    fcs = sum(isinstance(x, nn.Linear) for x in m.modules())
    return Measurement([convs, fcs], f"{convs} convolutional, {fcs} fully connected")


def lenet_layers(models, args) -> Measurement:
    """Layers in LeCun's sense: the modules that hold connections (not the
    squashing functions)."""
    from archscope.zoo.layers import ScaledTanh

    m = meta_model(models[0])
    names = [n for n, c in m.named_children() if not isinstance(c, (ScaledTanh, nn.Flatten))]
    return Measurement(len(names), ", ".join(names))


def block_sequence(models, args) -> Measurement:
    """Per stage, the count of identity blocks after its first block, which
    must be a convolutional (projection) block."""
    m = meta_model(models[0])
    seq = []
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        blocks = list(m.get_submodule(stage))
        kinds = ["conv" if not isinstance(b.shortcut, nn.Identity) else "id" for b in blocks]
        if kinds[0] != "conv" or any(k != "id" for k in kinds[1:]):
            return Measurement(None, f"{stage}: {kinds}")
        seq.append(len(kinds) - 1)
    return Measurement(seq, " | ".join(f"CONVBLOCK + IDBLOCK x{n}" for n in seq))


def bottleneck_example(models, args) -> Measurement:
    """Article 000's example: a 5x5 convolution with 125 filters on a
    100x100x56 input, directly or after a 1x1 reduction to 28 maps."""
    x = torch.empty(1, 56, 100, 100, device="meta")
    with torch.device("meta"):
        direct = nn.Conv2d(56, 125, 5, padding=2, bias=False)
        reduced = nn.Sequential(nn.Conv2d(56, 28, 1, bias=False), nn.Conv2d(28, 125, 5, padding=2, bias=False))
    assert direct(x).shape == reduced(x).shape == (1, 125, 100, 100)
    a = sum(p.numel() for p in direct.parameters())
    b = sum(p.numel() for p in reduced.parameters())
    if args.get("saving"):
        return Measurement(1 - b / a, f"{b:,} / {a:,} = {b / a:.3f}: {1 - b / a:.1%} fewer")
    return Measurement([a, b], f"direct {a:,}, with 1x1 reduction {b:,} (weights, no biases)")


def stacked_kernels(models, args) -> Measurement:
    """n stacked 3x3 convolutions (C channels) against one (2n+1)x(2n+1):
    same receptive field, and the parameter ratio."""
    from archscope.analysis import analyze

    n, c = args["n"], 64
    k = 2 * n + 1
    stack = nn.Sequential(*[nn.Conv2d(c, c, 3, bias=False) for _ in range(n)])
    single_conv = nn.Conv2d(c, c, k, bias=False)
    a = analyze(stack, (c, 32, 32), training_memory=False)
    b = analyze(single_conv, (c, 32, 32), training_memory=False)
    rf_a, rf_b = a.layers[-1].receptive_field, b.layers[0].receptive_field
    holds = rf_a == rf_b and a.totals.params < b.totals.params
    return Measurement(holds, f"receptive field {rf_a} vs {rf_b}; weights {n * 9}C^2 vs {k * k}C^2 "
                              f"({a.totals.params:,} vs {b.totals.params:,} at C={c})")


def residual_demo_shapes(models, args) -> Measurement:
    """Article 001's two Residual blocks on a (4, 3, 6, 6) input."""
    from archscope.zoo.resnet import BasicBlock

    x = torch.empty(4, 3, 6, 6, device="meta")
    with torch.device("meta"):
        same = BasicBlock(3, 3, 1, shortcut="B", bias=True)
        down = BasicBlock(3, 6, 2, shortcut="B", bias=True, shortcut_bn=False)
    shapes = [list(same(x).shape), list(down(x).shape)]
    return Measurement(shapes, f"Residual(3): {shapes[0]}; Residual(6, use_1x1conv, strides=2): {shapes[1]}")


def input_conv1(models, args) -> Measurement:
    """conv1's output side for the input the paper states."""
    m = meta_model(models[0])
    conv = next(x for x in m.modules() if isinstance(x, nn.Conv2d))
    size, k, s, p = args["input_side"], conv.kernel_size[0], conv.stride[0], conv.padding[0]
    side = (size + 2 * p - k) / s + 1
    return Measurement(side, f"({size} + 2x{p} - {k}) / {s} + 1 = {side:g}")


def row_weights(models, args) -> Measurement:
    """Weights (no biases) of the convolutions and FC layers inside the given
    modules — a row of a paper's table."""
    m = meta_model(models[0])
    w = sum(x.weight.numel() for name in args["modules"] for x in m.get_submodule(name).modules()
            if isinstance(x, (nn.Conv2d, nn.Linear)))
    return Measurement(w, f"{w:,} weights = {w / 1000:,.1f}K (K=1000) = {w / 1024:,.1f}K (K=1024)")


def row_macs(models, args) -> Measurement:
    a = analysis(models[0], _input(args))
    macs = sum(a.layer(name).macs for name in args["modules"])
    return Measurement(macs, f"{macs:,} multiply-adds = {macs / 1e6:,.1f}M")


MEASURES: dict[str, Callable[..., Measurement]] = {
    "row_weights": row_weights,
    "row_macs": row_macs,
    "params": single("params"),
    "trainable_params": single("trainable_params"),
    "macs": single("macs"),
    "gmacs": single("gmacs"),
    "depth": single("depth"),
    "ratio": ratio,
    "layer_params": layer_params,
    "connections": connections,
    "output_shapes": output_shapes,
    "neurons": neurons,
    "conv_fc_counts": conv_fc_counts,
    "lenet_layers": lenet_layers,
    "block_sequence": block_sequence,
    "bottleneck_example": bottleneck_example,
    "stacked_kernels": stacked_kernels,
    "residual_demo_shapes": residual_demo_shapes,
    "conv1_side": input_conv1,
}


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
