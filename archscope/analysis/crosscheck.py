"""Run the tools people use instead on the same model and explain, from
archscope's own per-layer data, every difference in what they report.

- torchinfo ``summary(...).total_mult_adds``: conv/linear MACs, plus one per
  output element of every bias, plus (its convention for other layers) the
  parameter count of every other parametrised leaf layer (batch norm: 2C).
- torch ``FlopCounterMode``: 2 FLOPs per MAC, convolutions and matrix
  products only.
- fvcore ``FlopCountAnalysis.total()``: one "flop" per MAC (its stated
  convention), plus its own counts for batch norm, pooling and a few more.
  It traces with ``torch.jit.trace`` and so needs real tensors: it runs on
  the CPU (weights are allocated and initialised).
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn

from archscope.analysis.result import Analysis


def _build_meta(spec):
    if isinstance(spec, nn.Module):
        from archscope.analysis.engine import to_meta_copy

        return to_meta_copy(spec, torch.float32)
    if ":" in str(spec):
        from archscope.analysis.engine import load_model

        return load_model(str(spec))
    from archscope.zoo import get_model

    return get_model(str(spec), device="meta")


def _build_cpu(spec):
    if isinstance(spec, nn.Module):
        return spec
    if ":" in str(spec):
        from archscope.analysis.engine import load_model

        return load_model(str(spec), meta=False)
    from archscope.zoo import get_model

    return get_model(str(spec))


def torchinfo_terms(model: nn.Module, a: Analysis) -> tuple[int, int]:
    """(bias output elements, parameters of other parametrised leaves) — the
    two terms torchinfo adds to the MACs."""
    bias_outputs = other_params = 0
    for layer in a.layers:
        if not layer.calls:
            continue
        mod = model.get_submodule(layer.name) if layer.name else model
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            if mod.bias is not None and layer.output_shape:
                bias_outputs += math.prod(layer.output_shape) * layer.calls
        elif layer.is_leaf:
            other_params += layer.params
    return bias_outputs, other_params


def crosscheck(spec, a: Analysis, *, fvcore_on_cpu: bool = True) -> list[dict]:
    rows = []
    shape = tuple(a.input_shape)
    model = _build_meta(spec).eval()
    macs = a.totals.macs

    import torchinfo

    s = torchinfo.summary(model, input_size=shape, device="meta", verbose=0, depth=100, mode="eval")
    bias_outputs, other = torchinfo_terms(model, a)
    expected = macs + bias_outputs + other
    rows.append({
        "tool": "torchinfo", "convention": "mult-adds", "reported": s.total_mult_adds, "archscope": expected,
        "difference": s.total_mult_adds - expected,
        "explanation": f"archscope MACs {macs:,} + {bias_outputs:,} bias adds (1 per output element) + {other:,} "
                       "(torchinfo adds the parameter count of other layers, e.g. batch norm)",
    })
    if s.total_params != a.totals.params:
        rows.append({"tool": "torchinfo", "convention": "parameters", "reported": s.total_params,
                     "archscope": a.totals.params, "difference": s.total_params - a.totals.params,
                     "explanation": "parameter totals differ"})

    from torch.utils.flop_counter import FlopCounterMode

    x = torch.empty(shape, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    flops = counter.get_total_flops()
    rows.append({
        "tool": "FlopCounterMode", "convention": "FLOPs (2 per MAC)", "reported": flops, "archscope": 2 * macs,
        "difference": flops - 2 * macs,
        "explanation": f"convolutions and matrix products only; archscope's FLOPs ({a.totals.flops:,}) also count "
                       f"bias, norm, activation, pooling and adds (+{a.totals.flops - 2 * macs:,})",
    })

    if fvcore_on_cpu:
        from fvcore.nn import FlopCountAnalysis

        cpu = _build_cpu(spec).eval()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            fv = FlopCountAnalysis(cpu, torch.zeros(shape))
            fv.unsupported_ops_warnings(False)
            fv.uncalled_modules_warnings(False)
            total = fv.total()
            by_op = dict(fv.by_operator())
        mac_ops = {k: v for k, v in by_op.items() if k in ("conv", "linear", "addmm", "matmul", "bmm", "mm",
                                                           "einsum")}
        extra = {k: v for k, v in by_op.items() if k not in mac_ops}
        extra_txt = ", ".join(f"{k} {v:,}" for k, v in sorted(extra.items())) or "nothing else"
        rows.append({
            "tool": "fvcore", "convention": "flops (1 per MAC)", "reported": total, "archscope": macs + sum(extra.values()),
            "difference": total - macs - sum(extra.values()),
            "explanation": f"its conv/linear part {sum(mac_ops.values()):,} vs archscope MACs {macs:,} "
                           f"(difference {sum(mac_ops.values()) - macs:,}); it adds {extra_txt}",
        })
    return rows
