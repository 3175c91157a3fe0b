"""archscope's small-batch training paths against the plain PyTorch loop a
user would write, side by side: article 002's LeNet on Fashion-MNIST (d2l's
train_ch6: xavier_uniform_ weights, pixels / 255, SGD lr 0.9) at batch 2, 16
and 256.

- plain loop: ``DataLoader(TensorDataset(x, y), batch_size=b, shuffle=True)``,
  ``model(x)``, ``loss.backward()``, ``opt.step()``, torch's default threads
  (every core), one seed after another;
- archscope: two worker processes of one thread each (``claims --train
  --jobs 2``), each training its seeds on a path (``archscope.probe.paths``):
  ``plain`` (one seed at a time), ``grouped`` (the seeds of a setting as one
  grouped network) or ``grouped-compiled`` (the same through
  ``torch.compile``). Every path is measured; the one ``paths.choose``
  picks for 5 seeds a worker is marked.

The figure is training examples per second summed over every seed a path
trains at once (the training loop's own time: the per-epoch evaluation and
the one-off compilation are left out, and the compilation is reported apart).
One epoch of a subset of the training split keeps it short (the step time
does not depend on how many images the split has). Each measurement is a
fresh process; the plain loop is measured before and after archscope's paths
(their mean is the reference), so drift in the machine's speed hits both.

    .venv/bin/python benchmarks/small_batch.py [--batches 2,16,256] [--seeds 5]

writes reports/small-batch.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/usr/share/datasets/fashion-mnist")
SUBSET = {2: 3_000, 16: 16_000, 256: 60_000}  # training images per measured epoch, by batch size

PLAIN = r'''
import gzip, json, os, sys, time
import numpy as np, torch, torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
D, b, seed, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if threads:
    torch.set_num_threads(threads)
def idx(name, offset):
    return np.frombuffer(gzip.open(os.path.join(D, name)).read(), np.uint8, offset=offset)
x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).copy()).float().div(255).view(-1, 1, 28, 28)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
torch.manual_seed(seed)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5),
                    nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(),
                    nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
for m in net:
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
opt = torch.optim.SGD(net.parameters(), lr=0.9)
loss_fn = nn.CrossEntropyLoss()
loader = DataLoader(TensorDataset(x, y), batch_size=b, shuffle=True)
t = time.perf_counter()
n = 0
for xb, yb in loader:
    loss = loss_fn(net(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    n += len(yb)
s = time.perf_counter() - t
print(json.dumps({"images": n, "seconds": s, "threads": torch.get_num_threads(), "loss": float(loss)}))
'''

WORKER = r'''
import json, sys
from dataclasses import replace
import torch
from archscope.probe.experiments import D2L_FMNIST
a = json.loads(sys.argv[1])
cfg = replace(D2L_FMNIST, data_dir=a["data"], batch_size=a["batch"], epochs=1, device="cpu", threads=1)
seeds = a["seeds"]
if a["path"] == "plain":
    from archscope.probe.train import run
    images = seconds = 0.0
    for s in seeds:
        r = run(replace(cfg, seed=s))
        images += r.images_seen
        seconds += r.train_seconds
    print(json.dumps({"images": images, "seconds": seconds, "compile": 0.0}))
else:
    from archscope.probe.grouped import train_group
    g = train_group([replace(cfg, seed=s) for s in seeds], compiled=a["path"] == "grouped-compiled")
    print(json.dumps({"images": g.images_seen, "seconds": g.train_seconds - (g.compile_seconds or 0.0),
                      "compile": g.compile_seconds or 0.0}))
'''


def _write_idx(path: Path, data: bytes, dims: tuple, magic: int) -> None:
    path.write_bytes(gzip.compress(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + data,
                                   mtime=0))


def subset(folder: Path, n: int) -> Path:
    """The first ``n`` training images (and labels) of Fashion-MNIST, and its whole test split, as IDX files."""
    folder.mkdir(parents=True, exist_ok=True)
    images = gzip.open(DATA / "train-images-idx3-ubyte.gz").read()[16:16 + n * 784]
    labels = gzip.open(DATA / "train-labels-idx1-ubyte.gz").read()[8:8 + n]
    _write_idx(folder / "train-images-idx3-ubyte.gz", images, (n, 28, 28), 0x803)
    _write_idx(folder / "train-labels-idx1-ubyte.gz", labels, (n,), 0x801)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    return folder


def _run(code: str, *args, env=None) -> dict:
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                       env=env, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def plain_loop(data: Path, batch: int, seed: int, threads: int = 0) -> dict:
    """The plain loop in a fresh process: torch's default threads (0), or ``threads``."""
    return _run(PLAIN, data, batch, seed, threads)


def archscope_path(data: Path, batch: int, path: str, seeds_per_worker: int, workers: int = 2) -> dict:
    """``workers`` processes at once, one thread each, each training its own seeds on ``path``."""
    env = {**os.environ, "ARCHSCOPE_THREADS": "1", "ARCHSCOPE_LOCK_DIR": tempfile.mkdtemp(prefix="bench-cpus-")}
    procs = []
    for w in range(workers):
        seeds = list(range(w * seeds_per_worker, (w + 1) * seeds_per_worker))
        arg = json.dumps({"data": str(data), "batch": batch, "path": path, "seeds": seeds})
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, arg], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env))
    outs = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode:
            raise SystemExit(f"{path} at batch {batch} failed:\n{err}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    # every worker ran for the whole time: the sum of their rates is what the pair trains at once
    return {"examples_per_s": sum(o["images"] / o["seconds"] for o in outs),
            "compile_s": max(o["compile"] for o in outs), "workers": outs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", default="2,16,256")
    ap.add_argument("--seeds", type=int, default=5, help="seeds a worker trains (two workers)")
    ap.add_argument("--out", default=str(ROOT / "reports" / "small-batch.md"))
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    import torch

    from archscope.probe import paths
    from archscope.probe.experiments import D2L_FMNIST

    tmp = Path(tempfile.mkdtemp(prefix="small-batch-"))
    rows, raw = [], {}
    load = os.getloadavg()
    for b in (int(v) for v in args.batches.split(",")):
        data = subset(tmp / f"b{b}", SUBSET.get(b, 60_000))
        before, before1 = plain_loop(data, b, 0), plain_loop(data, b, 0, threads=1)
        cands = {}
        for path in ("plain", "grouped", "grouped-compiled"):
            cands[path] = archscope_path(data, b, path, args.seeds)
        after, after1 = plain_loop(data, b, 1), plain_loop(data, b, 1, threads=1)
        ref = statistics.fmean([before["images"] / before["seconds"], after["images"] / after["seconds"]])
        ref1 = statistics.fmean([before1["images"] / before1["seconds"], after1["images"] / after1["seconds"]])
        torch.set_num_threads(1)
        chosen = paths.choose(replace(D2L_FMNIST, batch_size=b, device="cpu", threads=1), args.seeds)
        rows.append((b, ref, before["threads"], cands, chosen.path, ref1))
        raw[b] = {"plain_loop": [before, after], "plain_loop_1_thread": [before1, after1], "archscope": cands,
                  "chosen": chosen.to_dict()}
        print(b, f"plain {ref:,.0f}, 1 thread {ref1:,.0f}",
              {k: f"{v['examples_per_s']:,.0f}" for k, v in cands.items()},
              chosen.path, flush=True)
    load_after = os.getloadavg()
    lines = [
        "# Small-batch training: archscope's paths against a plain PyTorch loop", "",
        "Article 002's LeNet on Fashion-MNIST (d2l's `train_ch6`: SGD lr 0.9, xavier_uniform_ weights, pixels / 255), "
        f"one epoch of the first {', '.join(f'{SUBSET.get(r[0], 60000):,}' for r in rows)} training images at batch "
        f"{', '.join(str(r[0]) for r in rows)}; {os.cpu_count()} cores ({platform.machine()}), torch "
        f"{torch.__version__}. Command: `.venv/bin/python benchmarks/small_batch.py --batches {args.batches} "
        f"--seeds {args.seeds}`.", "",
        "Training examples per second, summed over every seed a path trains at once (training loop only; the "
        "per-epoch evaluation and the one-off compilation left out). Plain loop: `DataLoader(shuffle=True)` + "
        f"`model(x)` + `loss.backward()` + `opt.step()`, torch's default threads ({rows[0][2]}), one seed after "
        f"another (mean of one run before and one after archscope's). archscope: 2 worker processes of 1 thread, "
        f"{args.seeds} seeds each; the path `claims --train` chooses here is marked *.", "",
        "| batch | plain loop | archscope plain, 2 workers | grouped, 2 workers | grouped-compiled, 2 workers "
        "(compile s) | chosen path vs plain loop | plain loop, 1 thread | chosen path vs plain loop, 1 thread |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b, ref, _, cands, chosen, ref1 in rows:
        cells = []
        for path in ("plain", "grouped", "grouped-compiled"):
            v = cands[path]["examples_per_s"]
            cell = f"{v:,.0f} ({v / ref:.2f}x)" + ("*" if path == chosen else "")
            if path == "grouped-compiled":
                cell += f" ({cands[path]['compile_s']:.0f})"
            cells.append(cell)
        best = cands[chosen]["examples_per_s"]
        lines.append(f"| {b} | {ref:,.0f} | " + " | ".join(cells) + f" | {best / ref:.2f}x | {ref1:,.0f} | "
                     f"{best / ref1:.2f}x |")
    lines += ["", f"Load average (1 min) {load[0]:.1f} before, {load_after[0]:.1f} after: "
              + ("the machine was shared with other work (other sessions' tests and a long training measurement), "
                 "so absolute figures are low and ratios noisy; each row's figures were measured back to back."
                 if max(load[0], load_after[0]) > 1.5 else "the machine was quiet."),
              "",
              "The plain loop with torch's default threads is the reference the targets name (a user's loop as "
              "written); with both cores busy with other work its two threads at a small batch mostly wait for "
              "each other, so the same loop on one thread is given beside it as the fairer reference.", "",
              "The same seed gives the same run on every path (same data order and initialisation; "
              "tests/test_grouped.py compares the first 50 steps' losses with the plain path's).", "",
              "Raw figures:", "", "```", json.dumps(raw, indent=1), "```", ""]
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
