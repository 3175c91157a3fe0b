"""Run the tools people use instead on the same model and explain every
difference in what they report, cause by cause, from archscope's own data.

Each tool's figure is compared with archscope's in the tool's own unit, and
the difference is split into causes, each computed from archscope's
per-layer data (shapes, parameters, MACs, calls) and from which aten ops ran
in which module when the tool ran. Whatever the causes do not account for is
shown as *unexplained*, never dropped; on every model in the tests it is 0.

- **torchinfo** ``summary(...).total_mult_adds`` (run on the meta device,
  eval, no grad, as archscope's own pass). For every call of a *leaf* module
  (no children) it adds, per parameter (``layer_info.py``,
  ``LayerInfo.calculate_macs``): ``weight``/``bias`` of a class whose name
  contains "Conv": numel x output[0] x prod(output[2:]); ``weight``/``bias`` of
  any other class: numel x output[0] (the batch: a Linear on (B, N, C) tokens is
  counted for one token); other names containing "weight"/"bias" (recurrent
  layers' ``weight_ih_l0``...): numel x output[0] x output[1]. MACs issued
  outside leaf modules (attention's Q·Kᵀ and A·V, a functional matmul,
  ``nn.MultiheadAttention``'s projections through its parameters) are not seen.
  That is release 1.8.0's rule. torchinfo's PR #318 ("Fix calculate_macs() for
  Linear layers", commit 38ab72b, 2024-11-04) counts ``weight``/``bias`` of a
  class whose name contains "Linear" as numel x prod(output[:-1]) (every token);
  no release contains it (``git tag --contains 38ab72b`` is empty: the last
  release, v1.8.0, is of 2023-05-14), and the main branch still says
  ``__version__ = "1.8.0"``, so the version string cannot tell the two apart:
  ``torchinfo_rule`` asks the installed code, on one Linear fed two tokens.
- **torch FlopCounterMode**: 2 FLOPs per MAC of the ops in
  ``torch.utils.flop_counter.flop_registry`` (convolutions, mm/addmm/bmm/
  baddbmm, and the CUDA attention kernels), nothing else. Run on the CPU in eval
  mode without grad (inference, as fvcore), so torch takes its fused inference
  paths: ``nn.TransformerEncoderLayer`` -> ``_transformer_encoder_layer_fwd``,
  ``nn.MultiheadAttention`` -> ``_native_multi_head_attention``,
  ``F.scaled_dot_product_attention`` -> ``_scaled_dot_product_flash_attention_for_cpu``;
  the registry has none of the three (torch 2.13).
- **fvcore 0.1.5** ``FlopCountAnalysis.total()``: one "flop" per MAC (its stated
  convention) of aten::_convolution, linear, matmul, mm, addmm, bmm and einsum,
  plus its own counts (``fvcore/nn/flop_count.py``, ``jit_handles.py``): batch
  norm in eval 2 per input element (1 without affine; in training, and instance
  norm, 5/4 as below), layer and group norm 5 per input element (4 without
  affine), adaptive average pooling 1 per input element, nearest upsampling 1 and
  bilinear upsampling and grid sampling 4 per output element. It traces with
  ``torch.jit.trace`` and so needs real tensors: it runs on the CPU (weights are
  allocated and initialised), here without grad in eval mode. Its tracing hooks
  every module, and a module with hooks does not take the TransformerEncoderLayer
  fast path, so fvcore sees the layer's own modules but the MultiheadAttention
  inside still fuses.

Where a tool runs a different path than archscope's meta pass (a fused kernel
for what archscope sees as separate matmuls), the cause is sized per module:
archscope's MACs of the module (with those of its submodules that did not run in
the tool's pass) minus archscope's MACs of the ops the tool does count there.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.hooks import RemovableHandle

from archscope.analysis import formulas
from archscope.analysis.result import Analysis

TOOLS = ("torchinfo", "FlopCounterMode", "fvcore")

# Kernels that carry MACs and that a tool may have no formula for, with what
# calls them (torch 2.13, aten/src/ATen/native/native_functions.yaml).
KERNELS = {
    "_scaled_dot_product_flash_attention_for_cpu": "F.scaled_dot_product_attention's CPU flash-attention kernel",
    "_scaled_dot_product_efficient_attention": "F.scaled_dot_product_attention's memory-efficient kernel",
    "_scaled_dot_product_flash_attention": "F.scaled_dot_product_attention's flash kernel",
    "_scaled_dot_product_cudnn_attention": "F.scaled_dot_product_attention's cuDNN kernel",
    "_native_multi_head_attention": "nn.MultiheadAttention's fused path, taken in eval mode without grad",
    "_transformer_encoder_layer_fwd": "nn.TransformerEncoderLayer's fused path, taken in eval mode without grad "
                                      "when no module has hooks",
    "baddbmm": "torch.baddbmm",
    "lstm": "nn.LSTM's fused kernel",
    "mkldnn_rnn_layer": "nn.LSTM's oneDNN kernel on the CPU",
    "gru": "nn.GRU's fused kernel",
    "rnn_tanh": "nn.RNN's fused kernel",
    "rnn_relu": "nn.RNN's fused kernel",
}

# The ops fvcore counts MACs for, as they reach the dispatcher on the CPU: its
# aten::linear / matmul / einsum arrive as mm, addmm or bmm; aten::baddbmm,
# scaled_dot_product_attention and the fused paths have no handle.
_FVCORE_MAC_OPS = {"convolution", "_convolution", "mm", "addmm", "bmm"}


@dataclass
class Cause:
    kind: str  # a stable key: bias, one_token, params_x_batch, recurrent, not_seen, no_formula, fvcore_<op>...
    what: str  # the tool's rule or blind spot, in words
    size: int  # its share of the difference, in the tool's unit, signed
    layers: list[str] = field(default_factory=list)  # archscope's module names ("" is the model's own forward)
    ops: list[str] = field(default_factory=list)  # the aten ops involved, where the cause is an op


@dataclass
class ToolCheck:
    tool: str
    quantity: str  # what is compared, in the tool's unit
    run: str  # how the tool ran
    reported: int | None  # None when the tool failed (see error)
    archscope: int  # archscope's figure in the tool's unit
    causes: list[Cause] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the tool's own failure, in one line

    @property
    def difference(self) -> int | None:
        return None if self.reported is None else self.reported - self.archscope

    @property
    def unexplained(self) -> int | None:
        return None if self.reported is None else self.reported - self.archscope - sum(c.size for c in self.causes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["difference"], d["unexplained"] = self.difference, self.unexplained
        return d


# ---- building the model for the tools ---------------------------------------------


def _build_cpu(spec, args: dict | None = None) -> nn.Module:
    """The model on the CPU with its default initialisation (fvcore and
    FlopCounterMode need real tensors); a user's callable is called once."""
    if isinstance(spec, nn.Module):
        return spec
    if ":" in str(spec):
        from archscope.analysis.engine import load_model

        return load_model(str(spec), meta=False, kwargs=args)
    from archscope.zoo import get_model

    return get_model(str(spec), **(args or {}))


class _TrainingFlags:
    """Puts a model in eval mode and restores every module's own flag after
    (the caller's model is not left changed)."""

    def __init__(self, model: nn.Module):
        self.model = model

    def __enter__(self):
        self.flags = [(m, m.training) for m in self.model.modules()]
        self.model.eval()
        return self.model

    def __exit__(self, *exc):
        for m, flag in self.flags:
            m.training = flag


# ---- what ran where, in a real forward -------------------------------------------


@dataclass
class OpCall:
    module: str  # innermost module (qualified name)
    op: str  # aten op, without "aten."
    macs: int | None  # archscope's formula; None where it has none (and the op is not zero-cost)
    in_numel: int = 0  # first tensor argument
    out_numel: int = 0  # first tensor output
    weight: bool = False  # a norm's affine weight was given
    training: bool = False  # a batch norm used batch statistics


def _first_tensor(obj):
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (list, tuple)):
        for o in obj:
            t = _first_tensor(o)
            if t is not None:
                return t
    return None


class _Observe(TorchDispatchMode):
    """Every aten op of one forward, with the innermost module it ran in and
    archscope's MACs for it. Modules are tracked with *global* hooks (as
    FlopCounterMode's ModuleTracker does), which leave torch's fused paths
    available, or with hooks on every module (as fvcore and torchinfo do)."""

    def __init__(self, model: nn.Module, module_hooks: bool):
        super().__init__()
        self.model, self.module_hooks = model, module_hooks
        self.names = {id(m): n for n, m in model.named_modules()}
        self.stack: list[str] = []
        self.called: set[str] = set()
        self.ops: list[OpCall] = []
        self._handles: list[RemovableHandle] = []

    def _pre(self, mod, *_):
        name = self.names.get(id(mod))
        if name is not None:
            self.stack.append(name)
            self.called.add(name)

    def _post(self, mod, *_):
        if id(mod) in self.names and self.stack:
            self.stack.pop()

    def __enter__(self):
        if self.module_hooks:
            for m in self.model.modules():
                self._handles += [m.register_forward_pre_hook(self._pre), m.register_forward_hook(self._post)]
        else:
            from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

            self._handles += [register_module_forward_pre_hook(self._pre), register_module_forward_hook(self._post)]
        return super().__enter__()

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        return super().__exit__(*exc)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        packet = func._overloadpacket
        entry = formulas.lookup(packet)
        try:
            macs = entry[0](args, kwargs, out).macs if entry else (0 if packet in formulas.ZERO_COST else None)
        except Exception:  # a formula written for the meta pass's arguments; the gap stays "unexplained"
            macs = None
        x, y = _first_tensor(list(args)), _first_tensor(out)
        op = str(packet).removeprefix("aten.")
        call = OpCall(self.stack[-1] if self.stack else "", op, macs,
                      x.numel() if x is not None else 0, y.numel() if y is not None else 0)
        # the weight's place in the schema: layer norm (x, shape, weight, ...), others (x, weight, ...)
        if "norm" in op:
            i = 2 if op == "native_layer_norm" else 1
            call.weight = len(args) > i and isinstance(args[i], torch.Tensor)
            # batch norm's `training` is its first bool argument (after the stats, where it has them)
            call.training = "no_training" not in op and any(v is True for v in args[3:] if isinstance(v, bool))
        self.ops.append(call)
        return out


def _observe(model: nn.Module, x: torch.Tensor, module_hooks: bool) -> _Observe:
    with torch.no_grad(), _Observe(model, module_hooks) as obs:
        model(x)
    return obs


# ---- archscope's MACs, per module of a tool's pass --------------------------------


def _owner(name: str, called: set[str]) -> str:
    """The module a tool's pass charges `name`'s ops to: itself if it ran,
    else its nearest ancestor that ran (a fused kernel replaced its call)."""
    while name and name not in called:
        name = name.rpartition(".")[0]
    return name


def _absorbed(a: Analysis, called: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for layer in a.layers:
        if layer.own_macs:
            key = _owner(layer.name, called)
            out[key] = out.get(key, 0) + layer.own_macs
    return out


def _label(op: str) -> str:
    return f"aten.{op} ({KERNELS[op]})" if op in KERNELS else f"aten.{op}"


def _hidden_causes(a: Analysis, obs: _Observe, counts, scale: int, lacks: str, label=_label) -> list[Cause]:
    """Per module: archscope's MACs minus archscope's MACs of the ops the tool
    counts there, attributed to the MAC-carrying ops it does not count
    (``lacks``: "FlopCounterMode has no formula for"; ``label``: how the tool
    names an op). A gap with no such op is left to "unexplained"."""
    absorbed = _absorbed(a, obs.called)
    seen: dict[str, int] = {}
    blind: dict[str, set[str]] = {}
    for c in obs.ops:
        if counts(c.op):
            seen[c.module] = seen.get(c.module, 0) + (c.macs or 0)
        elif c.op in KERNELS or c.macs:
            blind.setdefault(c.module, set()).add(c.op)
    order = {layer.name: i for i, layer in enumerate(a.layers)}
    groups: dict[tuple, Cause] = {}
    for module in sorted(set(absorbed) | set(seen), key=lambda n: order.get(n, len(order))):
        gap = absorbed.get(module, 0) - seen.get(module, 0)
        if not gap:
            continue
        ops = tuple(sorted(blind.get(module, ())))
        if not ops or gap < 0:
            continue  # left to "unexplained", with its size
        if ops not in groups:
            groups[ops] = Cause("no_formula", f"{lacks} {'; '.join(map(label, ops))}: archscope's MACs of those calls",
                                0, [], list(ops))
        groups[ops].size -= scale * gap
        groups[ops].layers.append(module)
    return list(groups.values())


# ---- torchinfo ----------------------------------------------------------------------

_TI_WHAT = {
    "bias": "bias: one add per output element (torchinfo: bias x output positions for a conv, bias x batch "
            "otherwise)",
    "one_token": "a layer with weights on a (B, N, ..., C) input counted for one position: weights x batch, "
                 "not x batch x positions",
    "conv_weight": "a convolution counted as weights x output positions (a transposed one's MACs differ)",
    "params_x_batch": "parameters x batch of leaf layers without MACs (norm, embedding, ...)",
    "recurrent": "recurrent layers: every parameter x output[0] x output[1]",
    "pruned": "weights zeroed by a pruning mask left out (torchinfo counts the mask's ones; the layer still "
              "multiplies by every weight)",
    "not_seen": "MACs issued outside leaf layers with weights, which torchinfo does not see (attention's "
                "Q·Kᵀ and A·V, functional matmuls, nn.MultiheadAttention's projections)",
}


_TI_WHAT_PER_TOKEN = {
    "bias": "bias: one add per output element (torchinfo: bias x output positions for a conv or a Linear, bias x "
            "batch otherwise)",
}


@dataclass(frozen=True)
class TorchinfoRule:
    """How the installed torchinfo prices a Linear: ``per_token`` (main since PR #318) or for one token
    (release 1.8.0), found by running it; ``version`` its ``__version__``."""

    version: str
    per_token: bool

    def describe(self) -> str:
        if self.per_token:
            return (f"torchinfo {self.version} counts a Linear for every token (the rule of its main branch "
                    "since PR #318, in no release yet)")
        return f"torchinfo {self.version} counts a Linear on (B, N, ..., C) tokens for one token (release 1.8.0's rule)"


_RULE: dict[str, TorchinfoRule] = {}


def torchinfo_rule() -> TorchinfoRule:
    """The installed torchinfo's Linear rule, from its own answer on nn.Linear(2, 3) fed (1, 2, 2): 12
    mult-adds for two tokens (6 weights x 2) means every token is counted, 6 means one (+ the bias, 3 x 2
    or 3 x 1). Asked once per process."""
    import torchinfo

    version = getattr(torchinfo, "__version__", "?")
    if version not in _RULE:
        s = torchinfo.summary(nn.Linear(2, 3, device="meta"), input_size=(1, 2, 2), device="meta", verbose=0,
                              mode="eval")
        _RULE[version] = TorchinfoRule(version, s.total_mult_adds == 2 * (6 + 3))
    return _RULE[version]


def _pruning_mask(module: nn.Module, pname: str) -> torch.Tensor | None:
    """The mask of a parameter ``torch.nn.utils.prune`` reparametrised (``weight_orig`` beside the buffer
    ``weight_mask``), where it has values."""
    if not pname.endswith("_orig"):
        return None
    mask = getattr(module, pname[: -len("_orig")] + "_mask", None)
    return mask if isinstance(mask, torch.Tensor) and not mask.is_meta else None


def torchinfo_causes(model: nn.Module, a: Analysis, rule: TorchinfoRule | None = None) -> list[Cause]:
    """torchinfo's mult-adds minus archscope's MACs, per rule, from archscope's
    layers (own MACs, output shapes, calls) and the modules' parameter names;
    ``rule`` is the installed torchinfo's (``torchinfo_rule``; release 1.8.0's when None)."""
    per_token = rule is not None and rule.per_token
    sizes: dict[str, int] = {}
    layers: dict[str, list[str]] = {}

    def add(kind, n, name):
        if n:
            sizes[kind] = sizes.get(kind, 0) + n
            layers.setdefault(kind, []).append(name)

    for layer in a.layers:
        if not layer.calls:
            continue
        own = layer.own_macs
        if not layer.is_leaf:
            add("not_seen", -own, layer.name)
            continue
        mod = model.get_submodule(layer.name) if layer.name else model
        out = layer.output_shape or []
        w = b = r = 0
        cls = type(mod).__name__
        pruned = 0
        for pname, p in mod.named_parameters():
            numel, mask = p.numel(), _pruning_mask(mod, pname)
            if mask is not None:  # torchinfo counts a pruned weight as its mask's ones (get_param_count)
                pname = pname[: -len("_orig")]
            if pname in ("weight", "bias"):
                if not out:
                    scale = 0
                elif "Conv" in cls:
                    scale = out[0] * math.prod(out[2:])
                elif per_token and "Linear" in cls:  # PR #318: every position but the features
                    scale = math.prod(out[:-1])
                else:
                    scale = out[0]
                if pname == "weight":
                    w += numel * scale
                else:
                    b += numel * scale
                if mask is not None:
                    pruned -= (numel - int(mask.sum())) * scale
            elif "weight" in pname or "bias" in pname:
                r += numel * math.prod(out[:2])
        add("pruned", pruned * layer.calls, layer.name)
        w, b, r = w * layer.calls, b * layer.calls, r * layer.calls
        if r:
            add("recurrent", w + b + r - own, layer.name)
        elif "Conv" in type(mod).__name__ and w:
            add("bias", b, layer.name)
            add("conv_weight", w - own, layer.name)
        elif own and w:
            add("bias", b, layer.name)
            add("one_token", w - own, layer.name)
        elif not own:
            add("params_x_batch", w + b, layer.name)
        else:
            add("not_seen", -own, layer.name)
    what = {**_TI_WHAT, **(_TI_WHAT_PER_TOKEN if per_token else {})}
    return [Cause(k, what[k], sizes[k], layers[k]) for k in _TI_WHAT if sizes.get(k)]


def _torchinfo(model_meta, model_cpu, a: Analysis) -> list[ToolCheck]:
    import torchinfo

    # torchinfo reads a pruning mask's values, which a meta copy does not have: then it runs on the CPU
    pruned = any(n.endswith("_mask") for n, _ in model_cpu.named_buffers())
    on_meta = a.device == "meta" and not pruned
    model = model_meta if on_meta else model_cpu
    with _TrainingFlags(model):
        s = torchinfo.summary(model, input_size=tuple(a.input_shape), device="meta" if on_meta else "cpu",
                              verbose=0, depth=100, mode="eval")
    rule = torchinfo_rule()
    run = f"{'meta' if on_meta else 'CPU'}, eval, no grad (as archscope's pass)"
    checks = [ToolCheck("torchinfo", "mult-adds", run, s.total_mult_adds, a.totals.macs,
                        torchinfo_causes(model, a, rule), [rule.describe()])]
    if s.total_params != a.totals.params:
        zeroed: dict[str, int] = {}
        for name, mod in model_cpu.named_modules():
            for pname, p in mod.named_parameters(recurse=False):
                mask = _pruning_mask(mod, pname)
                if mask is not None:
                    zeroed[name] = zeroed.get(name, 0) + p.numel() - int(mask.sum())
        causes = [Cause("pruned", "weights zeroed by a pruning mask left out (torchinfo counts the mask's ones; "
                                  "archscope the stored weight_orig)", -sum(zeroed.values()), list(zeroed))
                  ] if zeroed else []
        checks.append(ToolCheck("torchinfo", "parameters", run, s.total_params, a.totals.params, causes))
    return checks


# ---- FlopCounterMode ----------------------------------------------------------------


def _flop_counter(a: Analysis, total: int, obs: _Observe) -> ToolCheck:
    from torch.utils.flop_counter import flop_registry

    registered = {str(p).removeprefix("aten.") for p in flop_registry}
    causes = _hidden_causes(a, obs, lambda op: op in registered, 2, "FlopCounterMode has no formula for")
    notes = [f"convolutions and matrix products only; archscope's FLOPs ({a.totals.flops:,}) also count bias, "
             f"norm, activation, pooling and elementwise ops (+{a.totals.flops - 2 * a.totals.macs:,})"]
    return ToolCheck("FlopCounterMode", "FLOPs (2 per MAC)", "CPU, eval, no grad", total, 2 * a.totals.macs,
                     causes, notes)


# ---- fvcore ----------------------------------------------------------------------


def fvcore_extra(c: OpCall, module: nn.Module | None) -> tuple[str, int] | None:
    """fvcore's own count for an op that is not a matrix product, by its rules
    (fvcore 0.1.5, nn/jit_handles.py: norm_flop_counter, batchnorm_flop_jit,
    elementwise_flop_counter), or None."""
    if c.op in ("_native_batch_norm_legit_no_training", "_native_batch_norm_legit", "native_batch_norm",
                "cudnn_batch_norm"):
        if c.training:  # batch statistics: fvcore's norm_flop_counter(1); instance norm arrives here too
            return "batch_stats_norm", c.in_numel * (5 if c.weight else 4)
        return "batch_norm", c.in_numel * (2 if c.weight else 1)
    if c.op in ("native_layer_norm", "native_group_norm"):
        return c.op.removeprefix("native_"), c.in_numel * (5 if c.weight else 4)
    if c.op in ("_adaptive_avg_pool2d", "adaptive_avg_pool2d"):
        return "adaptive_avg_pool2d", c.in_numel
    if c.op == "mean" and isinstance(module, nn.AdaptiveAvgPool2d):  # torch turns a 1x1 output into a mean
        return "adaptive_avg_pool2d", c.in_numel
    if c.op == "upsample_nearest2d":
        return "upsample_nearest2d", c.out_numel
    if c.op in ("upsample_bilinear2d", "grid_sampler_2d"):
        return c.op, 4 * c.out_numel
    return None


_FV_WHAT = {
    "batch_norm": "fvcore counts batch norm: 2 per input element in eval (1 without affine)",
    "batch_stats_norm": "fvcore counts a norm on batch statistics (instance norm; batch norm in training): 5 per "
                        "input element (4 without affine)",
    "layer_norm": "fvcore counts layer norm: 5 per input element (4 without affine)",
    "group_norm": "fvcore counts group norm: 5 per input element (4 without affine)",
    "adaptive_avg_pool2d": "fvcore counts adaptive average pooling: 1 per input element",
    "upsample_nearest2d": "fvcore counts nearest upsampling: 1 per output element",
    "upsample_bilinear2d": "fvcore counts bilinear upsampling: 4 per output element",
    "grid_sampler_2d": "fvcore counts grid sampling: 4 per output element",
}


def _fvcore_label(op: str) -> str:
    """How fvcore's trace names the op that reached the dispatcher as `op`:
    every attention kernel is aten::scaled_dot_product_attention to it."""
    if op.startswith("_scaled_dot_product"):
        return "aten::scaled_dot_product_attention (F.scaled_dot_product_attention)"
    if op == "mkldnn_rnn_layer":
        return "aten::lstm (nn.LSTM)"
    return f"aten::{op} ({KERNELS[op]})" if op in KERNELS else f"aten::{op}"


def _fvcore(model_cpu, a: Analysis, x: torch.Tensor, passes: _Passes) -> ToolCheck:
    from fvcore.nn import FlopCountAnalysis

    with _TrainingFlags(model_cpu), warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        fv = FlopCountAnalysis(model_cpu, x)
        fv.unsupported_ops_warnings(False)
        fv.uncalled_modules_warnings(False)
        total = fv.total()
        total = int(total) if float(total).is_integer() else total  # einsum's count arrives as a float
        unsupported = dict(fv.unsupported_ops())
    obs = passes.hooked()
    causes = []
    extra: dict[str, Cause] = {}
    for c in obs.ops:
        mod = model_cpu.get_submodule(c.module) if c.module else model_cpu
        got = fvcore_extra(c, mod)
        if got:
            kind, n = got
            cause = extra.setdefault(kind, Cause(f"fvcore_{kind}", _FV_WHAT[kind], 0, [], [kind]))
            cause.size += n
            if c.module not in cause.layers:
                cause.layers.append(c.module)
    causes += list(extra.values())
    causes += _hidden_causes(a, obs, lambda op: op in _FVCORE_MAC_OPS, 1, "fvcore has no handle for",
                             _fvcore_label)
    notes = []
    if unsupported:
        notes.append("fvcore's unsupported ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(unsupported.items())))
    return ToolCheck("fvcore", "flops (1 per MAC)", "CPU, eval, no grad, jit trace", total, a.totals.macs, causes,
                     notes)


# ---- all of them -------------------------------------------------------------------


class _Passes:
    """The real forwards the CPU tools' causes are read from, each run once:
    without module hooks (FlopCounterMode's path; FlopCounterMode itself runs
    around it, one forward for both) and with hooks on every module (fvcore's
    path). Only nn.TransformerEncoderLayer looks at hooks (torch 2.13,
    nn/modules/transformer.py: "forward pre-/hooks are attached to the
    module"), so without one the first pass serves both."""

    def __init__(self, model: nn.Module, x: torch.Tensor):
        self.model, self.x = model, x
        self._free: _Observe | None = None
        self._hooked: _Observe | None = None
        self.flop_counter_total: int | None = None

    def free(self) -> _Observe:
        if self._free is None:
            from torch.utils.flop_counter import FlopCounterMode

            # FlopCounterMode outside, the observer inside: it sees each op
            # first and passes it on. Neither hooks a module.
            with _TrainingFlags(self.model), torch.no_grad(), FlopCounterMode(display=False) as counter, \
                    _Observe(self.model, module_hooks=False) as obs:
                self.model(self.x)
            self._free, self.flop_counter_total = obs, counter.get_total_flops()
        return self._free

    def hooked(self) -> _Observe:
        if self._hooked is None:
            if any(isinstance(m, nn.TransformerEncoderLayer) for m in self.model.modules()):
                with _TrainingFlags(self.model):
                    self._hooked = _observe(self.model, self.x, module_hooks=True)
            else:
                self._hooked = self.free()
        return self._hooked


def crosscheck(spec, a: Analysis, *, tools=TOOLS, args: dict | None = None) -> list[ToolCheck]:
    """torchinfo, FlopCounterMode and fvcore on the model that ``a`` analysed
    (a zoo name, a ``module:callable`` spec or an nn.Module, built with the
    builder arguments ``args``), each difference attributed to its causes. A
    tool that fails gives a row with its error."""
    from archscope.analysis.engine import check_structure, recursion_room
    from archscope.errors import ArchscopeError

    if len(a.inputs) > 1 or any(i["dtype"] != a.dtype for i in a.inputs):
        raise ArchscopeError("`crosscheck` compares models with one floating input; this one has "
                             + ", ".join(f"{'x'.join(map(str, i['shape']))} {i['dtype']}" for i in a.inputs))

    unknown = set(tools) - set(TOOLS)
    if unknown:
        raise ValueError(f"unknown tools {sorted(unknown)}; known: {TOOLS}")
    cpu = _build_cpu(spec, args)
    depth = check_structure(cpu, a.model)
    with recursion_room(depth):  # the tools walk and call modules recursively too
        return _crosscheck(cpu, a, tools, depth)


# torchinfo 1.8's summary takes time that doubles with each level of module nesting (a chain of
# nn.Sequential: 20 levels 1.5 s, 24 levels 29 s, 28 over 100 s, on the 2-core machine of PERF-NOTES.md);
# deeper than this it is not run, and its row says why.
TORCHINFO_MAX_NESTING = 20


def _crosscheck(cpu: nn.Module, a: Analysis, tools, depth: int = 0) -> list[ToolCheck]:
    from archscope.analysis.engine import to_meta_copy

    meta = to_meta_copy(cpu, torch.float32)
    x = torch.zeros(tuple(a.input_shape))
    passes = _Passes(cpu, x)

    def flop_counter():
        obs = passes.free()
        return [_flop_counter(a, passes.flop_counter_total, obs)]

    runs = {
        "torchinfo": (lambda: _torchinfo(meta, cpu, a), "mult-adds", a.totals.macs),
        "FlopCounterMode": (flop_counter, "FLOPs (2 per MAC)", 2 * a.totals.macs),
        "fvcore": (lambda: [_fvcore(cpu, a, x, passes)], "flops (1 per MAC)", a.totals.macs),
    }
    checks: list[ToolCheck] = []
    for tool in TOOLS:
        if tool not in tools:
            continue
        run, quantity, ours = runs[tool]
        if tool == "torchinfo" and depth > TORCHINFO_MAX_NESTING:
            checks.append(ToolCheck(tool, quantity, "", None, ours, error=(
                f"not run: the model nests modules {depth} deep, and torchinfo's time doubles with each level "
                f"(24 levels took 29 s); archscope runs it up to {TORCHINFO_MAX_NESTING}")))
            continue
        try:
            got = run()
            for c in got:
                if c.unexplained and a.uncounted_ops:
                    c.notes.append("archscope has no formula for " + ", ".join(
                        f"{k} x{v}" for k, v in sorted(a.uncounted_ops.items())) + " (its uncounted ops): what "
                        f"{tool} counts there is in 'unexplained'")
            checks += got
        except MemoryError:
            raise
        except Exception as e:  # the other tool's failure is a finding about it, not the end of the check
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            checks.append(ToolCheck(tool, quantity, "", None, ours, error=f"{type(e).__name__}: {first}"[:300]))
    return checks
