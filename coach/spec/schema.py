"""The spec and profile format as typed models: one model per rule kind and per phase kind,
every field with its type, its declared range, its unit and its default, defined once.

These models are what a physio writes (``min_deg``, ``target_s`` ...): :mod:`coach.spec.
validation` checks a YAML document against them (every mistake one ``file:line: field:
message`` line, all of them listed) and turns it into the engine's immutable objects
(:mod:`coach.spec.models`). :func:`json_schema` exports them for editors
(``exercise_specs/schema.json``; a spec's first line ``# yaml-language-server:
$schema=schema.json`` gives completion and red squiggles in an editor that has the
yaml-language-server). The vocabularies come from :mod:`coach.vocab`; measures stay a closed
vocabulary (:mod:`coach.measures`), never code.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

from coach.vocab import (
    CAMERA_HEIGHTS, CAMERA_VIEWS, CONTRAINDICATIONS, LANGS, POSTURES, SEVERITIES, SIDES, TIMING_CHECKS,
    VIEW_CLASSES,
)

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

# A measure's unit -> the suffix its bounds carry in a rule ("deg" -> min_deg / max_deg),
# and the range a bound (and a hysteresis) in that unit may take.
UNIT_SUFFIX: dict[str, str] = {"deg": "deg", "body": "body", "deg/s": "deg_s", "body/s": "body_s", "s": "s",
                               "ratio": "ratio"}
BOUND_RANGE: dict[str, tuple[float, float]] = {
    "deg": (-180.0, 180.0),        # angles: a joint angle is 0-180, tilts and turns are signed
    "body": (-10.0, 10.0),         # body lengths (torso length or shoulder width)
    "deg_s": (-1000.0, 1000.0),
    "body_s": (-50.0, 50.0),
    "s": (0.0, 600.0),
    "ratio": (0.0, 1.0),
}
UNIT_WORDS = {"deg": "degrees", "body": "body lengths", "deg_s": "degrees per second",
              "body_s": "body lengths per second", "s": "seconds", "ratio": "a fraction 0-1"}
HOLD_MAX_S = 600.0          # no hold, rest or time-out is longer than 10 minutes


def _lit(values: Any) -> Any:
    return Literal[tuple(values)]  # type: ignore[valid-type]


Lang = _lit(LANGS)
Side = _lit(SIDES)
Severity = _lit(SEVERITIES)
Contraindication = _lit(CONTRAINDICATIONS)
ViewClass = _lit(VIEW_CLASSES)
TimingCheck = _lit(TIMING_CHECKS)
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
NonEmpty = Annotated[str, Field(min_length=1)]


def seconds(default: Any = ..., lo: float = 0.0, hi: float = HOLD_MAX_S, doc: str = "") -> Any:
    return Field(default, ge=lo, le=hi, description=doc, json_schema_extra={"unit": "s"})


class Model(BaseModel):
    """Strict: no coercion ("5" is not 5), no unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class Text(Model):
    """A text in both languages; may use {placeholders} (the same ones in both)."""

    nb: NonEmpty
    en: NonEmpty


class PlainText(Text):
    """A text in both languages, without placeholders."""


# --------------------------------------------------------------------------- coaching and timing

class CoachingSpec(Model):
    """When cues are said (all optional; the defaults are the coach's)."""

    global_cooldown_s: float = seconds(3.0, 0.0, 60.0, "no two spoken cues closer than this")
    repeat_s: float = seconds(8.0, 0.5, 600.0, "the same cue again at most this often")
    max_repeats: int = Field(2, ge=1, le=100, description="an unfixed fault keeps the floor for this many repeats; "
                             "after it, its repeats come twice as far apart each time")
    forget_after_repeats: float = Field(4.0, ge=1.0, le=100.0, description="a cue not said for this many repeat_s "
                                        "starts its repeat count afresh")
    cant_see_s: float = seconds(2.0, 0.0, 60.0, "\"I can't see your ...\" after a rule was unseen this long")
    cant_see_visibility: float = Field(0.5, ge=0.0, le=1.0, description="landmarks below this visibility are the "
                                       "ones named in \"I can't see your ...\"")
    oneshot_ttl_s: float = seconds(10.0, 0.5, 600.0, "a one-off cue (hold too short, ...) not said by then is dropped")
    praise_ttl_s: float = seconds(4.0, 0.0, 60.0, "praise for a fixed fault not said by then is dropped")


class TimingSpec(Model):
    """How the coach follows the person in time (all optional; the defaults are the coach's)."""

    dt_cap_s: float = seconds(1.0, 0.05, 10.0, "a gap between frames counts at most this much hold time")
    tried_s: float = seconds(5.0, 0.0, 60.0, "a step held this long before the person went on to a later one "
                             "counts as tried (its side is not reminded)")
    # "Gå rolig tilbake til midten": a slow return takes 4-6 s (the synthetic corpus: 2.5-6 s);
    # at 3 s the return to the middle of dev lying twists counted as trying the next side,
    # so a skipped side was not reminded (dev true joints, lying twist: 9 -> 11 of 12 reminded)
    switch_s: float = seconds(6.0, 0.0, 30.0, "the first seconds of a side right after the other side's are not "
                              "judged for 'tried', nor as a start toward its position: the person is coming back "
                              "from the other side (and after them, until its position readings have been still "
                              "for approach_s)")
    attempt_s: float = seconds(1.0, 0.0, 30.0, "a position rule must stay at least attempt_fraction of the way "
                               "to its bound this long for the side to count as tried")
    # a crossed-leg hold's side shows in the pelvis's roll, which MediaPipe sees grow for
    # seconds after the knees are down (dev: the hold began at 5.3 s, the roll passed its
    # bound after it)
    side_evidence_s: float = seconds(8.0, 0.0, 60.0, "a hold whose side a side_from measure tells may still "
                                     "turn out to be the other side's in its first seconds (its time carries "
                                     "over), unless its own side has been seen")
    # a knee-to-chest rocking timed from the knees passing a right angle on the way in to
    # passing it on the way out counted the 4-s moves in and out as well: good rockings of
    # dev, val and the studio read 1.8-3.6 s long (`coach eval`, holds off by more than 1 s)
    still_s: float = seconds(1.0, 0.0, 10.0, "in a hold without settle_s, the clock starts once the person has "
                             "arrived: in the position and its readings (a rule's with a known error) not moved by "
                             "a step (the larger of its hysteresis and half its error) for this long, at the latest "
                             "approach_s after reaching it; time counted after they last were still, on the way out "
                             "of a hold that ends before its target, is not held (at most approach_s)")
    approach_s: float = seconds(2.0, 0.0, 30.0, "while the person came closer to a position within this long, "
                                "they are on their way: its cues wait")
    idle_s: float = seconds(10.0, 0.0, 60.0, "someone who has not moved since a step began, toward its position or "
                            "away (resting, between sides), hears the step's instruction again after this long, then "
                            "twice as long each time, not its position's correction; its cues also wait this long "
                            "after they last came back out of it (0: no wait, the correction as for anyone)")
    attempt_fraction: float = Field(0.5, ge=0.0, le=1.0, description="how far toward its bound a position rule must "
                                    "come (from the farthest it has been) for the side to count as tried")


# --------------------------------------------------------------------------- top level pieces

class Camera(Model):
    view: _lit(CAMERA_VIEWS) = Field(description="where the camera looks from")  # type: ignore[valid-type]
    height: _lit(CAMERA_HEIGHTS) = Field(description="camera height")  # type: ignore[valid-type]
    placement: PlainText = Field(description="how to place the camera (said during set-up)")
    views: list[ViewClass] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, description="the estimated views (front <= 30 deg < oblique < 60 deg <= side, the "
        "camera's azimuth around the body) the exercise can be coached from; outside them the coach asks to "
        "move the camera and judges nothing (default from view: side -> [side, oblique], front and feet_end -> "
        "[front, oblique], side_or_feet_end -> all)")
    max_off_deg: float | None = Field(
        None, ge=0.0, le=90.0, description="how far the estimated view may lie from `view` (side: from side-on, "
        "90 deg; front and feet_end: from face-on, 0 deg) before the coach asks to move the camera, on top of "
        "`views` (default for side: 43, the placements the coach is checked on, up to 30 deg off, plus the "
        "estimate's p90 error of 13 deg; 38 for a body on the floor (posture lying, all_fours, kneeling), "
        "whose camera the estimate does not read farther off than it is; for the other views: no bound "
        "beyond `views`; 90: no bound)")


class Sides(Model):
    order: list[Side] = Field(min_length=2, max_length=2, description="the order of the sides, e.g. [right, left]")
    switch_cue: Text = Field(description="said between the sides")


class Measure(BaseModel):
    """``{type: <measure type>, <its parameters>}``: checked against coach.measures' closed vocabulary."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
    type: str


# --------------------------------------------------------------------------- phases

class PhaseBase(Model):
    id: Name
    per_side: bool = Field(False, description="repeated for each side (consecutive per-side phases repeat together)")
    cue: Text | None = Field(None, description="said when the phase starts")
    names: PlainText | None = None


class SetupPhase(PhaseBase):
    """Every rule of the phase OK for stable_s before going on."""

    kind: Literal["setup"]
    stable_s: float = seconds(2.0, 0.0, 60.0, "how long every rule must be OK")
    timeout_s: float | None = seconds(None, 1.0, HOLD_MAX_S, "go on after this long anyway (the person has started)")


_SIDE_FROM_BOUNDS = {f"min_{sfx}": (float | None, Field(None, ge=lo, le=hi, json_schema_extra={"unit": sfx},
                                                        description=f"in {UNIT_WORDS[sfx]}"))
                     for sfx, (lo, hi) in BOUND_RANGE.items()}
SideFrom = create_model("SideFrom", __base__=Model, __doc__="A side is being done when this measure, built for "
                        "that side, is at least min_<unit> (and the other side's is not). With positive_side, "
                        "the measure reads the same for both sides and its sign tells them apart: at least "
                        "min_<unit> is positive_side, at most -min_<unit> the other side.",
                        measure=(Name, Field(description="a measure that reads differently on the two sides")),
                        positive_side=(Literal["left", "right"] | None,
                                       Field(None, description="the measure reads the same for both sides: "
                                             "positive says this side, negative the other")),
                        **_SIDE_FROM_BOUNDS)  # type: ignore[call-overload]


class HoldPhase(PhaseBase):
    """A hold: the clock runs while in the position with the form right."""

    kind: Literal["hold"]
    min_s: float = seconds(..., 0.5, HOLD_MAX_S, "shorter than this is 'hold too short'")
    target_s: float = seconds(..., 0.5, HOLD_MAX_S, "'well done' at this many seconds")
    max_s: float | None = seconds(None, 0.5, HOLD_MAX_S, "longer than this is 'too long'")
    position: list[Name] = Field(min_length=1, description="rule ids whose OK means 'in the position'")
    release_s: float = seconds(1.5, 0.1, 30.0, "out of the position this long ends the hold (before target_s: out "
                               "by more than the measure's error)")
    settle_s: float = seconds(0.0, 0.0, 30.0, "in the position this long before the clock starts")
    countdown_s: list[Annotated[float, Field(ge=1.0, le=HOLD_MAX_S)]] = Field(
        [], description="say the seconds left at these points")
    recognise_s: float | None = seconds(None, 0.5, 60.0, "the person doing this later hold already is followed "
                                        "here after this long")
    recognise_when: list[Name] = Field([], description="more rule ids that must be OK to recognise it")
    entry_only: list[Name] = Field([], description="position rules that only get the person into the position: the "
                                   "clock waits for them, and once the hold has begun they are not judged")
    side_from: SideFrom | None = Field(None, description="per-side: what tells the sides apart when the position "
                                       "does not (the person in the other side's position is followed there)")


_REP_BOUNDS = {f"{edge}_{sfx}": (float | None, Field(None, ge=lo, le=hi, description=f"in {UNIT_WORDS[sfx]}",
                                                       json_schema_extra={"unit": sfx}))
               for sfx, (lo, hi) in BOUND_RANGE.items() for edge in ("enter", "exit")}
# count: turning_points -- the smallest excursion that is a rep, in the measure's unit
_REP_AMPLITUDES = {f"min_amplitude_{sfx}": (float | None, Field(None, gt=0.0, le=hi - lo, json_schema_extra={"unit": sfx},
                                                                description=f"count: turning_points: the smallest "
                                                                f"movement that is a rep, in {UNIT_WORDS[sfx]}"))
                   for sfx, (lo, hi) in BOUND_RANGE.items()}


class _RepsFields(PhaseBase):
    kind: Literal["reps"]
    measure: Name = Field(description="the measure a rep moves")
    direction: Literal["up", "down"] = Field("up", description="up: a rep peaks high; down: it peaks low")
    count: Literal["threshold", "turning_points"] = Field(
        "threshold", description="threshold: past enter_<unit> and back past exit_<unit>; turning_points: from the "
        "direction changes of the person's own movement (min_amplitude_<unit>, range_fraction)")
    range_fraction: float = Field(0.25, ge=0.0, lt=1.0, description="count: turning_points: a direction change "
                                  "needs the measure to come back this fraction of the person's typical excursion "
                                  "(at least min_amplitude_<unit>)")
    min_period_s: float = seconds(1.0, 0.0, HOLD_MAX_S, "reps closer than this are not counted")
    min_reps: int | None = Field(None, ge=1, le=1000)
    target_reps: int = Field(ge=1, le=1000)
    max_reps: int | None = Field(None, ge=1, le=1000)
    count_error: int = Field(0, ge=0, le=100, description="reps the count may be off by (the counter's known "
                             "error): \"too few\"/\"too many\" is said only past min_reps/max_reps by more than "
                             "this, and the phase ends once min_reps minus this are counted")
    peak_min_s: float | None = seconds(
        None, 0.0, HOLD_MAX_S, "shortest hold at the peak of each rep (count: turning_points: judged on reps of at "
        "least twice min_amplitude_<unit>; a smaller one is counted, its hold not judged)")
    idle_end_s: float = seconds(8.0, 0.0, HOLD_MAX_S, "the phase ends this long after the last rep (once min_reps)")


RepsPhase = create_model("RepsPhase", __base__=_RepsFields, __doc__="Reps: the measure goes past enter_<unit> and "
                         "back past exit_<unit> (the gap is the hysteresis), or (count: turning_points) a rep is "
                         "each excursion of at least min_amplitude_<unit> into the rep's direction and back.",
                         **_REP_BOUNDS, **_REP_AMPLITUDES)  # type: ignore[call-overload]


class RestPhase(PhaseBase):
    kind: Literal["rest"]
    duration_s: float = seconds(..., 0.5, HOLD_MAX_S, "the pause")


PHASE_MODELS: dict[str, type[PhaseBase]] = {"setup": SetupPhase, "hold": HoldPhase, "reps": RepsPhase,
                                            "rest": RestPhase}
Phase = Annotated[Union[SetupPhase, HoldPhase, RepsPhase, RestPhase], Field(discriminator="kind")]  # type: ignore[valid-type]


# --------------------------------------------------------------------------- rules

class RuleBase(Model):
    severity: Severity = Field(description="safety > setup > form > pace > count: the order cues are chosen in")
    cue: Text = Field(description="said while it is at fault")
    praise: Text | None = Field(None, description="said once when a spoken fault is fixed")
    phases: list[Name] | None = Field(None, min_length=1, description="phase ids where it applies (default: all "
                                      "but rest)")


_RULE_BOUNDS: dict[str, Any] = {}
for _sfx, (_lo, _hi) in BOUND_RANGE.items():
    for _edge in ("min", "max"):
        _RULE_BOUNDS[f"{_edge}_{_sfx}"] = (float | None, Field(None, ge=_lo, le=_hi, json_schema_extra={"unit": _sfx},
                                                               description=f"{_edge} bound in {UNIT_WORDS[_sfx]}"))
    _RULE_BOUNDS[f"hysteresis_{_sfx}"] = (float | None, Field(None, ge=0.0, le=(_hi - _lo) / 4,
                                                                json_schema_extra={"unit": _sfx},
                                                                description="a fault clears only once this far back "
                                                                "inside the bounds"))
    _RULE_BOUNDS[f"error_{_sfx}"] = (float | None, Field(None, ge=0.0, le=(_hi - _lo) / 4,
                                                           json_schema_extra={"unit": _sfx},
                                                           description="the measure's known error (p95 of |pose "
                                                           "model - true joints| on dev data): a form fault needs "
                                                           "the value this far beyond its bound, a safety fault 1.5 "
                                                           "times as far (clearing keeps the plain bound)"))


class _MeasureRuleFields(RuleBase):
    measure: Name | Annotated[list[Name], Field(min_length=1)] = Field(
        description="a measure name, or a list (the worse value counts)")
    persist_s: float = seconds(1.0, 0.0, 60.0, "out of bounds this long before it is a fault")
    body_part: PlainText | None = Field(None, description="names what \"I can't see your ...\" refers to")
    pauses_hold: bool | None = Field(None, description="a fault pauses the hold clock (default: true, false for "
                                     "pace and count)")
    when_missing: Literal["cant_see", "ok"] = Field("cant_see", description="ok: no value means nothing to report")
    mirror_on_side: Side | None = Field(None, description="the value is negated on this side")
    relative_to_hold_start_s: float | None = seconds(None, 0.1, 30.0, "bounds apply to the change from the mean "
                                                     "over the first N s of the hold (with relative_to: start: only "
                                                     "when the start position was never seen stable and fault-free)")
    only_when: Name | None = Field(None, description="judged only while this other rule is OK")
    views: list[ViewClass] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, description="the estimated views it can be judged from (default: the camera's views); "
        "from another view it is not judged and says nothing")
    relative_to: Literal["start"] | None = Field(None, description="start: bounds apply to the change from what "
                                                 "this person showed in the start position (captured when the "
                                                 "set-up step completes stable and fault-free; without it the rule "
                                                 "judges nothing, or falls back to relative_to_hold_start_s)")


MeasureRule = create_model("MeasureRule", __base__=_MeasureRuleFields,
                           __doc__="A measure compared with bounds in its unit (min_<unit>, max_<unit>).",
                           **_RULE_BOUNDS)  # type: ignore[call-overload]


class TimingRule(RuleBase):
    """A check on holds, reps and sides."""

    check: TimingCheck
    min_s: float | None = seconds(None, 0.1, HOLD_MAX_S, "rep_period: the shortest calm cycle")


def _rule_kind(v: Any) -> str | None:
    if isinstance(v, dict):
        return "timing" if "check" in v and "measure" not in v else ("measure" if "measure" in v else None)
    return "measure" if isinstance(v, BaseModel) and hasattr(v, "measure") else (
        "timing" if isinstance(v, BaseModel) else None)


Rule = Annotated[
    Union[Annotated[MeasureRule, Tag("measure")], Annotated[TimingRule, Tag("timing")]],  # type: ignore[valid-type]
    Discriminator(_rule_kind, custom_error_type="rule_kind",
                  custom_error_message="missing required field 'measure' (or 'check' for a timing rule)"),
]


# --------------------------------------------------------------------------- the spec

def _sides_kind(v: Any) -> str:
    return "none" if isinstance(v, str) else "sides"


class ExerciseDoc(Model):
    """One exercise: ``exercise_specs/<id>.yaml``."""

    model_config = ConfigDict(title="coach exercise spec")

    id: Name | None = Field(None, description="must equal the file name if given")
    names: PlainText
    summary: PlainText | None = None
    equipment: PlainText | None = None
    camera: Camera
    posture: _lit(POSTURES) | None = Field(None, description="skeletons that cannot be in it are rejected")  # type: ignore[valid-type]
    sides: Annotated[Union[Annotated[Literal["none"], Tag("none")], Annotated[Sides, Tag("sides")]],
                     Discriminator(_sides_kind)] = Field(description="none, or the order of the sides")
    contraindications: list[Contraindication]
    cautions: list[Contraindication] = []
    measures: dict[str, Measure] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)
    rules: dict[str, Rule]
    coaching: CoachingSpec = CoachingSpec()
    timing: TimingSpec = TimingSpec()


# --------------------------------------------------------------------------- profiles

# What a profile may change: the numbers, never the structure (position, measures, texts).
PHASE_TUNABLE = ("stable_s", "timeout_s", "min_s", "target_s", "max_s", "release_s", "settle_s", "min_period_s",
                 "min_reps", "target_reps", "max_reps", "peak_min_s", "idle_end_s", "duration_s",
                 "range_fraction", *_REP_BOUNDS, *_REP_AMPLITUDES)


def _optional_fields(models: list[type[BaseModel]], names: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        for m in models:
            f = m.model_fields.get(name)
            if f is not None:
                ann = f.annotation
                info = Field(None, ge=_meta(f, "ge"), le=_meta(f, "le"), description=f.description,
                             json_schema_extra=f.json_schema_extra)
                out[name] = (ann | None, info)
                break
    return out


def _meta(f: Any, key: str) -> Any:
    for m in f.metadata:
        if hasattr(m, key):
            return getattr(m, key)
    return None


class LoosenSafety(Model):
    """A physiotherapist's explicit, reasoned decision to loosen a safety rule for this person."""

    reason: NonEmpty = Field(description="why (shown in coach explain and in every report)")


_RuleOverrideBase = create_model(
    "_RuleOverrideBase", __base__=Model,
    **_optional_fields([MeasureRule, TimingRule], ["persist_s", "min_s", *_RULE_BOUNDS]))  # type: ignore[call-overload]


class RuleOverride(_RuleOverrideBase):  # type: ignore[misc, valid-type]
    enabled: bool | None = Field(None, description="false: switch the rule off")
    loosen_safety: LoosenSafety | None = Field(None, description="needed to loosen a safety rule")


PhaseOverride = create_model(
    "PhaseOverride", __base__=Model,
    **_optional_fields(list(PHASE_MODELS.values()), PHASE_TUNABLE))  # type: ignore[call-overload]
CoachingOverride = create_model("CoachingOverride", __base__=Model,
                                **_optional_fields([CoachingSpec], CoachingSpec.model_fields))  # type: ignore[call-overload]
TimingOverride = create_model("TimingOverride", __base__=Model,
                              **_optional_fields([TimingSpec], TimingSpec.model_fields))  # type: ignore[call-overload]


class ExerciseOverride(Model):
    rules: dict[str, RuleOverride] = {}
    phases: dict[str, PhaseOverride] = {}  # type: ignore[valid-type]
    hold: PhaseOverride | None = Field(None, description="every hold phase")  # type: ignore[valid-type]
    reps: PhaseOverride | None = Field(None, description="every reps phase")  # type: ignore[valid-type]
    coaching: CoachingOverride | None = None  # type: ignore[valid-type]
    timing: TimingOverride | None = None  # type: ignore[valid-type]


class ProfileDoc(Model):
    """A physio's profile: per-person overrides of the specs' numbers."""

    model_config = ConfigDict(title="coach physio profile")

    patient: NonEmpty
    note: NonEmpty | None = None
    exercises: dict[str, ExerciseOverride]


# --------------------------------------------------------------------------- JSON Schema

def json_schema() -> dict[str, Any]:
    """One JSON Schema for both file kinds (a spec or a profile), for editors."""
    spec = ExerciseDoc.model_json_schema(ref_template="#/$defs/{model}")
    prof = ProfileDoc.model_json_schema(ref_template="#/$defs/{model}")
    defs = {**spec.pop("$defs", {}), **prof.pop("$defs", {})}
    defs["ExerciseDoc"] = spec
    defs["ProfileDoc"] = prof
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "coach exercise spec or physio profile",
        "description": "Generated from coach/spec/schema.py by `coach check-spec --write-schema`; do not edit.",
        "anyOf": [{"$ref": "#/$defs/ExerciseDoc"}, {"$ref": "#/$defs/ProfileDoc"}],
        "$defs": dict(sorted(defs.items())),
    }


# --------------------------------------------------------------------------- schema.md

REFERENCE_BEGIN = "<!-- generated: coach check-spec --write-schema (from coach/spec/schema.py); do not edit below -->"
_REFERENCE_MODELS: tuple[tuple[str, Any], ...] = (
    ("Top level", ExerciseDoc), ("camera", Camera), ("sides", Sides), ("setup phase", SetupPhase),
    ("hold phase", HoldPhase), ("reps phase", RepsPhase), ("rest phase", RestPhase),
    ("measure rule", MeasureRule), ("timing rule", TimingRule), ("coaching", CoachingSpec), ("timing", TimingSpec),
    ("profile", ProfileDoc), ("profile: exercises.<id>", ExerciseOverride), ("profile: a rule", RuleOverride),
    ("profile: loosen_safety", LoosenSafety),
)


def _type_text(ann: Any) -> str:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _type_text(typing.get_args(ann)[0])
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(ann))
    if origin in (Union, types.UnionType):
        parts = [_type_text(a) for a in typing.get_args(ann) if a is not type(None)]
        return " or ".join(parts)
    if origin is list:
        return f"list of {_type_text(typing.get_args(ann)[0])}"
    if origin is dict:
        return f"mapping name → {_type_text(typing.get_args(ann)[1])}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return {"Text": "text", "PlainText": "text (no placeholders)"}.get(ann.__name__, ann.__name__)
    return {str: "text", float: "number", int: "whole number", bool: "true/false"}.get(ann, str(ann))


def _range_text(f: Any) -> str:
    lo, hi = _meta(f, "ge"), _meta(f, "le")
    unit = (f.json_schema_extra or {}).get("unit") if isinstance(f.json_schema_extra, dict) else None
    if lo is None and hi is None:
        return ""
    rng = f"{lo:g} – {hi:g}" if lo is not None and hi is not None else (f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}")
    return rng + (f" {unit}" if unit and unit != "s" else (" s" if unit == "s" else ""))


def markdown_reference() -> str:
    """Every field of every model: type, range and unit, default, meaning (schema.md's last part)."""
    from pydantic_core import PydanticUndefined

    out = [REFERENCE_BEGIN, "", "## Field reference", "",
           "Every field with its type, its allowed range and unit, and its default (— = required or none). "
           "A profile's fields have the ranges of the spec fields they override.", ""]
    for title, model in _REFERENCE_MODELS:
        out += [f"### {title}", "", "| field | type | range | default | meaning |", "|---|---|---|---|---|"]
        for name, f in model.model_fields.items():
            if f.default is PydanticUndefined:
                default = "required"
            elif f.default is None or isinstance(f.default, (list, dict, BaseModel)):
                default = "—"
            else:
                default = f"`{f.default}`"
            doc = (f.description or "").replace("|", "\\|")
            out.append(f"| `{name}` | {_type_text(f.annotation)} | {_range_text(f)} | {default} | {doc} |")
        out.append("")
    return "\n".join(out)
