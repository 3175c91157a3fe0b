"""The comparison table and the per-stage breakdown."""

from __future__ import annotations

from archscope.analysis.compare import Comparison
from archscope.render.table import human, md_escape, md_table, rf_text


def _ratio(r) -> str:
    return "-" if r is None else f"{r:.2f}x"


def render_compare(result: Comparison, fmt: str = "table") -> str:
    from tabulate import tabulate

    md = fmt == "markdown"
    tf = "github" if md else "simple"
    base = result.baseline
    rows = []
    for m in result.models:
        r = m.ratios
        mem = m.train_memory_bytes
        rows.append([
            m.model, "x".join(map(str, m.input_shape[1:])),
            f"{human(m.params)} ({_ratio(r['params'])})", f"{human(m.macs)} ({_ratio(r['macs'])})",
            f"{human(m.flops)} ({_ratio(r['flops'])})",
            "-" if mem is None else f"{mem / 2**20:,.0f} MiB ({_ratio(r['train_memory_bytes'])})",
            f"{m.depth} ({_ratio(r['depth'])})", rf_text(m.receptive_field),
        ])
    def table(rows, headers, **kw):
        return md_table(rows, headers, **kw) if md else tabulate(rows, headers=headers, tablefmt=tf,
                                                                 disable_numparse=True, **kw)

    out = [f"Baseline: {md_escape(base) if md else base} (ratios in parentheses)\n",
           table(rows, ["model", "input", "params", "MACs", "FLOPs", "train memory (SGD)", "depth", "feature RF"])]
    # the depth column's convention, said where it is shown (LeNet-5's 4 would otherwise read as a miscount
    # of its 7 layers: the paper counts the pooling and RBF layers too)
    out.append("\ndepth: convolutions and fully connected layers on the longest path from the input, as the VGG and "
               "ResNet papers count (pooling, normalisation and parameter-free or fixed layers such as LeNet-5's "
               "RBF output are not counted); feature RF: the receptive field of the last feature map.")
    out.append("\nWhere the parameters and the compute live (stages by output resolution):\n")
    for m in result.models:
        total_p = sum(s.params for s in m.stages) or 1
        total_c = sum(s.macs for s in m.stages) or 1
        srows = [[s.name, s.layers, human(s.params), f"{100 * s.params / total_p:.1f}%",
                  human(s.macs), f"{100 * s.macs / total_c:.1f}%"] for s in m.stages]
        out.append("**" + md_escape(m.model) + "**\n" if md else m.model)
        out.append(table(srows, ["stage", "layers", "params", "% params", "MACs", "% MACs"],
                         colalign=("left", "right", "right", "right", "right", "right")))
        out.append("")
    return "\n".join(out).rstrip()
