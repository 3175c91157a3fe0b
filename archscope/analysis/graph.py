"""The architecture as a graph, from the analysis's traced data flow.

Nodes are modules (``layer`` level: every leaf layer; ``block`` level: each
residual block, Inception module or NiN block, and, inside plain sequences,
the layers up to each pooling layer — a VGG block) plus the functional merges
that happen between them (a residual ``+``, Inception's ``cat``). Edges follow
the tensors: an edge A -> B exists when B consumed a tensor derived from A's
output, so branches and shortcuts appear as the data actually flows, never
guessed from module order. At block level, runs of identical blocks collapse
into one node with a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archscope.analysis.result import Analysis, LayerStats

MERGE_OPS = {"add", "cat", "mul", "sub"}
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
_DRAWN_KINDS = ("conv", "linear", "norm", "activation", "pooling", "attention", "block")


@dataclass
class Node:
    id: str
    label: str  # the module name(s) or the op
    kind: str  # conv, linear, norm, activation, pooling, block, op, io, other
    types: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    params: int = 0
    macs: int = 0
    output_shape: list | None = None
    detail: str = ""  # kernel/stride/channels
    repeat: int = 1
    cluster: str | None = None  # the multi-branch block this node is a branch of


@dataclass
class Edge:
    src: str
    dst: str
    shape: list | None


@dataclass
class Graph:
    model: str
    level: str
    nodes: list[Node]
    edges: list[Edge]


def _kind(layer: LayerStats) -> str:
    """The node colour: the layer's category (decided by the analysis from the module's type)."""
    return layer.category if layer.category in _DRAWN_KINDS else "other"


def _one_layer(layer: LayerStats, a: Analysis) -> bool:
    """A composite module that is one layer of the paper: every layer it runs is of its own category
    (LeNet-5's C3 is three grouped convolutions; a conv+BN+ReLU unit is not one layer)."""
    if layer.is_leaf or layer.category in ("block", "other"):
        return False
    inner = [l for l in a.layers if l.is_leaf and l.calls and l.name.startswith(layer.name + ".")]
    return bool(inner) and all(l.category == layer.category for l in inner)


def _detail(layer: LayerStats) -> str:
    bits = []
    if layer.kernel:
        k = "x".join(map(str, layer.kernel))
        s = (layer.stride or [1])[0]
        bits.append(f"{k}/{s}")
    if layer.output_shape and len(layer.output_shape) >= 2 and _kind(layer) in ("conv", "linear"):
        bits.append(f"{layer.output_shape[1]} ch" if len(layer.output_shape) == 4 else f"{layer.output_shape[-1]} out")
    return " ".join(bits)


def _branching_blocks(a: Analysis, by_name) -> set[str]:
    """Blocks whose own forward concatenates the outputs of two or more of
    their children (Inception): drawn as a cluster of their branches."""
    producer = {}
    for l in a.layers:
        for k in l.out_keys or []:
            producer.setdefault(k, l.name)
    out = set()
    for f in a.flow:
        op, stack, ins = f.op, f.stack, f.inputs
        if op != "cat" or not stack:
            continue
        block = stack[-1]
        if not block or by_name[block].is_leaf:
            continue
        kids = {producer.get(k, "") for k in ins}
        kids = {k[len(block) + 1:].split(".")[0] for k in kids if k.startswith(block + ".")}
        if len(kids) >= 2:
            out.add(block)
    return out


def _chain(layers: list[LayerStats]) -> str:
    """The kernel chain of a branch: '1x1 96 > 3x3 128', pools as 'max 3x3'."""
    bits = []
    for l in layers:
        k = "x".join(map(str, l.kernel)) if l.kernel else ""
        if "Conv" in l.type and l.output_shape:
            bits.append(f"{k} {l.output_shape[1]}")
        elif "MaxPool" in l.type:
            bits.append(f"max {k}")
        elif "AvgPool" in l.type and k:
            bits.append(f"avg {k}")
    return " > ".join(bits)


def _select(a: Analysis, level: str) -> list[list[str]]:
    """Groups of module names; each group becomes one node."""
    by_name = {l.name: l for l in a.layers}
    children: dict[str, list[str]] = {}
    for l in a.layers:
        if l.name:
            parent = l.name.rsplit(".", 1)[0] if "." in l.name else ""
            children.setdefault(parent, []).append(l.name)
    ran = {l.name for l in a.layers if l.calls}
    ran_below = {r.rsplit(".", i)[0] for r in ran for i in range(1, r.count(".") + 1)}  # ancestors of a layer that ran
    # a container that is never called itself (an nn.ModuleList of blocks) still holds layers that ran
    called = lambda n: n in ran or n in ran_below  # noqa: E731
    if level == "layer":
        # a module whose children never ran does its work itself (nn.MultiheadAttention calls its
        # out_proj's weights, not the module): a layer, as a leaf is
        return [[l.name] for l in sorted(a.layers, key=lambda l: l.order if l.order is not None else 0)
                if l.name and l.calls and (l.is_leaf or l.name not in ran_below)]
    # block level: a custom module is one node; plain sequences are cut after each pooling layer

    groups: list[list[str]] = []
    branching = _branching_blocks(a, by_name)
    single_parent = {}  # tensor -> the one traced tensor it was computed from (views, functional activations)
    for f in a.flow:
        if len(f.inputs) == 1:
            for o in f.outputs:
                single_parent.setdefault(o, f.inputs[0])

    def _first_run(n: str) -> int:
        """When a module (or, for a container never called, the first of its layers) first ran."""
        l = by_name[n]
        if l.order is not None:
            return l.order
        return min((by_name[r].order for r in ran if r.startswith(n + ".")), default=1 << 30)

    def feeds(prev: LayerStats, nxt: LayerStats) -> bool:
        """nxt consumes prev's output, directly or through single-input ops (a view, F.relu): a chain, not
        two layers side by side (a two-input model's image and token branches)."""
        outs = set(prev.out_keys or [])
        for k in nxt.in_keys or []:
            seen = 0
            while k not in outs and k in single_parent and seen < 10_000:
                k, seen = single_parent[k], seen + 1
            if k in outs:
                return True
        return False

    def visit(name: str) -> None:
        kids = sorted((k for k in children.get(name, []) if called(k)), key=_first_run)  # in execution order
        layer = by_name[name]
        if name in branching:
            for k in kids:  # one node per branch, whatever it contains
                groups.append([k])
            return
        if name and (layer.is_leaf or layer.type not in _CONTAINERS):
            groups.append([name])
            return
        # a plain sequence: its leaf layers up to each pooling layer form a block, while each feeds the next
        run: list[str] = []
        for k in kids:
            kl = by_name[k]
            if kl.is_leaf or _one_layer(kl, a):
                if run and not feeds(by_name[run[-1]], kl):
                    groups.append(run)
                    run = []
                run.append(k)
                if kl.category == "pooling":
                    groups.append(run)
                    run = []
            else:
                if run:
                    groups.append(run)
                    run = []
                visit(k)
        if run:
            groups.append(run)

    visit("")  # the model itself: a container or a custom class, its children are the top-level structure
    return sorted(groups, key=lambda g: by_name[g[0]].order)


def build_graph(a: Analysis, level: str = "block") -> Graph:
    if level not in ("block", "layer"):
        from archscope.errors import ArchscopeError

        raise ArchscopeError(f"level must be 'block' or 'layer', got {level!r}")
    by_name = {l.name: l for l in a.layers}
    groups = _select(a, level)
    branching_blocks = _branching_blocks(a, by_name) if level == "block" else set()
    several = len(a.inputs) > 1
    nodes: list[Node] = ([Node(f"input{i}", f"input {i + 1}", "io", output_shape=x["shape"])
                          for i, x in enumerate(a.inputs)] if several
                         else [Node("input", "input", "io", output_shape=a.input_shape)])
    produced: dict[int, str] = {}  # tensor key -> node id that produced it
    inputs_of: dict[str, list[int]] = {}
    selected: set[str] = set()
    for i, g in enumerate(groups):
        first, last = by_name[g[0]], by_name[g[-1]]
        if set(last.out_keys or []) <= set(first.in_keys or []):
            continue  # a pure pass-through (nn.Identity, eval-mode dropout): the tensor flows on unchanged
        nid = f"n{i}"
        layers = [by_name[n] for n in g]
        types = [l.type for l in layers]
        kind = _kind(first) if len(g) == 1 else ("block" if any(_kind(l) in ("conv", "linear") for l in layers)
                                                 else _kind(first))
        label = g[0] if len(g) == 1 else f"{g[0]} .. {g[-1]}"
        inner = [l for l in a.layers if l.is_leaf and l.calls and any(l.name == m or l.name.startswith(m + ".")
                                                                      for m in g)]
        if len(g) == 1 and not first.is_leaf:
            types = [l.type for l in inner] if first.type in _CONTAINERS else [first.type]
            if first.type in _CONTAINERS and any(_kind(l) in ("conv", "linear") for l in inner):
                kind = "block"
        detail = _detail(first) if len(g) == 1 and first.is_leaf else _chain(inner)
        parent = g[0].rsplit(".", 1)[0] if "." in g[0] else ""
        node = Node(nid, label, kind, types, list(g), params=sum(l.params for l in layers),
                    macs=sum(l.macs for l in layers), output_shape=last.output_shape, detail=detail,
                    cluster=parent if parent in branching_blocks else None)
        nodes.append(node)
        selected.update(g)
        inputs_of[nid] = list(first.in_keys or [])
        for k in last.out_keys or []:
            produced.setdefault(k, nid)  # the first producer of a tensor owns it
    for i in range(len(a.inputs) if several else 1):  # the inputs are the first tensors traced, in order
        produced.setdefault(i, f"input{i}" if several else "input")

    # functional merges outside every selected node become nodes of their own
    parents: dict[int, list[int]] = {}
    for f in a.flow:
        op, stack, ins, outs = f.op, f.stack, f.inputs, f.outputs
        inside = any(s in selected for s in stack)
        merge = op in MERGE_OPS and len(ins) >= 2
        for o in outs:
            if o in produced:
                continue
            if merge and not inside:
                nid = f"op{len(nodes)}"
                owner = next((s for s in reversed(stack) if s in branching_blocks), None)
                nodes.append(Node(nid, "+" if op == "add" else op, "op", output_shape=a.tensor_shapes.get(o),
                                  cluster=owner))
                produced[o] = nid
                inputs_of[nid] = list(ins)
            else:
                parents[o] = list(ins)

    memo: dict[int, set[str]] = {}

    def sources(k: int, depth: int = 0) -> set[str]:
        if k in produced:
            return {produced[k]}
        if k in memo:
            return memo[k]
        out: set[str] = set()
        if depth < 10_000:
            for p in parents.get(k, []):
                out |= sources(p, depth + 1)
        memo[k] = out
        return out

    edges: list[Edge] = []
    seen = set()
    for nid, keys in inputs_of.items():
        for k in keys:
            for src in sorted(sources(k)):
                if src != nid and (src, nid) not in seen:
                    seen.add((src, nid))
                    edges.append(Edge(src, nid, a.tensor_shapes.get(k)))
    nodes.append(Node("output", "output", "io", output_shape=a.layers[0].output_shape))
    for k in a.output_keys:
        for src in sorted(sources(k)):
            edges.append(Edge(src, "output", a.tensor_shapes.get(k)))
    g = Graph(a.model, level, nodes, edges)
    return _collapse_runs(g, by_name) if level == "block" else g


def _signature(n: Node, by_name) -> tuple:
    if n.kind in ("io", "op") or n.cluster:
        return (n.id,)
    inp = by_name[n.members[0]].input_shape
    return (tuple(n.types), n.params, n.macs, tuple(n.output_shape or ()), tuple(inp or ()))


def _collapse_runs(g: Graph, by_name) -> Graph:
    """A chain of identical blocks, each fed only by the previous one, is drawn
    once with its count ("x N")."""
    incoming: dict[str, int] = {}
    outgoing: dict[str, list[Edge]] = {}
    for e in g.edges:
        incoming[e.dst] = incoming.get(e.dst, 0) + 1
        outgoing.setdefault(e.src, []).append(e)
    index = {n.id: n for n in g.nodes}
    head_of: dict[str, str] = {}
    for n in g.nodes:
        if n.id in head_of or n.kind in ("io", "op"):
            continue
        head_of[n.id] = n.id
        sig, cur = _signature(n, by_name), n
        while len(outgoing.get(cur.id, [])) == 1:
            nxt = index[outgoing[cur.id][0].dst]
            if nxt.id in head_of or nxt.kind in ("io", "op") or incoming.get(nxt.id) != 1 \
                    or _signature(nxt, by_name) != sig:
                break
            head_of[nxt.id] = n.id
            n.repeat += 1
            n.members += nxt.members
            n.output_shape = nxt.output_shape
            cur = nxt
        if n.repeat > 1:
            n.label = f"{n.members[0]} .. {n.members[-1]}"
    edges, seen = [], set()
    for e in g.edges:
        src, dst = head_of.get(e.src, e.src), head_of.get(e.dst, e.dst)
        if src == dst or (src, dst) in seen:
            continue
        seen.add((src, dst))
        edges.append(Edge(src, dst, e.shape))
    return Graph(g.model, g.level, [n for n in g.nodes if head_of.get(n.id, n.id) == n.id], edges)
