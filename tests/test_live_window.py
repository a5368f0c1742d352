"""`coach live` opens a real window under Xvfb; the skeleton is drawn; q stops it."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from tests.conftest import SAMPLES
from tests.xdisplay import Xvfb

pytestmark = pytest.mark.gui


@pytest.fixture
def xvfb():
    x = Xvfb()
    yield x
    x.close()


def joint_blobs(bgr: np.ndarray) -> int:
    """Connected blobs of the skeleton's joint colour (coach.ui.draw.CYAN, BGR 230,200,60)."""
    target = np.array([230, 200, 60], dtype=np.int16)
    close = (np.abs(bgr.astype(np.int16) - target).max(axis=2) < 40).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(close)
    return int(sum(1 for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 6))


def test_live_window_draws_skeleton_and_stops_on_q(xvfb, tmp_path):
    video = SAMPLES / "lying_twist" / "good.mp4"
    out = tmp_path / "live out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "live", "--exercise", "lying_twist", "--camera", str(video),
         "--max-seconds", "120", "--out", str(out), "--lang", "nb"],
        env=xvfb.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        window = xvfb.find_window("coach", timeout_s=60)
        assert window, "no coach window appeared"
        time.sleep(6)  # a few seconds of frames
        shot = xvfb.screenshot(tmp_path / "window.png", window)
        xvfb.key(window, "q")
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    image = cv2.imread(str(shot))
    assert image is not None
    h, w = image.shape[:2]
    assert h >= 700, (w, h)  # shown at >= 720 px high so the text reads from 2-3 m
    assert joint_blobs(image) >= 8
    # The picture itself has no joint-coloured blobs: the skeleton made them.
    cap = cv2.VideoCapture(str(video))
    ok, raw = cap.read()
    cap.release()
    assert ok and joint_blobs(raw) <= 1
    summary = json.loads((out / "summary.json").read_text())
    # Stopped by q long before the clip's end (about 107 s).
    assert 20 <= summary["stats"]["frames"] < 600
    assert "Liggende rotasjon" in stdout or "Lying twist" in stdout   # the run's summary, by name
