"""Saving and loading trained weights without ever unpickling arbitrary objects.

``.safetensors`` files (the format cannot hold code) carry archscope's
metadata (model name, knob overrides, input shape) in their header; any other
suffix is a ``torch.save`` of ``{"state_dict": ..., "archscope": {...}}`` read
back with ``torch.load(weights_only=True)``, which also accepts a plain state
dict saved by someone else.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch
from torch import nn

from archscope.errors import ArchscopeError


def _state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    # channels-last parameters are not contiguous; safetensors needs them to be
    return {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}


def save_weights(model: nn.Module, path, meta: dict | None = None) -> Path:
    """Write the model's state dict atomically (a temporary file renamed into place)."""
    from archscope.outputs import atomic_target

    path = Path(path)
    sd = _state_dict(model)
    meta = meta or {}
    with atomic_target(path) as tmp:
        if path.suffix == ".safetensors":
            from safetensors.torch import save_file

            save_file(sd, tmp, metadata={"archscope": json.dumps(meta, sort_keys=True)})
        else:
            torch.save({"state_dict": sd, "archscope": meta}, tmp)
    return path


def read_weights(path) -> tuple[dict[str, torch.Tensor], dict]:
    """(state dict, archscope metadata or {}) from a file, safely."""
    path = Path(path)
    if not path.is_file():
        raise ArchscopeError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                raw = (f.metadata() or {}).get("archscope", "{}")
                sd = {k: f.get_tensor(k) for k in f.keys()}
        except Exception as e:  # safetensors raises its own error types for bad headers
            raise ArchscopeError(f"{path} is not a readable safetensors file: {e}") from None
        try:
            meta = json.loads(raw)
        except ValueError as e:
            raise ArchscopeError(f"{path}: its archscope metadata is not JSON ({e})") from None
        return sd, _checked_meta(meta, path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ArchscopeError(f"refusing to load {path}: it holds more than tensors and plain containers "
                             f"(loaded with weights_only=True): {first}") from None
    except Exception as e:
        raise ArchscopeError(f"{path} is not a torch.save file: {type(e).__name__}: {e}") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj, meta = obj["state_dict"], _checked_meta(obj.get("archscope", {}), path)
    else:
        meta = {}
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                            for k, v in obj.items()):
        raise ArchscopeError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    return obj, meta


def _checked_meta(meta, path) -> dict:
    """The archscope metadata as ``save_weights`` writes it, or one line
    saying which field is malformed: a mapping with an optional ``model``
    (a name), ``overrides`` (knob name -> value) and ``input`` (C, H, W)."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ArchscopeError(f"{path}: its archscope metadata is a {type(meta).__name__}, not a mapping")
    model = meta.get("model")
    if model is not None and not isinstance(model, str):
        raise ArchscopeError(f"{path}: its archscope metadata's model is {model!r}, not a model name")
    overrides = meta.get("overrides")
    if overrides is not None and not (isinstance(overrides, dict) and all(isinstance(k, str) for k in overrides)):
        raise ArchscopeError(f"{path}: its archscope metadata's overrides are {overrides!r}, not knob name -> value")
    shape = meta.get("input")
    if shape is not None:
        from archscope.analysis.engine import parse_input

        try:
            parse_input(shape if isinstance(shape, (list, tuple)) else str(shape))
        except ArchscopeError as e:
            raise ArchscopeError(f"{path}: its archscope metadata's input is malformed: {e}") from None
    return meta


def check_match(model: nn.Module, sd: dict[str, torch.Tensor], what: str = "the model") -> None:
    """Raise naming the first key (in the model's order) that is missing,
    extra, or of a different shape."""
    own = model.state_dict()
    for k, v in own.items():
        if k not in sd:
            raise ArchscopeError(f"weights do not match {what}: {k} {tuple(v.shape)} is missing from the file "
                                 f"({len(sd)} tensors in the file, {len(own)} in the model)")
        if tuple(sd[k].shape) != tuple(v.shape):
            raise ArchscopeError(f"weights do not match {what}: {k} has shape {tuple(sd[k].shape)} in the file, "
                                 f"{tuple(v.shape)} in the model")
    extra = [k for k in sd if k not in own]
    if extra:
        raise ArchscopeError(f"weights do not match {what}: the file has {extra[0]} {tuple(sd[extra[0]].shape)}, "
                             f"which the model lacks ({len(extra)} such keys)")


def load_weights(model: nn.Module, path, what: str = "the model") -> dict:
    """Load ``path`` into ``model`` (strictly); return the file's metadata."""
    sd, meta = read_weights(path)
    check_match(model, sd, what)
    model.load_state_dict(sd)
    return meta
