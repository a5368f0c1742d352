"""Interruption: Ctrl-C, SIGTERM or a killed process mid-run leaves complete, valid files
(events flushed line by line, summary and recording written atomically), never half a file.

Runs `coach` in a subprocess, the way a person runs it, and signals it mid-run.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach.vision.recording import load_clip

from fixtures_faults import REPO, looped_recording, need_ffmpeg, sample, trim
from needs import committed

RECORDING = REPO / "samples" / "lying_twist" / "good.landmarks.npz"


def _wait_for_lines(path: Path, n: int, proc, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"coach ended early: {proc.communicate()[1][-2000:]}")
        if path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} never got {n} lines")


def _all_lines_json(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "the last event line is cut off"
    return [json.loads(line) for line in text.splitlines()]


def _no_temp_files(folder: Path) -> None:
    left = [p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]
    assert not left, left


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_live_ctrl_c_or_sigterm_keeps_events_summary_and_recording(tmp_path, sig):
    """`coach live` on a video played as a real-time camera, stopped mid-exercise."""
    need_ffmpeg()
    clip = trim(sample("lying_twist"), tmp_path / "lt.mp4", 30.0)
    out = tmp_path / "out"
    rec = tmp_path / "rec.npz"
    proc = subprocess.Popen([sys.executable, "-m", "coach", "live", "-e", "lying_twist", "--camera", str(clip),
                             "--no-window", "--out", str(out), "--record-landmarks", str(rec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_lines(out / "events.jsonl", 3, proc)
        time.sleep(2.0)
        proc.send_signal(sig)
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "stopped" in stderr
    events = _all_lines_json(out / "events.jsonl")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is True
    assert summary["stats"]["frames"] > 10
    assert summary["stats"]["events"] == len(events)
    assert events[-1]["kind"] == "exercise"  # the engine was finished: "stopped" closes the log
    clip_rec = load_clip(rec)
    assert len(clip_rec) == summary["stats"]["frames"]
    _no_temp_files(tmp_path)


def test_killed_replay_leaves_only_whole_event_lines(tmp_path):
    """SIGKILL (no handler can run) mid-way through a 20-minute landmark replay (drawing
    the annotated video, so it runs for minutes): every event line written is whole JSON,
    no summary half-written, no temporary files left."""
    committed(RECORDING)
    long = looped_recording(RECORDING, tmp_path / "long.npz", minutes=20)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "coach", "replay", str(long), "-e", "lying_twist",
                             "--out", str(out), "-q", "--video", "--record-landmarks", str(tmp_path / "again.npz")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_lines(out / "events.jsonl", 5, proc)
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    events = _all_lines_json(out / "events.jsonl")
    assert len(events) >= 5
    assert not (out / "summary.json").exists()  # written only whole, at the end
    assert not (tmp_path / "again.npz").exists()
    _no_temp_files(tmp_path)


def test_sigterm_mid_replay_writes_a_complete_summary(tmp_path):
    committed(RECORDING)
    long = looped_recording(RECORDING, tmp_path / "long.npz", minutes=20)
    out = tmp_path / "out"
    rec = tmp_path / "again.npz"
    proc = subprocess.Popen([sys.executable, "-m", "coach", "replay", str(long), "-e", "lying_twist",
                             "--out", str(out), "-q", "--video", "--record-landmarks", str(rec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_lines(out / "events.jsonl", 5, proc)
        proc.terminate()
        _o, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    events = _all_lines_json(out / "events.jsonl")
    assert summary["interrupted"] is True and summary["stats"]["events"] == len(events)
    total = len(load_clip(long))
    done = summary["stats"]["frames"]
    assert 0 < done < total
    assert len(load_clip(rec)) == done
    _no_temp_files(tmp_path)
