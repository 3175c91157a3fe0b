"""The Inception line after v1: the architecture claims of the BN-Inception
paper (Ioffe & Szegedy 2015, Sec. 4.2 and appendix Figure 5) and of the
Rethinking paper (Szegedy et al. 2015), measured on inception_v2, inception_v3
and inception_v3.torchvision (archscope/zoo/inception.py). Statements are
paraphrased; the quoted figures are the papers'."""

from __future__ import annotations

from archscope.claims.schema import ABOUT, Claim, Tolerance

BN = "Ioffe & Szegedy 2015 (Batch Normalization)"
V3 = "Szegedy et al. 2015 (Rethinking the Inception Architecture)"

PARAMS = "parameters including biases (batch-norm scale/shift included; running statistics are buffers)"
MACS = "multiply-accumulates of convolutions and FC layers (the papers' 'multiply-adds', 'Bn Ops')"
DEPTH = "weight layers (conv, FC) on the longest input-to-output path"
V3_MODELS = (("inception_v3",), ("inception_v3.torchvision",))
TENTH = Tolerance(abs=0.05, wording="printed to one decimal: rounds to it")

# BN paper, appendix Figure 5, 'output size' column (C, H, W), and the layers that make each row.
_FIG5_CONSISTENT = [("stem.conv1", [64, 112, 112]), ("stem.pool1", [64, 56, 56]), ("stem.conv2", [192, 56, 56]),
                    ("stem.pool2", [192, 28, 28]), ("inception3a", [256, 28, 28]), ("inception3b", [320, 28, 28]),
                    ("inception4a", [576, 14, 14]), ("inception4b", [576, 14, 14]), ("inception5a", [1024, 7, 7]),
                    ("inception5b", [1024, 7, 7]), ("head.pool", [1024, 1, 1])]

# Rethinking Table 1: the 'input size' of each row is the output of the row before it; the layers of
# archscope's Table 1 build and torchvision's that end each row.
_T1_SIZES = [[32, 149, 149], [32, 147, 147], [64, 147, 147], [64, 73, 73], [80, 71, 71], [192, 35, 35],
             [288, 35, 35], [768, 17, 17], [1280, 8, 8], [2048, 8, 8], [2048, 1, 1], [1000]]
_T1_LAYERS = {
    "inception_v3": ["stem.conv1", "stem.conv2", "stem.conv3", "stem.pool1", "stem.conv4", "stem.conv5",
                     "stem.conv6", "Mixed_6a", "Mixed_7a", "Mixed_7c", "head.pool", "head.fc"],
    "inception_v3.torchvision": ["stem.Conv2d_1a_3x3", "stem.Conv2d_2a_3x3", "stem.Conv2d_2b_3x3", "stem.maxpool1",
                                 "stem.Conv2d_3b_1x1", "stem.Conv2d_4a_3x3", "stem.maxpool2", "Mixed_6a",
                                 "Mixed_7a", "Mixed_7c", "head.pool", "head.fc"],
}

CLAIMS: list[Claim] = [
    # ---- BN-Inception (Ioffe & Szegedy 2015) ---------------------------------------
    Claim("bn-inception-13.6m", "The batch-normalised Inception network contains 13.6 million parameters.",
          f"{BN}, Sec. 4.2", "count", "params", (("inception_v2",),), expected=13.6e6,
          tolerance=Tolerance(abs=0.05e6, wording="printed to 0.1M: rounds to it"), convention=PARAMS,
          note="Built from the widths of the paper's own Figure 5 (4c and 4d as their columns sum, 608 maps). "
               "Without batch-norm scale/shift the count is lower still; a plain 7x7 conv1 instead of the "
               "separable one adds 6,696 weights (9,408 - 1,176 - 1,536). No reading of Figure 5 comes near 13.6M."),
    Claim("bn-inception-no-5x5", "The 5x5 convolutions of GoogLeNet are replaced by two consecutive 3x3 "
          "convolutions: no kernel larger than 3x3 is left but the first layer's 7x7.",
          f"{BN}, Sec. 4.2 and appendix (first bullet)", "exact", "conv_kernels", (("inception_v2",),),
          expected=[3, 7], compare="equal", args={"above": 1},
          note="inception_v1 (GoogLeNet, Table 1) measures [3, 5, 7]."),
    Claim("bn-inception-three-28x28-modules", "The number of Inception modules at 28x28 goes from 2 to 3 "
          "(3a, 3b, 3c), and there is no pooling layer between modules: 3c itself takes the grid to 14x14.",
          f"{BN}, appendix (second and fourth bullets)", "shapes", "output_shapes", (("inception_v2",),),
          expected=[[192, 28, 28], [256, 28, 28], [320, 28, 28], [576, 14, 14]], compare="equal",
          args={"layers": ["stem.pool2", "inception3a", "inception3b", "inception3c"]},
          note="The inputs of 3a, 3b and 3c are 28x28 (the stem's last pool, 3a's and 3b's outputs); 3c's "
               "output, 4a's input, is 14x14."),
    Claim("bn-inception-fig5-sizes", "Figure 5's output sizes of conv1, both stem pools, conv2, 3a, 3b, 4a, 4b, "
          "5a, 5b and the final average pool.", f"{BN}, appendix, Figure 5", "shapes", "output_shapes",
          (("inception_v2",),), expected=[s for _, s in _FIG5_CONSISTENT], compare="equal",
          args={"layers": [l for l, _ in _FIG5_CONSISTENT]}),
    Claim("bn-inception-fig5-stride2-sizes", "Figure 5 prints the outputs of the stride-2 modules 3c and 4e as "
          "28x28x576 and 14x14x1024.", f"{BN}, appendix, Figure 5", "shapes", "output_shapes",
          (("inception_v2",),), expected=[[576, 28, 28], [1024, 14, 14]], compare="equal",
          args={"layers": ["inception3c", "inception4e"]},
          inconsistent="Both rows say 'stride 2', and the fourth bullet puts stride-2 layers before their "
                       "concatenation, so they must halve the grid: 28 -> 14 and 14 -> 7; the printed size is the "
                       "grid the module reads. 4e's 1024 maps do not recompute either: 192 + 256 + the 608 "
                       "passed through from 4d make 1056."),
    Claim("bn-inception-fig5-4c-4d-576", "Figure 5 prints 14x14x576 for the outputs of 4c and 4d.",
          f"{BN}, appendix, Figure 5", "shapes", "output_shapes", (("inception_v2",),),
          expected=[[576, 14, 14], [576, 14, 14]], compare="equal", args={"layers": ["inception4c", "inception4d"]},
          inconsistent="The rows' own columns sum to more: 4c 160 (#1x1) + 160 (#3x3) + 160 (double #3x3) + 128 "
                       "(pool proj) = 608 and 4d 96 + 192 + 192 + 128 = 608, not 576."),
    Claim("bn-inception-only-softmax-fc", "Other than the top softmax layer, the network has no fully connected "
          "layers (a global 7x7 average pool feeds it).", f"{BN}, Sec. 4.2; appendix, Figure 5", "exact",
          "classifier_head", (("inception_v2",),), expected=[True, 1], compare="equal"),
    Claim("bn-inception-no-lrn", "With batch normalization, local response normalization is removed.",
          f"{BN}, Sec. 4.2.1", "exact", "has_modules", (("inception_v2",),), expected=[], compare="equal",
          args={"types": ["LocalResponseNorm"]}),
    Claim("bn-inception-vs-googlenet-cost", "Replacing the 5x5 convolutions by two 3x3 increases the maximum "
          "depth by 9 weight layers, the parameters by 25% and the computational cost by about 30%.",
          f"{BN}, appendix (first bullet)", "ratio", "ratio", (("inception_v2", "inception_v1"),),
          requires="GoogLeNet with only that change, whose widths the paper does not give (the first 3x3 of each "
                   "pair has 'up to 128 filters', Sec. 4.2); inception_v2 also changes every module's widths, "
                   "adds 3c and makes conv1 separable, so its ratio to inception_v1 is not this claim"),
    Claim("rethinking-table3-bn-inception-2.0g", "BN-Inception costs 2.0 billion operations.",
          f"{V3}, Table 3 ('Cost Bn Ops')", "count", "gmacs", (("inception_v2",),), expected=2.0, tolerance=TENTH,
          convention=MACS,
          note="The same column gives GoogLeNet 1.5, its multiply-adds. BN-Inception's separable conv1 costs 34M "
               "multiply-adds; a plain 7x7 conv1, as the public ports write it, costs 118M and would make the "
               "total 2.03G."),

    # ---- Inception v3 (Szegedy et al. 2015, "Rethinking") ------------------------------
    Claim("rethinking-5-billion", "The network has a computational cost of 5 billion multiply-adds per "
          "inference.", f"{V3}, abstract", "count", "gmacs", V3_MODELS, expected=5.0,
          tolerance=Tolerance(abs=0.5, wording="a whole number of billions: rounds to it"), convention=MACS,
          note="torchvision publishes 5.713 GFLOPS (multiply-adds) for the released model."),
    Claim("rethinking-table3-v3-4.8g", "Inception-v3 (the last row of Table 3) costs 4.8 billion operations.",
          f"{V3}, Table 3 ('Cost Bn Ops')", "count", "gmacs", V3_MODELS, expected=4.8, tolerance=TENTH,
          convention=MACS),
    Claim("rethinking-under-25m", "The network uses less than 25 million parameters.", f"{V3}, abstract", "inequality",
          "params", V3_MODELS, expected=25e6, compare="less", convention=PARAMS,
          note="Without the auxiliary classifier, which only serves training. torchvision's published count for "
               "the released model, 27,161,264, includes its auxiliary head (3,326,696)."),
    Claim("rethinking-42-layers", "The network is 42 layers deep.", f"{V3}, Sec. 6", "count", "depth", V3_MODELS,
          expected=42, compare="exact", convention=DEPTH,
          note="The paper does not say how it counts layers; archscope counts every convolution (a 1x7 and a 7x1 "
               "are two) and the linear layer on the longest path."),
    Claim("rethinking-2.5x-googlenet", "The network's computation cost is only about 2.5 times that of GoogLeNet.",
          f"{V3}, Sec. 6", "ratio", "ratio",
          (("inception_v3", "inception_v1"), ("inception_v3.torchvision", "inception_v1.torchvision")),
          expected=2.5, tolerance=ABOUT, convention=MACS, args={"of": "macs"},
          inconsistent="Table 3 of the same paper gives 3.8 Bn ops for 'Inception-v2' (3.8 / 1.5 = 2.5x GoogLeNet) "
                       "but 4.8 once 'Factorized 7x7' is added (3.2x), and Sec. 10 describes that change as "
                       "factorizing the first 7x7 into 3x3 convolutions — which Sec. 6 says its network already "
                       "has (Table 1's three 3x3 stem convolutions). The 2.5x is of a network without the stem "
                       "that Sec. 6 and Table 1 describe."),
    Claim("rethinking-2.5x-bn-inception", "Inception-v3 costs a relatively modest 2.5 times more computation than "
          "the network of Ioffe et al. (BN-Inception).", f"{V3}, Sec. 11", "ratio", "ratio",
          (("inception_v3", "inception_v2"), ("inception_v3.torchvision", "inception_v2")), expected=2.5,
          tolerance=ABOUT, convention=MACS, args={"of": "macs"},
          note="Table 3's own figures give 4.8 / 2.0 = 2.4."),
    Claim("rethinking-sec6-grids", "Three Inception modules at 35x35 with 288 filters each; a reduction to a "
          "17x17 grid with 768 filters; a reduction to 8x8x1280; at 8x8 an output filter bank of 2048.",
          f"{V3}, Sec. 6", "shapes", "output_shapes", V3_MODELS,
          expected=[[288, 35, 35], [288, 35, 35], [288, 35, 35], [768, 17, 17], [1280, 8, 8], [2048, 8, 8]],
          compare="equal", args={"layers": ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_7a", "Mixed_7c"]},
          note="The released model's first 35x35 module (torchvision's Mixed_5b) makes 256 maps."),
    Claim("rethinking-table1-sizes", "Table 1's sizes: 299x299x3 in, then 149x149x32, 147x147x32, 147x147x64, "
          "73x73x64, 71x71x80, 35x35x192, 35x35x288, 17x17x768, 8x8x1280, 8x8x2048, 1x1x2048, 1000 logits.",
          f"{V3}, Table 1", "shapes", "output_shapes", V3_MODELS, expected=_T1_SIZES, compare="equal",
          args={"layers": _T1_LAYERS},
          note="Each row's 'input size' is the previous row's output. torchvision's stem (1x1 80, 3x3 192, max "
               "pool) gives 73x73x80, 71x71x192, 35x35x192 at rows 5-7."),
    Claim("rethinking-table1-35x35-unpadded", "The 3x3/1 convolution on 35x35x192 is not marked 'padded', and "
          "'all other layers do not use padding'; the next row reads 35x35x288.", f"{V3}, Table 1 and its caption",
          "exact", "layer_config", (("inception_v3",),), expected=[[288, 3, 0, 1]], compare="equal",
          args={"layers": ["stem.conv6.conv"]},
          inconsistent="An unpadded 3x3/1 convolution on 35x35 makes 33x33 (35 - 3 + 1), not the 35x35 the next "
                       "row states; archscope pads it by 1 ([maps, kernel, padding, stride] = [288, 3, 1, 1]) to "
                       "keep the table's sizes."),
    Claim("rethinking-two-3x3-for-5x5", "Two stacked 3x3 convolutions cover a 5x5 convolution's receptive field "
          "with (9+9)/25 of its cost: a 28% saving, in parameters as in computation.", f"{V3}, Sec. 3.1", "exact",
          "stacked_kernels", (("",),), expected=True, compare="exact", args={"n": 2},
          note="The measure checks the receptive field and that the stack has fewer weights (18C^2 vs 25C^2, "
               "1 - 18/25 = 0.28); the 28% itself is arithmetic, not measured."),
    Claim("rethinking-three-3x3-for-7x7", "The traditional 7x7 convolution is factorized into three 3x3 "
          "convolutions (the same receptive field, 27/49 of the weights).", f"{V3}, Sec. 6", "exact",
          "stacked_kernels", (("",),), expected=True, compare="exact", args={"n": 3}),
    Claim("rethinking-one-aux-head", "A single auxiliary classifier, on top of the last 17x17 layer: removing "
          "GoogLeNet's lower one did not hurt.", f"{V3}, Sec. 4 and Fig. 8", "count", "aux_heads", V3_MODELS,
          expected=1, compare="exact"),
    Claim("rethinking-googlenet-5m", "GoogLeNet employed only 5 million parameters.", f"{V3}, Sec. 1", "count",
          "params", (("inception_v1",), ("inception_v1.torchvision",)), expected=5e6, tolerance=ABOUT,
          convention=PARAMS,
          note="GoogLeNet's own Table 1 sums to 6.8M; torchvision publishes 6,624,904."),
    Claim("rethinking-vgg-3x-alexnet", "VGGNet employed about 3 times more parameters than AlexNet.",
          f"{V3}, Sec. 1", "ratio", "ratio", (("vgg16", "alexnet"), ("vgg19", "alexnet")), expected=3.0,
          tolerance=ABOUT, convention=PARAMS, args={"of": "params"}),
]
