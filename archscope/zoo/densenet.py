"""DenseNet-BC for ImageNet (Huang, Liu, van der Maaten, Weinberger 2017,
"Densely Connected Convolutional Networks", CVPR, Sec. 3 and Table 1).

Depth is data, as in Table 1: dense layers per block, ``(6, 12, 24, 16)`` for
DenseNet-121. Each dense layer reads the concatenation of every earlier
feature map of its block (Eq. 2, ``torch.cat``) and adds k = 32 maps (the
growth rate): BN-ReLU-Conv(1x1, 4k) then BN-ReLU-Conv(3x3, k), the
bottleneck of DenseNet-B (Sec. 3). A transition (BN-ReLU-Conv 1x1, 2x2/2
average pool) between blocks keeps floor(theta * m) of the m maps, theta =
0.5 (compression, DenseNet-C). The stem is a 7x7/2 convolution with 2k maps
and a 3x3/2 max pool (Sec. 3, Implementation Details); the head a 7x7
global average pool and a 1000-way fully connected layer.

torchvision's DenseNets are these networks layer for layer (its code ports the
authors' Torch models), so each depth is one entry here, with
``densenetNNN.torchvision`` as an alias and torchvision's published figures
beside the paper's.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from archscope.errors import ArchscopeError
from archscope.zoo._registry import ModelInfo, Published, register

__all__ = ["BLOCKS", "DenseLayer", "DenseBlock", "Transition", "DenseNet", "densenet"]

PAPER = "Densely Connected Convolutional Networks (Huang et al., 2017)"

# Table 1: dense layers in blocks 1..4
BLOCKS: dict[int, tuple[int, int, int, int]] = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
    264: (6, 12, 64, 48),
}


class DenseLayer(nn.Module):
    """H_l of DenseNet-B: BN-ReLU-Conv(1x1, bn_size*k), BN-ReLU-Conv(3x3, k); takes the list of earlier maps."""

    def __init__(self, in_ch: int, growth: int, bn_size: int):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_ch)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_ch, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, features: list):
        x = torch.cat(features, 1)  # Eq. 2: [x_0, x_1, ..., x_{l-1}]
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))  # (N, k, H, W)


class DenseBlock(nn.Module):
    def __init__(self, n: int, in_ch: int, growth: int, bn_size: int):
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(in_ch + i * growth, growth, bn_size) for i in range(n))

    def forward(self, x):  # (N, C, H, W) -> (N, C + n*k, H, W)
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    """BN-ReLU-Conv(1x1) then 2x2/2 average pool (Table 1: "each 'conv' layer ... corresponds the sequence
    BN-ReLU-Conv")."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__(OrderedDict(norm=nn.BatchNorm2d(in_ch), relu=nn.ReLU(),
                                     conv=nn.Conv2d(in_ch, out_ch, 1, bias=False), pool=nn.AvgPool2d(2, 2)))


class DenseNet(nn.Module):
    def __init__(self, blocks, num_classes=1000, in_channels=3, *, growth_rate=32, bn_size=4, compression=0.5):
        super().__init__()
        if not 0 < compression <= 1:
            raise ArchscopeError(f"compression (theta) must be in (0, 1] (Sec. 3), got {compression!r}")
        c = 2 * growth_rate  # "2k convolutions of size 7x7 with stride 2"
        layers: list[tuple[str, nn.Module]] = [
            ("conv0", nn.Conv2d(in_channels, c, 7, 2, 3, bias=False)), ("norm0", nn.BatchNorm2d(c)),
            ("relu0", nn.ReLU()), ("pool0", nn.MaxPool2d(3, 2, 1)),  # (N, 2k, 56, 56)
        ]
        for i, n in enumerate(blocks):
            layers.append((f"denseblock{i + 1}", DenseBlock(n, c, growth_rate, bn_size)))
            c += n * growth_rate
            if i < len(blocks) - 1:
                out = int(compression * c)  # floor(theta m)
                layers.append((f"transition{i + 1}", Transition(c, out)))
                c = out
        # the last block's maps go through BN-ReLU before the pool, as each 'conv' input does (the authors'
        # Torch code and torchvision both have this final BN)
        layers.append(("norm5", nn.BatchNorm2d(c)))
        self.features = nn.Sequential(OrderedDict(layers))  # (N, 1024, 7, 7) for DenseNet-121
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)  # Sec. 4.2: "the weight initialization introduced by [10]"
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.relu(self.features(x)))))


def densenet(num_classes=1000, in_channels=3, *, depth=121, growth_rate=32, bn_size=4, compression=0.5):
    if depth not in BLOCKS:
        raise ArchscopeError(f"ImageNet DenseNet depth must be one of {', '.join(map(str, BLOCKS))} (Table 1)")
    return DenseNet(BLOCKS[depth], num_classes, in_channels, growth_rate=growth_rate, bn_size=bn_size,
                    compression=compression)


_TV_META = {  # torchvision DenseNetNNN_Weights.IMAGENET1K_V1 meta: num_params, _ops (GFLOPS)
    121: (7_978_856, 2.834),
    169: (14_149_480, 3.36),
    201: (20_013_928, 4.291),
}

for _d, _blocks in BLOCKS.items():
    _tv = _TV_META.get(_d)
    register(ModelInfo(
        name=f"densenet{_d}", family="DenseNet", year=2017, paper=PAPER, source="paper",
        input_shape=(3, 224, 224), num_classes=1000,
        aliases=(f"densenet{_d}.torchvision",) if _tv else (),
        notes=(f"Table 1, DenseNet-{_d} (DenseNet-BC, k = 32): dense blocks of {list(_blocks)} layers, 1 + "
               f"2 x {sum(_blocks)} + 3 + 1 = {_d} weight layers.",
               "Transitions are BN-ReLU-Conv(1x1)-AvgPool(2x2/2): Table 1's note makes every 'conv' BN-ReLU-Conv, "
               "though Sec. 3's prose lists only batch norm, 1x1 convolution and pooling for a transition.",
               "A final BN and ReLU precede the global pool (the authors' Torch code; Table 1 does not show it).")
              + ((f"torchvision's densenet{_d} is the same network (alias densenet{_d}.torchvision).",) if _tv
                 else ("Not in torchvision.",)),
        published=(Published("params", _tv[0], f"torchvision DenseNet{_d}_Weights.IMAGENET1K_V1 meta num_params"),
                   Published("gflops", _tv[1], f"torchvision DenseNet{_d}_Weights.IMAGENET1K_V1 meta _ops"))
        if _tv else (),
        builder=densenet, arch_kwargs={"depth": _d},
    ))
