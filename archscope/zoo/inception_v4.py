"""Inception-v4, Inception-ResNet-v1 and Inception-ResNet-v2 (Szegedy, Ioffe,
Vanhoucke, Alemi 2016, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning", AAAI 2017, arXiv 1602.07261, Figs. 3-20
and Table 1), and the two that timm writes.

The figures are data here: each module is its branches, each branch its
operations in turn, left to right as the figure draws them. A convolution is
``C(maps, kernel, stride, V)``; the figures' "V" marks a valid (unpadded)
convolution, every other one is same-padded (Sec. 3.1). All three networks
share one skeleton (Figs. 9 and 15): stem, N_a x A, Reduction-A, N_b x B,
Reduction-B, N_c x C, global average pooling, dropout (keep 0.8), linear.

Conventions the paper does not state, read from the authors' TF-slim release
(tensorflow/models research/slim/nets) where it decides them: every
convolution is bias-free and followed by batch norm (eps 0.001) and ReLU; the
Inception-ResNet 1x1 filter-expansion convolution (Sec. 3.2, "without
activation") has a bias and no batch norm, and no batch norm follows the
summations (Sec. 3.2); the figures' unsized "Avg Pooling" is 3x3/1 same,
padding left out of the mean; the figures' "1x7" is read as kernel height 1,
width 7 (torch's ``(1, 7)``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.utils import _pair  # torch's own int-or-pair rule

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, changed, only_paper, only_variant, register

__all__ = [
    "C", "Pool", "Split", "Mixed", "Residual", "Layout", "TABLE1", "LAYOUTS",
    "BasicConv", "MixedBlock", "InceptionResNetBlock", "InceptionV4Net",
    "inception_v4", "inception_resnet_v1", "inception_resnet_v2", "inception_v4_timm", "inception_resnet_v2_timm",
]

PAPER = "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning (Szegedy et al., 2016)"
BN_EPS = 1e-3  # TF-slim's batch_norm_epsilon and timm's; the paper gives none
V = True  # the figures' "V": valid padding


# ---- the figures as data --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class C:
    """A convolution + batch norm + ReLU: ``maps`` filters, a square or (h, w) kernel."""

    maps: int
    kernel: int | tuple[int, int]
    stride: int = 1
    valid: bool = False


@dataclass(frozen=True)
class Pool:
    """'max': the figures' 3x3 MaxPool (stride 2 V); 'avg': their Avg Pooling, 3x3/1 same."""

    kind: str


@dataclass(frozen=True)
class Split:
    """Inception-C (Figs. 6, 13, 19): one output feeding two parallel convolutions, concatenated."""

    left: C
    right: C


@dataclass(frozen=True)
class Mixed:
    """Parallel branches from one input, filter concat."""

    branches: tuple[tuple, ...]


@dataclass(frozen=True)
class Residual:
    """Inception-ResNet (Figs. 10, 11, 13, 16, 17, 19): the branches, concatenated, a 1x1 linear
    convolution back to the input's width, scaled (Sec. 3.3), added to the input, ReLU."""

    branches: tuple[tuple, ...]


MAX, AVG = Pool("max"), Pool("avg")


def reduction_a(k: int, l: int, m: int, n: int) -> Mixed:  # noqa: E741 - the paper's letters
    """Fig. 7: 35x35 -> 17x17; k, l, m, n from Table 1."""
    return Mixed(((MAX,), (C(n, 3, 2, V),), (C(k, 1), C(l, 3), C(m, 3, 2, V))))


# Table 1: the filter counts k, l, m, n of Reduction-A
TABLE1: dict[str, tuple[int, int, int, int]] = {
    "inception_v4": (192, 224, 256, 384),
    "inception_resnet_v1": (192, 192, 256, 384),
    "inception_resnet_v2": (256, 256, 384, 384),
}

FIG3_STEM = (  # Inception-v4 and Inception-ResNet-v2
    C(32, 3, 2, V), C(32, 3, 1, V), C(64, 3),  # 149x149x32, 147x147x32, 147x147x64
    Mixed(((MAX,), (C(96, 3, 2, V),))),  # 73x73x160
    Mixed(((C(64, 1), C(96, 3, 1, V)),
           (C(64, 1), C(64, (7, 1)), C(64, (1, 7)), C(96, 3, 1, V)))),  # 71x71x192
    # the 192-map conv must have stride 2 for the figure's 35x35 (71 -> 35)
    Mixed(((C(192, 3, 2, V),), (MAX,))),  # 35x35x384
)
FIG4_A = Mixed(((AVG, C(96, 1)), (C(96, 1),), (C(64, 1), C(96, 3)), (C(64, 1), C(96, 3), C(96, 3))))  # 384
FIG5_B = Mixed(((AVG, C(128, 1)), (C(384, 1),), (C(192, 1), C(224, (1, 7)), C(256, (7, 1))),
                (C(192, 1), C(192, (1, 7)), C(224, (7, 1)), C(224, (1, 7)), C(256, (7, 1)))))  # 1024
FIG6_C = Mixed(((AVG, C(256, 1)), (C(256, 1),), (C(384, 1), Split(C(256, (1, 3)), C(256, (3, 1)))),
                (C(384, 1), C(448, (1, 3)), C(512, (3, 1)), Split(C(256, (3, 1)), C(256, (1, 3))))))  # 1536
FIG8_REDUCTION_B = Mixed(((MAX,), (C(192, 1), C(192, 3, 2, V)),
                          (C(256, 1), C(256, (1, 7)), C(320, (7, 1)), C(320, 3, 2, V))))  # 1024 + 512

FIG14_STEM = (  # Inception-ResNet-v1
    C(32, 3, 2, V), C(32, 3, 1, V), C(64, 3), MAX,  # 149x149x32, 147x147x32, 147x147x64, 73x73x64
    C(80, 1), C(192, 3, 1, V), C(256, 3, 2, V),  # 73x73x80, 71x71x192, 35x35x256
)
FIG10_A = Residual(((C(32, 1),), (C(32, 1), C(32, 3)), (C(32, 1), C(32, 3), C(32, 3))))  # prints "256 Linear"
FIG11_B = Residual(((C(128, 1),), (C(128, 1), C(128, (1, 7)), C(128, (7, 1)))))  # prints "896 Linear"
FIG12_REDUCTION_B = Mixed(((MAX,), (C(256, 1), C(384, 3, 2, V)), (C(256, 1), C(256, 3, 2, V)),
                           (C(256, 1), C(256, 3), C(256, 3, 2, V))))  # 896 + 896 = 1792
FIG13_C = Residual(((C(192, 1),), (C(192, 1), C(192, (1, 3)), C(192, (3, 1)))))  # prints "1792 Linear"

FIG16_A = Residual(((C(32, 1),), (C(32, 1), C(32, 3)), (C(32, 1), C(48, 3), C(64, 3))))  # prints "384 Linear"
FIG17_B = Residual(((C(192, 1),), (C(128, 1), C(160, (1, 7)), C(192, (7, 1)))))  # prints "1154 Linear"
FIG18_REDUCTION_B = Mixed(((MAX,), (C(256, 1), C(384, 3, 2, V)), (C(256, 1), C(288, 3, 2, V)),
                           (C(256, 1), C(288, 3), C(320, 3, 2, V))))  # adds 992 maps
FIG19_C = Residual(((C(192, 1),), (C(192, 1), C(224, (1, 3)), C(256, (3, 1)))))  # prints "2048 Linear"

# timm (from Cadene's port of TF-slim): its own branch order (pool branch last) and the pairs of
# asymmetric kernels in the opposite order to the figures' labels.
TIMM_V4_STEM = (
    C(32, 3, 2, V), C(32, 3, 1, V), C(64, 3),
    Mixed(((MAX,), (C(96, 3, 2, V),))),  # Mixed3a
    Mixed(((C(64, 1), C(96, 3, 1, V)), (C(64, 1), C(64, (1, 7)), C(64, (7, 1)), C(96, 3, 1, V)))),  # Mixed4a
    Mixed(((C(192, 3, 2, V),), (MAX,))),  # Mixed5a
)
TIMM_V4_A = Mixed(((C(96, 1),), (C(64, 1), C(96, 3)), (C(64, 1), C(96, 3), C(96, 3)), (AVG, C(96, 1))))
TIMM_V4_REDUCTION_A = Mixed(((C(384, 3, 2, V),), (C(192, 1), C(224, 3), C(256, 3, 2, V)), (MAX,)))
TIMM_V4_B = Mixed(((C(384, 1),), (C(192, 1), C(224, (1, 7)), C(256, (7, 1))),
                   (C(192, 1), C(192, (7, 1)), C(224, (1, 7)), C(224, (7, 1)), C(256, (1, 7))), (AVG, C(128, 1))))
TIMM_V4_REDUCTION_B = Mixed(((C(192, 1), C(192, 3, 2, V)),
                             (C(256, 1), C(256, (1, 7)), C(320, (7, 1)), C(320, 3, 2, V)), (MAX,)))
TIMM_V4_C = Mixed(((C(256, 1),), (C(384, 1), Split(C(256, (1, 3)), C(256, (3, 1)))),
                   (C(384, 1), C(448, (3, 1)), C(512, (1, 3)), Split(C(256, (1, 3)), C(256, (3, 1)))),
                   (AVG, C(256, 1))))

TIMM_IRV2_STEM = (  # conv2d_1a .. maxpool_5a, then mixed_5b (an Inception-v3-style module to 320 maps)
    C(32, 3, 2, V), C(32, 3, 1, V), C(64, 3), MAX, C(80, 1), C(192, 3, 1, V), MAX,  # 35x35x192
    Mixed(((C(96, 1),), (C(48, 1), C(64, 5)), (C(64, 1), C(96, 3), C(96, 3)), (AVG, C(64, 1)))),  # 35x35x320
)
TIMM_IRV2_A = Residual(((C(32, 1),), (C(32, 1), C(32, 3)), (C(32, 1), C(48, 3), C(64, 3))))  # Block35
TIMM_IRV2_REDUCTION_A = Mixed(((C(384, 3, 2, V),), (C(256, 1), C(256, 3), C(384, 3, 2, V)), (MAX,)))  # Mixed_6a
TIMM_IRV2_B = Residual(((C(192, 1),), (C(128, 1), C(160, (1, 7)), C(192, (7, 1)))))  # Block17
TIMM_IRV2_REDUCTION_B = Mixed(((C(256, 1), C(384, 3, 2, V)), (C(256, 1), C(288, 3, 2, V)),
                               (C(256, 1), C(288, 3), C(320, 3, 2, V)), (MAX,)))  # Mixed_7a
TIMM_IRV2_C = Residual(((C(192, 1),), (C(192, 1), C(224, (1, 3)), C(256, (3, 1)))))  # Block8


@dataclass(frozen=True)
class Layout:
    """One network: the stem, each stage's module and count, the two reductions; timm's
    Inception-ResNet-v2 adds a last C block (unscaled, no ReLU) and a 1x1 conv before pooling."""

    stem: tuple
    a: Mixed | Residual
    n_a: int
    reduction_a: Mixed
    b: Mixed | Residual
    n_b: int
    reduction_b: Mixed
    c: Mixed | Residual
    n_c: int
    final_block: bool = False
    neck: C | None = None


LAYOUTS: dict[str, Layout] = {
    # Fig. 9: 4 x A, 7 x B, 3 x C
    "inception_v4": Layout(FIG3_STEM, FIG4_A, 4, reduction_a(*TABLE1["inception_v4"]), FIG5_B, 7,
                           FIG8_REDUCTION_B, FIG6_C, 3),
    # Fig. 15: 5 x A, 10 x B, 5 x C (both Inception-ResNets)
    "inception_resnet_v1": Layout(FIG14_STEM, FIG10_A, 5, reduction_a(*TABLE1["inception_resnet_v1"]), FIG11_B, 10,
                                  FIG12_REDUCTION_B, FIG13_C, 5),
    "inception_resnet_v2": Layout(FIG3_STEM, FIG16_A, 5, reduction_a(*TABLE1["inception_resnet_v2"]), FIG17_B, 10,
                                  FIG18_REDUCTION_B, FIG19_C, 5),
    "inception_v4.timm": Layout(TIMM_V4_STEM, TIMM_V4_A, 4, TIMM_V4_REDUCTION_A, TIMM_V4_B, 7, TIMM_V4_REDUCTION_B,
                                TIMM_V4_C, 3),
    # repeat: 10 x Block35, repeat_1: 20 x Block17, repeat_2: 9 x Block8 + block8 (no ReLU), conv2d_7b
    "inception_resnet_v2.timm": Layout(TIMM_IRV2_STEM, TIMM_IRV2_A, 10, TIMM_IRV2_REDUCTION_A, TIMM_IRV2_B, 20,
                                       TIMM_IRV2_REDUCTION_B, TIMM_IRV2_C, 9, final_block=True, neck=C(1536, 1)),
}
TIMM_SCALES = (0.17, 0.10, 0.20)  # timm's (and TF-slim's) Block35, Block17, Block8 scales


# ---- modules --------------------------------------------------------------------------------------------------


class BasicConv(nn.Sequential):
    """Bias-free convolution, batch norm, ReLU (timm's ConvNormAct / BasicConv2d)."""

    archscope_category = "conv"  # a convolution unit (conv, norm, activation): one layer of the paper's tables

    def __init__(self, in_ch: int, spec: C):
        kh, kw = _pair(spec.kernel)
        if not spec.valid and spec.stride != 1:
            raise ValueError(f"{spec}: a same-padded convolution of stride {spec.stride} is not in these figures")
        pad = (0, 0) if spec.valid else (kh // 2, kw // 2)
        super().__init__(OrderedDict(
            conv=nn.Conv2d(in_ch, spec.maps, (kh, kw), spec.stride, pad, bias=False),
            bn=nn.BatchNorm2d(spec.maps, eps=BN_EPS),
            relu=nn.ReLU(),
        ))


class SplitConv(nn.Module):
    """Two convolutions on the same input, concatenated (the forks of Inception-C)."""

    archscope_category = "conv"  # two convolutions side by side, drawn and classed as a convolution

    def __init__(self, in_ch: int, spec: Split):
        super().__init__()
        self.left = BasicConv(in_ch, spec.left)
        self.right = BasicConv(in_ch, spec.right)

    def forward(self, x):
        return torch.cat([self.left(x), self.right(x)], dim=1)


def _op(op, in_ch: int) -> tuple[nn.Module, int]:
    if isinstance(op, C):
        return BasicConv(in_ch, op), op.maps
    if isinstance(op, Split):
        return SplitConv(in_ch, op), op.left.maps + op.right.maps
    if isinstance(op, Pool):
        if op.kind == "max":
            return nn.MaxPool2d(3, 2), in_ch
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False), in_ch
    if isinstance(op, Mixed):
        block = MixedBlock(in_ch, op)
        return block, block.out_channels
    raise TypeError(f"unknown operation {op!r}")


def _branch(ops, in_ch: int) -> tuple[nn.Sequential, int]:
    layers = []
    for op in ops:
        layer, in_ch = _op(op, in_ch)
        layers.append(layer)
    return nn.Sequential(*layers), in_ch


class MixedBlock(nn.Module):
    """Parallel branches (``branch0`` .. from the figure's left), filter concat."""

    def __init__(self, in_ch: int, spec: Mixed):
        super().__init__()
        self.out_channels = 0
        for i, ops in enumerate(spec.branches):
            branch, c = _branch(ops, in_ch)
            self.add_module(f"branch{i}", branch)
            self.out_channels += c

    def forward(self, x):  # (N, C, H, W) -> (N, sum of branch maps, H', W')
        return torch.cat([b(x) for b in self.children()], dim=1)


class InceptionResNetBlock(nn.Module):
    """x + scale * up(concat(branches(x))), then ReLU (Figs. 10-13, 16-20). ``up`` is the 1x1 filter
    expansion back to the input width, linear: a bias, no batch norm, no activation (Sec. 3.2)."""

    def __init__(self, in_ch: int, spec: Residual, scale: float, relu: bool = True):
        super().__init__()
        width = 0
        for i, ops in enumerate(spec.branches):
            branch, c = _branch(ops, in_ch)
            self.add_module(f"branch{i}", branch)
            width += c
        self.n_branches = len(spec.branches)
        self.up = nn.Conv2d(width, in_ch, 1)
        self.scale = scale
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        y = torch.cat([getattr(self, f"branch{i}")(x) for i in range(self.n_branches)], dim=1)
        y = x + self.scale * self.up(y)  # the residual is scaled before the sum (Sec. 3.3, Fig. 20)
        return self.relu(y) if self.relu is not None else y

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class InceptionV4Net(nn.Module):
    """stem -> stage_a -> reduction_a -> stage_b -> reduction_b -> stage_c [-> neck] -> head."""

    def __init__(self, layout: Layout, num_classes: int, in_channels: int, dropout: float,
                 scales: tuple[float, float, float]):
        super().__init__()
        self.stem, c = _branch(layout.stem, in_channels)

        def stage(spec, n, c, scale, final=False):
            if isinstance(spec, Mixed):
                blocks = [MixedBlock(c, spec) for _ in range(n)]
                return nn.Sequential(*blocks), blocks[-1].out_channels
            blocks = [InceptionResNetBlock(c, spec, scale) for _ in range(n)]
            if final:  # timm's block8: scale 1.0, no ReLU
                blocks.append(InceptionResNetBlock(c, spec, 1.0, relu=False))
            return nn.Sequential(*blocks), c

        self.stage_a, c = stage(layout.a, layout.n_a, c, scales[0])
        self.reduction_a, c = _op(layout.reduction_a, c)
        self.stage_b, c = stage(layout.b, layout.n_b, c, scales[1])
        self.reduction_b, c = _op(layout.reduction_b, c)
        self.stage_c, c = stage(layout.c, layout.n_c, c, scales[2], layout.final_block)
        self.neck = None
        if layout.neck is not None:
            self.neck, c = _op(layout.neck, c)
        self.num_features = c
        self.head = nn.Sequential(OrderedDict(
            pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), dropout=nn.Dropout(dropout),
            fc=nn.Linear(c, num_classes),
        ))

    def forward(self, x):  # (N, 3, 299, 299)
        x = self.stem(x)  # (N, 384, 35, 35) for Fig. 3, (N, 256, 35, 35) for Fig. 14
        x = self.reduction_a(self.stage_a(x))  # 17x17
        x = self.reduction_b(self.stage_b(x))  # 8x8
        x = self.stage_c(x)
        if self.neck is not None:
            x = self.neck(x)
        return self.head(x)


# ---- builders -------------------------------------------------------------------------------------------------

def _scales(residual_scale) -> tuple[float, float, float]:
    if isinstance(residual_scale, (int, float)) and not isinstance(residual_scale, bool):
        return (float(residual_scale),) * 3
    try:
        values = tuple(float(s) for s in residual_scale)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 3:
        raise ArchscopeError("residual_scale must be one number or three (stages A, B, C), "
                             f"got {residual_scale!r}")
    return values


def _check_dropout(dropout) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ArchscopeError(f"dropout must be a drop probability in [0, 1), got {dropout!r}")
    return float(dropout)


def _build(layout: str, num_classes: int, in_channels: int, dropout: float, residual_scale) -> InceptionV4Net:
    return InceptionV4Net(LAYOUTS[layout], num_classes, in_channels, _check_dropout(dropout),
                          _scales(residual_scale))


def inception_v4(num_classes=1000, in_channels=3, *, dropout=0.2):
    """Fig. 9; dropout 0.2 is the figure's 'Dropout (keep 0.8)'."""
    return _build("inception_v4", num_classes, in_channels, dropout, 1.0)


def inception_resnet_v1(num_classes=1000, in_channels=3, *, dropout=0.2, residual_scale=0.1):
    """Fig. 15 with Figs. 14, 10, 7, 11, 12, 13. ``residual_scale``: one factor or one per stage (A, B, C)."""
    return _build("inception_resnet_v1", num_classes, in_channels, dropout, residual_scale)


def inception_resnet_v2(num_classes=1000, in_channels=3, *, dropout=0.2, residual_scale=0.1):
    """Fig. 15 with Figs. 3, 16, 7, 17, 18, 19, each 1x1 expansion as wide as its block's input."""
    return _build("inception_resnet_v2", num_classes, in_channels, dropout, residual_scale)


def inception_v4_timm(num_classes=1000, in_channels=3, *, dropout=0.0):
    """timm.models.inception_v4 (drop_rate 0 by default)."""
    return _build("inception_v4.timm", num_classes, in_channels, dropout, 1.0)


def inception_resnet_v2_timm(num_classes=1000, in_channels=3, *, dropout=0.0, residual_scale=TIMM_SCALES):
    """timm.models.inception_resnet_v2: 10/20/10 blocks scaled 0.17/0.10/0.20, the last unscaled."""
    return _build("inception_resnet_v2.timm", num_classes, in_channels, dropout, residual_scale)


_COMMON = (
    "Conventions the paper leaves open, from the authors' TF-slim release: bias-free convolutions, each followed "
    "by batch norm (eps 0.001, not given in the paper) and ReLU; 'Avg Pooling' read as 3x3/1 same with the "
    "padding left out of the mean; the final pooling global over 8x8.",
    "The figures' '1x7' / '7x1' read as kernel height x width (torch (1, 7)); TF-slim and timm put three of "
    "Inception-v4's pairs in the other order (see inception_v4.timm; the same parameters and multiply-adds).",
)
_RESIDUAL = (
    "Inception-ResNet blocks (Sec. 3.2): the concatenated branches go through a 1x1 'Linear' convolution back to "
    "the input width (with a bias, no batch norm, no activation), are scaled, added to the input, then ReLU; no "
    "batch norm after the sums (Sec. 3.2).",
    "residual_scale (Sec. 3.3: 'between 0.1 and 0.3'; Fig. 20: 'typically around 0.1') defaults to 0.1 for all "
    "three stages; give three numbers for one per stage (the authors' release uses 0.17, 0.10, 0.20). It changes "
    "no parameter or multiply-add.",
)
_TIMM_V4 = (
    "timm results/benchmark-infer-amp-nchw-pt240-cu124-rtx3090.csv (and every benchmark-infer CSV since "
    "pt113): inception_v4")
_TIMM_IRV2 = (
    "timm results/benchmark-infer-amp-nchw-pt240-cu124-rtx3090.csv (and every benchmark-infer CSV since "
    "pt113): inception_resnet_v2")

register(ModelInfo(
    name="inception_v4", family="Inception-v4", year=2016, paper=PAPER, source="paper",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "Fig. 9: stem (Fig. 3) to 35x35x384, 4 x Inception-A (Fig. 4), Reduction-A (Fig. 7; k, l, m, n = 192, "
        "224, 256, 384 from Table 1) to 17x17x1024, 7 x Inception-B (Fig. 5), Reduction-B (Fig. 8) to 8x8x1536, "
        "3 x Inception-C (Fig. 6), average pooling, dropout (keep 0.8), linear 1536 -> 1000.",
        "The stem's last 3x3 convolution (192 maps) has stride 2: the only reading that gives Fig. 3's 35x35x384 "
        "from 71x71x192.",
        *_COMMON,
        "Branches concatenate in the figures' left-to-right order (pool branch first).",
    ),
    builder=inception_v4,
))
register(ModelInfo(
    name="inception_resnet_v1", family="Inception-v4", year=2016, paper=PAPER, source="paper",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "Fig. 15 with Inception-ResNet-v1's blocks: stem (Fig. 14) to 35x35x256, 5 x Inception-ResNet-A (Fig. 10), "
        "Reduction-A (k, l, m, n = 192, 192, 256, 384) to 17x17x896, 10 x Inception-ResNet-B (Fig. 11), "
        "Reduction-B (Fig. 12) to 8x8x1792, 5 x Inception-ResNet-C (Fig. 13), average pooling, dropout (keep "
        "0.8), linear 1792 -> 1000. The figures' widths are consistent: each block's printed 1x1 'Linear' width "
        "(256, 896, 1792) is its input's.",
        *_RESIDUAL,
        *_COMMON,
    ),
    builder=inception_resnet_v1,
))
register(ModelInfo(
    name="inception_resnet_v2", family="Inception-v4", year=2016, paper=PAPER, source="paper",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "Fig. 15 with Inception-ResNet-v2's blocks: stem (Fig. 3) to 35x35x384, 5 x Inception-ResNet-A (Fig. 16), "
        "Reduction-A (k, l, m, n = 256, 256, 384, 384) to 17x17x1152, 10 x Inception-ResNet-B (Fig. 17), "
        "Reduction-B (Fig. 18) to 8x8x2144, 5 x Inception-ResNet-C (Fig. 19), average pooling, dropout (keep "
        "0.8), linear 2144 -> 1000.",
        "The figures' widths disagree: Fig. 16's 1x1 'Linear' prints 384 (the stem's width: consistent), but "
        "Fig. 17's prints 1154 where Reduction-A gives 384 + 384 + 384 = 1152, and Fig. 19's prints 2048 where "
        "Reduction-B (Fig. 18) gives 1152 + 384 + 288 + 320 = 2144. A residual sum needs the expansion as wide as "
        "the block's input, so each is built to its input's width (1152, 2144); Fig. 15's shapes are "
        "Inception-ResNet-v1's (its caption says so). The authors' release and timm are a different network "
        "(see inception_resnet_v2.timm).",
        "Fig. 18's caption says its Reduction-B serves 'the wider Inception-ResNet-v1'; Fig. 15's caption and the "
        "widths make it Inception-ResNet-v2's.",
        "Fig. 15's block counts (5, 10, 5) are half those of the authors' release (10, 20, 10): built as the "
        "figure says, this network costs well under Inception-v4, which Sec. 3.2 says it matches.",
        *_RESIDUAL,
        *_COMMON,
    ),
    builder=inception_resnet_v2,
))
register(ModelInfo(
    name="inception_v4.timm", family="Inception-v4", year=2016, paper=PAPER, source="timm",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "timm's inception_v4 (Cadene's port of TF-slim): the paper's network layer for layer, with ConvNormAct "
        "units (bias-free conv, batch norm eps 0.001, ReLU), average pools excluding padding.",
        "Differs from the paper's figures only in order: the pool branch concatenates last (Reduction-A/B: the "
        "pool last), and three of the asymmetric pairs run in the other order: the stem's Mixed4a 1x7 before "
        "7x1, Inception-B's double 7x7 branch 7x1 first, Inception-C's 448/512 pair 3x1 first, whose two-way "
        "split concatenates 3x1 before 1x3; Inception-B's single 7x7 branch, Reduction-B and Inception-C's "
        "other pairs keep the figures' order. The same parameters and multiply-adds.",
        "drop_rate 0 by default (the paper: keep 0.8); dropout= sets it.",
        "timm's infer_gmacs is fvcore's FlopCountAnalysis (benchmark.py without deepspeed): it adds 2 per "
        "batch-norm output element and the global pool's input to the conv/linear multiply-adds archscope "
        "counts, so archscope's MACs sit about 0.03 G under it.",
    ),
    published=(Published("params", 42.68e6, f"{_TIMM_V4} param_count 42.68 (millions)"),
               Published("gmacs", 12.28, f"{_TIMM_V4} infer_gmacs 12.28 at 299x299, fvcore's count: "
                               "conv/linear MACs + 2 per batch-norm element + the global pool's input")),
    deviations=(
        changed("stage_?.? (cat)", layer="cat", branch_order=((1, 2, 3, 4), (2, 3, 4, 1)), count=14,
                why="timm's Mixed_5/6/7 modules concatenate the pool branch last (the figures: first)"),
        changed("reduction_? (cat)", layer="cat", branch_order=((1, 2, 3), (2, 3, 1)), count=2,
                why="timm's reductions concatenate the max pool last (Figs. 7, 8: first)"),
        changed("stem.4.branch1.1.conv", layer="Conv2d", kernel_size=((7, 1), (1, 7)), padding=((3, 0), (0, 3)),
                why="the stem's Mixed4a runs 1x7 first (Fig. 3: 7x1 first)"),
        changed("stem.4.branch1.2.conv", layer="Conv2d", kernel_size=((1, 7), (7, 1)), padding=((0, 3), (3, 0)),
                why="and 7x1 second"),
        changed("stage_b.*.branch3.[13].conv", "stage_b.*.branch2.[13].conv", layer="Conv2d",
                kernel_size=((1, 7), (7, 1)), padding=((0, 3), (3, 0)), count=14,
                why="Inception-B's double 7x7 branch runs 7x1 first, twice (Fig. 5: 1x7 first)"),
        changed("stage_b.*.branch3.[24].conv", "stage_b.*.branch2.[24].conv", layer="Conv2d",
                kernel_size=((7, 1), (1, 7)), padding=((3, 0), (0, 3)), count=14, why="and 1x7 second"),
        changed("stage_c.*.branch3.1.conv", "stage_c.*.branch2.1.conv", layer="Conv2d",
                kernel_size=((1, 3), (3, 1)), padding=((0, 1), (1, 0)), count=3,
                why="Inception-C's 448 convolution is 3x1 (Fig. 6: 1x3 448, then 3x1 512)"),
        changed("stage_c.*.branch3.2.conv", "stage_c.*.branch2.2.conv", layer="Conv2d",
                kernel_size=((3, 1), (1, 3)), padding=((1, 0), (0, 1)), count=3, why="and its 512 one 1x3"),
        changed("stage_c.*.branch3.3 (cat)", "stage_c.*.branch2.3 (cat)", layer="cat",
                branch_order=((1, 2), (2, 1)), count=3,
                why="that branch's final split concatenates its 3x1 half before its 1x3 half"),
        changed("head.dropout", layer="Dropout", p=(0.2, 0.0), why="timm's drop_rate 0 by default (keep 0.8 in "
                "the paper)"),
    ),
    builder=inception_v4_timm,
))
# timm's Inception-ResNet-v2 against Figs. 3 and 15-19 (a different network: another stem, other widths, twice
# the blocks). Its extra blocks (the diff pairs the paper's 5, 10 and 5 blocks with timm's first ones: of
# identical blocks, the first pair and the extra ones are the last) are the layers on timm's side only below.
_EXTRA = ("stage_a.[5-9][. ]*", "stage_b.1?[. ]*", "stage_c.[5-9][. ]*")
_WHY_EXTRA = "timm's 10/20/10 blocks (the authors' release) where Fig. 15 has 5/10/5"
_WHY_STEM = ("timm's stem (Fig. 14 to 71x71x192, a 3x3/2 max pool, then mixed_5b to 35x35x320) where the paper's is "
             "Fig. 3's")
_IRV2_TIMM = (
    # the stem
    only_variant(("stem.3", "stem.6"), layer="MaxPool2d", kernel_size=3, stride=2, why=_WHY_STEM),
    only_variant("stem.4.conv", layer="Conv2d", kernel_size=(1, 1), out_channels=80, bias=False, why=_WHY_STEM),
    only_variant("stem.5.conv", layer="Conv2d", kernel_size=(3, 3), out_channels=192, bias=False, why=_WHY_STEM),
    only_variant("stem.*", layer="BatchNorm2d", eps=1e-3, count=4, why=_WHY_STEM),
    only_variant("stem.*", layer="ReLU", count=4, why=_WHY_STEM),
    only_paper(("stem.3.branch0.0", "stem.5.branch1.0"), layer="MaxPool2d", kernel_size=3, stride=2,
               why="Fig. 3's max-pool branches, not in timm's stem"),
    only_paper("stem.3.branch1.0.conv", layer="Conv2d", kernel_size=(3, 3), stride=(2, 2), out_channels=96,
               bias=False, why="Fig. 3's 3x3/2 96 branch"),
    only_paper("stem.4.branch1.2.conv", layer="Conv2d", kernel_size=(1, 7), padding=(0, 3), out_channels=64,
               bias=False, why="Fig. 3's 1x7 64"),
    only_paper("stem.5.branch0.0.conv", layer="Conv2d", kernel_size=(3, 3), stride=(2, 2), out_channels=192,
               bias=False, why="Fig. 3's 3x3/2 192 branch"),
    only_paper("stem.*", layer="BatchNorm2d", eps=1e-3, count=3, why="the batch norms of those three"),
    only_paper("stem.*", layer="ReLU", count=3, why="their ReLUs"),
    only_paper(("stem.3 (cat)", "stem.5 (cat)"), layer="cat", why="Fig. 3's two filter concatenations"),
    changed("stem.4.branch0.0.conv", "stem.7.branch1.0.conv", layer="Conv2d", out_channels=(64, 48),
            why="mixed_5b's 1x1 48 > 5x5 64 branch against Fig. 3's 1x1 64 > 3x3 96"),
    changed("stem.4.branch0.1.conv", "stem.7.branch1.1.conv", layer="Conv2d", kernel_size=((3, 3), (5, 5)),
            out_channels=(96, 64), padding=((0, 0), (2, 2)), why="mixed_5b's 5x5 64"),
    changed("stem.4.branch1.1.conv", "stem.7.branch2.1.conv", layer="Conv2d", kernel_size=((7, 1), (3, 3)),
            out_channels=(64, 96), padding=((3, 0), (1, 1)),
            why="mixed_5b's 1x1 64 > 3x3 96 > 3x3 96 against Fig. 3's 1x1 64 > 7x1 > 1x7 > 3x3 96"),
    changed("stem.4.branch1.3.conv", "stem.7.branch2.2.conv", layer="Conv2d", padding=((0, 0), (1, 1)),
            why="mixed_5b's second 3x3 96 is padded (Fig. 3's is 'V')"),
    only_variant("stem.7.branch0.0.conv", layer="Conv2d", kernel_size=(1, 1), out_channels=96, bias=False,
                 why="mixed_5b's 1x1 96 branch"),
    only_variant("stem.7.branch3.0", layer="AvgPool2d", kernel_size=3, stride=1, padding=1,
                 count_include_pad=False, why="mixed_5b's average-pool branch"),
    only_variant("stem.7.branch3.1.conv", layer="Conv2d", kernel_size=(1, 1), out_channels=64, bias=False,
                 why="and its 1x1 64 projection"),
    # the blocks
    changed("stage_a.*.up", layer="Conv2d", out_channels=(384, 320), count=5, variant="stage_a.*.up",
            why="Block35's expansion to 320 maps (mixed_5b's width), not the stem's 384"),
    changed("stage_b.*.up", layer="Conv2d", out_channels=(1152, 1088), count=10,
            why="Block17's expansion to 1088 maps (the release's Reduction-A), not 1152"),
    changed("stage_c.*.up", layer="Conv2d", out_channels=(2144, 2080), count=5,
            why="Block8's expansion to 2080 maps (the release's Reduction-B), not 2144"),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 1), out_channels=32, bias=False, count=15, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(3, 3), padding=(1, 1), out_channels=32, bias=False, count=5,
                 why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(3, 3), padding=(1, 1), out_channels=48, bias=False, count=5,
                 why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(3, 3), padding=(1, 1), out_channels=64, bias=False, count=5,
                 why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 1), out_channels=320, count=5, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 1), out_channels=192, bias=False, count=20,
                 why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 1), out_channels=128, bias=False, count=10,
                 why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 7), padding=(0, 3), out_channels=160, bias=False,
                 count=10, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(7, 1), padding=(3, 0), out_channels=192, bias=False,
                 count=10, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 1), out_channels=1088, count=10, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 3), padding=(0, 1), out_channels=224, bias=False,
                 count=5, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(3, 1), padding=(1, 0), out_channels=256, bias=False,
                 count=5, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="Conv2d", kernel_size=(1, 1), out_channels=2080, count=5, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="BatchNorm2d", eps=1e-3, count=90, why=_WHY_EXTRA),
    only_variant(_EXTRA, layer="ReLU", count=109, why=_WHY_EXTRA + "; the last Block8 has no ReLU after its sum"),
    only_variant(_EXTRA, layer="cat", count=20, why=_WHY_EXTRA),
    # the residual scales: the paper entry's one residual_scale (Sec. 3.3: "between 0.1 and 0.3"; 0.1 here)
    # against the release's 0.17 / 0.10 / 0.20 per stage, and 1.0 on timm's last, unscaled Block8
    only_variant("stage_a.[5-9] (mul)", layer="mul", scalars=(0.17,), count=5,
                 why=_WHY_EXTRA + "; Block35 scales by 0.17"),
    only_variant("stage_b.1? (mul)", layer="mul", scalars=(0.1,), count=10,
                 why=_WHY_EXTRA + "; Block17 scales by 0.10"),
    only_variant("stage_c.[5-8] (mul)", layer="mul", scalars=(0.2,), count=4,
                 why=_WHY_EXTRA + "; Block8 scales by 0.20"),
    only_variant("stage_c.9 (mul)", layer="mul", scalars=(1.0,), why="timm's last Block8: scale 1.0 (no scaling)"),
    changed("stage_a.[0-4] (mul)", layer="mul", scalars=((0.1,), (0.17,)), count=5,
            why="Block35's residual scale: 0.17 in the release, the paper entry's 0.1"),
    changed("stage_c.[0-4] (mul)", layer="mul", scalars=((0.1,), (0.2,)), count=5,
            why="Block8's residual scale: 0.20 in the release, the paper entry's 0.1"),
    only_variant(_EXTRA, layer="add", count=20, why=_WHY_EXTRA),
    changed("reduction_a (cat)", layer="cat", branch_order=((1, 2, 3), (2, 3, 1)),
            why="timm's Reduction-A concatenates the max pool last (Fig. 7: first)"),
    changed("reduction_b (cat)", layer="cat", branch_order=((1, 2, 3, 4), (2, 3, 4, 1)),
            why="timm's Reduction-B concatenates the max pool last (Fig. 18: first)"),
    only_variant("neck.conv", layer="Conv2d", kernel_size=(1, 1), out_channels=1536, bias=False,
                 why="conv2d_7b: a 1x1 convolution to 1536 maps before the pool (not in Fig. 15)"),
    only_variant("neck.bn", layer="BatchNorm2d", eps=1e-3, why="its batch norm"),
    only_variant("neck.relu", layer="ReLU", why="its ReLU"),
    changed("head.dropout", layer="Dropout", p=(0.2, 0.0), why="timm's drop_rate 0 by default (keep 0.8 in the "
            "paper)"),
)

register(ModelInfo(
    name="inception_resnet_v2.timm", family="Inception-v4", year=2016, paper=PAPER, source="timm",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "timm's inception_resnet_v2 (Cadene's port of TF-slim's, the authors' release), not Figs. 3/15-19: the "
        "stem is Fig. 14's up to 71x71x192 then a 3x3/2 max pool and an Inception-v3-style module (mixed_5b) to "
        "35x35x320; 10 x Block35 (scale 0.17), Reduction-A to 17x17x1088, 20 x Block17 (0.10), Reduction-B to "
        "8x8x2080, 9 x Block8 (0.20) and one more unscaled without ReLU, a 1x1 conv to 1536, average pooling, "
        "linear 1536 -> 1000.",
        "The block widths (320, 1088, 2080) and counts (10, 20, 10) differ from the paper's figures (384, 1152 or "
        "Fig. 17's 1154, 2144 or Fig. 19's 2048; 5, 10, 5).",
        "Each block's 1x1 expansion is nn.Conv2d with a bias and no batch norm; ReLU after the sum.",
        "drop_rate 0 by default (the paper: keep 0.8); dropout= sets it.",
        "timm's infer_gmacs is fvcore's FlopCountAnalysis (benchmark.py without deepspeed): it adds 2 per "
        "batch-norm output element and the global pool's input to the conv/linear multiply-adds archscope "
        "counts, so archscope's MACs sit about 0.03 G under it.",
    ),
    published=(Published("params", 55.84e6, f"{_TIMM_IRV2} param_count 55.84 (millions)"),
               Published("gmacs", 13.18, f"{_TIMM_IRV2} infer_gmacs 13.18 at 299x299, fvcore's count: "
                               "conv/linear MACs + 2 per batch-norm element + the global pool's input")),
    deviations=_IRV2_TIMM,
    builder=inception_resnet_v2_timm,
))
