"""The modules of a forward pass: which one is running (a stack kept by
forward pre/post hooks, as ``torch.utils.module_tracker`` keeps it), what each
call consumed and produced, and what kind of layer each module is.

The kind of a layer is decided here, once, from its type: torch's own layer
classes by ``isinstance``; the zoo's own layers (LeNet-5's ``Subsampling``,
``ScaledTanh``, ``PartialConv2d``) declare theirs in an ``archscope_category``
class attribute, so no other module needs to know them by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.utils._pytree import tree_leaves

if TYPE_CHECKING:  # tracer imports this module: the dispatch mode's type only, for the checker
    from archscope.analysis.receptive import RF, GlobalRF
    from archscope.analysis.tracer import CostMode

_KINDS: tuple[tuple[tuple[type, ...], str], ...] = (
    ((nn.modules.conv._ConvNd,), "conv"),
    ((nn.Linear, nn.Bilinear), "linear"),
    ((nn.modules.batchnorm._NormBase, nn.LocalResponseNorm, nn.GroupNorm, nn.LayerNorm,
      getattr(nn, "RMSNorm", nn.LayerNorm)), "norm"),
    ((nn.ReLU, nn.ReLU6, nn.Sigmoid, nn.Tanh, nn.Softmax, nn.LogSoftmax, nn.GELU, nn.SiLU, nn.LeakyReLU,
      nn.ELU, nn.SELU, nn.CELU, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Mish, nn.Softplus, nn.PReLU,
      nn.Threshold), "activation"),
    ((nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
      nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.pooling._LPPoolNd), "pooling"),
    ((nn.MultiheadAttention,), "attention"),
    ((nn.modules.dropout._DropoutNd,), "dropout"),
    ((nn.Flatten, nn.Unflatten), "flatten"),
    ((nn.modules.padding._ConstantPadNd, nn.modules.padding._ReflectionPadNd,
      nn.modules.padding._ReplicationPadNd, nn.ZeroPad2d), "pad"),
)

# the kinds whose role decides how the FLOPs of the ops inside them are filed (LRN is built from
# mul/pow/avg_pool3d, LeNet's scaled tanh from mul/tanh, attention's softmax is attention's)
COST_ROLES = ("norm", "activation", "pooling", "attention")


def layer_kind(module: nn.Module) -> str:
    """conv, linear, norm, activation, pooling, attention, dropout, flatten, pad or other."""
    declared = getattr(type(module), "archscope_category", None)
    if declared:
        return declared
    for types, kind in _KINDS:
        if isinstance(module, types):
            return kind
    return "other"


def cost_role(module: nn.Module) -> str | None:
    """The FLOPs category of the ops a module issues itself, where its role decides it."""
    kind = layer_kind(module)
    return kind if kind in COST_ROLES else None


@dataclass
class ModuleRecord:
    input_shape: list | None = None
    output_shape: list | None = None
    activation_bytes: int = 0
    macs: int = 0
    flops: int = 0
    own_macs: int = 0
    own_flops: int = 0
    rf: RF | GlobalRF | None = None
    depth: int | None = None  # weight layers on the longest path from the input to this output
    order: int | None = None  # position of the first call in execution order
    in_keys: list | None = None  # data flow: traced tensors the first call consumed / produced
    out_keys: list | None = None
    calls: int = 0


def first_tensor(obj):
    for leaf in tree_leaves(obj):
        if isinstance(leaf, torch.Tensor):
            return leaf
    return None


def nbytes(obj) -> int:
    return sum(t.numel() * t.element_size() for t in tree_leaves(obj) if isinstance(t, torch.Tensor))


@dataclass
class ModuleTracker:
    """The stack of running modules and one record per module.

    ``observer`` (the dispatch mode, set once it exists) tells which tensors
    are traced (``keys``), their receptive field (``rf``) and depth."""

    model: nn.Module
    names: list = field(default_factory=list)
    modules: list = field(default_factory=list)
    calls: list = field(default_factory=list)  # a number per module call, so two calls of one module differ
    count: int = 0
    records: dict = field(default_factory=dict)
    observer: CostMode | None = None
    _handles: list = field(default_factory=list, repr=False)
    _order: int = 0

    def __enter__(self) -> ModuleTracker:
        for name, module in self.model.named_modules():
            self.records[name] = ModuleRecord()
            # first of the pre-hooks: what a layer's own pre-hooks compute (pruning's weight x mask,
            # weight norm's g x v / |v|) is that layer's work
            self._handles.append(module.register_forward_pre_hook(self._pre(name), prepend=True))
            self._handles.append(module.register_forward_hook(self._post(name)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    @property
    def innermost(self) -> tuple[str, nn.Module] | None:
        return (self.names[-1], self.modules[-1]) if self.modules else None

    def _traced_keys(self, obj) -> list:
        if self.observer is None:  # nothing traced yet: the callers ask only once it exists
            return []
        keys = self.observer.keys
        return [keys[id(a)] for a in tree_leaves(obj) if isinstance(a, torch.Tensor) and id(a) in keys]

    def _pre(self, name: str):
        def hook(mod, inputs):
            self.names.append(name)
            self.modules.append(mod)
            self.calls.append(self.count)
            self.count += 1
            rec = self.records[name]
            if rec.order is None:
                rec.order = self._order
                self._order += 1
            t = first_tensor(inputs)
            if t is not None:
                rec.input_shape = list(t.shape)
            if self.observer is not None and rec.in_keys is None:
                rec.in_keys = self._traced_keys(inputs)
        return hook

    def _post(self, name: str):
        def hook(mod, inputs, output):
            self.names.pop()
            self.modules.pop()
            self.calls.pop()
            rec = self.records[name]
            rec.calls += 1
            t = first_tensor(output)
            if t is not None:
                rec.output_shape = list(t.shape)
                if self.observer is not None:
                    rec.rf = self.observer.rf.get(id(t))
                    rec.depth = self.observer.depth.get(id(t))
            if self.observer is not None and rec.out_keys is None:
                rec.out_keys = self._traced_keys(output)
            rec.activation_bytes = nbytes(output)
        return hook


__all__ = ["COST_ROLES", "ModuleRecord", "ModuleTracker", "cost_role", "first_tensor", "layer_kind", "nbytes"]
