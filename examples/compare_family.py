"""Compare the VGG configurations of Table 1: where do the parameters go?"""

from archscope.analysis.compare import compare

result = compare(["vgg11", "vgg13", "vgg16", "vgg19"])
for m in result.models:
    head = next(s for s in m.stages if s.resolution is None)  # after the last spatial map: the FC head
    print(f"{m.model:6s} {m.params / 1e6:7.2f} M params ({m.ratios['params']:.2f}x vgg11), "
          f"{m.macs / 1e9:5.2f} G MACs, {100 * head.params / m.params:.0f}% of the weights in the FC head")
