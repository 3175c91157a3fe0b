"""A variant's declared deviations from its paper's network (``ModelInfo.deviations``) checked against what
``diff`` finds, exactly.

Each difference ``diff`` lists becomes one or more *items*, normalised so that a declaration can equal them:

- a layer whose settings changed: one item per changed setting, ``(setting, paper value, variant value)``;
- a layer whose type changed: one item, the type and the settings that differ and are not torch's defaults;
- a layer on one side only: one item, its type and its settings other than torch's defaults (what the
  layer's constructor would take by default is not written out, so ``Conv2d(out_channels=64,
  kernel_size=(3, 3), padding=(1, 1))`` is declared as just that);
- a different default input: one item, the two shapes.

A declaration covers a difference when the layer names match its names or patterns (fnmatch), the layer type
is its type and its values are the difference's: all of them, or for a setting change the ones it declares
(so "bias False -> True on every convolution" and "out_channels 32 -> 64 in stage 2" are two declarations of
which one layer may need both). The check passes when every item is covered by exactly one declaration and
every declaration covers exactly as many layers as it says.
"""

from __future__ import annotations

import fnmatch
import inspect
from dataclasses import dataclass, field

from torch import nn

from archscope.analysis.diff import Diff

# _ConvNd's, which Conv2d sets without taking it as an argument
_IMPLIED_DEFAULTS = {"output_padding": 0}


def _tupled(v):
    return tuple(_tupled(x) for x in v) if isinstance(v, (list, tuple)) else v


def _defaults(type_name: str | None) -> dict:
    cls = getattr(nn, type_name, None) if type_name else None
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        return {}
    out = dict(_IMPLIED_DEFAULTS) if issubclass(cls, nn.modules.conv._ConvNd) else {}
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.default is not p.empty:
            out[p.name] = p.default
    return out


def _is_default(value, default) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(v == default for v in value)
    return value == default and type(value) is type(default)


def _strip(type_name: str | None, settings: dict) -> dict:
    d = _defaults(type_name)
    return {k: v for k, v in settings.items() if k != "type" and not (k in d and _is_default(v, d[k]))}


@dataclass(frozen=True)
class Item:
    """One normalised difference: what, where (a layer's name in each network, None where absent), the layer
    type, and the values (setting, paper value, variant value)."""

    what: str
    paper: str | None
    variant: str | None
    layer: str | None
    values: tuple
    change: int  # index of the change in the diff (-1: the inputs)

    def __str__(self) -> str:
        vals = ", ".join(f"{k}={a!r}->{b!r}" for k, a, b in self.values)
        return f"{self.what} {self.paper} / {self.variant} [{self.layer}] {vals}"


def items(d: Diff) -> list[Item]:
    out: list[Item] = []
    for k, c in enumerate(d.changes):
        if c.kind == "input":
            continue  # the inputs are one item below, whether or not a knock-on was charged to them
        if c.kind == "changed" and "type" not in c.fields:
            for name, (va, vb) in sorted(c.fields.items()):
                out.append(Item("setting", c.a, c.b, c.type_a, ((name, _tupled(va), _tupled(vb)),), k))
        elif c.kind == "changed":
            da, db = _defaults(c.type_a), _defaults(c.type_b)
            pairs = []
            for name, (va, vb) in c.fields.items():
                if name != "type":
                    va = None if name in da and _is_default(va, da[name]) else va
                    vb = None if name in db and _is_default(vb, db[name]) else vb
                    if va is None and vb is None:
                        continue
                pairs.append((name, _tupled(va), _tupled(vb)))
            out.append(Item("replaced", c.a, c.b, c.type_a, tuple(sorted(pairs)), k))
        else:
            t = c.type_a if c.kind == "only_a" else c.type_b
            side = [(name, _tupled(v)) for name, v in sorted(_strip(t, c.fields).items())]
            vals = tuple((n, v, None) if c.kind == "only_a" else (n, None, v) for n, v in side)
            out.append(Item("only_paper" if c.kind == "only_a" else "only_variant", c.a, c.b, t, vals, k))
    if list(d.input_a) != list(d.input_b):
        out.append(Item("input", None, None, None, (("shape", _tupled(d.input_a), _tupled(d.input_b)),), -1))
    return out


def _where(name: str | None, patterns: tuple[str, ...]) -> bool:
    return name is not None and any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _covers(dev, group: list[Item]) -> list[Item]:
    """The items of one difference that a declaration covers (none unless it covers the difference)."""
    first = group[0]
    if first.what != dev.what or (first.what != "input" and first.layer != dev.layer):
        return []
    if first.what in ("setting", "replaced") and not (_where(first.paper, dev.paper) and
                                                      _where(first.variant, dev.variant)):
        return []
    if first.what == "only_paper" and not _where(first.paper, dev.paper):
        return []
    if first.what == "only_variant" and not _where(first.variant, dev.variant):
        return []
    if first.what == "setting":
        mine = [it for it in group if it.values[0] in dev.values]
        return mine if len(mine) == len(dev.values) else []
    return group if first.values == dev.values else []


@dataclass
class Check:
    """``undeclared``: items no declaration covers; ``twice``: items two declarations cover; ``miscounted``:
    (declaration, layers it covers) where that is not its count."""

    undeclared: list[Item] = field(default_factory=list)
    twice: list[Item] = field(default_factory=list)
    miscounted: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.undeclared or self.twice or self.miscounted)

    def report(self) -> str:
        lines = [f"found, not declared: {it}" for it in self.undeclared]
        lines += [f"declared twice: {it}" for it in self.twice]
        lines += [f"declared for {dev.count} layer(s), covers {n}: {dev}" for dev, n in self.miscounted]
        return "\n".join(lines)


def check(declared, d: Diff) -> Check:
    groups: dict[int, list[Item]] = {}
    for it in items(d):
        groups.setdefault(it.change, []).append(it)
    covered: dict[Item, int] = {}
    result = Check()
    for dev in declared:
        n = 0
        for group in groups.values():
            mine = _covers(dev, group)
            if mine:
                n += 1
                for it in mine:
                    covered[it] = covered.get(it, 0) + 1
        if n != dev.count:
            result.miscounted.append((dev, n))
    for group in groups.values():
        for it in group:
            times = covered.get(it, 0)
            if times == 0:
                result.undeclared.append(it)
            elif times > 1:
                result.twice.append(it)
    return result


__all__ = ["Check", "Item", "check", "items"]
