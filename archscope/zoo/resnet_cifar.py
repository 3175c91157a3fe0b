"""ResNets for CIFAR-10.

- v1 (He et al. 2015, Sec. 4.2): depth 6n+2 — a 3x3 conv with 16 maps, three
  stages of n basic blocks on 32x32, 16x16 and 8x8 maps with 16/32/64 filters,
  global average pooling, a 10-way FC. Shortcuts are option A (identity with
  zero-padding), so the network has exactly the plain net's parameters
  (Table 6 lists 0.27M, 0.46M, 0.66M, 0.85M, 1.7M, 19.4M for depth 20-1202).
- v2, pre-activation bottleneck (He et al. 2016, "Identity Mappings in Deep
  Residual Networks"): depth 9n+2 — BN-ReLU-conv units, three stages of n
  bottlenecks with 64/128/256 outputs, a final BN-ReLU (ResNet-164: 1.7M,
  ResNet-1001: 10.2M parameters). The unit layout follows the authors'
  released code (resnet-1k-layers): the first unit of each stage shares its
  pre-activation with a 1x1 projection shortcut.
- The Keras CIFAR-10 example (article 003) builds both with a bias on every
  convolution and 1x1 projection shortcuts without batch norm; its v2 also
  widens the bottlenecks of stages 2 and 3 (see CifarPreActResNet).
"""

from __future__ import annotations

from torch import nn

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, changed, only_paper, only_variant, register
from archscope.zoo.resnet import BasicBlock, shortcut_kind

__all__ = ["cifar_resnet", "cifar_preresnet", "valid_depths"]

PAPER_V1 = "Deep Residual Learning for Image Recognition (He et al., 2015)"
PAPER_V2 = "Identity Mappings in Deep Residual Networks (He et al., 2016)"


def valid_depths(rule: str, upto: int = 120) -> list[int]:
    step = 6 if rule == "6n+2" else 9
    return [step * n + 2 for n in range(1, upto // step + 1)]


def _check_depth(depth, rule: str) -> int:
    step = 6 if rule == "6n+2" else 9
    if not isinstance(depth, int) or depth < step + 2 or (depth - 2) % step:
        examples = ", ".join(map(str, valid_depths(rule)[:8]))
        raise ArchscopeError(f"depth must be {rule} with n >= 1 ({examples}, ...), got {depth!r}")
    return (depth - 2) // step


class CifarResNet(nn.Module):
    def __init__(self, n: int, num_classes=10, in_channels=3, *, shortcut="A", bias=False, bn_eps=1e-5,
                 shortcut_bn=True, tf_padding=False):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 16, 3, 1, 1, bias=bias), nn.BatchNorm2d(16, eps=bn_eps),
                                  nn.ReLU())  # (N, 16, 32, 32)
        c = 16
        opts = dict(shortcut=shortcut, bias=bias, bn_eps=bn_eps, shortcut_bn=shortcut_bn, tf_padding=tf_padding)
        for i, width in enumerate((16, 32, 64)):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(c, width, 2 if (i > 0 and j == 0) else 1, **opts))
                c = width
            setattr(self, f"stage{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.fc(self.flatten(self.avgpool(x)))


def cifar_resnet(num_classes=10, in_channels=3, *, depth=20, shortcut="A", keras=False):
    """v1 CIFAR ResNet of depth 6n+2; ``shortcut='none'`` (or False) gives the plain net, as
    the ImageNet ResNets' knob does; ``keras=True`` the Keras example's layout (biases, 1x1
    projections without BN, BN eps 1e-3, TF 'same' padding), whose shortcuts are
    projections (its ``shortcut`` may only be left as it is, or 'none' for its plain net)."""
    n = _check_depth(depth, "6n+2")
    shortcut = shortcut_kind(shortcut)
    if keras:
        if shortcut not in ("A", "B", "none"):  # 'A' is the default, which the Keras layout replaces by its own
            raise ArchscopeError(f"the Keras example's ResNet has projection shortcuts (B); shortcut={shortcut!r} "
                                 "does not apply to it (shortcut=none gives its plain net)")
        return CifarResNet(n, num_classes, in_channels, shortcut="none" if shortcut == "none" else "B", bias=True,
                           bn_eps=1e-3, shortcut_bn=False, tf_padding=True)
    return CifarResNet(n, num_classes, in_channels, shortcut=shortcut)


class PreActBottleneck(nn.Module):
    """BN-ReLU-conv1x1, BN-ReLU-conv3x3, BN-ReLU-conv1x1, plus the shortcut.

    ``preact``: 'residual' — only the residual branch is pre-activated (the
    usual unit); 'both' — the pre-activation is shared by the projection
    shortcut (first unit of a stage in the authors' code); 'none' — no
    pre-activation (the Keras example's first unit, right after the stem's
    BN-ReLU)."""

    def __init__(self, in_ch, width, out_ch, stride, *, preact="residual", bias=False, bn_eps=1e-5):
        super().__init__()
        self.preact = preact
        self.bn0 = nn.BatchNorm2d(in_ch, eps=bn_eps) if preact != "none" else None
        self.relu0 = nn.ReLU() if preact != "none" else None
        self.conv1 = nn.Conv2d(in_ch, width, 1, stride, bias=bias)
        self.bn1 = nn.BatchNorm2d(width, eps=bn_eps)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=bias)
        self.bn2 = nn.BatchNorm2d(width, eps=bn_eps)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(width, out_ch, 1, bias=bias)
        project = stride != 1 or in_ch != out_ch
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1, stride, bias=bias) if project else nn.Identity()

    def forward(self, x):
        a = self.relu0(self.bn0(x)) if self.bn0 is not None else x
        y = self.conv1(a)
        y = self.conv2(self.relu1(self.bn1(y)))
        y = self.conv3(self.relu2(self.bn2(y)))
        return y + self.shortcut(a if self.preact == "both" else x)


class CifarPreActResNet(nn.Module):
    def __init__(self, n: int, num_classes=10, in_channels=3, *, keras=False):
        super().__init__()
        bias, eps = (True, 1e-3) if keras else (False, 1e-5)
        self.stem: nn.Module
        if keras:  # Keras: conv-BN-ReLU stem (conv_first=True)
            self.stem = nn.Sequential(nn.Conv2d(in_channels, 16, 3, 1, 1, bias=True), nn.BatchNorm2d(16, eps=eps),
                                      nn.ReLU())
        else:  # authors' code: a bare convolution; the first unit pre-activates it
            self.stem = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        c = 16
        # The authors' code: bottleneck widths 16/32/64, outputs 64/128/256. The Keras
        # example sets the next stage's width to the previous output (num_filters_in =
        # num_filters_out), so its widths are 16/64/128 with the same outputs: its
        # bottlenecks narrow by 4 only in the first stage, by 2 after.
        widths = (16, 64, 128) if keras else (16, 32, 64)
        for i, (width, out) in enumerate(zip(widths, (64, 128, 256), strict=True)):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                if j > 0:
                    mode = "residual"
                elif keras:
                    mode = "none" if i == 0 else "residual"
                else:
                    mode = "both"
                blocks.append(PreActBottleneck(c, width, out, stride, preact=mode, bias=bias, bn_eps=eps))
                c = out
            setattr(self, f"stage{i + 1}", nn.Sequential(*blocks))
        self.bn = nn.BatchNorm2d(c, eps=eps)
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.fc(self.flatten(self.avgpool(self.relu(self.bn(x)))))


def cifar_preresnet(num_classes=10, in_channels=3, *, depth=164, keras=False):
    """Pre-activation bottleneck ResNet of depth 9n+2."""
    return CifarPreActResNet(_check_depth(depth, "9n+2"), num_classes, in_channels, keras=keras)


# Article 003 (line 12) and He et al. 2015 (Table 6) compare ResNets with Highway networks; the zoo holds none.
_HIGHWAY = ("Highway networks (Srivastava et al. 2015), which Table 6 and article 003 compare with these, are not in "
            "the zoo: their gates are learned functions of the input (a transform gate per unit), and neither source "
            "gives the layer widths needed to build the CIFAR-10 ones the table lists.")
_TABLE6 = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7, 1202: 19.4}  # He et al. 2015, Table 6 (M)


def _keras_v1(depth: int) -> tuple:
    """How the Keras example's resnet_v1 departs from option A's network (keras-io cifar10_resnet.py)."""
    layers = depth - 1  # the stem and the 6n convolutions of the blocks (each with its batch norm); the fc is 1
    return (
        changed("*", layer="Conv2d", bias=(False, True), count=layers,
                why="Keras Conv2D's default use_bias=True, on every convolution"),
        changed("*", layer="BatchNorm2d", eps=(1e-5, 1e-3), count=layers,
                why="Keras BatchNormalization's default epsilon 1e-3"),
        changed(("stage2.0.conv1", "stage3.0.conv1"), ("stage2.0.conv1.1", "stage3.0.conv1.1"), layer="Conv2d",
                padding=((1, 1), (0, 0)), why="the stride-2 3x3 convolutions' 'same' padding, applied apart"),
        only_variant(("stage2.0.conv1.0", "stage3.0.conv1.0"), layer="TFSamePad",
                     settings="kernel_size=(3, 3), stride=(2, 2)",
                     why="TensorFlow's 'same' padding for stride 2: the extra row and column at the bottom/right"),
        only_paper("stage2.0.shortcut", layer="ZeroPadShortcut", settings="pad_channels=16, stride=2",
                   why="option A (Sec. 4.2): the identity, subsampled, with zero-padded extra channels"),
        only_paper("stage3.0.shortcut", layer="ZeroPadShortcut", settings="pad_channels=32, stride=2",
                   why="option A (Sec. 4.2): the identity, subsampled, with zero-padded extra channels"),
        only_variant("stage2.0.shortcut.0", layer="Conv2d", kernel_size=(1, 1), stride=(2, 2), out_channels=32,
                     why="resnet_layer(kernel_size=1, strides=2, activation=None, batch_normalization=False): a "
                         "1x1 projection with a bias, no batch norm"),
        only_variant("stage3.0.shortcut.0", layer="Conv2d", kernel_size=(1, 1), stride=(2, 2), out_channels=64,
                     why="resnet_layer(kernel_size=1, strides=2, activation=None, batch_normalization=False): a "
                         "1x1 projection with a bias, no batch norm"),
    )


for _d, _m in _TABLE6.items():
    register(ModelInfo(
        name=f"resnet{_d}", family="ResNet-CIFAR", year=2015, paper=PAPER_V1, source="paper",
        input_shape=(3, 32, 32), num_classes=10,
        notes=(f"CIFAR-10 ResNet, depth 6n+2 with n={(_d - 2) // 6}; option A shortcuts (parameter-free); "
               f"shortcut=none (or False) gives plain{_d}: `archscope diff resnet{_d} resnet{_d} --arg-b "
               "shortcut=none`.",
               _HIGHWAY),
        published=(Published("params", _m * 1e6, f"He et al. 2015, Table 6 ({_m} M)"),),
        builder=cifar_resnet, arch_kwargs={"depth": _d},
    ))
    register(ModelInfo(
        name=f"resnet{_d}.keras", family="ResNet-CIFAR", year=2015, paper=PAPER_V1, source="keras",
        input_shape=(3, 32, 32), num_classes=10,
        notes=("The Keras CIFAR-10 example's resnet_v1 (article 003): a bias on every convolution, 1x1 projection "
               "shortcuts without batch norm where dimensions change (not option A), BN epsilon 1e-3, 'same' "
               "padding with TensorFlow's alignment.",),
        published=((Published("params", 273_066, "Keras example ResNet20v1 summary: 'Trainable params: 273,066'"),)
                   if _d == 20 else ()),
        deviations=_keras_v1(_d),
        builder=cifar_resnet, arch_kwargs={"depth": _d, "keras": True},
    ))

_V2 = {56: None, 110: None, 164: 1.7, 1001: 10.2}  # He et al. 2016, Table 2/5 parameter counts (M)
_KERAS_V2 = {29: 843_786}  # the Keras example's published summaries (trainable parameters)
_V2_NOTES = ("The Keras CIFAR-10 example's resnet_v2 (article 003): projection shortcuts from the un-normalised "
             "input, biased convolutions, BN eps 1e-3. Its conv-BN-ReLU stem and first unit without "
             "pre-activation compute what the authors' bare stem and pre-activated first unit do (the same "
             "layers, named differently: `archscope diff` finds no difference there).",
             "Bottleneck widths 16/64/128 (the example reuses the previous stage's output width), not the "
             "paper's 16/32/64: stages 2 and 3 are twice as wide inside their bottlenecks.")


def _keras_v2(depth: int) -> tuple:
    """How the Keras example's resnet_v2 departs from the authors' pre-activation network."""
    n = (depth - 2) // 9
    return (
        changed("*", layer="Conv2d", bias=(False, True), count=1 + 9 * n + 3,
                why="Keras Conv2D's default use_bias=True, on every convolution (three per unit, the stem and "
                    "three projection shortcuts)"),
        changed("*", layer="BatchNorm2d", eps=(1e-5, 1e-3), count=9 * n + 1,
                why="Keras BatchNormalization's default epsilon 1e-3"),
        changed("stage2.*", layer="Conv2d", out_channels=(32, 64), count=2 * n,
                why="the example's bottleneck width in stage 2 is the previous stage's output (num_filters_in = "
                    "num_filters_out), 64, not the paper's 32"),
        changed("stage3.*", layer="Conv2d", out_channels=(64, 128), count=2 * n,
                why="and 128 in stage 3, not the paper's 64"),
        changed("stage2.0.shortcut", layer="Conv2d", input_from=(("stage2.0.relu0",), (f"stage1.{n - 1} (add)",)),
                why="the example's projection shortcut reads the unit's un-normalised input; the authors' first "
                    "unit of a stage shares its BN-ReLU with the shortcut"),
        changed("stage3.0.shortcut", layer="Conv2d", input_from=(("stage3.0.relu0",), (f"stage2.{n - 1} (add)",)),
                why="the same in stage 3"),
    )


# Article 003 sets n = 3; with version = 2 that is depth 9n+2 = 29, a depth the paper never trains.
register(ModelInfo(
    name="preresnet29.keras", family="PreAct-ResNet", year=2016, paper=PAPER_V2, source="keras",
    input_shape=(3, 32, 32), num_classes=10,
    notes=("The v2 network article 003 configures: n = 3 with version = 2 gives depth 9n+2 = 29 (ResNet29v2); "
           "the pre-activation paper has no 29-layer net, so there is no paper-faithful twin.",) + _V2_NOTES,
    published=(Published("params", _KERAS_V2[29], "Keras example ResNet29v2 summary: 'Trainable params: 843,786'"),),
    builder=cifar_preresnet, arch_kwargs={"depth": 29, "keras": True},
))
for _d, _v2m in _V2.items():
    register(ModelInfo(
        name=f"preresnet{_d}", family="PreAct-ResNet", year=2016, paper=PAPER_V2, source="paper",
        input_shape=(3, 32, 32), num_classes=10,
        notes=(f"Pre-activation bottleneck ResNet, depth 9n+2 with n={(_d - 2) // 9}; units and shortcuts as the "
               "authors' released code.",)
        + (("The paper's 10.2 M is the count without batch-norm parameters (10,178,490); with them 10,327,706.",)
           if _d == 1001 else ())
        + (("The paper's own 110-layer pre-activation net uses basic blocks (6n+2); this is the 9n+2 bottleneck "
            "depth the Keras example calls ResNet110 v2.",) if _d == 110 else ()),
        published=((Published("params", _v2m * 1e6, f"He et al. 2016 ({_v2m} M)"),) if _v2m else ()),
        builder=cifar_preresnet, arch_kwargs={"depth": _d},
    ))
    register(ModelInfo(
        name=f"preresnet{_d}.keras", family="PreAct-ResNet", year=2016, paper=PAPER_V2, source="keras",
        input_shape=(3, 32, 32), num_classes=10,
        notes=_V2_NOTES,
        deviations=_keras_v2(_d),
        builder=cifar_preresnet, arch_kwargs={"depth": _d, "keras": True},
    ))

for _d in (20, 32, 44, 56):
    register(ModelInfo(
        name=f"plain{_d}", family="Plain", year=2015, paper=PAPER_V1, source="paper",
        input_shape=(3, 32, 32), num_classes=10,
        notes=(f"The {_d}-layer plain CIFAR net of the degradation experiment (Fig. 1, Fig. 6 left): resnet{_d} "
               "without shortcuts.",),
        builder=cifar_resnet, arch_kwargs={"depth": _d, "shortcut": "none"},
    ))
