import os
import zipfile

import numpy as np
import pytest

from coach.pose import PoseClip, PoseFrame
from coach.vision.recording import (
    RecordingError,
    RecordingSource,
    RecordingWriter,
    load_clip,
    save_arrays,
    save_clip,
    version1_arrays,
)

# Version 2's steps per unit (samples/README.md, coach/vision/recording.py): x, y 1/4096,
# z 1/2048, visibility and presence 1/250, world 1 mm; values clipped to +-16383 steps.
LM_STEPS = np.array([4096.0, 4096.0, 2048.0, 250.0, 250.0])
WORLD_STEPS = np.array([1000.0, 1000.0, 1000.0])


def _quantised(values, steps):
    """What version 2 gives back for ``values``: the nearest step (clipped), NaN for NaN and
    infinity. Written out here, not taken from the module."""
    v = np.asarray(values, dtype=np.float64)
    out = np.clip(np.rint(v * steps), -16383, 16383) / steps
    out[~np.isfinite(v)] = np.nan
    return out


def _frame(ts, seed, with_mask=False, detected=True):
    rng = np.random.default_rng(seed)
    if not detected:
        return PoseFrame.empty(ts, (640, 480))
    lm = np.column_stack([rng.random((33, 3)), rng.random(33), rng.random(33)])
    mask = None
    if with_mask:
        mask = np.zeros((480, 640), np.float32)
        mask[100:300, 200:400] = 1.0
    return PoseFrame(timestamp_ms=ts, landmarks=lm, world=rng.normal(size=(33, 3)), image_wh=(640, 480), mask=mask)


def test_roundtrip_keeps_every_frame(tmp_path):
    frames = [_frame(i * 66.7, i, with_mask=(i % 2 == 0), detected=(i != 3)) for i in range(8)]
    path = tmp_path / "run.npz"
    w = RecordingWriter(path, meta={"source": "unit"})
    for f in frames:
        w.add(f)
    assert w.close() == path
    assert (os.stat(path).st_mode & 0o777) == 0o600
    clip = load_clip(path)
    assert len(clip) == 8 and clip.image_wh == (640, 480)
    assert clip.meta["source"] == "unit"
    assert np.array_equal(clip.timestamps_ms, [f.timestamp_ms for f in frames])  # exact
    # within half a step of each column: 1/8192 for x, y; 1/4096 for z; 0.002 for visibility
    assert np.all(np.abs(clip.landmarks[0] - frames[0].landmarks) <= 0.5 / LM_STEPS + 1e-12)
    assert np.all(np.abs(clip.world[0] - frames[0].world) <= 0.0005 + 1e-12)
    assert not clip.frame(3).detected
    assert clip.masks[1] is None
    m = clip.masks[0]
    assert m.shape == (120, 160)  # longer side capped at 160 px
    assert m[25:75, 50:100].mean() > 0.95 and m[:20].mean() == 0.0
    replayed = list(RecordingSource(path))
    assert [f.timestamp_ms for f in replayed] == list(clip.timestamps_ms)


def test_save_clip_helper(tmp_path):
    clip = PoseClip.from_frames([_frame(0, 1), _frame(100, 2)])
    out = save_clip(clip, tmp_path / "c.npz")
    assert len(load_clip(out)) == 2


def test_infinite_values_become_not_seen(tmp_path):
    f = _frame(0, 1)
    f.landmarks[5, 0] = np.inf
    path = tmp_path / "inf.npz"
    w = RecordingWriter(path)
    w.add(f)
    w.close()
    clip = load_clip(path)
    assert np.isnan(clip.landmarks[0, 5, 0]) and np.isfinite(clip.landmarks[0, 6, 0])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign_npz", "missing"])
def test_malformed_recordings_give_one_line_errors(tmp_path, damage):
    path = tmp_path / "bad.npz"
    if damage == "garbage":
        path.write_bytes(b"\x00\x01garbage" * 50)
    elif damage == "truncated":
        good = tmp_path / "good.npz"
        w = RecordingWriter(good)
        for i in range(5):
            w.add(_frame(i * 10.0, i))
        w.close()
        path.write_bytes(good.read_bytes()[:300])
    elif damage == "foreign_npz":
        np.savez(path, a=np.arange(3))
    with pytest.raises(RecordingError) as info:
        load_clip(path)
    assert "\n" not in str(info.value)


def test_decreasing_timestamps_rejected(tmp_path):
    path = tmp_path / "t.npz"
    w = RecordingWriter(path)
    w.add(_frame(100.0, 1))
    w.add(_frame(50.0, 2))
    w.close()
    with pytest.raises(RecordingError, match="decreasing"):
        load_clip(path)


def test_writer_rejects_bad_destination(tmp_path):
    with pytest.raises(RecordingError, match="must end in .npz"):
        RecordingWriter(tmp_path / "x.json")
    with pytest.raises(RecordingError, match="does not exist"):
        RecordingWriter(tmp_path / "no" / "x.npz")


def test_no_partial_file_on_failed_write(tmp_path, monkeypatch):
    path = tmp_path / "r.npz"
    path.write_bytes(b"old content")
    w = RecordingWriter(path)
    w.add(_frame(0, 1))

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)  # the disk fills up while the file is finished
    with pytest.raises(RecordingError, match="No space left"):
        w.close()
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]


# --------------------------------------------------------------------------- streaming writer
def _stream(n, seed=0, mask_every=3):
    """``n`` varied frames made one at a time (the test itself holds none of them): some
    without a person, masks of changing shape on every ``mask_every``-th frame."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        if i % 11 == 5:
            yield PoseFrame.empty(i * 33.3, (640, 480))
            continue
        lm = np.column_stack([rng.random((33, 3)), rng.random(33), rng.random(33)])
        mask = None
        if mask_every and i % mask_every == 0:
            mask = np.zeros((48, 64), np.float32)
            mask[4 + i % 17 : 40, 8 : 30 + i % 29] = 1.0
        yield PoseFrame(timestamp_ms=i * 33.3, landmarks=lm, world=rng.normal(size=(33, 3)), image_wh=(640, 480),
                        mask=mask)


def test_writer_memory_stays_at_one_chunk(tmp_path):
    """20,000 frames with masks: held in memory they take ~60 MB (landmarks, world and
    packed masks); streamed, the writer never holds more than one chunk (~1 MB)."""
    import tracemalloc

    from coach.vision.recording import CHUNK_FRAMES

    w = RecordingWriter(tmp_path / "long.npz")
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for f in _stream(20_000):
            w.add(f)
            assert w.buffered_frames <= CHUNK_FRAMES
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(w) == 20_000
    assert held - base < 3_000_000, held - base
    assert peak - base < 5_000_000, peak - base
    # the spool has no name: a killed process leaves nothing in the folder
    assert list(tmp_path.iterdir()) == []
    assert w.close() == tmp_path / "long.npz"
    assert [p.name for p in tmp_path.iterdir()] == ["long.npz"]
    assert len(load_clip(tmp_path / "long.npz")) == 20_000


def _expected_mask(mask, wh=(160, 120)):
    import cv2

    return (cv2.resize(mask, wh, interpolation=cv2.INTER_AREA) > 0.5).astype(np.float32)


@pytest.mark.parametrize("n,chunk", [(3 * 256 + 77, 256), (1000, 1), (256, 256), (1, 256)])
def test_long_roundtrip_with_masks_is_exact(tmp_path, n, chunk):
    path = tmp_path / "r.npz"
    w = RecordingWriter(path, meta={"source": "unit"}, chunk_frames=chunk)
    for f in _stream(n):
        w.add(f)
    assert w.close() == path
    clip = load_clip(path)
    frames = list(_stream(n))
    assert len(clip) == n
    assert np.array_equal(clip.timestamps_ms, [f.timestamp_ms for f in frames])
    assert np.array_equal(clip.landmarks, _quantised(np.stack([f.landmarks for f in frames]), LM_STEPS),
                          equal_nan=True)
    assert np.array_equal(clip.world, _quantised(np.stack([f.world for f in frames]), WORLD_STEPS), equal_nan=True)
    assert clip.meta["source"] == "unit"
    assert clip.meta["quantised"]["landmarks_q"]["steps_per_unit"] == LM_STEPS.tolist()
    assert clip.people is None  # one person in every frame: no people array
    for i, f in enumerate(frames):
        if f.mask is None:
            assert clip.masks[i] is None
        else:
            assert np.array_equal(clip.masks[i], _expected_mask(f.mask)), i
    with np.load(path) as data:  # format version 2, as documented
        assert int(data["version"]) == 2 and str(data["format"]) == "coach-landmarks"
        assert data["landmarks_q"].dtype == np.int16 and data["landmarks_q"].shape == (5, 33, n)
        assert data["world_q"].dtype == np.int16 and data["world_q"].shape == (3, 33, n)
        assert "landmarks" not in data.files and "people" not in data.files
        assert data["mask_index"].dtype == np.int32
        assert data["masks"].shape == (sum(f.mask is not None for f in frames), 120, 20)
    with zipfile.ZipFile(path) as zf:  # every member LZMA-compressed
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_LZMA}


def test_ctrl_c_during_a_flush_loses_no_frame(tmp_path, monkeypatch):
    """Ctrl-C in the middle of writing a chunk to the spool: the frames are still all
    recorded once, in order (the half-written chunk is written again)."""
    import zlib

    import coach.vision.recording as recording

    real = zlib.compress
    calls = {"n": 0}

    def interrupted_once(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(recording.zlib, "compress", interrupted_once)
    path = tmp_path / "r.npz"
    w = RecordingWriter(path, chunk_frames=10)
    frames = list(_stream(35, mask_every=1))
    added = 0
    for f in frames:
        try:
            w.add(f)
        except KeyboardInterrupt:
            pass  # the frame itself was recorded before the flush began
        added += 1
    monkeypatch.setattr(recording.zlib, "compress", real)
    assert calls["n"] >= 3 and len(w) == added == 35
    w.close()
    clip = load_clip(path)
    assert np.array_equal(clip.timestamps_ms, [f.timestamp_ms for f in frames])
    # the chunk written twice did not shift the time series coded after it
    assert np.array_equal(clip.landmarks, _quantised(np.stack([f.landmarks for f in frames]), LM_STEPS),
                          equal_nan=True)
    assert all(np.array_equal(clip.masks[i], _expected_mask(f.mask)) for i, f in enumerate(frames) if f.mask is not None)


def test_disk_full_while_recording_keeps_coaching_and_reports_at_close(tmp_path, monkeypatch):
    import io

    import coach.vision.recording as recording

    class FullDisk(io.BytesIO):
        def write(self, data):
            raise OSError(28, "No space left on device")

    path = tmp_path / "r.npz"
    path.write_bytes(b"old content")
    monkeypatch.setattr(recording.tempfile, "TemporaryFile", lambda **k: FullDisk())
    w = RecordingWriter(path, chunk_frames=4)
    for f in _stream(20):
        w.add(f)  # never raises: the run goes on
    with pytest.raises(RecordingError, match="No space left") as info:
        w.close()
    assert "\n" not in str(info.value) and "r.npz" in str(info.value)
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_file_is_user_only_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        w = RecordingWriter(tmp_path / "r.npz")
        for f in _stream(300):
            w.add(f)
        path = w.close()
    finally:
        os.umask(old)
    assert (os.stat(path).st_mode & 0o777) == 0o600


def test_close_twice_and_add_after_close(tmp_path):
    w = RecordingWriter(tmp_path / "r.npz")
    assert w.close() is None and list(tmp_path.iterdir()) == []  # no frame, no file
    w = RecordingWriter(tmp_path / "r.npz")
    w.add(_frame(0, 1))
    assert w.close() == w.close() == tmp_path / "r.npz"
    with pytest.raises(RecordingError, match="already closed"):
        w.add(_frame(100, 2))


# --------------------------------------------------------------------------- format version 2
def _noisy_walk(n, seed):
    """(n, 33, 5) landmarks and (n, 33, 3) world that wander like a person does, with holes:
    whole frames without a person, single points missing, a gap across chunk boundaries."""
    rng = np.random.default_rng(seed)
    lm = 0.5 + np.cumsum(rng.normal(0, 0.004, (n, 33, 5)), axis=0)
    lm[..., 3:] = rng.random((n, 33, 2))
    world = np.cumsum(rng.normal(0, 0.003, (n, 33, 3)), axis=0)
    lm[rng.random(n) < 0.1] = np.nan  # nobody in the picture
    world[np.isnan(lm[:, 0, 0])] = np.nan
    holes = rng.random((n, 33)) < 0.05
    lm[holes, :2] = np.nan  # a point without a position
    lm[n // 3 : n // 3 + 40, 7] = np.nan  # one landmark gone for 40 frames
    return lm, world


@pytest.mark.parametrize("chunk", [1, 7, 256])
def test_v2_codes_time_series_exactly_across_chunks_and_holes(tmp_path, chunk):
    n = 300
    lm, world = _noisy_walk(n, seed=chunk)
    path = tmp_path / "r.npz"
    w = RecordingWriter(path, chunk_frames=chunk)
    for i in range(n):
        w.add(PoseFrame(timestamp_ms=i * 1000 / 15, landmarks=lm[i], world=world[i], image_wh=(640, 480)))
    w.close()
    clip = load_clip(path)
    assert np.array_equal(clip.landmarks, _quantised(lm, LM_STEPS), equal_nan=True)
    assert np.array_equal(clip.world, _quantised(world, WORLD_STEPS), equal_nan=True)
    assert np.array_equal(clip.timestamps_ms, np.arange(n) * 1000 / 15)  # bit for bit
    assert [f.detected for f in clip] == list(np.isfinite(lm[:, :, 0]).any(axis=1))


def test_v2_clips_out_of_range_values_and_stores_infinity_as_not_seen(tmp_path):
    f = _frame(0.0, 1)
    f.landmarks[3, 0] = 1e30  # far outside the picture: clipped to 4 picture widths
    f.landmarks[4, 1] = -7.5
    f.landmarks[5, 0] = np.inf
    f.world[6, 2] = 40.0  # 40 m: clipped to 16.383 m
    path = tmp_path / "r.npz"
    w = RecordingWriter(path)
    w.add(f)
    w.close()
    clip = load_clip(path)
    assert clip.landmarks[0, 3, 0] == 16383 / 4096 and clip.landmarks[0, 4, 1] == -16383 / 4096
    assert np.isnan(clip.landmarks[0, 5, 0]) and np.isfinite(clip.landmarks[0, 5, 1])
    assert clip.world[0, 6, 2] == 16.383
    assert clip.meta["quantised"]["clipped_values"] == 3


def test_people_are_stored_only_when_someone_else_was_seen(tmp_path):
    class CountedFrame(PoseFrame):  # a PoseFrame with the estimator's count of people
        pass

    def frames(counts):
        for i, k in enumerate(counts):
            f = CountedFrame(timestamp_ms=i * 100.0, landmarks=_frame(0, i).landmarks, world=np.zeros((33, 3)),
                             image_wh=(640, 480))
            if k is not None:
                f.people = k
            yield f

    counts = [1, 1, 2, 3, 1, 0, 1, 1, 2, 1]
    path = tmp_path / "two.npz"
    w = RecordingWriter(path, chunk_frames=3)
    for f in frames(counts):
        w.add(f)
    w.close()
    with np.load(path) as data:
        assert data["people"].dtype == np.int8
    clip = load_clip(path)
    assert clip.people.tolist() == counts
    # a copy keeps them
    assert load_clip(save_clip(clip, tmp_path / "copy.npz")).people.tolist() == counts
    assert PoseClip.from_frames(list(frames(counts))).people.tolist() == counts
    # frames without the field count as one person: no people array at all
    path1 = tmp_path / "one.npz"
    w = RecordingWriter(path1)
    for f in frames([None, 1, None]):
        w.add(f)
    w.close()
    with np.load(path1) as data:
        assert "people" not in data.files
    assert load_clip(path1).people is None


def test_version_1_files_are_still_read_as_they_were(tmp_path):
    frames = [_frame(i * 100.0, i, detected=(i != 2)) for i in range(5)]
    clip = PoseClip.from_frames(frames, meta={"source": "old"})
    path = tmp_path / "v1.npz"
    save_arrays(path, version1_arrays(clip))
    with np.load(path) as data:
        assert int(data["version"]) == 1 and data["landmarks"].dtype == np.float32
    old = load_clip(path)
    # version 1 keeps float32 values: exactly those, not quantised
    assert np.array_equal(old.landmarks, clip.landmarks.astype(np.float32).astype(np.float64), equal_nan=True)
    assert old.meta["source"] == "old" and old.people is None and not old.frame(2).detected
    # converted to version 2, the same clip within half a step
    new = load_clip(save_clip(old, tmp_path / "v2.npz"))
    both = np.isfinite(old.landmarks)
    assert np.array_equal(both, np.isfinite(new.landmarks))
    assert np.all(np.abs(new.landmarks - old.landmarks)[both] <= (0.5 / np.broadcast_to(LM_STEPS, old.landmarks.shape))[both] + 1e-12)
    assert np.array_equal(new.timestamps_ms, old.timestamps_ms)


@pytest.mark.parametrize("damage", ["short_series", "wrong_dtype", "people_length", "future_version"])
def test_damaged_v2_files_give_one_line_errors(tmp_path, damage):
    good = tmp_path / "good.npz"
    w = RecordingWriter(good)
    for i in range(4):
        w.add(_frame(i * 10.0, i))
    w.close()
    with np.load(good) as d:
        arrays = {k: d[k] for k in d.files}
    if damage == "short_series":
        arrays["landmarks_q"] = arrays["landmarks_q"][:, :, :3]
    elif damage == "wrong_dtype":
        arrays["world_q"] = arrays["world_q"].astype(np.float32)
    elif damage == "people_length":
        arrays["people"] = np.array([1, 2], np.int8)
    else:
        arrays["version"] = np.array(3)
    bad = save_arrays(tmp_path / "bad.npz", arrays)
    with pytest.raises(RecordingError, match="shapes|v3") as info:
        load_clip(bad)
    assert "\n" not in str(info.value)
