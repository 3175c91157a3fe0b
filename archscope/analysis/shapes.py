"""Output tensors of simple ops on the meta device, answered without torch's
Python meta kernels, and the dispatch mode that runs a forward that way.

Two things make the first meta forward of a process slow: torch wraps every
TorchDispatchMode subclass's __torch_dispatch__, and the Python meta kernels
of elementwise ops (torch._refs), in ``torch._disable_dynamo``, whose first
call imports torch._dynamo (1.1-1.6 s on a 2-core machine). Both only matter
when torch.compile is tracing, which never happens inside an analysis. So the
mode below opts out of the wrapper (``_should_skip_dynamo``), and for the
elementwise ops and reductions whose output metadata is simple, it answers
the output tensor itself instead of calling the Python meta kernel.
tests/test_analysis_meta.py pins these answers against the real meta kernels
for every op of every zoo model, so a torch release that changes them fails
the tests instead of silently changing the results.

Answering is optional for every op: ``None`` means "run torch's kernel".
"""

from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from archscope.analysis.opargs import conv_window, pool_window

aten = torch.ops.aten

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
    x, w = args[0], args[1]
    win = conv_window(args)
    if win.transposed or x.dim() != 4 or w.dim() != 4 or not (x.is_contiguous() and w.is_contiguous()):
        return None
    if x.shape[1] != w.shape[1] * win.groups or w.shape[0] % win.groups:
        return None  # torch raises its own, clearer error
    if not all(len(v) == 2 for v in (win.stride, win.padding, win.dilation)):
        return None  # an op called with other lengths: torch's error too, not an answer from the first two
    out = [(size + 2 * p - d * (k - 1) - 1) // s + 1
           for size, k, s, p, d in zip(x.shape[2:], win.kernel, win.stride, win.padding, win.dilation, strict=True)]
    if any(o < 1 for o in out):
        return None
    return torch.empty((x.shape[0], w.shape[0], *out), dtype=torch.result_type(x, w), device="meta")


def _answer_pool(packet, args):
    x = args[0]
    n = 3 if packet is aten.avg_pool3d else 2
    if x.dim() != n + 2 or not x.is_contiguous():
        return None
    win = pool_window(packet, args)
    if not all(len(v) == n for v in (win.kernel, win.stride, win.padding, win.dilation)):
        return None
    if any(p > kk // 2 for p, kk in zip(win.padding, win.kernel, strict=True)):
        return None
    out = [_pool_out(size, kk, p, s, d, win.ceil_mode)
           for size, kk, p, s, d in zip(x.shape[2:], win.kernel, win.padding, win.stride, win.dilation, strict=True)]
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


# Products whose CPU and CUDA kernels require one dtype for every operand; some meta kernels (a
# convolution without bias, mm) do not check it, so a model fed token ids where it expects floats would
# be analysed on meta and fail on any real device.
_SAME_DTYPE = {aten.convolution, aten._convolution, aten.addmm, aten.mm, aten.bmm, aten.baddbmm, aten.mv}


def _check_dtypes(func, args) -> None:
    dtypes = {a.dtype for a in args[:3] if isinstance(a, torch.Tensor)}
    if len(dtypes) > 1:
        names = " and ".join(sorted(str(d).removeprefix("torch.") for d in dtypes))
        raise RuntimeError(f"{func._overloadpacket.__name__}: its operands mix {names} (expected one dtype, as "
                           "the CPU and CUDA kernels require)")


class FastMetaMode(TorchDispatchMode):
    """Runs ops, answering simple ones on meta itself (see above)."""

    answer_shapes = True
    verify = False  # tests: also run the real kernel and record any disagreement
    mismatches: list

    def __init__(self) -> None:  # typed here: TorchDispatchMode's own __init__ carries no annotations
        super().__init__()

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # no torch.compile ever runs inside an analysis

    def run(self, func, args, kwargs):
        if func._overloadpacket in _SAME_DTYPE:
            _check_dtypes(func, args)
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




__all__ = ["FastMetaMode"]
