"""LeNet-1 and LeNet-4 (LeCun et al. 1998, Sec. III-C.7 and III-C.8) against
hand computations written out here and the paper's words.

The paper describes both networks in a sentence each; every expected figure
below is recomputed by hand from that description (and, for LeNet-1's
layers, LeCun et al. 1990), so a change to the builders that alters a layer
fails here."""

import pytest
import torch
from helpers import n_params

from archscope.analysis import analyze
from archscope.zoo import get_model
from archscope.zoo.lenet import H3_TABLE


def test_lenet1_parameters_by_hand():
    # H1: 4 maps x (5x5 + bias) = 104; H2: 4 x (coefficient + bias) = 8;
    # H3: 20 map links x 25 + 12 biases = 512; H4: 12 x 2 = 24; output: 12*4*4*10 + 10 = 1,930
    assert sum(len(r) for r in H3_TABLE) == 20 and len(H3_TABLE) == 12
    assert n_params(get_model("lenet1", device="meta")) == 104 + 8 + 512 + 24 + 1930 == 2578
    # fully connected H3: 12 x (4 x 25 + 1) = 1,212 instead of 512
    assert n_params(get_model("lenet1", h3="full", device="meta")) == 104 + 8 + 1212 + 24 + 1930


def test_lenet1_multiply_adds_by_hand():
    # H1 4*24*24*25 = 57,600; H3 8*8 positions x 20 links x 25 = 32,000; output 192*10 = 1,920
    assert analyze("lenet1").totals.macs == 57_600 + 32_000 + 1_920
    assert analyze(get_model("lenet1", h3="full", device="meta"), (1, 28, 28)).totals.macs == 57_600 + 76_800 + 1_920


def test_lenet1_layer_shapes():
    # LeCun et al. 1990 (the 1998 paper's LeNet-1): H1 4@24x24, H2 4@12x12, H3 12@8x8, H4 12@4x4, 10 outputs
    a = analyze("lenet1")
    assert [a.layer(n).output_shape[1:] for n in ("h1", "h2", "h3", "h4", "output")] == \
        [[4, 24, 24], [4, 12, 12], [12, 8, 8], [12, 4, 4], [10]]


def test_lenet4_parameters_and_shapes_by_hand():
    # Sec. III-C.8: C1 4 maps, S2 8 maps (two per C1 map), C3 16 maps, S4 16 maps, 120 units, 10 outputs.
    # C1 4*26 = 104; S2 8*2 = 16; C3 16*(8*25+1) = 3,216; S4 16*2 = 32; F5 400*120+120 = 48,120; out 1,210
    assert n_params(get_model("lenet4", device="meta")) == 104 + 16 + 3216 + 32 + 48_120 + 1210 == 52_698
    a = analyze("lenet4")
    assert [a.layer(n).output_shape[1:] for n in ("c1", "s2", "c3", "s4", "f5", "output")] == \
        [[4, 28, 28], [8, 14, 14], [16, 10, 10], [16, 5, 5], [120], [10]]


def test_lenet4_s2_pairs_read_one_c1_map_each():
    # "8 subsampling maps connected in pairs to each first-layer feature map": S2 maps 2i and 2i+1 both
    # subsample C1 map i
    m = get_model("lenet4").eval()
    seen = {}
    m.s2.register_forward_hook(lambda mod, inp, out: seen.update({"in": inp[0]}))  # hooks return None
    m.c1.register_forward_hook(lambda mod, inp, out: seen.update({"c1": out}))
    m(torch.randn(2, 1, 32, 32))
    c1 = m.act1(seen["c1"])
    for i in range(4):
        assert torch.equal(seen["in"][:, 2 * i], c1[:, i]) and torch.equal(seen["in"][:, 2 * i + 1], c1[:, i])


@pytest.mark.parametrize("name", ["lenet1", "lenet4"])
def test_early_lenets_learn_a_batch(name):
    # a real forward and backward pass: the builders are networks, not just shapes
    torch.manual_seed(0)
    m = get_model(name)
    size = 28 if name == "lenet1" else 32
    x, y = torch.randn(16, 1, size, size), torch.randint(0, 10, (16,))
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    first = None
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(m(x), y)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
