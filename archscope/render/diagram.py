"""Graphviz diagrams of an analysis graph (archscope.analysis.graph).

Labels are Graphviz HTML-like labels built from escaped text, and node ids are
generated (n0, n1, ...): a module named with quotes, angle brackets or HTML
cannot break out of the DOT source or inject markup into the SVG.
"""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

from archscope.analysis.graph import Graph
from archscope.errors import ArchscopeError
from archscope.outputs import write_atomic
from archscope.render.table import human

FORMATS = ("svg", "png", "pdf", "dot")

COLOURS = {  # fill by layer kind
    "conv": "#cfe2f3", "linear": "#d9ead3", "norm": "#fff2cc", "activation": "#f4cccc", "pooling": "#ead1dc",
    "attention": "#fce5cd",
    "block": "#e3e7ee", "other": "#eeeeee", "op": "#ffffff", "io": "#ffffff",
}


def _text(text) -> str:
    """Control characters, line separators and lone surrogates shown as
    their escapes (``\\x01``): Graphviz's HTML-label parser rejects the first,
    and the second cannot be encoded."""
    return "".join(ascii(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c for c in str(text))


def _esc(text) -> str:
    """Text for an HTML-like label (<...>), where a backslash is literal."""
    return html.escape(_text(text), quote=True)


def _q(text) -> str:
    """Text for a quoted DOT string (graph name, cluster and edge labels),
    where a backslash starts an escape: doubled, so that a name ending in one
    cannot escape the closing quote."""
    return _esc(text).replace("\\", "\\\\")


def _shape(shape) -> str:
    return "x".join(map(str, shape[1:])) if shape and len(shape) > 1 else ""


def _heat(share: float) -> str:
    """White to red with the node's share of the model's total."""
    share = max(0.0, min(1.0, share))
    g = int(255 - 180 * share ** 0.5)
    return f"#ff{g:02x}{g:02x}"


def to_dot(g: Graph, heat: str | None = None):
    import graphviz

    if heat not in (None, "params", "macs"):
        raise ArchscopeError(f"`heat` must be params or macs, got {heat!r}")
    total = max(1, sum(getattr(n, heat) * n.repeat for n in g.nodes)) if heat else 1  # a run of N blocks: N
    dot = graphviz.Digraph(name=_q(g.model), graph_attr={
        "rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3", "fontname": "Helvetica", "fontsize": "10",
        "label": _q(f"{g.model} ({g.level} level)"), "labelloc": "t"},
        node_attr={"fontname": "Helvetica", "fontsize": "9", "style": "filled,rounded", "shape": "box",
                   "penwidth": "0.8"},
        edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#555555", "arrowsize": "0.6"})
    clusters: dict[str, graphviz.Digraph] = {}
    for n in g.nodes:
        if n.cluster and n.cluster not in clusters:
            sub = graphviz.Digraph(name=f"cluster_{len(clusters)}", graph_attr={
                "label": _q(n.cluster), "style": "rounded,dashed", "color": "#8899aa", "fontsize": "9",
                "labeljust": "l"})
            clusters[n.cluster] = sub
    for n in g.nodes:
        target = clusters[n.cluster] if n.cluster else dot
        if n.kind == "io":
            target.node(n.id, label=f"<{_esc(n.label)}<br/><font point-size='8'>{_esc(_shape(n.output_shape))}"
                                    "</font>>", shape="ellipse", style="filled", fillcolor="#ffffff")
            continue
        if n.kind == "op":
            target.node(n.id, label=_q(n.label), shape="circle", style="filled", fillcolor="#ffffff",
                        width="0.35", fixedsize="true")
            continue
        name = n.label.rsplit(".", 1)[-1] if n.cluster else n.label
        title = _esc(name) + (f" &#215;{n.repeat}" if n.repeat > 1 else "")
        types = _types(n.types) if not n.cluster else (n.detail or _types(n.types))
        extra = n.detail if n.detail and not n.cluster else ""
        lines = [f"<b>{title}</b>", _esc(types + (f"  {extra}" if extra else ""))]
        cost = []
        if n.params:
            cost.append(f"{human(n.params)} params")
        if n.macs:
            cost.append(f"{human(n.macs)} MACs")
        if cost:
            lines.append(_esc(" · ".join(cost) + (" each" if n.repeat > 1 else "")))
        fill = _heat(getattr(n, heat) * n.repeat / total) if heat else COLOURS.get(n.kind, "#eeeeee")
        target.node(n.id, label="<" + "<br/>".join(lines) + ">", fillcolor=fill)
    for sub in clusters.values():
        dot.subgraph(sub)
    for e in g.edges:
        if e.skip:  # a residual shortcut: a second path into the '+', with its projection written on it
            dot.edge(e.src, e.dst, label=_q(e.label), style="dashed", color="#3c78d8", fontcolor="#3c78d8")
        else:
            dot.edge(e.src, e.dst, label=_q(_shape(e.shape)))
    if heat:
        _legend(dot, heat)
    return dot


_LEGEND_STEPS = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0)


def _legend(dot, heat: str) -> None:
    """What the shades mean: a node's share of the model's parameters or MACs (its count times its
    repetitions), from white (none) to red (all of them)."""
    what = "parameters" if heat == "params" else "multiply-adds (MACs)"
    cells = "".join(f'<td bgcolor="{_heat(x)}" width="34">{x:.0%}</td>' for x in _LEGEND_STEPS)
    dot.node("legend", label=f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
                             f'<tr><td colspan="{len(_LEGEND_STEPS)}">shade: the node\'s share of the model\'s '
                             f'{_esc(what)}</td></tr><tr>{cells}</tr></table>>',
             shape="plaintext", style="", fontsize="8")


def _types(types: list[str]) -> str:
    """Conv2d, BatchNorm2d, ReLU, Conv2d -> 'Conv2d x2 · BatchNorm2d · ReLU'."""
    seen: dict[str, int] = {}
    for t in types:
        seen[t] = seen.get(t, 0) + 1
    return " · ".join(f"{t} x{c}" if c > 1 else t for t, c in seen.items())


def render(g: Graph, path: Path, fmt: str = "svg", heat: str | None = None) -> Path:
    """Render to ``path``. Without Graphviz's ``dot`` binary the DOT source is
    written (to ``path`` with a .dot suffix) and a clear error says how to
    install Graphviz."""
    import graphviz

    if fmt not in FORMATS:
        raise ArchscopeError(f"`format` must be one of {', '.join(FORMATS)}, got {fmt!r}")
    dot = to_dot(g, heat)
    source = dot.source.encode()
    if fmt == "dot":
        write_atomic(path, source)
        return path
    try:
        data = dot.pipe(format=fmt, quiet=True)  # Graphviz's warnings (e.g. a layout too large) stay off stderr
    except graphviz.CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise ArchscopeError(f"Graphviz's dot failed ({err[0] if err else f'exit status {e.returncode}'}); "
                             f"'-f dot' writes the DOT source instead") from None
    except graphviz.ExecutableNotFound:
        dot_path = path.with_suffix(".dot")
        write_atomic(dot_path, source)
        raise ArchscopeError(f"Graphviz's 'dot' program is not installed; wrote {dot_path} instead. Install it "
                             "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) and rerun, or "
                             f"render it yourself: dot -T{fmt} {dot_path} -o {path}") from None
    if fmt == "svg":
        data = _strip_version_comment(data)
    write_atomic(path, data)
    return path


def _strip_version_comment(svg: bytes) -> bytes:
    """Graphviz stamps its version in a comment; without it the SVG depends
    only on the layout, which keeps committed reports byte-stable."""
    import re

    return re.sub(rb"<!-- Generated by graphviz version [^>]*-->\n", b"", svg)
