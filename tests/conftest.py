"""Test isolation: no test reaches the internet or reads a user's cache, and
the two xdist workers of a two-core CI machine use one thread (one core) each."""

import signal

import pytest
import torch

torch.set_num_threads(1)

# The Ctrl-C tests send SIGINT (to this process or to the commands they start). A suite started in the
# background of a non-interactive shell (`make test &`, `setsid ... &`, some CI runners) inherits SIGINT
# ignored, and so would every process it starts: Python then installs no KeyboardInterrupt handler, those
# tests fail, and one of them (tests/test_distributed.py, a probe of 100,000 steps that a Ctrl-C ends) runs
# on for many minutes. Restored here, in the pytest process and in each xdist worker (each loads this file),
# and the processes the tests start inherit Python's handler's default (a caught signal is reset on exec).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    # archscope's cache and measurements in a fresh folder; downloads off (a test that
    # downloads turns them back on against its own 127.0.0.1 server)
    home = tmp_path_factory.mktemp("archscope-home")
    monkeypatch.setenv("ARCHSCOPE_HOME", str(home))
    monkeypatch.setenv("ARCHSCOPE_OFFLINE", "1")
    # one CPU slot per worker, from lock files the workers share (archscope.probe.cpus)
    monkeypatch.setenv("ARCHSCOPE_THREADS", "1")
    monkeypatch.setenv("ARCHSCOPE_LOCK_DIR", str(tmp_path_factory.getbasetemp().parent / "archscope-cpus"))
