"""Shared fixtures. Paths are absolute so tests run from any folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
MODEL = REPO / "models" / "pose_landmarker_full.task"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def portrait_rgb() -> np.ndarray:
    """A real photo of a person (Grace Hopper, public domain), shipped by matplotlib,
    which mediapipe depends on. Upper body only."""
    import matplotlib.cbook

    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    bgr = cv2.imread(str(path))
    assert bgr is not None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def cut_video(src: Path, dst: Path, frames: int, size_wh: tuple[int, int] = (640, 480), fps: float = 10.0) -> Path:
    """The first ``frames`` frames of the video ``src`` as a short mp4 at ``size_wh``."""
    cap = cv2.VideoCapture(str(src))
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, size_wh)
    try:
        for _ in range(frames):
            ok, frame = cap.read()
            assert ok, f"{src} has fewer than {frames} frames"
            if (frame.shape[1], frame.shape[0]) != size_wh:
                frame = cv2.resize(frame, size_wh)
            writer.write(frame)
    finally:
        writer.release()
        cap.release()
    return dst
