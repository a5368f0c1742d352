"""Motion scripts for the seven exercises of EXERCISES.md, with their mistake variants.

Every exercise has: a camera kind, its props, its sides, an initial parameter set, a
pose function (parameters -> PoseSpec for the person's right side) and a script builder
(sides, mistake) -> Script. A mistake id is the spec rule id that should catch it
(exercise_specs/RULE_IDS.md). Mistakes are put on the first side done; the other side
(if any) is done well. Numbers (holds, reps, pace) follow the article.

Body frame (anny): +X = person's left, -Y = front, +Z = head. Angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from coach.synth.geometry import rot, unit
from coach.synth.motion import PoseSpec, Script

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
LUMBAR = ("spine05", "spine04")
THORACIC = ("spine03", "spine02", "spine01")
NECK = ("neck01", "neck02", "neck03", "head")

SUPINE = rot([1, 0, 0], -90)   # lying on the back, head towards world +Y
PRONE = rot([1, 0, 0], 90)     # face down (all fours), head towards world -Y
UPRIGHT = np.eye(3)

X, Y, Z = np.eye(3)


def sag(phi: float) -> np.ndarray:
    """Body-frame direction in the sagittal plane, phi degrees from straight down towards the front."""
    r = np.radians(phi)
    return np.array([0.0, -np.sin(r), -np.cos(r)])


def spread(axis, total_deg: float, bones=SPINE) -> dict:
    return {b: rot(axis, total_deg / len(bones)) for b in bones}


def combine(*dicts: dict) -> dict:
    """Merge local-rotation dicts, composing rotations given for the same bone."""
    out: dict = {}
    for d in dicts:
        for k, r in d.items():
            out[k] = out[k] @ r if k in out else r
    return out


def _d(v, frame=None):
    return ("dir", unit(v), frame)


# ============================================================================ 1. lying twist
# side "right": the right knee is bent and brought across to the left, head turns right.
def lying_twist_pose(p: dict) -> PoseSpec:
    ar, al = np.radians(p["arm_abd_r"]), np.radians(p["arm_abd_l"])
    arm_r = _d([-np.sin(ar), 0.15, -np.cos(ar)])
    arm_l_t = np.array([np.sin(al), 0.15, -np.cos(al)])
    cross = rot(Z, p["cross"])
    thigh = cross @ unit(sag(p["hip"]) + [-0.06, 0.0, 0.0])
    shin = cross @ sag(p["hip"] - p["knee"])
    aims = {
        "upperleg01.L": _d([0.06, 0.04, -1]), "lowerleg01.L": _d([0.02, 0.03, -1]),
        "upperleg01.R": _d(thigh), "lowerleg01.R": _d(shin),
        "upperarm01.R": arm_r, "lowerarm01.R": arm_r,
        # left hand: from the T position to the outside of the right knee
        "upperarm01.L": ("ik", ("mix", ("joint", "upperarm01.L", 0.7 * unit(arm_l_t)),
                                ("joint", "lowerleg01.R", [-0.05, -0.02, 0.02]), p["hand"]), [0, 0.3, -1]),
    }
    breath = p["breath"]
    local = combine(
        {"root": rot(Z, p["roll"])},
        spread(Z, -p["roll"] + p["lift"]),
        {"spine02": rot(X, -0.8 * breath)},
        spread(Z, -p["head"] - 2.0 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, SUPINE, "lying")


def lying_twist_script(sides: list[str], mistake: str | None) -> Script:
    s = Script(dict(arm_abd_r=85.0, arm_abd_l=85.0, hip=0.0, knee=0.0, cross=0.0, roll=0.0,
                    lift=0.0, head=0.0, hand=0.0))
    s.hold(3, "setup")
    for k, side in enumerate(sides):
        m = mistake if k == 0 else None
        twist = dict(cross=95.0, roll=30.0, hand=1.0, head=60.0)
        if m == "knee_not_crossing":
            twist.update(cross=25.0, roll=5.0, hand=0.6)
        if m == "head_not_turned":
            twist.update(head=-35.0)
        t_in = 1.0 if m == "too_fast" else 4.0
        t_knee = 1.0 if m == "too_fast" else 3.0
        t_move = s.t_s
        if m == "arms_not_t":
            s.move(2, "setup", side, arm_abd_r=30.0)
            s.mistake(m, t_move, None, 30.0, "deg shoulder abduction (target ~90)", side,
                      "right arm rests by the side instead of out in a T")
            s.event(t_move + 2, "cue", m, side)
            t_move = s.t_s
        s.move(t_knee, "move", side, hip=95.0, knee=100.0)
        s.move(t_in, "move", side, **twist)
        if m == "too_fast":
            s.mistake(m, t_move, s.t_s, (95 + 30) / (t_in + t_knee), "deg/s mean knee-cross speed", side,
                      "knee bent and dropped across in 2 s instead of ~7 s")
            s.event(t_move + 1.0, "cue", m, side)
        if m == "knee_not_crossing":
            s.mistake(m, t_move, None, 25.0, "deg knee rotation across (target ~90)", side,
                      "knee stays above the hip instead of crossing the midline")
            s.event(s.t_s, "cue", m, side)
        if m == "head_not_turned":
            s.mistake(m, t_move + t_knee, None, -35.0, "deg head yaw (target +60, away from the knee)", side,
                      "head turned towards the knee instead of away")
            s.event(s.t_s, "cue", m, side)
        hold = {"hold_too_short": 12.0, "hold_too_long": 70.0}.get(m, 35.0)
        t_hold = s.t_s
        s.event(t_hold, "hold_start", None, side)
        if m == "shoulder_lifting":
            s.hold(8, "hold", side)
            t_on = s.t_s
            s.move(2, "hold", side, lift=22.0)
            s.hold(hold - 10, "hold", side)
            s.mistake(m, t_on, s.t_s, 22.0, "deg shoulder-line roll off the floor", side,
                      "the far (right) shoulder lifts off the floor during the hold")
            s.event(t_on + 2, "cue", m, side)
        else:
            s.hold(hold, "hold", side)
        if hold >= 30:
            s.event(t_hold + 30, "hold_reached", None, side, hold_s=30)
        if m == "hold_too_short":
            s.mistake(m, t_hold, s.t_s, hold, "s hold (minimum 30)", side, "hold released after 12 s")
            s.event(s.t_s, "cue", m, side)
        if m == "hold_too_long":
            s.mistake(m, t_hold + 60, s.t_s, hold, "s hold (maximum 60)", side, "hold kept 70 s")
            s.event(t_hold + 60, "cue", m, side)
        if k == 0:
            _close_open_mistakes(s)
        s.move(4, "return", side, cross=0.0, roll=0.0, lift=0.0, hand=0.0, head=0.0)
        s.move(3, "return", side, hip=0.0, knee=0.0, arm_abd_r=85.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(3, "rest")
    if mistake == "side_skipped":
        s.hold(5, "rest")
        s.mistake(mistake, s.t_s - 5, s.t_s, 1, "sides skipped", "left" if sides == ["right"] else "right",
                  "the second side is never done")
        s.event(s.t_s, "cue", mistake, None)
    s.event(s.t_s, "exercise_done")
    return s



# ---------------------------------------------------------------------------- shared pieces
def _supine_arms(abd_deg: float) -> dict:
    a = np.radians(abd_deg)
    return {"upperarm01.L": _d([np.sin(a), 0.15, -np.cos(a)]), "lowerarm01.L": _d([np.sin(a), 0.15, -np.cos(a)]),
            "upperarm01.R": _d([-np.sin(a), 0.15, -np.cos(a)]), "lowerarm01.R": _d([-np.sin(a), 0.15, -np.cos(a)])}


def _leg(side: str, hip: float, knee: float, lateral: float = 0.06, turn: float = 0.0, extra=None) -> dict:
    """Leg aims from hip flexion and knee flexion (deg), optionally turned about the body axis."""
    sgn = 1.0 if side == "L" else -1.0
    r = rot(Z, turn)
    thigh = r @ unit(sag(hip) + [sgn * lateral, 0.0, 0.0] + (np.zeros(3) if extra is None else extra))
    shin = r @ unit(sag(hip - knee) + [sgn * lateral * 0.3, 0.0, 0.0])
    return {f"upperleg01.{side}": _d(thigh), f"lowerleg01.{side}": _d(shin)}


def _hold_with_mistake(s: Script, hold_s: float, side, m, rule, onset_after_s, ramp_s, size, unit_, desc, **targets):
    """A hold during which parameters ramp to ``targets`` after onset_after_s (when m == rule)."""
    if m == rule:
        s.hold(onset_after_s, "hold", side)
        t_on = s.t_s
        s.move(ramp_s, "hold", side, **targets)
        s.hold(hold_s - onset_after_s - ramp_s, "hold", side)
        s.mistake(rule, t_on, s.t_s, size, unit_, side, desc)
        s.event(t_on + ramp_s, "cue", rule, side)
    else:
        s.hold(hold_s, "hold", side)


def _timed_hold(s: Script, side, m, *, normal_s: float, min_s: float, max_s: float | None,
                short_s: float, long_s: float | None, what: str = "hold", phase: str = "hold",
                short_rule: str = "hold_too_short", long_rule: str = "hold_too_long", body=None) -> None:
    """A hold (or rocking) of the article's length, or too short / too long for those mistakes.
    ``body(s, dur)`` fills the time (default: a plain hold)."""
    dur = short_s if m == short_rule else long_s if (m == long_rule and long_s) else normal_s
    t0 = s.t_s
    s.event(t0, "hold_start", None, side, what=what)
    if body:
        body(s, dur)
    else:
        s.hold(dur, phase, side)
    if dur >= min_s:
        s.event(t0 + min_s, "hold_reached", None, side, hold_s=min_s, what=what)
    if m == short_rule:
        s.mistake(short_rule, t0, s.t_s, dur, f"s {what} (minimum {min_s:g})", side, f"{what} released after {dur:g} s")
        s.event(s.t_s, "cue", short_rule, side)
    if m == long_rule and max_s is not None:
        s.mistake(long_rule, t0 + max_s, s.t_s, dur, f"s {what} (maximum {max_s:g})", side, f"{what} kept {dur:g} s")
        s.event(t0 + max_s, "cue", long_rule, side)


def _close_open_mistakes(s: Script) -> None:
    """Mistakes tied to a side's hold end when that side's hold ends."""
    for mk in s.mistakes:
        if mk["end_ms"] is None:
            mk["end_ms"] = round(s.t_s * 1000)


def _side_skipped(s: Script, mistake, sides) -> None:
    if mistake == "side_skipped":
        s.hold(5, "rest")
        s.mistake(mistake, s.t_s - 5, s.t_s, 1, "sides skipped", None, "the second side is never done")
        s.event(s.t_s, "cue", mistake, None)


# ============================================================================ 2. chair extension
def chair_extension_pose(p: dict) -> PoseSpec:
    knee = p["knee"]
    aims = {**_leg("L", 90, knee, 0.08), **_leg("R", 90, knee, 0.08)}
    w = p["hands"]  # 1 = hands behind the head, 0 = arms crossed over the chest
    for sd, sg in (("L", 1), ("R", -1)):
        up_head = np.array([0.6 * sg, 0.3, 0.75])
        lo_head = np.array([-0.98 * sg, 0.2, 0.1])
        up_chest = np.array([0.2 * sg, -0.35, -1.0])
        lo_chest = np.array([-1.0 * sg, -0.45, 0.45])
        aims[f"upperarm01.{sd}"] = _d(w * unit(up_head) + (1 - w) * unit(up_chest), "spine01")
        aims[f"lowerarm01.{sd}"] = _d(w * unit(lo_head) + (1 - w) * unit(lo_chest), "spine01")
    local = combine(
        {"root": rot(X, -0.35 * p["lean"])},  # the pelvis rolls back a little on the seat
        spread(X, -p["lumbar"] + 3, LUMBAR),
        spread(X, -p["lean"] - 1.0 * p["breath"], THORACIC),
        spread(X, 0.3 * p["lean"] + 2 * p["sway2"], NECK),
        spread(Z, 1.5 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, UPRIGHT, "seated", offset_m=np.array([0.0, -p["slide"], 0.0]))


def chair_extension_script(sides, mistake) -> Script:
    m = mistake
    s = Script(dict(lean=0.0, lumbar=0.0, hands=0.0 if m == "hands_not_behind_head" else 1.0,
                    knee=125.0 if m == "feet_not_flat" else 90.0, slide=0.0))
    s.hold(4, "setup")
    if m == "hands_not_behind_head":
        s.mistake(m, 0, None, 0.0, "hands behind head (1 = yes)", None, "arms crossed over the chest instead")
        s.event(2.0, "cue", m, None)
    if m == "feet_not_flat":
        s.mistake(m, 0, None, 125.0, "deg knee angle (target ~90, feet flat)", None, "feet tucked under the chair, heels up")
        s.event(2.0, "cue", m, None)
    n_reps = 3 if m == "reps_out_of_range" else 6
    for r in range(1, n_reps + 1):
        bad = r >= 3
        lean_s = 0.7 if (m == "too_fast" and bad) else 3.0
        tgt = dict(lean=28.0)
        if m == "lumbar_arching" and bad:
            tgt.update(lumbar=26.0, slide=0.08)
        t0 = s.t_s
        s.move(lean_s, "lean", None, r, **tgt)
        if m == "too_fast" and r == 3:
            s.mistake(m, t0, None, 28.0 / lean_s, "deg/s trunk recline speed", None, "leans back in 0.7 s from rep 3 on")
            s.event(t0 + lean_s, "cue", m, None)
        if m == "lumbar_arching" and r == 3:
            s.mistake(m, t0, None, 26.0, "deg lumbar extension (+8 cm hips forward)", None,
                      "lower back arches and hips slide forward from rep 3 on")
            s.event(t0 + lean_s, "cue", m, None)
        hold = 1.0 if m == "hold_too_short" else 4.0
        s.hold(hold, "hold", None, r)
        if m == "hold_too_short" and r == 1:
            s.mistake(m, s.t_s - hold, None, hold, "s hold (minimum 3)", None, "every hold 1 s")
            s.event(s.t_s, "cue", m, None)
        s.move(3.0, "return", None, r, lean=0.0, lumbar=0.0, slide=0.0)
        s.event(s.t_s, "rep", None, None, count=r)
        s.hold(2.0, "rest")
    s.hold(3, "rest")
    if m == "reps_out_of_range":
        s.mistake(m, 0, s.t_s, n_reps, "reps (5-8)", None, "stops after 3 reps")
        s.event(s.t_s, "cue", m, None)
    s.event(s.t_s, "exercise_done")
    return s


# ============================================================================ 3. cat-cow
def cat_cow_pose(p: dict) -> PoseSpec:
    f = p["flex"]  # -1 cow .. +1 cat
    spine_deg = 46.0 * f if f > 0 else 30.0 * f
    spine_deg *= p["spine_gain"]
    af, tb, el = np.radians(p["arm_fwd"]), np.radians(p["thigh_back"] + p["hip_shift"] * f), p["elbow"]
    world_aims = {
        "upperleg01.L": [0.06, np.sin(tb), -np.cos(tb)], "upperleg01.R": [-0.06, np.sin(tb), -np.cos(tb)],
        "lowerleg01.L": [0.0, 1.0, -0.04], "lowerleg01.R": [0.0, 1.0, -0.04],
        "wrist.L": [0.12, -1.0, -0.05], "wrist.R": [-0.12, -1.0, -0.05],
        "foot.L": [0.0, 1.0, -0.12], "foot.R": [0.0, 1.0, -0.12],   # tops of the feet on the mat
    }
    aims = {}
    local = combine(spread(X, spine_deg + 0.8 * p["breath"]), spread(X, p["neck"], ("neck01", "neck02", "neck03")))
    spec = PoseSpec(aims, local, PRONE, "all_fours", extras={"world_aims": world_aims})
    # arms: world direction shoulder -> wrist, elbows flexed by `elbow` (bending backwards/out)
    spec.extras["world_bend"] = {
        "upperarm01.L": ([0.05, -np.sin(af), -np.cos(af)], el, [0.3, 1.0, 0.0]),
        "upperarm01.R": ([-0.05, -np.sin(af), -np.cos(af)], el, [-0.3, 1.0, 0.0]),
    }
    return spec


def cat_cow_script(sides, mistake) -> Script:
    m = mistake
    s = Script(dict(flex=0.0, neck=0.0, spine_gain=1.0,
                    arm_fwd=25.0 if m == "wrists_not_under_shoulders" else 0.0,
                    thigh_back=-22.0 if m == "knees_not_under_hips" else 0.0,
                    elbow=40.0 if m == "elbows_bent" else 3.0, hip_shift=0.0))
    s.hold(4, "setup")
    for rule, size, unit_, desc in (
            ("wrists_not_under_shoulders", 25.0, "deg arm from vertical (hands forward)", "hands placed ~25 cm ahead of the shoulders"),
            ("knees_not_under_hips", 22.0, "deg thigh from vertical (knees forward)", "knees placed forward of the hips"),
            ("elbows_bent", 40.0, "deg elbow flexion", "elbows bent throughout")):
        if m == rule:
            s.mistake(rule, 0, None, size, unit_, None, desc)
            s.event(2.0, "cue", rule, None)
    n_reps = 5 if m == "reps_out_of_range" else 11
    for r in range(1, n_reps + 1):
        bad = r >= 3
        half = 1.0 if (m == "too_fast" and bad) else 3.0
        cow = dict(flex=-1.0, neck=-55.0 if (m == "neck_overextended" and bad) else -18.0)
        cat = dict(flex=1.0, neck=25.0)
        if m == "hips_shifting" and r == 3:
            t0 = s.t_s
            s.move(half, "cow", None, r, spine_gain=0.3, hip_shift=-18.0, **cow)
            s.mistake(m, t0, None, 18.0, "deg thigh swing per half-cycle (spine movement cut to 30%)", None,
                      "hips rock forward and back instead of the spine moving, from rep 3 on")
            s.event(t0 + 2 * half, "cue", m, None)
        else:
            t0 = s.t_s
            s.move(half, "cow", None, r, **cow)
        if m == "neck_overextended" and r == 3:
            s.mistake(m, t0, None, 55.0, "deg neck extension in cow (normal ~18)", None, "head thrown back in every cow from rep 3")
            s.event(t0 + half, "cue", m, None)
        if m == "too_fast" and r == 3:
            s.mistake(m, t0, None, 2 * half, "s per cycle (calm: >= 4)", None, "2 s cycles from rep 3 on")
            s.event(t0 + 2 * half, "cue", m, None)
        s.move(half, "cat", None, r, **cat)
        s.event(s.t_s, "rep", None, None, count=r)
    s.move(2.5, "return", None, None, flex=0.0, neck=0.0)
    s.hold(3, "rest")
    if m == "reps_out_of_range":
        s.mistake(m, 0, s.t_s, n_reps, "reps (10-15)", None, "stops after 5 reps")
        s.event(s.t_s, "cue", m, None)
    s.event(s.t_s, "exercise_done")
    return s


# ============================================================================ 4. knee to chest
# side "right": the right knee is pulled in (both hands on it); both knees + rocking follow.
def knee_to_chest_pose(p: dict) -> PoseSpec:
    rock = p["rock_amp"] * np.sin(2 * np.pi * p["t"] / p["rock_period"])
    aims = {**_leg("R", p["hip_r"], p["knee_r"]), **_leg("L", p["hip_o"], p["knee_o"])}
    w = p["hands"]
    rest_r = ("joint", "upperarm01.R", [-0.18, 0.12, -0.6])
    rest_l = ("joint", "upperarm01.L", [0.18, 0.12, -0.6])
    knee_r = ("joint", "lowerleg01.R", [0.0, -0.06, -0.07])
    knee_l = ("joint", "lowerleg01.L", [0.0, -0.06, -0.07])
    aims["upperarm01.R"] = ("ik", ("mix", rest_r, knee_r, w), [-0.6, 0.2, -1])
    aims["upperarm01.L"] = ("ik", ("mix", rest_l, ("mix", knee_l, knee_r, p["lh_right"]), w), [0.6, 0.2, -1])
    local = combine(
        {"root": rot(Z, rock)},
        spread(Z, -0.7 * rock),
        {"spine02": rot(X, -0.8 * p["breath"])},
        spread(X, p["head_lift"], NECK),
        spread(Z, 3.0 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, SUPINE, "lying")


def knee_to_chest_script(sides, mistake) -> Script:
    m = mistake
    s = Script(dict(hip_r=50.0, knee_r=100.0, hip_o=50.0, knee_o=100.0, hands=0.0, lh_right=1.0,
                    head_lift=0.0, rock_amp=0.0, rock_period=1.2 if m == "rocking_too_fast" else 4.0))
    s.hold(3, "setup")
    rocking_mistake = bool(m and m.startswith("rocking"))
    for k, side in enumerate([] if rocking_mistake else sides):
        mm = m if k == 0 else None
        pull = dict(hip_r=70.0, knee_r=95.0) if mm == "knee_not_near_chest" else dict(hip_r=118.0, knee_r=125.0)
        hands = 0.0 if mm == "hands_not_on_knee" else 1.0
        other = dict(hip_o=75.0, knee_o=70.0) if mm == "other_foot_lifted" else {}
        t0 = s.t_s
        s.move(3, "move", side, hands=hands, lh_right=1.0, **pull, **other)
        for rule, size, unit_, desc in (
                ("knee_not_near_chest", 70.0, "deg hip flexion (target ~120)", "knee pulled only halfway"),
                ("hands_not_on_knee", 0.0, "hands on knee (1 = yes)", "hands stay on the floor"),
                ("other_foot_lifted", 75.0, "deg other-hip flexion (foot off the floor)", "the other foot lifts off the floor")):
            if mm == rule:
                s.mistake(rule, t0, None, size, unit_, side, desc)
                s.event(s.t_s, "cue", rule, side)
        if mm == "head_lifting":
            body = lambda s_, dur: _hold_with_mistake(s_, dur, side, mm, "head_lifting", 8, 2, 35.0,
                                                      "deg neck flexion (head off the floor)", "head lifts off the floor", head_lift=35.0)
        else:
            body = None
        _timed_hold(s, side, mm, normal_s=32, min_s=30, max_s=None, short_s=12, long_s=None, body=body)
        if k == 0:
            _close_open_mistakes(s)
        s.move(3, "return", side, hip_r=50.0, knee_r=100.0, hip_o=50.0, knee_o=100.0, hands=0.0, head_lift=0.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(2, "rest")
    if len(sides) < 2 and not rocking_mistake:  # a one-leg clip (mistake variants): no rocking part
        s.event(s.t_s, "exercise_done")
        return s
    # both knees to the chest, rocking side to side
    s.move(3, "move", None, hip_r=115.0, knee_r=125.0, hip_o=115.0, knee_o=125.0, hands=1.0, lh_right=0.0)
    amp = 34.0 if m == "rocking_too_big" else 12.0

    def rocking(s_, dur):
        t0 = s_.t_s
        s_.move(2, "rock", None, rock_amp=amp)
        s_.hold(dur - 4, "rock", None)
        s_.move(2, "rock", None, rock_amp=0.0)
        for rule, size, unit_, desc in (("rocking_too_big", amp, "deg pelvis roll amplitude (gentle ~12)", "rocks far to each side"),
                                        ("rocking_too_fast", 1.2, "s per rock cycle (gentle ~4)", "rocks quickly")):
            if m == rule:
                s_.mistake(rule, t0, s_.t_s, size, unit_, None, desc)
                s_.event(t0 + 4, "cue", rule, None)
    _timed_hold(s, None, m, normal_s=42, min_s=30, max_s=60, short_s=15, long_s=72, what="rocking", phase="rock",
                short_rule="rocking_too_short", long_rule="rocking_too_long", body=rocking)
    s.move(3, "return", None, hip_r=50.0, knee_r=100.0, hip_o=50.0, knee_o=100.0, hands=0.0)
    s.hold(3, "rest")
    s.event(s.t_s, "exercise_done")
    return s


# ============================================================================ 5. seated rotation
# side "left": turning to the left, right hand on the left knee, left hand behind (the article's
# first side); the pose function is written for turning right and mirrored.
def seated_rotation_pose(p: dict) -> PoseSpec:
    aims = {**_leg("L", 88, 90, 0.1), **_leg("R", 88, 90, 0.1)}
    w = p["hands"]
    thigh_l = ("joint", "lowerleg01.L", [0.0, 0.17, 0.09])
    thigh_r = ("joint", "lowerleg01.R", [0.0, 0.17, 0.09])
    knee_r = ("joint", "lowerleg01.R", [0.04, 0.02, 0.08])
    behind_r = ("joint", "root", [-0.17, 0.24, -0.02])
    aims["upperarm01.L"] = ("ik", ("mix", thigh_l, ("mix", knee_r, thigh_l, p["hand_bad"]), w), [0.8, 0.3, -0.5])
    aims["upperarm01.R"] = ("ik", ("mix", thigh_r, behind_r, w), [-1.0, 0.3, 0.0])
    yaw = p["rot"]
    local = combine(
        {"root": rot(Z, -p["hip_turn"])},
        spread(Z, -(yaw - p["hip_turn"]) + 1.5 * p["sway"]),
        spread(X, p["slump"] + 0.8 * p["breath"]),
        spread(Y, p["tip"]),
        spread(Z, -0.25 * yaw, NECK),
        {"clavicle.L": rot(Y, -p["shrug"]), "clavicle.R": rot(Y, p["shrug"])},
    )
    return PoseSpec(aims, local, UPRIGHT, "seated")


def seated_rotation_script(sides, mistake) -> Script:
    m = mistake
    s = Script(dict(rot=0.0, hands=0.0, hand_bad=0.0, slump=0.0, tip=0.0, shrug=0.0, hip_turn=0.0))
    s.hold(3, "setup")
    for k, side in enumerate(sides):
        mm = m if k == 0 else None
        s.move(2, "move", side, hands=1.0, hand_bad=1.0 if mm == "hand_placement" else 0.0)
        t0 = s.t_s
        rot_deg = {"rotation_too_small": 12.0, "rotation_forced": 78.0}.get(mm, 42.0)
        extra = dict(hip_turn=30.0) if mm == "hips_turning" else {}
        s.move(1.2 if mm == "rotation_forced" else 4.0, "move", side, rot=rot_deg, **extra)
        for rule, size, unit_, desc in (
                ("rotation_too_small", 12.0, "deg trunk rotation (target ~40)", "turns only a little"),
                ("rotation_forced", 78.0, "deg trunk rotation in 1.2 s", "forces far into the twist, fast"),
                ("hips_turning", 30.0, "deg pelvis yaw", "the hips turn with the trunk"),
                ("hand_placement", 0.0, "hand on the opposite knee (1 = yes)", "hands stay on the own thighs")):
            if mm == rule:
                s.mistake(rule, t0, None, size, unit_, side, desc)
                s.event(s.t_s, "cue", rule, side)

        def body(s_, dur, mm=mm, side=side):
            if mm == "slumped":
                _hold_with_mistake(s_, dur, side, mm, mm, 8, 3, 22.0, "deg trunk flexion", "slumps during the hold", slump=22.0)
            elif mm == "shoulders_tipping":
                _hold_with_mistake(s_, dur, side, mm, mm, 8, 3, 14.0, "deg sideways lean", "leans/tips sideways during the hold", tip=14.0)
            elif mm == "shoulders_shrugged":
                _hold_with_mistake(s_, dur, side, mm, mm, 8, 2, 25.0, "deg clavicle elevation", "shoulders pulled up to the ears", shrug=25.0)
            else:
                s_.hold(dur, "hold", side)
        _timed_hold(s, side, mm, normal_s=32, min_s=30, max_s=None, short_s=12, long_s=None, body=body)
        if k == 0:
            _close_open_mistakes(s)
        s.move(4, "return", side, rot=0.0, slump=0.0, tip=0.0, shrug=0.0, hip_turn=0.0)
        s.move(2, "return", side, hands=0.0, hand_bad=0.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(2, "rest")
    _side_skipped(s, m, sides)
    s.event(s.t_s, "exercise_done")
    return s


# ============================================================================ 6. passive hang
def passive_hang_pose(p: dict) -> PoseSpec:
    g = np.radians(p["grip"])
    aims = {
        "upperarm01.L": ("bend", [np.sin(g), 0.05, np.cos(g)], p["elbow"], [0.5, -1.0, 0.0]),
        "upperarm01.R": ("bend", [-np.sin(g), 0.05, np.cos(g)], p["elbow"], [-0.5, -1.0, 0.0]),
        "wrist.L": _d([0.0, -0.3, 1.0]), "wrist.R": _d([0.0, -0.3, 1.0]),
        **_leg("L", p["hip"], p["knee"], 0.04), **_leg("R", p["hip"], p["knee"], 0.04),
    }
    swing = p["swing_amp"] * np.sin(2 * np.pi * p["t"] / 2.2)
    twist = p["twist_amp"] * np.sin(2 * np.pi * p["t"] / 3.0)
    local = combine(spread(X, 0.8 * p["breath"], THORACIC), spread(Z, 2.0 * p["sway"], NECK),
                    {"clavicle.L": rot(Y, -p["shrug"]), "clavicle.R": rot(Y, p["shrug"])})
    world = rot(Z, twist) @ rot(X, swing + 1.0 * p["sway2"])
    return PoseSpec(aims, local, world, "hang")


def passive_hang_script(sides, mistake) -> Script:
    m = mistake
    grip = 32.0 if m == "grip_width" else 9.0
    s = Script(dict(grip=grip, elbow=0.0, hip=0.0, knee=0.0, shrug=0.0, swing_amp=0.0, twist_amp=0.0))
    s.hold(3, "setup")
    if m == "grip_width":
        s.mistake(m, 0, None, 1.7, "grip width / shoulder width (target ~1)", None, "hands far wider than the shoulders")
        s.event(2.0, "cue", m, None)
    lift = dict(hip=12.0, knee=8.0) if m == "feet_on_ground" else dict(hip=15.0, knee=80.0)
    t0 = s.t_s
    s.move(2.5, "move", None, shrug=12.0, **lift)
    if m == "feet_on_ground":
        s.mistake(m, t0, None, 0.0, "m feet above the floor", None, "feet stay on the floor during the hang")
        s.event(s.t_s + 2, "cue", m, None)

    def body(s_, dur):
        if m == "elbows_bent":
            _hold_with_mistake(s_, dur, None, m, m, 5, 2, 45.0, "deg elbow flexion", "pulls up with bent elbows", elbow=45.0)
        elif m == "swinging":
            _hold_with_mistake(s_, dur, None, m, m, 5, 3, 10.0, "deg swing amplitude (2.2 s period)", "swings back and forth", swing_amp=10.0)
        elif m == "twisting":
            _hold_with_mistake(s_, dur, None, m, m, 5, 3, 15.0, "deg twist amplitude (3 s period)", "twists left and right", twist_amp=15.0)
        else:
            s_.hold(dur, "hold", None)
    _timed_hold(s, None, m, normal_s=25, min_s=20, max_s=30, short_s=10, long_s=40, body=body)
    s.move(2.5, "return", None, hip=0.0, knee=0.0, elbow=0.0, shrug=0.0, swing_amp=0.0, twist_amp=0.0)
    s.hold(3, "rest")
    s.event(s.t_s, "exercise_done")
    return s


# ============================================================================ 7. crossed-leg rotation
# side "right": right leg crossed over the left, both knees lowered to the left.
def crossed_leg_rotation_pose(p: dict) -> PoseSpec:
    c = p["cross"]
    top = _leg("R", 55 + 15 * c, 100 - 10 * c, 0.06, turn=p["drop_top"], extra=np.array([0.42 * c, -0.05 * c, 0.0]))
    bottom = _leg("L", 50, 100, 0.06, turn=p["drop"])
    aims = {**top, **bottom, **_supine_arms(70.0)}
    local = combine(
        {"root": rot(Z, p["roll"])},
        spread(Z, -p["roll"] + p["lift"]),
        {"spine02": rot(X, -0.8 * p["breath"])},
        spread(Z, -2.0 * p["sway"], NECK),
    )
    return PoseSpec(aims, local, SUPINE, "lying")


def crossed_leg_rotation_script(sides, mistake) -> Script:
    m = mistake
    s = Script(dict(cross=0.0, drop=0.0, drop_top=0.0, roll=0.0, lift=0.0))
    s.hold(3, "setup")
    for k, side in enumerate(sides):
        mm = m if k == 0 else None
        t0 = s.t_s
        s.move(2.5, "move", side, cross=0.0 if mm == "legs_not_crossed" else 1.0)
        if mm == "legs_not_crossed":
            s.mistake(mm, t0, None, 0.0, "legs crossed (1 = yes)", side, "legs side by side, not crossed")
            s.event(s.t_s + 2, "cue", mm, side)
        drop = {"rotation_beyond_limit": 88.0}.get(mm, 55.0)
        roll = {"rotation_beyond_limit": 50.0}.get(mm, 28.0)
        top = 12.0 if mm == "knees_apart" else drop
        t0 = s.t_s
        dur = 0.8 if mm == "too_fast" else 4.0
        s.move(dur, "move", side, drop=drop, drop_top=top, roll=roll)
        for rule, size, unit_, desc in (
                ("too_fast", drop / dur, "deg/s knee drop speed", "knees dropped in 0.8 s"),
                ("rotation_beyond_limit", 88.0, "deg knee drop (gentle ~55)", "forced far over, knees to the floor"),
                ("knees_apart", drop - top, "deg between the knees' drop angles", "only the lower knee goes down")):
            if mm == rule:
                s.mistake(rule, t0, None, size, unit_, side, desc)
                s.event(t0 + dur, "cue", rule, side)
        body = (lambda s_, d, side=side, mm=mm: _hold_with_mistake(
            s_, d, side, mm, "shoulder_lifting", 8, 2, 22.0, "deg shoulder-line roll off the floor",
            "the far shoulder lifts off the floor", lift=22.0))
        _timed_hold(s, side, mm, normal_s=32, min_s=30, max_s=None, short_s=12, long_s=None, body=body)
        if k == 0:
            _close_open_mistakes(s)
        s.move(4, "return", side, drop=0.0, drop_top=0.0, roll=0.0, lift=0.0)
        s.move(2.5, "return", side, cross=0.0)
        s.event(s.t_s, "side_done", None, side)
        s.hold(2, "rest")
    _side_skipped(s, m, sides)
    s.event(s.t_s, "exercise_done")
    return s


@dataclass(frozen=True)
class Exercise:
    id: str
    camera: str                  # camera kind, see scene.CAMERAS
    props: tuple[str, ...]       # "mat", "chair", "bar"
    sides: tuple[str, ...]       # order of sides for side="both"; () when the exercise has none
    mistakes: tuple[str, ...]
    pose: Callable[[dict], PoseSpec]
    script: Callable[[list[str], str | None], Script]
    extras: dict = field(default_factory=dict)  # e.g. {"chair_back_top": "mid_scapula"}

    def plan_sides(self, side: str, mistake: str | None) -> list[str]:
        if not self.sides:  # the side argument is ignored
            return [None]  # type: ignore[list-item]
        if mistake == "side_skipped":
            return [self.sides[0]] if side == "both" else [side]
        if side == "both":
            return list(self.sides)
        if side not in self.sides:
            raise ValueError(f"side must be one of {['both', *self.sides]}, got {side!r}")
        return [side]


EXERCISES: dict[str, Exercise] = {}


def _register(ex: Exercise) -> None:
    EXERCISES[ex.id] = ex


_register(Exercise(
    id="lying_twist", camera="side_floor", props=("mat",), sides=("right", "left"),
    mistakes=("shoulder_lifting", "arms_not_t", "knee_not_crossing", "head_not_turned", "too_fast",
              "hold_too_short", "hold_too_long", "side_skipped"),
    pose=lying_twist_pose, script=lying_twist_script))

_register(Exercise(
    id="chair_extension", camera="side_seat", props=("chair",), sides=(),
    mistakes=("hands_not_behind_head", "feet_not_flat", "lumbar_arching", "too_fast", "hold_too_short",
              "reps_out_of_range"),
    pose=chair_extension_pose, script=chair_extension_script, extras={"chair_back_top": "mid_scapula"}))
_register(Exercise(
    id="cat_cow", camera="side_hip", props=("mat",), sides=(),
    mistakes=("wrists_not_under_shoulders", "knees_not_under_hips", "elbows_bent", "neck_overextended",
              "hips_shifting", "too_fast", "reps_out_of_range"),
    pose=cat_cow_pose, script=cat_cow_script))
_register(Exercise(
    id="knee_to_chest", camera="side_floor", props=("mat",), sides=("right", "left"),
    mistakes=("knee_not_near_chest", "hands_not_on_knee", "other_foot_lifted", "head_lifting", "rocking_too_big",
              "rocking_too_fast", "hold_too_short", "rocking_too_short", "rocking_too_long"),
    pose=knee_to_chest_pose, script=knee_to_chest_script))
_register(Exercise(
    id="seated_rotation", camera="front_chest", props=("chair",), sides=("left", "right"),
    mistakes=("slumped", "shoulders_tipping", "shoulders_shrugged", "rotation_too_small", "rotation_forced",
              "hips_turning", "hand_placement", "hold_too_short", "side_skipped"),
    pose=seated_rotation_pose, script=seated_rotation_script, extras={"chair_back_top": "low"}))
_register(Exercise(
    id="passive_hang", camera="front_bar", props=("bar",), sides=(),
    mistakes=("grip_width", "elbows_bent", "feet_on_ground", "swinging", "twisting", "hold_too_short", "hold_too_long"),
    pose=passive_hang_pose, script=passive_hang_script))
_register(Exercise(
    id="crossed_leg_rotation", camera="side_floor", props=("mat",), sides=("right", "left"),
    mistakes=("legs_not_crossed", "knees_apart", "shoulder_lifting", "too_fast", "rotation_beyond_limit",
              "hold_too_short", "side_skipped"),
    pose=crossed_leg_rotation_pose, script=crossed_leg_rotation_script))
