"""A real X server for window tests: Xvfb on a free display number."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


class Xvfb:
    def __init__(self, size: str = "1600x1000x24") -> None:
        if shutil.which("Xvfb") is None:
            raise RuntimeError("Xvfb is not installed (install.sh installs it)")
        self.number = free_display()
        self.display = f":{self.number}"
        self.proc = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", size, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{self.number}").exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)

    def env(self) -> dict:
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        env["QT_QPA_PLATFORM"] = "xcb"
        return env

    def find_window(self, name: str, timeout_s: float = 60.0) -> str | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = subprocess.run(["xdotool", "search", "--name", name], env=self.env(),
                                 capture_output=True, text=True)
            ids = out.stdout.split()
            if ids:
                return ids[-1]
            time.sleep(0.25)
        return None

    def screenshot(self, path: Path, window: str | None = None) -> Path:
        subprocess.run(["import", "-window", window or "root", str(path)], env=self.env(), check=True,
                       capture_output=True)
        return path

    def key(self, window: str, key: str) -> None:
        subprocess.run(["xdotool", "key", "--window", window, key], env=self.env(), capture_output=True)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
