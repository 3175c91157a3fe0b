"""An independent check of the Table 10 runs (article 002's "best combination": lr 1.3, batch 16, ReLU), in plain
PyTorch with no archscope code: d2l's LeNet (Conv 6@5x5 pad 2, AvgPool 2, Conv 16@5x5, AvgPool 2, Linear 400-120,
120-84, 84-10), xavier_uniform_ on every Conv/Linear weight, pixels / 255, SGD (no momentum), one epoch of
Fashion-MNIST; ReLU after C1 and C3, and after C5 (the first dense layer) with ``c5``; sigmoid elsewhere.

archscope's runs of that setting (archscope/claims/measured/lenet-fmnist-best.json) end at chance (test accuracy
0.100) on every seed: this script tells whether the recipe itself diverges, on a plain loop.

Usage: python benchmarks/check_table10_divergence.py c5|no LR BATCH [SEEDS]   (results: reports/table10-divergence.md)
"""

import gzip
import sys

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist/"  # Debian's dataset-fashion-mnist


def load(name: str, offset: int) -> np.ndarray:
    with gzip.open(DATA + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main() -> None:
    torch.set_num_threads(1)
    c5, lr, bs = sys.argv[1] == "c5", float(sys.argv[2]), int(sys.argv[3])
    seeds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    x = torch.tensor(load("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
    y = torch.tensor(load("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    xt = torch.tensor(load("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
    yt = torch.tensor(load("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    for seed in range(seeds):
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU() if c5 else nn.Sigmoid(),
                            nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
        for m in net:
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.xavier_uniform_(m.weight)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()
        perm = torch.randperm(len(x))
        losses = []
        for i in range(0, len(x), bs):
            idx = perm[i:i + bs]
            loss = loss_fn(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        with torch.no_grad():
            acc = (net(xt).argmax(1) == yt).float().mean().item()
        print(f"c5={c5} lr={lr} batch={bs} seed {seed}: epoch-1 mean loss {np.nanmean(losses):.3f}, "
              f"last 100 steps {np.nanmean(losses[-100:]):.3f}, test accuracy {acc:.3f}", flush=True)


if __name__ == "__main__":
    main()
