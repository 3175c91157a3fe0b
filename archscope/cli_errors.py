"""The command line's errors and messages, in one place: library errors become one line on stderr and an exit
status (``handle_errors``), each argument a library error names (`` `input_size` ``) shown as the flag that
gives it (``--input``, from ``FLAGS``), click's usage errors become one line with the hint, and a user
model's prints are kept off stdout. ``archscope.cli`` holds the commands."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import typer

from archscope.errors import ArchscopeError

try:  # typer vendors click as typer._click (0.2x on); before, it used click itself
    from typer._click import exceptions as usage
except ImportError:  # pragma: no cover
    from click import exceptions as usage  # type: ignore[no-redef]

__all__ = ["FLAGS", "NO_ARGS", "STATE", "cli_message", "fail", "handle_errors", "notice", "usage", "usage_error",
           "user_prints_to_stderr"]

STATE = {"debug": bool(os.environ.get("ARCHSCOPE_DEBUG"))}

# The one translation table: a library argument (as errors name it, `input_size`) -> the flag that gives it.
FLAGS = {
    "a": "MODEL_A", "address": "--address", "all_models": "--all", "args": "--arg", "args_a": "--arg-a",
    "args_b": "--arg-b", "b": "MODEL_B",
    "backend": "--backend", "baseline": "--baseline", "batch": "--batch", "batch_size": "--batch-size",
    "build_device": "--build-device",
    "channels_last": "--channels-last", "compile": "--compile", "count": "--count", "crosscheck": "--crosscheck",
    "data_dir": "--data-dir", "dataset": "--dataset", "depth": "--depth", "detail": "--detail", "device": "--device",
    "download": "--no-download", "dry_run": "--dry-run", "dtype": "--dtype", "epochs": "--epochs",
    "format": "--format", "frozen": "--frozen", "grid": "--grid", "heat": "--heat", "ids": "--claim",
    "images": "--images",
    "init": "--init", "input_shape": "--input", "input_size": "--input", "jobs": "--jobs", "knob": "--vary",
    "layer": "--layer", "level": "--level", "lr": "--lr", "method": "--method", "mirror": "--mirror",
    "model": "MODEL", "models": "MODELS", "momentum": "--momentum", "nproc_per_node": "--nproc-per-node",
    "optimizer": "--optimizer", "order": "--order", "out_dir": "-o", "output": "-o", "precision": "--precision",
    "recipe": "--recipe",
    "repeats": "--repeats", "results": "--results", "save": "--save", "scaling": "--scaling", "seed": "--seed",
    "show": "--show", "source": "--source", "spread": "--spread", "steps": "--steps", "threads": "--threads",
    "train": "--train", "upsample": "--upsample", "values": "--vary", "vary": "--vary",
    "weight_decay": "--weight-decay", "weights": "--weights",
}


def cli_message(text: str) -> str:
    """A library message as the CLI shows it: `arg` -> its flag (names not in FLAGS keep their quotes)."""
    return re.sub(r"`([a-z_]+)`", lambda m: FLAGS.get(m[1], m[0]), text)


def notice(text: str) -> None:
    typer.echo(f"archscope: {cli_message(text)}", err=True)


def fail(message: str, code: int) -> None:
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


F = TypeVar("F", bound=Callable[..., Any])


@overload
def handle_errors(fn: F) -> F: ...
@overload
def handle_errors(fn: None = None, *, bug_code: int = 1) -> Callable[[F], F]: ...
def handle_errors(fn: F | None = None, *, bug_code: int = 1) -> Any:
    """The one place library errors turn into exit codes: 2 for bad input
    (an ``ArchscopeError``, memory exhausted, a file that cannot be written),
    ``bug_code`` (1) for a bug. ``--debug`` adds the traceback and keeps the exit code.
    ``diff`` uses exit 1 for "different", as diff(1) does, so its bugs exit 2."""
    if fn is None:
        return functools.partial(handle_errors, bug_code=bug_code)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):  # a closed pipe: main() ends quietly
            raise
        except ArchscopeError as e:
            if STATE["debug"]:
                traceback.print_exc()
            fail(cli_message(str(e)), 2)
        except Exception as e:  # a bug, unless _known_failure knows it: say so in one line
            if STATE["debug"]:
                traceback.print_exc()
            known = _known_failure(e)
            if known:
                fail(known, 2)
            fail(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)", bug_code)

    return wrapper


@contextlib.contextmanager
def user_prints_to_stderr() -> Iterator[None]:
    """A user's model may print(); stdout carries archscope's results (-f json), so its prints go to stderr."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


# `archscope` alone shows the help (click >= 8.2 raises this for it)
NO_ARGS = getattr(usage, "NoArgsIsHelpError", ())


def usage_error(app: typer.Typer, e: usage.UsageError, args: list[str] | None) -> str:
    """Click's usage error (its usage line, its hint and its message: three lines) as one line: the
    message and the hint."""
    text = " ".join(e.format_message().split()).rstrip(".")
    text = text.replace(": Value error, ", ": ")  # typer's value checks prefix their message so
    text = text[:1].lower() + text[1:] if text[1:2].islower() else text
    return f"{text}; try '{_command_path(app, e, args)} --help'"


def _command_path(app: typer.Typer, e: usage.UsageError, args: list[str] | None) -> str:
    """The command the error is about (click leaves its context out of some parsing errors): the
    command words of the line, as far as they name commands."""
    if e.ctx is not None and e.ctx.command_path != "archscope":
        return e.ctx.command_path
    words, cmd = ["archscope"], typer.main.get_command(app)
    for a in sys.argv[1:] if args is None else args:
        subs = getattr(cmd, "commands", {})
        if a in subs:
            words.append(a)
            cmd = subs[a]
        elif not a.startswith("-"):
            break
    return " ".join(words)
