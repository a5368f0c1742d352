"""The exercise engine: smoothed PoseFrames in, events out (rules, phases, holds, reps,
sides, one cue at a time).

    from coach.engine import ExerciseEngine

Split by job:

* :mod:`~coach.engine.rules` — ``RuleTracker``: one rule's value, its ``Baseline`` and
  ok -> warning -> fault -> ok (``rule_value``: the worst of several measures, mirrored);
* :mod:`~coach.engine.phases` — ``Step`` and one state class per phase kind
  (``SetupStep``, ``HoldStep``, ``RepsStep``, ``RestStep``); ``plan_steps`` unrolls the
  spec's phases over the sides;
* :mod:`~coach.engine.cues` — ``CueBoard``: builds every cue candidate, ranks, rate-limits
  (``CueSelector``) and remembers what was said;
* :mod:`~coach.engine.gates` — ``Gates``: may this frame be coached at all (two people
  overlapping, clearly out of the exercise's posture, a camera view the spec does not
  support; rules whose own ``views`` exclude the camera's view rest);
* :mod:`~coach.engine.exercise` — ``ExerciseEngine``: the orchestration (gates -> measures
  -> trackers -> step -> cue board), the snapshot and the summary;
* :mod:`~coach.engine.events`, :mod:`~coach.engine.texts`, :mod:`~coach.engine.program`.

Every timing constant lives in the spec (``coaching:`` for cues, ``timing:`` for following
the person), with its default declared once in :mod:`coach.spec.schema`.

Where the next steps of issue 13 plug in (seams, not behaviour yet):

* **The person's start-position baseline** (``relative_to: start``): a ``Baseline`` can be
  set from outside (``Baseline.capture``). When a ``SetupStep`` completes stable and
  fault-free (``ExerciseEngine.complete`` sees neither ``timed_out`` nor ``followed`` and no tracker at
  fault), the engine would read the step's measure values and ``capture`` them into the
  baselines of the later steps' rules that declare ``relative_to: start``; a rule whose
  baseline is unknown judges nothing, so a set-up that timed out (or ended in a fault)
  simply leaves those rules silent rather than comparing with a faulty start.
* **Rules judged only from declared camera views** (``views:``): done —
  :mod:`~coach.engine.gates` estimates the view in the set-up (and rest) steps; the rules
  it names rest alongside ``Step.unjudged()``.
* **Evidence margins** (a measure's known error): ``RuleTracker.update`` compares the
  judged value with ``lo``/``hi``; a per-rule margin widens those bounds for raising a fault
  (not for clearing it), in the tracker alone, with safety rules asking the most.
* **Following the side the person does** (built): a per-side ``HoldStep`` waiting for its
  position runs a ``SideProbe`` per side (its position rules, plus the phase's
  ``side_from`` measure when the position cannot tell the sides apart, on measures built
  for that side); ``ExerciseEngine._follow_side`` swaps the two sides' runs of steps when
  the person is in the other side's position (never once a hold began), and ``_jump``
  does the same for a per-side step recognised ahead.
* **Reps from direction changes relative to the person's own range** (built):
  ``RepsStep`` with ``count: turning_points`` counts with :class:`coach.engine.turning.
  TurningPoints` (``min_amplitude_<unit>``, ``range_fraction``); the fixed ``enter``/``exit``
  Schmitt trigger remains as ``count: threshold``.
"""

from coach.engine.cues import Candidate, CueBoard, CueSelector
from coach.engine.events import EVENT_KINDS, Event, jsonable
from coach.engine.exercise import EngineError, EngineState, ExerciseEngine, RuleStatus, measure_table
from coach.engine.phases import HoldStep, RepsStep, RestStep, SetupStep, Step, plan_steps
from coach.engine.program import Program
from coach.engine.rules import CANT_SEE, FAULT, OK, WARNING, Baseline, RuleTracker
from coach.engine.texts import SIDE_NAMES, body_part_name, fill, text_params

__all__ = [
    "CANT_SEE", "EVENT_KINDS", "FAULT", "OK", "SIDE_NAMES", "WARNING", "Baseline", "Candidate", "CueBoard",
    "CueSelector", "EngineError", "EngineState", "Event", "ExerciseEngine", "HoldStep", "Program", "RepsStep",
    "RestStep", "RuleStatus", "RuleTracker", "SetupStep", "Step", "body_part_name", "fill", "jsonable",
    "measure_table", "plan_steps", "text_params",
]
