"""Analyse a network of your own: any nn.Module, with the input it expects."""

import torch
from torch import nn

from archscope.analysis import analyze


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.body = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1))
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(x + self.body(x))  # a functional residual add: counted too
        return self.head(x.mean(dim=(2, 3)))


a = analyze(TinyResNet(), (3, 32, 32))
print(f"params {a.totals.params:,}, MACs {a.totals.macs:,}, FLOPs {a.totals.flops:,}, depth {a.totals.depth}")
print("FLOPs by category:", {k: v for k, v in a.flops_by_category.items() if v})
