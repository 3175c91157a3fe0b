"""Test isolation: no test reaches the internet or reads a user's cache, and
the two xdist workers of a two-core CI machine use one thread (one core) each."""

import pytest
import torch

torch.set_num_threads(1)


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
