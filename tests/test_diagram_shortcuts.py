"""Block diagrams that show what the papers draw (issue 27): a residual block's shortcut as a second path
into its '+' with the projection written on it, strides and groups in the labels, a legend for --heat. Read
from the DOT source, the text Graphviz lays out."""

import re

from archscope.analysis import analyze
from archscope.analysis.graph import build_graph
from archscope.render.diagram import to_dot


def dot_of(name: str, heat=None) -> str:
    return to_dot(build_graph(analyze(name, training_memory=False), "block"), heat).source


def edges(dot: str) -> list[tuple[str, str, str]]:
    """(source, target, attributes) of every edge of a DOT source."""
    return re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\]$", dot, re.M)


def test_resnet18_projection_shortcuts_are_skip_edges_into_the_sum():
    """He et al. 2015, Table 1 and Eq. 2: conv3_1, conv4_1 and conv5_1 halve the map and double the width;
    their shortcut is a 1x1 convolution with stride 2 to 128, 256 and 512 maps (option B). The other five
    blocks add their input unchanged (identity)."""
    dot = dot_of("resnet18")
    skips = [(s, t, attr) for s, t, attr in edges(dot) if "dashed" in attr]
    labels = sorted(re.search(r'label="([^"]*)"', attr).group(1) for _, _, attr in skips)
    assert labels == ["", "", "", "", "1x1/2 128", "1x1/2 256", "1x1/2 512"]  # layer1's two blocks drawn x2
    for _, target, _ in skips:  # every shortcut ends in a sum
        assert re.search(rf'^\s*{target} \[label="\+"', dot, re.M), target
    # the block is its main path, strides in its label (conv3_1: 3x3, 128, /2 at its first convolution)
    assert "BasicBlock  3x3/2 128 &gt; 3x3/1 128" in dot
    assert "layer1.0 .. layer1.1 &#215;2" in dot


def test_resnet50_bottleneck_labels_and_runs():
    """Table 1, 50-layer: [1x1 64, 3x3 64, 1x1 256] x3, then x4, x6, x3; the paper's layout has the stride 2 in
    the first 1x1 of conv3_1 (the authors' models). Identical blocks after each stage's first are one node."""
    dot = dot_of("resnet50")
    assert "Bottleneck  1x1/2 128 &gt; 3x3/1 128 &gt; 1x1/1 512" in dot
    runs = re.findall(r"<b>(layer\d\.\d \.\. layer\d\.\d) &#215;(\d)</b>", dot)
    assert runs == [("layer1.1 .. layer1.2", "2"), ("layer2.1 .. layer2.3", "3"), ("layer3.1 .. layer3.5", "5"),
                    ("layer4.1 .. layer4.2", "2")]
    labels = [re.search(r'label="([^"]*)"', a).group(1) for _, _, a in edges(dot) if "dashed" in a]
    # conv2_1 projects 64 -> 256 at stride 1 (the width grows x4 in a bottleneck), then 512, 1024, 2048 at /2
    assert [x for x in labels if x] == ["1x1/1 256", "1x1/2 512", "1x1/2 1024", "1x1/2 2048"]


def test_alexnet_groups_and_strides_in_the_diagram():
    """Krizhevsky et al. 2012, Fig. 2: conv1 11x11 stride 4, 96 kernels; conv2, conv4, conv5 split over the
    two GPUs (groups=2); 3x3/2 overlapping max pools (Sec. 3.4)."""
    dot = dot_of("alexnet")
    assert "11x11/4 96 &gt; max 3x3/2" in dot
    assert "5x5/1 256 g2 &gt; max 3x3/2" in dot
    assert "3x3/1 384 &gt; 3x3/1 384 g2 &gt; 3x3/1 256 g2 &gt; max 3x3/2" in dot


def test_repeated_layers_are_written_once():
    """A DenseNet-121 dense block is 6, 12, 24, 16 units of 1x1 128 then 3x3 32 (Huang et al. 2017, Table 1,
    growth rate 32); VGG-16's third block, three 3x3 convolutions with 256 maps and a 2x2/2 max pool
    (Simonyan and Zisserman 2015, Table 1, column D), is short enough to write out."""
    dense = dot_of("densenet121")
    for n in (6, 12, 24, 16):
        assert f"(1x1/1 128 &gt; 3x3/1 32) ×{n}" in dense
    assert "3x3/1 256 &gt; 3x3/1 256 &gt; 3x3/1 256 &gt; max 2x2/2" in dot_of("vgg16")


def test_preactivation_shortcut_says_what_it_shares():
    """He et al. 2016 (the authors' code): the first unit of a stage shares its BN-ReLU with the projection."""
    labels = [re.search(r'label="([^"]*)"', a).group(1) for _, _, a in edges(dot_of("preresnet164"))
              if "dashed" in a]
    assert "after BatchNorm2d · ReLU: 1x1/2 128" in labels


def test_heat_has_a_legend():
    dot = dot_of("resnet18", heat="macs")
    assert "shade: the node's share of the model's multiply-adds (MACs)" in dot
    assert re.search(r"legend \[label=<<table", dot)
    assert "legend" not in dot_of("resnet18")
