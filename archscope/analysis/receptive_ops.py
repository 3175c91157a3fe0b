"""How each aten op moves the receptive field and the weight-layer depth.

One row per op in ``RULES``: a function of the op's first input's field and
its arguments that returns the output's field. Every other op combines its
inputs' fields (``receptive.merge``: elementwise ops, adds, concatenations,
norms leave the field as it is). The arithmetic itself is in ``receptive``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from archscope.analysis.opargs import conv_window, ntuple, pool_window
from archscope.analysis.receptive import GLOBAL, RF, merge, through_kernel, through_pad

aten = torch.ops.aten

# the layers the VGG and ResNet papers count as depth: convolutions and fully connected layers
WEIGHT_OPS = {aten.convolution, aten._convolution, aten.addmm, aten.mm, aten.bmm}

# after a matrix product every output sees every input element
GLOBAL_OPS = {aten.addmm, aten.mm, aten.bmm}

Rule = Callable[..., object]  # (rf_in: RF, x: Tensor, args, kwargs, packet) -> RF | GLOBAL | None (= merge)


def _conv(rf, x, args, kwargs, packet):
    win = conv_window(args, kwargs)
    if win.transposed or len(win.kernel) != 2:
        return None
    return through_kernel(rf, win.kernel, win.stride, win.dilation, win.padding)


def _pool(rf, x, args, kwargs, packet):
    if x.dim() != 4:
        return None
    win = pool_window(packet, args, kwargs)
    return through_kernel(rf, win.kernel, win.stride, win.dilation, win.padding)


def _pad(rf, x, args, kwargs, packet):
    p = list(args[1])  # (left, right, top, bottom, ...) from the last dimension back
    if x.dim() != 4 or len(p) < 2:
        return None
    return through_pad(rf, p[2] if len(p) >= 4 else 0, p[0])


def _adaptive(rf, x, args, kwargs, packet):
    size_in, size_out = tuple(x.shape[-2:]), ntuple(args[1], 2)
    if all(i % o == 0 for i, o in zip(size_in, size_out, strict=True)):
        k = tuple(i // o for i, o in zip(size_in, size_out, strict=True))
        return through_kernel(rf, k, k)
    return GLOBAL  # uneven windows overlap: no single field size describes them


def _mean(rf, x, args, kwargs, packet):
    dims = {d % x.dim() for d in (args[1] if len(args) > 1 and args[1] is not None else range(x.dim()))}
    return GLOBAL if x.dim() >= 3 and dims & {x.dim() - 2, x.dim() - 1} else None


def _slice(rf, x, args, kwargs, packet):
    """x[:, :, ::2] (a strided slice of a spatial axis) doubles the jump."""
    if x.dim() != 4:
        return None
    dim, step = args[1] % 4, (args[4] if len(args) > 4 else 1)
    if dim < 2 or step <= 1:
        return None
    jump, start = list(rf.jump), list(rf.start)
    start[dim - 2] += (args[2] or 0) * jump[dim - 2] if len(args) > 2 else 0
    jump[dim - 2] *= step
    return RF(rf.size, tuple(jump), tuple(start))


RULES: dict[object, Rule] = {
    aten.convolution: _conv, aten._convolution: _conv,
    aten.max_pool2d_with_indices: _pool, aten.max_pool2d: _pool, aten.avg_pool2d: _pool,
    aten.constant_pad_nd: _pad,
    aten._adaptive_avg_pool2d: _adaptive, aten.adaptive_avg_pool2d: _adaptive,
    aten.mean: _mean,
    aten.slice: _slice,
}


def output_field(packet, args, kwargs, ins: list, rf_in):
    """The output's field: the op's rule applied to its first input's field, else the merge of its inputs'."""
    if packet in GLOBAL_OPS:
        return GLOBAL if any(r is not None for r in ins) else None
    rule = RULES.get(packet)
    if rule is not None and isinstance(rf_in, RF):
        out = rule(rf_in, args[0], args, kwargs, packet)
        if out is not None:
            return out
    return merge(ins)
