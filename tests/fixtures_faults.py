"""Helpers that make damaged and odd inputs from the real sample videos (in tmp_path).

Everything is built with ffmpeg or OpenCV from `samples/`, kept short (a few seconds) so
tests that run the real model stay fast, and never written into the repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from needs import committed, tool

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


def need_ffmpeg() -> None:
    tool("ffmpeg")


def sample(exercise: str, name: str = "good") -> Path:
    return committed(SAMPLES / exercise / f"{name}.mp4")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


def trim(src: Path, dst: Path, seconds: float, start: float = 0.0, vf: str | None = None,
         extra: tuple[str, ...] = (), pix_fmt: str = "yuv420p") -> Path:
    """The [start, start+seconds) part of ``src`` re-encoded as H.264 (optionally filtered)."""
    need_ffmpeg()
    args = ["-ss", f"{start}", "-i", str(src), "-t", f"{seconds}"]
    if vf:
        args += ["-vf", vf]
    ffmpeg(*args, *extra, "-an", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt, str(dst))
    return dst


def read_frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while limit is None or len(out) < limit:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(bgr)
    cap.release()
    return out


def write_frames(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """BGR frames -> an MP4 (mp4v, OpenCV's own writer)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened(), path
    for f in frames:
        writer.write(np.ascontiguousarray(f))
    writer.release()
    return path


def transform_video(src: Path, dst: Path, fn: Callable[[np.ndarray, int], np.ndarray], seconds: float = 4.0,
                    start: float = 0.0, fps: float = 10.0) -> Path:
    cap = cv2.VideoCapture(str(src))
    cap.set(cv2.CAP_PROP_POS_MSEC, start * 1000.0)
    frames = []
    while len(frames) < int(seconds * fps):
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(fn(bgr, len(frames)))
    cap.release()
    return write_frames(dst, frames, fps)


def truncate(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def corrupt(src: Path, dst: Path, seed: int = 0, fraction: float = 0.05, keep_head: int = 4096) -> Path:
    """Random bytes over ``fraction`` of the file after the first ``keep_head`` bytes."""
    rng = np.random.default_rng(seed)
    data = bytearray(src.read_bytes())
    n = int((len(data) - keep_head) * fraction)
    pos = rng.integers(keep_head, len(data), size=n)
    for p in pos:
        data[p] = int(rng.integers(0, 256))
    dst.write_bytes(bytes(data))
    return dst


def scale_pixels(factor: float, offset: float = 0.0) -> Callable[[np.ndarray, int], np.ndarray]:
    def fn(bgr: np.ndarray, _i: int) -> np.ndarray:
        return np.clip(bgr.astype(np.float32) * factor + offset, 0, 255).astype(np.uint8)

    return fn


def shrink_and_pad(scale: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """Person far away: the picture shrunk by ``scale`` on a canvas of the same size,
    filled with the picture's own edge colours (a bigger room), not black."""

    def fn(bgr: np.ndarray, _i: int) -> np.ndarray:
        h, w = bgr.shape[:2]
        small = cv2.resize(bgr, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        sh, sw = small.shape[:2]
        top, left = (h - sh) // 2, (w - sw) // 2
        return cv2.copyMakeBorder(small, top, h - sh - top, left, w - sw - left, cv2.BORDER_REPLICATE)

    return fn


def empty_room(bgr: np.ndarray) -> np.ndarray:
    """A 320-wide picture of the room without the person: the seated_rotation clip's
    outer 160 px on each side (wall, picture, floor; the person sits in the middle)."""
    return np.ascontiguousarray(np.hstack([bgr[:, :160], bgr[:, -160:]]))


def centre_320(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[:, 160:480])


def two_people(a: Path, b: Path, dst: Path, seconds: float, b_from_s: float, fps: float = 10.0,
               a_crop=centre_320, b_crop=centre_320, a_gone_s: tuple[float, float] | None = None) -> Path:
    """Person A (left half) all along; person B (right half) walks in at ``b_from_s``
    (before that the right half is an empty room). ``a_gone_s``: (from, to) seconds during
    which A's half shows the empty room (A stepped out of view / hidden)."""
    fa = read_frames(a, int(seconds * fps))
    fb = read_frames(b, int(seconds * fps))
    room = empty_room(read_frames(sample("seated_rotation"), 1)[0])
    frames = []
    for i, (x, y) in enumerate(zip(fa, fb)):
        right = b_crop(y) if i >= b_from_s * fps else room
        left = a_crop(x)
        if a_gone_s is not None and a_gone_s[0] * fps <= i < a_gone_s[1] * fps:
            left = room
        frames.append(np.hstack([left, right]))
    return write_frames(dst, frames, fps)


# --------------------------------------------------------------------------- CLI helpers
def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from coach.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, expected_code: int = 2, needle: str | None = None) -> None:
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("coach: error: "), lines[0]
    if needle:
        assert needle.lower() in lines[0].lower(), lines[0]


def read_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def coach_cmd() -> list[str]:
    return [sys.executable, "-m", "coach"]


# --------------------------------------------------------------------------- camera hardware
class FakeCapture:
    """Stands in for the camera hardware only (cv2.VideoCapture's read/isOpened/get/
    release/open). Plays real frames; ``script`` decides per read what happens:

    frames: BGR pictures delivered in a loop
    opened: False = no camera there
    fail_after: reads after which the camera is "unplugged" (read() -> False, None)
    replug_after_s: the camera works again this long after it was unplugged
        (``open()`` succeeds from then on), None = never
    delay_s: a function of the read count giving the time one read takes (frame rate)
    """

    def __init__(self, frames: list[np.ndarray], opened: bool = True, fail_after: int | None = None,
                 replug_after_s: float | None = None, delay_s: Callable[[int], float] | None = None,
                 first_read_fails: bool = False, fps: float = 30.0) -> None:
        self.frames = frames
        self._opened = opened
        self.fail_after = fail_after
        self.replug_after_s = replug_after_s
        self.delay_s = delay_s
        self.first_read_fails = first_read_fails
        self.fps = fps
        self.reads = 0
        self.opens = 0
        self.releases = 0
        self.unplugged_at: float | None = None
        self._lock = threading.Lock()

    def isOpened(self) -> bool:  # noqa: N802 - cv2's name
        return self._opened

    def get(self, prop: int) -> float:
        return self.fps if prop == cv2.CAP_PROP_FPS else 0.0

    def set(self, prop: int, value: float) -> bool:
        return True

    def open(self, *_args, **_kw) -> bool:
        with self._lock:
            self.opens += 1
            if self.unplugged_at is None:
                self._opened = True
            elif self.replug_after_s is not None and time.monotonic() - self.unplugged_at >= self.replug_after_s:
                self.unplugged_at = None
                self.fail_after = None
                self._opened = True
            else:
                self._opened = False
            return self._opened

    def release(self) -> None:
        self.releases += 1
        self._opened = False

    def read(self):
        with self._lock:
            i = self.reads
            self.reads += 1
        if self.delay_s is not None:
            time.sleep(self.delay_s(i))
        if not self._opened:
            return False, None
        if self.first_read_fails:
            return False, None
        if self.fail_after is not None and i >= self.fail_after:
            if self.unplugged_at is None:
                self.unplugged_at = time.monotonic()
            return False, None
        return True, self.frames[i % len(self.frames)].copy()


# --------------------------------------------------------------------------- landmark recordings
def looped_recording(src: Path, dst: Path, minutes: float) -> Path:
    """A long recording: ``src`` repeated (timestamps shifted to keep going) until it
    lasts ``minutes``."""
    from coach.vision.recording import load_clip, save_arrays, version1_arrays

    arrays = version1_arrays(load_clip(src))  # written as version 1 (no need to code an hour)
    ts = arrays["timestamps_ms"]
    period = float(ts[-1] - ts[0]) + float(np.median(np.diff(ts)))
    loops = int(np.ceil(minutes * 60_000 / period))
    arrays["timestamps_ms"] = np.concatenate([ts + i * period for i in range(loops)])
    for key in ("landmarks", "world"):
        arrays[key] = np.concatenate([arrays[key]] * loops)
    return save_arrays(dst, arrays)
