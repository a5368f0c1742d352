"""End to end with the real pose model on a rendered sample video (never mocked)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import cv2
import pytest

from coach.vision.recording import load_clip
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e

VIDEO = SAMPLES / "lying_twist" / "good.mp4"


@pytest.fixture(scope="module")
def video_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out dir æøå"  # spaces and non-ASCII on purpose
    rec = out.parent / "rec.npz"
    proc = subprocess.run(
        [sys.executable, "-m", "coach", "replay", str(VIDEO), "--exercise", "lying_twist", "--out", str(out),
         "--video", "--record-landmarks", str(rec), "--lang", "en"],
        capture_output=True, text=True, timeout=900,
    )
    return proc, out, rec


def _events(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_replay_tracks_the_person_and_writes_outputs(video_run):
    proc, out, rec = video_run
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"(\d+) frames, person tracked in ([\d.]+) %", proc.stdout)
    assert m, proc.stdout
    frames, tracked = int(m.group(1)), float(m.group(2))
    cap = cv2.VideoCapture(str(VIDEO))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert frames == total
    assert tracked >= 90.0
    events = _events(out / "events.jsonl")
    assert events and all({"timestamp_ms", "kind", "exercise_id"} <= set(e) for e in events)
    kinds = {e["kind"] for e in events}
    assert {"exercise", "phase"} <= kinds
    # the good clip holds both sides: the engine must see holds on both
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    holds = summary["session"]["holds_s"]
    held = {side: s for per_phase in holds.values() for side, s in per_phase.items()}
    assert held.get("right", 0) >= 20 and held.get("left", 0) >= 20, holds
    # no native log noise and no traceback on the user's terminal
    assert "Traceback" not in proc.stderr and "W0000" not in proc.stderr
    # the annotated video has every frame
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == total
    cap.release()


def test_landmark_recording_replays_to_the_same_events(video_run, tmp_path):
    proc, out, rec = video_run
    assert proc.returncode == 0, proc.stderr
    clip = load_clip(rec)
    assert len(clip) > 0 and clip.meta["model_sha256"]
    out2 = tmp_path / "again"
    proc2 = subprocess.run(
        [sys.executable, "-m", "coach", "replay", str(rec), "--exercise", "lying_twist", "--out", str(out2),
         "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc2.returncode == 0, proc2.stderr
    first, second = _events(out / "events.jsonl"), _events(out2 / "events.jsonl")
    assert [(e["timestamp_ms"], e["kind"], e["rule_id"], e["side"]) for e in first] == \
        [(e["timestamp_ms"], e["kind"], e["rule_id"], e["side"]) for e in second]
