"""``coach session`` put together: the guided session controller on the same pipeline as
replay and live, with voice, the session picture, scripted keys, the report and the
landmark recording.

    session = GuidedSession(specs, options, screening=result, excluded=excluded, store=store)
    # (the CLI prints session.too_many_today and session.voice_warning here)
    outcome = session.run()        # KeyboardInterrupt (re-raised) after the report is written

The screening itself (stored answers, ``--answers`` or questions in the terminal) is
decided before, by the caller. Never prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach import i18n
from coach.errors import CoachError, InputError
from coach.pipeline.loop import RunStats
from coach.pipeline.runner import (Driven, Outputs, drive, make_estimator, make_voice, needs_masks, plausibility_for,
                                   recording_meta)
from coach.session.controller import SessionConfig, SessionController
from coach.session.keys import ScriptedKeys
from coach.session.safety import ScreeningResult, SessionLog
from coach.session.store import StateStore
from coach.spec import ExerciseSpec
from coach.ui.report import ReportWriter, reports_dir
from coach.ui.session_view import SessionRenderer
from coach.ui.speech import VoiceAdapter
from coach.ui.voice import Voice
from coach.ui.window import Window, check_display
from coach.vision.smoothing import PoseSmoother
from coach.vision.sources import CameraSource, VideoFileSource


@dataclass
class SessionOptions:
    """The session's settings from the command line (``coach session --help``)."""

    lang: str = "en"
    camera: str = "0"                   # a camera number, or a video file played as a camera
    model: str | None = None
    mute: bool = False
    volume: int | None = None           # 0..200 (default 100)
    mirror: bool = False
    mirrored: bool = False              # the camera mirrors the picture: turn the poses back
    window: bool = True
    window_height: int = 720
    out: str | None = None              # report folder (default: under the state folder)
    record_landmarks: str | None = None
    video: bool = False
    fast: bool = False                  # a video file as fast as it can be processed
    max_seconds: float | None = None
    symptoms: list[bool | None] | None = None         # scripted symptom answers (--answers)
    keys: list[tuple[float, str]] = field(default_factory=list)  # scripted keys (--answers)
    settings: dict[str, Any] = field(default_factory=dict)       # SessionConfig fields (--program)

    def check(self) -> None:
        """The options' own mistakes, before any camera or model is opened."""
        if self.volume is not None and not 0 <= self.volume <= 200:
            raise InputError(f"--volume: must be in 0..200, got {self.volume}")
        if not self.window and self.out is None:
            raise InputError("--no-window needs --out DIR (where the report and events go)")
        if not self.camera.isdigit() and not Path(self.camera).exists():
            raise InputError(f"--camera must be a camera number or a video file; {self.camera} does not exist")
        if self.window:
            check_display("--no-window --out DIR")


@dataclass
class SessionOutcome:
    record: dict[str, Any]
    report_html: Path
    report_json: Path
    video_path: Path | None
    recording_path: Path | None
    camera_lost: bool
    stats: RunStats


class GuidedSession:
    """One guided session from a camera (or a video played as one): opens the model, the
    camera, the report and the voice on construction (closing what it opened if any of
    it fails), and runs on ``run()``."""

    def __init__(self, specs: list[ExerciseSpec], options: SessionOptions, *, screening: ScreeningResult,
                 excluded: dict[str, str], store: StateStore) -> None:
        options.check()
        self.options = options
        self.specs = specs
        camera = options.camera
        self.source_name = f"camera {camera}"
        self.estimator = make_estimator(options.model, 1, any(needs_masks(s) for s in specs), specs[0])
        try:
            if camera.isdigit():
                self.source = CameraSource(int(camera))
            elif options.fast:
                self.source = VideoFileSource(camera)
            else:
                self.source = CameraSource.from_file(camera)
        except CoachError:
            self.estimator.close()
            raise
        self.voice: Voice | None = None
        try:
            self._build(screening, excluded, store)
        except BaseException:
            self._close_devices(wait_for_voice=False)
            raise

    def _build(self, screening: ScreeningResult, excluded: dict[str, str], store: StateStore) -> None:
        opt = self.options
        lang = opt.lang
        out = reports_dir(opt.out) if opt.out else reports_dir()
        self.writer = ReportWriter(out, lang)
        # counted only once the camera and the output folder work
        check = SessionLog(store).record_start()
        warnings = []
        if screening.status == "caution":  # said aloud too: the person may be far from the screen
            warnings.append({lg: " ".join(screening.messages(lg)) for lg in i18n.LANGS})
        self.too_many_today: str | None = None
        if check.warn:
            warnings.append(i18n.t_all("session.too_many_today", count=check.count_today))
            self.too_many_today = warnings[-1][lang]
        meta = {"screening": {"status": screening.status, "reasons": list(screening.reasons)},
                "warning_today": check.count_today if check.warn else 0,
                "source": self.source_name}
        self.controller = controller = SessionController(
            self.specs, lang, excluded=excluded, config=SessionConfig(**opt.settings), answers=opt.symptoms,
            on_checkpoint=self.writer.write, meta=meta, warnings=warnings)

        self.voice = voice = make_voice(lang, muted=opt.mute, volume=opt.volume)
        if voice.available and not opt.mute:
            controller.speech_busy = lambda: voice.busy
        self.voice_warning: str | None = voice.warning or None
        self.speaker = VoiceAdapter(voice, lang)
        self.renderer = SessionRenderer(controller, lang, mirror=opt.mirror, muted=opt.mute or not voice.available,
                                        display_height=opt.window_height if opt.window else None)
        self.sinks: list = [self.speaker]  # says each frame's texts as one utterance
        if opt.keys:
            self.sinks.append(ScriptedKeys(controller.press, opt.keys))
        if opt.window:
            self.sinks.append(Window("coach", self.renderer.render, on_key=controller.press, on_close=controller.stop,
                                     resizable=False, no_window_hint="--no-window --out DIR"))
        self.outputs = Outputs(events_path=out / f"{self.writer.stem}.events.jsonl" if opt.out else None)
        if opt.video:
            self.outputs.video_path, self.outputs.video_render = out / f"{self.writer.stem}.mp4", self.renderer.render
        if opt.record_landmarks:
            self.outputs.recording_path = opt.record_landmarks
            self.outputs.recording_meta = recording_meta(self.source_name, "session", self.estimator, opt.mirrored)

    @property
    def report_path(self) -> Path:
        return self.writer.html_path

    def _on_event(self, ev) -> None:
        self.speaker(ev)
        if ev.kind == "intro":  # the skeleton check follows the exercise's posture
            spec = next((s for s in self.specs if s.id == ev.exercise_id), None)
            if spec is not None:
                self.estimator.plausibility = plausibility_for(spec)

    def _mark_interrupted(self) -> None:
        self.controller.interrupted = True

    def run(self) -> SessionOutcome:
        """Run until the programme ends, the person stops, the camera ends or ``max_seconds``.
        On Ctrl-C or SIGTERM the report is written (marked interrupted) and KeyboardInterrupt
        is raised again."""
        controller = self.controller
        start = time.monotonic()
        max_s = self.options.max_seconds

        def should_stop() -> bool:
            if controller.stopped or controller.done:
                return True
            return bool(max_s and time.monotonic() - start > max_s)

        driven = Driven(stats=RunStats())
        interrupted = False
        camera_lost = False
        try:
            drive(self.source, fps=self.source.info.fps, estimator=self.estimator, smoother=PoseSmoother(None),
                  engine=controller, sinks=self.sinks, outputs=self.outputs, should_stop=should_stop,
                  on_event=self._on_event, on_signal=self._mark_interrupted, result=driven,
                  mirrored=self.options.mirrored)
        except KeyboardInterrupt:
            interrupted = True
            controller.interrupted = True
            if not controller.done:
                controller.interrupt()
        finally:
            camera_lost = bool(getattr(self.source, "failed", False) and not getattr(self.source, "ended", False))
            try:
                if controller.interrupted and controller.ended_by != "interrupted":
                    controller.ended_by = "interrupted"
                elif camera_lost and controller.ended_by == "source_ended":
                    controller.ended_by = "camera_lost"
                self.writer.write(controller.record)
            finally:
                self._close_devices(wait_for_voice=not interrupted)
        if interrupted:
            raise KeyboardInterrupt
        return SessionOutcome(record=controller.record, report_html=self.writer.html_path,
                              report_json=self.writer.json_path, video_path=driven.video_path,
                              recording_path=driven.recording_path, camera_lost=camera_lost, stats=driven.stats)

    def _close_devices(self, wait_for_voice: bool) -> None:
        close = getattr(self.source, "close", None)
        try:
            if close is not None:
                close()
            self.estimator.close()
        finally:
            if self.voice is not None:
                if wait_for_voice:
                    self.voice.wait_idle(timeout_s=8.0)
                self.voice.close()

