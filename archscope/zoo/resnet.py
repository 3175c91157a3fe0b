"""ResNet for ImageNet (He, Zhang, Ren, Sun 2015, "Deep Residual Learning for
Image Recognition", CVPR 2016, Table 1) and its plain counterparts, plus the
ResNets that torchvision, Keras Applications, d2l and article 000 write.

Depth is data, as in Table 1: ``(block, [n2, n3, n4, n5])``.

Where the variants differ (all have the same parameter count unless noted):
- paper: the bottleneck's stride-2 downsampling is in its first 1x1
  convolution (the authors' released Caffe models); shortcut option B
  (projections only where dimensions grow, Sec. 3.3) by default.
- torchvision ("ResNet v1.5"): the stride is in the 3x3 convolution, which
  costs more multiply-adds (4.09 G vs 3.8 G for ResNet-50) and is more accurate.
- Keras Applications: as the paper, but every convolution has a bias and
  batch norm uses eps 1.001e-5.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, changed, input_differs, only_paper, only_variant, register
from archscope.zoo.layers import keras_conv, keras_max_pool

__all__ = ["LAYOUTS", "BasicBlock", "Bottleneck", "ResNet", "resnet", "resnet34_tutorial", "shortcut_kind"]

PAPER = "Deep Residual Learning for Image Recognition (He et al., 2015)"

# Table 1: block type and blocks per stage (conv2_x .. conv5_x)
LAYOUTS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


class ZeroPadShortcut(nn.Module):
    """Option A (Sec. 3.3): identity, subsampled by the stride, with the extra
    channels zero-padded. Parameter-free."""

    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.extra = out_ch - in_ch
        self.stride = stride

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))

    def extra_repr(self) -> str:
        return f"pad_channels={self.extra}, stride={self.stride}"


def shortcut_kind(value) -> str:
    """The shortcut option, spelled as a caller may give it: 'A', 'B', 'C' (He et al. Sec. 3.3), or 'none'
    for a plain net (``--arg shortcut=none`` keeps the word, ``--vary shortcut=none`` gives None; None and False
    are accepted for the same)."""
    if value is None or value is False or (isinstance(value, str) and value.lower() == "none"):
        return "none"
    if isinstance(value, str) and value.upper() in ("A", "B", "C"):
        return value.upper()
    raise ArchscopeError(f"shortcut must be A, B, C (He et al. Sec. 3.3) or none (a plain net, no shortcuts), "
                         f"got {value!r}")


def _shortcut(kind: str, in_ch: int, out_ch: int, stride: int, bias: bool, bn_eps: float, bn: bool = True):
    needs_change = stride != 1 or in_ch != out_ch
    if kind == "none":
        return None
    if kind == "A" and needs_change:
        return ZeroPadShortcut(in_ch, out_ch, stride)
    if (kind == "B" and needs_change) or kind == "C":
        layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, 1, stride, bias=bias)]
        if bn:
            layers.append(nn.BatchNorm2d(out_ch, eps=bn_eps))
        return nn.Sequential(*layers)
    return nn.Identity()


class BasicBlock(nn.Module):
    """Two 3x3 convolutions (Fig. 2 / Fig. 5 left)."""

    expansion = 1

    def __init__(self, in_ch, width, stride=1, *, shortcut="B", stride_on="1x1", bias=False, bn_eps=1e-5,
                 shortcut_bn=True, tf_padding=False):
        super().__init__()
        out = width
        # tf_padding: Keras 'same' puts a stride-2 conv's extra pad on the bottom/right only
        self.conv1 = (keras_conv(in_ch, width, 3, stride, bias=bias) if tf_padding
                      else nn.Conv2d(in_ch, width, 3, stride, 1, bias=bias))
        self.bn1 = nn.BatchNorm2d(width, eps=bn_eps)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, out, 3, 1, 1, bias=bias)
        self.bn2 = nn.BatchNorm2d(out, eps=bn_eps)
        self.shortcut = _shortcut(shortcut, in_ch, out, stride, bias, bn_eps, shortcut_bn)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            y = y + self.shortcut(x)
        return self.relu2(y)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand x4 (Fig. 5 right)."""

    expansion = 4

    def __init__(self, in_ch, width, stride=1, *, shortcut="B", stride_on="1x1", bias=False, bn_eps=1e-5,
                 shortcut_bn=True):
        super().__init__()
        out = width * self.expansion
        s1, s3 = (stride, 1) if stride_on == "1x1" else (1, stride)
        self.conv1 = nn.Conv2d(in_ch, width, 1, s1, bias=bias)
        self.bn1 = nn.BatchNorm2d(width, eps=bn_eps)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, s3, 1, bias=bias)
        self.bn2 = nn.BatchNorm2d(width, eps=bn_eps)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(width, out, 1, bias=bias)
        self.bn3 = nn.BatchNorm2d(out, eps=bn_eps)
        self.shortcut = _shortcut(shortcut, in_ch, out, stride, bias, bn_eps, shortcut_bn)
        self.relu3 = nn.ReLU()

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.relu2(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.shortcut is not None:
            y = y + self.shortcut(x)
        return self.relu3(y)


class ResNet(nn.Module):
    def __init__(self, block: str, layers, num_classes=1000, in_channels=3, *, shortcut="B", stride_on="1x1",
                 bias=False, bn_eps=1e-5, shortcut_bn=True):
        super().__init__()
        shortcut = shortcut_kind(shortcut)
        if stride_on not in ("1x1", "3x3"):
            raise ArchscopeError(f"stride_on must be '1x1' (paper) or '3x3' (torchvision), got {stride_on!r}")
        cls = BasicBlock if block == "basic" else Bottleneck
        opts = dict(shortcut=shortcut, stride_on=stride_on, bias=bias, bn_eps=bn_eps, shortcut_bn=shortcut_bn)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 64, 7, 2, 3, bias=bias), nn.BatchNorm2d(64, eps=bn_eps), nn.ReLU(),  # 112
            nn.MaxPool2d(3, 2, 1),  # (N, 64, 56, 56)
        )
        c = 64
        for i, (n, width) in enumerate(zip(layers, (64, 128, 256, 512), strict=True)):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(cls(c, width, stride, **opts))
                c = width * cls.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))  # conv{i+2}_x
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):  # He et al. 2015 (PReLU paper) init, as Sec. 3.4 says
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


def resnet(num_classes=1000, in_channels=3, *, depth=50, shortcut="B", stride_on="1x1", bias=False,
           bn_eps=1e-5, shortcut_bn=True):
    if depth not in LAYOUTS:
        raise ArchscopeError(f"ImageNet ResNet depth must be one of {', '.join(map(str, LAYOUTS))} (Table 1)")
    block, layers = LAYOUTS[depth]
    return ResNet(block, layers, num_classes, in_channels, shortcut=shortcut, stride_on=stride_on, bias=bias,
                  bn_eps=bn_eps, shortcut_bn=shortcut_bn)


class _TutorialBlock(nn.Module):
    """Article 000's Residual_Block: two Conv2d_BN units (conv with bias and
    ReLU, *then* BN) and, when dimensions change, a shortcut that is itself a
    Conv2d_BN with the block's 3x3 kernel (not 1x1). No ReLU after the add."""

    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.unit1 = _conv_relu_bn(in_ch, out_ch, 3, stride)
        self.unit2 = _conv_relu_bn(out_ch, out_ch, 3, 1)
        self.shortcut = _conv_relu_bn(in_ch, out_ch, 3, stride) if (stride != 1 or in_ch != out_ch) else nn.Identity()

    def forward(self, x):
        return self.unit2(self.unit1(x)) + self.shortcut(x)


def _conv_relu_bn(i, o, k, stride):
    return nn.Sequential(keras_conv(i, o, k, stride), nn.ReLU(), nn.BatchNorm2d(o, eps=1e-3))


def resnet34_tutorial(num_classes=17, in_channels=3):
    """Article 000's Keras ResNet34 (for oxflower17; the function takes the
    class count, 17 being the article's data set)."""
    layers = [_conv_relu_bn(in_channels, 64, 7, 2), keras_max_pool(3, 2, padding="same")]  # (N, 64, 56, 56)
    c = 64
    for width, n in zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True):
        for j in range(n):
            stride = 2 if (width != 64 and j == 0) else 1
            layers.append(_TutorialBlock(c, width, stride))
            c = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def resnet18_d2l(num_classes=10, in_channels=1):
    """d2l 8.6 / article 001 (MXNet Gluon): every convolution has a bias (Gluon's
    default); downsampling shortcuts are a bare 1x1 convolution with a bias and
    no batch norm; 1 input channel and 10 classes (Fashion-MNIST)."""
    return ResNet("basic", (2, 2, 2, 2), num_classes, in_channels, shortcut="B", bias=True, shortcut_bn=False)


_TV_PUBLISHED = {  # torchvision ResNet*_Weights.IMAGENET1K_V1 meta: num_params, _ops (GFLOPS)
    18: (11_689_512, 1.814),
    34: (21_797_672, 3.664),
    50: (25_557_032, 4.089),
    101: (44_549_160, 7.801),
    152: (60_192_808, 11.514),
}
_TABLE1_FLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}  # Table 1, "FLOPs" (multiply-adds) x 10^9
_DOWN = ("layer2.0", "layer3.0", "layer4.0")  # the first block of stages conv3_x-conv5_x, which downsamples
# ResNet v1.5 (torchvision/models/resnet.py, Bottleneck: "places the stride for downsampling at 3x3
# convolution(self.conv2)"); a basic block has no 1x1 to move it from, so ResNet-18/34 are the paper's
_V1_5 = (
    changed(tuple(f"{b}.conv1" for b in _DOWN), layer="Conv2d", stride=((2, 2), (1, 1)),
            why="ResNet v1.5: the downsampling bottleneck's 1x1 reduction runs at stride 1, at the input's "
                "resolution"),
    changed(tuple(f"{b}.conv2" for b in _DOWN), layer="Conv2d", stride=((1, 1), (2, 2)),
            why="ResNet v1.5: the stride sits in the 3x3 convolution"),
)

for _d, (_block, _layers) in LAYOUTS.items():
    register(ModelInfo(
        name=f"resnet{_d}", family="ResNet", year=2015, paper=PAPER, source="paper",
        input_shape=(3, 224, 224), num_classes=1000,
        notes=(f"Table 1, {_d}-layer: {_block} blocks {list(_layers)}.",
               "Shortcut option B by default (projection where dimensions grow); Table 2's 18/34-layer nets used "
               "option A (shortcut='A'), Table 3 compares A/B/C; shortcut=none (or False) removes every "
               "shortcut: the plain net of Fig. 3 and Table 2, what `archscope diff resnet" + str(_d) + " resnet"
               + str(_d) + " --arg-b shortcut=none` compares.",
               "Stride 2 in the first convolution of a downsampling block (the 1x1 of a bottleneck), as the "
               "authors' released models."),
        published=(Published("gflops", _TABLE1_FLOPS[_d], "He et al. 2015, Table 1 'FLOPs' (multiply-adds)"),),
        builder=resnet, arch_kwargs={"depth": _d},
    ))
    _tv, _ops = _TV_PUBLISHED[_d]
    register(ModelInfo(
        name=f"resnet{_d}.torchvision", family="ResNet", year=2015, paper=PAPER, source="torchvision",
        input_shape=(3, 224, 224), num_classes=1000,
        notes=("torchvision's ResNet: shortcut option B; for bottlenecks the stride sits in the 3x3 convolution "
               "('ResNet v1.5'), which costs more multiply-adds than the paper's layout.",),
        deviations=_V1_5 if _block == "bottleneck" else (),
        published=(Published("params", _tv, f"torchvision ResNet{_d}_Weights.IMAGENET1K_V1 meta num_params"),
                   Published("gflops", _ops, f"torchvision ResNet{_d}_Weights.IMAGENET1K_V1 meta _ops")),
        builder=resnet, arch_kwargs={"depth": _d, "stride_on": "3x3"},
    ))

register(ModelInfo(
    name="resnet50.keras", family="ResNet", year=2015, paper=PAPER, source="keras",
    input_shape=(3, 224, 224), num_classes=1000,
    notes=("Keras Applications ResNet50: the paper's layout (stride in the first 1x1) with a bias on every "
           "convolution and batch-norm epsilon 1.001e-5.",
           "Keras counts the 53,120 batch-norm moving means/variances as (non-trainable) parameters; torch keeps "
           "them as buffers, so Keras' 'Total params' = parameters here + running statistics."),
    published=(Published("params", 25_583_592, "Keras ResNet50().summary(): 'Trainable params: 25,583,592'"),
               Published("keras_total_params", 25_636_712, "Keras ResNet50().summary(): 'Total params: 25,636,712'")),
    deviations=(
        changed(("stem.0", "layer*"), layer="Conv2d", bias=(False, True), count=53,
                why="Keras Conv2D's default use_bias=True, on every convolution"),
        changed(("stem.1", "layer*"), layer="BatchNorm2d", eps=(1e-5, 1.001e-5), count=53,
                why="keras.applications.resnet: BatchNormalization(epsilon=1.001e-5)"),
    ),
    builder=resnet, arch_kwargs={"depth": 50, "bias": True, "bn_eps": 1.001e-5},
))
register(ModelInfo(
    name="resnet18.d2l", family="ResNet", year=2015, paper=PAPER, source="d2l",
    input_shape=(1, 96, 96), num_classes=10,
    notes=("Article 001 / d2l 8.6 (MXNet Gluon): biased convolutions, 1x1 projection shortcuts without batch norm, "
           "1 input channel, 10 classes; trained on Fashion-MNIST resized to 96x96 (its shape walk-through uses "
           "224x224).",),
    deviations=(
        input_differs((3, 224, 224), (1, 96, 96), why="d2l 8.6 trains on Fashion-MNIST (one channel) resized "
                      "to 96x96"),
        changed(("stem.0", "layer*"), layer="Conv2d", bias=(False, True), count=20,
                why="Gluon's nn.Conv2D has a bias by default (use_bias=True), on every convolution"),
        only_paper(tuple(f"{b}.shortcut.1" for b in _DOWN), layer="BatchNorm2d",
                   why="d2l's Residual(use_1x1conv=True): the projection shortcut is a bare 1x1 convolution"),
        changed("fc", layer="Linear", out_features=(1000, 10), why="10 classes (Fashion-MNIST)"),
    ),
    builder=resnet18_d2l,
))
register(ModelInfo(
    name="resnet34.tutorial", family="ResNet", year=2015, paper=PAPER, source="tutorial",
    input_shape=(3, 224, 224), num_classes=17,
    notes=(
        "Article 000's Keras ResNet34, quirks kept: each unit is Conv2D(relu) then BatchNormalization (ReLU before "
        "BN); the projection shortcut is a 3x3 convolution (the block's kernel_size), not 1x1; no ReLU after the "
        "addition; every convolution has a bias.",
        "As printed, the code does not run (add and GlobalAveragePooling2D are never imported); the class count "
        "is the article's oxflower17 (17).",
        "Keras conventions the article's code inherits: BatchNormalization's epsilon 1e-3, and 'same' padding "
        "that pads a stride-2 convolution or pool on the bottom/right only (TensorFlow's alignment).",
    ),
    deviations=(
        changed(("stem.0", "layer*"), "*", layer="Conv2d", bias=(False, True), count=36,
                why="Keras Conv2D's default use_bias=True, on every convolution"),
        changed(("stem.1", "layer*"), "*", layer="BatchNorm2d", eps=(1e-5, 1e-3), count=36,
                why="Keras BatchNormalization's default epsilon 1e-3"),
        only_paper(("stem.2", "layer*"), layer="ReLU", count=33,
                   why="the paper's ReLUs, after each batch norm and after each sum: the tutorial has none there"),
        only_variant(("0.1", "*.unit*.1", "*.shortcut.1"), layer="ReLU", count=36,
                     why="the tutorial's ReLUs: Conv2D(activation='relu') before each BatchNormalization"),
        changed(tuple(f"{b}.shortcut.0" for b in _DOWN), ("5.shortcut.0.1", "9.shortcut.0.1", "15.shortcut.0.1"),
                layer="Conv2d", kernel_size=((1, 1), (3, 3)),
                why="the projection shortcut uses the block's kernel_size: a 3x3 convolution, not Eq. 2's 1x1"),
        changed("stem.0", "0.0.1", layer="Conv2d", padding=((3, 3), (0, 0)),
                why="Conv2D(64, (7, 7), strides=2, padding='same'): padded apart, TensorFlow's way"),
        changed(tuple(f"{b}.conv1" for b in _DOWN), ("5.unit1.0.1", "9.unit1.0.1", "15.unit1.0.1"),
                layer="Conv2d", padding=((1, 1), (0, 0)), why="the stride-2 3x3 convolutions, padded apart"),
        changed("stem.3", "1.1", layer="MaxPool2d", padding=(1, 0), why="MaxPooling2D((3, 3), 2, padding='same'), "
                "padded apart"),
        only_variant("0.0.0", layer="TFSamePad", settings="kernel_size=(7, 7), stride=(2, 2)",
                     why="Keras 'same' padding of the stride-2 7x7 convolution (bottom/right heavy)"),
        only_variant(("1.0", "*.unit1.0.0", "*.shortcut.0.0"), layer="TFSamePad",
                     settings="kernel_size=(3, 3), stride=(2, 2)", count=7,
                     why="Keras 'same' padding of the 3x3/2 max pool, convolutions and shortcuts"),
        changed("fc", "20", layer="Linear", out_features=(1000, 17), why="17 classes (oxflower17)"),
    ),
    builder=resnet34_tutorial,
))

for _d in (18, 34):
    register(ModelInfo(
        name=f"plain{_d}", family="Plain", year=2015, paper=PAPER, source="paper",
        input_shape=(3, 224, 224), num_classes=1000,
        notes=(f"The {_d}-layer plain net of the degradation experiment (Fig. 4 left, Table 2): ResNet-{_d}'s "
               "layout with no shortcuts; downsampling by the stride-2 convolutions.",),
        builder=resnet, arch_kwargs={"depth": _d, "shortcut": "none"},
    ))
