"""Where two builds of one architecture differ, layer by layer, and what each
difference costs.

The two networks are aligned on their traced data flow, not on module names
(a Keras-style port and a torchvision build name everything differently):
each side becomes the sequence of its *calls* in execution order (a module
called twice is two calls; a residual add or a concatenation written in a
forward is a call of its own), and the two are paired by ``align.Aligner``:
merges whose inputs branch from one tensor become regions whose branches are
paired by content (so branches listed in another order pair with their
counterparts), and sequences are paired by dynamic programming on each
layer's kind and settings. What is left over is present on one side only.

A paired layer whose settings differ, and a layer present on one side only,
is a *difference*; so is a paired concatenation that takes its branches in
another order, and a paired layer that reads the output of a layer that is
not its counterpart's input (a changed connection). A paired layer with the
same settings whose cost still changed (its input grew because a stride
moved upstream) is a *knock-on*: its
cost is charged to the nearest difference upstream of it in the data flow,
or to the input when none is. So the listed differences' costs add up to the
difference of the totals, exactly; what no call accounts for (parameters of
modules that never ran) is listed as such.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from archscope.analysis.align import _MAX_EDITS, Aligner, Side, opcodes
from archscope.analysis.modules import layer_kind
from archscope.analysis.receptive import RF, rf_to_dict
from archscope.analysis.result import Analysis

# Settings that follow from the layer's input rather than define the layer: a
# different value is a consequence of a difference upstream, not one of its own.
_FROM_INPUT = {"in_channels", "in_features", "num_features"}
# Settings that must equal the input's width and give the output the same (a LayerNorm's normalized_shape,
# attention's embed_dim): a layer's own difference, shown and charged its own cost, but never the cause of a
# knock-on downstream (the layer that changed the width is; a width 32 -> 48 diff charged the attention's
# +15.73M MACs to its LayerNorm).
_FOLLOWS_INPUT = {"normalized_shape", "embed_dim", "kdim", "vdim", "num_channels"}
# Modules whose ``__constants__`` leave their geometry out: the attributes that define them.
_SETTINGS: tuple[tuple[type, tuple[str, ...]], ...] = (
    (nn.MultiheadAttention, ("embed_dim", "num_heads", "dropout", "add_zero_attn")),
)
_IGNORED = {"inplace", "return_indices", "_reversed_padding_repeated_twice"}
# Functional ops in a forward that are calls of their own even without a cost (merges).
_MERGES = {"add", "add_", "cat", "mul", "mul_", "sub", "stack"}
COSTS = ("params", "macs", "flops", "activation_bytes")
# Ops written in a forward that do what a module would: F.relu pairs with nn.ReLU.
_FUNCTIONAL = {"relu": ("activation", "ReLU"), "relu_": ("activation", "ReLU"), "sigmoid": ("activation", "Sigmoid"),
               "tanh": ("activation", "Tanh"), "hardtanh": ("activation", "Hardtanh"),
               "hardtanh_": ("activation", "Hardtanh"), "gelu": ("activation", "GELU"), "silu": ("activation", "SiLU"),
               "leaky_relu": ("activation", "LeakyReLU"), "max_pool2d_with_indices": ("pooling", "MaxPool2d"),
               "max_pool2d": ("pooling", "MaxPool2d"), "avg_pool2d": ("pooling", "AvgPool2d"),
               "_adaptive_avg_pool2d": ("pooling", "AdaptiveAvgPool2d")}


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
    call: int = -1  # the tracer's number of this module call
    reused: bool = False  # a later call of a module that already ran (its weights are shared)
    functional: str | None = None  # the aten op, for an op written in a forward rather than a module
    in_shape: list | None = None
    out_shape: list | None = None

    @property
    def label(self) -> str:
        where = self.module or "<model>"
        return where + (f" ({self.functional})" if self.functional else "")


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
    receptive_field: list | None = None  # [A, B] (receptive.RF or GLOBAL) at this layer, when their sizes differ


@dataclass
class Diff:
    a: str
    b: str
    input_a: list
    input_b: list
    same: bool
    totals: dict  # quantity -> [A, B]
    changes: list
    unattributed: dict  # quantity -> B minus A that no row accounts for
    notes: list = field(default_factory=list)
    # quantity -> the modules where the unattributed part lies: blocks whose own forward computes on tensors
    # the trace does not follow (MACs, FLOPs)
    unattributed_in: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for c, out in zip(self.changes, d["changes"], strict=True):
            if c.receptive_field is not None:  # the summary's JSON form of a field, on each side
                out["receptive_field"] = [rf_to_dict(rf) for rf in c.receptive_field]
        return d

    def delta(self, q: str) -> int:
        a, b = self.totals[q]
        return b - a


def _rf_size(rf):
    """What a change's receptive field is compared on: its size (GLOBAL and None as themselves)."""
    return rf.size if isinstance(rf, RF) else rf


def _kind(module: nn.Module) -> str:
    kind = layer_kind(module)
    if kind == "other" and "pad" in type(module).__name__.lower():
        return "pad"  # a port's own padding layer (TF-style "same")
    return kind if kind != "other" else "other:" + type(module).__name__


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
    for cls, attrs in _SETTINGS:
        if isinstance(module, cls):
            cfg.update({n: getattr(module, n, None) for n in attrs})
            names = names or list(attrs)
    if isinstance(module, nn.MultiheadAttention):
        if not module._qkv_same_embed_dim:  # keys and values of their own widths
            cfg.update(kdim=module.kdim, vdim=module.vdim)
        cfg["bias"] = module.in_proj_bias is not None
        cfg["add_bias_kv"] = module.bias_k is not None
    if not names:
        extra = module.extra_repr()
        if extra:
            cfg["settings"] = extra
    return cfg


def _defining(cfg: dict) -> dict:
    return {k: v for k, v in cfg.items() if k not in _FROM_INPUT}


# The settings that give a layer its geometry: layers that agree on these but not on the rest (a width, a
# bias, a batch-norm epsilon) are the same layer, changed.
_SHAPE = ("type", "kernel_size", "stride", "output_size", "out_features")  # a Linear's geometry is its width


def _geometry(call: Call) -> tuple:
    return (call.kind, *(repr(call.config.get(k)) for k in _SHAPE))


def units(analysis: Analysis) -> set[str]:
    """The modules that are one call each: those that ran with no module inside them running (a leaf layer;
    nn.MultiheadAttention, whose out_proj is read through F.linear and never runs). The model itself is none."""
    ran = [l.name for l in analysis.layers if l.calls and l.name]
    above = {n.rsplit(".", i)[0] for n in ran for i in range(1, n.count(".") + 1)}
    return {n for n in ran if n not in above}


def charged_params(analysis: Analysis) -> dict[str, int]:
    """Each module's parameters, counted once each (analysis/rows.py): those charged to it and to the modules
    inside it."""
    out: dict[str, int] = {}
    for c in analysis.charges:
        parts = c.row.split(".") if c.row else []
        for i in range(1, len(parts) + 1):
            key = ".".join(parts[:i])
            out[key] = out.get(key, 0) + c.numel
    return out


def _remainders(analysis: Analysis) -> dict[str, tuple[int, int]]:
    """MACs and FLOPs a module issued on tensors the trace does not follow (arithmetic on its weights only):
    its own cost less its own ops in the flow."""
    seen: dict[str, list[int]] = {}
    for f in analysis.flow:
        if f.stack:
            own = seen.setdefault(f.stack[-1], [0, 0])
            own[0] += f.macs
            own[1] += f.flops
    out = {}
    for l in analysis.layers:
        macs, flops = seen.get(l.name, (0, 0))
        if l.own_macs != macs or l.own_flops != flops:
            out[l.name] = (l.own_macs - macs, l.own_flops - flops)
    return out


def calls_of(analysis: Analysis, model: nn.Module) -> list[Call]:
    """The network as its sequence of calls, from the analysis' data flow: a call of each unit (``units``),
    with the parameters charged to it (its first call) and all it computed, and a call of each functional op
    written in a forward that merges tensors or costs something."""
    modules = dict(model.named_modules())
    itemsize = getattr(torch, analysis.dtype).itemsize
    unit = units(analysis)
    params = charged_params(analysis)
    rest = _remainders(analysis)
    calls: list[Call] = []
    seen: set[str] = set()
    current: Call | None = None
    for i, f in enumerate(analysis.flow):
        name = f.stack[-1] if f.stack else ""
        if name in unit and name in modules:
            if current is None or current.module != name or current.call != f.call:
                m = modules[name]
                current = Call(name, _kind(m), layer_config(m), i, call=f.call, reused=name in seen)
                if name not in seen:
                    seen.add(name)
                    current.params = params.get(name, 0)
                    current.macs, current.flops = rest.get(name, (0, 0))
                current.in_shape = analysis.tensor_shapes.get(f.inputs[0]) if f.inputs else None
                calls.append(current)
            call = current
        else:  # an op written in a forward: a call of its own when it merges tensors or costs something
            current = None
            if f.op not in _MERGES and not (f.macs or f.flops):
                continue
            kind, typ = _FUNCTIONAL.get(f.op, ("fn:" + f.op, f.op))
            config = {"type": typ, **({"scalars": f.scalars} if f.scalars else {})}  # 0.17 * x: its 0.17
            call = Call(name, kind, config, i, functional=f.op)
            call.in_shape = analysis.tensor_shapes.get(f.inputs[0]) if f.inputs else None
            calls.append(call)
        call.ops.append(i)
        call.macs += f.macs
        call.flops += f.flops
        if f.outputs:
            call.out_shape = analysis.tensor_shapes.get(f.outputs[0])
            call.activation_bytes = math.prod(call.out_shape or [0]) * itemsize
    return calls


def _silent_modules(analysis: Analysis, model: nn.Module) -> list[Call]:
    """Leaf modules that issued no op in the traced forward (dropout in eval mode, heads that only run in
    training), in definition order: compared by their settings and parameters alone. Left out: an
    ``nn.Identity`` (it computes nothing and has no setting, so a network holding one as a placeholder,
    VGG's ``avgpool`` where torchvision has an adaptive pool, does not differ by it) and a module inside a
    unit that ran (attention's out_proj: its parameters are the attention's)."""
    active = {f.stack[-1] for f in analysis.flow if f.stack}
    inside = units(analysis)
    params = charged_params(analysis)
    out = []
    for name, m in model.named_modules():
        if name and next(m.children(), None) is None and name not in active and not isinstance(m, nn.Identity) \
                and not any(name.startswith(u + ".") for u in inside):
            out.append(Call(name, _kind(m), layer_config(m), -1, params=params.get(name, 0)))
    return out


def _held_by_blocks(analysis: Analysis) -> dict[str, int]:
    """Parameters charged to a module that is no call (a block or the model holding a weight it uses itself,
    a position embedding): module -> how many."""
    unit = units(analysis)
    out: dict[str, int] = {}
    for c in analysis.charges:
        if c.row not in unit and not any(c.row.startswith(u + ".") for u in unit) and c.how != "unused":
            out[c.row] = out.get(c.row, 0) + c.numel
    return out


def _align(ca: list[Call], cb: list[Call]) -> list[tuple[int | None, int | None]]:
    """Pairs (index in A, index in B) of the silent modules (no data flow to align on), in definition order;
    None where a module is on one side only."""
    out: list[tuple[int | None, int | None]] = []
    # geometry first: layers that agree on type, kernel and stride are the same layer (their other settings
    # are compared after); exact signatures first would cut a port that changed every bias into thousands
    # of tiny blocks
    passes = (_geometry, lambda c: c.kind)

    def align(level, i1, i2, j1, j2):
        if level == len(passes) or i1 == i2 or j1 == j2:
            out.extend((i, None) for i in range(i1, i2))
            out.extend((None, j) for j in range(j1, j2))
            return
        key = passes[level]
        ops = opcodes([key(c) for c in ca[i1:i2]], [key(c) for c in cb[j1:j2]], _MAX_EDITS)
        if ops is None:  # too different on these keys: the coarser ones, or one-sided
            align(level + 1, i1, i2, j1, j2)
            return
        for tag, a1, a2, b1, b2 in ops:
            if tag == "equal":
                out.extend(zip(range(i1 + a1, i1 + a2), range(j1 + b1, j1 + b2), strict=True))
            else:
                align(level + 1, i1 + a1, i1 + a2, j1 + b1, j1 + b2)

    align(0, 0, len(ca), 0, len(cb))
    return out


def _connections(pairs, a: Side, b: Side) -> dict[tuple[int, int], tuple[list[str], list[str]]]:
    """Paired calls that read from layers which are not each other's pair: a changed connection (the Keras
    pre-activation ResNet's projection shortcut reads the block's input, the paper's its pre-activation).
    Only where every layer each side reads is paired (or the input): a layer read on one side only is a
    difference of its own (an inserted pad, a residual sum one network lacks), not a changed connection."""
    a2b = {i: j for i, j in pairs if i is not None and j is not None}
    paired_b = set(a2b.values())

    def labels(side: Side, srcs) -> list[str]:
        return sorted(side.calls[s].label if s >= 0 else "input" for s in srcs)

    out = {}
    for i, j in a2b.items():
        sa, sb = a.preds[i], b.preds[j]
        if not all(s == -1 or s in a2b for s in sa) or not all(s == -1 or s in paired_b for s in sb):
            continue
        if frozenset(a2b.get(s, s) for s in sa) != sb:
            out[(i, j)] = (labels(a, sa), labels(b, sb))
    return out


def _changes_shape(change_pair: tuple[Call | None, Call | None]) -> bool:
    """Whether a difference changes the tensors downstream (a width, a size): only those cause knock-ons.
    A layer whose only changed settings follow its input's width (``_FOLLOWS_INPUT``) passes a change on
    rather than making one."""
    x, y = change_pair
    if x is not None and y is not None:
        da, db = _defining(x.config), _defining(y.config)
        changed = {k for k in set(da) | set(db) if da.get(k) != db.get(k)}
        if changed and changed <= _FOLLOWS_INPUT and x.reused == y.reused:
            return False
        return x.out_shape != y.out_shape
    one = _present(x, y)
    return one.out_shape != one.in_shape


class _Graph:
    """One side's data flow, indexed once: which op wrote each tensor, which call ran each op."""

    def __init__(self, calls: list[Call], flow):
        self.flow = flow
        self.op_call = {op: k for k, c in enumerate(calls) for op in c.ops}
        self.producer: dict[int, int] = {}
        for i, f in enumerate(flow):
            for o in f.outputs:
                self.producer.setdefault(o, i)


def _present(x: Call | None, y: Call | None) -> Call:
    """The call of a pair that has one (an alignment never pairs nothing with nothing)."""
    one = x or y
    assert one is not None, "an aligned pair with neither side"
    return one


def _upstream_site(start: Call, g: _Graph, site_of_call: dict[int, int], shaping: set[int]) -> int | None:
    """The nearest difference upstream of a call in the data flow (breadth first) that changes the
    tensors' shape, or None."""
    flow, producer, op_call = g.flow, g.producer, g.op_call
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
            if k is not None and k in site_of_call and site_of_call[k] in shaping:
                return site_of_call[k]
            nxt.extend(flow[op].inputs)
        frontier = nxt
    return None


def _unbatched(a: Analysis) -> list:
    """The input without its batch: [C, H, W], or one such list per input for a model with several."""
    return [i["shape"][1:] for i in a.inputs] if len(a.inputs) > 1 else list(a.input_shape[1:])


def _shown(a: Analysis) -> str:
    shapes = _unbatched(a)
    return ", ".join("x".join(map(str, s)) for s in shapes) if len(a.inputs) > 1 else "x".join(map(str, shapes))


def side_name(spec, args: dict | None) -> str:
    """How a side is named: its spec, with the knobs it was built with (``inception_v1[reductions=False]``)."""
    return f"{spec}[{', '.join(f'{k}={v!r}' if isinstance(v, str) else f'{k}={v}' for k, v in args.items())}]" \
        if args else str(spec)


def _side(label: str, spec, input_shape, args: dict | None):
    """(name, model, analysis, calls) of one side; an error names the side and its model."""
    from archscope.analysis.engine import _resolve, analyze
    from archscope.errors import ArchscopeError

    shown = spec[0] if isinstance(spec, tuple) else side_name(spec, args)
    try:
        if isinstance(spec, tuple):
            name, model, shape = spec
        else:
            model, name, shape, _ = _resolve(spec, input_shape, args)
            name = side_name(name, args)
        a = analyze(model, input_shape if input_shape is not None else tuple(shape))
    except ArchscopeError as e:
        raise ArchscopeError(f"side {label} ({shown}): {e}") from None
    a.model = name
    return name, model, a, calls_of(a, model)


def diff(spec_a, spec_b, input_shape=None, *, args_a: dict | None = None, args_b: dict | None = None,
         progress=None) -> Diff:
    """Compare two models archscope can analyse (zoo names, ``module:callable`` specs, or
    ``(name, nn.Module, (C, H, W))`` triples); ``args_a``/``args_b`` are builder knobs for each side (a
    model against itself with other knobs: ``diff("googlenet", "googlenet", args_b={"reductions": False})``).
    ``progress(step, done, total)`` is called as the work goes (the alignment reports its share)."""
    report = progress or (lambda *_: None)
    report("analysing A", 0, 3)
    na, ma, aa, ca = _side("A", spec_a, input_shape, args_a)
    report("analysing B", 1, 3)
    nb, mb, ab, cb = _side("B", spec_b, input_shape, args_b)
    report("aligning", 2, 3)

    side_a, side_b = Side(ca, aa.flow, _defining, _geometry), Side(cb, ab.flow, _defining, _geometry)
    aligner = Aligner(side_a, side_b)
    pairs = aligner.pairs
    connection = _connections(pairs, side_a, side_b)
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
            if x.reused != y.reused:  # one network shares this layer's weights with an earlier call, the other not
                da = {**da, "weights": "shared with an earlier call" if x.reused else "its own"}
                db = {**db, "weights": "shared with an earlier call" if y.reused else "its own"}
            if (i, j) in aligner.orders:  # a concatenation of the same branches in another order
                order = aligner.orders[(i, j)]
                da, db = {**da, "branch order": list(range(1, len(order) + 1))}, {**db, "branch order": order}
            if (i, j) in connection:  # the same layer, reading another layer's output
                da, db = {**da, "input from": connection[(i, j)][0]}, {**db, "input from": connection[(i, j)][1]}
            if da == db:
                if any(cost(x, y).values()):
                    knock.append((i, j))
                continue
            fields: dict[str, object] = {k: [da.get(k), db.get(k)] for k in sorted(set(da) | set(db))
                                         if da.get(k) != db.get(k)}
            kind = "changed"
        else:
            fields = _defining(_present(x, y).config)
            kind = "only_a" if x is not None else "only_b"
        rf = None
        if x is not None and y is not None and _rf_size(rf_a.get(x.module)) != _rf_size(rf_b.get(y.module)):
            rf = [rf_a.get(x.module), rf_b.get(y.module)]
        ch = Change(kind, x.label if x else None, y.label if y else None, x.config["type"] if x else None,
                    y.config["type"] if y else None, fields, cost(x, y), receptive_field=rf)
        k = len(changes)
        changes.append(ch)
        if i is not None:
            site_a[i] = k
        if j is not None:
            site_b[j] = k

    pair_of_change = {}
    for i, j in pairs:
        site = site_a.get(i) if i is not None else site_b.get(j)
        if site is not None:
            pair_of_change[site] = (ca[i] if i is not None else None, cb[j] if j is not None else None)
    shaping = {k for k, pr in pair_of_change.items() if _changes_shape(pr)}
    input_change = None
    same_input = list(aa.input_shape) == list(ab.input_shape)
    ga, gb = _Graph(ca, aa.flow), _Graph(cb, ab.flow)
    for i, j in knock:
        x, y = ca[i], cb[j]
        at = _upstream_site(y, gb, site_b, shaping)
        if at is None:
            at = _upstream_site(x, ga, site_a, shaping)
        if at is None and same_input:  # the same settings, a different cost, and nothing upstream explains it
            changes.append(Change("changed", x.label, y.label, x.config["type"], y.config["type"],
                                  {"cost": ["as A", "different with the same settings"]}, cost(x, y)))
            continue
        if at is None:
            if input_change is None:
                input_change = len(changes)
                changes.append(Change("input", "input", "input", None, None,
                                      {"shape": [_unbatched(aa), _unbatched(ab)]},
                                      dict.fromkeys(COSTS, 0)))
            at = input_change
        for q, v in cost(x, y).items():
            changes[at].cost[q] += v
        changes[at].knock_on.append(y.label)

    # modules that issued no op: compared by settings and parameters, in definition order
    sa, sb = _silent_modules(aa, ma), _silent_modules(ab, mb)
    for i, j in _align(sa, sb):
        x, y = (sa[i] if i is not None else None), (sb[j] if j is not None else None)
        if x is not None and y is not None:
            da, db = _defining(x.config), _defining(y.config)
            if da == db and x.params == y.params:
                continue
            fields = {k: [da.get(k), db.get(k)] for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)}
            if x.params != y.params:
                fields["params"] = [x.params, y.params]
            kind = "changed"
        else:
            fields = {**_defining(_present(x, y).config), "runs": "never in the traced forward"}
            kind = "only_a" if x is not None else "only_b"
        changes.append(Change(kind, x.label if x else None, y.label if y else None, x.config["type"] if x else None,
                              y.config["type"] if y else None, fields,
                              {"params": (y.params if y else 0) - (x.params if x else 0), "macs": 0, "flops": 0,
                               "activation_bytes": 0}))

    # parameters a block or the model holds and uses itself (no call carries them): compared by name
    ha, hb = _held_by_blocks(aa), _held_by_blocks(ab)
    for name in sorted(set(ha) | set(hb), key=lambda n: (n not in ha, n)):
        pa, pb = ha.get(name), hb.get(name)
        if pa == pb:
            continue
        where = name or "<model>"
        changes.append(Change("changed" if pa is not None and pb is not None else "only_a" if pb is None else "only_b",
                              where if pa is not None else None, where if pb is not None else None, None, None,
                              {"parameters it holds": [pa or 0, pb or 0]},
                              {"params": (pb or 0) - (pa or 0), "macs": 0, "flops": 0, "activation_bytes": 0}))

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
        notes.append(f"the inputs differ: {_shown(aa)} and {_shown(ab)} (give --input to compare both on one)")
    unattributed_in: dict[str, list[str]] = {}
    if unattributed:
        unit_a, unit_b = units(aa), units(ab)
        blocks = sorted({n or "<model>" for a, u in ((aa, unit_a), (ab, unit_b)) for n in _remainders(a)
                         if n not in u})
        unattributed_in = {q: blocks for q in unattributed if q != "params"}
        if "params" in unattributed:
            unattributed_in["params"] = sorted({c.row or "<model>" for a in (aa, ab) for c in a.charges
                                                if c.how == "unused"})
    same = not changes and not unattributed and totals["params"][0] == totals["params"][1]
    report("done", 3, 3)
    return Diff(na, nb, _unbatched(aa), _unbatched(ab), same, totals, changes, unattributed, notes, unattributed_in)


__all__ = ["Call", "Change", "Diff", "calls_of", "diff", "layer_config", "side_name"]
