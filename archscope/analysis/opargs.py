"""The arguments of aten ops, by their schema names, parsed once.

The shape answers (``shapes``), the cost formulas (``formulas``) and the
receptive field (``receptive_ops``) all need an op's kernel, stride, padding
and dilation. They read them here, from the op's own schema (as torch's
``flop_counter`` reads ``stride``/``padding`` by name), so a default filled in
by the schema (``stride=[]`` meaning "the kernel", ``padding=0``) is read the
same way everywhere.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

import torch

aten = torch.ops.aten


@cache
def _schema(packet) -> tuple[tuple[str, object, bool], ...]:
    """(name, default, has_default) of each argument of the packet's default overload."""
    overload = getattr(packet, "default", None) or getattr(packet, packet.overloads()[0])
    return tuple((a.name, a.default_value if a.has_default_value() else None, a.has_default_value())
                 for a in overload._schema.arguments)


def bind(packet: object, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The op's arguments by name, defaults filled in from its schema."""
    out = {}
    for i, (name, default, has_default) in enumerate(_schema(packet)):
        if i < len(args):
            out[name] = args[i]
        elif name in kwargs:
            out[name] = kwargs[name]
        elif has_default:
            out[name] = default
    return out


def as_ints(v) -> tuple[int, ...] | None:
    """A hyper-parameter as a module or an op may store it -> a tuple of ints, or None where it holds no
    integers. The one place such values are normalised: an int, a numpy integer, a 0-d or 1-d integer
    tensor (HuggingFace's EncodecConv1d and MimiConv1d keep ``kernel_size`` as ``torch.tensor(3)``), an
    integer numpy array, or a list/tuple of any of those. A float, a string (``padding="same"``), a meta
    tensor (no value to read) or anything else is None: a setting shown for display, never guessed."""
    if isinstance(v, bool) or v is None or isinstance(v, (str, bytes)):
        return None
    if isinstance(v, torch.Tensor):
        if v.is_meta or v.is_floating_point() or v.is_complex() or v.dim() > 1 or v.dtype == torch.bool:
            return None
        v = v.tolist()
    elif type(v).__module__ == "numpy" and hasattr(v, "tolist") and getattr(v, "ndim", 0) <= 1:
        if getattr(getattr(v, "dtype", None), "kind", "") not in "iu":
            return None
        v = v.tolist()
    if not isinstance(v, (list, tuple)):
        try:
            return (operator.index(v),)
        except (TypeError, ValueError, RuntimeError):
            return None
    out = []
    for item in v:
        one = as_ints(item) if not isinstance(item, (list, tuple)) else None
        if one is None or len(one) != 1:
            return None
        out.append(one[0])
    return tuple(out)


def ntuple(v, n: int) -> tuple[int, ...] | None:
    """An int or a one-element sequence stands for every spatial axis (torch's ``_pair`` rule); any
    integer-like form ``as_ints`` reads; None where ``v`` holds no integers."""
    ints = as_ints(v)
    if ints is None:
        return None
    return ints * n if len(ints) == 1 else ints


def _axes(v, n: int) -> tuple[int, ...]:
    """``ntuple`` of an aten op's window argument, which always holds integers (an op's schema types it)."""
    ints = ntuple(v, n)
    if ints is None:
        raise TypeError(f"expected integers for a window argument, got {v!r}")
    return ints


class Window(NamedTuple):
    """A sliding window over the spatial axes: a convolution's or a pooling's."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool = False
    transposed: bool = False
    groups: int = 1


CONV_OPS = (aten.convolution, aten._convolution)
MAX_POOL_OPS = (aten.max_pool2d_with_indices, aten.max_pool2d, aten.max_pool3d_with_indices, aten.max_pool3d)
AVG_POOL_OPS = (aten.avg_pool2d, aten.avg_pool3d)


def conv_window(args: Sequence[Any], kwargs: Mapping[str, Any] | None = None) -> Window:
    """aten.convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    a = bind(aten.convolution, args, kwargs or {})
    n = a["weight"].dim() - 2
    return Window(tuple(a["weight"].shape[2:]), _axes(a["stride"], n), _axes(a["padding"], n),
                  _axes(a["dilation"], n), False, bool(a["transposed"]), int(a["groups"]))


def pool_window(packet: object, args: Sequence[Any], kwargs: Mapping[str, Any] | None = None) -> Window:
    """max_pool*(self, kernel_size, stride=[], padding=0, dilation=1, ceil_mode=False) and
    avg_pool*(self, kernel_size, stride=[], padding=0, ceil_mode=False, ...): an empty
    stride means the kernel's (torch's documented default)."""
    a = bind(packet, args, kwargs or {})
    n = a["self"].dim() - 2
    k = _axes(a["kernel_size"], n)
    stride = _axes(a["stride"], n) if a.get("stride") else k
    return Window(k, stride, _axes(a.get("padding", 0), n), _axes(a.get("dilation", 1), n),
                  bool(a.get("ceil_mode", False)))


def window(packet, args, kwargs=None) -> Window | None:
    """The window of a convolution or pooling op, None for any other op."""
    if packet in CONV_OPS:
        return conv_window(args, kwargs)
    if packet in MAX_POOL_OPS or packet in AVG_POOL_OPS:
        return pool_window(packet, args, kwargs)
    return None
