"""Camera faults. Only the camera hardware is simulated (FakeCapture stands in for
cv2.VideoCapture and plays real sample frames); the source, the real model, the engine
and the output are the real ones.

- no camera, camera busy: one line, exit 2, before anything runs
- unplugged mid-session: a few reconnection attempts, then a clear message, and the
  events and summary written (exit 2)
- unplugged and plugged back in: the session goes on
- frame rate dropping: timestamps follow the capture times; stale frames are dropped
"""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest

from coach.vision.sources import CameraSource

from fixtures_faults import FakeCapture, assert_one_line_error, read_events, read_frames, run_cli, sample


@pytest.fixture(scope="module")
def frames():
    """Real frames of a person (lying_twist set-up), 640x480."""
    return read_frames(sample("lying_twist"), 40)


def _patch_camera(monkeypatch, fake: FakeCapture) -> None:
    """cv2.VideoCapture(<camera number>) gives the fake; files still open for real."""
    real = cv2.VideoCapture

    def factory(arg=None, *rest):
        if isinstance(arg, int):
            return fake
        return real(arg, *rest) if arg is not None else real()

    monkeypatch.setattr(cv2, "VideoCapture", factory)


# --------------------------------------------------------------------------- at start
def test_no_camera_is_one_line_error(capsys, monkeypatch, tmp_path, frames):
    _patch_camera(monkeypatch, FakeCapture(frames, opened=False))
    code, _o, err = run_cli(["live", "-e", "lying_twist", "--camera", "0", "--no-window", "--out", tmp_path / "o"],
                            capsys)
    assert_one_line_error(code, err, 2, "cannot open camera 0")


def test_busy_camera_is_one_line_error(capsys, monkeypatch, tmp_path, frames):
    """Opens, but another program holds it: no picture comes."""
    _patch_camera(monkeypatch, FakeCapture(frames, first_read_fails=True))
    code, _o, err = run_cli(["live", "-e", "lying_twist", "--camera", "0", "--no-window", "--out", tmp_path / "o"],
                            capsys)
    assert_one_line_error(code, err, 2, "gives no picture")


# --------------------------------------------------------------------------- mid-session
@pytest.mark.e2e
def test_camera_unplugged_mid_session_retries_then_saves_and_says_so(capsys, monkeypatch, tmp_path, frames):
    fake = FakeCapture(frames, fail_after=40, delay_s=lambda i: 0.1)  # 4 s at 10 fps, then gone for good
    _patch_camera(monkeypatch, fake)
    code, out, err = run_cli(["live", "-e", "lying_twist", "--camera", "0", "--no-window", "--out", tmp_path / "o",
                              "--max-seconds", "60"], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    assert "stopped giving pictures" in err and "saved" in err
    assert fake.opens == 3  # three attempts to open it again, then give up (not --max-seconds' 60 s)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["stats"]["frames"] >= 20 and summary["stats"]["tracked_fraction"] > 0.8
    events = read_events(tmp_path / "o" / "events.jsonl")
    assert events[0]["kind"] == "exercise" and events[-1]["kind"] == "exercise"


def test_camera_plugged_back_in_goes_on(frames):
    fake = FakeCapture(frames, fail_after=20, replug_after_s=1.5, delay_s=lambda i: 0.02)
    src = CameraSource(capture=fake, reconnect_attempts=3, reconnect_wait_s=1.0)
    got = []
    try:
        for f in src:
            got.append(f.timestamp_ms)
            if len(got) >= 40:
                break
    finally:
        src.close()
    gaps = np.diff(got)
    print(f"replugged: reconnects {src.reconnects}, tries {src.reconnect_tries}, longest gap {gaps.max():.0f} ms")
    assert len(got) == 40 and not src.failed
    assert src.reconnects == 1 and 1 <= src.reconnect_tries <= 2
    assert gaps.max() > 1500  # the gap while unplugged is visible in the capture times
    assert np.all(gaps > 0)


def test_camera_gone_gives_up_after_the_attempts(frames):
    fake = FakeCapture(frames, fail_after=5, delay_s=lambda i: 0.01)
    src = CameraSource(capture=fake, reconnect_attempts=2, reconnect_wait_s=0.2)
    try:
        n = sum(1 for _ in src)
    finally:
        src.close()
    assert src.failed and not src.ended
    assert src.reconnect_tries == 2 and src.reconnects == 0 and fake.opens == 2
    assert 1 <= n <= 5


def test_bad_reconnect_arguments():
    with pytest.raises(ValueError, match="reconnect_attempts"):
        CameraSource(capture=FakeCapture([np.zeros((4, 4, 3), np.uint8)]), reconnect_attempts=-1)


# --------------------------------------------------------------------------- frame rate dropping
def test_frame_rate_dropping_keeps_capture_times(frames):
    """30 fps, then the camera drops to 5 fps (auto-exposure in a dark room): the frames'
    timestamps are the capture times, so holds and speeds stay true."""
    fake = FakeCapture(frames, delay_s=lambda i: 1 / 30 if i < 45 else 1 / 5)
    src = CameraSource(capture=fake)
    ts = []
    try:
        for f in src:
            ts.append(f.timestamp_ms)
            if len(ts) >= 60:
                break
    finally:
        src.close()
    gaps = np.diff(ts)
    fast, slow = np.median(gaps[5:35]), np.median(gaps[-10:])
    print(f"frame rate drop: median gap {fast:.0f} ms -> {slow:.0f} ms")
    assert 25 < fast < 50 and 180 < slow < 230


def test_slow_consumer_drops_stale_frames_not_queue(frames):
    """The coach slower than the camera: only the newest frame is taken, the rest are
    dropped and counted, and the delay behind the camera never builds up."""
    fake = FakeCapture(frames, delay_s=lambda i: 1 / 60)
    src = CameraSource(capture=fake)
    lags = []
    try:
        for i, f in enumerate(src):
            time.sleep(0.08)  # a slow frame
            lags.append((time.monotonic() - src._t0) * 1000.0 - f.timestamp_ms)
            if i >= 25:
                break
    finally:
        src.close()
    print(f"slow consumer: dropped {src.dropped}, lag first {lags[1]:.0f} ms, last {lags[-1]:.0f} ms")
    assert src.dropped > 50
    assert max(lags[5:]) < 150  # one slow frame behind at most, not growing


@pytest.mark.e2e
def test_camera_unplugged_in_a_guided_session_still_writes_the_report(capsys, monkeypatch, tmp_path, frames):
    import yaml

    from coach.cli import main as session_main
    from coach.session.safety import CONTRAINDICATIONS

    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"screening": {t: False for t in CONTRAINDICATIONS}}), encoding="utf-8")
    program = tmp_path / "p.yaml"
    program.write_text("exercises: [lying_twist]\nintro_s: 1\n", encoding="utf-8")
    fake = FakeCapture(frames, fail_after=40, delay_s=lambda i: 0.1)
    _patch_camera(monkeypatch, fake)
    out = tmp_path / "out"
    code = session_main(["session", "--program", str(program), "--camera", "0", "--no-window", "--out", str(out),
                         "--answers", str(answers), "--lang", "en", "--mute", "--max-seconds", "60"])
    _o, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err
    assert fake.opens == 3
    report = json.loads(next(out.glob("session-*.json")).read_text(encoding="utf-8"))
    assert report["ended_by"] == "camera_lost"
    assert next(out.glob("session-*.html")).read_text(encoding="utf-8").rstrip().endswith("</html>")
