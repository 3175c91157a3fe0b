"""The sources' training experiments as report pages: the source's printed
figures and archscope's measurements side by side per setting (mean ± std over
the seeds, with each cell's verdict), a chart per experiment, and, for what was
not run here, the command and what it needs."""

from __future__ import annotations

import statistics

from archscope.render.table import md_escape, md_table

_METRIC_LABEL = {"train_loss": "train loss", "train_accuracy": "train acc", "test_accuracy": "test acc"}


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    m = statistics.fmean(values)
    return f"{m:.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 else f"{m:.3f}"


def rows_of(exp, measured) -> list[dict]:
    """One row per setting the experiment checks (and any other it measured)."""
    from archscope.probe.experiments import setting_label

    settings = exp.to_check() if (exp.factors or exp.settings) else [{}]
    if measured:
        settings += [s for s in measured.settings() if s not in settings]
    out = []
    for s in settings:
        label = setting_label(s)
        pub = exp.published.get(label) or (exp.published.get("base") if not s else None) or {}
        ours = {m: measured.values(s, m) if measured else [] for m in _METRIC_LABEL}
        n = max((len(v) for v in ours.values()), default=0)
        failed = [r for r in measured.runs if r["setting"] == s and not r.get("ok")] if measured else []
        out.append({"setting": s, "label": label, "published": pub, "ours": ours, "n": n, "failed": failed})
    return out


def _verdicts_for(evals, setting: dict, exp=None) -> dict:
    """metric -> verdict of the claim about this setting's cell (with its interval); a row read another way
    says so (the verdict is the other reading's); the reprinted defaults' row is judged once, elsewhere."""
    from archscope.probe.experiments import setting_label

    out = {}
    for e in evals:
        args = e.claim.args
        if "best_of" in args or "curve" in args or args.get("setting") == "best":
            continue
        metric = args.get("metric", "test_accuracy")
        if dict(args.get("setting", {})) == setting:
            st = e.stats or {}
            band = f" ({st['band'][0]:.3f}..{st['band'][1]:.3f}, k = {st['k']})" if st.get("band") else ""
            out[metric] = e.verdict.value + band
        for a in e.also:
            if a.get("setting") == setting_label(setting):
                out.setdefault(metric, f"other reading: {a['outcome']} (not the verdict)")
    if exp is not None and setting_label(setting) in exp.published_runs:
        for m in _METRIC_LABEL:
            out.setdefault(m, "one run, judged once: `002-lenet-fmnist*`")
    return out


def experiment_page(exp, measured, evals) -> str:
    from archscope.claims.stats import FIGURE_RULE, ORDER_RULE
    from archscope.claims.verdicts import measurement_text

    lines = [f"# {exp.title}", "", "[all experiments](README.md) · [claims](../claims.md)", "",
             f"- source: {exp.source}", f"- experiment id: `{exp.id}`",
             f"- procedure: {_procedure(exp.config)}"]
    if exp.factors:
        lines.append("- varies: " + "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in exp.factors.items()))
    lines.append(f"- the source ran each setting {exp.repeats} time(s)" + (" and averaged" if exp.repeats > 1 else "")
                 + "".join(f"; its row {label} is {k} run{'s' if k != 1 else ''} (reprinted from Fig. 10, line 456: "
                           f"see `002-baseline-row-is-one-run`)" for label, k in exp.published_runs.items()))
    if exp.note:
        lines.append(f"- note: {exp.note}")
    lines += ["", "Differences that remain between archscope's run and the source's:", ""]
    lines += [f"- {d}" for d in exp.differences]
    lines += [""]
    if measured:
        p = measured.provenance
        lines += [measurement_text(measured)[0].upper() + measurement_text(measured)[1:]
                  + (f"; data: {p['data'].get('where')} copy at `{p['data'].get('folder')}`, "
                     f"{', '.join(p['data'].get('verified', []))}" if (p.get("data") or {}).get("where") else "")
                  + ".", ""]
        shared = sorted({r["shared_with"] for r in measured.runs if r.get("shared_with")})
        if shared:
            lines += [f"Runs identical to another experiment's (same configuration and seed) are taken from it: "
                      f"{', '.join(f'`{s}`' for s in shared)}.", ""]
    rows = rows_of(exp, measured)
    table = []
    for r in rows:
        v = _verdicts_for(evals, r["setting"], exp)
        cells = [r["label"], r["n"] or "-"]
        for m in _METRIC_LABEL:
            pub = r["published"].get(m)
            cells += ["-" if pub is None else f"{pub:g}", _cell(r["ours"][m]), v.get(m, "-")]
        table.append(cells)
    headers = ["setting", "seeds"]
    for m in _METRIC_LABEL.values():
        headers += [f"{m} (source)", f"{m} (archscope)", "verdict"]
    lines += [md_table(table, headers), ""]
    lines += [f"Verdict rule: a figure {FIGURE_RULE} (the interval and k beside each verdict). An ordering: "
              f"{ORDER_RULE}. Train loss and train accuracy are the running means over the last "
              "epoch in training mode (what d2l's `train_ch6` prints); test accuracy is over the whole test split "
              "in eval mode.", ""]
    other = [e for e in evals if "best_of" in e.claim.args or "curve" in e.claim.args
             or e.claim.args.get("setting") == "best"]
    if other:
        lines += ["Claims about the experiment as a whole:", ""]
        lines += [f"- `{e.claim.id}` ({md_escape(e.claim.statement)}): **{e.verdict.value}** — "
                  f"{md_escape(e.rule or '')}" + (f"; {md_escape(e.detail)}" if e.detail != e.rule else "")
                  for e in other]
        lines += [""]
    if measured and any(r["n"] for r in rows):
        lines += [f"![{exp.id}]({exp.id}.svg)", ""]
    missing = [r for r in rows if not r["n"]]
    if missing:
        lines += ["Not measured here (" + _not_run(exp) + "): "
                  + ", ".join(r["label"] for r in missing) + ". To run them: "
                  + (f"`archscope sweep --recipe {exp.id}`" if exp.factors else
                     f"`archscope probe --recipe {exp.id}`")
                  + ", or `archscope claims --train --claim <id>` for the claims listed in "
                  "[the claims](../claims.md) (it prints an estimate of the time before it starts).", ""]
    return "\n".join(lines) + "\n"


def _procedure(cfg) -> str:
    parts = [f"`{cfg.model}`" + (f" with {cfg.overrides}" if cfg.overrides else ""), cfg.dataset,
             f"{cfg.epochs} epochs" if cfg.epochs else f"{cfg.steps} steps", f"batch {cfg.batch_size}",
             f"{cfg.optimizer} lr {cfg.lr:g}" + (f" momentum {cfg.momentum:g}" if cfg.momentum is not None else ""),
             f"weights {cfg.init}", f"pixels {'/ 255' if cfg.scaling == 'unit' else 'standardised'}"]
    if cfg.input_shape:
        parts.append("input " + "x".join(map(str, cfg.input_shape)))
    return ", ".join(parts)


def _not_run(exp) -> str:
    """Why an experiment has no measurement here: its data, or what it needs."""
    reasons = []
    if exp.config.dataset not in ("synthetic", "fashion-mnist"):
        reasons.append(f"{exp.config.dataset} is not on this machine (`archscope data fetch {exp.config.dataset}`)")
    if exp.needs:
        reasons.append(exp.needs)
    return "; ".join(reasons) or "not run yet"


def index_page(items) -> str:
    """``items``: (experiment, measured or None, evaluations)."""
    from archscope.claims.stats import FIGURE_RULE, ORDER_RULE

    rows = []
    for exp, m, evals in items:
        counts: dict[str, int] = {}  # verdict -> evaluations
        for e in evals:
            counts[e.verdict.value] = counts.get(e.verdict.value, 0) + 1
        runs = len([r for r in m.runs if r.get("ok")]) if m else 0
        rows.append([f"[{exp.id}]({exp.id}.md)", exp.title, runs or "-",
                     ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "-",
                     "-" if runs else _not_run(exp)])
    return ("# The sources' training results, checked\n\n"
            "Each experiment reproduces its source's whole procedure (initialisation, data scaling, shuffling, "
            "optimizer, schedule, evaluation); each page lists what still differs, the source's printed figures "
            "beside archscope's mean ± std over seeds, and the verdicts. `archscope claims --train` runs them "
            f"(measurements shipped in `archscope/claims/measured/`, merged run by run with yours). A figure "
            f"{FIGURE_RULE}. An ordering: {ORDER_RULE}.\n\n"
            + md_table(rows, ["experiment", "what", "runs measured", "verdicts", "why not measured here"]) + "\n")
