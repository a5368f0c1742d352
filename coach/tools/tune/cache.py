"""Landmarks of a video, extracted once and cached.

The cache key is the video file's SHA-256, the pose model's SHA-256 and whether
segmentation masks were kept (cat-cow needs them), so a re-encoded video or a new model
never serves stale landmarks. Cache folder: ``$COACH_CACHE_DIR`` or
``$XDG_CACHE_HOME/coach/landmarks`` (default ``~/.cache/coach/landmarks``), created with
user-only permissions; each entry is an ordinary landmark recording (.npz).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from coach import i18n
from coach.errors import CoachError
from coach.i18n.numbers import duration_text, percent_text
from coach.pose import PoseClip
from coach.vision.model import sha256_of
from coach.vision.recording import RecordingWriter, is_recording_path, load_clip


class CacheError(CoachError):
    """The cache folder cannot be used."""


@dataclass(frozen=True)
class ExtractProgress:
    """How far the landmark extraction of a video is: frames done of ``total`` (None when
    the video does not say), seconds spent, and from those the share done and the time left."""

    frames: int
    total: int | None
    elapsed_s: float
    done: bool = False

    @property
    def fraction(self) -> float | None:
        if self.done:
            return 1.0
        return min(1.0, self.frames / self.total) if self.total else None

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (None until a few frames have gone through)."""
        if self.done:
            return 0.0
        if not self.total or self.frames < 3 or self.elapsed_s <= 0:
            return None
        return max(0.0, (self.total - self.frames) * self.elapsed_s / self.frames)

    def to_json(self) -> dict[str, Any]:
        eta = self.eta_s
        return {"frames": self.frames, "total": self.total, "fraction": self.fraction, "done": self.done,
                "elapsed_s": round(self.elapsed_s, 1), "eta_s": None if eta is None or not math.isfinite(eta)
                else round(eta, 1)}


def progress_line(p: ExtractProgress, lang: str) -> str:
    """How far the extraction is, in words: frames done of the total, the share done and
    the time left ("Finding the body in the video: 312 of 2400 frames (13 %), about 1 min 10 s left")."""
    if p.done:
        return i18n.t("tune.progress.done", lang, frames=p.frames, elapsed=duration_text(p.elapsed_s, lang))
    if not p.total:
        return i18n.t("tune.progress.no_total", lang, frames=p.frames)
    eta = p.eta_s
    return i18n.t("tune.progress.line", lang, frames=p.frames, total=p.total, percent=percent_text(p.fraction, lang),
                  eta=duration_text(eta, lang) if eta is not None else "…")


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
                  on_progress: Callable[[ExtractProgress], None] | None = None,
                  lang: str = "en") -> tuple[PoseClip, Path, bool]:
    """(clip, recording path, came_from_cache) for a landmark recording or a video.

    A video is run through the real pose model once (``on_progress`` hears how far it is
    after every frame, and once more when it is complete); later calls load the cached
    recording.
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
            on_status(i18n.t("tune.extracting_once", lang, path=path, cache=target))
        from coach.pipeline.loop import run

        writer = RecordingWriter(target, meta=recording_meta(str(path), exercise_spec.id, estimator))
        total = getattr(getattr(source, "info", None), "total_frames", None)

        def progress(stats) -> None:
            if on_progress is not None:
                on_progress(ExtractProgress(stats.frames, total, stats.wall_s))

        # written only when the whole video went through: an interrupted run leaves no
        # truncated entry behind to be served as complete next time
        stats = run(source, estimator=estimator, recorder=writer, on_progress=progress)
        writer.close()
        if on_progress is not None:
            on_progress(ExtractProgress(stats.frames, stats.frames, stats.wall_s, done=True))
    finally:
        estimator.close()
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return load_clip(target), target, False
