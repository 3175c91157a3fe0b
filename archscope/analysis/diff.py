"""Where two builds of one architecture differ, layer by layer, and what each
difference costs.

The two networks are aligned on their traced data flow, not on module names
(a Keras-style port and a torchvision build name everything differently):
each side becomes the sequence of its *calls* in execution order (a module
called twice is two calls; a residual add or a concatenation written in a
forward is a call of its own), and the sequences are aligned twice with
``difflib.SequenceMatcher`` — first on each layer's geometry (type, kernel,
stride), which anchors every layer that is the same layer however its width,
bias or epsilon changed, then, between the anchors, on layer kinds (conv,
linear, norm, activation, pooling, ...), which pairs a layer whose kernel,
stride or type changed with its counterpart. What is left over is present on one side only.

A paired layer whose settings differ, and a layer present on one side only,
is a *difference*. A paired layer with the same settings whose cost still
changed (its input grew because a stride moved upstream) is a *knock-on*: its
cost is charged to the nearest difference upstream of it in the data flow,
or to the input when none is. So the listed differences' costs add up to the
difference of the totals, exactly; what no call accounts for (parameters of
modules that never ran) is listed as such.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from archscope.analysis.result import Analysis

# Settings that follow from the layer's input rather than define the layer: a
# different value is a consequence of a difference upstream, not one of its own.
_FROM_INPUT = {"in_channels", "in_features", "num_features"}
_IGNORED = {"inplace", "return_indices", "_reversed_padding_repeated_twice"}
# Functional ops in a forward that are calls of their own even without a cost (merges).
_MERGES = {"add", "add_", "cat", "mul", "mul_", "sub", "stack"}
COSTS = ("params", "macs", "flops", "activation_bytes")


@dataclass
class Call:
    """One call of a module (or one functional merge/op in a forward) on one side."""

    module: str  # qualified name of the module that ran it ("" the model itself)
    kind: str  # conv, linear, norm, activation, pooling, dropout, flatten, pad, fn:add, ...
    config: dict  # the layer's settings (type included)
    first_op: int  # index of its first op in the flow
    ops: list = field(default_factory=list)
    params: int = 0  # the module's own parameters, on its first call only
    macs: int = 0
    flops: int = 0
    activation_bytes: int = 0

    @property
    def label(self) -> str:
        return self.module + (f" ({self.kind[3:]})" if self.kind.startswith("fn:") else "")


@dataclass
class Change:
    kind: str  # "changed", "only_a", "only_b", "input"
    a: str | None  # where, in each network (None: absent there)
    b: str | None
    type_a: str | None
    type_b: str | None
    fields: dict  # setting -> [value in A, value in B] (changed layers); the settings (one side only)
    cost: dict  # params, macs, flops, activation_bytes: B minus A, knock-ons included
    knock_on: list = field(default_factory=list)  # layers (in B, else A) whose cost changed because of it
    receptive_field: list | None = None  # [A, B] at this layer, when it differs


@dataclass
class Diff:
    a: str
    b: str
    input_a: list
    input_b: list
    same: bool
    totals: dict  # quantity -> [A, B]
    changes: list
    unattributed: dict  # quantity -> B minus A that no call accounts for (e.g. modules that never ran)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def delta(self, q: str) -> int:
        a, b = self.totals[q]
        return b - a


def _kind(module: nn.Module) -> str:
    from archscope.analysis.tracer import module_category

    if isinstance(module, nn.modules.conv._ConvNd):
        return "conv"
    if isinstance(module, nn.Linear):
        return "linear"
    cat = module_category(module)
    if cat:
        return cat
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return "dropout"
    if isinstance(module, (nn.Flatten, nn.Unflatten)):
        return "flatten"
    if "pad" in type(module).__name__.lower():
        return "pad"
    return "other:" + type(module).__name__


def layer_config(module: nn.Module) -> dict:
    """A layer's settings, from torch's own declaration of them (``__constants__``), or the module's
    ``extra_repr`` for a class that declares none."""
    cfg: dict = {"type": type(module).__name__}
    names = [n for n in getattr(module, "__constants__", ()) if n not in _IGNORED]
    for n in names:
        v = getattr(module, n, None)
        cfg[n] = list(v) if isinstance(v, tuple) else v
    if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
        cfg["bias"] = module.bias is not None
    if not names:
        extra = module.extra_repr()
        if extra:
            cfg["settings"] = extra
    return cfg


def _defining(cfg: dict) -> dict:
    return {k: v for k, v in cfg.items() if k not in _FROM_INPUT}


# The settings that give a layer its geometry: layers that agree on these but not on the rest (a width, a
# bias, a batch-norm epsilon) are the same layer, changed.
_SHAPE = ("type", "kernel_size", "stride", "output_size")


def _geometry(call: Call) -> tuple:
    return (call.kind, *(repr(call.config.get(k)) for k in _SHAPE))


def calls_of(analysis: Analysis, model: nn.Module) -> list[Call]:
    """The network as its sequence of calls, from the analysis' data flow."""
    by_name = {l.name: l for l in analysis.layers}
    modules = dict(model.named_modules())
    itemsize = torch.finfo(getattr(torch, analysis.dtype)).bits // 8 if hasattr(torch, analysis.dtype) else 4
    calls: list[Call] = []
    seen_params: set[str] = set()
    prev_module = None
    for i, f in enumerate(analysis.flow):
        name = f.stack[-1] if f.stack else ""
        layer = by_name.get(name)
        leaf = layer is not None and layer.is_leaf and name in modules and name != ""
        if leaf:
            if prev_module == name and calls and calls[-1].module == name and not calls[-1].kind.startswith("fn:"):
                call = calls[-1]
            else:
                m = modules[name]
                call = Call(name, _kind(m), layer_config(m), i)
                if name not in seen_params:
                    seen_params.add(name)
                    call.params = sum(p.numel() for p in m.parameters())
                calls.append(call)
        else:  # a functional op in a forward: a call of its own when it merges tensors or costs something
            if f.op not in _MERGES and not (f.macs or f.flops):
                prev_module = None
                continue
            call = Call(name, "fn:" + f.op, {"type": f.op}, i)
            calls.append(call)
        call.ops.append(i)
        call.macs += f.macs
        call.flops += f.flops
        if f.outputs:
            call.activation_bytes = math.prod(analysis.tensor_shapes.get(f.outputs[0], [0])) * itemsize
        prev_module = name if leaf else None
    return calls


def _align(ca: list[Call], cb: list[Call]) -> list[tuple[int | None, int | None]]:
    """Pairs (index in A, index in B); None where a call is on one side only."""
    out: list[tuple[int | None, int | None]] = []
    # geometry first: layers that agree on type, kernel and stride are the same layer (their other settings
    # are compared after); exact signatures first would cut a port that changed every bias into thousands
    # of tiny blocks, and SequenceMatcher is quadratic in them
    passes = (_geometry, lambda c: c.kind)

    def align(level, i1, i2, j1, j2):
        if level == len(passes) or i1 == i2 or j1 == j2:
            out.extend((i, None) for i in range(i1, i2))
            out.extend((None, j) for j in range(j1, j2))
            return
        key = passes[level]
        sm = difflib.SequenceMatcher(None, [key(c) for c in ca[i1:i2]], [key(c) for c in cb[j1:j2]],
                                     autojunk=False)
        for tag, a1, a2, b1, b2 in sm.get_opcodes():
            if tag == "equal":
                out.extend(zip(range(i1 + a1, i1 + a2), range(j1 + b1, j1 + b2)))
            else:
                align(level + 1, i1 + a1, i1 + a2, j1 + b1, j1 + b2)

    align(0, 0, len(ca), 0, len(cb))
    return out


def _upstream_site(start: Call, calls: list[Call], flow, site_of_call: dict[int, int]) -> int | None:
    """The nearest difference upstream of a call in the data flow (breadth first), or None."""
    op_call = {op: k for k, c in enumerate(calls) for op in c.ops}
    producer = {}
    for i, f in enumerate(flow):
        for o in f.outputs:
            producer.setdefault(o, i)
    frontier = list(flow[start.ops[0]].inputs)
    seen: set[int] = set()
    while frontier:
        nxt = []
        for key in frontier:
            op = producer.get(key)
            if op is None or op in seen:
                continue
            seen.add(op)
            k = op_call.get(op)
            if k is not None and k in site_of_call:
                return site_of_call[k]
            nxt.extend(flow[op].inputs)
        frontier = nxt
    return None


def diff(spec_a, spec_b, input_shape=None) -> Diff:
    """Compare two models archscope can analyse (zoo names, ``module:callable`` specs, or
    ``(name, nn.Module, (C, H, W))`` triples)."""
    from archscope.analysis.engine import _resolve, analyze, parse_input

    sides = []
    for spec in (spec_a, spec_b):
        if isinstance(spec, tuple):
            name, model, shape = spec
        else:
            model, name, shape, _ = _resolve(spec, input_shape)
        shape = parse_input(input_shape) if input_shape is not None else tuple(shape)
        a = analyze(model, shape)
        a.model = name
        sides.append((name, model, a, calls_of(a, model)))
    (na, ma, aa, ca), (nb, mb, ab, cb) = sides

    pairs = _align(ca, cb)
    changes: list[Change] = []
    site_a: dict[int, int] = {}
    site_b: dict[int, int] = {}
    knock: list[tuple[int | None, int | None]] = []
    rf_a = {l.name: l.receptive_field for l in aa.layers}
    rf_b = {l.name: l.receptive_field for l in ab.layers}

    def cost(x: Call | None, y: Call | None) -> dict:
        return {q: (getattr(y, q) if y else 0) - (getattr(x, q) if x else 0) for q in COSTS}

    for i, j in pairs:
        x, y = (ca[i] if i is not None else None), (cb[j] if j is not None else None)
        if x is not None and y is not None:
            da, db = _defining(x.config), _defining(y.config)
            if da == db:
                if any(cost(x, y).values()):
                    knock.append((i, j))
                continue
            fields = {k: [da.get(k), db.get(k)] for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)}
            kind = "changed"
        else:
            one = x or y
            fields = _defining(one.config)
            kind = "only_a" if x is not None else "only_b"
        rf = None
        if x is not None and y is not None and rf_a.get(x.module) != rf_b.get(y.module):
            rf = [rf_a.get(x.module), rf_b.get(y.module)]
        ch = Change(kind, x.label if x else None, y.label if y else None, x.config["type"] if x else None,
                    y.config["type"] if y else None, fields, cost(x, y), receptive_field=rf)
        k = len(changes)
        changes.append(ch)
        if i is not None:
            site_a[i] = k
        if j is not None:
            site_b[j] = k

    input_change = None
    for i, j in knock:
        x, y = ca[i], cb[j]
        k = _upstream_site(y, cb, ab.flow, site_b)
        if k is None:
            k = _upstream_site(x, ca, aa.flow, site_a)
        if k is None:
            if input_change is None:
                input_change = len(changes)
                changes.append(Change("input", "input", "input", None, None,
                                      {"shape": [list(aa.input_shape[1:]), list(ab.input_shape[1:])]},
                                      dict.fromkeys(COSTS, 0)))
            k = input_change
        for q, v in cost(x, y).items():
            changes[k].cost[q] += v
        changes[k].knock_on.append(y.label)

    ta, tb = aa.totals, ab.totals
    totals = {"params": [ta.params, tb.params], "macs": [ta.macs, tb.macs], "flops": [ta.flops, tb.flops],
              "activation_bytes": [sum(c.activation_bytes for c in ca), sum(c.activation_bytes for c in cb)],
              "train_memory_bytes": [ta.train_memory_bytes, tb.train_memory_bytes],
              "depth": [ta.depth, tb.depth]}
    unattributed = {}
    for q in ("params", "macs", "flops"):
        listed = sum(c.cost[q] for c in changes)
        rest = (totals[q][1] - totals[q][0]) - listed
        if rest:
            unattributed[q] = rest
    notes = []
    if list(aa.input_shape) != list(ab.input_shape):
        notes.append(f"the inputs differ: {'x'.join(map(str, aa.input_shape[1:]))} and "
                     f"{'x'.join(map(str, ab.input_shape[1:]))} (give --input to compare both on one)")
    if "params" in unattributed:
        notes.append("parameters of modules that never ran in the traced forward (e.g. auxiliary heads, which "
                     "only run in training) are listed as unattributed")
    same = not changes and not unattributed and totals["params"][0] == totals["params"][1]
    return Diff(na, nb, list(aa.input_shape[1:]), list(ab.input_shape[1:]), same, totals, changes, unattributed,
                notes)


__all__ = ["Call", "Change", "Diff", "calls_of", "diff", "layer_config"]
