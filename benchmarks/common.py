"""Shared helpers of the benchmark scripts: machine info, statistics, memory, clips.

Not a test module and not part of the package: the scripts in this folder import it by
path (``benchmarks/`` is put on ``sys.path`` by each script).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
CACHE = RESULTS / "cache"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's native log lines
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

EXERCISES = (
    "cat_cow", "chair_extension", "crossed_leg_rotation", "knee_to_chest",
    "lying_twist", "passive_hang", "seated_rotation",
)


# ----------------------------------------------------------------------------- machine

def machine_info() -> dict:
    """CPU, cores, load, Python and package versions, the model file and its sha256."""
    import importlib.metadata as md

    from coach.vision.model import default_model_path, sha256_of

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in ("coach", "mediapipe", "numpy", "opencv-contrib-python", "opencv-python", "PyYAML", "Pillow"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    model = default_model_path()
    try:
        load = os.getloadavg()
    except OSError:
        load = (math.nan,) * 3
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "affinity_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "loadavg_1_5_15": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "model": model.name,
        "model_sha256": sha256_of(model) if model.exists() else None,
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


# ----------------------------------------------------------------------------- statistics

def pct(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation; NaN for no values."""
    arr = np.asarray(list(values), dtype=np.float64)
    return float(np.percentile(arr, q)) if arr.size else math.nan


def summary(values: Iterable[float], scale: float = 1.0, digits: int = 2) -> dict:
    """n, p50, p95, p99, max, mean of ``values`` x ``scale``."""
    arr = np.asarray(list(values), dtype=np.float64) * scale
    if arr.size == 0:
        return {"n": 0}
    return {
        "n": int(arr.size),
        "p50": round(float(np.percentile(arr, 50)), digits),
        "p95": round(float(np.percentile(arr, 95)), digits),
        "p99": round(float(np.percentile(arr, 99)), digits),
        "max": round(float(arr.max()), digits),
        "mean": round(float(arr.mean()), digits),
    }


def median(values: Iterable[float]) -> float:
    v = list(values)
    return statistics.median(v) if v else math.nan


# ----------------------------------------------------------------------------- memory

def rss_mib() -> float:
    """Resident set size of this process, MiB (Linux /proc; NaN elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


# ----------------------------------------------------------------------------- clips

def exercise_for(video: Path) -> str:
    """The exercise of a sample video: its truth file says, else the folder name."""
    for truth in (video.with_suffix(".truth.json.gz"), video.with_suffix(".truth.json")):
        if truth.exists():
            opener = gzip.open if truth.suffix == ".gz" else open
            with opener(truth, "rt", encoding="utf-8") as fh:
                clip = json.load(fh).get("clip", {})
            if clip.get("exercise"):
                return str(clip["exercise"])
    return video.parent.name


def video_frame_count(path: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    cap.release()
    return n


def landmark_recording(exercise: str, record_missing: bool = True) -> Path | None:
    """A landmark recording of the exercise's good.mp4.

    samples/<exercise>/good.landmarks.npz when it exists (scripts/record_samples.py),
    else benchmarks/results/cache/<exercise>.good.landmarks.npz, recorded now with the
    real model when ``record_missing`` (about 30-90 s per clip on this machine).
    """
    sample = REPO / "samples" / exercise / "good.landmarks.npz"
    if sample.exists():
        return sample
    cached = CACHE / f"{exercise}.good.landmarks.npz"
    if cached.exists():
        return cached
    video = REPO / "samples" / exercise / "good.mp4"
    if not record_missing or not video.exists():
        return None
    sys.path.insert(0, str(REPO / "scripts"))
    from record_samples import record  # the same recipe as the committed recordings

    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"  recording landmarks of {video.relative_to(REPO)} -> {cached.relative_to(REPO)}", file=sys.stderr)
    record(video, cached)
    return cached


def looped_frames(clip, n_frames: int, fps: float | None = None) -> Iterator:
    """``n_frames`` PoseFrames from ``clip`` played over and over, timestamps continuing.

    Each repetition is shifted by the clip's duration plus one frame interval, so time
    keeps increasing at the clip's own frame rate; PoseFrames are built lazily (no
    (T, 33, 5) array of the whole run is ever held)."""
    from coach.pose import PoseFrame

    ts = clip.timestamps_ms
    t = len(ts)
    dt = float(np.median(np.diff(ts))) if t > 1 else 1000.0 / (fps or 10.0)
    period = float(ts[-1] - ts[0]) + dt
    lm, world, wh, masks = clip.landmarks, clip.world, clip.image_wh, clip.masks
    for k in range(n_frames):
        loop, i = divmod(k, t)
        yield PoseFrame(
            timestamp_ms=float(ts[i] - ts[0]) + loop * period,
            landmarks=lm[i],
            world=world[i],
            image_wh=wh,
            mask=masks[i] if masks is not None else None,
        )


def clip_fps(clip) -> float:
    ts = clip.timestamps_ms
    if len(ts) < 2 or ts[-1] <= ts[0]:
        return 10.0
    return (len(ts) - 1) * 1000.0 / float(ts[-1] - ts[0])


def write_json(path: Path | None, data: dict) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))


def rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)
