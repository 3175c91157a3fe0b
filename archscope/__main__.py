"""The process's entry point: the ``archscope`` console script and ``python -m archscope``.

Tiny on purpose: it installs the SIGTERM handler (``archscope.interrupts``) and
only then imports the CLI, whose modules take a noticeable time to load
(typer, rich; torch for the commands that compute). Ctrl-C or SIGTERM while
they load is a quiet exit with status 130 or 143, not a traceback.
"""

import os
import sys

from archscope import interrupts


def _quiet_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError, KeyboardInterrupt):
            pass
    os._exit(code)


def main() -> None:
    interrupts.install()
    try:
        with interrupts.loading():
            from archscope.cli import main as cli_main
    except KeyboardInterrupt:  # while the modules loaded: nothing had started
        _quiet_exit(interrupts.status())
    if interrupts.received():  # a signal Python swallowed inside the import (interrupts.loading)
        _quiet_exit(interrupts.status())
    cli_main()


if __name__ == "__main__":  # python -m archscope
    main()
