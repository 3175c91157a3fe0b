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
from collections.abc import Sequence
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


# The inputs as a caller gives them (``parse_inputs`` checks them): one shape, written as a spec
# ('3x224x224', '77:long'), an InputSpec or a sequence of sizes, or a sequence of such shapes.
OneShape = str | InputSpec | Sequence[int]
InputShape = OneShape | Sequence[OneShape]


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


# Bounds of a builder argument's value: far above any real knob (a channel list, a tuple of strides),
# far below what would cost time or memory to read (Python's own int() refuses past 4,300 digits, its
# parser nests 200 brackets; ast.literal_eval recurses on "1+1+...+1" until RecursionError).
MAX_VALUE_CHARS = 10_000
MAX_INT_DIGITS = 100
MAX_NESTING = 16

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)(?![\w.])
  | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_]\w*)
  | (?P<punct>[][(){},:])
  | (?P<word>[^\s\][(){},:'"]+)
""", re.VERBOSE)
_WORDS = {"True": True, "False": False, "None": None, "true": True, "false": False, "null": None}


class _Reader:
    """A recursive-descent reader of Python literals (numbers, quoted strings, True/False/None, lists,
    tuples, dicts), bounded in length, digits and nesting: ``ast.literal_eval`` is safe from code but
    not from "1+1+...+1" (RecursionError) or "-----1" (its parser's memory)."""

    def __init__(self, text: str, key: str):
        self.key, self.text = key, text
        self.tokens = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"unexpected {text[pos]!r} at character {pos + 1}")
            if m.lastgroup != "space":
                self.tokens.append((m.lastgroup, m.group()))
            pos = m.end()
        self.i = 0

    def error(self, why: str) -> ArchscopeError:
        shown = self.text if len(self.text) <= 40 else self.text[:37] + "..."
        return ArchscopeError(f"`args` {self.key}={shown}: {why} (a value is a number, True/False/None, a quoted "
                              "string, a list/tuple/dict of those, or a bare word taken as text)")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        if tok[0] is None:
            raise self.error("it ends too early")
        self.i += 1
        return tok

    def value(self, depth: int = 0):
        kind, text = self.take()
        if kind == "number":
            return self.number(text)
        if kind == "string":
            return ast.literal_eval(text)  # one quoted token: escapes decoded, nothing evaluated
        if kind == "word":
            raise self.error(f"{text[:20]!r} is neither a number nor a quoted string")
        if kind == "name":
            if text not in _WORDS:
                raise self.error(f"a bare word ({text}) inside a list; quote it")
            return _WORDS[text]
        if text in "[({":
            if depth >= MAX_NESTING:
                raise self.error(f"nested more than {MAX_NESTING} deep")
            return self.sequence(text, depth + 1)
        raise self.error(f"unexpected {text!r}")

    def number(self, text: str):
        digits = sum(c.isdigit() for c in text)
        if digits > MAX_INT_DIGITS:
            raise self.error(f"a number of {digits:,} digits (at most {MAX_INT_DIGITS})")
        try:
            v = int(text.replace("_", ""), 10) if re.fullmatch(r"[+-]?[\d_]+", text) else float(text)
        except ValueError:
            raise self.error(f"{text!r} is not a number") from None
        if v in (float("inf"), float("-inf")):
            raise self.error(f"{text} overflows a float")
        return v

    def sequence(self, opener: str, depth: int):
        closer = {"[": "]", "(": ")", "{": "}"}[opener]
        items, pairs, comma = [], [], False
        while True:
            if self.peek()[1] == closer and self.peek()[0] == "punct":
                self.take()
                break
            item = self.value(depth)
            if opener == "{":
                if self.take()[1] != ":":
                    raise self.error("a dict needs key: value")
                pairs.append((item, self.value(depth)))
            else:
                items.append(item)
            kind, text = self.take()
            if text == closer and kind == "punct":
                break
            if text != ",":
                raise self.error(f"expected ',' or {closer!r}, got {text!r}")
            comma = True
        if opener == "{":
            try:
                return dict(pairs)
            except TypeError:
                raise self.error("a dict key must be a number, a string or a tuple") from None
        if opener == "(":
            return tuple(items) if comma or not items or len(items) != 1 else items[0]
        return items

    def read(self):
        out = self.value()
        if self.i != len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.i][1]!r} after the value")
        return out


def parse_value(text: str, key: str = "value"):
    """A builder argument's value: a Python literal (10, -0.5, True, None, 'relu', (3, 3), [64, 128]), read
    by a bounded reader; text that does not start like one is the text itself (relu, none, /a/path).
    ``None`` is Python's None; ``none`` is the text 'none' (the plain nets' documented ``shortcut=none``);
    true/false in any case are booleans."""
    t = text.strip()
    if len(t) > MAX_VALUE_CHARS:
        raise ArchscopeError(f"`args` {key}: a value of {len(t):,} characters (at most {MAX_VALUE_CHARS:,})")
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if t in _WORDS:
        return _WORDS[t]
    if not t or not re.match(r"""[-+.\d\[({'"]""", t):
        return t  # a bare word or path: text, as typed
    return _Reader(t, key).read()


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
        out[key] = parse_value(value, key)
    return out


__all__ = ["DTYPES", "InputSpec", "parse_args", "parse_input", "parse_inputs", "parse_spec", "parse_value"]
