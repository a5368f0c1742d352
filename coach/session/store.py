"""The coach's local state (screening answers, session starts, reports): one folder, user-only.

Nothing here touches the network; every file is written atomically (:mod:`coach.files`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coach.errors import CoachError
from coach.files import atomic_write


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$COACH_HOME, else $XDG_DATA_HOME/coach, else ~/.local/share/coach."""
    env = os.environ if environ is None else environ
    if env.get("COACH_HOME"):
        return Path(env["COACH_HOME"]).expanduser()
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "coach"
    return Path.home() / ".local" / "share" / "coach"


class StateStore:
    """The coach's local state: one directory (0700) of small JSON files (0600)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else state_dir()

    def ensure(self) -> Path:
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.root, 0o700)
        except OSError as exc:
            raise CoachError(f"cannot create the state directory {self.root}: {exc.strerror}; "
                             "set COACH_HOME to a writable directory") from None
        return self.root

    def path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"name must be a plain file name, got {name!r}")
        return self.root / name

    def read_json(self, name: str, default: Any = None) -> Any:
        p = self.path(name)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            return default
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CoachError(f"{p}: damaged ({exc.msg} at line {exc.lineno}); delete it to start afresh") from None

    def write_json(self, name: str, data: Any) -> Path:
        self.ensure()
        payload = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        return atomic_write(self.path(name), payload)
