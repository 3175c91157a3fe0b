"""Claims of the SqueezeNet, MobileNet (v1, v2) and DenseNet papers that the
zoo can check: parameter counts, multiply-adds, shapes and depths as the
papers print them, and the comparisons they draw with AlexNet, GoogLeNet,
VGG-16 and ResNet."""

from __future__ import annotations

from archscope.claims.schema import ABOUT, Claim, Tolerance, printed

SQZ = "Iandola et al. 2016 (SqueezeNet, arXiv:1602.07360)"
SQZ_REPO = "DeepScale/SqueezeNet README.md, hint 4"
MOB = "Howard et al. 2017 (MobileNets, arXiv:1704.04861)"
MV2 = "Sandler et al. 2018 (MobileNetV2, arXiv:1801.04381)"
DN = "Huang et al. 2017 (DenseNet, arXiv:1608.06993)"

PARAMS = "parameters including biases (batch-norm scale/shift included; running statistics are buffers)"
PARAMS_NO_BN = "parameters including biases, without batch-norm scale/shift"
MACS = "multiply-accumulates of convolutions and FC layers (the papers' 'mult-adds' / 'MAdds')"
DEPTH = "weight layers (conv, FC) on the longest input-to-output path"
WEIGHTS = "convolution weights only (no biases, no batch norm)"

MILLIONS = Tolerance(abs=1e6, wording="within 1M (the tables print whole millions, some truncated)")
WHOLE_M = Tolerance(abs=0.5e6, wording="printed in whole millions: rounds to it")
TENTH_M = Tolerance(abs=0.05e6, wording="printed to 0.1M: rounds to it")
HUNDREDTH_M = Tolerance(abs=0.005e6, wording="printed to 0.01M: rounds to it")

_SQZ_T1_LAYERS = ["features.conv1", *[f"features.fire{i}" for i in range(2, 10)], "classifier.conv10"]
_SQZ_T1_SHAPE_LAYERS = ["features.conv1", "features.pool1", "features.fire2", "features.fire3", "features.fire4",
                        "features.pool4", "features.fire5", "features.fire6", "features.fire7", "features.fire8",
                        "features.fire9", "classifier.conv10"]
_MOB_T1_LAYERS = ["features.conv1", "features.sep2", "features.sep3", "features.sep5", "features.sep7",
                  "features.sep12", "features.sep13", "features.sep14"]
_MV2_T2_LAYERS = ["features.conv1", "features.block1", "features.block3", "features.block6", "features.block10",
                  "features.block13", "features.block16", "features.block17", "features.conv_last"]
_DN_T1_LAYERS = ["features.conv0", "features.pool0", "features.denseblock1", "features.transition1",
                 "features.denseblock2", "features.transition2", "features.denseblock3", "features.transition3",
                 "features.denseblock4"]
_DN_LAYER1 = ["features.conv0", "features.denseblock1.layers.0.conv1", "features.denseblock1.layers.0.conv2",
              "features.transition1.conv"]

# MobileNet Table 3: one 14x14x512 -> 512 layer (sep8, one of the "5x" rows), cumulatively shrunk
_MOB_T3 = [  # (id, row, model, module, input or None, million mult-adds, decimals, million weights, decimals)
    ("conv", "Convolution", "mobilenet_v1_conv", "features.sep8", None, 462, 0, 2.36, 2),
    ("separable", "Depthwise Separable Conv", "mobilenet_v1", "features.sep8", None, 52.3, 1, 0.27, 2),
    ("alpha075", "alpha = 0.75", "mobilenet_v1_075", "features.sep8", None, 29.6, 1, 0.15, 2),
    ("rho0714", "rho = 0.714", "mobilenet_v1_075", "features.sep8", [3, 160, 160], 15.1, 1, 0.15, 2),
]
# MobileNet Tables 6 and 7: (model, input or None, label, million mult-adds, million parameters)
_MOB_T6_T7 = [
    ("mobilenet_v1", None, "1.0 MobileNet-224", 569, 4.2, "table6"),
    ("mobilenet_v1_075", None, "0.75 MobileNet-224", 325, 2.6, "table6"),
    ("mobilenet_v1_050", None, "0.5 MobileNet-224", 149, 1.3, "table6"),
    ("mobilenet_v1_025", None, "0.25 MobileNet-224", 41, 0.5, "table6"),
    ("mobilenet_v1", [3, 192, 192], "1.0 MobileNet-192", 418, 4.2, "table7"),
    ("mobilenet_v1", [3, 160, 160], "1.0 MobileNet-160", 290, 4.2, "table7"),
    ("mobilenet_v1", [3, 128, 128], "1.0 MobileNet-128", 186, 4.2, "table7"),
]

CLAIMS: list[Claim] = [
    # ---- SqueezeNet -----------------------------------------------------------
    Claim("squeezenet-50x-fewer-than-alexnet", "SqueezeNet achieves AlexNet-level accuracy on ImageNet with 50x "
          "fewer parameters.", f"{SQZ}, abstract", "ratio", "ratio",
          (("alexnet", "squeezenet1_0"), ("alexnet.torchvision", "squeezenet1_0.torchvision")),
          expected=50.0, tolerance=ABOUT, convention=PARAMS, args={"of": "params"},
          note="60,965,224 / 1,248,424 = 48.8 for the two-tower AlexNet of the paper."),
    Claim("squeezenet-table1-params", "Table 1, '#parameter before pruning': conv1 14,208, fire2 11,920, fire3 "
          "12,432, fire4 45,344, fire5 49,440, fire6 104,880, fire7 111,024, fire8 188,992, fire9 197,184, conv10 "
          "513,000.", f"{SQZ}, Table 1", "exact", "layer_params",
          (("squeezenet1_0",), ("squeezenet1_0.torchvision",)),
          expected=[14_208, 11_920, 12_432, 45_344, 49_440, 104_880, 111_024, 188_992, 197_184, 513_000],
          compare="equal", convention=PARAMS, args={"layers": _SQZ_T1_LAYERS}),
    Claim("squeezenet-table1-total", "Table 1: SqueezeNet has 1,248,424 parameters before pruning.",
          f"{SQZ}, Table 1", "count", "params", (("squeezenet1_0",), ("squeezenet1_0.torchvision",)),
          expected=1_248_424, compare="exact", convention=PARAMS),
    Claim("squeezenet-table1-shapes", "Table 1 output sizes: conv1 111x111x96, maxpool1 55x55x96, fire2-3 "
          "55x55x128, fire4 55x55x256, maxpool4 27x27x256, fire5 27x27x256, fire6-7 27x27x384, fire8 27x27x512, "
          "fire9 13x13x512, conv10 13x13x1000.", f"{SQZ}, Table 1", "shapes", "output_shapes", (("squeezenet1_0",),),
          expected=[[96, 111, 111], [96, 55, 55], [128, 55, 55], [128, 55, 55], [256, 55, 55], [256, 27, 27],
                    [256, 27, 27], [384, 27, 27], [384, 27, 27], [512, 27, 27], [512, 13, 13], [1000, 13, 13]],
          compare="equal", args={"layers": _SQZ_T1_SHAPE_LAYERS},
          note="At the 227x227 input of the authors' deploy.prototxt (see squeezenet-224-input)."),
    Claim("squeezenet-224-input", "Table 1: the input image is 224x224x3 and conv1 (7x7/2, 96 filters) outputs "
          "111x111x96.", f"{SQZ}, Table 1", "exact", "conv1_side", (("squeezenet1_0",),), expected=111,
          compare="exact", args={"input_side": 224},
          inconsistent="(224 - 7) / 2 + 1 = 109.5: a 224x224 input gives 109x109 maps, not Table 1's 111x111; "
                       "227x227 (the authors' deploy.prototxt) gives 111. archscope's squeezenet1_0 takes 227."),
    Claim("squeezenet-v11-2.4x-less-computation", "SqueezeNet v1.1 requires 2.4x less computation than SqueezeNet "
          "v1.0 without diminishing accuracy.", f"{SQZ_REPO} (and SqueezeNet_v1.1/README.md)", "ratio", "ratio",
          (("squeezenet1_0", "squeezenet1_1"), ("squeezenet1_0.torchvision", "squeezenet1_1.torchvision")),
          expected=2.4, tolerance=printed(1), convention=MACS, args={"of": "macs"},
          note="At the repository's own 227x227 input (Caffe's rounded-up pools) the ratio is 2.15; at torchvision's "
               "224x224 it is 2.35. Neither rounds to 2.4; the README does not say how it counted."),

    # ---- MobileNet v1 ---------------------------------------------------------
    Claim("mobilenet-28-layers", "Counting depthwise and pointwise convolutions as separate layers, MobileNet has "
          "28 layers.", f"{MOB}, Sec. 3.2", "count", "depth", (("mobilenet_v1",),), expected=28, compare="exact",
          convention=DEPTH),
    Claim("mobilenet-table1-shapes", "Table 1: 112x112x32 after the first convolution, then 112x112x64, "
          "56x56x128, 28x28x256, 14x14x512 (kept by the five 'Conv dw / s1' rows), 7x7x1024, and 7x7x1024 into "
          "the 7x7 average pool.", f"{MOB}, Table 1 (input sizes of the next rows)", "shapes", "output_shapes",
          (("mobilenet_v1",),),
          expected=[[32, 112, 112], [64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 14, 14],
                    [1024, 7, 7], [1024, 7, 7]], compare="equal", args={"layers": _MOB_T1_LAYERS}),
    Claim("mobilenet-table1-last-stride", "Table 1's last depthwise layer is 'Conv dw / s2' with a 7x7x1024 input.",
          f"{MOB}, Table 1", "exact", "source_figures", (("mobilenet_v1",),),
          args={"figures": {"last depthwise row": "Conv dw / s2, input 7x7x1024",
                            "the rows after it": "Conv / s1 on 7x7x1024, Avg Pool 7x7 on 7x7x1024"}},
          inconsistent="A stride-2 3x3 convolution on 7x7 maps (padding 1) gives 4x4 maps, yet the table's next "
                       "rows take 7x7x1024 and pool 7x7: the stride is 1 (as archscope and every implementation "
                       "build it) and the 's2' a misprint."),
    Claim("mobilenet-dw-8-to-9x", "MobileNet uses 3x3 depthwise separable convolutions which use between 8 to 9 "
          "times less computation than standard convolutions.", f"{MOB}, Sec. 3.1 (and Table 4)", "ratio", "ratio",
          (("mobilenet_v1_conv", "mobilenet_v1"),), expected=[8, 9], compare="range",
          tolerance=Tolerance(wording="between 8 and 9"), convention=MACS, args={"of": "macs"},
          note="Per layer the saving is 1 / (1/N + 1/Dk^2) (Eq. after (5)): 7.9x at N = 64, 8.9x at N = 1024; "
               "the whole network (Conv MobileNet of Table 4 against MobileNet) is measured."),
    *[Claim(f"mobilenet-table3-{cid}-madds", f"Table 3, '{row}' on the 14x14x512 layer: {madds} million "
            "mult-adds.", f"{MOB}, Table 3", "count", "row_macs", ((model,),), expected=madds * 1e6,
            tolerance=Tolerance(abs=0.5 * 10 ** -dec * 1e6, wording=f"printed to {dec} decimal(s) of a million: "
                                                                   "rounds to it"),
            convention=MACS, args={"modules": [module], **({"input": inp} if inp else {})})
      for cid, row, model, module, inp, madds, dec, _w, _wd in _MOB_T3],
    *[Claim(f"mobilenet-table3-{cid}-params", f"Table 3, '{row}' on the 14x14x512 layer: {w} million "
            "parameters.", f"{MOB}, Table 3", "count", "row_weights", ((model,),), expected=w * 1e6,
            tolerance=HUNDREDTH_M, convention=WEIGHTS, args={"modules": [module]})
      for cid, row, model, module, inp, _m, _d, w, wd in _MOB_T3],
    Claim("mobilenet-table4-conv-madds", "Table 4: the Conv MobileNet (full convolutions) needs 4866 million "
          "mult-adds.", f"{MOB}, Table 4", "count", "macs", (("mobilenet_v1_conv",),), expected=4866e6,
          tolerance=MILLIONS, convention=MACS,
          note="Measured 4,867.3M; without the FC layer's 1.02M it would be 4,866.3M, but the same table's 569M "
               "for MobileNet includes the FC layer (567.7M without)."),
    Claim("mobilenet-table4-conv-params", "Table 4: the Conv MobileNet has 29.3 million parameters.",
          f"{MOB}, Table 4", "count", "params", (("mobilenet_v1_conv",),), expected=29.3e6, tolerance=TENTH_M,
          convention=PARAMS),
    Claim("mobilenet-table5-shallow-madds", "Table 5: the Shallow MobileNet needs 307 million mult-adds.",
          f"{MOB}, Table 5", "count", "macs", (("mobilenet_v1_shallow",),), expected=307e6, tolerance=MILLIONS,
          convention=MACS),
    Claim("mobilenet-table5-shallow-params", "Table 5: the Shallow MobileNet has 2.9 million parameters.",
          f"{MOB}, Table 5", "count", "params", (("mobilenet_v1_shallow",),), expected=2.9e6, tolerance=TENTH_M,
          convention=PARAMS),
    *[Claim(f"mobilenet-{tab}-{label.split()[0]}-{label.split('-')[1]}-madds",
            f"{'Table 6' if tab == 'table6' else 'Table 7'}: "
            f"{label} needs {madds} million mult-adds.", f"{MOB}, {'Table 6' if tab == 'table6' else 'Table 7'}",
            "count", "macs", ((model,),), expected=madds * 1e6, tolerance=MILLIONS, convention=MACS,
            args={"input": inp} if inp else {})
      for model, inp, label, madds, _p, tab in _MOB_T6_T7],
    *[Claim(f"mobilenet-table6-{label.split()[0]}-params", f"Table 6: {label} has {p} million parameters.",
            f"{MOB}, Table 6", "count", "params", ((model,),), expected=p * 1e6, tolerance=TENTH_M,
            convention=PARAMS)
      for model, inp, label, _m, p, tab in _MOB_T6_T7 if tab == "table6"],
    Claim("mobilenet-alpha-squared-macs", "The width multiplier reduces computational cost quadratically, by "
          "roughly alpha^2 (alpha = 0.5: 0.25).", f"{MOB}, Sec. 3.3", "ratio", "ratio",
          (("mobilenet_v1_050", "mobilenet_v1"),), expected=0.25, tolerance=ABOUT, convention=MACS,
          args={"of": "macs"}),
    Claim("mobilenet-alpha-squared-macs-025", "... and alpha = 0.25 reduces it to roughly 0.0625 of the cost.",
          f"{MOB}, Sec. 3.3", "ratio", "ratio", (("mobilenet_v1_025", "mobilenet_v1"),), expected=0.0625,
          tolerance=ABOUT, convention=MACS, args={"of": "macs"},
          note="The depthwise layers (linear in alpha) weigh more as alpha shrinks: 41M / 569M = 0.072."),
    Claim("mobilenet-alpha-squared-params", "The width multiplier reduces the number of parameters quadratically, "
          "by roughly alpha^2 (alpha = 0.5: 0.25).", f"{MOB}, Sec. 3.3", "ratio", "ratio",
          (("mobilenet_v1_050", "mobilenet_v1"),), expected=0.25, tolerance=ABOUT, convention=PARAMS,
          args={"of": "params"},
          note="The FC layer (a quarter of the parameters, Table 2) shrinks only linearly in alpha: 1.33M / 4.23M "
               "= 0.31; Table 6's own 1.3 / 4.2 = 0.31."),
    Claim("mobilenet-rho-squared-macs", "The resolution multiplier reduces computational cost by rho^2 (160/224: "
          "0.510).", f"{MOB}, Sec. 3.4", "ratio", "ratio", (("mobilenet_v1_050_160", "mobilenet_v1_050"),),
          expected=(160 / 224) ** 2, tolerance=ABOUT, convention=MACS, args={"of": "macs"}),
    Claim("mobilenet-table8-madds", "Table 8: 1.0 MobileNet-224 needs 569 million mult-adds.", f"{MOB}, Table 8",
          "count", "macs", (("mobilenet_v1",),), expected=569e6, tolerance=MILLIONS, convention=MACS),
    Claim("mobilenet-table8-googlenet-madds", "Table 8: GoogleNet needs 1550 million mult-adds.", f"{MOB}, Table 8",
          "count", "macs", (("inception_v1",), ("inception_v1.torchvision",)), expected=1550e6, tolerance=MILLIONS,
          convention=MACS,
          note="Szegedy et al. (Sec. 5) give a 1.5 billion budget; the Table 1 layout measures 1,583M, torchvision's "
               "GoogLeNet (3x3 for the 5x5 branch) 1,498M."),
    Claim("mobilenet-table8-googlenet-params", "Table 8: GoogleNet has 6.8 million parameters.", f"{MOB}, Table 8",
          "count", "params", (("inception_v1",), ("inception_v1.torchvision",)), expected=6.8e6, tolerance=TENTH_M,
          convention=PARAMS,
          note="6.8M is the sum of Szegedy et al.'s Table 1 params column (6,797K weights, no biases, no auxiliary "
               "heads); with biases the paper's layout has 7.0M."),
    Claim("mobilenet-table8-vgg16-madds", "Table 8: VGG 16 needs 15300 million mult-adds.", f"{MOB}, Table 8",
          "count", "macs", (("vgg16",),), expected=15300e6, tolerance=MILLIONS, convention=MACS,
          note="15,470M measured (torchvision publishes 15.47 GFLOPS for the same layers); 15.3 billion is the "
               "ResNet paper's figure (He et al. 2015, Sec. 4.1)."),
    Claim("mobilenet-table8-vgg16-params", "Table 8: VGG 16 has 138 million parameters.", f"{MOB}, Table 8",
          "count", "params", (("vgg16",),), expected=138e6, tolerance=WHOLE_M, convention=PARAMS),
    Claim("mobilenet-32x-smaller-than-vgg16", "MobileNet is nearly as accurate as VGG16 while being 32 times "
          "smaller ...", f"{MOB}, Sec. 4.2", "ratio", "ratio", (("vgg16", "mobilenet_v1"),), expected=32.0,
          tolerance=ABOUT, convention=PARAMS, args={"of": "params"}),
    Claim("mobilenet-27x-less-compute-than-vgg16", "... and 27 times less compute intensive.", f"{MOB}, Sec. 4.2",
          "ratio", "ratio", (("vgg16", "mobilenet_v1"),), expected=27.0, tolerance=ABOUT, convention=MACS,
          args={"of": "macs"}),
    Claim("mobilenet-2.5x-less-than-googlenet", "MobileNet is more accurate than GoogleNet while being smaller and "
          "more than 2.5 times less computation.", f"{MOB}, Sec. 4.2", "ratio", "ratio",
          (("inception_v1", "mobilenet_v1"), ("inception_v1.torchvision", "mobilenet_v1")), expected=2.5,
          compare="greater", convention=MACS, args={"of": "macs"}),
    Claim("mobilenet-smaller-than-googlenet", "... while being smaller (fewer parameters than GoogleNet).",
          f"{MOB}, Sec. 4.2", "ratio", "ratio",
          (("inception_v1", "mobilenet_v1"), ("inception_v1.torchvision", "mobilenet_v1")), expected=1.0,
          compare="greater", convention=PARAMS, args={"of": "params"}),
    Claim("mobilenet-table9-050-160-madds", "Table 9: 0.50 MobileNet-160 needs 76 million mult-adds.",
          f"{MOB}, Table 9", "count", "macs", (("mobilenet_v1_050_160",),), expected=76e6, tolerance=MILLIONS,
          convention=MACS),
    Claim("mobilenet-table9-050-160-params", "Table 9: 0.50 MobileNet-160 has 1.32 million parameters.",
          f"{MOB}, Table 9", "count", "params", (("mobilenet_v1_050_160",),), expected=1.32e6,
          tolerance=HUNDREDTH_M, convention=PARAMS_NO_BN, args={"exclude_bn": True},
          note="1,320,648 without batch norm; counting its 10,944 scale/shift parameters, 1,331,592 (1.33M). The "
               "other tables' one-decimal figures do not tell the two conventions apart."),
    Claim("mobilenet-table9-squeezenet-madds", "Table 9: Squeezenet needs 1700 million mult-adds.",
          f"{MOB}, Table 9", "count", "macs", (("squeezenet1_0",), ("squeezenet1_0.torchvision",)),
          expected=1700e6, tolerance=MILLIONS, convention=MACS,
          note="833M at 227x227, 819M at 224x224 (torchvision publishes 0.819 GFLOPS): 1700 is about twice the "
               "multiply-adds, as if each multiply and add were counted."),
    Claim("mobilenet-table9-squeezenet-params", "Table 9: Squeezenet has 1.25 million parameters.",
          f"{MOB}, Table 9", "count", "params", (("squeezenet1_0",),), expected=1.25e6, tolerance=HUNDREDTH_M,
          convention=PARAMS),
    Claim("mobilenet-table9-alexnet-madds", "Table 9: AlexNet needs 720 million mult-adds.", f"{MOB}, Table 9",
          "count", "macs", (("alexnet",), ("alexnet.torchvision",)), expected=720e6,
          tolerance=Tolerance(abs=5e6, wording="printed as 720 (tens of millions): rounds to it"), convention=MACS),
    Claim("mobilenet-table9-alexnet-params", "Table 9: AlexNet has 60 million parameters.", f"{MOB}, Table 9",
          "count", "params", (("alexnet",), ("alexnet.torchvision",)), expected=60e6, tolerance=WHOLE_M,
          convention=PARAMS,
          note="The figure is Krizhevsky et al.'s round '60 million' (Sec. 1); the two-tower net has 60,965,224, "
               "which rounds to 61M (the claim alexnet-60m checks the 'about')."),
    Claim("mobilenet-45x-smaller-than-alexnet", "Reduced MobileNet (0.50 MobileNet-160) is 4% better than AlexNet "
          "while being 45x smaller ...", f"{MOB}, Sec. 4.2", "ratio", "ratio",
          (("alexnet", "mobilenet_v1_050_160"),), expected=45.0, tolerance=ABOUT, convention=PARAMS,
          args={"of": "params"}),
    Claim("mobilenet-9.4x-less-compute-than-alexnet", "... and 9.4x less compute than AlexNet.", f"{MOB}, Sec. 4.2",
          "ratio", "ratio", (("alexnet", "mobilenet_v1_050_160"),), expected=9.4, tolerance=printed(1),
          convention=MACS, args={"of": "macs"},
          note="The paper's own Table 9 gives 720 / 76 = 9.47 too: 9.4 is truncated, not rounded."),
    Claim("mobilenet-22x-less-compute-than-squeezenet", "It is also 4% better than Squeezenet at about the same "
          "size and 22x less computation.", f"{MOB}, Sec. 4.2", "ratio", "ratio",
          (("squeezenet1_0", "mobilenet_v1_050_160"), ("squeezenet1_0.torchvision", "mobilenet_v1_050_160")),
          expected=22.0, tolerance=ABOUT, convention=MACS, args={"of": "macs"},
          note="Follows from Table 9's 1700M for SqueezeNet (1700 / 76 = 22.4), about twice its multiply-adds."),
    Claim("mobilenet-same-size-as-squeezenet", "... at about the same size as Squeezenet.", f"{MOB}, Sec. 4.2",
          "ratio", "ratio", (("mobilenet_v1_050_160", "squeezenet1_0"),), expected=1.0, tolerance=ABOUT,
          convention=PARAMS, args={"of": "params"}),

    # ---- MobileNet v2 ---------------------------------------------------------
    Claim("mobilenetv2-300m-madds", "Our primary network (width multiplier 1, 224x224) has a computational cost of "
          "300 million multiply-adds ...", f"{MV2}, Sec. 4 and Table 4", "count", "macs",
          (("mobilenet_v2",), ("mobilenet_v2.torchvision",)), expected=300e6, tolerance=MILLIONS, convention=MACS),
    Claim("mobilenetv2-3.4m-params", "... and uses 3.4 million parameters.", f"{MV2}, Sec. 4 and Table 4", "count",
          "params", (("mobilenet_v2",), ("mobilenet_v2.torchvision",)), expected=3.4e6, tolerance=TENTH_M,
          convention=PARAMS,
          note="3,504,872 (torchvision publishes the same); without batch norm 3,470,760, which truncates to 3.4M "
               "but rounds to 3.5M."),
    Claim("mobilenetv2-19-bottlenecks", "The architecture of MobileNetV2 contains the initial fully convolution "
          "layer with 32 filters, followed by 19 residual bottleneck layers described in the Table 2.",
          f"{MV2}, Sec. 4 and Table 2", "exact", "source_figures", (("mobilenet_v2",),),
          args={"figures": {"Sec. 4": "19 residual bottleneck layers",
                            "Table 2, n column": "1 + 2 + 3 + 4 + 3 + 3 + 1 = 17 bottlenecks"}},
          inconsistent="Table 2's bottleneck rows repeat 17 times in all, not 19 (19 rows of layers counts the first "
                       "conv2d and the last 1x1 conv2d as well); archscope builds Table 2's 17."),
    Claim("mobilenetv2-table2-shapes", "Table 2 input sizes: 112^2x32, 112^2x16, 56^2x24, 28^2x32, 14^2x64, "
          "14^2x96, 7^2x160, 7^2x320, 7^2x1280 (the output of each row).", f"{MV2}, Table 2", "shapes",
          "output_shapes", (("mobilenet_v2",), ("mobilenet_v2.torchvision",)),
          expected=[[32, 112, 112], [16, 112, 112], [24, 56, 56], [32, 28, 28], [64, 14, 14], [96, 14, 14],
                    [160, 7, 7], [320, 7, 7], [1280, 7, 7]], compare="equal", args={"layers": _MV2_T2_LAYERS}),
    Claim("mobilenetv2-table4-v1-madds", "Table 4: MobileNetV1 needs 575M multiply-adds ...", f"{MV2}, Table 4",
          "count", "macs", (("mobilenet_v1",),), expected=575e6, tolerance=MILLIONS, convention=MACS,
          note="The MobileNet paper itself gives 569M (Howard et al. 2017, Tables 6 and 8), which is what the "
               "layers measure (568.7M)."),
    Claim("mobilenetv2-table4-v1-params", "... and has 4.2M parameters.", f"{MV2}, Table 4", "count", "params",
          (("mobilenet_v1",),), expected=4.2e6, tolerance=TENTH_M, convention=PARAMS),
    Claim("mobilenetv2-table4-1.4-madds", "Table 4: MobileNetV2 (1.4) needs 585M multiply-adds.", f"{MV2}, Table 4",
          "count", "macs", (("mobilenet_v2_140",),), expected=585e6, tolerance=MILLIONS, convention=MACS,
          note="Widths 1.4 x c rounded to multiples of 8 (the TF-slim rule); the paper does not state its rounding, "
               "which moves this figure by a few million."),
    Claim("mobilenetv2-table4-1.4-params", "Table 4: MobileNetV2 (1.4) has 6.9M parameters.", f"{MV2}, Table 4",
          "count", "params", (("mobilenet_v2_140",),), expected=6.9e6, tolerance=TENTH_M, convention=PARAMS,
          note="6.11M measured with every width of Table 2 scaled by 1.4 (the last conv's 1792 maps and the "
               "classifier's input included); the paper does not say what else its 6.9M counts."),

    # ---- DenseNet -------------------------------------------------------------
    *[Claim(f"densenet-{d}-depth", f"DenseNet-{d} (Table 1) has {d} layers.", f"{DN}, Table 1", "count", "depth",
            ((f"densenet{d}",),), expected=d, compare="exact", convention=DEPTH,
            inconsistent=("Table 1's DenseNet-264 column (6, 12, 64, 48 dense layers of two convolutions, 3 "
                          "transitions, the 7x7 convolution and the FC layer) adds up to 1 + 260 + 3 + 1 = 265 "
                          "weight layers, not 264.") if d == 264 else None)
      for d in (121, 169, 201, 264)],
    *[Claim(f"densenet-{d}-table1-shapes", f"Table 1, DenseNet-{d}: 112x112 after the 7x7/2 convolution, 56x56 "
            "after the max pool and dense block 1, 28x28 after transition 1 and block 2, 14x14 after transition 2 "
            "and block 3, 7x7 after transition 3 and block 4.", f"{DN}, Table 1 (output size column)", "shapes",
            "output_shapes", ((f"densenet{d}",),),
            expected=[[64, 112, 112], [64, 56, 56], [256, 56, 56], [128, 28, 28], [512, 28, 28], [256, 14, 14],
                      [c3, 14, 14], [c3 // 2, 7, 7], [c3 // 2 + 32 * n4, 7, 7]],
            compare="equal", args={"layers": _DN_T1_LAYERS},
            note="The channel counts are not in Table 1; they follow from Sec. 3 by hand: 2k = 64 maps in, + n x k "
                 "per block, halved (theta = 0.5) by each transition.")
      for d, c3, n4 in ((121, 256 + 24 * 32, 16), (169, 256 + 32 * 32, 32), (201, 256 + 48 * 32, 32))],
    Claim("densenet-bc-k32", "DenseNet-BC for ImageNet: the initial convolution has 2k 7x7 filters with stride 2; "
          "each 1x1 bottleneck produces 4k maps; each 3x3 convolution adds k = 32; transitions halve the maps "
          "(theta = 0.5).", f"{DN}, Sec. 3 and Table 1", "exact", "layer_config",
          (("densenet121",), ("densenet169",), ("densenet201",)),
          expected=[[64, 7, 3, 2], [128, 1, 0, 1], [32, 3, 1, 1], [128, 1, 0, 1]], compare="equal",
          args={"layers": _DN_LAYER1},
          note="[maps, kernel, padding, stride] of conv0, the first dense layer's two convolutions and transition "
               "1's convolution (256 maps in, 128 out)."),
    Claim("densenet-201-20m-params", "A DenseNet-201 with 20M parameters yields similar validation error as a "
          "101-layer ResNet with more than 40M parameters.", f"{DN}, Sec. 4.4 (Fig. 3 left)", "count", "params",
          (("densenet201",),), expected=20e6, tolerance=WHOLE_M, convention=PARAMS),
    Claim("densenet-resnet101-over-40m", "... a 101-layer ResNet with more than 40M parameters.",
          f"{DN}, Sec. 4.4 (Fig. 3 left)", "count", "params", (("resnet101",), ("resnet101.torchvision",)),
          expected=40e6, compare="greater", convention=PARAMS),
    Claim("densenet-resnet101-twice-resnet50", "... a ResNet-101, which requires twice as much computation (as a "
          "ResNet-50).", f"{DN}, Sec. 4.4 (Fig. 3 right)", "ratio", "ratio",
          (("resnet101", "resnet50"), ("resnet101.torchvision", "resnet50.torchvision")), expected=2.0,
          tolerance=ABOUT, convention=MACS, args={"of": "macs"}),
    Claim("densenet-201-half-resnet101-params", "DenseNet-201 (20M) against ResNet-101 (more than 40M): about half "
          "the parameters for similar error.", f"{DN}, Sec. 4.4 (Fig. 3 left)", "ratio", "ratio",
          (("densenet201", "resnet101"),), expected=0.5, compare="less", convention=PARAMS, args={"of": "params"},
          note="20M / 'more than 40M' is below one half: the measured ratio must be under 0.5."),
]
