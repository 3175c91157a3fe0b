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
  layer / group /      as batch norm in training (the statistics are always
  RMS norm             computed): 8 per element with the affine part, 6
                       without; RMS norm 4 per element (square, mean,
                       times 1/rms, gamma; 3 without gamma) + 2 per row
                       (eps, rsqrt)
  attention (fused     what the math path does, op for op, so every kernel
  kernels: flash,      torch may pick counts the same: Q.K^T and A.V are
  memory-efficient,    matrix products (MACs); Q and K each scaled by
  cuDNN, CPU flash)    sqrt(scale) (1 per element), softmax (5 per score),
                       a mask added (1 per score; a boolean mask or
                       is_causal first turned into an additive one: 1 per
                       mask element)
  fused multi-head     its projections (matrix products plus biases) and
  attention, fused     the attention above; the encoder layer adds its
  encoder layer        norms, feed-forward and residual adds
  interpolation        (2 x taps - 1) per output element: a weighted sum of
                       2 (linear), 4 (bilinear, grid sample), 8 (trilinear)
                       or 16 (bicubic) inputs; nearest is a copy: 0
  var, std             4 per input element (as batch statistics)
  max / min / amax     input elements - output elements (comparisons)
  cumsum, vector norm  1 per input element; vector norm 2 (square, add)
  comparisons          1 per output element (eq, ne, lt, ..., bitwise_not)
  scatter_add,         1 per source element (each one added into place);
  index_add,           index_put with accumulate=True likewise
  scatter_reduce
  weight norm          torch.nn.utils.weight_norm's g x v / |v|: 3 per
                       element of v (square, add, scale) + 1 per element
                       of g (g / |v|)
  views, cat, pad,     0 (data movement, not arithmetic)
  index, slice,
  gather, scatter,
  unpooling, ...
  profiler markers     0 (``record_function`` enter/exit that
                       nn.DataParallel issues: bookkeeping, no tensor math)
  ===================  ====================================================

Categories: a matrix product with a weight is ``linear`` (``conv`` for a
convolution); a product of two activations (attention's Q.K^T and A.V) and
the fused attention kernels are ``attention``; inside a module whose role is
normalisation, activation, pooling or attention (``modules.COST_ROLES``), the
other ops it issues are filed under that role.

Ops with no entry are never taken as zero: the tracer reports them by name
and count (``uncounted_ops``), as fvcore's ``unsupported_ops()`` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import torch
from torch._ops import OpOverloadPacket

from archscope.analysis.opargs import bind, pool_window

aten = torch.ops.aten

CATEGORIES = ("conv", "linear", "attention", "norm", "activation", "pooling", "elementwise", "other")


@dataclass(frozen=True)
class Cost:
    macs: int = 0
    flops: int = 0
    # an op that does the work of several categories (a fused attention layer's projections and its
    # attention) says how its FLOPs split: ((category, flops), ...) summing to ``flops``
    parts: tuple[tuple[str, int], ...] = ()


# What __torch_dispatch__ hands an op's formula. The arguments are typed by the op's schema, not here:
# tensors, ints, int lists, bools, None, in the schema's order; the output is a tensor or a tuple of them.
OpArgs = Sequence[Any]
OpKwargs = Mapping[str, Any]
OpOut = Any
Formula = Callable[[OpArgs, OpKwargs, OpOut], Cost]

_FORMULAS: dict[object, tuple[Formula, str]] = {}
ZERO_COST: set[object] = set()


def register(*packets: OpOverloadPacket, category: str) -> Callable[[Formula], Formula]:
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


def lookup(packet: object) -> tuple[Formula, str] | None:
    return _FORMULAS.get(packet)


def numel(shape: Iterable[int]) -> int:
    return math.prod(shape)


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


# ---- convolution and matrix products ---------------------------------------

def conv_macs(x_shape: Sequence[int], w_shape: Sequence[int], out_shape: Sequence[int],
              transposed: bool = False) -> int:
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
def _conv(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    x, w, bias = args[0], args[1], args[2]
    transposed = bool(args[6]) if len(args) > 6 else False
    macs = conv_macs(_shape(x), _shape(w), _shape(out), transposed)
    return Cost(macs, 2 * macs + (numel(out.shape) if bias is not None else 0))


def mm_macs(a_shape: Sequence[int], b_shape: Sequence[int]) -> int:
    m, k = a_shape
    n = b_shape[1]
    return m * n * k


@register(aten.addmm, category="linear")
def _addmm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    macs = mm_macs(_shape(args[1]), _shape(args[2]))
    return Cost(macs, 2 * macs + numel(out.shape))


@register(aten.mv, category="linear")
def _mv(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    m, k = _shape(args[0])
    return Cost(m * k, 2 * m * k)


@register(aten.mm, category="linear")
def _mm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    macs = mm_macs(_shape(args[0]), _shape(args[1]))
    return Cost(macs, 2 * macs)


@register(aten.bmm, category="linear")
def _bmm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    b, m, k = _shape(args[0])
    n = _shape(args[1])[-1]
    macs = b * m * n * k
    return Cost(macs, 2 * macs)


@register(aten.baddbmm, category="linear")
def _baddbmm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """baddbmm(self, batch1, batch2): batch1 @ batch2 plus self (1 per output element)."""
    b, m, k = _shape(args[1])
    macs = b * m * _shape(args[2])[-1] * k
    return Cost(macs, 2 * macs + numel(out.shape))


# ---- normalisation -----------------------------------------------------------

def batch_norm_flops(n_elements: int, affine: bool, training: bool) -> int:
    return n_elements * ((4 if affine else 2) + (4 if training else 0))


@register(aten.native_batch_norm, aten.cudnn_batch_norm, category="norm")
def _native_bn(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    x, weight, training = args[0], args[1], bool(args[5])
    return Cost(0, batch_norm_flops(numel(x.shape), weight is not None, training))


@register(aten._native_batch_norm_legit, category="norm")
def _bn_legit(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    # two overloads: (input, weight, bias, running_mean, running_var, training, momentum, eps)
    # and the no-stats one (input, weight, bias, training, momentum, eps)
    x, weight = args[0], args[1]
    training = bool(args[3]) if isinstance(args[3], bool) else bool(args[5])
    return Cost(0, batch_norm_flops(numel(x.shape), weight is not None, training))


@register(aten._native_batch_norm_legit_no_training, category="norm")
def _bn_eval(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, batch_norm_flops(numel(args[0].shape), args[1] is not None, False))


def layer_norm_flops(n_elements: int, affine: bool) -> int:
    """Statistics always computed, as batch norm's in training."""
    return batch_norm_flops(n_elements, affine, training=True)


@register(aten.native_layer_norm, category="norm")
def _layer_norm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, layer_norm_flops(numel(args[0].shape), args[2] is not None))


@register(aten.native_group_norm, category="norm")
def _group_norm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, layer_norm_flops(numel(args[0].shape), args[1] is not None))


@register(aten._fused_rms_norm, category="norm")
def _rms_norm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """As nn.RMSNorm's composite path computes it: square, mean, times 1/rms (and gamma) per element;
    the eps add and the rsqrt once per normalised row."""
    n = numel(args[0].shape)
    rows = n // max(1, numel(args[1]))
    return Cost(0, n * (4 if len(args) > 2 and args[2] is not None else 3) + 2 * rows)


@register(aten.mkldnn_rnn_layer, category="linear")
def _mkldnn_lstm_layer(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """One direction of one nn.LSTM layer in oneDNN's CPU kernel (mode 2, the only one it runs), counted
    as the step-by-step path computes it: per step, the input and recurrent products (4 gates) with
    their biases, the gates' sum, three sigmoids, two tanh, three products and one sum of the cell."""
    a = bind(aten.mkldnn_rnn_layer, args, kwargs)
    x, hidden = a["input"], a["hidden_size"]
    steps, batch = (x.shape[1], x.shape[0]) if a["batch_first"] else (x.shape[0], x.shape[1])
    gates = 4 * hidden
    macs = steps * batch * gates * (x.shape[-1] + hidden)
    per_step = batch * ((2 if a["has_biases"] else 0) * gates + gates + 12 * hidden - 3 * hidden)
    return Cost(macs, 2 * macs + steps * per_step)


# ---- attention ------------------------------------------------------------------

def sdpa_cost(q_shape: Sequence[int], k_shape: Sequence[int], v_shape: Sequence[int], *,
              additive_mask: bool = False, mask_elements: int = 0) -> Cost:
    """Scaled dot-product attention of q (..., L, E), k (..., S, E), v (..., S, Ev), as its math path
    (torch's ``_scaled_dot_product_attention_math``) computes it: q and k times sqrt(scale), Q.K^T,
    a mask added, a softmax over S, A.V. ``mask_elements``: a boolean mask or ``is_causal`` is first
    turned into an additive mask (1 per mask element)."""
    *batch, L, E = q_shape
    S, Ev = k_shape[-2], v_shape[-1]
    b = numel(batch)
    scores = b * L * S
    macs = scores * E + scores * Ev
    flops = 2 * macs + b * (L + S) * E + 5 * scores + (scores if additive_mask else 0) + mask_elements
    return Cost(macs, flops)


class _MaskTerms(TypedDict, total=False):
    """``sdpa_cost``'s mask arguments, none for an attention without a mask."""

    additive_mask: bool
    mask_elements: int


def _mask(mask: torch.Tensor | None, is_causal: bool, q_shape: Sequence[int], k_shape: Sequence[int]) -> _MaskTerms:
    if is_causal:
        return {"additive_mask": True, "mask_elements": q_shape[-2] * k_shape[-2]}
    if mask is None:
        return {}
    return {"additive_mask": True, "mask_elements": numel(mask.shape) if mask.dtype == torch.bool else 0}


@register(aten._scaled_dot_product_flash_attention_for_cpu, aten._scaled_dot_product_flash_attention,
          category="attention")
def _sdpa_flash(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    q, k, v = args[:3]
    is_causal = bool(args[4]) if len(args) > 4 else bool(kwargs.get("is_causal", False))
    return sdpa_cost(q.shape, k.shape, v.shape, **_mask(kwargs.get("attn_mask"), is_causal, q.shape, k.shape))


@register(aten._scaled_dot_product_efficient_attention, aten._scaled_dot_product_cudnn_attention,
          category="attention")
def _sdpa_bias(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    q, k, v, bias = args[:4]
    is_causal = bool(args[6]) if len(args) > 6 else bool(kwargs.get("is_causal", False))
    return sdpa_cost(q.shape, k.shape, v.shape, **_mask(bias, is_causal, q.shape, k.shape))


def _projection(tokens: int, d_in: int, d_out: int, bias: bool) -> Cost:
    macs = tokens * d_in * d_out
    return Cost(macs, 2 * macs + (tokens * d_out if bias else 0))


def mha_cost(q_shape: Sequence[int], kv_len: int, embed_dim: int, heads: int, *, need_weights: bool, average: bool,
             qkv_bias: bool, proj_bias: bool, mask: torch.Tensor | None = None) -> Cost:
    """nn.MultiheadAttention as its composite path computes it (torch.nn.functional.
    multi_head_attention_forward): the in-projections, then with ``need_weights`` q times 1/sqrt(d),
    Q.K^T (+ mask), softmax, A.V and the heads' average of the weights; without, scaled dot-product
    attention; then the out-projection. Split into its linear and attention parts."""
    b, L = q_shape[0], q_shape[1]  # batch-first (B, L, E); the kernel's query is batch-first
    S, d = kv_len, embed_dim // heads
    proj = [_projection(b * L, embed_dim, embed_dim, qkv_bias), _projection(b * S, embed_dim, embed_dim, qkv_bias),
            _projection(b * S, embed_dim, embed_dim, qkv_bias), _projection(b * L, embed_dim, embed_dim, proj_bias)]
    scores = b * heads * L * S
    if need_weights:
        macs = 2 * scores * d
        flops = 2 * macs + b * L * embed_dim + 5 * scores + (scores if mask is not None else 0)
        flops += scores if average else 0  # mean over the heads
        att = Cost(macs, flops)
    else:
        att = sdpa_cost((b, heads, L, d), (b, heads, S, d), (b, heads, S, d), additive_mask=mask is not None,
                        mask_elements=numel(mask.shape) if mask is not None and mask.dtype == torch.bool else 0)
    lin_macs, lin_flops = sum(p.macs for p in proj), sum(p.flops for p in proj)
    return Cost(lin_macs + att.macs, lin_flops + att.flops, (("linear", lin_flops), ("attention", att.flops)))


@register(aten._native_multi_head_attention, category="attention")
def _native_mha(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    a = bind(aten._native_multi_head_attention, args, kwargs)
    return mha_cost(a["query"].shape, a["key"].shape[1], a["embed_dim"], a["num_head"],
                    need_weights=bool(a["need_weights"]), average=bool(a["average_attn_weights"]),
                    qkv_bias=a["qkv_bias"] is not None, proj_bias=a["proj_bias"] is not None, mask=a.get("mask"))


@register(aten._transformer_encoder_layer_fwd, category="attention")
def _encoder_layer(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """nn.TransformerEncoderLayer's fused kernel: self-attention (need_weights=False, as the layer calls
    it), two residual adds, two layer norms, the feed-forward (linear, activation, linear)."""
    a = bind(aten._transformer_encoder_layer_fwd, args, kwargs)
    src, e = a["src"], a["embed_dim"]
    b, L = src.shape[0], src.shape[1]
    att = mha_cost(src.shape, L, e, a["num_heads"], need_weights=False, average=False,
                   qkv_bias=a["qkv_bias"] is not None, proj_bias=a["proj_bias"] is not None, mask=a.get("mask"))
    hidden = a["ffn_weight_1"].shape[0]
    ff = [_projection(b * L, e, hidden, a["ffn_bias_1"] is not None), _projection(b * L, hidden, e,
                                                                                  a["ffn_bias_2"] is not None)]
    norm = 2 * layer_norm_flops(b * L * e, a["norm_weight_1"] is not None)
    act, adds = b * L * hidden, 2 * b * L * e
    lin = dict(att.parts)["linear"] + sum(p.flops for p in ff)
    parts = (("linear", lin), ("attention", dict(att.parts)["attention"]), ("norm", norm), ("activation", act),
             ("elementwise", adds))
    return Cost(att.macs + sum(p.macs for p in ff), sum(f for _, f in parts), parts)


# ---- training: what one backward computes -------------------------------------------

@dataclass(frozen=True)
class Backward:
    """The backward of one forward op, in a real ``loss.backward()``: ``macs`` of the gradients' matrix
    products, ``flops`` of everything else (2 per MAC are not included in ``flops``)."""

    macs: int = 0
    flops: int = 0


MATMUL_OPS = frozenset((aten.convolution, aten._convolution, aten.addmm, aten.mm, aten.bmm, aten.baddbmm,
                        aten.mv))

# The rule in words, carried by every analysis (Analysis.training["rule"]). Matrix products are priced as
# autograd runs them (exact: torch's FlopCounterMode measures the same around a real loss.backward()); the
# other ops' backward takes the conventional ratio backward = 2 x forward (Kaplan et al. 2020, "Scaling laws
# for neural language models", Sec. 2.1: 2N FLOPs per token forward, 4N backward), only where autograd runs.
TRAINING_RULE = (
    "training FLOPs = the forward in training mode (batch norm computing batch statistics: +4 per element) "
    "+ the backward that loss.backward() runs: autograd computes a gradient only for a tensor that needs one "
    "(a trainable parameter, or a result computed from one; not the data, unless the input is marked as "
    "requiring a gradient, and nothing before the first trainable layer), and runs an op's backward only if the "
    "loss (computed from every output) depends on its result (not through a detach). Each convolution or matrix "
    "product "
    "costs, per operand that needs a gradient, one product of the forward's size (the input's gradient, the "
    "weight's gradient), a bias's gradient 1 per output element; every other op 2 x its training-mode forward "
    "FLOPs where its result needs a gradient, else 0. Frozen parameters (requires_grad=False, or named frozen) get no "
    "gradient."
)


def backward_cost(packet: object, args: OpArgs, kwargs: OpKwargs, out: OpOut, fwd: Cost,
                  needs: Callable[[object], bool]) -> Backward:
    """The backward of one op whose forward cost ``fwd`` archscope counted; ``needs(t)``: whether tensor
    ``t`` needs a gradient. A convolution's input gradient is a transposed convolution and its weight
    gradient a convolution of input and output gradient, each as many MACs as the forward (torch's
    ``flop_counter.conv_backward_flop`` derives the same); a product A.B has dA = dC.B^T and dB = A^T.dC,
    each the forward's MACs."""
    if packet in MATMUL_OPS:
        if packet in (aten.convolution, aten._convolution, aten.addmm, aten.baddbmm):
            if packet in (aten.addmm, aten.baddbmm):
                bias, a, b = args[0], args[1], args[2]
            else:
                a, b, bias = args[0], args[1], args[2]
        else:
            a, b, bias = args[0], args[1], None
        bias_grad = numel(_out(out).shape) if isinstance(bias, torch.Tensor) and needs(bias) else 0
        return Backward(fwd.macs * (needs(a) + needs(b)), bias_grad)
    tensors = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor)]
    tensors += [t for a in (*args, *kwargs.values()) if isinstance(a, (list, tuple)) for t in a
                if isinstance(t, torch.Tensor)]
    if not any(needs(t) for t in tensors):
        return Backward()
    # a fused kernel (attention, an LSTM layer) computes each product's gradients: 2 x its MACs when
    # its inputs need them (dQ, dK, dV and dA for attention's two products)
    return Backward(2 * fwd.macs, 2 * (fwd.flops - 2 * fwd.macs))


def _out(out: OpOut) -> torch.Tensor:
    first: torch.Tensor = out[0] if isinstance(out, (tuple, list)) else out
    return first


_BN_EVAL = (aten._native_batch_norm_legit_no_training,)


def training_forward_extra(packet: object, args: OpArgs, kwargs: OpKwargs, out: OpOut, fwd: Cost) -> int:
    """FLOPs a training-mode forward adds to the op as the eval pass ran it: a batch norm that used its
    running statistics computes the batch's in training (``batch_norm_flops``'s +4 per element)."""
    if packet in _BN_EVAL or (packet in (aten.native_batch_norm, aten.cudnn_batch_norm) and not bool(args[5])):
        return batch_norm_flops(numel(args[0].shape), args[1] is not None, True) - fwd.flops
    if packet is aten._native_batch_norm_legit and len(args) > 5 and not isinstance(args[3], bool) \
            and not bool(args[5]):
        return batch_norm_flops(numel(args[0].shape), args[1] is not None, True) - fwd.flops
    return 0


# ---- elementwise -------------------------------------------------------------

def _per_output_element(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    o = out[0] if isinstance(out, (tuple, list)) else out
    return Cost(0, numel(o.shape))


# in-place forms count as their out-of-place ones (nn.SiLU(inplace=True) calls silu_)
register(aten.relu, aten.relu_, aten.sigmoid, aten.sigmoid_, aten.tanh, aten.tanh_, aten.threshold,
         aten.threshold_, aten.hardtanh, aten.hardtanh_, aten.leaky_relu, aten.leaky_relu_, aten.elu, aten.elu_,
         aten.gelu, aten.gelu_, aten.silu, aten.silu_, aten.hardswish, aten.hardswish_, aten.hardsigmoid,
         aten.hardsigmoid_, aten.mish, aten.mish_, aten.softplus, aten.glu, aten.celu, aten.celu_, aten.selu,
         aten.selu_, aten.relu6, aten._prelu_kernel, aten.clamp_min, aten.clamp_min_, aten.clamp_max,
         aten.clamp_max_, aten.clamp, aten.clamp_, category="activation")(_per_output_element)
ELEMENTWISE = frozenset((aten.add, aten.add_, aten.sub, aten.sub_, aten.mul, aten.mul_, aten.div, aten.div_, aten.pow,
         aten.pow_, aten.neg, aten.neg_, aten.rsub, aten.exp, aten.exp_, aten.log, aten.log_, aten.log1p, aten.expm1,
         aten.sqrt, aten.sqrt_, aten.rsqrt, aten.rsqrt_, aten.abs, aten.abs_, aten.reciprocal, aten.reciprocal_,
         aten.square, aten.sin, aten.cos, aten.erf, aten.sign, aten.floor, aten.ceil, aten.round, aten.lerp,
         aten.maximum, aten.minimum, aten.where, aten.addcmul, aten.addcdiv, aten.addcmul_, aten.addcdiv_,
         aten.eq, aten.ne, aten.lt, aten.le, aten.gt, aten.ge, aten.bitwise_not, aten.bitwise_and,
         aten.bitwise_or, aten.logical_not, aten.logical_and, aten.logical_or))
register(*ELEMENTWISE, category="elementwise")(_per_output_element)


@register(aten.scatter_add, aten.scatter_add_, aten.index_add, aten.index_add_, aten.scatter_reduce,
          aten.scatter_reduce_, category="elementwise")
def _scatter_add(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """Each source element added (or reduced) into its place: 1 per source element (the last tensor
    argument: scatter_add(self, dim, index, src), index_add(self, dim, index, source))."""
    src = [a for a in args if isinstance(a, torch.Tensor)][-1]
    return Cost(0, numel(src.shape))


@register(aten.index_put, aten.index_put_, category="elementwise")
def _index_put(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """index_put(self, indices, values, accumulate=False): a copy by index (0), or with ``accumulate`` an
    add per value element."""
    a = bind(aten.index_put, args, kwargs)
    return Cost(0, numel(a["values"].shape) if a.get("accumulate") else 0)


@register(aten._weight_norm_interface, category="norm")
def _weight_norm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """torch.nn.utils.weight_norm's w = g x v / |v| (the norm over every axis but ``dim``): square and add
    per element of v (as a vector norm), g / |v| per element of g, the scale per element of v."""
    v, g = args[0], args[1]
    return Cost(0, 3 * numel(v.shape) + numel(g.shape))


# ---- interpolation -------------------------------------------------------------

def _interpolation(taps: int) -> Formula:
    def formula(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
        return Cost(0, numel(out.shape) * (2 * taps - 1))
    return formula


# antialiased resizing (_upsample_*_aa) widens its window with the scale: no fixed tap count, no formula
for _taps, _packets in ((2, (aten.upsample_linear1d,)), (4, (aten.upsample_bilinear2d, aten.grid_sampler_2d)),
                        (8, (aten.upsample_trilinear3d,)), (16, (aten.upsample_bicubic2d,))):
    register(*_packets, category="other")(_interpolation(_taps))


# ---- pooling and reductions --------------------------------------------------

@register(aten.max_pool2d_with_indices, aten.max_pool2d, aten.max_pool3d_with_indices, category="pooling")
def _max_pool(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    o = out[0] if isinstance(out, (tuple, list)) else out
    window = numel(pool_window(aten.max_pool2d_with_indices, args, kwargs).kernel)
    return Cost(0, numel(o.shape) * (window - 1))


@register(aten.avg_pool2d, aten.avg_pool3d, category="pooling")
def _avg_pool(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, numel(out.shape) * numel(pool_window(aten.avg_pool2d, args, kwargs).kernel))


@register(aten._adaptive_avg_pool2d, aten.adaptive_avg_pool2d, aten.mean, category="pooling")
def _mean(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, numel(args[0].shape))


@register(aten.sum, aten.amax, aten.amin, aten.prod, aten.argmax, aten.argmin, category="elementwise")
def _sum(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, numel(args[0].shape) - numel(out.shape))


@register(aten.max, aten.min, category="elementwise")
def _max(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """max(x) or max(x, dim) (values and indices): comparisons; max(a, b) elementwise: 1 per element."""
    o = out[0] if isinstance(out, (tuple, list)) else out
    if len(args) > 1 and isinstance(args[1], torch.Tensor):
        return Cost(0, numel(o.shape))
    return Cost(0, numel(args[0].shape) - numel(o.shape))


@register(aten._adaptive_avg_pool3d, aten.adaptive_max_pool2d, category="pooling")
def _adaptive_reduce(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, numel(args[0].shape))


@register(aten.cumsum, category="elementwise")
def _cumsum(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, numel(args[0].shape))


@register(aten.linalg_vector_norm, aten.norm, category="norm")
def _vector_norm(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, 2 * numel(args[0].shape))


@register(aten.var, aten.var_mean, aten.std, aten.std_mean, category="norm")
def _variance(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    """Batch statistics, as batch norm's in training: mean, subtract, square, sum: 4 per input element
    (weight standardisation, NFNet's and timm's StdConv, computes them on the weights)."""
    return Cost(0, 4 * numel(args[0].shape))


@register(aten._softmax, aten._log_softmax, category="activation")
def _softmax(args: OpArgs, kwargs: OpKwargs, out: OpOut) -> Cost:
    return Cost(0, 5 * numel(out.shape))


# the softmax of scaled dot-product attention's math path (a row of -inf gives zeros, not NaN)
register(aten._safe_softmax, category="attention")(_softmax)


# ---- data movement: registered as zero so they are not reported uncounted ----

for _p in (aten.view, aten._unsafe_view, aten.reshape, aten.t, aten.transpose, aten.permute, aten.expand,
           aten.unsqueeze, aten.squeeze, aten.flatten, aten.cat, aten.stack, aten.constant_pad_nd, aten.pad,
           # unpooling, scatters and copies by index move values to places: no arithmetic
           aten.max_unpool2d, aten.max_unpool3d, aten.scatter_, aten.index_copy, aten.index_copy_,
           aten.index_fill, aten.index_fill_, aten.masked_scatter, aten.masked_scatter_, aten.masked_select,
           aten.take, aten.take_along_dim, aten.select_scatter, aten.slice_scatter, aten.diagonal_scatter,
           aten.as_strided_scatter, aten.put, aten.put_, aten.view_as, aten._reshape_alias, aten.unflatten,
           aten.repeat_interleave, aten.one_hot, aten.expand_as,
           # torch.autograd.profiler.record_function's markers (nn.DataParallel issues a pair per forward):
           # bookkeeping, no tensor math
           torch.ops.profiler._record_function_enter_new, torch.ops.profiler._record_function_exit,
           torch.ops.profiler._record_function_enter,
           aten.index_select, aten.slice, aten.select, aten.clone, aten.copy_, aten.detach, aten.alias,
           aten.contiguous, aten._to_copy, aten.empty, aten.empty_like, aten.zeros, aten.zeros_like,
           aten.ones, aten.ones_like, aten.full, aten.new_empty, aten.new_zeros, aten.split, aten.split_with_sizes,
           aten.chunk, aten.narrow, aten.as_strided, aten.lift_fresh, aten.bernoulli_, aten.bernoulli,
           aten.native_dropout, aten.fill_, aten.zero_,
           aten.index, aten.gather, aten.repeat, aten.roll, aten.flip, aten.arange, aten.scalar_tensor,
           aten.unbind, aten.empty_strided, aten.masked_fill, aten.masked_fill_,
           # more data movement: in-place views, copies by index, padding modes, shuffles
           aten.as_strided_, aten.unsafe_split, aten.unsafe_chunk, aten.tril, aten.triu, aten.embedding,
           aten.pixel_shuffle, aten.pixel_unshuffle, aten.channel_shuffle, aten.native_channel_shuffle,
           aten.reflection_pad1d, aten.reflection_pad2d, aten.reflection_pad3d, aten.replication_pad1d,
           aten.replication_pad2d, aten.replication_pad3d, aten.upsample_nearest1d, aten.upsample_nearest2d,
           aten.upsample_nearest3d, aten._upsample_nearest_exact1d, aten._upsample_nearest_exact2d,
           aten._upsample_nearest_exact3d, aten.im2col, aten.col2im, aten._unsafe_index,
           aten.squeeze_, aten.unsqueeze_, aten.t_, aten.transpose_, aten.view_as_real,
           aten.view_as_complex, aten.full_like, aten.new_ones, aten.new_full, aten.rand, aten.randn,
           aten.rand_like, aten.randn_like, aten.native_dropout,
           aten.feature_dropout, aten.alpha_dropout, aten.diagonal, aten.movedim, aten.unfold, aten.tile,
           aten.scatter, aten.sym_size, aten.lift_fresh_copy, aten.resize_, aten.set_):
    if _p in _FORMULAS:
        raise ValueError(f"{_p} has a cost formula and is listed as zero-cost")
    ZERO_COST.add(_p)
