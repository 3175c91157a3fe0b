"""archscope: understand CNN architectures — what they are, what they cost,
whether what is written about them is true, and whether they train.

The package root stays light (no torch import) so that ``archscope --version``
and ``archscope list`` start fast; the zoo is imported on first use.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "list_models", "get_model", "model_info", "ArchscopeError"]

from archscope.errors import ArchscopeError


def __getattr__(name):  # PEP 562: lazy access to the zoo API
    if name in ("list_models", "get_model", "model_info"):
        from archscope import zoo

        return getattr(zoo, name)
    raise AttributeError(f"module 'archscope' has no attribute {name!r}")
