"""Issue 26, items 22 and 10: the command line's own errors.

Item 22: a usage error (a bad choice, a number out of range, an unknown option or
command, a missing argument) was click's three lines (usage, hint, error); the
contract of the README is one line on stderr and exit 2, here with click's hint.

Item 10: an option accepted and then silently ignored (`data list --mirror`,
`sweep --threads 100` on 2 cores, ...). The class: every option of every command
either changes what the command does in every mode it can be given in, or is
refused (one line, exit 2) in the modes where it would change nothing. The
table at the end classifies every option of every command, read from the CLI's
own command tree, so an option added later without a decision fails here.

The cases run in this process through ``archscope.cli.run`` (the function the
console script runs, without its ``os._exit``); two run as a real process."""

import os
import subprocess
import sys

import pytest
import typer
from hostile_helpers import cli_env

from archscope import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(capsys, *args):
    code = cli.run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("archscope: error: ") and "Traceback" not in err, err
    return lines[0]


# ---- item 22: usage errors are one line with the hint ------------------------------------------------

# (command line, what the line must say, the command whose --help the hint names)
USAGE = [
    (["list", "--format", "xml"], "'xml' is not one of", "archscope list"),
    (["list", "-f"], "requires an argument", "archscope list"),
    (["list", "--nosuch"], "no such option: --nosuch", "archscope list"),
    (["list", "--source", "nosuch"], "'nosuch' is not one of", "archscope list"),
    (["nosuch"], "no such command 'nosuch'", "archscope"),
    (["--nosuch"], "no such option: --nosuch", "archscope"),
    (["info", "resnet18", "extra"], "unexpected extra argument", "archscope info"),
    (["info"], "missing argument", "archscope info"),
    (["summary"], "missing argument", "archscope summary"),
    (["summary", "lenet5", "--batch", "0"], "--batch", "archscope summary"),
    (["summary", "lenet5", "--batch", "x"], "--batch", "archscope summary"),
    (["summary", "lenet5", "--depth", "0"], "--depth", "archscope summary"),
    (["summary", "lenet5", "--dtype", "float8"], "'float8' is not one of", "archscope summary"),
    (["summary", "lenet5", "--order", "sideways"], "'sideways' is not one of", "archscope summary"),
    (["compare"], "missing argument", "archscope compare"),
    (["diff", "lenet5"], "missing argument", "archscope diff"),
    (["diagram", "lenet5", "--level", "bogus"], "'bogus' is not one of", "archscope diagram"),
    (["diagram", "lenet5", "--heat", "bogus"], "'bogus' is not one of", "archscope diagram"),
    (["report", "--all=3"], "does not take a value", "archscope report"),
    (["probe", "lenet5", "--device", "tpu"], "'tpu' is not one of", "archscope probe"),
    (["probe", "lenet5", "--steps", "x"], "--steps", "archscope probe"),
    (["probe", "lenet5", "--lr", "abc"], "--lr", "archscope probe"),
    (["probe", "lenet5", "--optimizer", "rmsprop"], "'rmsprop' is not one of", "archscope probe"),
    (["probe", "lenet5", "--init", "bogus"], "'bogus' is not one of", "archscope probe"),
    (["sweep", "lenet5", "--backend", "slurm"], "'slurm' is not one of", "archscope sweep"),
    (["claims", "--repeats", "x"], "--repeats", "archscope claims"),
    (["cam", "lenet5"], "missing option '--weights'", "archscope cam"),
    (["data", "bogus"], "no such command 'bogus'", "archscope data"),
    (["data", "fetch"], "missing argument", "archscope data fetch"),
    # item 10: each data command has only its own options
    (["data", "list", "--mirror", "http://127.0.0.1:1/"], "no such option: --mirror", "archscope data list"),
    (["data", "fetch", "mnist", "--data-dir", "/tmp"], "no such option: --data-dir", "archscope data fetch"),
    (["data", "fetch", "mnist", "--format", "json"], "no such option: --format", "archscope data fetch"),
]


@pytest.mark.parametrize("args, says, where", USAGE, ids=[" ".join(a) for a, _, _ in USAGE])
def test_a_usage_error_is_one_line_with_the_hint(capsys, args, says, where):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "", (out, err)
    line = one_line(err)
    assert says in line, line
    assert line.endswith(f"try '{where} --help'"), line  # the hint click gave on a line of its own
    assert "Usage:" not in err and "Error:" not in err


def test_a_usage_error_is_one_line_in_a_real_process():
    for args in (["list", "--format", "xml"], ["summary", "lenet5", "--batch", "0"]):
        p = subprocess.run([sys.executable, "-m", "archscope", *args], capture_output=True, text=True,
                           env=cli_env(), cwd=ROOT, timeout=120)
        assert p.returncode == 2 and p.stdout == "", p
        one_line(p.stderr)


def test_no_arguments_still_show_the_help(capsys):
    for args in ([], ["data"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and "Usage: archscope" in out + err and "Commands:" in out + err


def test_help_and_version_still_exit_0(capsys):
    assert run(capsys, "--version")[0] == 0
    code, out, _ = run(capsys, "data", "list", "--help")
    assert code == 0 and "--data-dir" in out and "--mirror" not in out


# ---- item 10: an option that would change nothing is refused ----------------------------------------

def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "a.png").write_bytes(b"")
    return tmp_path


# (the option refused, the command line, what the one line must say); {d}: a folder that exists, {f}: a file,
# {n}: a path that does not exist, {t}: more threads than this process has cores
SWEEP = ["sweep", "lenet5", "--vary", "lr=0.1,0.2"]
CAM_FILES = ["cam", "lenet5", "-w", "{f}", "--images", "{d}/../a.png"]
IGNORED = [
    # data list's folder is looked in first: one that is not a folder is said so
    ("--data-dir", ["data", "list", "--data-dir", "{n}"], "--data-dir {n} does not exist"),
    ("--data-dir", ["data", "list", "--data-dir", "{f}"], "--data-dir {f} is not a folder"),
    ("--data-dir", ["probe", "lenet5", "--dataset", "mnist", "--data-dir", "{f}"], "--data-dir {f} is not a folder"),
    # threads: the issue's case (100 threads on 2 cores ran 4x slower), and a CUDA run, which uses none
    ("--threads", [*SWEEP, "--threads", "{t}"], "--threads {t} is more than the"),
    ("--threads", [*SWEEP, "--threads", "1", "--device", "cuda"], "--threads"),
    ("--threads", ["claims", "--train", "--dry-run", "--threads", "{t}"], "--threads {t} is more than the"),
    # claims: the training options without --train, the filter of the shown claims with it
    ("--repeats", ["claims", "--repeats", "2"], "--repeats goes with --train"),
    ("--device", ["claims", "--device", "cpu"], "--device goes with --train"),
    ("--data-dir", ["claims", "--data-dir", "{d}"], "--data-dir goes with --train"),
    ("--dry-run", ["claims", "--dry-run"], "--dry-run goes with --train"),
    ("--jobs", ["claims", "--jobs", "2"], "--jobs goes with --train"),
    ("--threads", ["claims", "--threads", "1", "--repeats", "2"], "--repeats and --threads go with --train"),
    ("--source", ["claims", "--train", "--source", "article 002"], "--source"),
    # probe and sweep: settings the run would not use
    ("--momentum", ["probe", "lenet5", "--momentum", "0.5"], "--momentum is SGD's"),
    ("--scaling", ["probe", "lenet5", "--scaling", "unit"], "--scaling"),
    ("--data-dir", ["probe", "lenet5", "--data-dir", "{d}"], "--data-dir is where a real --dataset is found"),
    ("--momentum", [*SWEEP, "--momentum", "0.5"], "--momentum is SGD's"),
    ("--momentum", ["sweep", "lenet5", "--vary", "momentum=0.5,0.9"], "--momentum is SGD's"),
    ("--scaling", ["sweep", "lenet5", "--vary", "scaling=unit,standardize"], "--scaling"),
    ("--data-dir", [*SWEEP, "--data-dir", "{d}"], "--data-dir is where a real --dataset"),
    ("--grid", [*SWEEP, "--grid"], "--grid"),
    # summary: the table's depth and order where the output has every layer
    ("--depth", ["summary", "lenet5", "-f", "json", "--depth", "1"], "--depth"),
    ("--depth", ["summary", "lenet5", "-f", "csv", "--depth", "3"], "--depth"),
    ("--order", ["summary", "lenet5", "-f", "json", "--order", "definition"], "--order"),
    # summary: the constructor's device, for a zoo model (always built on meta)
    ("--build-device", ["summary", "lenet5", "--build-device", "cpu"], "--build-device cpu is for a module:callable"),
    # report: --input is for a model not in the zoo
    ("--input", ["report", "lenet5", "--input", "1x32x32", "-o", "{d}/r"], "--input is for a model not in the zoo"),
    ("--input", ["report", "--all", "--input", "3x32x32", "-o", "{d}/r"], "--input is for a model not in the zoo"),
    # cam: what chooses a data set's images, with files given; the synthetic set's knobs on real data
    ("--count", [*CAM_FILES, "--count", "3"], "--count"),
    ("--dataset", [*CAM_FILES, "--dataset", "mnist"], "--dataset"),
    ("--seed", [*CAM_FILES, "--seed", "3"], "--seed"),
    ("--spread", [*CAM_FILES, "--spread", "0.1"], "--spread"),
    ("--seed", ["cam", "lenet5", "-w", "{f}", "--dataset", "mnist", "--seed", "3"], "--seed and --spread"),
    ("--spread", ["cam", "lenet5", "-w", "{f}", "--dataset", "mnist", "--spread", "0.1"], "--seed and --spread"),
    ("--data-dir", ["cam", "lenet5", "-w", "{f}", "--data-dir", "{d}"], "--data-dir is where a real --dataset"),
    ("--layer", ["cam", "lenet5", "-w", "{f}", "--method", "cam", "--layer", "features"], "--layer is Grad-CAM's"),
]


def _fill(items, paths):
    return [str(a).format(d=paths / "folder", f=paths / "file", n=paths / "nowhere", t=_cores() + 1)
            for a in items]


@pytest.mark.parametrize("option, args, says", IGNORED, ids=[" ".join(a) for _, a, _ in IGNORED])
def test_an_option_that_would_change_nothing_is_refused(capsys, paths, monkeypatch, option, args, says):
    monkeypatch.setenv("ARCHSCOPE_NO_ESTIMATE", "1")  # claims --train --dry-run: no timing run
    code, out, err = run(capsys, *_fill(args, paths))
    assert code == 2, (out, err)
    line = one_line(err)
    assert _fill([says], paths)[0] in line, line
    assert not (paths / "folder" / "r").exists()  # refused before any work


def test_the_same_options_where_they_apply_are_taken(capsys, paths):
    # the other side of each rule above: not a blanket refusal
    code, out, err = run(capsys, "data", "list", "--data-dir", paths / "folder", "-f", "json")
    assert code == 0, err
    code, out, err = run(capsys, "summary", "lenet5", "--depth", "1", "--order", "definition")
    assert code == 0 and "rows in definition order" in out, err
    code, out, err = run(capsys, "summary", "lenet5", "-f", "csv", "--order", "definition")
    assert code == 0 and out.startswith("name,"), err
    code, out, err = run(capsys, "claims", "--source", "article 000")
    assert code == 0, err
    code, out, err = run(capsys, "sweep", "lenet5", "--vary", "lr=0.1,0.2", "--optimizer", "sgd", "--momentum",
                         "0.5", "--threads", "1", "--steps", "0")
    assert code == 2 and "--steps must be a positive integer" in one_line(err)  # past the momentum and threads rules


# Every option of every command, classified. REFUSED: the options the IGNORED table refuses in some mode.
# ALWAYS: options that act in every mode they are accepted in (or are refused in the others by checks older
# than issue 26: --jobs/--backend/--address without Ray or --train, --recipe with training settings, ...),
# with the reason. A new option must be put in one or the other.
ALWAYS = {
    "list": {"PATTERN", "--source", "--format"},
    "info": {"MODEL"},
    "summary": {"MODEL", "--input", "--arg", "--batch", "--dtype", "--format",
                "--crosscheck",  # --crosscheck with csv: refused before (no CSV form)
                "--frozen"},  # the training FLOPs and memory, in every format; a pattern matching nothing refused
    "claims": {"--format", "--train", "--results",
               "--claim",  # without --train the claims shown in full, with it the ones measured
               "--backend", "--address",  # --address without ray: refused before; --backend needs --train (table)
               "--no-download"},  # a promise (nothing is downloaded), kept in every mode
    "compare": {"MODELS", "--input", "--baseline", "--format"},
    "diff": {"MODEL_A", "MODEL_B", "--input", "--format", "--arg", "--arg-a", "--arg-b"},
    "diagram": {"MODEL", "--level", "--input", "--arg", "--format", "-o", "--heat"},
    "report": {"MODELS", "--all", "-o"},
    # probe: with --recipe every training setting and --input are refused (older check); --detail with ranks,
    # --save with several models and -f markdown too
    "probe": {"MODELS", "--all", "--device", "--steps", "--epochs", "--batch-size", "--dataset", "--no-download",
              "--precision", "--channels-last", "--compile", "--lr", "--optimizer", "--init", "--seed", "--recipe",
              "--detail", "--input", "--weight-decay", "--save", "--nproc-per-node", "--format", "-o"},
    "sweep": {"MODEL", "--vary", "--repeats", "--recipe", "--dataset", "--no-download", "--device", "--steps",
              "--epochs", "--batch-size", "--lr", "--optimizer", "--weight-decay", "--init", "--precision",
              "--channels-last", "--compile", "--input", "--seed", "--jobs", "--backend", "--address", "--format",
              "-o"},
    "cam": {"MODEL", "--weights", "--input", "--upsample", "--format", "-o",
            "--show",  # the CLI always writes its PNG grids (-o has a default); the api refuses it without output
            "--images", "--method"},
    "data list": {"--format"},
    "data fetch": {"NAME", "--mirror"},
}


def _options():
    root = typer.main.get_command(cli.app)
    found = {}

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            if hasattr(sub, "commands"):
                walk(sub, [*path, name])
                continue
            found[" ".join([*path, name])] = {p.opts[0] if p.param_type_name == "option" else p.name.upper()
                                              for p in sub.params if p.name != "help"}

    walk(root, [])
    return found


def test_every_option_of_every_command_is_classified():
    refused: dict[str, set] = {}
    for option, args, _ in IGNORED:
        command = " ".join(args[:2]) if args[0] == "data" else args[0]
        refused.setdefault(command, set()).add(option)
    for command, options in _options().items():
        known = ALWAYS.get(command, set()) | refused.get(command, set())
        unclassified = options - known
        assert not unclassified, f"{command}: {sorted(unclassified)} neither refused where they change nothing " \
                                 "(IGNORED) nor listed as acting in every mode (ALWAYS)"
