"""Claims and comparisons as text, markdown or JSON."""

from __future__ import annotations

import json

from archscope.render.table import human


def fmt_value(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v and (abs(v) >= 1e5):
            return human(v)
        return f"{v:.4g}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) < 1e6 else f"{v:,} ({human(v)})"
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, (list, tuple)) for x in v):
            return ", ".join("x".join(map(str, x)) for x in v)
        if len(v) == 2 and all(isinstance(x, float) for x in v):
            return f"{v[0]:.3g}-{v[1]:.3g}"
        return ", ".join(fmt_value(x) for x in v)
    return str(v)


def _measured(e) -> str:
    """A training claim's measurement shows its spread and number of seeds."""
    if e.spread:
        return f"{e.measured:.4f} ± {e.spread['std']:.4f} (n={e.spread['n']})"
    return fmt_value(e.measured)


def render_evaluations(evals, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([e.to_dict() for e in evals], indent=2, default=str)
    from tabulate import tabulate

    md = fmt == "markdown"
    rows = [[e.claim.id, e.claim.statement, e.claim.source, " / ".join(e.models) or "-", fmt_value(e.claim.expected),
             _measured(e), e.verdict.value, e.detail] for e in evals]
    headers = ["id", "claim", "source", "models", "expected", "measured", "verdict", "how"]
    if md:
        from archscope.render.table import md_table

        return md_table(rows, headers)
    # terminal: keep the long columns readable (wrapped here: tabulate's own wrapping parses numbers)
    import textwrap

    widths = (34, 58, 28, 22, 22, 14)

    def wrap(row):
        return ["\n".join(textwrap.wrap(str(c), w)) or "-" for c, w in zip(row, widths)]

    return tabulate([wrap([r[0], r[1], r[3], r[4], r[5], r[6]]) for r in rows],
                    headers=["id", "claim", "models", "expected", "measured", "verdict"], tablefmt="simple",
                    disable_numparse=True)


def verdict_counts(evals) -> str:
    from collections import Counter

    c = Counter(e.verdict.value for e in evals)
    return ", ".join(f"{n} {v}" for v, n in sorted(c.items(), key=lambda kv: -kv[1]))
