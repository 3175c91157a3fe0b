"""Probe results as a table."""

from __future__ import annotations

from archscope.render.table import human


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def render_probe(results, detail: bool = False) -> str:
    from tabulate import tabulate

    rows = []
    for r in results:
        rows.append([r.model, "PASS" if r.passed else "FAIL", r.steps,
                     "-" if r.test_accuracy is None else f"{r.test_accuracy:.3f}",
                     "-" if r.images_per_s is None else f"{r.images_per_s:,.0f}",
                     "-" if not r.peak_memory_bytes else f"{r.peak_memory_bytes / 2**20:,.0f} MiB",
                     "-" if r.memory_ratio is None else f"{r.memory_ratio:.2f}x",
                     "-" if r.achieved_flops_per_s is None else f"{human(r.achieved_flops_per_s)}FLOP/s",
                     _pct(r.mfu_known), _pct(r.mfu_measured)])
    out = [tabulate(rows, headers=["model", "checks", "steps", "test acc", "img/s", "peak mem", "vs estimate",
                                   "achieved", "MFU (spec)", "MFU (matmul)"], tablefmt="simple",
                    disable_numparse=True)]
    for r in results:
        out.append(f"\n{r.model} on {r.device} ({r.settings['precision']}, batch {r.settings['batch_size']}, "
                   f"{r.settings['dataset']} at {'x'.join(map(str, r.settings['input']))}):")
        for c in r.checks:
            out.append(f"  [{'x' if c.passed else ' '}] {c.name}: {c.detail}")
        if r.stopped:
            out.append(f"  stopped: {r.stopped}")
        if r.peak_flops_measured:
            known = f"{human(r.peak_flops_known)}FLOP/s" if r.peak_flops_known else "not in the table"
            out.append(f"  device peak: data sheet {known}; measured matmul {human(r.peak_flops_measured)}FLOP/s")
        if r.memory_kind:
            est = r.estimated_train_memory_bytes
            out.append(f"  memory: {r.memory_kind}; archscope's estimate "
                       f"{'-' if est is None else f'{est / 2**20:,.0f} MiB'}")
        if r.data_memory_bytes:
            where = (f" ({r.data['where']}: {r.data['folder']}, {', '.join(r.data.get('verified', []))})"
                     if r.data.get("where") else "")
            out.append(f"  data set: {r.data_memory_bytes / 2**20:,.0f} MiB of tensors, apart from the above{where}")
        if r.epoch_losses:
            out.append(f"  last epoch (train mode, running means): loss {r.last_epoch_loss:.4f}, accuracy "
                       f"{r.last_epoch_accuracy:.4f}; {r.images_seen:,} images in {r.train_seconds:.1f} s"
                       + ("" if r.examples_per_s is None else f" ({r.examples_per_s:,.0f} examples/s)"))
        if detail and r.time_split_s:
            s = r.time_split_s
            out.append("  per step: " + ", ".join(f"{k} {1000 * v:.2f} ms" for k, v in s.items()))
        for n in r.notes:
            out.append(f"  note: {n}")
    return "\n".join(out)
