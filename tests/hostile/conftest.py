"""Fixtures of the hostile suite (issue 26); the helpers are in hostile_helpers.py."""

import pytest

from hostile_helpers import Command


@pytest.fixture
def command():
    started = []

    def start(args, cwd, env):
        c = Command(args, cwd, env)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()
        c.p.wait(10)
