"""Where a run's output goes besides the screen: the event log (JSONL) and an annotated video."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from coach.errors import OutputError
from coach.pipeline.loop import Step


def event_to_dict(event) -> dict:
    if hasattr(event, "to_dict"):
        return event.to_dict()
    if isinstance(event, dict):
        return event
    raise TypeError(f"cannot serialise event {event!r}")


class EventLog:
    """Events as JSON lines, each written straight to the file (no buffer), so a crash or
    a kill keeps every event up to then. A line that cannot be written whole (disk full)
    is cut off again, so the file never ends in half a line."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        try:
            self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}; choose another --out") from None
        self._size = 0
        self.count = 0

    def __call__(self, event) -> None:
        if self._fd is None:
            raise OutputError(f"cannot write {self.path}: the event log is closed")
        data = (json.dumps(event_to_dict(event), ensure_ascii=False) + "\n").encode("utf-8")
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as exc:  # disk full, folder removed, read-only remount
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}; "
                              "free some space or choose another --out") from None
        self._size += len(data)
        self.count += 1

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


class AnnotatedVideoSink:
    """Writes each frame with the overlay drawn by ``render(step) -> BGR image``."""

    def __init__(self, path: str | os.PathLike, fps: float, render: Callable[[Step], np.ndarray]) -> None:
        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 15.0
        self.render = render
        self._writer: cv2.VideoWriter | None = None
        self.frames = 0

    def write(self, step: Step) -> None:
        image = self.render(step)
        if self._writer is None:
            h, w = image.shape[:2]
            # The picture of a person at home: created user-only before OpenCV writes to it.
            with contextlib.suppress(OSError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
                os.chmod(self.path, 0o600)
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            if not self._writer.isOpened():
                raise OutputError(f"cannot write video {self.path}; choose another --out")
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)
