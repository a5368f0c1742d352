"""The exercise engine: measures -> rule states -> phases, holds, reps, sides -> one cue at a time.

    spec = load_spec("lying_twist")
    engine = ExerciseEngine(spec, lang="nb")
    for frame in frames:                  # smoothed PoseFrames, in capture order
        for event in engine.update(frame):
            ...                           # event.to_dict() -> one JSONL line
    engine.finish(last_timestamp_ms)      # side skipped, hold too short, summary
    engine.snapshot()                     # for the overlay
    engine.summary()                      # for the report

Time is the frames' ``timestamp_ms`` only (never the wall clock), so a replay gives the
same events every run. Frames whose timestamp goes backwards are ignored.

Flow of one exercise: the spec's phases are unrolled into steps; consecutive per-side
phases repeat for each side (``sides.order``) with a "now the other side" event between.

* setup: every rule of the phase must be OK for ``stable_s`` seconds (or ``timeout_s``
  passes: the person has started anyway, follow them);
* hold: waits until the ``position`` rules have been OK for ``settle_s``, then the timer
  runs only while no hold-pausing rule of the phase is at fault — "hold paused — ..."
  (an unseen position rule pauses it too; other unseen rules do not: far-side joints are
  often hidden). The phase ends when the person leaves the position for ``release_s``
  seconds (hold too short if under ``min_s``); "too long" past ``max_s``. Before the
  hold starts and after ``target_s`` only the position, set-up, safety and pace rules are
  judged: no form nagging while moving in or out;
* reps: a Schmitt trigger on one measure (``enter``/``exit`` thresholds) counts a rep
  on each completed excursion, at most one per ``min_period_s``; the phase ends
  ``idle_end_s`` after the last rep once ``min_reps`` are done;
* rest: a timer.

A rule (value vs. bounds) goes ok -> warning (out of bounds) -> fault (out for
``persist_s``); it clears only once back inside the bounds by ``hysteresis``. Options: a
list of measures (the worse value counts: either elbow), ``only_when`` another rule is OK,
``relative_to_hold_start_s`` (bounds on the change since the hold began), a sign mirrored
on one side. A NaN value is "can't see": never a form cue, but after ``cant_see_s`` a
"can't see your X" cue naming the least visible landmark.
The cue selector speaks one cue at a time: most severe first (safety > setup > form >
pace > count), no two cues closer than ``global_cooldown_s``, the same cue at most every
``repeat_s`` (twice as long each time once it has been said ``max_repeats`` times), and
the cue being worked on keeps the floor over equal-severity ones until it is fixed or has
been repeated ``max_repeats`` times (no flicker between two cues). A burst of speed that
is over before it could be said is still said once (pace cues).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.engine.events import Event
from coach.engine.texts import ENGINE_TEXT, body_part_name, fill, text_params
from coach.errors import CoachError
from coach.pose import VIS, Landmark, PoseFrame
from coach.spec import ExerciseSpec, PhaseSpec, RuleSpec
from coach.vocab import SEVERITY_RANK

_DT_CAP_S = 1.0          # a gap between frames counts at most this much hold time
_WINDOWED = ("speed", "oscillation_amplitude", "oscillation_period", "rolling")
_TRIED_S = 5.0           # held this long before going on to a later step: the step was tried
_SWITCH_S = 3.0          # coming back from one side / step to the start takes about this long
_VIS_MIN = 0.5           # landmarks below this visibility are named in "can't see" cues


class EngineError(CoachError):
    """The engine cannot run this spec (e.g. the measures module is missing)."""


# --------------------------------------------------------------------------- rule state

OK, WARNING, FAULT, CANT_SEE = "ok", "warning", "fault", "cant_see"


class RuleTracker:
    """ok -> warning -> (persist_s) -> fault -> (back inside by hysteresis) -> ok; NaN -> cant_see."""

    __slots__ = ("rule", "state", "value", "out_since_ms", "nan_since_ms", "onset_ms", "_lo", "_hi",
                 "_lo_in", "_hi_in", "_persist_ms", "baseline", "_base_sum", "_base_n")

    def __init__(self, rule: RuleSpec) -> None:
        self.rule = rule
        self.state = OK
        self.value = math.nan
        self.out_since_ms = 0.0
        self.nan_since_ms = 0.0
        self.onset_ms = 0.0
        inf = math.inf
        self._lo = rule.min if rule.min is not None else -inf
        self._hi = rule.max if rule.max is not None else inf
        # bounds a value must get back inside to clear a warning/fault
        self._lo_in = self._lo + rule.hysteresis
        self._hi_in = self._hi - rule.hysteresis
        self._persist_ms = rule.persist_s * 1000.0
        # rules relative to the start of the hold: None until the baseline is known
        self.baseline: float | None = None if rule.baseline_s is not None else 0.0
        self._base_sum = 0.0
        self._base_n = 0

    def update(self, t_ms: float, value: float) -> str | None:
        """Feed one value; returns "fault" or "cleared" on those transitions."""
        self.value = value
        if value != value:  # NaN
            if self.rule.missing_ok:       # e.g. no oscillation -> no period: nothing to report
                if self.state == FAULT:
                    self.state = OK
                    return "cleared"
                self.state = OK
                return None
            if self.state != CANT_SEE:
                self.state = CANT_SEE
                self.nan_since_ms = t_ms
            return None
        state = self.state
        if state == CANT_SEE:
            state = OK
        if state == OK:
            if value > self._hi or value < self._lo:
                self.state = WARNING
                self.out_since_ms = t_ms
                if self._persist_ms <= 0:
                    self.state = FAULT
                    self.onset_ms = t_ms
                    return "fault"
            else:
                self.state = OK
            return None
        inside = self._lo_in < value < self._hi_in
        if state == WARNING:
            if inside:
                self.state = OK
            elif t_ms - self.out_since_ms >= self._persist_ms:
                self.state = FAULT
                self.onset_ms = t_ms
                return "fault"
            return None
        # FAULT
        if inside:
            self.state = OK
            return "cleared"
        return None


# --------------------------------------------------------------------------- cue selection

@dataclass(slots=True)
class Candidate:
    key: str                      # what cooldowns are kept by (rule id, "cant_see:left_knee", ...)
    kind: str                     # event kind when spoken: cue | cant_see | praise | hold
    rank: int                     # severity rank (lower = more important); praise is last
    onset_ms: float
    text: dict[str, str]
    rule_id: str | None = None
    severity: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    expires_ms: float = math.inf  # one-off cues expire
    step_side: str | None = None  # a one-off cue keeps the side it is about, even if said later
    own_side: bool = False


PRAISE_RANK = len(SEVERITY_RANK)


class CueSelector:
    """One cue at a time: severity first, global + per-cue cooldown, sticky current cue."""

    def __init__(self, global_cooldown_s: float, repeat_s: float, max_repeats: int) -> None:
        self.global_cooldown_ms = global_cooldown_s * 1000.0
        self.repeat_ms = repeat_s * 1000.0
        self.max_repeats = max_repeats
        self.last_spoken_ms = -math.inf
        self.last_by_key: dict[str, float] = {}
        self.repeats: dict[str, int] = {}
        self.current: str | None = None
        self.current_text: dict[str, str] | None = None

    def note_spoken(self, t_ms: float) -> None:
        """Something else was said (an instruction): keep the global gap after it."""
        self.last_spoken_ms = t_ms

    def end_episode(self, key: str) -> None:
        """The fault behind ``key`` cleared: it no longer holds the floor. (Its repeat count
        is kept a while, so a fault that keeps coming back is not said every repeat_s.)"""
        if self.current == key:
            self.current = None

    def choose(self, t_ms: float, candidates: list[Candidate]) -> Candidate | None:
        if not candidates or t_ms - self.last_spoken_ms < self.global_cooldown_ms:
            return None
        cur = None
        if self.current is not None:
            for c in candidates:
                if c.key == self.current:
                    cur = c
                    break
        best = None
        for c in candidates:
            if t_ms - self.last_by_key.get(c.key, -math.inf) > 4.0 * self.repeat_ms:
                self.repeats.pop(c.key, None)   # not said for a long while: start afresh
            # the same cue at most every repeat_s; a fault that is still not fixed after
            # max_repeats is repeated less and less often (x2 each time): no nagging
            backoff = 2.0 ** max(0, self.repeats.get(c.key, 0) - self.max_repeats)
            if t_ms - self.last_by_key.get(c.key, -math.inf) < self.repeat_ms * backoff:
                continue
            if (cur is not None and c is not cur and c.rank >= cur.rank
                    and self.repeats.get(cur.key, 0) < self.max_repeats and c.rank != PRAISE_RANK):
                continue  # the cue being worked on keeps the floor
            if best is None or (c.rank, c.onset_ms) < (best.rank, best.onset_ms):
                best = c
        if best is None:
            return None
        self.last_spoken_ms = t_ms
        self.last_by_key[best.key] = t_ms
        if best.kind in ("cue", "cant_see") and best.expires_ms == math.inf:
            self.repeats[best.key] = self.repeats.get(best.key, 0) + 1
            self.current = best.key
        self.current_text = best.text
        return best


# --------------------------------------------------------------------------- snapshot

@dataclass(slots=True)
class RuleStatus:
    """One rule's state in the engine's snapshot (what it measured, against which bounds)."""

    rule_id: str
    severity: str
    state: str                 # ok | warning | fault | cant_see
    value: float
    min: float | None
    max: float | None
    unit: str | None


@dataclass(slots=True)
class EngineState:
    exercise_id: str
    phase_id: str | None
    phase_kind: str | None
    side: str | None
    step: int
    n_steps: int
    hold_s: float | None
    hold_target_s: float | None
    hold_state: str | None       # waiting | holding | paused | done
    reps: int | None
    reps_target: int | None
    rules: list[RuleStatus]
    cue: str | None              # the last spoken cue, in the engine's language
    done: bool


# --------------------------------------------------------------------------- steps

MeasureFactory = Callable[[str, Mapping[str, Any], "str | None"], Any]


def _default_factory(spec: ExerciseSpec) -> MeasureFactory:
    try:
        from coach.measures import build_measure  # noqa: PLC0415
    except ImportError as exc:
        raise EngineError(f"coach.measures: cannot import ({exc}); the engine needs the measures module") from None
    units = dict(spec.measure_units)

    def factory(name: str, mspec: Mapping[str, Any], side: str | None) -> Any:
        return build_measure(name, mspec, side, source_units=units)

    return factory


def _needed_measures(spec: ExerciseSpec, names: Iterable[str]) -> list[str]:
    """``names`` plus their dependencies, in the spec's dependency order."""
    want = set(names)
    return [n for n in spec.measure_order if n in want]


class _Step:
    """One phase on one side: its measures, rule trackers and phase state."""

    def __init__(self, spec: ExerciseSpec, phase: PhaseSpec, side: str | None, index: int,
                 measure_side: str | None = None) -> None:
        self.phase = phase
        self.side = side
        # side the measures resolve moving_/other_ from: a shared phase of a two-sided
        # exercise (e.g. the start position) uses the side that comes next
        self.measure_side = side if side is not None else measure_side
        self.index = index
        self.rules = [r for r in spec.rules_for(phase)]
        self.measure_rules = [r for r in self.rules if r.kind == "measure"]
        self.timing_rules = [r for r in self.rules if r.kind == "timing"]
        names = {n for r in self.measure_rules for n in (r.measures or (r.measure,))}
        if phase.measure:
            names.add(phase.measure)
        self.measure_names = names
        self.measures: list[Any] = []
        self.trackers: dict[str, RuleTracker] = {}
        # runtime
        self.started_ms: float | None = None
        self.ok_since_ms: float | None = None       # setup
        self.hold_state = "waiting"                  # hold: waiting | holding | paused | done
        self.achieved_s = 0.0
        self.hold_started_ms: float | None = None
        self.out_since_ms: float | None = None
        self.countdown_left = sorted(phase.countdown_s, reverse=True)
        self.long_fired = False
        self.short_fired = False
        self.in_position_s = 0.0                     # time in the position since the hold began
        self.attempted = False                       # the person got into this step's position / did a rep
        self.skipped = False                         # the person went straight on to a later step
        self.start_values: dict[str, float] = {}     # position rules' farthest values from the position
        self.moving_since_ms: float | None = None    # half way (or more) toward the position since
        self.recognise_since_ms: float | None = None
        self.recognise_trackers: dict[str, RuleTracker] = {}
        self.recognise_measures: list[Any] = []
        self.reps = 0                                # reps
        self.high = False
        self.high_since_ms = 0.0
        self.last_rep_ms: float | None = None
        self.idle_fired_at = -1
        self.completed = False

    @property
    def recognise_rules(self) -> tuple[str, ...]:
        return tuple(self.phase.position) + tuple(self.phase.recognise_when)

    def build(self, spec: ExerciseSpec, factory: MeasureFactory) -> None:
        closure = set(self.measure_names)
        built: dict[str, Any] = {}
        # build, then pull in dependencies until closed
        pending = list(closure)
        while pending:
            n = pending.pop()
            if n in built:
                continue
            m = factory(n, spec.measures[n], self.measure_side)
            built[n] = m
            for d in getattr(m, "depends_on", ()):
                if d not in built:
                    closure.add(d)
                    pending.append(d)
        self.measures = [built[n] for n in _needed_measures(spec, closure)]
        self.trackers = {r.id: RuleTracker(r) for r in self.measure_rules}
        if self.phase.recognise_s is not None:
            # to tell, before this step is current, that the person is already doing it: the
            # measures of its recognise rules run ahead, with trackers of their own (the
            # step's start fresh when it is current), and so do the windowed measures (speed,
            # oscillation, rolling: full when it starts; not `change`, whose reference is the
            # step's start); the other per-frame measures wait
            self.recognise_trackers = {rid: RuleTracker(spec.rules[rid]) for rid in self.recognise_rules}
            want = {n for rid in self.recognise_rules for n in (spec.rules[rid].measures or (spec.rules[rid].measure,))}
            want |= {m.name for m in self.measures if getattr(m, "TYPE", "") in _WINDOWED}
            pending = list(want)
            while pending:
                for d in getattr(built[pending.pop()], "depends_on", ()):
                    if d not in want:
                        want.add(d)
                        pending.append(d)
            self.recognise_measures = [m for m in self.measures if m.name in want]
        # rules with only_when after the rules they depend on
        self.ordered_trackers = sorted(self.trackers.items(), key=lambda kv: kv[1].rule.only_when is not None)


# --------------------------------------------------------------------------- engine

def plan_steps(spec: ExerciseSpec) -> list[tuple[PhaseSpec, str | None, str | None]]:
    """The exercise's steps in order: ``(phase, side, side its texts and measures name)``.

    Consecutive per-side phases repeat for each side (``sides.order``); a shared phase of a
    two-sided exercise (e.g. the start position) names the side that comes next, else the
    last one."""
    plan: list[tuple[PhaseSpec, str | None]] = []
    phases = list(spec.phases)
    i = 0
    while i < len(phases):
        if phases[i].per_side and spec.sides:
            j = i
            while j < len(phases) and phases[j].per_side:
                j += 1
            for side in spec.sides:
                plan.extend((p, side) for p in phases[i:j])
            i = j
        else:
            plan.append((phases[i], None))
            i += 1
    out = []
    for k, (phase, side) in enumerate(plan):
        nxt = next((s for _p, s in plan[k:] if s is not None), None)
        prev = next((s for _p, s in reversed(plan[:k]) if s is not None), None)
        out.append((phase, side, side or nxt or prev or (spec.sides[0] if spec.sides else None)))
    return out


class ExerciseEngine:
    """Coaches one exercise from smoothed PoseFrames. Never prints; time = frame timestamps."""

    def __init__(self, spec: ExerciseSpec, lang: str = "en",
                 measure_factory: MeasureFactory | None = None) -> None:
        if lang not in ("nb", "en"):
            raise EngineError(f"lang: unknown language {lang!r}, expecting one of [nb, en]")
        self.spec = spec
        self.lang = lang
        factory = measure_factory or _default_factory(spec)
        self.steps: list[_Step] = []
        for phase, side, measure_side in plan_steps(spec):
            step = _Step(spec, phase, side, len(self.steps), measure_side)
            step.build(spec, factory)
            self.steps.append(step)
        c = spec.coaching
        self.selector = CueSelector(c.global_cooldown_s, c.repeat_s, c.max_repeats)
        self._i = 0
        self._started = False
        self.done = False
        self._last_t: float | None = None
        self._first_t: float | None = None
        self._oneshots: list[Candidate] = []
        self._spoken_rules: set[str] = set()   # rules with a cue spoken in the current fault episode
        self._no_person_since: float | None = None
        self.cue_counts: dict[str, int] = {}
        self.fault_counts: dict[str, int] = {}
        self.timing_fired: list[tuple[str, str | None]] = []
        self._recognisers = [s for s in self.steps if s.phase.recognise_s is not None]

    # -- helpers --------------------------------------------------------------------
    @property
    def step(self) -> _Step | None:
        return self.steps[self._i] if self._i < len(self.steps) else None

    def _ev(self, t: float, kind: str, step: _Step | None = None, rule: RuleSpec | None = None,
            text: dict[str, str] | None = None, **data: Any) -> Event:
        return Event(t, kind, self.spec.id, step.side if step else None, rule.id if rule else None,
                     rule.severity if rule else None, text, data)

    def _params(self, step: _Step, **extra: Any) -> dict[str, Any]:
        # a step without a side fills {side} and {other_side} with nothing
        side = step.measure_side
        now = {"other_side": _other(side) or "", "achieved_s": step.achieved_s, "reps": step.reps}
        return text_params(step.phase, side or "", **{**now, **extra})

    def _fire_timing(self, t: float, step: _Step, check: str, events: list[Event],
                     oneshot: bool = True, **extra: Any) -> None:
        for rule in step.timing_rules:
            if rule.check != check:
                continue
            text = fill(rule.cue, self._params(step, **extra))
            self.fault_counts[rule.id] = self.fault_counts.get(rule.id, 0) + 1
            self.timing_fired.append((rule.id, step.side))
            events.append(self._ev(t, "fault", step, rule, text, check=check, **extra))
            if oneshot:
                self._oneshots.append(Candidate(
                    key=rule.id, kind="cue", rank=rule.rank, onset_ms=t, text=text, rule_id=rule.id,
                    severity=rule.severity, data={"check": check, **extra},
                    expires_ms=t + self.spec.coaching.oneshot_ttl_s * 1000.0,
                    step_side=step.side, own_side=True))
            else:
                self.cue_counts[rule.id] = self.cue_counts.get(rule.id, 0) + 1
                events.append(self._ev(t, "cue", step, rule, text, check=check, **extra))

    # -- public API -----------------------------------------------------------------
    def update(self, frame: PoseFrame) -> list[Event]:
        """Feed one (smoothed) frame; returns the events it caused (often none)."""
        if self.done:
            return []
        t = float(frame.timestamp_ms)
        if self._last_t is not None and not t >= self._last_t:
            return []  # out of order (or NaN) timestamps are ignored
        dt_s = 0.0 if self._last_t is None else min((t - self._last_t) / 1000.0, _DT_CAP_S)
        self._last_t = t
        events: list[Event] = []
        if not self._started:
            self._started = True
            self._first_t = t
            events.append(self._ev(t, "exercise", None, None,
                                   fill(ENGINE_TEXT["exercise_start"], {"name": self.spec.names}),
                                   state="start"))
            self._enter_step(t, events)
        step = self.step
        if step is None:
            return events

        # measures -> values -> rule trackers
        detected = frame.detected
        values: dict[str, float] = {}
        if detected:
            self._no_person_since = None
            for m in step.measures:
                values[m.name] = float(m.update(frame, values))
        elif self._no_person_since is None:
            self._no_person_since = t
        # a hold that has not started yet (moving into the position), is complete, or that the
        # person is leaving (out of the position): form rules other than the position wait
        # (set-up, safety and pace do not)
        hold_quiet = step.phase.kind == "hold" and (step.hold_state in ("waiting", "done")
                                                    or step.out_since_ms is not None)
        for rid, tr in step.ordered_trackers:
            v = _rule_value(tr.rule, values, step.side)
            cond = tr.rule.only_when
            if (hold_quiet and tr.rule.severity == "form" and rid not in step.phase.position) or \
                    (cond is not None and step.trackers[cond].state != OK):
                tr.value = v
                if tr.state != OK:
                    if tr.state == FAULT:
                        events.append(self._ev(t, "fault_cleared", step, tr.rule, None, value=v))
                        self.selector.end_episode(rid)
                        self._spoken_rules.discard(rid)
                    tr.state = OK
                continue
            if tr.baseline is None:
                # relative rule: learn the value over the first baseline_s of the hold, say nothing yet
                tr.value = v
                if step.hold_started_ms is not None and v == v:
                    if t - step.hold_started_ms < (tr.rule.baseline_s or 0) * 1000.0:
                        tr._base_sum += v
                        tr._base_n += 1
                    elif tr._base_n:
                        tr.baseline = tr._base_sum / tr._base_n
                continue
            change = tr.update(t, v - tr.baseline)
            if change == "fault":
                self.fault_counts[rid] = self.fault_counts.get(rid, 0) + 1
                events.append(self._ev(t, "fault", step, tr.rule, fill(tr.rule.cue, self._params(step)),
                                       value=tr.value, min=tr.rule.min, max=tr.rule.max))
                self._oneshots = [c for c in self._oneshots if not (c.kind == "praise" and c.rule_id == rid)]
            elif change == "cleared":
                events.append(self._ev(t, "fault_cleared", step, tr.rule, None, value=tr.value))
                self.selector.end_episode(rid)
                said_lately = t - self.selector.last_by_key.get(rid, -math.inf) < self.selector.repeat_ms
                queued = any(o.key == rid for o in self._oneshots)
                if tr.rule.severity == "pace" and rid not in self._spoken_rules and not said_lately and not queued:
                    # a burst of speed is over before it could be said: still worth saying once
                    # (once per movement: not again for a second burst just after it was said)
                    self._oneshots.append(Candidate(
                        key=rid, kind="cue", rank=tr.rule.rank, onset_ms=tr.onset_ms,
                        text=fill(tr.rule.cue, self._params(step)), rule_id=rid, severity=tr.rule.severity,
                        expires_ms=t + self.spec.coaching.oneshot_ttl_s * 1000.0,
                    step_side=step.side, own_side=True))
                if rid in self._spoken_rules:
                    self._spoken_rules.discard(rid)
                    if tr.rule.praise:
                        self._oneshots.append(Candidate(
                            key="praise:" + rid, kind="praise", rank=PRAISE_RANK, onset_ms=t,
                            text=fill(tr.rule.praise, self._params(step)), rule_id=rid,
                            severity=tr.rule.severity,
                            expires_ms=t + self.spec.coaching.praise_ttl_s * 1000.0))

        if self._recognisers and detected and self._recognise(t, frame, step, events):
            self._select_cue(t, frame, events)
            return events

        # phase logic
        kind = step.phase.kind
        if kind == "setup":
            self._run_setup(t, step, events)
        elif kind == "hold":
            self._run_hold(t, dt_s, step, events)
        elif kind == "reps":
            self._run_reps(t, step, values, events)
        elif kind == "rest":
            if step.started_ms is not None and t - step.started_ms >= (step.phase.duration_s or 0) * 1000.0:
                self._complete_step(t, step, events)

        # cue selection (on the step now current)
        self._select_cue(t, frame, events)
        return events

    def finish(self, timestamp_ms: float) -> list[Event]:
        """End of the clip or session: report what is missing, then the exercise summary."""
        if self.done:
            return []
        t = float(timestamp_ms)
        if self._last_t is not None:
            t = max(t, self._last_t)
        events: list[Event] = []
        if not self._started:
            self._started = True
            self._first_t = t
        step = self.step
        if step is not None and step.started_ms is not None:
            if step.phase.kind == "hold" and step.hold_started_ms is not None and not step.short_fired \
                    and step.in_position_s < (step.phase.min_s or 0) - 1e-6:
                step.short_fired = True
                self._fire_timing(t, step, "hold_short", events, oneshot=False, achieved_s=step.achieved_s,
                                  held_s=round(step.in_position_s, 1))
            if step.phase.kind == "reps" and step.reps < (step.phase.min_reps or 0):
                self._fire_timing(t, step, "reps_range", events, oneshot=False)
        self._sides_skipped(t, events)
        cur = self.step
        if cur is not None and cur.index == len(self.steps) - 1 and cur.started_ms is not None and (
                (cur.phase.kind == "reps" and cur.reps >= (cur.phase.min_reps or cur.phase.target_reps or 0))
                or (cur.phase.kind == "hold" and cur.achieved_s >= (cur.phase.min_s or 0) - 1e-6)):
            cur.completed = True   # the last phase had done its minimum when the clip ended
            self._i += 1
        completed = self.step is None
        key = "exercise_done" if completed else "exercise_stopped"
        events.append(self._ev(t, "exercise", None, None, fill(ENGINE_TEXT[key], {"name": self.spec.names}),
                               state="done" if completed else "stopped", summary=self.summary()))
        self.done = True
        return events

    def _sides_skipped(self, t: float, events: list[Event]) -> None:
        """At the end: "remember the other side" for each side never tried (a side done with
        faults was still done; a side the person went straight past, e.g. to the both-knees
        part, is reminded of too)."""
        for side in self.spec.sides:
            side_steps = [s for s in self.steps if s.side == side and s.phase.kind in ("hold", "reps")]
            if side_steps and not any(s.attempted for s in side_steps):
                self._fire_timing(t, side_steps[0], "side_skipped", events, oneshot=False)

    def snapshot(self) -> EngineState:
        step = self.step
        rules: list[RuleStatus] = []
        if step is not None:
            for r in step.measure_rules:
                tr = step.trackers[r.id]
                rules.append(RuleStatus(r.id, r.severity, tr.state, tr.value, r.min, r.max, r.unit))
        ph = step.phase if step else None
        cue = self.selector.current_text.get(self.lang) if self.selector.current_text else None
        return EngineState(
            exercise_id=self.spec.id, phase_id=ph.id if ph else None, phase_kind=ph.kind if ph else None,
            side=step.side if step else None, step=self._i, n_steps=len(self.steps),
            hold_s=step.achieved_s if ph is not None and ph.kind == "hold" else None,
            hold_target_s=ph.target_s if ph is not None and ph.kind == "hold" else None,
            hold_state=step.hold_state if ph is not None and ph.kind == "hold" else None,
            reps=step.reps if ph is not None and ph.kind == "reps" else None,
            reps_target=ph.target_reps if ph is not None and ph.kind == "reps" else None,
            rules=rules, cue=cue, done=self.done or step is None,
        )

    def summary(self) -> dict[str, Any]:
        holds: dict[str, dict[str, float]] = {}
        reps: dict[str, dict[str, int]] = {}
        for s in self.steps:
            key = s.side or "-"
            if s.phase.kind == "hold":
                holds.setdefault(s.phase.id, {})[key] = round(s.achieved_s, 2)
            elif s.phase.kind == "reps":
                reps.setdefault(s.phase.id, {})[key] = s.reps
        dur = 0.0 if self._first_t is None or self._last_t is None else (self._last_t - self._first_t) / 1000.0
        return {
            "exercise_id": self.spec.id, "completed": self.step is None,
            "steps_done": sum(1 for s in self.steps if s.completed), "steps": len(self.steps),
            "steps_skipped": [f"{s.phase.id}:{s.side}" if s.side else s.phase.id for s in self.steps if s.skipped],
            "holds_s": holds, "reps": reps, "cues": dict(self.cue_counts),
            "faults": dict(self.fault_counts), "duration_s": round(dur, 2),
        }

    # -- following the person ahead ---------------------------------------------------
    def _recognise(self, t: float, frame: PoseFrame, current: _Step, events: list[Event]) -> bool:
        """Is the person already doing a later step (e.g. rocking with both knees while the
        coach waits for one knee)? After ``recognise_s`` of it, go there. True if it jumped."""
        for target in self._recognisers:
            if target.index <= current.index or target.phase is current.phase:
                continue   # only later phases (the other side of this one is not "ahead")
            values: dict[str, float] = {}
            for m in target.recognise_measures:
                values[m.name] = float(m.update(frame, values))
            ok = True
            for rid, tr in target.recognise_trackers.items():
                v = _rule_value(tr.rule, values, target.side)
                tr.update(t, v)
                ok = ok and v == v and tr.state == OK
            if not ok:
                target.recognise_since_ms = None
                continue
            if target.recognise_since_ms is None:
                target.recognise_since_ms = t
            if t - target.recognise_since_ms >= (target.phase.recognise_s or 0.0) * 1000.0:
                self._jump(t, current, target, events)
                return True
        return False

    def _jump(self, t: float, current: _Step, target: _Step, events: list[Event]) -> None:
        """The person went straight on to ``target``: the steps before it are skipped (the
        summary lists them; no "hold too short" for them; a side never tried is still
        reminded of at the end)."""
        began = target.recognise_since_ms if target.recognise_since_ms is not None else t
        for s in self.steps[current.index:target.index]:
            s.skipped = True
            if s.hold_started_ms is None or began - s.hold_started_ms < _TRIED_S * 1000.0:
                s.attempted = False   # its "hold" was the later position (both knees in looked like one)
        events.append(self._ev(t, "phase", current, None, None, phase=current.phase.id,
                               phase_kind=current.phase.kind, state="skipped", to=target.phase.id))
        for rid in current.trackers:
            self.selector.end_episode(rid)
            self._spoken_rules.discard(rid)
        self._oneshots = [c for c in self._oneshots if c.kind != "praise"]
        self._i = target.index
        self._enter_step(t, events)
        if target.phase.kind == "hold":
            # they have been in the position since it was recognised: that time counts
            since = target.recognise_since_ms if target.recognise_since_ms is not None else t
            target.hold_state = "holding"
            target.attempted = True
            target.hold_started_ms = since
            target.achieved_s = target.in_position_s = (t - since) / 1000.0
            events.append(self._ev(t, "hold", target, None, None, state="started",
                                   target_s=target.phase.target_s, recognised=True))

    # -- phases ---------------------------------------------------------------------
    def _enter_step(self, t: float, events: list[Event]) -> None:
        step = self.step
        if step is None:
            return
        step.started_ms = t
        p = step.phase
        text = fill(p.cue, self._params(step)) if p.cue else None
        if p.kind == "rest" and text is None:
            text = fill(ENGINE_TEXT["rest"], {"duration_s": p.duration_s})
        events.append(self._ev(t, "phase", step, None, text, phase=p.id, phase_kind=p.kind, state="start"))
        if text:
            self.selector.note_spoken(t)

    def _complete_step(self, t: float, step: _Step, events: list[Event], timed_out: bool = False) -> None:
        step.completed = True
        extra = {"timed_out": True} if timed_out else {}
        events.append(self._ev(t, "phase", step, None, None, phase=step.phase.id, phase_kind=step.phase.kind,
                               state="end", hold_s=step.achieved_s if step.phase.kind == "hold" else None,
                               reps=step.reps if step.phase.kind == "reps" else None, **extra))
        # rules of the finished step no longer hold the floor
        for rid in step.trackers:
            self.selector.end_episode(rid)
            self._spoken_rules.discard(rid)
        self._oneshots = [c for c in self._oneshots if c.kind != "praise"]
        self._i += 1
        nxt = self.step
        if nxt is None:
            self._sides_skipped(t, events)
            events.append(self._ev(t, "exercise", None, None,
                                   fill(ENGINE_TEXT["exercise_done"], {"name": self.spec.names}),
                                   state="done", summary=self.summary()))
            self.done = True
            return
        if nxt.side is not None and step.side is not None and nxt.side != step.side and self.spec.switch_cue:
            events.append(self._ev(t, "side", nxt, None, fill(self.spec.switch_cue, self._params(nxt)),
                                   side_from=step.side, side_to=nxt.side))
            self.selector.note_spoken(t)
        self._enter_step(t, events)

    def _run_setup(self, t: float, step: _Step, events: list[Event]) -> None:
        all_ok = all(tr.state == OK for tr in step.trackers.values())
        timeout = step.phase.timeout_s
        if timeout is not None and step.started_ms is not None and t - step.started_ms >= timeout * 1000.0:
            # the person has started anyway: follow them (rules that apply later keep correcting)
            self._complete_step(t, step, events, timed_out=True)
            return
        if not all_ok:
            step.ok_since_ms = None
            return
        if step.ok_since_ms is None:
            step.ok_since_ms = t
        if t - step.ok_since_ms >= step.phase.stable_s * 1000.0:
            self._complete_step(t, step, events)

    def _run_hold(self, t: float, dt_s: float, step: _Step, events: list[Event]) -> None:
        p = step.phase
        pos = [step.trackers[r] for r in p.position]
        if any(tr.state == CANT_SEE for tr in pos):
            where = "unknown"
        elif all(tr.state == OK for tr in pos):
            where = "in"
        else:
            where = "out"
        blocker = None
        for tr in step.trackers.values():
            # a fault pauses the clock; "can't see" does not (far-side landmarks are often
            # hidden), except for the position rules above (unknown position = paused)
            if tr.rule.pauses_hold and tr.rule.id not in p.position and tr.state == FAULT:
                if blocker is None or tr.rule.rank < blocker.rule.rank:
                    blocker = tr
        if step.hold_state == "waiting":
            if not step.attempted:
                self._track_progress(t, step, pos)
            if where != "in":
                step.ok_since_ms = None
                return
            if step.ok_since_ms is None:
                step.ok_since_ms = t
            if t - step.ok_since_ms < p.settle_s * 1000.0:
                return   # in position, settling before the clock starts
            # the hold has begun: its length (for "too short"/"too long") counts from here,
            # even if a fault keeps the clock paused
            step.hold_started_ms = t
            step.attempted = True
            if blocker is None:
                step.hold_state = "holding"
                events.append(self._ev(t, "hold", step, None, fill(ENGINE_TEXT["hold_started"], self._params(step)),
                                       state="started", target_s=p.target_s))
                self.selector.note_spoken(t)
            else:
                events.append(self._ev(t, "hold", step, None, None, state="started", target_s=p.target_s))
                step.hold_state = "paused"
                self._paused_event(t, step, blocker, events)
            return
        # holding / paused / done: release?
        if where == "out":
            if step.out_since_ms is None:
                step.out_since_ms = t
            if t - step.out_since_ms >= p.release_s * 1000.0:
                if step.in_position_s < (p.min_s or 0) - 1e-6 and not step.short_fired:
                    # said now, before "now the other side": it is about the hold just ended
                    step.short_fired = True
                    self._fire_timing(t, step, "hold_short", events, oneshot=False,
                                      achieved_s=step.achieved_s, held_s=round(step.in_position_s, 1))
                    self.selector.note_spoken(t)
                events.append(self._ev(t, "hold", step, None,
                                       fill(ENGINE_TEXT["hold_released"], {"achieved_s": step.achieved_s}),
                                       state="released", achieved_s=step.achieved_s,
                                       held_s=step.in_position_s))
                self._complete_step(t, step, events)
                return
        else:
            step.out_since_ms = None
            if where == "in":
                step.in_position_s += dt_s
        # too long: time in the position since the hold started
        if p.max_s is not None and not step.long_fired and where != "out" and step.hold_started_ms is not None \
                and t - step.hold_started_ms > p.max_s * 1000.0:
            step.long_fired = True
            self._fire_timing(t, step, "hold_long", events, achieved_s=step.achieved_s)
        if step.hold_state == "done":
            return
        running = where == "in" and blocker is None
        if running:
            if step.hold_state == "paused":
                step.hold_state = "holding"
                events.append(self._ev(t, "hold", step, None, fill(ENGINE_TEXT["hold_resumed"], {}),
                                       state="resumed", hold_s=step.achieved_s))
            step.achieved_s += dt_s
            left = (p.target_s or 0) - step.achieved_s - 1e-6
            while step.countdown_left and left <= step.countdown_left[0]:
                left_s = step.countdown_left.pop(0)
                if left > 0:
                    text = fill(ENGINE_TEXT["countdown"], {"left_s": left_s})
                    events.append(self._ev(t, "hold", step, None, text, state="countdown", left_s=left_s))
            if step.achieved_s >= (p.target_s or 0) - 1e-6:
                step.hold_state = "done"
                events.append(self._ev(t, "hold", step, None, fill(ENGINE_TEXT["hold_done"], {}),
                                       state="done", achieved_s=step.achieved_s))
                self.selector.note_spoken(t)
        elif step.hold_state == "holding":
            step.hold_state = "paused"
            if blocker is None and where == "out" and step.achieved_s >= (p.min_s or 0):
                return  # leaving the position after a full hold: no "paused" message
            self._paused_event(t, step, blocker, events)

    @staticmethod
    def _track_progress(t: float, step: _Step, pos: list[RuleTracker]) -> None:
        """A side the person tried but never got right is not a skipped side: it counts as
        attempted once a position rule has come at least half way to its bound, from the
        farthest it has been during the step, for a second. The first seconds of a step are
        not judged: the person is still coming back from the previous one."""
        if step.started_ms is None or t - step.started_ms < _SWITCH_S * 1000.0:
            return
        moved = False
        for tr in pos:
            v = tr.value
            if v != v:
                continue
            far = step.start_values.get(tr.rule.id)
            if v > tr._hi:
                far = v if far is None or (far > tr._hi and v > far) or far < tr._lo else far
            elif v < tr._lo:
                far = v if far is None or (far < tr._lo and v < far) or far > tr._hi else far
            if far is None:
                continue   # inside so far: says nothing about moving
            step.start_values[tr.rule.id] = far
            if far > tr._hi:
                frac = (far - v) / (far - tr._hi)
            elif far < tr._lo:
                frac = (v - far) / (tr._lo - far)
            else:
                continue
            moved = moved or frac >= 0.5
        if not moved:
            step.moving_since_ms = None
        elif step.moving_since_ms is None:
            step.moving_since_ms = t
        elif t - step.moving_since_ms >= 1000.0:
            step.attempted = True

    def _paused_event(self, t: float, step: _Step, blocker: RuleTracker | None, events: list[Event]) -> None:
        if blocker is not None:
            reason = fill(blocker.rule.cue, self._params(step)) if blocker.state == FAULT else \
                self._cant_see_text(blocker, None)
            rid = blocker.rule.id
        else:
            reason = ENGINE_TEXT["back_into_position"]
            rid = None
        text = {lang: ENGINE_TEXT["hold_paused"][lang].replace("{reason}", _lower_first(reason[lang]))
                for lang in ("nb", "en")}
        events.append(self._ev(t, "hold", step, None, text, state="paused", reason=rid, hold_s=step.achieved_s))

    def _run_reps(self, t: float, step: _Step, values: Mapping[str, float], events: list[Event]) -> None:
        p = step.phase
        v = values.get(p.measure or "", math.nan)
        if v == v:
            up = p.direction == "up"
            if not step.high:
                if (v >= p.enter) if up else (v <= p.enter):
                    step.high = True
                    step.high_since_ms = t
            elif (v <= p.exit) if up else (v >= p.exit):
                step.high = False
                peak_s = (t - step.high_since_ms) / 1000.0
                if step.last_rep_ms is None or t - step.last_rep_ms >= p.min_period_s * 1000.0:
                    period_s = None if step.last_rep_ms is None else (t - step.last_rep_ms) / 1000.0
                    step.last_rep_ms = t
                    step.reps += 1
                    step.attempted = True
                    events.append(self._ev(t, "rep", step, None, fill(ENGINE_TEXT["rep"], {"reps": step.reps}),
                                           reps=step.reps, peak_s=peak_s, period_s=period_s))
                    if p.peak_min_s is not None and peak_s < p.peak_min_s:
                        self._fire_timing(t, step, "hold_short", events, achieved_s=peak_s)
                    for rule in step.timing_rules:
                        if rule.check == "rep_period" and period_s is not None and period_s < (rule.min_s or 0):
                            self._fire_timing_rule(t, step, rule, events, period_s=period_s)
                    if p.max_reps is not None and step.reps > p.max_reps:
                        self._fire_timing(t, step, "reps_range", events)
                    if step.reps == p.target_reps:
                        events.append(self._ev(t, "rep", step, None,
                                               fill(ENGINE_TEXT["reps_target"], {"reps": step.reps}),
                                               reps=step.reps, state="target"))
        since = step.last_rep_ms if step.last_rep_ms is not None else step.started_ms
        idle = since is not None and t - since >= p.idle_end_s * 1000.0 and not step.high
        if idle:
            need = p.min_reps if p.min_reps is not None else p.target_reps or 0
            if step.reps >= need:
                self._complete_step(t, step, events)
            elif step.reps > 0 and step.idle_fired_at != step.reps:
                step.idle_fired_at = step.reps
                self._fire_timing(t, step, "reps_range", events)

    def _fire_timing_rule(self, t: float, step: _Step, rule: RuleSpec, events: list[Event], **extra: Any) -> None:
        text = fill(rule.cue, self._params(step, **extra))
        self.fault_counts[rule.id] = self.fault_counts.get(rule.id, 0) + 1
        self.timing_fired.append((rule.id, step.side))
        events.append(self._ev(t, "fault", step, rule, text, check=rule.check, **extra))
        self._oneshots.append(Candidate(key=rule.id, kind="cue", rank=rule.rank, onset_ms=t, text=text,
                                        rule_id=rule.id, severity=rule.severity, data={"check": rule.check, **extra},
                                        expires_ms=t + self.spec.coaching.oneshot_ttl_s * 1000.0,
                    step_side=step.side, own_side=True))

    # -- cues -----------------------------------------------------------------------
    def _cant_see_text(self, tr: RuleTracker, frame: PoseFrame | None) -> dict[str, str]:
        if tr.rule.body_part:
            return fill(ENGINE_TEXT["cant_see_part"], {"part": tr.rule.body_part})
        idx = self._hidden_landmark(tr.rule.measure, frame)
        if idx is None:
            return dict(ENGINE_TEXT["cant_see_body"])
        return fill(ENGINE_TEXT["cant_see_part"], {"part": {l: body_part_name(idx, l) for l in ("nb", "en")}})

    def _hidden_landmark(self, measure_name: str | None, frame: PoseFrame | None) -> int | None:
        step = self.step
        if step is None or measure_name is None:
            return None
        m = next((m for m in step.measures if m.name == measure_name), None)
        lms = tuple(getattr(m, "landmarks", ()) or ())
        if not lms:
            return None
        if frame is None or not frame.detected:
            return lms[0]
        vis = frame.landmarks[list(lms), VIS]
        vis = np.where(np.isfinite(vis), vis, -1.0)
        k = int(np.argmin(vis))
        return lms[k] if vis[k] < _VIS_MIN else lms[0]

    def _select_cue(self, t: float, frame: PoseFrame, events: list[Event]) -> None:
        step = self.step
        c = self.spec.coaching
        cands: list[Candidate] = []
        if self._no_person_since is not None:
            if t - self._no_person_since >= c.cant_see_s * 1000.0:
                cands.append(Candidate("cant_see:body", "cant_see", SEVERITY_RANK["setup"], self._no_person_since,
                                       dict(ENGINE_TEXT["cant_see_body"])))
        elif step is not None:
            cant = None
            in_hold = step.phase.kind == "hold"
            quiet = in_hold and (step.hold_state in ("waiting", "done") or step.out_since_ms is not None)
            for tr in step.trackers.values():
                if quiet and tr.rule.severity == "form" and \
                        not (step.hold_state == "waiting" and tr.rule.id in step.phase.position):
                    # moving into the position (only the position itself is coached) or out of a
                    # completed hold: no form nagging
                    continue
                if tr.state == FAULT:
                    cands.append(Candidate(tr.rule.id, "cue", tr.rule.rank, tr.onset_ms, tr.rule.cue,
                                           tr.rule.id, tr.rule.severity))
                elif tr.state == CANT_SEE and t - tr.nan_since_ms >= c.cant_see_s * 1000.0:
                    if cant is None or tr.nan_since_ms < cant.nan_since_ms:
                        cant = tr
            if cant is not None:
                idx = self._hidden_landmark(cant.rule.measure, frame)
                key = "cant_see:" + (Landmark(idx).key if idx is not None else "body")
                cands.append(Candidate(key, "cant_see", SEVERITY_RANK["setup"], cant.nan_since_ms,
                                       self._cant_see_text(cant, frame), cant.rule.id, "setup"))
        if self._oneshots:
            self._oneshots = [o for o in self._oneshots if o.expires_ms > t]
            cands.extend(self._oneshots)
        if not cands:
            return
        chosen = self.selector.choose(t, cands)
        if chosen is None:
            return
        if chosen.expires_ms != math.inf:
            self._oneshots = [o for o in self._oneshots if o is not chosen]
        if chosen.kind == "cue" and chosen.rule_id is not None:
            self.cue_counts[chosen.rule_id] = self.cue_counts.get(chosen.rule_id, 0) + 1
            if chosen.expires_ms == math.inf:
                self._spoken_rules.add(chosen.rule_id)
        text = chosen.text
        if step is not None and chosen.kind == "cue" and chosen.expires_ms == math.inf:
            text = fill(text, self._params(step))
            self.selector.current_text = text
        side = chosen.step_side if chosen.own_side else (step.side if step else None)
        events.append(Event(t, chosen.kind, self.spec.id, side, chosen.rule_id,
                            chosen.severity, text, dict(chosen.data)))


def _rule_value(rule: RuleSpec, values: Mapping[str, float], side: str | None) -> float:
    """The value a rule judges: its measure (the worst of several), sign-mirrored on one side."""
    nan = math.nan
    if len(rule.measures) > 1:
        v = _worst(rule, [values.get(n, nan) for n in rule.measures])
    else:
        v = values.get(rule.measure, nan)
    if rule.mirror_on_side is not None and rule.mirror_on_side == side:
        v = -v
    return v


def _worst(rule: RuleSpec, vals: list[float]) -> float:
    """Of several measures (e.g. left and right elbow), the value farthest outside the bounds."""
    seen = [v for v in vals if v == v]
    if not seen:
        return math.nan

    def badness(v: float) -> float:
        b = -math.inf
        if rule.max is not None:
            b = max(b, v - rule.max)
        if rule.min is not None:
            b = max(b, rule.min - v)
        return b

    return max(seen, key=badness)


def _other(side: str | None) -> str | None:
    return {"left": "right", "right": "left"}.get(side or "")


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s else s


# --------------------------------------------------------------------------- measure table

def measure_table(spec: ExerciseSpec, frames: Iterable[PoseFrame], side: str | None = None,
                  measure_factory: MeasureFactory | None = None) -> tuple[list[str], list[list[Any]]]:
    """Every measure's value per frame (``""`` = can't see), for ``coach measure`` CSV.

    ``side`` defaults to the spec's first side (moving_X / other_X resolve from it).
    """
    factory = measure_factory or _default_factory(spec)
    if side is None and spec.sides:
        side = spec.sides[0]
    ms = [factory(n, spec.measures[n], side) for n in spec.measure_order]
    header = ["timestamp_ms"] + [f"{m.name} [{m.unit}]" for m in ms]
    rows: list[list[Any]] = []
    for frame in frames:
        values: dict[str, float] = {}
        row: list[Any] = [float(frame.timestamp_ms)]
        for m in ms:
            v = float(m.update(frame, values)) if frame.detected else math.nan
            values[m.name] = v
            row.append("" if v != v else round(v, 4))
        rows.append(row)
    return header, rows
