"""``analyze``: exact per-layer costs of a model, on the meta device.

Memory (all in bytes of ``dtype``):
- parameters;
- training = parameters + gradients (one per trainable parameter) + optimizer
  state (SGD with momentum: one buffer per trainable parameter; Adam: two) +
  the activations autograd saves for backward, observed in a training-mode
  forward. Allocator caching, fragmentation and kernel workspaces are not
  modelled: a measured peak is expected a little above this.
- ``activation_bytes``: the sum of every leaf module's forward output (what a
  forward pass produces; torchinfo's "forward pass size" is this figure).
"""

from __future__ import annotations

import contextlib
import re
import time

import torch
from torch import nn

from archscope.analysis.formulas import CATEGORIES
from archscope.analysis.inputs import InputSpec, parse_input, parse_inputs
from archscope.analysis.modules import layer_kind
from archscope.analysis.opargs import ntuple
from archscope.analysis.result import Analysis, LayerStats, Totals
from archscope.analysis.rows import complete as complete_rows
from archscope.analysis.tracer import ForwardError, cost_pass, saved_tensor_bytes, subtree_params
from archscope.errors import ArchscopeError

__all__ = ["analyze", "parse_input", "load_model"]

_COLLAPSE = re.compile(r"too small|can't be greater than actual input size|Output size is|negative dimension|"
                       r"non-positive|must be greater than 0|should be at most half", re.I)


@contextlib.contextmanager
def _meta_build():
    from archscope.zoo import skip_init

    with torch.device("meta"), skip_init():
        yield


def load_model(spec: str, *, meta: bool = True, kwargs: dict | None = None) -> nn.Module:
    """Build ``module.path:callable`` or ``path/to/file.py:callable``, called with ``kwargs``."""
    from archscope.models import import_callable  # what a reference means: archscope.models, one place

    obj = import_callable(spec)
    try:  # called once: a second call would repeat whatever else the user's code does
        with (_meta_build() if meta else contextlib.nullcontext()):
            model = obj(**(kwargs or {}))
    except SystemExit as e:  # a user's sys.exit() must not end archscope with its own status
        raise ArchscopeError(f"{spec}() called sys.exit({e.code!r}) instead of returning a model") from None
    except Exception as e:
        where = (" on the meta device (archscope builds models there, with no weight allocated; a constructor "
                 "that reads tensor values cannot run there)") if meta and _meta_specific(e) else ""
        call = f"{spec}({', '.join(f'{k}={v!r}' for k, v in (kwargs or {}).items())})"
        raise ArchscopeError(f"{call} failed{where}: {type(e).__name__}: {_first_line(e)}") from None
    if not isinstance(model, nn.Module):
        raise ArchscopeError(f"{spec}() returned {type(model).__name__}, not a torch.nn.Module")
    return model


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _meta_specific(e: BaseException) -> bool:
    """An error that only the meta device causes: an op without a meta
    kernel, or code that reads a tensor's values (``if x.sum() > 0``,
    ``.item()``), which meta tensors do not have."""
    return isinstance(e, NotImplementedError) or "meta" in str(e).lower()


def _materialise(model: nn.Module, dtype) -> nn.Module:
    """A CPU copy of a meta model with each layer's default initialisation
    (``reset_parameters``; anything else zero), built without calling the
    user's constructor again."""
    import copy

    cpu = copy.deepcopy(model).to_empty(device="cpu")
    with torch.no_grad():
        for t in list(cpu.parameters()) + list(cpu.buffers()):
            t.zero_()
        for m in cpu.modules():
            if callable(getattr(m, "reset_parameters", None)):
                m.reset_parameters()
    return cpu.to(dtype)


def _check_size(batch: int, shape, dtype) -> None:
    """Refuse an input whose size in bytes does not fit the 64-bit integers
    tensor sizes are computed in (torch would fail with a C++ stack)."""
    n = batch
    for d in shape:
        n *= d
    nbytes = n * torch.empty((), dtype=dtype, device="meta").element_size()
    if nbytes >= 2**62:
        raise ArchscopeError(f"input {batch}x{'x'.join(map(str, shape))} is {nbytes:.3g} bytes, beyond what a tensor "
                             "can address (2**62 bytes here); give a smaller `batch` or `input_size`")


def to_meta_copy(model: nn.Module, dtype) -> nn.Module:
    """A meta-device twin of a user's model, leaving the original untouched:
    the module objects are copied shallowly, their tensors replaced by meta
    tensors of the same shape (no weight is copied or allocated)."""
    import copy

    memo = {}
    for t in list(model.parameters()) + list(model.buffers()):
        meta = torch.empty_like(t, device="meta", dtype=dtype if t.is_floating_point() else t.dtype)
        memo[id(t)] = nn.Parameter(meta, requires_grad=t.requires_grad) if isinstance(t, nn.Parameter) else meta
    return copy.deepcopy(model, memo)


def _resolve(model_or_name, input_shape, args: dict | None = None):
    """-> (model on meta if possible, display name, default input, notes)"""
    if isinstance(model_or_name, nn.Module):
        name = type(model_or_name).__name__
        if input_shape is None:
            raise ArchscopeError("an nn.Module needs `input_size` (C, H, W)")
        if args:
            raise ArchscopeError("builder arguments apply to a zoo name or module:callable, not to a built model")
        return model_or_name, name, None, []
    spec = str(model_or_name)
    if ":" in spec:
        if input_shape is None:
            raise ArchscopeError(f"{spec}: give `input_size` (C, H, W) for a model that is not in the zoo")
        return load_model(spec, kwargs=args), spec, None, []
    from archscope.zoo import get_model, model_info

    info = model_info(spec)
    default = tuple(info.input_shape)
    if args and "in_channels" in args and isinstance(args["in_channels"], int):
        default = (args["in_channels"], *default[1:])  # the default input follows the channels asked for
    return get_model(info.name, device="meta", **(args or {})), info.name, default, []


def analyze(model_or_name, input_shape=None, batch: int = 1, dtype: torch.dtype = torch.float32, *,
            training_memory: bool = True, device: str = "meta", args: dict | None = None) -> Analysis:
    """Analyse a zoo name, a ``module:callable`` spec or an ``nn.Module``.

    ``input_shape`` is (C, H, W) or 'CxHxW', any shape without the batch
    ('77:long' for token ids), or a list of them for a model with several
    inputs (called as ``model(x1, x2, ...)``); a zoo model defaults to the
    input its variant is defined for. ``args`` are keyword arguments of the
    builder (a zoo variant's knobs, or the callable's parameters). Runs on the meta device; a model whose
    forward cannot (an op without a meta kernel, or control flow on tensor
    values) runs once more on the CPU, with each layer's default
    initialisation, and ``Analysis.device`` and ``notes`` say so. A
    ``module:callable`` is called once, on the meta device.
    ``device="cpu"`` runs a real forward instead (the tests use it to show
    that meta and CPU give the same numbers)."""
    if device not in ("meta", "cpu"):
        raise ArchscopeError(f"device must be 'meta' or 'cpu', got {device!r}")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ArchscopeError(f"batch must be a positive integer, got {batch!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ArchscopeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    model, name, default_input, notes = _resolve(model_or_name, input_shape, args)
    specs = parse_inputs(input_shape) if input_shape is not None else [InputSpec(tuple(default_input))]
    for s in specs:
        _check_size(batch, s.shape, s.dtype or dtype)
    mixed = sorted({str(p.dtype).replace("torch.", "") for p in model.parameters() if p.is_floating_point()})
    if len(mixed) > 1:
        notes.append(f"the parameters mix {' and '.join(mixed)}: analysed as {str(dtype).replace('torch.', '')}; "
                     "a forward without autocast fails on a real device")
        if all(t.is_meta for t in list(model.parameters()) + list(model.buffers())):
            model = model.to(dtype)

    def feed(dev: str) -> tuple:
        """The inputs: zeros on the CPU (valid token ids, finite floats), empty on meta."""
        make = torch.zeros if dev == "cpu" else torch.empty
        return tuple(make(batch, *s.shape, dtype=s.dtype or dtype, device=dev) for s in specs)

    shown = ", ".join(s.describe() for s in specs)
    if device == "cpu":
        work = _cpu_twin(model, model_or_name, dtype, args)
    else:
        work = model
        on_meta = all(t.is_meta for t in list(model.parameters()) + list(model.buffers()))
        if not on_meta:
            work = to_meta_copy(model, dtype)
        elif dtype != torch.float32:
            work = model.to(dtype)
    xs = feed(device)
    try:
        result = cost_pass(work, xs)
    except ForwardError as e:
        if device == "meta" and _meta_specific(e.error):  # no meta kernel, or data-dependent: do it for real
            device = "cpu"
            notes.append(f"ran on CPU: {_first_line(e.error)}")
            work = _cpu_twin(model, model_or_name, dtype, args)
            xs = feed("cpu")
            try:
                result = cost_pass(work, xs)
            except ForwardError as e2:
                raise ArchscopeError(f"{name} does not run on input {shown} (on the CPU, after "
                                     f"the meta device could not): at {e2.module or '<model>'} ({e2.module_type}): "
                                     f"{_first_line(e2.error)}") from None
        else:
            if len(specs) == 1 and len(specs[0].shape) == 3 and specs[0].dtype is None:
                raise _explain_failure(work, name, specs[0].shape, dtype, e) from None
            raise ArchscopeError(f"{name} does not run on input {shown}: at {e.module or '<model>'} "
                                 f"({e.module_type}): {_first_line(e.error)}") from None

    saved, derived = None, False
    if training_memory:
        saved, note = _training_saved_bytes(work, xs, batch, specs, dtype, device)
        derived = saved is not None and note is not None
        if note:
            notes.append(note)
    shapes = [[batch, *s.shape] for s in specs]
    inputs = [{"shape": sh, "dtype": str(s.dtype or dtype).removeprefix("torch.")} for sh, s in zip(shapes, specs)]
    a = _assemble(work, name, shapes[0] if len(shapes) == 1 else shapes, dtype, device, result, saved, notes,
                  inputs)
    a.memory["saved_activations_extrapolated"] = derived
    complete_rows(a, work, xs)  # issue 27: each parameter charged to one row; conv/pool padding, dilation, groups
    return a


def _training_saved_bytes(work, xs, batch, specs, dtype, device) -> tuple[int | None, str | None]:
    """Bytes autograd keeps in a training-mode forward, and a note when they had to be derived.

    Batch norm cannot train on one value per channel (batch 1 on a 1x1 map: "Expected more than 1
    value per channel"), so batch 1 cannot be observed there. Every saved tensor is either an
    activation (its size proportional to the batch) or of fixed size (batch norm's per-channel
    statistics; weights are excluded), so the bytes are affine in the batch, b -> u * b + v, and
    batch 1's figure is 2 x saved(2) - saved(3), both observed."""
    try:
        return saved_tensor_bytes(work, xs), None
    except Exception as e:
        first = _first_line(e)
    if batch == 1:
        make = torch.zeros if device == "cpu" else torch.empty
        try:
            two, three = (saved_tensor_bytes(work, tuple(make(b, *s.shape, dtype=s.dtype or dtype, device=device)
                                                         for s in specs)) for b in (2, 3))
        except Exception:
            two = three = None
        if two is not None and 2 * two - three > 0:
            why = "batch norm cannot train on one value per channel" if "per channel" in first else first
            return 2 * two - three, ("training memory at batch 1 extrapolated from batches 2 and 3 (saved "
                                     f"activations are affine in the batch): at batch 1 {why}")
    return None, f"training memory not available: a training-mode forward fails ({first})"


def _cpu_twin(model, model_or_name, dtype, args=None):
    if isinstance(model_or_name, nn.Module):  # never convert the caller's model in place
        import copy

        m = model_or_name
        return m if all(p.dtype == dtype for p in m.parameters()) else copy.deepcopy(m).to(dtype)
    spec = str(model_or_name)
    if ":" in spec:  # never call the user's callable twice
        return _materialise(model, dtype) if any(t.is_meta for t in model.parameters()) else model.to(dtype)
    from archscope.zoo import get_model

    return get_model(spec, **(args or {})).to(dtype)


def _explain_failure(model, name, shape, dtype, e: ForwardError) -> ArchscopeError:
    """One line: where the forward broke and, when the input was too small,
    the smallest square input that works."""
    c, h, w = shape
    where = f"at {e.module or '<model>'} ({e.module_type})"
    msg = _first_line(e.error)
    if _meta_specific(e.error) or "overflow" in msg.lower():  # no smaller input would help
        return ArchscopeError(f"{name} does not run on input {c}x{h}x{w}: {where}: {msg}")
    if _COLLAPSE.search(msg):
        smallest = _smallest_input(model, c, dtype, limit=max(h, w) * 8 + 64)
        hint = f"; smallest input that works: {c}x{smallest}x{smallest}" if smallest else ""
        return ArchscopeError(f"{name}: input {c}x{h}x{w} is too small: the spatial size collapses {where}{hint}")
    smallest = _smallest_input(model, c, dtype, limit=1024, budget_s=5.0)
    hint = f"; the smallest square input that works is {c}x{smallest}x{smallest}" if smallest else ""
    return ArchscopeError(f"{name} does not run on input {c}x{h}x{w}: {where}: {msg}{hint}")


def _runs(model, c, s, dtype) -> bool:
    from archscope.analysis.shapes import FastMetaMode

    try:  # the fast meta mode: each try is a few ms, so the search stays well inside its budget
        with torch.no_grad(), FastMetaMode():
            model.eval()(torch.empty(1, c, s, s, device="meta", dtype=dtype))
        return True
    except Exception:
        return False


def _smallest_input(model, c, dtype, limit: int, budget_s: float = 10.0) -> int | None:
    start = time.monotonic()
    for s in range(1, limit + 1):
        if _runs(model, c, s, dtype):
            return s
        if time.monotonic() - start > budget_s:
            return None
    return None


def _kernel_stride(module: nn.Module):
    k = getattr(module, "kernel_size", None)
    s = getattr(module, "stride", None)
    if k is None:
        return None, None
    n = len(k) if isinstance(k, (tuple, list)) else 2
    return list(ntuple(k, n)), (list(ntuple(s, n)) if s is not None else None)


def _assemble(model, name, input_shape, dtype, device, result, saved, notes, inputs=None) -> Analysis:
    itemsize = torch.empty((), dtype=dtype, device="meta").element_size()
    layers = []
    for qual, module in model.named_modules():
        rec = result.records[qual]
        params, trainable = subtree_params(module)
        kernel, stride = _kernel_stride(module)
        leaf = not any(True for _ in module.children())
        kind = layer_kind(module)
        layers.append(LayerStats(
            name=qual, type=type(module).__name__, depth=0 if qual == "" else qual.count(".") + 1,
            category=kind if kind != "other" or leaf else "block",
            input_shape=rec.input_shape, output_shape=rec.output_shape, params=params, trainable_params=trainable,
            macs=rec.macs, flops=rec.flops, activation_bytes=rec.activation_bytes, kernel=kernel, stride=stride,
            receptive_field=rec.rf, weight_depth=rec.depth, order=rec.order, calls=rec.calls,
            own_params=sum(p.numel() for p in module.parameters(recurse=False)), own_macs=rec.own_macs,
            own_flops=rec.own_flops, in_keys=rec.in_keys, out_keys=rec.out_keys, is_leaf=leaf,
        ))
    root = layers[0]
    params, trainable = root.params, root.trainable_params
    param_bytes = sum(p.numel() * p.element_size() for p in {id(p): p for p in model.parameters()}.values())
    trainable_bytes = trainable * itemsize
    leaf_activation = sum(l.activation_bytes for l in layers if l.is_leaf and l.calls)
    sgd = None if saved is None else param_bytes + trainable_bytes + trainable_bytes + saved
    adam = None if saved is None else param_bytes + trainable_bytes + 2 * trainable_bytes + saved
    totals = Totals(
        params=params, trainable_params=trainable, macs=root.macs, flops=root.flops, train_flops=3 * root.flops,
        param_bytes=param_bytes, activation_bytes=leaf_activation, saved_activation_bytes=saved,
        train_memory_bytes=sgd, train_memory_adam_bytes=adam, depth=root.weight_depth,
    )
    memory = {
        "params": param_bytes, "gradients": trainable_bytes, "sgd_momentum": trainable_bytes,
        "adam_moments": 2 * trainable_bytes, "saved_activations": saved,
    }
    by_cat = {c: result.flops_by_category.get(c, 0) for c in CATEGORIES}
    return Analysis(model=name, input_shape=list(input_shape), inputs=inputs or [], dtype=str(dtype).replace("torch.", ""), device=device,
                    totals=totals, flops_by_category=by_cat, uncounted_ops=result.uncounted_ops, layers=layers,
                    memory=memory, notes=notes, flow=result.flow or [], tensor_shapes=result.shapes or {},
                    output_keys=result.output_keys or [])
