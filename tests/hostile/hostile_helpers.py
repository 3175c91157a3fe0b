"""Helpers of the hostile suite (issue 26): the CLI as a user runs it (a
subprocess with real signals and real exit codes), its one-line-error rule,
and the processes it starts, found in /proc (independently of archscope)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from archscope.cli import main; main()"]


def cli_env(**extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def one_line_error(stderr: str) -> str:
    """The rule of the README: an error is one line on stderr, never a traceback. Off a terminal a run
    logs its progress on stderr too, one "[done/total] ..." line a tenth (issue 28): those are not the
    error and are left out."""
    lines = [line for line in stderr.splitlines() if line.strip() and not re.match(r"\[[\d,]+/[\d,]+\] ", line)]
    assert len(lines) == 1 and lines[0].startswith("archscope: error: "), stderr
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    return lines[0]


def children(pid: int) -> list[tuple[int, bytes]]:
    """The processes whose parent is ``pid`` (Linux /proc), in the order they started."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            start = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: start time in clock ticks
            out.append((start, int(d.name), cmd))
    return [(p, cmd) for _, p, cmd in sorted(out)]


def rank_pids(pid: int) -> list[int]:
    """The data-parallel ranks a probe started: its children that multiprocessing's spawn
    started (not its resource tracker), in the order they started, which is rank order."""
    return [p for p, cmd in children(pid) if b"spawn_main" in cmd]


def process_state(pid: int) -> str | None:
    """'R', 'S', 'T' (stopped), 'Z' (zombie)... or None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def wait_for(predicate, timeout: float, what: str, step: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = predicate()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Command:
    """One CLI run in its own session (so a test that fails leaves no process behind)."""

    def __init__(self, args, cwd, env):
        self.p = subprocess.Popen(CLI + list(args), cwd=cwd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)

    def finish(self, timeout: float):
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.p.communicate()
            raise AssertionError(f"still running after {timeout:.0f} s; stderr: {err[-2000:]}") from None
        return self.p.returncode, out, err

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
