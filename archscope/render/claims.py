"""Claims and comparisons as text, markdown or JSON.

Every evaluation shows its outcome (holds, does not hold, not determined,
inconsistent, cannot be checked here, error) and the rule that gave it. The
terminal table fits 120 columns, so its rule column is the short form;
``-f markdown``, ``-f json`` and ``archscope claims --claim ID`` (one claim,
every field: ``render_full``) give the whole text."""

from __future__ import annotations

import json
import re
import textwrap

from archscope.render.table import human

WIDTH = 120  # the terminal table's width


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
    if isinstance(v, dict):
        return ", ".join(f"{k} {fmt_value(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, (list, tuple)) for x in v):
            return ", ".join("x".join(map(str, x)) for x in v)
        if len(v) == 2 and all(isinstance(x, float) for x in v):
            return f"{v[0]:.3g}-{v[1]:.3g}"
        return ", ".join(fmt_value(x) for x in v)
    return str(v)


def _measured(e) -> str:
    """A training figure shows its number of seeds."""
    st = e.stats or {}
    if e.claim.kind == "training" and isinstance(e.measured, float) and "mean" in st and st.get("n"):
        return f"{e.measured:.4f} (n={st['n']})"
    return fmt_value(e.measured)


def _number(v) -> str:
    """A statistic as a plain number (the full view)."""
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_number(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_number(x)}" for k, x in v.items()) + "}"
    return str(v)


def short_rule(e) -> str:
    """The rule in a few words, for the terminal table."""
    st, c = e.stats or {}, e.claim
    v = e.verdict.value
    if v in ("cannot be checked here", "error"):
        return e.detail.split("; ")[0]
    if v == "inconsistent":
        return "the source's own figures disagree (see --claim)"
    if st.get("test") == "welch" and "inside" in st:
        p = st.get("p")
        return (f"Welch p = {p:.2g} (α = {st['alpha']:g}): best in range vs best outside" if p is not None
                else "fewer than 2 seeds a side")
    if st.get("test") == "welch":
        return f"epochs to a common accuracy, Welch (α = {st['alpha']:g})"
    if c.kind == "training":
        if st.get("half") is None:
            return f"{st.get('n', 0)} seed: no spread"
        return (f"{st['mean']:.4f} ± {st['half']:.4f} (95% PI, n = {st['n']}, k = {st['k']}, t = {st['t']:.2f})"
                + (f" or ± {st['slack']:g}" if st.get("slack") else ""))
    from archscope.claims.verdicts import compare

    try:
        _, how = compare(c, e.measured)
    except Exception:  # a value the comparison cannot take: the wording alone
        how = c.tolerance.wording
    how = {"exact": "exactly as stated"}.get(how, how)
    also = f"; +{len(e.also)} other build{'s' if len(e.also) != 1 else ''} (--claim)" if e.also else ""
    return _GLOSS.sub("", how) + also


# the source-language glosses of a wording ("'about' (左右, 约, apie)"): full text in --claim and -f markdown
_GLOSS = re.compile(r"\s*\([^()]*[^\x00-\x7f\u00b1\u03b1][^()]*\)")


def _wrap(text: str, width: int, lines: int | None = None) -> str:
    out = textwrap.wrap(str(text), width, break_on_hyphens=True) or ["-"]
    if lines and len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:width - 1] + "…"
    return "\n".join(out)


def render_evaluations(evals, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([e.to_dict() for e in evals], indent=2, default=str)
    from tabulate import tabulate

    if fmt == "markdown":
        from archscope.render.table import md_table

        rows = [[e.claim.id, e.claim.statement, e.claim.source, " / ".join(e.models) or "-",
                 fmt_value(e.claim.expected), _measured(e), e.verdict.value, e.rule or short_rule(e),
                 e.build or "-", e.detail] for e in evals]
        return md_table(rows, ["id", "claim", "source", "models", "expected", "measured", "outcome", "rule",
                               "why this build", "how"])
    # terminal: six columns in 120 (wrapped here: tabulate's own wrapping parses numbers)
    widths = (24, 22, 10, 12, 13, 29)  # + 5 gaps of 2 = 120
    rows = []
    for e in evals:
        cells = [e.claim.id, " / ".join(e.models) or "-", fmt_value(e.claim.expected), _measured(e),
                 e.verdict.value, short_rule(e)]
        rows.append([_wrap(c, w, 4) for c, w in zip(cells, widths, strict=True)])
    return tabulate(rows, headers=["id", "models", "expected", "measured", "outcome", "rule"], tablefmt="simple",
                    disable_numparse=True)


def render_full(evals, fmt: str = "table") -> str:
    """Each evaluation with every field: what ``archscope claims --claim ID`` prints."""
    if fmt != "table":
        return render_evaluations(evals, fmt)
    blocks = []
    would = {"holds": "hold", "does not hold": "not hold"}  # "there it would ..."; any other outcome as it is
    for e in evals:
        c = e.claim
        fields = [("id", c.id), ("claim", c.statement), ("source", c.source), ("kind", c.kind),
                  ("judged on", " / ".join(e.models) or "-"), ("why this build", e.build),
                  ("expected", fmt_value(c.expected)), ("measured", _measured(e)), ("outcome", e.verdict.value),
                  ("rule", e.rule or short_rule(e)), ("how", e.detail), ("convention", c.convention),
                  ("tolerance", c.tolerance.wording if c.kind != "training" or c.tolerance.wording != "exact" else "")]
        fields += [("also on", f"{' / '.join(a['models'])}" + (f" with {a['setting']}" if a.get("setting") else "")
                    + f": {fmt_value(a['measured'])} (there it would {would.get(a['outcome'], a['outcome'])}"
                    f"; not the verdict): {a['detail']}") for a in e.also]
        if e.stats:
            fields.append(("numbers", ", ".join(f"{k} {_number(v)}" for k, v in e.stats.items() if v is not None)))
        fields += [("note", c.note), ("needs", c.requires if e.verdict.value == "cannot be checked here" else "")]
        lines = []
        for k, v in fields:
            if not v:
                continue
            body = textwrap.wrap(str(v), WIDTH - 17) or ["-"]
            lines.append(f"{k + ':':<16} {body[0]}")
            lines += [" " * 17 + x for x in body[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def verdict_counts(evals) -> str:
    from collections import Counter

    c = Counter(e.verdict.value for e in evals)
    return ", ".join(f"{n} {v}" for v, n in sorted(c.items(), key=lambda kv: -kv[1]))


def rules_footer(evals) -> str:
    """The outcomes and the training rules, in words, under the table (wrapped to the table's width)."""
    from archscope.claims import stats

    lines = ["Outcomes: holds / does not hold (by the rule shown) / not determined (too few seeds, or a difference "
             "the data cannot tell from noise) / inconsistent (the source's own figures disagree) / cannot be "
             "checked here (what is missing is named). `archscope claims --claim ID` shows one claim in full."]
    if any(e.claim.kind == "training" and e.verdict.value in ("holds", "does not hold", "not determined")
           for e in evals):
        lines += [f"A training figure {stats.FIGURE_RULE}.", f"An ordering: {stats.ORDER_RULE}."]
    return "\n".join(textwrap.fill(x, WIDTH) for x in lines)
