"""The one exception type of the ``chainrule`` command: a user error, shown as one line."""

__all__ = ["CLIError"]


class CLIError(Exception):
    """A mistake of the user (bad option, missing file or data): printed as
    ``chainrule: error: <message>`` with no traceback, exit status 2."""
