"""Record the landmarks of every sample video (samples/<exercise>/<name>.mp4 ->
<name>.landmarks.npz) with the real pose model, so tests and `coach eval` replay them
without the model. Re-run after changing the estimator or the model.

    python scripts/record_samples.py [--force] [samples/...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.vision.model import default_model_path, sha256_of  # noqa: E402
from coach.vision.recording import RecordingWriter  # noqa: E402
from coach.pipeline.runner import make_estimator, needs_masks  # noqa: E402
from coach.vision.sources import VideoFileSource  # noqa: E402
from coach.spec import load_spec  # noqa: E402


def record(video: Path, out: Path) -> tuple[int, int]:
    exercise = video.parent.name
    spec = load_spec(exercise)
    estimator = make_estimator(None, 1, needs_masks(spec), spec)
    model = default_model_path()
    writer = RecordingWriter(out, meta={"source": f"samples/{exercise}/{video.name}", "exercise": exercise,
                                        "model": model.name, "model_sha256": sha256_of(model)})
    n = found = 0
    try:
        for frame in VideoFileSource(video):
            pose = estimator.process(frame.rgb, frame.timestamp_ms)
            writer.add(pose)
            n += 1
            found += pose.detected
    finally:
        estimator.close()
    writer.close()
    return n, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[REPO / "samples"])
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    videos: list[Path] = []
    for p in args.paths:
        videos += sorted(p.rglob("*.mp4")) if p.is_dir() else [p]
    for video in videos:
        out = video.with_name(video.stem + ".landmarks.npz")
        if out.exists() and not args.force and out.stat().st_mtime >= video.stat().st_mtime:
            continue
        n, found = record(video, out)
        print(f"{video.relative_to(REPO) if video.is_relative_to(REPO) else video}: {n} frames, "
              f"person in {found / max(n, 1) * 100:.1f} %, {out.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
