"""Where the parameters and the compute live: the network cut into stages by
the spatial resolution it works at.

A CNN works stage by stage at one resolution each — ResNet's conv2_x..conv5_x
at 56/28/14/7, VGG's five blocks, GoogLeNet's 3x/4x/5x Inception groups — so
grouping by output resolution finds the stages of every family without
naming them. A downsampling layer belongs to the stage it produces (ResNet's
stride-2 conv3_1 is in conv3_x, as in Table 1 of the paper).

The rules, each exact:
- compute: every op of the traced forward is charged to the stage of its
  output's resolution (H x W above 1x1). An op whose output has no such
  resolution (attention's tokens, a squeeze-and-excitation's 1x1 gate) is in
  the stage of the last op before it that had one, as long as a spatial op
  still follows it; after the last spatial op everything is the ``head``. A
  module's own ops that the trace does not follow (arithmetic on parameters
  only) are in its own stage (below).
- a module's stage: its output's resolution; a module whose output has none,
  the stage of its last op.
- parameters: each parameter is charged to one row (``analysis/rows.py``) and
  is in that row's stage; one held by a block and read by a call whose output
  has a resolution is in that call's stage; one that no call read is in the
  ``unused`` stage (it is in the total, and is no part of the forward).
- a resolution with no weights and no multiply-adds (VGG's pool5 output) is
  no stage of its own: it is folded into the next.
The stages add up to the totals exactly, parameters, MACs and FLOPs; ``stages``
checks it every time and raises ``StageSumError`` (a bug) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from archscope.analysis.result import Analysis, InputInfo

_COSTS = ("layers", "params", "macs", "flops")
UNUSED = "unused"  # the key of the parameters no call read


class StageSumError(RuntimeError):
    """The stages do not add up to the totals: a bug in the attribution, never a property of a model."""


@dataclass
class Stage:
    resolution: tuple[int, int] | None  # (H, W) of the maps it produces; None for the head and for unused
    layers: int = 0  # modules that ran with no module inside them running: layers (nn.MultiheadAttention one)
    params: int = 0  # each parameter once (see analysis/rows.py)
    macs: int = 0
    flops: int = 0
    unused: bool = False  # the parameters that no call of the traced forward read

    @property
    def name(self) -> str:
        """'56x56', 'head' or 'unused': the stage's key in JSON (``stage``)."""
        if self.unused:
            return UNUSED
        return "head" if self.resolution is None else f"{self.resolution[0]}x{self.resolution[1]}"

    def add(self, other: Stage) -> None:
        for f in _COSTS:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def to_dict(self) -> dict:
        return {"stage": self.name, "layers": self.layers, "params": self.params, "macs": self.macs,
                "flops": self.flops}


def stage_of(output_shape) -> tuple[int, int] | None:
    """The resolution an (N, C, H, W) output belongs to; None once it is 1x1 or has no H and W."""
    if output_shape and len(output_shape) == 4 and output_shape[2] * output_shape[3] > 1:
        return (output_shape[2], output_shape[3])
    return None


# ops that only re-index a tensor: their 4-d output is a map of the same resolution or none at all (a permute
# to channels-last, attention's heads split out of its tokens), never a new resolution
_LAYOUT = {"view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "unsqueeze", "squeeze",
           "as_strided", "unflatten", "flatten", "select", "split", "split_with_sizes", "chunk", "unbind"}


def op_stages(a: Analysis) -> list:
    """The stage key (a resolution, or None for the head) of each op of ``a.flow``.

    A tensor is a map of a resolution (H, W) when it is (N, C, H, W), H x W above 1, and comes from a map:
    the image input, then what convolutions, pools, norms and elementwise ops make of maps. A tensor keeps
    its map's resolution through any op while its last two axes stay (H, W) (LeNet's channels repeated
    through a 5-d view); a re-indexing op (view, permute) that moves them loses it (a permute to (N, H, W, C),
    attention's tokens and heads), and so does all that is computed from them alone."""
    shapes = a.tensor_shapes
    carried: dict[int, tuple] = {}  # tensor -> the (H, W) of the map it comes from, while its last axes are that
    given: list[InputInfo] = [{"shape": a.input_shape, "dtype": a.dtype}]  # an Analysis without `inputs`: its one input
    for i, inp in enumerate(a.inputs or given):
        shape = inp["shape"]
        if len(shape) == 4 and not inp["dtype"].startswith(("int", "uint", "bool")):
            carried[i] = tuple(shape[2:])
    res = []
    for f in a.flow:
        ins = [carried[k] for k in f.inputs if k in carried]
        for o in f.outputs:
            shape = shapes.get(o) or []
            if not ins or len(shape) < 3:
                continue
            hw = tuple(shape[-2:])
            if hw in ins or (f.op not in _LAYOUT and len(shape) == 4):
                carried[o] = hw  # the same map, or a new resolution made from a map (a strided conv, a pool)
        out = f.outputs[0] if f.outputs else None
        out_shape = shapes.get(out) or []
        res.append(stage_of(out_shape) if out in carried and len(out_shape) == 4 else None)
    spatial = [i for i, r in enumerate(res) if r is not None]
    if not spatial:
        return [None] * len(res)
    last, current = spatial[-1], res[spatial[0]]
    keys = []
    for i, r in enumerate(res):
        if r is not None:
            current = r
        keys.append(r if r is not None else current if i < last else None)
    return keys


def module_stages(a: Analysis, keys: list | None = None) -> dict:
    """The stage key of every module that ran: its output's resolution, else its last op's stage."""
    keys = op_stages(a) if keys is None else keys
    last_op: dict[str, int] = {}
    for i, f in enumerate(a.flow):
        for name in f.stack:
            last_op[name] = i
    out = {}
    for l in a.layers:
        if not l.calls:
            continue
        res = stage_of(l.output_shape)
        out[l.name] = res if res is not None or l.name not in last_op else keys[last_op[l.name]]
    return out


def stages(a: Analysis) -> list[Stage]:
    """The stages in execution order, the head after them and the unused parameters (if any) last."""
    keys = op_stages(a)
    of_module = module_stages(a, keys)
    rows: dict = {}
    first: dict = {}

    def row(key, when: int) -> Stage:
        first.setdefault(key, when)
        if key not in rows:
            rows[key] = Stage(None, unused=True) if key == UNUSED else Stage(key)
        return rows[key]

    seen: dict[str, list[int]] = {}  # module -> MACs and FLOPs of its own ops in the flow
    for i, (f, key) in enumerate(zip(a.flow, keys, strict=True)):
        if not f.stack:  # outside every module: in no module's cost, nor in the totals
            continue
        s = row(key, i)
        s.macs += f.macs
        s.flops += f.flops
        own = seen.setdefault(f.stack[-1], [0, 0])
        own[0] += f.macs
        own[1] += f.flops
    late = len(a.flow)  # stages met only through a module or a parameter come after those of the flow
    parents_of_ran = {n.rsplit(".", i)[0] for n in (l.name for l in a.layers if l.calls and l.name)
                      for i in range(1, n.count(".") + 1)} | ({""} if len(a.layers) > 1 else set())
    for l in a.layers:
        if not l.calls:
            continue
        macs, flops = seen.get(l.name, (0, 0))
        s = row(of_module[l.name], late)
        s.macs += l.own_macs - macs
        s.flops += l.own_flops - flops
        s.layers += l.name not in parents_of_ran  # a layer: no module inside it ran (attention's out_proj never does)
    for c in a.charges:
        if c.how == "unused" or c.row not in of_module:
            key = UNUSED
        else:
            key = stage_of(c.shape) or of_module[c.row]
        row(key, late).params += c.numel
    order = sorted(rows, key=lambda k: (k == UNUSED, k is None, first[k]))
    # a resolution with no weights (e.g. VGG's pool5 output) is not a stage: fold it forward
    merged: list[Stage] = []
    carry = None
    for key in order:
        s = rows[key]
        if carry and not s.unused:
            s.add(carry)
            carry = None
        if not s.params and not s.macs and s.resolution is not None:
            carry = s
            continue
        merged.append(s)
    if carry:
        if merged and not merged[-1].unused:
            merged[-1].add(carry)
        else:
            merged.insert(len(merged) - (1 if merged else 0), carry)
    _check(a, merged)
    return merged


def _check(a: Analysis, rows: list[Stage]) -> None:
    t = a.totals
    for q, total in (("params", t.params), ("macs", t.macs), ("flops", t.flops)):
        got = sum(getattr(s, q) for s in rows)
        if got != total:
            raise StageSumError(f"{a.model}: the stages add up to {got:,} {q} of {total:,} (a bug in archscope's "
                                "attribution: please report it with the model)")
