"""Writing files so that a crash, a kill or a full disk never leaves half of one.

    atomic_write(path, b"...")                       # bytes
    atomic_write(path, "text")                       # str, written as UTF-8
    atomic_write(path, lambda fh: np.savez(fh, ...)) # anything that writes to a binary file

The data goes to a temporary file in the same folder (``.<name>.<random>.tmp``, created
user-only), is flushed and fsynced, gets ``mode`` and is renamed over ``path``; the
folder is fsynced so the rename itself survives a power cut. A reader sees the old file or
the whole new one. On any failure (also Ctrl-C) the temporary file is removed and the
exception (an ``OSError`` for the file system's problems) goes to the caller, who knows
what to tell the user.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from coach.errors import CoachError, OutputError


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[BinaryIO], object],
                 mode: int = 0o600) -> Path:
    """Write ``data`` to ``path`` atomically (see the module doc); returns the path."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=str(path.parent or "."), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(payload):
                payload(fh)
            else:
                fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output folder",
                     error: type[CoachError] = OutputError) -> Path:
    """Create the output folder (user-only) if needed; fail early with a clear line
    (``error``, naming the folder as ``what``) if it cannot be used."""
    out = Path(path)
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot create {what} {out}: {exc.strerror or exc}; choose another --out") from None
    if not os.access(out, os.W_OK):
        raise error(f"cannot write to {what} {out}: no permission; choose another --out")
    return out
