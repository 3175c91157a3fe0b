"""What the CLI's commands parse: their options and arguments, each declared once
(Typer's ``Annotated`` form, the help text beside it), and the parsers that turn
the command line's strings into the api's values (``3x224x224`` -> ``(3, 224, 224)``).

``archscope.cli`` holds the commands; this module holds no logic beyond parsing.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from archscope.errors import ArchscopeError
from archscope.options import (
    BackendKind,
    BuildDevice,
    Dataset,
    Device,
    DiagramFormat,
    DType,
    Format,
    Heat,
    Init,
    LayerOrder,
    Level,
    Optimizer,
    OutputFormat,
    Precision,
    Scaling,
    Source,
)

if TYPE_CHECKING:
    from archscope.api import Training

# ---- shared by several commands ---------------------------------------------------------------------
TableFormat = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
Output = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")]
PlainOutput = Annotated[OutputFormat, typer.Option("--format", "-f")]
Inputs = Annotated[list[str] | None, typer.Option("--input", "-i", help="One input without the batch: "
                   "3x224x224, or 77:long for token ids; repeat it for a model with several inputs "
                   "(default: the input the variant is defined for).")]
SharedInput = Annotated[list[str] | None, typer.Option("--input", "-i", help="One input for all, e.g. "
                        "3x224x224 (repeat it for models with several inputs; default: each model's own input).")]
Arg = Annotated[list[str] | None, typer.Option("--arg", "-a", help="KEY=VALUE, a keyword argument of the "
                "builder (a zoo variant's knob, or the callable's parameter); repeatable.")]
UserModel = Annotated[str, typer.Argument(help="A zoo name, or module.path:callable / file.py:callable "
                                               "returning an nn.Module (then --input is required).")]
Models = Annotated[list[str] | None, typer.Argument(help="Zoo names or module:callable / file.py:callable "
                                                            "references (then --input is required), or --all.")]
All = Annotated[bool, typer.Option("--all", help="Every model in the zoo.")]
ImageInput = Annotated[str | None, typer.Option("--input", "-i", help="CxHxW instead of the model's default "
                                                   "input (required for a model not in the zoo).")]
DataDir = Annotated[str | None, typer.Option("--data-dir", help="Folder with the data set's files (else the "
                                                "cache, the system's copy, or a download).")]
NoDownload = Annotated[bool, typer.Option("--no-download", help="Never download a missing data set.")]

# ---- list, summary, diff, diagram, report -------------------------------------------------------------
Pattern = Annotated[str | None, typer.Argument(help="Glob or substring, e.g. 'resnet*' or 'keras'.")]
SourceFilter = Annotated[Source | None, typer.Option(help="Only variants from this source.")]
ZooName = Annotated[str, typer.Argument(help="A zoo name, e.g. resnet50 or vgg16.tutorial.")]
Batch = Annotated[int, typer.Option("--batch", "-b", min=1, help="Batch size N.")]
Depth = Annotated[int | None, typer.Option("--depth", "-d", min=1, help="Show modules down to this depth (default 2; "
                                           "the table's: json and csv give every layer).")]
Order = Annotated[LayerOrder | None, typer.Option("--order", help="Rows in 'call' order (as the forward runs them, "
                                                "the default) or 'definition' order (as the model declares them); "
                                                "table, markdown and csv.")]
DiffArg = Annotated[list[str] | None, typer.Option("--arg", "-a", help="KEY=VALUE, a builder knob for both sides; "
                                                   "repeatable.")]
ArgA = Annotated[list[str] | None, typer.Option("--arg-a", help="KEY=VALUE, a builder knob for A only.")]
ArgB = Annotated[list[str] | None, typer.Option("--arg-b", help="KEY=VALUE, a builder knob for B only: `diff "
                                                "googlenet googlenet --arg-b reductions=False` compares a model with "
                                                "its what-if.")]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="Parameter and activation dtype (for bytes).")]
SummaryFormat = Annotated[Format, typer.Option("--format", "-f", help="table, markdown, json (exact) or csv "
                                               "(exact).")]
Crosscheck = Annotated[bool, typer.Option("--crosscheck", help="Also run torchinfo, fvcore and torch's "
                                          "FlopCounterMode and attribute every difference to its causes, with their "
                                          "sizes and layers (fvcore and FlopCounterMode run the model on the CPU).")]
Frozen = Annotated[list[str] | None, typer.Option("--frozen", help="Glob over parameter names (or a module's name) "
                   "not trained, as in fine-tuning: no gradient, no optimizer state; changes the training FLOPs and "
                   "memory only; repeatable (e.g. --frozen 'layer[1-3]' --frozen conv1).")]
BuildDeviceOpt = Annotated[BuildDevice, typer.Option("--build-device", help="meta (no weight allocated) or cpu: for "
                           "a constructor that reads tensor values (torchvision's RegNet); the analysis still runs "
                           "on meta.")]
CompareModels = Annotated[list[str], typer.Argument(help="Two or more zoo names (variants welcome) or "
                                                         "module:callable references.")]
Baseline = Annotated[str | None, typer.Option(help="The model ratios are taken against (default: the first).")]
ModelA = Annotated[str, typer.Argument(help="A zoo name, or module.path:callable / file.py:callable (then --input "
                                            "is required).")]
DiffInput = Annotated[list[str] | None, typer.Option("--input", "-i", help="One input for both, e.g. 3x224x224 "
                      "(repeat it for models with several inputs; default: each model's own input).")]
ModelB = Annotated[str, typer.Argument(help="The network to compare it with, e.g. a variant of A.")]
DiagramModel = Annotated[str, typer.Argument(help="A zoo name or module:callable (then give --input).")]
LevelOpt = Annotated[Level, typer.Option("--level", help="block: one node per block, identical runs as xN; layer: "
                                         "every layer.")]
DiagramInputs = Annotated[list[str] | None, typer.Option("--input", "-i", help="One input without the batch, "
                          "e.g. 3x224x224 or 77:long; repeat it for a model with several inputs.")]
DiagramArg = Annotated[list[str] | None, typer.Option("--arg", "-a", help="KEY=VALUE, a keyword argument of the "
                       "builder; repeatable.")]
DiagramFormatOpt = Annotated[DiagramFormat | None, typer.Option("--format", "-f", help="svg, png, pdf or dot "
                             "(default: the -o file's suffix, else svg).")]
DiagramOutput = Annotated[str | None, typer.Option("-o", "--output", help="File to write (default: "
                          "MODEL-LEVEL.FORMAT).")]
HeatOpt = Annotated[Heat | None, typer.Option("--heat", help="Shade nodes by their share of params or MACs.")]
ReportAll = Annotated[bool, typer.Option("--all", help="Every model in the zoo, plus the index, families and claims "
                                         "pages.")]
ReportOutput = Annotated[str, typer.Option("-o", "--output", help="Directory to write.")]

# ---- training: the options probe and sweep share, each an api.Training field ---------------------------
Steps = Annotated[int | None, typer.Option(help="Training steps (default 200 on CPU, 300 on CUDA, or the "
                                              "model's own).")]
Epochs = Annotated[int | None, typer.Option(help="Epochs over the training split instead of --steps.")]
BatchSize = Annotated[int | None, typer.Option("--batch-size", help="Default 32 on CPU, 128 on CUDA (per rank "
                                                  "with --nproc-per-node).")]
DatasetOpt = Annotated[Dataset, typer.Option("--dataset", help="The training data.")]
DeviceOpt = Annotated[Device, typer.Option("--device", help="auto (CUDA when present), cuda or cpu.")]
PrecisionOpt = Annotated[Precision | None, typer.Option("--precision", help="Default bf16 on CUDA, fp32 on CPU.")]
ChannelsLast = Annotated[bool | None, typer.Option("--channels-last/--no-channels-last",
                                                      help="Default on for CUDA.")]
Compile = Annotated[bool, typer.Option("--compile", help="torch.compile the model.")]
Lr = Annotated[float | None, typer.Option(help="Learning rate (default 1e-3 Adam, 0.01 SGD).")]
OptimizerOpt = Annotated[Optimizer, typer.Option("--optimizer", help="adam, or sgd (momentum 0.9 unless "
                                                 "--momentum).")]
Momentum = Annotated[float | None, typer.Option(help="SGD momentum (default 0.9).")]
InitOpt = Annotated[Init, typer.Option("--init", help="default (the builder's), xavier_uniform (d2l's train_ch6) "
                                       "or xavier_uniform_zero_bias (Keras', MXNet's).")]
ScalingOpt = Annotated[Scaling, typer.Option("--scaling", help="Real data: standardize, or unit (pixels / 255).")]
WeightDecay = Annotated[float, typer.Option("--weight-decay", help="L2 weight decay.")]
# probe
Seed = Annotated[int, typer.Option(help="Random seed.")]
Recipe = Annotated[str | None, typer.Option(help="A source's experiment, its whole procedure (see `archscope "
                                               "claims --train`); e.g. lenet-fmnist.")]
Detail = Annotated[bool, typer.Option("--detail", help="Also time data / forward+backward / optimizer.")]
Save = Annotated[str | None, typer.Option("--save", help="Write the trained weights here (.safetensors, or a "
                                             "torch.save state dict for any other suffix).")]
NprocPerNode = Annotated[int | None, typer.Option(
    "--nproc-per-node", help="Train with DistributedDataParallel in N processes here (NCCL on GPUs, one each; gloo "
    "on the CPU, cores shared out): images/s of all the ranks, per-rank peak memory, checks on rank 0. Several "
    "nodes: run `torchrun ... -m archscope probe` instead (see the README).")]
ProbeFormat = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")]
ProbeOutput = Annotated[str | None, typer.Option("-o", "--output", help="Write the JSON results here.")]
# sweep
SweepModel = Annotated[str | None, typer.Argument(help="A zoo name or module:callable / file.py:callable "
                                                          "reference (then --input is required); not with --recipe.")]
Vary = Annotated[list[str] | None, typer.Option("--vary", help="KEY=V1,V2,...: a training setting (lr, batch_size, "
                                                   "epochs, steps, optimizer, weight_decay, momentum, init, scaling) "
                                                   "or one of the model's knobs (see `archscope info`). Repeatable.")]
Grid = Annotated[bool, typer.Option("--grid", help="Every combination instead of one factor at a time.")]
Repeats = Annotated[int | None, typer.Option(help="Runs per setting, seeds seed..seed+N-1 (default 3; a recipe's: "
                                                "what its source did, 10 for article 002).")]
SweepRecipe = Annotated[str | None, typer.Option("--recipe", help="A source's ablation, e.g. lenet-fmnist-lr "
                                                    "(article 002's Table 3); `archscope claims --train` lists them.")]
SweepSeed = Annotated[int, typer.Option("--seed", help="Seed of the first repeat.")]
SweepOutput = Annotated[str | None, typer.Option("-o", "--output", help="Folder for sweep.json, sweep.md and one "
                                                    "SVG chart per varied key.")]
# where a sweep's (or claims --train's) runs go: archscope.probe.parallel
Jobs = Annotated[int | None, typer.Option(help="Runs at a time: N local worker processes (each --threads cores, or "
                                             "one GPU each), or with --backend ray at most N Ray tasks at once "
                                             "(default: as many as the cluster's resources allow). Default 1: one "
                                             "after another in this process.")]
Backend = Annotated[BackendKind, typer.Option("--backend", help="local (this machine's processes) or ray (tasks on "
                                              "a Ray instance: a local one, or the cluster at --address).")]
Address = Annotated[str | None, typer.Option(help="With --backend ray: an existing Ray cluster ('auto' on one of "
                                                "its nodes, or ray://HEAD:10001 through Ray Client).")]
Threads = Annotated[int | None, typer.Option(help="CPU threads a run (default 1, whatever the backend: a run's "
                                                "figures depend on its thread count).")]

# ---- cam -----------------------------------------------------------------------------------------------
CamModel = Annotated[str, typer.Argument(help="The zoo name or module:callable reference the weights belong to.")]
Weights = Annotated[str, typer.Option("--weights", "-w", help="Trained weights (from `archscope probe --save`, or a "
                                      "state dict saved with torch.save).")]
Method = Annotated[str, typer.Option(help="cam, gradcam or both (CAM only where the network ends in global average "
                                     "pooling + one linear layer).")]
Layer = Annotated[str | None, typer.Option(help="Grad-CAM layer (default: the last convolutional block).")]
Images = Annotated[list[str] | None, typer.Option("--images", help="Image files instead of a data set "
                                                     "(repeatable).")]
CamDataset = Annotated[str, typer.Option("--dataset", help="synthetic (object positions known: pointing game), "
                                         "mnist, fashion-mnist or cifar10.")]
CamDataDir = Annotated[str | None, typer.Option("--data-dir", help="A real --dataset's folder.")]
Count = Annotated[int | None, typer.Option(help="Images of the data set scored (default 256).")]
Show = Annotated[int | None, typer.Option(help="Images drawn in each PNG grid (default 16).")]
CamInput = Annotated[str | None, typer.Option("--input", "-i", help="CxHxW (default: as saved with the weights, "
                                                 "else the model's).")]
CamSeed = Annotated[int | None, typer.Option("--seed", help="Seed of the synthetic images (default 1000; not the "
                                                 "training seed).")]
Spread = Annotated[float | None, typer.Option(help="Synthetic objects' centres within this distance of the image "
                                              "centre (image -1..1; default 0.7; the probe trains with 0.3).")]
UpsampleOpt = Annotated[str, typer.Option("--upsample", help="aligned: each map value at the centre of its receptive "
                                          "field (archscope's analysis); bilinear: plain resizing, as most tools do.")]
CamOutput = Annotated[str, typer.Option("-o", "--output", help="Folder for cam.png, gradcam.png, cam.json, cam.md.")]

# ---- claims and data -------------------------------------------------------------------------------------
ClaimSource = Annotated[str | None, typer.Option("--source", "-s", help="Only claims whose source or id contains "
                                                    "this text, e.g. 'article 000', 'Table 1', 'He et al.'.")]
Train = Annotated[bool, typer.Option("--train", help="Run the experiments of the training claims (all, or those "
                                     "given with --claim) and give their verdicts.")]
ClaimIds = Annotated[list[str] | None, typer.Option("--claim", help="A claim's id (repeatable): shows that claim in "
                                                       "full (every field, its rule, the other builds); with --train, "
                                                       "the training claims to measure.")]
ClaimRepeats = Annotated[int | None, typer.Option("--repeats", help="With --train: seeds per setting, 0..N-1 "
                                                   "(default 3).")]
TrainDevice = Annotated[Device | None, typer.Option("--device", help="With --train: auto (the default), cpu or "
                                                       "cuda.")]
TrainDataDir = Annotated[str | None, typer.Option("--data-dir", help="With --train: the data set's folder (else "
                                                     "the cache, the system's copy, or a download).")]
Results = Annotated[str | None, typer.Option("--results", help="The folder of your training measurements (default "
                                                "$ARCHSCOPE_HOME/training), merged run by run with the shipped "
                                                "ones; --train saves there.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="With --train: list the runs and the time estimate, run "
                                      "nothing.")]


DataName = Annotated[str, typer.Argument(help="mnist, fashion-mnist or cifar10.")]
Mirror = Annotated[str | None, typer.Option("--mirror", help="A base URL to download from instead of the "
                                               "official one.")]
DataListDir = Annotated[str | None, typer.Option("--data-dir", help="Also look in this folder first.")]
DataFormat = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")]


# ---- the parsers: the command line's strings -> the api's values --------------------------------------------

def input_sizes(specs: list[str] | None) -> Any:
    """--input 3x224x224 (repeatable; 77:long for token ids) -> the api's input sizes."""
    from archscope.analysis.inputs import parse_spec

    return [parse_spec(s) for s in specs] if specs else None


def image_size(spec: str | None) -> tuple[int, ...] | None:
    """--input CxHxW -> (C, H, W)."""
    from archscope.analysis.inputs import parse_input

    return None if spec is None else tuple(parse_input(spec))


def builder_args(items: list[str] | None) -> dict[str, Any]:
    """--arg KEY=VALUE (repeatable) -> the builder's keyword arguments."""
    from archscope.analysis.inputs import parse_args

    return dict(parse_args(items))


def vary(specs: list[str] | None) -> dict[str, list[Any]] | None:
    """--vary KEY=V1,V2 (repeatable) -> {KEY: [V1, V2]}."""
    from archscope.probe.sweep import parse_vary

    factors: dict[str, list[Any]] = {}
    for spec in specs or ():
        k, vals = parse_vary(spec)
        if k in factors:
            raise ArchscopeError(f"`vary` {k} given twice")
        factors[k] = vals
    return factors or None


def training(values: dict[str, Any]) -> Training:
    """The training options (probe's and sweep's, named as ``api.Training``'s fields) from a command's values."""
    from dataclasses import fields

    from archscope.api import Training

    return Training(**{f.name: values[f.name] for f in fields(Training)})


class Bar:
    """A transient progress bar on stderr, started by its first update (a process that reports
    nothing, e.g. a torchrun rank other than 0, shows none). ``columns``: "bar", "m/n", "elapsed",
    "bytes", "speed", or a rich TextColumn format. ``terminal_only``: no bar when stderr is not a terminal
    (off a terminal rich prints a stray empty line)."""

    def __init__(self, *columns: str, terminal_only: bool = False) -> None:
        self.columns: tuple[str, ...] = columns
        self.terminal_only = terminal_only
        self.progress: Any = None
        self.task: Any = None

    def update(self, **fields: Any) -> None:
        if self.progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TransferSpeedColumn,
            )

            kinds = {"bar": BarColumn, "m/n": MofNCompleteColumn, "elapsed": TimeElapsedColumn,
                     "bytes": DownloadColumn, "speed": TransferSpeedColumn}
            cols = [kinds[c]() if c in kinds else TextColumn(c) for c in self.columns]
            console = Console(stderr=True)
            self.progress = Progress(*cols, transient=True, console=console,
                                     disable=self.terminal_only and not console.is_terminal)
            # the task exists with every field of the first update before the bar first draws
            first = {"description": "", "total": None, "status": "", "left": "", **fields}
            self.task = self.progress.add_task(**first)
            self.progress.start()
            return
        self.progress.update(self.task, **fields)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()
