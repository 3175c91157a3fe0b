"""Every verdict, in one place: a measured value against what a claim says,
with the rule that decides it written beside it.

- Architecture claims (``judge_measurement``): the measured value against the
  expected one with the tolerance the source's wording implies ("about" =
  10 %, a printed figure must round to itself), on the build the claim is
  about (``Claim.on``/``Claim.build``); the other builds are measured and
  shown beside it ("also on ..."), never as the verdict.
- Training claims (``evaluate_training``/``judge``): the rules of
  ``archscope.claims.stats`` — a figure against the prediction interval of a
  mean of k runs, an ordering by Welch's t-test, a convergence speed on the
  measured per-epoch curves — with three outcomes: holds, does not hold, not
  determined. The measurement is every shipped and user run merged run by
  run (``archscope.claims.training.load_measured``), and the verdict says
  which files (dates, runs) it used.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

from archscope.claims import stats
from archscope.claims.schema import Claim, Evaluation, Verdict
from archscope.claims.training import Measured, experiment_of, load_measured

_OUTCOME = {stats.HOLDS: Verdict.HOLDS, stats.DOES_NOT_HOLD: Verdict.DOES_NOT_HOLD,
            stats.NOT_DETERMINED: Verdict.NOT_DETERMINED}


# ---- architecture claims: a measured value against the expected one --------------------------------

def _deviation(measured, expected) -> str:
    if isinstance(measured, (int, float)) and isinstance(expected, (int, float)) and expected:
        return f"{(measured - expected) / abs(expected):+.1%}"
    return ""


def compare(claim: Claim, measured) -> tuple[bool, str]:
    """(holds, how) for a measured value: ``claim.compare`` with its tolerance."""
    e, how = claim.expected, claim.compare
    if how == "approx":
        if isinstance(e, (list, tuple)):  # several figures, each with the tolerance (relative to itself)
            ok = len(measured) == len(e) and all(claim.tolerance.allows(m, x) for m, x in zip(measured, e, strict=True))
            return ok, claim.tolerance.wording
        ok = claim.tolerance.allows(measured, e)
        dev = _deviation(measured, e)
        return ok, f"{dev} ({claim.tolerance.wording})" if dev else claim.tolerance.wording
    if how in ("exact", "equal"):
        return measured == e, "exact"
    if how == "greater":
        return measured > e, f"needs > {e:g}"
    if how == "less":
        return measured < e, f"needs < {e:g}"
    if how == "at_most":
        return measured <= e, f"needs <= {e:g}"
    if how == "at_least":
        ok = claim.tolerance.allows(measured, e) or measured >= e
        return ok, claim.tolerance.wording
    if how == "per_unit":  # expected is in some unit the source does not name: any of args["units"]
        rel = claim.tolerance.rel or 0.0
        hits = [u for u in claim.args["units"] if abs(measured / u - e) <= rel * abs(e) + 1e-9]
        if hits:
            return True, f"matches with unit {hits[0]:,} ({claim.tolerance.wording})"
        best = min(claim.args["units"], key=lambda u: abs(measured / u - e))
        return False, f"{(measured / best - e) / e:+.1%} at best (unit {best:,}; {claim.tolerance.wording})"
    if how == "range":
        lo, hi = e
        return lo <= measured <= hi, claim.tolerance.wording
    raise ValueError(f"{claim.id}: unknown comparison {how!r}")


def fmt(v) -> str:
    """A value in a rule: short, plain."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, (list, tuple)) for x in v):
            return ", ".join("x".join(map(str, x)) for x in v)
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return str(v)


_COMPARE_WORDS = {"approx": "", "exact": "exactly", "equal": "exactly", "greater": "more than", "less": "less than",
                  "at_most": "at most", "at_least": "at least", "per_unit": "", "range": "in the range"}


def architecture_rule(claim: Claim, models: tuple, measured, how: str, build: str) -> str:
    """'measured vs expected, tolerance, on which build and why'."""
    word = _COMPARE_WORDS.get(claim.compare, claim.compare)
    expected = claim.expected
    exp = f"{word} {fmt(expected)}".strip() if expected is not None else "-"
    on = " / ".join(m for m in models if m)
    return (f"{fmt(measured)} vs {exp}" + (f" ({how})" if how and how != "exact" else "")
            + (f"; on {on}" if on else "") + (f": {build}" if build else ""))


def judge_measurement(claim: Claim, models: tuple, value, detail: str, build: str = "") -> Evaluation:
    """The verdict on an architecture claim from its measured value."""
    ok, how = compare(claim, value)
    verdict = Verdict.HOLDS if ok else Verdict.DOES_NOT_HOLD
    return Evaluation(claim, models, verdict, value, f"{detail}; {how}" if how else detail,
                      rule=architecture_rule(claim, models, value, how, build), build=build)


# ---- training claims ------------------------------------------------------------------------------

def slack(claim: Claim) -> float:
    """What the claim's wording allows whatever the noise: half a unit of
    the printed figure (``printed(d)``), or a relative tolerance ("about")."""
    t, e = claim.tolerance, claim.expected
    rel = t.rel * abs(e) if t.rel is not None and isinstance(e, (int, float)) else 0.0
    return max(t.abs or 0.0, rel)


def source_runs(claim: Claim, exp_id: str | None, setting: dict | None = None) -> int:
    """k: how many runs the claimed figure is the mean of — what the source
    ran: the experiment's ``published_runs`` for that printed row, else its
    ``repeats`` (10 for article 002's ablation tables, 1 for a printed single
    run); ``claim.args["source_runs"]`` overrides both."""
    from archscope.probe.experiments import EXPERIMENTS, setting_label

    if "source_runs" in claim.args:
        return int(claim.args["source_runs"])
    e = EXPERIMENTS.get(exp_id) if exp_id else None
    if e is None:
        return 1
    if setting is not None and setting_label(setting) in e.published_runs:
        return int(e.published_runs[setting_label(setting)])
    return e.repeats


def _checked(m: Measured) -> list:
    from archscope.probe.experiments import EXPERIMENTS

    e = EXPERIMENTS.get(m.experiment)
    return e.to_check() if e is not None else m.settings()


def _missing(m: Measured) -> str | None:
    """Why a judgement over the whole table cannot be made: settings of the source's table not measured."""
    from archscope.probe.experiments import EXPERIMENTS, setting_label

    e = EXPERIMENTS.get(m.experiment)
    if e is None:
        return None
    missing = [s for s in e.to_check() if not m.values(s, "test_accuracy")]
    if missing:
        return (f"not every setting of the source's table is measured here (missing "
                f"{', '.join(setting_label(s) for s in missing)})")
    return None


def _select(m: Measured, claim: Claim) -> tuple[dict | None, str]:
    """The setting a figure claim is about: the claim's own, or (``"best"``) the
    setting with the highest mean test accuracy among the source's table."""
    want = claim.args.get("setting", {})
    if want == "best":
        why = _missing(m)
        if why:
            return None, why
        rows = [(s, m.values(s, "test_accuracy")) for s in m.settings() if s in _checked(m)]
        rows = [(s, v) for s, v in rows if v]
        if not rows:
            return None, "no successful run"
        best = max(rows, key=lambda sv: statistics.fmean(sv[1]))[0]
        return best, "the best setting by mean test accuracy"
    return dict(want), ""


def measurement_text(m: Measured) -> str:
    """Which measurement a verdict used: the files, their dates, and the runs taken from each."""
    srcs = m.sources or [{"file": m.path, "date": m.provenance.get("date", "")[:10], "runs": len(m.runs),
                          "used": len(m.runs)}]
    parts = [f"{s['file']} ({s['date'] or 'undated'}, {s['used']} of its {s['runs']} runs)" for s in srcs]
    p = m.provenance
    return ("measured: " + " + ".join(parts) + f"; on {p.get('device', '?')}, torch {p.get('torch', '?')}, "
            f"archscope {p.get('archscope', '?')}" + (f" ({p['commit']})" if p.get("commit") else ""))


def _measurement(m: Measured) -> dict:
    return {"files": m.sources, "runs": len(m.runs), "device": m.provenance.get("device"),
            "date": m.provenance.get("date")}


def _inside(claim: Claim, value) -> bool:
    e = claim.expected
    if claim.compare == "range":
        return value is not None and e[0] <= value <= e[1]
    return value == e


def judge_ordering(claim: Claim, m: Measured, models: tuple) -> Evaluation:
    """'The best setting of ``best_of`` lies in the claimed range (or is the
    claimed value)': Welch's t-test between the best setting inside and the
    best outside (``stats.ORDER_RULE``)."""
    from archscope.probe.experiments import setting_label

    key, metric = claim.args["best_of"], claim.args.get("metric", "test_accuracy")
    why = _missing(m)
    if why:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"{why}; {measurement_text(m)}",
                          rule=stats.ORDER_RULE, measurement=_measurement(m))
    rows = [(s, m.values(s, metric)) for s in m.settings() if s in _checked(m)]
    rows = [(s, v) for s, v in rows if v]
    inside = [(s, v) for s, v in rows if _inside(claim, s.get(key))]
    outside = [(s, v) for s, v in rows if not _inside(claim, s.get(key))]
    lower_better = metric == "train_loss"

    def best(group):
        return (min if lower_better else max)(group, key=lambda sv: statistics.fmean(sv[1]))

    among = ", ".join(setting_label(s) for s, _ in rows)
    if not inside:
        return Evaluation(claim, models, Verdict.DOES_NOT_HOLD, None,
                          f"no measured setting has the claimed {key}; among {among}; {measurement_text(m)}",
                          rule=stats.ORDER_RULE, measurement=_measurement(m))
    a_set, a = best(inside)
    top = best(rows)[0]
    if not outside:
        return Evaluation(claim, models, Verdict.HOLDS, a_set.get(key),
                          f"every measured setting has the claimed {key}; {measurement_text(m)}",
                          rule=stats.ORDER_RULE, measurement=_measurement(m))
    b_set, b = best(outside)
    c = stats.compare_means(b, a) if lower_better else stats.compare_means(a, b)
    outcome = c.outcome

    def desc(s, v):
        sd = f" ± {statistics.stdev(v):.4f}" if len(v) > 1 else ""
        return f"{setting_label(s)} {statistics.fmean(v):.4f}{sd} (n={len(v)})"

    test = (f"Welch t = {c.t:.2f}, df = {c.df:.1f}, p = {c.p:.3g}" if c.t is not None and c.p is not None
            and math.isfinite(c.t) else c.why)
    rule = (f"best inside {desc(a_set, a)} vs best outside {desc(b_set, b)}: {test} (α = {c.alpha:g})"
            + (f"; {c.why}" if c.why and c.t is not None and math.isfinite(c.t) else ""))
    detail = (f"{metric}: best with the claimed {key}: {desc(a_set, a)}; best without: {desc(b_set, b)}; "
              f"{test}; the best measured mean is {setting_label(top)}; among {among}; {measurement_text(m)}")
    st = {"test": "welch", "t": c.t, "df": c.df, "p": c.p, "alpha": c.alpha, "n": min(c.n_a, c.n_b),
          "inside": {"setting": a_set, "mean": c.mean_a if not lower_better else c.mean_b, "n": len(a)},
          "outside": {"setting": b_set, "mean": c.mean_b if not lower_better else c.mean_a, "n": len(b)}}
    return Evaluation(claim, models, _OUTCOME[outcome], top.get(key), detail, rule=rule, stats=st,
                      measurement=_measurement(m))


def judge_convergence(claim: Claim, m: Measured, models: tuple) -> Evaluation:
    """'The slow settings converge more slowly than the fast ones', on the
    measured per-epoch curves (``stats.CURVE_RULE``): each run's epochs to a
    common test accuracy, every slow setting against the fastest of the
    reference settings by Welch's t-test. Holds when every slow setting is
    significantly slower, does not hold when one is significantly faster,
    otherwise not determined."""
    spec = claim.args["curve"]
    key, metric = spec["key"], spec.get("metric", "test_accuracy")
    groups = {}
    for v in list(spec["slow"]) + list(spec["fast"]):
        runs = [r for r in m.runs if r.get("ok") and r["setting"].get(key) == v and len(r["setting"]) == 1]
        groups[v] = runs
    def final(r):
        v = r["history"][-1].get(metric)
        return v if isinstance(v, (int, float)) and math.isfinite(v) else None

    with_curves = {v: [r for r in runs if r.get("history") and final(r) is not None] for v, runs in groups.items()}
    lacking = [v for v, runs in with_curves.items() if not runs]
    if lacking:
        why = (f"not measured yet: no per-epoch curves of {', '.join(f'{key}={v}' for v in lacking)} "
               f"(`archscope claims --train --claim {claim.id}` measures them)")
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"{why}; {measurement_text(m)}",
                          rule=stats.CURVE_RULE, measurement=_measurement(m))
    finals = [final(r) for runs in with_curves.values() for r in runs]
    target = min(finals)

    def reach(r: dict) -> float:
        e = stats.epochs_to_reach(r["history"], target, metric)
        assert e is not None  # the target is the lowest final value: every run reaches it
        return e

    epochs = {v: [reach(r) for r in runs] for v, runs in with_curves.items()}
    fast = min(spec["fast"], key=lambda v: statistics.fmean(epochs[v]))
    pairs = [(v, stats.compare_means(epochs[v], epochs[fast])) for v in spec["slow"]]
    outs = [c.outcome for _, c in pairs]
    outcome = (stats.HOLDS if all(o == stats.HOLDS for o in outs) else
               stats.DOES_NOT_HOLD if any(o == stats.DOES_NOT_HOLD for o in outs) else stats.NOT_DETERMINED)

    def mean_epochs(v):
        e = epochs[v]
        return f"{key}={v} {statistics.fmean(e):.2f} epochs (n={len(e)})"

    tests = "; ".join(f"{key}={v} vs {key}={fast}: " + (f"p = {c.p:.3g}" if c.p is not None else c.why)
                      for v, c in pairs)
    rule = (f"epochs to test accuracy {target:.4f}: {', '.join(mean_epochs(v) for v in spec['slow'])} vs "
            f"{mean_epochs(fast)}; Welch {tests} (α = {stats.ALPHA:g})")
    st = {"test": "welch", "target": target, "epochs": {str(v): e for v, e in epochs.items()},
          "p": {str(v): c.p for v, c in pairs}, "alpha": stats.ALPHA,
          "n": min(len(e) for e in epochs.values())}
    return Evaluation(claim, models, _OUTCOME[outcome], {str(v): statistics.fmean(e) for v, e in epochs.items()},
                      f"{rule}; {measurement_text(m)}", rule=rule, stats=st, measurement=_measurement(m))


def judge(claim: Claim, m: Measured, models: tuple, source_runs_: int | None = None) -> Evaluation:
    """The verdict on a training ``claim`` from the measurements ``m`` (the
    rules of ``archscope.claims.stats``). ``source_runs_``: k, the runs the
    claimed figure averages (default: what the source ran, ``source_runs``)."""
    from archscope.probe.experiments import setting_label

    where = measurement_text(m)
    if "curve" in claim.args:
        return judge_convergence(claim, m, models)
    setting, how = ({}, "") if "best_of" in claim.args else _select(m, claim)
    if setting is None:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"{how}; {where}", rule=stats.FIGURE_RULE,
                          measurement=_measurement(m))
    runs = [r for r in m.runs if "best_of" in claim.args or r["setting"] == setting]
    unverified = sorted({v for r in runs for v in r.get("data_verified") or []
                         if not v.startswith(("sha256", "md5", "size only"))})
    if unverified:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK,
                          detail=f"measured on data that is not the published data set ({', '.join(unverified)}); "
                                 f"{where}", measurement=_measurement(m))
    if "best_of" in claim.args:
        return judge_ordering(claim, m, models)
    k = source_runs_ if source_runs_ is not None else source_runs(claim, m.experiment, setting)
    metric = claim.args.get("metric", "test_accuracy")
    values = m.values(setting, metric)
    if not values:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK,
                          detail=f"no successful run of {setting_label(setting)} measured {metric}; {where}",
                          measurement=_measurement(m))
    w = slack(claim)
    fv = stats.judge_figure(values, claim.expected, k, slack=w, compare=claim.compare)
    mean = statistics.fmean(values)
    label = setting_label(setting) + (f" ({how})" if how else "")
    if fv.interval is None:
        rule = f"{mean:.4f} from {len(values)} seed: not determined (a spread needs at least 2 seeds; source {k} " \
               f"run{'s' if k != 1 else ''})"
        st: dict[str, Any] = {"n": len(values), "k": k, "mean": round(mean, 6), "std": None, "t": None, "band": None,
              "slack": w, "level": stats.LEVEL}
        return Evaluation(claim, models, Verdict.NOT_DETERMINED, round(mean, 6),
                          f"{label}: {metric} {mean:.4f} over {len(values)} seed; {fv.why}; {where}", rule=rule,
                          stats=st, measurement=_measurement(m))
    iv = fv.interval
    rule = (f"{iv.mean:.4f} ± {iv.half:.4f} (95% prediction interval: {iv.n} seeds, source {k} "
            f"run{'s' if k != 1 else ''}, t = {iv.t:.3f})" + (f" or ± {w:g} ({claim.tolerance.wording})" if w else ""))
    text = (f"{label}: {metric} {iv.mean:.4f} ± {iv.std:.4f} (sample std) over {iv.n} seeds; the source's figure "
            f"{claim.expected} is the mean of {k} run{'s' if k != 1 else ''}; interval {iv.lo:.4f}..{iv.hi:.4f}"
            + (f"; {fv.why}" if fv.why else "") + f"; {where}")
    st = {"n": iv.n, "k": k, "mean": round(iv.mean, 6), "std": round(iv.std, 6), "t": round(iv.t, 4),
          "half": round(iv.half, 6), "band": [round(iv.lo, 6), round(iv.hi, 6)], "slack": w, "level": iv.level}
    return Evaluation(claim, models, _OUTCOME[fv.outcome], round(iv.mean, 6), text, rule=rule, stats=st,
                      measurement=_measurement(m))


def evaluate_training(claim: Claim, models: tuple, results: Path | str | None = None) -> Evaluation:
    """The verdict of a training claim from every measured run (the shipped
    ones and those in ``results``, default ``$ARCHSCOPE_HOME/training``), or
    why it cannot be checked here."""
    exp = experiment_of(claim)
    if exp is None:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"needs {claim.requires or 'a training run'}")
    m = load_measured(exp, results)
    if m is None:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=why_not(claim, exp))
    return judge(claim, m, models)


def why_not(claim: Claim, exp_id: str) -> str:
    """Why a training claim has no measurement: the command that measures it, and what it needs."""
    from archscope.probe.experiments import EXPERIMENTS

    e = EXPERIMENTS.get(exp_id)
    if e is None:
        return f"needs {claim.requires or 'its experiment'} (experiment {exp_id!r} is not defined yet)"
    parts = [f"not measured yet: `archscope claims --train --claim {claim.id}`"]
    if e.config.dataset != "synthetic":
        from archscope.datasets.store import data_home, find_files, spec

        s = spec(e.config.dataset)
        places = [data_home() / s.name, *map(Path, s.system_dirs)]
        if not any(all(find_files(s, p).values()) for p in places):
            parts.append(f"needs {e.config.dataset} (`archscope data fetch {e.config.dataset}`, or --data-dir)")
    if e.needs:
        parts.append(e.needs)
    return "; ".join(parts)


__all__ = ["compare", "judge_measurement", "architecture_rule", "slack", "source_runs", "judge", "judge_ordering",
           "judge_convergence", "evaluate_training", "why_not", "measurement_text"]
