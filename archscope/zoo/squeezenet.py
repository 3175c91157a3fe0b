"""SqueezeNet (Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer 2016,
"SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB
model size", Table 1 and Fig. 2 left) and SqueezeNet v1.1 of the authors'
repository (github.com/forresti/SqueezeNet, SqueezeNet_v1.1/README.md).

A Fire module (Sec. 3.2) squeezes its input with s1x1 1x1 filters, then
expands with e1x1 1x1 and e3x3 3x3 filters side by side, their outputs
concatenated on the channel axis (the README's hint 3: Caffe has no
mixed-kernel convolution, so the two expand layers are concatenated). ReLU
after every convolution, biases everywhere, no fully connected layer: conv10
(1x1, one map per class), ReLU, global average pooling.

Layouts are data, as in Table 1: ``(s1x1, e1x1, e3x3)`` is a Fire module,
``"M"`` a 3x3/2 max pool. Pools round up (ceil mode): Caffe, the authors'
framework, always rounds pooled sizes up; torchvision passes ceil_mode=True
to match.

Input size: Table 1 lists a 224x224x3 input and a 111x111x96 conv1 output,
but conv1 (7x7/2, no padding) gives (224 - 7) / 2 + 1 = 109.5 -> 109 from
224; the 111 of Table 1 needs 227x227, which is what the authors'
deploy.prototxt declares (``dim: 227``). The paper entries therefore take
227x227 (as ``alexnet`` here); the torchvision entries take 224x224, the
input torchvision's published GFLOPS are for. The layers are the same.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, input_differs, register

__all__ = ["LAYOUTS", "Fire", "SqueezeNet", "squeezenet"]

PAPER = ("SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size "
         "(Iandola et al., 2016)")

_M = "M"
# version: (conv1 maps, conv1 kernel, layout after conv1 + ReLU); Fire modules are named fire2..fire9 and each
# pool after the layer it follows (pool1, pool4, pool8 in v1.0; pool1, pool3, pool5 in v1.1), as the papers do.
LAYOUTS: dict[str, tuple[int, int, list]] = {
    # Table 1: pools after conv1, fire4, fire8 (Sec. 3.3: "max-pooling with a stride of 2 after layers conv1,
    # fire4, fire8")
    "1_0": (96, 7, [_M, (16, 64, 64), (16, 64, 64), (32, 128, 128), _M, (32, 128, 128), (48, 192, 192),
                    (48, 192, 192), (64, 256, 256), _M, (64, 256, 256)]),
    # SqueezeNet_v1.1/README.md: conv1 "64 filters of resolution 3x3" (v1.0: 96 of 7x7), pooling layers
    # "pool{1,3,5,10}" (v1.0: pool{1,4,8,10}; pool10 is the final global average pool)
    "1_1": (64, 3, [_M, (16, 64, 64), (16, 64, 64), _M, (32, 128, 128), (32, 128, 128), _M, (48, 192, 192),
                    (48, 192, 192), (64, 256, 256), (64, 256, 256)]),
}


class Fire(nn.Module):
    """squeeze (1x1) -> ReLU -> [expand1x1, expand3x3] each with ReLU, concatenated."""

    def __init__(self, in_ch: int, squeeze: int, e1x1: int, e3x3: int):
        super().__init__()
        self.squeeze = nn.Conv2d(in_ch, squeeze, 1)
        self.squeeze_relu = nn.ReLU()
        self.expand1x1 = nn.Conv2d(squeeze, e1x1, 1)
        self.expand1x1_relu = nn.ReLU()
        self.expand3x3 = nn.Conv2d(squeeze, e3x3, 3, padding=1)
        self.expand3x3_relu = nn.ReLU()

    def forward(self, x):  # (N, C, H, W) -> (N, e1x1 + e3x3, H, W)
        s = self.squeeze_relu(self.squeeze(x))
        return torch.cat([self.expand1x1_relu(self.expand1x1(s)), self.expand3x3_relu(self.expand3x3(s))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, layout, num_classes=1000, in_channels=3, *, dropout=0.5):
        super().__init__()
        maps, k, body = layout
        layers: list[tuple[str, nn.Module]] = [("conv1", nn.Conv2d(in_channels, maps, k, stride=2)),
                                              ("relu1", nn.ReLU())]
        c, index, last = maps, 2, "1"
        for v in body:
            if v == _M:
                layers.append((f"pool{last}", nn.MaxPool2d(3, 2, ceil_mode=True)))
                continue
            s, e1, e3 = v
            layers.append((f"fire{index}", Fire(c, s, e1, e3)))
            c, last, index = e1 + e3, str(index), index + 1
        self.features = nn.Sequential(OrderedDict(layers))
        # Sec. 3.3.1: dropout 50% after fire9; conv10 is the classifier, a 1x1 convolution with ReLU (as in NiN)
        self.classifier = nn.Sequential(OrderedDict(
            dropout=nn.Dropout(dropout), conv10=nn.Conv2d(c, num_classes, 1), relu10=nn.ReLU(),
            pool10=nn.AdaptiveAvgPool2d(1),
        ))
        self.flatten = nn.Flatten()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is self.classifier.conv10:
                    nn.init.normal_(m.weight, 0.0, 0.01)  # deploy.prototxt: conv10 gaussian std 0.01
                else:
                    nn.init.xavier_uniform_(m.weight)  # the prototxt's "xavier" filler elsewhere
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.flatten(self.classifier(self.features(x)))


def squeezenet(num_classes=1000, in_channels=3, *, version="1_0", dropout=0.5):
    if version not in LAYOUTS:
        raise ArchscopeError(f"unknown SqueezeNet version {version!r}; choose from {', '.join(LAYOUTS)}")
    return SqueezeNet(LAYOUTS[version], num_classes, in_channels, dropout=dropout)


_TV_META = {  # torchvision SqueezeNet1_x_Weights.IMAGENET1K_V1 meta: num_params, _ops (GFLOPS)
    "1_0": (1_248_424, 0.819),
    "1_1": (1_235_496, 0.349),
}
_NOTES = {
    "1_0": ("Table 1 / Fig. 2 left (no bypass): conv1 96 7x7/2, fire2-fire9, conv10 1000 1x1, global average "
            "pool; max pools 3x3/2 after conv1, fire4 and fire8.",),
    "1_1": ("SqueezeNet v1.1 of the authors' repository (not in the paper): conv1 is 64 3x3/2 instead of 96 7x7/2 "
            "and the pools come after conv1, fire3 and fire5, so fire4-fire9 run at lower resolution. The "
            "repository README: v1.1 'requires 2.4x less computation than SqueezeNet v1.0 without diminshing "
            "accuracy'.",),
}
_COMMON = (
    "Takes 227x227: Table 1 prints a 224x224 input but 111x111 conv1 maps, which only 227x227 gives (the "
    "authors' deploy.prototxt declares 227). At 227 every pool divides exactly for v1.0, so ceil and floor "
    "rounding agree; v1.1's pools round up (Caffe) from 56 to 28 and 28 to 14.",
    "The released deploy.prototxt of v1.0 pads conv10 (a 1x1 convolution) by 1, making 15x15 maps instead of "
    "Table 1's 13x13; that padding is not in the paper and not reproduced here.",
)

for _v, _name, _year in (("1_0", "squeezenet1_0", 2016), ("1_1", "squeezenet1_1", 2016)):
    _tv, _ops = _TV_META[_v]
    _published = (Published("params", 1_248_424, "Iandola et al. 2016, Table 1: total '#parameter before "
                                                 "pruning' 1,248,424"),) if _v == "1_0" else ()
    register(ModelInfo(
        name=_name, family="SqueezeNet", year=_year, paper=PAPER, source="paper",
        input_shape=(3, 227, 227), num_classes=1000,
        notes=_NOTES[_v] + _COMMON, published=_published,
        builder=squeezenet, arch_kwargs={"version": _v},
    ))
    register(ModelInfo(
        name=f"{_name}.torchvision", family="SqueezeNet", year=_year, paper=PAPER, source="torchvision",
        input_shape=(3, 224, 224), num_classes=1000,
        notes=("torchvision's SqueezeNet: the same layers (ceil-mode pools, dropout 0.5 before conv10); only the "
               "default input differs, 224x224 as torchvision's published GFLOPS assume (conv1 maps 109x109 "
               "for v1.0, 111x111 for v1.1).",),
        deviations=(input_differs((3, 227, 227), (3, 224, 224), why="torchvision's 224x224 crops (its published "
                                  "GFLOPS); the paper's 111x111 conv1 maps need 227x227"),),
        published=(Published("params", _tv, f"torchvision SqueezeNet{_v}_Weights.IMAGENET1K_V1 meta num_params"),
                   Published("gflops", _ops, f"torchvision SqueezeNet{_v}_Weights.IMAGENET1K_V1 meta _ops")),
        builder=squeezenet, arch_kwargs={"version": _v},
    ))
