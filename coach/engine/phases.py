"""The steps of an exercise: one phase on one side, one state class per phase kind.

    steps = build_steps(spec, factory)       # the spec's phases unrolled over the sides
    step.update(host, t_ms, dt_s, values)    # after its rules were judged this frame

:class:`Step` holds what every kind shares: the phase, its side, its measures and rule
trackers, and whether the person tried it. :class:`SetupStep`, :class:`HoldStep`,
:class:`RepsStep` and :class:`RestStep` add only their own state. A step changes the
exercise only through its :class:`Host` (the engine): events, timing checks, "this step
is complete".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from coach.engine.cues import CueBoard, cant_see_text
from coach.engine.events import Event
from coach.engine.rules import CANT_SEE, FAULT, NO_RULES, OK, WARNING, RuleTracker, rule_value
from coach.engine.texts import ENGINE_TEXT, fill, text_params
from coach.engine.turning import Turn, TurningPoints
from coach.measures.base import seen_of_deps
from coach.measures.points import view_of
from coach.pose import PoseFrame
from coach.spec import ExerciseSpec, PhaseSpec, RuleSpec, TimingSpec
from coach.vocab import OTHER_SIDE

MeasureFactory = Callable[[str, Mapping[str, Any], "str | None"], Any]


def build_measures(spec: ExerciseSpec, names: Iterable[str], side: str | None,
                   factory: MeasureFactory) -> list[Any]:
    """The measures ``names`` and what they depend on, built for ``side``, in the spec's
    evaluation order (a measure comes after those it reads)."""
    built: dict[str, Any] = {}
    pending = list(names)
    while pending:
        n = pending.pop()
        if n in built:
            continue
        built[n] = factory(n, spec.measures[n], side)
        pending.extend(d for d in getattr(built[n], "depends_on", ()) if d not in built)
    return [built[n] for n in spec.measure_order if n in built]


def measure_all(measures: Iterable[Any], frame: PoseFrame) -> dict[str, float]:
    """One frame through ``measures`` (in order: a derived one reads the values before it)."""
    values: dict[str, float] = {}
    for m in measures:
        values[m.name] = float(m.update(frame, values))
    return values


def all_in(trackers: Iterable[RuleTracker], values: Mapping[str, float], side: str | None, t: float) -> bool:
    """Update each tracker with this frame's value: are they all seen and OK?"""
    ok = True
    for tr in trackers:
        v = rule_value(tr.rule, values, side)
        tr.update(t, v)
        ok = ok and v == v and tr.state == OK
    return ok

# measures that keep a window of past values: a step that may be recognised ahead of time
# runs them ahead, so they are full when it starts
_WINDOWED = ("speed", "oscillation_amplitude", "oscillation_period", "rolling")


class Host(Protocol):
    """What a step may do to the exercise (the engine implements it)."""

    board: CueBoard
    timing: TimingSpec

    def emit(self, t: float, kind: str, step: Step | None = None, rule: RuleSpec | None = None,
             text: dict[str, str] | None = None, **data: Any) -> Event: ...

    def fire_timing(self, t: float, step: Step, check: str, oneshot: bool = True, **extra: Any) -> None: ...

    def fire_rule(self, t: float, step: Step, rule: RuleSpec, oneshot: bool = True, **extra: Any) -> None: ...

    def complete(self, t: float, step: Step, timed_out: bool = False) -> None: ...


# --------------------------------------------------------------------------- the shared base

class Step:
    """One phase on one side: its measures, rule trackers and whether the person did it."""

    kind = ""

    def __init__(self, spec: ExerciseSpec, phase: PhaseSpec, side: str | None, index: int,
                 measure_side: str | None = None) -> None:
        self.phase = phase
        self.side = side
        # side the measures resolve moving_/other_ from: a shared phase of a two-sided
        # exercise (e.g. the start position) uses the side that comes next
        self.measure_side = side if side is not None else measure_side
        self.index = index
        self.rules = spec.rules_for(phase)
        self.measure_rules = [r for r in self.rules if r.kind == "measure"]
        self.timing_rules = [r for r in self.rules if r.kind == "timing"]
        names = {n for r in self.measure_rules for n in (r.measures or (r.measure,))}
        if phase.measure:
            names.add(phase.measure)
        self.measure_names = names
        self.measures: list[Any] = []
        self._plan: tuple[list[Any], list[tuple[Any, str, tuple, tuple]]] | None = None  # measure() reads these
        self.seen: dict[str, float] = {}   # measure -> lowest visibility of its points this frame
        self.trackers: dict[str, RuleTracker] = {}
        self.ordered_trackers: list[tuple[str, RuleTracker]] = []
        self.started_ms: float | None = None
        self.attempted = False        # the person got into this step's position / did a rep
        self.skipped = False          # the person went straight on to a later step
        self.completed = False
        # set by the engine: the person is already doing a later step (its side_from says a
        # side: the knee came up toward the chest; or they are in its position, not yet for
        # its recognise_s) -- this step's rules that step does not judge ("legs straight",
        # "let your other foot rest") are not said to someone who has moved on
        self.under_way: frozenset[str] = NO_RULES
        self.after_other_side = False   # set by the engine: entered right after the other side's step

    def build(self, spec: ExerciseSpec, factory: MeasureFactory) -> dict[str, Any]:
        """Build the measures (with their dependencies) and the rule trackers."""
        self.measures = build_measures(spec, self.measure_names, self.measure_side, factory)
        built = {m.name: m for m in self.measures}
        position = set(getattr(self.phase, "position", ()) or ())
        self.trackers = {r.id: RuleTracker(r, position=r.id in position) for r in self.measure_rules}
        # rules with only_when after the rules they depend on
        self.ordered_trackers = sorted(self.trackers.items(), key=lambda kv: kv[1].rule.only_when is not None)
        return built

    # -- what the engine asks every step ------------------------------------------------
    def measure(self, frame: PoseFrame) -> dict[str, float]:
        values: dict[str, float] = {}
        self.seen = seen_now = {}
        plan = self._plan
        if plan is None or plan[0] is not self.measures:
            plan = self._plan = (self.measures, [(m, m.name, getattr(m, "refs", ()), getattr(m, "depends_on", ()))
                                                 for m in self.measures])
        view = view_of(frame)
        for m, name, refs, deps in plan[1]:   # (measures.seen, with the lookups done once)
            values[name] = float(m.update(frame, values))
            seen_now[name] = view.lowest_vis(refs) if refs else seen_of_deps(deps, seen_now)
        return values

    def params(self, **extra: Any) -> dict[str, Any]:
        """What this step's texts are filled with (a step without a side: no side words)."""
        side = self.measure_side
        now = {"other_side": OTHER_SIDE.get(side or "") or "", **self.progress(), **extra}
        return text_params(self.phase, side or "", **now)

    def progress(self) -> dict[str, Any]:
        """The values of the moment a text may name: seconds held, reps so far."""
        return {"achieved_s": 0.0, "reps": 0}

    def baseline_window_ms(self) -> float | None:
        """When relative rules start learning their baseline (None: not yet)."""
        return None

    def unjudged(self) -> frozenset[str]:
        """Rules not judged this frame (back to OK, no cue)."""
        return NO_RULES

    def cues_muted(self) -> frozenset[str]:
        """Rules whose faults are not said this frame."""
        return NO_RULES

    def enter(self, t: float) -> None:
        self.started_ms = t

    def update(self, host: Host, t: float, dt_s: float, values: Mapping[str, float]) -> None:
        """This frame's phase logic, after the rules were judged."""

    def finish(self, host: Host, t: float) -> None:
        """The exercise ends during this step: report what is missing."""

    def did_minimum(self) -> bool:
        """Enough done that ending here completes the step."""
        return False

    def mark_skipped(self, began_ms: float, tried_s: float) -> None:
        """The person went straight past this step (to one that began at ``began_ms``)."""
        self.skipped = True
        self.attempted = False


# --------------------------------------------------------------------------- the kinds

class SetupStep(Step):
    """Every rule OK for ``stable_s`` (or ``timeout_s`` passes: the person started anyway)."""

    kind = "setup"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ok_since_ms: float | None = None

    def cues_muted(self) -> frozenset[str]:
        return self.under_way

    def update(self, host: Host, t: float, dt_s: float, values: Mapping[str, float]) -> None:
        all_ok = all(tr.state == OK for tr in self.trackers.values())
        timeout = self.phase.timeout_s
        if timeout is not None and self.started_ms is not None and t - self.started_ms >= timeout * 1000.0:
            # the person has started anyway: follow them (rules that apply later keep correcting)
            host.complete(t, self, timed_out=True)
            return
        if not all_ok:
            self.ok_since_ms = None
            return
        if self.ok_since_ms is None:
            self.ok_since_ms = t
        if t - self.ok_since_ms >= self.phase.stable_s * 1000.0:
            host.complete(t, self)


class SideProbe:
    """One side's position rules (and its ``side_from`` measure), on measures built for that
    side: is the person in this side's position? Runs while a per-side step waits."""

    def __init__(self, spec: ExerciseSpec, phase: PhaseSpec, side: str, factory: MeasureFactory) -> None:
        self.side = side
        rules = [spec.rules[rid] for rid in phase.position]
        self.trackers = {r.id: RuleTracker(r, position=True) for r in rules}
        self.side_from = phase.side_from
        names = [n for r in rules for n in (r.measures or (r.measure,))]
        if self.side_from is not None:
            names.append(self.side_from[0])
        self.measures = build_measures(spec, names, side, factory)

    side_seen = False   # its side_from measure says this side (this frame)

    def reached(self, t: float, frame: PoseFrame) -> bool:
        values = measure_all(self.measures, frame)
        ok = all_in(self.trackers.values(), values, self.side, t)
        if self.side_from is not None:
            self.side_seen = side_says(self.side_from, self.side, values)
            ok = ok and self.side_seen
        return ok


def _moved_by_a_step(trackers: Iterable[RuleTracker], refs: dict[int, float]) -> bool:
    """Has one of these position readings moved by a step (its hysteresis, or half the
    measure's known error if larger) from its value at its last step (kept in ``refs``)?
    Only a rule with a known error: a step of just the hysteresis is a reading's noise. A
    reading not seen is no move."""
    moved = False
    for tr in trackers:
        v = tr.judged_value
        if v != v or tr.rule.error <= 0:
            continue
        ref = refs.get(id(tr))
        if ref is None or abs(v - ref) >= max(tr.rule.hysteresis, 0.5 * tr.rule.error):
            refs[id(tr)] = v
            moved = moved or ref is not None
    return moved


def side_says(side_from: tuple[str, float, str | None], side: str | None, values: Mapping[str, float]) -> bool:
    """Does this frame's ``side_from`` measure (name, least, positive_side) say ``side``?"""
    name, least, positive_side = side_from
    v = values.get(name, math.nan)
    if positive_side is not None and side != positive_side:
        v = -v   # a measure read the same for both sides: its sign names the side
    return v == v and v >= least


def _sided(spec: ExerciseSpec, phase: PhaseSpec, probes: tuple[SideProbe, SideProbe]) -> bool:
    """Do the two sides' probes read differently (their measures look at other landmarks, a
    sign is mirrored on one side, or a side_from measure)? If not, a side's position says
    nothing about which side it is."""
    if phase.side_from is not None or any(spec.rules[rid].mirror_on_side is not None for rid in phase.position):
        return True
    a, b = probes
    if any(getattr(m, "sided", False) for m in a.measures):
        return True
    return [tuple(getattr(m, "landmarks", ())) for m in a.measures] != \
        [tuple(getattr(m, "landmarks", ())) for m in b.measures]


class HoldStep(Step):
    """Waits for the position (``settle_s``), then times the hold while the form is right;
    ends when the person leaves the position for ``release_s`` (before ``target_s``: with
    evidence, out by more than the measure's error). A hold with ``recognise_s``
    can be recognised ahead of time: the person went straight to it."""

    kind = "hold"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.phase
        self.hold_state = "waiting"                  # waiting | holding | paused | done
        self.ok_since_ms: float | None = None        # in position since (settling)
        self.achieved_s = 0.0                        # hold time with the form right
        self.in_position_s = 0.0                     # time in the position since the hold began
        self.settled_s = 0.0                         # in the position before the clock started
        self.hold_started_ms: float | None = None
        self.out_since_ms: float | None = None
        self.hold_level: dict[int, tuple[float, int]] = {}   # per position tracker: sum and count of its values held
        # "Hold paused — get back into the position", said once the position has been left
        # for half of release_s: (when, text), None when nothing waits to be said
        self.pause_say: tuple[float, dict[str, str]] | None = None
        self.countdown_left = sorted(p.countdown_s, reverse=True)
        self.long_fired = False
        self.short_fired = False
        self.start_values: dict[str, float] = {}     # position rules' farthest values from the position
        self.moving_since_ms: float | None = None    # half way (or more) toward the position since
        self.recognise_since_ms: float | None = None
        self.recognise_trackers: dict[str, RuleTracker] = {}
        self.recognise_measures: list[Any] = []
        self.probes: tuple[SideProbe, SideProbe] | None = None   # (this side, the other side)
        self.side_confirmed = False     # its side_from has said this side
        # set by the engine: the same phase's other side was just held. A position both
        # sides share (the lying twist's knee across) is then also what that side looks like
        # on its way back: the clock waits for this side's own side_from as well. Only for a
        # side_from read on each side's own limb (without positive_side): a signed one near
        # 0 says neither side, and the side asked for is timed
        self.own_side_first = False
        self.can_wait_for_own_side = p.side_from is not None and p.side_from[2] is None
        if self.can_wait_for_own_side:
            self.measure_names = self.measure_names | {p.side_from[0]}
        self.probe_since_ms: float | None = None     # the other side's position (or side), not this one's, since
        self.probe_in_since_ms: float | None = None  # the other side's position itself since
        # moving into a position: per position tracker (this side's and, while the side may
        # still change, the other side's) the distance out of its bounds it has come down
        # to, and when it last came closer by a step; the cues wait while it keeps coming
        self.approach: dict[int, float] = {}
        self.approached_ms: float | None = None
        self.leaving: dict[int, float] = {}   # per position tracker: the nearest it has been since its last step away
        self.ever_approached = False    # seen moving toward a position in this step
        self.ever_moved = False         # ... or away from it (a wrong move is a start too)
        self.coming_back = False        # right after the other side's step: still coming back from it
        self.back = False               # ... and has come back (settled once switch_s had passed)
        self._back_refs: dict[int, float] = {}   # per position reading: its value at its last step
        self._moved_ms: float | None = None      # a position reading last moved by a step
        self.idle_wait = False          # not moved since the step began, or come back out of it less than idle_s ago
        self.reminders = 0              # times the step's instruction was said again to someone not starting
        self.left_ms: float | None = None   # last moved away from the position by a step
        # arriving and leaving: per position reading its value at its last step, and when
        # one last moved by a step
        self._still_refs: dict[int, float] = {}
        self._last_move_ms: float | None = None
        self._still_ms: float | None = None     # holding: the readings last were still (before a hold's end)
        self._counted_at_still = (0.0, 0.0)     # achieved_s and in_position_s then
        form = {r.id for r in self.measure_rules if r.severity == "form"}
        self._form = frozenset(form)
        self._form_not_position = frozenset(form - set(p.position))
        # position rules that only get the person into it (the legs crossed): once the hold
        # has begun they are not judged, so a reading inside their error neither stops the
        # clock nor ends the hold
        self._entry_only = frozenset(p.entry_only)
        self._held_by = tuple(r for r in p.position if r not in self._entry_only)
        self._quiet_entry = self._form_not_position | self._entry_only   # (unjudged() runs every frame)
        self._on_the_way = frozenset(form | {r.id for r in self.measure_rules
                                             if r.id in p.position and r.severity != "safety"})

    def build(self, spec: ExerciseSpec, factory: MeasureFactory) -> dict[str, Any]:
        built = super().build(spec, factory)
        other = OTHER_SIDE.get(self.side or "")
        if self.phase.per_side and other:
            # to follow the side the person does: both sides' positions, while waiting
            probes = (SideProbe(spec, self.phase, self.side or "", factory),
                      SideProbe(spec, self.phase, other, factory))
            self.probes = probes if _sided(spec, self.phase, probes) else None
        if self.phase.recognise_s is not None:
            # to tell, before this step is current, that the person is already doing it: the
            # measures of its recognise rules run ahead, with trackers of their own (the
            # step's start fresh when it is current), and so do the windowed measures (speed,
            # oscillation, rolling: full when it starts; not `change`, whose reference is the
            # step's start); the other per-frame measures wait
            rids = tuple(self.phase.position) + tuple(self.phase.recognise_when)
            self.recognise_trackers = {rid: RuleTracker(spec.rules[rid], evidence=False) for rid in rids}
            want = {n for rid in rids for n in (spec.rules[rid].measures or (spec.rules[rid].measure,))}
            want |= {m.name for m in self.measures if getattr(m, "TYPE", "") in _WINDOWED}
            pending = list(want)
            while pending:
                for d in getattr(built[pending.pop()], "depends_on", ()):
                    if d not in want:
                        want.add(d)
                        pending.append(d)
            self.recognise_measures = [m for m in self.measures if m.name in want]
        return built

    # -- rules and texts ------------------------------------------------------------------
    def progress(self) -> dict[str, Any]:
        return {"achieved_s": self.achieved_s, "reps": 0}

    def baseline_window_ms(self) -> float | None:
        return self.hold_started_ms

    def _quiet(self) -> bool:
        """Moving into the position, done, or leaving it: no form nagging. (Settling in the
        position before the clock starts is in it: the form is judged, so a fault there is
        raised when the hold begins, which then begins paused saying why.)"""
        if self.hold_state == "waiting":
            return self.ok_since_ms is None
        return self.hold_state == "done" or self.out_since_ms is not None

    def unjudged(self) -> frozenset[str]:
        # before the hold starts, after it is done and while leaving the position only the
        # position, set-up, safety and pace rules are judged; once it has begun, not the
        # position rules that only get the person into it
        quiet = self._quiet()
        if self._entry_only and self.hold_state != "waiting":
            return self._quiet_entry if quiet else self._entry_only
        return self._form_not_position if quiet else NO_RULES

    def cues_muted(self) -> frozenset[str]:
        if not self._quiet():
            return self.under_way
        if self.hold_state == "waiting":
            # moving into the position: only the position itself is coached, and not while
            # the person is still on the way to it
            muted = self._on_the_way if self.on_the_way else self._form_not_position
            if not self.on_the_way:
                lacking = self._not_evident_now()
                if lacking:   # (most frames: none, and no new set)
                    muted = muted | lacking
        else:
            muted = self._form
        return muted | self.under_way if self.under_way else muted

    def _not_evident_now(self) -> frozenset[str]:
        """The position rules at fault whose value is no longer past bound - error: their
        fault was raised on evidence, but the cue waited (on the way, resting) and the value
        has since come back into the measure's error. Evidence before a cue holds when it is
        said: a slow turn that paused at 7-9 deg on its way to 45 was told "turn a little
        more" at 10.5 deg, the evidence bound being 8 (val seated good clip)."""
        lacking = [r for r in self.phase.position if (tr := self.trackers.get(r)) is not None
                   and tr.state == FAULT and not tr.evident(tr.judged_value)]
        return frozenset(lacking) if lacking else NO_RULES

    @property
    def on_the_way(self) -> bool:
        return self.approached_ms is not None or self.idle_wait

    def _follow_approach(self, t: float, pos: list[RuleTracker], timing: TimingSpec) -> None:
        """Is the person on the way into a position (this side's or, while the side may
        still change, the other side's)? Yes while one of its rules has come closer to its
        bounds by a step (its hysteresis, or half the measure's known error if larger:
        more than the noise; a tenth of the way left for a rule with neither) within the
        last ``timing.approach_s``."""
        trackers = list(pos)
        if self.probes is not None and self.hold_started_ms is None:
            trackers += list(self.probes[1].trackers.values())
        coming_back = self.coming_back
        for tr in trackers:
            v = tr.judged_value
            if v != v:
                continue
            out = max(tr.lo - v, v - tr.hi, 0.0)
            key = id(tr)
            ref = self.approach.get(key)
            step = max(tr.rule.hysteresis, 0.5 * tr.rule.error)
            if ref is None or out > ref:
                self.approach[key] = out   # (moving away: the reference follows)
            elif ref > 0.0 and out <= ref - (step or 0.1 * ref):
                self.approach[key] = out
                self.approached_ms = t
                # (right after the other side's step the person is coming back from that
                # side, see _still_coming_back: a reading that moves with it is no start
                # toward this one, and the wait for someone resting still holds)
                self.ever_approached = self.ever_approached or not coming_back
                self.ever_moved = self.ever_moved or not coming_back
            # moving away by a step is being on the move too: someone coming back out of
            # the position (at the end of a hold the coach never saw start) is not told
            # to get into it while they move. (Only a rule with a known error: a step of
            # just the hysteresis is the noise of a rule without one, e.g. the set-up's
            # "legs crossed", whose cue was held back 1.2 s by it.)
            low = self.leaving.get(key)
            if low is None or out < low:
                self.leaving[key] = out
            elif tr.rule.error > 0 and out >= low + step:
                self.leaving[key] = out
                self.approached_ms = t
                self.left_ms = t
                self.ever_moved = self.ever_moved or not coming_back
        if self.approached_ms is not None and t - self.approached_ms > timing.approach_s * 1000.0:
            self.approached_ms = None
        # not moved since the step began (resting, between sides: its instruction is said
        # again instead, see _remind), or come back out of it (resting after a hold the coach
        # could not time): a while before it is asked for
        idle_ms = timing.idle_s * 1000.0
        self.idle_wait = (not self.ever_moved and self.started_ms is not None and idle_ms > 0) \
            or (self.left_ms is not None and t - self.left_ms < idle_ms)

    # -- recognised ahead of time -----------------------------------------------------------
    def recognised(self, t: float, frame: PoseFrame) -> bool:
        """Has the person been in this (later) step's position for ``recognise_s``? A per-side
        step whose sides its position cannot tell apart also needs its ``side_from``."""
        side_ok = True
        if self.probes is not None and self.phase.side_from is not None:
            side_ok = self.probes[0].reached(t, frame)
            # the other side's too: its side_from (a window, e.g. "the knee was up in the
            # last 20 s") then remembers a side done before this step began (a person who
            # twisted left during a set-up that timed out is followed to the left)
            self.probes[1].reached(t, frame)
        values = measure_all(self.recognise_measures, frame)
        ok = all_in(self.recognise_trackers.values(), values, self.side, t)
        if not (ok and side_ok):
            self.recognise_since_ms = None
            return False
        if self.recognise_since_ms is None:
            self.recognise_since_ms = t
        return t - self.recognise_since_ms >= (self.phase.recognise_s or 0.0) * 1000.0

    def side_unsettled(self, t: float, evidence_s: float) -> bool:
        """A hold whose side only its ``side_from`` tells, begun less than ``evidence_s`` ago
        with its own side not seen yet: it may still turn out to be the other side's."""
        return (self.phase.side_from is not None and self.hold_started_ms is not None
                and self.hold_state in ("holding", "paused") and not self.side_confirmed
                and t - self.hold_started_ms < evidence_s * 1000.0)

    def other_side_reached(self, t: float, frame: PoseFrame, wait_s: float, evidence_s: float = 0.0) -> bool:
        """While waiting for this side's position: has the person been in the other side's
        position (and not in this one's), or with a ``side_from`` clearly on the other side,
        for ``wait_s``? Never once this side's hold began (having moved toward a position
        both sides share is not having begun), except in the first ``evidence_s`` of a hold
        whose side only its ``side_from`` tells, while that has not said this side."""
        if self.probes is None or not (self.hold_state == "waiting" and self.hold_started_ms is None
                                       or self.side_unsettled(t, evidence_s)):
            self.probe_since_ms = self.probe_in_since_ms = None
            return False
        this, other = self.probes
        this_ok = this.reached(t, frame)
        self.side_confirmed = self.side_confirmed or this.side_seen
        in_other = other.reached(t, frame) and not this_ok
        # the side_from measure is the side's own evidence: the person is doing the other
        # side (e.g. its knee is the one bent up) even if not (yet) in its position
        on_other = in_other or (self.phase.side_from is not None and not this_ok
                                and other.side_seen and not this.side_seen)
        self.probe_in_since_ms = (self.probe_in_since_ms if self.probe_in_since_ms is not None else t) \
            if in_other else None
        self.probe_since_ms = (self.probe_since_ms if self.probe_since_ms is not None else t) if on_other else None
        return on_other and t - self.probe_since_ms >= wait_s * 1000.0

    def take_over(self, probe: SideProbe) -> None:
        """Become current after the person was found doing this side: the measures and the
        position trackers that found it (they have followed the person since the start,
        e.g. a change from the start position) replace this step's fresh ones."""
        by_name = {m.name: m for m in probe.measures}
        self.measures = [by_name.get(m.name, m) for m in self.measures]
        self.ever_approached = self.ever_moved = True   # the person is doing this side: not idle
        taken = {rid: tr for rid, tr in probe.trackers.items() if rid in self.trackers}
        for tr in taken.values():
            if tr.state == FAULT:
                # raised inside the probe, where nothing is said: this step raises it itself
                # (its persist time has passed), so it is reported and coached as usual
                tr.state = WARNING
        self.trackers.update(taken)
        self.ordered_trackers = sorted(self.trackers.items(), key=lambda kv: kv[1].rule.only_when is not None)

    def start_followed(self, host: Host, t: float, in_position_since_ms: float, moved: bool = False) -> None:
        """Current now, the person having been in its position since ``in_position_since_ms``:
        the hold began once they had settled there. ``moved``: its hold was already running
        under the other side's name (nothing new to say)."""
        began = min(t, in_position_since_ms + self.phase.settle_s * 1000.0)
        self.settled_s = max(0.0, (began - in_position_since_ms) / 1000.0)
        self.hold_state = "holding"
        self.attempted = True
        self.hold_started_ms = began
        self.achieved_s = self.in_position_s = (t - began) / 1000.0
        text = None if moved else fill(ENGINE_TEXT["hold_started"], self.params())
        host.emit(t, "hold", self, None, text, state="started", target_s=self.phase.target_s, followed=True)
        host.board.note_spoken(t)

    def start_recognised(self, host: Host, t: float) -> None:
        """Current now, after being recognised: the time in the position since then counts."""
        since = self.recognise_since_ms if self.recognise_since_ms is not None else t
        self.hold_state = "holding"
        self.attempted = True
        self.hold_started_ms = since
        self.achieved_s = self.in_position_s = (t - since) / 1000.0
        host.emit(t, "hold", self, None, None, state="started", target_s=self.phase.target_s, recognised=True)

    def mark_skipped(self, began_ms: float, tried_s: float) -> None:
        self.skipped = True
        if self.hold_started_ms is None or began_ms - self.hold_started_ms < tried_s * 1000.0:
            self.attempted = False   # its "hold" was the later position (both knees in looked like one)

    # -- the hold ---------------------------------------------------------------------------
    def _where(self, pos: list[RuleTracker]) -> str:
        if any(tr.state == CANT_SEE for tr in pos):
            return "unknown"
        if all(tr.state == OK for tr in pos):
            return "in"
        return "out"

    def _blocker(self) -> RuleTracker | None:
        """The most severe fault that pauses the clock. "Can't see" does not (far-side
        landmarks are often hidden), except for the position rules (unknown = paused)."""
        blocker = None
        position = self.phase.position
        for tr in self.trackers.values():
            if tr.state == FAULT and tr.rule.pauses_hold and tr.rule.id not in position:   # (rarely at fault: asked first)
                if blocker is None or tr.rule.rank < blocker.rule.rank:
                    blocker = tr
        return blocker

    def update(self, host: Host, t: float, dt_s: float, values: Mapping[str, float]) -> None:
        p = self.phase
        pos = [self.trackers[r] for r in (p.position if self.hold_state == "waiting" else self._held_by)]
        where = self._where(pos)
        blocker = self._blocker()
        if self.hold_state == "waiting":
            if where == "in" and self.own_side_first and not self.side_confirmed:
                self.side_confirmed = side_says(self.phase.side_from, self.side, values)
                if not self.side_confirmed:
                    where = "out"
            self._wait(host, t, where, pos, blocker)
            return
        # holding / paused / done. Out of the position inside the measure's error, of its
        # bound and of where this person held it, is no evidence of having left: until the
        # hold is done the clock runs on (ending it would be "hold too short" and the other
        # side to someone still holding: corpus dev, a seated turn held at a
        # true 32 deg read 18-22 against its bound 23, error 15, for 3 s, and the hold ended
        # at 6 s). Someone really coming out moves further than that. Once the hold is done,
        # leaving at the plain bound ends it
        if p.settle_s <= 0 and self.hold_state != "done" and self._readings_still(t, pos, host.timing):
            self._still_ms = t
            self._counted_at_still = (self.achieved_s, self.in_position_s)
        if where == "in" and self.hold_state == "holding":
            for tr in pos:
                sm, n = self.hold_level.get(id(tr), (0.0, 0))
                self.hold_level[id(tr)] = (sm + tr.judged_value, n + 1)
        if where == "out" and self.hold_state != "done" and not self._left_evidently(pos):
            where = "in"
        # released?
        if where == "out":
            if self.out_since_ms is None:
                self.out_since_ms = t
            if t - self.out_since_ms >= p.release_s * 1000.0:
                self._release(host, t)
                return
        else:
            self.out_since_ms = None
            if where == "in":
                self.in_position_s += dt_s
        # too long: time in the position since the hold started
        if p.max_s is not None and not self.long_fired and where != "out" and self.hold_started_ms is not None \
                and t - self.hold_started_ms > p.max_s * 1000.0:
            self.long_fired = True
            host.fire_timing(t, self, "hold_long", achieved_s=self.achieved_s)
        if self.hold_state == "done":
            return
        if where == "in" and blocker is None:
            self._run_clock(host, t, dt_s)
        elif self.hold_state == "holding":
            self.hold_state = "paused"
            if blocker is None and where == "out" and self.achieved_s >= (p.min_s or 0):
                return  # leaving the position after a full hold: no "paused" message
            self._paused(host, t, blocker)
        elif self.pause_say is not None and t >= self.pause_say[0]:
            if where != "in":   # (back in the position, but a fault keeps the clock: its cue says why)
                host.emit(t, "hold", self, None, self.pause_say[1], state="paused", reason=None,
                          hold_s=self.achieved_s)
            self.pause_say = None

    def _left_evidently(self, pos: list[RuleTracker]) -> bool:
        """Is a position rule out with evidence: past its bound by the measure's known error
        (its fault, or its evidence running), or moved from where this person held it by
        more than that error, or out at all for a rule without a known error?"""
        for tr in pos:
            if tr.state == OK:
                continue
            if tr.rule.error <= 0 or tr.state == FAULT or tr.evident_since_ms is not None:
                return True
            sm, n = self.hold_level.get(id(tr), (0.0, 0))
            if n and abs(tr.judged_value - sm / n) > tr.rule.error:
                return True
        return False

    def left_posture(self, host: Host, t: float) -> None:
        """The posture gate closed (coach.engine.gates: most frames of the last 1.5 s clearly
        not in the exercise's posture, e.g. down from the bar, sitting up): once the hold has
        begun, the person has left the position. The gate keeps the step from seeing it
        (no rule is judged), so the hold ends here; the gate's own window already was the
        evidence ``release_s`` asks for."""
        if self.hold_state != "waiting":
            self._release(host, t)

    def _readings_still(self, t: float, pos: list[RuleTracker], timing: TimingSpec) -> bool:
        """Have the position readings (a rule's with a known error: a step of just the
        hysteresis is a reading's noise) not moved by a step (as for approach_s) for
        ``still_s``, or since the step began? A reading not seen is no sign of moving."""
        if _moved_by_a_step(pos, self._still_refs):
            self._last_move_ms = t
        return self._last_move_ms is None or t - self._last_move_ms >= timing.still_s * 1000.0

    def _wait(self, host: Host, t: float, where: str, pos: list[RuleTracker], blocker: RuleTracker | None) -> None:
        p = self.phase
        still = p.settle_s > 0 or self._readings_still(t, pos, host.timing)
        self.coming_back = self._still_coming_back(t, host.timing)
        if not self.attempted:
            self._track_progress(t, pos, host.timing)
        self._follow_approach(t, pos, host.timing)
        self._remind(host, t)
        if where != "in":
            self.ok_since_ms = None
            return
        if self.ok_since_ms is None:
            self.ok_since_ms = t
        if t - self.ok_since_ms < p.settle_s * 1000.0:
            return   # in position, settling before the clock starts
        if not still and t - self.ok_since_ms < host.timing.approach_s * 1000.0:
            # in the position's bounds but still coming into it: the knees passing a right
            # angle on their way to the chest are not yet held (at the latest approach_s
            # after reaching it: someone who keeps moving in it, e.g. rocking, is holding).
            # A phase with settle_s waits that long instead (its readings settle slowly or
            # jitter: the lying twist's far ankle, MediaPipe's 1-s maximum of it moving by
            # twice its step for seconds after a dev twist had arrived)
            return
        # the hold has begun: its length (for "too short"/"too long") counts from here,
        # even if a fault keeps the clock paused
        self.hold_started_ms = t
        self.settled_s = p.settle_s
        self.attempted = True
        if blocker is None:
            self.hold_state = "holding"
            host.emit(t, "hold", self, None, fill(ENGINE_TEXT["hold_started"], self.params()),
                      state="started", target_s=p.target_s)
            host.board.note_spoken(t)
        else:
            host.emit(t, "hold", self, None, None, state="started", target_s=p.target_s)
            self.hold_state = "paused"
            self._paused(host, t, blocker)

    def _still_coming_back(self, t: float, timing: TimingSpec) -> bool:
        """Right after the other side's step, is the person still coming back from that
        side? For its first ``switch_s``, and after that until this side's position readings
        (which a return through a position both sides share moves) have stopped moving: none
        has changed by a step (as for ``approach_s``, in or out of its bounds) for
        ``approach_s``. (Studio: MediaPipe ended a done lying-twist hold at a dip
        2.4 s before the person let go, and their 7-s return went on 3.4 s past switch_s,
        the knee passing through the second side's reading: that side counted as tried.)"""
        if not self.after_other_side or self.back or self.started_ms is None:
            return False
        # (any reading moving by a step, as for approach_s, in or out of its bounds)
        if _moved_by_a_step((self.trackers[r] for r in self.phase.position if r in self.trackers), self._back_refs):
            self._moved_ms = t
        if t - self.started_ms >= timing.switch_s * 1000.0 \
                and (self._moved_ms is None or t - self._moved_ms >= timing.approach_s * 1000.0):
            self.back = True
            return False
        return True

    def _remind(self, host: Host, t: float) -> None:
        """Someone who has not moved since the step began, toward its position or away from
        it (resting, between sides, not listening), hears the step's instruction again after
        ``idle_s``, then after twice as long each time, not a correction of a position they
        never tried: "pull your knee closer" is for someone who came part way and stopped.
        (A wrong move is a start: the studio's knee bent up but never across the body is
        told "let the knee cross".)"""
        idle_ms = host.timing.idle_s * 1000.0
        if self.ever_moved or self.started_ms is None or idle_ms <= 0 or not self.phase.cue:
            return
        if t - self.started_ms < idle_ms * (2 ** (self.reminders + 1) - 1):
            return
        self.reminders += 1
        p = self.phase
        host.emit(t, "phase", self, None, fill(p.cue, self.params()), phase=p.id, phase_kind=p.kind,
                  state="reminder")
        host.board.note_spoken(t)

    def held_s(self) -> float:
        """How long the person held the position, for "too short": the time in position since
        the hold began plus the time they settled in it before the clock started (a 30 s
        hold timed 29 s after 2 s of settling was held 31 s)."""
        return self.in_position_s + self.settled_s

    def _release(self, host: Host, t: float) -> None:
        p = self.phase
        if self.hold_state != "done" and self._still_ms is not None:
            # a hold ended before its target was held until the person began to leave: the
            # time counted since their readings last were still is the way out (at most
            # approach_s of it: readings that never settle say nothing about when it began)
            cap_s = host.timing.approach_s
            achieved0, in_position0 = self._counted_at_still
            self.achieved_s -= min(max(self.achieved_s - achieved0, 0.0), cap_s)
            self.in_position_s -= min(max(self.in_position_s - in_position0, 0.0), cap_s)
        if self.held_s() < (p.min_s or 0) - 1e-6 and not self.short_fired:
            # said now, before "now the other side": it is about the hold just ended
            self.short_fired = True
            host.fire_timing(t, self, "hold_short", oneshot=False,
                             achieved_s=self.achieved_s, held_s=round(self.in_position_s, 1))
            host.board.note_spoken(t)
        host.emit(t, "hold", self, None, fill(ENGINE_TEXT["hold_released"], {"achieved_s": self.achieved_s}),
                  state="released", achieved_s=self.achieved_s, held_s=self.in_position_s)
        host.complete(t, self)

    def _run_clock(self, host: Host, t: float, dt_s: float) -> None:
        p = self.phase
        if self.hold_state == "paused":
            self.hold_state = "holding"
            # back before "hold paused" was said: the clock runs again without a word
            said = self.pause_say is None
            self.pause_say = None
            host.emit(t, "hold", self, None, fill(ENGINE_TEXT["hold_resumed"], {}) if said else None,
                      state="resumed", hold_s=self.achieved_s)
        self.achieved_s += dt_s
        left = (p.target_s or 0) - self.achieved_s - 1e-6
        while self.countdown_left and left <= self.countdown_left[0]:
            left_s = self.countdown_left.pop(0)
            if left > 0:
                host.emit(t, "hold", self, None, fill(ENGINE_TEXT["countdown"], {"left_s": left_s}),
                          state="countdown", left_s=left_s)
        if self.achieved_s >= (p.target_s or 0) - 1e-6:
            self.hold_state = "done"
            host.emit(t, "hold", self, None, fill(ENGINE_TEXT["hold_done"], {}), state="done",
                      achieved_s=self.achieved_s)
            host.board.note_spoken(t)

    def _paused(self, host: Host, t: float, blocker: RuleTracker | None) -> None:
        if blocker is not None:
            reason = fill(blocker.rule.cue, self.params()) if blocker.state == FAULT else \
                cant_see_text(blocker.rule, self.measures, None, host.board.visibility_min)
            rid = blocker.rule.id
        else:
            reason = ENGINE_TEXT["back_into_position"]
            rid = None
        if blocker is not None and blocker.state == FAULT:
            # "Hold paused" and the correction, said together: that is the fault's cue, said
            # now (not again a moment later when the cue board's gap after "hold started" is
            # over). Silent while the person is going on to a later step that does not judge
            # this rule (under_way: both knees up during the one-knee hold is the rocking, not
            # "the other foot lifted"); just "hold paused" when the cue was said a moment ago
            if rid in self.under_way:
                host.emit(t, "hold", self, None, None, state="paused", reason=rid, hold_s=self.achieved_s)
                return
            host.emit(t, "hold", self, None, dict(ENGINE_TEXT["hold_paused_short"]), state="paused", reason=rid,
                      hold_s=self.achieved_s)
            if not host.board.said_lately(t, rid):
                host.emit(t, "cue", self, blocker.rule, reason, paused=True)
                host.board.said_in_pause(t, rid, reason)
            return
        text = {lang: ENGINE_TEXT["hold_paused"][lang].replace("{reason}", _lower_first(reason[lang]))
                for lang in ("nb", "en")}
        if blocker is None and self.hold_state != "waiting":
            # out of the position: the clock stops at once, the voice waits half of release_s.
            # Most dips are shorter (corpus dev and val, MediaPipe: 12 of 13 dips inside a held
            # position lasted 0.2-1.4 s, 3 of them in good-form holds), and someone really
            # leaving still hears it before the hold ends
            host.emit(t, "hold", self, None, None, state="paused", reason=rid, hold_s=self.achieved_s)
            self.pause_say = (t + 500.0 * self.phase.release_s, text)
            return
        host.emit(t, "hold", self, None, text, state="paused", reason=rid, hold_s=self.achieved_s)

    def _track_progress(self, t: float, pos: list[RuleTracker], timing: TimingSpec) -> None:
        """A side the person tried but never got right is not a skipped side: it counts as
        attempted once a position rule has come ``attempt_fraction`` of the way to its bound,
        from the farthest it has been during the step, for ``attempt_s``, or once every
        position rule has been within its measure's error of the position for as long (no
        evidence that they are out of it: "pull closer" is not said either, and someone
        already near the position when the step began shows no progress toward it), or, in
        a phase with a ``side_from`` (where a turn's error can reach back to sitting
        straight), once that has said this side for as long (a turn too small to be the
        position, but toward this side). In a step right after the other side's, its first
        ``switch_s`` (and until its readings are still: :meth:`_still_coming_back`) are not
        judged: the person is still coming back from that side. (The first
        side's step is judged from its start: someone who pulled the knee part of the way in
        its first seconds and kept it there had made their progress by then.)"""
        if self.started_ms is None or self.coming_back:
            return
        if self.phase.side_from is None:
            moved = bool(pos) and all(tr.judged_value == tr.judged_value and not tr.evident(tr.judged_value)
                                      for tr in pos)
        else:   # its own evidence says this side (turned toward it, its knee came up)
            moved = self.probes is not None and self.probes[0].side_seen
        for tr in pos:
            v = tr.value
            if v != v:
                continue
            far, frac = tr.progress_toward(v, self.start_values.get(tr.rule.id))
            if far is None:
                continue   # inside so far: says nothing about moving
            self.start_values[tr.rule.id] = far
            if frac is not None:
                moved = moved or frac >= timing.attempt_fraction
        if not moved:
            self.moving_since_ms = None
        elif self.moving_since_ms is None:
            self.moving_since_ms = t
        elif t - self.moving_since_ms >= timing.attempt_s * 1000.0:
            self.attempted = True

    # -- the end ----------------------------------------------------------------------------
    def finish(self, host: Host, t: float) -> None:
        if self.hold_started_ms is not None and not self.short_fired \
                and self.held_s() < (self.phase.min_s or 0) - 1e-6:
            self.short_fired = True
            host.fire_timing(t, self, "hold_short", oneshot=False, achieved_s=self.achieved_s,
                             held_s=round(self.in_position_s, 1))

    def did_minimum(self) -> bool:
        return self.achieved_s >= (self.phase.min_s or 0) - 1e-6


class RepsStep(Step):
    """Counts a rep per completed excursion of one measure (at most one per ``min_period_s``);
    the step ends ``idle_end_s`` after the last rep once ``min_reps`` are done.

    ``count: threshold``: a Schmitt trigger, past ``enter`` and back past ``exit``; the time
    past ``enter`` is the rep's hold at the end. ``count: turning_points``: from the
    direction changes of the person's own movement (:class:`coach.engine.turning.
    TurningPoints`, ``min_amplitude`` and ``range_fraction``): a rep is counted when the turn
    at its far end is confirmed; its hold at the end is the time the measure stayed near
    that extreme."""

    kind = "reps"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.phase
        self.reps = 0
        self.high = False               # past `enter`, not yet back past `exit` (or: heading to the far end)
        self.high_since_ms = 0.0
        self.last_rep_ms: float | None = None    # the last rep's time (its far end, when known)
        self.counted_ms: float | None = None     # when the last rep was counted
        self.idle_fired_at = -1         # rep count at which "too few reps" was said
        self.turns: TurningPoints | None = None
        self._far_v = self._near_v = math.nan   # the last turns at the rep's far and near end
        self.warm_rep: Turn | None = None        # a rep done while the step before was current
        if p.count == "turning_points":
            self.turns = TurningPoints(p.direction, p.min_amplitude or 0.0, p.range_fraction)

    def progress(self) -> dict[str, Any]:
        return {"achieved_s": 0.0, "reps": self.reps}

    def warm(self, t: float, frame: PoseFrame) -> None:
        """The step before this one is current: follow the movement already (the measures
        and the direction changes), so a rep the person is in the middle of when this step
        starts is counted when it ends. Nothing is counted or said now."""
        if self.turns is None:
            return
        v = self.measure(frame).get(self.phase.measure or "", math.nan)
        if v == v:
            turn = self._follow(t, v)
            if turn is not None and turn.rep:
                self.warm_rep = turn

    def moving(self) -> bool:
        """While warming: is the person on the way into a rep, at least the rep's minimum
        amplitude from where they started it (e.g. already leaning back over the chair)?"""
        tp = self.turns
        return tp is not None and tp.heading == self.phase.direction and tp.travel >= (self.phase.min_amplitude or 0.0)

    def start_followed(self, host: Host, t: float) -> None:
        """Current now because the person was already doing the reps: the rep they did while
        the step before was current counts (its far end's time and its hold at the end)."""
        turn, self.warm_rep = self.warm_rep, None
        if turn is not None:
            self._turned(host, t, turn)

    def _turned(self, host: Host, t: float, turn: Turn) -> None:
        """A rep's far end was confirmed: count it. The time near the far end is timed within
        a quarter of the excursion (at least half the minimum amplitude): on an excursion
        under twice the minimum that band is as narrow as the measure's noise, which breaks
        the run near the end into pieces; such a rep is counted, its hold not judged."""
        timed = turn.excursion >= 2.0 * (self.phase.min_amplitude or 0.0)
        self._rep(host, t, turn.near_s, turn.t_ms, timed=timed)

    def _follow(self, t: float, v: float) -> Any:
        """Feed the direction counter; returns the turn it confirmed, if any."""
        assert self.turns is not None
        turn = self.turns.update(t, v)
        if turn is not None:
            if turn.rep:
                self._far_v = turn.value
            else:
                self._near_v = turn.value
        # mid-rep (the step does not end now): heading to the far end (until that turn is
        # confirmed) and got past the middle of the person's last rep on the way (coming
        # back from the near end to rest is not a rep)
        far, near, ext = self._far_v, self._near_v, self.turns.extreme
        past_middle = far != far or near != near or (ext - (far + near) / 2.0) * (far - near) > 0
        self.high = self.turns.heading == self.phase.direction and past_middle
        return turn

    def update(self, host: Host, t: float, dt_s: float, values: Mapping[str, float]) -> None:
        p = self.phase
        v = values.get(p.measure or "", math.nan)
        if v == v:
            if self.turns is not None:
                turn = self._follow(t, v)
                if turn is not None and turn.rep:
                    self._turned(host, t, turn)
            else:
                up = p.direction == "up"
                if not self.high:
                    if (v >= p.enter) if up else (v <= p.enter):
                        self.high = True
                        self.high_since_ms = t
                elif (v <= p.exit) if up else (v >= p.exit):
                    self.high = False
                    self._rep(host, t, (t - self.high_since_ms) / 1000.0)
        since = self.counted_ms if self.counted_ms is not None else self.started_ms
        if since is not None and t - since >= p.idle_end_s * 1000.0 and not self.high:
            need = p.min_reps if p.min_reps is not None else p.target_reps or 0
            if self.reps >= need - p.count_error:   # (within the count's error of the minimum)
                host.complete(t, self)
            elif self.reps > 0 and self.idle_fired_at != self.reps:
                self.idle_fired_at = self.reps
                host.fire_timing(t, self, "reps_range")

    def _rep(self, host: Host, t: float, peak_s: float, at_ms: float | None = None, timed: bool = True) -> None:
        """An excursion completed: a rep, unless too soon after the last one. ``at_ms``: the
        rep's own time if it is known (the far end's turning point; else now), which its
        period is measured from."""
        p = self.phase
        at = t if at_ms is None else at_ms
        if self.last_rep_ms is not None and at - self.last_rep_ms < p.min_period_s * 1000.0:
            return
        period_s = None if self.last_rep_ms is None else (at - self.last_rep_ms) / 1000.0
        self.last_rep_ms = at
        self.counted_ms = t
        self.reps += 1
        self.attempted = True
        host.emit(t, "rep", self, None, fill(ENGINE_TEXT["rep"], {"reps": self.reps}),
                  reps=self.reps, peak_s=peak_s, period_s=period_s)
        if p.peak_min_s is not None and timed and peak_s < p.peak_min_s:
            host.fire_timing(t, self, "hold_short", achieved_s=peak_s)
        for rule in self.timing_rules:
            if rule.check == "rep_period" and period_s is not None and period_s < (rule.min_s or 0):
                host.fire_rule(t, self, rule, period_s=period_s)
        if p.max_reps is not None and self.reps > p.max_reps + p.count_error:
            host.fire_timing(t, self, "reps_range")
        if self.reps == p.target_reps:
            host.emit(t, "rep", self, None, fill(ENGINE_TEXT["reps_target"], {"reps": self.reps}),
                      reps=self.reps, state="target")

    def finish(self, host: Host, t: float) -> None:
        if self.reps < (self.phase.min_reps or 0) - self.phase.count_error:
            host.fire_timing(t, self, "reps_range", oneshot=False)

    def did_minimum(self) -> bool:
        return self.reps >= (self.phase.min_reps or self.phase.target_reps or 0)


class RestStep(Step):
    """A timer."""

    kind = "rest"

    def update(self, host: Host, t: float, dt_s: float, values: Mapping[str, float]) -> None:
        if self.started_ms is not None and t - self.started_ms >= (self.phase.duration_s or 0) * 1000.0:
            host.complete(t, self)


STEP_KINDS: dict[str, type[Step]] = {"setup": SetupStep, "hold": HoldStep, "reps": RepsStep, "rest": RestStep}


# --------------------------------------------------------------------------- the plan

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


def build_steps(spec: ExerciseSpec, factory: MeasureFactory) -> list[Step]:
    steps: list[Step] = []
    for phase, side, measure_side in plan_steps(spec):
        step = STEP_KINDS[phase.kind](spec, phase, side, len(steps), measure_side)
        step.build(spec, factory)
        steps.append(step)
    return steps


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s else s


def side_steps(steps: Iterable[Step], side: str) -> list[Step]:
    """The hold and reps steps done on ``side``."""
    return [s for s in steps if s.side == side and s.kind in ("hold", "reps")]
