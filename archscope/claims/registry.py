"""Every checkable claim of the source articles (shared/sources, cited by
file number and line) and of the papers behind them: architecture claims
measured on the zoo's networks, training claims naming the experiment that
measures them. archscope/claims/sources/000.md ... 004.md list each article
line by line, with the claims that check it or why it cannot be checked.

Each claim is evaluated on the paper-faithful models and, where the source
built its own (the articles' Keras/MXNet code), on those too: a claim can
hold for one and not the other. Statements are translated and paraphrased,
never copied.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from archscope.claims.schema import ABOUT, EXACT, Claim, Tolerance, printed

A000 = "article 000 (CNN evolution: AlexNet/VGG/Inception/ResNet, Keras)"
A001 = "article 001 (ResNet with MXNet/d2l)"
A002 = "article 002 (LeNet and ResNet in practice, ablations, CAM)"
A003 = "article 003 (ResNet with Keras on CIFAR-10, Lithuanian)"
A004 = "article 004 (ResNet and its Keras implementation)"
LECUN = "LeCun et al. 1998, Sec. II-B"
LECUN_C7 = "LeCun et al. 1998, Sec. III-C.7 (LeNet-1)"
LECUN_C8 = "LeCun et al. 1998, Sec. III-C.8 (LeNet-4)"
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

# Article 002's ablation tables (each row the mean of 10 runs): setting, then the (loss, train accuracy, test
# accuracy) cells and the source line of each cell. The tables drop trailing zeros (0.83 for 0.830), so every
# cell is read to 3 decimals.
TABLE = Tolerance(abs=0.0005, wording="a table cell to 3 decimals (trailing zeros dropped): rounds to it")
_DEFAULT = {"lr": 0.9, "batch_size": 256, "epochs": 10, "activation": "sigmoid"}
# Table 5's "ReLU": line 760 keeps F6's sigmoid and changes "only the convolution layers' activation" — in the
# LeNet-5 terms the article uses (line 252 "C5/F5", line 296 "C5 is a convolution layer") C1, C3 and C5, which is
# d2l's first dense layer. The code's two Conv2d alone (Code4 shows only the first) is the other reading, shown
# beside the verdict (also_settings).
_RELU_CONVS = {"activation": "relu", "c5_activation": "relu"}
_RELU_C1_C3 = {"activation": "relu"}
# Table 9's ranges as the experiment takes them (lr 1.3, batch 16, 50 epochs), with Table 5's ReLU: the same two
# readings, the first judged
_BEST = {"lr": 1.3, "batch_size": 16, "epochs": 50, **_RELU_CONVS}
_BEST_C1_C3 = {"lr": 1.3, "batch_size": 16, "epochs": 50, **_RELU_C1_C3}
# Table 8's "pooling size 1" keeps d2l's stride 2 (the dense layers keep their 400 inputs); stride 1 too (no
# pooling at all, 9,216 dense inputs) is the other reading, shown beside it
_POOL1 = {"pool_size": 1, "pool_stride": 2}


def _other_readings(setting: dict) -> dict:
    alts = {repr(_RELU_CONVS): [_RELU_C1_C3], repr(_POOL1): [{"pool_size": 1}],
            repr(_BEST): [_BEST_C1_C3]}.get(repr(setting))
    return {"also_settings": alts} if alts else {}
_METRICS = (("train_loss", "loss", "train loss"), ("train_accuracy", "train-acc", "train accuracy"),
            ("test_accuracy", "test-acc", "test accuracy"))
# table: (experiment, [(label, what, setting, (loss, train acc, test acc), first line of the loss cell)],
#         lines between the loss, train and test rows)
_Row = tuple[str, str, dict[str, Any], tuple[float, float, float], int]
_TABLES: dict[int, tuple[str, list[_Row], int]] = {
    3: ("lenet-fmnist-lr", [(f"lr{lr}", f"lr {lr}", {"lr": lr}, cells, 540 + 2 * i) for i, (lr, cells) in enumerate((
        (0.9, (0.469, 0.821, 0.809)), (1.0, (0.459, 0.827, 0.828)), (1.1, (0.444, 0.835, 0.766)),
        (1.2, (0.425, 0.843, 0.83)), (1.3, (0.411, 0.847, 0.825)), (1.4, (0.423, 0.842, 0.831)),
        (1.5, (0.438, 0.835, 0.772)), (1.6, (0.446, 0.822, 0.764)), (1.7, (0.461, 0.81, 0.758))))], 20),
    4: ("lenet-fmnist-batch", [(f"batch{b}", f"batch {b}", {"batch_size": b}, cells, 648 + 2 * i)
                               for i, (b, cells) in enumerate((
        (2, (0.54, 0.811, 0.82)), (4, (0.316, 0.882, 0.862)), (8, (0.27, 0.898, 0.887)), (16, (0.269, 0.9, 0.888)),
        (32, (0.306, 0.885, 0.861)), (64, (0.329, 0.878, 0.869)), (128, (0.376, 0.861, 0.856)),
        (256, (0.469, 0.821, 0.809)), (512, (0.599, 0.767, 0.737)), (1024, (0.916, 0.637, 0.618))))], 22),
    5: ("lenet-fmnist-activation", [("sigmoid", "sigmoid", {"activation": "sigmoid"}, (0.469, 0.821, 0.809), 772),
                                    ("relu", "ReLU in the convolutions", _RELU_CONVS, (0.28, 0.894, 0.884), 774)], 6),
    6: ("lenet-fmnist-pooling", [("avg", "average pooling", {"pool": "avg"}, (0.469, 0.821, 0.809), 814),
                                 ("max", "max pooling", {"pool": "max"}, (0.429, 0.841, 0.811), 816)], 6),
    7: ("lenet-fmnist-kernel", [(f"k{k}", f"C1 kernel {k}", {"conv1_kernel_size": k}, cells, 852 + 2 * i)
                                for i, (k, cells) in enumerate(((3, (0.486, 0.818, 0.792)), (4, (0.47, 0.823, 0.782)),
                                                                (5, (0.469, 0.821, 0.809))))], 8),
    8: ("lenet-fmnist-poolsize", [("pool1", "pooling size 1", _POOL1,
                                   (0.435, 0.84, 0.791), 890),
                                  ("pool2", "pooling size 2", {"pool_size": 2}, (0.469, 0.821, 0.809), 892)], 6),
    10: ("lenet-fmnist-best", [("best", "Table 9's combination", _BEST, (0.175, 0.938, 0.906), 956),
                               ("default", "the default settings", _DEFAULT, (0.469, 0.821, 0.809), 958)], 6),
}
# cells a summary claim above already checks
_NAMED = {(5, "relu", "test_accuracy"), (6, "max", "test_accuracy"), (10, "best", "test_accuracy")}
# The defaults' row (lr 0.9, batch 256, sigmoid, average pooling, C1 kernel 5, pooling size 2) that every table
# reprints: digit for digit Fig. 10's single run (line 456: 0.469, 0.821, 0.809). It is judged once, as that one
# run (002-lenet-fmnist*, k = 1), and the tables' "mean of 10 runs" for it is registered as an inconsistency
# (002-baseline-row-is-one-run) rather than counted seven times as a 10-run mean.
BASELINE = (0.469, 0.821, 0.809)
_BASELINE_ROWS = {(3, "lr0.9"), (4, "batch256"), (5, "sigmoid"), (6, "avg"), (7, "k5"), (8, "pool2"), (10, "default")}


def _table_cells():
    for t, (exp, rows, step) in _TABLES.items():
        for label, what, setting, cells, line in rows:
            if (t, label) in _BASELINE_ROWS:
                continue
            for k, ((metric, short, name), value) in enumerate(zip(_METRICS, cells, strict=True)):
                if (t, label, metric) not in _NAMED:
                    yield t, exp, label, what, setting, line + k * step, value, metric, short, name


def _baseline_lines() -> list[int]:
    """The source lines of the reprinted defaults' row: the loss cell of each table, then train and test acc."""
    out = []
    for t, (_, rows, step) in _TABLES.items():
        for label, _, _, _cells, line in rows:
            if (t, label) in _BASELINE_ROWS:
                out += [line, line + step, line + 2 * step]
    return out


CLAIMS: list[Claim] = [
    # ---- article 000 --------------------------------------------------------
    Claim("000-vgg16-3x-alexnet", "VGG16 has about three times the parameters of AlexNet.", f"{A000}, VGG section",
          "ratio", "ratio", (("vgg16", "alexnet"), ("vgg16.torchvision", "alexnet.torchvision"),
                             ("vgg16.tutorial", "alexnet.tutorial")),
          expected=3.0, tolerance=ABOUT, convention=PARAMS, args={"of": "params"},
          note="The article's own Keras models come closest: its AlexNet drops the towers' grouping."),
    Claim("000-inception-1-20-vgg", "Inception has about 1/20 of VGG's parameters.", f"{A000}, Inception section",
          "ratio", "ratio", (("inception_v1", "vgg16"), ("inception_v1.torchvision", "vgg16.torchvision"),
                             ("inception_v1.tutorial", "vgg16.tutorial")),
          expected=1 / 20, tolerance=ABOUT, convention=PARAMS, args={"of": "params"}),
    Claim("000-inception-fewer-than-alexnet", "GoogLeNet trains several times fewer parameters than AlexNet.",
          f"{A000}, Inception section", "ratio", "ratio",
          (("alexnet", "inception_v1"), ("alexnet.tutorial", "inception_v1.tutorial")),
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
    Claim("000-bottleneck-saving-network", "The 1x1 reductions that cut the example's parameters by almost half "
          "save at least as much in the whole network (judged against the same network built without them).",
          f"{A000}, Inception section (line 573)", "ratio", "whatif_saving", (("inception_v1",),
                                                                              ("inception_v1.tutorial",)),
          expected=0.40, compare="at_least", tolerance=Tolerance(wording="'almost half' (快一半): a saving of 40% "
                                                                         "or more"),
          convention=PARAMS, args={"of": "params", "knobs": {"reductions": False}},
          note="The sentence is about its 5x5 example (000-bottleneck-almost-half); on the network the what-if "
               "build reductions=False keeps every branch's width and drops the 1x1 convolutions before the 3x3 "
               "and 5x5 ones: `archscope diff googlenet googlenet --arg-b reductions=False` lists them."),
    Claim("000-resnet34-more-than-inception", "ResNet-34 has more parameters than Inception.",
          f"{A000}, ResNet section", "inequality", "ratio",
          (("resnet34", "inception_v1"), ("resnet34.tutorial", "inception_v1.tutorial")),
          expected=1.0, compare="greater", convention=PARAMS, args={"of": "params"}),
    Claim("000-inception-shapes", "The Inception stages output 28x28x256 (3a), 28x28x480 (3b), 14x14x512 (4a-4c), "
          "14x14x528 (4d), 14x14x832 (4e), 7x7x832 (5a) and 7x7x1024 (5b).", f"{A000}, Inception code comments",
          "shapes", "output_shapes", (("inception_v1",), ("inception_v1.tutorial",)),
          expected=[[256, 28, 28], [480, 28, 28], [512, 14, 14], [512, 14, 14], [512, 14, 14], [528, 14, 14],
                    [832, 14, 14], [832, 7, 7], [1024, 7, 7]], compare="equal",
          args={"layers": ["inception3a", "inception3b", "inception4a", "inception4b", "inception4c",
                           "inception4d", "inception4e", "inception5a", "inception5b"]}),
    Claim("000-resnet34-stage-shapes", "ResNet-34's stages output 56x56x64, 28x28x128, 14x14x256 and 7x7x512.",
          f"{A000}, ResNet code comments", "shapes", "output_shapes", (("resnet34",), ("resnet34.tutorial",)),
          expected=[[64, 56, 56], [128, 28, 28], [256, 14, 14], [512, 7, 7]], compare="equal",
          args={"layers": {"resnet34": ["layer1", "layer2", "layer3", "layer4"],
                           "resnet34.tutorial": ["4", "8", "14", "17"]}}),
    Claim("000-lenet-mnist-accuracy", "LeNet reaches 98.69% accuracy on MNIST after 5 epochs (Adam lr 0.001, "
          "batch 32; the accuracy Keras reports on the test set passed as validation data).",
          f"{A000}, LeNet section", "training", "training", (("lenet.tutorial",),), expected=0.9869,
          tolerance=printed(4), args={"experiment": "lenet-mnist", "metric": "test_accuracy"},
          requires="a training run on MNIST (the probe, with MNIST on disk)"),
    Claim("000-alexnet-flowers-accuracy", "AlexNet reaches 55% accuracy on oxflower17 after 30 epochs.",
          f"{A000}, AlexNet section", "training", "training", (("alexnet.tutorial",),), expected=0.55,
          tolerance=printed(2), args={"metric": "test_accuracy"},
          requires="the oxflower17 data set, which cannot be downloaded here",
          note="Its experiment (not defined: no data): Adam lr 1e-5, batch 16, 30 epochs, 224x224, an 80/20 split, "
               "shear/zoom 0.2 and horizontal flips (lines 293-343)."),
    Claim("000-vgg16-several-times-alexnet", "Being deeper, VGG has several times AlexNet's parameters.",
          f"{A000}, VGG section (line 376)", "ratio", "ratio",
          (("vgg16", "alexnet"), ("vgg16.torchvision", "alexnet.torchvision"), ("vgg16.tutorial", "alexnet.tutorial")),
          expected=3.0, compare="at_least",
          tolerance=Tolerance(rel=0.10, wording="'several times' (好几倍), which the same section quantifies as "
                              "'about 3 times' (line 557): about 3x or more, 'about' within 10%"),
          convention=PARAMS, args={"of": "params"},
          note="The same section's closing line says 'about 3 times' (000-vgg16-3x-alexnet): 'several' is read as "
               "that figure, with 'about''s 10%, or more."),
    Claim("000-vgg16-slower-than-alexnet", "VGG16, being deeper, takes longer to train than AlexNet.",
          f"{A000}, VGG section (line 376)", "inequality", "ratio",
          (("vgg16", "alexnet"), ("vgg16.tutorial", "alexnet.tutorial")), expected=1.0, compare="greater",
          convention=MACS, args={"of": "macs"},
          note="Checked by its cause, the multiply-adds per image, which set the time per step on the same hardware; "
               "the wall-clock comparison itself needs the article's oxflower17 runs."),
    Claim("000-alexnet-relu-dropout", "AlexNet uses the ReLU activation, and dropout against overfitting.",
          f"{A000}, AlexNet section (lines 184-186)", "exact", "has_modules", (("alexnet",), ("alexnet.tutorial",)),
          expected=["ReLU", "Dropout"], compare="equal", args={"types": ["ReLU", "Dropout"]}),
    Claim("000-alexnet-two-gpus", "AlexNet was split into two halves, one per GPU, for lack of memory.",
          f"{A000}, AlexNet section (lines 187-189); {A002}, AlexNet (line 999)", "count", "towers", (("alexnet",),),
          expected=2, compare="exact", convention="towers: the largest group count of the convolutions"),
    Claim("000-alexnet-one-tower-code", "The network can as well be one tower; the article's code builds it so.",
          f"{A000}, AlexNet section (line 189)", "count", "towers", (("alexnet.tutorial",),), expected=1,
          compare="exact", convention="towers: the largest group count of the convolutions"),
    Claim("000-inception-four-branches", "An Inception module puts three convolutions (1x1, 3x3, 5x5) and a pooling "
          "side by side, widening the network.", f"{A000}, Inception section (line 573)", "exact", "branch_kernels",
          (("inception_v1",), ("inception_v1.tutorial",), ("inception_v1.torchvision",)),
          expected=["1x1", "3x3", "5x5", "pool, 1x1"], compare="equal", args={"module": "inception3a"},
          note="The article's Keras code writes its '5x5' branch with a 1x1 kernel (line 758); torchvision's "
               "GoogLeNet uses 3x3 there."),
    Claim("000-googlenet-avgpool-head", "GoogLeNet classifies with average pooling in place of the fully connected "
          "layers.", f"{A000}, Inception section (line 578)", "exact", "classifier_head",
          (("inception_v1",), ("inception_v1.tutorial",)), expected=[True, 1], compare="equal",
          convention="[global average pooling before the classifier, dense layers run at inference]"),
    Claim("000-googlenet-two-aux", "GoogLeNet adds two auxiliary classifiers, against vanishing gradients.",
          f"{A000}, Inception section (line 579)", "count", "aux_heads",
          (("inception_v1",), ("inception_v1.tutorial",)), expected=2, compare="exact",
          convention="auxiliary classifiers of the training-time network"),
    Claim("000-googlenet-follows-table1", "The article builds GoogLeNet from the Inception V1 paper's Table 1.",
          f"{A000}, Inception section (line 588)", "exact", "googlenet_table1",
          (("inception_v1.tutorial", "inception_v1"),),
          expected=[], compare="equal",
          convention="every departure from the paper's network (Table 1 and Sec. 5), listed: convolutions, LRN, "
                     "batch norm, dense layers, auxiliary classifiers, activations in the Inception branches"),
    Claim("000-googlenet-not-deeper", "GoogLeNet did not deepen the network the way VGG and AlexNet did; it put "
          "the Inception structure in place of plain convolution layers instead.", f"{A000}, Inception section "
          "(line 561)", "inequality", "ratio", (("inception_v1", "vgg16"), ("inception_v1.tutorial", "vgg16.tutorial")),
          expected=1.0, compare="at_most", convention=DEPTH, args={"of": "depth"},
          note="Read as 'GoogLeNet is not deeper than VGG-16', the deeper of the two (AlexNet has 8 weight layers). "
               "GoogLeNet's own paper is titled 'Going deeper with convolutions' and counts 22 layers (Sec. 5): it "
               "deepened and widened."),
    Claim("000-bottleneck-output-shape", "The 5x5 convolution with 125 filters (stride 1, pad 2) on the 100x100x56 "
          "input outputs 100x100x125, with or without the 1x1 reduction to 28 maps first.",
          f"{A000}, Inception section (line 573)", "shapes", "bottleneck_example", (("",),),
          expected=[[125, 100, 100], [125, 100, 100]], compare="equal", args={"shape": True},
          convention="[maps, height, width] of the direct and the reduced path"),
    Claim("000-resnet34-tutorial-34-layers", "The article's ResNet34 (two-convolution residual blocks) is 34 weight "
          "layers deep, its blocks 3, 4, 6 and 3 per stage.", f"{A000}, ResNet code (lines 1038, 1052)", "count",
          "stage_blocks", (("resnet34.tutorial",),), expected=[34, [3, 4, 6, 3]], compare="equal",
          convention="[weight layers on the longest path, residual blocks per stage (a stage: the blocks of one "
                     "width)]"),
    Claim("000-residual-change-example", "With x = 5 and two layers giving H(x) = 5.1 then 5.2, the plain output "
          "changes by (5.2 - 5.1) / 5.1 = 1.96% but the residual by (0.2 - 0.1) / 0.1 = 100%.",
          f"{A000}, ResNet section (lines 869-874)", "exact", "residual_change_example", (("",),),
          expected=[0.0196, 1.0], compare="equal", convention="relative changes rounded to 4 places"),
    Claim("000-resnet34-projection-shortcuts", "Where a block's input channels differ from F(x)'s (the dashed "
          "shortcuts) the input is convolved to match: H(x) = F(x) + Wx; ResNet-34 has three such.",
          f"{A000}, ResNet section (line 880) and code (lines 1066, 1072, 1080)", "count", "projection_shortcuts",
          (("resnet34",), ("resnet34.tutorial",)), expected=3, compare="exact",
          note="The article's code convolves the shortcut with the block's 3x3 kernel (line 1045), not 1x1."),

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
    Claim("001-resnet18-fmnist", "ResNet-18 on Fashion-MNIST at 96x96 (lr 0.05, 10 epochs, batch 256) reaches test "
          "accuracy 0.907.", f"{A001}, training", "training", "training", (("resnet18.d2l",),),
          expected=0.907, tolerance=printed(3), args={"experiment": "resnet18-fmnist96", "metric": "test_accuracy"},
          requires="Fashion-MNIST on disk and a GPU run of the probe"),
    Claim("001-resnet18-fmnist-train-acc", "The same run ends with train accuracy 0.998.", f"{A001}, training",
          "training", "training", (("resnet18.d2l",),), expected=0.998, tolerance=printed(3),
          args={"experiment": "resnet18-fmnist96", "metric": "train_accuracy"},
          requires="Fashion-MNIST on disk and a GPU run of the probe"),
    Claim("001-resnet18-fmnist-loss", "The same run ends with training loss 0.010.", f"{A001}, training",
          "training", "training", (("resnet18.d2l",),), expected=0.010, tolerance=printed(3),
          args={"experiment": "resnet18-fmnist96", "metric": "train_loss"},
          requires="Fashion-MNIST on disk and a GPU run of the probe"),
    Claim("001-resnet18-fmnist-throughput", "The run trains at 4,886.6 examples/s on gpu(0).", f"{A001}, training",
          "training", "training", (("resnet18.d2l",),), expected=4886.6, tolerance=ABOUT,
          args={"experiment": "resnet18-fmnist96", "metric": "examples_per_s"},
          requires="the article's GPU, which it does not name: a throughput is a fact about its hardware (and "
                   "MXNet 1.6), not about the network; archscope probe measures this machine's",
          note="Any figure measured here describes the hardware it ran on; the comparison is informative only."),
    Claim("001-resnet-vs-googlenet", "Against GoogLeNet, ResNet 1) adds batch normalization and 2) introduces the "
          "residual structure.", f"{A001}, introduction (line 7)", "exact", "residual_and_bn",
          (("resnet18.d2l", "inception_v1"), ("resnet18", "inception_v1"),
           ("resnet18.torchvision", "inception_v1.torchvision")),
          expected=[True, True], compare="equal",
          convention="[batch norm in the first, none in the second; residual blocks in the first, none in the second]",
          note="torchvision's GoogLeNet has batch norm (a later addition, not the paper's)."),
    Claim("001-resnet-stem-googlenet-bn", "ResNet's first two layers are GoogLeNet's, with batch norm added.",
          f"{A001}, network (line 60)", "exact", "stem_match",
          (("resnet18.d2l", "inception_v1"), ("resnet18", "inception_v1"),
           ("resnet18.torchvision", "inception_v1.torchvision")),
          expected=[True, True], compare="equal",
          convention="[first convolution and max pool alike (maps, kernel, stride), batch norm only in the first]"),

    # ---- article 002 ----------------------------------------------------------
    Claim("002-lenet5-maps", "LeNet-5: C1 is 6 maps of 28x28 (32-5+1), S2 6 of 14x14, C3 16 of 10x10, S4 16 of 5x5, "
          "C5 120 of 1x1.", f"{A002}, LeNet-5 walk-through", "shapes", "output_shapes", (("lenet5",),),
          expected=[[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1]], compare="equal",
          args={"layers": ["c1", "s2", "c3", "s4", "c5"]}),
    Claim("002-lenet5-seven-layers", "LeNet-5 is a 7-layer network (C1, S2, C3, S4, C5, F6, output).",
          f"{A002}, LeNet-5", "count", "lenet_layers", (("lenet5",),), expected=7, compare="exact",
          convention="layers that hold connections, squashing functions excluded"),
    Claim("002-lenet1-five-layers", "LeNet-1 has 5 layers.", f"{A002}, LeNet history", "count", "lenet_layers",
          (("lenet1",),), expected=5, compare="exact",
          convention="layers that hold connections, squashing functions excluded"),
    Claim("002-lenet4-six-layers", "LeNet-4 has 6 layers.", f"{A002}, LeNet history", "count", "lenet_layers",
          (("lenet4",),), expected=6, compare="exact",
          convention="layers that hold connections, squashing functions excluded"),
    Claim("002-lenet-d2l-shapes", "The d2l LeNet on a 1x28x28 input: 6x28x28, 6x14x14, 16x10x10, 16x5x5, then 400, "
          "120, 84, 10.", f"{A002}, LeNet code", "shapes", "output_shapes", (("lenet.d2l",),),
          expected=[[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [400], [120], [84], [10]], compare="equal",
          args={"layers": ["0", "2", "3", "5", "6", "7", "9", "11"]}),
    Claim("002-alexnet-eight-layers", "AlexNet has eight layers: five convolutional, two fully connected hidden "
          "layers and one fully connected output layer.", f"{A002}, AlexNet", "count", "conv_fc_counts",
          (("alexnet",), ("alexnet.d2l",)), expected=[5, 3], compare="equal"),
    Claim("002-stacked-3x3-5x5", "Two stacked 3x3 convolutions see what one 5x5 sees, with fewer parameters.",
          f"{A002}, VGG (line 1017); {VGG}, Sec. 2.3", "inequality", "stacked_kernels", (("",),), expected=True,
          compare="equal", args={"n": 2}),
    Claim("002-stacked-3x3-7x7", "Three stacked 3x3 convolutions see what one 7x7 sees, with 27C^2 instead of "
          "49C^2 weights.", f"{A002}, VGG (line 1017); {VGG}, Sec. 2.3", "inequality", "stacked_kernels", (("",),),
          expected=True, compare="equal", args={"n": 3}),
    Claim("002-stacked-3x3-11x11", "Consecutive 3x3 kernels replace AlexNet's larger ones: five see what one 11x11 "
          "sees, with 45C^2 instead of 121C^2 weights.", f"{A002}, VGG (line 1017)", "inequality", "stacked_kernels",
          (("",),), expected=True, compare="equal", args={"n": 5}),
    Claim("002-alexnet-large-kernels", "AlexNet's larger kernels are 11x11, 7x7 and 5x5.", f"{A002}, VGG (line 1017)",
          "exact", "conv_kernels", (("alexnet",), ("alexnet.d2l",)), expected=[5, 7, 11], compare="equal",
          args={"above": 3}, note="7x7 is ZFNet's first layer and GoogLeNet's, not AlexNet's."),
    Claim("002-pooling-enlarges-rf", "Pooling downsamples and enlarges the receptive field of the kernels after it.",
          f"{A002}, CNN layers (line 176)", "inequality", "pooling_rf_gain", (("lenet.d2l",),), expected=True,
          compare="equal", args={"layer": "3", "without": {"pool_size": 1}},
          convention="receptive field of C3 with S2 against S2 of window 1"),
    Claim("002-lenet5-input-32", "LeNet-5's input is normalised to 32x32.", f"{A002}, LeNet-5 (line 256)", "shapes",
          "input_shape", (("lenet5",), ("lenet.d2l",)), expected=[1, 32, 32], compare="equal",
          note="The article's own code (d2l's) feeds 28x28 and pads C1 by 2 (line 337), so C1 sees the paper's 32x32 "
               "field; its input tensor is 28x28."),
    Claim("002-lenet-default-sigmoid", "LeNet's activation function is the sigmoid by default (F6 too).",
          f"{A002}, LeNet-5 (lines 262, 302, 746)", "exact", "activation_shapes", (("lenet5",), ("lenet.d2l",)),
          expected=["sigmoid"], compare="equal",
          convention="the shape of the activation functions: sigmoid (an S-shaped squashing function) or relu",
          note="The article's line 302 is LeCun et al.'s F6 description ('passed through a sigmoid squashing "
               "function', Sec. II-B): the paper's sigmoid is the scaled hyperbolic tangent 1.7159 tanh(2a/3) "
               "(Appendix A), d2l's (the article's code, line 337) the logistic function. Both are sigmoids in the "
               "paper's sense; neither is a rectifier, which is what the article's ablation changes (line 748)."),
    Claim("002-lenet-default-avgpool", "LeNet uses average pooling by default.", f"{A002}, LeNet-5 (lines 274, 746)",
          "exact", "pooling_kinds", (("lenet5",), ("lenet.d2l",)), expected=["average"], compare="equal",
          convention="how the pooling layers pool: average or max",
          note="LeNet-5's subsampling is 'local averaging and sub-sampling' (LeCun et al. 1998, Sec. II-A): the 2x2 "
               "average times a trainable coefficient plus a trainable bias (Sec. II-B), as the article's own S2 "
               "description says (line 278); d2l's AvgPool2d drops the two parameters (002-lenet5-s2-trainable)."),
    Claim("002-lenet5-layer-settings", "LeNet-5's layers: C1 6 kernels 5x5, padding 0, stride 1; S2 2x2, padding 0, "
          "stride 2; C3 16 kernels 5x5; S4 2x2 stride 2; C5 120 kernels 5x5; F6 84 units; F7 10 units.",
          f"{A002}, LeNet-5 (lines 264, 276, 282, 288, 294, 300, 308)", "exact", "layer_config",
          (("lenet5",), ("lenet.d2l",)),
          expected=[[6, 5, 0, 1], [2, 2, 0], [16, 5, 0, 1], [2, 2, 0], [120, 5, 0, 1], [84], [10]], compare="equal",
          convention="convolution [maps, kernel, padding, stride]; pooling [window, stride, padding]; dense [units]",
          args={"layers": {"lenet5": ["c1", "s2", "c3", "s4", "c5", "f6", "output"],
                           "lenet.d2l": ["0", "2", "3", "5", "7", "9", "11"]}}),
    Claim("002-lenet5-s2-trainable", "S2 sums each 2x2 area of C1, multiplies it by a trainable coefficient and adds "
          "a bias: 2 parameters per map, 12 in all.", f"{A002}, LeNet-5 (line 278); {LECUN}", "count", "layer_params",
          (("lenet5",), ("lenet.d2l",)), expected=[12], compare="equal",
          args={"layers": {"lenet5": ["s2"], "lenet.d2l": ["2"]}}),
    Claim("002-lenet5-c3-partial", "C3's 16 maps are each computed from a particular combination of S2's 6 maps, not "
          "from all of them.", f"{A002}, LeNet-5 (line 284); {LECUN}, Table I", "inequality", "map_links",
          (("lenet5",), ("lenet.d2l",)), expected=96, compare="less",
          args={"layer": {"lenet5": "c3", "lenet.d2l": "3"}},
          convention="(S2 map, C3 map) pairs connected, of 6 x 16 = 96"),
    Claim("002-lenet5-f6-rbf", "F6 has 84 units, one per pixel of a 7x12 bitmap; the output layer has 10 RBF units, "
          "one per digit.", f"{A002}, LeNet-5 (lines 304, 310)", "shapes", "output_shapes", (("lenet5",),),
          expected=[[84], [10]], compare="equal", args={"layers": ["f6", "output"]},
          note="7 x 12 = 84. The d2l code drops the RBF layer (line 328) for a Linear(84, 10)."),
    Claim("002-lenet-d2l-matches-paper", "The d2l code is the paper's LeNet apart from the final Gaussian (RBF) "
          "layer: every layer's parameters agree with the paper.", f"{A002}, LeNet code (lines 328, 418)", "exact",
          "lenet_paper", (("lenet.d2l", "lenet5"),), expected=[], compare="equal",
          args={"c1": {"lenet.d2l": "0", "lenet5": "c1"}, "layer": {"lenet.d2l": "3", "lenet5": "c3"}},
          convention="every departure from LeNet-5 as published (the output layer aside), listed"),
    Claim("002-alexnet-relu", "AlexNet uses ReLU instead of the sigmoid as its activation.",
          f"{A002}, AlexNet (line 993)", "exact", "module_types", (("alexnet",), ("alexnet.d2l",)),
          expected=["ReLU"], compare="equal", args={"kind": "activation"}),
    Claim("002-alexnet-lrn-dropout", "AlexNet uses local response normalisation and dropout.",
          f"{A002}, AlexNet (line 999)", "exact", "has_modules", (("alexnet",), ("alexnet.d2l",)),
          expected=["LocalResponseNorm", "Dropout"], compare="equal", args={"types": ["LocalResponseNorm", "Dropout"]},
          note="d2l's AlexNet leaves LRN out."),
    Claim("002-alexnet-overlapping-pooling", "AlexNet pools with overlapping windows.", f"{A002}, AlexNet (line 999); "
          f"{ALEX}, Sec. 3.4", "exact", "pool_windows", (("alexnet",), ("alexnet.d2l",)),
          expected=[[3, 2], [3, 2], [3, 2]], compare="equal", convention="[window, stride] of each max pool"),
    Claim("002-vgg-block", "A VGG block is 3x3 convolutions with padding 1 (height and width kept), then a 2x2 max "
          "pool of stride 2 (halved).", f"{A002}, VGG (line 1015); {VGG}, Sec. 2.1", "exact", "conv_pool_layout",
          (("vgg11",), ("vgg16",), ("vgg19",), ("vgg16.torchvision",)),
          expected=[["3x3/1 pad 1"], ["2x2/2"]], compare="equal",
          convention="[distinct convolution settings, distinct max-pool settings]"),
    Claim("002-nin-mlpconv", "NiN replaces the plain linear convolution with a multilayer perceptron (the 1x1 "
          "convolutions after each convolution).", f"{A002}, NiN (line 1037)", "exact", "mlpconv",
          (("nin",), ("nin.d2l",)), expected=True, compare="equal"),
    # Fig. 10 (line 456): the three figures d2l's train_ch6 prints, each its own claim, one experiment
    *[Claim(f"002-lenet-fmnist{suffix}", f"The d2l LeNet on Fashion-MNIST (lr 0.9, 10 epochs, batch 256): {what}.",
            f"{A002}, Fig. 10 (line 456)", "training", "training", (("lenet.d2l",),), expected=value,
            tolerance=printed(3), experiment="lenet-fmnist", args={"metric": metric},
            requires="Fashion-MNIST and a training run")
      for suffix, what, metric, value in (("", "test accuracy 0.809", "test_accuracy", 0.809),
                                          ("-train-loss", "train loss 0.469", "train_loss", 0.469),
                                          ("-train-acc", "train accuracy 0.821", "train_accuracy", 0.821))],
    # the ablations (each setting 10 runs, averaged: lines 514, 620, 748, 792, 838, 878, 910); the summary
    # claims first, then every cell of Tables 3-8 and 10 (below, generated from the tables' data)
    Claim("002-lenet-lr-ablation", "Learning rate from 0 to 1.7 in steps of 0.1, 10 runs each: accuracy rises with "
          "lr (with some fluctuation), then falls; the better lr is 1.2-1.4, not d2l's 0.9.",
          f"{A002}, Table 3 and Fig. 11 (lines 514, 600)", "training", "training", (("lenet.d2l",),),
          expected=[1.2, 1.4], compare="range", tolerance=Tolerance(wording="'1.2-1.4': the best row's lr in it"),
          args={"experiment": "lenet-fmnist-lr", "metric": "test_accuracy", "best_of": "lr"},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-lr",
          note="The article's range starts at lr 0, which trains nothing; its Table 3 shows only 0.9-1.7."),
    Claim("002-lenet-lr-best-accuracy", "With the better lr, test accuracy rises from 0.809 to 0.83.",
          f"{A002}, Table 3 and Fig. 11 (line 600)", "training", "training", (("lenet.d2l",),), expected=0.83,
          tolerance=printed(2), args={"experiment": "lenet-fmnist-lr", "metric": "test_accuracy", "setting": "best"},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-lr"),
    Claim("002-lenet-batch-ablation", "Batch size 2-1024 (powers of 2), 10 runs each: accuracy rises then falls "
          "with the batch size; the better batch is 8 or 16, not 256.", f"{A002}, Table 4 and Fig. 13 (lines 620, "
          "714)", "training", "training", (("lenet.d2l",),), expected=[8, 16], compare="range",
          tolerance=Tolerance(wording="'8 or 16': the best row's batch size is one of them"),
          args={"experiment": "lenet-fmnist-batch", "metric": "test_accuracy", "best_of": "batch_size"},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-batch"),
    Claim("002-lenet-batch-best-accuracy", "With the better batch size, test accuracy rises from 0.809 to 0.888.",
          f"{A002}, Table 4 (line 714)", "training", "training", (("lenet.d2l",),), expected=0.888,
          tolerance=printed(3),
          args={"experiment": "lenet-fmnist-batch", "metric": "test_accuracy", "setting": "best"},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-batch"),
    Claim("002-lenet-epoch-ablation", "Epochs 10, 50, 100: accuracy rises, then stays stable once the model "
          "converges; about 50 epochs is better than 10.", f"{A002}, epoch ablation, Figs. 10, 14, 15 (lines 730, "
          "738)", "training", "training", (("lenet.d2l",),), expected=[50, 100], compare="range",
          tolerance=Tolerance(wording="'about 50, not 10', then 'stable': the best of 10/50/100 is 50 or 100"),
          args={"experiment": "lenet-fmnist-epochs", "metric": "test_accuracy", "best_of": "epochs"},
          requires="Fashion-MNIST on disk and 160 epochs of training"),
    Claim("002-lenet-epoch-50-accuracy", "About 50 epochs raise test accuracy from 0.809 to 0.89.",
          f"{A002}, epoch ablation (line 738)", "training", "training", (("lenet.d2l",),), expected=0.89,
          tolerance=printed(2),
          args={"experiment": "lenet-fmnist-epochs", "metric": "test_accuracy", "setting": {"epochs": 50}},
          requires="Fashion-MNIST on disk and 50 epochs of training"),
    Claim("002-lenet-relu-ablation", "ReLU in the convolution layers (F6 keeps its sigmoid) raises test accuracy "
          "from 0.809 to 0.884.", f"{A002}, Table 5 and Fig. 17 (lines 748, 760, 786, 790)", "training", "training",
          (("lenet.d2l",),), expected=0.884, tolerance=printed(3),
          args={"experiment": "lenet-fmnist-activation", "metric": "test_accuracy", "setting": _RELU_CONVS,
                "also_settings": [_RELU_C1_C3]},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-activation",
          note="Read as C1, C3 and C5 (line 760 keeps only F6's sigmoid; lines 252 and 296 count C5 among the "
               "convolutions): with it the measured training figures are Table 5's (0.281 and 0.895 against 0.28 and "
               "0.894). The code's two Conv2d alone is measured beside it."),
    Claim("002-lenet-pooling-ablation", "Max pooling instead of average pooling leaves the results about the same: "
          "test accuracy 0.811 against average pooling's 0.809.", f"{A002}, Table 6 and Fig. 19 (lines 828, 832)",
          "training", "training", (("lenet.d2l",),), expected=0.811, tolerance=printed(3),
          args={"experiment": "lenet-fmnist-pooling", "metric": "test_accuracy", "setting": {"pool": "max"}},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-pooling"),
    Claim("002-lenet-kernel-ablation", "Of C1 kernel sizes 3, 4 and 5, 5 (the default) is the better one.",
          f"{A002}, Table 7 and Fig. 20 (lines 838, 876)", "training", "training", (("lenet.d2l",),), expected=5,
          compare="exact",
          args={"experiment": "lenet-fmnist-kernel", "metric": "test_accuracy", "best_of": "conv1_kernel_size"},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-kernel"),
    Claim("002-lenet-kernel-text-vs-table7", "Accuracy rises steadily with C1's kernel size (3, 4, 5).",
          f"{A002}, Table 7 (lines 868-876)", "inequality", "source_figures", (("",),),
          args={"figures": {"test acc k=3": 0.792, "test acc k=4": 0.782, "test acc k=5": 0.809,
                            "train acc k=3": 0.818, "train acc k=4": 0.823, "train acc k=5": 0.821}},
          inconsistent="The text (line 876) says accuracy rises steadily with the kernel size; its own Table 7 "
                       "(lines 868-872) has test accuracy fall from 3 to 4 (0.792 -> 0.782) and train accuracy "
                       "fall from 4 to 5 (0.823 -> 0.821)."),
    Claim("002-lenet-poolsize-ablation", "Pooling size 2 (the paper's) is better than 1.",
          f"{A002}, Table 8 (lines 878, 906)", "training", "training", (("lenet.d2l",),), expected=2, compare="exact",
          args={"experiment": "lenet-fmnist-poolsize", "metric": "test_accuracy", "best_of": "pool_size"},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-poolsize"),
    Claim("002-lenet-poolsize-text-vs-table8", "Going from pooling size 2 to 1, accuracy falls and the loss rises.",
          f"{A002}, Table 8 (lines 888-906)", "inequality", "source_figures", (("",),),
          args={"figures": {"loss size 2": 0.469, "loss size 1": 0.435, "train acc size 2": 0.821,
                            "train acc size 1": 0.84, "test acc size 2": 0.809, "test acc size 1": 0.791}},
          inconsistent="The text (line 906) says the loss rises and the accuracy falls at size 1; its own Table 8 "
                       "has the loss fall (0.469 -> 0.435, lines 890-892) and the train accuracy rise "
                       "(0.821 -> 0.84, lines 896-898); only the test accuracy falls (0.809 -> 0.791)."),
    Claim("002-lenet-best-combination", "Table 9's settings together (lr 1.2-1.4, batch 8 or 16, about 50 epochs, "
          "ReLU, average or max pooling, C1 kernel 5, pooling size 2) raise test accuracy from 0.809 to 0.906.",
          f"{A002}, Tables 9-10 and Fig. 21 (lines 910-974)", "training", "training", (("lenet.d2l",),),
          expected=0.906, tolerance=printed(3),
          args={"experiment": "lenet-fmnist-best", "metric": "test_accuracy", "setting": _BEST,
                **_other_readings(_BEST)},
          requires="Fashion-MNIST on disk: archscope sweep --recipe lenet-fmnist-best",
          note="Table 9 gives ranges; the experiment takes lr 1.3 (the middle of 1.2-1.4), batch 16 (Table 4's best "
               "test accuracy, 0.888 against batch 8's 0.887), 50 epochs, average pooling (the default; either is "
               "allowed), and its 'ReLU' is Table 5's "
               "(C1, C3 and C5; the code's two Conv2d alone is measured beside it). Both readings diverge to "
               "chance at lr 1.3 and batch 16; plain PyTorch agrees (reports/table10-divergence.md)."),
    Claim("002-baseline-row-is-one-run", "Tables 3-8 and 10 give the defaults' row (train loss 0.469, train accuracy "
          "0.821, test accuracy 0.809) as a mean of 10 runs.",
          f"{A002}, Tables 3-8 and 10 (lines 514, 620, 748, 792, 838, 878, 910) and Fig. 10 (line 456)", "exact",
          "source_figures", (("",),),
          args={"figures": {"Fig. 10, one run (line 456)": list(BASELINE),
                            "Tables 3-8, 10, 'mean of 10 runs' (lines " + ", ".join(map(str, _baseline_lines()))
                            + ")": list(BASELINE)}},
          inconsistent="Every table says each row is the mean of 10 runs, yet the defaults' row is, in all three "
                       "figures to the last printed digit, the single run of Fig. 10 (line 456). Ten runs whose "
                       "seeds spread as ours do (test accuracy by about 0.008) would not average to one of them in "
                       "all three figures: the tables reprint the single run. archscope judges it once, as one run "
                       "(002-lenet-fmnist, 002-lenet-fmnist-train-loss, 002-lenet-fmnist-train-acc, k = 1)."),
    Claim("002-mnist-facts", "MNIST has 60,000 training and 10,000 test images, each a 28x28 grey-scale image of a "
          "handwritten digit.", f"{A002}, data sets (line 218)", "exact", "dataset_facts", (("",),),
          expected=[60_000, 10_000, 1, 28, 28, 10], compare="equal",
          args={"dataset": "mnist", "facts": ["train", "test", "channels", "height", "width", "classes"]},
          convention="[training images, test images, channels, height, width, classes] read from the data set's "
                     "files once their published checksums verified"),
    Claim("002-fashion-mnist-facts", "Fashion-MNIST holds 70,000 front views of products in 10 classes, in MNIST's "
          "format (28x28 grey-scale, 60,000 for training and 10,000 for testing).", f"{A002}, data sets (line 224)",
          "exact", "dataset_facts", (("",),), expected=[70_000, 10, 60_000, 10_000, 1, 28, 28], compare="equal",
          args={"dataset": "fashion-mnist", "facts": ["total", "classes", "train", "test", "channels", "height",
                                                      "width"]},
          convention="[images, classes, training images, test images, channels, height, width] read from the data "
                     "set's files once their published checksums verified"),
    Claim("002-lenet-batch-small-converges-slowly", "With small batches LeNet converges much more slowly.",
          f"{A002}, Table 4 and Fig. 13 (line 714)", "training", "training", (("lenet.d2l",),),
          compare="slower",
          args={"experiment": "lenet-fmnist-batch", "curve": {"key": "batch_size", "slow": [2, 4], "fast": [8, 16],
                                                               "metric": "test_accuracy"}},
          requires="Fashion-MNIST on disk and per-epoch curves of the batch runs",
          note="Read on the per-epoch curves d2l's animator draws (what the article watched): the epochs each run "
               "needs to reach a test accuracy every compared run reaches, batches 2 and 4 (the small ones) against "
               "the faster of 8 and 16 (the article's better sizes, the same sentence)."),
    Claim("002-lenet-mnist-98", "On MNIST the same LeNet reaches over 98% accuracy.", f"{A002}, line 458",
          "training", "training", (("lenet.d2l",),), expected=0.98, compare="at_least",
          tolerance=Tolerance(wording="'98%+': at least 0.98"),
          args={"experiment": "lenet-mnist-d2l", "metric": "test_accuracy"},
          requires="MNIST on disk and a training run (the article gives no settings: d2l's, as for Fashion-MNIST)"),
    *[Claim(f"002-table{t}-{label}-{short}", f"Table {t}: {what}, {name} {value}.", f"{A002}, Table {t} (line {line})",
            "training", "training", (("lenet.d2l",),), expected=value, tolerance=TABLE,
            args={"experiment": exp, "metric": metric, "setting": setting,
                  **_other_readings(setting)},
            requires=f"Fashion-MNIST on disk: archscope sweep --recipe {exp}")
      for t, exp, label, what, setting, line, value, metric, short, name in _table_cells()],

    # ---- article 003 ----------------------------------------------------------
    Claim("003-resnet152-8x-vgg19-depth", "The 152-layer ResNet is 8 times deeper than VGG-19.",
          f"{A003}, results; {RES}, Sec. 4.1", "ratio", "ratio", (("resnet152", "vgg19"),), expected=8.0,
          tolerance=printed(0), convention=DEPTH, args={"of": "depth"}),
    Claim("003-resnet152-fewer-params-than-vgg19", "ResNet-152 still has fewer parameters than VGG-19.",
          f"{A003}, results", "inequality", "ratio", (("resnet152", "vgg19"),), expected=1.0, compare="less",
          convention=PARAMS, args={"of": "params"}),
    Claim("resnet-152-cheaper-than-vgg19", "ResNet-152 has lower complexity (multiply-adds) than VGG-19.",
          f"{RES}, Sec. 4.1", "inequality", "ratio", (("resnet152", "vgg19"),), expected=1.0, compare="less",
          convention=MACS, args={"of": "macs"}),
    Claim("003-v1-depth-6n2", "ResNet v1 for CIFAR has depth 6n+2: n=3 gives ResNet-20.", f"{A003}, code",
          "count", "depth", (("resnet20",), ("resnet20.keras",)), expected=20, compare="exact", convention=DEPTH),
    Claim("003-v1-depth-examples", "resnet_v1 refuses a depth that is not 6n+2, 'e.g. 20, 32, 44'.",
          f"{A003}, code (resnet_v1)", "count", "depths",
          (("resnet20", "resnet32", "resnet44"), ("resnet20.keras", "resnet32.keras", "resnet44.keras")),
          expected=[20, 32, 44], compare="equal", convention=DEPTH),
    Claim("003-v2-depth-9n2", "resnet_v2 refuses a depth that is not 9n+2, 'e.g. 56 or 110'.",
          f"{A003}, code (resnet_v2)", "count", "depths",
          (("preresnet56", "preresnet110"), ("preresnet56.keras", "preresnet110.keras")), expected=[56, 110],
          compare="equal", convention=DEPTH,
          note="The pre-activation paper's own 110-layer net uses basic blocks (6n+2); 9n+2 = 110 is the bottleneck "
               "depth the Keras example gives."),
    Claim("003-v2-n3-depth-29", "The article's setting n = 3 gives depth 9n+2 = 29 with version 2.",
          f"{A003}, hyperparameters and code", "count", "depth", (("preresnet29.keras",),), expected=29,
          compare="exact", convention=DEPTH),
    Claim("003-v1-no-bn-after-last-relu", "resnet_v1 uses no batch norm after the last shortcut connection's ReLU: "
          "average pooling, flatten and the dense classifier follow it.",
          f"{A003}, code comment in resnet_v1 (line 42)",
          "exact", "head_layers", (("resnet20.keras",),), expected=["pooling", "flatten", "linear"], compare="equal",
          convention="the layers after the last residual block, in the order they run, by category"),
    Claim("003-linear-projection-shortcuts", "Where a residual block changes the dimensions, a linear projection "
          "shortcut (a 1x1 convolution, no batch norm, no activation) matches them.",
          f"{A003}, code comments in resnet_v1 and resnet_v2 (lines 42, 49)", "exact", "projection_placement",
          (("resnet20.keras",), ("preresnet29.keras",)), expected=[True, True], compare="equal",
          convention="[projections exactly where a block changes the maps or the resolution, each a lone 1x1 "
                     "convolution]"),
    Claim("003-v2-bn-relu-before-split", "resnet_v2 performs a convolution with batch norm and ReLU on the input "
          "before splitting it into the two paths.", f"{A003}, code comment in resnet_v2 (line 49)", "exact",
          "stem_layers", (("preresnet29.keras",),), expected=["conv", "norm", "activation"], compare="equal",
          convention="the layers before the first residual block, by category"),
    Claim("003-v2-bottleneck-unit", "resnet_v2 is built of bottleneck residual units: 1x1, 3x3, 1x1 convolutions.",
          f"{A003}, code comment in resnet_v2 (line 49)", "exact", "residual_kernels", (("preresnet29.keras",),),
          expected=[[1, 3, 1]], compare="equal",
          convention="the distinct kernel-size sequences of the residual paths (shortcuts left out)"),
    Claim("003-v2-bn-relu-before-pooling", "resnet_v2 has batch norm and ReLU before the pooling.",
          f"{A003}, code comment in resnet_v2 (line 49)", "exact", "head_layers", (("preresnet29.keras",),),
          expected=["norm", "activation", "pooling", "flatten", "linear"], compare="equal",
          convention="the layers after the last residual block, in the order they run, by category"),
    Claim("003-100-1000-layers", "The paper's authors experimented with 100-1000 layers on CIFAR-10.",
          f"{A003}, introduction (line 11); {RES}, Sec. 4.2", "count", "depths", (("resnet110", "resnet1202"),),
          expected=[100, 1000], compare="approx",
          tolerance=Tolerance(rel=0.5, wording="round figures of one significant digit ('100-1000'): each end "
                                               "rounds to it"),
          convention=DEPTH + "; the shallowest and the deepest of He et al.'s CIFAR-10 nets past 100 layers",
          note="The paper's CIFAR-10 nets past 100 layers are ResNet-110 and ResNet-1202 ('exploring over 1000 "
               "layers', Sec. 4.2), the deepest CIFAR net in the zoo."),
    Claim("003-cifar10-facts", "CIFAR-10 has 60,000 32x32 colour images of 10 classes.",
          f"{A003}, implementation (line 16)", "exact", "dataset_facts", (("",),), expected=[60_000, 3, 32, 32, 10],
          compare="equal", args={"dataset": "cifar10", "facts": ["total", "channels", "height", "width", "classes"]},
          convention="[images, channels, height, width, classes] read from the data set's files once their "
                     "published checksums verified"),
    Claim("003-resnet34-from-34-layer-plain", "ResNet-34 adds shortcuts to a 34-layer plain network inspired by "
          "VGG-19.", f"{A003}, architecture", "count", "depth", (("resnet34",), ("plain34",)), expected=34,
          compare="exact", convention=DEPTH),
    Claim("003-plain56-worse-than-plain20", "A 56-layer plain network has higher test error on CIFAR-10 than a "
          "20-layer one.", f"{A003}, introduction; {A000}, ResNet section; {A004}; {RES}, Fig. 1", "training",
          "training", (("plain56", "plain20"),), expected="plain20", compare="exact",
          args={"metric": "test_accuracy", "best_of": "model"},
          requires="CIFAR-10 on disk and full training runs (He et al. 2015, Sec. 4.2: 64k iterations)"),
    Claim("003-plain56-worse-than-plain20-train", "... and higher training error: the degradation is not "
          "overfitting.", f"{A003}, introduction; {A000}, ResNet section; {A004}; {RES}, Fig. 1", "training",
          "training", (("plain56", "plain20"),), expected="plain20", compare="exact",
          args={"metric": "train_accuracy", "best_of": "model"},
          requires="CIFAR-10 on disk and full training runs (He et al. 2015, Sec. 4.2: 64k iterations)"),
    Claim("003-resnet-18-34-imagenet", "Going from 18 to 34 layers lowers the ImageNet validation error of the "
          "residual nets, unlike the plain ones.", f"{A003}, results (line 62); {RES}, Table 2 and Fig. 4",
          "training", "training", (("resnet18", "resnet34", "plain18", "plain34"),),
          args={"metric": "test_accuracy"},
          requires="ImageNet (ILSVRC 2012) on disk and full training runs of the four networks (He et al. 2015, "
                   "Sec. 3.4: batch 256, 60 x 10^4 iterations)",
          note="The paper's top-1 validation errors (10-crop, Table 2): plain 27.94 -> 28.54, ResNet 27.88 -> 25.03."),
    Claim("003-imagenet-ensemble-error", "An ensemble of these ResNets has 3.7% error on the ImageNet test set "
          "(line 59); the top-5 error of 3.57% was the lowest (line 65).", f"{A003}, results (lines 59, 65)",
          "exact", "source_figures", (("",),), args={"figures": {"line 59": "3.7%", "line 65": "3.57%"}},
          inconsistent="The article gives the same result twice with different figures: 3.57% (the paper's, He et "
                       "al. 2015, Table 5) and 3.7%, which is not its rounding (3.6%)."),
    Claim("003-coco-28pct", "On COCO object detection the very deep representations give a 28% relative "
          "improvement.", f"{A003}, results (line 59); {RES}, Sec. 4.3", "training", "training", (("resnet101",),),
          requires="COCO on disk and Faster R-CNN training, which archscope does not do"),

    # ---- article 004 ----------------------------------------------------------
    Claim("004-resnet50-blocks", "ResNet-50: CONV2D, BN, RELU, MAXPOOL, then CONVBLOCK + IDBLOCK x2, CONVBLOCK + "
          "IDBLOCK x3, CONVBLOCK + IDBLOCK x5, CONVBLOCK + IDBLOCK x2, AVGPOOL, classifier.", f"{A004}",
          "count", "block_sequence", (("resnet50",), ("resnet50.keras",), ("resnet50.torchvision",)),
          expected=[2, 3, 5, 2], compare="equal"),
    Claim("004-shortcut-before-last-activation", "A residual block adds the shortcut from its input to the output of "
          "its two layers before the activation.", f"{A004} (line 27)", "exact", "add_then_activation",
          (("resnet18",), ("resnet34",)), expected=True, compare="equal",
          convention="every residual block's output is its last activation applied to the sum (torch.fx graph)"),
    Claim("004-resnet50-depth-50", "The network the article builds is a 50-layer ResNet.", f"{A004} (line 53)",
          "count", "depth", (("resnet50.keras",), ("resnet50",)), expected=50, compare="exact", convention=DEPTH),

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
    Claim("lecun-lenet1-2600", "LeNet-1's convolutional nature keeps its free parameters to only about 2,600.",
          LECUN_C7, "count", "params", (("lenet1",),), expected=2_600, tolerance=ABOUT, convention=PARAMS,
          note="Fully connected H3 (lenet1 with h3='full') has 3,278: the figure is one of the two reasons "
               "archscope reads H3 as partially connected (see `archscope info lenet1`)."),
    Claim("lecun-lenet1-100k-madds", "About 100,000 multiply/add steps are required to evaluate LeNet-1.",
          LECUN_C7, "count", "macs", (("lenet1",),), expected=100_000, tolerance=ABOUT, convention=MACS,
          note="Fully connected H3 would need 136,320."),
    Claim("lecun-lenet4-17k", "LeNet-4 has about 17,000 free parameters.", LECUN_C8, "count", "params",
          (("lenet4",),), expected=17_000, tolerance=ABOUT, convention=PARAMS,
          inconsistent="The network the same paragraph describes cannot have 17,000: its fully connected layer "
                       "of 120 units on 16 subsampled maps has 48,120 parameters by itself (16 x 5 x 5 x 120 + "
                       "120 on a 32x32 input; 30,840 even on a 28x28 one)."),
    Claim("lecun-lenet4-260k-connections", "LeNet-4 contains about 260,000 connections.", LECUN_C8, "count",
          "connections", (("lenet4",),), expected=260_000, tolerance=ABOUT,
          args={"layers": ["c1", "s2", "c3", "s4", "f5", "output"], "total": True},
          note="The text does not give C3's connections; fully connected to the 8 S2 maps it has 321,600 "
               "connections alone. A partial table of about 47 of the 128 map pairs would give 260,000."),
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
            "count", "row_weights", (("inception_v1",),), expected=k, compare="per_unit",
            tolerance=Tolerance(rel=0.01, wording="within 1% with K = 1,000 or K = 1,024 (the table does not say "
                                                  "which)"),
            convention="weights of the row's convolutions/FC layer, no biases", args={"modules": mods, "units":
                                                                                        [1000, 1024]},
            inconsistent=bad)
      for row, label, mods, k, bad in _GOOGLENET_PARAMS],
    *[Claim(f"googlenet-table1-{row}-ops", f"Table 1: the {label} row costs {mops}M operations.", f"{GOOG}, Table 1",
            "count", "row_macs", (("inception_v1",),), expected=mops * 1e6,
            tolerance=Tolerance(abs=1e6, wording="within 1M (the table prints whole millions, some truncated)"),
            convention=MACS, args={"modules": mods}, inconsistent=bad)
      for row, label, mods, mops, bad in _GOOGLENET_OPS],
    Claim("googlenet-22-layers", "GoogLeNet is 22 layers deep when counting only layers with parameters.",
          f"{GOOG}, Sec. 5", "count", "depth", (("inception_v1",), ("inception_v1.torchvision",)), expected=22,
          compare="exact", convention=DEPTH),
    Claim("googlenet-1.5g", "GoogLeNet keeps a budget of 1.5 billion multiply-adds at inference.", f"{GOOG}, Sec. 1",
          "count", "gmacs", (("inception_v1",), ("inception_v1.torchvision",)), expected=1.5, tolerance=printed(1),
          convention=MACS),
    Claim("googlenet-naive-outputs-grow", "In the naive Inception module (no 1x1 reductions, the pooling output "
          "merged as it is) the number of outputs inevitably increases from stage to stage.", f"{GOOG}, Sec. 4",
          "inequality", "outputs_grow", (("inception_v1",),), expected=True, compare="equal",
          convention="each Inception module's output maps against its input maps, in the what-if build",
          args={"knobs": {"reductions": False, "pool_proj": False},
                "layers": [f"inception{s}" for s in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]}),
    Claim("googlenet-naive-blowup", "Stacking naive Inception modules leads to a computational blow-up within a "
          "few stages, far beyond the 1.5 billion multiply-add budget.", f"{GOOG}, Secs. 4-5", "inequality", "gmacs",
          (("inception_v1",),), expected=1.5, compare="greater", convention=MACS,
          args={"knobs": {"reductions": False, "pool_proj": False}},
          note="The what-if build keeps Table 1's branch widths and drops the 1x1 reductions and pool "
               "projections (the paper's Fig. 2a); the paper network is the 1.58 G of googlenet-1.5g."),
    Claim("googlenet-12x-fewer-than-alexnet", "GoogLeNet uses 12 times fewer parameters than Krizhevsky et al.'s "
          "winning network.", f"{GOOG}, Sec. 1", "ratio", "ratio", (("alexnet", "inception_v1"),
                                                                   ("alexnet", "inception_v1.torchvision")),
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

# The later networks' papers (and the Inception line after v1), one module per zoo line; imported here so the
# registry stays the one list of claims.
from archscope.claims import zoo_inception, zoo_inception_v4, zoo_mobile  # noqa: E402

CLAIMS += [*zoo_inception.CLAIMS, *zoo_inception_v4.CLAIMS, *zoo_mobile.CLAIMS]


# ---- which build each claim is judged on ------------------------------------------------------------
# A claim about the source's own code is judged on its build of it (`*.tutorial`, `*.d2l`, `*.keras`); prose about
# a published network on the paper's build. The other builds are measured and shown beside the verdict ("also on
# ..."), never as it. Every claim with more than one model set is here or follows PAPER_BUILD (a paper's own claims).
PAPER_BUILD = ("a paper's statement about its networks: judged on the builds as the papers describe them (the "
               "untagged names); library ports are shown beside it")
_OWN = "the article's own code"
_BUILDS: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "000-vgg16-3x-alexnet": ((("vgg16.tutorial", "alexnet.tutorial"),),
                             f"line 557 follows {_OWN} (lines 279-335, 467-532): its Keras VGG16 and AlexNet"),
    "000-vgg16-several-times-alexnet": ((("vgg16.tutorial", "alexnet.tutorial"),),
                                        "line 376 introduces the article's VGG16 run beside its AlexNet: its Keras "
                                        "models"),
    "000-vgg16-slower-than-alexnet": ((("vgg16.tutorial", "alexnet.tutorial"),),
                                      "line 376 is about training the article's own VGG16 and AlexNet"),
    "000-bottleneck-saving-network": ((("inception_v1",),), "line 573 is prose about the published Inception "
                                      "module (the 2014 paper's Fig. 2b)"),
    "000-inception-1-20-vgg": ((("inception_v1.tutorial", "vgg16.tutorial"),),
                               f"line 831 follows {_OWN} for Inception V1 (lines 710-800): its Keras models"),
    "000-resnet34-more-than-inception": ((("resnet34.tutorial", "inception_v1.tutorial"),),
                                         f"line 1115 closes {_OWN}'s ResNet-34 (lines 999-1090): its Keras models"),
    "000-inception-shapes": ((("inception_v1.tutorial",),), f"code comments of {_OWN} (lines 777-789)"),
    "000-resnet34-stage-shapes": ((("resnet34.tutorial",),), f"code comments of {_OWN} (lines 1060-1079)"),
    "000-inception-fewer-than-alexnet": ((("alexnet", "inception_v1"),),
                                         "line 561 is prose about GoogLeNet's ILSVRC 2014 entry: the papers' networks"),
    "000-googlenet-not-deeper": ((("inception_v1", "vgg16"),),
                                 "line 561 is prose about the ILSVRC 2014 networks: the papers' builds"),
    "000-alexnet-relu-dropout": ((("alexnet",),), "lines 184-186 list the published AlexNet's features"),
    "000-inception-four-branches": ((("inception_v1",),),
                                    "line 573 describes the published Inception module (the 2014 paper's Fig. 2)"),
    "000-googlenet-avgpool-head": ((("inception_v1",),), "line 578 describes the published GoogLeNet"),
    "000-googlenet-two-aux": ((("inception_v1",),), "line 579 describes the published GoogLeNet"),
    "000-resnet34-projection-shortcuts": ((("resnet34",), ("resnet34.tutorial",)),
                                          "line 880 reads the paper's figure and the code (lines 1066-1080) builds "
                                          "it: both"),
    "001-resnet18-18-layers": ((("resnet18.d2l",),), "line 89 counts the layers of the article's d2l code"),
    "001-resnet-vs-googlenet": ((("resnet18", "inception_v1"),),
                                "line 7 compares the published networks (ResNet v1 against GoogLeNet)"),
    "001-resnet-stem-googlenet-bn": ((("resnet18.d2l", "inception_v1"),),
                                     "line 60 introduces the article's d2l stem (lines 62-87) against GoogLeNet as "
                                     "published"),
    "002-alexnet-eight-layers": ((("alexnet",),), "lines 990-992 describe the published AlexNet (no code follows)"),
    "002-alexnet-large-kernels": ((("alexnet",),), "line 1017 is about the published AlexNet's kernels"),
    "002-alexnet-relu": ((("alexnet",),), "line 993 describes the published AlexNet"),
    "002-alexnet-lrn-dropout": ((("alexnet",),), "line 999 describes the published AlexNet; the article neither "
                                                 "prints nor uses d2l's AlexNet"),
    "002-alexnet-overlapping-pooling": ((("alexnet",),), "line 999 describes the published AlexNet"),
    "002-lenet5-input-32": ((("lenet5",),), "line 256 is the article's walk-through of the paper's LeNet-5"),
    "002-lenet-default-sigmoid": ((("lenet5",),), "lines 262 and 302 are the walk-through of the paper's LeNet-5"),
    "002-lenet-default-avgpool": ((("lenet5",),), "line 274 is the walk-through of the paper's LeNet-5"),
    "002-lenet5-layer-settings": ((("lenet5",),), "lines 264-308 walk through the paper's LeNet-5"),
    "002-lenet5-s2-trainable": ((("lenet5",),), "line 278 describes the paper's S2"),
    "002-lenet5-c3-partial": ((("lenet5",),), "line 284 describes the paper's C3 (its Table I)"),
    "002-vgg-block": ((("vgg11",), ("vgg16",), ("vgg19",)),
                      "line 1015 describes the original VGG paper's blocks: its configurations A, D and E"),
    "002-nin-mlpconv": ((("nin",),), "line 1037 describes the published NiN (no code follows)"),
    "003-v1-depth-6n2": ((("resnet20.keras",),), f"{_OWN} (resnet_v1, line 23's n = 3)"),
    "003-v1-depth-examples": ((("resnet20.keras", "resnet32.keras", "resnet44.keras"),),
                              f"{_OWN}'s ValueError message (line 42)"),
    "003-v2-depth-9n2": ((("preresnet56.keras", "preresnet110.keras"),), f"{_OWN}'s ValueError message (line 49)"),
    "003-linear-projection-shortcuts": ((("resnet20.keras",), ("preresnet29.keras",)),
                                        f"comments in {_OWN}'s resnet_v1 and resnet_v2: both builds"),
    "003-resnet34-from-34-layer-plain": ((("resnet34",), ("plain34",)),
                                         "line 13 is about both published networks, the residual and the plain"),
    "004-resnet50-blocks": ((("resnet50.keras",),),
                            "the article builds deeplearning.ai's Keras ResNet-50 (its code is missing from this copy; "
                            "Keras' ResNet50 is that conv/identity-block build)"),
    "004-resnet50-depth-50": ((("resnet50.keras",),), "the article's Keras ResNet-50 (line 53)"),
    "004-shortcut-before-last-activation": ((("resnet18",), ("resnet34",)),
                                            "line 27 describes He et al.'s two-layer block: ResNet-18/34's"),
}


def _with_build(c: Claim) -> Claim:
    """Fill ``on``/``build`` from ``_BUILDS``, or for a paper's own claim on several builds, PAPER_BUILD."""
    if c.id in _BUILDS:
        on, why = _BUILDS[c.id]
        missing = [ms for ms in on if ms not in c.models]
        if missing:
            raise ValueError(f"{c.id}: judged on {missing}, which is not among its models")
        return replace(c, on=on, build=why)
    if len(c.models) < 2:
        return c
    if c.id[:4] in ("000-", "001-", "002-", "003-", "004-"):
        raise ValueError(f"{c.id}: an article's claim on several builds must say which it is judged on (_BUILDS)")
    on = tuple(ms for ms in c.models if all("." not in m for m in ms if m))
    return replace(c, on=on or c.models[:1], build=PAPER_BUILD)


CLAIMS = [_with_build(c) for c in CLAIMS]


def by_id() -> dict[str, Claim]:
    out = {}
    for c in CLAIMS:
        if c.id in out:
            raise ValueError(f"duplicate claim id {c.id}")
        out[c.id] = c
    return out


__all__ = ["CLAIMS", "by_id", "EXACT"]
