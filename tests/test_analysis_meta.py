"""The shapes the analysis answers itself on meta (to avoid importing
torch._dynamo) are pinned against torch's real meta kernels, op by op, for
every op of every zoo model — a torch release that changes one fails here."""

import pytest
import torch
from helpers import HEAVY

import archscope.analysis.tracer as tracer
from archscope.zoo import get_model, list_models, model_info


@pytest.fixture
def verifying(monkeypatch):
    found = []
    original = tracer.FastMetaMode._check

    def check(self, func, mine, real):
        original(self, func, mine, real)
        found.extend(getattr(self, "mismatches", []))
        self.mismatches = []

    monkeypatch.setattr(tracer.FastMetaMode, "verify", True)
    monkeypatch.setattr(tracer.FastMetaMode, "_check", check)
    return found


@pytest.mark.parametrize("name", [n for n in list_models() if n not in HEAVY])
def test_answered_shapes_equal_real_meta_kernels(name, verifying):
    info = model_info(name)
    model = get_model(name, device="meta")
    tracer.cost_pass(model, torch.empty(1, *info.input_shape, device="meta"))
    tracer.saved_tensor_bytes(model, torch.empty(2, *info.input_shape, device="meta"))
    assert verifying == []


def test_answering_changes_no_result():
    model = get_model("googlenet", aux_logits=True, device="meta")
    x = torch.empty(2, 3, 224, 224, device="meta")
    fast = tracer.cost_pass(model, x)
    slow = tracer.cost_pass(model, x, answer_shapes=False)
    assert fast.flops_by_category == slow.flops_by_category
    assert {k: vars(v) for k, v in fast.records.items()} == {k: vars(v) for k, v in slow.records.items()}
    assert tracer.saved_tensor_bytes(model, x) == tracer.saved_tensor_bytes(model, x, answer_shapes=False)
