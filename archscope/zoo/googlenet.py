"""GoogLeNet / Inception v1 (Szegedy et al. 2014, "Going Deeper with
Convolutions", CVPR 2015, Table 1 and Fig. 3) and the GoogLeNets torchvision
and article 000 write.

Table 1 is data here: one row per Inception module with its six widths.
The paper's network: every convolution (including the 1x1 reductions and the
pool projections) is followed by ReLU; LRN after the first max pool and after
conv2; 3x3/2 max pools between the stages; 7x7 average pool, dropout 0.4 and
one linear layer. The two auxiliary classifiers (Sec. 5) sit on 4a and 4d;
they are off by default (``aux_logits=True`` adds them) and exist only for
training.

What-if knobs for teaching what the 1x1 convolutions buy (Sec. 4, Fig. 2):
``reductions=False`` drops the 1x1 reductions before the 3x3 and 5x5
convolutions, which then read the module's whole input (Table 1's "#3x3
reduce" and "#5x5 reduce" columns gone, every output width kept);
``pool_proj=False`` drops the 1x1 projection after the pooling branch, which
then passes all its input channels on, so the widths grow from module to
module (the paper's "inevitable increase in the number of outputs from stage
to stage"). Both off is Fig. 2(a), the "naive" Inception module. `archscope
diff googlenet googlenet --arg-b reductions=False` shows the difference.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from archscope.zoo._registry import ModelInfo, Published, changed, only_paper, only_variant, register, replaced
from archscope.zoo.layers import CaffeLRN, TFSamePad, keras_conv, keras_max_pool

__all__ = ["TABLE1", "Inception", "GoogLeNet", "googlenet", "googlenet_torchvision", "googlenet_tutorial",
           "out_channels", "widths"]

PAPER = "Going Deeper with Convolutions (Szegedy et al., 2014)"

# Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
TABLE1: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}

ConvFactory = Callable[[int, int, int], nn.Module]


def out_channels(row, in_ch: int | None = None, pool_proj: bool = True) -> int:
    """A module's output width: its four branches concatenated; without the pool projection the pooling
    branch passes its ``in_ch`` input channels on."""
    c1, _, c3, _, c5, pp = row
    return c1 + c3 + c5 + (pp if pool_proj else in_ch)


def widths(in_ch: int = 192, pool_proj: bool = True) -> dict[str, tuple[int, int]]:
    """(input, output) channels of each Inception module, from Table 1 (the stem gives 192)."""
    out = {}
    for name, row in TABLE1.items():
        out[name] = (in_ch, out_channels(row, in_ch, pool_proj))
        in_ch = out[name][1]
    return out


def _paper_conv(i: int, o: int, k: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(i, o, k, stride, padding=(k - 1) // 2), nn.ReLU())


class BasicConv2d(nn.Sequential):
    """torchvision's unit: bias-free conv, batch norm (eps 0.001), ReLU."""

    archscope_category = "conv"  # a convolution unit (conv, norm, activation): one layer of the paper's tables

    def __init__(self, i: int, o: int, k: int, stride: int = 1):
        super().__init__(nn.Conv2d(i, o, k, stride, padding=(k - 1) // 2, bias=False),
                         nn.BatchNorm2d(o, eps=0.001), nn.ReLU())


class Inception(nn.Module):
    """Four parallel branches concatenated on channels (Fig. 2b); without ``reductions`` the 3x3 and 5x5
    convolutions read the input directly, without ``pool_proj`` the pooling branch has no 1x1 projection
    (both off: Fig. 2a, the naive module)."""

    def __init__(self, in_ch: int, row, conv: ConvFactory, k5: int = 5, pool_ceil: bool = False, *,
                 reductions: bool = True, pool_proj: bool = True):
        super().__init__()
        c1, r3, c3, r5, c5, pp = row
        self.branch1 = conv(in_ch, c1, 1)
        if reductions:
            self.branch2 = nn.Sequential(conv(in_ch, r3, 1), conv(r3, c3, 3))
            self.branch3 = nn.Sequential(conv(in_ch, r5, 1), conv(r5, c5, k5))
        else:
            self.branch2 = nn.Sequential(conv(in_ch, c3, 3))
            self.branch3 = nn.Sequential(conv(in_ch, c5, k5))
        pool = nn.MaxPool2d(3, 1, padding=1, ceil_mode=pool_ceil)
        self.branch4 = nn.Sequential(pool, conv(in_ch, pp, 1)) if pool_proj else nn.Sequential(pool)

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class AuxClassifier(nn.Module):
    """Sec. 5: 5x5/3 average pool, 1x1 conv 128 + ReLU, FC 1024 + ReLU,
    dropout 0.7, linear classifier."""

    def __init__(self, in_ch: int, num_classes: int, conv: ConvFactory, pool: nn.Module):
        super().__init__()
        self.pool = pool  # (N, C, 4, 4)
        self.conv = conv(in_ch, 128, 1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.7)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.flatten(self.conv(self.pool(x)))
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """Stem, nine Inception modules in three stages, and a head; the stem and
    head are passed in so the paper's, torchvision's and the tutorial's
    networks share the Inception stages."""

    def __init__(self, stem: nn.Module, head: nn.Module, conv: ConvFactory, *, k5: int, pool: Callable[[], nn.Module],
                 last_pool: nn.Module, pool_ceil: bool, aux: Callable[[int], nn.Module] | None,
                 reductions: bool = True, pool_proj: bool = True):
        super().__init__()
        self.stem = stem  # (N, 192, 28, 28)
        w = widths(192, pool_proj)
        for name, row in TABLE1.items():
            setattr(self, f"inception{name}", Inception(w[name][0], row, conv, k5, pool_ceil, reductions=reductions,
                                                        pool_proj=pool_proj))
        self.pool3 = pool()  # 28 -> 14
        self.pool4 = last_pool  # 14 -> 7
        self.head = head
        self.aux1 = aux(w["4a"][1]) if aux else None
        self.aux2 = aux(w["4d"][1]) if aux else None

    def forward(self, x):
        x = self.stem(x)
        x = self.inception3b(self.inception3a(x))
        x = self.inception4a(self.pool3(x))
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4e(x)
        x = self.inception5b(self.inception5a(self.pool4(x)))
        logits = self.head(x)
        if aux1 is not None:
            return logits, aux1, aux2  # training with auxiliary classifiers
        return logits


def _switch(name: str, value) -> bool:
    """A what-if knob: True or False, nothing else (a typo must not silently build the paper's network)."""
    if not isinstance(value, bool):
        from archscope.errors import ArchscopeError

        raise ArchscopeError(f"{name} must be True or False, got {value!r}")
    return value


def googlenet(num_classes=1000, in_channels=3, *, aux_logits=False, dropout=0.4, reductions=True, pool_proj=True):
    """The paper's network; ``reductions=False`` / ``pool_proj=False`` build the what-ifs of the module
    docstring (Fig. 2a with both off)."""
    reductions, pool_proj = _switch("reductions", reductions), _switch("pool_proj", pool_proj)
    conv = _paper_conv
    pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731 - as the BVLC reference model
    stem = nn.Sequential(
        conv(in_channels, 64, 7, 2), pool(), CaffeLRN(),  # (N, 64, 56, 56)
        conv(64, 64, 1), conv(64, 192, 3), CaffeLRN(), pool(),  # (N, 192, 28, 28)
    )
    last = widths(192, pool_proj)["5b"][1]  # 1024 (Table 1)
    head = nn.Sequential(nn.AvgPool2d(7, 1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(last, num_classes))
    aux = (lambda c: AuxClassifier(c, num_classes, conv, nn.AvgPool2d(5, 3))) if aux_logits else None
    return GoogLeNet(stem, head, conv, k5=5, pool=pool, last_pool=pool(), pool_ceil=False, aux=aux,
                     reductions=reductions, pool_proj=pool_proj)


def googlenet_torchvision(num_classes=1000, in_channels=3, *, aux_logits=False, dropout=0.2, reductions=True,
                          pool_proj=True):
    """torchvision.models.googlenet: BasicConv2d (conv+BN, no bias), no LRN, the
    "5x5" branch uses a 3x3 kernel (a known bug kept for weight
    compatibility), ceil-mode pools, a 2x2 last pool, adaptive average pool,
    dropout 0.2."""
    reductions, pool_proj = _switch("reductions", reductions), _switch("pool_proj", pool_proj)
    conv = BasicConv2d
    pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
    stem = nn.Sequential(conv(in_channels, 64, 7, 2), pool(), conv(64, 64, 1), conv(64, 192, 3), pool())
    last = widths(192, pool_proj)["5b"][1]
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(last, num_classes))
    aux = (lambda c: AuxClassifier(c, num_classes, conv, nn.AdaptiveAvgPool2d(4))) if aux_logits else None
    return GoogLeNet(stem, head, conv, k5=3, pool=pool, last_pool=nn.MaxPool2d(2, 2, ceil_mode=True),
                     pool_ceil=True, aux=aux, reductions=reductions, pool_proj=pool_proj)


def _keras_conv_bn(i: int, o: int, k: int, stride: int = 1) -> nn.Module:
    """Article 000's Conv2d_BN: Conv2D(activation='relu') *then* BatchNormalization
    (Keras BN epsilon 1e-3)."""
    return nn.Sequential(keras_conv(i, o, k, stride), nn.ReLU(), nn.BatchNorm2d(o, eps=1e-3))


def googlenet_tutorial(num_classes=17, in_channels=3, *, dropout=0.4, reductions=True, pool_proj=True):
    """Article 000's Keras InceptionV1 for oxflower17, quirks included."""
    reductions, pool_proj = _switch("reductions", reductions), _switch("pool_proj", pool_proj)

    def linear_conv(i, o, k):  # the Inception branches: Conv2D without activation
        return keras_conv(i, o, k)

    pool = lambda: keras_max_pool(3, 2, padding="same")  # noqa: E731
    stem = nn.Sequential(_keras_conv_bn(in_channels, 64, 7, 2), pool(), _keras_conv_bn(64, 192, 3), pool())
    head = nn.Sequential(
        TFSamePad(7, 7), nn.AvgPool2d(7, 7), nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(widths(192, pool_proj)["5b"][1], 1000), nn.ReLU(), nn.Linear(1000, num_classes),
    )
    return GoogLeNet(stem, head, linear_conv, k5=1, pool=pool, last_pool=pool(), pool_ceil=False, aux=None,
                     reductions=reductions, pool_proj=pool_proj)


_WHAT_IF = ("What-if knobs (Sec. 4, Fig. 2): reductions=False drops the 1x1 reductions before the 3x3 and 5x5 "
            "convolutions (every output width kept); pool_proj=False drops the pooling branch's 1x1 projection "
            "(the widths then grow from module to module); both off is Fig. 2(a), the naive module. "
            "`archscope diff googlenet googlenet --arg-b reductions=False` shows what the reductions save.")

register(ModelInfo(
    name="inception_v1", family="GoogLeNet", year=2014, paper=PAPER, source="paper",
    input_shape=(3, 224, 224), num_classes=1000, aliases=("googlenet",),
    notes=(
        "Table 1 layout; ReLU after every convolution; LRN after pool1 and conv2 (constants of the BVLC "
        "reference model, which the paper does not give); ceil-mode 3x3/2 max pools.",
        "Auxiliary classifiers on 4a and 4d with aux_logits=True (Sec. 5); off by default, as they only "
        "serve training.",
        _WHAT_IF,
    ),
    published=(Published("params", 6.8e6, "Szegedy et al. 2014, Table 1: sum of the params column, 6,797 K"),
               Published("gflops", 1.5, "Szegedy et al. 2014, Sec. 5: '1.5 billion multiply-adds at inference'")),
    builder=googlenet,
))
register(ModelInfo(
    name="inception_v1.torchvision", family="GoogLeNet", year=2014, paper=PAPER, source="torchvision",
    input_shape=(3, 224, 224), num_classes=1000, aliases=("googlenet.torchvision",),
    notes=(
        "Batch norm after every convolution (bias-free), no LRN — closer to Inception v2's training.",
        "The '5x5' branch uses a 3x3 kernel (torchvision issue #906, kept for weight compatibility).",
        "Last max pool 2x2/2, adaptive average pool, dropout 0.2; aux_logits=True adds its auxiliary heads.",
        "The pools inside the Inception modules are ceil-mode (3x3/1 padded: the same maps either way).",
    ),
    deviations=(
        changed(("stem.*", "inception*"), layer="Conv2d", bias=(True, False), count=57,
                why="torchvision's BasicConv2d: a bias-free convolution, then batch norm"),
        only_variant(("stem.*", "inception*"), layer="BatchNorm2d", eps=0.001, count=57,
                     why="batch norm (eps 0.001) after every convolution, from Inception v2's training"),
        only_paper(("stem.2", "stem.5"), layer="LocalResponseNorm", size=5, why="no local response normalisation"),
        changed("inception*.branch3.1.0", layer="Conv2d", kernel_size=((5, 5), (3, 3)), padding=((2, 2), (1, 1)),
                count=9, why="the '5x5' branch's 3x3 kernel (torchvision issue #906, kept for its weights)"),
        changed("inception*.branch4.0", layer="MaxPool2d", ceil_mode=(False, True), count=9,
                why="torchvision's MaxPool2d(3, stride=1, padding=1, ceil_mode=True) in the pool branch"),
        changed("pool4", layer="MaxPool2d", kernel_size=(3, 2), why="torchvision's maxpool4 is MaxPool2d(2, 2)"),
        replaced("head.0", layer=("AvgPool2d", "AdaptiveAvgPool2d"), kernel_size=(7, None), stride=(1, None),
                 output_size=(None, 1), why="an adaptive average pool in place of Table 1's 7x7/1 one"),
        changed("head.2", layer="Dropout", p=(0.4, 0.2), why="torchvision's dropout 0.2 (Table 1: 40%)"),
    ),
    published=(Published("params", 6_624_904, "torchvision GoogLeNet_Weights.IMAGENET1K_V1 meta num_params"),
               Published("gflops", 1.498, "torchvision GoogLeNet_Weights.IMAGENET1K_V1 meta _ops")),
    builder=googlenet_torchvision,
))
register(ModelInfo(
    name="inception_v1.tutorial", family="GoogLeNet", year=2014, paper=PAPER, source="tutorial",
    input_shape=(3, 224, 224), num_classes=17, aliases=("googlenet.tutorial",),
    notes=(
        "Article 000's Keras InceptionV1 (oxflower17), quirks kept:",
        "the '5x5' branch is written Conv2D(branch3[1], (1,1)) — a 1x1 kernel, so the module has no 5x5 "
        "convolution at all;",
        "the Inception branches have no activation (Conv2D without activation= is linear);",
        "the stem applies ReLU before batch norm (Conv2D(activation='relu') then BatchNormalization) and omits "
        "the paper's 1x1 reduction before conv2 and both LRNs;",
        "no auxiliary classifiers; an extra Dense(1000, relu) before the 17-way softmax (folded into the loss).",
        "Keras 'same' padding: the stride-2 convolution and pools pad on the bottom/right (TensorFlow's "
        "alignment) and the max pools round down where the paper's (Caffe) round up; the final 7x7 average "
        "pool has stride 7 (Keras' default), which on the 7x7 map is the same pool.",
    ),
    deviations=(
        changed("stem.0.0", "stem.0.0.1", layer="Conv2d", padding=((3, 3), (0, 0)),
                why="Conv2D(64, (7, 7), strides=2, padding='same'): padded apart, TensorFlow's way"),
        only_variant("stem.0.0.0", layer="TFSamePad", settings="kernel_size=(7, 7), stride=(2, 2)",
                     why="Keras 'same' padding of the stride-2 7x7 convolution (the extra row and column at the "
                         "bottom/right)"),
        only_variant(("stem.1.0", "stem.3.0", "pool3.0", "pool4.0"), layer="TFSamePad",
                     settings="kernel_size=(3, 3), stride=(2, 2)",
                     why="Keras 'same' padding of the 3x3/2 max pools"),
        changed(("stem.1", "stem.6", "pool3", "pool4"), ("stem.1.1", "stem.3.1", "pool3.1", "pool4.1"),
                layer="MaxPool2d", ceil_mode=(True, False),
                why="Keras pools round down ('same' padding supplies the border); the paper's Caffe pools round up"),
        only_variant("stem.0.2", layer="BatchNorm2d", eps=0.001,
                     why="BatchNormalization after conv1 (Keras' epsilon 1e-3), after its ReLU"),
        only_paper("stem.2", layer="LocalResponseNorm", size=5, why="no local response normalisation after pool1"),
        only_paper("stem.3.0", layer="Conv2d", kernel_size=(1, 1), out_channels=64,
                   why="the stem has no 1x1 reduction before the 3x3 conv2"),
        replaced("stem.5", "stem.2.2", layer=("LocalResponseNorm", "BatchNorm2d"), size=(5, None), eps=(None, 0.001),
                 why="after conv2, BatchNormalization where the paper has its second LRN"),
        only_paper(("stem.3.1", "inception*"), layer="ReLU", count=55,
                   why="no activation in the Inception branches (Conv2D without activation=) nor after the "
                       "omitted 1x1 reduction: 6 ReLUs per module x 9, and 1"),
        changed("inception*.branch3.1.0", "inception*.branch3.1", layer="Conv2d", kernel_size=((5, 5), (1, 1)),
                padding=((2, 2), (0, 0)), count=9,
                why="the '5x5' branch is written Conv2D(branch3[1], (1, 1)): a 1x1 kernel"),
        changed("head.0", "head.1", layer="AvgPool2d", stride=(1, 7),
                why="AveragePooling2D((7, 7)) strides by its size (the same pool on the 7x7 map)"),
        only_variant("head.0", layer="TFSamePad", settings="kernel_size=(7, 7), stride=(7, 7)",
                     runs="never in the traced forward", why="that pool's 'same' padding, empty on a 7x7 map"),
        only_variant("head.5", layer="ReLU", why="the extra Dense(1000, activation='relu') before the 17-way output"),
        only_variant("head.6", layer="Linear", out_features=17, why="the 17-way output (oxflower17) after the "
                     "extra Dense(1000), which takes the place of the paper's 1000-way layer"),
    ),
    builder=googlenet_tutorial,
))
