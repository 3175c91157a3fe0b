"""``$ARCHSCOPE_HOME``: the one folder archscope keeps its own files in (the data
sets' cache under ``data/``, a user's training measurements under ``training/``).

Read here and nowhere else. Unset, it is ``archscope`` in the XDG cache folder:
``$XDG_CACHE_HOME/archscope``, else ``~/.cache/archscope`` (the XDG Base Directory
specification's default for ``XDG_CACHE_HOME``)."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "ARCHSCOPE_HOME"


def archscope_home() -> Path:
    """``$ARCHSCOPE_HOME``, else ``$XDG_CACHE_HOME/archscope``, else ``~/.cache/archscope``."""
    home = os.environ.get(ENV)
    if home:
        return Path(home)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "archscope"


__all__ = ["ENV", "archscope_home"]
