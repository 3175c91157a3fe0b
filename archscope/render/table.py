"""Plain tables in four formats from rows of plain data (tabulate for text)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "markdown", "json", "csv")

_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")  # how raw HTML and autolinks begin (CommonMark 6.5, 6.6)
# how an entity or numeric character reference begins (CommonMark 2.5): '&amp;' would render as '&'
_ENTITY_START = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[Xx][0-9A-Fa-f]+;)")
_NEWLINE = re.compile(r"\r\n|\r|\n")


class Markdown(str):
    """Cell text that archscope built as markdown from escaped parts (a
    link, an indent): ``md_table`` leaves it as it is."""


def _unseen(c: str) -> bool:
    """A character that must not reach a page raw: a control character (but
    the line breaks, which become <br>), a format character (the bidi
    overrides and isolates such as U+202E, which reorder what follows;
    zero-width ones, which hide a difference), a lone surrogate, a line or
    paragraph separator."""
    import unicodedata

    return c not in "\r\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def md_escape(text: Any) -> str:
    """Plain text -> markdown that renders as itself (the one escaping of
    every markdown archscope writes: table cells and text alike). Control,
    format (bidi, zero-width) and separator characters shown as their
    escapes (U+202E as ``\\u202e``, as the DOT labels show them); backslashes
    and pipes escaped (a pipe would end a table cell); every '&' that could
    start an entity reference as &amp; (``amp&amp;`` renders as itself); every
    '<' that could open raw HTML or an autolink as &lt; (a '<' before a space
    or a digit cannot, and stays); line breaks as <br>."""
    text = "".join(ascii(c)[1:-1] if _unseen(c) else c for c in str(text))
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return _NEWLINE.sub("<br>", _HTML_START.sub("&lt;", _ENTITY_START.sub("&amp;", text)))


def md_table(rows: Sequence[Sequence[Any]], headers: Sequence[Any], **kw) -> str:
    """A GitHub markdown table whose every cell is escaped (``md_escape``),
    except cells already ``Markdown``. ``kw`` goes to tabulate (colalign)."""
    from tabulate import tabulate

    def cell(v):
        return v if isinstance(v, Markdown) else md_escape(v)

    return tabulate([[cell(v) for v in r] for r in rows], headers=[cell(h) for h in headers], tablefmt="github",
                    disable_numparse=True, **kw)


def human(n: float | int | None, unit: str = "") -> str:
    """1234567 -> '1.23M' (decimal prefixes, as torchinfo and the papers use)."""
    if n is None:
        return "-"
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= factor:
            return f"{n / factor:.2f}{suffix}{unit}"
    return f"{n:g}{unit}" if isinstance(n, float) else f"{n}{unit}"


def mib_text(n: float | int | None, signed: bool = False) -> str:
    """Bytes as archscope shows them everywhere: binary units (2**20 bytes to the MiB), one decimal
    (``12.5 MiB``; ``0.4 KiB``, ``3.2 GiB`` where MiB would read poorly); ``signed``: with a sign."""
    if n is None:
        return "-"
    sign = ("+" if n > 0 else "-" if n < 0 else "") if signed else ("-" if n < 0 else "")
    v = abs(n)
    for factor, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if v >= factor:
            return f"{sign}{v / factor:,.1f} {unit}"
    return f"{sign}{v:,.0f} B"


def sides(pair) -> str:
    """(211, 211) -> '211'; (15, 13) -> '15x13' (height x width)."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def rf_text(rf, missing: str = "-") -> str:
    """A receptive field (``analysis.receptive``) as the tables write it: its
    size ('211', '15x13'), 'global', or ``missing`` off the spatial path."""
    if rf is None:
        return missing
    return "global" if rf.is_global else sides(rf.size)


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str,
                headers: Sequence[str] | None = None, formatters: dict[str, Any] | None = None) -> str:
    """Rows of exact values -> text. JSON and CSV keep exact values; table and
    markdown apply ``formatters`` (column -> callable) for humans."""
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
        return buf.getvalue().rstrip("\n")
    from tabulate import tabulate

    formatters = formatters or {}
    body = [[formatters.get(c, _plain)(r.get(c)) for c in columns] for r in rows]
    if fmt == "markdown":
        return md_table(body, list(headers or columns))
    return tabulate(body, headers=list(headers or columns), tablefmt="github" if fmt == "markdown" else "simple",
                    disable_numparse=True)


def _plain(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, (tuple, list)):
        return "x".join(map(str, v))
    return str(v)


def figure(v: float) -> str:
    """A published figure as people write it: 60,000,000; 0.27; 1,388."""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,g}"
