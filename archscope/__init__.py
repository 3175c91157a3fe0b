"""archscope: understand CNN architectures — what they are, what they cost,
whether what is written about them is true, and whether they train.

From Python, one call per job (``archscope.api``)::

    import archscope
    print(archscope.summary("resnet18"))             # the table `archscope summary resnet18` prints
    archscope.compare([my_net, other_net], (3, 32, 32))

The package root stays light (no torch import): the api, the zoo and the
results are imported on first use (PEP 562), so ``import archscope`` and
``archscope --version`` start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archscope.errors import ArchscopeError

__version__ = "0.1.0"

# name -> the module that defines it; imported when first asked for
_LAZY = {
    **{name: "archscope.api" for name in (
        "summary", "compare", "diff", "claims", "probe", "sweep", "cam", "report", "diagram", "catalog", "info",
        "datasets", "fetch_data", "training_plan", "get_model", "list_models", "Training")},
    "model_info": "archscope.zoo",
    **{name: "archscope.options" for name in (
        "DType", "Format", "OutputFormat", "Source", "Level", "Heat", "DiagramFormat", "CamMethod", "Upsample",
        "Dataset", "Device", "Optimizer", "Init", "Scaling", "Precision", "BackendKind")},
}

__all__ = [
    "__version__", "ArchscopeError",
    "summary", "compare", "diff", "claims", "probe", "sweep", "cam", "report", "diagram", "catalog", "info",
    "datasets", "fetch_data", "training_plan", "get_model", "list_models", "Training", "model_info",
    "DType", "Format", "OutputFormat", "Source", "Level", "Heat", "DiagramFormat", "CamMethod", "Upsample",
    "Dataset", "Device", "Optimizer", "Init", "Scaling", "Precision", "BackendKind",
]
assert set(__all__) == {"__version__", "ArchscopeError", *_LAZY}  # one list, checked against the table above

if TYPE_CHECKING:
    from archscope.api import (
        Training,
        cam,
        catalog,
        claims,
        compare,
        datasets,
        diagram,
        diff,
        fetch_data,
        get_model,
        info,
        list_models,
        probe,
        report,
        summary,
        sweep,
        training_plan,
    )
    from archscope.zoo import model_info


def __getattr__(name: str) -> Any:  # PEP 562: lazy access to the api, the zoo and the options
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # asked once
        return value
    raise AttributeError(f"module 'archscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
