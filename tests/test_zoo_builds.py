"""Every registered entry builds on CPU and on meta and returns logits of the
right shape at its default input. Parametrized over the registry, so a new
entry is tested the moment it is registered."""

import pytest
import torch
from helpers import HEAVY

from archscope.zoo import get_model, list_models, model_info

ALL = list_models()


def test_zoo_has_every_required_entry():
    required = [
        "lenet5", "lenet.d2l", "lenet.tutorial",
        "alexnet", "alexnet.torchvision", "alexnet.d2l", "alexnet.tutorial",
        "vgg11", "vgg11_lrn", "vgg13", "vgg16c", "vgg16", "vgg19", "vgg16_bn", "vgg16.tutorial",
        "nin", "inception_v1", "googlenet", "googlenet.torchvision", "googlenet.tutorial",
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "resnet18.torchvision", "resnet50.torchvision", "resnet152.torchvision",
        "resnet50.keras", "resnet18.d2l", "resnet34.tutorial",
        "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202", "resnet20.keras",
        "preresnet56", "preresnet110", "preresnet164", "preresnet1001",
        "plain20", "plain56", "plain18", "plain34",
    ]
    for name in required:
        model_info(name)  # raises if missing


@pytest.mark.parametrize("name", ALL)
def test_builds_on_meta_and_forwards(name):
    info = model_info(name)
    model = get_model(name, device="meta")
    assert all(p.is_meta for p in model.parameters()), "a weight was allocated"
    y = model(torch.empty(2, *info.input_shape, device="meta"))
    assert tuple(y.shape) == (2, info.num_classes)


@pytest.mark.parametrize("name", [n for n in ALL if n not in HEAVY])
def test_builds_on_cpu_and_forwards(name):
    info = model_info(name)
    torch.manual_seed(0)
    model = get_model(name).eval()
    with torch.no_grad():
        y = model(torch.randn(1, *info.input_shape))
    assert tuple(y.shape) == (1, info.num_classes)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", ALL)
def test_metadata_is_complete(name):
    info = model_info(name)
    assert info.family and info.paper and 1989 <= info.year < 2030  # LeNet-1 (1989) is the oldest entry
    assert len(info.input_shape) == 3 and all(s > 0 for s in info.input_shape)
    assert info.num_classes > 0
    if info.source != "paper":
        assert info.notes, f"{name}: a variant must say where it deviates from the paper"


def test_the_shipped_parameter_counts_are_the_built_models():
    # `archscope list` reads archscope/zoo/counts.json instead of building every model;
    # regenerate it with `python -m archscope.zoo.catalog` when this fails
    import json

    from archscope.zoo.catalog import COUNTS, built_counts

    assert json.loads(COUNTS.read_text()) == built_counts()
