import os

import numpy as np
import pytest

from coach.pose import PoseClip, PoseFrame
from coach.vision.recording import RecordingError, RecordingSource, RecordingWriter, load_clip, save_clip


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
    assert np.allclose(clip.timestamps_ms, [f.timestamp_ms for f in frames])
    assert np.allclose(clip.landmarks[0], frames[0].landmarks, atol=1e-6)
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
    assert np.array_equal(clip.landmarks, np.stack([f.landmarks.astype(np.float32) for f in frames]), equal_nan=True)
    assert np.array_equal(clip.world, np.stack([f.world.astype(np.float32) for f in frames]), equal_nan=True)
    assert clip.meta["source"] == "unit"
    for i, f in enumerate(frames):
        if f.mask is None:
            assert clip.masks[i] is None
        else:
            assert np.array_equal(clip.masks[i], _expected_mask(f.mask)), i
    with np.load(path) as data:  # format version 1, as documented
        assert int(data["version"]) == 1 and str(data["format"]) == "coach-landmarks"
        assert data["landmarks"].dtype == np.float32 and data["mask_index"].dtype == np.int32
        assert data["masks"].shape == (sum(f.mask is not None for f in frames), 120, 20)


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
