"""The exercise engine: smoothed PoseFrames in, events out (rules, phases, holds, reps,
sides, one cue at a time). See :mod:`coach.engine.exercise`.

    from coach.engine import ExerciseEngine
"""

from coach.engine.events import EVENT_KINDS, Event, jsonable
from coach.engine.exercise import (
    CANT_SEE, FAULT, OK, WARNING, Candidate, CueSelector, EngineError, EngineState, ExerciseEngine, RuleStatus,
    RuleTracker, measure_table, plan_steps,
)
from coach.engine.program import Program
from coach.engine.texts import SIDE_NAMES, body_part_name, fill, text_params

__all__ = [
    "CANT_SEE", "EVENT_KINDS", "FAULT", "OK", "SIDE_NAMES", "WARNING", "Candidate", "CueSelector", "EngineError",
    "EngineState", "Event", "ExerciseEngine", "Program", "RuleStatus", "RuleTracker", "body_part_name", "fill",
    "jsonable", "measure_table", "plan_steps", "text_params",
]
