"""Receptive field arithmetic (Araujo, Norris & Sim 2019, "Computing Receptive
Fields of Convolutional Neural Networks", Distill, eq. 1-2):

    r_out = r_in + (k - 1) * d * j_in        j_out = j_in * s

r is the size of the input region one output element sees, j (the "jump" or
effective stride) the distance on the input between neighbouring outputs. A
merge (add, concatenation) sees the union of its inputs: the largest r. After
global pooling or a fully connected layer every output sees the whole input:
``GLOBAL``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RF:
    size: tuple[int, int]  # (height, width) on the input
    jump: tuple[int, int]

    def describe(self) -> str:
        return str(self.size[0]) if self.size[0] == self.size[1] else f"{self.size[0]}x{self.size[1]}"


GLOBAL = "global"
INPUT = RF((1, 1), (1, 1))


def through_kernel(rf: RF, kernel, stride, dilation=(1, 1)) -> RF:
    size = tuple(r + (k - 1) * d * j for r, k, d, j in zip(rf.size, kernel, dilation, rf.jump))
    jump = tuple(j * s for j, s in zip(rf.jump, stride))
    return RF(size, jump)


def merge(rfs):
    """The field of an op combining several inputs: global if any input is,
    else the largest size and jump per axis."""
    rfs = [r for r in rfs if r is not None]
    if not rfs:
        return None
    if any(r == GLOBAL for r in rfs):
        return GLOBAL
    return RF(tuple(max(r.size[i] for r in rfs) for i in range(2)),
              tuple(max(r.jump[i] for r in rfs) for i in range(2)))
