"""VGG (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for
Large-Scale Image Recognition", ICLR 2015, Table 1 and Sec. 2.1).

Configurations are data, as in Table 1: an int is a 3x3 convolution with that
many channels (padding 1, ReLU), ``(c, 1)`` a 1x1 convolution (configuration
C), ``"M"`` a 2x2/2 max pool, ``"LRN"`` local response normalisation (A-LRN).
Table 2 gives the parameter counts in millions: A 133, A-LRN 133, B 133,
C 134, D 138, E 144.
"""

from __future__ import annotations

from torch import nn

from archscope.zoo._registry import ModelInfo, Published, changed, only_variant, register
from archscope.zoo.layers import PaperLRN, keras_conv

__all__ = ["CONFIGS", "VGG", "vgg", "vgg16_tutorial"]

PAPER = "Very Deep Convolutional Networks for Large-Scale Image Recognition (Simonyan & Zisserman, 2014)"

_B3 = [256, 256]
CONFIGS: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M", 512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, in_channels: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    c = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        elif v == "LRN":
            layers.append(PaperLRN())  # "as in Krizhevsky et al." (Sec. 2.1)
        else:
            out, k = v if isinstance(v, tuple) else (v, 3)
            layers.append(nn.Conv2d(c, out, k, padding=k // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU())
            c = out
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, cfg, num_classes=1000, in_channels=3, *, batch_norm=False, adaptive_pool=False, dropout=0.5):
        super().__init__()
        self.features = make_layers(cfg, in_channels, batch_norm)
        # torchvision pools to 7x7 so any input >= 32 works; the paper's FC
        # layers assume a 224x224 input (7x7x512 after five pools).
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7)) if adaptive_pool else nn.Identity()
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)  # Sec. 3.1: N(0, 0.01), zero biases
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def vgg(num_classes=1000, in_channels=3, *, config="D", batch_norm=False, adaptive_pool=False, dropout=0.5):
    from archscope.errors import ArchscopeError

    if config not in CONFIGS:
        raise ArchscopeError(f"unknown VGG configuration {config!r}; Table 1 has {', '.join(CONFIGS)}")
    return VGG(CONFIGS[config], num_classes, in_channels, batch_norm=batch_norm,
               adaptive_pool=adaptive_pool, dropout=dropout)


def vgg16_tutorial(num_classes=17, in_channels=3, *, dropout=0.5):
    """Article 000's Keras VGG16Net, quirks included: conv2_1 is written
    ``Conv2D(128, (3, 2))`` (a 3x2 kernel), and an extra Dense(1000, relu) +
    Dropout precedes the 17-way softmax."""
    spec = [64, 64, "M", (128, (3, 2)), 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers: list[nn.Module] = []
    c = in_channels
    for v in spec:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))  # Keras MaxPooling2D((2,2)): stride = pool size
            continue
        out, k = v if isinstance(v, tuple) else (v, 3)
        layers += [keras_conv(c, out, k), nn.ReLU()]
        c = out
    return nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 1000), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(1000, num_classes),
    )


# (name, Table 1 configuration, weight layers, Table 2 params in millions,
#  torchvision num_params or None, torchvision GFLOPS, torchvision name)
_TABLE = [
    ("vgg11", "A", 11, 133, 132_863_336, 7.609),
    ("vgg11_lrn", "A-LRN", 11, 133, None, None),
    ("vgg13", "B", 13, 133, 133_047_848, 11.308),
    ("vgg16c", "C", 16, 134, None, None),
    ("vgg16", "D", 16, 138, 138_357_544, 15.47),
    ("vgg19", "E", 19, 144, 143_667_240, 19.632),
]
_TV_BN = {"vgg11": 132_868_840, "vgg13": 133_053_736, "vgg16": 138_365_992, "vgg19": 143_678_248}

for _name, _cfg, _depth, _table2, _tv, _gflops in _TABLE:
    register(ModelInfo(
        name=_name, family="VGG", year=2014, paper=PAPER, source="paper",
        input_shape=(3, 224, 224), num_classes=1000, aliases=(f"vgg_{_cfg.lower().replace('-', '_')}",),
        notes=(f"Configuration {_cfg} of Table 1 ({_depth} weight layers).",
               "FC-4096, FC-4096 with dropout 0.5, FC-1000; the FC layers assume a 224x224 input."),
        published=(Published("params", _table2 * 1e6, f"Simonyan & Zisserman 2014, Table 2 ({_cfg}: {_table2} M)"),),
        builder=vgg, arch_kwargs={"config": _cfg},
    ))
    if _tv is None or _gflops is None:  # torchvision ships neither
        continue
    register(ModelInfo(
        name=f"{_name}.torchvision", family="VGG", year=2014, paper=PAPER, source="torchvision",
        input_shape=(3, 224, 224), num_classes=1000,
        notes=("Same layers as the paper plus AdaptiveAvgPool2d(7) before the classifier.",),
        deviations=(only_variant("avgpool", layer="AdaptiveAvgPool2d", output_size=(7, 7),
                                 why="torchvision's AdaptiveAvgPool2d((7, 7)) before the classifier (a no-op at "
                                     "224x224; it lets any input size reach the 7x7x512 the FC layers expect)"),),
        published=(Published("params", _tv, f"torchvision {_name.upper()}_Weights.IMAGENET1K_V1 meta num_params"),
                   Published("gflops", _gflops, f"torchvision {_name.upper()}_Weights.IMAGENET1K_V1 meta _ops")),
        builder=vgg, arch_kwargs={"config": _cfg, "adaptive_pool": True},
    ))
    register(ModelInfo(
        name=f"{_name}_bn.torchvision", family="VGG", year=2014, paper=PAPER, source="torchvision",
        input_shape=(3, 224, 224), num_classes=1000,
        aliases=(f"{_name}_bn",),
        notes=(f"Configuration {_cfg} with batch norm after every convolution, as torchvision ships it: not in "
               "the paper, which predates batch norm (2015). AdaptiveAvgPool2d(7) before the classifier.",),
        published=(Published("params", _TV_BN[_name],
                             f"torchvision {_name.upper()}_BN_Weights.IMAGENET1K_V1 meta num_params"),),
        builder=vgg, arch_kwargs={"config": _cfg, "batch_norm": True, "adaptive_pool": True},
    ))

register(ModelInfo(
    name="vgg16.tutorial", family="VGG", year=2014, paper=PAPER, source="tutorial",
    input_shape=(3, 224, 224), num_classes=17,
    notes=(
        "Article 000's Keras VGG16Net for oxflower17, quirks kept: conv2_1 is Conv2D(128, (3, 2)) — a 3x2 kernel, "
        "24,576 fewer weights than the 3x3 of configuration D.",
        "input_shape=(224,224,3) is hard-coded in the first layer, ignoring the function's width/height arguments.",
        "An extra Dense(1000, relu) + Dropout(0.5) before the 17-way softmax (folded into the loss here).",
        "Keras 'same' padding of the even-width 3x2 kernel is asymmetric (TensorFlow puts the extra column on the "
        "right): an explicit pad before an unpadded convolution.",
    ),
    deviations=(
        changed("features.5", "5.1", layer="Conv2d", kernel_size=((3, 3), (3, 2)), padding=((1, 1), (0, 0)),
                why="article 000's conv2_1 is Conv2D(128, (3, 2), padding='same'): a 3x2 kernel, padded apart"),
        only_variant("5.0", layer="TFSamePad", settings="kernel_size=(3, 2), stride=(1, 1)",
                     why="Keras 'same' padding for the 3x2 kernel: 1 row above and below, 1 column on the right only"),
        only_variant("39", layer="ReLU", why="the extra Dense(1000, activation='relu') before the 17-way output"),
        only_variant("40", layer="Dropout", runs="never in the traced forward",
                     why="the Dropout(0.5) after that extra Dense(1000)"),
        only_variant("41", layer="Linear", out_features=17, why="the 17-way output (oxflower17) after the extra "
                     "Dense(1000), which takes the place of configuration D's FC-1000"),
    ),
    builder=vgg16_tutorial,
))
