"""Presentation: turns plain result data into tables, markdown and diagrams.
Nothing here computes a number.

Tables are laid out one column per character, whatever else is installed:
tabulate counts East Asian wide characters (the claims quote 左右, 约) as two
columns when the optional ``wcwidth`` package is importable, which Jupyter's
``prompt_toolkit`` installs, so the same command would print (and
``archscope report`` write) other bytes in a notebook environment. The
committed reports are laid out without it."""

import tabulate as _tabulate

_tabulate.WIDE_CHARS_MODE = False
