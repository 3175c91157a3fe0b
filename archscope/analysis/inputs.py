"""What a model is fed: the input specs users write (``3x224x224``,
``77:long``; several for a model with several inputs) and the builder
arguments (``num_classes=10``), parsed into plain data.

torchinfo's ``summary(input_size=[...], dtypes=[...])`` and Keras'
``Input(shape, dtype)`` take the same facts; the batch size stays apart
(``--batch``), as it is in both.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import NamedTuple

import torch

from archscope.errors import ArchscopeError

# the dtype names a spec may end with; floating inputs default to the analysis dtype
DTYPES = {
    "float": None, "float32": torch.float32, "float16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "float64": torch.float64, "double": torch.float64,
    "long": torch.long, "int64": torch.long, "int": torch.int32, "int32": torch.int32, "int16": torch.int16,
    "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool,
}


class InputSpec(NamedTuple):
    """One input without its batch dimension; ``dtype`` None means the analysis's floating dtype."""

    shape: tuple[int, ...]
    dtype: torch.dtype | None = None

    def describe(self) -> str:
        text = "x".join(map(str, self.shape))
        return text if self.dtype is None else f"{text}:{str(self.dtype).removeprefix('torch.')}"


def parse_spec(spec) -> InputSpec:
    """'3x224x224' -> ((3, 224, 224), None); '77:long' -> ((77,), torch.long); a sequence of ints as is."""
    if isinstance(spec, InputSpec):
        return spec
    if isinstance(spec, str):
        text, colon, dtype_name = spec.strip().partition(":")
        dtype_name = dtype_name.strip().lower()
        if colon and not dtype_name:
            raise ArchscopeError(f"`input_size` {spec!r}: nothing after ':' (a dtype such as long)")
        if dtype_name and dtype_name not in DTYPES:
            raise ArchscopeError(f"`input_size` {spec!r}: unknown dtype {dtype_name!r}; one of {', '.join(DTYPES)}")
        parts = re.split(r"\s*[x,×*]\s*|\s+", text.strip().lower())
        if not all(re.fullmatch(r"[0-9]+", p) for p in parts):  # ASCII digits, no empty size ("3x", "3xx4")
            raise ArchscopeError(f"`input_size` must be sizes joined by x, e.g. 3x224x224 or 77:long; got {spec!r}")
        dims = tuple(int(p) for p in parts)
        dtype = DTYPES[dtype_name] if dtype_name else None
    else:
        try:
            dims, dtype = tuple(operator.index(d) for d in spec), None  # numpy integers too
        except TypeError:
            raise ArchscopeError(f"an input shape is a sequence of integer sizes or a string like 3x224x224; "
                                 f"got {spec!r}") from None
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise ArchscopeError(f"an input shape needs at least one integer size (e.g. 3x224x224); got {spec!r}")
    if any(d <= 0 for d in dims):
        raise ArchscopeError(f"input sizes must be positive; got {'x'.join(map(str, dims))}")
    return InputSpec(dims, dtype)


def _is_int(v) -> bool:
    try:
        operator.index(v)
        return not isinstance(v, bool)
    except TypeError:
        return False


def parse_inputs(specs) -> list[InputSpec]:
    """One spec ('3x224x224', (3, 224, 224)) or several (a list of them) -> a list of InputSpec."""
    if isinstance(specs, (str, InputSpec)):
        return [parse_spec(specs)]
    try:
        specs = list(specs)
    except TypeError:
        raise ArchscopeError(f"an input is a shape such as (3, 224, 224) or '3x224x224', or a list of them; "
                             f"got {specs!r}") from None
    if specs and all(_is_int(d) for d in specs):
        return [parse_spec(specs)]  # one shape given as a sequence of ints
    if not specs:
        raise ArchscopeError("no input given")
    return [parse_spec(s) for s in specs]


def parse_input(spec) -> tuple[int, int, int]:
    """'3x224x224' (or a sequence) -> (C, H, W), every size a positive integer: the one image input of
    the commands that feed images (probe, cam)."""
    s = parse_spec(spec)
    if len(s.shape) != 3 or (s.dtype is not None and not s.dtype.is_floating_point):
        raise ArchscopeError(f"input must be CxHxW (three integers, e.g. 3x224x224); got {spec!r}")
    return s.shape


def parse_value(text: str):
    """A builder argument's value: a Python literal (10, 0.5, True, None, 'relu', (3, 3)) or, failing
    that, the text itself (relu); true/false/none in any case."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(t)
    except (ValueError, SyntaxError):
        return t


def parse_args(items) -> dict:
    """['num_classes=10', 'act=relu'] -> {'num_classes': 10, 'act': 'relu'}."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise ArchscopeError(f"`args` needs KEY=VALUE with KEY a Python name; got {item!r}")
        if key in out:
            raise ArchscopeError(f"`args` {key} is given twice")
        out[key] = parse_value(value)
    return out


__all__ = ["DTYPES", "InputSpec", "parse_args", "parse_input", "parse_inputs", "parse_spec", "parse_value"]
