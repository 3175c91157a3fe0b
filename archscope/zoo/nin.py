"""Network In Network (Lin, Chen, Yan 2013, ICLR 2014).

The paper's networks replace each convolution by an "mlpconv" layer (a
convolution followed by 1x1 convolutions, each with ReLU) and the fully
connected classifier by global average pooling over one map per class
(Sec. 3.2). Its CIFAR-10 network has three mlpconv layers; the widths and
pooling below are those of the authors' released CIFAR-10 definition
(Caffe model zoo, "NIN CIFAR10"), which the paper's text does not list.
"""

from __future__ import annotations

from torch import nn

from archscope.zoo._registry import ModelInfo, changed, input_differs, only_paper, only_variant, register, replaced

__all__ = ["mlpconv", "nin", "nin_d2l"]

PAPER = "Network In Network (Lin, Chen & Yan, 2013)"


def mlpconv(in_ch: int, widths: tuple[int, int, int], kernel_size: int, stride: int = 1,
            padding: int = 0) -> nn.Sequential:
    """One mlpconv / NiN block: k x k conv, then two 1x1 convs, ReLU after each."""
    a, b, c = widths
    return nn.Sequential(
        nn.Conv2d(in_ch, a, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(a, b, 1), nn.ReLU(),
        nn.Conv2d(b, c, 1), nn.ReLU(),
    )


def nin(num_classes=10, in_channels=3, *, dropout=0.5):
    return nn.Sequential(
        mlpconv(in_channels, (192, 160, 96), 5, padding=2),  # (N, 96, 32, 32)
        nn.MaxPool2d(3, 2, padding=1), nn.Dropout(dropout),  # (N, 96, 16, 16)
        mlpconv(96, (192, 192, 192), 5, padding=2),
        nn.AvgPool2d(3, 2, padding=1), nn.Dropout(dropout),  # (N, 192, 8, 8)
        mlpconv(192, (192, 192, num_classes), 3, padding=1),  # one map per class
        nn.AdaptiveAvgPool2d(1),  # global average pooling replaces the FC layers
        nn.Flatten(),
    )


def nin_d2l(num_classes=10, in_channels=1, *, dropout=0.5):
    """d2l 8.3 / article 002: an ImageNet-shaped NiN (AlexNet-like kernels
    11/5/3) on Fashion-MNIST resized to 224, four NiN blocks, the last with
    one channel per class."""
    return nn.Sequential(
        mlpconv(in_channels, (96, 96, 96), 11, stride=4), nn.MaxPool2d(3, 2),
        mlpconv(96, (256, 256, 256), 5, padding=2), nn.MaxPool2d(3, 2),
        mlpconv(256, (384, 384, 384), 3, padding=1), nn.MaxPool2d(3, 2),
        nn.Dropout(dropout),
        mlpconv(384, (num_classes,) * 3, 3, padding=1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


register(ModelInfo(
    name="nin", family="NiN", year=2013, paper=PAPER, source="paper",
    input_shape=(3, 32, 32), num_classes=10,
    notes=(
        "The CIFAR-10 network: three mlpconv layers (192-160-96, 192-192-192, 192-192-10), 3x3/2 max then "
        "average pooling with dropout 0.5 between them, global average pooling; widths from the authors' "
        "released CIFAR-10 definition.",
        "Global average pooling over class maps starts slowly: the probe runs 500 steps by default.",
    ),
    probe={"steps": 500},
    builder=nin,
))
register(ModelInfo(
    name="nin.d2l", family="NiN", year=2013, paper=PAPER, source="d2l",
    input_shape=(1, 224, 224), num_classes=10,
    notes=("d2l 8.3: NiN blocks 96/256/384/10 with 11/5/3/3 kernels, 3x3/2 max pooling, dropout, global "
           "average pooling; one input channel (Fashion-MNIST resized to 224).",
           "Not the CIFAR-10 network at another size but the ImageNet layout: three NiN blocks of three "
           "convolutions and a fourth of class maps where the CIFAR-10 network has three mlpconv layers, max "
           "pooling throughout, one dropout where the CIFAR-10 network has two.",),
    deviations=(
        input_differs((3, 32, 32), (1, 224, 224), why="d2l 8.3 trains on Fashion-MNIST (one channel) resized to "
                      "224x224; the paper's network is the CIFAR-10 one"),
        changed("0.0", layer="Conv2d", kernel_size=((5, 5), (11, 11)), stride=((1, 1), (4, 4)),
                padding=((2, 2), (0, 0)), out_channels=(192, 96),
                why="block 1: nin_block(96, kernel_size=11, strides=4, padding=0) (d2l 8.3)"),
        changed("0.2", layer="Conv2d", out_channels=(160, 96), why="block 1's 1x1 convolutions are 96 wide"),
        changed("1", layer="MaxPool2d", padding=(1, 0), why="d2l's nn.MaxPool2d(3, stride=2), unpadded"),
        changed(("3.0", "3.2", "3.4"), ("2.0", "2.2", "2.4"), layer="Conv2d", out_channels=(192, 256),
                why="block 2: nin_block(256, kernel_size=5, strides=1, padding=2)"),
        replaced("4", "3", layer=("AvgPool2d", "MaxPool2d"), padding=(1, None),
                 why="d2l pools with nn.MaxPool2d(3, stride=2) after every block; the CIFAR-10 network's "
                     "second pool is a padded average pool"),
        changed(("6.0", "6.2"), ("4.0", "4.2"), layer="Conv2d", out_channels=(192, 384),
                why="block 3: nin_block(384, kernel_size=3, strides=1, padding=1)"),
        only_variant("4.4", layer="Conv2d", kernel_size=(1, 1), out_channels=384,
                     why="block 3's second 1x1 convolution, 384 wide (the CIFAR-10 network's third mlpconv makes "
                         "the class maps)"),
        only_variant(("4.5", "7.1", "7.5"), layer="ReLU",
                     why="the ReLUs of the layers d2l has and the CIFAR-10 network has not"),
        only_variant("5", layer="MaxPool2d", kernel_size=3, stride=2, why="the max pool after block 3"),
        only_variant("7.0", layer="Conv2d", kernel_size=(3, 3), padding=(1, 1), out_channels=10,
                     why="block 4: nin_block(num_classes, kernel_size=3, strides=1, padding=1)"),
        only_variant("7.4", layer="Conv2d", kernel_size=(1, 1), out_channels=10, why="block 4's last 1x1 "
                     "convolution (the CIFAR-10 network's class maps pair with block 4's first 1x1)"),
        only_paper("5", layer="Dropout", runs="never in the traced forward",
                   why="d2l has one nn.Dropout(0.5), before block 4; the CIFAR-10 network one after each pool"),
    ),
    builder=nin_d2l,
))
