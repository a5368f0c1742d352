"""One rule's state over time: its value, its baseline, and ok -> warning -> fault -> ok.

    tracker = RuleTracker(rule)
    change = tracker.judge(t_ms, rule_value(rule, values, side), window_start_ms)  # "fault" | "cleared" | None

A rule's *value* is its measure this frame (the worst of several, sign-mirrored on one
side: :func:`rule_value`). The value it *judges* against its bounds is that value minus
its :class:`Baseline` (0 for an absolute rule; the mean over the first seconds of the hold
for ``relative_to_hold_start_s``; what the person showed in the start position for
``relative_to: start``, set by the engine with :meth:`Baseline.capture`). The tracker owns
its baseline: it feeds it while the learning window is open and judges nothing until the
baseline is known.

Evidence before a cue: a fault is *raised* only when the judged value is beyond its bound
by the measure's known error (``error_<unit>``) times :data:`MARGIN_FACTOR` of the rule's
severity, and only while the points behind the measure are seen with at least
:data:`MIN_VISIBILITY` of its severity. A safety fault needs that evidence for all of its
``persist_s`` (a form fault: at its end), a hold's position fault for ``POSITION_EVIDENCE_S``.
Clearing keeps the plain bound (and hysteresis).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from coach.spec import RuleSpec

OK, WARNING, FAULT, CANT_SEE = "ok", "warning", "fault", "cant_see"
#: no rule ids (the shared empty set the engine hands out when no rule is meant)
NO_RULES: frozenset[str] = frozenset()

#: how many times the measure's known error a value must be beyond its bound to raise a
#: fault, per severity (set-up, pace and count rules: the plain bound)
MARGIN_FACTOR: dict[str, float] = {"safety": 1.5, "form": 1.0}
#: the lowest visibility of the points behind the measure with which a fault may be raised
MIN_VISIBILITY: dict[str, float] = {"safety": 0.7, "form": 0.5}
#: a position rule's cue needs its evidence to have lasted this long (or its persist_s if
#: shorter): a seated turn passing back through the middle for 0.8 s (dev corpus: MediaPipe
#: read 1 deg for 0.7 s, 20 the rest of the hold) is not "turn more"
POSITION_EVIDENCE_S = 1.5


class Baseline:
    """The reference a rule's value is judged against.

    Absolute rules (``window_s`` None) have a known baseline of 0. A relative rule learns
    the mean of its value over ``window_s`` seconds from the moment its window opens (the
    start of the hold); the baseline is known once the window has passed with at least one
    value seen. A window that had passed before its first value (a hold begun before the
    rule was judged: the person was followed into the other side's hold already in its
    position) opens at that first value instead. :meth:`capture` sets it from outside (a
    reference taken elsewhere, e.g. the person's start position)."""

    __slots__ = ("window_ms", "value", "_sum", "_n", "_late_ms")

    def __init__(self, window_s: float | None) -> None:
        self.window_ms = None if window_s is None else window_s * 1000.0
        self.value: float | None = 0.0 if window_s is None else None
        self._sum = 0.0
        self._n = 0
        self._late_ms: float | None = None   # where a window that had passed opens instead

    @property
    def known(self) -> bool:
        return self.value is not None

    def learn(self, t_ms: float, value: float, window_start_ms: float | None) -> None:
        """One value while the baseline is not known yet (NaN and a closed window are ignored)."""
        if window_start_ms is None or value != value or self.window_ms is None:
            return
        if self._late_ms is not None:
            window_start_ms = self._late_ms
        elif not self._n and t_ms - window_start_ms >= self.window_ms:
            window_start_ms = self._late_ms = t_ms
        if t_ms - window_start_ms < self.window_ms:
            self._sum += value
            self._n += 1
        elif self._n:
            self.value = self._sum / self._n

    def capture(self, value: float) -> None:
        """Set the reference directly (a value measured elsewhere)."""
        self.value = float(value)

    @classmethod
    def from_start(cls) -> "Baseline":
        """Unknown until set by :meth:`capture` (the person's start position); never learned."""
        b = cls(None)
        b.value = None
        return b


class RuleTracker:
    """ok -> warning -> (persist_s) -> fault -> (back inside by hysteresis) -> ok; NaN -> cant_see.

    ``value`` is the rule's value this frame; ``judged_value`` what was compared with the
    bounds (``value`` minus the baseline; NaN while the baseline is unknown)."""

    __slots__ = ("rule", "state", "value", "judged_value", "out_since_ms", "nan_since_ms", "onset_ms", "lo", "hi",
                 "_lo_in", "_hi_in", "_lo_raise", "_hi_raise", "_min_vis", "_position", "_persist_ms", "baseline",
                 "evident_since_ms", "_steady", "resting")

    def __init__(self, rule: RuleSpec, evidence: bool = True, position: bool = False) -> None:
        """``evidence`` False: no margin and no visibility gate (the trackers that recognise
        a later step's position ahead of time). ``position``: a hold's position rule, whose
        OK means "in the position": it leaves OK at the plain bound (not in the position
        yet, a warning), and only its fault (the cue) waits for the evidence."""
        self.rule = rule
        self.state = OK
        self.value = math.nan
        self.judged_value = math.nan
        self.out_since_ms = 0.0
        self.nan_since_ms = 0.0
        self.onset_ms = 0.0
        self.evident_since_ms: float | None = None   # a position rule's evidence, continuously since
        self.resting = False     # not judged this frame (rest): its value is kept, not judged
        inf = math.inf
        self.lo = rule.min if rule.min is not None else -inf   # the bounds (read-only)
        self.hi = rule.max if rule.max is not None else inf
        # bounds a value must get back inside to clear a warning/fault
        self._lo_in = self.lo + rule.hysteresis
        self._hi_in = self.hi - rule.hysteresis
        # bounds a value must pass to raise a fault: the measure's error times the severity's factor
        margin = rule.error * MARGIN_FACTOR.get(rule.severity, 0.0) if evidence else 0.0
        self._position = position
        self._lo_raise = self.lo - margin
        self._hi_raise = self.hi + margin
        self._min_vis = MIN_VISIBILITY.get(rule.severity, 0.0) if evidence else 0.0
        # a safety cue needs the strongest evidence: past its raise bound for all of persist_s,
        # not only at its end
        self._steady = evidence and rule.severity == "safety" and not position
        self._persist_ms = rule.persist_s * 1000.0
        # relative_to: start -> set from the start position (StartPosition.capture); with a
        # relative_to_hold_start_s too, learned at the hold's start when no start was captured
        # (the person went straight into the exercise): better than judging nothing
        self.baseline = Baseline.from_start() if rule.relative_to_start and rule.baseline_s is None \
            else Baseline(rule.baseline_s)

    def judge(self, t_ms: float, value: float, window_start_ms: float | None,
              visibility: float = 1.0) -> str | None:
        """Feed this frame's value: learn the baseline while it is unknown (nothing is judged
        then), else judge ``value - baseline``. ``visibility``: the lowest visibility of the
        points behind the value. Returns "fault" or "cleared" on those changes."""
        self.resting = False
        base = self.baseline.value
        if base is None:
            self.value = value
            self.judged_value = math.nan
            self.baseline.learn(t_ms, value, window_start_ms)
            return None
        return self.update(t_ms, value - base, value, visibility)

    def rest(self, value: float) -> bool:
        """The rule is not judged this frame (its phase says so, or its ``only_when`` rule is
        not OK): back to OK. True if it was at fault (the fault is over)."""
        self.value = value
        self.resting = True
        base = self.baseline.value
        self.judged_value = math.nan if base is None else value - base
        was_fault = self.state == FAULT
        self.state = OK
        return was_fault

    def level(self, judged: float) -> int:
        """Where ``judged`` lies: -1 unknown (NaN), 0 inside the bounds, 1 past a bound, 2 past
        it by the margin a fault needs (visibility and persist_s aside)."""
        if judged != judged:
            return -1
        if judged > self._hi_raise or judged < self._lo_raise:
            return 2
        return 1 if judged > self.hi or judged < self.lo else 0

    def evident(self, judged: float, visibility: float = 1.0) -> bool:
        """Is ``judged`` beyond its bounds with evidence: past the raise bounds (bound +
        margin) and its points seen well enough for the rule's severity?"""
        return (judged > self._hi_raise or judged < self._lo_raise) and visibility >= self._min_vis

    def update(self, t_ms: float, judged: float, value: float | None = None, visibility: float = 1.0) -> str | None:
        """Judge one value against the bounds; returns "fault" or "cleared" on those transitions.
        Raising needs :meth:`evident` (a warning stays a warning while the evidence is
        missing); clearing needs the value back inside the plain bounds by the hysteresis."""
        self.judged_value = judged
        self.value = judged if value is None else value
        if judged != judged:  # NaN
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
            if (judged > self.hi or judged < self.lo) if self._position else self.evident(judged, visibility):
                self.state = WARNING
                self.out_since_ms = t_ms
                self.evident_since_ms = t_ms if self._steady and self.evident(judged, visibility) else None
                if self._persist_ms <= 0 and self.evident(judged, visibility):
                    self.state = FAULT
                    self.onset_ms = t_ms
                    return "fault"
            else:
                self.state = OK
            return None
        inside = self._lo_in < judged < self._hi_in
        if state == WARNING:
            if inside:
                self.state = OK
                return None
            evident = self.evident(judged, visibility)
            if self._position or self._steady:
                # out of a position is a state, not a moment: the evidence must last (a safety
                # fault's for all of its persist_s)
                if not evident:
                    self.evident_since_ms = None
                    return None
                if self.evident_since_ms is None:
                    self.evident_since_ms = t_ms
                evident = t_ms - self.evident_since_ms >= (self._persist_ms if self._steady else
                                                           min(self._persist_ms, POSITION_EVIDENCE_S * 1000.0))
            if evident and t_ms - self.out_since_ms >= self._persist_ms:
                self.state = FAULT
                self.onset_ms = t_ms
                return "fault"
            return None
        # FAULT
        if inside:
            self.state = OK
            return "cleared"
        return None

    def progress_toward(self, value: float, farthest: float | None) -> tuple[float | None, float | None]:
        """How far ``value`` has come back toward the bounds from the ``farthest`` it has been
        outside them: ``(new farthest, fraction of the way back)``; (farthest, None) while it
        has never been outside."""
        lo, hi = self.lo, self.hi
        far = farthest
        if value > hi:
            far = value if far is None or (far > hi and value > far) or far < lo else far
        elif value < lo:
            far = value if far is None or (far < lo and value < far) or far > hi else far
        if far is None:
            return None, None
        if far > hi:
            return far, (far - value) / (far - hi)
        if far < lo:
            return far, (value - far) / (lo - far)
        return far, None


def rule_value(rule: RuleSpec, values: Mapping[str, float], side: str | None) -> float:
    """The value a rule judges: its measure (the worst of several), sign-mirrored on one side."""
    nan = math.nan
    if len(rule.measures) > 1:
        v = worst(rule, [values.get(n, nan) for n in rule.measures])
    else:
        v = values.get(rule.measure, nan)
    if rule.mirror_on_side is not None and rule.mirror_on_side == side:
        v = -v
    return v


def rule_seen(rule: RuleSpec, values: Mapping[str, float], seen: Mapping[str, float], value: float) -> float:
    """How well the points behind the rule's ``value`` are seen (the measure that gave it,
    of several; 1.0 when unknown)."""
    if len(rule.measures) > 1:
        for n in rule.measures:
            v = values.get(n, math.nan)
            if v == value or (rule.mirror_on_side is not None and v == -value):
                return seen.get(n, 1.0)
        return 1.0
    return seen.get(rule.measure or "", 1.0)


def worst(rule: RuleSpec, vals: list[float]) -> float:
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
