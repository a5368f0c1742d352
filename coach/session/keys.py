"""The keys of a guided session, and a scripted stand-in for the person at the keyboard."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# Keys (as characters; "esc" for Escape) and what they do.
KEYS_PAUSE = ("p", " ")
KEYS_SKIP = ("n", "s")
KEYS_STOP = ("q", "esc")
KEYS_YES = ("y", "j")
KEYS_NO = ("n",)


def normalise_key(key: int | str) -> str | None:
    """A key code from cv2.waitKey (int) or a name ("space", "esc", "q") as the
    controller's key character, or None for keys it ignores."""
    if isinstance(key, int):
        if key < 0 or key == 0xFF:
            return None
        key &= 0xFF
        if key == 27:
            return "esc"
        if key == 32:
            return " "
        ch = chr(key)
    else:
        ch = {"space": " ", "escape": "esc", "esc": "esc"}.get(key.lower(), key)
    ch = ch.lower() if ch != " " else ch
    return ch if ch in set(KEYS_PAUSE + KEYS_SKIP + KEYS_STOP + KEYS_YES + KEYS_NO) else None


class ScriptedKeys:
    """Keys pressed at given session times (seconds from the first frame): the headless
    stand-in for a person at the keyboard. A pipeline sink."""

    def __init__(self, press: Callable[[str], Any], keys: Iterable[tuple[float, str]]) -> None:
        self.press = press
        self.keys = sorted((float(t), str(k)) for t, k in keys)
        self._t0: float | None = None

    def write(self, step) -> None:
        t = float(step.raw.timestamp_ms)
        if self._t0 is None:
            self._t0 = t
        while self.keys and (t - self._t0) / 1000.0 >= self.keys[0][0]:
            self.press(self.keys.pop(0)[1])

    def close(self) -> None:
        pass
