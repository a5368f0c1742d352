"""Engine logic on hand-made signals: rule hysteresis/debounce, holds, reps, sides, cue choice.

These tests use a stand-in measure (``signal``) that reads its value straight from one
landmark's x column, so each test controls the exact value per frame and the expected
events are derived by hand. The seven real exercises with real measures are covered in
test_exercises.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.engine import (
    CANT_SEE, FAULT, OK, WARNING, Candidate, CueSelector, Event, ExerciseEngine, Program, RuleTracker,
    fill,
)
from coach.pose import N_LANDMARKS, PoseFrame
from coach.spec import RuleSpec, parse_spec
from tests.signals import TXT, SignalMeasure, factory, frame, t  # noqa: F401


# the top of every demo spec below: no sides, or right then left
HEAD = """id: demo
names: {nb: Demo, en: Demo}
camera: {view: side, height: floor, placement: {nb: gulv, en: floor}}
sides: none
contraindications: []
"""
HEAD_SIDES = HEAD.replace("sides: none", "sides: {order: [right, left], switch_cue: {nb: 'Nå {side} side', en: 'Now the {side} side'}}")


HOLD_SPEC = f"""
{HEAD}measures:
  pos: {{type: signal, lm: 0, unit: deg}}
  form: {{type: signal, lm: 1, unit: deg}}
  form2: {{type: signal, lm: 2, unit: deg}}
phases:
  - {{id: hold, kind: hold, min_s: 5, target_s: 10, max_s: 20, position: [in_position], release_s: 1}}
rules:
  in_position: {{measure: pos, min_deg: 50, severity: setup, persist_s: 3, cue: {t('position')}}}
  form_a: {{measure: form, max_deg: 10, hysteresis_deg: 2, persist_s: 0.5, severity: form, cue: {t('A')},
            praise: {t('good A')}}}
  form_b: {{measure: form2, max_deg: 10, persist_s: 0.5, severity: form, cue: {t('B')}}}
  short: {{check: hold_short, severity: count, cue: {t('short {achieved_s}')}}}
  long: {{check: hold_long, severity: count, cue: {t('long')}}}
coaching: {{global_cooldown_s: 2, repeat_s: 6, max_repeats: 2, cant_see_s: 1}}
"""


def load(text: str):
    return parse_spec(text, "demo.yaml", stem="demo", check_measures=False)


def run(engine, frames):
    out = []
    for f in frames:
        out.extend(engine.update(f))
    return out


def kinds(events, kind):
    return [e for e in events if e.kind == kind]


# ----------------------------------------------------------------------------- RuleTracker

def _rule(**kw) -> RuleSpec:
    base = dict(id="r", kind="measure", severity="form", cue={"nb": "x", "en": "x"}, measure="m", unit="deg")
    base.update(kw)
    return RuleSpec(**base)


def test_tracker_needs_persist_before_fault():
    tr = RuleTracker(_rule(max=10.0, persist_s=1.0))
    assert tr.update(0, 12) is None and tr.state == WARNING
    assert tr.update(900, 12) is None and tr.state == WARNING
    assert tr.update(1000, 12) == "fault" and tr.state == FAULT


def test_tracker_hysteresis_keeps_fault_until_well_inside():
    tr = RuleTracker(_rule(max=10.0, hysteresis=2.0, persist_s=0.0))
    assert tr.update(0, 11) == "fault"
    assert tr.update(100, 9) is None and tr.state == FAULT     # 9 > 10 - 2: still a fault
    assert tr.update(200, 7.9) == "cleared" and tr.state == OK


def test_tracker_noise_around_bound_does_not_reset_persist_when_within_hysteresis():
    # true value 11 (> max 10) with +-1.5 noise: dips to 9.5 stay above 10 - 2 -> keeps counting
    tr = RuleTracker(_rule(max=10.0, hysteresis=2.0, persist_s=1.0))
    changes = [tr.update(i * 100, 11 + (1.5 if i % 2 else -1.5)) for i in range(12)]
    assert changes.count("fault") == 1
    assert changes.index("fault") == 11  # i=0 reads 9.5 (inside); first out at i=1, +1000 ms


def test_tracker_nan_is_cant_see_never_fault():
    tr = RuleTracker(_rule(max=10.0, persist_s=0.0))
    for i in range(20):
        assert tr.update(i * 100, math.nan) is None
    assert tr.state == CANT_SEE
    assert tr.update(2100, 5) is None and tr.state == OK


def test_tracker_min_bound():
    tr = RuleTracker(_rule(min=50.0, hysteresis=5.0, persist_s=0.0))
    assert tr.update(0, 49) == "fault"
    assert tr.update(1, 53) is None
    assert tr.update(2, 56) == "cleared"


def test_tracker_owns_its_baseline_and_judges_the_change():
    """relative_to_hold_start_s: the mean over the window is learned first (nothing judged,
    judged_value NaN), then the change from it is judged (value stays the raw measure)."""
    tr = RuleTracker(_rule(max=5.0, persist_s=0.0, baseline_s=1.0))
    assert not tr.baseline.known
    for t_ms, v in ((0, 10.0), (500, 12.0), (900, 14.0)):
        assert tr.judge(t_ms, v, window_start_ms=0.0) is None
        assert tr.value == v and math.isnan(tr.judged_value) and tr.state == OK
    assert tr.judge(1000, 30.0, window_start_ms=0.0) is None    # the window has closed: learned, not judged
    assert tr.baseline.known and tr.baseline.value == pytest.approx(12.0)
    assert tr.judge(1100, 16.0, window_start_ms=0.0) is None and tr.judged_value == pytest.approx(4.0)
    assert tr.judge(1200, 18.0, window_start_ms=0.0) == "fault" and tr.judged_value == pytest.approx(6.0)
    assert tr.value == 18.0
    # nothing learned before the window opens; an absolute rule's baseline is 0 from the start
    other = RuleTracker(_rule(max=5.0, baseline_s=1.0))
    other.judge(0, 10.0, window_start_ms=None)
    assert not other.baseline.known
    assert RuleTracker(_rule(max=5.0)).baseline.value == 0.0


def test_a_baseline_window_that_passed_before_its_first_value_opens_at_that_value():
    """A hold begun before the rule was judged (the person followed into the other side's
    hold, already in its position: the hold's start lies seconds back): the window opens at
    the first value instead of never being learned (the rule judged nothing for the hold)."""
    tr = RuleTracker(_rule(max=5.0, persist_s=0.0, baseline_s=1.0))
    for t_ms, v in ((4000, 10.0), (4500, 12.0), (4900, 14.0)):
        assert tr.judge(t_ms, v, window_start_ms=0.0) is None and math.isnan(tr.judged_value)
    assert tr.judge(5000, 30.0, window_start_ms=0.0) is None
    assert tr.baseline.known and tr.baseline.value == pytest.approx(12.0)
    assert tr.judge(5100, 18.0, window_start_ms=0.0) == "fault" and tr.judged_value == pytest.approx(6.0)


def test_snapshot_has_the_judged_value():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    run(eng, hold_frames(0, 1000, s0=60, s1=12, s2=0))
    status = {r.rule_id: r for r in eng.snapshot().rules}
    assert status["in_position"].value == 60 and status["in_position"].judged_value == 60


def test_timing_constants_come_from_the_spec():
    """A gap between frames counts at most timing.dt_cap_s of hold time (default 1 s)."""
    frames = hold_frames(0, 3000, s0=60, s1=0, s2=0) + hold_frames(5000, 5100, s0=60, s1=0, s2=0)
    held = {}
    for cap in (None, 0.25):
        text = HOLD_SPEC if cap is None else HOLD_SPEC + f"timing: {{dt_cap_s: {cap}}}\n"
        eng = ExerciseEngine(load(text), measure_factory=factory)
        run(eng, frames)
        held[cap] = eng.snapshot().hold_s
    assert held[None] == pytest.approx(2.9 + 1.0, abs=0.01) and held[0.25] == pytest.approx(2.9 + 0.25, abs=0.01)
    assert load(HOLD_SPEC).timing.dt_cap_s == 1.0 and load(HOLD_SPEC).coaching.cant_see_visibility == 0.5


# ----------------------------------------------------------------------------- CueSelector

def cand(key, rank, onset=0.0, **kw):
    return Candidate(key=key, kind=kw.pop("kind", "cue"), rank=rank, onset_ms=onset, text={"en": key, "nb": key},
                     rule_id=key, **kw)


def test_selector_severity_first():
    sel = CueSelector(global_cooldown_s=3, repeat_s=8, max_repeats=2)
    c = sel.choose(0, [cand("form", 2, 0), cand("safety", 0, 50), cand("pace", 3, 0)])
    assert c.key == "safety"


def test_selector_global_and_per_cue_cooldown():
    sel = CueSelector(global_cooldown_s=3, repeat_s=8, max_repeats=5)
    a = [cand("a", 2)]
    assert sel.choose(0, a).key == "a"
    assert sel.choose(2999, a) is None           # global cooldown
    assert sel.choose(3000, a) is None           # per-cue cooldown (8 s)
    assert sel.choose(8000, a).key == "a"


def test_selector_no_flicker_between_two_equal_faults():
    """Two form faults: the first keeps the floor until it has been said max_repeats times."""
    sel = CueSelector(global_cooldown_s=3, repeat_s=8, max_repeats=2)
    both = [cand("a", 2, onset=0), cand("b", 2, onset=100)]
    said = []
    for t_ms in range(0, 40001, 100):
        c = sel.choose(t_ms, both)
        if c:
            said.append((t_ms, c.key))
    # a at 0 and 8000 (2 repeats), then b may speak at 11000 (global gap after 8000), then a at 16000...
    assert said[:3] == [(0, "a"), (8000, "a"), (11000, "b")]
    gaps = [t2 - t1 for (t1, _), (t2, _) in zip(said, said[1:])]
    assert min(gaps) >= 3000


def test_selector_higher_severity_interrupts_current():
    sel = CueSelector(global_cooldown_s=3, repeat_s=8, max_repeats=2)
    assert sel.choose(0, [cand("form", 2)]).key == "form"
    assert sel.choose(3000, [cand("form", 2), cand("safety", 0, 2500)]).key == "safety"


# ----------------------------------------------------------------------------- holds

def hold_frames(t0, t1, step_ms=100, **sig):
    return [frame(ms, **sig) for ms in range(t0, t1, step_ms)]


def test_hold_counts_only_while_form_ok_and_says_paused():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 3000, s0=60, s1=0, s2=0))        # 3 s in position (2.9 s of hold time)
    ev += run(eng, hold_frames(3000, 7000, s0=60, s1=20, s2=0))   # form fault after 0.5 s -> paused
    snap = eng.snapshot()
    assert snap.hold_state == "paused"
    # hold time: 0..3000 ok (2.9 s over 29 frame gaps) + 3000..3500 (fault not yet confirmed: runs)
    assert snap.hold_s == pytest.approx(3.4, abs=0.01)
    paused = [e for e in kinds(ev, "hold") if e.data.get("state") == "paused"]
    assert len(paused) == 1 and paused[0].timestamp_ms == 3500
    assert paused[0].data["reason"] == "form_a"
    # "hold paused" and the correction, said together once: the correction is the fault's cue
    assert paused[0].text["en"] == "Hold paused"
    cues = kinds(ev, "cue")
    assert [c.rule_id for c in cues] == ["form_a"]
    assert cues[0].timestamp_ms == 3500 and cues[0].text["en"] == "en A"
    assert snap.cue == "en A"                                    # the state shows it too
    ev2 = run(eng, hold_frames(7000, 9000, s0=60, s1=5, s2=0))     # fixed (5 < 10 - 2): resumes, praise
    resumed = [e for e in kinds(ev2, "hold") if e.data.get("state") == "resumed"]
    assert [e.timestamp_ms for e in resumed] == [7000]
    assert [e.rule_id for e in kinds(ev2, "praise")] == ["form_a"]
    # each frame credits the gap before it: 7000..8900 = 20 frames x 0.1 s
    assert eng.snapshot().hold_s == pytest.approx(3.4 + 2.0, abs=0.01)


def test_hold_done_then_release_completes_exercise_without_timing_faults():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 11000, s0=60, s1=0, s2=0))
    done = [e for e in kinds(ev, "hold") if e.data.get("state") == "done"]
    assert len(done) == 1 and done[0].timestamp_ms == pytest.approx(10000, abs=1)
    ev += run(eng, hold_frames(11000, 13000, s0=0, s1=0, s2=0))     # leave: release after 1 s
    assert eng.done
    assert not kinds(ev, "cue")
    assert not kinds(ev, "fault")
    assert eng.summary()["holds_s"]["hold"]["-"] == pytest.approx(10.0, abs=0.11)


def test_hold_too_short_on_early_release():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 3000, s0=60, s1=0, s2=0))
    ev += run(eng, hold_frames(3000, 6000, s0=0, s1=0, s2=0))
    faults = kinds(ev, "fault")
    assert [f.rule_id for f in faults] == ["short"]
    assert faults[0].timestamp_ms == 4000             # out at 3000, release_s 1
    assert faults[0].text["en"] == "en short 2.9"
    assert [c.rule_id for c in kinds(ev, "cue")] == ["short"]
    assert eng.done


ENTRY_SPEC = HOLD_SPEC.replace(
    "position: [in_position], release_s: 1}",
    "position: [in_position, crossed], entry_only: [crossed], release_s: 1}",
).replace(
    "  form2: {type: signal, lm: 2, unit: deg}",
    "  form2: {type: signal, lm: 2, unit: deg}\n  cross: {type: signal, lm: 3, unit: deg}",
).replace(
    "  short: {",
    f"  crossed: {{measure: cross, max_deg: 10, severity: setup, persist_s: 1, cue: {t('cross')}}}\n  short: {{",
)


def test_entry_only_position_rule_gets_the_person_in_but_does_not_end_the_hold():
    # the clock waits for the legs crossed (cross inside 10)...
    eng = ExerciseEngine(load(ENTRY_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 2000, s0=60, s1=0, s3=20))
    assert not [e for e in kinds(ev, "hold") if e.data.get("state") == "started"]
    ev = run(eng, hold_frames(2000, 4000, s0=60, s1=0, s2=0, s3=0))
    assert [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "started"] == [2000]
    # ...and once the hold runs, its reading going out (MediaPipe misplacing the far knee)
    # neither pauses nor ends it, and its cue is not said
    ev = run(eng, hold_frames(4000, 13000, s0=60, s1=0, s3=20))
    assert not [e for e in kinds(ev, "hold") if e.data.get("state") in ("paused", "released")]
    assert [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "done"] == [pytest.approx(12000, abs=1)]
    assert not kinds(ev, "cue") and not kinds(ev, "fault")
    # the person leaves by the other position rule
    ev = run(eng, hold_frames(13000, 15000, s0=0, s1=0, s3=20))
    assert eng.done and not kinds(ev, "fault")
    # the same readings without entry_only: the hold ends 1 s after the crossing reads out, too short
    eng = ExerciseEngine(load(ENTRY_SPEC.replace(" entry_only: [crossed],", "")), measure_factory=factory)
    run(eng, hold_frames(0, 4000, s0=60, s1=0, s2=0, s3=0))
    ev = run(eng, hold_frames(4000, 13000, s0=60, s1=0, s3=20))
    assert [f.rule_id for f in kinds(ev, "fault")] == ["short"] and eng.done


def test_entry_only_validation():
    with pytest.raises(Exception, match="entry_only.*must be one of the phase's position rules"):
        load(ENTRY_SPEC.replace("entry_only: [crossed]", "entry_only: [form_a]"))
    with pytest.raises(Exception, match="entry_only.*at least one position rule"):
        load(ENTRY_SPEC.replace("entry_only: [crossed]", "entry_only: [crossed, in_position]"))


def test_hold_too_long():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 22000, s0=60, s1=0, s2=0))
    assert [f.rule_id for f in kinds(ev, "fault")] == ["long"]
    assert kinds(ev, "fault")[0].timestamp_ms == 20100   # first frame > 20 s after the hold began at 0


def test_cant_see_never_gives_form_cue_but_names_body_part():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=60, s1=0, s2=0))
    ev += run(eng, hold_frames(1000, 6000, s0=60, s1=math.nan, s2=0))
    assert not [e for e in ev if e.kind == "cue"]
    cs = kinds(ev, "cant_see")
    assert cs and cs[0].timestamp_ms == 2000            # cant_see_s = 1
    assert "left eye" in cs[0].text["en"]               # landmark 1 = left eye (inner)
    assert eng.snapshot().hold_state == "holding"       # can't see a form rule: the clock goes on


def test_no_person_gives_cant_see_body():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, [PoseFrame.empty(ms, (640, 480)) for ms in range(0, 3000, 100)])
    cs = kinds(ev, "cant_see")
    assert len(cs) == 1 and cs[0].timestamp_ms == 1000
    assert cs[0].text["nb"] == "Jeg ser deg ikke — flytt deg inn i bildet"


def test_replay_is_deterministic():
    frames = hold_frames(0, 3000, s0=60, s1=0, s2=0) + hold_frames(3000, 9000, s0=60, s1=20, s2=30)
    a = [e.to_dict() for e in run(ExerciseEngine(load(HOLD_SPEC), measure_factory=factory), frames)]
    b = [e.to_dict() for e in run(ExerciseEngine(load(HOLD_SPEC), measure_factory=factory), frames)]
    assert a == b and a


def test_two_faults_are_cued_one_at_a_time():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 30000, s0=60, s1=20, s2=20))
    cues = kinds(ev, "cue")
    assert cues[0].rule_id == "form_a"                  # both fault at 500 ms; a listed first (same onset)
    times = [c.timestamp_ms for c in cues]
    assert all(b - a >= 2000 for a, b in zip(times, times[1:]))
    # a twice (max_repeats) before b gets a turn
    assert [c.rule_id for c in cues[:3]] == ["form_a", "form_a", "form_b"]


# ----------------------------------------------------------------------------- reps

REPS_SPEC = f"""
{HEAD}measures:
  bend: {{type: signal, lm: 0, unit: deg}}
phases:
  - {{id: reps, kind: reps, measure: bend, enter_deg: 30, exit_deg: 10, min_period_s: 1.5,
      min_reps: 3, target_reps: 4, max_reps: 5, peak_min_s: 1, idle_end_s: 5}}
rules:
  too_fast: {{check: rep_period, min_s: 4, severity: pace, cue: {t('slower')}}}
  hold_short: {{check: hold_short, severity: count, cue: {t('hold')}}}
  reps_out: {{check: reps_range, severity: count, cue: {t('{reps} of {min_reps}-{max_reps}')}}}
"""


def cycle_signal(t_ms, period_s, amp=40.0):
    """0 -> amp -> 0 per period (cosine)."""
    return amp * 0.5 * (1 - math.cos(2 * math.pi * (t_ms / 1000.0) / period_s))


def test_reps_counted_once_per_noisy_cycle():
    rng = np.random.default_rng(1)
    eng = ExerciseEngine(load(REPS_SPEC), measure_factory=factory)
    frames = []
    for ms in range(0, 20000, 33):   # 4 cycles of 5 s, noise +-6 deg (< the 20 deg hysteresis gap)
        v = cycle_signal(ms, 5.0) + rng.uniform(-6, 6)
        frames.append(frame(ms, s0=v))
    ev = run(eng, frames)
    reps = [e for e in kinds(ev, "rep") if "state" not in e.data]
    assert [e.data["reps"] for e in reps] == [1, 2, 3, 4]
    assert not kinds(ev, "fault")


def test_reps_spikes_do_not_count():
    """Single-frame spikes above enter and below exit within min_period_s are not reps."""
    eng = ExerciseEngine(load(REPS_SPEC), measure_factory=factory)
    vals = [0, 35, 5, 35, 5, 35, 5]   # 100 ms apart: one real crossing, then bounces
    ev = run(eng, [frame(i * 100, s0=v) for i, v in enumerate(vals)])
    assert [e.data["reps"] for e in kinds(ev, "rep")] == [1]


def test_reps_too_fast_and_too_many_and_short_peak():
    eng = ExerciseEngine(load(REPS_SPEC), measure_factory=factory)
    frames = [frame(ms, s0=cycle_signal(ms, 2.0)) for ms in range(0, 12500, 20)]  # 6 fast cycles
    ev = run(eng, frames)
    faults = [e.rule_id for e in kinds(ev, "fault")]
    assert faults.count("too_fast") == 5        # every rep after the first (period 2 s < 4 s)
    assert faults.count("reps_out") == 1        # the 6th rep (> max 5)
    assert "hold_short" not in faults           # peak time above 30 of a 2 s cycle ~ 0.78 s? see next
    # peak: 40*(1-cos)/2 >= 30 <-> cos <= -0.5 -> 1/3 of the period = 0.667 s, but the
    # count happens at <= 10 (cos >= 0.5) -> time from >=30 to <=10 is 1/3 + 2*(1/12)... = 0.667+0.333
    # = 1.0 s of a 2 s period -> exactly at the 1 s limit, so not short.


def test_reps_short_peak_is_hold_too_short():
    eng = ExerciseEngine(load(REPS_SPEC), measure_factory=factory)
    vals = [0] * 5 + [40] * 3 + [0] * 5      # 300 ms above 30 at 100 ms steps -> peak 0.3 s
    ev = run(eng, [frame(i * 100, s0=v) for i, v in enumerate(vals)])
    assert [e.rule_id for e in kinds(ev, "fault")] == ["hold_short"]


def test_reps_too_few_at_finish():
    eng = ExerciseEngine(load(REPS_SPEC), measure_factory=factory)
    ev = run(eng, [frame(ms, s0=cycle_signal(ms, 5.0)) for ms in range(0, 10000, 50)])
    ev += eng.finish(10000)
    assert "reps_out" in [e.rule_id for e in kinds(ev, "fault")]
    last = ev[-1]
    assert last.kind == "exercise" and last.data["state"] == "stopped"
    assert last.data["summary"]["reps"]["reps"]["-"] == 2


def test_reps_count_error_gives_the_count_a_rep_of_doubt():
    """count_error: 1 (the counter is off by a rep now and then): 2 of min 3 is not "too
    few", and the phase ends after idle_end_s as done; 1 of 3 is; 6 of max 5 is not "too
    many", 7 is."""
    spec = REPS_SPEC.replace("max_reps: 5,", "max_reps: 5, count_error: 1,")
    assert spec != REPS_SPEC

    def too_few(n_cycles, text):
        eng = ExerciseEngine(load(text), measure_factory=factory)
        end = int(n_cycles * 5000)
        ev = run(eng, [frame(ms, s0=cycle_signal(ms, 5.0)) for ms in range(0, end, 50)])
        ev += run(eng, [frame(ms, s0=0.0) for ms in range(end, end + 7000, 100)])   # idle_end_s 5
        ev += eng.finish(end + 7000)
        return "reps_out" in [e.rule_id for e in kinds(ev, "fault")], ev[-1].data["state"]

    assert too_few(2, REPS_SPEC)[0]                 # without it: 2 of 3 is too few
    assert too_few(2, spec) == (False, "done")      # with it: within a rep of the minimum, done
    assert too_few(1, spec)[0]

    def too_many(n_cycles, text):
        eng = ExerciseEngine(load(text), measure_factory=factory)
        ev = run(eng, [frame(ms, s0=cycle_signal(ms, 5.0)) for ms in range(0, int(n_cycles * 5000), 50)])
        return [e.rule_id for e in kinds(ev, "fault")].count("reps_out")

    assert too_many(6, REPS_SPEC) == 1 and too_many(6, spec) == 0 and too_many(7, spec) == 1


# ----------------------------------------------------------------------------- sides

SIDES_SPEC = f"""
{HEAD_SIDES}measures:
  ready: {{type: signal, lm: 3, unit: deg}}
  pos: {{type: signal, lm: {{right: 0, left: 1}}, unit: deg}}
phases:
  - {{id: start, kind: setup, stable_s: 1}}
  - {{id: twist, kind: hold, per_side: true, min_s: 3, target_s: 4, position: [in_position], release_s: 0.5,
      cue: {t('{side} knee over')}}}
rules:
  ready: {{measure: ready, min_deg: 1, severity: setup, phases: [start], cue: {t('lie down')}}}
  in_position: {{measure: pos, min_deg: 50, severity: setup, phases: [twist], persist_s: 5, cue: {t('position')}}}
  skipped: {{check: side_skipped, severity: count, cue: {t('{side} skipped')}}}
  short: {{check: hold_short, severity: count, cue: {t('short')}}}
"""


def test_both_sides_with_switch_event():
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))          # setup 1 s stable
    ev += run(eng, hold_frames(1500, 6000, s3=5, s0=60, s1=0))     # right side hold 4 s
    ev += run(eng, hold_frames(6000, 7000, s3=5, s0=0, s1=0))      # back to the middle
    ev += run(eng, hold_frames(7000, 12000, s3=5, s0=0, s1=60))    # left side
    ev += run(eng, hold_frames(12000, 13000, s3=5, s0=0, s1=0))
    assert eng.done
    side_ev = kinds(ev, "side")
    assert len(side_ev) == 1 and side_ev[0].side == "left"
    assert side_ev[0].text == {"nb": "Nå venstre side", "en": "Now the left side"}
    phase_starts = [(e.data["phase"], e.side) for e in kinds(ev, "phase") if e.data["state"] == "start"]
    assert phase_starts == [("start", None), ("twist", "right"), ("twist", "left")]
    starts = [e for e in kinds(ev, "phase") if e.data["state"] == "start"]
    assert starts[1].text["nb"] == "nb høyre knee over" and starts[2].text["en"] == "en left knee over"
    assert not kinds(ev, "fault")
    s = eng.summary()
    assert s["completed"] and s["holds_s"]["twist"]["right"] >= 4 and s["holds_s"]["twist"]["left"] >= 4


def test_side_skipped_at_finish():
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
    ev += run(eng, hold_frames(1500, 6000, s3=5, s0=60, s1=0))
    ev += run(eng, hold_frames(6000, 9000, s3=5, s0=0, s1=0))
    ev += eng.finish(9000)
    faults = kinds(ev, "fault")
    assert [(f.rule_id, f.side) for f in faults] == [("skipped", "left")]
    assert faults[0].text["en"] == "en left skipped"
    assert kinds(ev, "cue")[-1].rule_id == "skipped"


def test_program_runs_exercises_in_order():
    spec = load(SIDES_SPEC)
    prog = Program([spec, load(HOLD_SPEC)], measure_factory=factory)
    ev = []
    for f in hold_frames(0, 1500, s3=5, s0=0, s1=0) + hold_frames(1500, 6000, s3=5, s0=60, s1=0) + \
            hold_frames(6000, 7000, s3=5, s0=0, s1=0) + hold_frames(7000, 12000, s3=5, s0=0, s1=60) + \
            hold_frames(12000, 13000, s3=5, s0=0, s1=0):
        ev += prog.update(f)
    assert prog.index == 1
    ev += prog.finish(13000)
    assert prog.done
    ex = [(e.data["state"]) for e in kinds(ev, "exercise")]
    assert ex == ["start", "done", "start", "stopped"]
    assert [s["exercise_id"] for s in prog.summary()] == ["demo", "demo"]


# ----------------------------------------------------------------------------- misc

def test_event_to_dict_is_jsonable():
    import json
    e = Event(1.0, "cue", "x", "left", "r", "form", {"nb": "a", "en": "b"}, {"v": np.float64(1.23456), "n": math.nan})
    d = json.loads(json.dumps(e.to_dict()))
    assert d["data"] == {"v": 1.2346, "n": None}


def test_fill_translates_side():
    assert fill({"nb": "{side} kne", "en": "{side} knee"}, {"side": "left"}) == {"nb": "venstre kne", "en": "left knee"}


def test_backwards_timestamps_are_ignored():
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    run(eng, hold_frames(0, 2000, s0=60, s1=0, s2=0))
    before = eng.snapshot().hold_s
    assert eng.update(frame(500, s0=60, s1=0, s2=0)) == []
    assert eng.snapshot().hold_s == before


PACE_SPEC = f"""
{HEAD}measures:
  pos: {{type: signal, lm: 0, unit: deg}}
  speed: {{type: signal, lm: 1, unit: deg/s}}
phases:
  - {{id: hold, kind: hold, min_s: 5, target_s: 10, position: [in_position], release_s: 1,
      cue: {t('go')}}}
rules:
  in_position: {{measure: pos, min_deg: 50, severity: setup, persist_s: 3, cue: {t('position')}}}
  too_fast: {{measure: speed, max_deg_s: 30, persist_s: 0.2, severity: pace, cue: {t('slower')}}}
"""


def test_pace_burst_is_said_once_after_it_is_over():
    """A 0.5 s burst of speed while an instruction is being said: said once the gap allows."""
    eng = ExerciseEngine(load(PACE_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=0, s1=80))           # instruction at 0; burst 0..1000
    ev += run(eng, hold_frames(1000, 8000, s0=60, s1=0))
    faults = [e.timestamp_ms for e in kinds(ev, "fault")]
    assert faults == [200]
    cues = kinds(ev, "cue")
    # the phase instruction at 0 and "hold for 10 s" at 1000 (in position) each keep the
    # default 3 s global gap: the burst (over at 1000) is said at 4000
    assert [(c.rule_id, c.timestamp_ms) for c in cues] == [("too_fast", 4000)]


def test_two_bursts_in_one_movement_are_said_once():
    # two 0.4 s bursts 1.5 s apart (MediaPipe's ankle flicker in one fast movement): one cue,
    # not a second one repeat_s later
    eng = ExerciseEngine(load(PACE_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 5000, s0=60, s1=0))
    ev += run(eng, hold_frames(5000, 5400, s0=60, s1=80))
    ev += run(eng, hold_frames(5400, 6900, s0=60, s1=0))
    ev += run(eng, hold_frames(6900, 7300, s0=60, s1=80))
    ev += run(eng, hold_frames(7300, 20000, s0=60, s1=0))
    assert len([e for e in kinds(ev, "fault") if e.rule_id == "too_fast"]) == 2
    assert [c.rule_id for c in kinds(ev, "cue")] == ["too_fast"]


def test_program_skip_reports_and_moves_on():
    prog = Program([load(HOLD_SPEC), load(REPS_SPEC)], measure_factory=factory)
    prog.update(frame(0, s0=60, s1=0, s2=0))
    ev = prog.skip(500)
    assert prog.index == 1 and not prog.done
    assert ev[-1].kind == "exercise" and ev[-1].data["state"] == "stopped"
    ev = prog.update(frame(600, s0=0))
    assert ev[0].kind == "exercise" and ev[0].data["state"] == "start" and ev[0].timestamp_ms == 600
    prog.finish(700)
    assert prog.done and prog.snapshot() is None and len(prog.summary()) == 2


# ----------------------------------------------------------------------------- with the real measures

def test_measure_table_real_spec():
    from coach.engine import measure_table
    from coach.spec import load_spec
    spec = load_spec("lying_twist")
    f = frame(0, s0=0.5)
    f.landmarks[:, 0] = np.linspace(0.2, 0.8, N_LANDMARKS)
    f.landmarks[:, 1] = 0.5 + 0.1 * np.sin(np.arange(N_LANDMARKS))
    header, rows = measure_table(spec, [f, PoseFrame.empty(33.0, (640, 480))])
    assert header[0] == "timestamp_ms"
    assert header[1:] == [f"{n} [{spec.measure_units[n]}]" for n in spec.measure_order]
    assert rows[1] == [33.0] + [""] * len(spec.measure_order)
    assert rows[0][0] == 0.0 and any(isinstance(v, float) for v in rows[0][1:])


def test_engine_on_real_spec_events_are_json_lines():
    import json
    from coach.spec import load_spec
    eng = ExerciseEngine(load_spec("passive_hang"), lang="nb")
    ev = []
    for i in range(100):
        ev += eng.update(PoseFrame.empty(i * 50.0, (640, 480)))
    ev += eng.finish(5000)
    lines = [json.dumps(e.to_dict(), ensure_ascii=False) for e in ev]
    kinds_ = [json.loads(x)["kind"] for x in lines]
    assert kinds_[0] == "exercise" and "cant_see" in kinds_ and kinds_[-1] == "exercise"
    assert eng.snapshot().cue == "Jeg ser deg ikke — flytt deg inn i bildet" or eng.snapshot().cue is None


REL_SPEC = f"""
{HEAD}measures:
  pos: {{type: signal, lm: 0, unit: deg}}
  tilt: {{type: signal, lm: 1, unit: deg}}
  feet: {{type: signal, lm: 2, unit: deg}}
phases:
  - {{id: hold, kind: hold, min_s: 5, target_s: 30, position: [in_position], settle_s: 1, release_s: 1}}
rules:
  in_position: {{measure: pos, min_deg: 50, severity: form, persist_s: 3, cue: {t('position')}}}
  lifted: {{measure: tilt, relative_to_hold_start_s: 1.0, max_deg: 5, persist_s: 0.5, severity: form,
            phases: [hold], cue: {t('lifted')}}}
  crossed: {{measure: feet, only_when: in_position, max_deg: 10, persist_s: 0.5, severity: form,
             cue: {t('cross')}}}
coaching: {{global_cooldown_s: 0.5}}
"""


def test_settle_then_relative_rule_compares_with_the_start_of_the_hold():
    eng = ExerciseEngine(load(REL_SPEC), measure_factory=factory)
    # tilt reads 40 at rest in this camera: in position at 0, settled 1 s -> hold starts at 1000,
    # baseline = mean of 1000..1900 = 40; +4 is fine, +8 is a lift
    ev = run(eng, hold_frames(0, 5000, s0=60, s1=40, s2=0))
    started = [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "started"]
    assert started == [1000]
    ev = run(eng, hold_frames(5000, 8000, s0=60, s1=44, s2=0))
    assert not kinds(ev, "fault")
    ev = run(eng, hold_frames(8000, 10000, s0=60, s1=48, s2=0))
    assert [(e.rule_id, e.timestamp_ms) for e in kinds(ev, "fault")] == [("lifted", 8500)]


def test_only_when_waits_for_the_other_rule():
    eng = ExerciseEngine(load(REL_SPEC), measure_factory=factory)
    # feet apart (20 > 10) while not in position: not judged; once in position it is
    ev = run(eng, hold_frames(0, 2000, s0=0, s1=0, s2=20))
    assert not [e for e in kinds(ev, "fault") if e.rule_id == "crossed"]
    ev = run(eng, hold_frames(2000, 4000, s0=60, s1=0, s2=20))
    # in position at 2000 (settling in it for 1 s counts as in it: the form is judged), judged
    # from 2100, a fault 0.5 s later; the hold begins at 3000, paused
    assert [(e.rule_id, e.timestamp_ms) for e in kinds(ev, "fault")] == [("crossed", 2600)]
    assert eng.snapshot().hold_state == "paused"


# ----------------------------------------------------------------------------- hold ends, sides tried, following ahead

def test_hold_too_short_is_said_at_release_before_the_other_side():
    # 2 s in position then back to the middle: "too short" is about the side just done, so it
    # comes at the release and before "now the left side" (not queued behind it)
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
    ev += run(eng, hold_frames(1500, 3500, s3=5, s0=60, s1=0))
    ev += run(eng, hold_frames(3500, 6000, s3=5, s0=0, s1=0))
    order = [(e.kind, e.rule_id, e.side) for e in ev if e.kind in ("cue", "side")]
    assert order[:2] == [("cue", "short", "right"), ("side", None, "left")]
    short = kinds(ev, "cue")[0]
    assert short.timestamp_ms == 4000                  # out at 3500 + release_s 0.5
    assert kinds(ev, "side")[0].timestamp_ms == 4000


def test_hold_too_short_counts_time_in_position_not_clean_time():
    # 8 s in the position with a form fault most of the time: the clock ran ~1 s, but the
    # person did not let go early -> the form cue, no "hold longer"
    eng = ExerciseEngine(load(HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=60, s1=0, s2=0))
    ev += run(eng, hold_frames(1000, 8000, s0=60, s1=20, s2=0))
    ev += run(eng, hold_frames(8000, 10000, s0=0, s1=0, s2=0))
    assert eng.done
    assert eng.summary()["holds_s"]["hold"]["-"] < 5            # the clean time stays short
    assert "short" not in [e.rule_id for e in kinds(ev, "fault")]
    assert "form_a" in [e.rule_id for e in kinds(ev, "cue")]


def test_hold_too_short_counts_the_settling_in_position():
    # settle_s 2: in the position from 0, the clock starts at 2000. Out at 6000: the clock ran
    # 4 s, under min_s 5, but the person held the position 6 s -> no "hold longer". Out at
    # 4500 instead: 4.5 s in the position -> "hold longer"
    spec = HOLD_SPEC.replace("position: [in_position], release_s: 1}", "position: [in_position], release_s: 1, settle_s: 2}")
    assert spec != HOLD_SPEC
    eng = ExerciseEngine(load(spec), measure_factory=factory)
    ev = run(eng, hold_frames(0, 6000, s0=60, s1=0, s2=0))
    ev += run(eng, hold_frames(6000, 9000, s0=0, s1=0, s2=0))
    assert [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "started"] == [2000]
    assert eng.done and eng.summary()["holds_s"]["hold"]["-"] < 5
    assert "short" not in [e.rule_id for e in kinds(ev, "fault")]
    eng = ExerciseEngine(load(spec), measure_factory=factory)
    ev = run(eng, hold_frames(0, 4500, s0=60, s1=0, s2=0))
    ev += run(eng, hold_frames(4500, 7000, s0=0, s1=0, s2=0))
    assert [f.rule_id for f in kinds(ev, "fault")] == ["short"]


def test_hold_blocked_from_the_start_still_begins_paused_and_can_end():
    spec = HOLD_SPEC.replace(f"form_b: {{measure: form2, max_deg: 10, persist_s: 0.5, severity: form,",
                             f"form_b: {{measure: form2, max_deg: 10, persist_s: 0.5, severity: setup,")
    eng = ExerciseEngine(load(spec), measure_factory=factory)
    assert spec != HOLD_SPEC
    eng_check = load(spec)
    assert eng_check.rules["form_b"].severity == "setup"
    ev = run(eng, hold_frames(0, 1000, s0=0, s1=0, s2=20))         # a set-up fault before the position...
    ev += run(eng, hold_frames(1000, 7000, s0=60, s1=0, s2=20))    # ...and all through it
    holds = [(e.data["state"], e.timestamp_ms) for e in kinds(ev, "hold")]
    assert holds[0][0] == "started" and holds[1][0] == "paused"
    paused = [e for e in kinds(ev, "hold") if e.data.get("state") == "paused"][0]
    assert paused.data["reason"] == "form_b" and paused.text["en"] == "Hold paused"
    # its cue was said before the hold (at 0.5 s): half a second later only "hold paused"
    said = [e.timestamp_ms for e in kinds(ev, "cue") if e.rule_id == "form_b"]
    assert said[0] < paused.timestamp_ms and paused.timestamp_ms not in said
    assert eng.snapshot().hold_s == 0.0
    ev += run(eng, hold_frames(7000, 9000, s0=0, s1=0, s2=20))     # leaves: the hold ends (held ~6 s > min 5)
    assert eng.done
    assert "short" not in [e.rule_id for e in kinds(ev, "fault")]


def test_side_tried_but_never_right_is_not_skipped():
    # left side: the knee comes half way (30 of the 50 needed) and stays: tried, with a fault
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
    ev += run(eng, hold_frames(1500, 6000, s3=5, s0=60, s1=0))
    ev += run(eng, hold_frames(6000, 13500, s3=5, s0=0, s1=0))       # back, resting (> switch_s, 6 s)
    ev += run(eng, hold_frames(13500, 19500, s3=5, s0=0, s1=30))     # half way and more, never in
    ev += eng.finish(19500)
    assert "skipped" not in [e.rule_id for e in kinds(ev, "fault")]


def test_a_side_held_within_the_measures_error_of_its_position_is_not_skipped():
    """The left knee brought to within the measure's error of the position (40 against 50
    with an error of 15: no evidence it is out, so "position" is not said either) before the
    side's first switch_s were over, so no progress toward it is seen: that side was tried,
    not skipped (corpus dev: "remember your right side" to someone who held the knee at a
    true 99 deg against 90 + 11.9 for 30 s). Clearly out (30: past the bound by more than
    the error) and still: skipped."""
    spec = SIDES_SPEC.replace("min_deg: 50, severity: setup", "min_deg: 50, error_deg: 15, severity: form")
    assert spec != SIDES_SPEC
    for left, skipped in ((40, []), (30, [("skipped", "left")])):
        eng = ExerciseEngine(load(spec), measure_factory=factory)
        ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
        ev += run(eng, hold_frames(1500, 6000, s3=5, s0=60, s1=0))          # right side held
        ev += run(eng, hold_frames(6000, 6600, s3=5, s0=0, s1=0))           # released at 6500
        ev += run(eng, hold_frames(6600, 20000, s3=5, s0=0, s1=left))       # the left knee, at once
        ev += eng.finish(20000)
        assert [(f.rule_id, f.side) for f in kinds(ev, "fault") if f.rule_id == "skipped"] == skipped, left


def test_the_first_side_brought_part_way_at_once_was_tried():
    """The first side's knee comes 30 of the 50 needed within its step's first second and
    stays there: that side was tried (its progress is judged from the step's start; only a
    step right after the other side's waits switch_s, while the person comes back from it).
    The left side, never moved, is the only one reminded (corpus dev: "remember your right
    side" after a right knee was pulled to 113 deg against 90 in the first 4 s and held)."""
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
    ev += run(eng, hold_frames(1500, 2000, s3=5, s0=15, s1=0))
    ev += run(eng, hold_frames(2000, 20000, s3=5, s0=30, s1=0))
    ev += eng.finish(20000)
    assert [(f.rule_id, f.side) for f in kinds(ev, "fault") if f.rule_id == "skipped"] == [("skipped", "left")]


def test_side_where_nothing_moved_is_skipped_even_after_the_return_movement():
    # the return from the right side passes through values that look like moving on the
    # left measure; the first seconds of a side are not judged
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
    ev += run(eng, hold_frames(1500, 6000, s3=5, s0=60, s1=0))
    ev += run(eng, hold_frames(6000, 6600, s3=5, s0=0, s1=0))        # released at 6500
    ev += run(eng, hold_frames(6600, 8000, s3=5, s0=0, s1=40))       # a swing on the left measure
    ev += run(eng, hold_frames(8000, 14000, s3=5, s0=0, s1=0))       # then still
    ev += eng.finish(14000)
    assert [(f.rule_id, f.side) for f in kinds(ev, "fault") if f.rule_id == "skipped"] == [("skipped", "left")]


def test_a_slow_return_to_the_middle_is_not_trying_the_other_side():
    # "Gå rolig tilbake til midten": coming back takes 4-6 s; the left measure swings past
    # half way 3.2-5.5 s into the left's step (with switch_s 3 s that counted as trying it)
    eng = ExerciseEngine(load(SIDES_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1500, s3=5, s0=0, s1=0))
    ev += run(eng, hold_frames(1500, 6000, s3=5, s0=60, s1=0))
    ev += run(eng, hold_frames(6000, 6600, s3=5, s0=0, s1=0))        # released at 6500
    ev += run(eng, hold_frames(6600, 9700, s3=5, s0=0, s1=5))
    ev += run(eng, hold_frames(9700, 12000, s3=5, s0=0, s1=35))      # the slow return's swing
    ev += run(eng, hold_frames(11500, 18000, s3=5, s0=0, s1=0))      # then still
    ev += eng.finish(18000)
    assert [(f.rule_id, f.side) for f in kinds(ev, "fault") if f.rule_id == "skipped"] == [("skipped", "left")]


FOLLOW_SPEC = f"""
{HEAD_SIDES}measures:
  one: {{type: signal, lm: {{right: 0, left: 1}}, unit: deg}}
  both: {{type: signal, lm: 2, unit: deg}}
  tucked: {{type: signal, lm: 3, unit: deg}}
  wobble: {{type: signal, lm: 4, unit: deg}}
phases:
  - {{id: one_knee, kind: hold, per_side: true, min_s: 5, target_s: 5, position: [one_in], release_s: 1}}
  - {{id: rock, kind: hold, min_s: 5, target_s: 8, max_s: 12, position: [both_in], release_s: 1,
      recognise_s: 2, recognise_when: [tucked], cue: {t('rock')}}}
rules:
  one_in: {{measure: one, min_deg: 50, severity: form, phases: [one_knee], persist_s: 5, cue: {t('one')}}}
  both_in: {{measure: both, min_deg: 50, severity: form, phases: [rock], persist_s: 5, cue: {t('both')}}}
  tucked: {{measure: tucked, max_deg: 10, severity: form, phases: [rock], persist_s: 5, cue: {t('tuck')}}}
  wobbly: {{measure: wobble, max_deg: 10, severity: form, phases: [rock], persist_s: 0.5, cue: {t('wobbly')}}}
  skipped: {{check: side_skipped, severity: count, cue: {t('{side} skipped')}}}
  short: {{check: hold_short, severity: count, cue: {t('short')}}}
  long: {{check: hold_long, phases: [rock], severity: count, cue: {t('long')}}}
"""


def test_person_going_straight_to_a_later_hold_is_followed_there():
    eng = ExerciseEngine(load(FOLLOW_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=0, s1=0, s2=0, s3=0))
    # both knees in and tucked from 1 s (the one-knee measure reads "in" too)
    ev += run(eng, hold_frames(1000, 4000, s0=60, s1=60, s2=60, s3=0))
    jumped = [e for e in kinds(ev, "phase") if e.data["state"] == "skipped"]
    assert len(jumped) == 1 and jumped[0].timestamp_ms == 3000 and jumped[0].data["to"] == "rock"
    assert eng.snapshot().phase_id == "rock"
    start = [e for e in kinds(ev, "phase") if e.data["state"] == "start" and e.data["phase"] == "rock"][0]
    assert start.text["en"] == "en rock"
    # the time since it was recognised counts: 2 s already, so 6 more reach the 8 s target
    ev += run(eng, hold_frames(4000, 10000, s0=60, s1=60, s2=60, s3=0))
    assert [e for e in kinds(ev, "hold") if e.data.get("state") == "done"][0].timestamp_ms == pytest.approx(9000, abs=1)
    ev += run(eng, hold_frames(10000, 12000, s0=0, s1=0, s2=0, s3=0))
    assert eng.done
    # the one-knee holds were skipped: reminded of at the end, listed in the summary
    assert sorted(f.side for f in kinds(ev, "fault") if f.rule_id == "skipped") == ["left", "right"]
    assert eng.summary()["steps_skipped"] == ["one_knee:right", "one_knee:left"]
    assert "short" not in [f.rule_id for f in kinds(ev, "fault")]


def test_a_side_held_before_moving_on_is_not_reminded():
    # the right knee held 6 s (done), the left knee held 6 s, then both knees before the left
    # hold was released: the left side was tried (held > 5 s before the jump), not skipped
    eng = ExerciseEngine(load(FOLLOW_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 6000, s0=60, s1=0, s2=0, s3=0))       # right done
    ev += run(eng, hold_frames(6000, 8000, s0=0, s1=0, s2=0, s3=0))     # released
    ev += run(eng, hold_frames(8000, 14000, s0=0, s1=60, s2=0, s3=0))   # left knee held 6 s, under way
    ev += run(eng, hold_frames(14000, 17000, s0=0, s1=60, s2=60, s3=0))  # then both knees
    assert eng.snapshot().phase_id == "rock"
    ev += run(eng, hold_frames(17000, 25000, s0=60, s1=60, s2=60, s3=0))
    ev += run(eng, hold_frames(25000, 27000, s0=0, s1=0, s2=0, s3=0))
    assert eng.done
    # the left knee was held 6 s before both knees came: tried, not reminded
    assert [f.side for f in kinds(ev, "fault") if f.rule_id == "skipped"] == []


def test_not_followed_when_the_recognise_rule_is_not_met():
    # both knees read "in" but not tucked (one leg lifted straight instead): stay, no jump
    eng = ExerciseEngine(load(FOLLOW_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 8000, s0=60, s1=0, s2=60, s3=40))
    assert not [e for e in kinds(ev, "phase") if e.data["state"] == "skipped"]
    assert eng.snapshot().phase_id == "one_knee"


def test_recognise_window_needs_to_be_continuous():
    eng = ExerciseEngine(load(FOLLOW_SPEC), measure_factory=factory)
    frames = []
    for k in range(6):   # 1.5 s in, 0.5 s out, repeated: never 2 s in a row
        frames += hold_frames(k * 2000, k * 2000 + 1500, s0=60, s1=0, s2=60, s3=0)
        frames += hold_frames(k * 2000 + 1500, k * 2000 + 2000, s0=60, s1=0, s2=0, s3=0)
    ev = run(eng, frames)
    assert not [e for e in kinds(ev, "phase") if e.data["state"] == "skipped"]


def test_recognise_spec_validation():
    with pytest.raises(Exception, match="recognise_when.*needs recognise_s"):
        load(FOLLOW_SPEC.replace("recognise_s: 2, ", ""))
    with pytest.raises(Exception, match="unknown rule 'nope'"):
        load(FOLLOW_SPEC.replace("recognise_when: [tucked]", "recognise_when: [nope]"))
    with pytest.raises(Exception, match="first phase"):
        load(FOLLOW_SPEC.replace("position: [one_in], release_s: 1}", "position: [one_in], release_s: 1, recognise_s: 2}"))


def test_a_moment_out_of_the_position_pauses_the_clock_without_a_word():
    """Out of the position the clock stops at once, but "Hold paused — get back into the
    position" waits half of release_s: a dip shorter than that (MediaPipe's, or a breath) is
    silent, the clock just runs again; someone who stays out hears it before the hold ends."""
    spec = HOLD_SPEC.replace("release_s: 1}", "release_s: 2}").replace("severity: setup, persist_s: 3,",
                                                                       "severity: setup, persist_s: 0.2,")
    assert spec != HOLD_SPEC
    eng = ExerciseEngine(load(spec), measure_factory=factory)
    ev = run(eng, hold_frames(0, 3000, s0=60, s1=0, s2=0))
    assert [e.data["state"] for e in kinds(ev, "hold")] == ["started"]
    held = eng.snapshot().hold_s
    ev = run(eng, hold_frames(3000, 3600, s0=30, s1=0, s2=0))       # 0.6 s out
    paused = [e for e in kinds(ev, "hold") if e.data.get("state") == "paused"]
    assert len(paused) == 1 and not paused[0].text                    # the clock stops, nothing said
    assert eng.snapshot().hold_s < held + 0.5
    ev = run(eng, hold_frames(3600, 5000, s0=60, s1=0, s2=0))        # back
    resumed = [e for e in kinds(ev, "hold") if e.data.get("state") == "resumed"]
    assert len(resumed) == 1 and not resumed[0].text
    ev = run(eng, hold_frames(5000, 8000, s0=30, s1=0, s2=0))        # out for good
    states = [(e.data["state"], e.timestamp_ms, (e.text or {}).get("en")) for e in kinds(ev, "hold")]
    assert [s for s, _, _ in states] == ["paused", "paused", "released"], states
    (_, t_out, first), (_, t_said, said), (_, t_end, _) = states
    assert first is None and said.startswith("Hold paused") and t_said - t_out == pytest.approx(1000, abs=100)
    assert t_said < t_end


def test_back_in_the_position_with_a_fault_is_not_told_to_get_back_into_it():
    """Out of the position for a moment while a set-up fault (judged in or out of the
    position) starts; back in it, the fault keeps the clock stopped: its cue says why, and
    "get back into the position" is not said to someone who is back in it."""
    spec = HOLD_SPEC.replace("release_s: 1}", "release_s: 2}").replace("severity: setup, persist_s: 3,",
                                                                       "severity: setup, persist_s: 0.2,")
    spec = spec.replace("form_b: {measure: form2, max_deg: 10, persist_s: 0.5, severity: form,",
                        "form_b: {measure: form2, max_deg: 10, persist_s: 0.5, severity: setup,")
    eng = ExerciseEngine(load(spec), measure_factory=factory)
    assert eng.spec.rules["form_b"].severity == "setup"
    run(eng, hold_frames(0, 3000, s0=60, s1=0, s2=0))
    ev = run(eng, hold_frames(3000, 3700, s0=30, s1=0, s2=20))       # out (nothing said yet); B goes wrong
    ev += run(eng, hold_frames(3700, 6000, s0=60, s1=0, s2=20))      # back in, B still at fault
    said = [(e.kind, (e.text or {}).get("en")) for e in ev if e.text]
    assert ("cue", "en B") in said
    assert not [s for s in said if s[1] and s[1].startswith("Hold paused —")], said
    assert eng.snapshot().hold_state == "paused"


# the position rule with a known error (a form rule: its fault needs bound - error): 50, error 15
ERROR_HOLD_SPEC = HOLD_SPEC.replace(
    "in_position: {measure: pos, min_deg: 50, severity: setup,",
    "in_position: {measure: pos, min_deg: 50, error_deg: 15, severity: form,")


def test_a_short_hold_is_not_ended_by_a_reading_dipping_inside_the_measures_error():
    """Corpus dev: a seated turn held at a true 32 deg read 18-22 for 3 s against its bound
    23 (error 15); the hold ended at 6 s with "try to hold for 30 seconds" and the coach
    went on to the other side while the person held on. Out of the position inside the
    measure's error, both of the bound and of where the person held it, is no evidence of
    having left: the clock runs on, nothing is said."""
    assert ERROR_HOLD_SPEC != HOLD_SPEC
    eng = ExerciseEngine(load(ERROR_HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 3000, s0=60, s1=0, s2=0))       # held at 60
    ev += run(eng, hold_frames(3000, 6000, s0=46, s1=0, s2=0))   # 3 s at 46: under 50, 14 from 60
    ev += run(eng, hold_frames(6000, 11000, s0=60, s1=0, s2=0))
    assert not [e for e in kinds(ev, "hold") if e.data.get("state") in ("paused", "released")]
    assert [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "done"] == [pytest.approx(10000, abs=1)]
    assert not kinds(ev, "fault") and not kinds(ev, "cue")


@pytest.mark.parametrize("held, left_to", [(60, 40),    # 20 from where it was held (inside 50 - 15)
                                           (52, 30)])   # past the bound by more than the error
def test_a_short_hold_is_ended_by_leaving_by_more_than_the_error(held, left_to):
    eng = ExerciseEngine(load(ERROR_HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 3000, s0=held, s1=0, s2=0))
    ev += run(eng, hold_frames(3000, 6000, s0=left_to, s1=0, s2=0))
    assert [f.rule_id for f in kinds(ev, "fault")] == ["short"]
    assert kinds(ev, "fault")[0].timestamp_ms == pytest.approx(4000, abs=101)   # out at 3 s, release_s 1
    assert eng.done


def _ramp(t0, t1, v0, v1, step_ms=100):
    n = (t1 - t0) // step_ms
    return [frame(t0 + i * step_ms, s0=v0 + (v1 - v0) * i / n, s1=0, s2=0) for i in range(n)]


def test_a_hold_is_timed_from_arriving_in_the_position_to_beginning_to_leave_it():
    """Corpus dev and the studio: the knee-to-chest rocking was timed from the knees passing
    a right angle on their 4-s way in to passing it on the way out: the good rockings read
    2-3.6 s long. The clock starts once the position's readings are still (the person has
    arrived), and a hold that ends before its target is held until they began to leave."""
    eng = ExerciseEngine(load(ERROR_HOLD_SPEC.replace("target_s: 10, max_s: 20", "target_s: 30, max_s: 40")),
                         measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=0, s1=0, s2=0))
    ev += run(eng, _ramp(1000, 2000, 0, 80))                              # in the bound (50) at ~1.65 s
    ev += run(eng, hold_frames(2000, 20000, s0=80, s1=0, s2=0))          # held 18 s: from 2 to 20 s
    ev += run(eng, _ramp(20000, 24000, 80, 0))                            # out of the bound at 21.5 s
    ev += run(eng, hold_frames(24000, 27000, s0=0, s1=0, s2=0))
    started = [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "started"]
    # not moved by a step (7.5 here: half the error) for still_s (1 s): the ramp's last step
    # (to 80) at 2 s, so from 3 s; not at ~1.65 s, when it crossed the bound
    assert started == [pytest.approx(3000, abs=101)]
    released = [e for e in kinds(ev, "hold") if e.data.get("state") == "released"]
    assert len(released) == 1
    # 3 s to 20 s held (the readings last still at ~20.3 s, before the ramp has come a step
    # down), not to 21.5 s, when they crossed the bound
    assert released[0].data["achieved_s"] == pytest.approx(17.3, abs=0.25)
    assert released[0].data["held_s"] == pytest.approx(17.3, abs=0.25)


def test_a_hold_whose_readings_keep_moving_starts_approach_s_after_reaching_the_position():
    """Someone who keeps moving in the position (rocking) is holding it: the clock starts at
    the latest approach_s (2 s) after they reached it."""
    eng = ExerciseEngine(load(ERROR_HOLD_SPEC.replace("target_s: 10, max_s: 20", "target_s: 30, max_s: 40")),
                         measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=0, s1=0, s2=0))
    rock = [frame(ms, s0=70 + 10 * (-1) ** (ms // 500), s1=0, s2=0) for ms in range(1000, 10000, 100)]
    ev += run(eng, rock)        # in the position from 1 s, moving 20 (a step is 7.5) every 0.5 s
    started = [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "started"]
    assert started == [pytest.approx(3000, abs=101)]


def test_a_done_hold_still_ends_at_the_plain_bound():
    """Once the hold is done (target_s), the dip that would not end it before ends it: the
    person coming back out is not kept waiting for the evidence."""
    eng = ExerciseEngine(load(ERROR_HOLD_SPEC), measure_factory=factory)
    ev = run(eng, hold_frames(0, 11000, s0=60, s1=0, s2=0))      # done at 10 s
    ev += run(eng, hold_frames(11000, 13000, s0=46, s1=0, s2=0))
    assert [e.timestamp_ms for e in kinds(ev, "hold") if e.data.get("state") == "released"] == [pytest.approx(12000, abs=101)]
    assert not kinds(ev, "fault")


def test_the_form_is_judged_while_settling_so_a_hold_with_a_fault_begins_paused():
    """Studio: hands left on the own thighs in the seated turn (settle_s 2, the hand rule's
    persist_s 3): "good — hold for 30 seconds", and 3 s later "hold paused — put your right
    hand on your left knee", 5 s after the person had settled there. Settling in the
    position is being in it: its form is judged, and the hold begins paused, saying why."""
    spec = HOLD_SPEC.replace("position: [in_position], release_s: 1}", "position: [in_position], release_s: 1, settle_s: 2}")
    assert spec != HOLD_SPEC
    eng = ExerciseEngine(load(spec), measure_factory=factory)
    ev = run(eng, hold_frames(0, 1000, s0=0, s1=20, s2=0))        # not in the position yet: no form nagging
    assert not kinds(ev, "cue")
    ev = run(eng, hold_frames(1000, 6000, s0=60, s1=20, s2=0))    # in it from 1 s, settling until 3 s
    cues = [e.timestamp_ms for e in kinds(ev, "cue") if e.rule_id == "form_a"]
    assert cues and cues[0] == pytest.approx(1600, abs=101)        # persist_s 0.5 after settling began
    started = [e for e in kinds(ev, "hold") if e.data.get("state") == "started"]
    assert [e.timestamp_ms for e in started] == [3000] and not started[0].text   # no "good — hold"
    assert eng.snapshot().hold_s == 0.0
