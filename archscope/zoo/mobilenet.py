"""MobileNets: v1 (Howard et al. 2017, "MobileNets: Efficient Convolutional
Neural Networks for Mobile Vision Applications", Table 1) and v2 (Sandler et
al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks", Tables 1
and 2), plus torchvision's MobileNetV2.

v1 is data, as in Table 1: after a full 3x3/2 convolution with 32 maps, a
list of depthwise separable layers ``(output maps, depthwise stride)``; a
depthwise separable layer is a 3x3 depthwise convolution (one filter per
input channel, ``groups=C``) then a 1x1 pointwise convolution, each followed
by batch norm and ReLU (Sec. 3.1, Fig. 3). Global average pooling and one
fully connected layer end it. The width multiplier ``alpha`` (Sec. 3.3) thins
every layer; the resolution multiplier (Sec. 3.4) is the input size, which
global pooling leaves free (``--input 3x160x160``).

v2 is data, as in Table 2: rows ``(t, c, n, s)`` of inverted residual
bottlenecks (Table 1: 1x1 expansion to t*k maps with ReLU6, 3x3 depthwise with
stride s and ReLU6, linear 1x1 projection to c maps), the first of each row
with stride s; a residual connection where input and output shapes agree.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, only_paper, only_variant, register

__all__ = ["V1_LAYERS", "V2_SETTINGS", "DepthwiseSeparable", "InvertedResidual", "MobileNetV1", "MobileNetV2",
           "mobilenet_v1", "mobilenet_v2", "mobilenet_v2_torchvision"]

PAPER_V1 = "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications (Howard et al., 2017)"
PAPER_V2 = "MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler et al., 2018)"

# Table 1 after the first convolution: (pointwise output maps, depthwise stride), one per "Conv dw" + "Conv" pair.
# Table 1 prints the last depthwise layer as "Conv dw / s2" on a 7x7x1024 input, yet its output feeds a 7x7 pool
# and a "7x7x1024" pointwise layer: the stride is 1 (as in every implementation), and the "s2" a misprint.
V1_LAYERS: list[tuple[int, int]] = [
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),  # "5x" at 14x14x512: what Table 5's shallow net removes
    (1024, 2), (1024, 1),
]
_V1_SHALLOW = [layer for i, layer in enumerate(V1_LAYERS) if not 6 <= i <= 10]

# Table 2: expansion t, output channels c, repeats n, first stride s
V2_SETTINGS: list[tuple[int, int, int, int]] = [
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]


def _conv_bn_act(i: int, o: int, k: int, stride: int = 1, groups: int = 1, act=nn.ReLU) -> nn.Sequential:
    """Convolution (no bias: batch norm follows), batch norm, activation (none if ``act`` is None)."""
    layers = [nn.Conv2d(i, o, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(o)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class DepthwiseSeparable(nn.Sequential):
    """Fig. 3 right: 3x3 depthwise conv, BN, ReLU, 1x1 pointwise conv, BN, ReLU."""

    def __init__(self, i: int, o: int, stride: int):
        super().__init__(OrderedDict(depthwise=_conv_bn_act(i, i, 3, stride, groups=i),
                                     pointwise=_conv_bn_act(i, o, 1)))


def _width(c: int, alpha: float) -> int:
    # Sec. 3.3: M and N become alpha M and alpha N; the paper's settings (1, 0.75, 0.5, 0.25) give whole numbers
    # for every width of Table 1 (32 * 0.25 = 8).
    return max(1, int(c * alpha))


class MobileNetV1(nn.Module):
    def __init__(self, layers, num_classes=1000, in_channels=3, *, alpha=1.0, separable=True, dropout=0.0):
        super().__init__()
        if not 0 < alpha <= 1:
            raise ArchscopeError(f"alpha (the width multiplier) must be in (0, 1] (Sec. 3.3), got {alpha!r}")
        c = _width(32, alpha)
        body: list[tuple[str, nn.Module]] = [("conv1", _conv_bn_act(in_channels, c, 3, 2))]  # (N, 32a, 112, 112)
        for j, (out, stride) in enumerate(layers):
            o = _width(out, alpha)
            # Table 4's "Conv MobileNet": the same net with a full 3x3 convolution in place of each separable pair
            block = DepthwiseSeparable(c, o, stride) if separable else _conv_bn_act(c, o, 3, stride)
            body.append((f"sep{j + 2}", block))
            c = o
        self.features = nn.Sequential(OrderedDict(body))  # (N, 1024a, 7, 7) at 224
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # Sec. 3.2: "reduces the spatial resolution to 1"
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.fc(self.dropout(self.flatten(self.avgpool(self.features(x)))))


def mobilenet_v1(num_classes=1000, in_channels=3, *, alpha=1.0, separable=True, shallow=False, dropout=0.0):
    """``alpha``: Sec. 3.3's width multiplier; ``separable=False``: Table 4's Conv MobileNet; ``shallow=True``:
    Table 5's Shallow MobileNet (the five 14x14x512 separable layers removed)."""
    layers = _V1_SHALLOW if shallow else V1_LAYERS
    return MobileNetV1(layers, num_classes, in_channels, alpha=alpha, separable=separable, dropout=dropout)


def _make_divisible(v: float, divisor: int = 8) -> int:
    """Round a width to the nearest multiple of 8, never below 90% of it (the rule of the authors' TF-slim
    code, which torchvision copies); the paper does not say how alpha * c is rounded."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


class InvertedResidual(nn.Module):
    """Table 1 of Sandler et al.: 1x1 expand (t*k, ReLU6), 3x3 depthwise (stride s, ReLU6), linear 1x1
    projection to k'; the input is added back when stride is 1 and k == k' (Fig. 4d)."""

    def __init__(self, i: int, o: int, stride: int, t: int):
        super().__init__()
        hidden = i * t
        self.use_residual = stride == 1 and i == o
        layers: list[tuple[str, nn.Module]] = []
        if t != 1:  # the t = 1 row has nothing to expand
            layers.append(("expand", _conv_bn_act(i, hidden, 1, act=nn.ReLU6)))
        layers.append(("depthwise", _conv_bn_act(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6)))
        layers.append(("project", _conv_bn_act(hidden, o, 1, act=None)))  # linear bottleneck (Sec. 3.2)
        self.conv = nn.Sequential(OrderedDict(layers))

    def forward(self, x):
        y = self.conv(x)
        return x + y if self.use_residual else y


class MobileNetV2(nn.Module):
    def __init__(self, settings, num_classes=1000, in_channels=3, *, width_mult=1.0, dropout=0.2,
                 conv_classifier=True):
        super().__init__()
        if width_mult <= 0:
            raise ArchscopeError(f"width_mult must be positive, got {width_mult!r}")
        c = _make_divisible(32 * width_mult)
        layers: list[tuple[str, nn.Module]] = [("conv1", _conv_bn_act(in_channels, c, 3, 2, act=nn.ReLU6))]
        for t, out, n, s in settings:
            o = _make_divisible(out * width_mult)
            for j in range(n):
                layers.append((f"block{len(layers)}", InvertedResidual(c, o, s if j == 0 else 1, t)))
                c = o
        # Sec. 4: the width multiplier is applied "to all layers except the very last convolutional layer" when
        # it is below one, so the last 1x1 convolution keeps 1280 maps then
        last = _make_divisible(1280 * max(1.0, width_mult))
        layers.append(("conv_last", _conv_bn_act(c, last, 1, act=nn.ReLU6)))
        self.features = nn.Sequential(OrderedDict(layers))  # (N, 1280, 7, 7) at 224
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        # Table 2 ends with "conv2d 1x1, k" on the pooled 1x1x1280 vector; torchvision writes it as a linear
        # layer (the same weights, bias and multiply-adds)
        self.conv_classifier = conv_classifier
        self.classifier = nn.Conv2d(last, num_classes, 1) if conv_classifier else nn.Linear(last, num_classes)
        self.flatten = nn.Flatten()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.dropout(self.avgpool(self.features(x)))  # (N, 1280, 1, 1)
        if self.conv_classifier:
            return self.flatten(self.classifier(x))
        return self.classifier(self.flatten(x))


def mobilenet_v2(num_classes=1000, in_channels=3, *, width_mult=1.0, dropout=0.2):
    return MobileNetV2(V2_SETTINGS, num_classes, in_channels, width_mult=width_mult, dropout=dropout)


def mobilenet_v2_torchvision(num_classes=1000, in_channels=3, *, width_mult=1.0, dropout=0.2):
    return MobileNetV2(V2_SETTINGS, num_classes, in_channels, width_mult=width_mult, dropout=dropout,
                       conv_classifier=False)


_V1_NOTES = (
    "Table 1 body: a 3x3/2 convolution then 13 depthwise separable layers (depthwise 3x3 + pointwise 1x1, each "
    "with batch norm and ReLU), global average pool, FC-1000; 28 layers counting depthwise and pointwise "
    "separately (Sec. 3.2).",
    "Table 1 prints the last depthwise layer as stride 2 on a 7x7 input; its output is 7x7 (the next row and the "
    "7x7 pool say so): stride 1 here, a misprint in the table.",
    "ReLU as the paper says (Sec. 3.2); the authors' TF-slim code uses ReLU6. No dropout by default (the paper "
    "mentions none); the final average pool is global so any input resolution works (Sec. 3.4).",
)
# (name, alpha, Table 6 mult-adds in millions, Table 6 params in millions)
_V1_TABLE6 = [
    ("mobilenet_v1", 1.0, 569, 4.2),
    ("mobilenet_v1_075", 0.75, 325, 2.6),
    ("mobilenet_v1_050", 0.5, 149, 1.3),
    ("mobilenet_v1_025", 0.25, 41, 0.5),
]
for _name, _alpha, _madds, _mparams in _V1_TABLE6:
    register(ModelInfo(
        name=_name, family="MobileNet", year=2017, paper=PAPER_V1, source="paper",
        input_shape=(3, 224, 224), num_classes=1000,
        notes=((f"{_alpha} MobileNet-224: width multiplier alpha = {_alpha} (Sec. 3.3, Table 6).",) if _alpha != 1
               else ("1.0 MobileNet-224; alpha is a knob (Sec. 3.3), the input size the resolution multiplier "
                     "(Sec. 3.4).",)) + _V1_NOTES,
        published=(Published("gflops", _madds / 1000, f"Howard et al. 2017, Table 6: {_madds} million mult-adds"),
                   Published("params", _mparams * 1e6, f"Howard et al. 2017, Table 6: {_mparams} million "
                                                       "parameters")),
        builder=mobilenet_v1, arch_kwargs={} if _alpha == 1 else {"alpha": _alpha},
    ))
register(ModelInfo(
    name="mobilenet_v1_050_160", family="MobileNet", year=2017, paper=PAPER_V1, source="paper",
    input_shape=(3, 160, 160), num_classes=1000,
    notes=("Table 9's '0.50 MobileNet-160': width multiplier 0.5 at a 160x160 input (resolution multiplier "
           "0.714, Sec. 3.4).",) + _V1_NOTES[1:],
    published=(Published("gflops", 0.076, "Howard et al. 2017, Table 9: 76 million mult-adds"),
               Published("params", 1.32e6, "Howard et al. 2017, Table 9: 1.32 million parameters")),
    builder=mobilenet_v1, arch_kwargs={"alpha": 0.5},
))
register(ModelInfo(
    name="mobilenet_v1_conv", family="MobileNet", year=2017, paper=PAPER_V1, source="paper",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=("Table 4's 'Conv MobileNet': Table 1 with a full 3x3 convolution (batch norm, ReLU) in place of each "
           "depthwise separable pair, same widths and strides; the paper gives no more detail.",) + _V1_NOTES[1:],
    published=(Published("gflops", 4.866, "Howard et al. 2017, Table 4: 4866 million mult-adds"),
               Published("params", 29.3e6, "Howard et al. 2017, Table 4: 29.3 million parameters")),
    builder=mobilenet_v1, arch_kwargs={"separable": False},
))
register(ModelInfo(
    name="mobilenet_v1_shallow", family="MobileNet", year=2017, paper=PAPER_V1, source="paper",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=("Table 5's 'Shallow MobileNet': the five separable layers at 14x14x512 of Table 1 removed "
           "(Sec. 4.1); width multiplier 1.",) + _V1_NOTES[1:],
    published=(Published("gflops", 0.307, "Howard et al. 2017, Table 5: 307 million mult-adds"),
               Published("params", 2.9e6, "Howard et al. 2017, Table 5: 2.9 million parameters")),
    builder=mobilenet_v1, arch_kwargs={"shallow": True},
))

_V2_NOTES = (
    "Table 2: conv2d 32 3x3/2, 17 inverted residual bottlenecks in rows (t, c, n, s), conv2d 1x1 1280, global "
    "average pool, conv2d 1x1 k as the classifier; ReLU6 and batch norm after every convolution but the linear "
    "projections (Sec. 4).",
    "Sec. 4 says '19 residual bottleneck layers'; Table 2's n column sums to 17 (1+2+3+4+3+3+1), which is what is "
    "built.",
    "Widths are alpha * c rounded to a multiple of 8 (the authors' TF-slim rule; the paper states none); the last "
    "1x1 convolution keeps 1280 maps for alpha < 1 (Sec. 4). Dropout 0.2 before the classifier (the paper uses "
    "dropout without saying where).",
)
register(ModelInfo(
    name="mobilenet_v2", family="MobileNet", year=2018, paper=PAPER_V2, source="paper",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=_V2_NOTES,
    published=(Published("gflops", 0.300, "Sandler et al. 2018, Sec. 4 and Table 4: 300M multiply-adds"),
               Published("params", 3.4e6, "Sandler et al. 2018, Sec. 4 and Table 4: 3.4M parameters")),
    builder=mobilenet_v2,
))
register(ModelInfo(
    name="mobilenet_v2_140", family="MobileNet", year=2018, paper=PAPER_V2, source="paper",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=("Table 4's 'MobileNetV2 (1.4)': width multiplier 1.4 on every layer, the last 1x1 convolution "
           "included (1280 x 1.4 = 1792 maps).",) + _V2_NOTES,
    published=(Published("gflops", 0.585, "Sandler et al. 2018, Table 4: 585M multiply-adds"),
               Published("params", 6.9e6, "Sandler et al. 2018, Table 4: 6.9M parameters")),
    builder=mobilenet_v2, arch_kwargs={"width_mult": 1.4},
))
register(ModelInfo(
    name="mobilenet_v2.torchvision", family="MobileNet", year=2018, paper=PAPER_V2, source="torchvision",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=("torchvision's MobileNetV2: Table 2's layers with the same rounding of widths; the classifier is "
           "Dropout(0.2) + Linear(1280, k) on the flattened pool instead of a 1x1 convolution (identical "
           "parameters and multiply-adds).",),
    deviations=(
        only_paper("classifier", layer="Conv2d", kernel_size=(1, 1), out_channels=1000,
                   why="Table 2's last row: conv2d 1x1 k as the classifier"),
        only_variant("classifier", layer="Linear", out_features=1000,
                     why="torchvision's nn.Linear(1280, num_classes) in its place (the same weights and "
                         "multiply-adds, a linear layer on the flattened pool)"),
    ),
    published=(Published("params", 3_504_872, "torchvision MobileNet_V2_Weights.IMAGENET1K_V1 meta num_params"),
               Published("gflops", 0.301, "torchvision MobileNet_V2_Weights.IMAGENET1K_V1 meta _ops")),
    builder=mobilenet_v2_torchvision,
))
