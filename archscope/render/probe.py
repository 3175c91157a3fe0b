"""Probe results as a table (text or markdown) with each run's checks, times and notes.

One throughput is shown, ``images_per_s`` (``archscope.probe.train.THROUGHPUT``: images per second of the
training steps after the warm-up), labelled as such; the run's times (the training loop, the evaluations,
the whole run with the data loading and the checks) are given as seconds, never as a second rate.
"""

from __future__ import annotations

from archscope.probe.train import CPU_MEMORY_WHY
from archscope.render.table import human, md_escape

HEADERS = ["model", "status", "steps", "test acc", "img/s (train steps)", "peak mem", "vs estimate", "achieved",
           "MFU (spec)", "MFU (matmul)"]
MARKS = {"pass": "x", "fail": " ", "interrupted": "-"}


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _mib(n) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _row(r) -> list[str]:
    cpu = r.device_type == "cpu"
    return [r.model, r.status, f"{r.steps:,}",
            "-" if r.test_accuracy is None else f"{r.test_accuracy:.3f}",
            "-" if r.images_per_s is None else f"{r.images_per_s:,.0f}",
            "-" if not r.peak_memory_bytes else _mib(r.peak_memory_bytes) + (" RSS" if cpu else ""),
            "-" if r.memory_ratio is None else f"{r.memory_ratio:.2f}x",
            "-" if r.achieved_flops_per_s is None else f"{human(r.achieved_flops_per_s)}FLOP/s",
            _pct(r.mfu_known), _pct(r.mfu_measured)]


def _times(r) -> list[str]:
    """The run's wall times, each labelled, and what the throughput counts (see THROUGHPUT)."""
    parts = []
    if r.train_seconds is not None:
        epochs = len(r.epoch_losses)
        parts.append(f"training loop {r.train_seconds:,.1f} s ({r.images_seen:,} images, {r.steps:,} steps"
                     + (f", {epochs} epoch{'s' * (epochs != 1)}" if epochs else "") + ")")
    if r.eval_seconds:
        parts.append(f"per-epoch evaluations {r.eval_seconds:,.1f} s")
    if r.wall_seconds is not None:
        parts.append(f"whole run {r.wall_seconds:,.1f} s (with loading the data, the evaluations and the checks)")
    out = ["time: " + "; ".join(parts)]
    t = r.timed
    if r.images_per_s is not None and t:
        out.append(f"img/s: {t['images']:,} images of the {t['steps']:,} steps after the warm-up in "
                   f"{t['seconds']:,.1f} s = {r.images_per_s:,.0f}/s (the training steps alone)")
    return out


def _lines(r, detail: bool) -> list[str]:
    out = [f"{r.model} on {r.device} ({r.settings['precision']}, batch {r.settings['batch_size']}, "
           f"{r.settings['dataset']} at {'x'.join(map(str, r.settings['input']))}): {r.status}"]
    for c in r.checks:
        text = f"[{MARKS.get(c.status, ' ')}] {c.name}: {c.detail}"
        if c.status == "interrupted":
            text += " (not judged: the run was interrupted)"
        elif c.hint:
            text += f"; {c.hint}"
        out.append(text)
    if r.stopped:
        out.append(f"stopped: {r.stopped}")
    if r.epoch_losses:
        out.append(f"last epoch (train mode, running means): loss {r.last_epoch_loss:.4f}, accuracy "
                   f"{r.last_epoch_accuracy:.4f}")
    if r.train_seconds is not None:
        out += _times(r)
    if r.peak_flops_measured:
        known = f"{human(r.peak_flops_known)}FLOP/s" if r.peak_flops_known else "not in the table"
        out.append(f"device peak: data sheet {known}; measured matmul {human(r.peak_flops_measured)}FLOP/s")
    if r.memory_kind:
        est = r.estimated_train_memory_bytes
        peak = "-" if not r.peak_memory_bytes else _mib(r.peak_memory_bytes)
        out.append(f"memory: {peak}, {r.memory_kind}; archscope's estimate of the training tensors "
                   f"{'-' if est is None else _mib(est)}"
                   + (f", not compared with it (no ratio): {CPU_MEMORY_WHY}" if r.device_type == "cpu" else ""))
    if r.data_memory_bytes:
        where = (f" ({r.data['where']}: {r.data['folder']}, {', '.join(r.data.get('verified', []))})"
                 if r.data.get("where") else "")
        out.append(f"data set: {_mib(r.data_memory_bytes)} of tensors, apart from the above{where}")
    if detail and r.time_split_s:
        s = r.time_split_s
        out.append("per step: " + ", ".join(f"{k} {1000 * v:.2f} ms" for k, v in s.items()))
    out += [f"note: {n}" for n in r.notes]
    return out


def render_probe(results, detail: bool = False, fmt: str = "table") -> str:
    """``fmt`` "table" (the terminal's text) or "markdown" (a table and a list per run, every cell escaped)."""
    from tabulate import tabulate

    rows = [_row(r) for r in results]
    if fmt == "markdown":
        from archscope.render.table import md_table

        out = [md_table(rows, HEADERS)]
        for r in results:
            head, *rest = _lines(r, detail)
            out.append(f"**{md_escape(head)}**\n\n" + "\n".join(f"- {md_escape(line)}" for line in rest))
        return "\n\n".join(out) + "\n"
    out = [tabulate(rows, headers=HEADERS, tablefmt="simple", disable_numparse=True)]
    for r in results:
        head, *rest = _lines(r, detail)
        out.append("\n" + head + "\n" + "\n".join(f"  {line}" for line in rest))
    return "\n".join(out)
