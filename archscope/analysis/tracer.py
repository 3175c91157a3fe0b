"""One forward pass, observed at the dispatch level.

Module forward hooks keep a stack of the modules being executed; a
``TorchDispatchMode`` sees every aten op (functional ones included: a residual
``+``, ``F.relu``, ``torch.cat``), prices it with ``formulas`` and adds the
cost to the innermost module ("own") and to every module on the stack
("inclusive"). Receptive fields travel with the tensors through the same ops.
A second, training-mode pass registers ``saved_tensors_hooks`` to see exactly
which tensors autograd keeps for backward.

On the meta device no op computes anything, so the cost of a pass does not
grow with the input size, the batch or the weights.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from archscope.analysis import formulas
from archscope.analysis.receptive import GLOBAL, INPUT, RF, merge, through_kernel, through_pad

aten = torch.ops.aten

# Ops inside these modules are priced by the module's role, whatever aten ops
# implement it (LRN is built from mul/pow/avg_pool3d, LeNet's scaled tanh
# from mul/tanh).
_MODULE_CATEGORY: tuple[tuple[tuple[type, ...], str], ...] = (
    ((nn.modules.batchnorm._NormBase, nn.LocalResponseNorm, nn.GroupNorm, nn.LayerNorm), "norm"),
    ((nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Softmax, nn.LogSoftmax, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.ELU,
      nn.Hardtanh, nn.PReLU), "activation"),
    ((nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
      nn.modules.pooling._AdaptiveMaxPoolNd), "pooling"),
)


def module_category(module: nn.Module) -> str | None:
    for types, cat in _MODULE_CATEGORY:
        if isinstance(module, types):
            return cat
    role = getattr(module, "archscope_category", None)  # zoo layers declare theirs
    return role


class FlowOp(NamedTuple):
    """One op of the traced forward that touched a traced tensor: the aten op, the module stack it ran
    under (outermost first), the tensors it read and wrote (numbered in order of creation), and what it
    cost. Diagrams draw the graph from these; ``diff`` aligns two networks call by call on them."""

    op: str
    stack: tuple[str, ...]
    inputs: list[int]
    outputs: list[int]
    macs: int = 0
    flops: int = 0
    call: int = -1  # which call of the innermost module (numbered in order); -1 outside every module


@dataclass
class ModuleRecord:
    input_shape: list | None = None
    output_shape: list | None = None
    activation_bytes: int = 0
    macs: int = 0
    flops: int = 0
    own_macs: int = 0
    own_flops: int = 0
    rf: object = None
    depth: int | None = None  # weight layers on the longest path from the input to this output
    order: int | None = None  # position of the first call in execution order
    in_keys: list | None = None  # data flow: traced tensors the first call consumed / produced
    out_keys: list | None = None
    calls: int = 0


@dataclass
class PassResult:
    records: dict[str, ModuleRecord]
    flops_by_category: dict[str, int]
    uncounted_ops: dict[str, int]
    output: object = None
    flow: list = None
    shapes: dict = None
    output_keys: list = None


@dataclass
class _Stack:
    names: list = field(default_factory=list)
    modules: list = field(default_factory=list)
    calls: list = field(default_factory=list)  # a number per module call, so two calls of one module differ
    count: int = 0


# ---- shapes answered by the mode itself -------------------------------------
#
# Two things make the first meta forward of a process slow: torch wraps every
# TorchDispatchMode subclass's __torch_dispatch__, and the Python meta kernels
# of elementwise ops (torch._refs), in ``torch._disable_dynamo``, whose first
# call imports torch._dynamo (1.1-1.6 s on a 2-core machine). Both only matter
# when torch.compile is tracing, which never happens inside an analysis. So the
# modes below opt out of the wrapper (``_should_skip_dynamo``), and for the
# elementwise ops and reductions whose output metadata is simple, they answer
# the output tensor themselves instead of calling the Python meta kernel.
# tests/test_analysis_meta.py pins these answers against the real meta kernels
# for every op of every zoo model, so a torch release that changes them fails
# the tests instead of silently changing the results.

_UNARY_SAME = {aten.relu, aten.sigmoid, aten.tanh, aten.neg, aten.exp, aten.sqrt, aten.rsqrt, aten.abs,
               aten.reciprocal, aten.clamp_min, aten.hardtanh, aten.leaky_relu, aten.gelu, aten.silu}
_BINARY = {aten.add, aten.sub, aten.mul, aten.div, aten.pow, aten.rsub, aten.maximum, aten.minimum}


def _broadcast(a, b):
    """NumPy broadcasting of two int shapes (torch.broadcast_shapes imports sympy)."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        p = a[-i] if i <= len(a) else 1
        q = b[-i] if i <= len(b) else 1
        if p != q and 1 not in (p, q):
            return None
        out.append(q if p == 1 else p)
    return tuple(reversed(out))


def _like(x: torch.Tensor):
    """A fresh contiguous meta tensor like x (torch.empty_like on meta goes
    through Python refs that import sympy); None for other layouts."""
    return torch.empty(x.shape, dtype=x.dtype, device="meta") if x.is_contiguous() else None


# In-place ops that leave the tensor's metadata unchanged (dropout's mask, scaling).
_INPLACE_SAME = {aten.bernoulli_, aten.div_, aten.mul_, aten.add_, aten.sub_, aten.fill_, aten.zero_, aten.relu_,
                 aten.uniform_, aten.normal_}


def _answer_shape(func, packet, args, kwargs):
    """The output of a simple op on meta tensors, or None to run the kernel."""
    if kwargs.get("out") is not None:
        return None
    if packet in _INPLACE_SAME:
        x, other = args[0], (args[1] if len(args) > 1 else None)
        same = not isinstance(other, torch.Tensor) or _broadcast(x.shape, other.shape) == tuple(x.shape)
        return x if isinstance(x, torch.Tensor) and x.is_meta and same else None
    if func._schema.name.endswith("_"):
        return None  # other in-place variants: let torch handle aliasing
    if packet is aten.empty_like:
        x = args[0]
        fmt = kwargs.get("memory_format", torch.preserve_format)
        if x.is_meta and x.is_contiguous() and fmt in (torch.preserve_format, torch.contiguous_format) \
                and kwargs.get("device") in (None, torch.device("meta"), "meta"):
            return torch.empty(x.shape, dtype=kwargs.get("dtype") or x.dtype, device="meta")
        return None
    if packet is aten.cat:
        return _answer_cat(args, kwargs)
    if packet is aten.convolution:
        return _answer_conv(args)
    if packet in (aten.max_pool2d_with_indices, aten.avg_pool2d, aten.avg_pool3d):
        return _answer_pool(packet, args)
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor) or not x.is_meta:
        return None
    if packet in _UNARY_SAME:
        return _like(x)
    if packet in _BINARY and len(args) >= 2:
        other = args[1]
        if isinstance(other, torch.Tensor) and not other.is_meta:
            return None
        dtype = torch.result_type(x, other)
        shape = _broadcast(x.shape, other.shape) if isinstance(other, torch.Tensor) else x.shape
        if shape is None:
            return None
        if packet is aten.div and kwargs.get("rounding_mode") is None and not dtype.is_floating_point \
                and not dtype.is_complex:
            dtype = torch.get_default_dtype()  # true division of integers
        if not x.is_contiguous() or (isinstance(other, torch.Tensor) and not other.is_contiguous()):
            return None
        return torch.empty(shape, dtype=dtype, device="meta")
    if packet is aten.addmm and len(args) >= 3 and args[1].dim() == 2 and args[2].dim() == 2 \
            and args[1].shape[1] == args[2].shape[0]:  # invalid shapes: let torch raise its own error
        return torch.empty((args[1].shape[0], args[2].shape[1]), dtype=torch.result_type(args[1], args[2]),
                           device="meta")
    if packet is aten.mm and len(args) >= 2 and x.dim() == 2 and args[1].dim() == 2 \
            and x.shape[1] == args[1].shape[0]:
        return torch.empty((x.shape[0], args[1].shape[1]), dtype=torch.result_type(x, args[1]), device="meta")
    if packet is aten.native_batch_norm and x.dim() >= 2:
        stat_dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
        stats = [torch.empty((x.shape[1],), dtype=stat_dtype, device="meta") for _ in range(2)]
        out = _like(x)
        return None if out is None else (out, *stats)
    if packet is aten._adaptive_avg_pool2d and x.dim() == 4 and all(o > 0 for o in args[1]):
        return torch.empty((*x.shape[:2], *args[1]), dtype=x.dtype, device="meta")
    if packet is aten.constant_pad_nd and x.is_contiguous() and len(args[1]) % 2 == 0:
        shape = list(x.shape)
        for i in range(len(args[1]) // 2):
            shape[-1 - i] += args[1][2 * i] + args[1][2 * i + 1]
        if all(d >= 0 for d in shape):
            return torch.empty(shape, dtype=x.dtype, device="meta")
        return None
    if packet in (aten.mean, aten.sum) and len(args) >= 2 and args[1] is not None and len(args[1]) > 0:
        dims = {d % x.dim() for d in args[1]}
        keep = bool(args[2]) if len(args) > 2 else bool(kwargs.get("keepdim", False))
        shape = [1 if i in dims else s for i, s in enumerate(x.shape)] if keep else \
            [s for i, s in enumerate(x.shape) if i not in dims]
        return torch.empty(shape, dtype=kwargs.get("dtype") or x.dtype, device="meta")
    return None


def _pool_out(size, k, pad, stride, dilation, ceil_mode) -> int:
    """torch's pooling_output_shape (aten/src/ATen/native/Pool.h)."""
    num = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _answer_conv(args):
    """aten.convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    x, w = args[0], args[1]
    stride, padding, dilation, transposed, groups = args[3], args[4], args[5], args[6], args[8]
    if transposed or x.dim() != 4 or w.dim() != 4 or not (x.is_contiguous() and w.is_contiguous()):
        return None
    if x.shape[1] != w.shape[1] * groups or w.shape[0] % groups:
        return None  # torch raises its own, clearer error
    out = [(size + 2 * p - d * (k - 1) - 1) // s + 1
           for size, k, s, p, d in zip(x.shape[2:], w.shape[2:], stride, padding, dilation)]
    if any(o < 1 for o in out):
        return None
    return torch.empty((x.shape[0], w.shape[0], *out), dtype=torch.result_type(x, w), device="meta")


def _answer_pool(packet, args):
    x = args[0]
    n = 3 if packet is aten.avg_pool3d else 2
    if x.dim() != n + 2 or not x.is_contiguous():
        return None

    def tup(v):
        v = (v,) if isinstance(v, int) else tuple(v)
        return v * n if len(v) == 1 else v

    k = tup(args[1])
    stride = tup(args[2]) if len(args) > 2 and args[2] else k
    pad = tup(args[3]) if len(args) > 3 else (0,) * n
    if packet is aten.max_pool2d_with_indices:
        dilation = tup(args[4]) if len(args) > 4 else (1,) * n
        ceil = bool(args[5]) if len(args) > 5 else False
    else:
        dilation, ceil = (1,) * n, bool(args[4]) if len(args) > 4 else False
    if len(k) != n or len(stride) != n or len(pad) != n:
        return None
    if any(p > kk // 2 for p, kk in zip(pad, k)):
        return None
    out = [_pool_out(size, kk, p, s, d, ceil) for size, kk, p, s, d in zip(x.shape[2:], k, pad, stride, dilation)]
    if any(o < 1 for o in out):
        return None
    shape = (*x.shape[:2], *out)
    y = torch.empty(shape, dtype=x.dtype, device="meta")
    if packet is aten.max_pool2d_with_indices:
        return y, torch.empty(shape, dtype=torch.int64, device="meta")
    return y


def _answer_cat(args, kwargs):
    tensors = [t for t in args[0] if not (t.dim() == 1 and t.shape[0] == 0)]  # legacy empty inputs are skipped
    if not tensors or not all(t.is_meta and t.is_contiguous() for t in tensors):
        return None
    dim = (args[1] if len(args) > 1 else kwargs.get("dim", 0)) % tensors[0].dim()
    shape = list(tensors[0].shape)
    shape[dim] = sum(t.shape[dim] for t in tensors)
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return torch.empty(shape, dtype=dtype, device="meta")


class FastMetaMode(TorchDispatchMode):
    """Runs ops, answering simple ones on meta itself (see above)."""

    answer_shapes = True
    verify = False  # tests: also run the real kernel and record any disagreement
    mismatches: list

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # no torch.compile ever runs inside an analysis

    def run(self, func, args, kwargs):
        if self.answer_shapes:
            out = _answer_shape(func, func._overloadpacket, args, kwargs)
            if out is not None:
                if self.verify:
                    self._check(func, out, func(*args, **kwargs))
                return out
        return func(*args, **kwargs)

    def _check(self, func, mine, real) -> None:
        def meta(o):
            return [(tuple(t.shape), t.dtype, t.stride()) for t in tree_leaves(o) if isinstance(t, torch.Tensor)]
        if meta(mine) != meta(real):
            if not hasattr(self, "mismatches"):
                self.mismatches = []
            self.mismatches.append((str(func), meta(mine), meta(real)))

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return self.run(func, args, kwargs or {})


class CostMode(FastMetaMode):
    def __init__(self, stack: _Stack, records: dict[str, ModuleRecord]):
        super().__init__()
        self.stack = stack
        self.records = records
        self.by_category: Counter = Counter()
        self.uncounted: Counter = Counter()
        self.rf: dict[int, object] = {}
        # weight layers on the longest path from the input (the "depth" the VGG and
        # ResNet papers count: convolutions and fully connected layers)
        self.depth: dict[int, int] = {}
        # data flow, for diagrams: every op that touched a traced tensor, with the
        # module stack it ran under; tensors are numbered in order of creation
        self.flow: list[FlowOp] = []
        self.keys: dict[int, int] = {}
        self.shapes: dict[int, list] = {}
        self._alive: list = []  # keeps tensors alive so their ids stay unique during the pass

    def key(self, t: torch.Tensor) -> int:
        k = self.keys.get(id(t))
        if k is None:
            k = self.keys[id(t)] = len(self.keys)
            self.shapes[k] = list(t.shape)
        return k

    def mark_input(self, t: torch.Tensor) -> None:
        self.rf[id(t)] = INPUT
        self.depth[id(t)] = 0
        self.key(t)
        self._alive.append(t)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = self.run(func, args, kwargs)
        packet = func._overloadpacket
        entry = formulas.lookup(packet)
        cost = None
        if entry is not None:
            cost = entry[0](args, kwargs, out)
            if cost.macs or cost.flops:
                self._charge(cost, entry[1])
        elif packet not in formulas.ZERO_COST:
            self.uncounted[str(packet)] += 1
        self._propagate_rf(packet, args, out, cost)
        return out

    def _charge(self, cost: formulas.Cost, category: str) -> None:
        if self.stack.modules:
            category = module_category(self.stack.modules[-1]) or category
            own = self.records[self.stack.names[-1]]
            own.own_macs += cost.macs
            own.own_flops += cost.flops
            for name in set(self.stack.names):
                rec = self.records[name]
                rec.macs += cost.macs
                rec.flops += cost.flops
        self.by_category[category] += cost.flops

    def _propagate_rf(self, packet, args, out, cost=None) -> None:
        ins = [self.rf[id(a)] for a in tree_leaves(args) if isinstance(a, torch.Tensor) and id(a) in self.rf]
        if not ins:
            return
        depth = max(self.depth[id(a)] for a in tree_leaves(args) if isinstance(a, torch.Tensor) and id(a) in self.depth)
        if packet in _WEIGHT_OPS:
            depth += 1
        x = args[0] if args and isinstance(args[0], torch.Tensor) else None
        rf_in = self.rf.get(id(x)) if x is not None else None
        rf = merge(ins)
        if isinstance(rf_in, RF):
            if packet in (aten.convolution, aten._convolution) and not (len(args) > 6 and args[6]):
                k = tuple(args[1].shape[2:])
                if len(k) == 2:
                    rf = through_kernel(rf_in, k, _pair(args[3]), _pair(args[5]), _pair(args[4]))
            elif packet in (aten.max_pool2d_with_indices, aten.max_pool2d):
                k = _pair(args[1])
                stride = _pair(args[2]) if len(args) > 2 and args[2] else k
                pad = _pair(args[3]) if len(args) > 3 else (0, 0)
                dil = _pair(args[4]) if len(args) > 4 else (1, 1)
                rf = through_kernel(rf_in, k, stride, dil, pad)
            elif packet is aten.avg_pool2d:
                k = _pair(args[1])
                stride = _pair(args[2]) if len(args) > 2 and args[2] else k
                pad = _pair(args[3]) if len(args) > 3 else (0, 0)
                rf = through_kernel(rf_in, k, stride, (1, 1), pad)
            elif packet is aten.constant_pad_nd and x.dim() == 4 and len(args[1]) >= 2:
                p = list(args[1])  # (left, right, top, bottom, ...) from the last dimension back
                rf = through_pad(rf_in, p[2] if len(p) >= 4 else 0, p[0])
            elif packet in (aten._adaptive_avg_pool2d, aten.adaptive_avg_pool2d):
                size_in, size_out = tuple(x.shape[-2:]), _pair(args[1])
                if all(i % o == 0 for i, o in zip(size_in, size_out)):
                    k = tuple(i // o for i, o in zip(size_in, size_out))
                    rf = through_kernel(rf_in, k, k)
                else:
                    rf = GLOBAL
            elif packet is aten.mean:
                dims = {d % x.dim() for d in (args[1] if len(args) > 1 else range(x.dim()))}
                rf = GLOBAL if dims & {x.dim() - 2, x.dim() - 1} and x.dim() >= 3 else rf
            elif packet is aten.slice and x.dim() == 4:
                dim, step = args[1] % 4, (args[4] if len(args) > 4 else 1)
                if dim >= 2 and step > 1:
                    jump, start = list(rf_in.jump), list(rf_in.start)
                    start[dim - 2] += (args[2] or 0) * jump[dim - 2] if len(args) > 2 else 0
                    jump[dim - 2] *= step
                    rf = RF(rf_in.size, tuple(jump), tuple(start))
        if packet in (aten.addmm, aten.mm, aten.bmm):
            rf = GLOBAL
        ins_keys = [self.keys[id(a)] for a in tree_leaves(args) if isinstance(a, torch.Tensor) and id(a) in self.keys]
        outs_keys = []
        for o in tree_leaves(out):
            if isinstance(o, torch.Tensor):
                self.rf[id(o)] = rf
                self.depth[id(o)] = depth
                self._alive.append(o)
                outs_keys.append(self.key(o))
        self.flow.append(FlowOp(str(packet).removeprefix("aten."), tuple(self.stack.names), ins_keys, outs_keys,
                                cost.macs if cost else 0, cost.flops if cost else 0,
                                self.stack.calls[-1] if self.stack.calls else -1))


_WEIGHT_OPS = {aten.convolution, aten._convolution, aten.addmm, aten.mm, aten.bmm}


def _pair(v):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    return v * 2 if len(v) == 1 else v


def _first_tensor(obj):
    for leaf in tree_leaves(obj):
        if isinstance(leaf, torch.Tensor):
            return leaf
    return None


def _nbytes(obj) -> int:
    return sum(t.numel() * t.element_size() for t in tree_leaves(obj) if isinstance(t, torch.Tensor))


class ForwardError(Exception):
    """A forward pass failed inside ``module`` (qualified name)."""

    def __init__(self, module: str, module_type: str, error: BaseException):
        super().__init__(f"{module or '<model>'} ({module_type}): {error}")
        self.module = module
        self.module_type = module_type
        self.error = error


def _install_hooks(model: nn.Module, stack: _Stack, records: dict[str, ModuleRecord], mode_ref: list):
    handles = []
    counter = [0]
    for name, module in model.named_modules():
        records[name] = ModuleRecord()

        def pre(mod, inputs, _name=name):
            stack.names.append(_name)
            stack.modules.append(mod)
            stack.calls.append(stack.count)
            stack.count += 1
            rec = records[_name]
            if rec.order is None:
                rec.order = counter[0]
                counter[0] += 1
            t = _first_tensor(inputs)
            if t is not None:
                rec.input_shape = list(t.shape)
            if mode_ref and rec.in_keys is None:
                keys = mode_ref[0].keys
                rec.in_keys = [keys[id(a)] for a in tree_leaves(inputs) if isinstance(a, torch.Tensor) and id(a) in keys]

        def post(mod, inputs, output, _name=name):
            stack.names.pop()
            stack.modules.pop()
            stack.calls.pop()
            rec = records[_name]
            rec.calls += 1
            t = _first_tensor(output)
            if t is not None:
                rec.output_shape = list(t.shape)
                if mode_ref:
                    rec.rf = mode_ref[0].rf.get(id(t))
                    rec.depth = mode_ref[0].depth.get(id(t))
            if mode_ref and rec.out_keys is None:
                keys = mode_ref[0].keys
                rec.out_keys = [keys[id(a)] for a in tree_leaves(output) if isinstance(a, torch.Tensor) and id(a) in keys]
            rec.activation_bytes = _nbytes(output)

        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))
    return handles


def cost_pass(model: nn.Module, x: torch.Tensor, *, answer_shapes: bool = True) -> PassResult:
    """Inference forward (the model's eval mode, no grad) under the cost mode."""
    stack, records, mode_ref = _Stack(), {}, []
    handles = _install_hooks(model, stack, records, mode_ref)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            mode = CostMode(stack, records)
            mode.answer_shapes = answer_shapes and x.is_meta
            mode_ref.append(mode)
            with mode:
                mode.mark_input(x)
                try:
                    out = model(x)
                except Exception as e:
                    failing = stack.names[-1] if stack.names else ""
                    mod = stack.modules[-1] if stack.modules else model
                    raise ForwardError(failing, type(mod).__name__, e) from e
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    out_keys = [mode.keys[id(t)] for t in tree_leaves(out) if isinstance(t, torch.Tensor) and id(t) in mode.keys]
    return PassResult(records, dict(mode.by_category), dict(mode.uncounted), out, mode.flow, mode.shapes, out_keys)


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor, *, answer_shapes: bool = True) -> int:
    """Bytes autograd saves for backward in one training-mode forward,
    counted once per storage and excluding parameters and buffers (they are
    counted as parameters). The input counts when a layer saves it."""
    exclude = {p.untyped_storage()._cdata for p in model.parameters()}
    exclude |= {b.untyped_storage()._cdata for b in model.buffers()}
    seen: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        key = storage._cdata
        if key not in exclude:
            seen[key] = storage.nbytes()
        return t

    was_training = model.training
    model.train()
    try:
        mode = FastMetaMode()
        mode.answer_shapes = answer_shapes and x.is_meta
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), mode:
            model(x)
    finally:
        model.train(was_training)
    return sum(seen.values())


def subtree_params(module: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameters of a module and its children, shared ones once."""
    unique = {id(p): p for p in module.parameters()}.values()
    total = sum(p.numel() for p in unique)
    trainable = sum(p.numel() for p in unique if p.requires_grad)
    return total, trainable


__all__ = ["CostMode", "FlowOp", "ForwardError", "PassResult", "cost_pass", "saved_tensor_bytes", "subtree_params",
           "module_category"]
