"""Inception v2 (BN-Inception) and v3 against their papers' tables,
torchvision's published metadata and counts written out by hand here."""

import pytest
import torch
from helpers import n_params, output_shapes

from archscope.analysis import analyze
from archscope.zoo import get_model, model_info

# torchvision/models/inception.py, Inception_V3_Weights.IMAGENET1K_V1.meta: "num_params": 27161264 (the
# checkpoint holds the AuxLogits head, so the count does) and "_ops": 5.713 (GFLOPS as multiply-adds).
TV_NUM_PARAMS = 27_161_264
TV_GFLOPS = 5.713

# torchvision's InceptionAux by hand: conv0 1x1 768 -> 128 + BN (2 x 128); conv1 5x5 128 -> 768 + BN
# (2 x 768); fc 768 -> 1000 with bias.
TV_AUX = (768 * 128 + 2 * 128) + (128 * 768 * 25 + 2 * 768) + (768 * 1000 + 1000)


def test_aux_head_by_hand():
    assert TV_AUX == 98_560 + 2_459_136 + 769_000 == 3_326_696


def test_torchvision_num_params_with_its_aux_head():
    assert n_params(get_model("inception_v3.torchvision", aux_logits=True, device="meta")) == TV_NUM_PARAMS


def test_torchvision_default_leaves_the_aux_head_out():
    assert n_params(get_model("inception_v3.torchvision", device="meta")) == TV_NUM_PARAMS - TV_AUX == 23_834_568


def test_torchvision_published_gflops():
    # torchvision measures _ops in eval mode: the auxiliary head does not run
    assert round(analyze("inception_v3.torchvision").totals.macs / 1e9, 3) == TV_GFLOPS


def test_torchvision_module_params_by_hand():
    m = get_model("inception_v3.torchvision", device="meta")
    # InceptionA(192, pool_features=32): 1x1 64 | 1x1 48 > 5x5 64 | 1x1 64 > 3x3 96 > 3x3 96 | pool > 1x1 32,
    # each conv bias-free with BN (2 per map)
    mixed_5b = ((192 * 64 + 128) + (192 * 48 + 96 + 48 * 64 * 25 + 128)
                + (192 * 64 + 128 + 64 * 96 * 9 + 192 + 96 * 96 * 9 + 192) + (192 * 32 + 64))
    assert n_params(m.Mixed_5b) == mixed_5b == 255_904
    # InceptionE(2048): 1x1 320 | 1x1 384 > (1x3 384, 3x1 384) | 1x1 448 > 3x3 384 > (1x3, 3x1) | pool > 1x1 192
    mixed_7c = ((2048 * 320 + 640) + (2048 * 384 + 768 + 2 * (384 * 384 * 3 + 768))
                + (2048 * 448 + 896 + 448 * 384 * 9 + 768 + 2 * (384 * 384 * 3 + 768)) + (2048 * 192 + 384))
    assert n_params(m.Mixed_7c) == mixed_7c


def test_torchvision_stem_shapes():
    # torchvision's own shape comments in Inception3._forward: 149x149x32, 147x147x32, 147x147x64, 73x73x64,
    # 73x73x80, 71x71x192, 35x35x192, then 256, 288, 288 at 35x35, 768 at 17x17, 1280 and 2048 at 8x8
    m = get_model("inception_v3.torchvision", device="meta")
    s = m.stem
    mods = [s.Conv2d_1a_3x3, s.Conv2d_2a_3x3, s.Conv2d_2b_3x3, s.maxpool1, s.Conv2d_3b_1x1, s.Conv2d_4a_3x3,
            s.maxpool2, m.Mixed_5b, m.Mixed_5c, m.Mixed_5d, m.Mixed_6a, m.Mixed_6e, m.Mixed_7a, m.Mixed_7c]
    got = output_shapes(m, mods, torch.empty(1, 3, 299, 299, device="meta"))
    assert [g[1:] for g in got] == [(32, 149, 149), (32, 147, 147), (64, 147, 147), (64, 73, 73), (80, 73, 73),
                                    (192, 71, 71), (192, 35, 35), (256, 35, 35), (288, 35, 35), (288, 35, 35),
                                    (768, 17, 17), (768, 17, 17), (1280, 8, 8), (2048, 8, 8)]


def test_v3_follows_table1_sizes():
    # Szegedy et al. 2015, Table 1, 'input size' column: each row's input is the previous row's output
    m = get_model("inception_v3", device="meta")
    s = m.stem
    mods = [s.conv1, s.conv2, s.conv3, s.pool1, s.conv4, s.conv5, s.conv6, m.Mixed_5d, m.Mixed_6a, m.Mixed_6f,
            m.Mixed_7a, m.Mixed_7c, m.head.pool]
    got = output_shapes(m, mods, torch.empty(1, 3, 299, 299, device="meta"))
    assert [g[1:] for g in got] == [(32, 149, 149), (32, 147, 147), (64, 147, 147), (64, 73, 73), (80, 71, 71),
                                    (192, 35, 35), (288, 35, 35), (288, 35, 35), (768, 17, 17), (768, 17, 17),
                                    (1280, 8, 8), (2048, 8, 8), (2048, 1, 1)]


def test_v3_module_counts_follow_table1():
    # Table 1: 3 x Inception (Fig. 5) at 35x35, 5 x Inception (Fig. 6) at 17x17, 2 x Inception (Fig. 7) at 8x8,
    # with a grid reduction (Sec. 5) between the groups
    names = [n for n, _ in get_model("inception_v3", device="meta").named_children() if n.startswith("Mixed")]
    assert names == ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                     "Mixed_6e", "Mixed_6f", "Mixed_7a", "Mixed_7b", "Mixed_7c"]


def test_v3_35x35_conv_is_padded_to_give_table1s_size():
    # Table 1's caption says unmarked layers are unpadded, yet the 3x3/1 conv on 35x35x192 must give 35x35x288:
    # unpadded it would give 35 - 3 + 1 = 33
    conv = get_model("inception_v3", device="meta").stem.conv6.conv
    assert (conv.kernel_size, conv.stride, conv.padding, conv.out_channels) == ((3, 3), (1, 1), (1, 1), 288)


def test_v3_fig5_module_by_hand():
    # Fig. 5 with the released widths on 288 maps: 1x1 64 | 1x1 48 > 3x3 64 | 1x1 64 > 3x3 96 > 3x3 96 |
    # avg pool > 1x1 64 (Sec. 6: 288 filters each), BN after every conv
    m = get_model("inception_v3", device="meta")
    by_hand = ((288 * 64 + 128) + (288 * 48 + 96 + 48 * 64 * 9 + 128)
               + (288 * 64 + 128 + 64 * 96 * 9 + 192 + 96 * 96 * 9 + 192) + (288 * 64 + 128))
    assert n_params(m.Mixed_5b) == by_hand == 236_000
    # no kernel larger than 3 in a Fig. 5 module (the released InceptionA keeps a 5x5)
    assert max(max(c.kernel_size) for c in m.Mixed_5b.modules() if isinstance(c, torch.nn.Conv2d)) == 3


def test_v3_35x35_conv_macs_by_hand():
    # 35 x 35 outputs x 288 maps x (3 x 3 x 192) multiply-adds each
    assert analyze("inception_v3").layer("stem.conv6").macs == 35 * 35 * 288 * 3 * 3 * 192 == 609_638_400


# BN paper (Ioffe & Szegedy 2015), appendix Figure 5, 'output size' column, for the rows whose columns agree
FIG5 = {"stem.conv1": (64, 112, 112), "stem.pool1": (64, 56, 56), "stem.conv2": (192, 56, 56),
        "stem.pool2": (192, 28, 28), "inception3a": (256, 28, 28), "inception3b": (320, 28, 28),
        "inception4a": (576, 14, 14), "inception4b": (576, 14, 14), "inception5a": (1024, 7, 7),
        "inception5b": (1024, 7, 7), "head.pool": (1024, 1, 1)}


def test_bn_inception_follows_figure5_sizes():
    m = get_model("inception_v2", device="meta")
    got = output_shapes(m, [m.get_submodule(n) for n in FIG5], torch.empty(1, 3, 224, 224, device="meta"))
    assert [g[1:] for g in got] == list(FIG5.values())


def test_bn_inception_rows_figure5_misprints():
    # By hand from Figure 5's own columns: 3c (stride 2) makes 160 + 96 + 320 passed through = 576 maps on
    # 14x14 (printed 28x28x576); 4c makes 160 + 160 + 160 + 128 = 608 and 4d 96 + 192 + 192 + 128 = 608
    # (printed 576); 4e (stride 2) makes 192 + 256 + 608 = 1056 on 7x7 (printed 14x14x1024)
    m = get_model("inception_v2", device="meta")
    mods = [m.inception3c, m.inception4c, m.inception4d, m.inception4e]
    got = output_shapes(m, mods, torch.empty(1, 3, 224, 224, device="meta"))
    assert [g[1:] for g in got] == [(576, 14, 14), (608, 14, 14), (608, 14, 14), (1056, 7, 7)]


def test_bn_inception_modules_by_hand():
    m = get_model("inception_v2", device="meta")
    # 3a on 192 maps: 1x1 64 | 1x1 64 > 3x3 64 | 1x1 64 > 3x3 96 > 3x3 96 | avg pool > 1x1 32, BN after each conv
    inc3a = ((192 * 64 + 128) + (192 * 64 + 128 + 64 * 64 * 9 + 128)
             + (192 * 64 + 128 + 64 * 96 * 9 + 192 + 96 * 96 * 9 + 192) + (192 * 32 + 64))
    assert n_params(m.inception3a) == inc3a == 219_072
    # 3c on 320 maps: no 1x1 | 1x1 128 > 3x3/2 160 | 1x1 64 > 3x3 96 > 3x3/2 96 | max pool, passed through
    inc3c = (320 * 128 + 256 + 128 * 160 * 9 + 320) + (320 * 64 + 128 + 64 * 96 * 9 + 192 + 96 * 96 * 9 + 192)
    assert n_params(m.inception3c) == inc3c == 385_088
    # conv1: separable 7x7, depth multiplier 8 (appendix): 3 x 8 depthwise 7x7 kernels, a 1x1 24 -> 64, BN
    assert n_params(m.stem.conv1) == 3 * 8 * 49 + 24 * 64 + 2 * 64 == 2_840


def test_bn_inception_has_no_5x5_and_no_lrn():
    # BN paper Sec. 4.2: the 5x5 convolutions are replaced by two 3x3; Sec. 4.2.1: LRN removed
    m = get_model("inception_v2", device="meta")
    kernels = {c.kernel_size for c in m.modules() if isinstance(c, torch.nn.Conv2d)}
    assert kernels == {(1, 1), (3, 3), (7, 7)}
    assert not any(isinstance(x, torch.nn.LocalResponseNorm) for x in m.modules())


@pytest.mark.parametrize("name", ["inception_v2", "inception_v3", "inception_v3.torchvision"])
def test_builds_on_meta_with_default_input(name):
    info = model_info(name)
    m = get_model(name, device="meta")
    assert all(p.is_meta for p in m.parameters())
    assert info.input_shape == ((3, 224, 224) if name == "inception_v2" else (3, 299, 299))
    assert tuple(m(torch.empty(2, *info.input_shape, device="meta")).shape) == (2, 1000)


@pytest.mark.parametrize("name,after", [("inception_v3", "Mixed_6f"), ("inception_v3.torchvision", "Mixed_6e")])
def test_aux_logits_adds_the_head_in_training_only(name, after):
    base = n_params(get_model(name, device="meta"))
    m = get_model(name, aux_logits=True, device="meta")
    # Rethinking Fig. 8: one auxiliary classifier, on the last 17x17 module; archscope's paper head and
    # torchvision's have the same layers (the paper head without torchvision's no-op adaptive pool)
    assert m.aux_after == after and n_params(m) - base == TV_AUX
    x = torch.empty(2, 3, 299, 299, device="meta")
    logits, aux = m.train()(x)
    assert tuple(logits.shape) == tuple(aux.shape) == (2, 1000)
    assert tuple(m.eval()(x).shape) == (2, 1000)  # eval: logits only, the head does not run


def test_aux_head_does_not_change_the_inference_cost():
    assert analyze(get_model("inception_v3", aux_logits=True, device="meta"), (3, 299, 299)).totals.macs == \
        analyze("inception_v3").totals.macs


def test_inception_modules_draw_as_clusters_of_their_branches():
    from archscope.analysis.graph import build_graph

    g = build_graph(analyze("inception_v3"))
    branches = {n.label for n in g.nodes if n.cluster == "Mixed_7b" and n.kind != "op"}
    assert branches == {"Mixed_7b.branch1", "Mixed_7b.branch2", "Mixed_7b.branch3", "Mixed_7b.branch4"}
