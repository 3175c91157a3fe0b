"""The one exception type the library raises for bad input.

A message names the argument it is about as the Python keyword, in backquotes
(`` `input_size` must be ... ``): what a caller of ``archscope.api`` passes. The
CLI converts the error once, at the edge, into a one-line message on stderr and
exit status 2, showing each argument as its flag (``--input``) through one
translation table (``archscope.cli.FLAGS``)."""


class ArchscopeError(Exception):
    """A user-facing error: its message is one line that says what to do."""


class UnknownModelError(ArchscopeError, KeyError):
    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown model {name!r}{hint} (see 'archscope list')")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0])


class MissingDependency(ArchscopeError, ImportError):
    """An optional extra is not installed; the message says which to install."""
