"""``summary --crosscheck``: each tool's figure beside archscope's, then the
causes of every difference with their sizes and layers."""

from __future__ import annotations

import json

from archscope.analysis.crosscheck import ToolCheck
from archscope.analysis.result import Analysis
from archscope.render.table import md_escape, render_rows

_COLUMNS = ["tool", "quantity", "reported", "archscope", "difference", "unexplained", "run"]
_HEADERS = ["tool", "counts", "reported", "archscope", "difference", "unexplained", "ran as"]


def _int(v) -> str:
    return "-" if v is None else f"{v:,}"


def _signed(v: int | None) -> str:  # None (no figure: the tool failed) reads as 0, as any falsy value
    return f"{v:+,}" if v else "0"


def _layers(names: list[str], shown: int = 4) -> str:
    names = [n or "(the model's own forward)" for n in names]
    head = ", ".join(names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)} layer{'s' if len(names) != 1 else ''}: {head}{more}"


def _cause_lines(c: ToolCheck, align: bool = True) -> list[str]:
    if c.error:
        return [f"{c.tool} failed: {c.error}"]
    sizes = [_signed(k.size) for k in c.causes] + [_signed(c.unexplained)]
    width = max(map(len, sizes)) if align else 0
    # sizes has one entry more than causes, the unexplained rest: written on its own line below
    lines = [f"{size:>{width}}  {k.what} — {_layers(k.layers)}" for size, k in zip(sizes, c.causes, strict=False)]
    lines.append(f"{sizes[-1]:>{width}}  unexplained")
    return lines + [f"note: {n}" for n in c.notes]


def render_crosscheck(checks: list[ToolCheck], fmt: str = "table") -> str:
    """Table or markdown: the figures, then where each difference comes from."""
    rows = [{**c.to_dict(), "run": c.run or "-"} for c in checks]
    md = fmt == "markdown"
    out = [render_rows(rows, _COLUMNS, "markdown" if md else "table", headers=_HEADERS,
                       formatters={k: _int for k in ("reported", "archscope", "difference", "unexplained")}), ""]
    out.append("**Where the differences come from**" if md else "Where the differences come from:")
    for c in checks:
        title = f"{c.tool}, {c.quantity} ({_signed(c.difference) if c.difference is not None else 'failed'})"
        if md:
            out.append(f"- {md_escape(title)}")
            out += [f"  - {md_escape(line)}" for line in _cause_lines(c, align=False)]
        else:
            out.append(f"  {title}:")
            out += [f"    {line}" for line in _cause_lines(c)]
    return "\n".join(out)


def summary_json_with_crosscheck(a: Analysis, checks: list[ToolCheck]) -> str:
    """``summary --format json --crosscheck``: the summary's JSON with a
    ``crosscheck`` key (one object per tool and quantity, exact integers)."""
    return json.dumps({**a.to_dict(), "crosscheck": [c.to_dict() for c in checks]}, indent=2)
