"""archscope's training loop against a plain PyTorch loop of the same
experiment, side by side: article 002's LeNet on Fashion-MNIST (d2l's
train_ch6: xavier_uniform_ weights, pixels / 255, SGD lr 0.9, batch 256, 10
epochs of 235 shuffled batches, the last one partial).

The plain loop is what a careful user writes: the data as one tensor, batches
by index, no per-sample Python, threads set to the cores the process may use.
Each measurement is a fresh process; the two are alternated so that drift in
the machine's speed hits both. Then the same two side by side *concurrently*
(two processes at once on the same cores): the plain loops each take every
core, archscope's take cores as slots (archscope.probe.cpus).

    .venv/bin/python benchmarks/train_loop.py [--repeats 2] [--epochs 10]

writes reports/bench-training.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/usr/share/datasets/fashion-mnist")

PLAIN = r'''
import gzip, json, os, sys, time
import numpy as np, torch, torch.nn as nn
torch.set_num_threads(len(os.sched_getaffinity(0)))
D, epochs = sys.argv[1], int(sys.argv[2])
def idx(name, offset):
    return np.frombuffer(gzip.open(os.path.join(D, name)).read(), np.uint8, offset=offset)
xtr = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).copy()).float().div(255).view(-1, 1, 28, 28)
ytr = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
xte = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).copy()).float().div(255).view(-1, 1, 28, 28)
yte = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5),
                    nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(),
                    nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
for m in net:
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
opt = torch.optim.SGD(net.parameters(), lr=0.9)
loss_fn = nn.CrossEntropyLoss()
g = torch.Generator().manual_seed(0)
t0 = time.perf_counter()
for epoch in range(epochs):
    perm = torch.randperm(60000, generator=g)
    net.train()
    tl = torch.zeros(()); tc = torch.zeros((), dtype=torch.int64)
    for i in range(0, 60000, 256):
        b = perm[i:i + 256]
        X, y = xtr[b], ytr[b]
        opt.zero_grad()
        yh = net(X)
        l = loss_fn(yh, y)
        l.backward()
        opt.step()
        with torch.no_grad():
            tl += l * len(y); tc += (yh.argmax(1) == y).sum()
train_s = time.perf_counter() - t0
net.eval()
with torch.no_grad():
    acc = sum(int((net(xte[i:i + 256]).argmax(1) == yte[i:i + 256]).sum()) for i in range(0, 10000, 256)) / 10000
print(json.dumps({"train_seconds": train_s, "test_accuracy": acc, "train_loss": float(tl) / 60000}))
'''

ARCHSCOPE = r'''
import json, sys
from dataclasses import replace
from archscope.probe.experiments import EXPERIMENTS
from archscope.probe.train import run
r = run(replace(EXPERIMENTS["lenet-fmnist"].config, device="cpu", epochs=int(sys.argv[2])))
print(json.dumps({"train_seconds": r.train_seconds, "test_accuracy": r.test_accuracy,
                  "train_loss": r.last_epoch_loss}))
'''


def one(kind: str, epochs: int) -> dict:
    code = PLAIN if kind == "plain" else ARCHSCOPE
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(DATA), str(epochs)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    d = json.loads(out.stdout.strip().splitlines()[-1])
    d["process_seconds"] = time.perf_counter() - t0
    return d


def concurrent(kind: str, epochs: int) -> list[dict]:
    code = PLAIN if kind == "plain" else ARCHSCOPE
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code, str(DATA), str(epochs)], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT) for _ in range(2)]
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    wall = time.perf_counter() - t0
    for o in outs:
        o["both_done_seconds"] = wall
    return outs


def _secs(outs) -> str:
    return ", ".join("%.1f" % o["train_seconds"] for o in outs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("-o", default=str(ROOT / "reports" / "bench-training.md"))
    a = ap.parse_args()
    if not DATA.is_dir():
        sys.exit("needs Debian's dataset-fashion-mnist (scripts/setup.sh installs it as root)")
    runs = {"plain": [], "archscope": []}
    for _ in range(a.repeats):
        for kind in ("plain", "archscope"):
            runs[kind].append(one(kind, a.epochs))
            print(kind, runs[kind][-1], flush=True)
    conc = {kind: concurrent(kind, a.epochs) for kind in ("plain", "archscope")}
    print("concurrent", conc, flush=True)

    def med(kind, key):
        return statistics.median(r[key] for r in runs[kind])

    ratio_train = med("archscope", "train_seconds") / med("plain", "train_seconds")
    ratio_proc = med("archscope", "process_seconds") / med("plain", "process_seconds")
    lines = [
        "# Training loop: archscope against a plain PyTorch loop", "",
        f"Article 002's LeNet on Fashion-MNIST (d2l's `train_ch6`: {a.epochs} epochs of 235 shuffled batches of "
        "256, SGD lr 0.9, xavier_uniform_ weights, pixels / 255), on "
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), torch "
        f"{__import__('torch').__version__}. Each figure is a fresh process; plain and archscope alternate; median "
        f"of {a.repeats}. Command: `.venv/bin/python benchmarks/train_loop.py --repeats {a.repeats} --epochs "
        f"{a.epochs}`.", "",
        "| | plain loop | archscope (`probe --recipe lenet-fmnist`) | ratio |", "|---|---|---|---|",
        f"| training loop (s) | {med('plain', 'train_seconds'):.1f} | {med('archscope', 'train_seconds'):.1f} | "
        f"{ratio_train:.2f}x |",
        f"| whole process (s) | {med('plain', 'process_seconds'):.1f} | {med('archscope', 'process_seconds'):.1f} | "
        f"{ratio_proc:.2f}x |",
        f"| test accuracy (seed 0) | {runs['plain'][0]['test_accuracy']:.4f} | "
        f"{runs['archscope'][0]['test_accuracy']:.4f} | |", "",
        "archscope's whole process also runs the meta-device analysis (FLOPs and the memory estimate), verifies the "
        "data set's content checksums (sha256 of 55 MB), keeps every epoch's running loss and accuracy and "
        "measures the matmul peak for MFU; the training loop itself is the figure to compare.", "",
        "## Two at once on the same cores", "",
        "| | plain loops (each sets threads to every core) | archscope (cores as slots) |", "|---|---|---|",
        f"| both finished after (s) | {conc['plain'][0]['both_done_seconds']:.1f} | "
        f"{conc['archscope'][0]['both_done_seconds']:.1f} |",
        f"| training loops (s) | {_secs(conc['plain'])} | {_secs(conc['archscope'])} |", "",
        "Raw figures:", "", "```", json.dumps({"sequential": runs, "concurrent": conc}, indent=1), "```", ""]
    Path(a.o).write_text("\n".join(lines))
    print(f"wrote {a.o}")


if __name__ == "__main__":
    main()
