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

from archscope.zoo._registry import ModelInfo, register

__all__ = ["mlpconv", "nin", "nin_d2l"]

PAPER = "Network In Network (Lin, Chen & Yan, 2013)"


def mlpconv(in_ch: int, widths: tuple[int, int, int], kernel_size: int, stride: int = 1, padding: int = 0) -> nn.Sequential:
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
           "average pooling; one input channel (Fashion-MNIST resized to 224).",),
    builder=nin_d2l,
))
