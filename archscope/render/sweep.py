"""Sweep results as a table (text or markdown) and as charts (SVG and PNG, matplotlib) of each
metric against the varied value, with error bars of one standard deviation."""

from __future__ import annotations

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


def numeric(points: list[tuple[str, Row]], factor: str) -> bool:
    """Whether the chart's x values are numbers of one factor (lr, a batch size): then a line joining the
    points in order means something; categorical settings (an activation, a pooling kind, whole settings)
    are points alone."""
    return factor != "setting" and bool(points) and all(
        isinstance(r.setting.get(factor), (int, float)) and not isinstance(r.setting.get(factor), bool)
        for _, r in points)


def sweep_figure(result: SweepResult, title: str, points: list[tuple[str, Row]]):
    """A matplotlib figure: a panel per metric (the loss, train accuracy, test accuracy) against the varied
    value, the values evenly spaced in the order given (as the article tabulates its lr and batch sizes);
    the mean of the repeats with a bar of ± one std; the best setting ringed; chance dashed. Numeric settings
    are joined by a faint line, categorical ones are not (no order between them to draw)."""
    from archscope.render.charts import plt, style

    metrics = result.metrics
    joined = numeric(points, title)
    xs = list(range(len(points)))
    with plt().rc_context(style()):
        fig, axes = plt().subplots(1, len(metrics), figsize=(3.4 * len(metrics) + 0.6, 3.9), squeeze=False)
        for ax, m in zip(axes[0], metrics, strict=True):
            ax.set_title(METRIC_LABELS[m], fontsize=10, fontweight="bold")
            ax.set_xticks(xs, [xl for xl, _ in points], rotation=35, ha="right")
            ax.set_xlim(-0.6, len(points) - 0.4)
            ax.grid(axis="y", color="#e4e4e4", linewidth=0.6)
            chance = result.chance if m != metrics[0] else None  # the loss has no chance line
            if chance is not None:
                ax.axhline(chance, color="#888888", linestyle="--", linewidth=0.9)
                ax.annotate("chance", (len(points) - 0.45, chance), fontsize=8, color="#666666", ha="right",
                            va="bottom")
            done = [(x, r.mean[m], r.std.get(m) or 0.0, r.best) for x, (_, r) in zip(xs, points, strict=True)
                    if r.mean.get(m) is not None]
            if not done:
                ax.text(0.5, 0.5, "no successful run", transform=ax.transAxes, ha="center", fontsize=9)
                continue
            if joined and len(done) > 1:
                ax.plot([d[0] for d in done], [d[1] for d in done], color="#9db7dc", linewidth=1.2, zorder=1)
            ax.errorbar([d[0] for d in done], [d[1] for d in done], yerr=[d[2] for d in done], fmt="o",
                        color="#3465a4", markersize=5, capsize=4, linewidth=1.5, zorder=2)
            for x, mean, _, best in done:
                if best:
                    ax.plot([x], [mean], "o", markersize=12, markerfacecolor="none", markeredgecolor="#cc0000",
                            markeredgewidth=1.5, zorder=3)
            for x, (_, r) in zip(xs, points, strict=True):
                if r.mean.get(m) is None:
                    ax.annotate("failed", (x, 0.02), xycoords=("data", "axes fraction"), ha="center",
                                fontsize=8, color="#cc0000")
        fig.text(0.01, 0.01, f"{result.model}: mean of {result.repeats} run(s) per point, bars ± 1 std; x: {title}"
                 f"{' (values evenly spaced, in order)' if joined else ' (categories: points, not joined)'}; "
                 "red ring: best test accuracy; "
                 "dashed: chance", fontsize=8, color="#555555")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def chart_stems(result: SweepResult) -> list[tuple[str, str, list[tuple[str, Row]]]]:
    """(file stem, title, points) per chart: ``sweep-<factor>`` (``.svg`` and ``.png``)."""
    out = []
    for title, pts in chart_groups(result):
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in title)
        out.append((f"sweep-{safe}", title, pts))
    return out


def write_charts(result: SweepResult, folder) -> list:
    """Every chart of ``result`` into ``folder``, each as an SVG and a PNG (``archscope.render.charts.save``);
    returns the files written."""
    from pathlib import Path

    from archscope.render.charts import save

    written = []
    for stem, title, pts in chart_stems(result):
        written += save(sweep_figure(result, title, pts), Path(folder) / stem)
    return written
