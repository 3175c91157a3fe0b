"""What a claim can be checked against: measurements of zoo models, each a
function ``(models, args) -> Measurement``. Analyses are cached per process
(a claims run asks for the same network many times)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class Measurement:
    value: Any
    detail: str = ""


@functools.cache
def analysis(name: str, input_shape: tuple | None = None, knobs: tuple = ()):
    """The analysis of a zoo model, built with ``knobs`` ((key, value) pairs: a what-if build) if given."""
    from archscope.analysis import analyze

    return analyze(name, input_shape, training_memory=False, args=dict(knobs) or None)


def _knobs(args) -> tuple:
    return tuple(sorted(args.get("knobs", {}).items()))


def _built(name: str, args) -> str:
    """How a what-if build is named: ``googlenet[reductions=False]``."""
    k = _knobs(args)
    return f"{name}[{', '.join(f'{a}={b}' for a, b in k)}]" if k else name


@functools.cache
def meta_model(name: str):
    from archscope.zoo import get_model

    return get_model(name, device="meta")


def _input(args):
    return tuple(args["input"]) if args.get("input") else None


def _layers(name: str, args) -> list[str]:
    """``args["layers"]``: one list for every model, or a dict of lists keyed
    by model name (the same layers are named differently in each source)."""
    layers = args["layers"]
    return layers[name] if isinstance(layers, dict) else layers


def _rf(layer) -> int:
    """The receptive-field height of a layer, in input pixels."""
    return layer.receptive_field.size[0]


def _quantity(name: str, q: str, args) -> float:
    a = analysis(name, _input(args), _knobs(args))
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
        return Measurement(v, f"{_built(models[0], args)}: {_fmt(v)}")
    return measure


def whatif_saving(models, args) -> Measurement:
    """What a part of a network buys, on the whole network: 1 - quantity(model) / quantity(model built with
    ``args["knobs"]``, the what-if without that part); e.g. GoogLeNet against itself without its 1x1
    reductions (``reductions=False``)."""
    q = args.get("of", "params")
    plain = {k: v for k, v in args.items() if k != "knobs"}
    a, b = _quantity(models[0], q, plain), _quantity(models[0], q, args)
    return Measurement(1 - a / b, f"{models[0]} {_fmt(a)} / {_built(models[0], args)} {_fmt(b)}: "
                                  f"{1 - a / b:.1%} fewer")


def outputs_grow(models, args) -> Measurement:
    """Whether each of ``args["layers"]`` (built with ``args["knobs"]``) outputs more maps than it takes in."""
    a = analysis(models[0], _input(args), _knobs(args))
    depths = [(a.layer(n).input_shape[1], a.layer(n).output_shape[1]) for n in _layers(models[0], args)]
    return Measurement(all(o > i for i, o in depths),
                       f"{_built(models[0], args)}: " + ", ".join(f"{n} {i}->{o}" for n, (i, o) in
                                                                   zip(_layers(models[0], args), depths, strict=True)))


def ratio(models, args) -> Measurement:
    """quantity(models[0]) / quantity(models[1])"""
    q = args.get("of", "params")
    a, b = _quantity(models[0], q, args), _quantity(models[1], q, args)
    return Measurement(a / b, f"{models[0]} {_fmt(a)} / {models[1]} {_fmt(b)}")


def layer_params(models, args) -> Measurement:
    m = meta_model(models[0])
    layers = _layers(models[0], args)
    values = [sum(p.numel() for p in m.get_submodule(l).parameters() if p.requires_grad) for l in layers]
    return Measurement(values, ", ".join(f"{l} {v:,}" for l, v in zip(layers, values, strict=True)))


def connections(models, args) -> Measurement:
    """LeCun et al.'s count: for every output unit, its inputs plus one for the
    bias (the RBF output has no bias)."""
    from archscope.zoo.layers import Subsampling
    from archscope.zoo.lenet import EuclideanRBF, PartialConv2d

    a = analysis(models[0], _input(args))
    m = meta_model(models[0])
    values = []
    for name in args["layers"]:
        mod = m.get_submodule(name)
        out = math.prod(a.layer(name).output_shape[1:])
        if isinstance(mod, PartialConv2d):
            spatial = math.prod(a.layer(name).output_shape[2:])
            values.append(sum(spatial * c.out_channels * (c.weight[0].numel() + 1) for c in _conv_parts(mod)))
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
    return Measurement(values, ", ".join(f"{l} {v:,}" for l, v in zip(args["layers"], values, strict=True)))


def output_shapes(models, args) -> Measurement:
    a = analysis(models[0], _input(args))
    layers = _layers(models[0], args)
    shapes = [a.layer(l).output_shape[1:] for l in layers]
    return Measurement(shapes, "; ".join(f"{l} {'x'.join(map(str, s))}" for l, s in zip(layers, shapes, strict=True)))


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
    a = sum(p.numel() for p in direct.parameters())
    b = sum(p.numel() for p in reduced.parameters())
    if args.get("shape"):  # the output both ways, [maps, height, width]
        shapes = [list(direct(x).shape[1:]), list(reduced(x).shape[1:])]
        return Measurement(shapes, f"direct {'x'.join(map(str, shapes[0]))}, with 1x1 reduction "
                                   f"{'x'.join(map(str, shapes[1]))} (maps x height x width)")
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
    rf_a, rf_b = a.layers[-1].receptive_field.size, b.layers[0].receptive_field.size  # square: one side
    holds = rf_a == rf_b and a.totals.params < b.totals.params
    return Measurement(holds, f"receptive field {rf_a[0]} vs {rf_b[0]}; weights {n * 9}C^2 vs {k * k}C^2 "
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


def depths(models, args) -> Measurement:
    """The depth of each model, in order: a rule's examples ('eg 20, 32, 44')."""
    values = [_quantity(m, "depth", args) for m in models]
    return Measurement(values, ", ".join(f"{m} {v}" for m, v in zip(models, values, strict=True)))


def input_shape(models, args) -> Measurement:
    from archscope.zoo import model_info

    shape = list(model_info(models[0]).input_shape)
    return Measurement(shape, f"{models[0]} takes {'x'.join(map(str, shape))}")


def _kinds():
    from archscope.zoo.layers import ScaledTanh, Subsampling

    return {
        "activation": (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.GELU, ScaledTanh),
        "pooling": (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, Subsampling),
    }


def module_types(models, args) -> Measurement:
    """The distinct classes of one kind of module (``args["kind"]``:
    activation or pooling) in the model, sorted; ``args["layers"]`` limits the
    search to those submodules."""
    m = meta_model(models[0])
    roots = [m.get_submodule(l) for l in _layers(models[0], args)] if args.get("layers") else [m]
    kind = _kinds()[args["kind"]]
    found = sorted({type(x).__name__ for r in roots for x in r.modules() if isinstance(x, kind)})
    return Measurement(found, f"{models[0]}: {args['kind']} {', '.join(found) or 'none'}")


def activation_shapes(models, args) -> Measurement:
    """The shapes of the model's activation functions, sorted: 'sigmoid' for
    the S-shaped squashing functions (the logistic function, tanh, LeNet-5's
    scaled tanh, which LeCun et al. 1998 call "a sigmoid squashing function",
    Sec. II-B), 'relu' for the rectifiers."""
    from archscope.zoo.layers import ScaledTanh

    sigmoid = (nn.Sigmoid, nn.Tanh, ScaledTanh, nn.Hardtanh, nn.Hardsigmoid)
    relu = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU)
    layers = [(n, x) for n, x in meta_model(models[0]).named_modules() if isinstance(x, sigmoid + relu)]
    kinds = sorted({"sigmoid" if isinstance(x, sigmoid) else "relu" for _, x in layers})
    return Measurement(kinds, f"{models[0]}: activations " + ", ".join(sorted({type(x).__name__ for _, x in layers})))


def pooling_kinds(models, args) -> Measurement:
    """How the model's pooling layers pool: 'average' or 'max', sorted.
    LeNet-5's subsampling layers average: "local averaging and sub-sampling"
    (LeCun et al. 1998, Sec. II-A), the 2x2 mean times a trainable
    coefficient plus a trainable bias (Sec. II-B) — an average pooling with
    two parameters per map, as article 002 itself describes S2 (line 278)."""
    from archscope.zoo.layers import Subsampling

    averaging = (nn.AvgPool2d, nn.AdaptiveAvgPool2d, Subsampling)
    maxing = (nn.MaxPool2d, nn.AdaptiveMaxPool2d)
    layers = [(n, x) for n, x in meta_model(models[0]).named_modules() if isinstance(x, averaging + maxing)]
    kinds = sorted({"average" if isinstance(x, averaging) else "max" for _, x in layers})
    return Measurement(kinds, f"{models[0]}: " + ", ".join(f"{n} {type(x).__name__}" for n, x in layers))


def has_modules(models, args) -> Measurement:
    """Which of the module classes ``args["types"]`` the model holds (a claim
    that lists them all holds when every one is found)."""
    m = meta_model(models[0])
    counts = {t: sum(type(x).__name__ == t for x in m.modules()) for t in args["types"]}
    return Measurement([t for t in args["types"] if counts[t]], ", ".join(f"{t} x{n}" for t, n in counts.items()))


def towers(models, args) -> Measurement:
    """How many towers the convolutions are split into: the largest group
    count (AlexNet's two GPUs are groups=2 on conv2, conv4, conv5)."""
    convs = [x for x in meta_model(models[0]).modules() if isinstance(x, nn.Conv2d)]
    groups = [c.groups for c in convs]
    return Measurement(max(groups), f"groups per convolution: {groups}")


def pool_windows(models, args) -> Measurement:
    """[kernel, stride] of every max-pooling layer: 'overlapping' when the
    window is larger than the stride."""
    pools = [x for x in meta_model(models[0]).modules() if isinstance(x, nn.MaxPool2d)]
    wins = [[_pair(p.kernel_size), _pair(p.stride)] for p in pools]
    overlap = sum(k > s for k, s in wins)
    return Measurement(wins, f"{len(wins)} max pools {wins}; {overlap} overlapping (window > stride)")


def _pair(v) -> int:
    return v[0] if isinstance(v, (tuple, list)) else v


def layer_config(models, args) -> Measurement:
    """Per named layer: a convolution [maps, kernel, padding, stride]; a
    pooling/subsampling layer [kernel, stride, padding]; a dense or RBF layer
    [units]."""
    from archscope.zoo.layers import Subsampling
    from archscope.zoo.lenet import EuclideanRBF, PartialConv2d

    m = meta_model(models[0])
    out = []
    for name in _layers(models[0], args):
        x = m.get_submodule(name)
        if isinstance(x, PartialConv2d):
            parts = _conv_parts(x)
            c = parts[0]
            out.append([sum(c.out_channels for c in parts), _pair(c.kernel_size), _pair(c.padding), _pair(c.stride)])
        elif isinstance(x, nn.Conv2d):
            out.append([x.out_channels, _pair(x.kernel_size), _pair(x.padding), _pair(x.stride)])
        elif isinstance(x, Subsampling):
            out.append([x.size, x.size, 0])
        elif isinstance(x, (nn.MaxPool2d, nn.AvgPool2d)):
            out.append([_pair(x.kernel_size), _pair(x.stride), _pair(x.padding)])
        elif isinstance(x, nn.Linear):
            out.append([x.out_features])
        elif isinstance(x, EuclideanRBF):
            out.append([x.weight.shape[0]])
        else:
            raise TypeError(f"no configuration for {type(x).__name__}")
    return Measurement(out, "; ".join(f"{n} {c}" for n, c in zip(_layers(models[0], args), out, strict=True)))


def _conv_parts(x: nn.Module) -> list[nn.Conv2d]:
    """The convolutions a layer runs: a PartialConv2d's (one per group of input
    maps, LeNet-5's C3), else the layer itself."""
    from archscope.zoo.lenet import PartialConv2d

    parts = list(x.convs) if isinstance(x, PartialConv2d) else [x]
    convs = [c for c in parts if isinstance(c, nn.Conv2d)]
    if len(convs) != len(parts):
        raise TypeError(f"not a convolution: {type(x).__name__}")
    return convs


def map_links(models, args) -> Measurement:
    """(input map, output map) pairs a convolution connects: LeNet-5's C3
    joins 60 of the 6 x 16 = 96 pairs (LeCun et al., Table I)."""
    x = meta_model(models[0]).get_submodule(args["layer"][models[0]])
    convs = _conv_parts(x)
    links = sum(c.in_channels // c.groups * c.out_channels for c in convs)
    return Measurement(links, f"{models[0]} {args['layer'][models[0]]}: {links} input-output map pairs")


def projection_shortcuts(models, args) -> Measurement:
    """Residual blocks whose shortcut is not the identity (a convolution
    W_s x where the block changes the number of maps or the resolution)."""
    blocks = [(n, x) for n, x in meta_model(models[0]).named_modules() if hasattr(x, "shortcut")]
    proj = [n for n, x in blocks if not isinstance(x.shortcut, nn.Identity)]
    return Measurement(len(proj), f"{len(proj)} of {len(blocks)} blocks: {', '.join(proj)}")


def residual_and_bn(models, args) -> Measurement:
    """[models[0] has batch norm and models[1] has none, models[0] has
    residual blocks and models[1] has none]."""
    def has_bn(m):
        return any(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in meta_model(m).modules())

    def has_res(m):
        return any(hasattr(x, "shortcut") for x in meta_model(m).modules())

    a, b = models
    value = [has_bn(a) and not has_bn(b), has_res(a) and not has_res(b)]
    return Measurement(value, f"batch norm: {a} {has_bn(a)}, {b} {has_bn(b)}; residual blocks: {a} {has_res(a)}, "
                              f"{b} {has_res(b)}")


def stem_match(models, args) -> Measurement:
    """[models[0]'s first convolution and max pool are models[1]'s (maps,
    kernel, stride), models[0] puts a batch norm between them and models[1]
    does not]."""
    def first(name):
        mods = list(meta_model(name).named_modules())
        conv = next(n for n, x in mods if isinstance(x, nn.Conv2d))
        pool = next(n for n, x in mods if isinstance(x, nn.MaxPool2d))
        m = meta_model(name)
        c, p = m.get_submodule(conv), m.get_submodule(pool)
        order = [n for n, _ in mods]
        bn = any(isinstance(x, nn.modules.batchnorm._BatchNorm) for n, x in mods
                 if order.index(conv) < order.index(n) < order.index(pool))
        return [c.out_channels, _pair(c.kernel_size), _pair(c.stride), _pair(p.kernel_size), _pair(p.stride)], bn

    (sa, bn_a), (sb, bn_b) = first(models[0]), first(models[1])
    value = [sa == sb, bn_a and not bn_b]
    return Measurement(value, f"{models[0]} conv/pool {sa}, batch norm {bn_a}; {models[1]} {sb}, batch norm {bn_b}")


def pooling_rf_gain(models, args) -> Measurement:
    """Receptive field of a layer after a pooling layer, against the same
    network with the pooling window 1 (no pooling): does pooling enlarge it?"""
    from archscope.analysis import analyze
    from archscope.zoo import get_model, model_info

    name, layer = models[0], args["layer"]
    with_pool = _rf(analysis(name).layer(layer))
    without = _rf(analyze(get_model(name, device="meta", **args["without"]), model_info(name).input_shape,
                          training_memory=False).layer(layer))
    return Measurement(with_pool > without, f"{name} {layer}: receptive field {with_pool} with pooling, "
                                            f"{without} with {args['without']}")


def conv_kernels(models, args) -> Measurement:
    """The distinct convolution kernel sizes larger than ``args["above"]``."""
    ks = sorted({_pair(x.kernel_size) for x in meta_model(models[0]).modules() if isinstance(x, nn.Conv2d)
                 and _pair(x.kernel_size) > args.get("above", 0)})
    return Measurement(ks, f"{models[0]}: kernels {', '.join(f'{k}x{k}' for k in ks)}")


def conv_pool_layout(models, args) -> Measurement:
    """[distinct convolution settings, distinct max-pool settings] as
    'KxK/stride pad P' and 'KxK/stride' (VGG: every conv 3x3/1 pad 1, every
    pool 2x2/2)."""
    convs, pools = set(), set()
    for x in meta_model(models[0]).modules():
        if isinstance(x, nn.Conv2d):
            if isinstance(x.padding, str):  # "same"/"valid": no padding figure to describe
                raise TypeError(f"{models[0]}: a convolution with padding {x.padding!r}")
            (kh, kw), (sh, _), (ph, pw) = x.kernel_size, x.stride, x.padding
            convs.add(f"{kh}x{kw}/{sh} pad {ph if ph == pw else (ph, pw)}")
        elif isinstance(x, nn.MaxPool2d):
            pools.add(f"{_pair(x.kernel_size)}x{_pair(x.kernel_size)}/{_pair(x.stride)}")
    value = [sorted(convs), sorted(pools)]
    return Measurement(value, f"convolutions {value[0]}; max pools {value[1]}")


def mlpconv(models, args) -> Measurement:
    """NiN's mlpconv: is every spatial convolution followed directly by two
    1x1 convolutions (a small MLP over the channels at each position)?"""
    convs = [x for x in meta_model(models[0]).modules() if isinstance(x, nn.Conv2d)]
    spatial = [i for i, c in enumerate(convs) if _pair(c.kernel_size) > 1]
    ok = [i for i in spatial if all(j < len(convs) and _pair(convs[j].kernel_size) == 1 for j in (i + 1, i + 2))]
    fcs = sum(isinstance(x, nn.Linear) for x in meta_model(models[0]).modules())
    return Measurement(len(ok) == len(spatial) > 0,
                       f"{len(ok)} of {len(spatial)} spatial convolutions followed by two 1x1; {fcs} dense layers")


def branch_kernels(models, args) -> Measurement:
    """Per branch of an Inception module: its largest convolution kernel,
    'pool' first when it starts with a pooling layer."""
    mod = meta_model(models[0]).get_submodule(args["module"])
    out = []
    for _, branch in mod.named_children():
        layers = [x for x in branch.modules() if isinstance(x, (nn.Conv2d, nn.MaxPool2d))]
        k = max(_pair(x.kernel_size) for x in layers if isinstance(x, nn.Conv2d))
        out.append(("pool, " if isinstance(layers[0], nn.MaxPool2d) else "") + f"{k}x{k}")
    return Measurement(out, f"{models[0]} {args['module']}: " + " | ".join(out))


def classifier_head(models, args) -> Measurement:
    """[global average pooling to 1x1 before the classifier, dense layers
    run at inference]."""
    a = analysis(models[0], _input(args))
    m = meta_model(models[0])
    called = [l for l in a.layers if l.calls and l.name and l.is_leaf]
    fcs = [l.name for l in called if isinstance(m.get_submodule(l.name), nn.Linear)]
    gap = any(isinstance(m.get_submodule(l.name), (nn.AvgPool2d, nn.AdaptiveAvgPool2d))
              and l.output_shape[2:] == [1, 1] for l in called)
    return Measurement([gap, len(fcs)], f"{models[0]}: global average pooling {gap}; dense layers {fcs}")


def aux_heads(models, args) -> Measurement:
    """Auxiliary classifiers the network has when built for training
    (``aux_logits=True`` where the builder takes it)."""
    from archscope.errors import ArchscopeError
    from archscope.zoo import get_model

    try:
        m = get_model(models[0], device="meta", aux_logits=True)
    except (ArchscopeError, TypeError):
        m = meta_model(models[0])
    heads = [n for n, _ in m.named_children() if "aux" in n]
    return Measurement(len(heads), f"{models[0]}: {', '.join(heads) or 'no auxiliary classifier'}")


def googlenet_table1(models, args) -> Measurement:
    """Where models[0] departs from the paper's GoogLeNet (models[1], Table 1
    with Sec. 5): the stem's convolutions, each Inception module's
    convolutions (maps and kernels), LRN, batch norm, the dense layers run at
    inference and the auxiliary classifiers."""
    def convs(name, prefix):
        return [(x.out_channels, _pair(x.kernel_size)) for n, x in meta_model(name).named_modules()
                if n.startswith(prefix) and isinstance(x, nn.Conv2d)]

    def count(name, cls):
        return sum(isinstance(x, cls) for x in meta_model(name).modules())

    a, ref = models
    out = []
    if convs(a, "stem") != convs(ref, "stem"):
        out.append(f"stem convolutions {convs(a, 'stem')} vs {convs(ref, 'stem')}")
    for i in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
        ca, cr = convs(a, f"inception{i}"), convs(ref, f"inception{i}")
        if len(ca) != len(cr):  # not comparable convolution by convolution: say so rather than drop the extra ones
            out.append(f"{i}: {len(ca)} convolutions vs {len(cr)}")
        elif ca != cr:
            diff = [f"{x[0]} {x[1]}x{x[1]} for {y[1]}x{y[1]}" for x, y in zip(ca, cr, strict=True) if x != y]
            out.append(f"{i}: " + ", ".join(diff))
    for cls, what in ((nn.LocalResponseNorm, "LRN"), (nn.modules.batchnorm._BatchNorm, "batch norm")):
        if count(a, cls) != count(ref, cls):
            out.append(f"{what} x{count(a, cls)} vs x{count(ref, cls)}")
    ha, hr = classifier_head((a,), {}).value[1], classifier_head((ref,), {}).value[1]
    if ha != hr:
        out.append(f"{ha} dense layers vs {hr}")
    xa, xr = aux_heads((a,), {}).value, aux_heads((ref,), {}).value
    if xa != xr:
        out.append(f"{xa} auxiliary classifiers vs {xr}")
    acts = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)

    def inception_acts(name):  # activations inside the Inception modules' branches
        return sum(isinstance(x, acts) for n, x in meta_model(name).named_modules() if n.startswith("inception"))

    na, nr = inception_acts(a), inception_acts(ref)
    if na != nr:
        out.append(f"{na} activations in the Inception modules' branches vs {nr}")
    return Measurement(out, "; ".join(out) or "layer for layer as the paper")


def lenet_paper(models, args) -> Measurement:
    """Where models[0] departs from LeNet-5 as published (models[1]), the
    output layer aside: input size and C1 padding, activations, pooling,
    C3's connections, parameters."""
    a, ref = models
    out = []
    sa, sr = input_shape((a,), {}).value, input_shape((ref,), {}).value
    pa = layer_config((a,), {"layers": [args["c1"][a]]}).value[0][2]
    if sa != sr or pa:
        out.append(f"input {'x'.join(map(str, sa))} with C1 padding {pa} (paper: {'x'.join(map(str, sr))}, no padding)")
    for kind in ("activation", "pooling"):
        va, vr = module_types((a,), {"kind": kind}).value, module_types((ref,), {"kind": kind}).value
        if va != vr:
            out.append(f"{kind} {', '.join(va)} (paper: {', '.join(vr)})")
    la, lr = map_links((a,), args).value, map_links((ref,), args).value
    if la != lr:
        out.append(f"C3 joins {la} map pairs (paper: {lr})")
    na, nr = _quantity(a, "trainable_params", {}), _quantity(ref, "trainable_params", {})
    if na != nr:
        out.append(f"{na:,} trainable parameters (paper: {nr:,})")
    return Measurement(out, "; ".join(out) or "layer for layer as the paper")


# ---- residual blocks, as executed ----------------------------------------------------------------

def _blocks(name: str) -> list[tuple[str, nn.Module]]:
    """The residual blocks (modules with a ``shortcut``), outermost only, in registration order."""
    out: list[tuple[str, nn.Module]] = []
    for n, x in meta_model(name).named_modules():
        if n and hasattr(x, "shortcut") and not any(n.startswith(b + ".") for b, _ in out):
            out.append((n, x))
    return out


def _leaves(name: str) -> list:
    """The leaf layers as the forward pass called them, padding and identities left out."""
    return [l for l in analysis(name).layers if l.is_leaf and l.calls and l.type not in ("TFSamePad", "Identity")]


def head_layers(models, args) -> Measurement:
    """The layers after the last residual block, in the order they run, by
    archscope's layer category (conv, norm, activation, pooling, flatten, linear)."""
    last = _blocks(models[0])[-1][0]
    leaves = _leaves(models[0])
    i = max(j for j, l in enumerate(leaves) if l.name.startswith(last + "."))
    out = [l.category for l in leaves[i + 1:]]
    return Measurement(out, f"{models[0]} after {last}: " + ", ".join(f"{l.name} {l.type}" for l in leaves[i + 1:]))


def stem_layers(models, args) -> Measurement:
    """The layers before the first residual block (what the input goes through
    before it splits into the residual path and the shortcut), by category."""
    first = _blocks(models[0])[0][0]
    leaves = _leaves(models[0])
    i = min(j for j, l in enumerate(leaves) if l.name.startswith(first + "."))
    out = [l.category for l in leaves[:i]]
    return Measurement(out, f"{models[0]} before {first}: " + ", ".join(f"{l.name} {l.type}" for l in leaves[:i]))


def _shortcut(block: nn.Module) -> nn.Module | None:
    """A residual block's ``shortcut`` module; None where the block has none."""
    s = block.shortcut
    return s if isinstance(s, nn.Module) else None


def _convs(m: nn.Module) -> list[nn.Conv2d]:
    return [x for x in m.modules() if isinstance(x, nn.Conv2d)]


def projection_placement(models, args) -> Measurement:
    """[the blocks with a projection shortcut are exactly those that change the
    number of maps or the resolution, every projection is a lone 1x1
    convolution (linear: no batch norm, no activation)]."""
    a = analysis(models[0])
    rows, where, lone = [], True, True
    for n, b in _blocks(models[0]):
        lay = a.layer(n)
        changes = list(lay.input_shape) != list(lay.output_shape)
        sc = _shortcut(b)
        proj = sc is not None and not isinstance(sc, nn.Identity)
        where &= proj == changes
        if sc is not None and proj:
            leaf = [x for x in sc.modules() if not list(x.children())]
            kinds = [type(x).__name__ for x in leaf]
            is_lone = kinds == ["Conv2d"] and _pair(leaf[0].kernel_size) == 1
            lone &= is_lone
            rows.append(f"{n} {'+'.join(kinds)} {_pair(leaf[0].kernel_size)}x{_pair(leaf[0].kernel_size)}/"
                        f"{_pair(leaf[0].stride)}" if leaf and isinstance(leaf[0], nn.Conv2d) else f"{n} {kinds}")
    return Measurement([where, lone], f"{models[0]} projections: {'; '.join(rows) or 'none'}")


def residual_kernels(models, args) -> Measurement:
    """The distinct sequences of kernel sizes along the blocks' residual paths
    (the shortcut's convolutions left out): [1, 3, 1] is a bottleneck unit."""
    seqs = []
    for _, b in _blocks(models[0]):
        sc = _shortcut(b)
        short = set(map(id, _convs(sc))) if sc is not None else set()
        seq = [_pair(c.kernel_size) for c in _convs(b) if id(c) not in short]
        if seq not in seqs:
            seqs.append(seq)
    return Measurement(seqs, f"{models[0]}: residual paths {seqs}")


def add_then_activation(models, args) -> Measurement:
    """Does every residual block add its shortcut before its last activation
    (output = act(F(x) + shortcut(x)))? From each block's torch.fx graph: the
    node before the output is an activation whose input is the sum."""
    import operator

    import torch.fx as fx

    class Shallow(fx.Tracer):  # the block's own forward only: every submodule is one call
        def is_leaf_module(self, m, qualname):
            return True

    acts = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)
    ok, blocks = 0, _blocks(models[0])
    for _, b in blocks:
        graph = Shallow().trace(b)
        out = next(x for x in graph.nodes if x.op == "output")
        last = out.args[0]
        is_act = last.op == "call_module" and isinstance(b.get_submodule(last.target), acts)
        src = last.args[0] if is_act and last.args else None
        is_sum = src is not None and (src.op == "call_function" and src.target in (operator.add, torch.add)
                                      or src.op == "call_method" and src.target == "add")
        ok += bool(is_act and is_sum)
    return Measurement(ok == len(blocks), f"{models[0]}: {ok} of {len(blocks)} blocks end with an activation of "
                                          f"the sum")


def stage_blocks(models, args) -> Measurement:
    """[weight layers on the longest path, residual blocks per stage]: a stage
    is a run of consecutive blocks with the same number of output maps."""
    a = analysis(models[0])
    counts, last = [], None
    for n, _ in _blocks(models[0]):
        maps = a.layer(n).output_shape[1]
        if maps != last:
            counts.append(0)
            last = maps
        counts[-1] += 1
    return Measurement([a.totals.depth, counts], f"{models[0]}: depth {a.totals.depth}, blocks per stage "
                                                 f"{'-'.join(map(str, counts))}")


# ---- data sets, read from the real files -----------------------------------------------------------

@functools.cache
def _dataset(name: str) -> dict:
    """Counts, image size and classes of a data set, read from its files once
    their published checksums verified; ``CannotCheck`` where the files are
    not on this machine."""
    import numpy as np

    from archscope.claims.schema import CannotCheck
    from archscope.datasets import locate, spec
    from archscope.datasets.readers import check_content, decompressed, md5_of, parse_idx, read_cifar_batch
    from archscope.errors import ArchscopeError

    s = spec(name)
    try:
        found = locate(name, download=False)
    except ArchscopeError:
        raise CannotCheck(f"{name} is not on this machine (neither archscope's cache nor a system package has it): "
                          f"`archscope data fetch {name}` brings it" if s.downloadable else
                          f"{name} cannot be had here: {s.note}") from None
    arrays: dict[str, Any] = {}  # an idx file's array, a CIFAR batch's (images, labels)
    for f in s.files:
        p = found.files[f.name]
        if s.format == "idx":
            content = decompressed(p, f.size)  # never read past the published size
            check_content(p, content, f)
            arrays[f.name] = parse_idx(content, p)
        else:
            if f.md5 and md5_of(p, f.size) != f.md5:
                raise ArchscopeError(f"{p}: checksum mismatch (md5)")
            arrays[f.name] = read_cifar_batch(p)
    if s.format == "idx":
        train, test = arrays["train-images-idx3-ubyte.gz"], arrays["t10k-images-idx3-ubyte.gz"]
        labels = np.concatenate([arrays["train-labels-idx1-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]])
        n_train, n_test, shape = len(train), len(test), [1, *train.shape[1:]]
    else:
        n_train = sum(len(arrays[n][0]) for n in arrays if n.startswith("data_batch"))
        n_test = len(arrays["test_batch"][0])
        labels = np.concatenate([y for _, y in arrays.values()])
        shape = [3, 32, 32]  # 3072 values a row: 1024 red, 1024 green, 1024 blue (the data set's README)
    return {"train": n_train, "test": n_test, "total": n_train + n_test, "channels": shape[0], "height": shape[1],
            "width": shape[2], "classes": int(len(np.unique(labels)))}


def dataset_facts(models, args) -> Measurement:
    """``args["facts"]`` of the data set ``args["dataset"]`` (train, test, total,
    channels, height, width, classes), read from its verified files."""
    d = _dataset(args["dataset"])
    values = [d[f] for f in args["facts"]]
    return Measurement(values, f"{args['dataset']}'s files (checksums verified): "
                               + ", ".join(f"{f} {d[f]:,}" for f in args["facts"]))


def residual_change_example(models, args) -> Measurement:
    """Article 000's example: x = 5, two layers give H(x) = 5.1 then 5.2; the
    relative change of H against that of F = H - x, rounded to 4 places."""
    x, h1, h2 = 5, 5.1, 5.2
    plain, res = (h2 - h1) / h1, ((h2 - x) - (h1 - x)) / (h1 - x)
    return Measurement([round(plain, 4), round(res, 4)], f"({h2} - {h1}) / {h1} = {plain:.2%}; "
                                                         f"({h2 - x:.1f} - {h1 - x:.1f}) / {h1 - x:.1f} = {res:.0%}")


def source_figures(models, args) -> Measurement:
    """The source's own figures (``args["figures"]``), for a claim its text
    and its table state differently: nothing to measure, the figures are the
    finding."""
    figs = args["figures"]
    return Measurement(figs, ", ".join(f"{k} {v}" for k, v in figs.items()) if isinstance(figs, dict) else str(figs))


MEASURES: dict[str, Callable[..., Measurement]] = {
    "row_weights": row_weights,
    "row_macs": row_macs,
    "params": single("params"),
    "trainable_params": single("trainable_params"),
    "macs": single("macs"),
    "gmacs": single("gmacs"),
    "depth": single("depth"),
    "ratio": ratio,
    "whatif_saving": whatif_saving,
    "outputs_grow": outputs_grow,
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
    "depths": depths,
    "input_shape": input_shape,
    "module_types": module_types,
    "has_modules": has_modules,
    "pooling_kinds": pooling_kinds,
    "activation_shapes": activation_shapes,
    "head_layers": head_layers,
    "stem_layers": stem_layers,
    "projection_placement": projection_placement,
    "residual_kernels": residual_kernels,
    "add_then_activation": add_then_activation,
    "stage_blocks": stage_blocks,
    "dataset_facts": dataset_facts,
    "towers": towers,
    "pool_windows": pool_windows,
    "layer_config": layer_config,
    "map_links": map_links,
    "projection_shortcuts": projection_shortcuts,
    "residual_and_bn": residual_and_bn,
    "stem_match": stem_match,
    "pooling_rf_gain": pooling_rf_gain,
    "conv_kernels": conv_kernels,
    "conv_pool_layout": conv_pool_layout,
    "mlpconv": mlpconv,
    "branch_kernels": branch_kernels,
    "classifier_head": classifier_head,
    "aux_heads": aux_heads,
    "googlenet_table1": googlenet_table1,
    "lenet_paper": lenet_paper,
    "residual_change_example": residual_change_example,
    "source_figures": source_figures,
}


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
