"""Measures on hand-built PoseFrames; expected values worked out by hand in the comments."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import geometry_oracle as g
from coach.errors import CoachError
from coach.measures import (
    MEASURE_TYPES,
    Measure,
    MeasureError,
    ParamSpec,
    build_measure,
    describe_measure,
    measure_params,
    near_side,
    resolve_point,
)
from coach.pose import VIS, PoseFrame
from coach.pose import Landmark as L

W, H = 640, 480
NAN = float("nan")


def make_frame(
    px: dict[L, tuple[float, float]],
    *,
    t: float = 0.0,
    vis: float | dict[L, float] = 0.9,
    z: dict[L, float] | None = None,
    world: dict[L, tuple[float, float, float]] | None = None,
    mask: np.ndarray | None = None,
    wh: tuple[int, int] = (W, H),
) -> PoseFrame:
    """A frame with the given landmarks at pixel positions; the others missing (NaN)."""
    f = PoseFrame(timestamp_ms=t, image_wh=wh)
    for lm, (x, y) in px.items():
        f.landmarks[lm, 0] = x / wh[0]
        f.landmarks[lm, 1] = y / wh[1]
        f.landmarks[lm, 2] = 0.0
        f.landmarks[lm, VIS] = vis if isinstance(vis, float) else vis.get(lm, 0.9)
        f.landmarks[lm, 4] = 0.99
    for lm, zz in (z or {}).items():
        f.landmarks[lm, 2] = zz
    for lm, xyz in (world or {}).items():
        f.world[lm] = xyz
        if not np.isfinite(f.landmarks[lm, VIS]):
            f.landmarks[lm, VIS] = 0.9
    f.mask = mask
    return f


def build(spec: dict, side: str | None = None, name: str = "m", **kw) -> Measure:
    return build_measure(name, spec, side, **kw)


# --- points ------------------------------------------------------------------------------

def test_resolve_point_forms() -> None:
    assert resolve_point("left_knee", None).indices == (int(L.LEFT_KNEE),)
    assert resolve_point("nose", "left").indices == (0,)
    assert resolve_point("moving_knee", "right").indices == (int(L.RIGHT_KNEE),)
    assert resolve_point("other_knee", "right").indices == (int(L.LEFT_KNEE),)
    assert resolve_point("moving_foot_index", "left").indices == (int(L.LEFT_FOOT_INDEX),)
    mid = resolve_point("mid_hip", None)
    assert (mid.kind, mid.indices) == ("mid", (int(L.LEFT_HIP), int(L.RIGHT_HIP)))
    assert resolve_point("near_shoulder", None).kind == "near"
    assert resolve_point("far_ankle", "left").kind == "far"


def test_resolve_point_errors() -> None:
    with pytest.raises(MeasureError, match="moving_knee needs the exercise's side"):
        resolve_point("moving_knee", None)
    with pytest.raises(MeasureError, match=r"unknown point 'left_kne'.*did you mean left_knee"):
        resolve_point("left_kne", None)
    with pytest.raises(MeasureError, match="near_X"):
        resolve_point("mid_nose", None)  # nose is not paired


# --- building and validation --------------------------------------------------------------

def test_registry_and_params() -> None:
    assert set(MEASURE_TYPES) == {
        "joint_angle", "segment_angle", "line_tilt", "yaw_between", "distance", "offset",
        "midline_crossing", "visibility", "speed", "oscillation_amplitude",
        "oscillation_period", "change", "rolling", "spinal_flexion", "front_turn", "tilt_from_start",
    }
    p = measure_params("joint_angle")
    assert isinstance(p["points"], ParamSpec) and p["points"].required and p["points"].count == 3
    assert p["plane"].default == "image" and p["plane"].choices == ("image", "world")
    assert p["min_visibility"].default == 0.5
    with pytest.raises(MeasureError, match=r"type: unknown measure type 'angle' \(expecting one of \[joint"):
        measure_params("angle")


@pytest.mark.parametrize(
    ("spec", "side", "pattern"),
    [
        ({"type": "joint_angel", "points": ["a"]}, None, r"^type: unknown measure type"),
        ({"points": ["left_hip"]}, None, r"^type: missing"),
        ({"type": "joint_angle"}, None, r"^points: missing"),
        ({"type": "joint_angle", "points": ["left_hip", "left_knee"]}, None,
         r"^points: wrong number of points \(2\) \(expected 3 points, got \['left_hip', 'left_knee'\]\)"),
        ({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_foot"]}, None,
         r"^points: unknown point 'left_foot'"),
        ({"type": "joint_angle", "points": ["moving_hip", "moving_knee", "moving_ankle"]}, None,
         r"^points: moving_hip needs the exercise's side"),
        ({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_ankle"], "plane": "3d"}, None,
         r"^plane: not an allowed value \(expected one of \[image, world\], got '3d'\)"),
        ({"type": "line_tilt", "points": ["left_hip", "right_hip"], "min_visibility": 2}, None,
         r"^min_visibility: out of range \(expected a number in \[0, 1\], got 2\)"),
        ({"type": "line_tilt", "points": ["left_hip", "right_hip"], "colour": "red"}, None,
         r"^colour: unknown parameter for line_tilt \(expecting one of \[points, min_visibility\]\)"),
        ({"type": "speed", "of": "m"}, None, r"^of: a measure cannot read itself"),
        ({"type": "speed", "of": "x", "absolute": "yes"}, None, r"^absolute: not true or false"),
        ({"type": "offset", "point": "nose"}, None, r"^line: give either line or axis"),
        ({"type": "offset", "point": "nose", "axis": "x"}, None, r"^to: missing"),
        ({"type": "offset", "point": "nose", "axis": "x", "to": "left_hip",
          "line": ["left_hip", "right_hip"]}, None, r"^line: give either"),
        ({"type": "offset", "point": "nose", "along": ["left_hip", "right_hip"],
          "line": ["left_hip", "right_hip"]}, None, r"^line: give either.*got more than one"),
        ({"type": "offset", "point": "nose", "along": ["left_hip", "right_hip"], "axis": "x",
          "to": "left_hip"}, None, r"^line: give either.*or along"),
        ({"type": "change", "of": "x", "baseline_s": -1}, None, r"^baseline_s: out of range"),
        ({"type": "midline_crossing", "point": "left_knee"}, None, r"^toward: 'other' needs"),
        ({"type": "yaw_between", "lines": [["left_hip", "right_hip"]]}, None, r"^lines: not a list of lines"),
    ],
)
def test_build_errors(spec: dict, side: str | None, pattern: str) -> None:
    with pytest.raises(MeasureError, match=pattern) as info:
        build(spec, side)
    assert isinstance(info.value, CoachError)
    assert info.value.measure == "m"
    assert info.value.param == str(info.value).split(":", 1)[0]


def test_built_measure_follows_protocol() -> None:
    m = build({"type": "joint_angle", "points": ["moving_hip", "moving_knee", "moving_ankle"]}, "left")
    assert isinstance(m, Measure)
    assert m.name == "m" and m.unit == "deg" and m.depends_on == ()
    assert m.landmarks == (int(L.LEFT_HIP), int(L.LEFT_KNEE), int(L.LEFT_ANKLE))
    s = build({"type": "speed", "of": "trunk"}, None, source_units={"trunk": "body"})
    assert s.depends_on == ("trunk",) and s.unit == "body/s" and s.landmarks == ()


# --- joint_angle --------------------------------------------------------------------------

def test_joint_angle_image_345_and_moving_side() -> None:
    # right side: hip (300,100), knee (300,200), ankle (380,260)
    # knee->hip = (0,-100), knee->ankle = (80,60); cos = -6000/(100*100) = -0.6 -> 126.8699
    f = make_frame({
        L.RIGHT_HIP: (300, 100), L.RIGHT_KNEE: (300, 200), L.RIGHT_ANKLE: (380, 260),
        L.LEFT_HIP: (100, 100), L.LEFT_KNEE: (100, 200), L.LEFT_ANKLE: (200, 200),
    })
    spec = {"type": "joint_angle", "points": ["moving_hip", "moving_knee", "moving_ankle"]}
    assert build(spec, "right").update(f, {}) == pytest.approx(126.8698976)
    assert build(spec, "left").update(f, {}) == pytest.approx(90.0)


def test_joint_angle_uses_pixels_not_normalised() -> None:
    # normalised (0.5,0.5)-(0,0)-(0.5,0) is 45 deg, but in 640x480 pixels it is
    # atan(240/320) = 36.8699 deg
    f = make_frame({L.LEFT_HIP: (320, 240), L.LEFT_KNEE: (0, 0), L.LEFT_ANKLE: (320, 0)})
    m = build({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_ankle"]})
    assert m.update(f, {}) == pytest.approx(36.8698976)


def test_joint_angle_world_plane() -> None:
    f = make_frame({}, world={L.LEFT_HIP: (0, -0.4, 0), L.LEFT_KNEE: (0, 0, 0), L.LEFT_ANKLE: (0, 0, 0.4)})
    m = build({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_ankle"], "plane": "world"})
    assert m.update(f, {}) == pytest.approx(90.0)


def test_cant_see_gives_nan() -> None:
    pts = {L.LEFT_HIP: (300, 100), L.LEFT_KNEE: (300, 200), L.LEFT_ANKLE: (380, 260)}
    m = build({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_ankle"]})
    assert math.isnan(m.update(make_frame(pts, vis={L.LEFT_ANKLE: 0.3}), {}))
    assert math.isnan(m.update(PoseFrame.empty(0.0, (W, H)), {}))
    # a custom threshold lets 0.3 through
    m2 = build({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_ankle"],
                "min_visibility": 0.2})
    assert m2.update(make_frame(pts, vis={L.LEFT_ANKLE: 0.3}), {}) == pytest.approx(126.8698976)
    # zero-length segment
    same = make_frame({L.LEFT_HIP: (300, 200), L.LEFT_KNEE: (300, 200), L.LEFT_ANKLE: (1, 1)})
    assert math.isnan(m.update(same, {}))


# --- segment_angle, line_tilt --------------------------------------------------------------

def test_segment_angle() -> None:
    # hip (100,200) -> shoulder (160,120): dx 60, dy 80 -> atan(60/80) = 36.87 from vertical
    f = make_frame({L.LEFT_HIP: (100, 200), L.LEFT_SHOULDER: (160, 120)})
    v = build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"]})
    h = build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"], "reference": "horizontal"})
    assert v.update(f, {}) == pytest.approx(36.8698976)
    assert h.update(f, {}) == pytest.approx(53.1301024)


# side view, person facing screen-LEFT (nose 30 px left of the ear), trunk leaning back 30 deg:
# hip (210,300) -> shoulder (270, 300 - 60/tan 30) = (270, 196.077); torso = hypot(60, 103.92) = 120
BACK = 60.0 / math.tan(math.radians(30))
LEAN_BACK = {
    L.NOSE: (150, 100), L.LEFT_EAR: (180, 95), L.RIGHT_EAR: (185, 95),
    L.LEFT_SHOULDER: (270, 300 - BACK), L.RIGHT_SHOULDER: (275, 300 - BACK),
    L.LEFT_HIP: (210, 300), L.RIGHT_HIP: (215, 300), L.LEFT_KNEE: (150, 300),
}


def _mirror(pts: dict) -> dict:
    return {k: (W - x, y) for k, (x, y) in pts.items()}


def test_segment_angle_signed_by_facing() -> None:
    m = build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"], "signed": True})
    assert m.update(make_frame(LEAN_BACK), {}) == pytest.approx(-30.0)
    assert m.update(make_frame(_mirror(LEAN_BACK)), {}) == pytest.approx(-30.0)
    unsigned = build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"]})
    assert unsigned.update(make_frame(LEAN_BACK), {}) == pytest.approx(30.0)
    # front view: nose 2 px from the ear -> facing unclear -> NaN
    front = {**LEAN_BACK, L.NOSE: (182, 100)}
    assert math.isnan(m.update(make_frame(front), {}))
    assert int(L.NOSE) in m.landmarks
    with pytest.raises(MeasureError, match=r"^signed: only with reference vertical"):
        build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"], "signed": True,
               "reference": "horizontal"})


def test_segment_angle_signed_facing_from_knees() -> None:
    # the same lean back (facing screen-left: knee 60 px left of the hip), with the head turned
    # to a side camera: the nose now sits 30 px to the RIGHT of the ear. Told by the nose, the
    # lean flips to +30 (slumped forward); told by the knees it stays -30
    glance = {**LEAN_BACK, L.NOSE: (210, 100)}
    by_nose = build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"], "signed": True})
    by_knees = build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"], "signed": True,
                      "facing_from": "knees"})
    assert by_nose.update(make_frame(glance), {}) == pytest.approx(30.0)
    assert by_knees.update(make_frame(glance), {}) == pytest.approx(-30.0)
    assert by_knees.update(make_frame(_mirror(glance)), {}) == pytest.approx(-30.0)
    assert int(L.LEFT_KNEE) in by_knees.landmarks and int(L.LEFT_HIP) in by_knees.landmarks
    # a front view: the knee 10 px across from its hip (< 0.3 torso = 36 px) -> unclear -> NaN
    front = {**glance, L.LEFT_KNEE: (200, 330)}
    assert math.isnan(by_knees.update(make_frame(front), {}))
    # the better-seen knee decides: the right one seen facing left, the left one barely seen
    # and misplaced behind its hip
    right_seen = {**glance, L.RIGHT_KNEE: (160, 300), L.LEFT_KNEE: (260, 300)}
    by_right = build({"type": "segment_angle", "points": ["right_hip", "right_shoulder"], "signed": True,
                      "facing_from": "knees"})
    assert by_right.update(make_frame(right_seen, vis={L.LEFT_KNEE: 0.2}), {}) == pytest.approx(-30.0)
    assert by_right.update(make_frame(right_seen, vis={L.RIGHT_KNEE: 0.2}), {}) == pytest.approx(30.0)
    with pytest.raises(MeasureError, match="facing_from"):
        build({"type": "segment_angle", "points": ["left_hip", "left_shoulder"], "signed": True,
               "facing_from": "feet"})


# on all fours, facing screen-right: shoulders 200 px ahead of the hips; the knee 20 px ahead
# of its hip (the knees placed forward), 100 px below it
ALL_FOURS = {
    L.NOSE: (380, 260), L.LEFT_EAR: (350, 230), L.RIGHT_EAR: (352, 230),
    L.LEFT_SHOULDER: (300, 200), L.RIGHT_SHOULDER: (302, 200),
    L.LEFT_HIP: (100, 200), L.RIGHT_HIP: (102, 200), L.LEFT_KNEE: (120, 300), L.RIGHT_KNEE: (122, 300),
}


def test_segment_angle_signed_facing_from_shoulders() -> None:
    # knee -> hip, + = the hip toward the head end: the knee ahead of the hip reads -11.3 deg
    m = build({"type": "segment_angle", "points": ["left_knee", "left_hip"], "signed": True,
               "facing_from": "shoulders"})
    expected = -math.degrees(math.atan2(20, 100))
    assert m.update(make_frame(ALL_FOURS), {}) == pytest.approx(expected)
    assert m.update(make_frame(_mirror(ALL_FOURS)), {}) == pytest.approx(expected)
    # a deep cat: the head hangs with the nose behind the ear. Told by the nose the person
    # would face screen-left and the knee read as behind the hip; told by the shoulders, not
    tucked = {**ALL_FOURS, L.NOSE: (330, 300)}
    by_nose = build({"type": "segment_angle", "points": ["left_knee", "left_hip"], "signed": True})
    assert by_nose.update(make_frame(tucked), {}) == pytest.approx(-expected)
    assert m.update(make_frame(tucked), {}) == pytest.approx(expected)
    assert int(L.LEFT_SHOULDER) in m.landmarks and int(L.RIGHT_HIP) in m.landmarks
    # seen from the head end: the shoulders 5 px across from the hips, 100 px above them on
    # screen (< 0.3 torso) -> NaN
    end_on = {**ALL_FOURS, L.LEFT_SHOULDER: (105, 100), L.RIGHT_SHOULDER: (107, 100)}
    assert math.isnan(m.update(make_frame(end_on), {}))


def test_offset_forward_axis() -> None:
    # knee 60 px ahead of the hip (facing left, knee to the left): +60 / torso 120 = 0.5
    m = build({"type": "offset", "point": "left_knee", "axis": "forward", "to": "left_hip"})
    assert m.update(make_frame(LEAN_BACK), {}) == pytest.approx(0.5)
    assert m.update(make_frame(_mirror(LEAN_BACK)), {}) == pytest.approx(0.5)
    mx = build({"type": "offset", "point": "left_knee", "axis": "x", "to": "left_hip"})
    assert mx.update(make_frame(LEAN_BACK), {}) == pytest.approx(-0.5)


def test_line_tilt_sign() -> None:
    # front view: left shoulder on screen right (400,200), right shoulder (200,180):
    # b (right shoulder) is 20 px higher over 200 px -> +atan(0.1) = 5.7106 deg
    f = make_frame({L.LEFT_SHOULDER: (400, 200), L.RIGHT_SHOULDER: (200, 180)})
    m = build({"type": "line_tilt", "points": ["left_shoulder", "right_shoulder"]})
    assert m.update(f, {}) == pytest.approx(5.7105931)
    m2 = build({"type": "line_tilt", "points": ["moving_shoulder", "other_shoulder"]}, "right")
    assert m2.update(f, {}) == pytest.approx(-5.7105931)


# --- yaw_between ---------------------------------------------------------------------------

def test_yaw_between_turn_left() -> None:
    # upper body turned 30 deg to the person's left (left shoulder back, z+)
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    f = make_frame({}, world={
        L.LEFT_SHOULDER: (0.2 * c, -0.5, 0.2 * s), L.RIGHT_SHOULDER: (-0.2 * c, -0.5, -0.2 * s),
        L.LEFT_HIP: (0.15, 0.0, 0.0), L.RIGHT_HIP: (-0.15, 0.0, 0.0),
    })
    m = build({"type": "yaw_between",
               "lines": [["left_shoulder", "right_shoulder"], ["left_hip", "right_hip"]]})
    assert m.update(f, {}) == pytest.approx(30.0)
    mirrored = build({"type": "yaw_between",
                      "lines": [["moving_shoulder", "other_shoulder"], ["moving_hip", "other_hip"]]}, "right")
    assert mirrored.update(f, {}) == pytest.approx(30.0)  # both lines reversed: same turn


# --- distance, offset ---------------------------------------------------------------------

TORSO = {
    # shoulders (300,100)/(340,100) -> mid (320,100); hips (310,300)/(330,300) -> mid (320,300)
    # torso = 200 px, shoulder width = 40 px
    L.LEFT_SHOULDER: (340, 100), L.RIGHT_SHOULDER: (300, 100),
    L.LEFT_HIP: (330, 300), L.RIGHT_HIP: (310, 300),
}


def test_distance_normalised() -> None:
    # wrist (0,0) to ear (120,160): 200 px
    f = make_frame({**TORSO, L.LEFT_WRIST: (0, 0), L.LEFT_EAR: (120, 160)})
    d = build({"type": "distance", "points": ["left_wrist", "left_ear"]})
    assert d.update(f, {}) == pytest.approx(1.0)  # 200 / 200
    sw = build({"type": "distance", "points": ["left_wrist", "left_ear"], "normalise": "shoulder_width"})
    assert sw.update(f, {}) == pytest.approx(5.0)  # 200 / 40
    # hips not seen: torso falls back to shoulder width
    f2 = make_frame({**TORSO, L.LEFT_WRIST: (0, 0), L.LEFT_EAR: (120, 160)}, vis={L.LEFT_HIP: 0.1})
    assert d.update(f2, {}) == pytest.approx(5.0)
    assert set(d.landmarks) >= {int(L.LEFT_WRIST), int(L.LEFT_EAR), int(L.LEFT_SHOULDER)}


def test_offset_line_and_axes() -> None:
    # line shoulder (300,100) -> hip (310,300)? use right side: (300,100) -> (310,300)
    # p = wrist (400, 200): d = (10,200), p-a = (100,100): cross = 10*100 - 200*100 = -19000
    # |d| = sqrt(40100) = 200.2498; offset = -94.8815 px -> / torso 200 = -0.474408
    f = make_frame({**TORSO, L.RIGHT_WRIST: (400, 200)})
    m = build({"type": "offset", "point": "right_wrist", "line": ["right_shoulder", "right_hip"]})
    assert m.update(f, {}) == pytest.approx(-19000 / math.sqrt(40100) / 200)
    # axis x: wrist.x - shoulder.x = 100 -> 0.5; axis y: shoulder higher than wrist by 100 -> -0.5
    mx = build({"type": "offset", "point": "right_wrist", "axis": "x", "to": "right_shoulder"})
    my = build({"type": "offset", "point": "right_wrist", "axis": "y", "to": "right_shoulder"})
    assert mx.update(f, {}) == pytest.approx(0.5)
    assert my.update(f, {}) == pytest.approx(-0.5)


# --- midline_crossing ---------------------------------------------------------------------

FEET_END = {
    # seen from the feet end: the person's left is on screen right. Midline x = 320.
    # shoulder width 80 px
    L.LEFT_SHOULDER: (360, 100), L.RIGHT_SHOULDER: (280, 100),
    L.LEFT_HIP: (350, 300), L.RIGHT_HIP: (290, 300),
}


def test_midline_crossing() -> None:
    # right knee at x=350: 30 px onto the person's LEFT side; / shoulder width 80 = 0.375
    f = make_frame({**FEET_END, L.RIGHT_KNEE: (350, 250), L.LEFT_KNEE: (340, 250)})
    right = build({"type": "midline_crossing", "point": "moving_knee"}, "right")
    assert right.update(f, {}) == pytest.approx(0.375)
    # same knee measured for toward=right: -0.375
    toward_right = build({"type": "midline_crossing", "point": "right_knee", "toward": "right"})
    assert toward_right.update(f, {}) == pytest.approx(-0.375)
    # left-side exercise: left knee at x=340 is on its own side: -(20/80) = -0.25
    left = build({"type": "midline_crossing", "point": "moving_knee"}, "left")
    assert left.update(f, {}) == pytest.approx(-0.25)
    # mirrored camera (head end): x -> 640 - x; the answer must not change
    mirrored = make_frame({k: (640 - x, y) for k, (x, y) in
                           {**FEET_END, L.RIGHT_KNEE: (350, 250)}.items()})
    assert right.update(mirrored, {}) == pytest.approx(0.375)


def test_midline_crossing_foreshortened_torso() -> None:
    # camera at floor height at the feet end: hips only 5 px below the shoulders on screen.
    # mid_shoulder (320,200) -> mid_hip (322,205) would tilt a naive midline by 22 deg.
    # Left-right axis = mean((80,0), (60,0)) = (70,0) -> horizontal; centre = (321, 202.5);
    # right knee (350,260): (350 - 321) = 29 px toward the person's left; / 80 = 0.3625
    pts = {L.LEFT_SHOULDER: (360, 200), L.RIGHT_SHOULDER: (280, 200),
           L.LEFT_HIP: (352, 205), L.RIGHT_HIP: (292, 205), L.RIGHT_KNEE: (350, 260)}
    m = build({"type": "midline_crossing", "point": "moving_knee"}, "right")
    assert m.update(make_frame(pts), {}) == pytest.approx(0.3625)


def test_midline_crossing_edge_on_is_nan() -> None:
    side_view = {k: (320.0, y) for k, (x, y) in FEET_END.items()}
    side_view[L.LEFT_SHOULDER] = (330.0, 100)  # shoulder width 10 px, hips overlap
    f = make_frame({**side_view, L.RIGHT_KNEE: (350, 250)})
    m = build({"type": "midline_crossing", "point": "right_knee", "toward": "left"})
    assert math.isnan(m.update(f, {}))


# --- visibility and near/far ------------------------------------------------------------------

SIDE_BODY = {
    L.LEFT_SHOULDER: (300, 100), L.RIGHT_SHOULDER: (305, 100),
    L.LEFT_HIP: (300, 300), L.RIGHT_HIP: (305, 300),
    L.LEFT_KNEE: (400, 300), L.RIGHT_KNEE: (410, 320),
}


def test_near_side_trusts_depth_over_visibility() -> None:
    # the right side reads 0.99 visibility but lies behind the body (larger z)
    z = {L.LEFT_SHOULDER: -0.2, L.RIGHT_SHOULDER: 0.0, L.LEFT_HIP: -0.1, L.RIGHT_HIP: 0.1,
         L.LEFT_KNEE: -0.1, L.RIGHT_KNEE: 0.1}
    vis = {L.RIGHT_SHOULDER: 0.99, L.RIGHT_HIP: 0.99, L.RIGHT_KNEE: 0.99,
           L.LEFT_SHOULDER: 0.8, L.LEFT_HIP: 0.8, L.LEFT_KNEE: 0.8}
    f = make_frame(SIDE_BODY, z=z, vis=vis)
    assert near_side(f.landmarks, f.image_wh) == "left"
    near = build({"type": "segment_angle", "points": ["near_hip", "near_knee"]})
    far = build({"type": "segment_angle", "points": ["far_hip", "far_knee"]})
    assert near.update(f, {}) == pytest.approx(90.0)  # left hip (300,300) -> knee (400,300)
    # right hip (305,300) -> knee (410,320): atan2(105, 20) from vertical = 79.2157
    assert far.update(f, {}) == pytest.approx(math.degrees(math.atan2(105, 20)))
    flipped = make_frame(SIDE_BODY, z={k: -v for k, v in z.items()}, vis=vis)
    assert near_side(flipped.landmarks, flipped.image_wh) == "right"
    # equal depth: visibility decides
    f_vis = make_frame(SIDE_BODY, vis=vis)
    assert near_side(f_vis.landmarks, f_vis.image_wh) == "right"
    assert near_side(PoseFrame.empty(0, (W, H)).landmarks) is None


def test_visibility_measure() -> None:
    f = make_frame(SIDE_BODY, vis={L.LEFT_KNEE: 0.3, L.LEFT_HIP: 0.7})
    m = build({"type": "visibility", "points": ["left_shoulder", "left_hip"]})
    assert m.update(f, {}) == pytest.approx(0.7)
    m2 = build({"type": "visibility", "points": ["mid_knee", "left_shoulder"]})
    assert m2.update(f, {}) == pytest.approx(0.3)
    f_right_low = make_frame(SIDE_BODY, vis={L.RIGHT_KNEE: 0.2, L.LEFT_KNEE: 0.6})
    assert m2.update(f_right_low, {}) == pytest.approx(0.2)  # the lower of the pair
    assert math.isnan(m.update(PoseFrame.empty(0, (W, H)), {}))


def test_offset_along_a_line() -> None:
    # shoulders right (300,100) -> left (340,100): midpoint (320,100), width 40 px.
    # nose (330, 60): 10 px toward the left shoulder -> +0.25 shoulder widths
    f = make_frame({**TORSO, L.NOSE: (330, 60)})
    m = build({"type": "offset", "point": "nose", "along": ["right_shoulder", "left_shoulder"],
               "normalise": "shoulder_width"})
    assert m.update(f, {}) == pytest.approx(0.25)
    # reversed line: the sign follows the direction a -> b
    rev = build({"type": "offset", "point": "nose", "along": ["left_shoulder", "right_shoulder"],
                 "normalise": "shoulder_width"})
    assert rev.update(f, {}) == pytest.approx(-0.25)
    # the whole upper body tipped 30 deg (shoulder line and nose rotated together about the
    # shoulder midpoint): the nose stays 10 px along the line -> still 0.25
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))

    def rot(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - 320, y - 100
        return (320 + c * dx - s * dy, 100 + s * dx + c * dy)

    tipped = make_frame({L.LEFT_SHOULDER: rot(340, 100), L.RIGHT_SHOULDER: rot(300, 100),
                         L.NOSE: rot(330, 60), L.LEFT_HIP: (330, 300), L.RIGHT_HIP: (310, 300)})
    assert m.update(tipped, {}) == pytest.approx(0.25)
    # an x offset from the shoulder midpoint would have changed
    mx = build({"type": "offset", "point": "nose", "axis": "x", "to": "mid_shoulder",
                "normalise": "shoulder_width"})
    assert mx.update(tipped, {}) != pytest.approx(0.25, abs=0.05)
    # torso normalisation: 10 px / 200 px
    mt = build({"type": "offset", "point": "nose", "along": ["right_shoulder", "left_shoulder"]})
    assert mt.update(f, {}) == pytest.approx(0.05)
    # a shoulder not seen, or both on one spot: NaN
    assert math.isnan(m.update(make_frame({**TORSO, L.NOSE: (330, 60)}, vis={L.LEFT_SHOULDER: 0.1}), {}))
    same = make_frame({L.LEFT_SHOULDER: (320, 100), L.RIGHT_SHOULDER: (320, 100), L.NOSE: (330, 60),
                       L.LEFT_HIP: (330, 300), L.RIGHT_HIP: (310, 300)})
    assert math.isnan(mt.update(same, {}))
    assert set(m.landmarks) >= {int(L.NOSE), int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)}
    assert "along the line" in describe_measure("offset", {"point": "nose", "along": ["a", "b"]})


# --- speed ---------------------------------------------------------------------------------

def _t(ms: float) -> PoseFrame:
    return PoseFrame.empty(ms, (W, H))


def test_speed_from_timestamps() -> None:
    m = build({"type": "speed", "of": "trunk"})
    assert math.isnan(m.update(_t(0), {"trunk": 0.0}))  # first sample: unknown
    # 10 deg per 100 ms = 100 deg/s
    assert m.update(_t(100), {"trunk": 10.0}) == pytest.approx(100.0)
    assert m.update(_t(200), {"trunk": 20.0}) == pytest.approx(100.0)
    # repeated timestamp: no division by zero, last value
    assert m.update(_t(200), {"trunk": 99.0}) == pytest.approx(100.0)
    # window 0.25 s: the speed spans back to the latest sample at least 250 ms old.
    # t=300: that is t=0 -> (40 - 0) / 0.3 s = 133.33; t=400: t=100 -> (60 - 10) / 0.3 = 166.67
    assert m.update(_t(300), {"trunk": 40.0}) == pytest.approx(400.0 / 3)
    assert m.update(_t(400), {"trunk": 60.0}) == pytest.approx(500.0 / 3)


def test_speed_nan_gap_and_absolute() -> None:
    m = build({"type": "speed", "of": "x", "absolute": True})
    m.update(_t(0), {"x": 10.0})
    assert m.update(_t(100), {"x": 5.0}) == pytest.approx(50.0)
    assert math.isnan(m.update(_t(200), {"x": NAN}))
    assert math.isnan(m.update(_t(300), {}))
    # 300 ms without a value (< 0.5 s): continues across the gap: (2 - 5) / 0.3 s -> 10
    assert m.update(_t(400), {"x": 2.0}) == pytest.approx(10.0)
    # a gap longer than 0.5 s restarts the history
    assert math.isnan(m.update(_t(1000), {"x": 50.0}))
    m.reset()
    assert math.isnan(m.update(_t(1100), {"x": 1.0}))


# --- change ----------------------------------------------------------------------------------

def test_change_since_the_start() -> None:
    m = build({"type": "change", "of": "turn", "baseline_s": 1.0}, source_units={"turn": "body"})
    assert m.unit == "body" and m.depends_on == ("turn",)
    assert math.isnan(m.update(_t(0), {"turn": NAN}))  # nothing seen yet: no baseline either
    # baseline: the first 1 s from the first value (t = 100 .. 1100): values 0.1 and 0.3
    assert m.update(_t(100), {"turn": 0.1}) == pytest.approx(0.0)
    assert m.update(_t(600), {"turn": 0.3}) == pytest.approx(0.1)   # 0.3 - mean(0.1, 0.3)
    assert m.update(_t(1100), {"turn": 0.2}) == pytest.approx(0.0)  # mean(0.1, 0.3, 0.2) = 0.2
    # the baseline is fixed from here on
    assert m.update(_t(1200), {"turn": 0.7}) == pytest.approx(0.5)
    assert m.update(_t(5000), {"turn": -0.3}) == pytest.approx(-0.5)
    # NaN source: NaN; a long gap keeps the baseline
    assert math.isnan(m.update(_t(6000), {}))
    assert m.update(_t(60000), {"turn": 0.2}) == pytest.approx(0.0)
    m.reset()
    assert m.update(_t(70000), {"turn": 5.0}) == pytest.approx(0.0)
    assert m.update(_t(72000), {"turn": 6.0}) == pytest.approx(1.0)
    # baseline_s 0: the first value alone
    m0 = build({"type": "change", "of": "v", "baseline_s": 0})
    m0.update(_t(0), {"v": 10.0})
    assert m0.update(_t(30), {"v": 12.0}) == pytest.approx(2.0)
    assert m0.unit == "deg"  # no source unit known
    assert "changed since" in describe_measure("change", {"of": "v"})
    assert "endret seg" in describe_measure("change", {"of": "v"}, "nb")


def test_change_with_a_shared_start_keeps_the_first_step_s_baseline() -> None:
    """share_start: the later step (the other side) takes the first step's baseline, also when
    the person is still coming back when it begins; without it each step has its own."""
    holder: dict = {}
    first = build({"type": "change", "of": "h", "baseline_s": 0.5, "share_start": True}, "right")
    later = build({"type": "change", "of": "h", "baseline_s": 0.5, "share_start": True}, "left")
    alone = build({"type": "change", "of": "h", "baseline_s": 0.5}, "left")
    assert first.shares_start and not alone.shares_start
    first.share(holder), later.share(holder), alone.share(holder)
    for t in (0, 300, 600, 900):                 # knees up: 0.7, then lowered
        first.update(_t(t), {"h": 0.7})
    assert first.update(_t(2000), {"h": 0.4}) == pytest.approx(-0.3)
    # the other side's step begins while the knees come back up (0.5), then they go down
    for m in (later, alone):
        m.update(_t(3000), {"h": 0.5})
        m.update(_t(3600), {"h": 0.7})
    assert later.update(_t(6000), {"h": 0.45}) == pytest.approx(-0.25)
    assert alone.update(_t(6000), {"h": 0.45}) == pytest.approx(-0.05)
    assert "first side" in describe_measure("change", {"of": "v", "share_start": True})
    assert "første side" in describe_measure("change", {"of": "v", "share_start": True}, "nb")


def test_a_start_learnt_in_the_set_up_needs_a_shared_start() -> None:
    with pytest.raises(MeasureError, match="start_in_setup: needs share_start"):
        build({"type": "change", "of": "h", "start_in_setup": True}, None)
    m = build({"type": "change", "of": "h", "share_start": True, "start_in_setup": True}, None)
    assert m.start_in_setup and m.shares_start
    assert not build({"type": "change", "of": "h", "share_start": True}, None).start_in_setup
    text = {"of": "v", "share_start": True, "start_in_setup": True}
    assert "start position" in describe_measure("change", text)
    assert "startstillingen" in describe_measure("change", text, "nb")


# --- oscillation --------------------------------------------------------------------------

def _sine(m_amp: Measure, m_per: Measure, amp: float, period_s: float, seconds: float,
          fps: float = 30.0) -> tuple[float, float]:
    a = p = NAN
    for i in range(int(seconds * fps)):
        t = i * 1000.0 / fps
        v = {"hip_x": amp * math.sin(2 * math.pi * t / 1000.0 / period_s)}
        a = m_amp.update(_t(t), v)
        p = m_per.update(_t(t), v)
    return a, p


def test_oscillation_amplitude_and_period_of_a_sine() -> None:
    spec = {"of": "hip_x", "window_s": 6.0}
    amp = build({"type": "oscillation_amplitude", **spec}, source_units={"hip_x": "body"})
    per = build({"type": "oscillation_period", **spec})
    a, p = _sine(amp, per, amp=0.1, period_s=2.0, seconds=10.0)
    assert a == pytest.approx(0.2, abs=0.002)  # peak to peak = 2 x 0.1
    assert p == pytest.approx(2.0, abs=0.05)
    assert amp.unit == "body" and per.unit == "s"
    amp.reset()
    per.reset()
    a, p = _sine(amp, per, amp=5.0, period_s=1.0, seconds=8.0)
    assert a == pytest.approx(10.0, abs=0.1)
    assert p == pytest.approx(1.0, abs=0.05)


def test_oscillation_period_with_noise() -> None:
    # period 3 s, amplitude 1, jitter sigma 0.05, 15 fps, 20 s: the hysteresis band
    # (a quarter of the peak-to-peak) keeps noise from adding crossings
    rng = np.random.default_rng(5)
    per = build({"type": "oscillation_period", "of": "v", "window_s": 10.0})
    p = NAN
    for i in range(300):
        t = i * 1000.0 / 15
        v = math.sin(2 * math.pi * t / 3000.0) + rng.normal(0.0, 0.05)
        p = per.update(_t(t), {"v": v})
    assert p == pytest.approx(3.0, abs=0.1)


def test_oscillation_still_and_min_amplitude() -> None:
    amp = build({"type": "oscillation_amplitude", "of": "hip_x"})
    per = build({"type": "oscillation_period", "of": "hip_x", "min_amplitude": 1.0})
    for i in range(100):
        a = amp.update(_t(i * 33.3), {"hip_x": 3.0})
        p = per.update(_t(i * 33.3), {"hip_x": 3.0})
    assert a == 0.0 and math.isnan(p)
    per2 = build({"type": "oscillation_period", "of": "hip_x", "min_amplitude": 1.0})
    _, p = _sine(build({"type": "oscillation_amplitude", "of": "hip_x"}), per2, 0.2, 2.0, 10.0)
    assert math.isnan(p)  # 0.4 peak-to-peak < 1.0
    assert math.isnan(amp.update(_t(5000), {"hip_x": NAN}))


def test_oscillation_period_of_a_starting_movement_is_never_short() -> None:
    # the studio's good rocking (knee_to_chest good_varied, true joints): lying still, then
    # calm 4 s rocks that grow in. A still body's tiny crossings and the first half swing
    # (the mid level moves as the range grows) read 0.2-1.1 s before: "rocking too fast"
    import gzip
    import json
    from pathlib import Path

    from needs import committed

    path = committed(Path(__file__).resolve().parent.parent / "samples" / "knee_to_chest" / "good_varied.truth.json.gz")
    d = json.load(gzip.open(path))
    xy = d["landmarks"]["xy_px"]
    fps = d["video"]["fps"]
    per = build({"type": "oscillation_period", "of": "v", "window_s": 8.0, "min_amplitude": 0.03})
    got = []
    for i, row in enumerate(xy):
        (lx, ly), (rx, ry) = row[23], row[24]
        torso = math.dist(((row[11][0] + row[12][0]) / 2, (row[11][1] + row[12][1]) / 2),
                          ((lx + rx) / 2, (ly + ry) / 2))
        p = per.update(_t(i * 1000.0 / fps), {"v": (ry - ly) / torso})   # left hip higher: +
        if p == p and i * 1000.0 / fps > 80000:
            got.append(p)
    assert len(got) > 100 and min(got) > 3.0, min(got)


def test_oscillation_window_forgets_old_swings() -> None:
    amp = build({"type": "oscillation_amplitude", "of": "v", "window_s": 2.0})
    for i in range(60):  # 2 s of big swings at 30 fps
        amp.update(_t(i * 1000 / 30), {"v": 10.0 * (-1) ** i})
    for i in range(60, 150):  # 3 s still
        a = amp.update(_t(i * 1000 / 30), {"v": 1.0})
    assert a == 0.0


# --- spinal_flexion -----------------------------------------------------------------------

SHOULDER_X, HIP_X, LINE_Y = 200.0, 400.0, 300.0  # near shoulder-hip line: 200 px long


def _back_mask(height_of_t, scale: float = 1.0) -> np.ndarray:
    """A person mask (h, w) whose upper contour between shoulder and hip is
    LINE_Y - height_of_t(t) * 200 px (t from 0 at the shoulder to 1 at the hip);
    plus a head in front of the shoulder reaching far higher (must be ignored)."""
    h, w = int(H * scale), int(W * scale)
    mask = np.zeros((h, w), dtype=np.float32)
    for col in range(w):
        x = (col + 0.5) / scale
        if SHOULDER_X <= x <= HIP_X:
            top = LINE_Y - height_of_t((x - SHOULDER_X) / 200.0) * 200.0
        elif 120 <= x < SHOULDER_X:
            top = 150.0  # head and neck
        else:
            continue
        mask[int(top * scale):int(380 * scale), col] = 1.0
    return mask


def _cat_cow_frame(mask: np.ndarray | None, nose_y: float) -> PoseFrame:
    # left side faces the camera (smaller z); right side sits behind, a little higher
    return make_frame(
        {L.LEFT_SHOULDER: (SHOULDER_X, LINE_Y), L.LEFT_HIP: (HIP_X, LINE_Y),
         L.RIGHT_SHOULDER: (SHOULDER_X + 5, LINE_Y - 30), L.RIGHT_HIP: (HIP_X + 5, LINE_Y - 30),
         L.NOSE: (150.0, nose_y)},
        z={L.LEFT_SHOULDER: -0.2, L.LEFT_HIP: -0.2, L.RIGHT_SHOULDER: 0.1, L.RIGHT_HIP: 0.1},
        mask=mask,
    )


def test_spinal_flexion_flat_backs_exact() -> None:
    m = build({"type": "spinal_flexion"})
    # flat top 100 px above the line: first mask row 200 -> centre 200.5 -> 99.5/200
    cat = _cat_cow_frame(_back_mask(lambda t: 0.5), nose_y=340)
    assert m.update(cat, {}) == pytest.approx(99.5 / 200, abs=1e-6)
    assert m.last_signal == "mask"
    # half-resolution mask: row 100 -> centre 100.5 -> 201 px -> 99/200
    cat_half = _cat_cow_frame(_back_mask(lambda t: 0.5, scale=0.5), nose_y=340)
    assert m.update(cat_half, {}) == pytest.approx(99.0 / 200, abs=1e-6)


def test_spinal_flexion_humped_vs_sagging_back() -> None:
    m = build({"type": "spinal_flexion"})
    # cat: height 0.1 + 0.45 sin(pi t); over t in [0.15, 0.85] the median of sin(pi t) is
    # sin(pi (0.5 - 0.175)) ~ 0.85 -> ~0.48
    cat = _cat_cow_frame(_back_mask(lambda t: 0.1 + 0.45 * math.sin(math.pi * t)), nose_y=340)
    # cow: height 0.25 - 0.15 sin(pi t) -> ~0.25 - 0.13 = ~0.12
    cow = _cat_cow_frame(_back_mask(lambda t: 0.25 - 0.15 * math.sin(math.pi * t)), nose_y=240)
    v_cat, v_cow = m.update(cat, {}), m.update(cow, {})
    assert v_cat == pytest.approx(0.48, abs=0.03)
    assert v_cow == pytest.approx(0.12, abs=0.03)
    assert 0.41 <= v_cat <= 0.53 and 0.08 <= v_cow <= 0.23  # DESIGN.md's real-photo ranges


def test_spinal_flexion_nose_fallback_and_signals() -> None:
    auto = build({"type": "spinal_flexion"})
    # no mask: nose height above the near shoulder / line length: (300 - 340) / 200 = -0.2
    assert auto.update(_cat_cow_frame(None, nose_y=340), {}) == pytest.approx(-0.2)
    assert auto.last_signal == "nose"
    assert auto.update(_cat_cow_frame(None, nose_y=250), {}) == pytest.approx(0.25)
    mask_only = build({"type": "spinal_flexion", "signal": "mask"})
    assert math.isnan(mask_only.update(_cat_cow_frame(None, nose_y=340), {}))
    assert mask_only.last_signal == ""
    nose_only = build({"type": "spinal_flexion", "signal": "nose"})
    assert nose_only.update(_cat_cow_frame(_back_mask(lambda t: 0.5), 340), {}) == pytest.approx(-0.2)
    # an empty mask falls back to the nose in auto mode
    empty = np.zeros((H, W), dtype=np.float32)
    assert auto.update(_cat_cow_frame(empty, nose_y=340), {}) == pytest.approx(-0.2)
    assert math.isnan(auto.update(PoseFrame.empty(0, (W, H)), {}))


# --- agreement with the geometry oracle (tests/geometry_oracle.py) -------------------------

def test_scalar_measures_agree_with_vectorised_geometry() -> None:
    rng = np.random.default_rng(7)
    ja = build({"type": "joint_angle", "points": ["left_hip", "left_knee", "left_ankle"]})
    lt = build({"type": "line_tilt", "points": ["left_hip", "left_knee"]})
    sa = build({"type": "segment_angle", "points": ["left_hip", "left_knee"]})
    off = build({"type": "offset", "point": "left_ankle", "line": ["left_hip", "left_knee"],
                 "normalise": "shoulder_width"})
    yaw = build({"type": "yaw_between", "lines": [["left_hip", "left_knee"], ["left_ankle", "left_heel"]]})
    for _ in range(50):
        pts = rng.uniform(0, 600, (3, 2))
        wpts = rng.normal(0, 0.5, (4, 3))
        f = make_frame({L.LEFT_HIP: tuple(pts[0]), L.LEFT_KNEE: tuple(pts[1]), L.LEFT_ANKLE: tuple(pts[2]),
                        L.LEFT_SHOULDER: (0.0, 0.0), L.RIGHT_SHOULDER: (50.0, 0.0)},
                       world={L.LEFT_HIP: tuple(wpts[0]), L.LEFT_KNEE: tuple(wpts[1]),
                              L.LEFT_ANKLE: tuple(wpts[2]), L.LEFT_HEEL: tuple(wpts[3])})
        px = f.xy_px
        hip, knee, ankle = px[L.LEFT_HIP], px[L.LEFT_KNEE], px[L.LEFT_ANKLE]
        assert ja.update(f, {}) == pytest.approx(g.joint_angle_deg(hip, knee, ankle))
        assert lt.update(f, {}) == pytest.approx(g.line_tilt_deg(hip, knee))
        assert sa.update(f, {}) == pytest.approx(g.segment_angle_to_vertical_deg(hip, knee))
        assert off.update(f, {}) == pytest.approx(g.point_line_offset(ankle, hip, knee) / 50.0)
        w = f.world
        assert yaw.update(f, {}) == pytest.approx(
            g.yaw_between_lines_deg(w[L.LEFT_HIP], w[L.LEFT_KNEE], w[L.LEFT_ANKLE], w[L.LEFT_HEEL])
        )


# --- descriptions --------------------------------------------------------------------------

def test_describe_measure() -> None:
    params = {"points": ["moving_hip", "moving_knee", "moving_ankle"]}
    assert describe_measure("joint_angle", params, "en") == (
        "angle at the working-side knee between the working-side hip and the working-side ankle"
    )
    assert describe_measure("joint_angle", params, "nb") == (
        "vinkelen i kneet på den siden du øver mellom hoften på den siden du øver og ankelen på den siden du øver"
    )
    assert "venstre skulder" in describe_measure(
        "line_tilt", {"points": ["left_shoulder", "right_shoulder"]}, "nb")
    for t in MEASURE_TYPES:
        for lang in ("en", "nb"):
            assert describe_measure(t, {}, lang)
    with pytest.raises(MeasureError, match=r"^lang: unsupported language"):
        describe_measure("joint_angle", params, "de")
    with pytest.raises(MeasureError, match=r"^type: unknown measure type"):
        describe_measure("angle", params, "en")


# --- rolling ---------------------------------------------------------------------------------

def test_rolling_max_min_median_over_a_time_window() -> None:
    mx = build({"type": "rolling", "of": "v", "stat": "max", "window_s": 1.0}, source_units={"v": "body"})
    mn = build({"type": "rolling", "of": "v", "stat": "min", "window_s": 1.0})
    md = build({"type": "rolling", "of": "v", "stat": "median", "window_s": 1.0})
    assert mx.unit == "body" and mx.depends_on == ("v",)
    # a held value of 1.0 with one-frame drops to 0.1 (a garbled label), 10 fps
    series = [0.1 if i % 5 == 2 else 1.0 for i in range(40)]
    out = []
    for i, v in enumerate(series):
        out.append((mx.update(_t(i * 100.0), {"v": v}), mn.update(_t(i * 100.0), {"v": v}),
                    md.update(_t(i * 100.0), {"v": v})))
    assert all(a == 1.0 for a, _, _ in out[5:])          # the drops never show in the max
    assert min(b for _, b, _ in out[5:]) == 0.1          # ...and always in the min
    assert all(c == 1.0 for _, _, c in out[5:])          # 2 drops in 10 frames: the median holds
    # it follows a real change within the window: the value falls to 0.2 for good at 4.0 s
    for i in range(40, 60):
        a = mx.update(_t(i * 100.0), {"v": 0.2})
        if i == 48:
            assert a == 1.0                               # 0.9 s after the last 1.0: still in the window
    assert a == 0.2
    # unseen frames are left out; NaN once nothing seen is left in the window
    assert mx.update(_t(6000.0), {"v": NAN}) == 0.2
    assert math.isnan(mx.update(_t(7500.0), {"v": NAN}))


def test_rolling_max_min_equal_the_max_min_of_the_window() -> None:
    # max / min keep only the samples no later one beats: the answer must be exactly
    # max() / min() of every seen value in the window, ties and signed zeros included
    rng = random.Random(3)
    mx = build({"type": "rolling", "of": "v", "stat": "max", "window_s": 0.7})
    mn = build({"type": "rolling", "of": "v", "stat": "min", "window_s": 0.7})
    seen: list[tuple[float, float]] = []
    t = 0.0
    for _ in range(2000):
        t += rng.choice((33.0, 33.0, 100.0, 900.0))      # now and then a gap that empties the window
        v = rng.choice((NAN, 0.0, -0.0, 1.0, 1.0, rng.uniform(-2, 2), rng.uniform(-2, 2)))
        if v == v:
            seen.append((t, v))
        window = [x for tx, x in seen if tx > t - 700.0]
        got_max, got_min = mx.update(_t(t), {"v": v}), mn.update(_t(t), {"v": v})
        if not window:
            assert math.isnan(got_max) and math.isnan(got_min)
            continue
        assert got_max == max(window) and math.copysign(1, got_max) == math.copysign(1, max(window))
        assert got_min == min(window) and math.copysign(1, got_min) == math.copysign(1, min(window))


def test_rolling_leaves_out_readings_past_max_abs() -> None:
    # a kneeling thigh read 5 deg, then for 0.6 of a 1-s window the knee put above the hip
    # (130 deg: impossible kneeling): left out, the median stays at 5; without max_abs it jumps
    kept = build({"type": "rolling", "of": "v", "stat": "median", "window_s": 1.0, "max_abs": 90})
    plain = build({"type": "rolling", "of": "v", "stat": "median", "window_s": 1.0})
    series = [5.0] * 10 + [130.0] * 6 + [-130.0] + [5.0] * 10
    out = [(kept.update(_t(i * 100.0), {"v": v}), plain.update(_t(i * 100.0), {"v": v}))
           for i, v in enumerate(series)]
    assert all(a == 5.0 for a, _ in out)
    assert max(b for _, b in out) == 130.0
    # nothing but impossible readings in the window: NaN (nothing seen)
    for i in range(30, 45):
        a = kept.update(_t(i * 100.0), {"v": 150.0})
    assert math.isnan(a)


def test_rolling_rejects_a_bad_stat() -> None:
    with pytest.raises(MeasureError, match="stat"):
        build({"type": "rolling", "of": "v", "stat": "mean"})
