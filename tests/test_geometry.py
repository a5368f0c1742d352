"""Geometry against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import geometry_oracle as g
from coach.pose import Landmark, PoseFrame

NAN = float("nan")


# --- joint_angle_deg --------------------------------------------------------------------

def test_joint_angle_right_angle_2d() -> None:
    assert g.joint_angle_deg([1, 0], [0, 0], [0, 1]) == pytest.approx(90.0)


def test_joint_angle_straight_and_folded() -> None:
    assert g.joint_angle_deg([-2, 0], [0, 0], [5, 0]) == pytest.approx(180.0)
    assert g.joint_angle_deg([2, 0], [0, 0], [5, 0]) == pytest.approx(0.0)


def test_joint_angle_45_and_345_triangle() -> None:
    assert g.joint_angle_deg([1, 0], [0, 0], [1, 1]) == pytest.approx(45.0)
    # 3-4-5 triangle: angle at (0,0) between (4,0) and (4,3) is atan(3/4)
    assert g.joint_angle_deg([4, 0], [0, 0], [4, 3]) == pytest.approx(36.8698976, abs=1e-6)
    # angle at the right-angle corner (4,0)
    assert g.joint_angle_deg([0, 0], [4, 0], [4, 3]) == pytest.approx(90.0)


def test_joint_angle_3d() -> None:
    assert g.joint_angle_deg([1, 0, 0], [0, 0, 0], [0, 0, 1]) == pytest.approx(90.0)
    # (1,1,0) vs (0,0,1): 90; (1,0,0) vs (1,1,1)/sqrt3: acos(1/sqrt3) = 54.7356
    assert g.joint_angle_deg([1, 0, 0], [0, 0, 0], [1, 1, 1]) == pytest.approx(54.7356103)


def test_joint_angle_nan_and_zero_length() -> None:
    assert math.isnan(g.joint_angle_deg([NAN, 0], [0, 0], [0, 1]))
    assert math.isnan(g.joint_angle_deg([0, 0], [0, 0], [0, 1]))
    assert math.isnan(g.joint_angle_deg([1, 0, 0], [0, 0, 0], [0, 0, 0]))


def test_joint_angle_non_square_image_scaling() -> None:
    # Normalised (0.5,0)-(0,0)-(0,0.5) looks like 90 deg in any image, but in 640x480 pixels
    # a=(320,0), b=(0,0), c=(0,240): still 90. A 45-degree line in normalised coordinates
    # (0.5,0.5) is atan(240/320)=36.87 deg from the x axis in pixels.
    f = PoseFrame(timestamp_ms=0.0, image_wh=(640, 480))
    f.landmarks[0, :2] = [0.5, 0.5]
    f.landmarks[1, :2] = [0.0, 0.0]
    f.landmarks[2, :2] = [0.5, 0.0]
    px = f.xy_px
    assert g.joint_angle_deg(px[2], px[1], px[0]) == pytest.approx(36.8698976, abs=1e-6)
    assert g.joint_angle_deg(f.landmarks[2, :2], f.landmarks[1, :2], f.landmarks[0, :2]) == (
        pytest.approx(45.0)
    )


def test_joint_angle_broadcasts_over_clip() -> None:
    t = 4
    a = np.tile([1.0, 0.0], (t, 1))
    b = np.zeros((t, 2))
    c = np.array([[0, 1], [1, 1], [-1, 0], [NAN, 1]], dtype=float)
    out = g.joint_angle_deg(a, b, c)
    assert out.shape == (t,)
    np.testing.assert_allclose(out[:3], [90, 45, 180])
    assert math.isnan(out[3])
    # (T, 33, 2) arrays also broadcast
    big = np.zeros((5, 33, 2))
    big[..., 0] = 1.0
    c33 = np.zeros((5, 33, 2))
    c33[..., 1] = 2.0
    assert g.joint_angle_deg(big, np.zeros((5, 33, 2)), c33).shape == (5, 33)


# --- segment angles and tilt -------------------------------------------------------------

def test_segment_angle_to_vertical() -> None:
    assert g.segment_angle_to_vertical_deg([0, 0], [0, 10]) == pytest.approx(0.0)
    assert g.segment_angle_to_vertical_deg([0, 10], [0, 0]) == pytest.approx(0.0)
    assert g.segment_angle_to_vertical_deg([0, 0], [10, 0]) == pytest.approx(90.0)
    assert g.segment_angle_to_vertical_deg([0, 0], [-3, -3]) == pytest.approx(45.0)
    # 3-4-5: dx=3, dy=4 -> atan(3/4) from vertical
    assert g.segment_angle_to_vertical_deg([0, 0], [3, 4]) == pytest.approx(36.8698976)
    assert math.isnan(g.segment_angle_to_vertical_deg([1, 1], [1, 1]))
    assert math.isnan(g.segment_angle_to_vertical_deg([NAN, 1], [1, 1]))


def test_segment_angle_3d_and_horizontal() -> None:
    # world: 3-4 in x,z, 0 in y -> horizontal line
    assert g.segment_angle_to_vertical_deg([0, 0, 0], [3, 0, 4]) == pytest.approx(90.0)
    # dy=5, horizontal part 5 -> 45
    assert g.segment_angle_to_vertical_deg([0, 0, 0], [3, 5, 4]) == pytest.approx(45.0)
    assert g.segment_angle_to_horizontal_deg([0, 0], [3, 4]) == pytest.approx(53.1301024)


def test_segment_direction() -> None:
    assert g.segment_direction_deg([0, 0], [0, -1]) == pytest.approx(0.0)  # straight up
    assert g.segment_direction_deg([0, 0], [1, 0]) == pytest.approx(90.0)
    assert g.segment_direction_deg([0, 0], [-1, 0]) == pytest.approx(-90.0)
    assert g.segment_direction_deg([0, 0], [0, 1]) == pytest.approx(180.0)
    assert g.segment_direction_deg([0, 0], [1, -1]) == pytest.approx(45.0)
    assert math.isnan(g.segment_direction_deg([2, 2], [2, 2]))


def test_line_tilt_sign_is_b_higher() -> None:
    assert g.line_tilt_deg([0, 0], [10, 0]) == pytest.approx(0.0)
    # b higher on screen (smaller y): positive
    assert g.line_tilt_deg([0, 0], [10, -10]) == pytest.approx(45.0)
    assert g.line_tilt_deg([0, 0], [10, 10]) == pytest.approx(-45.0)
    # mirrored: b to the LEFT of a and higher: still positive
    assert g.line_tilt_deg([0, 0], [-10, -10]) == pytest.approx(45.0)
    # 3-4-5: dx=4, up=3 -> 36.87
    assert g.line_tilt_deg([100, 100], [96, 97]) == pytest.approx(36.8698976)
    assert g.line_tilt_deg([0, 0], [0, -5]) == pytest.approx(90.0)
    assert math.isnan(g.line_tilt_deg([0, 0], [0, 0]))
    out = g.line_tilt_deg(np.zeros((3, 2)), np.array([[1, 0], [1, -1], [NAN, 0]]))
    np.testing.assert_allclose(out[:2], [0, 45])
    assert math.isnan(out[2])


# --- distances ---------------------------------------------------------------------------

def test_distance_345() -> None:
    assert g.distance([0, 0], [3, 4]) == pytest.approx(5.0)
    assert g.distance([1, 1, 1], [1, 4, 5]) == pytest.approx(5.0)
    assert math.isnan(g.distance([0, NAN], [3, 4]))
    np.testing.assert_allclose(g.distance(np.zeros((2, 2)), [[3, 4], [6, 8]]), [5, 10])


def _body_xy() -> np.ndarray:
    xy = np.full((33, 2), np.nan)
    xy[Landmark.LEFT_SHOULDER] = [120, 100]
    xy[Landmark.RIGHT_SHOULDER] = [80, 100]
    xy[Landmark.LEFT_HIP] = [115, 200]
    xy[Landmark.RIGHT_HIP] = [85, 200]
    return xy


def test_body_scale_torso_and_fallback() -> None:
    xy = _body_xy()
    assert g.body_scale(xy) == pytest.approx(100.0)
    assert g.torso_length(xy) == pytest.approx(100.0)
    assert g.shoulder_width(xy) == pytest.approx(40.0)
    no_hips = xy.copy()
    no_hips[Landmark.LEFT_HIP] = np.nan
    assert g.body_scale(no_hips) == pytest.approx(40.0)
    vis = np.ones(33)
    vis[Landmark.RIGHT_HIP] = 0.2
    assert g.body_scale(xy, vis) == pytest.approx(40.0)
    assert math.isnan(g.body_scale(np.full((33, 2), np.nan)))
    clip = np.stack([xy, xy * 2])
    np.testing.assert_allclose(g.body_scale(clip), [100, 200])


def test_normalised_distance() -> None:
    assert g.normalised_distance([0, 0], [3, 4], 10.0) == pytest.approx(0.5)
    assert math.isnan(g.normalised_distance([0, 0], [3, 4], 0.0))
    assert math.isnan(g.normalised_distance([0, 0], [3, 4], NAN))
    np.testing.assert_allclose(
        g.normalised_distance(np.zeros((2, 2)), [[3, 4], [3, 4]], [5.0, 2.5]), [1.0, 2.0]
    )


def test_point_line_offset_sign() -> None:
    # a->b points right on screen; a point below (y larger) is positive
    assert g.point_line_offset([5, 3], [0, 0], [10, 0]) == pytest.approx(3.0)
    assert g.point_line_offset([5, -3], [0, 0], [10, 0]) == pytest.approx(-3.0)
    # a->b points up on screen; a point to the right is positive
    assert g.point_line_offset([2, -5], [0, 0], [0, -10]) == pytest.approx(2.0)
    # 3-4-5: line from (0,0) to (4,3); p=(0,5) -> cross = 4*5 - 3*0 = 20; /5 = 4
    assert g.point_line_offset([0, 5], [0, 0], [4, 3]) == pytest.approx(4.0)
    assert math.isnan(g.point_line_offset([0, 5], [1, 1], [1, 1]))
    assert math.isnan(g.point_line_offset([NAN, 5], [0, 0], [1, 1]))


# --- yaw ---------------------------------------------------------------------------------

def test_yaw_between_lines_person_turning_left() -> None:
    # Front view, world coords (x right on screen, y down, z away from camera).
    # The person's left shoulder is on screen right. Turning the upper body 30 deg to the
    # person's left moves the left shoulder back (z+) and the right shoulder forward (z-).
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    ls, rs = [0.2 * c, -0.5, 0.2 * s], [-0.2 * c, -0.5, -0.2 * s]
    lh, rh = [0.15, 0.0, 0.0], [-0.15, 0.0, 0.0]
    assert g.yaw_between_lines_deg(ls, rs, lh, rh) == pytest.approx(30.0)
    assert g.yaw_between_lines_deg(rs, ls, rh, lh) == pytest.approx(30.0)
    assert g.yaw_between_lines_deg(lh, rh, ls, rs) == pytest.approx(-30.0)


def test_yaw_ignores_tilt_along_up_axis() -> None:
    # Shoulder line tipped sideways (y differs) but not rotated: yaw 0
    assert g.yaw_between_lines_deg([1, -0.3, 0], [-1, 0.3, 0], [1, 0, 0], [-1, 0, 0]) == (
        pytest.approx(0.0, abs=1e-9)
    )
    # Axis toward the camera (0,0,-1): line 2 points right on screen, line 1 points up on
    # screen; seen from the camera that is a counter-clockwise quarter turn: +90.
    # By hand: d2 x d1 = (1,0,0) x (0,-1,0) = (0,0,-1); u.(0,0,-1) = +1 -> +90.
    assert g.yaw_between_lines_deg([0, 0, 0], [0, -1, 0], [0, 0, 0], [1, 0, 0], (0, 0, -1)) == (
        pytest.approx(90.0)
    )


def test_yaw_degenerate_and_broadcast() -> None:
    assert math.isnan(g.yaw_between_lines_deg([0, 0, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0]))
    assert math.isnan(g.yaw_between_lines_deg([NAN, 0, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]))
    a1 = np.zeros((3, 3))
    b1 = np.array([[1, 0, 0], [1, 0, -1], [0, 0, 1]], dtype=float)
    out = g.yaw_between_lines_deg(a1, b1, np.zeros(3), [1.0, 0, 0])
    # (1,0,-1): toward camera on the right; seen from above (x right, z up on the page
    # when looking down from -y) ... computed: sin = u.(d2 x d1), d2=(1,0,0), d1=(1,0,-1)
    # d2 x d1 = (0*-1-0*0, 0*1-1*-1, 0) = (0, 1, 0); u=(0,-1,0) -> sin=-1, cos=1 -> -45
    np.testing.assert_allclose(out, [0.0, -45.0, 90.0])


# --- speed -------------------------------------------------------------------------------

def test_angular_speed() -> None:
    v = np.array([0.0, 10.0, 30.0, NAN, 40.0, 50.0])
    t = np.array([0.0, 100.0, 200.0, 300.0, 400.0, 400.0])
    out = g.angular_speed(v, t)
    # 10 deg in 0.1 s = 100 deg/s; 20 deg in 0.1 s = 200 deg/s; NaN neighbours; dt=0 -> NaN
    assert math.isnan(out[0])
    assert out[1] == pytest.approx(100.0)
    assert out[2] == pytest.approx(200.0)
    assert math.isnan(out[3]) and math.isnan(out[4]) and math.isnan(out[5])


def test_angular_speed_clip_shape_and_errors() -> None:
    v = np.zeros((3, 33))
    v[:, 5] = [0.0, 1.0, 3.0]
    t = np.array([0.0, 500.0, 1000.0])
    out = g.angular_speed(v, t)
    assert out.shape == (3, 33)
    np.testing.assert_allclose(out[1:, 5], [2.0, 4.0])
    with pytest.raises(ValueError):
        g.angular_speed(np.zeros(3), np.zeros(4))
