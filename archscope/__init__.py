"""archscope: understand CNN architectures — what they are, what they cost,
whether what is written about them is true, and whether they train.

From Python, one call per job (``archscope.api``)::

    import archscope
    print(archscope.summary("resnet18"))             # the table `archscope summary resnet18` prints
    archscope.compare([my_net, other_net], (3, 32, 32))
    archscope.claims(source="article 000").to_dataframe()

The package root stays light (no torch import): the api, the zoo and the
options are imported on first use (PEP 562), so ``import archscope`` and
``archscope --version`` start fast.

``archscope.probe`` and ``archscope.claims`` are both the subpackages of those
names (``archscope.claims.CLAIMS``) and, called, the api's functions
(``archscope.probe("lenet5")`` is ``archscope.api.probe("lenet5")``); a type
checker sees the subpackages, so typed code calls ``archscope.api.probe``.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from archscope.errors import ArchscopeError

__version__ = "0.1.0"

_API = ("summary", "compare", "diff", "claims", "probe", "sweep", "cam", "report", "diagram", "catalog", "info",
        "data_list", "data_fetch", "training_plan", "get_model", "list_models", "Training")
_OPTIONS = ("DType", "Format", "OutputFormat", "Source", "Level", "Heat", "DiagramFormat", "CamMethod", "Upsample",
            "Dataset", "Device", "Optimizer", "Init", "Scaling", "Precision", "BackendKind")
# name -> the module that defines it; imported when first asked for
_LAZY = {**dict.fromkeys(_API, "archscope.api"), **dict.fromkeys(_OPTIONS, "archscope.options"),
         "model_info": "archscope.zoo"}
_CALLABLE_PACKAGES = ("claims", "probe")  # subpackages that are also the api's functions of their names

__all__ = [
    "__version__", "ArchscopeError",
    "summary", "compare", "diff", "claims", "probe", "sweep", "cam", "report", "diagram", "catalog", "info",
    "data_list", "data_fetch", "training_plan", "get_model", "list_models", "Training", "model_info",
    "DType", "Format", "OutputFormat", "Source", "Level", "Heat", "DiagramFormat", "CamMethod", "Upsample",
    "Dataset", "Device", "Optimizer", "Init", "Scaling", "Precision", "BackendKind",
]

if TYPE_CHECKING:
    from archscope.api import (
        Training,
        cam,
        catalog,
        compare,
        data_fetch,
        data_list,
        diagram,
        diff,
        get_model,
        info,
        list_models,
        report,
        summary,
        sweep,
        training_plan,
    )
    from archscope.options import (
        BackendKind,
        CamMethod,
        Dataset,
        Device,
        DiagramFormat,
        DType,
        Format,
        Heat,
        Init,
        Level,
        Optimizer,
        OutputFormat,
        Precision,
        Scaling,
        Source,
        Upsample,
    )
    from archscope.zoo import model_info


def __getattr__(name: str) -> Any:  # PEP 562: lazy access to the api, the zoo and the options
    import importlib

    if name in _CALLABLE_PACKAGES:  # the subpackage, made callable as it is attached (_Package below)
        return importlib.import_module(f"archscope.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # asked once
        return value
    raise AttributeError(f"module 'archscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


class _CallablePackage(types.ModuleType):
    """A subpackage that, called, runs the api function of its name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from archscope import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(types.ModuleType):
    """``archscope`` itself: as ``archscope.claims`` or ``archscope.probe`` is imported and attached to it,
    the subpackage becomes callable (``_CallablePackage``) instead of hiding the api's function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CALLABLE_PACKAGES and type(value) is types.ModuleType:
            value.__class__ = _CallablePackage
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
