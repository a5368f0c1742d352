"""The guided session: the programme's exercises one after the other, with an
introduction, a "can I see you?" check, coaching, pause / skip / stop and a symptom
question after each exercise.

    controller = SessionController(specs, lang="nb", excluded={"knee_to_chest": "screening.reason.hernia"})
    stats = pipeline.run(frames, estimator=..., smoother=..., engine=controller, sinks=[...],
                         should_stop=lambda: controller.stopped)
    controller.record      # everything the report needs (plain data)

``SessionController`` is logic and state only (no window, no voice, no files): it takes
smoothed PoseFrames (``update``) and key presses (``press``) and returns engine-style
``Event``s. It satisfies the pipeline's Checker protocol, so the pipeline's estimator,
smoother, recorder and sinks are reused unchanged. Adapters elsewhere turn its output into
sound (:class:`coach.ui.speech.VoiceAdapter`), pictures
(:class:`coach.ui.session_view.SessionRenderer`) and keys (:class:`coach.ui.window.Window`
with ``on_key=controller.press``); the report writer listens on ``on_checkpoint``. The
guided session is put together in :mod:`coach.pipeline.guided`.

Stages of one exercise::

    intro ──(intro_s)──▶ framing ──(needed body parts in view for framing_s)──▶ coaching
      ──(engine done, or skip)──▶ symptoms ──(no / no answer)──▶ next exercise's intro
                                           └─(yes: key or raised hand)──▶ session ends (report written)

The symptom question is answered by key (:mod:`coach.session.keys`) or, for a person on
the floor, by a hand held above the head for ``hand_answer_s`` (:mod:`coach.session.hands`);
no answer within ``symptom_timeout_s`` of the question having been said goes on.

Time is the frames' timestamps only. A pause freezes every timer: the engine is fed
frames whose timestamps have the paused time taken out, so a hold neither grows nor
jumps across a pause. Keys are queued and take effect on the next frame, except stop,
which takes effect at once (``stopped`` is polled by the pipeline's ``should_stop``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coach import i18n
from coach.engine import SIDE_NAMES, Event, ExerciseEngine
from coach.errors import CoachError
from coach.pose import PoseFrame
from coach.session.framing import missing_parts, needed_landmarks
from coach.session.hands import HandRaise, HandRaiseConfig
from coach.session.keys import action_of, answer_keys, normalise_key

STAGES = ("intro", "framing", "coaching", "symptoms", "done")

# The time to answer the symptom question starts when it has been said, or after this long.
MAX_QUESTION_SPEECH_MS = 30000.0

# Event kinds the controller adds to the engine's.
SESSION_KINDS = ("session", "intro", "framing", "pause", "skip", "excluded", "symptoms", "warning")


class SessionError(CoachError):
    exit_code = 2


@dataclass
class SessionConfig:
    """Timings of the guided flow, in seconds of frame time."""

    intro_s: float = 8.0              # the introduction screen stays this long
    framing_s: float = 1.0            # needed parts in view this long before coaching starts
    framing_repeat_s: float = 6.0     # "I can't see your feet" again at most this often
    symptom_timeout_s: float | None = 15.0  # no answer in this long counts as "no answer" (None: wait)
    hand_answer_s: float | None = 2.0       # a hand held up this long answers yes (None: keys only)
    scripted_answer_delay_s: float = 1.0    # a scripted answer is given this long after the question
    sample_hz: float = 5.0            # measure samples per second kept for the report plots
    min_visibility: float = 0.5
    edge_margin: float = 0.02         # a landmark this far outside the picture counts as out of view
    checkpoint_s: float | None = 20.0  # the report is also rewritten this often (besides after each exercise)

    def __post_init__(self) -> None:
        for name in ("intro_s", "framing_s", "framing_repeat_s", "scripted_answer_delay_s"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 <= v < 3600):
                raise SessionError(f"{name}: must be a number of seconds in [0, 3600), got {v!r}")
        if self.symptom_timeout_s is not None and not 0 < self.symptom_timeout_s < 3600:
            raise SessionError(f"symptom_timeout_s: must be in (0, 3600) or none, got {self.symptom_timeout_s!r}")
        if self.hand_answer_s is not None and not (isinstance(self.hand_answer_s, (int, float))
                                                   and 0.5 <= self.hand_answer_s <= 10):
            raise SessionError(f"hand_answer_s: must be in [0.5, 10] seconds or none, got {self.hand_answer_s!r}")
        if (self.hand_answer_s is not None and self.symptom_timeout_s is not None
                and self.symptom_timeout_s <= self.hand_answer_s):
            raise SessionError(f"symptom_timeout_s ({self.symptom_timeout_s}) must be longer than "
                               f"hand_answer_s ({self.hand_answer_s}), or there is no time to raise a hand")
        if not 0 < self.sample_hz <= 60:
            raise SessionError(f"sample_hz: must be in (0, 60], got {self.sample_hz!r}")


def phase_targets(spec) -> dict[str, dict[str, Any]]:
    """Hold and rep targets of the spec's phases (for the report)."""
    out: dict[str, dict[str, Any]] = {}
    for p in spec.phases:
        names = dict(p.names) if p.names else None
        if p.kind == "hold":
            out[p.id] = {"kind": "hold", "min_s": p.min_s, "target_s": p.target_s, "max_s": p.max_s, "names": names}
        elif p.kind == "reps":
            out[p.id] = {"kind": "reps", "min_reps": p.min_reps, "target_reps": p.target_reps,
                         "max_reps": p.max_reps, "names": names}
    return out


def rule_label(rule, spec) -> dict[str, str]:
    """A rule's cue as a label for the whole exercise: "{side}" reads "right/left"."""
    sides = [x for x in (spec.sides or ()) if x in SIDE_NAMES] or ["right", "left"]
    out = {}
    for lang, text in rule.cue.items():
        side = "/".join(SIDE_NAMES[x].get(lang, x) for x in sides)
        other = "/".join(SIDE_NAMES[x].get(lang, x) for x in reversed(sides))
        out[lang] = text.replace("{other_side}", other).replace("{side}", side)
    return out


@dataclass
class ExerciseRecord:
    """What happened in one exercise (plain data for the report)."""

    id: str
    names: dict[str, str]
    status: str = "pending"   # pending | done | stopped | skipped | excluded | not_reached
    reason: dict[str, str] | None = None  # why excluded
    started_ms: float | None = None       # coaching start (session time)
    ended_ms: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    cues: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    reps: list[dict[str, Any]] = field(default_factory=list)
    measures: dict[str, dict[str, Any]] = field(default_factory=dict)
    symptoms: dict[str, Any] | None = None
    paused_s: float = 0.0
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)  # phase id -> target_s / target_reps ...

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return d


class SessionController:
    """The guided session's logic (see the module doc). Never prints, never sleeps."""

    def __init__(self, specs: list, lang: str = "en", *, excluded: Mapping[str, str] | None = None,
                 config: SessionConfig | None = None, answers: Iterable[bool | None] | None = None,
                 measure_factory=None, on_checkpoint: Callable[[dict], None] | None = None,
                 meta: Mapping[str, Any] | None = None,
                 warnings: Iterable[Mapping[str, str]] = (),
                 speech_busy: Callable[[], bool] | None = None) -> None:
        if not specs:
            raise SessionError("program: needs at least one exercise")
        self.lang = i18n.check_lang(lang)
        self.config = config or SessionConfig()
        self.excluded = dict(excluded or {})
        self._factory = measure_factory
        self.on_checkpoint = on_checkpoint
        self.all_specs = list(specs)
        self.specs = [s for s in specs if s.id not in self.excluded]
        self._needed = {s.id: needed_landmarks(s) for s in self.specs}
        self._answers = list(answers) if answers is not None else None
        self.records: list[ExerciseRecord] = []
        for s in specs:
            rec = ExerciseRecord(id=s.id, names=dict(s.names), targets=phase_targets(s))
            if s.id in self.excluded:
                rec.status = "excluded"
                rec.reason = i18n.t_all(self.excluded[s.id])
            self.records.append(rec)
        self.meta: dict[str, Any] = dict(meta or {})
        self.warnings = [dict(w) for w in warnings]  # spoken at the start (e.g. a third session today)
        self.interrupted = False         # set by the CLI's signal handler (Ctrl-C, SIGTERM)
        # () -> True while the voice is still speaking: the introduction then lasts until
        # it has been said (never shorter than intro_s of frame time)
        self.speech_busy = speech_busy
        self.started_at = datetime.now().astimezone()
        self.ended_by: str | None = None
        self.stage = "intro"
        self.index = 0                   # into self.specs
        self.engine: ExerciseEngine | None = None
        self.paused = False
        self.stopped = False             # stop key: the pipeline should stop now
        self.done = False
        self.missing: list[str] | None = []  # last framing result (None: no person)
        self.prompt_answer: str | None = None  # last symptom answer (for the overlay)
        # the symptom question answered by a raised hand (None: keys only)
        self.hand = (HandRaise(HandRaiseConfig(hold_s=self.config.hand_answer_s))
                     if self.config.hand_answer_s is not None else None)
        self.last_text: dict[str, str] | None = None
        self._keys: list[str] = []
        self._t0: float | None = None    # first frame timestamp
        self._t: float = 0.0             # last frame timestamp
        self._paused_ms = 0.0            # total paused time
        self._pause_started: float | None = None
        self._stage_since = 0.0          # active time the stage started
        self._framing_ok_since: float | None = None
        self._framing_said: dict[str, float] = {}
        self._question_said_at: float | None = None  # active time the symptom question had been said
        self._hand_chimed = False
        self._engine_offset = 0.0
        self._last_sample: float | None = None
        self._events_count = 0
        self._last_checkpoint = 0.0

    # -- helpers -------------------------------------------------------------------
    @property
    def spec(self):
        return self.specs[self.index] if self.index < len(self.specs) else None

    @property
    def record(self) -> dict[str, Any]:
        """The session so far, as plain data (the report's input)."""
        dur = 0.0 if self._t0 is None else (self._t - self._t0) / 1000.0
        return {
            "format": "coach-session", "version": 1,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "lang": self.lang, "duration_s": round(dur, 2), "paused_s": round(self._paused_ms / 1000.0, 2),
            "ended_by": self.ended_by, "complete": self.done,
            "program": [s.id for s in self.all_specs],
            "exercises": [r.to_dict() for r in self.records],
            **self.meta,
        }

    def _rec(self, spec_id: str) -> ExerciseRecord:
        return next(r for r in self.records if r.id == spec_id)

    def _session_ms(self, t: float) -> float:
        return t - (self._t0 or 0.0)

    def _active(self, t: float) -> float:
        """Frame time with paused time taken out."""
        return t - self._paused_ms

    def _ev(self, t: float, kind: str, text: dict[str, str] | None = None, severity: str | None = "setup",
            exercise_id: str = "", **data: Any) -> Event:
        if text:
            self.last_text = text
        return Event(t, kind, exercise_id or (self.spec.id if self.spec else ""), None, None, severity, text, data)

    def _checkpoint(self) -> None:
        if self.on_checkpoint is not None:
            self.on_checkpoint(self.record)

    # -- inputs --------------------------------------------------------------------
    def press(self, key: int | str) -> None:
        """A key from the window (or a script). Stop takes effect at once; the others on
        the next frame."""
        k = normalise_key(key)
        if k is None:
            return
        if action_of(k, "always") == "stop":
            self.stopped = True
        self._keys.append(k)

    def stop(self) -> None:
        self.stopped = True
        self._keys.append("q")

    # -- the Checker protocol ------------------------------------------------------
    def update(self, frame: PoseFrame) -> list[Event]:
        if self.done:
            return []
        t = float(frame.timestamp_ms)
        if not math.isfinite(t) or (self._t0 is not None and t < self._t):
            return []
        events: list[Event] = []
        if self._t0 is None:
            self._t0 = t
            self._t = t
            self._start(t, events)
        self._t = t
        if self.config.checkpoint_s and t - self._last_checkpoint >= self.config.checkpoint_s * 1000.0:
            self._last_checkpoint = t
            self._checkpoint()
        if self._pause_started is not None:
            self._paused_ms += t - self._pause_started
            self._pause_started = t
        for k in self._consume_keys():
            self._handle_key(k, t, events)
            if self.done:
                return self._count(events)
        if self.paused:
            return self._count(events)
        stage = self.stage
        if stage == "intro":
            if self._active(t) - self._stage_since >= self.config.intro_s * 1000.0 and not self._speaking():
                self._enter_framing(t, events)
        if self.stage == "framing":
            self._run_framing(t, frame, events)
        elif self.stage == "coaching":
            self._run_coaching(t, frame, events)
        elif self.stage == "symptoms":
            self._run_symptoms(t, frame, events)
        return self._count(events)

    def finish(self, timestamp_ms: float) -> list[Event]:
        """The source ended, the stop key was pressed, or the process is being stopped."""
        if self.done:
            return []
        t = max(float(timestamp_ms), self._t) if math.isfinite(float(timestamp_ms)) else self._t
        events: list[Event] = []
        for k in self._consume_keys():
            self._handle_key(k, t, events)
        if not self.done:
            self._end_exercise(t, events, "stopped")
            for r in self.records:
                if r.status == "pending":
                    r.status = "not_reached"
            how = "interrupted" if self.interrupted else ("stopped" if self.stopped else "source_ended")
            self._end_session(t, events, how)
        return self._count(events)

    def interrupt(self, timestamp_ms: float | None = None) -> list[Event]:
        """Ctrl-C or a termination signal: end what is running and mark the session
        interrupted (the caller writes the report)."""
        self.stopped = True
        if self.done:
            return []
        events: list[Event] = []
        t = self._t if timestamp_ms is None else float(timestamp_ms)
        self._end_exercise(t, events, "stopped")
        for r in self.records:
            if r.status == "pending":
                r.status = "not_reached"
        self._end_session(t, events, "interrupted")
        return self._count(events)

    def _speaking(self) -> bool:
        """The introduction is still being spoken (the intro stage waits for it)."""
        if self.speech_busy is None:
            return False
        try:
            return bool(self.speech_busy())
        except Exception:
            return False

    def _count(self, events: list[Event]) -> list[Event]:
        self._events_count += len(events)
        return events

    def _consume_keys(self) -> list[str]:
        keys, self._keys = self._keys, []
        return keys

    # -- stages --------------------------------------------------------------------
    def _start(self, t: float, events: list[Event]) -> None:
        n = len(self.specs)
        welcome = i18n.t_all("session.welcome_one") if n == 1 else i18n.t_all("session.welcome", count=n)
        text = i18n.join_texts(welcome, i18n.t_all("session.slow_controlled"))
        events.append(self._ev(t, "session", text, "setup", state="start", exercises=[s.id for s in self.specs]))
        for w in self.warnings:
            events.append(self._ev(t, "warning", w, "safety"))
        for s in self.all_specs:
            if s.id in self.excluded:
                rec = self._rec(s.id)
                txt = {lang: i18n.t("session.excluded_exercise", lang, name=s.names.get(lang, s.id),
                                    reason=rec.reason[lang]) for lang in i18n.LANGS}
                events.append(self._ev(t, "excluded", txt, "safety", exercise_id=s.id,
                                       reason=self.excluded[s.id]))
        if not self.specs:
            self._end_session(t, events, "all_excluded")
            return
        self._enter_intro(t, events)
        self._last_checkpoint = t
        self._checkpoint()  # a valid (empty) report exists from the first frame on

    def _enter_intro(self, t: float, events: list[Event]) -> None:
        spec = self.spec
        self.stage = "intro"
        self._stage_since = self._active(t)
        text = {lang: i18n.t("session.exercise_intro", lang, name=spec.names.get(lang, spec.id)) for lang in i18n.LANGS}
        equip = {lang: i18n.t("session.equipment", lang, equipment=(spec.equipment or {}).get(lang, "—").rstrip("."))
                 for lang in i18n.LANGS}
        placement = {lang: (spec.camera_placement or {}).get(lang, "") for lang in i18n.LANGS}
        events.append(self._ev(t, "intro", i18n.join_texts(text, equip, placement), "setup", exercise_id=spec.id,
                               index=self.index, of=len(self.specs)))

    def _enter_framing(self, t: float, events: list[Event]) -> None:
        self.stage = "framing"
        self._stage_since = self._active(t)
        self._framing_ok_since = None
        self._framing_said = {}
        events.append(self._ev(t, "framing", i18n.t_all("setup.waiting"), "setup", state="waiting"))

    def _run_framing(self, t: float, frame: PoseFrame, events: list[Event]) -> None:
        spec = self.spec
        miss = missing_parts(frame, self._needed[spec.id], self.config.min_visibility, self.config.edge_margin)
        self.missing = miss
        a = self._active(t)
        if miss == []:
            if self._framing_ok_since is None:
                self._framing_ok_since = a
            if a - self._framing_ok_since >= self.config.framing_s * 1000.0:
                self._start_coaching(t, events)
            return
        self._framing_ok_since = None
        key = "setup.cant_see.person" if miss is None else f"setup.cant_see.{miss[0]}"
        last = self._framing_said.get("any")
        # the first "can't see" after a short grace period, then at most every framing_repeat_s
        if a - self._stage_since < 1500.0:
            return
        if last is None or a - last >= self.config.framing_repeat_s * 1000.0:
            self._framing_said["any"] = a
            events.append(self._ev(t, "framing", i18n.t_all(key), "setup", state="cant_see",
                                   missing=miss if miss is not None else ["person"]))

    def _start_coaching(self, t: float, events: list[Event]) -> None:
        spec = self.spec
        self.stage = "coaching"
        self.engine = ExerciseEngine(spec, self.lang, self._factory) if self._factory else ExerciseEngine(spec, self.lang)
        self._engine_offset = self._paused_ms
        self._last_sample = None
        rec = self._rec(spec.id)
        rec.started_ms = self._session_ms(t)
        rec.status = "running"
        events.append(self._ev(t, "framing", i18n.join_texts(i18n.t_all("setup.ready"), i18n.t_all("session.starting")), "setup",
                               state="ready", chime="start"))

    def _engine_frame(self, frame: PoseFrame) -> PoseFrame:
        shift = self._paused_ms - self._engine_offset
        if shift == 0.0:
            return frame
        return dataclasses.replace(frame, timestamp_ms=float(frame.timestamp_ms) - shift)

    def _run_coaching(self, t: float, frame: PoseFrame, events: list[Event]) -> None:
        engine = self.engine
        assert engine is not None
        shift = self._paused_ms - self._engine_offset
        evs = engine.update(self._engine_frame(frame))
        for ev in evs:
            ev.timestamp_ms += shift
        self._note_engine_events(t, evs)
        events.extend(evs)
        self._sample(t, engine)
        if engine.done:
            self._end_exercise(t, events, "done")

    def _note_engine_events(self, t: float, evs: list[Event]) -> None:
        rec = self._rec(self.spec.id)
        for ev in evs:
            st = self._session_ms(ev.timestamp_ms)
            if ev.kind in ("cue", "cant_see") and ev.text:
                rec.cues.append({"t_s": round(st / 1000.0, 2), "kind": ev.kind, "rule_id": ev.rule_id,
                                 "severity": ev.severity, "side": ev.side, "text": dict(ev.text)})
            elif ev.kind == "hold" and ev.data.get("state") in ("done", "released"):
                rec.holds.append({"t_s": round(st / 1000.0, 2), "side": ev.side, "state": ev.data.get("state"),
                                  "achieved_s": ev.data.get("achieved_s")})
            elif ev.kind == "rep" and ev.data.get("state") is None:
                rec.reps.append({"t_s": round(st / 1000.0, 2), "side": ev.side, "reps": ev.data.get("reps"),
                                 "period_s": ev.data.get("period_s")})
            if ev.text:
                self.last_text = ev.text

    def _sample(self, t: float, engine: ExerciseEngine) -> None:
        if self._last_sample is not None and t - self._last_sample < 1000.0 / self.config.sample_hz:
            return
        self._last_sample = t
        snap = engine.snapshot()
        spec = self.spec
        rec = self._rec(spec.id)
        st = round(self._session_ms(t) / 1000.0, 2)
        for r in snap.rules:
            rule = spec.rules.get(r.rule_id)
            m = rec.measures.get(r.rule_id)
            if m is None:
                m = rec.measures[r.rule_id] = {
                    "measure": rule.measure if rule else None, "unit": r.unit, "severity": r.severity,
                    "min": r.min, "max": r.max, "label": rule_label(rule, spec) if rule and rule.cue else None,
                    "samples": [], "range": None,
                }
            judged = getattr(r, "judged_value", r.value)   # what the rule compares with min/max
            v = float(judged) if judged is not None else math.nan
            value = round(v, 3) if math.isfinite(v) else None
            m["samples"].append([st, value, snap.side, snap.phase_id, r.state])
            if value is not None:
                lo, hi = (m["range"] or (value, value))
                m["range"] = (min(lo, value), max(hi, value))

    def _end_exercise(self, t: float, events: list[Event], status: str) -> None:
        """End the running exercise (done / stopped / skipped); the symptom question
        follows when coaching had started."""
        spec = self.spec
        if spec is None:
            return
        rec = self._rec(spec.id)
        engine = self.engine
        if engine is not None:
            if not engine.done:
                shift = self._paused_ms - self._engine_offset
                evs = engine.finish(t - shift)
                for ev in evs:
                    ev.timestamp_ms += shift
                self._note_engine_events(t, evs)
                events.extend(evs)
            rec.summary = engine.summary()
            rec.ended_ms = self._session_ms(t)
            rec.status = status
        elif rec.started_ms is not None:
            return  # already ended (stop pressed at the symptom question): keep its status
        else:
            rec.status = "skipped" if status == "skipped" else ("not_reached" if status == "stopped" else status)
        rec.paused_s = round(self._paused_ms / 1000.0, 2)
        self.engine = None
        self._checkpoint()
        if status in ("done", "skipped") and rec.started_ms is not None:
            self._enter_symptoms(t, events)
        elif status == "skipped":
            self._next_exercise(t, events)

    def _enter_symptoms(self, t: float, events: list[Event]) -> None:
        self.stage = "symptoms"
        self._stage_since = self._active(t)
        self.prompt_answer = None
        self._question_said_at = None
        self._hand_chimed = False
        if self.hand is not None:
            self.hand.reset()
        text = i18n.join_texts(i18n.t_all("symptoms.question"), self.answer_hint())
        events.append(self._ev(t, "symptoms", text, "safety", state="question", chime="done"))

    def answer_hint(self) -> dict[str, str]:
        """How to answer the symptom question, in every language: by hand and by key."""
        out = {}
        for lang in i18n.LANGS:
            keys = answer_keys(lang)
            if self.hand is not None:
                out[lang] = i18n.t("symptoms.how_to_answer", lang, seconds=f"{self.config.hand_answer_s:g}",
                                   yes=keys["yes"], no=keys["no"])
            else:
                out[lang] = i18n.t("symptoms.how_to_answer_keys", lang, yes=keys["yes"], no=keys["no"])
        return out

    def _run_symptoms(self, t: float, frame: PoseFrame, events: list[Event]) -> None:
        if self.hand is not None:
            if self.hand.update(frame):
                self._answer(t, True, events, "hand")
                return
            if self.hand.held_s > 0 and not self._hand_chimed:
                # a chime the moment a raised hand is seen: the person on the floor, looking at
                # the ceiling, knows it is being counted (once per question)
                self._hand_chimed = True
                events.append(self._ev(t, "symptoms", None, "safety", state="hand_seen", chime="start"))
        waited = self._active(t) - self._stage_since
        if self._answers is not None:
            if waited >= self.config.scripted_answer_delay_s * 1000.0:
                answer = self._answers.pop(0) if self._answers else None
                self._answer(t, answer, events, "script")
            return
        # the time to answer runs once the question has been said (it takes a while to hear)
        if self._question_said_at is None:
            if self._speaking() and waited < MAX_QUESTION_SPEECH_MS:
                return
            self._question_said_at = self._active(t)
        if self.hand is not None and self.hand.held_s > 0:
            return  # a hand is going up: never cut it off by the timeout
        timeout = self.config.symptom_timeout_s
        if timeout is not None and self._active(t) - self._question_said_at >= timeout * 1000.0:
            self._answer(t, None, events, "timeout")

    def _answer(self, t: float, answer: bool | None, events: list[Event], how: str) -> None:
        spec = self.spec
        rec = self._rec(spec.id)
        rec.symptoms = {"answer": answer, "how": how, "t_s": round(self._session_ms(t) / 1000.0, 2)}
        self.prompt_answer = "yes" if answer else ("no" if answer is False else "none")
        if answer:
            text = i18n.t_all("symptoms.stop")
            if how == "hand":  # say what was seen, so the person knows why the session ends
                text = i18n.join_texts(i18n.t_all("symptoms.hand_seen_yes"), text)
            events.append(self._ev(t, "symptoms", text, "safety", state="yes", how=how))
            for r in self.records:
                if r.status == "pending":
                    r.status = "not_reached"
            self._end_session(t, events, "symptoms")
            return
        key = "symptoms.ok" if answer is False else "symptoms.no_answer"
        events.append(self._ev(t, "symptoms", i18n.t_all(key), "setup", state="no" if answer is False else "none",
                               how=how))
        self._checkpoint()
        self._next_exercise(t, events)

    def _next_exercise(self, t: float, events: list[Event]) -> None:
        self.index += 1
        if self.index >= len(self.specs):
            self._end_session(t, events, "completed")
            return
        self._enter_intro(t, events)

    def _end_session(self, t: float, events: list[Event], how: str) -> None:
        if self.done:
            return
        if self._pause_started is not None:
            self._pause_started = None
        self.paused = False
        self.stage = "done"
        self.done = True
        self.ended_by = how
        key = "session.finished" if how in ("completed",) else "session.stopped"
        events.append(self._ev(t, "session", i18n.t_all(key), "setup" if how == "completed" else "safety",
                               state="end", ended_by=how, chime="stop"))
        self._checkpoint()

    # -- keys ----------------------------------------------------------------------
    def _handle_key(self, k: str, t: float, events: list[Event]) -> None:
        action = action_of(k, "question" if self.stage == "symptoms" else "exercise")
        if action == "stop":
            self.stopped = True
            self._end_exercise(t, events, "stopped")
            for r in self.records:
                if r.status == "pending":
                    r.status = "not_reached"
            self._end_session(t, events, "stopped")
            return
        if action in ("yes", "no"):
            self._answer(t, action == "yes", events, "key")
            return
        if action == "pause":
            if self.paused:
                self.paused = False
                if self._pause_started is not None:
                    self._paused_ms += t - self._pause_started
                self._pause_started = None
                events.append(self._ev(t, "pause", i18n.t_all("session.resumed"), "setup", state="resumed"))
            else:
                self.paused = True
                self._pause_started = t
                events.append(self._ev(t, "pause", i18n.t_all("session.paused"), "setup", state="paused"))
            return
        if action == "skip":
            spec = self.spec
            if spec is None:
                return
            if self.paused:
                self.paused = False
                if self._pause_started is not None:
                    self._paused_ms += t - self._pause_started
                self._pause_started = None
            txt = {lang: i18n.t("session.skipped", lang, name=spec.names.get(lang, spec.id)) for lang in i18n.LANGS}
            events.append(self._ev(t, "skip", txt, "setup", stage=self.stage))
            self._end_exercise(t, events, "skipped")
