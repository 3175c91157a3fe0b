"""Pairing the calls of two networks for ``diff``, on their data flow.

Each network is its calls in execution order (``diff.calls_of``). Before they are paired, every merge (a
concatenation, a residual sum) whose inputs branch from one tensor becomes a *region*: the fork, the branches
(the calls that feed each input of the merge, and nothing else) and the merge itself. Regions nest
(Inception-v3's 8x8 modules concatenate inside a branch), and a network becomes a tree of sequences.

Two sequences are paired by dynamic programming (Needleman-Wunsch) with costs in whole units, so that ties are
exact and broken the same way every run: a weight layer (conv, linear) left on one side costs 12, a
normalisation 8, any other call 4, a region the sum of its calls; two calls of one kind paired cost nothing
when their settings agree, else a quarter of a gap for the pairing and one per differing setting, and always
less than leaving both unpaired (one changed layer is one difference where two one-sided layers are two; a
conv whose kernel turned from 1x7 to 7x1 pairs with its counterpart rather than with a like-shaped
neighbour). A long sequence is first anchored on the layers' geometry by Myers' O(ND) difference algorithm
(``opcodes``; the DP is quadratic, and so is difflib on the few distinct layers a deep network repeats),
then paired in the gaps between the anchors. A region whose kind of merge the other sequence has
none of (a residual sum against a plain network) is opened into its calls first.

Two paired regions pair their branches by the assignment of least total cost (identity preferred on a tie), so
branches listed in another order (timm's Inception-v4 concatenates its pool branch last; a Keras ResNet
computes its shortcut before its residual) are paired with their counterparts instead of cutting the network
into one-sided layers. For a concatenation the order is itself a difference (it decides which channels come
first) and is returned; for a sum it is not. Last, a layer one-sided in A and its twin one-sided in B within a
short run of one-sided layers are paired: the same layer, which the two trees hold at different levels.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from dataclasses import dataclass, field

# what leaving a call unpaired costs: a layer with weights most, a normalisation (its scale and shift) more
# than a parameter-free call, so that of a ReLU and a batch norm swapped it is the ReLU that is one-sided
GAP_WEIGHT, GAP_NORM, GAP_OTHER = 12, 8, 4
_DP_CELLS = 4096  # a segment with more cells is anchored with Myers' algorithm first (opcodes)
_TWIN_RUN = 4  # twins are looked for in runs of at most this many one-sided calls per side
_MAX_BRANCHES = 6  # branch assignments are searched exhaustively up to this many branches (6! = 720)
_MERGES = {"add", "add_", "cat", "mul", "mul_", "sub", "stack"}  # functional ops that merge tensors
_ORDERED = {"cat", "stack", "sub"}  # merges whose input order changes the result (a sum's does not)


def opcodes(a: list, b: list, max_edits: int | None = None) -> list[tuple[str, int, int, int, int]] | None:
    """``difflib.SequenceMatcher(None, a, b).get_opcodes()``, computed by Myers' greedy algorithm (Myers 1986,
    "An O(ND) Difference Algorithm and Its Variations", Algorithmica 1, Sec. 2-3): a longest common
    subsequence in O((N + M) D) time and O(D^2) memory, D the number of elements on one side only. Two builds
    of one network differ in few layers, so this is close to linear in their depth where difflib's
    longest-match search is O(N M) per match on the few distinct layers a deep network repeats. None when D
    would pass ``max_edits``: the sequences have too little in common to be paired this way."""
    n, m = len(a), len(b)
    limit = n + m if max_edits is None else min(n + m, max_edits)
    v = {1: 0}
    trace = []
    done = None
    for d in range(limit + 1):
        vd = {}
        for k in range(-d, d + 1, 2):
            x = v[k + 1] if k == -d or (k != d and v[k - 1] < v[k + 1]) else v[k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x, y = x + 1, y + 1
            vd[k] = x
            if x >= n and y >= m:
                done = d
                break
        trace.append(vd)
        v = vd
        if done is not None:
            break
    if done is None:
        return None
    # walk back: each step is one element on one side, then a run of equal elements (a "snake")
    pairs: list[tuple[int, int]] = []
    x, y = n, m
    for d in range(done, 0, -1):
        prev = trace[d - 1]
        k = x - y
        down = k == -d or (k != d and prev[k - 1] < prev[k + 1])
        pk = k + 1 if down else k - 1
        px = prev[pk]
        py = px - pk
        sx, sy = (px, py + 1) if down else (px + 1, py)
        while x > sx and y > sy:
            x, y = x - 1, y - 1
            pairs.append((x, y))
        x, y = px, py
    while x > 0 and y > 0:
        x, y = x - 1, y - 1
        pairs.append((x, y))
    pairs.reverse()
    out = []
    i = j = 0
    for pi, pj in pairs + [(n, m)]:
        if pi > i or pj > j:
            tag = "replace" if pi > i and pj > j else "delete" if pi > i else "insert"
            out.append((tag, i, pi, j, pj))
        if pi < n or pj < m:
            if out and out[-1][0] == "equal" and out[-1][2] == pi and out[-1][4] == pj:
                t, a1, _, b1, _ = out[-1]
                out[-1] = (t, a1, pi + 1, b1, pj + 1)
            else:
                out.append(("equal", pi, pi + 1, pj, pj + 1))
        i, j = pi + 1, pj + 1
    return out


# Myers' search is bounded: past this many one-sided elements (two networks that share little) the coarser
# keys are tried, and then the rest is left one-sided rather than spending minutes on it
_MAX_EDITS = 2_000


def _gap_of(kind: str) -> int:
    return GAP_WEIGHT if kind in ("conv", "linear") else GAP_NORM if kind == "norm" else GAP_OTHER


@dataclass(eq=False)
class Region:
    """A merge whose inputs branch from one tensor: the calls of each branch, in the merge's input order."""

    merge: int
    fork: int
    op: str
    branches: list = field(default_factory=list)  # per input: nodes (int: a call; Region: a nested merge)
    gap: int = 0
    content: Counter = field(default_factory=Counter)  # exact call keys inside, for a cheap similarity


class Side:
    """One network's calls, indexed once: exact keys, gap costs, data-flow sources and the region tree."""

    def __init__(self, calls, flow, defining, geometry):
        self.calls = calls
        self.defining = [defining(c.config) for c in calls]
        self.key = [(c.kind, repr(sorted(d.items())), c.reused) for c, d in zip(calls, self.defining, strict=True)]
        self.geo = [geometry(c) for c in calls]
        self.gap = [_gap_of(c.kind) for c in calls]
        self.inputs = _inputs(calls, flow)  # per call, per tensor it reads: the calls behind it (-1: the input)
        self.preds = [frozenset().union(*ins) if ins else frozenset() for ins in self.inputs]
        self.root = self._tree()

    def _tree(self) -> list:
        n = len(self.calls)
        regions = []
        for k, c in enumerate(self.calls):
            if c.functional in _MERGES and len(self.inputs[k]) >= 2:
                r = self._region(k)
                if r is not None:
                    regions.append(r)
        # keep a laminar family (nested or disjoint): a region holds the calls after its fork up to its merge;
        # one that crosses a region kept before it (an earlier fork) stays flat
        regions.sort(key=lambda r: (r[0].fork, -r[0].merge))
        kept: list = []
        stack: list[Region] = []
        for r, marks in regions:
            while stack and stack[-1].merge <= r.fork:
                stack.pop()
            if stack and r.merge >= stack[-1].merge:
                continue
            kept.append((r, marks))
            stack.append(r)
        kept.sort(key=lambda x: x[0].merge - x[0].fork, reverse=True)  # outermost first
        container: dict[int, tuple[Region, int]] = {}
        for r, marks in kept:  # outermost first, so the innermost region a call lies in is written last
            for idx in range(r.fork + 1, r.merge):
                container[idx] = (r, marks[idx])
        by_merge = {r.merge: r for r, _ in kept}
        root: list = []
        for idx in range(n):
            node = by_merge.get(idx, idx)
            where = container.get(idx)
            (root if where is None else where[0].branches[where[1]]).append(node)
        for r, _ in sorted(kept, key=lambda x: x[0].merge - x[0].fork):  # innermost first: sizes add up
            for node in self.flatten(r):
                r.gap += self.gap[node]
                r.content[self.key[node]] += 1
        return root

    def _region(self, merge: int):
        """The region of a merge, or None when its inputs share no fork or the calls between the fork and the
        merge are not each in exactly one branch (DenseNet's running concatenations stay flat)."""
        positions = self.inputs[merge]
        npos = len(positions)
        marks: dict[int, set] = {}
        heap: list[int] = []

        def mark(idx, j):
            if idx not in marks:
                marks[idx] = set()
                heapq.heappush(heap, -idx)
            marks[idx].add(j)

        for j, srcs in enumerate(positions):
            for s in srcs:
                mark(s, j)
        fork = None
        while heap:
            idx = -heapq.heappop(heap)
            if len(marks[idx]) == npos:
                fork = idx
                break
            if idx >= 0:
                for p in self.preds[idx]:
                    for j in marks[idx]:
                        mark(p, j)
        if fork is None or fork == merge - 1:
            return None
        members = {}
        for idx in range(fork + 1, merge):
            js = marks.get(idx)
            if js is None or len(js) != 1:
                return None
            members[idx] = next(iter(js))
        return Region(merge, fork, self.calls[merge].functional, [[] for _ in range(npos)]), members

    def flatten(self, node) -> list[int]:
        if isinstance(node, int):
            return [node]
        out = [i for b in node.branches for n in b for i in self.flatten(n)]
        return sorted(out + [node.merge])


def _inputs(calls, flow) -> list[list[frozenset]]:
    """Per call, per tensor it reads from outside itself (in order): the calls that wrote it, looking through
    ops that belong to no call (views, slices); -1 for the network's input. The writer is the one at the time
    of the read, so an in-place sum (``out += identity``) is the writer of what follows it."""
    op_call = {op: k for k, c in enumerate(calls) for op in c.ops}
    writer: dict[int, int] = {}
    read_from: list[list] = []
    for i, f in enumerate(flow):
        read_from.append([writer.get(t) for t in f.inputs])
        for o in f.outputs:
            writer[o] = i
    # the calls behind each op's output, in one pass (an op only reads what earlier ops wrote)
    behind_op: list[frozenset] = []

    def behind(op: int | None) -> frozenset:
        return frozenset({-1}) if op is None else behind_op[op]

    for i in range(len(flow)):
        k = op_call.get(i)
        behind_op.append(frozenset({k}) if k is not None else
                         frozenset().union(*(behind(w) for w in read_from[i])) if read_from[i] else frozenset())

    out = []
    for c in calls:
        own = set(c.ops)
        ins = []
        for op in c.ops:
            for w in read_from[op]:
                if w is not None and w in own:
                    continue
                ins.append(behind(w))
        if c.functional is None:  # a module: the distinct tensors it reads; a merge keeps one entry per input
            ins = list(dict.fromkeys(ins))
        out.append(ins)
    return out


class Aligner:
    """Pairs the calls of two sides; ``pairs`` are (index in A, index in B), None where a call is one-sided;
    ``orders`` maps a pair of concatenations to the A branch (1-based) each input of B comes from."""

    def __init__(self, a: Side, b: Side):
        self.a, self.b = a, b
        self.orders: dict[tuple[int, int], list[int]] = {}
        self.pairs = self._twins(self._expand(self._align(a.root, b.root)))

    # costs ------------------------------------------------------------------------------------------
    def _gap(self, side: Side, node) -> int:
        return side.gap[node] if isinstance(node, int) else node.gap

    def _pair_cost(self, x, y) -> int | None:
        a, b = self.a, self.b
        if isinstance(x, int) and isinstance(y, int):
            ca, cb = a.calls[x], b.calls[y]
            if ca.kind != cb.kind:
                return None
            if a.key[x] == b.key[y]:
                return 0
            g = a.gap[x]
            da, db = a.defining[x], b.defining[y]
            if da.get("type") != db.get("type"):
                return 2 * g - 1
            ndiff = sum(da.get(k) != db.get(k) for k in set(da) | set(db)) + (ca.reused != cb.reused)
            return min((g // 4) * (1 + ndiff), 2 * g - 1)
        if isinstance(x, Region) and isinstance(y, Region):
            if x.op != y.op:
                return None
            common = sum(min(n, y.content[k]) * _gap_of(k[0]) for k, n in x.content.items())
            cost = (x.gap + y.gap - 2 * common) // 2 + (GAP_OTHER if len(x.branches) != len(y.branches) else 0)
            return min(cost, x.gap + y.gap - 1)
        return None

    # sequences --------------------------------------------------------------------------------------
    def _dp(self, xs: list, ys: list) -> tuple[int, list]:
        n, m = len(xs), len(ys)
        ga = [self._gap(self.a, x) for x in xs]
        gb = [self._gap(self.b, y) for y in ys]
        cost = [[0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            cost[i][0] = cost[i - 1][0] + ga[i - 1]
        for j in range(1, m + 1):
            cost[0][j] = cost[0][j - 1] + gb[j - 1]
        pc = [[self._pair_cost(x, y) for y in ys] for x in xs]
        for i in range(1, n + 1):
            row, prev = cost[i], cost[i - 1]
            for j in range(1, m + 1):
                best = min(prev[j] + ga[i - 1], row[j - 1] + gb[j - 1])
                p = pc[i - 1][j - 1]
                if p is not None and prev[j - 1] + p < best:
                    best = prev[j - 1] + p
                row[j] = best
        # walk back from the end preferring a one-sided step on a tie, so identical runs pair from their start
        out = []
        i, j = n, m
        while i or j:
            if i and cost[i][j] == cost[i - 1][j] + ga[i - 1]:
                out.append((xs[i - 1], None))
                i -= 1
            elif j and cost[i][j] == cost[i][j - 1] + gb[j - 1]:
                out.append((None, ys[j - 1]))
                j -= 1
            else:
                out.append((xs[i - 1], ys[j - 1]))
                i, j = i - 1, j - 1
        return cost[n][m], out[::-1]

    def _seq_cost(self, xs: list, ys: list) -> int:
        if len(xs) * len(ys) <= _DP_CELLS:
            return self._dp(xs, ys)[0]
        cx: Counter[tuple[str, str, bool]] = Counter()  # Side.key: (kind, settings, reused)
        cy: Counter[tuple[str, str, bool]] = Counter()
        for n in xs:
            cx.update(self.a.key[i] for i in self.a.flatten(n))
        for n in ys:
            cy.update(self.b.key[i] for i in self.b.flatten(n))
        gx = sum(self._gap(self.a, n) for n in xs)
        gy = sum(self._gap(self.b, n) for n in ys)
        common = sum(min(k, cy[key]) * _gap_of(key[0]) for key, k in cx.items())
        return gx + gy - 2 * common

    def _keys(self, side: Side, nodes: list, level: int) -> list:
        out = []
        for n in nodes:
            if isinstance(n, Region):
                out.append(("region", n.op, len(n.branches)) if level == 0 else ("region", n.op))
            else:
                out.append(side.geo[n] if level == 0 else side.calls[n].kind)
        return out

    @staticmethod
    def _contents(r: Region) -> list:
        """A region's nodes in execution order: its branches' (nested regions kept) and its merge."""
        nodes = [n for b in r.branches for n in b] + [r.merge]
        return sorted(nodes, key=lambda n: n if isinstance(n, int) else n.merge)

    def _open_unmatched(self, xs: list, ys: list) -> tuple[list, list]:
        """Regions whose kind of merge the other sequence has none of (a residual network against its plain
        twin: sums on one side only) are opened into their contents, so their layers pair with the other
        side's, call by call, and only the merge is one-sided."""
        while True:
            ops_x = {n.op for n in xs if isinstance(n, Region)}
            ops_y = {n.op for n in ys if isinstance(n, Region)}
            if ops_x <= ops_y and ops_y <= ops_x:
                return xs, ys
            xs = [m for n in xs for m in (self._contents(n) if isinstance(n, Region) and n.op not in ops_y else [n])]
            ys = [m for n in ys for m in (self._contents(n) if isinstance(n, Region) and n.op not in ops_x else [n])]

    def _align(self, xs: list, ys: list, level: int = 0) -> list:
        if level == 0:
            xs, ys = self._open_unmatched(xs, ys)
        if not xs or not ys:
            return [(x, None) for x in xs] + [(None, y) for y in ys]
        if len(xs) * len(ys) <= _DP_CELLS:
            return self._dp(xs, ys)[1]
        if level == 2:
            return [(x, None) for x in xs] + [(None, y) for y in ys]
        ops = opcodes(self._keys(self.a, xs, level), self._keys(self.b, ys, level), _MAX_EDITS)
        if ops is None:  # too different on these keys: the coarser ones, or one-sided
            return self._align(xs, ys, level + 1)
        out: list = []
        for tag, a1, a2, b1, b2 in ops:
            if tag == "equal":
                out.extend(zip(xs[a1:a2], ys[b1:b2], strict=True))  # an equal run: as long on each side
            else:
                out.extend(self._align(xs[a1:a2], ys[b1:b2], level + 1))
        return out

    # regions ----------------------------------------------------------------------------------------
    def _assign(self, x: Region, y: Region) -> list:
        """The B branch paired with each A branch (None: none), the cheapest assignment, identity on a tie."""
        ka, kb = len(x.branches), len(y.branches)
        k = max(ka, kb)
        if k > _MAX_BRANCHES:
            return [j if j < kb else None for j in range(ka)]
        gx = [sum(self._gap(self.a, n) for n in b) for b in x.branches]
        gy = [sum(self._gap(self.b, n) for n in b) for b in y.branches]
        c = [[self._seq_cost(bx, by) for by in y.branches] for bx in x.branches]

        def total(perm: tuple[int, ...]) -> int:
            cost = 0
            for i, j in enumerate(perm):
                if i < ka and j < kb:
                    cost += c[i][j]
                elif i < ka:
                    cost += gx[i]
                elif j < kb:
                    cost += gy[j]
            return cost

        # min keeps the first of equal costs, and the identity comes first
        best_perm = min(itertools.permutations(range(k)), key=total)
        return [j if j < kb else None for j in best_perm[:ka]]

    def _expand(self, node_pairs: list) -> list[tuple[int | None, int | None]]:
        out: list = []
        for x, y in node_pairs:
            if x is None:
                out.extend((None, j) for j in self.b.flatten(y))
            elif y is None:
                out.extend((i, None) for i in self.a.flatten(x))
            elif isinstance(x, int):
                out.append((x, y))
            else:
                assign = self._assign(x, y)
                for i, j in enumerate(assign):
                    if j is None:
                        out.extend((a, None) for n in x.branches[i] for a in self.a.flatten(n))
                    else:
                        out.extend(self._expand(self._align(x.branches[i], y.branches[j])))
                for j, bj in enumerate(y.branches):
                    if j not in assign:
                        out.extend((None, b) for n in bj for b in self.b.flatten(n))
                out.append((x.merge, y.merge))
                order = [assign.index(j) + 1 if j in assign else 0 for j in range(len(y.branches))]
                if (x.op in _ORDERED and len(x.branches) == len(y.branches)
                        and order != list(range(1, len(order) + 1))):
                    self.orders[(x.merge, y.merge)] = order
        return out

    def _twins(self, pairs: list) -> list:
        """A layer one-sided in A and its exact twin one-sided in B within one run of one-sided layers (no
        paired layer between them): the same layer, which the two trees put at different levels (a Keras
        pre-activation inside a block where the paper's sits before it). Paired."""
        out = list(pairs)
        start = 0
        while start < len(out):
            if out[start][0] is not None and out[start][1] is not None:
                start += 1
                continue
            end = start
            while end < len(out) and (out[end][0] is None or out[end][1] is None):
                end += 1
            run = out[start:end]
            only_b = [k for k, (i, j) in enumerate(run) if i is None]
            if len(only_b) > _TWIN_RUN or len(run) - len(only_b) > _TWIN_RUN:  # a local re-nesting is short
                start = end + 1
                continue
            merged = []
            taken = set()
            for k, (i, _j) in enumerate(run):
                if i is None:
                    continue
                free = [kb for kb in only_b if kb not in taken]
                twin = next((kb for kb in free if self.b.key[run[kb][1]] == self.a.key[i]), None)
                if twin is None:  # else the same type with other settings (a batch norm's epsilon)
                    twin = next((kb for kb in free if self.b.calls[run[kb][1]].kind == self.a.calls[i].kind and
                                 self.b.defining[run[kb][1]].get("type") == self.a.defining[i].get("type")), None)
                if twin is None:
                    merged.append((k, (i, None)))
                else:
                    taken.add(twin)
                    merged.append((k, (i, run[twin][1])))
            merged += [(kb, run[kb]) for kb in only_b if kb not in taken]
            new = [p for _, p in sorted(merged, key=lambda t: t[0])]
            out[start:end] = new
            start += len(new) + 1
        return out


__all__ = ["Aligner", "Region", "Side"]
