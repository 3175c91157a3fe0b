"""The command line: thin Typer commands that parse, call the library, render.

Errors are converted once, here: an ``ArchscopeError`` becomes one line on
stderr and exit status 2; any other exception is reported as an internal
error (exit 1) with a hint to rerun with ``--debug`` for the traceback.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import traceback
import warnings
from enum import Enum
from typing import Annotated, Optional

import typer

from archscope import __version__
from archscope.errors import ArchscopeError

app = typer.Typer(
    name="archscope",
    help="Understand CNN architectures: the classic zoo, exact costs, claims checked.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": bool(os.environ.get("ARCHSCOPE_DEBUG"))}


class Format(str, Enum):  # tables of rows (summary, list): CSV too
    table = "table"
    markdown = "markdown"
    json = "json"
    csv = "csv"


class OutputFormat(str, Enum):  # what claims, compare, diff, probe, cam and data list print
    table = "table"
    markdown = "markdown"
    json = "json"


class Source(str, Enum):
    paper = "paper"
    torchvision = "torchvision"
    keras = "keras"
    d2l = "d2l"
    tutorial = "tutorial"


# the training choices are the config's own Enums (one definition, checked in one place)
from archscope.probe.config import Dataset as DatasetName  # noqa: E402
from archscope.probe.config import Device  # noqa: E402
from archscope.probe.config import Init as InitName  # noqa: E402
from archscope.probe.config import Optimizer as OptimizerName  # noqa: E402
from archscope.probe.config import Precision as PrecisionName  # noqa: E402
from archscope.probe.config import Scaling as ScalingName  # noqa: E402
from archscope.probe.parallel import BackendKind  # noqa: E402


def _val(v):
    return v.value if isinstance(v, Enum) else v


def _recipe_names() -> str:
    from archscope.probe.experiments import EXPERIMENTS

    return ", ".join(EXPERIMENTS)


def _notice(text: str) -> None:
    typer.echo(f"archscope: {text}", err=True)


def _fail(message: str, code: int) -> None:
    lines = str(message).strip().splitlines()
    typer.echo(f"archscope: error: {lines[0] if lines else message}", err=True)  # one line, always
    raise typer.Exit(code)


def _known_failure(e: Exception) -> str | None:
    """The message for an exception that is the environment's or the input's
    doing, not a bug: memory exhausted, a file that cannot be written."""
    import errno

    text = str(e)
    if isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and re.search(
            r"can't allocate memory|not enough memory|out of memory|DefaultCPUAllocator", text)):
        first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
        return f"out of memory ({first}); give a smaller --batch, --input or --count"
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT,
                                              errno.EISDIR, errno.ENOTDIR):
        return f"{e.filename or 'a file'}: {e.strerror}"
    return None


def handle_errors(fn=None, *, bug_code: int = 1):
    """The one place library errors turn into exit codes: 2 for bad input
    (an ``ArchscopeError``, memory exhausted, a file that cannot be written),
    ``bug_code`` (1) for a bug. ``--debug`` adds the traceback and keeps the exit code.
    ``diff`` uses exit 1 for "different", as diff(1) does, so its bugs exit 2."""
    if fn is None:
        return functools.partial(handle_errors, bug_code=bug_code)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except ArchscopeError as e:
            if _state["debug"]:
                traceback.print_exc()
            _fail(str(e), 2)
        except Exception as e:  # a bug, unless _known_failure knows it: say so in one line
            if _state["debug"]:
                traceback.print_exc()
            known = _known_failure(e)
            if known:
                _fail(known, 2)
            _fail(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)", bug_code)

    return wrapper


@contextlib.contextmanager
def _user_prints_to_stderr():
    """A user's model may print(); stdout carries archscope's results (-f json), so its prints go to stderr."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archscope {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug or bool(os.environ.get("ARCHSCOPE_DEBUG"))  # per invocation, never sticky
    # torch's, Pillow's and Graphviz's warnings are not archscope's messages; --debug shows them
    warnings.simplefilter("default" if _state["debug"] else "ignore")


@app.command("list")
@handle_errors
def list_cmd(
    pattern: Annotated[Optional[str], typer.Argument(help="Glob or substring, e.g. 'resnet*' or 'keras'.")] = None,
    source: Annotated[Optional[Source], typer.Option(help="Only variants from this source.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the zoo: name, family, year, source, default input and parameter count."""
    from archscope.zoo.catalog import catalog_rows

    rows = catalog_rows(pattern, source.value if source else None)
    if not rows:
        raise ArchscopeError(f"no model matches {pattern!r}")
    from archscope.render.table import render_rows

    cols = ["name", "family", "year", "source", "input_shape", "num_classes", "params"]
    typer.echo(render_rows(rows, cols, fmt.value,
                           headers=["name", "family", "year", "source", "input", "classes", "params"],
                           formatters={"params": lambda v: f"{v:,}"}))


@app.command("info")
@handle_errors
def info_cmd(
    model: Annotated[str, typer.Argument(help="A zoo name, e.g. resnet50 or vgg16.tutorial.")],
) -> None:
    """Show one entry's metadata: paper, source, default input, knobs, notes, published figures, and a variant's
    deviations from its paper's network (each one what `archscope diff` finds)."""
    from archscope.render.info import render_info
    from archscope.zoo import list_models, model_info

    info = model_info(model)
    against_paper = info.source != "paper" and info.arch != info.name and info.arch in list_models()
    typer.echo(render_info(info, against_paper))


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    float64 = "float64"


@app.command("summary")
@handle_errors
def summary_cmd(
    model: Annotated[str, typer.Argument(help="A zoo name, or module.path:callable / file.py:callable "
                                              "returning an nn.Module (then --input is required).")],
    input: Annotated[Optional[list[str]], typer.Option("--input", "-i", help="One input without the batch: "
                     "3x224x224, or 77:long for token ids; repeat it for a model with several inputs "
                     "(default: the input the variant is defined for).")] = None,
    arg: Annotated[Optional[list[str]], typer.Option("--arg", "-a", help="KEY=VALUE, a keyword argument of the "
                   "builder (a zoo variant's knob, or the callable's parameter); repeatable.")] = None,
    batch: Annotated[int, typer.Option("--batch", "-b", min=1, help="Batch size N.")] = 1,
    depth: Annotated[int, typer.Option("--depth", "-d", min=1, help="Show modules down to this depth.")] = 2,
    dtype: Annotated[DType, typer.Option(help="Parameter and activation dtype (for bytes).")] = DType.float32,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, markdown, json (exact) or csv (exact).")]
    = Format.table,
    crosscheck: Annotated[bool, typer.Option("--crosscheck", help="Also run torchinfo, fvcore and torch's "
                                             "FlopCounterMode and attribute every difference to its causes, "
                                             "with their sizes and layers (fvcore and FlopCounterMode run "
                                             "the model on the CPU).")] = False,
    frozen: Annotated[Optional[list[str]], typer.Option("--frozen", help="Glob over parameter names (or a "
                      "module's name) not trained, as in fine-tuning: no gradient, no optimizer state; "
                      "repeatable (e.g. --frozen 'layer[1-3]' --frozen stem).")] = None,
    build_device: Annotated[str, typer.Option("--build-device", help="meta (no weight allocated) or cpu: "
                            "for a constructor that reads tensor values (torchvision's RegNet); the analysis "
                            "still runs on meta.")] = "meta",
) -> None:
    """Per-layer shapes, parameters, MACs, FLOPs, memory and receptive field, on the meta device."""
    import torch

    from archscope.analysis import analyze
    from archscope.analysis.inputs import parse_args
    from archscope.render.summary import render_summary

    if crosscheck and fmt == Format.csv:
        raise ArchscopeError("--crosscheck has no CSV form: use --format table, markdown or json")
    with _user_prints_to_stderr():
        result = analyze(model, input or None, batch=batch, dtype=getattr(torch, dtype.value), args=parse_args(arg),
                         frozen=frozen or (), build_device=build_device)
    if not crosscheck:
        typer.echo(render_summary(result, fmt.value, depth))
        return
    from archscope.analysis.crosscheck import crosscheck as run_crosscheck
    from archscope.render.crosscheck import render_crosscheck, summary_json_with_crosscheck

    with _user_prints_to_stderr():
        checks = run_crosscheck(model, result, args=parse_args(arg))
    if fmt == Format.json:
        typer.echo(summary_json_with_crosscheck(result, checks))
    else:
        typer.echo(render_summary(result, fmt.value, depth) + "\n\n" + render_crosscheck(checks, fmt.value))


# ---- training: the options probe and sweep share, each spelled once -------------------------------
# Each is a TrainConfig field; ``_train_settings`` reads them into one config's keyword arguments.

StepsOpt = Annotated[Optional[int], typer.Option(help="Training steps (default 200 on CPU, 300 on CUDA, or the "
                                                 "model's own).")]
EpochsOpt = Annotated[Optional[int], typer.Option(help="Epochs over the training split instead of --steps.")]
BatchOpt = Annotated[Optional[int], typer.Option("--batch-size", help="Default 32 on CPU, 128 on CUDA (per rank "
                                                 "with --nproc-per-node).")]
DatasetOpt = Annotated[DatasetName, typer.Option(help="The training data.")]
DataDirOpt = Annotated[Optional[str], typer.Option("--data-dir", help="Folder with the data set's files (else the "
                                                   "cache, the system's copy, or a download).")]
NoDownloadOpt = Annotated[bool, typer.Option("--no-download", help="Never download a missing data set.")]
DeviceOpt = Annotated[Device, typer.Option(help="auto (CUDA when present), cuda or cpu.")]
PrecisionOpt = Annotated[Optional[PrecisionName], typer.Option(help="Default bf16 on CUDA, fp32 on CPU.")]
ChannelsLastOpt = Annotated[Optional[bool], typer.Option("--channels-last/--no-channels-last",
                                                         help="Default on for CUDA.")]
CompileOpt = Annotated[bool, typer.Option("--compile", help="torch.compile the model.")]
LrOpt = Annotated[Optional[float], typer.Option(help="Learning rate (default 1e-3 Adam, 0.01 SGD).")]
OptimizerOpt = Annotated[OptimizerName, typer.Option(help="adam, or sgd (momentum 0.9 unless --momentum).")]
MomentumOpt = Annotated[Optional[float], typer.Option(help="SGD momentum (default 0.9).")]
InitOpt = Annotated[InitName, typer.Option(help="default (the builder's), xavier_uniform (d2l's train_ch6) or "
                                           "xavier_uniform_zero_bias (Keras', MXNet's).")]
ScalingOpt = Annotated[ScalingName, typer.Option(help="Real data: standardize, or unit (pixels / 255).")]
InputOpt = Annotated[Optional[str], typer.Option("--input", "-i", help="CxHxW instead of the model's default "
                                                 "input.")]
WeightDecayOpt = Annotated[float, typer.Option("--weight-decay", help="L2 weight decay.")]

# parameter name -> (TrainConfig field, flag, default): what a --recipe fixes, and how the config is built
_TRAIN_OPTIONS = {
    "steps": ("steps", "--steps", None), "epochs": ("epochs", "--epochs", None),
    "batch_size": ("batch_size", "--batch-size", None), "dataset": ("dataset", "--dataset", DatasetName.SYNTHETIC),
    "lr": ("lr", "--lr", None), "optimizer": ("optimizer", "--optimizer", OptimizerName.ADAM),
    "momentum": ("momentum", "--momentum", None), "weight_decay": ("weight_decay", "--weight-decay", 0.0),
    "init": ("init", "--init", InitName.DEFAULT), "scaling": ("scaling", "--scaling", ScalingName.STANDARDIZE),
    "precision": ("precision", "--precision", None), "channels_last": ("channels_last", "--channels-last", None),
    "compile": ("compile", "--compile", False), "input_spec": ("input_shape", "--input", None),
}


def _train_settings(values: dict, recipe: str | None = None) -> dict:
    """The TrainConfig fields the shared options give (``values``: the
    command's parameters). With a recipe, which fixes its whole procedure,
    any of them given is an error."""
    if recipe:
        given = [flag for name, (_, flag, default) in _TRAIN_OPTIONS.items() if values[name] != default]
        if given:
            raise ArchscopeError(f"--recipe fixes its whole procedure; {', '.join(given)} cannot change it (run the "
                                 "model without --recipe to try other settings)")
        return {}
    out = {field: _val(values[name]) for name, (field, _, _) in _TRAIN_OPTIONS.items()}
    if out["input_shape"]:
        from archscope.analysis.engine import parse_input

        out["input_shape"] = tuple(parse_input(out["input_shape"]))
    return out


# where a sweep's (or claims --train's) runs go: archscope.probe.parallel
JobsOpt = Annotated[Optional[int], typer.Option(help="Runs at a time: N local worker processes (each --threads cores, "
                                                "or one GPU each), or with --backend ray at most N Ray tasks at once "
                                                "(default: as many as the cluster's resources allow). Default 1: "
                                                "one after another in this process.")]
BackendOpt = Annotated[BackendKind, typer.Option(help="local (this machine's processes) or ray (tasks on a Ray instance: "
                                         "a local one, or the cluster at --address).")]
AddressOpt = Annotated[Optional[str], typer.Option(help="With --backend ray: an existing Ray cluster ('auto' on one "
                                                   "of its nodes, or ray://HEAD:10001 through Ray Client).")]
ThreadsOpt = Annotated[Optional[int], typer.Option(help="CPU threads a run (default 1, whatever the backend: a run's "
                                                   "figures depend on its thread count).")]


def _backend(backend, jobs, address):
    from archscope.probe.parallel import Backend

    return Backend(kind=_val(backend), jobs=jobs, address=address).validate()


@app.command("claims")
@handle_errors
def claims_cmd(
    source: Annotated[Optional[str], typer.Option("--source", "-s", help="Only claims whose source or id contains "
                                                  "this text, e.g. 'article 000', 'Table 1', 'He et al.'.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    train: Annotated[bool, typer.Option("--train", help="Run the experiments of the training claims (all, or "
                                        "those given with --claim) and give their verdicts.")] = False,
    claim_ids: Annotated[Optional[list[str]], typer.Option("--claim", help="A training claim's id (repeatable); "
                                                           "with --train.")] = None,
    repeats: Annotated[int, typer.Option(help="Seeds per setting, 0..N-1 (with --train).")] = 3,
    device: Annotated[Device, typer.Option(help="With --train: auto, cpu or cuda.")] = Device.AUTO,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", help="With --train: the data set's folder (else "
                                                    "the cache, the system's copy, or a download).")] = None,
    no_download: Annotated[bool, typer.Option("--no-download", help="Never download a missing data set.")] = False,
    results: Annotated[Optional[str], typer.Option("--results", help="With --train: the folder for the "
                                                   "measurements (default $ARCHSCOPE_HOME/training).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --train: list the runs and the time estimate, "
                                          "run nothing.")] = False,
    jobs: JobsOpt = None,
    backend: BackendOpt = BackendKind.LOCAL,
    address: AddressOpt = None,
    threads: ThreadsOpt = None,
) -> None:
    """Every registered claim about the networks, with source, expected, measured and verdict.

    Training claims show the last measured verdict (with its date, device and seeds), or
    why they cannot be checked here; --train measures them. A claim that does not hold is
    a finding: the exit status is 0. It is 1 when a claim could not be evaluated because of
    an error, 130 when --train was interrupted (the finished runs are kept)."""
    from archscope.claims import CLAIMS, Verdict, evaluate_all
    from archscope.render.claims import render_evaluations, verdict_counts

    if claim_ids and not train:
        raise ArchscopeError("--claim goes with --train")
    where = _backend(backend, jobs, address)
    if not train and (jobs is not None or backend != BackendKind.LOCAL or threads is not None):
        raise ArchscopeError("--jobs, --backend and --threads go with --train")
    interrupted = False
    if train:
        interrupted, chosen = _train_claims(CLAIMS, claim_ids, repeats, _val(device), data_dir, not no_download,
                                            results, dry_run, where, threads)
        if dry_run:
            return
        evals = evaluate_all(chosen)
    else:
        evals = evaluate_all(CLAIMS, source)
    if not evals:
        raise ArchscopeError(f"no claim matches source {source!r}")
    typer.echo(render_evaluations(evals, fmt.value))
    if fmt != OutputFormat.json:
        typer.echo(f"\n{len(evals)} evaluations of {len({e.claim.id for e in evals})} claims: {verdict_counts(evals)}")
        if any(e.claim.kind == "training" and e.verdict in (Verdict.HOLDS, Verdict.DOES_NOT_HOLD) for e in evals):
            from archscope.claims.training import RULE

            typer.echo(f"training claims: a figure {RULE}")
    if interrupted:
        raise typer.Exit(130)
    if any(e.verdict is Verdict.ERROR for e in evals):
        raise typer.Exit(1)


def _train_claims(claims, ids, repeats, device, data_dir, download, results, dry_run, where, threads):
    """``claims --train``: plan, estimate, run with a progress bar."""
    import os
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from archscope.claims.training import estimate_seconds, plan_jobs, run_jobs, select_claims, user_dir
    from archscope.outputs import check_output_dir
    from archscope.probe.experiments import get_experiment, setting_label

    if not isinstance(repeats, int) or repeats < 1:
        raise ArchscopeError(f"--repeats must be a positive integer, got {repeats!r}")
    chosen = select_claims(claims, ids)
    jobs = plan_jobs(chosen)
    if not jobs:
        raise ArchscopeError("no training claim names an experiment archscope can run")
    out = Path(results) if results else user_dir()
    check_output_dir(out, what="--results")
    for j in jobs:  # the data first: a missing data set fails now, not after the estimates
        cfg = get_experiment(j.experiment).config
        if cfg.dataset != "synthetic":
            from archscope.datasets import locate

            locate(cfg.dataset, data_dir, download=download, notice=_notice)
    total = sum(len(j.settings) for j in jobs) * repeats
    typer.echo(f"{total} run(s): {repeats} seed(s) of", err=True)
    est_total, cache = 0.0, {}
    for j in jobs:
        ests = [estimate_seconds(j.experiment, s, device=device, threads=threads or 1, _cache=cache)
                for s in j.settings] \
            if not os.environ.get("ARCHSCOPE_NO_ESTIMATE") else []
        est = sum(e or 0 for e in ests)
        est_total += est * repeats
        typer.echo(f"  {j.experiment}: {'; '.join(setting_label(s) for s in j.settings)}"
                   + (f" (about {est / 60:,.1f} min a seed)" if est else "")
                   + f"; for {', '.join(j.claims[:3])}" + (f" and {len(j.claims) - 3} more" if len(j.claims) > 3 else "")
                   + (f" [{get_experiment(j.experiment).needs}]" if get_experiment(j.experiment).needs else ""),
                   err=True)
    if est_total:
        side = where.jobs or 1
        typer.echo(f"estimated time: about {est_total / 60:,.0f} min of runs on this machine (from a short timing "
                   f"run)" + (f", about {est_total / 60 / side:,.0f} min {side} at a time" if side > 1 else ""),
                   err=True)
    if dry_run:
        return False, chosen
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[status]}"), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("claims --train", total=total, status="")

        def on_run(done, n, exp, setting, rep):
            bar.update(task, completed=done, status=f"{exp} {setting_label(setting)} seed {rep}")

        _, interrupted = run_jobs(jobs, repeats=repeats, device=device, data_dir=data_dir, download=download,
                                  out_dir=out, on_run=on_run, notice=_notice, backend=where, threads=threads)
    typer.echo(f"measurements saved in {out}" + ("; interrupted: keeping the runs that finished" if interrupted
                                                 else ""), err=True)
    if results:  # the verdicts below read the default folder and the packaged one; point them at this one
        os.environ["ARCHSCOPE_TRAINING_RESULTS"] = str(out)
    return interrupted, chosen


class DataCommand(str, Enum):
    list = "list"
    fetch = "fetch"


@app.command("data")
@handle_errors
def data_cmd(
    action: Annotated[DataCommand, typer.Argument(help="list: where each data set is and whether it verified; "
                                                  "fetch: download one, checksums verified.")],
    name: Annotated[Optional[str], typer.Argument(help="fetch: mnist, fashion-mnist or cifar10.")] = None,
    mirror: Annotated[Optional[str], typer.Option("--mirror", help="fetch: a base URL to download from instead "
                                                  "of the official one.")] = None,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", help="list: also look in this folder first.")]
    = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """The real data sets the recipes use: where they are found (--data-dir, the cache
    $ARCHSCOPE_HOME/data, the system's packages) and a verified download."""
    import json as _json
    from dataclasses import asdict

    from archscope.datasets import data_home, fetch, status

    if action == DataCommand.fetch:
        if not name:
            raise ArchscopeError("data fetch needs a data set name: mnist, fashion-mnist or cifar10")
        _notice(f"downloading {name} into {data_home() / name} (checksums verified)")
        folder = fetch(name, mirror=mirror)
        typer.echo(f"{name}: {folder}")
        return
    if name:
        raise ArchscopeError("data list takes no name")
    rows = status(data_dir)
    if fmt == OutputFormat.json:
        typer.echo(_json.dumps([asdict(r) for r in rows], indent=2))
        return
    from tabulate import tabulate

    typer.echo(tabulate([[r.name, r.where or "-", r.folder, "-" if r.size_bytes is None else
                          f"{r.size_bytes / 2**20:,.1f} MiB", r.verified] for r in rows],
                        headers=["data set", "found in", "folder (or where a download goes)", "size", "checksums"],
                        tablefmt="github" if fmt == OutputFormat.markdown else "simple", disable_numparse=True))


@app.command("compare")
@handle_errors
def compare_cmd(
    models: Annotated[list[str], typer.Argument(help="Two or more zoo names (variants welcome).")],
    input: Annotated[Optional[list[str]], typer.Option("--input", "-i", help="One input for all, e.g. 3x224x224 "
                     "(repeat it for models with several inputs; default: each model's own input).")] = None,
    baseline: Annotated[Optional[str], typer.Option(help="The model ratios are taken against (default: the "
                                                    "first).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Networks side by side: totals, ratios to a baseline, where parameters and compute live, and the
    published claims about exactly these models."""
    import json as _json

    from archscope.analysis.compare import compare
    from archscope.claims import CLAIMS, evaluate_for
    from archscope.render.claims import render_evaluations
    from archscope.render.compare import render_compare

    if len(models) < 2:
        raise ArchscopeError("compare needs at least two models")
    result = compare(models, input or None, baseline)
    evals = evaluate_for(CLAIMS, models)
    if fmt == OutputFormat.json:
        typer.echo(_json.dumps({**result.to_dict(), "claims": [e.to_dict() for e in evals]}, indent=2))
        return
    typer.echo(render_compare(result, fmt.value))
    from archscope.zoo import model_info, resolve

    arch: dict[str, list[str]] = {}
    for m in models:
        if ":" not in m:
            arch.setdefault(model_info(m).arch, []).append(resolve(m))
    for names in arch.values():
        if len(names) >= 2:
            typer.echo(f"\n{names[0]} and {names[1]} are builds of one architecture: `archscope diff {names[0]} "
                       f"{names[1]}` shows where they differ, layer by layer.")
    if evals:
        typer.echo("\nClaims about these models:\n")
        typer.echo(render_evaluations(evals, fmt.value))


class Level(str, Enum):
    block = "block"
    layer = "layer"


class DiagramFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


class Heat(str, Enum):
    params = "params"
    macs = "macs"


@app.command("diff")
@handle_errors(bug_code=2)
def diff_cmd(
    model_a: Annotated[str, typer.Argument(help="A zoo name, or module.path:callable / file.py:callable "
                                                "(then --input is required).")],
    model_b: Annotated[str, typer.Argument(help="The network to compare it with, e.g. a variant of A.")],
    input: Annotated[Optional[list[str]], typer.Option("--input", "-i", help="One input for both, e.g. 3x224x224 "
                     "(repeat it for models with several inputs; default: each model's own input).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")]
    = OutputFormat.table,
) -> None:
    """Where two builds of one architecture differ, layer by layer (aligned on the traced data flow, not on
    names), and what each difference costs. Exit status: 0 the same, 1 different, 2 error."""
    import json as _json

    from archscope.analysis.diff import diff
    from archscope.render.diff import render_diff

    with _user_prints_to_stderr():
        result = diff(model_a, model_b, input or None)
    if fmt == OutputFormat.json:
        typer.echo(_json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(render_diff(result, fmt.value))
    if not result.same:
        raise typer.Exit(1)


@app.command("diagram")
@handle_errors
def diagram_cmd(
    model: Annotated[str, typer.Argument(help="A zoo name or module:callable (then give --input).")],
    level: Annotated[Level, typer.Option(help="block: one node per block, identical runs as xN; layer: every "
                                         "layer.")] = Level.block,
    input: Annotated[Optional[list[str]], typer.Option("--input", "-i", help="One input without the batch, e.g. "
                     "3x224x224 or 77:long; repeat it for a model with several inputs.")] = None,
    arg: Annotated[Optional[list[str]], typer.Option("--arg", "-a", help="KEY=VALUE, a keyword argument of the "
                   "builder; repeatable.")] = None,
    fmt: Annotated[Optional[DiagramFormat], typer.Option("--format", "-f", help="svg, png, pdf or dot (default: "
                                                         "the -o file's suffix, else svg).")] = None,
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="File to write (default: "
                                                  "MODEL-LEVEL.FORMAT).")] = None,
    heat: Annotated[Optional[Heat], typer.Option(help="Shade nodes by their share of params or MACs.")] = None,
) -> None:
    """Draw the architecture from the traced data flow: branches, merges and shortcuts as the tensors go."""
    from pathlib import Path

    from archscope.analysis import analyze
    from archscope.analysis.graph import build_graph
    from archscope.analysis.inputs import parse_args
    from archscope.outputs import check_output_dir, check_output_file
    from archscope.render.diagram import render

    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    known = suffix if suffix in DiagramFormat.__members__ else None
    if fmt is not None and known and known != fmt.value:
        raise ArchscopeError(f"-o {output} names a .{known} file but --format is {fmt.value}: give one of them, "
                             "or make them agree")
    fmt = fmt or DiagramFormat(known or "svg")
    if output:
        check_output_file(output, what="-o")
    else:
        check_output_dir(".", what="the current folder")
    with _user_prints_to_stderr():
        a = analyze(model, input or None, training_memory=False, args=parse_args(arg))
    graph = build_graph(a, level.value)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in a.model)
    path = Path(output) if output else Path(f"{safe}-{level.value}.{fmt.value}")
    render(graph, path, fmt.value, heat.value if heat else None)
    typer.echo(f"wrote {path} ({len(graph.nodes) - 2} nodes, {len(graph.edges)} edges)")


@app.command("report")
@handle_errors
def report_cmd(
    models: Annotated[Optional[list[str]], typer.Argument(help="Zoo names (or --all).")] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Every model in the zoo, plus the index, families "
                                             "and claims pages.")] = False,
    output: Annotated[str, typer.Option("-o", "--output", help="Directory to write.")] = "reports",
) -> None:
    """Markdown pages with summary, diagram and claims per model; index, families and claims pages with --all."""
    from pathlib import Path

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from archscope.outputs import check_output_dir
    from archscope.reports import generate
    from archscope.zoo import list_models, resolve

    if all_models and models:
        raise ArchscopeError("give model names or --all, not both")
    if not all_models and not models:
        raise ArchscopeError("give one or more model names, or --all")
    check_output_dir(output, what="-o")
    names = list_models() if all_models else [resolve(m) for m in models]
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("report", total=len(names))

        def step(name: str) -> None:
            bar.update(task, description=f"report {name:24s}")
            bar.advance(task) if bar.tasks[0].completed < len(names) else None

        files = generate(names, Path(output), progress=step, index=all_models)
    typer.echo(f"wrote {len(files)} files under {output}/")


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@app.command("probe")
@handle_errors
def probe_cmd(
    models: Annotated[Optional[list[str]], typer.Argument(help="Zoo names (or --all).")] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Every model in the zoo.")] = False,
    device: DeviceOpt = Device.AUTO,
    steps: StepsOpt = None,
    epochs: EpochsOpt = None,
    batch_size: BatchOpt = None,
    dataset: DatasetOpt = DatasetName.SYNTHETIC,
    data_dir: DataDirOpt = None,
    no_download: NoDownloadOpt = False,
    precision: PrecisionOpt = None,
    channels_last: ChannelsLastOpt = None,
    compile: CompileOpt = False,
    lr: LrOpt = None,
    optimizer: OptimizerOpt = OptimizerName.ADAM,
    momentum: MomentumOpt = None,
    init: InitOpt = InitName.DEFAULT,
    scaling: ScalingOpt = ScalingName.STANDARDIZE,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    recipe: Annotated[Optional[str], typer.Option(help="A source's experiment, its whole procedure (see "
                                                  "`archscope claims --train`); e.g. lenet-fmnist.")] = None,
    detail: Annotated[bool, typer.Option("--detail", help="Also time data / forward+backward / optimizer.")]
    = False,
    input_spec: InputOpt = None,
    weight_decay: WeightDecayOpt = 0.0,
    save: Annotated[Optional[str], typer.Option("--save", help="Write the trained weights here (.safetensors, or "
                                                "a torch.save state dict for any other suffix).")]
    = None,
    nproc_per_node: Annotated[Optional[int], typer.Option(
        "--nproc-per-node", help="Train with DistributedDataParallel in N processes here (NCCL on GPUs, one each; "
        "gloo on the CPU, cores shared out): images/s summed, per-rank peak memory, checks on rank 0. Several "
        "nodes: run `torchrun ... -m archscope probe` instead (see the README).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="Write the JSON results here.")] = None,
) -> None:
    """Train briefly and check the model learns; measure throughput, memory and MFU.

    Ctrl-C keeps what finished: the results so far are printed (and written with -o),
    each saying where it was interrupted, and the exit status is 130."""
    import json as _json
    from dataclasses import replace

    from rich.progress import BarColumn, Progress, TextColumn

    from archscope.outputs import check_output_file, write_atomic
    from archscope.probe import TrainConfig, run
    from archscope.probe.distributed import in_torchrun, probe_distributed, rank_probe
    from archscope.probe.experiments import get_experiment
    from archscope.render.probe import render_probe
    from archscope.zoo import list_models, resolve

    if fmt == OutputFormat.markdown:
        raise ArchscopeError("--format must be table or json")
    if recipe and (models or all_models):
        raise ArchscopeError("--recipe names its own model; give no model with it")
    if not recipe and not models and not all_models:
        raise ArchscopeError("give one or more model names, --all, or --recipe")
    torchrun = in_torchrun()
    if nproc_per_node is not None or torchrun:
        if torchrun and nproc_per_node is not None:
            raise ArchscopeError("torchrun started this process as a rank already: give --nproc-per-node to "
                                 "torchrun, not to archscope")
        if recipe:
            raise ArchscopeError("--recipe runs its source's procedure in one process; data-parallel ranks would "
                                 "change its batch")
        if all_models or len(models) != 1:
            raise ArchscopeError("a data-parallel probe trains one model: give exactly one")
        if detail:
            raise ArchscopeError("--detail times one process's step; it does not go with data-parallel ranks")
    if output:
        check_output_file(output, what="-o")
    if save:
        check_output_file(save, what="--save")
    runtime = dict(device=_val(device), data_dir=data_dir, download=not no_download, detail=detail, seed=seed)
    settings = _train_settings(locals(), recipe)
    if recipe:  # a recipe fixes its model, data, procedure and schedule; only the run-time options apply
        configs = [replace(get_experiment(recipe).config, **runtime)]
        if get_experiment(recipe).needs:
            _notice(f"{recipe}: {get_experiment(recipe).needs}")
    else:
        names = list_models() if all_models else [resolve(m) for m in models]
        configs = [TrainConfig(model=n, **settings, **runtime) for n in names]
    for c in configs:
        c.validate()
    if save and len(configs) != 1:
        raise ArchscopeError("--save writes one model's weights: give exactly one model")
    lead = not torchrun or os.environ.get("RANK", "0") == "0"  # under torchrun only rank 0 shows and writes
    results = []
    interrupted = False
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                  transient=True, console=_stderr_console(), disable=not lead) as bar:
        task = bar.add_task("probe", total=1, status="")

        def on_window(done, total, loss, ips):
            bar.update(task, completed=done, total=total,
                       status=f"loss {loss:.3f}" + (f"  {ips:,.0f} img/s" if ips else ""))

        try:
            for cfg in configs:
                bar.update(task, description=f"probe {recipe or cfg.model}", completed=0)
                if torchrun:
                    r = rank_probe(cfg, save=save, on_window=on_window, notice=_notice)
                elif nproc_per_node is not None:
                    r = probe_distributed(cfg, nproc_per_node, save=save, on_window=on_window, notice=_notice)
                else:
                    r = run(cfg, save=save, on_window=on_window, notice=_notice)
                if r is None:  # a rank other than 0: rank 0 reports
                    return
                if recipe:
                    r.notes.append(f"recipe {recipe}: {get_experiment(recipe).title}")
                results.append(r)
                if r.interrupted:
                    interrupted = True
                    break
        except KeyboardInterrupt:  # between runs
            interrupted = True
    if interrupted:
        typer.echo("interrupted: keeping the results so far", err=True)
    payload = [r.to_dict() for r in results]
    if output:
        write_atomic(output, (_json.dumps(payload, indent=2) + "\n").encode())
    typer.echo(_json.dumps(payload, indent=2) if fmt == OutputFormat.json else render_probe(results, detail))
    if interrupted:
        raise typer.Exit(130)
    if any(not r.passed for r in results):
        raise typer.Exit(1)


@app.command("sweep")
@handle_errors
def sweep_cmd(
    model: Annotated[Optional[str], typer.Argument(help="Zoo name (not with --recipe).")] = None,
    vary: Annotated[Optional[list[str]], typer.Option("--vary", help="KEY=V1,V2,...: a training setting (lr, "
                                                      "batch_size, epochs, steps, optimizer, weight_decay, momentum, "
                                                      "init, scaling) or one of the model's knobs (see `archscope "
                                                      "info`). Repeatable.")] = None,
    grid: Annotated[bool, typer.Option("--grid", help="Every combination instead of one factor at a time.")]
    = False,
    repeats: Annotated[Optional[int], typer.Option(help="Runs per setting, seeds seed..seed+N-1 (default 3; a "
                                                   "recipe's: what its source did, 10 for article 002).")] = None,
    recipe: Annotated[Optional[str], typer.Option(help="A source's ablation, e.g. lenet-fmnist-lr (article 002's "
                                                  "Table 3); `archscope claims --train` lists them.")] = None,
    dataset: DatasetOpt = DatasetName.SYNTHETIC,
    data_dir: DataDirOpt = None,
    no_download: NoDownloadOpt = False,
    device: DeviceOpt = Device.AUTO,
    steps: StepsOpt = None,
    epochs: EpochsOpt = None,
    batch_size: BatchOpt = None,
    lr: LrOpt = None,
    optimizer: OptimizerOpt = OptimizerName.ADAM,
    momentum: MomentumOpt = None,
    weight_decay: WeightDecayOpt = 0.0,
    init: InitOpt = InitName.DEFAULT,
    scaling: ScalingOpt = ScalingName.STANDARDIZE,
    precision: PrecisionOpt = None,
    channels_last: ChannelsLastOpt = None,
    compile: CompileOpt = False,
    input_spec: InputOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the first repeat.")] = 0,
    jobs: JobsOpt = None,
    backend: BackendOpt = BackendKind.LOCAL,
    address: AddressOpt = None,
    threads: ThreadsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, markdown or json.")] = Format.table,
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="Folder for sweep.json, sweep.md and "
                                                  "one SVG chart per varied key.")] = None,
) -> None:
    """Ablation sweep: probe runs per setting and repeat, mean ± std, best marked, charts.

    Runs go one after another here, side by side with --jobs N, or to Ray with --backend ray;
    the table is the same. A run that fails is recorded with its reason and the sweep goes on;
    Ctrl-C stops it, keeps (and writes) the runs that finished, and exits with status 130."""
    import json as _json
    from dataclasses import replace
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from archscope.outputs import check_output_dir, write_atomic
    from archscope.probe import TrainConfig
    from archscope.probe.experiments import EXPERIMENTS
    from archscope.probe.sweep import label, parse_vary, run_sweep
    from archscope.render.sweep import chart_files, render_markdown, render_table
    from archscope.zoo import resolve

    if fmt == Format.csv:
        raise ArchscopeError("--format must be table, markdown or json")
    where = _backend(backend, jobs, address)
    if output:
        check_output_dir(output, what="-o")
    settings, base = None, None
    runtime = dict(device=_val(device), data_dir=data_dir, download=not no_download, threads=threads)
    if recipe:
        if recipe not in EXPERIMENTS or not EXPERIMENTS[recipe].factors:
            ablations = [k for k, e in EXPERIMENTS.items() if e.factors]
            raise ArchscopeError(f"unknown sweep recipe {recipe!r}; recipes: {', '.join(ablations)}")
        if model or vary:
            raise ArchscopeError("--recipe fixes the model and what it varies; give neither with it")
        _train_settings(locals(), recipe)
        e = EXPERIMENTS[recipe]
        factors, settings = e.factors, e.settings
        cfg = replace(e.config, **runtime)
        repeats = e.repeats if repeats is None else repeats
    else:
        if not model:
            raise ArchscopeError("give a model name (or --recipe)")
        if not vary:
            raise ArchscopeError("give at least one --vary KEY=V1,V2,...")
        factors = {}
        for spec in vary:
            k, vals = parse_vary(spec)
            if k in factors:
                raise ArchscopeError(f"--vary {k} given twice")
            factors[k] = vals
        cfg = TrainConfig(model=resolve(model), **_train_settings(locals()), **runtime)
    cfg.validate()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[status]}"), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(f"sweep {cfg.model}", total=None, status="")

        def on_run(done, total, setting, rep):
            bar.update(task, completed=done, total=total,
                       status="" if setting is None else f"{label(setting)} (repeat {rep + 1})")

        result = run_sweep(cfg, factors, grid=grid, repeats=3 if repeats is None else repeats, seed=seed, base=base,
                           settings=settings, on_run=on_run, notice=_notice, backend=where)
    if result.interrupted:
        typer.echo("interrupted: keeping the runs finished so far", err=True)
    if output:
        out = Path(output)
        write_atomic(out / "sweep.json", (_json.dumps(result.to_dict(), indent=2, default=str) + "\n").encode())
        write_atomic(out / "sweep.md", render_markdown(result).encode())
        for name, svg in chart_files(result).items():
            write_atomic(out / name, svg.encode())
    if fmt == Format.json:
        typer.echo(_json.dumps(result.to_dict(), indent=2, default=str))
    elif fmt == Format.markdown:
        typer.echo(render_markdown(result))
    else:
        typer.echo(render_table(result))
    if output:
        typer.echo(f"wrote {Path(output) / 'sweep.json'}, sweep.md and {len(chart_files(result))} chart(s)", err=True)
    if result.interrupted:
        raise typer.Exit(130)
    if not any(r.mean.get("test_accuracy") is not None for r in result.rows):
        raise typer.Exit(1)


@app.command("cam")
@handle_errors
def cam_cmd(
    model: Annotated[str, typer.Argument(help="Zoo name the weights belong to.")],
    weights: Annotated[str, typer.Option("--weights", "-w", help="Trained weights (from `archscope probe --save`, "
                                         "or a state dict saved with torch.save).")],
    method: Annotated[str, typer.Option(help="cam, gradcam or both (CAM only where the network ends in global "
                                        "average pooling + one linear layer).")] = "both",
    layer: Annotated[Optional[str], typer.Option(help="Grad-CAM layer (default: the last convolutional block).")]
    = None,
    images: Annotated[Optional[list[str]], typer.Option("--images", help="Image files instead of a data set "
                                                        "(repeatable).")] = None,
    dataset: Annotated[str, typer.Option(help="synthetic (object positions known: pointing game), mnist, "
                                         "fashion-mnist or cifar10.")] = "synthetic",
    data_dir: Annotated[Optional[str], typer.Option("--data-dir")] = None,
    count: Annotated[int, typer.Option(help="Images scored.")] = 256,
    show: Annotated[int, typer.Option(help="Images drawn in each PNG grid.")] = 16,
    input_spec: Annotated[Optional[str], typer.Option("--input", "-i", help="CxHxW (default: as saved with the "
                                                      "weights, else the model's).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic images (not the training seed).")] = 1000,
    spread: Annotated[float, typer.Option(help="Synthetic objects' centres within this distance of the image "
                                          "centre (image -1..1; the probe trains with 0.3).")] = 0.7,
    upsample: Annotated[str, typer.Option(help="aligned: each map value at the centre of its receptive field "
                                          "(archscope's analysis); bilinear: plain resizing, as most tools do.")]
    = "aligned",
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = OutputFormat.table,
    output: Annotated[str, typer.Option("-o", "--output", help="Folder for cam.png, gradcam.png, cam.json, "
                                        "cam.md.")]
    = "cam-out",
) -> None:
    """CAM / Grad-CAM heat maps of a trained model, and the pointing game."""
    import json as _json
    from pathlib import Path

    from archscope.explain.diagnose import run_cam, summary_text, write_outputs
    from archscope.outputs import check_output_dir
    from archscope.zoo import resolve

    check_output_dir(output, what="-o")
    shape = None
    if input_spec:
        from archscope.analysis.engine import parse_input

        shape = parse_input(input_spec)
    if show < 1:
        raise ArchscopeError(f"--show must be a positive integer, got {show}")
    report = run_cam(resolve(model), weights, method=method, layer=layer, dataset=dataset, data_dir=data_dir,
                     images=images, count=count, seed=seed, input_shape=shape, upsample=upsample, spread=spread)
    written = write_outputs(report, Path(output), show)
    if fmt == OutputFormat.json:
        typer.echo(_json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(summary_text(report, "github" if fmt == OutputFormat.markdown else "simple"))
    typer.echo("wrote " + ", ".join(str(p) for p in written), err=True)


def main() -> None:
    """Console-script entry point.

    Ends the process with ``os._exit`` once stdout and stderr are flushed:
    tearing down an interpreter that imported torch takes 0.3-0.4 s on a
    2-core machine (measured: median 1.65 s for ``python -c "import torch"``
    against 1.28 s with ``os._exit``), and a command has nothing left to clean
    up by then — every file it writes is closed (and atomically renamed)
    before it returns."""
    if sys.stdout is None:  # started with stdout closed (`archscope list >&-`): nowhere to write the results
        if sys.stderr is not None:
            print("archscope: error: standard output is closed", file=sys.stderr, flush=True)
        os._exit(2)
    for stream in (sys.stdout, sys.stderr):  # a name with a lone surrogate prints as its escape
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    code = 0
    try:
        app(prog_name="archscope")
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            code = 1
        else:
            code = e.code or 0
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (BrokenPipeError, ValueError, OSError):  # e.g. `archscope list | head`
            code = code or 1
    os._exit(code)


if __name__ == "__main__":  # python -m archscope.cli
    sys.exit(main())
