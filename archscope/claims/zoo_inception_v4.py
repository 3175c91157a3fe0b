"""The architecture claims of Szegedy, Ioffe, Vanhoucke, Alemi 2016 ("Inception-v4, Inception-ResNet and the
Impact of Residual Connections on Learning", AAAI 2017, arXiv 1602.07261) that the zoo's networks can check:
the cost comparisons of Sec. 3.2 and Sec. 6, the output shapes the figures print, Table 1's Reduction-A
filters. Statements paraphrase the paper; shapes are [maps, height, width] where the paper writes HxWxC.
"""

from __future__ import annotations

from archscope.claims.schema import Claim, Tolerance

SZ = "Szegedy et al. 2016 (Inception-v4, arXiv 1602.07261)"
MACS = "multiply-accumulates of convolutions and FC layers (the paper's 'computational cost')"
ROUGHLY = Tolerance(rel=0.10, wording="'roughly' / 'similar': within 10%")
MATCHES = Tolerance(rel=0.10, wording="'matches the raw cost': within 10%")

_REDUCTION_A = {  # Fig. 7's four convolutions in Table 1's order k, l, m, n
    "paper": ["reduction_a.branch2.0.conv", "reduction_a.branch2.1.conv", "reduction_a.branch2.2.conv",
              "reduction_a.branch1.0.conv"],
    "timm": ["reduction_a.branch1.0.conv", "reduction_a.branch1.1.conv", "reduction_a.branch1.2.conv",
             "reduction_a.branch0.0.conv"],
}
_STAGES = ["stem", "stage_a", "reduction_a", "stage_b", "reduction_b", "stage_c", "head.pool"]


def _reduction_a(k, l, m, n):  # noqa: E741 - the paper's letters
    """layer_config rows [maps, kernel, padding, stride]: 1x1 k, 3x3 l same, 3x3/2 V m, 3x3/2 V n."""
    return [[k, 1, 0, 1], [l, 3, 1, 1], [m, 3, 0, 2], [n, 3, 0, 2]]


CLAIMS: list[Claim] = [
    # ---- cost (Sec. 3.2, Sec. 6) ----------------------------------------------------------------------------
    Claim("inception4-irv1-cost-of-v3", "Inception-ResNet-v1 has roughly the computational cost of Inception-v3.",
          f"{SZ}, Sec. 3.2; Sec. 6 ('a similar computational cost to Inception-v3')", "ratio", "ratio",
          (("inception_resnet_v1", "inception_v3"), ("inception_resnet_v1", "inception_v3.torchvision")),
          expected=1.0, tolerance=ROUGHLY, convention=MACS, args={"of": "macs"},
          note="Inception-v3 as its own paper builds it (inception_v3) and as torchvision writes it."),
    Claim("inception4-irv2-cost-of-v4", "Inception-ResNet-v2 matches the raw cost of the newly introduced "
          "Inception-v4.", f"{SZ}, Sec. 3.2", "ratio", "ratio",
          (("inception_resnet_v2", "inception_v4"), ("inception_resnet_v2.timm", "inception_v4.timm")),
          expected=1.0, tolerance=MATCHES, convention=MACS, args={"of": "macs"},
          note="Built from Figs. 3, 15-19 (5, 10 and 5 blocks) Inception-ResNet-v2 costs about three quarters of "
               "Inception-v4; the authors' release, which timm ports, has twice the blocks (10, 20, 10) and "
               "matches. The text's claim fits the released network, not the figures' block counts."),
    Claim("inception4-irv2-costlier-than-irv1", "Inception-ResNet-v2 is a costlier hybrid Inception version than "
          "Inception-ResNet-v1.", f"{SZ}, Sec. 6", "inequality", "ratio",
          (("inception_resnet_v2", "inception_resnet_v1"), ("inception_resnet_v2.timm", "inception_resnet_v1")),
          expected=1.0, compare="greater", convention=MACS, args={"of": "macs"}),

    # ---- output shapes the figures print ---------------------------------------------------------------------
    Claim("inception4-fig3-stem-shapes", "The stem of Inception-v4 and Inception-ResNet-v2 goes 299x299x3 -> "
          "149x149x32 -> 147x147x32 -> 147x147x64 -> 73x73x160 -> 71x71x192 -> 35x35x384.", f"{SZ}, Fig. 3",
          "shapes", "output_shapes", (("inception_v4",), ("inception_resnet_v2",), ("inception_v4.timm",)),
          expected=[[32, 149, 149], [32, 147, 147], [64, 147, 147], [160, 73, 73], [192, 71, 71], [384, 35, 35]],
          compare="equal", args={"layers": [f"stem.{i}" for i in range(6)]}),
    Claim("inception4-fig14-stem-shapes", "The stem of Inception-ResNet-v1 goes 299x299x3 -> 149x149x32 -> "
          "147x147x32 -> 147x147x64 -> 73x73x64 -> 73x73x80 -> 71x71x192 -> 35x35x256.", f"{SZ}, Fig. 14",
          "shapes", "output_shapes", (("inception_resnet_v1",),),
          expected=[[32, 149, 149], [32, 147, 147], [64, 147, 147], [64, 73, 73], [80, 73, 73], [192, 71, 71],
                    [256, 35, 35]],
          compare="equal", args={"layers": [f"stem.{i}" for i in range(7)]}),
    Claim("inception4-fig9-shapes", "Inception-v4: stem 35x35x384, 4 x Inception-A 35x35x384, Reduction-A "
          "17x17x1024, 7 x Inception-B 17x17x1024, Reduction-B 8x8x1536, 3 x Inception-C 8x8x1536, average "
          "pooling 1536.", f"{SZ}, Fig. 9", "shapes", "output_shapes", (("inception_v4",), ("inception_v4.timm",)),
          expected=[[384, 35, 35], [384, 35, 35], [1024, 17, 17], [1024, 17, 17], [1536, 8, 8], [1536, 8, 8],
                    [1536, 1, 1]],
          compare="equal", args={"layers": _STAGES}),
    Claim("inception4-fig15-shapes", "Inception-ResNet-v1: stem 35x35x256, 5 x Inception-ResNet-A 35x35x256, "
          "Reduction-A 17x17x896, 10 x Inception-ResNet-B 17x17x896, Reduction-B 8x8x1792, 5 x Inception-ResNet-C "
          "8x8x1792, average pooling 1792.", f"{SZ}, Fig. 15 (its shapes are Inception-ResNet-v1's, per the "
          "caption)", "shapes", "output_shapes", (("inception_resnet_v1",),),
          expected=[[256, 35, 35], [256, 35, 35], [896, 17, 17], [896, 17, 17], [1792, 8, 8], [1792, 8, 8],
                    [1792, 1, 1]],
          compare="equal", args={"layers": _STAGES}),
    Claim("inception4-fig16-width-384", "Inception-ResNet-v2's Inception-ResNet-A expands back to 384 maps "
          "(Fig. 16's '1x1 Conv (384 Linear)'), the width of the Fig. 3 stem.", f"{SZ}, Figs. 3 and 16",
          "shapes", "output_shapes", (("inception_resnet_v2",),), expected=[[384, 35, 35]], compare="equal",
          args={"layers": ["stage_a"]}),
    Claim("inception4-fig17-width-1154", "Inception-ResNet-v2's Inception-ResNet-B expands back to 1154 maps "
          "(Fig. 17's '1x1 Conv (1154 Linear)').", f"{SZ}, Fig. 17", "shapes", "output_shapes",
          (("inception_resnet_v2",),), expected=[[1154, 17, 17]], compare="equal", args={"layers": ["stage_b"]},
          inconsistent="The block's input is Reduction-A's output: Fig. 7 with Table 1's n = 384 and m = 384 on "
                       "the stem's 384 maps (Fig. 3) gives 384 + 384 + 384 = 1152, and the residual sum needs the "
                       "expansion as wide as the input. No width recomputes 1154; archscope builds 1152."),
    Claim("inception4-fig19-width-2048", "Inception-ResNet-v2's Inception-ResNet-C expands back to 2048 maps "
          "(Fig. 19's '1x1 Conv (2048 Linear)').", f"{SZ}, Fig. 19", "shapes", "output_shapes",
          (("inception_resnet_v2",),), expected=[[2048, 8, 8]], compare="equal", args={"layers": ["stage_c"]},
          inconsistent="The block's input is Reduction-B's output: Fig. 18 adds 384 + 288 + 320 maps to its "
                       "input's 1152 (1154 by Fig. 17), 2144 (2146), not 2048; the residual sum needs the "
                       "expansion as wide as the input, so archscope builds 2144. (The authors' release, with a "
                       "320-map stem, has 2080.)"),
    Claim("inception4-fig18-caption", "Fig. 18's Reduction-B is the one used by the wider Inception-ResNet-v1.",
          f"{SZ}, captions of Figs. 12, 15 and 18", "exact", "source_figures", (("",),),
          args={"figures": {"Fig. 12": "used by the smaller Inception-ResNet-v1",
                            "Fig. 18": "used by the wider Inception-ResNet-v1",
                            "Fig. 15": "Inception-ResNet-v2 uses Figures 3, 16, 7, 17, 18 and 19"}},
          inconsistent="The captions give both reduction modules to Inception-ResNet-v1; Fig. 15's caption (and "
                       "the widths: Fig. 12 gives Fig. 13's 1792) make Fig. 18 Inception-ResNet-v2's."),

    # ---- Table 1: Reduction-A's filters ----------------------------------------------------------------------
    *[Claim(f"inception4-table1-{key}", f"Reduction-A of {label} has k, l, m, n = {k}, {l}, {m}, {n} filters "
            "(1x1 k, 3x3 l, 3x3/2 valid m, and 3x3/2 valid n beside it).", f"{SZ}, Table 1 and Fig. 7", "exact",
            "layer_config", models, expected=_reduction_a(k, l, m, n), compare="equal",
            args={"layers": {name: _REDUCTION_A["timm" if name.endswith(".timm") else "paper"]
                             for ms in models for name in ms}})
      for key, label, (k, l, m, n), models in (
          ("v4", "Inception-v4", (192, 224, 256, 384), (("inception_v4",), ("inception_v4.timm",))),
          ("irv1", "Inception-ResNet-v1", (192, 192, 256, 384), (("inception_resnet_v1",),)),
          ("irv2", "Inception-ResNet-v2", (256, 256, 384, 384),
           (("inception_resnet_v2",), ("inception_resnet_v2.timm",))))],
]
