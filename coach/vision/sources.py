"""Frame sources: webcam, video file, image folder or one image. (Landmark recordings: coach.vision.recording.)

Every source yields ``VideoFrame(rgb, timestamp_ms, index)``. Timestamps are capture
times (the video's presentation time, the camera's clock at grab), never the time after
processing, so holds, speeds and reps replay identically.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from coach.errors import CoachError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".3gp"}


class SourceError(CoachError):
    exit_code = 2


@dataclass(frozen=True, slots=True)
class VideoInfo:
    resolution_wh: tuple[int, int]
    fps: float
    total_frames: int | None  # None when unknown (camera)


@dataclass(slots=True)
class VideoFrame:
    rgb: np.ndarray  # (H, W, 3) uint8, RGB
    timestamp_ms: float
    index: int


class VideoFileSource:
    """Frames of a video file. Phone rotation metadata is honoured (OpenCV applies it).

    A damaged stretch (corrupt bytes) is skipped, up to ``MAX_DAMAGED_IN_A_ROW`` frames
    in a row, and counted in ``damaged_frames``; a file cut off mid-way plays up to the cut.
    """

    MAX_DAMAGED_IN_A_ROW = 10

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SourceError(f"video not found: {self.path}; check the path")
        if self.path.is_dir():
            raise SourceError(f"{self.path} is a folder; pass a video file (or use it as an image folder)")
        if self.path.stat().st_size == 0:
            raise SourceError(f"video file is empty (0 bytes): {self.path}; record or copy it again")
        cap = cv2.VideoCapture(str(self.path))
        ok = cap.isOpened()
        first = cap.read()[1] if ok else None
        cap.release()
        if first is None:
            raise SourceError(f"cannot read video frames from {self.path}: not a video or a damaged file; try another file")
        probe = cv2.VideoCapture(str(self.path))
        probe.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        fps = float(probe.get(cv2.CAP_PROP_FPS) or 0.0)
        total = int(probe.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        probe.release()
        h, w = first.shape[:2]
        self.damaged_frames = 0
        self.info = VideoInfo(resolution_wh=(w, h), fps=fps if 0 < fps < 1000 else 30.0, total_frames=total or None)

    def __iter__(self) -> Iterator[VideoFrame]:
        cap = cv2.VideoCapture(str(self.path))
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        index = 0
        last_ts = -1.0
        failures = 0
        self.damaged_frames = 0
        total = self.info.total_frames
        try:
            while True:
                ok, bgr = cap.read()
                if not ok or bgr is None:
                    # A damaged frame (corrupt bytes) fails to decode, but the decoder
                    # recovers at the next key frame: skip a few before calling it the end.
                    pos_frames = float(cap.get(cv2.CAP_PROP_POS_FRAMES) or 0.0)
                    failures += 1
                    if failures > self.MAX_DAMAGED_IN_A_ROW or (total and pos_frames >= total):
                        break
                    self.damaged_frames += 1
                    continue
                failures = 0
                pos = float(cap.get(cv2.CAP_PROP_POS_MSEC) or 0.0)
                if index == 0:
                    ts = max(pos, 0.0)
                elif pos > last_ts:
                    ts = pos
                else:  # some containers report no or duplicate presentation times
                    ts = last_ts + 1000.0 / self.info.fps
                last_ts = ts
                yield VideoFrame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), ts, index)
                index += 1
        finally:
            cap.release()


def jpeg_problem(data: bytes) -> str | None:
    """Why the bytes of a JPEG file are not a whole picture, or None.

    Walks the file's markers to the end-of-image marker. A JPEG cut off (a copy or a
    download that stopped) still decodes with OpenCV, silently: its missing part is
    filled with grey. Data after the end marker (some phones add their own) is fine."""
    n = len(data)
    if data[:2] != b"\xff\xd8":
        return "not a JPEG file (no start-of-image marker)"
    i = 2
    while i < n:
        if data[i] != 0xFF:
            return "damaged (bytes where a JPEG marker should be)"
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:  # end of image
            return None
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        if i + 2 > n:
            break
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2:
            return "damaged (a JPEG segment with an impossible length)"
        i += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    i = n
                    break
                following = data[j + 1]
                if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
                    i = j + 1  # a stuffed 0xFF, a fill byte or a restart marker: still image data
                    continue
                i = j
                break
    return "cut off: the file ends before the picture does (truncated)"


def image_problem(path: Path) -> str | None:
    """Why an image file cannot be coached, or None (the caller still decodes it)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not data:
        return "empty (0 bytes)"
    if data[:2] == b"\xff\xd8":
        return jpeg_problem(data)
    return None


class ImageFolderSource:
    """Images of a folder in name order (or one image file), as frames at a fixed rate
    (default 10 fps): image ``i`` is at ``i / fps`` seconds.

    A damaged image (cut off, or not decodable) is left out and listed in ``damaged``
    as (path, why): its time slot stays empty, like a dropped camera frame, so the
    images after it keep their times and the rest of the folder is still coached; the
    command then names every damaged file and exits non-zero. A single image file that
    is damaged fails at once (there is nothing else to coach).
    """

    def __init__(self, path: str | os.PathLike, fps: float = 10.0) -> None:
        self.path = Path(path)
        if fps <= 0:
            raise SourceError(f"fps must be > 0, got {fps}")
        if self.path.is_file() and self.path.suffix.lower() in IMAGE_SUFFIXES:
            self.files = [self.path]
        elif not self.path.is_dir():
            raise SourceError(f"image folder not found: {self.path}")
        else:
            self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(
                f"no images in {self.path} (looked for {', '.join(sorted(IMAGE_SUFFIXES))}); pass a folder of photos"
            )
        self.fps = fps
        self.damaged: list[tuple[Path, str]] = []
        first = None
        for p in self.files:  # the first good image gives the size
            first = self._read(p)
            if first is not None:
                break
        if first is None:
            if len(self.files) == 1:
                p, why = self.damaged[0]
                raise SourceError(f"{p}: the image is {why}; copy it again from the camera or phone, "
                                  "or use another photo")
            raise SourceError(f"no readable image in {self.path}: all {len(self.files)} are damaged "
                              f"(the first, {self.damaged[0][0].name}: {self.damaged[0][1]}); copy them again")
        self._first_good = p
        self.info = VideoInfo(resolution_wh=(first.shape[1], first.shape[0]), fps=fps, total_frames=len(self.files))

    def _read(self, path: Path) -> np.ndarray | None:
        """The image as BGR, or None (noted in ``damaged``)."""
        why = image_problem(path)
        bgr = cv2.imread(str(path)) if why is None else None
        if bgr is None:
            why = why or "not a picture OpenCV can decode (damaged, or not really an image)"
            if all(p != path for p, _ in self.damaged):
                self.damaged.append((path, why))
            return None
        return bgr

    def __iter__(self) -> Iterator[VideoFrame]:
        for index, path in enumerate(self.files):
            if any(p == path for p, _ in self.damaged):
                continue
            bgr = self._read(path)
            if bgr is None:
                continue  # left out, listed in self.damaged
            yield VideoFrame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index * 1000.0 / self.fps, index)

    def damaged_message(self) -> str | None:
        """One line naming every damaged image and what to do, or None."""
        if not self.damaged:
            return None
        n, total = len(self.damaged), len(self.files)
        shown = "; ".join(f"{p}: {why}" for p, why in self.damaged[:5])
        more = f"; and {n - 5} more" if n > 5 else ""
        it = "it" if n == 1 else "them"
        return (f"{n} of {total} images could not be used and {'was' if n == 1 else 'were'} left out ({shown}{more}); "
                f"copy {it} again or remove {it}. The other {total - n} were coached; their results are kept")


class CameraSource:
    """A webcam that never lets frames queue.

    A grabber thread reads the camera as fast as it delivers and keeps only the newest
    frame; the consumer takes the newest one. Frames the consumer was too slow for are
    dropped and counted (``dropped``). Timestamps are taken at grab time (monotonic clock,
    ms since the source opened).
    """

    def __init__(
        self,
        index: int | str = 0,
        resolution_wh: tuple[int, int] | None = (640, 480),
        capture=None,
        pace_fps: float | None = None,
        reconnect_attempts: int = 3,
        reconnect_wait_s: float = 1.0,
    ) -> None:
        """``index``: camera number. ``capture``: an opened cv2.VideoCapture to use instead.
        ``pace_fps``: deliver at most this many frames a second (a video file played as if
        it were a live camera: the simulated camera of tests and benchmarks).
        ``reconnect_attempts``: when the camera stops giving pictures for about a second
        (unplugged, a driver hiccup), it is closed and opened again this many times,
        ``reconnect_wait_s`` apart, before the source gives up (``failed``)."""
        if reconnect_attempts < 0:
            raise ValueError(f"reconnect_attempts must be >= 0, got {reconnect_attempts}")
        if reconnect_wait_s < 0:
            raise ValueError(f"reconnect_wait_s must be >= 0, got {reconnect_wait_s}")
        self.index = index
        self.reconnect_attempts = reconnect_attempts
        self.reconnect_wait_s = reconnect_wait_s
        self.reconnects = 0  # successful reconnections
        self.reconnect_tries = 0  # attempts made (successful or not)
        self._cap = capture if capture is not None else cv2.VideoCapture(index)
        self._pace_fps = pace_fps
        if not self._cap.isOpened():
            raise SourceError(
                f"cannot open camera {index}: no camera there, or another program is using it; "
                "close other camera apps or try --camera 1"
            )
        if resolution_wh and capture is None:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, resolution_wh[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution_wh[1])
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            self._cap.release()
            raise SourceError(f"camera {index} opened but gives no picture; check it is not covered or in use")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 30.0)
        self.info = VideoInfo(resolution_wh=(bgr.shape[1], bgr.shape[0]), fps=fps, total_frames=None)
        self._t0 = time.monotonic()
        self._cond = threading.Condition()
        self._latest: tuple[np.ndarray, float] | None = None
        self._grabbed = 0
        self._delivered = 0
        self._stopped = False
        self._failed = False
        self._ended = False
        self._thread = threading.Thread(target=self._grab_loop, name="camera-grabber", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """Frames grabbed but never delivered because a newer one replaced them."""
        with self._cond:
            pending = 1 if self._latest is not None else 0
            return max(0, self._grabbed - self._delivered - pending)

    @property
    def failed(self) -> bool:
        """The camera stopped giving pictures (unplugged), or a paced file ended."""
        return self._failed

    @property
    def ended(self) -> bool:
        """A paced video file reached its end (a normal end, not a fault)."""
        return self._ended

    @classmethod
    def from_file(cls, path: str | os.PathLike, fps: float | None = None) -> "CameraSource":
        """A video file played in real time as if it were a camera (frames drop when the
        consumer is slow, exactly as with a webcam)."""
        info = VideoFileSource(path).info
        cap = cv2.VideoCapture(str(path))
        return cls(index=str(path), capture=cap, pace_fps=fps or info.fps)

    def _grab_loop(self) -> None:
        misses = 0
        grabbed = 0
        while not self._stopped:
            if self._pace_fps:
                due = self._t0 + grabbed / self._pace_fps
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            ok, bgr = self._cap.read()
            ts = (time.monotonic() - self._t0) * 1000.0
            if self._pace_fps and not ok:  # end of the file: the "camera" is unplugged
                with self._cond:
                    self._failed = True
                    self._ended = True
                    self._cond.notify_all()
                return
            grabbed += 1
            if not ok or bgr is None:
                misses += 1
                if misses > 30:  # ~1 s without a picture: the camera is gone
                    if self._reconnect():
                        misses = 0
                        continue
                    with self._cond:
                        self._failed = True
                        self._cond.notify_all()
                    return
                time.sleep(0.03)
                continue
            misses = 0
            with self._cond:
                self._latest = (bgr, ts)
                self._grabbed += 1
                self._cond.notify_all()

    def _reconnect(self) -> bool:
        """Close and reopen the camera, up to ``reconnect_attempts`` times; True when it
        gives a picture again."""
        for _ in range(self.reconnect_attempts):
            if self._stopped:
                return False
            self.reconnect_tries += 1
            try:
                self._cap.release()
            except Exception:  # a driver that fails to release is already gone
                pass
            deadline = time.monotonic() + self.reconnect_wait_s
            while not self._stopped and time.monotonic() < deadline:
                time.sleep(min(0.05, self.reconnect_wait_s))
            try:
                opened = bool(self._cap.open(self.index)) and self._cap.isOpened()
                ok, bgr = self._cap.read() if opened else (False, None)
            except Exception:  # cv2.error from a half-present device
                ok, bgr = False, None
            if ok and bgr is not None:
                self.reconnects += 1
                ts = (time.monotonic() - self._t0) * 1000.0
                with self._cond:
                    self._latest = (bgr, ts)
                    self._grabbed += 1
                    self._cond.notify_all()
                return True
        return False

    def __iter__(self) -> Iterator[VideoFrame]:
        while True:
            with self._cond:
                while self._latest is None and not self._failed and not self._stopped:
                    self._cond.wait(timeout=0.5)
                if self._latest is None:
                    return
                bgr, ts = self._latest
                self._latest = None
                self._delivered += 1
                index = self._delivered - 1
            yield VideoFrame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), ts, index)

    def close(self) -> None:
        self._stopped = True
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=2.0)
        self._cap.release()


def open_source(spec: str | os.PathLike, fps: float = 10.0):
    """A frame source from a path: a video file, an image folder or one image file."""
    path = Path(spec)
    if path.is_dir() or (path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES):
        return ImageFolderSource(path, fps=fps)
    return VideoFileSource(path)
