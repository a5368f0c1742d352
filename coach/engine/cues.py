"""The cue board: every cue the engine may say, built, ranked, rate-limited and remembered here.

    board = CueBoard(spec.id, spec.coaching)
    board.fault_raised(rule_id) / board.fault_cleared(t, tracker, step) / board.timing(t, rule, text, side, data)
    event = board.choose(t, step, frame, no_person_since_ms)   # at most one cue a frame

Candidates come from four places, all built here (the only place a :class:`Candidate` is
made): rules at fault, "can't see" (nobody, or the rule seen longest as NaN), one-off cues
(timing checks, a burst of speed that was over before it could be said) and praise (a
spoken fault that was fixed). :class:`CueSelector` picks one: most severe first (safety >
setup > form > pace > count, praise last), no two cues closer than ``global_cooldown_s``,
the same cue at most every ``repeat_s`` (twice as long each time once said ``max_repeats``
times), and the cue being worked on keeps the floor over equal-severity ones until it is
fixed or has been repeated ``max_repeats`` times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from coach.engine.events import Event
from coach.engine.rules import CANT_SEE, FAULT, RuleTracker
from coach.engine.texts import ENGINE_TEXT, body_part_name, fill
from coach.pose import VIS, Landmark, PoseFrame
from coach.spec import CoachingSpec, RuleSpec
from coach.vocab import SEVERITY_RANK

if TYPE_CHECKING:
    from coach.engine.phases import Step

PRAISE_RANK = len(SEVERITY_RANK)
_SETUP_RANK = SEVERITY_RANK["setup"]


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


class CueSelector:
    """One cue at a time: severity first, global + per-cue cooldown, sticky current cue."""

    def __init__(self, global_cooldown_s: float, repeat_s: float, max_repeats: int,
                 forget_after_repeats: float = 4.0) -> None:
        self.global_cooldown_ms = global_cooldown_s * 1000.0
        self.repeat_ms = repeat_s * 1000.0
        self.max_repeats = max_repeats
        self.forget_ms = forget_after_repeats * self.repeat_ms
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
            if t_ms - self.last_by_key.get(c.key, -math.inf) > self.forget_ms:
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
        self.mark_said(t_ms, best.key, best.text,
                       standing=best.kind in ("cue", "cant_see") and best.expires_ms == math.inf)
        return best

    def mark_said(self, t_ms: float, key: str, text: dict[str, str], standing: bool = True) -> None:
        """``key``'s cue was said now (chosen here, or said by a hold's pause): its gaps
        and repeats count from now; a standing fault's cue holds the floor."""
        self.last_spoken_ms = t_ms
        self.last_by_key[key] = t_ms
        if standing:
            self.repeats[key] = self.repeats.get(key, 0) + 1
            self.current = key
        self.current_text = text


class CueBoard:
    """Builds every cue candidate, lets :class:`CueSelector` pick one, and remembers what was
    said (per rule: ``counts``; the rules whose fault was spoken, for praise once fixed)."""

    def __init__(self, exercise_id: str, coaching: CoachingSpec) -> None:
        c = coaching
        self.exercise_id = exercise_id
        self.selector = CueSelector(c.global_cooldown_s, c.repeat_s, c.max_repeats, c.forget_after_repeats)
        self.cant_see_ms = c.cant_see_s * 1000.0
        self.oneshot_ms = c.oneshot_ttl_s * 1000.0
        self.praise_ms = c.praise_ttl_s * 1000.0
        self.visibility_min = c.cant_see_visibility
        self.counts: dict[str, int] = {}      # cues said, per rule
        self._oneshots: list[Candidate] = []
        self._spoken: set[str] = set()         # rules with a cue spoken in the current fault episode
        self._gate: Candidate | None = None    # a gate's set-up prompt: while set, the only standing cue

    def gate(self, t_ms: float, key: str | None, text: dict[str, str] | None = None) -> None:
        """A gate (camera view, posture, two people: :mod:`coach.engine.gates`) holds the
        coaching: its prompt ``key`` is the only standing cue until ``gate(t, None)``."""
        if key is None or text is None:
            self._gate = None
        elif self._gate is None or self._gate.key != key:
            self._gate = Candidate(key, "cue", _SETUP_RANK, t_ms, text, key, "setup")

    # -- what the rules did ---------------------------------------------------------------
    def note_spoken(self, t_ms: float) -> None:
        self.selector.note_spoken(t_ms)

    def fault_raised(self, rule_id: str) -> None:
        """A new fault: praise for its last fix is stale."""
        self._oneshots = [c for c in self._oneshots if not (c.kind == "praise" and c.rule_id == rule_id)]

    def fault_cleared(self, t_ms: float, tr: RuleTracker, step: Step) -> None:
        """A fault was fixed: it gives up the floor; praise if it had been said; a burst of
        speed over before it could be said is still said once (once per movement: not again
        for a second burst just after it was said)."""
        rule = tr.rule
        rid = rule.id
        sel = self.selector
        sel.end_episode(rid)
        if rule.severity == "pace" and rid not in self._spoken \
                and not t_ms - sel.last_by_key.get(rid, -math.inf) < sel.repeat_ms \
                and not any(o.key == rid for o in self._oneshots):
            self._oneshots.append(Candidate(
                key=rid, kind="cue", rank=rule.rank, onset_ms=tr.onset_ms, text=fill(rule.cue, step.params()),
                rule_id=rid, severity=rule.severity, expires_ms=t_ms + self.oneshot_ms,
                step_side=step.side, own_side=True))
        if rid in self._spoken:
            self._spoken.discard(rid)
            if rule.praise:
                self._oneshots.append(Candidate(
                    key="praise:" + rid, kind="praise", rank=PRAISE_RANK, onset_ms=t_ms,
                    text=fill(rule.praise, step.params()), rule_id=rid, severity=rule.severity,
                    expires_ms=t_ms + self.praise_ms))

    def rule_rested(self, rule_id: str) -> None:
        """A rule at fault is no longer judged (its phase or its condition says so)."""
        self.selector.end_episode(rule_id)
        self._spoken.discard(rule_id)

    def step_over(self, rule_ids: Sequence[str]) -> None:
        """The step ended: its rules no longer hold the floor, and praise is stale."""
        for rid in rule_ids:
            self.rule_rested(rid)
        self._oneshots = [c for c in self._oneshots if c.kind != "praise"]

    def timing(self, t_ms: float, rule: RuleSpec, text: dict[str, str], side: str | None,
               data: dict[str, Any]) -> None:
        """A timing check fired (hold too short, reps out of range ...): said once, if soon."""
        self._oneshots.append(Candidate(
            key=rule.id, kind="cue", rank=rule.rank, onset_ms=t_ms, text=text, rule_id=rule.id,
            severity=rule.severity, data=data, expires_ms=t_ms + self.oneshot_ms, step_side=side, own_side=True))

    def said_lately(self, t_ms: float, rule_id: str) -> bool:
        """Was this rule's cue said less than ``repeat_s`` ago?"""
        sel = self.selector
        return t_ms - sel.last_by_key.get(rule_id, -math.inf) < sel.repeat_ms

    def said_in_pause(self, t_ms: float, rule_id: str, text: dict[str, str]) -> None:
        """A hold paused for this rule's fault and said why (``text``): that was the rule's
        cue (its gaps, repeats and praise follow from now; the engine's state shows it)."""
        self.selector.mark_said(t_ms, rule_id, text)
        self.counts[rule_id] = self.counts.get(rule_id, 0) + 1
        self._spoken.add(rule_id)

    def said_now(self, rule_id: str) -> None:
        """A cue said at once, outside the selector (about a hold that just ended)."""
        self.counts[rule_id] = self.counts.get(rule_id, 0) + 1

    # -- one cue a frame ------------------------------------------------------------------
    def choose(self, t_ms: float, step: Step | None, frame: PoseFrame,
               no_person_since_ms: float | None) -> Event | None:
        sel = self.selector
        if t_ms - sel.last_spoken_ms < sel.global_cooldown_ms:
            return None   # nothing can be said yet: no candidates to build
        cands = self._candidates(t_ms, step, frame, no_person_since_ms)
        if self._oneshots:
            self._oneshots = [o for o in self._oneshots if o.expires_ms > t_ms]
            cands.extend(self._oneshots)
        if not cands:
            return None
        chosen = self.selector.choose(t_ms, cands)
        if chosen is None:
            return None
        standing = chosen.expires_ms == math.inf
        if not standing:
            self._oneshots = [o for o in self._oneshots if o is not chosen]
        if chosen.kind == "cue" and chosen.rule_id is not None:
            self.counts[chosen.rule_id] = self.counts.get(chosen.rule_id, 0) + 1
            if standing:
                self._spoken.add(chosen.rule_id)
        text = chosen.text
        if step is not None and chosen.kind == "cue" and standing:
            text = fill(text, step.params())
            self.selector.current_text = text
        side = chosen.step_side if chosen.own_side else (step.side if step else None)
        return Event(t_ms, chosen.kind, self.exercise_id, side, chosen.rule_id, chosen.severity, text,
                     dict(chosen.data))

    def _candidates(self, t_ms: float, step: Step | None, frame: PoseFrame,
                    no_person_since_ms: float | None) -> list[Candidate]:
        """The standing candidates: nobody seen, the step's rules at fault, the rule not seen longest."""
        if no_person_since_ms is not None:
            if t_ms - no_person_since_ms >= self.cant_see_ms:
                return [Candidate("cant_see:body", "cant_see", _SETUP_RANK, no_person_since_ms,
                                  dict(ENGINE_TEXT["cant_see_body"]))]
            return []
        if self._gate is not None:
            return [self._gate]
        cands: list[Candidate] = []
        if step is None:
            return cands
        muted = step.cues_muted()
        cant = None
        for tr in step.trackers.values():
            if muted and tr.rule.id in muted:
                continue
            if tr.state == FAULT:
                r = tr.rule
                cands.append(Candidate(r.id, "cue", r.rank, tr.onset_ms, r.cue, r.id, r.severity))
            elif tr.state == CANT_SEE and t_ms - tr.nan_since_ms >= self.cant_see_ms:
                if cant is None or tr.nan_since_ms < cant.nan_since_ms:
                    cant = tr
        if cant is not None:
            idx = hidden_landmark(step.measures, cant.rule.measure, frame, self.visibility_min)
            key = "cant_see:" + (Landmark(idx).key if idx is not None else "body")
            cands.append(Candidate(key, "cant_see", _SETUP_RANK, cant.nan_since_ms, _cant_see_text(cant.rule, idx),
                                   cant.rule.id, "setup"))
        return cands


def cant_see_text(rule: RuleSpec, measures: Sequence[Any], frame: PoseFrame | None,
                  visibility_min: float) -> dict[str, str]:
    """"I can't see your <body part>": the rule's own ``body_part``, else its least visible landmark."""
    idx = None if rule.body_part else hidden_landmark(measures, rule.measure, frame, visibility_min)
    return _cant_see_text(rule, idx)


def _cant_see_text(rule: RuleSpec, idx: int | None) -> dict[str, str]:
    """The text for a rule whose hidden landmark (``hidden_landmark``) is ``idx``."""
    if rule.body_part:
        return fill(ENGINE_TEXT["cant_see_part"], {"part": rule.body_part})
    if idx is None:
        return dict(ENGINE_TEXT["cant_see_body"])
    return fill(ENGINE_TEXT["cant_see_part"], {"part": {lang: body_part_name(idx, lang) for lang in ("nb", "en")}})


def hidden_landmark(measures: Sequence[Any], measure_name: str | None, frame: PoseFrame | None,
                    visibility_min: float) -> int | None:
    """The least visible landmark of a measure (below ``visibility_min``), else its first one.
    A measure derived from others (a rolling maximum, a speed) reads their landmarks."""
    if measure_name is None:
        return None
    by_name = {m.name: m for m in measures}
    lms: tuple[int, ...] = ()
    todo, done = [measure_name], set()
    while todo:
        name = todo.pop()
        m = by_name.get(name)
        if m is None or name in done:
            continue
        done.add(name)
        lms += tuple(getattr(m, "landmarks", ()) or ())
        todo.extend(getattr(m, "depends_on", ()) or ())
    if not lms:
        return None
    if frame is None or not frame.detected:
        return lms[0]
    vis = frame.landmarks[list(lms), VIS]
    vis = np.where(np.isfinite(vis), vis, -1.0)
    k = int(np.argmin(vis))
    return lms[k] if vis[k] < visibility_min else lms[0]
