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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archscope.errors import ArchscopeError, UnknownModelError
from archscope.sources import SOURCES  # one definition, light: the CLI offers exactly these


@dataclass(frozen=True)
class Published:
    """A figure published for a variant, with where it was published."""

    quantity: str  # "params", "gflops", ...
    value: float
    source: str  # citation, e.g. "torchvision ResNet50_Weights.IMAGENET1K_V1 meta"


# What a deviation is, in the terms `archscope diff ARCH VARIANT` reports it (archscope/analysis/deviations.py
# compares the two exactly, and tests/test_zoo_deviations.py runs it over every variant):
#   setting       a layer of both networks whose settings differ (a stride, a kernel, a width, a bias, the
#                 layer it reads from, the order a concatenation takes its branches in)
#   replaced      a layer of both networks whose type differs (an average pool for a fixed one)
#   only_paper    a layer only in the paper's network, with its settings other than torch's defaults
#   only_variant  a layer only in the variant
#   input         the default input differs
DEVIATION_KINDS = ("setting", "replaced", "only_paper", "only_variant", "input")
_GLOB = set("*?[")


@dataclass(frozen=True)
class Deviation:
    """One way a variant departs from its paper's network, as data: where (the layers in each network, by name
    or fnmatch pattern, so that a deviation repeated in every block is one entry), what (the setting with its
    value in the paper's network and in the variant, or the layer one side lacks) and why (the source)."""

    what: str  # one of DEVIATION_KINDS
    paper: tuple[str, ...]  # the layers in the paper's network (empty: only in the variant, or the input)
    variant: tuple[str, ...]  # the layers in the variant
    layer: str | None  # the layer's type (the paper's side's for setting and replaced; None for the input)
    values: tuple[tuple[str, Any, Any], ...]  # (setting, paper value, variant value); None on the side without
    count: int  # how many layers it covers, exactly
    why: str

    def __post_init__(self):
        if self.what not in DEVIATION_KINDS:
            raise ValueError(f"deviation kind {self.what!r} not in {DEVIATION_KINDS}")
        if not self.why:
            raise ValueError("a deviation says why (its source)")


def _names(where) -> tuple[str, ...]:
    return (where,) if isinstance(where, str) else tuple(where)


def _count(names: tuple[str, ...], count: int | None) -> int:
    if count is not None:
        return count
    if any(_GLOB & set(n) for n in names):
        raise ValueError(f"a deviation over a pattern ({', '.join(names)}) states how many layers it covers")
    return len(names)


def _tupled(v):
    return tuple(_tupled(x) for x in v) if isinstance(v, (list, tuple)) else v


# settings whose names are not identifiers
_SPELLED = {"input_from": "input from", "branch_order": "branch order"}


def _values(values: dict, side: int | None = None) -> tuple:
    out = []
    for k, v in sorted(values.items()):
        k = _SPELLED.get(k, k)
        if side is None:
            pa, va = v
            out.append((k, _tupled(pa), _tupled(va)))
        else:
            out.append((k, _tupled(v), None) if side == 0 else (k, None, _tupled(v)))
    return tuple(sorted(out))


def changed(paper, variant=None, *, layer: str, why: str, count: int | None = None, **values) -> Deviation:
    """Layers of both networks whose settings differ: ``setting=(paper value, variant value)``; ``variant``
    defaults to the same names. ``input_from`` and ``branch_order`` name a changed connection and a
    concatenation's order."""
    p = _names(paper)
    return Deviation("setting", p, p if variant is None else _names(variant), layer, _values(values),
                     _count(p, count), why)


def replaced(paper, variant=None, *, layer: tuple[str, str], why: str, count: int | None = None,
             **values) -> Deviation:
    """Layers of both networks whose type differs: ``layer=(paper type, variant type)``, and the settings that
    differ and are not torch's defaults, ``setting=(paper value or None, variant value or None)``."""
    p = _names(paper)
    vals = tuple(sorted(_values(values) + (("type", layer[0], layer[1]),)))
    return Deviation("replaced", p, p if variant is None else _names(variant), layer[0], vals, _count(p, count), why)


def only_paper(paper, *, layer: str, why: str, count: int | None = None, **settings) -> Deviation:
    """Layers only in the paper's network, with their settings other than torch's defaults."""
    p = _names(paper)
    return Deviation("only_paper", p, (), layer, _values(settings, 0), _count(p, count), why)


def only_variant(variant, *, layer: str, why: str, count: int | None = None, **settings) -> Deviation:
    """Layers only in the variant, with their settings other than torch's defaults."""
    v = _names(variant)
    return Deviation("only_variant", (), v, layer, _values(settings, 1), _count(v, count), why)


def input_differs(paper: tuple[int, int, int], variant: tuple[int, int, int], *, why: str) -> Deviation:
    """The default input (C, H, W) differs."""
    return Deviation("input", (), (), None, (("shape", tuple(paper), tuple(variant)),), 1, why)


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
    # every way this variant departs from its paper's network (ARCH), as `archscope diff ARCH VARIANT` finds
    # it; empty for a paper's network and for a variant that is the same network
    deviations: tuple[Deviation, ...] = ()
    # defaults for `archscope probe` where the general ones (200 CPU steps, Adam 1e-3) are too short for the
    # model to show it learns; each entry says why in a note
    probe: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    builder: Callable[..., Any] = field(kw_only=True, repr=False, compare=False)  # every entry has one
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

    A pattern without glob characters matches as a substring, like ``pip list | grep``. A pattern
    matching an alias lists the canonical name (``googlenet`` lists ``inception_v1``, ``inception_v1.
    torchvision`` and ``inception_v1.tutorial``, whose aliases are ``googlenet``, ``googlenet.torchvision``
    and ``googlenet.tutorial``).
    """
    names = list(_REGISTRY)
    if source is not None:
        names = [n for n in names if _REGISTRY[n].source == source]
    if pattern:
        pat = pattern.lower()
        if not any(c in pat for c in "*?["):
            pat = f"*{pat}*"
        names = [n for n in names
                 if any(fnmatch.fnmatchcase(k.lower(), pat) for k in (n, *_REGISTRY[n].aliases))]
    return sorted(names, key=_natural_key)


def _user(name: str):
    """A user's model (``archscope.models``): a module:callable reference, or a module the api registered."""
    from archscope.models import user_info

    return user_info(name)


def resolve(name: str) -> str:
    if (user := _user(name)) is not None:
        return user.name
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
    user = _user(name)
    return user if user is not None else _REGISTRY[resolve(name)]


def get_model(name: str, *, device=None, **overrides):
    """Build a registered model.

    ``overrides`` may change the free knobs of the builder (``num_classes``,
    ``in_channels``, ``aux_logits``, ``activation``, ...). An argument that the
    variant pins (what makes it that variant) may not be changed: that raises
    instead of silently building a different network (torchvision's rule).
    ``device="meta"`` builds without allocating a single weight.
    """
    info = model_info(name)
    if hasattr(info, "build"):  # a user's model builds itself (archscope.models.UserModel)
        return info.build(device=device, **overrides)
    requested = dict(overrides)  # as the caller gave them, for an error message
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

    device = None if device is None else torch.device(device)
    place = contextlib.nullcontext() if device is None else torch.device(device)
    try:
        with place, (skip_init() if device is not None and device.type == "meta" else contextlib.nullcontext()):
            return info.builder(**kwargs)
    except ArchscopeError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AssertionError, RuntimeError, ZeroDivisionError) as e:
        if not requested:
            raise  # the variant as registered must build: anything else is archscope's bug
        given = ", ".join(f"{k}={v!r}" for k, v in requested.items())
        first = (str(e).strip().splitlines() or [""])[0]
        raise ArchscopeError(f"{info.name} cannot be built with {given}: {type(e).__name__}: {first}") from None


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
