"""Probe the small zoo models on the CPU and write reports/probe-cpu.md.

    .venv/bin/python benchmarks/probe_cpu.py [-o reports/probe-cpu.md]

The GPU table (reports/probe-gpu.md) is produced by `archscope probe --all
--device cuda -o ...` on a machine with one; this script is its CPU
counterpart for the models small enough to train on two cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from archscope.probe import probe
from archscope.probe.device import device_name

MODELS = ["lenet5", "lenet.tutorial", "lenet.d2l", "resnet20", "resnet20.keras", "plain20", "nin"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", default="reports/probe-cpu.md")
    args = ap.parse_args()
    rows = []
    for name in MODELS:
        r = probe(name, device="cpu")
        print(name, "PASS" if r.passed else "FAIL", r.test_accuracy, flush=True)
        rows.append(r)
    dev = device_name(torch.device("cpu"))
    lines = [
        "# Probe results on the CPU",
        "",
        f"Device: {dev}; torch {torch.__version__}; fp32; synthetic data at each model's default input; "
        "default settings (`archscope probe MODEL --device cpu`). Regenerate with "
        "`.venv/bin/python benchmarks/probe_cpu.py`.",
        "",
        "No GPU was lent to the session that produced this file, so there is no `probe-gpu.md` yet: on a machine "
        "with one, `archscope probe --all --device cuda -o probe-gpu.json` produces the GPU figures. The "
        "ImageNet-size models take minutes per hundred steps on two cores and are not in this table; ResNet-18 "
        "at its full 3x224x224 was probed once by `benchmarks/sweeps_and_cam.sh` (200 steps, all five checks "
        "pass): [`cam/resnet18/probe.json`](cam/resnet18/probe.json).",
        "",
        "| model | checks | steps | batch | test acc (chance 0.10) | images/s | achieved FLOP/s | MFU vs measured "
        "matmul peak | peak RSS growth | archscope estimate |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.model} | {'pass' if r.passed else 'FAIL: ' + ', '.join(c.name for c in r.checks if not c.passed)} "
            f"| {r.steps} | {r.settings['batch_size']} | {r.test_accuracy:.3f} | {r.images_per_s:,.0f} "
            f"| {r.achieved_flops_per_s / 1e9:,.1f} G | {100 * r.mfu_measured:.1f}% "
            f"| {r.peak_memory_bytes / 2**20:,.0f} MiB | {r.estimated_train_memory_bytes / 2**20:,.0f} MiB |")
    peak = rows[0].peak_flops_measured
    lines += ["", f"Measured fp32 matmul peak on this CPU: {peak / 1e9:,.0f} GFLOP/s (1024x1024 matmuls).",
              "Peak RSS growth on the CPU is a coarse measure (the process high-water mark after torch's import); "
              "on CUDA the probe reports the allocator's peak instead."]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
