"""The exercise engine: measures -> rule trackers -> the current step -> the cue board.

    spec = load_spec("lying_twist")
    engine = ExerciseEngine(spec, lang="nb")
    for frame in frames:                  # smoothed PoseFrames, in capture order
        for event in engine.update(frame):
            ...                           # event.to_dict() -> one JSONL line
    engine.finish(last_timestamp_ms)      # side skipped, hold too short, summary
    engine.snapshot()                     # for the overlay
    engine.summary()                      # for the report

Time is the frames' ``timestamp_ms`` only (never the wall clock), so a replay gives the
same events every run. Frames whose timestamp goes backwards are ignored; a gap between
frames counts at most ``timing.dt_cap_s`` of hold time.

One frame: the current step's measures give values; each rule tracker judges its value
(:mod:`coach.engine.rules`); a later step may be recognised ahead (the person went straight
there: follow them); the step's phase logic runs (:mod:`coach.engine.phases`); the cue
board says at most one cue (:mod:`coach.engine.cues`). The measures of one frame share one
view of it (:func:`coach.measures.share_view`: the near side and the body scale once a
frame). This class only orchestrates and keeps the tallies (faults raised, the plan of
steps, who is current).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coach.engine.cues import CueBoard, CueSelector
from coach.engine.events import Event
from coach.engine.gates import GateDecision, Gates
from coach.engine.phases import HoldStep, MeasureFactory, RepsStep, SetupStep, Step, build_steps, side_steps
from coach.engine.rules import NO_RULES, OK, rule_seen, rule_value
from coach.engine.start import StartPosition
from coach.engine.texts import ENGINE_TEXT, fill
from coach.errors import CoachError
from coach.measures import share_view
from coach.pose import PoseFrame
from coach.spec import ExerciseSpec, RuleSpec
from coach.vocab import LANGS, OTHER_SIDE


class EngineError(CoachError):
    """The engine cannot run this spec (e.g. the measures module is missing)."""


# --------------------------------------------------------------------------- snapshot

@dataclass(slots=True)
class RuleStatus:
    """One rule's state in the engine's snapshot (what it measured, against which bounds).

    ``value`` is the rule's measure this frame; ``judged_value`` what it compares with
    ``min``/``max`` (the value minus its baseline for rules relative to the start of the
    hold; NaN while that baseline is being learned)."""

    rule_id: str
    severity: str
    state: str                 # ok | warning | fault | cant_see
    value: float
    min: float | None
    max: float | None
    unit: str | None
    judged_value: float = float("nan")
    level: int = -1            # judged_value: -1 not judged now, 0 inside, 1 past a bound, 2 past it by the margin


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


def _default_factory(spec: ExerciseSpec) -> MeasureFactory:
    try:
        from coach.measures import build_measure  # noqa: PLC0415
    except ImportError as exc:
        raise EngineError(f"coach.measures: cannot import ({exc}); the engine needs the measures module") from None
    units = dict(spec.measure_units)
    shared: dict[str, dict] = {}   # per measure name: what a measure shares with later steps'

    def factory(name: str, mspec: Mapping[str, Any], side: str | None) -> Any:
        m = build_measure(name, mspec, side, source_units=units)
        if getattr(m, "shares_start", False):
            m.share(shared.setdefault(name, {}))
        return m

    return factory


# --------------------------------------------------------------------------- engine

class ExerciseEngine:
    """Coaches one exercise from smoothed PoseFrames. Never prints; time = frame timestamps."""

    def __init__(self, spec: ExerciseSpec, lang: str = "en",
                 measure_factory: MeasureFactory | None = None) -> None:
        if lang not in LANGS:
            raise EngineError(f"lang: unknown language {lang!r}, expecting one of [{', '.join(LANGS)}]")
        self.spec = spec
        self.lang = lang
        self.timing = spec.timing
        self._factory = measure_factory or _default_factory(spec)
        self.steps: list[Step] = build_steps(spec, self._factory)
        self.board = CueBoard(spec.id, spec.coaching)
        self._i = 0
        self._started = False
        self.done = False
        self._last_t: float | None = None
        self._first_t: float | None = None
        self._no_person_since: float | None = None
        self._events: list[Event] = []
        self.fault_counts: dict[str, int] = {}
        self._recognisers = [s for s in self.steps if isinstance(s, HoldStep) and s.phase.recognise_s is not None]
        # (a set-up step, its rules moot while the person is on the way into a rep)
        self._reps_under_way: tuple[Step | None, frozenset[str]] = (None, NO_RULES)
        self._moot_cache: dict[tuple[int, int], frozenset[str]] = {}
        self.gates = Gates(spec)        # two people, posture, camera view: may this frame be coached?
        self.gate = GateDecision()
        # the person's start position, for the rules judged relative to it (relative_to: start)
        # (the same factory: a measure that shares its start with later steps shares it with
        # the start position's too)
        self.start_position = StartPosition(spec, self.steps, self._factory)

    @property
    def step(self) -> Step | None:
        return self.steps[self._i] if self._i < len(self.steps) else None

    @property
    def selector(self) -> CueSelector:
        """The cue board's selector (cooldowns, the cue being worked on)."""
        return self.board.selector

    @property
    def cue_counts(self) -> dict[str, int]:
        return self.board.counts

    # -- public API -----------------------------------------------------------------
    def update(self, frame: PoseFrame) -> list[Event]:
        """Feed one (smoothed) frame; returns the events it caused (often none)."""
        if self.done:
            return []
        t = float(frame.timestamp_ms)
        if self._last_t is not None and not t >= self._last_t:
            return []  # out of order (or NaN) timestamps are ignored
        dt_s = 0.0 if self._last_t is None else min((t - self._last_t) / 1000.0, self.timing.dt_cap_s)
        self._last_t = t
        self._events = events = []
        if not self._started:
            self._begin(t)
        step = self.step
        if step is None:
            return events
        detected = frame.detected
        share_view(frame)   # the measures of this frame (the step's and those run ahead) share one view
        try:
            gate = self._gates(t, step, frame)
            values = self._measure(t, step, frame, detected)
            self._judge(t, step, values, gate)
            if gate.coach and detected and step.kind == "setup" and self.start_position.wanted:
                self.start_position.observe(t, frame, step)
            nxt = self.steps[self._i + 1] if self._i + 1 < len(self.steps) else None
            followed = False
            if gate.coach and detected and isinstance(nxt, RepsStep):
                nxt.warm(t, frame)   # a rep already under way when it starts is counted
                if isinstance(step, SetupStep):
                    if self.gates.view_confirmed:
                        followed = self._follow_reps(t, step, nxt)
                    else:   # not before the camera is found to see the movement: a frontal
                        nxt.warm_rep = None   # view's first frames read "a lean" out of noise
            if followed:
                pass
            elif gate.coach and not (self._recognisers and detected and self._follow_ahead(t, frame, step)) \
                    and not (detected and self._follow_side(t, frame, step)):
                step.update(self, t, dt_s, values)
            elif gate.reason == "posture" and isinstance(step, HoldStep):
                step.left_posture(self, t)   # down from the bar after the hold: the hold ends
                if self.done:
                    self.board.gate(t, None)     # and "grip the bar" is not said after "done"
        finally:
            share_view(None)
        said = self.board.choose(t, self.step, frame, self._no_person_since)
        if said is not None:
            events.append(said)
        return events

    def finish(self, timestamp_ms: float) -> list[Event]:
        """End of the clip or session: report what is missing, then the exercise summary."""
        if self.done:
            return []
        t = float(timestamp_ms)
        if self._last_t is not None:
            t = max(t, self._last_t)
        self._events = events = []
        if not self._started:
            self._started = True
            self._first_t = t
        step = self.step
        coachable = self.gate.coach or any(s.attempted for s in self.steps)
        if step is not None and step.started_ms is not None and coachable:
            step.finish(self, t)
        if coachable:   # (never coachable -- camera, posture, two people: nothing was missed)
            self._sides_skipped(t)
        cur = self.step
        if cur is not None and cur.index == len(self.steps) - 1 and cur.started_ms is not None and cur.did_minimum():
            cur.completed = True   # the last phase had done its minimum when the clip ended
            self._i += 1
        self._end_exercise(t, completed=self.step is None)
        return events

    def snapshot(self) -> EngineState:
        step = self.step
        rules: list[RuleStatus] = []
        if step is not None:
            for r in step.measure_rules:
                tr = step.trackers[r.id]
                rules.append(RuleStatus(r.id, r.severity, tr.state, tr.value, r.min, r.max, r.unit,
                                        tr.judged_value, -1 if tr.resting else tr.level(tr.judged_value)))
        ph = step.phase if step else None
        hold = step if isinstance(step, HoldStep) else None
        reps = getattr(step, "reps", None) if ph is not None and ph.kind == "reps" else None
        text = self.board.selector.current_text
        return EngineState(
            exercise_id=self.spec.id, phase_id=ph.id if ph else None, phase_kind=ph.kind if ph else None,
            side=step.side if step else None, step=self._i, n_steps=len(self.steps),
            hold_s=hold.achieved_s if hold else None,
            hold_target_s=ph.target_s if hold and ph else None,
            hold_state=hold.hold_state if hold else None,
            reps=reps, reps_target=ph.target_reps if reps is not None and ph else None,
            rules=rules, cue=text.get(self.lang) if text else None, done=self.done or step is None,
        )

    def summary(self) -> dict[str, Any]:
        holds: dict[str, dict[str, float]] = {}
        reps: dict[str, dict[str, int]] = {}
        for s in self.steps:
            key = s.side or "-"
            if isinstance(s, HoldStep):
                holds.setdefault(s.phase.id, {})[key] = round(s.achieved_s, 2)
            elif s.kind == "reps":
                reps.setdefault(s.phase.id, {})[key] = s.reps  # type: ignore[attr-defined]
        dur = 0.0 if self._first_t is None or self._last_t is None else (self._last_t - self._first_t) / 1000.0
        out = {
            "exercise_id": self.spec.id, "completed": self.step is None,
            "steps_done": sum(1 for s in self.steps if s.completed), "steps": len(self.steps),
            "steps_skipped": [f"{s.phase.id}:{s.side}" if s.side else s.phase.id for s in self.steps if s.skipped],
            "holds_s": holds, "reps": reps, "cues": dict(self.board.counts),
            "faults": dict(self.fault_counts), "duration_s": round(dur, 2),
        }
        if self.spec.safety_loosened:
            out["safety_loosened"] = [dict(x) for x in self.spec.safety_loosened]
        return out

    # -- Host: what a step may do ---------------------------------------------------------
    def emit(self, t: float, kind: str, step: Step | None = None, rule: RuleSpec | None = None,
             text: dict[str, str] | None = None, **data: Any) -> Event:
        ev = Event(t, kind, self.spec.id, step.side if step else None, rule.id if rule else None,
                   rule.severity if rule else None, text, data)
        self._events.append(ev)
        return ev

    def fire_timing(self, t: float, step: Step, check: str, oneshot: bool = True, **extra: Any) -> None:
        """Every timing rule of the step with this check fires."""
        for rule in step.timing_rules:
            if rule.check == check:
                self.fire_rule(t, step, rule, oneshot, **extra)

    def fire_rule(self, t: float, step: Step, rule: RuleSpec, oneshot: bool = True, **extra: Any) -> None:
        """A timing rule fired: a fault event, and its cue (said soon, or ``oneshot=False``: now)."""
        text = fill(rule.cue, step.params(**extra))
        self.fault_counts[rule.id] = self.fault_counts.get(rule.id, 0) + 1
        self.emit(t, "fault", step, rule, text, check=rule.check, **extra)
        if oneshot:
            self.board.timing(t, rule, text, step.side, {"check": rule.check, **extra})
        else:
            self.board.said_now(rule.id)
            self.emit(t, "cue", step, rule, text, check=rule.check, **extra)

    def complete(self, t: float, step: Step, timed_out: bool = False, followed: bool = False) -> None:
        """The step is over: on to the next one (or the exercise is done). ``timed_out``: a
        set-up that never held still and fault-free for its stable_s; ``followed``: one the
        person went on from (already doing the next step). Neither captures a start position."""
        step.completed = True
        if step.kind == "setup" and not (timed_out or followed) and self.start_position.wanted:
            self.start_position.capture(step, self.steps[step.index + 1:])
        extra = {"timed_out": True} if timed_out else {"followed": True} if followed else {}
        self.emit(t, "phase", step, None, None, phase=step.phase.id, phase_kind=step.phase.kind, state="end",
                  hold_s=step.achieved_s if isinstance(step, HoldStep) else None,
                  reps=getattr(step, "reps", None) if step.kind == "reps" else None, **extra)
        self.board.step_over(list(step.trackers))
        self._i += 1
        nxt = self.step
        if nxt is None:
            self._sides_skipped(t)
            self._end_exercise(t, completed=True)
            return
        if isinstance(nxt, HoldStep) and isinstance(step, HoldStep) and nxt.can_wait_for_own_side \
                and nxt.phase.id == step.phase.id and nxt.side != step.side and step.hold_started_ms is not None:
            # the other side was just held in a position both sides share: reached without
            # this side's own evidence (its knee came up), it is that side coming back
            nxt.own_side_first = True
        if nxt.side is not None and step.side is not None and nxt.side != step.side:
            nxt.after_other_side = True
            if self.spec.switch_cue:
                self.emit(t, "side", nxt, None, fill(self.spec.switch_cue, nxt.params()),
                          side_from=step.side, side_to=nxt.side)
                self.board.note_spoken(t)
        self._enter_step(t)

    # -- one frame, in order ----------------------------------------------------------------
    def _begin(self, t: float) -> None:
        self._started = True
        self._first_t = t
        self.emit(t, "exercise", None, None, fill(ENGINE_TEXT["exercise_start"], {"name": self.spec.names}),
                  state="start")
        self._enter_step(t)

    def _measure(self, t: float, step: Step, frame: PoseFrame, detected: bool) -> dict[str, float]:
        if detected:
            self._no_person_since = None
            return step.measure(frame)
        if self._no_person_since is None:
            self._no_person_since = t
        return {}

    def _gates(self, t: float, step: Step, frame: PoseFrame) -> GateDecision:
        """Two people, the posture, the camera's view (:mod:`coach.engine.gates`): a closed
        gate's prompt is the only cue; a changed camera verdict is an event."""
        self.gate = gate = self.gates.update(frame, start_position=step.kind in ("setup", "rest"))
        if gate.camera is not None:
            self.emit(t, "camera", step, None, None, **gate.camera)
        self.board.gate(t, None if gate.coach else gate.prompt, gate.text)
        return gate

    def _judge(self, t: float, step: Step, values: Mapping[str, float], gate: GateDecision = GateDecision()) -> None:
        """Every rule of the step judges its value (or rests, when not judged now: the step
        or a gate says so)."""
        unjudged = step.unjudged() | gate.rest if gate.coach else frozenset(step.trackers)
        window = step.baseline_window_ms()
        side = step.side
        board = self.board
        trackers = step.trackers
        seen_now = step.seen
        for rid, tr in step.ordered_trackers:
            v = rule_value(tr.rule, values, side)
            cond = tr.rule.only_when
            if (unjudged and rid in unjudged) or (cond is not None and trackers[cond].state != OK):
                if tr.rest(v):
                    self.emit(t, "fault_cleared", step, tr.rule, None, value=v)
                    board.rule_rested(rid)
                continue
            change = tr.judge(t, v, window, rule_seen(tr.rule, values, seen_now, v))
            if change == "fault":
                self.fault_counts[rid] = self.fault_counts.get(rid, 0) + 1
                self.emit(t, "fault", step, tr.rule, fill(tr.rule.cue, step.params()),
                          value=tr.judged_value, min=tr.rule.min, max=tr.rule.max)
                board.fault_raised(rid)
            elif change == "cleared":
                self.emit(t, "fault_cleared", step, tr.rule, None, value=tr.judged_value)
                board.fault_cleared(t, tr, step)

    def _follow_ahead(self, t: float, frame: PoseFrame, current: Step) -> bool:
        """Is the person already doing a later step (e.g. rocking with both knees while the
        coach waits for one knee)? After its ``recognise_s``, go there. True if it jumped."""
        under_way = None
        for target in self._recognisers:
            if target.index <= current.index or target.phase is current.phase:
                continue   # only later phases (the other side of this one is not "ahead")
            if target.recognised(t, frame):
                self._jump(t, current, target)
                return True
            if target.recognise_since_ms is not None:   # in its position, not yet for recognise_s
                under_way = under_way or target
            elif under_way is None and target.probes is not None and any(p.side_seen for p in target.probes):
                under_way = target
        moot = NO_RULES if under_way is None else self._moot(current, under_way)
        step, reps_moot = self._reps_under_way
        current.under_way = moot | reps_moot if step is current else moot
        return False

    def _follow_reps(self, t: float, current: SetupStep, reps: RepsStep) -> bool:
        """The person is already doing the reps while the set-up waits for them to be still
        and right for its stable_s (e.g. leaning back over the chair at once): while they are
        on the way into a rep (at least its minimum amplitude), the set-up's rules that the
        reps do not judge ("sit upright") are not said; once a whole rep is done, the reps
        begin and that rep counts. True if it went on."""
        if reps.warm_rep is not None:
            self.complete(t, current, followed=True)
            if self.step is reps:
                reps.start_followed(self, t)
            return True
        current.under_way = self._moot(current, reps) if reps.moving() else NO_RULES
        self._reps_under_way = (current, current.under_way)   # (kept if a later hold is recognised ahead)
        return False

    def _moot(self, step: Step, later: Step) -> frozenset[str]:
        """The rules of ``step`` that ``later`` does not judge: not said while the person is
        already doing ``later``. Never a safety rule; in a set-up step only its set-up rules."""
        key = (step.index, later.index)
        out = self._moot_cache.get(key)
        if out is None:
            keep = ("setup",) if isinstance(step, SetupStep) else ("setup", "form", "pace")
            out = self._moot_cache[key] = frozenset(rid for rid, tr in step.trackers.items()
                                                    if rid not in later.trackers and tr.rule.severity in keep)
        return out

    # -- following the side the person does ---------------------------------------------
    def _side_blocks(self, step: Step) -> tuple[list[Step], list[Step]] | None:
        """``step``'s side's run of per-side steps (starting at ``step``) and the other side's
        run right after it, if the person may still choose: ``step`` is the first of its
        side's run and nothing of the other side has begun."""
        other = OTHER_SIDE.get(step.side or "")
        steps, k = self.steps, step.index
        if other is None or (k > 0 and steps[k - 1].side == step.side):
            return None
        cur = []
        i = k
        while i < len(steps) and steps[i].side == step.side:
            cur.append(steps[i])
            i += 1
        oth = []
        while i < len(steps) and steps[i].side == other:
            oth.append(steps[i])
            i += 1
        if len(oth) != len(cur) or any(a.phase is not b.phase for a, b in zip(cur, oth)):
            return None
        if any(s.started_ms is not None or s.attempted or s.skipped for s in cur[1:] + oth):
            return None
        return cur, oth

    def _swap_sides(self, t: float, step: Step) -> Step | None:
        """The person does the other side first: it becomes this side's steps' place in the
        plan and this side's run comes after it ("now the other side" then names it). The
        steps moved back are built afresh (nothing of them was held; only that the person
        tried this side, if they did, is kept). Returns the step now at ``step``'s place."""
        blocks = self._side_blocks(step)
        if blocks is None:
            return None
        cur, oth = blocks
        k = step.index
        fresh: list[Step] = []
        for s in cur:
            f = type(s)(self.spec, s.phase, s.side, s.index, s.measure_side)
            f.build(self.spec, self._factory)
            # a side the person tried before going to the other one (its side_from said it,
            # but its position was never held long enough to time) is not a skipped side at
            # the end. Its own side seen, not only progress toward a position both sides
            # share (the crossed-leg knees going down to the other side)
            f.attempted = s.attempted and getattr(s, "side_confirmed", False)
            fresh.append(f)
        self.steps[k:k + 2 * len(cur)] = oth + fresh
        for i, s in enumerate(self.steps):
            s.index = i
        swapped = {id(s): f for s, f in zip(cur, fresh)}
        self._recognisers = [swapped.get(id(s), s) for s in self._recognisers]
        return self.steps[k]

    def _follow_side(self, t: float, frame: PoseFrame, current: Step) -> bool:
        """A per-side step waits for its position while the person is in the other side's
        (or, with a ``side_from``, clearly doing the other side, e.g. its knee bent up):
        after the step's settle (or recognise) time, at least ``timing.attempt_s``, follow
        them: that side is done now, this one after it (its hold begins at once if they are
        in its position, else it waits for it). Never once this side's hold began, except
        while a hold whose side only its ``side_from`` tells is unsettled (the first
        ``timing.side_evidence_s``, its own side not seen yet): then the time held carries
        over to the other side. True if it swapped."""
        evidence_s = self.timing.side_evidence_s
        if not isinstance(current, HoldStep) or current.probes is None \
                or not (current.hold_state == "waiting" or current.side_unsettled(t, evidence_s)) \
                or self._side_blocks(current) is None:
            return False
        p = current.phase
        wait_s = max(p.settle_s, p.recognise_s or 0.0, self.timing.attempt_s)
        if not current.other_side_reached(t, frame, wait_s, evidence_s):
            return False
        in_since = current.probe_in_since_ms
        if current.hold_started_ms is not None:
            # its hold was the other side's: the time held carries over
            in_since = current.hold_started_ms - p.settle_s * 1000.0
        probe = current.probes[1]
        target = self._swap_sides(t, current)
        if not isinstance(target, HoldStep):
            return False
        if current.hold_started_ms is not None:
            self.emit(t, "hold", current, None, None, state="moved", to_side=target.side)
        self.emit(t, "phase", current, None, None, phase=p.id, phase_kind=p.kind, state="side_followed",
                  to_side=target.side)
        self.board.step_over(list(current.trackers))
        self.emit(t, "side", target, None, None, side_from=current.side, side_to=target.side, followed=True)
        target.take_over(probe)
        target.enter(t)
        self.emit(t, "phase", target, None, None, phase=p.id, phase_kind=p.kind, state="start", followed=True)
        if in_since is not None:
            target.start_followed(self, t, in_since, moved=current.hold_started_ms is not None)
        return True

    def _jump(self, t: float, current: Step, target: HoldStep) -> None:
        """The person went straight on to ``target``: the steps before it are skipped (the
        summary lists them; no "hold too short" for them; a side never tried is still
        reminded of at the end). A per-side ``target`` whose other side comes first in the
        plan (and was not begun) takes that side's place: the person chose this side first."""
        first = next((s for s in self.steps[current.index + 1:target.index]
                      if s.phase is target.phase and s.side == OTHER_SIDE.get(target.side or "")), None)
        if first is not None and target.side is not None and self._side_blocks(first) is not None:
            blocks = self._side_blocks(first)
            if blocks is not None and target in blocks[1]:
                self._swap_sides(t, first)
        began = target.recognise_since_ms if target.recognise_since_ms is not None else t
        for s in self.steps[current.index:target.index]:
            s.mark_skipped(began, self.timing.tried_s)
        self.emit(t, "phase", current, None, None, phase=current.phase.id, phase_kind=current.phase.kind,
                  state="skipped", to=target.phase.id)
        self.board.step_over(list(current.trackers))
        self._i = target.index
        self._enter_step(t)
        target.start_recognised(self, t)

    def _enter_step(self, t: float) -> None:
        step = self.step
        if step is None:
            return
        step.enter(t)
        p = step.phase
        text = fill(p.cue, step.params()) if p.cue else None
        if p.kind == "rest" and text is None:
            text = fill(ENGINE_TEXT["rest"], {"duration_s": p.duration_s})
        self.emit(t, "phase", step, None, text, phase=p.id, phase_kind=p.kind, state="start")
        if text:
            self.board.note_spoken(t)

    def _sides_skipped(self, t: float) -> None:
        """At the end: "remember the other side" for each side never tried (a side done with
        faults was still done; a side the person went straight past, e.g. to the both-knees
        part, is reminded of too)."""
        for side in self.spec.sides:
            steps = side_steps(self.steps, side)
            if steps and not any(s.attempted for s in steps):
                self.fire_timing(t, steps[0], "side_skipped", oneshot=False)

    def _end_exercise(self, t: float, completed: bool) -> None:
        key = "exercise_done" if completed else "exercise_stopped"
        self.emit(t, "exercise", None, None, fill(ENGINE_TEXT[key], {"name": self.spec.names}),
                  state="done" if completed else "stopped", summary=self.summary())
        self.done = True


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
            v = float(m.update(frame, values)) if frame.detected else float("nan")
            values[m.name] = v
            row.append("" if v != v else round(v, 4))
        rows.append(row)
    return header, rows
