import subprocess

import cv2
import numpy as np
import pytest

from coach.vision.sources import CameraSource, ImageFolderSource, SourceError, VideoFileSource, open_source
from needs import tool


def _write_video(path, n=20, fps=10.0, wh=(64, 48)):
    w, h = wh
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:10, :20] = 255  # a white block in the top-left corner
        frame[h - 5:, : (i * w) // n + 1] = (0, 0, 255)  # a red progress bar at the bottom
        writer.write(frame)
    writer.release()
    return path


def test_video_frames_and_timestamps(tmp_path):
    src = VideoFileSource(_write_video(tmp_path / "a.mp4", n=20, fps=10.0))
    frames = list(src)
    assert len(frames) == 20
    assert src.info.resolution_wh == (64, 48) and src.info.fps == pytest.approx(10.0)
    ts = np.array([f.timestamp_ms for f in frames])
    assert ts[0] == pytest.approx(0.0)
    assert np.allclose(np.diff(ts), 100.0, atol=1.0)
    assert frames[0].rgb.shape == (48, 64, 3) and frames[0].rgb.dtype == np.uint8
    # RGB order: the red bar (BGR (0,0,255)) reads as R=255.
    assert frames[-1].rgb[-1, 0, 0] > 200 and frames[-1].rgb[-1, 0, 2] < 60


def test_replaying_twice_gives_identical_timestamps(tmp_path):
    path = _write_video(tmp_path / "a.mp4")
    first = [f.timestamp_ms for f in VideoFileSource(path)]
    second = [f.timestamp_ms for f in VideoFileSource(path)]
    assert first == second


def test_phone_rotation_metadata_is_honoured(tmp_path):
    tool("ffmpeg")
    plain = _write_video(tmp_path / "plain.mp4")
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(plain), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rotated)], check=True)
    reference = tmp_path / "ref.png"  # what ffmpeg (and any player) shows
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(rotated), "-frames:v", "1", str(reference)], check=True)
    ref = cv2.cvtColor(cv2.imread(str(reference)), cv2.COLOR_BGR2RGB)
    src = VideoFileSource(rotated)
    first = next(iter(src))
    assert src.info.resolution_wh == (48, 64)
    assert first.rgb.shape == ref.shape == (64, 48, 3)
    white = lambda im: (im.min(axis=2) > 200)  # noqa: E731
    overlap = (white(first.rgb) & white(ref)).sum() / max(white(ref).sum(), 1)
    assert overlap > 0.9


def test_missing_empty_and_not_a_video(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        VideoFileSource(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        VideoFileSource(empty)
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    with pytest.raises(SourceError, match="not a video"):
        VideoFileSource(text)


def test_image_folder(tmp_path):
    for i in range(3):
        img = np.full((30, 40, 3), i * 50, np.uint8)
        cv2.imwrite(str(tmp_path / f"img{i:02d}.png"), img)
    (tmp_path / "readme.txt").write_text("not an image")
    src = open_source(tmp_path)
    assert isinstance(src, ImageFolderSource)
    frames = list(src)
    assert [f.timestamp_ms for f in frames] == [0.0, 100.0, 200.0]
    assert frames[2].rgb[0, 0, 0] == 100


def test_empty_image_folder(tmp_path):
    with pytest.raises(SourceError, match="no images"):
        ImageFolderSource(tmp_path)


def test_paced_file_camera_drops_stale_frames(tmp_path):
    """A video played as a live camera at 10 fps to a consumer that needs 0.35 s per
    frame: the consumer always gets the newest frame, stale ones are dropped and counted."""
    import time

    path = _write_video(tmp_path / "cam.mp4", n=30, fps=10.0)
    cam = CameraSource.from_file(path)
    got = []
    try:
        for frame in cam:
            got.append(frame)
            time.sleep(0.35)
    finally:
        cam.close()
    assert 5 <= len(got) <= 14
    assert cam.dropped >= 10
    ts = [f.timestamp_ms for f in got]
    assert all(b > a for a, b in zip(ts, ts[1:]))
