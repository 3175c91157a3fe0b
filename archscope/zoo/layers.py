"""Small layers the classic papers and the Keras code need and torch lacks.

Each is a plain ``nn.Module`` built from torch ops, so it runs on the meta
device and is counted by any dispatch-level counter.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair  # torch's own int-or-pair rule

__all__ = [
    "ScaledTanh",
    "Subsampling",
    "PaperLRN",
    "CaffeLRN",
    "TFSamePad",
    "keras_conv",
    "keras_max_pool",
    "activation",
]


class ScaledTanh(nn.Module):
    """LeCun et al. 1998, Appendix A: f(a) = A tanh(S a), A = 1.7159, S = 2/3.

    The constants make f(1) = 1 and f(-1) = -1 and keep the gain near 1."""

    A = 1.7159
    S = 2.0 / 3.0
    archscope_category = "activation"  # how the analysis files its mul/tanh/mul

    def forward(self, x):
        return self.A * torch.tanh(self.S * x)


class Subsampling(nn.Module):
    """LeNet-5's S2/S4: per feature map, the sum of each non-overlapping 2x2
    block times one trainable coefficient plus one trainable bias (LeCun et al.
    1998, Sec. II-B: "multiplied by a trainable coefficient, added to a
    trainable bias"). Two parameters per map: S2 has 12, S4 has 32."""

    archscope_category = "pooling"

    def __init__(self, channels: int, size: int = 2):
        super().__init__()
        self.size = size
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):  # (N, C, H, W) -> (N, C, H/2, W/2)
        s = F.avg_pool2d(x, self.size) * (self.size * self.size)  # block sum
        return s * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.weight.numel()}, size={self.size}"


def PaperLRN(size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0) -> nn.LocalResponseNorm:
    """Local response normalisation as Krizhevsky et al. 2012 (Sec. 3.3) write it:
    b = a / (k + alpha * sum a^2)^beta with k=2, n=5, alpha=1e-4, beta=0.75.

    torch (like Caffe) divides alpha by n inside the sum, so the paper's alpha
    is passed as alpha * n to reproduce the paper's formula exactly."""
    return nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=k)


def CaffeLRN(size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> nn.LocalResponseNorm:
    """LRN with Caffe's convention (alpha divided by n), as the BVLC GoogLeNet
    reference model uses it; the GoogLeNet paper gives no constants."""
    return nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)


class TFSamePad(nn.Module):
    """TensorFlow/Keras ``padding='same'``: output = ceil(input / stride), the
    total padding split with the extra pixel on the bottom/right.

    The split depends on the input size, so it is computed in ``forward``.
    ``value`` is the pad value: 0 for convolutions, -inf for max pooling (Keras
    ignores padded cells in a max).
    """

    archscope_category = "pad"

    def __init__(self, kernel_size, stride, value: float = 0.0):
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.value = value

    def forward(self, x):
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True):
            out = math.ceil(size / s)
            total = max((out - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if not any(pads):
            return x
        return F.pad(x, pads, value=self.value)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"



def keras_conv(in_ch: int, out_ch: int, kernel_size, stride=1, *, padding: str = "same",
               bias: bool = True) -> nn.Module:
    """A Keras ``Conv2D`` (bias on by default) with Keras' padding semantics."""
    if padding == "valid":
        return nn.Conv2d(in_ch, out_ch, kernel_size, stride, 0, bias=bias)
    k = _pair(kernel_size)
    if _pair(stride) == (1, 1) and all(x % 2 == 1 for x in k):
        # odd kernel, stride 1: 'same' is the symmetric k//2 padding
        return nn.Conv2d(in_ch, out_ch, k, 1, (k[0] // 2, k[1] // 2), bias=bias)
    return nn.Sequential(TFSamePad(k, stride), nn.Conv2d(in_ch, out_ch, k, stride, 0, bias=bias))


def keras_max_pool(pool_size, stride=None, *, padding: str = "valid") -> nn.Module:
    """A Keras ``MaxPooling2D`` (stride defaults to the pool size, as in Keras)."""
    stride = pool_size if stride is None else stride
    if padding == "valid":
        return nn.MaxPool2d(pool_size, stride)
    return nn.Sequential(TFSamePad(pool_size, stride, value=float("-inf")), nn.MaxPool2d(pool_size, stride))


_ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "scaled_tanh": ScaledTanh,
}


def activation(name: str) -> nn.Module:
    """An activation by name; the knob the ablations of the articles vary."""
    from archscope.errors import ArchscopeError

    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ArchscopeError(f"unknown activation {name!r}; choose from {', '.join(_ACTIVATIONS)}") from None
