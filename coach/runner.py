"""Putting a run together: source + estimator + smoother + engine + sinks.

Used by the CLI's ``replay`` and ``live`` commands (and by tests, in-process). Never
prints; returns what happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
from .pipeline import RunStats, Step, run
from .recording import RecordingSource, RecordingWriter, is_recording_path
from .sinks import AnnotatedVideoSink, EventLog, WindowSink, check_output_dir


@dataclass
class RunOptions:
    exercise: str
    lang: str = "en"
    profile: str | None = None
    model: str | None = None
    out_dir: str | None = None
    video: bool = False  # write an annotated video into out_dir
    record_landmarks: str | None = None
    window: bool = False
    mirror: bool = False
    max_people: int = 1
    smoothing: dict = field(default_factory=dict)


@dataclass
class RunResult:
    stats: RunStats
    events_path: Path | None = None
    summary_path: Path | None = None
    video_path: Path | None = None
    recording_path: Path | None = None
    summary: dict = field(default_factory=dict)
    stopped_by_user: bool = False


def build_engine(options: RunOptions):
    from .engine import ExerciseEngine
    from .spec import load_profile, load_spec

    profile = load_profile(options.profile) if options.profile else None
    spec = load_spec(options.exercise, profile=profile)
    return spec, ExerciseEngine(spec, lang=options.lang)


def build_smoother(options: RunOptions):
    from .smoothing import PoseSmoother

    return PoseSmoother(options.smoothing or None)


def _needs_masks(spec) -> bool:
    needs = getattr(spec, "needs_masks", None)
    if needs is not None:
        return bool(needs() if callable(needs) else needs)
    # spinal_flexion reads the segmentation mask unless it is told to use the nose signal;
    # masks cost ~3 ms a frame (benchmarks/fixes.py), so only ask for them when used.
    return any(
        m.get("type") == "spinal_flexion" and m.get("signal", "auto") != "nose"
        for m in getattr(spec, "measures", {}).values()
    )


def execute(
    options: RunOptions,
    frames,
    *,
    fps: float,
    estimator=None,
    on_progress: Callable[[RunStats], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    source_name: str = "",
) -> RunResult:
    """Run ``frames`` (VideoFrames, or PoseFrames of a recording) through the coach."""
    from .overlay import OverlayRenderer

    spec, engine = build_engine(options)
    smoother = build_smoother(options)
    out = check_output_dir(options.out_dir) if options.out_dir else None
    renderer = OverlayRenderer(spec=spec, lang=options.lang, mirror=options.mirror)
    sinks: list = []
    events_log = EventLog(out / "events.jsonl") if out else None
    video_path = None
    window = None
    if out and options.video:
        video_path = out / "annotated.mp4"
        sinks.append(AnnotatedVideoSink(video_path, fps, renderer.render))
    if options.window:
        big = OverlayRenderer(spec=spec, lang=options.lang, mirror=options.mirror, min_height_px=720)
        window = WindowSink(f"coach — {options.exercise}", big.render)
        sinks.append(window)
    recorder = None
    if options.record_landmarks:
        model_meta = {}
        if estimator is not None:
            from .model import sha256_of

            model_meta = {"model": estimator.model_path.name, "model_sha256": sha256_of(estimator.model_path)}
        recorder = RecordingWriter(
            options.record_landmarks,
            meta={"source": source_name, "exercise": options.exercise, "coach": __version__, **model_meta},
        )

    def stop() -> bool:
        return bool((window is not None and window.stop_requested) or (should_stop is not None and should_stop()))

    def on_event(event) -> None:
        if events_log is not None:
            events_log(event)

    result = RunResult(stats=RunStats())
    interrupted = False
    with _sigterm_as_interrupt():
        try:
            result.stats = run(
                frames,
                estimator=estimator,
                smoother=smoother,
                engine=engine,
                sinks=sinks,
                recorder=recorder,
                on_progress=on_progress,
                should_stop=stop,
                on_event=on_event,
                stats_out=result.stats,
            )
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            # Also on Ctrl-C / SIGTERM / an error: the events so far, the recording and a
            # complete summary (marked interrupted) are written, each file atomically or
            # line by line, so nothing is left half-written.
            try:
                if events_log is not None:
                    events_log.close()
                    result.events_path = events_log.path
                if recorder is not None:
                    result.recording_path = recorder.close()
            finally:
                result.stopped_by_user = window is not None and window.stop_requested
                result.video_path = video_path
                summary = {"exercise": options.exercise, "source": source_name, "stats": result.stats.to_dict()}
                if interrupted:
                    summary["interrupted"] = True
                if hasattr(engine, "summary"):
                    summary["session"] = engine.summary()
                result.summary = summary
                if out:
                    result.summary_path = _write_json_atomic(out / "summary.json", summary)
    return result


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While a run is going, SIGTERM (a killed session, a logout) is handled like Ctrl-C,
    so the summary and the recording are still written. Only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, on_term)
    except (ValueError, OSError):  # not allowed here (embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _write_json_atomic(path: Path, data: dict) -> Path:
    """Write JSON to a temporary file in the same folder, fsync, rename: a reader sees the
    old file or the new one, never half of one. User-only permissions."""
    from .sinks import OutputError

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; free some space or choose another --out") from None
    return path


def open_input(path: str, model: str | None, max_people: int, masks: bool, spec=None):
    """(frames, fps, estimator) for a video, an image folder or a landmark recording."""
    from .sources import open_source

    if is_recording_path(path):
        source = RecordingSource(path)
        ts = source.clip.timestamps_ms
        fps = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000.0) if len(ts) > 1 and ts[-1] > ts[0] else 15.0
        return source, fps, None, len(source)
    source = open_source(path)
    estimator = make_estimator(model, max_people, masks, spec)
    return source, source.info.fps, estimator, source.info.total_frames


def make_estimator(model: str | None, max_people: int, masks: bool, spec=None):
    """The pose estimator, with the skeleton plausibility check set for the spec's view."""
    from .estimator import EstimatorConfig, PoseEstimator
    from .plausibility import PlausibilityChecker

    estimator = PoseEstimator(EstimatorConfig(model_path=model, max_people=max_people, masks=masks))
    if spec is not None:
        estimator.plausibility = PlausibilityChecker(
            posture=getattr(spec, "posture", None),
            front_view=getattr(spec, "camera_view", "") == "front",
        )
    return estimator


def load_spec_for(exercise: str, profile: str | None = None):
    """The exercise spec (with the profile applied); CoachError when either is wrong."""
    from .spec import load_profile, load_spec

    return load_spec(exercise, profile=load_profile(profile) if profile else None)


def needs_masks(spec) -> bool:
    return _needs_masks(spec)
