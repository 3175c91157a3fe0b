"""Sweep results as a table (text or markdown) and as SVG charts of each
metric against the varied value, with error bars of one standard deviation."""

from __future__ import annotations

import html
import math

from archscope.probe.sweep import METRIC_LABELS, METRIC_TEXT, Row, SweepResult, label
from archscope.probe.train import clear_margin
from archscope.render.table import md_escape


def _pm(row: Row, metric: str) -> str:
    m, s = row.mean.get(metric), row.std.get(metric)
    if m is None:
        return "-"
    return f"{m:.3f}" if s is None else f"{m:.3f} ± {s:.3f}"


def render_table(result: SweepResult, fmt: str = "simple") -> str:
    from tabulate import tabulate

    keys = list(result.rows[0].setting) if result.rows else []
    table = []
    for row in result.rows:
        table.append([*(row.setting[k] for k in keys), f"{row.runs - row.failed}/{row.runs}",
                      *(_pm(row, m) for m in result.metrics), "best" if row.best else ""])
    headers = [*keys, "ok runs", *(f"{METRIC_LABELS[m]} (mean ± std)" for m in result.metrics), ""]
    if fmt == "github":  # markdown: every cell escaped
        from archscope.render.table import md_table

        out = [md_table(table, headers)]
    else:
        out = [tabulate(table, headers=headers, tablefmt=fmt, disable_numparse=True)]
    notes = []
    if result.chance is not None:
        scored = [r.mean["test_accuracy"] for r in result.rows if r.mean.get("test_accuracy") is not None]
        above = max(scored, default=0) >= clear_margin(result.chance)
        notes.append(f"chance accuracy: {result.chance:.3f}" + ("" if above or not scored else
                     " -- no setting beats it by a clear margin (twice chance and 0.2 above it), so 'best' marks "
                     "the least bad"))
    for row in result.rows:
        for e in row.errors:
            notes.append(f"{label(row.setting)}: failed: {e}")
    if result.interrupted:
        notes.append("interrupted: the table holds the runs finished before Ctrl-C")
    if notes:
        out.append("\n".join("- " + md_escape(n) if fmt == "github" else n for n in notes))
    return "\n\n".join(out)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_markdown(result: SweepResult) -> str:
    s = result.settings
    seed = result.seed
    mode = "grid" if result.grid else "one factor at a time around the base"
    lines = [f"# Sweep: {md_escape(result.model)}", "",
             f"Varied: {md_escape(', '.join(f'{k} = {v}' for k, v in result.factors.items()))} ({mode}; base "
             f"{md_escape(', '.join(f'{k}={v}' for k, v in result.base.items()))}). "
             f"{result.repeats} repeat(s) per setting, seeds {seed}..{seed + result.repeats - 1}"
             f" (the same seeds for every setting).", "",
             f"Fixed: {md_escape(', '.join(f'{k}={v}' for k, v in s.items() if v is not None))}. "
             f"Device: {result.device}; torch {result.torch}.", "",
             *(["The first run as the probe resolved it: "
                + md_escape(", ".join(f"{k}={v}" for k, v in result.first_run.items()
                                      if k not in ("seed", "overrides")))
                + ".",
                ""] if result.first_run else []),
             _sentence("; ".join(METRIC_TEXT[m] for m in result.metrics)) +
             ". ± is the sample standard deviation over the repeats.", "",
             render_table(result, "github"), ""]
    return "\n".join(lines)


def chart_groups(result: SweepResult) -> list[tuple[str, list[tuple[str, Row]]]]:
    """(title, [(x label, row)]) per chart: one per factor in a one-factor
    sweep (its values, the others at base), else one over all settings."""
    keys = list(result.factors)
    if not result.grid and len(keys) >= 1 and all(len(r.setting) == len(keys) for r in result.rows):
        groups = []
        for k in keys:
            pts = [(str(r.setting[k]), r) for r in result.rows
                   if all(r.setting[o] == result.base.get(o) for o in keys if o != k)]
            if len(keys) == 1:
                pts = [(str(r.setting[k]), r) for r in result.rows]
            if all(isinstance(r.setting[k], (int, float)) and not isinstance(r.setting[k], bool) for _, r in pts):
                pts.sort(key=lambda p: p[1].setting[k])
            if pts:
                groups.append((k, pts))
        if groups:
            return groups
    return [("setting", [(label(r.setting), r) for r in result.rows])]


def _nice_range(lo: float, hi: float) -> tuple[float, float]:
    if lo == hi:
        lo, hi = lo - 0.05 * (abs(lo) or 1), hi + 0.05 * (abs(hi) or 1)
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi]."""
    raw = (hi - lo) / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    n = int(math.floor((hi - first) / step + 1e-9)) + 1
    return [round(first + i * step, 12) for i in range(max(0, n))]


def sweep_svg(result: SweepResult, title: str, points: list[tuple[str, Row]]) -> str:
    """Three panels (the loss, train accuracy, test accuracy) against the
    varied value, evenly spaced in the order given (as the article plots its
    lr and batch-size tables); mean with a bar of ± one std; the best
    setting's point ringed."""
    pw, ph, left_pad, top, bottom = 260, 220, 56, 40, 70
    metrics = result.metrics
    w = len(metrics) * (pw + left_pad) + 20
    h = top + ph + bottom
    out = []
    n = len(points)
    for i, m in enumerate(metrics):
        x0 = left_pad + i * (pw + left_pad)
        vals = []
        chance = result.chance if m != metrics[0] else None  # the loss has no chance line
        if chance is not None:
            vals.append(chance)  # keep the chance line in view
        for _, r in points:
            if r.mean.get(m) is not None:
                s = r.std.get(m) or 0.0
                vals += [r.mean[m] - s, r.mean[m] + s]
        out.append(f'<text x="{x0 + pw / 2:.1f}" y="{top - 14}" text-anchor="middle" font-size="13" '
                   f'font-weight="bold">{METRIC_LABELS[m]}</text>')
        out.append(f'<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
        if not vals:
            out.append(f'<text x="{x0 + pw / 2:.1f}" y="{top + ph / 2:.1f}" text-anchor="middle" font-size="11">'
                       'no successful run</text>')
            continue
        lo, hi = _nice_range(min(vals), max(vals))

        def y(v, lo=lo, hi=hi):
            return top + ph - (v - lo) / (hi - lo) * ph

        for v in nice_ticks(lo, hi):  # horizontal grid with values
            out.append(f'<line x1="{x0}" y1="{y(v):.1f}" x2="{x0 + pw}" y2="{y(v):.1f}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{x0 - 5}" y="{y(v) + 3.5:.1f}" text-anchor="end" font-size="10">{v:g}</text>')
        if chance is not None:
            out.append(f'<line x1="{x0}" y1="{y(chance):.1f}" x2="{x0 + pw}" y2="{y(chance):.1f}" stroke="#888" '
                       'stroke-dasharray="4 3"/>')
            out.append(f'<text x="{x0 + pw - 4}" y="{y(chance) - 4:.1f}" text-anchor="end" font-size="9" '
                       'fill="#666">chance</text>')
        xs = [x0 + pw * (j + 0.5) / n for j in range(n)]
        path, marks = [], []  # the connecting line is drawn under the bars and points
        for j, (xl, r) in enumerate(points):
            out.append(f'<text x="{xs[j]:.1f}" y="{top + ph + 14}" text-anchor="end" font-size="10" '
                       f'transform="rotate(-35 {xs[j]:.1f} {top + ph + 14})">{html.escape(xl)}</text>')
            mean = r.mean.get(m)
            if mean is None:
                out.append(f'<text x="{xs[j]:.1f}" y="{top + ph - 6}" text-anchor="middle" font-size="10" '
                           'fill="#cc0000">failed</text>')
                continue
            s = r.std.get(m)
            if s:
                marks.append(f'<line x1="{xs[j]:.1f}" y1="{y(mean - s):.1f}" x2="{xs[j]:.1f}" y2="{y(mean + s):.1f}" '
                           'stroke="#3465a4" stroke-width="1.5"/>')
                for v in (mean - s, mean + s):
                    marks.append(f'<line x1="{xs[j] - 4:.1f}" y1="{y(v):.1f}" x2="{xs[j] + 4:.1f}" y2="{y(v):.1f}" '
                               'stroke="#3465a4" stroke-width="1.5"/>')
            path.append(f"{xs[j]:.1f},{y(mean):.1f}")
            marks.append(f'<circle cx="{xs[j]:.1f}" cy="{y(mean):.1f}" r="3.5" fill="#3465a4"/>')
            if r.best:
                marks.append(f'<circle cx="{xs[j]:.1f}" cy="{y(mean):.1f}" r="7" fill="none" stroke="#cc0000" '
                           'stroke-width="1.5"/>')
        if len(path) > 1:
            out.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#9db7dc" stroke-width="1.2"/>')
        out.extend(marks)
    head = (f'<text x="10" y="{h - 8}" font-size="10" fill="#555">{html.escape(result.model)}: mean of '
            f'{result.repeats} run(s) per point, bars ± 1 std; x: {html.escape(title)}; red ring: best test '
            'accuracy; dashed: chance</text>')
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="Helvetica, Arial, '
            'sans-serif"><rect width="100%%" height="100%%" fill="white"/>%s%s</svg>\n' % (w, h, "".join(out), head))


def chart_files(result: SweepResult) -> dict[str, str]:
    """File name -> SVG text, one chart per group."""
    out = {}
    for title, pts in chart_groups(result):
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in title)
        out[f"sweep-{safe}.svg"] = sweep_svg(result, title, pts)
    return out
