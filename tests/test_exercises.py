"""The seven exercise specs, end to end through the real measures and the engine.

Landmark sequences come from the kinematic model in test_exercises_kinematics.py (joints
placed for each pose, interpolated over time, projected by a camera like the spec's, with
~1 px noise). For each exercise: a good-form run through set-up, holds or reps and both
sides gives no cue and no fault and completes; faulty runs give the right rule's fault
within ``persist_s`` (+ 0.25 s) of the pose going wrong and its spoken cue within 1 s of
that fault.

Run ``python tests/test_exercises.py`` for the per-frame cost of the engine per exercise.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_exercises_kinematics import clip  # noqa: E402

from coach.engine import ExerciseEngine  # noqa: E402
from coach.spec import load_spec  # noqa: E402

FPS = 20.0


def run(exercise: str, keys, seed: int = 0, finish: bool = True, **kw):
    spec = load_spec(exercise)
    eng = ExerciseEngine(spec, lang="en")
    frames = clip(exercise, keys, fps=FPS, seed=seed, **kw)
    events = []
    for f in frames:
        events.extend(eng.update(f))
    if finish:
        events.extend(eng.finish(frames[-1].timestamp_ms))
    return eng, events


def of_kind(events, kind):
    return [e for e in events if e.kind == kind]


def assert_clean(eng, events):
    faults = [(round(e.timestamp_ms), e.rule_id) for e in of_kind(events, "fault")]
    cues = [(round(e.timestamp_ms), e.rule_id, e.kind) for e in events if e.kind in ("cue", "cant_see")]
    assert faults == [] and cues == []
    assert eng.summary()["completed"], eng.summary()


def assert_caught(exercise, events, rule_id, fault_at_s, cue_within_s=1.0):
    """The rule faults within its persist_s (+0.25 s) of the pose going wrong, and is spoken within 1 s."""
    rule = load_spec(exercise).rules[rule_id]
    t0 = fault_at_s * 1000.0
    faults = [e for e in of_kind(events, "fault") if e.rule_id == rule_id and e.timestamp_ms >= t0 - 1]
    assert faults, f"no {rule_id} fault; faults: {[(round(e.timestamp_ms), e.rule_id) for e in of_kind(events, 'fault')]}"
    f = faults[0]
    if rule.kind == "measure":
        assert f.timestamp_ms - t0 <= (rule.persist_s + 0.25) * 1000.0, (rule_id, f.timestamp_ms - t0)
    cues = [e for e in of_kind(events, "cue") if e.rule_id == rule_id and e.timestamp_ms >= f.timestamp_ms]
    assert cues, f"{rule_id} never spoken; cues: {[(round(e.timestamp_ms), e.rule_id) for e in of_kind(events, 'cue')]}"
    assert cues[0].timestamp_ms - f.timestamp_ms <= cue_within_s * 1000.0
    # nothing was said before the fault
    early = [e.rule_id for e in of_kind(events, "cue") if e.timestamp_ms < t0]
    assert early == [], early
    return f, cues[0]


def osc(t0, t1, period_s, make, side, steps_per_period=8):
    """Key frames for an oscillation: make(phase in [0, 1)) -> params."""
    keys = []
    n = int((t1 - t0) / period_s * steps_per_period)
    for i in range(n + 1):
        t = t0 + i * period_s / steps_per_period
        keys.append((t, make((i % steps_per_period) / steps_per_period), side))
    return keys


# ============================================================================ lying_twist

LT_T = {"knee": 1, "across_deg": 80, "hand": 1, "head_deg": 70}


def lt_keys(fault=None, fault_at=15.0, sides=("right", "left"), hold=34.0):
    keys = [(0.0, {}, "right"), (3.0, {}, "right")]
    t = 3.0
    for side in sides:
        keys += [(t, {}, side), (t + 4, LT_T, side)]
        if fault and side == "right":
            keys += [(fault_at, LT_T, side), (fault_at + 0.3, {**LT_T, **fault}, side),
                     (t + 4 + hold, {**LT_T, **fault}, side)]
        else:
            keys += [(t + 4 + hold, LT_T, side)]
        keys += [(t + 8 + hold, {}, side)]
        t = t + 9 + hold
    return keys


def test_lying_twist_good_form_both_sides():
    eng, ev = run("lying_twist", lt_keys())
    assert_clean(eng, ev)
    holds = eng.summary()["holds_s"]["twist"]
    assert holds["right"] >= 30 and holds["left"] >= 30
    assert [e.side for e in of_kind(ev, "side")] == ["left"]


@pytest.mark.parametrize("rule_id,fault", [
    ("shoulder_lifting", {"lift": 0.15}),       # the far shoulder, compared with the start of the hold
    pytest.param("head_not_turned", {"head_deg": 0}, marks=pytest.mark.xfail(
        strict=True, reason="facing the ceiling reads ~0.28, under 0.2 + its error 0.17: MediaPipe's nose and "
        "ears cannot tell a turned head (evidence before a cue)")),       # still facing the ceiling
])
def test_lying_twist_faults(rule_id, fault):
    eng, ev = run("lying_twist", lt_keys(fault), finish=False)
    assert_caught("lying_twist", ev, rule_id, 15.3)


def test_lying_twist_hold_pauses_while_shoulder_lifts():
    # shoulder lifted from 15.3 s to 25 s of the right hold (which starts ~3 s settle after the
    # knee is over): the clock stops meanwhile
    keys = [(0.0, {}, "right"), (3.0, {}, "right"), (7.0, LT_T, "right"), (15.0, LT_T, "right"),
            (15.3, {**LT_T, "lift": 0.15}, "right"), (25.0, {**LT_T, "lift": 0.15}, "right"),
            (25.3, LT_T, "right"), (40.0, LT_T, "right")]
    eng, ev = run("lying_twist", keys, finish=False)
    hold = [e for e in of_kind(ev, "hold") if e.side == "right"]
    states = [e.data["state"] for e in hold]
    assert states[:3] == ["started", "paused", "resumed"]
    paused, resumed = hold[1], hold[2]
    assert paused.data["reason"] == "shoulder_lifting"
    said = [e for e in of_kind(ev, "cue") if e.timestamp_ms == paused.timestamp_ms]   # the pause says why
    assert paused.text["en"] == "Hold paused" and [e.rule_id for e in said] == ["shoulder_lifting"]
    assert said[0].text["en"].startswith("Keep both shoulders on the floor")
    assert 15300 < paused.timestamp_ms <= 15300 + 1250
    assert 25000 < resumed.timestamp_ms <= 25300 + 600
    started = hold[0].timestamp_ms
    # at 40 s (before the 30 s target is reached): time since start minus the paused stretch
    expect = (40000 - started - (resumed.timestamp_ms - paused.timestamp_ms)) / 1000.0
    assert eng.snapshot().hold_s == pytest.approx(expect, abs=0.15)
    assert [e.rule_id for e in of_kind(ev, "praise")] == ["shoulder_lifting"]


def test_lying_twist_side_skipped_and_short_hold():
    eng, ev = run("lying_twist", lt_keys(sides=("right",), hold=15.0))
    faults = [(e.rule_id, e.side) for e in of_kind(ev, "fault")]
    assert ("hold_too_short", "right") in faults
    assert ("side_skipped", "left") in faults


def test_lying_twist_too_fast():
    # after a 35 s hold the knee is thrown back to the middle in 0.5 s
    keys = [(0.0, {}, "right"), (2.0, {}, "right"), (6.0, LT_T, "right"), (40.0, LT_T, "right"),
            (40.5, {}, "right"), (44.0, {}, "right")]
    eng, ev = run("lying_twist", keys, finish=False)
    # the speed is averaged over 0.5 s (window_s) of the gap's 1 s running median (which
    # ignores MediaPipe's ankle-label flicker): allow half of each on top of persist_s
    assert_caught("lying_twist", ev, "too_fast", 40.0 + 0.25 + 0.5)


def test_lying_twist_cant_see_instead_of_form_cue():
    """The far shoulder hidden (low visibility) during the hold: a can't-see cue, no shoulder cue."""
    keys = [(0.0, {}, "right"), (3.0, {}, "right"), (7.0, LT_T, "right"), (30.0, LT_T, "right")]
    eng, ev = run("lying_twist", keys, finish=False, hidden_between=(12.0, 31.0, ("left_shoulder",)))
    assert not [e for e in of_kind(ev, "cue") if e.rule_id == "shoulder_lifting"]
    cs = of_kind(ev, "cant_see")
    assert cs and cs[0].timestamp_ms <= 12000 + 2000 + 100
    assert "left shoulder" in cs[0].text["en"] and "venstre skulder" in cs[0].text["nb"]
    assert eng.snapshot().hold_state == "paused"


def test_lying_twist_foot_behind_the_body_rated_dim_keeps_the_hold_running():
    """The foot brought across lies behind the body from the side: MediaPipe rates it ~0.3
    visible while still placing it. The hold runs and nobody is told "I can't see you"
    (at the default visibility of 0.5 the position went unseen: a val twist stood paused 33 s)."""
    from test_exercises_kinematics import clip as make_clip

    from coach.pose import Landmark

    frames = make_clip("lying_twist", lt_keys(sides=("right",)), fps=FPS)
    for f in frames:
        if 10_000 <= f.timestamp_ms < 38_000:
            f.landmarks[Landmark.RIGHT_ANKLE, 3] = 0.3
    eng = ExerciseEngine(load_spec("lying_twist"), lang="en")
    ev = [e for f in frames for e in eng.update(f)]
    assert not of_kind(ev, "cant_see"), [(round(e.timestamp_ms), e.text["en"]) for e in of_kind(ev, "cant_see")]
    assert eng.summary()["holds_s"]["twist"]["right"] >= 30, eng.summary()["holds_s"]


def test_lying_twist_an_unseen_foot_is_named_by_the_measure_behind_the_position():
    """The position reads a rolling maximum of the feet's distance (a measure of a measure):
    "I can't see ..." names the hidden ankle, not "you" (the person is in the picture)."""
    keys = [(0.0, {}, "right"), (3.0, {}, "right"), (7.0, LT_T, "right"), (30.0, LT_T, "right")]
    eng, ev = run("lying_twist", keys, finish=False, hidden_between=(12.0, 31.0, ("right_ankle",)))
    cs = of_kind(ev, "cant_see")
    assert cs, [(round(e.timestamp_ms), e.kind) for e in ev]
    assert "right ankle" in cs[0].text["en"] and "høyre ankel" in cs[0].text["nb"], cs[0].text


# ============================================================================ chair_extension

def ce_keys(n_reps=6, lean=30.0, fault=None, fault_rep=None, hold_s=3.5, lean_s=2.0):
    keys = [(0.0, {}, None), (3.0, {}, None)]
    t = 3.0
    for i in range(n_reps):
        back = {"recline_deg": lean}
        if fault is not None and i == fault_rep:
            back = {**back, **fault}
        keys += [(t, {}, None), (t + lean_s, back, None), (t + lean_s + hold_s, back, None),
                 (t + 2 * lean_s + hold_s, {}, None)]
        t += 2 * lean_s + hold_s + 1.5
    keys.append((t + 12.0, {}, None))
    return keys


def test_chair_extension_good_form_counts_six_reps():
    eng, ev = run("chair_extension", ce_keys())
    assert_clean(eng, ev)
    reps = [e.data["reps"] for e in of_kind(ev, "rep") if "state" not in e.data]
    assert reps == [1, 2, 3, 4, 5, 6]


def test_chair_extension_lumbar_arching():
    # third rep leans to 58 deg
    eng, ev = run("chair_extension", ce_keys(fault={"recline_deg": 58}, fault_rep=2), finish=False)
    t_rep3 = 3.0 + 2 * 9.0
    # recline r(t) = 58 * (t - t_rep3) / 2; hip angle = 90 + r > 125 at r > 35 -> t = t_rep3 + 1.207
    assert_caught("chair_extension", ev, "lumbar_arching", t_rep3 + 1.207)


def test_chair_extension_hands_and_pace_and_short_hold():
    eng, ev = run("chair_extension", ce_keys(fault={"hands": 0}, fault_rep=1), finish=False)
    assert "hands_not_behind_head" in [e.rule_id for e in of_kind(ev, "cue")]
    eng, ev = run("chair_extension", ce_keys(lean_s=0.4), finish=False)
    assert "too_fast" in [e.rule_id for e in of_kind(ev, "fault")]
    eng, ev = run("chair_extension", ce_keys(hold_s=0.0, lean_s=1.0), finish=False)   # ~1.3 s past 103 deg
    assert "hold_too_short" in [e.rule_id for e in of_kind(ev, "fault")]


def test_chair_extension_too_few_reps():
    eng, ev = run("chair_extension", ce_keys(n_reps=3))
    assert [e.rule_id for e in of_kind(ev, "fault")].count("reps_out_of_range") >= 1
    assert not eng.summary()["completed"]


# ============================================================================ cat_cow

def cc_keys(n=10, period=6.0, cow=None, noise_flex=0.0, extra=None):
    cow = cow or {"flex": -1}
    keys = [(0.0, {}, None), (3.0, {}, None)]
    t = 3.0
    q = period / 4
    for i in range(n):
        c = {**cow, **(extra or {})}
        keys += [(t + q, {"flex": 1, **(extra or {})}, None), (t + 2 * q, {**(extra or {})}, None),
                 (t + 3 * q, c, None), (t + 4 * q, {**(extra or {})}, None)]
        t += period
    keys.append((t + 14.0, {}, None))
    return keys


def test_cat_cow_good_form_ten_reps():
    eng, ev = run("cat_cow", cc_keys())
    assert_clean(eng, ev)
    assert eng.summary()["reps"]["cycles"]["-"] == 10


def test_cat_cow_noisy_cycles_count_once():
    """3 px landmark noise: still exactly 10 reps, no double counts."""
    spec = load_spec("cat_cow")
    eng = ExerciseEngine(spec)
    frames = clip("cat_cow", cc_keys(), fps=30.0, seed=7)
    import numpy as np
    rng = np.random.default_rng(3)
    ev = []
    for f in frames:
        f.landmarks[:, :2] += rng.normal(0, 3.0 / 640, size=(33, 2))
        ev.extend(eng.update(f))
    reps = [e.data["reps"] for e in of_kind(ev, "rep") if "state" not in e.data]
    assert reps == list(range(1, 11))


def test_cat_cow_too_fast():
    eng, ev = run("cat_cow", cc_keys(n=5, period=2.4), finish=False)
    fast = [e for e in of_kind(ev, "fault") if e.rule_id == "too_fast"]
    assert len(fast) >= 3  # every rep after the first is under 4 s
    assert any(e.rule_id == "too_fast" for e in of_kind(ev, "cue"))


def test_cat_cow_neck_overextended():
    # the article asks for the head lifted in the cow ("løft hodet"): a strong lift (the cow's
    # 40 deg + 35 deg more) is no safety fault ...
    eng, ev = run("cat_cow", cc_keys(n=3, cow={"flex": -1, "neck_deg": 35}), finish=False)
    assert "neck_overextended" not in [e.rule_id for e in of_kind(ev, "fault")]
    # ... a head thrown right back is: 40 + 150 deg from the start's face-down head (the face
    # to the ceiling and past); the face passes 90 + 1.5 x its error (129 deg from the start)
    # 129/190 of the way into the first cow (6 s to 7.5 s) and stays past it for the 0.8 s
    eng, ev = run("cat_cow", cc_keys(n=3, cow={"flex": -1, "neck_deg": 150}), finish=False)
    # (this fault is over within half a second, before the coach may speak after the rep it
    # just counted; the same fault in the next cow is said at once: within 6.5 s)
    f, _ = assert_caught("cat_cow", ev, "neck_overextended", 6.0 + 1.5 * 129 / 190 - 0.1, cue_within_s=6.5)


def _rocking_hips(n=4, period=6.0, shift=0.12):
    """Cat-cow whose hips rock back over the knees in each cat and forward in each cow."""
    keys = [(0.0, {}, None), (3.0, {}, None)]
    t, q = 3.0, period / 4
    for _ in range(n):
        keys += [(t + q, {"flex": 1, "hip_shift": -shift}, None), (t + 2 * q, {}, None),
                 (t + 3 * q, {"flex": -1, "hip_shift": shift}, None), (t + 4 * q, {}, None)]
        t += period
    return keys


def test_cat_cow_hips_rocking_over_the_knees_is_the_hips_cue_not_the_knees():
    """Hips 12 cm back in the cat and forward in the cow (the thigh 15 deg either way of
    vertical, 30 peak to peak; through a 2-s median ~20): "keep your hips over your knees".
    The knees are where they belong, so "put your knees under your hips" (which the thigh's
    angle from vertical, read unsigned, used to say) is not said."""
    eng, ev = run("cat_cow", _rocking_hips(), finish=False)
    said = [e.rule_id for e in of_kind(ev, "cue")]
    assert "hips_shifting" in said
    assert "knees_not_under_hips" not in said
    # the same cycles with still hips: no hips cue
    eng, ev = run("cat_cow", _rocking_hips(shift=0.0), finish=False)
    assert "hips_shifting" not in [e.rule_id for e in of_kind(ev, "fault")]


def test_cat_cow_knees_placed_forward_is_the_knees_cue():
    """Knees 15 cm ahead of the hips from the start (the thigh 18 deg off vertical): the set-up
    cue, and no hips cue (the thigh does not swing)."""
    keys = [(tt, {**p, "knee_back": -0.15}, sd) for tt, p, sd in cc_keys(n=3)]
    eng, ev = run("cat_cow", keys, finish=False)
    said = [e.rule_id for e in of_kind(ev, "cue")]
    assert "knees_not_under_hips" in said
    assert "hips_shifting" not in said


def test_cat_cow_elbows_bent():
    eng, ev = run("cat_cow", cc_keys(n=2, extra={"elbow_deg": 60}), finish=False)
    assert "elbows_bent" in [e.rule_id for e in of_kind(ev, "cue")]


# ============================================================================ knee_to_chest

K1 = {"moving": 1, "hands": 1}
K2 = {"both": 1, "hands": 1}


def kc_keys(fault=None, fault_at=12.0, rock_period=4.0, rock_amp=12.0, rock_s=40.0, sides=("right", "left")):
    keys = [(0.0, {}, "right"), (3.0, {}, "right")]
    t = 3.0
    for side in sides:
        keys += [(t, {}, side), (t + 3, K1, side)]
        if fault and side == sides[0]:
            keys += [(fault_at, K1, side), (fault_at + 0.3, {**K1, **fault}, side), (t + 36, {**K1, **fault}, side)]
        else:
            keys += [(t + 36, K1, side)]
        keys += [(t + 39, {}, side)]
        t += 40
    keys += [(t, {}, None), (t + 3, K2, None)]
    keys += osc(t + 3, t + 3 + rock_s, rock_period,
                lambda ph: {**K2, "roll_deg": rock_amp * math.sin(2 * math.pi * ph)}, None)
    t += 3 + rock_s
    keys += [(t + 3, {}, None), (t + 6, {}, None)]
    return keys


def test_knee_to_chest_good_form_both_sides_and_rocking():
    eng, ev = run("knee_to_chest", kc_keys())
    assert_clean(eng, ev)
    s = eng.summary()["holds_s"]
    assert s["one_knee"]["right"] >= 30 and s["one_knee"]["left"] >= 30 and s["rock"]["-"] >= 30


@pytest.mark.parametrize("rule_id,fault", [
    ("other_foot_lifted", {"other_lift": 0.3}),
    ("head_lifting", {"head_lift": 0.15}),
    ("hands_not_on_knee", {"hands": 0}),
])
def test_knee_to_chest_faults(rule_id, fault):
    eng, ev = run("knee_to_chest", kc_keys(fault), finish=False)
    assert_caught("knee_to_chest", ev, rule_id, 12.3)


def test_knee_to_chest_head_lifting_on_a_side_followed_from_the_start():
    """Starting with the left knee (the coach asks for the right first): the hold is
    followed to the left and begins seconds back; a rule judged against the start of the
    hold (the head's lift) still learns its reference and speaks. It judged nothing there."""
    eng, ev = run("knee_to_chest", kc_keys({"head_lift": 0.15}, sides=("left", "right")), finish=False)
    assert [e.side for e in of_kind(ev, "side") if e.data.get("followed")] == ["left"]
    assert_caught("knee_to_chest", ev, "head_lifting", 12.3)


def test_knee_to_chest_far_knee_rated_dim_is_still_held_without_cant_see():
    """The knee pulled in behind the near leg is rated ~0.45 visible from the side while
    placed as well: the hands-on-the-knee check keeps reading it, and the person holding it
    is not told "I can't see your knee" (a good dev clip was, three times)."""
    from test_exercises_kinematics import clip as make_clip

    from coach.pose import Landmark

    frames = make_clip("knee_to_chest", kc_keys(), fps=FPS)
    for f in frames:
        if 7_000 <= f.timestamp_ms < 40_000:
            f.landmarks[Landmark.RIGHT_KNEE, 3] = 0.45
    eng = ExerciseEngine(load_spec("knee_to_chest"), lang="en")
    ev = [e for f in frames for e in eng.update(f)]
    assert not [e for e in of_kind(ev, "cant_see") if e.timestamp_ms < 40_000], \
        [(round(e.timestamp_ms), e.text["en"]) for e in of_kind(ev, "cant_see")]
    assert eng.summary()["holds_s"]["one_knee"]["right"] >= 30, eng.summary()["holds_s"]


def test_knee_to_chest_far_knee_is_judged_at_the_near_hip_not_the_guessed_far_one():
    """From the side the far hip and shoulder are hidden behind the body and MediaPipe guesses
    them (a val floor camera: a far knee held at a true 63 deg read 87-108 at the guessed
    hip, and the hold was never timed). The knee's angle is read at the near hip, which lies
    on nearly the same point from the side: wherever the far hip and shoulder are guessed
    (here a quarter and half a torso toward the head and the far shoulder a quarter torso
    off the trunk line), the far knee's hold reads the same and is timed."""
    from test_exercises_kinematics import clip as make_clip

    from coach.engine import measure_table
    from coach.pose import Landmark as L

    spec = load_spec("knee_to_chest")
    frames = make_clip("knee_to_chest", kc_keys(), fps=FPS)
    header, clean = measure_table(spec, frames, side="left")
    col = [i for i, h in enumerate(header) if h.split(" [")[0] == "moving_hip_angle"][0]
    for shift in (0.25, 0.5):
        guessed = make_clip("knee_to_chest", kc_keys(), fps=FPS)
        for f in guessed:
            if 43_000 <= f.timestamp_ms < 83_000:   # the left (far) side's step
                lm = f.landmarks
                along = (lm[L.LEFT_SHOULDER, :2] + lm[L.RIGHT_SHOULDER, :2]) / 2 \
                    - (lm[L.LEFT_HIP, :2] + lm[L.RIGHT_HIP, :2]) / 2
                lm[L.LEFT_HIP, :2] += shift * along
                lm[L.LEFT_SHOULDER, :2] += 0.25 * np.array([-along[1], along[0]])
        _, rows = measure_table(spec, guessed, side="left")
        assert [r[col] for r in rows] == [r[col] for r in clean], shift
        eng = ExerciseEngine(spec, lang="en")
        ev = [e for f in guessed for e in eng.update(f)]
        holds = eng.summary()["holds_s"]["one_knee"]
        assert holds["right"] >= 30 and holds["left"] >= 30, (shift, holds)
        assert not [e for e in of_kind(ev, "cue") if e.rule_id == "knee_not_near_chest"], shift


def test_knee_to_chest_rocking_too_big_and_too_fast():
    eng, ev = run("knee_to_chest", kc_keys(rock_amp=40.0), finish=False)
    assert "rocking_too_big" in [e.rule_id for e in of_kind(ev, "cue")]
    eng, ev = run("knee_to_chest", kc_keys(rock_period=1.2), finish=False)
    assert "rocking_too_fast" in [e.rule_id for e in of_kind(ev, "cue")]


def test_knee_to_chest_straight_to_rocking_is_not_told_to_put_the_other_foot_down():
    """Both knees up while the coach waits for one: the one-knee hold pauses for the other
    foot, but the person is going on to the rocking (recognised after 3 s): nothing is said
    about the other foot, neither as a cue nor as the pause's reason."""
    eng, ev = run("knee_to_chest", kc_keys(sides=()), finish=False)
    from coach.ui.speech import event_priority
    spoken = [e for e in ev if event_priority(e) is not None and (
        e.rule_id == "other_foot_lifted" or (e.data or {}).get("reason") == "other_foot_lifted")]
    assert spoken == []
    assert any(e.kind == "hold" and e.data.get("recognised") for e in ev), "the rocking is followed"


def test_knee_to_chest_one_knee_held_then_both_is_not_told_to_put_the_other_foot_down():
    """The one-knee hold has begun, then the other knee comes up too: the person is going on
    to the rocking (its position recognised after 3 s). The one-knee step's rules the rocking
    does not judge ("let your other foot rest") are not said meanwhile (corpus dev: said 3 s
    after the second knee came up, 0.4 s before the rocking was recognised)."""
    keys = [(0.0, {}, "right"), (3.0, {}, "right"), (6.0, K1, "right"), (12.0, K1, "right"), (13.0, K2, None)]
    keys += osc(13.0, 50.0, 4.0, lambda ph: {**K2, "roll_deg": 12.0 * math.sin(2 * math.pi * ph)}, None)
    eng, ev = run("knee_to_chest", keys, finish=False)
    assert any(e.kind == "hold" and e.data.get("state") == "started" and e.side == "right" for e in ev)
    assert any(e.kind == "hold" and e.data.get("recognised") for e in ev), "the rocking is followed"
    assert [e for e in ev if e.kind == "cue" and e.rule_id == "other_foot_lifted"] == []


def test_knee_to_chest_rocking_too_short():
    eng, ev = run("knee_to_chest", kc_keys(rock_s=15.0))
    assert "rocking_too_short" in [e.rule_id for e in of_kind(ev, "fault")]


# ============================================================================ seated_rotation

SR_T = {"turn_deg": 40}


def sr_keys(fault=None, fault_at=14.0, sides=("left", "right")):
    keys = [(0.0, {"hands": 0}, "left"), (3.0, {"hands": 0}, "left")]
    t = 3.0
    for side in sides:
        keys += [(t, {"hands": 0}, side), (t + 3, SR_T, side)]
        if fault and side == "left":
            keys += [(fault_at, SR_T, side), (fault_at + 0.3, {**SR_T, **fault}, side), (t + 36, {**SR_T, **fault}, side)]
        else:
            keys += [(t + 36, SR_T, side)]
        keys += [(t + 39, {"hands": 0}, side)]
        t += 40
    keys.append((t + 3, {"hands": 0}, sides[-1]))
    return keys


def test_seated_rotation_good_form_both_sides():
    eng, ev = run("seated_rotation", sr_keys())
    assert_clean(eng, ev)
    h = eng.summary()["holds_s"]["turn"]
    assert h["left"] >= 30 and h["right"] >= 30


@pytest.mark.parametrize("rule_id,fault", [
    ("shoulders_shrugged", {"shrug": 0.075}),
    pytest.param("hips_turning", {"hip_turn_deg": 35, "turn_deg": 55}, marks=pytest.mark.xfail(
        strict=True, reason="a 35 deg hip turn is under 28 + its error 18 (3D landmarks from the front)")),
    ("slumped", {"slump": 1.0}),
    # tipped in the picture's plane after the 40 deg turn: 26 deg there is a shoulder line
    # 19.6 deg off level (asin(sin 26 x cos 40)), past 10 + 7.2 (error) against the start's
    # vertical (16 in the picture is 12.2 off level: no longer told)
    ("shoulders_tipping", {"tip_deg": 26}),
])
def test_seated_rotation_faults(rule_id, fault):
    eng, ev = run("seated_rotation", sr_keys(fault), finish=False)
    assert_caught("seated_rotation", ev, rule_id, 14.3)


def test_seated_rotation_easing_a_deep_turn_back_is_not_a_shrug():
    """Turned 75 deg and easing back to 50 during the hold (good form: still well past the
    position) with the shoulders low. Over the shoulder width, which grows as the turn eases,
    the ears' height above the shoulders shrank by more than a shrug; over the torso's length
    it does not move."""
    keys = [(0.0, {"hands": 0}, "left"), (3.0, {"hands": 0}, "left"), (6.0, {"turn_deg": 75}, "left"),
            (12.0, {"turn_deg": 75}, "left"), (18.0, {"turn_deg": 50}, "left"), (39.0, {"turn_deg": 50}, "left"),
            (42.0, {"hands": 0}, "left")]
    eng, ev = run("seated_rotation", keys, finish=False)
    faults = [(round(e.timestamp_ms), e.rule_id) for e in of_kind(ev, "fault")]
    assert not [f for f in faults if f[1] == "shoulders_shrugged"], faults
    assert eng.summary()["holds_s"]["turn"]["left"] >= 30, eng.summary()


def test_seated_rotation_side_skipped():
    eng, ev = run("seated_rotation", sr_keys(sides=("left",)))
    faults = [(e.rule_id, e.side) for e in of_kind(ev, "fault")]
    assert ("side_skipped", "right") in faults
    assert not [f for f in faults if f[1] == "left"]


# ============================================================================ passive_hang

def ph_keys(hang_s=26.0, fault=None, fault_at=8.0, osc_fault=None):
    keys = [(0.0, {"hang": 0}, None), (3.0, {"hang": 0}, None), (4.0, {}, None)]
    if osc_fault:
        keys += osc(fault_at, 4.0 + hang_s, 2.0, osc_fault, None)
    elif fault:
        keys += [(fault_at, {}, None), (fault_at + 0.3, fault, None), (4.0 + hang_s, fault, None)]
    keys += [(4.0 + hang_s, {}, None), (5.0 + hang_s, {"hang": 0}, None), (9.0 + hang_s, {"hang": 0}, None)]
    return keys


def test_passive_hang_good_form():
    eng, ev = run("passive_hang", ph_keys())
    assert_clean(eng, ev)
    assert eng.summary()["holds_s"]["hang"]["-"] >= 25


def test_passive_hang_elbows_bent():
    eng, ev = run("passive_hang", ph_keys(fault={"elbow_deg": 60}), finish=False)
    f, c = assert_caught("passive_hang", ev, "elbows_bent", 8.0 + 0.3 * 0.6)


def test_passive_hang_swinging():
    eng, ev = run("passive_hang", ph_keys(osc_fault=lambda ph: {"sway": 0.12 * math.sin(2 * math.pi * ph)}),
                  finish=False)
    assert "swinging" in [e.rule_id for e in of_kind(ev, "cue")]


def test_passive_hang_twisting():
    eng, ev = run("passive_hang", ph_keys(osc_fault=lambda ph: {"twist_deg": 20 * math.sin(2 * math.pi * ph)}),
                  finish=False)
    assert "twisting" in [e.rule_id for e in of_kind(ev, "cue")]


def test_passive_hang_wide_grip_is_told_and_the_hang_still_counts():
    # hands far wider than the shoulders the whole time: the grip set-up never completes
    # (it would time out after 10 s), but the person is on the bar: followed into the hang
    # after recognise_s, told about the grip, and the hang's clock runs
    keys = [(t, {**p, "grip": 2.6}, side) for t, p, side in ph_keys(hang_s=26.0)]
    eng, ev = run("passive_hang", keys)
    assert "grip_width" in [e.rule_id for e in of_kind(ev, "cue")]
    started = [e for e in of_kind(ev, "hold") if e.data.get("state") == "started"]
    assert started and started[0].timestamp_ms <= 6000
    assert not [e for e in of_kind(ev, "hold") if e.data.get("state") == "paused"]
    assert [e.timestamp_ms for e in of_kind(ev, "hold") if e.data.get("state") == "done"]
    assert "hold_too_short" not in [e.rule_id for e in of_kind(ev, "fault")]
    assert eng.summary()["holds_s"]["hang"]["-"] >= 25


def test_passive_hang_too_long_and_too_short():
    eng, ev = run("passive_hang", ph_keys(hang_s=36.0))
    assert "hold_too_long" in [e.rule_id for e in of_kind(ev, "fault")]
    eng, ev = run("passive_hang", ph_keys(hang_s=10.0))
    assert "hold_too_short" in [e.rule_id for e in of_kind(ev, "fault")]


# ============================================================================ crossed_leg_rotation

CL_C = {"cross": 1}
CL_T = {"cross": 1, "lower_deg": 60}


def cl_keys(fault=None, fault_at=16.0, sides=("right", "left")):
    keys = [(0.0, {}, "right"), (3.0, {}, "right")]
    t = 3.0
    for side in sides:
        keys += [(t, {}, side), (t + 2, CL_C, side), (t + 5, CL_T, side)]
        if fault and side == "right":
            keys += [(fault_at, CL_T, side), (fault_at + 0.3, {**CL_T, **fault}, side),
                     (t + 38, {**CL_T, **fault}, side)]
        else:
            keys += [(t + 38, CL_T, side)]
        keys += [(t + 41, CL_C, side), (t + 43, {}, side)]
        t += 44
    keys.append((t + 3, {}, sides[-1]))
    return keys


def test_crossed_leg_rotation_good_form_both_sides():
    eng, ev = run("crossed_leg_rotation", cl_keys())
    assert_clean(eng, ev)
    h = eng.summary()["holds_s"]["lower"]
    assert h["right"] >= 30 and h["left"] >= 30


def test_crossed_leg_rotation_shoulder_lifting():
    eng, ev = run("crossed_leg_rotation", cl_keys({"lift": 0.15}), finish=False)
    assert_caught("crossed_leg_rotation", ev, "shoulder_lifting", 16.3)


def test_crossed_leg_rotation_forced_rotation_is_a_safety_cue():
    # knees pushed on slowly from 60 to 120 deg between 16 and 22 s (no speed cue)
    keys = cl_keys(sides=("right",))
    keys = [k for k in keys if k[0] < 16.0] + [(16.0, CL_T, "right"), (22.0, {**CL_T, "lower_deg": 120}, "right"),
                                                 (30.0, {**CL_T, "lower_deg": 120}, "right")]
    eng, ev = run("crossed_leg_rotation", keys, finish=False)
    faults = [e for e in of_kind(ev, "fault") if e.rule_id == "rotation_beyond_limit"]
    assert faults and 16000 < faults[0].timestamp_ms < 22000 + 1250
    cues = [e for e in of_kind(ev, "cue") if e.timestamp_ms >= 16000]
    assert cues[0].rule_id == "rotation_beyond_limit" and cues[0].severity == "safety"
    assert cues[0].timestamp_ms - faults[0].timestamp_ms <= 1000
    assert eng.snapshot().hold_state == "paused"

# (the engine's cost per frame: benchmarks/checker.py)
