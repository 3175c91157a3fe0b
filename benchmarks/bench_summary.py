"""Whole-process wall time and peak RSS of `archscope summary` against the
tools people use instead, on the same model objects, run side by side.

    .venv/bin/python benchmarks/bench_summary.py [--runs 5] [-o reports/benchmarks.md]

Each case is a fresh Python process timed by /usr/bin/time (%e wall seconds,
%M peak resident KB); the table gives the median of --runs runs and the ratio
to torchinfo measured in the same session. Absolute seconds drift on shared
machines; the ratios are the result.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PY = sys.executable

# The model object each tool gets: archscope's zoo builds it; torchinfo and
# fvcore receive that same nn.Module built on the CPU, as a user would pass it.
CASES = {
    "ResNet-152 @ 1x3x224x224": ("resnet152.torchvision", 1, 224),
    "VGG-16 @ 4x3x896x896": ("vgg16.torchvision", 4, 896),
    "VGG-16 @ 1x3x224x224": ("vgg16.torchvision", 1, 224),
}

TOOLS = {
    "archscope summary": "from archscope.cli import main; import sys; "
                         "sys.argv = ['archscope', 'summary', '{name}', '--batch', '{batch}', "
                         "'--input', '3x{size}x{size}']; main()",
    "torchinfo summary": "import torch, torchinfo; from archscope.zoo import get_model; "
                         "m = get_model('{name}'); "
                         "torchinfo.summary(m, input_size=({batch}, 3, {size}, {size}), verbose=1)",
    "fvcore FlopCountAnalysis": "import torch; from fvcore.nn import FlopCountAnalysis; "
                                "from archscope.zoo import get_model; m = get_model('{name}').eval(); "
                                "f = FlopCountAnalysis(m, torch.randn({batch}, 3, {size}, {size})); "
                                "f.unsupported_ops_warnings(False); print(f.total())",
}


def measure(code: str) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", out.name, PY, "-c", code],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, kb = out.read().split()[-2:]
    return float(wall), float(kb) / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, torch {torch.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("-o", "--output", default="reports/benchmarks.md")
    args = ap.parse_args()

    results = {}
    for case, (name, batch, size) in CASES.items():
        for tool, template in TOOLS.items():
            if tool.startswith("fvcore") and size > 224:
                continue  # fvcore's traced real forward of VGG-16 at 4x896^2 takes minutes and ~4 GB here
            code = template.format(name=name, batch=batch, size=size)
            runs = [measure(code) for _ in range(args.runs)]
            results[(case, tool)] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
            print(f"{case:28s} {tool:26s} {results[(case, tool)][0]:6.2f} s {results[(case, tool)][1]:7.0f} MiB",
                  flush=True)

    lines = [
        "# Benchmarks: `archscope summary` against torchinfo and fvcore",
        "",
        f"Machine: {machine()}.",
        f"Each figure is the median of {args.runs} fresh processes (`/usr/bin/time`: wall seconds, peak RSS), "
        "every tool given the same model; ratios are to torchinfo in the same run. Regenerate with "
        "`.venv/bin/python benchmarks/bench_summary.py`.",
        "",
        "| case | tool | wall (s) | peak RSS (MiB) | wall vs torchinfo | RSS vs torchinfo |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in CASES:
        base = results[(case, "torchinfo summary")]
        for tool in TOOLS:
            if (case, tool) not in results:
                continue
            wall, rss = results[(case, tool)]
            lines.append(f"| {case} | {tool} | {wall:.2f} | {rss:.0f} | {wall / base[0]:.2f}x | {rss / base[1]:.2f}x |")
    a224 = results[("VGG-16 @ 1x3x224x224", "archscope summary")]
    a896 = results[("VGG-16 @ 4x3x896x896", "archscope summary")]
    t224 = results[("VGG-16 @ 1x3x224x224", "torchinfo summary")]
    t896 = results[("VGG-16 @ 4x3x896x896", "torchinfo summary")]
    lines += [
        "",
        f"VGG-16 from 1x3x224x224 to 4x3x896x896 (64x the work): archscope {a896[0] / a224[0]:.2f}x the time and "
        f"{a896[1] / a224[1]:.2f}x the memory; torchinfo {t896[0] / t224[0]:.2f}x and {t896[1] / t224[1]:.2f}x.",
        "",
        "fvcore is not run at 4x3x896x896: its traced real forward takes minutes and several GB there.",
    ]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
