"""The model registry: every entry is data (a builder plus the arguments that
define the variant) and metadata (paper, year, source, default input, notes).

Naming follows timm's ``name.tag``: ``ARCH`` is the network as its paper
published it; ``ARCH.SOURCE`` is the same network as a popular implementation
writes it, SOURCE one of ``torchvision``, ``keras`` (Keras Applications or the
Keras examples), ``timm`` (PyTorch Image Models), ``d2l`` (Dive into Deep
Learning) or ``tutorial`` (the code of the source articles in ``shared/sources``).
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from archscope.errors import ArchscopeError, UnknownModelError

SOURCES = ("paper", "torchvision", "keras", "timm", "d2l", "tutorial")


@dataclass(frozen=True)
class Published:
    """A figure published for a variant, with where it was published."""

    quantity: str  # "params", "gflops", ...
    value: float
    source: str  # citation, e.g. "torchvision ResNet50_Weights.IMAGENET1K_V1 meta"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str
    year: int
    paper: str
    source: str
    input_shape: tuple[int, int, int]  # (C, H, W) the variant is defined for
    num_classes: int
    notes: tuple[str, ...] = ()
    published: tuple[Published, ...] = ()
    aliases: tuple[str, ...] = ()
    # defaults for `archscope probe` where the general ones (200 CPU steps, Adam 1e-3) are too short for the
    # model to show it learns; each entry says why in a note
    probe: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    builder: Callable[..., Any] = field(default=None, repr=False, compare=False)
    arch_kwargs: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def arch(self) -> str:
        """The architecture name without the source tag."""
        return self.name.split(".", 1)[0]

    def knobs(self) -> dict[str, Any]:
        """Keyword arguments a caller may override, with their defaults."""
        sig = inspect.signature(self.builder)
        out = {}
        for p in sig.parameters.values():
            if p.kind is not p.KEYWORD_ONLY and p.kind is not p.POSITIONAL_OR_KEYWORD:
                continue
            if p.name in self.arch_kwargs:
                continue
            out[p.name] = p.default
        out["num_classes"] = self.num_classes
        out["in_channels"] = self.input_shape[0]
        return out


_REGISTRY: dict[str, ModelInfo] = {}
_ALIASES: dict[str, str] = {}


def register(info: ModelInfo) -> ModelInfo:
    if info.source not in SOURCES:
        raise ValueError(f"{info.name}: source {info.source!r} not in {SOURCES}")
    expected_tag = None if info.source == "paper" else info.source
    tag = info.name.split(".", 1)[1] if "." in info.name else None
    if tag is not None and tag != expected_tag:
        raise ValueError(f"{info.name}: tag {tag!r} disagrees with source {info.source!r}")
    for key in (info.name, *info.aliases):
        if key in _REGISTRY or key in _ALIASES:
            raise ValueError(f"duplicate registration of {key!r}")
    _REGISTRY[info.name] = info
    for alias in info.aliases:
        _ALIASES[alias] = info.name
    return info


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def list_models(pattern: str | None = None, *, source: str | None = None) -> list[str]:
    """Registered names matching a glob ``pattern`` (case-insensitive), in natural order.

    A pattern without glob characters matches as a substring, like ``pip list | grep``.
    """
    names = list(_REGISTRY)
    if source is not None:
        names = [n for n in names if _REGISTRY[n].source == source]
    if pattern:
        pat = pattern.lower()
        if not any(c in pat for c in "*?["):
            pat = f"*{pat}*"
        names = [n for n in names if fnmatch.fnmatchcase(n.lower(), pat)]
    return sorted(names, key=_natural_key)


def resolve(name: str) -> str:
    key = name.strip().lower()
    if key in _REGISTRY:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    # "vgg16.paper" is the same as "vgg16"
    if key.endswith(".paper") and key[: -len(".paper")] in _REGISTRY:
        return key[: -len(".paper")]
    candidates = list(_REGISTRY) + list(_ALIASES)
    close = difflib.get_close_matches(key, candidates, n=4, cutoff=0.6)
    raise UnknownModelError(name, close)


def model_info(name: str) -> ModelInfo:
    return _REGISTRY[resolve(name)]


def get_model(name: str, *, device=None, **overrides):
    """Build a registered model.

    ``overrides`` may change the free knobs of the builder (``num_classes``,
    ``in_channels``, ``aux_logits``, ``activation``, ...). An argument that the
    variant pins (what makes it that variant) may not be changed: that raises
    instead of silently building a different network (torchvision's rule).
    ``device="meta"`` builds without allocating a single weight.
    """
    info = model_info(name)
    knobs = info.knobs()
    kwargs = dict(info.arch_kwargs)
    for key, value in overrides.items():
        if key in info.arch_kwargs:
            if info.arch_kwargs[key] != value:
                raise ArchscopeError(
                    f"{info.name} pins {key}={info.arch_kwargs[key]!r} (that is what makes this "
                    f"variant); cannot set {key}={value!r}"
                )
            continue
        if key not in knobs:
            free = ", ".join(sorted(knobs)) or "none"
            raise ArchscopeError(f"{info.name} has no knob {key!r}; its knobs: {free}")
    kwargs["num_classes"] = overrides.pop("num_classes", info.num_classes)
    kwargs["in_channels"] = overrides.pop("in_channels", info.input_shape[0])
    kwargs.update({k: v for k, v in overrides.items() if k not in info.arch_kwargs})
    for key in ("num_classes", "in_channels"):
        value = kwargs[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ArchscopeError(f"{key} must be a positive integer, got {value!r}")
    import torch

    if device is None:
        return info.builder(**kwargs)
    device = torch.device(device)
    with torch.device(device), (skip_init() if device.type == "meta" else contextlib.nullcontext()):
        return info.builder(**kwargs)


_INIT_FUNCTIONS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
)


@contextlib.contextmanager
def skip_init():
    """Weight initialisation is meaningless on the meta device (there are no
    values), yet each call goes through torch's Python decompositions: about
    1 ms per tensor, 2 s for preresnet1001. While building on meta, the
    ``torch.nn.init`` functions return their tensor untouched."""
    from torch.nn import init

    saved = {name: getattr(init, name) for name in _INIT_FUNCTIONS if hasattr(init, name)}
    try:
        for name in saved:
            setattr(init, name, _identity)
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)


def _identity(tensor, *args, **kwargs):
    return tensor
