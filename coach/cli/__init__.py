"""The `coach` command line: the one entry point (the `coach` console script and
`python -m coach` both call :func:`main`). Only this package prints and exits.

Every user mistake ends in one line on stderr, `coach: error: ...`, and a non-zero exit
code (2 bad input, 3 unusable model, 4 screening blocks, 130 interrupted); never a
traceback. Each command lives in a small module (exercises, replay, live, session, tune,
eval, synth) with a ``register(subparsers, lang_default)`` and its ``cmd_*`` handlers;
the work itself is done by the packages they call.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from coach import __version__
from coach.cli import eval as eval_cmd
from coach.cli import exercises, live, replay, session, synth, tune
from coach.cli.common import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, err
from coach.errors import CoachError
from coach.i18n import default_lang

# Commands that run the model or a long job: MediaPipe's native log lines are kept off the terminal.
_HEAVY = ("replay", "live", "session", "tune", "measure", "eval", "calibrate")


def build_parser() -> argparse.ArgumentParser:
    lang_default = default_lang()
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A pose-checking back-mobility coach: watches you through a camera and corrects your form.",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (exercises, replay, live, eval_cmd, synth, session, tune):
        module.register(sub, lang_default)
    return parser


def _silence_native_logs() -> None:
    """Keep MediaPipe's native log lines (TFLite / absl, written straight to fd 2) off the
    user's terminal, while Python's own stderr (our messages, warnings) still shows.

    Python's sys.stderr moves to a duplicate of the real stderr; fd 2 goes to /dev/null.
    Set COACH_NATIVE_LOGS=1 to see the native lines.
    """
    if os.environ.get("COACH_NATIVE_LOGS") == "1" or getattr(sys.stderr, "_coach_rerouted", False):
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    stream = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                       errors="backslashreplace")
    os.dup2(devnull, 2)
    os.close(devnull)
    stream._coach_rerouted = True  # type: ignore[attr-defined]
    sys.stderr = stream


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) in _HEAVY and sys.stderr is sys.__stderr__:  # a real process, not a test
        _silence_native_logs()
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args.func(args) or 0)
    except CoachError as exc:
        err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        from coach import i18n

        print("\ncoach: " + i18n.t("cli.stopped_ctrl_c", getattr(args, "lang", None) or default_lang()),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return EXIT_OK

