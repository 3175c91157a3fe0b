"""Render an ``Analysis`` as a table (text or markdown), CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from archscope.analysis.result import Analysis
from archscope.render.table import Markdown, human, md_escape, md_table, rf_text, sides

LAYER_COLUMNS = ["name", "type", "depth", "input_shape", "output_shape", "params", "trainable_params", "macs",
                 "flops", "activation_bytes", "kernel", "stride", "receptive_field", "jump", "calls"]


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


def visible_layers(a: Analysis, depth: int):
    return [l for l in a.layers if 0 < l.depth <= depth and l.calls]


def render_summary(a: Analysis, fmt: str = "table", depth: int = 2) -> str:
    if fmt == "json":
        return json.dumps(a.to_dict(), indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(LAYER_COLUMNS)
        for l in a.layers:
            w.writerow([_csv_cell(l, c) for c in LAYER_COLUMNS])
        return buf.getvalue().rstrip("\n")
    from tabulate import tabulate

    md = fmt == "markdown"
    rows = []
    for l in visible_layers(a, depth):
        indent = ("&nbsp;&nbsp;" if md else "  ") * (l.depth - 1)
        k = "" if not l.kernel else f"{'x'.join(map(str, l.kernel))}/{(l.stride or ['-'])[0]}"
        rows.append([Markdown(indent + md_escape(l.name)) if md else indent + l.name, l.type, k, _shape(l.output_shape), human(l.params) if l.params else "-",
                     human(l.macs) if l.macs else "-", human(l.flops) if l.flops else "-",
                     rf_text(l.receptive_field)])
    headers = ["layer", "type", "kernel/stride", "output", "params", "MACs", "FLOPs", "RF"]
    align = ("left", "left", "left", "left", "right", "right", "right", "right")
    table = md_table(rows, headers, colalign=align) if md else tabulate(rows, headers=headers, tablefmt="simple",
                                                                         disable_numparse=True, colalign=align)
    return table + "\n\n" + "\n".join(totals_lines(a, md))


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
        + ("   (" + "; ".join(a.notes) + ")" if a.notes else ""),
        f"{b}parameters: {t.params:,} ({human(t.params)})"
        + (f", of which frozen {frozen:,}" if frozen else "") + f"   = {mib(t.param_bytes)}",
        f"{b}MACs: {t.macs:,} ({human(t.macs)})   [multiply-accumulates of conv/linear: the papers' 'FLOPs', "
        "torchvision's GFLOPS, torchinfo's mult-adds]",
        f"{b}FLOPs: {t.flops:,} ({human(t.flops)})   [2 per MAC + bias, norm, activation, pooling, adds]",
        f"{b}training FLOPs per batch: {human(t.train_flops)}   [training-mode forward + backward, gradients only "
        f"for trainable parameters and what depends on them{', and the input' if a.training.get('input_grad') else ''}]",
        f"{b}FLOPs by category: {cats}",
        f"{b}uncounted ops: {uncounted}",
        f"{b}forward activations: {mib(t.activation_bytes)}   saved for backward: {mib(t.saved_activation_bytes)}",
        f"{b}training memory, SGD+momentum: {mib(t.train_memory_bytes)}   Adam: {mib(t.train_memory_adam_bytes)}"
        + "   [params + grads + optimizer state + saved activations]"
        + ("   (extrapolated from batches 2 and 3: see the note above)"
           if a.memory.get("saved_activations_extrapolated") else ""),
    ]
    return lines
