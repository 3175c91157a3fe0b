"""``archscope diff`` as text: the differences (identical ones collapsed into
one row with a count), what each costs, and the totals they add up to."""

from __future__ import annotations

from archscope.analysis.diff import Diff
from archscope.render.table import human, md_escape, md_table, mib_text

_SHOWN = 2  # locations listed per collapsed row


def _v(v) -> str:
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return ", ".join(v)  # layer names (a changed connection's sources)
    if isinstance(v, list) and len(v) == 2 and v[0] == v[1]:
        return str(v[0])  # [3, 3] -> 3
    if isinstance(v, list):
        return "x".join(map(str, v))
    return str(v)


# torch's defaults, left out when a layer is shown whole (a layer on one side only)
_DEFAULTS = {"stride": "1", "padding": "0", "dilation": "1", "groups": "1", "padding_mode": "zeros",
             "output_padding": "0", "bias": "True", "track_running_stats": "True", "momentum": "0.1",
             "affine": "True", "start_dim": "1", "end_dim": "-1", "ceil_mode": "False",
             "count_include_pad": "True", "divisor_override": "None"}


def _settings(fields: dict, skip_defaults: bool = False, pool: bool = False) -> str:
    parts = []
    for k, v in fields.items():
        if k == "type" or (skip_defaults and _DEFAULTS.get(k) == _v(v) and not (k == "stride" and pool)):
            continue  # a pool's stride defaults to its kernel size, so stride=1 is always shown
        parts.append(_v(v) if k == "settings" else f"{k}={_v(v)}")
    return ", ".join(parts)


def describe(change) -> str:
    """What changed, in words."""
    f = change.fields
    if change.kind == "input":
        a, b = f["shape"]
        return f"input {_v(a)} -> {_v(b)}"
    if change.kind in ("only_a", "only_b"):
        t = change.type_a or change.type_b
        s = _settings(f, skip_defaults=True, pool="Pool" in t)
        return f"{t}({s})" if s else t
    if "type" in f:
        a, b = f["type"]
        rest = {k: v for k, v in f.items() if k != "type"}
        sa = _settings({k: v[0] for k, v in rest.items() if v[0] is not None}, skip_defaults=True, pool="Pool" in a)
        sb = _settings({k: v[1] for k, v in rest.items() if v[1] is not None}, skip_defaults=True, pool="Pool" in b)
        return f"{a}({sa}) -> {b}({sb})"
    show = lambda k, v: " ".join(map(str, v)) if k == "branch order" else _v(v)  # noqa: E731
    return "; ".join(f"{k} {show(k, va)} -> {show(k, vb)}" for k, (va, vb) in f.items())


def _signed(n: int, unit: str = "") -> str:
    if not n:
        return "0"
    return ("+" if n > 0 else "-") + human(abs(n), unit)


def _mib(n) -> str:
    return "-" if n is None else f"{n / 2**20:,.1f} MiB"


def _groups(d: Diff) -> list[dict]:
    """Changes with the same kind and description collapsed, in order of first appearance."""
    out: dict[tuple, dict] = {}
    for c in d.changes:
        key = (c.kind, describe(c))
        g = out.setdefault(key, {"kind": c.kind, "what": key[1], "where": [], "count": 0,
                                 "cost": dict.fromkeys(c.cost, 0), "knock_on": 0})
        g["count"] += 1
        g["where"].append(c.a if c.kind == "only_a" else c.b if c.kind == "only_b" else
                          (c.a if c.a == c.b else f"{c.a} / {c.b}"))
        for q, v in c.cost.items():
            g["cost"][q] += v
        g["knock_on"] += len(c.knock_on)
    return list(out.values())


def render_diff(d: Diff, fmt: str = "table") -> str:
    from tabulate import tabulate

    md = fmt == "markdown"
    esc = md_escape if md else (lambda s: s)

    def table(rows, headers, **kw):
        return md_table(rows, headers, **kw) if md else tabulate(rows, headers=headers, tablefmt="simple",
                                                                 disable_numparse=True, **kw)

    a, b = d.a, d.b
    if d.same:
        return f"{esc(a)} and {esc(b)} are the same network: every layer, setting and cost agrees."
    labels = {"changed": "changed", "only_a": f"only in {a}", "only_b": f"only in {b}", "input": "input"}
    rows = []
    for g in _groups(d):
        where = ", ".join(g["where"][:_SHOWN]) + (f", ... ({g['count']} in all)" if g["count"] > _SHOWN else "")
        what = g["what"] + (f"  x{g['count']}" if g["count"] > 1 else "")
        c = g["cost"]
        rows.append([labels[g["kind"]], where, what, _signed(c["params"]), _signed(c["macs"]), _signed(c["flops"]),
                     mib_text(c["activation_bytes"], signed=True) if c["activation_bytes"] else "0",
                     g["knock_on"] or ""])
    out = [f"{esc(a)} -> {esc(b)}: {len(d.changes)} difference(s); costs are {esc(b)} minus {esc(a)}, "
           "each including the layers downstream whose cost it changed (knock-on)\n",
           table(rows, ["", "where", "what", "params", "MACs", "FLOPs", "activations", "knock-on"])]
    t = d.totals
    trows = []
    for q, label, fmt_ in (("params", "parameters", human), ("macs", "MACs", human), ("flops", "FLOPs", human),
                           ("train_memory_bytes", "training memory (SGD)", _mib), ("depth", "depth", str)):
        va, vb = t[q]
        delta = None if va is None or vb is None else vb - va
        dtext = "-" if delta is None else (_signed(delta) if q not in ("train_memory_bytes", "depth") else
                                           (f"{delta / 2**20:+,.1f} MiB" if q == "train_memory_bytes" else
                                            f"{delta:+d}"))
        trows.append([label, "-" if va is None else fmt_(va), "-" if vb is None else fmt_(vb), dtext])
    out += ["", table(trows, ["total", a, b, "difference"])]
    out.append("")
    out += accounting(d)
    for n in d.notes:
        out.append(f"note: {esc(n)}")
    return "\n".join(out)


_NAMES = {"params": "parameters", "macs": "MACs", "flops": "FLOPs"}


def accounting(d: Diff) -> list[str]:
    """What the rows account for and what they do not, in plain words."""
    listed = {q: sum(c.cost[q] for c in d.changes) for q in _NAMES}
    total = {q: d.delta(q) for q in _NAMES}
    lines = []
    if not d.unattributed:
        lines.append("Accounted for: the rows add up to the totals' difference in "
                     + ", ".join(f"{_NAMES[q]} ({_signed(total[q])})" for q in _NAMES) + ".")
    else:
        lines.append("Accounted for: the rows add up to "
                     + ", ".join(f"{_NAMES[q]} {_signed(listed[q])} of {_signed(total[q])}" for q in _NAMES) + ".")
        for q, v in d.unattributed.items():
            where = d.unattributed_in.get(q) or []
            why = (f"parameters no call reads in the traced forward ({', '.join(where)})" if q == "params" else
                   f"ops {'the forward of ' + ', '.join(where[:4]) if where else 'a block'} computes on tensors the "
                   "trace does not follow (its own arithmetic on weights)")
            lines.append(f"Not accounted for by any row: {_NAMES[q]} {_signed(v)}, {why}.")
    lines.append("A row holds a layer's own parameters (and those its forward reads from a module that never runs "
                 "itself, as attention reads its out_proj), the cost of every call of it, and the knock-ons it "
                 "causes; training memory and depth are compared as totals only.")
    return lines
