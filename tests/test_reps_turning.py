"""Reps counted from the person's own movement (``count: turning_points``), on synthetic
measure streams: a stand-in measure reads its value straight from one landmark's x, so each
test sets the exact value per frame. Shallow and deep ranges, slow and fast tempo, offsets of
any size are counted; noise inside the measure's error is not a rep."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from coach.engine import ExerciseEngine
from coach.engine.turning import TurningPoints

from coach.spec import SpecError, load_spec, parse_spec
from tests.signals import TXT, SignalMeasure, factory, frame, t  # noqa: F401
from tests.skeletons import frame_for

SPECS = Path(__file__).resolve().parents[1] / "exercise_specs"


HEAD = """id: demo
names: {nb: Demo, en: Demo}
camera: {view: side, height: floor, placement: {nb: gulv, en: floor}}
sides: none
contraindications: []
"""

# a rep = down and back up (like cat-cow), at least 20 deg; the start position is a setup
# step that is right at once (ready >= 1), so the reps step starts after 1 s
SPEC = f"""
{HEAD}measures:
  ready: {{type: signal, lm: 3, unit: deg}}
  head: {{type: signal, lm: 0, unit: deg}}
phases:
  - {{id: start, kind: setup, stable_s: 1}}
  - {{id: cycles, kind: reps, measure: head, direction: down, count: turning_points, min_amplitude_deg: 20,
      range_fraction: 0.25, min_period_s: 1, min_reps: 3, target_reps: 10, max_reps: 15, idle_end_s: 12}}
rules:
  ready: {{measure: ready, min_deg: 1, severity: setup, phases: [start], cue: {t('get ready')}}}
  too_fast: {{check: rep_period, min_s: 0.5, severity: pace, cue: {t('slower')}}}
  reps_out: {{check: reps_range, severity: count, cue: {t('{reps} reps')}}}
"""

# a rep = up, held at the far end (like the chair lean), peak_min_s 3
HOLD_SPEC = f"""
{HEAD}measures:
  hip: {{type: signal, lm: 0, unit: deg}}
phases:
  - {{id: lean, kind: reps, measure: hip, direction: up, count: turning_points, min_amplitude_deg: 7,
      min_period_s: 2.5, min_reps: 2, target_reps: 3, max_reps: 8, peak_min_s: 3, idle_end_s: 10}}
rules:
  hold_short: {{check: hold_short, severity: count, cue: {t('hold {achieved_s}')}}}
"""


def load(text: str):
    return parse_spec(text, "demo.yaml", stem="demo", check_measures=False)


def run(spec_text: str, values, fps: float = 10.0, t0_ms: float = 0.0, lead_s: float = 1.5, lead_value=None):
    """Feed ``values`` (one per frame) after ``lead_s`` of the start position; returns
    (engine, events)."""
    eng = ExerciseEngine(load(spec_text), measure_factory=factory)
    events = []
    dt = 1000.0 / fps
    first = values[0] if lead_value is None else lead_value
    n_lead = int(lead_s * fps)
    stream = [first] * n_lead + list(values)
    for i, v in enumerate(stream):
        events += eng.update(frame(t0_ms + i * dt, s0=v, s3=5.0))
    events += eng.finish(t0_ms + len(stream) * dt)
    return eng, events


def reps_counted(events) -> list[int]:
    return [e.data["reps"] for e in events if e.kind == "rep" and "state" not in e.data]


def cycles(n: int, low: float, high: float, period_s: float, fps: float = 10.0, rest_s: float = 2.0,
           noise: float = 0.0, seed: int = 0) -> list[float]:
    """Start at ``high`` (rest), n cycles down to ``low`` and back, then rest at ``high``."""
    tt = np.arange(int(n * period_s * fps)) / fps
    mid, amp = (high + low) / 2, (high - low) / 2
    v = mid + amp * np.cos(2 * math.pi * tt / period_s)
    v = np.concatenate([v, np.full(int(rest_s * fps), high)])
    rng = np.random.default_rng(seed)
    return list(v + rng.uniform(-noise, noise, len(v)))


# ----------------------------------------------------------------------------- ranges and tempo

@pytest.mark.parametrize("low,high", [
    (-12.0, 14.0),     # a shallow cat-cow: 26 deg of head travel
    (-85.0, 25.0),     # a deep one: 110 deg
    (40.0, 70.0),      # the same movement read with a large offset (another camera)
    (-60.0, -35.0),    # ... or a negative one
])
def test_reps_counted_for_shallow_and_deep_ranges(low, high):
    _eng, ev = run(SPEC, cycles(10, low, high, 5.0))
    assert reps_counted(ev) == list(range(1, 11))


@pytest.mark.parametrize("period_s,fps", [(10.0, 10.0), (5.0, 24.0), (2.0, 30.0), (2.0, 10.0)])
def test_reps_counted_slow_and_fast(period_s, fps):
    _eng, ev = run(SPEC, cycles(8, -30.0, 20.0, period_s, fps=fps), fps=fps)
    assert reps_counted(ev) == list(range(1, 9))


def test_shallow_reps_after_deep_ones_still_count():
    """The hysteresis follows the person's range, but a rep a third the size of the usual
    ones (still more than the minimum) is a rep."""
    deep = cycles(4, -85.0, 25.0, 6.0, rest_s=0.0)
    shallow = cycles(4, -10.0, 25.0, 6.0)
    _eng, ev = run(SPEC, deep + shallow)
    assert reps_counted(ev) == list(range(1, 9))


# ----------------------------------------------------------------------------- noise

def test_noise_within_the_measure_error_is_not_a_rep():
    """Holding still with noise inside the measure's error (+-6 deg on neck_lift: at most 12
    deg peak to peak, under the 20 deg minimum) counts nothing, however long."""
    rng = np.random.default_rng(3)
    still = list(5.0 + rng.uniform(-6.0, 6.0, 600))    # 60 s at 10 fps
    _eng, ev = run(SPEC, still)
    assert reps_counted(ev) == []


def test_noise_on_real_reps_adds_no_rep():
    _eng, ev = run(SPEC, cycles(10, -20.0, 15.0, 4.0, noise=6.0, seed=5))
    assert reps_counted(ev) == list(range(1, 11))


def test_a_movement_below_the_minimum_is_not_a_rep():
    _eng, ev = run(SPEC, cycles(10, -8.0, 8.0, 4.0))     # 16 deg of travel < 20
    assert reps_counted(ev) == []


# ----------------------------------------------------------------------------- timing

def _lean(hold_s: float, fps: float = 10.0) -> list[float]:
    """Upright 90, lean to 105 in 2 s, hold, back in 2 s, rest 2 s."""
    up = list(np.linspace(90, 105, int(2 * fps)))
    return up + [105.0] * int(hold_s * fps) + up[::-1] + [90.0] * int(2 * fps)


def test_hold_at_the_end_is_timed_from_the_turning_points():
    _eng, ev = run(HOLD_SPEC, _lean(4.0) * 3, lead_value=90.0)
    reps = [e for e in ev if e.kind == "rep" and "state" not in e.data]
    assert len(reps) == 3
    assert all(r.data["peak_s"] >= 4.0 for r in reps)            # never shorter than the real hold
    assert not [e for e in ev if e.kind == "fault" and e.rule_id == "hold_short"]


def test_hold_too_short_at_the_end_of_a_rep():
    _eng, ev = run(HOLD_SPEC, _lean(0.5) * 3, lead_value=90.0)
    reps = [e for e in ev if e.kind == "rep" and "state" not in e.data]
    assert len(reps) == 3 and all(r.data["peak_s"] < 3.0 for r in reps)
    shorts = [e for e in ev if e.kind == "fault" and e.rule_id == "hold_short"]
    assert len(shorts) == 3


def test_a_lean_barely_past_the_minimum_is_counted_but_its_hold_not_judged():
    # 10 deg leans (minimum 7) with the measure's noise of +-2 deg: the time near the far
    # end is timed within 3.5 deg of it, which the noise breaks up. Counted, not judged
    def small(hold_s):
        up = list(np.linspace(90, 100, 20))
        return up + [100.0] * int(hold_s * 10) + up[::-1] + [90.0] * 20
    rng = np.random.default_rng(3)
    vals = [v + rng.uniform(-2, 2) for v in small(0.5) * 3]
    _eng, ev = run(HOLD_SPEC, vals, lead_value=90.0)
    assert len(reps_counted(ev)) == 3
    assert not [e for e in ev if e.kind == "fault" and e.rule_id == "hold_short"]
    # the same short holds on 15 deg leans (twice the minimum and more) are told
    _eng, ev = run(HOLD_SPEC, _lean(0.5) * 3, lead_value=90.0)
    assert len([e for e in ev if e.kind == "fault" and e.rule_id == "hold_short"]) == 3


def test_rep_period_is_from_one_far_end_to_the_next():
    _eng, ev = run(SPEC, cycles(4, -30.0, 20.0, 4.0))
    periods = [e.data["period_s"] for e in ev if e.kind == "rep" and "state" not in e.data][1:]
    assert periods == pytest.approx([4.0] * 3, abs=0.15)


def test_a_rep_under_way_when_the_step_starts_is_counted():
    """The person is already down (a cat) when the start position completes: coming back up
    ends that rep, and it counts."""
    eng = ExerciseEngine(load(SPEC), measure_factory=factory)
    ev = []
    vals = list(np.linspace(20, -40, 15)) + [-40.0] * 5 + list(np.linspace(-40, 20, 15)) + [20.0] * 20
    for i, v in enumerate(vals):             # setup (ready) completes at 1 s, mid-way down
        ev += eng.update(frame(i * 100.0, s0=v, s3=5.0))
    starts = [e for e in ev if e.kind == "phase" and e.data.get("phase") == "cycles" and e.data["state"] == "start"]
    assert starts and starts[0].timestamp_ms <= 1500
    assert reps_counted(ev) == [1]


def _cues(events, text: str) -> list[float]:
    return [e.timestamp_ms for e in events if e.kind == "cue" and e.text and e.text["en"] == f"en {text}"]


def _seen_from(view: str, t_ms: float, s0: float, s3: float):
    """A seated skeleton seen from ``view`` (so the camera check has something to judge),
    whose landmark 0 and 3 x carry the two signals."""
    f = frame_for("seated", view=view, timestamp_ms=t_ms)
    f.landmarks[0, 0] = s0
    f.landmarks[3, 0] = s3
    return f


def _doing_reps_in_the_set_up(view: str):
    eng = ExerciseEngine(load(SPEC), measure_factory=factory)
    ev = []
    vals = cycles(3, -40.0, 20.0, 6.0)       # 20 -> -40 -> 20, three times, from t = 0
    for i, v in enumerate(vals):
        ev += eng.update(_seen_from(view, i * 100.0, v, 0.0))   # ready = 0 < 1: never ready
    ev += eng.finish(len(vals) * 100.0)
    return ev


def test_a_person_already_doing_the_reps_during_the_set_up_is_followed():
    """The set-up never holds still and right (its own rule, which the reps do not judge, is
    out the whole time: like "sit upright" to someone already leaning back over the chair):
    while the person is on the way into a rep that rule is not said, and once a whole rep is
    done the reps begin with that rep counted (SPEC has no timeout: before, they never began)."""
    ev = _doing_reps_in_the_set_up("side")
    starts = [e.timestamp_ms for e in ev if e.kind == "phase" and e.data.get("phase") == "cycles"
              and e.data["state"] == "start"]
    # the first bottom (-40 at 3 s) is confirmed once the head is back up by 20, at -20:
    # -10 + 30 cos(2 pi t / 6) = -20 at t = 4.18 s
    assert len(starts) == 1 and 4100 <= starts[0] <= 4300
    ended = [e for e in ev if e.kind == "phase" and e.data.get("phase") == "start" and e.data["state"] == "end"]
    assert ended and ended[0].data.get("followed") is True
    assert reps_counted(ev) == [1, 2, 3]
    first = next(e for e in ev if e.kind == "rep")
    assert first.timestamp_ms == starts[0]
    # "get ready" would be said at 1 s (persist_s 1); the head passed 20 deg of travel at 1 s
    # too (-10 + 30 cos(2 pi t / 6) = 0 at t = 1.18 s), so: said at most before that
    assert all(t_ms < 1200 for t_ms in _cues(ev, "get ready"))


def test_the_set_up_rule_stays_unsaid_with_a_later_hold_that_can_be_recognised_ahead():
    """The same, in an exercise whose later hold can be recognised ahead (its check runs in
    the same frame and sets what the set-up does not say): "get ready" is still not said
    while the person is on the way into a rep."""
    spec = SPEC.replace(
        "rules:\n",
        "  - {id: after, kind: hold, min_s: 5, target_s: 5, position: [still], recognise_s: 3}\nrules:\n"
        "  still: {measure: ready, min_deg: 50, severity: setup, phases: [after], cue: " + TXT.replace("{x}", "still")
        + "}\n", 1)
    assert spec != SPEC
    for recognisable in (False, True):
        eng = ExerciseEngine(load(spec if recognisable else SPEC), measure_factory=factory)
        ev = []
        # ready at the top for 0.5 s (the set-up needs 1 s), then not ready while going down
        # 60 deg over 3 s and staying there: 20 deg of travel by 1.5 s, "get ready" due at 1.5 s
        vals = [20.0] * 5 + list(np.linspace(20, -40, 30)) + [-40.0] * 50
        for i, v in enumerate(vals):
            ev += eng.update(_seen_from("side", i * 100.0, v, 5.0 if i < 5 else 0.0))
        assert not _cues(ev, "get ready"), recognisable
        assert [e for e in ev if e.kind == "fault" and e.rule_id == "ready"]   # (at fault: not said)


def test_reps_are_not_followed_from_a_camera_that_cannot_see_them():
    """The same movement filmed from the front of a side-view exercise: the camera check
    refuses the view, nothing is followed or counted."""
    ev = _doing_reps_in_the_set_up("front")
    assert any(e.kind == "camera" and e.data["state"] == "unsupported" for e in ev)
    assert not [e for e in ev if e.kind == "phase" and e.data.get("phase") == "cycles"]
    assert reps_counted(ev) == []


def test_a_rep_read_before_the_camera_check_is_not_followed():
    """Before the camera check's verdict (it needs ~1.5 s of frames) the measure may mean
    nothing: a frontal view's first frames read "a lean" out of noise (corpus dev, a chair
    filmed from the front: "a rep" at 1.0 s, then "hold longer"). A rep done before the
    verdict does not end the set-up, even once the view is found to be fine."""
    eng = ExerciseEngine(load(SPEC), measure_factory=factory)
    ev = []
    vals = list(np.linspace(20, -40, 5)) + list(np.linspace(-40, 20, 5)) + [20.0] * 100
    for i, v in enumerate(vals):
        ev += eng.update(_seen_from("side", i * 100.0, v, 0.0))
    assert any(e.kind == "camera" and e.data["state"] == "ok" and e.timestamp_ms > 1000 for e in ev)
    assert not [e for e in ev if e.kind == "phase" and e.data.get("phase") == "cycles"]
    assert reps_counted(ev) == []


def test_a_set_up_rule_is_still_said_to_someone_not_moving_into_a_rep():
    """Not ready and still (or moving less than a rep's minimum): the set-up rule is said,
    and the reps do not begin."""
    eng = ExerciseEngine(load(SPEC), measure_factory=factory)
    ev = []
    vals = cycles(6, -5.0, 10.0, 4.0)        # 15 deg of travel < the 20-deg minimum
    for i, v in enumerate(vals):
        ev += eng.update(_seen_from("side", i * 100.0, v, 0.0))
    assert _cues(ev, "get ready")
    assert not [e for e in ev if e.kind == "phase" and e.data.get("phase") == "cycles"]
    assert reps_counted(ev) == []


def test_the_step_does_not_end_in_the_middle_of_a_slow_rep():
    """idle_end_s after the last rep ends the step only when the person is not on the way to
    the far end of the next one: a slow rep (far end reached after idle_end_s) still counts."""
    slow = _lean(9.0)                    # 15 s per rep, longer than idle_end_s 10
    eng, ev = run(HOLD_SPEC, slow * 3, lead_value=90.0)
    assert reps_counted(ev) == [1, 2, 3]


# ----------------------------------------------------------------------------- the counter

def test_counter_follows_a_start_in_the_middle_of_the_range():
    """Starting mid-range, neither excursion from the start reaches the minimum, but the
    range does: the movement is followed from there."""
    tp = TurningPoints("down", 20.0, 0.25)
    vals = [8, 15, 24, 26, 20, 8, -5, -15, -17, -10, 0, 15, 26, 20, 5, -10, -17, -5, 10, 26]
    turns = [x for i, v in enumerate(vals) if (x := tp.update(i * 250.0, v)) is not None]
    assert tp.reps == 2
    assert [x.kind for x in turns if x.rep] == ["min", "min"]


def test_one_huge_jump_at_the_start_does_not_hide_the_reps_after_it():
    tp = TurningPoints("up", 7.0, 0.25)
    vals = [175.0, 93.0] + [93 + 9 * (1 - math.cos(2 * math.pi * i / 40)) / 2 for i in range(200)]
    for i, v in enumerate(vals):
        tp.update(i * 100.0, v)
    assert tp.reps == 5


# ----------------------------------------------------------------------------- the spec

def test_turning_points_needs_a_minimum_amplitude_in_the_measures_unit():
    bad = SPEC.replace("min_amplitude_deg: 20", "min_amplitude_body: 0.2")
    with pytest.raises(SpecError) as err:
        load(bad)
    assert "min_amplitude_body" in str(err.value) and "min_amplitude_deg" in str(err.value)
    with pytest.raises(SpecError) as err:
        load(SPEC.replace("min_amplitude_deg: 20,", ""))
    assert "min_amplitude_deg" in str(err.value)


def test_turning_points_takes_no_enter_exit():
    with pytest.raises(SpecError) as err:
        load(SPEC.replace("min_amplitude_deg: 20", "min_amplitude_deg: 20, enter_deg: -25, exit_deg: 0"))
    assert "enter_deg" in str(err.value)


def test_every_reps_phase_of_the_exercises_counts_from_turning_points():
    found = []
    for path in sorted(SPECS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for ph in doc.get("phases", []):
            if ph.get("kind") == "reps":
                found.append(path.stem)
                assert ph.get("count") == "turning_points", path.name
                assert not [k for k in ph if k.startswith(("enter_", "exit_"))], path.name
                spec = load_spec(path.stem)
                p = spec.phase(ph["id"])
                assert p.min_amplitude and p.min_amplitude > 0 and p.enter is None and p.exit is None
    assert {"cat_cow", "chair_extension"} <= set(found)
