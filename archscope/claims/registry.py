"""Every quantitative claim about architecture in the source articles
(shared/sources, cited by file number) and the papers behind them.

Each claim is evaluated on the paper-faithful models and, where the source
built its own (the articles' Keras/MXNet code), on those too: a claim can
hold for one and not the other. Statements are translated and paraphrased,
never copied.
"""

from __future__ import annotations

from archscope.claims.schema import ABOUT, EXACT, Claim, Tolerance, printed

A000 = "article 000 (CNN evolution: AlexNet/VGG/Inception/ResNet, Keras)"
A001 = "article 001 (ResNet with MXNet/d2l)"
A002 = "article 002 (LeNet and ResNet in practice, ablations, CAM)"
A003 = "article 003 (ResNet with Keras on CIFAR-10, Lithuanian)"
A004 = "article 004 (ResNet and its Keras implementation)"
LECUN = "LeCun et al. 1998, Sec. II-B"
ALEX = "Krizhevsky et al. 2012"
VGG = "Simonyan & Zisserman 2014"
GOOG = "Szegedy et al. 2014"
RES = "He et al. 2015"
PRE = "He et al. 2016 (Identity Mappings)"

PARAMS = "parameters including biases (batch-norm scale/shift included; running statistics are buffers)"
MACS = "multiply-accumulates of convolutions and FC layers (the papers' 'FLOPs')"
DEPTH = "weight layers (conv, FC) on the longest input-to-output path"

# GoogLeNet Table 1, params and ops columns, with the modules that make each row.
_CONV1_BAD = ("The row's own params and ops agree with each other (2.7K x 112 x 112 = 34M) but not with the layer "
              "the row declares: 7x7 kernels from 3 RGB channels to 64 maps have 9,408 weights and 118M "
              "multiply-adds at 112x112.")
_ROWS = [("conv1", "convolution 7x7/2", ["stem.0"], 2.7, 34, _CONV1_BAD),
         ("conv2", "convolution 3x3/1 (with its 1x1 reduction)", ["stem.3", "stem.4"], 112, 360, None),
         *[(m, f"inception ({m})", [f"inception{m}"], k, ops, None) for m, k, ops in (
             ("3a", 159, 128), ("3b", 380, 304), ("4a", 364, 73), ("4b", 437, 88), ("4c", 463, 100),
             ("4d", 580, 119), ("4e", 840, 170), ("5a", 1072, 54), ("5b", 1388, 71))],
         ("linear", "linear", ["head.3"], 1000, 1, None)]
_GOOGLENET_PARAMS = [(r, label, mods, k, bad) for r, label, mods, k, _, bad in _ROWS]
_GOOGLENET_OPS = [(r, label, mods, ops, bad) for r, label, mods, _, ops, bad in _ROWS]

CLAIMS: list[Claim] = [
    # ---- article 000 --------------------------------------------------------
    Claim("000-vgg16-3x-alexnet", "VGG16 has about three times the parameters of AlexNet.", f"{A000}, VGG section",
          "ratio", "ratio", (("vgg16", "alexnet"), ("vgg16.torchvision", "alexnet.torchvision"),
                             ("vgg16.tutorial", "alexnet.tutorial")),
          expected=3.0, tolerance=ABOUT, convention=PARAMS, args={"of": "params"},
          note="The article's own Keras models come closest: its AlexNet drops the towers' grouping."),
    Claim("000-inception-1-20-vgg", "Inception has about 1/20 of VGG's parameters.", f"{A000}, Inception section",
          "ratio", "ratio", (("googlenet", "vgg16"), ("googlenet.torchvision", "vgg16.torchvision"),
                             ("googlenet.tutorial", "vgg16.tutorial")),
          expected=1 / 20, tolerance=ABOUT, convention=PARAMS, args={"of": "params"}),
    Claim("000-inception-fewer-than-alexnet", "GoogLeNet trains several times fewer parameters than AlexNet.",
          f"{A000}, Inception section", "ratio", "ratio",
          (("alexnet", "googlenet"), ("alexnet.tutorial", "googlenet.tutorial")),
          expected=3.0, compare="at_least", tolerance=Tolerance(wording="'several times' (好几倍): at least 3x"),
          convention=PARAMS, args={"of": "params"}),
    Claim("000-bottleneck-numbers", "A 5x5 convolution with 125 filters on a 100x100x56 input has 175,000 "
          "parameters; a 1x1 reduction to 28 maps first brings that to 89,068.", f"{A000}, Inception section",
          "exact", "bottleneck_example", (("",),), expected=[175_000, 89_068], compare="equal",
          convention="weights only, no biases (as the article computes)"),
    Claim("000-bottleneck-almost-half", "The 1x1 reduction cuts the parameters by almost half.",
          f"{A000}, Inception section", "ratio", "bottleneck_example", (("",),), expected=(0.40, 0.50),
          compare="range", tolerance=Tolerance(wording="'almost half' (快一半): a saving of 40-50%"),
          args={"saving": True}, convention="weights only"),
    Claim("000-resnet34-more-than-inception", "ResNet-34 has more parameters than Inception.",
          f"{A000}, ResNet section", "inequality", "ratio",
          (("resnet34", "googlenet"), ("resnet34.tutorial", "googlenet.tutorial")),
          expected=1.0, compare="greater", convention=PARAMS, args={"of": "params"}),
    Claim("000-inception-shapes", "The Inception stages output 28x28x256 (3a), 28x28x480 (3b), 14x14x512 (4a-4c), "
          "14x14x528 (4d), 14x14x832 (4e), 7x7x832 (5a) and 7x7x1024 (5b).", f"{A000}, Inception code comments",
          "shapes", "output_shapes", (("googlenet",), ("googlenet.tutorial",)),
          expected=[[256, 28, 28], [480, 28, 28], [512, 14, 14], [512, 14, 14], [512, 14, 14], [528, 14, 14],
                    [832, 14, 14], [832, 7, 7], [1024, 7, 7]], compare="equal",
          args={"layers": ["inception3a", "inception3b", "inception4a", "inception4b", "inception4c",
                           "inception4d", "inception4e", "inception5a", "inception5b"]}),
    Claim("000-resnet34-stage-shapes", "ResNet-34's stages output 56x56x64, 28x28x128, 14x14x256 and 7x7x512.",
          f"{A000}, ResNet code comments", "shapes", "output_shapes", (("resnet34",),),
          expected=[[64, 56, 56], [128, 28, 28], [256, 14, 14], [512, 7, 7]], compare="equal",
          args={"layers": ["layer1", "layer2", "layer3", "layer4"]}),
    Claim("000-lenet-mnist-accuracy", "LeNet reaches 98.69% accuracy on MNIST after 5 epochs.",
          f"{A000}, LeNet section", "training", "", (("lenet.tutorial",),), expected=0.9869,
          requires="a training run on MNIST (the probe, with MNIST on disk)"),
    Claim("000-alexnet-flowers-accuracy", "AlexNet reaches 55% accuracy on oxflower17 after 30 epochs.",
          f"{A000}, AlexNet section", "training", "", (("alexnet.tutorial",),), expected=0.55,
          requires="the oxflower17 data set, which cannot be downloaded here"),

    # ---- article 001 ----------------------------------------------------------
    Claim("001-residual-block-shapes", "Residual(3) keeps a (4, 3, 6, 6) input's shape; Residual(6, use_1x1conv, "
          "strides=2) gives (4, 6, 3, 3).", f"{A001}, residual block", "shapes", "residual_demo_shapes", (("",),),
          expected=[[4, 3, 6, 6], [4, 6, 3, 3]], compare="equal"),
    Claim("001-resnet18-shape-walk", "At 1x224x224 the network's layers output (64,112,112), then (64,56,56) after "
          "pooling, then (64,56,56), (128,28,28), (256,14,14), (512,7,7), (512,1,1) and 10 classes.",
          f"{A001}, shape printout", "shapes", "output_shapes", (("resnet18.d2l",),),
          expected=[[64, 112, 112], [64, 56, 56], [64, 56, 56], [128, 28, 28], [256, 14, 14], [512, 7, 7],
                    [512, 1, 1], [10]], compare="equal",
          args={"input": [1, 224, 224], "layers": ["stem.0", "stem.3", "layer1", "layer2", "layer3", "layer4",
                                                    "avgpool", "fc"]}),
    Claim("001-resnet18-18-layers", "Four ResNet blocks of four convolutions (not counting the 1x1), plus the "
          "first convolution and the final dense layer: 18 layers.", f"{A001}", "count", "depth",
          (("resnet18.d2l",), ("resnet18",)), expected=18, compare="exact", convention=DEPTH),
    Claim("001-resnet18-fmnist", "ResNet-18 on Fashion-MNIST at 96x96 (lr 0.05, 10 epochs, batch 256) reaches 0.907 "
          "test accuracy at 4,886.6 examples/s.", f"{A001}, training", "training", "", (("resnet18.d2l",),),
          expected=0.907, requires="Fashion-MNIST on disk and a GPU run of the probe"),

    # ---- article 002 ----------------------------------------------------------
    Claim("002-lenet5-maps", "LeNet-5: C1 is 6 maps of 28x28 (32-5+1), S2 6 of 14x14, C3 16 of 10x10, S4 16 of 5x5, "
          "C5 120 of 1x1.", f"{A002}, LeNet-5 walk-through", "shapes", "output_shapes", (("lenet5",),),
          expected=[[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1]], compare="equal",
          args={"layers": ["c1", "s2", "c3", "s4", "c5"]}),
    Claim("002-lenet5-seven-layers", "LeNet-5 is a 7-layer network (C1, S2, C3, S4, C5, F6, output).",
          f"{A002}, LeNet-5", "count", "lenet_layers", (("lenet5",),), expected=7, compare="exact",
          convention="layers that hold connections, squashing functions excluded"),
    Claim("002-lenet-d2l-shapes", "The d2l LeNet on a 1x28x28 input: 6x28x28, 6x14x14, 16x10x10, 16x5x5, then 400, "
          "120, 84, 10.", f"{A002}, LeNet code", "shapes", "output_shapes", (("lenet.d2l",),),
          expected=[[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [400], [120], [84], [10]], compare="equal",
          args={"layers": ["0", "2", "3", "5", "6", "7", "9", "11"]}),
    Claim("002-alexnet-eight-layers", "AlexNet has eight layers: five convolutional, two fully connected hidden "
          "layers and one fully connected output layer.", f"{A002}, AlexNet", "count", "conv_fc_counts",
          (("alexnet",), ("alexnet.d2l",)), expected=[5, 3], compare="equal"),
    Claim("002-stacked-3x3-5x5", "Two stacked 3x3 convolutions see what one 5x5 sees, with fewer parameters.",
          f"{A002}, VGG; {VGG}, Sec. 2.3", "inequality", "stacked_kernels", (("",),), expected=True,
          compare="equal", args={"n": 2}),
    Claim("002-stacked-3x3-7x7", "Three stacked 3x3 convolutions see what one 7x7 sees, with 27C^2 instead of "
          "49C^2 weights.", f"{VGG}, Sec. 2.3", "inequality", "stacked_kernels", (("",),), expected=True,
          compare="equal", args={"n": 3}),
    Claim("002-lenet-fmnist", "The d2l LeNet on Fashion-MNIST (lr 0.9, 10 epochs, batch 256): train loss 0.469, "
          "train accuracy 0.821, test accuracy 0.809.", f"{A002}, Fig. 10", "training", "", (("lenet.d2l",),),
          expected=0.809, requires="Fashion-MNIST on disk and the probe's training recipe"),
    # the ablations (each setting 10 runs, averaged); `archscope sweep --recipe ...` runs them with the data
    Claim("002-lenet-lr-ablation", "Learning rate 0.1-1.7: the best lr is 1.2-1.4, not d2l's 0.9; test accuracy "
          "rises from 0.809 to about 0.83.", f"{A002}, Table 3 and Fig. 11", "training", "", (("lenet.d2l",),),
          expected=0.83, requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-lr"),
    Claim("002-lenet-batch-ablation", "Batch size 2-1024: 8 or 16 is best (test accuracy 0.887, 0.888), 1024 "
          "worst.", f"{A002}, Table 4 and Fig. 13", "training", "", (("lenet.d2l",),), expected=0.888,
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-batch"),
    Claim("002-lenet-relu-ablation", "Sigmoid to ReLU raises test accuracy from 0.809 to 0.884.",
          f"{A002}, Table 5 and Fig. 17", "training", "", (("lenet.d2l",),), expected=0.884,
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-activation"),
    Claim("002-lenet-pooling-ablation", "Average to max pooling leaves the results about the same (test accuracy "
          "0.809 vs 0.811).",
          f"{A002}, Table 6 and Fig. 19", "training", "", (("lenet.d2l",),),
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-pooling"),
    Claim("002-lenet-kernel-ablation", "C1 kernel 5 beats 3 and 4 (test accuracy 0.809 vs 0.792, 0.782); pooling "
          "size 2 beats 1 (0.809 vs 0.791).", f"{A002}, Tables 7-8 and Fig. 20", "training", "",
          (("lenet.d2l",),), expected=0.809,
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-kernel"),
    Claim("002-lenet-best-combination", "lr 1.2-1.4, batch 8-16, about 50 epochs and ReLU together raise test "
          "accuracy from 0.809 to 0.906.", f"{A002}, Tables 9-10 and Fig. 21", "training", "", (("lenet.d2l",),),
          expected=0.906, requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-best"),

    # ---- article 003 ----------------------------------------------------------
    Claim("003-resnet152-8x-vgg19-depth", "The 152-layer ResNet is 8 times deeper than VGG-19.",
          f"{A003}, results; {RES}, Sec. 4.1", "ratio", "ratio", (("resnet152", "vgg19"),), expected=8.0,
          tolerance=printed(0), convention=DEPTH, args={"of": "depth"}),
    Claim("003-resnet152-fewer-params-than-vgg19", "ResNet-152 still has fewer parameters than VGG-19.",
          f"{A003}, results", "inequality", "ratio", (("resnet152", "vgg19"),), expected=1.0, compare="less",
          convention=PARAMS, args={"of": "params"}),
    Claim("003-resnet152-cheaper-than-vgg19", "ResNet-152 has lower complexity (multiply-adds) than VGG-19.",
          f"{RES}, Sec. 4.1", "inequality", "ratio", (("resnet152", "vgg19"),), expected=1.0, compare="less",
          convention=MACS, args={"of": "macs"}),
    Claim("003-v1-depth-6n2", "ResNet v1 for CIFAR has depth 6n+2: n=3 gives ResNet-20.", f"{A003}, code",
          "count", "depth", (("resnet20",), ("resnet20.keras",)), expected=20, compare="exact", convention=DEPTH),
    Claim("003-v1-depth-56", "6n+2 with n=9 is ResNet-56.", f"{A003}, code", "count", "depth",
          (("resnet56",), ("resnet56.keras",), ("plain56",)), expected=56, compare="exact", convention=DEPTH),
    Claim("003-v2-depth-9n2", "ResNet v2 has depth 9n+2: n=18 gives ResNet-164.", f"{A003}, code", "count", "depth",
          (("preresnet164",), ("preresnet164.keras",)), expected=164, compare="exact", convention=DEPTH),
    Claim("003-resnet34-from-34-layer-plain", "ResNet-34 adds shortcuts to a 34-layer plain network inspired by "
          "VGG-19.", f"{A003}, architecture", "count", "depth", (("resnet34",), ("plain34",)), expected=34,
          compare="exact", convention=DEPTH),
    Claim("003-plain56-worse-than-plain20", "A 56-layer plain network has higher training and test error on "
          "CIFAR-10 than a 20-layer one.", f"{A003}; {RES}, Fig. 1", "training", "", (("plain56", "plain20"),),
          requires="CIFAR-10 on disk and full training runs"),

    # ---- article 004 ----------------------------------------------------------
    Claim("004-resnet50-blocks", "ResNet-50: CONV2D, BN, RELU, MAXPOOL, then CONVBLOCK + IDBLOCK x2, CONVBLOCK + "
          "IDBLOCK x3, CONVBLOCK + IDBLOCK x5, CONVBLOCK + IDBLOCK x2, AVGPOOL, classifier.", f"{A004}",
          "count", "block_sequence", (("resnet50",), ("resnet50.keras",), ("resnet50.torchvision",)),
          expected=[2, 3, 5, 2], compare="equal"),

    # ---- papers ---------------------------------------------------------------
    Claim("lecun-lenet5-params", "LeNet-5's trainable parameters: C1 156, S2 12, C3 1,516, S4 32, C5 48,120, "
          "F6 10,164.", LECUN, "exact", "layer_params", (("lenet5",),),
          expected=[156, 12, 1516, 32, 48120, 10164], compare="equal",
          args={"layers": ["c1", "s2", "c3", "s4", "c5", "f6"]}),
    Claim("lecun-lenet5-connections", "LeNet-5's connections: C1 122,304, S2 5,880, C3 151,600, S4 2,000, "
          "C5 48,120, F6 10,164.", LECUN, "exact", "connections", (("lenet5",),),
          expected=[122_304, 5_880, 151_600, 2_000, 48_120, 10_164], compare="equal",
          args={"layers": ["c1", "s2", "c3", "s4", "c5", "f6"]}),
    Claim("lecun-lenet5-total-connections", "LeNet-5 has 340,908 connections.", LECUN, "exact", "connections",
          (("lenet5",),), expected=340_908, compare="exact",
          args={"layers": ["c1", "s2", "c3", "s4", "c5", "f6", "output"], "total": True},
          note="The per-layer figures the paper prints sum to 340,068; the 840 connections of the output RBF "
               "(84 x 10) make the total."),
    Claim("lecun-lenet5-60k", "LeNet-5 has about 60,000 trainable parameters.", LECUN, "count", "trainable_params",
          (("lenet5",),), expected=60_000, tolerance=ABOUT, convention="trainable parameters (the 840 RBF "
          "prototypes are fixed)", note="60,840 counting the fixed prototypes."),
    Claim("alexnet-60m", "AlexNet has 60 million parameters.", f"{ALEX}, Sec. 1", "count", "params",
          (("alexnet",), ("alexnet.torchvision",)), expected=60e6, tolerance=ABOUT, convention=PARAMS),
    Claim("alexnet-650k-neurons", "AlexNet has 650,000 neurons.", f"{ALEX}, Sec. 1", "count", "neurons",
          (("alexnet",),), expected=650_000, tolerance=ABOUT),
    Claim("alexnet-224-input", "The input is a 224x224x3 image, and conv1's 96 kernels of 11x11x3 at stride 4 "
          "produce 55x55 maps.", f"{ALEX}, Sec. 3.5 and Fig. 2", "exact", "conv1_side", (("alexnet",),),
          expected=55, compare="exact", args={"input_side": 224},
          inconsistent="(224 - 11) / 4 + 1 = 54.25: 224 does not give the paper's own 55x55 maps; 227 does "
                       "(archscope's alexnet takes 227x227)."),
    *[Claim(f"vgg-table2-{cfg}", f"VGG configuration {cfg} has {m} million parameters.", f"{VGG}, Table 2", "count",
            "params", ((name,),), expected=m * 1e6, tolerance=Tolerance(abs=0.5e6, wording="Table 2 in whole "
            "millions: rounds to it"), convention=PARAMS)
      for cfg, name, m in (("A", "vgg11", 133), ("A-LRN", "vgg11_lrn", 133), ("B", "vgg13", 133),
                           ("C", "vgg16c", 134), ("D", "vgg16", 138), ("E", "vgg19", 144))],
    *[Claim(f"googlenet-table1-{row}-params", f"Table 1: the {label} row has {k}K parameters.", f"{GOOG}, Table 1",
            "count", "row_weights", (("googlenet",),), expected=k, compare="per_unit",
            tolerance=Tolerance(rel=0.01, wording="within 1% with K = 1,000 or K = 1,024 (the table does not say "
                                                  "which)"),
            convention="weights of the row's convolutions/FC layer, no biases", args={"modules": mods, "units":
                                                                                        [1000, 1024]},
            inconsistent=bad)
      for row, label, mods, k, bad in _GOOGLENET_PARAMS],
    *[Claim(f"googlenet-table1-{row}-ops", f"Table 1: the {label} row costs {mops}M operations.", f"{GOOG}, Table 1",
            "count", "row_macs", (("googlenet",),), expected=mops * 1e6,
            tolerance=Tolerance(abs=1e6, wording="within 1M (the table prints whole millions, some truncated)"),
            convention=MACS, args={"modules": mods}, inconsistent=bad)
      for row, label, mods, mops, bad in _GOOGLENET_OPS],
    Claim("googlenet-22-layers", "GoogLeNet is 22 layers deep when counting only layers with parameters.",
          f"{GOOG}, Sec. 5", "count", "depth", (("googlenet",), ("googlenet.torchvision",)), expected=22,
          compare="exact", convention=DEPTH),
    Claim("googlenet-1.5g", "GoogLeNet keeps a budget of 1.5 billion multiply-adds at inference.", f"{GOOG}, Sec. 1",
          "count", "gmacs", (("googlenet",), ("googlenet.torchvision",)), expected=1.5, tolerance=printed(1),
          convention=MACS),
    Claim("googlenet-12x-fewer-than-alexnet", "GoogLeNet uses 12 times fewer parameters than Krizhevsky et al.'s "
          "winning network.", f"{GOOG}, Sec. 1", "ratio", "ratio", (("alexnet", "googlenet"),
                                                                   ("alexnet", "googlenet.torchvision")),
          expected=12.0, tolerance=ABOUT, convention=PARAMS, args={"of": "params"}),
    *[Claim(f"resnet-table1-{d}", f"The {d}-layer ResNet needs {g} x 10^9 FLOPs (multiply-adds).",
            f"{RES}, Table 1", "count", "gmacs", ((f"resnet{d}",),), expected=g, tolerance=printed(1),
            convention=MACS)
      for d, g in ((18, 1.8), (34, 3.6), (50, 3.8), (101, 7.6), (152, 11.3))],
    Claim("resnet-34-18pct-of-vgg19", "The 34-layer baseline has 3.6 billion FLOPs, only 18% of VGG-19's "
          "19.6 billion.", f"{RES}, Sec. 3.3", "ratio", "ratio", (("resnet34", "vgg19"),), expected=0.18,
          tolerance=Tolerance(abs=0.005, wording="'18%': rounds to it"), convention=MACS, args={"of": "macs"},
          note="3.6 / 19.6 = 18.4% from the rounded figures; the unrounded ratio is what is measured."),
    Claim("resnet-vgg16-15.3g", "VGG-16 needs 15.3 billion FLOPs.", f"{RES}, Sec. 4.1", "count", "gmacs",
          (("vgg16",),), expected=15.3, tolerance=printed(1), convention=MACS),
    Claim("resnet-vgg19-19.6g", "VGG-19 needs 19.6 billion FLOPs.", f"{RES}, Sec. 3.3 and Fig. 3", "count", "gmacs",
          (("vgg19",),), expected=19.6, tolerance=printed(1), convention=MACS),
    *[Claim(f"resnet-table6-{d}", f"The CIFAR-10 ResNet-{d} has {m}M parameters.", f"{RES}, Table 6", "count",
            "params", ((f"resnet{d}",),), expected=m * 1e6, tolerance=Tolerance(abs=0.5 * 10 ** -dec * 1e6,
            wording=f"printed to {dec} decimal(s) of a million: rounds to it"), convention=PARAMS)
      for d, m, dec in ((20, 0.27, 2), (32, 0.46, 2), (44, 0.66, 2), (56, 0.85, 2), (110, 1.7, 1), (1202, 19.4, 1))],
    Claim("resnet-option-a-free", "Option A shortcuts add no parameter: a ResNet has its plain counterpart's "
          "parameters.", f"{RES}, Sec. 4.1", "ratio", "ratio", (("resnet20", "plain20"), ("resnet56", "plain56")),
          expected=1.0, compare="exact", convention=PARAMS, args={"of": "params"}),
    Claim("preact-164-1.7m", "The pre-activation ResNet-164 has 1.7M parameters.", f"{PRE}, Table 2", "count",
          "params", (("preresnet164",),), expected=1.7e6, tolerance=Tolerance(
              abs=0.05e6, wording="printed to 0.1M: rounds to it"), convention=PARAMS),
    Claim("preact-1001-10.2m", "The pre-activation ResNet-1001 has 10.2M parameters.", f"{PRE}, Table 2", "count",
          "params", (("preresnet1001",),), expected=10.2e6,
          tolerance=Tolerance(abs=0.05e6, wording="printed to 0.1M: rounds to it"), convention=PARAMS,
          note="Without batch-norm scale/shift the count is 10,178,490, which rounds to 10.2M: the paper appears "
               "to count convolution and FC weights only."),
]


def by_id() -> dict[str, Claim]:
    out = {}
    for c in CLAIMS:
        if c.id in out:
            raise ValueError(f"duplicate claim id {c.id}")
        out[c.id] = c
    return out


__all__ = ["CLAIMS", "by_id", "EXACT"]
