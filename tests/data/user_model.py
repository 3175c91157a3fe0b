"""A user's own model file, for `archscope summary tests/data/user_model.py:TinyNet --input 3x32x32`."""

from torch import nn


class TinyNet(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, 10))


def not_a_model():
    return 42


def broken():
    raise RuntimeError("boom")
