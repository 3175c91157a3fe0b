"""Charts of the training experiments (matplotlib, PNG and SVG).

- ``verdict_figure``: per setting and figure (train loss, train accuracy,
  test accuracy), the source's printed value (red x) against archscope's
  mean over the seeds (blue dot) and the band the verdict uses (the blue
  bar: the claimed figure holds when it lies in it; ``Evaluation.stats``,
  from ``archscope.claims.training``). Cells that no claim judges show the
  mean +- one standard deviation (a thin grey bar) instead.
- ``curves_figure``: per epoch, the mean over the seeds of each setting's
  train loss, train accuracy and test accuracy (shaded +- one standard
  deviation): d2l's ``train_ch6`` curves, article 002's Fig. 13 for the
  batch sizes. Only runs that kept their history (``history`` in each run
  record) are drawn.

Both are saved by ``archscope.render.charts.save``: an SVG and a PNG beside
it, deterministic (re-rendering unchanged measurements leaves them byte for
byte).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from archscope.render.charts import plt as _plt
from archscope.render.charts import save
from archscope.render.charts import style as _style

METRICS = {"train_loss": "train loss", "train_accuracy": "train accuracy", "test_accuracy": "test accuracy"}
MEASURED, SOURCE, SPREAD = "#3465a4", "#cc0000", "#888888"


def _bands(evals) -> dict:
    """(setting as a repr, metric) -> (lo, hi) of the band each cell's verdict used."""
    out: dict[tuple[str, str], tuple[float, ...]] = {}
    for e in evals:
        args, spread = e.claim.args, e.stats or {}
        setting = args.get("setting", {})
        if "best_of" in args or setting == "best" or not spread.get("band"):
            continue
        out.setdefault((repr(dict(setting)), args.get("metric", "test_accuracy")), tuple(spread["band"]))
    return out


def _short(exp, setting) -> str:
    return ", ".join(str(v) if k in exp.factors else f"{k}={v}" for k, v in setting.items()) or "base"


def verdict_figure(exp, measured, evals):
    """The source's figures against the measured means and the verdicts' bands; None without measurements."""
    from archscope.render.training import rows_of

    rows = [r for r in rows_of(exp, measured) if r["n"] or r["published"]]
    if not measured or not any(r["n"] for r in rows):
        return None
    plt = _plt()
    bands = _bands(evals)
    with plt.rc_context(_style()):
        labels = [_short(exp, r["setting"]) for r in rows]
        # wide enough for the rotated setting names (the best combination's run to 38 characters)
        longest = max(map(len, labels), default=0)
        fig, axes = plt.subplots(1, 3, figsize=(max(7.5, 1.1 + 0.55 * len(rows) * 3 + 0.06 * longest), 3.8))
        xs = range(len(rows))
        for ax, (m, title) in zip(axes, METRICS.items(), strict=True):
            seen: set = set()

            def once(label, seen=seen):  # each legend entry once
                if label in seen:
                    return None
                seen.add(label)
                return label

            for x, r in zip(xs, rows, strict=True):
                vals = r["ours"][m]
                if vals:
                    mean = statistics.fmean(vals)
                    band = bands.get((repr(r["setting"]), m))
                    if band is not None:
                        ax.vlines(x, band[0], band[1], color=MEASURED, alpha=0.35, linewidth=7,
                                  label=once("verdict band"))
                    elif len(vals) > 1:
                        s = statistics.stdev(vals)
                        ax.vlines(x, mean - s, mean + s, color=SPREAD, linewidth=1.2, label=once("± 1 std"))
                    ax.plot(x, mean, "o", color=MEASURED, markersize=5, label=once("archscope, mean over seeds"))
                pub = r["published"].get(m)
                if pub is not None:
                    ax.plot(x, pub, "x", color=SOURCE, markersize=7, mew=2, label=once("source"))
            ax.set_title(title)
            ax.set_xticks(list(xs))
            ax.set_xticklabels(labels, rotation=35, ha="right")
            ax.set_xlim(-0.6, len(rows) - 0.4)  # the first and last markers whole, not cut by the frame
            ax.grid(axis="y", color="#e4e4e4")
        # one legend for the figure, under the title: inside a panel it covered that panel's tick labels
        handles: dict = {}
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
        fig.suptitle(f"{exp.title} ({', '.join(exp.factors) or 'one setting'})", fontsize=10)
        fig.legend(list(handles.values()), list(handles), loc="upper center", bbox_to_anchor=(0.5, 0.93),
                   ncol=len(handles) or 1, fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, 0, 1, 0.86))
    return fig


def curves_of(measured, setting: dict) -> dict:
    """metric -> (epochs, means, stds) over the seeds of ``setting`` that kept a history of every epoch."""
    hist = [r["history"] for r in measured.runs if r.get("ok") and r["setting"] == setting and r.get("history")]
    if not hist:
        return {}
    n = min(len(h) for h in hist)
    out = {}
    for m in METRICS:
        per_epoch = [[h[e][m] for h in hist] for e in range(n)]
        out[m] = ([h["epoch"] for h in hist[0][:n]], [statistics.fmean(v) for v in per_epoch],
                  [statistics.stdev(v) if len(v) > 1 else 0.0 for v in per_epoch], len(hist))
    return out


def curves_figure(exp, measured):
    """Each setting's per-epoch curves (mean over seeds, +- 1 std shaded); None without histories."""
    if not measured:
        return None
    from archscope.render.training import rows_of

    curves = [(r["setting"], curves_of(measured, r["setting"])) for r in rows_of(exp, measured)]
    curves = [(s, c) for s, c in curves if c]
    if not curves:
        return None
    plt = _plt()
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
        cmap = plt.get_cmap("viridis")
        for k, (setting, c) in enumerate(curves):
            color = cmap(k / max(1, len(curves) - 1))
            for ax, m in zip(axes, METRICS, strict=True):
                epochs, mean, std, n = c[m]
                ax.plot(epochs, mean, "-", color=color, linewidth=1.4, marker="." if len(epochs) < 30 else None,
                        label=f"{_short(exp, setting)} (n={n})")
                lo = [a - b for a, b in zip(mean, std, strict=True)]
                hi = [a + b for a, b in zip(mean, std, strict=True)]
                ax.fill_between(epochs, lo, hi, color=color, alpha=0.15, linewidth=0)
        for ax, title in zip(axes, METRICS.values(), strict=True):
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.grid(color="#e4e4e4")
        axes[-1].legend(fontsize=7, frameon=False, title=", ".join(exp.factors) or None, title_fontsize=7,
                        bbox_to_anchor=(1.02, 1), loc="upper left")
        fig.suptitle(f"{exp.title}: per-epoch curves (mean over seeds, ± 1 std shaded)", fontsize=10)
        fig.tight_layout()
    return fig


def write_charts(folder: Path, exp, measured, evals) -> list[Path]:
    """The charts of one experiment in ``folder``: ``ID.png/svg`` (verdicts)
    and, where the runs kept their histories, ``ID-curves.png/svg``."""
    written = []
    fig = verdict_figure(exp, measured, evals)
    if fig is not None:
        written += save(fig, Path(folder) / exp.id)
    fig = curves_figure(exp, measured)
    if fig is not None:
        written += save(fig, Path(folder) / f"{exp.id}-curves")
    return written


def charts_markdown(exp, measured) -> str:
    """The page's lines for the curves chart (the verdict chart is linked by the page itself)."""
    if not measured or not any(r.get("history") for r in measured.runs):
        return ""
    return (f"Per-epoch curves (d2l's `train_ch6` evaluates after every epoch): mean over the seeds of each "
            f"setting, ± 1 std shaded.\n\n![{exp.id} curves]({exp.id}-curves.svg)\n\n")


__all__ = ["verdict_figure", "curves_figure", "curves_of", "save", "write_charts", "charts_markdown"]
