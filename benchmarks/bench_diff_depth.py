"""How `archscope diff` grows with depth: two networks N layers deep that differ the way ports do (one adds
a batch norm after every third conv-ReLU pair), diffed whole, with the alignment archscope uses (Myers'
O(ND) algorithm, archscope.analysis.align.opcodes) and with the one it replaced (difflib.SequenceMatcher,
swapped in for the same run), side by side in one process.

    .venv/bin/python benchmarks/bench_diff_depth.py [--depths 500 1000 2000 3000] [--difflib-up-to 3000]
                                                    [-o reports/bench-diff.md]

Seconds are wall time of `diff()` (both analyses included: they are the floor); the ratio is the result, as
absolute seconds drift on shared machines.
"""

from __future__ import annotations

import argparse
import difflib
import platform
import sys
import time
from pathlib import Path

from torch import nn


def network(depth: int, bn_every: int) -> nn.Sequential:
    """depth layers of conv-ReLU pairs (4 maps, 3x3), with a batch norm after every ``bn_every``-th pair."""
    layers: list[nn.Module] = []
    for i in range(depth // 2):
        layers += [nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()]
        if bn_every and i % bn_every == 0:
            layers.append(nn.BatchNorm2d(4))
    return nn.Sequential(*layers)


def difflib_opcodes(a, b, max_edits=None):
    """The alignment before: difflib's longest-match search, junk heuristic off."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def run(depth: int, use_difflib: bool) -> tuple[float, int]:
    import archscope.analysis.align as align
    import archscope.analysis.diff as diff_mod

    saved = align.opcodes, diff_mod.opcodes
    if use_difflib:
        align.opcodes = diff_mod.opcodes = difflib_opcodes
    try:
        a, b = network(depth, 0), network(depth, 3)
        start = time.perf_counter()
        d = diff_mod.diff((f"plain{depth}", a, (4, 8, 8)), (f"bn{depth}", b, (4, 8, 8)))
        return time.perf_counter() - start, len(d.changes)
    finally:
        align.opcodes, diff_mod.opcodes = saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depths", type=int, nargs="+", default=[500, 1000, 2000, 3000])
    ap.add_argument("--difflib-up-to", type=int, default=3000, help="skip the old alignment above this depth")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    run(50, False)  # the first forward of a process pays torch's imports
    rows = []
    for depth in args.depths:
        new, n_new = run(depth, False)
        old, n_old = run(depth, True) if depth <= args.difflib_up_to else (None, None)
        rows.append((depth, new, n_new, old, n_old))
        print(depth, f"myers {new:.1f}s", f"difflib {old:.1f}s" if old is not None else "difflib skipped",
              flush=True)
    lines = ["# diff: time against depth", "",
             f"Two networks N layers deep (conv-ReLU pairs; B adds a batch norm after every third pair), "
             f"`diff()` wall time on {platform.processor() or platform.machine()}, Python "
             f"{platform.python_version()}; a shared 2-core machine, so read the ratios. "
             "`benchmarks/bench_diff_depth.py`.", "",
             "| layers | Myers (now) | differences | difflib (before) | differences | before / now |",
             "|-------:|------------:|------------:|-----------------:|------------:|-------------:|"]
    for depth, new, n_new, old, n_old in rows:
        lines.append(f"| {depth:,} | {new:.1f} s | {n_new} | " + (f"{old:.1f} s | {n_old} | {old / new:.1f}x |"
                                                              if old is not None else "- | - | - |"))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
