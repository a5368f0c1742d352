"""The package's own exception types: the CLI maps them to a one-line message and an exit code.

Each package raises its own subclass where the difference matters (``SpecError``,
``ModelError``, ``MeasureError``, ...); the two here are shared by several packages.
"""

from __future__ import annotations


class CoachError(Exception):
    """A user-facing problem: bad input, missing file, unusable model.

    The message is one line that says what is wrong and what to do.
    ``exit_code`` is what the CLI exits with (2 = usage / input error).
    """

    exit_code: int = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(CoachError):
    """A file or option the user gave cannot be used (missing, unreadable, malformed)."""


class OutputError(CoachError):
    """An output file or folder cannot be written (no permission, disk full, ...)."""
