"""The architecture as a graph, from the analysis's traced data flow.

Nodes are modules (``layer`` level: every leaf layer; ``block`` level: each
residual block, Inception module or NiN block, and, inside plain sequences,
the layers up to each pooling layer — a VGG block) plus the functional merges
that happen between them (a residual ``+``, Inception's ``cat``). Edges follow
the tensors: an edge A -> B exists when B consumed a tensor derived from A's
output, so branches and shortcuts appear as the data actually flows, never
guessed from module order. At block level, runs of identical blocks collapse
into one node with a count.

A residual block (a module whose own forward adds its input, or a projection of
it, to what its layers made of it) is drawn as its path: the block's layers as
one node, the ``+`` after it, and the shortcut as a second edge from the
block's input to the ``+``, labelled with the projection's geometry
(``1x1/2 128``; no label for an identity). The path with fewer weight layers
is the shortcut.
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
    label: str = ""  # what the tensor goes through on the way (a shortcut's projection: '1x1/2 128')
    skip: bool = False  # a residual block's shortcut


@dataclass
class Residual:
    """A block whose own forward adds a shortcut to its main path."""

    block: str
    main: list[str]  # its children on the main path (the node), in call order
    skip: list[str]  # its children on the shortcut only (a projection); empty for an identity
    add: int  # the flow index of the add
    skip_input: int  # which of the add's inputs is the shortcut
    shared: list[str] = field(default_factory=list)  # children the shortcut reads through before it parts
    # from the main path (a pre-activation unit's BN-ReLU, which its projection shares)


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


def layer_text(l: LayerStats) -> str:
    """A layer in a few characters, as the papers' tables write it: '11x11/4 96 g2' (kernel/stride, output
    channels, groups, dilation), 'max 3x3/2', 'avg 7x7/1', '1000 out'; '' for a layer without geometry."""
    k = "x".join(map(str, l.kernel)) if l.kernel else ""
    s = l.stride or [1]
    stride = str(s[0]) if len(set(s)) == 1 else "x".join(map(str, s))
    if l.category == "conv" and l.kernel and l.output_shape and len(l.output_shape) >= 2:
        bits = [f"{k}/{stride}", str(l.output_shape[1])]
        if l.groups and l.groups > 1:
            bits.append(f"g{l.groups}")
        if l.dilation and not isinstance(l.dilation, str) and any(d != 1 for d in l.dilation):
            bits.append("d" + "x".join(map(str, sorted(set(l.dilation)))))
        return " ".join(bits)
    if l.category == "pooling":
        kind = "max" if "Max" in l.type else "avg" if "Avg" in l.type else l.type
        if l.kernel:
            return f"{kind} {k}/{stride}"
        if "Adaptive" in l.type and l.output_shape and len(l.output_shape) == 4:  # pooled to a size
            return f"{kind} to {l.output_shape[2]}x{l.output_shape[3]}"
        return ""
    if l.category == "linear" and l.output_shape:
        return f"fc {l.output_shape[-1]}"
    return ""


def _detail(layer: LayerStats) -> str:
    return layer_text(layer)


def _branching_blocks(a: Analysis, by_name) -> set[str]:
    """Blocks whose own forward concatenates the outputs of two or more of
    their children (Inception): drawn as a cluster of their branches."""
    producer: dict[int, str] = {}  # tensor -> the first layer that wrote it
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
    """The kernel chain of a branch: '1x1/1 96 > 3x3/1 128', pools as 'max 3x3/2', fully connected layers as
    'fc 1000'."""
    bits = [t for t in (layer_text(l) for l in layers if l.category in ("conv", "pooling", "linear")) if t]
    return _repeats(bits)


_SPELL_OUT = 4  # chains up to this long are written out in full (a basic block's 3x3 > 3x3, VGG's three 3x3)


def _repeats(bits: list[str]) -> str:
    """A long chain with its repetitions written once: a whole chain that is one unit repeated as '(1x1/1 128
    > 3x3/1 32) ×6' (a DenseNet block), a run of one layer as '3x3/1 64 ×5'. Short chains are written out, so
    that '×N' on a node's title (N identical blocks) is not read as N layers."""
    n = len(bits)
    if n <= _SPELL_OUT:
        return " > ".join(bits)
    for p in range(1, n // 2 + 1):
        if n % p == 0 and bits == bits[:p] * (n // p):
            unit = " > ".join(bits[:p])
            return f"({unit}) ×{n // p}" if p > 1 else f"{unit} ×{n}"
    out: list[str] = []
    i = 0
    while i < n:
        j = i
        while j < n and bits[j] == bits[i]:
            j += 1
        out.append(f"{bits[i]} ×{j - i}" if j - i >= _SPELL_OUT else " > ".join(bits[i:j]))
        i = j
    return " > ".join(out)


def _child(a: Analysis, name: str, i: int) -> str | None:
    """The child of module ``name`` that op ``i`` runs inside, None where it is the module's own op."""
    stack = a.flow[i].stack
    at = stack.index(name) if name in stack else -1
    return stack[at + 1] if 0 <= at < len(stack) - 1 else None


def _path(a: Analysis, name: str, producer: dict[int, int], block_in: set[int], key: int) -> set[str]:
    """The children of block ``name`` between its input and this tensor."""
    seen: set[int] = set()
    todo, kids = [key], set()
    while todo:
        k = todo.pop()
        if k in block_in or k in seen or k not in producer:
            continue
        seen.add(k)
        i = producer[k]
        c = _child(a, name, i)
        if c:
            kids.add(c)
        todo.extend(a.flow[i].inputs)
    return kids


def _residuals(a: Analysis, by_name, skip: set[str]) -> dict[str, Residual]:
    """The residual blocks: custom modules (not containers, not in ``skip``) whose own forward adds two
    tensors once, one of them reached from the block's input through fewer weight layers (the shortcut) than
    the other, and nothing with weights after the add. A module with two adds (a transformer layer) stays
    one node."""
    ops: dict[str, list[int]] = {}
    for i, f in enumerate(a.flow):
        for name in set(f.stack):
            ops.setdefault(name, []).append(i)
    out = {}
    for name, idx in ops.items():
        layer = by_name.get(name)
        if not name or layer is None or layer.is_leaf or layer.type in _CONTAINERS or name in skip:
            continue
        first = [i for n, i in enumerate(idx) if n == 0 or i == idx[n - 1] + 1]  # its first call's ops
        run = idx[:len(first)]
        adds = [i for i in run if a.flow[i].op in ("add", "add_") and a.flow[i].stack[-1] == name
                and len(a.flow[i].inputs) == 2]
        if len(adds) != 1:
            continue
        producer = {o: i for i in run for o in a.flow[i].outputs}
        block_in = set(layer.in_keys or [])
        add = adds[0]
        paths = [_path(a, name, producer, block_in, k) for k in a.flow[add].inputs]

        def weights(kids: set[str]) -> int:
            return sum(1 for l in a.layers if l.is_leaf and l.calls and l.category in ("conv", "linear")
                       and any(l.name == c or l.name.startswith(c + ".") for c in kids))

        w = [weights(p) for p in paths]
        if w[0] == w[1] or max(w) == 0:
            continue
        s_in = 0 if w[0] < w[1] else 1
        skip_only = paths[s_in] - paths[1 - s_in]
        kids = sorted({c for i in run if (c := _child(a, name, i))}, key=lambda c: by_name[c].order)
        after = [c for c in kids if min(i for i in run if _child(a, name, i) == c) > add]
        if weights(set(after)) or any(c in skip_only for c in after):
            continue
        main = [c for c in kids if c not in skip_only and c not in after]
        if not main:
            continue
        shared = sorted(paths[s_in] & paths[1 - s_in], key=lambda c: by_name[c].order)
        out[name] = Residual(name, main, sorted(skip_only, key=lambda c: by_name[c].order), add, s_in, shared)
    return out


def _select(a: Analysis, level: str, residual: dict[str, Residual] | None = None) -> list[list[str]]:
    """Groups of module names; each group becomes one node (a residual block's: its main path)."""
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
    # tensor -> the one traced tensor it was computed from (views, functional activations)
    single_parent: dict[int, int] = {}
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
        if residual and name in residual:  # its main path is the node; the shortcut and the add are drawn apart
            groups.append(list(residual[name].main))
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
    branching_blocks = _branching_blocks(a, by_name) if level == "block" else set()
    every = _residuals(a, by_name, set()) if level == "block" else {}
    # a block that also branches (Inception-ResNet's) stays a cluster of its branches; its shortcut is marked
    residual = {k: r for k, r in every.items() if k not in branching_blocks}
    groups = _select(a, level, residual)
    block_of = {r.main[0]: r for r in residual.values()}  # a group that is a residual block's main path
    skip_of: dict[int, Residual] = {r.add: r for r in every.values()}
    skip_edges: dict[str, tuple[int, str]] = {}  # '+' node -> (the shortcut's tensor, the projection's geometry)
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
        params, macs = sum(l.params for l in layers), sum(l.macs for l in layers)
        r = block_of.get(g[0])
        if r is not None and list(r.main) == list(g):  # the block, drawn as its main path: its name and costs
            block = by_name[r.block]
            label, types, kind, params, macs = r.block, [block.type], "block", block.params, block.macs
        parts = (r.block if r is not None else g[0]).rsplit(".", 1)
        parent = parts[0] if len(parts) == 2 else ""
        node = Node(nid, label, kind, types, list(g), params=params, macs=macs, output_shape=last.output_shape,
                    detail=detail, cluster=parent if parent in branching_blocks else None)
        nodes.append(node)
        selected.update(g)
        inputs_of[nid] = list(first.in_keys or [])
        for k in last.out_keys or []:
            produced.setdefault(k, nid)  # the first producer of a tensor owns it
    for i in range(len(a.inputs) if several else 1):  # the inputs are the first tensors traced, in order
        produced.setdefault(i, f"input{i}" if several else "input")

    # functional merges outside every selected node become nodes of their own
    parents: dict[int, list[int]] = {}
    for fi, f in enumerate(a.flow):
        op, stack, ins, outs = f.op, f.stack, f.inputs, f.outputs
        inside = any(s in selected for s in stack)
        merge = op in MERGE_OPS and len(ins) >= 2
        for o in outs:
            if o in produced:
                continue
            if merge and not inside:
                nid = f"op{len(nodes)}"
                owner = next((s for s in reversed(stack) if s in branching_blocks), None)
                nodes.append(Node(nid, "+" if op in ("add", "add_") else op, "op",
                                  output_shape=a.tensor_shapes.get(o), cluster=owner))
                produced[o] = nid
                inputs_of[nid] = list(ins)
                r = skip_of.get(fi)
                if r is not None:
                    skip_edges[nid] = (ins[r.skip_input], _skip_label(r, a, by_name))
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
            skip = nid in skip_edges and k == skip_edges[nid][0]
            for src in sorted(sources(k)):
                if src != nid and (src, nid, skip) not in seen:
                    seen.add((src, nid, skip))
                    edges.append(Edge(src, nid, a.tensor_shapes.get(k), skip_edges[nid][1] if skip else "", skip))
    nodes.append(Node("output", "output", "io", output_shape=a.layers[0].output_shape))
    for k in a.output_keys:
        for src in sorted(sources(k)):
            edges.append(Edge(src, "output", a.tensor_shapes.get(k)))
    graph = Graph(a.model, level, nodes, edges)
    return _collapse_runs(graph, by_name) if level == "block" else graph


def _skip_label(r: Residual, a: Analysis, by_name) -> str:
    """What a shortcut does: its projection's geometry ('1x1/2 128'), its modules' types where it has no
    convolution (option A's 'ZeroPadShortcut'), '' for an identity; prefixed with the layers it shares with
    the main path before it parts from it ('after BatchNorm2d · ReLU: 1x1/1 64')."""
    def inner(names):
        return [l for l in a.layers if l.is_leaf and l.calls and any(l.name == c or l.name.startswith(c + ".")
                                                                    for c in names)]

    text = _chain(inner(r.skip)) or " > ".join(by_name[c].type for c in r.skip)
    if r.shared and text:
        text = f"after {' · '.join(l.type for l in inner(r.shared))}: {text}"
    return text


def _signature(n: Node, by_name) -> tuple:
    if n.kind in ("io", "op") or n.cluster:
        return (n.id,)
    inp = by_name[n.members[0]].input_shape
    return (tuple(n.types), n.params, n.macs, tuple(n.output_shape or ()), tuple(inp or ()))


def _collapse_runs(g: Graph, by_name) -> Graph:
    """A chain of identical blocks, each fed only by the previous one, is drawn
    once with its count ("x N"). A residual block is its node and its '+'
    together: the next identical block reads the '+' and adds it back through
    an identity shortcut."""
    into: dict[str, list[Edge]] = {}
    outgoing: dict[str, list[Edge]] = {}
    for e in g.edges:
        into.setdefault(e.dst, []).append(e)
        outgoing.setdefault(e.src, []).append(e)
    index = {n.id: n for n in g.nodes}

    def plus_of(n: Node) -> Node | None:
        """The '+' a residual block's node feeds, and nothing else."""
        outs = outgoing.get(n.id, [])
        if len(outs) != 1:
            return None
        p = index[outs[0].dst]
        return p if p.kind == "op" and p.label == "+" and any(e.skip for e in into.get(p.id, [])) else None

    def skip_label(p: Node) -> str | None:
        return next((e.label for e in into.get(p.id, []) if e.skip), None)

    def follows(cur: Node, plus: Node | None, nxt: Node, sig) -> Node | None:
        """``nxt`` repeats the unit that ends in ``plus`` (or ``cur``): its '+' (or itself) when it does."""
        if nxt.kind in ("io", "op") or _signature(nxt, by_name) != sig:
            return None
        if plus is None:
            return nxt if len(into.get(nxt.id, [])) == 1 else None
        p2 = plus_of(nxt)
        if p2 is None or skip_label(p2) != "":
            return None  # only a block with an identity shortcut repeats what the previous block's '+' made
        if [e.src for e in into.get(nxt.id, [])] != [plus.id]:
            return None
        if sorted(e.src for e in into.get(p2.id, [])) != sorted([nxt.id, plus.id]):
            return None
        return p2

    head_of: dict[str, str] = {}
    loops: set[tuple[str, str]] = set()
    for n in g.nodes:
        if n.id in head_of or n.kind in ("io", "op"):
            continue
        head_of[n.id] = n.id
        sig, plus = _signature(n, by_name), plus_of(n)
        if plus is not None:
            head_of[plus.id] = plus.id
        end = plus or n  # the node the unit's output leaves from
        while True:
            outs = outgoing.get(end.id, [])
            targets = [index[e.dst] for e in outs if not (plus is not None and e.skip)]
            if len(targets) != 1:
                break
            nxt = targets[0]
            if nxt.id in head_of:
                break
            p2 = follows(n, end if plus is not None else None, nxt, sig)
            if p2 is None:
                break
            head_of[nxt.id] = n.id
            n.repeat += 1
            n.members += nxt.members
            n.output_shape = nxt.output_shape
            if plus is not None:
                head_of[p2.id] = plus.id
                plus.output_shape = p2.output_shape
                end = p2
            else:
                end = nxt
        if n.repeat > 1:
            n.label = f"{n.members[0]} .. {n.members[-1]}" if plus is None else \
                f"{n.label} .. {n.members[-1].rsplit('.', 1)[0]}"
            if plus is not None:
                loops.add((plus.id, n.id))  # the next block reading the '+': the repetition, not an edge
    edges, seen = [], set()
    for e in g.edges:
        src, dst = head_of.get(e.src, e.src), head_of.get(e.dst, e.dst)
        if src == dst or (src, dst, e.skip) in seen or (src, dst) in loops:
            continue
        seen.add((src, dst, e.skip))
        edges.append(Edge(src, dst, e.shape, e.label, e.skip))
    return Graph(g.model, g.level, [n for n in g.nodes if head_of.get(n.id, n.id) == n.id], edges)
