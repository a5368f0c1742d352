"""Landmark recordings: every PoseFrame of a run in one compressed ``.npz`` file.

A recording replays through the same pipeline as a video, without the model, in
milliseconds — it is how most tests, the tuning workbench and `coach eval` run.

Format (version 1), arrays in a NumPy ``.npz`` (zip) file:
  format         str  "coach-landmarks"
  version        int  1
  timestamps_ms  (T,) float64  capture time of each frame
  landmarks      (T, 33, 5) float32  x, y (normalised), z, visibility, presence; NaN = no person
  world          (T, 33, 3) float32  metres, hip-centred
  image_wh       (2,) int  analysed image size
  meta_json      str  JSON: source, model file + sha256, coach version, created (UTC)
  mask_index     (T,) int32, optional: row of `masks` for each frame, -1 = none
  masks          (M, mh, ceil(mw/8)) uint8, optional: segmentation masks thresholded at
                 0.5, downscaled so the longer side is at most 160 px, bit-packed (np.packbits
                 along the width)
  mask_wh        (2,) int, optional: (mw, mh)
Files are written atomically (temporary file + rename) with user-only permissions.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Sequence
from typing import Iterator

import cv2
import numpy as np

from .errors import CoachError
from .pose import N_LANDMARKS, PoseClip, PoseFrame

FORMAT = "coach-landmarks"
VERSION = 1
SUFFIX = ".npz"
MASK_MAX_SIDE = 160


class RecordingError(CoachError):
    exit_code = 2


def is_recording_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(SUFFIX)


def _mask_size(image_wh: tuple[int, int]) -> tuple[int, int]:
    w, h = image_wh
    scale = min(1.0, MASK_MAX_SIDE / max(w, h, 1))
    return max(1, int(round(w * scale))), max(1, int(round(h * scale)))


class RecordingWriter:
    """Collects PoseFrames and writes them at ``close()`` (atomically)."""

    def __init__(self, path: str | os.PathLike, meta: dict | None = None) -> None:
        self.path = Path(path)
        if not is_recording_path(self.path):
            raise RecordingError(f"a landmark recording must end in {SUFFIX}: {self.path}")
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.exists():
            raise RecordingError(f"folder does not exist: {parent}; create it first")
        if not parent.is_dir():
            raise RecordingError(f"{parent} is a file, not a folder; choose another place for the recording")
        if not os.access(parent, os.W_OK):
            raise RecordingError(f"cannot write to {parent}: no permission; choose another folder")
        self.meta = dict(meta or {})
        self._ts: list[float] = []
        self._lm: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._mask_index: list[int] = []
        self._masks: list[np.ndarray] = []
        self._image_wh: tuple[int, int] | None = None
        self._mask_wh: tuple[int, int] | None = None

    def __len__(self) -> int:
        return len(self._ts)

    def add(self, frame: PoseFrame) -> None:
        if self._image_wh is None:
            self._image_wh = frame.image_wh
            self._mask_wh = _mask_size(frame.image_wh)
        self._ts.append(float(frame.timestamp_ms))
        self._lm.append(frame.landmarks.astype(np.float32))
        self._world.append(frame.world.astype(np.float32))
        if frame.mask is not None and self._mask_wh is not None:
            small = cv2.resize(frame.mask.astype(np.float32), self._mask_wh, interpolation=cv2.INTER_AREA)
            self._masks.append(np.packbits(small > 0.5, axis=1))
            self._mask_index.append(len(self._masks) - 1)
        else:
            self._mask_index.append(-1)

    def close(self) -> Path | None:
        """Write the file; returns its path (None when no frame was added)."""
        if not self._ts:
            return None
        arrays: dict[str, np.ndarray] = {
            "format": np.array(FORMAT),
            "version": np.array(VERSION),
            "timestamps_ms": np.array(self._ts, dtype=np.float64),
            "landmarks": np.stack(self._lm),
            "world": np.stack(self._world),
            "image_wh": np.array(self._image_wh, dtype=np.int64),
            "meta_json": np.array(
                json.dumps({**self.meta, "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
            ),
        }
        if self._masks:
            arrays["mask_index"] = np.array(self._mask_index, dtype=np.int32)
            arrays["masks"] = np.stack(self._masks)
            arrays["mask_wh"] = np.array(self._mask_wh, dtype=np.int64)
        return save_arrays(self.path, arrays)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=str(path.parent or "."))
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise RecordingError(f"could not write {path}: {exc.strerror or exc}; free some space or choose another folder") from None
    return path


def save_clip(clip: PoseClip, path: str | os.PathLike) -> Path:
    writer = RecordingWriter(path, meta=clip.meta)
    for frame in clip:
        writer.add(frame)
    out = writer.close()
    assert out is not None
    return out


def load_clip(path: str | os.PathLike) -> PoseClip:
    """Read a landmark recording; a malformed file raises RecordingError (one line)."""
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"landmark recording not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files or str(data["format"]) != FORMAT:
                raise RecordingError(f"{path} is not a coach landmark recording (made with --record-landmarks)")
            version = int(data["version"])
            if version > VERSION:
                raise RecordingError(f"{path} is recording format v{version}; this coach reads up to v{VERSION}: update coach")
            ts = np.asarray(data["timestamps_ms"], dtype=np.float64)
            lm = np.asarray(data["landmarks"], dtype=np.float64)
            world = np.asarray(data["world"], dtype=np.float64)
            image_wh = tuple(int(v) for v in data["image_wh"])
            meta = json.loads(str(data["meta_json"])) if "meta_json" in data.files else {}
            masks = None
            if "masks" in data.files:
                index = np.asarray(data["mask_index"])
                packed = np.asarray(data["masks"])
                mw, mh = (int(v) for v in data["mask_wh"])
                masks = PackedMasks(index, packed, mw)
    except RecordingError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, json.JSONDecodeError) as exc:
        raise RecordingError(f"{path} is damaged or not a landmark recording ({type(exc).__name__}: {exc})") from None
    t = len(ts)
    if lm.shape != (t, N_LANDMARKS, 5) or world.shape != (t, N_LANDMARKS, 3) or len(image_wh) != 2:
        raise RecordingError(f"{path} has inconsistent array shapes; record it again")
    if t == 0:
        raise RecordingError(f"{path} holds no frames")
    if not np.all(np.isfinite(ts)) or np.any(np.diff(ts) < 0):
        raise RecordingError(f"{path} has missing or decreasing timestamps; record it again")
    # Infinite coordinates are damage, not data: treat them as "not seen".
    bad = ~np.isfinite(lm) & ~np.isnan(lm)
    if bad.any():
        lm[bad] = np.nan
    return PoseClip(timestamps_ms=ts, landmarks=lm, world=world, image_wh=image_wh, masks=masks, meta=meta)


class PackedMasks(Sequence):
    """A recording's masks, kept bit-packed and unpacked one frame at a time (an hour of
    float32 masks would take gigabytes; packed it is ~1.5 KB a frame)."""

    def __init__(self, index: np.ndarray, packed: np.ndarray, width: int) -> None:
        self._index = np.asarray(index)
        self._packed = packed
        self._width = int(width)

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        row = int(self._index[i])
        if row < 0:
            return None
        return np.unpackbits(self._packed[row], axis=1)[:, : self._width].astype(np.float32)


class RecordingSource:
    """Replays a landmark recording as PoseFrames (no model needed)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.clip = load_clip(self.path)

    def __len__(self) -> int:
        return len(self.clip)

    def __iter__(self) -> Iterator[PoseFrame]:
        return iter(self.clip)
