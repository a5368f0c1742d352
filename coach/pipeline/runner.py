"""Putting a run together: source + estimator + smoother + engine + sinks, and what it writes.

``drive`` is the one wiring every command uses: it runs the frame loop (:func:`run`) with
the event log, the annotated video and the landmark recording a run asked for, turns
SIGTERM (and, for the guided session, Ctrl-C) into KeyboardInterrupt, and closes every
file on the way out, also on Ctrl-C, so what happened up to then is kept. ``execute`` is
``coach replay`` and ``coach live`` on top of it (one exercise, summary.json);
:mod:`coach.pipeline.guided` is ``coach session``.

Never prints; returns what happened.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach import __version__, i18n
from coach.engine import ExerciseEngine
from coach.errors import InputError, OutputError
from coach.files import atomic_write, check_output_dir
from coach.pipeline.loop import RunStats, Step, run
from coach.pipeline.sinks import AnnotatedVideoSink, EventLog
from coach.session.keys import binding, keys_label
from coach.spec import ExerciseSpec, Profile, SpecError, load_profile, load_spec, spec_dir, spec_ids
from coach.ui.overlay import OverlayRenderer
from coach.ui.speech import VoiceAdapter
from coach.ui.voice import Voice
from coach.ui.window import Window
from coach.vision.estimator import EstimatorConfig, PoseEstimator
from coach.vision.model import sha256_of
from coach.vision.plausibility import PlausibilityChecker
from coach.vision.recording import RecordingSource, RecordingWriter, is_recording_path
from coach.vision.smoothing import PoseSmoother
from coach.vision.sources import open_source


# --------------------------------------------------------------------------- building blocks
# What the voice says is also written here, as JSON lines (tests of whole commands).
SPEECH_LOG_ENV = "COACH_SPEECH_LOG"
# A cue not yet said after this long is dropped as stale (live and the guided session alike).
VOICE_MAX_AGE_S = 8.0


def make_voice(lang: str, muted: bool = False, volume: int | None = None) -> Voice:
    """The voice of ``coach live`` and ``coach session`` (espeak-ng in a background worker).
    Without espeak-ng it degrades to text with ONE warning in ``voice.warning`` (the CLI
    shows it; it is not logged as well). ``$COACH_SPEECH_LOG``: a file that gets every cue
    as a JSON line (see :class:`coach.ui.voice.Voice`)."""
    vlog = logging.getLogger("coach.ui.voice")
    vlog.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in vlog.handlers):
        vlog.addHandler(logging.NullHandler())
    return Voice(lang=lang, muted=muted, volume=100 if volume is None else volume, max_age_s=VOICE_MAX_AGE_S,
                 transcript=os.environ.get(SPEECH_LOG_ENV) or None)


def exercise_spec(exercise: str | None = None, spec_file: str | os.PathLike | None = None,
                  profile: Profile | None = None) -> ExerciseSpec:
    """The spec of an exercise id, or of a spec file (``--spec FILE``), with ``profile``.

    An id is always looked up among the coach's exercises: a folder or file of the same
    name where the command runs (``cat_cow/`` holding one's cat-cow recordings) does not
    matter. A spec file is named by its path. SpecError (one line) when either is wrong."""
    if (exercise is None) == (spec_file is None):
        raise SpecError("give an exercise id (--exercise ID) or a spec file (--spec FILE), not both")
    if spec_file is not None:
        path = Path(spec_file)
        if not path.is_file():
            what = "a folder, not a spec file" if path.is_dir() else "no such spec file"
            raise SpecError(f"{path}: {what}; --spec takes an exercise spec YAML file "
                            "(for one of the coach's exercises use --exercise ID)")
        return load_spec(path, profile=profile)
    ids = spec_ids()
    if exercise not in ids:
        hint = ""
        if Path(exercise).suffix in (".yaml", ".yml") or "/" in exercise or os.sep in exercise:
            hint = "; a spec file is given with --spec FILE"
        raise SpecError(f"{exercise}: unknown exercise id, expecting one of [{', '.join(ids)}]{hint}")
    return load_spec(spec_dir() / f"{exercise}.yaml", profile=profile)


def load_spec_for(exercise: str | None, profile: str | None = None,
                  spec_file: str | os.PathLike | None = None) -> ExerciseSpec:
    """:func:`exercise_spec` with the profile given as a file; CoachError when any is wrong."""
    return exercise_spec(exercise, spec_file, load_profile(profile) if profile else None)


def needs_masks(spec: ExerciseSpec) -> bool:
    """Whether the spec reads the segmentation mask: spinal_flexion does unless it is told
    to use the nose signal. Masks cost ~3 ms a frame, so they are only asked for when used."""
    return any(m.get("type") == "spinal_flexion" and m.get("signal", "auto") != "nose"
               for m in spec.measures.values())


def plausibility_for(spec: ExerciseSpec) -> PlausibilityChecker:
    """The skeleton check for the spec's posture and camera view."""
    return PlausibilityChecker(posture=spec.posture, front_view=spec.camera_view == "front")


def make_estimator(model: str | None, max_people: int, masks: bool, spec: ExerciseSpec | None = None) -> PoseEstimator:
    """The pose estimator, with the skeleton plausibility check set for the spec's view."""
    estimator = PoseEstimator(EstimatorConfig(model_path=model, max_people=max_people, masks=masks))
    if spec is not None:
        estimator.plausibility = plausibility_for(spec)
    return estimator


def open_input(path: str, model: str | None, max_people: int, masks: bool, spec: ExerciseSpec | None = None,
               mirrored: bool = False):
    """(frames, fps, estimator or None, total frames) for a video, an image folder or a
    landmark recording (which needs no estimator). ``mirrored``: the run will turn the
    poses back; refused for a recording whose poses were turned back when it was made."""
    if is_recording_path(path):
        source = RecordingSource(path)
        if mirrored and source.clip.meta.get("turned_back"):
            raise InputError(f"{path} was recorded with --mirrored: its poses are already turned back; "
                             "replay it without --mirrored")
        ts = source.clip.timestamps_ms
        fps = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000.0) if len(ts) > 1 and ts[-1] > ts[0] else 15.0
        return source, fps, None, len(source)
    source = open_source(path)
    estimator = make_estimator(model, max_people, masks, spec)
    return source, source.info.fps, estimator, source.info.total_frames


@contextlib.contextmanager
def interrupt_on_signals(on_signal: Callable[[], None] | None = None) -> Iterator[None]:
    """While a run is going, SIGTERM (a killed session, a logout) raises KeyboardInterrupt
    like Ctrl-C does, so the run's files are still completed. With ``on_signal``, Ctrl-C
    is handled the same way and ``on_signal()`` is called first (the guided session marks
    itself interrupted before anything else runs). Only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if on_signal is not None:
            on_signal()
        raise KeyboardInterrupt

    wanted = (signal.SIGTERM,) + ((signal.SIGINT,) if on_signal is not None else ())
    old: dict[int, Any] = {}
    try:
        for sig in wanted:
            old[sig] = signal.signal(sig, handler)
    except (ValueError, OSError):  # not allowed here (embedded interpreter)
        for sig, h in old.items():
            signal.signal(sig, h)
        yield
        return
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


@dataclass
class Outputs:
    """The files a run writes besides what its sinks do."""

    events_path: Path | None = None                            # every event as a JSON line
    video_path: Path | None = None                             # the annotated video ...
    video_render: Callable[[Step], Any] | None = None          # ... drawn by this
    recording_path: str | None = None                          # every raw pose (a landmark recording)
    recording_meta: dict = field(default_factory=dict)


@dataclass
class Driven:
    """What ``drive`` wrote (paths of files that were opened) and counted."""

    stats: RunStats
    events_path: Path | None = None
    video_path: Path | None = None
    recording_path: Path | None = None


def drive(frames: Iterable, *, fps: float, estimator=None, smoother=None, engine=None, sinks: Iterable = (),
          outputs: Outputs | None = None, should_stop: Callable[[], bool] | None = None,
          on_event: Callable[[Any], None] | None = None, on_progress: Callable[[RunStats], None] | None = None,
          on_signal: Callable[[], None] | None = None, result: Driven | None = None,
          mirrored: bool = False) -> Driven:
    """Run the frame loop with ``outputs`` written and every file closed at the end, also on
    an exception or KeyboardInterrupt (which is re-raised). ``result``: fill this Driven
    (so a caller still has the paths and numbers when the run ends by an exception).
    ``mirrored``: the camera mirrors the picture; the poses are turned back (see run)."""
    outputs = outputs or Outputs()
    result = result if result is not None else Driven(stats=RunStats())
    sinks = list(sinks)
    events_log = EventLog(outputs.events_path) if outputs.events_path is not None else None
    try:
        recorder = RecordingWriter(outputs.recording_path, meta=outputs.recording_meta) if outputs.recording_path else None
    except BaseException:
        if events_log is not None:
            events_log.close()
        raise
    if outputs.video_path is not None and outputs.video_render is not None:
        sinks.append(AnnotatedVideoSink(outputs.video_path, fps, outputs.video_render))
        result.video_path = outputs.video_path

    def each_event(event) -> None:
        if events_log is not None:
            events_log(event)
        if on_event is not None:
            on_event(event)

    with interrupt_on_signals(on_signal):
        try:
            run(frames, estimator=estimator, smoother=smoother, engine=engine, sinks=sinks, recorder=recorder,
                on_progress=on_progress, should_stop=should_stop, on_event=each_event, stats_out=result.stats,
                mirrored=mirrored)
        finally:
            # the events so far and the recording, each file written line by line or atomically
            if events_log is not None:
                events_log.close()
                result.events_path = events_log.path
            if recorder is not None:
                result.recording_path = recorder.close()
    return result


def recording_meta(source_name: str, exercise: str, estimator=None, mirrored: bool = False) -> dict:
    """What a landmark recording says about itself: source, exercise, coach version, model;
    ``turned_back`` when the poses of a mirrored picture were turned back before recording
    (replay it without --mirrored)."""
    meta = {"source": source_name, "exercise": exercise, "coach": __version__}
    if mirrored:
        meta["turned_back"] = True
    if estimator is not None:
        meta.update(model=estimator.model_path.name, model_sha256=sha256_of(estimator.model_path))
    return meta


# --------------------------------------------------------------------------- replay and live
@dataclass
class RunOptions:
    exercise: str | None                 # an exercise id, or None with spec_file
    lang: str = "en"
    profile: str | None = None
    model: str | None = None
    out_dir: str | None = None
    video: bool = False  # write an annotated video into out_dir
    record_landmarks: str | None = None
    window: bool = False
    mirror: bool = False  # show the picture mirrored
    mirrored: bool = False  # the camera mirrors the picture (a selfie camera): turn the poses back
    max_people: int = 1
    smoothing: dict = field(default_factory=dict)
    spec_file: str | None = None         # a spec file instead of an exercise id (--spec FILE)


@dataclass
class RunResult(Driven):
    """What ``execute`` wrote and counted: ``drive``'s files plus summary.json."""

    summary_path: Path | None = None
    summary: dict = field(default_factory=dict)
    stopped_by_user: bool = False


def build_engine(options: RunOptions) -> tuple[ExerciseSpec, ExerciseEngine]:
    spec = load_spec_for(options.exercise, options.profile, options.spec_file)
    return spec, ExerciseEngine(spec, lang=options.lang)


def build_smoother(options: RunOptions) -> PoseSmoother:
    return PoseSmoother(options.smoothing or None)


def execute(
    options: RunOptions,
    frames,
    *,
    fps: float,
    estimator=None,
    on_progress: Callable[[RunStats], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    source_name: str = "",
    voice: Voice | None = None,
) -> RunResult:
    """Coach one exercise on ``frames`` (VideoFrames, or PoseFrames of a recording): events,
    summary.json, optionally an annotated video, a window, a landmark recording and a
    ``voice`` that says the cues (the guided session's selection: coach.ui.speech; the
    caller opens and closes it)."""
    spec, engine = build_engine(options)
    out = check_output_dir(options.out_dir) if options.out_dir else None
    outputs = Outputs(events_path=out / "events.jsonl" if out else None)
    if out and options.video:
        renderer = OverlayRenderer(spec=spec, lang=options.lang, mirror=options.mirror)
        outputs.video_path, outputs.video_render = out / "annotated.mp4", renderer.render
    if options.record_landmarks:
        outputs.recording_path = options.record_landmarks
        outputs.recording_meta = recording_meta(source_name, spec.id, estimator, options.mirrored)
    sinks: list = []
    speaker = None
    if voice is not None:  # the frame's texts as one utterance, said after the frame's events
        speaker = VoiceAdapter(voice, options.lang)
        sinks.append(speaker)
    window = None
    if options.window:
        big = OverlayRenderer(spec=spec, lang=options.lang, mirror=options.mirror, min_height_px=720)
        stop = binding("stop")  # the one key table: the live window stops on the session's stop keys
        window = Window(f"coach — {spec.names.get(options.lang, spec.id)} "
                        f"({keys_label(stop, options.lang)}: {i18n.t(stop.text_key, options.lang)})", big.render)
        sinks.append(window)

    def stop() -> bool:
        return bool((window is not None and window.stop_requested) or (should_stop is not None and should_stop()))

    result = RunResult(stats=RunStats())
    interrupted = False
    try:
        drive(frames, fps=fps, estimator=estimator, smoother=build_smoother(options), engine=engine, sinks=sinks,
              outputs=outputs, should_stop=stop, on_progress=on_progress, on_event=speaker, result=result,
              mirrored=options.mirrored)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        # Also on Ctrl-C / SIGTERM / an error: a complete summary (marked interrupted).
        result.stopped_by_user = window is not None and window.stop_requested
        summary = {"exercise": spec.id, "source": source_name, "stats": result.stats.to_dict()}
        damaged = getattr(frames, "damaged", None)  # images of a folder left out (coach.vision.sources)
        if damaged:
            summary["damaged_images"] = [{"path": str(p), "problem": why} for p, why in damaged]
        if interrupted:
            summary["interrupted"] = True
        summary["session"] = engine.summary()
        result.summary = summary
        if out:
            result.summary_path = _write_json(out / "summary.json", summary)
    return result


def _write_json(path: Path, data: dict) -> Path:
    """summary.json, written atomically with user-only permissions."""
    try:
        return atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2, default=str))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; free some space or choose another --out") from None
