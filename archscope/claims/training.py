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


def merge(found: list[Measured]) -> Measured | None:
    """The runs of several measurements of one experiment, merged run by run:
    one record per (setting, seed) — a finished run before a failed one, then
    the newer by its own date, the earlier file on a tie — and every other run
    of each. ``sources`` says which file gave how many of the runs."""
    found = [m for m in found if m]
    if not found:
        return None
    chosen: dict[str, tuple[dict, Measured]] = {}
    for m in found:
        for r in m.runs:
            key = json.dumps([r.get("setting"), r.get("seed")], sort_keys=True, default=str)
            old = chosen.get(key)
            if old is None or (bool(r.get("ok")), _run_date(r, m)) > (bool(old[0].get("ok")), _run_date(*old)):
                chosen[key] = (r, m)
    taken = {id(m): sum(1 for _, x in chosen.values() if x is m) for m in found}
    newest = max(found, key=lambda m: m.provenance.get("date", ""))
    out = Measured(found[0].experiment, [r for r, _ in chosen.values()], dict(newest.provenance), newest.path)
    out.sources = [{"file": _shown_path(m), "date": m.provenance.get("date", "")[:10], "runs": len(m.runs),
                    "used": taken[id(m)]} for m in found]
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
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data or {},
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
             threads: int | None = None, on_failed=None) -> tuple[list[Measured], bool]:
    """Run every job's settings with seeds 0..repeats-1 and merge them into
    the saved measurements (a new run of a setting and seed replaces the old
    one), saving each experiment's file as each of its runs finishes, so
    Ctrl-C keeps every run that finished. A run whose whole configuration and
    seed another experiment measured (article 002's baseline is a row of
    seven tables) is taken from there, not run again: from the files already
    saved, or from the run another job of this call makes. ``backend``
    (``archscope.probe.parallel.Backend``, default this process) says where the
    runs go; each run gets ``threads`` CPU threads (default one), whatever the
    backend, so the figures do not depend on it. ``on_failed(experiment, setting,
    seed, error)`` is told of each run of this call that failed (it is saved
    too, with its error). Returns the measurements (one per job) and whether it
    was interrupted."""
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
        if not r.ok and on_failed:
            on_failed(tasks[i], r.setting, r.seed, r.error or "failed")
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
