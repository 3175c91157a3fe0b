"""The analysis result: plain data, no rendering. ``to_dict`` is the JSON
contract of ``archscope summary --format json`` (keys stable; more may be
added)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TypedDict

from archscope.analysis.receptive import RF, GlobalRF, rf_to_dict


@dataclass
class LayerStats:
    name: str  # qualified module name ("" is the model itself)
    type: str
    depth: int
    # conv, linear, norm, activation, pooling, attention, dropout, flatten, pad; "block" for a module
    # made of other layers, "other" for a layer of no known kind (analysis/modules.py decides)
    category: str = "other"
    input_shape: list | None = None
    output_shape: list | None = None
    params: int = 0  # this module and its children, shared parameters once
    trainable_params: int = 0
    macs: int = 0  # this module and its children
    flops: int = 0
    activation_bytes: int = 0  # bytes of this module's output
    kernel: list | None = None
    stride: list | None = None
    padding: list | str | None = None  # a convolution's or a pooling's, per axis ('same'/'valid' as torch keeps them)
    dilation: list | None = None
    groups: int | None = None  # a convolution's (AlexNet's two towers: 2; a depthwise convolution: its channels)
    # size and jump per axis and the centre of output element 0's field on the input (RF), GLOBAL after
    # global pooling or a fully connected layer, None off the spatial path (a module that never ran)
    receptive_field: RF | GlobalRF | None = None
    weight_depth: int | None = None  # conv/linear layers on the longest path from the input
    order: int | None = None  # first call, in execution order
    own_params: int = 0  # parameters held by this module itself (not its children)
    own_macs: int = 0  # ops issued by this module's own forward (e.g. a residual add), not its children's
    own_flops: int = 0
    in_keys: list | None = None  # data flow (see Analysis.flow): tensors consumed and produced by the first call
    out_keys: list | None = None
    calls: int = 0
    is_leaf: bool = True
    # the parameters this row is charged with: every parameter of the model is charged to exactly one
    # module (analysis/rows.py says which), so these add up to the total over the rows, tied weights once
    charged_params: int = 0


@dataclass
class ParamCharge:
    """Where one parameter (a tensor, by identity: a tied weight is one) is counted: its row and how it got
    there (``analysis/rows.py``)."""

    name: str  # its qualified name, under its first holder (``attn.out_proj.weight``)
    numel: int
    row: str  # the module charged with it
    # "holder": a module that holds it ran (the first to run, for a tied weight); "used": the module whose
    # forward used it, its holder never running as a module (nn.MultiheadAttention's out_proj, read through
    # F.linear); "unused": no call read it in the traced forward (an auxiliary head of a model in eval mode)
    how: str
    # the output shape of the first call that read it, where a call other than its row's own output decides
    # its stage (a weight held by a block and used in a convolution the block writes out); None otherwise
    shape: list | None = None
    aliases: list = field(default_factory=list)  # its other names (a tied weight's)


@dataclass
class Totals:
    params: int
    trainable_params: int
    macs: int
    flops: int
    # one training step per batch, forward (training mode) + backward, by formulas.TRAINING_RULE: gradients
    # only where autograd computes them (trainable parameters and what depends on them; not the data)
    train_flops: int
    param_bytes: int
    activation_bytes: int  # sum of every leaf module's output
    saved_activation_bytes: int | None  # what autograd keeps for backward (observed); None if it cannot train
    train_memory_bytes: int | None  # SGD with momentum
    train_memory_adam_bytes: int | None
    depth: int | None = None  # weight layers (conv, linear) on the longest input-to-output path
    # the matrix products of that step, forward and backward: 2 x train_macs is what torch's FlopCounterMode
    # measures around a real forward and loss.backward()
    train_macs: int = 0


class InputInfo(TypedDict):
    """One input as analysed: its shape with the batch, and its dtype's name (``float32``, ``int64``)."""

    shape: list[int]
    dtype: str


@dataclass
class Analysis:
    model: str
    input_shape: list  # [N, C, H, W]; one list per input for a model with several ([[N, C, H, W], [N, 77]])
    dtype: str
    device: str  # "meta", or "cpu" when the model could not run on meta
    totals: Totals
    flops_by_category: dict
    uncounted_ops: dict
    layers: list = field(default_factory=list)
    memory: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    inputs: list[InputInfo] = field(default_factory=list)  # every input, in the order the model takes them
    # how train_flops were counted: {"rule": formulas.TRAINING_RULE, "forward_flops", "backward_flops",
    # "backward_macs", "frozen": [patterns], "frozen_params", "input_grad"}
    training: dict = field(default_factory=dict)
    # The data flow of the traced forward: ops as (name, module stack, input keys,
    # output keys), tensor shapes by key, the model's output keys. Diagrams are
    # drawn from it; it is not part of the JSON contract.
    flow: list = field(default_factory=list, repr=False)
    tensor_shapes: dict = field(default_factory=dict, repr=False)
    output_keys: list = field(default_factory=list, repr=False)
    # every parameter's row (analysis/rows.py); not part of the JSON contract (each layer's charged_params is)
    charges: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("flow", "tensor_shapes", "output_keys", "charges"):
            d.pop(k)
        d["layers"] = [{k: (rf_to_dict(layer.receptive_field) if k == "receptive_field" else v)
                        for k, v in l.items() if k not in ("in_keys", "out_keys")}
                       for layer, l in zip(self.layers, d["layers"], strict=True)]
        return d

    def layer(self, name: str) -> LayerStats:
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(name)
