"""Landmark recordings: every PoseFrame of a run in one compressed ``.npz`` file.

A recording replays through the same pipeline as a video, without the model, in
milliseconds — it is how most tests, the tuning workbench and `coach eval` run.

Format version 2 (written since 2026-12-06), arrays in a NumPy ``.npz`` (zip) file whose
members are LZMA-compressed (``zipfile.ZIP_LZMA``; ``np.load`` reads it):
  format         str  "coach-landmarks"
  version        int  2
  timestamps_ms  (T,) float64  capture time of each frame, exact
  landmarks_q    (5, 33, T) int16  columns x, y (normalised), z, visibility, presence of
                 each landmark as a time series: quantised (x, y in steps of 1/4096, z 1/2048,
                 visibility and presence 1/250: ``QUANT``), clipped to +-16383 steps (x, y
                 +-4 picture widths, z +-8), then each value minus the one before it in time
                 (0 before the first frame); -32768 = NaN (not seen; the next value's
                 difference is taken from the last value seen). Decoded: cumulative sum of the
                 non-NaN differences / steps. Every difference fits in int16 because of the clip.
  world_q        (3, 33, T) int16  world x, y, z in millimetres (metres, hip-centred), coded
                 the same way (clipped to +-16.383 m)
  image_wh       (2,) int  analysed image size
  meta_json      str  JSON: source, model file + sha256, coach version, created (UTC), and
                 ``quantised``: the steps, the clip limit, the NaN code and how many values
                 were clipped
  people         (T,) int8, optional: how many people the estimator saw in each frame;
                 stored only when some frame saw other than one (absent = 1 everywhere)
  mask_index, masks, mask_wh: optional, as in version 1
A frame with no person has every landmark NaN, as in a PoseFrame. Infinite values are
stored as NaN (version 1 files had them turned into NaN when read).
Measured on the 67 committed sample recordings: 37.3 MB as version 1, 4.7 MB as version 2
(117 B a frame, of which landmarks 65, world 48, timestamps 2); replaying them gives the
same events (scripts/convert_recordings.py --check).

Format version 1 (read, no longer written): ``timestamps_ms`` (T,) float64, ``landmarks``
(T, 33, 5) float32 (x, y, z, visibility, presence; NaN = no person), ``world`` (T, 33, 3)
float32, ``image_wh``, ``meta_json``, and the optional masks: ``mask_index`` (T,) int32,
row of ``masks`` for each frame (-1 = none); ``masks`` (M, mh, ceil(mw/8)) uint8,
segmentation masks thresholded at 0.5, downscaled so the longer side is at most 160 px,
bit-packed along the width (np.packbits); ``mask_wh`` (2,) int (mw, mh). Deflate-compressed
(np.savez_compressed).

Files are written atomically (temporary file + rename) with user-only permissions.
While recording, frames are streamed to an anonymous spool file, not kept in memory
(see RecordingWriter).
"""

from __future__ import annotations

import contextlib
import json
import lzma
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterator

import cv2
import numpy as np

from coach.errors import CoachError
from coach.files import atomic_write
from coach.pose import N_LANDMARKS, PoseClip, PoseFrame

FORMAT = "coach-landmarks"
VERSION = 2
SUFFIX = ".npz"
MASK_MAX_SIDE = 160

# Version 2's quantisation: steps per unit of each column.
QUANT_LANDMARKS = np.array([4096.0, 4096.0, 2048.0, 250.0, 250.0])  # x, y, z, visibility, presence
QUANT_WORLD = np.array([1000.0, 1000.0, 1000.0])  # millimetres
NAN_CODE = -32768  # int16 code of a NaN (not seen)
CLIP_STEPS = 16383  # values are clipped to +-this many steps: every difference then fits in int16


class RecordingError(CoachError):
    exit_code = 2


def is_recording_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(SUFFIX)


def _mask_size(image_wh: tuple[int, int]) -> tuple[int, int]:
    w, h = image_wh
    scale = min(1.0, MASK_MAX_SIDE / max(w, h, 1))
    return max(1, int(round(w * scale))), max(1, int(round(h * scale)))


# --------------------------------------------------------------------------- the v2 coding
def quantise_series(values: np.ndarray, steps: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Code ``values`` (n, 33, c) float as version 2 does: (c, 33, n) int16 differences along
    time, NaN (and infinity) as NAN_CODE. ``last`` (33, c) int32: the last value seen before
    these frames, in steps (0 at the start). Returns (codes, the new ``last``, values clipped)."""
    scaled = values * steps
    bad = ~np.isfinite(scaled)
    q = np.rint(np.where(bad, 0.0, scaled))
    clipped = int(np.count_nonzero(np.abs(q) > CLIP_STEPS))
    q = np.clip(q, -CLIP_STEPS, CLIP_STEPS).astype(np.int32)
    n = len(q)
    # carry the last value seen forward over the NaNs
    seen_at = np.where(bad, -1, np.arange(n)[:, None, None])
    seen_at = np.maximum.accumulate(seen_at, axis=0)
    filled = np.where(seen_at >= 0, np.take_along_axis(q, np.maximum(seen_at, 0), axis=0), last[None])
    before = np.concatenate([last[None], filled[:-1]])
    diff = filled - before
    diff[bad] = NAN_CODE
    return np.ascontiguousarray(diff.astype(np.int16).transpose(2, 1, 0)), filled[-1].copy(), clipped


def dequantise_series(codes: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Inverse of :func:`quantise_series` over a whole recording: (c, 33, T) int16 -> (T, 33, c)
    float64, NaN where the code says so."""
    nan = codes == NAN_CODE
    values = np.cumsum(np.where(nan, 0, codes).astype(np.int32), axis=2) / steps[:, None, None]
    values[nan] = np.nan
    return np.ascontiguousarray(values.transpose(2, 1, 0))


# --------------------------------------------------------------------------- writing
CHUNK_FRAMES = 256  # frames held in memory before they go to the spool file (~0.6 MB)


@dataclass(frozen=True)
class _Chunk:
    """Where one flushed chunk of frames lies in the spool file. Its sections follow each
    other: timestamps, people, mask_index, landmark codes, world codes (raw), then its masks
    zlib-compressed."""

    offset: int
    start: int  # index of its first frame in the recording
    frames: int
    mask_start: int  # row of its first mask in the recording's `masks`
    masks: int
    masks_nbytes: int  # compressed


_ROW_BYTES = {  # bytes per frame of each raw section of a chunk, in spool order
    "timestamps_ms": 8,
    "people": 1,
    "mask_index": 4,
    "landmarks_q": N_LANDMARKS * 5 * 2,
    "world_q": N_LANDMARKS * 3 * 2,
}
_ROW_OFFSET = {name: sum(list(_ROW_BYTES.values())[:i]) for i, name in enumerate(_ROW_BYTES)}
_RAW_FRAME_BYTES = sum(_ROW_BYTES.values())  # the compressed masks follow the raw sections
_SERIES = {"landmarks_q": 5, "world_q": 3}  # columns of the coded sections (each 33 landmarks)


class RecordingWriter:
    """Streams PoseFrames to disk as they come and writes the recording at ``close()``.

    A live session can last an hour or more, so frames are not kept: every
    ``chunk_frames`` frames are coded (version 2: quantised differences) and go to a spool
    file next to the target (anonymous: it has no name, so a killed process leaves nothing
    behind and the kernel frees the space), and ``close()`` assembles the ``.npz`` from it,
    one landmark's time series at a time, into a temporary file that is renamed over the
    target. Memory stays at one chunk however long the run; while closing, add one time
    series of the whole run (2 bytes a frame) and the LZMA encoder (~90 MB, whatever the
    length). Closing an hour at 15 fps takes ~8 s of CPU.

    A write error while recording (a full disk) does not stop the coaching: the writer
    stops recording and ``close()`` raises the one-line RecordingError, as it would have
    when writing the file.
    """

    def __init__(self, path: str | os.PathLike, meta: dict | None = None, *, chunk_frames: int = CHUNK_FRAMES) -> None:
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
        if chunk_frames < 1:
            raise ValueError("chunk_frames must be at least 1")
        self.meta = dict(meta or {})
        self._folder = parent
        self._chunk_frames = int(chunk_frames)
        # the chunk being filled; rows [0, _fill) hold frames _chunk_start.. of the recording
        self._ts = np.empty(chunk_frames, np.float64)
        self._people = np.empty(chunk_frames, np.int8)
        self._lm = np.empty((chunk_frames, N_LANDMARKS, 5), np.float64)
        self._world = np.empty((chunk_frames, N_LANDMARKS, 3), np.float64)
        self._mask_index = np.empty(chunk_frames, np.int32)
        self._masks: np.ndarray | None = None  # (chunk_frames, mh, ceil(mw/8)) once a mask comes
        self._fill = 0
        self._mask_fill = 0
        self._chunk_start = 0
        self._masks_start = 0
        self._chunks: list[_Chunk] = []  # what is in the spool (a few bytes per chunk)
        # the last value seen of every series, in steps, after the committed chunks ...
        self._last = {"landmarks_q": np.zeros((N_LANDMARKS, 5), np.int32),
                      "world_q": np.zeros((N_LANDMARKS, 3), np.int32)}
        # ... and after the chunk being written (taken over once it is committed)
        self._pending: tuple[int, dict[str, np.ndarray], int] | None = None
        self._clipped = 0
        self._all_one_person = True
        self._spool: BinaryIO | None = None
        self._image_wh: tuple[int, int] | None = None
        self._mask_wh: tuple[int, int] | None = None
        self._error: RecordingError | None = None
        self._closed = False
        self._result: Path | None = None

    def __len__(self) -> int:
        return self._chunk_start + self._fill

    @property
    def buffered_frames(self) -> int:
        """Frames held in memory, not yet in the spool file (at most ``chunk_frames``)."""
        return self._fill

    def add(self, frame: PoseFrame, people: int | None = None) -> None:
        """Record one frame. ``people``: how many people the estimator saw (default: the
        frame's ``people``, else 1)."""
        if self._closed:
            raise RecordingError(f"the recording {self.path} is already closed")
        if self._error is not None:
            return  # recording stopped on a write error; close() reports it
        if self._image_wh is None:
            self._image_wh = frame.image_wh
            self._mask_wh = _mask_size(frame.image_wh)
        if self._fill == self._chunk_frames:  # a flush was cut short (Ctrl-C): finish it first
            self._flush()
            if self._error is not None:
                return
        i = self._fill
        self._ts[i] = float(frame.timestamp_ms)
        count = getattr(frame, "people", 1) if people is None else people
        self._people[i] = max(-128, min(127, int(count)))
        self._lm[i] = frame.landmarks
        self._world[i] = frame.world
        if frame.mask is not None and self._mask_wh is not None:
            small = cv2.resize(frame.mask.astype(np.float32), self._mask_wh, interpolation=cv2.INTER_AREA)
            packed = np.packbits(small > 0.5, axis=1)
            if self._masks is None:
                self._masks = np.empty((self._chunk_frames, *packed.shape), np.uint8)
            k = self._mask_fill
            self._masks[k] = packed
            self._mask_index[i] = self._masks_start + k
            self._mask_fill = k + 1
        else:
            self._mask_index[i] = -1
        # counted last: a frame interrupted half-way is simply not in the recording
        self._fill = i + 1
        if self._fill == self._chunk_frames:
            self._flush()

    def _flush(self) -> None:
        """Append the chunk to the spool. Registering it in ``_chunks`` is the commit: a
        chunk written but not registered (cut short) is ignored and written again."""
        if self._fill == 0:
            return
        committed = self._chunks[-1].start + self._chunks[-1].frames if self._chunks else 0
        if committed == self._chunk_start:  # not in the spool yet
            n, k = self._fill, self._mask_fill
            lm_codes, lm_last, lm_clipped = quantise_series(self._lm[:n], QUANT_LANDMARKS, self._last["landmarks_q"])
            w_codes, w_last, w_clipped = quantise_series(self._world[:n], QUANT_WORLD, self._last["world_q"])
            self._pending = (len(self._chunks) + 1, {"landmarks_q": lm_last, "world_q": w_last}, lm_clipped + w_clipped)
            try:
                if self._spool is None:
                    self._spool = tempfile.TemporaryFile(prefix=".tmp-", suffix=SUFFIX, dir=str(self._folder))
                offset = self._spool.seek(0, os.SEEK_END)
                for section in (self._ts[:n], self._people[:n], self._mask_index[:n], lm_codes, w_codes):
                    self._spool.write(section.data)  # as in _ROW_BYTES
                # bit-packed masks are mostly runs of equal bytes: level 1 shrinks them many
                # times over for a few microseconds a frame, so the spool stays small
                zmasks = zlib.compress(self._masks[:k].data, 1) if k and self._masks is not None else b""
                self._spool.write(zmasks)
            except OSError as exc:
                self._fail(exc)
                return
            self._chunks.append(_Chunk(offset, self._chunk_start, n, self._masks_start, k, len(zmasks)))
        if self._pending is not None and self._pending[0] == len(self._chunks):  # the chunk is committed
            _, self._last, clipped = self._pending
            self._clipped += clipped
            self._all_one_person = self._all_one_person and bool(np.all(self._people[: self._fill] <= 1))  # 0: nobody seen (no landmarks either)
            self._pending = None
        last = self._chunks[-1]
        self._chunk_start = last.start + last.frames
        self._masks_start = last.mask_start + last.masks
        self._fill = self._mask_fill = 0

    def _fail(self, exc: OSError) -> None:
        self._error = _write_error(self.path, exc)
        self._fill = self._mask_fill = 0
        self._drop_spool()

    def _drop_spool(self) -> None:
        if self._spool is not None:
            with contextlib.suppress(OSError):
                self._spool.close()
            self._spool = None

    def close(self) -> Path | None:
        """Write the file; returns its path (None when no frame was added).

        Called again, it returns the same answer without writing again."""
        if self._closed:
            if self._error is not None:
                raise self._error
            return self._result
        try:
            self._flush()
            if self._error is None and len(self):
                self._result = _write_atomic(self.path, self._write_npz)
        except RecordingError as exc:
            self._error = exc
        finally:
            self._closed = True
            self._drop_spool()
            self._fill = self._mask_fill = 0
        if self._error is not None:
            raise self._error
        return self._result

    def _write_npz(self, fh: BinaryIO) -> None:
        """The version-2 ``.npz``, each large array streamed from the spool."""
        assert self._spool is not None and self._image_wh is not None
        n = len(self)
        n_masks = self._masks_start
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        quantised = {
            "landmarks_q": {"columns": ["x", "y", "z", "visibility", "presence"],
                            "steps_per_unit": QUANT_LANDMARKS.tolist()},
            "world_q": {"columns": ["x_m", "y_m", "z_m"], "steps_per_unit": QUANT_WORLD.tolist()},
            "coding": "int16 differences along time per landmark and column",
            "clip_steps": CLIP_STEPS, "nan_code": NAN_CODE, "clipped_values": self._clipped,
        }
        meta = {"created": created, **self.meta, "quantised": quantised}  # a copy keeps its creation time
        with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_LZMA, allowZip64=True) as zf:
            _put_array(zf, "format", np.array(FORMAT))
            _put_array(zf, "version", np.array(VERSION))
            self._put_rows(zf, "timestamps_ms", np.float64)
            self._put_series(zf, "landmarks_q")
            self._put_series(zf, "world_q")
            _put_array(zf, "image_wh", np.array(self._image_wh, dtype=np.int64))
            _put_array(zf, "meta_json", np.array(json.dumps(meta)))
            if not self._all_one_person:
                self._put_rows(zf, "people", np.int8)
            if n_masks:
                assert self._masks is not None
                self._put_rows(zf, "mask_index", np.int32)
                self._put_masks(zf, (n_masks, *self._masks.shape[1:]))
                _put_array(zf, "mask_wh", np.array(self._mask_wh, dtype=np.int64))
        assert n == sum(c.frames for c in self._chunks)

    def _member(self, zf: zipfile.ZipFile, name: str, dtype, shape: tuple[int, ...]):
        """An ``.npy`` member, open for writing the array's bytes after ``np.save``'s header."""
        member = zf.open(name + ".npy", "w", force_zip64=True)
        np.lib.format.write_array_header_1_0(
            member, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape})
        return member

    def _put_rows(self, zf: zipfile.ZipFile, name: str, dtype) -> None:
        """A per-frame array: its section of every chunk in order."""
        spool = self._spool
        assert spool is not None
        with self._member(zf, name, dtype, (len(self),)) as member:
            for chunk in self._chunks:
                at = chunk.offset + _ROW_OFFSET[name] * chunk.frames
                member.write(_read_exactly(spool, at, _ROW_BYTES[name] * chunk.frames))

    def _put_series(self, zf: zipfile.ZipFile, name: str) -> None:
        """A coded (c, 33, T) array: each chunk holds (c, 33, frames); the file holds every
        series whole, so one series is gathered from all chunks at a time."""
        spool = self._spool
        assert spool is not None
        columns = _SERIES[name]
        with self._member(zf, name, np.int16, (columns, N_LANDMARKS, len(self))) as member:
            for series in range(columns * N_LANDMARKS):
                for chunk in self._chunks:
                    at = chunk.offset + _ROW_OFFSET[name] * chunk.frames + series * 2 * chunk.frames
                    member.write(_read_exactly(spool, at, 2 * chunk.frames))

    def _put_masks(self, zf: zipfile.ZipFile, shape: tuple[int, ...]) -> None:
        spool = self._spool
        assert spool is not None
        with self._member(zf, "masks", np.uint8, shape) as member:
            for chunk in self._chunks:
                if chunk.masks:
                    at = chunk.offset + _RAW_FRAME_BYTES * chunk.frames
                    member.write(zlib.decompress(_read_exactly(spool, at, chunk.masks_nbytes)))


def _read_exactly(fh: BinaryIO, offset: int, size: int) -> bytes:
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise OSError(f"spool file is short ({len(data)} of {size} bytes at {offset})")
    return data


def _put_array(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with zf.open(name + ".npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def _write_error(path: Path, exc: OSError) -> RecordingError:
    return RecordingError(f"could not write {path}: {exc.strerror or exc}; free some space or choose another folder")


def _write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write through ``write`` atomically and user-only (:func:`coach.files.atomic_write`):
    a reader sees the old file or the whole new one, also after Ctrl-C during the write."""
    try:
        return atomic_write(path, write)
    except OSError as exc:
        raise _write_error(path, exc) from None


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an ``.npz`` as they are (e.g. a version-1 recording made by hand)."""
    return _write_atomic(path, lambda fh: np.savez_compressed(fh, **arrays))


def version1_arrays(clip: PoseClip) -> dict[str, np.ndarray]:
    """The arrays of ``clip`` as a version-1 recording holds them (float32, no masks): for
    tests and tools that need the old format on purpose (write them with save_arrays)."""
    return {
        "format": np.array(FORMAT), "version": np.array(1),
        "timestamps_ms": np.asarray(clip.timestamps_ms, np.float64),
        "landmarks": np.asarray(clip.landmarks, np.float32), "world": np.asarray(clip.world, np.float32),
        "image_wh": np.array(clip.image_wh, dtype=np.int64), "meta_json": np.array(json.dumps(clip.meta)),
    }


def save_clip(clip: PoseClip, path: str | os.PathLike) -> Path:
    meta = {k: v for k, v in clip.meta.items() if k != "quantised"}
    writer = RecordingWriter(path, meta=meta)
    for i, frame in enumerate(clip):
        writer.add(frame, people=None if clip.people is None else int(clip.people[i]))
    out = writer.close()
    assert out is not None
    return out


# --------------------------------------------------------------------------- reading
def load_clip(path: str | os.PathLike) -> PoseClip:
    """Read a landmark recording (version 1 or 2); a malformed file raises RecordingError
    (one line)."""
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"landmark recording not found: {path}")
    people = None
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files or str(data["format"]) != FORMAT:
                raise RecordingError(f"{path} is not a coach landmark recording (made with --record-landmarks)")
            version = int(data["version"])
            if version > VERSION:
                raise RecordingError(f"{path} is recording format v{version}; this coach reads up to v{VERSION}: update coach")
            ts = np.asarray(data["timestamps_ms"], dtype=np.float64)
            if version >= 2:
                lm_codes, world_codes = np.asarray(data["landmarks_q"]), np.asarray(data["world_q"])
                t = len(ts)
                if lm_codes.shape != (5, N_LANDMARKS, t) or world_codes.shape != (3, N_LANDMARKS, t) \
                        or lm_codes.dtype != np.int16 or world_codes.dtype != np.int16:
                    raise RecordingError(f"{path} has inconsistent array shapes; record it again")
                lm = dequantise_series(lm_codes, QUANT_LANDMARKS)
                world = dequantise_series(world_codes, QUANT_WORLD)
                if "people" in data.files:
                    people = np.asarray(data["people"], dtype=np.int8)
                    if people.shape != (t,):
                        raise RecordingError(f"{path} has inconsistent array shapes; record it again")
            else:
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
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, json.JSONDecodeError, zlib.error,
            lzma.LZMAError) as exc:
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
    return PoseClip(timestamps_ms=ts, landmarks=lm, world=world, image_wh=image_wh, masks=masks, meta=meta,
                    people=people)


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
