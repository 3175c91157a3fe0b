"""SqueezeNet, MobileNet v1/v2 and DenseNet against figures published outside
this code: the papers' tables, torchvision's weight metadata, and hand
computations written out below. Everything builds on meta."""

import itertools

import pytest
import torch
from helpers import n_params, output_shapes

from archscope.analysis import analyze
from archscope.errors import ArchscopeError
from archscope.zoo import get_model, model_info

# torchvision <Model>_Weights.IMAGENET1K_V1.meta["num_params"] and ["_ops"] (GFLOPS, counted as multiply-adds)
TORCHVISION = {
    "squeezenet1_0.torchvision": (1_248_424, 0.819),
    "squeezenet1_1.torchvision": (1_235_496, 0.349),
    "mobilenet_v2.torchvision": (3_504_872, 0.301),
    "densenet121.torchvision": (7_978_856, 2.834),
    "densenet169.torchvision": (14_149_480, 3.36),
    "densenet201.torchvision": (20_013_928, 4.291),
}


def _meta(name):
    return get_model(name, device="meta")


@pytest.mark.parametrize("name,published", TORCHVISION.items())
def test_torchvision_num_params(name, published):
    assert n_params(_meta(name)) == published[0]


@pytest.mark.parametrize("name,published", TORCHVISION.items())
def test_torchvision_published_gflops(name, published):
    gflops = published[1]
    digits = len(str(gflops).split(".")[1])
    assert round(analyze(name, training_memory=False).totals.macs / 1e9, digits) == gflops


def test_densenet_torchvision_is_an_alias_of_the_paper_entry():
    # torchvision's DenseNet is Table 1's DenseNet-BC layer for layer: one entry, two names
    assert model_info("densenet121.torchvision").name == "densenet121"


def test_squeezenet_table1_params_per_layer():
    # Iandola et al. 2016, Table 1, '#parameter before pruning'; by hand, fire2 = (96*16 + 16) + (16*64 + 64)
    # + (16*64*9 + 64) = 1,552 + 1,088 + 9,280 = 11,920
    m = _meta("squeezenet1_0")
    table1 = [14_208, 11_920, 12_432, 45_344, 49_440, 104_880, 111_024, 188_992, 197_184, 513_000]
    layers = [m.features.conv1, *[getattr(m.features, f"fire{i}") for i in range(2, 10)], m.classifier.conv10]
    assert [n_params(x) for x in layers] == table1
    assert sum(table1) == 1_248_424 == n_params(m)


def test_squeezenet_table1_shapes_at_227():
    # Table 1 output sizes; conv1 7x7/2 unpadded: (227 - 7) / 2 + 1 = 111; pools 3x3/2: 55, 27, 13
    m = _meta("squeezenet1_0")
    f = m.features
    got = output_shapes(m, [f.conv1, f.pool1, f.fire4, f.pool4, f.fire8, f.pool8, f.fire9, m.classifier.conv10],
                        torch.empty(1, 3, 227, 227, device="meta"))
    assert [s[1:] for s in got] == [(96, 111, 111), (96, 55, 55), (256, 55, 55), (256, 27, 27), (512, 27, 27),
                                    (512, 13, 13), (512, 13, 13), (1000, 13, 13)]


def test_squeezenet_v11_readme_layout():
    # SqueezeNet_v1.1/README.md: conv1 "64 filters of resolution 3x3"; pooling after conv1, fire3, fire5.
    # At 227 with Caffe's rounded-up pools: (227 - 3) / 2 + 1 = 113 -> ceil(110 / 2) + 1 = 56 -> 28 -> 14
    m = _meta("squeezenet1_1")
    f = m.features
    assert (f.conv1.out_channels, f.conv1.kernel_size) == (64, (3, 3))
    got = output_shapes(m, [f.pool1, f.pool3, f.pool5], torch.empty(1, 3, 227, 227, device="meta"))
    assert [s[2:] for s in got] == [(56, 56), (28, 28), (14, 14)]


def test_mobilenet_v1_table6_params_and_madds():
    # Howard et al. 2017, Table 6: (million mult-adds, million parameters) at 224; the table prints whole
    # millions of mult-adds (some truncated) and tenths of millions of parameters
    table6 = {"mobilenet_v1": (569, 4.2), "mobilenet_v1_075": (325, 2.6), "mobilenet_v1_050": (149, 1.3),
              "mobilenet_v1_025": (41, 0.5)}
    for name, (madds, mparams) in table6.items():
        assert abs(analyze(name, training_memory=False).totals.macs / 1e6 - madds) < 1, name
        assert round(n_params(_meta(name)) / 1e6, 1) == mparams, name


def test_mobilenet_v1_params_by_hand():
    # Table 1 by hand: conv1 3*3*3*32 + BN 2*32 = 928; a separable layer c -> o costs 9c + 2c (depthwise + BN)
    # plus c*o + 2o (pointwise + BN); FC 1024*1000 + 1000
    widths = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    total = 3 * 9 * 32 + 2 * 32
    for c, o in itertools.pairwise(widths):
        total += 9 * c + 2 * c + c * o + 2 * o
    total += 1024 * 1000 + 1000
    assert total == 4_231_976
    assert n_params(_meta("mobilenet_v1")) == total


def test_mobilenet_v1_table1_shapes():
    # Table 1 input sizes of the next row: 112x112x64, 56x56x128, 28x28x256, 14x14x512, 7x7x1024 (the last
    # depthwise layer keeps 7x7: the table's "s2" there cannot give its own next row's 7x7x1024)
    m = _meta("mobilenet_v1")
    f = m.features
    got = output_shapes(m, [f.conv1, f.sep2, f.sep3, f.sep5, f.sep7, f.sep13, f.sep14],
                        torch.empty(1, 3, 224, 224, device="meta"))
    assert [s[1:] for s in got] == [(32, 112, 112), (64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14),
                                    (1024, 7, 7), (1024, 7, 7)]


def test_mobilenet_v1_depthwise_is_grouped():
    dw = _meta("mobilenet_v1").features.sep2.depthwise[0]
    assert dw.groups == dw.in_channels == dw.out_channels == 32


def test_mobilenet_v1_width_multiplier_knob():
    # Sec. 3.3: alpha thins every layer; alpha = 0.5 halves conv1 (32 -> 16) and the last layer (1024 -> 512)
    m = get_model("mobilenet_v1", device="meta", alpha=0.5)
    assert m.features.conv1[0].out_channels == 16 and m.fc.in_features == 512
    assert n_params(m) == n_params(_meta("mobilenet_v1_050"))
    with pytest.raises(ArchscopeError):
        get_model("mobilenet_v1_050", device="meta", alpha=0.75)  # the variant pins alpha
    with pytest.raises(ArchscopeError):
        get_model("mobilenet_v1", device="meta", alpha=1.5)  # Sec. 3.3: alpha in (0, 1]


def test_mobilenet_v1_resolution_table7():
    # Table 7: 418 / 290 / 186 million mult-adds at 192 / 160 / 128 (whole millions, some truncated)
    for side, madds in ((192, 418), (160, 290), (128, 186)):
        assert abs(analyze("mobilenet_v1", (3, side, side), training_memory=False).totals.macs / 1e6 - madds) < 1


def test_mobilenet_v1_table3_layer():
    # Table 3 for D_K = 3, M = N = 512, D_F = 14, by hand: full conv 3*3*512*512*14*14 = 462,422,016 mult-adds;
    # separable 14*14*(3*3*512 + 512*512) = 52,283,392
    conv = analyze("mobilenet_v1_conv", training_memory=False).layer("features.sep8")
    sep = analyze("mobilenet_v1", training_memory=False).layer("features.sep8")
    assert conv.macs == 3 * 3 * 512 * 512 * 14 * 14 == 462_422_016
    assert sep.macs == 14 * 14 * (3 * 3 * 512 + 512 * 512) == 52_283_392


def test_mobilenet_v2_table2_shapes():
    # Sandler et al. 2018, Table 2, input column of the next row: 112^2x16, 56^2x24, 28^2x32, 14^2x64, 14^2x96,
    # 7^2x160, 7^2x320, then 7^2x1280
    for name in ("mobilenet_v2", "mobilenet_v2.torchvision"):
        m = _meta(name)
        f = m.features
        mods = [f.block1, f.block3, f.block6, f.block10, f.block13, f.block16, f.block17, f.conv_last]
        got = output_shapes(m, mods, torch.empty(1, 3, 224, 224, device="meta"))
        assert [s[1:] for s in got] == [(16, 112, 112), (24, 56, 56), (32, 28, 28), (64, 14, 14), (96, 14, 14),
                                        (160, 7, 7), (320, 7, 7), (1280, 7, 7)], name


def test_mobilenet_v2_residuals_and_expansion():
    # Table 2: 17 bottlenecks; a residual where stride is 1 and c_in == c_out, i.e. every block of a row but its
    # first (the (6, 96, 3, 1) row's first changes 64 -> 96 maps), by hand 1 + 2 + 3 + 2 + 2 = 10;
    # Sec. 4's example: a 64-map input expands to 64 * 6 = 384 maps
    blocks = [b for n, b in _meta("mobilenet_v2").features.named_children() if n.startswith("block")]
    assert len(blocks) == 17
    assert sum(b.use_residual for b in blocks) == 10
    first_64 = blocks[7]  # the second block of the (6, 64, 4, 2) row takes 64 maps
    assert first_64.conv.expand[0].out_channels == 384


def test_mobilenet_v2_paper_equals_torchvision_counts():
    # the paper's 1x1-conv classifier and torchvision's Linear hold the same 1280*1000 + 1000 parameters
    a = analyze("mobilenet_v2", training_memory=False).totals
    b = analyze("mobilenet_v2.torchvision", training_memory=False).totals
    assert (a.params, a.macs) == (b.params, b.macs)


def test_mobilenet_v2_width_multiplier_knob():
    # Sec. 4: below 1 the last 1x1 convolution keeps 1280 maps; above 1 it scales (1.4 * 1280 = 1792)
    assert get_model("mobilenet_v2", device="meta", width_mult=0.5).features.conv_last[0].out_channels == 1280
    assert _meta("mobilenet_v2_140").features.conv_last[0].out_channels == 1792


@pytest.mark.parametrize("depth,blocks", [(121, (6, 12, 24, 16)), (169, (6, 12, 32, 32)), (201, (6, 12, 48, 32))])
def test_densenet_table1_depth_and_channels(depth, blocks):
    # Table 1: depth = 7x7 conv + 2 per dense layer + 3 transitions + FC; channels by hand from Sec. 3: 2k = 64
    # in, + 32 per layer, halved by each transition
    assert analyze(f"densenet{depth}", training_memory=False).totals.depth == 1 + 2 * sum(blocks) + 3 + 1 == depth
    c = 64
    for i, n in enumerate(blocks):
        c += 32 * n
        if i < 3:
            c //= 2
    assert _meta(f"densenet{depth}").classifier.in_features == c


def test_densenet121_table1_shapes():
    # Table 1 output sizes 112, 56, 56, 28, 28, 14, 14, 7, 7; channels by hand as above
    m = _meta("densenet121")
    f = m.features
    mods = [f.conv0, f.pool0, f.denseblock1, f.transition1, f.denseblock2, f.transition2, f.denseblock3,
            f.transition3, f.denseblock4]
    got = output_shapes(m, mods, torch.empty(1, 3, 224, 224, device="meta"))
    assert [s[1:] for s in got] == [(64, 112, 112), (64, 56, 56), (256, 56, 56), (128, 28, 28), (512, 28, 28),
                                    (256, 14, 14), (1024, 14, 14), (512, 7, 7), (1024, 7, 7)]


def test_densenet_concatenation_is_traced():
    # every dense layer reads a torch.cat of the earlier maps: the trace records cat (zero cost) and leaves no
    # op uncounted; the first dense layer of block 1 reads 64 maps, its last one 64 + 5*32 = 224
    a = analyze("densenet121", training_memory=False)
    assert a.uncounted_ops == {}
    assert a.layer("features.denseblock1.layers.0.conv1").input_shape[1] == 64
    assert a.layer("features.denseblock1.layers.5.conv1").input_shape[1] == 224


@pytest.mark.parametrize("name", ["squeezenet1_0", "squeezenet1_1.torchvision", "mobilenet_v1", "mobilenet_v2",
                                  "densenet121"])
def test_builds_on_meta_at_default_input(name):
    info = model_info(name)
    m = get_model(name, device="meta")
    assert all(p.is_meta for p in m.parameters())
    assert tuple(m(torch.empty(2, *info.input_shape, device="meta")).shape) == (2, 1000)
