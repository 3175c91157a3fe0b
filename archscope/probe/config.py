"""One training run's settings, as one dataclass (nanoGPT's ``GPTConfig``
idea): the probe, the sweep, the article experiments and the CLI all build a
``TrainConfig``; the probe reads nothing else. A sweep varies its fields
with ``dataclasses.replace``; the OOM retry is ``replace(cfg, batch_size=...)``.

``None`` means "the probe's default for this model and device", filled in by
``resolve``: the defaults depend on the device (bigger batches on CUDA) and on
the model's probe hints (sigmoid LeNets need more steps), so they cannot be
plain dataclass defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from enum import Enum

from archscope.errors import ArchscopeError


class Device(str, Enum):
    AUTO = "auto"  # CUDA when present
    CPU = "cpu"
    CUDA = "cuda"


class Optimizer(str, Enum):
    SGD = "sgd"
    ADAM = "adam"


class Precision(str, Enum):
    FP32 = "fp32"
    BF16 = "bf16"
    FP16 = "fp16"


class Init(str, Enum):
    """How the weights start. ``default``: the builder's own initialisation
    (PyTorch's layer defaults, or the paper's where the zoo model has one).
    ``xavier_uniform``: d2l's ``train_ch6`` (printed in article 002, line
    374): ``nn.init.xavier_uniform_`` on the weight of every ``Linear`` and
    ``Conv2d``, biases left at PyTorch's default. ``xavier_uniform_zero_bias``:
    the same weights with zero biases, what Keras' defaults
    (``glorot_uniform``, ``zeros``) and d2l's MXNet ``init.Xavier()`` give."""

    DEFAULT = "default"
    XAVIER_UNIFORM = "xavier_uniform"
    XAVIER_UNIFORM_ZERO_BIAS = "xavier_uniform_zero_bias"  # Keras' glorot_uniform/zeros, MXNet's init.Xavier()


class Scaling(str, Enum):
    """How real images become tensors. ``unit``: pixels / 255 in [0, 1], what
    torchvision's ``ToTensor`` gives and so what d2l's
    ``load_data_fashion_mnist`` feeds the network. ``standardize``: also
    minus the training split's mean, over its std (the probe's default: it
    makes any model's default learning rate a fair first try)."""

    STANDARDIZE = "standardize"
    UNIT = "unit"


class Dataset(str, Enum):
    SYNTHETIC = "synthetic"
    MNIST = "mnist"
    FASHION_MNIST = "fashion-mnist"
    CIFAR10 = "cifar10"


def _choice(enum, value, label):
    try:
        return enum(value.value if isinstance(value, Enum) else value)
    except ValueError:
        raise ArchscopeError(f"`{label}` must be one of {', '.join(e.value for e in enum)}, got {value!r}") from None


@dataclass(frozen=True)
class TrainConfig:
    """A probe run. Fields a sweep may vary are listed in ``SWEEPABLE``."""

    model: str
    overrides: dict = field(default_factory=dict)  # the builder's knobs (e.g. activation="relu")
    input_shape: tuple | None = None  # C, H, W; None: the model's default input
    dataset: str = Dataset.SYNTHETIC.value
    data_dir: str | None = None
    download: bool = True  # fetch a missing real data set (with its checksums) unless told not to
    batch_size: int | None = None  # None: 32 on CPU, 128 on CUDA
    steps: int | None = None  # None: the model's probe hint, else 200 on CPU, 300 on CUDA
    epochs: int | None = None  # whole passes over the training split instead of steps
    optimizer: str = Optimizer.ADAM.value
    lr: float | None = None  # None: the model's hint, else 1e-3 for Adam, 0.01 for SGD
    momentum: float | None = None  # SGD only; None: 0.9 (the probe's SGD); the articles' d2l SGD has 0
    weight_decay: float = 0.0
    init: str = Init.DEFAULT.value
    scaling: str = Scaling.STANDARDIZE.value
    precision: str | None = None  # None: bf16 on CUDA, fp32 on CPU
    channels_last: bool | None = None  # None: on for CUDA
    compile: bool = False
    seed: int = 0
    device: str = "auto"
    # CPU threads, taken as cores (archscope.probe.cpus); None: every core no other archscope run holds.
    # A run's figures depend on it (float sums are split across threads: lenet.d2l, Adam at lr 0.9, 300 steps
    # ends at loss 15.54 on one thread and 14.26 on two), so a sweep fixes it for every run, whatever the backend.
    threads: int | None = None
    overfit_check: bool = True  # the one-fixed-batch sanity check (a second short training run)
    eval_train: bool = True  # eval-mode accuracy on the whole training split after training
    detail: bool = False  # also time data / forward+backward / optimizer (ten extra steps)

    def validate(self) -> TrainConfig:
        """Refuse what cannot be a run, in one line each (before any work)."""
        _choice(Dataset, self.dataset, "dataset")
        _choice(Optimizer, self.optimizer, "optimizer")
        _choice(Init, self.init, "init")
        _choice(Scaling, self.scaling, "scaling")
        if self.precision is not None:
            _choice(Precision, self.precision, "precision")
        if self.steps is not None and self.epochs is not None:
            raise ArchscopeError("give `steps` or `epochs`, not both")
        for label, v in (("steps", self.steps), ("epochs", self.epochs), ("batch_size", self.batch_size),
                         ("threads", self.threads)):
            # 0 is not "the default": a run of zero steps or zero images is refused (None is the default)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 2 ** 31):
                raise ArchscopeError(f"`{label}` must be a positive integer (at most 2^31), got {v!r}")
        for label, r in (("lr", self.lr), ("weight_decay", self.weight_decay), ("momentum", self.momentum)):
            if r is not None and (not isinstance(r, (int, float)) or isinstance(r, bool) or not math.isfinite(r)
                                  or r < 0 or r > 3.4e38):
                raise ArchscopeError(f"`{label}` must be a finite number from 0 to 3.4e38 (float32), got {r!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2 ** 63:
            raise ArchscopeError(f"`seed` must be a non-negative integer, got {self.seed!r}")
        return self

    def resolve(self, info, dev) -> TrainConfig:
        """Every ``None`` default filled in for ``info``'s model on ``dev``."""
        hints = dict(info.probe)
        sgd = self.optimizer == Optimizer.SGD.value
        return replace(
            self,
            input_shape=tuple(self.input_shape) if self.input_shape else tuple(info.input_shape),
            batch_size=self.batch_size or (128 if dev.type == "cuda" else 32),
            steps=None if self.epochs is not None else (self.steps or hints.get("steps",
                                                                               200 if dev.type == "cpu" else 300)),
            lr=self.lr if self.lr is not None else hints.get("lr", 0.01 if sgd else 1e-3),
            momentum=(0.9 if self.momentum is None else self.momentum) if sgd else None,
            precision=self.precision or ("bf16" if dev.type == "cuda" else "fp32"),
            channels_last=(dev.type == "cuda") if self.channels_last is None else self.channels_last,
        )

    def settings(self) -> dict:
        """The run's settings as recorded in a result (plain JSON values)."""
        skip = {"model", "data_dir", "download", "device", "overfit_check", "eval_train", "detail"}
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out["input"] = list(out.pop("input_shape") or [])
        return out


# Fields a sweep may vary (``--vary KEY=...``), with the type of their values.
SWEEPABLE = {"lr": float, "batch_size": int, "epochs": int, "steps": int, "optimizer": str,
             "weight_decay": float, "momentum": float, "init": str, "scaling": str}


def with_setting(cfg: TrainConfig, setting: dict) -> TrainConfig:
    """``cfg`` with a sweep's setting applied: training fields replace the
    config's, anything else is a model knob (an override)."""
    train = {k: v for k, v in setting.items() if k in SWEEPABLE}
    knobs = {k: v for k, v in setting.items() if k not in SWEEPABLE}
    if "steps" in setting:
        train["epochs"] = None
    elif "epochs" in setting:
        train["steps"] = None
    return replace(cfg, **train, overrides={**cfg.overrides, **knobs})


__all__ = ["TrainConfig", "SWEEPABLE", "with_setting", "Device", "Optimizer", "Precision", "Init", "Scaling",
           "Dataset"]
