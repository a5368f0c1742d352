"""What a test needs that is not Python: committed sample files and the system tools
``./install.sh`` installs. Missing, either one is a failure that says how to get it, never a
skip: the samples are in the repository and CI runs ``./install.sh``.

Skips stay only for what a test run may genuinely lack (root, a network namespace, tmux).

    clip = committed(SAMPLES / "lying_twist" / "good.mp4")
    tool("espeak-ng")
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# how each kind of committed sample file is made again (samples/README.md)
_MAKE = {
    ".mp4": "render it with `python -m coach.synth batch --out samples` (the synth extra, samples/README.md)",
    ".npz": "record it with `python scripts/record_samples.py samples/<exercise>/<name>.mp4`",
    ".gz": "render its clip again with `python -m coach.synth batch --out samples` (writes the truth too)",
}

# the Debian package that gives each tool (all in install.sh's APT_PACKAGES)
_APT = {"Xvfb": "xvfb", "xauth": "xauth", "xdotool": "xdotool", "xwininfo": "x11-utils", "espeak-ng": "espeak-ng",
        "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "chromium": "chromium", "hunspell": "hunspell",
        "convert": "imagemagick", "import": "imagemagick"}


def committed(path: Path, make: str | None = None) -> Path:
    """``path``, a sample file committed in the repository; a failure naming how to make it
    again when it is missing, empty or a Git LFS pointer instead of the file."""
    path = Path(path)
    how = make or _MAKE.get(path.suffix, "see samples/README.md")
    try:
        rel = path.resolve().relative_to(REPO)
    except ValueError:
        rel = path
    assert path.is_file(), f"{rel} is missing: it is committed (git checkout -- {rel}), or {how}"
    assert path.stat().st_size > 1000 or path.suffix in (".json", ".yaml"), \
        f"{rel} is only {path.stat().st_size} bytes (a Git LFS pointer? git lfs pull), or {how}"
    return path


def tool(name: str) -> str:
    """The path of a system tool ``./install.sh`` installs; a failure naming its package."""
    found = shutil.which(name)
    package = _APT.get(name, name)
    assert found, f"{name} is not installed: ./install.sh installs it (apt-get install {package})"
    return found
