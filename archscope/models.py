"""What ``model`` means everywhere in archscope, resolved here and nowhere else.

A model is one of:

- a zoo name (``resnet18``, ``vgg16.tutorial``; ``archscope list``);
- a reference to a callable that returns an ``nn.Module``: ``package.module:build``
  or ``path/to/file.py:build`` (called with the builder arguments, if any);
- an ``nn.Module`` already built (from Python only).

The analysis (``summary``, ``compare``, ``diff``, ``diagram``) takes any of them
as it is. The probe, the sweep, CAM and the report look a model up by name in the
zoo's registry (they build it afresh, and a sweep's runs may start in other
processes); a user's model is known to that lookup as a *user entry*
(``UserModel``): a reference by itself (so a worker process resolves it again
from the text), a built module by the name ``ClassName()`` in this process only.
``archscope.zoo._registry`` asks ``user_info`` before its own table.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import weakref
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from archscope.errors import ArchscopeError

if TYPE_CHECKING:
    from torch import nn

    from archscope.user_models import UserModel

ModelLike = Union[str, "nn.Module"]
"""A zoo name, a ``module:callable`` / ``file.py:callable`` reference, or a built ``nn.Module``."""

USER_SOURCE = "user"  # the ``source`` of a user entry (never a zoo source: list --source does not offer it)


def is_reference(model: object) -> bool:
    """``module:callable`` or ``file.py:callable`` (a zoo name has no colon)."""
    return isinstance(model, str) and ":" in model


def is_module(model: object) -> bool:
    if "torch" not in sys.modules:  # no module can exist before torch is imported
        return False
    from torch import nn

    return isinstance(model, nn.Module)


def check_model(model: object, what: str = "model") -> ModelLike:
    """``model`` if it is one of the three kinds, else a one-line error naming the argument."""
    if isinstance(model, str):
        if not model.strip():
            raise ArchscopeError(f"`{what}` is empty: give a zoo name (see `archscope list`), a module:callable "
                                 "reference or an nn.Module")
        return model.strip()
    if is_module(model):
        return model  # type: ignore[return-value]
    raise ArchscopeError(f"`{what}` must be a zoo name, a 'module:callable' / 'file.py:callable' reference or a "
                         f"torch.nn.Module; got {type(model).__name__}")


def import_callable(spec: str) -> Any:
    """The callable ``package.module:attr`` or ``path/to/file.py:attr`` names (imported, not called)."""
    mod_name, _, attr = spec.partition(":")
    if not mod_name or not attr:
        raise ArchscopeError(f"expected module.path:callable, got {spec!r}")
    try:
        if mod_name.endswith(".py") or "/" in mod_name:
            path = Path(mod_name)
            if not path.is_file():
                raise ArchscopeError(f"no such file: {mod_name}")
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            if module_spec is None or module_spec.loader is None:
                raise ArchscopeError(f"cannot import {mod_name!r}: not a Python file")
            module: Any = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            if "" not in sys.path:
                sys.path.insert(0, "")
            module = importlib.import_module(mod_name)
    except ArchscopeError:
        raise
    except (Exception, SystemExit) as e:
        raise ArchscopeError(f"cannot import {mod_name!r}: {type(e).__name__}: {e}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ArchscopeError(f"{mod_name!r} has no attribute {part!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ArchscopeError(f"{spec!r} is not callable")
    return obj


_ZOO_NAMES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()  # module -> zoo name (get_model)


def remember_zoo_name(model: nn.Module, name: str) -> None:
    """``archscope.get_model`` built ``model`` as zoo entry ``name``: its results are titled so."""
    _ZOO_NAMES[model] = name


def zoo_name(model: object) -> str | None:
    """The zoo name of a module ``archscope.get_model`` built, else None."""
    try:
        return _ZOO_NAMES.get(model)
    except TypeError:  # not weakly referenceable: not a module
        return None


def user_info(name: str) -> UserModel | None:
    """The user entry called ``name`` (a reference is one by itself), or None for a zoo name. The zoo's
    registry asks this first."""
    if ":" not in name and "archscope.user_models" not in sys.modules:  # no module registered: a zoo name
        return None
    from archscope.user_models import user_info as lookup

    return lookup(name)


def register(model: ModelLike, input_size: tuple[int, ...] | None = None) -> str:
    """The name the probe, the sweep, CAM and the report know ``model`` by: a zoo name as the zoo spells
    it; a reference as written (its entry remembering ``input_size``); a module as ``ClassName()``
    (``ClassName()-2`` for a second one), in this process."""
    from archscope.user_models import _MODULES, _SPECS, entry

    if isinstance(model, str):
        if not is_reference(model):
            from archscope.zoo import resolve

            return resolve(model)
        spec = model.strip()
        info = user_info(spec)
        if input_size is not None and info is not None:
            shape: Any = tuple(input_size)
            _SPECS[spec] = replace(info, input_shape=shape)
        return spec
    base = f"{zoo_name(model) or type(model).__name__}()"
    for i in range(1, 10_000):
        name = base if i == 1 else f"{base}-{i}"
        held = _MODULES.get(name)
        obj = held.module() if held is not None and held.module is not None else None
        if obj is None or obj is model:
            shape = tuple(input_size) if input_size is not None else (held.input_shape if obj is model and held
                                                                     else None)
            _MODULES[name] = entry(name, shape, module=weakref.ref(model))
            return name
    raise ArchscopeError(f"too many modules of class {type(model).__name__} registered")


def display_name(model: ModelLike) -> str:
    """How results name ``model``: the zoo's name, the reference, or the module's class."""
    if isinstance(model, str):
        if is_reference(model):
            return model.strip()
        from archscope.zoo import resolve

        return resolve(model)
    return zoo_name(model) or type(model).__name__


__all__ = ["ModelLike", "USER_SOURCE", "check_model", "display_name", "import_callable", "is_module",
           "is_reference", "register", "remember_zoo_name", "user_info", "zoo_name"]
