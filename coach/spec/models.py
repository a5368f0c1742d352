"""The validated, immutable spec objects the engine reads: an exercise, its phases and rules (bounds in
the measure's unit, without the unit in the name). The defaults are the document models' (coach.spec.schema)."""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

from coach.spec.schema import UNIT_SUFFIX, CoachingSpec, HoldPhase, MeasureRule, RepsPhase, SetupPhase, TimingSpec
from coach.vocab import SEVERITY_RANK

__all__ = ["UNIT_SUFFIX", "CoachingSpec", "ExerciseSpec", "PhaseSpec", "RuleSpec", "TimingSpec"]


def _default(model: Any, name: str) -> Any:
    """A field's default, declared once in the document models (coach.spec.schema)."""
    return model.model_fields[name].default



@dataclass(frozen=True)
class RuleSpec:
    """One check. ``kind`` is "measure" (value vs bounds) or "timing" (holds, reps, sides)."""

    id: str
    kind: str
    severity: str
    cue: dict[str, str]
    praise: dict[str, str] | None = None
    phases: tuple[str, ...] = ()          # phase ids where it applies; () = every non-rest phase
    # measure rules
    measure: str | None = None
    unit: str | None = None               # the measure's unit ("deg", "body", ...)
    measures: tuple[str, ...] = ()        # all measures of the rule (a list = either side: the worse one counts)
    min: float | None = None
    max: float | None = None
    hysteresis: float = 0.0               # in the measure's unit
    persist_s: float = _default(MeasureRule, "persist_s")
    body_part: dict[str, str] | None = None  # names what "can't see" refers to
    pauses_hold: bool = True              # a fault pauses the hold timer of its phase
    missing_ok: bool = False              # when_missing: ok -> NaN means "nothing to report", not "can't see"
    mirror_on_side: str | None = None     # the value is negated on this side (one bound serves both sides)
    baseline_s: float | None = None       # relative to the mean over the first baseline_s of the hold
    only_when: str | None = None          # judged only while this other rule is OK
    views: tuple[str, ...] = ()           # view classes it is judged from; () = the spec's camera_views
    error: float = 0.0                    # the measure's known error, in its unit (evidence margin)
    relative_to_start: bool = False       # judged as the change from the person's start position
    # timing rules
    check: str | None = None              # one of TIMING_CHECKS
    min_s: float | None = None            # rep_period: shortest calm cycle

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def applies_to(self, phase: "PhaseSpec") -> bool:
        if self.phases:
            return phase.id in self.phases
        return phase.kind != "rest"


@dataclass(frozen=True)
class PhaseSpec:
    id: str
    kind: str                                  # setup | hold | reps | rest
    per_side: bool = False
    cue: dict[str, str] | None = None          # instruction when the phase starts
    names: dict[str, str] | None = None
    # setup
    stable_s: float = _default(SetupPhase, "stable_s")
    timeout_s: float | None = None             # go on after this long even if not all is right
    # hold
    min_s: float | None = None
    target_s: float | None = None
    max_s: float | None = None
    position: tuple[str, ...] = ()             # rules whose OK means "in the position"
    # position rules that only get the person into it: not judged once the hold has begun
    entry_only: tuple[str, ...] = ()
    release_s: float = _default(HoldPhase, "release_s")
    settle_s: float = _default(HoldPhase, "settle_s")                     # in position this long before the hold clock starts
    countdown_s: tuple[float, ...] = ()
    # a later hold the person may go straight to: when its position (+ recognise_when
    # rules) has been OK this long while an earlier step has not started, the coach follows
    recognise_s: float | None = None
    recognise_when: tuple[str, ...] = ()
    # per-side: (measure, min, positive_side): the side whose measure is at least min is the
    # side being done; with positive_side (not None) the measure reads the same for both
    # sides: at least min is that side, at most -min the other
    side_from: tuple[str, float, str | None] | None = None
    # reps
    measure: str | None = None
    direction: str = "up"                      # up: a rep peaks high; down: peaks low
    enter: float | None = None
    exit: float | None = None
    count: str = "threshold"                   # threshold (enter/exit) | turning_points
    min_amplitude: float | None = None         # turning_points: the smallest excursion that is a rep
    range_fraction: float = _default(RepsPhase, "range_fraction")   # turning_points: hysteresis, of the typical excursion
    min_period_s: float = _default(RepsPhase, "min_period_s")
    min_reps: int | None = None
    target_reps: int | None = None
    max_reps: int | None = None
    count_error: int = 0                       # reps the count may be off by: the range cue needs more
    peak_min_s: float | None = None            # shortest hold at the peak of each rep
    idle_end_s: float = _default(RepsPhase, "idle_end_s")                   # reps phase ends after this long without a rep (once min_reps)
    # rest
    duration_s: float | None = None


@dataclass(frozen=True)
class ExerciseSpec:
    id: str
    names: dict[str, str]
    summary: dict[str, str]
    equipment: dict[str, str]
    camera_view: str
    camera_height: str
    camera_placement: dict[str, str]
    sides: tuple[str, ...]                     # () = no sides; else the order, e.g. ("right", "left")
    switch_cue: dict[str, str] | None
    contraindications: tuple[str, ...]
    cautions: tuple[str, ...]
    measures: dict[str, dict]                  # name -> measure spec mapping (for build_measure)
    measure_order: tuple[str, ...]             # dependency order
    measure_units: dict[str, str]
    phases: tuple[PhaseSpec, ...]
    rules: dict[str, RuleSpec]
    coaching: CoachingSpec
    source: str = ""
    profile_label: str | None = None
    timing: TimingSpec = TimingSpec()
    # safety rules a profile loosened, each {rule, field, spec, profile, reason}
    safety_loosened: tuple[dict[str, Any], ...] = ()
    posture: str | None = None                 # lying | seated | standing | hanging | all_fours | kneeling
    camera_views: tuple[str, ...] = ()         # view classes coached from (front | oblique | side); () = any
    camera_max_off_deg: float | None = None    # the estimated view at most this far from camera_view; None = any

    def phase(self, phase_id: str) -> PhaseSpec:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)

    def rules_for(self, phase: PhaseSpec) -> list[RuleSpec]:
        return [r for r in self.rules.values() if r.applies_to(phase)]
