"""Finding and checking the pose model file (no mediapipe import here)."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

from coach import data
from coach.errors import CoachError

DEFAULT_MODEL_NAME = "pose_landmarker_full.task"
# Google's official bundles, if a user drops one into models/, in order of preference.
OFFICIAL_NAMES = ("pose_landmarker_full.task", "pose_landmarker_heavy.task", "pose_landmarker_lite.task")
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
REBUILD_HINT = "rebuild it with `python models/build_pose_model.py` or pass --model PATH to a pose_landmarker_*.task file"


class ModelError(CoachError):
    exit_code = 3


def default_model_path() -> Path:
    """$COACH_MODEL, else the pose_landmarker_*.task shipped with coach (package data, or
    ``models/`` in a source checkout)."""
    env = os.environ.get("COACH_MODEL")
    if env:
        return Path(env)
    models = data.folder("models")
    for name in OFFICIAL_NAMES:
        path = models / name
        if path.exists():
            return path
    return models / DEFAULT_MODEL_NAME


def check_model_file(path: str | os.PathLike | None) -> Path:
    """Validate a pose-landmarker bundle before handing it to MediaPipe.

    Raises ModelError with a one-line message for a missing, empty, truncated or
    foreign file, so the user never sees a native crash or a traceback.
    """
    model = Path(path) if path is not None else default_model_path()
    if not model.exists():
        raise ModelError(f"pose model not found: {model}; {REBUILD_HINT}")
    if model.is_dir():
        raise ModelError(f"pose model path is a folder, not a file: {model}; {REBUILD_HINT}")
    if model.stat().st_size == 0:
        raise ModelError(f"pose model file is empty: {model}; {REBUILD_HINT}")
    try:
        with zipfile.ZipFile(model) as bundle:
            names = set(bundle.namelist())
            bad = bundle.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelError(
            f"{model} is not a pose-landmarker .task bundle (truncated or a different kind of file: {exc}); {REBUILD_HINT}"
        ) from None
    missing = [m for m in BUNDLE_MEMBERS if m not in names]
    if missing:
        raise ModelError(
            f"{model} is a ZIP but not a pose-landmarker bundle (missing {', '.join(missing)}); {REBUILD_HINT}"
        )
    if bad is not None:
        raise ModelError(f"{model} is damaged (bad CRC in {bad}); {REBUILD_HINT}")
    return model


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
