"""Inception v2 (BN-Inception: Ioffe & Szegedy 2015, "Batch Normalization:
Accelerating Deep Network Training by Reducing Internal Covariate Shift",
Sec. 4.2 and the appendix, Figure 5) and Inception v3 (Szegedy et al. 2015,
"Rethinking the Inception Architecture for Computer Vision", Table 1 and
Figs. 5, 6, 7, 8 and 10), with the Inception v3 torchvision writes.

Naming: the Rethinking paper calls its Sec. 6 network "Inception-v2" and the
last row of its Table 3 "Inception-v3"; the Inception-v4 paper (Szegedy et al.
2016, Sec. 1) calls BN-Inception "Inception-v2". archscope follows the latter:
``inception_v2`` is BN-Inception, ``inception_v3`` is the Rethinking network.

Every module is data: a tuple of branches, each branch a list of steps that one
function builds into an ``nn.Sequential``; the module concatenates its branches
on channels. A step is

* ``(out, kernel, stride, padding)`` a convolution unit: bias-free convolution,
  batch norm, ReLU (the bias is redundant before batch norm, BN paper Sec. 3.2);
* ``("avg" | "max", kernel, stride, padding[, ceil])`` a pooling layer;
* ``("fork", (out, kernel, padding), (out, kernel, padding))`` two convolution
  units on the same input, concatenated (Rethinking Fig. 7's 1x3 / 3x1 pair).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from archscope.zoo._registry import ModelInfo, Published, changed, only_paper, only_variant, register, replaced

__all__ = ["FIGURE5", "TABLE1_STEM", "Mixed", "Fork", "InceptionNet", "inception_v2", "inception_v3",
           "inception_v3_torchvision"]

PAPER_BN = ("Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift "
            "(Ioffe & Szegedy, 2015)")
PAPER_V3 = "Rethinking the Inception Architecture for Computer Vision (Szegedy et al., 2015)"

Conv = Callable[..., nn.Module]  # (in, out, kernel, stride, padding) -> conv unit


# ---- small helpers -----------------------------------------------------------

class ConvUnit(nn.Sequential):
    """Bias-free convolution, batch norm, ReLU: the unit both papers use after
    batch norm (BN paper Sec. 4.2: "Batch Normalization was applied to the
    input of each nonlinearity"). The children are named ``conv`` and ``bn``
    as in torchvision's BasicConv2d."""

    archscope_category = "conv"  # a convolution unit (conv, norm, activation): one layer of the paper's tables

    def __init__(self, i: int, o: int, k, stride=1, padding=0, eps: float = 1e-5):
        super().__init__(OrderedDict(conv=nn.Conv2d(i, o, k, stride, padding, bias=False),
                                     bn=nn.BatchNorm2d(o, eps=eps), relu=nn.ReLU()))


def _unit(eps: float) -> Conv:
    return lambda i, o, k, stride=1, padding=0: ConvUnit(i, o, k, stride, padding, eps)


class Fork(nn.Module):
    """Two convolutions on the same input, concatenated (Fig. 7: the 1x3 and
    3x1 side by side instead of one after the other)."""

    def __init__(self, a: nn.Module, b: nn.Module):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1)


def _branch(in_ch: int, steps, conv: Conv) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    c = in_ch
    for step in steps:
        if step[0] in ("avg", "max"):
            kind, k, s, p, *ceil = step
            pool = nn.AvgPool2d(k, s, p, ceil_mode=bool(ceil and ceil[0])) if kind == "avg" else \
                nn.MaxPool2d(k, s, p, ceil_mode=bool(ceil and ceil[0]))
            layers.append(pool)
        elif step[0] == "fork":
            (oa, ka, pa), (ob, kb, pb) = step[1], step[2]
            layers.append(Fork(conv(c, oa, ka, 1, pa), conv(c, ob, kb, 1, pb)))
            c = oa + ob
        else:
            o, k, s, p = step
            layers.append(conv(c, o, k, s, p))
            c = o
    return nn.Sequential(*layers), c


class Mixed(nn.Module):
    """An Inception module: parallel branches concatenated on channels."""

    def __init__(self, in_ch: int, branches, conv: Conv):
        super().__init__()
        self.out_channels = 0
        for i, steps in enumerate(branches, 1):
            seq, c = _branch(in_ch, steps, conv)
            self.add_module(f"branch{i}", seq)
            self.out_channels += c

    def forward(self, x):  # (N, C_in, H, W) -> (N, sum of the branches' maps, H', W')
        return torch.cat([b(x) for b in self.children()], dim=1)


# ---- the modules as data ---------------------------------------------------------

# BN paper, appendix Figure 5, one row per module: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3,
# pool type, pool projection (None: "pass through", the pooled input itself), stride. A stride-2 module
# ("stride 2" in the patch size column; bullet 4 of the appendix: "stride-2 convolution/pooling layers are
# employed before the filter concatenation in the modules 3c, 4e") has no 1x1 branch (#1x1 = 0) and applies
# the stride in the last convolution of each branch and in its pool.
FIGURE5: dict[str, tuple] = {
    "3a": (64, 64, 64, 64, 96, "avg", 32, 1),
    "3b": (64, 64, 96, 64, 96, "avg", 64, 1),
    "3c": (0, 128, 160, 64, 96, "max", None, 2),
    "4a": (224, 64, 96, 96, 128, "avg", 128, 1),
    "4b": (192, 96, 128, 96, 128, "avg", 128, 1),
    "4c": (160, 128, 160, 128, 160, "avg", 128, 1),
    "4d": (96, 128, 192, 160, 192, "avg", 128, 1),
    "4e": (0, 128, 192, 192, 256, "max", None, 2),
    "5a": (352, 192, 320, 160, 224, "avg", 128, 1),
    "5b": (352, 192, 320, 192, 224, "max", 128, 1),
}


def bn_module(row) -> tuple:
    """A Figure 5 row as branches (GoogLeNet's Fig. 2b with the 5x5 replaced by
    two 3x3, BN paper appendix bullet 1)."""
    c1, r3, c3, rd, cd, pool, proj, s = row
    p = 1 if s == 1 else 0
    pool_steps = [(pool, 3, s, p, s > 1)] + ([(proj, 1, 1, 0)] if proj else [])
    branches = [((r3, 1, 1, 0), (c3, 3, s, 1)),
                ((rd, 1, 1, 0), (cd, 3, 1, 1), (cd, 3, s, 1)),
                tuple(pool_steps)]
    return (((c1, 1, 1, 0),), *branches) if c1 else tuple(branches)


# Rethinking Figs. 5, 6, 7 and the grid reductions (Sec. 5, Fig. 10). The paper gives the module layouts
# but not their widths (Sec. 6 defers "the sizes of filter banks inside the Inception modules" to a
# model.txt in the submission's tar file); the widths here are the released TensorFlow model's, which
# torchvision ports (torchvision/models/inception.py: InceptionA .. InceptionE).

def module_a(pool_proj: int, k: int = 3) -> tuple:
    """Fig. 5 (35x35): 1x1 | 1x1 > kxk | 1x1 > 3x3 > 3x3 | avg pool > 1x1. The
    paper draws k = 3; the released model (torchvision's InceptionA) keeps a
    5x5 there."""
    return (((64, 1, 1, 0),),
            ((48, 1, 1, 0), (64, k, 1, k // 2)),
            ((64, 1, 1, 0), (96, 3, 1, 1), (96, 3, 1, 1)),
            (("avg", 3, 1, 1), (pool_proj, 1, 1, 0)))


def module_b(c7: int, *, tv_order: bool = False) -> tuple:
    """Fig. 6 with n = 7 (17x17): 1x1 | 1x1 > 1x7 > 7x1 | 1x1 > (1x7 > 7x1) x2 |
    avg pool > 1x1. torchvision's InceptionC starts its double branch with the
    7x1 (``tv_order``); the order changes no count."""
    r, c = ((1, 7), (0, 3)), ((7, 1), (3, 0))
    first, second = (c, r) if tv_order else (r, c)
    return (((192, 1, 1, 0),),
            ((c7, 1, 1, 0), (c7, *r[:1], 1, r[1]), (192, *c[:1], 1, c[1])),
            ((c7, 1, 1, 0), (c7, first[0], 1, first[1]), (c7, second[0], 1, second[1]),
             (c7, first[0], 1, first[1]), (192, second[0], 1, second[1])),
            (("avg", 3, 1, 1), (192, 1, 1, 0)))


MODULE_C = (  # Fig. 7 (8x8): 1x1 | 1x1 > (1x3, 3x1) | 1x1 > 3x3 > (1x3, 3x1) | avg pool > 1x1
    ((320, 1, 1, 0),),
    ((384, 1, 1, 0), ("fork", (384, (1, 3), (0, 1)), (384, (3, 1), (1, 0)))),
    ((448, 1, 1, 0), (384, 3, 1, 1), ("fork", (384, (1, 3), (0, 1)), (384, (3, 1), (1, 0)))),
    (("avg", 3, 1, 1), (192, 1, 1, 0)),
)

REDUCTION_35 = (  # 35x35 -> 17x17 (Sec. 5, a variation of Fig. 10): 3x3/2 | 1x1 > 3x3 > 3x3/2 | max 3x3/2
    ((384, 3, 2, 0),),
    ((64, 1, 1, 0), (96, 3, 1, 1), (96, 3, 2, 0)),
    (("max", 3, 2, 0),),
)

REDUCTION_17 = (  # 17x17 -> 8x8: 1x1 > 3x3/2 | 1x1 > 1x7 > 7x1 > 3x3/2 | max 3x3/2
    ((192, 1, 1, 0), (320, 3, 2, 0)),
    ((192, 1, 1, 0), (192, (1, 7), 1, (0, 3)), (192, (7, 1), 1, (3, 0)), (192, 3, 2, 0)),
    (("max", 3, 2, 0),),
)

# Rethinking Table 1, the rows before the Inception modules: (name, maps, kernel, stride, padding) or a
# pool (name, "max", kernel, stride). Padding only where the table marks "conv padded", except conv7 (see
# the notes): 299 -> 149 -> 147 -> 147 -> 73 -> 71 -> 35 -> 35.
TABLE1_STEM = (
    ("conv1", 32, 3, 2, 0), ("conv2", 32, 3, 1, 0), ("conv3", 64, 3, 1, 1), ("pool1", "max", 3, 2),
    ("conv4", 80, 3, 1, 0), ("conv5", 192, 3, 2, 0), ("conv6", 288, 3, 1, 1),
)

# torchvision's stem, with its names: 299 -> 149 -> 147 -> 147 -> 73 -> 73 -> 71 -> 35.
TORCHVISION_STEM = (
    ("Conv2d_1a_3x3", 32, 3, 2, 0), ("Conv2d_2a_3x3", 32, 3, 1, 0), ("Conv2d_2b_3x3", 64, 3, 1, 1),
    ("maxpool1", "max", 3, 2), ("Conv2d_3b_1x1", 80, 1, 1, 0), ("Conv2d_4a_3x3", 192, 3, 1, 0),
    ("maxpool2", "max", 3, 2),
)


def _stem(rows, in_ch: int, conv: Conv) -> tuple[nn.Sequential, int]:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c = in_ch
    for name, *spec in rows:
        if spec[0] == "max":
            layers[name] = nn.MaxPool2d(spec[1], spec[2])
        else:
            o, k, s, p = spec
            layers[name] = conv(c, o, k, s, p)
            c = o
    return nn.Sequential(layers), c


# ---- the model --------------------------------------------------------------------

class AuxHead(nn.Module):
    """Rethinking Sec. 4 and Fig. 8: one auxiliary classifier on the last
    17x17 module; 5x5/3 average pool (17 -> 5), 1x1 convolution 128, a 5x5
    convolution 768 that acts as the fully connected layer on the 5x5 grid
    (batch-normalised too: "BN-auxiliary", Sec. 10), linear classifier."""

    def __init__(self, in_ch: int, num_classes: int, conv: Conv, adaptive: bool):
        super().__init__()
        self.pool = nn.AvgPool2d(5, 3)  # (N, 768, 5, 5)
        self.conv0 = conv(in_ch, 128, 1)
        self.conv1 = conv(128, 768, 5)  # (N, 768, 1, 1)
        self.gap = nn.AdaptiveAvgPool2d(1) if adaptive else nn.Identity()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.gap(self.conv1(self.conv0(self.pool(x))))))


class InceptionNet(nn.Module):
    """A stem, named Inception modules in order, a head; an optional auxiliary
    classifier on the output of module ``aux_after`` that runs only in
    training (then the forward returns ``(logits, aux)``)."""

    def __init__(self, stem: nn.Module, modules: OrderedDict[str, nn.Module], head: nn.Module,
                 aux: nn.Module | None = None, aux_after: str | None = None):
        super().__init__()
        self.stem = stem
        for name, m in modules.items():
            self.add_module(name, m)
        self._order = list(modules)
        self.aux_after = aux_after
        self.aux = aux
        self.head = head

    def forward(self, x):
        x = self.stem(x)
        aux = None
        for name in self._order:
            x = getattr(self, name)(x)
            if name == self.aux_after and self.aux is not None and self.training:
                aux = self.aux(x)
        logits = self.head(x)
        return (logits, aux) if aux is not None else logits


def _modules(in_ch: int, rows, conv: Conv) -> tuple[OrderedDict[str, Mixed], int]:
    mods, c = OrderedDict(), in_ch
    for name, branches in rows:
        mods[name] = Mixed(c, branches, conv)
        c = mods[name].out_channels
    return mods, c


def _head(in_ch: int, num_classes: int, pool: nn.Module, dropout: float) -> nn.Sequential:
    return nn.Sequential(OrderedDict(pool=pool, flatten=nn.Flatten(), dropout=nn.Dropout(dropout),
                                     fc=nn.Linear(in_ch, num_classes)))


# ---- builders -----------------------------------------------------------------------

def inception_v2(num_classes=1000, in_channels=3, *, dropout=0.0):
    """BN-Inception, BN paper appendix Figure 5: 224x224 input, batch norm
    before every ReLU, no LRN (Sec. 4.2.1: "Remove Local Response
    Normalization"), no dropout by default (Sec. 4.2.1: "Remove Dropout")."""
    conv = _unit(1e-5)
    stem = nn.Sequential(OrderedDict(
        # "convolution*" 7x7/2, 64 maps: a separable convolution with depth multiplier 8 (appendix, last
        # paragraph): a 7x7 depthwise convolution making 8 maps per input channel, then a 1x1 to 64.
        conv1=nn.Sequential(OrderedDict(
            depthwise=nn.Conv2d(in_channels, 8 * in_channels, 7, 2, 3, groups=in_channels, bias=False),
            pointwise=nn.Conv2d(8 * in_channels, 64, 1, bias=False), bn=nn.BatchNorm2d(64), relu=nn.ReLU())),
        pool1=nn.MaxPool2d(3, 2, ceil_mode=True),  # 112 -> 56 (ceil mode, as GoogLeNet's BVLC model)
        conv2_reduce=conv(64, 64, 1), conv2=conv(64, 192, 3, 1, 1),  # "#3x3 reduce 64, #3x3 192"
        pool2=nn.MaxPool2d(3, 2, ceil_mode=True),  # 56 -> 28
    ))
    mods, c = _modules(192, [(f"inception{k}", bn_module(r)) for k, r in FIGURE5.items()], conv)
    head = _head(c, num_classes, nn.AvgPool2d(7, 1), dropout)  # "avg pool 7x7/1", then the softmax's linear
    return InceptionNet(stem, mods, head)


def _v3_body(c: int, conv: Conv, *, a_proj, a_k: int, b_c7, tv_order: bool):
    rows = [*[(f"Mixed_5{x}", module_a(p, a_k)) for x, p in zip("bcd", a_proj, strict=True)],
            ("Mixed_6a", REDUCTION_35),
            # b_c7 sets how many 17x17 modules there are (5 or 4); "bcdef" only supplies their names
            *[(f"Mixed_6{x}", module_b(c7, tv_order=tv_order)) for x, c7 in zip("bcdef", b_c7, strict=False)],
            ("Mixed_7a", REDUCTION_17),
            ("Mixed_7b", MODULE_C), ("Mixed_7c", MODULE_C)]
    return _modules(c, rows, conv)


def inception_v3(num_classes=1000, in_channels=3, *, aux_logits=False, dropout=0.0):
    """Rethinking Table 1 as printed: its stem rows, 3 modules of Fig. 5 at
    35x35 with 288 maps each (Sec. 6), a grid reduction to 17x17x768, 5
    modules of Fig. 6, a reduction to 8x8x1280, 2 modules of Fig. 7 (2048
    maps), 8x8 average pool, linear. Widths inside the modules: the released
    model's (see the notes)."""
    conv = _unit(1e-5)
    stem, c = _stem(TABLE1_STEM, in_channels, conv)  # (N, 288, 35, 35)
    # Five 17x17 modules: the released model's four (c7 = 128, 160, 160, 192) with one more 160 in the middle.
    mods, c = _v3_body(c, conv, a_proj=(64, 64, 64), a_k=3, b_c7=(128, 160, 160, 160, 192), tv_order=False)
    head = _head(c, num_classes, nn.AvgPool2d(8), dropout)  # "pool 8x8", "linear logits"
    aux = AuxHead(768, num_classes, conv, adaptive=False) if aux_logits else None
    return InceptionNet(stem, mods, head, aux, "Mixed_6f" if aux_logits else None)


def inception_v3_torchvision(num_classes=1000, in_channels=3, *, aux_logits=False, dropout=0.5):
    """torchvision.models.inception_v3 (Inception3): BasicConv2d units (BN eps
    0.001), InceptionA x3 (a 5x5 in the second branch; pool projections 32, 64,
    64), InceptionB, InceptionC x4 (c7 = 128, 160, 160, 192), InceptionD,
    InceptionE x2, adaptive average pool, dropout 0.5, fc; AuxLogits on
    Mixed_6e with aux_logits=True."""
    conv = _unit(1e-3)
    stem, c = _stem(TORCHVISION_STEM, in_channels, conv)  # (N, 192, 35, 35)
    mods, c = _v3_body(c, conv, a_proj=(32, 64, 64), a_k=5, b_c7=(128, 160, 160, 192), tv_order=True)
    head = _head(c, num_classes, nn.AdaptiveAvgPool2d(1), dropout)
    aux = AuxHead(768, num_classes, conv, adaptive=True) if aux_logits else None
    return InceptionNet(stem, mods, head, aux, "Mixed_6e" if aux_logits else None)


register(ModelInfo(
    name="inception_v2", family="Inception", year=2015, paper=PAPER_BN, source="paper",
    input_shape=(3, 224, 224), num_classes=1000, aliases=("bn_inception",),
    notes=(
        "BN-Inception as the BN paper's appendix Figure 5 lists it (Inception-v2 in the Inception-v4 paper's "
        "naming; not the Rethinking paper's 'Inception-v2', which is inception_v3 here).",
        "Every convolution is bias-free and followed by batch norm then ReLU (Sec. 4.2, Sec. 3.2); batch-norm "
        "epsilon is not given: torch's default. No LRN and no dropout (Sec. 4.2.1); dropout is a knob.",
        "conv1 is 'convolution*': separable with depth multiplier 8 (appendix) — a 7x7/2 depthwise "
        "convolution to 24 maps then a 1x1 to 64, no batch norm between (the paper says nothing of one). "
        "The Caffe/MXNet BN-Inception ports use a plain 7x7 convolution.",
        "The double-3x3 branch: 'double #3x3 reduce' 1x1 maps, then two 3x3 convolutions of 'double #3x3' "
        "maps each (the table gives one width for both).",
        "Pool column: 'avg + N' / 'max + N' is a 3x3/1 average / max pool then a 1x1 projection to N maps; "
        "'max + pass through' (3c, 4e) is a 3x3/2 max pool whose output is concatenated as it is.",
        "3c and 4e (stride 2) have no 1x1 branch (#1x1 is 0); the stride sits in the last 3x3 of both 3x3 "
        "branches (padding 1) and in the pool (ceil mode): 28 -> 14 and 14 -> 7. The table prints their "
        "output sizes as 28x28x576 and 14x14x1024, the grid they read, not the one they make.",
        "Figure 5 is not self-consistent on widths: 4c's and 4d's columns sum to 160+160+160+128 = 608 and "
        "96+192+192+128 = 608 maps, the table prints 576; 4e then makes 192+256+608 = 1056, the table "
        "prints 1024. The columns are built (as the public ports of BN-Inception do), so 4d and 4e read 608 "
        "maps and 5a reads 1056.",
        "The conv2 row lists a 64-map 3x3 reduce (a 1x1 layer) yet depth 1; both layers are built.",
        "Stem max pools 3x3/2 in ceil mode (as GoogLeNet's BVLC model): 112 -> 56 -> 28; the paper gives "
        "no padding. No auxiliary classifier: the BN paper describes none.",
    ),
    published=(Published("gflops", 2.0, "Szegedy et al. 2015 (Rethinking), Table 3: BN-Inception costs "
                                         "2.0 'Bn Ops'"),),
    builder=inception_v2,
))
register(ModelInfo(
    name="inception_v3", family="Inception", year=2015, paper=PAPER_V3, source="paper",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "Table 1 as printed, 299x299 input; every convolution bias-free with batch norm and ReLU; batch-norm "
        "epsilon is not given: torch's default. Unpadded ('valid') wherever Table 1 does not say 'padded' "
        "(its caption: 'All other layers do not use padding'), padded inside the modules that keep the grid.",
        "Table 1 is not self-consistent at its last stem row: 'conv 3x3/1' on 35x35x192 with the next row "
        "reading 35x35x288. Unpadded it would make 33x33; it is built padded (conv6, 288 maps) to give the "
        "table's stated 35x35x288. The other stem rows recompute unpadded: 299 -> 149 -> 147 -> (padded) 147 "
        "-> pool 73 -> 71 -> (3x3/2) 35.",
        "The stem differs from the released model torchvision ports: Table 1 has conv 3x3 80 at 73x73 and a "
        "stride-2 conv 3x3 192 at 71x71, then conv 3x3 288; the released model has a 1x1 80, a 3x3 192 at "
        "73x73 and a 3x3/2 max pool (35x35x192, no 288-map conv).",
        "Table 1's 'pool' rows: max pool 3x3/2 in the stem, average pool 8x8 at the end (the type is not "
        "printed; the released model's).",
        "The paper gives module layouts (Figs. 5, 6, 7, 10) but no widths: Sec. 6 defers them to a model.txt "
        "of its submission. The widths are the released TensorFlow model's (torchvision's InceptionA-E).",
        "Fig. 5 modules (35x35) use 1x1 > 3x3 where the released InceptionA keeps a 1x1 48 > 5x5 64; all "
        "three make 288 maps (Sec. 6: '3 traditional inception modules at the 35x35 with 288 filters each'), "
        "so the pool projection is 64 in each (the released first module has 32 and makes 256).",
        "Five Fig. 6 modules at 17x17 (Table 1 '5xInception', Sec. 6 '5 instances'); the released model has "
        "four (c7 = 128, 160, 160, 192). The fifth is an archscope choice: one more c7 = 160 module in the "
        "middle (Mixed_6e), the last is Mixed_6f. Fig. 6 draws 1x7 before 7x1 in both factorised branches.",
        "Sec. 6's text calls the 17x17 modules 'as depicted in figure 5' and the 8x8 ones 'figure 6'; Table 1 "
        "and the captions make them Figs. 6 and 7 — Table 1 is followed.",
        "Grid reductions: the caption uses 'variations of' Fig. 10 without details; the released model's two "
        "(torchvision's InceptionB and InceptionD) are built, unpadded.",
        "aux_logits=True adds the auxiliary classifier on the last 17x17 module (Fig. 8), batch-normalised "
        "including its fully connected layer ('BN-auxiliary', Sec. 10); it runs only in training. Table 1 "
        "lists no dropout before the linear layer: dropout is a knob, 0 by default.",
        "Naming: this is the Rethinking paper's 'Inception-v3' (Table 3, last row); the same paper calls the "
        "network without the training changes 'Inception-v2'.",
    ),
    published=(Published("gflops", 5.0, "Szegedy et al. 2015 (Rethinking), abstract: 'a computational cost of "
                                         "5 billion multiply-adds per inference'"),),
    builder=inception_v3,
))
# the paper's fifth 17x17 module (Mixed_6e, an archscope choice: see inception_v3's notes), which the released
# model does not have: 10 convolutions (each with batch norm and ReLU), an average pool, the concatenation
_WHY_FIFTH = "the fifth 17x17 module (Table 1's '5 x Inception'), which the released model does not have"
_FIFTH_17x17 = (
    only_paper(("Mixed_6e.branch1.0.conv", "Mixed_6e.branch4.1.conv"), layer="Conv2d", kernel_size=(1, 1),
               out_channels=192, bias=False, why=_WHY_FIFTH),
    only_paper(("Mixed_6e.branch2.0.conv", "Mixed_6e.branch3.0.conv"), layer="Conv2d", kernel_size=(1, 1),
               out_channels=160, bias=False, why=_WHY_FIFTH),
    only_paper(("Mixed_6e.branch2.1.conv", "Mixed_6e.branch3.1.conv", "Mixed_6e.branch3.3.conv"), layer="Conv2d",
               kernel_size=(1, 7), padding=(0, 3), out_channels=160, bias=False, why=_WHY_FIFTH),
    only_paper("Mixed_6e.branch3.2.conv", layer="Conv2d", kernel_size=(7, 1), padding=(3, 0), out_channels=160,
               bias=False, why=_WHY_FIFTH),
    only_paper(("Mixed_6e.branch2.2.conv", "Mixed_6e.branch3.4.conv"), layer="Conv2d", kernel_size=(7, 1),
               padding=(3, 0), out_channels=192, bias=False, why=_WHY_FIFTH),
    only_paper("Mixed_6e.*", layer="BatchNorm2d", count=10, why=_WHY_FIFTH),
    only_paper("Mixed_6e.*", layer="ReLU", count=10, why=_WHY_FIFTH),
    only_paper("Mixed_6e.branch4.0", layer="AvgPool2d", kernel_size=3, stride=1, padding=1, why=_WHY_FIFTH),
    only_paper("Mixed_6e (cat)", layer="cat", why=_WHY_FIFTH),
)

register(ModelInfo(
    name="inception_v3.torchvision", family="Inception", year=2015, paper=PAPER_V3, source="torchvision",
    input_shape=(3, 299, 299), num_classes=1000,
    notes=(
        "torchvision.models.inception_v3 (Inception3, the released TensorFlow model ported): BasicConv2d "
        "(bias-free conv, batch norm eps 0.001, ReLU); transform_input only rescales the input and is left out.",
        "Stem 1x1 80 and 3x3 192 at 73x73 then a 3x3/2 max pool, not Table 1's 3x3 80, 3x3/2 192, 3x3 288.",
        "InceptionA keeps a 5x5 convolution (1x1 48 > 5x5 64) where the paper's Fig. 5 has a 3x3; the first "
        "35x35 module makes 256 maps, not 288. Four 17x17 modules (InceptionC), not the paper's five.",
        "aux_logits=True adds AuxLogits on Mixed_6e (run only in training). torchvision builds it by default "
        "and its published num_params (27,161,264) counts it; archscope's default leaves it out, as for the "
        "other entries (23,834,568 parameters).",
        "Module and branch names are archscope's (Mixed_5b.branch2 ...), the top-level names torchvision's.",
        "InceptionC's double 7x7 branch runs 7x1 before 1x7 (the paper's Fig. 6, and this zoo's paper network, "
        "1x7 first); its single 7x7 branch keeps Fig. 6's order. The head is an adaptive average pool and "
        "dropout 0.5 (Table 1 lists none; the paper network's dropout knob defaults to 0).",
    ),
    deviations=(
        changed("*", layer="BatchNorm2d", eps=(1e-5, 1e-3), count=94,
                why="BasicConv2d: BatchNorm2d(eps=0.001) (the paper gives no epsilon: torch's default)"),
        changed("stem.conv4.conv", "stem.Conv2d_3b_1x1.conv", layer="Conv2d", kernel_size=((3, 3), (1, 1)),
                why="the released stem's Conv2d_3b_1x1 (80 maps) where Table 1 has a 3x3"),
        changed("stem.conv5.conv", "stem.Conv2d_4a_3x3.conv", layer="Conv2d", stride=((2, 2), (1, 1)),
                why="Conv2d_4a_3x3 (192 maps) at 73x73, stride 1, where Table 1's is stride 2"),
        only_variant("stem.maxpool2", layer="MaxPool2d", kernel_size=3, stride=2,
                     why="the released stem reduces to 35x35 with a 3x3/2 max pool"),
        only_paper("stem.conv6.conv", layer="Conv2d", kernel_size=(3, 3), padding=(1, 1), out_channels=288,
                   bias=False, why="Table 1's last stem row, conv 3x3 to 288 maps, is not in the released model"),
        only_paper("stem.conv6.bn", layer="BatchNorm2d", why="its batch norm"),
        only_paper("stem.conv6.relu", layer="ReLU", why="its ReLU"),
        changed("Mixed_5?.branch2.1.conv", layer="Conv2d", kernel_size=((3, 3), (5, 5)), padding=((1, 1), (2, 2)),
                count=3, why="InceptionA keeps a 5x5 (1x1 48 > 5x5 64) where Fig. 5 factorises it into 3x3s"),
        changed("Mixed_5b.branch4.1.conv", layer="Conv2d", out_channels=(64, 32),
                why="the first 35x35 module's pool projection is 32 wide (256 maps, not Sec. 6's 288)"),
        changed("Mixed_6?.branch3.[13].conv", layer="Conv2d", kernel_size=((1, 7), (7, 1)),
                padding=((0, 3), (3, 0)), count=8,
                why="InceptionC's branch7x7dbl: 7x1 first, then 1x7, twice (Fig. 6: 1x7 first)"),
        changed("Mixed_6?.branch3.[24].conv", layer="Conv2d", kernel_size=((7, 1), (1, 7)),
                padding=((3, 0), (0, 3)), count=8, why="and 1x7 second"),
        *_FIFTH_17x17,
        replaced("head.pool", layer=("AvgPool2d", "AdaptiveAvgPool2d"), kernel_size=(8, None), stride=(8, None),
                 output_size=(None, 1), why="torchvision's AdaptiveAvgPool2d((1, 1)) for Table 1's 8x8 pool"),
        changed("head.dropout", layer="Dropout", p=(0.0, 0.5), why="torchvision's dropout 0.5 before the fc"),
    ),
    published=(Published("params", 27_161_264, "torchvision Inception_V3_Weights.IMAGENET1K_V1 meta num_params "
                                                "(with the AuxLogits head: aux_logits=True)"),
               Published("gflops", 5.713, "torchvision Inception_V3_Weights.IMAGENET1K_V1 meta _ops (eval mode, "
                                           "the auxiliary head does not run)")),
    builder=inception_v3_torchvision,
))
