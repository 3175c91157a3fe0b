"""The one exception type the library raises for bad input.

The CLI converts it, once, at the edge into a one-line message on stderr and
exit status 2 (see ``archscope.cli``)."""


class ArchscopeError(Exception):
    """A user-facing error: its message is one line that says what to do."""


class UnknownModelError(ArchscopeError, KeyError):
    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown model {name!r}{hint} (see 'archscope list')")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.args[0]
