"""Landmarks of a video, extracted once and cached.

The cache key is the video file's SHA-256, the pose model's SHA-256 and whether
segmentation masks were kept (cat-cow needs them), so a re-encoded video or a new model
never serves stale landmarks. Cache folder: ``$COACH_CACHE_DIR`` or
``$XDG_CACHE_HOME/coach/landmarks`` (default ``~/.cache/coach/landmarks``), created with
user-only permissions; each entry is an ordinary landmark recording (.npz).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from coach.errors import CoachError
from coach.pose import PoseClip
from coach.vision.model import sha256_of
from coach.vision.recording import RecordingWriter, is_recording_path, load_clip


class CacheError(CoachError):
    """The cache folder cannot be used."""


def cache_dir() -> Path:
    env = os.environ.get("COACH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "coach" / "landmarks"


def cache_path(video: str | os.PathLike, model_sha256: str, masks: bool, folder: Path | None = None) -> Path:
    try:
        video_sha = sha256_of(video)
    except OSError as exc:
        raise CacheError(f"cannot read {video}: {exc.strerror or exc}") from None
    name = f"{Path(video).stem[:40]}-{video_sha[:16]}-{model_sha256[:12]}{'-m' if masks else ''}.npz"
    return (folder or cache_dir()) / name


def landmarks_for(path: str | os.PathLike, exercise_spec, model: str | None = None,
                  on_status: Callable[[str], None] | None = None,
                  on_progress: Callable[[object], None] | None = None) -> tuple[PoseClip, Path, bool]:
    """(clip, recording path, came_from_cache) for a landmark recording or a video.

    A video is run through the real pose model once; later calls load the cached recording.
    """
    from coach.pipeline.runner import make_estimator, needs_masks, recording_meta
    from coach.vision.sources import open_source

    if is_recording_path(path):
        return load_clip(path), Path(path), True
    source = open_source(path)            # SourceError (one line) for a missing / broken video
    masks = needs_masks(exercise_spec)
    estimator = make_estimator(model, 1, masks, exercise_spec)
    try:
        target = cache_path(path, sha256_of(estimator.model_path), masks)
        if target.exists():
            try:
                return load_clip(target), target, True
            except CoachError:
                target.unlink(missing_ok=True)     # damaged entry: extract again
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise CacheError(f"cannot create the cache folder {target.parent}: {exc.strerror or exc}; "
                             f"set COACH_CACHE_DIR to a writable folder") from None
        if on_status is not None:
            on_status(f"extracting landmarks from {path} once (cached in {target})")
        from coach.pipeline.loop import run

        writer = RecordingWriter(target, meta=recording_meta(str(path), exercise_spec.id, estimator))
        # written only when the whole video went through: an interrupted run leaves no
        # truncated entry behind to be served as complete next time
        run(source, estimator=estimator, recorder=writer, on_progress=on_progress)
        writer.close()
    finally:
        estimator.close()
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return load_clip(target), target, False
