"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998, "Gradient-Based Learning
Applied to Document Recognition", Proc. IEEE 86(11), Sec. II-B), its two
predecessors LeNet-1 and LeNet-4 (the same paper, Sec. III-C.7 and III-C.8),
and the two LeNets of the source articles.

The paper's network, layer by layer (trainable parameters / connections as
the paper's text gives them):
  input 32x32
  C1  6 maps 5x5 conv                      156 /  122,304
  S2  6 maps 2x2 trainable subsampling      12 /    5,880
  C3  16 maps 5x5, partial connections   1,516 /  151,600   (Table I)
  S4  16 maps 2x2 trainable subsampling     32 /    2,000
  C5  120 maps 5x5 (full connection)    48,120 /   48,120
  F6  84 units                          10,164 /   10,164
  output: 10 Euclidean RBF units with fixed 84-dim prototypes (not trained)
All squashing units are A tanh(S a) (Appendix A).
"""

from __future__ import annotations

import torch
from torch import nn

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, register
from archscope.zoo.layers import ScaledTanh, Subsampling, activation

__all__ = ["LeNet1", "LeNet4", "LeNet5", "H3_TABLE", "C3_TABLE", "DIGIT_PROTOTYPES", "lenet1", "lenet4", "lenet5",
           "lenet_d2l", "lenet_tutorial"]

PAPER = "Gradient-Based Learning Applied to Document Recognition (LeCun et al., 1998)"

# Table I of the paper: the S2 maps each C3 map takes as input.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

# The output RBF's parameter vectors are "stylized images of the characters
# drawn on a 7x12 bitmap", +1 black and -1 white (Sec. II-B). The paper does
# not print the bitmaps; these are hand-drawn digits of that size, fixed.
_GLYPHS = {
    0: [".#####.", "##...##", "##...##", "##...##", "##...##", "##...##",
        "##...##", "##...##", "##...##", "##...##", "##...##", ".#####."],
    1: ["...##..", "..###..", ".####..", "...##..", "...##..", "...##..",
        "...##..", "...##..", "...##..", "...##..", "...##..", ".######"],
    2: [".#####.", "##...##", ".....##", ".....##", "....##.", "...##..",
        "..##...", ".##....", "##.....", "##.....", "##.....", "#######"],
    3: [".#####.", "##...##", ".....##", ".....##", ".....##", "..####.",
        ".....##", ".....##", ".....##", ".....##", "##...##", ".#####."],
    4: ["....##.", "...###.", "..####.", ".##.##.", "##..##.", "##..##.",
        "#######", "....##.", "....##.", "....##.", "....##.", "...####"],
    5: ["#######", "##.....", "##.....", "##.....", "######.", ".....##",
        ".....##", ".....##", ".....##", ".....##", "##...##", ".#####."],
    6: ["..####.", ".##....", "##.....", "##.....", "######.", "##...##",
        "##...##", "##...##", "##...##", "##...##", "##...##", ".#####."],
    7: ["#######", ".....##", ".....##", "....##.", "....##.", "...##..",
        "...##..", "..##...", "..##...", "..##...", "..##...", "..##..."],
    8: [".#####.", "##...##", "##...##", "##...##", "##...##", ".#####.",
        "##...##", "##...##", "##...##", "##...##", "##...##", ".#####."],
    9: [".#####.", "##...##", "##...##", "##...##", "##...##", ".######",
        ".....##", ".....##", ".....##", ".....##", "....##.", ".####.."],
}
DIGIT_PROTOTYPES: tuple[tuple[float, ...], ...] = tuple(
    tuple(1.0 if c == "#" else -1.0 for row in _GLYPHS[d] for c in row) for d in range(10)
)


class PartialConv2d(nn.Module):
    """C3: each output map sees only the input maps its row of the connection
    table names. Maps with the same in-degree form one grouped convolution over
    the gathered inputs, so parameters and multiply-adds are exactly the
    table's (a dense conv with a mask would count 2,416 weights, not 1,516)."""

    archscope_category = "conv"  # one layer of the paper, though built of several convolutions

    def __init__(self, table, kernel_size: int):
        super().__init__()
        self.table = tuple(tuple(r) for r in table)
        self.convs = nn.ModuleList()
        start = 0
        runs = []
        while start < len(self.table):  # consecutive maps with equal in-degree
            end = start
            while end < len(self.table) and len(self.table[end]) == len(self.table[start]):
                end += 1
            runs.append((start, end))
            start = end
        for i, (a, b) in enumerate(runs):
            rows = self.table[a:b]
            index = torch.tensor([c for r in rows for c in r], dtype=torch.long)
            self.register_buffer(f"index{i}", index, persistent=False)
            self.convs.append(nn.Conv2d(len(rows) * len(rows[0]), len(rows), kernel_size, groups=len(rows)))

    def forward(self, x):  # (N, 6, 14, 14) -> (N, 16, 10, 10)
        outs = [conv(x.index_select(1, getattr(self, f"index{i}"))) for i, conv in enumerate(self.convs)]
        return torch.cat(outs, dim=1)


class EuclideanRBF(nn.Module):
    """Output layer: y_i = sum_j (x_j - w_ij)^2 with fixed w (Sec. II-B, eq. 7).

    The prototypes are a frozen parameter (requires_grad=False): counted as
    parameters by every tool, but never trained. ``forward`` returns -y, so
    the most likely class has the largest score, as logits have."""

    def __init__(self, prototypes):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(prototypes, dtype=torch.float32), requires_grad=False)

    def forward(self, x):  # (N, 84) -> (N, 10)
        return -((x.unsqueeze(1) - self.weight.unsqueeze(0)) ** 2).sum(dim=-1)


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        if num_classes != 10:
            raise ArchscopeError("lenet5's RBF output has one fixed prototype per digit: num_classes must be 10")
        self.c1 = nn.Conv2d(in_channels, 6, 5)  # (N, 6, 28, 28)
        self.act1 = ScaledTanh()
        self.s2 = Subsampling(6)  # (N, 6, 14, 14)
        self.act2 = ScaledTanh()
        self.c3 = PartialConv2d(C3_TABLE, 5)  # (N, 16, 10, 10)
        self.act3 = ScaledTanh()
        self.s4 = Subsampling(16)  # (N, 16, 5, 5)
        self.act4 = ScaledTanh()
        self.c5 = nn.Conv2d(16, 120, 5)  # (N, 120, 1, 1)
        self.act5 = ScaledTanh()
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.act6 = ScaledTanh()
        self.output = EuclideanRBF(DIGIT_PROTOTYPES)
        self._init_weights()

    def _init_weights(self):
        # Appendix C: weights uniform in [-2.4/F, 2.4/F], F the fan-in of the unit.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                nn.init.uniform_(m.weight, -2.4 / fan_in, 2.4 / fan_in)
                nn.init.uniform_(m.bias, -2.4 / fan_in, 2.4 / fan_in)
            elif isinstance(m, Subsampling):
                nn.init.uniform_(m.weight, -2.4 / 4, 2.4 / 4)
                nn.init.uniform_(m.bias, -2.4 / 4, 2.4 / 4)

    def forward(self, x):
        x = self.act2(self.s2(self.act1(self.c1(x))))
        x = self.act4(self.s4(self.act3(self.c3(x))))
        x = self.flatten(self.act5(self.c5(x)))
        return self.output(self.act6(self.f6(x)))


def lenet5(num_classes: int = 10, in_channels: int = 1) -> LeNet5:
    return LeNet5(num_classes, in_channels)


# LeNet-1's H2 -> H3 connections. The 1998 paper describes LeNet-1 only in words (Sec. III-C.7: a 28x28
# input, "about 100,000 multiply/add steps", "only about 2600" free parameters); its layers are those of
# LeCun et al. 1990 ("Handwritten digit recognition with a back-propagation network", NIPS 2): H1 4 maps
# 5x5 (24x24), H2 4 averaging maps (12x12), H3 12 maps 5x5 (8x8), H4 12 averaging maps (4x4), 10 outputs.
# H3 cannot see all four H2 maps: fully connected, the network has 3,278 parameters and 136,320
# multiply-adds, 26% and 36% over the 1998 paper's two figures. With 20 map-to-map links (8 maps reading
# two H2 maps, 4 reading one) it has 2,578 parameters and 91,520 multiply-adds. The paper prints no table,
# so which maps pair up is an assumption; no figure archscope computes depends on it, only the number of
# links does.
H3_TABLE: tuple[tuple[int, ...], ...] = (
    (0,), (1,), (2,), (3,),
    (0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (1, 3), (0, 1), (2, 3),
)


class LeNet1(nn.Module):
    """LeNet-1 (LeCun et al. 1998, Sec. III-C.7; layers of LeCun et al. 1990): five layers that hold
    connections, H1-H4 and the output. ``h3="full"`` connects every H3 map to all four H2 maps (the
    reading most re-implementations take)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, h3: str = "partial"):
        super().__init__()
        if h3 not in ("partial", "full"):
            raise ArchscopeError(f"h3 must be 'partial' or 'full', got {h3!r}")
        self.h1 = nn.Conv2d(in_channels, 4, 5)  # (N, 4, 24, 24)
        self.act1 = ScaledTanh()
        self.h2 = Subsampling(4)  # (N, 4, 12, 12)
        self.act2 = ScaledTanh()
        self.h3 = PartialConv2d(H3_TABLE, 5) if h3 == "partial" else nn.Conv2d(4, 12, 5)  # (N, 12, 8, 8)
        self.act3 = ScaledTanh()
        self.h4 = Subsampling(12)  # (N, 12, 4, 4)
        self.act4 = ScaledTanh()
        self.flatten = nn.Flatten()
        self.output = nn.Linear(12 * 4 * 4, num_classes)

    def forward(self, x):
        x = self.act2(self.h2(self.act1(self.h1(x))))
        x = self.act4(self.h4(self.act3(self.h3(x))))
        return self.output(self.flatten(x))


class LeNet4(nn.Module):
    """LeNet-4 as Sec. III-C.8 of the 1998 paper describes it: 4 first-level feature maps, 8 subsampling
    maps "connected in pairs to each first-layer feature map" (two per C1 map), 16 feature maps, 16
    subsampling maps, a fully connected layer of 120 units and 10 outputs: six layers that hold
    connections. The text gives no kernel sizes, input size or C3 connection table: 5x5 kernels on a 32x32
    input as LeNet-5 ("very similar to LeNet-5"), C3 fully connected to the 8 S2 maps."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.c1 = nn.Conv2d(in_channels, 4, 5)  # (N, 4, 28, 28)
        self.act1 = ScaledTanh()
        self.s2 = Subsampling(8)  # (N, 8, 14, 14): each C1 map feeds two S2 maps
        self.act2 = ScaledTanh()
        self.c3 = nn.Conv2d(8, 16, 5)  # (N, 16, 10, 10)
        self.act3 = ScaledTanh()
        self.s4 = Subsampling(16)  # (N, 16, 5, 5)
        self.act4 = ScaledTanh()
        self.flatten = nn.Flatten()
        self.f5 = nn.Linear(16 * 5 * 5, 120)
        self.act5 = ScaledTanh()
        self.output = nn.Linear(120, num_classes)

    def forward(self, x):
        x = self.act1(self.c1(x)).repeat_interleave(2, dim=1)  # (N, 8, 28, 28): each C1 map feeds two S2 maps
        x = self.act2(self.s2(x))
        x = self.act4(self.s4(self.act3(self.c3(x))))
        return self.output(self.act5(self.f5(self.flatten(x))))


def lenet1(num_classes: int = 10, in_channels: int = 1, *, h3: str = "partial") -> LeNet1:
    return LeNet1(num_classes, in_channels, h3=h3)


def lenet4(num_classes: int = 10, in_channels: int = 1) -> LeNet4:
    return LeNet4(num_classes, in_channels)


def _pool(kind: str, size: int, stride: int | None = None) -> nn.Module:
    stride = size if stride is None else stride
    if kind == "avg":
        return nn.AvgPool2d(size, stride)
    if kind == "max":
        return nn.MaxPool2d(size, stride)
    raise ArchscopeError(f"unknown pool {kind!r}; choose from avg, max")


def _classic_lenet(num_classes, in_channels, *, size, first_padding, act, pool, kernel_size, pool_size,
                   conv1_kernel_size=None, dense_act=None, c5_act=None, pool_stride=None):
    """The conv-pool-conv-pool-dense(120)-dense(84) LeNet that d2l and Keras
    tutorials write, with the knobs the ablations of article 002 vary.
    ``act`` is the convolutions' activation, ``dense_act`` the two hidden
    dense layers' (the same as ``act`` when not given)."""
    dense_act = act if dense_act is None else dense_act
    c5_act = dense_act if c5_act is None else c5_act
    k1 = kernel_size if conv1_kernel_size is None else conv1_kernel_size
    ps = pool_size if pool_stride is None else pool_stride
    for label, v in (("kernel_size", kernel_size), ("pool_size", pool_size), ("conv1_kernel_size", k1),
                     ("pool_stride", ps)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ArchscopeError(f"{label} must be a positive integer, got {v!r}")
    s = size + 2 * first_padding - k1 + 1
    s = (s - pool_size) // ps + 1
    s = s - kernel_size + 1
    s = (s - pool_size) // ps + 1
    if s < 1:
        raise ArchscopeError(
            f"kernel_size={kernel_size}, conv1_kernel_size={k1}, pool_size={pool_size} leave no spatial extent "
            f"on a {size}x{size} input"
        )
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, k1, padding=first_padding), activation(act),
        _pool(pool, pool_size, ps),
        nn.Conv2d(6, 16, kernel_size), activation(act),
        _pool(pool, pool_size, ps),
        nn.Flatten(),
        nn.Linear(16 * s * s, 120), activation(c5_act),
        nn.Linear(120, 84), activation(dense_act),
        nn.Linear(84, num_classes),
    )


def lenet_d2l(num_classes=10, in_channels=1, *, activation="sigmoid", dense_activation="sigmoid",
              c5_activation=None, pool="avg", kernel_size=5, pool_size=2, conv1_kernel_size=None, pool_stride=None):
    """d2l 6.6 (and article 002): a 28x28 input padded by 2 in the first
    convolution (so C1 is 28x28 as in the paper), sigmoid, average pooling,
    no Gaussian/RBF output.

    ``conv1_kernel_size`` changes C1's kernel alone with its padding left at
    ``kernel_size // 2``: article 002's kernel ablation (its Table 7, C1 at
    3, 4, 5) edits only that layer, and with padding 2 all three still give
    C5 a 16x5x5 input, so the dense layers stay as they are.

    ``activation`` is the two convolutions' activation and
    ``dense_activation`` the two hidden dense layers': article 002's
    activation ablation (Table 5) changes only the convolutions ("do not
    change F6's sigmoid; change only the convolution layers' activation",
    shared/sources/002, line 760). ``c5_activation`` (default: the dense
    layers') is the first dense layer's alone: the paper's C5 is a
    convolution, so "the convolution layers" may include it. ``pool_stride``
    (default: ``pool_size``) is the pooling layers' stride: article 002's
    Table 8 changes the pooling *kernel* from 2 to 1 ("Pooling_size", in a
    section about kernel sizes, line 836), which with d2l's stride 2 kept is
    a plain 2x subsampling that leaves the dense layers' 400 inputs as they
    are."""
    return _classic_lenet(num_classes, in_channels, size=28, first_padding=kernel_size // 2, act=activation,
                          pool=pool, kernel_size=kernel_size, pool_size=pool_size, conv1_kernel_size=conv1_kernel_size,
                          dense_act=dense_activation, c5_act=c5_activation, pool_stride=pool_stride)


def lenet_tutorial(num_classes=10, in_channels=1, *, activation="tanh", pool="max", kernel_size=5, pool_size=2):
    """Article 000's Keras LeNet: 28x28x1, 'valid' convolutions, tanh, max pooling."""
    return _classic_lenet(num_classes, in_channels, size=28, first_padding=0, act=activation,
                          pool=pool, kernel_size=kernel_size, pool_size=pool_size)


register(ModelInfo(
    name="lenet1", family="LeNet", year=1989, paper=PAPER, source="paper",
    input_shape=(1, 28, 28), num_classes=10,
    notes=(
        "Sec. III-C.7 of the 1998 paper: digits down-sampled to 16x16 and centred in a 28x28 input; the layers "
        "(H1 4@24x24 5x5, H2 4@12x12 averaging, H3 12@8x8 5x5, H4 12@4x4 averaging, 10 outputs) are LeCun et "
        "al. 1990's, which the 1998 paper cites.",
        "Assumption: H3 reads the H2 maps through 20 map-to-map links (8 maps read two, 4 read one); the paper "
        "prints no table. Fully connected (h3='full') the network would have 3,278 parameters and 136,320 "
        "multiply-adds, against the paper's 'about 2600' and 'about 100,000'; with 20 links 2,578 and 91,520.",
        "Scaled tanh (Appendix A) and LeNet-5's trainable subsampling (coefficient and bias per map) assumed "
        "for H1-H4; the output is a plain fully connected layer (no RBF).",
    ),
    builder=lenet1,
))
register(ModelInfo(
    name="lenet4", family="LeNet", year=1995, paper=PAPER, source="paper",
    input_shape=(1, 32, 32), num_classes=10,
    notes=(
        "Sec. III-C.8: C1 4 maps, S2 8 subsampling maps (two per C1 map), C3 16 maps, S4 16 maps, a fully "
        "connected layer of 120 units, 10 outputs. Kernel sizes, input size and C3's connections are not "
        "given: 5x5 kernels on 32x32 as LeNet-5, C3 fully connected.",
        "Inconsistent source: the text's 'about 17,000 free parameters' cannot be this network; its 120-unit "
        "layer alone, on 16 5x5 maps, has 48,120. 'About 260,000 connections' would need C3 to be partially "
        "connected (fully connected C3 alone has 321,600). archscope builds what the text describes: the first "
        "figure is reported as inconsistent, the second as not holding (claims lecun-lenet4-*).",
    ),
    builder=lenet4,
))
register(ModelInfo(
    name="lenet5", family="LeNet", year=1998, paper=PAPER, source="paper",
    input_shape=(1, 32, 32), num_classes=10, aliases=("lenet",),
    notes=(
        "Scaled tanh 1.7159*tanh(2a/3) everywhere (Appendix A).",
        "S2/S4 are trainable subsampling: 2x2 sum x coefficient + bias per map.",
        "C3 follows Table I's partial connection scheme (1,516 parameters).",
        "Output: 10 Euclidean RBF units with fixed 7x12 bitmap prototypes (840 frozen parameters); "
        "the paper does not print the bitmaps, so these are hand-drawn digits of that size.",
        "forward() returns minus the RBF penalties, so argmax is the prediction.",
    ),
    published=(Published("trainable_params", 60_000,
                         "LeCun et al. 1998, Sec. II-B: 'about 60,000 trainable parameters'"),),
    builder=lenet5,
))
register(ModelInfo(
    name="lenet.d2l", family="LeNet", year=1998, paper=PAPER, source="d2l",
    input_shape=(1, 28, 28), num_classes=10,
    notes=(
        "d2l 6.6 / article 002: Conv(6,5x5,pad 2)-sigmoid-AvgPool-Conv(16,5x5)-sigmoid-AvgPool-"
        "Dense 120-84-10; C3 fully connected, plain average pooling, no RBF output.",
        "Knobs for the article's ablations: activation (the two convolutions: sigmoid|relu|tanh), "
        "dense_activation (the two hidden dense layers; article 002 keeps them sigmoid when it switches the "
        "convolutions to ReLU, line 760), c5_activation (the first dense layer alone, the paper's C5), pool (avg|max), "
        "kernel_size (both convolutions), conv1_kernel_size "
        "(C1 alone, padding kept: the article's Table 7), pool_size, pool_stride (default pool_size).",
        "Ambiguity: the article says to change 'only the convolution layers' and to keep F6's sigmoid; the paper's "
        "C5 is a convolution but d2l writes it as Linear(400, 120). archscope reads 'convolution layers' as the "
        "code's two Conv2d, so C5 (the first dense layer) keeps its sigmoid with F6; c5_activation=relu gives the "
        "other reading, and the Table 5 experiment measures both.",
        "Sigmoid units learn slowly: the probe runs 1,500 steps by default (about 10 s on 2 CPU cores) and gives "
        "its one-batch overfit check 300 steps.",
    ),
    probe={"steps": 1500, "overfit_steps": 300},
    builder=lenet_d2l,
))
register(ModelInfo(
    name="lenet.tutorial", family="LeNet", year=1998, paper=PAPER, source="tutorial",
    input_shape=(1, 28, 28), num_classes=10,
    notes=(
        "Article 000's Keras LeNet on MNIST: 'valid' 5x5 convolutions on 28x28 (C1 is 24x24, not 28x28), "
        "tanh, max pooling instead of trainable subsampling, Dense 120-84-10.",
        "The Keras softmax is folded into the loss: forward() returns logits.",
    ),
    builder=lenet_tutorial,
))
