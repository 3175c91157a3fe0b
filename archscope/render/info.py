"""``archscope info`` as text: an entry's metadata, notes, published figures and its deviations from its
paper's network (``ModelInfo.deviations``, which a test checks against ``archscope diff``)."""

from __future__ import annotations

from archscope.render.table import figure


def _value(v) -> str:
    if isinstance(v, tuple) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return "x".join(map(str, v)) if len(set(v)) > 1 or len(v) != 2 else str(v[0])  # (3, 3) -> 3, (3, 2) -> 3x2
    if isinstance(v, tuple):
        return ", ".join(map(str, v))
    return str(v)


def _layer(t: str | None, values, side: int) -> str:
    """A layer as its constructor call, defaults left out; ``settings`` is a layer's own ``extra_repr`` and
    ``runs`` that it issued no op in the traced forward (dropout in eval mode, an empty pad)."""
    args = ", ".join(_value(v[side]) if k == "settings" else f"{k}={_value(v[side])}"
                     for k, *v in values if k not in ("type", "runs") and v[side] is not None)
    silent = any(k == "runs" and v[side] is not None for k, *v in values)
    return (f"{t}({args})" if args else str(t)) + (" (no op in the traced forward)" if silent else "")


def describe_deviation(dev) -> str:
    """What a deviation changes, in words: ``Conv2d stride 2 -> 1``, ``LocalResponseNorm(size=5) only in the
    paper's network``."""
    if dev.what == "input":
        _, a, b = dev.values[0]
        return f"input {_value(a).replace(', ', 'x')} -> {_value(b).replace(', ', 'x')}"
    if dev.what == "setting":
        parts = []
        for k, a, b in dev.values:
            if k == "branch order":
                parts.append(f"branch order {' '.join(map(str, a))} -> {' '.join(map(str, b))}")
            else:
                parts.append(f"{k} {_value(a)} -> {_value(b)}")
        return f"{dev.layer} " + "; ".join(parts)
    if dev.what == "replaced":
        t = {k: (a, b) for k, a, b in dev.values}["type"]
        return f"{_layer(t[0], dev.values, 0)} -> {_layer(t[1], dev.values, 1)}"
    if dev.what == "only_paper":
        return f"{_layer(dev.layer, dev.values, 0)} only in the paper's network"
    return f"{_layer(dev.layer, dev.values, 1)} only in this variant"


def _names(names) -> str:
    return "every such layer" if tuple(names) == ("*",) else ", ".join(names)


def _where(dev) -> str:
    if dev.what == "input":
        return ""
    if dev.what == "only_paper":
        return _names(dev.paper)
    if dev.what == "only_variant":
        return _names(dev.variant)
    if dev.paper == dev.variant or dev.variant == ("*",):
        return _names(dev.paper)
    return f"{_names(dev.paper)} / {_names(dev.variant)}"


def deviation_lines(info, against_paper: bool = True) -> list[str]:
    """The deviations as a list; for a variant of a registered paper network without any, that it is the same
    network (``against_paper`` False: the paper's network itself, or an architecture the zoo lacks)."""
    if not against_paper:
        return []
    if not info.deviations:
        return [f"deviations from {info.arch}: none (`archscope diff {info.arch} {info.name}`: the same network)"]
    lines = [f"deviations from {info.arch} (exactly what `archscope diff {info.arch} {info.name}` finds):"]
    for dev in info.deviations:
        where = _where(dev)
        count = f" x{dev.count}" if dev.count > 1 else ""
        lines.append(f"  - {describe_deviation(dev)}{count}" + (f"  [{where}]" if where else ""))
        lines.append(f"      {dev.why}")
    return lines


def render_info(info, against_paper: bool = False) -> str:
    lines = [
        f"{info.name}  ({info.family}, {info.year}; source: {info.source})",
        f"paper:   {info.paper}",
        f"input:   {'x'.join(map(str, info.input_shape))}   classes: {info.num_classes}",
    ]
    if info.aliases:
        lines.append(f"aliases: {', '.join(info.aliases)}")
    knobs = ", ".join(f"{k}={v!r}" for k, v in sorted(info.knobs().items()))
    lines.append(f"knobs:   {knobs}")
    for note in info.notes:
        lines.append(f"note:    {note}")
    for p in info.published:
        lines.append(f"published {p.quantity}: {figure(p.value)}  ({p.source})")
    lines += deviation_lines(info, against_paper)
    return "\n".join(lines)


__all__ = ["describe_deviation", "deviation_lines", "render_info"]
