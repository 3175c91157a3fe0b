"""The application layer: one typed function per job, what both the CLI and a notebook call.

>>> import archscope
>>> print(archscope.summary("resnet18"))                      # the table `archscope summary resnet18` prints
>>> archscope.compare([model_a, model_b], (3, 32, 32))         # nn.Modules, zoo names or references
>>> archscope.claims(source="article 000").to_dataframe()     # pandas, an optional extra

``model`` is the same everywhere (``archscope.models``): a zoo name, a
``module:callable`` / ``file.py:callable`` reference, or an ``nn.Module``. Input
sizes are tuples without the batch, ``(3, 224, 224)``, or a list of them for a
model with several inputs (``InputSpec((77,), torch.long)`` for token ids).
Choices are the Enums of ``archscope.options`` (their string values work too).
Every function returns a result from ``archscope.results``: printed, it is the
CLI's table; in a notebook it shows as HTML; ``to_dict()`` is the CLI's JSON.

Errors are ``ArchscopeError`` with a one-line message naming the argument
(`` `input_size` ``). Progress goes to the optional callbacks; notices (a data
set downloaded, a recipe's needs) to ``notice`` (default: standard error).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union

from archscope.errors import ArchscopeError
from archscope.models import ModelLike, check_model, display_name, is_module, is_reference, register
from archscope.options import (
    BackendKind,
    BuildDevice,
    Dataset,
    Device,
    DiagramFormat,
    DType,
    Heat,
    Init,
    LayerOrder,
    Level,
    Optimizer,
    Precision,
    Scaling,
    Source,
    Upsample,
)
from archscope.results import (
    CamMaps,
    Catalog,
    ClaimsReport,
    Comparison,
    DataSets,
    Diagram,
    Difference,
    Info,
    ProbeRuns,
    Report,
    Summary,
    Sweep,
    TrainingPlan,
)

if TYPE_CHECKING:
    import torch
    from torch import nn

    from archscope.analysis.inputs import InputSpec
    from archscope.options import CamMethod
    from archscope.probe.config import TrainConfig
    from archscope.probe.parallel import Backend

Shape = tuple[int, ...]
InputSize = Union[Shape, "InputSpec", Sequence[Union[Shape, "InputSpec"]]]
"""(C, H, W) without the batch, or a list of them for a model with several inputs."""
PathLike = str | Path
Notice = Callable[[str], None]
OnWindow = Callable[[int, int, float, float | None], None]  # steps done, total, loss, images/s
OnRun = Callable[..., None]
E = TypeVar("E", bound=Enum)


def _stderr_notice(text: str) -> None:
    print(f"archscope: {text}", file=sys.stderr, flush=True)


def _choice(enum: type[E], value: object, arg: str) -> E:
    """``value`` as a member of ``enum`` (a member, or its string value)."""
    try:
        return enum(value.value if isinstance(value, Enum) else value)
    except ValueError:
        names = [str(e.value) for e in enum]
        raise ArchscopeError(f"`{arg}` must be {', '.join(names[:-1])} or {names[-1]}, got {value!r}") from None


def _inputs(input_size: object) -> Any:
    """The input sizes as the analysis takes them: a tuple, an InputSpec, or a list of them."""
    if input_size is None:
        return None
    if isinstance(input_size, str):
        raise ArchscopeError(f"`input_size` is a tuple of sizes such as (3, 224, 224), not a string: {input_size!r}")
    if isinstance(input_size, (list, tuple)) and any(isinstance(s, str) for s in input_size):
        raise ArchscopeError(f"`input_size` is tuples of sizes, not strings: {input_size!r}")
    return input_size


def _image_input(input_size: object) -> Shape | None:
    """(C, H, W): the one image input of the commands that feed images (probe, sweep, cam)."""
    if input_size is None:
        return None
    from archscope.analysis.inputs import parse_input

    return tuple(parse_input(_inputs(input_size)))


def _positive(value: object, arg: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ArchscopeError(f"`{arg}` must be a positive integer, got {value!r}")
    return value


def _needs_input(models: Sequence[ModelLike], input_size: object) -> None:
    """A user's model has no default input: refuse it without one, naming what to pass."""
    if input_size is None:
        for m in models:
            if is_reference(m) or is_module(m):
                raise ArchscopeError(f"{display_name(m)}: give `input_size` (C, H, W) for a model that is not in "
                                     "the zoo")


def _data_folder(data_dir: PathLike | None) -> str | None:
    """``data_dir`` as the data sets' readers take it, refused at once unless it is an existing folder
    (a missing one or a file would otherwise read as "not found" there, or not be used at all)."""
    if data_dir is None:
        return None
    path = Path(data_dir)
    if not path.exists():
        raise ArchscopeError(f"`data_dir` {data_dir} does not exist")
    if not path.is_dir():
        raise ArchscopeError(f"`data_dir` {data_dir} is not a folder")
    return str(data_dir)


# An option that changes nothing in the mode it is given in is refused, naming what it goes with (issue 26,
# item 10: `sweep --threads 100` ran, slower, `data list --mirror` was silently dropped). The checks below
# are that rule for each command's modes; the CLI's own (a data subcommand's options, summary's --depth with
# JSON) are in archscope.cli.

def _training_effect(cfg: TrainConfig, varied: Sequence[str] = (), *, settings: bool = True) -> None:
    """Refuse a training setting that would change nothing in ``cfg``'s runs (``varied``: the keys a sweep
    varies; ``settings``: check the training settings too, not only where the data comes from)."""
    if cfg.dataset == Dataset.SYNTHETIC.value and cfg.data_dir is not None:
        raise ArchscopeError("`data_dir` is where a real `dataset` is found (mnist, fashion-mnist or cifar10); "
                             "the synthetic set is generated")
    if not settings:
        return
    if cfg.optimizer != Optimizer.SGD.value and "optimizer" not in varied and \
            (cfg.momentum is not None or "momentum" in varied):
        raise ArchscopeError(f"`momentum` is SGD's: give `optimizer` sgd with it ({cfg.optimizer} has none)")
    if cfg.dataset == Dataset.SYNTHETIC.value and (cfg.scaling != Scaling.STANDARDIZE.value or "scaling" in varied):
        raise ArchscopeError("`scaling` is how a real `dataset`'s pixels become tensors; the synthetic set is used "
                             "as generated")


def _threads_effect(threads: int | None, where: Backend, device: Device | str) -> None:
    """``threads`` are CPU threads a run: more than the cores here (local runs) only share them, and a
    CUDA run does not use them."""
    if threads is None:
        return
    _positive(threads, "threads")
    dev = _choice(Device, device, "device").value
    if dev == Device.AUTO.value:
        import torch

        dev = "cuda" if torch.cuda.is_available() else "cpu"
    if dev == "cuda":
        raise ArchscopeError("`threads` are a CPU run's threads; a CUDA run does not use them")
    if where.kind == BackendKind.LOCAL.value:
        from archscope.probe.cpus import available_cores

        cores = len(available_cores())
        if threads > cores:
            raise ArchscopeError(f"`threads` {threads} is more than the {cores} CPU core(s) this process may use: "
                                 "the threads would share them and the run slow down")


# ---- the zoo ----------------------------------------------------------------------------------

def list_models(pattern: str | None = None, *, source: Source | str | None = None) -> list[str]:
    """The zoo's names matching a glob or substring ``pattern``, in natural order."""
    from archscope.zoo import list_models as _list

    return list(_list(pattern, source=None if source is None else _choice(Source, source, "source").value))


def get_model(name: str, *, device: str | None = None, **overrides: Any) -> nn.Module:
    """Build a zoo model (with ``overrides`` of its knobs); ``device="meta"`` allocates no weight.
    The module remembers its zoo name, so a summary of it is titled as the zoo's."""
    from archscope.models import remember_zoo_name
    from archscope.zoo import get_model as _get
    from archscope.zoo import resolve

    model: nn.Module = _get(name, device=device, **overrides)
    remember_zoo_name(model, resolve(name))
    return model


def catalog(pattern: str | None = None, *, source: Source | str | None = None) -> Catalog:
    """``archscope list``: name, family, year, source, default input and parameter count of each entry."""
    from archscope.zoo.catalog import catalog_rows

    src = None if source is None else _choice(Source, source, "source").value
    rows = catalog_rows(pattern, src)
    if not rows:
        raise ArchscopeError(f"no model matches {pattern!r}")
    return Catalog(rows)


def info(model: str) -> Info:
    """``archscope info``: one entry's metadata, published figures and documented deviations."""
    from archscope.zoo import list_models as _list
    from archscope.zoo import model_info

    if is_reference(model):
        raise ArchscopeError(f"{model} is your own builder, not a zoo entry (see `archscope list`); "
                             "`archscope summary` analyses it")
    i = model_info(model)
    return Info(i, i.source != "paper" and i.arch != i.name and i.arch in _list())


# ---- the analysis -------------------------------------------------------------------------------

def _dtype(dtype: DType | str | torch.dtype) -> torch.dtype:
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, _choice(DType, dtype, "dtype").value)  # type: ignore[no-any-return]


def _analysed(model: ModelLike, input_size: object, **kw: Any) -> Any:
    """The analysis of ``model``, titled with its zoo name when it is a module built by ``get_model``."""
    from archscope.analysis import analyze
    from archscope.models import zoo_name

    a = analyze(model, _inputs(input_size), **kw)
    if not isinstance(model, str) and (name := zoo_name(model)):
        a.model = name
    return a


def summary(model: ModelLike, input_size: InputSize | None = None, *, batch: int = 1,
            dtype: DType | str | torch.dtype = DType.float32, depth: int = 2,
            device: Literal["meta", "cpu"] = "meta", args: Mapping[str, Any] | None = None,
            crosscheck: bool = False, order: LayerOrder | str = LayerOrder.call, frozen: Sequence[str] = (),
            input_grad: bool = False, build_device: BuildDevice | str = BuildDevice.meta) -> Summary:
    """Per-layer shapes, parameters, MACs, FLOPs, memory and receptive field (on the meta device).

    ``input_size``: (C, H, W) without the batch (a zoo model defaults to its own); ``args``: the
    builder's keyword arguments (a zoo variant's knobs, or a reference's parameters); ``crosscheck``:
    also run torchinfo, fvcore and FlopCounterMode and attribute every difference; ``order``: the table's
    rows as the forward calls them or as the model declares them. The training FLOPs are one real step's
    (``formulas.TRAINING_RULE``): ``frozen``, glob patterns over parameter names (or modules' names), marks
    parameters a fine-tuning step does not train; ``input_grad`` makes the input require a gradient (the
    data does not). ``build_device="cpu"`` runs the constructor on the CPU, for one that reads tensor
    values (the analysis still runs on meta)."""
    model = check_model(model)
    _positive(depth, "depth")
    rows = _choice(LayerOrder, order, "order").value
    a = _analysed(model, input_size, batch=batch, dtype=_dtype(dtype), device=device, args=dict(args or {}),
                  frozen=frozen, input_grad=input_grad, build_device=_choice(BuildDevice, build_device,
                                                                              "build_device").value)
    checks = None
    if crosscheck:
        from archscope.analysis.crosscheck import crosscheck as run_crosscheck

        checks = run_crosscheck(model, a, args=dict(args or {}))
    return Summary(a, depth, checks, rows)


def _unique_titles(analyses: list[Any], models: Sequence[ModelLike]) -> None:
    """Modules of one class are told apart: ``Net``, ``Net #2``."""
    if not any(not isinstance(m, str) for m in models):
        return
    seen: dict[str, int] = {}
    for a in analyses:
        seen[a.model] = seen.get(a.model, 0) + 1
        if seen[a.model] > 1:
            a.model = f"{a.model} #{seen[a.model]}"


def _baseline_index(baseline: ModelLike | int | None, models: Sequence[ModelLike], analyses: list[Any]) -> int:
    if baseline is None:
        return 0
    if isinstance(baseline, int) and not isinstance(baseline, bool):
        if not 0 <= baseline < len(models):
            raise ArchscopeError(f"`baseline` {baseline} is not an index of the {len(models)} compared models")
        return baseline
    if not isinstance(baseline, str):
        index = next((i for i, m in enumerate(models) if m is baseline), None)
    else:
        key = display_name(baseline)
        index = next((i for i, a in enumerate(analyses) if a.model == key), None)
    if index is None:
        shown = baseline if isinstance(baseline, str) else type(baseline).__name__
        raise ArchscopeError(f"`baseline` {shown!r} is not one of the compared models")
    return index


def compare(models: Sequence[ModelLike], input_size: InputSize | None = None, *,
            baseline: ModelLike | int | None = None, batch: int = 1) -> Comparison:
    """Networks side by side: totals, ratios to ``baseline`` (default the first; a model or an index), where
    parameters and compute live, and the published claims about exactly these models."""
    from archscope.analysis.compare import compare_analyses
    from archscope.claims import CLAIMS, evaluate_for

    if isinstance(models, str) or len(models) < 2:
        raise ArchscopeError("compare needs at least two models")
    models = [check_model(m, "models") for m in models]
    analyses = [_analysed(m, input_size, batch=batch) for m in models]
    _unique_titles(analyses, models)
    result = compare_analyses(analyses, _baseline_index(baseline, models, analyses))
    zoo = [m for m in models if isinstance(m, str) and not is_reference(m)]
    return Comparison(result, evaluate_for(CLAIMS, zoo), _same_architecture(zoo))


def _same_architecture(names: list[str]) -> list[str]:
    """A hint for each architecture given in two builds: `archscope diff` shows where they differ."""
    from archscope.zoo import model_info, resolve

    arch: dict[str, list[str]] = {}
    for m in names:
        arch.setdefault(model_info(m).arch, []).append(resolve(m))
    return [f"{n[0]} and {n[1]} are builds of one architecture: `archscope diff {n[0]} {n[1]}` shows where they "
            "differ, layer by layer." for n in arch.values() if len(n) >= 2]


def diff(a: ModelLike, b: ModelLike, input_size: InputSize | None = None, *, args: Mapping[str, Any] | None = None,
         args_a: Mapping[str, Any] | None = None, args_b: Mapping[str, Any] | None = None,
         progress: Callable[[str, int, int], None] | None = None) -> Difference:
    """Where two builds of one architecture differ, layer by layer (aligned on the traced data flow), and
    what each difference costs. ``args``: builder knobs for both sides, ``args_a``/``args_b`` for one (a
    model against its what-if: ``diff("googlenet", "googlenet", args_b={"reductions": False})``);
    ``progress(step, done, total)`` follows the work."""
    from archscope.analysis.diff import diff as run_diff
    from archscope.models import zoo_name

    both = dict(args or {})
    for own in (args_a, args_b):
        twice = sorted(set(both) & set(own or {}))
        if twice:
            raise ArchscopeError(f"`args` {twice[0]} is given for both sides and for one: give it once")

    sides: list[Any] = []
    for m in (check_model(a, "a"), check_model(b, "b")):
        if isinstance(m, str):
            sides.append(m)
        else:
            _needs_input([m], input_size)
            sides.append((zoo_name(m) or type(m).__name__, m, _inputs(input_size)))
    return Difference(run_diff(sides[0], sides[1], _inputs(input_size), args_a={**both, **(args_a or {})} or None,
                               args_b={**both, **(args_b or {})} or None, progress=progress))


def diagram(model: ModelLike, *, input_size: InputSize | None = None, args: Mapping[str, Any] | None = None,
            level: Level | str = Level.block, format: DiagramFormat | str | None = None,
            output: PathLike | None = None, heat: Heat | str | None = None) -> Diagram:
    """Draw the architecture from the traced data flow into ``output`` (default: MODEL-LEVEL.FORMAT here);
    ``format`` defaults to the output's suffix, else svg."""
    from archscope.analysis.graph import build_graph
    from archscope.outputs import check_output_dir, check_output_file
    from archscope.render.diagram import render

    lvl = _choice(Level, level, "level")
    shade = None if heat is None else _choice(Heat, heat, "heat").value
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    known = suffix if suffix in DiagramFormat.__members__ else None
    fmt = None if format is None else _choice(DiagramFormat, format, "format").value
    if fmt is not None and known and known != fmt:
        raise ArchscopeError(f"`output` {output} names a .{known} file but `format` is {fmt}: give one of them, "
                             "or make them agree")
    fmt = fmt or known or "svg"
    if output:
        check_output_file(output, what="`output`")
    else:
        check_output_dir(".", what="the current folder")
    a = _analysed(check_model(model), input_size, training_memory=False, args=dict(args or {}))
    graph = build_graph(a, lvl.value)
    from archscope.outputs import default_file_name

    path = Path(output) if output else Path(default_file_name(a.model, f"-{lvl.value}.{fmt}"))
    render(graph, path, fmt, shade)
    return Diagram(path, len(graph.nodes) - 2, len(graph.edges), lvl.value)


def report(models: Sequence[ModelLike] | None = None, out_dir: PathLike = "reports", *, all_models: bool = False,
           input_size: InputSize | None = None, on_model: Callable[[str, int], None] | None = None) -> Report:
    """Markdown pages with summary, diagram and claims per model into ``out_dir``; with ``all_models`` every
    zoo model plus the index, families and claims pages. A user's model needs ``input_size``.
    ``on_model(name, total)`` is called as each page starts."""
    from archscope.outputs import check_output_dir
    from archscope.reports import generate
    from archscope.zoo import list_models as _list

    if all_models and models:
        raise ArchscopeError("give model names or `all_models`, not both")
    if not all_models and not models:
        raise ArchscopeError("give one or more model names, or `all_models`")
    check_output_dir(out_dir, what="`out_dir`")
    given = [check_model(m, "models") for m in models or []]
    _needs_input(given, input_size)
    own = [m for m in given if is_reference(m) or is_module(m)]
    if input_size is not None and not own:  # a zoo page is of the network at the input it is defined for
        raise ArchscopeError("`input_size` is for a model not in the zoo; each zoo model's page uses its own input")
    shape = _image_input(input_size) if own else None
    names = _list() if all_models else [register(m, shape) for m in given]

    def step(name: str) -> None:
        if on_model:
            on_model(name, len(names))

    files = generate(names, Path(out_dir), progress=step, index=all_models)
    return Report(Path(out_dir), files)


# ---- claims -------------------------------------------------------------------------------------

def _backend(backend: BackendKind | str, jobs: int | None, address: str | None) -> Backend:
    from archscope.probe.parallel import Backend

    return Backend(kind=_choice(BackendKind, backend, "backend").value, jobs=jobs, address=address).validate()


def _by_ids(ids: Sequence[str]) -> list[Any]:
    from archscope.claims import CLAIMS
    from archscope.claims.evaluate import select

    return select(CLAIMS, list(ids))


def training_plan(ids: Sequence[str] | None = None, *, repeats: int = 3, device: Device | str = Device.AUTO,
                  data_dir: PathLike | None = None, download: bool = True, threads: int | None = None,
                  jobs: int | None = None, results: PathLike | None = None, dry_run: bool = False,
                  notice: Notice | None = _stderr_notice) -> TrainingPlan:
    """The runs ``claims(ids, train=True)`` would make, the data sets found first, and the time estimate.

    The data first: a data set that is missing is downloaded now (when allowed), or fails now, not after
    the estimates. With ``dry_run`` nothing is downloaded: the plan names, for each experiment whose data
    is not here, what is missing and whether a run would download it (``TrainingPlan.missing``)."""
    from archscope.claims import CLAIMS
    from archscope.claims.training import estimate_plan, estimate_seconds, plan_jobs, plan_runs, select_claims, user_dir
    from archscope.probe.experiments import get_experiment

    _positive(repeats, "repeats")
    folder = _data_folder(data_dir)
    planned = plan_jobs(select_claims(CLAIMS, list(ids) if ids else None))
    if not planned:
        raise ArchscopeError("no training claim names an experiment archscope can run")
    missing: dict[str, str] = {}
    data: dict[str, str | None] = {}  # data set -> what is missing (None: here)
    for j in planned:
        name = get_experiment(j.experiment).config.dataset
        if name == Dataset.SYNTHETIC.value:
            continue
        if name not in data:
            data[name] = _data_here(name, folder, download, dry_run, notice)
        if data[name] is not None:
            missing[j.experiment] = data[name]  # type: ignore[assignment]
    dev = _choice(Device, device, "device").value
    estimates: dict[str, float] = {}
    cache: dict[Any, Any] = {}
    skip = bool(os.environ.get("ARCHSCOPE_NO_ESTIMATE"))  # the tests' switch: no timing run
    for j in planned:
        ests = [] if skip else [estimate_seconds(j.experiment, s, device=dev, threads=threads or 1, _cache=cache,
                                                 seeds=repeats) for s in j.settings]
        estimates[j.experiment] = float(sum(e or 0 for e in ests))
    needs: dict[str, str] = {}
    for j in planned:
        if need := get_experiment(j.experiment).needs:
            needs[j.experiment] = need
    runs, wall = None, None
    if not skip and not missing and any(estimates.values()):  # what is left to run now: saved runs resumed,
        # shorter ones read off longer ones (timed on the data, so not while a data set is missing)
        runs = plan_runs(planned, repeats=repeats, out_dir=Path(results) if results else user_dir(), device=dev,
                         data_dir=data_dir, download=download, threads=threads)
        wall = estimate_plan(runs, jobs_at_once=jobs or 1)
    return TrainingPlan(planned, repeats, estimates, needs, jobs or 1, runs, wall, missing)


def _data_here(name: str, data_dir: str | None, download: bool, dry_run: bool, notice: Notice | None) -> str | None:
    """None when data set ``name`` is here (downloaded first when it is not, allowed, and this is no dry
    run); else, in a dry run, what is missing and what a run would do about it."""
    from archscope.datasets import spec
    from archscope.datasets.store import data_home, locate, offline

    if not dry_run:
        locate(name, data_dir, download=download, notice=notice)  # a missing one fails the whole call, now
        return None
    try:
        locate(name, data_dir, download=False)
        return None
    except ArchscopeError as e:
        if data_dir is None and download and not offline() and spec(name).downloadable:
            return f"{name} is not here: a run would download it into {data_home() / name} (checksums verified)"
        return str(e)


def claims(ids: Sequence[str] | None = None, *, source: str | None = None, train: bool = False,
           repeats: int | None = None, device: Device | str | None = None, data_dir: PathLike | None = None,
           download: bool = True,
           results: PathLike | None = None, dry_run: bool = False, jobs: int | None = None,
           backend: BackendKind | str = BackendKind.LOCAL, address: str | None = None, threads: int | None = None,
           on_plan: Callable[[TrainingPlan], None] | None = None, on_run: OnRun | None = None,
           notice: Notice | None = _stderr_notice) -> ClaimsReport:
    """Every registered claim (or those with ``ids``; ``source``: those whose source or id contains the
    text) with its verdict. ``train=True`` runs the training claims' experiments first (those given by
    ``ids``, else all), saving the measurements in ``results`` (default ``$ARCHSCOPE_HOME/training``);
    ``on_plan`` sees the plan before the runs, ``dry_run`` stops there (nothing downloaded: the plan names
    the data that is missing). ``repeats`` (default 3), ``device`` (default auto), ``data_dir``, ``dry_run``,
    ``jobs``/``backend``/``address`` (where the runs go, ``archscope.probe.parallel``) and ``threads`` go with
    ``train``. The runs of this call that failed, with their causes, are the report's ``failures``."""
    from archscope.claims import CLAIMS, evaluate_all

    where = _backend(backend, jobs, address)
    if not train:
        given = [f"`{name}`" for name, v in (
            ("repeats", repeats is not None), ("device", device is not None), ("data_dir", data_dir is not None),
            ("dry_run", dry_run), ("jobs", jobs is not None),
            ("backend", _choice(BackendKind, backend, "backend") != BackendKind.LOCAL),
            ("address", address is not None), ("threads", threads is not None)) if v]
        if given:
            raise ArchscopeError(f"{' and '.join([', '.join(given[:-1]), given[-1]] if len(given) > 1 else given)} "
                                 f"{'go' if len(given) > 1 else 'goes'} with `train`")
        evals = evaluate_all(_by_ids(ids) if ids else CLAIMS, source, results)
        if not evals:
            raise ArchscopeError(f"no claim matches source {source!r}")
        return ClaimsReport(evals, full=bool(ids))
    if source is not None:
        raise ArchscopeError("`source` chooses the claims shown; with `train` name the ones to measure with `ids`")
    device = Device.AUTO if device is None else device
    _threads_effect(threads, where, device)
    return _train_claims(ids, 3 if repeats is None else repeats, device, data_dir, download, results, dry_run,
                         where, threads, on_plan, on_run, notice)


def _train_claims(ids: Sequence[str] | None, repeats: int, device: Device | str, data_dir: PathLike | None,
                  download: bool, results: PathLike | None, dry_run: bool, where: Backend, threads: int | None,
                  on_plan: Callable[[TrainingPlan], None] | None, on_run: OnRun | None,
                  notice: Notice | None) -> ClaimsReport:
    from archscope.claims import CLAIMS, evaluate_all
    from archscope.claims.training import run_jobs, select_claims, user_dir
    from archscope.outputs import check_output_dir

    _positive(repeats, "repeats")
    chosen = select_claims(CLAIMS, list(ids) if ids else None)
    out = Path(results) if results else user_dir()
    check_output_dir(out, what="`results`")
    plan = training_plan(ids, repeats=repeats, device=device, data_dir=data_dir, download=download,
                         threads=threads, jobs=where.jobs, results=out, dry_run=dry_run, notice=notice)
    if on_plan:
        on_plan(plan)
    if dry_run:  # the verdicts as measured so far
        return ClaimsReport(evaluate_all(chosen, results=out), plan=plan, results_dir=out)
    from archscope.probe.experiments import setting_label

    dev = _choice(Device, device, "device").value
    failures: list[str] = []
    _, interrupted = run_jobs(plan.jobs, repeats=repeats, device=dev, data_dir=_data_folder(data_dir),
                              download=download, out_dir=out, on_run=on_run, notice=notice, backend=where,
                              threads=threads, on_failed=lambda exp, setting, seed, error: failures.append(
                                  f"{exp} {setting_label(setting)} seed {seed}: {error}"))
    evals = evaluate_all(chosen, results=out)
    return ClaimsReport(evals, plan=plan, results_dir=out, interrupted=interrupted, failures=failures)


# ---- training -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Training:
    """The training settings the probe and the sweep share (``TrainConfig`` fields; None: the probe's
    default for the model and device). A ``recipe`` fixes all of them: give none with one."""

    steps: int | None = None  # default 200 on CPU, 300 on CUDA, or the model's own
    epochs: int | None = None  # whole passes over the training split instead of steps
    batch_size: int | None = None  # default 32 on CPU, 128 on CUDA (per rank with nproc_per_node)
    dataset: Dataset | str = Dataset.SYNTHETIC
    lr: float | None = None  # default 1e-3 Adam, 0.01 SGD, or the model's own
    optimizer: Optimizer | str = Optimizer.ADAM
    momentum: float | None = None  # SGD only; default 0.9
    weight_decay: float = 0.0
    init: Init | str = Init.DEFAULT
    scaling: Scaling | str = Scaling.STANDARDIZE
    precision: Precision | str | None = None  # default bf16 on CUDA, fp32 on CPU
    channels_last: bool | None = None  # default on for CUDA
    compile: bool = False

    def config_fields(self) -> dict[str, Any]:
        """As ``TrainConfig`` keyword arguments (Enums as their values)."""
        return {f.name: (v.value if isinstance(v := getattr(self, f.name), Enum) else v) for f in fields(self)}

    def changed(self) -> list[str]:
        """The settings given, i.e. not at their defaults, in field order."""
        default = Training()
        return [f.name for f in fields(self) if _plain(getattr(self, f.name)) != _plain(getattr(default, f.name))]


def _plain(v: object) -> object:
    return v.value if isinstance(v, Enum) else v


def _train_settings(training: Training | None, input_size: object, recipe: str | None) -> dict[str, Any]:
    """The TrainConfig fields ``training`` gives; with a recipe, which fixes its whole procedure, any given
    is an error."""
    training = training or Training()
    shape = _image_input(input_size)
    if recipe:
        given = [f"`{n}`" for n in training.changed()] + (["`input_size`"] if shape is not None else [])
        if given:
            raise ArchscopeError(f"`recipe` fixes its whole procedure; {', '.join(given)} cannot change it (run the "
                                 "model without `recipe` to try other settings)")
        return {}
    return {**training.config_fields(), "input_shape": shape}


def _probe_checks(models: Sequence[ModelLike], all_models: bool, recipe: str | None, detail: bool,
                  nproc_per_node: int | None, torchrun: bool) -> None:
    if recipe and (models or all_models):
        raise ArchscopeError("`recipe` names its own model; give no model with it")
    if not recipe and not models and not all_models:
        raise ArchscopeError("give one or more model names, `all_models`, or `recipe`")
    if nproc_per_node is not None or torchrun:
        if torchrun and nproc_per_node is not None:
            raise ArchscopeError("torchrun started this process as a rank already: give `nproc_per_node` to "
                                 "torchrun, not to archscope")
        if recipe:
            raise ArchscopeError("`recipe` runs its source's procedure in one process; data-parallel ranks would "
                                 "change its batch")
        if all_models or len(models) != 1:
            raise ArchscopeError("a data-parallel probe trains one model: give exactly one")
        if detail:
            raise ArchscopeError("`detail` times one process's step; it does not go with data-parallel ranks")


def _probe_configs(models: Sequence[ModelLike], all_models: bool, recipe: str | None, input_size: object,
                   training: Training | None, runtime: dict[str, Any], notice: Notice | None) -> list[TrainConfig]:
    from archscope.probe import TrainConfig
    from archscope.probe.experiments import get_experiment
    from archscope.zoo import list_models as _list

    settings = _train_settings(training, input_size, recipe)
    if recipe:  # a recipe fixes its model, data, procedure and schedule; only the run-time options apply
        e = get_experiment(recipe)
        if e.needs and notice:
            notice(f"{recipe}: {e.needs}")
        configs = [replace(e.config, **runtime)]
    else:
        _needs_input(models, input_size)
        names = _list() if all_models else [register(m, settings["input_shape"]) for m in models]
        configs = [TrainConfig(model=n, **settings, **runtime) for n in names]
    for c in configs:
        _training_effect(c, settings=not recipe)
        c.validate()
    return configs


def probe(models: ModelLike | Sequence[ModelLike] | None = None, *, all_models: bool = False,
          recipe: str | None = None, input_size: Shape | None = None, training: Training | None = None,
          device: Device | str = Device.AUTO, data_dir: PathLike | None = None, download: bool = True,
          seed: int = 0, detail: bool = False, save: PathLike | None = None, nproc_per_node: int | None = None,
          output: PathLike | None = None, on_model: Callable[[str], None] | None = None,
          on_window: OnWindow | None = None, notice: Notice | None = _stderr_notice) -> ProbeRuns:
    """Train briefly and check each model learns; measure throughput, memory and MFU.

    ``recipe``: a source's experiment, its whole procedure (no model, no ``training``). A user's model needs
    ``input_size`` (C, H, W). ``save``: the trained weights (one model); ``nproc_per_node``: data-parallel
    ranks here; ``output``: the JSON results written there too. Ctrl-C keeps what finished (``interrupted``)."""
    from archscope.outputs import check_output_file, write_atomic
    from archscope.probe import run
    from archscope.probe.distributed import RanksLost, in_torchrun, probe_distributed, rank_probe
    from archscope.probe.experiments import get_experiment

    given = [] if models is None else [models] if isinstance(models, str) or is_module(models) \
        else list(models)  # type: ignore[arg-type]
    given = [check_model(m, "models") for m in given]
    torchrun = in_torchrun()
    _probe_checks(given, all_models, recipe, detail, nproc_per_node, torchrun)
    if output:
        check_output_file(output, what="`output`")
    if save:
        check_output_file(save, what="`save`")
    runtime: dict[str, Any] = dict(device=_choice(Device, device, "device").value, download=download,
                                   data_dir=_data_folder(data_dir), detail=detail, seed=seed)
    configs = _probe_configs(given, all_models, recipe, input_size, training, runtime, notice)
    if save and len(configs) != 1:
        raise ArchscopeError("`save` writes one model's weights: give exactly one model")
    lead = not torchrun or os.environ.get("RANK", "0") == "0"  # under torchrun only rank 0 shows and writes
    window = on_window if lead else None
    results, interrupted, lost = [], False, None
    try:
        for cfg in configs:
            if on_model and lead:
                on_model(recipe or cfg.model)
            if torchrun:
                r = rank_probe(cfg, save=save, on_window=window, notice=notice)
            elif nproc_per_node is not None:
                r = probe_distributed(cfg, nproc_per_node, save=save, on_window=window, notice=notice)
            else:
                r = run(cfg, save=save, on_window=window, notice=notice)
            if r is None:  # a rank other than 0: rank 0 reports
                return ProbeRuns([], detail, lead=False)
            if recipe:
                r.notes.append(f"recipe {recipe}: {get_experiment(recipe).title}")
            results.append(r)
            if r.interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:  # between runs
        interrupted = True
    except RanksLost as e:  # a rank died: what the others finished is kept (and written), then the error
        lost = e
        results += [e.result] if e.result is not None else []
    runs = ProbeRuns(results, detail, interrupted)
    if output:
        write_atomic(output, (runs.render("json") + "\n").encode())
    if lost is not None:
        raise lost
    return runs


def _sweep_factors(knob: str | Mapping[str, Sequence[Any]] | None,
                   values: Sequence[Any] | None) -> dict[str, list[Any]]:
    if knob is None:
        return {}
    if isinstance(knob, str):
        if values is None or isinstance(values, str) or not len(values):
            raise ArchscopeError(f"`values`: give the values of {knob} to try, e.g. [0.01, 0.1]")
        return {knob: list(values)}
    if values is not None:
        raise ArchscopeError("`values` goes with one `knob` name; a mapping of knobs holds its own values")
    return {k: list(v) for k, v in knob.items()}


def sweep(model: ModelLike | None = None, knob: str | Mapping[str, Sequence[Any]] | None = None,
          values: Sequence[Any] | None = None, *, grid: bool = False, repeats: int | None = None,
          recipe: str | None = None, input_size: Shape | None = None, training: Training | None = None,
          device: Device | str = Device.AUTO, data_dir: PathLike | None = None, download: bool = True,
          threads: int | None = None, seed: int = 0, jobs: int | None = None,
          backend: BackendKind | str = BackendKind.LOCAL, address: str | None = None, output: PathLike | None = None,
          on_run: OnRun | None = None, notice: Notice | None = _stderr_notice) -> Sweep:
    """Ablation sweep: probe runs per setting and repeat (seeds seed..seed+repeats-1), mean ± std, best marked.

    ``knob`` and ``values``: what to vary, a training setting (lr, batch_size, epochs, steps, optimizer,
    weight_decay, momentum, init, scaling) or a builder knob (a reference's parameter); or a mapping of
    several, varied one at a time (``grid``: every combination). ``recipe``: a source's ablation instead.
    ``output``: a folder for sweep.json, sweep.md and one SVG chart per varied key."""
    from archscope.outputs import check_output_dir
    from archscope.probe import TrainConfig
    from archscope.probe.experiments import EXPERIMENTS
    from archscope.probe.sweep import run_sweep

    where = _backend(backend, jobs, address)
    if output:
        check_output_dir(output, what="`output`")
    factors = _sweep_factors(knob, values)
    _threads_effect(threads, where, device)
    runtime: dict[str, Any] = dict(device=_choice(Device, device, "device").value, download=download,
                                   data_dir=_data_folder(data_dir), threads=threads)
    settings = None
    if recipe:
        if recipe not in EXPERIMENTS or not EXPERIMENTS[recipe].factors:
            ablations = [k for k, e in EXPERIMENTS.items() if e.factors]
            raise ArchscopeError(f"unknown sweep recipe {recipe!r}; recipes: {', '.join(ablations)}")
        if model or factors:
            raise ArchscopeError("`recipe` fixes the model and what it varies; give neither with it")
        _train_settings(training, input_size, recipe)
        e = EXPERIMENTS[recipe]
        factors, settings = e.factors, None if e.settings is None else list(e.settings)
        cfg = replace(e.config, **runtime)
        repeats = e.repeats if repeats is None else repeats
    else:
        if not model:
            raise ArchscopeError("give a model name (or `recipe`)")
        if not factors:
            raise ArchscopeError("give at least one `vary` KEY=V1,V2,...")
        model = check_model(model)
        _needs_input([model], input_size)
        if is_module(model) and not where.serial:  # other processes cannot see this process's module
            raise ArchscopeError("an nn.Module object runs in this process only: leave `jobs` and `backend` at their "
                                 "defaults, or pass a module:callable reference")
        fixed = _train_settings(training, input_size, None)
        cfg = TrainConfig(model=register(model, fixed["input_shape"]), **fixed, **runtime)
    _training_effect(cfg, list(factors), settings=not recipe)
    cfg.validate()
    if grid and (settings is not None or len(factors) < 2):
        raise ArchscopeError("`grid` runs every combination of two or more varied keys; "
                             + (f"{recipe} compares its own settings" if settings is not None else
                                "with one, one at a time is the same plan"))
    result = run_sweep(cfg, factors, grid=grid, repeats=3 if repeats is None else repeats, seed=seed,
                       settings=settings, on_run=on_run, notice=notice, backend=where)
    written = _write_sweep(result, Path(output)) if output else []
    return Sweep(result, written)


def _write_sweep(result: Any, out: Path) -> list[Path]:
    import json

    from archscope.outputs import write_atomic
    from archscope.render.sweep import render_markdown, write_charts

    write_atomic(out / "sweep.json", (json.dumps(result.to_dict(), indent=2, default=str) + "\n").encode())
    write_atomic(out / "sweep.md", render_markdown(result).encode())
    return [out / "sweep.json", out / "sweep.md", *write_charts(result, out)]


def cam(model: ModelLike, images: Sequence[PathLike] | None = None, *, weights: PathLike | None = None,
        method: CamMethod | str = "both", layer: str | None = None, dataset: Dataset | str = Dataset.SYNTHETIC,
        data_dir: PathLike | None = None, count: int | None = None, input_size: Shape | None = None,
        seed: int | None = None, spread: float | None = None, upsample: Upsample | str = Upsample.aligned,
        output: PathLike | None = None, show: int | None = None) -> CamMaps:
    """CAM / Grad-CAM heat maps of a trained model on ``images`` (files), else on ``dataset``, and the
    pointing game where the objects' positions are known (the synthetic set).

    ``model`` with ``weights`` (from ``probe(save=...)`` or a saved state dict), or a trained ``nn.Module``
    (its own weights). ``layer``: Grad-CAM's layer (default the last convolutional block); ``output``: a
    folder for cam.png, gradcam.png, cam.json and cam.md (``show`` images drawn in each grid, default 16).
    ``count`` images scored (default 256); the synthetic set's ``seed`` (default 1000) and ``spread`` (default
    0.7). Each of these goes with the data it is about: one given where it changes nothing is refused."""
    from archscope.explain.diagnose import run_cam, write_outputs
    from archscope.options import CamMethod
    from archscope.outputs import check_output_dir

    model = check_model(model)
    if output is not None:
        check_output_dir(output, what="`output`")
    shape = _image_input(input_size)
    mth = _choice(CamMethod, method, "method").value
    data = _choice(Dataset, dataset, "dataset").value
    _cam_effect(images, mth, layer, data, data_dir, count, seed, spread, output, show)
    show = 16 if show is None else _positive(show, "show")
    if weights is None and not is_module(model):
        raise ArchscopeError(f"{display_name(model)} builds an untrained model: give `weights` (from probe's `save`, "
                             "or a saved state dict), or pass the trained nn.Module itself")
    if weights is None:
        _needs_input([model], input_size)
    name = register(model, shape)
    report = run_cam(name, None if weights is None else str(weights), method=mth, layer=layer, dataset=data,
                     data_dir=_data_folder(data_dir), images=None if images is None else [str(p) for p in images],
                     count=256 if count is None else count, seed=1000 if seed is None else seed, input_shape=shape,
                     upsample=_choice(Upsample, upsample, "upsample").value, spread=0.7 if spread is None else spread)
    written = write_outputs(report, Path(output), show) if output is not None else []
    return CamMaps(report, written)


def _cam_effect(images: Sequence[PathLike] | None, method: str, layer: str | None, dataset: str,
               data_dir: PathLike | None, count: int | None, seed: int | None, spread: float | None,
               output: PathLike | None, show: int | None) -> None:
    """Refuse a cam option that would change nothing with the data and method given."""
    synthetic = dataset == Dataset.SYNTHETIC.value
    if images:
        given = [f"`{n}`" for n, v in (("dataset", not synthetic), ("data_dir", data_dir), ("count", count),
                                       ("seed", seed), ("spread", spread)) if v is not None and v is not False]
        if given:
            raise ArchscopeError(f"{', '.join(given)}: {'they choose' if len(given) > 1 else 'it chooses'} the "
                                 "images of a data set; with `images` every file given is used")
    elif not synthetic and (seed is not None or spread is not None):
        raise ArchscopeError("`seed` and `spread` make the synthetic images; a real `dataset` has its own")
    elif synthetic and data_dir is not None:
        raise ArchscopeError("`data_dir` is where a real `dataset` is found (mnist, fashion-mnist or cifar10); "
                             "the synthetic set is generated")
    if method == "cam" and layer is not None:
        raise ArchscopeError("`layer` is Grad-CAM's; CAM reads the maps its global pooling averages")
    if show is not None and output is None:
        raise ArchscopeError("`show` is how many images each PNG grid draws: it goes with `output`")


# ---- data ---------------------------------------------------------------------------------------

def data_list(data_dir: PathLike | None = None) -> DataSets:
    """The real data sets the recipes use: where each is found (``data_dir`` first, the cache
    ``$ARCHSCOPE_HOME/data``, the system's packages), its size and whether its checksums verified."""
    from archscope.datasets import status

    return DataSets(status(_data_folder(data_dir)))


def data_fetch(name: str, *, mirror: str | None = None,
               progress: Callable[[str, int, int | None], None] | None = None) -> Path:
    """Download a data set into the cache (checksums verified, each file held to its published size;
    ``mirror``: another base URL); its folder. ``progress(file, done_bytes, total_bytes)`` follows it."""
    from archscope.datasets import fetch

    return Path(fetch(name, mirror=mirror, progress=progress))


__all__ = ["InputSize", "ModelLike", "Training", "catalog", "cam", "claims", "compare", "data_fetch", "data_list",
           "diagram", "diff", "get_model", "info", "list_models", "probe", "report", "summary", "sweep",
           "training_plan"]
