"""The analysis on every zoo entry against independent tools and published
figures: torchinfo (parameters, per-layer shapes, per-layer mult-adds), torch's
FlopCounterMode, fvcore, a real CPU forward, torchvision's published GFLOPS and
min_size, the ResNet paper's Table 1 and published receptive fields."""

import math
import warnings

import pytest
import torch
import torchinfo
from helpers import HEAVY
from torch import nn

from archscope.analysis import analyze
from archscope.zoo import get_model, list_models, model_info

ALL = list_models()


def torchinfo_summary(model, shape):
    return torchinfo.summary(model, input_size=shape, device="meta", verbose=0, depth=1000, mode="eval")


@pytest.mark.parametrize("name", ALL)
def test_against_torchinfo_and_flop_counter(name):
    from torch.utils.flop_counter import FlopCounterMode

    info = model_info(name)
    a = analyze(name)
    model = get_model(name, device="meta")
    assert a.totals.params == sum(p.numel() for p in model.parameters())
    if name in HEAVY:
        return  # torchinfo needs minutes on thousands of layers; the checks below hold on their siblings
    s = torchinfo_summary(model, (1, *info.input_shape))
    assert a.totals.params == s.total_params
    names = {id(m): n for n, m in model.named_modules()}
    rows = {}
    for li in s.summary_list:
        rows.setdefault(names[id(li.module)], li)
    for layer in a.layers:
        if not layer.name or layer.name not in rows or not layer.calls:
            continue
        li = rows[layer.name]
        if isinstance(li.output_size, list) and li.output_size and isinstance(li.output_size[0], int):
            assert layer.output_shape == li.output_size, layer.name
        mod = model.get_submodule(layer.name)
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            # torchinfo's per-layer mult-adds: MACs + one per output element for a bias
            bias = math.prod(layer.output_shape) if mod.bias is not None else 0
            assert li.macs == layer.macs + bias, layer.name
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model.eval()(torch.empty(1, *info.input_shape, device="meta"))
    assert fc.get_total_flops() == 2 * a.totals.macs  # torch: 2 FLOPs per MAC, conv and matmul only


FVCORE = ["lenet.d2l", "alexnet.torchvision", "alexnet", "nin", "googlenet", "googlenet.torchvision",
          "googlenet.tutorial", "resnet18", "resnet50.torchvision", "resnet50.keras", "resnet20", "resnet20.keras",
          "preresnet56", "plain20", "vgg11", "resnet34.tutorial"]


@pytest.mark.parametrize("name", FVCORE)
def test_conv_and_linear_macs_equal_fvcore(name):
    from fvcore.nn import FlopCountAnalysis

    info = model_info(name)
    model = get_model(name).eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        fv = FlopCountAnalysis(model, torch.zeros(1, *info.input_shape))
        fv.unsupported_ops_warnings(False)
        fv.uncalled_modules_warnings(False)
        by_op = fv.by_operator()
    fv_macs = sum(v for k, v in by_op.items() if k in ("conv", "linear", "addmm", "matmul"))
    assert fv_macs == analyze(name).totals.macs


@pytest.mark.parametrize("name", [n for n in ALL if n not in HEAVY and not n.startswith(("vgg", "alexnet"))]
                         + ["alexnet", "vgg11"])
def test_meta_equals_cpu(name):
    torch.manual_seed(0)
    meta, cpu = analyze(name), analyze(name, device="cpu")
    assert (meta.device, cpu.device) == ("meta", "cpu")
    assert meta.totals == cpu.totals
    assert meta.flops_by_category == cpu.flops_by_category
    assert [(l.name, l.output_shape, l.macs, l.flops, l.receptive_field) for l in meta.layers] == \
        [(l.name, l.output_shape, l.macs, l.flops, l.receptive_field) for l in cpu.layers]


# torchvision <Model>_Weights.IMAGENET1K_V1.meta["_ops"] (GFLOPS, counted as multiply-adds)
TORCHVISION_OPS = {"alexnet.torchvision": 0.714, "vgg11.torchvision": 7.609, "vgg13.torchvision": 11.308,
                   "vgg16.torchvision": 15.47, "vgg19.torchvision": 19.632, "googlenet.torchvision": 1.498,
                   "resnet18.torchvision": 1.814, "resnet34.torchvision": 3.664, "resnet50.torchvision": 4.089,
                   "resnet101.torchvision": 7.801, "resnet152.torchvision": 11.514}


@pytest.mark.parametrize("name,gflops", TORCHVISION_OPS.items())
def test_torchvision_published_gflops(name, gflops):
    digits = len(str(gflops).split(".")[1])
    assert round(analyze(name).totals.macs / 1e9, digits) == gflops


@pytest.mark.parametrize("depth,table1", [(18, 1.8), (34, 3.6), (50, 3.8), (101, 7.6), (152, 11.3)])
def test_resnet_table1_flops_within_its_precision(depth, table1):
    # He et al. 2015, Table 1 "FLOPs" 1.8/3.6/3.8/7.6/11.3 x 10^9 (multiply-adds), one decimal
    assert abs(analyze(f"resnet{depth}").totals.macs / 1e9 - table1) < 0.1


@pytest.mark.parametrize("name,field,layer", [("vgg16", 212, "features"), ("alexnet", 195, "features"),
                                              ("resnet50", 483, "layer4"), ("resnet101", 1027, "layer4"),
                                              ("resnet152", 1507, "layer4")])
def test_published_receptive_fields(name, field, layer):
    # google-research/receptive_field README: alexnet_v2 195, vgg_16 212,
    # resnet_v1_50 483, resnet_v1_101 1027, resnet_v1_152 1507 (final feature map)
    assert analyze(name).layer(layer).receptive_field.size == (field, field)


def test_feature_centres():
    # google-research/receptive_field README: vgg_16 effective padding 90 with field 212, and feature
    # x is centred on -padding + x * stride + (field - 1) / 2, so feature 0 on -90 + 105.5 = 15.5.
    # (TF-slim's VGG pads like PyTorch's: 3x3 'SAME' stride-1 convolutions, 2x2 'VALID' pools.)
    assert analyze("vgg16").layer("features").receptive_field.start == (15.5, 15.5)
    # By hand for PyTorch's ResNet-50: every stride-2 layer has an odd kernel k padded by (k - 1) / 2
    # (7x7 p3, 3x3 max pool p1, 1x1 p0 shortcut and stride-carrying 1x1), so each keeps feature 0 on
    # pixel 0. (TF-slim's resnet_v1_50 pads its max pool on the far side only: its published padding
    # 239 puts feature 0 on -239 + 241 = 2, not 0.)
    assert analyze("resnet50").layer("layer4").receptive_field.start == (0.0, 0.0)
    # The 2x2 average pool of LeNet: 28x28 input, C1 5x5 pad 2 (centre 0), S2 2x2 stride 2 (+0.5),
    # C3 5x5 at jump 2 (+2 * 2 = 4), S4 2x2 at jump 2 (+0.5 * 2 = 1): 5.5
    lenet = analyze("lenet.d2l")
    assert lenet.layer("4").receptive_field.start == (4.5, 4.5) and lenet.layer("5").receptive_field.start == (5.5, 5.5)


def test_torchvision_resnet50_receptive_field_by_hand():
    # stride in the 3x3 (v1.5): 7 -> pool 11 (jump 4) -> layer1 +3*8 = 35 -> layer2 first 3x3 at jump 4: +8 = 43,
    # jump 8, +3*16 = 91 -> layer3 +16 = 107, jump 16, +5*32 = 267 -> layer4 +32 = 299, jump 32, +2*64 = 427
    assert analyze("resnet50.torchvision").layer("layer4").receptive_field.size == (427, 427)
