"""A user's own model file with a builder that takes arguments, for the api's and the CLI's user-model tests
(`archscope probe tests/data/user_builder.py:build --input 3x32x32`)."""

from torch import nn


def build(width: int = 8, num_classes: int = 10) -> nn.Module:
    """conv3x3(3->w) + BN + ReLU, conv3x3(w->w) + ReLU, global average pooling, linear(w->classes).

    Parameters, by hand: 3*w*9 + w (conv1) + 2*w (BN) + w*w*9 + w (conv2) + w*classes + classes; with w = 8 and
    10 classes, 224 + 16 + 584 + 90 = 914. MACs at 3x32x32 (padding 1 keeps 32x32): 32*32*8*27 (conv1) +
    32*32*8*72 (conv2) + 8*10 (linear) = 221,184 + 589,824 + 80 = 811,088."""
    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                         nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(width, num_classes))
