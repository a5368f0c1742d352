import os

import numpy as np
import pytest

from coach.pose import PoseClip, PoseFrame
from coach.recording import RecordingError, RecordingSource, RecordingWriter, load_clip, save_clip


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

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(RecordingError, match="No space left"):
        w.close()
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]
