"""A user's model as the zoo's registry sees it (``archscope.models`` says what a model is; this module
holds the entries it registers). Imported only when a user's model is used: it needs the registry's
``ModelInfo``, and importing the zoo is work a plain CLI start does not need."""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archscope.errors import ArchscopeError
from archscope.models import USER_SOURCE, import_callable
from archscope.zoo._registry import ModelInfo

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class UserModel(ModelInfo):
    """A user's model as the registry sees it. ``spec``: the reference it is built from (each
    build calls the callable again); ``module``: a built module (each build is a copy of it,
    the module itself never changed). No paper, year or published figures: the pages and
    tables that show them say "user model"."""

    spec: str | None = None
    module: Any = field(default=None, repr=False, compare=False)  # weakref.ref to the nn.Module

    def _module(self) -> nn.Module:
        m = self.module() if self.module is not None else None
        if m is None:
            raise ArchscopeError(f"{self.name}: the module is gone (it was deleted): pass it again")
        return m  # type: ignore[no-any-return]

    def knobs(self) -> dict[str, Any]:
        """A reference's keyword parameters with their defaults (what ``args`` and a sweep may set)."""
        if self.spec is None:
            return {}
        try:
            sig = inspect.signature(import_callable(self.spec))
        except (TypeError, ValueError):  # a builtin or C callable: no signature to read
            return {}
        return {p.name: (None if p.default is p.empty else p.default) for p in sig.parameters.values()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}

    def build(self, *, device: Any = None, **overrides: Any) -> nn.Module:
        """Build it (``device="meta"``: no weight allocated) with ``overrides`` as the callable's arguments."""
        import torch

        meta = device is not None and torch.device(device).type == "meta"
        if self.spec is not None:
            from archscope.analysis.engine import load_model

            model = load_model(self.spec, meta=meta, kwargs=overrides)
        else:
            if overrides:
                raise ArchscopeError(f"{self.name} is a built module: it takes no builder arguments "
                                     f"({', '.join(overrides)}); pass a module:callable reference to change them")
            from archscope.analysis.engine import to_meta_copy

            model = to_meta_copy(self._module(), None) if meta else copy.deepcopy(self._module())
        return model if device is None or meta else model.to(device)


_SPECS: dict[str, UserModel] = {}  # reference -> its entry (the last input size given for it)
_MODULES: dict[str, UserModel] = {}  # "ClassName()" -> a module registered in this process


def _built_by_the_entry(**kwargs: Any) -> nn.Module:
    """A user entry's ``builder``: never called, as ``UserModel.build`` builds it (from its reference
    or its module); the registry's entries all carry a builder."""
    raise ArchscopeError("a user model is built by its entry (UserModel.build), not through the zoo's builder")


def entry(name: str, input_size: tuple[int, ...] | None, **kw: Any) -> UserModel:
    return UserModel(name=name, family="user model", year=0, paper="", source=USER_SOURCE,
                     input_shape=input_size,  # type: ignore[arg-type]  # None: a user model has no default input
                     num_classes=0, builder=_built_by_the_entry, **kw)


def user_info(name: str) -> UserModel | None:
    """The user entry called ``name`` (a reference is one by itself), or None for a zoo name."""
    if name in _MODULES:
        return _MODULES[name]
    if ":" not in name:
        return None
    spec = name.strip()
    if spec not in _SPECS:
        _SPECS[spec] = entry(spec, None, spec=spec)
    return _SPECS[spec]



__all__ = ["UserModel", "entry", "user_info"]
