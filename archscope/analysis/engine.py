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
import fnmatch
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

import torch
from torch import nn

from archscope.analysis.formulas import CATEGORIES, TRAINING_RULE
from archscope.analysis.inputs import InputShape, InputSpec, parse_input, parse_inputs
from archscope.analysis.modules import layer_kind
from archscope.analysis.opargs import as_ints, ntuple
from archscope.analysis.result import Analysis, InputInfo, LayerStats, Totals
from archscope.analysis.rows import complete as complete_rows
from archscope.analysis.tracer import ForwardError, PassResult, all_subtree_params, cost_pass, saved_tensor_bytes
from archscope.errors import ArchscopeError

__all__ = ["analyze", "parse_input", "load_model"]

_COLLAPSE = re.compile(r"too small|can't be greater than actual input size|Output size is|negative dimension|"
                       r"non-positive|must be greater than 0|should be at most half", re.I)


@contextlib.contextmanager
def _meta_build() -> Iterator[None]:
    from archscope.zoo import skip_init

    with torch.device("meta"), skip_init():
        yield


def load_model(spec: str, *, meta: bool = True, kwargs: Mapping[str, object] | None = None) -> nn.Module:
    """Build ``module.path:callable`` or ``path/to/file.py:callable``, called with ``kwargs``.

    With ``meta`` the callable runs on the meta device (no weight allocated). A constructor that reads
    tensor values (torchvision's RegNet calls ``.tolist()`` on a tensor of widths) cannot run there; the
    error names ``build_device="cpu"`` rather than archscope calling it again on the CPU by itself: the
    callable is called once (a second call would repeat whatever else the user's code does: files
    written, weights downloaded), and a CPU build allocates every weight, which the user should choose."""
    from archscope.models import import_callable  # what a reference means: archscope.models, one place

    obj = import_callable(spec)
    try:  # called once: a second call would repeat whatever else the user's code does
        with (_meta_build() if meta else contextlib.nullcontext()):
            model = obj(**(kwargs or {}))
    except SystemExit as e:  # a user's sys.exit() must not end archscope with its own status
        raise ArchscopeError(f"{spec}() called sys.exit({e.code!r}) instead of returning a model") from None
    except Exception as e:
        where = (" on the meta device (archscope builds models there, with no weight allocated; a constructor "
                 "that reads tensor values cannot run there: build it on the CPU with `build_device` cpu)"
                 ) if meta and _meta_specific(e) else ""
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


def _materialise(model: nn.Module, dtype: torch.dtype) -> nn.Module:
    """A CPU copy of a meta model with each layer's default initialisation
    (``reset_parameters``; anything else zero), built without calling the
    user's constructor again."""
    cpu = copy_module(model, lambda t: torch.empty_like(t, device="cpu"))
    with torch.no_grad():
        for t in list(cpu.parameters()) + list(cpu.buffers()):
            t.zero_()
        for m in cpu.modules():
            reset = getattr(m, "reset_parameters", None)
            if callable(reset):
                reset()
    return cpu.to(dtype)


def _check_size(batch: int, shape: Sequence[int], dtype: torch.dtype) -> None:
    """Refuse an input whose size in bytes does not fit the 64-bit integers
    tensor sizes are computed in (torch would fail with a C++ stack)."""
    n = batch
    for d in shape:
        n *= d
    nbytes = n * torch.empty((), dtype=dtype, device="meta").element_size()
    if nbytes >= 2**62:
        raise ArchscopeError(f"input {batch}x{'x'.join(map(str, shape))} is {nbytes:.3g} bytes, beyond what a tensor "
                             "can address (2**62 bytes here); give a smaller `batch` or `input_size`")


def _tensor_attributes(model: nn.Module) -> Iterator[torch.Tensor]:
    """Tensors a module keeps as plain attributes (not parameters or buffers), in lists, tuples and
    dicts too: ``torch.nn.utils.prune`` and the old ``torch.nn.utils.weight_norm`` keep the layer's
    ``weight`` there, recomputed by a forward pre-hook from ``weight_orig`` and ``weight_mask`` (or
    ``weight_g`` and ``weight_v``)."""
    from torch.utils._pytree import tree_leaves

    for m in model.modules():
        for v in vars(m).values():
            if isinstance(v, (torch.Tensor, list, tuple, dict)):
                yield from (t for t in tree_leaves(v) if isinstance(t, torch.Tensor))


def copy_module(model: nn.Module, convert: Callable[[torch.Tensor], torch.Tensor]) -> nn.Module:
    """A copy of ``model`` whose parameters and buffers are ``convert(t)`` (a Parameter stays a Parameter
    with its ``requires_grad``), leaving the original untouched. ``copy.deepcopy`` alone refuses a module
    holding a tensor that autograd computed (PyTorch: "Only Tensors created explicitly by the user (graph
    leaves) support the deepcopy protocol"), which every pruned or old-weight-norm layer holds; such a
    tensor is converted detached (its hook computes it again at the next forward). Other tensor
    attributes are copied as they are (a ``kernel_size`` kept as ``torch.tensor(3)`` keeps its value)."""
    import copy

    memo: dict[int, object] = {}
    for t in list(model.parameters()) + list(model.buffers()):
        if id(t) not in memo:
            new = convert(t)
            memo[id(t)] = nn.Parameter(new, requires_grad=t.requires_grad) if isinstance(t, nn.Parameter) else new
    for t in _tensor_attributes(model):
        if id(t) not in memo and t.grad_fn is not None:
            memo[id(t)] = convert(t.detach())
    return copy.deepcopy(model, memo)


def to_meta_copy(model: nn.Module, dtype: torch.dtype | None) -> nn.Module:
    """A meta-device twin of a user's model, leaving the original untouched:
    the module objects are copied, their tensors replaced by meta tensors of
    the same shape (no weight is copied or allocated), floating ones in ``dtype`` (None: their own)."""
    return copy_module(model, lambda t: torch.empty_like(t, device="meta",
                                                         dtype=dtype if t.is_floating_point() else t.dtype))


def pruning_notes(model: nn.Module) -> list[str]:
    """One note per layer pruned with ``torch.nn.utils.prune``: which mask, how many weights it zeroes
    (where the mask has values), and that the count is the dense layer's (the layer multiplies the
    masked weight as a dense tensor: the zeros are computed, not skipped)."""
    from torch.nn.utils import prune

    notes = []
    for name, m in model.named_modules():
        for hook in m._forward_pre_hooks.values():
            methods = hook._pruning_methods if isinstance(hook, prune.PruningContainer) else (hook,)
            if not isinstance(hook, prune.BasePruningMethod):
                continue
            what = "+".join(type(h).__name__ for h in methods)
            mask = getattr(m, f"{hook._tensor_name}_mask", None)
            where = f"{name}.{hook._tensor_name}" if name else hook._tensor_name
            zeros = ""
            if isinstance(mask, torch.Tensor) and not mask.is_meta:
                zeros = f", {int((mask == 0).sum()):,} of {mask.numel():,} weights zeroed"
            notes.append(f"{where} is pruned ({what}: mask {where}_mask{zeros}); counted as the dense layer "
                         "computes it")
    return notes


_BUILT_ON_CPU = "built on the CPU (build device cpu, as asked), analysed on meta"


def _resolve(model_or_name: str | nn.Module, input_shape: InputShape | None, args: Mapping[str, object] | None = None,
             build_device: str = "meta") -> tuple[nn.Module, str, tuple[int, ...] | None, list[str]]:
    """-> (model on meta if possible, display name, default input, notes)"""
    if build_device != "meta" and ":" not in str(model_or_name if isinstance(model_or_name, str) else ""):
        what = "a built module is already built" if isinstance(model_or_name, nn.Module) else \
            "zoo models are built on meta"
        raise ArchscopeError(f"`build_device` {build_device} is for a module:callable reference whose constructor "
                             f"reads tensor values; {what}, so it would change nothing")
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
        notes = [] if build_device == "meta" else [_BUILT_ON_CPU]
        return load_model(spec, kwargs=args, meta=build_device == "meta"), spec, None, notes
    from archscope.zoo import get_model, model_info

    info = model_info(spec)
    default = tuple(info.input_shape)
    if args and "in_channels" in args and isinstance(args["in_channels"], int):
        default = (args["in_channels"], *default[1:])  # the default input follows the channels asked for
    return get_model(info.name, device="meta", **(args or {})), info.name, default, []


def analyze(model_or_name: str | nn.Module, input_shape: InputShape | None = None, batch: int = 1,
            dtype: torch.dtype = torch.float32, *, training_memory: bool = True, device: str = "meta",
            args: Mapping[str, object] | None = None,
            frozen: Sequence[str] = (), input_grad: bool = False, build_device: str = "meta") -> Analysis:
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
    that meta and CPU give the same numbers).

    Training (``formulas.TRAINING_RULE``): ``frozen`` are glob patterns over parameter names
    (``layer1.*``; a module's name freezes all its parameters) marking parameters a fine-tuning step
    does not train, as ``requires_grad=False`` does; ``input_grad`` makes the inputs require a gradient
    (the data does not in a training step). Both change the training FLOPs, the trainable parameters
    and the training memory, never the forward.

    ``build_device="cpu"`` calls a ``module:callable`` (or builds a zoo model) on the CPU, for a
    constructor that reads tensor values (the analysis itself still runs on meta)."""
    if device not in ("meta", "cpu"):
        raise ArchscopeError(f"device must be 'meta' or 'cpu', got {device!r}")
    if build_device not in ("meta", "cpu"):
        raise ArchscopeError(f"`build_device` must be 'meta' or 'cpu', got {build_device!r}")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ArchscopeError(f"batch must be a positive integer, got {batch!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ArchscopeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    patterns = _patterns(frozen)
    model, name, default_input, notes = _resolve(model_or_name, input_shape, args, build_device)
    depth = check_structure(model, name)
    try:
        with recursion_room(depth):
            return _analyze(model_or_name, model, name, default_input, notes, input_shape, batch, dtype,
                            training_memory, device, args, patterns, input_grad)
    except RecursionError:  # a forward that calls itself (the module tree itself was checked above)
        raise ArchscopeError(f"{name}: its forward recurses deeper than Python allows "
                             f"({sys.getrecursionlimit():,} frames): a module that calls itself, or a "
                             "recursion in the model's code") from None


# Deepest module nesting analysed. Each level costs Python frames in every recursive walk: about three
# in a forward (Module.__call__, _call_impl, forward), six in copy.deepcopy, more under a tool's hooks;
# ``recursion_room`` makes that room for the analysis (Python-level frames: the C stack stays far from
# its limit at this depth), and refusing deeper trees keeps a 2,000-deep chain from exhausting it.
MAX_NESTING = 200
FRAMES_PER_LEVEL = 16


@contextlib.contextmanager
def recursion_room(depth: int) -> Iterator[None]:
    """Python's recursion limit raised, for the duration, to what a module tree ``depth`` levels deep
    needs (``FRAMES_PER_LEVEL`` frames a level beyond the default 1,000), then restored."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 1000 + FRAMES_PER_LEVEL * depth))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def check_structure(model: nn.Module, name: str) -> int:
    """The depth of the module tree, walked without recursion; refuses a module that contains itself
    (registered as its own child, or two modules holding each other: every recursive walk of torch's
    would never end) and a tree nested deeper than ``MAX_NESTING``."""
    deepest = 0
    path: list[tuple[str, nn.Module]] = [("", model)]
    on_path = {id(model): ""}
    stack = [iter(list(model._modules.items()))]
    done: set[int] = set()
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            _, m = path.pop()
            on_path.pop(id(m), None)
            done.add(id(m))
            continue
        key, child = item
        if child is None:
            continue
        qual = f"{path[-1][0]}.{key}" if path[-1][0] else key
        if id(child) in on_path:
            ancestor = on_path[id(child)] or "the model itself"
            raise ArchscopeError(f"{name} contains itself: its submodule {qual!r} ({type(child).__name__}) is "
                                 f"{ancestor if ancestor == 'the model itself' else repr(ancestor)}, which "
                                 "holds it (a module cannot be its own descendant)")
        if id(child) in done:
            continue  # shared: already walked
        path.append((qual, child))
        on_path[id(child)] = qual
        deepest = max(deepest, len(path) - 1)
        if deepest > MAX_NESTING:
            raise ArchscopeError(f"{name} nests modules more than {MAX_NESTING} deep (at {qual[:60]}...): "
                                 f"archscope analyses up to {MAX_NESTING} levels (Python's recursion limit)")
        stack.append(iter(list(child._modules.items())))
    return deepest


def _analyze(model_or_name: str | nn.Module, model: nn.Module, name: str, default_input: tuple[int, ...] | None,
             notes: list[str], input_shape: InputShape | None, batch: int, dtype: torch.dtype,
             training_memory: bool, device: str, args: Mapping[str, object] | None, frozen: list[str],
             input_grad: bool) -> Analysis:
    notes += pruning_notes(model)
    frozen_names = match_frozen(model, frozen)
    if input_shape is not None:
        specs = parse_inputs(input_shape)
    else:  # _resolve gives a zoo model its default input and refuses any other model without one
        assert default_input is not None
        specs = [InputSpec(tuple(default_input))]
    for s in specs:
        _check_size(batch, s.shape, s.dtype or dtype)
    mixed = sorted({str(p.dtype).replace("torch.", "") for p in model.parameters() if p.is_floating_point()})
    if len(mixed) > 1:
        notes.append(f"the parameters mix {' and '.join(mixed)}: analysed as {str(dtype).replace('torch.', '')}; "
                     "a forward without autocast fails on a real device")
        if all(t.is_meta for t in list(model.parameters()) + list(model.buffers())):
            model = model.to(dtype)

    def feed(dev: str) -> tuple[torch.Tensor, ...]:
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
    with contextlib.ExitStack() as restore:  # a caller's own module gets its requires_grad flags back
        restore.enter_context(_frozen(work, frozen_names))
        try:
            result = cost_pass(work, xs, input_grad=input_grad)
        except ForwardError as e:
            if isinstance(e.error, RecursionError):
                raise e.error from None
            if device == "meta" and _meta_specific(e.error):  # no meta kernel, or data-dependent: do it for real
                device = "cpu"
                notes.append(f"ran on CPU: {_first_line(e.error)}")
                work = _cpu_twin(model, model_or_name, dtype, args)
                restore.enter_context(_frozen(work, frozen_names))
                xs = feed("cpu")
                try:
                    result = cost_pass(work, xs, input_grad=input_grad)
                except ForwardError as e2:
                    raise ArchscopeError(f"{name} does not run on input {shown} (on the CPU, after "
                                         f"the meta device could not): at {e2.module or '<model>'} "
                                         f"({e2.module_type}): {_first_line(e2.error)}") from None
            else:
                if len(specs) == 1 and len(specs[0].shape) == 3 and specs[0].dtype is None:
                    raise _explain_failure(work, name, specs[0].shape, dtype, e) from None
                raise ArchscopeError(f"{name} does not run on input {shown}: at {e.module or '<model>'} "
                                     f"({e.module_type}): {_first_line(e.error)}") from None

        saved: int | None = None
        derived = False
        if training_memory:
            saved, note = _training_saved_bytes(work, xs, batch, specs, dtype, device)
            derived = saved is not None and note is not None
            if note:
                notes.append(note)
        shapes = [[batch, *s.shape] for s in specs]
        inputs: list[InputInfo] = [{"shape": sh, "dtype": str(s.dtype or dtype).removeprefix("torch.")}
                  for sh, s in zip(shapes, specs, strict=True)]
        a = _assemble(work, name, shapes[0] if len(shapes) == 1 else shapes, dtype, device, result, saved, notes,
                      inputs)
    a.memory["saved_activations_extrapolated"] = derived
    a.training.update(frozen=list(frozen), frozen_params=sum(p.numel() for n, p in work.named_parameters()
                                                             if n in frozen_names),
                      input_grad=input_grad)
    complete_rows(a, work, xs)  # issue 27: each parameter charged to one row; conv/pool padding, dilation, groups
    return a


def _patterns(frozen: str | Sequence[str] | None) -> list[str]:
    if isinstance(frozen, str):
        frozen = [frozen]
    out = []
    for p in frozen or ():
        if not isinstance(p, str) or not p.strip():
            raise ArchscopeError(f"`frozen` takes glob patterns over parameter names (e.g. 'layer1.*'); got {p!r}")
        out.append(p.strip())
    return out


def match_frozen(model: nn.Module, patterns: Sequence[str]) -> set[str]:
    """The parameter names the ``frozen`` glob patterns select: a pattern matches a parameter's qualified
    name (``layer1.0.conv1.weight``, ``*.bn*.weight``) or the name of a module holding it (``layer1``
    freezes all of layer1). A pattern that selects nothing is refused (a typo would silently train)."""
    names = [n for n, _ in model.named_parameters()]
    chosen: set[str] = set()
    for pat in patterns:
        hit = {n for n in names if fnmatch.fnmatchcase(n, pat) or fnmatch.fnmatchcase(n, pat + ".*")}
        if not hit:
            some = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise ArchscopeError(f"`frozen` pattern {pat!r} matches no parameter of the model "
                                 f"(its parameters are named {some or 'nothing: it has none'})")
        chosen |= hit
    return chosen


@contextlib.contextmanager
def _frozen(model: nn.Module, names: set[str]) -> Iterator[None]:
    """``requires_grad=False`` on the named parameters for the analysis, restored after."""
    changed = [p for n, p in model.named_parameters() if n in names and p.requires_grad]
    for p in changed:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in changed:
            p.requires_grad_(True)


def _training_saved_bytes(work: nn.Module, xs: tuple[torch.Tensor, ...], batch: int, specs: Sequence[InputSpec],
                          dtype: torch.dtype, device: str) -> tuple[int | None, str | None]:
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
        two: int | None
        three: int | None
        try:
            two, three = (saved_tensor_bytes(work, tuple(make(b, *s.shape, dtype=s.dtype or dtype, device=device)
                                                         for s in specs)) for b in (2, 3))
        except Exception:
            two = three = None
        if two is not None and three is not None and 2 * two - three > 0:
            why = "batch norm cannot train on one value per channel" if "per channel" in first else first
            return 2 * two - three, ("training memory at batch 1 extrapolated from batches 2 and 3 (saved "
                                     f"activations are affine in the batch): at batch 1 {why}")
    return None, f"training memory not available: a training-mode forward fails ({first})"


def _cpu_twin(model: nn.Module, model_or_name: str | nn.Module, dtype: torch.dtype,
              args: Mapping[str, object] | None = None) -> nn.Module:
    if isinstance(model_or_name, nn.Module):  # never convert the caller's model in place
        m = model_or_name
        if all(p.dtype == dtype for p in m.parameters()):
            return m
        return copy_module(m, lambda t: t.detach().to(dtype) if t.is_floating_point() else t.detach().clone())
    spec = str(model_or_name)
    if ":" in spec:  # never call the user's callable twice
        return _materialise(model, dtype) if any(t.is_meta for t in model.parameters()) else model.to(dtype)
    from archscope.zoo import get_model

    built: nn.Module = get_model(spec, **(args or {}))
    return built.to(dtype)


def _explain_failure(model: nn.Module, name: str, shape: Sequence[int], dtype: torch.dtype,
                     e: ForwardError) -> ArchscopeError:
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


def _runs(model: nn.Module, c: int, s: int, dtype: torch.dtype) -> bool:
    from archscope.analysis.shapes import FastMetaMode

    try:  # the fast meta mode: each try is a few ms, so the search stays well inside its budget
        with torch.no_grad(), FastMetaMode():
            model.eval()(torch.empty(1, c, s, s, device="meta", dtype=dtype))
        return True
    except Exception:
        return False


def _smallest_input(model: nn.Module, c: int, dtype: torch.dtype, limit: int, budget_s: float = 10.0) -> int | None:
    start = time.monotonic()
    for s in range(1, limit + 1):
        if _runs(model, c, s, dtype):
            return s
        if time.monotonic() - start > budget_s:
            return None
    return None


def _kernel_stride(module: nn.Module) -> tuple[list[int] | None, list[int] | None]:
    """A layer's kernel and stride for display, read from its attributes however the module stores them
    (``opargs.as_ints``); None where it has no integer kernel."""
    k = as_ints(getattr(module, "kernel_size", None))
    if not k:
        return None, None
    n = len(k) if isinstance(getattr(module, "kernel_size", None), (tuple, list)) or len(k) > 1 else 2
    s = ntuple(getattr(module, "stride", None), n)
    return list(k * n if len(k) == 1 else k), (list(s) if s else None)


def _assemble(model: nn.Module, name: str, input_shape: list[int] | list[list[int]], dtype: torch.dtype, device: str,
              result: PassResult, saved: int | None, notes: list[str],
              inputs: list[InputInfo] | None = None) -> Analysis:
    itemsize = torch.empty((), dtype=dtype, device="meta").element_size()
    layers: list[LayerStats] = []
    subtree = all_subtree_params(model)
    for qual, module in model.named_modules():
        rec = result.records[qual]
        params, trainable = subtree[id(module)]
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
    step = result.training or {}
    forward = root.flops + step.get("forward_extra", 0)
    backward = 2 * step.get("backward_macs", 0) + step.get("backward_flops", 0)
    training = {"rule": TRAINING_RULE, "forward_flops": forward, "backward_flops": backward,
                "backward_macs": step.get("backward_macs", 0)}
    totals = Totals(
        params=params, trainable_params=trainable, macs=root.macs, flops=root.flops, train_flops=forward + backward,
        train_macs=root.macs + step.get("backward_macs", 0),
        param_bytes=param_bytes, activation_bytes=leaf_activation, saved_activation_bytes=saved,
        train_memory_bytes=sgd, train_memory_adam_bytes=adam, depth=root.weight_depth,
    )
    memory = {
        "params": param_bytes, "gradients": trainable_bytes, "sgd_momentum": trainable_bytes,
        "adam_moments": 2 * trainable_bytes, "saved_activations": saved,
    }
    by_cat = {c: result.flops_by_category.get(c, 0) for c in CATEGORIES}
    return Analysis(model=name, input_shape=list(input_shape), inputs=inputs or [],
                    dtype=str(dtype).replace("torch.", ""), device=device,
                    totals=totals, flops_by_category=by_cat, uncounted_ops=result.uncounted_ops, layers=layers,
                    memory=memory, notes=notes, flow=result.flow or [], tensor_shapes=result.shapes or {},
                    output_keys=result.output_keys or [], training=training)
