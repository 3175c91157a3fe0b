"""Training claims: run the experiments they name and keep the measurements
with their provenance. (Their verdicts: ``archscope.claims.verdicts``.)

Measurements live as JSON, one file per experiment: a results folder for a
user's runs (``--results``; by default ``$ARCHSCOPE_HOME/training``, default
``~/.cache/archscope/training``: ``user_dir``), and
``archscope/claims/measured/ID.json`` for the ones archscope ships (run for
``reports/``). A verdict reads both, merged run by run (``load_measured``): a
run of the same setting and seed is one record, the newer; every other run
of either file counts. So a partial rerun (``--repeats 1``, an interrupted
``claims --train``) adds to the shipped seeds and never leaves fewer.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from archscope.claims.schema import Claim
from archscope.errors import ArchscopeError

PACKAGED = Path(__file__).parent / "measured"


def user_dir() -> Path:
    """The default results folder: ``$ARCHSCOPE_HOME/training`` (``archscope.home``
    reads the variable, in one place). ``claims --train --results DIR`` and the
    evaluation functions' ``results`` argument name another."""
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
    sources: list = field(default_factory=list)  # merged measurements: the files, their dates, runs taken from each

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


def _run_date(r: dict, m: Measured) -> str:
    return (r.get("measured") or {}).get("date") or m.provenance.get("date", "")


def _shown_path(m: Measured) -> str:
    """The shipped file by its place in the package; a user's by its path (the home folder as ~)."""
    p = Path(m.path)
    if p.parent == PACKAGED:
        return f"archscope/claims/measured/{p.name}"
    try:
        return "~/" + str(p.relative_to(Path.home()))
    except ValueError:
        return str(p)


def merge(found: list[Measured | None]) -> Measured | None:
    """The runs of several measurements of one experiment, merged run by run:
    one record per (setting, seed) — a finished run before a failed one, then
    the newer by its own date, the earlier file on a tie — and every other run
    of each. ``sources`` says which file gave how many of the runs."""
    present = [m for m in found if m]
    if not present:
        return None
    chosen: dict[str, tuple[dict, Measured]] = {}
    for m in present:
        for r in m.runs:
            key = json.dumps([r.get("setting"), r.get("seed")], sort_keys=True, default=str)
            old = chosen.get(key)
            if old is None or (bool(r.get("ok")), _run_date(r, m)) > (bool(old[0].get("ok")), _run_date(*old)):
                chosen[key] = (r, m)
    taken = {id(m): sum(1 for _, x in chosen.values() if x is m) for m in present}
    newest = max(present, key=lambda m: m.provenance.get("date", ""))
    out = Measured(present[0].experiment, [r for r, _ in chosen.values()], dict(newest.provenance), newest.path)
    out.sources = [{"file": _shown_path(m), "date": m.provenance.get("date", "")[:10], "runs": len(m.runs),
                    "used": taken[id(m)]} for m in present]
    return out


def load_measured(exp_id: str, results: Path | str | None = None, *, user: bool = True) -> Measured | None:
    """Every measured run of ``exp_id``: the shipped file and the one in the
    results folder (``results``, default ``user_dir()``), merged run by run
    (``merge``); ``user=False``: the shipped file alone."""
    shipped = _read(PACKAGED / f"{exp_id}.json")
    mine = _read(Path(results if results is not None else user_dir()) / f"{exp_id}.json") if user else None
    if mine is not None and shipped is not None and Path(mine.path).resolve() == Path(shipped.path).resolve():
        mine = None  # --results pointed at the shipped folder: one file, not two
    return merge([shipped, mine])


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
            "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data or {},
            "settings": settings or {}}


def save_measured(m: Measured, folder: Path) -> Path:
    from archscope.outputs import write_atomic

    path = Path(folder) / f"{m.experiment}.json"
    write_atomic(path, (json.dumps(m.to_dict(), indent=1, sort_keys=True) + "\n").encode())
    return path


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
        needed += [dict(alt) for alt in c.args.get("also_settings", ())]  # the other readings, shown beside
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
                     _cache: dict | None = None, seeds: int = 1) -> float | None:
    """Seconds one seed's run of the experiment's ``setting`` takes here,
    ``seeds`` seeds of it being measured: the training path
    ``archscope.probe.paths.choose`` picks for them, from its timings of each
    path at the run's batch size and threads (kept in
    ``$ARCHSCOPE_HOME/paths.json``), times the run's steps, plus 5% for the
    per-epoch evaluations. Ctrl-C during it propagates. ``_cache`` is kept
    for callers that pass one (the timings are cached by ``paths``)."""
    from dataclasses import replace

    from archscope.probe import paths
    from archscope.probe.experiments import get_experiment

    cfg = get_experiment(exp_id).config_for(setting or {})
    if cfg.dataset not in TRAIN_IMAGES or cfg.epochs is None:
        return None
    cfg = replace(cfg, device=device, threads=threads or cfg.threads or 1, overfit_check=False)
    choice = paths.choose(cfg, seeds)
    if choice.seconds_per_seed is None:  # the plain path's own: time it
        step, _ = paths.timed(cfg, 1, ("plain",))["plain"]
        return 1.05 * paths.steps_of(cfg) * step
    return 1.05 * choice.seconds_per_seed


def config_key(exp_id: str, setting: dict) -> str:
    """Identical runs across experiments share one key: the resolved settings
    of the experiment's config with the setting applied (seed excluded).
    Each run record keeps it (``config``), so a resumed measurement reuses a
    run only when the configuration it ran is the one asked for now."""
    from archscope.probe.experiments import get_experiment
    from archscope.zoo import model_info

    cfg = get_experiment(exp_id).config_for(setting)
    d = cfg.settings()
    d.pop("seed", None)
    d["model"] = cfg.model
    d["overrides"] = {**model_info(cfg.model).knobs(), **d["overrides"]}  # a knob at its default is the default
    return json.dumps(d, sort_keys=True, default=str)


def _without_epochs(key: str) -> str:
    d = json.loads(key)
    d.pop("epochs", None)
    d.pop("steps", None)
    return json.dumps(d, sort_keys=True)


def _epochs_of(key: str) -> int | None:
    return json.loads(key).get("epochs")


def finished(rec: dict) -> bool:
    """A run that needs no rerun: it succeeded, or failed of its own accord
    (a loss that stopped being finite, which a rerun of the same seed would
    repeat). Runs stopped by Ctrl-C or a dead worker are run again."""
    return bool(rec.get("ok")) or str(rec.get("error") or "").startswith("non-finite loss")


def _pool(folders) -> dict:
    """(config key, seed) -> a finished run, from every measurement file in
    ``folders``: only runs that recorded the configuration they ran
    (``config``) and whose configuration is still the experiment's."""
    from archscope.probe.experiments import EXPERIMENTS

    pool: dict[tuple[str, int], dict] = {}  # (configuration key, seed) -> run record
    for folder in folders:
        for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
            m = _read(path)
            if m is None or m.experiment not in EXPERIMENTS:
                continue
            for r in m.runs:
                if not finished(r) or "config" not in r:
                    continue
                try:
                    key = config_key(m.experiment, r["setting"])
                except Exception:  # a setting the experiment no longer builds
                    continue
                if json.dumps(r["config"], sort_keys=True, default=str) != key:
                    continue
                pool.setdefault((key, r["seed"]), {**r, "from": m.experiment, "_prov": m.provenance})
    return pool


def _prefix(rec: dict, epochs: int) -> dict:
    """The record of the first ``epochs`` epochs of the run ``rec``: with a
    constant learning rate and no schedule, an epoch's data order and the
    random numbers it draws do not depend on how many epochs follow
    (``archscope.probe.train.batches``: one permutation per epoch from the
    seed's generator), so the first E epochs of a longer run *are* the run
    of E epochs, bit for bit (tests/test_grouped.py checks it on both
    paths); its history gives the figures after epoch E."""
    h = list(rec.get("history") or [])[:epochs]
    out = {k: v for k, v in rec.items() if k not in ("from", "_prov", "shared_with")}
    out["history"] = h
    out["prefix_of"] = {"epochs": len(rec.get("history") or []), "seconds": rec.get("seconds"),
                        "experiment": rec.get("from"), "setting": rec.get("setting")}
    out["seconds"] = None
    if len(h) == epochs:
        last = h[-1]
        out.update(ok=True, error=None, train_loss=last["train_loss"], train_accuracy=last["train_accuracy"],
                   test_accuracy=last["test_accuracy"])
    else:
        out.update(ok=False, train_loss=None, train_accuracy=None, test_accuracy=None)
    return out


def _prefix_ok(cfg) -> bool:
    """Runs of ``cfg`` may be read off a longer run's history: whole epochs,
    and no figure measured only at the end (the eval-mode train accuracy)."""
    return cfg.epochs is not None and not cfg.eval_train


@dataclass
class Progress:
    """What ``run_jobs`` tells ``on_run`` besides the counts: the predicted
    seconds left (the paths' timings, scaled by how long the finished runs
    took against their prediction, over the runs going at once)."""

    eta_seconds: float | None = None


@dataclass
class RunPlan:
    """What ``claims --train`` will do for its jobs, before anything runs:
    the records it can write at once (copies of runs another experiment
    made, runs of E epochs read off a longer run) and the runs to make, each
    with the experiments that take its record."""

    total: int = 0  # (setting, seed) records the jobs need
    saved: int = 0  # already in the results folder (resumed)
    now: list = field(default_factory=list)  # (experiment, record, provenance) to write at once
    configs: list = field(default_factory=list)  # the TrainConfigs to run
    keys: list = field(default_factory=list)  # (setting, seed) of each
    tasks: list = field(default_factory=list)  # (experiment, config key) of each
    takers: list = field(default_factory=list)  # [(experiment, setting, config key, epochs or None)] of each


def plan_runs(jobs: list[Job], *, repeats: int, out_dir: Path, device: str = "auto", data_dir=None,
              download: bool = True, threads: int | None = None) -> RunPlan:
    """The plan of ``run_jobs`` (see there)."""
    from dataclasses import replace

    from archscope.probe.config import with_setting
    from archscope.probe.experiments import get_experiment

    pool = _pool([out_dir])
    by_prefix: dict = {}
    for (key, seed), rec in pool.items():
        if rec.get("history"):
            by_prefix.setdefault((_without_epochs(key), seed), []).append((_epochs_of(key) or 0, rec))
    plan = RunPlan(total=sum(len(j.settings) for j in jobs) * repeats)

    def clean(rec: dict) -> dict:
        return {k: v for k, v in rec.items() if k not in ("from", "_prov", "shared_with", "prefix_of")}

    # what each (experiment, setting, seed) needs: nothing (saved), a copy, a prefix, or a run
    wanted = []  # (experiment, setting, seed, key, cfg) still to run
    for job in jobs:
        e = get_experiment(job.experiment)
        cfg = replace(e.config, device=device, data_dir=data_dir, download=download,
                      threads=threads or e.config.threads or 1)
        for s in job.settings:
            key = config_key(e.id, s)
            run_cfg = with_setting(cfg, s)
            for rep in range(repeats):
                have = pool.get((key, rep))
                longer = [(n, r) for n, r in by_prefix.get((_without_epochs(key), rep), [])
                          if n >= run_cfg.epochs] if _prefix_ok(run_cfg) else []
                if have is not None and have["from"] == e.id and have["setting"] == s:
                    plan.saved += 1  # in this experiment's file already: nothing to do
                elif have is not None:  # measured before, by another experiment (or under another label)
                    plan.now.append((e.id, {**clean(have), "setting": s,
                                            "shared_with": have.get("shared_with") or have["from"]}, have["_prov"]))
                elif longer:
                    assert run_cfg.epochs is not None  # longer is empty unless _prefix_ok(run_cfg)
                    n, r = max(longer, key=lambda x: x[0])
                    plan.now.append((e.id, {**_prefix(r, run_cfg.epochs), "setting": s, "config": json.loads(key)},
                                     r["_prov"]))
                else:
                    wanted.append((e.id, s, rep, key, run_cfg))

    # each (configuration, seed) run once: the longest run of a configuration and seed is made, and
    # every other experiment or shorter run needing it takes its record
    first = []
    head: dict = {}  # (configuration, seed) and (configuration without epochs, seed) -> the run made for it
    for k in sorted(range(len(wanted)), key=lambda k: -(wanted[k][4].epochs or 0)):  # the longest first
        exp_id, s, rep, key, run_cfg = wanted[k]
        exact = (key, rep)
        base = (_without_epochs(key), rep) if _prefix_ok(run_cfg) else exact
        if exact in head:
            plan.takers[head[exact]].append((exp_id, s, key, None))
        elif base in head:
            plan.takers[head[base]].append((exp_id, s, key, run_cfg.epochs))
        else:
            head[exact] = head[base] = len(plan.configs)
            plan.configs.append(replace(run_cfg, seed=rep, overfit_check=False).validate())
            plan.keys.append((s, rep))
            plan.tasks.append((exp_id, key))
            plan.takers.append([])
            first.append(k)
    # back in plan order (experiments, settings, seeds), so runs start in the order a reader expects
    perm = sorted(range(len(plan.configs)), key=lambda j: first[j])
    for name in ("configs", "keys", "tasks", "takers"):
        setattr(plan, name, [getattr(plan, name)[j] for j in perm])
    return plan


def estimate_plan(plan: RunPlan, *, jobs_at_once: int = 1, notice=None) -> float | None:
    """Predicted wall seconds of the plan's runs on this machine: each
    setting's training path chosen and timed as the run will
    (``archscope.probe.sweep.plan_tasks``), run ``jobs_at_once`` at a time."""
    from archscope.probe.sweep import makespan, plan_tasks

    if not plan.configs:
        return 0.0
    tasks, costs = plan_tasks(plan.configs, notice=notice, workers=max(1, jobs_at_once))
    if all(c is None for c in costs):
        return None
    # the tasks' lengths, longest first onto the least loaded of the workers; a run left untimed is one too
    # short to be worth timing (archscope.probe.paths.SHORT_RUNS) and counts as nothing
    return makespan(tasks, lambda t: sum(costs[i] or 0.0 for i in t[1]), max(1, jobs_at_once))


def run_jobs(jobs: list[Job], *, repeats: int, device: str = "auto", data_dir=None, download: bool = True,
             out_dir: Path | None = None, on_run=None, notice=None, backend=None,
             threads: int | None = None, on_failed=None) -> tuple[list[Measured], bool]:
    """Run every job's settings with seeds 0..repeats-1 and merge them into
    the saved measurements, saving each experiment's file as each of its
    runs finishes, so Ctrl-C (or a crash) keeps every run that finished.

    Resumable: a (setting, seed) already in ``out_dir`` with the same
    configuration (its record's ``config``) that finished is not run again,
    so running the same command after an interruption runs only what is
    missing, and ``--repeats 10`` after ``--repeats 5`` adds seeds 5..9. A
    run whose whole configuration and seed another experiment measured
    (article 002's baseline is a row of seven tables) is taken from there; a
    run of E epochs is read off a longer run of the same configuration and
    seed (``_prefix``), saved or made in this call.

    ``backend`` (``archscope.probe.parallel.Backend``, default this process)
    says where the runs go; each run gets ``threads`` CPU threads (default
    one), whatever the backend, so the figures do not depend on it; seeds of
    a setting may train together (``archscope.probe.sweep.plan_tasks``).
    ``on_run(done, total, experiment, setting, seed, progress)`` reports
    progress (``Progress``: the time left; experiment None before the first
    run); ``on_failed(experiment, setting, seed, error)`` is told of each run
    of this call that failed (it is saved too, with its error). Returns the
    measurements (one per job) and whether it was interrupted."""
    from archscope.probe.sweep import run_planned

    out_dir = Path(out_dir) if out_dir is not None else user_dir()
    plan = plan_runs(jobs, repeats=repeats, out_dir=out_dir, device=device, data_dir=data_dir, download=download,
                     threads=threads)
    measured: dict[str, Measured] = {}
    for job in jobs:
        prev = _read(out_dir / f"{job.experiment}.json")
        measured[job.experiment] = Measured(job.experiment, list(prev.runs) if prev else [],
                                            dict(prev.provenance) if prev else {})
    done = [plan.saved]
    progress = Progress()

    def tell(exp_id, setting, seed):
        if on_run:
            on_run(done[0], plan.total, exp_id, setting, seed, progress)

    def record(exp_id: str, rec: dict, prov: dict | None = None) -> None:
        m = measured[exp_id]
        m.runs = [x for x in m.runs if not (x["setting"] == rec["setting"] and x["seed"] == rec["seed"])] + [rec]
        m.runs.sort(key=_plan_order(exp_id))  # plan order, whichever run finished first
        if prov is not None and (not m.provenance or not rec.get("prefix_of") and not rec.get("shared_with")):
            m.provenance = dict(prov)
        save_measured(m, out_dir)
        done[0] += 1
        tell(exp_id, rec["setting"], rec["seed"])

    for exp_id, rec, prov in plan.now:
        record(exp_id, rec, prov)
    tell(None, None, None)

    configs, keys, tasks, takers = plan.configs, plan.keys, plan.tasks, plan.takers
    costs: list = [None] * len(configs)
    ended: dict = {}  # index -> seconds it took (a grouped run's share)
    workers = max(1, min(getattr(backend, "jobs", None) or 1, len(configs) or 1))

    def update_eta() -> None:
        known = [i for i in range(len(configs)) if costs[i]]
        if not known:
            return
        left = sum(costs[i] for i in known if i not in ended)
        pred = sum(costs[i] for i in known if i in ended)
        took = sum(ended[i] for i in known if i in ended)
        scale = took / pred if pred > 0 and took > 0 else 1.0
        progress.eta_seconds = left * scale / workers

    def planned(ts, cs) -> None:
        costs[:] = cs
        update_eta()
        tell(None, None, None)

    def finished_run(i: int, out) -> None:
        r = out.run
        exp_id, key = tasks[i]
        prov = provenance(out.device or "", out.data, out.settings)
        rec = {"setting": r.setting, "seed": r.seed, "ok": r.ok, "train_loss": r.epoch_loss,
               "train_accuracy": r.epoch_accuracy, "test_accuracy": r.test_accuracy,
               "examples_per_s": r.examples_per_s, "seconds": r.seconds, "error": r.error,
               "history": list(r.history or []), "train_seconds": r.train_seconds, "step_seconds": r.step_seconds,
               "path": r.path, "threads": r.threads, "group": list(r.group or []), "machine": dict(r.machine or {}),
               "config": json.loads(key), "data_verified": list(out.data.get("verified") or []),
               "measured": {k: prov[k] for k in ("date", "device", "torch", "archscope", "commit")}}
        ended[i] = (r.seconds or 0.0) / max(1, len(r.group or [1]))
        update_eta()
        record(exp_id, rec, prov)
        if not r.ok and on_failed:
            on_failed(exp_id, r.setting, r.seed, r.error or "failed")
        for other, s, other_key, epochs in takers[i]:
            if epochs is not None:
                record(other, {**_prefix({**rec, "from": exp_id}, epochs), "setting": s,
                               "config": json.loads(other_key)}, prov)
            else:
                # the same configuration and seed: its figures (or its failure, which a rerun would repeat)
                record(other, {**rec, "setting": s, "config": json.loads(other_key),
                               **({"shared_with": exp_id} if r.ok else {})}, prov)

    def started(i: int) -> None:
        tell(tasks[i][0], *keys[i])

    _, interrupted = run_planned(configs, keys, backend, notice=notice, on_start=started,
                                 on_outcome=lambda i, o: finished_run(i, o), on_plan=planned)
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
