"""Training claims: run the experiments they name, keep the measurements with
their provenance, and give verdicts.

The verdict rule (stated in the output and the README): with n seeds, mean m
and sample standard deviation s, and a claimed figure c that is itself the
mean of k runs (k = 1 for a single run; article 002 averaged 10), the band is
m +- (2 s sqrt(1/n + 1/k) + w), w the wording's slack (half a unit of the
last printed digit, or 10% for "about"). The claim *holds* when it agrees
with the band — c lies in it (a figure), the band reaches above c ("at
least"), or meets the range — else it *does not hold*, by how much. With one
seed s is taken as 0 and the verdict says so.

Measurements live as JSON, one file per experiment:
``$ARCHSCOPE_HOME/training/ID.json`` (default ``~/.cache/archscope``) for a
user's runs, and ``archscope/claims/measured/ID.json`` for the ones archscope
ships (run for ``reports/``). ``archscope claims`` shows the newer of the two.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import os
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from archscope.claims.schema import Claim, Evaluation, Verdict
from archscope.errors import ArchscopeError

PACKAGED = Path(__file__).parent / "measured"
RULE = ("holds when it lies within mean +- 2 s sqrt(1/n + 1/k) over n seeds (s the sample std, k the runs the "
        "source averaged), widened by half a unit of its last printed digit")
K_STD = 2.0


def user_dir() -> Path:
    """Where a user's measurements go: ``$ARCHSCOPE_HOME/training`` (the
    ``--results`` folder of the current ``claims --train``, when given)."""
    if os.environ.get("ARCHSCOPE_TRAINING_RESULTS"):
        return Path(os.environ["ARCHSCOPE_TRAINING_RESULTS"])
    from archscope.home import archscope_home

    return archscope_home() / "training"


def experiment_of(claim: Claim) -> str | None:
    return claim.experiment or claim.args.get("experiment")


# ---- the measurements ----------------------------------------------------------------

@dataclass
class Measured:
    """Every run of one experiment: its setting, seed and figures, and where
    and when they were measured."""

    experiment: str
    runs: list = field(default_factory=list)  # dicts: setting, seed, ok, train_loss, train_accuracy, ...
    provenance: dict = field(default_factory=dict)  # device, torch, archscope, commit, date, data
    path: str = ""

    def values(self, setting: dict, metric: str) -> list[float]:
        return [r[metric] for r in self.runs if r.get("ok") and r["setting"] == setting
                and isinstance(r.get(metric), (int, float)) and math.isfinite(r[metric])]

    def settings(self) -> list[dict]:
        out = []
        for r in self.runs:
            if r["setting"] not in out:
                out.append(r["setting"])
        return out

    def to_dict(self) -> dict:
        return {"experiment": self.experiment, "provenance": self.provenance, "runs": self.runs}


def _read(path: Path) -> Measured | None:
    """The measurements in ``path`` (parsed once per version of the file:
    `archscope claims` asks for each experiment once per training claim)."""
    try:
        st = path.stat()
    except OSError:
        return None
    d = _parse(str(path), st.st_mtime_ns, st.st_size)
    return Measured(d["experiment"], [dict(r) for r in d["runs"]], dict(d["provenance"]), str(path)) if d else None


@functools.lru_cache(maxsize=64)
def _parse(path: str, mtime_ns: int, size: int) -> dict | None:
    try:
        d = json.loads(Path(path).read_text())
        return {"experiment": d["experiment"], "runs": list(d["runs"]), "provenance": dict(d.get("provenance", {}))}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_measured(exp_id: str, *, user: bool = True) -> Measured | None:
    """The newer of the user's and the packaged measurements of ``exp_id``."""
    found = [m for m in ((_read(user_dir() / f"{exp_id}.json") if user else None),
                         _read(PACKAGED / f"{exp_id}.json")) if m]
    return max(found, key=lambda m: m.provenance.get("date", "")) if found else None


@functools.lru_cache(maxsize=1)
def _commit() -> str | None:
    """archscope's git commit, when it runs from a checkout (asked once per process)."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                              capture_output=True, text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(device: str, data: dict | None = None, settings: dict | None = None) -> dict:
    import torch

    from archscope import __version__

    return {"device": device, "torch": torch.__version__, "archscope": __version__, "commit": _commit(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data or {},
            "settings": settings or {}}


def save_measured(m: Measured, folder: Path) -> Path:
    from archscope.outputs import write_atomic

    path = Path(folder) / f"{m.experiment}.json"
    write_atomic(path, (json.dumps(m.to_dict(), indent=1, sort_keys=True) + "\n").encode())
    return path


# ---- the verdict ------------------------------------------------------------------------

def slack(claim: Claim) -> float:
    """What the claim's wording allows on top of the noise: half a unit of
    the printed figure (``printed(d)``), or a relative tolerance ("about")."""
    t, e = claim.tolerance, claim.expected
    rel = t.rel * abs(e) if t.rel is not None and isinstance(e, (int, float)) else 0.0
    return max(t.abs or 0.0, rel)


def band(values: list[float], claim: Claim, source_runs: int = 1) -> tuple[float, float, float, int]:
    """(mean, sample std, half-width of the band, n). The claimed figure is
    itself a mean of ``source_runs`` runs (article 002 averaged 10), so the
    difference between it and our mean of n has std s * sqrt(1/n + 1/k):
    the band is twice that, plus the wording's slack."""
    n = len(values)
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if n >= 2 else 0.0
    return mean, std, K_STD * std * math.sqrt(1 / n + 1 / max(1, source_runs)) + slack(claim), n


def _select(m: Measured, claim: Claim) -> tuple[dict | None, str]:
    from archscope.probe.experiments import EXPERIMENTS

    want = claim.args.get("setting", {})
    if want == "best" or "best_of" in claim.args:
        # among the settings the source's table has (another reading measured beside them does not compete)
        e = EXPERIMENTS.get(m.experiment)
        pool = [s for s in m.settings() if e is None or s in e.to_check()]
        rows = [(s, m.values(s, "test_accuracy")) for s in pool]
        if e is not None:  # a best over part of the table says nothing about the rest
            from archscope.probe.experiments import setting_label

            missing = [s for s in e.to_check() if not m.values(s, "test_accuracy")]
            if missing:
                return None, (f"not every setting of the source's table is measured here (missing "
                              f"{', '.join(setting_label(s) for s in missing)})")
        rows = [(s, v) for s, v in rows if v]
        if not rows:
            return None, "no successful run"
        best = max(rows, key=lambda sv: statistics.fmean(sv[1]))[0]
        return best, "the best setting by mean test accuracy"
    return dict(want), ""


def _checked(m: Measured) -> list:
    from archscope.probe.experiments import EXPERIMENTS

    e = EXPERIMENTS.get(m.experiment)
    return e.to_check() if e is not None else m.settings()


def _consistent(claim: Claim, lo: float, hi: float) -> tuple[bool, str]:
    """Does the measured band [lo, hi] agree with what the claim asserts?
    ``approx``: the claimed figure lies in it; ``at_least``/``greater``: some of
    the band reaches above the figure; ``less``: below it; ``range``: the band
    meets the range."""
    e, how = claim.expected, claim.compare
    if how in ("approx", "exact", "equal"):
        ok = lo - 1e-12 <= e <= hi + 1e-12
        return ok, "" if ok else f"outside it by {max(lo - e, e - hi):.2g}"
    if how == "at_least":
        return hi >= e - 1e-12, "" if hi >= e - 1e-12 else f"below {e:g} by {e - hi:.4f}"
    if how == "greater":
        return hi > e, "" if hi > e else f"not above {e:g}"
    if how == "less":
        return lo < e, "" if lo < e else f"not below {e:g}"
    if how == "range":
        a, b = e
        ok = hi >= a and lo <= b
        return ok, "" if ok else f"outside {a:g}..{b:g}"
    raise ValueError(f"{claim.id}: unknown comparison {how!r} for a training claim")


def _provenance_text(prov: dict) -> str:
    return (f"measured {prov.get('date', '?')[:10]} on {prov.get('device', '?')}, torch {prov.get('torch', '?')}, "
            f"archscope {prov.get('archscope', '?')}" + (f" ({prov['commit']})" if prov.get("commit") else ""))


def judge(claim: Claim, m: Measured, models: tuple, source_runs: int | None = None) -> Evaluation:
    """The verdict on ``claim`` from the measurements ``m`` (see the module
    docstring). ``source_runs``: how many runs the claimed figure averages
    (default: the experiment's ``repeats``)."""
    from archscope.claims.evaluate import compare
    from archscope.probe.experiments import EXPERIMENTS, setting_label

    if source_runs is None:
        e = EXPERIMENTS.get(m.experiment)
        source_runs = e.repeats if e is not None else 1
    where = _provenance_text(m.provenance)
    setting, how = _select(m, claim)
    if setting is None:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"{how}; {where}")
    unverified = sorted({v for r in m.runs if r["setting"] == setting for v in r.get("data_verified") or []
                         if not v.startswith(("sha256", "md5", "size only"))})
    if unverified:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK,
                          detail=f"measured on data that is not the published data set ({', '.join(unverified)}); "
                                 f"{where}")
    if "best_of" in claim.args:
        key = claim.args["best_of"]
        value = setting.get(key)
        n = len(m.values(setting, "test_accuracy"))
        if value is None:
            ok, why = False, f"the best setting does not set {key}"
        else:
            ok, why = compare(claim, value)
        return Evaluation(claim, models, Verdict.HOLDS if ok else Verdict.DOES_NOT_HOLD, value,
                          f"{how}: {setting_label(setting)} (mean of {n} seeds; {why}); among "
                          f"{', '.join(setting_label(s) for s in m.settings() if s in _checked(m))}; {where}")
    metric = claim.args.get("metric", "test_accuracy")
    values = m.values(setting, metric)
    if not values:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK,
                          detail=f"no successful run of {setting_label(setting)} measured {metric}; {where}")
    mean, std, half, n = band(values, claim, source_runs)
    seeds = f"{n} seed{'s' if n != 1 else ''}" + (" (one seed: no spread, only the wording's slack)" if n == 1 else "")
    ok, why = _consistent(claim, mean - half, mean + half)
    text = (f"{setting_label(setting)}{' (' + how + ')' if how else ''}: {metric} {mean:.4f} +- {std:.4f} over "
            f"{seeds}; the source's figure averages {source_runs} run(s); band {mean - half:.4f}..{mean + half:.4f}"
            + (f"; {why}" if why else "") + f"; {where}")
    return Evaluation(claim, models, Verdict.HOLDS if ok else Verdict.DOES_NOT_HOLD, round(mean, 6), text,
                      spread={"std": round(std, 6), "n": n, "band": [round(mean - half, 6), round(mean + half, 6)]})


def evaluate_training(claim: Claim, models: tuple) -> Evaluation:
    """The verdict of a training claim from the last measurement, or why it
    cannot be checked here."""
    exp = experiment_of(claim)
    if exp is None:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=f"needs {claim.requires or 'a training run'}")
    m = load_measured(exp)
    if m is None:
        return Evaluation(claim, models, Verdict.CANNOT_CHECK, detail=_why_not(claim, exp))
    return judge(claim, m, models)


def _why_not(claim: Claim, exp_id: str) -> str:
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


# ---- running them --------------------------------------------------------------------------

@dataclass
class Job:
    """One experiment's settings to run for the chosen claims."""

    experiment: str
    settings: list
    claims: list


def plan_jobs(claims: list[Claim]) -> list[Job]:
    """The runs the claims need, each experiment once, each setting once."""
    from archscope.probe.experiments import get_experiment

    jobs: dict[str, Job] = {}
    for c in claims:
        exp = experiment_of(c)
        if exp is None:
            continue
        e = get_experiment(exp)
        job = jobs.setdefault(exp, Job(exp, [], []))
        job.claims.append(c.id)
        want = c.args.get("setting")
        needed = e.to_check() if (want in (None, "best") or "best_of" in c.args) and e.factors else \
            [dict(want) if isinstance(want, dict) else {}]
        for s in needed:
            if s not in job.settings:
                job.settings.append(s)
    for job in jobs.values():  # in the experiment's own order
        order = [repr(x) for x in get_experiment(job.experiment).to_check()]
        job.settings.sort(key=lambda x: order.index(repr(x)) if repr(x) in order else len(order))
    return list(jobs.values())


def select_claims(all_claims, ids: list[str] | None) -> list[Claim]:
    training = [c for c in all_claims if c.kind == "training"]
    if not ids:
        return [c for c in training if experiment_of(c)]
    by_id = {c.id: c for c in all_claims}
    out = []
    for i in ids:
        if i not in by_id:
            import difflib

            close = difflib.get_close_matches(i, by_id, n=3)
            raise ArchscopeError(f"no claim {i!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
        c = by_id[i]
        if c.kind != "training":
            raise ArchscopeError(f"{i} is not a training claim (it is checked without training: `archscope claims`)")
        if not experiment_of(c):
            raise ArchscopeError(f"{i} names no experiment archscope can run: needs {c.requires}")
        out.append(c)
    return out


TRAIN_IMAGES = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000}


def estimate_seconds(exp_id: str, setting: dict | None = None, device: str = "auto", threads: int | None = None,
                     _cache: dict | None = None) -> float | None:
    """Seconds one run of the experiment's ``setting`` takes here, from a
    20-step timing run on generated data of the same shape at the same batch
    size, capped at 64 to keep it short (images per second change little
    above that; below it, per-step overhead matters and is timed as it is):
    training images x epochs / measured images per second, plus 10% for the
    evaluation. Ctrl-C during it propagates. ``_cache`` shares timings
    between settings that differ only where speed does not (lr, seed)."""
    from dataclasses import replace

    from archscope.probe.experiments import get_experiment
    from archscope.probe.train import run

    cfg = get_experiment(exp_id).config_for(setting or {})
    n = TRAIN_IMAGES.get(cfg.dataset)
    if n is None or cfg.epochs is None:
        return None
    probe_cfg = replace(cfg, dataset="synthetic", device=device, epochs=None, steps=20, lr=1e-3,
                        batch_size=min(cfg.batch_size or 64, 64), overfit_check=False, eval_train=False,
                        threads=threads)  # timed on the threads the runs will have
    key = repr(replace(probe_cfg, seed=0))
    if _cache is not None and key in _cache:
        ips = _cache[key]
    else:
        r = run(probe_cfg)
        if r.interrupted:
            raise KeyboardInterrupt
        ips = r.images_per_s
        if _cache is not None:
            _cache[key] = ips
    if not ips:
        return None
    return 1.1 * cfg.epochs * n / ips


def config_key(exp_id: str, setting: dict) -> str:
    """Identical runs across experiments share one key: the resolved settings
    of the experiment's config with the setting applied (seed excluded)."""
    from archscope.probe.experiments import get_experiment

    from archscope.zoo import model_info

    cfg = get_experiment(exp_id).config_for(setting)
    d = cfg.settings()
    d.pop("seed", None)
    d["model"] = cfg.model
    d["overrides"] = {**model_info(cfg.model).knobs(), **d["overrides"]}  # a knob at its default is the default
    return json.dumps(d, sort_keys=True, default=str)


def _pool(folders) -> dict:
    """(config key, seed) -> a finished run, from every measurement file in ``folders``."""
    from archscope.probe.experiments import EXPERIMENTS

    pool = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
            m = _read(path)
            if m is None or m.experiment not in EXPERIMENTS:
                continue
            for r in m.runs:
                if r.get("ok"):
                    pool.setdefault((config_key(m.experiment, r["setting"]), r["seed"]),
                                    {**r, "from": m.experiment, "_prov": m.provenance})
    return pool


def run_jobs(jobs: list[Job], *, repeats: int, device: str = "auto", data_dir=None, download: bool = True,
             out_dir: Path | None = None, on_run=None, notice=None, backend=None,
             threads: int | None = None) -> tuple[list[Measured], bool]:
    """Run every job's settings with seeds 0..repeats-1 and merge them into
    the saved measurements (a new run of a setting and seed replaces the old
    one), saving each experiment's file as each of its runs finishes, so
    Ctrl-C keeps every run that finished. A run whose whole configuration and
    seed another experiment measured (article 002's baseline is a row of
    seven tables) is taken from there, not run again: from the files already
    saved, or from the run another job of this call makes. ``backend``
    (``archscope.probe.parallel.Backend``, default this process) says where the
    runs go; each run gets ``threads`` CPU threads (default one), whatever the
    backend, so the figures do not depend on it. Returns the measurements (one
    per job) and whether it was interrupted."""
    from dataclasses import replace

    from archscope.probe.config import with_setting
    from archscope.probe.experiments import get_experiment
    from archscope.probe.sweep import run_planned

    out_dir = Path(out_dir) if out_dir is not None else user_dir()
    pool = _pool([out_dir])
    measured: dict[str, Measured] = {}
    for job in jobs:
        prev = _read(out_dir / f"{job.experiment}.json")
        measured[job.experiment] = Measured(job.experiment, list(prev.runs) if prev else [],
                                            dict(prev.provenance) if prev else {})
    total = sum(len(j.settings) for j in jobs) * repeats
    done = [0]

    def record(exp_id: str, rec: dict, prov: dict | None = None) -> None:
        m = measured[exp_id]
        m.runs = [x for x in m.runs if not (x["setting"] == rec["setting"] and x["seed"] == rec["seed"])] + [rec]
        m.runs.sort(key=_plan_order(exp_id))  # plan order, whichever run finished first
        if prov is not None:
            m.provenance = prov
        save_measured(m, out_dir)
        done[0] += 1
        if on_run:
            on_run(done[0], total, exp_id, rec["setting"], rec["seed"])

    # the plan: each (configuration, seed) run once; later experiments needing it take its record
    configs, keys, tasks, takers, planned = [], [], [], [], {}
    for job in jobs:
        e = get_experiment(job.experiment)
        cfg = replace(e.config, device=device, data_dir=data_dir, download=download,
                      threads=threads or e.config.threads or 1)
        for s in job.settings:
            for rep in range(repeats):
                key = (config_key(e.id, s), rep)
                shared = pool.get(key)
                if shared is not None and shared["from"] != e.id:  # measured before, by another experiment
                    m = measured[e.id]
                    if not m.provenance:
                        m.provenance = dict(shared["_prov"])
                    record(e.id, {**{k: v for k, v in shared.items() if k not in ("from", "_prov", "shared_with")},
                                  "setting": s, "shared_with": shared.get("shared_with") or shared["from"]})
                elif key in planned:  # run in this call for an earlier experiment
                    takers[planned[key]].append((e.id, s))
                else:
                    planned[key] = len(configs)
                    configs.append(replace(with_setting(cfg, s), seed=rep, overfit_check=False).validate())
                    keys.append((s, rep))
                    tasks.append(e.id)
                    takers.append([])

    def finished(i: int, out) -> None:
        r = out.run
        prov = provenance(out.device or "", out.data, out.settings)
        rec = {"setting": r.setting, "seed": r.seed, "ok": r.ok, "train_loss": r.epoch_loss,
               "train_accuracy": r.epoch_accuracy, "test_accuracy": r.test_accuracy,
               "examples_per_s": r.examples_per_s, "seconds": r.seconds, "error": r.error,
               "data_verified": list(out.data.get("verified") or []),
               "measured": {k: prov[k] for k in ("date", "device", "torch", "archscope", "commit")}}
        record(tasks[i], rec, prov)
        for exp_id, s in takers[i]:
            m = measured[exp_id]
            if not m.provenance:
                m.provenance = dict(prov)
            # the same configuration and seed: its figures (or its failure, which a rerun would repeat)
            record(exp_id, {**rec, "setting": s, **({"shared_with": tasks[i]} if r.ok else {})})

    def started(i: int) -> None:
        if on_run:
            on_run(done[0], total, tasks[i], *keys[i])

    _, interrupted = run_planned(configs, keys, backend, notice=notice, on_start=started,
                                 on_outcome=lambda i, o: finished(i, o))
    return [measured[j.experiment] for j in jobs], interrupted


def _plan_order(exp_id: str):
    """Sort key of an experiment's runs: its settings' order, then the seed;
    settings it no longer plans last, in their old order."""
    from archscope.probe.experiments import EXPERIMENTS

    e = EXPERIMENTS.get(exp_id)
    order = [repr(x) for x in (e.planned() + e.to_check() if e is not None else [])]

    def key(r):
        k = repr(r["setting"])
        return (order.index(k) if k in order else len(order), r["seed"])

    return key
