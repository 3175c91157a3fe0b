"""Receptive field arithmetic (Araujo, Norris & Sim 2019, "Computing Receptive
Fields of Convolutional Neural Networks", Distill, eq. 1-2):

    r_out = r_in + (k - 1) * d * j_in        j_out = j_in * s

r is the size of the input region one output element sees, j (the "jump" or
effective stride) the distance on the input between neighbouring outputs.
The centre of output element 0 (``start``, input pixel coordinates, pixel
centres at integers) moves by ``((k - 1) * d / 2 - p) * j_in`` per layer
(ibid., eq. 3-4 for the region's start, expressed for its centre), so output
element i is centred on input pixel ``start + i * j``; explicit padding moves
it by ``-p * j_in``. A
merge (add, concatenation) sees the union of its inputs: the largest r. After
global pooling or a fully connected layer every output sees the whole input:
``GLOBAL``.

``RF`` and ``GLOBAL`` are also what the analysis result holds
(``LayerStats.receptive_field``): numbers per axis, never display text;
``render/`` writes them as "211", "15x15" or "global".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class RF:
    """A local receptive field: what one output element sees of the input."""

    size: tuple[int, int]  # (height, width) on the input
    jump: tuple[int, int]  # (height, width) distance on the input between neighbouring outputs
    start: tuple[float, float] = (0.0, 0.0)  # (y, x) centre of output element 0 on the input
    is_global: ClassVar[bool] = False

    def to_dict(self) -> dict:
        return {"size": list(self.size), "jump": list(self.jump), "start": list(self.start)}


@dataclass(frozen=True)
class GlobalRF:
    """Every output element sees the whole input (after global pooling or a
    fully connected layer): no size, jump or position of its own."""

    is_global: ClassVar[bool] = True

    def to_dict(self) -> dict:
        return {"size": None, "jump": None, "start": None}


GLOBAL = GlobalRF()
INPUT = RF((1, 1), (1, 1))


def rf_to_dict(rf: RF | GlobalRF | None) -> dict | None:
    """The JSON form: ``{size, jump, start}`` per axis, all null for a global
    field; None (null) off the spatial path."""
    return None if rf is None else rf.to_dict()


def through_kernel(rf: RF, kernel, stride, dilation=(1, 1), padding=(0, 0)) -> RF:
    size = tuple(r + (k - 1) * d * j for r, k, d, j in zip(rf.size, kernel, dilation, rf.jump, strict=True))
    jump = tuple(j * s for j, s in zip(rf.jump, stride, strict=True))
    start = tuple(c + ((k - 1) * d / 2 - p) * j
                  for c, k, d, p, j in zip(rf.start, kernel, dilation, padding, rf.jump, strict=True))
    return RF(size, jump, start)


def through_pad(rf: RF, top: int, left: int) -> RF:
    """Explicit padding (F.pad, TF-style 'same'): element 0 is now padding."""
    return RF(rf.size, rf.jump, (rf.start[0] - top * rf.jump[0], rf.start[1] - left * rf.jump[1]))


def merge(rfs):
    """The field of an op combining several inputs: global if any input is,
    else the largest size and jump per axis."""
    rfs = [r for r in rfs if r is not None]
    if not rfs:
        return None
    if any(r == GLOBAL for r in rfs):
        return GLOBAL
    widest = max(rfs, key=lambda r: r.size)  # the centre of the branch that sees the most
    return RF(tuple(max(r.size[i] for r in rfs) for i in range(2)),
              tuple(max(r.jump[i] for r in rfs) for i in range(2)), widest.start)
