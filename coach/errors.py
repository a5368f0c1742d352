"""The package's own exception type: the CLI maps it to a one-line message and exit code."""

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
