"""Cost formulas: pure functions of an op's arguments' shapes.

Conventions (stated once, here):

- **MAC** (multiply-accumulate): one multiplication and one addition. Only
  convolutions and matrix products have MACs. This is the unit of the ResNet
  paper's "FLOPs" ("multiply-adds", Table 1) and of torchvision's published
  GFLOPS; torchinfo calls it "mult-adds".
- **FLOP**: one arithmetic operation. A MAC is 2 FLOPs (as
  ``torch.utils.flop_counter`` counts). Everything else is counted too:

  ===================  ====================================================
  op                   FLOPs
  ===================  ====================================================
  convolution          2 x MACs, + 1 per output element for the bias
  addmm (linear)       2 x MACs, + 1 per output element for the bias
  mm / bmm             2 x MACs
  batch norm, eval     4 per element (subtract mean, times 1/std, times
                       gamma, plus beta; 2 without the affine part)
  batch norm, train    + 4 per element to compute the batch statistics
  relu, sigmoid, tanh  1 per output element (transcendentals are not
                       weighted: one op, as for every elementwise op)
  add, sub, mul, div,  1 per output element
  pow, neg, ...
  max pool             (window - 1) comparisons per output element
  avg pool             window per output element (window - 1 adds, 1 divide)
  adaptive avg, mean   1 per input element
  sum                  input elements - output elements
  softmax              5 per element (max, subtract, exp, sum, divide)
  views, cat, pad,     0 (data movement, not arithmetic)
  index, slice, ...
  ===================  ====================================================

Ops with no entry are never taken as zero: the tracer reports them by name
and count (``uncounted_ops``), as fvcore's ``unsupported_ops()`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from archscope.analysis.opargs import pool_window

aten = torch.ops.aten

CATEGORIES = ("conv", "linear", "norm", "activation", "pooling", "elementwise", "other")


@dataclass(frozen=True)
class Cost:
    macs: int = 0
    flops: int = 0
    # an op that does the work of several categories (a fused attention layer's projections and its
    # attention) says how its FLOPs split: ((category, flops), ...) summing to ``flops``
    parts: tuple = ()


Formula = Callable[..., Cost]  # (args, kwargs, out) -> Cost

_FORMULAS: dict[object, tuple[Formula, str]] = {}
ZERO_COST: set[object] = set()


def register(*packets, category: str):
    """Register one formula for op overload packets; a duplicate is an error."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")

    def deco(fn: Formula) -> Formula:
        for p in packets:
            if p in _FORMULAS or p in ZERO_COST:
                raise ValueError(f"duplicate cost formula for {p}")
            _FORMULAS[p] = (fn, category)
        return fn

    return deco


def lookup(packet) -> tuple[Formula, str] | None:
    return _FORMULAS.get(packet)


def numel(shape) -> int:
    return math.prod(shape)


def _shape(t) -> tuple[int, ...]:
    return tuple(t.shape)


# ---- convolution and matrix products ---------------------------------------

def conv_macs(x_shape, w_shape, out_shape, transposed: bool = False) -> int:
    """MACs of a (grouped) convolution: every output element of each batch item
    takes (C_in / groups) x kernel multiply-adds; the weight's shape already
    holds C_in / groups. For a transposed convolution the roles of input and
    output positions swap."""
    spatial = out_shape[2:] if not transposed else x_shape[2:]
    batch = out_shape[0]
    c_out, c_in_per_group = w_shape[0], w_shape[1]
    kernel = numel(w_shape[2:])
    if transposed:  # weight is (C_in, C_out / groups, k...)
        return batch * numel(spatial) * w_shape[0] * w_shape[1] * kernel
    return batch * numel(spatial) * c_out * c_in_per_group * kernel


@register(aten.convolution, aten._convolution, category="conv")
def _conv(args, kwargs, out) -> Cost:
    x, w, bias = args[0], args[1], args[2]
    transposed = bool(args[6]) if len(args) > 6 else False
    macs = conv_macs(_shape(x), _shape(w), _shape(out), transposed)
    return Cost(macs, 2 * macs + (numel(out.shape) if bias is not None else 0))


def mm_macs(a_shape, b_shape) -> int:
    m, k = a_shape
    n = b_shape[1]
    return m * n * k


@register(aten.addmm, category="linear")
def _addmm(args, kwargs, out) -> Cost:
    macs = mm_macs(_shape(args[1]), _shape(args[2]))
    return Cost(macs, 2 * macs + numel(out.shape))


@register(aten.mm, category="linear")
def _mm(args, kwargs, out) -> Cost:
    macs = mm_macs(_shape(args[0]), _shape(args[1]))
    return Cost(macs, 2 * macs)


@register(aten.bmm, category="linear")
def _bmm(args, kwargs, out) -> Cost:
    b, m, k = _shape(args[0])
    n = _shape(args[1])[-1]
    macs = b * m * n * k
    return Cost(macs, 2 * macs)


# ---- normalisation -----------------------------------------------------------

def batch_norm_flops(n_elements: int, affine: bool, training: bool) -> int:
    return n_elements * ((4 if affine else 2) + (4 if training else 0))


@register(aten.native_batch_norm, aten.cudnn_batch_norm, category="norm")
def _native_bn(args, kwargs, out) -> Cost:
    x, weight, training = args[0], args[1], bool(args[5])
    return Cost(0, batch_norm_flops(numel(x.shape), weight is not None, training))


@register(aten._native_batch_norm_legit, category="norm")
def _bn_legit(args, kwargs, out) -> Cost:
    # two overloads: (input, weight, bias, running_mean, running_var, training, momentum, eps)
    # and the no-stats one (input, weight, bias, training, momentum, eps)
    x, weight = args[0], args[1]
    training = bool(args[3]) if isinstance(args[3], bool) else bool(args[5])
    return Cost(0, batch_norm_flops(numel(x.shape), weight is not None, training))


@register(aten._native_batch_norm_legit_no_training, category="norm")
def _bn_eval(args, kwargs, out) -> Cost:
    return Cost(0, batch_norm_flops(numel(args[0].shape), args[1] is not None, False))


# ---- elementwise -------------------------------------------------------------

def _per_output_element(args, kwargs, out) -> Cost:
    o = out[0] if isinstance(out, (tuple, list)) else out
    return Cost(0, numel(o.shape))


register(aten.relu, aten.relu_, aten.sigmoid, aten.sigmoid_, aten.tanh, aten.tanh_, aten.threshold,
         aten.hardtanh, aten.hardtanh_, aten.leaky_relu, aten.leaky_relu_, aten.elu, aten.gelu, aten.silu,
         aten.hardswish, aten.hardsigmoid, aten._prelu_kernel, aten.clamp_min, aten.clamp, aten.clamp_,
         category="activation")(_per_output_element)
register(aten.add, aten.add_, aten.sub, aten.sub_, aten.mul, aten.mul_, aten.div, aten.div_, aten.pow,
         aten.neg, aten.rsub, aten.exp, aten.log, aten.sqrt, aten.rsqrt, aten.abs, aten.reciprocal,
         aten.maximum, aten.minimum, aten.where, aten.addcmul, aten.addcdiv,
         category="elementwise")(_per_output_element)


# ---- pooling and reductions --------------------------------------------------

@register(aten.max_pool2d_with_indices, aten.max_pool2d, aten.max_pool3d_with_indices, category="pooling")
def _max_pool(args, kwargs, out) -> Cost:
    o = out[0] if isinstance(out, (tuple, list)) else out
    window = numel(pool_window(aten.max_pool2d_with_indices, args, kwargs).kernel)
    return Cost(0, numel(o.shape) * (window - 1))


@register(aten.avg_pool2d, aten.avg_pool3d, category="pooling")
def _avg_pool(args, kwargs, out) -> Cost:
    return Cost(0, numel(out.shape) * numel(pool_window(aten.avg_pool2d, args, kwargs).kernel))


@register(aten._adaptive_avg_pool2d, aten.adaptive_avg_pool2d, aten.mean, category="pooling")
def _mean(args, kwargs, out) -> Cost:
    return Cost(0, numel(args[0].shape))


@register(aten.sum, category="elementwise")
def _sum(args, kwargs, out) -> Cost:
    return Cost(0, numel(args[0].shape) - numel(out.shape))


@register(aten._softmax, aten._log_softmax, category="activation")
def _softmax(args, kwargs, out) -> Cost:
    return Cost(0, 5 * numel(out.shape))


# ---- data movement: registered as zero so they are not reported uncounted ----

for _p in (aten.view, aten._unsafe_view, aten.reshape, aten.t, aten.transpose, aten.permute, aten.expand,
           aten.unsqueeze, aten.squeeze, aten.flatten, aten.cat, aten.stack, aten.constant_pad_nd, aten.pad,
           aten.index_select, aten.slice, aten.select, aten.clone, aten.copy_, aten.detach, aten.alias,
           aten.contiguous, aten._to_copy, aten.empty, aten.empty_like, aten.zeros, aten.zeros_like,
           aten.ones, aten.ones_like, aten.full, aten.new_empty, aten.new_zeros, aten.split, aten.split_with_sizes,
           aten.chunk, aten.narrow, aten.as_strided, aten.lift_fresh, aten.bernoulli_, aten.bernoulli,
           aten.native_dropout, aten.fill_, aten.zero_,
           aten.index, aten.gather, aten.repeat, aten.roll, aten.flip, aten.arange, aten.scalar_tensor,
           aten.unbind, aten.empty_strided, aten.masked_fill):
    ZERO_COST.add(_p)
