"""Parameter counts against published figures and hand computations.

Every expected number below comes from outside archscope: a library's
published metadata, a paper's table, or arithmetic written out here.
"""

import pytest
from helpers import bn_running_stats, n_params

from archscope.zoo import get_model
from archscope.zoo.resnet_cifar import cifar_preresnet, cifar_resnet

# torchvision's published num_params (models/*.py, <Model>_Weights.IMAGENET1K_V1.meta["num_params"]).
TORCHVISION = {
    "alexnet.torchvision": 61_100_840,
    "vgg11.torchvision": 132_863_336,
    "vgg13.torchvision": 133_047_848,
    "vgg16.torchvision": 138_357_544,
    "vgg19.torchvision": 143_667_240,
    "vgg11_bn.torchvision": 132_868_840,
    "vgg13_bn.torchvision": 133_053_736,
    "vgg16_bn.torchvision": 138_365_992,
    "vgg19_bn.torchvision": 143_678_248,
    "googlenet.torchvision": 6_624_904,
    "resnet18.torchvision": 11_689_512,
    "resnet34.torchvision": 21_797_672,
    "resnet50.torchvision": 25_557_032,
    "resnet101.torchvision": 44_549_160,
    "resnet152.torchvision": 60_192_808,
}


@pytest.mark.parametrize("name,published", TORCHVISION.items())
def test_torchvision_variants_match_published_num_params(name, published):
    assert n_params(get_model(name, device="meta")) == published


@pytest.mark.parametrize("depth,published", [(18, 11_689_512), (34, 21_797_672), (50, 25_557_032),
                                             (101, 44_549_160), (152, 60_192_808)])
def test_paper_resnets_have_torchvision_counts(depth, published):
    # Moving the stride between the 1x1 and the 3x3 changes the cost, not the
    # weights: the paper layout has torchvision's published count.
    assert n_params(get_model(f"resnet{depth}", device="meta")) == published


def test_keras_resnet50_matches_keras_summary():
    # Keras ResNet50().summary(): Total params: 25,636,712 / Trainable params:
    # 25,583,592 / Non-trainable params: 53,120 (BN moving mean and variance).
    m = get_model("resnet50.keras", device="meta")
    assert n_params(m) == 25_583_592
    assert bn_running_stats(m) == 53_120
    assert n_params(m) + bn_running_stats(m) == 25_636_712


def test_keras_cifar_resnet20_v1_matches_keras_example_summary():
    # keras.io CIFAR-10 ResNet example, ResNet20v1 summary: Total 274,442,
    # Trainable 273,066, Non-trainable 1,376.
    m = get_model("resnet20.keras", device="meta")
    assert n_params(m) == 273_066
    assert n_params(m) + bn_running_stats(m) == 274_442


def test_keras_cifar_resnet29_v2_matches_keras_example_summary():
    # keras.io CIFAR-10 ResNet example with version=2, n=3 (ResNet29v2) summary:
    # Total params: 849,002 / Trainable params: 843,786 / Non-trainable 5,216.
    m = cifar_preresnet(depth=29, keras=True)
    assert n_params(m) == 843_786
    assert n_params(m) + bn_running_stats(m) == 849_002


# VGG, Simonyan & Zisserman 2014, Table 2: "Number of parameters (in millions)".
@pytest.mark.parametrize("name,millions", [("vgg11", 133), ("vgg11_lrn", 133), ("vgg13", 133),
                                           ("vgg16c", 134), ("vgg16", 138), ("vgg19", 144)])
def test_vgg_table2(name, millions):
    assert round(n_params(get_model(name, device="meta")) / 1e6) == millions


def test_vgg_c_by_hand():
    # C = D with the third conv of blocks 3, 4, 5 as 1x1 instead of 3x3:
    # D (138,357,544) - (9-1)*256*256 - 2*(9-1)*512*512
    assert n_params(get_model("vgg16c", device="meta")) == 138_357_544 - 8 * 256 * 256 - 2 * 8 * 512 * 512


# ResNet CIFAR-10, He et al. 2015, Table 6 ("# params"), option A shortcuts.
@pytest.mark.parametrize("depth,millions,digits", [(20, 0.27, 2), (32, 0.46, 2), (44, 0.66, 2), (56, 0.85, 2),
                                                  (110, 1.7, 1), (1202, 19.4, 1)])
def test_cifar_resnet_table6(depth, millions, digits):
    assert round(n_params(get_model(f"resnet{depth}", device="meta")) / 1e6, digits) == millions


def test_cifar_resnet20_by_hand():
    # conv 3->16 (432) + BN (32); stage 1: 6 convs 16->16 (6*2304) + 6 BN (6*32);
    # stage 2: 16->32 (4608) + 5 convs 32->32 (5*9216) + 6 BN (6*64);
    # stage 3: 32->64 (18432) + 5 convs 64->64 (5*36864) + 6 BN (6*128); FC 64*10+10.
    expected = (432 + 32) + (6 * 2304 + 6 * 32) + (4608 + 5 * 9216 + 6 * 64) \
        + (18432 + 5 * 36864 + 6 * 128) + 650
    assert expected == 269_722
    assert n_params(get_model("resnet20", device="meta")) == expected
    assert n_params(get_model("plain20", device="meta")) == expected  # option A adds no parameter


def test_preact_resnet_counts():
    # He et al. 2016 ("Identity Mappings"): ResNet-164 1.7M, ResNet-1001 10.2M.
    assert round(n_params(get_model("preresnet164", device="meta")) / 1e6, 1) == 1.7
    # The 10.2M is reproduced without the batch-norm scale/shift parameters.
    from torch import nn
    m = get_model("preresnet1001", device="meta")
    bn = sum(p.numel() for mod in m.modules() if isinstance(mod, nn.BatchNorm2d) for p in mod.parameters())
    assert round((n_params(m) - bn) / 1e6, 1) == 10.2


def test_invalid_cifar_depth_says_which_depths_are_valid():
    from archscope.errors import ArchscopeError
    with pytest.raises(ArchscopeError, match=r"6n\+2.*20, 26, 32"):
        cifar_resnet(depth=21)
    with pytest.raises(ArchscopeError, match=r"9n\+2.*11, 20, 29"):
        cifar_preresnet(depth=50)


# ---- hand computations: weights + biases, layer by layer ---------------------

def conv(cin, cout, k, bias=True, kw=None):
    return cin * cout * k * (kw or k) + (cout if bias else 0)


def fc(n_in, n_out):
    return n_in * n_out + n_out


def test_alexnet_paper_by_hand():
    # Two towers: conv2/4/5 see half their input maps (Sec. 3.5, Fig. 2).
    expected = (conv(3, 96, 11) + conv(48, 256, 5) + conv(256, 384, 3) + conv(192, 384, 3) + conv(192, 256, 3)
                + fc(6 * 6 * 256, 4096) + fc(4096, 4096) + fc(4096, 1000))
    assert expected == 60_965_224  # "60 million parameters" (Sec. 1)
    assert n_params(get_model("alexnet", device="meta")) == expected


def test_alexnet_d2l_and_tutorial_by_hand():
    d2l = (conv(1, 96, 11) + conv(96, 256, 5) + conv(256, 384, 3) + conv(384, 384, 3) + conv(384, 256, 3)
           + fc(5 * 5 * 256, 4096) + fc(4096, 4096) + fc(4096, 10))
    assert n_params(get_model("alexnet.d2l", device="meta")) == d2l == 46_764_746
    # Article 000: 224 input, valid conv1 -> 54 -> pool 26 -> pool 12 -> pool 5; extra Dense(1000); 17 classes
    tut = (conv(3, 96, 11) + conv(96, 256, 5) + conv(256, 384, 3) + conv(384, 384, 3) + conv(384, 256, 3)
           + fc(5 * 5 * 256, 4096) + fc(4096, 4096) + fc(4096, 1000) + fc(1000, 17))
    assert n_params(get_model("alexnet.tutorial", device="meta")) == tut == 50_861_025


def test_vgg16_tutorial_by_hand():
    # configuration D's convolutions with conv2_1 as 3x2 instead of 3x3, then
    # FC 25088-4096-4096-1000-17
    convs = (conv(3, 64, 3) + conv(64, 64, 3) + conv(64, 128, 3, kw=2) + conv(128, 128, 3)
             + conv(128, 256, 3) + 2 * conv(256, 256, 3) + conv(256, 512, 3) + 5 * conv(512, 512, 3))
    expected = convs + fc(25088, 4096) + fc(4096, 4096) + fc(4096, 1000) + fc(1000, 17)
    assert n_params(get_model("vgg16.tutorial", device="meta")) == expected == 138_349_985


def test_lenet_variants_by_hand():
    # d2l: padded 5x5 convs, 16*5*5 flatten; tutorial: valid convs on 28x28, 16*4*4 flatten
    d2l = conv(1, 6, 5) + conv(6, 16, 5) + fc(400, 120) + fc(120, 84) + fc(84, 10)
    tut = conv(1, 6, 5) + conv(6, 16, 5) + fc(256, 120) + fc(120, 84) + fc(84, 10)
    assert n_params(get_model("lenet.d2l", device="meta")) == d2l == 61_706
    assert n_params(get_model("lenet.tutorial", device="meta")) == tut == 44_426


def test_nin_by_hand():
    expected = (conv(3, 192, 5) + conv(192, 160, 1) + conv(160, 96, 1)
                + conv(96, 192, 5) + 2 * conv(192, 192, 1)
                + conv(192, 192, 3) + conv(192, 192, 1) + conv(192, 10, 1))
    assert n_params(get_model("nin", device="meta")) == expected == 966_986


def test_resnet18_d2l_by_hand():
    # Gluon Conv2D has a bias by default; BN has 2 params per channel; the
    # downsampling shortcut is a bare 1x1 conv with bias.
    def unit(cin, cout):
        return conv(cin, cout, 3) + 2 * cout
    expected = (conv(1, 64, 7) + 128
                + 4 * unit(64, 64)
                + unit(64, 128) + 3 * unit(128, 128) + conv(64, 128, 1)
                + unit(128, 256) + 3 * unit(256, 256) + conv(128, 256, 1)
                + unit(256, 512) + 3 * unit(512, 512) + conv(256, 512, 1)
                + fc(512, 10))
    assert n_params(get_model("resnet18.d2l", device="meta")) == expected == 11_178_378


def test_resnet34_tutorial_by_hand():
    # Conv2d_BN = biased conv + BN; 3x3 projection shortcuts (Conv2d_BN too).
    def unit(cin, cout, k=3):
        return conv(cin, cout, k) + 2 * cout
    expected = (unit(3, 64, 7)
                + 6 * unit(64, 64)
                + unit(64, 128) + 7 * unit(128, 128) + unit(64, 128)
                + unit(128, 256) + 11 * unit(256, 256) + unit(128, 256)
                + unit(256, 512) + 5 * unit(512, 512) + unit(256, 512)
                + fc(512, 17))
    assert n_params(get_model("resnet34.tutorial", device="meta")) == expected == 22_678_161


def test_plain18_is_resnet18_without_projections():
    projections = sum(conv(c, 2 * c, 1, bias=False) + 2 * 2 * c for c in (64, 128, 256))
    assert n_params(get_model("plain18", device="meta")) == 11_689_512 - projections
