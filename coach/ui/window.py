"""The one on-screen window (OpenCV), used by ``coach live`` and ``coach session``.

    window = Window("coach", renderer.render)                     # q / Esc stop
    window = Window("coach", view.render, on_key=controller.press,  # every key to the session
                    on_close=controller.stop, resizable=False)

A pipeline sink: ``write(step)`` shows ``render(step)`` and reads the keyboard. The stop
keys of :mod:`coach.session.keys` (q, Q, Esc), or closing the window, set ``stop_requested`` (the run's ``should_stop`` polls it);
every key is also handed to ``on_key`` and closing calls ``on_close``.

``display_problem()`` says why no window can be opened before one is tried, and
``check_display(hint)`` turns it into the one-line error: OpenCV's Qt backend aborts the
whole process (SIGABRT, exit code 134, no message) when it cannot reach a display.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import cv2
import numpy as np

from coach.errors import InputError, OutputError
from coach.session.keys import key_codes

# The keys that stop a run (the one key table: coach.session.keys).
STOP_KEYS = key_codes("stop")


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why no window can be opened, or None."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    if env.get("WAYLAND_DISPLAY"):
        return None
    disp = env.get("DISPLAY", "")
    if not disp:
        return "no display (DISPLAY is not set)"
    host, _, rest = disp.rpartition(":")
    num = rest.split(".")[0]
    if host in ("", "unix") and num.isdigit() and not os.path.exists(f"/tmp/.X11-unix/X{num}"):
        return f"no display at DISPLAY={disp}"
    return None


def check_display(no_window_hint: str, environ: Mapping[str, str] | None = None) -> None:
    """InputError (one line: what is wrong, what to do) when no window can be opened."""
    problem = display_problem(environ)
    if problem:
        raise InputError(f"cannot open a window: {problem}; run it on a desktop, "
                         f"or use {no_window_hint} to run without one")


class Window:
    """An OpenCV window showing ``render(step)`` (see the module doc).

    ``resizable``: the person may resize it (the picture keeps its aspect ratio; it opens at
    the picture's own size); else it shows the picture 1:1 (the renderer draws at display
    size). ``no_window_hint``: the option that runs without a window, for the error line.
    """

    def __init__(self, title: str, render: Callable[[Any], np.ndarray], *,
                 on_key: Callable[[int], None] | None = None, on_close: Callable[[], None] | None = None,
                 resizable: bool = True, no_window_hint: str = "--no-window") -> None:
        self.title = title
        self.render = render
        self.on_key = on_key
        self.on_close = on_close
        self.resizable = resizable
        self.stop_requested = False
        self.keys: list[int] = []
        self._shown = False
        flags = (cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO if resizable else cv2.WINDOW_AUTOSIZE) | cv2.WINDOW_GUI_NORMAL
        try:
            cv2.namedWindow(self.title, flags)
        except cv2.error as exc:
            raise OutputError(
                f"cannot open a window ({str(exc).strip().splitlines()[-1]}); "
                f"is there a display? Use {no_window_hint} to run without one"
            ) from None

    def _closed(self) -> bool:
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def write(self, step: Any) -> None:
        image = self.render(step)
        if self._shown and self._closed():  # the person closed the window: that is a stop too
            self.stop_requested = True
            if self.on_close is not None:
                self.on_close()
            return
        if not self._shown and self.resizable:  # open at the picture's own size (the overlay is drawn for it)
            h, w = image.shape[:2]
            cv2.resizeWindow(self.title, w, h)
        cv2.imshow(self.title, image)
        self._shown = True
        key = cv2.waitKey(1)
        if key is None or key < 0 or (key & 0xFF) == 0xFF:
            return
        key &= 0xFF
        self.keys.append(key)
        if key in STOP_KEYS:
            self.stop_requested = True
        if self.on_key is not None:
            self.on_key(key)

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass
