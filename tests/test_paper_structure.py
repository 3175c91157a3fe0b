"""Structure against the papers' tables and the articles' printed shapes."""

import pytest
import torch
from helpers import n_params, output_shapes
from torch import nn

from archscope.zoo import get_model

# ---- LeNet-5 (LeCun et al. 1998, Sec. II-B) -----------------------------------

def test_lenet5_per_layer_trainable_parameters_equal_the_paper():
    m = get_model("lenet5", device="meta")
    # Sec. II-B: C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164 trainable parameters
    paper = {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}
    assert {k: n_params(getattr(m, k), trainable=True) for k in paper} == paper
    assert n_params(m, trainable=True) == 60_000
    # the output RBF: 10 prototypes of 84 values, fixed
    assert n_params(m.output, trainable=False) == 840 and n_params(m.output, trainable=True) == 0


def test_lenet5_feature_map_sizes():
    m = get_model("lenet5", device="meta")
    layers = [m.c1, m.s2, m.c3, m.s4, m.c5, m.f6, m.output]
    got = output_shapes(m, layers, torch.empty(1, 1, 32, 32, device="meta"))
    # Sec. II-B: C1 6@28x28, S2 6@14x14, C3 16@10x10, S4 16@5x5, C5 120@1x1, F6 84, output 10
    assert got == [(1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 5, 5), (1, 120, 1, 1), (1, 84), (1, 10)]


# Table I of the paper, transcribed row by row: which S2 maps (rows) feed
# which C3 maps (columns).
TABLE_I = [
    "X...XXX..XXXX.XX",
    "XX...XXX..XXXX.X",
    "XXX...XXX..X.XXX",
    ".XXX..XXXX..X.XX",
    "..XXX..XXXX.XX.X",
    "...XXX..XXXX.XXX",
]


def test_lenet5_c3_connections_equal_table_i():
    torch.manual_seed(0)
    c3 = get_model("lenet5").c3
    base = c3(torch.zeros(1, 6, 14, 14))
    for row, line in enumerate(TABLE_I):
        x = torch.zeros(1, 6, 14, 14)
        x[0, row] = 1.0  # excite one S2 map and see which C3 maps respond
        responds = (c3(x) - base).abs().sum(dim=(0, 2, 3)) > 0
        assert "".join("X" if r else "." for r in responds.tolist()) == line, f"S2 map {row}"


def test_lenet5_prototypes_are_fixed_plus_minus_one_bitmaps():
    w = get_model("lenet5").output.weight
    assert w.shape == (10, 84) and not w.requires_grad
    assert set(w.unique().tolist()) == {-1.0, 1.0}
    assert len({tuple(r) for r in w.tolist()}) == 10  # one distinct code per digit


def test_lenet_d2l_shapes_as_article_002_prints_them():
    m = get_model("lenet.d2l", device="meta")
    # article 002's printout: Conv2d (1,6,28,28), AvgPool2d (1,6,14,14), Conv2d (1,16,10,10),
    # AvgPool2d (1,16,5,5), Flatten (1,400), Linear (1,120), (1,84), (1,10)
    picks = [m[0], m[2], m[3], m[5], m[6], m[7], m[9], m[11]]
    got = output_shapes(m, picks, torch.empty(1, 1, 28, 28, device="meta"))
    assert got == [(1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 5, 5), (1, 400), (1, 120), (1, 84),
                   (1, 10)]


def test_lenet_d2l_knobs():
    m = get_model("lenet.d2l", activation="relu", pool="max", device="meta")
    assert isinstance(m[1], nn.ReLU) and isinstance(m[2], nn.MaxPool2d)


def test_lenet_d2l_activation_knob_changes_only_the_convolutions():
    # article 002, line 760 (Table 5's set-up): "do not modify F6's sigmoid, change only the
    # convolution layers' activation"; the dense layers have their own knob
    m = get_model("lenet.d2l", activation="relu", device="meta")
    acts = [type(l) for l in m if isinstance(l, (nn.ReLU, nn.Sigmoid))]
    assert acts == [nn.ReLU, nn.ReLU, nn.Sigmoid, nn.Sigmoid]
    m = get_model("lenet.d2l", activation="relu", dense_activation="relu", device="meta")
    assert [type(l) for l in m if isinstance(l, (nn.ReLU, nn.Sigmoid))] == [nn.ReLU] * 4
    # the other reading: the paper's C5 (d2l's first dense layer) is a convolution too; F6 keeps its sigmoid
    m = get_model("lenet.d2l", activation="relu", c5_activation="relu", device="meta")
    assert [type(l) for l in m if isinstance(l, (nn.ReLU, nn.Sigmoid))] == [nn.ReLU] * 3 + [nn.Sigmoid]


# ---- AlexNet (Fig. 2) -----------------------------------------------------------

def test_alexnet_paper_map_sizes():
    m = get_model("alexnet", device="meta")
    convs = [l for l in m.features if isinstance(l, nn.Conv2d)]
    got = output_shapes(m, convs, torch.empty(1, 3, 227, 227, device="meta"))
    # Fig. 2 (both towers together): 55x55x96, 27x27x256, 13x13x384, 13x13x384, 13x13x256
    assert got == [(1, 96, 55, 55), (1, 256, 27, 27), (1, 384, 13, 13), (1, 384, 13, 13), (1, 256, 13, 13)]
    # conv2, conv4 and conv5 are split over the two GPUs (Sec. 3.5)
    assert [c.groups for c in convs] == [1, 2, 1, 2, 2]


def test_alexnet_tutorial_conv1_gives_54_not_55():
    m = get_model("alexnet.tutorial", device="meta")
    (shape,) = output_shapes(m, [m[0]], torch.empty(1, 3, 224, 224, device="meta"))
    assert shape == (1, 96, 54, 54)  # floor((224 - 11) / 4) + 1


# ---- GoogLeNet (Table 1) ----------------------------------------------------------

# Table 1 "output size" of each Inception module at 224x224
TABLE1_OUTPUTS = {"3a": (256, 28), "3b": (480, 28), "4a": (512, 14), "4b": (512, 14), "4c": (512, 14),
                  "4d": (528, 14), "4e": (832, 14), "5a": (832, 7), "5b": (1024, 7)}


@pytest.mark.parametrize("name", ["googlenet", "googlenet.torchvision", "googlenet.tutorial"])
def test_googlenet_inception_outputs_follow_table1(name):
    m = get_model(name, device="meta")
    mods = [getattr(m, f"inception{k}") for k in TABLE1_OUTPUTS]
    got = output_shapes(m, mods, torch.empty(1, 3, 224, 224, device="meta"))
    assert got == [(1, c, s, s) for c, s in TABLE1_OUTPUTS.values()]


def test_googlenet_branch_kernels():
    # The paper's third branch is 5x5; torchvision's is 3x3; article 000 wrote (1,1).
    def k5(name):
        conv = [l for l in get_model(name, device="meta").inception3a.branch3.modules() if isinstance(l, nn.Conv2d)]
        return conv[-1].kernel_size
    assert k5("googlenet") == (5, 5)
    assert k5("googlenet.torchvision") == (3, 3)
    assert k5("googlenet.tutorial") == (1, 1)


def test_googlenet_aux_classifiers_are_optional_and_separate():
    base = n_params(get_model("googlenet", device="meta"))
    m = get_model("googlenet", aux_logits=True, device="meta")
    aux = n_params(m.aux1) + n_params(m.aux2)
    assert n_params(m) == base + aux
    # Sec. 5: 1x1 conv 128, FC 1024, FC 1000 on 512 (4a) and 528 (4d) channels
    assert n_params(m.aux1) == (512 * 128 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000)
    out = m.train()(torch.empty(2, 3, 224, 224, device="meta"))
    assert [tuple(o.shape) for o in out] == [(2, 1000)] * 3


# ---- ResNet (Table 1 and the MXNet article's printout) ---------------------------

@pytest.mark.parametrize("name", ["resnet50", "resnet50.torchvision", "resnet50.keras", "resnet18"])
def test_resnet_stage_sizes_table1(name):
    m = get_model(name, device="meta")
    mods = [m.stem, m.layer1, m.layer2, m.layer3, m.layer4]
    got = output_shapes(m, mods, torch.empty(1, 3, 224, 224, device="meta"))
    # Table 1 output sizes: conv1 112 (then pool 56), conv2_x 56, conv3_x 28, conv4_x 14, conv5_x 7
    c = 4 if name.startswith("resnet50") else 1
    assert got == [(1, 64, 56, 56), (1, 64 * c, 56, 56), (1, 128 * c, 28, 28), (1, 256 * c, 14, 14),
                   (1, 512 * c, 7, 7)]


def test_resnet50_block_sequence():
    # article 004: CONVBLOCK-IDBLOCK x2, CONVBLOCK-IDBLOCK x3, CONVBLOCK-IDBLOCK x5, CONVBLOCK-IDBLOCK x2
    m = get_model("resnet50", device="meta")
    seq = [[type(b.shortcut).__name__ for b in stage] for stage in (m.layer1, m.layer2, m.layer3, m.layer4)]
    assert seq == [["Sequential"] + ["Identity"] * n for n in (2, 3, 5, 2)]


def test_resnet_stride_placement():
    paper = get_model("resnet50", device="meta").layer2[0]
    tv = get_model("resnet50.torchvision", device="meta").layer2[0]
    assert (paper.conv1.stride, paper.conv2.stride) == ((2, 2), (1, 1))
    assert (tv.conv1.stride, tv.conv2.stride) == ((1, 1), (2, 2))


def test_resnet18_d2l_shapes_as_article_001_prints_them():
    m = get_model("resnet18.d2l", device="meta")
    mods = [m.stem[0], m.stem[1], m.stem[2], m.stem[3], m.layer1, m.layer2, m.layer3, m.layer4, m.avgpool, m.fc]
    got = output_shapes(m, mods, torch.empty(1, 1, 224, 224, device="meta"))
    # article 001: conv5 (1,64,112,112), batchnorm4 same, relu0 same, pool0 (1,64,56,56),
    # sequential1..4 (1,64,56,56) (1,128,28,28) (1,256,14,14) (1,512,7,7), pool1 (1,512,1,1), dense0 (1,10)
    assert got == [(1, 64, 112, 112)] * 3 + [(1, 64, 56, 56), (1, 64, 56, 56), (1, 128, 28, 28), (1, 256, 14, 14),
                                              (1, 512, 7, 7), (1, 512, 1, 1), (1, 10)]


def test_resnet34_tutorial_quirks():
    m = get_model("resnet34.tutorial", device="meta")
    blocks = [b for b in m if type(b).__name__ == "_TutorialBlock"]
    assert len(blocks) == 16  # 3 + 4 + 6 + 3
    projections = [b.shortcut for b in blocks if not isinstance(b.shortcut, nn.Identity)]
    kernels = {c.kernel_size for p in projections for c in p.modules() if isinstance(c, nn.Conv2d)}
    assert len(projections) == 3 and kernels == {(3, 3)}  # 3x3 projection, not 1x1


def test_cifar_depth_rules():
    # 6n+2 for v1: 3 stages of n two-layer blocks + first conv + FC
    for depth in (20, 32, 44, 56, 110):
        m = get_model(f"resnet{depth}", device="meta")
        weighted = [l for l in m.modules() if isinstance(l, (nn.Conv2d, nn.Linear))]
        assert len(weighted) == depth
    # 9n+2 for v2: 3 stages of n three-layer bottlenecks + first conv + FC (projections not counted)
    m = get_model("preresnet164", device="meta")
    weighted = [l for name, l in m.named_modules()
                if isinstance(l, (nn.Conv2d, nn.Linear)) and "shortcut" not in name]
    assert len(weighted) == 164


def test_vgg16_tutorial_has_the_3x2_kernel():
    m = get_model("vgg16.tutorial", device="meta")
    kernels = [l.kernel_size for l in m.modules() if isinstance(l, nn.Conv2d)]
    assert kernels[2] == (3, 2) and kernels.count((3, 3)) == 12
