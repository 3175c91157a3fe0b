"""Side-by-side totals of several networks, each as a ratio to a baseline."""

from __future__ import annotations

from archscope.analysis.engine import analyze
from archscope.analysis.result import Analysis
from archscope.analysis.stages import stages

METRICS = ("params", "macs", "flops", "train_memory_bytes", "depth", "receptive_field")


def feature_rf(a: Analysis) -> int | None:
    """The receptive field of the final features: the largest among the
    layers at the last spatial resolution before global pooling (Inception's
    branches merge there; the largest branch is the module's field)."""
    spatial = [l for l in a.layers if l.calls and l.output_shape and len(l.output_shape) == 4
               and l.output_shape[2] * l.output_shape[3] > 1 and l.receptive_field
               and l.receptive_field != "global"]
    if not spatial:
        return None
    final = max(spatial, key=lambda l: l.order).output_shape[2:]
    return max(int(l.receptive_field.split("x")[0]) for l in spatial if l.output_shape[2:] == final)


def compare(names, input_shape=None, baseline: str | None = None, batch: int = 1) -> dict:
    analyses = [analyze(n, input_shape, batch=batch) for n in names]
    rows = []
    for a in analyses:
        rows.append({
            "model": a.model, "input_shape": a.input_shape, "params": a.totals.params, "macs": a.totals.macs,
            "flops": a.totals.flops, "train_memory_bytes": a.totals.train_memory_bytes, "depth": a.totals.depth,
            "receptive_field": feature_rf(a), "stages": stages(a),
        })
    base_name = baseline or rows[0]["model"]
    from archscope.zoo import resolve

    base_key = resolve(base_name) if ":" not in base_name else base_name
    base = next((r for r in rows if r["model"] == base_key), None)
    if base is None:
        from archscope.errors import ArchscopeError

        raise ArchscopeError(f"--baseline {base_name!r} is not one of the compared models")
    for r in rows:
        r["ratios"] = {m: (r[m] / base[m] if isinstance(r[m], (int, float)) and isinstance(base[m], (int, float))
                           and base[m] else None) for m in METRICS}
    return {"baseline": base["model"], "models": rows}
