"""Where a run's output goes: the event log (JSONL), an annotated video, a window."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .errors import CoachError
from .pipeline import Step


class OutputError(CoachError):
    exit_code = 2


def check_output_dir(path: str | os.PathLike) -> Path:
    """Create the output folder if needed; fail early with a clear line if unusable."""
    out = Path(path)
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out}: {exc.strerror or exc}; choose another --out") from None
    if not os.access(out, os.W_OK):
        raise OutputError(f"cannot write to output folder {out}: no permission; choose another --out")
    return out


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


def blank_canvas(step: Step) -> np.ndarray:
    """A dark canvas of the recording's image size, for landmark replays (no video)."""
    w, h = step.raw.image_wh
    if w <= 0 or h <= 0:
        w, h = 640, 480
    return np.full((h, w, 3), 40, dtype=np.uint8)


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


class WindowSink:
    """An OpenCV window showing the overlay; q or Esc asks the run to stop."""

    def __init__(self, title: str, render: Callable[[Step], np.ndarray]) -> None:
        self.title = title
        self.render = render
        self.stop_requested = False
        self.keys: list[int] = []
        self._sized = False
        try:
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        except cv2.error as exc:
            raise OutputError(
                f"cannot open a window ({str(exc).strip().splitlines()[-1]}); "
                "is there a display? Use --no-window to run without one"
            ) from None

    def write(self, step: Step) -> None:
        image = self.render(step)
        if not self._sized:  # open at the picture's own size (the overlay is drawn for it)
            h, w = image.shape[:2]
            cv2.resizeWindow(self.title, w, h)
            self._sized = True
        cv2.imshow(self.title, image)
        key = cv2.waitKey(1) & 0xFF
        if key != 0xFF:
            self.keys.append(key)
        if key in (ord("q"), ord("Q"), 27):
            self.stop_requested = True

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass
