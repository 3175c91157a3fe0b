"""Render an ``Analysis`` as a table (text or markdown), CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from archscope.analysis.result import Analysis
from archscope.render.table import Markdown, human, md_escape, md_table, rf_text, sides

LAYER_COLUMNS = ["name", "type", "depth", "input_shape", "output_shape", "params", "trainable_params", "macs",
                 "flops", "activation_bytes", "kernel", "stride", "receptive_field", "jump", "calls",
                 "padding", "dilation", "groups", "charged_params", "order"]
ORDERS = ("call", "definition")

# how the RF column is read, stated once under every table
RF_RULE = ("RF: the receptive field of the layer's output on the input (its size); 'global' once a layer mixes "
           "all positions (global pooling, a fully connected layer, attention's Q.K^T), and after it")


def mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:,.2f} MiB"


def _shape(s) -> str:
    return "-" if not s else "x".join(map(str, s))


def _csv_cell(l, column: str):
    """One CSV cell: shapes as 1x3x224x224, the receptive field's size and
    jump as '211' or '15x13' (jump empty for a global field), None empty."""
    rf = l.receptive_field
    if column == "receptive_field":
        return rf_text(rf, missing="")
    if column == "jump":
        return "" if rf is None or rf.is_global else sides(rf.jump)
    v = getattr(l, column)
    return "" if v is None else ("x".join(map(str, v)) if isinstance(v, list) else v)


def ordered_layers(a: Analysis, order: str = "call") -> list:
    """Every layer, in call order (the first call of each; modules that never ran after, in definition order)
    or in definition order (``named_modules``)."""
    if order not in ORDERS:
        from archscope.errors import ArchscopeError

        raise ArchscopeError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    if order == "definition":
        return list(a.layers)
    return sorted(a.layers, key=lambda l: (l.order is None, l.order if l.order is not None else 0))


def visible_layers(a: Analysis, depth: int, order: str = "call"):
    return [l for l in ordered_layers(a, order) if 0 < l.depth <= depth and l.calls]


def row_params(a: Analysis) -> dict[str, int]:
    """Each module's parameters as the table counts them: those charged to it and to the modules inside it
    (analysis/rows.py), so that a tied weight is counted once, in the first module that runs with it."""
    out: dict[str, int] = {}
    for l in a.layers:
        if not l.charged_params:
            continue
        parts = l.name.split(".") if l.name else []
        for i in range(len(parts) + 1):
            key = ".".join(parts[:i])
            out[key] = out.get(key, 0) + l.charged_params
    return out


def window(l) -> str:
    """'11x11/4': the kernel and stride of a convolution or pooling layer."""
    if not l.kernel:
        return ""
    return f"{'x'.join(map(str, l.kernel))}/{sides(l.stride) if l.stride else '-'}"


def _axes(v, default) -> str:
    """A per-axis setting as the table writes it: '' at torch's default, '2', '3x1', 'same'."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if all(x == default for x in v):
        return ""
    return sides(v) if len(v) == 2 else "x".join(map(str, v))


def render_summary(a: Analysis, fmt: str = "table", depth: int = 2, order: str = "call") -> str:
    """The layer table (to ``depth``, in ``order``: 'call' or 'definition') and the totals; CSV and JSON
    give every layer (CSV in ``order``; JSON in definition order, each layer with its ``order``)."""
    if fmt == "json":
        return json.dumps(a.to_dict(), indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(LAYER_COLUMNS)
        for l in ordered_layers(a, order):
            w.writerow([_csv_cell(l, c) for c in LAYER_COLUMNS])
        return buf.getvalue().rstrip("\n")
    from tabulate import tabulate

    md = fmt == "markdown"
    shown = visible_layers(a, depth, order)
    counted = row_params(a)
    dil = any(_axes(l.dilation, 1) for l in shown)
    grp = any(l.groups and l.groups > 1 for l in shown)
    many = any(l.calls > 1 for l in shown)
    rows = []
    for l in shown:
        indent = ("&nbsp;&nbsp;" if md else "  ") * (l.depth - 1)
        p = counted.get(l.name, 0)
        row = [Markdown(indent + md_escape(l.name)) if md else indent + l.name, l.type, _shape(l.input_shape),
               _shape(l.output_shape), window(l), _axes(l.padding, 0)]
        if dil:
            row.append(_axes(l.dilation, 1))
        if grp:
            row.append(str(l.groups) if l.groups and l.groups > 1 else "")
        row += [human(p) if p else "-", human(l.macs) if l.macs else "-", human(l.flops) if l.flops else "-",
                rf_text(l.receptive_field)]
        if many:
            row.append(str(l.calls) if l.calls > 1 else "")
        rows.append(row)
    headers = ["layer", "type", "input", "output", "kernel/stride", "pad"] + (["dilation"] if dil else []) \
        + (["groups"] if grp else []) + ["params", "MACs", "FLOPs", "RF"] + (["calls"] if many else [])
    align = tuple("right" if h in ("params", "MACs", "FLOPs", "RF", "calls", "groups") else "left" for h in headers)
    table = md_table(rows, headers, colalign=align) if md else tabulate(rows, headers=headers, tablefmt="simple",
                                                                         disable_numparse=True, colalign=align)
    notes = [f"rows in {'call' if order == 'call' else 'definition'} order" + (
        "; calls: how many times a module ran (its MACs and FLOPs are of every call, its parameters once)"
        if many else "") + "; " + RF_RULE]
    return table + "\n\n" + "\n".join(notes + totals_lines(a, md))


def _inputs(a: Analysis) -> str:
    """'1x3x224x224 float32', or every input with its dtype for a model with several or integer inputs."""
    if len(a.inputs) > 1 or any(i["dtype"] != a.dtype for i in a.inputs):
        return ", ".join(f"{_shape(i['shape'])} {i['dtype']}" for i in a.inputs)
    return f"{_shape(a.input_shape)} {a.dtype}"


def totals_lines(a: Analysis, md: bool = False) -> list[str]:
    t = a.totals
    b = "- " if md else ""
    frozen = t.params - t.trainable_params
    cats = ", ".join(f"{k} {human(v)} ({100 * v / t.flops:.1f}%)" for k, v in a.flops_by_category.items()
                     if v and t.flops)
    uncounted = ", ".join(f"{k} x{v}" for k, v in sorted(a.uncounted_ops.items())) or "none"
    lines = [
        f"{b}model: {md_escape(a.model) if md else a.model}   input: {_inputs(a)}   device: {a.device}"
        + ("   (" + "; ".join(md_escape(n) if md else n for n in a.notes) + ")" if a.notes else ""),
        f"{b}parameters: {t.params:,} ({human(t.params)})"
        + (f", of which frozen {frozen:,}" if frozen else "") + f"   = {mib(t.param_bytes)}",
    ] + [f"{b}{line}" for line in charge_lines(a)] + [
        f"{b}MACs: {t.macs:,} ({human(t.macs)})   [multiply-accumulates of conv/linear: the papers' 'FLOPs', "
        "torchvision's GFLOPS, torchinfo's mult-adds]",
        f"{b}FLOPs: {t.flops:,} ({human(t.flops)})   [2 per MAC + bias, norm, activation, pooling, adds]",
        f"{b}training FLOPs per batch: {human(t.train_flops)}   [training-mode forward + backward, gradients only "
        "for trainable parameters and what depends on them"
        f"{', and the input' if a.training.get('input_grad') else ''}]",
        f"{b}FLOPs by category: {cats}",
        f"{b}uncounted ops: {uncounted}",
        f"{b}forward activations: {mib(t.activation_bytes)}   saved for backward: {mib(t.saved_activation_bytes)}",
        f"{b}training memory, SGD+momentum: {mib(t.train_memory_bytes)}   Adam: {mib(t.train_memory_adam_bytes)}"
        + "   [params + grads + optimizer state + saved activations]"
        + ("   (extrapolated from batches 2 and 3: see the note above)"
           if a.memory.get("saved_activations_extrapolated") else ""),
    ]
    return lines


def _names(names: list[str], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def charge_lines(a: Analysis) -> list[str]:
    """Where the parameters that are not simply a running layer's own are counted (analysis/rows.py):
    read by a module's forward (attention's out_proj), tied to another name, or read by no call."""
    lines = []
    used = [c for c in a.charges if c.how == "used"]
    by_row: dict[str, list] = {}
    for c in used:
        by_row.setdefault(c.row, []).append(c)
    for row, cs in by_row.items():
        lines.append(f"parameters counted in {row or '<model>'}, whose forward reads them (their own module never "
                     f"runs): {_names([c.name for c in cs])} ({human(sum(c.numel for c in cs))})")
    for c in a.charges:
        if c.aliases:
            lines.append(f"tied: {_names(c.aliases)} {'is' if len(c.aliases) == 1 else 'are'} {c.name} "
                         f"({human(c.numel)}, counted once, in {c.row or '<model>'})")
    unused = [c for c in a.charges if c.how == "unused"]
    if unused:
        lines.append(f"parameters no call reads in this forward: {_names(_unused_modules(a))} "
                     f"({human(sum(c.numel for c in unused))}; in the total, in no row of the table)")
    return lines


def _unused_modules(a: Analysis) -> list[str]:
    """The outermost modules whose parameters are all unused (``aux1``, ``aux2``), else the parameters' names."""
    state: dict[str, set] = {}
    for c in a.charges:
        parts = c.name.split(".")[:-1]
        for i in range(1, len(parts) + 1):
            state.setdefault(".".join(parts[:i]), set()).add(c.how == "unused")
    out = []
    for c in a.charges:
        if c.how != "unused":
            continue
        parts = c.name.split(".")[:-1]
        top = next((".".join(parts[:i]) for i in range(1, len(parts) + 1) if state[".".join(parts[:i])] == {True}),
                   c.name)
        if top not in out:
            out.append(top)
    return out
