"""One forward pass, observed at the dispatch level.

The jobs are split by module: ``modules`` keeps the stack of running modules
(forward hooks) and their records; ``shapes`` answers simple ops on the meta
device quickly; ``formulas`` prices each aten op; ``receptive_ops`` moves the
receptive field through it; this module's ``CostMode`` runs each op once and
hands it to those (the ~ten lines of ``__torch_dispatch__``), charging the cost
to the innermost module ("own") and every module on the stack ("inclusive"),
and records the data flow (which op read and wrote which traced tensor). A
second, training-mode pass registers ``saved_tensors_hooks`` to see exactly
which tensors autograd keeps for backward.

On the meta device no op computes anything, so the cost of a pass does not
grow with the input size, the batch or the weights.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn
from torch.utils._pytree import tree_leaves

from archscope.analysis import formulas
from archscope.analysis.modules import ModuleRecord, ModuleTracker, cost_role
from archscope.analysis.receptive import INPUT, RF, GlobalRF
from archscope.analysis.receptive_ops import WEIGHT_OPS, output_field
from archscope.analysis.shapes import FastMetaMode

aten = torch.ops.aten


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
    # the numbers an elementwise op was given besides its tensors (a residual scaled by 0.17, a clamp's
    # bounds): settings of a functional op, as a layer's are its attributes
    scalars: tuple = ()


@dataclass
class PassResult:
    records: dict[str, ModuleRecord]
    flops_by_category: dict[str, int]
    uncounted_ops: dict[str, int]
    output: object = None
    flow: list[FlowOp] | None = None
    shapes: dict[int, list[int]] | None = None
    output_keys: list[int] | None = None
    # one training step's extra work, by formulas.TRAINING_RULE: "forward_extra" (FLOPs a training-mode
    # forward adds), "backward_macs" (the gradients' matrix products), "backward_flops" (the rest)
    training: dict[str, int] | None = None


class CostMode(FastMetaMode):
    def __init__(self, tracker: ModuleTracker, input_grad: bool = False):
        super().__init__()
        self.tracker = tracker
        tracker.observer = self
        self.by_category: Counter = Counter()
        self.uncounted: Counter = Counter()
        # the tensors that would need a gradient in a training step (ids): trainable parameters, what is
        # computed from them, and the inputs if they require one (formulas.TRAINING_RULE)
        self.input_grad = input_grad
        self.grad: set[int] = {id(p) for p in tracker.model.parameters() if p.requires_grad}
        self.training: Counter = Counter(forward_extra=0, backward_macs=0, backward_flops=0)
        # every op whose result needs a gradient: (its outputs, its inputs that need one, its backward); the
        # backward runs only for those the loss reaches (``backward_reached``)
        self.steps: list[tuple[tuple[int, ...], tuple[int, ...], formulas.Backward]] = []
        self.rf: dict[int, RF | GlobalRF | None] = {}  # None: off the spatial path
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
        # a receptive field is a region of an image: only an (N, C, H, W) input has one (not token ids)
        self.rf[id(t)] = INPUT if t.dim() == 4 and t.is_floating_point() else None
        self.depth[id(t)] = 0
        if self.input_grad and t.is_floating_point():
            self.grad.add(id(t))
        self.key(t)
        self._alive.append(t)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = self.run(func, args, kwargs)
        packet = func._overloadpacket
        traced = [a for a in tree_leaves(args) if isinstance(a, torch.Tensor) and id(a) in self.rf]
        entry = formulas.lookup(packet)
        cost = None
        needs = self._needs_grad(packet, args, kwargs)
        back = formulas.Backward()
        if entry is not None:
            cost = entry[0](args, kwargs, out)
            if cost.macs or cost.flops:
                self._charge(cost, self._category(entry[1], args, traced))
                back = self._train(packet, args, kwargs, out, cost)
        elif packet not in formulas.ZERO_COST:
            self.uncounted[str(packet)] += 1
        if needs:
            inputs = tuple(id(a) for a in tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)
                           and id(a) in self.grad)
            self.steps.append((self._mark_grad(out), inputs, back))
        if traced:
            self._follow(packet, args, kwargs, out, traced, cost)
        return out

    def _needs_grad(self, packet, args, kwargs) -> bool:
        """Whether the op's result would need a gradient: one of its tensors does (``detach`` cuts it)."""
        if packet in (aten.detach, aten.lift_fresh, aten.lift_fresh_copy) or not self.grad:
            return False
        return any(isinstance(a, torch.Tensor) and id(a) in self.grad for a in tree_leaves((args, kwargs)))

    def _mark_grad(self, out) -> tuple[int, ...]:
        ids = []
        for o in tree_leaves(out):
            if isinstance(o, torch.Tensor) and (o.is_floating_point() or o.is_complex()):
                self.grad.add(id(o))
                self._alive.append(o)  # its id stays its own for the rest of the pass
                ids.append(id(o))
        return tuple(ids)

    def _train(self, packet, args, kwargs, out, cost: formulas.Cost) -> formulas.Backward:
        """The op's share of a training step beyond the eval forward (formulas.TRAINING_RULE): the FLOPs a
        training-mode forward adds (counted here), and its backward (counted if the loss reaches it)."""
        extra = formulas.training_forward_extra(packet, args, kwargs, out, cost)
        self.training["forward_extra"] += extra
        train_cost = formulas.Cost(cost.macs, cost.flops + extra, cost.parts)  # as a training forward runs it
        return formulas.backward_cost(packet, args, kwargs, out, train_cost, lambda t: id(t) in self.grad)

    def backward_reached(self, outputs) -> None:
        """Adds the backward of every op the loss reaches: autograd walks back from the loss (computed from
        every tensor the model returns) and runs an op's backward only if one of its outputs leads there
        through ops that need gradients; a detached or unused result costs nothing."""
        live = {id(t) for t in tree_leaves(outputs) if isinstance(t, torch.Tensor) and id(t) in self.grad}
        for outs, ins, back in reversed(self.steps):
            if live.intersection(outs):
                live.update(ins)
                self.training["backward_macs"] += back.macs
                self.training["backward_flops"] += back.flops

    def _category(self, category: str, args, traced) -> str:
        """The op's own category, unless the module issuing it has a role (norm, activation, pooling,
        attention) that decides; a product with a weight stays a conv or linear FLOP inside any module.
        A matrix product of two traced tensors (activations, not weights: attention's Q.K^T and A.V) is
        attention's."""
        if category in ("conv", "linear"):
            mats = [a for a in args[:3] if isinstance(a, torch.Tensor) and a.dim() >= 2]
            if category == "linear" and len(mats) >= 2 and all(id(m) in self.rf for m in mats):
                return "attention"
            return category
        inner = self.tracker.innermost
        return (cost_role(inner[1]) if inner else None) or category

    def _charge(self, cost: formulas.Cost, category: str) -> None:
        inner = self.tracker.innermost
        if inner is not None:
            records = self.tracker.records
            own = records[inner[0]]
            own.own_macs += cost.macs
            own.own_flops += cost.flops
            for name in set(self.tracker.names):
                rec = records[name]
                rec.macs += cost.macs
                rec.flops += cost.flops
        for cat, flops in (cost.parts or ((category, cost.flops),)):
            self.by_category[cat] += flops

    def _follow(self, packet, args, kwargs, out, traced, cost) -> None:
        """Receptive field, depth and data flow of the op's outputs."""
        depth = max(self.depth[id(a)] for a in traced) + (1 if packet in WEIGHT_OPS else 0)
        x = args[0] if args and isinstance(args[0], torch.Tensor) else None
        rf = output_field(packet, args, kwargs, [self.rf[id(a)] for a in traced],
                          self.rf.get(id(x)) if x is not None else None)
        ins_keys = [self.keys[id(a)] for a in traced]
        outs_keys = []
        for o in tree_leaves(out):
            if isinstance(o, torch.Tensor):
                self.rf[id(o)] = rf
                self.depth[id(o)] = depth
                self._alive.append(o)
                outs_keys.append(self.key(o))
        t = self.tracker
        scalars = _scalars(args, kwargs) if packet in formulas.ELEMENTWISE else ()
        self.flow.append(FlowOp(str(packet).removeprefix("aten."), tuple(t.names), ins_keys, outs_keys,
                                cost.macs if cost else 0, cost.flops if cost else 0, t.calls[-1] if t.calls else -1,
                                scalars))

def _scalars(args, kwargs) -> tuple:
    """Numbers among an op's arguments: Python numbers, and the 0-dim CPU tensors torch wraps them in
    (``0.17 * x`` reaches aten.mul as a wrapped number)."""
    out = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, (int, float)) and not isinstance(a, bool):
            out.append(a)
        elif isinstance(a, torch.Tensor) and a.dim() == 0 and a.device.type == "cpu" and not a.requires_grad:
            out.append(a.item())
    return tuple(out)


class ForwardError(Exception):
    """A forward pass failed inside ``module`` (qualified name)."""

    def __init__(self, module: str, module_type: str, error: BaseException):
        super().__init__(f"{module or '<model>'} ({module_type}): {error}")
        self.module = module
        self.module_type = module_type
        self.error = error


def _as_inputs(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def cost_pass(model: nn.Module, x, *, answer_shapes: bool = True, input_grad: bool = False) -> PassResult:
    """Inference forward (the model's eval mode, no grad) under the cost mode; ``x`` one input tensor
    or a tuple of them (``model(*x)``). The training step's backward is priced from the same pass:
    gradients for the parameters with ``requires_grad`` and what depends on them, and for the inputs
    with ``input_grad``."""
    xs = _as_inputs(x)
    was_training = model.training
    model.eval()
    try:
        with ModuleTracker(model) as tracker, torch.no_grad():
            mode = CostMode(tracker, input_grad=input_grad)
            mode.answer_shapes = answer_shapes and all(t.is_meta for t in xs)
            with mode:
                for t in xs:
                    mode.mark_input(t)
                try:
                    out = model(*xs)
                except Exception as e:
                    name, mod = tracker.innermost or ("", model)
                    raise ForwardError(name, type(mod).__name__, e) from e
    finally:
        model.train(was_training)
    mode.backward_reached(out)
    out_keys = [mode.keys[id(t)] for t in tree_leaves(out) if isinstance(t, torch.Tensor) and id(t) in mode.keys]
    return PassResult(tracker.records, dict(mode.by_category), dict(mode.uncounted), out, mode.flow, mode.shapes,
                      out_keys, dict(mode.training))


def saved_tensor_bytes(model: nn.Module, x, *, answer_shapes: bool = True) -> int:
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
        xs = _as_inputs(x)
        mode = FastMetaMode()
        mode.answer_shapes = answer_shapes and all(t.is_meta for t in xs)
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), mode:
            model(*xs)
    finally:
        model.train(was_training)
    return sum(seen.values())


def subtree_params(module: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameters of a module and its children, shared ones once."""
    unique = {id(p): p for p in module.parameters()}.values()
    total = sum(p.numel() for p in unique)
    trainable = sum(p.numel() for p in unique if p.requires_grad)
    return total, trainable


def all_subtree_params(model: nn.Module) -> dict[int, tuple[int, int]]:
    """``subtree_params`` of every module (keyed by ``id``) in one bottom-up walk: asking each module
    for its ``parameters()`` walks its subtree again, cubic in the nesting depth of a deep chain."""
    order, seen = [], {id(model)}
    kids = lambda m: iter([c for c in m._modules.values() if c is not None])  # noqa: E731
    stack = [(model, kids(model))]
    while stack:  # post-order without recursion: a deep nesting must not need a deep stack
        m, children = stack[-1]
        c = next(children, None)
        while c is not None and id(c) in seen:
            c = next(children, None)
        if c is None:
            stack.pop()
            order.append(m)
        else:
            seen.add(id(c))
            stack.append((c, kids(c)))
    below: dict[int, dict[int, nn.Parameter]] = {}
    for m in order:  # children before parents (a module reached twice is counted once)
        mine = {id(p): p for p in m._parameters.values() if p is not None}
        for c in m._modules.values():
            if c is not None and id(c) in below:
                mine.update(below[id(c)])
        below[id(m)] = mine
    return {k: (sum(p.numel() for p in v.values()), sum(p.numel() for p in v.values() if p.requires_grad))
            for k, v in below.items()}


__all__ = ["CostMode", "FastMetaMode", "FlowOp", "ForwardError", "PassResult", "all_subtree_params", "cost_pass",
           "saved_tensor_bytes", "subtree_params"]
