"""The rows of a layer table, completed after the traced pass: every parameter charged to exactly one row,
and each convolution's and pooling's whole geometry (padding, dilation, groups).

Which row a parameter belongs to (each parameter is a tensor, counted once however many modules hold it):

1. the first module, in call order, that holds it and ran: a convolution its weight; of two modules sharing
   a weight (tied weights), the one that ran first;
2. else the module whose forward used it: the innermost module running when a torch function received it
   (``nn.MultiheadAttention`` passes its ``out_proj.weight`` to ``F.multi_head_attention_forward``; the
   ``out_proj`` module itself never runs), or, where that module did not run in the traced pass, its nearest
   ancestor that did;
3. else no call read it (an auxiliary classifier of a model in eval mode): its first holder, in definition
   order, marked unused. It is in the total and in the ``unused`` stage, never in a stage of the forward.

Rules 2 and 3 need to see which module used a parameter; so does the stage of a parameter held by a block
rather than a layer (a block that writes ``F.conv2d(x, self.weight)``). Only then, a second forward runs
(on the meta device, a few milliseconds) with a ``TorchFunctionMode`` that notes the first use of those
parameters. Most networks hold every parameter in a layer that runs, and never need it.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

from archscope.analysis.modules import ModuleTracker
from archscope.analysis.result import Analysis, ParamCharge

__all__ = ["complete", "geometry"]


def geometry(module: nn.Module) -> dict:
    """padding, dilation and groups of a convolution or a pooling layer, per axis (empty for other layers)."""
    out: dict = {}
    k = getattr(module, "kernel_size", None)
    if k is None:
        return out
    n = len(k) if isinstance(k, (tuple, list)) else 2

    def axes(v):
        if isinstance(v, str):
            return v  # 'same' / 'valid'
        return list(v) if isinstance(v, (tuple, list)) else [v] * n

    for attr in ("padding", "dilation"):
        v = getattr(module, attr, None)
        if v is not None:
            out[attr] = axes(v)
    if isinstance(module, nn.modules.conv._ConvNd):
        out["groups"] = module.groups
    return out


class _FirstUse(TorchFunctionMode):
    """Notes, for each wanted parameter, the innermost running module and the output shape of the first
    torch function that received it (in its arguments, or in a list or tuple among them)."""

    def __init__(self, wanted: set[int], tracker: ModuleTracker):
        super().__init__()
        self.wanted = wanted
        self.tracker = tracker
        self.found: dict[int, tuple[str, list | None]] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if len(self.found) < len(self.wanted):
            hits = [a for a in itertools.chain(args, kwargs.values())
                    for a in (a if isinstance(a, (list, tuple)) else (a,))
                    if isinstance(a, nn.Parameter) and id(a) in self.wanted and id(a) not in self.found]
            if hits:
                inner = self.tracker.innermost
                first = next((t for t in tree_leaves(out) if isinstance(t, torch.Tensor)), None)
                shape = list(first.shape) if first is not None else None
                for p in hits:
                    self.found[id(p)] = (inner[0] if inner else "", shape)
        return out


def _first_uses(model: nn.Module, xs: tuple, wanted: set[int]) -> dict[int, tuple[str, list | None]]:
    """The first use of each wanted parameter in one inference forward (nothing where the forward fails)."""
    from archscope.analysis.shapes import FastMetaMode

    was_training = model.training
    model.eval()
    try:
        with ModuleTracker(model) as tracker, torch.no_grad():
            meta = FastMetaMode()
            meta.answer_shapes = all(t.is_meta for t in xs)
            with meta, _FirstUse(wanted, tracker) as mode:
                model(*xs)
        return mode.found
    except Exception:  # the pass that matters already ran; without this one, rule 2 falls back to rule 3
        return {}
    finally:
        model.train(was_training)


def complete(a: Analysis, model: nn.Module, xs: tuple) -> None:
    """Fill each row's geometry and charged parameters, and ``a.charges``, for the model ``a`` was traced on
    (``xs``: the inputs it ran on)."""
    by_name = {l.name: l for l in a.layers}
    modules = dict(model.named_modules())
    for l in a.layers:
        g = geometry(modules[l.name]) if l.name in modules else {}
        l.padding, l.dilation, l.groups = g.get("padding"), g.get("dilation"), g.get("groups")
    holders: dict[int, list[str]] = {}  # parameter -> the modules that hold it directly, in definition order
    names: dict[int, list[str]] = {}
    params: dict[int, nn.Parameter] = {}
    for mname, m in modules.items():
        for pname, p in m._parameters.items():
            if p is None:
                continue
            params[id(p)] = p
            if mname not in holders.setdefault(id(p), []):
                holders[id(p)].append(mname)
            names.setdefault(id(p), []).append(f"{mname}.{pname}" if mname else pname)

    def ran(n: str) -> bool:
        return n in by_name and by_name[n].calls > 0

    row: dict[int, str] = {}
    for pid, hs in holders.items():
        running = [h for h in hs if ran(h)]
        if running:
            row[pid] = min(running, key=lambda h: by_name[h].order)
    # the parameters whose user must be seen: held by no module that ran, or charged to a block (its stage is
    # decided by the call that reads it)
    wanted = {pid for pid in holders if pid not in row or not by_name[row[pid]].is_leaf}
    uses = _first_uses(model, xs, wanted) if wanted else {}
    charges = []
    for pid, hs in holders.items():
        how, shape = "holder", None
        if pid not in row:
            if pid in uses:
                user = uses[pid][0]
                while not ran(user) and user:  # the module that used it, or its nearest ancestor that ran
                    user = user.rsplit(".", 1)[0] if "." in user else ""
                row[pid], how = user, "used"
            else:
                row[pid], how = hs[0], "unused"
        if how != "unused" and pid in uses:
            shape = uses[pid][1]
        charges.append(ParamCharge(names[pid][0], params[pid].numel(), row[pid], how, shape, names[pid][1:]))
    for c in charges:
        by_name[c.row].charged_params += c.numel
    a.charges = charges
