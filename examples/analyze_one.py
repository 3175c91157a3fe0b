"""Analyse one network: totals, memory and the three most expensive layers."""

from archscope.analysis import analyze
from archscope.render.table import rf_text

a = analyze("resnet50", batch=8)
t = a.totals
print(f"{a.model} at {'x'.join(map(str, a.input_shape))}: {t.params:,} parameters, {t.macs / 1e9:.2f} G MACs")
print(f"training memory with SGD+momentum: {t.train_memory_bytes / 2**30:.2f} GiB "
      f"({t.saved_activation_bytes / 2**30:.2f} GiB of saved activations)")
leaves = sorted((l for l in a.layers if l.is_leaf), key=lambda l: -l.macs)[:3]
for l in leaves:
    print(f"  {l.name:20s} {l.type:12s} {l.macs / 1e6:8.1f} M MACs  RF {rf_text(l.receptive_field)}")
