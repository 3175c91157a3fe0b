"""Grad-CAM: archscope's against Captum's LayerGradCam (the library people use
for it in PyTorch), same model, same images, same layer, run side by side.

    .venv/bin/python benchmarks/bench_cam.py [--runs 5] [-o reports/bench-cam.md]

Each case runs in a fresh process per tool: one warm-up call, then --runs
timed calls (median reported), then the process's peak RSS. Both produce the
maps upsampled to the input (bilinear); the largest difference between the
two tools' maps is checked in the same session (tests/test_cam.py asserts
they agree). Absolute seconds drift on shared machines; the ratios are the
result.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_summary import machine  # noqa: E402

PY = sys.executable

CASES = {  # model, batch, input, layer
    "ResNet-50 @ 8x3x224x224, layer4": ("resnet50", 8, (3, 224, 224), "layer4"),
    "VGG-16 @ 4x3x224x224, features": ("vgg16", 4, (3, 224, 224), None),
    "ResNet-20 @ 256x3x32x32, stage3": ("resnet20", 256, (3, 32, 32), "stage3"),
}

WORKER = r"""
import json, resource, statistics, sys, time, torch
from archscope.zoo import get_model
from archscope.explain.cam import gradcam, default_layer
name, batch, shape, layer, tool, runs = json.loads(sys.argv[1])
torch.manual_seed(0)
m = get_model(name).eval()
x = torch.randn(batch, *shape)
layer = layer or default_layer(m, x[:1])
t = torch.arange(batch) % 10
if tool.startswith("archscope"):
    how = tool.split(":")[1]
    fn = lambda: gradcam(m, x, layer, t, how).maps
else:
    from captum.attr import LayerAttribution, LayerGradCam
    gc = LayerGradCam(m, dict(m.named_modules())[layer])
    fn = lambda: LayerAttribution.interpolate(gc.attribute(x, target=t, relu_attributions=True), shape[1:],
                                              interpolate_mode="bilinear").squeeze(1).detach()
out = fn()
times = []
for _ in range(runs):
    t0 = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t0)
torch.save(out, sys.argv[2])
print(json.dumps({"s": statistics.median(times), "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "layer": layer}))
"""


def main() -> None:
    import tempfile

    import torch

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("-o", "--output", default="reports/bench-cam.md")
    args = ap.parse_args()
    lines = ["# Benchmark: Grad-CAM, archscope against Captum", "", f"Machine: {machine()}.",
             f"Median of {args.runs} calls after one warm-up, each tool in its own fresh process; peak RSS of that "
             "process. Both return the maps upsampled to the input. Regenerate with "
             "`.venv/bin/python benchmarks/bench_cam.py`.", "",
             "Columns 3-9 compare like with like: archscope with `--upsample bilinear`, what Captum's "
             "`LayerAttribution.interpolate` does; the last column is archscope's default, upsampling to the "
             "receptive fields' centres, which also runs archscope's analysis of the model (a meta-device trace).",
             "",
             "| case | layer | archscope (s) | Captum (s) | time vs Captum | archscope RSS (MiB) | Captum RSS (MiB) "
             "| RSS vs Captum | max map difference (relative) | archscope aligned (s) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for case, (name, batch, shape, layer) in CASES.items():
            res = {}
            for tool in ("archscope:bilinear", "captum", "archscope:aligned"):
                out = Path(tmp) / f"{tool.replace(':', '-')}.pt"
                p = subprocess.run([PY, "-c", WORKER, json.dumps([name, batch, shape, layer, tool, args.runs]),
                                    str(out)], check=True, capture_output=True, text=True)
                res[tool] = json.loads(p.stdout.strip().splitlines()[-1])
                res[tool]["maps"] = torch.load(out)
            a, c, al = res["archscope:bilinear"], res["captum"], res["archscope:aligned"]
            diff = float((a["maps"] - c["maps"]).abs().max() / c["maps"].abs().max().clamp_min(1e-30))
            lines.append(f"| {case} | {a['layer']} | {a['s']:.3f} | {c['s']:.3f} | {a['s'] / c['s']:.2f}x | "
                         f"{a['mib']:.0f} | {c['mib']:.0f} | {a['mib'] / c['mib']:.2f}x | {diff:.1e} | "
                         f"{al['s']:.3f} |")
            print(lines[-1], flush=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
