"""One pipeline for camera, video and landmark replay: only the source differs.

    frames ─▶ estimator ─▶ (unmirror) ─▶ (recorder) ─▶ smoother ─▶ engine ─▶ events ─▶ sinks

The pipeline never prints: progress and output go through callbacks and sinks chosen by
the CLI. Everything downstream of the estimator sees only PoseFrames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from coach.pipeline.mirror import unmirror, unmirror_image
from coach.pose import PoseFrame


class Checker(Protocol):
    def update(self, frame: PoseFrame) -> list: ...
    def finish(self, timestamp_ms: float) -> list: ...


class FrameSink(Protocol):
    def write(self, step: "Step") -> None: ...
    def close(self) -> None: ...


@dataclass(slots=True)
class Step:
    """What one frame produced; handed to every sink."""

    index: int
    rgb: np.ndarray | None  # the camera/video image (None in a landmark replay)
    raw: PoseFrame  # the estimator's output, as recorded
    pose: PoseFrame  # smoothed
    events: list
    engine: object | None = None  # the engine, for sinks that draw its state


@dataclass
class RunStats:
    frames: int = 0
    tracked: int = 0
    events: int = 0
    first_ts_ms: float | None = None
    last_ts_ms: float | None = None
    wall_s: float = 0.0
    model_s: float = 0.0
    dropped: int = 0
    rotated_frames: int = 0
    cue_counts: dict = field(default_factory=dict)

    @property
    def tracked_fraction(self) -> float:
        return self.tracked / self.frames if self.frames else 0.0

    @property
    def media_s(self) -> float:
        if self.first_ts_ms is None or self.last_ts_ms is None:
            return 0.0
        return (self.last_ts_ms - self.first_ts_ms) / 1000.0

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "frames": self.frames,
            "tracked_frames": self.tracked,
            "tracked_fraction": round(self.tracked_fraction, 4),
            "media_s": round(self.media_s, 3),
            "wall_s": round(self.wall_s, 3),
            "fps": round(self.fps, 2),
            "model_s": round(self.model_s, 3),
            "events": self.events,
            "dropped_frames": self.dropped,
            "rotated_frames": self.rotated_frames,
            "cues": dict(sorted(self.cue_counts.items())),
        }


def pose_stream(frames: Iterable, estimator, stats: RunStats,
                mirrored: bool = False) -> Iterator[tuple[np.ndarray | None, PoseFrame]]:
    """(image, raw PoseFrame) pairs from video frames through the estimator, or from a
    landmark recording's PoseFrames directly (estimator None). ``mirrored``: the pictures
    are mirrored (a selfie camera); pose and picture are turned back (coach.pipeline.mirror)."""
    for item in frames:
        if isinstance(item, PoseFrame):
            yield None, unmirror(item) if mirrored else item
            continue
        t0 = time.perf_counter()
        pose = estimator.process(item.rgb, item.timestamp_ms)
        stats.model_s += time.perf_counter() - t0
        if mirrored:
            yield unmirror_image(item.rgb), unmirror(pose)
        else:
            yield item.rgb, pose


def run(
    frames: Iterable,
    *,
    estimator=None,
    smoother=None,
    engine: Checker | None = None,
    sinks: Iterable[FrameSink] = (),
    recorder=None,
    on_progress: Callable[[RunStats], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_event: Callable[[object], None] | None = None,
    stats_out: RunStats | None = None,
    mirrored: bool = False,
) -> RunStats:
    """Run frames through the pipeline until the source ends or ``should_stop()``.
    ``mirrored``: the pictures (or the recording's poses) are mirrored, as a selfie camera
    gives them; they are turned back before anything else (and recorded turned back).

    Always finishes the engine and closes the sinks and recorder, also on an exception
    or KeyboardInterrupt, so what happened up to then is kept. ``stats_out``: fill this
    RunStats (so a caller still has the numbers when the run ends by an exception).
    """
    stats = stats_out if stats_out is not None else RunStats()
    sinks = list(sinks)
    start = time.perf_counter()
    last_ts = 0.0

    def emit(events: list) -> None:
        for ev in events:
            stats.events += 1
            if getattr(ev, "kind", None) == "cue":
                key = getattr(ev, "rule_id", None) or "cue"
                stats.cue_counts[key] = stats.cue_counts.get(key, 0) + 1
            if on_event is not None:
                on_event(ev)

    try:
        for index, (rgb, raw) in enumerate(pose_stream(frames, estimator, stats, mirrored)):
            pose = smoother.update(raw) if smoother is not None else raw
            events = engine.update(pose) if engine is not None else []
            if recorder is not None:  # after the engine: the recording holds exactly the frames coached
                recorder.add(raw)
            stats.frames += 1
            stats.tracked += raw.detected
            if stats.first_ts_ms is None:
                stats.first_ts_ms = raw.timestamp_ms
            stats.last_ts_ms = last_ts = raw.timestamp_ms
            emit(events)
            step = Step(index=index, rgb=rgb, raw=raw, pose=pose, events=events, engine=engine)
            for sink in sinks:
                sink.write(step)
            if on_progress is not None:
                stats.wall_s = time.perf_counter() - start
                on_progress(stats)
            if should_stop is not None and should_stop():
                break
    finally:
        try:
            if engine is not None:
                emit(engine.finish(last_ts))
        finally:
            stats.wall_s = time.perf_counter() - start
            if estimator is not None:
                stats.rotated_frames = getattr(estimator, "rotated_frames", 0)
            for sink in sinks:
                sink.close()
    return stats
